#pragma once
// One instrument's book: two sides of price levels, each level a FIFO of orders (intrusive list).
// Levels sit in a vector sorted worst-to-best, so the best price is at the back: the common operations
// (add at or near the touch, remove the best level) are O(1) amortised and the search is cache-friendly.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "cpx/domain.hpp"
#include "cpx/instrument.hpp"

namespace cpx::detail {

struct PriceLevel;

// Two cache lines (128 bytes): everything matching and cancelling touch sits in the first.
struct alignas(64) Order {
  // Touched while matching.
  OrderId id = 0;
  Order* prev = nullptr;  // FIFO neighbours in the level
  Order* next = nullptr;
  PriceLevel* level = nullptr;
  Price price = 0;
  Quantity remaining = 0;
  ParticipantId participant = kNoParticipant;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GTC;
  SelfTradePrevention stp = SelfTradePrevention::CancelNewest;
  bool post_only = false;
  // Touched on accept, cancel and reports.
  Order* owner_prev = nullptr;  // the participant's open orders (mass cancel, cancel-on-disconnect)
  Order* owner_next = nullptr;
  Quantity qty = 0;  // total, filled included (self-trade decrements shrink it)
  Quantity filled() const { return qty - remaining; }
  Timestamp expire_at = 0;
  ClOrdId cl_ord_id;
};

struct PriceLevel {
  Price price = 0;
  Quantity qty = 0;
  uint32_t count = 0;
  Order* head = nullptr;
  Order* tail = nullptr;

  void push_back(Order* o) {
    o->level = this;
    o->next = nullptr;
    o->prev = tail;
    if (tail) tail->next = o; else head = o;
    tail = o;
    qty += o->remaining;
    ++count;
  }
  void unlink(Order* o) {
    if (o->prev) o->prev->next = o->next; else head = o->next;
    if (o->next) o->next->prev = o->prev; else tail = o->prev;
    qty -= o->remaining;
    --count;
    o->level = nullptr;
    o->prev = o->next = nullptr;
  }
};

class BookSide {
 public:
  explicit BookSide(Side side) : side_(side) { levels_.reserve(64); }

  Side side() const { return side_; }
  bool empty() const { return levels_.empty(); }
  PriceLevel* best() const { return levels_.empty() ? nullptr : levels_.back().second; }
  // Best price without touching the level itself (the price is kept beside the pointer).
  bool best_price(Price& out) const {
    if (levels_.empty()) return false;
    out = levels_.back().first;
    return true;
  }
  size_t level_count() const { return levels_.size(); }
  // i-th level from the best (0 = best).
  PriceLevel* from_best(size_t i) const { return levels_[levels_.size() - 1 - i].second; }

  // True when a price on this side is better than (strictly ahead of) `other`.
  bool better(Price a, Price b) const { return side_ == Side::Buy ? a > b : a < b; }

  PriceLevel* find(Price price, Price tick) const {
    size_t i = lower(price, tick);
    return (i < levels_.size() && levels_[i].first == price) ? levels_[i].second : nullptr;
  }

  // The level at `price`, created with make() when there is none (one search either way).
  template <class Make>
  PriceLevel* find_or_insert(Price price, Price tick, Make&& make) {
    size_t i = lower(price, tick);
    if (i < levels_.size() && levels_[i].first == price) return levels_[i].second;
    PriceLevel* fresh = make();
    levels_.insert(levels_.begin() + static_cast<std::ptrdiff_t>(i), {price, fresh});
    return fresh;
  }

  void erase(Price price, Price tick) {
    size_t i = lower(price, tick);
    if (i < levels_.size() && levels_[i].first == price) levels_.erase(levels_.begin() + static_cast<std::ptrdiff_t>(i));
  }

 private:
  using Entry = std::pair<Price, PriceLevel*>;
  bool worse(Price a, Price b) const { return side_ == Side::Buy ? a < b : a > b; }

  // Index of the first entry not worse than `price` (entries run worst to best). Prices sit on a tick
  // grid and a level `d` ticks behind the best has at most `d` levels after it, so the search starts at
  // size-1-d and walks towards the best: exact for a dense book, a few steps for a sparse one. A long
  // walk falls back to binary search.
  size_t lower(Price price, Price tick) const {
    const size_t n = levels_.size();
    if (n == 0) return 0;
    const Price best = levels_[n - 1].first;
    if (!worse(price, best)) return price == best ? n - 1 : n;
    const Price distance = (side_ == Side::Buy ? best - price : price - best) / tick;
    size_t i = distance >= static_cast<Price>(n) ? 0 : n - 1 - static_cast<size_t>(distance);
    for (int steps = 0; steps < 8; ++steps, ++i) {
      if (!worse(levels_[i].first, price)) return i;
    }
    auto it = std::lower_bound(levels_.begin() + static_cast<std::ptrdiff_t>(i), levels_.end(), price,
                               [this](const Entry& e, Price p) { return worse(e.first, p); });
    return static_cast<size_t>(it - levels_.begin());
  }

  Side side_;
  std::vector<Entry> levels_;
};

struct OrderBook {
  explicit OrderBook(InstrumentInfo i) : info(std::move(i)) {}
  InstrumentInfo info;
  InstrumentState state = InstrumentState::Listed;
  Price reference_price = 0;
  BookSide bids{Side::Buy};
  BookSide asks{Side::Sell};
  BookSide& side(Side s) { return s == Side::Buy ? bids : asks; }
  const BookSide& side(Side s) const { return s == Side::Buy ? bids : asks; }
};

}  // namespace cpx::detail
