// cpx-bench-journal: the durable path (docs/PRODUCT.md §5, §9). Appends the benchmark order flow to a RocksDB
// journal in batches of several sizes, each batch one atomic WriteBatch synced once (group commit), and
// measures commands/s and the fsyncs it took; then reopens a journal of --recovery-commands commands and
// replays it into a fresh engine (recovery without a snapshot). One JSON object per scenario.
// --verify-commands N[,N...] measures instead what start-up verification costs (Journal::verify: RocksDB's
// block checksums of every file, then the CRC-32C of every record) against replaying the same journal,
// for journals of N commands; --cold evicts the journal's files from the page cache before each step.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include "crc32c.hpp"
#include "journal.hpp"
#include "ledger.hpp"
#include "recovery.hpp"
#include "snapshot_store.hpp"
#include "order_flow.hpp"
#include "cpx/version.hpp"

using namespace cpx;
using namespace cpx::bench;

namespace {

namespace fs = std::filesystem;

// The first `count` commands of the benchmark market and its order flow.
std::vector<Command> command_stream(const Setup& s, size_t count, uint64_t seed) {
  std::vector<Command> out = market_commands(s, seed);
  if (out.size() < count) {
    auto ops = generate(s, count - out.size(), seed);
    out.reserve(count);
    for (const Op& op : ops) out.push_back(to_command(op, t0()));
  }
  out.resize(std::min(out.size(), count));
  return out;
}

void append_scenario(const std::string& dir, const std::vector<Command>& stream, size_t batch, size_t count) {
  fs::remove_all(dir);
  auto j = persistence::Journal::open({dir});
  if (!j) {
    std::fprintf(stderr, "%s\n", j.error().text.c_str());
    std::exit(1);
  }
  count = std::min(count, stream.size());
  uint64_t start = now_ns();
  for (size_t at = 0; at < count; at += batch) {
    size_t n = std::min(batch, count - at);
    auto r = (*j)->append(std::span<const Command>(stream.data() + at, n));
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().text.c_str());
      std::exit(1);
    }
  }
  uint64_t elapsed = now_ns() - start;
  std::printf("{\"scenario\":\"journal_append\",\"batch\":%zu,\"commands\":%zu,\"fsyncs\":%" PRIu64
              ",\"commands_per_s\":%.0f,\"us_per_fsync_batch\":%.1f}\n",
              batch, count, (*j)->syncs(), static_cast<double>(count) * 1e9 / static_cast<double>(elapsed),
              static_cast<double>(elapsed) / 1e3 / static_cast<double>((*j)->syncs()));
  std::fflush(stdout);
}

EngineConfig engine_config(const Setup& s) {
  return EngineConfig{static_cast<size_t>(s.instruments) * s.orders_per_instrument * 2, 1024};
}

// A journal written the way the exchange runs: batches journaled, applied, and a snapshot every
// `snapshot_every` commands (the newest three kept).
void write_journal(const std::string& dir, const Setup& s, size_t count, size_t snapshot_every, uint64_t seed) {
  fs::remove_all(dir);
  auto stream = command_stream(s, count, seed);
  auto j = persistence::Journal::open({dir});
  if (!j) {
    std::fprintf(stderr, "%s\n", j.error().text.c_str());
    std::exit(1);
  }
  persistence::SnapshotStore store(**j);
  CountingSink quiet;
  MatchingEngine live(quiet, engine_config(s));
  size_t next_snapshot = snapshot_every;
  for (size_t at = 0; at < stream.size(); at += 4096) {
    size_t n = std::min<size_t>(4096, stream.size() - at);
    if (!(*j)->append(std::span<const Command>(stream.data() + at, n))) std::exit(1);
    for (size_t k = 0; k < n; ++k) live.apply(stream[at + k]);
    if (snapshot_every && at + n >= next_snapshot) {
      if (!store.save(at + n, live.snapshot()) || !store.prune(3)) std::exit(1);
      next_snapshot += snapshot_every;
    }
  }
  // A settled layout, as a journal that has run a while has: no compaction left running in the background
  // while the measurements that follow read everything.
  for (auto* family : {(*j)->journal_family(), (*j)->ledger_family(), (*j)->state_family(), (*j)->meta_family()}) {
    if (!(*j)->db()->CompactRange(rocksdb::CompactRangeOptions(), family, nullptr, nullptr).ok()) std::exit(1);
  }
}

void recovery_scenario(const std::string& dir, const Setup& s, size_t count, size_t snapshot_every, uint64_t seed) {
  write_journal(dir, s, count, snapshot_every, seed);
  {
    // Recovery as a restart does it: newest snapshot plus the journal after it.
    auto j = persistence::Journal::open({dir});
    persistence::SnapshotStore store(**j);
    CountingSink sink;
    std::unique_ptr<MatchingEngine> engine;
    uint64_t start = now_ns();
    auto report = persistence::recover<MatchingEngine>(**j, store, [&] {
      return std::make_unique<MatchingEngine>(sink, EngineConfig{static_cast<size_t>(s.instruments) * s.orders_per_instrument * 2, 1024});
    }, engine);
    uint64_t elapsed = now_ns() - start;
    if (!report) std::exit(1);
    std::printf("{\"scenario\":\"recovery_from_snapshot\",\"commands\":%zu,\"snapshot_seq\":%" PRIu64
                ",\"replayed\":%" PRIu64 ",\"open_orders\":%zu,\"recovery_s\":%.2f}\n",
                count, report->snapshot_seq, report->replayed, engine->open_order_count(),
                static_cast<double>(elapsed) / 1e9);
    std::fflush(stdout);
  }
  // Decoding alone, then decoding and applying: what recovery from the journal costs.
  auto j = persistence::Journal::open({dir});
  uint64_t start = now_ns();
  uint64_t sum = 0;
  auto decoded = (*j)->replay(1, [&](uint64_t seq, const Command&) { sum += seq; });
  uint64_t decode_ns = now_ns() - start;
  CountingSink sink;
  MatchingEngine engine(sink, EngineConfig{static_cast<size_t>(s.instruments) * s.orders_per_instrument * 2, 1024});
  start = now_ns();
  auto applied = (*j)->replay(1, [&](uint64_t, const Command& c) { engine.apply(c); });
  uint64_t replay_ns = now_ns() - start;
  if (!decoded || !applied) std::exit(1);
  std::printf("{\"scenario\":\"full_replay_recovery\",\"commands\":%" PRIu64 ",\"read_decode_per_s\":%.0f,"
              "\"replay_per_s\":%.0f,\"recovery_s\":%.2f,\"open_orders_after\":%zu,\"trades\":%" PRIu64 "}\n",
              *applied, static_cast<double>(*decoded) * 1e9 / static_cast<double>(decode_ns),
              static_cast<double>(*applied) * 1e9 / static_cast<double>(replay_ns), static_cast<double>(replay_ns) / 1e9,
              engine.open_order_count(), sink.trades);
  std::fflush(stdout);
}

// Evicts the journal's files from the page cache (they are clean: RocksDB synced them), so the next step
// reads from the disk, as a start after a reboot does. Only these files: the machine's cache is left alone.
void evict(const std::string& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

volatile uint32_t crc_sink = 0;

double seconds_since(uint64_t start) { return static_cast<double>(now_ns() - start) / 1e9; }

void verify_scenario(const std::string& dir, const Setup& s, size_t count, size_t snapshot_every, uint64_t seed, bool cold) {
  write_journal(dir, s, count, snapshot_every, seed);
  uintmax_t bytes_on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) bytes_on_disk += e.file_size();
  }
  auto j = persistence::Journal::open({dir});
  if (!j) std::exit(1);
  auto step = [&] {
    if (cold) evict(dir);
    return now_ns();
  };
  // RocksDB's block checksums alone, then the whole verification (blocks again, then every record).
  uint64_t t = step();
  if (!(*j)->db()->VerifyChecksum().ok()) std::exit(1);
  const double blocks_s = seconds_since(t);
  // Twice each, alternating, the better time of each: the first read of a file costs more than the next.
  double verify_s = 1e9, verify_one_thread_s = 1e9;
  Result<persistence::JournalVerification> verified = persistence::JournalVerification{};
  for (int round = 0; round < 2; ++round) {
    t = step();
    verified = (*j)->verify();
    verify_s = std::min(verify_s, seconds_since(t));
    if (!verified) {
      std::fprintf(stderr, "%s\n", verified.error().text.c_str());
      std::exit(1);
    }
    t = step();
    if (!(*j)->verify(UINT64_MAX)) std::exit(1);  // the same on one thread
    verify_one_thread_s = std::min(verify_one_thread_s, seconds_since(t));
  }
  // The CRC arithmetic alone over the same records, in memory, per implementation.
  std::vector<std::string> records;
  records.reserve(verified->records);
  {
    std::unique_ptr<rocksdb::Iterator> it((*j)->db()->NewIterator(rocksdb::ReadOptions(), (*j)->journal_family()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) records.emplace_back(it->value().ToStringView().substr(4));
  }
  auto crc_time = [&](uint32_t (*crc)(std::string_view)) {
    uint64_t start = now_ns();
    uint32_t sink = 0;
    for (const std::string& r : records) sink ^= crc(r);
    const double took = seconds_since(start);
    crc_sink = sink;  // the results are used: the loop stays
    return took;
  };
  const double crc_bytewise_s = crc_time(persistence::crc32c_bytewise);
  const double crc_slice8_s = crc_time(persistence::crc32c_slice8);
  const double crc_hw_s = persistence::crc32c_hardware_available() ? crc_time(persistence::crc32c_hardware) : -1;
  records = {};
  // Replay from seq 1: read + check + decode, then read + check + decode + apply to a fresh engine.
  t = step();
  uint64_t sum = 0;
  auto decoded = (*j)->replay(1, [&](uint64_t seq, const Command&) { sum += seq; });
  const double decode_s = seconds_since(t);
  CountingSink sink;
  auto engine = std::make_unique<MatchingEngine>(sink, engine_config(s));
  t = step();
  auto applied = (*j)->replay(1, [&](uint64_t, const Command& c) { engine->apply(c); });
  const double replay_s = seconds_since(t);
  engine.reset();
  if (!decoded || !applied) std::exit(1);
  // A start as cpxd does it: verification, newest snapshot, journal tail.
  persistence::SnapshotStore store(**j);
  std::unique_ptr<MatchingEngine> recovered;
  t = step();
  auto report = persistence::recover<MatchingEngine>(**j, store, [&] {
    return std::make_unique<MatchingEngine>(sink, engine_config(s));
  }, recovered);
  const double recover_s = seconds_since(t);
  if (!report) std::exit(1);
  std::printf("{\"scenario\":\"startup_verification\",\"commands\":%" PRIu64 ",\"cold_cache\":%s,"
              "\"journal_record_mb\":%.1f,\"files_on_disk_mb\":%.1f,\"block_checksums_s\":%.2f,\"verify_s\":%.2f,"
              "\"verify_one_thread_s\":%.2f,"
              "\"crc_bytewise_s\":%.3f,\"crc_slice8_s\":%.3f,\"crc_hardware_s\":%.3f,"
              "\"replay_decode_s\":%.2f,\"full_replay_s\":%.2f,\"snapshot_seq\":%" PRIu64 ",\"recover_s\":%.2f}\n",
              verified->records, cold ? "true" : "false", static_cast<double>(verified->bytes) / 1e6,
              static_cast<double>(bytes_on_disk) / 1e6, blocks_s, verify_s, verify_one_thread_s, crc_bytewise_s, crc_slice8_s, crc_hw_s,
              decode_s, replay_s, report->snapshot_seq, recover_s);
  std::fflush(stdout);
}

// Ledger postings in batches: transfers between 10,000 cash accounts (funded from a bank account), posted
// in memory with every check, then the batch's changed accounts and new transfers written as one synced
// RocksDB WriteBatch in the ledger column family.
void ledger_scenario(const std::string& dir, size_t postings, size_t batch) {
  fs::remove_all(dir);
  auto j = persistence::Journal::open({dir});
  if (!j) std::exit(1);
  persistence::Ledger ledger;
  constexpr persistence::AccountId kBank = 1;
  constexpr size_t kAccounts = 10'000;
  ledger.create_account({kBank, 1, 4, 0});
  persistence::TransferId next = 1;
  for (persistence::AccountId a = 2; a < 2 + kAccounts; ++a) {
    ledger.create_account({a, 1, 1, persistence::kDebitsMustNotExceedCredits});
    persistence::Transfer t;
    t.id = next++;
    t.debit_account = kBank;
    t.credit_account = a;
    t.amount = 1'000'000'000;
    ledger.post(t);
  }
  {
    rocksdb::WriteBatch wb;
    ledger.drain_to(wb, (*j)->ledger_family());
    (*j)->db()->Write(rocksdb::WriteOptions(), &wb);
  }
  std::mt19937_64 rng(1);
  uint64_t refused = 0, syncs = 0, memory_ns = 0;
  uint64_t start = now_ns();
  for (size_t done = 0; done < postings; done += batch) {
    uint64_t m0 = now_ns();
    for (size_t k = 0; k < batch; ++k) {
      persistence::Transfer t;
      t.id = next++;
      t.debit_account = 2 + rng() % kAccounts;
      t.credit_account = 2 + rng() % kAccounts;
      if (t.credit_account == t.debit_account) t.credit_account = kBank;
      t.amount = 1 + static_cast<Money>(rng() % 10'000'000);
      t.code = 3;
      if (ledger.post(t) != persistence::LedgerResult::Ok) ++refused;
    }
    memory_ns += now_ns() - m0;
    rocksdb::WriteBatch wb;
    ledger.drain_to(wb, (*j)->ledger_family());
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (!(*j)->db()->Write(wo, &wb).ok()) std::exit(1);
    ++syncs;
  }
  uint64_t elapsed = now_ns() - start;
  std::string why;
  const bool balanced = ledger.check_invariants(why);
  std::printf("{\"scenario\":\"ledger_postings\",\"batch\":%zu,\"postings\":%zu,\"refused\":%" PRIu64
              ",\"fsyncs\":%" PRIu64 ",\"durable_postings_per_s\":%.0f,\"in_memory_postings_per_s\":%.0f,"
              "\"balanced\":%s}\n",
              batch, postings, refused, syncs, static_cast<double>(postings) * 1e9 / static_cast<double>(elapsed),
              static_cast<double>(postings) * 1e9 / static_cast<double>(memory_ns), balanced ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-bench-journal")) return 0;
  std::string dir = "var/bench-journal";
  size_t recovery_commands = 2'000'000;
  size_t scale = 1;
  size_t snapshot_every = 1'000'000;
  std::vector<size_t> verify_commands;
  bool cold = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!std::strcmp(argv[i], "--recovery-commands") && i + 1 < argc) recovery_commands = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--scale") && i + 1 < argc) scale = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--snapshot-every") && i + 1 < argc) snapshot_every = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--verify-commands") && i + 1 < argc) {
      for (char* p = argv[++i]; *p;) {
        verify_commands.push_back(std::strtoull(p, &p, 10));
        if (*p == ',') ++p;
        else if (*p) break;
      }
    } else if (!std::strcmp(argv[i], "--cold")) cold = true;
    else {
      std::fprintf(stderr, "usage: cpx-bench-journal [--dir DIR] [--recovery-commands N] [--snapshot-every N] [--scale K]\n"
                           "       cpx-bench-journal [--dir DIR] --verify-commands N[,N...] [--snapshot-every N] [--cold]\n");
      return 2;
    }
  }
  const Setup setup{1000, 1000, 50};
  if (!verify_commands.empty()) {
    for (size_t n : verify_commands) verify_scenario(dir, setup, n, snapshot_every, 42, cold);
    fs::remove_all(dir);
    return 0;
  }
  const Setup& s = setup;
  const uint64_t seed = 42;
  auto stream = command_stream(s, 1'100'000 * scale, seed);
  // Bigger batches get more commands so each scenario runs long enough to measure.
  append_scenario(dir, stream, 1, 3'000 * scale);
  append_scenario(dir, stream, 16, 30'000 * scale);
  append_scenario(dir, stream, 128, 200'000 * scale);
  append_scenario(dir, stream, 1024, 1'000'000 * scale);
  append_scenario(dir, stream, 4096, 1'000'000 * scale);
  ledger_scenario(dir, 2'000'000 * scale, 8192);
  ledger_scenario(dir, 2'000'000 * scale, 65536);
  if (recovery_commands > 0) recovery_scenario(dir, s, recovery_commands, snapshot_every, seed);
  fs::remove_all(dir);
  return 0;
}
