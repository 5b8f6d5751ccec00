#include "fix/fix_logons.hpp"

#include <pthread.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>

namespace cpx::fix {

namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What the audit log and the refusal say about where a Logon came from.
std::string origin(const fixapi::LogonRequest& l) {
  return "fix " + l.target_comp_id + (l.tls ? " tls" : "") + " from " + l.address;
}

}  // namespace

FixLogons::FixLogons(server::ServerCore& core) : core_(core) {
  tokens_ns_ = core_.config().fix_logon_burst * (1'000'000'000 / core_.config().fix_logon_checks_per_s);
  refilled_at_ = steady_ns();
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cpx-fix-logons");
    // Below the threads that trade: under contention the hashing gets a small share of a core (nice 10 is
    // about a tenth of a normal thread's weight), on an idle machine all it wants.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
    run();
  });
}

FixLogons::~FixLogons() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

size_t FixLogons::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void FixLogons::check(const fixapi::LogonRequest& logon, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && jobs_.size() < core_.config().fix_logon_queue) {
      jobs_.push_back(Job{logon, std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  core_.metrics().auth_failures.fetch_add(1, std::memory_order_relaxed);
  core_.audit_failure(logon.username, "login_failed", origin(logon) + " login_busy");
  done(LogonVerdict::refused("login_busy: too many Logons are being checked; try again in a few seconds"));
}

void FixLogons::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) {
        for (Job& j : jobs_) j.done(LogonVerdict::refused("unavailable: the exchange is stopping"));
        jobs_.clear();
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.done(verify(job.logon));
  }
}

void FixLogons::take_token() {
  const int64_t per_check = 1'000'000'000 / core_.config().fix_logon_checks_per_s;
  const int64_t cap = core_.config().fix_logon_burst * per_check;
  for (;;) {
    const int64_t now = steady_ns();
    tokens_ns_ = std::min(cap, tokens_ns_ + std::max<int64_t>(0, now - refilled_at_));
    refilled_at_ = now;
    if (tokens_ns_ >= per_check) {
      tokens_ns_ -= per_check;
      return;
    }
    // The worker waits; Logons queue behind it (bounded) and the rest are refused by check().
    std::this_thread::sleep_for(std::chrono::nanoseconds(per_check - tokens_ns_));
  }
}

LogonVerdict FixLogons::verify(const fixapi::LogonRequest& l) {
  auto refuse = [&](std::string code, std::string text) {
    core_.metrics().auth_failures.fetch_add(1, std::memory_order_relaxed);
    core_.audit_failure(l.username, "login_failed", origin(l) + " " + code);
    return LogonVerdict::refused(code + ": " + text);
  };
  if (l.username.empty() || l.password.empty())
    return refuse("not_authenticated", "Username(553) and Password(554) are required");
  if (!core_.sequencer().available()) return LogonVerdict::refused("unavailable: " + core_.sequencer().unavailable_reason());
  // Throttled before any hashing, for known and unknown users alike.
  const auto attempt = core_.login_guard().begin(l.username, l.address, auth::LoginGuard::steady_now_ns());
  if (attempt.verdict != auth::LoginVerdict::Allowed) {
    const int64_t seconds = (attempt.retry_after_ns + 999'999'999) / 1'000'000'000;
    return refuse(auth::login_verdict_code(attempt.verdict),
                  "too many failed Logons; try again in " + std::to_string(seconds) + " s");
  }
  take_token();
  const uint64_t generation = core_.users().generation(l.username);
  auto user = core_.users().check_password(l.username, l.password);
  if (!user) return refuse("bad_credentials", "unknown user, wrong password or disabled user");
  // A CompID is bound to one participant (fix_sessions): another participant's user may not use it.
  bool own_comp_id = false, drop_copy = false;
  for (const server::FixSessionConfig& s : core_.config().fix_sessions) {
    if (s.target_comp_id != l.target_comp_id || s.participant != user->participant) continue;
    own_comp_id = true;
    drop_copy = s.drop_copy;
  }
  if (!own_comp_id) {
    return refuse("comp_id_not_yours", "SenderCompID '" + l.target_comp_id + "' is not one of participant '" +
                                           user->participant + "''s CompIDs");
  }

  // The participant's id lives on the engine thread: ask it (this worker may wait; nobody else does).
  // With it, whether it holds the operator role (a drop-copy session sees every participant's reports).
  auto resolved = std::make_shared<std::promise<std::pair<ParticipantId, bool>>>();
  // (core, not this: after a time-out the closure may run when this worker is gone.)
  core_.sequencer().submit(0, [&core = core_, resolved, code = user->participant](Timestamp, std::vector<Command>&) {
    const ParticipantId id = core.names().participant(code);
    const Participant* info = core.exchange().engine().participant(id);
    resolved->set_value({id, info && (info->roles & kRoleOperator) != 0});
  });
  // The password was right: whatever stops the Logon now is the server's doing, not a failure of the user.
  core_.login_guard().succeeded(l.username, l.address);
  auto f = resolved->get_future();
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return LogonVerdict::refused("unavailable: the exchange did not answer");
  const auto [p, operator_role] = f.get();
  if (p == kNoParticipant)
    return LogonVerdict::refused("unknown_participant: the user's participant '" + user->participant + "' is not known");
  if (drop_copy && !operator_role)
    return LogonVerdict::refused("role_missing: a drop-copy session is for a participant with the operator role");

  // On record before it counts: a Logon the audit log cannot take is refused.
  auto recorded = std::make_shared<std::promise<bool>>();
  core_.audit_then(user->username, "login", origin(l), [recorded](bool ok) { recorded->set_value(ok); });
  if (!recorded->get_future().get()) return LogonVerdict::refused("unavailable: the audit log cannot be written");
  return LogonVerdict{{}, p, user->username, generation, drop_copy};
}

}  // namespace cpx::fix
