// solve_auction: the rounds of docs/AUCTION.md.
//   MIP (welfare, blocks binary) -> pricing LP (binaries fixed) -> published prices
//   -> paradoxically accepted blocks?  yes: cut them (at most |set| - 1 of the set), re-solve the MIP from
//      the previous choice without them, while rounds and time remain; else reject them outright, re-price
//   -> whole devices at those prices; a block that cannot reach its min ratio is rejected, re-price
//   -> check_auction_result on the result before it leaves.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "auction_math.hpp"
#include "auction_solver_internal.hpp"
#include "cpx/auction_solver.hpp"

namespace cpx {

using namespace auction_solver;

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Error unsolved(std::string text) { return make_error("auction_unsolved", std::move(text)); }

}  // namespace

Result<AuctionResult> solve_auction(const AuctionInput& in, const AuctionSolverOptions& opt, AuctionSolverStats* stats_out) {
  const auto t_start = std::chrono::steady_clock::now();
  if (auto ok = check_auction_input(in); !ok) return ok.error();
  AuctionSolverStats st;
  auto stopped = [&] { return opt.stop_requested && opt.stop_requested(); };
  auto cancelled = [] { return make_error("auction_cancelled", "the solve was stopped before it finished."); };
  const Model m = build_model(in);
  const size_t blocks = in.blocks.size();
  st.variables = m.cols();
  st.rows = m.rows;
  st.nonzeros = static_cast<int64_t>(m.index.size());
  for (int c : m.u_col) st.binaries += c >= 0;

  Decisions out(blocks, 0);  // rejected outright: held at zero in every later MIP and LP
  std::vector<std::vector<uint32_t>> cuts;
  double budget = opt.time_limit_s;
  st.proven_optimal = true;  // no binaries: the LP is the MIP

  Decisions accepted(blocks, 1);
  if (st.binaries > 0) {
    if (stopped()) return cancelled();
    MipSolution mip = solve_mip(m, cuts, out, nullptr, budget, opt.relative_gap, -1, opt.log_level, opt.stop_requested);
    if (stopped()) return cancelled();
    if (!mip.ok) return unsolved("the MIP found no solution within " + std::to_string(opt.time_limit_s) + " s.");
    st.seconds_first_mip = mip.seconds;
    st.welfare_first_mip = -mip.objective;
    st.gap = std::fabs(mip.objective - mip.bound) / std::max(1.0, std::fabs(mip.objective));
    st.proven_optimal = mip.proven_optimal;
    st.time_limited = mip.time_limited;
    st.mip_nodes += mip.nodes;
    budget -= mip.seconds;
    accepted = mip.accepted;
  }

  PricingLp pricing(m, opt.log_level);
  LpSolution lp;
  AuctionResult result;
  Schedule schedule;
  bool first_lp = true;
  bool rounds_over = false;
  for (;;) {
    if (stopped()) return cancelled();
    const auto t_price = std::chrono::steady_clock::now();
    if (m.cols() > 0) {
      lp = pricing.solve(accepted);
      if (!lp.ok) return unsolved("the pricing LP did not solve to optimality.");
    } else {
      lp.ok = true;
    }
    ++st.repricings;
    Prices p = publish_prices(in, m, lp);
    result.zone_price = std::move(p.zone_price);
    result.congestion = std::move(p.congestion);
    st.welfare_lp = -lp.objective;
    if (first_lp && st.binaries == 0) st.welfare_first_mip = st.welfare_lp;
    first_lp = false;
    const std::vector<uint32_t> pab = paradoxically_accepted(in, m, lp, accepted, result);
    st.seconds_pricing += since(t_price);

    if (!pab.empty()) {
      std::vector<uint32_t> binary;
      for (uint32_t b : pab)
        if (m.u_col[b] >= 0) binary.push_back(b);
      const bool round_due = !binary.empty() && st.pab_rounds < opt.max_pab_rounds && !rounds_over;
      if (round_due && budget <= 0) st.time_limited = true;
      MipSolution mip;
      if (round_due && budget > 0) {
        Decisions start = accepted;
        for (uint32_t b : pab) start[b] = 0;
        for (uint32_t b : pab)
          if (m.u_col[b] < 0) out[b] = 1;  // no binary to cut: out of the market
        // One cut per group of interacting PAB blocks: not all of the group again. Groups that share
        // nothing are independent paradoxes; one cut over all of them would let the next MIP fix just
        // one, and the rounds would drop the paradoxes one at a time.
        for (std::vector<uint32_t>& group : interacting_groups(in, m, lp, result, binary)) {
          cuts.push_back(std::move(group));
          ++st.pab_cuts;
        }
        mip = solve_mip(m, cuts, out, &start, budget, opt.relative_gap, opt.pab_round_max_nodes, opt.log_level,
                        opt.stop_requested);
        if (stopped()) return cancelled();
        budget -= mip.seconds;
        st.mip_nodes += mip.nodes;
        st.time_limited = st.time_limited || mip.time_limited;
        // A round that found no solution in its time or nodes ends the rounds: its paradoxical blocks are
        // rejected outright below, as after the last round.
        if (!mip.ok) {
          st.pab_rounds_proven = false;
          rounds_over = true;
        }
      }
      if (mip.ok) {
        ++st.pab_rounds;
        st.pab_rounds_proven = st.pab_rounds_proven && mip.proven_optimal;
        accepted = mip.accepted;
      } else {
        for (uint32_t b : pab) {
          out[b] = 1;
          accepted[b] = 0;
          ++st.pab_rejected_outright;
        }
      }
      continue;
    }

    const auto t_schedule = std::chrono::steady_clock::now();
    schedule = make_schedule(in, m, lp, accepted, result);
    st.seconds_schedule += since(t_schedule);
    if (schedule.failed.empty()) break;
    for (uint32_t b : schedule.failed) {
      out[b] = 1;
      accepted[b] = 0;
      st.rejected_whole_devices.push_back(b);
    }
  }

  result.allocations = std::move(schedule.allocations);
  result.acceptances = std::move(schedule.acceptances);
  result.paradoxically_rejected = paradoxically_rejected(in, result);
  std::sort(st.rejected_whole_devices.begin(), st.rejected_whole_devices.end());
  if (auto ok = check_auction_result(in, result); !ok)
    return make_error("auction_solver_bug", "the solver's own result fails the rules: " + ok.error().text);

  std::vector<char> allocated(blocks, 0);
  for (const AuctionAllocation& a : result.allocations) allocated[a.block] = 1;
  for (char a : allocated) st.blocks_accepted += a;
  st.blocks_rejected = static_cast<int>(blocks) - st.blocks_accepted;
  st.blocks_paradoxically_rejected = static_cast<int>(result.paradoxically_rejected.size());
  st.welfare = result_welfare(in, result);
  st.seconds_total = since(t_start);
  if (stats_out) *stats_out = std::move(st);
  return result;
}

}  // namespace cpx
