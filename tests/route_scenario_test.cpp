// The issue's closing scenario, worked by hand: a buyer in Beijing asks where a 64-GPU, 72-hour training
// job is cheapest with every cost in, gets the answer, buys it with one routed order, and after delivery
// the carrier, the western supplier and its state-owned host are each paid their exact share.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cpx/time.hpp"
#include "exchange.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/names.hpp"
#include "json/route_codec.hpp"
#include "statement.hpp"

namespace cpx::persistence {
namespace {

using nlohmann::json;

Timestamp at(const char* iso) { return *parse_iso_time(iso); }

// The routed orders' ends, and whether any command was refused.
class Capture final : public EventListener {
 public:
  void on_route_done(const RouteDone& e) override { done.push_back(e.reason); }
  void on_rejected(const OrderRejected& e) override { rejected.push_back(e.reason); }
  std::vector<DoneReason> done;
  std::vector<RejectReason> rejected;
};

class BeijingJob : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto reference = api::load_reference_requests(api::default_config_dir());
    ASSERT_TRUE(reference.ok()) << reference.error().text;
    for (const auto& line : *reference) request(line);
    for (const char* p : {
             R"({"cmd":"add_participant","code":"NMCLOUD","kind":"cloud_vendor","roles":["trade_sell"]})",
             R"({"cmd":"add_participant","code":"NMSTATE","kind":"state_operator","roles":["trade_sell"]})",
             R"({"cmd":"add_participant","code":"GSCLOUD","kind":"cloud_vendor","roles":["trade_sell"]})",
             R"({"cmd":"add_participant","code":"BJCLOUD","kind":"cloud_vendor","roles":["trade_sell"]})",
             R"({"cmd":"add_participant","code":"CTNET","kind":"carrier","roles":["carrier"]})",
             R"({"cmd":"add_participant","code":"CMNET","kind":"carrier","roles":["carrier"]})",
             R"({"cmd":"add_participant","code":"BJAI","kind":"buyer","roles":["trade_buy"]})",
             R"({"cmd":"add_link","from":"JJJ","to":"NM","latency_ms":8,"capacity_gbps":400,"tariff_cny_per_gb":"0.0200","carrier":"CTNET"})",
             R"({"cmd":"add_link","from":"JJJ","to":"GS","latency_ms":13,"capacity_gbps":200,"tariff_cny_per_gb":"0.0325","carrier":"CMNET"})",
             // The cloud vendor's servers stand in the state operator's data centre: revenue 80/20.
             R"({"cmd":"set_revenue_share","supplier":"NMCLOUD","shares":{"NMCLOUD":8000,"NMSTATE":2000}})",
             R"({"cmd":"set_fees","maker_bps":5,"taker_bps":10})",
             R"({"cmd":"deposit","target":"BJAI","amount":"200000.00"})"}) {
      request(p);
    }
    const char* zones[][3] = {{"NM", "NMCLOUD", "18.00"}, {"GS", "GSCLOUD", "18.10"}, {"JJJ", "BJCLOUD", "24.50"}};
    for (const auto& z : zones) {
      for (const char* day : {"2026-12-01", "2026-12-02", "2026-12-03"}) {
        const std::string symbol = std::string(z[0]) + ".H100.D." + day;
        request(R"({"cmd":"list_instrument","symbol":")" + symbol + R"("})");
      }
      request(std::string(R"({"cmd":"register_capacity","supplier":")") + z[1] + R"(","region":")" + z[0] +
              R"(","class":"H100","from":"2026-12-01","to":"2026-12-04","devices":128})");
      for (const char* day : {"2026-12-01", "2026-12-02", "2026-12-03"}) {
        request(std::string(R"({"cmd":"new_order","participant":")") + z[1] + R"(","symbol":")" + z[0] + ".H100.D." +
                day + R"(","side":"sell","price":")" + z[2] + R"(","qty":64})");
      }
    }
  }

  void request(const std::string& line) {
    api::EngineNames names(ex.engine());
    api::CommandDecoder decoder(names);
    auto c = decoder.decode(line, now);
    ASSERT_TRUE(c.ok()) << c.error().text << " in " << line;
    apply(*c);
  }
  void apply(const Command& c) {
    ex.apply(c);
    ASSERT_TRUE(events.rejected.empty()) << reason_code(events.rejected.front());
    std::string why;
    ASSERT_TRUE(ex.check(why)) << why;
  }
  Money cash(const char* code) const {
    const Account* a = ex.ledger().account(cash_account(ex.engine().find_participant(code)));
    return a ? a->balance() : 0;
  }

  Timestamp now = at("2026-11-30T09:00:00+08:00");
  Capture events;
  Exchange ex{events};
};

// The job: 64 H100 = 63,296 SCU for 72 hours from 2026-12-01 00:00 CST, 20,000 GB of data in Beijing.
const char* kJob =
    R"("classes":["H100"],"origin":"JJJ","scu":63296,"data_gb":20000,"window_start":"2026-12-01","window_end":"2026-12-04")";

TEST_F(BeijingJob, AsksWhereTheJobIsCheapestBuysItAndEveryPartyIsPaidItsShare) {
  // 1. The answer, per zone (three daily books each, 72 hours), landed per SCU-hour (8 decimals):
  //    NM : 18.00 / 989 = 0.01820020 compute + 20,000 GB x 0.0200 = 400 CNY / (63,296 x 72) = 0.00008777 -> 0.01828797
  //    GS : 18.10 / 989 = 0.01830131 compute + 20,000 GB x 0.0325 = 650 CNY / (63,296 x 72) = 0.00014263 -> 0.01844394
  //    JJJ: 24.50 / 989 = 0.02477250 compute, no transfer (the data is there)                          -> 0.02477250
  //    Moving the job west pays: Inner Mongolia is cheapest, all costs in.
  auto q = api::decode_route_query(json::parse(std::string("{") + kJob + "}"), ex.engine());
  ASSERT_TRUE(q.ok()) << q.error().text;
  const RouteQuote quote = quote_route(ex.engine(), *q);
  ASSERT_EQ(quote.candidates.size(), 3u);
  const RouteCandidate& nm = quote.candidates[0];
  EXPECT_EQ(ex.engine().region(nm.region)->code, "NM");
  EXPECT_EQ(nm.instruments.size(), 3u);
  EXPECT_EQ(nm.hours, 72);
  EXPECT_EQ(nm.devices, 64);
  EXPECT_TRUE(nm.fills);
  EXPECT_EQ(nm.compute_cost, 18'0000 * 64 * 72);  // 82,944.0000 CNY
  EXPECT_EQ(nm.transfer_cost, 400'0000);
  EXPECT_EQ(nm.compute_per_scu_hour, 1'820'020);
  EXPECT_EQ(nm.transfer_per_scu_hour, 8'777);
  EXPECT_EQ(nm.landed_per_scu_hour, 1'828'797);
  EXPECT_EQ(ex.engine().region(quote.candidates[1].region)->code, "GS");
  EXPECT_EQ(quote.candidates[1].landed_per_scu_hour, 1'844'394);
  EXPECT_EQ(ex.engine().region(quote.candidates[2].region)->code, "JJJ");
  EXPECT_EQ(quote.candidates[2].landed_per_scu_hour, 2'477'250);

  // 2. Buy it: one routed FOK order, landed limit 0.0190. Three children (one per day) in NM; each day
  //    notional 18.00 x 64 x 24 = 27,648.0000, buyer (taker) fee 10 bps = 27.6480, seller (maker) fee
  //    5 bps = 13.8240; the data moves once: 400.0000 CNY to CTNET rides on the first day's fill.
  const Money before = cash("BJAI");
  request(std::string(R"({"cmd":"route_order","participant":"BJAI","cl_ord_id":"train-72h","tif":"fok",)") + kJob +
          R"(,"limit_cny_per_scu_hour":"0.0190"})");
  ASSERT_EQ(events.done.size(), 1u);
  EXPECT_EQ(events.done[0], DoneReason::Filled);
  EXPECT_EQ(ex.engine().route_plan_mismatches(), 0u);
  ASSERT_EQ(ex.contract_count(), 3u);
  Money escrow = 0;
  for (const auto& [id, k] : ex.contracts()) {
    EXPECT_EQ(ex.engine().participant(k.seller)->code, "NMCLOUD");
    EXPECT_EQ(k.qty, 64);
    EXPECT_EQ(k.notional, 27'648'0000);
    EXPECT_EQ(k.buyer_fee, 27'6480);
    EXPECT_EQ(k.seller_fee, 13'8240);
    escrow += k.escrow();
  }
  const Contract& day1 = ex.contracts().begin()->second;
  ASSERT_EQ(day1.transport.size(), 1u);
  EXPECT_EQ(ex.engine().participant(day1.transport[0].carrier)->code, "CTNET");
  EXPECT_EQ(day1.transport[0].amount, 400'0000);
  EXPECT_EQ(escrow, 3 * (27'648'0000 + 27'6480) + 400'0000);  // 83,426.9440
  EXPECT_EQ(before - cash("BJAI"), escrow);

  // 3. Delivery: days 1 and 2 in full (1,536 device-hours each), day 3 only 1,500 of 1,536.
  now = at("2026-12-04T01:00:00+08:00");
  TradeId t = 0;
  for (const auto& [id, k] : ex.contracts()) {
    const int64_t delivered = ++t == 3 ? 1500 : 1536;
    request(R"({"cmd":"delivery_report","participant":"NMCLOUD","trade_id":)" + std::to_string(id) +
            R"(,"delivered_device_hours":)" + std::to_string(delivered) + "}");
  }
  // 4. Nobody disputes: after the 24-hour window the escrows pay out.
  now = at("2026-12-05T02:00:00+08:00");
  request(R"({"cmd":"advance_time","ts":"2026-12-05T02:00:00+08:00"})");
  for (const auto& [id, k] : ex.contracts()) EXPECT_EQ(k.state, ContractState::Settled);
  // Days 1, 2: supplier gross 27,648 - 13.8240 = 27,634.1760 -> NMCLOUD 80 % 22,107.3408, NMSTATE 20 %
  //   5,526.8352; fees 27.6480 + 13.8240 = 41.4720; no refund.
  // Day 3 (1,500 / 1,536 delivered): notional 27,000.0000, buyer fee 27.0000, seller fee 13.5000; gross
  //   26,986.5000 -> 21,589.2000 / 5,397.3000; fees 40.5000; refund 27,675.6480 - 26,986.5 - 40.5 = 648.6480.
  // The carrier is paid its 400.0000 in full: the data moved whatever was delivered.
  EXPECT_EQ(cash("NMCLOUD"), 2 * 22'107'3408 + 21'589'2000);  // 65,803.8816
  EXPECT_EQ(cash("NMSTATE"), 2 * 5'526'8352 + 5'397'3000);    // 16,450.9704
  EXPECT_EQ(cash("CTNET"), 400'0000);
  EXPECT_EQ(cash("CMNET"), 0);
  EXPECT_EQ(ex.ledger().account(kExchangeFeesAccount)->balance(), 2 * 41'4720 + 40'5000);  // 123.4440
  EXPECT_EQ(before - cash("BJAI"), escrow - 648'6480);  // 82,778.2960
  // To the fen: what the buyer paid is exactly what the supplier, its host, the carrier and the exchange got.
  EXPECT_EQ(before - cash("BJAI"), cash("NMCLOUD") + cash("NMSTATE") + cash("CTNET") +
                                       ex.ledger().account(kExchangeFeesAccount)->balance());
  // The carrier's statement shows one transport transfer.
  const auto st = build_statement(ex.ledger(), ex.engine().find_participant("CTNET"), "CTNET",
                                  [&](ParticipantId p) { return ex.engine().participant(p)->code; });
  EXPECT_NE(statement_csv(st).find("transport"), std::string::npos);
}

// One trade made of two planned steps pays the taker fee rounded once on its whole notional, and the
// credit check must count it so. NMCLOUD adds 17.91 asks: 64 devices on day 1, 1 on day 2, 64 on day 3.
// The job's first step takes 1 device a day (day 2's 17.91 ask has 1); the second takes 63 more, which on
// days 1 and 3 join the first step's fill (one trade of 64 each), on day 2 meet the 18.00 ask.
//   day 1, 3: 64 x 17.91 x 24 = 27,509.7600, fee 10 bps 27.50976 -> 27.5098 (the steps alone: 0.4298
//             + 27.0799 = 27.5097, one unit less)
//   day 2:    1 x 17.91 x 24 = 429.8400, fee 0.4298; 63 x 18.00 x 24 = 27,216.0000, fee 27.2160
//   transport 400.0000 in all: 6.2501 on the first step (989 of 63,296 SCU), 393.7499 on the second
//   total 82,665.3600 + 82.6654 + 400.0000 = 83,148.0254
class MergedFillJob : public BeijingJob {
 protected:
  void add_asks_and_buyer(const char* cash) {
    for (const auto& [day, qty] : {std::pair{"2026-12-01", 64}, {"2026-12-02", 1}, {"2026-12-03", 64}}) {
      request(std::string(R"({"cmd":"new_order","participant":"NMCLOUD","symbol":"NM.H100.D.)") + day +
              R"(","side":"sell","price":"17.91","qty":)" + std::to_string(qty) + "}");
    }
    request(R"({"cmd":"add_participant","code":"EDGE","kind":"buyer","roles":["trade_buy"]})");
    request(std::string(R"({"cmd":"deposit","target":"EDGE","amount":")") + cash + R"("})");
    request(std::string(R"({"cmd":"route_order","participant":"EDGE","cl_ord_id":"edge","tif":"ioc",)") + kJob +
            R"(,"limit_cny_per_scu_hour":"0.0190"})");
    ASSERT_EQ(events.done.size(), 1u);
    EXPECT_EQ(ex.engine().route_plan_mismatches(), 0u);
  }
  std::vector<Quantity> contract_devices() const {
    std::vector<Quantity> out;
    for (const auto& [id, k] : ex.contracts()) out.push_back(k.qty);
    return out;
  }
};

TEST_F(MergedFillJob, ExactCashBuysTheWholeJob) {
  add_asks_and_buyer("83148.0254");
  EXPECT_EQ(events.done[0], DoneReason::Filled);
  EXPECT_EQ(contract_devices(), (std::vector<Quantity>{64, 1, 63, 64}));
  EXPECT_EQ(cash("EDGE"), 0);
}

// One unit short: the second step does not fit whole, the IOC keeps the 62 devices that do (apply() checks
// the ledger after each command: a plan that undercounted the fee would overdraw EDGE's cash there).
//   day 1, 3: 63 x 17.91 x 24 = 27,079.9200 + 27.0799; day 2: 429.8400 + 0.4298 and 62 x 18.00 x 24 =
//   26,784.0000 + 26.7840; transport 400 x 62,307 / 63,296 = 393.7500 for the 62,307 SCU covered (6.2501
//   + 387.4999); total 81,848.8036.
TEST_F(MergedFillJob, OneUnitShortStopsAtTheCreditLimit) {
  add_asks_and_buyer("83148.0253");
  EXPECT_EQ(events.done[0], DoneReason::CreditLimit);
  EXPECT_EQ(contract_devices(), (std::vector<Quantity>{63, 1, 62, 63}));
  EXPECT_EQ(cash("EDGE"), 83'148'0253 - 81'848'8036);
}

TEST_F(BeijingJob, AZoneMissingADayIsNoCandidateAndALimitBelowTheCheapestBuysNothing) {
  request(R"({"cmd":"halt","symbol":"GS.H100.D.2026-12-02"})");
  auto q = api::decode_route_query(json::parse(std::string("{") + kJob + "}"), ex.engine());
  const RouteQuote quote = quote_route(ex.engine(), *q);
  ASSERT_EQ(quote.candidates.size(), 2u);  // GS has a halted day: not open
  for (const RouteCandidate& c : quote.candidates) EXPECT_NE(ex.engine().region(c.region)->code, "GS");
  size_t not_open = 0;
  for (const RouteExclusion& e : quote.excluded) not_open += e.reason == "not_open";
  EXPECT_EQ(not_open, 3u);  // every book of the GS tiling is named
  // 0.0182 < NM's 0.01828797 landed: the FOK cannot fill and nothing trades.
  request(std::string(R"({"cmd":"route_order","participant":"BJAI","cl_ord_id":"cheap","tif":"fok",)") + kJob +
          R"(,"limit_cny_per_scu_hour":"0.0182"})");
  ASSERT_EQ(events.done.size(), 1u);
  EXPECT_EQ(events.done[0], DoneReason::FokNotFilled);
  EXPECT_EQ(ex.contract_count(), 0u);
}

}  // namespace
}  // namespace cpx::persistence
