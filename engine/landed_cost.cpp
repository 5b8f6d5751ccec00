#include <algorithm>

#include "cpx/matching_engine.hpp"
#include "cpx/routing.hpp"

namespace cpx {

namespace {

struct Path {
  std::vector<RegionId> regions;
  std::vector<ParticipantId> carriers;
  int64_t latency_ms = 0;
  int64_t tariff = 0;
};

// The cheapest path (lowest tariff, then latency, then fewer hops) from `from` to `to` within the
// latency limit, over simple paths of at most three links: the hubs are few and directly linked, and a
// path through more hubs only adds latency.
bool best_path(const std::vector<NetworkLink>& links, RegionId from, RegionId to, int64_t max_latency, Path& best) {
  bool found = false;
  Path cur;
  cur.regions.push_back(from);
  auto better = [](const Path& a, const Path& b) {
    if (a.tariff != b.tariff) return a.tariff < b.tariff;
    if (a.latency_ms != b.latency_ms) return a.latency_ms < b.latency_ms;
    return a.regions.size() < b.regions.size();
  };
  auto dfs = [&](auto&& self, RegionId at) -> void {
    if (at == to) {
      if (!found || better(cur, best)) best = cur;
      found = true;
      return;
    }
    if (cur.regions.size() > 3) return;
    for (const NetworkLink& l : links) {
      if (l.from != at) continue;
      if (std::find(cur.regions.begin(), cur.regions.end(), l.to) != cur.regions.end()) continue;
      if (max_latency >= 0 && cur.latency_ms + l.latency_ms > max_latency) continue;
      cur.regions.push_back(l.to);
      cur.carriers.push_back(l.carrier);
      cur.latency_ms += l.latency_ms;
      cur.tariff += l.tariff_per_gb;
      self(self, l.to);
      cur.tariff -= l.tariff_per_gb;
      cur.latency_ms -= l.latency_ms;
      cur.carriers.pop_back();
      cur.regions.pop_back();
    }
  };
  dfs(dfs, from);
  return found;
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

RouteQuote quote_route(const MatchingEngine& engine, const RouteQuery& q) {
  RouteQuote out;
  std::vector<LevelView> asks;
  for (InstrumentId id = 0; id < engine.instrument_count(); ++id) {
    const InstrumentInfo* info = engine.instrument(id);
    if (!info) continue;
    auto exclude = [&](const char* why) { out.excluded.push_back({id, why}); };
    if (info->start != q.window_start || info->end != q.window_end) continue;  // another window: not a candidate
    if (!contains(q.classes, info->chip_class)) {
      exclude("class");
      continue;
    }
    if (!q.regions.empty() && !contains(q.regions, info->region)) {
      exclude("region");
      continue;
    }
    const Region* region = engine.region(info->region);
    if ((q.local_only && info->region != q.origin) ||
        (!q.jurisdictions.empty() && !contains(q.jurisdictions, region->jurisdiction))) {
      exclude("residency");
      continue;
    }
    if (region->green_share < q.min_green_share) {
      exclude("green_share");
      continue;
    }
    Path path;
    if (info->region == q.origin) {
      path.regions = {q.origin};
    } else if (!best_path(engine.links(), q.origin, info->region, q.max_latency_ms, path)) {
      exclude(best_path(engine.links(), q.origin, info->region, -1, path) ? "latency" : "no_path");
      continue;
    }
    if (engine.instrument_state(id) != InstrumentState::Open) {
      exclude("not_open");
      continue;
    }
    RouteCandidate c;
    c.instrument = id;
    c.region = info->region;
    c.chip_class = info->chip_class;
    c.path = path.regions;
    c.carriers = path.carriers;
    c.latency_ms = path.latency_ms;
    c.tariff_per_gb = path.tariff;
    c.devices = (q.scu + info->scu_per_device - 1) / info->scu_per_device;
    // Sweep the asks best first (the top 1,000 levels), as child orders would.
    asks.clear();
    engine.depth(id, Side::Sell, 1000, asks);
    __int128 cost = 0;
    for (const LevelView& l : asks) {
      const Quantity take = std::min(l.qty, c.devices - c.available);
      if (take <= 0) break;
      cost += static_cast<__int128>(l.price) * take * info->hours;
      c.available += take;
    }
    if (c.available == 0) {
      exclude("no_offers");
      continue;
    }
    const __int128 transfer = static_cast<__int128>(q.data_gb) * path.tariff;
    if (cost > kMaxNotional || transfer > kMaxNotional) {  // beyond what money can hold: not a real quote
      exclude("too_large");
      continue;
    }
    c.fills = c.available == c.devices;
    c.compute_cost = static_cast<Money>(cost);
    c.transfer_cost = static_cast<Money>(transfer);
    // Eight decimals from four: x 10^4, divided with rounding half away from zero.
    const int64_t bought_scu_hours = c.available * info->scu_per_device * info->hours;
    c.compute_per_scu_hour = mul_div_round(c.compute_cost, kScuPriceScale / kScale, bought_scu_hours).value_or(INT64_MAX);
    c.transfer_per_scu_hour = mul_div_round(c.transfer_cost, kScuPriceScale / kScale, q.scu * info->hours).value_or(INT64_MAX);
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
