// The auction day file (read, validate, write), the solver input built from it, the export of a day the
// engine froze, and the result files (docs/AUCTION_FILES.md).
#include "json/auction_file.hpp"
#include "json/command_codec.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace cpx::api {

using nlohmann::json;
using nlohmann::ordered_json;
using i128 = __int128;

namespace {

constexpr int64_t kMaxScuPerHour = kMaxDevices * kMaxScuPerDevice;  // as check_auction_input
constexpr int64_t kMaxDataGbPerHour = 1'000'000'000;
constexpr int64_t kMaxTariffPerGb = 100'000'000;  // 10,000 CNY per GB
constexpr int64_t kMaxLatencyMs = 10'000;
constexpr int64_t kMaxCapacityGbps = 1'000'000;
constexpr size_t kMaxCodes = 65'534;  // regions, classes (ids are 16 bits, UINT16_MAX means none)
constexpr size_t kMaxZones = 65'536;  // 256 regions x 256 classes
constexpr int64_t kMicro = 1'000'000;

// Thrown inside the readers only; the public functions turn it into an error value.
struct FileError {
  std::string text;
};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw FileError{where.empty() ? what : where + ": " + what};
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A value of a file in an error text: at most `max` bytes, and never recursing with a deeply nested value
// (nlohmann's dump() recurses once per level; an entry nested 30,000 deep overflowed the stack).
std::string dump(const json& v, size_t max = 200) { return shown_json(v, max); }

// 128-bit rounding, as the rules do it (engine/auction_math.hpp, which is the engine's private header).
i128 div_round(i128 n, i128 d) {
  const i128 q = ((n < 0 ? -n : n) + d / 2) / d;
  return n < 0 ? -q : q;
}
i128 div_ceil(i128 n, i128 d) { return (n + d - 1) / d; }
int64_t device_price(int64_t zone_price, int64_t scu_per_device) {
  return static_cast<int64_t>(div_round(static_cast<i128>(zone_price) * scu_per_device, kScale));
}
i128 flow_micro_gb(const AuctionBlockIn& b, int64_t devices, int64_t scu_per_device) {
  return div_ceil(static_cast<i128>(b.data_gb_per_hour) * devices * scu_per_device * kMicro, b.scu_per_hour);
}
const AuctionRoute* route_to(const AuctionBlockIn& b, uint32_t zone) {
  for (const AuctionRoute& r : b.routes)
    if (r.zone == zone) return &r;
  return nullptr;
}

std::string decimal_text(int64_t v, int decimals) {
  // Trailing zeros kept: the file shows the exact scale of every decimal.
  return format_fixed(v, decimals);
}

// One JSON object being read: typed fields with range checks, unknown fields refused.
class Obj {
 public:
  Obj(const json& v, std::string where) : v_(v), where_(std::move(where)) {
    if (!v_.is_object()) fail(where_, "must be a JSON object, not " + dump(v_).substr(0, 60));
  }

  const std::string& where() const { return where_; }

  void allow(std::initializer_list<const char*> names) const {
    for (auto it = v_.begin(); it != v_.end(); ++it) {
      bool known = false;
      for (const char* n : names) known = known || it.key() == n;
      if (!known) {
        std::string list;
        for (const char* n : names) list += (list.empty() ? "" : ", ") + std::string(n);
        fail(where_, "unknown field " + in_quotes(it.key()) + " (the fields are: " + list + ")");
      }
    }
  }

  bool has(const char* name) const { return v_.contains(name) && !v_[name].is_null(); }

  const json& get(const char* name) const {
    if (!has(name)) fail(where_, "field " + in_quotes(name) + " is required");
    return v_[name];
  }

  std::string str(const char* name) const {
    const json& x = get(name);
    if (!x.is_string()) fail(where_, "field " + in_quotes(name) + " must be a string");
    return x.get<std::string>();
  }

  std::string code(const char* name) const {
    std::string s = str(name);
    if (!valid_code(s)) fail(where_, "field " + in_quotes(name) + " must be a code of 1 to 16 characters A-Z, 0-9 or '-', not " + in_quotes(s));
    return s;
  }

  int64_t integer(const char* name, int64_t lo, int64_t hi) const {
    const json& x = get(name);
    std::optional<int64_t> n;
    if (x.is_number_unsigned()) {
      if (x.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) n = static_cast<int64_t>(x.get<uint64_t>());
    } else if (x.is_number_integer()) {
      n = x.get<int64_t>();
    }
    if (!n) fail(where_, "field " + in_quotes(name) + " must be a whole number, not " + dump(x).substr(0, 40));
    if (*n < lo || *n > hi)
      fail(where_, "field " + in_quotes(name) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       ", not " + std::to_string(*n));
    return *n;
  }

  uint64_t id(const char* name) const {
    const json& x = get(name);
    if (x.is_number_unsigned() && x.get<uint64_t>() > 0) return x.get<uint64_t>();
    fail(where_, "field " + in_quotes(name) + " must be a positive whole number (the auction order id), not " + dump(x).substr(0, 40));
  }

  // A decimal string with at most `decimals` decimals, within [lo, hi] (in units of 10^-decimals).
  int64_t decimal(const char* name, int decimals, int64_t lo, int64_t hi, const char* example) const {
    const json& x = get(name);
    if (x.is_number()) {
      fail(where_, "field " + in_quotes(name) + " is a JSON number; decimals are written as strings so that they stay exact, like " +
                       in_quotes(example));
    }
    if (!x.is_string()) fail(where_, "field " + in_quotes(name) + " must be a decimal string, like " + in_quotes(example));
    auto v = parse_fixed(x.get<std::string>(), decimals);
    if (!v) {
      fail(where_, "field " + in_quotes(name) + " must be a decimal with at most " + std::to_string(decimals) +
                       " decimals, like " + in_quotes(example) + ", not " + dump(x).substr(0, 40));
    }
    if (*v < lo || *v > hi) {
      fail(where_, "field " + in_quotes(name) + " must be from " + in_quotes(format_fixed(lo, decimals)) + " to " +
                       in_quotes(format_fixed(hi, decimals)) + ", not " + dump(x).substr(0, 40));
    }
    return *v;
  }

  const json& array(const char* name, bool non_empty = false) const {
    const json& x = get(name);
    if (!x.is_array()) fail(where_, "field " + in_quotes(name) + " must be an array");
    if (non_empty && x.empty()) fail(where_, "field " + in_quotes(name) + " must not be empty");
    return x;
  }

 private:
  const json& v_;
  std::string where_;
};

template <class T>
size_t lookup(const std::map<std::string, T, std::less<>>& m, const std::string& code, const std::string& where,
              const char* field, const char* list) {
  auto it = m.find(code);
  if (it == m.end()) {
    fail(where, "field " + in_quotes(field) + " names " + in_quotes(code) + ", which is not in " + in_quotes(list) +
                    " (add it there, or correct the code)");
  }
  return it->second;
}

std::string entry(const char* list, size_t i, const std::string& name) {
  return std::string(list) + "[" + std::to_string(i) + "]" + (name.empty() ? "" : " (" + name + ")");
}

std::string named_entry(const char* list, size_t i, const json& v, const char* key) {
  std::string name;
  if (v.is_object()) {
    auto it = v.find(key);
    if (it != v.end() && it->is_string()) name = it->get<std::string>();
    if (it != v.end() && it->is_number_integer()) name = std::string(key) + " " + it->dump();
  }
  if (name.size() > 40) name = name.substr(0, 40) + "...";
  return entry(list, i, name);
}

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

// ---- writing

// One top-level key per line; arrays one element per line; everything else compact.
std::string lines(const ordered_json& top) {
  std::string out = "{\n";
  size_t k = 0;
  for (auto it = top.begin(); it != top.end(); ++it, ++k) {
    out += "  " + json(it.key()).dump() + ": ";
    const ordered_json& v = it.value();
    if (v.is_array() && !v.empty() && (v.front().is_object() || v.front().is_array())) {
      out += "[\n";
      for (size_t i = 0; i < v.size(); ++i) {
        out += "    " + v[i].dump(-1, ' ', false, json::error_handler_t::replace);
        out += i + 1 < v.size() ? ",\n" : "\n";
      }
      out += "  ]";
    } else {
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    out += k + 1 < top.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

ordered_json constraints_json(const AuctionDayFile& f, const AuctionFileBid& b) {
  const RouteQuery& q = b.constraints;
  ordered_json o;
  ordered_json classes = ordered_json::array();
  for (ChipClassId c : q.classes) classes.push_back(f.classes[c].code);
  o["classes"] = classes;
  if (q.regions.empty()) {
    o["regions"] = "any";
  } else {
    ordered_json regions = ordered_json::array();
    for (RegionId r : q.regions) regions.push_back(f.regions[r].code);
    o["regions"] = regions;
  }
  o["origin"] = f.regions[q.origin].code;
  if (q.max_latency_ms >= 0) o["max_latency_ms"] = q.max_latency_ms;
  if (q.local_only) {
    o["residency"] = "local";
  } else if (q.jurisdictions.empty()) {
    o["residency"] = "any";
  } else {
    o["residency"] = q.jurisdictions;
  }
  o["min_green_share"] = decimal_text(q.min_green_share, 4);
  return o;
}

}  // namespace

Money auction_file_reserve(const AuctionDayFile& f, const AuctionFileBid& b) {
  int64_t smallest = INT64_MAX;
  for (ChipClassId c : b.constraints.classes) smallest = std::min(smallest, f.classes[c].scu_per_device);
  return auction_block_reserve(b.constraints.scu, b.hours, b.constraints.limit_per_scu_hour,
                               smallest == INT64_MAX ? 1 : smallest, f.fee_bps);
}

namespace {

std::vector<AuctionZone> zones_of(const AuctionDayFile& f) {
  std::vector<AuctionZone> zones;
  zones.reserve(f.regions.size() * f.classes.size());
  for (size_t r = 0; r < f.regions.size(); ++r)
    for (size_t c = 0; c < f.classes.size(); ++c)
      zones.push_back(AuctionZone{static_cast<RegionId>(r), static_cast<ChipClassId>(c), f.classes[c].scu_per_device});
  return zones;
}

uint32_t zone_of(const AuctionDayFile& f, RegionId r, ChipClassId c) {
  return static_cast<uint32_t>(static_cast<size_t>(r) * f.classes.size() + c);
}

// A bid's routes as the solver reads them (ascending zone, links by index); false when a path uses a
// link the network does not have.
bool routes_of(const AuctionDayFile& f, const std::vector<AuctionFileRoute>& in, std::vector<AuctionRoute>& out,
               std::string& why) {
  std::map<std::pair<RegionId, RegionId>, uint32_t> index;
  for (uint32_t l = 0; l < f.links.size(); ++l) index.emplace(std::make_pair(f.links[l].from, f.links[l].to), l);
  out.clear();
  for (const AuctionFileRoute& r : in) {
    AuctionRoute route;
    route.zone = zone_of(f, r.region, r.chip_class);
    for (size_t k = 1; k < r.path.size(); ++k) {
      auto it = index.find({r.path[k - 1], r.path[k]});
      if (it == index.end()) {
        why = "a route goes from " + f.regions[r.path[k - 1]].code + " to " + f.regions[r.path[k]].code + " with no link";
        return false;
      }
      route.links.push_back(it->second);
    }
    out.push_back(std::move(route));
  }
  std::sort(out.begin(), out.end(), [](const AuctionRoute& a, const AuctionRoute& b) { return a.zone < b.zone; });
  return true;
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

std::string write_auction_day(const AuctionDayFile& f) {
  ordered_json top;
  top["format"] = kAuctionDayFormat;
  top["day"] = format_auction_day(f.day_start);
  if (f.gate_closure) top["gate_closure"] = format_iso_time(*f.gate_closure);
  top["fee_bps"] = f.fee_bps;
  ordered_json participants = ordered_json::array();
  for (const Participant& p : f.participants)
    participants.push_back(ordered_json{{"code", p.code}, {"name", p.name}, {"kind", to_string(p.kind)}});
  top["participants"] = participants;
  ordered_json regions = ordered_json::array();
  for (const Region& r : f.regions)
    regions.push_back(ordered_json{{"code", r.code},
                                   {"name", r.name},
                                   {"side", to_string(r.side)},
                                   {"jurisdiction", r.jurisdiction},
                                   {"green_share", decimal_text(r.green_share, 4)},
                                   {"power_price_cny_per_kwh", decimal_text(r.power_price, 4)},
                                   {"pue", decimal_text(r.pue, 4)}});
  top["regions"] = regions;
  ordered_json classes = ordered_json::array();
  for (const ChipClass& c : f.classes)
    classes.push_back(ordered_json{{"code", c.code},
                                   {"family", to_string(c.family)},
                                   {"scu_per_device", c.scu_per_device},
                                   {"device", c.device},
                                   {"memory_gb", c.memory_gb},
                                   {"interconnect", c.interconnect}});
  top["classes"] = classes;
  ordered_json links = ordered_json::array();
  for (const NetworkLink& l : f.links)
    links.push_back(ordered_json{{"from", f.regions[l.from].code},
                                 {"to", f.regions[l.to].code},
                                 {"latency_ms", l.latency_ms},
                                 {"capacity_gbps", l.capacity_gbps},
                                 {"tariff_cny_per_gb", decimal_text(l.tariff_per_gb, 4)},
                                 {"carrier", f.participants[l.carrier].code}});
  top["links"] = links;
  ordered_json offers = ordered_json::array();
  for (const AuctionFileOffer& o : f.offers) {
    ordered_json x;
    x["id"] = o.id;
    if (!o.cl_ord_id.empty()) x["cl_ord_id"] = o.cl_ord_id;
    x["supplier"] = f.participants[o.supplier].code;
    x["region"] = f.regions[o.region].code;
    x["class"] = f.classes[o.chip_class].code;
    x["hour"] = o.hour;
    x["devices"] = o.devices;
    x["price"] = decimal_text(o.price, 4);
    offers.push_back(std::move(x));
  }
  top["offers"] = offers;
  ordered_json bids = ordered_json::array();
  for (const AuctionFileBid& b : f.bids) {
    ordered_json x;
    x["id"] = b.id;
    if (!b.cl_ord_id.empty()) x["cl_ord_id"] = b.cl_ord_id;
    x["buyer"] = f.participants[b.buyer].code;
    x["first_hour"] = b.first_hour;
    x["hours"] = b.hours;
    x["scu_per_hour"] = b.constraints.scu;
    x["min_ratio"] = decimal_text(b.min_ratio_bps, 4);
    x["limit_cny_per_scu_hour"] = decimal_text(b.constraints.limit_per_scu_hour, kScuPriceDecimals);
    x["data_gb_per_hour"] = b.constraints.data_gb;
    if (b.reserve) x["reserve"] = decimal_text(*b.reserve, 4);
    const ordered_json constraints = constraints_json(f, b);
    for (auto it = constraints.begin(); it != constraints.end(); ++it) x[it.key()] = it.value();
    if (b.routes) {
      ordered_json routes = ordered_json::array();
      for (const AuctionFileRoute& r : *b.routes) {
        ordered_json path = ordered_json::array();
        for (RegionId p : r.path) path.push_back(f.regions[p].code);
        routes.push_back(ordered_json{{"region", f.regions[r.region].code}, {"class", f.classes[r.chip_class].code}, {"path", path}});
      }
      x["routes"] = routes;
    }
    bids.push_back(std::move(x));
  }
  top["bids"] = bids;
  return lines(top);
}

Result<AuctionInput> auction_input_from_file(const AuctionDayFile& f, bool recompute_routes) {
  AuctionInput in;
  in.day_start = f.day_start;
  in.fee_bps = f.fee_bps;
  in.zones = zones_of(f);
  in.links = auction_links(f.links);
  for (const AuctionFileOffer& o : f.offers)
    in.offers.push_back(AuctionOfferIn{o.id, o.supplier, zone_of(f, o.region, o.chip_class), o.hour, o.devices, o.price});
  for (size_t j = 0; j < f.bids.size(); ++j) {
    const AuctionFileBid& b = f.bids[j];
    AuctionBlockIn x = auction_block_in(b.id, b.buyer, b.first_hour, b.hours, b.min_ratio_bps, b.constraints,
                                        b.reserve ? *b.reserve : auction_file_reserve(f, b));
    if (recompute_routes) {
      x.routes = auction_routes(f.regions, f.classes, f.links, in.zones, b.constraints, b.constraints.scu);
    } else if (!b.routes) {
      return make_error("auction_file_invalid", "bids[" + std::to_string(j) + "] (id " + std::to_string(b.id) +
                                                    ") has no \"routes\": give the routes frozen at the gate, or "
                                                    "recompute them from the constraints (cpx-auction solve --recompute-routes)");
    } else {
      std::string why;
      if (!routes_of(f, *b.routes, x.routes, why))
        return make_error("auction_file_invalid", "bids[" + std::to_string(j) + "] (id " + std::to_string(b.id) + "): " + why);
    }
    in.blocks.push_back(std::move(x));
  }
  if (auto ok = check_auction_input(in); !ok) return ok.error();
  return in;
}

void freeze_routes(AuctionDayFile& f) {
  const std::vector<AuctionZone> zones = zones_of(f);
  for (AuctionFileBid& b : f.bids) {
    std::vector<AuctionFileRoute> routes;
    for (const AuctionRoute& r : auction_routes(f.regions, f.classes, f.links, zones, b.constraints, b.constraints.scu)) {
      AuctionFileRoute route;
      route.region = zones[r.zone].region;
      route.chip_class = zones[r.zone].chip_class;
      route.path.push_back(b.constraints.origin);
      for (uint32_t l : r.links) route.path.push_back(f.links[l].to);
      routes.push_back(std::move(route));
    }
    b.routes = std::move(routes);
  }
}

std::vector<uint32_t> bids_with_other_routes(const AuctionDayFile& f) {
  std::vector<uint32_t> out;
  const std::vector<AuctionZone> zones = zones_of(f);
  for (uint32_t j = 0; j < f.bids.size(); ++j) {
    const AuctionFileBid& b = f.bids[j];
    if (!b.routes) continue;
    std::vector<AuctionRoute> given;
    std::string why;
    const std::vector<AuctionRoute> computed =
        auction_routes(f.regions, f.classes, f.links, zones, b.constraints, b.constraints.scu);
    bool same = routes_of(f, *b.routes, given, why) && given.size() == computed.size();
    for (size_t k = 0; same && k < given.size(); ++k)
      same = given[k].zone == computed[k].zone && given[k].links == computed[k].links;
    if (!same) out.push_back(j);
  }
  return out;
}

Result<AuctionDayFile> auction_day_file(const MatchingEngine& engine, const AuctionDay& day) {
  const std::string name = "the auction for " + format_auction_day(day.day_start);
  auto bad = [&](const std::string& why) { return make_error("auction_export_failed", name + ": " + why); };
  if (day.state == AuctionState::Open) {
    return bad("it is still open; its input is frozen at the gate (" + format_iso_time(day.gate_closure) +
               "): advance time past it first");
  }
  const AuctionInput& in = day.input;
  AuctionDayFile f;
  f.day_start = day.day_start;
  f.gate_closure = day.gate_closure;
  f.fee_bps = in.fee_bps;
  // The regions and classes of the gate: the frozen zones are every region x class there was then.
  size_t nr = 0, nc = 0;
  if (!in.zones.empty()) {
    nr = static_cast<size_t>(in.zones.back().region) + 1;
    nc = static_cast<size_t>(in.zones.back().chip_class) + 1;
  }
  if (nr * nc != in.zones.size()) return bad("the frozen zones are not every region x class");
  for (size_t r = 0; r < nr; ++r) {
    const Region* region = engine.region(static_cast<RegionId>(r));
    if (!region) return bad("region " + std::to_string(r) + " of the frozen zones is not known to the engine");
    f.regions.push_back(*region);
  }
  for (size_t c = 0; c < nc; ++c) {
    const ChipClass* cls = engine.chip_class(static_cast<ChipClassId>(c));
    if (!cls) return bad("chip class " + std::to_string(c) + " of the frozen zones is not known to the engine");
    f.classes.push_back(*cls);
  }
  for (size_t z = 0; z < in.zones.size(); ++z) {
    const AuctionZone& zone = in.zones[z];
    if (zone.region != z / nc || zone.chip_class != z % nc || zone.scu_per_device != f.classes[zone.chip_class].scu_per_device)
      return bad("frozen zone " + std::to_string(z) + " does not match the engine's regions and classes");
  }
  // The network of the gate: its first links (links are only ever added).
  const std::vector<NetworkLink>& network = engine.links();
  if (network.size() < in.links.size()) return bad("the engine has fewer links than the frozen input");
  const std::vector<NetworkLink> frozen(network.begin(), network.begin() + static_cast<std::ptrdiff_t>(in.links.size()));
  const std::vector<AuctionLink> check = auction_links(frozen);
  for (size_t l = 0; l < check.size(); ++l) {
    const AuctionLink &a = check[l], &b = in.links[l];
    if (a.from != b.from || a.to != b.to || a.carrier != b.carrier || a.capacity_gb_per_hour != b.capacity_gb_per_hour ||
        a.tariff_per_gb != b.tariff_per_gb || a.from >= nr || a.to >= nr)
      return bad("frozen link " + std::to_string(l) + " does not match the engine's network");
  }
  // Participants named by the orders and links, in engine id order; their index is their id in the file.
  std::set<ParticipantId> named;
  for (const AuctionLink& l : in.links) named.insert(l.carrier);
  for (const AuctionOfferIn& o : in.offers) named.insert(o.supplier);
  for (const AuctionBlockIn& b : in.blocks) named.insert(b.buyer);
  std::map<ParticipantId, uint32_t> index;
  for (ParticipantId p : named) {
    const Participant* who = engine.participant(p);
    if (!who) return bad("participant " + std::to_string(p) + " is not known to the engine");
    index[p] = static_cast<uint32_t>(f.participants.size());
    Participant copy;
    copy.code = who->code;
    copy.name = who->name;
    copy.kind = who->kind;
    f.participants.push_back(std::move(copy));
  }
  for (size_t l = 0; l < frozen.size(); ++l) {
    NetworkLink link = frozen[l];
    link.carrier = index[link.carrier];
    f.links.push_back(link);
  }
  if (day.input_offers.size() != in.offers.size() || day.input_bids.size() != in.blocks.size())
    return bad("the frozen orders do not match the day's records");
  for (size_t i = 0; i < in.offers.size(); ++i) {
    const AuctionOfferIn& o = in.offers[i];
    if (day.input_offers[i] >= day.offers.size()) return bad("a frozen offer has no record");
    const AuctionOfferRecord& rec = day.offers[day.input_offers[i]];
    if (o.zone >= in.zones.size()) return bad("frozen offer " + std::to_string(o.id) + " names no zone");
    AuctionFileOffer x;
    x.id = o.id;
    x.cl_ord_id = std::string(rec.cl_ord_id.view());
    x.supplier = index[o.supplier];
    x.region = in.zones[o.zone].region;
    x.chip_class = in.zones[o.zone].chip_class;
    x.hour = o.hour;
    x.devices = o.devices;
    x.price = o.price;
    f.offers.push_back(std::move(x));
  }
  for (size_t j = 0; j < in.blocks.size(); ++j) {
    const AuctionBlockIn& b = in.blocks[j];
    if (day.input_bids[j] >= day.bids.size()) return bad("a frozen bid has no record");
    const AuctionBidRecord& rec = day.bids[day.input_bids[j]];
    AuctionFileBid x;
    x.id = b.id;
    x.cl_ord_id = std::string(rec.cl_ord_id.view());
    x.buyer = index[b.buyer];
    x.first_hour = b.first_hour;
    x.hours = b.hours;
    x.min_ratio_bps = b.min_ratio_bps;
    x.constraints = rec.constraints;
    x.constraints.scu = b.scu_per_hour;
    x.constraints.data_gb = b.data_gb_per_hour;
    x.constraints.limit_per_scu_hour = b.limit_per_scu_hour;
    x.constraints.window_start = f.day_start + b.first_hour * kNanosPerHour;
    x.constraints.window_end = x.constraints.window_start + b.hours * kNanosPerHour;
    for (ChipClassId c : x.constraints.classes)
      if (c >= nc) return bad("bid " + std::to_string(b.id) + " names a class the frozen zones do not have");
    for (RegionId r : x.constraints.regions)
      if (r >= nr) return bad("bid " + std::to_string(b.id) + " names a region the frozen zones do not have");
    if (x.constraints.origin >= nr) return bad("bid " + std::to_string(b.id) + " has an origin the frozen zones do not have");
    x.reserve = b.reserve;
    std::vector<AuctionFileRoute> routes;
    for (const AuctionRoute& r : b.routes) {
      if (r.zone >= in.zones.size()) return bad("bid " + std::to_string(b.id) + " has a route to no zone");
      AuctionFileRoute route;
      route.region = in.zones[r.zone].region;
      route.chip_class = in.zones[r.zone].chip_class;
      route.path.push_back(x.constraints.origin);
      for (uint32_t l : r.links) {
        if (l >= frozen.size() || frozen[l].from != route.path.back())
          return bad("bid " + std::to_string(b.id) + " has a route whose links do not form a path from its origin");
        route.path.push_back(frozen[l].to);
      }
      if (route.path.back() != route.region)
        return bad("bid " + std::to_string(b.id) + " has a route that does not end in its zone's region");
      routes.push_back(std::move(route));
    }
    x.routes = std::move(routes);
    f.bids.push_back(std::move(x));
  }
  return f;
}

// ---- results

AuctionMoney auction_money(const AuctionDayFile& f, const AuctionInput& in, const std::vector<AuctionPiece>& pieces) {
  AuctionMoney m;
  std::vector<AuctionBalance> all(f.participants.size());
  for (uint32_t p = 0; p < all.size(); ++p) all[p].participant = p;
  for (const AuctionPiece& p : pieces) {
    AuctionBalance& buyer = all[in.blocks[p.block].buyer];
    AuctionBalance& seller = all[in.offers[p.offer].supplier];
    buyer.bought_notional += p.notional;
    buyer.buyer_fees += p.buyer_fee;
    buyer.transport_paid += p.transport();
    seller.sold_notional += p.notional;
    seller.seller_fees += p.seller_fee;
    for (const AuctionLeg& l : p.legs) all[l.carrier].carrier_receives += l.amount;
    m.buyers_pay += p.buyer_cost();
    m.sellers_receive += p.notional - p.seller_fee;
    m.carriers_receive += p.transport();
    m.exchange_fees += p.buyer_fee + p.seller_fee;
  }
  for (const AuctionBalance& b : all)
    if (b.bought_notional || b.buyer_fees || b.transport_paid || b.sold_notional || b.seller_fees || b.carrier_receives)
      m.balances.push_back(b);
  return m;
}

ordered_json auction_stats_json(const AuctionSolverStats& s, const AuctionInput& in) {
  ordered_json whole = ordered_json::array();
  for (uint32_t b : s.rejected_whole_devices)
    if (b < in.blocks.size()) whole.push_back(in.blocks[b].id);
  return ordered_json{{"variables", s.variables},
                      {"rows", s.rows},
                      {"binaries", s.binaries},
                      {"nonzeros", s.nonzeros},
                      {"welfare_first_mip", s.welfare_first_mip},
                      {"welfare_lp", s.welfare_lp},
                      {"welfare", s.welfare},
                      {"proven_optimal", s.proven_optimal},
                      {"pab_rounds_proven", s.pab_rounds_proven},
                      {"time_limited", s.time_limited},
                      {"gap", s.gap},
                      {"mip_nodes", s.mip_nodes},
                      {"pab_rounds", s.pab_rounds},
                      {"pab_cuts", s.pab_cuts},
                      {"pab_rejected_outright", s.pab_rejected_outright},
                      {"repricings", s.repricings},
                      {"blocks_accepted", s.blocks_accepted},
                      {"blocks_rejected", s.blocks_rejected},
                      {"blocks_paradoxically_rejected", s.blocks_paradoxically_rejected},
                      {"rejected_whole_devices", whole},
                      {"seconds_first_mip", s.seconds_first_mip},
                      {"seconds_pricing", s.seconds_pricing},
                      {"seconds_schedule", s.seconds_schedule},
                      {"seconds_total", s.seconds_total}};
}

namespace {

// Everything the result files show, computed once.
struct Derived {
  std::vector<AuctionPiece> pieces;
  AuctionMoney money;
  std::vector<int64_t> devices;      // [zone * 24 + hour]: devices traded (accepted)
  std::vector<i128> flow_micro;      // [link * 24 + hour]: micro-GB, rounded up per allocation
  std::vector<Money> receipts;       // [link * 24 + hour]: what the carrier's legs pay
  std::vector<int64_t> accepted;     // per offer
  std::vector<int64_t> got_devices;  // per bid: devices an hour over all its zones
  std::vector<bool> prb;             // per bid
};

Derived derive(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r) {
  Derived d;
  d.pieces = auction_pieces(in, r);
  d.money = auction_money(f, in, d.pieces);
  d.devices.assign(in.zones.size() * kAuctionHours, 0);
  d.flow_micro.assign(in.links.size() * kAuctionHours, 0);
  d.receipts.assign(in.links.size() * kAuctionHours, 0);
  d.accepted.assign(in.offers.size(), 0);
  d.got_devices.assign(in.blocks.size(), 0);
  d.prb.assign(in.blocks.size(), false);
  for (const AuctionAcceptance& a : r.acceptances) {
    d.accepted[a.offer] = a.devices;
    const AuctionOfferIn& o = in.offers[a.offer];
    d.devices[static_cast<size_t>(o.zone) * kAuctionHours + o.hour] += a.devices;
  }
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& b = in.blocks[a.block];
    d.got_devices[a.block] += a.devices;
    const AuctionRoute* route = route_to(b, a.zone);
    if (!route) continue;
    const i128 flow = flow_micro_gb(b, a.devices, in.zones[a.zone].scu_per_device);
    for (uint32_t l : route->links)
      for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) d.flow_micro[static_cast<size_t>(l) * kAuctionHours + h] += flow;
  }
  for (uint32_t b : r.paradoxically_rejected) d.prb[b] = true;
  for (const AuctionPiece& p : d.pieces)
    for (const AuctionLeg& l : p.legs) d.receipts[static_cast<size_t>(l.link) * kAuctionHours + p.hour] += l.amount;
  return d;
}

std::string micro_gb_text(i128 micro) {
  if (micro <= INT64_MAX) return format_fixed(static_cast<int64_t>(micro), 6);
  return "overflow";
}

Money congestion_rent(i128 flow_micro, int64_t congestion) {
  return static_cast<Money>(div_round(flow_micro * congestion, static_cast<i128>(kMicro) * kScale));
}

const std::string& code_of(const AuctionDayFile& f, uint32_t participant) { return f.participants[participant].code; }

ordered_json payments_json(const AuctionDayFile& f, const AuctionInput& in, const Derived& d) {
  ordered_json out = ordered_json::array();
  for (const AuctionPiece& p : d.pieces) {
    const AuctionZone& z = in.zones[p.zone];
    ordered_json legs = ordered_json::array();
    for (const AuctionLeg& l : p.legs)
      legs.push_back(ordered_json{{"link", l.link}, {"carrier", code_of(f, l.carrier)}, {"amount", format_fixed(l.amount)}});
    out.push_back(ordered_json{{"hour", p.hour},
                               {"region", f.regions[z.region].code},
                               {"class", f.classes[z.chip_class].code},
                               {"buyer", code_of(f, in.blocks[p.block].buyer)},
                               {"bid_id", in.blocks[p.block].id},
                               {"seller", code_of(f, in.offers[p.offer].supplier)},
                               {"offer_id", in.offers[p.offer].id},
                               {"devices", p.devices},
                               {"cny_per_device_hour", format_fixed(p.price)},
                               {"notional", format_fixed(p.notional)},
                               {"buyer_fee", format_fixed(p.buyer_fee)},
                               {"seller_fee", format_fixed(p.seller_fee)},
                               {"transport", legs},
                               {"buyer_cost", format_fixed(p.buyer_cost())},
                               {"seller_receives", format_fixed(p.notional - p.seller_fee)}});
  }
  return out;
}

ordered_json balances_json(const AuctionDayFile& f, const Derived& d) {
  ordered_json out = ordered_json::array();
  for (const AuctionBalance& b : d.money.balances)
    out.push_back(ordered_json{{"participant", code_of(f, b.participant)},
                               {"bought_notional", format_fixed(b.bought_notional)},
                               {"buyer_fees", format_fixed(b.buyer_fees)},
                               {"transport_paid", format_fixed(b.transport_paid)},
                               {"buyer_pays", format_fixed(b.buyer_pays())},
                               {"sold_notional", format_fixed(b.sold_notional)},
                               {"seller_fees", format_fixed(b.seller_fees)},
                               {"seller_receives", format_fixed(b.seller_receives())},
                               {"carrier_receives", format_fixed(b.carrier_receives)},
                               {"net", format_fixed(b.net())}});
  return out;
}

ordered_json money_json(const Derived& d) {
  const AuctionMoney& m = d.money;
  return ordered_json{{"buyers_pay", format_fixed(m.buyers_pay)},
                      {"sellers_receive", format_fixed(m.sellers_receive)},
                      {"carriers_receive", format_fixed(m.carriers_receive)},
                      {"exchange_fees", format_fixed(m.exchange_fees)},
                      {"balanced", m.balanced()}};
}

}  // namespace

std::string auction_result_json(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r,
                                const ordered_json* stats) {
  const Derived d = derive(f, in, r);
  ordered_json top;
  top["format"] = kAuctionResultFormat;
  top["day"] = format_auction_day(f.day_start);
  top["fee_bps"] = f.fee_bps;
  if (stats) top["solver"] = *stats;
  int offers_accepted = 0, bids_accepted = 0;
  for (int64_t a : d.accepted) offers_accepted += a > 0;
  for (int64_t g : d.got_devices) bids_accepted += g > 0;
  int64_t device_hours = 0, scu_hours = 0;
  for (const AuctionPiece& p : d.pieces) {
    device_hours += p.devices;
    scu_hours += p.devices * in.zones[p.zone].scu_per_device;
  }
  ordered_json summary{{"offers", in.offers.size()},
                       {"offers_accepted", offers_accepted},
                       {"bids", in.blocks.size()},
                       {"bids_accepted", bids_accepted},
                       {"bids_rejected", static_cast<int>(in.blocks.size()) - bids_accepted},
                       {"bids_paradoxically_rejected", r.paradoxically_rejected.size()},
                       {"contracts", d.pieces.size()},
                       {"device_hours", device_hours},
                       {"scu_hours", scu_hours}};
  top["summary"] = summary;
  top["money"] = money_json(d);
  ordered_json prices = ordered_json::array();
  for (int h = 0; h < kAuctionHours; ++h) {
    for (size_t z = 0; z < in.zones.size(); ++z) {
      const size_t k = z * kAuctionHours + h;
      const AuctionZone& zone = in.zones[z];
      prices.push_back(ordered_json{{"hour", h},
                                    {"region", f.regions[zone.region].code},
                                    {"class", f.classes[zone.chip_class].code},
                                    {"cny_per_scu_hour", format_fixed(r.zone_price[k], kScuPriceDecimals)},
                                    {"cny_per_device_hour", format_fixed(device_price(r.zone_price[k], zone.scu_per_device))},
                                    {"devices", d.devices[k]}});
    }
  }
  top["prices"] = prices;
  ordered_json congestion = ordered_json::array();
  for (size_t l = 0; l < in.links.size(); ++l) {
    const NetworkLink& link = f.links[l];
    for (int h = 0; h < kAuctionHours; ++h) {
      const size_t k = l * kAuctionHours + h;
      congestion.push_back(ordered_json{{"link", l},
                                        {"from", f.regions[link.from].code},
                                        {"to", f.regions[link.to].code},
                                        {"carrier", code_of(f, link.carrier)},
                                        {"hour", h},
                                        {"cny_per_gb", format_fixed(r.congestion[k], kScuPriceDecimals)},
                                        {"flow_gb", micro_gb_text(d.flow_micro[k])},
                                        {"capacity_gb", in.links[l].capacity_gb_per_hour},
                                        {"congestion_rent", format_fixed(congestion_rent(d.flow_micro[k], r.congestion[k]))},
                                        {"carrier_receipts", format_fixed(d.receipts[k])}});
    }
  }
  top["congestion"] = congestion;
  ordered_json acceptances = ordered_json::array();
  for (const AuctionAcceptance& a : r.acceptances) {
    const AuctionOfferIn& o = in.offers[a.offer];
    const AuctionZone& zone = in.zones[o.zone];
    acceptances.push_back(ordered_json{{"offer_id", o.id},
                                       {"supplier", code_of(f, o.supplier)},
                                       {"region", f.regions[zone.region].code},
                                       {"class", f.classes[zone.chip_class].code},
                                       {"hour", o.hour},
                                       {"devices", a.devices}});
  }
  top["acceptances"] = acceptances;
  ordered_json allocations = ordered_json::array();
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& b = in.blocks[a.block];
    const AuctionZone& zone = in.zones[a.zone];
    allocations.push_back(ordered_json{{"bid_id", b.id},
                                       {"buyer", code_of(f, b.buyer)},
                                       {"region", f.regions[zone.region].code},
                                       {"class", f.classes[zone.chip_class].code},
                                       {"devices", a.devices},
                                       {"scu_per_hour", a.devices * zone.scu_per_device}});
  }
  top["allocations"] = allocations;
  ordered_json prb = ordered_json::array();
  for (uint32_t b : r.paradoxically_rejected) prb.push_back(in.blocks[b].id);
  top["paradoxically_rejected"] = prb;
  top["payments"] = payments_json(f, in, d);
  top["balances"] = balances_json(f, d);
  return lines(top);
}

namespace {

std::string csv_prices(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out = "hour,region,class,cny_per_scu_hour,cny_per_device_hour,devices_traded\n";
  for (int h = 0; h < kAuctionHours; ++h) {
    for (size_t z = 0; z < in.zones.size(); ++z) {
      const size_t k = z * kAuctionHours + h;
      const AuctionZone& zone = in.zones[z];
      out += std::to_string(h) + "," + f.regions[zone.region].code + "," + f.classes[zone.chip_class].code + "," +
             format_fixed(r.zone_price[k], kScuPriceDecimals) + "," +
             format_fixed(device_price(r.zone_price[k], zone.scu_per_device)) + "," + std::to_string(d.devices[k]) + "\n";
    }
  }
  return out;
}

std::string csv_acceptances(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out = "offer_id,supplier,region,class,hour,devices_offered,devices_accepted,offer_price,clearing_price\n";
  for (size_t i = 0; i < in.offers.size(); ++i) {
    const AuctionOfferIn& o = in.offers[i];
    const AuctionZone& zone = in.zones[o.zone];
    out += std::to_string(o.id) + "," + code_of(f, o.supplier) + "," + f.regions[zone.region].code + "," +
           f.classes[zone.chip_class].code + "," + std::to_string(o.hour) + "," + std::to_string(o.devices) + "," +
           std::to_string(d.accepted[i]) + "," + format_fixed(o.price) + "," +
           format_fixed(device_price(r.zone_price[static_cast<size_t>(o.zone) * kAuctionHours + o.hour], zone.scu_per_device)) +
           "\n";
  }
  return out;
}

std::string csv_allocations(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out = "bid_id,buyer,status,region,class,first_hour,hours,devices_per_hour,scu_per_hour,paradoxically_rejected\n";
  size_t k = 0;
  for (uint32_t j = 0; j < in.blocks.size(); ++j) {
    const AuctionBlockIn& b = in.blocks[j];
    const std::string head = std::to_string(b.id) + "," + code_of(f, b.buyer) + ",";
    const std::string hours = std::to_string(b.first_hour) + "," + std::to_string(b.hours) + ",";
    bool any = false;
    for (; k < r.allocations.size() && r.allocations[k].block == j; ++k) {
      const AuctionAllocation& a = r.allocations[k];
      const AuctionZone& zone = in.zones[a.zone];
      out += head + "accepted," + f.regions[zone.region].code + "," + f.classes[zone.chip_class].code + "," + hours +
             std::to_string(a.devices) + "," + std::to_string(a.devices * zone.scu_per_device) + ",false\n";
      any = true;
    }
    if (!any) out += head + "rejected,,," + hours + "0,0," + (d.prb[j] ? "true" : "false") + "\n";
  }
  return out;
}

std::string csv_flows(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out =
      "link,from,to,carrier,hour,flow_gb,capacity_gb,tariff_cny_per_gb,congestion_cny_per_gb,congestion_rent,carrier_receipts\n";
  for (size_t l = 0; l < in.links.size(); ++l) {
    const NetworkLink& link = f.links[l];
    for (int h = 0; h < kAuctionHours; ++h) {
      const size_t k = l * kAuctionHours + h;
      out += std::to_string(l) + "," + f.regions[link.from].code + "," + f.regions[link.to].code + "," +
             code_of(f, link.carrier) + "," + std::to_string(h) + "," + micro_gb_text(d.flow_micro[k]) + "," +
             std::to_string(in.links[l].capacity_gb_per_hour) + "," + format_fixed(link.tariff_per_gb) + "," +
             format_fixed(r.congestion[k], kScuPriceDecimals) + "," +
             format_fixed(congestion_rent(d.flow_micro[k], r.congestion[k])) + "," + format_fixed(d.receipts[k]) + "\n";
    }
  }
  return out;
}

// Carriers get a column each, in participant order.
std::vector<uint32_t> carriers_of(const AuctionDayFile& f) {
  std::set<uint32_t> set;
  for (const NetworkLink& l : f.links) set.insert(l.carrier);
  return {set.begin(), set.end()};
}

std::string csv_payments(const AuctionDayFile& f, const AuctionInput& in, const Derived& d) {
  const std::vector<uint32_t> carriers = carriers_of(f);
  std::string out = "hour,region,class,buyer,bid_id,seller,offer_id,devices,cny_per_device_hour,notional,buyer_fee,seller_fee,transport";
  for (uint32_t c : carriers) out += ",transport_" + code_of(f, c);
  out += ",buyer_cost,seller_receives\n";
  std::vector<Money> per(f.participants.size());
  for (const AuctionPiece& p : d.pieces) {
    const AuctionZone& zone = in.zones[p.zone];
    out += std::to_string(p.hour) + "," + f.regions[zone.region].code + "," + f.classes[zone.chip_class].code + "," +
           code_of(f, in.blocks[p.block].buyer) + "," + std::to_string(in.blocks[p.block].id) + "," +
           code_of(f, in.offers[p.offer].supplier) + "," + std::to_string(in.offers[p.offer].id) + "," +
           std::to_string(p.devices) + "," + format_fixed(p.price) + "," + format_fixed(p.notional) + "," +
           format_fixed(p.buyer_fee) + "," + format_fixed(p.seller_fee) + "," + format_fixed(p.transport());
    std::fill(per.begin(), per.end(), 0);
    for (const AuctionLeg& l : p.legs) per[l.carrier] += l.amount;
    for (uint32_t c : carriers) out += "," + format_fixed(per[c]);
    out += "," + format_fixed(p.buyer_cost()) + "," + format_fixed(p.notional - p.seller_fee) + "\n";
  }
  return out;
}

std::string csv_balances(const AuctionDayFile& f, const Derived& d) {
  std::string out =
      "participant,bought_notional,buyer_fees,transport_paid,buyer_pays,sold_notional,seller_fees,seller_receives,"
      "carrier_receives,exchange_receives,net\n";
  Money bought = 0, bfees = 0, transport = 0, pays = 0, sold = 0, sfees = 0, sreceives = 0, creceives = 0, net = 0;
  for (const AuctionBalance& b : d.money.balances) {
    out += code_of(f, b.participant) + "," + format_fixed(b.bought_notional) + "," + format_fixed(b.buyer_fees) + "," +
           format_fixed(b.transport_paid) + "," + format_fixed(b.buyer_pays()) + "," + format_fixed(b.sold_notional) + "," +
           format_fixed(b.seller_fees) + "," + format_fixed(b.seller_receives()) + "," + format_fixed(b.carrier_receives) +
           ",0.0000," + format_fixed(b.net()) + "\n";
    bought += b.bought_notional;
    bfees += b.buyer_fees;
    transport += b.transport_paid;
    pays += b.buyer_pays();
    sold += b.sold_notional;
    sfees += b.seller_fees;
    sreceives += b.seller_receives();
    creceives += b.carrier_receives;
    net += b.net();
  }
  const Money fees = d.money.exchange_fees;
  out += "(exchange),0.0000,0.0000,0.0000,0.0000,0.0000,0.0000,0.0000,0.0000," + format_fixed(fees) + "," + format_fixed(fees) + "\n";
  out += "(total)," + format_fixed(bought) + "," + format_fixed(bfees) + "," + format_fixed(transport) + "," + format_fixed(pays) +
         "," + format_fixed(sold) + "," + format_fixed(sfees) + "," + format_fixed(sreceives) + "," + format_fixed(creceives) +
         "," + format_fixed(fees) + "," + format_fixed(net + fees) + "\n";
  return out;
}

Result<bool> write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (out) out.close();
  if (!out) {
    return make_error("output_failed", "cannot write " + path.string() + ": " + std::strerror(errno) +
                                           "; check that the directory exists and is writable");
  }
  return true;
}

}  // namespace

Result<bool> write_auction_outputs(const std::string& dir, const AuctionDayFile& f, const AuctionInput& in,
                                   const AuctionResult& r, const ordered_json* stats) {
  // The contracts are derived only from a result that keeps the rules (auction_pieces needs it).
  if (auto ok = check_auction_result(in, r); !ok) return ok.error();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("output_failed", "cannot create the directory " + dir + ": " + ec.message());
  const std::filesystem::path base(dir);
  const Derived d = derive(f, in, r);
  const std::pair<const char*, std::string> files[] = {
      {"result.json", auction_result_json(f, in, r, stats)},
      {"prices.csv", csv_prices(f, in, r, d)},
      {"acceptances.csv", csv_acceptances(f, in, r, d)},
      {"allocations.csv", csv_allocations(f, in, r, d)},
      {"flows.csv", csv_flows(f, in, r, d)},
      {"payments.csv", csv_payments(f, in, d)},
      {"balances.csv", csv_balances(f, d)},
  };
  for (const auto& [name, text] : files)
    if (auto ok = write_text(base / name, text); !ok) return ok.error();
  return true;
}

namespace {

AuctionResult read_result(const json& doc, const AuctionDayFile& f, const AuctionInput& in) {
  const Obj top(doc, "result.json");
  if (!top.has("format") || !top.get("format").is_string() || top.get("format").get<std::string>() != kAuctionResultFormat)
    fail("result.json", "field \"format\" must be \"" + std::string(kAuctionResultFormat) + "\": is this a cpx-auction result?");
  if (top.str("day") != format_auction_day(f.day_start))
    fail("result.json", "is for " + top.str("day") + ", the day file for " + format_auction_day(f.day_start));
  std::map<std::string, size_t, std::less<>> regions, classes;
  for (size_t i = 0; i < f.regions.size(); ++i) regions.emplace(f.regions[i].code, i);
  for (size_t i = 0; i < f.classes.size(); ++i) classes.emplace(f.classes[i].code, i);
  std::map<uint64_t, uint32_t> offer_of, bid_of;
  for (uint32_t i = 0; i < in.offers.size(); ++i) offer_of[in.offers[i].id] = i;
  for (uint32_t j = 0; j < in.blocks.size(); ++j) bid_of[in.blocks[j].id] = j;
  auto zone = [&](const Obj& o) {
    const size_t r = lookup(regions, o.code("region"), o.where(), "region", "regions of the day file");
    const size_t c = lookup(classes, o.code("class"), o.where(), "class", "classes of the day file");
    return zone_of(f, static_cast<RegionId>(r), static_cast<ChipClassId>(c));
  };

  AuctionResult r;
  const size_t nz = in.zones.size() * kAuctionHours, nl = in.links.size() * kAuctionHours;
  r.zone_price.assign(nz, 0);
  r.congestion.assign(nl, 0);
  std::vector<bool> seen(nz, false);
  const json& prices = top.array("prices");
  for (size_t i = 0; i < prices.size(); ++i) {
    const Obj o(prices[i], entry("prices", i, ""));
    const size_t k = static_cast<size_t>(zone(o)) * kAuctionHours + static_cast<size_t>(o.integer("hour", 0, kAuctionHours - 1));
    if (seen[k]) fail(o.where(), "a second price for the same region, class and hour");
    seen[k] = true;
    r.zone_price[k] = o.decimal("cny_per_scu_hour", static_cast<int>(kScuPriceDecimals), 0, kMaxPrice, "0.01850000");
  }
  for (size_t k = 0; k < nz; ++k) {
    if (seen[k]) continue;
    const AuctionZone& z = in.zones[k / kAuctionHours];
    fail("result.json", "field \"prices\" has no price for " + f.regions[z.region].code + " " + f.classes[z.chip_class].code +
                            " hour " + std::to_string(k % kAuctionHours) + " (every region x class x hour has one)");
  }
  seen.assign(nl, false);
  const json& congestion = top.array("congestion");
  for (size_t i = 0; i < congestion.size(); ++i) {
    const Obj o(congestion[i], entry("congestion", i, ""));
    const int64_t l = o.integer("link", 0, static_cast<int64_t>(in.links.size()) - 1);
    const NetworkLink& link = f.links[static_cast<size_t>(l)];
    if (o.str("from") != f.regions[link.from].code || o.str("to") != f.regions[link.to].code)
      fail(o.where(), "link " + std::to_string(l) + " of the day file goes from " + f.regions[link.from].code + " to " +
                          f.regions[link.to].code);
    const size_t k = static_cast<size_t>(l) * kAuctionHours + static_cast<size_t>(o.integer("hour", 0, kAuctionHours - 1));
    if (seen[k]) fail(o.where(), "a second congestion price for the same link and hour");
    seen[k] = true;
    r.congestion[k] = o.decimal("cny_per_gb", static_cast<int>(kScuPriceDecimals), 0, kMaxPrice, "0.00000000");
  }
  for (size_t k = 0; k < nl; ++k)
    if (!seen[k])
      fail("result.json", "field \"congestion\" has no entry for link " + std::to_string(k / kAuctionHours) + " hour " +
                              std::to_string(k % kAuctionHours));
  const json& acceptances = top.array("acceptances");
  std::set<uint32_t> offers_seen;
  for (size_t i = 0; i < acceptances.size(); ++i) {
    const Obj o(acceptances[i], entry("acceptances", i, ""));
    const uint64_t id = o.id("offer_id");
    auto it = offer_of.find(id);
    if (it == offer_of.end()) fail(o.where(), "offer " + std::to_string(id) + " is not in the day file");
    if (!offers_seen.insert(it->second).second) fail(o.where(), "offer " + std::to_string(id) + " is accepted twice");
    r.acceptances.push_back(AuctionAcceptance{it->second, o.integer("devices", 1, kMaxDevices)});
  }
  std::sort(r.acceptances.begin(), r.acceptances.end(),
            [](const AuctionAcceptance& a, const AuctionAcceptance& b) { return a.offer < b.offer; });
  const json& allocations = top.array("allocations");
  std::set<std::pair<uint32_t, uint32_t>> alloc_seen;
  for (size_t i = 0; i < allocations.size(); ++i) {
    const Obj o(allocations[i], entry("allocations", i, ""));
    const uint64_t id = o.id("bid_id");
    auto it = bid_of.find(id);
    if (it == bid_of.end()) fail(o.where(), "bid " + std::to_string(id) + " is not in the day file");
    const uint32_t z = zone(o);
    if (!alloc_seen.insert({it->second, z}).second) fail(o.where(), "bid " + std::to_string(id) + " is given the same zone twice");
    r.allocations.push_back(AuctionAllocation{it->second, z, o.integer("devices", 1, kMaxDevices)});
  }
  std::sort(r.allocations.begin(), r.allocations.end(), [](const AuctionAllocation& a, const AuctionAllocation& b) {
    return a.block != b.block ? a.block < b.block : a.zone < b.zone;
  });
  const json& prb = top.array("paradoxically_rejected");
  for (const json& v : prb) {
    const uint64_t id = v.is_number_unsigned() ? v.get<uint64_t>() : 0;
    auto it = bid_of.find(id);
    if (it == bid_of.end()) fail("result.json", "field \"paradoxically_rejected\" names " + dump(v).substr(0, 40) + ", not a bid of the day file");
    r.paradoxically_rejected.push_back(it->second);
  }
  std::sort(r.paradoxically_rejected.begin(), r.paradoxically_rejected.end());
  if (std::adjacent_find(r.paradoxically_rejected.begin(), r.paradoxically_rejected.end()) != r.paradoxically_rejected.end())
    fail("result.json", "field \"paradoxically_rejected\" names a bid twice");
  return r;
}

}  // namespace

Result<AuctionResult> read_auction_result(std::string_view text, const AuctionDayFile& f, const AuctionInput& in) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return make_error("auction_result_file_invalid", "result.json is not valid JSON");
  try {
    return read_result(doc, f, in);
  } catch (const FileError& e) {
    return make_error("auction_result_file_invalid", e.text);
  } catch (const json::exception& e) {
    return make_error("auction_result_file_invalid", std::string("result.json could not be read: ") + e.what());
  }
}

Result<bool> compare_recorded_payments(std::string_view text, const AuctionDayFile& f, const AuctionInput& in,
                                       const AuctionResult& r) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("auction_result_file_invalid", "result.json is not a JSON object");
  if (auto ok = check_auction_result(in, r); !ok) return ok.error();
  const Derived d = derive(f, in, r);
  auto differ = [](const std::string& what) { return make_error("payments_differ", what); };
  auto compare = [&](const char* key, const json& derived) -> Result<bool> {
    if (!doc.contains(key)) return differ(std::string("result.json has no \"") + key + "\" to compare");
    const json& recorded = doc[key];
    if (!recorded.is_array()) return differ(std::string("field \"") + key + "\" of result.json is not an array");
    for (size_t i = 0; i < std::max(recorded.size(), derived.size()); ++i) {
      if (i >= recorded.size())
        return differ(std::string("result.json lists ") + std::to_string(recorded.size()) + " " + key + "; re-derived there are " +
                      std::to_string(derived.size()) + " (missing: " + dump(derived[i], 4000) + ")");
      if (i >= derived.size())
        return differ(std::string("result.json lists ") + std::to_string(recorded.size()) + " " + key + "; re-derived there are " +
                      std::to_string(derived.size()) + " (extra: " + dump(recorded[i], 4000) + ")");
      if (recorded[i] != derived[i])
        return differ(std::string(key) + "[" + std::to_string(i) + "] in result.json is " + dump(recorded[i], 4000) +
                      "; re-derived from the prices and allocations it is " + dump(derived[i], 4000));
    }
    return true;
  };
  if (auto ok = compare("payments", json(payments_json(f, in, d))); !ok) return ok;
  if (auto ok = compare("balances", json(balances_json(f, d))); !ok) return ok;
  const json money = json(money_json(d));
  if (!doc.contains("money") || doc["money"] != money)
    return differ("field \"money\" of result.json is " + (doc.contains("money") ? dump(doc["money"], 4000) : std::string("missing")) +
                  "; re-derived it is " + dump(money, 4000));
  return true;
}

}  // namespace cpx::api
