#include "server/metrics.hpp"

#include <bit>
#include <chrono>

#include "server/event_log.hpp"

namespace cpx::server {

void Metrics::reject(RejectReason r) {
  const size_t i = static_cast<size_t>(r);
  rejects[i].fetch_add(1, std::memory_order_relaxed);
  const int64_t second =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t logged = reject_logged_second[i].load(std::memory_order_relaxed);
  if (logged == second || !reject_logged_second[i].compare_exchange_strong(logged, second)) return;
  const uint64_t total = rejects[i].load(std::memory_order_relaxed);
  const uint64_t since = total - reject_logged_total[i].exchange(total, std::memory_order_relaxed);
  event_log::write(event_log::Level::info, "reject", {{"reason", reason_code(r)}, {"count", since}});
}

void LatencyHistogram::record(int64_t ns) {
  const uint64_t us = ns <= 0 ? 0 : static_cast<uint64_t>(ns) / 1000;
  // Bucket b holds latencies <= 2^b us.
  size_t b = us <= 1 ? 0 : static_cast<size_t>(std::bit_width(us - 1));
  if (b > kBuckets - 1) b = kBuckets;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns > 0 ? static_cast<uint64_t>(ns) : 0, std::memory_order_relaxed);
}

std::string LatencyHistogram::prometheus(const std::string& name, const std::string& help) const {
  std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    const double le = static_cast<double>(uint64_t{1} << b) / 1e6;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", le);
    out += name + "_bucket{le=\"" + buf + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += buckets_[kBuckets].load(std::memory_order_relaxed);
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += name + "_sum " + sum + "\n";
  out += name + "_count " + std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
  return out;
}

namespace {
void counter(std::string& out, const char* name, const char* type, const char* help, int64_t v) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(v) + "\n";
}
}  // namespace

std::string Metrics::prometheus() const {
  auto ld = [](const auto& a) { return static_cast<int64_t>(a.load(std::memory_order_relaxed)); };
  std::string out;
  counter(out, "cpx_requests_total", "counter", "Requests received by the gateways.", ld(requests));
  counter(out, "cpx_orders_accepted_total", "counter", "Orders accepted by the engine (a routed order counts once).",
          ld(orders_accepted));
  counter(out, "cpx_routed_orders_total", "counter", "Routed orders accepted by the engine.", ld(routed_orders));
  counter(out, "cpx_trades_total", "counter", "Trades.", ld(trades));
  out += "# HELP cpx_rejects_total Requests refused, by reason code.\n# TYPE cpx_rejects_total counter\n";
  for (size_t r = 0; r < kRejectReasonCount; ++r) {
    const uint64_t v = rejects[r].load(std::memory_order_relaxed);
    if (v == 0) continue;
    out += "cpx_rejects_total{reason=\"" + std::string(reason_code(static_cast<RejectReason>(r))) + "\"} " +
           std::to_string(v) + "\n";
  }
  counter(out, "cpx_auth_failures_total", "counter", "Failed logins and request signatures.", ld(auth_failures));
  counter(out, "cpx_slow_consumer_drops_total", "counter", "Sessions dropped for not reading their data.",
          ld(slow_consumer_drops));
  counter(out, "cpx_connections_refused_total", "counter", "Connections closed at once by the connection limits.",
          ld(connections_refused));
  counter(out, "cpx_login_timeouts_total", "counter", "Connections closed for not logging in within login_timeout_ms.",
          ld(login_timeouts));
  counter(out, "cpx_fix_bad_frames_total", "counter", "FIX connections closed for bytes that are not a FIX frame.",
          ld(fix_bad_frames));
  counter(out, "cpx_journal_unavailable_total", "counter", "Requests refused while the journal could not be written.",
          ld(journal_unavailable));
  counter(out, "cpx_journal_fsyncs_total", "counter", "Synced journal writes (one per batch).", ld(journal_fsyncs));
  counter(out, "cpx_journal_commands_total", "counter", "Commands made durable.", ld(journal_commands));
  out += "# HELP cpx_sessions Open sessions by gateway.\n# TYPE cpx_sessions gauge\n";
  out += "cpx_sessions{gateway=\"websocket\"} " + std::to_string(ld(ws_sessions)) + "\n";
  out += "cpx_sessions{gateway=\"http\"} " + std::to_string(ld(http_connections)) + "\n";
  out += "cpx_sessions{gateway=\"fix\"} " + std::to_string(ld(fix_sessions)) + "\n";
  counter(out, "cpx_fix_connections", "gauge", "FIX connections open, logged on or not.", ld(fix_connections));
  out += durable_latency.prometheus("cpx_request_durable_seconds",
                                    "Request received to its durable acknowledgement released.");
  return out;
}

}  // namespace cpx::server
