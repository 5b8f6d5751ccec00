#pragma once
// The server's state and the engine thread's services, shared by the gateways: the journal and the
// exchange recovered from it, the sequencer, the indexes the gateways need on the engine thread (client
// order ids, each session's open orders), users, metrics and the audit log.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth/audit_log.hpp"
#include "auth/audit_writer.hpp"
#include "auth/login_guard.hpp"
#include "exchange.hpp"
#include "journal.hpp"
#include "json/client_order_ids.hpp"
#include "json/command_codec.hpp"
#include "json/event_fanout.hpp"
#include "json/names.hpp"
#include "server/auction_runner.hpp"
#include "server/connection_limits.hpp"
#include "server/metrics.hpp"
#include "server/sequencer.hpp"
#include "server/server_config.hpp"
#include "server/session_orders.hpp"
#include "server/snapshot_writer.hpp"
#include "server/user_store.hpp"
#include "snapshot_store.hpp"

namespace cpx::server {

class ServerCore final : public BatchSink {
 public:
  // Opens the data directory and recovers the exchange (snapshot + journal). `log` gets one line per step.
  static Result<std::unique_ptr<ServerCore>> open(const ServerConfig& config, std::string& log);
  ~ServerCore() override;

  // A user's credentials were rotated or the user disabled: the gateways end its open sessions. Hooks
  // go in before start(); credentials_revoked() calls them on the caller's thread (they only queue).
  void on_credentials_revoked(std::function<void(const std::string& username)> hook) { revoked_hooks_.push_back(std::move(hook)); }
  void credentials_revoked(const std::string& username) {
    for (const auto& h : revoked_hooks_) h(username);
  }

  // Listeners and sinks of the gateways go in before start().
  void add_listener(EventListener* l) { fanout_.add(l); }
  void add_sink(BatchSink* s) { sequencer_->add_sink(s); }
  // Starts the engine thread and the clock ticker (time moves every second even without orders).
  void start();
  // Drains what was submitted, stops the engine thread.
  void stop();

  bool fresh() const { return fresh_; }  // the journal was empty at start
  // Submits the JSON requests (no session; stamped with the server's time) and waits until durable.
  Result<bool> run_admin_requests(const std::vector<std::string>& lines);

  // --- engine thread only ---
  persistence::Exchange& exchange() { return *exchange_; }
  const api::NameResolver& names() const { return *names_; }
  // A session's JSON request: decoded for `acting` and checked for what the engine cannot see
  // (a client order id already in use by an open order).
  Result<Command, api::DecodeError> decode_session_request(std::string_view line, Timestamp now, ParticipantId acting) const;
  Result<Command, api::DecodeError> decode_parsed_request(const nlohmann::json& request, Timestamp now, ParticipantId acting) const;
  // Same check for commands that gateways build themselves (FIX).
  // A client order id names one order per participant per trading day (CST): taken while an order has
  // it open, and all day by any order placed with it (the order history). `now`: the new order's time.
  bool cl_ord_id_in_use(ParticipantId p, std::string_view cl_ord_id, Timestamp now) const;
  OrderId order_by_cl_ord_id(ParticipantId p, std::string_view cl_ord_id) const { return client_ids_.find(p, cl_ord_id); }
  const SessionOrders& session_orders() const { return session_orders_; }

  // --- any thread ---
  Sequencer& sequencer() { return *sequencer_; }
  AuctionRunner& auctions() { return *auctions_; }
  UserStore& users() { return *users_; }
  Metrics& metrics() { return metrics_; }
  const ServerConfig& config() const { return config_; }
  uint64_t new_session_id() { return next_session_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t durable_seq() const { return durable_seq_.load(std::memory_order_relaxed); }
  // The exchange's clock: the wall clock plus an offset that only grows. The offset moves only on a
  // rehearsal server (config rehearsal_clock), where the operator runs days forward; after a restart it
  // starts where the journal's last time left it, so time never runs backwards.
  Timestamp exchange_clock() const { return wall_clock() + clock_offset_.load(std::memory_order_relaxed); }
  void advance_clock(int64_t ns) { clock_offset_.fetch_add(ns, std::memory_order_relaxed); }
  // The hash-chained audit log (logins, operator actions; never pass secrets), written by its own thread.
  // audit(): on record in the background. audit_then(): `done(true)` once the entry is durable, `done(false)`
  // when it cannot be written — the action must then not go ahead (called on the audit thread, or at once).
  // audit_failure(): a failed login, bounded (counted instead of written past audit_failures_per_s).
  void audit(std::string_view actor, std::string_view action, std::string_view detail);
  void audit_then(std::string_view actor, std::string_view action, std::string_view detail, auth::AuditWriter::Done done);
  void audit_failure(std::string_view actor, std::string_view action, std::string_view detail);
  const auth::AuditWriter& audit_writer() const { return *audit_; }
  // Waits until every queued audit entry has been tried and its caller told (a gateway stopping calls it,
  // so that no answer arrives after it is gone).
  void flush_audit() { audit_->flush(); }
  // Every listener's connections count here (per address and in total).
  ConnectionLimits& connections() { return *connections_; }
  // Failed logins, per address and per user name / API key, for every gateway.
  auth::LoginGuard& login_guard() { return *login_guard_; }
  std::string audit_path() const;
  auth::AuditVerdict verify_audit();  // the whole chain, while no entry is being appended

  // BatchSink: snapshots and the durable sequence number.
  void begin_request(uint64_t) override {}
  void end_batch(bool durable) override;

 private:
  explicit ServerCore(const ServerConfig& c) : config_(c) {}
  Result<Command, api::DecodeError> refuse_duplicate(Result<Command, api::DecodeError> c) const;

  ServerConfig config_;
  std::unique_ptr<persistence::Journal> journal_;
  std::unique_ptr<persistence::SnapshotStore> snapshots_;
  std::unique_ptr<SnapshotWriter> snapshot_writer_;  // after snapshots_: destroyed (and finished) first
  api::EventFanout fanout_;
  std::unique_ptr<persistence::Exchange> exchange_;
  std::unique_ptr<api::EngineNames> names_;
  api::ClientOrderIds client_ids_;
  SessionOrders session_orders_;
  std::unique_ptr<api::CommandDecoder> decoder_;
  std::unique_ptr<Sequencer> sequencer_;
  std::unique_ptr<AuctionRunner> auctions_;  // after sequencer_: stopped and destroyed before it
  std::unique_ptr<UserStore> users_;
  Metrics metrics_;
  MetricsListener metrics_listener_{metrics_};
  std::unique_ptr<auth::AuditWriter> audit_;
  std::unique_ptr<ConnectionLimits> connections_;
  std::unique_ptr<auth::LoginGuard> login_guard_;
  bool fresh_ = false;
  uint64_t last_snapshot_ = 0;
  std::atomic<uint64_t> next_session_{1};
  std::atomic<uint64_t> durable_seq_{0};
  std::atomic<int64_t> clock_offset_{0};
  std::vector<std::function<void(const std::string&)>> revoked_hooks_;
  std::atomic<bool> ticking_{false};
  std::thread ticker_;
};

}  // namespace cpx::server
