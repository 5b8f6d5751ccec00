#pragma once
// The facade of the QuickFIX island. C++14 and free of QuickFIX types: fix_engine.cpp (C++14) implements
// it with QuickFIX, the C++20 server (fix_server.cpp) uses it. Messages cross it as tags and text, so
// prices stay decimal strings and never pass through a double.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace cpx {
namespace fixapi {

struct FixSettings {
  std::string sender_comp_id = "CPX";      // the exchange's CompID on plain TCP
  std::string tls_sender_comp_id = "CPXS"; // and over TLS (QuickFIX keeps one session per CompID pair)
  std::vector<std::string> target_comp_ids; // the clients' CompIDs
  bool reset_on_logon = true;
  std::string store = "memory";  // or "file"
  std::string store_dir;          // for "file"
  std::string dictionary;         // FIX44-CPX.xml
  size_t max_held_messages = 16;  // messages a client may send after its Logon while the Logon is checked
  bool check_latency = true;      // QuickFIX's SendingTime check (120 s); the fuzzer's fixed inputs turn it off
  // The application messages the handler takes (docs/FIX.md §3); any other is answered 380=3 by QuickFIX.
  std::set<std::string> app_msg_types = {"D", "F", "G", "q", "V", "x", "H", "AF", "AD", "BB"};
  // Conformance runs only: the application is QuickFIX's acceptance-test echo (fix_acceptance_echo.hpp).
  bool acceptance_echo = false;
};

struct FixField {
  int tag;
  std::string value;
};
struct FixGroup {
  int count_tag;
  int delim_tag;  // first field of each entry
  std::vector<std::vector<FixField>> entries;
};
// A message as tags and values. Inbound: header fields are left out; repeating groups come in `groups`.
struct FixMessage {
  std::string msg_type;
  int seq_num = 0;  // inbound: the message's MsgSeqNum(34), which a reject names in RefSeqNum(45)
  std::vector<FixField> fields;
  std::vector<FixGroup> groups;

  const std::string* get(int tag) const {
    for (const FixField& f : fields)
      if (f.tag == tag) return &f.value;
    return nullptr;
  }
  std::string value(int tag) const {
    const std::string* v = get(tag);
    return v ? *v : std::string();
  }
  void set(int tag, std::string v) { fields.push_back(FixField{tag, std::move(v)}); }
};

// A Logon as it arrived, before QuickFIX takes it: the server checks the credentials off the I/O thread.
struct LogonRequest {
  uint64_t connection = 0;
  std::string target_comp_id;  // the client's SenderCompID(49)
  std::string username, password;  // Username(553), Password(554); may be empty
  std::string address;         // the peer's IP address
  bool tls = false;
};

// Implemented by the server. authenticate() is called on the transport's I/O thread and must not block:
// the answer comes later through FixEngine::logon_checked (on the I/O thread again). The others are
// called from inside QuickFIX's session processing, on the I/O thread (on_logout also from a thread that
// logs a session out).
class FixHandler {
 public:
  virtual ~FixHandler() {}
  virtual void authenticate(const LogonRequest& logon) = 0;
  // QuickFIX accepted the Logon the server approved: the session is live (its id is the connection's).
  virtual void on_logon(uint64_t session) = 0;
  virtual void on_logout(uint64_t session) = 0;
  // An application message that passed the data dictionary.
  virtual void on_message(uint64_t session, const FixMessage& msg) = 0;
  // The client asked to log out. Its Logout (and anything after it) is held until the server calls
  // FixEngine::release_held, once every report due to the client before it has been sent.
  virtual void on_logout_requested(uint64_t session) = 0;
};

// The transport's side, implemented by cpxd's FIX transport (fix_transport.hpp). Thread-safe, never blocks
// and never calls back into the FixEngine on the caller's thread.
class FixConnections {
 public:
  virtual ~FixConnections() {}
  // Queues bytes for the connection; false when it is gone or too far behind (the caller treats it as failed).
  virtual bool send(uint64_t connection, const std::string& bytes) = 0;
  // Closes the connection once what is queued is written; FixEngine::closed follows on the I/O thread.
  virtual void close(uint64_t connection) = 0;
};

// QuickFIX's sessions, driven over cpxd's own transport: the transport hands in whole messages (see
// fix_framing.hpp) and QuickFIX never touches a socket. opened/received/closed/tick/logon_checked are
// called on the transport's one I/O thread; send and logout on any thread.
class FixEngine {
 public:
  FixEngine(const FixSettings& settings, FixHandler& handler, FixConnections& connections);
  ~FixEngine();
  // Creates the sessions. Empty on success, else why not.
  std::string start();
  void stop();

  void opened(uint64_t connection, bool tls, const std::string& address);
  // One whole message; false when the connection must close (not a Logon first, unknown CompIDs, the
  // session in use by another connection, too much sent before the Logon was answered).
  bool received(uint64_t connection, const std::string& message);
  void closed(uint64_t connection);
  // Once a second: heartbeats, test requests and time-outs of the live sessions.
  void tick();
  // The server's answer to authenticate(): empty to accept, else the refusal sent in the Logout's Text(58).
  void logon_checked(uint64_t connection, const std::string& refusal);
  bool logged_on(uint64_t connection) const;  // I/O thread
  // I/O thread: QuickFIX takes the held Logout now (FixHandler::on_logout_requested).
  void release_held(uint64_t connection);

  enum class SendOutcome { sent, not_logged_on, failed };
  // Thread-safe. `failed`: the session is logged on but its connection is too far behind.
  SendOutcome send(uint64_t session, const FixMessage& msg);
  // I/O thread: logs the session out with `reason` in Text(58), if the connection still owns it.
  void logout(uint64_t session, const std::string& reason);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// For tests and the fuzzer: parses `message` against the dictionary as QuickFIX does for a session and
// converts it; false (with `why`) when QuickFIX refuses it.
bool parse_with_dictionary(const std::string& dictionary, const std::string& message, FixMessage& out, std::string& why);

// A FIX client (initiator) for tests and load tools: connects, logs on with a user name and password, sends
// messages and collects what comes back.
struct FixClientSettings {
  std::string host = "127.0.0.1";
  int port = 0;
  bool tls = false;
  std::string ca_file;  // to verify the server over TLS (empty: no verification)
  std::string sender_comp_id;          // the client's CompID
  std::string target_comp_id = "CPX";  // the server's
  std::string username, password;
  std::string dictionary;
  int heartbeat_s = 30;
  std::string log_dir;  // QuickFIX needs a directory for its file store settings; memory store used
};

class FixClient {
 public:
  explicit FixClient(const FixClientSettings& settings);
  ~FixClient();
  std::string start();  // empty on success
  void stop();
  // Waits until logged on, or until the server refuses (then returns false; `why` says what it sent).
  bool wait_logon(int timeout_ms, std::string* why = nullptr);
  bool logged_on() const;
  bool send(const FixMessage& msg);
  // The next application message received (or a Logout/Reject as msg_type "5"/"3"), waiting up to timeout.
  bool next(FixMessage& out, int timeout_ms);
  // Messages received and not yet taken.
  size_t pending() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixapi
}  // namespace cpx
