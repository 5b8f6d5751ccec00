// cpxd's event log (gateway/server/event_log.hpp): JSON lines a log tool can read, bounded where clients
// choose the rate.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "server/event_log.hpp"
#include "server/metrics.hpp"

namespace cpx::server {
namespace {

using nlohmann::json;

struct Captured {
  Captured() {
    event_log::capture([this](const std::string& line) { lines.push_back(line); });
  }
  ~Captured() { event_log::capture({}); }
  std::vector<std::string> lines;
};

TEST(EventLog, EachLineIsAJsonObjectWithTimeLevelAndEvent) {
  Captured c;
  event_log::write(event_log::Level::error, "journal_unavailable", {{"reason", "disk full"}});
  event_log::write(event_log::Level::info, "login", {{"user", std::string("bad\xff\xfe")}});
  ASSERT_EQ(c.lines.size(), 2u);
  const json first = json::parse(c.lines[0]);
  EXPECT_TRUE(std::regex_match(first["ts"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first["ts"];
  EXPECT_EQ(first["level"], "error");
  EXPECT_EQ(first["event"], "journal_unavailable");
  EXPECT_EQ(first["reason"], "disk full");
  EXPECT_EQ(c.lines[0].find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(c.lines[0].rfind("{\"ts\":", 0), 0u) << "the time comes first: " << c.lines[0];
  EXPECT_NO_THROW(json::parse(c.lines[1])) << "bytes that are not UTF-8 are replaced, the line stays valid";
}

TEST(EventLog, BoundedLinesKeepToTheirBudgetAndSayWhatTheyLeftOut) {
  Captured c;
  constexpr int64_t kSecond = 1'000'000'000;
  for (int i = 0; i < 10; ++i) event_log::bounded(event_log::Level::warn, "login_failed", "k", 3, {{"i", i}}, 5 * kSecond + i);
  ASSERT_EQ(c.lines.size(), 3u) << "3 a second";
  event_log::bounded(event_log::Level::warn, "login_failed", "other", 3, {}, 5 * kSecond);
  EXPECT_EQ(c.lines.size(), 4u) << "another key has its own budget";
  event_log::bounded(event_log::Level::warn, "login_failed", "k", 3, {{"i", 10}}, 6 * kSecond);
  ASSERT_EQ(c.lines.size(), 5u);
  const json next = json::parse(c.lines.back());
  EXPECT_EQ(next["suppressed"], 7) << "the 7 left out in the second before";
  EXPECT_EQ(next["i"], 10);
}

// A flood of one reject reason is a line a second, each with the count since the line before.
TEST(EventLog, RejectsAreLoggedAtMostOnceASecondPerReason) {
  Captured c;
  Metrics m;
  for (int i = 0; i < 5000; ++i) m.reject(RejectReason::TickSize);
  m.reject(RejectReason::RateLimited);
  ASSERT_GE(c.lines.size(), 2u);
  ASSERT_LE(c.lines.size(), 4u) << "at most two seconds' lines for tick_size, one for rate_limited";
  uint64_t tick = 0;
  bool rate = false;
  for (const std::string& l : c.lines) {
    const json j = json::parse(l);
    EXPECT_EQ(j["event"], "reject");
    if (j["reason"] == "tick_size") tick += j["count"].get<uint64_t>();
    rate = rate || j["reason"] == "rate_limited";
  }
  EXPECT_TRUE(rate);
  EXPECT_GE(tick, 1u);
  EXPECT_LE(tick, 5000u);
  EXPECT_EQ(m.rejects[static_cast<size_t>(RejectReason::TickSize)].load(), 5000u) << "every one counted";
}

}  // namespace
}  // namespace cpx::server
