#pragma once
// Throttles login attempts (docs/OPERATIONS.md, "Logins"): a budget of attempts per source address and
// per principal (the user name or API key given), each a token bucket. An attempt takes a token from both
// before the credentials are checked at all; a successful login gives them back, so only failures use the
// budget up. With a budget spent, attempts are refused at once, before any password hashing, for known and
// unknown principals alike (the answer tells nothing about which users exist).
//
// Memory is bounded: buckets that have filled up again are forgotten, and at most `max_tracked` of each
// kind are kept. A new principal beyond that is not tracked (its address still is); a new address beyond
// that is refused (`busy`): that many addresses failing at once is an attack on the whole service.
// Thread-safe; time comes from the caller.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cpx::auth {

struct LoginPolicy {
  int64_t address_burst = 20;                      // failures an address may have before it waits
  int64_t address_refill_ns = 3'000'000'000;       // one more every 3 s (20 a minute)
  int64_t principal_burst = 5;                     // failures a user name / API key may have
  int64_t principal_refill_ns = 30'000'000'000;    // one more every 30 s
  size_t max_tracked = 100'000;
};

enum class LoginVerdict : uint8_t { Allowed, AddressLocked, PrincipalLocked, Busy };
const char* login_verdict_code(LoginVerdict v);

class LoginGuard {
 public:
  explicit LoginGuard(LoginPolicy policy = {}) : policy_(policy) {}

  struct Attempt {
    LoginVerdict verdict = LoginVerdict::Allowed;
    int64_t retry_after_ns = 0;  // when refused: how long until the next attempt may go
  };
  // Takes a token from the address's and the principal's buckets, or says why not (nothing taken then).
  // An empty principal: the address alone (an API key's signature cannot be guessed, and throttling the
  // key would only let anyone who knows its name lock its owner out). `now_ns` from a steady clock.
  Attempt begin(std::string_view principal, std::string_view address, int64_t now_ns);
  static int64_t steady_now_ns();
  // The attempt succeeded: its tokens are given back.
  void succeeded(std::string_view principal, std::string_view address);

  size_t tracked_addresses() const;
  size_t tracked_principals() const;

 private:
  struct Bucket {
    int64_t tokens = 0;  // failures left, scaled by the refill time (tokens * refill_ns units)
    int64_t at_ns = 0;
  };
  using Map = std::unordered_map<std::string, Bucket>;
  // Refills `b` to `now`; true when a whole token is there.
  static void refill(Bucket& b, int64_t now_ns, int64_t burst, int64_t refill_ns);
  void sweep(Map& map, int64_t now_ns, int64_t burst, int64_t refill_ns);

  LoginPolicy policy_;
  mutable std::mutex mutex_;
  Map addresses_, principals_;
  uint64_t calls_ = 0;
};

}  // namespace cpx::auth
