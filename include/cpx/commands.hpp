#pragma once
// Commands are the only way into the engine. Each carries its time (stamped by the sequencer); the engine
// never reads a clock. Order commands carry ids (resolved by the gateway from symbols and participant
// codes); admin commands carry codes because they create or refer to reference data.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cpx/auction.hpp"
#include "cpx/domain.hpp"
#include "cpx/instrument.hpp"
#include "cpx/routing.hpp"

namespace cpx {

struct NewOrder {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  InstrumentId instrument = kNoInstrument;
  ClOrdId cl_ord_id;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GTC;
  SelfTradePrevention stp = SelfTradePrevention::CancelNewest;
  bool post_only = false;
  Price price = 0;         // ignored for market orders
  Quantity qty = 0;        // devices
  Timestamp expire_at = 0; // GTD only
};

struct CancelOrder {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  OrderId order_id = 0;
  ClOrdId cl_ord_id;  // the cancel request's own id, echoed in a reject
};

// Replace: `qty` is the new total order quantity (filled included), as FIX's OrderQty on a replace.
// A price of 0 keeps the price; a qty of 0 keeps the quantity.
struct ReplaceOrder {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  OrderId order_id = 0;
  ClOrdId cl_ord_id;  // new client id of the order (empty keeps the old one)
  Price price = 0;
  Quantity qty = 0;
};

// Cancels every open order of `target` (or of everyone) in `instrument` (or in every instrument).
// A participant without the operator role can only target itself.
struct MassCancel {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;  // who asks
  ParticipantId target = kNoParticipant;       // kNoParticipant: all participants (operators only)
  InstrumentId instrument = kNoInstrument;     // kNoInstrument: all instruments
};

struct AddRegion {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  Region region;
};

struct AddChipClass {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  ChipClass chip_class;
};

struct AddParticipant {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  Participant participant;
};

struct ListInstrument {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  std::string symbol;
  InstrumentRules rules;
  Timestamp open_at = 0;  // 0 or past: open at once
};

enum class StateAction : uint8_t { Halt, Resume };

struct SetInstrumentState {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  InstrumentId instrument = kNoInstrument;
  StateAction action = StateAction::Halt;
};

// Registers (devices > 0) or deregisters (devices < 0) a supplier's devices of one class in one region
// for the window [from, to).
struct RegisterCapacity {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  ParticipantId supplier = kNoParticipant;
  std::string region;
  std::string chip_class;
  Timestamp from = 0;
  Timestamp to = 0;
  Quantity devices = 0;
};

// Sets a buyer's credit: the cash (or credit line) its open and unsettled buys may use.
struct SetCredit {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  ParticipantId participant = kNoParticipant;
  Money limit = 0;
};

struct SetReferencePrice {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  InstrumentId instrument = kNoInstrument;
  Price price = 0;
};

// Exchange fees in basis points of notional: maker (resting order) and taker (incoming order), charged to
// both buyer and seller. 0 to 1000 (10 %).
struct SetFees {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  int64_t maker_bps = 0;
  int64_t taker_bps = 0;
};

// Cash from outside into a participant's account, and back out (operators).
struct Deposit {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  ParticipantId participant = kNoParticipant;
  Money amount = 0;
};

struct Withdraw {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  ParticipantId participant = kNoParticipant;
  Money amount = 0;
};

// A revenue-sharing agreement (operators): the compute revenue of everything `supplier` sells is split
// among the parties in basis points (summing to 10000), e.g. a cloud vendor's servers in a state-owned
// operator's data centre, 8000 / 2000. Replaces any earlier agreement of that supplier.
struct SetRevenueShare {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  ParticipantId supplier = kNoParticipant;
  std::vector<std::pair<ParticipantId, int64_t>> shares;
};

// The seller reports what it delivered on a contract (device-hours), after the delivery window.
struct DeliveryReport {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  TradeId trade_id = 0;
  int64_t delivered_device_hours = 0;
};

// The buyer disputes a delivery report within the dispute window.
struct Dispute {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  TradeId trade_id = 0;
};

// An operator settles a disputed contract with the device-hours it finds delivered.
struct ResolveDispute {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  TradeId trade_id = 0;
  int64_t delivered_device_hours = 0;
};

// Adds a one-way link between two regions (operator). Regions by code; the carrier must have the
// carrier role. A second link for the same pair is refused (duplicate_code).
struct AddLink {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  std::string from;
  std::string to;
  int64_t latency_ms = 0;
  int64_t capacity_gbps = 0;
  int64_t tariff_per_gb = 0;  // CNY per GB, four decimals
  ParticipantId carrier = kNoParticipant;
};

// A routed buy (docs/PRODUCT.md §3.2): `query.scu` SCU for the query's delivery window, in any book the
// constraints allow, cheapest landed price (compute + transfer per SCU-hour) first, as IOC child orders in
// each book; never above `query.limit_per_scu_hour` (landed, 8 decimals; required). The parent is IOC
// (what is not found ends) or FOK (everything or nothing). Data moves in proportion to the SCU bought:
// each fill carries its transport fee, paid to the carriers of its path.
struct RoutedOrder {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  ClOrdId cl_ord_id;
  TimeInForce tif = TimeInForce::IOC;  // IOC or FOK
  RouteQuery query;
};

// The day-ahead auction (docs/PRODUCT.md §3.3; include/cpx/auction_book.hpp). An operator opens a delivery day
// (00:00 CST) for orders until `gate_closure`.
struct OpenAuction {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  Timestamp day_start = 0;
  Timestamp gate_closure = 0;
};

// A supplier offers `devices` of a region x class for one hour of the day, at a price per device-hour.
// The devices are committed against its registered capacity until the auction clears.
struct AuctionOffer {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  ClOrdId cl_ord_id;
  Timestamp day_start = 0;
  RegionId region = 0;
  ChipClassId chip_class = 0;
  int32_t hour = 0;
  Quantity devices = 0;
  Price price = 0;
};

// A buyer's block order: constraints.scu SCU per hour over hours [first_hour, first_hour + hours), at
// least min_ratio_bps of it or nothing, landed at most constraints.limit_per_scu_hour, data
// constraints.data_gb GB per hour at full acceptance (the window fields are set from the hours).
struct AuctionBid {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  ClOrdId cl_ord_id;
  Timestamp day_start = 0;
  int32_t first_hour = 0;
  int32_t hours = 0;
  int64_t min_ratio_bps = 10'000;
  RouteQuery constraints;
};

// Withdraws an offer or bid before the gate (its owner).
struct CancelAuctionOrder {
  Timestamp ts = 0;
  ParticipantId participant = kNoParticipant;
  Timestamp day_start = 0;
  uint64_t order_id = 0;
};

// The solved result of a closed auction (operator; the server submits it when its solver finishes), or
// `cancel`: nothing trades and every order is released. The engine checks the result against the input
// it froze at the gate before anything moves.
struct ClearAuction {
  Timestamp ts = 0;
  ParticipantId actor = kExchangeParticipant;
  Timestamp day_start = 0;
  bool cancel = false;
  AuctionResult result;
  AuctionClearingSummary summary{};  // what the solver reported (audit, publication)
};

// Moves time forward with no other effect: fires gate closures and expiries that are due.
struct AdvanceTime {
  Timestamp ts = 0;
};

using Command = std::variant<NewOrder, CancelOrder, ReplaceOrder, MassCancel, AddRegion, AddChipClass,
                             AddParticipant, ListInstrument, SetInstrumentState, RegisterCapacity, SetCredit,
                             SetReferencePrice, AdvanceTime, SetFees, Deposit, Withdraw, SetRevenueShare,
                             DeliveryReport, Dispute, ResolveDispute, AddLink, RoutedOrder, OpenAuction,
                             AuctionOffer, AuctionBid, CancelAuctionOrder, ClearAuction>;

enum class CommandKind : uint8_t {
  NewOrder, CancelOrder, ReplaceOrder, MassCancel, AddRegion, AddChipClass, AddParticipant, ListInstrument,
  SetInstrumentState, RegisterCapacity, SetCredit, SetReferencePrice, AdvanceTime, SetFees, Deposit, Withdraw,
  SetRevenueShare, DeliveryReport, Dispute, ResolveDispute, AddLink, RoutedOrder, OpenAuction, AuctionOffer,
  AuctionBid, CancelAuctionOrder, ClearAuction
};
inline CommandKind kind_of(const Command& c) { return static_cast<CommandKind>(c.index()); }
std::string_view to_string(CommandKind k);  // the JSON "cmd" name, e.g. "new_order"
Timestamp command_time(const Command& c);

}  // namespace cpx
