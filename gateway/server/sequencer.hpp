#pragma once
// The server's sequencer (DESIGN.md §5, §6): gateway threads submit commands; one engine thread takes
// whatever has queued up as a batch, applies it to the exchange in memory, writes the batch's commands
// and ledger postings as one synced WriteBatch (group commit: one fsync for the whole batch), and only
// then hands each command's events to its callback. So an acknowledgement never leaves before its command
// is durable, and throughput does not stop at one fsync per order. The engine thread never waits for a
// gateway: callbacks must only queue the events for their sessions.
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

namespace cpx::server {

struct SequencerStats {
  uint64_t commands = 0;
  uint64_t batches = 0;   // = fsyncs of the journal
  uint64_t largest_batch = 0;
};

class Sequencer {
 public:
  // Called on the engine thread once the command is durable: its journal sequence number and the JSON
  // lines of the events it caused. seq = 0 (and no events) when the write failed: nothing is acknowledged,
  // and from then on every command is refused that way until the process restarts and recovers.
  using Done = std::function<void(uint64_t seq, const std::string& events)>;

  // The exchange must have been built with `fanout` as its listener: every listener on it sees events as
  // they happen (before durability, e.g. for in-memory indexes); what leaves the process goes through Done.
  Sequencer(persistence::Exchange& exchange, persistence::Journal& journal, api::EventFanout& fanout,
            size_t max_batch = 4096);
  ~Sequencer();

  // Thread-safe.
  void submit(Command command, Done done);
  // Starts the engine thread (commands submitted before are the first batch).
  void start();
  // Processes everything submitted so far, then stops the engine thread.
  void stop();

  SequencerStats stats() const;  // after stop(), or approximately while running

 private:
  struct Pending {
    Command command;
    Done done;
  };
  void run();
  void process(std::vector<Pending>& batch);

  persistence::Exchange& exchange_;
  persistence::Journal& journal_;
  api::EngineNames names_;
  std::string events_;
  api::JsonEventWriter writer_;
  const size_t max_batch_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
  SequencerStats stats_;
  bool failed_ = false;  // engine thread only
};

}  // namespace cpx::server
