#pragma once
// Writes exchange snapshots off the engine thread. The engine thread still serialises the state (that is
// what makes a snapshot consistent at its sequence number), but the checksum, the synced RocksDB write of
// megabytes and the pruning of old snapshots happen here. (The write shares RocksDB's write queue and WAL
// with the journal, so a journal append that comes during it may still wait for it.) One snapshot at a
// time: while one is being written the next is simply taken later.
#include <atomic>
#include <pthread.h>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "snapshot_store.hpp"

namespace cpx::server {

class SnapshotWriter {
 public:
  SnapshotWriter(persistence::SnapshotStore& store, size_t keep) : store_(store), keep_(keep) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "cpx-snapshot");
      run();
    });
  }
  ~SnapshotWriter() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();  // a snapshot being written is finished first
  }
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  bool busy() const { return busy_.load(std::memory_order_acquire); }
  // Engine thread. False (and nothing done) while the previous snapshot is still being written.
  bool write(uint64_t seq, std::string bytes) {
    if (busy()) return false;
    {
      std::lock_guard lock(mutex_);
      pending_.emplace(seq, std::move(bytes));
      busy_.store(true, std::memory_order_release);
    }
    wake_.notify_one();
    return true;
  }
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void run() {
    for (;;) {
      std::pair<uint64_t, std::string> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || pending_.has_value(); });
        if (!pending_) return;
        job = std::move(*pending_);
        pending_.reset();
      }
      auto saved = store_.save(job.first, job.second);
      if (saved) saved = store_.prune(keep_);
      if (saved) {
        written_.fetch_add(1, std::memory_order_relaxed);
      } else {
        // The journal still has everything: recovery replays further back. Said once per failure.
        failures_.fetch_add(1, std::memory_order_relaxed);
        std::fprintf(stderr, "cpxd: snapshot at %llu not written: %s\n", static_cast<unsigned long long>(job.first),
                     saved.error().text.c_str());
      }
      busy_.store(false, std::memory_order_release);
    }
  }

  persistence::SnapshotStore& store_;
  size_t keep_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<std::pair<uint64_t, std::string>> pending_;
  bool stopping_ = false;
  std::atomic<bool> busy_{false};
  std::atomic<uint64_t> written_{0}, failures_{0};
  std::thread thread_;
};

}  // namespace cpx::server
