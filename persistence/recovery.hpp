#pragma once
// Recovery (DESIGN.md §5): the newest snapshot that loads, plus a replay of the journal after it. A
// snapshot that is missing, fails its checksum or does not load is skipped (and reported) in favour of an
// older one; with none usable, the whole journal is replayed. A damaged journal is an error: recovery
// never skips commands.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpx/matching_engine.hpp"
#include "journal.hpp"
#include "snapshot_store.hpp"

namespace cpx::persistence {

struct RecoveryReport {
  uint64_t snapshot_seq = 0;      // 0: no snapshot was used
  uint64_t replayed = 0;          // journal commands applied after it
  std::vector<std::string> skipped;  // why newer snapshots were not used
};

// `make_engine` builds a new, empty engine (with the caller's listener); recovery may call it more than
// once when a snapshot turns out to be unusable. On success `engine` holds the recovered engine.
Result<RecoveryReport> recover(const Journal& journal, const SnapshotStore& snapshots,
                               const std::function<std::unique_ptr<MatchingEngine>()>& make_engine,
                               std::unique_ptr<MatchingEngine>& engine);

}  // namespace cpx::persistence
