#include "journal.hpp"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "command_codec.hpp"
#include "crc32c.hpp"
#include "rocks_logger.hpp"
#include "wal_files.hpp"

namespace cpx::persistence {

namespace {

constexpr char kNextSeqKey[] = "journal.next_seq";

uint64_t read_be64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

Error db_error(const std::string& what, const rocksdb::Status& s) {
  return make_error("journal_io", what + ": " + s.ToString());
}

// A journal record is the CRC-32C of the encoded command (4 bytes, little-endian), then the command.
std::optional<Error> check_record(uint64_t seq, std::string_view value) {
  if (value.size() < 4) return make_error("journal_corrupt", "journal record " + std::to_string(seq) + " is too short");
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= static_cast<uint32_t>(static_cast<uint8_t>(value[static_cast<size_t>(i)])) << (8 * i);
  if (crc32c(value.substr(4)) != stored) {
    return make_error("journal_corrupt", "journal record " + std::to_string(seq) + " fails its checksum");
  }
  return std::nullopt;
}

struct Opened {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
};

std::vector<rocksdb::ColumnFamilyDescriptor> families() {
  rocksdb::ColumnFamilyOptions cf_options;
  return {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"journal", cf_options},
      {"ledger", cf_options},
      {"state", cf_options},
      {"meta", cf_options},
  };
}

void close(Opened& o) {
  for (auto* h : o.handles) o.db->DestroyColumnFamilyHandle(h);
  o.handles.clear();
  o.db->Close();
  o.db.reset();
}

// The next sequence number as meta records it (1 for a new journal).
Result<uint64_t> read_next_seq(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta) {
  std::string value;
  rocksdb::Status s = db.Get(rocksdb::ReadOptions(), meta, kNextSeqKey, &value);
  if (s.IsNotFound()) return uint64_t{1};
  if (!s.ok()) return db_error("cannot read the journal's next sequence number", s);
  if (value.size() != 8) return make_error("journal_corrupt", "journal meta next_seq is not 8 bytes");
  return read_be64(value);
}

// The newest WAL files by name (the torn record is at the end of the newest), then how many older ones
// RocksDB had not yet deleted.
std::string list_or_none(const std::vector<std::string>& files) {
  if (files.empty()) return "no WAL file";
  constexpr size_t kNamed = 3;
  std::string out;
  for (size_t i = files.size(); i-- > 0 && files.size() - i <= kNamed;) out += (out.empty() ? "" : ", ") + files[i];
  if (files.size() > kNamed) out += " and " + std::to_string(files.size() - kNamed) + " older";
  return out;
}

}  // namespace

std::string seq_key(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[static_cast<size_t>(i)] = static_cast<char>(seq & 0xFF);
    seq >>= 8;
  }
  return k;
}

Result<std::unique_ptr<Journal>> Journal::open(const JournalOptions& options) {
  std::unique_ptr<Journal> j(new Journal());
  j->path_ = options.path;
  j->sync_ = options.sync;
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);  // for the logger's file; RocksDB would too
  j->logger_ = make_rocks_logger(options.path);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  db_options.info_log = j->logger_;  // never RocksDB's own LOG file: see rocks_logger.hpp
  if (options.env) db_options.env = options.env;
  // Every record of the write-ahead log must be intact: a sync'd batch may have been acknowledged, so a
  // damaged last record is not dropped silently (kTolerateCorruptedTailRecords did: cutting 30 bytes off
  // the WAL lost an acknowledged command with a clean open). A crash that only interrupts RocksDB opens
  // fine this way; a torn or cut tail is refused below, and dropped only when the operator says so.
  // Never point-in-time or skip-corrupted recovery: both can drop acknowledged commands in the middle.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;

  Opened o;
  auto open_with = [&](rocksdb::WALRecoveryMode mode, bool read_only) {
    rocksdb::DBOptions opts = db_options;
    opts.wal_recovery_mode = mode;
    rocksdb::DB* raw = nullptr;
    o.handles.clear();
    rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(opts, options.path, families(), &o.handles, &raw)
                                  : rocksdb::DB::Open(opts, options.path, families(), &o.handles, &raw);
    o.db.reset(s.ok() ? raw : nullptr);
    return s;
  };
  rocksdb::Status s = open_with(rocksdb::WALRecoveryMode::kAbsoluteConsistency, false);
  if (s.IsCorruption()) {
    // Is the damage only at the end of the write-ahead log? A read-only open that tolerates a torn tail
    // tells without changing anything, and says where the journal would then end.
    const std::string strict = s.ToString();
    const std::string wal = list_or_none(describe_wal_files(options.path));
    s = open_with(rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords, true);
    if (!s.ok()) {
      return make_error("journal_corrupt", "the journal at " + options.path + " is corrupt: " + strict +
                                               "; it is not only a torn end of the write-ahead log (" + wal +
                                               "): " + s.ToString() + ". See docs/OPERATIONS.md, refused start");
    }
    auto next = read_next_seq(*o.db, o.handles[4]);
    close(o);
    if (!next) return next.error();
    const std::string ends = "the journal would end at seq " + std::to_string(*next - 1);
    if (!options.accept_torn_tail) {
      return make_error(
          "journal_torn_tail",
          "the journal at " + options.path + " has a torn or cut last record in its write-ahead log (" + wal +
              "): " + strict + ". Opening without it would drop it, and " + ends +
              ". A write torn by a power loss, a crash or a full disk was never acknowledged, but a file cut short "
              "(a bad copy or restore, a disk fault) may have lost acknowledged commands: compare with a "
              "replica, a backup or the clients' acknowledgements, then start once with accept_torn_tail "
              "(cpxd --accept-torn-journal-tail, cpx-replay --accept-torn-tail) to open without it; the WAL "
              "files are kept aside first "
              "(docs/OPERATIONS.md, refused start)");
    }
    auto copy = copy_wal_files_aside(options.path);
    if (!copy) return copy.error();
    s = open_with(rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords, false);
    if (!s.ok()) return db_error("cannot open the journal at " + options.path + " without its torn tail", s);
    j->open_report_.torn_tail_accepted = true;
    j->open_report_.torn_tail_copy = *copy;
    j->open_report_.text = "accepted a torn end of the write-ahead log (" + wal + ": " + strict +
                           "); the WAL files were kept in " + *copy;
  }
  if (!s.ok()) return db_error("cannot open the journal at " + options.path, s);

  j->db_ = std::move(o.db);
  j->default_ = o.handles[0];
  j->journal_ = o.handles[1];
  j->ledger_ = o.handles[2];
  j->state_ = o.handles[3];
  j->meta_ = o.handles[4];

  // The next sequence number is kept in meta, written in the same batch as the commands; the last key of
  // the journal must agree with it.
  auto next = read_next_seq(*j->db_, j->meta_);
  if (!next) return next.error();
  std::unique_ptr<rocksdb::Iterator> it(j->db_->NewIterator(rocksdb::ReadOptions(), j->journal_));
  it->SeekToLast();
  uint64_t last = 0;
  if (it->Valid()) {
    if (it->key().size() != 8) return make_error("journal_corrupt", "journal key is not 8 bytes");
    last = read_be64(it->key().ToStringView());
  }
  if (!it->status().ok()) return db_error("cannot read the journal", it->status());
  if (last + 1 != *next) {
    return make_error("journal_corrupt", "journal ends at seq " + std::to_string(last) + " but meta says the next is " +
                                             std::to_string(*next));
  }
  j->next_seq_ = *next;
  if (j->open_report_.torn_tail_accepted) j->open_report_.text += "; the journal ends at seq " + std::to_string(last);
  return j;
}

Journal::~Journal() {
  if (!db_) return;
  for (auto* h : {journal_, ledger_, state_, meta_, default_}) {
    if (h) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();
}

Result<uint64_t> Journal::append(std::span<const Command> commands,
                                 const std::function<void(rocksdb::WriteBatch&)>& extra) {
  if (pending_) {
    return make_error("journal_pending", "a failed batch (seq " + std::to_string(pending_first_) +
                                             ") must be written first: retry_pending (" + last_error_ + ")");
  }
  const uint64_t first = next_seq_;
  auto batch = std::make_unique<rocksdb::WriteBatch>();
  uint64_t seq = first;
  for (const Command& c : commands) {
    scratch_.assign(4, '\0');
    encode_command(c, scratch_);
    const uint32_t crc = crc32c(std::string_view(scratch_).substr(4));
    for (int i = 0; i < 4; ++i) scratch_[static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i));
    batch->Put(journal_, seq_key(seq), scratch_);
    ++seq;
  }
  batch->Put(meta_, kNextSeqKey, seq_key(seq));
  if (extra) extra(*batch);
  pending_ = std::move(batch);
  pending_first_ = first;
  pending_end_ = seq;
  return write_pending();
}

Result<uint64_t> Journal::retry_pending() {
  if (!pending_) return make_error("journal_no_pending", "no failed batch is waiting to be written");
  // After a write error RocksDB stops taking writes until it has recovered: on its own for a full disk
  // (its file manager polls the free space, and a manual resume meanwhile answers busy), or on Resume().
  rocksdb::Status s = db_->Resume();
  if (!s.ok() && !s.IsBusy()) {
    last_error_ = s.ToString();
    return make_error(s.IsNoSpace() ? "journal_no_space" : "journal_io", "journal cannot resume: " + last_error_);
  }
  return write_pending();
}

// Writes the pending batch; on success it is the journal's and is dropped, on failure it stays.
Result<uint64_t> Journal::write_pending() {
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  rocksdb::Status s = db_->Write(wo, pending_.get());
  if (!s.ok()) {
    last_error_ = s.ToString();
    return make_error(s.IsNoSpace() ? "journal_no_space" : "journal_io", "journal write failed: " + last_error_);
  }
  if (sync_) ++syncs_;
  next_seq_ = pending_end_;
  pending_.reset();
  return pending_first_;
}

Result<uint64_t> Journal::replay(uint64_t from, const std::function<void(uint64_t, const Command&)>& visit) const {
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, journal_));
  uint64_t expected = from;
  uint64_t count = 0;
  for (it->Seek(seq_key(from)); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (key.size() != 8) return make_error("journal_corrupt", "journal key is not 8 bytes");
    const uint64_t seq = read_be64(key);
    if (seq != expected) {
      return make_error("journal_gap", "journal gap: expected seq " + std::to_string(expected) + ", found " +
                                           std::to_string(seq));
    }
    std::string_view value = it->value().ToStringView();
    if (auto bad = check_record(seq, value)) return *bad;
    auto command = decode_command(value.substr(4));
    if (!command) {
      return make_error(command.error().code, "journal record " + std::to_string(seq) + ": " + command.error().text);
    }
    visit(seq, *command);
    ++expected;
    ++count;
  }
  if (!it->status().ok()) return db_error("journal read failed", it->status());
  if (expected < next_seq_ && from < next_seq_) {
    return make_error("journal_gap", "journal ends at seq " + std::to_string(expected - 1) + " but " +
                                         std::to_string(next_seq_ - 1) + " were written");
  }
  return count;
}

namespace {

// Checks the records [lo, hi) of the journal, which ends at next - 1: every key there, in order, and each
// record's CRC-32C. The first error in the range, or what was checked.
Result<JournalVerification> verify_range(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* journal, uint64_t lo,
                                         uint64_t hi, uint64_t next) {
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, journal));
  JournalVerification done;
  uint64_t expected = lo;
  for (lo == 1 ? it->SeekToFirst() : it->Seek(seq_key(lo)); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (key.size() != 8) return make_error("journal_corrupt", "journal key after seq " + std::to_string(expected - 1) + " is not 8 bytes");
    const uint64_t seq = read_be64(key);
    if (seq >= hi && expected == hi) break;  // the next range's
    if (seq != expected) {
      return make_error("journal_gap", "journal gap: expected seq " + std::to_string(expected) + ", found " +
                                           std::to_string(seq));
    }
    std::string_view value = it->value().ToStringView();
    if (auto bad = check_record(seq, value)) return *bad;
    ++done.records;
    done.bytes += value.size();
    ++expected;
  }
  if (!it->status().ok()) return db_error("journal read failed", it->status());
  if (expected != hi) {
    return make_error("journal_gap", "journal ends at seq " + std::to_string(expected - 1) + " but " +
                                         std::to_string(next - 1) + " were written");
  }
  return done;
}

}  // namespace

Result<JournalVerification> Journal::verify(uint64_t records_per_thread) const {
  // RocksDB's own checksums first: every block of every table file, whichever column family (the ledger
  // and older snapshots are not read at start otherwise). What is still only in the WAL was checked
  // record by record when the open replayed it (kAbsoluteConsistency).
  rocksdb::Status s = db_->VerifyChecksum();
  if (!s.ok()) {
    return make_error(s.IsCorruption() ? "journal_corrupt" : "journal_io",
                      "the journal's files fail RocksDB's block checksums: " + s.ToString());
  }
  // Then every record, in a few ranges read in parallel: at start nothing else runs, and reading the
  // records costs about as much as replaying them (docs/BENCHMARKS.md). The first error by seq is reported.
  const uint64_t records = next_seq_ - 1;
  const uint64_t threads_here = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  const uint64_t parts = std::clamp<uint64_t>(records / std::max<uint64_t>(records_per_thread, 1), 1, threads_here);
  std::vector<uint64_t> bounds;
  for (uint64_t k = 0; k <= parts; ++k) bounds.push_back(1 + records * k / parts);
  std::vector<std::optional<Result<JournalVerification>>> results(parts);
  {
    std::vector<std::jthread> threads;
    for (uint64_t k = 1; k < parts; ++k) {
      threads.emplace_back([&, k] { results[k] = verify_range(*db_, journal_, bounds[k], bounds[k + 1], next_seq_); });
    }
    results[0] = verify_range(*db_, journal_, bounds[0], bounds[1], next_seq_);
  }
  JournalVerification done;
  for (auto& r : results) {
    if (!*r) return r->error();
    done.records += (*r)->records;
    done.bytes += (*r)->bytes;
  }
  return done;
}

}  // namespace cpx::persistence
