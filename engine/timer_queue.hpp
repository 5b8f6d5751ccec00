#pragma once
// Things that happen when time passes: an instrument opens, reaches gate closure or ends its window, an
// order expires. A min-heap on (time, insertion sequence) so equal times fire in a fixed order. Entries
// whose order is already gone are skipped when they come due.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpx/time.hpp"

namespace cpx::detail {

enum class TimerKind : uint8_t { OrderExpiry, InstrumentOpen, GateClosure, WindowEnd };

struct Timer {
  Timestamp at;
  uint64_t seq;
  TimerKind kind;
  uint64_t id;  // order id or instrument id
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

 private:
  static bool later(const Timer& a, const Timer& b) { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
  std::vector<Timer> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace cpx::detail
