// libFuzzer target: the server's WebSocket framing (gateway/web/ws_frames.hpp, RFC 6455), as cpxd reads a
// client's bytes. The first input byte chooses the message limit and how the rest is cut into reads; the
// rest is the client's byte stream. Properties, beyond "no crash, leak or UB":
//  - the messages and control frames read do not depend on how the stream is cut into reads (whole, in
//    the chosen pieces, byte by byte);
//  - a text or binary message is at most the limit, a control frame's payload at most 125 bytes;
//  - after too_big or bad the reader is done (cpxd closes the connection);
//  - a close payload's reply code is one that may be sent (1000-1003, 1007-1011, 3000-4999);
//  - the server's own frame header for each message read decodes to its length.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_common.hpp"
#include "web/ws_frames.hpp"

namespace {

using cpx::web::WsFrameReader;
using Got = WsFrameReader::Got;

using Reads = std::vector<std::pair<Got, std::string>>;

// Feeds `stream` in pieces of the given sizes (cycled), taking everything the reader gives after each.
Reads read_all(size_t max_message, const std::string& stream, const std::vector<size_t>& pieces) {
  WsFrameReader reader(max_message);
  Reads out;
  size_t at = 0, k = 0;
  std::string payload;
  while (at < stream.size()) {
    const size_t n = std::min(pieces.empty() ? stream.size() : pieces[k++ % pieces.size()], stream.size() - at);
    reader.feed(stream.data() + at, n);
    at += n;
    for (;;) {
      const Got got = reader.next(payload);
      if (got == Got::nothing) break;
      out.emplace_back(got, got == Got::too_big || got == Got::bad ? std::string() : payload);
      if (got == Got::too_big || got == Got::bad) return out;
    }
  }
  return out;
}

bool sendable(uint16_t code) { return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  // Small limits reach too_big with small inputs; 64 KiB is cpxd's default max_message_bytes.
  static constexpr size_t kLimits[] = {0, 1, 125, 126, 1000, 65535, 65536, 1 << 20};
  const size_t max_message = kLimits[control & 7];
  const std::string stream(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<size_t> pieces;
  for (size_t i = 0; i < 4; ++i) pieces.push_back(1 + ((control >> 3) * 7 + i * 13) % 29);

  const Reads whole = read_all(max_message, stream, {});
  const Reads cut = read_all(max_message, stream, pieces);
  const Reads bytewise = read_all(max_message, stream, {1});
  if (whole != cut || whole != bytewise) {
    cpx::fuzz::fail("the stream reads differently in pieces: %zu, %zu and %zu results", whole.size(), cut.size(), bytewise.size());
  }
  for (size_t i = 0; i < whole.size(); ++i) {
    const auto& [got, payload] = whole[i];
    if ((got == Got::too_big || got == Got::bad) && i + 1 != whole.size()) cpx::fuzz::fail("the reader went on after too_big/bad");
    if ((got == Got::text || got == Got::binary) && payload.size() > max_message)
      cpx::fuzz::fail("a message of %zu bytes passed the limit of %zu", payload.size(), max_message);
    if ((got == Got::ping || got == Got::pong || got == Got::close) && payload.size() > 125)
      cpx::fuzz::fail("a control frame of %zu bytes", payload.size());
    if (got == Got::close && !sendable(cpx::web::ws_close_reply_code(payload)))
      cpx::fuzz::fail("close reply code %u may not be sent", cpx::web::ws_close_reply_code(payload));
    if (got == Got::text || got == Got::binary || got == Got::ping) {
      // The server's answer (an echoed pong, a reply of the same size) has a header that says its length.
      uint8_t h[10];
      const size_t n = cpx::web::ws_frame_header(cpx::web::kWsText, payload.size(), h);
      uint64_t len = h[1] & 0x7f;
      if (len == 126) {
        len = (uint64_t(h[2]) << 8) | h[3];
      } else if (len == 127) {
        len = 0;
        for (int b = 0; b < 8; ++b) len = (len << 8) | h[2 + b];
      }
      if (len != payload.size() || (h[1] & 0x80) || n != (payload.size() < 126 ? 2u : payload.size() < 65536 ? 4u : 10u))
        cpx::fuzz::fail("ws_frame_header says %llu for %zu bytes", static_cast<unsigned long long>(len), payload.size());
    }
  }
  return 0;
}
