// Engine snapshots: restoring one gives the same state hash, and the restored engine then behaves exactly
// like the original (same events, same hashes) on the same commands. Damaged snapshots are errors.
#include <gtest/gtest.h>

#include <random>

#include "cpx/matching_engine.hpp"
#include "event_text.hpp"
#include "json/event_fanout.hpp"
#include "random_stream.hpp"

namespace cpx::test {
namespace {

constexpr EngineConfig kSmall{256, 16};

TEST(Snapshot, RestoredEngineContinuesExactlyLikeTheOriginal) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    EventText original_events;
    KnownOrders known;
    api::EventFanout fan{&original_events, &known};
    MatchingEngine original(fan, kSmall);
    for (const Command& c : market_setup()) original.apply(c);
    Generator gen(seed, known);
    std::mt19937_64 rng(seed);
    int checkpoints = 0;
    for (int i = 0; i < 3000; ++i) {
      original.apply(gen.next());
      if (rng() % 400 != 0) continue;
      ++checkpoints;
      const std::string bytes = original.snapshot();
      EventText restored_events;
      MatchingEngine restored(restored_events, kSmall);
      auto ok = restored.restore(bytes);
      ASSERT_TRUE(ok.ok()) << ok.error().text;
      ASSERT_EQ(restored.state_hash(), original.state_hash()) << "seed " << seed << " at " << i;
      EXPECT_EQ(restored.snapshot(), bytes) << "a snapshot of the restored engine is byte-identical";
      // Both go on with the same commands (generated once, applied to both).
      const size_t mark = original_events.lines.size();
      for (int k = 0; k < 150; ++k) {
        Command c = gen.next();
        original.apply(c);
        restored.apply(c);
        ++i;
      }
      std::vector<std::string> tail(original_events.lines.begin() + static_cast<std::ptrdiff_t>(mark),
                                    original_events.lines.end());
      ASSERT_EQ(restored_events.lines, tail) << "seed " << seed << " at " << i;
      ASSERT_EQ(restored.state_hash(), original.state_hash());
    }
    EXPECT_GT(checkpoints, 0) << "seed " << seed;
  }
}

TEST(Snapshot, DamagedBytesAreErrorsNeverCrashes) {
  KnownOrders known;
  MatchingEngine e(known, kSmall);
  for (const Command& c : market_setup()) e.apply(c);
  Generator gen(9, known);
  for (int i = 0; i < 800; ++i) e.apply(gen.next());
  ASSERT_GT(e.open_order_count(), 0u);
  const std::string good = e.snapshot();
  EventText sink;
  for (size_t len = 0; len < good.size(); len += 1 + good.size() / 300) {
    MatchingEngine target(sink, kSmall);
    auto r = target.restore(std::string_view(good).substr(0, len));
    ASSERT_FALSE(r.ok()) << "a " << len << "-byte prefix restored";
    EXPECT_EQ(r.error().code, "snapshot_corrupt");
  }
  {
    MatchingEngine target(sink, kSmall);
    EXPECT_EQ(target.restore(good + "x").error().text, "snapshot has trailing bytes");
  }
  std::mt19937_64 rng(4);
  for (int i = 0; i < 300; ++i) {
    std::string junk = good;
    for (int k = 0; k < 3; ++k) junk[rng() % junk.size()] = static_cast<char>(rng());
    MatchingEngine target(sink, kSmall);
    auto r = target.restore(junk);  // a flipped price may still load; a broken structure must not
    if (!r.ok()) {
      EXPECT_FALSE(r.error().text.empty());
    }
  }
}

TEST(Snapshot, OnlyANewEngineCanBeRestored) {
  EventText sink;
  MatchingEngine source(sink, kSmall);
  for (const Command& c : market_setup()) source.apply(c);
  MatchingEngine busy(sink, kSmall);
  busy.apply(market_setup().front());
  auto r = busy.restore(source.snapshot());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "snapshot_target");
}

}  // namespace
}  // namespace cpx::test
