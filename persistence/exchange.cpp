#include "exchange.hpp"

#include <algorithm>

#include "revenue_split.hpp"

namespace cpx::persistence {

namespace {
constexpr uint32_t kMagic = 0x58585043;  // "CPXX"
// 2: contracts carry traded_at and scu; 3: region, class, route, transport legs; 4: the order history;
// 5: its per-participant limits and client id index, revenue; 6: contracts carry the aggressor's side
// (the public tape). An older snapshot is refused: recovery
// then replays the journal from an older snapshot or from its start, which rebuilds all of it.
constexpr uint8_t kVersion = 7;  // 7: auction orders and awards in the order history
}  // namespace

std::string_view to_string(ContractState s) {
  switch (s) {
    case ContractState::Escrowed: return "escrowed";
    case ContractState::Reported: return "reported";
    case ContractState::Disputed: return "disputed";
    case ContractState::Settled: return "settled";
  }
  return "?";
}

std::string_view transfer_code_name(uint16_t code) {
  switch (code) {
    case kDepositTransfer: return "deposit";
    case kWithdrawalTransfer: return "withdrawal";
    case kTradeEscrowTransfer: return "trade_escrow";
    case kPayoutTransfer: return "payout";
    case kFeeTransfer: return "fee";
    case kRefundTransfer: return "refund";
    case kTransportTransfer: return "transport";
  }
  return "other";
}

Exchange::Exchange(EventListener& out, ExchangeConfig config)
    : out_(out), config_(config), engine_(*this, config.engine), history_(config.history) {
  ledger_.create_account({kBankAccountId, 1, kBankAccount, 0});
  ledger_.create_account({kExchangeFeesAccount, 1, kFeeAccount, kDebitsMustNotExceedCredits});
  ensure_cash_account(kExchangeParticipant);
}

const Contract* Exchange::contract(TradeId id) const {
  auto it = contracts_.find(id);
  return it == contracts_.end() ? nullptr : &it->second;
}

void Exchange::apply(const Command& command) {
  // Time first: gate closures and expiries fire, and payouts that fell due are made, before the command
  // itself is looked at (a withdrawal at T may spend a payout due before T).
  engine_.advance_time(AdvanceTime{command_time(command)});
  settle_due();
  history_.expire(engine_.now());
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Deposit> || std::is_same_v<T, Withdraw> ||
                      std::is_same_v<T, SetRevenueShare> || std::is_same_v<T, DeliveryReport> ||
                      std::is_same_v<T, Dispute> || std::is_same_v<T, ResolveDispute> ||
                      std::is_same_v<T, SetCredit>) {
          if constexpr (std::is_same_v<T, Deposit>) deposit(c);
          else if constexpr (std::is_same_v<T, Withdraw>) withdraw(c);
          else if constexpr (std::is_same_v<T, SetRevenueShare>) set_revenue_share(c);
          else if constexpr (std::is_same_v<T, DeliveryReport>) delivery_report(c);
          else if constexpr (std::is_same_v<T, Dispute>) dispute(c);
          else if constexpr (std::is_same_v<T, ResolveDispute>) resolve_dispute(c);
          else reject(CommandKind::SetCredit, c.actor, RejectReason::CreditFollowsCash);
        } else {
          engine_.apply(command);
        }
      },
      command);
  settle_due();
}

bool Exchange::is_operator(ParticipantId p) const {
  const Participant* who = engine_.participant(p);
  return who && (who->roles & kRoleOperator);
}

void Exchange::reject(CommandKind kind, ParticipantId who, RejectReason reason) {
  out_.on_rejected(OrderRejected{engine_.now(), kind, who, kNoInstrument, 0, {}, reason});
}

void Exchange::ensure_cash_account(ParticipantId p) {
  ledger_.create_account({cash_account(p), 1, kCashAccount, kDebitsMustNotExceedCredits});
}

Money Exchange::cash(ParticipantId p) const {
  const Account* a = ledger_.account(cash_account(p));
  return a ? a->balance() : 0;
}

bool Exchange::move(AccountId from, AccountId to, Money amount, uint16_t code) {
  if (amount == 0) return true;
  Transfer t;
  t.id = next_transfer_id_++;
  t.debit_account = from;
  t.credit_account = to;
  t.amount = amount;
  t.code = code;
  t.ts = engine_.now();
  const LedgerResult r = ledger_.post(t);
  if (r != LedgerResult::Ok) {
    ++ledger_failures_;
    return false;
  }
  return true;
}

SettlementEvent Exchange::event(SettlementKind kind) const {
  SettlementEvent e{};
  e.ts = engine_.now();
  e.kind = kind;
  return e;
}

// A contract step as an event: the contract's parties, escrow, hours and payout time.
SettlementEvent Exchange::contract_event(SettlementKind kind, const Contract& k) const {
  SettlementEvent e = event(kind);
  e.trade_id = k.trade_id;
  e.participant = k.buyer;
  e.counterparty = k.seller;
  e.amount = k.escrow();
  e.delivered_device_hours = k.delivered_device_hours;
  e.contracted_device_hours = k.contracted_device_hours();
  e.payout_due = k.payout_due;
  return e;
}

void Exchange::on_admin(const AdminDone& e) {
  if (e.command == CommandKind::AddParticipant) {
    ParticipantId p = engine_.find_participant(e.subject);
    if (p != kNoParticipant) ensure_cash_account(p);
  }
  out_.on_admin(e);
}

void Exchange::on_trade(const Trade& t) {
  history_.trade(t);
  out_.on_trade(t);
  Contract k;
  k.trade_id = t.trade_id;
  k.buyer = t.buyer;
  k.seller = t.seller;
  k.instrument = t.instrument;
  k.window_start = t.window_start;
  k.window_end = t.window_end;
  k.qty = t.qty;
  k.hours = t.hours;
  k.price = t.price;
  k.notional = t.notional;
  k.buyer_fee = t.buyer_fee;
  k.seller_fee = t.seller_fee;
  k.traded_at = t.ts;
  k.aggressor = t.aggressor;
  k.scu = t.scu;
  if (const InstrumentInfo* info = engine_.instrument(t.instrument)) {
    k.region = info->region;
    k.chip_class = info->chip_class;
  }
  k.route_id = t.route_id;
  k.transport.assign(t.transport.begin(), t.transport.end());
  open_contract(std::move(k));
}

void Exchange::open_contract(Contract k) {
  if (auto it = shares_.find(k.seller); it != shares_.end()) k.shares = it->second;
  else k.shares = {{k.seller, 10'000}};
  ledger_.create_account({escrow_account(k.trade_id), 1, kEscrowAccount, kDebitsMustNotExceedCredits});
  // The engine already counted notional + fee (+ transport) as the buyer's unsettled amount; the cash
  // moves to match.
  move(cash_account(k.buyer), escrow_account(k.trade_id), k.escrow(), kTradeEscrowTransfer);
  auto [it, fresh] = contracts_.emplace(k.trade_id, std::move(k));
  out_.on_settlement(contract_event(SettlementKind::Escrowed, it->second));
}

// An auction contract settles like a traded one: the buyer's whole cost (notional, fee, transport) goes
// into the contract's escrow now; delivery, disputes and payout follow the same path.
void Exchange::on_auction_award(const AuctionAward& a) {
  history_.auction_award(a);
  out_.on_auction_award(a);
  Contract k;
  k.trade_id = a.trade_id;
  k.buyer = a.buyer;
  k.seller = a.seller;
  k.instrument = kNoInstrument;
  k.window_start = a.window_start;
  k.window_end = a.window_end;
  k.qty = a.devices;
  k.hours = 1;
  k.price = a.price;
  k.notional = a.notional;
  k.buyer_fee = a.buyer_fee;
  k.seller_fee = a.seller_fee;
  k.traded_at = a.ts;
  k.scu = a.scu;
  k.region = a.region;
  k.chip_class = a.chip_class;
  k.transport.assign(a.transport.begin(), a.transport.end());
  open_contract(std::move(k));
}

// Deposits and withdrawals: an operator moves a positive amount for a known participant.
bool Exchange::cash_request_ok(CommandKind kind, ParticipantId actor, ParticipantId participant, Money amount) {
  RejectReason why;
  if (!engine_.participant(actor)) why = RejectReason::UnknownParticipant;
  else if (!is_operator(actor)) why = RejectReason::RoleMissing;
  else if (!engine_.participant(participant)) why = RejectReason::UnknownParticipant;
  else if (amount <= 0 || amount > kMaxNotional) why = RejectReason::InvalidValue;
  else return true;
  reject(kind, actor, why);
  return false;
}

void Exchange::deposit(const Deposit& c) {
  if (!cash_request_ok(CommandKind::Deposit, c.actor, c.participant, c.amount)) return;
  // Cash is bounded like a notional, so credit sums stay far inside int64.
  if (static_cast<__int128>(engine_.credit(c.participant).limit) + c.amount > kMaxNotional) {
    return reject(CommandKind::Deposit, c.actor, RejectReason::InvalidValue);
  }
  // The bank account's debit column sums every deposit ever made (and a cash account's credit column all
  // of its deposits): past int64 the ledger would refuse the posting, so the request is refused here.
  // Withdrawals need no such check: what leaves was deposited, so their columns stay below these.
  if (!ledger_.columns_have_room(kBankAccountId, cash_account(c.participant), c.amount)) {
    return reject(CommandKind::Deposit, c.actor, RejectReason::InvalidValue);
  }
  ensure_cash_account(c.participant);
  if (!move(kBankAccountId, cash_account(c.participant), c.amount, kDepositTransfer)) return;
  cash_moved(SettlementKind::Deposit, c.participant, c.amount);
}

// Credit follows the cash that moved, and the move is reported with the cash after it.
void Exchange::cash_moved(SettlementKind kind, ParticipantId p, Money amount) {
  engine_.adjust_credit(p, kind == SettlementKind::Deposit ? amount : -amount, 0);
  SettlementEvent e = event(kind);
  e.participant = p;
  e.amount = amount;
  e.cash_after = cash(p);
  out_.on_settlement(e);
}

void Exchange::withdraw(const Withdraw& c) {
  if (!cash_request_ok(CommandKind::Withdraw, c.actor, c.participant, c.amount)) return;
  // Cash held for open buy orders stays: only what the engine would still let the buyer spend can leave.
  const CreditView credit = engine_.credit(c.participant);
  if (static_cast<__int128>(credit.limit) - credit.open_buy - credit.unsettled_bought < c.amount) {
    return reject(CommandKind::Withdraw, c.actor, RejectReason::InsufficientCash);
  }
  if (!move(cash_account(c.participant), kBankAccountId, c.amount, kWithdrawalTransfer)) return;
  cash_moved(SettlementKind::Withdrawal, c.participant, c.amount);
}

void Exchange::set_revenue_share(const SetRevenueShare& c) {
  constexpr auto kind = CommandKind::SetRevenueShare;
  if (!engine_.participant(c.actor)) return reject(kind, c.actor, RejectReason::UnknownParticipant);
  if (!is_operator(c.actor)) return reject(kind, c.actor, RejectReason::RoleMissing);
  const Participant* supplier = engine_.participant(c.supplier);
  if (!supplier) return reject(kind, c.actor, RejectReason::UnknownParticipant);
  if (!(supplier->roles & kRoleTradeSell)) return reject(kind, c.actor, RejectReason::RoleMissing);
  int64_t sum = 0;
  std::set<ParticipantId> seen;
  for (const auto& [p, bps] : c.shares) {
    if (!engine_.participant(p) || bps <= 0 || bps > 10'000 || !seen.insert(p).second) {
      return reject(kind, c.actor, RejectReason::BadShares);
    }
    sum += bps;
  }
  if (c.shares.empty() || sum != 10'000) return reject(kind, c.actor, RejectReason::BadShares);
  shares_[c.supplier] = c.shares;
  std::vector<std::pair<ParticipantId, Money>> pieces(c.shares.begin(), c.shares.end());
  SettlementEvent e = event(SettlementKind::RevenueShareSet);
  e.participant = c.supplier;
  e.pieces = pieces;
  out_.on_settlement(e);
}

void Exchange::delivery_report(const DeliveryReport& c) {
  constexpr auto kind = CommandKind::DeliveryReport;
  auto it = contracts_.find(c.trade_id);
  if (it == contracts_.end()) return reject(kind, c.participant, RejectReason::UnknownTrade);
  Contract& k = it->second;
  if (c.participant != k.seller && !is_operator(c.participant)) return reject(kind, c.participant, RejectReason::NotCounterparty);
  if (k.state != ContractState::Escrowed) return reject(kind, c.participant, RejectReason::WrongContractState);
  if (engine_.now() < k.window_end) return reject(kind, c.participant, RejectReason::DeliveryTooEarly);
  if (c.delivered_device_hours < 0 || c.delivered_device_hours > k.contracted_device_hours()) {
    return reject(kind, c.participant, RejectReason::InvalidValue);
  }
  k.state = ContractState::Reported;
  k.delivered_device_hours = c.delivered_device_hours;
  k.payout_due = engine_.now() + config_.dispute_window_ns;
  due_.emplace(k.payout_due, k.trade_id);
  out_.on_settlement(contract_event(SettlementKind::DeliveryReported, k));
}

void Exchange::dispute(const Dispute& c) {
  constexpr auto kind = CommandKind::Dispute;
  auto it = contracts_.find(c.trade_id);
  if (it == contracts_.end()) return reject(kind, c.participant, RejectReason::UnknownTrade);
  Contract& k = it->second;
  if (c.participant != k.buyer) return reject(kind, c.participant, RejectReason::NotCounterparty);
  if (k.state != ContractState::Reported) return reject(kind, c.participant, RejectReason::WrongContractState);
  if (engine_.now() >= k.payout_due) return reject(kind, c.participant, RejectReason::DisputeWindowClosed);
  due_.erase({k.payout_due, k.trade_id});
  k.state = ContractState::Disputed;
  out_.on_settlement(contract_event(SettlementKind::Disputed, k));
}

void Exchange::resolve_dispute(const ResolveDispute& c) {
  constexpr auto kind = CommandKind::ResolveDispute;
  if (!engine_.participant(c.actor)) return reject(kind, c.actor, RejectReason::UnknownParticipant);
  if (!is_operator(c.actor)) return reject(kind, c.actor, RejectReason::RoleMissing);
  auto it = contracts_.find(c.trade_id);
  if (it == contracts_.end()) return reject(kind, c.actor, RejectReason::UnknownTrade);
  Contract& k = it->second;
  if (k.state != ContractState::Disputed) return reject(kind, c.actor, RejectReason::WrongContractState);
  if (c.delivered_device_hours < 0 || c.delivered_device_hours > k.contracted_device_hours()) {
    return reject(kind, c.actor, RejectReason::InvalidValue);
  }
  settle(k, c.delivered_device_hours);
}

void Exchange::settle_due() {
  while (!due_.empty() && due_.begin()->first <= engine_.now()) {
    const TradeId id = due_.begin()->second;
    due_.erase(due_.begin());
    Contract& k = contracts_.at(id);
    if (k.state == ContractState::Reported) settle(k, k.delivered_device_hours);
  }
}

// Escrow = notional + buyer fee. Delivered share f = delivered / contracted device-hours. Supplier parties
// get notional x f minus the seller fee x f, split by their shares; the exchange keeps the buyer fee x f
// plus the seller fee x f; the buyer gets back everything else. Each x f is rounded half away from zero
// and the pieces are differences of the whole, so they always sum to the escrow exactly.
void Exchange::settle(Contract& k, int64_t delivered) {
  const int64_t total = k.contracted_device_hours();
  const Money delivered_notional = *mul_div_round(k.notional, delivered, total);
  const Money buyer_fee_kept = *mul_div_round(k.buyer_fee, delivered, total);
  const Money seller_fee_due = *mul_div_round(k.seller_fee, delivered, total);
  const Money supplier_gross = delivered_notional - seller_fee_due;
  const Money fees = buyer_fee_kept + seller_fee_due;
  const Money transport = k.transport_fee();
  const Money refund = k.escrow() - supplier_gross - fees - transport;

  const auto& parties = k.shares;
  std::vector<int64_t> bps;
  for (const auto& [p, b] : parties) bps.push_back(b);
  const std::vector<Money> amounts = split_largest_remainder(supplier_gross, bps);
  std::vector<std::pair<ParticipantId, Money>> pieces;
  const AccountId escrow = escrow_account(k.trade_id);
  for (size_t i = 0; i < parties.size(); ++i) {
    ensure_cash_account(parties[i].first);
    move(escrow, cash_account(parties[i].first), amounts[i], kPayoutTransfer);
    if (amounts[i] != 0) revenue_[parties[i].first] += amounts[i];
    engine_.adjust_credit(parties[i].first, amounts[i], 0);
    pieces.emplace_back(parties[i].first, amounts[i]);
  }
  std::vector<std::pair<ParticipantId, Money>> carrier_pieces;
  for (const TransportLeg& leg : k.transport) {
    ensure_cash_account(leg.carrier);
    move(escrow, cash_account(leg.carrier), leg.amount, kTransportTransfer);
    if (leg.amount != 0) revenue_[leg.carrier] += leg.amount;
    engine_.adjust_credit(leg.carrier, leg.amount, 0);
    carrier_pieces.emplace_back(leg.carrier, leg.amount);
  }
  move(escrow, kExchangeFeesAccount, fees, kFeeTransfer);
  move(escrow, cash_account(k.buyer), refund, kRefundTransfer);
  // The escrow leaves the buyer's unsettled amount; what was spent leaves its credit, the refund stays.
  engine_.adjust_credit(k.buyer, -(k.escrow() - refund), -k.escrow());
  k.state = ContractState::Settled;
  k.delivered_device_hours = delivered;

  SettlementEvent e = contract_event(SettlementKind::Settled, k);
  e.supplier_gross = supplier_gross;
  e.fees = fees;
  e.refund = refund;
  e.transport = transport;
  e.pieces = pieces;
  e.carrier_pieces = carrier_pieces;
  out_.on_settlement(e);
}

bool Exchange::check(std::string& why) const {
  if (!ledger_.check_invariants(why)) return false;
  if (ledger_failures_ != 0) {
    why = std::to_string(ledger_failures_) + " ledger postings were refused";
    return false;
  }
  __int128 cash_total = 0, escrow_total = 0, unsettled_total = 0;
  for (ParticipantId p = 0; p < engine_.participant_count(); ++p) {
    const CreditView c = engine_.credit(p);
    const Money in_ledger = cash(p);
    if (c.limit - c.unsettled_bought != in_ledger) {
      why = "participant " + std::to_string(p) + ": engine credit " + std::to_string(c.limit) + " - unsettled " +
            std::to_string(c.unsettled_bought) + " != ledger cash " + std::to_string(in_ledger);
      return false;
    }
    cash_total += in_ledger;
    unsettled_total += c.unsettled_bought;
  }
  for (const auto& [id, k] : contracts_) {
    const Account* a = ledger_.account(escrow_account(id));
    const Money held = a ? a->balance() : 0;
    if (held != (k.state == ContractState::Settled ? 0 : k.escrow())) {
      why = "contract " + std::to_string(id) + " escrow holds " + std::to_string(held);
      return false;
    }
    escrow_total += held;
  }
  if (escrow_total != unsettled_total) {
    why = "escrow accounts do not add up to the buyers' unsettled amounts";
    return false;
  }
  const Money fees = ledger_.account(kExchangeFeesAccount)->balance();
  const Money bank = ledger_.account(kBankAccountId)->balance();
  if (cash_total + escrow_total + fees != -static_cast<__int128>(bank)) {
    why = "cash + escrow + fees differ from the money deposited minus withdrawn";
    return false;
  }
  return true;
}

uint64_t Exchange::state_hash() const {
  // FNV-1a over the snapshot bytes: everything a snapshot carries, and equal after a restore.
  const std::string bytes = snapshot();
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : bytes) h = (h ^ static_cast<uint8_t>(ch)) * 0x100000001b3ULL;
  return h;
}

std::string Exchange::snapshot() const {
  std::string out;
  ByteWriter w(out);
  w.u32(kMagic);
  w.u8(kVersion);
  w.str(engine_.snapshot());
  w.u64(next_transfer_id_);
  w.u64(ledger_failures_);
  w.u64(contracts_.size());
  for (const auto& [id, k] : contracts_) {
    w.u64(k.trade_id);
    w.u32(k.buyer);
    w.u32(k.seller);
    w.u32(k.instrument);
    w.i64(k.window_start);
    w.i64(k.window_end);
    w.i64(k.qty);
    w.i64(k.hours);
    w.i64(k.price);
    w.i64(k.notional);
    w.i64(k.buyer_fee);
    w.i64(k.seller_fee);
    w.u8(static_cast<uint8_t>(k.state));
    w.i64(k.delivered_device_hours);
    w.i64(k.payout_due);
    w.i64(k.traded_at);
    w.u8(static_cast<uint8_t>(k.aggressor));
    w.i64(k.scu);
    w.u32(k.region);
    w.u32(k.chip_class);
    w.u64(k.route_id);
    w.u64(k.transport.size());
    for (const TransportLeg& l : k.transport) {
      w.u32(l.link);
      w.u32(l.carrier);
      w.i64(l.amount);
    }
    w.u64(k.shares.size());
    for (const auto& [p, bps] : k.shares) {
      w.u32(p);
      w.i64(bps);
    }
  }
  w.u64(shares_.size());
  for (const auto& [supplier, parties] : shares_) {
    w.u32(supplier);
    w.u64(parties.size());
    for (const auto& [p, bps] : parties) {
      w.u32(p);
      w.i64(bps);
    }
  }
  ledger_.save(w);
  history_.save(w);
  w.u64(revenue_.size());
  for (const auto& [p, amount] : revenue_) {
    w.u32(p);
    w.i64(amount);
  }
  return out;
}

Result<bool> Exchange::restore(std::string_view bytes) {
  auto bad = [](const std::string& what) { return make_error("snapshot_corrupt", "exchange snapshot " + what); };
  if (!contracts_.empty() || ledger_.transfer_count() != 0) {
    return make_error("snapshot_target", "a snapshot can only be restored into a new exchange");
  }
  ByteReader r(bytes);
  if (r.u32() != kMagic) return bad("does not start with the CPX exchange marker");
  if (const uint8_t v = r.u8(); v != kVersion) return bad("has version " + std::to_string(v));
  auto engine_ok = engine_.restore(r.str());
  if (!engine_ok) return engine_ok.error();
  next_transfer_id_ = r.u64();
  ledger_failures_ = r.u64();
  for (uint64_t n = r.count(114), i = 0; i < n && r.ok(); ++i) {
    Contract k;
    k.trade_id = r.u64();
    k.buyer = r.u32();
    k.seller = r.u32();
    k.instrument = r.u32();
    k.window_start = r.i64();
    k.window_end = r.i64();
    k.qty = r.i64();
    k.hours = r.i64();
    k.price = r.i64();
    k.notional = r.i64();
    k.buyer_fee = r.i64();
    k.seller_fee = r.i64();
    k.state = r.small_enum<ContractState>(4);
    k.delivered_device_hours = r.i64();
    k.payout_due = r.i64();
    k.traded_at = r.i64();
    const uint8_t aggressor = r.u8();
    if (aggressor > 1) return bad("has a damaged contract");
    k.aggressor = static_cast<Side>(aggressor);
    k.scu = r.i64();
    k.region = static_cast<RegionId>(r.u32());
    k.chip_class = static_cast<ChipClassId>(r.u32());
    k.route_id = r.u64();
    for (uint64_t m = r.count(16), j = 0; j < m; ++j) {
      TransportLeg l;
      l.link = r.u32();
      l.carrier = r.u32();
      l.amount = r.i64();
      k.transport.push_back(l);
    }
    for (uint64_t m = r.count(12), j = 0; j < m; ++j) {
      const ParticipantId p = r.u32();
      const int64_t bps = r.i64();
      k.shares.emplace_back(p, bps);
    }
    if (k.qty <= 0 || k.hours <= 0 || k.shares.empty()) return bad("has a damaged contract");
    if (k.state == ContractState::Reported) due_.emplace(k.payout_due, k.trade_id);
    contracts_.emplace(k.trade_id, k);
  }
  for (uint64_t n = r.count(12), i = 0; i < n && r.ok(); ++i) {
    ParticipantId supplier = r.u32();
    std::vector<std::pair<ParticipantId, int64_t>> parties;
    for (uint64_t m = r.count(12), j = 0; j < m; ++j) {
      ParticipantId p = r.u32();
      int64_t bps = r.i64();
      parties.emplace_back(p, bps);
    }
    shares_[supplier] = std::move(parties);
  }
  Ledger fresh;
  auto ledger_ok = fresh.load(r);
  if (!ledger_ok) return ledger_ok.error();
  ledger_ = std::move(fresh);
  auto history_ok = history_.load(r);
  if (!history_ok) return history_ok.error();
  for (uint64_t n = r.count(12), i = 0; i < n && r.ok(); ++i) {
    const ParticipantId p = r.u32();
    revenue_[p] = r.i64();
  }
  if (!r.ok()) return bad("is truncated or has a value out of range");
  if (!r.done()) return bad("has trailing bytes");
  return true;
}

Balances Exchange::balances(ParticipantId p) const {
  Balances b;
  const CreditView c = engine_.credit(p);
  const Account* cash = ledger_.account(cash_account(p));
  b.cash = cash ? cash->balance() : 0;
  b.reserved_by_open_buys = c.open_buy;
  b.available = b.cash - c.open_buy;
  b.escrowed_unsettled = c.unsettled_bought;
  b.revenue = revenue(p);
  b.open_orders = static_cast<int64_t>(history_.open_count(p));  // book, routed and auction orders, as GET /orders lists them
  return b;
}

}  // namespace cpx::persistence
