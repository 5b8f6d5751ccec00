#include "auth/audit_writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace cpx::auth {

namespace {
constexpr int64_t kNanos = 1'000'000'000;
}  // namespace

AuditWriter::AuditWriter(AuditLog log, AuditWriterOptions options) : log_(std::move(log)), options_(std::move(options)) {
  options_.failures_per_s = std::clamp<int64_t>(options_.failures_per_s, 0, 1'000'000);
  options_.summary_every_ns = std::max<int64_t>(options_.summary_every_ns, 1'000'000);
  options_.retry_every_ns = std::max<int64_t>(options_.retry_every_ns, 1'000'000);
  options_.failure_flush_every_ns = std::max<int64_t>(options_.failure_flush_every_ns, 0);
  failure_tokens_ = options_.failures_per_s * kNanos;
  entries_ = log_.entries();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cpx-audit");
    run();
  });
}

AuditWriter::~AuditWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Timestamp AuditWriter::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void AuditWriter::append(AuditEntry entry, Done done) {
  {
    std::lock_guard lock(mutex_);
    const size_t bytes = entry.actor.size() + entry.action.size() + entry.detail.size();
    if (queue_.size() < options_.max_waiting && queued_bytes_ + bytes <= options_.max_waiting_bytes && !stopping_) {
      queued_bytes_ += bytes;
      queue_.push_back(Item{std::move(entry), std::move(done)});
      ++queued_actions_;
      wake_.notify_one();
      return;
    }
    ++lost_;
    ++lost_unreported_;
  }
  if (done) done(false);
}

void AuditWriter::failure(AuditEntry entry) {
  const Timestamp t = now();
  std::lock_guard lock(mutex_);
  if (t > failure_refilled_) {
    const int64_t elapsed = std::min<int64_t>(t - failure_refilled_, 3600 * kNanos);
    failure_tokens_ = std::min(options_.failures_per_s * kNanos, failure_tokens_ + elapsed * options_.failures_per_s);
    failure_refilled_ = t;
  }
  const size_t bytes = entry.actor.size() + entry.action.size() + entry.detail.size();
  // Failures may fill only half the queue: the other half stays for the actions that must be recorded
  // (a flood of failures waiting for their lazy write must never refuse an operator's login).
  if (failure_tokens_ >= kNanos && queue_.size() < options_.max_waiting / 2 &&
      queued_bytes_ + bytes <= options_.max_waiting_bytes / 2 && !stopping_) {
    failure_tokens_ -= kNanos;
    queued_bytes_ += bytes;
    queue_.push_back(Item{std::move(entry), nullptr});
    if (queued_failures_++ == 0) {
      first_failure_queued_ = t;
      wake_.notify_one();  // the writer learns when this batch is due; it waits until then
    }
    return;
  }
  if (pending_suppressed_ == 0) suppressed_since_ = t;
  ++pending_suppressed_;
  ++suppressed_total_;
}

bool AuditWriter::healthy() const {
  std::lock_guard lock(mutex_);
  return healthy_;
}

std::string AuditWriter::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

uint64_t AuditWriter::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

uint64_t AuditWriter::suppressed() const {
  std::lock_guard lock(mutex_);
  return suppressed_total_;
}

uint64_t AuditWriter::lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

void AuditWriter::flush() {
  std::unique_lock lock(mutex_);
  if (!queue_.empty()) {
    flush_wanted_ = true;
    wake_.notify_one();
  }
  drained_.wait(lock, [&] { return (queue_.empty() && !busy_) || !thread_.joinable(); });
}

// A summary covers at least `summary_every_ns` of suppressed failures, and comes at most that often.
bool AuditWriter::summary_due(Timestamp t) const {
  return t - std::max(last_summary_, suppressed_since_) >= options_.summary_every_ns;
}

void AuditWriter::run() {
  std::vector<Item> batch;
  std::vector<AuditEntry> entries;
  Timestamp next_retry = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    // Due: queued entries; a summary of suppressed failures; after a failed write, another try.
    auto due = [&](Timestamp t) {
      if (queued_actions_ > 0 || stopping_ || (flush_wanted_ && !queue_.empty())) return true;
      if (queued_failures_ > 0 && t - first_failure_queued_ >= options_.failure_flush_every_ns) return true;
      if (pending_suppressed_ > 0 && summary_due(t)) return true;
      return !healthy_ && lost_unreported_ > 0 && t >= next_retry;
    };
    while (!due(now())) {
      int64_t wait_ns = options_.summary_every_ns;
      if (!healthy_) wait_ns = std::min(wait_ns, options_.retry_every_ns);
      if (queued_failures_ > 0)
        wait_ns = std::clamp<int64_t>(first_failure_queued_ + options_.failure_flush_every_ns - now(), 1'000'000, wait_ns);
      wake_.wait_for(lock, std::chrono::nanoseconds(wait_ns));
    }
    if (queue_.empty() && stopping_ && pending_suppressed_ == 0 && (healthy_ || lost_unreported_ == 0)) break;
    const bool last_try = stopping_ && queue_.empty();
    const Timestamp t = now();
    batch.swap(queue_);
    queued_bytes_ = 0;
    queued_failures_ = queued_actions_ = 0;
    entries.clear();
    // What could not be written before goes on record first, once writing works again.
    const uint64_t lost_here = lost_unreported_;
    if (lost_here > 0) {
      entries.push_back(AuditEntry{t, "cpxd", "audit_entries_lost",
                                   std::to_string(lost_here) + " entries could not be written: " + problem_});
    }
    for (const Item& i : batch) entries.push_back(i.entry);
    const uint64_t summarised = (pending_suppressed_ > 0 && (summary_due(t) || stopping_))
                                    ? pending_suppressed_
                                    : 0;
    if (summarised > 0) {
      entries.push_back(AuditEntry{t, "cpxd", "login_failed_summary",
                                   std::to_string(summarised) + " more failed logins since " + format_iso_time(suppressed_since_) +
                                       " (over " + std::to_string(options_.failures_per_s) + "/s: counted, not written one by one)"});
      pending_suppressed_ = 0;
    }
    busy_ = true;
    lock.unlock();
    Result<bool> written = true;
    {
      std::lock_guard write_lock(write_mutex_);
      written = log_.append(entries);
    }
    lock.lock();
    if (written) {
      healthy_ = true;
      problem_.clear();
      lost_unreported_ -= lost_here;
      entries_ = log_.entries();
      if (summarised > 0) last_summary_ = t;
    } else {
      healthy_ = false;
      next_retry = t + options_.retry_every_ns;
      problem_ = written.error().text;
      lost_ += batch.size();
      lost_unreported_ += batch.size();
      if (summarised > 0) {  // counted again for the next summary
        if (pending_suppressed_ == 0) suppressed_since_ = t;
        pending_suppressed_ += summarised;
      }
    }
    const bool ok = written.ok();
    lock.unlock();
    for (Item& i : batch)
      if (i.done) i.done(ok);
    batch.clear();
    lock.lock();
    busy_ = false;  // after the callbacks: flush() returns once they have run
    if (queue_.empty()) flush_wanted_ = false;  // what came during the write is written next, at once
    drained_.notify_all();
    if (last_try) break;  // stopping: one try for the summaries, whatever the disk says
  }
  drained_.notify_all();
}

}  // namespace cpx::auth
