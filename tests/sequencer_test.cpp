// The sequencer: batches from many threads, one fsync per batch, acknowledgements only after durability,
// per-producer order kept, and a journal that replays to the same state.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "event_text.hpp"
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
  persistence::Exchange exchange{fanout, persistence::ExchangeConfig{EngineConfig{4096, 16}}};
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
  persistence::Exchange fresh(sink, persistence::ExchangeConfig{EngineConfig{4096, 16}});
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

}  // namespace
}  // namespace cpx::server
