// Routed orders (docs/PRODUCT.md §3.2): one buy across every book its constraints allow, cheapest landed price
// first, as IOC child orders; transport fees as legs of the trades, paid to the carriers at settlement.
//
//   1. RoutedOrderTest: hand-computed cases on a small network (figures worked out in the comments).
//   2. RoutedSettlementTest: the same network in a persistence::Exchange, through delivery and payout.
//   3. RoutedRandom: seeded random networks, books and routed orders against a reference planner written
//      here from the rules (brute-force paths, one flat list of asks sorted by the landed key, greedy take).
//   4. RoutedJson: the route_order request and the route events as JSON.
//
// Money and prices are fixed-point with four decimals (1 CNY = 10,000); per-SCU-hour prices have eight.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine_fixture.hpp"
#include "exchange.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/event_codec.hpp"
#include "json/event_fanout.hpp"
#include "json/names.hpp"
#include "statement.hpp"

namespace cpx::test {
namespace {

using persistence::Contract;
using persistence::ContractState;
using persistence::Exchange;

// ------------------------------------------------------------------------------------------ recording

struct Fill {
  Trade t;
  std::vector<TransportLeg> legs;
};

// Everything the engine (or the exchange) says, with owned copies of what the events only lend.
class RouteLog : public EventListener {
 public:
  std::vector<OrderAccepted> accepted;
  std::vector<std::string> accepted_cl;
  std::vector<OrderRejected> rejected;
  std::vector<std::string> rejected_cl;
  std::vector<Fill> fills;
  std::vector<OrderDone> done;
  std::vector<BookChange> book_changes;
  std::vector<RouteAccepted> routes;
  std::vector<std::string> route_cl;
  std::vector<RouteDone> route_done;
  std::vector<std::string> route_done_cl;
  struct Settled {
    SettlementEvent e;
    std::vector<std::pair<ParticipantId, Money>> pieces;
    std::vector<std::pair<ParticipantId, Money>> carriers;
  };
  std::vector<Settled> settlements;

  void clear() { *this = RouteLog(); }

  void on_accepted(const OrderAccepted& e) override {
    accepted.push_back(e);
    accepted.back().cl_ord_id = {};
    accepted_cl.emplace_back(e.cl_ord_id);
  }
  void on_rejected(const OrderRejected& e) override {
    rejected.push_back(e);
    rejected.back().cl_ord_id = {};
    rejected_cl.emplace_back(e.cl_ord_id);
  }
  void on_trade(const Trade& e) override {
    Fill f{e, std::vector<TransportLeg>(e.transport.begin(), e.transport.end())};
    f.t.buy_cl_ord_id = {};
    f.t.sell_cl_ord_id = {};
    f.t.transport = {};
    fills.push_back(std::move(f));
  }
  void on_done(const OrderDone& e) override {
    done.push_back(e);
    done.back().cl_ord_id = {};
  }
  void on_book_change(const BookChange& e) override { book_changes.push_back(e); }
  void on_route_accepted(const RouteAccepted& e) override {
    routes.push_back(e);
    routes.back().cl_ord_id = {};
    route_cl.emplace_back(e.cl_ord_id);
  }
  void on_route_done(const RouteDone& e) override {
    route_done.push_back(e);
    route_done.back().cl_ord_id = {};
    route_done_cl.emplace_back(e.cl_ord_id);
  }
  void on_settlement(const SettlementEvent& e) override {
    Settled s{e, {e.pieces.begin(), e.pieces.end()}, {e.carrier_pieces.begin(), e.carrier_pieces.end()}};
    s.e.pieces = {};
    s.e.carrier_pieces = {};
    settlements.push_back(std::move(s));
  }
};

// ------------------------------------------------------------------------------------------ the network

// Regions (in this order, ids 0..3), jurisdiction and green share:
//   JJJ east CN-JJJ 0.30 | NM west CN-NM 0.45 | GS west CN-GS 0.50 | NX west CN-NX 0.50
// Chip classes: H100 (ai, 989 SCU), ASC910B (ai, 320 SCU), CPU-X86-64V (general, 5 SCU).
// Links (index: from>to, latency, tariff per GB, carrier):
//   0: JJJ>NM  8 ms 0.0200 CTNET      1: JJJ>GS 13 ms 0.0800 CMNET
//   2: NM>NX   6 ms 0.0100 CMNET      3: JJJ>NX 12 ms 0.0500 CUNET
// so from JJJ: NM by link 0 (8 ms, 0.0200); GS by link 1 (13 ms, 0.0800); NX cheapest by 0+2 (14 ms,
// 0.0300), fastest by 3 (12 ms, 0.0500).
// Books (instrument ids 0..6), all day books of 2026-12-01 except the last:
//   0 NM.H100  1 GS.H100  2 NX.H100  3 JJJ.H100  4 NM.ASC910B  5 NM.CPU-X86-64V  6 NM.H100 of 2026-12-02
// Participants: OPS (operator); CTNET, CMNET, CUNET (carriers); SNM, SGS, SNX, SJJJ (sellers, each in its
// region; SNM also ASC910B and CPU); HOST (a state operator, party of revenue sharing); BUY (buyer); BOTH
// (buys and sells, NM and GS H100); TINY (buyer with max order quantity 2).
constexpr const char* kNmH100 = "NM.H100.D.2026-12-01";
constexpr const char* kGsH100 = "GS.H100.D.2026-12-01";
constexpr const char* kNxH100 = "NX.H100.D.2026-12-01";
constexpr const char* kJjjH100 = "JJJ.H100.D.2026-12-01";
constexpr const char* kNmAsc = "NM.ASC910B.D.2026-12-01";
constexpr const char* kNmCpu = "NM.CPU-X86-64V.D.2026-12-01";
constexpr const char* kNmH100Next = "NM.H100.D.2026-12-02";

InstrumentRules plain_rules() {
  InstrumentRules r;
  r.tick = 100;
  r.lot = 1;
  r.max_order_qty = 1000;
  r.price_band_bps = 0;
  r.gate_closure_ns = kNanosPerHour;
  return r;
}

// The network above as commands. `with_credit`: SetCredit for the buyers (an Exchange takes deposits instead).
std::vector<Command> network_world(const InstrumentRules& gs_rules, bool with_credit) {
  const Timestamp t0 = iso("2026-11-30T09:00:00+08:00");
  std::vector<Command> cmds;
  auto region = [&](const char* code, RegionSide side, const char* jurisdiction, int64_t green) {
    AddRegion c;
    c.ts = t0;
    c.region.code = code;
    c.region.name = code;
    c.region.side = side;
    c.region.jurisdiction = jurisdiction;
    c.region.green_share = green;
    cmds.push_back(c);
  };
  region("JJJ", RegionSide::East, "CN-JJJ", 3000);
  region("NM", RegionSide::West, "CN-NM", 4500);
  region("GS", RegionSide::West, "CN-GS", 5000);
  region("NX", RegionSide::West, "CN-NX", 5000);
  auto chip = [&](const char* code, ChipFamily family, int64_t scu) {
    AddChipClass c;
    c.ts = t0;
    c.chip_class.code = code;
    c.chip_class.family = family;
    c.chip_class.device = "1 device";
    c.chip_class.scu_per_device = scu;
    cmds.push_back(c);
  };
  chip("H100", ChipFamily::AI, 989);
  chip("ASC910B", ChipFamily::AI, 320);
  chip("CPU-X86-64V", ChipFamily::General, 5);
  // Participant ids follow this order after EXCH (0).
  auto party = [&](const char* code, ParticipantKind kind, RoleSet roles, Quantity max_qty = 1'000'000) {
    AddParticipant c;
    c.ts = t0;
    c.participant.code = code;
    c.participant.name = code;
    c.participant.kind = kind;
    c.participant.roles = roles;
    c.participant.limits.max_order_qty = max_qty;
    cmds.push_back(c);
  };
  party("OPS", ParticipantKind::Exchange, kRoleOperator);                   // 1
  party("CTNET", ParticipantKind::Carrier, kRoleCarrier);                   // 2
  party("CMNET", ParticipantKind::Carrier, kRoleCarrier);                   // 3
  party("CUNET", ParticipantKind::Carrier, kRoleCarrier);                   // 4
  party("SNM", ParticipantKind::CloudVendor, kRoleTradeSell);               // 5
  party("SGS", ParticipantKind::CloudVendor, kRoleTradeSell);               // 6
  party("SNX", ParticipantKind::CloudVendor, kRoleTradeSell);               // 7
  party("SJJJ", ParticipantKind::CloudVendor, kRoleTradeSell);              // 8
  party("HOST", ParticipantKind::StateOperator, kRoleTradeSell);            // 9
  party("BUY", ParticipantKind::Buyer, kRoleTradeBuy);                      // 10
  party("BOTH", ParticipantKind::CloudVendor, kRoleTradeBuy | kRoleTradeSell);  // 11
  party("TINY", ParticipantKind::Buyer, kRoleTradeBuy, 2);                  // 12
  auto link = [&](const char* from, const char* to, int64_t ms, const char* tariff, ParticipantId carrier) {
    AddLink c;
    c.ts = t0;
    c.actor = 1;
    c.from = from;
    c.to = to;
    c.latency_ms = ms;
    c.capacity_gbps = 400;
    c.tariff_per_gb = px(tariff);
    c.carrier = carrier;
    cmds.push_back(c);
  };
  link("JJJ", "NM", 8, "0.0200", 2);
  link("JJJ", "GS", 13, "0.0800", 3);
  link("NM", "NX", 6, "0.0100", 3);
  link("JJJ", "NX", 12, "0.0500", 4);
  for (const char* symbol : {kNmH100, kGsH100, kNxH100, kJjjH100, kNmAsc, kNmCpu, kNmH100Next}) {
    ListInstrument c;
    c.ts = t0;
    c.symbol = symbol;
    c.rules = std::string_view(symbol) == kGsH100 ? gs_rules : plain_rules();
    cmds.push_back(c);
  }
  auto capacity = [&](ParticipantId supplier, const char* region, const char* cls) {
    RegisterCapacity c;
    c.ts = t0;
    c.supplier = supplier;
    c.region = region;
    c.chip_class = cls;
    c.from = iso("2026-11-01T00:00:00+08:00");
    c.to = iso("2027-01-01T00:00:00+08:00");
    c.devices = 1000;
    cmds.push_back(c);
  };
  capacity(5, "NM", "H100");
  capacity(5, "NM", "ASC910B");
  capacity(5, "NM", "CPU-X86-64V");
  capacity(6, "GS", "H100");
  capacity(7, "NX", "H100");
  capacity(8, "JJJ", "H100");
  capacity(11, "NM", "H100");
  capacity(11, "GS", "H100");
  if (with_credit) {
    for (ParticipantId p : {10u, 11u, 12u}) cmds.push_back(SetCredit{t0, kExchangeParticipant, p, 10'000'000LL * kScale});
  }
  return cmds;
}

// Text of what a routed order did, for readable comparisons.
std::string fill_text(const MatchingEngine& engine, const Fill& f) {
  std::string s = engine.instrument(f.t.instrument)->symbol + " " + fx(f.t.price) + "x" + std::to_string(f.t.qty) +
                  " transport=" + fx(f.t.transport_fee);
  for (const TransportLeg& l : f.legs) {
    s += " " + engine.participant(l.carrier)->code + "@" + std::to_string(l.link) + ":" + fx(l.amount);
  }
  return s;
}
std::string child_text(const MatchingEngine& engine, const OrderAccepted& a, const std::string& cl) {
  return engine.instrument(a.instrument)->symbol + " " + std::string(to_string(a.side)) + " " +
         std::string(to_string(a.type)) + " " + std::string(to_string(a.tif)) + " " + fx(a.price) + "x" +
         std::to_string(a.qty) + " cl=" + cl;
}
std::string done_text(const RouteDone& d) {
  return "scu=" + std::to_string(d.scu) + " filled_scu=" + std::to_string(d.filled_scu) +
         " devices=" + std::to_string(d.devices) + " children=" + std::to_string(d.children) +
         " compute=" + fx(d.compute_cost) + " fees=" + fx(d.fees) + " transport=" + fx(d.transport_cost) + " " +
         std::string(done_reason_code(d.reason));
}

// ------------------------------------------------------------------------------------------ 1. by hand

class RoutedOrderTest : public ::testing::Test {
 protected:
  RouteLog log;
  MatchingEngine engine{log};
  Timestamp now = iso("2026-11-30T10:00:00+08:00");
  ParticipantId OPS = 1, SNM = 5, SGS = 6, SNX = 7, SJJJ = 8, BUY = 10, BOTH = 11, TINY = 12;
  RegionId JJJ = 0, NM = 1, GS = 2, NX = 3;
  ChipClassId H100 = 0, ASC = 1, CPU = 2;
  InstrumentId nm = 0, gs = 1, nx = 2, jjj = 3, nm_asc = 4, nm_cpu = 5, nm_next = 6;

  virtual InstrumentRules gs_rules() const { return plain_rules(); }

  void SetUp() override { build(engine, log); }

  void build(MatchingEngine& e, RouteLog& l) {
    for (const Command& c : network_world(gs_rules(), true)) e.apply(c);
    ASSERT_TRUE(l.rejected.empty()) << "setup refused: reason " << reason_code(l.rejected.front().reason) << " for "
                                    << to_string(l.rejected.front().command);
    ASSERT_EQ(e.find_participant("TINY"), TINY);
    ASSERT_EQ(e.find_instrument(kNmH100Next), nm_next);
    ASSERT_EQ(e.find_region("NX"), NX);
    ASSERT_EQ(e.find_chip_class("CPU-X86-64V"), CPU);
    ASSERT_EQ(e.links().size(), 4u);
    l.clear();
  }

  OrderId ask(ParticipantId seller, InstrumentId book, const char* price, Quantity qty, MatchingEngine* on = nullptr) {
    NewOrder o;
    o.ts = now;
    o.participant = seller;
    o.instrument = book;
    o.side = Side::Sell;
    o.price = px(price);
    o.qty = qty;
    if (on) {
      on->apply(o);
      return 0;
    }
    const size_t n = log.accepted.size();
    engine.apply(o);
    EXPECT_EQ(log.accepted.size(), n + 1) << "ask refused";
    return log.accepted.empty() ? 0 : log.accepted.back().order_id;
  }

  // Ten H100 devices for 2026-12-01 from Beijing (JJJ), IOC; the rest as given.
  RouteQuery query(int64_t scu, int64_t data_gb, const char* limit) const {
    RouteQuery q;
    q.classes = {H100};
    q.origin = JJJ;
    q.scu = scu;
    q.data_gb = data_gb;
    q.window_start = iso("2026-12-01T00:00:00+08:00");
    q.window_end = iso("2026-12-02T00:00:00+08:00");
    q.limit_per_scu_hour = *parse_fixed(limit, kScuPriceDecimals);
    return q;
  }

  void route(ParticipantId who, TimeInForce tif, const RouteQuery& q, const char* cl = "r1", MatchingEngine* on = nullptr) {
    RoutedOrder c;
    c.ts = now;
    c.participant = who;
    c.tif = tif;
    c.cl_ord_id.assign(cl);
    c.query = q;
    if (!on) log.clear();
    (on ? *on : engine).apply(c);
  }

  std::vector<std::string> fills() const {
    std::vector<std::string> out;
    for (const Fill& f : log.fills) out.push_back(fill_text(engine, f));
    return out;
  }
  std::vector<std::string> children() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < log.accepted.size(); ++i) out.push_back(child_text(engine, log.accepted[i], log.accepted_cl[i]));
    return out;
  }
  std::string done() const {
    EXPECT_EQ(log.routes.size(), 1u);
    EXPECT_EQ(log.route_done.size(), 1u);
    return log.route_done.empty() ? "<no route_done>" : done_text(log.route_done.back());
  }
  std::vector<std::string> asks(InstrumentId book) const {
    std::vector<OrderView> v;
    engine.orders_in_book(book, Side::Sell, v);
    std::vector<std::string> out;
    for (const OrderView& o : v) out.push_back(engine.participant(o.participant)->code + " " + fx(o.price) + "x" + std::to_string(o.remaining));
    return out;
  }
  // The book each trade of the last routed order was in, in order.
  std::vector<InstrumentId> books_filled() const {
    std::vector<InstrumentId> out;
    for (const Fill& f : log.fills) out.push_back(f.t.instrument);
    return out;
  }
};

using Lines = std::vector<std::string>;

// Ten H100 devices (9,890 SCU) for a day (24 h: 237,360 SCU-hours), 100,000 GB to move from Beijing.
//   NM: 6 @ 20.00: compute 20.00 / 989 = 0.02022245 per SCU-h; transfer 100,000 GB x 0.0200 = 2,000.0000
//       / 237,360 = 0.00842602; landed 0.02864847
//   GS: 6 @ 18.00: compute 18.00 / 989 = 0.01820020;  transfer 100,000 x 0.0800 = 8,000.0000 / 237,360
//       = 0.03370408; landed 0.05190428
// Inner Mongolia's dearer devices land cheaper: NM first (all 6), then 4 from GS.
// Transport: the NM fill counts 5,934 of 9,890 SCU: 2,000 x 5,934 / 9,890 = 1,200.0000 (one leg, CTNET on
// link 0); the GS fill 3,956 SCU: 8,000 x 3,956 / 9,890 = 3,200.0000 (CMNET, link 1).
// Totals: compute 6 x 20 x 24 + 4 x 18 x 24 = 2,880 + 1,728 = 4,608.0000; transport 4,400.0000.
TEST_F(RoutedOrderTest, CheaperTransferBeatsACheaperAsk) {
  ask(SNM, nm, "20.00", 6);
  ask(SGS, gs, "18.00", 6);
  route(BUY, TimeInForce::IOC, query(9890, 100'000, "0.06"));
  ASSERT_TRUE(log.rejected.empty());
  ASSERT_EQ(log.routes.size(), 1u);
  const OrderId route_id = log.routes[0].route_id;
  EXPECT_EQ(log.route_cl[0], "r1");
  EXPECT_EQ(log.routes[0].scu, 9890);
  EXPECT_EQ(log.routes[0].tif, TimeInForce::IOC);
  EXPECT_EQ(children(), (Lines{std::string(kNmH100) + " buy limit ioc 20.0000x6 cl=r1",
                               std::string(kGsH100) + " buy limit ioc 18.0000x4 cl=r1"}));
  for (const OrderAccepted& a : log.accepted) {
    EXPECT_EQ(a.route_id, route_id);
    EXPECT_EQ(a.participant, BUY);
  }
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 20.0000x6 transport=1200.0000 CTNET@0:1200.0000",
                            std::string(kGsH100) + " 18.0000x4 transport=3200.0000 CMNET@1:3200.0000"}));
  for (const Fill& f : log.fills) {
    EXPECT_EQ(f.t.route_id, route_id);
    EXPECT_EQ(f.t.buyer, BUY);
    EXPECT_EQ(f.t.aggressor, Side::Buy);
  }
  EXPECT_EQ(done(), "scu=9890 filled_scu=9890 devices=10 children=2 compute=4608.0000 fees=0.0000 transport=4400.0000 filled");
  EXPECT_EQ(log.route_done_cl[0], "r1");
  EXPECT_TRUE(log.done.empty()) << "the children fill exactly: nothing is left to cancel";
  EXPECT_TRUE(asks(nm).empty());
  EXPECT_EQ(asks(gs), (Lines{"SGS 18.0000x2"}));
  // The buyer owes compute and transport; nothing stays reserved.
  EXPECT_EQ(engine.credit(BUY).unsettled_bought, px("9008"));
  EXPECT_EQ(engine.credit(BUY).open_buy, 0);
  EXPECT_EQ(engine.open_orders_of(BUY), 0);
}

// The same books with 1,000 GB: transfer is 20.0000 to NM (0.00008426 per SCU-h) and 80.0000 to GS
// (0.00033704). Landed NM 0.02022245 + 0.00008426 = 0.02030671, GS 0.01820020 + 0.00033704 = 0.01853724:
// now Gansu's cheaper ask wins. GS 6 (5,934 SCU: 80 x 0.6 = 48.0000), then NM 4 (3,956 SCU: 20 x 0.4 =
// 8.0000). The children go in the order the plan first used their books: GS, then NM.
TEST_F(RoutedOrderTest, CheaperAskWinsWhenLittleDataMoves) {
  ask(SNM, nm, "20.00", 6);
  ask(SGS, gs, "18.00", 6);
  route(BUY, TimeInForce::IOC, query(9890, 1'000, "0.06"));
  EXPECT_EQ(children(), (Lines{std::string(kGsH100) + " buy limit ioc 18.0000x6 cl=r1",
                               std::string(kNmH100) + " buy limit ioc 20.0000x4 cl=r1"}));
  EXPECT_EQ(fills(), (Lines{std::string(kGsH100) + " 18.0000x6 transport=48.0000 CMNET@1:48.0000",
                            std::string(kNmH100) + " 20.0000x4 transport=8.0000 CTNET@0:8.0000"}));
  // 6 x 18 x 24 + 4 x 20 x 24 = 2,592 + 1,920.
  EXPECT_EQ(done(), "scu=9890 filled_scu=9890 devices=10 children=2 compute=4512.0000 fees=0.0000 transport=56.0000 filled");
  EXPECT_EQ(asks(nm), (Lines{"SNM 20.0000x2"}));
}

// Ningxia over two links: JJJ>NM (CTNET 0.0200) + NM>NX (CMNET 0.0100) = 0.0300 per GB, 14 ms; the direct
// link (CUNET 0.0500, 12 ms) is dearer. 2,471 SCU (3 devices: 2,967 SCU) with 1,000 GB: transfer 30.0000.
// Asks 1 @ 15.00 then 2 @ 15.50 (landed 0.01567271 and 0.01617827, both under 0.05).
//   fill 1: 1 device = 989 SCU counted: 30 x 989 / 2,471 = 12.00728... -> 12.0073. By tariff 2:1:
//           CTNET 8.00486... -> 8.0048 (remainder 2/3), CMNET 4.00243... -> 4.0024 (1/3); the last unit goes
//           to the largest remainder: CTNET 8.0049, CMNET 4.0024.
//   fill 2: 2 devices, but only 2,471 - 989 = 1,482 SCU are still needed and counted: 30 x 1,482 / 2,471
//           = 17.99271... -> 17.9927. CTNET 11.99513... -> 11.9951 (1/3), CMNET 5.99756... -> 5.9975 (2/3)
//           + the last unit: CMNET 5.9976.
// The fees add up to the whole transfer, 30.0000. Compute 15 x 24 + 2 x 15.50 x 24 = 360 + 744 = 1,104.
TEST_F(RoutedOrderTest, TwoLinkPathSplitsEachFeeByTariffToTheCarriers) {
  ask(SNX, nx, "15.00", 1);
  ask(SNX, nx, "15.50", 2);
  route(BUY, TimeInForce::IOC, query(2471, 1'000, "0.05"));
  EXPECT_EQ(children(), (Lines{std::string(kNxH100) + " buy limit ioc 15.5000x3 cl=r1"}));
  EXPECT_EQ(fills(), (Lines{std::string(kNxH100) + " 15.0000x1 transport=12.0073 CTNET@0:8.0049 CMNET@2:4.0024",
                            std::string(kNxH100) + " 15.5000x2 transport=17.9927 CTNET@0:11.9951 CMNET@2:5.9976"}));
  EXPECT_EQ(done(), "scu=2471 filled_scu=2967 devices=3 children=1 compute=1104.0000 fees=0.0000 transport=30.0000 filled");
}

// The same job with a 12 ms limit: the two-link path (14 ms) is too slow, the direct CUNET link (12 ms,
// 0.0500) serves: transfer 50.0000; fill 1: 50 x 989 / 2,471 = 20.01214 -> 20.0121; fill 2: 50 x 1,482 /
// 2,471 = 29.98786 -> 29.9879 (sum 50.0000), one leg each. With 11 ms nothing reaches Ningxia and NM (8 ms)
// has no asks: the order ends with nothing. GS's cheap asks stay out throughout: GS is not in the regions list.
TEST_F(RoutedOrderTest, LatencyLimitTakesTheFasterDearerPathOrExcludesTheBook) {
  ask(SNX, nx, "15.00", 1);
  ask(SNX, nx, "15.50", 2);
  ask(SGS, gs, "10.00", 5);
  RouteQuery q = query(2471, 1'000, "0.05");
  q.regions = {NX, NM};
  q.max_latency_ms = 11;
  route(BUY, TimeInForce::IOC, q);
  EXPECT_TRUE(fills().empty());
  EXPECT_EQ(done(), "scu=2471 filled_scu=0 devices=0 children=0 compute=0.0000 fees=0.0000 transport=0.0000 immediate_remainder");
  q.max_latency_ms = 12;  // the direct link's 12 ms: on the limit is within it
  route(BUY, TimeInForce::IOC, q);
  EXPECT_EQ(fills(), (Lines{std::string(kNxH100) + " 15.0000x1 transport=20.0121 CUNET@3:20.0121",
                            std::string(kNxH100) + " 15.5000x2 transport=29.9879 CUNET@3:29.9879"}));
  EXPECT_EQ(done(), "scu=2471 filled_scu=2967 devices=3 children=1 compute=1104.0000 fees=0.0000 transport=50.0000 filled");
  EXPECT_EQ(asks(gs), (Lines{"SGS 10.0000x5"})) << "GS was outside the regions list";
}

// 6 in NM and 2 in GS cannot make ten devices. FOK: nothing is sent, and apart from the id the route used
// the engine is exactly as an engine that saw a non-crossing IOC order at the same time instead (which uses
// one id and leaves no trace either): the same state hash. IOC: takes the 8 there are.
TEST_F(RoutedOrderTest, FokThatCannotFillLeavesNoTraceAndIocTakesWhatThereIs) {
  RouteLog control_log;
  MatchingEngine control(control_log);
  build(control, control_log);
  for (MatchingEngine* e : {&engine, &control}) {
    NewOrder o;
    o.ts = now;
    o.side = Side::Sell;
    o.participant = SNM;
    o.instrument = nm;
    o.price = px("20.00");
    o.qty = 6;
    e->apply(o);
    o.participant = SGS;
    o.instrument = gs;
    o.price = px("18.00");
    o.qty = 2;
    e->apply(o);
  }
  ASSERT_EQ(engine.state_hash(), control.state_hash());
  const auto nm_before = asks(nm), gs_before = asks(gs);
  const CreditView credit_before = engine.credit(BUY);
  route(BUY, TimeInForce::FOK, query(9890, 100'000, "0.06"), "fok-1");
  EXPECT_EQ(done(), "scu=9890 filled_scu=0 devices=0 children=0 compute=0.0000 fees=0.0000 transport=0.0000 fok_not_filled");
  EXPECT_EQ(log.route_done_cl[0], "fok-1");
  EXPECT_TRUE(log.fills.empty());
  EXPECT_TRUE(log.accepted.empty()) << "no child order was sent";
  EXPECT_TRUE(log.book_changes.empty());
  EXPECT_TRUE(log.rejected.empty());
  EXPECT_EQ(asks(nm), nm_before);
  EXPECT_EQ(asks(gs), gs_before);
  EXPECT_EQ(engine.credit(BUY).unsettled_bought, credit_before.unsettled_bought);
  EXPECT_EQ(engine.credit(BUY).open_buy, credit_before.open_buy);
  NewOrder nothing;
  nothing.ts = now;
  nothing.participant = BUY;
  nothing.instrument = jjj;  // an empty book: accepted, ends at once
  nothing.side = Side::Buy;
  nothing.tif = TimeInForce::IOC;
  nothing.price = px("1.00");
  nothing.qty = 1;
  control.apply(nothing);
  EXPECT_EQ(engine.state_hash(), control.state_hash()) << "the killed FOK changed more than the next id";

  route(BUY, TimeInForce::IOC, query(9890, 100'000, "0.06"), "ioc-1");
  // NM 6 (5,934 SCU counted: 2,000 x 0.6 = 1,200.0000), GS 2 (1,978 SCU: 8,000 x 0.2 = 1,600.0000).
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 20.0000x6 transport=1200.0000 CTNET@0:1200.0000",
                            std::string(kGsH100) + " 18.0000x2 transport=1600.0000 CMNET@1:1600.0000"}));
  // 2,880 + 2 x 18 x 24 = 864.
  EXPECT_EQ(done(), "scu=9890 filled_scu=7912 devices=8 children=2 compute=3744.0000 fees=0.0000 transport=2800.0000 immediate_remainder");
}

// Credit 7,440 CNY, of which a resting bid (60 devices in JJJ at 1.00 for 24 h) holds 1,440: 6,000 left, with
// the books of the first case. NM 6: 2,880 + 1,200 transport = 4,080 (room left 1,920). GS per device:
// 18 x 24 = 432 + 8,000 x 989 / 9,890 = 800 transport = 1,232: one device fits (1,232), two do not (2,464;
// they would if the open bid were forgotten: 3,360). IOC: 7 devices, credit_limit. FOK: nothing.
TEST_F(RoutedOrderTest, CreditTruncatesAnIocAndRefusesAFok) {
  ask(SNM, nm, "20.00", 6);
  ask(SGS, gs, "18.00", 6);
  engine.apply(SetCredit{now, kExchangeParticipant, BUY, px("7440")});
  NewOrder bid;
  bid.ts = now;
  bid.participant = BUY;
  bid.instrument = jjj;
  bid.side = Side::Buy;
  bid.price = px("1.00");
  bid.qty = 60;
  engine.apply(bid);
  ASSERT_EQ(engine.credit(BUY).open_buy, px("1440"));
  route(BUY, TimeInForce::FOK, query(9890, 100'000, "0.06"));
  EXPECT_EQ(done(), "scu=9890 filled_scu=0 devices=0 children=0 compute=0.0000 fees=0.0000 transport=0.0000 fok_not_filled");
  EXPECT_TRUE(log.fills.empty());
  route(BUY, TimeInForce::IOC, query(9890, 100'000, "0.06"));
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 20.0000x6 transport=1200.0000 CTNET@0:1200.0000",
                            std::string(kGsH100) + " 18.0000x1 transport=800.0000 CMNET@1:800.0000"}));
  EXPECT_EQ(done(), "scu=9890 filled_scu=6923 devices=7 children=2 compute=3312.0000 fees=0.0000 transport=2000.0000 credit_limit");
  EXPECT_EQ(engine.credit(BUY).unsettled_bought, px("5312"));
  EXPECT_EQ(engine.credit(BUY).open_buy, px("1440")) << "the resting bid keeps its reservation";
  EXPECT_LE(engine.credit(BUY).unsettled_bought + engine.credit(BUY).open_buy, engine.credit(BUY).limit);
}

// Fees 5 / 10 bps (maker / taker; the children take). The whole first case costs 9,008.0000 without fees;
// with them NM 2,880 + 2.8800 + 1,200 = 4,082.8800 and GS 1,728 + 1.7280 + 3,200 = 4,929.7280, together
// 9,012.6080. A FOK with one unit less credit (more than 9,008 though) is refused; with exactly 9,012.6080
// it fills and spends every unit of it.
TEST_F(RoutedOrderTest, FeesCountInTheCreditCheck) {
  engine.apply(SetFees{now, kExchangeParticipant, 5, 10});
  ask(SNM, nm, "20.00", 6);
  ask(SGS, gs, "18.00", 6);
  engine.apply(SetCredit{now, kExchangeParticipant, BUY, px("9012.6079")});
  route(BUY, TimeInForce::FOK, query(9890, 100'000, "0.06"));
  EXPECT_EQ(done(), "scu=9890 filled_scu=0 devices=0 children=0 compute=0.0000 fees=0.0000 transport=0.0000 fok_not_filled");
  engine.apply(SetCredit{now, kExchangeParticipant, BUY, px("9012.6080")});
  route(BUY, TimeInForce::FOK, query(9890, 100'000, "0.06"));
  EXPECT_EQ(done(), "scu=9890 filled_scu=9890 devices=10 children=2 compute=4608.0000 fees=4.6080 transport=4400.0000 filled");
  ASSERT_EQ(log.fills.size(), 2u);
  EXPECT_EQ(log.fills[0].t.buyer_fee, px("2.88"));
  EXPECT_EQ(log.fills[0].t.seller_fee, px("1.44"));
  EXPECT_EQ(log.fills[1].t.buyer_fee, px("1.728"));
  EXPECT_EQ(engine.credit(BUY).unsettled_bought, engine.credit(BUY).limit);
  EXPECT_EQ(engine.credit(BUY).open_buy, 0);
}

// One H100 device, no data to move, limit 0.05: the cheapest H100 ask that the constraints let through.
//   JJJ 19.50 | NM 17.80 | GS 16.00 | NX 17.00 | NM ASC910B 3.00 per NPU (3.00 / 320 = 0.009375 per SCU-h,
//   the cheapest compute of all, but another class) | NM CPU 0.05 per node (general family)
TEST_F(RoutedOrderTest, ResidencyGreenShareClassAndRegionFiltersExcludeBooks) {
  ask(SJJJ, jjj, "19.50", 10);
  ask(SNM, nm, "17.80", 10);
  ask(SGS, gs, "16.00", 10);
  ask(SNX, nx, "17.00", 10);
  ask(SNM, nm_asc, "3.00", 10);
  ask(SNM, nm_cpu, "0.05", 10);
  auto filled = [&](RouteQuery q) {
    route(BUY, TimeInForce::IOC, q);
    EXPECT_TRUE(log.rejected.empty());
    return books_filled();
  };
  const RouteQuery base = query(989, 0, "0.05");
  EXPECT_EQ(filled(base), (std::vector<InstrumentId>{gs})) << "any region: Gansu is cheapest";
  RouteQuery q = base;
  q.local_only = true;
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{jjj})) << "residency local: the origin only";
  q = base;
  q.jurisdictions = {"CN-NM", "CN-JJJ"};
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{nm})) << "jurisdiction list: GS and NX are out";
  q.min_green_share = 4500;  // NM has exactly 0.45: allowed
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{nm}));
  q.min_green_share = 4501;  // now neither NM (0.45) nor JJJ (0.30)
  EXPECT_TRUE(filled(q).empty());
  EXPECT_EQ(log.route_done.at(0).reason, DoneReason::ImmediateRemainder);
  q = base;
  q.regions = {NX, JJJ};
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{nx})) << "regions list";
  q = base;
  q.min_green_share = 5000;
  q.regions = {NM, JJJ, NX};
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{nx})) << "green share: only GS and NX qualify, GS is not listed";
  q = base;
  q.classes = {H100, ASC};
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{nm_asc})) << "two classes of one family";
  ASSERT_EQ(log.fills.size(), 1u);
  EXPECT_EQ(log.fills[0].t.qty, 4) << "989 SCU in 320-SCU NPUs: 4";
  EXPECT_EQ(log.route_done[0].filled_scu, 1280);
  q = base;
  q.classes = {CPU};
  q.scu = 5;
  EXPECT_EQ(filled(q), (std::vector<InstrumentId>{nm_cpu})) << "the general family sees only its own books";
  q = base;
  q.window_start = iso("2026-12-02T00:00:00+08:00");
  q.window_end = iso("2026-12-03T00:00:00+08:00");
  EXPECT_TRUE(filled(q).empty()) << "another window: only the empty NM book of the 2nd";
  // Halted books are not candidates.
  engine.apply(SetInstrumentState{now, kExchangeParticipant, gs, StateAction::Halt});
  EXPECT_EQ(filled(base), (std::vector<InstrumentId>{nx}));
}

// Equal landed prices: the lower latency first, then the earlier-listed book.
//   NM H100 19.78 / 989 = 0.02 exactly; NM ASC910B 6.40 / 320 = 0.02 exactly (both NM, 8 ms: the H100 book
//   was listed first); JJJ H100 19.78 (0 ms, listed after NM). No data, so no transfer.
TEST_F(RoutedOrderTest, TiesGoToLowerLatencyThenToTheEarlierListedBook) {
  ask(SNM, nm, "19.78", 1);
  ask(SNM, nm_asc, "6.40", 4);
  ask(SJJJ, jjj, "19.78", 1);
  RouteQuery q = query(989 + 989 + 320, 0, "0.02");
  q.classes = {ASC, H100};
  route(BUY, TimeInForce::IOC, q);
  EXPECT_EQ(books_filled(), (std::vector<InstrumentId>{jjj, nm, nm_asc}));
  EXPECT_EQ(done(), "scu=2298 filled_scu=2298 devices=3 children=3 compute=1103.0400 fees=0.0000 transport=0.0000 filled");
}

// An exact tie: one device (989 SCU x 24 h = 23,736 SCU-hours) with 16 GB from JJJ.
//   NM 15.09: (15.09 x 24 + 16 x 0.0200) / 23,736 = 362.48 / 23,736
//   GS 15.05: (15.05 x 24 + 16 x 0.0800) / 23,736 = 362.48 / 23,736
// Term by term, rounded half away: NM 0.01525784 + 0.00001348 (from 0.0000134816), GS 0.01521739 +
// 0.00005393 (from 0.0000539265): both 0.01527132. (Rounding the transfer terms up instead would make NM
// 0.01527133 and wrongly put GS first.) The faster path wins: NM (8 ms) rather than GS (13 ms), with
// transport 16 x 0.0200 = 0.3200; the next such order takes GS (16 x 0.0800 = 1.2800).
TEST_F(RoutedOrderTest, AnExactTieInLandedPriceGoesToTheFasterPath) {
  ask(SGS, gs, "15.05", 1);
  ask(SNM, nm, "15.09", 1);
  route(BUY, TimeInForce::IOC, query(989, 16, "0.05"));
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 15.0900x1 transport=0.3200 CTNET@0:0.3200"}));
  route(BUY, TimeInForce::IOC, query(989, 16, "0.05"));
  EXPECT_EQ(fills(), (Lines{std::string(kGsH100) + " 15.0500x1 transport=1.2800 CMNET@1:1.2800"}));
}

// The limit holds each term of the landed price rounded up (docs/PRODUCT.md §3.2 as built: never above the limit).
// One device in NM at 18.00 with 1 GB from JJJ (0.0200 per GB):
//   compute 18.00 / 989 = 0.018200202224... (rounded 0.01820020, up 0.01820021)
//   transfer 0.0200 / (989 x 24) = 0.000000842602... (rounded 0.00000084, up 0.00000085)
//   exact landed 0.018201044826...; the two terms rounded: 0.01820104; rounded up: 0.01820106.
// 0.01820104 is below the exact price: refused (a rounded-to-nearest check would take it). 0.01820105 is
// above the exact price but below the rounded-up terms: refused too. 0.01820106 takes it.
TEST_F(RoutedOrderTest, TheLimitIsCheckedOnTheLandedPriceRoundedUp) {
  ask(SNM, nm, "18.00", 2);
  route(BUY, TimeInForce::IOC, query(989, 1, "0.01820104"));
  EXPECT_TRUE(log.fills.empty());
  route(BUY, TimeInForce::IOC, query(989, 1, "0.01820105"));
  EXPECT_TRUE(log.fills.empty());
  route(BUY, TimeInForce::IOC, query(989, 1, "0.01820106"));
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 18.0000x1 transport=0.0200 CTNET@0:0.0200"}));
  // Without data the compute term alone: 0.01820020 is below 0.0182002022..., 0.01820021 is not.
  route(BUY, TimeInForce::IOC, query(989, 0, "0.01820020"));
  EXPECT_TRUE(log.fills.empty());
  route(BUY, TimeInForce::IOC, query(989, 0, "0.01820021"));
  EXPECT_EQ(log.fills.size(), 1u);
}

// BOTH buys and sells. In NM: SNM 2 @ 19.00, BOTH 2 @ 19.50, SNM 4 @ 19.60; GS: SGS 10 @ 21.00. No data.
// BOTH routes 8 devices: it takes SNM's 2 in NM and stops there at its own ask (the child would stop at it),
// so SNM's 19.60 stays although it is cheaper than GS; 6 from GS. Its ask is still there; a second routed
// order skips NM at once; another buyer takes BOTH's ask normally.
TEST_F(RoutedOrderTest, SelfTradeStopsTheRouteInABookAtTheBuyersOwnAsk) {
  ask(SNM, nm, "19.00", 2);
  const OrderId own = ask(BOTH, nm, "19.50", 2);
  ask(SNM, nm, "19.60", 4);
  ask(SGS, gs, "21.00", 10);
  route(BOTH, TimeInForce::IOC, query(7912, 0, "0.05"));
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 19.0000x2 transport=0.0000",
                            std::string(kGsH100) + " 21.0000x6 transport=0.0000"}));
  EXPECT_EQ(done(), "scu=7912 filled_scu=7912 devices=8 children=2 compute=3936.0000 fees=0.0000 transport=0.0000 filled");
  EXPECT_EQ(asks(nm), (Lines{"BOTH 19.5000x2", "SNM 19.6000x4"}));
  EXPECT_TRUE(log.done.empty()) << "no self-trade cancel: the plan never reaches the own ask";
  route(BOTH, TimeInForce::IOC, query(989, 0, "0.05"));
  EXPECT_EQ(books_filled(), (std::vector<InstrumentId>{gs}));
  EXPECT_EQ(asks(nm), (Lines{"BOTH 19.5000x2", "SNM 19.6000x4"}));
  route(BUY, TimeInForce::IOC, query(989, 0, "0.05"));
  ASSERT_EQ(log.fills.size(), 1u);
  EXPECT_EQ(log.fills[0].t.sell_order_id, own);
}

// GS listed with lot 2 and max order quantity 6.
class RoutedLotTest : public RoutedOrderTest {
 protected:
  InstrumentRules gs_rules() const override {
    InstrumentRules r = plain_rules();
    r.lot = 2;
    r.max_order_qty = 6;
    return r;
  }
};

// GS (lot 2, max 6): SGS 4 @ 18.00, 6 @ 18.10, 6 @ 18.20. NM (lot 1): SNM 10 @ 20.00. No data.
//  a) 2,967 SCU = 3 devices, rounded up to the lot: 4 from GS (3,956 SCU bought).
//  b) 8,901 SCU = 9 devices -> 10 in lots; the GS child is capped at 6 (GS 6 @ 18.10), 18.20 stays; the
//     remaining 8,901 - 5,934 = 2,967 SCU = 3 devices from NM.
//  c) TINY (max order quantity 2) wants 4,945 SCU = 5 devices (6 in GS lots): 2 from GS, 2 from NM, done
//     with 1 device short.
TEST_F(RoutedLotTest, LotsRoundUpAndMaxOrderQuantitiesCapEachChild) {
  ask(SGS, gs, "18.00", 4);
  ask(SGS, gs, "18.10", 6);
  ask(SGS, gs, "18.20", 6);
  ask(SNM, nm, "20.00", 10);
  route(BUY, TimeInForce::IOC, query(2967, 0, "0.05"));
  EXPECT_EQ(fills(), (Lines{std::string(kGsH100) + " 18.0000x4 transport=0.0000"}));
  EXPECT_EQ(done(), "scu=2967 filled_scu=3956 devices=4 children=1 compute=1728.0000 fees=0.0000 transport=0.0000 filled");
  route(BUY, TimeInForce::IOC, query(8901, 0, "0.05"));
  EXPECT_EQ(children(), (Lines{std::string(kGsH100) + " buy limit ioc 18.1000x6 cl=r1",
                               std::string(kNmH100) + " buy limit ioc 20.0000x3 cl=r1"}));
  EXPECT_EQ(done(), "scu=8901 filled_scu=8901 devices=9 children=2 compute=4046.4000 fees=0.0000 transport=0.0000 filled");
  route(TINY, TimeInForce::IOC, query(4945, 0, "0.05"));
  EXPECT_EQ(fills(), (Lines{std::string(kGsH100) + " 18.2000x2 transport=0.0000",
                            std::string(kNmH100) + " 20.0000x2 transport=0.0000"}));
  EXPECT_EQ(done(), "scu=4945 filled_scu=3956 devices=4 children=2 compute=1833.6000 fees=0.0000 transport=0.0000 immediate_remainder");
  // A FOK in the same position sends nothing.
  route(TINY, TimeInForce::FOK, query(4945, 0, "0.05"));
  EXPECT_EQ(log.route_done.at(0).reason, DoneReason::FokNotFilled);
  EXPECT_TRUE(log.fills.empty());
}

// GS listed with a 30 % price band.
class RoutedBandTest : public RoutedOrderTest {
 protected:
  InstrumentRules gs_rules() const override {
    InstrumentRules r = plain_rules();
    r.price_band_bps = 3000;
    return r;
  }
};

// GS's asks rest at 18.00 (2) and 18.30 (4), then its reference price is set to 14.00: the band is 9.80 to
// 18.20. A routed order for 6 devices stops at the band in GS, as a market order would (a limit order
// could not be priced beyond it), and takes the other 4 from NM's dearer 25.00 asks.
TEST_F(RoutedBandTest, ChildrenStopAtThePriceBand) {
  ask(SGS, gs, "18.00", 2);
  ask(SGS, gs, "18.30", 4);
  ask(SNM, nm, "25.00", 10);
  engine.apply(SetReferencePrice{now, OPS, gs, px("14.00")});
  ASSERT_TRUE(log.rejected.empty());
  route(BUY, TimeInForce::IOC, query(5934, 0, "0.05"));
  EXPECT_EQ(fills(), (Lines{std::string(kGsH100) + " 18.0000x2 transport=0.0000",
                            std::string(kNmH100) + " 25.0000x4 transport=0.0000"}));
  EXPECT_EQ(asks(gs), (Lines{"SGS 18.3000x4"}));
  EXPECT_EQ(engine.reference_price(gs), px("18.00"));  // the last trade inside the band
}

// Every way a routed order can be refused: one reject event naming the routed order, its client id and
// the reason; no route events; nothing changes.
TEST_F(RoutedOrderTest, EveryBadRoutedOrderIsRejectedWithItsReason) {
  ask(SNM, nm, "20.00", 10);
  const uint64_t hash = engine.state_hash();
  struct Case {
    const char* what;
    std::function<void(RoutedOrder&)> change;
    RejectReason reason;
  };
  const std::vector<Case> cases = {
      {"unknown participant", [](RoutedOrder& c) { c.participant = 999; }, RejectReason::UnknownParticipant},
      {"a seller without trade_buy", [&](RoutedOrder& c) { c.participant = SNM; }, RejectReason::RoleMissing},
      {"an operator", [&](RoutedOrder& c) { c.participant = OPS; }, RejectReason::RoleMissing},
      {"tif gtc", [](RoutedOrder& c) { c.tif = TimeInForce::GTC; }, RejectReason::InvalidOrderType},
      {"tif day", [](RoutedOrder& c) { c.tif = TimeInForce::DAY; }, RejectReason::InvalidOrderType},
      {"tif gtd", [](RoutedOrder& c) { c.tif = TimeInForce::GTD; }, RejectReason::InvalidOrderType},
      {"scu 0", [](RoutedOrder& c) { c.query.scu = 0; }, RejectReason::InvalidQuantity},
      {"scu negative", [](RoutedOrder& c) { c.query.scu = -989; }, RejectReason::InvalidQuantity},
      {"scu too large", [](RoutedOrder& c) { c.query.scu = kMaxDevices + 1; }, RejectReason::InvalidQuantity},
      {"limit 0", [](RoutedOrder& c) { c.query.limit_per_scu_hour = 0; }, RejectReason::InvalidPrice},
      {"limit negative", [](RoutedOrder& c) { c.query.limit_per_scu_hour = -1; }, RejectReason::InvalidPrice},
      {"limit too large", [](RoutedOrder& c) { c.query.limit_per_scu_hour = kMaxPrice + 1; }, RejectReason::InvalidPrice},
      {"no class", [](RoutedOrder& c) { c.query.classes.clear(); }, RejectReason::UnknownChipClass},
      {"unknown class", [](RoutedOrder& c) { c.query.classes = {0, 99}; }, RejectReason::UnknownChipClass},
      {"mixed families", [&](RoutedOrder& c) { c.query.classes = {H100, CPU}; }, RejectReason::InvalidValue},
      {"unknown region", [&](RoutedOrder& c) { c.query.regions = {NM, 99}; }, RejectReason::UnknownRegion},
      {"unknown origin", [](RoutedOrder& c) { c.query.origin = 99; }, RejectReason::UnknownRegion},
      {"empty window", [](RoutedOrder& c) { c.query.window_end = c.query.window_start; }, RejectReason::InvalidWindow},
      {"window backwards", [](RoutedOrder& c) { c.query.window_end = c.query.window_start - kNanosPerHour; },
       RejectReason::InvalidWindow},
      {"data negative", [](RoutedOrder& c) { c.query.data_gb = -1; }, RejectReason::InvalidValue},
      {"data too large", [](RoutedOrder& c) { c.query.data_gb = 1'000'000'001; }, RejectReason::InvalidValue},
      {"latency below -1", [](RoutedOrder& c) { c.query.max_latency_ms = -2; }, RejectReason::InvalidValue},
      {"green share negative", [](RoutedOrder& c) { c.query.min_green_share = -1; }, RejectReason::InvalidValue},
      {"green share above 1", [](RoutedOrder& c) { c.query.min_green_share = kScale + 1; }, RejectReason::InvalidValue},
  };
  for (const Case& k : cases) {
    RoutedOrder c;
    c.ts = now;
    c.participant = BUY;
    c.tif = TimeInForce::IOC;
    c.cl_ord_id.assign("bad-1");
    c.query = query(989, 100, "0.05");
    k.change(c);
    log.clear();
    engine.apply(c);
    ASSERT_EQ(log.rejected.size(), 1u) << k.what;
    EXPECT_EQ(log.rejected[0].reason, k.reason) << k.what << ": " << reason_code(log.rejected[0].reason);
    EXPECT_EQ(log.rejected[0].command, CommandKind::RoutedOrder) << k.what;
    EXPECT_EQ(log.rejected[0].participant, c.participant) << k.what;
    EXPECT_EQ(log.rejected_cl[0], "bad-1") << k.what;
    EXPECT_TRUE(log.routes.empty() && log.route_done.empty() && log.accepted.empty() && log.fills.empty()) << k.what;
    EXPECT_EQ(engine.state_hash(), hash) << k.what;
  }
  // The good base order goes through.
  route(BUY, TimeInForce::IOC, query(989, 100, "0.05"));
  EXPECT_TRUE(log.rejected.empty());
  EXPECT_EQ(log.fills.size(), 1u);
}

// Sizes near the bounds: asks at 900,000,000 CNY per device-hour (1,000 devices: 2.16e13 CNY a day), a
// billion GB to move, credit without limit. One child is capped at the book's 1,000 devices; the second
// 1,000 stay. Transport 1e9 GB x 0.0200 = 20,000,000 CNY for the job, a tenth counted: 2,000,000.0000.
TEST_F(RoutedOrderTest, HugeAmountsNeitherOverflowNorWrap) {
  engine.apply(SetCredit{now, kExchangeParticipant, BUY, INT64_MAX});
  ask(SNM, nm, "900000000.00", 1000);
  ask(BOTH, nm, "900000000.00", 1000);
  route(BUY, TimeInForce::IOC, query(9'890'000, 1'000'000'000, "1000000"));
  EXPECT_EQ(fills(), (Lines{std::string(kNmH100) + " 900000000.0000x1000 transport=2000000.0000 CTNET@0:2000000.0000"}));
  EXPECT_EQ(done(), "scu=9890000 filled_scu=989000 devices=1000 children=1 compute=21600000000000.0000 fees=0.0000 "
                    "transport=2000000.0000 immediate_remainder");
  EXPECT_EQ(engine.credit(BUY).unsettled_bought, px("21600002000000"));
  EXPECT_EQ(engine.credit(BUY).open_buy, 0);
  EXPECT_EQ(asks(nm), (Lines{"BOTH 900000000.0000x1000"}));
}

// A snapshot taken between routed orders restores to the same state, and the next routed order gives the
// same events and hash on both.
TEST_F(RoutedOrderTest, SnapshotRestoreBetweenRoutedOrdersKeepsTheState) {
  ask(SNM, nm, "20.00", 6);
  ask(SGS, gs, "18.00", 6);
  ask(SNX, nx, "15.00", 3);
  route(BUY, TimeInForce::IOC, query(2967, 1'000, "0.06"));
  ASSERT_EQ(log.fills.size(), 1u);
  RouteLog copy_log;
  MatchingEngine copy(copy_log);
  ASSERT_TRUE(copy.restore(engine.snapshot()).ok());
  EXPECT_EQ(copy.state_hash(), engine.state_hash());
  route(BUY, TimeInForce::IOC, query(9890, 100'000, "0.06"), "r2");
  route(BUY, TimeInForce::IOC, query(9890, 100'000, "0.06"), "r2", &copy);
  EXPECT_EQ(copy.state_hash(), engine.state_hash());
  ASSERT_EQ(copy_log.fills.size(), log.fills.size());
  for (size_t i = 0; i < log.fills.size(); ++i) EXPECT_EQ(fill_text(copy, copy_log.fills[i]), fill_text(engine, log.fills[i]));
}

// ------------------------------------------------------------------------------------------ 2. settlement

// The network in an Exchange: fees 5 / 10 bps; SNM's revenue split 80 / 20 with HOST; BUY deposits 100,000.
class RoutedSettlementTest : public ::testing::Test {
 protected:
  RouteLog log;
  api::EventFanout fanout{&log};
  Exchange ex{fanout};
  api::EngineNames names{ex.engine()};
  std::string json_out;
  api::JsonEventWriter writer{names, json_out};
  Timestamp now = iso("2026-11-30T10:00:00+08:00");
  static constexpr ParticipantId OPS = 1, CTNET = 2, CMNET = 3, CUNET = 4, SNM = 5, SNX = 7, HOST = 9, BUY = 10;

  void SetUp() override {
    fanout.add(&writer);
    for (const Command& c : network_world(plain_rules(), false)) apply(c);
    apply(SetFees{now, OPS, 5, 10});
    apply(SetRevenueShare{now, OPS, SNM, {{SNM, 8000}, {HOST, 2000}}});
    apply(Deposit{now, OPS, BUY, px("100000")});
    ASSERT_TRUE(log.rejected.empty()) << reason_code(log.rejected.front().reason);
    log.clear();
  }
  void apply(const Command& c) {
    ex.apply(c);
    std::string why;
    ASSERT_TRUE(ex.check(why)) << to_string(kind_of(c)) << ": " << why;
  }
  Money cash(ParticipantId p) const {
    const auto* a = ex.ledger().account(persistence::cash_account(p));
    return a ? a->balance() : 0;
  }
  void ask(ParticipantId seller, const char* symbol, const char* price, Quantity qty) {
    NewOrder o;
    o.ts = now;
    o.participant = seller;
    o.instrument = ex.engine().find_instrument(symbol);
    o.side = Side::Sell;
    o.price = px(price);
    o.qty = qty;
    apply(o);
  }
  void route(const char* limit, int64_t scu, int64_t data_gb) {
    RoutedOrder c;
    c.ts = now;
    c.participant = BUY;
    c.cl_ord_id.assign("job-1");
    c.query.classes = {0};
    c.query.origin = 0;
    c.query.scu = scu;
    c.query.data_gb = data_gb;
    c.query.window_start = iso("2026-12-01T00:00:00+08:00");
    c.query.window_end = iso("2026-12-02T00:00:00+08:00");
    c.query.limit_per_scu_hour = *parse_fixed(limit, kScuPriceDecimals);
    apply(c);
  }
  std::string statement_of(ParticipantId p) const {
    auto code = [&](ParticipantId q) { return ex.engine().participant(q)->code; };
    return persistence::statement_csv(persistence::build_statement(ex.ledger(), p, code(p), code));
  }
};

// 10 H100 devices, 100,000 GB from JJJ, limit 0.10.
//   NX 4 @ 15.00: compute 0.01516684 + transfer 100,000 x 0.0300 = 3,000 / 237,360 = 0.01263903 -> 0.02780587
//   NM 6 @ 20.00: 0.02022245 + 0.00842602 = 0.02864847
// Trade 1 (NX, 4 devices = 3,956 SCU): notional 15 x 4 x 24 = 1,440; buyer (taker) fee 1.4400, seller
//   (maker) fee 0.7200; transport 3,000 x 3,956 / 9,890 = 1,200.0000 = CTNET 800 + CMNET 400;
//   escrow 2,641.4400.
// Trade 2 (NM, 6 devices): notional 2,880; fees 2.8800 / 1.4400; transport 2,000 x 0.6 = 1,200.0000 (CTNET);
//   escrow 4,082.8800.
// SNX delivers all 96 device-hours: SNX 1,440 - 0.72 = 1,439.2800; fees 2.1600; carriers 1,200; refund 0.
// SNM delivers 108 of 144 (75 %): gross 2,160 - 1.08 = 2,158.9200, split 80 / 20: SNM 1,727.1360, HOST
//   431.7840; fees 2.16 + 1.08 = 3.2400; CTNET 1,200 in full; refund 4,082.88 - 2,158.92 - 3.24 - 1,200
//   = 720.7200 (a quarter of 2,880 + 2.88: the transport is not refunded).
TEST_F(RoutedSettlementTest, CarriersArePaidInFullAndTheRefundExcludesTransport) {
  ask(SNM, kNmH100, "20.00", 6);
  ask(SNX, kNxH100, "15.00", 4);
  route("0.10", 9890, 100'000);
  ASSERT_EQ(log.fills.size(), 2u);
  const TradeId nx_trade = log.fills[0].t.trade_id, nm_trade = log.fills[1].t.trade_id;
  const Contract* nx = ex.contract(nx_trade);
  const Contract* nm = ex.contract(nm_trade);
  ASSERT_TRUE(nx && nm);
  EXPECT_EQ(nx->route_id, log.routes.at(0).route_id);
  ASSERT_EQ(nx->transport.size(), 2u);
  EXPECT_EQ(nx->transport[0].carrier, CTNET);
  EXPECT_EQ(nx->transport[0].amount, px("800"));
  EXPECT_EQ(nx->transport[1].carrier, CMNET);
  EXPECT_EQ(nx->transport[1].amount, px("400"));
  EXPECT_EQ(nx->escrow(), px("2641.44"));
  EXPECT_EQ(nm->escrow(), px("4082.88"));
  EXPECT_EQ(cash(BUY), px("100000") - px("2641.44") - px("4082.88"));
  EXPECT_EQ(ex.engine().credit(BUY).unsettled_bought, px("6724.32"));

  apply(DeliveryReport{iso("2026-12-02T08:00:00+08:00"), SNX, nx_trade, 96});
  apply(DeliveryReport{iso("2026-12-02T08:00:00+08:00"), SNM, nm_trade, 108});
  EXPECT_EQ(cash(CTNET), 0) << "nothing is paid before the dispute window ends";
  apply(AdvanceTime{iso("2026-12-03T08:00:00+08:00")});
  ASSERT_EQ(ex.contract(nx_trade)->state, ContractState::Settled);
  ASSERT_EQ(ex.contract(nm_trade)->state, ContractState::Settled);
  EXPECT_EQ(cash(SNX), px("1439.28"));
  EXPECT_EQ(cash(SNM), px("1727.136"));
  EXPECT_EQ(cash(HOST), px("431.784"));
  EXPECT_EQ(cash(CTNET), px("2000"));
  EXPECT_EQ(cash(CMNET), px("400"));
  EXPECT_EQ(cash(CUNET), 0);
  EXPECT_EQ(ex.ledger().account(persistence::kExchangeFeesAccount)->balance(), px("5.40"));
  EXPECT_EQ(cash(BUY), px("100000") - px("2641.44") - px("4082.88") + px("720.72"));
  EXPECT_EQ(ex.engine().credit(BUY).unsettled_bought, 0);
  // Carriers' cash is spendable credit like anyone's.
  EXPECT_EQ(ex.engine().credit(CTNET).limit, px("2000"));

  ASSERT_EQ(log.settlements.size(), 2u + 2u + 2u) << "escrowed x2, reported x2, settled x2";
  const auto& settled_nm = log.settlements.back();
  EXPECT_EQ(settled_nm.e.kind, SettlementKind::Settled);
  EXPECT_EQ(settled_nm.e.trade_id, nm_trade);
  EXPECT_EQ(settled_nm.e.transport, px("1200"));
  EXPECT_EQ(settled_nm.e.refund, px("720.72"));
  EXPECT_EQ(settled_nm.carriers, (std::vector<std::pair<ParticipantId, Money>>{{CTNET, px("1200")}}));
  EXPECT_EQ(settled_nm.pieces, (std::vector<std::pair<ParticipantId, Money>>{{SNM, px("1727.136")}, {HOST, px("431.784")}}));
  EXPECT_NE(json_out.find(R"("refund":"720.7200","payouts":{"SNM":"1727.1360","HOST":"431.7840"},"transport":"1200.0000","carriers":[{"carrier":"CTNET","amount":"1200.0000"}])"),
            std::string::npos)
      << json_out;

  // Statements: carriers see one transport credit per leg, from the contract's escrow; the buyer sees its
  // escrows (transport included) and a refund without it.
  const std::string ctnet = statement_of(CTNET);
  EXPECT_NE(ctnet.find(",transport,escrow:" + std::to_string(nx_trade) + ",0.0000,800.0000,800.0000\n"), std::string::npos) << ctnet;
  EXPECT_NE(ctnet.find(",transport,escrow:" + std::to_string(nm_trade) + ",0.0000,1200.0000,2000.0000\n"), std::string::npos) << ctnet;
  EXPECT_NE(ctnet.find("total,,,,0.0000,2000.0000,2000.0000\n"), std::string::npos) << ctnet;
  const std::string cmnet = statement_of(CMNET);
  EXPECT_NE(cmnet.find(",transport,escrow:" + std::to_string(nx_trade) + ",0.0000,400.0000,400.0000\n"), std::string::npos) << cmnet;
  const std::string buyer = statement_of(BUY);
  EXPECT_NE(buyer.find(",trade_escrow,escrow:" + std::to_string(nx_trade) + ",2641.4400,0.0000,"), std::string::npos) << buyer;
  EXPECT_NE(buyer.find(",trade_escrow,escrow:" + std::to_string(nm_trade) + ",4082.8800,0.0000,"), std::string::npos) << buyer;
  EXPECT_NE(buyer.find(",refund,escrow:" + std::to_string(nm_trade) + ",0.0000,720.7200,"), std::string::npos) << buyer;
  EXPECT_EQ(buyer.find(",refund,escrow:" + std::to_string(nx_trade)), std::string::npos) << "a full delivery refunds nothing";
}

// Nothing delivered (a dispute resolved at 0): the buyer gets back notional and fee, the carrier still gets
// its 1,200.0000 — the data moved.
TEST_F(RoutedSettlementTest, ADisputeResolvedAtZeroStillPaysTheCarriers) {
  ask(SNM, kNmH100, "20.00", 6);
  route("0.05", 5934, 60'000);  // 60,000 GB x 0.0200 = 1,200.0000, all of it for the 6 devices
  ASSERT_EQ(log.fills.size(), 1u);
  const TradeId id = log.fills[0].t.trade_id;
  EXPECT_EQ(log.fills[0].t.transport_fee, px("1200"));
  apply(DeliveryReport{iso("2026-12-02T08:00:00+08:00"), SNM, id, 144});
  apply(Dispute{iso("2026-12-02T09:00:00+08:00"), BUY, id});
  apply(AdvanceTime{iso("2026-12-05T00:00:00+08:00")});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Disputed);
  EXPECT_EQ(cash(CTNET), 0);
  apply(ResolveDispute{iso("2026-12-05T00:00:00+08:00"), OPS, id, 0});
  EXPECT_EQ(ex.contract(id)->state, ContractState::Settled);
  EXPECT_EQ(cash(CTNET), px("1200"));
  EXPECT_EQ(cash(SNM), 0);
  EXPECT_EQ(cash(HOST), 0);
  EXPECT_EQ(cash(BUY), px("100000") - px("1200"));
  EXPECT_EQ(ex.ledger().account(persistence::kExchangeFeesAccount)->balance(), 0);
}

// ------------------------------------------------------------------------------------------ 3. random

// A random small world, kept here independently of the engine: the reference planner reads only this and
// the books' resting asks.
struct RWorld {
  struct Reg {
    std::string code, jurisdiction;
    int64_t green = 0;
  };
  struct Cls {
    std::string code;
    ChipFamily family;
    int64_t spd;
  };
  struct Lnk {
    int from, to;
    int64_t latency, tariff;
    ParticipantId carrier;
  };
  struct Book {
    std::string symbol;
    int region, cls;
    Timestamp start, end;
    int64_t hours;
    Quantity lot, max_qty;
    bool halted = false;
  };
  std::vector<Reg> regions;
  std::vector<Cls> classes;
  std::vector<Lnk> links;
  std::vector<Book> books;
  std::map<ParticipantId, Quantity> max_qty;  // per buyer
  int64_t maker_bps = 0, taker_bps = 0;
};

struct RefPath {
  bool ok = false;
  int64_t tariff = 0, latency = 0;
  std::vector<int> links;
};

// Every simple path of at most three links from `from` to `to` within the latency limit; the cheapest by
// tariff, then latency, then fewer links, then the lexicographically first link sequence.
RefPath ref_path(const RWorld& w, int from, int to, int64_t max_latency) {
  RefPath best;
  if (from == to) {
    best.ok = true;
    return best;
  }
  auto consider = [&](std::vector<int> seq) {
    int at = from;
    std::vector<int> seen{from};
    int64_t latency = 0, tariff = 0;
    for (int l : seq) {
      if (w.links[l].from != at) return;
      at = w.links[l].to;
      if (std::find(seen.begin(), seen.end(), at) != seen.end()) return;
      seen.push_back(at);
      latency += w.links[l].latency;
      tariff += w.links[l].tariff;
    }
    if (at != to || (max_latency >= 0 && latency > max_latency)) return;
    if (!best.ok || std::tie(tariff, latency) < std::tie(best.tariff, best.latency) ||
        (tariff == best.tariff && latency == best.latency &&
         (seq.size() < best.links.size() || (seq.size() == best.links.size() && seq < best.links)))) {
      best = RefPath{true, tariff, latency, seq};
    }
  };
  const int n = static_cast<int>(w.links.size());
  for (int a = 0; a < n; ++a) {
    consider({a});
    for (int b = 0; b < n; ++b) {
      if (w.links[b].from != w.links[a].to) continue;
      consider({a, b});
      for (int c = 0; c < n; ++c) consider({a, b, c});
    }
  }
  return best;
}

// Whether a book passes the query's class / region / residency / green filters.
bool ref_filter_ok(const RWorld& w, const RouteQuery& q, const RWorld::Book& b) {
  auto has = [](const auto& v, auto x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  const RWorld::Reg& r = w.regions[b.region];
  if (!has(q.classes, static_cast<ChipClassId>(b.cls))) return false;
  if (!q.regions.empty() && !has(q.regions, static_cast<RegionId>(b.region))) return false;
  if (q.local_only && b.region != q.origin) return false;
  if (!q.jurisdictions.empty() && !has(q.jurisdictions, r.jurisdiction)) return false;
  return r.green >= q.min_green_share;
}

int64_t rha(__int128 n, __int128 d) { return static_cast<int64_t>((2 * n + d) / (2 * d)); }
int64_t ceil_div(__int128 n, __int128 d) { return static_cast<int64_t>((n + d - 1) / d); }
Money fee(Money notional, int64_t bps) { return static_cast<Money>((static_cast<__int128>(notional) * bps + 5'000) / 10'000); }

struct RefFill {
  size_t book;
  OrderId resting;
  Price price;
  Quantity qty;
  Money transport;
  std::vector<std::pair<int, Money>> legs;  // (link, amount), non-zero amounts only
  Money cost;                               // notional + buyer fee + transport
  int64_t landed, latency;                  // the sort key
};
struct RefPlan {
  std::vector<RefFill> fills;  // in the order the engine trades them: books by first use, then plan order
  DoneReason reason = DoneReason::Filled;
  std::vector<size_t> books_used;
  bool credit_short = false;
  int tie_decisions = 0;  // planned asks with an equal key (landed, latency) in another book next to them
};

// Largest remainder split of `fee` over the path's links by tariff (ties: the earlier link).
std::vector<std::pair<int, Money>> ref_legs(const RWorld& w, const RefPath& path, Money fee) {
  std::vector<std::pair<int, Money>> out;
  if (fee == 0 || path.tariff == 0) return out;
  std::vector<Money> part;
  std::vector<std::pair<__int128, size_t>> rest;
  Money given = 0;
  for (size_t i = 0; i < path.links.size(); ++i) {
    const __int128 scaled = static_cast<__int128>(fee) * w.links[path.links[i]].tariff;
    part.push_back(static_cast<Money>(scaled / path.tariff));
    rest.emplace_back(scaled % path.tariff, i);
    given += part.back();
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < fee; ++k, ++given) ++part[rest[k].second];
  for (size_t i = 0; i < part.size(); ++i) {
    if (part[i] != 0) out.emplace_back(path.links[i], part[i]);
  }
  return out;
}

// The plan as the rules say, from the world above and the resting asks (read from the engine before the
// order): every ask of every eligible book in one list, sorted by (landed, latency, listing order, queue
// position), where landed = compute term + transfer term each rounded half away to eight decimals (the
// convention of quote_route) and an ask qualifies when both terms rounded up fit the limit; a book's asks
// from the buyer's own ask on are out, and so are they from the first ask outside the book's price band
// (measured from the reference price before the order). Then take greedily: whole lots covering the SCU still needed, capped
// by the book's and the buyer's max order quantity (a book at its cap is done), each fill's cost (notional +
// taker fee + transport) against the credit left: IOC keeps the most lots that fit and stops, FOK stops.
// Transport is rounded on the running total of SCU covered per book: fee_k = rha(T x cum_k / scu) -
// rha(T x cum_k-1 / scu).
// Legs with a zero amount are left out of the comparison (the engine lists one per link).
RefPlan ref_plan(const RWorld& w, const MatchingEngine& engine, ParticipantId buyer, TimeInForce tif, const RouteQuery& q) {
  struct Candidate {
    RefPath path;
    Money transfer;
  };
  std::map<size_t, Candidate> cand;
  struct Entry {
    int64_t landed, latency;
    size_t book, pos;
    OrderView ask;
  };
  std::vector<Entry> entries;
  for (size_t b = 0; b < w.books.size(); ++b) {
    const RWorld::Book& book = w.books[b];
    if (book.start != q.window_start || book.end != q.window_end || book.halted) continue;
    if (!ref_filter_ok(w, q, book)) continue;
    const RefPath path = ref_path(w, q.origin, book.region, q.max_latency_ms);
    if (!path.ok) continue;
    const Money transfer = q.data_gb * path.tariff;
    cand[b] = Candidate{path, transfer};
    const int64_t spd = w.classes[book.cls].spd;
    std::vector<OrderView> asks;
    engine.orders_in_book(static_cast<InstrumentId>(b), Side::Sell, asks);
    for (size_t pos = 0; pos < asks.size(); ++pos) {
      const OrderView& a = asks[pos];
      if (a.participant == buyer) break;  // the child would stop at the buyer's own ask
      const InstrumentId id = static_cast<InstrumentId>(b);
      if (engine.instrument(id)->rules.outside_band(engine.reference_price(id), a.price)) break;
      const __int128 scu_hours = static_cast<__int128>(q.scu) * book.hours;
      const int64_t ceil_landed = ceil_div(static_cast<__int128>(a.price) * 10'000, spd) +
                                  ceil_div(static_cast<__int128>(transfer) * 10'000, scu_hours);
      if (ceil_landed > q.limit_per_scu_hour) continue;  // asks only get dearer: nothing after qualifies
      const int64_t landed = rha(static_cast<__int128>(a.price) * 10'000, spd) + rha(static_cast<__int128>(transfer) * 10'000, scu_hours);
      entries.push_back(Entry{landed, path.latency, b, pos, a});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    return std::tie(x.landed, x.latency, x.book, x.pos) < std::tie(y.landed, y.latency, y.book, y.pos);
  });
  const CreditView credit = engine.credit(buyer);
  const __int128 room = static_cast<__int128>(credit.limit) - credit.open_buy - credit.unsettled_bought;
  __int128 spent = 0;
  int64_t need = q.scu;
  std::map<size_t, Quantity> child;
  std::map<size_t, int64_t> counted;  // SCU covered per book so far
  std::set<size_t> dead;
  std::vector<RefFill> plan;
  RefPlan out;
  for (const Entry& e : entries) {
    if (need <= 0) break;
    if (dead.count(e.book)) continue;
    const RWorld::Book& book = w.books[e.book];
    const int64_t spd = w.classes[book.cls].spd;
    const Quantity lot = book.lot;
    const Quantity cap = std::min(book.max_qty, w.max_qty.at(buyer)) - child[e.book];
    Quantity want = (need + spd - 1) / spd;
    want = (want + lot - 1) / lot * lot;
    Quantity take = std::min({want, e.ask.remaining, cap / lot * lot});
    if (take <= 0) {
      dead.insert(e.book);
      continue;
    }
    auto make = [&](Quantity n) {
      RefFill f;
      f.book = e.book;
      f.resting = e.ask.id;
      f.price = e.ask.price;
      f.qty = n;
      const __int128 t = cand[e.book].transfer;
      const int64_t before = counted[e.book];
      f.transport = rha(t * (before + std::min<int64_t>(n * spd, need)), q.scu) - rha(t * before, q.scu);
      f.legs = ref_legs(w, cand[e.book].path, f.transport);
      const Money notional = e.ask.price * n * book.hours;
      f.cost = notional + fee(notional, w.taker_bps) + f.transport;
      f.landed = e.landed;
      f.latency = e.latency;
      return f;
    };
    RefFill f = make(take);
    if (spent + f.cost > room) {
      out.credit_short = true;
      if (tif == TimeInForce::FOK) break;
      Quantity n = take - lot;
      while (n > 0 && spent + make(n).cost > room) n -= lot;
      if (n > 0) plan.push_back(make(n));
      if (n > 0) need -= std::min<int64_t>(n * spd, need);
      break;
    }
    plan.push_back(f);
    spent += f.cost;
    counted[e.book] += std::min<int64_t>(take * spd, need);
    need -= std::min<int64_t>(take * spd, need);
    child[e.book] += take;
  }
  if (need <= 0) {
    out.reason = DoneReason::Filled;
  } else if (tif == TimeInForce::FOK) {
    out.reason = DoneReason::FokNotFilled;
    return out;
  } else {
    out.reason = out.credit_short ? DoneReason::CreditLimit : DoneReason::ImmediateRemainder;
  }
  for (size_t i = 0; i + 1 < entries.size(); ++i) {
    const Entry& x = entries[i];
    const Entry& y = entries[i + 1];
    if (x.book == y.book || x.landed != y.landed || x.latency != y.latency) continue;
    for (const RefFill& f : plan) out.tie_decisions += f.resting == x.ask.id || f.resting == y.ask.id;
  }
  for (const RefFill& f : plan) {
    if (std::find(out.books_used.begin(), out.books_used.end(), f.book) == out.books_used.end()) out.books_used.push_back(f.book);
  }
  for (size_t b : out.books_used) {
    for (const RefFill& f : plan) {
      if (f.book == b) out.fills.push_back(f);
    }
  }
  return out;
}

// Limits right on some eligible ask's landed price: the sum of its terms rounded up, rounded to nearest, and
// one unit below each (the random limits would almost never land there by chance).
std::vector<int64_t> ref_limit_edges(const RWorld& w, const MatchingEngine& engine, const RouteQuery& q) {
  std::vector<int64_t> out;
  for (size_t b = 0; b < w.books.size(); ++b) {
    const RWorld::Book& book = w.books[b];
    if (book.start != q.window_start || book.end != q.window_end || !ref_filter_ok(w, q, book)) continue;
    const RefPath path = ref_path(w, q.origin, book.region, q.max_latency_ms);
    if (!path.ok) continue;
    const __int128 transfer = static_cast<__int128>(q.data_gb) * path.tariff * 10'000;
    const __int128 scu_hours = static_cast<__int128>(q.scu) * book.hours;
    const int64_t spd = w.classes[book.cls].spd;
    std::vector<OrderView> asks;
    engine.orders_in_book(static_cast<InstrumentId>(b), Side::Sell, asks);
    for (const OrderView& a : asks) {
      const __int128 compute = static_cast<__int128>(a.price) * 10'000;
      const int64_t up = ceil_div(compute, spd) + ceil_div(transfer, scu_hours);
      const int64_t near = rha(compute, spd) + rha(transfer, scu_hours);
      for (int64_t v : {up, up - 1, near, near - 1}) {
        if (v > 0 && v <= kMaxPrice) out.push_back(v);
      }
    }
  }
  return out;
}

struct RandomStats {
  int routed = 0, with_fills = 0, fok_refused = 0, fok_filled = 0, credit_truncated = 0, multi_book = 0, multi_link = 0,
      own_ask_in_the_way = 0, lot_books = 0, credit_short_with_open_bids = 0, tied_books = 0, settled = 0;
};

class RandomScenario {
 public:
  RandomScenario(uint32_t seed, RandomStats& stats) : rng_(seed), seed_(seed), stats_(stats) {}

  void run() {
    build_world();
    if (::testing::Test::HasFatalFailure()) return;
    const int commands = pick(40, 90);
    for (int i = 0; i < commands; ++i) {
      now_ += pick(1, 120) * kNanosPerSecond;
      const int dice = pick(0, 99);
      if (i == commands / 2) {
        mid_snapshot_ = ex_.snapshot();
        snapshot_hash_ = ex_.state_hash();
      }
      if (dice < 50) {
        sell();
      } else if (dice < 56) {
        bid();
      } else if (dice < 85) {
        routed();
      } else if (dice < 90) {
        cancel_some_order();
      } else if (dice < 93) {
        w_.maker_bps = pick(0, 20);
        w_.taker_bps = pick(0, 30);
        apply(SetFees{now_, ops_, w_.maker_bps, w_.taker_bps});
      } else if (dice < 96) {
        apply(Deposit{now_, ops_, buyers_[pick(0, 2)], pick(100, 3000) * kScale});
      } else if (!w_.books.empty()) {
        const size_t b = static_cast<size_t>(pick(0, static_cast<int>(w_.books.size()) - 1));
        w_.books[b].halted = !w_.books[b].halted;
        apply(SetInstrumentState{now_, ops_, static_cast<InstrumentId>(b), w_.books[b].halted ? StateAction::Halt : StateAction::Resume});
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    settle_everything();
    if (::testing::Test::HasFatalFailure()) return;
    // Snapshot -> restore mid-stream: the same hash at once and after the rest of the stream.
    ASSERT_FALSE(mid_snapshot_.empty());
    RouteLog sink;
    Exchange copy(sink);
    ASSERT_TRUE(copy.restore(mid_snapshot_).ok()) << "seed " << seed_;
    ASSERT_EQ(copy.state_hash(), snapshot_hash_) << "seed " << seed_;
    for (const Command& c : after_snapshot_) copy.apply(c);
    EXPECT_EQ(copy.state_hash(), ex_.state_hash()) << "seed " << seed_;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < percent; }

  void apply(const Command& c) {
    log_.clear();
    ex_.apply(c);
    if (!mid_snapshot_.empty()) after_snapshot_.push_back(c);
    std::string why;
    ASSERT_TRUE(ex_.check(why)) << "seed " << seed_ << " " << to_string(kind_of(c)) << ": " << why;
    for (const Fill& f : log_.fills) {
      Money legs = 0;
      for (const TransportLeg& l : f.legs) legs += l.amount;
      ASSERT_EQ(legs, f.t.transport_fee) << "seed " << seed_ << ": legs do not sum to the transport fee";
      transport_by_trade_[f.t.trade_id] = f.t.transport_fee;
    }
  }

  void build_world() {
    const Timestamp t0 = now_;
    const int nregions = pick(3, 5);
    const char* jurisdictions[] = {"CN-A", "CN-B", "CN-C"};
    const int64_t greens[] = {0, 2500, 4500, 5000, 7000};
    for (int r = 0; r < nregions; ++r) {
      RWorld::Reg reg{"R" + std::to_string(r), jurisdictions[pick(0, 2)], greens[pick(0, 4)]};
      AddRegion c;
      c.ts = t0;
      c.region.code = reg.code;
      c.region.name = reg.code;
      c.region.jurisdiction = reg.jurisdiction;
      c.region.green_share = reg.green;
      apply(c);
      w_.regions.push_back(reg);
    }
    const int64_t ai_spd[] = {989, 320, 148, 312};
    const int64_t gpua = ai_spd[pick(0, 3)];
    // Half the time both AI classes measure the same: their books in one region then tie on equal asks.
    w_.classes = {{"GPUA", ChipFamily::AI, gpua},
                  {"GPUB", ChipFamily::AI, chance(50) ? gpua : ai_spd[pick(0, 3)]},
                  {"CPUX", ChipFamily::General, pick(3, 64)}};
    for (const auto& k : w_.classes) {
      AddChipClass c;
      c.ts = t0;
      c.chip_class.code = k.code;
      c.chip_class.family = k.family;
      c.chip_class.device = "1";
      c.chip_class.scu_per_device = k.spd;
      apply(c);
    }
    auto party = [&](const std::string& code, RoleSet roles, Quantity max_qty) {
      AddParticipant c;
      c.ts = t0;
      c.participant.code = code;
      c.participant.name = code;
      c.participant.roles = roles;
      c.participant.limits.max_order_qty = max_qty;
      apply(c);
      const ParticipantId id = ex_.engine().find_participant(code);
      EXPECT_NE(id, kNoParticipant) << code;
      return id;
    };
    ops_ = party("OPS", kRoleOperator, 1'000'000);
    for (const char* c : {"C1", "C2", "C3"}) carriers_.push_back(party(c, kRoleCarrier, 1'000'000));
    for (const char* s : {"S1", "S2", "S3"}) sellers_.push_back(party(s, kRoleTradeSell, 1'000'000));
    buyers_.push_back(party("BA", kRoleTradeBuy, 1'000'000));
    buyers_.push_back(party("BB", kRoleTradeBuy, pick(1, 6)));
    both_ = party("BOTH", kRoleTradeBuy | kRoleTradeSell, chance(50) ? 1'000'000 : pick(2, 8));
    buyers_.push_back(both_);
    sellers_.push_back(both_);
    for (ParticipantId b : buyers_) w_.max_qty[b] = ex_.engine().participant(b)->limits.max_order_qty;
    // Links: each ordered pair with some probability; tariffs from 0 to 0.0600 per GB.
    for (int a = 0; a < nregions; ++a) {
      for (int b = 0; b < nregions; ++b) {
        if (a == b || !chance(55)) continue;
        // Few distinct latencies and tariffs, so that equal landed prices and equal latencies happen.
        RWorld::Lnk l{a, b, chance(50) ? pick(1, 20) : 5 * pick(1, 3), static_cast<int64_t>(pick(0, 12)) * 50,
                      carriers_[pick(0, 2)]};
        AddLink c;
        c.ts = t0;
        c.actor = ops_;
        c.from = w_.regions[a].code;
        c.to = w_.regions[b].code;
        c.latency_ms = l.latency;
        c.capacity_gbps = 100;
        c.tariff_per_gb = l.tariff;
        c.carrier = l.carrier;
        apply(c);
        w_.links.push_back(l);
      }
    }
    ASSERT_EQ(ex_.engine().links().size(), w_.links.size()) << "seed " << seed_;
    // Books: day books of the 1st for most region x class pairs, some of the 2nd.
    for (const char* day : {"2026-12-01", "2026-12-02"}) {
      for (int r = 0; r < nregions; ++r) {
        for (int k = 0; k < 3; ++k) {
          if (!chance(std::string_view(day) == "2026-12-01" ? 70 : 15)) continue;
          RWorld::Book b;
          b.symbol = w_.regions[r].code + "." + w_.classes[k].code + ".D." + day;
          b.region = r;
          b.cls = k;
          b.start = iso(std::string(day) + "T00:00:00+08:00");
          b.end = b.start + 24 * kNanosPerHour;
          b.hours = 24;
          b.lot = chance(70) ? 1 : pick(2, 3);
          b.max_qty = chance(70) ? 1000 : b.lot * pick(1, 4);
          ListInstrument c;
          c.ts = t0;
          c.actor = ops_;
          c.symbol = b.symbol;
          c.rules = plain_rules();
          c.rules.lot = b.lot;
          c.rules.max_order_qty = b.max_qty;
          apply(c);
          ASSERT_EQ(ex_.engine().find_instrument(b.symbol), w_.books.size()) << b.symbol;
          w_.books.push_back(b);
        }
      }
    }
    if (w_.books.empty()) return;
    for (ParticipantId s : sellers_) {
      for (const auto& reg : w_.regions) {
        for (const auto& k : w_.classes) {
          apply(RegisterCapacity{t0, ops_, s, reg.code, k.code, iso("2026-11-01T00:00:00+08:00"),
                                 iso("2027-01-01T00:00:00+08:00"), 100'000});
        }
      }
    }
    w_.maker_bps = pick(0, 10);
    w_.taker_bps = pick(0, 20);
    apply(SetFees{t0, ops_, w_.maker_bps, w_.taker_bps});
    for (ParticipantId b : buyers_) apply(Deposit{t0, ops_, b, static_cast<Money>(pick(200, 8'000)) * kScale});
  }

  void sell() {
    if (w_.books.empty()) return;
    const size_t b = static_cast<size_t>(pick(0, static_cast<int>(w_.books.size()) - 1));
    const RWorld::Book& book = w_.books[b];
    NewOrder o;
    o.ts = now_;
    o.participant = chance(15) ? both_ : sellers_[pick(0, 2)];
    o.instrument = static_cast<InstrumentId>(b);
    o.side = Side::Sell;
    // 0.0120 to 0.0260 CNY per SCU-hour, on the 0.01 tick.
    o.price = chance(50) ? std::max<Price>(100, w_.classes[book.cls].spd * pick(120, 260) / 100 * 100)
                         : std::max<Price>(100, w_.classes[book.cls].spd * pick(12, 26) * 10 / 100 * 100);
    o.qty = book.lot * pick(1, 8);
    if (chance(25)) {
      // The price of an ask in another book of a class with the same SCU per device: equal landed prices.
      std::vector<Price> same;
      for (size_t other = 0; other < w_.books.size(); ++other) {
        if (other == b || w_.classes[w_.books[other].cls].spd != w_.classes[book.cls].spd) continue;
        std::vector<OrderView> asks;
        ex_.engine().orders_in_book(static_cast<InstrumentId>(other), Side::Sell, asks);
        for (const OrderView& a : asks) same.push_back(a.price);
      }
      if (!same.empty()) o.price = same[static_cast<size_t>(pick(0, static_cast<int>(same.size()) - 1))];
    }
    apply(o);
  }

  // A resting bid (or a crossing buy) of a buyer: it holds credit the routed orders must leave alone.
  void bid() {
    if (w_.books.empty()) return;
    const size_t b = static_cast<size_t>(pick(0, static_cast<int>(w_.books.size()) - 1));
    const RWorld::Book& book = w_.books[b];
    NewOrder o;
    o.ts = now_;
    o.participant = buyers_[pick(0, 2)];
    o.instrument = static_cast<InstrumentId>(b);
    o.side = Side::Buy;
    o.price = std::max<Price>(100, w_.classes[book.cls].spd * pick(40, 200) / 100 * 100);
    o.qty = book.lot * pick(1, 4);
    apply(o);
  }

  void cancel_some_order() {
    if (w_.books.empty()) return;
    const size_t b = static_cast<size_t>(pick(0, static_cast<int>(w_.books.size()) - 1));
    std::vector<OrderView> asks;
    ex_.engine().orders_in_book(static_cast<InstrumentId>(b), chance(70) ? Side::Sell : Side::Buy, asks);
    if (asks.empty()) return;
    const OrderView& a = asks[static_cast<size_t>(pick(0, static_cast<int>(asks.size()) - 1))];
    apply(CancelOrder{now_, a.participant, a.id, {}});
  }

  void routed() {
    RoutedOrder c;
    c.ts = now_;
    c.participant = buyers_[pick(0, 2)];
    c.tif = chance(50) ? TimeInForce::IOC : TimeInForce::FOK;
    c.cl_ord_id.assign("R" + std::to_string(stats_.routed));
    RouteQuery& q = c.query;
    if (chance(80)) {
      q.classes = chance(50) ? std::vector<ChipClassId>{1, 0} : chance(50) ? std::vector<ChipClassId>{0} : std::vector<ChipClassId>{1};
    } else {
      q.classes = {2};
    }
    const int nregions = static_cast<int>(w_.regions.size());
    if (chance(30)) {
      for (int r = 0; r < nregions; ++r) {
        if (chance(50)) q.regions.push_back(static_cast<RegionId>(r));
      }
    }
    q.origin = static_cast<RegionId>(pick(0, nregions - 1));
    q.max_latency_ms = chance(50) ? -1 : pick(0, 40);
    if (chance(15)) q.local_only = true;
    else if (chance(15)) q.jurisdictions = chance(50) ? std::vector<std::string>{"CN-A"} : std::vector<std::string>{"CN-B", "CN-C"};
    q.min_green_share = chance(70) ? 0 : std::vector<int64_t>{2500, 4500, 5000}[pick(0, 2)];
    q.data_gb = chance(30) ? 0 : chance(70) ? pick(1, 2'000) : pick(1, 50'000);
    int64_t spd = 0;
    for (ChipClassId k : q.classes) spd = std::max(spd, w_.classes[k].spd);
    q.scu = pick(1, static_cast<int>(spd) * 12);
    const bool next_day = chance(10);
    q.window_start = iso(next_day ? "2026-12-02T00:00:00+08:00" : "2026-12-01T00:00:00+08:00");
    q.window_end = q.window_start + 24 * kNanosPerHour;
    q.limit_per_scu_hour = chance(20) ? 100'000'000 : pick(1'200'000, 4'000'000);
    if (chance(30)) {
      // On the edge of some ask's landed price: its terms rounded up or to nearest, or one unit below.
      const std::vector<int64_t> edges = ref_limit_edges(w_, ex_.engine(), q);
      if (!edges.empty()) q.limit_per_scu_hour = edges[static_cast<size_t>(pick(0, static_cast<int>(edges.size()) - 1))];
    }

    const RefPlan expect = ref_plan(w_, ex_.engine(), c.participant, c.tif, q);
    const CreditView credit_before = ex_.engine().credit(c.participant);
    std::map<InstrumentId, std::vector<OrderView>> books_before;
    for (size_t b = 0; b < w_.books.size(); ++b) ex_.engine().orders_in_book(static_cast<InstrumentId>(b), Side::Sell, books_before[b]);
    apply(c);
    if (::testing::Test::HasFatalFailure()) return;
    ++stats_.routed;
    const std::string where = "seed " + std::to_string(seed_) + " routed order " + std::string(c.cl_ord_id.view());
    ASSERT_TRUE(log_.rejected.empty()) << where << ": " << reason_code(log_.rejected[0].reason);
    ASSERT_EQ(log_.routes.size(), 1u) << where;
    ASSERT_EQ(log_.route_done.size(), 1u) << where;
    const RouteDone& d = log_.route_done[0];
    const OrderId route_id = log_.routes[0].route_id;
    EXPECT_EQ(d.reason, expect.reason) << where << ": engine " << done_reason_code(d.reason);

    // The fills, one by one: book, resting order, quantity, price, transport fee and legs.
    ASSERT_EQ(log_.fills.size(), expect.fills.size()) << where;
    Money compute = 0, fees = 0, transport = 0, cost = 0;
    int64_t filled_scu = 0;
    Quantity devices = 0;
    for (size_t i = 0; i < expect.fills.size(); ++i) {
      const Trade& t = log_.fills[i].t;
      const RefFill& f = expect.fills[i];
      ASSERT_EQ(t.instrument, f.book) << where << " fill " << i;
      ASSERT_EQ(t.sell_order_id, f.resting) << where << " fill " << i;
      ASSERT_EQ(t.qty, f.qty) << where << " fill " << i;
      EXPECT_EQ(t.price, f.price) << where << " fill " << i;
      EXPECT_EQ(t.route_id, route_id) << where;
      EXPECT_EQ(t.buyer, c.participant) << where;
      EXPECT_EQ(t.transport_fee, f.transport) << where << " fill " << i;
      std::vector<std::pair<int, Money>> legs;
      for (const TransportLeg& l : log_.fills[i].legs) {
        if (l.amount != 0) legs.emplace_back(static_cast<int>(l.link), l.amount);
        EXPECT_EQ(l.carrier, w_.links.at(l.link).carrier) << where;
      }
      EXPECT_EQ(legs, f.legs) << where << " fill " << i;
      if (f.legs.size() > 1) ++stats_.multi_link;
      // The exact landed price (no rounding) is within the limit:
      //   (price / spd + transfer / (scu x hours)) x 10^4 <= limit (eight decimals).
      const RWorld::Book& book = w_.books[f.book];
      const int64_t spd = w_.classes[book.cls].spd;
      const RefPath path = ref_path(w_, q.origin, book.region, q.max_latency_ms);
      ASSERT_TRUE(path.ok) << where;
      const __int128 transfer = static_cast<__int128>(q.data_gb) * path.tariff;
      const __int128 scu_hours = static_cast<__int128>(q.scu) * book.hours;
      EXPECT_LE((static_cast<__int128>(t.price) * scu_hours + transfer * spd) * 10'000,
                static_cast<__int128>(q.limit_per_scu_hour) * spd * scu_hours)
          << where << " fill " << i << " lands above the limit";
      // The book keeps the constraints: filters, window, latency of its path.
      EXPECT_TRUE(ref_filter_ok(w_, q, book)) << where;
      EXPECT_EQ(book.start, q.window_start) << where;
      if (q.max_latency_ms >= 0) {
        EXPECT_LE(path.latency, q.max_latency_ms) << where;
      }
      compute += t.notional;
      fees += t.buyer_fee;
      transport += t.transport_fee;
      cost += t.notional + t.buyer_fee + t.transport_fee;
      filled_scu += t.scu;
      devices += t.qty;
    }
    EXPECT_EQ(d.children, expect.books_used.size()) << where;
    EXPECT_EQ(d.devices, devices) << where;
    EXPECT_EQ(d.filled_scu, filled_scu) << where;
    EXPECT_EQ(d.compute_cost, compute) << where;
    EXPECT_EQ(d.fees, fees) << where;
    EXPECT_EQ(d.transport_cost, transport) << where;
    // Children: one per book in the order of first use, at the dearest planned ask, for the planned qty.
    ASSERT_EQ(log_.accepted.size(), expect.books_used.size()) << where;
    for (size_t k = 0; k < expect.books_used.size(); ++k) {
      const OrderAccepted& a = log_.accepted[k];
      Quantity qty = 0;
      Price dearest = 0;
      for (const RefFill& f : expect.fills) {
        if (f.book != expect.books_used[k]) continue;
        qty += f.qty;
        dearest = std::max(dearest, f.price);
      }
      EXPECT_EQ(a.instrument, expect.books_used[k]) << where;
      EXPECT_EQ(a.qty, qty) << where;
      EXPECT_EQ(a.price, dearest) << where;
      EXPECT_EQ(a.tif, TimeInForce::IOC) << where;
      EXPECT_EQ(a.route_id, route_id) << where;
      EXPECT_EQ(log_.accepted_cl[k], c.cl_ord_id.view()) << where;
    }
    EXPECT_TRUE(log_.done.empty()) << where << ": a child did not fill exactly as planned";
    // FOK: all or nothing.
    if (c.tif == TimeInForce::FOK) {
      EXPECT_TRUE(log_.fills.empty() || filled_scu >= q.scu) << where;
      if (log_.fills.empty()) ++stats_.fok_refused;
      else ++stats_.fok_filled;
    }
    // Credit: the route's whole cost fitted in the room it had, and nobody is over the limit.
    EXPECT_LE(static_cast<__int128>(cost), static_cast<__int128>(credit_before.limit) - credit_before.open_buy - credit_before.unsettled_bought) << where;
    const CreditView after = ex_.engine().credit(c.participant);
    EXPECT_LE(static_cast<__int128>(after.open_buy) + after.unsettled_bought, after.limit) << where;
    EXPECT_EQ(after.open_buy, credit_before.open_buy) << where;
    EXPECT_EQ(after.unsettled_bought, credit_before.unsettled_bought + cost) << where;
    // The books lost exactly the planned fills.
    for (auto& [b, before] : books_before) {
      std::vector<OrderView> now_asks;
      ex_.engine().orders_in_book(b, Side::Sell, now_asks);
      std::vector<std::pair<OrderId, Quantity>> want, got;
      for (const OrderView& o : before) {
        Quantity left = o.remaining;
        for (const RefFill& f : expect.fills) {
          if (f.resting == o.id) left -= f.qty;
        }
        if (left > 0) want.emplace_back(o.id, left);
      }
      for (const OrderView& o : now_asks) got.emplace_back(o.id, o.remaining);
      EXPECT_EQ(got, want) << where << " book " << b;
    }
    // Coverage counters.
    if (!log_.fills.empty()) ++stats_.with_fills;
    if (expect.books_used.size() > 1) ++stats_.multi_book;
    if (d.reason == DoneReason::CreditLimit && !log_.fills.empty()) ++stats_.credit_truncated;
    if (credit_before.open_buy > 0 && expect.credit_short) ++stats_.credit_short_with_open_bids;
    stats_.tied_books += expect.tie_decisions;
    for (const RefFill& f : expect.fills) stats_.lot_books += w_.books[f.book].lot > 1;
    if (c.participant == both_) {
      for (auto& [b, before] : books_before) {
        if (!before.empty() && std::any_of(before.begin(), before.end(), [&](const OrderView& o) { return o.participant == both_; }) &&
            w_.books[b].start == q.window_start && ref_filter_ok(w_, q, w_.books[b])) {
          ++stats_.own_ask_in_the_way;
          break;
        }
      }
    }
  }

  // After the windows: every contract reported (sometimes under-delivered, sometimes disputed and resolved),
  // the dispute windows pass, everything pays out; each carrier then holds exactly its legs.
  void settle_everything() {
    now_ = iso("2026-12-03T01:00:00+08:00");
    apply(AdvanceTime{now_});
    for (const auto& [id, k] : ex_.contracts()) {
      const int64_t total = k.contracted_device_hours();
      const int64_t delivered = chance(60) ? total : pick(0, static_cast<int>(total));
      apply(DeliveryReport{now_, k.seller, id, delivered});
      if (chance(20)) {
        apply(Dispute{now_, k.buyer, id});
        apply(ResolveDispute{now_, ops_, id, pick(0, static_cast<int>(total))});
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    now_ += 25 * kNanosPerHour;
    apply(AdvanceTime{now_});
    std::map<ParticipantId, Money> legs_by_carrier;
    for (const auto& [id, k] : ex_.contracts()) {
      ASSERT_EQ(k.state, ContractState::Settled) << "seed " << seed_;
      Money legs = 0;
      for (const TransportLeg& l : k.transport) {
        legs_by_carrier[l.carrier] += l.amount;
        legs += l.amount;
      }
      EXPECT_EQ(legs, transport_by_trade_.at(id)) << "seed " << seed_ << " contract " << id;
      ++stats_.settled;
    }
    for (ParticipantId c : carriers_) {
      const auto* a = ex_.ledger().account(persistence::cash_account(c));
      EXPECT_EQ(a ? a->balance() : 0, legs_by_carrier[c]) << "seed " << seed_ << " carrier " << c;
    }
  }

  std::mt19937 rng_;
  uint32_t seed_;
  RandomStats& stats_;
  RouteLog log_;
  Exchange ex_{log_};
  RWorld w_;
  Timestamp now_ = iso("2026-11-30T09:00:00+08:00");
  ParticipantId ops_ = 0, both_ = 0;
  std::vector<ParticipantId> carriers_, sellers_, buyers_;
  std::map<TradeId, Money> transport_by_trade_;
  std::string mid_snapshot_;
  uint64_t snapshot_hash_ = 0;
  std::vector<Command> after_snapshot_;
};

// A few hundred random worlds: every routed order against the reference planner, with every cross-check of
// the exchange after every command, settlement of everything at the end and a snapshot restored mid-way.
TEST(RoutedRandom, RoutedOrdersMatchTheReferencePlannerAndKeepTheBooksStraight) {
  RandomStats stats;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    RandomScenario(seed, stats).run();
    if (::testing::Test::HasFailure()) return;
  }
  // The scenarios must keep exercising every path (or the comparison above would silently cover less).
  EXPECT_GT(stats.routed, 3000);
  EXPECT_GT(stats.with_fills, 500);
  EXPECT_GT(stats.fok_refused, 100);
  EXPECT_GT(stats.fok_filled, 100);
  EXPECT_GT(stats.credit_truncated, 20);
  EXPECT_GT(stats.multi_book, 50);
  EXPECT_GT(stats.multi_link, 20);
  EXPECT_GT(stats.own_ask_in_the_way, 20);
  EXPECT_GT(stats.lot_books, 10);
  EXPECT_GT(stats.credit_short_with_open_bids, 20);
  EXPECT_GT(stats.tied_books, 10);
  EXPECT_GT(stats.settled, 500);
  if (std::getenv("CPX_ROUTE_STATS")) {
    std::printf("routed %d fills %d fok refused %d fok filled %d credit %d (with open bids %d) multi-book %d multi-link %d own %d lot %d settled %d\n",
                stats.routed, stats.with_fills, stats.fok_refused, stats.fok_filled, stats.credit_truncated,
                stats.credit_short_with_open_bids, stats.multi_book, stats.multi_link, stats.own_ask_in_the_way,
                stats.lot_books, stats.settled);
    std::printf("tied books %d\n", stats.tied_books);
  }
}

// The reference path search itself, on the hand-made network: cheapest by tariff, and within a latency
// limit the faster one (guards the reference against a blind spot shared with the engine).
TEST(RoutedRandom, ReferencePathSearchOnAKnownNetwork) {
  RWorld w;
  w.regions = {{"JJJ", "", 0}, {"NM", "", 0}, {"GS", "", 0}, {"NX", "", 0}};
  w.links = {{0, 1, 8, 200, 2}, {0, 2, 13, 800, 3}, {1, 3, 6, 100, 3}, {0, 3, 12, 500, 4}};
  RefPath p = ref_path(w, 0, 3, -1);
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.links, (std::vector<int>{0, 2}));
  EXPECT_EQ(p.tariff, 300);
  EXPECT_EQ(p.latency, 14);
  p = ref_path(w, 0, 3, 13);
  EXPECT_EQ(p.links, (std::vector<int>{3}));
  EXPECT_FALSE(ref_path(w, 0, 3, 11).ok);
  EXPECT_FALSE(ref_path(w, 3, 0, -1).ok);
  EXPECT_TRUE(ref_path(w, 2, 2, 0).ok);
  EXPECT_EQ(ref_legs(w, ref_path(w, 0, 3, -1), 120073), (std::vector<std::pair<int, Money>>{{0, 80049}, {2, 40024}}));
}

// ------------------------------------------------------------------------------------------ 4. JSON

constexpr const char* kSmoke[] = {
    R"({"cmd":"add_participant","code":"NMCLOUD","kind":"cloud_vendor","roles":["trade_sell"]})",
    R"({"cmd":"add_participant","code":"GSCLOUD","kind":"cloud_vendor","roles":["trade_sell"]})",
    R"({"cmd":"add_participant","code":"CTNET","kind":"carrier","roles":["carrier"]})",
    R"({"cmd":"add_participant","code":"BJAI","kind":"buyer","roles":["trade_buy"]})",
    R"({"cmd":"add_link","from":"JJJ","to":"NM","latency_ms":8,"capacity_gbps":400,"tariff_cny_per_gb":"0.02","carrier":"CTNET"})",
    R"({"cmd":"add_link","from":"JJJ","to":"GS","latency_ms":13,"capacity_gbps":200,"tariff_cny_per_gb":"0.0325","carrier":"CTNET"})",
    R"({"cmd":"list_instrument","symbol":"NM.H100.D.2026-12-01"})",
    R"({"cmd":"list_instrument","symbol":"GS.H100.D.2026-12-01"})",
    R"({"cmd":"register_capacity","supplier":"NMCLOUD","region":"NM","class":"H100","from":"2026-12-01T00:00:00+08:00","to":"2026-12-02T00:00:00+08:00","devices":64})",
    R"({"cmd":"register_capacity","supplier":"GSCLOUD","region":"GS","class":"H100","from":"2026-12-01T00:00:00+08:00","to":"2026-12-02T00:00:00+08:00","devices":64})",
    R"({"cmd":"set_credit","target":"BJAI","amount":"100000.00"})",
    R"({"cmd":"new_order","participant":"NMCLOUD","cl_ord_id":"n1","symbol":"NM.H100.D.2026-12-01","side":"sell","price":"18.00","qty":4})",
    R"({"cmd":"new_order","participant":"NMCLOUD","cl_ord_id":"n2","symbol":"NM.H100.D.2026-12-01","side":"sell","price":"18.50","qty":4})",
    R"({"cmd":"new_order","participant":"GSCLOUD","cl_ord_id":"g1","symbol":"GS.H100.D.2026-12-01","side":"sell","price":"17.00","qty":3})",
};

class RoutedJson : public ::testing::Test {
 protected:
  RoutedJson() : engine(fanout), names(engine), decoder(names), writer(names, out) { fanout.add(&writer); fanout.add(&log); }

  void SetUp() override {
    run(R"({"cmd":"advance_time","ts":"2026-11-30T09:00:00+08:00"})");
    auto reqs = api::load_reference_requests(api::default_config_dir());
    ASSERT_TRUE(reqs.ok()) << reqs.error().text;
    for (const std::string& r : *reqs) run(r);
    for (const char* line : kSmoke) run(line);
    ASSERT_TRUE(log.rejected.empty()) << out;
    out.clear();
  }
  std::string run(std::string_view line) {
    const size_t before = out.size();
    auto c = decoder.decode(line, engine.now());
    EXPECT_TRUE(c.ok()) << line << " -> " << (c.ok() ? "" : c.error().text);
    if (c.ok()) engine.apply(*c);
    return out.substr(before);
  }
  static nlohmann::json good() {
    return nlohmann::json::parse(
        R"({"cmd":"route_order","ts":"2026-11-30T10:00:00+08:00","participant":"BJAI","cl_ord_id":"r-7","tif":"fok",)"
        R"("classes":["H100","ASC910B"],"regions":["NM","GS"],"origin":"JJJ","max_latency_ms":15,)"
        R"("residency":["CN-NM","CN-GS"],"min_green_share":"0.45","data_gb":5000,"scu":63296,)"
        R"("window_start":"2026-12-01T00:00:00+08:00","window_end":"2026-12-02T00:00:00+08:00",)"
        R"("limit_cny_per_scu_hour":"0.0195"})");
  }

  RouteLog log;
  api::EventFanout fanout;
  MatchingEngine engine;
  api::EngineNames names;
  api::CommandDecoder decoder;
  std::string out;
  api::JsonEventWriter writer;
};

TEST_F(RoutedJson, AGoodRequestDecodesToTheExactRoutedOrder) {
  auto c = decoder.decode(good().dump(), 42);
  ASSERT_TRUE(c.ok()) << c.error().text;
  const RoutedOrder* r = std::get_if<RoutedOrder>(&*c);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ts, iso("2026-11-30T10:00:00+08:00"));
  EXPECT_EQ(r->participant, engine.find_participant("BJAI"));
  EXPECT_EQ(r->cl_ord_id.view(), "r-7");
  EXPECT_EQ(r->tif, TimeInForce::FOK);
  const RouteQuery& q = r->query;
  EXPECT_EQ(q.classes, (std::vector<ChipClassId>{engine.find_chip_class("H100"), engine.find_chip_class("ASC910B")}));
  EXPECT_EQ(q.regions, (std::vector<RegionId>{engine.find_region("NM"), engine.find_region("GS")}));
  EXPECT_EQ(q.origin, engine.find_region("JJJ"));
  EXPECT_EQ(q.max_latency_ms, 15);
  EXPECT_FALSE(q.local_only);
  EXPECT_EQ(q.jurisdictions, (std::vector<std::string>{"CN-NM", "CN-GS"}));
  EXPECT_EQ(q.min_green_share, 4500);
  EXPECT_EQ(q.data_gb, 5000);
  EXPECT_EQ(q.scu, 63296);
  EXPECT_EQ(q.window_start, iso("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(q.window_end, iso("2026-12-02T00:00:00+08:00"));
  EXPECT_EQ(q.limit_per_scu_hour, 1'950'000);

  // Defaults: IOC, any region, no latency limit, any residency, no green share, no data; ts from the caller.
  nlohmann::json minimal = good();
  for (const char* k : {"ts", "tif", "regions", "max_latency_ms", "residency", "min_green_share", "data_gb", "cl_ord_id"}) minimal.erase(k);
  minimal["classes"] = {"H100"};
  c = decoder.decode(minimal.dump(), 42);
  ASSERT_TRUE(c.ok()) << c.error().text;
  r = std::get_if<RoutedOrder>(&*c);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ts, 42);
  EXPECT_EQ(r->tif, TimeInForce::IOC);
  EXPECT_TRUE(r->cl_ord_id.empty());
  EXPECT_TRUE(r->query.regions.empty());
  EXPECT_EQ(r->query.max_latency_ms, -1);
  EXPECT_FALSE(r->query.local_only);
  EXPECT_TRUE(r->query.jurisdictions.empty());
  EXPECT_EQ(r->query.min_green_share, 0);
  EXPECT_EQ(r->query.data_gb, 0);
  // "local" residency, "any" regions, limit as an integer.
  minimal["residency"] = "local";
  minimal["regions"] = "any";
  minimal["limit_cny_per_scu_hour"] = 1;
  c = decoder.decode(minimal.dump(), 42);
  ASSERT_TRUE(c.ok()) << c.error().text;
  r = std::get_if<RoutedOrder>(&*c);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->query.local_only);
  EXPECT_TRUE(r->query.regions.empty());
  EXPECT_EQ(r->query.limit_per_scu_hour, 100'000'000);
}

// Classes, regions and jurisdictions are sets: repeats are dropped before the order is journaled (a
// list of 70,000 repeats, in a FIX message or a WebSocket frame once max_message_bytes is raised, would
// otherwise make a record the journal cannot read back).
TEST_F(RoutedJson, RepeatsInTheListsAreDropped) {
  nlohmann::json r = good();
  nlohmann::json classes = nlohmann::json::array(), regions = nlohmann::json::array(), juris = nlohmann::json::array();
  for (int i = 0; i < 5'000; ++i) classes.push_back("H100");
  for (int i = 0; i < 1'000; ++i) {
    regions.push_back(i % 2 ? "NM" : "GS");
    juris.push_back(i % 2 ? "CN-NM" : "CN-GS");
  }
  r["classes"] = classes;
  r["regions"] = regions;
  r["residency"] = juris;
  auto c = decoder.decode(r.dump(), 42);
  ASSERT_TRUE(c.ok()) << c.error().text;
  const auto* o = std::get_if<RoutedOrder>(&*c);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->query.classes, (std::vector<ChipClassId>{engine.find_chip_class("H100")}));
  EXPECT_EQ(o->query.regions, (std::vector<RegionId>{engine.find_region("GS"), engine.find_region("NM")}));
  EXPECT_EQ(o->query.jurisdictions, (std::vector<std::string>{"CN-GS", "CN-NM"}));
}

TEST_F(RoutedJson, EachBadFieldGivesItsReason) {
  struct Case {
    const char* field;
    nlohmann::json value;  // null: remove the field
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"participant", "NOBODY", "unknown_participant"},
      {"participant", nullptr, "malformed_request"},
      {"tif", "gtc", "invalid_order_type"},
      {"tif", "day", "invalid_order_type"},
      {"tif", "sometimes", "malformed_request"},
      {"limit_cny_per_scu_hour", nullptr, "malformed_request"},
      {"limit_cny_per_scu_hour", "0", "malformed_request"},
      {"limit_cny_per_scu_hour", "-0.01", "malformed_request"},
      {"limit_cny_per_scu_hour", "0.000000001", "malformed_request"},
      {"limit_cny_per_scu_hour", 0.02, "malformed_request"},
      {"classes", nlohmann::json::array(), "malformed_request"},
      {"classes", "H100", "malformed_request"},
      {"classes", {"B200X"}, "unknown_chip_class"},
      {"classes", {"H100", "CPU-X86-64V"}, "invalid_value"},
      {"regions", {"NM", "XX"}, "unknown_region"},
      {"regions", 5, "malformed_request"},
      {"origin", "XX", "unknown_region"},
      {"origin", nullptr, "malformed_request"},
      {"max_latency_ms", -1, "malformed_request"},
      {"max_latency_ms", "10", "malformed_request"},
      {"residency", 7, "malformed_request"},
      {"residency", "abroad", "malformed_request"},
      {"residency", {"CN-NM", 3}, "malformed_request"},
      {"residency", nlohmann::json::array(), "malformed_request"},  // [] is no residency list, not "any"
      {"regions", nlohmann::json::array(), "malformed_request"},
      {"residency", {"CN-NM", ""}, "invalid_value"},
      {"residency", {std::string(33, 'J')}, "invalid_value"},
      {"residency", [] {  // 65 jurisdictions: beyond what a journal record of a routed order may carry
         nlohmann::json j = nlohmann::json::array();
         for (int i = 0; i < 65; ++i) j.push_back("CN-" + std::to_string(i));
         return j;
       }(), "invalid_value"},
      {"min_green_share", "1.5", "malformed_request"},
      {"min_green_share", "-0.1", "malformed_request"},
      {"data_gb", -1, "malformed_request"},
      {"data_gb", 1'000'000'001, "malformed_request"},
      {"data_gb", "5", "malformed_request"},
      {"scu", 0, "malformed_request"},
      {"scu", nullptr, "malformed_request"},
      {"scu", 1'000'000'001, "malformed_request"},
      {"window_start", nullptr, "malformed_request"},
      {"window_end", "2026-12-01T00:00:00+08:00", "malformed_request"},
      {"window_end", "tomorrow", "malformed_request"},
      {"cl_ord_id", std::string(33, 'x'), "malformed_request"},
  };
  for (const Case& k : cases) {
    nlohmann::json r = good();
    if (k.value.is_null()) r.erase(k.field);
    else r[k.field] = k.value;
    auto c = decoder.decode(r.dump(), 42);
    ASSERT_FALSE(c.ok()) << k.field << " = " << k.value.dump() << " decoded";
    EXPECT_EQ(reason_code(c.error().reason), k.reason) << k.field << " = " << k.value.dump() << ": " << c.error().text;
    EXPECT_FALSE(c.error().text.empty());
    EXPECT_EQ(c.error().cmd, "route_order");
  }
}

// The smoke scenario's routed order, line by line. 8 devices (7,912 SCU = 189,888 SCU-hours), 2,000 GB from
// JJJ, limit 0.0190:
//   GS 3 @ 17.00: 0.01718908 + 2,000 x 0.0325 = 65.0000 / 189,888 = 0.00034231 -> 0.01753139
//   NM 4 @ 18.00: 0.01820020 + 2,000 x 0.0200 = 40.0000 / 189,888 = 0.00021065 -> 0.01841085
//   NM 4 @ 18.50: 0.01870576 + 0.00021065 = 0.01891641 (under the limit), 1 device needed
// Transport: GS 65 x 2,967 / 7,912 = 24.3750; NM 40 x 3,956 / 7,912 = 20.0000 and 40 x 989 / 7,912 =
// 5.0000. Compute 1,224 + 1,728 + 444 = 3,396.0000; transport 49.3750.
TEST_F(RoutedJson, RouteEventsAsJsonLines) {
  const std::string lines = run(
      R"({"cmd":"route_order","participant":"BJAI","cl_ord_id":"r1","classes":["H100"],"origin":"JJJ","scu":7912,)"
      R"("data_gb":2000,"window_start":"2026-12-01T00:00:00+08:00","window_end":"2026-12-02T00:00:00+08:00",)"
      R"("limit_cny_per_scu_hour":"0.0190","tif":"ioc"})");
  const char* expected =
      R"({"ev":"route_accepted","ts":"2026-11-30T09:00:00+08:00","route_id":4,"cl_ord_id":"r1","participant":"BJAI","tif":"ioc","scu":7912,"limit_cny_per_scu_hour":"0.01900000","origin":"JJJ","data_gb":2000,"window_start":"2026-12-01T00:00:00+08:00","window_end":"2026-12-02T00:00:00+08:00"})" "\n"
      R"({"ev":"accepted","ts":"2026-11-30T09:00:00+08:00","order_id":5,"route_id":4,"cl_ord_id":"r1","participant":"BJAI","symbol":"GS.H100.D.2026-12-01","side":"buy","type":"limit","tif":"ioc","price":"17.0000","qty":3})" "\n"
      R"({"ev":"trade","ts":"2026-11-30T09:00:00+08:00","trade_id":1,"symbol":"GS.H100.D.2026-12-01","price":"17.0000","qty":3,"aggressor":"buy","buy_order_id":5,"sell_order_id":3,"buyer":"BJAI","seller":"GSCLOUD","buy_cl_ord_id":"r1","sell_cl_ord_id":"g1","buy_remaining":0,"sell_remaining":0,"hours":24,"scu":2967,"price_per_scu_hour":"0.01718908","notional":"1224.0000","buyer_fee":"0.0000","seller_fee":"0.0000","route_id":4,"transport_fee":"24.3750","transport":[{"carrier":"CTNET","link":1,"amount":"24.3750"}]})" "\n"
      R"({"ev":"accepted","ts":"2026-11-30T09:00:00+08:00","order_id":6,"route_id":4,"cl_ord_id":"r1","participant":"BJAI","symbol":"NM.H100.D.2026-12-01","side":"buy","type":"limit","tif":"ioc","price":"18.5000","qty":5})" "\n"
      R"({"ev":"trade","ts":"2026-11-30T09:00:00+08:00","trade_id":2,"symbol":"NM.H100.D.2026-12-01","price":"18.0000","qty":4,"aggressor":"buy","buy_order_id":6,"sell_order_id":1,"buyer":"BJAI","seller":"NMCLOUD","buy_cl_ord_id":"r1","sell_cl_ord_id":"n1","buy_remaining":1,"sell_remaining":0,"hours":24,"scu":3956,"price_per_scu_hour":"0.01820020","notional":"1728.0000","buyer_fee":"0.0000","seller_fee":"0.0000","route_id":4,"transport_fee":"20.0000","transport":[{"carrier":"CTNET","link":0,"amount":"20.0000"}]})" "\n"
      R"({"ev":"trade","ts":"2026-11-30T09:00:00+08:00","trade_id":3,"symbol":"NM.H100.D.2026-12-01","price":"18.5000","qty":1,"aggressor":"buy","buy_order_id":6,"sell_order_id":2,"buyer":"BJAI","seller":"NMCLOUD","buy_cl_ord_id":"r1","sell_cl_ord_id":"n2","buy_remaining":0,"sell_remaining":3,"hours":24,"scu":989,"price_per_scu_hour":"0.01870576","notional":"444.0000","buyer_fee":"0.0000","seller_fee":"0.0000","route_id":4,"transport_fee":"5.0000","transport":[{"carrier":"CTNET","link":0,"amount":"5.0000"}]})" "\n"
      R"({"ev":"route_done","ts":"2026-11-30T09:00:00+08:00","route_id":4,"cl_ord_id":"r1","participant":"BJAI","scu":7912,"filled_scu":7912,"devices":8,"children":2,"compute_cost":"3396.0000","fees":"0.0000","transport_cost":"49.3750","reason":"filled","text":"The whole quantity was bought."})" "\n"
      R"({"ev":"book_change","ts":"2026-11-30T09:00:00+08:00","symbol":"GS.H100.D.2026-12-01","side":"ask","price":"17.0000","qty":0,"orders":0})" "\n"
      R"({"ev":"book_change","ts":"2026-11-30T09:00:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"ask","price":"18.0000","qty":0,"orders":0})" "\n"
      R"({"ev":"book_change","ts":"2026-11-30T09:00:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"ask","price":"18.5000","qty":3,"orders":1})" "\n";
  EXPECT_EQ(lines, expected);
  for (size_t pos = 0, next; pos < lines.size(); pos = next + 1) {
    next = lines.find('\n', pos);
    EXPECT_FALSE(nlohmann::json::parse(lines.substr(pos, next - pos), nullptr, false).is_discarded());
  }

  // A FOK that cannot fill (3 devices left in NM at 18.50 is 2,967 SCU; 5,000 asked): route_done only.
  EXPECT_EQ(run(R"({"cmd":"route_order","participant":"BJAI","cl_ord_id":"r2","classes":["H100"],"origin":"JJJ","scu":5000,)"
                R"("window_start":"2026-12-01T00:00:00+08:00","window_end":"2026-12-02T00:00:00+08:00",)"
                R"("limit_cny_per_scu_hour":"0.0190","tif":"fok"})"),
            R"({"ev":"route_accepted","ts":"2026-11-30T09:00:00+08:00","route_id":7,"cl_ord_id":"r2","participant":"BJAI","tif":"fok","scu":5000,"limit_cny_per_scu_hour":"0.01900000","origin":"JJJ","data_gb":0,"window_start":"2026-12-01T00:00:00+08:00","window_end":"2026-12-02T00:00:00+08:00"})" "\n"
            R"({"ev":"route_done","ts":"2026-11-30T09:00:00+08:00","route_id":7,"cl_ord_id":"r2","participant":"BJAI","scu":5000,"filled_scu":0,"devices":0,"children":0,"compute_cost":"0.0000","fees":"0.0000","transport_cost":"0.0000","reason":"fok_not_filled","text":")" +
                std::string(done_reason_text(DoneReason::FokNotFilled)) + "\"}\n");
  // An engine refusal of a well-formed request: a seller may not route a buy.
  EXPECT_EQ(run(R"({"cmd":"route_order","participant":"NMCLOUD","cl_ord_id":"r3","classes":["H100"],"origin":"JJJ","scu":989,)"
                R"("window_start":"2026-12-01T00:00:00+08:00","window_end":"2026-12-02T00:00:00+08:00",)"
                R"("limit_cny_per_scu_hour":"0.0190"})"),
            R"({"ev":"rejected","ts":"2026-11-30T09:00:00+08:00","cmd":"route_order","participant":"NMCLOUD","cl_ord_id":"r3","reason":"role_missing","text":")" +
                std::string(reason_text(RejectReason::RoleMissing)) + "\"}\n");
}

}  // namespace
}  // namespace cpx::test
