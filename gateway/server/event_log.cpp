#include "server/event_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <unordered_map>

namespace cpx::server::event_log {

namespace {

struct Budget {
  int64_t second = -1;  // the steady-clock second the budget is counted in
  int used = 0;
  uint64_t suppressed = 0;  // not written since the key's last line
};

std::mutex mutex;
std::function<void(const std::string&)> sink;      // tests
std::unordered_map<std::string, Budget> budgets;  // keys come from cpxd's code (reasons, event kinds), not clients

const char* name(Level l) { return l == Level::error ? "error" : l == Level::warn ? "warn" : "info"; }

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

// Under the mutex.
void emit(Level level, std::string_view event, nlohmann::json fields) {
  // ts, level and event first (a person reads these lines too), then the fields by name.
  nlohmann::ordered_json line = {{"ts", utc_now()}, {"level", name(level)}, {"event", event}};
  if (fields.is_object())
    for (const auto& [key, value] : fields.items()) line[key] = value;
  // Client text in a field (a user name, a reason) may be any bytes: replaced, never a broken line.
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (sink) {
    sink(text);
    return;
  }
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace

void write(Level level, std::string_view event, nlohmann::json fields) {
  std::lock_guard lock(mutex);
  emit(level, event, std::move(fields));
}

void bounded(Level level, std::string_view event, std::string_view key, int per_s, nlohmann::json fields, int64_t now_ns) {
  std::lock_guard lock(mutex);
  Budget& b = budgets[std::string(event) + "/" + std::string(key)];
  const int64_t second = now_ns / 1'000'000'000;
  if (second != b.second) {
    b.second = second;
    b.used = 0;
  }
  if (b.used >= per_s) {
    ++b.suppressed;
    return;
  }
  ++b.used;
  if (b.suppressed > 0) fields["suppressed"] = b.suppressed;
  b.suppressed = 0;
  emit(level, event, std::move(fields));
}

void bounded(Level level, std::string_view event, std::string_view key, int per_s, nlohmann::json fields) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  bounded(level, event, key, per_s, std::move(fields), now);
}

void capture(std::function<void(const std::string&)> to) {
  std::lock_guard lock(mutex);
  sink = std::move(to);
  budgets.clear();
}

}  // namespace cpx::server::event_log
