// cpx-bench-auction: the day-ahead coupled auction (docs/PRODUCT.md §3.3, §9) on a seeded realistic day
// (bench/auction_day.hpp): 8 regions x 8 chip classes x 24 hours, blocks and offers as many as the
// scenario says. Prints one JSON object per scenario: model size, the first MIP's time to proven
// optimality, PAB rounds, the whole solve, acceptance and welfare. With --repeat, the scenario is solved
// twice and "deterministic" says whether both results were identical.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "auction_day.hpp"
#include "cpx/auction_solver.hpp"
#include "cpx/version.hpp"

using namespace cpx;

namespace {

uint64_t fnv(uint64_t h, int64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= static_cast<uint64_t>(v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t result_hash(const AuctionResult& r) {
  uint64_t h = 1469598103934665603ull;
  for (int64_t p : r.zone_price) h = fnv(h, p);
  for (int64_t c : r.congestion) h = fnv(h, c);
  for (const AuctionAllocation& a : r.allocations) h = fnv(fnv(fnv(h, a.block), a.zone), a.devices);
  for (const AuctionAcceptance& a : r.acceptances) h = fnv(fnv(h, a.offer), a.devices);
  for (uint32_t b : r.paradoxically_rejected) h = fnv(h, b);
  return h;
}

// The busiest link-hour's flow over its capacity.
double max_link_use(const AuctionInput& in, const AuctionResult& r) {
  std::vector<double> flow(in.links.size() * kAuctionHours, 0.0);
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& b = in.blocks[a.block];
    for (const AuctionRoute& route : b.routes) {
      if (route.zone != a.zone) continue;
      const double gb = static_cast<double>(b.data_gb_per_hour) * static_cast<double>(a.devices * in.zones[a.zone].scu_per_device) /
                        static_cast<double>(b.scu_per_hour);
      for (uint32_t l : route.links)
        for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) flow[l * kAuctionHours + h] += gb;
    }
  }
  double most = 0;
  for (size_t i = 0; i < flow.size(); ++i)
    most = std::max(most, flow[i] / static_cast<double>(std::max<int64_t>(1, in.links[i / kAuctionHours].capacity_gb_per_hour)));
  return most;
}

int congested_link_hours(const AuctionResult& r) {
  int n = 0;
  for (int64_t c : r.congestion) n += c > 0;
  return n;
}

bool scenario(const char* name, const bench::AuctionWorld& world, const bench::DayShape& shape, uint64_t seed,
              const AuctionSolverOptions& opt, bool repeat) {
  const AuctionInput in = bench::generate_auction_day(world, shape, seed);
  AuctionSolverStats st;
  auto r = solve_auction(in, opt, &st);
  if (!r.ok()) {
    std::printf("{\"scenario\":\"%s\",\"error\":\"%s\",\"text\":\"%s\"}\n", name, r.error().code.c_str(), r.error().text.c_str());
    return false;
  }
  std::string deterministic = "null";
  if (repeat) {
    auto again = solve_auction(in, opt, nullptr);
    deterministic = again.ok() && result_hash(*again) == result_hash(*r) ? "true" : "false";
  }
  size_t routes = 0;
  for (const AuctionBlockIn& b : in.blocks) routes += b.routes.size();
  std::printf(
      "{\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"blocks\":%d,\"offers\":%d,\"zones\":%zu,\"links\":%zu,\"routes\":%zu,"
      "\"capacity_scale\":%.3g,\"variables\":%d,\"rows\":%d,\"binaries\":%d,\"nonzeros\":%" PRId64 ","
      "\"first_mip_s\":%.2f,\"proven_optimal\":%s,\"gap\":%.3g,\"pab_rounds_proven\":%s,\"time_limited\":%s,\"mip_nodes\":%" PRId64 ",\"pab_rounds\":%d,\"pab_cuts\":%d,"
      "\"pab_rejected_outright\":%d,\"rejected_whole_devices\":%zu,\"repricings\":%d,\"pricing_s\":%.2f,\"schedule_s\":%.2f,"
      "\"total_s\":%.2f,\"accepted\":%d,\"rejected\":%d,\"paradoxically_rejected\":%d,\"congested_link_hours\":%d,"
      "\"max_link_use\":%.3f,"
      "\"welfare_first_mip\":%.2f,\"welfare_lp\":%.2f,\"welfare\":%.2f,\"deterministic\":%s}\n",
      name, seed, shape.blocks, shape.offers, in.zones.size(), in.links.size(), routes, shape.capacity_scale, st.variables,
      st.rows, st.binaries, st.nonzeros, st.seconds_first_mip, st.proven_optimal ? "true" : "false", st.gap, st.pab_rounds_proven ? "true" : "false", st.time_limited ? "true" : "false", st.mip_nodes,
      st.pab_rounds, st.pab_cuts, st.pab_rejected_outright, st.rejected_whole_devices.size(), st.repricings,
      st.seconds_pricing, st.seconds_schedule, st.seconds_total, st.blocks_accepted, st.blocks_rejected,
      st.blocks_paradoxically_rejected, congested_link_hours(*r), max_link_use(in, *r), st.welfare_first_mip, st.welfare_lp, st.welfare,
      deterministic.c_str());
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-bench-auction")) return 0;
  std::vector<std::string> only;
  uint64_t seed = 1;
  bool repeat = false;
  double capacity_scale = 0.5, max_gb = 30;
  AuctionSolverOptions opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--scenario") only.push_back(next());
    else if (a == "--seed") seed = std::strtoull(next(), nullptr, 10);
    else if (a == "--repeat") repeat = true;
    else if (a == "--capacity-scale") capacity_scale = std::atof(next());
    else if (a == "--max-gb-per-device-hour") max_gb = std::atof(next());
    else if (a == "--time-limit") opt.time_limit_s = std::atof(next());
    else if (a == "--gap") opt.relative_gap = std::atof(next());
    else if (a == "--max-pab-rounds") opt.max_pab_rounds = std::atoi(next());
    else if (a == "--pab-round-max-nodes") opt.pab_round_max_nodes = std::atoi(next());
    else if (a == "--log") opt.log_level = std::atoi(next());
    else {
      std::fprintf(stderr,
                   "usage: cpx-bench-auction [--scenario small|medium|full]... [--seed N] [--repeat] [--capacity-scale X]\n"
                   "                         [--max-gb-per-device-hour X]\n"
                   "                         [--time-limit S] [--gap G] [--max-pab-rounds N] [--pab-round-max-nodes N] [--log L]\n");
      return 2;
    }
  }
  auto world = bench::load_auction_world(api::default_config_dir());
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.error().text.c_str());
    return 1;
  }
  struct Named {
    const char* name;
    int blocks, offers;
  };
  const Named all[] = {{"small", 1'000, 1'000}, {"medium", 4'000, 4'000}, {"full", 10'000, 10'000}};
  bool ok = true;
  for (const Named& s : all) {
    if (!only.empty() && std::find(only.begin(), only.end(), s.name) == only.end()) continue;
    bench::DayShape shape;
    shape.blocks = s.blocks;
    shape.offers = s.offers;
    shape.capacity_scale = capacity_scale;
    shape.max_gb_per_device_hour = max_gb;
    ok = scenario(s.name, *world, shape, seed, opt, repeat) && ok;
  }
  return ok ? 0 : 1;
}
