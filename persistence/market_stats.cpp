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

}  // namespace cpx::persistence
