#include "ws_client.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "auth/crypto.hpp"
#include "auth/request_auth.hpp"
#include "http_client.hpp"

namespace cpx::client {

namespace {
std::string base64(std::string_view bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}
std::string sha1(const std::string& s) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return std::string(reinterpret_cast<char*>(d), sizeof d);
}
}  // namespace

Result<std::unique_ptr<WsClient>> WsClient::connect(const Endpoint& at, const std::string& path, int rcvbuf) {
  auto conn = Connection::open(at, rcvbuf);
  if (!conn) return conn.error();
  std::unique_ptr<WsClient> ws(new WsClient(std::move(*conn)));
  const std::string key = base64(auth::random_bytes(16));
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + at.host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!ws->conn_->write_all(req)) return Error{"io_error", "the server closed the connection during the handshake"};
  char buf[4096];
  size_t end;
  while ((end = ws->in_.find("\r\n\r\n")) == std::string::npos) {
    const long n = ws->conn_->read_some(buf, sizeof buf, 5000);
    if (n <= 0) return Error{"handshake_failed", "no WebSocket handshake answer from " + at.host + ":" + std::to_string(at.port)};
    ws->in_.append(buf, static_cast<size_t>(n));
  }
  if (ws->in_.compare(0, 12, "HTTP/1.1 101") != 0)
    return Error{"handshake_failed", "the server refused the WebSocket upgrade: " + ws->in_.substr(0, ws->in_.find("\r\n"))};
  const std::string expect = base64(sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
  if (ws->in_.find(expect) == std::string::npos) return Error{"handshake_failed", "wrong Sec-WebSocket-Accept"};
  ws->in_pos_ = end + 4;
  return ws;
}

void WsClient::frame(std::string& out, uint8_t opcode, const char* data, size_t n) {
  out += static_cast<char>(0x80 | opcode);
  if (n < 126) {
    out += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((static_cast<uint64_t>(n) >> s) & 0xff);
  }
  // xorshift: a different mask per frame (clients must mask; the mask protects proxies, not secrets).
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 7;
  mask_state_ ^= mask_state_ << 17;
  char mask[4];
  std::memcpy(mask, &mask_state_, 4);
  out.append(mask, 4);
  const size_t at = out.size();
  out.append(data, n);
  for (size_t i = 0; i < n; ++i) out[at + i] = static_cast<char>(out[at + i] ^ mask[i & 3]);
}

bool WsClient::send_text(const std::string& text) { return send_texts(&text, 1); }

bool WsClient::send_texts(const std::string* texts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) frame(out, 0x1, texts[i].data(), texts[i].size());
  std::lock_guard lock(write_mutex_);
  return conn_->write_all(out);
}

bool WsClient::parse(std::string& out, bool& closed) {
  for (;;) {
    const size_t avail = in_.size() - in_pos_;
    if (avail < 2) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(in_.data() + in_pos_);
    const bool fin = p[0] & 0x80;
    const uint8_t opcode = p[0] & 0x0f;
    const bool masked = p[1] & 0x80;
    uint64_t len = p[1] & 0x7f;
    size_t head = 2;
    if (len == 126) {
      if (avail < 4) return false;
      len = (uint64_t(p[2]) << 8) | p[3];
      head = 4;
    } else if (len == 127) {
      if (avail < 10) return false;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      head = 10;
    }
    if (masked) head += 4;
    if (avail < head + len) return false;
    const char* payload = in_.data() + in_pos_ + head;
    in_pos_ += head + len;
    if (opcode == 0x8) {  // close: the code is the payload's first two bytes
      if (len >= 2) close_code_ = (uint8_t(payload[0]) << 8) | uint8_t(payload[1]);
      closed = true;
      std::string reply;
      frame(reply, 0x8, payload, len >= 2 ? 2 : 0);
      std::lock_guard lock(write_mutex_);
      conn_->write_all(reply);
      return false;
    }
    if (opcode == 0x9) {  // ping -> pong
      std::string reply;
      frame(reply, 0xA, payload, len);
      std::lock_guard lock(write_mutex_);
      conn_->write_all(reply);
      continue;
    }
    if (opcode == 0xA) continue;
    partial_.append(payload, len);
    if (!fin) continue;
    out.swap(partial_);
    partial_.clear();
    return true;
  }
}

WsClient::Read WsClient::next(std::string& out, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  bool first = true;
  for (;;) {
    bool closed = false;
    if (parse(out, closed)) return Read::message;
    if (closed) return Read::closed;
    if (in_pos_ > 0 && in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    } else if (in_pos_ > (1 << 20)) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    // Rounded up: a wait of less than a millisecond must still block (poll counts whole milliseconds),
    // or a caller polling with short timeouts would spin.
    const auto left_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (timeout_ms > 0 && left_ns <= 0 && !first) return Read::timeout;
    const int left = timeout_ms == 0 ? 0 : static_cast<int>(std::max<int64_t>(1, (left_ns + 999'999) / 1'000'000));
    first = false;
    const long n = conn_->read_some(buf, sizeof buf, left);
    if (n == -2) return Read::timeout;
    if (n == 0) return Read::closed;
    if (n < 0) return Read::error;
    in_.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> WsClient::login(const std::string& key, const std::string& secret, int timeout_ms, bool keep_orders) {
  const int64_t ts = now_ns();
  const std::string nonce = new_nonce();
  const std::string sig = auth::sign_request(secret, ts, nonce, "login");
  if (!send_text("{\"op\":\"login\",\"key\":\"" + key + "\",\"ts\":" + std::to_string(ts) + ",\"nonce\":\"" + nonce +
                 "\",\"sig\":\"" + sig + "\"" + (keep_orders ? ",\"cancel_on_disconnect\":false" : "") + "}"))
    return Error{"io_error", "the connection closed before the login was sent"};
  std::string msg;
  for (;;) {
    const Read r = next(msg, timeout_ms);
    if (r != Read::message) return Error{"login_failed", "no answer to the login"};
    if (msg.find("\"ev\":\"login\"") != std::string::npos) return msg;
    if (msg.find("\"ev\":\"error\"") != std::string::npos) return Error{"login_failed", msg};
  }
}

void WsClient::close() {
  std::string f;
  const char code[2] = {0x03, static_cast<char>(0xe8)};  // 1000
  frame(f, 0x8, code, 2);
  std::lock_guard lock(write_mutex_);
  conn_->write_all(f);
  conn_->shutdown();
}

}  // namespace cpx::client
