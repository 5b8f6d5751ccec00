// libFuzzer target: the FIX message path from the socket to the server, as cpxd runs it: the bytes of one
// connection cut into frames (gateway/fix/fix_framing.hpp, with the transport's rule: before the Logon a
// bad frame ends the connection, after it the frame is skipped), each frame handed to QuickFIX's sessions
// through the island (fixapi::FixEngine, over a transport that only records), the Logon approved or
// refused as the first input byte says. Properties, beyond "no crash, leak or UB":
//  - nothing reaches the server's handler before a Logon it approved, and nothing after the connection
//    closed; only live sessions' messages do;
//  - everything the session sends back is whole FIX 4.4 frames, addressed from CPX to the client;
//  - after a connection closes, its CompID is free: a clean Logon on a new connection goes live.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fix/fix_api.hpp"
#include "fix/fix_framing.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace cpx;

struct Recorder final : fixapi::FixConnections, fixapi::FixHandler {
  // transport
  bool send(uint64_t connection, const std::string& bytes) override {
    if (connection != current) cpx::fuzz::fail("bytes sent to connection %llu, not the open one", (unsigned long long)connection);
    sent += bytes;
    return true;
  }
  void close(uint64_t connection) override { closing = closing || connection == current; }
  // server
  void authenticate(const fixapi::LogonRequest& l) override {
    if (l.connection != current) cpx::fuzz::fail("a Logon of another connection");
    pending = true;
  }
  void on_logon(uint64_t session) override {
    if (!approved) cpx::fuzz::fail("a session went live without the server's approval");
    live = session;
  }
  void on_logout(uint64_t session) override {
    if (session == live) live = 0;
  }
  void on_message(uint64_t session, const fixapi::FixMessage&) override {
    if (session != live || live == 0) cpx::fuzz::fail("an application message from a session that is not live");
    ++messages;
  }
  void on_logout_requested(uint64_t session) override {
    if (session != live || live == 0) cpx::fuzz::fail("a Logout held for a session that is not live");
    draining = true;
  }
  uint64_t current = 0, live = 0, messages = 0;
  bool pending = false, approved = false, closing = false, draining = false;
  std::string sent;
};

Recorder recorder;
fixapi::FixEngine* engine = nullptr;

std::string frame(const std::string& body) {
  std::string m = "8=FIX.4.4\x01" "9=" + std::to_string(body.size()) + "\x01" + body;
  unsigned sum = 0;
  for (char c : m) sum += static_cast<uint8_t>(c);
  char trailer[8];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return m + trailer;
}

const std::string kCleanLogon = frame(std::string("35=A\x01" "34=1\x01" "49=BJAI\x01" "52=20261207-08:00:00.000\x01") +
                                      "56=CPX\x01" "98=0\x01" "108=30\x01" "141=Y\x01" "553=u\x01" "554=p\x01");

// One connection's life: its bytes, read as the transport reads them.
void run_connection(uint64_t id, const std::string& bytes, bool approve, size_t cut) {
  recorder.current = id;
  recorder.pending = recorder.approved = recorder.closing = false;
  recorder.sent.clear();
  engine->opened(id, false, "127.0.0.1");
  cpx::fix::FixFramer framer(64 * 1024);
  std::string message;
  bool open = true;
  for (size_t at = 0; at < bytes.size() && open;) {
    const size_t n = std::min(cut, bytes.size() - at);
    framer.feed(bytes.data() + at, n);
    at += n;
    for (;;) {
      const auto got = framer.next(message);
      if (got == cpx::fix::FixFramer::Got::nothing) break;
      if (got != cpx::fix::FixFramer::Got::message) {
        if (!engine->logged_on(id)) {
          open = false;
          break;
        }
        framer.skip_garbled();
        continue;
      }
      if (!engine->received(id, message)) {
        open = false;
        break;
      }
      if (recorder.draining) {  // the reports due before the Logout went out: it is taken now
        recorder.draining = false;
        engine->release_held(id);
      }
      if (recorder.pending) {  // the server answers later, on the I/O thread: here, right after
        recorder.pending = false;
        recorder.approved = approve;
        engine->logon_checked(id, approve ? std::string() : std::string("bad_credentials: fuzz"));
      }
      if (recorder.closing) {
        open = false;
        break;
      }
    }
    engine->tick();
  }
  engine->closed(id);
  if (recorder.live != 0) cpx::fuzz::fail("a session is still live after its connection closed");
  // What the session sent: whole frames from CPX to BJAI.
  cpx::fix::FixFramer replies(1 << 20);
  replies.feed(recorder.sent.data(), recorder.sent.size());
  std::string reply;
  for (;;) {
    const auto got = replies.next(reply);
    if (got == cpx::fix::FixFramer::Got::nothing) break;
    if (got != cpx::fix::FixFramer::Got::message) cpx::fuzz::fail("the server sent bytes that are no FIX frame: %s", cpx::fuzz::hex(recorder.sent).c_str());
    if (reply.find("\x01" "49=CPX\x01") == std::string::npos || reply.find("\x01" "56=BJAI\x01") == std::string::npos)
      cpx::fuzz::fail("a reply not from CPX to BJAI: %s", reply.c_str());
  }
  if (replies.buffered() != 0) cpx::fuzz::fail("the server sent part of a frame");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixapi::FixSettings s;
  s.sender_comp_id = "CPX";
  s.tls_sender_comp_id = "CPXS";
  s.target_comp_ids = {"BJAI"};
  s.dictionary = CPX_FIX_DICTIONARY;
  s.check_latency = false;  // the corpus's SendingTimes are fixed
  engine = new fixapi::FixEngine(s, recorder, recorder);
  const std::string error = engine->start();
  if (!error.empty()) cpx::fuzz::fail("FIX engine: %s", error.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static uint64_t next_id = 1;
  const bool approve = (data[0] & 1) != 0;
  const size_t cut = 1 + (data[0] >> 1);  // how the stream arrives: pieces of 1 to 128 bytes
  run_connection(next_id++, std::string(reinterpret_cast<const char*>(data + 1), size - 1), approve, cut);
  // The CompID is free again: a clean Logon goes live, and its connection closes cleanly.
  run_connection(next_id++, kCleanLogon, true, kCleanLogon.size());
  if (!recorder.approved) cpx::fuzz::fail("the clean Logon after a closed connection was not even checked");
  if (recorder.sent.find("\x01" "35=A\x01") == std::string::npos)
    cpx::fuzz::fail("the CompID was not free after its connection closed: %s", recorder.sent.c_str());
  return 0;
}
