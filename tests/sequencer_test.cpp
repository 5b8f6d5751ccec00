// The sequencer: batches from many threads, one fsync per batch, acknowledgements only after durability,
// per-producer order kept, and a journal that replays to the same state.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "event_text.hpp"
#include "full_disk.hpp"
#include "random_stream.hpp"
#include "server/sequencer.hpp"

namespace cpx::server {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  Fixture() : dir(fs::temp_directory_path() / ("cpx-seq-" + std::to_string(::getpid()) + "-" + std::to_string(n++))) {
    fs::remove_all(dir);
    journal = std::move(*persistence::Journal::open({dir.string()}));
  }
  ~Fixture() { fs::remove_all(dir); }
  static inline int n = 0;
  fs::path dir;
  std::unique_ptr<persistence::Journal> journal;
  api::EventFanout fanout;
  persistence::Exchange exchange{fanout, persistence::ExchangeConfig{.engine = EngineConfig{4096, 16}, .history = {}}};
};

std::vector<Command> workload(uint32_t seed, int orders) {
  std::vector<Command> out = test::market_setup();
  for (ParticipantId b : {test::B1, test::B2, test::X}) out.push_back(Deposit{0, test::OPS, b, 20'000'000'000LL});
  test::KnownOrders known;  // the generator aims cancels at ids it has seen; here it sees none: that is fine
  test::Generator gen(seed, known);
  for (int i = 0; i < orders; ++i) out.push_back(gen.next());
  return out;
}

uint64_t replayed_hash(const persistence::Journal& j) {
  test::EventText sink;
  persistence::Exchange fresh(sink, persistence::ExchangeConfig{.engine = EngineConfig{4096, 16}, .history = {}});
  auto r = j.replay(1, [&](uint64_t, const Command& c) { fresh.apply(c); });
  EXPECT_TRUE(r.ok());
  return fresh.state_hash();
}

TEST(Sequencer, QueuedCommandsGoOutInBatchesAndAreAcknowledgedOnlyWhenDurable) {
  Fixture f;
  Sequencer seq(f.exchange, *f.journal, f.fanout, 1024);
  const auto commands = workload(3, 6000);
  std::vector<uint64_t> acked;
  std::vector<std::string> events;
  bool durable_when_acked = true;
  for (const Command& c : commands) {
    seq.submit(c, [&](uint64_t s, const std::string& ev) {
      durable_when_acked = durable_when_acked && s != 0 && f.journal->next_seq() > s;
      acked.push_back(s);
      events.push_back(ev);
    });
  }
  seq.start();
  seq.stop();
  ASSERT_EQ(acked.size(), commands.size());
  EXPECT_TRUE(durable_when_acked);
  for (size_t i = 0; i < acked.size(); ++i) ASSERT_EQ(acked[i], i + 1) << "submission order is journal order";
  const SequencerStats st = seq.stats();
  EXPECT_EQ(st.commands, commands.size());
  EXPECT_EQ(st.batches, (commands.size() + 1023) / 1024) << "one fsync per batch";
  EXPECT_EQ(f.journal->syncs(), st.batches);
  size_t with_events = 0;
  for (const auto& e : events) with_events += !e.empty();
  EXPECT_GT(with_events, commands.size() / 2);
  EXPECT_NE(events.back().find("\"ev\":"), std::string::npos);
  EXPECT_EQ(replayed_hash(*f.journal), f.exchange.state_hash());
  std::string why;
  EXPECT_TRUE(f.exchange.check(why)) << why;
}

TEST(Sequencer, ManyProducersAtOnceKeepEachProducersOrder) {
  Fixture f;
  Sequencer seq(f.exchange, *f.journal, f.fanout, 256);
  seq.start();
  const auto setup = workload(4, 0);
  std::atomic<size_t> setup_done{0};
  for (const Command& c : setup) seq.submit(c, [&](uint64_t, const std::string&) { ++setup_done; });
  while (setup_done.load() < setup.size()) std::this_thread::yield();

  constexpr int kThreads = 4, kEach = 1500;
  std::mutex m;
  std::map<int, std::vector<uint64_t>> seqs_by_thread;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      auto mine = workload(100 + t, kEach);
      for (size_t i = setup.size(); i < mine.size(); ++i) {
        seq.submit(mine[i], [&, t](uint64_t s, const std::string&) {
          std::lock_guard lock(m);  // callbacks run on the engine thread; the lock is for the test's map
          seqs_by_thread[t].push_back(s);
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  seq.stop();
  std::set<uint64_t> all;
  for (const auto& [t, seqs] : seqs_by_thread) {
    ASSERT_EQ(seqs.size(), static_cast<size_t>(kEach)) << "thread " << t;
    for (size_t i = 1; i < seqs.size(); ++i) ASSERT_LT(seqs[i - 1], seqs[i]) << "thread " << t << " order kept";
    all.insert(seqs.begin(), seqs.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach)) << "every command acknowledged once";
  EXPECT_EQ(*all.begin(), setup.size() + 1);
  EXPECT_EQ(*all.rbegin(), setup.size() + kThreads * kEach);
  EXPECT_LT(seq.stats().batches, seq.stats().commands) << "fsyncs were shared";
  EXPECT_EQ(replayed_hash(*f.journal), f.exchange.state_hash());
}

// Waits (bounded, for a broken build only) until `done` holds.
template <class F>
bool eventually(F done, int seconds = 60) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Defect: a failed journal write (a full disk) made the sequencer refuse everything until a restart. Now
// it holds the batch — applied in memory, not acknowledged — says why it is unavailable, and writes the
// batch once there is room, after which everything goes on as if it had been slow.
TEST(Sequencer, ABatchTheJournalCannotWriteIsHeldAndWrittenOnceThereIsRoom) {
  const fs::path dir = fs::temp_directory_path() / ("cpx-seq-full-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  test::FullDisk disk;
  auto journal = persistence::Journal::open(disk.options(dir.string()));
  ASSERT_TRUE(journal.ok()) << journal.error().text;
  api::EventFanout fanout;
  persistence::Exchange exchange{fanout, persistence::ExchangeConfig{.engine = EngineConfig{4096, 16}, .history = {}}};
  Sequencer seq(exchange, **journal, fanout, 64);
  seq.start();
  const auto commands = workload(5, 40);
  std::atomic<size_t> acked{0};
  for (size_t i = 0; i + 20 < commands.size(); ++i) seq.submit(commands[i], [&](uint64_t, const std::string&) { ++acked; });
  ASSERT_TRUE(eventually([&] { return acked.load() == commands.size() - 20; }));
  EXPECT_TRUE(seq.available());

  disk.fs->full = true;
  std::atomic<uint64_t> held_seq{0};
  std::atomic<bool> held_answered{false};
  const size_t held = commands.size() - 20;
  seq.submit(commands[held], [&](uint64_t s, const std::string&) {
    held_seq = s;
    held_answered = true;
  });
  ASSERT_TRUE(eventually([&] { return !seq.available(); }));
  EXPECT_NE(seq.unavailable_reason().find("journal"), std::string::npos) << seq.unavailable_reason();
  EXPECT_NE(seq.unavailable_reason().find("space"), std::string::npos) << seq.unavailable_reason();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // (retries go on meanwhile)
  EXPECT_FALSE(held_answered.load()) << "nothing of the held batch is acknowledged while it is not durable";

  disk.fs->full = false;
  ASSERT_TRUE(eventually([&] { return held_answered.load(); }));
  EXPECT_EQ(held_seq.load(), held + 1) << "acknowledged with its own sequence number once written";
  EXPECT_TRUE(seq.available());
  EXPECT_TRUE(seq.unavailable_reason().empty());
  std::vector<uint64_t> after;
  for (size_t i = held + 1; i < commands.size(); ++i)
    seq.submit(commands[i], [&](uint64_t s, const std::string&) { after.push_back(s); });
  seq.stop();
  ASSERT_EQ(after.size(), 19u);
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i], held + 2 + i);
  EXPECT_EQ(replayed_hash(**journal), exchange.state_hash()) << "the journal holds exactly what was applied";
  journal->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cpx::server
