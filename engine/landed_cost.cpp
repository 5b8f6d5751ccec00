#include <algorithm>
#include <utility>

#include "cpx/matching_engine.hpp"
#include "cpx/routing.hpp"

namespace cpx {

namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

namespace {

// Depth-first over the links in network order, so among equal paths the first found (earlier links) stays.
// `to` = kEveryRegion: record the best path to every region reached.
constexpr RegionId kEveryRegion = UINT16_MAX;

// Empties a path, keeping its buffers.
void clear_path(NetworkPath& p) {
  p.regions.clear();
  p.links.clear();
  p.carriers.clear();
  p.latency_ms = 0;
  p.tariff_per_gb = 0;
}

void walk_paths(const std::vector<NetworkLink>& network, RegionId from, RegionId to, int64_t max_latency,
                std::vector<NetworkPath>& best, std::vector<uint8_t>& found, PathScratch& scratch) {
  // Outgoing links per region, in network order, as linked lists in two flat arrays (no allocation once
  // grown): the walk touches only what leaves each hub.
  RegionId top = from;
  for (const NetworkLink& l : network) top = std::max({top, l.from, l.to});
  const size_t regions = static_cast<size_t>(top) + 1;
  constexpr uint32_t kEnd = UINT32_MAX;
  scratch.first.assign(regions, kEnd);
  scratch.next.assign(network.size(), kEnd);
  for (uint32_t i = static_cast<uint32_t>(network.size()); i-- > 0;) {  // backwards: each list in network order
    scratch.next[i] = scratch.first[network[i].from];
    scratch.first[network[i].from] = i;
  }
  if (best.size() < regions) best.resize(regions);
  if (found.size() < regions) found.resize(regions, 0);
  auto better = [](const NetworkPath& a, const NetworkPath& b) {
    if (a.tariff_per_gb != b.tariff_per_gb) return a.tariff_per_gb < b.tariff_per_gb;
    if (a.latency_ms != b.latency_ms) return a.latency_ms < b.latency_ms;
    return a.links.size() < b.links.size();
  };
  NetworkPath& cur = scratch.cur;
  clear_path(cur);
  cur.regions.push_back(from);
  auto dfs = [&](auto&& self, RegionId at) -> void {
    if (at != from && (to == kEveryRegion || at == to)) {
      if (!found[at] || better(cur, best[at])) best[at] = cur;  // copy-assigned: reuses best[at]'s buffers
      found[at] = 1;
      if (at == to) return;
    }
    if (cur.links.size() >= static_cast<size_t>(kMaxPathLinks)) return;
    for (uint32_t i = scratch.first[at]; i != kEnd; i = scratch.next[i]) {
      const NetworkLink& l = network[i];
      if (contains(cur.regions, l.to)) continue;
      if (max_latency >= 0 && cur.latency_ms + l.latency_ms > max_latency) continue;
      cur.regions.push_back(l.to);
      cur.links.push_back(i);
      cur.carriers.push_back(l.carrier);
      cur.latency_ms += l.latency_ms;
      cur.tariff_per_gb += l.tariff_per_gb;
      self(self, l.to);
      cur.tariff_per_gb -= l.tariff_per_gb;
      cur.latency_ms -= l.latency_ms;
      cur.carriers.pop_back();
      cur.links.pop_back();
      cur.regions.pop_back();
    }
  };
  dfs(dfs, from);
}

}  // namespace

bool cheapest_path(const std::vector<NetworkLink>& network, RegionId from, RegionId to, int64_t max_latency,
                   NetworkPath& best) {
  if (from == to) {
    best = NetworkPath{};
    best.regions = {from};
    return true;
  }
  std::vector<NetworkPath> paths;
  std::vector<uint8_t> found;
  PathScratch scratch;
  walk_paths(network, from, to, max_latency, paths, found, scratch);
  if (to >= found.size() || !found[to]) return false;
  best = std::move(paths[to]);
  return true;
}

void cheapest_paths(const std::vector<NetworkLink>& network, size_t region_count, RegionId from, int64_t max_latency,
                    std::vector<NetworkPath>& out, std::vector<uint8_t>& found) {
  PathScratch scratch;
  cheapest_paths(network, region_count, from, max_latency, out, found, scratch);
}

void cheapest_paths(const std::vector<NetworkLink>& network, size_t region_count, RegionId from, int64_t max_latency,
                    std::vector<NetworkPath>& out, std::vector<uint8_t>& found, PathScratch& scratch) {
  out.resize(region_count);  // the paths are cleared, not destroyed: their buffers are reused
  for (NetworkPath& p : out) clear_path(p);
  found.assign(region_count, 0);
  walk_paths(network, from, kEveryRegion, max_latency, out, found, scratch);
  if (from < region_count) {
    clear_path(out[from]);
    out[from].regions.push_back(from);
    found[from] = 1;
  }
  out.resize(region_count);
  found.resize(region_count);
}

void route_paths(const std::vector<NetworkLink>& network, size_t region_count, const RouteQuery& q, RoutePaths& out) {
  std::vector<uint8_t>& found = out.scratch.found;
  std::vector<uint8_t>& any = out.scratch.any;
  cheapest_paths(network, region_count, q.origin, q.max_latency_ms, out.paths, found, out.scratch);
  if (q.max_latency_ms >= 0) cheapest_paths(network, region_count, q.origin, -1, out.scratch.unlimited, any, out.scratch);
  out.why.assign(region_count, nullptr);
  for (size_t r = 0; r < region_count; ++r) {
    if (found[r]) continue;
    out.why[r] = q.max_latency_ms >= 0 && any[r] ? "latency" : "no_path";
  }
}

const char* tidy_route_lists(RouteQuery& q) {
  auto unique_ids = [](auto& ids) {
    std::vector<char> seen(size_t{1} << 16, 0);  // ids are 16-bit
    std::erase_if(ids, [&](auto id) { return std::exchange(seen[id], char{1}) != 0; });
  };
  unique_ids(q.classes);
  unique_ids(q.regions);
  std::vector<std::string> names;
  for (std::string& j : q.jurisdictions) {
    if (j.empty() || j.size() > kMaxJurisdictionBytes) return "a jurisdiction is a name of 1 to 32 bytes";
    if (!contains(names, j)) names.push_back(std::move(j));
    if (names.size() > kMaxRouteJurisdictions) return "a residency list names at most 64 jurisdictions";
  }
  q.jurisdictions = std::move(names);
  return nullptr;
}

const char* route_filter(const RouteQuery& q, RegionId region_id, const Region& region, ChipClassId chip_class) {
  if (!contains(q.classes, chip_class)) return "class";
  if (!q.regions.empty() && !contains(q.regions, region_id)) return "region";
  if ((q.local_only && region_id != q.origin) ||
      (!q.jurisdictions.empty() && !contains(q.jurisdictions, region.jurisdiction))) {
    return "residency";
  }
  if (region.green_share < q.min_green_share) return "green_share";
  return nullptr;
}

const char* route_path(const std::vector<NetworkLink>& network, const RouteQuery& q, RegionId region,
                       NetworkPath& path) {
  path = NetworkPath{};
  if (region == q.origin) {
    path.regions = {q.origin};
    return nullptr;
  }
  if (cheapest_path(network, q.origin, region, q.max_latency_ms, path)) return nullptr;
  NetworkPath any;
  return cheapest_path(network, q.origin, region, -1, any) ? "latency" : "no_path";
}

std::vector<WindowTiling> window_tilings(const std::vector<const InstrumentInfo*>& instruments, Timestamp start,
                                         Timestamp end, std::vector<InstrumentId>* partial) {
  WindowTilings w;
  find_window_tilings(instruments, start, end, w, partial);
  w.list.resize(w.count);
  return std::move(w.list);
}

void find_window_tilings(const std::vector<const InstrumentInfo*>& instruments, Timestamp start, Timestamp end,
                         WindowTilings& out, std::vector<InstrumentId>* partial) {
  // (region, class, tenor) -> the books inside the window, by start (symbols are unique: one book per
  // start, so the order is total and std::sort, which allocates nothing, gives the same as a stable sort).
  using Entry = WindowTilings::Entry;
  std::vector<Entry>& inside = out.inside;
  inside.clear();
  for (InstrumentId id = 0; id < instruments.size(); ++id) {
    const InstrumentInfo* i = instruments[id];
    if (i && i->start >= start && i->end <= end) inside.push_back({i->region, i->chip_class, i->tenor, i->start, id});
  }
  std::sort(inside.begin(), inside.end(), [](const Entry& a, const Entry& b) {
    if (a.region != b.region) return a.region < b.region;
    if (a.chip_class != b.chip_class) return a.chip_class < b.chip_class;
    if (a.tenor != b.tenor) return a.tenor < b.tenor;
    if (a.start != b.start) return a.start < b.start;
    return a.id < b.id;
  });
  out.count = 0;
  for (size_t g = 0; g < inside.size();) {
    size_t h = g;
    while (h < inside.size() && inside[h].region == inside[g].region && inside[h].chip_class == inside[g].chip_class &&
           inside[h].tenor == inside[g].tenor) {
      ++h;
    }
    // Walk from the window's start, one book per step, into the next slot of the list (reused).
    if (out.list.size() == out.count) out.list.emplace_back();
    WindowTiling& t = out.list[out.count];
    t.region = inside[g].region;
    t.chip_class = inside[g].chip_class;
    t.books.clear();
    t.hours = 0;
    Timestamp at = start;
    for (size_t k = g; k < h && inside[k].start == at; ++k) {
      t.books.push_back(inside[k].id);
      at = instruments[inside[k].id]->end;
    }
    if (at == end && !t.books.empty()) {
      t.hours = (end - start) / kNanosPerHour;
      ++out.count;
    } else if (partial) {
      for (size_t k = g; k < h; ++k) partial->push_back(inside[k].id);
    }
    g = h;
  }
  // First books are distinct (a book is in one tiling): a total order.
  std::sort(out.list.begin(), out.list.begin() + static_cast<std::ptrdiff_t>(out.count),
            [](const WindowTiling& a, const WindowTiling& b) { return a.books[0] < b.books[0]; });
}

RouteQuote quote_route(const MatchingEngine& engine, const RouteQuery& q) {
  RouteQuote out;
  size_t region_count = 0;
  while (engine.region(static_cast<RegionId>(region_count))) ++region_count;
  RoutePaths paths;
  route_paths(engine.links(), region_count, q, paths);
  std::vector<InstrumentId> partial;
  std::vector<const InstrumentInfo*> infos(engine.instrument_count());
  for (InstrumentId id = 0; id < infos.size(); ++id) infos[id] = engine.instrument(id);
  const auto tilings = window_tilings(infos, q.window_start, q.window_end, &partial);
  for (InstrumentId id : partial) out.excluded.push_back({id, "window_incomplete"});
  std::vector<LevelView> asks;
  for (const WindowTiling& t : tilings) {
    const InstrumentId first = t.books[0];
    const InstrumentInfo* info = engine.instrument(first);
    auto exclude = [&](const char* why) {
      for (InstrumentId id : t.books) out.excluded.push_back({id, why});
    };
    if (const char* why = route_filter(q, t.region, *engine.region(t.region), t.chip_class)) {
      exclude(why);
      continue;
    }
    if (const char* why = paths.why[t.region]) {
      exclude(why);
      continue;
    }
    const NetworkPath& path = paths.paths[t.region];
    if (std::any_of(t.books.begin(), t.books.end(),
                    [&](InstrumentId id) { return engine.instrument_state(id) != InstrumentState::Open; })) {
      exclude("not_open");
      continue;
    }
    RouteCandidate c;
    c.instrument = first;
    c.instruments = t.books;
    c.hours = t.hours;
    c.region = t.region;
    c.chip_class = t.chip_class;
    c.path = path.regions;
    c.carriers = path.carriers;
    c.links = path.links;
    c.latency_ms = path.latency_ms;
    c.tariff_per_gb = path.tariff_per_gb;
    c.devices = (q.scu + info->scu_per_device - 1) / info->scu_per_device;
    // The same devices in every book of the tiling: as many as the thinnest book offers (its top 1,000
    // levels), each book's asks swept best first for them, as child orders would.
    c.available = c.devices;
    for (InstrumentId id : t.books) {
      asks.clear();
      engine.depth(id, Side::Sell, 1000, asks);
      Quantity offered = 0;
      for (const LevelView& l : asks) offered += l.qty;
      c.available = std::min(c.available, offered);
    }
    if (c.available == 0) {
      exclude("no_offers");
      continue;
    }
    __int128 cost = 0;
    for (InstrumentId id : t.books) {
      asks.clear();
      engine.depth(id, Side::Sell, 1000, asks);
      Quantity got = 0;
      for (const LevelView& l : asks) {
        const Quantity take = std::min(l.qty, c.available - got);
        if (take <= 0) break;
        cost += static_cast<__int128>(l.price) * take * engine.instrument(id)->hours;
        got += take;
      }
    }
    const __int128 transfer = static_cast<__int128>(q.data_gb) * path.tariff_per_gb;
    if (cost > kMaxNotional || transfer > kMaxNotional) {  // beyond what money can hold: not a real quote
      exclude("too_large");
      continue;
    }
    c.fills = c.available == c.devices;
    c.compute_cost = static_cast<Money>(cost);
    c.transfer_cost = static_cast<Money>(transfer);
    // Eight decimals from four: x 10^4, divided with rounding half away from zero.
    const int64_t bought_scu_hours = c.available * info->scu_per_device * t.hours;
    const auto compute = mul_div_round(c.compute_cost, kScuPriceScale / kScale, bought_scu_hours);
    const auto transfer_rate = mul_div_round(c.transfer_cost, kScuPriceScale / kScale, q.scu * t.hours);
    if (!compute || !transfer_rate || *compute > INT64_MAX - *transfer_rate) {  // a few SCU, a lot of data
      exclude("too_large");
      continue;
    }
    c.compute_per_scu_hour = *compute;
    c.transfer_per_scu_hour = *transfer_rate;
    c.landed_per_scu_hour = c.compute_per_scu_hour + c.transfer_per_scu_hour;
    c.within_limit = q.limit_per_scu_hour <= 0 || c.landed_per_scu_hour <= q.limit_per_scu_hour;
    out.candidates.push_back(std::move(c));
  }
  std::sort(out.candidates.begin(), out.candidates.end(), [](const RouteCandidate& a, const RouteCandidate& b) {
    if (a.landed_per_scu_hour != b.landed_per_scu_hour) return a.landed_per_scu_hour < b.landed_per_scu_hour;
    if (a.latency_ms != b.latency_ms) return a.latency_ms < b.latency_ms;
    return a.instrument < b.instrument;
  });
  return out;
}

}  // namespace cpx
