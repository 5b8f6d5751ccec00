#pragma once
// The server's sequencer (docs/PRODUCT.md §5, §6): gateway threads submit commands; one engine thread takes
// whatever has queued up as a batch, applies it to the exchange in memory, writes the batch's commands
// and ledger postings as one synced WriteBatch (group commit: one fsync for the whole batch), and only
// then releases each command's events. So an acknowledgement never leaves before its command is durable,
// and throughput does not stop at one fsync per order. The engine thread never waits for a gateway:
// callbacks and sinks must only queue output for their I/O threads.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cpx/commands.hpp"
#include "exchange.hpp"
#include "journal.hpp"
#include "json/event_codec.hpp"
#include "json/event_fanout.hpp"
#include "json/names.hpp"
#include "server/metrics.hpp"

namespace cpx::server {

// The server's wall clock (the engine itself never reads one).
Timestamp wall_clock();

struct SequencerStats {
  uint64_t commands = 0;
  uint64_t batches = 0;   // = fsyncs of the journal
  uint64_t largest_batch = 0;
};

// A gateway's engine-thread side. It listens to the exchange's events (register it on the fanout) and
// stages what its sessions must see while a batch is applied; the sequencer tells it whose request each
// event belongs to and when the batch is durable, so it can release (or drop) what it staged.
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  // The request being applied came from `origin` (a gateway session id; 0 for none).
  virtual void begin_request(uint64_t origin) = 0;
  // After the journal write of the batch: release the staged output to the I/O threads, or, when the
  // write failed, tell the sessions their requests were not acknowledged.
  virtual void end_batch(bool durable) = 0;
};

class Sequencer {
 public:
  // Called on the engine thread once the command is durable: its journal sequence number and the JSON
  // lines of the events it caused. seq = 0 (and no events) when the write failed: nothing is acknowledged,
  // and from then on every command is refused that way until the process restarts and recovers.
  using Done = std::function<void(uint64_t seq, const std::string& events)>;
  // Runs on the engine thread, in submission order, right before its commands are applied: it turns a
  // gateway request into commands (resolving names against the engine's current state, stamping `now`),
  // or into none (a refusal or a query, which it stages in its BatchSink directly).
  using Prepare = std::function<void(Timestamp now, std::vector<Command>& out)>;
  using Clock = std::function<Timestamp()>;

  // The exchange must have been built with `fanout` as its listener: every listener on it sees events as
  // they happen (before durability, e.g. for in-memory indexes); what leaves the process goes through Done
  // or a BatchSink.
  Sequencer(persistence::Exchange& exchange, persistence::Journal& journal, api::EventFanout& fanout,
            size_t max_batch = 4096);
  ~Sequencer();

  // Engine-thread output of the gateways; set before start().
  void add_sink(BatchSink* sink) { sinks_.push_back(sink); }
  // The clock read once per batch for Prepare's `now` (default: the system clock).
  void set_clock(Clock clock) { clock_ = std::move(clock); }
  // Where to record each request's time from submit to release (optional).
  void set_latency_histogram(LatencyHistogram* h) { latency_ = h; }

  // Thread-safe.
  void submit(Command command, Done done);
  void submit(uint64_t origin, Prepare prepare, Done done = nullptr);
  // Starts the engine thread (commands submitted before are the first batch).
  void start();
  // Processes everything submitted so far, then stops the engine thread.
  void stop();

  SequencerStats stats() const;  // after stop(), or approximately while running
  size_t queued() const;

  // False while a batch cannot be made durable (the disk is full, the journal's device fails): the engine
  // thread holds that batch — applied in memory, not acknowledged — and writes it again until it goes
  // through (then everything continues as if it had been slow). Meanwhile gateways refuse new requests
  // with `unavailable` instead of queueing them. Thread-safe.
  bool available() const { return available_.load(std::memory_order_acquire); }
  std::string unavailable_reason() const;

 private:
  struct Pending {
    Command command;
    Prepare prepare;
    Done done;
    uint64_t origin = 0;
    int64_t submitted_ns = 0;  // steady clock
  };
  void run();
  void process(std::vector<Pending>& batch);
  // The journal refused the batch and kept it: retries until it is durable (or the sequencer stops).
  Result<uint64_t> hold_until_written();

  persistence::Exchange& exchange_;
  persistence::Journal& journal_;
  api::EventFanout& fanout_;
  api::EngineNames names_;
  std::string events_;
  api::JsonEventWriter writer_;
  const size_t max_batch_;
  std::vector<BatchSink*> sinks_;
  Clock clock_;
  LatencyHistogram* latency_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
  SequencerStats stats_;
  bool failed_ = false;  // engine thread only
  std::atomic<bool> available_{true};
  std::string unavailable_reason_;  // guarded by mutex_
  std::vector<Command> commands_;        // engine thread: the batch's commands, for the journal
  std::vector<std::string> events_of_;   // engine thread: per request, its events (for Done)
  std::vector<size_t> count_of_;         // engine thread: per request, how many commands it became
};

}  // namespace cpx::server
