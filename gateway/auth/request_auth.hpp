#pragma once
// API-key request authentication (docs/PRODUCT.md §6, §8): the client signs timestamp, nonce and payload with
// HMAC-SHA256 under its secret; the gateway checks the key, the signature, a timestamp window (5 s by
// default) and that the nonce was not used before within the window. Each failure has its own reason.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace cpx::auth {

enum class AuthResult : uint8_t { Ok, UnknownKey, MalformedNonce, StaleTimestamp, BadSignature, ReplayedNonce };
std::string_view reason_code(AuthResult r);
std::string_view reason_text(AuthResult r);

// |timestamp - now| <= window, for every int64 input (no overflow).
bool within_window(int64_t timestamp_ns, int64_t now_ns, int64_t window_ns);

// What is signed: "<timestamp ns>\n<nonce>\n<payload>".
std::string signing_string(int64_t timestamp_ns, std::string_view nonce, std::string_view payload);
// Lower-case hex of HMAC-SHA256(secret, signing_string(...)): what a client sends as its signature.
std::string sign_request(std::string_view secret, int64_t timestamp_ns, std::string_view nonce, std::string_view payload);

struct SignedRequest {
  std::string_view api_key;
  int64_t timestamp_ns = 0;
  std::string_view nonce;      // 1 to 64 printable characters, unique per key within the window
  std::string_view payload;
  std::string_view signature;  // hex
};

// Not thread-safe: one per gateway thread, or behind the caller's lock.
class RequestVerifier {
 public:
  explicit RequestVerifier(int64_t window_ns = 5'000'000'000) : window_ns_(window_ns) {}

  void set_key(std::string api_key, std::string secret) { secrets_[std::move(api_key)] = std::move(secret); }
  void remove_key(const std::string& api_key) { secrets_.erase(api_key); }

  // `now_ns` is the gateway's clock. A request that fails any check does not use up its nonce.
  AuthResult verify(const SignedRequest& r, int64_t now_ns);

 private:
  struct Seen {
    std::unordered_set<std::string> nonces;
    std::deque<std::pair<int64_t, std::string>> by_time;  // to forget nonces once outside the window
  };
  void forget_old(Seen& seen, int64_t now_ns);

  int64_t window_ns_;
  std::unordered_map<std::string, std::string> secrets_;
  std::unordered_map<std::string, Seen> seen_;
};

}  // namespace cpx::auth
