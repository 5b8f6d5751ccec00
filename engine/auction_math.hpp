#pragma once
// The auction's integer arithmetic, shared by the rules (auction_rules.cpp), the solver (cpx_auction) and
// the tests, so that the solver rounds exactly as the checker and the contracts do. Products are taken in
// 128 bits; the bounds of check_auction_input() keep every one of them below 2^127.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpx/auction.hpp"

namespace cpx::auction_math {

using i128 = __int128;

inline constexpr int64_t kMicro = 1'000'000;  // link flows are counted in micro-GB

// Bounds check_auction_input() enforces (beyond them the products below could leave 128 bits).
inline constexpr int64_t kMaxScuPerHour = kMaxDevices * kMaxScuPerDevice;  // 1e15
inline constexpr int64_t kMaxDataGbPerHour = 1'000'000'000;                // 1 EB an hour
using cpx::kMaxTariffPerGb;                                                 // 10,000 CNY per GB (domain.hpp)
inline constexpr int64_t kMaxLinkGbPerHour = 1'000'000'000'000;
inline constexpr int64_t kMaxZonePrice = kMaxPrice;                        // 1e6 CNY per SCU-hour (8 decimals)
inline constexpr int64_t kMaxCongestion = 1'000'000'000'000;               // 10,000 CNY per GB (8 decimals)

// n / d rounded half away from zero (d > 0).
inline i128 div_round(i128 n, i128 d) {
  const i128 q = ((n < 0 ? -n : n) + d / 2) / d;
  return n < 0 ? -q : q;
}
// n / d rounded up (n >= 0, d > 0).
inline i128 div_ceil(i128 n, i128 d) { return (n + d - 1) / d; }

inline bool covers(const AuctionBlockIn& b, int hour) { return hour >= b.first_hour && hour < b.first_hour + b.hours; }

// CNY per device-hour (4 decimals) of a zone price in CNY per SCU-hour (8 decimals).
inline i128 device_price(int64_t zone_price, int64_t scu_per_device) {
  return div_round(static_cast<i128>(zone_price) * scu_per_device, kScale);
}
// The exchange fee on a notional, rounded half up (as on the continuous market).
inline i128 fee(i128 notional, int64_t fee_bps) { return (notional * fee_bps + 5'000) / 10'000; }

// What the data of `devices` devices of a block pays for one hour over one link: GB moved x (tariff +
// congestion), rounded half away from zero to 4 decimals. GB moved = data_gb_per_hour x devices x SCU per
// device / block SCU per hour; tariff has 4 decimals, congestion 8.
inline i128 leg_amount(const AuctionBlockIn& b, int64_t devices, int64_t scu_per_device, int64_t tariff_per_gb,
                       int64_t congestion) {
  const i128 rate = static_cast<i128>(tariff_per_gb) * kScale + congestion;  // CNY per GB, 8 decimals
  return div_round(static_cast<i128>(b.data_gb_per_hour) * devices * scu_per_device * rate,
                   static_cast<i128>(b.scu_per_hour) * kScale);
}

// The data an allocation moves every hour over each link of its path, in micro-GB rounded up: the link
// rule compares the sum of these with capacity x 10^6, so a rounded-down flow can never hide an excess.
inline i128 flow_micro_gb(const AuctionBlockIn& b, int64_t devices, int64_t scu_per_device) {
  return div_ceil(static_cast<i128>(b.data_gb_per_hour) * devices * scu_per_device * kMicro, b.scu_per_hour);
}

// The landed price of one SCU-hour in a zone over all of a block's hours at published prices, times the
// block's SCU per hour (to stay an integer): q x sum_h zone_price + data x sum_h sum_links (tariff x 10^4 +
// congestion), all in CNY per SCU-hour with 8 decimals, times q.
inline i128 landed_times_q(const AuctionInput& in, const AuctionResult& r, const AuctionBlockIn& b,
                           const AuctionRoute& route) {
  i128 sum = 0;
  for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) {
    sum += static_cast<i128>(b.scu_per_hour) * r.zone_price[static_cast<size_t>(route.zone) * kAuctionHours + h];
    for (uint32_t l : route.links)
      sum += static_cast<i128>(b.data_gb_per_hour) *
             (static_cast<i128>(in.links[l].tariff_per_gb) * kScale + r.congestion[static_cast<size_t>(l) * kAuctionHours + h]);
  }
  return sum;
}

// A zone a block may be given at published prices: its landed price over the block's hours at most the
// limit plus one 8-decimal unit per SCU-hour (the price-publication part of the allowance, see
// auction_rules.cpp). Every zone of an accepted block passing this keeps the block within the rule.
inline bool landed_within_limit(const AuctionInput& in, const AuctionResult& r, const AuctionBlockIn& b,
                                const AuctionRoute& route) {
  return landed_times_q(in, r, b, route) <=
         static_cast<i128>(b.scu_per_hour) * b.hours * (static_cast<i128>(b.limit_per_scu_hour) + 1);
}

// The least SCU per hour a block accepts: min_ratio x quantity, rounded up.
inline int64_t min_scu(const AuctionBlockIn& b) {
  return static_cast<int64_t>(div_ceil(static_cast<i128>(b.scu_per_hour) * b.min_ratio_bps, 10'000));
}

// The route of a block to a zone, or nullptr (routes are ascending by zone).
const AuctionRoute* find_route(const AuctionBlockIn& b, uint32_t zone);

// Calls f(block, offer, zone, hour, devices) for every contract of a balanced result, in the order of
// auction_pieces(): zones ascending, hours ascending, blocks ascending paired with offers by price then
// index. Indexes must be valid; an unbalanced zone-hour pairs what it can.
template <class F>
void for_each_pairing(const AuctionInput& in, const AuctionResult& r, F&& f) {
  const size_t zones = in.zones.size();
  std::vector<std::vector<const AuctionAllocation*>> by_zone(zones);  // ascending block (allocations are sorted)
  for (const AuctionAllocation& a : r.allocations) by_zone[a.zone].push_back(&a);
  std::vector<std::vector<const AuctionAcceptance*>> offers(zones * kAuctionHours);
  for (const AuctionAcceptance& a : r.acceptances) {
    const AuctionOfferIn& o = in.offers[a.offer];
    offers[static_cast<size_t>(o.zone) * kAuctionHours + o.hour].push_back(&a);
  }
  for (auto& list : offers)
    std::stable_sort(list.begin(), list.end(), [&](const AuctionAcceptance* x, const AuctionAcceptance* y) {
      const Price px = in.offers[x->offer].price, py = in.offers[y->offer].price;
      return px != py ? px < py : x->offer < y->offer;
    });
  for (uint32_t z = 0; z < zones; ++z) {
    for (int h = 0; h < kAuctionHours; ++h) {
      const auto& sellers = offers[static_cast<size_t>(z) * kAuctionHours + h];
      size_t k = 0;
      int64_t offer_left = sellers.empty() ? 0 : sellers[0]->devices;
      for (const AuctionAllocation* a : by_zone[z]) {
        if (!covers(in.blocks[a->block], h)) continue;
        int64_t want = a->devices;
        while (want > 0 && k < sellers.size()) {
          const int64_t n = want < offer_left ? want : offer_left;
          f(a->block, sellers[k]->offer, z, h, n);
          want -= n;
          offer_left -= n;
          if (offer_left == 0 && ++k < sellers.size()) offer_left = sellers[k]->devices;
        }
      }
    }
  }
}

}  // namespace cpx::auction_math
