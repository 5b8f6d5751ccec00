// Settlement on the ledger (docs/PRODUCT.md §4): every path documented case by case, the revenue split's
// rounding, and seeded random streams through the whole exchange with every cross-check after every
// command.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "event_text.hpp"
#include "exchange.hpp"
#include "json/event_fanout.hpp"
#include "random_stream.hpp"
#include "revenue_split.hpp"
#include "statement.hpp"

namespace cpx::persistence {
namespace {

using test::at;

TEST(RevenueSplit, PiecesAlwaysSumToTheWholeAndStayWithinOneUnit) {
  EXPECT_EQ(split_largest_remainder(100, {8000, 2000}), (std::vector<Money>{80, 20}));
  EXPECT_EQ(split_largest_remainder(10, {3333, 3333, 3334}), (std::vector<Money>{3, 3, 4}));
  EXPECT_EQ(split_largest_remainder(1, {5000, 5000}), (std::vector<Money>{1, 0}));  // tie: the earlier party
  EXPECT_EQ(split_largest_remainder(0, {10000}), (std::vector<Money>{0}));
  std::mt19937_64 rng(8);
  for (int i = 0; i < 20000; ++i) {
    size_t n = 1 + rng() % 6;
    std::vector<int64_t> bps(n, 0);
    int64_t left = 10000;
    for (size_t k = 0; k + 1 < n; ++k) {
      bps[k] = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(left - static_cast<int64_t>(n - k - 1)));
      left -= bps[k];
    }
    bps[n - 1] = left;
    const Money total = static_cast<Money>(rng() % 100'000'000'000ULL);
    auto pieces = split_largest_remainder(total, bps);
    Money sum = 0;
    for (size_t k = 0; k < n; ++k) {
      sum += pieces[k];
      const __int128 exact_times_10000 = static_cast<__int128>(total) * bps[k];
      ASSERT_GE(static_cast<__int128>(pieces[k]) * 10000, exact_times_10000 - 10000 + 1);
      ASSERT_LE(static_cast<__int128>(pieces[k]) * 10000, exact_times_10000 + 10000 - 1);
    }
    ASSERT_EQ(sum, total);
  }
}

// A small exchange: OPS operator, supplier SUP (with a partner host HOST), buyer BUY, one day instrument.
class SettlementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Timestamp t0 = at("2026-11-30T09:00:00+08:00");
    Region nm;
    nm.code = "NM";
    ChipClass h100;
    h100.code = "H100";
    h100.scu_per_device = 989;
    apply(AddRegion{t0, kExchangeParticipant, nm});
    apply(AddChipClass{t0, kExchangeParticipant, h100});
    for (auto [code, roles] : {std::pair{"OPS", kRoleOperator}, {"SUP", kRoleTradeSell}, {"HOST", kRoleTradeSell},
                               {"BUY", kRoleTradeBuy}}) {
      Participant p;
      p.code = code;
      p.roles = roles;
      apply(AddParticipant{t0, kExchangeParticipant, p});
    }
    ListInstrument li;
    li.ts = t0;
    li.symbol = "NM.H100.D.2026-12-01";
    apply(li);
    apply(RegisterCapacity{t0, kExchangeParticipant, kSup, "NM", "H100", at("2026-12-01"), at("2026-12-02"), 100});
    apply(SetFees{t0, kExchangeParticipant, 5, 10});
  }

  void apply(const Command& c) {
    events.lines.clear();
    ex.apply(c);
    std::string why;
    ASSERT_TRUE(ex.check(why)) << why;
  }
  std::string last() const { return events.lines.empty() ? "" : events.lines.back(); }
  bool saw(const std::string& prefix) const {
    for (const auto& l : events.lines) {
      if (l.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }
  Money cash(ParticipantId p) const { return ex.ledger().account(cash_account(p))->balance(); }
  Money fees() const { return ex.ledger().account(kExchangeFeesAccount)->balance(); }

  // SUP sells `qty` at 20.00 to BUY; returns the trade id.
  TradeId trade(Quantity qty) {
    NewOrder s;
    s.ts = at("2026-11-30T10:00:00+08:00");
    s.participant = kSup;
    s.instrument = 0;
    s.side = Side::Sell;
    s.price = 200'000;
    s.qty = qty;
    apply(s);
    NewOrder b = s;
    b.participant = kBuy;
    b.side = Side::Buy;
    apply(b);
    return ex.contract_count();
  }

  static constexpr ParticipantId kOps = 1, kSup = 2, kHost = 3, kBuy = 4;
  test::EventText events;
  Exchange ex{events};
};

TEST_F(SettlementTest, DepositsAndWithdrawalsMoveCashAndCredit) {
  apply(Deposit{0, kOps, kBuy, 1'000'000'000});  // 100,000 CNY
  EXPECT_EQ(cash(kBuy), 1'000'000'000);
  EXPECT_EQ(ex.engine().credit(kBuy).limit, 1'000'000'000);
  apply(Withdraw{0, kOps, kBuy, 400'000'000});
  EXPECT_EQ(cash(kBuy), 600'000'000);
  apply(Withdraw{0, kOps, kBuy, 600'000'001});
  EXPECT_TRUE(saw("rejected")) << last();
  EXPECT_NE(last().find(" " + std::to_string(static_cast<int>(RejectReason::InsufficientCash)) + " "), std::string::npos);
  apply(Deposit{0, kBuy, kBuy, 1});  // not an operator
  EXPECT_TRUE(saw("rejected"));
  apply(Deposit{0, kOps, kBuy, 0});
  EXPECT_TRUE(saw("rejected"));
  EXPECT_EQ(cash(kBuy), 600'000'000);
}

TEST_F(SettlementTest, CashHeldByOpenBuysCannotBeWithdrawn) {
  apply(Deposit{0, kOps, kBuy, 1'000'000});  // 100 CNY
  NewOrder b;
  b.ts = at("2026-11-30T10:00:00+08:00");
  b.participant = kBuy;
  b.instrument = 0;
  b.side = Side::Buy;
  b.price = 10'000;  // 1.00 x 1 x 24 h = 24 CNY + fee reservation
  b.qty = 1;
  apply(b);
  ASSERT_TRUE(saw("accepted"));
  apply(Withdraw{0, kOps, kBuy, 800'000});  // would leave 20 CNY for a 24 CNY order
  EXPECT_TRUE(saw("rejected"));
  apply(Withdraw{0, kOps, kBuy, 700'000});
  EXPECT_FALSE(saw("rejected"));
}

TEST_F(SettlementTest, SetCreditIsRefusedBecauseCreditFollowsCash) {
  apply(SetCredit{0, kOps, kBuy, 1'000'000});
  ASSERT_TRUE(saw("rejected"));
  EXPECT_EQ(ex.engine().credit(kBuy).limit, 0);
}

TEST_F(SettlementTest, ATradeEscrowsNotionalPlusBuyerFee) {
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  const Contract* k = ex.contract(id);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->notional, 200'000 * 10 * 24);        // 4,800 CNY
  EXPECT_EQ(k->buyer_fee, 48'000);                  // taker (the buyer came second): 10 bps = 4.80 CNY
  EXPECT_EQ(k->seller_fee, 24'000);                 // maker: 5 bps = 2.40 CNY
  EXPECT_EQ(cash(kBuy), 10'000'000'000 - k->escrow());
  EXPECT_EQ(ex.ledger().account(escrow_account(id))->balance(), k->escrow());
  EXPECT_EQ(ex.engine().credit(kBuy).unsettled_bought, k->escrow());
}

TEST_F(SettlementTest, FullDeliveryPaysTheSupplierAfterTheDisputeWindow) {
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  const Money escrow = ex.contract(id)->escrow();
  apply(DeliveryReport{at("2026-12-01T12:00:00+08:00"), kSup, id, 240});
  ASSERT_TRUE(saw("rejected")) << "a report before the window ends is refused";
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kBuy, id, 240});
  ASSERT_TRUE(saw("rejected")) << "only the seller reports";
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 241});
  ASSERT_TRUE(saw("rejected")) << "more than contracted";
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 240});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Reported);
  apply(AdvanceTime{at("2026-12-03T07:59:00+08:00")});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Reported);
  apply(AdvanceTime{at("2026-12-03T08:00:00+08:00")});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Settled);
  EXPECT_EQ(cash(kSup), 48'000'000 - 24'000);  // notional minus the maker fee
  EXPECT_EQ(fees(), 48'000 + 24'000);
  EXPECT_EQ(cash(kBuy), 10'000'000'000 - escrow);
  EXPECT_EQ(ex.engine().credit(kBuy).unsettled_bought, 0);
}

TEST_F(SettlementTest, UnderDeliveryRefundsTheBuyerProRata) {
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  const Contract k = *ex.contract(id);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 180});  // 75 %
  apply(AdvanceTime{at("2026-12-03T09:00:00+08:00")});
  ASSERT_EQ(ex.contract(id)->state, ContractState::Settled);
  const Money supplier = k.notional * 3 / 4 - k.seller_fee * 3 / 4;
  const Money fee = k.buyer_fee * 3 / 4 + k.seller_fee * 3 / 4;
  EXPECT_EQ(cash(kSup), supplier);
  EXPECT_EQ(fees(), fee);
  EXPECT_EQ(cash(kBuy), 10'000'000'000 - k.escrow() + (k.escrow() - supplier - fee));
}

TEST_F(SettlementTest, ADisputeHoldsThePayoutUntilAnOperatorResolvesIt) {
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 240});
  apply(Dispute{at("2026-12-02T10:00:00+08:00"), kSup, id});
  ASSERT_TRUE(saw("rejected")) << "only the buyer disputes";
  apply(Dispute{at("2026-12-02T10:00:00+08:00"), kBuy, id});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Disputed);
  apply(AdvanceTime{at("2026-12-05T00:00:00+08:00")});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Disputed) << "no payout while disputed";
  apply(ResolveDispute{at("2026-12-05T00:00:00+08:00"), kBuy, id, 120});
  ASSERT_TRUE(saw("rejected")) << "operators resolve";
  apply(ResolveDispute{at("2026-12-05T00:00:00+08:00"), kOps, id, 120});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Settled);
  EXPECT_EQ(ex.contract(id)->delivered_device_hours, 120);
  EXPECT_GT(cash(kBuy), 10'000'000'000 - ex.contract(id)->escrow());
}

TEST_F(SettlementTest, ALateDisputeIsRefused) {
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 240});
  apply(Dispute{at("2026-12-03T08:00:00+08:00"), kBuy, id});  // the window closed: paid out first
  EXPECT_TRUE(saw("rejected"));
  EXPECT_EQ(ex.contract(id)->state, ContractState::Settled);
  apply(Dispute{at("2026-12-03T08:00:00+08:00"), kBuy, 999});
  EXPECT_TRUE(saw("rejected"));
}

TEST_F(SettlementTest, RevenueIsSplitAcrossTheAgreementsParties) {
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 8000}, {kHost, 2000}}});
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 8000}, {kHost, 1000}}});
  ASSERT_TRUE(saw("rejected")) << "shares must sum to 10000";
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 5000}, {kSup, 5000}}});
  ASSERT_TRUE(saw("rejected")) << "a party appears once";
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(7);
  const Contract k = *ex.contract(id);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 168});
  apply(AdvanceTime{at("2026-12-03T09:00:00+08:00")});
  const Money gross = k.notional - k.seller_fee;
  auto pieces = split_largest_remainder(gross, {8000, 2000});
  EXPECT_EQ(cash(kSup), pieces[0]);
  EXPECT_EQ(cash(kHost), pieces[1]);
  EXPECT_EQ(cash(kSup) + cash(kHost), gross);
  // Each party's revenue (what /balances reports) is what it was paid; the buyer earned nothing.
  EXPECT_EQ(ex.revenue(kSup), pieces[0]);
  EXPECT_EQ(ex.revenue(kHost), pieces[1]);
  EXPECT_EQ(ex.revenue(kBuy), 0);
}

TEST_F(SettlementTest, StatementsListEveryMovementAndReconcile) {
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 8000}, {kHost, 2000}}});
  apply(Deposit{at("2026-11-30T09:00:00+08:00"), kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 180});
  apply(AdvanceTime{at("2026-12-03T09:00:00+08:00")});
  apply(Withdraw{at("2026-12-03T10:00:00+08:00"), kOps, kBuy, 1'000'000});
  auto code = [&](ParticipantId p) { return ex.engine().participant(p)->code; };
  Statement buyer = build_statement(ex.ledger(), kBuy, "BUY", code);
  ASSERT_EQ(buyer.lines.size(), 4u);  // deposit, escrow, refund, withdrawal
  EXPECT_EQ(buyer.lines[0].kind, "deposit");
  EXPECT_EQ(buyer.lines[1].kind, "trade_escrow");
  EXPECT_EQ(buyer.lines[1].counterparty, "escrow:1");
  EXPECT_EQ(buyer.lines[2].kind, "refund");
  EXPECT_EQ(buyer.lines[3].kind, "withdrawal");
  EXPECT_EQ(buyer.closing_balance, cash(kBuy));
  EXPECT_EQ(buyer.lines.back().balance, cash(kBuy));
  StatementPage late;
  late.from = at("2026-12-03T10:00:00+08:00");
  Statement tail = build_statement(ex.ledger(), kBuy, "BUY", code, late);
  ASSERT_EQ(tail.lines.size(), 1u) << "from <= ts: the withdrawal";
  EXPECT_EQ(tail.lines[0].kind, "withdrawal");
  EXPECT_EQ(tail.opening_balance, buyer.lines[2].balance) << "the balance carried in from before the range";
  EXPECT_EQ(tail.closing_balance, cash(kBuy));
  StatementPage early;
  early.to = at("2026-11-30T09:00:01+08:00");
  Statement head = build_statement(ex.ledger(), kBuy, "BUY", code, early);
  ASSERT_EQ(head.lines.size(), 1u) << "ts < to: the deposit";
  EXPECT_EQ(head.lines[0].kind, "deposit");
  EXPECT_FALSE(head.more) << "the rest is outside the range, not a next page";
  Statement host = build_statement(ex.ledger(), kHost, "HOST", code);
  ASSERT_EQ(host.lines.size(), 1u);
  EXPECT_EQ(host.lines[0].kind, "payout");
  EXPECT_EQ(host.closing_balance, cash(kHost));
  const std::string csv = statement_csv(buyer);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "ts,transfer_id,kind,counterparty,debit,credit,balance");
  EXPECT_NE(csv.find("2026-11-30T09:00:00+08:00,1,deposit,bank,0.0000,1000000.0000,1000000.0000"), std::string::npos) << csv;
  const std::string json = statement_json(buyer);
  EXPECT_NE(json.find("\"closing_balance\":\"" + format_fixed(cash(kBuy)) + "\""), std::string::npos) << json;
}

TEST_F(SettlementTest, APayoutDueBeforeACommandIsMadeBeforeIt) {
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 240});
  // Due at 2026-12-03T08:00; the supplier withdraws its revenue at 09:00 without anything in between.
  apply(Withdraw{at("2026-12-03T09:00:00+08:00"), kOps, kSup, 1'000'000});
  EXPECT_FALSE(saw("rejected")) << last();
  EXPECT_EQ(cash(kSup), 48'000'000 - 24'000 - 1'000'000);
}

TEST_F(SettlementTest, SharesOutsideZeroToTenThousandAreRefusedEvenIfTheSumWraps) {
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, INT64_MAX}, {kHost, INT64_MAX}, {kBuy, 10'002}}});
  EXPECT_TRUE(saw("rejected"));
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 10'001}, {kHost, -1}}});
  EXPECT_TRUE(saw("rejected"));
}

TEST_F(SettlementTest, TheAgreementInForceAtTheTradeSplitsItsRevenue) {
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 5000}, {kHost, 5000}}});
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(10);
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 10'000}}});  // too late for this trade
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 240});
  apply(AdvanceTime{at("2026-12-03T09:00:00+08:00")});
  EXPECT_EQ(cash(kSup), cash(kHost));
  EXPECT_EQ(cash(kSup) + cash(kHost), 48'000'000 - 24'000);
}

TEST_F(SettlementTest, DepositsAreBounded) {
  apply(Deposit{0, kOps, kBuy, kMaxNotional});
  EXPECT_FALSE(saw("rejected"));
  apply(Deposit{0, kOps, kBuy, 1});
  EXPECT_TRUE(saw("rejected")) << "cash stays within the notional bound";
  EXPECT_EQ(cash(kBuy), kMaxNotional);
}

// Found by the exchange fuzzer: the ledger's columns only grow, so deposits of nearly kMaxNotional to
// several participants (or repeated through one) would take the bank account's debit column past int64.
// The ledger refused the posting and the exchange counted a ledger failure; now the request is refused.
TEST_F(SettlementTest, DepositsPastTheLedgersColumnsAreRefused) {
  for (ParticipantId p : {kBuy, kSup, kHost, kOps}) apply(Deposit{0, kOps, p, kMaxNotional});
  apply(Withdraw{0, kOps, kOps, kMaxNotional});  // the operator's cash is back under its bound
  EXPECT_FALSE(saw("rejected")) << last();
  // The bank has paid out 4 x kMaxNotional = INT64_MAX - 3: a fifth is refused, and nothing moves.
  apply(Deposit{0, kOps, kOps, kMaxNotional});
  EXPECT_TRUE(saw("rejected"));
  EXPECT_NE(last().find(" " + std::to_string(static_cast<int>(RejectReason::InvalidValue)) + " "), std::string::npos);
  EXPECT_EQ(cash(kOps), 0);
  EXPECT_EQ(ex.engine().credit(kOps).limit, 0);
  apply(Deposit{0, kOps, kOps, 3});  // exactly to INT64_MAX
  EXPECT_FALSE(saw("rejected")) << last();
  apply(Deposit{0, kOps, kOps, 1});
  EXPECT_TRUE(saw("rejected"));
  EXPECT_EQ(cash(kOps), 3);
}

TEST_F(SettlementTest, SnapshotsCarryContractsAgreementsAndTheLedger) {
  apply(SetRevenueShare{0, kOps, kSup, {{kSup, 7000}, {kHost, 3000}}});
  apply(Deposit{0, kOps, kBuy, 10'000'000'000});
  TradeId id = trade(5);
  apply(DeliveryReport{at("2026-12-02T08:00:00+08:00"), kSup, id, 100});
  test::EventText sink;
  Exchange copy(sink);
  ASSERT_TRUE(copy.restore(ex.snapshot()).ok());
  EXPECT_EQ(copy.state_hash(), ex.state_hash());
  EXPECT_EQ(copy.snapshot(), ex.snapshot());
  const Command later = AdvanceTime{at("2026-12-03T09:00:00+08:00")};
  ex.apply(later);
  copy.apply(later);
  EXPECT_EQ(copy.state_hash(), ex.state_hash());
  EXPECT_EQ(copy.contract(id)->state, ContractState::Settled);
  std::string why;
  EXPECT_TRUE(copy.check(why)) << why;
}

// Random streams through the whole exchange: orders from random_stream.hpp plus deposits, withdrawals,
// delivery reports, disputes and resolutions aimed at real contracts. Every cross-check after every
// command; a snapshot restored mid-way must end in the same state.
TEST(SettlementRandom, EveryCommandKeepsCashCreditEscrowAndLedgerInStep) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    test::EventText text;
    test::KnownOrders known;
    api::EventFanout fan{&text, &known};
    Exchange ex(fan,
        ExchangeConfig{.engine = EngineConfig{256, 16}, .dispute_window_ns = 6 * kNanosPerHour, .history = {}});
    std::string why;
    for (const Command& c : test::market_setup()) ex.apply(c);
    for (ParticipantId b : {test::B1, test::B2, test::X}) ex.apply(Deposit{0, test::OPS, b, 20'000'000'000LL});
    ex.apply(SetRevenueShare{0, test::OPS, test::S1, {{test::S1, 6667}, {test::S2, 3333}}});
    test::Generator gen(seed, known);
    std::mt19937_64 rng(seed * 77);
    std::string mid_snapshot;
    std::vector<Command> after_snapshot;
    for (int i = 0; i < 4000; ++i) {
      Command c = gen.next();
      const Timestamp now = ex.engine().now();
      const int dice = static_cast<int>(rng() % 100);
      if (dice < 8 && ex.contract_count() > 0) {
        const TradeId id = 1 + rng() % ex.contract_count();
        const Contract* k = ex.contract(id);
        const int64_t total = k->contracted_device_hours();
        const int64_t delivered = rng() % 4 == 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(total + 1)) : total;
        switch (rng() % 4) {
          case 0: c = DeliveryReport{now, rng() % 10 ? k->seller : k->buyer, id, delivered}; break;
          case 1: c = Dispute{now, k->buyer, id}; break;
          case 2: c = ResolveDispute{now, test::OPS, id, delivered}; break;
          default: c = AdvanceTime{now + static_cast<Timestamp>(rng() % 12) * kNanosPerHour}; break;
        }
      } else if (dice < 11) {
        const ParticipantId who = 1 + rng() % 5;
        const Money amount = static_cast<Money>(rng() % 2'000'000'000);
        if (rng() % 2) c = Deposit{now, test::OPS, who, amount};
        else c = Withdraw{now, test::OPS, who, amount};
      }
      ex.apply(c);
      if (!mid_snapshot.empty()) after_snapshot.push_back(c);
      if (i == 2000) mid_snapshot = ex.snapshot();
      ASSERT_TRUE(ex.check(why)) << "seed " << seed << " command " << i << " (" << to_string(kind_of(c)) << "): " << why;
    }
    size_t settled = 0;
    for (TradeId id = 1; id <= ex.contract_count(); ++id) settled += ex.contract(id)->state == ContractState::Settled;
    // Every participant's statement reconciles to its ledger account.
    for (ParticipantId p = 0; p < ex.engine().participant_count(); ++p) {
      Statement st = build_statement(ex.ledger(), p, ex.engine().participant(p)->code,
                                     [&](ParticipantId q) { return ex.engine().participant(q)->code; });
      const Account* a = ex.ledger().account(cash_account(p));
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(st.closing_balance, a->balance()) << "seed " << seed << " participant " << p;
      EXPECT_EQ(st.total_credits, a->credits_posted);
      EXPECT_EQ(st.total_debits, a->debits_posted);
      const std::string csv = statement_csv(st);
      EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), st.lines.size() + 2);
      // Pages of 7 lines, each continuing after the last transfer of the one before, put together are the
      // whole statement, balances included.
      std::vector<StatementLine> paged;
      StatementPage page;
      page.limit = 7;
      Money carried = 0;
      for (;;) {
        Statement part = build_statement(ex.ledger(), p, ex.engine().participant(p)->code,
                                         [&](ParticipantId q) { return ex.engine().participant(q)->code; }, page);
        ASSERT_EQ(part.opening_balance, carried) << "seed " << seed << " participant " << p;
        ASSERT_LE(part.lines.size(), 7u);
        paged.insert(paged.end(), part.lines.begin(), part.lines.end());
        carried = part.closing_balance;
        if (!part.more) break;
        page.after = part.lines.back().transfer_id;
      }
      ASSERT_EQ(paged.size(), st.lines.size()) << "seed " << seed << " participant " << p;
      for (size_t k = 0; k < paged.size(); ++k) {
        EXPECT_EQ(paged[k].transfer_id, st.lines[k].transfer_id);
        EXPECT_EQ(paged[k].balance, st.lines[k].balance);
      }
      EXPECT_EQ(carried, st.closing_balance);
    }
    EXPECT_GT(ex.contract_count(), 10u) << "seed " << seed;
    EXPECT_GT(settled, 0u) << "seed " << seed;

    test::EventText sink;
    Exchange copy(sink,
        ExchangeConfig{.engine = EngineConfig{256, 16}, .dispute_window_ns = 6 * kNanosPerHour, .history = {}});
    ASSERT_TRUE(copy.restore(mid_snapshot).ok());
    for (const Command& c : after_snapshot) copy.apply(c);
    EXPECT_EQ(copy.state_hash(), ex.state_hash()) << "seed " << seed;
    // The per-account index is rebuilt from a snapshot: the same statements.
    for (ParticipantId p = 0; p < ex.engine().participant_count(); ++p) {
      auto code = [&](ParticipantId q) { return ex.engine().participant(q)->code; };
      EXPECT_EQ(statement_csv(build_statement(copy.ledger(), p, code(p), code)),
                statement_csv(build_statement(ex.ledger(), p, code(p), code)))
          << "seed " << seed << " participant " << p;
    }
  }
}

}  // namespace
}  // namespace cpx::persistence
