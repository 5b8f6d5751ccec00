// The QuickFIX island (C++14: Debian's QuickFIX 1.15.1 headers use dynamic exception specifications).
// Every file that includes <quickfix/...> is in this library; the rest of CPX sees fix_api.hpp only.
#include <quickfix/Application.h>
#include <quickfix/Log.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSSLSocketAcceptor.h>
#include <quickfix/ThreadedSSLSocketInitiator.h>
#include <quickfix/ThreadedSocketAcceptor.h>
#include <quickfix/ThreadedSocketInitiator.h>

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#include "fix/fix_api.hpp"

namespace cpx {
namespace fixapi {

namespace {

// QuickFIX logs nothing of ours: the Logon carries the password (DESIGN.md §8: secrets never logged).
class NullLogFactory : public FIX::LogFactory {
 public:
  FIX::Log* create() override { return new FIX::NullLog; }
  FIX::Log* create(const FIX::SessionID&) override { return new FIX::NullLog; }
  void destroy(FIX::Log* log) override { delete log; }
};

const int kUsername = 553;
const int kPassword = 554;

FixMessage from_quickfix(const FIX::Message& m) {
  FixMessage out;
  FIX::MsgType type;
  m.getHeader().getField(type);
  out.msg_type = type.getValue();
  for (FIX::FieldMap::const_iterator it = m.begin(); it != m.end(); ++it) {
    out.fields.push_back(FixField{it->getTag(), it->getString()});
  }
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

void to_quickfix(const FixMessage& in, FIX::Message& m) {
  m.getHeader().setField(FIX::MsgType(in.msg_type));
  for (const FixField& f : in.fields) m.setField(f.tag, f.value);
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
      for (const FixField& f : entry) group.setField(f.tag, f.value);
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

// QuickFIX 1.15.1 hands out no socket of a session, so the accepted connections are found among the
// process's descriptors: connected TCP sockets whose local port is one of the acceptor's. Setting the
// option again on a socket that has it already is harmless, so every logon sweeps them all.
void bound_acceptor_sends(int port, int tls_port, int timeout_ms) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int fd = std::atoi(e->d_name);
    sockaddr_storage local{}, peer{};
    socklen_t len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    int local_port = -1;
    if (local.ss_family == AF_INET) local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    if (local.ss_family == AF_INET6) local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    if (local_port < 0 || (local_port != port && local_port != tls_port)) continue;
    len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;  // the listener itself
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  closedir(dir);
}

}  // namespace

// ----------------------------------------------------------------------------------------------------
// Acceptor side.

struct FixEngine::Impl : public FIX::Application {
  Impl(const FixSettings& s, FixHandler& h) : settings(s), handler(h) {}

  FixSettings settings;
  FixHandler& handler;
  std::unique_ptr<FIX::MessageStoreFactory> store;
  NullLogFactory logs;
  std::unique_ptr<FIX::ThreadedSocketAcceptor> plain;
  std::unique_ptr<FIX::ThreadedSSLSocketAcceptor> secure;

  std::mutex mutex;
  std::map<FIX::SessionID, uint64_t> ids;
  std::map<uint64_t, FIX::SessionID> sessions;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    if (settings.send_timeout_ms > 0) bound_acceptor_sends(settings.port, settings.tls_port, settings.send_timeout_ms);
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
    std::string reason;
    uint64_t id = 0;
    try {
      const std::string user = m.isSetField(kUsername) ? m.getField(kUsername) : std::string();
      const std::string pass = m.isSetField(kPassword) ? m.getField(kPassword) : std::string();
      if (user.empty() || pass.empty()) {
        reason = "not_authenticated: Username(553) and Password(554) are required";
      } else {
        reason = handler.on_logon(sid.getTargetCompID().getValue(), user, pass, id);
      }
    } catch (const std::exception& e) {
      reason = std::string("internal error: ") + e.what();
    }
    if (!reason.empty()) throw FIX::RejectLogon(reason);
    std::lock_guard<std::mutex> lock(mutex);
    ids[sid] = id;
    sessions[id] = sid;
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& sid)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
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
      // Nothing may escape into QuickFIX's thread (its exception specification would terminate the process).
    }
  }

  FIX::SessionSettings acceptor_settings(int port, const std::string& sender, bool tls) {
    FIX::SessionSettings s;
    FIX::Dictionary d = base_dictionary(settings.dictionary, settings.heartbeat_s, settings.reset_on_logon);
    d.setString(FIX::CONNECTION_TYPE, "acceptor");
    d.setInt(FIX::SOCKET_ACCEPT_PORT, port);
    d.setString(FIX::SOCKET_REUSE_ADDRESS, "Y");
    if (settings.store == "file") d.setString(FIX::FILE_STORE_PATH, settings.store_dir);
    if (tls) {
      d.setString(FIX::SERVER_CERT_FILE, settings.cert_file);
      d.setString(FIX::SERVER_CERT_KEY_FILE, settings.key_file);
      d.setString(FIX::SSL_PROTOCOL, "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1");
    }
    s.set(d);
    for (const std::string& target : settings.target_comp_ids) {
      s.set(FIX::SessionID("FIX.4.4", sender, target), FIX::Dictionary());
    }
    return s;
  }
};

FixEngine::FixEngine(const FixSettings& settings, FixHandler& handler) : impl_(new Impl(settings, handler)) {}
FixEngine::~FixEngine() { stop(); }

std::string FixEngine::start() {
  Impl& s = *impl_;
  if (s.settings.target_comp_ids.empty()) return "no FIX sessions configured (fix_sessions)";
  try {
    if (s.settings.store == "file") {
      s.store.reset(new FIX::FileStoreFactory(s.settings.store_dir));
    } else {
      s.store.reset(new FIX::MemoryStoreFactory());
    }
    if (s.settings.port >= 0) {
      s.plain.reset(new FIX::ThreadedSocketAcceptor(s, *s.store, s.acceptor_settings(s.settings.port, s.settings.sender_comp_id, false), s.logs));
      s.plain->start();
    }
    if (s.settings.tls_port >= 0) {
      s.secure.reset(new FIX::ThreadedSSLSocketAcceptor(s, *s.store, s.acceptor_settings(s.settings.tls_port, s.settings.tls_sender_comp_id, true), s.logs));
      s.secure->start();
    }
  } catch (const std::exception& e) {
    return std::string("FIX acceptor: ") + e.what();
  }
  return std::string();
}

void FixEngine::stop() {
  Impl& s = *impl_;
  try {
    if (s.plain) s.plain->stop();
    if (s.secure) s.secure->stop();
  } catch (const std::exception&) {
  }
  s.plain.reset();
  s.secure.reset();
}

FixEngine::SendOutcome FixEngine::send(uint64_t session, const FixMessage& msg) {
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
  FIX::SessionID sid;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto it = impl_->sessions.find(session);
    if (it == impl_->sessions.end()) return;
    sid = it->second;
  }
  if (FIX::Session* s = FIX::Session::lookupSession(sid)) s->logout(reason);
}

// ----------------------------------------------------------------------------------------------------
// Initiator side (tests, load tools).

struct FixClient::Impl : public FIX::Application {
  explicit Impl(const FixClientSettings& s) : settings(s) {}

  FixClientSettings settings;
  FIX::MemoryStoreFactory store;
  NullLogFactory logs;
  std::unique_ptr<FIX::Initiator> initiator;
  FIX::SessionID sid;

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<FixMessage> inbox;
  bool logged_on = false;
  bool refused = false;
  std::string refusal;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    logged_on = true;
    wake.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    logged_on = false;
    wake.notify_all();
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override {
    FIX::MsgType type;
    m.getHeader().getField(type);
    if (type.getValue() == FIX::MsgType_Logon) {
      m.setField(kUsername, settings.username);
      m.setField(kPassword, settings.password);
    }
  }
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    FIX::MsgType type;
    m.getHeader().getField(type);
    if (type.getValue() != FIX::MsgType_Logout && type.getValue() != FIX::MsgType_Reject) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (type.getValue() == FIX::MsgType_Logout && !logged_on) {
      refused = true;
      refusal = m.isSetField(58) ? m.getField(58) : std::string("logout");
    }
    inbox.push_back(from_quickfix(m));
    wake.notify_all();
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    std::lock_guard<std::mutex> lock(mutex);
    inbox.push_back(from_quickfix(m));
    wake.notify_all();
  }
};

FixClient::FixClient(const FixClientSettings& settings) : impl_(new Impl(settings)) {}
FixClient::~FixClient() { stop(); }

std::string FixClient::start() {
  Impl& c = *impl_;
  try {
    FIX::SessionSettings s;
    FIX::Dictionary d = base_dictionary(c.settings.dictionary, c.settings.heartbeat_s, true);
    d.setString(FIX::CONNECTION_TYPE, "initiator");
    d.setString(FIX::SOCKET_CONNECT_HOST, c.settings.host);
    d.setInt(FIX::SOCKET_CONNECT_PORT, c.settings.port);
    d.setInt(FIX::RECONNECT_INTERVAL, 3600);  // a refused test client must not retry behind the test's back
    if (c.settings.tls) {
      d.setString(FIX::SSL_PROTOCOL, "all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1");
      if (!c.settings.ca_file.empty()) d.setString(FIX::CERT_AUTH_FILE, c.settings.ca_file);
    }
    s.set(d);
    c.sid = FIX::SessionID("FIX.4.4", c.settings.sender_comp_id, c.settings.target_comp_id);
    s.set(c.sid, FIX::Dictionary());
    if (c.settings.tls) {
      c.initiator.reset(new FIX::ThreadedSSLSocketInitiator(c, c.store, s, c.logs));
    } else {
      c.initiator.reset(new FIX::ThreadedSocketInitiator(c, c.store, s, c.logs));
    }
    c.initiator->start();
  } catch (const std::exception& e) {
    return std::string("FIX initiator: ") + e.what();
  }
  return std::string();
}

void FixClient::stop() {
  if (!impl_->initiator) return;
  try {
    impl_->initiator->stop();
  } catch (const std::exception&) {
  }
  impl_->initiator.reset();
}

bool FixClient::wait_logon(int timeout_ms, std::string* why) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->wake.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return impl_->logged_on || impl_->refused; });
  if (why) *why = impl_->refused ? impl_->refusal : (impl_->logged_on ? std::string() : std::string("timeout"));
  return impl_->logged_on;
}

bool FixClient::logged_on() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->logged_on;
}

bool FixClient::send(const FixMessage& msg) {
  try {
    FIX::Message m;
    to_quickfix(msg, m);
    return FIX::Session::sendToTarget(m, impl_->sid);
  } catch (const std::exception&) {
    return false;
  }
}

bool FixClient::next(FixMessage& out, int timeout_ms) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  if (!impl_->wake.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !impl_->inbox.empty(); })) return false;
  out = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return true;
}

size_t FixClient::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->inbox.size();
}

}  // namespace fixapi
}  // namespace cpx
