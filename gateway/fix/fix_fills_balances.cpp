// Fills and money over FIX (docs/FIX.md, "Fills and balances"): TradeCaptureReportRequest (AD) answered
// with a TradeCaptureReportRequestAck (AQ) and one TradeCaptureReport (AE) per fill since a cursor, and
// CollateralInquiry (BB) answered with a CollateralReport (BA) of the participant's cash. Both are read
// on the engine thread from the exchange's order history and ledger, as the JSON queries are, so a FIX
// client that lost its connection finds every fill and its balances exactly, without another gateway.
#include <cstdio>
#include <string>

#include "cpx/fixed_point.hpp"
#include "cpx/time.hpp"
#include "exchange.hpp"
#include "fix/fix_sink.hpp"
#include "order_history.hpp"

namespace cpx::fix {

using fixapi::FixMessage;

namespace {

// TradeDate(75) as FIX writes it (LocalMktDate, the CST calendar day).
std::string trade_date(Timestamp t) {
  const CivilDate d = civil_from_days((t + 8 * kNanosPerHour) / kNanosPerDay);  // CST is UTC+8
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", static_cast<int>(d.year), static_cast<int>(d.month), static_cast<int>(d.day));
  return buf;
}

// A LocalMktDate (YYYYMMDD) as the CST midnight that starts it.
bool parse_trade_date(const std::string& s, Timestamp& out) {
  if (s.size() != 8) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  const auto t = parse_iso_time(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2));
  if (!t) return false;
  out = *t;
  return true;
}

bool parse_cursor(const std::string& s, int64_t& out) { return parse_int(s, out) && out >= 0; }

}  // namespace

// The time range of a TradeCaptureReportRequest: TrdCapDtGrp's first entry is where it starts, its second
// (if any) where it ends (exclusive). An entry's TransactTime(60) is exact; with only a TradeDate(75), the
// first starts at that CST day's midnight and the second ends at the next one. False: a value is not a date.
static bool fill_range(const FixMessage& msg, Timestamp& from, Timestamp& to, std::string& why) {
  for (const auto& g : msg.groups) {
    if (g.count_tag != tag::NoDates) continue;
    if (g.entries.size() > 2) {
      why = "TrdCapDtGrp: at most two dates (from, to)";
      return false;
    }
    for (size_t i = 0; i < g.entries.size(); ++i) {
      Timestamp day = INT64_MIN, exact = INT64_MIN;
      for (const auto& f : g.entries[i]) {
        if (f.tag == tag::TradeDate && !parse_trade_date(f.value, day)) {
          why = "TradeDate(75) must be YYYYMMDD";
          return false;
        }
        if (f.tag == tag::TransactTime && !parse_utc_timestamp(f.value, exact)) {
          why = "TransactTime(60) must be a UTCTimestamp";
          return false;
        }
      }
      if (exact == INT64_MIN && day == INT64_MIN) continue;
      if (i == 0) from = exact != INT64_MIN ? exact : day;
      else to = exact != INT64_MIN ? exact : next_cst_midnight(day);
    }
  }
  return true;
}

std::shared_ptr<FixMessage> FixSink::trade_report(const persistence::Fill& f, const std::string& request_id) const {
  const auto& history = core_.exchange().history();
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "AE";
  m->set(tag::TradeReportID, std::to_string(f.trade_id) + "-" + std::to_string(f.order_id));
  m->set(tag::TradeRequestID, request_id);
  m->set(tag::PreviouslyReported, "Y");  // its ExecutionReport was sent when it happened
  m->set(tag::Symbol, f.auction ? std::string(kAuctionSymbol) : std::string(core_.names().symbol(f.instrument)));
  m->set(tag::LastQty, std::to_string(f.qty));
  m->set(tag::LastPx, format_fixed(f.price));
  m->set(tag::TradeDate, trade_date(f.ts));
  m->set(tag::TransactTime, utc_timestamp(f.ts));
  m->set(tag::CpxTradeID, std::to_string(f.trade_id));
  m->set(tag::CpxLiquidityInd, f.maker ? "1" : "2");  // LastLiquidityInd(851)'s values: 1 added, 2 removed
  if (f.route_id != 0 || (f.auction && f.side == Side::Buy)) m->set(tag::CpxTransportFee, format_fixed(f.transport_fee));
  if (f.auction) {
    // An award delivers one hour in one zone.
    m->set(tag::CpxRegion, std::string(core_.names().region_code(f.region)));
    m->set(tag::CpxChipClass, std::string(core_.names().chip_class_code(f.chip_class)));
    m->set(tag::CpxWindowStart, utc_timestamp(f.window_start));
    m->set(tag::CpxWindowEnd, utc_timestamp(f.window_start + kNanosPerHour));
  }
  // The participant's side. A routed order's fill is reported as its ExecutionReport was: OrderID the
  // routed order, SecondaryOrderID the child order that traded.
  const OrderId order = f.route_id != 0 ? f.route_id : f.order_id;
  const persistence::OrderRecord* r = history.order(order);
  std::vector<fixapi::FixField> side = {{tag::Side, std::string(1, side_char(f.side))}, {tag::OrderID, std::to_string(order)}};
  if (f.route_id != 0) side.push_back({tag::SecondaryOrderID, std::to_string(f.order_id)});
  if (r && !r->cl_ord_id.empty()) side.push_back({tag::ClOrdID, std::string(r->cl_ord_id.view())});
  side.push_back({tag::Commission, format_fixed(f.fee)});
  side.push_back({tag::CommType, "3"});  // absolute
  side.push_back({tag::GrossTradeAmt, format_fixed(f.notional)});
  m->groups.push_back(fixapi::FixGroup{tag::NoSides, tag::Side, {std::move(side)}});
  return m;
}

void FixSink::trade_capture_request(uint64_t session, ParticipantId p, const FixMessage& msg) {
  auto refuse_with = [&](const char* result, const std::string& text) {
    auto m = trade_request_ack(msg, result, "2");
    m->set(tag::Text, text);
    m->set(tag::CpxReasonCode, "invalid_value");
    core_.metrics().reject(RejectReason::InvalidValue);
    to_session(session, std::move(m));
  };
  if (msg.value(tag::TradeRequestType) != "0")
    return refuse_with("8", "TradeRequestType(569) must be 0 (all trades): CPX reports the session's own fills");
  const std::string sub = msg.value(tag::SubscriptionRequestType);
  if (!sub.empty() && sub != "0")
    return refuse_with("99", "SubscriptionRequestType(263) must be 0 (snapshot): new fills arrive as ExecutionReports");
  if (msg.get(tag::Symbol))
    return refuse_with("1", "Symbol(55): a request covers every instrument (leave the Instrument out)");
  int64_t after = 0, limit = kMaxTradeReports;
  if (msg.get(tag::CpxAfterTradeID) && !parse_cursor(msg.value(tag::CpxAfterTradeID), after))
    return refuse_with("99", "CpxAfterTradeID(20050) must be a trade id (0 or more)");
  if (msg.get(tag::CpxMaxReports) && (!parse_int(msg.value(tag::CpxMaxReports), limit) || limit < 1 || limit > kMaxTradeReports))
    return refuse_with("99", "CpxMaxReports(20051) must be 1 to " + std::to_string(kMaxTradeReports));
  Timestamp from = INT64_MIN, to = INT64_MAX;
  std::string why;
  if (!fill_range(msg, from, to, why)) return refuse_with("99", why);

  // One more than asked for tells whether the client must ask again (CpxMoreReports).
  auto fills = core_.exchange().history().fills(p, static_cast<TradeId>(after), from, to, static_cast<size_t>(limit) + 1);
  const bool more = fills.size() > static_cast<size_t>(limit);
  if (more) fills.pop_back();
  const std::string n = std::to_string(fills.size());
  auto ack = trade_request_ack(msg, "0", fills.empty() ? "1" : "0");
  ack->set(tag::TotNumTradeReports, n);
  ack->set(tag::CpxMoreReports, more ? "Y" : "N");
  if (fills.empty()) ack->set(tag::Text, "no fills");
  to_session(session, std::move(ack));
  const std::string request_id = msg.value(tag::TradeRequestID);
  for (size_t i = 0; i < fills.size(); ++i) {
    auto m = trade_report(*fills[i], request_id);
    m->set(tag::TotNumTradeReports, n);
    m->set(tag::LastRptRequested, i + 1 == fills.size() ? "Y" : "N");
    to_session(session, std::move(m));
  }
}

void FixSink::collateral_inquiry(uint64_t session, ParticipantId p, const FixMessage& msg) {
  const std::string sub = msg.value(tag::SubscriptionRequestType);
  if (!sub.empty() && sub != "0") {
    // A CollateralInquiryAck, rejected (fix_refusals.cpp).
    return refuse(session, msg, RejectReason::InvalidValue, "SubscriptionRequestType(263) must be 0 (snapshot)");
  }
  const persistence::Balances b = core_.exchange().balances(p);
  const Participant* who = engine_.participant(p);
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "BA";
  m->set(tag::CollRptID, next_exec_id());
  m->set(tag::CollInquiryID, msg.value(tag::CollInquiryID));
  m->set(tag::CollStatus, "3");  // assigned: the cash is held at the exchange
  m->set(tag::TotNumReports, "1");
  m->set(tag::LastRptRequested, "Y");
  m->set(tag::Account, who ? who->code : std::string());
  m->set(tag::Currency, "CNY");
  m->set(tag::TotalNetValue, format_fixed(b.cash));
  m->set(tag::CpxCash, format_fixed(b.cash));
  m->set(tag::CpxReservedByOpenBuys, format_fixed(b.reserved_by_open_buys));
  m->set(tag::CpxAvailable, format_fixed(b.available));
  m->set(tag::CpxEscrowed, format_fixed(b.escrowed_unsettled));
  m->set(tag::CpxRevenue, format_fixed(b.revenue));
  m->set(tag::CpxOpenOrders, std::to_string(b.open_orders));
  to_session(session, std::move(m));
}

}  // namespace cpx::fix
