// cpx-bench-core: the matching core on one thread, no I/O. 1,000 instruments, each pre-filled with about
// 1,000 resting orders on about 100 price levels, then a realistic mix: ~50 % new limit orders, 35 %
// cancels, 10 % replaces, 5 % marketable IOC. Prints one JSON object per scenario.
//
// The operation stream is generated first on a separate engine (so choosing live orders costs nothing
// in the timed run), then replayed on fresh, identically pre-filled engines: once untimed per op for
// throughput, once with a clock read around every op for the latency percentiles.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "order_flow.hpp"
#include "cpx/version.hpp"

using namespace cpx;

namespace {

using namespace cpx::bench;

void scenario(const char* name, const Setup& s, const std::vector<Op>& ops, uint64_t seed) {
  const EngineConfig cfg{static_cast<size_t>(s.instruments) * s.orders_per_instrument * 2, 1024};
  // Throughput: no clock reads inside the loop.
  CountingSink sink;
  double ops_per_s = 0;
  uint64_t hash_a = 0;
  size_t resting_before = 0, resting_after = 0;
  {
    MatchingEngine e(sink, cfg);
    build_market(e, s, seed);
    resting_before = e.open_order_count();
    sink = CountingSink{};
    NewOrder n;
    n.ts = t0();
    uint64_t start = now_ns();
    for (const Op& op : ops) run_op(e, op, n, n.ts);
    uint64_t elapsed = now_ns() - start;
    ops_per_s = static_cast<double>(ops.size()) * 1e9 / static_cast<double>(elapsed);
    resting_after = e.open_order_count();
    hash_a = e.state_hash();
  }
  // Latency: a clock read before and after every op (the pair's own cost is reported as timer_ns).
  std::vector<uint32_t> lat(ops.size());
  uint64_t hash_b = 0;
  uint64_t timer_ns = 0;
  {
    CountingSink quiet;
    MatchingEngine e(quiet, cfg);
    build_market(e, s, seed);
    NewOrder n;
    n.ts = t0();
    for (size_t k = 0; k < ops.size(); ++k) {
      uint64_t a = now_ns();
      run_op(e, ops[k], n, n.ts);
      uint64_t b = now_ns();
      lat[k] = static_cast<uint32_t>(std::min<uint64_t>(b - a, UINT32_MAX));
    }
    hash_b = e.state_hash();
    std::vector<uint32_t> empty(100000);
    for (auto& x : empty) {
      uint64_t a = now_ns();
      uint64_t b = now_ns();
      x = static_cast<uint32_t>(b - a);
    }
    std::sort(empty.begin(), empty.end());
    timer_ns = empty[empty.size() / 2];
  }
  // Per kind of op, before the overall sort.
  std::string by_kind;
  {
    static const char* kNames[] = {"place", "cancel", "replace", "ioc"};
    std::vector<uint32_t> per[4];
    for (size_t k = 0; k < ops.size(); ++k) per[ops[k].kind].push_back(lat[k]);
    for (int kind = 0; kind < 4; ++kind) {
      auto& v = per[kind];
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s\"%s\":{\"p50_ns\":%u,\"p99_ns\":%u}", by_kind.empty() ? "" : ",",
                    kNames[kind], v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]);
      by_kind += buf;
    }
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat[std::min(lat.size() - 1, static_cast<size_t>(p * static_cast<double>(lat.size())))]; };
  size_t counts[4] = {0, 0, 0, 0};
  for (const Op& op : ops) ++counts[op.kind];
  std::printf(
      "{\"scenario\":\"%s\",\"instruments\":%d,\"resting_before\":%zu,\"resting_after\":%zu,\"ops\":%zu,"
      "\"mix\":{\"place\":%zu,\"cancel\":%zu,\"replace\":%zu,\"ioc\":%zu},\"trades\":%" PRIu64 ",\"rejects\":%" PRIu64 ","
      "\"ops_per_s\":%.0f,\"p50_ns\":%u,\"p99_ns\":%u,\"p999_ns\":%u,\"max_ns\":%u,\"timer_ns\":%" PRIu64 ","
      "\"by_kind\":{%s},\"deterministic\":%s}\n",
      name, s.instruments, resting_before, resting_after, ops.size(), counts[0], counts[1], counts[2], counts[3],
      sink.trades, sink.rejected, ops_per_s, pct(0.50), pct(0.99), pct(0.999), lat.back(), timer_ns,
      by_kind.c_str(), hash_a == hash_b ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-bench-core")) return 0;
  size_t ops = 4'000'000;
  Setup s{1000, 1000, 50};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--ops") && i + 1 < argc) ops = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--instruments") && i + 1 < argc) s.instruments = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--orders") && i + 1 < argc) s.orders_per_instrument = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: cpx-bench-core [--ops N] [--instruments N] [--orders N-per-instrument]\n");
      return 2;
    }
  }
  const uint64_t seed = 42;
  auto stream = generate(s, ops, seed);
  scenario("mixed_place_cancel_replace_ioc", s, stream, seed);
  return 0;
}
