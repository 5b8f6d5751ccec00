#pragma once
// The audit log's writer thread: callers queue entries and never wait for the disk; the thread writes
// whatever has queued up with one write and one fsync (group commit), then tells each caller that asked.
// An action that must be on record (a login, an operator's request) goes ahead only from its callback,
// and only when the entry is durable: a full disk refuses the action instead of serving it unrecorded.
//
// Failed logins are what an attacker can make at will, so they are bounded: at most `failures_per_s`
// are written one by one; the rest are counted and written as one summary entry every
// `summary_every_ns`. Nothing waits for a failure's entry, so failures alone are written (and fsynced) at
// most every `failure_flush_every_ns`, or sooner with the next entry that must be durable: under a flood
// of failed logins the audit log's fsyncs stay rare, and they share the disk with the journal, whose
// fsyncs every durable acknowledgement waits for (a crash may lose that last second of failures, never
// an action). The queue is bounded too (`max_waiting`): past it an action is refused at once.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/audit_log.hpp"

namespace cpx::auth {

struct AuditWriterOptions {
  size_t max_waiting = 4096;              // entries queued and not yet written
  size_t max_waiting_bytes = 16 << 20;    // and their size
  int64_t failures_per_s = 10;            // failed logins written one by one (token bucket, burst = rate)
  int64_t summary_every_ns = 10'000'000'000;  // how often the count of the others is written
  int64_t retry_every_ns = 1'000'000'000;     // after a failed write: how often the log is tried again
  int64_t failure_flush_every_ns = 1'000'000'000;  // failed logins alone are written at most this often
  std::function<Timestamp()> clock;       // default: the system clock
};

class AuditWriter {
 public:
  using Done = std::function<void(bool durable)>;

  AuditWriter(AuditLog log, AuditWriterOptions options = {});
  ~AuditWriter();  // writes what is queued, then stops
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // An entry for the record. `done` (optional) is called on the writer thread once the entry is durable
  // (true), or when it cannot be written (false); when the queue is full, on the caller's thread at once.
  void append(AuditEntry entry, Done done = nullptr);
  // A failed login: written, or folded into the next summary when over the rate. Never waited for.
  void failure(AuditEntry entry);

  // Both false/empty after a write failed, until a write succeeds again (the thread keeps trying).
  bool healthy() const;
  std::string problem() const;
  uint64_t entries() const;     // in the chain
  uint64_t suppressed() const;  // failed logins counted, not written one by one, since start
  uint64_t lost() const;        // entries that could not be written (disk full, ...)

  // Waits until everything queued so far has been tried (tests, shutdown, verification).
  void flush();
  // Runs `f` while no entry is being written (e.g. verifying the file).
  template <class F>
  auto with_log_paused(F f) {
    std::lock_guard lock(write_mutex_);
    return f();
  }

 private:
  struct Item {
    AuditEntry entry;
    Done done;
  };
  void run();
  Timestamp now() const;
  bool summary_due(Timestamp t) const;

  AuditLog log_;
  AuditWriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::vector<Item> queue_;
  size_t queued_bytes_ = 0;
  bool stopping_ = false;
  bool busy_ = false;
  uint64_t generation_ = 0;  // batches taken, for flush()
  uint64_t written_generation_ = 0;
  // failure rate
  int64_t failure_tokens_ = 0;  // in 1e-9 units of an entry
  Timestamp failure_refilled_ = 0;
  uint64_t pending_suppressed_ = 0;
  Timestamp suppressed_since_ = 0;
  Timestamp last_summary_ = 0;
  size_t queued_failures_ = 0;      // failed-login entries in queue_ (written without hurry)
  size_t queued_actions_ = 0;       // other entries in queue_ (written at once)
  Timestamp first_failure_queued_ = 0;
  bool flush_wanted_ = false;       // flush() waits: write what is queued now
  uint64_t suppressed_total_ = 0;
  uint64_t lost_ = 0;
  uint64_t lost_unreported_ = 0;
  bool healthy_ = true;
  std::string problem_;
  uint64_t entries_ = 0;
  std::mutex write_mutex_;  // held while the file is written
  std::thread thread_;
};

}  // namespace cpx::auth
