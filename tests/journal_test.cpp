// The durable journal: command encoding, batches with one sync, reopen, gap and corruption detection,
// and recovery by replay giving the same engine state as the live run.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <random>
#include <set>
#include <unistd.h>

#include "command_codec.hpp"
#include "cpx/matching_engine.hpp"
#include "event_text.hpp"
#include "journal.hpp"
#include "recovery.hpp"
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

}  // namespace
}  // namespace cpx::test
