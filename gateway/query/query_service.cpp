#include "query/query_service.hpp"

#include "json/route_codec.hpp"
#include "web/web_sink.hpp"

namespace cpx::query {

namespace {

Answer unknown_instrument(const std::string& symbol) {
  return {404, web::error_json("unknown_instrument", "instrument '" + api::shown(symbol) + "' is not listed")};
}

}  // namespace

Answer QueryService::answer(const Query& q) const {
  return std::visit([this](const auto& each) { return one(each); }, q);
}

Answer QueryService::one(const Instruments&) const { return {200, market_.instruments_json()}; }

Answer QueryService::one(const Time&) const {
  const Timestamp exchange = core_.exchange().engine().now(), wall = server::wall_clock();
  return {200, "{\"ev\":\"time\",\"exchange_time\":\"" + format_iso_time(exchange) + "\",\"exchange_time_ns\":" +
                   std::to_string(exchange) + ",\"server_time\":\"" + format_iso_time(wall) + "\",\"server_time_ns\":" +
                   std::to_string(wall) + "}"};
}

Answer QueryService::one(const Network&) const { return {200, market_.network_json()}; }

Answer QueryService::one(const Indices& q) const {
  const Timestamp now = core_.exchange().engine().now();
  return {200, market_.indices_json(core_.exchange(), now, q.window_hours * kNanosPerHour)};
}

Answer QueryService::one(const Bars& q) const {
  const InstrumentId inst = core_.names().instrument(q.symbol);
  if (inst == kNoInstrument) return unknown_instrument(q.symbol);
  return {200, market_.bars_json(core_.exchange(), inst, core_.exchange().engine().now(), q.interval_ns, q.limit)};
}

Answer QueryService::one(const Book& q) const {
  const InstrumentId inst = core_.names().instrument(q.symbol);
  if (inst == kNoInstrument) return unknown_instrument(q.symbol);
  return {200, market_.book_json(inst, q.depth)};
}

Answer QueryService::one(const Trades& q) const {
  InstrumentId inst = kNoInstrument;
  if (!q.symbol.empty() && (inst = core_.names().instrument(q.symbol)) == kNoInstrument) return unknown_instrument(q.symbol);
  persistence::TapeQuery tape;
  tape.instrument = inst;
  tape.after = q.after;
  tape.from = q.from;
  tape.to = q.to;
  tape.limit = q.limit;
  return {200, market_.trades_json(tape)};
}

Answer QueryService::one(const Auctions&) const { return {200, market_.auctions_json(core_.auctions())}; }

Answer QueryService::one(const Auction& q) const {
  std::string body = market_.auction_json(q.day, core_.auctions());
  if (body.empty()) return {404, web::error_json("unknown_auction", "no auction for delivery day " + q.day_text)};
  return {200, std::move(body)};
}

Answer QueryService::one(const Monitor& q) const {
  const Timestamp from = q.from ? *q.from : cst_day_start(core_.exchange().engine().now());
  const Timestamp to = q.to ? *q.to : from + kNanosPerDay;
  if (to <= from) return {400, web::error_json("malformed_request", "to must be after from")};
  return {200, market_.monitor_json(core_.exchange(), from, to)};
}

Answer QueryService::one(const RouteQuote& q) const {
  const MatchingEngine& engine = core_.exchange().engine();
  auto decoded = api::decode_route_query(q.request, engine);
  if (!decoded) {
    core_.metrics().reject(decoded.error().reason);
    return {400, web::error_json(decoded.error(), q.id_json)};
  }
  std::string body = api::route_quote_json(*decoded, quote_route(engine, *decoded), engine);
  if (!q.id_json.empty()) body.insert(body.size() - 1, ",\"id\":" + q.id_json);
  return {200, std::move(body)};
}

}  // namespace cpx::query
