// The network between regions (docs/PRODUCT.md §3.2, §3.3) as engine reference data: add_link's rules, the
// links in snapshots and the journal codec, and config/network.json loaded through the JSON schema.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "command_codec.hpp"
#include "engine_fixture.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/names.hpp"

namespace cpx::test {
namespace {

class NetworkTest : public EngineFixture {
 protected:
  ParticipantId CARRIER = 0;
  void SetUp() override {
    EngineFixture::SetUp();
    CARRIER = add_participant("CTNET", kRoleCarrier);
    rec.clear();
  }
  AddLink link(std::string from, std::string to, int64_t latency = 8, int64_t gbps = 400, std::string_view tariff = "0.0200") {
    AddLink c;
    c.ts = now;
    c.actor = OPS;
    c.from = std::move(from);
    c.to = std::move(to);
    c.latency_ms = latency;
    c.capacity_gbps = gbps;
    c.tariff_per_gb = px(tariff);
    c.carrier = CARRIER;
    return c;
  }
  std::string apply(const Command& c) {
    engine.apply(c);
    auto lines = rec.take();
    return lines.empty() ? std::string() : lines.back();
  }
};

TEST_F(NetworkTest, AnOperatorAddsOneWayLinksBetweenKnownRegions) {
  EXPECT_EQ(apply(link("NM", "JJJ")), "admin add_link NM>JJJ");
  EXPECT_EQ(apply(link("JJJ", "NM", 9, 300, "0.0250")), "admin add_link JJJ>NM") << "the other direction is its own link";
  ASSERT_EQ(engine.links().size(), 2u);
  const NetworkLink& l = engine.links()[1];
  EXPECT_EQ(l.from, JJJ);
  EXPECT_EQ(l.to, NM);
  EXPECT_EQ(l.latency_ms, 9);
  EXPECT_EQ(l.capacity_gbps, 300);
  EXPECT_EQ(l.tariff_per_gb, 250);
  EXPECT_EQ(l.carrier, CARRIER);
}

TEST_F(NetworkTest, EveryRuleHasItsReject) {
  EXPECT_EQ(apply(link("NM", "XX")), "rejected add_link unknown_region");
  EXPECT_EQ(apply(link("NM", "NM")), "rejected add_link invalid_value") << "a link joins two regions";
  EXPECT_EQ(apply(link("NM", "JJJ", 0)), "rejected add_link invalid_value");
  EXPECT_EQ(apply(link("NM", "JJJ", 10'001)), "rejected add_link invalid_value");
  EXPECT_EQ(apply(link("NM", "JJJ", 8, 0)), "rejected add_link invalid_value");
  EXPECT_EQ(apply(link("NM", "JJJ", 8, 400, "-0.0100")), "rejected add_link invalid_value");
  // Above 10,000 CNY per GB the auction could not take the link (and every day would fail its input check).
  EXPECT_EQ(apply(link("NM", "JJJ", 8, 400, "10000.0001")), "rejected add_link invalid_value");
  AddLink not_a_carrier = link("NM", "JJJ");
  not_a_carrier.carrier = SUP1;
  EXPECT_EQ(apply(not_a_carrier), "rejected add_link role_missing");
  AddLink nobody = link("NM", "JJJ");
  nobody.carrier = 9999;
  EXPECT_EQ(apply(nobody), "rejected add_link unknown_participant");
  AddLink by_a_buyer = link("NM", "JJJ");
  by_a_buyer.actor = BUY1;
  EXPECT_EQ(apply(by_a_buyer), "rejected add_link role_missing");
  EXPECT_TRUE(engine.links().empty()) << "nothing refused was kept";
  EXPECT_EQ(apply(link("NM", "JJJ")), "admin add_link NM>JJJ");
  EXPECT_EQ(apply(link("NM", "JJJ", 5)), "rejected add_link duplicate_code");
  EXPECT_EQ(engine.links().size(), 1u);
}

TEST_F(NetworkTest, LinksAreInTheSnapshotAndTheStateHash) {
  const uint64_t before = engine.state_hash();
  apply(link("NM", "JJJ"));
  apply(link("JJJ", "NM", 9, 300, "0.0250"));
  EXPECT_NE(engine.state_hash(), before);
  const std::string bytes = engine.snapshot();
  Recorder other_rec;
  MatchingEngine other(other_rec);
  ASSERT_TRUE(other.restore(bytes).ok());
  ASSERT_EQ(other.links().size(), 2u);
  EXPECT_EQ(other.links()[1].tariff_per_gb, 250);
  EXPECT_EQ(other.state_hash(), engine.state_hash());
}

TEST_F(NetworkTest, TheJournalCodecKeepsEveryField) {
  const AddLink c = link("NM", "JJJ", 17, 800, "0.0425");
  std::string bytes;
  persistence::encode_command(c, bytes);
  auto decoded = persistence::decode_command(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().text;
  const auto* d = std::get_if<AddLink>(&*decoded);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->ts, c.ts);
  EXPECT_EQ(d->actor, c.actor);
  EXPECT_EQ(d->from, "NM");
  EXPECT_EQ(d->to, "JJJ");
  EXPECT_EQ(d->latency_ms, 17);
  EXPECT_EQ(d->capacity_gbps, 800);
  EXPECT_EQ(d->tariff_per_gb, 425);
  EXPECT_EQ(d->carrier, CARRIER);
}

// config/network.json through the public JSON schema into an engine that has the config's regions:
// every carrier and all 56 links of the eight hubs are accepted, with their figures.
TEST(NetworkConfig, TheShippedNetworkLoadsWhole) {
  auto reference = api::load_reference_requests(api::default_config_dir());
  auto network = api::load_network_requests(api::default_config_dir());
  ASSERT_TRUE(reference.ok() && network.ok());
  Recorder rec;
  MatchingEngine engine(rec);
  rec.engine = &engine;
  api::EngineNames names(engine);
  api::CommandDecoder decoder(names);
  const Timestamp ts = iso("2026-11-30T09:00:00+08:00");
  for (const auto* list : {&*reference, &*network}) {
    for (const std::string& line : *list) {
      auto c = decoder.decode(line, ts);
      ASSERT_TRUE(c.ok()) << c.error().text << " in " << line;
      engine.apply(*c);
    }
  }
  EXPECT_TRUE(rec.of<OrderRejected>().empty()) << ::testing::PrintToString(rec.lines);
  ASSERT_EQ(engine.links().size(), 56u);
  const auto doc = nlohmann::json::parse(network->back());
  const NetworkLink& last = engine.links().back();
  EXPECT_EQ(engine.region(last.from)->code, doc["from"]);
  EXPECT_EQ(engine.region(last.to)->code, doc["to"]);
  EXPECT_EQ(last.latency_ms, doc["latency_ms"].get<int64_t>());
  EXPECT_EQ(format_fixed(last.tariff_per_gb), doc["tariff_cny_per_gb"].get<std::string>());
  EXPECT_EQ(engine.participant(last.carrier)->code, doc["carrier"]);
  for (const char* carrier : {"CTNET", "CMNET", "CUNET"}) {
    const ParticipantId p = engine.find_participant(carrier);
    ASSERT_NE(p, kNoParticipant) << carrier;
    EXPECT_TRUE(engine.participant(p)->roles & kRoleCarrier);
  }
}

}  // namespace
}  // namespace cpx::test
