#pragma once
// The facade of the QuickFIX island. C++14 and free of QuickFIX types: fix_engine.cpp (C++14) implements
// it with QuickFIX, the C++20 server (fix_server.cpp) uses it. Messages cross it as tags and text, so
// prices stay decimal strings and never pass through a double.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cpx {
namespace fixapi {

struct FixSettings {
  std::string bind = "127.0.0.1";
  int port = -1;      // FIX over TCP (-1: off)
  int tls_port = -1;  // FIX over TLS (-1: off)
  std::string cert_file, key_file;  // PEM, for TLS
  std::string sender_comp_id = "CPX";      // the exchange's CompID on plain TCP
  std::string tls_sender_comp_id = "CPXS"; // and over TLS (QuickFIX keeps one session per CompID pair)
  std::vector<std::string> target_comp_ids; // the clients' CompIDs
  int heartbeat_s = 30;
  bool reset_on_logon = true;
  std::string store = "memory";  // or "file"
  std::string store_dir;          // for "file"
  std::string dictionary;         // FIX44-CPX.xml
  // A send that makes no progress for this long fails (SO_SNDTIMEO on the accepted sockets): QuickFIX's
  // send blocks on a full socket while holding the session's lock, so without it a client that stops
  // reading would pin its session's threads forever.
  int send_timeout_ms = 2000;
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

// Implemented by the server; called on QuickFIX's threads (one per connection).
class FixHandler {
 public:
  virtual ~FixHandler() {}
  // A Logon with Username(553)/Password(554). Return an empty string and set `session` to accept, or the
  // reason the Logon is refused (sent back in the Logout's Text).
  virtual std::string on_logon(const std::string& target_comp_id, const std::string& username,
                               const std::string& password, uint64_t& session) = 0;
  virtual void on_logout(uint64_t session) = 0;
  // An application message that passed the data dictionary.
  virtual void on_message(uint64_t session, const FixMessage& msg) = 0;
};

// The acceptors (plain and TLS) and the sending side.
class FixEngine {
 public:
  FixEngine(const FixSettings& settings, FixHandler& handler);
  ~FixEngine();
  // Empty on success, else why it could not start.
  std::string start();
  void stop();
  enum class SendOutcome { sent, not_logged_on, failed };
  // Thread-safe. `failed`: the session is logged on but the socket took nothing for send_timeout_ms (or
  // broke): the client is not reading.
  SendOutcome send(uint64_t session, const FixMessage& msg);
  // Logs the session out with `reason` in Text(58).
  void logout(uint64_t session, const std::string& reason);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

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
