#pragma once
// The order flow both matching-core and journal benchmarks use: a market of 1,000 instruments (8 regions x
// 8 classes x daily windows) pre-filled around a reference price, and a generated stream of operations
// (~50 % passive limit orders, 35 % cancels, 10 % replaces, 5 % marketable IOC) aimed at live orders.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpx/matching_engine.hpp"

namespace cpx::bench {


constexpr int kRegions = 8;
constexpr int kClasses = 8;
constexpr Price kRef = 200'000;  // 20.0000 CNY per device-hour
constexpr Price kTick = 100;     // 0.01
constexpr int kHalfLevels = 50;  // levels per side

struct Op {
  enum Kind : uint8_t { Place, Cancel, Replace, Ioc } kind;
  Side side;
  ParticipantId participant;
  InstrumentId instrument;
  Price price;
  Quantity qty;
  OrderId order_id;
};

// Keeps the set of open orders from the engine's events, to aim cancels and replaces.
class LiveOrders final : public EventListener {
 public:
  void on_accepted(const OrderAccepted& e) override { add(e.order_id, e.participant, e.instrument, e.side); }
  void on_done(const OrderDone& e) override { remove(e.order_id); }
  void on_trade(const Trade& e) override {
    if (e.buy_remaining == 0) remove(e.buy_order_id);
    if (e.sell_remaining == 0) remove(e.sell_order_id);
  }
  struct Entry {
    OrderId id;
    ParticipantId participant;
    InstrumentId instrument;
    Side side;
  };
  std::vector<Entry> live;
  std::unordered_map<OrderId, size_t> where;

 private:
  void add(OrderId id, ParticipantId p, InstrumentId i, Side s) {
    where[id] = live.size();
    live.push_back({id, p, i, s});
  }
  void remove(OrderId id) {
    auto it = where.find(id);
    if (it == where.end()) return;
    size_t k = it->second;
    where.erase(it);
    if (k + 1 != live.size()) {
      live[k] = live.back();
      where[live[k].id] = k;
    }
    live.pop_back();
  }
};

class CountingSink final : public EventListener {
 public:
  void on_accepted(const OrderAccepted&) override { ++accepted; }
  void on_rejected(const OrderRejected&) override { ++rejected; }
  void on_trade(const Trade&) override { ++trades; }
  void on_done(const OrderDone&) override { ++done; }
  uint64_t accepted = 0, rejected = 0, trades = 0, done = 0;
};

struct Setup {
  int instruments;
  int orders_per_instrument;
  int participants_per_side;
};

inline Timestamp t0() { return *parse_iso_time("2026-11-30T08:00:00+08:00"); }

inline std::vector<Command> market_commands(const Setup& s, uint64_t seed) {
  std::vector<Command> cmds;
  const Timestamp ts = t0();
  for (int r = 0; r < kRegions; ++r) {
    Region reg;
    reg.code = "R" + std::to_string(r);
    cmds.push_back(AddRegion{ts, kExchangeParticipant, reg});
  }
  for (int c = 0; c < kClasses; ++c) {
    ChipClass cls;
    cls.code = "C" + std::to_string(c);
    cls.scu_per_device = 100 + 50 * c;
    cmds.push_back(AddChipClass{ts, kExchangeParticipant, cls});
  }
  for (int side = 0; side < 2; ++side) {
    for (int p = 0; p < s.participants_per_side; ++p) {
      Participant part;
      part.code = (side == 0 ? "B" : "S") + std::to_string(p);
      part.roles = side == 0 ? kRoleTradeBuy : kRoleTradeSell;
      part.limits.max_open_orders = 100'000'000;
      part.limits.max_order_qty = 1'000'000;
      cmds.push_back(AddParticipant{ts, kExchangeParticipant, part});
    }
  }
  const Timestamp first_day = *parse_iso_time("2026-12-01T00:00:00+08:00");
  for (int i = 0; i < s.instruments; ++i) {
    int r = i % kRegions, c = (i / kRegions) % kClasses, day = i / (kRegions * kClasses);
    ListInstrument li;
    li.ts = ts;
    li.symbol = make_symbol("R" + std::to_string(r), "C" + std::to_string(c), Tenor::Day, first_day + day * kNanosPerDay);
    li.rules.tick = kTick;
    li.rules.max_order_qty = 1'000'000;
    cmds.push_back(li);
  }
  for (int p = 0; p < s.participants_per_side; ++p) {
    ParticipantId seller = static_cast<ParticipantId>(1 + s.participants_per_side + p);
    ParticipantId buyer = static_cast<ParticipantId>(1 + p);
    cmds.push_back(SetCredit{ts, kExchangeParticipant, buyer, INT64_MAX / 4});
    for (int r = 0; r < kRegions; ++r) {
      for (int c = 0; c < kClasses; ++c) {
        cmds.push_back(RegisterCapacity{ts, kExchangeParticipant, seller, "R" + std::to_string(r), "C" + std::to_string(c),
                                        first_day - kNanosPerDay, first_day + 60 * kNanosPerDay, 1'000'000'000});
      }
    }
  }
  // Pre-fill: each instrument gets orders spread over 50 bid and 50 ask levels around the reference.
  std::mt19937_64 rng(seed);
  NewOrder o;
  o.ts = ts;
  for (int i = 0; i < s.instruments; ++i) {
    o.instrument = static_cast<InstrumentId>(i);
    for (int k = 0; k < s.orders_per_instrument; ++k) {
      o.side = (k & 1) ? Side::Sell : Side::Buy;
      Price offset = static_cast<Price>(1 + rng() % kHalfLevels) * kTick;
      o.price = o.side == Side::Buy ? kRef - offset : kRef + offset;
      o.qty = static_cast<Quantity>(1 + rng() % 20);
      o.participant = static_cast<ParticipantId>(1 + (o.side == Side::Sell ? s.participants_per_side : 0) +
                                                 rng() % s.participants_per_side);
      cmds.push_back(o);
    }
  }
  return cmds;
}

inline void build_market(MatchingEngine& e, const Setup& s, uint64_t seed) {
  for (const Command& c : market_commands(s, seed)) e.apply(c);
}

inline void run_op(MatchingEngine& e, const Op& op, NewOrder& n, Timestamp ts) {
  switch (op.kind) {
    case Op::Place:
    case Op::Ioc:
      n.participant = op.participant;
      n.instrument = op.instrument;
      n.side = op.side;
      n.price = op.price;
      n.qty = op.qty;
      n.tif = op.kind == Op::Ioc ? TimeInForce::IOC : TimeInForce::GTC;
      e.new_order(n);
      break;
    case Op::Cancel:
      e.cancel(CancelOrder{ts, op.participant, op.order_id, {}});
      break;
    case Op::Replace:
      e.replace(ReplaceOrder{ts, op.participant, op.order_id, {}, op.price, op.qty});
      break;
  }
}

inline std::vector<Op> generate(const Setup& s, size_t count, uint64_t seed) {
  LiveOrders live;
  MatchingEngine e(live, EngineConfig{static_cast<size_t>(s.instruments) * s.orders_per_instrument * 2, 1024});
  build_market(e, s, seed);
  std::mt19937_64 rng(seed ^ 0x5eed);
  std::vector<Op> ops;
  ops.reserve(count);
  std::vector<LevelView> best;
  NewOrder n;
  n.ts = t0();
  for (size_t k = 0; k < count; ++k) {
    uint64_t dice = rng() % 100;
    Op op{};
    if (dice < 50 || live.live.empty()) {
      op.kind = Op::Place;
      op.instrument = static_cast<InstrumentId>(rng() % s.instruments);
      op.side = (rng() & 1) ? Side::Sell : Side::Buy;
      Price offset = static_cast<Price>(1 + rng() % kHalfLevels) * kTick;
      op.price = op.side == Side::Buy ? kRef - offset : kRef + offset;
      op.qty = static_cast<Quantity>(1 + rng() % 20);
    } else if (dice < 85) {
      const auto& v = live.live[rng() % live.live.size()];
      op = Op{Op::Cancel, v.side, v.participant, v.instrument, 0, 0, v.id};
    } else if (dice < 95) {
      const auto& v = live.live[rng() % live.live.size()];
      OrderView view;
      e.find_order(v.id, view);
      op = Op{Op::Replace, v.side, v.participant, v.instrument, 0, 0, v.id};
      if (rng() & 1) {
        Price offset = static_cast<Price>(1 + rng() % kHalfLevels) * kTick;
        op.price = v.side == Side::Buy ? kRef - offset : kRef + offset;  // new price: loses priority
        if (op.price == view.price) op.price += v.side == Side::Buy ? -kTick : kTick;
      } else {
        op.qty = view.qty > view.filled + 1 ? view.qty - 1 : view.qty + 1;  // mostly qty down: keeps priority
      }
    } else {
      op.kind = Op::Ioc;
      op.instrument = static_cast<InstrumentId>(rng() % s.instruments);
      op.side = (rng() & 1) ? Side::Sell : Side::Buy;
      e.depth(op.instrument, opposite(op.side), 1, best);
      Price touch = best.empty() ? kRef : best[0].price;
      op.price = op.side == Side::Buy ? touch + 2 * kTick : touch - 2 * kTick;
      op.qty = static_cast<Quantity>(1 + rng() % 10);
    }
    if (op.kind == Op::Place || op.kind == Op::Ioc) {
      op.participant = static_cast<ParticipantId>(1 + (op.side == Side::Sell ? s.participants_per_side : 0) +
                                                  rng() % s.participants_per_side);
    }
    ops.push_back(op);
    // Apply on the generation engine so the live set stays true.
    run_op(e, op, n, n.ts);
  }
  return ops;
}

inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

inline Command to_command(const Op& op, Timestamp ts) {
  switch (op.kind) {
    case Op::Cancel:
      return CancelOrder{ts, op.participant, op.order_id, {}};
    case Op::Replace:
      return ReplaceOrder{ts, op.participant, op.order_id, {}, op.price, op.qty};
    default: {
      NewOrder n;
      n.ts = ts;
      n.participant = op.participant;
      n.instrument = op.instrument;
      n.side = op.side;
      n.price = op.price;
      n.qty = op.qty;
      n.tif = op.kind == Op::Ioc ? TimeInForce::IOC : TimeInForce::GTC;
      return n;
    }
  }
}

}  // namespace cpx::bench
