#pragma once
// Recovery (docs/PRODUCT.md §5): first everything kept is checked, then the newest snapshot that loads, plus a
// replay of the journal after it.
//
// The check (Journal::verify) covers what the restart would otherwise never read: RocksDB's block
// checksums of every file (ledger, snapshots, meta included) and the CRC-32C and gap-free key of every
// journal record from seq 1, also those under the snapshot. Any damage there fails the recovery with an
// error naming the seq or the file: the journal is the exchange's record, and a damaged record under a
// snapshot would otherwise surface only at the next full replay (an audit, a rebuild), long after the
// backups that could repair it were rotated. docs/OPERATIONS.md says what the operator does.
//
// A snapshot is only a shortcut through the journal (which was just checked in full), so a damaged one
// does not stop the start: a snapshot that is missing, fails its checksum or does not load is skipped in
// favour of an older one; with none usable, the whole journal is replayed. Every stored snapshot's
// checksum is checked, also older ones that are not needed, and each bad one is reported in `skipped`.
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
  uint64_t verified = 0;             // journal records whose checksum was checked at start (all of them)
  std::vector<std::string> skipped;  // snapshots not used and why: newer ones that did not load, older ones
                                     // that fail their checksum
};

// `Machine` is anything with apply(const Command&) and restore(bytes) -> Result: the MatchingEngine or
// the whole Exchange. `make` builds a new, empty one (with the caller's listener); recovery may call it
// more than once when a snapshot turns out to be unusable. On success `out` holds the recovered machine.
template <class Machine>
Result<RecoveryReport> recover(const Journal& journal, const SnapshotStore& snapshots,
                               const std::function<std::unique_ptr<Machine>()>& make, std::unique_ptr<Machine>& out) {
  RecoveryReport report;
  out.reset();
  auto verified = journal.verify();
  if (!verified) return verified.error();
  report.verified = verified->records;
  auto seqs = snapshots.list();
  if (!seqs) return seqs.error();
  for (uint64_t seq : *seqs) {
    if (seq >= journal.next_seq()) {
      // Snapshots are saved only after their commands are synced: the journal has lost commands.
      return make_error("journal_short", "snapshot " + std::to_string(seq) + " is newer than the journal, which ends at " +
                                             std::to_string(journal.next_seq() - 1));
    }
    if (out) {
      auto checked = snapshots.check(seq);
      if (!checked) report.skipped.push_back(checked.error().text);
      continue;
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
  }
  if (!out) out = make();
  auto replayed = journal.replay(report.snapshot_seq + 1, [&](uint64_t, const Command& c) { out->apply(c); });
  if (!replayed) return replayed.error();
  report.replayed = *replayed;
  return report;
}

}  // namespace cpx::persistence
