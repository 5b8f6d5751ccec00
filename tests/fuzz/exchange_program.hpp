#pragma once
// The exchange target's market and the way its input bytes become commands (tests/fuzz/exchange.cpp; the
// seed generator writes programs with the same layout).
//
// A program is a sequence of commands, each: one op byte, one time byte (how far time moves first: time
// never goes back), then the op's argument bytes. Arguments pick from small tables (participants,
// instruments, prices near the market, small quantities) so that most commands are meaningful, and an
// escape value reads 8 raw bytes instead, so that edges (0, negative, INT64_MAX, off-tick) are reached
// too. A program that ends early reads zeros.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cpx/auction_book.hpp"
#include "cpx/commands.hpp"
#include "cpx/events.hpp"
#include "cpx/reasons.hpp"
#include "exchange.hpp"
#include "fuzz_common.hpp"
#include "journal_round_trip.hpp"

namespace cpx::fuzz {

inline constexpr size_t kMaxProgramCommands = 400;

inline Timestamp at(const char* iso) {
  auto t = parse_iso_time(iso);
  if (!t) fail("bad time %s", iso);
  return *t;
}

// ---- the market

enum : ParticipantId { kOps = 1, kS1, kS2, kHost, kB1, kB2, kX, kCarrier };
inline constexpr ParticipantId kParticipantTable[] = {kOps, kS1, kS2, kHost, kB1, kB2, kX, kCarrier, kExchangeParticipant, 42};
inline constexpr ParticipantId kSellers[] = {kS1, kS2, kHost, kX};
inline constexpr ParticipantId kBuyers[] = {kB1, kB2, kX};

struct ListingSpec {
  const char* symbol;
  Quantity lot;
  int64_t band_bps;
  int64_t open_delay_min;
};
// Instruments 0..7, in listing order. Regions NM 0, JJJ 1, GZ 2; classes H100 0, H20 1, CPU 2.
inline constexpr ListingSpec kListings[] = {
    {"NM.H100.D.2026-12-01", 1, 3000, 0},  {"JJJ.H100.D.2026-12-01", 1, 3000, 0}, {"GZ.H100.D.2026-12-01", 1, 1000, 0},
    {"NM.H20.D.2026-12-01", 1, 3000, 0},   {"GZ.CPU.D.2026-12-01", 4, 0, 0},      {"NM.H100.D.2026-12-02", 1, 3000, 0},
    {"NM.H100.W.2026-W50", 2, 3000, 30},   {"NM.H100.H.2026-12-01T10", 1, 3000, 0},
};
inline constexpr size_t kInstruments = sizeof kListings / sizeof kListings[0];
// Listed later by the program (list_instrument), with rules from the input.
inline constexpr const char* kLaterSymbols[] = {"JJJ.H20.D.2026-12-01", "GZ.H100.D.2026-12-02", "NM.CPU.M.2026-12",
                                                "JJJ.H100.H.2026-12-01T10", "GZ.H100.W.2026-W50", "BAD.H100.D.2026-12-01"};

inline persistence::ExchangeConfig program_config() {
  persistence::ExchangeConfig c;
  c.engine = EngineConfig{512, 32};
  c.dispute_window_ns = 6 * kNanosPerHour;
  return c;
}

inline std::vector<Command> market_setup() {
  std::vector<Command> out;
  const Timestamp t0 = at("2026-11-30T08:00:00+08:00");
  auto region = [](const char* code, RegionSide side, const char* jurisdiction, int64_t green) {
    Region r;
    r.code = code;
    r.name = code;
    r.side = side;
    r.jurisdiction = jurisdiction;
    r.power_price = 6200;
    r.green_share = green;
    r.pue = 12500;
    return r;
  };
  out.push_back(AddRegion{t0, kExchangeParticipant, region("NM", RegionSide::West, "CN-NM", 6000)});
  out.push_back(AddRegion{t0, kExchangeParticipant, region("JJJ", RegionSide::East, "CN-JJJ", 3000)});
  out.push_back(AddRegion{t0, kExchangeParticipant, region("GZ", RegionSide::West, "CN-GZ", 4500)});
  auto chip = [](const char* code, ChipFamily family, int64_t scu) {
    ChipClass c;
    c.code = code;
    c.family = family;
    c.device = "1 GPU";
    c.scu_per_device = scu;
    return c;
  };
  out.push_back(AddChipClass{t0, kExchangeParticipant, chip("H100", ChipFamily::AI, 989)});
  out.push_back(AddChipClass{t0, kExchangeParticipant, chip("H20", ChipFamily::AI, 148)});
  out.push_back(AddChipClass{t0, kExchangeParticipant, chip("CPU", ChipFamily::General, 5)});
  struct Who {
    const char* code;
    ParticipantKind kind;
    RoleSet roles;
    int64_t max_open;
    Quantity max_qty;
  };
  const Who who[] = {
      {"OPS", ParticipantKind::Exchange, kRoleOperator, 10, 10},
      {"S1", ParticipantKind::CloudVendor, kRoleTradeSell, 20, 60},
      {"S2", ParticipantKind::StateOperator, kRoleTradeSell, 1000, 100000},
      {"HOST", ParticipantKind::StateOperator, kRoleTradeSell, 1000, 1000},
      {"B1", ParticipantKind::Buyer, kRoleTradeBuy, 20, 60},
      {"B2", ParticipantKind::Buyer, kRoleTradeBuy, 1000, 100000},
      {"X", ParticipantKind::CloudVendor, kRoleTradeBuy | kRoleTradeSell, 30, 1000},
      {"CAR", ParticipantKind::Carrier, kRoleCarrier, 10, 10},
  };
  for (const Who& w : who) {
    Participant p;
    p.code = w.code;
    p.name = w.code;
    p.kind = w.kind;
    p.roles = w.roles;
    p.limits = {w.max_open, w.max_qty};
    out.push_back(AddParticipant{t0, kExchangeParticipant, p});
  }
  const std::pair<const char*, const char*> links[] = {{"NM", "JJJ"}, {"JJJ", "NM"}, {"GZ", "JJJ"},
                                                       {"JJJ", "GZ"}, {"NM", "GZ"},  {"GZ", "NM"}};
  int64_t k = 0;
  for (auto [from, to] : links) {
    ++k;
    out.push_back(AddLink{t0, kExchangeParticipant, from, to, 5 + 4 * k, 100 * k, 150 + 75 * k, kCarrier});
  }
  for (const ListingSpec& l : kListings) {
    ListInstrument c;
    c.ts = t0;
    c.actor = kOps;
    c.symbol = l.symbol;
    c.rules.tick = 100;
    c.rules.lot = l.lot;
    c.rules.max_order_qty = 500;
    c.rules.price_band_bps = l.band_bps;
    c.open_at = l.open_delay_min ? t0 + l.open_delay_min * 60 * kNanosPerSecond : 0;
    out.push_back(c);
  }
  const Timestamp from = at("2026-11-30T00:00:00+08:00"), to = at("2026-12-15T00:00:00+08:00");
  for (ParticipantId s : kSellers)
    for (const char* r : {"NM", "JJJ", "GZ"})
      for (const char* c : {"H100", "H20", "CPU"}) out.push_back(RegisterCapacity{t0, kOps, s, r, c, from, to, 300});
  for (ParticipantId b : kBuyers) out.push_back(Deposit{t0, kOps, b, 20'000'000'000LL});  // 2,000,000 CNY
  out.push_back(SetFees{t0, kOps, 5, 10});
  out.push_back(SetRevenueShare{t0, kOps, kS1, {{kS1, 7000}, {kHost, 3000}}});
  for (InstrumentId i = 0; i < kInstruments; ++i) out.push_back(SetReferencePrice{t0, kOps, i, i == 4 ? 1500 : 180000});
  out.push_back(OpenAuction{t0, kOps, at("2026-12-02T00:00:00+08:00"), at("2026-12-01T12:00:00+08:00")});
  out.push_back(OpenAuction{t0, kOps, at("2026-12-01T00:00:00+08:00"), at("2026-11-30T12:00:00+08:00")});
  return out;
}

// Orders the program can aim at: every order accepted (id, owner), open or not; and the last event's
// kind (a rejection's reason), for CPX_FUZZ_TRACE.
struct KnownOrders final : EventListener {
  std::vector<std::pair<OrderId, ParticipantId>> ids;
  std::string last;
  void on_accepted(const OrderAccepted& e) override {
    ids.emplace_back(e.order_id, e.participant);
    last = "accepted";
  }
  void on_rejected(const OrderRejected& e) override { last = "rejected " + std::string(reason_code(e.reason)); }
  void on_trade(const Trade&) override { last = "trade"; }
  void on_done(const OrderDone&) override { last = "done"; }
  void on_replaced(const OrderReplaced&) override { last = "replaced"; }
  void on_mass_cancel(const MassCancelDone&) override { last = "mass_cancel"; }
  void on_admin(const AdminDone&) override { last = "admin"; }
  void on_settlement(const SettlementEvent& e) override { last = "settlement " + std::to_string(static_cast<int>(e.kind)); }
  void on_route_done(const RouteDone&) override { last = "route_done"; }
  void on_auction_state(const AuctionStateChanged&) override { last = "auction_state"; }
  void on_auction_order(const AuctionOrderAccepted&) override { last = "auction_order"; }
  void on_auction_order_done(const AuctionOrderDone&) override { last = "auction_order_done"; }
  void on_auction_award(const AuctionAward&) override { last = "auction_award"; }
};

struct ProgramMarket {
  std::string snapshot;
  std::vector<std::pair<OrderId, ParticipantId>> open_orders;
  static persistence::ExchangeConfig config() { return program_config(); }

  ProgramMarket() {
    KnownOrders known;
    persistence::Exchange ex(known, config());
    for (const Command& c : market_setup()) {
      ex.apply(c);
      std::string why;
      if (!ex.check(why)) fail("the program market does not check: %s", why.c_str());
    }
    if (ex.engine().participant_count() != 9 || ex.engine().instrument_count() != kInstruments || ex.engine().links().size() != 6 ||
        ex.engine().auction_days().size() != 2)
      fail("the program market was not set up as expected");
    snapshot = ex.snapshot();
    open_orders = known.ids;
  }
  static ProgramMarket& get() {
    static ProgramMarket* m = new ProgramMarket();
    return *m;
  }
};

// ---- reading a program

class ProgramReader {
 public:
  ProgramReader(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(u8()) << (8 * i);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  // A value from `table`, or with the escape byte (0xff) 8 raw bytes.
  template <size_t N>
  int64_t pick(const int64_t (&table)[N]) {
    const uint8_t b = u8();
    if (b == 0xff) return i64();
    return table[b % N];
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

struct ProgramState {
  Timestamp now;
  uint64_t count = 0;
};

// Op codes (the op byte modulo kOps); the seed generator writes these.
enum ProgramOp : uint8_t {
  kOpNewOrder = 0,   // 0..9
  kOpCancel = 10,    // 10..11
  kOpReplace = 12,   // 12..13
  kOpMassCancel = 14,
  kOpDeposit = 15,
  kOpWithdraw = 16,
  kOpDeliveryReport = 17,
  kOpDispute = 18,
  kOpResolveDispute = 19,
  kOpAdvanceTime = 20,
  kOpRoutedOrder = 21,  // 21..22
  kOpHaltResume = 23,
  kOpReferencePrice = 24,
  kOpCapacity = 25,
  kOpFeesOrShares = 26,
  kOpListInstrument = 27,
  kOpAuctionOffer = 28,
  kOpAuctionBid = 29,
  kOpAuctionCancelOrOpen = 30,
  kOpClearAuction = 31,
  kOpCount = 32,
};

inline constexpr int64_t kTimeSteps[] = {0, 0, kNanosPerSecond, 17 * kNanosPerSecond, 5 * 60 * kNanosPerSecond,
                                         kNanosPerHour, 7 * kNanosPerHour, kNanosPerDay + 3 * kNanosPerHour};
inline constexpr int64_t kPrices[] = {180000, 181000, 179000, 185000, 175000, 190000, 170000, 200000,
                                      150000, 240000, 180037, 1500, 1600, 0, -100, 180000};
inline constexpr int64_t kQuantities[] = {1, 2, 3, 4, 5, 8, 10, 12, 16, 24, 40, 60, 61, 100, 0, -1, 500, 501, 1000};
inline constexpr int64_t kAmounts[] = {10'000, 1'000'000, 100'000'000, 5'000'000'000, 20'000'000'000, 0, -1,
                                       kMaxNotional, kMaxNotional - 1};
inline constexpr int64_t kBps[] = {0, 1, 5, 10, 30, 1000, 5000, 10000, 10001, -1};
inline constexpr int64_t kScuLimits[] = {1'820'000, 1'900'000, 2'000'000, 2'500'000, 5'000'000, 100'000'000, 0, 1};
inline constexpr int64_t kScus[] = {989, 1978, 9890, 148, 592, 20, 5, 100, 98900, 0};
inline constexpr int64_t kDataGb[] = {0, 0, 10, 100, 1000, 100000};
inline constexpr int64_t kLatencies[] = {-1, -1, 10, 20, 30, 0};

inline ParticipantId pick_participant(ProgramReader& in) { return kParticipantTable[in.u8() % 10]; }
inline InstrumentId pick_instrument(ProgramReader& in) {
  const uint8_t b = in.u8() % 12;
  return b < kInstruments ? b : b < 11 ? static_cast<InstrumentId>(kInstruments + (b - kInstruments)) : kNoInstrument;
}
inline ClOrdId next_cl_ord_id(ProgramState& s, char prefix) {
  ClOrdId id;
  id.assign(std::string(1, prefix) + std::to_string(++s.count));
  return id;
}

// An order the program knows of (or, now and then, an id nobody has); its owner or someone else.
inline std::pair<OrderId, ParticipantId> pick_order(ProgramReader& in, const KnownOrders& known) {
  const uint8_t b = in.u8();
  const uint8_t who = in.u8();
  if (known.ids.empty() || b == 0xff) return {1 + b, pick_participant(in)};
  const auto& [id, owner] = known.ids[known.ids.size() - 1 - (b % known.ids.size())];  // recent ones first
  return {id, who < 230 ? owner : kParticipantTable[who % 10]};
}

// A contract by index (oldest first), or an unknown trade id.
inline const persistence::Contract* pick_contract(ProgramReader& in, const persistence::Exchange& ex, TradeId& id) {
  const uint8_t b = in.u8();
  if (ex.contract_count() == 0 || b == 0xff) {
    id = 1 + b;
    return ex.contract(id);
  }
  auto it = ex.contracts().begin();
  std::advance(it, b % ex.contract_count());
  id = it->first;
  return &it->second;
}

inline Timestamp pick_auction_day(ProgramReader& in) {
  switch (in.u8() % 4) {
    case 0: return at("2026-12-02T00:00:00+08:00");
    case 1: return at("2026-12-01T00:00:00+08:00");
    case 2: return at("2026-12-03T00:00:00+08:00");
    default: return at("2026-12-02T01:00:00+08:00");  // not a day start
  }
}

inline RouteQuery pick_query(ProgramReader& in) {
  RouteQuery q;
  const uint8_t classes = in.u8(), regions = in.u8(), flags = in.u8();
  for (ChipClassId c = 0; c < 3; ++c)
    if (classes & (1 << c)) q.classes.push_back(c);
  if (classes & 0x80) q.classes.push_back(7);  // no such class
  if (q.classes.empty()) q.classes.push_back(0);
  for (RegionId r = 0; r < 3; ++r)
    if (regions & (1 << r)) q.regions.push_back(r);
  q.origin = static_cast<RegionId>((regions >> 3) % 4);  // 3: no such region
  q.max_latency_ms = kLatencies[(regions >> 5) % 6];
  q.local_only = flags & 1;
  if (flags & 2) q.jurisdictions = {"CN-NM", "CN-GZ"};
  if (flags & 4) q.jurisdictions.push_back("CN-JJJ");
  q.min_green_share = (flags & 8) ? 4500 : (flags & 16) ? 10001 : 0;
  q.data_gb = in.pick(kDataGb);
  q.scu = in.pick(kScus);
  q.limit_per_scu_hour = in.pick(kScuLimits);
  return q;
}

// The next command of the program.
inline Command next_command(ProgramReader& in, ProgramState& s, const persistence::Exchange& ex, const KnownOrders& known) {
  const uint8_t op = in.u8() % kOpCount;
  s.now += kTimeSteps[in.u8() % 8];
  const Timestamp now = s.now;
  if (op < kOpCancel) {
    NewOrder c;
    c.ts = now;
    const uint8_t flags = in.u8(), kind = in.u8();
    c.side = flags & 1 ? Side::Sell : Side::Buy;
    const uint8_t who = in.u8();
    c.participant = who < 200 ? (c.side == Side::Buy ? kBuyers[who % 3] : kSellers[who % 4]) : kParticipantTable[who % 10];
    c.instrument = pick_instrument(in);
    c.cl_ord_id = next_cl_ord_id(s, 'o');
    c.type = (kind & 7) == 7 ? OrderType::Market : OrderType::Limit;
    c.tif = static_cast<TimeInForce>((kind >> 3) % 5);
    c.stp = static_cast<SelfTradePrevention>((kind >> 6) & 3);
    c.post_only = flags & 2;
    c.price = c.type == OrderType::Limit ? in.pick(kPrices) : 0;
    c.qty = in.pick(kQuantities);
    if (c.tif == TimeInForce::GTD) c.expire_at = now + kTimeSteps[in.u8() % 8] - (flags & 4 ? kNanosPerHour : 0);
    return c;
  }
  switch (op) {
    case kOpCancel:
    case kOpCancel + 1: {
      auto [id, who] = pick_order(in, known);
      return CancelOrder{now, who, id, next_cl_ord_id(s, 'x')};
    }
    case kOpReplace:
    case kOpReplace + 1: {
      auto [id, who] = pick_order(in, known);
      ReplaceOrder c;
      c.ts = now;
      c.participant = who;
      c.order_id = id;
      const uint8_t form = in.u8();
      if (form & 1) c.price = in.pick(kPrices);
      if (form & 2) c.qty = in.pick(kQuantities);
      if (form & 4 || (c.price == 0 && c.qty == 0)) c.cl_ord_id = next_cl_ord_id(s, 'r');
      return c;
    }
    case kOpMassCancel: {
      MassCancel c;
      c.ts = now;
      c.participant = pick_participant(in);
      const uint8_t t = in.u8();
      c.target = t < 180 ? c.participant : t < 230 ? kNoParticipant : kParticipantTable[t % 10];
      c.instrument = in.u8() < 128 ? kNoInstrument : pick_instrument(in);
      return c;
    }
    case kOpDeposit:
    case kOpWithdraw: {
      const ParticipantId actor = in.u8() < 230 ? kOps : kB1;
      const ParticipantId who = pick_participant(in);
      const Money amount = in.pick(kAmounts);
      if (op == kOpDeposit) return Deposit{now, actor, who, amount};
      return Withdraw{now, actor, who, amount};
    }
    case kOpDeliveryReport:
    case kOpDispute:
    case kOpResolveDispute: {
      TradeId id = 0;
      const persistence::Contract* k = pick_contract(in, ex, id);
      const uint8_t who = in.u8(), how = in.u8();
      const int64_t total = k ? k->contracted_device_hours() : 10;
      int64_t delivered = how < 160 ? total : how < 250 ? (total * (how - 160)) / 90 : how == 250 ? total + 1 : how == 251 ? -1 : in.i64();
      if (op == kOpDeliveryReport) return DeliveryReport{now, k && who < 220 ? k->seller : kParticipantTable[who % 10], id, delivered};
      if (op == kOpDispute) return Dispute{now, k && who < 220 ? k->buyer : kParticipantTable[who % 10], id};
      return ResolveDispute{now, who < 230 ? kOps : kParticipantTable[who % 10], id, delivered};
    }
    case kOpAdvanceTime:
      s.now += static_cast<int64_t>(in.u8()) * 10 * 60 * kNanosPerSecond;  // up to 42 hours more
      return AdvanceTime{s.now};
    case kOpRoutedOrder:
    case kOpRoutedOrder + 1: {
      RoutedOrder c;
      c.ts = now;
      c.participant = in.u8() < 220 ? kBuyers[in.u8() % 3] : pick_participant(in);
      c.cl_ord_id = next_cl_ord_id(s, 'q');
      c.tif = in.u8() & 1 ? TimeInForce::FOK : TimeInForce::IOC;
      c.query = pick_query(in);
      switch (in.u8() % 4) {
        case 0:
        case 1: c.query.window_start = at("2026-12-01T00:00:00+08:00"); c.query.window_end = at("2026-12-02T00:00:00+08:00"); break;
        case 2: c.query.window_start = at("2026-12-01T10:00:00+08:00"); c.query.window_end = at("2026-12-01T11:00:00+08:00"); break;
        default: c.query.window_start = at("2026-12-02T00:00:00+08:00"); c.query.window_end = at("2026-12-03T00:00:00+08:00"); break;
      }
      return c;
    }
    case kOpHaltResume: {
      const uint8_t b = in.u8();
      return SetInstrumentState{now, b < 230 ? kOps : kB1, pick_instrument(in), b & 1 ? StateAction::Resume : StateAction::Halt};
    }
    case kOpReferencePrice: {
      const InstrumentId i = pick_instrument(in);
      return SetReferencePrice{now, kOps, i, in.pick(kPrices)};
    }
    case kOpCapacity: {
      RegisterCapacity c;
      c.ts = now;
      c.actor = kOps;
      const uint8_t b = in.u8(), when = in.u8();
      c.supplier = b < 230 ? kSellers[b % 4] : kParticipantTable[b % 10];
      static const char* kRegions[] = {"NM", "JJJ", "GZ", "XX"};
      static const char* kClasses[] = {"H100", "H20", "CPU", "H100"};
      c.region = kRegions[(b >> 2) & 3];
      c.chip_class = kClasses[(b >> 4) & 3];
      c.from = at("2026-11-30T00:00:00+08:00") + (when % 16) * 12 * kNanosPerHour;
      c.to = c.from + (1 + (when >> 4)) * 12 * kNanosPerHour;
      const int64_t devices = in.pick(kQuantities);
      c.devices = in.u8() & 1 ? -devices : devices;
      return c;
    }
    case kOpFeesOrShares: {
      const uint8_t b = in.u8();
      if (b & 1) return SetFees{now, b < 240 ? kOps : kB1, in.pick(kBps), in.pick(kBps)};
      SetRevenueShare c;
      c.ts = now;
      c.actor = kOps;
      c.supplier = kSellers[(b >> 1) % 4];
      const int64_t first = in.pick(kBps);
      c.shares.emplace_back(c.supplier, first);
      if (b & 0x10) c.shares.emplace_back(kHost, 10'000 - first);
      if (b & 0x20) c.shares.emplace_back(kCarrier, 0);
      return c;
    }
    case kOpListInstrument: {
      ListInstrument c;
      c.ts = now;
      c.actor = kOps;
      const uint8_t b = in.u8();
      c.symbol = kLaterSymbols[b % 6];
      static constexpr int64_t kTicks[] = {100, 1, 10000, 0, -100, 3};
      static constexpr int64_t kLots[] = {1, 2, 8, 0, -1, 1000};
      static constexpr int64_t kMaxQty[] = {500, 1, 1'000'000'000, 0, -5};
      static constexpr int64_t kBands[] = {3000, 0, 1, 10000, 100000, -1};
      static constexpr int64_t kGates[] = {kNanosPerHour, 0, kNanosPerDay * 3, kNanosPerDay * 366};
      c.rules.tick = in.pick(kTicks);
      c.rules.lot = in.pick(kLots);
      c.rules.max_order_qty = in.pick(kMaxQty);
      c.rules.price_band_bps = in.pick(kBands);
      c.rules.gate_closure_ns = kGates[(b >> 3) & 3];
      c.open_at = b & 0x20 ? now + kNanosPerHour : 0;
      return c;
    }
    case kOpAuctionOffer: {
      AuctionOffer c;
      c.ts = now;
      const uint8_t b = in.u8(), z = in.u8();
      c.participant = b < 220 ? kSellers[b % 4] : kParticipantTable[b % 10];
      c.cl_ord_id = next_cl_ord_id(s, 'a');
      c.day_start = pick_auction_day(in);
      c.region = static_cast<RegionId>(z % 4);
      c.chip_class = static_cast<ChipClassId>((z >> 2) % 4);
      c.hour = static_cast<int32_t>(in.u8() % 26) - 1;
      c.devices = in.pick(kQuantities);
      c.price = in.pick(kPrices);
      return c;
    }
    case kOpAuctionBid: {
      AuctionBid c;
      c.ts = now;
      const uint8_t b = in.u8();
      c.participant = b < 220 ? kBuyers[b % 3] : kParticipantTable[b % 10];
      c.cl_ord_id = next_cl_ord_id(s, 'b');
      c.day_start = pick_auction_day(in);
      const uint8_t h = in.u8();
      c.first_hour = static_cast<int32_t>(h % 26) - 1;
      c.hours = static_cast<int32_t>(in.u8() % 8);
      c.min_ratio_bps = in.pick(kBps);
      c.constraints = pick_query(in);
      c.constraints.window_start = c.day_start + c.first_hour * kNanosPerHour;
      c.constraints.window_end = c.day_start + (c.first_hour + std::max(c.hours, 1)) * kNanosPerHour;
      return c;
    }
    case kOpAuctionCancelOrOpen: {
      const uint8_t b = in.u8();
      const Timestamp day = pick_auction_day(in);
      if (b & 1) {
        const Timestamp gate = day - kNanosPerHour * static_cast<int64_t>(in.u8() % 40);
        return OpenAuction{now, b < 240 ? kOps : kB1, day, gate};
      }
      CancelAuctionOrder c;
      c.ts = now;
      c.day_start = day;
      const AuctionDay* d = ex.engine().auction(day);
      const uint8_t k = in.u8();
      if (d && !d->offers.empty() && (k & 1)) {
        const AuctionOfferRecord& o = d->offers[(k >> 1) % d->offers.size()];
        c.order_id = o.id;
        c.participant = b < 230 ? o.supplier : kParticipantTable[b % 10];
      } else if (d && !d->bids.empty()) {
        const AuctionBidRecord& x = d->bids[(k >> 1) % d->bids.size()];
        c.order_id = x.id;
        c.participant = b < 230 ? x.buyer : kParticipantTable[b % 10];
      } else {
        c.order_id = k;
        c.participant = pick_participant(in);
      }
      return c;
    }
    default: {  // kOpClearAuction: cancel the day, or a result built from its frozen input
      ClearAuction c;
      c.ts = now;
      const uint8_t b = in.u8();
      c.actor = b < 240 ? kOps : kParticipantTable[b % 10];
      c.day_start = pick_auction_day(in);
      const AuctionDay* d = ex.engine().auction(c.day_start);
      if (b & 1 || !d) {
        c.cancel = true;
        return c;
      }
      const AuctionInput& input = d->input;
      AuctionResult& r = c.result;
      r.zone_price.assign(input.zones.size() * kAuctionHours, 0);
      r.congestion.assign(input.links.size() * kAuctionHours, in.u8() < 200 ? 0 : 1'000'000);
      std::vector<int64_t> left(input.offers.size());
      for (size_t o = 0; o < input.offers.size(); ++o) left[o] = input.offers[o].devices;
      std::map<uint32_t, int64_t> accepted;
      for (uint32_t j = 0; j < input.blocks.size() && j < 16; ++j) {
        const AuctionBlockIn& x = input.blocks[j];
        const uint8_t choice = in.u8();
        if (x.routes.empty() || (choice & 3) == 0) continue;
        const AuctionRoute& route = x.routes[(choice >> 2) % x.routes.size()];
        const int64_t spd = input.zones[route.zone].scu_per_device;
        const int64_t most = std::min<int64_t>(x.scu_per_hour / spd, 1'000'000);
        if (most <= 0) continue;
        const int64_t devices = (choice & 3) == 3 ? most : 1 + (choice >> 4) % most;
        // Devices from the cheapest offers of the zone, every hour of the block, or no allocation.
        std::vector<int64_t> trial = left;
        std::map<uint32_t, int64_t> take;
        bool enough = true;
        for (int h = x.first_hour; h < x.first_hour + x.hours && enough; ++h) {
          std::vector<uint32_t> there;
          for (uint32_t o = 0; o < input.offers.size(); ++o)
            if (input.offers[o].zone == route.zone && input.offers[o].hour == h && trial[o] > 0) there.push_back(o);
          std::sort(there.begin(), there.end(), [&](uint32_t a, uint32_t b) { return input.offers[a].price < input.offers[b].price; });
          int64_t need = devices;
          for (uint32_t o : there) {
            const int64_t n = std::min(need, trial[o]);
            trial[o] -= n;
            take[o] += n;
            need -= n;
            if (need == 0) break;
          }
          enough = need == 0;
        }
        if (!enough) continue;
        left = trial;
        for (auto [o, n] : take) accepted[o] += n;
        r.allocations.push_back(AuctionAllocation{j, route.zone, devices});
      }
      // Prices: each zone-hour at least what covers its dearest accepted offer (a little more now and then).
      const uint8_t extra = in.u8();
      for (auto [o, n] : accepted) {
        const AuctionOfferIn& x = input.offers[o];
        const int64_t spd = input.zones[x.zone].scu_per_device;
        const int64_t cover = (x.price * kScale + spd - 1) / spd + (extra & 3);
        int64_t& zp = r.zone_price[static_cast<size_t>(x.zone) * kAuctionHours + x.hour];
        zp = std::max(zp, cover);
        r.acceptances.push_back(AuctionAcceptance{o, n});
      }
      if (extra & 0x80 && !input.blocks.empty()) r.paradoxically_rejected.push_back(static_cast<uint32_t>(input.blocks.size() - 1));
      return c;
    }
  }
}

// One line about a command, for failure messages.
inline std::string describe(const Command& command) {
  std::string out(to_string(kind_of(command)));
  std::visit(
      [&](const auto& c) {
        out += " ts=" + std::to_string(c.ts);
        if constexpr (requires { c.actor; }) out += " actor=" + std::to_string(c.actor);
        if constexpr (requires { c.participant + 0; }) out += " participant=" + std::to_string(c.participant);
        if constexpr (requires { c.instrument; }) out += " instrument=" + std::to_string(c.instrument);
        if constexpr (requires { c.order_id; }) out += " order=" + std::to_string(c.order_id);
        if constexpr (requires { c.trade_id; }) out += " trade=" + std::to_string(c.trade_id);
        if constexpr (requires { c.price; }) out += " price=" + std::to_string(c.price);
        if constexpr (requires { c.qty; }) out += " qty=" + std::to_string(c.qty);
        if constexpr (requires { c.amount; }) out += " amount=" + std::to_string(c.amount);
        if constexpr (requires { c.devices; }) out += " devices=" + std::to_string(c.devices);
        if constexpr (requires { c.delivered_device_hours; }) out += " delivered=" + std::to_string(c.delivered_device_hours);
      },
      command);
  return out;
}

}  // namespace cpx::fuzz
