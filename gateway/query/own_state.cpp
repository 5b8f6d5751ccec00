// A participant's own orders, fills and money (docs/API.md, "Your orders, fills and money"), answered on
// the engine thread from the exchange's order history and ledger. A participant sees only its own; an
// operator may name any participant. Another participant's order id answers `unknown_order`, exactly as
// an id that does not exist (ids cannot be probed).
#include <nlohmann/json.hpp>

#include "cpx/fixed_point.hpp"
#include "order_history.hpp"
#include "server/admin_ops.hpp"
#include "statement.hpp"
#include "query/query_service.hpp"
#include "web/web_sink.hpp"

namespace cpx::query {

namespace {

using json = nlohmann::json;
using persistence::OrderRecord;

std::string money(Money m) { return format_fixed(m, 4); }

// The participant a query is about, or the refusal.
struct Subject {
  ParticipantId id = kNoParticipant;
  std::string code;
  std::optional<Answer> refusal;
};

Subject subject(const MatchingEngine& engine, const Asker& who) {
  Subject s;
  const Participant* asker = engine.participant(who.participant);
  if (!asker) {
    s.refusal = Answer{403, web::error_json("unknown_participant", "the session's participant is not known")};
    return s;
  }
  if (who.about.empty() || who.about == asker->code) {
    s.id = who.participant;
    s.code = asker->code;
    return s;
  }
  if ((asker->roles & kRoleOperator) == 0) {
    s.refusal = Answer{403, web::error_json("not_owner", "only operators may ask about another participant")};
    return s;
  }
  s.id = engine.find_participant(who.about);
  if (s.id == kNoParticipant) {
    s.refusal = Answer{404, web::error_json("unknown_participant", "no participant '" + api::shown(who.about) + "'")};
    return s;
  }
  s.code = who.about;
  return s;
}

json order_json(const MatchingEngine& engine, const OrderRecord& r) {
  const InstrumentInfo* info = engine.instrument(r.instrument);
  json o = {{"order_id", r.order_id},
            {"cl_ord_id", std::string(r.cl_ord_id.view())},
            {"status", persistence::order_status_code(r.status)},
            {"side", to_string(r.side)},
            {"tif", to_string(r.tif)},
            {"filled", r.filled},
            {"leaves", r.leaves},
            {"notional", money(r.notional)},
            {"avg_price", format_fixed(r.average_price(), 4)},
            {"fees", money(r.fees)},
            {"created_at", format_iso_time(r.created_at)},
            {"updated_at", format_iso_time(r.updated_at)}};
  if (r.auction != persistence::AuctionSide::None) {
    // A day-ahead auction order: its day and hours; an offer's zone and price, a bid's SCU per hour.
    const bool offer = r.auction == persistence::AuctionSide::Offer;
    o["auction"] = offer ? "offer" : "bid";
    o["day"] = format_iso_time(r.auction_day).substr(0, 10);
    o["first_hour"] = r.first_hour;
    o["hours"] = r.hours;
    o["transport_cost"] = money(r.transport_cost);
    if (offer) {
      const Region* region = engine.region(r.region);
      const ChipClass* cls = engine.chip_class(r.chip_class);
      o["region"] = region ? region->code : std::string();
      o["class"] = cls ? cls->code : std::string();
      o["price"] = format_fixed(r.price, 4);
      o["qty"] = r.qty;
    } else {
      o["scu_per_hour"] = r.scu;
      o["accepted_scu_per_hour"] = r.filled_scu;
      o["limit_per_scu_hour"] = format_fixed(r.limit_per_scu_hour, 8);
    }
  } else if (r.routed) {
    o["routed"] = true;
    o["scu"] = r.scu;
    o["filled_scu"] = r.filled_scu;
    o["limit_per_scu_hour"] = format_fixed(r.limit_per_scu_hour, 8);
    o["transport_cost"] = money(r.transport_cost);
    o["children"] = r.children;
  } else {
    o["symbol"] = info ? info->symbol : std::string();
    o["type"] = to_string(r.type);
    o["post_only"] = r.post_only;
    o["price"] = format_fixed(r.price, 4);
    o["qty"] = r.qty;
    if (r.expire_at != 0) o["expire_at"] = format_iso_time(r.expire_at);
    if (r.route_id != 0) o["route_id"] = r.route_id;
  }
  if (r.reason) o["reason"] = done_reason_code(*r.reason);
  return o;
}

json fill_json(const MatchingEngine& engine, const persistence::Fill& f) {
  const InstrumentInfo* info = engine.instrument(f.instrument);
  json o = {{"trade_id", f.trade_id},
            {"ts", format_iso_time(f.ts)},
            {"order_id", f.order_id},
            {"symbol", info ? info->symbol : std::string()},
            {"side", to_string(f.side)},
            {"liquidity", f.maker ? "maker" : "taker"},
            {"price", format_fixed(f.price, 4)},
            {"qty", f.qty},
            {"notional", money(f.notional)},
            {"fee", money(f.fee)}};
  if (f.route_id != 0) {
    o["route_id"] = f.route_id;
    o["transport_fee"] = money(f.transport_fee);
  }
  if (f.auction) {
    // An auction award: the zone and hour it delivers in (no instrument), and a buyer's transport fee.
    const Region* region = engine.region(f.region);
    const ChipClass* cls = engine.chip_class(f.chip_class);
    o["auction"] = true;
    o["region"] = region ? region->code : std::string();
    o["class"] = cls ? cls->code : std::string();
    o["hour_start"] = format_iso_time(f.window_start);
    if (f.side == Side::Buy) o["transport_fee"] = money(f.transport_fee);
  }
  return o;
}

Answer ok(json body) { return {200, body.dump()}; }

}  // namespace

Answer QueryService::one(const OwnOrders& q) const {
  const MatchingEngine& engine = core_.exchange().engine();
  const Subject s = subject(engine, q.who);
  if (s.refusal) return *s.refusal;
  InstrumentId inst = kNoInstrument;
  if (!q.symbol.empty() && (inst = core_.names().instrument(q.symbol)) == kNoInstrument)
    return {404, web::error_json("unknown_instrument", "instrument '" + api::shown(q.symbol) + "' is not listed")};
  const auto& history = core_.exchange().history();
  const auto records = q.open_only ? history.open_orders(s.id, inst) : history.orders(s.id, inst, q.before, q.limit);
  json rows = json::array();
  for (const OrderRecord* r : records) rows.push_back(order_json(engine, *r));
  json body = {{"ev", "orders"}, {"participant", s.code}, {"status", q.open_only ? "open" : "all"}, {"orders", rows}};
  // Every kept order, newest first, a page at a time: the next page's `before`.
  if (!q.open_only && records.size() == q.limit && !records.empty()) body["next_before"] = records.back()->order_id;
  return ok(std::move(body));
}

Answer QueryService::one(const OwnOrder& q) const {
  const MatchingEngine& engine = core_.exchange().engine();
  const Subject s = subject(engine, q.who);
  if (s.refusal) return *s.refusal;
  const auto& history = core_.exchange().history();
  const OrderRecord* r = q.order_id != 0 ? history.order(q.order_id) : history.order_by_cl_ord_id(s.id, q.cl_ord_id);
  if (!r || r->participant != s.id)
    return {404, web::error_json("unknown_order", "no such order of " + s.code + " (kept: open orders, and closed ones for the retention period)")};
  json o = order_json(engine, *r);
  if (r->routed) {
    json children = json::array();
    for (const OrderRecord* c : history.children(*r)) children.push_back(order_json(engine, *c));
    o["child_orders"] = std::move(children);
  }
  return ok({{"ev", "order"}, {"participant", s.code}, {"order", std::move(o)}});
}

Answer QueryService::one(const OwnFills& q) const {
  const MatchingEngine& engine = core_.exchange().engine();
  const Subject s = subject(engine, q.who);
  if (s.refusal) return *s.refusal;
  const auto fills = core_.exchange().history().fills(s.id, q.after, q.from, q.to, q.limit);
  json rows = json::array();
  for (const persistence::Fill* f : fills) rows.push_back(fill_json(engine, *f));
  // The cursor: the last trade id returned (or the one asked for), for `after` on the next page.
  const TradeId next = fills.empty() ? q.after : fills.back()->trade_id;
  return ok({{"ev", "fills"}, {"participant", s.code}, {"fills", rows}, {"next_after", next}});
}

Answer QueryService::one(const OwnBalances& q) const {
  const persistence::Exchange& x = core_.exchange();
  const Subject s = subject(x.engine(), q.who);
  if (s.refusal) return *s.refusal;
  const persistence::Balances b = x.balances(s.id);
  return ok({{"ev", "balances"},
             {"participant", s.code},
             {"cash", money(b.cash)},
             {"reserved_by_open_buys", money(b.reserved_by_open_buys)},
             {"available", money(b.available)},
             {"escrowed_unsettled", money(b.escrowed_unsettled)},
             {"revenue", money(b.revenue)},
             {"open_orders", b.open_orders}});
}

Answer QueryService::one(const OwnContracts& q) const {
  const persistence::Exchange& x = core_.exchange();
  const Subject s = subject(x.engine(), q.who);
  if (s.refusal) return *s.refusal;
  json rows = json::array();
  const auto& all = x.contracts();
  auto it = all.upper_bound(q.after);
  TradeId last = q.after;
  for (size_t scanned = 0; it != all.end() && rows.size() < q.limit && scanned < OwnContracts::kContractsScanned; ++it, ++scanned) {
    const persistence::Contract& k = it->second;
    last = it->first;
    if (k.buyer != s.id && k.seller != s.id) continue;
    if (!q.state.empty() && persistence::to_string(k.state) != q.state) continue;
    rows.push_back(server::contract_json(x, k));
  }
  // `more`: contracts after `next_after` are still to be looked at (some may be the participant's).
  return ok({{"ev", "contracts"}, {"participant", s.code}, {"contracts", rows}, {"next_after", last}, {"more", it != all.end()}});
}

Answer QueryService::one(const OwnStatement& q) const {
  const persistence::Exchange& x = core_.exchange();
  const MatchingEngine& engine = x.engine();
  const Subject s = subject(engine, q.who);
  if (s.refusal) return *s.refusal;
  persistence::StatementPage page;
  page.after = q.after;
  page.from = q.from;
  page.to = q.to;
  page.limit = q.limit;
  const auto st = persistence::build_statement(x.ledger(), s.id, s.code, [&](ParticipantId p) {
    const Participant* info = engine.participant(p);
    return info ? info->code : std::to_string(p);
  }, page);
  json body = {{"ev", "statement"}, {"participant", s.code}, {"more", st.more}};
  if (st.more) body["next_after"] = st.lines.back().transfer_id;
  if (q.csv) body["csv"] = persistence::statement_csv(st);
  else body["statement"] = json::parse(persistence::statement_json(st));
  return ok(std::move(body));
}

}  // namespace cpx::query
