// cpxd's configuration file (gateway/server/server_config.hpp): the shipped config/cpxd.json loads, and a
// value outside its documented range is refused at start with the key named (docs/OPERATIONS.md §5.7).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/server_config.hpp"

namespace cpx::server {
namespace {

Result<ServerConfig> load_text(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("cpx-config-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << text;
  auto r = load_server_config(path.string());
  std::filesystem::remove(path);
  return r;
}

TEST(ServerConfig, TheShippedConfigLoads) {
  auto c = load_server_config(std::string(CPX_SOURCE_DIR) + "/config/cpxd.json");
  ASSERT_TRUE(c.ok()) << c.error().text;
  EXPECT_EQ(c->ws_heartbeat_ms, 1000);
}

TEST(ServerConfig, HeartbeatIntervalIsZeroOrInItsRange) {
  EXPECT_EQ(load_text(R"({"ws_heartbeat_ms": 0})")->ws_heartbeat_ms, 0);
  EXPECT_EQ(load_text(R"({"ws_heartbeat_ms": 250})")->ws_heartbeat_ms, 250);
  for (const char* bad : {R"({"ws_heartbeat_ms": 99})", R"({"ws_heartbeat_ms": -1})", R"({"ws_heartbeat_ms": 3600001})"}) {
    auto r = load_text(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().text.find("ws_heartbeat_ms"), std::string::npos) << r.error().text;
  }
}

TEST(ServerConfig, EveryFixSessionNamesItsParticipant) {
  auto ok = load_text(R"({"fix_sessions": [{"target_comp_id": "A1", "participant": "BJAI"}]})");
  ASSERT_TRUE(ok.ok()) << ok.error().text;
  EXPECT_EQ(ok->fix_sessions.at(0).participant, "BJAI");
  auto unbound = load_text(R"({"fix_sessions": [{"target_comp_id": "A1"}]})");
  ASSERT_FALSE(unbound.ok());
  EXPECT_NE(unbound.error().text.find("participant"), std::string::npos) << unbound.error().text;
}

TEST(ServerConfig, AFixSessionIsForTradingOrADropCopy) {
  auto ok = load_text(R"({"fix_sessions": [{"target_comp_id": "A1", "participant": "BJAI"},
                                           {"target_comp_id": "D1", "participant": "OPS1", "kind": "drop_copy"}]})");
  ASSERT_TRUE(ok.ok()) << ok.error().text;
  EXPECT_FALSE(ok->fix_sessions.at(0).drop_copy);
  EXPECT_TRUE(ok->fix_sessions.at(1).drop_copy);
  auto bad = load_text(R"({"fix_sessions": [{"target_comp_id": "D1", "participant": "OPS1", "kind": "copy"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().text.find("drop_copy"), std::string::npos) << bad.error().text;
}

}  // namespace
}  // namespace cpx::server
