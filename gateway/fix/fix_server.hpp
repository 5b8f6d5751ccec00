#pragma once
// The FIX 4.4 gateway, server side (C++20): Logon against the user store, FIX requests turned into
// commands on the engine thread, the engine's events turned into ExecutionReports, OrderCancelRejects,
// OrderMassCancelReports and market data, each session with its own bounded outbound queue and sender
// thread (a client that does not read is logged out, the others never wait for it). QuickFIX's sessions
// sit behind fix_api.hpp (the C++14 island); cpxd carries their bytes itself (fix_transport.hpp) and checks
// Logons on a worker (fix_logons.hpp).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fix/fix_api.hpp"
#include "fix/fix_logons.hpp"
#include "fix/fix_sink.hpp"
#include "fix/fix_transport.hpp"
#include "server/rate_limiter.hpp"
#include "server/server_core.hpp"

namespace cpx::fix {

class FixServer final : public fixapi::FixHandler {
 public:
  // Registers its engine-thread side with `core`: construct before core.start().
  explicit FixServer(server::ServerCore& core);
  ~FixServer() override;
  Result<bool> start();
  void stop();
  int port() const { return started_ ? transport_->port() : -1; }
  int tls_port() const { return started_ ? transport_->tls_port() : -1; }

  // FixHandler (the transport's I/O thread)
  void authenticate(const fixapi::LogonRequest& logon) override;
  void on_logon(uint64_t session) override;
  void on_logout(uint64_t session) override;
  void on_message(uint64_t session, const fixapi::FixMessage& msg) override;
  void on_logout_requested(uint64_t session) override;

 private:
  struct Session {
    uint64_t id = 0;
    ParticipantId participant = kNoParticipant;
    std::string username;
    bool drop_copy = false;  // receives every participant's ExecutionReports, takes no requests
    server::RateLimiter limiter;
    server::RateLimiter queries;  // H, AF, AD and BB (the session's own orders, fills and money): own_queries_per_s
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::shared_ptr<const fixapi::FixMessage>> queue;
    bool closing = false;
    std::string drop_reason;  // set when the session is dropped as a slow consumer: nothing more is queued
    std::atomic<bool> dropped{false};  // the same, read by the sender between messages without the lock
    std::atomic<bool> finished{false};  // the sender thread has returned
    std::thread sender;
  };
  static constexpr int64_t kLogoutGraceMs = 4000;  // a Logout goes out within a second, its answer gets 2 s more
  void route(std::vector<FixItem>&& items);  // engine thread: only queues
  void enqueue(Session& s, const std::shared_ptr<const fixapi::FixMessage>& m);
  void send_loop(Session& s);
  std::shared_ptr<Session> find(uint64_t id);
  void close_session(uint64_t id);
  void join_retired(bool all);

  server::ServerCore& core_;
  fixapi::FixSettings settings_;
  FixTransportSettings transport_settings_;
  std::unique_ptr<FixSink> sink_;
  std::unique_ptr<FixTransport> transport_;
  std::unique_ptr<fixapi::FixEngine> engine_;
  std::unique_ptr<FixLogons> logons_;
  std::unordered_map<uint64_t, LogonVerdict> approved_;  // I/O thread: accepted Logons being handed to QuickFIX
  // Sender threads of closed sessions. Not joined where the session closes: QuickFIX calls on_logout
  // while holding the session's lock, which a sender in the middle of a send may be waiting for.
  std::mutex retired_mutex_;
  std::vector<std::pair<std::shared_ptr<Session>, std::thread>> retired_;
  bool started_ = false;

  std::mutex mutex_;  // guards the maps below (engine thread routes, QuickFIX threads log on and off)
  std::unordered_map<uint64_t, std::shared_ptr<Session>> sessions_;
  std::unordered_map<ParticipantId, std::unordered_set<uint64_t>> by_participant_;
  std::unordered_set<uint64_t> drop_copies_;  // drop-copy sessions (in no participant's set)
  std::unordered_map<std::string, std::unordered_set<uint64_t>> md_subscribers_;  // symbol -> sessions
};

}  // namespace cpx::fix
