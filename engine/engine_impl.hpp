#pragma once
// The matching engine's state and command handling (MatchingEngine::Impl). Internal to engine/: the
// public face is include/cpx/matching_engine.hpp; matching_engine.cpp forwards to this class and
// snapshot.cpp saves and restores its state.
#include "cpx/matching_engine.hpp"

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <unordered_map>

#include "capacity_registry.hpp"
#include "cpx/routing.hpp"
#include "cpx/bytes.hpp"
#include "object_pool.hpp"
#include "order_book.hpp"
#include "order_index.hpp"
#include "state_hasher.hpp"
#include "timer_queue.hpp"

namespace cpx {

using detail::BookSide;
using detail::CapacityRegistry;
using detail::Order;
using detail::OrderBook;
using detail::PriceLevel;
using detail::TimerKind;

namespace detail {

struct ParticipantState {
  Participant info;
  int64_t open_orders = 0;
  Order* orders = nullptr;  // head of the intrusive list of open orders
  Money credit_limit = 0;
  Money open_buy = 0;
  Money unsettled_bought = 0;
  // [region][class] -> this supplier's capacity line (nullptr: nothing registered there).
  std::vector<std::vector<CapacityRegistry::Steps*>> capacity_lines;

  CapacityRegistry::Steps* capacity_line(RegionId r, ChipClassId c) const {
    if (r >= capacity_lines.size() || c >= capacity_lines[r].size()) return nullptr;
    return capacity_lines[r][c];
  }
  void set_capacity_line(RegionId r, ChipClassId c, CapacityRegistry::Steps* line) {
    if (r >= capacity_lines.size()) capacity_lines.resize(r + 1);
    if (c >= capacity_lines[r].size()) capacity_lines[r].resize(c + 1, nullptr);
    capacity_lines[r][c] = line;
  }
};

// Why matching stopped before the order was filled (None: no more crossing liquidity).
enum class Stop : uint8_t { None, SelfTrade, PriceBand, Credit };

struct Touched {
  InstrumentId instrument;
  Side side;
  Price price;
  PriceLevel* level;  // nullptr once the level is gone
};

constexpr RegionId kNoRegion = UINT16_MAX;
constexpr ChipClassId kNoClass = UINT16_MAX;

inline bool crosses(Side aggressor, Price limit, Price resting) {
  return aggressor == Side::Buy ? resting <= limit : resting >= limit;
}

}  // namespace detail

using detail::ParticipantState;
using detail::Stop;
using detail::Touched;
using detail::kNoRegion;
using detail::kNoClass;
using detail::crosses;

class MatchingEngine::Impl {
 public:
  Impl(EventListener& listener, const EngineConfig& config)
      : out_(listener), index_(config.expected_orders) {
    orders_.reserve(config.expected_orders);
    levels_.reserve(std::max<size_t>(1024, config.expected_orders / 4));
    books_.reserve(config.expected_instruments);
    touched_.reserve(256);
    ParticipantState exchange;
    exchange.info.code = "EXCH";
    exchange.info.name = "CPX exchange";
    exchange.info.kind = ParticipantKind::Exchange;
    exchange.info.roles = kRoleOperator;
    participants_.push_back(std::move(exchange));
    participant_by_code_.emplace("EXCH", kExchangeParticipant);
  }

  ~Impl() {
    for (auto& book : books_) {
      for (Side s : {Side::Buy, Side::Sell}) {
        BookSide& side = book->side(s);
        while (PriceLevel* lvl = side.best()) {
          while (Order* o = lvl->head) {
            lvl->unlink(o);
            orders_.release(o);
          }
          side.erase(lvl->price, book->info.rules.tick);
          levels_.release(lvl);
        }
      }
    }
  }

  // ---------------------------------------------------------------- order entry

  void new_order(const NewOrder& c);
  void cancel(const CancelOrder& c);
  void replace(const ReplaceOrder& c);
  void mass_cancel(const MassCancel& c);
  void routed_order(const RoutedOrder& c);  // routed_order.cpp
  // The day-ahead auction (auction_book.cpp).
  void open_auction(const OpenAuction& c);
  void auction_offer(const AuctionOffer& c);
  void auction_bid(const AuctionBid& c);
  void cancel_auction_order(const CancelAuctionOrder& c);
  void clear_auction(const ClearAuction& c);
  const AuctionDay* auction(Timestamp day_start) const {
    auto it = auctions_.find(day_start);
    return it == auctions_.end() ? nullptr : &it->second;
  }
  // Device-hours registered for a region x class within [from, to), over all suppliers.
  int64_t registered_device_hours(RegionId region, ChipClassId chip_class, Timestamp from, Timestamp to) const {
    __int128 total = 0;
    for (const Registration& r : registrations_) {
      if (r.region != region || r.chip_class != chip_class) continue;
      const Timestamp a = std::max(from, r.from), b = std::min(to, r.to);
      if (b > a) total += static_cast<__int128>(r.devices) * (b - a);
    }
    return static_cast<int64_t>(total / kNanosPerHour);
  }
  std::vector<Timestamp> auction_days() const {
    std::vector<Timestamp> out;
    for (const auto& [day, a] : auctions_) out.push_back(day);
    return out;
  }

  // ---------------------------------------------------------------- admin

  bool admin_allowed(CommandKind kind, ParticipantId actor, InstrumentId instrument);

  void admin_reject(CommandKind kind, ParticipantId actor, RejectReason r,
                    InstrumentId instrument = kNoInstrument) {
    emit_reject(kind, actor, instrument, 0, {}, r);
  }

  void add_region(const AddRegion& c);
  void add_chip_class(const AddChipClass& c);
  void add_participant(const AddParticipant& c);
  void list_instrument(const ListInstrument& c);
  void set_instrument_state(const SetInstrumentState& c);
  void register_capacity(const RegisterCapacity& c);
  void add_link(const AddLink& c);
  void set_credit(const SetCredit& c);
  void set_reference_price(const SetReferencePrice& c);
  void set_fees(const SetFees& c);

  void adjust_credit(ParticipantId p, Money limit_delta, Money unsettled_delta) {
    ParticipantState& s = participants_.at(p);
    s.credit_limit += limit_delta;
    s.unsettled_bought += unsettled_delta;
  }

  void advance_time(const AdvanceTime& c) { begin(c.ts); }

  // ---------------------------------------------------------------- views

  Timestamp now() const { return now_; }

  InstrumentId find_instrument(std::string_view symbol) const {
    auto it = book_by_symbol_.find(std::string(symbol));
    return it == book_by_symbol_.end() ? kNoInstrument : it->second;
  }
  ParticipantId find_participant(std::string_view code) const {
    auto it = participant_by_code_.find(std::string(code));
    return it == participant_by_code_.end() ? kNoParticipant : it->second;
  }
  RegionId find_region(std::string_view code) const {
    auto it = region_by_code_.find(std::string(code));
    return it == region_by_code_.end() ? kNoRegion : it->second;
  }
  ChipClassId find_chip_class(std::string_view code) const {
    auto it = class_by_code_.find(std::string(code));
    return it == class_by_code_.end() ? kNoClass : it->second;
  }
  const OrderBook* book(InstrumentId id) const { return id < books_.size() ? books_[id].get() : nullptr; }
  const ParticipantState* participant(ParticipantId id) const {
    return id < participants_.size() ? &participants_[id] : nullptr;
  }
  const Region* region(RegionId id) const { return id < regions_.size() ? &regions_[id] : nullptr; }
  const std::vector<NetworkLink>& links() const { return links_; }
  const ChipClass* chip_class(ChipClassId id) const { return id < classes_.size() ? &classes_[id] : nullptr; }
  size_t instrument_count() const { return books_.size(); }
  size_t participant_count() const { return participants_.size(); }
  size_t open_order_count() const { return index_.size(); }

  bool find_order(OrderId id, OrderView& out) const {
    const Order* o = index_.find(id);
    if (!o) return false;
    out = view(*o);
    return true;
  }

  static OrderView view(const Order& o) {
    return OrderView{o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side, o.tif, o.price,
                     o.qty, o.remaining, o.filled(), o.expire_at};
  }

  Quantity capacity_headroom(ParticipantId supplier, RegionId region, ChipClassId cls, Timestamp from,
                             Timestamp to) const {
    return capacity_.headroom({supplier, region, cls}, from, to);
  }

  // A hash of the snapshot bytes: it covers everything a snapshot carries, and a restored engine (whose
  // snapshot is byte-identical) hashes the same.
  uint64_t state_hash() const {
    std::string bytes;
    ByteWriter w(bytes);
    save(w);
    detail::StateHasher h;
    h.add(std::string_view(bytes));
    return h.value();
  }

  // Snapshots (snapshot.cpp): the whole state as bytes, and back into a freshly constructed engine.
  void save(ByteWriter& w) const;
  Result<bool> load(ByteReader& r);

 private:
  // ---------------------------------------------------------------- time

  // Moves time to `ts` (never backwards), firing everything that falls due on the way.
  void begin(Timestamp ts);
  void fire(const detail::Timer& t);
  void set_state(OrderBook& b, InstrumentState s);

  // ---------------------------------------------------------------- risk helpers

  static std::optional<RejectReason> trading_state_reject(const OrderBook& b) {
    switch (b.state) {
      case InstrumentState::Open: return std::nullopt;
      case InstrumentState::Listed: return RejectReason::InstrumentNotOpen;
      case InstrumentState::Halted: return RejectReason::InstrumentHalted;
      case InstrumentState::Closed:
      case InstrumentState::Expired: return RejectReason::InstrumentClosed;
    }
    return RejectReason::InstrumentClosed;
  }

  // Band: |price - ref| / ref > band. Integer form: |price - ref| * 10000 > ref * band_bps.
  static bool outside_band(const OrderBook& b, Price price) { return outside_band(b, b.reference_price, price); }
  static bool outside_band(const OrderBook& b, Price ref, Price price) { return b.info.rules.outside_band(ref, price); }

  static bool credit_allows(const ParticipantState& p, Money more) {
    return static_cast<__int128>(p.open_buy) + p.unsettled_bought + more <= p.credit_limit;
  }

  // Exchange fee on a notional: basis points, rounded half up.
  static Money fee_of(Money notional, int64_t bps) {
    return static_cast<Money>((static_cast<__int128>(notional) * bps + 5'000) / 10'000);
  }

  // Credit held by `qty` open devices of a limit buy at `price`: the notional plus the larger of the two
  // fees rounded up, plus one unit (0.0001 CNY) per device when fees are charged. The per-device unit
  // absorbs rounding, so every fill's actual cost (notional at the trade price + fee rounded half up) is
  // covered by what the fill releases: reserve(R) - reserve(R - q). Exact, and recomputable from the book.
  Money reserve(const OrderBook& b, Price price, Quantity qty) const {
    const Money notional = price * qty * b.info.hours;
    const int64_t bps = std::max(maker_fee_bps_, taker_fee_bps_);
    if (bps == 0) return notional;
    return notional + static_cast<Money>((static_cast<__int128>(notional) * bps + 9'999) / 10'000) + qty;
  }

  // What a buyer pays for a fill: notional at the trade price plus its fee.
  Money buyer_cost(Price price, Quantity q, int64_t hours, bool buyer_is_taker) const {
    const Money notional = price * q * hours;
    return notional + fee_of(notional, buyer_is_taker ? taker_fee_bps_ : maker_fee_bps_);
  }

  // The largest q <= want whose cost fits in `room` (a market buy spends what is left, fee included).
  Quantity affordable(Price price, Quantity want, int64_t hours, __int128 room) const;


  // ---------------------------------------------------------------- matching

  // Could a FOK order trade its whole quantity now? Walks the book exactly as match() would, without
  // changing anything, so a killed FOK leaves no trace.
  bool fok_fillable(const OrderBook& book, const Order& o) const;

  Stop match(OrderBook& book, Order& o);
  void execute(OrderBook& book, Order& aggressor, Order* resting, Price price, Quantity q);

  // Self-trade prevention "decrement": both shrink by the smaller open quantity, no trade.
  void decrement(OrderBook& book, Order& o, Order* r);

  // After matching a new order: rest it, or end it with the reason matching stopped.
  void settle_aggressor(OrderBook& book, Order& o, Stop stop);

  // Ends an order that never rested (or was taken out of the book): releases its open quantity.
  void finish_unrested(OrderBook& book, Order& o, DoneReason why);

  // Returns credit or capacity held by `qty` of the open devices of `o` (call before o.remaining shrinks).
  void release_open(OrderBook& book, const Order& o, Quantity qty);

  // Puts an order at the back of its price level. A new order also joins the id index, its owner's list
  // and (for DAY/GTD) the expiry timers; a replaced order is already in all three.
  void rest(OrderBook& book, Order* o, bool is_new);
  void detach_from_level(OrderBook& book, Order* o);

  // ---------------------------------------------------------------- routed orders (routed_order.cpp)

  // One book of a routed order's candidate, with the planner's cursor over its asks.
  struct RouteSegment {
    OrderBook* book = nullptr;
    size_t level = 0;            // next ask level to enter
    Order* order = nullptr;      // ask being planned
    Quantity order_left = 0;     // of it, not yet planned
    Quantity child_qty = 0;      // planned in this book: the child order's quantity
    Price child_price = 0;       // the dearest planned ask: the child's limit
    uint32_t first_fill = UINT32_MAX;
    uint32_t last_fill = UINT32_MAX;
  };
  // A candidate: the books of one zone that tile the order's window (one book, or e.g. three daily books
  // for a 72-hour job): the same devices are bought in each, and the data moves once.
  struct RouteBook {
    std::vector<RouteSegment> segments;  // in time order
    NetworkPath path;
    int64_t hours = 0;           // the window's length
    int64_t scu_per_device = 0;
    Quantity lot = 1;            // a multiple of every segment's lot
    Quantity cap = 0;            // the largest child any segment may send
    Money transfer_cost = 0;     // data_gb x the path's tariff: the whole job's transfer to this region
    int64_t transfer_ceil = 0;   // that per SCU-hour, 8 decimals, rounded up (the limit check)
    int64_t transfer_round = 0;  // rounded half away from zero (the ordering)
    Quantity planned = 0;        // devices planned (in every segment)
    int64_t counted_scu = 0;     // of the order's SCU, how many the planned steps here cover
    bool exhausted = false;
    bool landed_valid = false;   // `landed` is that of the segments' current asks
    int64_t landed = 0;
  };
  // One planned fill: `qty` devices from the ask `resting` of book `instrument`; the data's transport fee
  // rides on the first book's fill of each step.
  struct PlannedFill {
    InstrumentId instrument = kNoInstrument;
    OrderId resting = 0;
    Quantity qty = 0;
    Money transport = 0;
    uint32_t legs_begin = 0;  // its transport legs in route_legs_
    uint32_t legs_end = 0;
  };
  // The routed order whose children are matching now, and what its trades have cost so far.
  struct RouteInFlight {
    OrderId id = 0;
    const Order* child = nullptr;
    uint32_t next_fill = 0;
    Money compute = 0;
    Money fees = 0;
    Money transport = 0;
  };
  std::optional<RejectReason> route_query_reject(const RouteQuery& q) const;
  void route_candidates(const RouteQuery& q);
  void route_transport(const RouteBook& rb, const RouteQuery& q, int64_t counted, PlannedFill& f);
  const PlannedFill* route_fill(const Order& aggressor, const Order& resting, Quantity q);

  // ---------------------------------------------------------------- auction (auction_book.cpp)
  AuctionDay* open_auction_for_orders(CommandKind kind, ParticipantId p, std::string_view cl, Timestamp day_start);
  int64_t min_scu_per_device(const RouteQuery& q) const;
  void release_offer(AuctionDay& day, AuctionOfferRecord& o, Quantity devices);
  void close_auction(AuctionDay& day);
  // Ends every order of a closed day: with `result` its contracts, without it (cancelled) none.
  void settle_auction(AuctionDay& day, const ClearAuction* result);
  void set_auction_reference_prices(const AuctionDay& day);
  void hold_auction_reserves();  // adds open bids' reserves to their buyers' open_buy
  void emit_auction_state(const AuctionDay& day, uint32_t accepted_bids = 0, uint32_t contracts = 0);
 public:
  void save_auctions(ByteWriter& w) const;  // part of save()/load()
  bool load_auctions(ByteReader& r, bool with_summaries);
 private:

  // Drops an order that left the book from the index and its owner's list, and frees it.
  void forget(Order& o);

  // Takes a resting order out of the book for good and reports why.
  void remove_resting(OrderBook& book, Order* o, DoneReason why);
  uint64_t clear_book(OrderBook& book, DoneReason why);

  // ---------------------------------------------------------------- events

  // Remembers a level the command changed; `lvl` is the live level at that price.
  // A handful of levels per command is the rule: a linear scan. A command that touches many (a mass
  // cancel over every book, a deep sweep) switches to a hash index so it stays linear overall.
  void touch(const OrderBook& book, Side side, PriceLevel* lvl) {
    if (Touched* t = find_touched(book.info.id, side, lvl->price)) {
      t->level = lvl;
      return;
    }
    touched_.push_back(Touched{book.info.id, side, lvl->price, lvl});
    if (touched_.size() == kTouchedScanLimit) {
      for (uint32_t i = 0; i < touched_.size(); ++i) touched_index_.emplace(touched_key(touched_[i]), i);
    } else if (touched_.size() > kTouchedScanLimit) {
      touched_index_.emplace(touched_key(touched_.back()), static_cast<uint32_t>(touched_.size() - 1));
    }
  }

  static constexpr size_t kTouchedScanLimit = 32;
  struct TouchedKey {
    uint64_t book_side;
    Price price;
    bool operator==(const TouchedKey&) const = default;
  };
  struct TouchedKeyHash {
    size_t operator()(const TouchedKey& k) const {
      return std::hash<uint64_t>()(k.book_side * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(k.price));
    }
  };
  static TouchedKey touched_key(const Touched& t) {
    return {(static_cast<uint64_t>(t.instrument) << 1) | static_cast<uint64_t>(t.side), t.price};
  }
  Touched* find_touched(InstrumentId instrument, Side side, Price price) {
    if (touched_.size() < kTouchedScanLimit) {
      for (Touched& t : touched_) {
        if (t.price == price && t.side == side && t.instrument == instrument) return &t;
      }
      return nullptr;
    }
    auto it = touched_index_.find(touched_key(Touched{instrument, side, price, nullptr}));
    return it == touched_index_.end() ? nullptr : &touched_[it->second];
  }

  // One book change per touched level per command, in the order the levels were first touched.
  void flush() {
    for (const Touched& t : touched_) {
      const PriceLevel* lvl = t.level;
      out_.on_book_change(BookChange{now_, t.instrument, t.side, t.price, lvl ? lvl->qty : 0,
                                     lvl ? lvl->count : 0});
    }
    touched_.clear();
    touched_index_.clear();
  }

  void emit_reject(CommandKind kind, ParticipantId p, InstrumentId i, OrderId id, std::string_view cl,
                   RejectReason r, Side side = Side::Buy) {
    out_.on_rejected(OrderRejected{now_, kind, p, i, id, cl, r, side});
  }

  void emit_done(const Order& o, Quantity cancelled, DoneReason why) {
    out_.on_done(OrderDone{now_, o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side, o.price,
                           cancelled, o.filled(), why});
  }

  void emit_replaced(const Order& o, bool kept) {
    out_.on_replaced(OrderReplaced{now_, o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side,
                                   o.price, o.qty, o.remaining, kept});
  }

  EventListener& out_;
  Timestamp now_ = 0;
  OrderId next_order_id_ = 1;
  TradeId next_trade_id_ = 1;
  int64_t live_expiring_ = 0;  // open orders with an expiry timer (derived; not in snapshots)
  int64_t maker_fee_bps_ = 0;
  int64_t taker_fee_bps_ = 0;
  std::vector<Region> regions_;
  std::unordered_map<std::string, RegionId> region_by_code_;
  std::vector<NetworkLink> links_;  // in the order added
  std::string scratch_subject_;     // AdminDone's subject for a link ("NM>JJJ") lives until the next one
  std::vector<ChipClass> classes_;
  std::unordered_map<std::string, ChipClassId> class_by_code_;
  std::vector<ParticipantState> participants_;
  std::unordered_map<std::string, ParticipantId> participant_by_code_;
  std::vector<std::unique_ptr<OrderBook>> books_;
  std::unordered_map<std::string, InstrumentId> book_by_symbol_;
  detail::ObjectPool<Order> orders_;
  detail::ObjectPool<PriceLevel> levels_;
  detail::OrderIndex<Order> index_;
  CapacityRegistry capacity_;
  detail::TimerQueue timers_;
  std::vector<Touched> touched_;
  std::unordered_map<TouchedKey, uint32_t, TouchedKeyHash> touched_index_;
  // Routed orders: scratch of the one being planned and sent (nothing survives the command but the
  // buffers, so that a decision allocates nothing once they have grown). route_books_[0, count) are this
  // order's candidates; the elements beyond are kept for their buffers.
  std::vector<RouteBook> route_books_;
  size_t route_book_count_ = 0;
  std::span<RouteBook> route_books() { return {route_books_.data(), route_book_count_}; }
  RoutePaths route_paths_;
  WindowTilings route_tilings_;
  std::vector<PlannedFill> route_fills_;
  std::vector<TransportLeg> route_legs_;
  std::vector<std::pair<uint32_t, uint32_t>> route_order_;  // (candidate, segment) children in send order
  std::vector<const InstrumentInfo*> route_infos_;
  RouteInFlight route_;
  uint64_t route_plan_mismatches_ = 0;
  std::map<Timestamp, AuctionDay> auctions_;  // by delivery day
  // Every registration (and deregistration) in arrival order: the monitoring view of registered capacity
  // per region x class (the capacity registry keeps only what is free per supplier).
  struct Registration {
    RegionId region;
    ChipClassId chip_class;
    Timestamp from;
    Timestamp to;
    Quantity devices;
  };
  std::vector<Registration> registrations_;
  std::vector<TransportLeg> award_legs_;      // scratch for one award's legs  // a child met an ask its plan did not name: always 0 unless a bug

 public:
  uint64_t route_plan_mismatches() const { return route_plan_mismatches_; }
};

}  // namespace cpx
