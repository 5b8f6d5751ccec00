#pragma once
// FIX byte stream in, whole messages out, before QuickFIX sees anything: cpxd's own FIX transport reads
// the sockets (QuickFIX's socket classes use select() and abort the process at descriptor 1024) and hands
// QuickFIX's sessions one message at a time. A message is
//   8=FIX.4.4<SOH>9=<body length><SOH> ...body... 10=<3 digits><SOH>
// The framer checks only the frame (BeginString, a BodyLength within the limit, where the CheckSum field
// stands, and its value); fields and their meaning are QuickFIX's. Bounded: a frame that cannot fit in
// `max_message` bytes is refused before it is read, so a peer cannot make the buffer grow.
// Small and header-only so that unit tests and the fuzzer check it without a socket.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace cpx::fix {

class FixFramer {
 public:
  enum class Got { nothing, message, bad, too_big };

  explicit FixFramer(size_t max_message) : max_(max_message) {}

  void feed(const char* data, size_t n) {
    if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 64 * 1024)) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    buf_.append(data, n);
  }

  // The next whole message into `out`; `bad` and `too_big` are final (the connection must close).
  Got next(std::string& out) {
    if (failed_) return Got::bad;
    const std::string_view in = std::string_view(buf_).substr(pos_);
    // BeginString: "8=FIX" and a version (FIX.4.4 is the sessions'; any other is passed on, for QuickFIX
    // to answer "Incorrect BeginString"), then BodyLength.
    static constexpr std::string_view kTag = "8=FIX";
    const size_t have = std::min(in.size(), kTag.size());
    if (in.substr(0, have) != kTag.substr(0, have)) return fail(Got::bad);
    size_t i = kTag.size();
    while (i < in.size() && i < kTag.size() + kMaxVersion &&
           (in[i] == '.' || (in[i] >= '0' && in[i] <= '9') || (in[i] >= 'A' && in[i] <= 'Z'))) {
      ++i;
    }
    if (i >= in.size()) return Got::nothing;  // (also a stream shorter than "8=FIX" so far)
    if (in[i] != '\x01') return fail(Got::bad);
    ++i;
    for (const char c : std::string_view("9=")) {
      if (i == in.size()) return Got::nothing;
      if (in[i++] != c) return fail(Got::bad);
    }
    // BodyLength: 1 to 7 digits, no sign, no leading zero.
    uint64_t body = 0;
    size_t digits = 0;
    while (i < in.size() && in[i] >= '0' && in[i] <= '9') {
      if (++digits > 7 || (digits == 2 && body == 0)) return fail(Got::bad);
      body = body * 10 + static_cast<uint64_t>(in[i] - '0');
      ++i;
    }
    if (i == in.size()) return digits <= 7 ? Got::nothing : fail(Got::bad);
    if (digits == 0 || in[i] != '\x01') return fail(Got::bad);
    const size_t body_start = i + 1;
    const uint64_t total = body_start + body + kTrailer;
    if (total > max_) return fail(Got::too_big);
    if (in.size() < total) return Got::nothing;
    // The body ends right before "10=": the checksum follows, three digits and SOH.
    const std::string_view trailer = in.substr(body_start + body, kTrailer);
    if (body == 0 || in[body_start + body - 1] != '\x01' || trailer.substr(0, 3) != "10=" || trailer[6] != '\x01')
      return fail(Got::bad);
    unsigned given = 0;
    for (size_t k = 3; k < 6; ++k) {
      if (trailer[k] < '0' || trailer[k] > '9') return fail(Got::bad);
      given = given * 10 + static_cast<unsigned>(trailer[k] - '0');
    }
    unsigned sum = 0;
    for (size_t k = 0; k < body_start + body; ++k) sum += static_cast<uint8_t>(in[k]);
    if (sum % 256 != given) return fail(Got::bad);
    out.assign(in.substr(0, total));
    pos_ += total;
    return Got::message;
  }

  // After `bad` or `too_big` on a logged-on session: drop the garbled bytes up to the next BeginString and
  // read on (FIX: a garbled message is ignored, not a reason to disconnect). Returns the bytes dropped.
  // Before the Logon the server closes the connection instead: nothing that is no FIX is read twice.
  size_t skip_garbled() {
    static constexpr std::string_view kBegin = "8=FIX";
    failed_ = false;
    const size_t from = pos_;
    const size_t next = buf_.find(kBegin, pos_ + 1);
    if (next != std::string::npos) {
      pos_ = next;
    } else {
      // Keep a tail that may be the start of the next BeginString; the rest goes.
      const size_t keep = std::min(buf_.size() - pos_, kBegin.size() - 1);
      pos_ = buf_.size() - keep;
      while (pos_ < buf_.size() && std::string_view(buf_).substr(pos_) != kBegin.substr(0, buf_.size() - pos_)) ++pos_;
    }
    return pos_ - from;
  }

  size_t buffered() const { return buf_.size() - pos_; }
  // The largest frame from now on (a connection allows small frames until its Logon is accepted).
  void set_max(size_t max_message) { max_ = max_message; }

 private:
  static constexpr size_t kTrailer = 7;    // "10=nnn" SOH
  static constexpr size_t kMaxVersion = 8;  // after "8=FIX": ".4.4", "T.1.1"
  Got fail(Got g) {
    failed_ = true;
    return g;
  }

  size_t max_;
  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace cpx::fix
