#include "server/auction_runner.hpp"

#include <pthread.h>

#include <cstdio>
#include <exception>

#include "cpx/auction_book.hpp"
#include "server/event_log.hpp"
#include "cpx/auction_summary.hpp"

namespace cpx::server {

AuctionRunner::AuctionRunner(const persistence::Exchange& exchange, Sequencer& sequencer, const ServerConfig& config,
                             Audit audit)
    : exchange_(exchange), sequencer_(sequencer), config_(config), audit_(std::move(audit)) {}

AuctionRunner::~AuctionRunner() { stop(); }

void AuctionRunner::start() {
  for (Timestamp day : exchange_.engine().auction_days()) {
    const AuctionState state = exchange_.engine().auction(day)->state;
    if (state == AuctionState::Closed) queue(day);
    // Days settled before a restart keep saying how their clearing ended (the solver's figures are not
    // journaled: they are gone).
    if (state == AuctionState::Cleared || state == AuctionState::Cancelled) {
      std::lock_guard lock(mutex_);
      Run& r = runs_[day];
      r.day = day;
      r.state = state == AuctionState::Cleared ? "cleared" : "cancelled";
    }
  }
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cpx-auction");  // names show in top -H, gdb, perf
    work();
  });
}

void AuctionRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  halt_solve_ = true;  // a solve in progress ends at its next check; the day stays closed and is solved at the next start
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AuctionRunner::on_auction_state(const AuctionStateChanged& e) {
  if (e.state == AuctionState::Closed) {
    queue(e.day_start);
    return;
  }
  std::lock_guard lock(mutex_);
  auto it = runs_.find(e.day_start);
  if (it != runs_.end() && (e.state == AuctionState::Cleared || e.state == AuctionState::Cancelled)) {
    it->second.state = e.state == AuctionState::Cleared ? "cleared" : "cancelled";
  }
  // The day being solved was cancelled (by the operator, or at its delivery start): stop the solve.
  if (e.state == AuctionState::Cancelled && solving_day_ == e.day_start) cancel_solve_ = true;
}

void AuctionRunner::queue(Timestamp day) {
  const AuctionDay* a = exchange_.engine().auction(day);
  if (!a) return;
  std::lock_guard lock(mutex_);
  Run& r = runs_[day];
  r = Run{};
  r.day = day;
  r.state = "queued";
  pending_.emplace_back(day, a->input);
  wake_.notify_one();
}

bool AuctionRunner::rerun(Timestamp day, std::string& why) {
  const AuctionDay* a = exchange_.engine().auction(day);
  if (!a) {
    why = "no auction for that day";
    return false;
  }
  if (a->state != AuctionState::Closed) {
    why = std::string("the auction is ") + std::string(to_string(a->state)) + ": only a closed, uncleared day can be solved again";
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    auto it = runs_.find(day);
    if (it != runs_.end() && (it->second.state == "queued" || it->second.state == "solving" || it->second.state == "submitted")) {
      why = "that day is already being cleared (" + it->second.state + ")";
      return false;
    }
  }
  queue(day);
  return true;
}

void AuctionRunner::schedule(Timestamp now, std::vector<Command>& out) const {
  const MatchingEngine& engine = exchange_.engine();
  // Delivery has begun for a day never cleared (its solve failed, or cpxd was down past it): too late for
  // contracts. It is cancelled through the journal, so that reserves and capacity do not stay held.
  for (Timestamp day : engine.auction_days()) {
    if (now >= day && engine.auction(day)->state == AuctionState::Closed) {
      out.push_back(ClearAuction{now, kExchangeParticipant, day, true, {}});
    }
  }
  if (!config_.auction_schedule) return;
  for (int d = 1; d <= config_.auction_days_ahead; ++d) {
    const Timestamp day = cst_day_start(now) + d * kNanosPerDay;
    const Timestamp gate = day - kNanosPerDay + config_.auction_gate_hour * kNanosPerHour;
    if (gate > now && !engine.auction(day)) out.push_back(OpenAuction{now, kExchangeParticipant, day, gate});
  }
}

std::optional<AuctionRunner::Run> AuctionRunner::run(Timestamp day) const {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(day);
  if (it == runs_.end()) return std::nullopt;
  return it->second;
}

std::vector<AuctionRunner::Run> AuctionRunner::runs() const {
  std::lock_guard lock(mutex_);
  std::vector<Run> out;
  for (const auto& [day, r] : runs_) out.push_back(r);
  return out;
}

void AuctionRunner::work() {
  for (;;) {
    std::pair<Timestamp, AuctionInput> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      job = std::move(pending_.front());
      pending_.pop_front();
      if (runs_[job.first].state == "cancelled") continue;  // cancelled while queued: nothing to solve
      runs_[job.first].state = "solving";
      solving_day_ = job.first;
      cancel_solve_ = false;
    }
    const Timestamp day = job.first;
    const std::string day_text = format_iso_time(day).substr(0, 10);
    AuctionSolverOptions options;
    options.time_limit_s = config_.auction_time_limit_s;
    options.stop_requested = [this] {
      return halt_solve_.load(std::memory_order_relaxed) || cancel_solve_.load(std::memory_order_relaxed);
    };
    AuctionSolverStats stats;
    // The solver must not take cpxd down (and, the day still closed, again at every start): anything it
    // throws (out of memory on a huge day, a CoinError) fails this run only.
    Result<AuctionResult> result = make_error("auction_unsolved", "the solver did not run");
    try {
      result = solve_auction(job.second, options, &stats);
    } catch (const std::exception& e) {
      result = make_error("auction_solver_threw", std::string("the solver threw: ") + e.what());
    } catch (...) {
      result = make_error("auction_solver_threw", "the solver threw an unknown exception");
    }
    {
      std::lock_guard lock(mutex_);
      solving_day_ = 0;
      if (stopping_) return;  // stopped mid-solve: nothing to submit, the day is solved again at the next start
      Run& r = runs_[day];
      if (r.state == "cancelled") continue;  // cancelled while solving: the result has no day to go to
      r.solved = result.ok();
      r.stats = stats;
      r.state = result.ok() ? "submitted" : "failed";
      if (!result.ok()) r.error = result.error().text;
    }
    if (!result.ok()) {
      event_log::write(event_log::Level::error, "auction_failed", {{"day", day_text}, {"error", result.error().text}});
      audit_("auction_failed", day_text + ": " + result.error().text);
      continue;
    }
    event_log::write(event_log::Level::info, "auction_solved",
                     {{"day", day_text}, {"welfare_cny", stats.welfare}, {"blocks_accepted", stats.blocks_accepted},
                      {"seconds", stats.seconds_total}, {"proven_optimal", stats.proven_optimal}});
    audit_("auction_solved", day_text + ": welfare " + std::to_string(stats.welfare) + " CNY, " +
                                 std::to_string(stats.blocks_accepted) + " blocks accepted, " +
                                 std::to_string(stats.seconds_total) + " s" +
                                 (stats.proven_optimal ? "" : ", NOT proven optimal"));
    // Through the sequencer like any command: journaled, applied on the engine thread, checked there.
    sequencer_.submit(
        0,
        [day, res = std::move(*result), summary = clearing_summary(stats)](Timestamp now, std::vector<Command>& out) mutable {
          // Solved after its delivery began (cpxd was down past it, or the solve ran long): cancelled
          // instead, as schedule() does for a day with no result.
          const bool too_late = now >= day;
          out.push_back(ClearAuction{now, kExchangeParticipant, day, too_late, too_late ? AuctionResult{} : std::move(res), summary});
        },
        [this, day, day_text](uint64_t seq, const std::string& events) {
          std::lock_guard lock(mutex_);
          Run& r = runs_[day];
          if (seq == 0) {
            r.state = "failed";
            r.error = "the journal write failed; the result was not applied";
          } else if (const size_t ev = events.find("\"ev\":\"rejected\""); ev != std::string::npos &&
                                                                            events.find("\"reason\":\"", ev) != std::string::npos) {
            // Refused (auction_result_invalid; auction_not_closed when the day was cancelled meanwhile). The
            // reason after the reject event's own marker: the same command's timers may emit reasons too.
            const size_t from = events.find("\"reason\":\"", ev) + 10;
            r.state = r.state == "cancelled" ? r.state : "refused";
            r.error = "the engine refused the result (" + events.substr(from, events.find('"', from) - from) + ")";
          }
        });
  }
}

}  // namespace cpx::server
