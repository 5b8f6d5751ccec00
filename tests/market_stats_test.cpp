// Price discovery (docs/PRODUCT.md §7): CPX indices (VWAP per SCU-hour per class, per region and national, over
// a trailing window) and OHLCV bars, from the exchange's contracts, with figures worked out by hand; both
// survive a snapshot.
#include <gtest/gtest.h>

#include <random>

#include "engine_fixture.hpp"
#include "exchange.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/names.hpp"
#include "market_stats.hpp"

namespace cpx::test {
namespace {

using persistence::Exchange;

class MarketStatsTest : public ::testing::Test {
 protected:
  Recorder rec;
  Exchange ex{rec};
  api::EngineNames names{ex.engine()};
  api::CommandDecoder decoder{names};

  void SetUp() override {
    auto reference = api::load_reference_requests(api::default_config_dir());
    ASSERT_TRUE(reference.ok());
    for (const auto& l : *reference) run(l, "2026-11-30T09:00:00+08:00");
    run(R"({"cmd":"add_participant","code":"OPS","name":"ops","kind":"exchange","roles":["operator"]})", "2026-11-30T09:00:00+08:00");
    run(R"({"cmd":"add_participant","code":"B","name":"buyer","kind":"buyer","roles":["trade_buy"]})", "2026-11-30T09:00:00+08:00");
    run(R"({"cmd":"deposit","participant":"OPS","target":"B","amount":"1000000.00"})", "2026-11-30T09:00:00+08:00");
    for (const char* region : {"NM", "GS"}) {
      const std::string s = std::string("S") + region;
      run(R"({"cmd":"add_participant","code":")" + s + R"(","name":"seller","kind":"cloud_vendor","roles":["trade_sell"]})", "2026-11-30T09:00:00+08:00");
      run(R"({"cmd":"register_capacity","participant":"OPS","supplier":")" + s + R"(","region":")" + region +
          R"(","class":"H100","from":"2026-12-01T00:00:00+08:00","to":"2026-12-02T00:00:00+08:00","devices":1000})", "2026-11-30T09:00:00+08:00");
      run(R"({"cmd":"list_instrument","participant":"OPS","symbol":")" + std::string(region) + R"(.H100.D.2026-12-01","tick":"0.01","lot":1,"max_order_qty":1000})", "2026-11-30T09:00:00+08:00");
    }
    ASSERT_TRUE(rec.of<OrderRejected>().empty()) << ::testing::PrintToString(rec.lines);
  }
  void run(const std::string& line, const char* at) {
    auto c = decoder.decode(line, iso(at));
    ASSERT_TRUE(c.ok()) << c.error().text << " in " << line;
    ex.apply(*c);
  }
  void trade(const char* region, const char* price, int qty, const char* at) {
    const std::string sym = std::string(region) + ".H100.D.2026-12-01";
    run(R"({"cmd":"new_order","participant":"S)" + std::string(region) + R"(","symbol":")" + sym + R"(","side":"sell","price":")" +
            price + R"(","qty":)" + std::to_string(qty) + "}", at);
    run(R"({"cmd":"new_order","participant":"B","symbol":")" + sym + R"(","side":"buy","price":")" + price + R"(","qty":)" +
            std::to_string(qty) + "}", at);
  }
};

// Per instrument: NM (4 x 17.80 + 6 x 18.00) x 24 h / (10 x 24) = 17.92; one trade of 3 @ 18.05 more is
// (1,708.80 + 2,592.00 + 1,299.60) / 312 device-hours = 17.94999... -> 17.9500; outside the window: none.
TEST_F(MarketStatsTest, InstrumentVwapIsNotionalPerDeviceHourInTheWindow) {
  trade("NM", "17.80", 4, "2026-11-30T10:00:00+08:00");
  trade("NM", "18.00", 6, "2026-11-30T11:30:00+08:00");
  const InstrumentId nm = ex.engine().find_instrument("NM.H100.D.2026-12-01");
  const InstrumentId gs = ex.engine().find_instrument("GS.H100.D.2026-12-01");
  const Timestamp now = iso("2026-11-30T12:30:00+08:00");
  auto v = persistence::instrument_vwaps(ex, now - 24 * kNanosPerHour, now);
  ASSERT_EQ(v.size(), ex.engine().instrument_count());
  EXPECT_EQ(v[nm], px("17.92"));
  EXPECT_EQ(v[gs], 0);
  trade("NM", "18.05", 3, "2026-11-30T12:00:00+08:00");
  v = persistence::instrument_vwaps(ex, now - 24 * kNanosPerHour, now);
  EXPECT_EQ(v[nm], px("17.95"));
  // Only trades after `from`: the 10:00 trade drops out of (10:00, 12:30].
  v = persistence::instrument_vwaps(ex, iso("2026-11-30T10:00:00+08:00"), now);
  EXPECT_EQ(v[nm], px("18.0167"));  // (6 x 18.00 + 3 x 18.05) / 9 = 18.01666... -> 18.0167 (half away from zero)
}

// NM 4 @ 17.80 at 10:00 and 6 @ 18.00 at 11:30; GS 10 @ 16.00 at 12:10 (H100: 989 SCU, day: 24 h).
//   NM:  (1,708.80 + 2,592.00) / (94,944 + 142,416) SCU-h = 4,300.80 / 237,360 = 0.01811931
//   GS:  3,840.00 / 237,360 = 0.01617796
//   CN:  8,140.80 / 474,720 = 0.017148634...98 -> 0.01714863
TEST_F(MarketStatsTest, IndicesAreVwapPerScuHourPerRegionAndNational) {
  trade("NM", "17.80", 4, "2026-11-30T10:00:00+08:00");
  trade("NM", "18.00", 6, "2026-11-30T11:30:00+08:00");
  trade("GS", "16.00", 10, "2026-11-30T12:10:00+08:00");
  ASSERT_EQ(ex.contract_count(), 3u);
  const Timestamp now = iso("2026-11-30T12:30:00+08:00");
  auto all = persistence::price_indices(ex, now - 24 * kNanosPerHour, now);
  ASSERT_EQ(all.size(), 3u);
  const RegionId NM = ex.engine().find_region("NM"), GS = ex.engine().find_region("GS");
  std::map<std::string, persistence::PriceIndex> by;
  for (const auto& p : all) by[p.national ? "CN" : ex.engine().region(p.region)->code] = p;
  EXPECT_EQ(by["NM"].region, NM);
  EXPECT_EQ(by["NM"].cost, px("4300.80"));
  EXPECT_EQ(by["NM"].scu_hours, 237'360);
  EXPECT_EQ(by["NM"].trades, 2);
  EXPECT_EQ(by["NM"].vwap_per_scu_hour, 1'811'931);
  EXPECT_EQ(by["GS"].region, GS);
  EXPECT_EQ(by["GS"].vwap_per_scu_hour, 1'617'796);
  EXPECT_EQ(by["CN"].vwap_per_scu_hour, 1'714'863);
  EXPECT_EQ(by["CN"].trades, 3);
  EXPECT_TRUE(all.back().national) << "national indices come last";
  // A one-hour window as of 12:30 holds only the 12:10 trade (11:30 is its open end).
  auto hour = persistence::price_indices(ex, now - kNanosPerHour, now);
  ASSERT_EQ(hour.size(), 2u);
  EXPECT_EQ(hour[0].region, GS);
  EXPECT_EQ(hour[1].vwap_per_scu_hour, 1'617'796) << "national = GS alone";
}

TEST_F(MarketStatsTest, BarsAndIndicesSurviveASnapshot) {
  trade("NM", "17.80", 4, "2026-11-30T10:00:00+08:00");
  trade("NM", "18.20", 1, "2026-11-30T10:20:00+08:00");
  trade("NM", "17.60", 2, "2026-11-30T10:40:00+08:00");
  trade("NM", "18.00", 6, "2026-11-30T11:30:00+08:00");
  const InstrumentId nm = ex.engine().find_instrument("NM.H100.D.2026-12-01");
  auto bars = persistence::ohlcv_bars(ex, nm, 0, iso("2026-11-30T13:00:00+08:00"), kNanosPerHour);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].start, iso("2026-11-30T10:00:00+08:00"));
  EXPECT_EQ(bars[0].open, px("17.80"));
  EXPECT_EQ(bars[0].high, px("18.20"));
  EXPECT_EQ(bars[0].low, px("17.60"));
  EXPECT_EQ(bars[0].close, px("17.60"));
  EXPECT_EQ(bars[0].volume, 7);
  EXPECT_EQ(bars[0].trades, 3);
  EXPECT_EQ(bars[1].start, iso("2026-11-30T11:00:00+08:00"));
  EXPECT_EQ(bars[1].volume, 6);
  auto days = persistence::ohlcv_bars(ex, nm, 0, iso("2026-12-01T00:00:00+08:00"), kNanosPerDay);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].start, iso("2026-11-30T00:00:00+08:00")) << "days start at CST midnight";
  EXPECT_EQ(days[0].volume, 13);

  Recorder other_rec;
  Exchange restored(other_rec);
  ASSERT_TRUE(restored.restore(ex.snapshot()).ok());
  const Timestamp now = iso("2026-11-30T12:00:00+08:00");
  auto a = persistence::price_indices(ex, now - kNanosPerDay, now);
  auto b = persistence::price_indices(restored, now - kNanosPerDay, now);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].vwap_per_scu_hour, b[i].vwap_per_scu_hour);
  EXPECT_EQ(persistence::ohlcv_bars(restored, nm, 0, now, kNanosPerHour).size(), 2u);
}

// Random trades: each index is the exact VWAP of its trades, rounded half away from zero, and the national
// index of a class sums its regions.
TEST_F(MarketStatsTest, RandomTradesGiveExactVwaps) {
  std::mt19937_64 rng(7);
  Timestamp t = iso("2026-11-30T10:00:00+08:00");
  for (int i = 0; i < 60; ++i) {
    t += static_cast<Timestamp>(rng() % 600) * kNanosPerSecond;
    const std::string at = format_iso_time(t);
    trade(rng() % 2 ? "NM" : "GS", (std::to_string(15 + rng() % 5) + "." + std::to_string(10 + rng() % 90)).c_str(),
          1 + static_cast<int>(rng() % 9), at.c_str());
  }
  auto all = persistence::price_indices(ex, 0, t);
  Money cost = 0;
  int64_t scu_hours = 0, trades = 0;
  for (const auto& p : all) {
    const __int128 num = static_cast<__int128>(p.cost) * 10'000;
    EXPECT_EQ(p.vwap_per_scu_hour, static_cast<int64_t>((2 * num + p.scu_hours) / (2 * static_cast<__int128>(p.scu_hours))));
    if (p.national) continue;
    cost += p.cost;
    scu_hours += p.scu_hours;
    trades += p.trades;
  }
  ASSERT_TRUE(all.back().national);
  EXPECT_EQ(all.back().cost, cost);
  EXPECT_EQ(all.back().scu_hours, scu_hours);
  EXPECT_EQ(all.back().trades, trades);
  EXPECT_EQ(static_cast<size_t>(trades), ex.contract_count());
}

// The public tape (GET /trades): random trades on two books, both sides aggressing, at random times. Paged
// through with a cursor, small limits and small scan budgets, it gives exactly the trades a simple filter
// of the Trade events gives, oldest first; without a cursor, the newest `limit`; and after a snapshot the
// same, aggressors included.
TEST_F(MarketStatsTest, TheTapePagesExactlyThroughTheTradesAndSurvivesASnapshot) {
  std::mt19937_64 rng(11);
  Timestamp t = iso("2026-11-30T10:00:00+08:00");
  for (int i = 0; i < 80; ++i) {
    t += static_cast<Timestamp>(1 + rng() % 900) * kNanosPerSecond;
    const std::string at = format_iso_time(t);
    const char* region = rng() % 2 ? "NM" : "GS";
    const std::string price = std::to_string(16 + rng() % 3) + "." + std::to_string(10 + rng() % 90);
    const int qty = 1 + static_cast<int>(rng() % 5);
    if (rng() % 2) {
      trade(region, price.c_str(), qty, at.c_str());  // the buyer aggresses
    } else {
      const std::string sym = std::string(region) + ".H100.D.2026-12-01";
      run(R"({"cmd":"new_order","participant":"B","symbol":")" + sym + R"(","side":"buy","price":")" + price +
              R"(","qty":)" + std::to_string(qty) + "}", at.c_str());
      run(R"({"cmd":"new_order","participant":"S)" + std::string(region) + R"(","symbol":")" + sym +
              R"(","side":"sell","price":")" + price + R"(","qty":)" + std::to_string(qty) + "}", at.c_str());
    }
  }
  std::vector<Trade> all;
  for (const auto& r : rec.of<Trade>()) all.push_back(r.e);
  ASSERT_EQ(all.size(), 80u);
  const InstrumentId nm = ex.engine().find_instrument("NM.H100.D.2026-12-01");
  const Timestamp t0 = iso("2026-11-30T10:00:00+08:00");
  Recorder other;
  Exchange restored(other);
  ASSERT_TRUE(restored.restore(ex.snapshot()).ok());
  for (int round = 0; round < 200; ++round) {
    persistence::TapeQuery q;
    q.instrument = rng() % 2 ? nm : kNoInstrument;
    if (rng() % 2) q.from = t0 + static_cast<Timestamp>(rng() % 40'000) * kNanosPerSecond;
    if (rng() % 2) q.to = q.from == INT64_MIN ? t0 + static_cast<Timestamp>(rng() % 80'000) * kNanosPerSecond
                                               : q.from + static_cast<Timestamp>(1 + rng() % 40'000) * kNanosPerSecond;
    q.limit = 1 + rng() % 12;
    const TradeId start = rng() % 3 ? 0 : rng() % 40;
    std::vector<Trade> want;
    for (const Trade& tr : all) {
      if (tr.trade_id > start && (q.instrument == kNoInstrument || tr.instrument == q.instrument) && tr.ts >= q.from &&
          tr.ts < q.to) {
        want.push_back(tr);
      }
    }
    const Exchange& x = round % 2 ? restored : ex;
    // Oldest first, page by page: what the pages hold, together, is exactly `want`.
    const size_t budget = 1 + rng() % 30;
    std::vector<const persistence::Contract*> got;
    q.after = start;
    for (int page = 0; page < 1000; ++page) {
      const persistence::Tape tape = persistence::trade_tape(x, q, budget);
      ASSERT_LE(tape.trades.size(), q.limit);
      ASSERT_GE(tape.next_after, *q.after);
      got.insert(got.end(), tape.trades.begin(), tape.trades.end());
      if (!tape.more) break;
      ASSERT_GT(tape.next_after, *q.after) << "a page that says more must move the cursor";
      q.after = tape.next_after;
    }
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k]->trade_id, want[k].trade_id);
      EXPECT_EQ(got[k]->traded_at, want[k].ts);
      EXPECT_EQ(got[k]->price, want[k].price);
      EXPECT_EQ(got[k]->qty, want[k].qty);
      EXPECT_EQ(got[k]->aggressor, want[k].aggressor) << "trade " << want[k].trade_id;
    }
    // No cursor: the newest `limit` of them (from the start of the tape), oldest first.
    q.after.reset();
    std::vector<Trade> newest;
    for (const Trade& tr : all) {
      if ((q.instrument == kNoInstrument || tr.instrument == q.instrument) && tr.ts >= q.from && tr.ts < q.to) {
        newest.push_back(tr);
      }
    }
    if (newest.size() > q.limit) newest.erase(newest.begin(), newest.end() - static_cast<ptrdiff_t>(q.limit));
    const persistence::Tape tape = persistence::trade_tape(x, q);
    ASSERT_EQ(tape.trades.size(), newest.size());
    for (size_t k = 0; k < newest.size(); ++k) EXPECT_EQ(tape.trades[k]->trade_id, newest[k].trade_id);
    EXPECT_EQ(tape.next_after, all.back().trade_id) << "polling from here gets only what is new";
  }
  size_t sells = 0;
  for (const Trade& tr : all) sells += tr.aggressor == Side::Sell;
  EXPECT_GT(sells, 20u);
  EXPECT_LT(sells, 60u);
}

}  // namespace
}  // namespace cpx::test
