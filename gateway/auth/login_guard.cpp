#include "auth/login_guard.hpp"

#include <algorithm>
#include <chrono>

namespace cpx::auth {

int64_t LoginGuard::steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

const char* login_verdict_code(LoginVerdict v) {
  switch (v) {
    case LoginVerdict::Allowed: return "ok";
    case LoginVerdict::AddressLocked: return "too_many_failures_from_address";
    case LoginVerdict::PrincipalLocked: return "too_many_failures_for_user";
    case LoginVerdict::Busy: return "login_busy";
  }
  return "?";
}

namespace {
constexpr size_t kMaxKey = 128;
// Bounds that keep burst * refill far inside int64.
LoginPolicy bounded(LoginPolicy p) {
  p.address_burst = std::clamp<int64_t>(p.address_burst, 1, 1000);
  p.principal_burst = std::clamp<int64_t>(p.principal_burst, 1, 1000);
  p.address_refill_ns = std::clamp<int64_t>(p.address_refill_ns, 1, 3'600'000'000'000);
  p.principal_refill_ns = std::clamp<int64_t>(p.principal_refill_ns, 1, 3'600'000'000'000);
  return p;
}
}  // namespace

void LoginGuard::refill(Bucket& b, int64_t now_ns, int64_t burst, int64_t refill_ns) {
  if (now_ns > b.at_ns) {
    const int64_t elapsed = std::min<int64_t>(now_ns - b.at_ns, burst * refill_ns);
    b.tokens = std::min(burst * refill_ns, b.tokens + elapsed);
    b.at_ns = now_ns;
  }
}

void LoginGuard::sweep(Map& map, int64_t now_ns, int64_t burst, int64_t refill_ns) {
  for (auto it = map.begin(); it != map.end();) {
    refill(it->second, now_ns, burst, refill_ns);
    it = it->second.tokens >= burst * refill_ns ? map.erase(it) : std::next(it);
  }
}

LoginGuard::Attempt LoginGuard::begin(std::string_view principal, std::string_view address, int64_t now_ns) {
  const LoginPolicy p = bounded(policy_);
  principal = principal.substr(0, kMaxKey);  // what a client names is bounded before it becomes a key
  address = address.substr(0, kMaxKey);
  std::lock_guard lock(mutex_);
  if (++calls_ % 4096 == 0) {  // forget the buckets that are full again (they hold nothing)
    sweep(addresses_, now_ns, p.address_burst, p.address_refill_ns);
    sweep(principals_, now_ns, p.principal_burst, p.principal_refill_ns);
  }
  auto find_or_make = [&](Map& map, std::string_view key, int64_t burst, int64_t refill_ns) -> Bucket* {
    auto it = map.find(std::string(key));
    if (it == map.end()) {
      if (map.size() >= policy_.max_tracked) {
        sweep(map, now_ns, burst, refill_ns);
        if (map.size() >= policy_.max_tracked) return nullptr;
      }
      it = map.emplace(std::string(key), Bucket{burst * refill_ns, now_ns}).first;
    }
    refill(it->second, now_ns, burst, refill_ns);
    return &it->second;
  };
  Bucket* a = find_or_make(addresses_, address, p.address_burst, p.address_refill_ns);
  if (!a) return {LoginVerdict::Busy, p.address_refill_ns};
  if (a->tokens < p.address_refill_ns) return {LoginVerdict::AddressLocked, p.address_refill_ns - a->tokens};
  Bucket* u = principal.empty() ? nullptr : find_or_make(principals_, principal, p.principal_burst, p.principal_refill_ns);
  if (u && u->tokens < p.principal_refill_ns) return {LoginVerdict::PrincipalLocked, p.principal_refill_ns - u->tokens};
  a->tokens -= p.address_refill_ns;
  if (u) u->tokens -= p.principal_refill_ns;
  return {};
}

void LoginGuard::succeeded(std::string_view principal, std::string_view address) {
  const LoginPolicy p = bounded(policy_);
  principal = principal.substr(0, kMaxKey);
  address = address.substr(0, kMaxKey);
  std::lock_guard lock(mutex_);
  if (auto it = addresses_.find(std::string(address)); it != addresses_.end())
    it->second.tokens = std::min(p.address_burst * p.address_refill_ns, it->second.tokens + p.address_refill_ns);
  if (auto it = principals_.find(std::string(principal)); it != principals_.end())
    it->second.tokens = std::min(p.principal_burst * p.principal_refill_ns, it->second.tokens + p.principal_refill_ns);
}

size_t LoginGuard::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.size();
}

size_t LoginGuard::tracked_principals() const {
  std::lock_guard lock(mutex_);
  return principals_.size();
}

}  // namespace cpx::auth
