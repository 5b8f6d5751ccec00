#pragma once
// Things that happen when time passes: an instrument opens, reaches gate closure or ends its window, an
// order expires. A min-heap on (time, insertion sequence) so equal times fire in a fixed order. Entries
// whose order is already gone are skipped when they come due.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpx/time.hpp"

namespace cpx::detail {

enum class TimerKind : uint8_t { OrderExpiry, InstrumentOpen, GateClosure, WindowEnd, AuctionGate };

struct Timer {
  Timestamp at;
  uint64_t seq;
  TimerKind kind;
  uint64_t id;  // order id, instrument id, or an auction's day start
};

class TimerQueue {
 public:
  void push(Timestamp at, TimerKind kind, uint64_t id) {
    heap_.push_back(Timer{at, next_seq_++, kind, id});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  bool due(Timestamp now) const { return !heap_.empty() && heap_.front().at <= now; }
  Timer pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Timer t = heap_.back();
    heap_.pop_back();
    return t;
  }
  size_t size() const { return heap_.size(); }

  // Drops the entries `stale` names and rebuilds the heap (deterministic: same entries, same result).
  template <class Stale>
  void compact(Stale&& stale) {
    std::erase_if(heap_, stale);
    std::make_heap(heap_.begin(), heap_.end(), later);
  }

  // Snapshots keep the heap as it is (entries and the insertion counter), so equal-time timers fire in
  // the same order after a restore as they would have without one.
  const std::vector<Timer>& entries() const { return heap_; }
  uint64_t next_seq() const { return next_seq_; }
  void restore(std::vector<Timer> entries, uint64_t next_seq) {
    heap_ = std::move(entries);
    std::make_heap(heap_.begin(), heap_.end(), later);
    next_seq_ = next_seq;
  }

 private:
  static bool later(const Timer& a, const Timer& b) { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
  std::vector<Timer> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace cpx::detail
