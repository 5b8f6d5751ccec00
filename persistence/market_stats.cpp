#include "market_stats.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace cpx::persistence {

std::vector<PriceIndex> price_indices(const Exchange& x, Timestamp from, Timestamp to) {
  // Key: (class, national?, region). Continuous and auction contracts alike: both carry their zone.
  std::map<std::tuple<ChipClassId, bool, RegionId>, PriceIndex> acc;
  for (const auto& [id, k] : x.contracts()) {
    if (k.traded_at <= from || k.traded_at > to) continue;
    for (const bool national : {false, true}) {
      PriceIndex& p = acc[{k.chip_class, national, national ? RegionId{0} : k.region}];
      p.chip_class = k.chip_class;
      p.national = national;
      p.region = national ? 0 : k.region;
      p.cost += k.notional;
      p.scu_hours += k.scu * k.hours;
      ++p.trades;
    }
  }
  std::vector<PriceIndex> out;
  for (auto& [key, p] : acc) {
    p.vwap_per_scu_hour = mul_div_round(p.cost, kScuPriceScale / kScale, p.scu_hours).value_or(0);
    out.push_back(p);
  }
  std::stable_partition(out.begin(), out.end(), [](const PriceIndex& p) { return !p.national; });
  return out;
}

namespace {
// Device-hours of `devices` over [a, b) clipped to [from, to).
int64_t overlap_device_hours(int64_t devices, Timestamp a, Timestamp b, Timestamp from, Timestamp to) {
  const Timestamp lo = std::max(a, from), hi = std::min(b, to);
  return hi > lo ? static_cast<int64_t>(static_cast<__int128>(devices) * (hi - lo) / kNanosPerHour) : 0;
}
}  // namespace

std::vector<CapacityFigures> capacity_figures(const Exchange& x, Timestamp from, Timestamp to) {
  const MatchingEngine& engine = x.engine();
  std::map<std::pair<RegionId, ChipClassId>, CapacityFigures> acc;
  auto at = [&](RegionId r, ChipClassId c) -> CapacityFigures& {
    CapacityFigures& f = acc[{r, c}];
    f.region = r;
    f.chip_class = c;
    return f;
  };
  std::vector<LevelView> asks;
  for (InstrumentId i = 0; i < engine.instrument_count(); ++i) {
    const InstrumentInfo* info = engine.instrument(i);
    if (!info || info->end <= from || info->start >= to) continue;
    engine.depth(i, Side::Sell, SIZE_MAX, asks);
    int64_t open = 0;
    for (const LevelView& l : asks) open += l.qty;
    if (open > 0) at(info->region, info->chip_class).offered_device_hours += overlap_device_hours(open, info->start, info->end, from, to);
  }
  for (Timestamp day : engine.auction_days()) {
    const AuctionDay* a = engine.auction(day);
    if (a->state != AuctionState::Open && a->state != AuctionState::Closed) continue;
    for (const AuctionOfferRecord& o : a->offers) {
      if (o.status != AuctionOrderStatus::Open) continue;
      const Timestamp start = day + o.hour * kNanosPerHour;
      const int64_t dh = overlap_device_hours(o.devices, start, start + kNanosPerHour, from, to);
      if (dh > 0) at(o.region, o.chip_class).offered_device_hours += dh;
    }
  }
  for (const auto& [id, k] : x.contracts()) {
    const int64_t dh = overlap_device_hours(k.qty, k.window_start, k.window_end, from, to);
    if (dh > 0) at(k.region, k.chip_class).sold_device_hours += dh;
  }
  for (RegionId r = 0; engine.region(r); ++r) {
    for (ChipClassId c = 0; engine.chip_class(c); ++c) {
      const int64_t reg = engine.registered_device_hours(r, c, from, to);
      if (reg != 0) at(r, c).registered_device_hours = reg;
    }
  }
  std::vector<CapacityFigures> out;
  for (auto& [key, f] : acc) {
    if (f.registered_device_hours > 0) {
      f.utilisation_bps = static_cast<int64_t>(static_cast<__int128>(f.sold_device_hours) * 10'000 / f.registered_device_hours);
    }
    out.push_back(f);
  }
  return out;
}

std::vector<Price> instrument_vwaps(const Exchange& x, Timestamp from, Timestamp to) {
  const size_t n = x.engine().instrument_count();
  std::vector<__int128> cost(n, 0), device_hours(n, 0);
  for (const auto& [id, k] : x.contracts()) {
    if (k.instrument >= n || k.traded_at <= from || k.traded_at > to) continue;
    cost[k.instrument] += k.notional;
    device_hours[k.instrument] += static_cast<__int128>(k.qty) * k.hours;
  }
  std::vector<Price> out(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (device_hours[i] > 0) out[i] = static_cast<Price>((2 * cost[i] + device_hours[i]) / (2 * device_hours[i]));
  }
  return out;
}

std::vector<Bar> ohlcv_bars(const Exchange& x, InstrumentId instrument, Timestamp from, Timestamp to, int64_t interval) {
  std::vector<Bar> out;
  if (interval <= 0) return out;
  // Contracts are in trade order (trade ids grow with time).
  for (const auto& [id, k] : x.contracts()) {
    if (k.instrument != instrument || k.traded_at < from || k.traded_at >= to) continue;
    // Intervals align to CST midnight (UTC+8), as the exchange's days do.
    const Timestamp local = k.traded_at + 8 * kNanosPerHour;
    const Timestamp start = local - ((local % interval) + interval) % interval - 8 * kNanosPerHour;
    if (out.empty() || out.back().start != start) {
      out.push_back(Bar{start, k.price, k.price, k.price, k.price, 0, 0});
    }
    Bar& b = out.back();
    b.high = std::max(b.high, k.price);
    b.low = std::min(b.low, k.price);
    b.close = k.price;
    b.volume += k.qty;
    ++b.trades;
  }
  return out;
}

Tape trade_tape(const Exchange& x, const TapeQuery& q, size_t budget) {
  Tape out;
  const auto& contracts = x.contracts();
  const auto wanted = [&](const Contract& k) {
    return k.instrument != kNoInstrument && (q.instrument == kNoInstrument || k.instrument == q.instrument) &&
           k.traded_at >= q.from && k.traded_at < q.to;
  };
  if (q.after) {
    // Oldest first from the cursor; trade ids grow with time, so the first trade at or past `to` ends it.
    out.next_after = *q.after;
    for (auto it = contracts.upper_bound(*q.after); it != contracts.end(); ++it) {
      const Contract& k = it->second;
      if (k.instrument != kNoInstrument && k.traded_at >= q.to) return out;
      if (out.trades.size() == q.limit) {
        out.more = true;
        return out;
      }
      if (budget-- == 0) {
        out.more = true;
        return out;
      }
      out.next_after = it->first;
      if (wanted(k)) out.trades.push_back(&k);
    }
    return out;
  }
  // The newest `limit`, looking backwards; returned oldest first.
  for (auto it = contracts.rbegin(); it != contracts.rend() && out.trades.size() < q.limit && budget > 0; ++it, --budget) {
    if (wanted(it->second)) out.trades.push_back(&it->second);
  }
  std::reverse(out.trades.begin(), out.trades.end());
  out.next_after = contracts.empty() ? 0 : contracts.rbegin()->first;
  return out;
}

}  // namespace cpx::persistence
