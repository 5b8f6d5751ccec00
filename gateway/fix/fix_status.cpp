// Order status over FIX (docs/FIX.md, "Order status"): OrderStatusRequest (H) and OrderMassStatusRequest
// (AF) answered on the engine thread with ExecutionReports (ExecType=I) built from the exchange's order
// history, the engine's own account of each order: exact after a reconnect and after a restart, whatever
// gateway placed the order.
#include <charconv>

#include "cpx/fixed_point.hpp"
#include "fix/fix_sink.hpp"
#include "order_history.hpp"

namespace cpx::fix {

using fixapi::FixMessage;
using persistence::OrderRecord;
using persistence::OrderStatus;

namespace {

char ord_status(OrderStatus s) {
  switch (s) {
    case OrderStatus::New: return '0';
    case OrderStatus::PartiallyFilled: return '1';
    case OrderStatus::Filled: return '2';
    case OrderStatus::Cancelled: return '4';
    case OrderStatus::Expired: return 'C';
    // Day-ahead auction orders, once cleared: done for the day (part or all accepted), or rejected.
    case OrderStatus::Accepted: return '3';
    case OrderStatus::Rejected: return '8';
  }
  return '8';
}

bool positive_id(const std::string& s, OrderId& out) {
  uint64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || n == 0) return false;
  out = n;
  return true;
}

}  // namespace

// One order's status report. A routed order is one order to its client (Symbol ROUTE, quantities in
// devices bought), as its other reports show it; a day-ahead auction order has Symbol AUCTION (an offer:
// its devices and price; a bid: SCU per hour asked and accepted in CpxScuPerHour / CpxAcceptedScuPerHour).
static std::shared_ptr<FixMessage> status_report(const MatchingEngine& engine, const OrderRecord& r, const std::string& exec_id) {
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "8";
  m->set(tag::OrderID, std::to_string(r.order_id));
  if (!r.cl_ord_id.empty()) m->set(tag::ClOrdID, std::string(r.cl_ord_id.view()));
  m->set(tag::ExecID, exec_id);
  m->set(tag::ExecType, "I");
  m->set(tag::OrdStatus, std::string(1, ord_status(r.status)));
  const bool auction = r.auction != persistence::AuctionSide::None;
  const InstrumentInfo* info = r.routed || auction ? nullptr : engine.instrument(r.instrument);
  m->set(tag::Symbol, r.routed ? std::string(kRouteSymbol) : auction ? std::string(kAuctionSymbol) : info ? info->symbol : std::string("?"));
  m->set(tag::Side, std::string(1, side_char(r.side)));
  // A routed order's and a bid's quantity is what they bought (devices): they ask in SCU.
  const bool asked_in_scu = r.routed || r.auction == persistence::AuctionSide::Bid;
  m->set(tag::OrderQty, std::to_string(asked_in_scu ? r.filled : r.qty));
  if (auction) {
    m->set(tag::CpxAuctionDay, utc_timestamp(r.auction_day));
    if (r.auction == persistence::AuctionSide::Offer) {
      m->set(tag::OrdType, "2");
      m->set(tag::Price, format_fixed(r.price));
    } else {
      m->set(tag::CpxScuPerHour, std::to_string(r.scu));
      m->set(tag::CpxAcceptedScuPerHour, std::to_string(r.filled_scu));
    }
  } else if (!r.routed) {
    m->set(tag::OrdType, r.type == OrderType::Market ? "1" : "2");
    if (r.type == OrderType::Limit) m->set(tag::Price, format_fixed(r.price));
  }
  m->set(tag::TimeInForce, std::string(1, tif_char(r.tif)));
  m->set(tag::LeavesQty, std::to_string(r.leaves));
  m->set(tag::CumQty, std::to_string(r.filled));
  m->set(tag::AvgPx, format_fixed(r.average_price()));
  m->set(tag::TransactTime, utc_timestamp(r.updated_at));
  if (r.reason) m->set(tag::CpxReasonCode, std::string(done_reason_code(*r.reason)));
  if (r.status == OrderStatus::Accepted || r.status == OrderStatus::Rejected)
    m->set(tag::CpxReasonCode, r.status == OrderStatus::Accepted ? "auction_accepted" : "auction_rejected");
  return m;
}

void FixSink::order_status(uint64_t session, ParticipantId p, const FixMessage& msg) {
  const auto& history = core_.exchange().history();
  const OrderRecord* r = nullptr;
  OrderId id = 0;
  if (positive_id(msg.value(tag::OrderID), id)) r = history.order(id);
  if (!r) r = history.order_by_cl_ord_id(p, msg.value(tag::ClOrdID));
  if (r && r->participant == p) {
    auto m = status_report(engine_, *r, next_exec_id());
    to_session(session, std::move(m));
    return;
  }
  // Unknown (or another participant's: the same answer): a status report that says so.
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "8";
  m->set(tag::OrderID, msg.get(tag::OrderID) ? msg.value(tag::OrderID) : std::string("NONE"));
  m->set(tag::ClOrdID, msg.value(tag::ClOrdID));
  m->set(tag::ExecID, next_exec_id());
  m->set(tag::ExecType, "I");
  m->set(tag::OrdStatus, "8");
  m->set(tag::OrdRejReason, "5");  // unknown order
  m->set(tag::Symbol, msg.value(tag::Symbol));
  m->set(tag::Side, msg.value(tag::Side));
  m->set(tag::LeavesQty, "0");
  m->set(tag::CumQty, "0");
  m->set(tag::AvgPx, "0");
  m->set(tag::Text, "no such order (kept: open orders, and closed ones for the retention period)");
  m->set(tag::CpxReasonCode, "unknown_order");
  to_session(session, std::move(m));
}

bool FixSink::answered_as_resent(uint64_t session, ParticipantId p, const FixMessage& msg) {
  if (msg.value(tag::PossResend) != "Y" || msg.value(tag::ClOrdID).empty()) return false;
  const OrderRecord* r = core_.exchange().history().order_by_cl_ord_id(p, msg.value(tag::ClOrdID));
  if (!r) return false;
  auto m = status_report(engine_, *r, next_exec_id());
  m->set(tag::Text, "PossResend: this ClOrdID was already received; the order's status");
  to_session(session, std::move(m));
  return true;
}

void FixSink::mass_status(uint64_t session, ParticipantId p, const FixMessage& msg) {
  const std::string type = msg.value(tag::MassStatusReqType);
  InstrumentId instrument = kNoInstrument;
  if (type == "1") {
    instrument = core_.names().instrument(msg.value(tag::Symbol));
    if (instrument == kNoInstrument)
      return refuse(session, msg, RejectReason::UnknownInstrument, "instrument '" + msg.value(tag::Symbol) + "' is not listed");
  } else if (type != "7") {
    return refuse(session, msg, RejectReason::InvalidValue,
                  "MassStatusReqType(585) must be 1 (one security) or 7 (all orders)");
  }
  const std::string req_id = msg.value(tag::MassStatusReqID);
  const auto open = core_.exchange().history().open_orders(p, instrument);
  if (open.empty()) {
    // Nothing open: one report that says so (FIX 4.4: TotNumReports=0).
    auto m = std::make_shared<FixMessage>();
    m->msg_type = "8";
    m->set(tag::OrderID, "NONE");
    m->set(tag::ExecID, next_exec_id());
    m->set(tag::ExecType, "I");
    m->set(tag::OrdStatus, "8");
    m->set(tag::Symbol, type == "1" ? msg.value(tag::Symbol) : std::string("NA"));
    m->set(tag::Side, "1");
    m->set(tag::LeavesQty, "0");
    m->set(tag::CumQty, "0");
    m->set(tag::AvgPx, "0");
    m->set(tag::MassStatusReqID, req_id);
    m->set(tag::TotNumReports, "0");
    m->set(tag::LastRptRequested, "Y");
    m->set(tag::Text, "no open orders");
    to_session(session, std::move(m));
    return;
  }
  for (size_t i = 0; i < open.size(); ++i) {
    auto m = status_report(engine_, *open[i], next_exec_id());
    m->set(tag::MassStatusReqID, req_id);
    m->set(tag::TotNumReports, std::to_string(open.size()));
    m->set(tag::LastRptRequested, i + 1 == open.size() ? "Y" : "N");
    to_session(session, std::move(m));
  }
}

}  // namespace cpx::fix
