#pragma once
// The command journal (docs/PRODUCT.md §5): every accepted command gets a gap-free sequence number and is
// durable before anything about it leaves the process. One RocksDB database with column families
// `journal` (seq -> command), `ledger`, `state` (snapshots) and `meta`. A batch of commands is one atomic
// WriteBatch written with sync: one fsync covers the whole batch (group commit).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "cpx/commands.hpp"
#include "cpx/result.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class Logger;
class WriteBatch;
}  // namespace rocksdb

namespace cpx::persistence {

struct JournalOptions {
  std::string path;
  bool sync = true;  // fsync every batch; only benchmarks of the non-durable path turn this off
  // A journal whose write-ahead log ends in a torn or cut record is refused (journal_torn_tail): that
  // record may have been acknowledged. With this set, the WAL files are first kept aside in
  // `<path>/torn-tail-<unix time>/` (hard links, else copies) and the journal is opened without the
  // damaged tail (open_report() says where it ends). Corruption anywhere else still fails the open.
  // docs/OPERATIONS.md says when.
  bool accept_torn_tail = false;
  // Tests only: the Env RocksDB goes through (fault injection: a full disk); it must outlive the journal.
  // Null: the machine's.
  rocksdb::Env* env = nullptr;
};

// What the open found, for the operator's log.
struct JournalOpenReport {
  bool torn_tail_accepted = false;  // the open dropped a torn tail (accept_torn_tail)
  std::string torn_tail_copy;       // where the WAL files were kept first
  std::string text;                 // one sentence; empty after an ordinary open
};

// What verify() checked.
struct JournalVerification {
  uint64_t records = 0;  // journal records whose CRC-32C matched, seq 1 to next_seq() - 1
  uint64_t bytes = 0;    // their size
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> open(const JournalOptions& options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // The sequence number the next appended command will get (the first is 1).
  uint64_t next_seq() const { return next_seq_; }

  // Appends the commands as one atomic batch, synced once. Returns the first command's sequence number.
  // `extra`, when given, adds more writes (ledger postings) to the same atomic batch.
  // When the write fails (e.g. journal_no_space: the disk is full) nothing moves: next_seq() is the same,
  // and the batch is kept as it was built (the ledger postings `extra` drained cannot be drained again)
  // until retry_pending() writes it. While a batch is pending, append refuses (journal_pending).
  Result<uint64_t> append(std::span<const Command> commands,
                          const std::function<void(rocksdb::WriteBatch&)>& extra = {});

  // A failed batch waits to be written again.
  bool has_pending() const { return pending_ != nullptr; }
  // Asks RocksDB to resume after its write error (a "busy" answer means its own recovery is under way and
  // is ignored) and writes the pending batch again. Returns its first sequence number once it is durable;
  // an error (the same as append's) while it still cannot be written, and the batch stays pending.
  // Call it again later; journal_no_pending when nothing waits.
  Result<uint64_t> retry_pending();
  // The text of the last failed write or resume ("" before any): why the journal cannot write.
  const std::string& last_error() const { return last_error_; }

  // Calls visit(seq, command) for every command from `from` to the end, in order. A missing sequence
  // number, a bad checksum or an undecodable record stops the replay with an error naming the seq.
  // Returns how many commands were visited.
  Result<uint64_t> replay(uint64_t from, const std::function<void(uint64_t, const Command&)>& visit) const;

  // Checks everything the journal keeps without applying it: RocksDB's block checksums of every file of
  // every column family (journal, ledger, snapshots, meta), then every journal record from seq 1: its key
  // (8 bytes, gap-free up to next_seq() - 1) and its CRC-32C. An error names the file or the seq (the
  // lowest one when there are several). The records are read in up to 4 ranges in parallel, one thread
  // per `records_per_thread` records at least.
  Result<JournalVerification> verify(uint64_t records_per_thread = 500'000) const;

  // What the open found (a torn tail accepted).
  const JournalOpenReport& open_report() const { return open_report_; }

  uint64_t syncs() const { return syncs_; }
  const std::string& path() const { return path_; }

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* journal_family() const { return journal_; }
  rocksdb::ColumnFamilyHandle* ledger_family() const { return ledger_; }
  rocksdb::ColumnFamilyHandle* state_family() const { return state_; }
  rocksdb::ColumnFamilyHandle* meta_family() const { return meta_; }

 private:
  Journal() = default;
  Result<uint64_t> write_pending();

  std::string path_;
  bool sync_ = true;
  std::shared_ptr<rocksdb::Logger> logger_;  // declared before db_: used until the database is closed
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* journal_ = nullptr;
  rocksdb::ColumnFamilyHandle* ledger_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  uint64_t next_seq_ = 1;
  uint64_t syncs_ = 0;
  std::string scratch_;
  // The batch of a failed append and the sequence numbers it holds, [pending_first_, pending_end_).
  std::unique_ptr<rocksdb::WriteBatch> pending_;
  uint64_t pending_first_ = 0;
  uint64_t pending_end_ = 0;
  std::string last_error_;
  JournalOpenReport open_report_;
};

// Big-endian key so RocksDB's byte order is sequence order.
std::string seq_key(uint64_t seq);

}  // namespace cpx::persistence
