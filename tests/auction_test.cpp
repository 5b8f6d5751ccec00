// The day-ahead auction (docs/PRODUCT.md §3.3, docs/AUCTION.md): instances solved by hand, the contracts a
// result makes, the reserve, and check_auction_result refusing each kind of violation.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "auction_fixture.hpp"
#include "auction_math.hpp"
#include "cpx/auction_solver.hpp"
#include "cpx/auction_summary.hpp"

namespace cpx::test {
namespace {

namespace am = auction_math;

AuctionSolverOptions options() {
  AuctionSolverOptions o;
  o.time_limit_s = 60;
  return o;
}

AuctionZone zone(RegionId region, int64_t scu) { return AuctionZone{region, 0, scu}; }

// ---------------------------------------------------------------------------------------------------
// Instance 1: two regions, two hours, no congestion.
//   zones: 0 = A (10 SCU per device), 1 = B (10 SCU per device); link 0 = A->B, tariff 0.0100 CNY/GB,
//   plenty of capacity, carrier 7; fee 10 bps.
//   offers (devices @ CNY per device-hour = CNY per SCU-hour x 10):
//     A h0: #0 10 @ 3.00 (0.30/SCU-h)      B h0: #1 10 @ 1.00 (0.10), #2 10 @ 1.50 (0.15)
//     A h1: #3 10 @ 3.00 (0.30)            B h1: #4 10 @ 1.20 (0.12), #5 10 @ 1.80 (0.18)
//   block 0: hours 0-1, 150 SCU/h (15 devices), min ratio 50 %, limit 0.25/SCU-h landed, origin A with
//            150 GB/h of data (1 GB per SCU: 0.01 CNY per SCU-hour to move to B); may run in A or B.
//   block 1: hour 1, 30 SCU/h, all or none, limit 0.16, local to B.
// By hand: B costs block 0 at most 0.15 + 0.01 (h0) and 0.18 + 0.01 (h1), A 0.30: all of it goes to B,
// 150 SCU each hour: offers #1 and #4 fully, #2 and #5 for 5 of their 10 devices. The partly accepted
// offers set B's prices: 0.15 (h0) and 0.18 (h1). Block 1's limit 0.16 is below 0.18: rejected (and not
// paradoxically: its landed price is above its limit). Nothing trades in A: priced at its cheapest offer,
// 0.30. Welfare = 0.25 x 150 x 2 - (10 x 1.00 + 5 x 1.50 + 10 x 1.20 + 5 x 1.80) - 300 GB x 0.01
//               = 75 - 38.50 - 3 = 33.50 CNY.
// Contracts of block 0 (price per device-hour = zone price x 10): h0 1.5000, h1 1.8000;
//   h0 with #1: 10 devices, notional 15.0000, fee 0.0150, leg 100 GB x 0.01 = 1.0000
//   h0 with #2:  5 devices, notional  7.5000, fee 0.0075, leg 0.5000
//   h1 with #4: 10 devices, notional 18.0000, fee 0.0180, leg 1.0000
//   h1 with #5:  5 devices, notional  9.0000, fee 0.0090, leg 0.5000
//   block 0 pays 49.50 + 0.0495 + 3.00 = 52.5495 CNY.
AuctionInput two_regions_two_hours() {
  AuctionInput in;
  in.fee_bps = 10;
  in.zones = {zone(0, 10), zone(1, 10)};
  in.links = {AuctionLink{0, 1, 7, 100'000, money(0.01)}};
  in.offers = {offer(0, 0, 10, 3.00, 1), offer(1, 0, 10, 1.00, 2), offer(1, 0, 10, 1.50, 3),
               offer(0, 1, 10, 3.00, 4), offer(1, 1, 10, 1.20, 5), offer(1, 1, 10, 1.80, 6)};
  in.blocks = {block(0, 2, 150, 5'000, 0.25, 150, {AuctionRoute{0, {}}, AuctionRoute{1, {0}}}, 11),
               block(1, 1, 30, 10'000, 0.16, 0, {AuctionRoute{1, {}}}, 12)};
  with_reserves(in);
  return in;
}

// The result worked out above, written down independently of the solver.
AuctionResult two_regions_two_hours_result(const AuctionInput& in) {
  AuctionResult r;
  r.zone_price.assign(in.zones.size() * kAuctionHours, 0);
  r.congestion.assign(in.links.size() * kAuctionHours, 0);
  r.zone_price[0 * 24 + 0] = scu_price(0.30);
  r.zone_price[0 * 24 + 1] = scu_price(0.30);
  r.zone_price[1 * 24 + 0] = scu_price(0.15);
  r.zone_price[1 * 24 + 1] = scu_price(0.18);
  r.allocations = {AuctionAllocation{0, 1, 15}};
  r.acceptances = {AuctionAcceptance{1, 10}, AuctionAcceptance{2, 5}, AuctionAcceptance{4, 10}, AuctionAcceptance{5, 5}};
  return r;
}

void expect_same(const AuctionResult& a, const AuctionResult& b) {
  EXPECT_EQ(a.zone_price, b.zone_price);
  EXPECT_EQ(a.congestion, b.congestion);
  ASSERT_EQ(a.allocations.size(), b.allocations.size());
  for (size_t i = 0; i < a.allocations.size(); ++i) {
    EXPECT_EQ(a.allocations[i].block, b.allocations[i].block) << i;
    EXPECT_EQ(a.allocations[i].zone, b.allocations[i].zone) << i;
    EXPECT_EQ(a.allocations[i].devices, b.allocations[i].devices) << i;
  }
  ASSERT_EQ(a.acceptances.size(), b.acceptances.size());
  for (size_t i = 0; i < a.acceptances.size(); ++i) {
    EXPECT_EQ(a.acceptances[i].offer, b.acceptances[i].offer) << i;
    EXPECT_EQ(a.acceptances[i].devices, b.acceptances[i].devices) << i;
  }
  EXPECT_EQ(a.paradoxically_rejected, b.paradoxically_rejected);
}

TEST(AuctionSolve, TwoRegionsTwoHoursByHand) {
  const AuctionInput in = two_regions_two_hours();
  AuctionSolverStats stats;
  auto r = solve_auction(in, options(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().text;
  expect_same(*r, two_regions_two_hours_result(in));
  EXPECT_NEAR(stats.welfare, 33.50, 1e-9);
  EXPECT_NEAR(stats.welfare_first_mip, 33.50, 1e-6);
  EXPECT_EQ(stats.blocks_accepted, 1);
  EXPECT_EQ(stats.blocks_rejected, 1);
  EXPECT_EQ(stats.pab_rounds, 0);
  EXPECT_TRUE(stats.proven_optimal);

  const std::vector<AuctionPiece> pieces = auction_pieces(in, *r);
  ASSERT_EQ(pieces.size(), 4u);
  const int64_t devices[] = {10, 5, 10, 5};
  const uint32_t offers[] = {1, 2, 4, 5};
  const Money notionals[] = {money(15.00), money(7.50), money(18.00), money(9.00)};
  const Money fees[] = {money(0.0150), money(0.0075), money(0.0180), money(0.0090)};
  const Money legs[] = {money(1.00), money(0.50), money(1.00), money(0.50)};
  for (size_t i = 0; i < pieces.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(pieces[i].block, 0u);
    EXPECT_EQ(pieces[i].zone, 1u);
    EXPECT_EQ(pieces[i].hour, i < 2 ? 0 : 1);
    EXPECT_EQ(pieces[i].offer, offers[i]);
    EXPECT_EQ(pieces[i].devices, devices[i]);
    EXPECT_EQ(pieces[i].price, i < 2 ? money(1.50) : money(1.80));
    EXPECT_EQ(pieces[i].notional, notionals[i]);
    EXPECT_EQ(pieces[i].buyer_fee, fees[i]);
    EXPECT_EQ(pieces[i].seller_fee, fees[i]);
    ASSERT_EQ(pieces[i].legs.size(), 1u);
    EXPECT_EQ(pieces[i].legs[0].link, 0u);
    EXPECT_EQ(pieces[i].legs[0].carrier, 7u);
    EXPECT_EQ(pieces[i].legs[0].amount, legs[i]);
  }
  const MoneyTotals t = money_totals(pieces);
  EXPECT_EQ(t.buyers, money(52.5495));
  EXPECT_EQ(t.sellers, money(49.50) - money(0.0495));
  EXPECT_EQ(t.carriers, money(3.00));
  EXPECT_EQ(t.fees, 2 * money(0.0495));
  expect_money_balances(pieces);
}

// ---------------------------------------------------------------------------------------------------
// Instance 2: a congested link. One hour; zones A (0) and B (1), 10 SCU per device; link 0 = A->B, tariff
// 0.0100 CNY/GB, capacity 50 GB an hour, carrier 7. Offers: A #0 100 devices @ 3.00 (0.30/SCU-h), B #1
// 100 devices @ 1.00 (0.10). Blocks from A, 100 SCU each, limit 0.50, curtailable (min 10 %):
//   block 0 moves 100 GB an hour (1 GB per SCU),  block 1 moves 200 GB an hour (2 GB per SCU).
// Running in B saves 0.30 - 0.10 - 0.01 = 0.19 per SCU for block 0 (0.19 per GB of link) and 0.18 per
// SCU for block 1 (0.09 per GB): the link's 50 GB go to block 0, 50 SCU in B and 50 in A; block 1 runs
// all in A. Block 0 is split, so it must be indifferent: 0.30 = 0.10 + 1 GB x (0.01 + congestion), so the
// congestion price is 0.19 CNY/GB. Prices: A 0.30 (#0 partly accepted), B 0.10 (#1 partly accepted).
// The carrier gets 50 GB x (0.01 tariff + 0.19 congestion) = 10.00 CNY: 0.50 of tariff and 9.50 of
// congestion rent, which is the price difference A - B (0.20 per GB here) less the tariff, times the flow.
// Welfare = 0.50 x 200 - 15 x 3.00 - 5 x 1.00 - 50 x 0.01 = 49.50 CNY.
TEST(AuctionSolve, CongestedLinkHasACongestionPriceAndTheCarrierItsRent) {
  AuctionInput in;
  in.zones = {zone(0, 10), zone(1, 10)};
  in.links = {AuctionLink{0, 1, 7, 50, money(0.01)}};
  in.offers = {offer(0, 0, 100, 3.00, 1), offer(1, 0, 100, 1.00, 2)};
  in.blocks = {block(0, 1, 100, 1'000, 0.50, 100, {AuctionRoute{0, {}}, AuctionRoute{1, {0}}}, 11),
               block(0, 1, 100, 1'000, 0.50, 200, {AuctionRoute{0, {}}, AuctionRoute{1, {0}}}, 12)};
  with_reserves(in);
  AuctionSolverStats stats;
  auto r = solve_auction(in, options(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(r->zone_price[0 * 24 + 0], scu_price(0.30));
  EXPECT_EQ(r->zone_price[1 * 24 + 0], scu_price(0.10));
  EXPECT_EQ(r->congestion[0 * 24 + 0], scu_price(0.19));
  ASSERT_EQ(r->allocations.size(), 3u);
  EXPECT_EQ(r->allocations[0].block, 0u);
  EXPECT_EQ(r->allocations[0].zone, 0u);
  EXPECT_EQ(r->allocations[0].devices, 5);
  EXPECT_EQ(r->allocations[1].block, 0u);
  EXPECT_EQ(r->allocations[1].zone, 1u);
  EXPECT_EQ(r->allocations[1].devices, 5);
  EXPECT_EQ(r->allocations[2].block, 1u);
  EXPECT_EQ(r->allocations[2].zone, 0u);
  EXPECT_EQ(r->allocations[2].devices, 10);
  EXPECT_NEAR(stats.welfare, 49.50, 1e-9);

  const std::vector<AuctionPiece> pieces = auction_pieces(in, *r);
  Money rent = 0, tariff = 0;
  for (const AuctionPiece& p : pieces)
    for (const AuctionLeg& l : p.legs) {
      EXPECT_EQ(l.carrier, 7u);
      EXPECT_EQ(l.amount, money(10.00));  // one contract of 5 devices moves the 50 GB
      tariff += money(0.01) * 50;
      rent += l.amount - money(0.01) * 50;
    }
  EXPECT_EQ(tariff, money(0.50));
  EXPECT_EQ(rent, money(9.50));
  // Block 0 pays the same landed price in both zones: 5 x 3.00 in A, 5 x 1.00 + 10.00 of transport in B.
  Money block0 = 0;
  for (const AuctionPiece& p : pieces)
    if (p.block == 0) block0 += p.buyer_cost();
  EXPECT_EQ(block0, money(30.00));
  expect_money_balances(pieces);
}

// ---------------------------------------------------------------------------------------------------
// Instance 3: a paradox. One zone (10 SCU per device), hour 0. Offers #0 10 devices @ 1.00 (0.10/SCU-h),
// #1 10 devices @ 2.00 (0.20). Blocks:
//   block 0: 150 SCU, all or none, limit 0.18;   block 1: 50 SCU, curtailable (min 20 % = 10 SCU), limit 0.12.
// Welfare: block 0 alone 0.18 x 150 - (10 + 5 x 2.00) = 27 - 20 = 7; block 1 alone 0.12 x 50 - 5 x 1.00 = 1;
// both 33 - 30 = 3. The MIP accepts block 0 alone (7), but then #1 is the marginal offer and the price is
// 0.20 > 0.18: block 0 would pay 30 for a value of 27, paradoxically accepted. The cut (block 0 rejected)
// leaves block 1: 50 SCU at 0.10 (#0 partly accepted), welfare 1. Block 0 is now paradoxically rejected:
// its limit 0.18 is above the final price 0.10.
AuctionInput paradox_day() {
  AuctionInput in;
  in.zones = {zone(0, 10)};
  in.offers = {offer(0, 0, 10, 1.00, 1), offer(0, 0, 10, 2.00, 2)};
  in.blocks = {block(0, 1, 150, 10'000, 0.18, 0, {AuctionRoute{0, {}}}, 11),
               block(0, 1, 50, 2'000, 0.12, 0, {AuctionRoute{0, {}}}, 12)};
  with_reserves(in);
  return in;
}

TEST(AuctionSolve, ParadoxicallyAcceptedBlockIsCutAndReportedParadoxicallyRejected) {
  const AuctionInput in = paradox_day();
  AuctionSolverStats stats;
  auto r = solve_auction(in, options(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_NEAR(stats.welfare_first_mip, 7.0, 1e-6);
  EXPECT_EQ(stats.pab_rounds, 1);
  EXPECT_EQ(stats.pab_cuts, 1);
  EXPECT_EQ(r->zone_price[0], scu_price(0.10));
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_EQ(r->allocations[0].block, 1u);
  EXPECT_EQ(r->allocations[0].devices, 5);
  ASSERT_EQ(r->acceptances.size(), 1u);
  EXPECT_EQ(r->acceptances[0].offer, 0u);
  EXPECT_EQ(r->acceptances[0].devices, 5);
  EXPECT_EQ(r->paradoxically_rejected, std::vector<uint32_t>{0});
  EXPECT_EQ(stats.blocks_paradoxically_rejected, 1);
  EXPECT_NEAR(stats.welfare, 1.0, 1e-9);
  expect_money_balances(auction_pieces(in, *r));
}

// stop_requested is asked between the solver's steps and at CBC's events inside each MIP; true ends the
// solve with auction_cancelled, from inside CBC too (how cpxd's stop() avoids waiting for a long solve).
TEST(AuctionSolve, AStopRequestEndsTheSolveWithAuctionCancelled) {
  const AuctionInput in = paradox_day();
  // Never stopping: the solve ends as without the hook, and CBC asked more often than the solver's own
  // checks (one before and one after the first MIP, one per pricing round, one after each PAB round).
  AuctionSolverOptions o = options();
  int calls = 0;
  o.stop_requested = [&] {
    ++calls;
    return false;
  };
  AuctionSolverStats st;
  auto full = solve_auction(in, o, &st);
  ASSERT_TRUE(full.ok()) << full.error().text;
  ASSERT_GT(st.binaries, 0);
  const int own_checks = 2 + st.repricings + st.pab_rounds;
  EXPECT_GT(calls, own_checks) << "CBC's events asked too";
  auto plain = solve_auction(in, options(), nullptr);
  ASSERT_TRUE(plain.ok());
  expect_same(*full, *plain);  // asking changes nothing
  // Stopping at once: nothing is solved.
  o.stop_requested = [] { return true; };
  auto r = solve_auction(in, o, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "auction_cancelled");
  // Stopping at the first question CBC asks inside the first MIP.
  calls = 0;
  o.stop_requested = [&] { return ++calls > 1; };
  r = solve_auction(in, o, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "auction_cancelled");
}

// Instance 3 twice, in two zones that share nothing: two independent paradoxes. They form two groups, so
// one round cuts both (a cut per group) and the second MIP resolves both; a single cut over both blocks
// ("not both") would have let the second MIP keep one of them and needed another round.
TEST(AuctionSolve, IndependentParadoxesAreCutTogetherInOneRound) {
  AuctionInput in;
  in.zones = {zone(0, 10), zone(1, 10)};
  for (uint32_t z = 0; z < 2; ++z) {
    in.offers.push_back(offer(z, 0, 10, 1.00, 1 + 2 * z));
    in.offers.push_back(offer(z, 0, 10, 2.00, 2 + 2 * z));
    in.blocks.push_back(block(0, 1, 150, 10'000, 0.18, 0, {AuctionRoute{z, {}}}, 11 + 2 * z));
    in.blocks.push_back(block(0, 1, 50, 2'000, 0.12, 0, {AuctionRoute{z, {}}}, 12 + 2 * z));
  }
  with_reserves(in);
  AuctionSolverStats stats;
  auto r = solve_auction(in, options(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_NEAR(stats.welfare_first_mip, 14.0, 1e-6);
  EXPECT_EQ(stats.pab_rounds, 1);
  EXPECT_EQ(stats.pab_cuts, 2);
  ASSERT_EQ(r->allocations.size(), 2u);
  EXPECT_EQ(r->allocations[0].block, 1u);
  EXPECT_EQ(r->allocations[1].block, 3u);
  EXPECT_EQ(r->paradoxically_rejected, (std::vector<uint32_t>{0, 2}));
  EXPECT_NEAR(stats.welfare, 2.0, 1e-9);
}

// The LP knows nothing of reserves; whole devices must fit in one. Block 0 of instance 1 with a reserve of
// 10 CNY: its minimum (75 SCU = 8 devices, about 28 CNY over two hours) cannot fit, so it is rejected and
// the market re-priced (an LP: the other decisions stay). Nothing trades: every zone-hour is priced at its
// cheapest offer. Block 0, whose landed price would now be 0.10 + 0.12 + 2 x 0.01 = 0.24 over two hours
// against a limit of 0.50, is paradoxically rejected; so is block 1, rejected by the MIP when B's hour 1
// cost 0.18 and now facing 0.12 against its limit of 0.16.
TEST(AuctionSolve, BlockThatCannotBeMadeWholeWithinItsReserveIsRejectedAndRepriced) {
  AuctionInput in = two_regions_two_hours();
  in.blocks[0].reserve = money(10.00);
  AuctionSolverStats stats;
  auto r = solve_auction(in, options(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(stats.rejected_whole_devices, std::vector<uint32_t>{0});
  EXPECT_TRUE(r->allocations.empty());
  EXPECT_TRUE(r->acceptances.empty());
  EXPECT_EQ(r->zone_price[1 * 24 + 0], scu_price(0.10));
  EXPECT_EQ(r->zone_price[1 * 24 + 1], scu_price(0.12));
  EXPECT_EQ(r->paradoxically_rejected, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(stats.repricings, 2);
}

// With the cut disabled (no PAB rounds) the paradoxical block is rejected outright and the market
// re-priced: the same final answer, reached without a second MIP.
TEST(AuctionSolve, PabLeftAfterTheLastRoundIsRejectedOutright) {
  const AuctionInput in = paradox_day();
  AuctionSolverOptions o = options();
  o.max_pab_rounds = 0;
  AuctionSolverStats stats;
  auto r = solve_auction(in, o, &stats);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(stats.pab_rounds, 0);
  EXPECT_EQ(stats.pab_rejected_outright, 1);
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_EQ(r->allocations[0].block, 1u);
  EXPECT_EQ(r->zone_price[0], scu_price(0.10));
}

// An all-or-none block whose quantity is not a whole number of a zone's devices cannot run there; here
// the zone's devices are 4 SCU and the block wants 10 SCU all or none: no allocation, the block rejected,
// even though the offers are cheap (and it is not reported paradoxically rejected: no zone could serve it).
TEST(AuctionSolve, AllOrNoneBlockNeedsAWholeNumberOfDevices) {
  AuctionInput in;
  in.zones = {zone(0, 4)};
  in.offers = {offer(0, 0, 10, 0.01, 1)};
  in.blocks = {block(0, 1, 10, 10'000, 1.00, 0, {AuctionRoute{0, {}}}, 11),
               block(0, 1, 12, 10'000, 1.00, 0, {AuctionRoute{0, {}}}, 12)};
  with_reserves(in);
  auto r = solve_auction(in, options(), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_EQ(r->allocations[0].block, 1u);
  EXPECT_EQ(r->allocations[0].devices, 3);
  EXPECT_TRUE(r->paradoxically_rejected.empty());
}

// A block's column is bounded by the whole devices that fit in its quantity: 25 SCU of 10-SCU devices is
// at most 2 devices (3 would be 30 > 25), even though the limit would pay for all 25 SCU.
TEST(AuctionSolve, WholeDevicesNeverExceedTheQuantity) {
  AuctionInput in;
  in.zones = {zone(0, 10)};
  in.offers = {offer(0, 0, 10, 1.00, 1)};
  in.blocks = {block(0, 1, 25, 1, 0.50, 0, {AuctionRoute{0, {}}}, 11)};
  with_reserves(in);
  auto r = solve_auction(in, options(), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->allocations.size(), 1u);
  EXPECT_EQ(r->allocations[0].devices, 2);
  // Nothing else is bought: the zone's price is its cheapest (and only) offer, 0.10 per SCU-hour.
  EXPECT_EQ(r->zone_price[0], scu_price(0.10));
}

TEST(AuctionSolve, SameInputSameResult) {
  const AuctionInput in = two_regions_two_hours();
  auto a = solve_auction(in, options(), nullptr);
  auto b = solve_auction(in, options(), nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  expect_same(*a, *b);
}

// The journaled summary: welfare to four decimals half away from zero, times in ms, the gap in ppb.
TEST(AuctionSolve, ClearingSummaryRoundsOnceAndCanLeaveTimesOut) {
  AuctionSolverStats s;
  s.welfare = -3.14159;
  s.seconds_total = 2.0;
  s.seconds_first_mip = 0.25;
  s.proven_optimal = true;
  s.mip_nodes = 17;
  s.pab_rounds = 3;
  s.gap = 1.5e-5;
  const AuctionClearingSummary with = clearing_summary(s);
  EXPECT_EQ(with.welfare, -31416);
  EXPECT_EQ(with.solve_ms, 2000);
  EXPECT_EQ(with.first_mip_ms, 250);
  EXPECT_TRUE(with.proven_optimal);
  EXPECT_EQ(with.mip_nodes, 17);
  EXPECT_EQ(with.pab_rounds, 3);
  EXPECT_EQ(with.gap_ppb, 15'000);
  const AuctionClearingSummary without = clearing_summary(s, false);
  EXPECT_EQ(without.solve_ms, 0);
  EXPECT_EQ(without.first_mip_ms, 0);
  EXPECT_EQ(without.welfare, -31416);
  EXPECT_FALSE(without.time_limited);
  s.welfare = 1e30;  // a what-if day beyond int64 in ten-thousandths: saturated, not undefined
  s.time_limited = true;
  EXPECT_EQ(clearing_summary(s).welfare, INT64_MAX);
  s.welfare = -1e30;
  EXPECT_EQ(clearing_summary(s).welfare, INT64_MIN + 1);
  EXPECT_TRUE(clearing_summary(s).time_limited);
  // From a real solve: the summary's welfare is the solver's, rounded.
  AuctionSolverStats st;
  auto r = solve_auction(two_regions_two_hours(), options(), &st);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(clearing_summary(st).welfare, static_cast<Money>(std::llround(st.welfare * kScale)));
  EXPECT_TRUE(clearing_summary(st).proven_optimal);
}

TEST(AuctionSolve, RefusesABadInput) {
  AuctionInput in = two_regions_two_hours();
  in.blocks[0].hours = 24;  // first hour 0 + 24 is fine; make it run past midnight
  in.blocks[0].first_hour = 1;
  auto r = solve_auction(in, options(), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "auction_input_invalid");
  EXPECT_NE(r.error().text.find("block 0 (order 11)"), std::string::npos) << r.error().text;
}

// ---------------------------------------------------------------------------------------------------
// auction_pieces: pairing order and each rounding.
// One zone (10 SCU per device), hour 3, zone price 0.01234500 per SCU-hour: 0.12345 per device-hour,
// rounded half away from zero to 0.1235. Fee 10 bps. Link 0 (carrier 9): tariff 0.0100 CNY/GB,
// congestion 0.00005000 in hour 3, so 0.01005 CNY per GB.
// Offers: #0 3 devices @ 0.12, #1 2 @ 0.10, #2 4 @ 0.10 -> paired in the order #1, #2, #0 (price, index).
// Blocks (both via link 0): block 0 4 devices (40 SCU), 4 GB/h (0.1 GB per SCU);
//                           block 1 5 devices (50 SCU), 15 GB/h (0.3 GB per SCU).
//   block 0 + #1: 2 devices, notional 2 x 0.1235 = 0.2470, fee 0.000247 -> 0.0002, leg 2 GB -> 0.0201
//   block 0 + #2: 2 devices, the same
//   block 1 + #2: 2 devices, notional 0.2470, fee 0.0002, leg 6 GB x 0.01005 = 0.0603
//   block 1 + #0: 3 devices, notional 0.3705, fee 0.0003705 -> 0.0004, leg 9 GB x 0.01005 = 0.09045 -> 0.0905
TEST(AuctionPieces, PairingOrderAndRounding) {
  AuctionInput in;
  in.fee_bps = 10;
  in.zones = {zone(0, 10)};
  in.links = {AuctionLink{1, 0, 9, 1'000, money(0.01)}};
  in.offers = {offer(0, 3, 3, 0.12, 1), offer(0, 3, 2, 0.10, 2), offer(0, 3, 4, 0.10, 3)};
  in.blocks = {block(3, 1, 40, 10'000, 0.02, 4, {AuctionRoute{0, {0}}}, 11),
               block(3, 1, 50, 10'000, 0.02, 15, {AuctionRoute{0, {0}}}, 12)};
  with_reserves(in);
  AuctionResult r;
  r.zone_price.assign(24, 0);
  r.zone_price[3] = 1'234'500;
  r.congestion.assign(24, 0);
  r.congestion[3] = 5'000;
  r.allocations = {AuctionAllocation{0, 0, 4}, AuctionAllocation{1, 0, 5}};
  r.acceptances = {AuctionAcceptance{0, 3}, AuctionAcceptance{1, 2}, AuctionAcceptance{2, 4}};
  ASSERT_TRUE(check_auction_result(in, r).ok()) << check_auction_result(in, r).error().text;
  const std::vector<AuctionPiece> p = auction_pieces(in, r);
  ASSERT_EQ(p.size(), 4u);
  const uint32_t blocks[] = {0, 0, 1, 1}, offers[] = {1, 2, 2, 0};
  const int64_t devices[] = {2, 2, 2, 3};
  const Money notional[] = {2470, 2470, 2470, 3705}, fee[] = {2, 2, 2, 4}, leg[] = {201, 201, 603, 905};
  for (size_t i = 0; i < p.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(p[i].block, blocks[i]);
    EXPECT_EQ(p[i].offer, offers[i]);
    EXPECT_EQ(p[i].hour, 3);
    EXPECT_EQ(p[i].devices, devices[i]);
    EXPECT_EQ(p[i].price, 1235);
    EXPECT_EQ(p[i].notional, notional[i]);
    EXPECT_EQ(p[i].buyer_fee, fee[i]);
    EXPECT_EQ(p[i].seller_fee, fee[i]);
    ASSERT_EQ(p[i].legs.size(), 1u);
    EXPECT_EQ(p[i].legs[0].carrier, 9u);
    EXPECT_EQ(p[i].legs[0].amount, leg[i]);
  }
  expect_money_balances(p);
}

TEST(AuctionRules, RoundingHelpers) {
  EXPECT_EQ(static_cast<int64_t>(am::div_round(25, 10)), 3);    // half away from zero
  EXPECT_EQ(static_cast<int64_t>(am::div_round(-25, 10)), -3);
  EXPECT_EQ(static_cast<int64_t>(am::div_round(24, 10)), 2);
  EXPECT_EQ(static_cast<int64_t>(am::fee(1'500, 10)), 2);       // 1.5 units: half up
  EXPECT_EQ(static_cast<int64_t>(am::fee(1'499, 10)), 1);
  EXPECT_EQ(static_cast<int64_t>(am::device_price(1'234'500, 10)), 1'235);
  EXPECT_EQ(static_cast<int64_t>(am::device_price(1'234'499, 10)), 1'234);
  AuctionBlockIn b;
  b.scu_per_hour = 3;
  b.data_gb_per_hour = 1;
  EXPECT_EQ(static_cast<int64_t>(am::flow_micro_gb(b, 1, 1)), 333'334);  // 1/3 GB rounded up
}

// ---------------------------------------------------------------------------------------------------
// auction_block_reserve, for block 0 of instance 1: 150 SCU x 2 h, limit 0.25, smallest device 10 SCU,
// fee 10 bps. Payment bound = (0.25 + 1e-8) x 300 + (1 + 3 legs) x 300 SCU-h / 10 SCU / 2 units
//   = 75.000003 CNY + 60 units = 75.006003; with the fee x 1.001 = 75.081009009; + fee rounding 300/20 =
//   15 units -> 75.082509009 CNY, rounded up to 75.0826 (750,826 units).
TEST(AuctionReserve, HandComputed) {
  EXPECT_EQ(auction_block_reserve(150, 2, scu_price(0.25), 10, 10), 750'826);
  EXPECT_EQ(auction_block_reserve(150, 2, scu_price(0.25), 10, 0), 750'076);  // 75.006003 + 0.0015 -> up
  EXPECT_EQ(auction_block_reserve(0, 2, scu_price(0.25), 10, 10), 0);
  EXPECT_EQ(auction_block_reserve(1'000'000'000'000'000, 24, INT64_MAX, 1, 10), INT64_MAX);
}

// ---------------------------------------------------------------------------------------------------
// check_auction_result: the hand result of instance 1 passes; each mutation is refused with a sentence
// naming what is wrong.
TEST(AuctionRules, HandResultPasses) {
  const AuctionInput in = two_regions_two_hours();
  auto ok = check_auction_result(in, two_regions_two_hours_result(in));
  EXPECT_TRUE(ok.ok()) << ok.error().text;
}

struct Mutation {
  const char* name;
  std::function<void(AuctionInput&, AuctionResult&)> change;
  const char* expect;  // a piece of the error sentence
};

TEST(AuctionRules, RefusesEachKindOfViolation) {
  const std::vector<Mutation> cases = {
      {"zone prices missing", [](AuctionInput&, AuctionResult& r) { r.zone_price.pop_back(); }, "zone_price has 47 entries"},
      {"congestion missing", [](AuctionInput&, AuctionResult& r) { r.congestion.clear(); }, "congestion has 0 entries"},
      {"negative price", [](AuctionInput&, AuctionResult& r) { r.zone_price[5] = -1; }, "zone 0 hour 5 is negative"},
      {"negative congestion", [](AuctionInput&, AuctionResult& r) { r.congestion[2] = -1; }, "link 0 hour 2 is negative"},
      {"not a route",
       [](AuctionInput&, AuctionResult& r) { r.allocations.push_back(AuctionAllocation{1, 0, 3}); },
       "block 1 (order 12) is allocated in zone 0, which is not one of its routes"},
      {"allocation order",
       [](AuctionInput&, AuctionResult& r) { r.allocations.insert(r.allocations.begin(), AuctionAllocation{1, 1, 3}); },
       "not in ascending (block, zone) order"},
      {"zero devices", [](AuctionInput&, AuctionResult& r) { r.allocations[0].devices = 0; }, "allocation of 0 devices in zone 1"},
      {"over quantity",
       [](AuctionInput&, AuctionResult& r) {
         r.allocations[0].devices = 16;
         r.acceptances[1].devices = 6;
         r.acceptances[3].devices = 6;
       },
       "block 0 (order 11) gets 160 SCU an hour, more than its 150"},
      {"below min ratio",
       [](AuctionInput&, AuctionResult& r) {
         r.allocations[0].devices = 7;
         r.acceptances = {AuctionAcceptance{1, 7}, AuctionAcceptance{4, 7}};
       },
       "gets 70 SCU an hour, below its min ratio of 5000 bps of 150"},
      {"offer over its devices",
       [](AuctionInput&, AuctionResult& r) { r.acceptances[1].devices = 11; }, "offer 2 (order 3) is accepted for 11 of its 10 devices"},
      {"offer above the zone price",
       [](AuctionInput&, AuctionResult& r) { r.zone_price[1 * 24 + 0] = scu_price(0.15) - 1; },
       "offer 2 (order 3) is accepted at 1.5000 per device-hour above the price of zone 1 hour 0"},
      {"acceptance order",
       [](AuctionInput&, AuctionResult& r) { std::swap(r.acceptances[0], r.acceptances[1]); }, "not in ascending offer order"},
      {"imbalance", [](AuctionInput&, AuctionResult& r) { r.acceptances[1].devices = 4; }, "zone 1 hour 0 is short of 1 devices"},
      {"surplus",
       [](AuctionInput&, AuctionResult& r) { r.acceptances.insert(r.acceptances.begin(), AuctionAcceptance{0, 1}); },
       "zone 0 hour 0 has a surplus of 1 devices"},
      {"link over capacity",
       [](AuctionInput& in, AuctionResult&) { in.links[0].capacity_gb_per_hour = 149; },
       "link 0 hour 0 carries 150000000 micro-GB, over its capacity of 149000000"},
      {"paradoxically accepted",
       [](AuctionInput& in, AuctionResult&) { in.blocks[0].limit_per_scu_hour = scu_price(0.17); },
       "block 0 (order 11) is paradoxically accepted: it pays 52.5000 for 300 SCU-hours"},
      {"over the reserve", [](AuctionInput& in, AuctionResult&) { in.blocks[0].reserve = money(52.5495) - 1; },
       "block 0 (order 11) costs 52.5495 (compute, fees and transport), more than its reserve of 52.5494"},
      {"paradoxically rejected but allocated",
       [](AuctionInput&, AuctionResult& r) { r.paradoxically_rejected = {0}; }, "reported paradoxically rejected but is allocated"},
      {"paradoxically rejected order",
       [](AuctionInput&, AuctionResult& r) { r.paradoxically_rejected = {1, 1}; }, "not in ascending order"},
      {"bad input", [](AuctionInput& in, AuctionResult&) { in.blocks[1].min_ratio_bps = 0; }, "min ratio outside 1..10000"},
  };
  for (const Mutation& m : cases) {
    SCOPED_TRACE(m.name);
    AuctionInput in = two_regions_two_hours();
    AuctionResult r = two_regions_two_hours_result(in);
    m.change(in, r);
    auto res = check_auction_result(in, r);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().code, std::string(m.name) == "bad input" ? "auction_input_invalid" : "auction_result_invalid");
    EXPECT_NE(res.error().text.find(m.expect), std::string::npos) << res.error().text;
  }
}

// The reserve is exactly the whole cost: one unit less is refused (above), the cost itself passes.
TEST(AuctionRules, ReserveEqualToTheCostPasses) {
  AuctionInput in = two_regions_two_hours();
  in.blocks[0].reserve = money(52.5495);
  EXPECT_TRUE(check_auction_result(in, two_regions_two_hours_result(in)).ok());
}

// Three blocks each move exactly a third of a GB over a 1-GB link: exactly full in real numbers, but
// each flow is counted in micro-GB rounded up (333,334), so the link is over by 2 micro-GB.
TEST(AuctionRules, LinkFlowsAreRoundedUpPerAllocation) {
  AuctionInput in;
  in.zones = {zone(1, 1)};
  in.links = {AuctionLink{0, 1, 7, 1, 0}};
  in.offers = {offer(0, 0, 3, 0.01, 1)};
  for (uint64_t i = 0; i < 3; ++i) in.blocks.push_back(block(0, 1, 3, 1, 1.00, 1, {AuctionRoute{0, {0}}}, 11 + i));
  with_reserves(in);
  AuctionResult r;
  r.zone_price.assign(24, 0);
  r.zone_price[0] = scu_price(0.01);
  r.congestion.assign(24, 0);
  r.allocations = {AuctionAllocation{0, 0, 1}, AuctionAllocation{1, 0, 1}, AuctionAllocation{2, 0, 1}};
  r.acceptances = {AuctionAcceptance{0, 3}};
  auto res = check_auction_result(in, r);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().text.find("carries 1000002 micro-GB, over its capacity of 1000000"), std::string::npos) << res.error().text;
  r.allocations.pop_back();
  r.acceptances[0].devices = 2;
  EXPECT_TRUE(check_auction_result(in, r).ok());
}

// The allowance is exact. One device of 10 SCU for one hour, no transport, limit 0.00999999 per
// SCU-hour: the rule allows (limit + 1e-8) x 10 SCU-hours = 0.1000 CNY plus half a unit for the device
// price's rounding: a payment of 0.1000 passes, 0.1001 does not. Zone price 0.01000499 gives a device
// price of 0.1000499 -> 0.1000 (passes); 0.01000500 gives 0.10005 -> 0.1001 (refused).
TEST(AuctionRules, PabAllowanceIsExactlyTheRounding) {
  AuctionInput in;
  in.zones = {zone(0, 10)};
  in.offers = {offer(0, 0, 1, 0.10, 1)};
  in.blocks = {block(0, 1, 10, 10'000, 0.00999999, 0, {AuctionRoute{0, {}}}, 11)};
  in.blocks[0].reserve = money(1.0);
  AuctionResult r;
  r.zone_price.assign(24, 0);
  r.allocations = {AuctionAllocation{0, 0, 1}};
  r.acceptances = {AuctionAcceptance{0, 1}};
  r.zone_price[0] = 1'000'499;
  EXPECT_TRUE(check_auction_result(in, r).ok());
  r.zone_price[0] = 1'000'500;
  auto res = check_auction_result(in, r);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().text.find("paradoxically accepted"), std::string::npos) << res.error().text;
}

}  // namespace
}  // namespace cpx::test
