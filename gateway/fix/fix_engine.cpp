// The QuickFIX island (C++14: Debian's QuickFIX 1.15.1 headers use dynamic exception specifications).
// Every file that includes <quickfix/...> is in this library; the rest of CPX sees fix_api.hpp only.
#include <quickfix/Application.h>
#include <quickfix/Log.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionFactory.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSSLSocketInitiator.h>
#include <quickfix/ThreadedSocketInitiator.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#include "fix/fix_acceptance_echo.hpp"
#include "fix/fix_api.hpp"
#include "fix/fix_quickfix.hpp"

namespace cpx {
namespace fixapi {

namespace qf {

FixMessage from_quickfix(const FIX::Message& m) {
  FixMessage out;
  FIX::MsgType type;
  m.getHeader().getField(type);
  out.msg_type = type.getValue();
  FIX::MsgSeqNum seq;
  if (m.getHeader().getFieldIfSet(seq)) out.seq_num = seq.getValue();
  for (FIX::FieldMap::const_iterator it = m.begin(); it != m.end(); ++it) {
    out.fields.push_back(FixField{it->getTag(), it->getString()});
  }
  // The one header field the application reads: PossResend(97), "this may be a message sent before"
  // (docs/FIX.md §2).
  if (m.getHeader().isSetField(kPossResend)) out.fields.push_back(FixField{kPossResend, m.getHeader().getField(kPossResend)});
  for (FIX::FieldMap::g_const_iterator g = m.g_begin(); g != m.g_end(); ++g) {
    FixGroup group{g->first, 0, {}};
    for (const FIX::FieldMap* entry : g->second) {
      std::vector<FixField> fields;
      for (FIX::FieldMap::const_iterator it = entry->begin(); it != entry->end(); ++it) {
        fields.push_back(FixField{it->getTag(), it->getString()});
      }
      if (group.delim_tag == 0 && !fields.empty()) group.delim_tag = fields.front().tag;
      group.entries.push_back(std::move(fields));
    }
    out.groups.push_back(std::move(group));
  }
  return out;
}

// An empty field is never valid FIX ("tag specified without a value": a strict client rejects the whole
// message), so a value CPX does not have (a refused order's missing Symbol) is left out, not sent empty.
void to_quickfix(const FixMessage& in, FIX::Message& m) {
  m.getHeader().setField(FIX::MsgType(in.msg_type));
  for (const FixField& f : in.fields) {
    if (f.value.empty()) continue;
    if (f.tag == kPossResend) {
      m.getHeader().setField(f.tag, f.value);
    } else {
      m.setField(f.tag, f.value);
    }
  }
  for (const FixGroup& g : in.groups) {
    if (g.entries.empty()) {
      m.setField(g.count_tag, "0");
      continue;
    }
    // Fields in the order of the first entry, the delimiter first.
    std::vector<int> order;
    order.push_back(g.delim_tag);
    for (const FixField& f : g.entries.front())
      if (f.tag != g.delim_tag) order.push_back(f.tag);
    order.push_back(0);
    for (const auto& entry : g.entries) {
      FIX::Group group(g.count_tag, g.delim_tag, order.data());
      for (const FixField& f : entry) {
        if (!f.value.empty()) group.setField(f.tag, f.value);
      }
      m.addGroup(group);
    }
  }
}

FIX::Dictionary base_dictionary(const std::string& dictionary, int heartbeat_s, bool reset_on_logon) {
  FIX::Dictionary d;
  d.setString(FIX::START_TIME, "00:00:00");
  d.setString(FIX::END_TIME, "00:00:00");
  d.setString(FIX::USE_DATA_DICTIONARY, "Y");
  d.setString(FIX::DATA_DICTIONARY, dictionary);
  d.setString(FIX::RESET_ON_LOGON, reset_on_logon ? "Y" : "N");
  d.setString(FIX::SOCKET_NODELAY, "Y");
  d.setInt(FIX::HEARTBTINT, heartbeat_s);
  return d;
}

}  // namespace qf

using namespace qf;

// ----------------------------------------------------------------------------------------------------
// Acceptor side: QuickFIX's sessions over cpxd's transport (no QuickFIX socket, no select()).

namespace {

// The connection a thread's FixEngine::send is meant for (0: QuickFIX's own sends, on the I/O thread).
thread_local uint64_t intended_connection = 0;

// A connection as QuickFIX sees it: sending and closing go to the transport, which only queues.
class ConnectionResponder : public FIX::Responder {
 public:
  ConnectionResponder(FixConnections& out, uint64_t id) : out_(out), id_(id) {}
  bool send(const std::string& bytes) override {
    // A sender that looked its session up just before the CompID passed to a new connection must not
    // deliver the old connection's message to the new one: dropped (the new client sees a gap).
    if (intended_connection != 0 && intended_connection != id_) return false;
    return out_.send(id_, bytes);
  }
  void disconnect() override {
    closing_ = true;
    out_.close(id_);
  }
  bool closing() const { return closing_; }

 private:
  FixConnections& out_;
  uint64_t id_;
  std::atomic<bool> closing_{false};
};

}  // namespace

// How long a client's held Logout waits for the reports due before it (FixHandler::on_logout_requested);
// they normally take one journal write.
const std::chrono::seconds kMaxDrain(5);

struct FixEngine::Impl : public FIX::Application {
  static constexpr uint64_t kMaxAhead = 1000;  // how far a client's MsgSeqNum may run ahead of the expected
  Impl(const FixSettings& s, FixHandler& h, FixConnections& c) : settings(s), handler(h), out(c) {}

  FixSettings settings;
  AcceptanceEcho echo;  // only with settings.acceptance_echo
  FixHandler& handler;
  FixConnections& out;
  std::unique_ptr<FIX::MessageStoreFactory> store;
  NullLogFactory logs;
  std::unique_ptr<FIX::SessionFactory> factory;
  std::vector<FIX::Session*> created;

  // I/O thread only.
  struct Conn {
    enum State { awaiting_logon, checking, live, draining };  // draining: the client's Logout is held
    bool tls = false;
    std::string address;
    State state = awaiting_logon;
    FIX::Session* session = nullptr;  // the session its Logon names
    bool registered = false;          // the session is this connection's (from an accepted Logon on)
    std::unique_ptr<ConnectionResponder> responder;
    std::string logon;
    std::vector<std::string> held;
    std::chrono::steady_clock::time_point draining_since;
  };
  std::map<uint64_t, Conn> conns;

  std::mutex mutex;  // guards the maps below (sends come from other threads)
  // The approved Logon being handed to its session right now: its connection (read in fromAdmin).
  std::map<FIX::SessionID, uint64_t> approved;
  std::map<FIX::SessionID, uint64_t> ids;
  std::map<uint64_t, FIX::SessionID> sessions;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& sid) override {
    uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = ids.find(sid);
      if (it == ids.end()) return;
      id = it->second;
    }
    handler.on_logon(id);
  }
  void onLogout(const FIX::SessionID& sid) override {
    uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = ids.find(sid);
      if (it == ids.end()) return;
      id = it->second;
      sessions.erase(id);
      ids.erase(it);
    }
    if (settings.acceptance_echo) echo.logged_out();
    // A session logged out by the server (slow consumer) stays disabled in QuickFIX until re-enabled.
    if (FIX::Session* s = FIX::Session::lookupSession(sid)) s->logon();
    handler.on_logout(id);
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}

  void fromAdmin(const FIX::Message& m, const FIX::SessionID& sid)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    FIX::MsgType type;
    m.getHeader().getField(type);
    if (type.getValue() != FIX::MsgType_Logon) return;
    std::lock_guard<std::mutex> lock(mutex);
    auto v = approved.find(sid);
    // The server checked this Logon before QuickFIX saw it. A later Logon on the same live session is a
    // sequence reset (ResetSeqNumFlag) by the client already authenticated on this connection.
    if (v == approved.end()) {
      if (ids.count(sid)) return;
      throw FIX::RejectLogon("not_authenticated: log on first");
    }
    ids[sid] = v->second;
    sessions[v->second] = sid;
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& sid)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    // Any FIX 4.4 message type CPX does not take (docs/FIX.md §3) passed the dictionary: QuickFIX answers it
    // as the standard says, BusinessMessageReject 380=3 "Unsupported Message Type" with RefSeqNum.
    if (settings.acceptance_echo) return echo.echo(m, sid);
    FIX::MsgType type;
    m.getHeader().getField(type);
    if (settings.app_msg_types.count(type.getValue()) == 0) throw FIX::UnsupportedMessageType();
    uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = ids.find(sid);
      if (it == ids.end()) return;
      id = it->second;
    }
    try {
      handler.on_message(id, from_quickfix(m));
    } catch (const std::exception&) {
      // Nothing may escape into QuickFIX (its exception specification would terminate the process).
    }
  }

  FIX::Dictionary session_settings() const {
    FIX::Dictionary d = base_dictionary(settings.dictionary, 30, settings.reset_on_logon);
    d.setString(FIX::CONNECTION_TYPE, "acceptor");
    if (!settings.check_latency) d.setString(FIX::CHECK_LATENCY, "N");
    return d;
  }

  // A refused Logon: a Logout of its own with the reason (seq 1), never through the session, which may be
  // live on another connection; then the connection closes.
  void refuse(uint64_t connection, const FIX::SessionID& sid, const std::string& reason) {
    conns.erase(connection);
    try {
      FIX::Message logout;
      FIX::Header& h = logout.getHeader();
      h.setField(FIX::BeginString(sid.getBeginString()));
      h.setField(FIX::MsgType(FIX::MsgType_Logout));
      h.setField(FIX::SenderCompID(sid.getSenderCompID()));
      h.setField(FIX::TargetCompID(sid.getTargetCompID()));
      h.setField(FIX::MsgSeqNum(1));
      h.setField(FIX::SendingTime(FIX::UtcTimeStamp(), 3));
      logout.setField(FIX::Text("Rejected Logon Attempt: " + reason));
      out.send(connection, logout.toString());
    } catch (const std::exception&) {
    }
    out.close(connection);
  }

  // Hands one message to a live session. False when the connection must close.
  bool deliver(Conn& c, const std::string& message) {
    // QuickFIX queues every message that arrives ahead of a gap until the gap is filled: a client that
    // jumps its sequence numbers far ahead would make that queue grow without bound.
    const size_t at = message.find("\x01" "34=");
    if (at != std::string::npos) {
      uint64_t seq = 0;
      for (size_t i = at + 4; i < message.size() && i < at + 24 && message[i] >= '0' && message[i] <= '9'; ++i)
        seq = seq * 10 + static_cast<uint64_t>(message[i] - '0');
      if (seq > static_cast<uint64_t>(c.session->getExpectedTargetNum()) + kMaxAhead) return false;
    }
    try {
      c.session->next(message, FIX::UtcTimeStamp());
    } catch (const FIX::InvalidMessage&) {
      if (!c.session->isLoggedOn()) return false;  // garbage before the session is up: no reply, closed
    } catch (...) {
      return false;
    }
    return !(c.responder && c.responder->closing());
  }
};

namespace {

// The "memory" store: sequence numbers, never messages. Nothing is resent across Logons anyway
// (ResetOnLogon), keeping every message sent would grow for the whole session, and a ResendRequest could
// make the I/O thread re-send all of it: with no message to resend QuickFIX answers with a
// SequenceReset-GapFill over the range. (Not PersistMessages=N, which gap-fills too but then forgets to
// count the ResendRequest's own MsgSeqNum, so the session asks for it back: acceptance test
// 8_OnlyAdminMessages.)
class SequenceOnlyStore final : public FIX::MemoryStore {
 public:
  bool set(int, const std::string&) throw(FIX::IOException) override { return true; }
};

class SequenceOnlyStoreFactory final : public FIX::MessageStoreFactory {
 public:
  FIX::MessageStore* create(const FIX::SessionID&) override { return new SequenceOnlyStore(); }
  void destroy(FIX::MessageStore* store) override { delete store; }
};

}  // namespace

FixEngine::FixEngine(const FixSettings& settings, FixHandler& handler, FixConnections& connections)
    : impl_(new Impl(settings, handler, connections)) {}
FixEngine::~FixEngine() { stop(); }

std::string FixEngine::start() {
  Impl& s = *impl_;
  if (s.settings.target_comp_ids.empty()) return "no FIX sessions configured (fix_sessions)";
  try {
    if (s.settings.store == "file") {
      s.store.reset(new FIX::FileStoreFactory(s.settings.store_dir));
    } else {
      s.store.reset(new SequenceOnlyStoreFactory());
    }
    s.factory.reset(new FIX::SessionFactory(s, *s.store, &s.logs));
    const FIX::Dictionary d = s.session_settings();
    for (const std::string& sender : {s.settings.sender_comp_id, s.settings.tls_sender_comp_id}) {
      for (const std::string& target : s.settings.target_comp_ids) {
        s.created.push_back(s.factory->create(FIX::SessionID("FIX.4.4", sender, target), d));
      }
    }
  } catch (const std::exception& e) {
    stop();
    return std::string("FIX sessions: ") + e.what();
  }
  return std::string();
}

void FixEngine::stop() {
  Impl& s = *impl_;
  std::vector<uint64_t> open;
  for (const auto& c : s.conns) open.push_back(c.first);
  for (uint64_t id : open) closed(id);
  for (FIX::Session* session : s.created) s.factory->destroy(session);
  s.created.clear();
  s.factory.reset();
}

void FixEngine::opened(uint64_t connection, bool tls, const std::string& address) {
  Impl::Conn& c = impl_->conns[connection];
  c.tls = tls;
  c.address = address;
}

bool FixEngine::received(uint64_t connection, const std::string& message) {
  Impl& s = *impl_;
  auto it = s.conns.find(connection);
  if (it == s.conns.end()) return false;
  Impl::Conn& c = it->second;
  switch (c.state) {
    case Impl::Conn::live:
      // The client's Logout (not its answer to ours): held until the reports due to it have gone out, so
      // that the Logout answer is the last thing it hears.
      if (c.session->isLoggedOn() && !c.session->sentLogout()) {
        try {
          if (FIX::identifyType(message) == FIX::MsgType_Logout) {
            c.state = Impl::Conn::draining;
            c.draining_since = std::chrono::steady_clock::now();
            c.held.push_back(message);
            s.handler.on_logout_requested(connection);
            return true;
          }
        } catch (...) {
          // not readable: QuickFIX answers it
        }
      }
      return s.deliver(c, message);
    case Impl::Conn::draining:
      if (c.held.size() >= s.settings.max_held_messages) return false;
      c.held.push_back(message);
      return true;
    case Impl::Conn::checking:
      // A client should wait for the answer to its Logon; a few messages are kept for after it.
      if (c.held.size() >= s.settings.max_held_messages) return false;
      c.held.push_back(message);
      return true;
    case Impl::Conn::awaiting_logon:
      break;
  }
  LogonRequest logon;
  try {
    if (FIX::identifyType(message) != FIX::MsgType_Logon) return false;  // the first message is a Logon
    FIX::Session* session = FIX::Session::lookupSession(message, true);
    if (!session) return false;  // no such CompID pair
    const FIX::SessionID sid = session->getSessionID();
    const std::string& ours = c.tls ? s.settings.tls_sender_comp_id : s.settings.sender_comp_id;
    if (sid.getSenderCompID().getValue() != ours) return false;  // a TLS CompID over plain TCP, or back
    FIX::Message m(message, false);
    // Logged on over another connection: closed at once. (The session becomes a connection's only when its
    // Logon is accepted, so Logons being checked never keep the CompID from its owner.)
    if (FIX::Session::isSessionRegistered(sid)) return false;
    c.session = session;
    logon.target_comp_id = sid.getTargetCompID().getValue();
    if (m.isSetField(kUsername)) logon.username = m.getField(kUsername);
    if (m.isSetField(kPassword)) logon.password = m.getField(kPassword);
  } catch (...) {
    return false;  // not a FIX message QuickFIX can read
  }
  c.state = Impl::Conn::checking;
  c.logon = message;
  logon.connection = connection;
  logon.address = c.address;
  logon.tls = c.tls;
  s.handler.authenticate(logon);
  return true;
}

void FixEngine::logon_checked(uint64_t connection, const std::string& refusal) {
  Impl& s = *impl_;
  auto it = s.conns.find(connection);
  if (it == s.conns.end() || it->second.state != Impl::Conn::checking) return;  // gone meanwhile
  Impl::Conn& c = it->second;
  const FIX::SessionID sid = c.session->getSessionID();
  if (!refusal.empty()) return s.refuse(connection, sid, refusal);
  if (!FIX::Session::registerSession(sid)) {
    return s.refuse(connection, sid, "session_in_use: another connection is logged on as " + sid.getTargetCompID().getValue());
  }
  c.registered = true;
  c.session->logon();  // enabled, whatever a late logout of an earlier connection left
  c.responder.reset(new ConnectionResponder(s.out, connection));
  c.session->setResponder(c.responder.get());
  c.state = Impl::Conn::live;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.approved[sid] = connection;
  }
  bool ok = s.deliver(c, c.logon);
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.approved.erase(sid);
  }
  c.logon.clear();
  std::vector<std::string> held;
  held.swap(c.held);
  for (const std::string& m : held) {
    if (!ok) break;
    ok = s.deliver(c, m);
  }
  if (!ok) s.out.close(connection);
}

void FixEngine::closed(uint64_t connection) {
  Impl& s = *impl_;
  auto it = s.conns.find(connection);
  if (it == s.conns.end()) return;
  Impl::Conn& c = it->second;
  if (c.session) {
    const FIX::SessionID sid = c.session->getSessionID();
    // Under the session's lock: its responder is dropped (no send can use it after this returns) and,
    // when it was logged on, onLogout tells the server.
    if (c.responder) c.session->disconnect();
    if (c.registered) FIX::Session::unregisterSession(sid);
  }
  s.conns.erase(it);
}

void FixEngine::release_held(uint64_t connection) {
  Impl& s = *impl_;
  auto it = s.conns.find(connection);
  if (it == s.conns.end() || it->second.state != Impl::Conn::draining) return;
  Impl::Conn& c = it->second;
  c.state = Impl::Conn::live;
  std::vector<std::string> held;
  held.swap(c.held);
  bool ok = true;
  for (const std::string& m : held) {
    if (!ok) break;
    ok = s.deliver(c, m);
  }
  if (!ok) s.out.close(connection);
}

void FixEngine::tick() {
  std::vector<uint64_t> overdue;
  for (auto& entry : impl_->conns)
    if (entry.second.state == Impl::Conn::draining &&
        std::chrono::steady_clock::now() - entry.second.draining_since > kMaxDrain)
      overdue.push_back(entry.first);
  for (uint64_t id : overdue) release_held(id);  // the reports never came (a failed journal write): log out anyway
  for (auto& entry : impl_->conns) {
    Impl::Conn& c = entry.second;
    if (c.state != Impl::Conn::live && c.state != Impl::Conn::draining) continue;
    try {
      c.session->next(FIX::UtcTimeStamp());
    } catch (...) {
    }
  }
}

bool FixEngine::logged_on(uint64_t connection) const {
  auto it = impl_->conns.find(connection);
  return it != impl_->conns.end() && (it->second.state == Impl::Conn::live || it->second.state == Impl::Conn::draining) && it->second.session->isLoggedOn();
}

FixEngine::SendOutcome FixEngine::send(uint64_t session, const FixMessage& msg) {
  struct Intended {
    explicit Intended(uint64_t id) { intended_connection = id; }
    ~Intended() { intended_connection = 0; }
  } intended(session);
  FIX::SessionID sid;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto it = impl_->sessions.find(session);
    if (it == impl_->sessions.end()) return SendOutcome::not_logged_on;
    sid = it->second;
  }
  try {
    FIX::Session* s = FIX::Session::lookupSession(sid);
    if (!s || !s->isLoggedOn()) return SendOutcome::not_logged_on;
    FIX::Message m;
    to_quickfix(msg, m);
    if (s->send(m)) return SendOutcome::sent;
    return s->isLoggedOn() ? SendOutcome::failed : SendOutcome::not_logged_on;
  } catch (const std::exception&) {
    return SendOutcome::not_logged_on;
  }
}

void FixEngine::logout(uint64_t session, const std::string& reason) {
  // On the I/O thread, and only while this connection owns its session: a late logout must never reach
  // the next connection on the same CompID.
  auto it = impl_->conns.find(session);
  if (it == impl_->conns.end() || !it->second.registered || (it->second.state != Impl::Conn::live && it->second.state != Impl::Conn::draining)) return;
  it->second.session->logout(reason);
}

bool parse_with_dictionary(const std::string& dictionary, const std::string& message, FixMessage& out, std::string& why) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<FIX::DataDictionary>> loaded;
  const FIX::DataDictionary* dd = nullptr;
  try {
    std::lock_guard<std::mutex> lock(mutex);
    std::unique_ptr<FIX::DataDictionary>& slot = loaded[dictionary];
    if (!slot) slot.reset(new FIX::DataDictionary(dictionary));
    dd = slot.get();
  } catch (const std::exception& e) {
    why = std::string("dictionary: ") + e.what();
    return false;
  }
  try {
    FIX::Message m(message, *dd, true);
    dd->validate(m);
    out = from_quickfix(m);
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

}  // namespace fixapi
}  // namespace cpx
