// The day-ahead auction in the engine and through the ledger (docs/PRODUCT.md §3.3, §4, §7): every reject of
// every auction command, the input frozen at the gate, clearing with a result worked out by hand and with
// the solver's, settlement of auction contracts to the last unit, cancellation, reference prices,
// snapshots at each stage, the monitoring figures, and seeded random days with every cross-check after
// every command.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "auction_fixture.hpp"
#include "cpx/auction_book.hpp"
#include "cpx/auction_codec.hpp"
#include "cpx/auction_solver.hpp"
#include "engine_fixture.hpp"
#include "event_text.hpp"
#include "exchange.hpp"
#include "order_history.hpp"
#include "market_stats.hpp"
#include "revenue_split.hpp"

namespace cpx::test {
namespace {

using persistence::Contract;
using persistence::ContractState;
using persistence::Exchange;

// ---------------------------------------------------------------------------------------------------
// The market (all set up at 2026-11-30T09:00+08:00 through ordinary commands, see setup_commands()):
//   regions  NM (0, west, CN, green 0.45), JJJ (1, east, CN, green 0.30), GZ (2, west, CN-GZ, green 0.55)
//   classes  G10 (0, ai, 10 SCU), G20 (1, ai, 20 SCU), CPU (2, general, 5 SCU)
//            zones at the gate: zone = region x 3 + class (NM.G10 0 ... GZ.CPU 8)
//   links    0: JJJ->NM 15 ms, 1 Gbps (450 GB/h), 0.0200 CNY/GB, CAR
//            1: JJJ->GZ 25 ms, 10 Gbps (4500 GB/h), 0.0100, CAR2
//            2: NM->GZ   8 ms, 10 Gbps, 0.0050, CAR2
//   fees     maker 10 bps (the auction's fee), taker 20 bps (the reserve uses the larger)
//   capacity SUP NM.G10 100, SUP2 NM.G10 50, HOST GZ.G10 40, SUP JJJ.G10 20, SUP NM.CPU 100, LIM NM.CPU 100,
//            every one over [2026-12-01, 2026-12-04)
//   cash     BUY 1,000,000 CNY, BUY2 100 CNY, LIM 1,000,000 CNY
//   revenue  SUP's sales split SUP 80 % / HOST 20 %
//   books    0 NM.G10.D.2026-12-02, 1 NM.G10.H.2026-12-02T10, 2 NM.G10.H.2026-12-02T11,
//            3 GZ.G10.H.2026-12-02T10, 4 JJJ.G10.H.2026-12-02T10 (tick 0.01, band 30 %, gate 1 h)
//   auction  delivery day 2026-12-02, gate closure 2026-12-01T12:00+08:00
constexpr ParticipantId OPS = 1, SUP = 2, HOST = 3, SUP2 = 4, BUY = 5, BUY2 = 6, CAR = 7, CAR2 = 8, RO = 9, LIM = 10;
constexpr RegionId NM = 0, JJJ = 1, GZ = 2;
constexpr ChipClassId G10 = 0, G20 = 1, CPU = 2;
constexpr InstrumentId kDayBook = 0, kH10 = 1, kH11 = 2, kGzH10 = 3, kJjjH10 = 4;
constexpr uint32_t zone_of(RegionId r, ChipClassId c) { return r * 3u + c; }

const Timestamp kT0 = iso("2026-11-30T09:00:00+08:00");
const Timestamp kDay = iso("2026-12-02T00:00:00+08:00");
const Timestamp kGate = iso("2026-12-01T12:00:00+08:00");
constexpr Money kBuyCash = 1'000'000LL * kScale, kBuy2Cash = 100 * kScale, kLimCash = 1'000'000LL * kScale;

struct Registration {
  ParticipantId supplier;
  RegionId region;
  ChipClassId chip_class;
  Quantity devices;
};
constexpr Registration kRegistrations[] = {{SUP, NM, G10, 100}, {SUP2, NM, G10, 50}, {HOST, GZ, G10, 40},
                                           {SUP, JJJ, G10, 20}, {SUP, NM, CPU, 100}, {LIM, NM, CPU, 100}};

std::vector<Command> setup_commands() {
  std::vector<Command> c;
  const Timestamp t = kT0;
  auto region = [&](const char* code, RegionSide side, const char* jurisdiction, int64_t green) {
    Region r;
    r.code = code;
    r.name = code;
    r.side = side;
    r.jurisdiction = jurisdiction;
    r.green_share = green;
    c.push_back(AddRegion{t, kExchangeParticipant, r});
  };
  region("NM", RegionSide::West, "CN", 4500);
  region("JJJ", RegionSide::East, "CN", 3000);
  region("GZ", RegionSide::West, "CN-GZ", 5500);
  auto chip = [&](const char* code, ChipFamily family, int64_t scu) {
    ChipClass k;
    k.code = code;
    k.family = family;
    k.device = "1 device";
    k.scu_per_device = scu;
    c.push_back(AddChipClass{t, kExchangeParticipant, k});
  };
  chip("G10", ChipFamily::AI, 10);
  chip("G20", ChipFamily::AI, 20);
  chip("CPU", ChipFamily::General, 5);
  auto party = [&](const char* code, ParticipantKind kind, RoleSet roles, ParticipantLimits limits = {}) {
    Participant p;
    p.code = code;
    p.name = code;
    p.kind = kind;
    p.roles = roles;
    p.limits = limits;
    c.push_back(AddParticipant{t, kExchangeParticipant, p});
  };
  party("OPS", ParticipantKind::Exchange, kRoleOperator);
  party("SUP", ParticipantKind::CloudVendor, kRoleTradeSell);
  party("HOST", ParticipantKind::StateOperator, kRoleTradeSell);
  party("SUP2", ParticipantKind::StateOperator, kRoleTradeSell);
  party("BUY", ParticipantKind::Buyer, kRoleTradeBuy);
  party("BUY2", ParticipantKind::Buyer, kRoleTradeBuy);
  party("CAR", ParticipantKind::Carrier, kRoleCarrier);
  party("CAR2", ParticipantKind::Carrier, kRoleCarrier);
  party("RO", ParticipantKind::Buyer, kRoleReadOnly);
  party("LIM", ParticipantKind::CloudVendor, kRoleTradeBuy | kRoleTradeSell, ParticipantLimits{2, 50});
  c.push_back(AddLink{t, OPS, "JJJ", "NM", 15, 1, 200, CAR});
  c.push_back(AddLink{t, OPS, "JJJ", "GZ", 25, 10, 100, CAR2});
  c.push_back(AddLink{t, OPS, "NM", "GZ", 8, 10, 50, CAR2});
  c.push_back(SetFees{t, OPS, 10, 20});
  const char* regions[] = {"NM", "JJJ", "GZ"};
  const char* classes[] = {"G10", "G20", "CPU"};
  for (const Registration& r : kRegistrations) {
    c.push_back(RegisterCapacity{t, OPS, r.supplier, regions[r.region], classes[r.chip_class], iso("2026-12-01"),
                                 iso("2026-12-04"), r.devices});
  }
  c.push_back(Deposit{t, OPS, BUY, kBuyCash});
  c.push_back(Deposit{t, OPS, BUY2, kBuy2Cash});
  c.push_back(Deposit{t, OPS, LIM, kLimCash});
  c.push_back(SetRevenueShare{t, OPS, SUP, {{SUP, 8000}, {HOST, 2000}}});
  for (const char* symbol : {"NM.G10.D.2026-12-02", "NM.G10.H.2026-12-02T10", "NM.G10.H.2026-12-02T11",
                             "GZ.G10.H.2026-12-02T10", "JJJ.G10.H.2026-12-02T10"}) {
    ListInstrument li;
    li.ts = t;
    li.actor = OPS;
    li.symbol = symbol;
    li.rules.tick = 100;
    li.rules.lot = 1;
    li.rules.max_order_qty = 1000;
    li.rules.price_band_bps = 3000;
    li.rules.gate_closure_ns = kNanosPerHour;
    c.push_back(li);
  }
  c.push_back(OpenAuction{t, OPS, kDay, kGate});
  return c;
}

// Every event as one line with every field (two streams compare exactly), plus typed copies of what the
// tests look at.
class AuctionEvents final : public EventListener {
 public:
  struct Reject {
    CommandKind command;
    ParticipantId participant;
    uint64_t order_id;
    std::string cl_ord_id;
    RejectReason reason;
  };
  struct Award {
    AuctionAward e;
    std::vector<TransportLeg> legs;
  };
  std::vector<std::string> lines;
  std::vector<Reject> rejects;
  std::vector<AuctionStateChanged> states;
  std::vector<std::pair<uint64_t, ParticipantId>> accepted;  // auction orders
  std::vector<AuctionOrderDone> done;                        // cl_ord_id cleared
  std::vector<Award> awards;
  std::vector<OrderId> orders;  // continuous orders accepted
  size_t trades = 0;

  void clear() {
    lines.clear();
    rejects.clear();
    states.clear();
    accepted.clear();
    done.clear();
    awards.clear();
    orders.clear();
    trades = 0;
  }

  void on_accepted(const OrderAccepted& e) override {
    orders.push_back(e.order_id);
    add("accepted", e.ts, {e.order_id, e.participant, e.instrument, u(e.side), u(e.price), u(e.qty)}, e.cl_ord_id);
  }
  void on_rejected(const OrderRejected& e) override {
    rejects.push_back({e.command, e.participant, e.order_id, std::string(e.cl_ord_id), e.reason});
    add("rejected", e.ts, {u(e.command), e.participant, e.instrument, e.order_id, u(e.reason)}, e.cl_ord_id);
  }
  void on_trade(const Trade& e) override {
    ++trades;
    add("trade", e.ts, {e.trade_id, e.instrument, u(e.price), u(e.qty), e.buyer, e.seller, u(e.notional),
                        u(e.buyer_fee), u(e.seller_fee)}, "");
  }
  void on_done(const OrderDone& e) override {
    add("done", e.ts, {e.order_id, e.participant, u(e.cancelled_qty), u(e.filled_qty), u(e.reason)}, e.cl_ord_id);
  }
  void on_book_change(const BookChange& e) override {
    add("book", e.ts, {e.instrument, u(e.side), u(e.price), u(e.qty), e.orders}, "");
  }
  void on_instrument_state(const InstrumentStateChanged& e) override {
    add("state", e.ts, {e.instrument, u(e.state)}, "");
  }
  void on_admin(const AdminDone& e) override { add("admin", e.ts, {u(e.command), e.actor}, e.subject); }
  void on_settlement(const SettlementEvent& e) override {
    std::vector<uint64_t> f = {u(e.kind), e.trade_id, e.participant, e.counterparty, u(e.amount), u(e.cash_after),
                               u(e.delivered_device_hours), u(e.contracted_device_hours), u(e.supplier_gross),
                               u(e.fees), u(e.refund), u(e.transport), u(e.payout_due)};
    for (const auto& [p, m] : e.pieces) f.insert(f.end(), {p, u(m)});
    for (const auto& [p, m] : e.carrier_pieces) f.insert(f.end(), {p, u(m)});
    add_v("settlement", e.ts, f, "");
  }
  void on_auction_state(const AuctionStateChanged& e) override {
    states.push_back(e);
    add("auction_state", e.ts, {u(e.day_start), u(e.state), u(e.gate_closure), e.offers, e.bids, e.accepted_bids,
                                e.contracts}, "");
  }
  void on_auction_order(const AuctionOrderAccepted& e) override {
    accepted.emplace_back(e.order_id, e.participant);
    if (e.offer) {
      const AuctionOfferRecord& o = *e.offer;
      add("auction_offer", e.ts, {u(e.day_start), e.order_id, e.participant, o.region, o.chip_class, u(o.hour),
                                  u(o.devices), u(o.price)}, e.cl_ord_id);
    } else {
      const AuctionBidRecord& b = *e.bid;
      add("auction_bid", e.ts, {u(e.day_start), e.order_id, e.participant, u(b.first_hour), u(b.hours),
                                u(b.min_ratio_bps), u(b.constraints.scu), u(b.constraints.limit_per_scu_hour),
                                u(b.reserve)}, e.cl_ord_id);
    }
  }
  void on_auction_order_done(const AuctionOrderDone& e) override {
    AuctionOrderDone copy = e;
    copy.cl_ord_id = {};
    done.push_back(copy);
    add("auction_done", e.ts, {u(e.day_start), e.order_id, e.participant, u(e.is_bid), u(e.status), u(e.accepted),
                               u(e.paradoxically_rejected)}, e.cl_ord_id);
  }
  void on_auction_award(const AuctionAward& e) override {
    Award a{e, std::vector<TransportLeg>(e.transport.begin(), e.transport.end())};
    a.e.transport = {};
    awards.push_back(a);
    std::vector<uint64_t> f = {e.trade_id, u(e.day_start), u(e.hour), e.region, e.chip_class, e.buyer, e.seller,
                               e.bid_id, e.offer_id, u(e.devices), u(e.price), u(e.scu), u(e.price_per_scu_hour),
                               u(e.notional), u(e.buyer_fee), u(e.seller_fee), u(e.transport_fee),
                               u(e.window_start), u(e.window_end)};
    for (const TransportLeg& l : e.transport) f.insert(f.end(), {l.link, l.carrier, u(l.amount)});
    add_v("auction_award", e.ts, f, "");
  }

 private:
  template <class T>
  static uint64_t u(T v) {
    return static_cast<uint64_t>(v);
  }
  void add(const char* kind, Timestamp ts, std::initializer_list<uint64_t> fields, std::string_view text) {
    add_v(kind, ts, std::vector<uint64_t>(fields), text);
  }
  void add_v(const char* kind, Timestamp ts, const std::vector<uint64_t>& fields, std::string_view text) {
    std::string s = std::string(kind) + " " + std::to_string(ts);
    for (uint64_t f : fields) s += " " + std::to_string(static_cast<int64_t>(f));
    s += " '" + std::string(text) + "'";
    lines.push_back(std::move(s));
  }
};

std::string input_bytes(const AuctionInput& in) {
  std::string bytes;
  ByteWriter w(bytes);
  put(w, in);
  return bytes;
}

// A block's constraints: classes, origin, SCU per hour, landed limit (CNY per SCU-hour), GB per hour.
RouteQuery query(std::vector<ChipClassId> classes, RegionId origin, int64_t scu, double limit, int64_t data_gb = 0) {
  RouteQuery q;
  q.classes = std::move(classes);
  q.origin = origin;
  q.scu = scu;
  q.limit_per_scu_hour = scu_price(limit);
  q.data_gb = data_gb;
  return q;
}

// The credit an open continuous buy holds (the engine's rule: notional + the larger fee rounded up + one
// unit per device when fees are charged).
Money continuous_reserve(Price price, Quantity qty, int64_t hours, int64_t bps) {
  const Money notional = price * qty * hours;
  if (bps == 0) return notional;
  return notional + (notional * bps + 9'999) / 10'000 + qty;
}

// x * num / den rounded half away from zero (x, num >= 0, den > 0): the settlement's rounding.
Money mul_div_half_up(Money x, int64_t num, int64_t den) {
  return static_cast<Money>((2 * static_cast<__int128>(x) * num + den) / (2 * static_cast<__int128>(den)));
}

class AuctionBookTest : public ::testing::Test {
 protected:
  AuctionEvents ev;
  Exchange ex{ev};
  Timestamp now = kT0;
  RejectReason last_ = RejectReason::UnknownOrder;

  void SetUp() override {
    for (const Command& c : setup_commands()) apply(c);
    ASSERT_TRUE(ev.rejects.empty()) << ::testing::PrintToString(ev.lines);
    ASSERT_NE(day(), nullptr);
    ev.clear();
  }

  void apply(const Command& c) {
    ex.apply(c);
    std::string why;
    ASSERT_TRUE(ex.check(why)) << to_string(kind_of(c)) << ": " << why;
  }
  // Applies a command; the auction order (or continuous order) id it made, 0 when it was refused (last()).
  uint64_t submit(const Command& c) {
    const size_t rejected = ev.rejects.size(), accepted = ev.accepted.size(), orders = ev.orders.size();
    apply(c);
    if (ev.rejects.size() > rejected) {
      last_ = ev.rejects.back().reason;
      return 0;
    }
    if (ev.accepted.size() > accepted) return ev.accepted.back().first;
    if (ev.orders.size() > orders) return ev.orders.back();
    return 0;
  }
  RejectReason last() const { return last_; }
  // The reason a command was refused, or "accepted".
  std::string outcome(const Command& c) {
    const size_t rejected = ev.rejects.size();
    apply(c);
    return ev.rejects.size() > rejected ? std::string(reason_code(ev.rejects.back().reason)) : "accepted";
  }

  AuctionOffer offer_cmd(ParticipantId p, int hour, Quantity devices, std::string_view price, RegionId region = NM,
                         ChipClassId cls = G10, Timestamp day_start = 0) const {
    AuctionOffer o;
    o.ts = now;
    o.participant = p;
    o.day_start = day_start ? day_start : kDay;
    o.region = region;
    o.chip_class = cls;
    o.hour = hour;
    o.devices = devices;
    o.price = px(price);
    return o;
  }
  uint64_t offer(ParticipantId p, int hour, Quantity devices, std::string_view price, RegionId region = NM,
                 ChipClassId cls = G10) {
    return submit(offer_cmd(p, hour, devices, price, region, cls));
  }
  AuctionBid bid_cmd(ParticipantId p, int first_hour, int hours, RouteQuery q, int64_t min_ratio_bps = 10'000,
                     Timestamp day_start = 0) const {
    AuctionBid b;
    b.ts = now;
    b.participant = p;
    b.day_start = day_start ? day_start : kDay;
    b.first_hour = first_hour;
    b.hours = hours;
    b.min_ratio_bps = min_ratio_bps;
    b.constraints = std::move(q);
    return b;
  }
  uint64_t bid(ParticipantId p, int first_hour, int hours, RouteQuery q, int64_t min_ratio_bps = 10'000) {
    return submit(bid_cmd(p, first_hour, hours, std::move(q), min_ratio_bps));
  }
  CancelAuctionOrder cancel_cmd(ParticipantId p, uint64_t id, Timestamp day_start = 0) const {
    return CancelAuctionOrder{now, p, day_start ? day_start : kDay, id};
  }
  NewOrder order_cmd(ParticipantId p, InstrumentId i, Side side, std::string_view price, Quantity qty) const {
    NewOrder o;
    o.ts = now;
    o.participant = p;
    o.instrument = i;
    o.side = side;
    o.price = px(price);
    o.qty = qty;
    return o;
  }
  ClearAuction clear_cmd(AuctionResult r, ParticipantId actor = OPS) const {
    return ClearAuction{now, actor, kDay, false, std::move(r)};
  }
  void advance(Timestamp t) {
    now = t;
    apply(AdvanceTime{t});
  }

  const AuctionDay* day() const { return ex.engine().auction(kDay); }
  const AuctionOfferRecord* offer_record(uint64_t id) const {
    for (const AuctionOfferRecord& o : day()->offers)
      if (o.id == id) return &o;
    return nullptr;
  }
  const AuctionBidRecord* bid_record(uint64_t id) const {
    for (const AuctionBidRecord& b : day()->bids)
      if (b.id == id) return &b;
    return nullptr;
  }
  Quantity headroom(ParticipantId p, RegionId r, ChipClassId c, int hour) const {
    const Timestamp from = kDay + hour * kNanosPerHour;
    return ex.engine().capacity_headroom(p, r, c, from, from + kNanosPerHour);
  }
  Money cash(ParticipantId p) const {
    const persistence::Account* a = ex.ledger().account(persistence::cash_account(p));
    return a ? a->balance() : 0;
  }
  Money fee_account() const { return ex.ledger().account(persistence::kExchangeFeesAccount)->balance(); }

  // ------------------------------------------------------------------ the day worked out by hand
  //   c0  SUP  NM.G10 h10  5 @ 1.80   (withdrawn before the gate)
  //   o1  SUP  NM.G10 h10 30 @ 2.00   (0.20 per SCU-hour)
  //   o2  SUP2 NM.G10 h10 20 @ 1.50   (0.15)
  //   o3  HOST GZ.G10 h10 10 @ 1.00   (0.10)
  //   o4  SUP  NM.G10 h11 30 @ 2.00
  //   o5  HOST GZ.G10 h11 10 @ 1.00
  //   b1  BUY  hours 10-11, G10, 400 SCU/h, min ratio 50 %, limit 0.25 landed, from JJJ with 400 GB/h
  //            (1 GB per SCU): routes NM.G10 over link 0, JJJ.G10 local, GZ.G10 over link 1
  //   b2  BUY2 hour 10, G10, 100 SCU, all or none, limit 0.30, NM only (local to NM)
  struct HandDay {
    uint64_t c0, o1, o2, o3, o4, o5, b1, b2;
  };
  HandDay hand_orders() {
    HandDay d{};
    d.c0 = offer(SUP, 10, 5, "1.80");
    apply(cancel_cmd(SUP, d.c0));
    d.o1 = offer(SUP, 10, 30, "2.00");
    d.o2 = offer(SUP2, 10, 20, "1.50");
    d.o3 = offer(HOST, 10, 10, "1.00", GZ);
    d.o4 = offer(SUP, 11, 30, "2.00");
    d.o5 = offer(HOST, 11, 10, "1.00", GZ);
    d.b1 = bid(BUY, 10, 2, query({G10}, JJJ, 400, 0.25, 400), 5'000);
    RouteQuery q2 = query({G10}, NM, 100, 0.30);
    q2.regions = {NM};
    d.b2 = bid(BUY2, 10, 1, q2);
    EXPECT_TRUE(d.c0 && d.o1 && d.o2 && d.o3 && d.o4 && d.o5 && d.b1 && d.b2) << ::testing::PrintToString(ev.lines);
    return d;
  }
  // The result, by hand: b1 gets 20 devices in NM.G10 and 10 in GZ.G10 each hour (300 of its 400 SCU, above
  // its 50 %); NM h10 is o2 in full (price 0.15, o2's own), NM h11 20 of o4's 30 (0.20), GZ o3 and o5 in
  // full (0.10). b2 is left out although NM h10's 0.15 is below its 0.30: reported paradoxically rejected.
  // Input indexes: offers o1..o5 = 0..4 (c0 was withdrawn), blocks b1 = 0, b2 = 1.
  static AuctionResult hand_result() {
    AuctionResult r;
    r.zone_price.assign(9 * kAuctionHours, 0);
    r.congestion.assign(3 * kAuctionHours, 0);
    r.zone_price[zone_of(NM, G10) * kAuctionHours + 10] = scu_price(0.15);
    r.zone_price[zone_of(NM, G10) * kAuctionHours + 11] = scu_price(0.20);
    r.zone_price[zone_of(GZ, G10) * kAuctionHours + 10] = scu_price(0.10);
    r.zone_price[zone_of(GZ, G10) * kAuctionHours + 11] = scu_price(0.10);
    r.allocations = {AuctionAllocation{0, zone_of(NM, G10), 20}, AuctionAllocation{0, zone_of(GZ, G10), 10}};
    r.acceptances = {AuctionAcceptance{1, 20}, AuctionAcceptance{2, 10}, AuctionAcceptance{3, 20}, AuctionAcceptance{4, 10}};
    r.paradoxically_rejected = {1};
    return r;
  }
};

// ---------------------------------------------------------------------------------------------------
// Rejects, command by command.

TEST_F(AuctionBookTest, OpenAuctionRejects) {
  const Timestamp day3 = iso("2026-12-03T00:00:00+08:00"), gate3 = iso("2026-12-02T12:00:00+08:00");
  EXPECT_EQ(outcome(OpenAuction{now, BUY, day3, gate3}), "role_missing");
  EXPECT_EQ(outcome(OpenAuction{now, 999, day3, gate3}), "unknown_participant");
  EXPECT_EQ(outcome(OpenAuction{now, OPS, day3 + kNanosPerHour, gate3}), "invalid_window");  // not 00:00 CST
  EXPECT_EQ(outcome(OpenAuction{now, OPS, iso("2026-12-03T00:00:00Z"), gate3}), "invalid_window");  // UTC midnight
  EXPECT_EQ(outcome(OpenAuction{now, OPS, day3, day3}), "listing_too_late");  // gate at the delivery start
  EXPECT_EQ(outcome(OpenAuction{now, OPS, day3, day3 + kNanosPerHour}), "listing_too_late");
  EXPECT_EQ(outcome(OpenAuction{now, OPS, day3, now}), "listing_too_late");  // gate already passed
  EXPECT_EQ(outcome(OpenAuction{now, OPS, kDay, kGate}), "duplicate_code");
  EXPECT_EQ(ex.engine().auction(day3), nullptr);
  EXPECT_TRUE(ev.states.empty());
  EXPECT_EQ(outcome(OpenAuction{now, OPS, day3, gate3}), "accepted");
  ASSERT_EQ(ev.states.size(), 1u);
  EXPECT_EQ(ev.states[0].state, AuctionState::Open);
  EXPECT_EQ(ev.states[0].gate_closure, gate3);
  EXPECT_EQ(ex.engine().auction_days(), (std::vector<Timestamp>{kDay, day3}));
}

TEST_F(AuctionBookTest, OfferRejects) {
  const uint64_t hash = ex.state_hash();
  EXPECT_EQ(outcome(offer_cmd(999, 10, 1, "1.00")), "unknown_participant");
  EXPECT_EQ(outcome(offer_cmd(BUY, 10, 1, "1.00")), "role_missing");
  EXPECT_EQ(outcome(offer_cmd(RO, 10, 1, "1.00")), "role_missing");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 1, "1.00", NM, G10, kDay + kNanosPerDay)), "unknown_auction");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 1, "1.00", NM, G10, kDay + kNanosPerHour)), "unknown_auction");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 1, "1.00", 99)), "unknown_region");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 1, "1.00", NM, 99)), "unknown_chip_class");
  EXPECT_EQ(outcome(offer_cmd(SUP, -1, 1, "1.00")), "invalid_hours");
  EXPECT_EQ(outcome(offer_cmd(SUP, 24, 1, "1.00")), "invalid_hours");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 0, "1.00")), "invalid_quantity");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, -3, "1.00")), "invalid_quantity");
  EXPECT_EQ(outcome(offer_cmd(LIM, 10, 51, "1.00", NM, CPU)), "max_order_qty");  // LIM's limit is 50
  AuctionOffer priced = offer_cmd(SUP, 10, 1, "1.00");
  for (Price p : {Price{0}, Price{-10'000}, kMaxPrice + 1}) {
    priced.price = p;
    EXPECT_EQ(outcome(priced), "invalid_price") << p;
  }
  // Nothing registered: no region x class, or another class in the same region.
  EXPECT_EQ(outcome(offer_cmd(SUP2, 10, 1, "1.00", GZ)), "capacity_exceeded");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 1, "1.00", NM, G20)), "capacity_exceeded");
  EXPECT_EQ(ex.state_hash(), hash) << "a refused offer changes nothing";
  EXPECT_TRUE(ev.accepted.empty());
  // The boundaries are fine: the dearest price, hours 0 and 23.
  priced.price = kMaxPrice;
  EXPECT_EQ(outcome(priced), "accepted");
  EXPECT_EQ(outcome(offer_cmd(SUP, 0, 1, "1.00")), "accepted");
  EXPECT_EQ(outcome(offer_cmd(SUP, 23, 1, "1.00")), "accepted");
  EXPECT_EQ(day()->offers.size(), 3u) << "only the three accepted offers are kept";
  for (const auto& r : ev.rejects) EXPECT_EQ(r.command, CommandKind::AuctionOffer);
}

TEST_F(AuctionBookTest, TwoOffersForOneHourCannotExceedTheRegisteredDevices) {
  EXPECT_NE(offer(SUP, 10, 60, "2.00"), 0u);
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 40);
  EXPECT_EQ(headroom(SUP, NM, G10, 11), 100) << "an offer commits its own hour only";
  EXPECT_EQ(offer(SUP, 10, 41, "2.00"), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 40) << "a refused offer commits nothing";
  EXPECT_NE(offer(SUP, 10, 40, "2.10"), 0u);
  EXPECT_EQ(offer(SUP, 10, 1, "2.20"), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  EXPECT_NE(offer(SUP, 11, 100, "2.00"), 0u);
  // Another supplier's registration in the same zone is its own.
  EXPECT_NE(offer(SUP2, 10, 50, "2.00"), 0u);
  EXPECT_EQ(offer(SUP2, 10, 1, "2.00"), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
}

TEST_F(AuctionBookTest, OffersAndContinuousSellOrdersShareTheRegisteredCapacity) {
  // 30 devices offered for all of 2026-12-02 in the day book leave 70 for any hour of it.
  ASSERT_NE(submit(order_cmd(SUP, kDayBook, Side::Sell, "2.00", 30)), 0u);
  EXPECT_EQ(offer(SUP, 5, 71, "2.00"), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  const uint64_t o = offer(SUP, 5, 70, "2.00");
  ASSERT_NE(o, 0u);
  // ...and now hour 5 is full: the day book cannot take one more device, an hour book elsewhere can.
  EXPECT_EQ(submit(order_cmd(SUP, kDayBook, Side::Sell, "2.00", 1)), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  EXPECT_NE(submit(order_cmd(SUP, kH10, Side::Sell, "2.00", 70)), 0u);
  EXPECT_EQ(submit(order_cmd(SUP, kH10, Side::Sell, "2.00", 1)), 0u);
  // Withdrawing the offer gives hour 5 back to the day book.
  apply(cancel_cmd(SUP, o));
  EXPECT_EQ(submit(order_cmd(SUP, kDayBook, Side::Sell, "2.00", 1)), 0u) << "hour 10 is full now";
  EXPECT_EQ(headroom(SUP, NM, G10, 5), 70);
  // An hour book's sell blocks the same hour's offer.
  ASSERT_NE(submit(order_cmd(SUP2, kH11, Side::Sell, "2.00", 50)), 0u);
  EXPECT_EQ(offer(SUP2, 11, 1, "2.00"), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  EXPECT_NE(offer(SUP2, 12, 50, "2.00"), 0u);
}

TEST_F(AuctionBookTest, BidRejects) {
  RouteQuery ok = query({G10}, JJJ, 100, 0.20);
  EXPECT_EQ(outcome(bid_cmd(999, 10, 1, ok)), "unknown_participant");
  EXPECT_EQ(outcome(bid_cmd(SUP, 10, 1, ok)), "role_missing");
  EXPECT_EQ(outcome(bid_cmd(RO, 10, 1, ok)), "role_missing");
  EXPECT_EQ(outcome(bid_cmd(BUY, 10, 1, ok, 10'000, kDay - kNanosPerDay)), "unknown_auction");
  EXPECT_EQ(outcome(bid_cmd(BUY, -1, 1, ok)), "invalid_hours");
  EXPECT_EQ(outcome(bid_cmd(BUY, 10, 0, ok)), "invalid_hours");
  EXPECT_EQ(outcome(bid_cmd(BUY, 20, 5, ok)), "invalid_hours");
  EXPECT_EQ(outcome(bid_cmd(BUY, 24, 1, ok)), "invalid_hours");
  EXPECT_EQ(outcome(bid_cmd(BUY, 10, 1, ok, 0)), "invalid_value");
  EXPECT_EQ(outcome(bid_cmd(BUY, 10, 1, ok, 10'001)), "invalid_value");
  auto with = [&](auto change) {
    RouteQuery q = ok;
    change(q);
    return outcome(bid_cmd(BUY, 10, 1, q));
  };
  EXPECT_EQ(with([](RouteQuery& q) { q.classes = {}; }), "unknown_chip_class");
  EXPECT_EQ(with([](RouteQuery& q) { q.classes = {G10, 99}; }), "unknown_chip_class");
  EXPECT_EQ(with([](RouteQuery& q) { q.classes = {G10, CPU}; }), "invalid_value");  // two families
  EXPECT_EQ(with([](RouteQuery& q) { q.regions = {NM, 99}; }), "unknown_region");
  EXPECT_EQ(with([](RouteQuery& q) { q.origin = 99; }), "unknown_region");
  EXPECT_EQ(with([](RouteQuery& q) { q.scu = 0; }), "invalid_quantity");
  EXPECT_EQ(with([](RouteQuery& q) { q.scu = kMaxDevices + 1; }), "invalid_quantity");
  EXPECT_EQ(with([](RouteQuery& q) { q.limit_per_scu_hour = 0; }), "invalid_price");
  EXPECT_EQ(with([](RouteQuery& q) { q.limit_per_scu_hour = kMaxPrice + 1; }), "invalid_price");
  EXPECT_EQ(with([](RouteQuery& q) { q.data_gb = -1; }), "invalid_value");
  EXPECT_EQ(with([](RouteQuery& q) { q.min_green_share = kScale + 1; }), "invalid_value");
  EXPECT_EQ(with([](RouteQuery& q) { q.max_latency_ms = -2; }), "invalid_value");
  EXPECT_EQ(with([](RouteQuery& q) {
              q.scu = kMaxDevices;
              q.limit_per_scu_hour = kMaxPrice;
            }),
            "notional_overflow");
  EXPECT_TRUE(day()->bids.empty());
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, 0);
  // The boundaries themselves are fine.
  EXPECT_EQ(outcome(bid_cmd(BUY, 23, 1, ok)), "accepted");
  EXPECT_EQ(outcome(bid_cmd(BUY, 0, 24, ok, 1)), "accepted");
  for (const auto& r : ev.rejects) EXPECT_EQ(r.command, CommandKind::AuctionBid);
}

TEST_F(AuctionBookTest, ABidHoldsItsReserveAndCreditIsCheckedToTheUnit) {
  // BUY2 has 100 CNY. Block A: 200 SCU of G10 or G20 for 2 hours at 0.20: the reserve is computed over the
  // smallest device (G10) and the larger fee (20 bps).
  RouteQuery a = query({G10, G20}, NM, 200, 0.20);
  const Money ra = auction_block_reserve(200, 2, scu_price(0.20), 10, 20);
  EXPECT_GT(ra, 80 * kScale);  // at least 0.20 x 200 x 2
  EXPECT_LT(ra, 82 * kScale);
  const uint64_t ida = bid(BUY2, 10, 2, a);
  ASSERT_NE(ida, 0u);
  EXPECT_EQ(bid_record(ida)->reserve, ra);
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, ra);
  EXPECT_EQ(cash(BUY2), kBuy2Cash) << "a bid holds credit; no cash moves before clearing";
  // Block B needs rb; leave BUY2 one unit short of it, then exactly enough.
  RouteQuery b = query({G10}, NM, 50, 0.30);
  const Money rb = auction_block_reserve(50, 1, scu_price(0.30), 10, 20);
  ASSERT_LT(rb, kBuy2Cash - ra);
  apply(Withdraw{now, OPS, BUY2, kBuy2Cash - ra - rb + 1});
  ASSERT_TRUE(ev.rejects.empty());
  EXPECT_EQ(bid(BUY2, 10, 1, b), 0u);
  EXPECT_EQ(last(), RejectReason::CreditExceeded);
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, ra);
  apply(Deposit{now, OPS, BUY2, 1});
  const uint64_t idb = bid(BUY2, 10, 1, b);
  ASSERT_NE(idb, 0u);
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, ra + rb);
  // The held credit cannot be withdrawn, nor spent in the continuous book.
  EXPECT_EQ(outcome(Withdraw{now, OPS, BUY2, 1}), "insufficient_cash");
  EXPECT_EQ(submit(order_cmd(BUY2, kH10, Side::Buy, "0.01", 1)), 0u);
  EXPECT_EQ(last(), RejectReason::CreditExceeded);
  // Withdrawing a bid gives its reserve back.
  apply(cancel_cmd(BUY2, ida));
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, rb);
  EXPECT_EQ(outcome(Withdraw{now, OPS, BUY2, ra}), "accepted");
}

TEST_F(AuctionBookTest, MaxOpenOrdersCountOffersAndBidsOfTheDay) {
  // LIM may have 2 open orders.
  const uint64_t a = offer(LIM, 3, 10, "0.40", NM, CPU);
  ASSERT_NE(a, 0u);
  ASSERT_NE(bid(LIM, 3, 1, query({G10}, NM, 20, 0.20)), 0u);
  EXPECT_EQ(offer(LIM, 4, 10, "0.40", NM, CPU), 0u);
  EXPECT_EQ(last(), RejectReason::MaxOpenOrders);
  EXPECT_EQ(bid(LIM, 4, 1, query({G10}, NM, 20, 0.20)), 0u);
  EXPECT_EQ(last(), RejectReason::MaxOpenOrders);
  apply(cancel_cmd(LIM, a));
  EXPECT_NE(offer(LIM, 4, 10, "0.40", NM, CPU), 0u);
  EXPECT_EQ(offer(LIM, 5, 10, "0.40", NM, CPU), 0u);
  EXPECT_EQ(last(), RejectReason::MaxOpenOrders);
}

TEST_F(AuctionBookTest, CancelRejects) {
  AuctionOffer named = offer_cmd(SUP, 10, 30, "2.00");
  named.cl_ord_id.assign("sup-private-1");
  const uint64_t o = submit(named);
  const uint64_t o2 = offer(SUP, 11, 30, "2.00");
  AuctionBid named_bid = bid_cmd(BUY, 10, 1, query({G10}, JJJ, 100, 0.20));
  named_bid.cl_ord_id.assign("buy-private-1");
  const uint64_t b = submit(named_bid);
  ASSERT_TRUE(o && o2 && b);
  const Money reserve = ex.engine().credit(BUY).open_buy;
  EXPECT_EQ(outcome(cancel_cmd(999, o)), "unknown_participant");
  EXPECT_EQ(outcome(cancel_cmd(SUP, o, kDay + kNanosPerDay)), "unknown_auction");
  EXPECT_EQ(outcome(cancel_cmd(SUP2, o)), "unknown_order") << "someone else's order looks like none";
  EXPECT_TRUE(ev.rejects.back().cl_ord_id.empty()) << "someone else's client order id is not told";
  EXPECT_EQ(outcome(cancel_cmd(BUY2, b)), "unknown_order");
  EXPECT_TRUE(ev.rejects.back().cl_ord_id.empty()) << ev.rejects.back().cl_ord_id;
  EXPECT_EQ(outcome(cancel_cmd(SUP, 123456)), "unknown_order");
  EXPECT_EQ(offer_record(o)->status, AuctionOrderStatus::Open);
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 70);
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, reserve);

  ev.clear();
  apply(cancel_cmd(SUP, o));
  ASSERT_EQ(ev.done.size(), 1u);
  EXPECT_EQ(ev.done[0].order_id, o);
  EXPECT_EQ(ev.done[0].status, AuctionOrderStatus::Cancelled);
  EXPECT_FALSE(ev.done[0].is_bid);
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 100);
  EXPECT_EQ(outcome(cancel_cmd(SUP, o)), "unknown_order") << "a withdrawn offer is not open";
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 100) << "and is not released twice";
  apply(cancel_cmd(BUY, b));
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, 0);
  EXPECT_EQ(outcome(cancel_cmd(BUY, b)), "unknown_order");
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, 0);

  // After the gate nothing can be withdrawn: the solver's input is frozen.
  advance(kGate);
  EXPECT_EQ(outcome(cancel_cmd(SUP, o2)), "auction_closed");
  EXPECT_EQ(headroom(SUP, NM, G10, 11), 70);
  EXPECT_EQ(offer_record(o2)->status, AuctionOrderStatus::Open);
}

TEST_F(AuctionBookTest, TheGateIsExactAndClosesTheBookToOrders) {
  now = kGate - 1;
  const uint64_t o = offer(SUP, 10, 10, "2.00");
  EXPECT_NE(o, 0u) << "one nanosecond before the gate";
  EXPECT_EQ(day()->state, AuctionState::Open);
  ev.clear();
  now = kGate;
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 10, "2.00")), "auction_closed");
  ASSERT_EQ(ev.states.size(), 1u) << "the gate fired before the command was looked at";
  EXPECT_EQ(ev.states[0].state, AuctionState::Closed);
  EXPECT_EQ(ev.states[0].offers, 1u);
  EXPECT_EQ(ev.states[0].bids, 0u);
  EXPECT_EQ(outcome(bid_cmd(BUY, 10, 1, query({G10}, JJJ, 100, 0.20))), "auction_closed");
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, 0);
}

TEST_F(AuctionBookTest, ClearRejects) {
  const HandDay d = hand_orders();
  (void)d;
  EXPECT_EQ(outcome(clear_cmd(hand_result())), "auction_not_closed") << "before the gate";
  EXPECT_EQ(outcome(ClearAuction{now, OPS, kDay, true, {}}), "auction_not_closed") << "cancel before the gate";
  advance(kGate + kNanosPerHour);
  EXPECT_EQ(outcome(clear_cmd(hand_result(), BUY)), "role_missing");
  EXPECT_EQ(outcome(clear_cmd(hand_result(), 999)), "unknown_participant");
  ClearAuction other = clear_cmd(hand_result());
  other.day_start = kDay + kNanosPerDay;
  EXPECT_EQ(outcome(other), "unknown_auction");
  EXPECT_EQ(day()->state, AuctionState::Closed);
  EXPECT_EQ(ex.contract_count(), 0u);
  EXPECT_EQ(outcome(clear_cmd(hand_result())), "accepted");
  EXPECT_EQ(day()->state, AuctionState::Cleared);
  const uint64_t hash = ex.state_hash();
  EXPECT_EQ(outcome(clear_cmd(hand_result())), "auction_not_closed") << "twice";
  EXPECT_EQ(outcome(ClearAuction{now, OPS, kDay, true, {}}), "auction_not_closed") << "cancel after clearing";
  EXPECT_EQ(ex.state_hash(), hash);
  EXPECT_EQ(ex.contract_count(), 4u);
}

TEST_F(AuctionBookTest, AnInvalidResultIsRefusedAndChangesNothing) {
  const HandDay d = hand_orders();
  advance(kGate + kNanosPerHour);
  const uint64_t hash = ex.state_hash();
  const Money open_buy = ex.engine().credit(BUY).open_buy;
  std::vector<std::pair<std::string, AuctionResult>> bad;
  bad.emplace_back("empty", AuctionResult{});
  {
    AuctionResult r = hand_result();  // o1 (2.00) accepted at 0.15: a paradoxically accepted offer
    r.acceptances = {AuctionAcceptance{0, 20}, AuctionAcceptance{2, 10}, AuctionAcceptance{3, 20}, AuctionAcceptance{4, 10}};
    bad.emplace_back("offer above the zone price", r);
  }
  {
    AuctionResult r = hand_result();  // 21 devices allocated, 20 accepted
    r.allocations[0].devices = 21;
    bad.emplace_back("unbalanced", r);
  }
  {
    AuctionResult r = hand_result();  // b1 in NM.G20: not one of its routes
    r.allocations[0].zone = zone_of(NM, G20);
    r.zone_price[zone_of(NM, G20) * kAuctionHours + 10] = scu_price(0.15);
    bad.emplace_back("zone off the routes", r);
  }
  {
    AuctionResult r = hand_result();  // b1 below its 50 %: 10 devices = 100 of 400 SCU
    r.allocations = {AuctionAllocation{0, zone_of(GZ, G10), 10}};
    r.acceptances = {AuctionAcceptance{2, 10}, AuctionAcceptance{4, 10}};
    bad.emplace_back("below the min ratio", r);
  }
  {
    AuctionResult r = hand_result();  // NM h10 at 0.30: b1 pays more than its 0.25 limit
    r.zone_price[zone_of(NM, G10) * kAuctionHours + 10] = scu_price(0.40);
    r.zone_price[zone_of(NM, G10) * kAuctionHours + 11] = scu_price(0.40);
    bad.emplace_back("paradoxically accepted block", r);
  }
  {
    AuctionResult r = hand_result();
    r.paradoxically_rejected = {0};  // b1 was accepted
    bad.emplace_back("accepted block reported rejected", r);
  }
  {
    AuctionResult r = hand_result();
    r.zone_price.pop_back();
    bad.emplace_back("short price vector", r);
  }
  for (const auto& [what, r] : bad) {
    ev.clear();
    EXPECT_EQ(outcome(clear_cmd(r)), "auction_result_invalid") << what;
    EXPECT_EQ(ex.state_hash(), hash) << what;
    EXPECT_TRUE(ev.awards.empty() && ev.done.empty() && ev.states.empty()) << what;
  }
  EXPECT_EQ(day()->state, AuctionState::Closed);
  EXPECT_EQ(ex.contract_count(), 0u);
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, open_buy);
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 70);
  EXPECT_EQ(offer_record(d.o1)->status, AuctionOrderStatus::Open);
  // The valid one still clears.
  EXPECT_EQ(outcome(clear_cmd(hand_result())), "accepted");
}

// ---------------------------------------------------------------------------------------------------
// The gate.

TEST_F(AuctionBookTest, TheGateFreezesTheSolversInputExactly) {
  const uint64_t o1 = offer(SUP, 10, 30, "2.00");
  const uint64_t gone = offer(SUP, 10, 5, "1.90");
  const uint64_t o2 = offer(SUP2, 10, 20, "1.50");
  const uint64_t o3 = offer(HOST, 10, 10, "1.00", GZ);
  const uint64_t o4 = offer(SUP, 3, 7, "0.40", NM, CPU);
  apply(cancel_cmd(SUP, gone));
  struct Expect {
    uint64_t id;
    std::vector<AuctionRoute> routes;
  };
  std::vector<Expect> blocks;
  auto add_bid = [&](RouteQuery q, std::vector<AuctionRoute> routes) {
    const uint64_t id = bid(BUY, 10, 2, std::move(q), 5'000);
    ASSERT_NE(id, 0u) << reason_code(last());
    blocks.push_back({id, std::move(routes)});
  };
  // Any region from JJJ: NM over link 0, JJJ locally, GZ over link 1 (0.01 direct beats 0.025 via NM).
  add_bid(query({G10}, JJJ, 400, 0.25, 400), {{zone_of(NM, G10), {0}}, {zone_of(JJJ, G10), {}}, {zone_of(GZ, G10), {1}}});
  // Within 24 ms the direct link (25 ms) is too slow: GZ via NM (15 + 8 ms).
  RouteQuery q = query({G10}, JJJ, 400, 0.25, 400);
  q.max_latency_ms = 24;
  add_bid(q, {{zone_of(NM, G10), {0}}, {zone_of(JJJ, G10), {}}, {zone_of(GZ, G10), {0, 2}}});
  q.max_latency_ms = 10;  // nothing reachable but home
  add_bid(q, {{zone_of(JJJ, G10), {}}});
  q = query({G10}, JJJ, 400, 0.25, 400);
  q.local_only = true;
  add_bid(q, {{zone_of(JJJ, G10), {}}});
  q = query({G10}, JJJ, 400, 0.25, 400);
  q.jurisdictions = {"CN"};  // GZ is CN-GZ
  add_bid(q, {{zone_of(NM, G10), {0}}, {zone_of(JJJ, G10), {}}});
  q = query({G10}, JJJ, 400, 0.25, 400);
  q.min_green_share = 5000;  // only GZ (0.55)
  add_bid(q, {{zone_of(GZ, G10), {1}}});
  // A 15-SCU block cannot use a 20-SCU device; a 40-SCU block can.
  add_bid(query({G10, G20}, JJJ, 15, 0.25), {{zone_of(NM, G10), {0}}, {zone_of(JJJ, G10), {}}, {zone_of(GZ, G10), {1}}});
  add_bid(query({G10, G20}, JJJ, 40, 0.25),
          {{zone_of(NM, G10), {0}}, {zone_of(NM, G20), {0}}, {zone_of(JJJ, G10), {}}, {zone_of(JJJ, G20), {}},
           {zone_of(GZ, G10), {1}}, {zone_of(GZ, G20), {1}}});
  q = query({G10}, NM, 100, 0.25, 50);
  q.regions = {NM, GZ};
  add_bid(q, {{zone_of(NM, G10), {}}, {zone_of(GZ, G10), {2}}});
  // From NM there is no way to JJJ (no NM->JJJ link).
  add_bid(query({CPU}, NM, 50, 0.10), {{zone_of(NM, CPU), {}}, {zone_of(GZ, CPU), {2}}});
  // From GZ there is no link yet: GZ only. A link added before the gate counts (link 3: GZ->NM; dear
  // enough at 0.03 that JJJ->GZ->NM never beats JJJ->NM).
  add_bid(query({G10}, GZ, 100, 0.25, 10), {{zone_of(NM, G10), {3}}, {zone_of(GZ, G10), {}}});
  apply(AddLink{now, OPS, "GZ", "NM", 8, 2, 300, CAR});
  const uint64_t withdrawn = bid(BUY, 10, 1, query({G10}, JJJ, 100, 0.20));
  apply(cancel_cmd(BUY, withdrawn));
  ASSERT_TRUE(o1 && o2 && o3 && o4);

  ev.clear();
  advance(kGate);
  ASSERT_EQ(ev.states.size(), 1u);
  EXPECT_EQ(ev.states[0].state, AuctionState::Closed);
  EXPECT_EQ(ev.states[0].offers, 4u);
  EXPECT_EQ(ev.states[0].bids, blocks.size());
  const AuctionInput& in = day()->input;
  EXPECT_EQ(in.day_start, kDay);
  EXPECT_EQ(in.fee_bps, 10) << "the maker fee";
  ASSERT_EQ(in.zones.size(), 9u);
  for (RegionId r = 0; r < 3; ++r) {
    for (ChipClassId c = 0; c < 3; ++c) {
      const AuctionZone& z = in.zones[zone_of(r, c)];
      EXPECT_EQ(z.region, r);
      EXPECT_EQ(z.chip_class, c);
      constexpr int64_t kScu[] = {10, 20, 5};
      EXPECT_EQ(z.scu_per_device, kScu[c]);
    }
  }
  ASSERT_EQ(in.links.size(), 4u);
  const AuctionLink links[] = {{JJJ, NM, CAR, 450, 200}, {JJJ, GZ, CAR2, 4500, 100}, {NM, GZ, CAR2, 4500, 50}, {GZ, NM, CAR, 900, 300}};
  for (size_t l = 0; l < 4; ++l) {
    EXPECT_EQ(in.links[l].from, links[l].from) << l;
    EXPECT_EQ(in.links[l].to, links[l].to) << l;
    EXPECT_EQ(in.links[l].carrier, links[l].carrier) << l;
    EXPECT_EQ(in.links[l].capacity_gb_per_hour, links[l].capacity_gb_per_hour) << l;
    EXPECT_EQ(in.links[l].tariff_per_gb, links[l].tariff_per_gb) << l;
  }
  ASSERT_EQ(in.offers.size(), 4u) << "the withdrawn offer stays out";
  const AuctionOfferIn offers[] = {{o1, SUP, zone_of(NM, G10), 10, 30, px("2.00")},
                                   {o2, SUP2, zone_of(NM, G10), 10, 20, px("1.50")},
                                   {o3, HOST, zone_of(GZ, G10), 10, 10, px("1.00")},
                                   {o4, SUP, zone_of(NM, CPU), 3, 7, px("0.40")}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(in.offers[i].id, offers[i].id) << i;
    EXPECT_EQ(in.offers[i].supplier, offers[i].supplier) << i;
    EXPECT_EQ(in.offers[i].zone, offers[i].zone) << i;
    EXPECT_EQ(in.offers[i].hour, offers[i].hour) << i;
    EXPECT_EQ(in.offers[i].devices, offers[i].devices) << i;
    EXPECT_EQ(in.offers[i].price, offers[i].price) << i;
    EXPECT_EQ(day()->offers[day()->input_offers[i]].id, offers[i].id) << i;
  }
  ASSERT_EQ(in.blocks.size(), blocks.size()) << "the withdrawn bid stays out";
  for (size_t j = 0; j < blocks.size(); ++j) {
    SCOPED_TRACE("block " + std::to_string(j));
    const AuctionBlockIn& b = in.blocks[j];
    const AuctionBidRecord* rec = bid_record(blocks[j].id);
    ASSERT_NE(rec, nullptr);
    EXPECT_EQ(day()->bids[day()->input_bids[j]].id, blocks[j].id);
    EXPECT_EQ(b.id, blocks[j].id);
    EXPECT_EQ(b.buyer, BUY);
    EXPECT_EQ(b.first_hour, 10);
    EXPECT_EQ(b.hours, 2);
    EXPECT_EQ(b.min_ratio_bps, 5'000);
    EXPECT_EQ(b.scu_per_hour, rec->constraints.scu);
    EXPECT_EQ(b.limit_per_scu_hour, rec->constraints.limit_per_scu_hour);
    EXPECT_EQ(b.data_gb_per_hour, rec->constraints.data_gb);
    EXPECT_EQ(b.reserve, rec->reserve);
    int64_t smallest = INT64_MAX;
    for (ChipClassId c : rec->constraints.classes) smallest = std::min(smallest, ex.engine().chip_class(c)->scu_per_device);
    EXPECT_EQ(b.reserve, auction_block_reserve(b.scu_per_hour, 2, b.limit_per_scu_hour, smallest, 20));
    ASSERT_EQ(b.routes.size(), blocks[j].routes.size());
    for (size_t k = 0; k < b.routes.size(); ++k) {
      EXPECT_EQ(b.routes[k].zone, blocks[j].routes[k].zone) << k;
      EXPECT_EQ(b.routes[k].links, blocks[j].routes[k].links) << k;
    }
  }
  EXPECT_TRUE(check_auction_input(in).ok());

  // Later changes to the network, the reference data and the fees leave the frozen input alone.
  const std::string frozen = input_bytes(in);
  now = kGate + kNanosPerHour;
  apply(AddLink{now, OPS, "GZ", "JJJ", 5, 100, 10, CAR2});
  apply(AddLink{now, OPS, "NM", "JJJ", 5, 100, 10, CAR});
  Region xj;
  xj.code = "XJ";
  xj.jurisdiction = "CN";
  apply(AddRegion{now, OPS, xj});
  ChipClass g40;
  g40.code = "G40";
  g40.scu_per_device = 40;
  apply(AddChipClass{now, OPS, g40});
  apply(SetFees{now, OPS, 30, 40});
  apply(RegisterCapacity{now, OPS, SUP, "NM", "G10", iso("2026-12-01"), iso("2026-12-04"), 10});
  ASSERT_TRUE(ev.rejects.empty()) << ::testing::PrintToString(ev.lines);
  EXPECT_EQ(input_bytes(day()->input), frozen);
  // The frozen input goes through a snapshot unchanged too.
  test::EventText sink;
  Exchange copy(sink);
  ASSERT_TRUE(copy.restore(ex.snapshot()).ok());
  EXPECT_EQ(input_bytes(copy.engine().auction(kDay)->input), frozen);
}

// ---------------------------------------------------------------------------------------------------
// Clearing.

TEST_F(AuctionBookTest, ClearingAHandMadeResult) {
  const HandDay d = hand_orders();
  const Money r1 = bid_record(d.b1)->reserve, r2 = bid_record(d.b2)->reserve;
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, r1);
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, r2);
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 70);
  EXPECT_EQ(headroom(SUP, NM, G10, 11), 70);
  advance(kGate);
  ASSERT_EQ(day()->input.offers.size(), 5u);
  ASSERT_EQ(day()->input.blocks.size(), 2u);
  ASSERT_TRUE(check_auction_result(day()->input, hand_result()).ok()) << check_auction_result(day()->input, hand_result()).error().text;

  ev.clear();
  now = kGate + 2 * kNanosPerHour;
  ClearAuction clear = clear_cmd(hand_result());
  clear.summary = {px("123.45"), 4'200, 1'700, true, 31, 2, 95};
  ASSERT_EQ(outcome(clear), "accepted");
  // The solver's report is kept with the day, through a snapshot too.
  EXPECT_EQ(day()->summary.welfare, px("123.45"));
  EXPECT_EQ(day()->summary.pab_rounds, 2);
  {
    test::EventText sink;
    Exchange copy(sink);
    ASSERT_TRUE(copy.restore(ex.snapshot()).ok());
    const AuctionClearingSummary& s = copy.engine().auction(kDay)->summary;
    EXPECT_EQ(s.welfare, px("123.45"));
    EXPECT_EQ(s.solve_ms, 4'200);
    EXPECT_EQ(s.first_mip_ms, 1'700);
    EXPECT_TRUE(s.proven_optimal);
    EXPECT_EQ(s.mip_nodes, 31);
    EXPECT_EQ(s.gap_ppb, 95);
  }

  // Four contracts, zone by zone and hour by hour (NM.G10 h10, h11, then GZ.G10 h10, h11):
  //   NM h10  o2 (SUP2) 20 x 1.50 = 30.00, fees 0.03 each side, 200 GB over JJJ->NM x 0.02 = 4.00 to CAR
  //   NM h11  o4 (SUP)  20 x 2.00 = 40.00, fees 0.04,             4.00 to CAR
  //   GZ h10  o3 (HOST) 10 x 1.00 = 10.00, fees 0.01, 100 GB over JJJ->GZ x 0.01 = 1.00 to CAR2
  //   GZ h11  o5 (HOST) 10 x 1.00 = 10.00, fees 0.01,             1.00 to CAR2
  struct Want {
    int hour;
    RegionId region;
    ParticipantId seller;
    uint64_t offer;
    Quantity devices;
    const char *price, *notional, *fee, *leg;
    uint32_t link;
    ParticipantId carrier;
    int64_t zone_price;
  };
  const Want want[] = {{10, NM, SUP2, d.o2, 20, "1.50", "30.00", "0.03", "4.00", 0, CAR, scu_price(0.15)},
                       {11, NM, SUP, d.o4, 20, "2.00", "40.00", "0.04", "4.00", 0, CAR, scu_price(0.20)},
                       {10, GZ, HOST, d.o3, 10, "1.00", "10.00", "0.01", "1.00", 1, CAR2, scu_price(0.10)},
                       {11, GZ, HOST, d.o5, 10, "1.00", "10.00", "0.01", "1.00", 1, CAR2, scu_price(0.10)}};
  ASSERT_EQ(ev.awards.size(), 4u);
  ASSERT_EQ(ex.contract_count(), 4u);
  Money escrow_total = 0;
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("contract " + std::to_string(i + 1));
    const AuctionAward& a = ev.awards[i].e;
    const Want& w = want[i];
    EXPECT_EQ(a.trade_id, i + 1);
    EXPECT_EQ(a.day_start, kDay);
    EXPECT_EQ(a.hour, w.hour);
    EXPECT_EQ(a.region, w.region);
    EXPECT_EQ(a.chip_class, G10);
    EXPECT_EQ(a.buyer, BUY);
    EXPECT_EQ(a.seller, w.seller);
    EXPECT_EQ(a.bid_id, d.b1);
    EXPECT_EQ(a.offer_id, w.offer);
    EXPECT_EQ(a.devices, w.devices);
    EXPECT_EQ(a.price, px(w.price));
    EXPECT_EQ(a.scu, w.devices * 10);
    EXPECT_EQ(a.price_per_scu_hour, w.zone_price);
    EXPECT_EQ(a.notional, px(w.notional));
    EXPECT_EQ(a.buyer_fee, px(w.fee));
    EXPECT_EQ(a.seller_fee, px(w.fee));
    EXPECT_EQ(a.transport_fee, px(w.leg));
    ASSERT_EQ(ev.awards[i].legs.size(), 1u);
    EXPECT_EQ(ev.awards[i].legs[0].link, w.link);
    EXPECT_EQ(ev.awards[i].legs[0].carrier, w.carrier);
    EXPECT_EQ(ev.awards[i].legs[0].amount, px(w.leg));
    EXPECT_EQ(a.window_start, kDay + w.hour * kNanosPerHour);
    EXPECT_EQ(a.window_end, kDay + (w.hour + 1) * kNanosPerHour);
    const Contract* k = ex.contract(i + 1);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->buyer, BUY);
    EXPECT_EQ(k->seller, w.seller);
    EXPECT_EQ(k->instrument, kNoInstrument);
    EXPECT_EQ(k->region, w.region);
    EXPECT_EQ(k->chip_class, G10);
    EXPECT_EQ(k->qty, w.devices);
    EXPECT_EQ(k->hours, 1);
    EXPECT_EQ(k->price, px(w.price));
    EXPECT_EQ(k->notional, px(w.notional));
    EXPECT_EQ(k->scu, w.devices * 10);
    EXPECT_EQ(k->window_start, a.window_start);
    EXPECT_EQ(k->window_end, a.window_end);
    EXPECT_EQ(k->traded_at, now);
    EXPECT_EQ(k->state, ContractState::Escrowed);
    EXPECT_EQ(k->escrow(), px(w.notional) + px(w.fee) + px(w.leg));
    EXPECT_EQ(ex.ledger().account(persistence::escrow_account(i + 1))->balance(), k->escrow());
    ASSERT_EQ(k->shares.size(), w.seller == SUP ? 2u : 1u) << "SUP's agreement splits its revenue";
    escrow_total += k->escrow();
  }
  // The buyer: 90.00 compute + 0.09 fees + 10.00 transport escrowed; no reserve left.
  EXPECT_EQ(escrow_total, px("100.09"));
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, 0);
  EXPECT_EQ(ex.engine().credit(BUY).unsettled_bought, px("100.09"));
  EXPECT_EQ(cash(BUY), kBuyCash - px("100.09"));
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, 0);
  EXPECT_EQ(ex.engine().credit(BUY2).unsettled_bought, 0);
  EXPECT_EQ(cash(BUY2), kBuy2Cash);

  // Statuses and the events that say so.
  auto offer_is = [&](uint64_t id, AuctionOrderStatus s, Quantity n) {
    EXPECT_EQ(offer_record(id)->status, s) << id;
    EXPECT_EQ(offer_record(id)->accepted, n) << id;
  };
  offer_is(d.c0, AuctionOrderStatus::Cancelled, 0);
  offer_is(d.o1, AuctionOrderStatus::Rejected, 0);
  offer_is(d.o2, AuctionOrderStatus::Accepted, 20);
  offer_is(d.o3, AuctionOrderStatus::Accepted, 10);
  offer_is(d.o4, AuctionOrderStatus::Accepted, 20);
  offer_is(d.o5, AuctionOrderStatus::Accepted, 10);
  EXPECT_EQ(bid_record(d.b1)->status, AuctionOrderStatus::Accepted);
  EXPECT_EQ(bid_record(d.b1)->accepted_scu, 300);
  EXPECT_FALSE(bid_record(d.b1)->paradoxically_rejected);
  EXPECT_EQ(bid_record(d.b2)->status, AuctionOrderStatus::Rejected);
  EXPECT_EQ(bid_record(d.b2)->accepted_scu, 0);
  EXPECT_TRUE(bid_record(d.b2)->paradoxically_rejected);
  ASSERT_EQ(ev.done.size(), 7u);
  for (const AuctionOrderDone& e : ev.done) {
    if (e.order_id == d.b2) {
      EXPECT_TRUE(e.is_bid);
      EXPECT_EQ(e.status, AuctionOrderStatus::Rejected);
      EXPECT_TRUE(e.paradoxically_rejected);
    } else if (e.order_id == d.b1) {
      EXPECT_EQ(e.accepted, 300);
      EXPECT_FALSE(e.paradoxically_rejected);
    } else if (e.order_id == d.o1) {
      EXPECT_EQ(e.status, AuctionOrderStatus::Rejected);
      EXPECT_EQ(e.participant, SUP);
    }
  }
  ASSERT_EQ(ev.states.size(), 1u);
  EXPECT_EQ(ev.states[0].state, AuctionState::Cleared);
  EXPECT_EQ(ev.states[0].offers, 5u);
  EXPECT_EQ(ev.states[0].bids, 2u);
  EXPECT_EQ(ev.states[0].accepted_bids, 1u);
  EXPECT_EQ(ev.states[0].contracts, 4u);
  EXPECT_EQ(day()->result.zone_price, hand_result().zone_price);

  // Capacity: what was not sold is free again, what was sold stays committed.
  EXPECT_EQ(headroom(SUP, NM, G10, 10), 100);  // o1 rejected, c0 withdrawn
  EXPECT_EQ(headroom(SUP, NM, G10, 11), 80);   // 20 of o4 sold
  EXPECT_EQ(headroom(SUP2, NM, G10, 10), 30);
  EXPECT_EQ(headroom(HOST, GZ, G10, 10), 30);
  EXPECT_EQ(headroom(HOST, GZ, G10, 11), 30);

  // Reference prices: the hour books take their hour's price, the day book the volume-weighted price of
  // the hours that traded ((0.15 x 20 + 0.20 x 20) / 40 x 10 = 1.75); JJJ traded nothing.
  EXPECT_EQ(ex.engine().reference_price(kH10), px("1.50"));
  EXPECT_EQ(ex.engine().reference_price(kH11), px("2.00"));
  EXPECT_EQ(ex.engine().reference_price(kDayBook), px("1.75"));
  EXPECT_EQ(ex.engine().reference_price(kGzH10), px("1.00"));
  EXPECT_EQ(ex.engine().reference_price(kJjjH10), 0);

  // The unsold capacity can be sold in the continuous books (inside their bands around the new prices).
  EXPECT_EQ(submit(order_cmd(SUP, kH10, Side::Sell, "1.50", 101)), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  EXPECT_NE(submit(order_cmd(SUP, kH10, Side::Sell, "1.50", 100)), 0u);
  EXPECT_EQ(submit(order_cmd(SUP, kH11, Side::Sell, "2.00", 81)), 0u);
  EXPECT_EQ(last(), RejectReason::CapacityExceeded);
  EXPECT_NE(submit(order_cmd(SUP, kH11, Side::Sell, "2.00", 80)), 0u);
  EXPECT_EQ(submit(order_cmd(SUP2, kH10, Side::Sell, "1.00", 30)), 0u) << "1.00 is outside 1.50 +- 30 %";
  EXPECT_EQ(last(), RejectReason::PriceBand);
  EXPECT_NE(submit(order_cmd(SUP2, kH10, Side::Sell, "1.10", 30)), 0u);
}

// The reference prices are found through the zones as they were frozen at the gate, even when a chip
// class is added between the gate and the clearing (which renumbers region x class).
// Issue 13: auction orders and their awards are in the participants' order history (GET /orders, /fills,
// FIX H, AF, AD): open until the auction clears, then accepted or rejected, each award a fill of both sides;
// the same after a snapshot round trip.
TEST_F(AuctionBookTest, TheOrderHistoryKeepsAuctionOrdersAndTheirAwards) {
  using persistence::AuctionSide;
  using persistence::OrderRecord;
  using persistence::OrderStatus;
  const HandDay d = hand_orders();
  const auto& h = ex.history();
  const OrderRecord* c0 = h.order(d.c0);
  ASSERT_NE(c0, nullptr);
  EXPECT_EQ(c0->status, OrderStatus::Cancelled);
  EXPECT_EQ(c0->reason, std::optional<DoneReason>(DoneReason::Cancelled));
  const OrderRecord* o1 = h.order(d.o1);
  ASSERT_NE(o1, nullptr);
  EXPECT_EQ(o1->auction, AuctionSide::Offer);
  EXPECT_EQ(o1->side, Side::Sell);
  EXPECT_EQ(o1->instrument, kNoInstrument);
  EXPECT_EQ(o1->region, NM);
  EXPECT_EQ(o1->chip_class, G10);
  EXPECT_EQ(o1->auction_day, kDay);
  EXPECT_EQ(o1->first_hour, 10);
  EXPECT_EQ(o1->hours, 1);
  EXPECT_EQ(o1->qty, 30);
  EXPECT_EQ(o1->leaves, 30);
  EXPECT_EQ(o1->price, px("2.00"));
  EXPECT_EQ(o1->status, OrderStatus::New);
  const OrderRecord* b1 = h.order(d.b1);
  ASSERT_NE(b1, nullptr);
  EXPECT_EQ(b1->auction, AuctionSide::Bid);
  EXPECT_EQ(b1->side, Side::Buy);
  EXPECT_EQ(b1->first_hour, 10);
  EXPECT_EQ(b1->hours, 2);
  EXPECT_EQ(b1->scu, 400);
  EXPECT_EQ(b1->status, OrderStatus::New);
  auto ids = [](const std::vector<const OrderRecord*>& v) {
    std::vector<OrderId> out;
    for (const OrderRecord* r : v) out.push_back(r->order_id);
    return out;
  };
  EXPECT_EQ(ids(h.open_orders(SUP)), (std::vector<OrderId>{d.o1, d.o4}));
  EXPECT_EQ(ids(h.open_orders(BUY)), (std::vector<OrderId>{d.b1}));

  advance(kGate);
  now = kGate + 2 * kNanosPerHour;
  ASSERT_EQ(outcome(clear_cmd(hand_result())), "accepted");
  for (ParticipantId p : {SUP, SUP2, HOST, BUY, BUY2}) EXPECT_TRUE(h.open_orders(p).empty()) << p;
  // Four awards, all b1's (hand_result): o2 20 and o4 20 devices in NM, o3 10 and o5 10 in GZ.
  ASSERT_EQ(ex.contract_count(), 4u);
  Money notional = 0, fees = 0, transport = 0;
  for (TradeId id = 1; id <= 4; ++id) {
    const Contract& k = *ex.contract(id);
    notional += k.notional;
    fees += k.buyer_fee;
    transport += k.transport_fee();
    for (const bool buy : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "contract " << id << (buy ? " buyer" : " seller"));
      const auto fills = h.fills(buy ? k.buyer : k.seller, id - 1, INT64_MIN, INT64_MAX, 1);
      ASSERT_EQ(fills.size(), 1u);
      const persistence::Fill& f = *fills[0];
      EXPECT_EQ(f.trade_id, id);
      EXPECT_TRUE(f.auction);
      EXPECT_EQ(f.side, buy ? Side::Buy : Side::Sell);
      EXPECT_EQ(f.qty, k.qty);
      EXPECT_EQ(f.price, k.price);
      EXPECT_EQ(f.notional, k.notional);
      EXPECT_EQ(f.fee, buy ? k.buyer_fee : k.seller_fee);
      EXPECT_EQ(f.transport_fee, buy ? k.transport_fee() : 0);
      EXPECT_EQ(f.region, k.region);
      EXPECT_EQ(f.chip_class, k.chip_class);
      EXPECT_EQ(f.window_start, k.window_start);
      if (buy) {
        EXPECT_EQ(f.order_id, d.b1);
      } else {
        const OrderRecord* offer = h.order(f.order_id);
        ASSERT_NE(offer, nullptr);
        EXPECT_EQ(offer->auction, AuctionSide::Offer);
        EXPECT_EQ(offer->filled, k.qty) << "one award per accepted offer here";
        EXPECT_EQ(offer->notional, k.notional);
        EXPECT_EQ(offer->fees, k.seller_fee);
        EXPECT_EQ(offer->status, OrderStatus::Accepted);
      }
    }
  }
  EXPECT_EQ(b1->status, OrderStatus::Accepted);
  EXPECT_FALSE(b1->reason.has_value());
  EXPECT_EQ(b1->filled, 60);
  EXPECT_EQ(b1->filled_scu, bid_record(d.b1)->accepted_scu);
  EXPECT_EQ(b1->notional, notional);
  EXPECT_EQ(b1->fees, fees);
  EXPECT_EQ(b1->transport_cost, transport);
  EXPECT_EQ(h.order(d.b2)->status, OrderStatus::Rejected) << "left out (paradoxically rejected)";
  EXPECT_EQ(h.order(d.b2)->filled, 0);
  EXPECT_EQ(h.order(d.o1)->status, OrderStatus::Rejected);
  EXPECT_EQ(h.order(d.o1)->leaves, 0);

  test::EventText sink;
  Exchange copy(sink);
  ASSERT_TRUE(copy.restore(ex.snapshot()).ok());
  EXPECT_EQ(copy.state_hash(), ex.state_hash());
  for (uint64_t id : {d.c0, d.o1, d.o2, d.o3, d.o4, d.o5, d.b1, d.b2}) {
    const OrderRecord* a = h.order(id);
    const OrderRecord* b = copy.history().order(id);
    ASSERT_NE(b, nullptr) << id;
    EXPECT_EQ(b->auction, a->auction);
    EXPECT_EQ(b->status, a->status);
    EXPECT_EQ(b->reason, a->reason);
    EXPECT_EQ(b->filled, a->filled);
    EXPECT_EQ(b->filled_scu, a->filled_scu);
    EXPECT_EQ(b->region, a->region);
    EXPECT_EQ(b->first_hour, a->first_hour);
    EXPECT_EQ(b->hours, a->hours);
    EXPECT_EQ(b->auction_day, a->auction_day);
  }
  const auto before = h.fills(BUY, 0, INT64_MIN, INT64_MAX, 100), after = copy.history().fills(BUY, 0, INT64_MIN, INT64_MAX, 100);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i]->auction, before[i]->auction);
    EXPECT_EQ(after[i]->region, before[i]->region);
    EXPECT_EQ(after[i]->window_start, before[i]->window_start);
    EXPECT_EQ(after[i]->transport_fee, before[i]->transport_fee);
  }
}

TEST_F(AuctionBookTest, ReferencePricesUseTheZonesFrozenAtTheGate) {
  hand_orders();
  advance(kGate);
  ChipClass g40;
  g40.code = "G40";
  g40.scu_per_device = 40;
  apply(AddChipClass{now, OPS, g40});
  ASSERT_TRUE(ev.rejects.empty());
  ASSERT_EQ(outcome(clear_cmd(hand_result())), "accepted");
  EXPECT_EQ(ex.engine().reference_price(kH10), px("1.50"));
  EXPECT_EQ(ex.engine().reference_price(kDayBook), px("1.75"));
  EXPECT_EQ(ex.engine().reference_price(kGzH10), px("1.00")) << "GZ.G10 was zone 6 at the gate";
  EXPECT_EQ(ex.engine().reference_price(kJjjH10), 0) << "JJJ.G10 traded nothing";
}

TEST_F(AuctionBookTest, CancellingAClosedAuctionReleasesEverything) {
  const HandDay d = hand_orders();
  advance(kGate);
  const uint64_t before_hash = ex.state_hash();
  (void)before_hash;
  ev.clear();
  ClearAuction cancel{now, OPS, kDay, true, hand_result()};  // a result given with cancel is ignored
  ASSERT_EQ(outcome(cancel), "accepted");
  EXPECT_EQ(day()->state, AuctionState::Cancelled);
  EXPECT_TRUE(ev.awards.empty());
  EXPECT_EQ(ex.contract_count(), 0u);
  ASSERT_EQ(ev.states.size(), 1u);
  EXPECT_EQ(ev.states[0].state, AuctionState::Cancelled);
  EXPECT_EQ(ev.states[0].contracts, 0u);
  EXPECT_EQ(ev.states[0].accepted_bids, 0u);
  EXPECT_EQ(ev.done.size(), 7u);
  for (const AuctionOrderDone& e : ev.done) {
    EXPECT_EQ(e.status, AuctionOrderStatus::Rejected) << e.order_id;
    EXPECT_EQ(e.accepted, 0) << e.order_id;
    EXPECT_FALSE(e.paradoxically_rejected) << e.order_id;
  }
  for (const Registration& r : kRegistrations) {
    for (int h = 0; h < 24; ++h) EXPECT_EQ(headroom(r.supplier, r.region, r.chip_class, h), r.devices);
  }
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, 0);
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, 0);
  EXPECT_EQ(cash(BUY), kBuyCash);
  EXPECT_EQ(cash(BUY2), kBuy2Cash);
  for (InstrumentId i : {kDayBook, kH10, kH11, kGzH10, kJjjH10}) EXPECT_EQ(ex.engine().reference_price(i), 0);
  EXPECT_EQ(offer_record(d.c0)->status, AuctionOrderStatus::Cancelled);
  EXPECT_EQ(outcome(clear_cmd(hand_result())), "auction_not_closed");
  EXPECT_EQ(outcome(offer_cmd(SUP, 10, 1, "1.00")), "auction_closed");
  EXPECT_EQ(outcome(cancel_cmd(SUP, d.o1)), "auction_closed");
  // The whole capacity and cash are the continuous market's again.
  EXPECT_NE(submit(order_cmd(SUP, kDayBook, Side::Sell, "2.00", 100)), 0u);
  EXPECT_EQ(outcome(Withdraw{now, OPS, BUY2, kBuy2Cash}), "accepted");
}

// A fee change while bids are open must keep their reserves (it recomputes the continuous buys' ones).
TEST_F(AuctionBookTest, AFeeChangeKeepsTheBidsReserves) {
  const HandDay d = hand_orders();
  const Money r1 = bid_record(d.b1)->reserve;
  ASSERT_NE(submit(order_cmd(BUY, kH10, Side::Buy, "1.00", 3)), 0u);
  const Money resting = continuous_reserve(px("1.00"), 3, 1, 20);
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, r1 + resting);
  apply(SetFees{now, OPS, 15, 30});
  ASSERT_TRUE(ev.rejects.empty());
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, r1 + continuous_reserve(px("1.00"), 3, 1, 30));
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, bid_record(d.b2)->reserve);
  // The held reserve still cannot be withdrawn...
  const CreditView c = ex.engine().credit(BUY2);
  EXPECT_EQ(outcome(Withdraw{now, OPS, BUY2, c.limit - c.open_buy + 1}), "insufficient_cash");
  // ...and when the day is cancelled, exactly the reserves go back.
  advance(kGate);
  apply(ClearAuction{now, OPS, kDay, true, {}});
  EXPECT_EQ(ex.engine().credit(BUY).open_buy, continuous_reserve(px("1.00"), 3, 1, 30));
  EXPECT_EQ(ex.engine().credit(BUY2).open_buy, 0);
}

// ---------------------------------------------------------------------------------------------------
// The solver's result, through delivery, disputes and payout, to the last unit.

TEST_F(AuctionBookTest, ASolvedDaySettlesThroughTheLedgerToTheUnit) {
  const HandDay d = hand_orders();
  advance(kGate);
  AuctionSolverOptions options;
  options.time_limit_s = 30;
  auto solved = solve_auction(day()->input, options);
  ASSERT_TRUE(solved.ok()) << solved.error().text;
  const AuctionResult result = *solved;
  // Worked out: b1 takes all 400 SCU (30 devices in NM, 10 in GZ each hour: NM h11 has only o4's 30), b2 its
  // 10 devices in NM h10; NM h10 then needs 40 of o2's 20 and o1's 30, so o1 is the marginal offer and
  // sets NM h10 at its own 0.20.
  ASSERT_EQ(result.allocations.size(), 3u);
  EXPECT_EQ(result.allocations[0].block, 0u);
  EXPECT_EQ(result.allocations[0].zone, zone_of(NM, G10));
  EXPECT_EQ(result.allocations[0].devices, 30);
  EXPECT_EQ(result.allocations[1].zone, zone_of(GZ, G10));
  EXPECT_EQ(result.allocations[1].devices, 10);
  EXPECT_EQ(result.allocations[2].block, 1u);
  EXPECT_EQ(result.allocations[2].devices, 10);
  EXPECT_EQ(result.zone_price[zone_of(NM, G10) * kAuctionHours + 10], scu_price(0.20));
  const std::vector<AuctionPiece> pieces = auction_pieces(day()->input, result);
  expect_money_balances(pieces);

  const Timestamp cleared_at = kGate + kNanosPerHour;
  now = cleared_at;
  ASSERT_EQ(outcome(clear_cmd(result)), "accepted");
  ASSERT_EQ(ex.contract_count(), pieces.size());
  Money escrow_by[16] = {};
  for (size_t i = 0; i < pieces.size(); ++i) {
    const AuctionPiece& p = pieces[i];
    const Contract* k = ex.contract(i + 1);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->qty, p.devices);
    EXPECT_EQ(k->price, p.price);
    EXPECT_EQ(k->notional, p.notional);
    EXPECT_EQ(k->buyer_fee, p.buyer_fee);
    EXPECT_EQ(k->seller_fee, p.seller_fee);
    EXPECT_EQ(k->transport_fee(), p.transport());
    EXPECT_EQ(k->buyer, day()->input.blocks[p.block].buyer);
    EXPECT_EQ(k->seller, day()->input.offers[p.offer].supplier);
    escrow_by[k->buyer] += k->escrow();
  }
  EXPECT_EQ(bid_record(d.b1)->accepted_scu, 400);
  EXPECT_EQ(bid_record(d.b2)->accepted_scu, 100);
  for (ParticipantId b : {BUY, BUY2}) {
    EXPECT_EQ(ex.engine().credit(b).open_buy, 0);
    EXPECT_EQ(ex.engine().credit(b).unsettled_bought, escrow_by[b]);
  }
  EXPECT_EQ(cash(BUY), kBuyCash - escrow_by[BUY]);
  EXPECT_EQ(cash(BUY2), kBuy2Cash - escrow_by[BUY2]);

  // Delivery: reports after each contract's hour. Contract 1 delivers all; the others deliver what is
  // below (under-delivery for the even ones); the last is disputed and resolved by the operator.
  const TradeId last_id = ex.contract_count();
  std::map<TradeId, int64_t> delivered;
  now = kDay + 12 * kNanosPerHour;
  EXPECT_EQ(outcome(DeliveryReport{kDay + 10 * kNanosPerHour + kNanosPerHour / 2, ex.contract(1)->seller, 1, 1}),
            "delivery_too_early");
  for (TradeId id = 1; id <= last_id; ++id) {
    const Contract& k = *ex.contract(id);
    const int64_t d_h = id % 2 == 0 ? k.contracted_device_hours() / 2 + 1 : k.contracted_device_hours();
    EXPECT_EQ(outcome(DeliveryReport{now, BUY, id, d_h}), "not_counterparty");
    EXPECT_EQ(outcome(DeliveryReport{now, k.seller, id, k.contracted_device_hours() + 1}), "invalid_value");
    EXPECT_EQ(outcome(DeliveryReport{now, k.seller, id, d_h}), "accepted");
    delivered[id] = d_h;
  }
  now += kNanosPerHour;
  const Contract& disputed = *ex.contract(last_id);
  EXPECT_EQ(outcome(Dispute{now, disputed.buyer, last_id}), "accepted");
  now = kDay + 12 * kNanosPerHour + 24 * kNanosPerHour;  // the dispute window (24 h) is over
  apply(AdvanceTime{now});
  for (TradeId id = 1; id < last_id; ++id) EXPECT_EQ(ex.contract(id)->state, ContractState::Settled) << id;
  EXPECT_EQ(ex.contract(last_id)->state, ContractState::Disputed);
  delivered[last_id] = ex.contract(last_id)->contracted_device_hours() - 3;
  EXPECT_EQ(outcome(ResolveDispute{now, OPS, last_id, delivered[last_id]}), "accepted");

  // Expected cash, from the contracts alone: the supplier's parties get the delivered share of the
  // notional less the same share of the seller fee (split 80/20 for SUP), carriers their legs in full, the
  // exchange the delivered share of both fees, the buyer the rest of its escrow back.
  std::map<ParticipantId, Money> expect;
  Money fees = 0;
  for (TradeId id = 1; id <= last_id; ++id) {
    const Contract& k = *ex.contract(id);
    ASSERT_EQ(k.state, ContractState::Settled) << id;
    EXPECT_EQ(k.delivered_device_hours, delivered[id]);
    EXPECT_EQ(ex.ledger().account(persistence::escrow_account(id))->balance(), 0);
    const int64_t t = k.contracted_device_hours(), dh = delivered[id];
    const Money gross = mul_div_half_up(k.notional, dh, t) - mul_div_half_up(k.seller_fee, dh, t);
    const Money fee = mul_div_half_up(k.buyer_fee, dh, t) + mul_div_half_up(k.seller_fee, dh, t);
    if (k.seller == SUP) {
      const std::vector<Money> split = persistence::split_largest_remainder(gross, {8000, 2000});
      expect[SUP] += split[0];
      expect[HOST] += split[1];
      EXPECT_EQ(split[0] + split[1], gross);
    } else {
      expect[k.seller] += gross;
    }
    for (const TransportLeg& l : k.transport) expect[l.carrier] += l.amount;
    fees += fee;
    expect[k.buyer] -= gross + fee + k.transport_fee();  // the refund is what is left of the escrow
    if (dh < t) {
      EXPECT_GT(k.escrow() - gross - fee - k.transport_fee(), 0) << "under-delivery refunds " << id;
    }
  }
  EXPECT_EQ(cash(BUY), kBuyCash + expect[BUY]);
  EXPECT_EQ(cash(BUY2), kBuy2Cash + expect[BUY2]);
  for (ParticipantId p : {SUP, SUP2, HOST, CAR, CAR2}) EXPECT_EQ(cash(p), expect[p]) << p;
  EXPECT_GT(cash(CAR), 0);
  EXPECT_GT(cash(CAR2), 0);
  EXPECT_GT(cash(HOST), 0);
  EXPECT_EQ(fee_account(), fees);
  // Money identity: everything deposited is in cash accounts or the fee account, nothing in escrow.
  Money total = fee_account();
  for (ParticipantId p = 0; p < ex.engine().participant_count(); ++p) total += cash(p);
  EXPECT_EQ(total, kBuyCash + kBuy2Cash + kLimCash);
  for (ParticipantId b : {BUY, BUY2}) {
    EXPECT_EQ(ex.engine().credit(b).unsettled_bought, 0);
    EXPECT_EQ(ex.engine().credit(b).limit, cash(b));
  }
}

// ---------------------------------------------------------------------------------------------------
// Snapshots at each stage of the day.

TEST(AuctionBookSnapshot, RestoringOpenClosedAndClearedDaysGivesTheSameStateAndBehaviour) {
  // One scripted day; the copy is restored at a cut and must then behave exactly like the original.
  const AuctionResult result = [] {
    AuctionResult r;
    r.zone_price.assign(9 * kAuctionHours, 0);
    r.congestion.assign(3 * kAuctionHours, 0);
    r.zone_price[zone_of(NM, G10) * kAuctionHours + 10] = scu_price(0.15);
    r.zone_price[zone_of(NM, G10) * kAuctionHours + 11] = scu_price(0.20);
    r.zone_price[zone_of(GZ, G10) * kAuctionHours + 10] = scu_price(0.10);
    r.zone_price[zone_of(GZ, G10) * kAuctionHours + 11] = scu_price(0.10);
    r.allocations = {AuctionAllocation{0, zone_of(NM, G10), 20}, AuctionAllocation{0, zone_of(GZ, G10), 10}};
    r.acceptances = {AuctionAcceptance{1, 20}, AuctionAcceptance{2, 10}, AuctionAcceptance{3, 20}, AuctionAcceptance{4, 10}};
    r.paradoxically_rejected = {1};
    return r;
  }();
  const Timestamp t = iso("2026-11-30T10:00:00+08:00");
  auto offer = [&](ParticipantId p, int hour, Quantity n, const char* price, RegionId r = NM, ChipClassId c = G10) {
    return Command{AuctionOffer{t, p, {}, kDay, r, c, hour, n, px(price)}};
  };
  auto bid = [&](ParticipantId p, int first, int hours, RouteQuery q, int64_t ratio) {
    return Command{AuctionBid{t, p, {}, kDay, first, hours, ratio, std::move(q)}};
  };
  RouteQuery q2 = query({G10}, NM, 100, 0.30);
  q2.regions = {NM};
  // Auction order ids start after the continuous ones: none exist, so c0 is 1, o1 2, ...
  std::vector<Command> script = {
      offer(SUP, 10, 5, "1.80"), CancelAuctionOrder{t, SUP, kDay, 1}, offer(SUP, 10, 30, "2.00"),
      offer(SUP2, 10, 20, "1.50"), offer(HOST, 10, 10, "1.00", GZ), offer(SUP, 11, 30, "2.00"),
      offer(HOST, 11, 10, "1.00", GZ), bid(BUY, 10, 2, query({G10}, JJJ, 400, 0.25, 400), 5'000),
      bid(BUY2, 10, 1, q2, 10'000), offer(LIM, 3, 10, "0.40", NM, CPU), offer(LIM, 4, 10, "0.40", NM, CPU)};
  const size_t cut_open = script.size();
  // Open: LIM is at its 2 open orders (a count the snapshot does not carry: it is rebuilt on restore).
  script.push_back(offer(LIM, 5, 10, "0.40", NM, CPU));
  script.push_back(CancelAuctionOrder{t, LIM, kDay, 10});
  script.push_back(offer(LIM, 5, 10, "0.40", NM, CPU));
  script.push_back(offer(LIM, 6, 10, "0.40", NM, CPU));
  script.push_back(AdvanceTime{kGate});
  const size_t cut_closed = script.size();
  script.push_back(CancelAuctionOrder{kGate, SUP, kDay, 2});
  AuctionResult lim_result = result;  // the LIM offers are input offers 5 and 6 now, unaccepted
  script.push_back(ClearAuction{kGate + kNanosPerHour, OPS, kDay, false, lim_result});
  const size_t cut_cleared = script.size();
  NewOrder sell;
  sell.ts = kGate + 2 * kNanosPerHour;
  sell.participant = SUP;
  sell.instrument = kH10;
  sell.side = Side::Sell;
  sell.price = px("1.50");
  sell.qty = 100;
  script.push_back(sell);
  NewOrder buy = sell;
  buy.participant = BUY;
  buy.side = Side::Buy;
  buy.qty = 4;
  script.push_back(buy);
  for (TradeId id = 1; id <= 4; ++id) {
    const ParticipantId seller = id == 1 ? SUP2 : id == 2 ? SUP : HOST;
    script.push_back(DeliveryReport{kDay + 12 * kNanosPerHour, seller, id, id == 2 ? 15 : 10});
  }
  script.push_back(AdvanceTime{kDay + 40 * kNanosPerHour});

  for (size_t cut : {cut_open, cut_closed, cut_cleared}) {
    SCOPED_TRACE("cut after command " + std::to_string(cut));
    AuctionEvents ev;
    Exchange ex(ev);
    for (const Command& c : setup_commands()) ex.apply(c);
    AuctionEvents copy_ev;
    Exchange copy(copy_ev);
    for (size_t i = 0; i < script.size(); ++i) {
      if (i == cut) {
        ASSERT_TRUE(copy.restore(ex.snapshot()).ok());
        EXPECT_EQ(copy.state_hash(), ex.state_hash());
        EXPECT_EQ(copy.engine().state_hash(), ex.engine().state_hash());
        ev.clear();
      }
      ex.apply(script[i]);
      if (i >= cut) {
        copy.apply(script[i]);
        ASSERT_EQ(copy.state_hash(), ex.state_hash()) << "command " << i;
      }
      std::string why;
      ASSERT_TRUE(ex.check(why)) << why;
    }
    EXPECT_EQ(copy_ev.lines, ev.lines);
    std::string why;
    EXPECT_TRUE(copy.check(why)) << why;
    const AuctionDay* a = copy.engine().auction(kDay);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->state, AuctionState::Cleared);
    EXPECT_EQ(copy.contract_count(), 5u) << "four from the auction, one from the continuous book";
    // The behaviour the copy shows is the behaviour we expect (not only the same as the original's).
    if (cut == cut_open) {
      size_t max_open = 0;
      for (const auto& r : copy_ev.rejects) max_open += r.reason == RejectReason::MaxOpenOrders;
      EXPECT_EQ(max_open, 2u) << "LIM's third and fourth offers";
    }
    if (cut == cut_closed) {
      ASSERT_FALSE(copy_ev.rejects.empty());
      EXPECT_EQ(copy_ev.rejects[0].reason, RejectReason::AuctionClosed);
    }
    EXPECT_EQ(copy.engine().reference_price(kH10), px("1.50"));
    for (TradeId id = 1; id <= 4; ++id) EXPECT_EQ(copy.contract(id)->state, ContractState::Settled) << id;
  }
}

// ---------------------------------------------------------------------------------------------------
// Monitoring.

TEST_F(AuctionBookTest, CapacityFiguresByHand) {
  // A continuous day-book offer of 5 devices by SUP2 (5 x 24 = 120 device-hours) besides the hand day.
  ASSERT_NE(submit(order_cmd(SUP2, kDayBook, Side::Sell, "2.00", 5)), 0u);
  hand_orders();
  auto figures = [&](Timestamp from, Timestamp to) {
    std::map<std::pair<RegionId, ChipClassId>, persistence::CapacityFigures> out;
    std::vector<std::pair<RegionId, ChipClassId>> order;
    for (const auto& f : persistence::capacity_figures(ex, from, to)) {
      out[{f.region, f.chip_class}] = f;
      order.emplace_back(f.region, f.chip_class);
    }
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << "region, then class";
    return out;
  };
  auto expect = [&](const persistence::CapacityFigures& f, int64_t reg, int64_t off, int64_t sold, int64_t bps) {
    EXPECT_EQ(f.registered_device_hours, reg);
    EXPECT_EQ(f.offered_device_hours, off);
    EXPECT_EQ(f.sold_device_hours, sold);
    EXPECT_EQ(f.utilisation_bps, bps);
  };
  const Timestamp next = kDay + kNanosPerDay;
  {
    SCOPED_TRACE("open, whole day");
    auto f = figures(kDay, next);
    ASSERT_EQ(f.size(), 4u);  // NM.G10, NM.CPU, JJJ.G10, GZ.G10
    // NM.G10: (100 + 50) x 24 registered; offered o1 30 + o2 20 + o4 30 (c0 withdrawn) + 120 in the book.
    expect(f[{NM, G10}], 3600, 200, 0, 0);
    expect(f[{NM, CPU}], 4800, 0, 0, 0);
    expect(f[{JJJ, G10}], 480, 0, 0, 0);
    expect(f[{GZ, G10}], 960, 20, 0, 0);
  }
  advance(kGate);
  {
    SCOPED_TRACE("closed: the orders are still offered");
    auto f = figures(kDay, next);
    expect(f[{NM, G10}], 3600, 200, 0, 0);
  }
  now = kGate + kNanosPerHour;
  ASSERT_EQ(outcome(clear_cmd(hand_result())), "accepted");
  {
    SCOPED_TRACE("cleared, whole day");
    auto f = figures(kDay, next);
    expect(f[{NM, G10}], 3600, 120, 40, 40 * 10'000 / 3600);  // 111 bps
    expect(f[{GZ, G10}], 960, 0, 20, 20 * 10'000 / 960);      // 208 bps
    expect(f[{NM, CPU}], 4800, 0, 0, 0);
  }
  {
    SCOPED_TRACE("cleared, hour 10 only");
    auto f = figures(kDay + 10 * kNanosPerHour, kDay + 11 * kNanosPerHour);
    expect(f[{NM, G10}], 150, 5, 20, 20 * 10'000 / 150);  // 1333 bps
    expect(f[{GZ, G10}], 40, 0, 10, 2500);
  }
  {
    SCOPED_TRACE("the day before: registered only");
    auto f = figures(kDay - kNanosPerDay, kDay);
    expect(f[{NM, G10}], 3600, 0, 0, 0);
    expect(f[{GZ, G10}], 960, 0, 0, 0);
  }
}

// ---------------------------------------------------------------------------------------------------
// Seeded random days.

class RandomDay {
 public:
  explicit RandomDay(uint32_t seed) : rng_(seed), seed_(seed) {}

  void run() {
    for (const Command& c : setup_commands()) ex_.apply(c);
    ASSERT_TRUE(ev_.rejects.empty());
    now_ = kT0;
    step(Deposit{now_, OPS, BUY2, 2'000 * kScale});
    const int commands = 60 + static_cast<int>(rng_() % 60);
    for (int i = 0; i < commands && !::testing::Test::HasFatalFailure(); ++i) {
      now_ += static_cast<Timestamp>(1 + rng_() % 20) * 60 * 1'000'000'000LL;
      if (now_ >= kGate) now_ = kGate - 1;
      step(random_command());
    }
    if (::testing::Test::HasFatalFailure()) return;
    step(AdvanceTime{kGate});
    const AuctionDay* day = ex_.engine().auction(kDay);
    ASSERT_EQ(day->state, AuctionState::Closed);
    ASSERT_TRUE(check_auction_input(day->input).ok()) << check_auction_input(day->input).error().text;
    AuctionSolverOptions options;
    options.time_limit_s = 30;
    auto result = solve_auction(day->input, options);
    ASSERT_TRUE(result.ok()) << "seed " << seed_ << ": " << result.error().text;
    const size_t contracts = ex_.contract_count();
    const size_t pieces = auction_pieces(day->input, *result).size();
    ev_.rejects.clear();
    step(ClearAuction{kGate + kNanosPerHour, OPS, kDay, false, *result});
    ASSERT_TRUE(ev_.rejects.empty()) << "seed " << seed_ << ": the solver's result was refused";
    EXPECT_EQ(day->state, AuctionState::Cleared);
    EXPECT_EQ(ex_.contract_count(), contracts + pieces);
    for (const AuctionBidRecord& b : day->bids) EXPECT_NE(b.status, AuctionOrderStatus::Open);
    for (const AuctionOfferRecord& o : day->offers) EXPECT_NE(o.status, AuctionOrderStatus::Open);
    stats.offers += day->input.offers.size();
    stats.blocks += day->input.blocks.size();
    stats.awards += pieces;
  }

  struct Stats {
    size_t offers = 0, blocks = 0, awards = 0, rejects = 0, cancels = 0, trades = 0;
  } stats;

 private:
  void step(const Command& c) {
    const size_t rejects = ev_.rejects.size();
    ex_.apply(c);
    stats.rejects += ev_.rejects.size() - rejects;
    stats.trades = ev_.trades;
    std::string why;
    ASSERT_TRUE(ex_.check(why)) << "seed " << seed_ << " " << to_string(kind_of(c)) << ": " << why;
    check_capacity(c);
    check_credit(c);
  }

  // Nobody's open sells + open offers + sold exceed what it registered, and the registry's free devices
  // are exactly the difference, hour by hour.
  void check_capacity(const Command& c) {
    const MatchingEngine& e = ex_.engine();
    const AuctionDay* day = e.auction(kDay);
    std::vector<OrderView> sells;
    for (const Registration& r : kRegistrations) {
      for (int h = 0; h < kAuctionHours; ++h) {
        const Timestamp from = kDay + h * kNanosPerHour, to = from + kNanosPerHour;
        int64_t used = 0;
        for (InstrumentId i = 0; i < e.instrument_count(); ++i) {
          const InstrumentInfo* info = e.instrument(i);
          if (info->region != r.region || info->chip_class != r.chip_class || info->end <= from || info->start >= to) continue;
          e.orders_in_book(i, Side::Sell, sells);
          for (const OrderView& o : sells) used += o.participant == r.supplier ? o.remaining : 0;
        }
        if (day->state == AuctionState::Open || day->state == AuctionState::Closed) {
          for (const AuctionOfferRecord& o : day->offers) {
            if (o.status == AuctionOrderStatus::Open && o.supplier == r.supplier && o.region == r.region &&
                o.chip_class == r.chip_class && o.hour == h) {
              used += o.devices;
            }
          }
        }
        for (const auto& [id, k] : ex_.contracts()) {
          if (k.seller == r.supplier && k.region == r.region && k.chip_class == r.chip_class && k.window_start < to &&
              k.window_end > from) {
            used += k.qty;
          }
        }
        ASSERT_LE(used, r.devices) << "seed " << seed_ << " " << to_string(kind_of(c)) << ": supplier " << r.supplier
                                   << " region " << r.region << " class " << r.chip_class << " hour " << h;
        ASSERT_EQ(e.capacity_headroom(r.supplier, r.region, r.chip_class, from, to), r.devices - used)
            << "seed " << seed_ << " " << to_string(kind_of(c)) << ": supplier " << r.supplier << " hour " << h;
      }
    }
  }

  // Every buyer's open buy credit is what its continuous buys hold plus the reserves of its open bids
  // (after clearing: its continuous buys only).
  void check_credit(const Command& c) {
    const MatchingEngine& e = ex_.engine();
    const AuctionDay* day = e.auction(kDay);
    std::vector<OrderView> buys;
    for (ParticipantId p : {BUY, BUY2, LIM}) {
      Money want = 0;
      for (InstrumentId i = 0; i < e.instrument_count(); ++i) {
        e.orders_in_book(i, Side::Buy, buys);
        for (const OrderView& o : buys) {
          if (o.participant == p) want += continuous_reserve(o.price, o.remaining, e.instrument(i)->hours, fee_bps_);
        }
      }
      for (const AuctionBidRecord& b : day->bids) {
        if (b.buyer == p && b.status == AuctionOrderStatus::Open) want += b.reserve;
      }
      ASSERT_EQ(e.credit(p).open_buy, want) << "seed " << seed_ << " " << to_string(kind_of(c)) << ": buyer " << p;
    }
  }

  template <class T>
  T pick(std::initializer_list<T> xs) {
    return *(xs.begin() + rng_() % xs.size());
  }
  Price price_between(int lo_cents, int hi_cents) {
    return static_cast<Price>(lo_cents + static_cast<int>(rng_() % static_cast<uint64_t>(hi_cents - lo_cents + 1))) * 100;
  }

  Command random_command() {
    const int dice = static_cast<int>(rng_() % 100);
    const AuctionDay* day = ex_.engine().auction(kDay);
    if (dice < 30) {  // an offer, mostly where something is registered
      const Registration& r = kRegistrations[rng_() % std::size(kRegistrations)];
      AuctionOffer o;
      o.ts = now_;
      o.participant = rng_() % 10 ? r.supplier : pick({SUP, SUP2, HOST, LIM, BUY});
      o.day_start = kDay;
      o.region = rng_() % 10 ? r.region : static_cast<RegionId>(rng_() % 3);
      o.chip_class = rng_() % 10 ? r.chip_class : static_cast<ChipClassId>(rng_() % 3);
      o.hour = 8 + static_cast<int>(rng_() % 5);
      o.devices = 1 + static_cast<Quantity>(rng_() % 45);
      o.price = o.chip_class == CPU ? price_between(20, 80) : price_between(50, 250);
      return o;
    }
    if (dice < 55) {  // a block
      AuctionBid b;
      b.ts = now_;
      b.participant = pick({BUY, BUY, BUY2, LIM, SUP});
      b.day_start = kDay;
      b.first_hour = 8 + static_cast<int>(rng_() % 4);
      b.hours = 1 + static_cast<int>(rng_() % static_cast<uint64_t>(13 - b.first_hour));
      b.min_ratio_bps = pick<int64_t>({10'000, 10'000, 5'000, 1});
      RouteQuery& q = b.constraints;
      const int kind = static_cast<int>(rng_() % 4);
      q.classes = kind == 0 ? std::vector<ChipClassId>{CPU} : kind == 1 ? std::vector<ChipClassId>{G10, G20}
                                                                        : std::vector<ChipClassId>{G10};
      q.origin = static_cast<RegionId>(rng_() % 3);
      if (rng_() % 4 == 0) q.regions = {q.origin};
      if (rng_() % 6 == 0) q.max_latency_ms = 20;
      q.scu = (kind == 0 ? 5 : 10) * static_cast<int64_t>(1 + rng_() % 25);
      q.data_gb = static_cast<int64_t>(rng_() % 3) * q.scu;
      q.limit_per_scu_hour = static_cast<int64_t>(8 + rng_() % 35) * 1'000'000;  // 0.08 .. 0.42
      return b;
    }
    if (dice < 65 && day) {  // withdraw an auction order, usually one's own
      std::vector<std::pair<uint64_t, ParticipantId>> open;
      for (const AuctionOfferRecord& o : day->offers)
        if (o.status == AuctionOrderStatus::Open) open.emplace_back(o.id, o.supplier);
      for (const AuctionBidRecord& b : day->bids)
        if (b.status == AuctionOrderStatus::Open) open.emplace_back(b.id, b.buyer);
      if (!open.empty()) {
        const auto [id, owner] = open[rng_() % open.size()];
        ++stats.cancels;
        return CancelAuctionOrder{now_, rng_() % 8 ? owner : pick({SUP, BUY, HOST}), kDay, id};
      }
    }
    if (dice < 88) {  // a continuous order
      NewOrder o;
      o.ts = now_;
      o.instrument = pick({kDayBook, kH10, kH11, kGzH10, kJjjH10});
      o.side = rng_() % 2 ? Side::Sell : Side::Buy;
      if (o.side == Side::Sell) {
        o.participant = o.instrument == kGzH10 ? HOST : o.instrument == kJjjH10 ? SUP : pick({SUP, SUP2});
      } else {
        o.participant = pick({BUY, BUY2, LIM});
      }
      o.price = price_between(100, 250);
      o.qty = 1 + static_cast<Quantity>(rng_() % 25);
      return o;
    }
    if (dice < 96) {  // cancel a continuous order
      std::vector<OrderView> all, side;
      for (InstrumentId i = 0; i < ex_.engine().instrument_count(); ++i) {
        for (Side s : {Side::Buy, Side::Sell}) {
          ex_.engine().orders_in_book(i, s, side);
          all.insert(all.end(), side.begin(), side.end());
        }
      }
      if (!all.empty()) {
        const OrderView& o = all[rng_() % all.size()];
        CancelOrder c;
        c.ts = now_;
        c.participant = o.participant;
        c.order_id = o.id;
        return c;
      }
      return AdvanceTime{now_};
    }
    // A fee change now and then: reserves are recomputed under the new fees.
    fee_bps_ = pick<int64_t>({20, 30, 40});
    return SetFees{now_, OPS, 10, fee_bps_};
  }

  AuctionEvents ev_;
  Exchange ex_{ev_};
  std::mt19937_64 rng_;
  uint32_t seed_;
  Timestamp now_ = 0;
  int64_t fee_bps_ = 20;  // the larger of the two fees, as the engine reserves
};

TEST(AuctionBookRandom, RandomDaysKeepCapacityCreditAndTheLedgerInStep) {
  RandomDay::Stats total;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    RandomDay day(seed);
    day.run();
    if (::testing::Test::HasFatalFailure()) return;
    total.offers += day.stats.offers;
    total.blocks += day.stats.blocks;
    total.awards += day.stats.awards;
    total.rejects += day.stats.rejects;
    total.cancels += day.stats.cancels;
    total.trades += day.stats.trades;
  }
  std::printf("random days: %zu offers, %zu blocks, %zu awards, %zu rejects, %zu cancels, %zu trades\n", total.offers,
              total.blocks, total.awards, total.rejects, total.cancels, total.trades);
  // The streams do what they are for: orders reach the solver, contracts are made, some things refused.
  EXPECT_GT(total.offers, 300u);
  EXPECT_GT(total.blocks, 300u);
  EXPECT_GT(total.awards, 80u);
  EXPECT_GT(total.rejects, 200u);
  EXPECT_GT(total.cancels, 100u);
  EXPECT_GT(total.trades, 60u);
}

}  // namespace
}  // namespace cpx::test
