// The order history (persistence/order_history.hpp) against what the engine itself holds and what its
// events said, on seeded random streams: every open order with the engine's own figures, every fill of
// every trade, an order's filled quantity and money as the sum of its trades; equal after a snapshot
// round trip; closed orders forgotten after the retention, open ones never.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "exchange.hpp"
#include "json/event_fanout.hpp"
#include "random_stream.hpp"

namespace cpx::test {
namespace {

using persistence::Exchange;
using persistence::ExchangeConfig;
using persistence::OrderRecord;
using persistence::OrderStatus;

// What the events said, kept independently of the history.
struct Seen final : EventListener {
  struct Sum {
    Quantity filled = 0;
    Money notional = 0, fees = 0;
  };
  std::map<OrderId, Sum> by_order;
  std::map<ParticipantId, std::vector<TradeId>> fills;
  std::map<OrderId, ParticipantId> owner;
  std::set<OrderId> closed;
  void on_accepted(const OrderAccepted& e) override { owner[e.order_id] = e.participant; }
  void on_trade(const Trade& e) override {
    by_order[e.buy_order_id].filled += e.qty;
    by_order[e.buy_order_id].notional += e.notional;
    by_order[e.buy_order_id].fees += e.buyer_fee;
    by_order[e.sell_order_id].filled += e.qty;
    by_order[e.sell_order_id].notional += e.notional;
    by_order[e.sell_order_id].fees += e.seller_fee;
    fills[e.buyer].push_back(e.trade_id);
    fills[e.seller].push_back(e.trade_id);
    if (e.buy_remaining == 0) closed.insert(e.buy_order_id);
    if (e.sell_remaining == 0) closed.insert(e.sell_order_id);
  }
  void on_done(const OrderDone& e) override { closed.insert(e.order_id); }
};

// The market of random_stream.hpp, with cash deposited instead of credit set (credit follows cash here).
std::vector<Command> exchange_setup() {
  std::vector<Command> out;
  for (Command& c : market_setup()) {
    if (const SetCredit* credit = std::get_if<SetCredit>(&c)) {
      out.push_back(Deposit{credit->ts, kExchangeParticipant, credit->participant, credit->limit});
    } else {
      out.push_back(std::move(c));
    }
  }
  return out;
}

void check_against_engine(const Exchange& x, const Seen& seen, const std::string& where) {
  const auto& h = x.history();
  const MatchingEngine& engine = x.engine();
  for (ParticipantId p = 1; p <= OPS; ++p) {
    const auto open = h.open_orders(p);
    ASSERT_EQ(static_cast<int64_t>(open.size()), engine.open_orders_of(p)) << where << " participant " << p;
    for (const OrderRecord* r : open) {
      OrderView v{};
      ASSERT_TRUE(engine.find_order(r->order_id, v)) << where << " order " << r->order_id << " is open in the history only";
      EXPECT_EQ(r->leaves, v.remaining) << where << " order " << r->order_id;
      EXPECT_EQ(r->filled, v.filled) << where << " order " << r->order_id;
      EXPECT_EQ(r->qty, v.qty) << where << " order " << r->order_id;
      EXPECT_EQ(r->price, v.price) << where << " order " << r->order_id;
      EXPECT_EQ(r->cl_ord_id.view(), v.cl_ord_id) << where;
      EXPECT_EQ(r->status, r->filled > 0 ? OrderStatus::PartiallyFilled : OrderStatus::New) << where;
    }
    // Every fill, in trade id order, none twice.
    const auto fills = h.fills(p, 0, INT64_MIN, INT64_MAX, 1'000'000);
    std::vector<TradeId> ids;
    for (const auto* f : fills) ids.push_back(f->trade_id);
    const auto it = seen.fills.find(p);
    EXPECT_EQ(ids, it == seen.fills.end() ? std::vector<TradeId>{} : it->second) << where << " participant " << p;
  }
  for (const auto& [id, owner] : seen.owner) {
    const OrderRecord* r = h.order(id);
    ASSERT_NE(r, nullptr) << where << " order " << id << " is missing";
    EXPECT_EQ(r->participant, owner);
    const auto sum = seen.by_order.find(id);
    const Seen::Sum s = sum == seen.by_order.end() ? Seen::Sum{} : sum->second;
    EXPECT_EQ(r->filled, s.filled) << where << " order " << id;
    EXPECT_EQ(r->notional, s.notional) << where << " order " << id;
    EXPECT_EQ(r->fees, s.fees) << where << " order " << id;
    EXPECT_EQ(r->open(), !seen.closed.count(id)) << where << " order " << id;
    if (!r->open()) {
      EXPECT_TRUE(r->reason.has_value()) << where << " order " << id;
    }
    if (r->filled == r->qty && r->qty > 0 && !r->open()) {
      EXPECT_EQ(r->status, OrderStatus::Filled);
    }
  }
}

TEST(OrderHistory, MatchesTheEngineAndTheEventsOnRandomStreams) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    Seen seen;
    KnownOrders known;
    api::EventFanout fan{&seen, &known};
    Exchange x(fan);
    for (const Command& c : exchange_setup()) x.apply(c);
    Generator gen(seed, known);
    int trades_seen = 0;
    for (int i = 0; i < 4000; ++i) {
      x.apply(gen.next());
      if (i % 500 == 499) check_against_engine(x, seen, "seed " + std::to_string(seed) + " step " + std::to_string(i));
    }
    for (const auto& [p, ids] : seen.fills) trades_seen += static_cast<int>(ids.size());
    EXPECT_GT(trades_seen, 50) << "seed " << seed << ": the stream trades";
    EXPECT_GT(x.history().order_count(), 500u);
  }
}

TEST(OrderHistory, ARestoredExchangeHasTheSameHistory) {
  // A short retention, so orders are forgotten while both go on: what is kept must not depend on when the
  // exchange was started (it did: pruning ran a minute after whenever it last ran).
  ExchangeConfig config;
  config.history.retention_ns = 20 * 60 * kNanosPerSecond;
  for (int restore_at : {1800, 2500, 2777}) {
    // The last time with small caps too: what goes past them must go alike.
    config.history.max_closed = restore_at == 2777 ? 30 : 100'000;
    config.history.max_fills = restore_at == 2777 ? 40 : 100'000;
    Seen seen;
    KnownOrders known;
    api::EventFanout fan{&seen, &known};
    Exchange x(fan, config);
    for (const Command& c : exchange_setup()) x.apply(c);
    Generator gen(3, known);
    for (int i = 0; i < restore_at; ++i) x.apply(gen.next());
    ASSERT_GT(x.history().order_count(), 0u);
    Seen seen_after;
    Exchange y(seen_after, config);
    auto ok = y.restore(x.snapshot());
    ASSERT_TRUE(ok.ok()) << ok.error().text;
    EXPECT_EQ(y.state_hash(), x.state_hash());
    EXPECT_EQ(y.history().order_count(), x.history().order_count());
    EXPECT_EQ(y.history().fill_count(), x.history().fill_count());
    // Both go on alike, the clock moving on by minutes at times.
    const size_t forgotten_before = seen.owner.size() - x.history().order_count();
    for (int i = 0; i < 600; ++i) {
      Command c = i % 40 == 39 ? Command{AdvanceTime{gen.now += 7 * 60 * kNanosPerSecond + 1234}} : gen.next();
      x.apply(c);
      y.apply(c);
      if (i % 25 == 0) {
        ASSERT_EQ(y.state_hash(), x.state_hash()) << "restored at " << restore_at << ", step " << i;
      }
    }
    EXPECT_EQ(y.state_hash(), x.state_hash());
    EXPECT_GT(seen.owner.size() - x.history().order_count(), forgotten_before) << "orders were forgotten meanwhile";
  }
}

TEST(OrderHistory, APerParticipantCapKeepsTheNewestClosedOrdersAndFills) {
  Seen seen;
  KnownOrders known;
  api::EventFanout fan{&seen, &known};
  ExchangeConfig config;
  config.history.max_closed = 25;
  config.history.max_fills = 30;
  Exchange x(fan, config);
  for (const Command& c : exchange_setup()) x.apply(c);
  Generator gen(7, known);
  for (int i = 0; i < 3000; ++i) x.apply(gen.next());
  for (ParticipantId p = 1; p <= OPS; ++p) {
    const auto open = x.history().open_orders(p);
    EXPECT_EQ(static_cast<int64_t>(open.size()), x.engine().open_orders_of(p)) << "open orders are never dropped";
    const auto kept = x.history().orders(p, kNoInstrument, 0, 1'000'000);
    EXPECT_LE(kept.size(), open.size() + 25) << "participant " << p;
    const auto fills = x.history().fills(p, 0, INT64_MIN, INT64_MAX, 1'000'000);
    EXPECT_LE(fills.size(), 30u);
    // The newest fills are the ones kept.
    const auto it = seen.fills.find(p);
    if (it != seen.fills.end() && it->second.size() >= 30) {
      ASSERT_EQ(fills.size(), 30u);
      EXPECT_EQ(fills.back()->trade_id, it->second.back());
      EXPECT_EQ(fills.front()->trade_id, it->second[it->second.size() - 30]);
    }
  }
  size_t closed_seen = 0;
  for (const auto& [id, owner] : seen.owner) closed_seen += seen.closed.count(id);
  EXPECT_GT(closed_seen, 6 * 25u) << "the stream closes more orders than the caps keep";
  // A client id still names its order when kept, and nothing once forgotten.
  for (const auto& [id, owner] : seen.owner) {
    const OrderRecord* r = x.history().order(id);
    if (r && r->route_id == 0 && !r->cl_ord_id.empty()) {
      const OrderRecord* named = x.history().order_by_cl_ord_id(owner, r->cl_ord_id.view());
      ASSERT_NE(named, nullptr) << "order " << id;
      EXPECT_EQ(named->participant, owner);
      EXPECT_EQ(named->cl_ord_id.view(), r->cl_ord_id.view());
    }
  }
}

TEST(OrderHistory, ClosedOrdersAndFillsAreForgottenAfterTheRetentionOpenOnesNever) {
  Seen seen;
  KnownOrders known;
  api::EventFanout fan{&seen, &known};
  ExchangeConfig config;
  config.history.retention_ns = 2 * kNanosPerDay;
  Exchange x(fan, config);
  for (const Command& c : exchange_setup()) x.apply(c);
  Generator gen(5, known);
  for (int i = 0; i < 1500; ++i) x.apply(gen.next());
  const auto open_before = x.history().open_orders(B2).size() + x.history().open_orders(S2).size();
  ASSERT_GT(x.history().order_count(), x.engine().open_orders_of(B2) + x.engine().open_orders_of(S2) + 0u);
  ASSERT_GT(x.history().fill_count(), 0u);
  // Three days on (a clock command; GTC orders of books still listed stay open).
  x.apply(AdvanceTime{gen.now + 3 * kNanosPerDay});
  size_t open_now = 0, kept = 0;
  for (ParticipantId p = 1; p <= OPS; ++p) {
    open_now += x.history().open_orders(p).size();
    EXPECT_EQ(static_cast<int64_t>(x.history().open_orders(p).size()), x.engine().open_orders_of(p));
    kept += x.history().orders(p, kNoInstrument, 0, 1'000'000).size();
  }
  EXPECT_EQ(kept, open_now) << "every closed order is forgotten, every open one kept";
  EXPECT_EQ(x.history().order_count(), open_now);
  EXPECT_EQ(x.history().fill_count(), 0u);
  (void)open_before;
}

}  // namespace
}  // namespace cpx::test
