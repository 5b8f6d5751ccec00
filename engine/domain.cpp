#include "cpx/commands.hpp"
#include "cpx/domain.hpp"
#include "cpx/reasons.hpp"

#include <array>
#include <utility>

namespace cpx {

namespace {

template <class E, size_t N>
bool lookup(std::string_view s, const std::array<std::pair<std::string_view, E>, N>& table, E& out) {
  for (const auto& [name, value] : table) {
    if (name == s) {
      out = value;
      return true;
    }
  }
  return false;
}

template <class E, size_t N>
std::string_view name_of(E value, const std::array<std::pair<std::string_view, E>, N>& table) {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return "?";
}

constexpr std::array<std::pair<std::string_view, Side>, 2> kSides{{{"buy", Side::Buy}, {"sell", Side::Sell}}};
constexpr std::array<std::pair<std::string_view, OrderType>, 2> kTypes{
    {{"limit", OrderType::Limit}, {"market", OrderType::Market}}};
constexpr std::array<std::pair<std::string_view, TimeInForce>, 5> kTifs{{{"gtc", TimeInForce::GTC},
                                                                          {"day", TimeInForce::DAY},
                                                                          {"gtd", TimeInForce::GTD},
                                                                          {"ioc", TimeInForce::IOC},
                                                                          {"fok", TimeInForce::FOK}}};
constexpr std::array<std::pair<std::string_view, SelfTradePrevention>, 4> kStps{
    {{"cancel_newest", SelfTradePrevention::CancelNewest},
     {"cancel_oldest", SelfTradePrevention::CancelOldest},
     {"cancel_both", SelfTradePrevention::CancelBoth},
     {"decrement", SelfTradePrevention::Decrement}}};
constexpr std::array<std::pair<std::string_view, ChipFamily>, 2> kFamilies{
    {{"ai", ChipFamily::AI}, {"general", ChipFamily::General}}};
constexpr std::array<std::pair<std::string_view, RegionSide>, 2> kRegionSides{
    {{"east", RegionSide::East}, {"west", RegionSide::West}}};
constexpr std::array<std::pair<std::string_view, ParticipantKind>, 5> kKinds{
    {{"cloud_vendor", ParticipantKind::CloudVendor},
     {"state_operator", ParticipantKind::StateOperator},
     {"carrier", ParticipantKind::Carrier},
     {"buyer", ParticipantKind::Buyer},
     {"exchange", ParticipantKind::Exchange}}};
constexpr std::array<std::pair<std::string_view, Role>, 5> kRoles{{{"trade_buy", kRoleTradeBuy},
                                                                    {"trade_sell", kRoleTradeSell},
                                                                    {"carrier", kRoleCarrier},
                                                                    {"operator", kRoleOperator},
                                                                    {"read_only", kRoleReadOnly}}};

}  // namespace

std::string_view to_string(Side s) { return name_of(s, kSides); }
std::string_view to_string(OrderType t) { return name_of(t, kTypes); }
std::string_view to_string(TimeInForce t) { return name_of(t, kTifs); }
std::string_view to_string(SelfTradePrevention s) { return name_of(s, kStps); }
std::string_view to_string(ChipFamily f) { return name_of(f, kFamilies); }
std::string_view to_string(RegionSide s) { return name_of(s, kRegionSides); }
std::string_view to_string(ParticipantKind k) { return name_of(k, kKinds); }

std::string role_list(RoleSet roles) {
  std::string out;
  for (const auto& [name, bit] : kRoles) {
    if (roles & bit) {
      if (!out.empty()) out += ',';
      out += name;
    }
  }
  return out;
}

bool parse_side(std::string_view s, Side& out) { return lookup(s, kSides, out); }
bool parse_order_type(std::string_view s, OrderType& out) { return lookup(s, kTypes, out); }
bool parse_tif(std::string_view s, TimeInForce& out) { return lookup(s, kTifs, out); }
bool parse_stp(std::string_view s, SelfTradePrevention& out) { return lookup(s, kStps, out); }
bool parse_family(std::string_view s, ChipFamily& out) { return lookup(s, kFamilies, out); }
bool parse_region_side(std::string_view s, RegionSide& out) { return lookup(s, kRegionSides, out); }
bool parse_participant_kind(std::string_view s, ParticipantKind& out) { return lookup(s, kKinds, out); }
bool parse_role(std::string_view s, Role& out) { return lookup(s, kRoles, out); }

namespace {
struct ReasonRow {
  std::string_view code;
  std::string_view text;
};
constexpr ReasonRow kReasons[] = {
#define CPX_X(name, code, text) {code, text},
    CPX_REJECT_REASONS(CPX_X)
#undef CPX_X
};
}  // namespace

std::string_view reason_code(RejectReason r) { return kReasons[static_cast<size_t>(r)].code; }
std::string_view reason_text(RejectReason r) { return kReasons[static_cast<size_t>(r)].text; }
bool parse_reject_reason(std::string_view code, RejectReason& out) {
  for (size_t i = 0; i < std::size(kReasons); ++i) {
    if (kReasons[i].code == code) {
      out = static_cast<RejectReason>(i);
      return true;
    }
  }
  return false;
}

std::string_view done_reason_code(DoneReason r) {
  switch (r) {
    case DoneReason::Cancelled: return "cancelled";
    case DoneReason::MassCancelled: return "mass_cancelled";
    case DoneReason::Replaced: return "replaced";
    case DoneReason::SelfTrade: return "self_trade";
    case DoneReason::ImmediateRemainder: return "immediate_remainder";
    case DoneReason::FokNotFilled: return "fok_not_filled";
    case DoneReason::PriceBandReached: return "price_band_reached";
    case DoneReason::CreditLimit: return "credit_limit";
    case DoneReason::ExpiredGtd: return "expired_gtd";
    case DoneReason::ExpiredDay: return "expired_day";
    case DoneReason::GateClosure: return "gate_closure";
    case DoneReason::FeeChange: return "fee_change";
    case DoneReason::Filled: return "filled";
  }
  return "?";
}

std::string_view done_reason_text(DoneReason r) {
  switch (r) {
    case DoneReason::Cancelled: return "Cancelled at the owner's request.";
    case DoneReason::MassCancelled: return "Cancelled by a mass cancel.";
    case DoneReason::Replaced: return "Replaced.";
    case DoneReason::SelfTrade: return "Cancelled by self-trade prevention.";
    case DoneReason::ImmediateRemainder: return "The part that could not trade at once was cancelled.";
    case DoneReason::FokNotFilled: return "Fill-or-kill: the whole quantity could not trade at once, nothing traded.";
    case DoneReason::PriceBandReached: return "The market order reached the edge of the price band.";
    case DoneReason::CreditLimit: return "The market buy stopped where the buyer's credit ran out.";
    case DoneReason::ExpiredGtd: return "The order reached its expiry time.";
    case DoneReason::ExpiredDay: return "The day order expired at the end of the trading day (CST).";
    case DoneReason::GateClosure: return "The instrument reached gate closure; resting orders expire.";
    case DoneReason::FeeChange: return "After the fee change the buyer's cash no longer covered this open buy.";
    case DoneReason::Filled: return "The whole quantity was bought.";
  }
  return "?";
}

bool done_is_expiry(DoneReason r) {
  return r == DoneReason::ExpiredGtd || r == DoneReason::ExpiredDay || r == DoneReason::GateClosure;
}

std::string_view to_string(CommandKind k) {
  switch (k) {
    case CommandKind::NewOrder: return "new_order";
    case CommandKind::CancelOrder: return "cancel";
    case CommandKind::ReplaceOrder: return "replace";
    case CommandKind::MassCancel: return "mass_cancel";
    case CommandKind::AddRegion: return "add_region";
    case CommandKind::AddChipClass: return "add_chip_class";
    case CommandKind::AddParticipant: return "add_participant";
    case CommandKind::ListInstrument: return "list_instrument";
    case CommandKind::SetInstrumentState: return "set_instrument_state";
    case CommandKind::RegisterCapacity: return "register_capacity";
    case CommandKind::SetCredit: return "set_credit";
    case CommandKind::SetReferencePrice: return "set_reference_price";
    case CommandKind::AdvanceTime: return "advance_time";
    case CommandKind::SetFees: return "set_fees";
    case CommandKind::Deposit: return "deposit";
    case CommandKind::Withdraw: return "withdraw";
    case CommandKind::SetRevenueShare: return "set_revenue_share";
    case CommandKind::DeliveryReport: return "delivery_report";
    case CommandKind::Dispute: return "dispute";
    case CommandKind::ResolveDispute: return "resolve_dispute";
    case CommandKind::AddLink: return "add_link";
    case CommandKind::RoutedOrder: return "route_order";
    case CommandKind::OpenAuction: return "open_auction";
    case CommandKind::AuctionOffer: return "auction_offer";
    case CommandKind::AuctionBid: return "auction_bid";
    case CommandKind::CancelAuctionOrder: return "cancel_auction_order";
    case CommandKind::ClearAuction: return "clear_auction";
  }
  return "?";
}

Timestamp command_time(const Command& c) {
  return std::visit([](const auto& x) { return x.ts; }, c);
}

}  // namespace cpx
