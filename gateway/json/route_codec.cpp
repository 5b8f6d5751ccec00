#include "json/route_codec.hpp"

#include <cstring>
#include <optional>

namespace cpx::api {

using nlohmann::json;

namespace {

DecodeError error(RejectReason reason, std::string text) {
  DecodeError e;
  e.reason = reason;
  e.text = std::move(text);
  e.cmd = "route_quote";
  return e;
}

std::optional<int64_t> fixed(const json& v, int decimals) {
  if (v.is_string()) return parse_fixed(v.get<std::string>(), decimals);
  if (v.is_number_integer()) return parse_fixed(v.dump(), decimals);
  return std::nullopt;
}

std::optional<Timestamp> time_of(const json& v) {
  if (!v.is_string()) return std::nullopt;
  auto t = parse_iso_time(v.get<std::string>());
  return t ? std::optional<Timestamp>(*t) : std::nullopt;
}

}  // namespace

Result<RouteQuery, DecodeError> decode_route_query(const json& r, const MatchingEngine& engine) {
  return decode_route_query(r, EngineNames(engine));
}

Result<RouteQuery, DecodeError> decode_route_query(const json& r, const NameResolver& names,
                                                   std::initializer_list<RouteQueryField> replaced) {
  if (!r.is_object()) return error(RejectReason::MalformedRequest, "a route query is a JSON object");
  // A field from `replaced` when named there (absent when its value is null), else the request's own.
  const auto field = [&](const char* name) -> const json* {
    for (const RouteQueryField& f : replaced)
      if (std::strcmp(f.name, name) == 0) return f.value;
    auto it = r.find(name);
    return it == r.end() ? nullptr : &*it;
  };
  RouteQuery q;
  const auto bad = [](const std::string& what) { return error(RejectReason::MalformedRequest, what); };
  // Classes: one family.
  const json* classes = field("classes");
  if (!classes || !classes->is_array() || classes->empty()) return bad("field \"classes\": a non-empty array of chip class codes");
  std::optional<ChipFamily> family;
  for (const json& c : *classes) {
    const ChipClassId id = c.is_string() ? names.chip_class(c.get<std::string>()) : UINT16_MAX;
    if (id == UINT16_MAX) return error(RejectReason::UnknownChipClass, "unknown chip class " + shown_json(c));
    const ChipFamily f = names.chip_class_info(id)->family;
    if (family && *family != f) return error(RejectReason::InvalidValue, "\"classes\" must all be of one family (ai or general)");
    family = f;
    q.classes.push_back(id);
  }
  // Regions: a list, or "any" (the default).
  if (const json* regions = field("regions"); regions && !(regions->is_string() && *regions == "any")) {
    if (!regions->is_array() || regions->empty()) return bad("field \"regions\": a non-empty array of region codes or \"any\"");
    for (const json& c : *regions) {
      const RegionId id = c.is_string() ? names.region(c.get<std::string>()) : UINT16_MAX;
      if (id == UINT16_MAX) return error(RejectReason::UnknownRegion, "unknown region " + shown_json(c));
      q.regions.push_back(id);
    }
  }
  const json* origin = field("origin");
  if (!origin || !origin->is_string()) return bad("field \"origin\": the region code where the data is");
  q.origin = names.region(origin->get<std::string>());
  if (q.origin == UINT16_MAX) return error(RejectReason::UnknownRegion, "unknown origin region " + shown_json(*origin));
  if (const json* latency = field("max_latency_ms")) {
    if (!latency->is_number_integer() || latency->get<int64_t>() < 0)
      return bad("field \"max_latency_ms\": a whole number of milliseconds, 0 or more");
    q.max_latency_ms = latency->get<int64_t>();
  }
  if (const json* residency = field("residency")) {
    const json& res = *residency;
    if (res.is_string() && res == "local") {
      q.local_only = true;
    } else if (res.is_array() && !res.empty()) {  // [] would read as "any": the opposite of a residency list
      for (const json& j : res) {
        if (!j.is_string()) return bad("field \"residency\": \"any\", \"local\" or a non-empty array of jurisdictions");
        q.jurisdictions.push_back(j.get<std::string>());
      }
    } else if (!(res.is_string() && res == "any")) {
      return bad("field \"residency\": \"any\", \"local\" or a non-empty array of jurisdictions");
    }
  }
  if (const json* green = field("min_green_share")) {
    auto g = fixed(*green, 4);
    if (!g || *g < 0 || *g > kScale) return bad("field \"min_green_share\": a decimal from 0 to 1, like \"0.30\"");
    q.min_green_share = *g;
  }
  if (const json* data = field("data_gb")) {
    if (!data->is_number_integer() || data->get<int64_t>() < 0 || data->get<int64_t>() > 1'000'000'000)
      return bad("field \"data_gb\": whole GB, 0 to 1,000,000,000");
    q.data_gb = data->get<int64_t>();
  }
  const json* scu = field("scu");
  if (!scu || !scu->is_number_integer() || scu->get<int64_t>() <= 0 || scu->get<int64_t>() > kMaxDevices)
    return bad("field \"scu\": the quantity in SCU, 1 to 1,000,000,000");
  q.scu = scu->get<int64_t>();
  const json* window_start = field("window_start");
  const json* window_end = field("window_end");
  const Timestamp start = window_start ? time_of(*window_start).value_or(-1) : -1;
  const Timestamp end = window_end ? time_of(*window_end).value_or(-1) : -1;
  if (start < 0 || end <= start) return bad("fields \"window_start\" < \"window_end\": ISO 8601 times of the delivery window");
  q.window_start = start;
  q.window_end = end;
  if (const json* limit = field("limit_cny_per_scu_hour")) {
    auto l = fixed(*limit, static_cast<int>(kScuPriceDecimals));
    if (!l || *l <= 0) return bad("field \"limit_cny_per_scu_hour\": a positive decimal with up to eight decimals");
    q.limit_per_scu_hour = *l;
  }
  if (const char* why = tidy_route_lists(q)) return error(RejectReason::InvalidValue, std::string("field \"residency\": ") + why);
  return q;
}

std::string route_quote_json(const RouteQuery& q, const RouteQuote& quote, const MatchingEngine& engine) {
  auto region = [&](RegionId id) { return engine.region(id)->code; };
  json candidates = json::array();
  for (const RouteCandidate& c : quote.candidates) {
    json path = json::array(), carriers = json::array();
    for (RegionId r : c.path) path.push_back(region(r));
    for (ParticipantId p : c.carriers) carriers.push_back(engine.participant(p)->code);
    json symbols = json::array();
    for (InstrumentId id : c.instruments) symbols.push_back(engine.instrument(id)->symbol);
    candidates.push_back({{"symbol", engine.instrument(c.instrument)->symbol},
                          {"symbols", symbols},
                          {"hours", c.hours},
                          {"region", region(c.region)},
                          {"class", engine.chip_class(c.chip_class)->code},
                          {"path", path},
                          {"carriers", carriers},
                          {"latency_ms", c.latency_ms},
                          {"tariff_cny_per_gb", format_fixed(c.tariff_per_gb)},
                          {"devices", c.devices},
                          {"available", c.available},
                          {"fills", c.fills},
                          {"compute_cost", format_fixed(c.compute_cost)},
                          {"transfer_cost", format_fixed(c.transfer_cost)},
                          {"compute_per_scu_hour", format_fixed(c.compute_per_scu_hour, kScuPriceDecimals)},
                          {"transfer_per_scu_hour", format_fixed(c.transfer_per_scu_hour, kScuPriceDecimals)},
                          {"landed_per_scu_hour", format_fixed(c.landed_per_scu_hour, kScuPriceDecimals)},
                          {"within_limit", c.within_limit}});
  }
  json excluded = json::array();
  for (const RouteExclusion& e : quote.excluded)
    excluded.push_back({{"symbol", engine.instrument(e.instrument)->symbol}, {"reason", e.reason}});
  return json{{"ev", "route_quote"}, {"origin", region(q.origin)}, {"scu", q.scu}, {"data_gb", q.data_gb},
              {"candidates", candidates}, {"excluded", excluded}}
      .dump();
}

}  // namespace cpx::api
