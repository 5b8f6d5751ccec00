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

#include "journal.hpp"
#include "snapshot_store.hpp"

namespace cpx::persistence {

struct RecoveryReport {
  uint64_t snapshot_seq = 0;         // 0: no snapshot was used
  uint64_t replayed = 0;             // journal commands applied after it
  std::vector<std::string> skipped;  // why newer snapshots were not used
};

// `Machine` is anything with apply(const Command&) and restore(bytes) -> Result: the MatchingEngine or
// the whole Exchange. `make` builds a new, empty one (with the caller's listener); recovery may call it
// more than once when a snapshot turns out to be unusable. On success `out` holds the recovered machine.
template <class Machine>
Result<RecoveryReport> recover(const Journal& journal, const SnapshotStore& snapshots,
                               const std::function<std::unique_ptr<Machine>()>& make, std::unique_ptr<Machine>& out) {
  RecoveryReport report;
  auto seqs = snapshots.list();
  if (!seqs) return seqs.error();
  out.reset();
  for (uint64_t seq : *seqs) {
    if (seq >= journal.next_seq()) {
      // Snapshots are saved only after their commands are synced: the journal has lost commands.
      return make_error("journal_short", "snapshot " + std::to_string(seq) + " is newer than the journal, which ends at " +
                                             std::to_string(journal.next_seq() - 1));
    }
    auto bytes = snapshots.load(seq);
    if (!bytes) {
      report.skipped.push_back(bytes.error().text);
      continue;
    }
    auto candidate = make();
    auto loaded = candidate->restore(*bytes);
    if (!loaded) {
      report.skipped.push_back("snapshot " + std::to_string(seq) + ": " + loaded.error().text);
      continue;
    }
    out = std::move(candidate);
    report.snapshot_seq = seq;
    break;
  }
  if (!out) out = make();
  auto replayed = journal.replay(report.snapshot_seq + 1, [&](uint64_t, const Command& c) { out->apply(c); });
  if (!replayed) return replayed.error();
  report.replayed = *replayed;
  return report;
}

}  // namespace cpx::persistence
