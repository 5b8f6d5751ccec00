// Whole devices at fixed prices (docs/AUCTION.md, "Whole devices"). The LP allocates SCU; contracts are
// whole devices. With the prices fixed, a block may only be given zones whose landed price is within its
// limit (so it can never be paradoxically accepted), offers only when in the money, and every device is
// counted against the zone-hour's eligible supply, the links' capacity in micro-GB rounded up, the block's
// quantity and an upper bound of its cost against its reserve, so the result passes check_auction_result
// by construction. Steps, each in block order (deterministic):
//   1. floor: each block gets floor(LP SCU / SCU per device) devices in each zone the LP gave it;
//   2. min ratio: a block with a binary below its minimum is topped up (zones the LP used first, most SCU
//      first, then its other usable zones by landed price), else moved whole into one zone that can take
//      its minimum, else it fails (the caller rejects it and re-prices);
//   3. nearest: where the LP's SCU are at least half a device above what a block got, one more device if
//      it fits.
// Offers are then accepted per zone-hour cheapest first (then by index) for exactly the devices sold.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "auction_math.hpp"
#include "auction_solver_internal.hpp"

namespace cpx::auction_solver {

namespace am = auction_math;
using am::i128;

namespace {

class Scheduler {
 public:
  Scheduler(const AuctionInput& in, const Model& m, const LpSolution& lp, const AuctionResult& prices)
      : in_(in), m_(m), lp_(lp), prices_(prices) {
    const size_t zh = in.zones.size() * kAuctionHours;
    supply_.assign(zh, 0);
    used_.assign(zh, 0);
    for (const AuctionOfferIn& o : in.offers)
      if (eligible(o)) supply_[static_cast<size_t>(o.zone) * kAuctionHours + o.hour] += o.devices;
    room_.resize(in.links.size() * kAuctionHours);
    for (size_t i = 0; i < room_.size(); ++i)
      room_[i] = static_cast<i128>(in.links[i / kAuctionHours].capacity_gb_per_hour) * am::kMicro;
    devices_.assign(m.ys.size(), 0);
    usable_.assign(m.ys.size(), 0);
    unit_cost_.assign(m.ys.size(), 0);
    for (size_t y = 0; y < m.ys.size(); ++y) {
      const AuctionBlockIn& b = in.blocks[m.ys[y].block];
      const AuctionRoute& r = b.routes[m.ys[y].route];
      bool ok = am::landed_within_limit(in, prices, b, r);
      for (int h = b.first_hour; h < b.first_hour + b.hours && ok; ++h) ok = supply_[zh_index(r.zone, h)] > 0;
      usable_[y] = ok;
      if (ok) unit_cost_[y] = device_cost_bound(b, r);
    }
    scu_.assign(in.blocks.size(), 0);
    cost_.assign(in.blocks.size(), 0);
  }

  bool eligible(const AuctionOfferIn& o) const {
    return static_cast<i128>(o.price) * kScale <=
           static_cast<i128>(prices_.zone_price[zh_index(o.zone, o.hour)]) * in_.zones[o.zone].scu_per_device;
  }
  double lp_devices(uint32_t y) const {
    const AuctionBlockIn& b = in_.blocks[m_.ys[y].block];
    return lp_.x[m_.ys[y].col] * 1000.0 / static_cast<double>(in_.zones[b.routes[m_.ys[y].route].zone].scu_per_device);
  }

  // The most devices that can be added to column y now.
  int64_t room(uint32_t y) const {
    if (!usable_[y]) return 0;
    const YColumn& c = m_.ys[y];
    const AuctionBlockIn& b = in_.blocks[c.block];
    const AuctionRoute& r = b.routes[c.route];
    const int64_t s = in_.zones[r.zone].scu_per_device;
    i128 k = (b.scu_per_hour - scu_[c.block]) / s;
    if (unit_cost_[y] > 0) k = std::min<i128>(k, (static_cast<i128>(b.reserve) - cost_[c.block]) / unit_cost_[y]);
    const i128 flow = am::flow_micro_gb(b, devices_[y], s);
    for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) {
      k = std::min<i128>(k, supply_[zh_index(r.zone, h)] - used_[zh_index(r.zone, h)]);
      if (b.data_gb_per_hour == 0) continue;
      for (uint32_t l : r.links) {
        // flow(n + k) <= flow(n) + room  <=>  data x (n + k) x s x 10^6 <= q x (flow(n) + room)
        const i128 most = static_cast<i128>(b.scu_per_hour) * (flow + room_[static_cast<size_t>(l) * kAuctionHours + h]) /
                          (static_cast<i128>(b.data_gb_per_hour) * s * am::kMicro);
        k = std::min<i128>(k, most - devices_[y]);
      }
    }
    return k > 0 ? static_cast<int64_t>(k) : 0;
  }

  void add(uint32_t y, int64_t k) {
    if (k == 0) return;
    const YColumn& c = m_.ys[y];
    const AuctionBlockIn& b = in_.blocks[c.block];
    const AuctionRoute& r = b.routes[c.route];
    const int64_t s = in_.zones[r.zone].scu_per_device;
    const i128 delta_flow = am::flow_micro_gb(b, devices_[y] + k, s) - am::flow_micro_gb(b, devices_[y], s);
    for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) {
      used_[zh_index(r.zone, h)] += k;
      for (uint32_t l : r.links) room_[static_cast<size_t>(l) * kAuctionHours + h] -= delta_flow;
    }
    devices_[y] += k;
    scu_[c.block] += static_cast<i128>(k) * s;
    cost_[c.block] += static_cast<i128>(k) * unit_cost_[y];
  }
  void clear(uint32_t block) {
    for (uint32_t y : m_.block_ys[block]) add(y, -devices_[y]);
  }

  // Zones to try for a block short of its minimum: those the LP used (most SCU first), then the rest by
  // landed price, then by zone.
  std::vector<uint32_t> order(uint32_t block) const {
    const AuctionBlockIn& b = in_.blocks[block];
    std::vector<std::pair<uint32_t, i128>> ys;  // column, landed price
    for (uint32_t y : m_.block_ys[block])
      if (usable_[y]) ys.emplace_back(y, am::landed_times_q(in_, prices_, b, b.routes[m_.ys[y].route]));
    std::stable_sort(ys.begin(), ys.end(), [&](const auto& a, const auto& c) {
      const double la = lp_.x[m_.ys[a.first].col], lc = lp_.x[m_.ys[c.first].col];
      if (la != lc) return la > lc;
      return a.second < c.second;
    });
    std::vector<uint32_t> out;
    for (const auto& [y, landed] : ys) out.push_back(y);
    return out;
  }

  Schedule run(const Decisions& in_market) {
    Schedule out;
    const uint32_t blocks = static_cast<uint32_t>(in_.blocks.size());
    for (uint32_t b = 0; b < blocks; ++b) {
      if (!in_market[b]) continue;
      for (uint32_t y : m_.block_ys[b]) {
        const int64_t want = static_cast<int64_t>(std::floor(lp_devices(y) + 1e-6));
        if (want > 0) add(y, std::min(want, room(y)));
      }
    }
    for (uint32_t b = 0; b < blocks; ++b) {
      if (!in_market[b] || m_.u_col[b] < 0) continue;
      const AuctionBlockIn& x = in_.blocks[b];
      const i128 need = am::min_scu(x);
      if (scu_[b] >= need) continue;
      const std::vector<uint32_t> zones = order(b);
      for (uint32_t y : zones) {
        if (scu_[b] >= need) break;
        const int64_t s = in_.zones[x.routes[m_.ys[y].route].zone].scu_per_device;
        add(y, std::min<int64_t>(static_cast<int64_t>(am::div_ceil(need - scu_[b], s)), room(y)));
      }
      if (scu_[b] >= need) continue;
      clear(b);
      for (uint32_t y : zones) {
        const int64_t s = in_.zones[x.routes[m_.ys[y].route].zone].scu_per_device;
        const int64_t k = static_cast<int64_t>(am::div_ceil(need, s));
        if (room(y) >= k) {
          add(y, k);
          break;
        }
      }
      if (scu_[b] < need) {
        clear(b);
        out.failed.push_back(b);
      }
    }
    std::vector<char> failed(blocks, 0);
    for (uint32_t b : out.failed) failed[b] = 1;
    for (uint32_t b = 0; b < blocks; ++b) {
      if (!in_market[b] || failed[b]) continue;
      for (uint32_t y : m_.block_ys[b])
        if (lp_devices(y) - static_cast<double>(devices_[y]) >= 0.5 && room(y) >= 1) add(y, 1);
    }

    for (uint32_t b = 0; b < blocks; ++b)
      for (uint32_t y : m_.block_ys[b])
        if (devices_[y] > 0) out.allocations.push_back(AuctionAllocation{b, in_.blocks[b].routes[m_.ys[y].route].zone, devices_[y]});
    accept_offers(out);
    return out;
  }

 private:
  static size_t zh_index(uint32_t zone, int hour) { return static_cast<size_t>(zone) * kAuctionHours + hour; }

  // An upper bound of what one device of block b in a zone costs over the block's hours, fees and legs
  // included: each contract rounds its fee and each leg by at most half a unit, and has at least one device.
  i128 device_cost_bound(const AuctionBlockIn& b, const AuctionRoute& r) const {
    const int64_t s = in_.zones[r.zone].scu_per_device;
    i128 total = 0;
    for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) {
      const i128 p = am::device_price(prices_.zone_price[zh_index(r.zone, h)], s);
      total += am::div_ceil(p * (kScale + in_.fee_bps), kScale) + 1;
      for (uint32_t l : r.links) {
        const i128 rate = static_cast<i128>(in_.links[l].tariff_per_gb) * kScale +
                          prices_.congestion[static_cast<size_t>(l) * kAuctionHours + h];
        total += am::div_ceil(static_cast<i128>(b.data_gb_per_hour) * s * rate, static_cast<i128>(b.scu_per_hour) * kScale) + 1;
      }
    }
    return total;
  }

  void accept_offers(Schedule& out) const {
    std::vector<int64_t> demand(used_.begin(), used_.end());
    std::vector<uint32_t> offers(in_.offers.size());
    std::iota(offers.begin(), offers.end(), 0u);
    std::stable_sort(offers.begin(), offers.end(),
                     [&](uint32_t a, uint32_t c) { return in_.offers[a].price < in_.offers[c].price; });
    std::vector<int64_t> taken(in_.offers.size(), 0);
    for (uint32_t o : offers) {
      const AuctionOfferIn& x = in_.offers[o];
      int64_t& d = demand[zh_index(x.zone, x.hour)];
      if (d == 0 || !eligible(x)) continue;
      taken[o] = std::min(d, x.devices);
      d -= taken[o];
    }
    for (uint32_t o = 0; o < in_.offers.size(); ++o)
      if (taken[o] > 0) out.acceptances.push_back(AuctionAcceptance{o, taken[o]});
  }

  const AuctionInput& in_;
  const Model& m_;
  const LpSolution& lp_;
  const AuctionResult& prices_;
  std::vector<int64_t> supply_, used_;  // eligible offer devices and devices sold, per zone-hour
  std::vector<i128> room_;              // micro-GB left per link-hour
  std::vector<int64_t> devices_;        // per y column
  std::vector<char> usable_;
  std::vector<i128> unit_cost_;
  std::vector<i128> scu_, cost_;  // per block: SCU an hour given, cost bound so far
};

}  // namespace

Schedule make_schedule(const AuctionInput& in, const Model& m, const LpSolution& lp, const Decisions& in_market,
                       const AuctionResult& prices) {
  Scheduler s(in, m, lp, prices);
  return s.run(in_market);
}

}  // namespace cpx::auction_solver
