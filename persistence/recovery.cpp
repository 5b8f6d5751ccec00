#include "recovery.hpp"

namespace cpx::persistence {

Result<RecoveryReport> recover(const Journal& journal, const SnapshotStore& snapshots,
                               const std::function<std::unique_ptr<MatchingEngine>()>& make_engine,
                               std::unique_ptr<MatchingEngine>& engine) {
  RecoveryReport report;
  auto seqs = snapshots.list();
  if (!seqs) return seqs.error();
  engine.reset();
  for (uint64_t seq : *seqs) {
    if (seq >= journal.next_seq()) {
      report.skipped.push_back("snapshot " + std::to_string(seq) + " is newer than the journal end");
      continue;
    }
    auto bytes = snapshots.load(seq);
    if (!bytes) {
      report.skipped.push_back(bytes.error().text);
      continue;
    }
    auto candidate = make_engine();
    auto loaded = candidate->restore(*bytes);
    if (!loaded) {
      report.skipped.push_back("snapshot " + std::to_string(seq) + ": " + loaded.error().text);
      continue;
    }
    engine = std::move(candidate);
    report.snapshot_seq = seq;
    break;
  }
  if (!engine) engine = make_engine();
  auto replayed = journal.replay(report.snapshot_seq + 1, [&](uint64_t, const Command& c) { engine->apply(c); });
  if (!replayed) return replayed.error();
  report.replayed = *replayed;
  return report;
}

}  // namespace cpx::persistence
