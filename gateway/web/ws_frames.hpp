#pragma once
// WebSocket framing (RFC 6455) on the server side, without Beast: cpxd writes every queued message of a
// connection in one gathered write (one syscall for many events, where Beast writes one message per call)
// and reads frames itself so that nothing else ever writes to the socket between them. Beast still does the
// HTTP upgrade. Small and header-only so that the unit tests check it without a socket.
#include <cstdint>
#include <cstring>
#include <string>

namespace cpx::web {

enum WsOpcode : uint8_t { kWsContinuation = 0x0, kWsText = 0x1, kWsBinary = 0x2, kWsClose = 0x8, kWsPing = 0x9, kWsPong = 0xA };

// An unmasked (server → client) frame header for `n` payload bytes; returns its length (2 to 10).
inline size_t ws_frame_header(uint8_t opcode, uint64_t n, uint8_t out[10]) {
  out[0] = static_cast<uint8_t>(0x80 | opcode);
  if (n < 126) {
    out[1] = static_cast<uint8_t>(n);
    return 2;
  }
  if (n < 65536) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(n >> 8);
    out[3] = static_cast<uint8_t>(n);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(n >> (56 - 8 * i));
  return 10;
}

// The code to answer a client's close frame with: its own when it may be sent, else 1002 (protocol error).
inline uint16_t ws_close_reply_code(const std::string& payload) {
  if (payload.empty()) return 1000;
  if (payload.size() == 1) return 1002;
  const uint16_t code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
  const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
  return sendable ? code : 1002;
}

// A close frame's payload: the code, then a reason of at most 123 bytes.
inline std::string ws_close_payload(uint16_t code, const std::string& reason) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xff);
  p += reason.substr(0, 123);
  return p;
}

// Client frames in, whole messages out. Client frames must be masked; control frames are whole and short;
// a message (all its fragments) may be at most `max_message` bytes.
class WsFrameReader {
 public:
  enum class Got { nothing, text, binary, ping, pong, close, too_big, bad };

  explicit WsFrameReader(size_t max_message) : max_(max_message) {}
  // Raises the limit (a connection allows small messages until it has logged in); never lowers it.
  void raise_max(size_t max_message) {
    if (max_message > max_) max_ = max_message;
  }

  void feed(const char* data, size_t n) {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > (64u << 10)) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    buf_.append(data, n);
  }

  // The next message or control frame; `payload` gets its bytes (close: code and reason). After too_big
  // or bad the stream is unusable: close the connection.
  Got next(std::string& payload) {
    for (;;) {
      const size_t avail = buf_.size() - pos_;
      if (avail < 2) return Got::nothing;
      const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + pos_);
      const bool fin = p[0] & 0x80;
      const uint8_t opcode = p[0] & 0x0f;
      if (p[0] & 0x70) return Got::bad;          // no extension was negotiated
      if (!(p[1] & 0x80)) return Got::bad;       // a client must mask
      uint64_t len = p[1] & 0x7f;
      size_t head = 2;
      if (len == 126) {
        if (avail < 4) return Got::nothing;
        len = (uint64_t(p[2]) << 8) | p[3];
        head = 4;
      } else if (len == 127) {
        if (avail < 10) return Got::nothing;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
        head = 10;
      }
      const bool control = opcode & 0x8;
      if (len >> 63) return Got::bad;  // RFC 6455 §5.2: the most significant bit must be 0
      if (control && (!fin || len > 125 || (opcode != kWsClose && opcode != kWsPing && opcode != kWsPong))) return Got::bad;
      if (!control) {
        if (opcode != kWsText && opcode != kWsBinary && opcode != kWsContinuation) return Got::bad;
        if ((opcode == kWsContinuation) != in_message_) return Got::bad;  // continuation only inside a message
        if (len > max_ - partial_.size()) return Got::too_big;           // written so that it cannot wrap
      }
      if (avail - head < 4 || avail - head - 4 < len) return Got::nothing;
      uint8_t mask[4];
      std::memcpy(mask, p + head, 4);
      const char* data = buf_.data() + pos_ + head + 4;
      pos_ += head + 4 + static_cast<size_t>(len);
      std::string* into = control ? &payload : &partial_;
      if (control) payload.clear();
      const size_t at = into->size();
      into->append(data, static_cast<size_t>(len));
      for (size_t i = 0; i < len; ++i) (*into)[at + i] = static_cast<char>((*into)[at + i] ^ mask[i & 3]);
      switch (opcode) {
        case kWsClose: return Got::close;
        case kWsPing: return Got::ping;
        case kWsPong: return Got::pong;
        case kWsText:
        case kWsBinary:
          kind_ = opcode;
          break;
        default:  // continuation (checked above)
          break;
      }
      in_message_ = !fin;
      if (!fin) continue;
      payload.swap(partial_);
      partial_.clear();
      return kind_ == kWsText ? Got::text : Got::binary;
    }
  }

 private:
  size_t max_;
  std::string buf_;
  size_t pos_ = 0;
  std::string partial_;
  bool in_message_ = false;
  uint8_t kind_ = kWsText;
};

}  // namespace cpx::web
