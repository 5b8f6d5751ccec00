// Server-side WebSocket framing (gateway/web/ws_frames.hpp, RFC 6455): a seeded random stream of client
// frames (masked, fragmented, control frames between fragments) fed in random chunks and checked against
// what the client sent; one case per framing rule the reader enforces; exact server frame headers and close
// payloads. The client-side encoder and the server-frame decoder here are written from the RFC, and the
// encoder is itself checked against the RFC's example bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "web/ws_frames.hpp"

namespace cpx::test {
namespace {

using web::WsFrameReader;
using Got = WsFrameReader::Got;
using Key = std::array<uint8_t, 4>;

constexpr Key kRfcKey = {0x37, 0xfa, 0x21, 0x3d};  // the masking key of the examples in RFC 6455 §5.7

const char* name(Got g) {
  switch (g) {
    case Got::nothing: return "nothing";
    case Got::text: return "text";
    case Got::binary: return "binary";
    case Got::ping: return "ping";
    case Got::pong: return "pong";
    case Got::close: return "close";
    case Got::too_big: return "too_big";
    case Got::bad: return "bad";
  }
  return "?";
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

// A client frame header declaring `n` payload bytes (minimal length encoding), with its masking key if masked.
std::string client_header(uint8_t opcode, uint64_t n, const Key& key, bool fin = true, bool masked = true,
                          uint8_t rsv = 0) {
  std::string h;
  h += static_cast<char>((fin ? 0x80 : 0x00) | rsv | opcode);
  const int m = masked ? 0x80 : 0x00;
  if (n < 126) {
    h += static_cast<char>(m | static_cast<int>(n));
  } else if (n < 65536) {
    h += static_cast<char>(m | 126);
    h += static_cast<char>((n >> 8) & 0xff);
    h += static_cast<char>(n & 0xff);
  } else {
    h += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) h += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  if (masked)
    for (uint8_t b : key) h += static_cast<char>(b);
  return h;
}

// A whole client frame: header, then the payload masked with `key` (RFC 6455 §5.3) unless `masked` is false.
std::string client_frame(uint8_t opcode, std::string_view payload, const Key& key, bool fin = true,
                         bool masked = true, uint8_t rsv = 0) {
  std::string f = client_header(opcode, payload.size(), key, fin, masked, rsv);
  for (size_t i = 0; i < payload.size(); ++i)
    f += static_cast<char>(static_cast<uint8_t>(payload[i]) ^ (masked ? key[i & 3] : 0));
  return f;
}

// Feeds `stream` in one piece and returns the first thing next() gives.
Got feed_all(WsFrameReader& r, const std::string& stream, std::string& payload) {
  r.feed(stream.data(), stream.size());
  return r.next(payload);
}

struct Event {
  Got kind;
  std::string payload;
};

::testing::AssertionResult same_events(const std::vector<Event>& got, const std::vector<Event>& want) {
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (got[i].kind != want[i].kind)
      return ::testing::AssertionFailure() << "event " << i << ": got " << name(got[i].kind) << ", want "
                                           << name(want[i].kind);
    if (got[i].payload != want[i].payload) {
      const auto& a = got[i].payload;
      const auto& b = want[i].payload;
      size_t at = 0;
      while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
      return ::testing::AssertionFailure() << "event " << i << " (" << name(want[i].kind) << "): payload of "
                                           << a.size() << " bytes, want " << b.size()
                                           << " bytes; first difference at byte " << at;
    }
  }
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << got.size() << " events, want " << want.size();
  return ::testing::AssertionSuccess();
}

std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(rng() & 0xff);
  return s;
}

Key random_key(std::mt19937_64& rng) {
  const uint64_t v = rng();
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

// Message lengths 0..70000, mostly small, with the length-encoding boundaries drawn often.
size_t random_length(std::mt19937_64& rng) {
  static constexpr size_t kEdges[] = {0, 1, 3, 4, 5, 125, 126, 127, 65535, 65536, 65537};
  switch (rng() % 10) {
    case 0: return kEdges[rng() % std::size(kEdges)];
    case 1:
    case 2:
    case 3:
    case 4: return rng() % 126;
    case 5:
    case 6: return rng() % 1000;
    case 7: return 126 + rng() % (65536 - 126);
    default: return rng() % 70001;
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1. A random client stream against what the client sent.

// Encodes ~300 random messages as a client would (masked, in 1 to 4 fragments, pings and pongs before,
// between and after fragments, a close at the end) and records what the reader must give back, in order.
void random_stream(std::mt19937_64& rng, std::string& stream, std::vector<Event>& want) {
  auto maybe_controls = [&] {
    if (rng() % 4 != 0) return;
    const int k = 1 + static_cast<int>(rng() % 2);
    for (int j = 0; j < k; ++j) {
      const bool ping = rng() % 2 == 0;
      std::string p = random_bytes(rng, rng() % 3 == 0 ? 125 - rng() % 3 : rng() % 126);
      stream += client_frame(ping ? web::kWsPing : web::kWsPong, p, random_key(rng));
      want.push_back({ping ? Got::ping : Got::pong, std::move(p)});
    }
  };
  const int messages = 280 + static_cast<int>(rng() % 41);
  for (int m = 0; m < messages; ++m) {
    const bool text = rng() % 2 == 0;
    const std::string msg = random_bytes(rng, random_length(rng));
    const size_t parts = 1 + rng() % 4;
    std::vector<size_t> cuts{0, msg.size()};
    for (size_t i = 1; i < parts; ++i) cuts.push_back(rng() % (msg.size() + 1));  // empty fragments allowed
    std::sort(cuts.begin(), cuts.end());
    maybe_controls();
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const uint8_t op = i == 0 ? (text ? web::kWsText : web::kWsBinary) : web::kWsContinuation;
      const bool fin = i + 2 == cuts.size();
      stream += client_frame(op, std::string_view(msg).substr(cuts[i], cuts[i + 1] - cuts[i]), random_key(rng), fin);
      if (!fin) maybe_controls();  // between fragments (RFC 6455 §5.4)
    }
    want.push_back({text ? Got::text : Got::binary, msg});  // whole when its last fragment is in
    maybe_controls();                                       // and after the message
  }
  const std::string bye = web::ws_close_payload(1000, "bye");
  stream += client_frame(web::kWsClose, bye, random_key(rng));
  want.push_back({Got::close, bye});
}

TEST(WsFrameReader, RandomClientStreamInRandomChunksGivesBackEveryMessageAndControlFrame) {
  for (uint64_t seed : {1ull, 2ull, 3ull, 20261201ull}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::string stream;
    std::vector<Event> want;
    random_stream(rng, stream, want);

    WsFrameReader reader(1 << 20);
    std::vector<Event> got;
    std::string payload = "stale";  // one string reused across calls, as the server does
    size_t at = 0;
    size_t feeds = 0;
    while (at < stream.size()) {
      const size_t chunk = rng() % 4 == 0 ? 1 + rng() % 16 : 1 + rng() % 10000;
      const size_t n = std::min(chunk, stream.size() - at);
      reader.feed(stream.data() + at, n);
      at += n;
      ++feeds;
      for (;;) {
        const Got g = reader.next(payload);
        if (g == Got::nothing) break;
        ASSERT_NE(g, Got::bad) << "after " << at << " of " << stream.size() << " bytes, event " << got.size();
        ASSERT_NE(g, Got::too_big) << "after " << at << " of " << stream.size() << " bytes, event " << got.size();
        got.push_back({g, payload});
      }
    }
    EXPECT_GT(feeds, 100u);
    EXPECT_GT(want.size(), 300u);
    EXPECT_TRUE(same_events(got, want));
    EXPECT_EQ(reader.next(payload), Got::nothing);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 2. The framing rules, one case each, next to the valid frame it differs from.

TEST(WsFrameReader, DecodesTheRfcMaskedExamples) {
  // RFC 6455 §5.7: a single-frame masked text message "Hello", and the same as a masked ping.
  const std::string hello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(client_frame(web::kWsText, "Hello", kRfcKey), hello) << "the test's own encoder";
  std::string payload;
  WsFrameReader r(1 << 20);
  EXPECT_EQ(feed_all(r, hello, payload), Got::text);
  EXPECT_EQ(payload, "Hello");
  std::string ping = hello;
  ping[0] = static_cast<char>(0x89);
  EXPECT_EQ(feed_all(r, ping, payload), Got::ping);
  EXPECT_EQ(payload, "Hello");
  EXPECT_EQ(r.next(payload), Got::nothing);
}

TEST(WsFrameReader, AnUnmaskedClientFrameIsBad) {
  std::string payload;
  WsFrameReader masked(1 << 20);
  EXPECT_EQ(feed_all(masked, client_frame(web::kWsText, "hi", kRfcKey), payload), Got::text);
  EXPECT_EQ(payload, "hi");
  WsFrameReader unmasked(1 << 20);
  EXPECT_EQ(feed_all(unmasked, client_frame(web::kWsText, "hi", kRfcKey, true, false), payload), Got::bad);
  WsFrameReader unmasked_ping(1 << 20);
  EXPECT_EQ(feed_all(unmasked_ping, client_frame(web::kWsPing, "", kRfcKey, true, false), payload), Got::bad);
}

TEST(WsFrameReader, AnyRsvBitIsBad) {
  for (uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    SCOPED_TRACE(static_cast<int>(rsv));
    std::string payload;
    WsFrameReader text(1 << 20);
    EXPECT_EQ(feed_all(text, client_frame(web::kWsText, "x", kRfcKey, true, true, rsv), payload), Got::bad);
    WsFrameReader ping(1 << 20);
    EXPECT_EQ(feed_all(ping, client_frame(web::kWsPing, "x", kRfcKey, true, true, rsv), payload), Got::bad);
  }
}

TEST(WsFrameReader, AFragmentedControlFrameIsBad) {
  for (uint8_t op : {web::kWsPing, web::kWsPong, web::kWsClose}) {
    SCOPED_TRACE(static_cast<int>(op));
    std::string payload;
    WsFrameReader whole(1 << 20);
    EXPECT_NE(feed_all(whole, client_frame(op, "ab", kRfcKey, true), payload), Got::bad);
    WsFrameReader fragmented(1 << 20);
    EXPECT_EQ(feed_all(fragmented, client_frame(op, "ab", kRfcKey, false), payload), Got::bad);
  }
}

TEST(WsFrameReader, AControlFramePayloadIsAtMost125Bytes) {
  std::string payload;
  WsFrameReader ok(1 << 20);
  const std::string p125(125, 'p');
  EXPECT_EQ(feed_all(ok, client_frame(web::kWsPing, p125, kRfcKey), payload), Got::ping);
  EXPECT_EQ(payload, p125);
  WsFrameReader ping(1 << 20);
  EXPECT_EQ(feed_all(ping, client_frame(web::kWsPing, std::string(126, 'p'), kRfcKey), payload), Got::bad);
  // Refused from the header alone, before the payload arrives.
  WsFrameReader header_only(1 << 20);
  EXPECT_EQ(feed_all(header_only, client_header(web::kWsPing, 126, kRfcKey).substr(0, 4), payload), Got::bad);
  WsFrameReader close(1 << 20);
  EXPECT_EQ(feed_all(close, client_frame(web::kWsClose, std::string(200, 'c'), kRfcKey), payload), Got::bad);
}

TEST(WsFrameReader, AContinuationWithNoMessageStartedIsBad) {
  std::string payload;
  WsFrameReader first(1 << 20);
  EXPECT_EQ(feed_all(first, client_frame(web::kWsContinuation, "x", kRfcKey), payload), Got::bad);
  // After a complete message too: the FIN frame ended it.
  WsFrameReader after(1 << 20);
  EXPECT_EQ(feed_all(after, client_frame(web::kWsText, "a", kRfcKey), payload), Got::text);
  EXPECT_EQ(payload, "a");
  EXPECT_EQ(feed_all(after, client_frame(web::kWsContinuation, "b", kRfcKey), payload), Got::bad);
}

TEST(WsFrameReader, FragmentsJoinAndANewMessageInsideAFragmentedOneIsBad) {
  std::string payload;
  WsFrameReader ok(1 << 20);
  const std::string good = client_frame(web::kWsBinary, "ab", kRfcKey, false) +
                           client_frame(web::kWsContinuation, "cd", {1, 2, 3, 4}, false) +
                           client_frame(web::kWsPing, "p", {9, 9, 9, 9}) +
                           client_frame(web::kWsContinuation, "ef", {5, 6, 7, 8}, true);
  EXPECT_EQ(feed_all(ok, good, payload), Got::ping);
  EXPECT_EQ(payload, "p");
  EXPECT_EQ(ok.next(payload), Got::binary);
  EXPECT_EQ(payload, "abcdef");
  EXPECT_EQ(ok.next(payload), Got::nothing);

  for (uint8_t op : {web::kWsText, web::kWsBinary}) {
    SCOPED_TRACE(static_cast<int>(op));
    WsFrameReader r(1 << 20);
    const std::string bad = client_frame(web::kWsText, "ab", kRfcKey, false) + client_frame(op, "cd", kRfcKey, true);
    EXPECT_EQ(feed_all(r, bad, payload), Got::bad);
  }
}

TEST(WsFrameReader, AnUnknownOpcodeIsBad) {
  for (uint8_t op : {0x3, 0x7, 0xB, 0xF}) {
    SCOPED_TRACE(static_cast<int>(op));
    std::string payload;
    WsFrameReader r(1 << 20);
    EXPECT_EQ(feed_all(r, client_frame(op, "x", kRfcKey), payload), Got::bad);
  }
}

TEST(WsFrameReader, ACloseFrameGivesItsCodeAndReasonUnmasked) {
  std::string payload = "stale";
  WsFrameReader r(1 << 20);
  const std::string close = client_frame(web::kWsClose, bytes({0x03, 0xE9}) + "going away", {0xff, 0x00, 0x5a, 0xa5});
  EXPECT_EQ(feed_all(r, close, payload), Got::close);
  EXPECT_EQ(payload, bytes({0x03, 0xE9}) + "going away");
  WsFrameReader empty(1 << 20);
  EXPECT_EQ(feed_all(empty, client_frame(web::kWsClose, "", kRfcKey), payload), Got::close);
  EXPECT_EQ(payload, "");
}

TEST(WsFrameReader, AMessageOverTheLimitIsTooBigEvenAcrossFragments) {
  std::string payload;
  const std::string f60a(60, 'a');
  const std::string f60b(60, 'b');
  // Two fragments of 60 bytes: 120 > 100.
  WsFrameReader r(100);
  const std::string two = client_frame(web::kWsText, f60a, kRfcKey, false) +
                          client_frame(web::kWsContinuation, f60b, kRfcKey, true);
  EXPECT_EQ(feed_all(r, two, payload), Got::too_big);
  // Refused at the second fragment's header, before its payload.
  WsFrameReader early(100);
  const std::string first_and_header =
      client_frame(web::kWsText, f60a, kRfcKey, false) + client_header(web::kWsContinuation, 60, kRfcKey).substr(0, 2);
  EXPECT_EQ(feed_all(early, first_and_header, payload), Got::too_big);
  // Exactly at the limit is fine, and control frames between fragments do not count.
  WsFrameReader at_limit(100);
  const std::string fifty(50, 'x');
  const std::string exact = client_frame(web::kWsText, fifty, kRfcKey, false) +
                            client_frame(web::kWsPing, std::string(100, 'p'), kRfcKey) +
                            client_frame(web::kWsContinuation, fifty, kRfcKey, true);
  EXPECT_EQ(feed_all(at_limit, exact, payload), Got::ping);
  EXPECT_EQ(at_limit.next(payload), Got::text);
  EXPECT_EQ(payload, std::string(100, 'x'));
  // The limit is per message: the next one starts from zero.
  const std::string again = client_frame(web::kWsBinary, std::string(100, 'y'), kRfcKey);
  EXPECT_EQ(feed_all(at_limit, again, payload), Got::binary);
  EXPECT_EQ(payload, std::string(100, 'y'));
}

TEST(WsFrameReader, ASingleFrameOverTheLimitIsTooBigFromItsHeaderAlone) {
  std::string payload;
  // A 7-bit length: the first two bytes are enough.
  WsFrameReader small(100);
  EXPECT_EQ(feed_all(small, client_header(web::kWsText, 101, kRfcKey).substr(0, 2), payload), Got::too_big);
  // One byte less is only waiting for the rest.
  WsFrameReader fits(100);
  EXPECT_EQ(feed_all(fits, client_header(web::kWsText, 100, kRfcKey), payload), Got::nothing);
  // 16-bit and 64-bit lengths, header without the masking key or any payload.
  WsFrameReader mid(1000);
  EXPECT_EQ(feed_all(mid, client_header(web::kWsBinary, 1001, kRfcKey).substr(0, 4), payload), Got::too_big);
  WsFrameReader big(1 << 20);
  EXPECT_EQ(feed_all(big, client_header(web::kWsBinary, uint64_t{1} << 40, kRfcKey).substr(0, 10), payload),
            Got::too_big);
  // A 64-bit length header arriving one byte at a time waits until its length is known.
  WsFrameReader trickle(1 << 20);
  const std::string h = client_header(web::kWsBinary, (1 << 20) + 1, kRfcKey);
  for (size_t i = 0; i < 9; ++i) {
    trickle.feed(h.data() + i, 1);
    EXPECT_EQ(trickle.next(payload), Got::nothing) << "after " << i + 1 << " header bytes";
  }
  trickle.feed(h.data() + 9, 1);
  EXPECT_EQ(trickle.next(payload), Got::too_big);
}

// A 64-bit length near 2^64 would wrap `partial_.size() + len` and `head + 4 + len` around (found by this
// test: next() threw std::length_error, uncaught in cpxd's read handler). RFC 6455 §5.2: the most
// significant bit of a 64-bit length must be 0; a length just under it is too big.
TEST(WsFrameReader, ALengthThatWrapsAroundIsRefusedNotThrown) {
  const std::string stream = client_frame(web::kWsText, std::string(20, 'a'), kRfcKey, false) +
                             client_header(web::kWsContinuation, 0xFFFFFFFFFFFFFFF2ull, kRfcKey);
  WsFrameReader r(1 << 20);
  std::string payload;
  Got g = Got::nothing;
  EXPECT_NO_THROW(g = feed_all(r, stream, payload));
  EXPECT_EQ(g, Got::bad) << name(g);
  WsFrameReader r2(1 << 20);
  const std::string huge = client_frame(web::kWsText, std::string(20, 'a'), kRfcKey, false) +
                           client_header(web::kWsContinuation, 0x7FFFFFFFFFFFFFF2ull, kRfcKey);
  EXPECT_NO_THROW(g = feed_all(r2, huge, payload));
  EXPECT_EQ(g, Got::too_big) << name(g);
}

TEST(WsCloseReply, EchoesASendableCodeElseProtocolError) {
  EXPECT_EQ(web::ws_close_reply_code(""), 1000);
  EXPECT_EQ(web::ws_close_reply_code(std::string("\x03", 1)), 1002) << "a one-byte close payload is malformed";
  EXPECT_EQ(web::ws_close_reply_code(web::ws_close_payload(1000, "bye")), 1000);
  EXPECT_EQ(web::ws_close_reply_code(web::ws_close_payload(1001, "")), 1001);
  EXPECT_EQ(web::ws_close_reply_code(web::ws_close_payload(4000, "app")), 4000);
  for (uint16_t reserved : {1004, 1005, 1006, 1015, 999, 2000, 5000})
    EXPECT_EQ(web::ws_close_reply_code(web::ws_close_payload(reserved, "")), 1002) << reserved;
}

// ---------------------------------------------------------------------------------------------------------
// 3. Server frame headers.

struct ServerFrame {
  bool fin = false;
  uint8_t opcode = 0;
  std::string payload;
};

// Decodes one unmasked server frame from `s` at `at` (advanced past it); false if incomplete or masked.
bool decode_server_frame(const std::string& s, size_t& at, ServerFrame& f) {
  auto u = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  if (s.size() - at < 2) return false;
  if (u(at + 1) & 0x80) return false;  // a server must not mask
  f.fin = u(at) & 0x80;
  f.opcode = u(at) & 0x0f;
  uint64_t n = u(at + 1) & 0x7f;
  size_t head = 2;
  if (n == 126) {
    if (s.size() - at < 4) return false;
    n = (uint64_t{u(at + 2)} << 8) | u(at + 3);
    head = 4;
  } else if (n == 127) {
    if (s.size() - at < 10) return false;
    n = 0;
    for (size_t i = 0; i < 8; ++i) n = (n << 8) | u(at + 2 + i);
    head = 10;
  }
  if (s.size() - at - head < n) return false;
  f.payload = s.substr(at + head, static_cast<size_t>(n));
  at += head + static_cast<size_t>(n);
  return true;
}

TEST(WsFrameHeader, ExactBytesForEachLengthEncoding) {
  struct Case {
    uint8_t opcode;
    uint64_t n;
    std::vector<int> want;
  };
  const Case cases[] = {
      {web::kWsText, 0, {0x81, 0x00}},
      {web::kWsText, 5, {0x81, 0x05}},  // RFC 6455 §5.7, unmasked "Hello"
      {web::kWsBinary, 125, {0x82, 0x7D}},
      {web::kWsText, 126, {0x81, 0x7E, 0x00, 0x7E}},
      {web::kWsBinary, 256, {0x82, 0x7E, 0x01, 0x00}},  // RFC 6455 §5.7
      {web::kWsText, 65535, {0x81, 0x7E, 0xFF, 0xFF}},
      {web::kWsBinary, 65536, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}},  // RFC 6455 §5.7
      {web::kWsText, uint64_t{1} << 32, {0x81, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}},
      {web::kWsBinary, 0x0102030405060708ull, {0x82, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}},
      {web::kWsPong, 3, {0x8A, 0x03}},
      {web::kWsClose, 2, {0x88, 0x02}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("length " + std::to_string(c.n));
    uint8_t out[10];
    std::fill(std::begin(out), std::end(out), 0xAA);
    const size_t size = web::ws_frame_header(c.opcode, c.n, out);
    ASSERT_EQ(size, c.want.size());
    EXPECT_EQ(std::vector<int>(out, out + size), c.want);
    EXPECT_EQ(out[1] & 0x80, 0) << "no mask bit";
  }
}

TEST(WsFrameHeader, FramesRoundTripThroughAnRfcDecoder) {
  std::mt19937_64 rng(7);
  std::string stream;
  std::vector<ServerFrame> sent;
  auto add = [&](uint8_t op, size_t n) {
    ServerFrame f{true, op, random_bytes(rng, n)};
    uint8_t head[10];
    const size_t size = web::ws_frame_header(op, f.payload.size(), head);
    stream.append(reinterpret_cast<const char*>(head), size);
    stream += f.payload;
    sent.push_back(std::move(f));
  };
  for (size_t n : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
    add(web::kWsText, n);
    add(web::kWsBinary, n);
  }
  add(web::kWsPing, 0);
  add(web::kWsPong, 125);
  add(web::kWsClose, 2);
  for (int i = 0; i < 50; ++i) add(rng() % 2 ? web::kWsText : web::kWsBinary, random_length(rng));

  size_t at = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    ServerFrame f;
    ASSERT_TRUE(decode_server_frame(stream, at, f));
    EXPECT_TRUE(f.fin);
    EXPECT_EQ(f.opcode, sent[i].opcode);
    ASSERT_EQ(f.payload.size(), sent[i].payload.size());
    EXPECT_TRUE(f.payload == sent[i].payload);
  }
  EXPECT_EQ(at, stream.size());
}

// ---------------------------------------------------------------------------------------------------------
// 4. Close payloads.

TEST(WsClosePayload, CodeBigEndianThenReasonOfAtMost123Bytes) {
  EXPECT_EQ(web::ws_close_payload(1008, "slow_consumer"), bytes({0x03, 0xF0}) + "slow_consumer");
  EXPECT_EQ(web::ws_close_payload(1000, ""), bytes({0x03, 0xE8}));
  EXPECT_EQ(web::ws_close_payload(4999, "x"), bytes({0x13, 0x87}) + "x");

  std::string reason;
  for (int i = 0; i < 200; ++i) reason += static_cast<char>('a' + i % 26);
  const std::string cut = web::ws_close_payload(1009, reason);
  ASSERT_EQ(cut.size(), 2u + 123u) << "a close frame's payload is at most 125 bytes";
  EXPECT_EQ(cut.substr(0, 2), bytes({0x03, 0xF1}));
  EXPECT_EQ(cut.substr(2), reason.substr(0, 123));
  const std::string r123 = reason.substr(0, 123);
  EXPECT_EQ(web::ws_close_payload(1009, r123).substr(2), r123) << "123 bytes are kept whole";
  const std::string r124 = reason.substr(0, 124);
  EXPECT_EQ(web::ws_close_payload(1009, r124).substr(2), r123);

  // And it fits a control frame that the reader accepts as a close.
  std::string payload;
  WsFrameReader r(1 << 20);
  EXPECT_EQ(feed_all(r, client_frame(web::kWsClose, cut, kRfcKey), payload), Got::close);
  EXPECT_EQ(payload, cut);
}

}  // namespace
}  // namespace cpx::test
