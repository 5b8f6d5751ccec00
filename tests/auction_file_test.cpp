// The auction day file and the result files (docs/AUCTION_FILES.md): round trip, every validation error,
// a day exported from the engine re-solved offline to the very same result, and the money identity of
// balances.csv.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cpx/auction_codec.hpp"
#include "cpx/auction_solver.hpp"
#include "exchange.hpp"
#include "json/auction_file.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "small_stack.hpp"

namespace cpx::test {
namespace {

using nlohmann::json;

// A small day written by hand: three regions, two ai classes and one general, four links (two carriers),
// offers in two zones, bids with every kind of constraint. Routes are frozen by freeze_routes().
json small_day() {
  return json::parse(R"({
    "format": "cpx-auction-day/1",
    "day": "2026-12-02",
    "gate_closure": "2026-12-01T12:00:00+08:00",
    "fee_bps": 10,
    "participants": [
      {"code": "SUP1", "name": "Supplier one", "kind": "cloud_vendor"},
      {"code": "SUP2", "name": "Supplier two", "kind": "state_operator"},
      {"code": "NET1", "name": "Carrier one", "kind": "carrier"},
      {"code": "NET2", "name": "Carrier two", "kind": "carrier"},
      {"code": "BUY1", "name": "Buyer one", "kind": "buyer"},
      {"code": "BUY2", "kind": "buyer"}
    ],
    "regions": [
      {"code": "A", "name": "Region A", "side": "east", "jurisdiction": "CN-A", "green_share": "0.30"},
      {"code": "B", "name": "Region B", "side": "west", "jurisdiction": "CN-B", "green_share": "0.60", "pue": "1.2", "power_price_cny_per_kwh": "0.35"},
      {"code": "C", "side": "west", "jurisdiction": "CN-C", "green_share": "0.5"}
    ],
    "classes": [
      {"code": "GPU1", "family": "ai", "scu_per_device": 10},
      {"code": "GPU2", "family": "ai", "scu_per_device": 20, "device": "1 GPU", "memory_gb": 80, "interconnect": "NVLink"},
      {"code": "CPU", "family": "general", "scu_per_device": 2}
    ],
    "links": [
      {"from": "A", "to": "B", "latency_ms": 10, "capacity_gbps": 1, "tariff_cny_per_gb": "0.0100", "carrier": "NET1"},
      {"from": "B", "to": "A", "latency_ms": 10, "capacity_gbps": 1, "tariff_cny_per_gb": "0.0100", "carrier": "NET1"},
      {"from": "A", "to": "C", "latency_ms": 30, "capacity_gbps": 10, "tariff_cny_per_gb": "0.02", "carrier": "NET2"},
      {"from": "B", "to": "C", "latency_ms": 5, "capacity_gbps": 10, "tariff_cny_per_gb": "0.0050", "carrier": "NET2"}
    ],
    "offers": [
      {"id": 1, "cl_ord_id": "a-0", "supplier": "SUP1", "region": "A", "class": "GPU1", "hour": 0, "devices": 20, "price": "3.00"},
      {"id": 2, "supplier": "SUP2", "region": "B", "class": "GPU1", "hour": 0, "devices": 30, "price": "1.00"},
      {"id": 3, "supplier": "SUP2", "region": "B", "class": "GPU1", "hour": 1, "devices": 30, "price": "1.20"},
      {"id": 4, "supplier": "SUP1", "region": "A", "class": "GPU1", "hour": 1, "devices": 20, "price": "3.00"},
      {"id": 5, "supplier": "SUP2", "region": "C", "class": "GPU2", "hour": 1, "devices": 10, "price": "2.50"}
    ],
    "bids": [
      {"id": 11, "cl_ord_id": "b-1", "buyer": "BUY1", "first_hour": 0, "hours": 2, "scu_per_hour": 200, "min_ratio": "0.5",
       "limit_cny_per_scu_hour": "0.25000000", "data_gb_per_hour": 500, "classes": ["GPU1", "GPU2"], "regions": "any",
       "origin": "A", "max_latency_ms": 20, "residency": "any"},
      {"id": 12, "buyer": "BUY2", "first_hour": 1, "hours": 1, "scu_per_hour": 40, "limit_cny_per_scu_hour": "0.2",
       "classes": ["GPU2"], "regions": ["C"], "origin": "B", "residency": ["CN-C", "CN-B"], "min_green_share": "0.50"},
      {"id": 13, "buyer": "BUY2", "first_hour": 5, "hours": 3, "scu_per_hour": 8, "limit_cny_per_scu_hour": "0.5",
       "data_gb_per_hour": 1, "classes": ["CPU"], "origin": "A", "residency": "local", "reserve": "100.0000"}
    ]
  })");
}

AuctionSolverOptions options() {
  AuctionSolverOptions o;
  o.time_limit_s = 60;
  return o;
}

api::AuctionDayFile frozen_small_day() {
  auto f = api::read_auction_day(small_day().dump());
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().text);
  api::freeze_routes(*f);
  return *f;
}

std::string bytes(const AuctionInput& in) {
  std::string out;
  ByteWriter w(out);
  put(w, in);
  return out;
}

std::string bytes(const AuctionResult& r) {
  std::string out;
  ByteWriter w(out);
  put(w, r);
  return out;
}

void expect_same_query(const RouteQuery& a, const RouteQuery& b) {
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.regions, b.regions);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.max_latency_ms, b.max_latency_ms);
  EXPECT_EQ(a.local_only, b.local_only);
  EXPECT_EQ(a.jurisdictions, b.jurisdictions);
  EXPECT_EQ(a.min_green_share, b.min_green_share);
  EXPECT_EQ(a.data_gb, b.data_gb);
  EXPECT_EQ(a.scu, b.scu);
  EXPECT_EQ(a.window_start, b.window_start);
  EXPECT_EQ(a.window_end, b.window_end);
  EXPECT_EQ(a.limit_per_scu_hour, b.limit_per_scu_hour);
}

void expect_same_file(const api::AuctionDayFile& a, const api::AuctionDayFile& b) {
  EXPECT_EQ(a.day_start, b.day_start);
  EXPECT_EQ(a.gate_closure, b.gate_closure);
  EXPECT_EQ(a.fee_bps, b.fee_bps);
  ASSERT_EQ(a.participants.size(), b.participants.size());
  for (size_t i = 0; i < a.participants.size(); ++i) {
    EXPECT_EQ(a.participants[i].code, b.participants[i].code);
    EXPECT_EQ(a.participants[i].name, b.participants[i].name);
    EXPECT_EQ(a.participants[i].kind, b.participants[i].kind);
  }
  ASSERT_EQ(a.regions.size(), b.regions.size());
  for (size_t i = 0; i < a.regions.size(); ++i) {
    EXPECT_EQ(a.regions[i].code, b.regions[i].code);
    EXPECT_EQ(a.regions[i].name, b.regions[i].name);
    EXPECT_EQ(a.regions[i].side, b.regions[i].side);
    EXPECT_EQ(a.regions[i].jurisdiction, b.regions[i].jurisdiction);
    EXPECT_EQ(a.regions[i].green_share, b.regions[i].green_share);
    EXPECT_EQ(a.regions[i].power_price, b.regions[i].power_price);
    EXPECT_EQ(a.regions[i].pue, b.regions[i].pue);
  }
  ASSERT_EQ(a.classes.size(), b.classes.size());
  for (size_t i = 0; i < a.classes.size(); ++i) {
    EXPECT_EQ(a.classes[i].code, b.classes[i].code);
    EXPECT_EQ(a.classes[i].family, b.classes[i].family);
    EXPECT_EQ(a.classes[i].scu_per_device, b.classes[i].scu_per_device);
    EXPECT_EQ(a.classes[i].device, b.classes[i].device);
    EXPECT_EQ(a.classes[i].memory_gb, b.classes[i].memory_gb);
    EXPECT_EQ(a.classes[i].interconnect, b.classes[i].interconnect);
  }
  ASSERT_EQ(a.links.size(), b.links.size());
  for (size_t i = 0; i < a.links.size(); ++i) {
    EXPECT_EQ(a.links[i].from, b.links[i].from);
    EXPECT_EQ(a.links[i].to, b.links[i].to);
    EXPECT_EQ(a.links[i].latency_ms, b.links[i].latency_ms);
    EXPECT_EQ(a.links[i].capacity_gbps, b.links[i].capacity_gbps);
    EXPECT_EQ(a.links[i].tariff_per_gb, b.links[i].tariff_per_gb);
    EXPECT_EQ(a.links[i].carrier, b.links[i].carrier);
  }
  ASSERT_EQ(a.offers.size(), b.offers.size());
  for (size_t i = 0; i < a.offers.size(); ++i) {
    const auto &x = a.offers[i], &y = b.offers[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.cl_ord_id, y.cl_ord_id);
    EXPECT_EQ(x.supplier, y.supplier);
    EXPECT_EQ(x.region, y.region);
    EXPECT_EQ(x.chip_class, y.chip_class);
    EXPECT_EQ(x.hour, y.hour);
    EXPECT_EQ(x.devices, y.devices);
    EXPECT_EQ(x.price, y.price);
  }
  ASSERT_EQ(a.bids.size(), b.bids.size());
  for (size_t j = 0; j < a.bids.size(); ++j) {
    SCOPED_TRACE("bid " + std::to_string(j));
    const auto &x = a.bids[j], &y = b.bids[j];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.cl_ord_id, y.cl_ord_id);
    EXPECT_EQ(x.buyer, y.buyer);
    EXPECT_EQ(x.first_hour, y.first_hour);
    EXPECT_EQ(x.hours, y.hours);
    EXPECT_EQ(x.min_ratio_bps, y.min_ratio_bps);
    EXPECT_EQ(x.reserve, y.reserve);
    expect_same_query(x.constraints, y.constraints);
    ASSERT_EQ(x.routes.has_value(), y.routes.has_value());
    if (!x.routes) continue;
    ASSERT_EQ(x.routes->size(), y.routes->size());
    for (size_t k = 0; k < x.routes->size(); ++k) {
      EXPECT_EQ((*x.routes)[k].region, (*y.routes)[k].region);
      EXPECT_EQ((*x.routes)[k].chip_class, (*y.routes)[k].chip_class);
      EXPECT_EQ((*x.routes)[k].path, (*y.routes)[k].path);
    }
  }
}

TEST(AuctionFile, ReadsEveryFieldOfTheSmallDay) {
  const api::AuctionDayFile f = frozen_small_day();
  EXPECT_EQ(f.day_start, *parse_iso_time("2026-12-02T00:00:00+08:00"));
  EXPECT_EQ(*f.gate_closure, *parse_iso_time("2026-12-01T12:00:00+08:00"));
  ASSERT_EQ(f.regions.size(), 3u);
  EXPECT_EQ(f.regions[1].green_share, 6000);
  EXPECT_EQ(f.regions[1].pue, 12000);
  EXPECT_EQ(f.links[2].tariff_per_gb, 200);  // "0.02"
  EXPECT_EQ(f.links[2].carrier, 3u);          // NET2
  EXPECT_EQ(f.offers[0].cl_ord_id, "a-0");
  EXPECT_EQ(f.offers[1].price, 10'000);
  const api::AuctionFileBid& b = f.bids[0];
  EXPECT_EQ(b.min_ratio_bps, 5'000);
  EXPECT_EQ(b.constraints.limit_per_scu_hour, 25'000'000);
  EXPECT_EQ(b.constraints.max_latency_ms, 20);
  EXPECT_EQ(b.constraints.data_gb, 500);
  EXPECT_FALSE(b.reserve.has_value());
  EXPECT_EQ(f.bids[1].constraints.jurisdictions, (std::vector<std::string>{"CN-C", "CN-B"}));
  EXPECT_EQ(f.bids[1].constraints.min_green_share, 5'000);
  EXPECT_EQ(f.bids[1].min_ratio_bps, 10'000);  // all or none when not given
  EXPECT_TRUE(f.bids[2].constraints.local_only);
  EXPECT_EQ(*f.bids[2].reserve, 1'000'000);
  // Bid 11 from A within 20 ms, GPU1 or GPU2 (20 SCU <= 200): A; B over A->B (10 ms); C not directly
  // (30 ms) but over A->B->C (15 ms, and cheaper).
  ASSERT_TRUE(f.bids[0].routes.has_value());
  ASSERT_EQ(f.bids[0].routes->size(), 6u);
  EXPECT_EQ((*f.bids[0].routes)[0].path, (std::vector<RegionId>{0}));
  EXPECT_EQ((*f.bids[0].routes)[2].path, (std::vector<RegionId>{0, 1}));
  EXPECT_EQ((*f.bids[0].routes)[4].path, (std::vector<RegionId>{0, 1, 2}));
  // Bid 12 from B to C only (green share and residency allow B and C, "regions" only C).
  ASSERT_EQ(f.bids[1].routes->size(), 1u);
  EXPECT_EQ((*f.bids[1].routes)[0].path, (std::vector<RegionId>{1, 2}));

  auto in = api::auction_input_from_file(f);
  ASSERT_TRUE(in.ok()) << in.error().text;
  ASSERT_EQ(in->zones.size(), 9u);
  EXPECT_EQ(in->zones[1 * 3 + 1].region, 1);
  EXPECT_EQ(in->zones[1 * 3 + 1].chip_class, 1);
  EXPECT_EQ(in->zones[1 * 3 + 1].scu_per_device, 20);
  EXPECT_EQ(in->links[0].capacity_gb_per_hour, 450);
  EXPECT_EQ(in->offers[1].zone, 3u);  // B x GPU1
  EXPECT_EQ(in->blocks[0].routes[2].zone, 3u);
  EXPECT_EQ(in->blocks[0].routes[2].links, (std::vector<uint32_t>{0}));
  // No reserve given: the engine's, at the file's fee, over the smallest device of the classes (GPU1).
  EXPECT_EQ(in->blocks[0].reserve, auction_block_reserve(200, 2, 25'000'000, 10, 10));
  EXPECT_EQ(in->blocks[2].reserve, 1'000'000);
}

TEST(AuctionFile, RoundTripGivesTheSameFileInputAndConstraints) {
  const api::AuctionDayFile f = frozen_small_day();
  const std::string text = api::write_auction_day(f);
  auto again = api::read_auction_day(text);
  ASSERT_TRUE(again.ok()) << again.error().text;
  expect_same_file(f, *again);
  EXPECT_EQ(api::write_auction_day(*again), text);  // the text is canonical
  auto a = api::auction_input_from_file(f);
  auto b = api::auction_input_from_file(*again);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(bytes(*a), bytes(*b));
  // Decimals are strings with their exact scale, never JSON numbers.
  const json doc = json::parse(text);
  EXPECT_EQ(doc["offers"][1]["price"], "1.0000");
  EXPECT_EQ(doc["bids"][0]["limit_cny_per_scu_hour"], "0.25000000");
  EXPECT_EQ(doc["links"][2]["tariff_cny_per_gb"], "0.0200");
  EXPECT_EQ(doc["bids"][1]["residency"], json({"CN-C", "CN-B"}));
  EXPECT_EQ(doc["bids"][2]["residency"], "local");
  EXPECT_EQ(doc["bids"][0]["routes"][2], json({{"region", "B"}, {"class", "GPU1"}, {"path", {"A", "B"}}}));
  EXPECT_FALSE(doc["bids"][1].contains("max_latency_ms"));  // no limit
}

TEST(AuctionFile, RecomputedRoutesEqualFrozenOnesUntilTheNetworkChanges) {
  api::AuctionDayFile f = frozen_small_day();
  EXPECT_TRUE(api::bids_with_other_routes(f).empty());
  auto frozen = api::auction_input_from_file(f, false);
  auto recomputed = api::auction_input_from_file(f, true);
  ASSERT_TRUE(frozen.ok() && recomputed.ok());
  EXPECT_EQ(bytes(*frozen), bytes(*recomputed));
  // What-if: the A->B link is slower than the bid's latency limit; the frozen routes still use it.
  f.links[0].latency_ms = 25;
  EXPECT_EQ(api::bids_with_other_routes(f), (std::vector<uint32_t>{0}));
  auto what_if = api::auction_input_from_file(f, true);
  ASSERT_TRUE(what_if.ok());
  ASSERT_EQ(what_if->blocks[0].routes.size(), 2u);  // only A's zones are left
  EXPECT_EQ(what_if->blocks[0].routes[1].zone, 1u);
  // Routes missing from the file: only with recomputation.
  f.bids[0].routes.reset();
  auto missing = api::auction_input_from_file(f, false);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().text.find("bids[0] (id 11) has no \"routes\""), std::string::npos) << missing.error().text;
  EXPECT_NE(missing.error().text.find("--recompute-routes"), std::string::npos);
}

// Every validation error: a change to the small day and the sentence it must give.
struct BadCase {
  const char* what;
  std::function<void(json&)> change;
  const char* expected;
};

TEST(AuctionFile, RefusesEachKindOfBadFieldWithASentenceNamingTheEntry) {
  const std::vector<BadCase> cases = {
      {"format", [](json& d) { d["format"] = "cpx-auction-day/2"; }, "field \"format\" must be \"cpx-auction-day/1\" (this file says \"cpx-auction-day/2\")"},
      {"no format", [](json& d) { d.erase("format"); }, "field \"format\" must be \"cpx-auction-day/1\": is this an auction day file?"},
      {"unknown top field", [](json& d) { d["fees"] = 5; }, "the auction day file: unknown field \"fees\""},
      {"day", [](json& d) { d["day"] = "2026-02-30"; }, "field \"day\" must be a date YYYY-MM-DD"},
      {"day missing", [](json& d) { d.erase("day"); }, "the auction day file: field \"day\" is required"},
      {"gate after start", [](json& d) { d["gate_closure"] = "2026-12-02T01:00:00+08:00"; }, "field \"gate_closure\" must be before the delivery day starts"},
      {"gate text", [](json& d) { d["gate_closure"] = "noon"; }, "field \"gate_closure\" must be an ISO-8601 time"},
      {"fee", [](json& d) { d["fee_bps"] = 10001; }, "field \"fee_bps\" must be from 0 to 10000, not 10001"},
      {"fee float", [](json& d) { d["fee_bps"] = 2.5; }, "field \"fee_bps\" must be a whole number"},
      {"participant code", [](json& d) { d["participants"][1]["code"] = "sup2"; }, "participants[1] (sup2): field \"code\" must be a code of 1 to 16 characters"},
      {"participant twice", [](json& d) { d["participants"][1]["code"] = "SUP1"; }, "participants[1] (SUP1): the code SUP1 is listed twice"},
      {"participant kind", [](json& d) { d["participants"][0]["kind"] = "vendor"; }, "participants[0] (SUP1): field \"kind\" must be one of"},
      {"participant not object", [](json& d) { d["participants"][0] = "SUP1"; }, "participants[0]: must be a JSON object"},
      {"region side", [](json& d) { d["regions"][0]["side"] = "north"; }, "regions[0] (A): field \"side\" must be \"east\" or \"west\""},
      {"region jurisdiction", [](json& d) { d["regions"][0]["jurisdiction"] = ""; }, "regions[0] (A): field \"jurisdiction\" must be 1 to 32 bytes"},
      {"region jurisdiction long", [](json& d) { d["regions"][0]["jurisdiction"] = std::string(33, 'J'); }, "regions[0] (A): field \"jurisdiction\" must be 1 to 32 bytes"},
      {"green float", [](json& d) { d["regions"][1]["green_share"] = 0.6; }, "regions[1] (B): field \"green_share\" is a JSON number; decimals are written as strings"},
      {"green range", [](json& d) { d["regions"][1]["green_share"] = "1.5"; }, "regions[1] (B): field \"green_share\" must be from \"0.0000\" to \"1.0000\", not \"1.5\""},
      {"green decimals", [](json& d) { d["regions"][1]["green_share"] = "0.123456"; }, "regions[1] (B): field \"green_share\" must be a decimal with at most 4 decimals"},
      {"region unknown field", [](json& d) { d["regions"][2]["green"] = "0.5"; }, "regions[2] (C): unknown field \"green\""},
      {"class family", [](json& d) { d["classes"][0]["family"] = "gpu"; }, "classes[0] (GPU1): field \"family\" must be \"ai\" or \"general\""},
      {"class scu", [](json& d) { d["classes"][1]["scu_per_device"] = 0; }, "classes[1] (GPU2): field \"scu_per_device\" must be from 1 to 1000000, not 0"},
      {"class twice", [](json& d) { d["classes"][2]["code"] = "GPU1"; }, "classes[2] (GPU1): the code GPU1 is listed twice"},
      {"link region", [](json& d) { d["links"][0]["to"] = "Z"; }, "links[0] (A>Z): field \"to\" names \"Z\", which is not in \"regions\""},
      {"link loop", [](json& d) { d["links"][0]["to"] = "A"; }, "links[0] (A>A): a link joins two different regions"},
      {"link twice", [](json& d) { d["links"][1]["from"] = "A"; d["links"][1]["to"] = "B"; }, "links[1] (A>B): there is a link from A to B already"},
      {"link latency", [](json& d) { d["links"][0]["latency_ms"] = 0; }, "links[0] (A>B): field \"latency_ms\" must be from 1 to 10000"},
      {"link capacity", [](json& d) { d["links"][0]["capacity_gbps"] = 2000000; }, "links[0] (A>B): field \"capacity_gbps\" must be from 1 to 1000000"},
      {"link tariff float", [](json& d) { d["links"][0]["tariff_cny_per_gb"] = 0.01; }, "links[0] (A>B): field \"tariff_cny_per_gb\" is a JSON number"},
      {"link tariff range", [](json& d) { d["links"][0]["tariff_cny_per_gb"] = "-0.01"; }, "links[0] (A>B): field \"tariff_cny_per_gb\" must be from \"0.0000\""},
      {"link carrier", [](json& d) { d["links"][3]["carrier"] = "NET9"; }, "links[3] (B>C): field \"carrier\" names \"NET9\", which is not in \"participants\""},
      {"offer id taken", [](json& d) { d["offers"][2]["id"] = 12; }, "bids[1] (id 12): the id 12 is taken by offers[2] (id 12)"},
      {"bid id taken", [](json& d) { d["bids"][0]["id"] = 1; }, "bids[0] (id 1): the id 1 is taken by offers[0] (id 1)"},
      {"offer id zero", [](json& d) { d["offers"][0]["id"] = 0; }, "offers[0] (id 0): field \"id\" must be a positive whole number"},
      {"offer hour", [](json& d) { d["offers"][1]["hour"] = 24; }, "offers[1] (id 2): field \"hour\" must be from 0 to 23, not 24"},
      {"offer devices", [](json& d) { d["offers"][1]["devices"] = 0; }, "offers[1] (id 2): field \"devices\" must be from 1 to 1000000000, not 0"},
      {"offer price decimals", [](json& d) { d["offers"][1]["price"] = "1.00005"; }, "offers[1] (id 2): field \"price\" must be a decimal with at most 4 decimals"},
      {"offer price number", [](json& d) { d["offers"][1]["price"] = 1; }, "offers[1] (id 2): field \"price\" is a JSON number"},
      {"offer supplier", [](json& d) { d["offers"][3]["supplier"] = "SUP9"; }, "offers[3] (id 4): field \"supplier\" names \"SUP9\", which is not in \"participants\""},
      {"offer class", [](json& d) { d["offers"][4]["class"] = "GPU9"; }, "offers[4] (id 5): field \"class\" names \"GPU9\", which is not in \"classes\""},
      {"offer field", [](json& d) { d["offers"][0]["pirce"] = "3.00"; }, "offers[0] (id 1): unknown field \"pirce\""},
      {"offer cl_ord_id", [](json& d) { d["offers"][0]["cl_ord_id"] = std::string(33, 'x'); }, "offers[0] (id 1): field \"cl_ord_id\" must be at most 32 bytes"},
      {"bid hours", [](json& d) { d["bids"][2]["hours"] = 20; }, "bids[2] (id 13): field \"hours\" must be from 1 to 19, not 20"},
      {"bid first hour", [](json& d) { d["bids"][2]["first_hour"] = -1; }, "bids[2] (id 13): field \"first_hour\" must be from 0 to 23, not -1"},
      {"bid scu", [](json& d) { d["bids"][0]["scu_per_hour"] = 0; }, "bids[0] (id 11): field \"scu_per_hour\" must be from 1 to"},
      {"bid min ratio", [](json& d) { d["bids"][0]["min_ratio"] = "0"; }, "bids[0] (id 11): field \"min_ratio\" must be from \"0.0001\" to \"1.0000\", not \"0\""},
      {"bid limit decimals", [](json& d) { d["bids"][0]["limit_cny_per_scu_hour"] = "0.123456789"; }, "bids[0] (id 11): field \"limit_cny_per_scu_hour\" must be a decimal with at most 8 decimals"},
      {"bid limit missing", [](json& d) { d["bids"][0].erase("limit_cny_per_scu_hour"); }, "bids[0] (id 11): field \"limit_cny_per_scu_hour\" is required"},
      {"bid data", [](json& d) { d["bids"][0]["data_gb_per_hour"] = -1; }, "bids[0] (id 11): field \"data_gb_per_hour\" must be from 0 to 1000000000"},
      {"bid reserve", [](json& d) { d["bids"][2]["reserve"] = 100; }, "bids[2] (id 13): field \"reserve\" is a JSON number"},
      {"bid buyer", [](json& d) { d["bids"][1]["buyer"] = "BUY9"; }, "bids[1] (id 12): field \"buyer\" names \"BUY9\", which is not in \"participants\""},
      {"bid classes empty", [](json& d) { d["bids"][0]["classes"] = json::array(); }, "bids[0] (id 11): field \"classes\" must not be empty"},
      {"bid classes family", [](json& d) { d["bids"][0]["classes"] = {"GPU1", "CPU"}; }, "bids[0] (id 11): field \"classes\" must all be of one family (ai or general): \"CPU\" is not"},
      {"bid classes twice", [](json& d) { d["bids"][0]["classes"] = {"GPU1", "GPU1"}; }, "bids[0] (id 11): field \"classes\" names \"GPU1\" twice"},
      {"bid regions empty", [](json& d) { d["bids"][0]["regions"] = json::array(); }, "bids[0] (id 11): field \"regions\" must be \"any\" or a non-empty list of region codes"},
      {"bid region unknown", [](json& d) { d["bids"][1]["regions"] = {"Q"}; }, "bids[1] (id 12): field \"regions\" names \"Q\", which is not in \"regions\""},
      {"bid origin", [](json& d) { d["bids"][1]["origin"] = "Q"; }, "bids[1] (id 12): field \"origin\" names \"Q\", which is not in \"regions\""},
      {"bid latency", [](json& d) { d["bids"][0]["max_latency_ms"] = -1; }, "bids[0] (id 11): field \"max_latency_ms\" must be from 0 to"},
      {"bid residency", [](json& d) { d["bids"][0]["residency"] = "national"; }, "bids[0] (id 11): field \"residency\" must be \"any\", \"local\" or a non-empty list of jurisdictions"},
      {"bid residency entry", [](json& d) { d["bids"][1]["residency"] = {"CN-C", ""}; }, "bids[1] (id 12): field \"residency\" must be \"any\", \"local\" or a list of jurisdictions"},
      {"bid green", [](json& d) { d["bids"][1]["min_green_share"] = "2"; }, "bids[1] (id 12): field \"min_green_share\" must be from \"0.0000\" to \"1.0000\""},
      {"bid field", [](json& d) { d["bids"][0]["data_gb"] = 5; }, "bids[0] (id 11): unknown field \"data_gb\""},
      {"route path start", [](json& d) { d["bids"][1]["routes"] = {{{"region", "C"}, {"class", "GPU2"}, {"path", {"A", "C"}}}}; }, "bids[1] (id 12), routes[0]: field \"path\" must start at the bid's origin B"},
      {"route path end", [](json& d) { d["bids"][1]["routes"] = {{{"region", "C"}, {"class", "GPU2"}, {"path", {"B"}}}}; }, "bids[1] (id 12), routes[0]: field \"path\" must end at the route's region C"},
      {"route no link", [](json& d) { d["bids"][1]["routes"] = {{{"region", "A"}, {"class", "GPU2"}, {"path", {"B", "C", "A"}}}}; }, "bids[1] (id 12), routes[0]: field \"path\" goes from C to A, but \"links\" has no such link"},
      {"route loop", [](json& d) { d["bids"][1]["routes"] = {{{"region", "B"}, {"class", "GPU2"}, {"path", {"B", "A", "B"}}}}; }, "bids[1] (id 12), routes[0]: field \"path\" passes B twice"},
      {"route too long", [](json& d) { d["bids"][1]["routes"] = {{{"region", "C"}, {"class", "GPU2"}, {"path", {"B", "A", "C", "B", "C"}}}}; }, "bids[1] (id 12), routes[0]: field \"path\" has 4 links; a route has at most 3"},
      {"route zone twice", [](json& d) { d["bids"][1]["routes"] = {{{"region", "C"}, {"class", "GPU2"}, {"path", {"B", "C"}}}, {{"region", "C"}, {"class", "GPU2"}, {"path", {"B", "C"}}}}; }, "bids[1] (id 12), routes[1]: the zone C x GPU2 has a route already"},
      {"route field", [](json& d) { d["bids"][1]["routes"] = {{{"region", "C"}, {"class", "GPU2"}, {"path", {"B", "C"}}, {"links", {3}}}}; }, "bids[1] (id 12), routes[0]: unknown field \"links\""},
      {"route class", [](json& d) { d["bids"][1]["routes"] = {{{"region", "C"}, {"class", "TPU"}, {"path", {"B", "C"}}}}; }, "bids[1] (id 12), routes[0]: field \"class\" names \"TPU\", which is not in \"classes\""},
      {"offers not array", [](json& d) { d["offers"] = json::object(); }, "the auction day file: field \"offers\" must be an array"},
      {"too many zones", [](json& d) {  // 300 x 300 = 90,000 zones: refused before the solver sizes anything
         json regions = json::array(), classes = json::array();
         for (int i = 0; i < 300; ++i) {
           regions.push_back({{"code", "R" + std::to_string(i)}, {"side", "west"}, {"jurisdiction", "CN"}, {"green_share", "0.5"}});
           classes.push_back({{"code", "K" + std::to_string(i)}, {"family", "ai"}, {"scu_per_device", 1}});
         }
         d["regions"] = regions;
         d["classes"] = classes;
       }, "fields \"regions\" x \"classes\" make more than 65536 zones"},
      {"residency name too long", [](json& d) { d["bids"][0]["residency"] = {std::string(33, 'J')}; }, "field \"residency\": a jurisdiction is a name of 1 to 32 bytes"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    json doc = small_day();
    c.change(doc);
    auto f = api::read_auction_day(doc.dump());
    ASSERT_FALSE(f.ok()) << "accepted";
    EXPECT_EQ(f.error().code, "auction_file_invalid");
    EXPECT_NE(f.error().text.find(c.expected), std::string::npos) << "got: " << f.error().text;
  }
}

TEST(AuctionFile, RefusesTextThatIsNotAnAuctionDay) {
  for (const char* text : {"", "{", "[1,2]", "null", "{\"format\":\"cpx-auction-day/1\"", "\xff\xfe"}) {
    auto f = api::read_auction_day(text);
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_EQ(f.error().code, "auction_file_invalid");
    EXPECT_FALSE(f.error().text.empty());
  }
  auto missing = api::load_auction_day("/nonexistent/day.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().text.find("cannot open /nonexistent/day.json"), std::string::npos);
}

// A value nested 30,000 deep where an entry or a number is expected: the error shows it bounded, and the
// reader never recurses once per level (dump() did: the stack overflowed under ASan, and on a 256 KiB
// stack without it).
TEST(AuctionFile, DeeplyNestedValuesAreRefusedWithoutRecursion) {
  const size_t n = 30'000;
  const std::string deep = std::string(n, '[') + std::string(n, ']');
  const std::string day = api::write_auction_day(frozen_small_day());
  std::vector<std::string> errors;
  test::on_small_stack([&] {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"\"offers\": [", "\"offers\": [" + deep + ","}, {"\"fee_bps\": 10", "\"fee_bps\": " + deep},
             {"\"format\": \"cpx-auction-day/1\"", "\"format\": " + deep}}) {
      std::string text = day;
      const size_t at = text.find(from);
      if (at == std::string::npos) {
        errors.push_back("no " + from + " in the day file");
        continue;
      }
      text.replace(at, from.size(), to);
      auto f = api::read_auction_day(text);
      errors.push_back(f ? "read" : f.error().text);
    }
  });
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("offers[0]: must be a JSON object, not [[[["), std::string::npos) << errors[0].substr(0, 300);
  EXPECT_NE(errors[1].find("field \"fee_bps\" must be a whole number, not [[[["), std::string::npos) << errors[1].substr(0, 300);
  EXPECT_NE(errors[2].find("this file says [[[["), std::string::npos) << errors[2].substr(0, 300);
  for (const std::string& e : errors) EXPECT_LT(e.size(), 400u) << e.substr(0, 300);
}

// Damage anywhere in a file: a value replaced by one of another type or range, a field removed, an entry
// repeated. Reading (and building the input) must answer with a value or an error, never crash or throw.
json* random_node(json& root, std::mt19937_64& rng, json** parent, std::string* key, size_t* index) {
  json* node = &root;
  *parent = nullptr;
  while ((node->is_object() || node->is_array()) && !node->empty() && rng() % 4 != 0) {
    *parent = node;
    if (node->is_object()) {
      auto it = node->begin();
      std::advance(it, static_cast<long>(rng() % node->size()));
      *key = it.key();
      node = &*it;
    } else {
      *index = rng() % node->size();
      node = &(*node)[*index];
    }
  }
  return node;
}

void damage(json& doc, std::mt19937_64& rng) {
  static const std::vector<json> junk = {nullptr, 0, -1, 7, 24, 1.5, "", "x", "0.5", "-3", "1e9", "A", "GPU1", "SUP1",
                                         json::array(), json::object(), true, json::array({"A", "B"}),
                                         json(UINT64_MAX), json(INT64_MIN), "99999999999999999999", "0.000000001"};
  json* parent = nullptr;
  std::string key;
  size_t index = 0;
  json* node = random_node(doc, rng, &parent, &key, &index);
  const int how = static_cast<int>(rng() % 3);
  if (how == 0 && parent && parent->is_object()) {
    parent->erase(key);
  } else if (how == 1 && parent && parent->is_array()) {
    parent->push_back(*node);
  } else {
    *node = junk[rng() % junk.size()];
  }
}

TEST(AuctionFile, RandomDamageGivesAnErrorOrAFileNeverACrash) {
  std::mt19937_64 rng(20261202);
  json base = json::parse(api::write_auction_day(frozen_small_day()));
  int read = 0, built = 0;
  for (int i = 0; i < 3000; ++i) {
    json doc = base;
    for (int e = 1 + static_cast<int>(rng() % 3); e > 0; --e) damage(doc, rng);
    auto f = api::read_auction_day(doc.dump());
    if (!f.ok()) {
      EXPECT_EQ(f.error().code, "auction_file_invalid");
      EXPECT_FALSE(f.error().text.empty());
      continue;
    }
    ++read;
    auto in = api::auction_input_from_file(*f, rng() % 2 == 0);
    if (in.ok()) ++built;
  }
  // Some damage is harmless (a name, a dropped optional field): both paths are taken.
  EXPECT_GT(read, 0);
  EXPECT_GT(built, 0);
  EXPECT_LT(read, 3000);
}

// ---- a day the engine froze, exported and solved offline

class NullListener final : public EventListener {};

// The scenario of tests/data/auction_day.jsonl up to its gate (config reference data, the network, the
// participants, the auction's orders), plus a block whose data congests the GBA->NM link, then the gate.
struct EngineDay {
  NullListener quiet;
  persistence::Exchange exchange{quiet};
  Timestamp day_start = *api::parse_auction_day("2026-12-02");

  void apply_line(const std::string& line) {
    api::EngineNames names(exchange.engine());
    api::CommandDecoder decoder(names);
    auto cmd = decoder.decode(line, exchange.engine().now());
    ASSERT_TRUE(cmd.ok()) << cmd.error().text << "\n" << line;
    exchange.apply(*cmd);
  }

  void build() {
    auto reference = api::load_reference_requests(api::default_config_dir());
    ASSERT_TRUE(reference.ok());
    for (const std::string& r : *reference) apply_line(r);
    std::ifstream in(std::string(CPX_SOURCE_DIR) + "/tests/data/auction_day.jsonl");
    ASSERT_TRUE(in.good());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (line.find("\"advance_time\"") != std::string::npos) break;  // the gate
      apply_line(line);
    }
    apply_line(R"({"cmd":"auction_offer","participant":"NMDC","cl_ord_id":"nm-extra","day":"2026-12-02","region":"NM","class":"H100","hour":9,"devices":256,"price":"18.10"})");
    apply_line(R"({"cmd":"auction_bid","participant":"SZAUTO","cl_ord_id":"sz-data","day":"2026-12-02","first_hour":9,"hours":1,"scu_per_hour":98900,"min_ratio":"0.2","limit_cny_per_scu_hour":"0.0800","data_gb_per_hour":100000,"classes":["H100"],"regions":["NM"],"origin":"GBA"})");
    apply_line(R"({"cmd":"advance_time","ts":"2026-12-01T12:00:00+08:00"})");
  }
};

TEST(AuctionFileEngine, ExportedDayResolvesOfflineToTheEnginesResultByteForByte) {
  EngineDay d;
  d.build();
  if (HasFatalFailure()) return;
  const MatchingEngine& engine = d.exchange.engine();
  const AuctionDay* day = engine.auction(d.day_start);
  ASSERT_NE(day, nullptr);
  ASSERT_EQ(day->state, AuctionState::Closed);
  // An open auction cannot be exported: the input is frozen only at the gate.
  AuctionDay open_day = *day;
  open_day.state = AuctionState::Open;
  auto refused = api::auction_day_file(engine, open_day);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().text.find("still open"), std::string::npos) << refused.error().text;

  // The engine's way: solve the frozen input, clear with the result.
  const AuctionInput frozen = day->input;
  AuctionSolverStats stats;
  auto solved = solve_auction(frozen, options(), &stats);
  ASSERT_TRUE(solved.ok()) << solved.error().text;
  ASSERT_TRUE(stats.proven_optimal);
  ClearAuction clear;
  clear.ts = engine.now();
  clear.day_start = d.day_start;
  clear.result = *solved;
  d.exchange.apply(clear);
  ASSERT_EQ(day->state, AuctionState::Cleared);
  bool congested = false;
  for (int64_t c : day->result.congestion) congested = congested || c > 0;
  EXPECT_TRUE(congested) << "the GBA->NM link should be congested at hour 9";

  // Offline: export, write, read back, build the input, solve.
  auto file = api::auction_day_file(engine, *day);
  ASSERT_TRUE(file.ok()) << file.error().text;
  EXPECT_EQ(file->regions.size(), 8u);
  EXPECT_EQ(file->classes.size(), 8u);
  EXPECT_EQ(file->links.size(), 56u);
  EXPECT_EQ(file->offers.size(), 19u);  // the cancelled offer did not go to the solver
  EXPECT_EQ(file->bids.size(), 5u);
  EXPECT_EQ(file->offers[0].cl_ord_id, "nm-9");
  auto reread = api::read_auction_day(api::write_auction_day(*file));
  ASSERT_TRUE(reread.ok()) << reread.error().text;
  expect_same_file(*file, *reread);
  EXPECT_TRUE(api::bids_with_other_routes(*reread).empty());
  auto input = api::auction_input_from_file(*reread);
  ASSERT_TRUE(input.ok()) << input.error().text;

  // The same input as the engine froze, once file indexes are turned back into engine participant ids.
  AuctionInput mapped = *input;
  auto engine_id = [&](ParticipantId p) { return engine.find_participant(reread->participants[p].code); };
  for (AuctionLink& l : mapped.links) l.carrier = engine_id(l.carrier);
  for (AuctionOfferIn& o : mapped.offers) o.supplier = engine_id(o.supplier);
  for (AuctionBlockIn& b : mapped.blocks) b.buyer = engine_id(b.buyer);
  EXPECT_EQ(bytes(mapped), bytes(frozen));
  // And the constraints are the engine's records'.
  for (size_t j = 0; j < day->input_bids.size(); ++j)
    expect_same_query(reread->bids[j].constraints, day->bids[day->input_bids[j]].constraints);

  auto offline = solve_auction(*input, options());
  ASSERT_TRUE(offline.ok()) << offline.error().text;
  EXPECT_EQ(bytes(*offline), bytes(*solved));
  EXPECT_EQ(bytes(*offline), bytes(day->result));
  // The result files agree too, and what the engine made contracts of is what payments lists.
  EXPECT_EQ(api::auction_result_json(*reread, *input, *offline, nullptr),
            api::auction_result_json(*reread, *input, day->result, nullptr));
  EXPECT_EQ(auction_pieces(*input, *offline).size(), d.exchange.contract_count());
}

// ---- result files

struct Solved {
  api::AuctionDayFile file;
  AuctionInput input;
  AuctionResult result;
};

Solved solve_small_day() {
  Solved s;
  s.file = frozen_small_day();
  auto in = api::auction_input_from_file(s.file);
  EXPECT_TRUE(in.ok());
  s.input = *in;
  auto r = solve_auction(s.input, options());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().text);
  s.result = *r;
  return s;
}

std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

Money cny(const std::string& text) {
  auto v = parse_fixed(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v.value_or(0);
}

std::filesystem::path temp_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / (std::string("cpx-auction-file-test-") + name + "-" +
                                                       std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(AuctionResultFiles, BalancesCsvKeepsTheMoneyIdentityToTheUnit) {
  const Solved s = solve_small_day();
  const auto pieces = auction_pieces(s.input, s.result);
  ASSERT_FALSE(pieces.empty());
  const auto dir = temp_dir("balances");
  ASSERT_TRUE(api::write_auction_outputs(dir.string(), s.file, s.input, s.result, nullptr).ok());
  for (const char* name : {"result.json", "prices.csv", "acceptances.csv", "allocations.csv", "flows.csv", "payments.csv", "balances.csv"})
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;

  const auto rows = read_csv(dir / "balances.csv");
  ASSERT_GE(rows.size(), 3u);
  const std::vector<std::string> header = {"participant", "bought_notional", "buyer_fees", "transport_paid", "buyer_pays",
                                           "sold_notional", "seller_fees", "seller_receives", "carrier_receives",
                                           "exchange_receives", "net"};
  ASSERT_EQ(rows[0], header);
  Money pays = 0, sellers = 0, carriers = 0, exchange = 0, net = 0;
  std::vector<Money> sums(11, 0);
  for (size_t i = 1; i + 1 < rows.size(); ++i) {
    const auto& r = rows[i];
    ASSERT_EQ(r.size(), 11u);
    SCOPED_TRACE(r[0]);
    // Per row: buyer_pays = notional + fees + transport; seller_receives = notional - fees; net = in - out.
    EXPECT_EQ(cny(r[4]), cny(r[1]) + cny(r[2]) + cny(r[3]));
    EXPECT_EQ(cny(r[7]), cny(r[5]) - cny(r[6]));
    EXPECT_EQ(cny(r[10]), cny(r[7]) + cny(r[8]) + cny(r[9]) - cny(r[4]));
    pays += cny(r[4]);
    sellers += cny(r[7]);
    carriers += cny(r[8]);
    exchange += cny(r[9]);
    net += cny(r[10]);
    for (size_t k = 1; k < 11; ++k) sums[k] += cny(r[k]);
  }
  EXPECT_GT(carriers, 0);  // bid 11's data crosses A->B
  EXPECT_GT(exchange, 0);
  EXPECT_EQ(pays, sellers + carriers + exchange);
  EXPECT_EQ(net, 0);
  EXPECT_EQ(rows[rows.size() - 2][0], "(exchange)");
  const auto& total = rows.back();
  ASSERT_EQ(total[0], "(total)");
  for (size_t k = 1; k < 11; ++k) EXPECT_EQ(cny(total[k]), sums[k]) << header[k];
  // The same totals as the contracts themselves.
  Money buyer_cost = 0, fees = 0;
  for (const AuctionPiece& p : pieces) {
    buyer_cost += p.buyer_cost();
    fees += p.buyer_fee + p.seller_fee;
  }
  EXPECT_EQ(pays, buyer_cost);
  EXPECT_EQ(exchange, fees);
  // payments.csv: a row per contract, its buyer costs summing to what buyers pay.
  const auto payments = read_csv(dir / "payments.csv");
  ASSERT_EQ(payments.size(), pieces.size() + 1);
  Money from_payments = 0;
  const size_t cost_col = payments[0].size() - 2;
  ASSERT_EQ(payments[0][cost_col], "buyer_cost");
  for (size_t i = 1; i < payments.size(); ++i) from_payments += cny(payments[i][cost_col]);
  EXPECT_EQ(from_payments, pays);
  std::filesystem::remove_all(dir);
}

TEST(AuctionResultFiles, CsvFilesHaveARowForEveryZoneHourOfferBidAndLinkHour) {
  const Solved s = solve_small_day();
  const auto dir = temp_dir("rows");
  ASSERT_TRUE(api::write_auction_outputs(dir.string(), s.file, s.input, s.result, nullptr).ok());
  EXPECT_EQ(read_csv(dir / "prices.csv").size(), 1 + s.input.zones.size() * kAuctionHours);
  EXPECT_EQ(read_csv(dir / "flows.csv").size(), 1 + s.input.links.size() * kAuctionHours);
  EXPECT_EQ(read_csv(dir / "acceptances.csv").size(), 1 + s.input.offers.size());
  // allocations.csv: one row per allocation, one per rejected bid.
  const auto alloc = read_csv(dir / "allocations.csv");
  std::map<std::string, int> rows_of;
  for (size_t i = 1; i < alloc.size(); ++i) {
    ASSERT_EQ(alloc[i].size(), 10u);
    ++rows_of[alloc[i][0]];
    if (alloc[i][2] == "rejected") {
      EXPECT_EQ(alloc[i][3], "");
      EXPECT_EQ(alloc[i][7], "0");
    } else {
      EXPECT_EQ(alloc[i][2], "accepted");
    }
  }
  EXPECT_EQ(rows_of.size(), s.input.blocks.size());
  // flows.csv: the flow of bid 11's allocations over A->B every hour it runs there.
  Money receipts = 0;
  for (const auto& row : read_csv(dir / "flows.csv"))
    if (row[0] != "link") receipts += cny(row[10]);
  Money carriers = 0;
  for (const AuctionPiece& p : auction_pieces(s.input, s.result)) carriers += p.transport();
  EXPECT_EQ(receipts, carriers);
  std::filesystem::remove_all(dir);
}

TEST(AuctionResultFiles, ResultJsonReadsBackAndATamperedOneIsCaught) {
  const Solved s = solve_small_day();
  const std::string text = api::auction_result_json(s.file, s.input, s.result, nullptr);
  auto back = api::read_auction_result(text, s.file, s.input);
  ASSERT_TRUE(back.ok()) << back.error().text;
  EXPECT_EQ(bytes(*back), bytes(s.result));
  EXPECT_TRUE(check_auction_result(s.input, *back).ok());
  EXPECT_TRUE(api::compare_recorded_payments(text, s.file, s.input, *back).ok());

  // A recorded contract changed by hand: the payments no longer follow from the result.
  json doc = json::parse(text);
  ASSERT_FALSE(doc["payments"].empty());
  doc["payments"][0]["notional"] = "1.0000";
  auto differs = api::compare_recorded_payments(doc.dump(), s.file, s.input, *back);
  ASSERT_FALSE(differs.ok());
  EXPECT_NE(differs.error().text.find("payments[0] in result.json is"), std::string::npos) << differs.error().text;

  // A price lowered below an accepted offer: the rules refuse it.
  doc = json::parse(text);
  for (json& p : doc["prices"])
    if (p["region"] == "B" && p["class"] == "GPU1" && p["hour"] == 0) p["cny_per_scu_hour"] = "0.05000000";
  auto lowered = api::read_auction_result(doc.dump(), s.file, s.input);
  ASSERT_TRUE(lowered.ok()) << lowered.error().text;
  EXPECT_FALSE(check_auction_result(s.input, *lowered).ok());

  // Missing and unknown entries are named.
  doc = json::parse(text);
  doc["prices"].erase(doc["prices"].begin());
  auto missing = api::read_auction_result(doc.dump(), s.file, s.input);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().text.find("has no price for A GPU1 hour 0"), std::string::npos) << missing.error().text;
  doc = json::parse(text);
  doc["acceptances"].push_back({{"offer_id", 99}, {"devices", 1}});
  auto unknown = api::read_auction_result(doc.dump(), s.file, s.input);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().text.find("offer 99 is not in the day file"), std::string::npos) << unknown.error().text;
  doc = json::parse(text);
  doc["day"] = "2026-12-03";
  auto other_day = api::read_auction_result(doc.dump(), s.file, s.input);
  ASSERT_FALSE(other_day.ok());
  EXPECT_NE(other_day.error().text.find("is for 2026-12-03"), std::string::npos);
}

TEST(AuctionResultFiles, RandomDamageToResultJsonGivesAnErrorNeverACrash) {
  const Solved s = solve_small_day();
  const json base = json::parse(api::auction_result_json(s.file, s.input, s.result, nullptr));
  std::mt19937_64 rng(7);
  int read = 0, holds = 0;
  for (int i = 0; i < 1000; ++i) {
    json doc = base;
    damage(doc, rng);
    const std::string text = doc.dump();
    auto r = api::read_auction_result(text, s.file, s.input);
    if (!r.ok()) continue;
    ++read;
    // Unchecked results are refused before any contract is derived from them.
    auto compared = api::compare_recorded_payments(text, s.file, s.input, *r);
    if (check_auction_result(s.input, *r).ok()) {
      ++holds;
    } else {
      EXPECT_FALSE(compared.ok());
    }
  }
  EXPECT_GT(read, 0);
  EXPECT_GT(holds, 0);
}

TEST(AuctionResultFiles, UnwritableDirectoryIsAnErrorNotACrash) {
  const Solved s = solve_small_day();
  auto r = api::write_auction_outputs("/proc/cpx-cannot-write-here", s.file, s.input, s.result, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "output_failed");
}

}  // namespace
}  // namespace cpx::test
