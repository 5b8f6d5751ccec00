// cpx-bench-route: how long a routing decision takes (docs/PRODUCT.md §3.2). The shipped reference data and
// network (config/: 8 hubs, 8 chip classes, 56 links), one delivery day listed in every region x class
// (64 books), each book with `levels` ask levels of 4 orders from different suppliers. One thread, no I/O.
// Scenarios, each one JSON object:
//   quote        quote_route over every book (read-only): the answer to "where is my job cheapest?"
//   plan_fok     a routed FOK whose limit lets it walk the asks of many books but that cannot fill: the
//                whole plan is made and nothing trades (the book stays as it is, so every call is alike)
//   routed_ioc   a routed IOC for a 64-GPU-sized job that fills across books; the asks it took are put back
//                outside the timed section, so every call meets the same book
// Each scenario also reports a plain 8-device IOC limit buy in one book, timed the same way, as the
// baseline in the same process (ratio = routed / plain), and the heap allocations per call (this binary
// counts operator new) of both.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "cpx/matching_engine.hpp"
#include "cpx/routing.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/names.hpp"
#include "cpx/version.hpp"

using namespace cpx;

// Every heap allocation of this process, to report allocations per decision (single-threaded bench).
// GCC cannot see that operator new below is malloc: the free() in operator delete is matched.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static uint64_t g_allocations = 0;
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class Quiet final : public EventListener {
 public:
  void on_rejected(const OrderRejected& e) override { ++rejects; last_reject = e.reason; }
  void on_route_done(const RouteDone& e) override { last_done = e; }
  void on_trade(const Trade& e) override { trades.push_back({e.instrument, e.price, e.qty, e.seller}); }
  struct Fill {
    InstrumentId instrument;
    Price price;
    Quantity qty;
    ParticipantId seller;
  };
  uint64_t rejects = 0;
  RejectReason last_reject{};
  RouteDone last_done{};
  std::vector<Fill> trades;
};

struct Market {
  std::vector<InstrumentId> books;
  std::vector<ParticipantId> sellers;
  ParticipantId buyer = 0;
  Timestamp day = 0;
};

void die(const std::string& what) {
  std::fprintf(stderr, "cpx-bench-route: %s\n", what.c_str());
  std::exit(1);
}

Market build(MatchingEngine& e, int levels, uint64_t seed) {
  api::EngineNames names(e);
  api::CommandDecoder decoder(names);
  const Timestamp t = *parse_iso_time("2026-11-30T09:00:00+08:00");
  auto apply = [&](const std::string& line) {
    auto c = decoder.decode(line, t);
    if (!c) die("setup request refused: " + c.error().text + ": " + line);
    e.apply(*c);
  };
  auto ref = api::load_reference_requests(api::default_config_dir());
  if (!ref) die(ref.error().text);
  for (const auto& l : *ref) apply(l);
  auto net = api::load_network_requests(api::default_config_dir());
  if (!net) die(net.error().text);
  for (const auto& l : *net) apply(l);
  Market m;
  m.day = *parse_iso_time("2026-12-01");
  for (int s = 0; s < 4; ++s) {
    apply("{\"cmd\":\"add_participant\",\"code\":\"S" + std::to_string(s) + "\",\"kind\":\"cloud_vendor\",\"roles\":[\"trade_sell\"]}");
    m.sellers.push_back(e.find_participant("S" + std::to_string(s)));
  }
  apply("{\"cmd\":\"add_participant\",\"code\":\"BUYER\",\"kind\":\"buyer\",\"roles\":[\"trade_buy\"]}");
  m.buyer = e.find_participant("BUYER");
  apply("{\"cmd\":\"set_credit\",\"target\":\"BUYER\",\"amount\":\"1000000000000\"}");
  std::mt19937_64 rng(seed);
  for (RegionId r = 0; e.region(r); ++r) {
    for (ChipClassId c = 0; e.chip_class(c); ++c) {
      const std::string region = e.region(r)->code, cls = e.chip_class(c)->code;
      const std::string symbol = region + "." + cls + ".D.2026-12-01";
      apply("{\"cmd\":\"list_instrument\",\"symbol\":\"" + symbol + "\",\"tick\":\"0.01\",\"max_order_qty\":100000,\"price_band_pct\":\"0\"}");
      m.books.push_back(e.find_instrument(symbol));
      for (int s = 0; s < 4; ++s) {
        apply("{\"cmd\":\"register_capacity\",\"supplier\":\"S" + std::to_string(s) + "\",\"region\":\"" + region +
              "\",\"class\":\"" + cls + "\",\"from\":\"2026-12-01\",\"to\":\"2026-12-02\",\"devices\":1000000}");
      }
      // Prices per SCU-hour around 0.015-0.025 CNY: the device price scales with its SCU.
      const int64_t scu = e.chip_class(c)->scu_per_device;
      const int64_t base = std::max<int64_t>(1, scu * (150 + static_cast<int64_t>(rng() % 100)) / 1000);  // cents
      for (int l = 0; l < levels; ++l) {
        for (int s = 0; s < 4; ++s) {
          char price[32];
          std::snprintf(price, sizeof price, "%lld.%02lld", static_cast<long long>((base + l) / 100),
                        static_cast<long long>((base + l) % 100));
          NewOrder o;
          o.ts = t;
          o.participant = m.sellers[static_cast<size_t>(s)];
          o.instrument = m.books.back();
          o.side = Side::Sell;
          o.price = *parse_fixed(price);
          o.qty = 8;
          e.new_order(o);
        }
      }
    }
  }
  return m;
}

struct Stats {
  double mean_ns = 0;
  uint64_t p50 = 0, p99 = 0, max = 0;
};

Stats stats(std::vector<uint64_t> v) {
  Stats s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (uint64_t x : v) sum += static_cast<double>(x);
  s.mean_ns = sum / static_cast<double>(v.size());
  s.p50 = v[v.size() / 2];
  s.p99 = v[v.size() * 99 / 100];
  s.max = v.back();
  return s;
}

// The asks a routed order took, put back at the same prices (priority changes, prices and sizes do not).
void restore(MatchingEngine& e, Quiet& q, Timestamp ts) {
  // By index and copied: put back, an ask rests (there are no bids), so q.trades does not change here; it
  // keeps its buffer, so that the timed calls count only the engine's allocations.
  for (size_t i = 0, n = q.trades.size(); i < n; ++i) {
    const Quiet::Fill f = q.trades[i];
    NewOrder o;
    o.ts = ts;
    o.participant = f.seller;
    o.instrument = f.instrument;
    o.side = Side::Sell;
    o.price = f.price;
    o.qty = f.qty;
    e.new_order(o);
  }
  q.trades.clear();
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-bench-route")) return 0;
  int levels = 50;
  int calls = 2000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--levels") && i + 1 < argc) levels = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--calls") && i + 1 < argc) calls = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: cpx-bench-route [--levels N] [--calls N]\n");
      return 2;
    }
  }
  Quiet q;
  EngineConfig cfg{1 << 20, 1024};
  MatchingEngine e(q, cfg);
  const Market m = build(e, levels, 42);
  Timestamp ts = *parse_iso_time("2026-11-30T10:00:00+08:00");

  RouteQuery query;
  for (ChipClassId c = 0; e.chip_class(c); ++c) {
    if (e.chip_class(c)->family == ChipFamily::AI) query.classes.push_back(c);
  }
  query.origin = e.find_region("JJJ");
  query.data_gb = 5000;
  query.scu = 64 * 989;
  query.window_start = m.day;
  query.window_end = m.day + kNanosPerDay;
  query.limit_per_scu_hour = 2'500'000;  // 0.025 CNY per SCU-hour landed

  // Baseline: a plain 8-device IOC buy in one book at its best ask (refilled like the routed fills).
  uint64_t plain_allocs = 0, allocs = 0;  // over the calls of the scenario being measured
  auto plain = [&] {
    plain_allocs = 0;
    std::vector<uint64_t> lat;
    std::vector<LevelView> best;
    for (int i = 0; i < calls; ++i) {
      const InstrumentId book = m.books[static_cast<size_t>(i) % m.books.size()];
      e.depth(book, Side::Sell, 1, best);
      NewOrder o;
      o.ts = ts;
      o.participant = m.buyer;
      o.instrument = book;
      o.tif = TimeInForce::IOC;
      o.price = best.at(0).price;
      o.qty = 8;
      const uint64_t allocs = g_allocations;
      const uint64_t a = now_ns();
      e.new_order(o);
      lat.push_back(now_ns() - a);
      plain_allocs += g_allocations - allocs;
      restore(e, q, ts);
    }
    return stats(lat);
  };
  auto report = [&](const char* name, const Stats& s, const Stats& base, const std::string& extra) {
    std::printf("{\"bench\":\"route\",\"scenario\":\"%s\",\"books\":%zu,\"levels_per_book\":%d,\"calls\":%d,"
                "\"mean_ns\":%.0f,\"p50_ns\":%llu,\"p99_ns\":%llu,\"max_ns\":%llu,\"plain_ioc_p50_ns\":%llu,"
                "\"ratio_p50\":%.1f,\"allocs_per_call\":%.2f,\"plain_ioc_allocs_per_call\":%.2f%s}\n",
                name, m.books.size(), levels, calls, s.mean_ns, static_cast<unsigned long long>(s.p50),
                static_cast<unsigned long long>(s.p99), static_cast<unsigned long long>(s.max),
                static_cast<unsigned long long>(base.p50), static_cast<double>(s.p50) / static_cast<double>(base.p50),
                static_cast<double>(allocs) / calls, static_cast<double>(plain_allocs) / calls, extra.c_str());
    allocs = 0;
    std::fflush(stdout);
  };

  {
    const Stats base = plain();
    std::vector<uint64_t> lat;
    size_t candidates = 0;
    for (int i = 0; i < calls; ++i) {
      const uint64_t before = g_allocations;
      const uint64_t a = now_ns();
      const RouteQuote quote = quote_route(e, query);
      lat.push_back(now_ns() - a);
      allocs += g_allocations - before;
      candidates = quote.candidates.size();
    }
    report("quote", stats(lat), base, ",\"candidates\":" + std::to_string(candidates));
  }
  // One routed order, timed, with the allocations the engine made for it.
  auto timed_route = [&](Command& cmd, std::vector<uint64_t>& lat) {
    std::get<RoutedOrder>(cmd).ts = ts;
    const uint64_t before = g_allocations;
    const uint64_t a = now_ns();
    e.apply(cmd);
    lat.push_back(now_ns() - a);
    allocs += g_allocations - before;
  };
  {
    const Stats base = plain();
    std::vector<uint64_t> lat;
    RoutedOrder r;
    r.participant = m.buyer;
    r.tif = TimeInForce::FOK;
    r.query = query;
    r.query.scu = 1'000'000'000;  // more than the books hold within the limit: the plan walks them, then fails
    Command cmd = r;  // built once: converting a RoutedOrder copies its lists (an allocation of the bench's)
    for (int i = 0; i < calls; ++i) {
      timed_route(cmd, lat);
      if (q.last_done.reason != DoneReason::FokNotFilled) die("plan_fok: expected fok_not_filled");
    }
    report("plan_fok", stats(lat), base, "");
  }
  {
    const Stats base = plain();
    std::vector<uint64_t> lat;
    RoutedOrder r;
    r.participant = m.buyer;
    r.tif = TimeInForce::IOC;
    r.query = query;
    Command cmd = r;
    uint64_t children = 0, fills = 0;
    for (int i = 0; i < calls; ++i) {
      timed_route(cmd, lat);
      if (q.last_done.reason != DoneReason::Filled) die("routed_ioc: expected filled");
      children += q.last_done.children;
      fills += q.trades.size();
      restore(e, q, ts);
    }
    char extra[96];
    std::snprintf(extra, sizeof extra, ",\"children_per_order\":%.2f,\"fills_per_order\":%.2f",
                  static_cast<double>(children) / calls, static_cast<double>(fills) / calls);
    report("routed_ioc", stats(lat), base, extra);
  }
  if (q.rejects) die("unexpected rejects: " + std::string(reason_code(q.last_reject)));
  return 0;
}
