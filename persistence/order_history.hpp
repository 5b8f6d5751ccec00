#pragma once
// A participant's own orders and fills, as the engine reported them (docs/API.md, "Your orders, fills and
// money"): every order's state, cumulative quantity, money and times, from its acceptance to well after
// it is done, and every fill. Part of the exchange's state: fed by the engine's events on the engine
// thread, carried in snapshots and rebuilt by replaying the journal, so it survives restarts without a
// file of its own.
//
// Open orders are kept as long as they are open; closed orders and fills for `retention_ns` after they
// closed (traded), then forgotten in the order they closed (the exchange's time, so replay forgets the
// same ones). A routed order is one record (its id is the route id) whose children are orders of their
// own carrying its id as `route_id`.
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

enum class OrderStatus : uint8_t { New, PartiallyFilled, Filled, Cancelled, Expired };
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
};

class OrderHistory {
 public:
  explicit OrderHistory(int64_t retention_ns = 31 * kNanosPerDay) : retention_ns_(retention_ns) {}

  // Engine events (the engine thread, in order).
  void accepted(const OrderAccepted& e);
  void trade(const Trade& e);
  void done(const OrderDone& e);
  void replaced(const OrderReplaced& e);
  void restated(const OrderRestated& e);
  void route_accepted(const RouteAccepted& e);
  void route_done(const RouteDone& e);
  // Forgets orders closed, and fills made, before `now` (rounded down to the minute) minus the retention.
  // Cheap enough to call for every command: the work is done when the minute changes.
  void expire(Timestamp now);

  const OrderRecord* order(OrderId id) const;
  // A participant's order by its client order id: the newest with that id.
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
  size_t fill_count() const;

  void save(ByteWriter& w) const;
  Result<bool> load(ByteReader& r);  // into an empty history

 private:
  struct Own {
    std::set<OrderId> orders;  // every kept order of the participant
    std::set<OrderId> open;
    std::deque<Fill> fills;    // in trade id order
  };
  OrderRecord* find(OrderId id);
  void fill(OrderId order, const Trade& e, bool buy);
  void close(OrderRecord& r, OrderStatus status, DoneReason reason, Timestamp ts);

  int64_t retention_ns_;
  Timestamp last_cutoff_ = INT64_MIN;  // closed before this (exchange time) is forgotten
  std::unordered_map<OrderId, OrderRecord> records_;
  std::unordered_map<ParticipantId, Own> own_;
  std::deque<std::pair<Timestamp, OrderId>> closed_;  // in the order they closed (time only grows)
};

}  // namespace cpx::persistence
