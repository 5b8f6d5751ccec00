#include "http_client.hpp"

#include <chrono>
#include <cstdlib>
#include <random>
#include <strings.h>

#include "auth/request_auth.hpp"

namespace cpx::client {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string new_nonce() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return "n" + std::to_string(rng()) + std::to_string(rng() & 0xffff);
}

Result<HttpReply> http_call(const Endpoint& at, const std::string& method, const std::string& target, const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms) {
  auto conn = Connection::open(at);
  if (!conn) return conn.error();
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + at.host + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!(*conn)->write_all(req)) return Error{"io_error", "the server closed the connection while we sent"};
  std::string in;
  char buf[16384];
  size_t header_end = std::string::npos;
  long content_length = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = in.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        // Content-Length, case-insensitively.
        size_t pos = 0;
        while ((pos = in.find("\r\n", pos)) != std::string::npos && pos < header_end) {
          pos += 2;
          if (strncasecmp(in.c_str() + pos, "content-length:", 15) == 0) content_length = std::strtol(in.c_str() + pos + 15, nullptr, 10);
        }
      }
    }
    if (header_end != std::string::npos && content_length >= 0 &&
        in.size() >= header_end + 4 + static_cast<size_t>(content_length))
      break;
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return Error{"timeout", "no complete answer within " + std::to_string(timeout_ms / 1000) + " s"};
    const long n = (*conn)->read_some(buf, sizeof buf, left);
    if (n == -2) continue;
    if (n < 0) return Error{"io_error", "the connection broke while reading the answer"};
    if (n == 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  if (header_end == std::string::npos || in.compare(0, 5, "HTTP/") != 0) return Error{"bad_answer", "not an HTTP answer"};
  HttpReply r;
  r.status = std::atoi(in.c_str() + in.find(' ') + 1);
  r.head = in.substr(0, header_end);
  r.body = in.substr(header_end + 4, content_length >= 0 ? static_cast<size_t>(content_length) : std::string::npos);
  return r;
}

Result<HttpReply> admin_call(const Endpoint& at, const std::string& key, const std::string& secret, const std::string& body,
                             int timeout_ms) {
  const int64_t ts = now_ns();
  const std::string nonce = new_nonce();
  return http_call(at, "POST", "/admin", body,
                   {{"X-CPX-Key", key},
                    {"X-CPX-Timestamp", std::to_string(ts)},
                    {"X-CPX-Nonce", nonce},
                    {"X-CPX-Signature", auth::sign_request(secret, ts, nonce, "POST /admin\n" + body)}},
                   timeout_ms);
}

}  // namespace cpx::client
