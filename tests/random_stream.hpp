#pragma once
// Seeded random command streams over a small market (two regions, two chip classes, four instruments with
// different tenors, lots and bands, sellers, buyers, a participant with both roles and an operator): the
// input of the differential test against the reference model and of the journal recovery tests.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cpx/commands.hpp"
#include "cpx/events.hpp"

namespace cpx::test {

inline Timestamp at(const char* iso) { return *parse_iso_time(iso); }

struct Listing {
  const char* symbol;
  const char* region;
  const char* cls;
  int64_t scu;
  Quantity lot;
  int64_t band_bps;
  int64_t open_delay_min;
};

constexpr Listing kListings[] = {
    {"NM.H100.D.2026-12-01", "NM", "H100", 989, 1, 3000, 0},
    {"NM.H100.D.2026-12-08", "NM", "H100", 989, 1, 1000, 0},
    {"NM.H100.W.2026-W50", "NM", "H100", 989, 2, 3000, 30},
    {"JJJ.CPU-X86-64V.H.2026-12-01T10", "JJJ", "CPU-X86-64V", 5, 1, 3000, 0},
};

struct Who {
  const char* code;
  RoleSet roles;
  int64_t max_open;
  Quantity max_qty;
};
// Ids follow the order of this table, after EXCH (0).
constexpr Who kWho[] = {
    {"S1", kRoleTradeSell, 25, 40},  {"S2", kRoleTradeSell, 1000, 1000}, {"B1", kRoleTradeBuy, 25, 40},
    {"B2", kRoleTradeBuy, 1000, 1000}, {"X", kRoleTradeBuy | kRoleTradeSell, 30, 1000}, {"OPS", kRoleOperator, 10, 10},
};
constexpr ParticipantId S1 = 1, S2 = 2, B1 = 3, B2 = 4, X = 5, OPS = 6;

// Records which orders exist so the generator can aim cancels and replaces at real ones.
class KnownOrders final : public EventListener {
 public:
  void on_accepted(const OrderAccepted& e) override {
    ids.emplace_back(e.order_id, e.participant);
    open[e.order_id] = e.participant;
  }
  void on_done(const OrderDone& e) override { open.erase(e.order_id); }
  void on_trade(const Trade& e) override {
    if (e.buy_remaining == 0) open.erase(e.buy_order_id);
    if (e.sell_remaining == 0) open.erase(e.sell_order_id);
  }
  std::vector<std::pair<OrderId, ParticipantId>> ids;  // every order ever accepted
  std::map<OrderId, ParticipantId> open;               // still open (as far as events tell)
};

class Generator {
 public:
  Generator(uint32_t seed, const KnownOrders& known) : rng_(seed), known_(known) {}

  Timestamp now = at("2026-11-30T08:00:00+08:00");

  Command next() {
    int dice = pick(0, 999);
    if (dice < 500) now += pick(1, 30) * kNanosPerSecond;
    else if (dice < 502) now += pick(1, 6 * 3600) * kNanosPerSecond;
    int what = pick(0, 999);
    if (what < 700) return new_order();
    if (what < 800) return cancel();
    if (what < 880) return replace();
    if (what < 883) return mass_cancel();
    if (what < 888) return halt_or_resume();
    if (what < 895) return reference_price();
    if (what < 910) return capacity();
    if (what < 920) return credit();
    if (what < 924) return fees();
    return AdvanceTime{now};
  }

 private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool chance(int per_mille) { return pick(0, 999) < per_mille; }
  InstrumentId instrument() { return chance(20) ? 99 : static_cast<InstrumentId>(pick(0, 3)); }
  Price price() {
    Price p = 180000 + pick(-40, 40) * 100;
    if (chance(20)) p += 37;
    if (chance(10)) p *= 2;
    return p;
  }

  Command new_order() {
    NewOrder c;
    c.ts = now;
    c.side = chance(500) ? Side::Buy : Side::Sell;
    static constexpr ParticipantId kBuyers[] = {B1, B2, X};
    static constexpr ParticipantId kSellers[] = {S1, S2, X};
    c.participant = c.side == Side::Buy ? kBuyers[pick(0, 2)] : kSellers[pick(0, 2)];
    if (chance(15)) c.participant = static_cast<ParticipantId>(pick(1, 6));
    if (chance(5)) c.participant = 42;
    c.instrument = instrument();
    c.cl_ord_id.assign("c" + std::to_string(++count_));
    c.stp = static_cast<SelfTradePrevention>(pick(0, 3));
    if (chance(900)) {
      c.type = OrderType::Limit;
      int t = pick(0, 99);
      c.tif = t < 50 ? TimeInForce::GTC : t < 65 ? TimeInForce::DAY : t < 75 ? TimeInForce::GTD
              : t < 90 ? TimeInForce::IOC : TimeInForce::FOK;
      c.price = price();
      if (chance(80) && c.tif != TimeInForce::IOC && c.tif != TimeInForce::FOK) c.post_only = true;
    } else {
      c.type = OrderType::Market;
      c.tif = chance(600) ? TimeInForce::IOC : TimeInForce::FOK;
    }
    if (chance(15)) c.tif = static_cast<TimeInForce>(pick(0, 4));  // sometimes an invalid combination
    if (c.tif == TimeInForce::GTD) c.expire_at = now + pick(-600, 12 * 3600) * kNanosPerSecond;
    c.qty = pick(1, 12);
    if (chance(20)) c.qty = 0;
    if (chance(10)) c.qty = 60;
    return c;
  }

  std::pair<OrderId, ParticipantId> some_order() {
    if (known_.ids.empty() || chance(30)) return {static_cast<OrderId>(pick(1, 5000)), static_cast<ParticipantId>(pick(1, 5))};
    if (known_.open.empty() || chance(150)) return known_.ids[static_cast<size_t>(pick(0, static_cast<int64_t>(known_.ids.size()) - 1))];
    auto it = known_.open.begin();
    std::advance(it, pick(0, static_cast<int64_t>(known_.open.size()) - 1));
    return *it;
  }

  Command cancel() {
    auto [id, owner] = some_order();
    CancelOrder c;
    c.ts = now;
    c.order_id = id;
    c.participant = chance(900) ? owner : static_cast<ParticipantId>(pick(1, 5));
    c.cl_ord_id.assign("x" + std::to_string(++count_));
    return c;
  }

  Command replace() {
    auto [id, owner] = some_order();
    ReplaceOrder c;
    c.ts = now;
    c.order_id = id;
    c.participant = chance(950) ? owner : static_cast<ParticipantId>(pick(1, 5));
    int form = pick(0, 3);
    if (form == 0 || form == 2) c.price = price();
    if (form == 1 || form == 2) c.qty = pick(1, 14);
    if (form == 3) c.cl_ord_id.assign("r" + std::to_string(++count_));
    return c;
  }

  Command mass_cancel() {
    MassCancel c;
    c.ts = now;
    c.participant = static_cast<ParticipantId>(pick(1, 6));
    int t = pick(0, 9);
    c.target = t < 7 ? c.participant : t < 9 ? kNoParticipant : static_cast<ParticipantId>(pick(1, 5));
    c.instrument = chance(500) ? kNoInstrument : instrument();
    return c;
  }

  Command halt_or_resume() {
    SetInstrumentState c;
    c.ts = now;
    c.actor = chance(900) ? OPS : B1;
    c.instrument = static_cast<InstrumentId>(pick(0, 3));
    c.action = chance(150) ? StateAction::Halt : StateAction::Resume;
    return c;
  }

  Command reference_price() {
    SetReferencePrice c;
    c.ts = now;
    c.actor = OPS;
    c.instrument = static_cast<InstrumentId>(pick(0, 3));
    c.price = 180000 + pick(-20, 20) * 100;
    return c;
  }

  Command capacity() {
    RegisterCapacity c;
    c.ts = now;
    c.actor = OPS;
    static constexpr ParticipantId kSellers[] = {S1, S2, X};
    c.supplier = kSellers[pick(0, 2)];
    bool cpu = chance(250);
    c.region = cpu ? "JJJ" : "NM";
    c.chip_class = cpu ? "CPU-X86-64V" : "H100";
    Timestamp base = at("2026-12-01T00:00:00+08:00");
    c.from = base + pick(-2, 8 * 24) * kNanosPerHour;
    c.to = c.from + pick(1, 10 * 24) * kNanosPerHour;
    c.devices = chance(300) ? -pick(1, 20) : pick(1, 30);
    return c;
  }

  Command fees() {
    SetFees c;
    c.ts = now;
    c.actor = chance(900) ? OPS : B1;
    c.maker_bps = pick(0, 30);
    c.taker_bps = chance(50) ? 2000 : pick(0, 60);  // sometimes out of range
    return c;
  }

  Command credit() {
    SetCredit c;
    c.ts = now;
    c.actor = OPS;
    static constexpr ParticipantId kBuyers[] = {B1, B2, X};
    c.participant = kBuyers[pick(0, 2)];
    c.limit = pick(0, 3) * 5'000'000'000LL + pick(0, 1'000'000'000);
    return c;
  }

  std::mt19937_64 rng_;
  const KnownOrders& known_;
  uint64_t count_ = 0;
};

// Reference data, listings, capacity and credit for the market above, as commands.
inline std::vector<Command> market_setup() {
  std::vector<Command> out;
  const Timestamp t0 = at("2026-11-30T08:00:00+08:00");
  Region nm;
  nm.code = "NM";
  nm.name = "Inner Mongolia";
  Region jjj;
  jjj.code = "JJJ";
  jjj.name = "Beijing-Tianjin-Hebei";
  out.push_back(AddRegion{t0, kExchangeParticipant, nm});
  out.push_back(AddRegion{t0, kExchangeParticipant, jjj});
  ChipClass h100;
  h100.code = "H100";
  h100.scu_per_device = 989;
  ChipClass cpu;
  cpu.code = "CPU-X86-64V";
  cpu.family = ChipFamily::General;
  cpu.scu_per_device = 5;
  out.push_back(AddChipClass{t0, kExchangeParticipant, h100});
  out.push_back(AddChipClass{t0, kExchangeParticipant, cpu});
  for (const Who& w : kWho) {
    Participant p;
    p.code = w.code;
    p.roles = w.roles;
    p.limits = {w.max_open, w.max_qty};
    out.push_back(AddParticipant{t0, kExchangeParticipant, p});
  }
  for (const Listing& l : kListings) {
    ListInstrument c;
    c.ts = t0;
    c.symbol = l.symbol;
    c.rules.tick = 100;
    c.rules.lot = l.lot;
    c.rules.max_order_qty = 50;
    c.rules.price_band_bps = l.band_bps;
    c.open_at = l.open_delay_min ? t0 + l.open_delay_min * 60 * kNanosPerSecond : 0;
    out.push_back(c);
  }
  const Timestamp d1 = at("2026-12-01T00:00:00+08:00");
  for (ParticipantId s : {S1, S2, X}) {
    out.push_back(RegisterCapacity{t0, kExchangeParticipant, s, "NM", "H100", d1 - kNanosPerDay, d1 + 14 * kNanosPerDay, 150});
    out.push_back(RegisterCapacity{t0, kExchangeParticipant, s, "JJJ", "CPU-X86-64V", d1, d1 + kNanosPerDay, 25});
  }
  for (ParticipantId b : {B1, B2, X}) out.push_back(SetCredit{t0, kExchangeParticipant, b, 20'000'000'000LL});
  return out;
}

}  // namespace cpx::test
