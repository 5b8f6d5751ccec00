#include "server/sequencer.hpp"
#include "server/event_log.hpp"

#include <pthread.h>

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>

namespace cpx::server {

Timestamp wall_clock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {
int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Sequencer::Sequencer(persistence::Exchange& exchange, persistence::Journal& journal, api::EventFanout& fanout,
                     size_t max_batch)
    : exchange_(exchange),
      journal_(journal),
      fanout_(fanout),
      names_(exchange.engine()),
      writer_(names_, events_),
      max_batch_(max_batch),
      clock_(wall_clock) {}

Sequencer::~Sequencer() { stop(); }

void Sequencer::submit(Command command, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{std::move(command), nullptr, std::move(done), 0, latency_ ? steady_ns() : 0});
  }
  wake_.notify_one();
}

void Sequencer::submit(uint64_t origin, Prepare prepare, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{AdvanceTime{}, std::move(prepare), std::move(done), origin, latency_ ? steady_ns() : 0});
  }
  wake_.notify_one();
}

void Sequencer::start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "cpx-engine");
      run();
    });
  }
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

std::string Sequencer::unavailable_reason() const {
  std::lock_guard lock(mutex_);
  return unavailable_reason_;
}

Result<uint64_t> Sequencer::hold_until_written() {
  auto unavailable = [&](const std::string& why) {
    std::lock_guard lock(mutex_);
    unavailable_reason_ = "the journal cannot be written: " + why;
  };
  unavailable(journal_.last_error());
  available_.store(false, std::memory_order_release);
  event_log::write(event_log::Level::error, "journal_unavailable", {{"reason", journal_.last_error()}});
  // Nothing of the held batch has left the process: its requests wait (their answers are staged in the
  // sinks), new ones are refused by the gateways. Tried again at a growing interval, up to once a second.
  int64_t wait_ms = 50;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stopping_; }))
        return make_error("stopping", "stopped while the journal could not be written: " + unavailable_reason_);
    }
    auto written = journal_.retry_pending();
    if (written) {
      {
        std::lock_guard lock(mutex_);
        unavailable_reason_.clear();
      }
      available_.store(true, std::memory_order_release);
      event_log::write(event_log::Level::info, "journal_available", {{"written_to_seq", *written}});
      return written;
    }
    unavailable(journal_.last_error());
    wait_ms = std::min<int64_t>(wait_ms * 2, 1000);
  }
}

size_t Sequencer::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
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
    for (const Pending& p : batch)
      for (BatchSink* s : sinks_) s->begin_request(p.origin);
    for (BatchSink* s : sinks_) s->begin_request(0);
    for (BatchSink* s : sinks_) s->end_batch(false);
    for (Pending& p : batch)
      if (p.done) p.done(0, kNothing);
    return;
  }
  const Timestamp now = clock_();
  // In memory first, keeping each request's events apart. A request is prepared right before it is
  // applied, so it sees the state its predecessors left (a book snapshot fits the updates that follow).
  commands_.clear();
  events_of_.resize(batch.size());
  count_of_.resize(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Pending& p = batch[i];
    for (BatchSink* s : sinks_) s->begin_request(p.origin);
    events_.clear();
    const size_t before = commands_.size();
    if (p.prepare) {
      p.prepare(now, commands_);
    } else {
      commands_.push_back(p.command);
    }
    // Events become JSON here only for a caller that takes them (Done); gateways format their own.
    if (p.done) fanout_.add(&writer_);
    for (size_t c = before; c < commands_.size(); ++c) exchange_.apply(commands_[c]);
    if (p.done) fanout_.remove(&writer_);
    events_of_[i].swap(events_);
    count_of_[i] = commands_.size() - before;
  }
  for (BatchSink* s : sinks_) s->begin_request(0);
  // Then durable, ledger postings in the same atomic batch; then, and only then, acknowledged. A batch of
  // queries and refusals only has nothing to write.
  uint64_t first_seq = journal_.next_seq();
  bool durable = true;
  if (!commands_.empty()) {
    auto first = journal_.append(commands_, [&](rocksdb::WriteBatch& wb) {
      exchange_.ledger().drain_to(wb, journal_.ledger_family());
    });
    if (!first && journal_.has_pending()) first = hold_until_written();
    durable = first.ok() && exchange_.ledger_failures() == 0;
    if (first.ok()) first_seq = *first;
  }
  if (!durable) failed_ = true;
  for (BatchSink* s : sinks_) s->end_batch(durable);
  if (latency_ && durable) {
    const int64_t released = steady_ns();
    for (const Pending& p : batch)
      if (p.origin != 0) latency_->record(released - p.submitted_ns);
  }
  uint64_t seq = first_seq;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) {
      const bool has = durable && count_of_[i] > 0;
      batch[i].done(has ? seq : 0, durable ? events_of_[i] : kNothing);
    }
    seq += count_of_[i];
  }
  std::lock_guard lock(mutex_);
  stats_.commands += commands_.size();
  if (!commands_.empty()) stats_.batches += 1;
  if (batch.size() > stats_.largest_batch) stats_.largest_batch = batch.size();
}

}  // namespace cpx::server
