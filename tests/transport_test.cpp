// The pieces of cpxd's own transports that need no socket: the FIX framer (what reaches QuickFIX is a whole,
// checked frame; nothing a peer sends makes the buffer grow past one message) and the connection limits.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "fix/fix_framing.hpp"
#include "fix/fix_transport.hpp"
#include "server/connection_limits.hpp"
#include "server/rates_by_key.hpp"

namespace cpx::fix {
namespace {

std::string frame(const std::string& body) {
  std::string head = "8=FIX.4.4\x01" "9=" + std::to_string(body.size()) + "\x01";
  std::string m = head + body;
  unsigned sum = 0;
  for (char c : m) sum += static_cast<uint8_t>(c);
  char trailer[8];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return m + trailer;
}

const std::string kLogon = frame("35=A\x01" "34=1\x01" "49=BJAI\x01" "52=20261207-08:00:00.000\x01" "56=CPX\x01" "98=0\x01" "108=30\x01");
const std::string kHeartbeat = frame("35=0\x01" "34=2\x01" "49=BJAI\x01" "52=20261207-08:00:01.000\x01" "56=CPX\x01");

TEST(FixFramer, WholeMessagesComeOutHoweverTheBytesArriveSplit) {
  const std::string stream = kLogon + kHeartbeat + kLogon;
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    FixFramer f(4096);
    std::vector<std::string> got;
    size_t at = 0;
    while (at < stream.size()) {
      const size_t n = std::min<size_t>(stream.size() - at, 1 + rng() % 40);
      f.feed(stream.data() + at, n);
      at += n;
      std::string m;
      FixFramer::Got g;
      while ((g = f.next(m)) == FixFramer::Got::message) got.push_back(m);
      ASSERT_EQ(g, FixFramer::Got::nothing);
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], kLogon);
    EXPECT_EQ(got[1], kHeartbeat);
    EXPECT_EQ(got[2], kLogon);
    EXPECT_EQ(f.buffered(), 0u);
  }
}

TEST(FixFramer, AnythingThatIsNoFixFrameIsRefusedAtOnce) {
  auto verdict = [](const std::string& bytes) {
    FixFramer f(4096);
    f.feed(bytes.data(), bytes.size());
    std::string m;
    return f.next(m);
  };
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\n"), FixFramer::Got::bad) << "refused from its first bytes";
  EXPECT_EQ(verdict("8=FIX.4.4.4.4.4.4\x01"), FixFramer::Got::bad) << "no FIX version is that long";
  EXPECT_EQ(verdict("8=FIX 4.4\x01"), FixFramer::Got::bad);
  EXPECT_EQ(verdict("8=FIX.4.4\x01" "9=-5\x01"), FixFramer::Got::bad);
  EXPECT_EQ(verdict("8=FIX.4.4\x01" "9=012\x01"), FixFramer::Got::bad) << "a leading zero";
  EXPECT_EQ(verdict("8=FIX.4.4\x01" "9=12345678"), FixFramer::Got::bad) << "more than 7 digits";
  EXPECT_EQ(verdict("8=FIX.4.4\x01" "9=99999\x01"), FixFramer::Got::too_big) << "known too big before it is read";
  std::string bad_sum = kLogon;
  bad_sum[bad_sum.size() - 2] = bad_sum[bad_sum.size() - 2] == '0' ? '1' : '0';
  EXPECT_EQ(verdict(bad_sum), FixFramer::Got::bad) << "checksum";
  std::string short_body = kLogon;
  short_body.replace(short_body.find("9=") + 2, 2, std::to_string(std::stoi(short_body.substr(short_body.find("9=") + 2, 2)) - 1));
  EXPECT_EQ(verdict(short_body), FixFramer::Got::bad) << "the body length does not end at a field";
  EXPECT_EQ(verdict("8=FIX.4.4\x01" "9=1"), FixFramer::Got::nothing) << "a prefix waits for more";
  EXPECT_EQ(verdict(kLogon.substr(0, kLogon.size() - 1)), FixFramer::Got::nothing);
}

TEST(FixFramer, AnotherFixVersionIsPassedOnForTheSessionToAnswer) {
  std::string other = kHeartbeat;
  other.replace(0, 9, "8=FIX.4.1");
  unsigned sum = 0;
  for (size_t i = 0; i + 7 < other.size(); ++i) sum += static_cast<uint8_t>(other[i]);
  char trailer[8];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  other.replace(other.size() - 7, 7, trailer);
  FixFramer f(4096);
  f.feed(other.data(), other.size());
  std::string m;
  EXPECT_EQ(f.next(m), FixFramer::Got::message) << "QuickFIX answers it with Logout \"Incorrect BeginString\"";
}

// A logged-on session ignores a garbled message and reads on from the next BeginString.
TEST(FixFramer, AfterAGarbledMessageReadingGoesOnAtTheNextBeginString) {
  std::string garbled = kHeartbeat;
  garbled[garbled.size() - 3] = garbled[garbled.size() - 3] == '9' ? '8' : '9';  // wrong checksum
  const std::string stream = garbled + "junk 8=FI" + kLogon;
  FixFramer f(4096);
  f.feed(stream.data(), stream.size());
  std::string m;
  ASSERT_EQ(f.next(m), FixFramer::Got::bad);
  EXPECT_EQ(f.skip_garbled(), garbled.size() + 9);
  ASSERT_EQ(f.next(m), FixFramer::Got::message);
  EXPECT_EQ(m, kLogon);
  // Garbage with no BeginString in it goes, but for a tail that may start the next one.
  FixFramer g(4096);
  const std::string junk = std::string(5000, 'x') + "8=FI";
  g.feed(junk.data(), junk.size());
  ASSERT_EQ(g.next(m), FixFramer::Got::bad);
  g.skip_garbled();
  EXPECT_EQ(g.buffered(), 4u);
  g.feed(kLogon.data() + 4, kLogon.size() - 4);
  ASSERT_EQ(g.next(m), FixFramer::Got::message);
  EXPECT_EQ(m, kLogon);
}

TEST(FixFramer, BadIsFinal) {
  FixFramer f(4096);
  const std::string junk = "junk";
  f.feed(junk.data(), junk.size());
  std::string m;
  EXPECT_EQ(f.next(m), FixFramer::Got::bad);
  f.feed(kLogon.data(), kLogon.size());
  EXPECT_EQ(f.next(m), FixFramer::Got::bad) << "a stream that went wrong is not read on";
}

TEST(FixFramer, RandomBytesNeverYieldAMessageNorGrowTheBuffer) {
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    FixFramer f(256);
    std::string bytes = "8=FIX.4.4\x01" "9=";
    const size_t n = rng() % 400;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(rng() % 4 == 0 ? '\x01' : '0' + rng() % 10);
    f.feed(bytes.data(), bytes.size());
    std::string m;
    const auto g = f.next(m);
    if (g == FixFramer::Got::message) {
      EXPECT_LE(m.size(), 256u);
    }
    if (g == FixFramer::Got::nothing) {
      EXPECT_LE(f.buffered(), 256u + 16) << "waiting only for a frame that fits";
    }
  }
}

}  // namespace
}  // namespace cpx::fix

namespace cpx::server {
namespace {

TEST(ConnectionLimits, AnIpv6HostIsOneKeyForItsWholeSlash64) {
  EXPECT_EQ(peer_key("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(peer_key("::ffff:10.1.2.3"), "10.1.2.3") << "IPv4 mapped into IPv6 is the IPv4 address";
  EXPECT_EQ(peer_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(peer_key("2001:db8:1:2::1"), peer_key("2001:db8:1:2:ffff::9")) << "one /64, one budget";
  EXPECT_NE(peer_key("2001:db8:1:2::1"), peer_key("2001:db8:1:3::1"));
}

TEST(RatesByKey, EachKeyHasItsBucketAndTheTableHasABound) {
  constexpr int64_t kSecond = 1'000'000'000;
  RatesByKey rates(10, 2, 3);  // 10 a second, bursts of 2, at most 3 keys
  EXPECT_TRUE(rates.allow("a", kSecond));
  EXPECT_TRUE(rates.allow("a", kSecond));
  EXPECT_FALSE(rates.allow("a", kSecond)) << "a's burst is used up";
  EXPECT_TRUE(rates.allow("b", kSecond)) << "b has its own bucket";
  EXPECT_TRUE(rates.allow("c", kSecond));
  EXPECT_FALSE(rates.allow("d", kSecond)) << "the table is full and every key in it is still refilling";
  EXPECT_EQ(rates.keys(), 3u);
  EXPECT_TRUE(rates.allow("d", 4 * kSecond)) << "keys whose buckets have refilled are dropped for it";
  EXPECT_EQ(rates.keys(), 1u);
  EXPECT_TRUE(RatesByKey(0, 1, 1).allow("x", 0)) << "rate 0: unlimited";
}

// Forgetting a refilled key changes nothing a client can see: against one unbounded bucket per key, the
// answers differ only where the bounded table is full.
TEST(RatesByKey, AgreesWithABucketPerKeyExceptWhenFull) {
  std::mt19937_64 rng(20261207);
  RatesByKey rates(5, 3, 8);
  std::map<std::string, RateLimiter> reference;
  int64_t now = 1;
  int refused_full = 0;
  for (int i = 0; i < 200000; ++i) {
    now += static_cast<int64_t>(rng() % 40'000'000);  // up to 40 ms between requests
    const std::string key = "k" + std::to_string(rng() % 12);
    auto it = reference.try_emplace(key, RateLimiter(5, 3)).first;
    const size_t held = rates.keys();
    const bool bounded = rates.allow(key, now);
    const bool unbounded = it->second.allow(now);
    if (bounded != unbounded) {
      ASSERT_TRUE(unbounded && !bounded && held == 8) << "step " << i << ": only a full table may refuse more";
      ++refused_full;
      reference.erase(it);  // a request refused for a full table used nothing of the key's budget
    }
    ASSERT_LE(rates.keys(), 8u);
  }
  EXPECT_GT(refused_full, 0) << "the stream fills the table";
}

TEST(ConnectionLimits, PerAddressAndTotalAndPlacesComeBack) {
  ConnectionLimits limits(5, 2);
  std::vector<ConnectionLimits::Ticket> held;
  ConnectionLimits::Refusal why;
  held.push_back(limits.acquire("10.0.0.1"));
  held.push_back(limits.acquire("10.0.0.1"));
  EXPECT_FALSE(limits.acquire("10.0.0.1", &why));
  EXPECT_EQ(why, ConnectionLimits::Refusal::per_address);
  held.push_back(limits.acquire("10.0.0.2"));
  held.push_back(limits.acquire("10.0.0.3"));
  held.push_back(limits.acquire("10.0.0.4"));
  EXPECT_FALSE(limits.acquire("10.0.0.5", &why));
  EXPECT_EQ(why, ConnectionLimits::Refusal::total);
  for (const auto& t : held) EXPECT_TRUE(t);
  EXPECT_EQ(limits.open(), 5u);
  EXPECT_EQ(limits.refused(), 2u);
  held.erase(held.begin());  // one of 10.0.0.1's closes
  EXPECT_TRUE(limits.acquire("10.0.0.1"));
  ConnectionLimits::Ticket moved = std::move(held.back());
  held.pop_back();
  EXPECT_EQ(limits.open(), 4u) << "a moved ticket is still one place";
  moved.release();
  held.clear();
  EXPECT_EQ(limits.open(), 0u);
  EXPECT_EQ(limits.addresses(), 0u) << "no address is remembered once it holds nothing";
}

}  // namespace
}  // namespace cpx::server

// A session that keeps to its application rate limit is never closed as a flood; with rates unlimited the
// flood limit is off too (the fix-50k benchmark's 12,500 orders a second per session were closed by a
// fixed 4,000/s limit).
TEST(FixFloodLimit, FollowsTheApplicationRateLimit) {
  EXPECT_EQ(cpx::fix::frame_limits(2000, 4000), std::make_pair(int64_t{4000}, int64_t{8000}));
  EXPECT_EQ(cpx::fix::frame_limits(100, 10), std::make_pair(int64_t{4000}, int64_t{8000}));
  EXPECT_EQ(cpx::fix::frame_limits(50'000, 100'000), std::make_pair(int64_t{100'000}, int64_t{200'000}));
  EXPECT_EQ(cpx::fix::frame_limits(0, 4000), std::make_pair(int64_t{0}, int64_t{0}));
  const auto huge = cpx::fix::frame_limits(INT64_MAX, INT64_MAX);
  EXPECT_GT(huge.first, 0);
  EXPECT_GT(huge.second, 0);
}
