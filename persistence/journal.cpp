#include "journal.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <vector>

#include "command_codec.hpp"
#include "crc32c.hpp"

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
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // After a crash only a torn last record may be dropped (it was never acknowledged: acknowledgements wait
  // for the sync); corruption anywhere before it fails the open. kPointInTimeRecovery would instead stop
  // at a damaged record and open without everything after it, and kSkipAnyCorruptedRecords would skip it:
  // both could lose acknowledged commands silently.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;

  rocksdb::ColumnFamilyOptions cf_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"journal", cf_options},
      {"ledger", cf_options},
      {"state", cf_options},
      {"meta", cf_options},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
  if (!s.ok()) return db_error("cannot open the journal at " + options.path, s);

  std::unique_ptr<Journal> j(new Journal());
  j->path_ = options.path;
  j->sync_ = options.sync;
  j->db_.reset(raw);
  j->default_ = handles[0];
  j->journal_ = handles[1];
  j->ledger_ = handles[2];
  j->state_ = handles[3];
  j->meta_ = handles[4];

  // The next sequence number is kept in meta, written in the same batch as the commands; the last key of
  // the journal must agree with it.
  std::string value;
  s = raw->Get(rocksdb::ReadOptions(), j->meta_, kNextSeqKey, &value);
  uint64_t next = 1;
  if (s.ok()) {
    if (value.size() != 8) return make_error("journal_corrupt", "journal meta next_seq is not 8 bytes");
    next = read_be64(value);
  } else if (!s.IsNotFound()) {
    return db_error("cannot read the journal's next sequence number", s);
  }
  std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), j->journal_));
  it->SeekToLast();
  uint64_t last = 0;
  if (it->Valid()) {
    if (it->key().size() != 8) return make_error("journal_corrupt", "journal key is not 8 bytes");
    last = read_be64(it->key().ToStringView());
  }
  if (!it->status().ok()) return db_error("cannot read the journal", it->status());
  if (last + 1 != next) {
    return make_error("journal_corrupt", "journal ends at seq " + std::to_string(last) + " but meta says the next is " +
                                             std::to_string(next));
  }
  j->next_seq_ = next;
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
  const uint64_t first = next_seq_;
  rocksdb::WriteBatch batch;
  uint64_t seq = first;
  for (const Command& c : commands) {
    scratch_.assign(4, '\0');
    encode_command(c, scratch_);
    const uint32_t crc = crc32c(std::string_view(scratch_).substr(4));
    for (int i = 0; i < 4; ++i) scratch_[static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i));
    batch.Put(journal_, seq_key(seq), scratch_);
    ++seq;
  }
  batch.Put(meta_, kNextSeqKey, seq_key(seq));
  if (extra) extra(batch);
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  rocksdb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) return db_error("journal write failed", s);
  if (sync_) ++syncs_;
  next_seq_ = seq;
  return first;
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
    if (value.size() < 4) return make_error("journal_corrupt", "journal record " + std::to_string(seq) + " is too short");
    uint32_t stored = 0;
    for (int i = 0; i < 4; ++i) stored |= static_cast<uint32_t>(static_cast<uint8_t>(value[static_cast<size_t>(i)])) << (8 * i);
    if (crc32c(value.substr(4)) != stored) {
      return make_error("journal_corrupt", "journal record " + std::to_string(seq) + " fails its checksum");
    }
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

}  // namespace cpx::persistence
