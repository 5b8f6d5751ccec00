// The durable journal: command encoding, batches with one sync, reopen, gap and corruption detection,
// recovery by replay giving the same engine state as the live run; a full disk (a failed batch kept and
// written again, never an abort), a torn write-ahead log tail refused unless accepted, every record and
// file checked at start; CRC-32C against known vectors.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>
#include <unistd.h>

#include "command_codec.hpp"
#include "crc32c.hpp"
#include "cpx/matching_engine.hpp"
#include "event_text.hpp"
#include "full_disk.hpp"
#include "journal.hpp"
#include "recovery.hpp"
#include "rocks_logger.hpp"
#include "snapshot_store.hpp"
#include "json/event_fanout.hpp"
#include "random_stream.hpp"

namespace cpx::test {
namespace {

namespace fs = std::filesystem;
using persistence::decode_command;
using persistence::encode_command;
using persistence::Journal;

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() / ("cpx-journal-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// Every command the random streams and the market setup produce, plus every kind at least once.
std::vector<Command> sample_commands(uint32_t seed, int n) {
  std::vector<Command> out = market_setup();
  KnownOrders known;
  Generator gen(seed, known);
  for (int i = 0; i < n; ++i) out.push_back(gen.next());
  out.push_back(MassCancel{5, 1, kNoParticipant, 3});
  out.push_back(SetInstrumentState{6, 0, 2, StateAction::Resume});
  out.push_back(SetReferencePrice{7, 0, 1, 185000});
  out.push_back(AdvanceTime{8});
  out.push_back(SetFees{9, 0, 5, 10});
  out.push_back(Deposit{10, 6, 3, 123'456});
  out.push_back(Withdraw{11, 6, 3, 654});
  out.push_back(SetRevenueShare{12, 6, 1, {{1, 8000}, {2, 2000}}});
  out.push_back(DeliveryReport{13, 1, 42, 240});
  out.push_back(Dispute{14, 3, 42});
  out.push_back(ResolveDispute{15, 6, 42, 120});
  out.push_back(AddLink{16, 6, "NM", "JJJ", 8, 400, 200, 5});
  RoutedOrder routed;
  routed.ts = 17;
  routed.participant = 3;
  routed.cl_ord_id.assign("route-1");
  routed.tif = TimeInForce::FOK;
  routed.query.classes = {0, 1};
  routed.query.regions = {4, 6};
  routed.query.origin = 2;
  routed.query.max_latency_ms = 15;
  routed.query.local_only = true;
  routed.query.jurisdictions = {"CN-NM", "CN-GS"};
  routed.query.min_green_share = 4500;
  routed.query.data_gb = 5000;
  routed.query.scu = 63'296;
  routed.query.window_start = 1'000;
  routed.query.window_end = 2'000;
  routed.query.limit_per_scu_hour = 1'950'000;
  out.push_back(routed);
  out.push_back(OpenAuction{18, 0, 1'000 * kNanosPerDay, 999 * kNanosPerDay});
  AuctionOffer offer;
  offer.ts = 19;
  offer.participant = 1;
  offer.cl_ord_id.assign("offer-1");
  offer.day_start = 1'000 * kNanosPerDay;
  offer.region = 4;
  offer.chip_class = 2;
  offer.hour = 13;
  offer.devices = 64;
  offer.price = 185'000;
  out.push_back(offer);
  AuctionBid bid;
  bid.ts = 20;
  bid.participant = 3;
  bid.cl_ord_id.assign("bid-1");
  bid.day_start = 1'000 * kNanosPerDay;
  bid.first_hour = 2;
  bid.hours = 6;
  bid.min_ratio_bps = 5'000;
  bid.constraints = routed.query;
  out.push_back(bid);
  out.push_back(CancelAuctionOrder{21, 3, 1'000 * kNanosPerDay, 77});
  ClearAuction clear;
  clear.ts = 22;
  clear.day_start = 1'000 * kNanosPerDay;
  clear.result.zone_price = {1, 2, 3};
  clear.result.congestion = {0, 5};
  clear.result.allocations = {{0, 3, 8}, {1, 2, 4}};
  clear.result.acceptances = {{0, 12}};
  clear.result.paradoxically_rejected = {2};
  clear.summary = {123'456'789, 4'200, 1'700, true, 31, 2, 95};
  out.push_back(clear);
  out.push_back(ClearAuction{23, 0, 1'000 * kNanosPerDay, true, {}});
  return out;
}

std::string bytes_of(const Command& c) {
  std::string s;
  encode_command(c, s);
  return s;
}

TEST(CommandCodec, RoundTripsEveryCommandExactly) {
  std::set<size_t> kinds;
  for (const Command& c : sample_commands(1, 3000)) {
    std::string bytes = bytes_of(c);
    auto back = decode_command(bytes);
    ASSERT_TRUE(back.ok()) << back.error().text;
    EXPECT_EQ(back->index(), c.index());
    EXPECT_EQ(bytes_of(*back), bytes);  // every field survived
    kinds.insert(c.index());
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<Command>);
}

// Journals written before clearing summaries existed end a ClearAuction after its result; they must
// still replay, with an empty summary.
TEST(CommandCodec, ClearAuctionWithoutSummaryFromOlderJournalsDecodes) {
  ClearAuction c;
  c.ts = 22;
  c.day_start = 1'000 * kNanosPerDay;
  c.result.zone_price = {7, 8};
  c.summary = {5, 6, 7, true, 8, 9, 10, true};
  const std::string full = bytes_of(c);
  const std::string old = full.substr(0, full.size() - (6 * 8 + 2));  // without the summary
  auto back = decode_command(old);
  ASSERT_TRUE(back.ok()) << back.error().text;
  const auto& got = std::get<ClearAuction>(*back);
  EXPECT_EQ(got.result.zone_price, c.result.zone_price);
  EXPECT_EQ(got.summary.welfare, 0);
  EXPECT_FALSE(got.summary.proven_optimal);
  auto whole = decode_command(full);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(std::get<ClearAuction>(*whole).summary.gap_ppb, 10);
  EXPECT_EQ(std::get<ClearAuction>(*whole).summary.mip_nodes, 8);
  EXPECT_TRUE(std::get<ClearAuction>(*whole).summary.time_limited);
  EXPECT_FALSE(decode_command(full.substr(0, full.size() - 3)).ok());  // a torn summary is damage
}

TEST(CommandCodec, DamagedRecordsAreErrorsNotCrashes) {
  NewOrder n;
  n.ts = 42;
  n.participant = 3;
  n.instrument = 1;
  n.cl_ord_id.assign("abc");
  n.price = 185000;
  n.qty = 4;
  const std::string good = bytes_of(n);
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(decode_command(good.substr(0, len)).ok()) << "prefix of " << len << " bytes decoded";
  }
  EXPECT_EQ(decode_command(good + "x").error().text, "journal record has trailing bytes");
  std::string wrong_version = good;
  wrong_version[0] = 9;
  EXPECT_EQ(decode_command(wrong_version).error().code, "journal_version");
  std::string wrong_kind = good;
  wrong_kind[1] = 77;
  EXPECT_EQ(decode_command(wrong_kind).error().code, "journal_corrupt");
  std::string wrong_side = good;
  wrong_side[2 + 8 + 4 + 4 + 4 + 3] = 5;  // the side byte after ts, ids and the 3-byte client id
  EXPECT_EQ(decode_command(wrong_side).error().code, "journal_corrupt");
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string junk = good;
    junk[rng() % junk.size()] = static_cast<char>(rng());
    auto r = decode_command(junk);  // may decode to another valid command; must never crash
    if (!r.ok()) {
      EXPECT_FALSE(r.error().text.empty());
    }
  }
}

TEST(Journal, BatchesGetGapFreeSequenceNumbersAndOneSyncEach) {
  TempDir dir;
  auto commands = sample_commands(2, 500);
  {
    auto j = Journal::open({dir.str()});
    ASSERT_TRUE(j.ok()) << j.error().text;
    EXPECT_EQ((*j)->next_seq(), 1u);
    size_t at = 0;
    std::vector<size_t> sizes{1, 7, 64, 200};
    for (size_t k = 0; at < commands.size(); ++k) {
      size_t n = std::min(sizes[k % sizes.size()], commands.size() - at);
      auto first = (*j)->append(std::span<const Command>(commands.data() + at, n));
      ASSERT_TRUE(first.ok()) << first.error().text;
      EXPECT_EQ(*first, at + 1);
      at += n;
      EXPECT_EQ((*j)->syncs(), k + 1);
    }
    EXPECT_EQ((*j)->next_seq(), commands.size() + 1);
  }
  auto j = Journal::open({dir.str()});
  ASSERT_TRUE(j.ok()) << j.error().text;
  EXPECT_EQ((*j)->next_seq(), commands.size() + 1);
  std::vector<std::string> seen;
  auto n = (*j)->replay(1, [&](uint64_t seq, const Command& c) {
    EXPECT_EQ(seq, seen.size() + 1);
    seen.push_back(bytes_of(c));
  });
  ASSERT_TRUE(n.ok()) << n.error().text;
  ASSERT_EQ(*n, commands.size());
  for (size_t i = 0; i < commands.size(); ++i) EXPECT_EQ(seen[i], bytes_of(commands[i])) << "seq " << i + 1;
  // Replay from the middle visits the tail only.
  uint64_t tail = 0;
  ASSERT_TRUE((*j)->replay(101, [&](uint64_t, const Command&) { ++tail; }).ok());
  EXPECT_EQ(tail, commands.size() - 100);
}

TEST(Journal, AGapIsAnErrorNamingTheMissingSequence) {
  TempDir dir;
  auto j = Journal::open({dir.str()});
  ASSERT_TRUE(j.ok());
  auto commands = sample_commands(3, 20);
  ASSERT_TRUE((*j)->append(commands).ok());
  // Remove seq 7 behind the journal's back.
  ASSERT_TRUE((*j)->db()->Delete(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(7)).ok());
  auto r = (*j)->replay(1, [](uint64_t, const Command&) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "journal_gap");
  EXPECT_EQ(r.error().text, "journal gap: expected seq 7, found 8");
}

TEST(Journal, ACorruptRecordIsAnErrorNamingItsSequence) {
  TempDir dir;
  auto j = Journal::open({dir.str()});
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->append(sample_commands(4, 20)).ok());
  ASSERT_TRUE((*j)->db()->Put(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(5),
                              std::string("\x01\x02\x03\x04garbage", 11)).ok());
  std::vector<uint64_t> visited;
  auto r = (*j)->replay(1, [&](uint64_t seq, const Command&) { visited.push_back(seq); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "journal_corrupt");
  EXPECT_EQ(r.error().text, "journal record 5 fails its checksum");
  EXPECT_EQ(visited.size(), 4u);  // stops there: nothing after a bad record is applied
}

// verify() reads the records in ranges on several threads; damage anywhere, also at a range's first or
// last seq, is found and the lowest seq named, whatever the split.
TEST(Journal, VerifyFindsDamageInAnyRangeAndNamesTheLowestSeq) {
  TempDir dir;
  auto j = Journal::open({dir.str()});
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->append(sample_commands(5, 400)).ok());
  const uint64_t n = (*j)->next_seq() - 1;
  ASSERT_GT(n, 400u);
  for (uint64_t per_thread : {uint64_t{1}, uint64_t{100}, n / 2, n}) {
    auto ok = (*j)->verify(per_thread);
    ASSERT_TRUE(ok.ok()) << ok.error().text;
    EXPECT_EQ(ok->records, n);
  }
  rocksdb::DB& db = *(*j)->db();
  std::string bad = std::string("\x01\x02\x03\x04garbage", 11);
  // With two ranges of n/2 the second starts at 1 + n/2: damage its first seq, the one before, the last.
  const uint64_t mid = 1 + n / 2;
  for (uint64_t victim : {mid, mid - 1, n, uint64_t{1}}) {
    std::string kept;
    ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), (*j)->journal_family(), persistence::seq_key(victim), &kept).ok());
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(victim), bad).ok());
    for (uint64_t per_thread : {uint64_t{1}, n / 2, n}) {
      auto r = (*j)->verify(per_thread);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().text, "journal record " + std::to_string(victim) + " fails its checksum") << per_thread;
    }
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(victim)).ok());
    for (uint64_t per_thread : {uint64_t{1}, n / 2, n}) {
      auto r = (*j)->verify(per_thread);
      ASSERT_FALSE(r.ok());
      const std::string want = victim == n ? "journal ends at seq " + std::to_string(n - 1) + " but " + std::to_string(n) + " were written"
                                           : "journal gap: expected seq " + std::to_string(victim) + ", found " + std::to_string(victim + 1);
      EXPECT_EQ(r.error().text, want) << per_thread;
    }
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(victim), kept).ok());
  }
  // Two damaged records in different ranges: the lower one is named.
  for (uint64_t victim : {n - 3, uint64_t{7}}) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(victim), bad).ok());
  }
  EXPECT_EQ((*j)->verify(n / 2).error().text, "journal record 7 fails its checksum");
}

TEST(Journal, RecoveryByReplayGivesTheSameStateAndEvents) {
  // Property over seeded random streams: run live while journaling in random batch sizes; then a fresh
  // engine replaying the journal ends with the same state hash and emits the same events.
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    TempDir dir;
    EventText live_events;
    KnownOrders known;
    api::EventFanout fan{&live_events, &known};
    MatchingEngine live(fan);
    std::mt19937_64 rng(seed);
    {
      auto j = Journal::open({dir.str()});
      ASSERT_TRUE(j.ok()) << j.error().text;
      std::vector<Command> batch = market_setup();
      Generator gen(seed, known);
      for (int i = 0; i < 2000;) {
        ASSERT_TRUE((*j)->append(batch).ok());
        for (const Command& c : batch) live.apply(c);  // applied only after the batch is durable
        batch.clear();
        size_t n = 1 + rng() % 50;
        for (size_t k = 0; k < n && i < 2000; ++k, ++i) batch.push_back(gen.next());
      }
      ASSERT_TRUE((*j)->append(batch).ok());
      for (const Command& c : batch) live.apply(c);
    }
    auto j = Journal::open({dir.str()});
    ASSERT_TRUE(j.ok()) << j.error().text;
    EventText replayed_events;
    MatchingEngine recovered(replayed_events);
    ASSERT_TRUE((*j)->replay(1, [&](uint64_t, const Command& c) { recovered.apply(c); }).ok());
    EXPECT_EQ(recovered.state_hash(), live.state_hash()) << "seed " << seed;
    EXPECT_EQ(replayed_events.lines, live_events.lines) << "seed " << seed;
    EXPECT_GT(live.open_order_count() + live_events.lines.size(), 0u);
  }
}

// A journaled run with a snapshot after every few batches; returns the live engine's final hash.
uint64_t run_with_snapshots(const std::string& dir, uint32_t seed, int commands, std::vector<uint64_t>& snapshot_seqs) {
  EventText sink;
  KnownOrders known;
  api::EventFanout fan{&sink, &known};
  MatchingEngine live(fan, EngineConfig{256, 16});
  auto j = Journal::open({dir});
  EXPECT_TRUE(j.ok());
  persistence::SnapshotStore store(**j);
  std::mt19937_64 rng(seed);
  Generator gen(seed, known);
  std::vector<Command> batch = market_setup();
  for (int i = 0; i < commands;) {
    EXPECT_TRUE((*j)->append(batch).ok());
    for (const Command& c : batch) live.apply(c);
    if (rng() % 8 == 0) {
      const uint64_t seq = (*j)->next_seq() - 1;
      EXPECT_TRUE(store.save(seq, live.snapshot()).ok());
      snapshot_seqs.push_back(seq);
    }
    batch.clear();
    for (size_t k = 0, n = 1 + rng() % 40; k < n && i < commands; ++k, ++i) batch.push_back(gen.next());
  }
  EXPECT_TRUE((*j)->append(batch).ok());
  for (const Command& c : batch) live.apply(c);
  return live.state_hash();
}

struct Recovered {
  persistence::RecoveryReport report;
  uint64_t hash = 0;
};

Recovered recover_from(const std::string& dir) {
  auto j = Journal::open({dir});
  EXPECT_TRUE(j.ok()) << j.error().text;
  persistence::SnapshotStore store(**j);
  EventText sink;
  std::unique_ptr<MatchingEngine> engine;
  auto report = persistence::recover<MatchingEngine>(
      **j, store, [&] { return std::make_unique<MatchingEngine>(sink, EngineConfig{256, 16}); }, engine);
  EXPECT_TRUE(report.ok()) << report.error().text;
  return {report.ok() ? *report : persistence::RecoveryReport{}, engine ? engine->state_hash() : 0};
}

void corrupt_snapshot(const std::string& dir, uint64_t seq) {
  auto j = Journal::open({dir});
  ASSERT_TRUE(j.ok());
  std::string value;
  ASSERT_TRUE((*j)->db()->Get(rocksdb::ReadOptions(), (*j)->state_family(), persistence::seq_key(seq), &value).ok());
  value[value.size() / 2] ^= 0x5a;
  ASSERT_TRUE((*j)->db()->Put(rocksdb::WriteOptions(), (*j)->state_family(), persistence::seq_key(seq), value).ok());
}

TEST(Recovery, NewestSnapshotPlusJournalTailGivesTheLiveHash) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    TempDir dir;
    std::vector<uint64_t> snaps;
    const uint64_t live = run_with_snapshots(dir.str(), seed, 2500, snaps);
    ASSERT_FALSE(snaps.empty()) << "seed " << seed;
    Recovered r = recover_from(dir.str());
    EXPECT_EQ(r.hash, live) << "seed " << seed;
    EXPECT_EQ(r.report.snapshot_seq, snaps.back());
    EXPECT_TRUE(r.report.skipped.empty());
    auto j = Journal::open({dir.str()});
    EXPECT_EQ(r.report.replayed, (*j)->next_seq() - 1 - snaps.back());
  }
}

TEST(Recovery, ACorruptSnapshotFallsBackToAnOlderOne) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  const uint64_t live = run_with_snapshots(dir.str(), 11, 3000, snaps);
  ASSERT_GE(snaps.size(), 2u);
  corrupt_snapshot(dir.str(), snaps.back());
  Recovered r = recover_from(dir.str());
  EXPECT_EQ(r.hash, live);
  EXPECT_EQ(r.report.snapshot_seq, snaps[snaps.size() - 2]);
  ASSERT_EQ(r.report.skipped.size(), 1u);
  EXPECT_EQ(r.report.skipped[0], "snapshot " + std::to_string(snaps.back()) + " fails its checksum");
}

TEST(Recovery, WithNoUsableSnapshotTheWholeJournalIsReplayed) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  const uint64_t live = run_with_snapshots(dir.str(), 12, 2000, snaps);
  ASSERT_FALSE(snaps.empty());
  for (uint64_t seq : snaps) corrupt_snapshot(dir.str(), seq);
  Recovered r = recover_from(dir.str());
  EXPECT_EQ(r.hash, live);
  EXPECT_EQ(r.report.snapshot_seq, 0u);
  EXPECT_EQ(r.report.skipped.size(), snaps.size());
  auto j = Journal::open({dir.str()});
  EXPECT_EQ(r.report.replayed, (*j)->next_seq() - 1);
}

TEST(Recovery, ASnapshotNewerThanTheJournalIsAnError) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  run_with_snapshots(dir.str(), 14, 500, snaps);
  auto j = Journal::open({dir.str()});
  ASSERT_TRUE(j.ok());
  persistence::SnapshotStore store(**j);
  ASSERT_TRUE(store.save((*j)->next_seq() + 10, "whatever").ok());
  EventText sink;
  std::unique_ptr<MatchingEngine> engine;
  auto report = persistence::recover<MatchingEngine>(
      **j, store, [&] { return std::make_unique<MatchingEngine>(sink, EngineConfig{256, 16}); }, engine);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, "journal_short");
}

Result<persistence::RecoveryReport> try_recover(const std::string& dir) {
  auto j = Journal::open({dir});
  if (!j) return j.error();
  persistence::SnapshotStore store(**j);
  EventText sink;
  std::unique_ptr<MatchingEngine> engine;
  return persistence::recover<MatchingEngine>(
      **j, store, [&] { return std::make_unique<MatchingEngine>(sink, EngineConfig{256, 16}); }, engine);
}

// Start-up checks what a restart from the newest snapshot never reads.
TEST(Recovery, ACorruptRecordUnderTheSnapshotFailsTheStart) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  run_with_snapshots(dir.str(), 15, 2500, snaps);
  ASSERT_FALSE(snaps.empty());
  const uint64_t victim = snaps.back() / 2;
  {
    auto j = Journal::open({dir.str()});
    std::string value;
    ASSERT_TRUE((*j)->db()->Get(rocksdb::ReadOptions(), (*j)->journal_family(), persistence::seq_key(victim), &value).ok());
    value[value.size() - 1] ^= 0x01;  // one bit of the command; its CRC no longer matches
    ASSERT_TRUE((*j)->db()->Put(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(victim), value).ok());
  }
  auto r = try_recover(dir.str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "journal_corrupt");
  EXPECT_EQ(r.error().text, "journal record " + std::to_string(victim) + " fails its checksum");
}

TEST(Recovery, AGapUnderTheSnapshotFailsTheStart) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  run_with_snapshots(dir.str(), 16, 2500, snaps);
  ASSERT_FALSE(snaps.empty());
  const uint64_t victim = snaps.back() / 2;
  {
    auto j = Journal::open({dir.str()});
    ASSERT_TRUE((*j)->db()->Delete(rocksdb::WriteOptions(), (*j)->journal_family(), persistence::seq_key(victim)).ok());
  }
  auto r = try_recover(dir.str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "journal_gap");
  EXPECT_EQ(r.error().text, "journal gap: expected seq " + std::to_string(victim) + ", found " + std::to_string(victim + 1));
}

TEST(Recovery, EveryRecordIsCountedAsVerified) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  run_with_snapshots(dir.str(), 17, 1500, snaps);
  Recovered r = recover_from(dir.str());
  auto j = Journal::open({dir.str()});
  EXPECT_EQ(r.report.verified, (*j)->next_seq() - 1);
  EXPECT_GT(r.report.snapshot_seq, 0u);
}

TEST(Recovery, AnOlderDamagedSnapshotIsReportedThoughTheNewestIsUsed) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  const uint64_t live = run_with_snapshots(dir.str(), 18, 3000, snaps);
  ASSERT_GE(snaps.size(), 2u);
  corrupt_snapshot(dir.str(), snaps.front());
  Recovered r = recover_from(dir.str());
  EXPECT_EQ(r.hash, live);
  EXPECT_EQ(r.report.snapshot_seq, snaps.back());
  ASSERT_EQ(r.report.skipped.size(), 1u);
  EXPECT_EQ(r.report.skipped[0], "snapshot " + std::to_string(snaps.front()) + " fails its checksum");
}

// The ledger family is never read at start (replay rebuilds the ledger): only RocksDB's block checksums,
// checked in full at start, see a damaged table file there.
TEST(Recovery, ADamagedTableFileInAnyColumnFamilyFailsTheStart) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  run_with_snapshots(dir.str(), 19, 500, snaps);
  std::string table;
  {
    auto j = Journal::open({dir.str()});
    rocksdb::DB& db = *(*j)->db();
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), (*j)->ledger_family(), "t" + persistence::seq_key(static_cast<uint64_t>(i)),
                         std::string(100, static_cast<char>('a' + i % 26))).ok());
    }
    ASSERT_TRUE(db.Flush(rocksdb::FlushOptions(), (*j)->ledger_family()).ok());
    std::vector<rocksdb::LiveFileMetaData> files;
    db.GetLiveFilesMetaData(&files);
    for (const auto& f : files) {
      if (f.column_family_name == "ledger") table = f.db_path + f.name;
    }
  }
  ASSERT_FALSE(table.empty());
  ASSERT_TRUE(try_recover(dir.str()).ok());
  {
    std::fstream f(table, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    const char c = static_cast<char>(f.get());
    f.seekp(100);
    f.put(static_cast<char>(c ^ 0x10));
  }
  auto r = try_recover(dir.str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "journal_corrupt");
  EXPECT_NE(r.error().text.find(fs::path(table).filename().string()), std::string::npos) << r.error().text;
}

TEST(Recovery, PruneKeepsTheNewestSnapshots) {
  TempDir dir;
  std::vector<uint64_t> snaps;
  run_with_snapshots(dir.str(), 13, 3000, snaps);
  ASSERT_GE(snaps.size(), 3u);
  auto j = Journal::open({dir.str()});
  persistence::SnapshotStore store(**j);
  ASSERT_TRUE(store.prune(2).ok());
  auto left = store.list();
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, (std::vector<uint64_t>{snaps[snaps.size() - 1], snaps[snaps.size() - 2]}));
}


// ---- CRC-32C: every implementation gives the reference's result.

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) B.4 and the usual check value.
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, '\0'), down(32, '\0');
  for (int i = 0; i < 32; ++i) {
    up[static_cast<size_t>(i)] = static_cast<char>(i);
    down[static_cast<size_t>(i)] = static_cast<char>(31 - i);
  }
  const std::vector<std::pair<std::string, uint32_t>> vectors = {
      {"", 0x00000000u}, {"123456789", 0xE3069283u}, {zeros, 0x8A9136AAu},
      {ones, 0x62A8AB43u}, {up, 0x46DD794Eu}, {down, 0x113FDB5Cu}};
  for (const auto& [data, want] : vectors) {
    EXPECT_EQ(persistence::crc32c_bytewise(data), want);
    EXPECT_EQ(persistence::crc32c_slice8(data), want);
    EXPECT_EQ(persistence::crc32c(data), want);
    if (persistence::crc32c_hardware_available()) {
      EXPECT_EQ(persistence::crc32c_hardware(data), want);
    }
  }
}

TEST(Crc32c, FastPathsEqualTheReferenceAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(5);
  std::string buffer(4096 + 16, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len <= 300; ++len) {
      std::string_view d(buffer.data() + offset, len);
      const uint32_t want = persistence::crc32c_bytewise(d);
      ASSERT_EQ(persistence::crc32c_slice8(d), want) << offset << "+" << len;
      ASSERT_EQ(persistence::crc32c(d), want) << offset << "+" << len;
      if (persistence::crc32c_hardware_available()) {
        ASSERT_EQ(persistence::crc32c_hardware(d), want);
      }
    }
  }
  std::string_view all(buffer.data() + 3, 4096);
  EXPECT_EQ(persistence::crc32c(all), persistence::crc32c_bytewise(all));
}

// ---- A full disk: RocksDB through a file system that fails on demand (tests/full_disk.hpp).


// A marker posting in the ledger family, standing for what Ledger::drain_to adds to a batch.
auto posting(const Journal& j, std::string key) {
  return [&j, key = std::move(key)](rocksdb::WriteBatch& b) { b.Put(j.ledger_family(), key, "drained"); };
}

// Retries until the batch is written: RocksDB recovers from a full disk on its own thread, and Resume()
// answers busy meanwhile. No timing is asserted; the bound only stops a broken build from hanging.
Result<uint64_t> retry_until_written(Journal& j) {
  Result<uint64_t> r = make_error("not_tried", "");
  for (int attempt = 0; attempt < 1200; ++attempt) {
    r = j.retry_pending();
    if (r.ok()) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return r;
}

TEST(JournalDiskFull, AFailedBatchIsKeptRefusesNewOnesAndIsWrittenOnceThereIsRoom) {
  TempDir dir;
  FullDisk disk;
  auto& fs = disk.fs;
  auto commands = sample_commands(21, 40);
  ASSERT_GE(commands.size(), 30u);
  std::span<const Command> all(commands);
  uint64_t stuck_first = 0;
  {
    auto opened = Journal::open(disk.options(dir.str()));
    ASSERT_TRUE(opened.ok()) << opened.error().text;
    Journal& j = **opened;
    ASSERT_TRUE(j.append(all.subspan(0, 10), posting(j, "p1")).ok());
    EXPECT_FALSE(j.has_pending());
    EXPECT_EQ(j.retry_pending().error().code, "journal_no_pending");

    fs->full = true;
    auto failed = j.append(all.subspan(10, 5), posting(j, "p2"));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, "journal_no_space") << failed.error().text;
    EXPECT_NE(j.last_error().find("No space"), std::string::npos) << j.last_error();
    EXPECT_EQ(j.next_seq(), 11u);  // nothing moved
    EXPECT_TRUE(j.has_pending());
    stuck_first = j.next_seq();

    auto refused = j.append(all.subspan(15, 1), posting(j, "never"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "journal_pending");
    auto still = j.retry_pending();  // the disk is still full
    ASSERT_FALSE(still.ok());
    EXPECT_TRUE(j.has_pending());
    EXPECT_EQ(j.next_seq(), 11u);

    fs->full = false;
    auto written = retry_until_written(j);
    ASSERT_TRUE(written.ok()) << written.error().text;
    EXPECT_EQ(*written, stuck_first);
    EXPECT_EQ(j.next_seq(), 16u);
    EXPECT_FALSE(j.has_pending());
    auto next = j.append(all.subspan(16, 4), posting(j, "p3"));
    ASSERT_TRUE(next.ok()) << next.error().text;
    EXPECT_EQ(*next, 16u);
  }
  // Reopened on the ordinary file system: every record with its seq, the postings of every written batch,
  // nothing of the refused one.
  auto j = Journal::open({dir.str()});
  ASSERT_TRUE(j.ok()) << j.error().text;
  EXPECT_EQ((*j)->next_seq(), 20u);
  std::vector<size_t> source;  // index into `commands` of each seq
  for (size_t i = 0; i < 15; ++i) source.push_back(i);
  for (size_t i = 16; i < 20; ++i) source.push_back(i);
  uint64_t seen = 0;
  auto n = (*j)->replay(1, [&](uint64_t seq, const Command& c) {
    ASSERT_EQ(seq, seen + 1);
    EXPECT_EQ(bytes_of(c), bytes_of(commands[source[seen]])) << "seq " << seq;
    ++seen;
  });
  ASSERT_TRUE(n.ok()) << n.error().text;
  EXPECT_EQ(*n, 19u);
  std::string value;
  for (const char* key : {"p1", "p2", "p3"}) {
    EXPECT_TRUE((*j)->db()->Get(rocksdb::ReadOptions(), (*j)->ledger_family(), key, &value).ok()) << key;
  }
  EXPECT_TRUE((*j)->db()->Get(rocksdb::ReadOptions(), (*j)->ledger_family(), "never", &value).IsNotFound());
  EXPECT_TRUE((*j)->verify().ok());
}

// RocksDB's own LOG file, written through its WritableFileWriter, aborts the process (an assertion in
// Debian's build) on the line after a failed write to it. Run in a child process: the test fails if it
// dies (it does, exit 134, when the journal leaves RocksDB its default info log).
void full_disk_session() {
  TempDir dir;
  FullDisk disk;
  auto& fs = disk.fs;
  auto opened = Journal::open(disk.options(dir.str()));
  if (!opened) std::exit(3);
  Journal& j = **opened;
  auto commands = sample_commands(22, 10);
  if (!j.append(commands).ok()) std::exit(4);
  fs->full = true;
  // A memtable flush that fails: RocksDB logs the error and flushes its log at the end of the job, which
  // is the failed write that arms the assertion; the next log line would abort.
  (void)j.db()->Flush(rocksdb::FlushOptions());
  if (j.append(commands).ok()) std::exit(5);
  for (int i = 0; i < 20; ++i) {
    if (j.retry_pending().ok()) std::exit(6);
  }
  fs->full = false;
  if (!retry_until_written(j).ok()) std::exit(7);
  std::exit(0);
}

TEST(JournalDiskFull, NeverAbortsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // RocksDB's threads: the child starts afresh
  EXPECT_EXIT(full_disk_session(), ::testing::ExitedWithCode(0), "");
}

TEST(JournalDiskFull, RocksDbWarningsGoToABoundedFileBesideTheJournal) {
  TempDir dir;
  FullDisk disk;
  auto& fs = disk.fs;
  {
    auto j = Journal::open(disk.options(dir.str()));
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->append(sample_commands(23, 5)).ok());
    fs->full = true;
    EXPECT_FALSE((*j)->append(sample_commands(23, 5)).ok());
    fs->full = false;
    ASSERT_TRUE(retry_until_written(**j).ok());
  }
  EXPECT_FALSE(fs::exists(dir.str() + "/LOG")) << "RocksDB's own info log must not be used";
  std::ifstream in(dir.str() + "/" + persistence::kRocksWarningsFile);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("test disk full"), std::string::npos) << text;
  EXPECT_EQ(text.find("[INFO]"), std::string::npos);
}

TEST(JournalDiskFull, TheWarningsFileIsRotatedAtItsBound) {
  TempDir dir;
  fs::create_directories(dir.str());
  auto log = persistence::make_rocks_logger(dir.str(), 1000);
  for (int i = 0; i < 100; ++i) {
    rocksdb::Warn(log, "line %d of a long warning text", i);
    rocksdb::Info(log, "info %d is below what is kept", i);
  }
  log.reset();
  const auto path = dir.str() + "/" + persistence::kRocksWarningsFile;
  EXPECT_LE(fs::file_size(path), 1000u);
  EXPECT_LE(fs::file_size(path + ".1"), 1000u);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("[WARN] line 99 of"), std::string::npos) << text;
  EXPECT_EQ(text.find("info"), std::string::npos) << text;
}

// ---- A torn or cut write-ahead log tail.

// What a crash leaves on disk: the files of an open journal as they are (every append was synced),
// copied without closing it.
void crash_image(const std::string& from, const std::string& to, int batches) {
  auto j = Journal::open({from});
  ASSERT_TRUE(j.ok()) << j.error().text;
  auto commands = sample_commands(31, batches);
  for (int i = 0; i < batches; ++i) ASSERT_TRUE((*j)->append(std::span<const Command>(&commands[static_cast<size_t>(i)], 1)).ok());
  fs::copy(from, to, fs::copy_options::recursive);
}

fs::path the_wal(const std::string& dir) {
  std::vector<fs::path> logs;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log" && std::isdigit(static_cast<unsigned char>(name[0]))) {
      logs.push_back(e.path());
    }
  }
  EXPECT_EQ(logs.size(), 1u);
  return logs.empty() ? fs::path() : logs.back();
}

TEST(JournalTornTail, ACleanCrashOpensWithoutTheFlag) {
  TempDir live, image;
  crash_image(live.str(), image.str(), 32);
  auto j = Journal::open({image.str()});
  ASSERT_TRUE(j.ok()) << j.error().text;
  EXPECT_EQ((*j)->next_seq(), 33u);
  EXPECT_FALSE((*j)->open_report().torn_tail_accepted);
  EXPECT_TRUE((*j)->open_report().text.empty());
}

TEST(JournalTornTail, ACutTailIsRefusedThenAcceptedWithTheFlagAfterACopy) {
  TempDir live, image;
  crash_image(live.str(), image.str(), 32);
  const fs::path wal = the_wal(image.str());
  const uintmax_t size = fs::file_size(wal);
  fs::resize_file(wal, size - 30);
  auto read_all = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string cut = read_all(wal);

  auto refused = Journal::open({image.str()});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "journal_torn_tail");
  const std::string& text = refused.error().text;
  EXPECT_NE(text.find(wal.filename().string()), std::string::npos) << text;
  EXPECT_NE(text.find("would end at seq 31"), std::string::npos) << text;
  EXPECT_NE(text.find("accept_torn_tail"), std::string::npos) << text;
  EXPECT_EQ(fs::file_size(wal), size - 30) << "a refused open changes nothing";

  persistence::JournalOptions accept{image.str()};
  accept.accept_torn_tail = true;
  std::string copy;
  {
    auto j = Journal::open(accept);
    ASSERT_TRUE(j.ok()) << j.error().text;
    EXPECT_EQ((*j)->next_seq(), 32u);
    const auto& report = (*j)->open_report();
    EXPECT_TRUE(report.torn_tail_accepted);
    EXPECT_NE(report.text.find("ends at seq 31"), std::string::npos) << report.text;
    copy = report.torn_tail_copy;
    EXPECT_EQ(fs::path(copy).parent_path(), fs::path(image.str()));
    EXPECT_TRUE((*j)->append(sample_commands(32, 1)).ok());
  }
  EXPECT_EQ(read_all(fs::path(copy) / wal.filename()), cut) << "the WAL as it was, for forensics";
  // From then on it is an ordinary journal.
  auto again = Journal::open({image.str()});
  ASSERT_TRUE(again.ok()) << again.error().text;
  EXPECT_FALSE((*again)->open_report().torn_tail_accepted);
  EXPECT_GT((*again)->next_seq(), 32u);
  EXPECT_TRUE((*again)->verify().ok());
}

TEST(JournalTornTail, CorruptionInTheMiddleFailsWithOrWithoutTheFlag) {
  TempDir live, image;
  crash_image(live.str(), image.str(), 32);
  const fs::path wal = the_wal(image.str());
  {
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(wal) / 2));
    f.put('\x5a');
  }
  for (bool accept : {false, true}) {
    persistence::JournalOptions o{image.str()};
    o.accept_torn_tail = accept;
    auto j = Journal::open(o);
    ASSERT_FALSE(j.ok()) << "accept " << accept;
    EXPECT_EQ(j.error().code, "journal_corrupt") << j.error().text;
  }
  for (const auto& e : fs::directory_iterator(image.str())) {
    EXPECT_NE(e.path().filename().string().rfind("torn-tail-", 0), 0u) << "nothing copied for a refused open";
  }
}

}  // namespace
}  // namespace cpx::test
