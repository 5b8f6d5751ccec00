#pragma once
// The day-ahead coupled auction (docs/PRODUCT.md §3.3) as plain data: what the solver reads (frozen by the
// engine at gate closure, or read from files by cpx-auction) and what it returns (journaled as the
// ClearAuction command, so a replay never solves again). Everything is an integer; the solver's doubles
// come back through explicit rounding, and check_auction_result() holds the result to the rules in
// integers before any money moves.
//
// Units. A zone is one region x chip class; the day has 24 hourly slots (hour 0 = 00:00 CST).
//   offers:  devices in one zone and hour, price in CNY per device-hour (4 decimals);
//   blocks:  SCU per hour over consecutive hours, limit in CNY per SCU-hour landed (compute + transport,
//            8 decimals), data in GB per hour at full acceptance, eligible zones with the path from the
//            block's origin;
//   result:  whole devices per block and zone (the same every hour of the block), whole devices per
//            offer, zonal prices in CNY per SCU-hour (8 decimals), congestion prices in CNY per GB
//            (8 decimals) per link and hour.
// Data moves in proportion to the SCU a block gets: an allocation of n devices of s SCU in a zone moves
// data_gb_per_hour x n x s / scu_per_hour GB every hour over each link of its path.
#include <cstdint>
#include <string>
#include <vector>

#include "cpx/domain.hpp"
#include "cpx/fixed_point.hpp"
#include "cpx/result.hpp"
#include "cpx/routing.hpp"
#include "cpx/time.hpp"

namespace cpx {

inline constexpr int kAuctionHours = 24;

struct AuctionZone {
  RegionId region = 0;
  ChipClassId chip_class = 0;
  int64_t scu_per_device = 0;
};

struct AuctionLink {
  RegionId from = 0;
  RegionId to = 0;
  ParticipantId carrier = kNoParticipant;
  int64_t capacity_gb_per_hour = 0;  // whole GB an hour: Gbps x 450
  int64_t tariff_per_gb = 0;         // CNY per GB, 4 decimals
};

struct AuctionOfferIn {
  uint64_t id = 0;  // the auction order id
  ParticipantId supplier = kNoParticipant;
  uint32_t zone = 0;
  int32_t hour = 0;  // 0 .. 23
  int64_t devices = 0;
  Price price = 0;  // CNY per device-hour, 4 decimals
};

// A zone a block may run in, and the links its data takes there from the block's origin (empty: the
// zone is in the origin region).
struct AuctionRoute {
  uint32_t zone = 0;
  std::vector<uint32_t> links;  // indexes into AuctionInput::links, in path order
};

struct AuctionBlockIn {
  uint64_t id = 0;  // the auction order id
  ParticipantId buyer = kNoParticipant;
  int32_t first_hour = 0;
  int32_t hours = 1;               // consecutive, first_hour + hours <= 24
  int64_t scu_per_hour = 0;        // quantity at full acceptance
  int64_t min_ratio_bps = 10'000;  // least acceptable fraction of the quantity, 1 .. 10000 (10000: all or none)
  int64_t limit_per_scu_hour = 0;  // landed, CNY per SCU-hour, 8 decimals
  int64_t data_gb_per_hour = 0;    // whole GB an hour at full acceptance
  Money reserve = 0;               // credit the engine holds for the block: its whole cost must fit in it
  std::vector<AuctionRoute> routes;  // eligible zones, ascending zone index
};

// A bid as the solver sees it (the engine at the gate, a day file offline): quantity, limit and data from
// its route constraints; the routes are the caller's (frozen, or computed with auction_routes).
inline AuctionBlockIn auction_block_in(uint64_t id, ParticipantId buyer, int32_t first_hour, int32_t hours,
                                       int64_t min_ratio_bps, const RouteQuery& constraints, Money reserve) {
  AuctionBlockIn b;
  b.id = id;
  b.buyer = buyer;
  b.first_hour = first_hour;
  b.hours = hours;
  b.scu_per_hour = constraints.scu;
  b.min_ratio_bps = min_ratio_bps;
  b.limit_per_scu_hour = constraints.limit_per_scu_hour;
  b.data_gb_per_hour = constraints.data_gb;
  b.reserve = reserve;
  return b;
}

struct AuctionInput {
  Timestamp day_start = 0;  // 00:00 CST of the delivery day
  int64_t fee_bps = 0;      // exchange fee on each side's notional (basis points, rounded half up)
  std::vector<AuctionZone> zones;
  std::vector<AuctionLink> links;
  std::vector<AuctionOfferIn> offers;
  std::vector<AuctionBlockIn> blocks;
};

// n devices per hour in one zone for every hour of the block.
struct AuctionAllocation {
  uint32_t block = 0;  // index into AuctionInput::blocks
  uint32_t zone = 0;
  int64_t devices = 0;
};

struct AuctionAcceptance {
  uint32_t offer = 0;  // index into AuctionInput::offers
  int64_t devices = 0;
};

struct AuctionResult {
  // [zone * 24 + hour]: CNY per SCU-hour, 8 decimals, >= 0. The solver publishes the clearing price
  // rounded half away from zero, raised (by less than one unit) to cover every offer in the money there;
  // a zone-hour where nothing trades at its cheapest offer, one without offers at 0 (docs/AUCTION.md).
  std::vector<int64_t> zone_price;
  // [link * 24 + hour]: CNY per GB, 8 decimals, >= 0; the solver rounds congestion prices down.
  std::vector<int64_t> congestion;
  std::vector<AuctionAllocation> allocations;  // ascending (block, zone), devices > 0
  std::vector<AuctionAcceptance> acceptances;  // ascending offer, devices > 0
  // Blocks rejected although some eligible zone's landed price at the final prices was below their
  // limit (allowed, reported; ascending block index).
  std::vector<uint32_t> paradoxically_rejected;
};

// What the solver reported about a clearing, kept with the result (journaled, in snapshots, published):
// for audit only, the rules never read it. Integers: welfare rounded half away from zero to four
// decimals, times in milliseconds, the gap in parts per billion.
struct AuctionClearingSummary {
  Money welfare = 0;
  int64_t solve_ms = 0;
  int64_t first_mip_ms = 0;
  bool proven_optimal = false;
  int64_t mip_nodes = 0;
  int64_t pab_rounds = 0;
  int64_t gap_ppb = 0;
  bool time_limited = false;  // the time limit cut the search short: another run may differ
};

// One bilateral contract of the auction: `devices` of one offer bought by one block for one hour, at the
// zone's price. Transport legs pay the carriers of the block's path for the data of these devices.
struct AuctionLeg {
  uint32_t link = 0;
  ParticipantId carrier = kNoParticipant;
  Money amount = 0;
};

struct AuctionPiece {
  uint32_t block = 0;
  uint32_t offer = 0;
  uint32_t zone = 0;
  int32_t hour = 0;
  int64_t devices = 0;
  Price price = 0;      // CNY per device-hour: zone price x SCU per device, rounded half away from zero to 4 decimals
  Money notional = 0;   // price x devices (one hour)
  Money buyer_fee = 0;  // notional x fee_bps, rounded half up
  Money seller_fee = 0;
  std::vector<AuctionLeg> legs;  // one per link of the block's path to the zone
  Money transport() const {
    Money t = 0;
    for (const AuctionLeg& l : legs) t += l.amount;
    return t;
  }
  Money buyer_cost() const { return notional + buyer_fee + transport(); }
};

// Holds an input to the bounds that keep the rules' integer arithmetic exact (every product fits in 128
// bits): fee_bps 0..10000; SCU per device 1..kMaxScuPerDevice; offers in a zone, hour 0..23, 1..kMaxDevices
// devices, price 0..kMaxPrice; blocks within the day, quantity 1..10^15 SCU, min ratio 1..10000 bps, limit
// and reserve >= 0, data <= 10^9 GB an hour, routes ascending by zone over at most kMaxPathLinks existing
// links; link capacity <= 10^12 GB an hour and tariff <= 10,000 CNY per GB. Error code
// "auction_input_invalid" with a sentence naming the zone, link, offer or block.
Result<bool> check_auction_input(const AuctionInput& input);

// Holds a result to the rules, in integers (after check_auction_input): indexes and ordering; allocations
// only on a block's routes; each block all-or-nothing down to its min ratio (0, or min_ratio x quantity <=
// SCU allocated <= quantity); offers accepted within their devices and only when their price <= the zone
// price (price x 10^4 <= zone price x SCU per device: no paradoxically accepted offer); every zone and hour
// balanced in devices; every link and hour within capacity (each allocation's flow counted in micro-GB
// rounded up: ceil(data x devices x SCU per device x 10^6 / quantity) summed <= capacity x 10^6); no
// paradoxically accepted block (its payment, notional + legs of its pieces, at most its limit x SCU-hours
// up to the rounding allowance documented in auction_rules.cpp: 2 x 10^4 x payment <= 2 x (limit + 1) x
// SCU-hours + 10^4 x (device-hours + legs)); every block's whole cost (payment + buyer fees) within its
// reserve; zone and congestion prices >= 0; paradoxically_rejected ascending and unallocated. The first
// violation is returned as an error "auction_result_invalid" with a sentence.
Result<bool> check_auction_result(const AuctionInput& input, const AuctionResult& result);

// The contracts a (checked) result makes, in a fixed order: for each zone and hour, blocks in index order
// are paired with accepted offers in order of price then index.
std::vector<AuctionPiece> auction_pieces(const AuctionInput& input, const AuctionResult& result);

// The credit a block holds from submission to clearing: its limit x quantity x hours, the fee at
// `fee_bps`, and the rounding allowance, for a block whose smallest eligible device has
// `min_scu_per_device` SCU and whose data crosses at most kMaxPathLinks links (routing.hpp); rounded up.
// Any result that passes check_auction_result costs such a block at most this (auction_rules.cpp derives
// it). INT64_MAX when it would not fit in an int64.
Money auction_block_reserve(int64_t scu_per_hour, int32_t hours, int64_t limit_per_scu_hour,
                            int64_t min_scu_per_device, int64_t fee_bps);

// The zones a block may run in: the route filters of §3.2 (classes, regions, residency, green share, the
// cheapest path within the latency limit) over `zones`, leaving out zones whose device is larger than
// the block's quantity. Route links are indexes into `network` (and so into auction_links(network)).
std::vector<AuctionRoute> auction_routes(const std::vector<Region>& regions, const std::vector<ChipClass>& classes,
                                         const std::vector<NetworkLink>& network,
                                         const std::vector<AuctionZone>& zones, const RouteQuery& constraints,
                                         int64_t scu_per_hour);
// Every network link as the auction sees it (capacity = Gbps x 450 GB an hour), in the network's order.
std::vector<AuctionLink> auction_links(const std::vector<NetworkLink>& network);

}  // namespace cpx
