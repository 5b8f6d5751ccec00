#include "fix/fix_sink.hpp"

#include <charconv>
#include <cstring>
#include <cstdio>

#include "cpx/fixed_point.hpp"

namespace cpx::fix {

using fixapi::FixMessage;

bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// FIX UTCTimestamp: YYYYMMDD-HH:MM:SS[.sss[sss[sss]]]
bool parse_utc_timestamp(const std::string& s, Timestamp& out) {
  int y, mo, d, h, mi, sec;
  char frac[16] = {0};
  const int n = std::sscanf(s.c_str(), "%4d%2d%2d-%2d:%2d:%2d.%9[0-9]", &y, &mo, &d, &h, &mi, &sec, frac);
  if (n < 6 || s.size() < 17 || !valid_date(CivilDate{y, mo, d}) || h > 23 || mi > 59 || sec > 59) return false;
  int64_t nanos = 0;
  const size_t digits = std::strlen(frac);
  if (n == 7) {
    int64_t f = 0;
    parse_int(frac, f);
    nanos = f;
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  } else if (s.size() != 17) {
    return false;
  }
  out = days_from_civil(CivilDate{y, mo, d}) * kNanosPerDay + (h * 3600LL + mi * 60LL + sec) * kNanosPerSecond + nanos;
  return true;
}

namespace {

// OrdRejReason(103) / CxlRejReason(102) for a CPX reason; the CPX code itself travels in tag 20001.
const char* ord_rej_reason(RejectReason r) {
  switch (r) {
    case RejectReason::UnknownInstrument:
    case RejectReason::BadSymbol: return "1";  // unknown symbol
    case RejectReason::InstrumentClosed:
    case RejectReason::InstrumentHalted:
    case RejectReason::InstrumentNotOpen: return "2";  // exchange closed
    case RejectReason::MaxOrderQty: return "3";        // order exceeds limit
    case RejectReason::DuplicateClOrdId: return "6";   // duplicate order
    case RejectReason::UnknownOrder: return "5";       // unknown order
    case RejectReason::InvalidPrice:
    case RejectReason::TickSize:
    case RejectReason::PriceBand: return "99";
    default: return "99";
  }
}
const char* cxl_rej_reason(RejectReason r) { return r == RejectReason::UnknownOrder ? "1" : "99"; }

}  // namespace

// The words of a FIX MultipleValueString (space-separated), empty words dropped.
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = s.find(' ', i);
    const size_t end = j == std::string::npos ? s.size() : j;
    if (end > i) out.push_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// a / b rounded half up (a >= 0, b > 0).
int64_t div_half_up(__int128 a, __int128 b) { return static_cast<int64_t>((2 * a + b) / (2 * b)); }

std::string utc_timestamp(Timestamp t) {
  const int64_t days = t >= 0 ? t / kNanosPerDay : (t - kNanosPerDay + 1) / kNanosPerDay;
  const int64_t rest = t - days * kNanosPerDay;
  const CivilDate d = civil_from_days(days);
  const int64_t secs = rest / kNanosPerSecond;
  char b[40];
  std::snprintf(b, sizeof b, "%04d%02d%02d-%02lld:%02lld:%02lld.%03lld", d.year, d.month, d.day,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(rest % kNanosPerSecond / 1'000'000));
  return b;
}

char side_char(Side s) { return s == Side::Buy ? '1' : '2'; }

char tif_char(TimeInForce t) {
  switch (t) {
    case TimeInForce::DAY: return '0';
    case TimeInForce::GTC: return '1';
    case TimeInForce::IOC: return '3';
    case TimeInForce::FOK: return '4';
    case TimeInForce::GTD: return '6';
  }
  return '0';
}

FixSink::FixSink(server::ServerCore& core, Release release)
    : core_(core), engine_(core.exchange().engine()), release_(std::move(release)) {
  char b[32];
  std::snprintf(b, sizeof b, "%llx-", static_cast<unsigned long long>(server::wall_clock() / 1'000'000));
  exec_prefix_ = b;
}

std::string FixSink::next_exec_id() { return exec_prefix_ + std::to_string(++exec_seq_); }

namespace {

// BusinessRejectReason(380) for a request CPX refuses that has no reply message of its own (FIX 4.4:
// 0 other, 2 unknown security, 3 unsupported message type, 4 application not available, 5 conditionally
// required field missing); the CPX reason is in CpxReasonCode(20001) either way.
const char* business_reject_reason(RejectReason reason) {
  switch (reason) {
    case RejectReason::UnknownInstrument: return "2";
    case RejectReason::Unavailable: return "4";
    case RejectReason::MalformedRequest: return "5";
    default: return "0";
  }
}

// The BusinessMessageReject(j) fields that name what is refused: its type, its MsgSeqNum and (when it has
// one) its own id.
void business_reject(FixMessage& m, const FixMessage& req, const char* reason) {
  m.msg_type = "j";
  if (req.seq_num > 0) m.set(tag::RefSeqNum, std::to_string(req.seq_num));
  m.set(tag::RefMsgType, req.msg_type);
  for (int id : {tag::ClOrdID, tag::MassStatusReqID, tag::SecurityReqID, tag::MDReqID, tag::TradeRequestID, tag::CollInquiryID})
    if (const std::string* v = req.get(id); v && !v->empty()) {
      m.set(tag::BusinessRejectRefID, *v);
      break;
    }
  m.set(tag::BusinessRejectReason, reason);
}

}  // namespace

std::shared_ptr<FixMessage> FixSink::refusal(const FixMessage& req, RejectReason reason, const std::string& text,
                                             const std::string& exec_id) {
  auto m = std::make_shared<FixMessage>();
  const std::string code(reason_code(reason));
  if (req.msg_type == "D") {
    m->msg_type = "8";
    m->set(tag::OrderID, "NONE");
    m->set(tag::ClOrdID, req.value(tag::ClOrdID));
    m->set(tag::ExecID, exec_id);
    m->set(tag::ExecType, "8");
    m->set(tag::OrdStatus, "8");
    m->set(tag::OrdRejReason, ord_rej_reason(reason));
    m->set(tag::Symbol, req.value(tag::Symbol));
    m->set(tag::Side, req.get(tag::Side) ? req.value(tag::Side) : "1");
    if (req.get(tag::OrderQty)) m->set(tag::OrderQty, req.value(tag::OrderQty));
    m->set(tag::LeavesQty, "0");
    m->set(tag::CumQty, "0");
    m->set(tag::AvgPx, "0");
  } else if (req.msg_type == "F" || req.msg_type == "G") {
    m->msg_type = "9";
    m->set(tag::OrderID, req.get(tag::OrderID) ? req.value(tag::OrderID) : "NONE");
    m->set(tag::ClOrdID, req.value(tag::ClOrdID));
    m->set(tag::OrigClOrdID, req.value(tag::OrigClOrdID));
    m->set(tag::OrdStatus, "8");
    m->set(tag::CxlRejResponseTo, req.msg_type == "F" ? "1" : "2");
    m->set(tag::CxlRejReason, cxl_rej_reason(reason));
  } else if (req.msg_type == "q") {
    m->msg_type = "r";
    m->set(tag::ClOrdID, req.value(tag::ClOrdID));
    m->set(tag::OrderID, "NONE");
    m->set(tag::MassCancelRequestType, req.get(tag::MassCancelRequestType) ? req.value(tag::MassCancelRequestType) : "7");
    m->set(tag::MassCancelResponse, "0");
    // 532 is a CHAR in FIX 4.4 (0-6): "1" unknown security, else "0"; the CPX reason is in 20001.
    m->set(tag::MassCancelRejectReason, reason == RejectReason::UnknownInstrument ? "1" : "0");
  } else if (req.msg_type == "V") {
    m->msg_type = "Y";
    m->set(tag::MDReqID, req.value(tag::MDReqID));
    m->set(tag::MDReqRejReason, reason == RejectReason::UnknownInstrument ? "0" : "5");
  } else if (req.msg_type == "AD") {
    // TradeCaptureReportRequestAck: rejected (750=2), 749 99 other; the Instrument component is required.
    m->msg_type = "AQ";
    m->set(tag::TradeRequestID, req.value(tag::TradeRequestID));
    m->set(tag::TradeRequestType, req.get(tag::TradeRequestType) ? req.value(tag::TradeRequestType) : "0");
    m->set(tag::TradeRequestResult, reason == RejectReason::UnknownInstrument ? "1" : "99");
    m->set(tag::TradeRequestStatus, "2");
    m->set(tag::Symbol, "NA");
  } else if (req.msg_type == "BB") {
    // CollateralInquiryAck: rejected (945=4), 946 99 other.
    m->msg_type = "BG";
    m->set(tag::CollInquiryID, req.value(tag::CollInquiryID).empty() ? std::string("NONE") : req.value(tag::CollInquiryID));
    m->set(tag::CollInquiryStatus, "4");
    m->set(tag::CollInquiryResult, "99");
  } else {
    business_reject(*m, req, business_reject_reason(reason));
  }
  m->set(tag::Text, text);
  m->set(tag::CpxReasonCode, code);
  return m;
}

void FixSink::refuse(uint64_t session, const FixMessage& msg, RejectReason reason, const std::string& text) {
  core_.metrics().reject(reason);
  to_session(session, refusal(msg, reason, text, next_exec_id()));
}

void FixSink::request(uint64_t session, ParticipantId p, const FixMessage& msg, Timestamp now, std::vector<Command>& out) {
  // What a batch that cannot be made durable refuses (end_batch): the request, as it came.
  FixMessage ref;
  ref.msg_type = msg.msg_type;
  ref.seq_num = msg.seq_num;
  for (int id : {tag::ClOrdID, tag::MassStatusReqID, tag::SecurityReqID, tag::MDReqID, tag::TradeRequestID, tag::CollInquiryID})
    if (const std::string* v = msg.get(id)) ref.set(id, *v);
  batch_requests_.push_back({session, std::move(ref)});
  context_ = Context{msg.msg_type, msg.value(tag::ClOrdID), msg.value(tag::OrigClOrdID), msg.value(tag::Symbol),
                     msg.value(tag::MassCancelRequestType), msg.get(tag::Side) ? msg.value(tag::Side)[0] : '1'};
  if (msg.msg_type == "V") return market_data_request(session, msg);
  if (msg.msg_type == "x") return security_list(session, msg);
  if (msg.msg_type == "H") return order_status(session, p, msg);
  if (msg.msg_type == "AF") return mass_status(session, p, msg);
  if (msg.msg_type == "AD") return trade_capture_request(session, p, msg);
  if (msg.msg_type == "BB") return collateral_inquiry(session, p, msg);

  auto instrument = [&](InstrumentId& id) -> bool {
    const std::string symbol = msg.value(tag::Symbol);
    if (symbol.empty()) {
      refuse(session, msg, RejectReason::MalformedRequest, "Symbol(55) is required");
      return false;
    }
    id = core_.names().instrument(symbol);
    if (id != kNoInstrument) return true;
    refuse(session, msg, RejectReason::UnknownInstrument, "instrument '" + symbol + "' is not listed");
    return false;
  };
  auto quantity = [&](Quantity& q, bool required) -> bool {
    const std::string* v = msg.get(tag::OrderQty);
    if (!v) {
      if (!required) return true;
      refuse(session, msg, RejectReason::InvalidQuantity, "OrderQty(38) is required");
      return false;
    }
    int64_t n = 0;
    if (!parse_int(*v, n) || n <= 0) {
      refuse(session, msg, RejectReason::InvalidQuantity, "OrderQty(38) must be a whole, positive number of devices");
      return false;
    }
    q = n;
    return true;
  };
  auto price = [&](Price& px, bool required) -> bool {
    const std::string* v = msg.get(tag::Price);
    if (!v) {
      if (!required) return true;
      refuse(session, msg, RejectReason::InvalidPrice, "a limit order needs Price(44)");
      return false;
    }
    auto parsed = parse_fixed(*v, 4);
    if (!parsed || *parsed <= 0) {
      refuse(session, msg, RejectReason::InvalidPrice, "Price(44) must be a positive decimal with at most 4 decimals");
      return false;
    }
    px = *parsed;
    return true;
  };
  // The order a cancel or replace names: OrigClOrdID(41) among the participant's open orders, or OrderID(37).
  auto target = [&](OrderId& id) -> bool {
    const std::string orig = msg.value(tag::OrigClOrdID);
    id = core_.order_by_cl_ord_id(p, orig);
    int64_t n = 0;
    if (id == 0 && parse_int(msg.value(tag::OrderID), n) && n > 0) id = static_cast<OrderId>(n);
    if (id != 0) return true;
    refuse(session, msg, RejectReason::UnknownOrder, "no open order has ClOrdID '" + orig + "'");
    return false;
  };
  auto cl_ord_id = [&](ClOrdId& out_id) -> bool {
    if (out_id.assign(msg.value(tag::ClOrdID))) return true;
    refuse(session, msg, RejectReason::MalformedRequest, "ClOrdID(11) may be at most 32 bytes");
    return false;
  };

  // A possible resend of an order already received is answered with that order's status, never placed
  // again (its original may have been cancelled since: a second live order would be a mistake).
  if (msg.msg_type == "D" && answered_as_resent(session, p, msg)) return;
  if (msg.msg_type == "D" && msg.value(tag::Symbol) == kRouteSymbol) return routed_request(session, p, msg, now, out);
  if (msg.msg_type == "D") {
    NewOrder o;
    o.ts = now;
    o.participant = p;
    if (!cl_ord_id(o.cl_ord_id) || !instrument(o.instrument)) return;
    if (!o.cl_ord_id.view().empty() && core_.cl_ord_id_in_use(p, o.cl_ord_id.view(), now)) {
      return refuse(session, msg, RejectReason::DuplicateClOrdId,
                    "ClOrdID '" + std::string(o.cl_ord_id.view()) + "' is taken: by an open order, or by an order placed today (CST)");
    }
    const std::string side = msg.value(tag::Side);
    if (side != "1" && side != "2") return refuse(session, msg, RejectReason::InvalidOrderType, "Side(54) must be 1 (buy) or 2 (sell)");
    o.side = side == "1" ? Side::Buy : Side::Sell;
    const std::string type = msg.value(tag::OrdType);
    if (type != "1" && type != "2") return refuse(session, msg, RejectReason::InvalidOrderType, "OrdType(40) must be 1 (market) or 2 (limit)");
    o.type = type == "1" ? OrderType::Market : OrderType::Limit;
    if (!quantity(o.qty, true)) return;
    if (o.type == OrderType::Limit && !price(o.price, true)) return;
    const std::string tif = msg.value(tag::TimeInForce);
    if (tif.empty()) {
      o.tif = o.type == OrderType::Market ? TimeInForce::IOC : TimeInForce::DAY;  // FIX's default is Day
    } else if (tif == "0") {
      o.tif = TimeInForce::DAY;
    } else if (tif == "1") {
      o.tif = TimeInForce::GTC;
    } else if (tif == "3") {
      o.tif = TimeInForce::IOC;
    } else if (tif == "4") {
      o.tif = TimeInForce::FOK;
    } else if (tif == "6") {
      o.tif = TimeInForce::GTD;
      if (!parse_utc_timestamp(msg.value(tag::ExpireTime), o.expire_at)) {
        return refuse(session, msg, RejectReason::InvalidExpiry, "a GTD order needs ExpireTime(126) as YYYYMMDD-HH:MM:SS");
      }
    } else {
      return refuse(session, msg, RejectReason::InvalidOrderType, "TimeInForce(59) must be 0, 1, 3, 4 or 6");
    }
    o.post_only = msg.value(tag::ExecInst).find('6') != std::string::npos;
    const std::string stp = msg.value(tag::CpxStpMode);
    if (stp.empty() || stp == "cancel_newest") {
      o.stp = SelfTradePrevention::CancelNewest;
    } else if (stp == "cancel_oldest") {
      o.stp = SelfTradePrevention::CancelOldest;
    } else if (stp == "cancel_both") {
      o.stp = SelfTradePrevention::CancelBoth;
    } else if (stp == "decrement") {
      o.stp = SelfTradePrevention::Decrement;
    } else {
      return refuse(session, msg, RejectReason::InvalidOrderType,
                    "CpxStpMode(20002) must be cancel_newest, cancel_oldest, cancel_both or decrement");
    }
    out.push_back(o);
  } else if (msg.msg_type == "F") {
    CancelOrder c;
    c.ts = now;
    c.participant = p;
    if (!cl_ord_id(c.cl_ord_id) || !target(c.order_id)) return;
    out.push_back(c);
  } else if (msg.msg_type == "G") {
    ReplaceOrder r;
    r.ts = now;
    r.participant = p;
    if (!cl_ord_id(r.cl_ord_id) || !target(r.order_id) || !quantity(r.qty, false) || !price(r.price, false)) return;
    out.push_back(r);
  } else if (msg.msg_type == "q") {
    MassCancel m;
    m.ts = now;
    m.participant = p;
    m.target = p;
    const std::string type = msg.value(tag::MassCancelRequestType);
    if (type == "1") {
      if (!instrument(m.instrument)) return;
    } else if (type != "7") {
      return refuse(session, msg, RejectReason::InvalidValue,
                    "MassCancelRequestType(530) must be 1 (one security) or 7 (all orders)");
    }
    out.push_back(m);
  } else {
    // Not reached from QuickFIX (types outside FixSettings::app_msg_types get 380=3 there); kept so that a
    // handler added without its branch answers as the standard says.
    core_.metrics().reject(RejectReason::MalformedRequest);
    auto m = std::make_shared<FixMessage>();
    business_reject(*m, msg, "3");
    m->set(tag::Text, "Unsupported Message Type");
    m->set(tag::CpxReasonCode, std::string(reason_code(RejectReason::MalformedRequest)));
    to_session(session, std::move(m));
  }
}

void FixSink::session_joined(ParticipantId p, bool drop_copy) {
  if (drop_copy) ++drop_copies_;
  else ++sessions_of_[p];
}

void FixSink::logout_marker(uint64_t session) {
  auto m = std::make_shared<FixMessage>();
  m->msg_type = kLogoutMarker;
  staged_.push_back(FixItem{FixItem::Kind::Session, session, kNoParticipant, {}, std::move(m)});
}

void FixSink::session_left(ParticipantId p, bool drop_copy) {
  if (drop_copy) {
    --drop_copies_;
    return;
  }
  auto it = sessions_of_.find(p);
  if (it != sessions_of_.end() && --it->second == 0) sessions_of_.erase(it);
}

// Whether anyone takes p's reports: its own sessions, or any drop copy (which takes everyone's).
bool FixSink::has_sessions(ParticipantId p) const { return drop_copies_ > 0 || sessions_of_.count(p) != 0; }

void FixSink::begin_request(uint64_t origin) {
  origin_ = origin;
  context_ = Context{};
}

void FixSink::end_batch(bool durable) {
  origin_ = 0;
  if (!durable) {
    staged_.clear();
    for (const auto& [session, req] : batch_requests_) {
      auto m = std::make_shared<FixMessage>();
      business_reject(*m, req, "4");  // application not available
      m->set(tag::Text, std::string(reason_text(RejectReason::Unavailable)));
      m->set(tag::CpxReasonCode, "unavailable");
      staged_.push_back(FixItem{FixItem::Kind::Session, session, kNoParticipant, {}, std::move(m)});
    }
  }
  batch_requests_.clear();
  if (staged_.empty()) return;
  std::vector<FixItem> out;
  out.swap(staged_);
  release_(std::move(out));
}

void FixSink::to_participant(ParticipantId p, std::shared_ptr<FixMessage> m) {
  staged_.push_back(FixItem{FixItem::Kind::Participant, origin_, p, {}, std::move(m)});
}
void FixSink::to_session(uint64_t s, std::shared_ptr<FixMessage> m) {
  staged_.push_back(FixItem{FixItem::Kind::Session, s, kNoParticipant, {}, std::move(m)});
}

FixSink::OrderState* FixSink::order(OrderId id) {
  auto it = orders_.find(id);
  if (it != orders_.end()) return &it->second;
  // An order from before a restart: its fills so far are not known here; the engine has the rest.
  OrderView v;
  if (!engine_.find_order(id, v)) return nullptr;
  OrderState o{std::string(core_.names().symbol(v.instrument)), std::string(v.cl_ord_id), side_char(v.side), '2', v.qty,
               v.filled, static_cast<__int128>(v.price) * v.filled, v.price, tif_char(v.tif)};
  return &orders_.emplace(id, std::move(o)).first->second;
}

std::shared_ptr<FixMessage> FixSink::exec_report(OrderId id, const OrderState& o, char exec_type, char ord_status, Timestamp ts) {
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "8";
  m->set(tag::OrderID, std::to_string(id));
  if (!o.cl_ord_id.empty()) m->set(tag::ClOrdID, o.cl_ord_id);
  m->set(tag::ExecID, next_exec_id());
  m->set(tag::ExecType, std::string(1, exec_type));
  m->set(tag::OrdStatus, std::string(1, ord_status));
  m->set(tag::Symbol, o.symbol);
  m->set(tag::Side, std::string(1, o.side));
  m->set(tag::OrderQty, std::to_string(o.qty));
  m->set(tag::OrdType, std::string(1, o.ord_type));
  if (o.ord_type == '2') m->set(tag::Price, format_fixed(o.price));
  m->set(tag::TimeInForce, std::string(1, o.tif));
  m->set(tag::CumQty, std::to_string(o.cum));
  // AvgPx rounded half up to the 4 decimals of a price.
  const Price avg = o.cum == 0 ? 0 : static_cast<Price>((o.value * 2 + o.cum) / (2 * static_cast<__int128>(o.cum)));
  m->set(tag::AvgPx, format_fixed(avg));
  m->set(tag::TransactTime, utc_timestamp(ts));
  return m;
}

void FixSink::on_accepted(const OrderAccepted& e) {
  if (e.route_id != 0) {
    // A routed child: its client saw the routed order's New and sees its fills as the routed order's.
    if (auto it = routes_.find(e.route_id); it != routes_.end()) {
      it->second.children.push_back(e.order_id);
      route_of_child_[e.order_id] = e.route_id;
      return;
    }
  }
  OrderState o{std::string(core_.names().symbol(e.instrument)), std::string(e.cl_ord_id), side_char(e.side),
               e.type == OrderType::Market ? '1' : '2', e.qty, 0, 0, e.price, tif_char(e.tif)};
  if (has_sessions(e.participant)) {
    auto m = exec_report(e.order_id, o, '0', '0', e.ts);
    m->set(tag::LeavesQty, std::to_string(e.qty));
    to_participant(e.participant, std::move(m));
  }
  // Tracked for everyone: a participant may log on over FIX later and expects exact CumQty and AvgPx.
  orders_[e.order_id] = std::move(o);
}

void FixSink::on_rejected(const OrderRejected& e) {
  if (e.participant == kNoParticipant || e.participant == kExchangeParticipant || !has_sessions(e.participant)) return;
  FixMessage req;
  const bool routed = e.command == CommandKind::RoutedOrder;
  req.msg_type = e.command == CommandKind::NewOrder || routed ? "D"
                 : e.command == CommandKind::CancelOrder ? "F"
                 : e.command == CommandKind::ReplaceOrder ? "G"
                 : e.command == CommandKind::MassCancel ? "q" : context_.msg_type;
  req.set(tag::ClOrdID, std::string(e.cl_ord_id));
  req.set(tag::OrigClOrdID, context_.orig_cl_ord_id);
  req.set(tag::Symbol, routed ? std::string(kRouteSymbol)
                      : e.instrument != kNoInstrument ? std::string(core_.names().symbol(e.instrument))
                                                      : context_.symbol);
  // A new order's side comes with the event: the request may have come from another gateway (a
  // WebSocket sell was reported to the participant's FIX sessions as a buy from the default context).
  const bool new_order = e.command == CommandKind::NewOrder || routed;
  req.set(tag::Side, std::string(1, new_order ? side_char(e.side) : context_.side));
  if (e.order_id != 0) req.set(tag::OrderID, std::to_string(e.order_id));
  req.set(tag::MassCancelRequestType, context_.mass_cancel_type.empty() ? "7" : context_.mass_cancel_type);
  to_participant(e.participant, refusal(req, e.reason, std::string(reason_text(e.reason)), next_exec_id()));
}

void FixSink::on_trade(const Trade& e) {
  for (Side side : {Side::Buy, Side::Sell}) {
    const OrderId id = side == Side::Buy ? e.buy_order_id : e.sell_order_id;
    if (side == Side::Buy) {
      if (auto child = route_of_child_.find(id); child != route_of_child_.end()) {
        routed_fill(child->second, e);
        continue;
      }
    }
    OrderState* o = order(id);
    if (!o) continue;
    o->cum += e.qty;
    o->value += static_cast<__int128>(e.price) * e.qty;
    const Quantity leaves = side == Side::Buy ? e.buy_remaining : e.sell_remaining;
    const ParticipantId owner = side == Side::Buy ? e.buyer : e.seller;
    if (!has_sessions(owner)) {
      if (leaves == 0) orders_.erase(id);
      continue;
    }
    auto m = exec_report(id, *o, 'F', leaves == 0 ? '2' : '1', e.ts);
    m->set(tag::LastQty, std::to_string(e.qty));
    m->set(tag::LastPx, format_fixed(e.price));
    // LastLiquidityInd: 1 the order rested and was hit (added liquidity), 2 it took the resting one.
    m->set(tag::LastLiquidityInd, side == e.aggressor ? "2" : "1");
    m->set(tag::LeavesQty, std::to_string(leaves));
    m->set(tag::CpxTradeID, std::to_string(e.trade_id));
    m->set(tag::CpxTradeNotional, format_fixed(e.notional));
    m->set(tag::CpxTradeFee, format_fixed(side == Side::Buy ? e.buyer_fee : e.seller_fee));
    m->set(tag::CpxPricePerScuHour, format_fixed(e.price_per_scu_hour, 8));
    to_participant(owner, std::move(m));
    if (leaves == 0) orders_.erase(id);
  }
  // The public print, to the symbol's market-data subscribers (only FIX sessions can have any).
  if (sessions_of_.empty()) return;
  auto md = std::make_shared<FixMessage>();
  md->msg_type = "X";
  md->groups.push_back(fixapi::FixGroup{tag::NoMDEntries, tag::MDUpdateAction,
                                        {{{tag::MDUpdateAction, "0"},
                                          {tag::MDEntryType, "2"},
                                          {tag::Symbol, std::string(core_.names().symbol(e.instrument))},
                                          {tag::MDEntryPx, format_fixed(e.price)},
                                          {tag::MDEntrySize, std::to_string(e.qty)}}}});
  staged_.push_back(FixItem{FixItem::Kind::Symbol, 0, kNoParticipant, std::string(core_.names().symbol(e.instrument)), std::move(md)});
}

void FixSink::on_done(const OrderDone& e) {
  // A routed child that ends unfilled (it should not: the plan fills it) is told by the routed order's
  // final report, which counts what was bought.
  if (route_of_child_.count(e.order_id)) return;
  OrderState* o = order(e.order_id);
  if (!o) return;
  const bool expired = done_is_expiry(e.reason);
  if (has_sessions(e.participant)) {
    // A cancel answers with the cancel request's own ClOrdID and names the order's in OrigClOrdID.
    const bool cancel = context_.msg_type == "F" && !context_.cl_ord_id.empty();
    OrderState shown = *o;
    if (cancel) shown.cl_ord_id = context_.cl_ord_id;
    auto m = exec_report(e.order_id, shown, expired ? 'C' : '4', expired ? 'C' : '4', e.ts);
    m->set(tag::LeavesQty, "0");
    if (cancel) m->set(tag::OrigClOrdID, o->cl_ord_id);
    m->set(tag::Text, std::string(done_reason_text(e.reason)));
    m->set(tag::CpxReasonCode, std::string(done_reason_code(e.reason)));
    to_participant(e.participant, std::move(m));
  }
  orders_.erase(e.order_id);
}

void FixSink::on_replaced(const OrderReplaced& e) {
  OrderState* o = order(e.order_id);
  if (!o) return;
  const std::string previous = o->cl_ord_id;
  if (!e.cl_ord_id.empty()) o->cl_ord_id = std::string(e.cl_ord_id);
  o->qty = e.qty;
  o->price = e.price;
  if (!has_sessions(e.participant)) return;
  auto m = exec_report(e.order_id, *o, '5', o->cum > 0 ? '1' : '0', e.ts);
  m->set(tag::OrigClOrdID, previous);
  m->set(tag::LeavesQty, std::to_string(e.remaining));
  to_participant(e.participant, std::move(m));
}

void FixSink::on_restated(const OrderRestated& e) {
  OrderState* o = order(e.order_id);
  if (!o) return;
  o->qty -= e.decrement;
  if (!has_sessions(e.participant)) return;
  auto m = exec_report(e.order_id, *o, 'D', o->cum > 0 ? '1' : '0', e.ts);
  m->set(tag::LeavesQty, std::to_string(e.remaining));
  m->set(tag::Text, "self-trade prevention decremented the order");
  to_participant(e.participant, std::move(m));
}

void FixSink::on_book_change(const BookChange& e) {
  if (sessions_of_.empty()) return;
  auto md = std::make_shared<FixMessage>();
  md->msg_type = "X";
  const std::string symbol(core_.names().symbol(e.instrument));
  md->groups.push_back(fixapi::FixGroup{tag::NoMDEntries, tag::MDUpdateAction,
                                        {{{tag::MDUpdateAction, e.qty == 0 ? "2" : "1"},
                                          {tag::MDEntryType, e.side == Side::Buy ? "0" : "1"},
                                          {tag::Symbol, symbol},
                                          {tag::MDEntryPx, format_fixed(e.price)},
                                          {tag::MDEntrySize, std::to_string(e.qty)}}}});
  staged_.push_back(FixItem{FixItem::Kind::Symbol, 0, kNoParticipant, symbol, std::move(md)});
}

void FixSink::on_mass_cancel(const MassCancelDone& e) {
  // An operator's or a disconnect's mass cancel: the ExecutionReports say it.
  if (context_.msg_type != "q" || !has_sessions(e.participant)) return;
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "r";
  m->set(tag::ClOrdID, context_.cl_ord_id);
  m->set(tag::OrderID, next_exec_id());
  m->set(tag::MassCancelRequestType, context_.mass_cancel_type);
  m->set(tag::MassCancelResponse, context_.mass_cancel_type);
  m->set(tag::TotalAffectedOrders, std::to_string(e.cancelled));
  to_participant(e.participant, std::move(m));
}

}  // namespace cpx::fix
