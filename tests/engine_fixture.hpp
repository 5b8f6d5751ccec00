#pragma once
// Shared GoogleTest fixture for the matching engine: a listener that records every event (owning copies of
// all strings) both as typed structs and as one short line of text per event, and a small standard market.
//
// Market (set up at 2026-11-30T09:00+08:00 through ordinary admin commands, see standard_setup()):
//   regions NM, JJJ; chip classes H100 (ai, 989 SCU) and CPU-X86-64V (general, 5 SCU);
//   participants SUP1 (cloud_vendor, sell), SUP2 (state_operator, sell), BUY1/BUY2 (buyer, buy),
//   BOTH (cloud_vendor, buy+sell), OPS (exchange kind, operator role);
//   instrument NM.H100.D.2026-12-01: tick 0.01, lot 1, max_order_qty 1000, band 30 %, gate closure 1 h;
//   SUP1/SUP2/BOTH registered 100 NM H100 devices (and SUP1 100 NM CPU-X86-64V) over Nov 2026 - Jan 2027;
//   BUY1/BUY2/BOTH credit 100,000,000 CNY.
//
// Event lines (prices and money with four decimals):
//   accepted #<id> <cl> <side> <type> <tif>[ post_only] <price>x<qty>
//   rejected <command> [#<order>] [<cl>] <reason>
//   trade <price>x<qty> buy#<id>(<remaining>) sell#<id>(<remaining>) aggr=<side>
//   done #<id> <cl> <reason> cancelled=<n> filled=<n>
//   replaced #<id> <cl> <price>x<qty> rem=<n> kept_priority|lost_priority
//   restated #<id> <cl> -<decrement> rem=<n>
//   book <side> <price> <qty>/<orders>
//   state <symbol> <state>
//   mass_cancel_done <count>
//   admin <command> <subject>
// Events of an instrument other than the fixture's main one end in " @<symbol>" (state lines name it anyway).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cpx/commands.hpp"
#include "cpx/events.hpp"
#include "cpx/fixed_point.hpp"
#include "cpx/matching_engine.hpp"
#include "cpx/time.hpp"

namespace cpx::test {

// An event with its string views cleared and their text kept in s1 (and s2 for the sell side of a trade).
template <class T>
struct Rec {
  T e;
  std::string s1;  // cl_ord_id (buy_cl_ord_id for a trade, subject for an admin event)
  std::string s2;  // sell_cl_ord_id for a trade
};

using AnyEvent = std::variant<Rec<OrderAccepted>, Rec<OrderRejected>, Rec<Trade>, Rec<OrderDone>,
                              Rec<OrderReplaced>, Rec<OrderRestated>, Rec<BookChange>,
                              Rec<InstrumentStateChanged>, Rec<MassCancelDone>, Rec<AdminDone>>;

inline Timestamp iso(std::string_view text) {
  auto t = parse_iso_time(text);
  if (!t) ADD_FAILURE() << "bad time in test: " << text;
  return t.value_or(0);
}

// "18.50" -> 185000.
inline Price px(std::string_view text) {
  auto v = parse_fixed(text);
  if (!v) ADD_FAILURE() << "bad price in test: " << text;
  return v.value_or(0);
}

inline std::string fx(int64_t v) { return format_fixed(v); }

class Recorder : public EventListener {
 public:
  const MatchingEngine* engine = nullptr;
  InstrumentId main_instrument = kNoInstrument;
  std::vector<AnyEvent> events;
  std::vector<std::string> lines;

  // The lines recorded since the last take(), and forget them (typed events too).
  std::vector<std::string> take() {
    std::vector<std::string> out;
    out.swap(lines);
    events.clear();
    return out;
  }
  void clear() {
    lines.clear();
    events.clear();
  }

  template <class T>
  std::vector<Rec<T>> of() const {
    std::vector<Rec<T>> out;
    for (const AnyEvent& e : events) {
      if (auto* r = std::get_if<Rec<T>>(&e)) out.push_back(*r);
    }
    return out;
  }

  void on_accepted(const OrderAccepted& e) override {
    Rec<OrderAccepted> r{e, std::string(e.cl_ord_id), {}};
    r.e.cl_ord_id = {};
    std::string line = "accepted #" + std::to_string(e.order_id) + " " + r.s1 + " " + std::string(to_string(e.side)) +
                       " " + std::string(to_string(e.type)) + " " + std::string(to_string(e.tif)) +
                       (e.post_only ? " post_only" : "") + " " + fx(e.price) + "x" + std::to_string(e.qty);
    push(std::move(r), line, e.instrument);
  }
  void on_rejected(const OrderRejected& e) override {
    Rec<OrderRejected> r{e, std::string(e.cl_ord_id), {}};
    r.e.cl_ord_id = {};
    std::string line = "rejected " + std::string(to_string(e.command));
    if (e.order_id != 0) line += " #" + std::to_string(e.order_id);
    if (!r.s1.empty()) line += " " + r.s1;
    line += " " + std::string(reason_code(e.reason));
    push(std::move(r), line, e.instrument);
  }
  void on_trade(const Trade& e) override {
    Rec<Trade> r{e, std::string(e.buy_cl_ord_id), std::string(e.sell_cl_ord_id)};
    r.e.buy_cl_ord_id = {};
    r.e.sell_cl_ord_id = {};
    std::string line = "trade " + fx(e.price) + "x" + std::to_string(e.qty) + " buy#" + std::to_string(e.buy_order_id) +
                       "(" + std::to_string(e.buy_remaining) + ") sell#" + std::to_string(e.sell_order_id) + "(" +
                       std::to_string(e.sell_remaining) + ") aggr=" + std::string(to_string(e.aggressor));
    push(std::move(r), line, e.instrument);
  }
  void on_done(const OrderDone& e) override {
    Rec<OrderDone> r{e, std::string(e.cl_ord_id), {}};
    r.e.cl_ord_id = {};
    std::string line = "done #" + std::to_string(e.order_id) + " " + r.s1 + " " +
                       std::string(done_reason_code(e.reason)) + " cancelled=" + std::to_string(e.cancelled_qty) +
                       " filled=" + std::to_string(e.filled_qty);
    push(std::move(r), line, e.instrument);
  }
  void on_replaced(const OrderReplaced& e) override {
    Rec<OrderReplaced> r{e, std::string(e.cl_ord_id), {}};
    r.e.cl_ord_id = {};
    std::string line = "replaced #" + std::to_string(e.order_id) + " " + r.s1 + " " + fx(e.price) + "x" +
                       std::to_string(e.qty) + " rem=" + std::to_string(e.remaining) +
                       (e.kept_priority ? " kept_priority" : " lost_priority");
    push(std::move(r), line, e.instrument);
  }
  void on_restated(const OrderRestated& e) override {
    Rec<OrderRestated> r{e, std::string(e.cl_ord_id), {}};
    r.e.cl_ord_id = {};
    std::string line = "restated #" + std::to_string(e.order_id) + " " + r.s1 + " -" + std::to_string(e.decrement) +
                       " rem=" + std::to_string(e.remaining);
    push(std::move(r), line, e.instrument);
  }
  void on_book_change(const BookChange& e) override {
    std::string line = "book " + std::string(to_string(e.side)) + " " + fx(e.price) + " " + std::to_string(e.qty) +
                       "/" + std::to_string(e.orders);
    push(Rec<BookChange>{e, {}, {}}, line, e.instrument);
  }
  void on_instrument_state(const InstrumentStateChanged& e) override {
    std::string line = "state " + symbol(e.instrument) + " " + std::string(to_string(e.state));
    push(Rec<InstrumentStateChanged>{e, {}, {}}, line, kNoInstrument);
  }
  void on_mass_cancel(const MassCancelDone& e) override {
    push(Rec<MassCancelDone>{e, {}, {}}, "mass_cancel_done " + std::to_string(e.cancelled), kNoInstrument);
  }
  void on_admin(const AdminDone& e) override {
    Rec<AdminDone> r{e, std::string(e.subject), {}};
    r.e.subject = {};
    std::string line = "admin " + std::string(to_string(e.command)) + " " + r.s1;
    push(std::move(r), line, kNoInstrument);
  }

 private:
  std::string symbol(InstrumentId id) const {
    const InstrumentInfo* info = engine ? engine->instrument(id) : nullptr;
    return info ? info->symbol : "i" + std::to_string(id);
  }
  template <class R>
  void push(R r, std::string line, InstrumentId instrument) {
    if (instrument != kNoInstrument && instrument != main_instrument) line += " @" + symbol(instrument);
    events.emplace_back(std::move(r));
    lines.push_back(std::move(line));
  }
};

inline constexpr const char* kMainSymbol = "NM.H100.D.2026-12-01";

// The standard market as a command stream (so a second engine can be fed exactly the same).
inline std::vector<Command> standard_setup() {
  const Timestamp t0 = iso("2026-11-30T09:00:00+08:00");
  std::vector<Command> cmds;
  auto region = [&](const char* code, const char* name, RegionSide side) {
    AddRegion c;
    c.ts = t0;
    c.region.code = code;
    c.region.name = name;
    c.region.side = side;
    c.region.jurisdiction = "CN";
    cmds.push_back(c);
  };
  region("NM", "Inner Mongolia (Horinger)", RegionSide::West);
  region("JJJ", "Beijing-Tianjin-Hebei (Zhangjiakou)", RegionSide::East);
  auto chip = [&](const char* code, ChipFamily family, const char* device, int64_t scu) {
    AddChipClass c;
    c.ts = t0;
    c.chip_class.code = code;
    c.chip_class.family = family;
    c.chip_class.device = device;
    c.chip_class.scu_per_device = scu;
    cmds.push_back(c);
  };
  chip("H100", ChipFamily::AI, "1 GPU", 989);
  chip("CPU-X86-64V", ChipFamily::General, "64-vCPU node", 5);
  auto party = [&](const char* code, ParticipantKind kind, RoleSet roles) {
    AddParticipant c;
    c.ts = t0;
    c.participant.code = code;
    c.participant.name = std::string(code) + " test participant";
    c.participant.kind = kind;
    c.participant.roles = roles;
    cmds.push_back(c);
  };
  party("SUP1", ParticipantKind::CloudVendor, kRoleTradeSell);
  party("SUP2", ParticipantKind::StateOperator, kRoleTradeSell);
  party("BUY1", ParticipantKind::Buyer, kRoleTradeBuy);
  party("BUY2", ParticipantKind::Buyer, kRoleTradeBuy);
  party("BOTH", ParticipantKind::CloudVendor, kRoleTradeBuy | kRoleTradeSell);
  party("OPS", ParticipantKind::Exchange, kRoleOperator);
  ListInstrument li;
  li.ts = t0;
  li.symbol = kMainSymbol;
  li.rules.tick = 100;
  li.rules.lot = 1;
  li.rules.max_order_qty = 1000;
  li.rules.price_band_bps = 3000;
  li.rules.gate_closure_ns = kNanosPerHour;
  cmds.push_back(li);
  // Participant ids follow the order above: EXCH 0, SUP1 1, SUP2 2, BUY1 3, BUY2 4, BOTH 5, OPS 6.
  auto capacity = [&](ParticipantId supplier, const char* cls) {
    RegisterCapacity c;
    c.ts = t0;
    c.supplier = supplier;
    c.region = "NM";
    c.chip_class = cls;
    c.from = iso("2026-11-01T00:00:00+08:00");
    c.to = iso("2027-01-01T00:00:00+08:00");
    c.devices = 100;
    cmds.push_back(c);
  };
  capacity(1, "H100");
  capacity(2, "H100");
  capacity(5, "H100");
  capacity(1, "CPU-X86-64V");
  for (ParticipantId p : {3u, 4u, 5u}) {
    SetCredit c;
    c.ts = t0;
    c.participant = p;
    c.limit = 100'000'000LL * kScale;  // 100 million CNY
    cmds.push_back(c);
  }
  return cmds;
}

class EngineFixture : public ::testing::Test {
 protected:
  Recorder rec;
  MatchingEngine engine{rec};
  Timestamp t0 = iso("2026-11-30T09:00:00+08:00");
  Timestamp now = t0;  // the ts every helper stamps on its command
  InstrumentId inst = kNoInstrument;
  ParticipantId SUP1 = 0, SUP2 = 0, BUY1 = 0, BUY2 = 0, BOTH = 0, OPS = 0;
  RegionId NM = 0, JJJ = 0;
  ChipClassId H100 = 0, CPU = 0;

  void SetUp() override {
    rec.engine = &engine;
    for (const Command& c : standard_setup()) engine.apply(c);
    inst = engine.find_instrument(kMainSymbol);
    rec.main_instrument = inst;
    SUP1 = engine.find_participant("SUP1");
    SUP2 = engine.find_participant("SUP2");
    BUY1 = engine.find_participant("BUY1");
    BUY2 = engine.find_participant("BUY2");
    BOTH = engine.find_participant("BOTH");
    OPS = engine.find_participant("OPS");
    NM = engine.find_region("NM");
    JJJ = engine.find_region("JJJ");
    H100 = engine.find_chip_class("H100");
    CPU = engine.find_chip_class("CPU-X86-64V");
    ASSERT_TRUE(rec.of<OrderRejected>().empty()) << "setup was rejected: " << ::testing::PrintToString(rec.lines);
    ASSERT_NE(inst, kNoInstrument);
    ASSERT_EQ(engine.instrument_state(inst), InstrumentState::Open);
    rec.clear();
  }

  // ------------------------------------------------------------ building orders

  NewOrder limit(ParticipantId p, Side side, std::string_view price, Quantity qty, std::string_view cl = "",
                 TimeInForce tif = TimeInForce::GTC) const {
    NewOrder o;
    o.participant = p;
    o.instrument = inst;
    o.side = side;
    o.type = OrderType::Limit;
    o.tif = tif;
    o.price = px(price);
    o.qty = qty;
    o.cl_ord_id.assign(cl);
    return o;
  }
  NewOrder market(ParticipantId p, Side side, Quantity qty, std::string_view cl = "",
                   TimeInForce tif = TimeInForce::IOC) const {
    NewOrder o;
    o.participant = p;
    o.instrument = inst;
    o.side = side;
    o.type = OrderType::Market;
    o.tif = tif;
    o.qty = qty;
    o.cl_ord_id.assign(cl);
    return o;
  }
  NewOrder buy(ParticipantId p, std::string_view price, Quantity qty, std::string_view cl = "") const {
    return limit(p, Side::Buy, price, qty, cl);
  }
  NewOrder sell(ParticipantId p, std::string_view price, Quantity qty, std::string_view cl = "") const {
    return limit(p, Side::Sell, price, qty, cl);
  }

  // ------------------------------------------------------------ sending commands (stamped with `now`)

  // Sends a new order; returns its id when accepted, 0 when rejected.
  OrderId send(NewOrder o) {
    if (o.ts == 0) o.ts = now;
    const size_t before = rec.events.size();
    engine.new_order(o);
    for (size_t i = before; i < rec.events.size(); ++i) {
      if (auto* a = std::get_if<Rec<OrderAccepted>>(&rec.events[i])) return a->e.order_id;
    }
    return 0;
  }
  void cancel(ParticipantId p, OrderId id, std::string_view cl = "") {
    CancelOrder c;
    c.ts = now;
    c.participant = p;
    c.order_id = id;
    c.cl_ord_id.assign(cl);
    engine.cancel(c);
  }
  // price "" keeps the price, qty 0 keeps the quantity.
  void replace(ParticipantId p, OrderId id, std::string_view price, Quantity qty, std::string_view cl = "") {
    ReplaceOrder c;
    c.ts = now;
    c.participant = p;
    c.order_id = id;
    c.cl_ord_id.assign(cl);
    c.price = price.empty() ? 0 : px(price);
    c.qty = qty;
    engine.replace(c);
  }
  void mass_cancel(ParticipantId who, ParticipantId target, InstrumentId instrument = kNoInstrument) {
    MassCancel c;
    c.ts = now;
    c.participant = who;
    c.target = target;
    c.instrument = instrument;
    engine.mass_cancel(c);
  }
  void advance(Timestamp t) {
    now = t;
    engine.advance_time(AdvanceTime{t});
  }
  void set_reference(std::string_view price, ParticipantId actor = kExchangeParticipant) {
    SetReferencePrice c;
    c.ts = now;
    c.actor = actor;
    c.instrument = inst;
    c.price = px(price);
    engine.set_reference_price(c);
  }
  void set_credit(ParticipantId p, Money limit, ParticipantId actor = kExchangeParticipant) {
    SetCredit c;
    c.ts = now;
    c.actor = actor;
    c.participant = p;
    c.limit = limit;
    engine.set_credit(c);
  }
  void set_state(StateAction action, InstrumentId instrument, ParticipantId actor = kExchangeParticipant) {
    SetInstrumentState c;
    c.ts = now;
    c.actor = actor;
    c.instrument = instrument;
    c.action = action;
    engine.set_instrument_state(c);
  }
  ListInstrument listing(std::string symbol, Timestamp open_at = 0) const {
    ListInstrument c;
    c.ts = now;
    c.symbol = std::move(symbol);
    c.rules.tick = 100;
    c.rules.lot = 1;
    c.rules.max_order_qty = 1000;
    c.rules.price_band_bps = 3000;
    c.rules.gate_closure_ns = kNanosPerHour;
    c.open_at = open_at;
    return c;
  }
  // Lists an instrument with the standard rules; returns its id (kNoInstrument when rejected).
  InstrumentId list(std::string symbol, Timestamp open_at = 0) {
    ListInstrument c = listing(symbol, open_at);
    engine.list_instrument(c);
    return engine.find_instrument(symbol);
  }
  ParticipantId add_participant(std::string code, RoleSet roles, ParticipantLimits limits = {}) {
    AddParticipant c;
    c.ts = now;
    c.participant.code = code;
    c.participant.name = code;
    c.participant.kind = ParticipantKind::Buyer;
    c.participant.roles = roles;
    c.participant.limits = limits;
    engine.add_participant(c);
    return engine.find_participant(code);
  }

  // ------------------------------------------------------------ looking at the book

  // Levels best first, as "price qty/orders".
  std::vector<std::string> levels(Side side, InstrumentId instrument = kNoInstrument) const {
    std::vector<LevelView> v;
    engine.depth(instrument == kNoInstrument ? inst : instrument, side, 100, v);
    std::vector<std::string> out;
    for (const LevelView& l : v) out.push_back(fx(l.price) + " " + std::to_string(l.qty) + "/" + std::to_string(l.orders));
    return out;
  }
  // Order ids in priority order.
  std::vector<OrderId> queue(Side side, InstrumentId instrument = kNoInstrument) const {
    std::vector<OrderView> v;
    engine.orders_in_book(instrument == kNoInstrument ? inst : instrument, side, v);
    std::vector<OrderId> out;
    for (const OrderView& o : v) out.push_back(o.id);
    return out;
  }
  OrderView order(OrderId id) const {
    OrderView v{};
    EXPECT_TRUE(engine.find_order(id, v)) << "order #" << id << " is not open";
    return v;
  }
  bool is_open(OrderId id) const {
    OrderView v{};
    return engine.find_order(id, v);
  }
  // Money of price x qty x 24 hours (a D instrument).
  static Money day_notional(std::string_view price, Quantity qty) { return px(price) * qty * 24; }
};

using Lines = std::vector<std::string>;
using Ids = std::vector<OrderId>;

}  // namespace cpx::test
