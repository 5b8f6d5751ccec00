#pragma once
// A participant's own orders and fills, as the engine reported them (docs/API.md, "Your orders, fills and
// money"): every order's state, cumulative quantity, money and times, from its acceptance to well after
// it is done, and every fill. Part of the exchange's state: fed by the engine's events on the engine
// thread, carried in snapshots and rebuilt by replaying the journal, so it survives restarts without a
// file of its own.
//
// Open orders are kept as long as they are open; closed orders and fills for `retention_ns` after they
// closed (traded), and at most `max_closed` closed orders and `max_fills` fills per participant (a client
// sending IOCs all day must not grow the exchange's memory and snapshots without bound): the oldest are
// forgotten first, in the order they closed. Both rules follow the exchange's time and events only, so a
// replay or a restored snapshot forgets the same ones. A routed order is one record (its id is the route
// id) whose children are orders of their own carrying its id as `route_id`.
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cpx/bytes.hpp"
#include "cpx/events.hpp"
#include "cpx/result.hpp"

namespace cpx::persistence {

// Accepted and Rejected end day-ahead auction orders: cleared with some (`filled`) or none accepted.
enum class OrderStatus : uint8_t { New, PartiallyFilled, Filled, Cancelled, Expired, Accepted, Rejected };
// A day-ahead auction order (docs/API.md §2 auction_offer / auction_bid): a supplier's offer of devices
// for one hour in one zone, or a buyer's block of SCU per hour over consecutive hours.
enum class AuctionSide : uint8_t { None, Offer, Bid };
std::string_view order_status_code(OrderStatus s);

struct OrderRecord {
  OrderId order_id = 0;
  OrderId route_id = 0;  // a routed child: its parent; 0 otherwise
  bool routed = false;   // this record is a routed order (the parent)
  ParticipantId participant = 0;
  InstrumentId instrument = kNoInstrument;  // kNoInstrument for a routed parent (it buys in many books)
  ClOrdId cl_ord_id;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GTC;
  bool post_only = false;
  Price price = 0;          // limit, CNY per device-hour (routed: 0)
  Quantity qty = 0;         // devices asked (routed: bought)
  Quantity filled = 0;      // devices bought or sold
  Quantity leaves = 0;      // still open
  Money notional = 0;       // sum of its trades' notionals
  int64_t device_hours = 0; // sum of its trades' devices x hours: average price = notional / device_hours
  Money fees = 0;           // its side's exchange fees
  OrderStatus status = OrderStatus::New;
  std::optional<DoneReason> reason;  // why it is done, once it is
  Timestamp created_at = 0, updated_at = 0, expire_at = 0;
  // Routed parents only.
  int64_t scu = 0, filled_scu = 0, limit_per_scu_hour = 0;
  Money transport_cost = 0;
  uint32_t children = 0;
  // Auction orders only (instrument kNoInstrument). Offers: region, chip class, price, qty (devices; filled:
  // accepted). Bids: scu (SCU per hour), filled_scu (accepted SCU per hour), limit_per_scu_hour; qty and
  // leaves 0, filled the devices awarded over all hours.
  AuctionSide auction = AuctionSide::None;
  Timestamp auction_day = 0;  // 00:00 CST of the delivery day
  int32_t first_hour = 0, hours = 0;
  RegionId region = 0;
  ChipClassId chip_class = 0;

  bool open() const { return status == OrderStatus::New || status == OrderStatus::PartiallyFilled; }
  // Average price per device-hour, rounded half away from zero; 0 before any fill.
  Price average_price() const;
};

struct Fill {
  TradeId trade_id = 0;
  Timestamp ts = 0;
  OrderId order_id = 0;
  OrderId route_id = 0;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::Buy;
  bool maker = false;     // its order was resting (the other side aggressed)
  Price price = 0;
  Quantity qty = 0;
  Money notional = 0;
  Money fee = 0;
  Money transport_fee = 0;  // a routed buy's transfer cost for this fill
  // An auction award (instrument kNoInstrument): the zone and the hour it delivers.
  bool auction = false;
  RegionId region = 0;
  ChipClassId chip_class = 0;
  Timestamp window_start = 0;
};

struct HistoryLimits {
  int64_t retention_ns = 31 * kNanosPerDay;
  size_t max_closed = 100'000;  // closed orders kept per participant
  size_t max_fills = 100'000;   // fills kept per participant
};

class OrderHistory {
 public:
  explicit OrderHistory(HistoryLimits limits = {}) : limits_(limits) {}

  // Engine events (the engine thread, in order).
  void accepted(const OrderAccepted& e);
  void trade(const Trade& e);
  void done(const OrderDone& e);
  void replaced(const OrderReplaced& e);
  void restated(const OrderRestated& e);
  void route_accepted(const RouteAccepted& e);
  void route_done(const RouteDone& e);
  void auction_accepted(const AuctionOrderAccepted& e);
  void auction_award(const AuctionAward& e);
  void auction_done(const AuctionOrderDone& e);
  // Forgets orders closed, and fills made, before `now` (rounded down to the minute) minus the retention.
  // Cheap enough to call for every command: the work is done when the minute changes.
  void expire(Timestamp now);

  const OrderRecord* order(OrderId id) const;
  // A participant's order by its client order id: the newest with that id (a routed order, never one of
  // its children, which carry the same id).
  const OrderRecord* order_by_cl_ord_id(ParticipantId p, std::string_view cl_ord_id) const;
  // Open orders (oldest first), of one instrument or (kNoInstrument) all.
  std::vector<const OrderRecord*> open_orders(ParticipantId p, InstrumentId instrument = kNoInstrument) const;
  // Orders open or closed, newest first, with ids below `before` (0: from the newest), at most `limit`.
  std::vector<const OrderRecord*> orders(ParticipantId p, InstrumentId instrument, OrderId before, size_t limit) const;
  // A routed order's children, oldest first.
  std::vector<const OrderRecord*> children(const OrderRecord& route) const;
  // Fills with trade id > after and from <= ts < to, oldest first, at most `limit`.
  std::vector<const Fill*> fills(ParticipantId p, TradeId after, Timestamp from, Timestamp to, size_t limit) const;

  size_t order_count() const { return records_.size(); }
  size_t open_count(ParticipantId p) const {
    auto it = own_.find(p);
    return it == own_.end() ? 0 : it->second.open.size();
  }
  size_t fill_count() const;

  void save(ByteWriter& w) const;
  Result<bool> load(ByteReader& r);  // into an empty history

 private:
  struct Own {
    std::set<OrderId> orders;  // every kept order of the participant
    std::set<OrderId> open;
    std::deque<std::pair<Timestamp, OrderId>> closed;  // kept closed orders, in the order they closed
    std::deque<Fill> fills;    // in trade id order
  };
  // (participant, client order id) -> the newest order with it, for lookups by client id.
  struct ClKey {
    ParticipantId participant;
    ClOrdId cl_ord_id;
    bool operator==(const ClKey& o) const { return participant == o.participant && cl_ord_id == o.cl_ord_id; }
  };
  struct ClKeyHash {
    size_t operator()(const ClKey& k) const {
      return std::hash<std::string_view>()(k.cl_ord_id.view()) ^ (static_cast<size_t>(k.participant) * 0x9E3779B97F4A7C15ull);
    }
  };
  OrderRecord* find(OrderId id);
  void fill(OrderId order, const Trade& e, bool buy);
  void keep_fill(ParticipantId p, const Fill& f);
  void close(OrderRecord& r, OrderStatus status, DoneReason reason, Timestamp ts);
  void index_cl_ord_id(const OrderRecord& r);
  void forget_oldest_closed(Own& own);  // drops own.closed.front() and its record

  HistoryLimits limits_;
  Timestamp last_cutoff_ = INT64_MIN;  // closed before this (exchange time) is forgotten
  std::unordered_map<OrderId, OrderRecord> records_;
  std::unordered_map<ParticipantId, Own> own_;
  std::unordered_map<ClKey, OrderId, ClKeyHash> by_cl_ord_id_;
};

}  // namespace cpx::persistence
