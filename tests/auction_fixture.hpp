#pragma once
// Small auction inputs built by hand, and the money identity every result must keep.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpx/auction.hpp"

namespace cpx::test {

// CNY per SCU-hour with 8 decimals from a number of 1e-8 units, e.g. scu_price(0.15) = 15,000,000.
inline int64_t scu_price(double cny) { return static_cast<int64_t>(cny * 1e8 + (cny >= 0 ? 0.5 : -0.5)); }
inline int64_t money(double cny) { return static_cast<int64_t>(cny * 1e4 + (cny >= 0 ? 0.5 : -0.5)); }

inline AuctionOfferIn offer(uint32_t zone, int hour, int64_t devices, double price_cny, uint64_t id) {
  AuctionOfferIn o;
  o.id = id;
  o.supplier = static_cast<ParticipantId>(100 + id);
  o.zone = zone;
  o.hour = hour;
  o.devices = devices;
  o.price = money(price_cny);
  return o;
}

inline AuctionBlockIn block(int first_hour, int hours, int64_t scu, int64_t min_bps, double limit_cny,
                            int64_t data_gb, std::vector<AuctionRoute> routes, uint64_t id) {
  AuctionBlockIn b;
  b.id = id;
  b.buyer = static_cast<ParticipantId>(200 + id);
  b.first_hour = first_hour;
  b.hours = hours;
  b.scu_per_hour = scu;
  b.min_ratio_bps = min_bps;
  b.limit_per_scu_hour = scu_price(limit_cny);
  b.data_gb_per_hour = data_gb;
  b.routes = std::move(routes);
  b.reserve = 0;  // set by with_reserves()
  return b;
}

// Every block's reserve as the engine would hold it (auction_block_reserve over its smallest device).
inline void with_reserves(AuctionInput& in) {
  for (AuctionBlockIn& b : in.blocks) {
    int64_t smallest = INT64_MAX;
    for (const AuctionRoute& r : b.routes) smallest = std::min(smallest, in.zones[r.zone].scu_per_device);
    b.reserve = auction_block_reserve(b.scu_per_hour, b.hours, b.limit_per_scu_hour,
                                      smallest == INT64_MAX ? 1 : smallest, in.fee_bps);
  }
}

struct MoneyTotals {
  Money buyers = 0, sellers = 0, carriers = 0, fees = 0;
};

// Buyers pay notional + buyer fee + legs; sellers receive notional - seller fee; carriers the legs; the
// exchange both fees. The two sides must agree to the unit.
inline MoneyTotals money_totals(const std::vector<AuctionPiece>& pieces) {
  MoneyTotals t;
  for (const AuctionPiece& p : pieces) {
    t.buyers += p.buyer_cost();
    t.sellers += p.notional - p.seller_fee;
    t.carriers += p.transport();
    t.fees += p.buyer_fee + p.seller_fee;
  }
  return t;
}

inline void expect_money_balances(const std::vector<AuctionPiece>& pieces) {
  const MoneyTotals t = money_totals(pieces);
  EXPECT_EQ(t.buyers, t.sellers + t.carriers + t.fees);
}

}  // namespace cpx::test
