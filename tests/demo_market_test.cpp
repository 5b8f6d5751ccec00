// The demo market's first delivery day: its books must still be open for trading when cpxd seeds them
// (started between 23:00 and 24:00 CST, the demo listed tomorrow's books past their gate closure and
// cpxd stopped: "seeding failed").
#include <gtest/gtest.h>

#include "server/demo_market.hpp"

namespace cpx::server {
namespace {

TEST(DemoMarket, TheFirstDayIsOneWhoseBooksAreStillOpen) {
  const Timestamp midnight = *parse_iso_time("2026-12-08T00:00:00+08:00");
  EXPECT_EQ(demo_first_day(*parse_iso_time("2026-12-07T09:00:00+08:00")), midnight);
  EXPECT_EQ(demo_first_day(*parse_iso_time("2026-12-07T21:59:59+08:00")), midnight);
  EXPECT_EQ(demo_first_day(*parse_iso_time("2026-12-07T22:00:01+08:00")), midnight + kNanosPerDay);
  EXPECT_EQ(demo_first_day(*parse_iso_time("2026-12-07T23:30:00+08:00")), midnight + kNanosPerDay);
  EXPECT_EQ(demo_first_day(midnight), midnight + kNanosPerDay) << "at midnight, tomorrow is the next one";
  for (Timestamp now = midnight; now < midnight + kNanosPerDay; now += 17 * 60 * kNanosPerSecond) {
    const Timestamp first = demo_first_day(now);
    EXPECT_GE(first - now, 2 * kNanosPerHour) << format_iso_time(now);
    EXPECT_EQ(demo_symbols(now).front().substr(demo_symbols(now).front().size() - 10), format_iso_time(first).substr(0, 10))
        << format_iso_time(now);
  }
}

}  // namespace
}  // namespace cpx::server
