// The JSON layer of docs/API.md: CommandDecoder (requests -> commands), JsonEventWriter (events -> lines),
// ClientOrderIds (cancel/replace by the client's own id) and the config loader, against a real engine.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/matching_engine.hpp"
#include "json/client_order_ids.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/event_codec.hpp"
#include "json/event_fanout.hpp"
#include "json/names.hpp"
#include "json/route_codec.hpp"
#include "small_stack.hpp"

namespace {

using namespace cpx;
using namespace cpx::api;

constexpr const char* kSym = "NM.H100.D.2026-12-01";
constexpr Timestamp kDefaultTs = 1'234'567'890;  // what decode() uses when the request has no "ts"

Timestamp iso(const char* text) {
  auto t = parse_iso_time(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

struct RejectCounter final : EventListener {
  void on_rejected(const OrderRejected& e) override {
    ++count;
    last = e.reason;
  }
  void on_admin(const AdminDone&) override { ++admin; }
  int count = 0;
  int admin = 0;
  RejectReason last{};
};

// A real engine with the project's reference data, two traders, an operator and one open instrument,
// at 2026-11-30T09:00+08:00. Every event also goes to ClientOrderIds and to a JsonEventWriter.
class CodecFixture : public ::testing::Test {
 protected:
  CodecFixture() : engine(fanout), names(engine), decoder(names, &ids), writer(names, out) {
    fanout.add(&ids);
    fanout.add(&rejects);
    fanout.add(&writer);
  }

  void SetUp() override {
    auto reqs = load_reference_requests(default_config_dir());
    ASSERT_TRUE(reqs) << reqs.error().text;
    run(R"({"cmd":"advance_time","ts":"2026-11-30T09:00:00+08:00"})");
    for (const std::string& r : *reqs) run(r);
    run(R"({"cmd":"add_participant","code":"SUP","name":"Supplier","kind":"cloud_vendor","roles":["trade_sell"]})");
    run(R"({"cmd":"add_participant","code":"BUY","kind":"buyer","roles":["trade_buy"]})");
    run(R"({"cmd":"add_participant","code":"OPS","kind":"exchange","roles":["operator"]})");
    run(R"({"cmd":"add_participant","code":"MM","kind":"cloud_vendor","roles":["trade_buy","trade_sell"]})");
    run(std::string(R"({"cmd":"list_instrument","symbol":")") + kSym + R"(","tick":"0.01","lot":1})");
    for (const char* who : {"SUP", "MM"}) {
      run(std::string(R"({"cmd":"register_capacity","supplier":")") + who +
          R"(","region":"NM","class":"H100","from":"2026-12-01","to":"2026-12-08","devices":64})");
    }
    run(R"({"cmd":"set_credit","target":"BUY","amount":"1000000"})");
    run(R"({"cmd":"set_credit","target":"MM","amount":"1000000"})");
    ASSERT_EQ(rejects.count, 0) << out;
    sup = engine.find_participant("SUP");
    buy = engine.find_participant("BUY");
    ops = engine.find_participant("OPS");
    mm = engine.find_participant("MM");
    inst = engine.find_instrument(kSym);
    ASSERT_NE(sup, kNoParticipant);
    ASSERT_NE(inst, kNoInstrument);
    out.clear();
  }

  // Decodes a request that must be valid.
  Command ok(std::string_view line) {
    auto r = decoder.decode(line, kDefaultTs);
    EXPECT_TRUE(r.ok()) << line << "\n  -> " << (r ? "" : r.error().text);
    return r ? *r : Command{AdvanceTime{-1}};
  }

  // Decodes a request that must be refused; the error must name something.
  DecodeError bad(std::string_view line) {
    auto r = decoder.decode(line, kDefaultTs);
    EXPECT_FALSE(r.ok()) << line << " decoded although it is malformed";
    if (r) return DecodeError{RejectReason::MalformedRequest, "<decoded>", "", ""};
    EXPECT_FALSE(r.error().text.empty()) << line;
    return r.error();
  }

  template <class T>
  T as(const Command& c) {
    const T* p = std::get_if<T>(&c);
    EXPECT_NE(p, nullptr) << "decoded into variant index " << c.index();
    return p ? *p : T{};
  }

  // Decodes (at engine time) and applies; returns the JSON events it produced.
  std::string run(std::string_view line) {
    size_t before = out.size();
    auto r = decoder.decode(line, engine.now());
    EXPECT_TRUE(r.ok()) << line << "\n  -> " << (r ? "" : r.error().text);
    if (r) engine.apply(*r);
    return out.substr(before);
  }

  std::string order(const char* who, const char* cl, const char* side, const char* price, int qty,
                    const char* extra = "") {
    std::string s = std::string(R"({"cmd":"new_order","participant":")") + who + R"(","symbol":")" + kSym +
                    R"(","side":")" + side + R"(","price":")" + price + R"(","qty":)" + std::to_string(qty);
    if (cl && *cl) s += std::string(R"(,"cl_ord_id":")") + cl + '"';
    s += extra;
    s += '}';
    return s;
  }

  EventFanout fanout;
  MatchingEngine engine;
  EngineNames names;
  ClientOrderIds ids;
  CommandDecoder decoder;
  RejectCounter rejects;
  std::string out;
  JsonEventWriter writer;
  ParticipantId sup = kNoParticipant, buy = kNoParticipant, ops = kNoParticipant, mm = kNoParticipant;
  InstrumentId inst = kNoInstrument;
};

using CodecDecode = CodecFixture;
using CodecErrors = CodecFixture;
using CodecClientIds = CodecFixture;
using CodecEvents = CodecFixture;
using CodecFuzz = CodecFixture;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// ------------------------------------------------------------------------------------------ decoding

TEST_F(CodecDecode, NewOrderAllFields) {
  auto c = as<NewOrder>(ok(
      R"({"cmd":"new_order","ts":"2026-11-30T10:00:00+08:00","participant":"BUY","cl_ord_id":"b-1",)"
      R"("symbol":"NM.H100.D.2026-12-01","side":"buy","type":"limit","tif":"gtd","stp":"decrement",)"
      R"("post_only":true,"price":"19.25","qty":4,"expire_at":"2026-11-30T18:00:00+08:00"})"));
  EXPECT_EQ(c.ts, iso("2026-11-30T10:00:00+08:00"));
  EXPECT_EQ(c.participant, buy);
  EXPECT_EQ(c.cl_ord_id.view(), "b-1");
  EXPECT_EQ(c.instrument, inst);
  EXPECT_EQ(c.side, Side::Buy);
  EXPECT_EQ(c.type, OrderType::Limit);
  EXPECT_EQ(c.tif, TimeInForce::GTD);
  EXPECT_EQ(c.stp, SelfTradePrevention::Decrement);
  EXPECT_TRUE(c.post_only);
  EXPECT_EQ(c.price, 192500);
  EXPECT_EQ(c.qty, 4);
  EXPECT_EQ(c.expire_at, iso("2026-11-30T18:00:00+08:00"));
}

TEST_F(CodecDecode, NewOrderDefaults) {
  auto c = as<NewOrder>(ok(R"({"cmd":"new_order","participant":"SUP","symbol":"NM.H100.D.2026-12-01",)"
                           R"("side":"sell","price":19,"qty":2})"));
  EXPECT_EQ(c.ts, kDefaultTs);
  EXPECT_EQ(c.participant, sup);
  EXPECT_TRUE(c.cl_ord_id.empty());
  EXPECT_EQ(c.side, Side::Sell);
  EXPECT_EQ(c.type, OrderType::Limit);
  EXPECT_EQ(c.tif, TimeInForce::GTC);
  EXPECT_EQ(c.stp, SelfTradePrevention::CancelNewest);
  EXPECT_FALSE(c.post_only);
  EXPECT_EQ(c.price, 190000);  // a JSON integer is a whole number of CNY
  EXPECT_EQ(c.expire_at, 0);
}

TEST_F(CodecDecode, MarketOrderDefaultsToIocAndNeedsNoPrice) {
  auto c = as<NewOrder>(ok(R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01",)"
                           R"("side":"buy","type":"market","qty":3})"));
  EXPECT_EQ(c.type, OrderType::Market);
  EXPECT_EQ(c.tif, TimeInForce::IOC);
  EXPECT_EQ(c.price, 0);
  auto f = as<NewOrder>(ok(R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01",)"
                           R"("side":"buy","type":"market","tif":"fok","price":"bad but ignored","qty":3})"));
  EXPECT_EQ(f.tif, TimeInForce::FOK);
  EXPECT_EQ(f.price, 0);
}

TEST_F(CodecDecode, EveryTifAndStpName) {
  const std::pair<const char*, TimeInForce> tifs[] = {{"gtc", TimeInForce::GTC}, {"day", TimeInForce::DAY},
                                                      {"gtd", TimeInForce::GTD}, {"ioc", TimeInForce::IOC},
                                                      {"fok", TimeInForce::FOK}};
  for (auto [name, tif] : tifs) {
    auto c = as<NewOrder>(ok(order("BUY", "x", "buy", "1", 1, (std::string(R"(,"tif":")") + name + '"').c_str())));
    EXPECT_EQ(c.tif, tif) << name;
  }
  const std::pair<const char*, SelfTradePrevention> stps[] = {
      {"cancel_newest", SelfTradePrevention::CancelNewest}, {"cancel_oldest", SelfTradePrevention::CancelOldest},
      {"cancel_both", SelfTradePrevention::CancelBoth}, {"decrement", SelfTradePrevention::Decrement}};
  for (auto [name, stp] : stps) {
    auto c = as<NewOrder>(ok(order("BUY", "x", "buy", "1", 1, (std::string(R"(,"stp":")") + name + '"').c_str())));
    EXPECT_EQ(c.stp, stp) << name;
  }
}

TEST_F(CodecDecode, TimesAsIsoWithZoneOrIntegerNanos) {
  EXPECT_EQ(as<AdvanceTime>(ok(R"({"cmd":"advance_time","ts":"2026-12-01T06:00:00Z"})")).ts,
            iso("2026-12-01T14:00:00+08:00"));
  EXPECT_EQ(as<AdvanceTime>(ok(R"({"cmd":"advance_time","ts":"2026-12-01"})")).ts,
            iso("2026-12-01T00:00:00+08:00"));  // a bare date is midnight CST
  EXPECT_EQ(as<AdvanceTime>(ok(R"({"cmd":"advance_time","ts":1764547200000000000})")).ts,
            1764547200000000000);
  EXPECT_EQ(as<AdvanceTime>(ok(R"({"cmd":"advance_time","ts":"2026-12-01T14:00:00.5+08:00"})")).ts,
            iso("2026-12-01T14:00:00+08:00") + kNanosPerSecond / 2);
}

TEST_F(CodecDecode, CancelByOrderIdOrClientId) {
  auto c = as<CancelOrder>(ok(R"({"cmd":"cancel","participant":"SUP","order_id":77,"cl_ord_id":"c-9"})"));
  EXPECT_EQ(c.participant, sup);
  EXPECT_EQ(c.order_id, 77u);
  EXPECT_EQ(c.cl_ord_id.view(), "c-9");  // the cancel request's own id

  run(order("SUP", "s1", "sell", "20.00", 2));
  OrderId id = ids.find(sup, "s1");
  ASSERT_NE(id, 0u);
  auto d = as<CancelOrder>(ok(R"({"cmd":"cancel","participant":"SUP","orig_cl_ord_id":"s1"})"));
  EXPECT_EQ(d.order_id, id);
  // order_id wins over orig_cl_ord_id when both are given.
  auto e = as<CancelOrder>(ok(R"({"cmd":"cancel","participant":"SUP","order_id":5,"orig_cl_ord_id":"s1"})"));
  EXPECT_EQ(e.order_id, 5u);
}

TEST_F(CodecDecode, ReplaceFields) {
  auto c = as<ReplaceOrder>(
      ok(R"({"cmd":"replace","participant":"BUY","order_id":3,"price":"18.75","qty":10,"cl_ord_id":"b-2"})"));
  EXPECT_EQ(c.participant, buy);
  EXPECT_EQ(c.order_id, 3u);
  EXPECT_EQ(c.price, 187500);
  EXPECT_EQ(c.qty, 10);  // the new total quantity, filled included
  EXPECT_EQ(c.cl_ord_id.view(), "b-2");
  auto q = as<ReplaceOrder>(ok(R"({"cmd":"replace","participant":"BUY","order_id":3,"qty":4})"));
  EXPECT_EQ(q.price, 0);  // 0 keeps the price
  EXPECT_EQ(q.qty, 4);
  auto p = as<ReplaceOrder>(ok(R"({"cmd":"replace","participant":"BUY","order_id":3,"price":"18"})"));
  EXPECT_EQ(p.qty, 0);  // 0 keeps the quantity
  auto n = as<ReplaceOrder>(ok(R"({"cmd":"replace","participant":"BUY","order_id":3,"cl_ord_id":"new"})"));
  EXPECT_EQ(n.cl_ord_id.view(), "new");

  run(order("BUY", "b1", "buy", "15.00", 4));
  auto o = as<ReplaceOrder>(ok(R"({"cmd":"replace","participant":"BUY","orig_cl_ord_id":"b1","qty":3})"));
  EXPECT_EQ(o.order_id, ids.find(buy, "b1"));
}

TEST_F(CodecDecode, MassCancelTargets) {
  auto self = as<MassCancel>(ok(R"({"cmd":"mass_cancel","participant":"BUY"})"));
  EXPECT_EQ(self.participant, buy);
  EXPECT_EQ(self.target, buy);  // absent: yourself
  EXPECT_EQ(self.instrument, kNoInstrument);
  auto all = as<MassCancel>(ok(R"({"cmd":"mass_cancel","participant":"OPS","target":"*"})"));
  EXPECT_EQ(all.participant, ops);
  EXPECT_EQ(all.target, kNoParticipant);  // everyone
  auto one = as<MassCancel>(
      ok(R"({"cmd":"mass_cancel","participant":"OPS","target":"SUP","symbol":"NM.H100.D.2026-12-01"})"));
  EXPECT_EQ(one.target, sup);
  EXPECT_EQ(one.instrument, inst);
}

TEST_F(CodecDecode, AddRegion) {
  auto c = as<AddRegion>(ok(R"({"cmd":"add_region","code":"XJ","name":"Xinjiang","side":"west",)"
                            R"("jurisdiction":"CN-XJ","power_price_cny_per_kwh":"0.28","green_share":"0.6","pue":"1.2"})"));
  EXPECT_EQ(c.actor, kExchangeParticipant);  // admin commands default to EXCH
  EXPECT_EQ(c.ts, kDefaultTs);
  EXPECT_EQ(c.region.code, "XJ");
  EXPECT_EQ(c.region.name, "Xinjiang");
  EXPECT_EQ(c.region.side, RegionSide::West);
  EXPECT_EQ(c.region.jurisdiction, "CN-XJ");
  EXPECT_EQ(c.region.power_price, 2800);
  EXPECT_EQ(c.region.green_share, 6000);
  EXPECT_EQ(c.region.pue, 12000);
  auto by_ops = as<AddRegion>(ok(R"({"cmd":"add_region","participant":"OPS","code":"XJ","name":"X","side":"east",)"
                                 R"("jurisdiction":"CN","power_price_cny_per_kwh":1,"green_share":0})"));
  EXPECT_EQ(by_ops.actor, ops);
  EXPECT_EQ(by_ops.region.pue, 0);
  // Residency lists name jurisdictions of at most 32 bytes: a region's may be no longer.
  const auto long_name = bad(R"({"cmd":"add_region","code":"XJ","name":"X","side":"east","jurisdiction":")" +
                             std::string(33, 'J') + R"(","power_price_cny_per_kwh":"1","green_share":"0"})");
  EXPECT_EQ(long_name.reason, RejectReason::InvalidValue);
  EXPECT_EQ(long_name.text, R"(field "jurisdiction" must be 1 to 32 bytes)");
}

TEST_F(CodecDecode, AddChipClass) {
  auto c = as<AddChipClass>(ok(R"({"cmd":"add_chip_class","code":"B200","family":"ai","device":"1 GPU",)"
                               R"("memory_gb":192,"interconnect":"NVLink 5","scu_per_device":2250})"));
  EXPECT_EQ(c.actor, kExchangeParticipant);
  EXPECT_EQ(c.chip_class.code, "B200");
  EXPECT_EQ(c.chip_class.family, ChipFamily::AI);
  EXPECT_EQ(c.chip_class.device, "1 GPU");
  EXPECT_EQ(c.chip_class.memory_gb, 192);
  EXPECT_EQ(c.chip_class.interconnect, "NVLink 5");
  EXPECT_EQ(c.chip_class.scu_per_device, 2250);
  auto g = as<AddChipClass>(
      ok(R"({"cmd":"add_chip_class","code":"CPU-Y","family":"general","device":"node","scu_per_device":4})"));
  EXPECT_EQ(g.chip_class.family, ChipFamily::General);
  EXPECT_EQ(g.chip_class.memory_gb, 0);
  EXPECT_EQ(g.chip_class.interconnect, "");
}

TEST_F(CodecDecode, AddParticipant) {
  auto c = as<AddParticipant>(ok(R"({"cmd":"add_participant","code":"CT","name":"China Telecom","kind":"carrier",)"
                                 R"("roles":["carrier","read_only","operator","trade_buy","trade_sell"],)"
                                 R"("max_open_orders":50,"max_order_qty":500})"));
  EXPECT_EQ(c.actor, kExchangeParticipant);
  EXPECT_EQ(c.participant.code, "CT");
  EXPECT_EQ(c.participant.name, "China Telecom");
  EXPECT_EQ(c.participant.kind, ParticipantKind::Carrier);
  EXPECT_EQ(c.participant.roles, kRoleCarrier | kRoleReadOnly | kRoleOperator | kRoleTradeBuy | kRoleTradeSell);
  EXPECT_EQ(c.participant.limits.max_open_orders, 50);
  EXPECT_EQ(c.participant.limits.max_order_qty, 500);
  auto d = as<AddParticipant>(ok(R"({"cmd":"add_participant","code":"SO","kind":"state_operator","roles":[]})"));
  EXPECT_EQ(d.participant.name, "SO");  // name defaults to the code
  EXPECT_EQ(d.participant.kind, ParticipantKind::StateOperator);
  EXPECT_EQ(d.participant.roles, 0);
  EXPECT_EQ(d.participant.limits.max_open_orders, ParticipantLimits{}.max_open_orders);
  EXPECT_EQ(d.participant.limits.max_order_qty, ParticipantLimits{}.max_order_qty);
}

TEST_F(CodecDecode, ListInstrument) {
  auto c = as<ListInstrument>(ok(R"({"cmd":"list_instrument","symbol":"GZ.ASC910B.W.2026-W49","tick":"0.05",)"
                                 R"("lot":2,"max_order_qty":300,"price_band_pct":"12.5","gate_closure_minutes":30,)"
                                 R"("open_at":"2026-11-30T12:00:00+08:00"})"));
  EXPECT_EQ(c.actor, kExchangeParticipant);
  EXPECT_EQ(c.symbol, "GZ.ASC910B.W.2026-W49");
  EXPECT_EQ(c.rules.tick, 500);
  EXPECT_EQ(c.rules.lot, 2);
  EXPECT_EQ(c.rules.max_order_qty, 300);
  EXPECT_EQ(c.rules.price_band_bps, 1250);
  EXPECT_EQ(c.rules.gate_closure_ns, 30 * 60 * kNanosPerSecond);
  EXPECT_EQ(c.open_at, iso("2026-11-30T12:00:00+08:00"));
  auto d = as<ListInstrument>(ok(R"({"cmd":"list_instrument","symbol":"JJJ.H100.H.2026-12-01T14"})"));
  const InstrumentRules defaults;
  EXPECT_EQ(d.rules.tick, defaults.tick);
  EXPECT_EQ(d.rules.lot, defaults.lot);
  EXPECT_EQ(d.rules.max_order_qty, defaults.max_order_qty);
  EXPECT_EQ(d.rules.price_band_bps, 3000);
  EXPECT_EQ(d.rules.gate_closure_ns, kNanosPerHour);
  EXPECT_EQ(d.open_at, 0);
  EXPECT_EQ(as<ListInstrument>(ok(R"({"cmd":"list_instrument","symbol":"CY.A100.M.2027-01","price_band_pct":0})"))
                .rules.price_band_bps,
            0);
}

TEST_F(CodecDecode, HaltAndResume) {
  auto h = as<SetInstrumentState>(ok(R"({"cmd":"halt","symbol":"NM.H100.D.2026-12-01"})"));
  EXPECT_EQ(h.action, StateAction::Halt);
  EXPECT_EQ(h.instrument, inst);
  EXPECT_EQ(h.actor, kExchangeParticipant);
  auto r = as<SetInstrumentState>(ok(R"({"cmd":"resume","participant":"OPS","symbol":"NM.H100.D.2026-12-01"})"));
  EXPECT_EQ(r.action, StateAction::Resume);
  EXPECT_EQ(r.actor, ops);
}

TEST_F(CodecDecode, RegisterCapacity) {
  auto c = as<RegisterCapacity>(ok(R"({"cmd":"register_capacity","supplier":"SUP","region":"GZ","class":"ASC910B",)"
                                   R"("from":"2026-12-01T00:00:00+08:00","to":"2026-12-08","devices":-16})"));
  EXPECT_EQ(c.actor, kExchangeParticipant);
  EXPECT_EQ(c.supplier, sup);
  EXPECT_EQ(c.region, "GZ");
  EXPECT_EQ(c.chip_class, "ASC910B");
  EXPECT_EQ(c.from, iso("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(c.to, iso("2026-12-08T00:00:00+08:00"));
  EXPECT_EQ(c.devices, -16);  // negative deregisters
}

TEST_F(CodecDecode, SetCreditAndReferencePrice) {
  auto c = as<SetCredit>(ok(R"({"cmd":"set_credit","target":"BUY","amount":"2500.5"})"));
  EXPECT_EQ(c.actor, kExchangeParticipant);
  EXPECT_EQ(c.participant, buy);
  EXPECT_EQ(c.limit, 25005000);
  auto r = as<SetReferencePrice>(
      ok(R"({"cmd":"set_reference_price","participant":"OPS","symbol":"NM.H100.D.2026-12-01","price":"18.4"})"));
  EXPECT_EQ(r.actor, ops);
  EXPECT_EQ(r.instrument, inst);
  EXPECT_EQ(r.price, 184000);
}

TEST_F(CodecDecode, DecimalForms) {
  auto price = [&](const char* p) {
    return as<NewOrder>(ok(std::string(R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01",)"
                                       R"("side":"buy","qty":1,"price":)") + p + "}")).price;
  };
  EXPECT_EQ(price(R"("12")"), 120000);
  EXPECT_EQ(price(R"("12.5")"), 125000);
  EXPECT_EQ(price(R"("0.0001")"), 1);
  EXPECT_EQ(price(R"("19.1234")"), 191234);
  EXPECT_EQ(price("7"), 70000);
  EXPECT_EQ(price(R"("-1")"), -10000);  // the decoder keeps the sign; the engine rejects it (invalid_price)
}

// ------------------------------------------------------------------------------------------ errors

TEST_F(CodecErrors, NotJsonNotObjectNoCmd) {
  for (const char* line : {"", "{", "nonsense", R"({"cmd":"new_order",})", "{'cmd':'x'}"}) {
    auto e = bad(line);
    EXPECT_EQ(e.reason, RejectReason::MalformedRequest) << line;
    EXPECT_EQ(e.text, "not valid JSON") << line;
  }
  for (const char* line : {"[1,2]", "42", R"("new_order")", "null", "true"}) {
    auto e = bad(line);
    EXPECT_EQ(e.reason, RejectReason::MalformedRequest) << line;
    EXPECT_EQ(e.text, "a request must be a JSON object") << line;
  }
  auto missing = bad(R"({"participant":"BUY"})");
  EXPECT_EQ(missing.reason, RejectReason::MalformedRequest);
  EXPECT_EQ(missing.text, R"(field "cmd" is required)");
  EXPECT_EQ(bad(R"({"cmd":null})").text, R"(field "cmd" is required)");
  EXPECT_EQ(bad(R"({"cmd":7})").text, R"(field "cmd" must be a string)");
  auto unknown = bad(R"({"cmd":"buy_everything","participant":"BUY"})");
  EXPECT_EQ(unknown.reason, RejectReason::MalformedRequest);
  EXPECT_EQ(unknown.text, "unknown cmd 'buy_everything'");
  EXPECT_EQ(unknown.cmd, "buy_everything");
}

TEST_F(CodecErrors, WrongTypesNameTheField) {
  struct Case {
    const char* extra;  // replaces fields of a valid new_order
    const char* field;
  };
  const Case cases[] = {
      {R"("participant":5)", "\"participant\""},
      {R"("cl_ord_id":12)", "\"cl_ord_id\""},
      {R"("symbol":["NM"])", "\"symbol\""},
      {R"("side":1)", "\"side\""},
      {R"("side":"long")", "\"side\""},
      {R"("type":"stop")", "\"type\""},
      {R"("tif":"gtx")", "\"tif\""},
      {R"("stp":"none")", "\"stp\""},
      {R"("post_only":"yes")", "\"post_only\""},
      {R"("price":true)", "\"price\""},
      {R"("qty":"5")", "\"qty\""},
      {R"("qty":5.0)", "\"qty\""},
      {R"("expire_at":"2026-11-30T18:00:00")", "\"expire_at\""},  // no zone
      {R"("expire_at":-1)", "\"expire_at\""},
      {R"("ts":"yesterday")", "\"ts\""},
  };
  for (const Case& c : cases) {
    nlohmann::json req = nlohmann::json::parse(order("BUY", "b1", "buy", "19", 1));
    nlohmann::json patch = nlohmann::json::parse(std::string("{") + c.extra + "}");
    req.update(patch);
    auto e = bad(req.dump());
    EXPECT_EQ(e.reason, RejectReason::MalformedRequest) << c.extra;
    EXPECT_TRUE(contains(e.text, c.field)) << c.extra << " -> " << e.text;
    EXPECT_EQ(e.cmd, "new_order");
  }
  EXPECT_EQ(bad(R"({"cmd":"add_participant","code":"X","kind":"buyer","roles":"trade_buy"})").text,
            R"(field "roles" must be an array of strings)");
  EXPECT_TRUE(contains(bad(R"({"cmd":"add_participant","code":"X","kind":"buyer","roles":["boss"]})").text,
                       "each role must be one of"));
  EXPECT_TRUE(contains(bad(R"({"cmd":"add_participant","code":"X","kind":"king","roles":[]})").text, "\"kind\""));
  EXPECT_TRUE(contains(bad(R"({"cmd":"add_chip_class","code":"X","family":"quantum","device":"q","scu_per_device":1})").text,
                       "\"family\""));
  EXPECT_TRUE(contains(bad(R"({"cmd":"mass_cancel","participant":"BUY","target":3})").text, "\"target\""));
}

TEST_F(CodecErrors, MissingRequiredFields) {
  struct Case {
    const char* line;
    const char* field;
  };
  const Case cases[] = {
      {R"({"cmd":"new_order","symbol":"NM.H100.D.2026-12-01","side":"buy","price":"1","qty":1})", "participant"},
      {R"({"cmd":"new_order","participant":"BUY","side":"buy","price":"1","qty":1})", "symbol"},
      {R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01","price":"1","qty":1})", "side"},
      {R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01","side":"buy","qty":1})", "price"},
      {R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01","side":"buy","price":"1"})", "qty"},
      {R"({"cmd":"cancel","order_id":1})", "participant"},
      {R"({"cmd":"mass_cancel"})", "participant"},
      {R"({"cmd":"add_region","name":"n","side":"east","jurisdiction":"j","power_price_cny_per_kwh":"1","green_share":"0"})", "code"},
      {R"({"cmd":"add_region","code":"XJ","name":"n","jurisdiction":"j","power_price_cny_per_kwh":"1","green_share":"0"})", "side"},
      {R"({"cmd":"add_region","code":"XJ","name":"n","side":"east","jurisdiction":"j","green_share":"0"})", "power_price_cny_per_kwh"},
      {R"({"cmd":"add_chip_class","code":"X","family":"ai","device":"1 GPU"})", "scu_per_device"},
      {R"({"cmd":"add_participant","code":"X","kind":"buyer"})", "roles"},
      {R"({"cmd":"add_participant","code":"X","roles":[]})", "kind"},
      {R"({"cmd":"list_instrument"})", "symbol"},
      {R"({"cmd":"halt"})", "symbol"},
      {R"({"cmd":"register_capacity","region":"NM","class":"H100","from":"2026-12-01","to":"2026-12-02","devices":1})", "supplier"},
      {R"({"cmd":"register_capacity","supplier":"SUP","region":"NM","class":"H100","from":"2026-12-01","devices":1})", "to"},
      {R"({"cmd":"set_credit","amount":"1"})", "target"},
      {R"({"cmd":"set_credit","target":"BUY"})", "amount"},
      {R"({"cmd":"set_reference_price","symbol":"NM.H100.D.2026-12-01"})", "price"},
      {R"({"cmd":"advance_time"})", "ts"},
  };
  for (const Case& c : cases) {
    auto e = bad(c.line);
    EXPECT_EQ(e.reason, RejectReason::MalformedRequest) << c.line;
    EXPECT_EQ(e.text, std::string("field \"") + c.field + "\" is required") << c.line;
  }
  auto none = bad(R"({"cmd":"cancel","participant":"SUP"})");
  EXPECT_EQ(none.text, R"(give "order_id" or "orig_cl_ord_id")");
  auto nothing = bad(R"({"cmd":"replace","participant":"SUP","order_id":1})");
  EXPECT_EQ(nothing.text, R"(a replace needs "price", "qty" or a new "cl_ord_id")");
}

TEST_F(CodecErrors, DecimalsMustBeStringsOrIntegersWithAtMostFourPlaces) {
  const char* bad_prices[] = {"19.5", "1e3", R"("19.12345")", R"("1e3")", R"("12,5")", R"("")", R"("abc")",
                              R"("1.2.3")", R"("99999999999999999999")", "99999999999999999999"};
  for (const char* p : bad_prices) {
    auto e = bad(std::string(R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01",)"
                             R"("side":"buy","qty":1,"cl_ord_id":"p1","price":)") + p + "}");
    EXPECT_EQ(e.reason, RejectReason::MalformedRequest) << p;
    EXPECT_EQ(e.text, R"(field "price" must be a decimal string with at most 4 decimals, like "12.50")") << p;
    EXPECT_EQ(e.cl_ord_id, "p1") << p;  // echoed for the error event
  }
  auto amount = bad(R"({"cmd":"set_credit","target":"BUY","amount":100.25})");
  EXPECT_TRUE(contains(amount.text, "\"amount\"")) << amount.text;
  // price_band_pct has two decimals.
  EXPECT_EQ(as<ListInstrument>(ok(R"({"cmd":"list_instrument","symbol":"NX.H20.D.2026-12-03","price_band_pct":"12.34"})"))
                .rules.price_band_bps,
            1234);
  auto band = bad(R"({"cmd":"list_instrument","symbol":"NX.H20.D.2026-12-03","price_band_pct":"12.345"})");
  EXPECT_EQ(band.text, R"(field "price_band_pct" must be a decimal string with at most 2 decimals, like "12.50")");
}

TEST_F(CodecErrors, ClientOrderIdAtMost32Bytes) {
  std::string id32(32, 'a');
  EXPECT_EQ(as<NewOrder>(ok(order("BUY", id32.c_str(), "buy", "1", 1))).cl_ord_id.view(), id32);
  std::string id33(33, 'a');
  auto e = bad(order("BUY", id33.c_str(), "buy", "1", 1));
  EXPECT_EQ(e.reason, RejectReason::MalformedRequest);
  EXPECT_EQ(e.text, R"(field "cl_ord_id" must be at most 32 bytes with no NUL character)");
  // Ids are stored zero-padded, so a NUL inside one is refused rather than silently cut short.
  EXPECT_EQ(bad(R"({"cmd":"new_order","participant":"BUY","symbol":"NM.H100.D.2026-12-01","side":"buy",)"
                R"("price":"1","qty":1,"cl_ord_id":"a\u0000b"})").reason,
            RejectReason::MalformedRequest);
  // Bytes, not characters: 11 three-byte characters are 33 bytes.
  std::string cjk;
  for (int i = 0; i < 11; ++i) cjk += "\xe7\xae\x97";  // 算
  EXPECT_TRUE(contains(bad(order("BUY", cjk.c_str(), "buy", "1", 1)).text, "\"cl_ord_id\""));
  auto r = bad(std::string(R"({"cmd":"replace","participant":"BUY","order_id":1,"cl_ord_id":")") + id33 + "\"}");
  EXPECT_TRUE(contains(r.text, "\"cl_ord_id\""));
}

TEST_F(CodecErrors, OversizedLine) {
  // Exactly the limit is fine (padding with JSON whitespace).
  std::string base = order("BUY", "b1", "buy", "1", 1);
  std::string at_limit = base + std::string(CommandDecoder::kMaxLineBytes - base.size(), ' ');
  ASSERT_EQ(at_limit.size(), 64u * 1024u);
  ok(at_limit);
  std::string over = at_limit + " ";
  auto e = bad(over);
  EXPECT_EQ(e.reason, RejectReason::MalformedRequest);
  EXPECT_EQ(e.text, "request is 65537 bytes; the limit is 65536");
  std::string huge(1 << 20, 'x');
  EXPECT_EQ(bad(huge).reason, RejectReason::MalformedRequest);
}

TEST_F(CodecErrors, SymbolParticipantAndOrderLookups) {
  auto sym = [&](const char* s) {
    return bad(std::string(R"({"cmd":"new_order","participant":"BUY","side":"buy","price":"1","qty":1,"symbol":")") +
               s + "\"}");
  };
  for (const char* s : {"broken", "NM.H100.X.2026-12-01", "NM.H100.D.2026-13-01", "nm.H100.D.2026-12-01",
                        "NM.H100.W.2026-W54", "NM.H100.H.2026-12-01T24", "NM.H100.D.2026-12-01.X"}) {
    auto e = sym(s);
    EXPECT_EQ(e.reason, RejectReason::BadSymbol) << s << " -> " << e.text;
    EXPECT_FALSE(e.text.empty());
  }
  auto unlisted = sym("NM.H100.D.2026-12-02");
  EXPECT_EQ(unlisted.reason, RejectReason::UnknownInstrument);
  EXPECT_EQ(unlisted.text, "instrument 'NM.H100.D.2026-12-02' is not listed");
  // list_instrument checks the grammar itself (the instrument does not exist yet).
  EXPECT_EQ(bad(R"({"cmd":"list_instrument","symbol":"NM.H100"})").reason, RejectReason::BadSymbol);
  EXPECT_EQ(bad(R"({"cmd":"halt","symbol":"NM.H100.M.2027-01"})").reason, RejectReason::UnknownInstrument);

  auto who = bad(R"({"cmd":"new_order","participant":"NOBODY","symbol":"NM.H100.D.2026-12-01","side":"buy","price":"1","qty":1})");
  EXPECT_EQ(who.reason, RejectReason::UnknownParticipant);
  EXPECT_EQ(who.text, "participant 'NOBODY' is not known");
  EXPECT_EQ(bad(R"({"cmd":"set_credit","participant":"GHOST","target":"BUY","amount":"1"})").reason,
            RejectReason::UnknownParticipant);
  EXPECT_EQ(bad(R"({"cmd":"set_credit","target":"GHOST","amount":"1"})").reason, RejectReason::UnknownParticipant);
  EXPECT_EQ(bad(R"({"cmd":"mass_cancel","participant":"OPS","target":"GHOST"})").reason,
            RejectReason::UnknownParticipant);
  EXPECT_EQ(bad(R"({"cmd":"register_capacity","supplier":"GHOST","region":"NM","class":"H100","from":"2026-12-01","to":"2026-12-02","devices":1})")
                .reason,
            RejectReason::UnknownParticipant);

  auto cancel = bad(R"({"cmd":"cancel","participant":"SUP","orig_cl_ord_id":"never-sent","cl_ord_id":"c1"})");
  EXPECT_EQ(cancel.reason, RejectReason::UnknownOrder);
  EXPECT_EQ(cancel.text, "no open order has client id 'never-sent'");
  EXPECT_EQ(cancel.cmd, "cancel");
  EXPECT_EQ(cancel.cl_ord_id, "c1");
  EXPECT_EQ(bad(R"({"cmd":"replace","participant":"SUP","orig_cl_ord_id":"never-sent","qty":2})").reason,
            RejectReason::UnknownOrder);
  // Client ids belong to one participant: BUY cannot reach SUP's "s1".
  run(order("SUP", "s1", "sell", "20.00", 2));
  EXPECT_EQ(bad(R"({"cmd":"cancel","participant":"BUY","orig_cl_ord_id":"s1"})").reason, RejectReason::UnknownOrder);
  // Without a ClientOrderIds table, orig_cl_ord_id can never be resolved.
  CommandDecoder plain(names);
  auto r = plain.decode(R"({"cmd":"cancel","participant":"SUP","orig_cl_ord_id":"s1"})", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, RejectReason::UnknownOrder);
}

TEST_F(CodecErrors, FirstProblemWins) {
  // The participant is read before the symbol and the price.
  auto e = bad(R"({"cmd":"new_order","participant":"NOBODY","symbol":"bad","side":"x","price":1.5,"qty":"q"})");
  EXPECT_EQ(e.reason, RejectReason::UnknownParticipant);
  auto f = bad(R"({"cmd":"new_order","participant":"BUY","symbol":"bad","side":"x","price":1.5,"qty":"q"})");
  EXPECT_EQ(f.reason, RejectReason::BadSymbol);
}

TEST_F(CodecErrors, GateClosureMinutesRange) {
  // gate_closure_minutes * 60e9 must not overflow int64: the decoder accepts 0 to one year of minutes.
  auto gate = [&](const char* minutes) {
    return decoder.decode(std::string(R"({"cmd":"list_instrument","symbol":"NX.H20.D.2026-12-03","gate_closure_minutes":)") +
                              minutes + "}",
                          kDefaultTs);
  };
  for (const char* m : {"0", "527040"}) {
    auto r = gate(m);
    ASSERT_TRUE(r.ok()) << m << " -> " << r.error().text;
    EXPECT_EQ(std::get<ListInstrument>(*r).rules.gate_closure_ns, std::stoll(m) * 60 * kNanosPerSecond);
  }
  for (const char* m : {"-1", "527041", "9223372036854775807"}) {
    auto r = gate(m);
    ASSERT_FALSE(r.ok()) << m << " decoded with gate_closure_ns = "
                         << std::get<ListInstrument>(*r).rules.gate_closure_ns;
    EXPECT_EQ(r.error().reason, RejectReason::InvalidValue) << m;
    EXPECT_TRUE(contains(r.error().text, "\"gate_closure_minutes\"")) << r.error().text;
  }
  auto frac = gate("1.5");
  ASSERT_FALSE(frac.ok());
  EXPECT_EQ(frac.error().text, R"(field "gate_closure_minutes" must be an integer)");
}

TEST_F(CodecErrors, DeepNestingIsAnErrorNotACrash) {
  const size_t depth = CommandDecoder::kMaxLineBytes / 2;
  EXPECT_EQ(bad(std::string(CommandDecoder::kMaxLineBytes, '[')).text, "not valid JSON");
  EXPECT_EQ(bad(std::string(depth, '[') + std::string(depth, ']')).text, "a request must be a JSON object");
  std::string prefix = R"({"cmd":"advance_time","ts":"2026-11-30T10:00:00+08:00","x":)";
  size_t n = (CommandDecoder::kMaxLineBytes - prefix.size() - 1) / 2;
  std::string nested = prefix + std::string(n, '[') + std::string(n, ']') + "}";
  ok(nested);  // unknown fields are ignored
}

// Nesting is read in place, never copied or written out whole: an auction bid's route constraints used to
// copy the request (a recursion per level: cpx-replay and cpxd's engine thread overflowed their stack under
// ASan with 30,000 levels), and an unknown chip class or region was written into its error with dump() (the
// same recursion). On a 256 KiB stack both crashed without the fix.
TEST_F(CodecErrors, DeepNestingInRouteFieldsIsReadInPlace) {
  const size_t n = 30'000;
  const std::string deep = std::string(n, '[') + std::string(n, ']');
  const std::string bid = R"({"cmd":"auction_bid","participant":"BUY","day":"2026-12-02","first_hour":1,"hours":2,)"
                          R"("scu_per_hour":989,"origin":"JJJ","limit_cny_per_scu_hour":"0.02",)";
  std::vector<std::pair<std::string, std::string>> results;  // (request kind, error text or "ok")
  test::on_small_stack([&] {
    for (const std::string& line : {bid + R"("classes":["H100"],"x":)" + deep + "}",
                                    bid + R"("classes":[)" + deep + "]}",
                                    bid + R"("classes":["H100"],"regions":[)" + deep + "]}",
                                    bid + R"("classes":["H100"],"data_gb_per_hour":)" + deep + "}",
                                    R"({"cmd":"route_order","participant":"BUY","classes":[)" + deep +
                                        R"(],"origin":"JJJ","scu":989,"window_start":"2026-12-01T00:00:00+08:00",)"
                                        R"("window_end":"2026-12-02T00:00:00+08:00","limit_cny_per_scu_hour":"0.02"})"}) {
      auto r = decoder.decode(line, kDefaultTs);
      results.emplace_back(line.substr(0, 40), r ? "ok" : r.error().text);
    }
  });
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].second, "ok") << "an unknown deep field is ignored";
  for (size_t i : {1, 2}) {
    EXPECT_TRUE(contains(results[i].second, "unknown ")) << results[i].second;
    EXPECT_LT(results[i].second.size(), 120u) << "the value is shown bounded: " << results[i].second.substr(0, 200);
  }
  EXPECT_TRUE(contains(results[3].second, "\"data_gb\"")) << results[3].second;
  EXPECT_TRUE(contains(results[4].second, "unknown chip class [[[[")) << results[4].second.substr(0, 200);
  EXPECT_EQ(shown_json(nlohmann::json::parse(deep)).size(), 64u + 3u);  // 64 bytes and "..."
  EXPECT_EQ(shown_json(nlohmann::json::parse(R"({"a":[1,"x"]})")), R"({"a":[1,"x"]})");
}

// ------------------------------------------------------------------------------------------ client ids

TEST_F(CodecClientIds, AcceptedReplacedDoneFilled) {
  run(order("SUP", "s1", "sell", "20.00", 4));
  const OrderId s1 = ids.find(sup, "s1");
  EXPECT_NE(s1, 0u);
  EXPECT_EQ(ids.find(buy, "s1"), 0u);  // per participant
  EXPECT_EQ(ids.size(), 1u);

  // Replace with a new client id: the old one is gone, the new one names the same order.
  run(R"({"cmd":"replace","participant":"SUP","orig_cl_ord_id":"s1","cl_ord_id":"s1b","qty":3})");
  EXPECT_EQ(ids.find(sup, "s1"), 0u);
  EXPECT_EQ(ids.find(sup, "s1b"), s1);
  // A replace that keeps the id keeps the mapping.
  run(R"({"cmd":"replace","participant":"SUP","orig_cl_ord_id":"s1b","price":"20.50"})");
  EXPECT_EQ(ids.find(sup, "s1b"), s1);

  // Done (cancelled): forgotten.
  std::string ev = run(R"({"cmd":"cancel","participant":"SUP","orig_cl_ord_id":"s1b"})");
  EXPECT_TRUE(contains(ev, R"("ev":"cancelled")")) << ev;
  EXPECT_EQ(ids.find(sup, "s1b"), 0u);
  EXPECT_EQ(ids.size(), 0u);

  // Fully filled in a trade: both sides forgotten; a partly filled order stays.
  run(order("SUP", "s2", "sell", "20.00", 2));
  run(order("SUP", "s3", "sell", "20.00", 4));
  run(order("BUY", "b1", "buy", "20.00", 3));
  EXPECT_EQ(ids.find(sup, "s2"), 0u);
  EXPECT_EQ(ids.find(buy, "b1"), 0u);
  EXPECT_NE(ids.find(sup, "s3"), 0u);
  // IOC remainder: done at once.
  run(order("BUY", "b2", "buy", "20.00", 5, R"(,"tif":"ioc")"));
  EXPECT_EQ(ids.find(buy, "b2"), 0u);
  EXPECT_EQ(ids.find(sup, "s3"), 0u);
  // A rejected order is never tracked.
  run(order("BUY", "b3", "buy", "20.005", 1));
  EXPECT_EQ(ids.find(buy, "b3"), 0u);
  EXPECT_EQ(ids.size(), 0u);
  // Orders without a client id are not tracked.
  run(order("BUY", "", "buy", "19.00", 1));
  EXPECT_EQ(ids.size(), 0u);
}

TEST_F(CodecClientIds, ExpiryForgetsTheId) {
  run(order("BUY", "g1", "buy", "19.00", 1, R"(,"tif":"gtd","expire_at":"2026-11-30T12:00:00+08:00")"));
  EXPECT_NE(ids.find(buy, "g1"), 0u);
  std::string ev = run(R"({"cmd":"advance_time","ts":"2026-11-30T13:00:00+08:00"})");
  EXPECT_TRUE(contains(ev, R"("ev":"expired")")) << ev;
  EXPECT_EQ(ids.find(buy, "g1"), 0u);
}

TEST_F(CodecClientIds, ReplaceGivesAnIdToAnOrderThatHadNone) {
  // An order sent without cl_ord_id and replaced with one must be reachable by that id afterwards
  // (the "replaced" event carries it).
  run(order("BUY", "", "buy", "19.00", 2));
  OrderView v{};
  ASSERT_TRUE(engine.find_order(1, v));
  std::string ev = run(R"({"cmd":"replace","participant":"BUY","order_id":1,"cl_ord_id":"late"})");
  EXPECT_TRUE(contains(ev, R"("cl_ord_id":"late")")) << ev;
  EXPECT_EQ(ids.find(buy, "late"), 1u);
}

TEST_F(CodecClientIds, ReusedIdStillFindsTheOpenOrder) {
  // The same participant sends two orders with the same client id. The engine and this map accept it
  // (refusing duplicates is the gateway session's job); once the first order ends, the id must still
  // lead to the second, open order.
  run(order("BUY", "dup", "buy", "19.00", 1));
  const OrderId first = ids.find(buy, "dup");
  ASSERT_NE(first, 0u);
  auto second = decoder.decode(order("BUY", "dup", "buy", "18.00", 1), engine.now());
  ASSERT_TRUE(second.ok()) << second.error().text;
  size_t before = engine.open_order_count();
  engine.apply(*second);
  ASSERT_EQ(engine.open_order_count(), before + 1);
  const OrderId second_id = ids.find(buy, "dup");
  EXPECT_NE(second_id, first);
  run(std::string(R"({"cmd":"cancel","participant":"BUY","order_id":)") + std::to_string(first) + "}");
  EXPECT_EQ(ids.find(buy, "dup"), second_id) << "the open order with client id 'dup' can no longer be found";
}

// ------------------------------------------------------------------------------------------ events

TEST_F(CodecEvents, AcceptedTradeCancelledExact) {
  EXPECT_EQ(run(order("SUP", "s1", "sell", "18.50", 4)),
            R"({"ev":"accepted","ts":"2026-11-30T09:00:00+08:00","order_id":1,"cl_ord_id":"s1","participant":"SUP",)"
            R"("symbol":"NM.H100.D.2026-12-01","side":"sell","type":"limit","tif":"gtc","price":"18.5000","qty":4})" "\n"
            R"({"ev":"book_change","ts":"2026-11-30T09:00:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"ask",)"
            R"("price":"18.5000","qty":4,"orders":1})" "\n");
  EXPECT_EQ(run(order("BUY", "b1", "buy", "19.00", 2, R"(,"ts":"2026-11-30T09:30:00+08:00")")),
            R"({"ev":"accepted","ts":"2026-11-30T09:30:00+08:00","order_id":2,"cl_ord_id":"b1","participant":"BUY",)"
            R"("symbol":"NM.H100.D.2026-12-01","side":"buy","type":"limit","tif":"gtc","price":"19.0000","qty":2})" "\n"
            R"({"ev":"trade","ts":"2026-11-30T09:30:00+08:00","trade_id":1,"symbol":"NM.H100.D.2026-12-01",)"
            R"("price":"18.5000","qty":2,"aggressor":"buy","buy_order_id":2,"sell_order_id":1,"buyer":"BUY",)"
            R"("seller":"SUP","buy_cl_ord_id":"b1","sell_cl_ord_id":"s1","buy_remaining":0,"sell_remaining":2,)"
            R"("hours":24,"scu":1978,"price_per_scu_hour":"0.01870576","notional":"888.0000","buyer_fee":"0.0000","seller_fee":"0.0000"})" "\n"
            R"({"ev":"book_change","ts":"2026-11-30T09:30:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"ask",)"
            R"("price":"18.5000","qty":2,"orders":1})" "\n");
  EXPECT_EQ(run(R"({"cmd":"cancel","participant":"SUP","orig_cl_ord_id":"s1"})"),
            R"({"ev":"cancelled","ts":"2026-11-30T09:30:00+08:00","order_id":1,"cl_ord_id":"s1","participant":"SUP",)"
            R"("symbol":"NM.H100.D.2026-12-01","side":"sell","cancelled_qty":2,"filled_qty":2,"reason":"cancelled",)"
            R"("text":"Cancelled at the owner's request."})" "\n"
            R"({"ev":"book_change","ts":"2026-11-30T09:30:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"ask",)"
            R"("price":"18.5000","qty":0,"orders":0})" "\n");
}

TEST_F(CodecEvents, RejectedExact) {
  EXPECT_EQ(run(order("BUY", "b9", "buy", "19.005", 1)),
            R"({"ev":"rejected","ts":"2026-11-30T09:00:00+08:00","cmd":"new_order","participant":"BUY",)"
            R"("symbol":"NM.H100.D.2026-12-01","cl_ord_id":"b9","reason":"tick_size",)"
            R"("text":"The price is not a multiple of the instrument's tick size."})" "\n");
  EXPECT_EQ(run(R"({"cmd":"cancel","participant":"BUY","order_id":999})"),
            R"({"ev":"rejected","ts":"2026-11-30T09:00:00+08:00","cmd":"cancel","participant":"BUY",)"
            R"("order_id":999,"reason":"unknown_order","text":"No open order with that id exists."})" "\n");
  EXPECT_EQ(run(R"({"cmd":"mass_cancel","participant":"BUY","target":"*"})"),
            R"({"ev":"rejected","ts":"2026-11-30T09:00:00+08:00","cmd":"mass_cancel","participant":"BUY",)"
            R"("reason":"role_missing","text":"The participant does not hold the role this request needs."})" "\n");
  // A participant id the resolver cannot name is written as a number.
  out.clear();
  NewOrder ghost;
  ghost.ts = engine.now();
  ghost.participant = 77;
  ghost.instrument = inst;
  ghost.price = 10000;
  ghost.qty = 1;
  engine.apply(ghost);
  EXPECT_EQ(out, R"({"ev":"rejected","ts":"2026-11-30T09:00:00+08:00","cmd":"new_order","participant":77,)"
                 R"("symbol":"NM.H100.D.2026-12-01","reason":"unknown_participant",)"
                 R"("text":"The participant is not known to the exchange."})" "\n");
}

TEST_F(CodecEvents, CancelledVersusExpired) {
  // GTD expiry -> "expired"; the accepted event carries expire_at.
  std::string acc = run(order("BUY", "g1", "buy", "15.00", 1, R"(,"tif":"gtd","expire_at":"2026-11-30T12:00:00+08:00")"));
  EXPECT_TRUE(contains(acc, R"("tif":"gtd","price":"15.0000","qty":1,"expire_at":"2026-11-30T12:00:00+08:00"})")) << acc;
  EXPECT_EQ(run(R"({"cmd":"advance_time","ts":"2026-11-30T13:00:00+08:00"})"),
            R"({"ev":"expired","ts":"2026-11-30T12:00:00+08:00","order_id":1,"cl_ord_id":"g1","participant":"BUY",)"
            R"("symbol":"NM.H100.D.2026-12-01","side":"buy","cancelled_qty":1,"filled_qty":0,"reason":"expired_gtd",)"
            R"("text":"The order reached its expiry time."})" "\n"
            R"({"ev":"book_change","ts":"2026-11-30T12:00:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"bid",)"
            R"("price":"15.0000","qty":0,"orders":0})" "\n");
  // IOC remainder -> "cancelled" with reason immediate_remainder.
  std::string ioc = run(order("BUY", "i1", "buy", "15.00", 1, R"(,"tif":"ioc")"));
  EXPECT_TRUE(contains(ioc, R"({"ev":"cancelled","ts":"2026-11-30T13:00:00+08:00","order_id":2,"cl_ord_id":"i1",)"
                            R"("participant":"BUY","symbol":"NM.H100.D.2026-12-01","side":"buy","cancelled_qty":1,)"
                            R"("filled_qty":0,"reason":"immediate_remainder",)"
                            R"("text":"The part that could not trade at once was cancelled."})")) << ioc;
  // Mass cancel -> "cancelled" (mass_cancelled), then the summary.
  run(order("BUY", "m1", "buy", "15.00", 1));
  std::string mc = run(R"({"cmd":"mass_cancel","participant":"OPS","target":"*","symbol":"NM.H100.D.2026-12-01"})");
  EXPECT_TRUE(contains(mc, R"("ev":"cancelled")")) << mc;
  EXPECT_TRUE(contains(mc, R"("reason":"mass_cancelled","text":"Cancelled by a mass cancel.")")) << mc;
  EXPECT_TRUE(contains(mc, R"({"ev":"mass_cancel_done","ts":"2026-11-30T13:00:00+08:00","participant":"OPS",)"
                           R"("target":"*","symbol":"NM.H100.D.2026-12-01","cancelled":1})" "\n")) << mc;
  // Gate closure -> "expired" (gate_closure) and the instrument closes.
  run(order("SUP", "s1", "sell", "20.00", 1));
  std::string gc = run(R"({"cmd":"advance_time","ts":"2026-11-30T23:30:00+08:00"})");
  EXPECT_TRUE(contains(gc, R"({"ev":"expired","ts":"2026-11-30T23:00:00+08:00","order_id":4,"cl_ord_id":"s1",)")) << gc;
  EXPECT_TRUE(contains(gc, R"("reason":"gate_closure",)")) << gc;
  EXPECT_TRUE(contains(gc, R"({"ev":"instrument_state","ts":"2026-11-30T23:00:00+08:00",)"
                           R"("symbol":"NM.H100.D.2026-12-01","state":"closed"})")) << gc;
}

TEST_F(CodecEvents, ReplacedRestatedAdminState) {
  run(order("BUY", "b1", "buy", "15.00", 4));
  EXPECT_EQ(run(R"({"cmd":"replace","participant":"BUY","orig_cl_ord_id":"b1","qty":3})"),
            R"({"ev":"replaced","ts":"2026-11-30T09:00:00+08:00","order_id":1,"cl_ord_id":"b1","participant":"BUY",)"
            R"("symbol":"NM.H100.D.2026-12-01","side":"buy","price":"15.0000","qty":3,"remaining":3,)"
            R"("kept_priority":true})" "\n"
            R"({"ev":"book_change","ts":"2026-11-30T09:00:00+08:00","symbol":"NM.H100.D.2026-12-01","side":"bid",)"
            R"("price":"15.0000","qty":3,"orders":1})" "\n");
  std::string up = run(R"({"cmd":"replace","participant":"BUY","orig_cl_ord_id":"b1","price":"15.10"})");
  EXPECT_TRUE(contains(up, R"("price":"15.1000","qty":3,"remaining":3,"kept_priority":false})")) << up;

  // Self-trade prevention "decrement": MM's buy meets MM's resting sell.
  run(order("MM", "mm-s", "sell", "18.00", 4));
  std::string st = run(order("MM", "mm-b", "buy", "18.00", 1, R"(,"stp":"decrement")"));
  EXPECT_TRUE(contains(st, R"({"ev":"restated","ts":"2026-11-30T09:00:00+08:00","order_id":2,"cl_ord_id":"mm-s",)"
                           R"("participant":"MM","symbol":"NM.H100.D.2026-12-01","side":"sell","decrement":1,)"
                           R"("remaining":3,"reason":"self_trade_decrement"})")) << st;
  EXPECT_TRUE(contains(st, R"("cl_ord_id":"mm-b","participant":"MM","symbol":"NM.H100.D.2026-12-01","side":"buy",)"
                           R"("cancelled_qty":1,"filled_qty":0,"reason":"self_trade",)")) << st;
  EXPECT_FALSE(contains(st, R"("ev":"trade")")) << st;

  EXPECT_EQ(run(R"({"cmd":"halt","participant":"OPS","symbol":"NM.H100.D.2026-12-01"})"),
            R"({"ev":"admin_done","ts":"2026-11-30T09:00:00+08:00","cmd":"set_instrument_state","participant":"OPS",)"
            R"("subject":"NM.H100.D.2026-12-01"})" "\n"
            R"({"ev":"instrument_state","ts":"2026-11-30T09:00:00+08:00","symbol":"NM.H100.D.2026-12-01",)"
            R"("state":"halted"})" "\n");
  EXPECT_EQ(run(R"({"cmd":"set_credit","target":"BUY","amount":"5"})"),
            R"({"ev":"admin_done","ts":"2026-11-30T09:00:00+08:00","cmd":"set_credit","participant":"EXCH",)"
            R"("subject":"BUY"})" "\n");
  EXPECT_EQ(run(R"({"cmd":"mass_cancel","participant":"SUP"})"),
            R"({"ev":"mass_cancel_done","ts":"2026-11-30T09:00:00+08:00","participant":"SUP","target":"SUP",)"
            R"("cancelled":0})" "\n");
}

TEST_F(CodecEvents, MarketOrderHasNoPriceAndPostOnlyIsShown) {
  run(order("SUP", "s1", "sell", "18.00", 1));
  std::string m = run(R"({"cmd":"new_order","participant":"BUY","cl_ord_id":"mk","symbol":"NM.H100.D.2026-12-01",)"
                      R"("side":"buy","type":"market","qty":1})");
  EXPECT_TRUE(contains(m, R"("side":"buy","type":"market","tif":"ioc","qty":1})")) << m;
  std::string p = run(order("BUY", "po", "buy", "17.00", 1, R"(,"post_only":true)"));
  EXPECT_TRUE(contains(p, R"("tif":"gtc","post_only":true,"price":"17.0000","qty":1})")) << p;
}

TEST_F(CodecEvents, StringsAreEscaped) {
  // cl_ord_id with a quote, a backslash, tab, newline, carriage return and control characters.
  std::string ev = run(R"({"cmd":"new_order","participant":"SUP","symbol":"NM.H100.D.2026-12-01","side":"sell",)"
                       R"("price":"20","qty":1,"cl_ord_id":"q\"b\\s\t\n\r\u0001\u001fz"})");
  EXPECT_TRUE(contains(ev, R"("cl_ord_id":"q\"b\\s\t\n\r\u0001\u001fz")")) << ev;
  // Every line is valid JSON and gives the original string back.
  size_t nl = ev.find('\n');
  ASSERT_NE(nl, std::string::npos);
  auto j = nlohmann::json::parse(ev.substr(0, nl));
  EXPECT_EQ(j["cl_ord_id"].get<std::string>(), std::string("q\"b\\s\t\n\r\x01\x1f", 10) + "z");

  std::string s;
  append_json_string(s, std::string("a\x7f\xc3\xa9/<", 6));
  EXPECT_EQ(s, std::string("\"a\x7f\xc3\xa9/<\""));  // DEL and UTF-8 pass through
}

// ------------------------------------------------------------------------------------------ config

TEST(CodecConfig, LoadsAllRegionsAndChipClasses) {
  auto reqs = load_reference_requests(std::string(CPX_SOURCE_DIR) + "/config");
  ASSERT_TRUE(reqs) << reqs.error().text;
  ASSERT_EQ(reqs->size(), 16u);
  for (size_t i = 0; i < 16; ++i) {
    auto j = nlohmann::json::parse((*reqs)[i]);
    EXPECT_EQ(j["cmd"], i < 8 ? "add_region" : "add_chip_class") << (*reqs)[i];
    EXPECT_FALSE(j.contains("source"));
    EXPECT_FALSE(j.contains("measure"));
  }
  RejectCounter counter;
  MatchingEngine engine(counter);
  EngineNames names(engine);
  CommandDecoder decoder(names);
  for (const std::string& r : *reqs) {
    auto c = decoder.decode(r, iso("2026-11-30T09:00:00+08:00"));
    ASSERT_TRUE(c) << r << " -> " << c.error().text;
    engine.apply(*c);
  }
  EXPECT_EQ(counter.count, 0) << reason_code(counter.last);
  EXPECT_EQ(counter.admin, 16);
  for (const char* code : {"JJJ", "YRD", "GBA", "CY", "NM", "GZ", "GS", "NX"}) {
    EXPECT_NE(engine.find_region(code), UINT16_MAX) << code;
  }
  for (const char* code : {"H100", "H800", "H20", "A100", "L40S", "ASC910B", "CPU-X86-64V", "CPU-ARM-64C"}) {
    EXPECT_NE(engine.find_chip_class(code), UINT16_MAX) << code;
  }
  const Region* nm = engine.region(engine.find_region("NM"));
  ASSERT_NE(nm, nullptr);
  EXPECT_EQ(nm->side, RegionSide::West);
  EXPECT_EQ(nm->power_price, 3000);
  EXPECT_EQ(nm->green_share, 4500);
  const Region* jjj = engine.region(engine.find_region("JJJ"));
  ASSERT_NE(jjj, nullptr);
  EXPECT_EQ(jjj->side, RegionSide::East);
  EXPECT_EQ(jjj->power_price, 6200);
  const std::pair<const char*, int64_t> scu[] = {{"H100", 989}, {"H800", 989}, {"H20", 148}, {"A100", 312},
                                                 {"L40S", 362}, {"ASC910B", 320}, {"CPU-X86-64V", 5},
                                                 {"CPU-ARM-64C", 3}};
  for (auto [code, expected] : scu) {
    const ChipClass* c = engine.chip_class(engine.find_chip_class(code));
    ASSERT_NE(c, nullptr) << code;
    EXPECT_EQ(c->scu_per_device, expected) << code;
    EXPECT_EQ(c->family, std::string_view(code).starts_with("CPU") ? ChipFamily::General : ChipFamily::AI) << code;
  }
  // The build tree links <build>/share/cpx/config to the source's config/, where an installed program finds
  // its own copy (no source path compiled in).
  EXPECT_TRUE(std::filesystem::equivalent(default_config_dir(), std::string(CPX_SOURCE_DIR) + "/config")) << default_config_dir();
  EXPECT_TRUE(default_config_dir().ends_with("/share/cpx/config")) << default_config_dir();
}

TEST(CodecConfig, MissingDirectoryIsAnError) {
  auto reqs = load_reference_requests("/nonexistent/cpx-config");
  ASSERT_FALSE(reqs);
  EXPECT_EQ(reqs.error().code, "config_missing");
  EXPECT_FALSE(reqs.error().text.empty());
}

// ------------------------------------------------------------------------------------------ fuzz

// Valid requests of every kind; the fuzz mutates them.
std::vector<std::string> seed_requests() {
  return {
      R"({"cmd":"new_order","participant":"BUY","cl_ord_id":"b1","symbol":"NM.H100.D.2026-12-01","side":"buy","price":"18.50","qty":2})",
      R"({"cmd":"new_order","participant":"SUP","cl_ord_id":"s1","symbol":"NM.H100.D.2026-12-01","side":"sell","price":"18.40","qty":3,"tif":"day"})",
      R"({"cmd":"new_order","participant":"MM","cl_ord_id":"m1","symbol":"NM.H100.D.2026-12-01","side":"buy","type":"market","qty":1,"stp":"decrement"})",
      R"({"cmd":"new_order","participant":"BUY","cl_ord_id":"g1","symbol":"NM.H100.D.2026-12-01","side":"buy","price":"18","qty":1,"tif":"gtd","expire_at":"2026-11-30T12:00:00+08:00","post_only":true})",
      R"({"cmd":"cancel","participant":"BUY","orig_cl_ord_id":"b1"})",
      R"({"cmd":"cancel","participant":"SUP","order_id":2})",
      R"({"cmd":"replace","participant":"SUP","orig_cl_ord_id":"s1","price":"18.60","qty":5,"cl_ord_id":"s1b"})",
      R"({"cmd":"mass_cancel","participant":"OPS","target":"*","symbol":"NM.H100.D.2026-12-01"})",
      R"({"cmd":"add_region","code":"XJ","name":"Xinjiang","side":"west","jurisdiction":"CN-XJ","power_price_cny_per_kwh":"0.28","green_share":"0.6","pue":"1.2"})",
      R"({"cmd":"add_chip_class","code":"B200","family":"ai","device":"1 GPU","memory_gb":192,"scu_per_device":2250})",
      R"({"cmd":"add_participant","code":"CT","kind":"carrier","roles":["carrier","trade_sell"],"max_open_orders":5})",
      R"({"cmd":"list_instrument","symbol":"GZ.ASC910B.W.2026-W50","tick":"0.05","price_band_pct":"10.5","gate_closure_minutes":30})",
      R"({"cmd":"halt","symbol":"NM.H100.D.2026-12-01"})",
      R"({"cmd":"resume","participant":"OPS","symbol":"NM.H100.D.2026-12-01"})",
      R"({"cmd":"register_capacity","supplier":"SUP","region":"NM","class":"H100","from":"2026-12-01","to":"2026-12-02","devices":8})",
      R"({"cmd":"set_credit","target":"BUY","amount":"5000.25"})",
      R"({"cmd":"set_reference_price","symbol":"NM.H100.D.2026-12-01","price":"18.30"})",
      R"({"cmd":"advance_time","ts":"2026-11-30T10:00:00+08:00"})",
  };
}

const char* const kTokens[] = {"\"", "{", "}", "[", "]", ",", ":", "null", "true", "false", "0", "-1", "1.5", "1e400",
                               "-0", "99999999999999999999999", "\"\\u0000\"", "\"\\ud800\"", "\\", "\"*\"",
                               "\"cmd\"", "\"price\"", "\"qty\"", "\"ts\"", "\xff", "\xc3", "\n", " "};

std::string random_value(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0: return "null";
    case 1: return rng() % 2 ? "true" : "false";
    case 2: return std::to_string(static_cast<int64_t>(rng()));
    case 3: return std::to_string(rng());
    case 4: return std::to_string(static_cast<int>(rng() % 2000) - 1000) + "." + std::to_string(rng() % 100000);
    case 5: return "[" + std::to_string(rng() % 10) + ",\"x\"]";
    case 6: return R"({"a":1})";
    case 7: {
      std::string s = "\"";
      size_t n = rng() % 40;
      for (size_t i = 0; i < n; ++i) s += "0123456789.-+eE:TZWHDMabcNXG*\\u "[rng() % 31];
      if (!s.empty() && s.back() == '\\') s.pop_back();
      return s + "\"";
    }
    case 8: return "\"" + std::to_string(rng() % 100000) + "." + std::to_string(rng() % 1000000) + "\"";
    default: return "\"" + std::string(rng() % 50, static_cast<char>('a' + rng() % 26)) + "\"";
  }
}

std::string mutate(const std::string& seed, std::mt19937_64& rng) {
  std::string s = seed;
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int k = 0; k < edits; ++k) {
    size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0:
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(rng());
        break;
      case 1: s.insert(pos, 1, static_cast<char>(rng())); break;
      case 2:
        if (pos < s.size()) s.erase(pos, 1 + rng() % 8);
        break;
      case 3: s.insert(pos, kTokens[rng() % std::size(kTokens)]); break;
      case 4: s.resize(pos); break;
      default:
        if (!s.empty()) {
          size_t from = rng() % s.size();
          s.insert(pos, s.substr(from, rng() % 16));
        }
    }
  }
  return s;
}

// Valid JSON, wrong or odd values: replaces, adds or drops one field.
std::string mutate_field(const std::string& seed, std::mt19937_64& rng) {
  nlohmann::json j = nlohmann::json::parse(seed);
  static const char* const kFields[] = {"cmd", "participant", "symbol", "side", "type", "tif", "stp", "post_only",
                                        "price", "qty", "expire_at", "ts", "order_id", "orig_cl_ord_id",
                                        "cl_ord_id", "target", "roles", "code", "amount", "devices", "from",
                                        "to", "gate_closure_minutes", "price_band_pct", "tick", "lot"};
  const char* field = kFields[rng() % std::size(kFields)];
  if (rng() % 5 == 0) {
    j.erase(field);
  } else {
    j[field] = nlohmann::json::parse(random_value(rng), nullptr, false);
  }
  return j.dump();
}

TEST_F(CodecFuzz, RandomBytesAndMutatedRequestsNeverCrash) {
  std::mt19937_64 rng(20261201);
  const auto seeds = seed_requests();
  int decoded = 0, refused = 0, empty_text = 0, bad_reason = 0;
  std::string first_problem;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    switch (i % 4) {
      case 0: {
        line.resize(rng() % 300);
        for (char& c : line) c = static_cast<char>(rng());
        break;
      }
      case 1:
      case 2: line = mutate(seeds[rng() % seeds.size()], rng); break;
      default: line = mutate_field(seeds[rng() % seeds.size()], rng); break;
    }
    auto r = decoder.decode(line, engine.now());
    if (r) {
      ++decoded;
      continue;
    }
    ++refused;
    if (r.error().text.empty()) {
      ++empty_text;
      if (first_problem.empty()) first_problem = line;
    }
    std::string_view code = reason_code(r.error().reason);
    if (code.empty() || code == "?") ++bad_reason;
  }
  EXPECT_EQ(empty_text, 0) << "first: " << first_problem;
  EXPECT_EQ(bad_reason, 0);
  EXPECT_GT(decoded, 500);   // the mutations reach the engine-facing paths,
  EXPECT_GT(refused, 5000);  // and most random input is refused
}

TEST_F(CodecFuzz, DecodedFuzzCommandsRunThroughEngineAndWriter) {
  // What the decoder lets through must also be safe for the engine, and every event line valid JSON.
  std::mt19937_64 rng(7);
  const auto seeds = seed_requests();
  int applied = 0, accepted = 0, traded = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string line = i % 3 == 0 ? seeds[rng() % seeds.size()]
                                  : (i % 3 == 1 ? mutate_field(seeds[rng() % seeds.size()], rng)
                                                : mutate(seeds[rng() % seeds.size()], rng));
    auto r = decoder.decode(line, engine.now());
    if (!r) continue;
    // Keep time within the instrument's life most of the time, so orders reach the book.
    if (command_time(*r) > iso("2026-11-30T22:00:00+08:00")) continue;
    out.clear();
    engine.apply(*r);
    ++applied;
    if (contains(out, R"("ev":"accepted")")) ++accepted;
    if (contains(out, R"("ev":"trade")")) ++traded;
    size_t start = 0;
    while (start < out.size()) {
      size_t nl = out.find('\n', start);
      ASSERT_NE(nl, std::string::npos);
      std::string ev = out.substr(start, nl - start);
      auto j = nlohmann::json::parse(ev, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "from " << line << "\n  invalid event line: " << ev;
      ASSERT_TRUE(j.is_object() && j.contains("ev") && j.contains("ts")) << ev;
      start = nl + 1;
    }
  }
  EXPECT_GT(applied, 1000);
  EXPECT_GT(accepted, 100);  // orders really reach the book
  EXPECT_GT(traded, 10);
}

}  // namespace

namespace {
TEST(CodecErrorsRange, NumbersAboveInt64AndTimesPast2200AreRefused) {
  cpx::EventListener sink;
  cpx::MatchingEngine engine(sink);
  cpx::api::EngineNames names(engine);
  cpx::api::CommandDecoder decoder(names);
  for (const char* devices : {"18446744073709551615", "9223372036854775808"}) {
    auto r = decoder.decode(std::string(R"({"cmd":"register_capacity","supplier":"EXCH","region":"NM","class":"H100",)") +
                                R"("from":"2026-12-01","to":"2026-12-02","devices":)" + devices + "}",
                            0);
    ASSERT_FALSE(r.ok()) << devices;
    EXPECT_EQ(r.error().text, R"(field "devices" must be an integer)");
  }
  auto late = decoder.decode(R"({"cmd":"advance_time","ts":9223372036854775807})", 0);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().text.find("\"ts\""), std::string::npos);
  auto ok = decoder.decode(R"({"cmd":"advance_time","ts":1795998000000000000})", 0);
  EXPECT_TRUE(ok.ok());
}

TEST(CodecErrorsEmpty, EmptyParticipantOrSymbolIsMalformed) {
  cpx::EventListener sink;
  cpx::MatchingEngine engine(sink);
  cpx::api::EngineNames names(engine);
  cpx::api::CommandDecoder decoder(names);
  auto a = decoder.decode(R"({"cmd":"cancel","participant":"","order_id":1})", 0);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().reason, cpx::RejectReason::MalformedRequest);
  EXPECT_NE(a.error().text.find("\"participant\" must not be empty"), std::string::npos) << a.error().text;
  auto b = decoder.decode(R"({"cmd":"mass_cancel","participant":"EXCH","symbol":""})", 0);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().text.find("\"symbol\" must not be empty"), std::string::npos) << b.error().text;
}
// Defect: an error echoed the client's value whole (a 64 KB chip class came back in the route quote's
// error). What a client names is shown bounded, cut on a character boundary.
TEST_F(CodecFixture, ErrorTextsShowAClientsValuesBounded) {
  const std::string huge(60'000, 'Q');
  const std::string wide = std::string(63, 'a') + "\xe4\xb8\xad" + std::string(100, 'b');  // a 3-byte character at 63
  for (const std::string& value : {huge, wide}) {
    for (const std::string& line :
         {R"({"cmd":")" + value + R"("})", R"({"cmd":"new_order","participant":"BUY","symbol":")" + value + R"(","side":"buy","price":"1","qty":1})",
          R"({"cmd":"new_order","participant":")" + value + R"(","symbol":"NM.H100.D.2026-12-01","side":"buy","price":"1","qty":1})",
          R"({"cmd":"auction_offer","participant":"SUP","day":"2026-12-02","region":")" + value + R"(","class":"H100"})"}) {
      auto c = decoder.decode(line, kDefaultTs);
      ASSERT_FALSE(c.ok()) << line.substr(0, 90);
      EXPECT_LT(c.error().text.size(), 300u) << c.error().text.substr(0, 100);
      EXPECT_LT(c.error().cmd.size(), 80u);
      EXPECT_FALSE(nlohmann::json(c.error().text).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict).empty())
          << "still valid UTF-8";
    }
    auto q = decode_route_query(nlohmann::json::parse(R"({"classes":[")" + value + R"("],"origin":"JJJ"})"), engine);
    ASSERT_FALSE(q.ok());
    EXPECT_LT(q.error().text.size(), 300u);
  }
  EXPECT_EQ(shown("short"), "short");
  EXPECT_EQ(shown(wide), std::string(63, 'a') + "...") << "the character is not cut in half";
}

}  // namespace
