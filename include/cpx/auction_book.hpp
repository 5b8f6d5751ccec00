#pragma once
// The day-ahead auction as the engine keeps it (docs/PRODUCT.md §3.3): one AuctionDay per delivery day, opened
// by an operator (or the server's schedule) with a gate closure time; suppliers' hourly offers and
// buyers' block bids collect until the gate; at the gate the engine freezes the solver's input (zones,
// network, orders, eligible routes) so that the result an operator submits afterwards (ClearAuction) is
// checked against exactly what was solved. The result becomes contracts through the same ledger as the
// continuous market.
#include <cstdint>
#include <map>
#include <vector>

#include "cpx/auction.hpp"
#include "cpx/domain.hpp"
#include "cpx/routing.hpp"

namespace cpx {

enum class AuctionState : uint8_t { Open, Closed, Cleared, Cancelled };
enum class AuctionOrderStatus : uint8_t { Open, Cancelled, Accepted, Rejected };
std::string_view to_string(AuctionState s);
std::string_view to_string(AuctionOrderStatus s);

// A supplier's offer: devices of one region x class for one hour of the day.
struct AuctionOfferRecord {
  uint64_t id = 0;
  ParticipantId supplier = kNoParticipant;
  ClOrdId cl_ord_id;
  RegionId region = 0;
  ChipClassId chip_class = 0;
  int32_t hour = 0;
  Quantity devices = 0;
  Price price = 0;  // CNY per device-hour
  AuctionOrderStatus status = AuctionOrderStatus::Open;
  Quantity accepted = 0;  // devices, once cleared
};

// A buyer's block: SCU per hour over consecutive hours, anywhere its constraints allow.
// constraints.scu = SCU per hour, constraints.data_gb = GB per hour at full acceptance, the window is the
// block's hours, constraints.limit_per_scu_hour the landed limit.
struct AuctionBidRecord {
  uint64_t id = 0;
  ParticipantId buyer = kNoParticipant;
  ClOrdId cl_ord_id;
  int32_t first_hour = 0;
  int32_t hours = 0;
  int64_t min_ratio_bps = 10'000;
  RouteQuery constraints;
  Money reserve = 0;  // credit held until clearing
  AuctionOrderStatus status = AuctionOrderStatus::Open;
  int64_t accepted_scu = 0;  // SCU per hour, once cleared
  bool paradoxically_rejected = false;
};

struct AuctionDay {
  Timestamp day_start = 0;  // 00:00 CST of the delivery day
  Timestamp gate_closure = 0;
  AuctionState state = AuctionState::Open;
  std::vector<AuctionOfferRecord> offers;  // in arrival order
  std::vector<AuctionBidRecord> bids;
  // Frozen at the gate: the solver's input, and which record each input order is.
  AuctionInput input;
  std::vector<uint32_t> input_offers;  // input.offers[i] is offers[input_offers[i]]
  std::vector<uint32_t> input_bids;    // input.blocks[j] is bids[input_bids[j]]
  AuctionResult result;                // once cleared
  AuctionClearingSummary summary;      // once cleared: what the solver reported
  std::map<ParticipantId, int64_t> orders_of;  // open orders per participant (derived: not in snapshots)
};

}  // namespace cpx
