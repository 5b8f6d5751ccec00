#pragma once
// Counters the server exports at /metrics in Prometheus text format (docs/PRODUCT.md §6). Written from the
// engine thread and the gateway threads with relaxed atomics: a scrape sees each counter's own latest
// value, not one consistent cut, which is what Prometheus expects.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "cpx/events.hpp"
#include "cpx/reasons.hpp"

namespace cpx::server {

inline constexpr size_t kRejectReasonCount = static_cast<size_t>(RejectReason::Unavailable) + 1;

// Request latency, submit -> durable release, in power-of-two microsecond buckets (le 1 us .. 2^24 us).
class LatencyHistogram {
 public:
  static constexpr size_t kBuckets = 25;
  void record(int64_t ns);
  std::string prometheus(const std::string& name, const std::string& help) const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

struct Metrics {
  std::atomic<uint64_t> requests{0};          // requests received by the gateways (all kinds)
  std::atomic<uint64_t> orders_accepted{0};  // orders clients placed: a routed order counts once, its children not
  std::atomic<uint64_t> routed_orders{0};    // routed orders accepted (also in orders_accepted)
  std::atomic<uint64_t> trades{0};
  std::array<std::atomic<uint64_t>, kRejectReasonCount> rejects{};  // engine rejects and gateway refusals
  std::atomic<uint64_t> auth_failures{0};
  std::atomic<uint64_t> slow_consumer_drops{0};
  std::atomic<int64_t> ws_sessions{0};
  std::atomic<int64_t> http_connections{0};
  std::atomic<int64_t> fix_sessions{0};
  std::atomic<int64_t> fix_connections{0};        // FIX sockets open (logged on or not)
  std::atomic<uint64_t> connections_refused{0};   // accepted sockets closed at once (connection limits)
  std::atomic<uint64_t> login_timeouts{0};        // connections closed for not logging on in time
  std::atomic<uint64_t> fix_bad_frames{0};        // FIX connections closed for bytes that are no FIX frame
  std::atomic<uint64_t> journal_unavailable{0};   // requests refused because the journal cannot be written
  std::atomic<uint64_t> journal_fsyncs{0};
  std::atomic<uint64_t> journal_commands{0};
  LatencyHistogram durable_latency;

  // Counts a refusal, and logs it (event_log "reject") at most once a second per reason, with the count
  // since that reason's previous line: a flood of rejects is a line a second, not a line each.
  void reject(RejectReason r);
  std::array<std::atomic<int64_t>, kRejectReasonCount> reject_logged_second{};  // steady-clock second
  std::array<std::atomic<uint64_t>, kRejectReasonCount> reject_logged_total{};
  std::string prometheus() const;
};

// Counts the engine's accepts, rejects and trades (register on the exchange's fanout).
class MetricsListener final : public EventListener {
 public:
  explicit MetricsListener(Metrics& m) : m_(m) {}
  void on_accepted(const OrderAccepted& e) override {
    // A routed order's children are the router's doing, one per book: counting them would make one
    // client order look like several.
    if (e.route_id == 0) m_.orders_accepted.fetch_add(1, std::memory_order_relaxed);
  }
  void on_route_accepted(const RouteAccepted&) override {
    m_.orders_accepted.fetch_add(1, std::memory_order_relaxed);
    m_.routed_orders.fetch_add(1, std::memory_order_relaxed);
  }
  void on_rejected(const OrderRejected& e) override { m_.reject(e.reason); }
  void on_trade(const Trade&) override { m_.trades.fetch_add(1, std::memory_order_relaxed); }

 private:
  Metrics& m_;
};

}  // namespace cpx::server
