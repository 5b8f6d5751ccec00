// The QuickFIX island's initiator: a FIX client for tests and load tools (C++14, QuickFIX's own sockets;
// never inside cpxd).
#include <quickfix/Application.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSSLSocketInitiator.h>
#include <quickfix/ThreadedSocketInitiator.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "fix/fix_api.hpp"
#include "fix/fix_quickfix.hpp"

namespace cpx {
namespace fixapi {

using namespace qf;

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
