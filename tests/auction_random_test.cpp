// Seeded random auctions over a tiny world (3 regions, 3 chip classes, 6 links, 3 hours): every result
// passes the rules, keeps the money identity, honours the blocks' route constraints, reports its
// paradoxically rejected blocks exactly, is reproducible, and its first MIP reaches the welfare optimum
// computed independently by enumeration (auction_reference.hpp).
#include <gtest/gtest.h>

#include <random>

#include "auction_fixture.hpp"
#include "auction_reference.hpp"
#include "cpx/auction_solver.hpp"
#include "cpx/routing.hpp"

namespace cpx::test {
namespace {

struct World {
  std::vector<Region> regions;
  std::vector<ChipClass> classes;
  std::vector<NetworkLink> network;
  std::vector<AuctionZone> zones;
};

World tiny_world(std::mt19937_64& rng) {
  World w;
  auto region = [](const char* code, RegionSide side, const char* jurisdiction, int64_t green) {
    Region r;
    r.code = code;
    r.side = side;
    r.jurisdiction = jurisdiction;
    r.green_share = green;
    return r;
  };
  w.regions = {region("E0", RegionSide::East, "J0", 3'000), region("E1", RegionSide::East, "J1", 6'000),
               region("W0", RegionSide::West, "J2", 5'000)};
  auto cls = [](const char* code, ChipFamily family, int64_t scu) {
    ChipClass c;
    c.code = code;
    c.family = family;
    c.scu_per_device = scu;
    return c;
  };
  w.classes = {cls("BIG", ChipFamily::AI, 10), cls("SMALL", ChipFamily::AI, 4), cls("CPU", ChipFamily::General, 3)};
  const int64_t latency[3][3] = {{0, 5, 12}, {5, 0, 8}, {12, 8, 0}};
  std::uniform_int_distribution<int64_t> tariff(50, 300), gbps(0, 3);
  for (RegionId a = 0; a < 3; ++a)
    for (RegionId b = 0; b < 3; ++b) {
      if (a == b) continue;
      NetworkLink l;
      l.from = a;
      l.to = b;
      l.latency_ms = latency[a][b];
      l.tariff_per_gb = tariff(rng);
      l.capacity_gbps = 0;  // set below through the auction's capacity
      l.carrier = 50 + (a + b) % 2;
      w.network.push_back(l);
    }
  for (RegionId r = 0; r < 3; ++r)
    for (ChipClassId c = 0; c < 3; ++c) w.zones.push_back(AuctionZone{r, c, w.classes[c].scu_per_device});
  return w;
}

struct Instance {
  AuctionInput in;
  std::vector<RouteQuery> queries;  // per block
  World world;
};

Instance random_instance(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int64_t a, int64_t b) { return std::uniform_int_distribution<int64_t>(a, b)(rng); };
  Instance x;
  x.world = tiny_world(rng);
  World& w = x.world;
  AuctionInput& in = x.in;
  const int64_t fees[] = {0, 5, 10, 25};
  in.fee_bps = fees[pick(0, 3)];
  in.zones = w.zones;
  in.links = auction_links(w.network);
  for (AuctionLink& l : in.links) l.capacity_gb_per_hour = pick(0, 2) == 0 ? pick(2, 40) : 1'000;
  const int hours = 3;
  uint64_t id = 1;
  for (uint32_t z = 0; z < in.zones.size(); ++z)
    for (int h = 0; h < hours; ++h) {
      const int n = static_cast<int>(pick(0, 2));
      const double region_factor = w.regions[in.zones[z].region].side == RegionSide::West ? 0.8 : 1.0;
      for (int k = 0; k < n; ++k) {
        const double per_scu = 0.10 * region_factor * uniform(0.7, 1.3);
        in.offers.push_back(offer(z, h, pick(1, 8), per_scu * static_cast<double>(in.zones[z].scu_per_device), id++));
      }
    }
  const int blocks = static_cast<int>(pick(1, 5));
  const int64_t ratios[] = {10'000, 10'000, 5'000, 2'500, 1};
  for (int k = 0; k < blocks; ++k) {
    RouteQuery q;
    if (pick(0, 4) > 0) {
      q.classes.push_back(0);
      if (pick(0, 1)) q.classes.push_back(1);
    } else {
      q.classes.push_back(2);
    }
    q.origin = static_cast<RegionId>(pick(0, 2));
    const int c = static_cast<int>(pick(0, 9));
    if (c < 3) q.max_latency_ms = pick(6, 13);
    else if (c == 3) q.local_only = true;
    else if (c == 4) q.jurisdictions = {w.regions[q.origin].jurisdiction, w.regions[static_cast<size_t>(pick(0, 2))].jurisdiction};
    else if (c == 5) q.min_green_share = 5'000;
    const int64_t s = w.classes[q.classes[static_cast<size_t>(pick(0, static_cast<int64_t>(q.classes.size()) - 1))]].scu_per_device;
    const int64_t scu = pick(0, 1) ? s * pick(1, 6) : pick(1, 60);
    const int first = static_cast<int>(pick(0, hours - 1));
    AuctionBlockIn b = block(first, static_cast<int>(pick(1, hours - first)), scu, ratios[pick(0, 4)], uniform(0.05, 0.25),
                             pick(0, 30), {}, 100 + static_cast<uint64_t>(k));
    q.scu = b.scu_per_hour;
    q.data_gb = b.data_gb_per_hour;
    b.routes = auction_routes(w.regions, w.classes, w.network, in.zones, q, b.scu_per_hour);
    in.blocks.push_back(std::move(b));
    x.queries.push_back(q);
  }
  with_reserves(in);
  return x;
}

AuctionSolverOptions exact() {
  AuctionSolverOptions o;
  o.relative_gap = 0;  // tiny instances: prove the optimum itself
  return o;
}

// Landed price at the final prices below the limit, in the test's own arithmetic (long double is exact
// at these sizes): the report of paradoxically rejected blocks must match it.
bool would_buy(const AuctionInput& in, const AuctionResult& r, const AuctionBlockIn& b) {
  for (const AuctionRoute& route : b.routes) {
    const int64_t s = in.zones[route.zone].scu_per_device;
    const int64_t min_scu = (b.scu_per_hour * b.min_ratio_bps + 9'999) / 10'000;
    if (s > b.scu_per_hour || (b.scu_per_hour / s) * s < min_scu) continue;
    bool supplied = true;
    long double landed = 0;  // 8-decimal units per SCU-hour summed over the hours
    for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) {
      const int64_t zp = r.zone_price[route.zone * kAuctionHours + h];
      bool any = false;
      for (const AuctionOfferIn& o : in.offers) any = any || (o.zone == route.zone && o.hour == h && o.price * 10'000 <= zp * s);
      supplied = supplied && any;
      landed += zp;
      for (uint32_t l : route.links)
        landed += static_cast<long double>(b.data_gb_per_hour) / b.scu_per_hour *
                  (in.links[l].tariff_per_gb * 10'000 + r.congestion[l * kAuctionHours + h]);
    }
    if (supplied && landed < static_cast<long double>(b.hours) * b.limit_per_scu_hour) return true;
  }
  return false;
}

TEST(AuctionRandom, PropertiesAndWelfareAgainstEnumeration) {
  int accepted_somewhere = 0, cut_somewhere = 0, congested = 0, prb = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Instance x = random_instance(seed);
    const AuctionInput& in = x.in;
    AuctionSolverStats stats;
    auto r = solve_auction(in, exact(), &stats);
    ASSERT_TRUE(r.ok()) << r.error().text;
    ASSERT_TRUE(check_auction_result(in, *r).ok()) << check_auction_result(in, *r).error().text;
    expect_money_balances(auction_pieces(in, *r));

    std::vector<int64_t> scu(in.blocks.size(), 0);
    for (const AuctionAllocation& a : r->allocations) {
      scu[a.block] += a.devices * in.zones[a.zone].scu_per_device;
      // The constraints of §3.2 hold for the zone and its route is the cheapest path within the limit.
      const RouteQuery& q = x.queries[a.block];
      const RegionId region = in.zones[a.zone].region;
      EXPECT_EQ(route_filter(q, region, x.world.regions[region], in.zones[a.zone].chip_class), nullptr);
      NetworkPath path;
      ASSERT_EQ(route_path(x.world.network, q, region, path), nullptr);
      EXPECT_TRUE(q.max_latency_ms < 0 || path.latency_ms <= q.max_latency_ms);
      const AuctionRoute* route = nullptr;
      for (const AuctionRoute& rt : in.blocks[a.block].routes)
        if (rt.zone == a.zone) route = &rt;
      ASSERT_NE(route, nullptr);
      EXPECT_EQ(route->links, path.links);
    }
    for (uint32_t b = 0; b < in.blocks.size(); ++b) {
      const AuctionBlockIn& x_b = in.blocks[b];
      if (scu[b] == 0) continue;
      ++accepted_somewhere;
      EXPECT_LE(scu[b], x_b.scu_per_hour);
      EXPECT_GE(scu[b] * 10'000, x_b.scu_per_hour * x_b.min_ratio_bps);
    }
    std::vector<uint32_t> expected_prb;
    for (uint32_t b = 0; b < in.blocks.size(); ++b)
      if (scu[b] == 0 && would_buy(in, *r, in.blocks[b])) expected_prb.push_back(b);
    EXPECT_EQ(r->paradoxically_rejected, expected_prb);
    prb += !expected_prb.empty();

    const double reference = reference_welfare(in);
    EXPECT_NEAR(stats.welfare_first_mip, reference, 1e-6 + 1e-7 * std::fabs(reference));
    EXPECT_LE(stats.welfare_lp, reference + 1e-6);
    EXPECT_LE(stats.welfare, stats.welfare_lp + 1e-6);  // whole devices and final prices only lose welfare
    EXPECT_TRUE(stats.proven_optimal);
    cut_somewhere += stats.pab_rounds > 0;
    for (int64_t c : r->congestion) congested += c > 0;

    if (seed % 10 == 0) {
      auto again = solve_auction(in, exact(), nullptr);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->zone_price, r->zone_price);
      EXPECT_EQ(again->congestion, r->congestion);
      ASSERT_EQ(again->allocations.size(), r->allocations.size());
      for (size_t i = 0; i < r->allocations.size(); ++i) EXPECT_EQ(again->allocations[i].devices, r->allocations[i].devices);
      ASSERT_EQ(again->acceptances.size(), r->acceptances.size());
      for (size_t i = 0; i < r->acceptances.size(); ++i) EXPECT_EQ(again->acceptances[i].devices, r->acceptances[i].devices);
    }
  }
  // The generator must exercise what the properties are about.
  EXPECT_GT(accepted_somewhere, 100);
  EXPECT_GT(cut_somewhere, 0);
  EXPECT_GT(congested, 0);
  EXPECT_GT(prb, 0);
}

// The reserve holds for any whole-device result priced at or below the limit: blocks at their limit with
// the worst rounding the rules allow never cost more than auction_block_reserve.
TEST(AuctionRandom, ReserveCoversEveryResultThatPassesTheRules) {
  std::mt19937_64 rng(7);
  auto pick = [&](int64_t a, int64_t b) { return std::uniform_int_distribution<int64_t>(a, b)(rng); };
  int checked = 0;
  for (int k = 0; k < 2'000; ++k) {
    AuctionInput in;
    in.fee_bps = pick(0, 100);
    const int64_t s = pick(1, 1'000);
    in.zones = {AuctionZone{0, 0, s}};
    in.links = {AuctionLink{0, 1, 7, 1'000'000, pick(0, 500)}, AuctionLink{1, 2, 8, 1'000'000, pick(0, 500)}};
    const int64_t devices = pick(1, 50);
    AuctionBlockIn b;
    b.first_hour = 0;
    b.hours = static_cast<int32_t>(pick(1, 24));
    b.scu_per_hour = devices * s + pick(0, s - 1);
    b.min_ratio_bps = 1;
    b.limit_per_scu_hour = pick(1, 100'000'000);
    b.data_gb_per_hour = pick(0, 5'000);
    b.routes = {AuctionRoute{0, {0, 1}}};
    b.reserve = auction_block_reserve(b.scu_per_hour, b.hours, b.limit_per_scu_hour, s, in.fee_bps);
    in.blocks = {b};
    // Many one-device offers: a contract per device, the most rounding there can be.
    AuctionResult r;
    r.zone_price.assign(24, 0);
    r.congestion.assign(48, 0);
    for (int h = 0; h < b.hours; ++h)
      for (int64_t d = 0; d < devices; ++d) {
        in.offers.push_back(AuctionOfferIn{static_cast<uint64_t>(in.offers.size()), 9, 0, h, 1, 0});
        r.acceptances.push_back(AuctionAcceptance{static_cast<uint32_t>(in.offers.size() - 1), 1});
      }
    r.allocations = {AuctionAllocation{0, 0, devices}};
    // The highest zone price (with congestion at 0..some) that the PAB rule still lets through.
    int64_t lo = 0, hi = b.limit_per_scu_hour * 4 + 1'000'000;
    for (int h = 0; h < 48; ++h) r.congestion[h] = pick(0, 3) == 0 ? pick(0, 1'000'000) : 0;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      for (int h = 0; h < b.hours; ++h) r.zone_price[h] = mid;
      in.blocks[0].reserve = INT64_MAX / 4;
      if (check_auction_result(in, r).ok()) lo = mid;
      else hi = mid - 1;
    }
    for (int h = 0; h < b.hours; ++h) r.zone_price[h] = lo;
    in.blocks[0].reserve = INT64_MAX / 4;
    if (!check_auction_result(in, r).ok()) continue;  // nothing passes (transport alone over the limit)
    in.blocks[0].reserve = b.reserve;
    auto ok = check_auction_result(in, r);
    EXPECT_TRUE(ok.ok()) << "case " << k << ": " << ok.error().text;
    ++checked;
  }
  EXPECT_GT(checked, 1'000);
}

}  // namespace
}  // namespace cpx::test
