// Differential test: seeded random command streams through the engine and through ReferenceExchange
// (tests/reference_book.hpp) must give identical events, books, credit and capacity.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "cpx/matching_engine.hpp"
#include "event_text.hpp"
#include "json/event_fanout.hpp"
#include "reference_book.hpp"

#include "random_stream.hpp"

namespace cpx::test {
namespace {


// Reference data and listings, applied identically to both sides.
// The market of random_stream.hpp on both sides; the reference model learns participants and listings
// directly (it does not model reference-data commands).
template <class Apply>
void setup(MatchingEngine& engine, ReferenceExchange& ref, Apply&& both) {
  for (const Who& w : kWho) ref.add_participant(w.code, w.roles, w.max_open, w.max_qty);
  for (const Command& c : market_setup()) {
    if (const auto* l = std::get_if<ListInstrument>(&c)) {
      for (const Listing& listing : kListings) {
        if (l->symbol != listing.symbol) continue;
        auto parts = parse_symbol(listing.symbol);
        ASSERT_TRUE(parts.ok()) << listing.symbol;
        ref.list(listing.symbol, listing.region, listing.cls, parts->start, parts->end, listing.scu);
      }
    }
    if (std::holds_alternative<AddRegion>(c) || std::holds_alternative<AddChipClass>(c) ||
        std::holds_alternative<AddParticipant>(c)) {
      engine.apply(c);
    } else {
      both(c);
    }
  }
}

void run_and_compare(uint32_t seed, int commands) {
  EventText engine_text, ref_text;
  KnownOrders known;
  api::EventFanout fan{&engine_text, &known};
  MatchingEngine engine(fan);
  ReferenceExchange ref(ref_text);
  std::vector<Command> stream;
  setup(engine, ref, [&](const Command& c) {
    engine.apply(c);
    ref.apply(c);
  });
  engine_text.lines.clear();
  ref_text.lines.clear();

  Generator gen(seed, known);
  for (int i = 0; i < commands; ++i) {
    Command c = gen.next();
    stream.push_back(c);
    size_t before = engine_text.lines.size();
    engine.apply(c);
    ref.apply(c);
    if (engine_text.lines != ref_text.lines) {
      size_t k = before;
      while (k < engine_text.lines.size() && k < ref_text.lines.size() && engine_text.lines[k] == ref_text.lines[k]) ++k;
      std::string context;
      for (size_t j = before; j < std::max(engine_text.lines.size(), ref_text.lines.size()); ++j) {
        context += "\n  engine:    " + (j < engine_text.lines.size() ? engine_text.lines[j] : "<none>");
        context += "\n  reference: " + (j < ref_text.lines.size() ? ref_text.lines[j] : "<none>");
      }
      FAIL() << "seed " << seed << ", command " << i << " (kind " << to_string(kind_of(c))
             << "): event streams differ at event " << k << context;
    }
  }

  // Final books, order by order in priority order.
  for (InstrumentId i = 0; i < 4; ++i) {
    for (Side s : {Side::Buy, Side::Sell}) {
      std::vector<OrderView> mine;
      engine.orders_in_book(i, s, mine);
      auto theirs = ref.side_orders(i, s);
      ASSERT_EQ(mine.size(), theirs.size()) << "seed " << seed << " instrument " << i;
      for (size_t k = 0; k < mine.size(); ++k) {
        EXPECT_EQ(mine[k].id, theirs[k].id);
        EXPECT_EQ(mine[k].price, theirs[k].price);
        EXPECT_EQ(mine[k].remaining, theirs[k].remaining);
        EXPECT_EQ(mine[k].qty, theirs[k].qty);
        EXPECT_EQ(mine[k].filled, theirs[k].filled);
      }
    }
  }
  for (ParticipantId b : {B1, B2, X}) {
    CreditView cv = engine.credit(b);
    EXPECT_EQ(cv.open_buy, ref.open_buy(b)) << "seed " << seed << " participant " << b;
    EXPECT_EQ(cv.unsettled_bought, ref.unsettled(b)) << "seed " << seed << " participant " << b;
  }
  RegionId nm = engine.find_region("NM");
  ChipClassId h100 = engine.find_chip_class("H100");
  for (ParticipantId s : {S1, S2, X}) {
    for (const auto& b : ref.books()) {
      if (b.region != "NM") continue;
      EXPECT_EQ(engine.capacity_headroom(s, nm, h100, b.start, b.end), ref.headroom(s, "NM", "H100", b.start, b.end))
          << "seed " << seed << " supplier " << s << " " << b.symbol;
    }
  }

  // Determinism: the same stream from scratch gives the same hash; a different stream does not.
  auto replay_hash = [&](size_t drop) {
    EventText sink;
    MatchingEngine again(sink);
    ReferenceExchange unused(sink);
    setup(again, unused, [&](const Command& c) { again.apply(c); });
    for (size_t k = 0; k < stream.size(); ++k) {
      if (k != drop) again.apply(stream[k]);
    }
    return again.state_hash();
  };
  EXPECT_EQ(replay_hash(SIZE_MAX), engine.state_hash()) << "seed " << seed;
}

TEST(RandomStream, EngineMatchesReferenceModelOverManySeeds) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    run_and_compare(seed, 3000);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

TEST(RandomStream, StreamsExerciseEveryKindOfEvent) {
  // Guards the generator: if it stopped producing some kind of event, the comparison above would
  // silently cover less.
  EventText text;
  KnownOrders known;
  api::EventFanout fan{&text, &known};
  MatchingEngine engine(fan);
  ReferenceExchange ref(text);
  setup(engine, ref, [&](const Command& c) { engine.apply(c); });
  Generator gen(7, known);
  for (int i = 0; i < 6000; ++i) engine.apply(gen.next());
  if (std::getenv("CPX_STREAM_STATS")) {
    int stale = 0;
    OrderView v;
    for (auto& [id, p] : known.open) stale += !engine.find_order(id, v);
    std::printf("open known %zu stale %d engine %zu\n", known.open.size(), stale, engine.open_order_count());
  }
  std::map<std::string, int> kinds;
  std::set<std::string> reasons;
  for (const std::string& l : text.lines) {
    std::string kind = l.substr(0, l.find(' '));
    ++kinds[kind];
  }
  if (std::getenv("CPX_STREAM_STATS")) {
    for (auto& [k, n] : kinds) std::printf("%s %d\n", k.c_str(), n);
    for (const std::string& l : text.lines) if (l.rfind("rejected", 0) == 0 || l.rfind("done", 0) == 0) std::printf("%s\n", l.c_str());
  }
  for (const char* k : {"accepted", "rejected", "trade", "done", "replaced", "restated", "book", "state", "mass_cancel"}) {
    EXPECT_GT(kinds[k], 0) << "no '" << k << "' events in the random stream";
  }
}

TEST(RandomStream, DifferentStreamsGiveDifferentHashes) {
  auto hash_of = [](uint32_t seed) {
    EventText sink;
    KnownOrders known;
    api::EventFanout fan{&sink, &known};
    MatchingEngine engine(fan);
    ReferenceExchange unused(sink);
    setup(engine, unused, [&](const Command& c) { engine.apply(c); });
    Generator gen(seed, known);
    for (int i = 0; i < 500; ++i) engine.apply(gen.next());
    return engine.state_hash();
  };
  EXPECT_EQ(hash_of(3), hash_of(3));
  EXPECT_NE(hash_of(3), hash_of(4));
}

}  // namespace
}  // namespace cpx::test
