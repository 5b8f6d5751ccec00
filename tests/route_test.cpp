// Landed cost across regions (docs/PRODUCT.md §3.2): a route quote over the shipped network, with figures worked
// out by hand, every exclusion rule, and random books and queries checked against the rules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "engine_fixture.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/names.hpp"
#include "json/route_codec.hpp"

namespace cpx::test {
namespace {

using nlohmann::json;

constexpr const char* kDay = "2026-12-01";

// The shipped regions, chip classes and network; sellers in JJJ, NM and GS; H100 day books for kDay.
class RouteTest : public ::testing::Test {
 protected:
  Recorder rec;
  MatchingEngine engine{rec};
  api::EngineNames names{engine};
  api::CommandDecoder decoder{names};
  const Timestamp t0 = iso("2026-11-30T09:00:00+08:00");

  void SetUp() override {
    rec.engine = &engine;
    auto reference = api::load_reference_requests(api::default_config_dir());
    auto network = api::load_network_requests(api::default_config_dir());
    ASSERT_TRUE(reference.ok() && network.ok());
    for (const auto& l : *reference) run(l);
    for (const auto& l : *network) run(l);
    run(R"({"cmd":"add_participant","code":"OPS","name":"ops","kind":"exchange","roles":["operator"]})");
    for (const char* region : {"JJJ", "NM", "GS", "NX"}) {
      const std::string seller = std::string("S") + region;
      run(R"({"cmd":"add_participant","code":")" + seller + R"(","name":"seller","kind":"cloud_vendor","roles":["trade_sell"]})");
      run(R"({"cmd":"register_capacity","participant":"OPS","supplier":")" + seller + R"(","region":")" + region +
          R"(","class":"H100","from":"2026-11-01T00:00:00+08:00","to":"2027-01-01T00:00:00+08:00","devices":100000})");
      run(R"({"cmd":"list_instrument","participant":"OPS","symbol":")" + symbol(region) + R"(","tick":"0.01","lot":1,"max_order_qty":100000,"gate_closure_minutes":60})");
    }
    ASSERT_TRUE(rec.of<OrderRejected>().empty()) << ::testing::PrintToString(rec.lines);
  }
  static std::string symbol(const std::string& region) { return region + ".H100.D." + kDay; }
  void run(const std::string& line) {
    auto c = decoder.decode(line, t0);
    ASSERT_TRUE(c.ok()) << c.error().text << " in " << line;
    engine.apply(*c);
  }
  void ask(const std::string& region, const char* price, int qty) {
    run(R"({"cmd":"new_order","participant":"S)" + region + R"(","symbol":")" + symbol(region) +
        R"(","side":"sell","price":")" + price + R"(","qty":)" + std::to_string(qty) + "}");
  }
  json base() const {
    return {{"classes", {"H100"}}, {"origin", "JJJ"}, {"scu", 9890}, {"data_gb", 5000},
            {"window_start", std::string(kDay) + "T00:00:00+08:00"}, {"window_end", "2026-12-02T00:00:00+08:00"}};
  }
  json quote(const json& request) {
    auto q = api::decode_route_query(request, engine);
    EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().text);
    if (!q.ok()) return json();
    return json::parse(api::route_quote_json(*q, quote_route(engine, *q), engine));
  }
  static std::map<std::string, std::string> exclusions(const json& quote) {
    std::map<std::string, std::string> out;
    for (const auto& e : quote["excluded"]) out[e["symbol"]] = e["reason"];
    return out;
  }
};

// Ten H100 devices (9,890 SCU) for a day, 5,000 GB in Beijing (JJJ). Worked by hand:
//   GS  6 @ 16.00 + 4 @ 16.50 = 3,888.00 CNY / 237,360 SCU-h = 0.01638018; 5,000 GB x 0.0325 (JJJ>GS,
//       CMNET, 13 ms) = 162.50 / 237,360 = 0.00068461; landed 0.01706479
//   NM  10 @ 17.80 = 4,272.00 -> 0.01799798; 5,000 x 0.0200 (JJJ>NM, CTNET, 8 ms) = 100.00 -> 0.00042130;
//       landed 0.01841928
//   JJJ 10 @ 19.50 = 4,680.00 -> 0.01971689; no transfer; landed 0.01971689
// Moving the job west pays: Gansu first, Inner Mongolia second, at home last.
TEST_F(RouteTest, WhereTheJobIsCheapestAllCostsIn) {
  ask("GS", "16.00", 6);
  ask("GS", "16.50", 10);
  ask("NM", "17.80", 10);
  ask("JJJ", "19.50", 10);
  const json q = quote(base());
  ASSERT_EQ(q["candidates"].size(), 3u) << q.dump(2);
  const json& gs = q["candidates"][0];
  EXPECT_EQ(gs["region"], "GS");
  EXPECT_EQ(gs["path"], json({"JJJ", "GS"}));
  EXPECT_EQ(gs["carriers"], json({"CMNET"}));
  EXPECT_EQ(gs["latency_ms"], 13);
  EXPECT_EQ(gs["compute_cost"], "3888.0000");
  EXPECT_EQ(gs["transfer_cost"], "162.5000");
  EXPECT_EQ(gs["compute_per_scu_hour"], "0.01638018");
  EXPECT_EQ(gs["transfer_per_scu_hour"], "0.00068461");
  EXPECT_EQ(gs["landed_per_scu_hour"], "0.01706479");
  EXPECT_EQ(gs["devices"], 10);
  EXPECT_EQ(gs["available"], 10);
  EXPECT_EQ(gs["fills"], true);
  const json& nm = q["candidates"][1];
  EXPECT_EQ(nm["region"], "NM");
  EXPECT_EQ(nm["carriers"], json({"CTNET"}));
  EXPECT_EQ(nm["landed_per_scu_hour"], "0.01841928");
  const json& jjj = q["candidates"][2];
  EXPECT_EQ(jjj["region"], "JJJ");
  EXPECT_EQ(jjj["path"], json({"JJJ"}));
  EXPECT_EQ(jjj["transfer_cost"], "0.0000");
  EXPECT_EQ(jjj["landed_per_scu_hour"], "0.01971689");
  EXPECT_EQ(exclusions(q)[symbol("NX")], "no_offers");
}

TEST_F(RouteTest, ConstraintsExcludeWithAReason) {
  ask("GS", "16.00", 10);
  ask("NM", "17.80", 10);
  ask("JJJ", "19.50", 10);
  json r = base();
  r["max_latency_ms"] = 12;  // GS is 13 ms away by its best path
  auto q = quote(r);
  ASSERT_EQ(q["candidates"].size(), 2u);
  EXPECT_EQ(exclusions(q)[symbol("GS")], "latency");
  r = base();
  r["residency"] = "local";
  q = quote(r);
  ASSERT_EQ(q["candidates"].size(), 1u);
  EXPECT_EQ(q["candidates"][0]["region"], "JJJ");
  EXPECT_EQ(exclusions(q)[symbol("NM")], "residency");
  r = base();
  r["residency"] = {"CN-NM", "CN-JJJ"};
  q = quote(r);
  EXPECT_EQ(q["candidates"].size(), 2u);
  EXPECT_EQ(exclusions(q)[symbol("GS")], "residency");
  r = base();
  r["min_green_share"] = "0.46";  // JJJ 0.30 and NM 0.45 are below, GS 0.50 is not
  q = quote(r);
  ASSERT_EQ(q["candidates"].size(), 1u);
  EXPECT_EQ(q["candidates"][0]["region"], "GS");
  EXPECT_EQ(exclusions(q)[symbol("JJJ")], "green_share");
  r = base();
  r["regions"] = {"NM"};
  q = quote(r);
  ASSERT_EQ(q["candidates"].size(), 1u);
  EXPECT_EQ(exclusions(q)[symbol("GS")], "region");
  r = base();
  r["limit_cny_per_scu_hour"] = "0.01800000";
  q = quote(r);
  EXPECT_EQ(q["candidates"][0]["within_limit"], true);   // GS 0.01706...
  EXPECT_EQ(q["candidates"][1]["within_limit"], false);  // NM 0.01841...
  r = base();
  r["scu"] = 20000;  // 21 devices; GS offers 10
  q = quote(r);
  EXPECT_EQ(q["candidates"][0]["devices"], 21);
  EXPECT_EQ(q["candidates"][0]["fills"], false);
}

TEST_F(RouteTest, BadQueriesGetSpecificErrors) {
  auto reason = [&](json r) {
    auto q = api::decode_route_query(r, engine);
    return q.ok() ? std::string("ok") : std::string(reason_code(q.error().reason));
  };
  json r = base();
  r["classes"] = {"H100", "CPU-X86-64V"};
  EXPECT_EQ(reason(r), "invalid_value") << "one family";
  r = base();
  r["classes"] = {"B200X"};
  EXPECT_EQ(reason(r), "unknown_chip_class");
  r = base();
  r["origin"] = "XX";
  EXPECT_EQ(reason(r), "unknown_region");
  r = base();
  r["scu"] = 0;
  EXPECT_EQ(reason(r), "malformed_request");
  r = base();
  r["window_end"] = r["window_start"];
  EXPECT_EQ(reason(r), "malformed_request");
  r = base();
  r["residency"] = 7;
  EXPECT_EQ(reason(r), "malformed_request");
  EXPECT_EQ(reason(base()), "ok");
}

// Random asks and random queries over the shipped network: every candidate keeps the rules, its figures
// follow from the books and its path, and the list is sorted; every book of the window is either a
// candidate or excluded.
TEST_F(RouteTest, RandomQueriesKeepTheRules) {
  std::mt19937_64 rng(20261125);
  const char* regions[] = {"JJJ", "NM", "GS", "NX"};
  for (const char* region : regions)
    for (int i = 0; i < 5; ++i) ask(region, (std::to_string(12 + rng() % 10) + "." + std::to_string(10 + rng() % 90)).c_str(), 1 + static_cast<int>(rng() % 20));
  const char* origins[] = {"JJJ", "YRD", "GBA", "CY", "NM", "GZ", "GS", "NX"};
  for (int n = 0; n < 300; ++n) {
    json r = base();
    r["origin"] = origins[rng() % 8];
    r["scu"] = 1 + static_cast<int64_t>(rng() % 60000);
    r["data_gb"] = static_cast<int64_t>(rng() % 100000);
    const int64_t max_latency = rng() % 2 ? -1 : static_cast<int64_t>(rng() % 30);
    if (max_latency >= 0) r["max_latency_ms"] = max_latency;
    if (rng() % 4 == 0) r["residency"] = "local";
    const int64_t green = static_cast<int64_t>(rng() % 6) * 1000;
    if (green) r["min_green_share"] = format_fixed(green);
    auto q = api::decode_route_query(r, engine);
    ASSERT_TRUE(q.ok());
    const RouteQuote quote = quote_route(engine, *q);
    EXPECT_EQ(quote.candidates.size() + quote.excluded.size(), 4u) << "the four H100 books of the day";
    for (size_t i = 0; i < quote.candidates.size(); ++i) {
      const RouteCandidate& c = quote.candidates[i];
      if (i > 0) {
        EXPECT_LE(quote.candidates[i - 1].landed_per_scu_hour, c.landed_per_scu_hour);
      }
      const Region& region = *engine.region(c.region);
      EXPECT_GE(region.green_share, green);
      if (q->local_only) {
        EXPECT_EQ(c.region, q->origin);
      }
      if (max_latency >= 0) {
        EXPECT_LE(c.latency_ms, max_latency);
      }
      // The path: origin to region, each hop a link of the network with that carrier; figures add up.
      ASSERT_EQ(c.path.front(), q->origin);
      ASSERT_EQ(c.path.back(), c.region);
      ASSERT_EQ(c.carriers.size() + 1, c.path.size());
      int64_t latency = 0, tariff = 0;
      for (size_t h = 0; h + 1 < c.path.size(); ++h) {
        const NetworkLink* hop = nullptr;
        for (const NetworkLink& l : engine.links())
          if (l.from == c.path[h] && l.to == c.path[h + 1]) hop = &l;
        ASSERT_NE(hop, nullptr);
        EXPECT_EQ(hop->carrier, c.carriers[h]);
        latency += hop->latency_ms;
        tariff += hop->tariff_per_gb;
      }
      EXPECT_EQ(latency, c.latency_ms);
      EXPECT_EQ(tariff, c.tariff_per_gb);
      // No direct link within the latency limit is cheaper than the path taken.
      for (const NetworkLink& l : engine.links()) {
        if (l.from == q->origin && l.to == c.region && (max_latency < 0 || l.latency_ms <= max_latency)) {
          EXPECT_LE(c.tariff_per_gb, l.tariff_per_gb);
        }
      }
      // Compute: the asks swept best first; the per-SCU-hour figures with half-up rounding.
      std::vector<LevelView> asks;
      engine.depth(c.instrument, Side::Sell, 1000, asks);
      const InstrumentInfo& info = *engine.instrument(c.instrument);
      const Quantity need = (q->scu + info.scu_per_device - 1) / info.scu_per_device;
      Quantity got = 0;
      Money cost = 0;
      for (const LevelView& l : asks) {
        const Quantity take = std::min(l.qty, need - got);
        if (take <= 0) break;
        cost += l.price * take * info.hours;
        got += take;
      }
      EXPECT_EQ(c.devices, need);
      EXPECT_EQ(c.available, got);
      EXPECT_EQ(c.compute_cost, cost);
      EXPECT_EQ(c.transfer_cost, q->data_gb * c.tariff_per_gb);
      const auto half_up = [](__int128 num, __int128 den) { return static_cast<int64_t>((2 * num + den) / (2 * den)); };
      EXPECT_EQ(c.compute_per_scu_hour, half_up(static_cast<__int128>(cost) * 10'000, static_cast<__int128>(got) * info.scu_per_device * info.hours));
      EXPECT_EQ(c.transfer_per_scu_hour, half_up(static_cast<__int128>(c.transfer_cost) * 10'000, static_cast<__int128>(q->scu) * info.hours));
      EXPECT_EQ(c.landed_per_scu_hour, c.compute_per_scu_hour + c.transfer_per_scu_hour);
    }
  }
}

// The dearest tariff a link may carry times the largest data volume fits money, but per SCU-hour of a
// one-SCU job it does not fit 64 bits: the quote excludes the book as too_large and a routed order buys
// nothing there, instead of a wrapped-around figure.
class RouteBoundTest : public EngineFixture {};
TEST_F(RouteBoundTest, ACostBeyondTheMoneyBoundIsExcludedNotWrapped) {
  const ParticipantId carrier = add_participant("CARRIER", kRoleCarrier);
  AddLink link;
  link.ts = now;
  link.actor = OPS;
  link.from = "JJJ";
  link.to = "NM";
  link.latency_ms = 8;
  link.capacity_gbps = 1;
  link.tariff_per_gb = kMaxTariffPerGb + 1;
  link.carrier = carrier;
  engine.apply(link);
  ASSERT_EQ(engine.links().size(), 0u) << "beyond the bound: refused";
  link.tariff_per_gb = kMaxTariffPerGb;
  engine.apply(link);
  ASSERT_EQ(engine.links().size(), 1u) << ::testing::PrintToString(rec.lines);
  engine.new_order(limit(SUP1, Side::Sell, "17.80", 10));
  RouteQuery q;
  q.classes = {H100};
  q.origin = JJJ;
  q.scu = 9890;
  q.window_start = engine.instrument(inst)->start;
  q.window_end = engine.instrument(inst)->end;
  q.data_gb = 10;
  RouteQuote quote = quote_route(engine, q);
  ASSERT_EQ(quote.candidates.size(), 1u);
  EXPECT_EQ(quote.candidates[0].transfer_cost, 10 * kMaxTariffPerGb);
  q.data_gb = 1'000'000'000;  // 1e17 in money: fits
  quote = quote_route(engine, q);
  ASSERT_EQ(quote.candidates.size(), 1u);
  EXPECT_EQ(quote.candidates[0].transfer_cost, 1'000'000'000 * kMaxTariffPerGb);
  q.scu = 1;  // 1e17 x 10^4 / 24 SCU-hours: beyond 64 bits
  quote = quote_route(engine, q);
  EXPECT_TRUE(quote.candidates.empty());
  ASSERT_EQ(quote.excluded.size(), 1u);
  EXPECT_EQ(quote.excluded[0].reason, "too_large");

  engine.apply(SetCredit{now, kExchangeParticipant, BUY1, INT64_MAX});
  RoutedOrder r;
  r.ts = now;
  r.participant = BUY1;
  r.cl_ord_id.assign("huge");
  r.tif = TimeInForce::IOC;
  r.query = q;
  r.query.limit_per_scu_hour = kMaxPrice;
  rec.clear();
  engine.apply(r);
  EXPECT_TRUE(rec.of<Trade>().empty()) << ::testing::PrintToString(rec.lines);
  EXPECT_EQ(engine.credit(BUY1).unsettled_bought, 0);
}

}  // namespace
}  // namespace cpx::test
