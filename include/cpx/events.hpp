#pragma once
// Events are the only way state leaves the engine. They are delivered synchronously through one listener;
// string views inside an event are valid only during the callback.
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "cpx/auction_book.hpp"
#include "cpx/commands.hpp"
#include "cpx/domain.hpp"
#include "cpx/instrument.hpp"
#include "cpx/reasons.hpp"

namespace cpx {

struct OrderAccepted {
  Timestamp ts;
  OrderId order_id;
  OrderId route_id;  // the routed parent of a child order; 0 for orders of their own
  ParticipantId participant;
  InstrumentId instrument;
  std::string_view cl_ord_id;
  Side side;
  OrderType type;
  TimeInForce tif;
  bool post_only;
  Price price;
  Quantity qty;
  Timestamp expire_at;
};

struct OrderRejected {
  Timestamp ts;
  CommandKind command;
  ParticipantId participant;
  InstrumentId instrument;  // kNoInstrument when not known
  OrderId order_id;         // cancel / replace target, 0 for new orders
  std::string_view cl_ord_id;
  RejectReason reason;
  Side side = Side::Buy;    // a new order's side (a routed order buys); Buy for requests without one
};

// A carrier's part of a routed trade's transport fee: the trade's data over one link of its path.
struct TransportLeg {
  uint32_t link;          // index into the network (MatchingEngine::links())
  ParticipantId carrier;
  Money amount;
};

struct Trade {
  Timestamp ts;
  TradeId trade_id;
  InstrumentId instrument;
  Price price;     // CNY per device-hour
  Quantity qty;    // devices
  OrderId buy_order_id;
  OrderId sell_order_id;
  ParticipantId buyer;
  ParticipantId seller;
  std::string_view buy_cl_ord_id;
  std::string_view sell_cl_ord_id;
  Side aggressor;
  Quantity buy_remaining;   // open quantity left on each order after this trade
  Quantity sell_remaining;
  int64_t hours;            // length of the delivery window
  int64_t scu;              // qty x SCU per device
  int64_t price_per_scu_hour; // CNY per SCU-hour, eight decimals: price / SCU per device, rounded half away from zero
  Money notional;           // price x qty x hours
  Money buyer_fee;          // exchange fees on the notional (maker or taker rate, rounded half up)
  Money seller_fee;
  Timestamp window_start;   // the delivery window the devices are for
  Timestamp window_end;
  OrderId route_id;         // the routed parent when the buy is a routed child order, else 0
  Money transport_fee;      // routed: the buyer's transfer cost for this trade's share of the data
  std::span<const TransportLeg> transport;  // routed: the fee per link and carrier (sums to transport_fee)
};

// A routed order was accepted; its child orders and trades follow, then RouteDone.
struct RouteAccepted {
  Timestamp ts;
  OrderId route_id;
  ParticipantId participant;
  std::string_view cl_ord_id;
  TimeInForce tif;
  int64_t scu;
  int64_t limit_per_scu_hour;  // landed, eight decimals
  RegionId origin;
  int64_t data_gb;
  Timestamp window_start;
  Timestamp window_end;
};

// The end of a routed order, always: what it bought and why it stopped.
struct RouteDone {
  Timestamp ts;
  OrderId route_id;
  ParticipantId participant;
  std::string_view cl_ord_id;
  int64_t scu;          // asked
  int64_t filled_scu;   // bought (devices x SCU per device; may exceed `scu` by less than one device)
  Quantity devices;     // bought, over all books
  uint32_t children;    // child orders sent
  Money compute_cost;   // notional of its trades
  Money fees;           // exchange fees of its trades (buyer side)
  Money transport_cost; // transport fees of its trades
  DoneReason reason;    // Filled, ImmediateRemainder, FokNotFilled or CreditLimit
};

struct OrderDone {
  Timestamp ts;
  OrderId order_id;
  ParticipantId participant;
  InstrumentId instrument;
  std::string_view cl_ord_id;
  Side side;
  Price price;
  Quantity cancelled_qty;  // open quantity removed
  Quantity filled_qty;     // filled over the order's life
  DoneReason reason;
};

struct OrderReplaced {
  Timestamp ts;
  OrderId order_id;
  ParticipantId participant;
  InstrumentId instrument;
  std::string_view cl_ord_id;
  Side side;
  Price price;
  Quantity qty;        // total, filled included
  Quantity remaining;  // open quantity after the replace
  bool kept_priority;
};

// Self-trade prevention "decrement": both orders shrink by the same quantity without a trade.
struct OrderRestated {
  Timestamp ts;
  OrderId order_id;
  ParticipantId participant;
  InstrumentId instrument;
  std::string_view cl_ord_id;
  Side side;
  Quantity decrement;
  Quantity remaining;
};

// One price level after a command: total open quantity and order count (0 and 0: the level is gone).
struct BookChange {
  Timestamp ts;
  InstrumentId instrument;
  Side side;
  Price price;
  Quantity qty;
  uint32_t orders;
};

struct InstrumentStateChanged {
  Timestamp ts;
  InstrumentId instrument;
  InstrumentState state;
};

struct MassCancelDone {
  Timestamp ts;
  ParticipantId participant;
  ParticipantId target;
  InstrumentId instrument;
  uint64_t cancelled;
};

// An admin command took effect. `subject` names what it created or changed (a code or symbol).
struct AdminDone {
  Timestamp ts;
  CommandKind command;
  ParticipantId actor;
  std::string_view subject;
};

// Money and contract steps outside the book (docs/PRODUCT.md §4).
enum class SettlementKind : uint8_t {
  Deposit,           // participant, amount, cash after
  Withdrawal,        // participant, amount, cash after
  Escrowed,          // at a trade: buyer cash -> contract escrow (amount = notional + buyer fee)
  DeliveryReported,  // seller's report; payout_due = end of the dispute window
  Disputed,
  Settled,           // escrow paid out: pieces to the supplier's parties, fees, refund to the buyer
  RevenueShareSet,   // participant = supplier, pieces = the shares in basis points
};

struct SettlementEvent {
  Timestamp ts;
  SettlementKind kind;
  TradeId trade_id;          // 0 for cash movements and agreements
  ParticipantId participant; // the participant the event is about (buyer for contract events)
  ParticipantId counterparty;// the seller for contract events
  Money amount;              // the cash moved, or the escrow of the contract
  Money cash_after;          // deposit / withdrawal: the participant's cash balance after it
  int64_t delivered_device_hours;
  int64_t contracted_device_hours;
  Money supplier_gross;      // settled: what the supplier's parties receive together
  Money fees;                // settled: buyer fee kept + seller fee due
  Money refund;              // settled: back to the buyer for what was not delivered
  Money transport;           // settled: to the carriers
  Timestamp payout_due;      // reported: when the escrow pays out if nobody disputes
  std::span<const std::pair<ParticipantId, Money>> pieces;  // settled: per party; agreements: bps
  std::span<const std::pair<ParticipantId, Money>> carrier_pieces;  // settled: per transport leg
};

// The day-ahead auction (include/cpx/auction_book.hpp).
struct AuctionStateChanged {
  Timestamp ts;
  Timestamp day_start;
  AuctionState state;
  Timestamp gate_closure;
  uint32_t offers;          // orders in the auction (closed, cleared: the ones that went to the solver)
  uint32_t bids;
  uint32_t accepted_bids;   // cleared
  uint32_t contracts;       // cleared: awards made
};

struct AuctionOrderAccepted {
  Timestamp ts;
  Timestamp day_start;
  uint64_t order_id;
  ParticipantId participant;
  std::string_view cl_ord_id;
  const AuctionOfferRecord* offer;  // one of the two is set
  const AuctionBidRecord* bid;
};

// An auction order ends: cancelled before the gate, or accepted (in part) or rejected at clearing.
struct AuctionOrderDone {
  Timestamp ts;
  Timestamp day_start;
  uint64_t order_id;
  ParticipantId participant;
  std::string_view cl_ord_id;
  bool is_bid;
  AuctionOrderStatus status;
  int64_t accepted;              // offers: devices; bids: SCU per hour
  bool paradoxically_rejected;   // bids: rejected although in the money at the final prices
};

// One contract of a cleared auction: `devices` of an offer bought by a block for one hour at the zone price.
struct AuctionAward {
  Timestamp ts;
  TradeId trade_id;
  Timestamp day_start;
  int32_t hour;
  RegionId region;
  ChipClassId chip_class;
  ParticipantId buyer;
  ParticipantId seller;
  uint64_t bid_id;
  uint64_t offer_id;
  Quantity devices;
  Price price;                  // CNY per device-hour
  int64_t scu;                  // devices x SCU per device
  int64_t price_per_scu_hour;   // the zone price, eight decimals
  Money notional;
  Money buyer_fee;
  Money seller_fee;
  Money transport_fee;
  std::span<const TransportLeg> transport;
  Timestamp window_start;       // the hour
  Timestamp window_end;
};

class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void on_accepted(const OrderAccepted&) {}
  virtual void on_rejected(const OrderRejected&) {}
  virtual void on_trade(const Trade&) {}
  virtual void on_done(const OrderDone&) {}
  virtual void on_replaced(const OrderReplaced&) {}
  virtual void on_restated(const OrderRestated&) {}
  virtual void on_book_change(const BookChange&) {}
  virtual void on_instrument_state(const InstrumentStateChanged&) {}
  virtual void on_mass_cancel(const MassCancelDone&) {}
  virtual void on_admin(const AdminDone&) {}
  virtual void on_settlement(const SettlementEvent&) {}
  virtual void on_route_accepted(const RouteAccepted&) {}
  virtual void on_route_done(const RouteDone&) {}
  virtual void on_auction_state(const AuctionStateChanged&) {}
  virtual void on_auction_order(const AuctionOrderAccepted&) {}
  virtual void on_auction_order_done(const AuctionOrderDone&) {}
  virtual void on_auction_award(const AuctionAward&) {}
};

}  // namespace cpx
