// The FIX gateway's engine-thread side (fix_sink.hpp): requests to commands, engine events to FIX
// messages. Routed orders: fix_routed.cpp; market and reference data: fix_market_data.cpp; order status:
// fix_status.cpp; fills and balances: fix_fills_balances.cpp; refusals: fix_refusals.cpp; field text:
// fix_fields.cpp.
#include "fix/fix_sink.hpp"

#include <cstdio>

#include "cpx/fixed_point.hpp"

namespace cpx::fix {

using fixapi::FixMessage;

FixSink::FixSink(server::ServerCore& core, Release release)
    : core_(core), engine_(core.exchange().engine()), release_(std::move(release)) {
  char b[32];
  std::snprintf(b, sizeof b, "%llx-", static_cast<unsigned long long>(server::wall_clock() / 1'000'000));
  exec_prefix_ = b;
}

std::string FixSink::next_exec_id() { return exec_prefix_ + std::to_string(++exec_seq_); }

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
