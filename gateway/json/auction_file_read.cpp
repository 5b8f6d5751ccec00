// Reading an auction day file (docs/AUCTION_FILES.md): every field typed and range-checked, unknown fields
// refused, each error a sentence naming the entry.
#include "json/auction_file_detail.hpp"

namespace cpx::api {

using namespace auction_file_detail;

namespace {

struct Codes {
  std::map<std::string, size_t, std::less<>> participants, regions, classes;
  std::map<std::pair<RegionId, RegionId>, uint32_t> links;
};

void read_constraints(const Obj& o, const AuctionDayFile& f, const Codes& codes, AuctionFileBid& b) {
  const std::string& where = o.where();
  RouteQuery& q = b.constraints;
  std::set<size_t> seen;
  for (const json& c : o.array("classes", true)) {
    if (!c.is_string()) fail(where, "field \"classes\" must list chip class codes (strings)");
    const size_t id = lookup(codes.classes, c.get<std::string>(), where, "classes", "classes");
    if (!seen.insert(id).second) fail(where, "field \"classes\" names " + in_quotes(c.get<std::string>()) + " twice");
    if (!q.classes.empty() && f.classes[id].family != f.classes[q.classes.front()].family)
      fail(where, "field \"classes\" must all be of one family (ai or general): " + in_quotes(c.get<std::string>()) + " is not");
    q.classes.push_back(static_cast<ChipClassId>(id));
  }
  if (o.has("regions")) {
    const json& r = o.get("regions");
    if (r.is_string() && r == "any") {
    } else if (r.is_array() && !r.empty()) {
      seen.clear();
      for (const json& c : r) {
        if (!c.is_string()) fail(where, "field \"regions\" must be \"any\" or a list of region codes");
        const size_t id = lookup(codes.regions, c.get<std::string>(), where, "regions", "regions");
        if (!seen.insert(id).second) fail(where, "field \"regions\" names " + in_quotes(c.get<std::string>()) + " twice");
        q.regions.push_back(static_cast<RegionId>(id));
      }
    } else {
      fail(where, "field \"regions\" must be \"any\" or a non-empty list of region codes");
    }
  }
  q.origin = static_cast<RegionId>(lookup(codes.regions, o.code("origin"), where, "origin", "regions"));
  q.max_latency_ms = o.has("max_latency_ms") ? o.integer("max_latency_ms", 0, INT32_MAX) : -1;
  if (o.has("residency")) {
    const json& r = o.get("residency");
    if (r.is_string() && r == "local") {
      q.local_only = true;
    } else if (r.is_string() && r == "any") {
    } else if (r.is_array() && !r.empty()) {
      for (const json& j : r) {
        if (!j.is_string() || j.get<std::string>().empty())
          fail(where, "field \"residency\" must be \"any\", \"local\" or a list of jurisdictions (non-empty strings)");
        q.jurisdictions.push_back(j.get<std::string>());
      }
    } else {
      fail(where, "field \"residency\" must be \"any\", \"local\" or a non-empty list of jurisdictions");
    }
    if (const char* why = tidy_route_lists(q)) fail(where, std::string("field \"residency\": ") + why);
  }
  q.min_green_share = o.has("min_green_share") ? o.decimal("min_green_share", 4, 0, kScale, "0.30") : 0;
}

void read_routes(const Obj& o, const AuctionDayFile& f, const Codes& codes, AuctionFileBid& b) {
  const json& list = o.array("routes");
  std::vector<AuctionFileRoute> routes;
  std::set<std::pair<size_t, size_t>> zones;
  for (size_t k = 0; k < list.size(); ++k) {
    const Obj r(list[k], o.where() + ", routes[" + std::to_string(k) + "]");
    r.allow({"region", "class", "path"});
    AuctionFileRoute route;
    route.region = static_cast<RegionId>(lookup(codes.regions, r.code("region"), r.where(), "region", "regions"));
    route.chip_class = static_cast<ChipClassId>(lookup(codes.classes, r.code("class"), r.where(), "class", "classes"));
    if (!zones.insert({route.region, route.chip_class}).second)
      fail(r.where(), "the zone " + f.regions[route.region].code + " x " + f.classes[route.chip_class].code + " has a route already");
    const json& path = r.array("path", true);
    if (path.size() > static_cast<size_t>(kMaxPathLinks) + 1)
      fail(r.where(), "field \"path\" has " + std::to_string(path.size() - 1) + " links; a route has at most " +
                          std::to_string(kMaxPathLinks));
    for (const json& p : path) {
      if (!p.is_string()) fail(r.where(), "field \"path\" must list region codes");
      const RegionId id = static_cast<RegionId>(lookup(codes.regions, p.get<std::string>(), r.where(), "path", "regions"));
      if (std::find(route.path.begin(), route.path.end(), id) != route.path.end())
        fail(r.where(), "field \"path\" passes " + p.get<std::string>() + " twice");
      if (!route.path.empty() && !codes.links.count({route.path.back(), id}))
        fail(r.where(), "field \"path\" goes from " + f.regions[route.path.back()].code + " to " + p.get<std::string>() +
                            ", but \"links\" has no such link");
      route.path.push_back(id);
    }
    if (route.path.front() != b.constraints.origin)
      fail(r.where(), "field \"path\" must start at the bid's origin " + f.regions[b.constraints.origin].code);
    if (route.path.back() != route.region)
      fail(r.where(), "field \"path\" must end at the route's region " + f.regions[route.region].code);
    routes.push_back(std::move(route));
  }
  b.routes = std::move(routes);
}

AuctionDayFile read_file(const json& doc) {
  AuctionDayFile f;
  const Obj top(doc, "the auction day file");
  top.allow({"format", "comment", "day", "gate_closure", "fee_bps", "participants", "regions", "classes", "links",
             "offers", "bids"});
  if (!top.has("format") || !top.get("format").is_string() || top.get("format").get<std::string>() != kAuctionDayFormat) {
    fail("", "field \"format\" must be \"" + std::string(kAuctionDayFormat) + "\"" +
                 (top.has("format") ? " (this file says " + dump(top.get("format")).substr(0, 40) + ")" : "") +
                 ": is this an auction day file?");
  }
  if (top.has("comment") && !top.get("comment").is_string()) fail("", "field \"comment\" must be a string");
  {
    const std::string day = top.str("day");
    auto start = parse_auction_day(day);
    if (!start) fail("", "field \"day\" must be a date YYYY-MM-DD from 1970 to 2199, not " + in_quotes(day));
    f.day_start = *start;
  }
  if (top.has("gate_closure")) {
    const json& g = top.get("gate_closure");
    auto t = g.is_string() ? parse_iso_time(g.get<std::string>()) : std::nullopt;
    if (!t) fail("", "field \"gate_closure\" must be an ISO-8601 time with a zone, like \"2026-12-01T12:00:00+08:00\"");
    if (*t >= f.day_start) fail("", "field \"gate_closure\" must be before the delivery day starts (" + format_iso_time(f.day_start) + ")");
    f.gate_closure = *t;
  }
  f.fee_bps = top.integer("fee_bps", 0, 10'000);

  Codes codes;
  const json& participants = top.array("participants");
  for (size_t i = 0; i < participants.size(); ++i) {
    const Obj o(participants[i], named_entry("participants", i, participants[i], "code"));
    o.allow({"code", "name", "kind"});
    Participant p;
    p.code = o.code("code");
    if (o.has("name")) p.name = o.str("name");
    if (o.has("kind") && !parse_participant_kind(o.str("kind"), p.kind))
      fail(o.where(), "field \"kind\" must be one of cloud_vendor, state_operator, carrier, buyer, exchange");
    if (!codes.participants.emplace(p.code, i).second) fail(o.where(), "the code " + p.code + " is listed twice");
    f.participants.push_back(std::move(p));
  }
  if (f.participants.size() >= kNoParticipant) fail("", "too many participants");

  const json& regions = top.array("regions");
  if (regions.size() > kMaxCodes) fail("", "field \"regions\" has more than " + std::to_string(kMaxCodes) + " entries");
  for (size_t i = 0; i < regions.size(); ++i) {
    const Obj o(regions[i], named_entry("regions", i, regions[i], "code"));
    o.allow({"code", "name", "side", "jurisdiction", "green_share", "power_price_cny_per_kwh", "pue"});
    Region r;
    r.code = o.code("code");
    if (o.has("name")) r.name = o.str("name");
    if (!parse_region_side(o.str("side"), r.side)) fail(o.where(), "field \"side\" must be \"east\" or \"west\"");
    r.jurisdiction = o.str("jurisdiction");
    if (r.jurisdiction.empty() || r.jurisdiction.size() > kMaxJurisdictionBytes)
      fail(o.where(), "field \"jurisdiction\" must be 1 to 32 bytes");
    r.green_share = o.decimal("green_share", 4, 0, kScale, "0.30");
    if (o.has("power_price_cny_per_kwh")) r.power_price = o.decimal("power_price_cny_per_kwh", 4, 0, kMaxPrice, "0.62");
    if (o.has("pue")) r.pue = o.decimal("pue", 4, 0, kMaxPrice, "1.25");
    if (!codes.regions.emplace(r.code, i).second) fail(o.where(), "the code " + r.code + " is listed twice");
    f.regions.push_back(std::move(r));
  }

  const json& classes = top.array("classes");
  if (classes.size() > kMaxCodes) fail("", "field \"classes\" has more than " + std::to_string(kMaxCodes) + " entries");
  // Zones are regions x classes and the solver sizes arrays by zones x 24 hours: bound the product too.
  if (regions.size() * classes.size() > kMaxZones)
    fail("", "fields \"regions\" x \"classes\" make more than " + std::to_string(kMaxZones) + " zones");
  for (size_t i = 0; i < classes.size(); ++i) {
    const Obj o(classes[i], named_entry("classes", i, classes[i], "code"));
    o.allow({"code", "family", "scu_per_device", "device", "memory_gb", "interconnect"});
    ChipClass c;
    c.code = o.code("code");
    if (!parse_family(o.str("family"), c.family)) fail(o.where(), "field \"family\" must be \"ai\" or \"general\"");
    c.scu_per_device = o.integer("scu_per_device", 1, kMaxScuPerDevice);
    if (o.has("device")) c.device = o.str("device");
    if (o.has("memory_gb")) c.memory_gb = o.integer("memory_gb", 0, INT32_MAX);
    if (o.has("interconnect")) c.interconnect = o.str("interconnect");
    if (!codes.classes.emplace(c.code, i).second) fail(o.where(), "the code " + c.code + " is listed twice");
    f.classes.push_back(std::move(c));
  }

  const json& links = top.array("links");
  for (size_t i = 0; i < links.size(); ++i) {
    std::string name;
    if (links[i].is_object() && links[i].contains("from") && links[i].contains("to") && links[i]["from"].is_string() &&
        links[i]["to"].is_string())
      name = links[i]["from"].get<std::string>() + ">" + links[i]["to"].get<std::string>();
    const Obj o(links[i], entry("links", i, name));
    o.allow({"from", "to", "latency_ms", "capacity_gbps", "tariff_cny_per_gb", "carrier"});
    NetworkLink l;
    l.from = static_cast<RegionId>(lookup(codes.regions, o.code("from"), o.where(), "from", "regions"));
    l.to = static_cast<RegionId>(lookup(codes.regions, o.code("to"), o.where(), "to", "regions"));
    if (l.from == l.to) fail(o.where(), "a link joins two different regions");
    l.latency_ms = o.integer("latency_ms", 1, kMaxLatencyMs);
    l.capacity_gbps = o.integer("capacity_gbps", 1, kMaxCapacityGbps);
    l.tariff_per_gb = o.decimal("tariff_cny_per_gb", 4, 0, kMaxTariffPerGb, "0.0275");
    l.carrier = static_cast<ParticipantId>(lookup(codes.participants, o.code("carrier"), o.where(), "carrier", "participants"));
    if (!codes.links.emplace(std::make_pair(l.from, l.to), static_cast<uint32_t>(i)).second)
      fail(o.where(), "there is a link from " + f.regions[l.from].code + " to " + f.regions[l.to].code + " already (one per direction)");
    f.links.push_back(l);
  }

  std::map<uint64_t, std::string> ids;
  auto unique_id = [&](uint64_t id, const std::string& where) {
    auto [it, fresh] = ids.emplace(id, where);
    if (!fresh) fail(where, "the id " + std::to_string(id) + " is taken by " + it->second + " (ids are unique over offers and bids)");
  };
  auto cl_ord_id = [](const Obj& o) {
    if (!o.has("cl_ord_id")) return std::string();
    std::string s = o.str("cl_ord_id");
    ClOrdId probe;
    if (!probe.assign(s)) fail(o.where(), "field \"cl_ord_id\" must be at most 32 bytes with no NUL");
    return s;
  };

  const json& offers = top.array("offers");
  for (size_t i = 0; i < offers.size(); ++i) {
    const Obj o(offers[i], named_entry("offers", i, offers[i], "id"));
    o.allow({"id", "cl_ord_id", "supplier", "region", "class", "hour", "devices", "price"});
    AuctionFileOffer x;
    x.id = o.id("id");
    unique_id(x.id, o.where());
    x.cl_ord_id = cl_ord_id(o);
    x.supplier = static_cast<uint32_t>(lookup(codes.participants, o.code("supplier"), o.where(), "supplier", "participants"));
    x.region = static_cast<RegionId>(lookup(codes.regions, o.code("region"), o.where(), "region", "regions"));
    x.chip_class = static_cast<ChipClassId>(lookup(codes.classes, o.code("class"), o.where(), "class", "classes"));
    x.hour = static_cast<int32_t>(o.integer("hour", 0, kAuctionHours - 1));
    x.devices = o.integer("devices", 1, kMaxDevices);
    x.price = o.decimal("price", 4, 0, kMaxPrice, "17.80");
    f.offers.push_back(std::move(x));
  }

  const json& bids = top.array("bids");
  for (size_t i = 0; i < bids.size(); ++i) {
    const Obj o(bids[i], named_entry("bids", i, bids[i], "id"));
    o.allow({"id", "cl_ord_id", "buyer", "first_hour", "hours", "scu_per_hour", "min_ratio", "limit_cny_per_scu_hour",
             "data_gb_per_hour", "reserve", "classes", "regions", "origin", "max_latency_ms", "residency",
             "min_green_share", "routes"});
    AuctionFileBid b;
    b.id = o.id("id");
    unique_id(b.id, o.where());
    b.cl_ord_id = cl_ord_id(o);
    b.buyer = static_cast<uint32_t>(lookup(codes.participants, o.code("buyer"), o.where(), "buyer", "participants"));
    b.first_hour = static_cast<int32_t>(o.integer("first_hour", 0, kAuctionHours - 1));
    b.hours = static_cast<int32_t>(o.integer("hours", 1, kAuctionHours - b.first_hour));
    RouteQuery& q = b.constraints;
    q.scu = o.integer("scu_per_hour", 1, kMaxScuPerHour);
    b.min_ratio_bps = o.has("min_ratio") ? o.decimal("min_ratio", 4, 1, kScale, "0.5") : kScale;
    q.limit_per_scu_hour = o.decimal("limit_cny_per_scu_hour", static_cast<int>(kScuPriceDecimals), 0, kMaxPrice, "0.02000000");
    q.data_gb = o.has("data_gb_per_hour") ? o.integer("data_gb_per_hour", 0, kMaxDataGbPerHour) : 0;
    if (o.has("reserve")) b.reserve = o.decimal("reserve", 4, 0, kMaxNotional, "12345.6789");
    q.window_start = f.day_start + b.first_hour * kNanosPerHour;
    q.window_end = q.window_start + b.hours * kNanosPerHour;
    read_constraints(o, f, codes, b);
    if (o.has("routes")) read_routes(o, f, codes, b);
    f.bids.push_back(std::move(b));
  }
  return f;
}

}  // namespace

std::optional<Timestamp> parse_auction_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const CivilDate d{num(0, 4), num(5, 2), num(8, 2)};
  if (d.year < 1970 || d.year > 2199 || !valid_date(d)) return std::nullopt;
  return days_from_civil(d) * kNanosPerDay - kCstOffset;
}

std::string format_auction_day(Timestamp day_start) { return format_iso_time(day_start).substr(0, 10); }

Result<AuctionDayFile> read_auction_day(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) {
    // Parse again with exceptions on, only for the position of the error.
    std::string why = "the file is not valid JSON";
    try {
      const json again = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      why += " (" + std::string(e.what()) + ")";
    }
    return make_error("auction_file_invalid", why);
  }
  try {
    return read_file(doc);
  } catch (const FileError& e) {
    return make_error("auction_file_invalid", e.text);
  } catch (const json::exception& e) {
    return make_error("auction_file_invalid", std::string("the file could not be read: ") + e.what());
  }
}

Result<AuctionDayFile> load_auction_day(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("auction_file_invalid", "cannot open " + path + ": " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  auto f = read_auction_day(buf.str());
  if (!f) return make_error(f.error().code, path + ": " + f.error().text);
  return f;
}

}  // namespace cpx::api
