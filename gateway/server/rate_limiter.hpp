#pragma once
// Token bucket per API key or FIX session (docs/PRODUCT.md §8): `rate` requests per second on average, bursts
// up to `burst`. Time comes from the caller. Not thread-safe: each lives on one gateway thread.
#include <algorithm>
#include <cstdint>

namespace cpx::server {

class RateLimiter {
 public:
  RateLimiter(int64_t rate_per_s = 1000, int64_t burst = 2000) : rate_(rate_per_s), burst_(burst), tokens_(burst * kScale) {}
  // True (and one token used) when a request may go now.
  bool allow(int64_t now_ns) {
    if (rate_ <= 0) return true;  // unlimited
    if (last_ns_ != 0 && now_ns > last_ns_) {
      // tokens in units of 1/kScale: rate * elapsed ns / 1e9 * kScale, capped before it can overflow.
      const int64_t elapsed = std::min<int64_t>(now_ns - last_ns_, 3'600'000'000'000LL);
      tokens_ = std::min(burst_ * kScale, tokens_ + rate_ * elapsed / (1'000'000'000 / kScale));
    }
    if (now_ns > last_ns_) last_ns_ = now_ns;
    if (tokens_ < kScale) return false;
    tokens_ -= kScale;
    return true;
  }

 private:
  static constexpr int64_t kScale = 1000;
  int64_t rate_;
  int64_t burst_;
  int64_t tokens_;
  int64_t last_ns_ = 0;
};

}  // namespace cpx::server
