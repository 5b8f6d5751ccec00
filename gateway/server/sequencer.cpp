#include "server/sequencer.hpp"

#include <rocksdb/write_batch.h>

namespace cpx::server {

Sequencer::Sequencer(persistence::Exchange& exchange, persistence::Journal& journal, api::EventFanout& fanout,
                     size_t max_batch)
    : exchange_(exchange),
      journal_(journal),
      names_(exchange.engine()),
      writer_(names_, events_),
      max_batch_(max_batch) {
  fanout.add(&writer_);
}

Sequencer::~Sequencer() { stop(); }

void Sequencer::submit(Command command, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{std::move(command), std::move(done)});
  }
  wake_.notify_one();
}

void Sequencer::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void Sequencer::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

SequencerStats Sequencer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Sequencer::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;
      if (queue_.size() <= max_batch_) {
        batch.swap(queue_);
      } else {
        batch.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_));
      }
    }
    process(batch);
    batch.clear();
  }
}

void Sequencer::process(std::vector<Pending>& batch) {
  static const std::string kNothing;
  if (failed_) {
    // After a failed write the in-memory state is ahead of the journal: nothing more is applied or
    // acknowledged; a restart recovers a consistent state from the journal.
    for (Pending& p : batch) p.done(0, kNothing);
    return;
  }
  // In memory first, keeping each command's events apart.
  std::vector<std::string> events(batch.size());
  std::vector<Command> commands;
  commands.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    events_.clear();
    exchange_.apply(batch[i].command);
    events[i].swap(events_);
    commands.push_back(batch[i].command);
  }
  // Then durable, ledger postings in the same atomic batch; then, and only then, acknowledged.
  auto first = journal_.append(commands, [&](rocksdb::WriteBatch& wb) {
    exchange_.ledger().drain_to(wb, journal_.ledger_family());
  });
  const bool durable = first.ok() && exchange_.ledger_failures() == 0;
  if (!durable) failed_ = true;
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(durable ? *first + i : 0, durable ? events[i] : kNothing);
  std::lock_guard lock(mutex_);
  stats_.commands += batch.size();
  stats_.batches += 1;
  if (batch.size() > stats_.largest_batch) stats_.largest_batch = batch.size();
}

}  // namespace cpx::server
