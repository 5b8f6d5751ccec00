#include "auth/request_auth.hpp"

#include "auth/crypto.hpp"

namespace cpx::auth {

std::string_view reason_code(AuthResult r) {
  switch (r) {
    case AuthResult::Ok: return "ok";
    case AuthResult::UnknownKey: return "unknown_api_key";
    case AuthResult::MalformedNonce: return "malformed_nonce";
    case AuthResult::StaleTimestamp: return "stale_timestamp";
    case AuthResult::BadSignature: return "bad_signature";
    case AuthResult::ReplayedNonce: return "replayed_nonce";
  }
  return "?";
}

std::string_view reason_text(AuthResult r) {
  switch (r) {
    case AuthResult::Ok: return "Authenticated.";
    case AuthResult::UnknownKey: return "The API key is not known or has been disabled.";
    case AuthResult::MalformedNonce: return "The nonce must be 1 to 64 printable ASCII characters.";
    case AuthResult::StaleTimestamp: return "The request's timestamp is outside the accepted window around the server's clock.";
    case AuthResult::BadSignature: return "The HMAC-SHA256 signature does not match the request.";
    case AuthResult::ReplayedNonce: return "This nonce was already used with this API key.";
  }
  return "?";
}

bool within_window(int64_t timestamp_ns, int64_t now_ns, int64_t window_ns) {
  if (window_ns < 0) return false;
  const __int128 skew = static_cast<__int128>(timestamp_ns) - static_cast<__int128>(now_ns);
  return skew >= -static_cast<__int128>(window_ns) && skew <= static_cast<__int128>(window_ns);
}

std::string signing_string(int64_t timestamp_ns, std::string_view nonce, std::string_view payload) {
  std::string s = std::to_string(timestamp_ns);
  s += '\n';
  s += nonce;
  s += '\n';
  s += payload;
  return s;
}

std::string sign_request(std::string_view secret, int64_t timestamp_ns, std::string_view nonce, std::string_view payload) {
  return to_hex(hmac_sha256(secret, signing_string(timestamp_ns, nonce, payload)));
}

void RequestVerifier::forget_old(Seen& seen, int64_t now_ns) {
  // A nonce is needed for as long as its timestamp passes the window check: until timestamp + window.
  // Kept for twice that (entries are in arrival order, not timestamp order); the window check bounds every
  // kept timestamp to now ± window, so the subtraction below cannot overflow for any clock after 1970.
  while (!seen.by_time.empty() && seen.by_time.front().first < now_ns - 2 * window_ns_) {
    seen.nonces.erase(seen.by_time.front().second);
    seen.by_time.pop_front();
  }
}

AuthResult RequestVerifier::verify(const SignedRequest& r, int64_t now_ns) {
  auto secret = secrets_.find(std::string(r.api_key));
  if (secret == secrets_.end()) return AuthResult::UnknownKey;
  if (r.nonce.empty() || r.nonce.size() > 64) return AuthResult::MalformedNonce;
  for (char c : r.nonce) {
    if (c < 0x21 || c > 0x7e) return AuthResult::MalformedNonce;
  }
  // Compared without subtracting: `now - timestamp` overflows int64 for a timestamp near INT64_MIN (a
  // replayed request then passed the check, and its nonce had long been forgotten).
  if (!within_window(r.timestamp_ns, now_ns, window_ns_)) return AuthResult::StaleTimestamp;
  std::string expected = sign_request(secret->second, r.timestamp_ns, r.nonce, r.payload);
  std::string given(r.signature);
  for (char& c : given) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  if (!constant_time_equal(expected, given)) return AuthResult::BadSignature;
  Seen& seen = seen_[secret->first];
  forget_old(seen, now_ns);
  std::string nonce(r.nonce);
  if (!seen.nonces.insert(nonce).second) return AuthResult::ReplayedNonce;
  seen.by_time.emplace_back(r.timestamp_ns, std::move(nonce));
  return AuthResult::Ok;
}

}  // namespace cpx::auth
