#include "fix/fix_server.hpp"

#include <pthread.h>

#include <future>

namespace cpx::fix {

FixServer::FixServer(server::ServerCore& core) : core_(core) {
  const server::ServerConfig& c = core.config();
  transport_settings_.bind = c.bind;
  transport_settings_.port = c.fix_port;
  transport_settings_.tls_port = c.fix_tls_port;
  transport_settings_.cert_file = c.tls_cert;
  transport_settings_.key_file = c.tls_key;
  transport_settings_.max_message_bytes = c.max_message_bytes;
  transport_settings_.max_outbound_bytes = c.max_outbound_bytes;
  transport_settings_.login_timeout_ms = c.login_timeout_ms;
  const auto frames = frame_limits(c.requests_per_s, c.burst);
  transport_settings_.frames_per_s = frames.first;
  transport_settings_.frames_burst = frames.second;
  transport_settings_.write_timeout_ms = c.fix_send_timeout_ms > 0 ? c.fix_send_timeout_ms : 3'600'000;
  settings_.sender_comp_id = c.fix_sender_comp_id;
  settings_.tls_sender_comp_id = c.fix_sender_comp_id + "S";
  for (const auto& s : c.fix_sessions) settings_.target_comp_ids.push_back(s.target_comp_id);
  settings_.reset_on_logon = c.fix_reset_on_logon;
  settings_.store = c.fix_store;
  settings_.store_dir = c.data_dir + "/fix";
  settings_.dictionary = c.fix_dictionary;
  settings_.acceptance_echo = c.fix_acceptance_echo;
  sink_ = std::make_unique<FixSink>(core, [this](std::vector<FixItem>&& items) { route(std::move(items)); });
  core.add_listener(sink_.get());
  core.add_sink(sink_.get());
  core.on_credentials_revoked([this](const std::string& username) {
    // Marked here, logged out by each session's sender thread (never QuickFIX on the caller's thread).
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_) {
      if (s->username != username) continue;
      {
        std::lock_guard session_lock(s->mutex);
        if (s->closing || !s->drop_reason.empty()) continue;
        s->queue.clear();
        s->drop_reason = "credentials_revoked: the user's credentials were rotated or the user was disabled";
        s->dropped.store(true, std::memory_order_relaxed);
      }
      s->wake.notify_one();
    }
  });
}

FixServer::~FixServer() { stop(); }

Result<bool> FixServer::start() {
  if (transport_settings_.port < 0 && transport_settings_.tls_port < 0) return true;
  if (settings_.target_comp_ids.empty()) return true;  // no sessions configured: FIX is off
  transport_ = std::make_unique<FixTransport>(transport_settings_, core_.connections(), core_.metrics(),
                                              [this] { return core_.new_session_id(); });
  engine_ = std::make_unique<fixapi::FixEngine>(settings_, *this, *transport_);
  const std::string error = engine_->start();
  if (!error.empty()) return Error{"fix_error", error};
  logons_ = std::make_unique<FixLogons>(core_);
  auto listening = transport_->start(*engine_);
  if (!listening) {
    transport_->stop();
    return listening.error();
  }
  started_ = true;
  return true;
}

void FixServer::stop() {
  if (transport_) transport_->stop();  // closes every connection: logged-on sessions end (on_logout)
  logons_.reset();  // Logons still being checked are refused; their answers go to the stopped I/O thread
  std::vector<uint64_t> ids;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_) ids.push_back(id);
  }
  for (uint64_t id : ids) close_session(id);
  join_retired(true);  // before the engine goes: a sender may still be in engine_->send
  if (engine_) engine_->stop();
  engine_.reset();
  transport_.reset();
  started_ = false;
}

void FixServer::join_retired(bool all) {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(retired_mutex_);
    for (auto it = retired_.begin(); it != retired_.end();) {
      if (all || it->first->finished.load()) {
        done.push_back(std::move(it->second));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& t : done)
    if (t.joinable()) t.join();
}

// I/O thread: the Logon goes to the worker; its answer comes back to the I/O thread, where QuickFIX
// takes the Logon (accepting it only with the worker's approval, in on_logon below).
void FixServer::authenticate(const fixapi::LogonRequest& logon) {
  logons_->check(logon, [this, connection = logon.connection](LogonVerdict v) {
    transport_->post([this, connection, v = std::move(v)]() mutable {
      const std::string refusal = v.refusal;
      if (refusal.empty()) approved_[connection] = std::move(v);
      engine_->logon_checked(connection, refusal);
      approved_.erase(connection);  // taken by on_logon, or QuickFIX refused the Logon after all
    });
  });
}

// I/O thread, inside QuickFIX's acceptance of a Logon the worker approved: the session goes live.
void FixServer::on_logon(uint64_t session) {
  auto approved = approved_.find(session);
  if (approved == approved_.end()) return;
  const LogonVerdict v = std::move(approved->second);
  approved_.erase(approved);
  const ParticipantId p = v.participant;
  const bool drop_copy = v.drop_copy;
  core_.sequencer().submit(0, [this, p, drop_copy](Timestamp, std::vector<Command>&) { sink_->session_joined(p, drop_copy); });

  auto s = std::make_shared<Session>();
  s->id = session;
  s->participant = p;
  s->username = v.username;
  s->drop_copy = drop_copy;
  s->limiter = server::RateLimiter(core_.config().requests_per_s, core_.config().burst);
  s->queries = server::RateLimiter(core_.config().own_queries_per_s, core_.config().own_queries_burst);
  // Rotated or disabled while this Logon was on its way: the revocation found no session to end, so this
  // one ends at once.
  if (core_.users().generation(v.username) != v.generation) {
    s->drop_reason = "credentials_revoked: the user's credentials changed during the logon";
    s->dropped.store(true, std::memory_order_relaxed);
  }
  s->sender = std::thread([this, s] {
    pthread_setname_np(pthread_self(), "cpx-fix-send");
    send_loop(*s);
    s->finished.store(true);
  });
  {
    std::lock_guard lock(mutex_);
    sessions_[s->id] = s;
    if (drop_copy) drop_copies_.insert(s->id);
    else by_participant_[p].insert(s->id);
  }
  core_.metrics().fix_sessions.fetch_add(1, std::memory_order_relaxed);
}

void FixServer::on_logout(uint64_t session) {
  auto s = find(session);
  if (!s) return;
  const ParticipantId p = s->participant;
  const bool drop_copy = s->drop_copy;
  close_session(session);
  core_.sequencer().submit(session, [this, session, p, drop_copy](Timestamp now, std::vector<Command>& out) {
    sink_->session_left(p, drop_copy);
    if (core_.config().fix_cancel_on_disconnect) core_.session_orders().cancels_for(session, now, out);
  });
}

void FixServer::close_session(uint64_t id) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    s = it->second;
    sessions_.erase(it);
    drop_copies_.erase(id);
    auto p = by_participant_.find(s->participant);
    if (p != by_participant_.end()) {
      p->second.erase(id);
      if (p->second.empty()) by_participant_.erase(p);
    }
    for (auto& [symbol, ids] : md_subscribers_) ids.erase(id);
  }
  {
    std::lock_guard lock(s->mutex);
    s->closing = true;
  }
  s->wake.notify_all();
  {
    std::lock_guard lock(retired_mutex_);
    retired_.emplace_back(s, std::move(s->sender));
  }
  join_retired(false);  // the ones that have finished since
  core_.metrics().fix_sessions.fetch_sub(1, std::memory_order_relaxed);
}

std::shared_ptr<FixServer::Session> FixServer::find(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void FixServer::on_message(uint64_t session, const fixapi::FixMessage& msg) {
  core_.metrics().requests.fetch_add(1, std::memory_order_relaxed);
  auto s = find(session);
  if (!s || s->dropped.load(std::memory_order_relaxed)) return;  // logged out (revoked, slow): nothing more is taken
  if (s->drop_copy) {
    core_.metrics().reject(RejectReason::RoleMissing);
    enqueue(*s, FixSink::refusal(msg, RejectReason::RoleMissing, "a drop-copy session receives reports and takes no requests",
                                 "dc-" + std::to_string(session) + "-" + std::to_string(server::wall_clock())));
    return;
  }
  if (!s->limiter.allow(server::wall_clock())) {
    core_.metrics().reject(RejectReason::RateLimited);
    enqueue(*s, FixSink::refusal(msg, RejectReason::RateLimited, std::string(reason_text(RejectReason::RateLimited)),
                                 "rl-" + std::to_string(session) + "-" + std::to_string(server::wall_clock())));
    return;
  }
  if ((msg.msg_type == "H" || msg.msg_type == "AF" || msg.msg_type == "AD" || msg.msg_type == "BB") && !s->queries.allow(server::wall_clock())) {
    core_.metrics().reject(RejectReason::RateLimited);
    enqueue(*s, FixSink::refusal(msg, RejectReason::RateLimited,
                                 "too many own-state requests (H, AF, AD, BB): at most " + std::to_string(core_.config().own_queries_per_s) +
                                     " a second on average (own_queries_per_s)",
                                 "rl-" + std::to_string(session) + "-" + std::to_string(server::wall_clock())));
    return;
  }
  if (!core_.sequencer().available()) {  // the engine thread holds a batch it cannot write: nothing queues
    core_.metrics().journal_unavailable.fetch_add(1, std::memory_order_relaxed);
    core_.metrics().reject(RejectReason::Unavailable);
    enqueue(*s, FixSink::refusal(msg, RejectReason::Unavailable, core_.sequencer().unavailable_reason(),
                                 "na-" + std::to_string(session) + "-" + std::to_string(server::wall_clock())));
    return;
  }
  core_.sequencer().submit(session, [this, session, p = s->participant, msg](Timestamp now, std::vector<Command>& out) {
    sink_->request(session, p, msg, now, out);
  });
}

// The client's Logout is held (FixEngine) until what is due to it has been sent: a marker goes through
// the engine thread behind the session's requests, and through the session's queue behind their reports;
// its sender, reaching it, lets QuickFIX take the Logout (on the I/O thread).
void FixServer::on_logout_requested(uint64_t session) {
  core_.sequencer().submit(session, [this, session](Timestamp, std::vector<Command>&) { sink_->logout_marker(session); });
}

// Engine thread: never calls into QuickFIX (its send may be blocked on this very client's full socket,
// holding the session's lock); a slow consumer is only marked here and its sender thread logs it out.
void FixServer::enqueue(Session& s, const std::shared_ptr<const fixapi::FixMessage>& m) {
  {
    std::lock_guard lock(s.mutex);
    if (s.closing || !s.drop_reason.empty()) return;
    if (s.queue.size() < core_.config().fix_max_queued_messages) {
      s.queue.push_back(m);
    } else {
      s.queue.clear();
      s.drop_reason = "slow_consumer: more than " + std::to_string(core_.config().fix_max_queued_messages) + " messages behind";
      s.dropped.store(true, std::memory_order_relaxed);
      core_.metrics().slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
    }
  }
  s.wake.notify_one();
}

void FixServer::send_loop(Session& s) {
  std::vector<std::shared_ptr<const fixapi::FixMessage>> batch;
  for (;;) {
    {
      std::unique_lock lock(s.mutex);
      s.wake.wait(lock, [&] { return !s.queue.empty() || s.closing || !s.drop_reason.empty(); });
      if (s.closing) return;
      batch.assign(s.queue.begin(), s.queue.end());
      s.queue.clear();
    }
    for (const auto& m : batch) {
      if (s.dropped.load(std::memory_order_relaxed)) break;
      if (m->msg_type == FixSink::kLogoutMarker) {
        transport_->post([this, id = s.id] {
          if (engine_) engine_->release_held(id);
        });
        continue;
      }
      if (!engine_ || engine_->send(s.id, *m) != fixapi::FixEngine::SendOutcome::failed) continue;
      std::lock_guard lock(s.mutex);
      if (s.drop_reason.empty()) {
        s.drop_reason = "slow_consumer: the connection fell more than " + std::to_string(core_.config().max_outbound_bytes) + " bytes behind";
        s.dropped.store(true, std::memory_order_relaxed);
        core_.metrics().slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
      }
      break;
    }
    batch.clear();
    std::string drop;
    {
      std::lock_guard lock(s.mutex);
      drop = s.drop_reason;
    }
    if (!drop.empty()) {
      // Nothing more is sent or queued. QuickFIX sends the Logout from the session's own thread, then
      // disconnects; that closes this session (on_logout), which cancels its orders.
      // On the I/O thread (only while the connection still owns the session), and the connection closes
      // a few seconds later whatever the client answers: a dropped or revoked session has no time to keep
      // trading by ignoring the Logout (QuickFIX alone waits for ever when HeartBtInt is 0).
      transport_->post([this, id = s.id, drop] { engine_->logout(id, drop); });
      transport_->close_after(s.id, kLogoutGraceMs);
      return;
    }
  }
}

void FixServer::route(std::vector<FixItem>&& items) {
  std::lock_guard lock(mutex_);
  for (FixItem& item : items) {
    switch (item.kind) {
      case FixItem::Kind::Participant: {
        if (auto it = by_participant_.find(item.participant); it != by_participant_.end()) {
          for (uint64_t id : it->second)
            if (auto s = sessions_.find(id); s != sessions_.end()) enqueue(*s->second, item.message);
        }
        if (!drop_copies_.empty() && item.message->msg_type == "8") {
          // A drop copy names whose report it is: Parties, PartyID(448) = the participant's code,
          // PartyIDSource(447) D (proprietary), PartyRole(452) 3 (client).
          auto copy = std::make_shared<fixapi::FixMessage>(*item.message);
          copy->groups.push_back(fixapi::FixGroup{
              453, 448, {{{448, std::string(core_.names().participant_code(item.participant))}, {447, "D"}, {452, "3"}}}});
          for (uint64_t id : drop_copies_)
            if (auto s = sessions_.find(id); s != sessions_.end()) enqueue(*s->second, copy);
        }
        break;
      }
      case FixItem::Kind::Session:
        if (auto s = sessions_.find(item.session); s != sessions_.end()) enqueue(*s->second, item.message);
        break;
      case FixItem::Kind::Symbol: {
        auto it = md_subscribers_.find(item.symbol);
        if (it == md_subscribers_.end()) break;
        for (uint64_t id : it->second)
          if (auto s = sessions_.find(id); s != sessions_.end()) enqueue(*s->second, item.message);
        break;
      }
      case FixItem::Kind::Subscribe:
        if (auto s = sessions_.find(item.session); s != sessions_.end()) {
          md_subscribers_[item.symbol].insert(item.session);
          enqueue(*s->second, item.message);
        }
        break;
      case FixItem::Kind::Unsubscribe:
        if (auto it = md_subscribers_.find(item.symbol); it != md_subscribers_.end()) it->second.erase(item.session);
        break;
    }
  }
}

}  // namespace cpx::fix
