// A routed order over FIX (docs/FIX.md §3.7, §4.10): the NewOrderSingle with Symbol(55) = ROUTE turned
// into a RoutedOrder, and the routed order reported to the client as one order (its fills in SCU and
// landed CNY per SCU-hour). Part of FixSink, engine thread.
#include <algorithm>

#include "cpx/fixed_point.hpp"
#include "fix/fix_sink.hpp"

namespace cpx::fix {

using fixapi::FixMessage;

// A NewOrderSingle with Symbol(55) = ROUTE: a routed buy (docs/PRODUCT.md §3.2) whose constraints travel in
// CPX tags (docs/FIX.md §3.7). Everything the gateway can check without the engine's state is checked
// here with a sentence naming the tag; the engine checks the query again and decides what depends on its
// state (the buy role, credit, what the books hold), rejecting with its own reason.
void FixSink::routed_request(uint64_t session, ParticipantId p, const FixMessage& msg, Timestamp now,
                             std::vector<Command>& out) {
  auto refuse_with = [&](RejectReason r, const std::string& text) { refuse(session, msg, r, text); };
  RoutedOrder o;
  o.ts = now;
  o.participant = p;
  if (!o.cl_ord_id.assign(msg.value(tag::ClOrdID))) {
    return refuse_with(RejectReason::MalformedRequest, "ClOrdID(11) may be at most 32 bytes");
  }
  if (!o.cl_ord_id.view().empty() && core_.cl_ord_id_in_use(p, o.cl_ord_id.view(), now)) {
    return refuse_with(RejectReason::DuplicateClOrdId,
                       "ClOrdID '" + std::string(o.cl_ord_id.view()) + "' is taken: by an open order, or by an order placed today (CST)");
  }
  if (msg.value(tag::Side) != "1") return refuse_with(RejectReason::InvalidOrderType, "a routed order buys: Side(54) must be 1");
  if (msg.value(tag::OrdType) != "2") {
    return refuse_with(RejectReason::InvalidOrderType, "a routed order is a limit order: OrdType(40) must be 2");
  }
  // The limit of a routed order is landed and per SCU-hour; a Price(44) per device-hour would say
  // something else, so it is refused rather than silently ignored.
  if (msg.get(tag::Price)) {
    return refuse_with(RejectReason::InvalidPrice,
                       "a routed order takes no Price(44): its limit is CpxLandedLimit(20037), CNY per SCU-hour landed");
  }
  const std::string tif = msg.value(tag::TimeInForce);
  if (tif.empty() || tif == "3") {
    o.tif = TimeInForce::IOC;
  } else if (tif == "4") {
    o.tif = TimeInForce::FOK;
  } else {
    return refuse_with(RejectReason::InvalidOrderType, "a routed order is IOC or FOK: TimeInForce(59) must be 3 or 4");
  }
  RouteQuery& q = o.query;
  int64_t n = 0;
  if (!parse_int(msg.value(tag::OrderQty), n) || n <= 0 || n > kMaxDevices) {
    return refuse_with(RejectReason::InvalidQuantity,
                       "OrderQty(38) of a routed order is its quantity in SCU: a whole number from 1 to 1000000000");
  }
  q.scu = n;
  const auto& names = core_.names();
  const std::vector<std::string> classes = words(msg.value(tag::CpxRouteClasses));
  if (classes.empty()) {
    return refuse_with(RejectReason::MalformedRequest, "CpxRouteClasses(20030) is required: chip class codes separated by spaces");
  }
  for (const std::string& c : classes) {
    const ChipClassId id = names.chip_class(c);
    if (id == UINT16_MAX) return refuse_with(RejectReason::UnknownChipClass, "CpxRouteClasses(20030): unknown chip class '" + c + "'");
    if (names.chip_class_info(id)->family != names.chip_class_info(names.chip_class(classes.front()))->family) {
      return refuse_with(RejectReason::InvalidValue, "CpxRouteClasses(20030): the classes must all be of one family (ai or general)");
    }
    q.classes.push_back(id);
  }
  const std::vector<std::string> regions = words(msg.value(tag::CpxRouteRegions));
  if (!(regions.empty() || (regions.size() == 1 && regions[0] == "any"))) {
    for (const std::string& r : regions) {
      const RegionId id = names.region(r);
      if (id == UINT16_MAX) return refuse_with(RejectReason::UnknownRegion, "CpxRouteRegions(20031): unknown region '" + r + "'");
      q.regions.push_back(id);
    }
  }
  const std::string origin = msg.value(tag::CpxRouteOrigin);
  if (origin.empty()) return refuse_with(RejectReason::MalformedRequest, "CpxRouteOrigin(20032) is required: the region where the data is");
  q.origin = names.region(origin);
  if (q.origin == UINT16_MAX) return refuse_with(RejectReason::UnknownRegion, "CpxRouteOrigin(20032): unknown region '" + origin + "'");
  if (const std::string* v = msg.get(tag::CpxMaxLatencyMs)) {
    if (!parse_int(*v, n) || n < 0) {
      return refuse_with(RejectReason::InvalidValue, "CpxMaxLatencyMs(20033) must be a whole number of milliseconds, 0 or more");
    }
    q.max_latency_ms = n;
  }
  const std::vector<std::string> residency = words(msg.value(tag::CpxResidency));
  if (residency.size() == 1 && residency[0] == "local") {
    q.local_only = true;
  } else if (!(residency.empty() || (residency.size() == 1 && residency[0] == "any"))) {
    for (const std::string& j : residency) {
      if (j == "any" || j == "local") {
        return refuse_with(RejectReason::InvalidValue,
                           "CpxResidency(20034) is \"any\", \"local\" or jurisdictions separated by spaces");
      }
      q.jurisdictions.push_back(j);
    }
  }
  if (const std::string* v = msg.get(tag::CpxMinGreenShare)) {
    auto g = parse_fixed(*v, 4);
    if (!g || *g < 0 || *g > kScale) return refuse_with(RejectReason::InvalidValue, "CpxMinGreenShare(20035) must be a decimal from 0 to 1, like 0.45");
    q.min_green_share = *g;
  }
  if (const std::string* v = msg.get(tag::CpxDataGb)) {
    if (!parse_int(*v, n) || n < 0 || n > 1'000'000'000) {
      return refuse_with(RejectReason::InvalidValue, "CpxDataGb(20036) must be whole GB, 0 to 1000000000");
    }
    q.data_gb = n;
  }
  if (!parse_utc_timestamp(msg.value(tag::CpxWindowStart), q.window_start) ||
      !parse_utc_timestamp(msg.value(tag::CpxWindowEnd), q.window_end)) {
    return refuse_with(RejectReason::InvalidWindow,
                       "a routed order needs its delivery window: CpxWindowStart(20022) and CpxWindowEnd(20023), UTC");
  }
  if (q.window_end <= q.window_start) {
    return refuse_with(RejectReason::InvalidWindow, "CpxWindowEnd(20023) must be after CpxWindowStart(20022)");
  }
  auto limit = parse_fixed(msg.value(tag::CpxLandedLimit), static_cast<int>(kScuPriceDecimals));
  if (!limit || *limit <= 0) {
    return refuse_with(RejectReason::InvalidPrice,
                       "CpxLandedLimit(20037) is required: the most paid per SCU-hour landed, a positive decimal with at most 8 decimals");
  }
  if (*limit > kMaxPrice) {  // the engine's bound, said here in the routed order's own unit
    return refuse_with(RejectReason::InvalidPrice, "CpxLandedLimit(20037) may be at most 1000000 CNY per SCU-hour");
  }
  q.limit_per_scu_hour = *limit;
  if (const char* why = tidy_route_lists(q)) return refuse_with(RejectReason::InvalidValue, std::string("CpxResidency(20034): ") + why);
  out.push_back(std::move(o));
}

std::shared_ptr<FixMessage> FixSink::route_report(OrderId route_id, const RouteState& r, char exec_type, char ord_status,
                                                  Timestamp ts) {
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "8";
  m->set(tag::OrderID, std::to_string(route_id));
  if (!r.cl_ord_id.empty()) m->set(tag::ClOrdID, r.cl_ord_id);
  m->set(tag::ExecID, next_exec_id());
  m->set(tag::ExecType, std::string(1, exec_type));
  m->set(tag::OrdStatus, std::string(1, ord_status));
  m->set(tag::Symbol, kRouteSymbol);
  m->set(tag::Side, "1");
  m->set(tag::OrderQty, std::to_string(r.scu));
  m->set(tag::OrdType, "2");
  m->set(tag::TimeInForce, std::string(1, r.tif));
  m->set(tag::CumQty, std::to_string(r.cum_scu));
  // AvgPx: the landed price paid per SCU-hour so far (compute and transport, fees excluded, as the limit).
  m->set(tag::AvgPx, format_fixed(r.scu_hours == 0 ? 0 : div_half_up(r.landed * (kScuPriceScale / kScale), r.scu_hours),
                                  static_cast<int>(kScuPriceDecimals)));
  m->set(tag::LeavesQty, std::to_string(std::max<int64_t>(0, r.scu - r.cum_scu)));
  m->set(tag::TransactTime, utc_timestamp(ts));
  return m;
}

void FixSink::on_route_accepted(const RouteAccepted& e) {
  RouteState r;
  r.cl_ord_id = std::string(e.cl_ord_id);
  r.tif = e.tif == TimeInForce::FOK ? '4' : '3';
  r.scu = e.scu;
  if (has_sessions(e.participant)) {
    auto m = route_report(e.route_id, r, '0', '0', e.ts);
    m->set(tag::CpxRouteOrigin, std::string(core_.names().region_code(e.origin)));
    m->set(tag::CpxDataGb, std::to_string(e.data_gb));
    m->set(tag::CpxWindowStart, utc_timestamp(e.window_start));
    m->set(tag::CpxWindowEnd, utc_timestamp(e.window_end));
    m->set(tag::CpxLandedLimit, format_fixed(e.limit_per_scu_hour, static_cast<int>(kScuPriceDecimals)));
    to_participant(e.participant, std::move(m));
  }
  routes_[e.route_id] = std::move(r);
}

// One fill of a routed order, reported as the routed order's in its own units, so that LastPx and AvgPx
// (and LastQty and CumQty) can be added up: LastQty the SCU of the fill, LastPx its landed price per
// SCU-hour (compute and transport, as AvgPx). The book's own units (devices, CNY per device-hour) are in
// CpxBookQty and CpxBookPx, Symbol is the book.
void FixSink::routed_fill(OrderId route_id, const Trade& e) {
  auto it = routes_.find(route_id);
  if (it == routes_.end()) return;
  RouteState& r = it->second;
  r.cum_scu += e.scu;
  r.landed += static_cast<__int128>(e.notional) + e.transport_fee;
  r.scu_hours += static_cast<__int128>(e.scu) * e.hours;
  if (!has_sessions(e.buyer)) return;
  auto m = route_report(route_id, r, 'F', r.cum_scu >= r.scu ? '2' : '1', e.ts);
  for (fixapi::FixField& f : m->fields)
    if (f.tag == tag::Symbol) f.value = std::string(core_.names().symbol(e.instrument));
  m->set(tag::SecondaryOrderID, std::to_string(e.buy_order_id));
  m->set(tag::LastQty, std::to_string(e.scu));
  const __int128 fill_scu_hours = static_cast<__int128>(e.scu) * e.hours;
  const __int128 fill_landed = static_cast<__int128>(e.notional) + e.transport_fee;
  m->set(tag::LastPx, format_fixed(fill_scu_hours == 0 ? 0 : div_half_up(fill_landed * (kScuPriceScale / kScale), fill_scu_hours),
                                   static_cast<int>(kScuPriceDecimals)));
  m->set(tag::LastLiquidityInd, "2");  // a routed order's children only take liquidity (IOC)
  m->set(tag::CpxBookQty, std::to_string(e.qty));
  m->set(tag::CpxBookPx, format_fixed(e.price));
  m->set(tag::CpxTradeID, std::to_string(e.trade_id));
  m->set(tag::CpxTradeNotional, format_fixed(e.notional));
  m->set(tag::CpxTradeFee, format_fixed(e.buyer_fee));
  m->set(tag::CpxPricePerScuHour, format_fixed(e.price_per_scu_hour, 8));
  m->set(tag::CpxTransportFee, format_fixed(e.transport_fee));
  r.last_fill = m;
  to_participant(e.buyer, std::move(m));
}

void FixSink::on_route_done(const RouteDone& e) {
  auto it = routes_.find(e.route_id);
  if (it == routes_.end()) return;
  RouteState& r = it->second;
  if (has_sessions(e.participant)) {
    // The engine's totals are the record; the report's own sums agree with them.
    r.cum_scu = e.filled_scu;
    const bool filled = e.reason == DoneReason::Filled && r.last_fill;
    // Filled: the last fill's report (Trade, Filled) is the final one and carries the totals; otherwise the
    // rest was cancelled, as for an IOC or FOK order in one book.
    std::shared_ptr<FixMessage> m = filled ? r.last_fill : route_report(e.route_id, r, '4', '4', e.ts);
    for (fixapi::FixField& f : m->fields)
      if (f.tag == tag::LeavesQty) f.value = "0";
    m->set(tag::Text, std::string(done_reason_text(e.reason)));
    m->set(tag::CpxReasonCode, std::string(done_reason_code(e.reason)));
    m->set(tag::CpxRouteDevices, std::to_string(e.devices));
    m->set(tag::CpxComputeCost, format_fixed(e.compute_cost));
    m->set(tag::CpxRouteFees, format_fixed(e.fees));
    m->set(tag::CpxTransportCost, format_fixed(e.transport_cost));
    if (!filled) to_participant(e.participant, std::move(m));  // a filled one's report is staged already
  }
  for (OrderId child : r.children) route_of_child_.erase(child);
  routes_.erase(it);
}

}  // namespace cpx::fix
