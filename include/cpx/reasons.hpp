#pragma once
// Every reject and every end of an order carries a reason code and a sentence (docs/PRODUCT.md §3.1, §6).
#include <cstdint>
#include <string_view>

namespace cpx {

#define CPX_REJECT_REASONS(X)                                                                              \
  X(UnknownParticipant, "unknown_participant", "The participant is not known to the exchange.")           \
  X(UnknownInstrument, "unknown_instrument", "No instrument with that symbol is listed.")                 \
  X(UnknownOrder, "unknown_order", "No open order with that id exists.")                                  \
  X(NotOwner, "not_owner", "The request acts for another participant.")                                   \
  X(RoleMissing, "role_missing", "The participant does not hold the role this request needs.")            \
  X(InstrumentNotOpen, "instrument_not_open", "The instrument is not open for trading yet.")              \
  X(InstrumentHalted, "instrument_halted", "Trading in the instrument is halted.")                        \
  X(InstrumentClosed, "instrument_closed", "The instrument has passed gate closure and no longer trades.") \
  X(InvalidPrice, "invalid_price", "The price must be positive and at most 10,000,000,000 CNY per device-hour.")                                         \
  X(TickSize, "tick_size", "The price is not a multiple of the instrument's tick size.")                  \
  X(InvalidQuantity, "invalid_quantity", "The quantity must be a positive number of devices.")            \
  X(LotSize, "lot_size", "The quantity is not a multiple of the instrument's lot size.")                  \
  X(MaxOrderQty, "max_order_qty", "The quantity exceeds the maximum order quantity.")                     \
  X(MaxOpenOrders, "max_open_orders", "The participant already has the maximum number of open orders.")   \
  X(PriceBand, "price_band", "The price is outside the band around the instrument's reference price.")    \
  X(CapacityExceeded, "capacity_exceeded",                                                                 \
    "Open and sold quantity would exceed the devices registered for this region, class and window.")      \
  X(CreditExceeded, "credit_exceeded", "Open and unsettled buy notional would exceed the available credit.") \
  X(NotionalOverflow, "notional_overflow", "Price times quantity times hours is too large to represent.")  \
  X(PostOnlyWouldCross, "post_only_would_cross", "A post-only order would have traded on arrival.")        \
  X(InvalidOrderType, "invalid_order_type", "That combination of order type, time in force and flags is not allowed.") \
  X(InvalidExpiry, "invalid_expiry", "A GTD order needs an expiry time in the future; other orders take none.") \
  X(QtyBelowFilled, "qty_below_filled", "The new quantity must exceed the quantity already filled.")      \
  X(NothingToChange, "nothing_to_change", "The replace changes neither price nor quantity.")              \
  X(DuplicateCode, "duplicate_code", "An entry with that code already exists.")                           \
  X(InvalidCode, "invalid_code", "Codes are 1 to 16 characters of A-Z, 0-9 and '-'.")                     \
  X(UnknownRegion, "unknown_region", "The region is not known to the exchange.")                          \
  X(UnknownChipClass, "unknown_chip_class", "The chip class is not known to the exchange.")               \
  X(InvalidValue, "invalid_value", "A value in the request is out of range.")                             \
  X(ListingTooLate, "listing_too_late", "The instrument's gate closure has already passed.")              \
  X(InvalidWindow, "invalid_window", "The window must end after it starts.")                              \
  X(InvalidStateChange, "invalid_state_change", "The instrument cannot make that state change now.")      \
  X(CapacityInUse, "capacity_in_use", "The devices cannot be deregistered: they are offered or sold.")    \
  X(BadSymbol, "bad_symbol", "The symbol does not follow REGION.CLASS.TENOR.START.")                      \
  X(MalformedRequest, "malformed_request", "The request could not be parsed.")                            \
  X(InsufficientCash, "insufficient_cash", "Available cash (after open buy orders) does not cover the amount.") \
  X(UnknownTrade, "unknown_trade", "No contract with that trade id exists.")                               \
  X(NotCounterparty, "not_counterparty", "Only the contract's seller reports delivery and only its buyer disputes.") \
  X(DeliveryTooEarly, "delivery_too_early", "Delivery can be reported only after the delivery window ends.") \
  X(WrongContractState, "wrong_contract_state", "The contract is not in a state that allows this.")       \
  X(DisputeWindowClosed, "dispute_window_closed", "The dispute window for this delivery report has closed.") \
  X(BadShares, "bad_shares", "Revenue shares must name known participants once each and sum to 10000 basis points.") \
  X(CreditFollowsCash, "credit_follows_cash", "With settlement, credit follows deposited cash: use deposit or withdraw.") \
  X(UnknownAuction, "unknown_auction", "No auction is open or known for that delivery day.")               \
  X(AuctionClosed, "auction_closed", "The auction has passed its gate closure and takes no more orders.")    \
  X(AuctionNotClosed, "auction_not_closed", "The auction must be closed (past its gate) and not yet cleared.") \
  X(AuctionResultInvalid, "auction_result_invalid", "The auction result breaks the auction's rules; nothing was applied.") \
  X(InvalidHours, "invalid_hours", "Hours must lie within the delivery day: 0 to 23, blocks of consecutive hours.") \
  /* Gateway refusals: the request never reaches the engine. */                                            \
  X(DuplicateClOrdId, "duplicate_cl_ord_id", "An open order of this participant already has that client order id.") \
  X(RateLimited, "rate_limited", "Too many requests: the session's rate limit is exceeded; slow down and retry.") \
  X(NotAllowed, "not_allowed", "Sessions cannot make this request.")                                      \
  X(Unavailable, "unavailable", "The exchange could not make the request durable; it was not acknowledged.")

enum class RejectReason : uint8_t {
#define CPX_X(name, code, text) name,
  CPX_REJECT_REASONS(CPX_X)
#undef CPX_X
};

std::string_view reason_code(RejectReason r);
std::string_view reason_text(RejectReason r);
bool parse_reject_reason(std::string_view code, RejectReason& out);

// Why an order left the book (or never rested). `is_expiry` tells cancelled from expired.
enum class DoneReason : uint8_t {
  Cancelled,          // cancelled by its owner
  MassCancelled,      // mass cancel by owner or operator
  Replaced,           // not used in events: internal
  SelfTrade,          // self-trade prevention
  ImmediateRemainder, // IOC / market remainder that found no more liquidity
  FokNotFilled,       // FOK that could not fill completely: no trade happened
  PriceBandReached,   // market order stopped at the price band
  CreditLimit,        // market buy stopped when credit ran out
  ExpiredGtd,         // GTD expiry time reached
  ExpiredDay,         // DAY order at the end of the CST trading day
  GateClosure,        // instrument passed gate closure
  FeeChange,          // a fee increase left the buyer's cash short of its open buys: newest buys go first
  Filled,             // routed orders only (RouteDone): the whole quantity was bought
};
std::string_view done_reason_code(DoneReason r);
std::string_view done_reason_text(DoneReason r);
bool done_is_expiry(DoneReason r);

}  // namespace cpx
