#include "web/web_sink.hpp"

#include "market_stats.hpp"

#include "cpx/fixed_point.hpp"

namespace cpx::web {

namespace {

void field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  api::append_json_string(out, value);
}
}  // namespace

void append_public_trade(std::string& out, Timestamp ts, TradeId id, std::string_view symbol, Price price, Quantity qty,
                         Side aggressor) {
  out += "{\"ev\":\"trade\",\"ts\":";
  api::append_json_string(out, format_iso_time(ts));
  out += ",\"trade_id\":" + std::to_string(id);
  field(out, "symbol", symbol);
  field(out, "price", format_fixed(price));
  out += ",\"qty\":" + std::to_string(qty);
  field(out, "aggressor", to_string(aggressor));
  out += "}";
}

std::string error_json(std::string_view reason, std::string_view text, std::string_view cmd, std::string_view cl_ord_id,
                       std::string_view id_json) {
  std::string out = "{\"ev\":\"error\"";
  field(out, "reason", reason);
  field(out, "text", text);
  if (!cmd.empty()) field(out, "cmd", cmd);
  if (!cl_ord_id.empty()) field(out, "cl_ord_id", cl_ord_id);
  if (!id_json.empty()) {
    out += ",\"id\":";
    out += id_json;
  }
  out += "}";
  return out;
}

std::string error_json(const api::DecodeError& e, std::string_view id_json) {
  return error_json(reason_code(e.reason), e.text, e.cmd, e.cl_ord_id, id_json);
}

WebSink::WebSink(const MatchingEngine& engine, const api::NameResolver& names, Release release)
    : engine_(engine), names_(names), release_(std::move(release)), writer_(names, scratch_) {}

std::string WebSink::take_line() {
  if (!scratch_.empty() && scratch_.back() == '\n') scratch_.pop_back();
  std::string line;
  line.swap(scratch_);
  return line;
}

namespace {
// `text` (one JSON object) with `,"key":value_json` added before its closing brace.
std::string with_field(std::string text, std::string_view key, std::string_view value_json) {
  if (text.empty() || text.back() != '}') return text;
  text.pop_back();
  text += ",\"";
  text += key;
  text += "\":";
  text += value_json;
  text += "}";
  return text;
}
}  // namespace

void WebSink::to_participant(ParticipantId p, const std::string& text, bool is_trade) {
  WebItem item{WebItem::Kind::Participant, is_trade, origin_, p, {}, text};
  if (origin_ != 0 && !request_id_.empty() && p == request_acting_) {
    // The requester's copy carries its request's id (docs/API.md §6.3); the feeds' copies do not.
    reply(origin_, with_request_id(text));
    item.skip_origin = true;
  }
  staged_.push_back(std::move(item));
}

std::string WebSink::with_request_id(std::string text) const {
  return request_id_.empty() ? text : with_field(std::move(text), "id", request_id_);
}

void WebSink::to_channel(std::string channel, std::string text) {
  const uint64_t seq = ++channel_seq_[channel];
  WebItem item{WebItem::Kind::Channel, false, 0, kNoParticipant, std::move(channel),
               with_field(std::move(text), "seq", std::to_string(seq))};
  item.seq = seq;
  staged_.push_back(std::move(item));
}

uint64_t WebSink::channel_seq(const std::string& channel) const {
  auto it = channel_seq_.find(channel);
  return it == channel_seq_.end() ? 0 : it->second;
}

void WebSink::reply(uint64_t session, std::string text, int http_status) {
  staged_.push_back(WebItem{WebItem::Kind::Session, false, session, kNoParticipant, {}, std::move(text), http_status});
}

void WebSink::subscribed(uint64_t session, std::string channel, std::string snapshot) {
  staged_.push_back(WebItem{WebItem::Kind::Subscribed, false, session, kNoParticipant, std::move(channel), std::move(snapshot)});
}

void WebSink::logged_in(uint64_t session, ParticipantId participant, std::string text) {
  staged_.push_back(WebItem{WebItem::Kind::LoggedIn, false, session, participant, {}, std::move(text)});
}

void WebSink::begin_request(uint64_t origin) {
  request_id_.clear();
  request_acting_ = kNoParticipant;
  if (origin_ != 0) staged_.push_back(WebItem{WebItem::Kind::EndRequest, false, origin_, kNoParticipant, {}, {}});
  origin_ = origin;
  if (origin != 0) origins_.push_back(origin);
}

void WebSink::end_batch(bool durable) {
  begin_request(0);
  if (!durable) {
    // Nothing of the batch may leave: its requesters hear that they were not acknowledged.
    staged_.clear();
    for (uint64_t o : origins_) {
      staged_.push_back(WebItem{WebItem::Kind::Failed, false, o, kNoParticipant, {},
                                error_json("unavailable", reason_text(RejectReason::Unavailable))});
      staged_.push_back(WebItem{WebItem::Kind::EndRequest, false, o, kNoParticipant, {}, {}});
    }
  }
  origins_.clear();
  if (durable) publish_market();
  if (staged_.empty()) return;
  std::vector<WebItem> out;
  out.swap(staged_);
  release_(std::move(out));
}

void WebSink::on_accepted(const OrderAccepted& e) {
  writer_.on_accepted(e);
  to_participant(e.participant, take_line());
}
void WebSink::on_rejected(const OrderRejected& e) {
  writer_.on_rejected(e);
  std::string line = take_line();
  if (e.participant == kNoParticipant || e.participant == kExchangeParticipant) {
    if (origin_ != 0) reply(origin_, with_request_id(std::move(line)));
  } else {
    to_participant(e.participant, line);
  }
}
void WebSink::on_trade(const Trade& e) {
  market_changed_ = true;
  writer_.on_trade(e);
  const std::string line = take_line();
  to_participant(e.buyer, line, true);
  if (e.seller != e.buyer) to_participant(e.seller, line, true);
  // The public print names no one.
  std::string pub;
  append_public_trade(pub, e.ts, e.trade_id, names_.symbol(e.instrument), e.price, e.qty, e.aggressor);
  to_channel("trades", std::move(pub));
}
void WebSink::on_done(const OrderDone& e) {
  writer_.on_done(e);
  to_participant(e.participant, take_line());
}
// A routed order is private like any order: its start and its end go where its children's events go
// (the requesting session and the participant's "orders" feeds). The children's accepted and trade
// events follow the ordinary paths; their public prints name no one, as for any trade.
void WebSink::on_route_accepted(const RouteAccepted& e) {
  writer_.on_route_accepted(e);
  to_participant(e.participant, take_line());
}
void WebSink::on_route_done(const RouteDone& e) {
  writer_.on_route_done(e);
  to_participant(e.participant, take_line());
}
void WebSink::on_replaced(const OrderReplaced& e) {
  writer_.on_replaced(e);
  to_participant(e.participant, take_line());
}
void WebSink::on_restated(const OrderRestated& e) {
  writer_.on_restated(e);
  to_participant(e.participant, take_line());
}
void WebSink::on_book_change(const BookChange& e) {
  writer_.on_book_change(e);
  to_channel("book." + std::string(names_.symbol(e.instrument)), take_line());
}
void WebSink::on_instrument_state(const InstrumentStateChanged& e) {
  writer_.on_instrument_state(e);
  to_channel("instruments", take_line());
}
void WebSink::on_mass_cancel(const MassCancelDone& e) {
  writer_.on_mass_cancel(e);
  to_participant(e.participant, take_line());
}
void WebSink::on_admin(const AdminDone& e) {
  writer_.on_admin(e);
  std::string line = take_line();
  if (origin_ != 0) reply(origin_, with_request_id(std::move(line)));
}
void WebSink::on_settlement(const SettlementEvent& e) {
  writer_.on_settlement(e);
  const std::string line = take_line();
  if (e.participant != kNoParticipant) to_participant(e.participant, line);
  if (e.counterparty != kNoParticipant && e.counterparty != e.participant) to_participant(e.counterparty, line);
  // An operator's cash or agreement request is answered too (contract events reach their parties above).
  const bool operator_action = e.kind == SettlementKind::Deposit || e.kind == SettlementKind::Withdrawal ||
                               e.kind == SettlementKind::RevenueShareSet;
  if (origin_ != 0 && operator_action) reply(origin_, with_request_id(line));
}

std::string WebSink::instruments_json() const {
  std::string out = "{\"ev\":\"instruments\",\"instruments\":[";
  // Reference price (the band's centre: the last trade, the last auction or the operator's) and, beside
  // it, the trailing 24-hour VWAP of the instrument's trades.
  std::vector<Price> vwap;
  if (exchange_) vwap = persistence::instrument_vwaps(*exchange_, engine_.now() - 24 * kNanosPerHour, engine_.now());
  for (InstrumentId i = 0; i < engine_.instrument_count(); ++i) {
    const InstrumentInfo* info = engine_.instrument(i);
    if (!info) continue;
    if (out.back() != '[') out += ",";
    out += "{\"symbol\":";
    api::append_json_string(out, info->symbol);
    const Region* r = engine_.region(info->region);
    const ChipClass* c = engine_.chip_class(info->chip_class);
    field(out, "state", to_string(engine_.instrument_state(i)));
    field(out, "region", r ? r->code : "");
    field(out, "class", c ? c->code : "");
    field(out, "start", format_iso_time(info->start));
    field(out, "end", format_iso_time(info->end));
    out += ",\"hours\":" + std::to_string(info->hours);
    out += ",\"scu_per_device\":" + std::to_string(info->scu_per_device);
    field(out, "tick", format_fixed(info->rules.tick));
    out += ",\"lot\":" + std::to_string(info->rules.lot);
    out += ",\"max_order_qty\":" + std::to_string(info->rules.max_order_qty);
    field(out, "gate_closure", format_iso_time(info->gate_closure()));
    const Price ref = engine_.reference_price(i);
    if (ref > 0) field(out, "reference_price", format_fixed(ref));
    if (i < vwap.size() && vwap[i] > 0) field(out, "vwap_24h", format_fixed(vwap[i]));
    out += "}";
  }
  out += "]}";
  return out;
}

std::string WebSink::network_json() const {
  std::string out = "{\"ev\":\"network\",\"links\":[";
  for (const NetworkLink& l : engine_.links()) {
    if (out.back() != '[') out += ",";
    const Region* from = engine_.region(l.from);
    const Region* to = engine_.region(l.to);
    out += "{\"from\":";
    api::append_json_string(out, from ? from->code : "");
    field(out, "to", to ? to->code : "");
    out += ",\"latency_ms\":" + std::to_string(l.latency_ms);
    out += ",\"capacity_gbps\":" + std::to_string(l.capacity_gbps);
    field(out, "tariff_cny_per_gb", format_fixed(l.tariff_per_gb));
    field(out, "carrier", names_.participant_code(l.carrier));
    out += "}";
  }
  out += "]}";
  return out;
}

std::string WebSink::indices_json(const persistence::Exchange& exchange, Timestamp now, int64_t window_ns) const {
  std::string out = "{\"ev\":\"indices\",\"window_hours\":" + std::to_string(window_ns / kNanosPerHour);
  field(out, "as_of", format_iso_time(now));
  out += ",\"indices\":[";
  for (const persistence::PriceIndex& p : persistence::price_indices(exchange, now - window_ns, now)) {
    if (out.back() != '[') out += ",";
    const ChipClass* c = engine_.chip_class(p.chip_class);
    const Region* r = p.national ? nullptr : engine_.region(p.region);
    out += "{\"class\":";
    api::append_json_string(out, c ? c->code : "");
    field(out, "region", r ? std::string_view(r->code) : std::string_view("CN"));
    field(out, "vwap_cny_per_scu_hour", format_fixed(p.vwap_per_scu_hour, kScuPriceDecimals));
    field(out, "notional", format_fixed(p.cost));
    out += ",\"scu_hours\":" + std::to_string(p.scu_hours) + ",\"trades\":" + std::to_string(p.trades) + "}";
  }
  out += "]}";
  return out;
}

std::string WebSink::bars_json(const persistence::Exchange& exchange, InstrumentId id, Timestamp now, int64_t interval_ns,
                               size_t limit) const {
  auto bars = persistence::ohlcv_bars(exchange, id, 0, now + 1, interval_ns);
  if (bars.size() > limit) bars.erase(bars.begin(), bars.end() - static_cast<ptrdiff_t>(limit));
  std::string out = "{\"ev\":\"bars\",\"symbol\":";
  api::append_json_string(out, names_.symbol(id));
  out += ",\"interval_seconds\":" + std::to_string(interval_ns / kNanosPerSecond) + ",\"bars\":[";
  for (const persistence::Bar& b : bars) {
    if (out.back() != '[') out += ",";
    out += "{\"start\":";
    api::append_json_string(out, format_iso_time(b.start));
    field(out, "open", format_fixed(b.open));
    field(out, "high", format_fixed(b.high));
    field(out, "low", format_fixed(b.low));
    field(out, "close", format_fixed(b.close));
    out += ",\"volume\":" + std::to_string(b.volume) + ",\"trades\":" + std::to_string(b.trades) + "}";
  }
  out += "]}";
  return out;
}

std::string WebSink::book_json(InstrumentId id, size_t depth) const {
  std::string out = "{\"ev\":\"book\"";
  field(out, "symbol", names_.symbol(id));
  field(out, "state", to_string(engine_.instrument_state(id)));
  const std::string channel = "book." + std::string(names_.symbol(id));
  out += ",\"seq\":" + std::to_string(channel_seq(channel));
  std::vector<LevelView> levels;
  bool complete = true;
  for (Side side : {Side::Buy, Side::Sell}) {
    out += side == Side::Buy ? ",\"bids\":[" : ",\"asks\":[";
    engine_.depth(id, side, depth + 1, levels);  // one more level tells whether this side is whole
    if (levels.size() > depth) {
      complete = false;
      levels.resize(depth);
    }
    for (size_t k = 0; k < levels.size(); ++k) {
      if (k) out += ",";
      out += "{\"price\":";
      api::append_json_string(out, format_fixed(levels[k].price));
      out += ",\"qty\":" + std::to_string(levels[k].qty) + ",\"orders\":" + std::to_string(levels[k].orders) + "}";
    }
    out += "]";
  }
  out += complete ? ",\"complete\":true}" : ",\"complete\":false}";
  return out;
}

std::string WebSink::trades_json(const persistence::TapeQuery& q) const {
  std::string out = "{\"ev\":\"trades\",\"trades\":[";
  if (!exchange_) return out + "],\"next_after\":0,\"more\":false}";
  const persistence::Tape tape = persistence::trade_tape(*exchange_, q);
  for (const persistence::Contract* k : tape.trades) {
    if (out.back() != '[') out += ",";
    append_public_trade(out, k->traded_at, k->trade_id, names_.symbol(k->instrument), k->price, k->qty, k->aggressor);
  }
  out += "],\"next_after\":" + std::to_string(tape.next_after);
  out += tape.more ? ",\"more\":true}" : ",\"more\":false}";
  return out;
}

}  // namespace cpx::web
