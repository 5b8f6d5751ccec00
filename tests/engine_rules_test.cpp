// The rules of the matching core (docs/PRODUCT.md §3.1), one hand-picked case per rule. Each test states the rule
// in its name and asserts the exact event sequence and the resulting book, credit or capacity state.
// Event line format: see engine_fixture.hpp. Prices print with four decimals (18.5000 = 18.50 CNY per
// device-hour); the standard instrument NM.H100.D.2026-12-01 is a 24-hour window of H100 (989 SCU).
#include <gtest/gtest.h>

#include <set>

#include "engine_fixture.hpp"

namespace cpx::test {
namespace {

class RulesTest : public EngineFixture {};

constexpr const char* kOther = "NM.H100.D.2026-12-03";  // a second day instrument, gate closure 12-02 23:00

// ===================================================================== matching: price-time priority

TEST_F(RulesTest, LimitOrderRestsWhenNothingCrosses) {
  EXPECT_EQ(send(buy(BUY1, "18.00", 5, "b1")), 1u);
  EXPECT_EQ(send(sell(SUP1, "18.50", 3, "s1")), 2u);
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 b1 buy limit gtc 18.0000x5",
                            "book buy 18.0000 5/1",
                            "accepted #2 s1 sell limit gtc 18.5000x3",
                            "book sell 18.5000 3/1",
                        }));
  EXPECT_EQ(levels(Side::Buy), Lines({"18.0000 5/1"}));
  EXPECT_EQ(levels(Side::Sell), Lines({"18.5000 3/1"}));
  OrderView v = order(1);
  EXPECT_EQ(v.participant, BUY1);
  EXPECT_EQ(v.cl_ord_id, "b1");
  EXPECT_EQ(v.price, 180000);
  EXPECT_EQ(v.qty, 5);
  EXPECT_EQ(v.remaining, 5);
  EXPECT_EQ(v.filled, 0);
  EXPECT_EQ(v.expire_at, 0);
  EXPECT_EQ(engine.open_order_count(), 2u);
  EXPECT_EQ(engine.open_orders_of(BUY1), 1);
}

TEST_F(RulesTest, BestPriceTradesFirstAtTheRestingPrice) {
  send(sell(SUP1, "19.00", 1, "s1"));  // #1
  send(sell(SUP1, "18.50", 1, "s2"));  // #2
  send(sell(SUP2, "18.75", 1, "s3"));  // #3
  rec.clear();
  send(buy(BUY1, "19.50", 3, "b"));  // #4 pays each resting price, never its own limit
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #4 b buy limit gtc 19.5000x3",
                            "trade 18.5000x1 buy#4(2) sell#2(0) aggr=buy",
                            "trade 18.7500x1 buy#4(1) sell#3(0) aggr=buy",
                            "trade 19.0000x1 buy#4(0) sell#1(0) aggr=buy",
                            "book sell 18.5000 0/0",
                            "book sell 18.7500 0/0",
                            "book sell 19.0000 0/0",
                        }));
  EXPECT_TRUE(levels(Side::Sell).empty());
  EXPECT_TRUE(levels(Side::Buy).empty());
  EXPECT_EQ(engine.open_order_count(), 0u);
  EXPECT_EQ(engine.reference_price(inst), px("19.00"));  // the last trade price
}

TEST_F(RulesTest, SellAggressorTradesAtTheRestingBidPrice) {
  send(buy(BUY1, "18.40", 2, "b1"));  // #1
  send(buy(BUY2, "18.60", 2, "b2"));  // #2
  rec.clear();
  send(sell(SUP1, "18.00", 3, "s"));  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 s sell limit gtc 18.0000x3",
                            "trade 18.6000x2 buy#2(0) sell#3(1) aggr=sell",
                            "trade 18.4000x1 buy#1(1) sell#3(0) aggr=sell",
                            "book buy 18.6000 0/0",
                            "book buy 18.4000 1/1",
                        }));
}

TEST_F(RulesTest, EarlierOrderAtTheSamePriceTradesFirst) {
  send(sell(SUP1, "18.50", 2, "first"));   // #1
  send(sell(SUP2, "18.50", 2, "second"));  // #2
  EXPECT_EQ(queue(Side::Sell), Ids({1, 2}));
  rec.clear();
  send(buy(BUY1, "18.50", 3, "b"));  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 b buy limit gtc 18.5000x3",
                            "trade 18.5000x2 buy#3(1) sell#1(0) aggr=buy",
                            "trade 18.5000x1 buy#3(0) sell#2(1) aggr=buy",
                            "book sell 18.5000 1/1",
                        }));
  EXPECT_EQ(queue(Side::Sell), Ids({2}));
  EXPECT_EQ(order(2).remaining, 1);
  EXPECT_EQ(order(2).filled, 1);
  EXPECT_EQ(order(2).qty, 2);
}

TEST_F(RulesTest, LimitRemainderRestsAfterPartialFill) {
  send(sell(SUP1, "18.50", 2, "s"));  // #1
  rec.clear();
  send(buy(BUY1, "18.60", 5, "b"));  // #2
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #2 b buy limit gtc 18.6000x5",
                            "trade 18.5000x2 buy#2(3) sell#1(0) aggr=buy",
                            "book sell 18.5000 0/0",
                            "book buy 18.6000 3/1",
                        }));
  OrderView v = order(2);
  EXPECT_EQ(v.qty, 5);
  EXPECT_EQ(v.remaining, 3);
  EXPECT_EQ(v.filled, 2);
  EXPECT_EQ(levels(Side::Buy), Lines({"18.6000 3/1"}));
}

TEST_F(RulesTest, TradeCarriesHoursScuPricePerScuHourAndNotional) {
  send(sell(SUP1, "18.52", 4, "s"));  // #1
  rec.clear();
  send(buy(BUY1, "19.00", 4, "b"));  // #2
  auto trades = rec.of<Trade>();
  ASSERT_EQ(trades.size(), 1u);
  const Trade& t = trades[0].e;
  EXPECT_EQ(t.ts, t0);
  EXPECT_EQ(t.trade_id, 1u);
  EXPECT_EQ(t.instrument, inst);
  EXPECT_EQ(t.price, 185200);
  EXPECT_EQ(t.qty, 4);
  EXPECT_EQ(t.buy_order_id, 2u);
  EXPECT_EQ(t.sell_order_id, 1u);
  EXPECT_EQ(t.buyer, BUY1);
  EXPECT_EQ(t.seller, SUP1);
  EXPECT_EQ(trades[0].s1, "b");
  EXPECT_EQ(trades[0].s2, "s");
  EXPECT_EQ(t.aggressor, Side::Buy);
  EXPECT_EQ(t.buy_remaining, 0);
  EXPECT_EQ(t.sell_remaining, 0);
  EXPECT_EQ(t.hours, 24);
  EXPECT_EQ(t.scu, 4 * 989);
  // 18.52 / 989 = 0.018725985.. -> 0.01872599 (eight decimals, the half-up side of the rounding)
  EXPECT_EQ(t.price_per_scu_hour, 1872599);
  EXPECT_EQ(t.notional, 185200LL * 4 * 24);  // 1,777.92 CNY

  // 18.50 / 989 = 0.0187057634.. -> 0.01870576 (rounds down); second trade id is 2.
  send(sell(SUP2, "18.50", 1, "s2"));
  rec.clear();
  send(buy(BUY2, "18.50", 1, "b2"));
  trades = rec.of<Trade>();
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0].e.trade_id, 2u);
  EXPECT_EQ(trades[0].e.price_per_scu_hour, 1870576);
  EXPECT_EQ(trades[0].e.scu, 989);
  EXPECT_EQ(trades[0].e.notional, 185000LL * 24);
}

TEST_F(RulesTest, TradeNormalisedViewUsesTheClassScuAndTheWindowHours) {
  // A general-family class (5 SCU per 64-vCPU node) over a one-week window (168 hours).
  InstrumentId cpu = list("NM.CPU-X86-64V.W.2026-W50");
  ASSERT_NE(cpu, kNoInstrument);
  EXPECT_EQ(engine.instrument(cpu)->hours, 168);
  EXPECT_EQ(engine.instrument(cpu)->scu_per_device, 5);
  NewOrder s = sell(SUP1, "2.00", 3, "s");
  s.instrument = cpu;
  NewOrder b = buy(BUY1, "2.00", 3, "b");
  b.instrument = cpu;
  send(s);
  rec.clear();
  send(b);
  auto trades = rec.of<Trade>();
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0].e.hours, 168);
  EXPECT_EQ(trades[0].e.scu, 15);
  EXPECT_EQ(trades[0].e.price_per_scu_hour, 40'000'000);  // 2.00 / 5 = 0.40000000 CNY per SCU-hour
  EXPECT_EQ(trades[0].e.notional, 20000LL * 3 * 168);
}

TEST_F(RulesTest, EventsPerCommandAreAcceptedTradesDoneThenBookChanges) {
  send(sell(SUP1, "18.50", 2, "a"));  // #1
  send(sell(SUP2, "18.75", 1, "b"));  // #2
  send(sell(SUP1, "18.75", 1, "c"));  // #3
  send(sell(SUP2, "19.00", 1, "d"));  // #4 (not reached)
  rec.clear();
  send(limit(BUY1, Side::Buy, "18.75", 5, "x", TimeInForce::IOC));  // #5
  // Fully filled resting orders get no done event: their trade's remaining 0 says it. One book change per
  // touched level, in first-touch order, with the level's final state.
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #5 x buy limit ioc 18.7500x5",
                            "trade 18.5000x2 buy#5(3) sell#1(0) aggr=buy",
                            "trade 18.7500x1 buy#5(2) sell#2(0) aggr=buy",
                            "trade 18.7500x1 buy#5(1) sell#3(0) aggr=buy",
                            "done #5 x immediate_remainder cancelled=1 filled=4",
                            "book sell 18.5000 0/0",
                            "book sell 18.7500 0/0",
                        }));
  EXPECT_EQ(levels(Side::Sell), Lines({"19.0000 1/1"}));
  EXPECT_TRUE(levels(Side::Buy).empty());
}

// ===================================================================== order types

TEST_F(RulesTest, MarketOrderMustBeIocOrFok) {
  NewOrder gtc = market(BUY1, Side::Buy, 1, "m1", TimeInForce::GTC);
  NewOrder day = market(BUY1, Side::Buy, 1, "m2", TimeInForce::DAY);
  NewOrder gtd = market(BUY1, Side::Buy, 1, "m3", TimeInForce::GTD);
  gtd.expire_at = t0 + kNanosPerHour;
  EXPECT_EQ(send(gtc), 0u);
  EXPECT_EQ(send(day), 0u);
  EXPECT_EQ(send(gtd), 0u);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order m1 invalid_order_type",
                            "rejected new_order m2 invalid_order_type",
                            "rejected new_order m3 invalid_order_type",
                        }));
  EXPECT_EQ(engine.open_order_count(), 0u);
}

TEST_F(RulesTest, MarketIocTakesWhatIsThereAndCancelsTheRest) {
  send(sell(SUP1, "18.50", 2, "s1"));  // #1
  send(sell(SUP2, "19.00", 1, "s2"));  // #2
  rec.clear();
  send(market(BUY1, Side::Buy, 5, "m"));  // #3, no reference price yet: no band
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 m buy market ioc 0.0000x5",
                            "trade 18.5000x2 buy#3(3) sell#1(0) aggr=buy",
                            "trade 19.0000x1 buy#3(2) sell#2(0) aggr=buy",
                            "done #3 m immediate_remainder cancelled=2 filled=3",
                            "book sell 18.5000 0/0",
                            "book sell 19.0000 0/0",
                        }));
  // Market sell into bids.
  send(buy(BUY1, "18.90", 1, "b"));  // #4
  rec.clear();
  send(market(SUP1, Side::Sell, 1, "ms"));  // #5
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #5 ms sell market ioc 0.0000x1",
                            "trade 18.9000x1 buy#4(0) sell#5(0) aggr=sell",
                            "book buy 18.9000 0/0",
                        }));
}

TEST_F(RulesTest, MarketFokFillsCompletelyOrNotAtAll) {
  send(sell(SUP1, "18.50", 2, "s1"));  // #1
  send(sell(SUP2, "19.00", 1, "s2"));  // #2
  rec.clear();
  send(market(BUY1, Side::Buy, 4, "f1", TimeInForce::FOK));  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 f1 buy market fok 0.0000x4",
                            "done #3 f1 fok_not_filled cancelled=4 filled=0",
                        }));
  EXPECT_EQ(levels(Side::Sell), Lines({"18.5000 2/1", "19.0000 1/1"}));
  send(market(BUY1, Side::Buy, 3, "f2", TimeInForce::FOK));  // #4
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #4 f2 buy market fok 0.0000x3",
                            "trade 18.5000x2 buy#4(1) sell#1(0) aggr=buy",
                            "trade 19.0000x1 buy#4(0) sell#2(0) aggr=buy",
                            "book sell 18.5000 0/0",
                            "book sell 19.0000 0/0",
                        }));
}

TEST_F(RulesTest, IocLimitNeverRests) {
  send(limit(BUY1, Side::Buy, "18.00", 5, "i", TimeInForce::IOC));  // #1
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 i buy limit ioc 18.0000x5",
                            "done #1 i immediate_remainder cancelled=5 filled=0",
                        }));
  EXPECT_TRUE(levels(Side::Buy).empty());
  EXPECT_FALSE(is_open(1));
  EXPECT_EQ(engine.credit(BUY1).open_buy, 0);
  EXPECT_EQ(engine.open_orders_of(BUY1), 0);
}

TEST_F(RulesTest, FokLimitNotFilledLeavesNoTrace) {
  send(sell(SUP1, "18.50", 2, "s1"));  // #1
  send(sell(SUP2, "18.60", 2, "s2"));  // #2
  const Quantity headroom = engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02"));
  rec.clear();
  send(limit(BUY1, Side::Buy, "18.60", 5, "f", TimeInForce::FOK));   // #3: 4 available
  send(limit(BUY1, Side::Buy, "18.55", 3, "g", TimeInForce::FOK));   // #4: only 2 within the limit
  send(limit(SUP1, Side::Sell, "18.00", 1, "h", TimeInForce::FOK));  // #5: no bids at all
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 f buy limit fok 18.6000x5",
                            "done #3 f fok_not_filled cancelled=5 filled=0",
                            "accepted #4 g buy limit fok 18.5500x3",
                            "done #4 g fok_not_filled cancelled=3 filled=0",
                            "accepted #5 h sell limit fok 18.0000x1",
                            "done #5 h fok_not_filled cancelled=1 filled=0",
                        }));
  EXPECT_EQ(levels(Side::Sell), Lines({"18.5000 2/1", "18.6000 2/1"}));
  EXPECT_EQ(queue(Side::Sell), Ids({1, 2}));
  EXPECT_EQ(engine.credit(BUY1).open_buy, 0);
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, 0);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02")), headroom);
  EXPECT_EQ(engine.reference_price(inst), 0);

  send(limit(BUY1, Side::Buy, "18.60", 4, "k", TimeInForce::FOK));  // #6: exactly fillable
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #6 k buy limit fok 18.6000x4",
                            "trade 18.5000x2 buy#6(2) sell#1(0) aggr=buy",
                            "trade 18.6000x2 buy#6(0) sell#2(0) aggr=buy",
                            "book sell 18.5000 0/0",
                            "book sell 18.6000 0/0",
                        }));
}

TEST_F(RulesTest, PostOnlyRestsOrIsRejectedIfItWouldCross) {
  send(sell(SUP1, "18.50", 2, "s"));  // #1
  rec.clear();
  NewOrder cross = buy(BUY1, "18.50", 3, "p1");
  cross.post_only = true;
  NewOrder passive = buy(BUY1, "18.49", 3, "p2");
  passive.post_only = true;
  NewOrder day = limit(BUY2, Side::Buy, "18.40", 1, "p3", TimeInForce::DAY);
  day.post_only = true;
  NewOrder sell_cross = sell(SUP2, "18.49", 1, "p4");
  sell_cross.post_only = true;
  EXPECT_EQ(send(cross), 0u);
  EXPECT_EQ(send(passive), 2u);
  EXPECT_EQ(send(day), 3u);
  EXPECT_EQ(send(sell_cross), 0u);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order p1 post_only_would_cross",
                            "accepted #2 p2 buy limit gtc post_only 18.4900x3",
                            "book buy 18.4900 3/1",
                            "accepted #3 p3 buy limit day post_only 18.4000x1",
                            "book buy 18.4000 1/1",
                            "rejected new_order p4 post_only_would_cross",
                        }));
  EXPECT_TRUE(rec.of<Trade>().empty());
  EXPECT_EQ(levels(Side::Sell), Lines({"18.5000 2/1"}));
  EXPECT_EQ(engine.credit(BUY1).open_buy, day_notional("18.49", 3));
  // A post-only order replaced to a crossing price is rejected the same way and stays as it was.
  replace(BUY1, 2, "18.50", 0);
  EXPECT_EQ(rec.take(), Lines({"rejected replace #2 post_only_would_cross"}));
  EXPECT_EQ(order(2).price, px("18.49"));
}

TEST_F(RulesTest, PostOnlyOnlyForRestingLimitOrders) {
  NewOrder ioc = limit(BUY1, Side::Buy, "18.00", 1, "a", TimeInForce::IOC);
  ioc.post_only = true;
  NewOrder fok = limit(BUY1, Side::Buy, "18.00", 1, "b", TimeInForce::FOK);
  fok.post_only = true;
  NewOrder mkt = market(BUY1, Side::Buy, 1, "c");
  mkt.post_only = true;
  NewOrder gtd = limit(BUY1, Side::Buy, "18.00", 1, "d", TimeInForce::GTD);
  gtd.post_only = true;
  gtd.expire_at = t0 + kNanosPerHour;
  send(ioc);
  send(fok);
  send(mkt);
  send(gtd);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a invalid_order_type",
                            "rejected new_order b invalid_order_type",
                            "rejected new_order c invalid_order_type",
                            "accepted #1 d buy limit gtd post_only 18.0000x1",
                            "book buy 18.0000 1/1",
                        }));
}

// ===================================================================== expiry: GTD and DAY

TEST_F(RulesTest, GtdNeedsAFutureExpiryAndOtherOrdersTakeNone) {
  NewOrder none = limit(BUY1, Side::Buy, "18.00", 1, "a", TimeInForce::GTD);  // expire_at 0
  NewOrder past = limit(BUY1, Side::Buy, "18.00", 1, "b", TimeInForce::GTD);
  past.expire_at = t0;  // not after now
  NewOrder gtc = limit(BUY1, Side::Buy, "18.00", 1, "c", TimeInForce::GTC);
  gtc.expire_at = t0 + kNanosPerHour;
  NewOrder day = limit(BUY1, Side::Buy, "18.00", 1, "d", TimeInForce::DAY);
  day.expire_at = t0 + kNanosPerHour;
  NewOrder ioc = limit(BUY1, Side::Buy, "18.00", 1, "e", TimeInForce::IOC);
  ioc.expire_at = t0 + kNanosPerHour;
  NewOrder ok = limit(BUY1, Side::Buy, "18.00", 1, "f", TimeInForce::GTD);
  ok.expire_at = t0 + 1;
  for (const NewOrder& o : {none, past, gtc, day, ioc, ok}) send(o);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a invalid_expiry",
                            "rejected new_order b invalid_expiry",
                            "rejected new_order c invalid_expiry",
                            "rejected new_order d invalid_expiry",
                            "rejected new_order e invalid_expiry",
                            "accepted #1 f buy limit gtd 18.0000x1",
                            "book buy 18.0000 1/1",
                        }));
  EXPECT_EQ(order(1).expire_at, t0 + 1);
}

TEST_F(RulesTest, GtdOrderExpiresAtItsExpiryTime) {
  NewOrder g = limit(BUY1, Side::Buy, "18.00", 5, "g", TimeInForce::GTD);
  g.expire_at = iso("2026-11-30T12:00:00+08:00");
  send(g);  // #1
  rec.clear();
  advance(g.expire_at - 1);
  EXPECT_TRUE(rec.take().empty());
  EXPECT_TRUE(is_open(1));
  advance(iso("2026-11-30T12:30:00+08:00"));
  auto done = rec.of<OrderDone>();
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 g expired_gtd cancelled=5 filled=0",
                            "book buy 18.0000 0/0",
                        }));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].e.ts, iso("2026-11-30T12:00:00+08:00"));
  EXPECT_TRUE(done_is_expiry(done[0].e.reason));
  EXPECT_FALSE(is_open(1));
  EXPECT_EQ(engine.credit(BUY1).open_buy, 0);
  EXPECT_EQ(engine.now(), iso("2026-11-30T12:30:00+08:00"));
}

TEST_F(RulesTest, DayOrderExpiresAtTheNextCstMidnight) {
  InstrumentId other = list(kOther);
  rec.clear();
  NewOrder d = limit(BUY1, Side::Buy, "18.00", 2, "d", TimeInForce::DAY);
  d.instrument = other;
  send(d);  // #1 at 2026-11-30 09:00 CST
  auto acc = rec.of<OrderAccepted>();
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_EQ(acc[0].e.expire_at, iso("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(order(1).expire_at, iso("2026-12-01T00:00:00+08:00"));
  rec.clear();
  advance(iso("2026-11-30T23:59:59.999999999+08:00"));
  EXPECT_EQ(rec.take(), Lines({"state NM.H100.D.2026-12-01 closed"}));  // the main book's gate closure
  EXPECT_TRUE(is_open(1));
  advance(iso("2026-12-01T08:00:00+08:00"));
  auto done = rec.of<OrderDone>();
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 d expired_day cancelled=2 filled=0 @NM.H100.D.2026-12-03",
                            "book buy 18.0000 0/0 @NM.H100.D.2026-12-03",
                        }));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].e.ts, iso("2026-12-01T00:00:00+08:00"));
}

TEST_F(RulesTest, AnyCommandMovesTimeAndDueEventsComeFirst) {
  NewOrder g = limit(BUY1, Side::Buy, "18.00", 1, "g", TimeInForce::GTD);
  g.expire_at = iso("2026-11-30T10:00:00+08:00");
  send(g);  // #1
  rec.clear();
  now = iso("2026-11-30T11:00:00+08:00");
  send(buy(BUY2, "17.00", 1, "n"));  // #2: its ts passes #1's expiry, which fires before it
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 g expired_gtd cancelled=1 filled=0",
                            "book buy 18.0000 0/0",
                            "accepted #2 n buy limit gtc 17.0000x1",
                            "book buy 17.0000 1/1",
                        }));
  EXPECT_EQ(engine.now(), iso("2026-11-30T11:00:00+08:00"));
  // Time never goes back: an older ts leaves the clock where it is.
  now = iso("2026-11-30T10:30:00+08:00");
  cancel(BUY2, 2);
  EXPECT_EQ(engine.now(), iso("2026-11-30T11:00:00+08:00"));
  auto done = rec.of<OrderDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].e.ts, iso("2026-11-30T11:00:00+08:00"));
}

// ===================================================================== cancel

TEST_F(RulesTest, CancelByOwnerRemovesTheOrderAndReleasesCredit) {
  send(buy(BUY1, "18.00", 5, "b"));  // #1
  send(sell(SUP1, "18.00", 2, "s"));  // #2 fills 2 of #1
  EXPECT_EQ(engine.credit(BUY1).open_buy, day_notional("18.00", 3));
  rec.clear();
  cancel(BUY1, 1, "c1");
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 b cancelled cancelled=3 filled=2",
                            "book buy 18.0000 0/0",
                        }));
  EXPECT_FALSE(is_open(1));
  EXPECT_TRUE(levels(Side::Buy).empty());
  EXPECT_EQ(engine.credit(BUY1).open_buy, 0);
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, day_notional("18.00", 2));
  EXPECT_EQ(engine.open_orders_of(BUY1), 0);
}

// Defect: another participant's order was answered not_owner with its symbol, an unknown id with
// unknown_order: ids could be probed for what others have open, and in which book. Both now look the same.
TEST_F(RulesTest, CancelRejectsOtherOwnersAndUnknownOrders) {
  send(buy(BUY1, "18.00", 5, "b"));  // #1
  rec.clear();
  cancel(BUY2, 1, "x");
  cancel(OPS, 1, "y");  // even an operator cancels others' orders only by mass cancel
  const auto others = rec.of<OrderRejected>();
  ASSERT_EQ(others.size(), 2u);
  for (const auto& r : others) EXPECT_EQ(r.e.instrument, kNoInstrument) << "no symbol for someone else's order";
  cancel(BUY1, 99, "z");
  cancel(999, 1);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected cancel #1 x unknown_order",
                            "rejected cancel #1 y unknown_order",
                            "rejected cancel #99 z unknown_order",
                            "rejected cancel #1 unknown_participant",
                        }));
  EXPECT_TRUE(is_open(1));
  cancel(BUY1, 1);
  cancel(BUY1, 1);  // a second cancel finds nothing
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 b cancelled cancelled=5 filled=0",
                            "book buy 18.0000 0/0",
                            "rejected cancel #1 unknown_order",
                        }));
}

// ===================================================================== replace

TEST_F(RulesTest, ReplaceQtyDownKeepsPriority) {
  send(buy(BUY1, "18.00", 5, "a"));  // #1
  send(buy(BUY2, "18.00", 5, "b"));  // #2
  rec.clear();
  replace(BUY1, 1, "", 3);
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #1 a 18.0000x3 rem=3 kept_priority",
                            "book buy 18.0000 8/2",
                        }));
  EXPECT_EQ(queue(Side::Buy), Ids({1, 2}));
  EXPECT_EQ(engine.credit(BUY1).open_buy, day_notional("18.00", 3));
  send(sell(SUP1, "18.00", 3, "s"));  // #3 still meets #1 first
  auto trades = rec.of<Trade>();
  ASSERT_EQ(trades.size(), 1u);
  EXPECT_EQ(trades[0].e.buy_order_id, 1u);
  EXPECT_EQ(trades[0].e.qty, 3);
}

TEST_F(RulesTest, ReplaceQtyUpLosesPriority) {
  send(buy(BUY1, "18.00", 5, "a"));  // #1
  send(buy(BUY2, "18.00", 5, "b"));  // #2
  rec.clear();
  replace(BUY1, 1, "", 7);
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #1 a 18.0000x7 rem=7 lost_priority",
                            "book buy 18.0000 12/2",
                        }));
  EXPECT_EQ(queue(Side::Buy), Ids({2, 1}));
  EXPECT_EQ(engine.credit(BUY1).open_buy, day_notional("18.00", 7));
}

TEST_F(RulesTest, ReplacePriceChangeLosesPriority) {
  send(buy(BUY1, "18.00", 5, "a"));  // #1
  send(buy(BUY2, "18.10", 5, "b"));  // #2
  rec.clear();
  replace(BUY1, 1, "18.10", 0);
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #1 a 18.1000x5 rem=5 lost_priority",
                            "book buy 18.0000 0/0",
                            "book buy 18.1000 10/2",
                        }));
  EXPECT_EQ(queue(Side::Buy), Ids({2, 1}));
  // A price change with a smaller quantity loses priority too.
  replace(BUY2, 2, "18.00", 4);
  replace(BUY2, 2, "18.10", 0);
  EXPECT_EQ(queue(Side::Buy), Ids({1, 2}));
}

TEST_F(RulesTest, ReplaceToACrossingPriceTradesAtTheRestingPrice) {
  send(sell(SUP1, "18.50", 2, "s"));  // #1
  send(buy(BUY1, "18.00", 5, "b"));   // #2
  rec.clear();
  replace(BUY1, 2, "18.60", 0);
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #2 b 18.6000x5 rem=5 lost_priority",
                            "trade 18.5000x2 buy#2(3) sell#1(0) aggr=buy",
                            "book buy 18.0000 0/0",
                            "book sell 18.5000 0/0",
                            "book buy 18.6000 3/1",
                        }));
  EXPECT_EQ(order(2).filled, 2);
  EXPECT_EQ(order(2).remaining, 3);
  EXPECT_EQ(engine.credit(BUY1).open_buy, day_notional("18.60", 3));
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, day_notional("18.50", 2));
}

TEST_F(RulesTest, ReplaceZeroKeepsPriceOrQtyAndMayRenameTheOrder) {
  send(buy(BUY1, "18.00", 5, "a"));  // #1
  rec.clear();
  replace(BUY1, 1, "", 4);       // price 0: keep 18.00
  replace(BUY1, 1, "18.10", 0);  // qty 0: keep 4
  replace(BUY1, 1, "", 0, "a2"); // only a new client order id: a change, priority kept
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #1 a 18.0000x4 rem=4 kept_priority",
                            "book buy 18.0000 4/1",
                            "replaced #1 a 18.1000x4 rem=4 lost_priority",
                            "book buy 18.0000 0/0",
                            "book buy 18.1000 4/1",
                            "replaced #1 a2 18.1000x4 rem=4 kept_priority",
                            "book buy 18.1000 4/1",
                        }));
  EXPECT_EQ(order(1).cl_ord_id, "a2");
}

TEST_F(RulesTest, ReplaceQtyIsTheNewTotalIncludingFilled) {
  send(buy(BUY1, "18.00", 10, "b"));  // #1
  send(sell(SUP1, "18.00", 4, "s"));  // #2: #1 has filled 4, 6 open
  rec.clear();
  replace(BUY1, 1, "", 8);  // total 8 = 4 filled + 4 open: fewer open, same price -> keeps priority
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #1 b 18.0000x8 rem=4 kept_priority",
                            "book buy 18.0000 4/1",
                        }));
  replace(BUY1, 1, "", 4);  // not above the 4 filled
  replace(BUY1, 1, "", 3);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected replace #1 qty_below_filled",
                            "rejected replace #1 qty_below_filled",
                        }));
  replace(BUY1, 1, "", 12);  // 8 open: more open -> loses priority
  EXPECT_EQ(rec.take(), Lines({
                            "replaced #1 b 18.0000x12 rem=8 lost_priority",
                            "book buy 18.0000 8/1",
                        }));
  OrderView v = order(1);
  EXPECT_EQ(v.qty, 12);
  EXPECT_EQ(v.filled, 4);
  EXPECT_EQ(v.remaining, 8);
  EXPECT_EQ(engine.credit(BUY1).open_buy, day_notional("18.00", 8));
}

TEST_F(RulesTest, ReplaceThatChangesNothingIsRejected) {
  send(buy(BUY1, "18.00", 5, "b"));  // #1
  rec.clear();
  replace(BUY1, 1, "18.00", 5);
  replace(BUY1, 1, "", 0);
  replace(BUY1, 1, "", 0, "b");  // the same client id is no change either
  EXPECT_EQ(rec.take(), Lines({
                            "rejected replace #1 nothing_to_change",
                            "rejected replace #1 nothing_to_change",
                            "rejected replace #1 b nothing_to_change",
                        }));
}

TEST_F(RulesTest, ReplaceRejectsLeaveTheOrderUnchanged) {
  send(buy(BUY1, "18.00", 5, "b"));  // #1
  rec.clear();
  replace(BUY2, 1, "18.10", 0);
  replace(BUY1, 42, "18.10", 0);
  replace(BUY1, 1, "18.105", 0);
  replace(BUY1, 1, "", 1001);
  replace(BUY1, 1, "-0.01", 0);
  replace(BUY1, 1, "", -1);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected replace #1 unknown_order",
                            "rejected replace #42 unknown_order",
                            "rejected replace #1 tick_size",
                            "rejected replace #1 max_order_qty",
                            "rejected replace #1 invalid_price",
                            "rejected replace #1 invalid_quantity",
                        }));
  OrderView v = order(1);
  EXPECT_EQ(v.price, px("18.00"));
  EXPECT_EQ(v.qty, 5);
}

// ===================================================================== mass cancel

TEST_F(RulesTest, MassCancelOwnOrdersInAllInstruments) {
  InstrumentId other = list(kOther);
  NewOrder o = buy(BUY1, "18.00", 1, "b");
  o.instrument = other;
  send(buy(BUY1, "18.00", 1, "a"));  // #1
  send(o);                           // #2
  send(buy(BUY1, "17.00", 1, "c"));  // #3
  send(buy(BUY2, "18.00", 1, "d"));  // #4 someone else's
  rec.clear();
  mass_cancel(BUY1, BUY1);
  // Done events run over the participant's open orders newest first.
  EXPECT_EQ(rec.take(), Lines({
                            "done #3 c mass_cancelled cancelled=1 filled=0",
                            "done #2 b mass_cancelled cancelled=1 filled=0 @NM.H100.D.2026-12-03",
                            "done #1 a mass_cancelled cancelled=1 filled=0",
                            "mass_cancel_done 3",
                            "book buy 17.0000 0/0",
                            "book buy 18.0000 0/0 @NM.H100.D.2026-12-03",
                            "book buy 18.0000 1/1",
                        }));
  EXPECT_EQ(engine.open_orders_of(BUY1), 0);
  EXPECT_EQ(queue(Side::Buy), Ids({4}));
  EXPECT_EQ(engine.credit(BUY1).open_buy, 0);
}

TEST_F(RulesTest, MassCancelOwnOrdersInOneInstrument) {
  InstrumentId other = list(kOther);
  NewOrder o = buy(BUY1, "18.00", 1, "b");
  o.instrument = other;
  send(buy(BUY1, "18.00", 1, "a"));  // #1
  send(o);                           // #2
  send(buy(BUY1, "17.00", 1, "c"));  // #3
  rec.clear();
  mass_cancel(BUY1, BUY1, inst);
  auto mc = rec.of<MassCancelDone>();
  EXPECT_EQ(rec.take(), Lines({
                            "done #3 c mass_cancelled cancelled=1 filled=0",
                            "done #1 a mass_cancelled cancelled=1 filled=0",
                            "mass_cancel_done 2",
                            "book buy 17.0000 0/0",
                            "book buy 18.0000 0/0",
                        }));
  ASSERT_EQ(mc.size(), 1u);
  EXPECT_EQ(mc[0].e.participant, BUY1);
  EXPECT_EQ(mc[0].e.target, BUY1);
  EXPECT_EQ(mc[0].e.instrument, inst);
  EXPECT_EQ(mc[0].e.cancelled, 2u);
  EXPECT_TRUE(is_open(2));
  // Nothing to cancel is still a completed mass cancel.
  mass_cancel(BUY2, BUY2);
  EXPECT_EQ(rec.take(), Lines({"mass_cancel_done 0"}));
}

TEST_F(RulesTest, MassCancelOfOthersNeedsTheOperatorRole) {
  send(buy(BUY1, "18.00", 1, "a"));   // #1
  send(buy(BUY2, "18.10", 2, "b"));   // #2
  send(sell(SUP1, "19.00", 3, "c"));  // #3
  rec.clear();
  mass_cancel(BUY1, BUY2);
  mass_cancel(BUY1, kNoParticipant);
  mass_cancel(999, 999);
  mass_cancel(OPS, 999);
  mass_cancel(OPS, BUY2, 77);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected mass_cancel role_missing",
                            "rejected mass_cancel role_missing",
                            "rejected mass_cancel unknown_participant",
                            "rejected mass_cancel unknown_participant",
                            "rejected mass_cancel unknown_instrument @i77",
                        }));
  EXPECT_EQ(engine.open_order_count(), 3u);
  mass_cancel(OPS, BUY2);  // an operator may target another participant
  EXPECT_EQ(rec.take(), Lines({
                            "done #2 b mass_cancelled cancelled=2 filled=0",
                            "mass_cancel_done 1",
                            "book buy 18.1000 0/0",
                        }));
  // Everyone in one instrument (the built-in exchange participant is an operator): bids best first, then asks.
  send(buy(BUY2, "18.20", 1, "d"));  // #4
  rec.clear();
  mass_cancel(kExchangeParticipant, kNoParticipant, inst);
  EXPECT_EQ(rec.take(), Lines({
                            "done #4 d mass_cancelled cancelled=1 filled=0",
                            "done #1 a mass_cancelled cancelled=1 filled=0",
                            "done #3 c mass_cancelled cancelled=3 filled=0",
                            "mass_cancel_done 3",
                            "book buy 18.2000 0/0",
                            "book buy 18.0000 0/0",
                            "book sell 19.0000 0/0",
                        }));
  EXPECT_EQ(engine.open_order_count(), 0u);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 100);
}

TEST_F(RulesTest, MassCancelEverythingEverywhere) {
  InstrumentId other = list(kOther);
  NewOrder o = sell(SUP2, "18.00", 1, "b");
  o.instrument = other;
  send(buy(BUY1, "18.00", 1, "a"));  // #1
  send(o);                           // #2
  rec.clear();
  mass_cancel(OPS, kNoParticipant);
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 a mass_cancelled cancelled=1 filled=0",
                            "done #2 b mass_cancelled cancelled=1 filled=0 @NM.H100.D.2026-12-03",
                            "mass_cancel_done 2",
                            "book buy 18.0000 0/0",
                            "book sell 18.0000 0/0 @NM.H100.D.2026-12-03",
                        }));
  EXPECT_EQ(engine.open_order_count(), 0u);
}

// ===================================================================== self-trade prevention

TEST_F(RulesTest, StpCancelNewestIsTheDefaultAndLeavesTheRestingOrder) {
  send(sell(BOTH, "18.50", 5, "s"));  // #1
  rec.clear();
  send(buy(BOTH, "18.50", 3, "b"));  // #2, stp not set: cancel_newest
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #2 b buy limit gtc 18.5000x3",
                            "done #2 b self_trade cancelled=3 filled=0",
                        }));
  EXPECT_EQ(levels(Side::Sell), Lines({"18.5000 5/1"}));
  EXPECT_TRUE(levels(Side::Buy).empty());
  EXPECT_EQ(engine.credit(BOTH).open_buy, 0);
}

TEST_F(RulesTest, StpCancelNewestStopsTheIncomingRemainderAfterEarlierFills) {
  send(sell(SUP1, "18.50", 2, "a"));  // #1
  send(sell(BOTH, "18.50", 5, "s"));  // #2
  send(sell(SUP2, "18.50", 1, "c"));  // #3 (behind the own order: not reached)
  rec.clear();
  NewOrder b = buy(BOTH, "18.50", 5, "b");
  b.stp = SelfTradePrevention::CancelNewest;
  send(b);  // #4
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #4 b buy limit gtc 18.5000x5",
                            "trade 18.5000x2 buy#4(3) sell#1(0) aggr=buy",
                            "done #4 b self_trade cancelled=3 filled=2",
                            "book sell 18.5000 6/2",
                        }));
  EXPECT_EQ(queue(Side::Sell), Ids({2, 3}));
}

TEST_F(RulesTest, StpCancelOldestRemovesTheRestingOwnOrderAndMatchingContinues) {
  send(sell(BOTH, "18.50", 5, "s"));  // #1
  send(sell(SUP1, "18.50", 3, "a"));  // #2
  rec.clear();
  NewOrder b = buy(BOTH, "18.50", 3, "b");
  b.stp = SelfTradePrevention::CancelOldest;
  send(b);  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 b buy limit gtc 18.5000x3",
                            "done #1 s self_trade cancelled=5 filled=0",
                            "trade 18.5000x3 buy#3(0) sell#2(0) aggr=buy",
                            "book sell 18.5000 0/0",
                        }));
  EXPECT_EQ(engine.capacity_headroom(BOTH, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 100);
  EXPECT_EQ(engine.credit(BOTH).unsettled_bought, day_notional("18.50", 3));
}

TEST_F(RulesTest, StpCancelBothEndsBothOrders) {
  send(sell(BOTH, "18.50", 5, "s"));  // #1
  send(sell(SUP1, "18.50", 3, "a"));  // #2
  rec.clear();
  NewOrder b = buy(BOTH, "18.50", 3, "b");
  b.stp = SelfTradePrevention::CancelBoth;
  send(b);  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 b buy limit gtc 18.5000x3",
                            "done #1 s self_trade cancelled=5 filled=0",
                            "done #3 b self_trade cancelled=3 filled=0",
                            "book sell 18.5000 3/1",
                        }));
  EXPECT_EQ(queue(Side::Sell), Ids({2}));
  EXPECT_EQ(engine.credit(BOTH).open_buy, 0);
  EXPECT_EQ(engine.capacity_headroom(BOTH, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 100);
}

TEST_F(RulesTest, StpDecrementShrinksBothWithoutTrade) {
  send(sell(BOTH, "18.50", 5, "s"));  // #1
  rec.clear();
  NewOrder b = buy(BOTH, "18.50", 3, "b");
  b.stp = SelfTradePrevention::Decrement;
  send(b);  // #2
  // Both shrink by min(5, 3) = 3: the resting order keeps 2 (restated), the incoming one reaches 0 (done).
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #2 b buy limit gtc 18.5000x3",
                            "restated #1 s -3 rem=2",
                            "done #2 b self_trade cancelled=3 filled=0",
                            "book sell 18.5000 2/1",
                        }));
  OrderView v = order(1);
  EXPECT_EQ(v.remaining, 2);
  EXPECT_EQ(v.qty, 2);
  EXPECT_EQ(v.filled, 0);
  EXPECT_EQ(engine.capacity_headroom(BOTH, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 98);
  EXPECT_EQ(engine.credit(BOTH).open_buy, 0);
  EXPECT_EQ(engine.credit(BOTH).unsettled_bought, 0);
  EXPECT_EQ(engine.reference_price(inst), 0);  // no trade happened
}

TEST_F(RulesTest, StpDecrementRemovesTheSmallerRestingOrderAndMatchingContinues) {
  send(sell(BOTH, "18.50", 2, "s"));  // #1
  send(sell(SUP1, "18.50", 2, "a"));  // #2
  rec.clear();
  NewOrder b = buy(BOTH, "18.50", 5, "b");
  b.stp = SelfTradePrevention::Decrement;
  send(b);  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 b buy limit gtc 18.5000x5",
                            "done #1 s self_trade cancelled=2 filled=0",
                            "restated #3 b -2 rem=3",
                            "trade 18.5000x2 buy#3(1) sell#2(0) aggr=buy",
                            "book sell 18.5000 0/0",
                            "book buy 18.5000 1/1",
                        }));
  OrderView v = order(3);
  EXPECT_EQ(v.remaining, 1);
  EXPECT_EQ(v.filled, 2);
  EXPECT_EQ(engine.credit(BOTH).open_buy, day_notional("18.50", 1));
  EXPECT_EQ(engine.credit(BOTH).unsettled_bought, day_notional("18.50", 2));
}

TEST_F(RulesTest, StpAppliesToFokCancelOldestClearsTheWayForOthers) {
  send(sell(BOTH, "18.50", 5, "s"));  // #1
  send(sell(SUP1, "18.50", 3, "a"));  // #2
  rec.clear();
  NewOrder f = limit(BOTH, Side::Buy, "18.50", 3, "f", TimeInForce::FOK);
  f.stp = SelfTradePrevention::CancelOldest;
  send(f);  // #3: fillable from #2 once the own order #1 is removed
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 f buy limit fok 18.5000x3",
                            "done #1 s self_trade cancelled=5 filled=0",
                            "trade 18.5000x3 buy#3(0) sell#2(0) aggr=buy",
                            "book sell 18.5000 0/0",
                        }));
}

// ===================================================================== pre-trade risk: one reject per reason

TEST_F(RulesTest, RejectUnknownParticipant) {
  send(buy(999, "18.00", 1, "x"));
  send(buy(kNoParticipant, "18.00", 1, "y"));
  auto r = rec.of<OrderRejected>();
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order x unknown_participant",
                            "rejected new_order y unknown_participant",
                        }));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].e.participant, 999u);
  EXPECT_EQ(r[0].e.instrument, inst);
  EXPECT_EQ(engine.open_order_count(), 0u);
}

TEST_F(RulesTest, RejectUnknownInstrument) {
  NewOrder o = buy(BUY1, "18.00", 1, "x");
  o.instrument = 77;
  send(o);
  auto r = rec.of<OrderRejected>();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].e.command, CommandKind::NewOrder);
  EXPECT_EQ(r[0].e.participant, BUY1);
  EXPECT_EQ(r[0].e.instrument, 77u);
  EXPECT_EQ(r[0].e.order_id, 0u);
  EXPECT_EQ(r[0].s1, "x");
  EXPECT_EQ(r[0].e.reason, RejectReason::UnknownInstrument);
  EXPECT_EQ(rec.take(), Lines({"rejected new_order x unknown_instrument @i77"}));
}

TEST_F(RulesTest, RejectRoleMissingBuyNeedsTradeBuySellNeedsTradeSell) {
  send(sell(BUY1, "18.00", 1, "a"));
  send(buy(SUP1, "18.00", 1, "b"));
  send(buy(OPS, "18.00", 1, "c"));
  send(buy(BOTH, "18.00", 1, "d"));  // #1
  send(sell(BOTH, "19.00", 1, "e"));  // #2
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a role_missing",
                            "rejected new_order b role_missing",
                            "rejected new_order c role_missing",
                            "accepted #1 d buy limit gtc 18.0000x1",
                            "book buy 18.0000 1/1",
                            "accepted #2 e sell limit gtc 19.0000x1",
                            "book sell 19.0000 1/1",
                        }));
}

TEST_F(RulesTest, RejectInstrumentNotOpenBeforeOpenAt) {
  InstrumentId other = list(kOther, iso("2026-11-30T12:00:00+08:00"));
  ASSERT_NE(other, kNoInstrument);
  EXPECT_EQ(engine.instrument_state(other), InstrumentState::Listed);
  rec.clear();
  NewOrder o = buy(BUY1, "18.00", 1, "x");
  o.instrument = other;
  send(o);
  EXPECT_EQ(rec.take(), Lines({"rejected new_order x instrument_not_open @NM.H100.D.2026-12-03"}));
  now = iso("2026-11-30T12:00:00+08:00");
  EXPECT_EQ(send(o), 1u);
  EXPECT_EQ(rec.take(), Lines({
                            "state NM.H100.D.2026-12-03 open",
                            "accepted #1 x buy limit gtc 18.0000x1 @NM.H100.D.2026-12-03",
                            "book buy 18.0000 1/1 @NM.H100.D.2026-12-03",
                        }));
}

TEST_F(RulesTest, RejectInstrumentHalted) {
  set_state(StateAction::Halt, inst);
  rec.clear();
  send(buy(BUY1, "18.00", 1, "x"));
  EXPECT_EQ(rec.take(), Lines({"rejected new_order x instrument_halted"}));
}

TEST_F(RulesTest, RejectInstrumentClosedAfterGateClosure) {
  now = iso("2026-11-30T22:59:59.999999999+08:00");
  EXPECT_EQ(send(buy(BUY1, "18.00", 1, "last")), 1u);
  rec.clear();
  now = iso("2026-11-30T23:00:00+08:00");  // exactly gate closure: closed first, then the order
  send(buy(BUY1, "18.00", 1, "x"));
  EXPECT_EQ(rec.take(), Lines({
                            "done #1 last gate_closure cancelled=1 filled=0",
                            "state NM.H100.D.2026-12-01 closed",
                            "book buy 18.0000 0/0",
                            "rejected new_order x instrument_closed",
                        }));
  now = iso("2026-12-03T00:00:00+08:00");  // past the window: expired, still closed for trading
  send(sell(SUP1, "18.00", 1, "y"));
  EXPECT_EQ(rec.take(), Lines({
                            "state NM.H100.D.2026-12-01 expired",
                            "rejected new_order y instrument_closed",
                        }));
}

TEST_F(RulesTest, RejectInvalidQuantity) {
  send(buy(BUY1, "18.00", 0, "a"));
  send(buy(BUY1, "18.00", -3, "b"));
  send(market(SUP1, Side::Sell, 0, "c"));
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a invalid_quantity",
                            "rejected new_order b invalid_quantity",
                            "rejected new_order c invalid_quantity",
                        }));
}

TEST_F(RulesTest, RejectLotSize) {
  ListInstrument c = listing("NM.H100.D.2026-12-04");
  c.rules.lot = 4;
  engine.list_instrument(c);
  InstrumentId lot4 = engine.find_instrument("NM.H100.D.2026-12-04");
  ASSERT_NE(lot4, kNoInstrument);
  rec.clear();
  NewOrder bad = buy(BUY1, "18.00", 6, "a");
  bad.instrument = lot4;
  NewOrder good = buy(BUY1, "18.00", 8, "b");
  good.instrument = lot4;
  send(bad);
  send(good);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a lot_size @NM.H100.D.2026-12-04",
                            "accepted #1 b buy limit gtc 18.0000x8 @NM.H100.D.2026-12-04",
                            "book buy 18.0000 8/1 @NM.H100.D.2026-12-04",
                        }));
}

TEST_F(RulesTest, RejectMaxOrderQtyOfTheInstrument) {
  send(buy(BUY1, "18.00", 1001, "a"));
  send(buy(BUY1, "18.00", 1000, "b"));  // #1: the maximum itself is allowed
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a max_order_qty",
                            "accepted #1 b buy limit gtc 18.0000x1000",
                            "book buy 18.0000 1000/1",
                        }));
}

TEST_F(RulesTest, RejectMaxOrderQtyOfTheParticipant) {
  ParticipantLimits limits;
  limits.max_order_qty = 5;
  ParticipantId small = add_participant("SMALL", kRoleTradeBuy, limits);
  set_credit(small, 1'000'000LL * kScale);
  rec.clear();
  send(buy(small, "18.00", 6, "a"));
  send(buy(small, "18.00", 5, "b"));  // #1
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a max_order_qty",
                            "accepted #1 b buy limit gtc 18.0000x5",
                            "book buy 18.0000 5/1",
                        }));
}

TEST_F(RulesTest, RejectInvalidPrice) {
  send(buy(BUY1, "0", 1, "a"));
  send(sell(SUP1, "-18.00", 1, "b"));
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a invalid_price",
                            "rejected new_order b invalid_price",
                        }));
}

TEST_F(RulesTest, RejectTickSize) {
  send(buy(BUY1, "18.005", 1, "a"));
  send(buy(BUY1, "18.01", 1, "b"));  // #1
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order a tick_size",
                            "accepted #1 b buy limit gtc 18.0100x1",
                            "book buy 18.0100 1/1",
                        }));
}

TEST_F(RulesTest, RejectPriceBandAroundTheReferencePrice) {
  set_reference("18.00");  // band 30 %: 12.60 .. 23.40 inclusive
  EXPECT_EQ(rec.take(), Lines({"admin set_reference_price NM.H100.D.2026-12-01"}));
  send(buy(BUY1, "23.40", 1, "a"));   // #1
  send(buy(BUY1, "23.41", 1, "b"));
  send(buy(BUY1, "12.60", 1, "c"));   // #2
  send(buy(BUY1, "12.59", 1, "d"));
  send(sell(SUP1, "23.41", 1, "e"));
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 a buy limit gtc 23.4000x1",
                            "book buy 23.4000 1/1",
                            "rejected new_order b price_band",
                            "accepted #2 c buy limit gtc 12.6000x1",
                            "book buy 12.6000 1/1",
                            "rejected new_order d price_band",
                            "rejected new_order e price_band",
                        }));
  replace(BUY1, 2, "12.59", 0);
  EXPECT_EQ(rec.take(), Lines({"rejected replace #2 price_band"}));
}

TEST_F(RulesTest, PriceBandAppliesOnlyOnceAReferenceExistsAndFollowsTheLastTrade) {
  EXPECT_EQ(engine.reference_price(inst), 0);
  EXPECT_EQ(send(sell(SUP1, "1000.00", 1, "far")), 1u);  // no reference: no band
  send(sell(SUP2, "18.00", 1, "s"));                     // #2
  send(buy(BUY1, "18.00", 1, "b"));                      // #3 trades: reference 18.00
  EXPECT_EQ(engine.reference_price(inst), px("18.00"));
  rec.clear();
  send(sell(SUP1, "23.41", 1, "x"));
  EXPECT_EQ(rec.take(), Lines({"rejected new_order x price_band"}));
}

TEST_F(RulesTest, RejectMaxOpenOrdersCountsRestingOrdersOnly) {
  ParticipantLimits limits;
  limits.max_open_orders = 2;
  ParticipantId lim = add_participant("LIM", kRoleTradeBuy, limits);
  set_credit(lim, 1'000'000LL * kScale);
  rec.clear();
  send(buy(lim, "18.00", 1, "a"));  // #1
  send(buy(lim, "18.00", 1, "b"));  // #2
  send(buy(lim, "18.00", 1, "c"));
  send(limit(lim, Side::Buy, "18.00", 1, "d", TimeInForce::IOC));  // #3: IOC never rests, exempt
  send(limit(lim, Side::Buy, "18.00", 1, "e", TimeInForce::FOK));  // #4: FOK too
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 a buy limit gtc 18.0000x1",
                            "book buy 18.0000 1/1",
                            "accepted #2 b buy limit gtc 18.0000x1",
                            "book buy 18.0000 2/2",
                            "rejected new_order c max_open_orders",
                            "accepted #3 d buy limit ioc 18.0000x1",
                            "done #3 d immediate_remainder cancelled=1 filled=0",
                            "accepted #4 e buy limit fok 18.0000x1",
                            "done #4 e fok_not_filled cancelled=1 filled=0",
                        }));
  EXPECT_EQ(engine.open_orders_of(lim), 2);
  cancel(lim, 1);
  EXPECT_EQ(send(buy(lim, "18.00", 1, "f")), 5u);
  EXPECT_EQ(engine.open_orders_of(lim), 2);
}

TEST_F(RulesTest, RejectCreditExceeded) {
  set_credit(BUY1, day_notional("18.50", 10));  // 4,440 CNY
  rec.clear();
  send(buy(BUY1, "18.50", 10, "a"));  // #1 uses the credit exactly
  send(buy(BUY1, "0.01", 1, "b"));    // 0.24 CNY more is too much
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 a buy limit gtc 18.5000x10",
                            "book buy 18.5000 10/1",
                            "rejected new_order b credit_exceeded",
                        }));
  CreditView cv = engine.credit(BUY1);
  EXPECT_EQ(cv.limit, 44'400'000);
  EXPECT_EQ(cv.open_buy, 44'400'000);
  EXPECT_EQ(cv.unsettled_bought, 0);
  replace(BUY1, 1, "", 11);  // a replace that raises the reservation is checked too
  EXPECT_EQ(rec.take(), Lines({"rejected replace #1 credit_exceeded"}));
  // Sells need no credit.
  EXPECT_NE(send(sell(SUP1, "19.00", 1, "s")), 0u);
}

TEST_F(RulesTest, CreditFillsMoveNotionalFromOpenToUnsettled) {
  set_credit(BUY1, day_notional("18.50", 100));  // 44,400 CNY
  send(sell(SUP1, "18.00", 40, "s"));   // #1
  send(buy(BUY1, "18.50", 100, "b"));   // #2 buys 40 at 18.00, 60 stay open at 18.50
  CreditView cv = engine.credit(BUY1);
  EXPECT_EQ(cv.open_buy, day_notional("18.50", 60));          // 26,640 CNY
  EXPECT_EQ(cv.unsettled_bought, day_notional("18.00", 40));  // 17,280 CNY
  // The better fill price freed 0.50 x 40 x 24 = 480 CNY: exactly one more device at 20.00.
  rec.clear();
  send(buy(BUY1, "20.00", 1, "c"));  // #3
  send(buy(BUY1, "12.60", 1, "d"));  // inside the band (reference 18.00), but no credit left
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 c buy limit gtc 20.0000x1",
                            "book buy 20.0000 1/1",
                            "rejected new_order d credit_exceeded",
                        }));
  // Cancelling gives the open part back; what was bought stays unsettled.
  cancel(BUY1, 2);
  cv = engine.credit(BUY1);
  EXPECT_EQ(cv.open_buy, day_notional("20.00", 1));
  EXPECT_EQ(cv.unsettled_bought, day_notional("18.00", 40));
}

TEST_F(RulesTest, RejectCapacityExceededCancelGivesBackFillsKeep) {
  const Timestamp from = iso("2026-12-01"), to = iso("2026-12-02");
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 100);
  send(sell(SUP1, "18.00", 60, "a"));  // #1
  send(sell(SUP1, "18.00", 41, "b"));
  send(sell(SUP1, "18.00", 40, "c"));  // #2
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 a sell limit gtc 18.0000x60",
                            "book sell 18.0000 60/1",
                            "rejected new_order b capacity_exceeded",
                            "accepted #2 c sell limit gtc 18.0000x40",
                            "book sell 18.0000 100/2",
                        }));
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 0);
  EXPECT_EQ(engine.capacity_headroom(SUP2, NM, H100, from, to), 100);  // per supplier
  cancel(SUP1, 2);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 40);
  send(buy(BUY1, "18.00", 30, "x"));  // buys 30 of #1
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 40);  // sold stays consumed
  cancel(SUP1, 1);                                                  // 30 open come back
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 70);
  rec.clear();
  send(sell(SUP1, "18.00", 71, "d"));
  EXPECT_EQ(rec.take(), Lines({"rejected new_order d capacity_exceeded"}));
}

TEST_F(RulesTest, CapacityIsPerRegionAndClass) {
  InstrumentId jjj = list("JJJ.H100.D.2026-12-01");
  ASSERT_NE(jjj, kNoInstrument);
  rec.clear();
  NewOrder o = sell(SUP1, "18.00", 1, "j");
  o.instrument = jjj;
  send(o);  // SUP1 registered NM devices only
  EXPECT_EQ(rec.take(), Lines({"rejected new_order j capacity_exceeded @JJJ.H100.D.2026-12-01"}));
  EXPECT_EQ(engine.capacity_headroom(SUP1, JJJ, H100, iso("2026-12-01"), iso("2026-12-02")), 0);
}

TEST_F(RulesTest, ReplaceOfASellChecksAndReturnsCapacity) {
  const Timestamp from = iso("2026-12-01"), to = iso("2026-12-02");
  send(sell(SUP1, "18.00", 60, "a"));  // #1
  rec.clear();
  replace(SUP1, 1, "", 101);
  EXPECT_EQ(rec.take(), Lines({"rejected replace #1 capacity_exceeded"}));
  replace(SUP1, 1, "", 100);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 0);
  replace(SUP1, 1, "", 10);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, from, to), 90);
}

TEST_F(RulesTest, CapacityOverlappingWindowsShareTheSameDevices) {
  InstrumentId week = list("NM.H100.W.2026-W50");   // 2026-12-07 .. 2026-12-14
  InstrumentId day = list("NM.H100.D.2026-12-08");  // inside that week
  InstrumentId later = list("NM.H100.D.2026-12-15");
  ASSERT_NE(week, kNoInstrument);
  ASSERT_NE(day, kNoInstrument);
  ASSERT_NE(later, kNoInstrument);
  EXPECT_EQ(engine.instrument(week)->hours, 168);
  rec.clear();
  NewOrder w = sell(SUP1, "18.00", 60, "w");
  w.instrument = week;
  NewOrder d1 = sell(SUP1, "18.00", 41, "d1");
  d1.instrument = day;
  NewOrder d2 = sell(SUP1, "18.00", 40, "d2");
  d2.instrument = day;
  NewOrder l = sell(SUP1, "18.00", 100, "l");
  l.instrument = later;
  send(w);   // #1
  send(d1);  // 60 + 41 > 100 on 12-08
  send(d2);  // #2
  send(l);   // #3 a later day does not overlap the week
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #1 w sell limit gtc 18.0000x60 @NM.H100.W.2026-W50",
                            "book sell 18.0000 60/1 @NM.H100.W.2026-W50",
                            "rejected new_order d1 capacity_exceeded @NM.H100.D.2026-12-08",
                            "accepted #2 d2 sell limit gtc 18.0000x40 @NM.H100.D.2026-12-08",
                            "book sell 18.0000 40/1 @NM.H100.D.2026-12-08",
                            "accepted #3 l sell limit gtc 18.0000x100 @NM.H100.D.2026-12-15",
                            "book sell 18.0000 100/1 @NM.H100.D.2026-12-15",
                        }));
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-08"), iso("2026-12-09")), 0);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-09"), iso("2026-12-10")), 40);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-07"), iso("2026-12-14")), 0);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 100);
  cancel(SUP1, 1);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-08"), iso("2026-12-09")), 60);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-07"), iso("2026-12-14")), 60);
}

TEST_F(RulesTest, CapacityOfferedOrSoldCannotBeDeregistered) {
  send(sell(SUP1, "18.00", 60, "a"));  // #1
  rec.clear();
  RegisterCapacity rc;
  rc.ts = now;
  rc.supplier = SUP1;
  rc.region = "NM";
  rc.chip_class = "H100";
  rc.from = iso("2026-12-01T12:00:00+08:00");  // any part of the window counts
  rc.to = iso("2026-12-01T13:00:00+08:00");
  rc.devices = -41;
  engine.register_capacity(rc);
  rc.devices = -40;
  engine.register_capacity(rc);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected register_capacity capacity_in_use",
                            "admin register_capacity SUP1",
                        }));
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 0);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-01T12:00:00+08:00")), 40);
  send(sell(SUP1, "18.00", 1, "b"));
  EXPECT_EQ(rec.take(), Lines({"rejected new_order b capacity_exceeded"}));
}

TEST_F(RulesTest, RejectNotionalOverflow) {
  NewOrder o = buy(BUY1, "18.00", 1000, "x");
  o.price = kMaxPrice;  // the highest price, 1e10 CNY: x 1000 devices x 24 h is past the notional bound
  send(o);
  EXPECT_EQ(rec.take(), Lines({"rejected new_order x notional_overflow"}));
  o.price = kMaxPrice + 100;  // above the highest price at all
  o.cl_ord_id.assign("y");
  send(o);
  EXPECT_EQ(rec.take(), Lines({"rejected new_order y invalid_price"}));
}


// ===================================================================== market orders: credit and band

TEST_F(RulesTest, MarketBuyReservesNoCreditAndStopsWhereCreditRunsOut) {
  set_credit(BUY1, day_notional("18.50", 2) + day_notional("18.50", 1) / 2);  // 2.5 devices' worth
  send(sell(SUP1, "18.50", 5, "s"));  // #1
  rec.clear();
  send(market(BUY1, Side::Buy, 5, "m"));  // #2
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #2 m buy market ioc 0.0000x5",
                            "trade 18.5000x2 buy#2(3) sell#1(3) aggr=buy",
                            "done #2 m credit_limit cancelled=3 filled=2",
                            "book sell 18.5000 3/1",
                        }));
  CreditView cv = engine.credit(BUY1);
  EXPECT_EQ(cv.open_buy, 0);
  EXPECT_EQ(cv.unsettled_bought, day_notional("18.50", 2));
  // With less than one device's worth left nothing trades.
  send(market(BUY1, Side::Buy, 1, "n"));  // #3
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #3 n buy market ioc 0.0000x1",
                            "done #3 n credit_limit cancelled=1 filled=0",
                        }));
}

TEST_F(RulesTest, MarketFokBuyThatCreditCannotCoverIsKilled) {
  set_credit(BUY1, day_notional("18.50", 2));
  send(sell(SUP1, "18.50", 5, "s"));  // #1
  rec.clear();
  send(market(BUY1, Side::Buy, 3, "f", TimeInForce::FOK));  // #2
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #2 f buy market fok 0.0000x3",
                            "done #2 f fok_not_filled cancelled=3 filled=0",
                        }));
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, 0);
}

TEST_F(RulesTest, MarketOrderStopsAtThePriceBandEdge) {
  // Asks entered before any reference exists, then a reference of 18.00: the band edge is 23.40.
  send(sell(SUP1, "20.00", 1, "s1"));  // #1
  send(sell(SUP2, "23.40", 1, "s2"));  // #2
  send(sell(SUP1, "23.50", 1, "s3"));  // #3 beyond the edge
  set_reference("18.00");
  rec.clear();
  send(market(BUY1, Side::Buy, 3, "m"));  // #4
  // The edge is fixed by the reference the order met on arrival: 23.50 is 30.6 % above 18.00. (A band
  // that followed each fill of the sweep would let one order walk the book without bound, and would
  // disagree with FOK, which is killed on the same book: MarketFokWhoseFillWouldCrossTheBandEdgeIsKilled.)
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #4 m buy market ioc 0.0000x3",
                            "trade 20.0000x1 buy#4(2) sell#1(0) aggr=buy",
                            "trade 23.4000x1 buy#4(1) sell#2(0) aggr=buy",
                            "done #4 m price_band_reached cancelled=1 filled=2",
                            "book sell 20.0000 0/0",
                            "book sell 23.4000 0/0",
                        }));
  EXPECT_EQ(levels(Side::Sell), Lines({"23.5000 1/1"}));
}

TEST_F(RulesTest, MarketOrderBandStopsBeforeTheFirstLevelOutsideIt) {
  send(sell(SUP1, "23.50", 1, "s"));  // #1
  set_reference("18.00");
  rec.clear();
  send(market(BUY1, Side::Buy, 1, "m"));  // #2
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #2 m buy market ioc 0.0000x1",
                            "done #2 m price_band_reached cancelled=1 filled=0",
                        }));
}

TEST_F(RulesTest, MarketFokWhoseFillWouldCrossTheBandEdgeIsKilled) {
  send(sell(SUP1, "20.00", 1, "s1"));  // #1
  send(sell(SUP2, "23.40", 1, "s2"));  // #2
  send(sell(SUP1, "23.50", 1, "s3"));  // #3
  set_reference("18.00");
  rec.clear();
  send(market(BUY1, Side::Buy, 3, "f", TimeInForce::FOK));  // #4
  EXPECT_EQ(rec.take(), Lines({
                            "accepted #4 f buy market fok 0.0000x3",
                            "done #4 f fok_not_filled cancelled=3 filled=0",
                        }));
  EXPECT_EQ(levels(Side::Sell), Lines({"20.0000 1/1", "23.4000 1/1", "23.5000 1/1"}));
}

// ===================================================================== instrument lifecycle

TEST_F(RulesTest, ListingOpensAtOnceWithStateEvent) {
  InstrumentId other = list(kOther);
  EXPECT_EQ(rec.take(), Lines({
                            "admin list_instrument NM.H100.D.2026-12-03",
                            "state NM.H100.D.2026-12-03 open",
                        }));
  ASSERT_NE(other, kNoInstrument);
  const InstrumentInfo* info = engine.instrument(other);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->symbol, kOther);
  EXPECT_EQ(info->region, NM);
  EXPECT_EQ(info->chip_class, H100);
  EXPECT_EQ(info->tenor, Tenor::Day);
  EXPECT_EQ(info->start, iso("2026-12-03T00:00:00+08:00"));
  EXPECT_EQ(info->end, iso("2026-12-04T00:00:00+08:00"));
  EXPECT_EQ(info->hours, 24);
  EXPECT_EQ(info->scu_per_device, 989);
  EXPECT_EQ(info->gate_closure(), iso("2026-12-02T23:00:00+08:00"));
  EXPECT_EQ(engine.instrument_state(other), InstrumentState::Open);
  EXPECT_EQ(engine.instrument_count(), 2u);
}

TEST_F(RulesTest, ListingWithAFutureOpenAtStaysListedUntilThen) {
  const Timestamp open_at = iso("2026-11-30T12:00:00+08:00");
  InstrumentId other = list(kOther, open_at);
  EXPECT_EQ(rec.take(), Lines({"admin list_instrument NM.H100.D.2026-12-03"}));
  EXPECT_EQ(engine.instrument_state(other), InstrumentState::Listed);
  advance(open_at - 1);
  EXPECT_TRUE(rec.take().empty());
  advance(open_at);
  auto st = rec.of<InstrumentStateChanged>();
  EXPECT_EQ(rec.take(), Lines({"state NM.H100.D.2026-12-03 open"}));
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].e.ts, open_at);
  EXPECT_EQ(engine.instrument_state(other), InstrumentState::Open);
}

TEST_F(RulesTest, HaltAndResume) {
  send(buy(BUY1, "18.00", 5, "b"));  // #1
  send(buy(BUY1, "17.00", 5, "c"));  // #2
  rec.clear();
  set_state(StateAction::Halt, inst);
  EXPECT_EQ(rec.take(), Lines({
                            "admin set_instrument_state NM.H100.D.2026-12-01",
                            "state NM.H100.D.2026-12-01 halted",
                        }));
  EXPECT_EQ(engine.instrument_state(inst), InstrumentState::Halted);
  send(buy(BUY2, "18.00", 1, "x"));
  replace(BUY1, 1, "", 4);
  cancel(BUY1, 1);  // cancels still work while halted
  set_state(StateAction::Halt, inst);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order x instrument_halted",
                            "rejected replace #1 instrument_halted",
                            "done #1 b cancelled cancelled=5 filled=0",
                            "book buy 18.0000 0/0",
                            "rejected set_instrument_state invalid_state_change",
                        }));
  mass_cancel(BUY1, BUY1);  // and so does a mass cancel
  EXPECT_EQ(rec.take(), Lines({
                            "done #2 c mass_cancelled cancelled=5 filled=0",
                            "mass_cancel_done 1",
                            "book buy 17.0000 0/0",
                        }));
  set_state(StateAction::Resume, inst);
  set_state(StateAction::Resume, inst);
  EXPECT_EQ(rec.take(), Lines({
                            "admin set_instrument_state NM.H100.D.2026-12-01",
                            "state NM.H100.D.2026-12-01 open",
                            "rejected set_instrument_state invalid_state_change",
                        }));
  EXPECT_NE(send(buy(BUY2, "18.00", 1, "y")), 0u);
  set_state(StateAction::Halt, 77);
  EXPECT_EQ(rec.take().back(), "rejected set_instrument_state unknown_instrument");
}

TEST_F(RulesTest, HaltOrResumeOfAListedInstrumentIsAnInvalidStateChange) {
  InstrumentId other = list(kOther, iso("2026-11-30T12:00:00+08:00"));
  rec.clear();
  set_state(StateAction::Halt, other);
  set_state(StateAction::Resume, other);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected set_instrument_state invalid_state_change @NM.H100.D.2026-12-03",
                            "rejected set_instrument_state invalid_state_change @NM.H100.D.2026-12-03",
                        }));
}

TEST_F(RulesTest, GateClosureExpiresRestingOrdersAndClosesTheBook) {
  send(buy(BUY1, "18.00", 2, "a"));   // #1
  send(buy(BUY2, "18.10", 1, "b"));   // #2
  send(sell(SUP1, "19.00", 3, "c"));  // #3
  rec.clear();
  advance(iso("2026-11-30T22:59:59.999999999+08:00"));
  EXPECT_TRUE(rec.take().empty());
  advance(iso("2026-11-30T23:30:00+08:00"));
  auto done = rec.of<OrderDone>();
  EXPECT_EQ(rec.take(), Lines({
                            "done #2 b gate_closure cancelled=1 filled=0",
                            "done #1 a gate_closure cancelled=2 filled=0",
                            "done #3 c gate_closure cancelled=3 filled=0",
                            "state NM.H100.D.2026-12-01 closed",
                            "book buy 18.1000 0/0",
                            "book buy 18.0000 0/0",
                            "book sell 19.0000 0/0",
                        }));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].e.ts, iso("2026-11-30T23:00:00+08:00"));
  EXPECT_TRUE(done_is_expiry(DoneReason::GateClosure));
  EXPECT_EQ(engine.instrument_state(inst), InstrumentState::Closed);
  EXPECT_EQ(engine.open_order_count(), 0u);
  EXPECT_EQ(engine.credit(BUY1).open_buy, 0);
  EXPECT_EQ(engine.credit(BUY2).open_buy, 0);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 100);
  send(buy(BUY1, "18.00", 1, "x"));
  replace(BUY1, 1, "", 1);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected new_order x instrument_closed",
                            "rejected replace #1 unknown_order",
                        }));
}

TEST_F(RulesTest, WindowEndExpiresTheInstrument) {
  advance(iso("2026-12-02T00:00:00+08:00"));
  auto st = rec.of<InstrumentStateChanged>();
  EXPECT_EQ(rec.take(), Lines({
                            "state NM.H100.D.2026-12-01 closed",
                            "state NM.H100.D.2026-12-01 expired",
                        }));
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].e.ts, iso("2026-11-30T23:00:00+08:00"));
  EXPECT_EQ(st[1].e.ts, iso("2026-12-02T00:00:00+08:00"));
  EXPECT_EQ(engine.instrument_state(inst), InstrumentState::Expired);
  set_state(StateAction::Resume, inst);
  advance(iso("2026-12-10T00:00:00+08:00"));
  EXPECT_EQ(rec.take(), Lines({"rejected set_instrument_state invalid_state_change"}));
}

TEST_F(RulesTest, ListingRejects) {
  engine.list_instrument(listing("NM.H100.D.2026-11-30"));     // gate closure 2026-11-29 23:00: past
  engine.list_instrument(listing("NM.H100.H.2026-11-30T10"));  // gate closure 09:00 = now: too late
  engine.list_instrument(listing("NM-H100-D-2026-12-01"));
  engine.list_instrument(listing("NM.H100.D.2026-13-01"));
  engine.list_instrument(listing("GZ.H100.D.2026-12-01"));
  engine.list_instrument(listing("NM.A100.D.2026-12-01"));
  engine.list_instrument(listing(kMainSymbol));
  engine.list_instrument(listing(kOther, iso("2026-12-02T23:00:00+08:00")));  // opens at gate closure
  EXPECT_EQ(rec.take(), Lines({
                            "rejected list_instrument listing_too_late",
                            "rejected list_instrument listing_too_late",
                            "rejected list_instrument bad_symbol",
                            "rejected list_instrument bad_symbol",
                            "rejected list_instrument unknown_region",
                            "rejected list_instrument unknown_chip_class",
                            "rejected list_instrument duplicate_code",
                            "rejected list_instrument invalid_value",
                        }));
  EXPECT_EQ(engine.instrument_count(), 1u);
  // One hour later than "too late" is fine.
  EXPECT_NE(list("NM.H100.H.2026-11-30T11"), kNoInstrument);
}

TEST_F(RulesTest, AdminCommandsNeedAnOperator) {
  ListInstrument by_buyer = listing(kOther);
  by_buyer.actor = BUY1;
  engine.list_instrument(by_buyer);
  set_credit(BUY1, 1, BUY1);
  set_reference("18.00", BUY1);
  set_state(StateAction::Halt, inst, BUY1);
  RegisterCapacity rc;
  rc.ts = now;
  rc.actor = SUP1;
  rc.supplier = SUP1;
  rc.region = "NM";
  rc.chip_class = "H100";
  rc.from = iso("2026-12-01");
  rc.to = iso("2026-12-02");
  rc.devices = 1000;
  engine.register_capacity(rc);
  AddParticipant ap;
  ap.ts = now;
  ap.actor = 999;
  ap.participant.code = "NEW";
  engine.add_participant(ap);
  EXPECT_EQ(rec.take(), Lines({
                            "rejected list_instrument role_missing",
                            "rejected set_credit role_missing",
                            "rejected set_reference_price role_missing",
                            "rejected set_instrument_state role_missing",
                            "rejected register_capacity role_missing",
                            "rejected add_participant unknown_participant",
                        }));
  EXPECT_EQ(engine.credit(BUY1).limit, 100'000'000LL * kScale);
  EXPECT_EQ(engine.reference_price(inst), 0);
  EXPECT_EQ(engine.capacity_headroom(SUP1, NM, H100, iso("2026-12-01"), iso("2026-12-02")), 100);
  // The OPS participant (operator role) and the built-in EXCH (participant 0) may.
  by_buyer.actor = OPS;
  engine.list_instrument(by_buyer);
  set_credit(BUY1, 5, kExchangeParticipant);
  EXPECT_EQ(rec.take(), Lines({
                            "admin list_instrument NM.H100.D.2026-12-03",
                            "state NM.H100.D.2026-12-03 open",
                            "admin set_credit BUY1",
                        }));
  EXPECT_EQ(engine.credit(BUY1).limit, 5);
  EXPECT_EQ(engine.participant(kExchangeParticipant)->code, "EXCH");
  EXPECT_TRUE(engine.participant(kExchangeParticipant)->roles & kRoleOperator);
}

// ===================================================================== determinism

TEST_F(RulesTest, StateHashSameCommandStreamSameHash) {
  std::vector<Command> script;
  auto add = [&](NewOrder o) {
    o.ts = now;
    script.push_back(o);
  };
  add(sell(SUP1, "18.50", 5, "s1"));
  add(sell(SUP2, "18.60", 5, "s2"));
  add(buy(BUY1, "18.55", 7, "b1"));
  add(buy(BUY2, "18.00", 2, "b2"));
  script.push_back(ReplaceOrder{now, BUY2, 4, {}, px("18.10"), 0});
  script.push_back(CancelOrder{now, SUP2, 2, {}});
  script.push_back(AdvanceTime{iso("2026-11-30T23:30:00+08:00")});

  Recorder rec2;
  MatchingEngine engine2(rec2);
  rec2.engine = &engine2;
  for (const Command& c : standard_setup()) engine2.apply(c);
  rec2.main_instrument = engine2.find_instrument(kMainSymbol);
  rec2.clear();
  EXPECT_EQ(engine.state_hash(), engine2.state_hash());

  for (const Command& c : script) {
    engine.apply(c);
    engine2.apply(c);
    EXPECT_EQ(engine.state_hash(), engine2.state_hash());
  }
  EXPECT_EQ(rec.lines, rec2.lines);
  EXPECT_GT(rec.lines.size(), 10u);
}

TEST_F(RulesTest, StateHashDiffersWhenStateDiffers) {
  Recorder rec2;
  MatchingEngine engine2(rec2);
  for (const Command& c : standard_setup()) engine2.apply(c);
  ASSERT_EQ(engine.state_hash(), engine2.state_hash());
  NewOrder a = buy(BUY1, "18.00", 5, "b");
  NewOrder b = buy(BUY1, "18.00", 4, "b");  // one device less
  a.ts = b.ts = now;
  engine.new_order(a);
  engine2.new_order(b);
  EXPECT_NE(engine.state_hash(), engine2.state_hash());
  const uint64_t before = engine.state_hash();
  set_reference("18.10");
  EXPECT_NE(engine.state_hash(), before);
}

}  // namespace
}  // namespace cpx::test

namespace cpx::test {
namespace {

class FeeRulesTest : public EngineFixture {
 protected:
  void fees(int64_t maker, int64_t taker) { engine.set_fees(SetFees{now, kExchangeParticipant, maker, taker}); }
  Trade last_trade() { return rec.of<Trade>().back().e; }
};

TEST_F(FeeRulesTest, MakerAndTakerFeesOnEachTrade) {
  fees(5, 10);
  set_credit(BUY1, day_notional("20.00", 100));
  send(sell(SUP1, "18.00", 10, "s"));  // resting: the seller is the maker
  send(buy(BUY1, "18.00", 10, "b"));   // incoming: the buyer is the taker
  const Trade t = last_trade();
  EXPECT_EQ(t.notional, day_notional("18.00", 10));            // 4,320 CNY
  EXPECT_EQ(t.buyer_fee, 43'200);                              // 10 bps = 4.32 CNY
  EXPECT_EQ(t.seller_fee, 21'600);                             // 5 bps = 2.16 CNY
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, t.notional + t.buyer_fee);
  // The other way round: the buyer rests (maker), the seller comes in (taker).
  send(buy(BUY1, "18.00", 1, "b2"));
  send(sell(SUP1, "18.00", 1, "s2"));
  EXPECT_EQ(last_trade().buyer_fee, 2'160);  // 5 bps of 432 CNY = 0.216 CNY
  EXPECT_EQ(last_trade().seller_fee, 4'320); // 10 bps
}

TEST_F(FeeRulesTest, FeesRoundHalfUp) {
  fees(0, 1);  // 1 bp
  set_credit(BUY1, day_notional("20.00", 100));
  send(sell(SUP1, "0.01", 1, "s"));  // notional 0.24 CNY = 2,400 units: fee 0.24 units -> 0
  send(buy(BUY1, "0.01", 1, "b"));
  EXPECT_EQ(last_trade().buyer_fee, 0);
  send(sell(SUP1, "0.01", 3, "s"));  // 7,200 units: 0.72 -> 1
  send(buy(BUY1, "0.01", 3, "b"));
  EXPECT_EQ(last_trade().notional, 7'200);
  EXPECT_EQ(last_trade().buyer_fee, 1);
  send(sell(SUP1, "0.01", 2, "s"));  // 4,800 units: 0.48 -> 0
  send(buy(BUY1, "0.01", 2, "b"));
  EXPECT_EQ(last_trade().buyer_fee, 0);
}

TEST_F(FeeRulesTest, OpenBuysHoldNotionalPlusTheLargerFeeAndOneUnitPerDevice) {
  fees(5, 10);
  set_credit(BUY1, day_notional("20.00", 100));
  send(buy(BUY1, "18.00", 10, "b"));
  const Money notional = day_notional("18.00", 10);
  EXPECT_EQ(engine.credit(BUY1).open_buy, notional + notional * 10 / 10'000 + 10);
  // Changing the fees re-prices every open reservation.
  fees(0, 0);
  EXPECT_EQ(engine.credit(BUY1).open_buy, notional);
  fees(20, 0);
  EXPECT_EQ(engine.credit(BUY1).open_buy, notional + notional * 20 / 10'000 + 10);
  // Out of range fees are refused and change nothing.
  rec.clear();
  fees(1001, 0);
  EXPECT_EQ(rec.of<OrderRejected>().size(), 1u);
  EXPECT_EQ(engine.credit(BUY1).open_buy, notional + notional * 20 / 10'000 + 10);
}

TEST_F(FeeRulesTest, AMarketBuyStopsWhereNotionalPlusFeeUsesUpTheCredit) {
  fees(0, 100);  // 1 % taker
  const Money per_device = day_notional("10.00", 1);  // 240 CNY
  set_credit(BUY1, per_device * 3 + per_device * 3 / 100);  // exactly three devices with their fees
  send(sell(SUP1, "10.00", 5, "s"));
  rec.clear();
  send(market(BUY1, Side::Buy, 5, "m"));
  ASSERT_EQ(rec.of<Trade>().size(), 1u);
  EXPECT_EQ(rec.of<Trade>()[0].e.qty, 3);
  ASSERT_EQ(rec.of<OrderDone>().size(), 1u);
  EXPECT_EQ(rec.of<OrderDone>()[0].e.reason, DoneReason::CreditLimit);
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, engine.credit(BUY1).limit);
}

TEST_F(FeeRulesTest, AFeeIncreaseCancelsTheNewestBuysTheCashNoLongerCovers) {
  const Money cash = day_notional("10.00", 10);
  set_credit(BUY1, cash);
  send(buy(BUY1, "10.00", 6, "old"));  // #1
  send(buy(BUY1, "9.00", 4, "new"));   // #2: together they hold 2,304 of the 2,400 CNY
  ASSERT_EQ(rec.of<OrderRejected>().size(), 0u);
  rec.clear();
  fees(1000, 1000);  // 10 %: both would now hold 2,534.4 CNY and more; without #2, 1,584 CNY fits
  ASSERT_EQ(rec.of<OrderDone>().size(), 1u);
  EXPECT_EQ(rec.of<OrderDone>()[0].e.order_id, 2u);  // the newest buy went
  EXPECT_EQ(rec.of<OrderDone>()[0].e.reason, DoneReason::FeeChange);
  const CreditView cv = engine.credit(BUY1);
  EXPECT_LE(cv.open_buy + cv.unsettled_bought, cv.limit);
  OrderView left;
  EXPECT_TRUE(engine.find_order(1, left));
}

}  // namespace
}  // namespace cpx::test

namespace cpx::test {
namespace {

class RobustnessTest : public EngineFixture {};

TEST_F(RobustnessTest, CancelledExpiryTimersDoNotAccumulate) {
  // 20,000 GTD orders placed and cancelled at once: their timers would otherwise sit in the heap (and in
  // every snapshot) until the far expiry.
  set_credit(BUY1, day_notional("10.00", 1'000'000));
  const size_t base = engine.snapshot().size();
  for (int i = 0; i < 20'000; ++i) {
    NewOrder o = buy(BUY1, "10.00", 1);
    o.tif = TimeInForce::GTD;
    o.expire_at = iso("2026-11-30T20:00:00+08:00");
    const OrderId id = send(o);
    ASSERT_NE(id, 0u);
    cancel(BUY1, id);
  }
  advance(now + kNanosPerSecond);
  EXPECT_LT(engine.snapshot().size(), base + 100'000) << "stale timers were kept";
  // A live GTD order still expires on time.
  NewOrder o = buy(BUY1, "10.00", 1, "live");
  o.tif = TimeInForce::GTD;
  o.expire_at = iso("2026-11-30T20:00:00+08:00");
  const OrderId live = send(o);
  rec.clear();
  advance(iso("2026-11-30T20:00:00+08:00"));
  ASSERT_EQ(rec.of<OrderDone>().size(), 1u);
  EXPECT_EQ(rec.of<OrderDone>()[0].e.order_id, live);
  EXPECT_EQ(rec.of<OrderDone>()[0].e.reason, DoneReason::ExpiredGtd);
}

TEST_F(RobustnessTest, AMassCancelOverManyLevelsReportsEachLevelOnce) {
  set_credit(BUY1, day_notional("20.00", 100'000));
  for (int level = 0; level < 500; ++level) {
    for (int k = 0; k < 2; ++k) {
      NewOrder o = buy(BUY1, "1.00", 1);
      o.price = 10'000 + level * 100;  // 1.00, 1.01, ... one level each
      ASSERT_NE(send(o), 0u);
    }
  }
  rec.clear();
  mass_cancel(BUY1, BUY1);
  EXPECT_EQ(rec.of<OrderDone>().size(), 1000u);
  const auto changes = rec.of<BookChange>();
  ASSERT_EQ(changes.size(), 500u);
  std::set<Price> prices;
  for (const auto& c : changes) {
    EXPECT_EQ(c.e.qty, 0);
    prices.insert(c.e.price);
  }
  EXPECT_EQ(prices.size(), 500u);
}

TEST_F(RobustnessTest, AdminValuesAreBounded) {
  rec.clear();
  engine.register_capacity(RegisterCapacity{now, kExchangeParticipant, SUP1, "NM", "H100", iso("2026-12-01"),
                                            iso("2026-12-02"), kMaxDevices + 1});
  ChipClass huge;
  huge.code = "HUGE";
  huge.scu_per_device = kMaxScuPerDevice + 1;
  engine.add_chip_class(AddChipClass{now, kExchangeParticipant, huge});
  const auto rejects = rec.of<OrderRejected>();
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].e.reason, RejectReason::InvalidValue);
  EXPECT_EQ(rejects[1].e.reason, RejectReason::InvalidValue);
}

}  // namespace
}  // namespace cpx::test
