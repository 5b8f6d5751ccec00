#pragma once
// A token bucket per key (a peer address for unauthenticated public requests), with a bounded number of
// keys: the keys come from the network, so the table cannot be allowed to grow with them. A key whose
// bucket has refilled is the same as a new one, so such keys are dropped first when the table is full;
// when every key is still in use, a new key is refused until one refills. Time comes from the caller.
// Not thread-safe: one lives on one gateway thread.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <unordered_map>

#include "server/rate_limiter.hpp"

namespace cpx::server {

class RatesByKey {
 public:
  RatesByKey(int64_t rate_per_s, int64_t burst, size_t max_keys)
      : rate_(rate_per_s), burst_(burst), max_keys_(max_keys),
        // A bucket refills completely within burst / rate seconds (rounded up, plus one for the clock).
        refill_ns_(rate_per_s > 0 ? (burst / rate_per_s + 2) * 1'000'000'000LL : 0) {}

  bool allow(const std::string& key, int64_t now_ns) {
    if (rate_ <= 0) return true;  // unlimited
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      if (keys_.size() >= max_keys_) forget_refilled(now_ns);
      if (keys_.size() >= max_keys_) return false;
      it = keys_.emplace(key, Entry{RateLimiter(rate_, burst_), now_ns}).first;
    }
    it->second.last_ns = now_ns;
    return it->second.bucket.allow(now_ns);
  }

  size_t keys() const { return keys_.size(); }

 private:
  struct Entry {
    RateLimiter bucket;
    int64_t last_ns;
  };
  void forget_refilled(int64_t now_ns) {
    for (auto it = keys_.begin(); it != keys_.end();)
      it = now_ns - it->second.last_ns >= refill_ns_ ? keys_.erase(it) : std::next(it);
  }

  int64_t rate_, burst_;
  size_t max_keys_;
  int64_t refill_ns_;
  std::unordered_map<std::string, Entry> keys_;
};

}  // namespace cpx::server
