#include "order_history.hpp"

#include <algorithm>

#include "cpx/fixed_point.hpp"

namespace cpx::persistence {

std::string_view order_status_code(OrderStatus s) {
  switch (s) {
    case OrderStatus::New: return "new";
    case OrderStatus::PartiallyFilled: return "partially_filled";
    case OrderStatus::Filled: return "filled";
    case OrderStatus::Cancelled: return "cancelled";
    case OrderStatus::Expired: return "expired";
    case OrderStatus::Accepted: return "accepted";
    case OrderStatus::Rejected: return "rejected";
  }
  return "?";
}

Price OrderRecord::average_price() const {
  if (device_hours <= 0) return 0;
  return mul_div_round(notional, 1, device_hours).value_or(0);
}

OrderRecord* OrderHistory::find(OrderId id) {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

const OrderRecord* OrderHistory::order(OrderId id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

void OrderHistory::accepted(const OrderAccepted& e) {
  OrderRecord r;
  r.order_id = e.order_id;
  r.route_id = e.route_id;
  r.participant = e.participant;
  r.instrument = e.instrument;
  r.cl_ord_id.assign(e.cl_ord_id);
  r.side = e.side;
  r.type = e.type;
  r.tif = e.tif;
  r.post_only = e.post_only;
  r.price = e.price;
  r.qty = e.qty;
  r.leaves = e.qty;
  r.created_at = r.updated_at = e.ts;
  r.expire_at = e.expire_at;
  const OrderRecord& kept = records_.insert_or_assign(e.order_id, std::move(r)).first->second;
  Own& own = own_[e.participant];
  own.orders.insert(e.order_id);
  own.open.insert(e.order_id);
  index_cl_ord_id(kept);
  if (e.route_id != 0)
    if (OrderRecord* parent = find(e.route_id)) ++parent->children;
}

void OrderHistory::index_cl_ord_id(const OrderRecord& r) {
  // A routed order's children carry its client id: the id names the routed order.
  if (r.route_id != 0 || r.cl_ord_id.empty()) return;
  by_cl_ord_id_[ClKey{r.participant, r.cl_ord_id}] = r.order_id;
}

void OrderHistory::forget_oldest_closed(Own& own) {
  const OrderId id = own.closed.front().second;
  own.closed.pop_front();
  own.orders.erase(id);
  auto it = records_.find(id);
  if (it == records_.end()) return;
  auto key = by_cl_ord_id_.find(ClKey{it->second.participant, it->second.cl_ord_id});
  if (key != by_cl_ord_id_.end() && key->second == id) by_cl_ord_id_.erase(key);
  records_.erase(it);
}

void OrderHistory::fill(OrderId order, const Trade& e, bool buy) {
  OrderRecord* r = find(order);
  const ParticipantId p = buy ? e.buyer : e.seller;
  Fill f;
  f.trade_id = e.trade_id;
  f.ts = e.ts;
  f.order_id = order;
  f.route_id = buy ? e.route_id : 0;
  f.instrument = e.instrument;
  f.side = buy ? Side::Buy : Side::Sell;
  f.maker = e.aggressor != f.side;
  f.price = e.price;
  f.qty = e.qty;
  f.notional = e.notional;
  f.fee = buy ? e.buyer_fee : e.seller_fee;
  f.transport_fee = buy ? e.transport_fee : 0;
  keep_fill(p, f);
  if (!r) return;  // an order from before the history began (a snapshot of an older version)
  r->filled += e.qty;
  r->leaves = buy ? e.buy_remaining : e.sell_remaining;
  r->notional += e.notional;
  r->device_hours += e.qty * e.hours;
  r->fees += f.fee;
  r->updated_at = e.ts;
  if (r->leaves == 0) {
    close(*r, OrderStatus::Filled, DoneReason::Filled, e.ts);
  } else {
    r->status = OrderStatus::PartiallyFilled;
  }
  if (f.route_id != 0)
    if (OrderRecord* parent = find(f.route_id)) {
      parent->filled += e.qty;
      parent->notional += e.notional;
      parent->device_hours += e.qty * e.hours;
      parent->fees += f.fee;
      parent->transport_cost += f.transport_fee;
      parent->filled_scu += e.scu;
      parent->updated_at = e.ts;
      if (parent->status == OrderStatus::New) parent->status = OrderStatus::PartiallyFilled;
    }
}

void OrderHistory::keep_fill(ParticipantId p, const Fill& f) {
  auto& fills = own_[p].fills;
  fills.push_back(f);
  if (fills.size() > limits_.max_fills) fills.pop_front();
}

void OrderHistory::trade(const Trade& e) {
  fill(e.buy_order_id, e, true);
  fill(e.sell_order_id, e, false);
}

void OrderHistory::close(OrderRecord& r, OrderStatus status, DoneReason reason, Timestamp ts) {
  if (!r.open()) return;
  r.status = status;
  r.reason = reason;
  r.leaves = 0;
  r.updated_at = ts;
  Own& own = own_[r.participant];
  own.open.erase(r.order_id);
  own.closed.emplace_back(ts, r.order_id);
  // Past the cap the oldest closed order goes (never this one: max_closed is at least 1).
  if (own.closed.size() > std::max<size_t>(limits_.max_closed, 1)) forget_oldest_closed(own);
}

void OrderHistory::done(const OrderDone& e) {
  OrderRecord* r = find(e.order_id);
  if (!r) return;
  close(*r, done_is_expiry(e.reason) ? OrderStatus::Expired : OrderStatus::Cancelled, e.reason, e.ts);
}

void OrderHistory::replaced(const OrderReplaced& e) {
  OrderRecord* r = find(e.order_id);
  if (!r) return;
  r->price = e.price;
  r->qty = e.qty;
  r->leaves = e.remaining;
  r->updated_at = e.ts;
  if (!e.cl_ord_id.empty() && e.cl_ord_id != r->cl_ord_id.view()) {
    // Renamed: its old client id no longer names it.
    auto old_key = by_cl_ord_id_.find(ClKey{r->participant, r->cl_ord_id});
    if (old_key != by_cl_ord_id_.end() && old_key->second == r->order_id) by_cl_ord_id_.erase(old_key);
    r->cl_ord_id.assign(e.cl_ord_id);
    index_cl_ord_id(*r);
  }
}

void OrderHistory::restated(const OrderRestated& e) {
  OrderRecord* r = find(e.order_id);
  if (!r) return;
  r->qty -= e.decrement;
  r->leaves = e.remaining;
  r->updated_at = e.ts;
}

void OrderHistory::route_accepted(const RouteAccepted& e) {
  OrderRecord r;
  r.order_id = e.route_id;
  r.routed = true;
  r.participant = e.participant;
  r.cl_ord_id.assign(e.cl_ord_id);
  r.tif = e.tif;
  r.scu = e.scu;
  r.limit_per_scu_hour = e.limit_per_scu_hour;
  r.created_at = r.updated_at = e.ts;
  const OrderRecord& kept = records_.insert_or_assign(e.route_id, std::move(r)).first->second;
  Own& own = own_[e.participant];
  own.orders.insert(e.route_id);
  own.open.insert(e.route_id);
  index_cl_ord_id(kept);
}

void OrderHistory::route_done(const RouteDone& e) {
  OrderRecord* r = find(e.route_id);
  if (!r) return;
  r->qty = e.devices;
  r->filled_scu = e.filled_scu;
  close(*r, e.reason == DoneReason::Filled ? OrderStatus::Filled : OrderStatus::Cancelled, e.reason, e.ts);
}

void OrderHistory::auction_accepted(const AuctionOrderAccepted& e) {
  OrderRecord r;
  r.order_id = e.order_id;
  r.participant = e.participant;
  r.cl_ord_id.assign(e.cl_ord_id);
  r.tif = TimeInForce::GTC;  // open until the auction clears or it is withdrawn
  r.auction_day = e.day_start;
  r.created_at = r.updated_at = e.ts;
  if (e.offer) {
    r.auction = AuctionSide::Offer;
    r.side = Side::Sell;
    r.region = e.offer->region;
    r.chip_class = e.offer->chip_class;
    r.first_hour = e.offer->hour;
    r.hours = 1;
    r.price = e.offer->price;
    r.qty = r.leaves = e.offer->devices;
  } else if (e.bid) {
    r.auction = AuctionSide::Bid;
    r.side = Side::Buy;
    r.first_hour = e.bid->first_hour;
    r.hours = e.bid->hours;
    r.scu = e.bid->constraints.scu;
    r.limit_per_scu_hour = e.bid->constraints.limit_per_scu_hour;
  } else {
    return;
  }
  const OrderRecord& kept = records_.insert_or_assign(e.order_id, std::move(r)).first->second;
  Own& own = own_[e.participant];
  own.orders.insert(e.order_id);
  own.open.insert(e.order_id);
  index_cl_ord_id(kept);
}

// An award is a fill of the bid and of the offer: devices for one hour at the zone's price.
void OrderHistory::auction_award(const AuctionAward& a) {
  for (const bool buy : {true, false}) {
    Fill f;
    f.trade_id = a.trade_id;
    f.ts = a.ts;
    f.order_id = buy ? a.bid_id : a.offer_id;
    f.side = buy ? Side::Buy : Side::Sell;
    f.price = a.price;
    f.qty = a.devices;
    f.notional = a.notional;
    f.fee = buy ? a.buyer_fee : a.seller_fee;
    f.transport_fee = buy ? a.transport_fee : 0;
    f.auction = true;
    f.region = a.region;
    f.chip_class = a.chip_class;
    f.window_start = a.window_start;
    keep_fill(buy ? a.buyer : a.seller, f);
    if (OrderRecord* r = find(f.order_id)) {
      r->filled += a.devices;
      r->notional += a.notional;
      r->device_hours += a.devices;  // one hour
      r->fees += f.fee;
      r->transport_cost += f.transport_fee;
      r->updated_at = a.ts;
    }
  }
}

void OrderHistory::auction_done(const AuctionOrderDone& e) {
  OrderRecord* r = find(e.order_id);
  if (!r || r->auction == AuctionSide::None) return;
  if (e.is_bid) r->filled_scu = e.accepted;
  if (e.status == AuctionOrderStatus::Cancelled) return close(*r, OrderStatus::Cancelled, DoneReason::Cancelled, e.ts);
  close(*r, e.status == AuctionOrderStatus::Accepted ? OrderStatus::Accepted : OrderStatus::Rejected, DoneReason::Filled, e.ts);
  r->reason.reset();  // cleared: the status says how, there is no done reason
}

void OrderHistory::expire(Timestamp now) {
  // What is kept depends on `now` alone (closed at or after the cutoff), never on when this last ran: an
  // exchange restored from a snapshot keeps exactly what the original keeps, command for command (their
  // state hashes agree). The cutoff moves once a minute, so the scan below runs once a minute.
  const Timestamp minute = 60 * kNanosPerSecond;
  if (now < INT64_MIN + limits_.retention_ns + minute) return;
  const Timestamp cutoff = now - (now % minute + minute) % minute - limits_.retention_ns;
  if (cutoff <= last_cutoff_) return;
  last_cutoff_ = cutoff;
  // Each participant's closed orders and fills, oldest first.
  for (auto it = own_.begin(); it != own_.end();) {
    Own& own = it->second;
    while (!own.closed.empty() && own.closed.front().first < cutoff) forget_oldest_closed(own);
    while (!own.fills.empty() && own.fills.front().ts < cutoff) own.fills.pop_front();
    it = (own.fills.empty() && own.orders.empty()) ? own_.erase(it) : std::next(it);
  }
}

const OrderRecord* OrderHistory::order_by_cl_ord_id(ParticipantId p, std::string_view cl_ord_id) const {
  ClKey key{p, {}};
  if (cl_ord_id.empty() || !key.cl_ord_id.assign(cl_ord_id)) return nullptr;
  auto it = by_cl_ord_id_.find(key);
  return it == by_cl_ord_id_.end() ? nullptr : order(it->second);
}

std::vector<const OrderRecord*> OrderHistory::open_orders(ParticipantId p, InstrumentId instrument) const {
  std::vector<const OrderRecord*> out;
  auto own = own_.find(p);
  if (own == own_.end()) return out;
  for (OrderId id : own->second.open) {
    const OrderRecord* r = order(id);
    if (r && (instrument == kNoInstrument || r->instrument == instrument)) out.push_back(r);
  }
  return out;
}

std::vector<const OrderRecord*> OrderHistory::orders(ParticipantId p, InstrumentId instrument, OrderId before,
                                                     size_t limit) const {
  std::vector<const OrderRecord*> out;
  auto own = own_.find(p);
  if (own == own_.end()) return out;
  const auto& ids = own->second.orders;
  auto it = before == 0 ? ids.end() : ids.lower_bound(before);
  while (it != ids.begin() && out.size() < limit) {
    --it;
    const OrderRecord* r = order(*it);
    if (r && (instrument == kNoInstrument || r->instrument == instrument)) out.push_back(r);
  }
  return out;
}

std::vector<const OrderRecord*> OrderHistory::children(const OrderRecord& route) const {
  std::vector<const OrderRecord*> out;
  auto own = own_.find(route.participant);
  if (own == own_.end() || !route.routed) return out;
  // Its children were placed within the command that placed it, so their ids follow its own.
  for (auto it = own->second.orders.upper_bound(route.order_id); it != own->second.orders.end(); ++it) {
    const OrderRecord* r = order(*it);
    if (!r || r->route_id != route.order_id) break;
    out.push_back(r);
  }
  return out;
}

std::vector<const Fill*> OrderHistory::fills(ParticipantId p, TradeId after, Timestamp from, Timestamp to,
                                             size_t limit) const {
  std::vector<const Fill*> out;
  auto own = own_.find(p);
  if (own == own_.end()) return out;
  const auto& fills = own->second.fills;
  // Trade ids and times grow together: both bounds are binary searches.
  auto it = std::upper_bound(fills.begin(), fills.end(), after, [](TradeId t, const Fill& f) { return t < f.trade_id; });
  it = std::max(it, std::lower_bound(fills.begin(), fills.end(), from, [](const Fill& f, Timestamp t) { return f.ts < t; }));
  for (; it != fills.end() && out.size() < limit && it->ts < to; ++it) out.push_back(&*it);
  return out;
}

size_t OrderHistory::fill_count() const {
  size_t n = 0;
  for (const auto& [p, own] : own_) n += own.fills.size();
  return n;
}

namespace {

void save_record(ByteWriter& w, const OrderRecord& r) {
  w.u64(r.order_id);
  w.u64(r.route_id);
  w.u8(r.routed);
  w.u32(r.participant);
  w.u32(r.instrument);
  w.str(r.cl_ord_id.view());
  w.u8(static_cast<uint8_t>(r.side));
  w.u8(static_cast<uint8_t>(r.type));
  w.u8(static_cast<uint8_t>(r.tif));
  w.u8(r.post_only);
  w.i64(r.price);
  w.i64(r.qty);
  w.i64(r.filled);
  w.i64(r.leaves);
  w.i64(r.notional);
  w.i64(r.device_hours);
  w.i64(r.fees);
  w.u8(static_cast<uint8_t>(r.status));
  w.u8(r.reason ? static_cast<uint8_t>(*r.reason) + 1 : 0);
  w.i64(r.created_at);
  w.i64(r.updated_at);
  w.i64(r.expire_at);
  w.i64(r.scu);
  w.i64(r.filled_scu);
  w.i64(r.limit_per_scu_hour);
  w.i64(r.transport_cost);
  w.u32(r.children);
  w.u8(static_cast<uint8_t>(r.auction));
  w.i64(r.auction_day);
  w.i64(r.first_hour);
  w.i64(r.hours);
  w.u32(r.region);
  w.u32(r.chip_class);
}

}  // namespace

void OrderHistory::save(ByteWriter& w) const {
  // Records in id order, so equal histories give equal bytes (the state hash is over the snapshot).
  std::vector<OrderId> ids;
  ids.reserve(records_.size());
  for (const auto& [id, r] : records_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  w.u64(ids.size());
  for (OrderId id : ids) save_record(w, records_.at(id));
  // Per participant: its closed orders in the order they closed (what goes first past the cap), its fills.
  std::vector<ParticipantId> parts;
  for (const auto& [p, own] : own_)
    if (!own.fills.empty() || !own.closed.empty()) parts.push_back(p);
  std::sort(parts.begin(), parts.end());
  w.u64(parts.size());
  for (ParticipantId p : parts) {
    const Own& own = own_.at(p);
    w.u32(p);
    w.u64(own.closed.size());
    for (const auto& [ts, id] : own.closed) {
      w.i64(ts);
      w.u64(id);
    }
    const auto& fills = own.fills;
    w.u64(fills.size());
    for (const Fill& f : fills) {
      w.u64(f.trade_id);
      w.i64(f.ts);
      w.u64(f.order_id);
      w.u64(f.route_id);
      w.u32(f.instrument);
      w.u8(static_cast<uint8_t>(f.side));
      w.u8(f.maker);
      w.i64(f.price);
      w.i64(f.qty);
      w.i64(f.notional);
      w.i64(f.fee);
      w.i64(f.transport_fee);
      w.u8(f.auction);
      w.u32(f.region);
      w.u32(f.chip_class);
      w.i64(f.window_start);
    }
  }
  std::vector<OrderId> indexed;
  indexed.reserve(by_cl_ord_id_.size());
  for (const auto& [key, id] : by_cl_ord_id_) indexed.push_back(id);
  std::sort(indexed.begin(), indexed.end());
  w.u64(indexed.size());
  for (OrderId id : indexed) w.u64(id);
}

Result<bool> OrderHistory::load(ByteReader& r) {
  auto bad = [](const std::string& what) { return make_error("snapshot_corrupt", "order history " + what); };
  if (!records_.empty() || !own_.empty()) return make_error("snapshot_target", "order history is not empty");
  for (uint64_t n = r.count(100), i = 0; i < n && r.ok(); ++i) {
    OrderRecord o;
    o.order_id = r.u64();
    o.route_id = r.u64();
    o.routed = r.u8() != 0;
    o.participant = r.u32();
    o.instrument = r.u32();
    r.cl_ord_id(o.cl_ord_id);
    o.side = r.small_enum<Side>(2);
    o.type = r.small_enum<OrderType>(2);
    o.tif = r.small_enum<TimeInForce>(5);
    o.post_only = r.u8() != 0;
    o.price = r.i64();
    o.qty = r.i64();
    o.filled = r.i64();
    o.leaves = r.i64();
    o.notional = r.i64();
    o.device_hours = r.i64();
    o.fees = r.i64();
    o.status = r.small_enum<OrderStatus>(7);
    if (const uint8_t reason = r.u8(); reason > 0) {
      if (reason > static_cast<uint8_t>(DoneReason::Filled) + 1) return bad("has an unknown reason");
      o.reason = static_cast<DoneReason>(reason - 1);
    }
    o.created_at = r.i64();
    o.updated_at = r.i64();
    o.expire_at = r.i64();
    o.scu = r.i64();
    o.filled_scu = r.i64();
    o.limit_per_scu_hour = r.i64();
    o.transport_cost = r.i64();
    o.children = r.u32();
    o.auction = r.small_enum<AuctionSide>(3);
    o.auction_day = r.i64();
    o.first_hour = static_cast<int32_t>(r.i64());
    o.hours = static_cast<int32_t>(r.i64());
    o.region = r.u32();
    o.chip_class = r.u32();
    if (!r.ok()) break;
    Own& own = own_[o.participant];
    own.orders.insert(o.order_id);
    if (o.open()) own.open.insert(o.order_id);
    if (!records_.emplace(o.order_id, std::move(o)).second) return bad("has an order twice");
  }
  size_t closed_listed = 0;
  for (uint64_t n = r.count(20), i = 0; i < n && r.ok(); ++i) {
    const ParticipantId p = r.u32();
    Own& own = own_[p];
    for (uint64_t m = r.count(16), j = 0; j < m && r.ok(); ++j) {
      const Timestamp ts = r.i64();
      const OrderId id = r.u64();
      const OrderRecord* closed = order(id);
      if (!closed || closed->open() || closed->participant != p) return bad("lists a closed order it does not hold");
      if (!own.closed.empty() && ts < own.closed.back().first) return bad("has closed orders out of order");
      own.closed.emplace_back(ts, id);
      ++closed_listed;
    }
    auto& fills = own.fills;
    for (uint64_t m = r.count(70), j = 0; j < m && r.ok(); ++j) {
      Fill f;
      f.trade_id = r.u64();
      f.ts = r.i64();
      f.order_id = r.u64();
      f.route_id = r.u64();
      f.instrument = r.u32();
      f.side = r.small_enum<Side>(2);
      f.maker = r.u8() != 0;
      f.price = r.i64();
      f.qty = r.i64();
      f.notional = r.i64();
      f.fee = r.i64();
      f.transport_fee = r.i64();
      f.auction = r.u8() != 0;
      f.region = r.u32();
      f.chip_class = r.u32();
      f.window_start = r.i64();
      if (!fills.empty() && f.trade_id < fills.back().trade_id) return bad("has fills out of order");
      fills.push_back(f);
    }
  }
  if (!r.ok()) return bad("is truncated or has a value out of range");
  size_t closed_held = 0;
  for (const auto& [id, o] : records_) closed_held += !o.open();
  if (closed_held != closed_listed) return bad("holds closed orders it does not list");
  // The client id index as it was (which order a client id names depends on the order of events).
  for (uint64_t n = r.count(8), i = 0; i < n && r.ok(); ++i) {
    const OrderId id = r.u64();
    const OrderRecord* o = order(id);
    if (!o || o->cl_ord_id.empty()) return bad("indexes an order it does not hold");
    if (!by_cl_ord_id_.emplace(ClKey{o->participant, o->cl_ord_id}, id).second) return bad("indexes a client id twice");
  }
  if (!r.ok()) return bad("is truncated or has a value out of range");
  return true;
}

}  // namespace cpx::persistence
