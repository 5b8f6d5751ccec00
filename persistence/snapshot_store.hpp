#pragma once
// Engine snapshots in the journal database (`state` column family), keyed by the sequence number of the
// last command they include, each with a CRC-32C. Written with sync, like the journal.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/result.hpp"
#include "journal.hpp"

namespace cpx::persistence {

class SnapshotStore {
 public:
  explicit SnapshotStore(Journal& journal) : journal_(journal) {}

  Result<bool> save(uint64_t seq, std::string_view engine_bytes);
  // Sequence numbers of the stored snapshots, newest first.
  Result<std::vector<uint64_t>> list() const;
  // The engine bytes of one snapshot; an error when it is missing or fails its checksum.
  Result<std::string> load(uint64_t seq) const;
  // Whether one snapshot is there and passes its checksum, without copying it out (start-up checks every
  // stored snapshot, not only the one it loads).
  Result<bool> check(uint64_t seq) const;
  // Keeps the newest `keep` snapshots, deletes the rest.
  Result<bool> prune(size_t keep);

 private:
  Journal& journal_;
};

}  // namespace cpx::persistence
