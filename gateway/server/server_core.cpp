#include "server/server_core.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>

#include "recovery.hpp"
#include "server/event_log.hpp"

namespace cpx::server {

namespace fs = std::filesystem;

Result<std::unique_ptr<ServerCore>> ServerCore::open(const ServerConfig& config, std::string& log) {
  std::unique_ptr<ServerCore> core(new ServerCore(config));
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) return Error{"io_error", "cannot create " + config.data_dir + ": " + ec.message()};

  persistence::JournalOptions journal_options;
  journal_options.path = config.data_dir + "/journal";
  journal_options.accept_torn_tail = config.accept_torn_journal_tail;
  auto journal = persistence::Journal::open(journal_options);
  if (!journal) return journal.error();
  core->journal_ = std::move(*journal);
  const std::string torn_tail = core->journal_->open_report().text;
  if (!torn_tail.empty()) log += "journal: " + torn_tail + "\n";
  core->snapshots_ = std::make_unique<persistence::SnapshotStore>(*core->journal_);
  core->snapshot_writer_ = std::make_unique<SnapshotWriter>(*core->snapshots_, 3);
  core->fresh_ = core->journal_->next_seq() == 1;

  auto report = persistence::recover<persistence::Exchange>(
      *core->journal_, *core->snapshots_,
      [&] {
        persistence::ExchangeConfig exchange_config;
        exchange_config.history.retention_ns = config.history_retention_days * kNanosPerDay;
        return std::make_unique<persistence::Exchange>(core->fanout_, exchange_config);
      }, core->exchange_);
  if (!report) return Error{report.error().code, "recovery failed: " + report.error().text};
  for (const std::string& why : report->skipped) log += "recovery skipped " + why + "\n";
  if (!core->fresh_) {
    log += "recovered " + std::to_string(core->journal_->next_seq() - 1) + " commands (snapshot " +
           std::to_string(report->snapshot_seq) + " + " + std::to_string(report->replayed) + " replayed; " +
           std::to_string(report->verified) + " records and every file checksum-checked first)\n";
  }
  std::string why;
  if (!core->exchange_->check(why)) return Error{"inconsistent", "recovered state fails its check: " + why};
  core->last_snapshot_ = report->snapshot_seq;
  core->durable_seq_ = core->journal_->next_seq() - 1;

  // Client ids of the open orders, rebuilt from the books (a snapshot does not carry the index), oldest
  // first so that a client id shared by two open orders names the newer one, as it did live.
  const MatchingEngine& engine = core->exchange_->engine();
  std::vector<OrderView> open, all;
  for (InstrumentId i = 0; i < engine.instrument_count(); ++i) {
    for (Side side : {Side::Buy, Side::Sell}) {
      engine.orders_in_book(i, side, open);
      all.insert(all.end(), open.begin(), open.end());
    }
  }
  std::sort(all.begin(), all.end(), [](const OrderView& a, const OrderView& b) { return a.id < b.id; });
  for (const OrderView& o : all) core->client_ids_.add(o.participant, o.cl_ord_id, o.id);

  core->names_ = std::make_unique<api::EngineNames>(engine);
  core->decoder_ = std::make_unique<api::CommandDecoder>(*core->names_, &core->client_ids_);
  core->fanout_.add(&core->client_ids_);
  core->fanout_.add(&core->session_orders_);
  core->fanout_.add(&core->metrics_listener_);
  core->sequencer_ = std::make_unique<Sequencer>(*core->exchange_, *core->journal_, core->fanout_, config.max_batch);
  core->sequencer_->add_sink(&core->session_orders_);
  core->sequencer_->add_sink(core.get());
  core->sequencer_->set_latency_histogram(&core->metrics_.durable_latency);
  if (config.rehearsal_clock) {
    const Timestamp recovered = core->exchange_->engine().now();
    if (recovered > wall_clock()) core->clock_offset_.store(recovered - wall_clock());
  }
  core->sequencer_->set_clock([c = core.get()] { return c->exchange_clock(); });
  core->auctions_ = std::make_unique<AuctionRunner>(
      *core->exchange_, *core->sequencer_, core->config_,
      [c = core.get()](std::string_view action, std::string_view detail) { c->audit("cpxd", action, detail); });
  core->fanout_.add(core->auctions_.get());

  auto users = UserStore::open(config.data_dir + "/users.json");
  if (!users) return users.error();
  core->users_ = std::move(*users);
  auto audit = auth::AuditLog::open(config.data_dir + "/audit.log");
  if (!audit) return Error{audit.error().code, "audit log: " + audit.error().text};
  const uint64_t torn = audit->torn_tail_recovered();
  auth::AuditWriterOptions audit_options;
  audit_options.failures_per_s = config.audit_failures_per_s;
  core->audit_ = std::make_unique<auth::AuditWriter>(std::move(*audit), audit_options);
  if (core->journal_->open_report().torn_tail_accepted)
    core->audit("cpxd", "journal_torn_tail_accepted", core->journal_->open_report().text);
  if (torn > 0) {
    log += "audit log: an unfinished last entry (" + std::to_string(torn) + " bytes, an interrupted write) was set aside in " +
           core->audit_path() + ".torn\n";
    core->audit("cpxd", "audit_torn_tail_set_aside", std::to_string(torn) + " bytes moved to audit.log.torn");
  }
  core->connections_ = std::make_unique<ConnectionLimits>(config.max_connections, config.max_connections_per_address);
  auth::LoginPolicy policy;
  policy.address_burst = config.login_address_burst;
  policy.address_refill_ns = config.login_address_refill_ms * 1'000'000;
  policy.principal_burst = config.login_user_burst;
  policy.principal_refill_ns = config.login_user_refill_ms * 1'000'000;
  core->login_guard_ = std::make_unique<auth::LoginGuard>(policy);
  return core;
}

ServerCore::~ServerCore() { stop(); }

void ServerCore::start() {
  auctions_->start();
  sequencer_->start();
  if (ticking_.exchange(true)) return;
  ticker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cpx-clock");
    // The engine's clock only moves with commands; this one moves it every second so that DAY and GTD
    // expiry, gate closures and payouts happen on time on a quiet market.
    while (ticking_.load()) {
      for (int i = 0; i < 10 && ticking_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!ticking_.load()) break;
      if (!sequencer_->available()) continue;  // the engine thread holds a batch it cannot write: no pile-up
      sequencer_->submit(0, [this](Timestamp now, std::vector<Command>& out) {
        out.push_back(AdvanceTime{now});
        auctions_->schedule(now, out);
      });
    }
  });
}

void ServerCore::stop() {
  if (ticking_.exchange(false) && ticker_.joinable()) ticker_.join();
  if (auctions_) auctions_->stop();
  if (sequencer_) sequencer_->stop();
  snapshot_writer_.reset();  // finishes a snapshot being written
}

Result<bool> ServerCore::run_admin_requests(const std::vector<std::string>& lines) {
  auto failure = std::make_shared<std::string>();
  std::promise<void> done;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string line = lines[i];
    sequencer_->submit(0, [this, line, failure](Timestamp now, std::vector<Command>& out) {
      auto c = decoder_->decode(line, now);
      if (!c) {
        if (failure->empty()) failure->assign(c.error().text + " in: " + line);
        return;
      }
      out.push_back(*c);
    });
  }
  sequencer_->submit(0, [](Timestamp, std::vector<Command>&) {}, [&done](uint64_t, const std::string&) { done.set_value(); });
  done.get_future().wait();
  if (!failure->empty()) return Error{"bad_request", *failure};
  return true;
}

Result<Command, api::DecodeError> ServerCore::decode_session_request(std::string_view line, Timestamp now,
                                                                     ParticipantId acting) const {
  return refuse_duplicate(decoder_->decode(line, now, acting));
}

Result<Command, api::DecodeError> ServerCore::decode_parsed_request(const nlohmann::json& request, Timestamp now,
                                                                     ParticipantId acting) const {
  return refuse_duplicate(decoder_->decode_parsed(request, now, acting));
}

bool ServerCore::cl_ord_id_in_use(ParticipantId p, std::string_view cl_ord_id, Timestamp now) const {
  if (client_ids_.find(p, cl_ord_id) != 0) return true;
  const persistence::OrderRecord* r = exchange_->history().order_by_cl_ord_id(p, cl_ord_id);
  return r && cst_day_start(r->created_at) == cst_day_start(now);
}

Result<Command, api::DecodeError> ServerCore::refuse_duplicate(Result<Command, api::DecodeError> c) const {
  if (!c) return c;
  auto refuse = [&](ParticipantId p, std::string_view cl, Timestamp now, const char* cmd) -> std::optional<api::DecodeError> {
    if (cl.empty() || !cl_ord_id_in_use(p, cl, now)) return std::nullopt;
    api::DecodeError e;
    e.reason = RejectReason::DuplicateClOrdId;
    e.text = "client order id '" + std::string(cl) + "' is taken: by an open order, or by an order placed today (CST)";
    e.cmd = cmd;
    e.cl_ord_id = std::string(cl);
    return e;
  };
  if (const auto* o = std::get_if<NewOrder>(&*c)) {
    if (auto e = refuse(o->participant, o->cl_ord_id.view(), o->ts, "new_order")) return *e;
  }
  // A routed order never rests, but its reports carry its client id: sharing one with an open order
  // would make two live orders answer to the same id.
  if (const auto* o = std::get_if<RoutedOrder>(&*c)) {
    if (auto e = refuse(o->participant, o->cl_ord_id.view(), o->ts, "route_order")) return *e;
  }
  return c;
}

void ServerCore::end_batch(bool durable) {
  if (!durable) return;
  const uint64_t last = journal_->next_seq() - 1;
  metrics_.journal_fsyncs.store(journal_->syncs(), std::memory_order_relaxed);
  metrics_.journal_commands.store(last, std::memory_order_relaxed);
  durable_seq_.store(last, std::memory_order_relaxed);
  if (config_.snapshot_every > 0 && last >= last_snapshot_ + config_.snapshot_every && last > 0 && !snapshot_writer_->busy()) {
    snapshot_writer_->write(last, exchange_->snapshot());
    last_snapshot_ = last;
  }
}

// Logins and failed logins also go to the event log, bounded (a client may log in, or fail to, at will).
static void log_login(std::string_view actor, std::string_view action, std::string_view detail, bool failed) {
  if (!failed && action != "login") return;
  event_log::bounded(failed ? event_log::Level::warn : event_log::Level::info, failed ? "login_failed" : "login", action, 20,
                     {{"user", api::shown(actor, 64)}, {"detail", api::shown(detail, 200)}});
}

void ServerCore::audit(std::string_view actor, std::string_view action, std::string_view detail) {
  log_login(actor, action, detail, false);
  audit_->append({wall_clock(), std::string(actor), std::string(action), std::string(detail)});
}

void ServerCore::audit_then(std::string_view actor, std::string_view action, std::string_view detail,
                            auth::AuditWriter::Done done) {
  log_login(actor, action, detail, false);
  audit_->append({wall_clock(), std::string(actor), std::string(action), std::string(detail)}, std::move(done));
}

void ServerCore::audit_failure(std::string_view actor, std::string_view action, std::string_view detail) {
  log_login(actor, action, detail, true);
  audit_->failure({wall_clock(), std::string(actor), std::string(action), std::string(detail)});
}

auth::AuditVerdict ServerCore::verify_audit() {
  audit_->flush();
  return audit_->with_log_paused([&] { return auth::AuditLog::verify(audit_path()); });
}

std::string ServerCore::audit_path() const { return config_.data_dir + "/audit.log"; }

}  // namespace cpx::server
