#pragma once
// cpxd's operational log (docs/OPERATIONS.md, "Logs"): one JSON object per line on stderr,
// {"ts":"2026-12-07T21:00:00.123Z","level":"info","event":"login",...}, for log tools (journald, jq, Loki).
// The banner on stdout (URLs, demo users) is for people; this is for machines. Thread-safe.
//
// Events a client can cause at will (logins, failed logins, rejects) are written through bounded(): at
// most `per_s` lines a second per key, the others counted and reported as "suppressed" in the key's next
// line, so no client can make the log grow faster than the budget.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cpx::server::event_log {

enum class Level { info, warn, error };

void write(Level level, std::string_view event, nlohmann::json fields = nlohmann::json::object());

// Written when `key` has budget left in the current second (steady clock, or `now_ns` in tests).
void bounded(Level level, std::string_view event, std::string_view key, int per_s, nlohmann::json fields);
void bounded(Level level, std::string_view event, std::string_view key, int per_s, nlohmann::json fields, int64_t now_ns);

// Tests: every line goes to `sink` instead of stderr (empty: stderr again), and the bounded keys start over.
void capture(std::function<void(const std::string&)> sink);

}  // namespace cpx::server::event_log
