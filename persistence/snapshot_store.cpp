#include "snapshot_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>

#include "crc32c.hpp"

namespace cpx::persistence {

namespace {

uint64_t read_be64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

Error io(const std::string& what, const rocksdb::Status& s) { return make_error("snapshot_io", what + ": " + s.ToString()); }

// A stored snapshot is the CRC-32C of the engine bytes (4 bytes, little-endian), then the bytes.
std::optional<Error> check_value(uint64_t seq, std::string_view value) {
  if (value.size() < 4) return make_error("snapshot_corrupt", "snapshot " + std::to_string(seq) + " is too short");
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= static_cast<uint32_t>(static_cast<uint8_t>(value[static_cast<size_t>(i)])) << (8 * i);
  if (crc32c(value.substr(4)) != stored) {
    return make_error("snapshot_corrupt", "snapshot " + std::to_string(seq) + " fails its checksum");
  }
  return std::nullopt;
}

}  // namespace

Result<bool> SnapshotStore::save(uint64_t seq, std::string_view engine_bytes) {
  std::string value(4, '\0');
  const uint32_t crc = crc32c(engine_bytes);
  for (int i = 0; i < 4; ++i) value[static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i));
  value.append(engine_bytes);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = journal_.db()->Put(wo, journal_.state_family(), seq_key(seq), value);
  if (!s.ok()) return io("cannot write snapshot " + std::to_string(seq), s);
  return true;
}

Result<std::vector<uint64_t>> SnapshotStore::list() const {
  std::vector<uint64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(journal_.db()->NewIterator(rocksdb::ReadOptions(), journal_.state_family()));
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    if (it->key().size() == 8) out.push_back(read_be64(it->key().ToStringView()));
  }
  if (!it->status().ok()) return io("cannot list snapshots", it->status());
  return out;
}

Result<std::string> SnapshotStore::load(uint64_t seq) const {
  std::string value;
  auto s = journal_.db()->Get(rocksdb::ReadOptions(), journal_.state_family(), seq_key(seq), &value);
  if (s.IsNotFound()) return make_error("snapshot_missing", "snapshot " + std::to_string(seq) + " does not exist");
  if (!s.ok()) return io("cannot read snapshot " + std::to_string(seq), s);
  if (auto bad = check_value(seq, value)) return *bad;
  return value.substr(4);
}

Result<bool> SnapshotStore::check(uint64_t seq) const {
  rocksdb::PinnableSlice value;
  auto s = journal_.db()->Get(rocksdb::ReadOptions(), journal_.state_family(), seq_key(seq), &value);
  if (s.IsNotFound()) return make_error("snapshot_missing", "snapshot " + std::to_string(seq) + " does not exist");
  if (!s.ok()) return io("cannot read snapshot " + std::to_string(seq), s);
  if (auto bad = check_value(seq, value.ToStringView())) return *bad;
  return true;
}

Result<bool> SnapshotStore::prune(size_t keep) {
  auto seqs = list();
  if (!seqs) return seqs.error();
  rocksdb::WriteBatch batch;
  for (size_t i = keep; i < seqs->size(); ++i) batch.Delete(journal_.state_family(), seq_key((*seqs)[i]));
  auto s = journal_.db()->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return io("cannot prune snapshots", s);
  return true;
}

}  // namespace cpx::persistence
