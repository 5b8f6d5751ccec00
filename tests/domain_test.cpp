// The domain model's building blocks: fixed-point decimals, CST calendar arithmetic, the symbol grammar,
// and the engine's containers checked against std:: models.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <unordered_map>

#include "capacity_registry.hpp"
#include "cpx/fixed_point.hpp"
#include "cpx/instrument.hpp"
#include "cpx/time.hpp"
#include "order_index.hpp"
#include "timer_queue.hpp"

namespace cpx {
namespace {

TEST(FixedPoint, ParsesExactDecimals) {
  EXPECT_EQ(parse_fixed("12"), 120000);
  EXPECT_EQ(parse_fixed("12.5"), 125000);
  EXPECT_EQ(parse_fixed("0.0001"), 1);
  EXPECT_EQ(parse_fixed("-3.25"), -32500);
  EXPECT_EQ(parse_fixed("+1.1"), 11000);
  EXPECT_EQ(parse_fixed(".5"), 5000);
  EXPECT_EQ(parse_fixed("30", 2), 3000);
  EXPECT_EQ(parse_fixed("922337203685477.5807"), INT64_MAX);
}

TEST(FixedPoint, RejectsWhatCannotBeExact) {
  for (const char* bad : {"", "-", ".", "1.00001", "1e3", "1,5", "12a", "1..2", " 1", "922337203685477.5808", "0x10"}) {
    EXPECT_FALSE(parse_fixed(bad).has_value()) << bad;
  }
}

TEST(FixedPoint, FormatsWithFixedDecimals) {
  EXPECT_EQ(format_fixed(125000), "12.5000");
  EXPECT_EQ(format_fixed(-1), "-0.0001");
  EXPECT_EQ(format_fixed(0), "0.0000");
  EXPECT_EQ(format_fixed(INT64_MIN), "-922337203685477.5808");
  EXPECT_EQ(format_fixed(123456789, 8), "1.23456789");
}

TEST(FixedPoint, RoundTripsRandomValues) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) {
    auto v = static_cast<int64_t>(rng());
    EXPECT_EQ(parse_fixed(format_fixed(v)), v);
  }
}

TEST(FixedPoint, MulDivRoundsHalfAwayFromZero) {
  EXPECT_EQ(mul_div_round(5, 1, 2), 3);
  EXPECT_EQ(mul_div_round(-5, 1, 2), -3);
  EXPECT_EQ(mul_div_round(4, 1, 3), 1);
  EXPECT_EQ(mul_div_round(185000, 10000, 989), 1870576);  // 18.50 CNY per H100-hour = 0.01870576 per SCU-hour
  EXPECT_FALSE(mul_div_round(INT64_MAX, 4, 2).has_value());
  EXPECT_FALSE(mul_div_round(1, 1, 0).has_value());
  EXPECT_EQ(checked_mul3(185000, 32, 24), 142080000);
  EXPECT_FALSE(checked_mul3(INT64_MAX / 2, 3, 1).has_value());
}

TEST(Time, CivilDaysRoundTripAndKnownDates) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({2026, 12, 1}), 20788);
  for (int64_t d = -1000; d < 100000; d += 37) {
    CivilDate c = civil_from_days(d);
    EXPECT_EQ(days_from_civil(c), d);
  }
  EXPECT_EQ(days_in_month(2028, 2), 29);
  EXPECT_EQ(days_in_month(2100, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
}

TEST(Time, ParsesIsoWithZonesAndDates) {
  auto utc = parse_iso_time("2026-12-01T06:00:00Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(parse_iso_time("2026-12-01T14:00:00+08:00"), utc);
  EXPECT_EQ(parse_iso_time("2026-12-01T14:00+08:00"), utc);
  EXPECT_EQ(parse_iso_time("2026-12-01"), *parse_iso_time("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(*parse_iso_time("2026-12-01T14:00:00.5+08:00") - *utc, kNanosPerSecond / 2);
  for (const char* bad : {"2026-12-01T14:00:00", "2026-13-01", "2026-02-30", "2026-12-01T24:00Z", "26-12-01", "2026-12-01T14:00:00+8"}) {
    EXPECT_FALSE(parse_iso_time(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_iso_time(*utc), "2026-12-01T14:00:00+08:00");
  EXPECT_EQ(parse_iso_time(format_iso_time(*utc + 123)), *utc + 123);
}

TEST(Time, CstDayBoundaries) {
  Timestamp t = *parse_iso_time("2026-12-01T23:59:59+08:00");
  EXPECT_EQ(cst_day_start(t), *parse_iso_time("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(next_cst_midnight(t), *parse_iso_time("2026-12-02T00:00:00+08:00"));
  Timestamp midnight = *parse_iso_time("2026-12-02T00:00:00+08:00");
  EXPECT_EQ(next_cst_midnight(midnight), midnight + kNanosPerDay);  // strictly after
}

TEST(Symbol, ParsesEveryTenor) {
  auto d = parse_symbol("NM.H100.D.2026-12-01");
  ASSERT_TRUE(d.ok()) << d.error().text;
  EXPECT_EQ(d->region, "NM");
  EXPECT_EQ(d->chip_class, "H100");
  EXPECT_EQ(d->tenor, Tenor::Day);
  EXPECT_EQ(d->start, *parse_iso_time("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(d->end - d->start, kNanosPerDay);

  auto h = parse_symbol("JJJ.H100.H.2026-12-01T14");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->start, *parse_iso_time("2026-12-01T14:00:00+08:00"));
  EXPECT_EQ(h->end - h->start, kNanosPerHour);

  auto w = parse_symbol("GZ.ASC910B.W.2026-W49");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start, *parse_iso_time("2026-11-30T00:00:00+08:00"));  // the Monday of ISO week 49
  EXPECT_EQ(w->end - w->start, 7 * kNanosPerDay);

  auto m = parse_symbol("NX.CPU-X86-64V.M.2027-02");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->start, *parse_iso_time("2027-02-01T00:00:00+08:00"));
  EXPECT_EQ(m->end, *parse_iso_time("2027-03-01T00:00:00+08:00"));
}

TEST(Symbol, IsoWeeksAtYearEdges) {
  // 2026-W53 exists (2026 starts on a Thursday); 2027-W53 does not.
  auto w53 = parse_symbol("NM.H100.W.2026-W53");
  ASSERT_TRUE(w53.ok());
  EXPECT_EQ(w53->start, *parse_iso_time("2026-12-28T00:00:00+08:00"));
  EXPECT_FALSE(parse_symbol("NM.H100.W.2027-W53").ok());
  EXPECT_EQ(parse_symbol("NM.H100.W.2027-W01")->start, *parse_iso_time("2027-01-04T00:00:00+08:00"));
}

TEST(Symbol, FormatIsTheInverseOfParse) {
  for (const char* s : {"NM.H100.D.2026-12-01", "JJJ.H100.H.2026-12-01T14", "GZ.ASC910B.W.2026-W49",
                        "NX.CPU-X86-64V.M.2027-02", "NM.H100.W.2026-W53", "NM.H100.W.2027-W01", "YRD.L40S.H.2027-01-01T00"}) {
    auto p = parse_symbol(s);
    ASSERT_TRUE(p.ok()) << s;
    EXPECT_EQ(make_symbol(p->region, p->chip_class, p->tenor, p->start), s);
  }
}

TEST(Symbol, BadSymbolsSayWhatIsWrong) {
  struct Case {
    const char* symbol;
    const char* says;
  };
  for (const Case& c : {Case{"NM.H100.D", "3 dot-separated parts"}, Case{"NM.H100.X.2026-12-01", "tenor 'X'"},
                        Case{"NM.H100.D.2026-12-32", "not a calendar date"}, Case{"nm.H100.D.2026-12-01", "region code"},
                        Case{"NM.H_100.D.2026-12-01", "chip class code"}, Case{"NM.H100.H.2026-12-01T25", "hour"},
                        Case{"NM.H100.W.2026-49", "YYYY-Www"}, Case{"NM.H100.M.2026-13", "not a valid month"},
                        Case{"NM.H100.D.2026-12-01.X", "more than four"}, Case{"NM.H100.D.20261201", "YYYY-MM-DD"}}) {
    auto r = parse_symbol(c.symbol);
    ASSERT_FALSE(r.ok()) << c.symbol;
    EXPECT_EQ(r.error().code, "bad_symbol");
    EXPECT_NE(r.error().text.find(c.says), std::string::npos) << c.symbol << ": " << r.error().text;
  }
}

TEST(OrderIndex, MatchesUnorderedMapUnderRandomInsertErase) {
  detail::OrderIndex<int> index(8);
  std::unordered_map<OrderId, int*> model;
  std::vector<int> values(1 << 16);
  std::mt19937_64 rng(3);
  OrderId next = 1;
  std::vector<OrderId> live;
  for (int step = 0; step < 200000; ++step) {
    if (live.empty() || rng() % 100 < 55) {
      OrderId id = next++;
      int* v = &values[id % values.size()];
      index.insert(id, v);
      model[id] = v;
      live.push_back(id);
    } else {
      size_t k = rng() % live.size();
      OrderId id = live[k];
      live[k] = live.back();
      live.pop_back();
      index.erase(id);
      model.erase(id);
    }
    if (step % 997 == 0) {
      for (const auto& [id, v] : model) ASSERT_EQ(index.find(id), v);
      ASSERT_EQ(index.size(), model.size());
      ASSERT_EQ(index.find(next + 5), nullptr);
    }
  }
}

TEST(OrderIndex, StaysCorrectWhenIdsWrapAroundTheTable) {
  // Long-lived low ids and a stream of new ids far beyond the table size collide on purpose.
  detail::OrderIndex<int> index(16);
  std::unordered_map<OrderId, int*> model;
  int value = 0;
  std::mt19937_64 rng(11);
  for (OrderId id = 1; id <= 20; ++id) {
    index.insert(id, &value);
    model[id] = &value;
  }
  std::vector<OrderId> young;
  for (OrderId id = 1000; id < 60000; ++id) {
    index.insert(id, &value);
    model[id] = &value;
    young.push_back(id);
    if (young.size() > 24) {
      size_t k = rng() % young.size();
      index.erase(young[k]);
      model.erase(young[k]);
      young.erase(young.begin() + static_cast<std::ptrdiff_t>(k));
    }
    if (id % 101 == 0) {
      for (const auto& [key, v] : model) ASSERT_EQ(index.find(key), v) << key;
    }
  }
  EXPECT_LE(index.max_probe(), 64u) << "long-lived ids must not line up with new ones";
  EXPECT_EQ(index.size(), model.size());
}

TEST(CapacityRegistry, HeadroomIsRegisteredMinusCommittedAtEveryInstant) {
  // Checked against an hour-by-hour array model over random registrations, commits and releases.
  detail::CapacityRegistry reg;
  detail::CapacityRegistry::Key key{1, 0, 0};
  constexpr int kHours = 200;
  std::vector<int64_t> free(kHours, 0);
  std::mt19937_64 rng(5);
  std::vector<std::tuple<int, int, int64_t>> commits;
  auto t = [](int h) { return static_cast<Timestamp>(h) * kNanosPerHour; };
  for (int step = 0; step < 5000; ++step) {
    int a = static_cast<int>(rng() % kHours), b = a + 1 + static_cast<int>(rng() % 48);
    if (b > kHours) b = kHours;
    int64_t q = 1 + static_cast<int64_t>(rng() % 10);
    int64_t least = *std::min_element(free.begin() + a, free.begin() + b);
    ASSERT_EQ(reg.headroom(key, t(a), t(b)), step == 0 ? 0 : least);
    switch (rng() % 4) {
      case 0:
        ASSERT_TRUE(reg.add_registered(key, t(a), t(b), q));
        for (int h = a; h < b; ++h) free[h] += q;
        break;
      case 1: {
        bool ok = reg.add_registered(key, t(a), t(b), -q);
        ASSERT_EQ(ok, least >= q);
        if (ok) for (int h = a; h < b; ++h) free[h] -= q;
        break;
      }
      case 2: {
        bool ok = reg.commit(key, t(a), t(b), q);
        ASSERT_EQ(ok, least >= q);
        if (ok) {
          for (int h = a; h < b; ++h) free[h] -= q;
          commits.emplace_back(a, b, q);
        }
        break;
      }
      default:
        if (!commits.empty()) {
          auto [ca, cb, cq] = commits.back();
          commits.pop_back();
          reg.release(key, t(ca), t(cb), cq);
          for (int h = ca; h < cb; ++h) free[h] += cq;
        }
    }
  }
}

TEST(CapacityRegistry, OverlappingWindowsShareDevices) {
  detail::CapacityRegistry reg;
  detail::CapacityRegistry::Key key{7, 1, 2};
  Timestamp week = *parse_iso_time("2026-11-30T00:00:00+08:00");
  ASSERT_TRUE(reg.add_registered(key, week, week + 7 * kNanosPerDay, 64));
  // A week contract for 40 leaves 24 for any day inside that week...
  ASSERT_TRUE(reg.commit(key, week, week + 7 * kNanosPerDay, 40));
  EXPECT_FALSE(reg.commit(key, week + kNanosPerDay, week + 2 * kNanosPerDay, 25));
  EXPECT_TRUE(reg.commit(key, week + kNanosPerDay, week + 2 * kNanosPerDay, 24));
  // ...and a different supplier's key is untouched.
  EXPECT_EQ(reg.headroom({8, 1, 2}, week, week + kNanosPerDay), 0);
  EXPECT_EQ(reg.headroom(key, week, week + kNanosPerDay), 24);
  EXPECT_EQ(reg.headroom(key, week + kNanosPerDay, week + 2 * kNanosPerDay), 0);
}

TEST(TimerQueue, FiresInTimeThenInsertionOrder) {
  detail::TimerQueue q;
  q.push(30, detail::TimerKind::OrderExpiry, 1);
  q.push(10, detail::TimerKind::GateClosure, 2);
  q.push(30, detail::TimerKind::OrderExpiry, 3);
  q.push(20, detail::TimerKind::WindowEnd, 4);
  EXPECT_FALSE(q.due(9));
  std::vector<uint64_t> fired;
  while (q.due(30)) fired.push_back(q.pop().id);
  EXPECT_EQ(fired, (std::vector<uint64_t>{2, 4, 1, 3}));
}

}  // namespace
}  // namespace cpx
