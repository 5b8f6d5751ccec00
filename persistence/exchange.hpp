#pragma once
// The whole deterministic exchange: the matching engine plus settlement (docs/PRODUCT.md §4) on a double-entry
// ledger. Commands in, events out, one thread. Order and admin commands go to the engine; every trade
// opens a contract and moves the buyer's cash into the contract's escrow; the seller's delivery report
// starts a dispute window after which the escrow pays out — to the supplier's revenue-sharing parties
// (largest remainder), the exchange's fee account, and back to the buyer for what was not delivered.
//
// Cash and credit stay in step: for every participant, engine credit limit = ledger cash + unsettled
// (escrowed) amount, so the engine's pre-trade credit check is exactly "enough cash for open buys".
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cpx/matching_engine.hpp"
#include "ledger.hpp"
#include "order_history.hpp"

namespace cpx::persistence {

struct ExchangeConfig {
  EngineConfig engine;
  int64_t dispute_window_ns = 24 * kNanosPerHour;  // buyers may dispute a delivery report this long
  HistoryLimits history;  // how long and how many closed orders and fills are kept
};

enum class ContractState : uint8_t { Escrowed, Reported, Disputed, Settled };
std::string_view to_string(ContractState s);

struct Contract {
  TradeId trade_id = 0;
  ParticipantId buyer = 0;
  ParticipantId seller = 0;
  InstrumentId instrument = 0;
  Timestamp window_start = 0;
  Timestamp window_end = 0;
  Quantity qty = 0;
  int64_t hours = 0;
  Price price = 0;
  Money notional = 0;
  Money buyer_fee = 0;
  Money seller_fee = 0;
  ContractState state = ContractState::Escrowed;
  int64_t delivered_device_hours = 0;
  Timestamp payout_due = 0;
  Timestamp traded_at = 0;  // the trade's time (market data: bars, indices)
  Side aggressor = Side::Buy;  // the side of the incoming order (the public tape); auction awards: Buy
  int64_t scu = 0;          // SCU traded: qty x SCU per device (market data: per-SCU-hour prices)
  RegionId region = 0;      // where the devices are (the instrument's, or the auction zone's)
  ChipClassId chip_class = 0;
  OrderId route_id = 0;     // the routed order that bought it, 0 when none
  // Transport legs (routed trades): the carriers' fees, held in the escrow with the notional and paid out
  // in full at settlement: the data moved whether or not the devices were all delivered.
  std::vector<TransportLeg> transport;
  // The supplier's revenue-sharing parties (basis points) when the trade happened: a later agreement
  // does not re-split revenue already traded.
  std::vector<std::pair<ParticipantId, int64_t>> shares;
  Money transport_fee() const {
    Money t = 0;
    for (const TransportLeg& l : transport) t += l.amount;
    return t;
  }
  Money escrow() const { return notional + buyer_fee + transport_fee(); }
  int64_t contracted_device_hours() const { return qty * hours; }
};

// Ledger account ids and codes, and transfer codes (what statements print).
enum AccountCode : uint16_t { kCashAccount = 1, kEscrowAccount = 2, kFeeAccount = 3, kBankAccount = 4 };
enum TransferCode : uint16_t {
  kDepositTransfer = 1,
  kWithdrawalTransfer = 2,
  kTradeEscrowTransfer = 3,
  kPayoutTransfer = 4,
  kFeeTransfer = 5,
  kRefundTransfer = 6,
  kTransportTransfer = 7,
};
inline AccountId cash_account(ParticipantId p) { return (AccountId{1} << 56) | p; }
inline AccountId escrow_account(TradeId t) { return (AccountId{2} << 56) | t; }
inline constexpr AccountId kExchangeFeesAccount = AccountId{3} << 56;
inline constexpr AccountId kBankAccountId = AccountId{4} << 56;
std::string_view transfer_code_name(uint16_t code);

// A participant's money as every gateway reports it (docs/API.md, "Your orders, fills and money"; FIX
// CollateralReport): its cash account, what open buys reserve of it, what is left, what it has bought and
// not yet settled (escrowed), and what settled contracts paid it.
struct Balances {
  Money cash = 0;
  Money reserved_by_open_buys = 0;
  Money available = 0;
  Money escrowed_unsettled = 0;
  Money revenue = 0;
  int64_t open_orders = 0;
};

class Exchange final : private EventListener {
 public:
  explicit Exchange(EventListener& out, ExchangeConfig config = {});

  void apply(const Command& command);

  const MatchingEngine& engine() const { return engine_; }
  const Ledger& ledger() const { return ledger_; }
  Ledger& ledger() { return ledger_; }
  const Contract* contract(TradeId id) const;
  size_t contract_count() const { return contracts_.size(); }
  const std::map<TradeId, Contract>& contracts() const { return contracts_; }
  // Every participant's orders and fills (participant queries).
  const OrderHistory& history() const { return history_; }
  // What settled contracts paid a participant: supplier payouts and carriers' transport fees.
  Money revenue(ParticipantId p) const {
    auto it = revenue_.find(p);
    return it == revenue_.end() ? 0 : it->second;
  }
  Balances balances(ParticipantId p) const;
  // Ledger postings the exchange expected to succeed but the ledger refused: always 0 unless a bug.
  uint64_t ledger_failures() const { return ledger_failures_; }

  // Every cross-check between the engine, the contracts and the ledger; false with a sentence in `why`.
  bool check(std::string& why) const;

  uint64_t state_hash() const;
  std::string snapshot() const;
  Result<bool> restore(std::string_view bytes);  // into a new exchange

 private:
  // Engine events pass through to `out_`; trades also open contracts.
  void on_accepted(const OrderAccepted& e) override {
    history_.accepted(e);
    out_.on_accepted(e);
  }
  void on_rejected(const OrderRejected& e) override { out_.on_rejected(e); }
  void on_trade(const Trade& e) override;
  void on_done(const OrderDone& e) override {
    history_.done(e);
    out_.on_done(e);
  }
  void on_replaced(const OrderReplaced& e) override {
    history_.replaced(e);
    out_.on_replaced(e);
  }
  void on_restated(const OrderRestated& e) override {
    history_.restated(e);
    out_.on_restated(e);
  }
  void on_book_change(const BookChange& e) override { out_.on_book_change(e); }
  void on_instrument_state(const InstrumentStateChanged& e) override { out_.on_instrument_state(e); }
  void on_mass_cancel(const MassCancelDone& e) override { out_.on_mass_cancel(e); }
  void on_route_accepted(const RouteAccepted& e) override {
    history_.route_accepted(e);
    out_.on_route_accepted(e);
  }
  void on_route_done(const RouteDone& e) override {
    history_.route_done(e);
    out_.on_route_done(e);
  }
  void on_auction_state(const AuctionStateChanged& e) override { out_.on_auction_state(e); }
  void on_auction_order(const AuctionOrderAccepted& e) override {
    history_.auction_accepted(e);
    out_.on_auction_order(e);
  }
  void on_auction_order_done(const AuctionOrderDone& e) override {
    history_.auction_done(e);
    out_.on_auction_order_done(e);
  }
  void on_auction_award(const AuctionAward& e) override;
  void on_admin(const AdminDone& e) override;

  void open_contract(Contract k);
  void deposit(const Deposit& c);
  void withdraw(const Withdraw& c);
  void set_revenue_share(const SetRevenueShare& c);
  void delivery_report(const DeliveryReport& c);
  void dispute(const Dispute& c);
  void resolve_dispute(const ResolveDispute& c);
  void settle(Contract& k, int64_t delivered);
  void settle_due();

  bool is_operator(ParticipantId p) const;
  bool cash_request_ok(CommandKind kind, ParticipantId actor, ParticipantId participant, Money amount);
  void cash_moved(SettlementKind kind, ParticipantId p, Money amount);
  void reject(CommandKind kind, ParticipantId who, RejectReason reason);
  void ensure_cash_account(ParticipantId p);
  bool move(AccountId from, AccountId to, Money amount, uint16_t code);
  Money cash(ParticipantId p) const;
  SettlementEvent event(SettlementKind kind) const;
  SettlementEvent contract_event(SettlementKind kind, const Contract& k) const;

  EventListener& out_;
  ExchangeConfig config_;
  MatchingEngine engine_;
  Ledger ledger_;
  std::map<TradeId, Contract> contracts_;
  OrderHistory history_;
  std::map<ParticipantId, Money> revenue_;
  std::map<ParticipantId, std::vector<std::pair<ParticipantId, int64_t>>> shares_;
  std::set<std::pair<Timestamp, TradeId>> due_;
  TransferId next_transfer_id_ = 1;
  uint64_t ledger_failures_ = 0;
};

}  // namespace cpx::persistence
