#pragma once
// The day-ahead auction in cpxd (docs/PRODUCT.md §3.3). The engine collects orders and freezes the solver's
// input at each day's gate; this runner solves that input on its own worker thread (a solve takes seconds
// to minutes and must never stall matching) and submits the result as a ClearAuction command, which the
// engine checks and applies and the journal keeps, so recovery replays the result and never solves again.
// It also opens the coming delivery days on the configured schedule.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cpx/auction_solver.hpp"
#include "cpx/events.hpp"
#include "exchange.hpp"
#include "server/sequencer.hpp"
#include "server/server_config.hpp"

namespace cpx::server {

class AuctionRunner final : public EventListener {
 public:
  // What happened to a day's clearing, for operators (HTTP, cpx-admin).
  struct Run {
    Timestamp day = 0;
    std::string state;  // queued, solving, submitted, cleared, refused, failed
    std::string error;  // failed / refused: why
    bool solved = false;
    AuctionSolverStats stats;
  };
  using Audit = std::function<void(std::string_view action, std::string_view detail)>;

  AuctionRunner(const persistence::Exchange& exchange, Sequencer& sequencer, const ServerConfig& config, Audit audit);
  ~AuctionRunner() override;
  AuctionRunner(const AuctionRunner&) = delete;
  AuctionRunner& operator=(const AuctionRunner&) = delete;

  // Before the sequencer starts: queues every day that is closed but not cleared (a restart during a
  // solve), then starts the worker.
  void start();
  // Asks a solve in progress to stop (it ends at CBC's next event; the day stays closed and is solved at
  // the next start), then stops the worker.
  void stop();

  // Engine thread: a gate closed -> solve that day.
  void on_auction_state(const AuctionStateChanged& e) override;
  // Engine thread (the clock ticker's Prepare): opens the coming days that are not open yet.
  void schedule(Timestamp now, std::vector<Command>& out) const;
  // Engine thread (operator): solve a closed day again (after a refused or failed clearing).
  bool rerun(Timestamp day, std::string& why);

  // Any thread.
  std::optional<Run> run(Timestamp day) const;
  std::vector<Run> runs() const;

 private:
  void queue(Timestamp day);  // engine thread: copies the frozen input
  void work();

  const persistence::Exchange& exchange_;
  Sequencer& sequencer_;
  const ServerConfig& config_;
  Audit audit_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<Timestamp, AuctionInput>> pending_;
  std::map<Timestamp, Run> runs_;
  bool stopping_ = false;
  std::atomic<bool> halt_solve_{false};  // stop(): the solver stops at its next check (auction_cancelled)
  std::atomic<bool> cancel_solve_{false};  // the day being solved was cancelled: stop that solve
  Timestamp solving_day_ = 0;              // under mutex_
  std::thread worker_;
};

}  // namespace cpx::server
