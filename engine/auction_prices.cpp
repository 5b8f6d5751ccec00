// From the pricing LP's duals to published integer prices, and the paradoxes judged at those prices.
//
// Zone prices: the balance row's dual rounded half away from zero to 8 decimals, then raised to the least
// 8-decimal price that covers every offer the LP found in the money there (an offer priced exactly at
// the clearing price must stay acceptable: its price per SCU-hour is rarely a whole 8-decimal number).
// The raise is less than one unit: the price-publication part of the allowance (auction_rules.cpp). A
// zone-hour where nothing trades has no unique dual (anything up to its cheapest offer clears it); it is
// priced at its cheapest offer, the price at which the next SCU would be bought. No offers: 0.
// Congestion prices are rounded down, so that transport never adds to a block's payment beyond the exact
// price. Negative values (numerical noise) become 0.
#include <cmath>

#include "auction_math.hpp"
#include "auction_solver_internal.hpp"

namespace cpx::auction_solver {

namespace am = auction_math;
using am::i128;

namespace {
constexpr double kDualToUnits = 1e5;  // CNY per kSCU (or per TB) -> CNY per SCU (or per GB) x 10^8
// CLP's duals are exact to about 1e-7 CNY per kSCU: 0.01 of an 8-decimal unit. Within this, a dual is
// taken to equal a neighbouring integer or an offer's price.
constexpr double kNoise = 0.05;
constexpr double kTradedKscu = 1e-9;
}  // namespace

Prices publish_prices(const AuctionInput& in, const Model& m, const LpSolution& lp) {
  Prices p;
  p.zone_price.assign(in.zones.size() * kAuctionHours, 0);
  p.congestion.assign(in.links.size() * kAuctionHours, 0);
  std::vector<std::vector<uint32_t>> offers(p.zone_price.size());
  for (uint32_t o = 0; o < in.offers.size(); ++o)
    offers[static_cast<size_t>(in.offers[o].zone) * kAuctionHours + in.offers[o].hour].push_back(o);
  for (size_t i = 0; i < p.zone_price.size(); ++i) {
    if (offers[i].empty()) continue;
    const int64_t s = in.zones[i / kAuctionHours].scu_per_device;
    const int row = m.balance_row[i];
    double v = 0;
    bool traded = false;
    if (row >= 0) {
      v = lp.dual[row] * kDualToUnits;
      for (uint32_t o : offers[i])
        if (m.offer_col[o] >= 0 && lp.x[m.offer_col[o]] > kTradedKscu) traded = true;
    }
    i128 price = v > 0 ? static_cast<i128>(std::llround(std::min(v, static_cast<double>(am::kMaxZonePrice)))) : 0;
    Price cheapest = in.offers[offers[i][0]].price;
    for (uint32_t o : offers[i]) {
      const Price op = in.offers[o].price;
      cheapest = std::min(cheapest, op);
      if (static_cast<double>(op) * kScale / static_cast<double>(s) <= v + kNoise)
        price = std::max(price, am::div_ceil(static_cast<i128>(op) * kScale, s));
    }
    if (!traded) price = std::max(price, am::div_ceil(static_cast<i128>(cheapest) * kScale, s));
    p.zone_price[i] = static_cast<int64_t>(std::min<i128>(price, am::kMaxZonePrice));
  }
  for (size_t i = 0; i < p.congestion.size(); ++i) {
    const int row = m.link_row[i];
    if (row < 0) continue;
    const double v = -lp.dual[row] * kDualToUnits;
    if (v <= kNoise) continue;
    p.congestion[i] = static_cast<int64_t>(std::floor(std::min(v + kNoise, static_cast<double>(am::kMaxCongestion))));
  }
  return p;
}

std::vector<uint32_t> paradoxically_accepted(const AuctionInput& in, const Model& m, const LpSolution& lp,
                                             const Decisions& in_market, const AuctionResult& prices) {
  std::vector<uint32_t> out;
  for (uint32_t b = 0; b < in.blocks.size(); ++b) {
    if (!in_market[b]) continue;
    const AuctionBlockIn& x = in.blocks[b];
    for (uint32_t y : m.block_ys[b]) {
      if (lp.x[m.ys[y].col] * 1000.0 < 1e-3) continue;  // below a thousandth of an SCU: noise
      if (!am::landed_within_limit(in, prices, x, x.routes[m.ys[y].route])) {
        out.push_back(b);
        break;
      }
    }
  }
  return out;
}

std::vector<std::vector<uint32_t>> interacting_groups(const AuctionInput& in, const Model& m, const LpSolution& lp,
                                                      const AuctionResult& prices, const std::vector<uint32_t>& blocks) {
  std::vector<uint32_t> parent(blocks.size());
  for (uint32_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto find = [&](uint32_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  // The first group member seen at each zone-hour and congested link-hour.
  std::vector<int64_t> zone_seen(in.zones.size() * kAuctionHours, -1), link_seen(in.links.size() * kAuctionHours, -1);
  auto meet = [&](int64_t& seen, uint32_t i) {
    if (seen < 0) seen = i;
    else parent[find(i)] = find(static_cast<uint32_t>(seen));
  };
  for (uint32_t i = 0; i < blocks.size(); ++i) {
    const AuctionBlockIn& x = in.blocks[blocks[i]];
    for (uint32_t y : m.block_ys[blocks[i]]) {
      if (lp.x[m.ys[y].col] * 1000.0 < 1e-3) continue;
      const AuctionRoute& r = x.routes[m.ys[y].route];
      for (int h = x.first_hour; h < x.first_hour + x.hours; ++h) {
        meet(zone_seen[static_cast<size_t>(r.zone) * kAuctionHours + h], i);
        for (uint32_t l : r.links)
          if (prices.congestion[static_cast<size_t>(l) * kAuctionHours + h] > 0) meet(link_seen[static_cast<size_t>(l) * kAuctionHours + h], i);
      }
    }
  }
  std::vector<std::vector<uint32_t>> groups;
  std::vector<int64_t> group_of(blocks.size(), -1);
  for (uint32_t i = 0; i < blocks.size(); ++i) {
    int64_t& g = group_of[find(i)];
    if (g < 0) {
      g = static_cast<int64_t>(groups.size());
      groups.emplace_back();
    }
    groups[static_cast<size_t>(g)].push_back(blocks[i]);
  }
  return groups;
}

std::vector<uint32_t> paradoxically_rejected(const AuctionInput& in, const AuctionResult& r) {
  std::vector<char> allocated(in.blocks.size(), 0);
  for (const AuctionAllocation& a : r.allocations) allocated[a.block] = 1;
  const std::vector<Price> cheapest = cheapest_offers(in);
  std::vector<uint32_t> out;
  for (uint32_t b = 0; b < in.blocks.size(); ++b) {
    if (allocated[b]) continue;
    const AuctionBlockIn& x = in.blocks[b];
    for (const AuctionRoute& route : x.routes) {
      const int64_t s = in.zones[route.zone].scu_per_device;
      if (s > x.scu_per_hour || (x.scu_per_hour / s) * s < am::min_scu(x)) continue;
      bool supplied = true;
      for (int h = x.first_hour; h < x.first_hour + x.hours && supplied; ++h) {
        const size_t i = static_cast<size_t>(route.zone) * kAuctionHours + h;
        supplied = cheapest[i] >= 0 && static_cast<i128>(cheapest[i]) * kScale <= static_cast<i128>(r.zone_price[i]) * s;
      }
      if (supplied && am::landed_times_q(in, r, x, route) <
                          static_cast<i128>(x.scu_per_hour) * x.hours * x.limit_per_scu_hour) {
        out.push_back(b);
        break;
      }
    }
  }
  return out;
}

double result_welfare(const AuctionInput& in, const AuctionResult& r) {
  double w = 0;
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& x = in.blocks[a.block];
    const double scu = static_cast<double>(a.devices) * static_cast<double>(in.zones[a.zone].scu_per_device);
    int64_t tariff = 0;
    for (uint32_t l : am::find_route(x, a.zone)->links) tariff += in.links[l].tariff_per_gb;
    const double gb = static_cast<double>(x.data_gb_per_hour) * scu / static_cast<double>(x.scu_per_hour);
    w += x.hours * (static_cast<double>(x.limit_per_scu_hour) * scu / 1e8 - gb * static_cast<double>(tariff) / 1e4);
  }
  for (const AuctionAcceptance& a : r.acceptances)
    w -= static_cast<double>(in.offers[a.offer].price) * static_cast<double>(a.devices) / 1e4;
  return w;
}

}  // namespace cpx::auction_solver
