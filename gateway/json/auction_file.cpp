// Writing an auction day file, the solver input built from one, and the export of a day the engine froze
// (docs/AUCTION_FILES.md).
#include "json/auction_file_detail.hpp"

namespace cpx::api {

using namespace auction_file_detail;

namespace {

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

}  // namespace cpx::api
