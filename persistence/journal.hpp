#pragma once
// The command journal (DESIGN.md §5): every accepted command gets a gap-free sequence number and is
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
class WriteBatch;
}  // namespace rocksdb

namespace cpx::persistence {

struct JournalOptions {
  std::string path;
  bool sync = true;  // fsync every batch; only benchmarks of the non-durable path turn this off
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
  Result<uint64_t> append(std::span<const Command> commands,
                          const std::function<void(rocksdb::WriteBatch&)>& extra = {});

  // Calls visit(seq, command) for every command from `from` to the end, in order. A missing sequence
  // number, a bad checksum or an undecodable record stops the replay with an error naming the seq.
  // Returns how many commands were visited.
  Result<uint64_t> replay(uint64_t from, const std::function<void(uint64_t, const Command&)>& visit) const;

  uint64_t syncs() const { return syncs_; }
  const std::string& path() const { return path_; }

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* journal_family() const { return journal_; }
  rocksdb::ColumnFamilyHandle* ledger_family() const { return ledger_; }
  rocksdb::ColumnFamilyHandle* state_family() const { return state_; }
  rocksdb::ColumnFamilyHandle* meta_family() const { return meta_; }

 private:
  Journal() = default;

  std::string path_;
  bool sync_ = true;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* journal_ = nullptr;
  rocksdb::ColumnFamilyHandle* ledger_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  uint64_t next_seq_ = 1;
  uint64_t syncs_ = 0;
  std::string scratch_;
};

// Big-endian key so RocksDB's byte order is sequence order.
std::string seq_key(uint64_t seq);

}  // namespace cpx::persistence
