#pragma once
// The day-ahead auction's solver (docs/PRODUCT.md §3.3, docs/AUCTION.md): an EUPHEMIA-like welfare maximisation
// on COIN-OR CBC/CLP. Only the cpx_auction library and the programs that clear auctions link it; the
// engine checks results (auction.hpp) and never solves.
//
// solve_auction() returns a result that passed check_auction_result(), or an error: it never hands out a
// result the engine would refuse. Single-threaded and deterministic: the same input and options give the
// same result, byte for byte, unless the time limit cut the search short (stats.time_limited says so).
#include <cstdint>
#include <functional>
#include <vector>

#include "cpx/auction.hpp"
#include "cpx/result.hpp"

namespace cpx {

struct AuctionSolverOptions {
  // Budget for all MIP solves together, in elapsed (wall) seconds: in cpxd the solver shares the process
  // with the engine and gateways, whose CPU time a process CPU clock would count too. A MIP stopped by it
  // keeps its best solution, PAB rounds stop when it is spent (the blocks still paradoxical are rejected
  // outright); stats.time_limited says so, and the result, still checked, may differ from run to run.
  double time_limit_s = 600;
  // CBC stops and calls the MIP proven optimal when (best bound - incumbent) <= relative_gap x |incumbent|
  // (CBC's "ratioGap"; isProvenOptimal() then holds). 1e-4 of the day's welfare: about 1,400 CNY on the
  // benchmark's 14-million-CNY day, less than the surplus of one marginal block.
  double relative_gap = 1e-4;
  // Rounds of "solve the MIP, price, cut the paradoxically accepted blocks". After the last round the
  // blocks still paradoxically accepted are rejected outright and the market re-priced.
  int max_pab_rounds = 20;
  // Branch-and-bound nodes a PAB round may explore after its root. A round wants a good PAB-free choice,
  // not a proof: its cuts barely move the LP bound, so when the paradoxes cost more welfare than the gap
  // a round could never prove and would search until the time limit (on the thin medium benchmark day,
  // 600 s). A node limit, unlike a time limit, keeps the result deterministic. On that day 10 nodes gave
  // as much welfare as 50 in three quarters of the time, and 0 (the root only) 0.2 % less in an eighth.
  int pab_round_max_nodes = 10;
  int log_level = 0;  // CBC/CLP log level (0: silent)
  // Asked before each MIP and pricing round and at CBC's events inside a MIP (from the solving thread):
  // true stops the solve, which returns auction_cancelled. cpxd's stop() uses it not to wait for a solve.
  std::function<bool()> stop_requested;
};

struct AuctionSolverStats {
  // The MIP as built (after leaving out zones a block can never use, see docs/AUCTION.md).
  int variables = 0;
  int rows = 0;
  int binaries = 0;
  int64_t nonzeros = 0;
  // Welfare in CNY (value at the limits - offer prices - tariffs): of the first MIP, of the final LP (the
  // pricing LP with every block decision fixed) and of the final whole-device schedule.
  double welfare_first_mip = 0;
  double welfare_lp = 0;
  double welfare = 0;
  // Elapsed seconds: the first MIP to proven optimality (or its stop), all pricing LPs, the whole-device
  // schedules, and the whole call.
  double seconds_first_mip = 0;
  double seconds_pricing = 0;
  double seconds_schedule = 0;
  double seconds_total = 0;
  int64_t mip_nodes = 0;          // over all MIP solves
  int pab_rounds = 0;             // MIP re-solves caused by paradoxically accepted blocks
  int pab_cuts = 0;               // cuts added (one per group of interacting PAB blocks per round)
  int pab_rejected_outright = 0;  // blocks rejected after the last round
  bool proven_optimal = false;    // the first MIP ended proven optimal within relative_gap
  bool pab_rounds_proven = true;  // every PAB round's MIP ended proven too (not stopped by nodes or time)
  bool time_limited = false;      // the time limit stopped a MIP, or left PAB rounds or their MIP undone
  double gap = 0;                 // the first MIP's final relative gap
  int blocks_accepted = 0;
  int blocks_rejected = 0;
  int blocks_paradoxically_rejected = 0;
  // Blocks the MIP accepted that could not be given whole devices within their min ratio at the final
  // prices; they were rejected and the market re-priced (ascending block index).
  std::vector<uint32_t> rejected_whole_devices;
  int repricings = 0;  // pricing LPs solved
};

Result<AuctionResult> solve_auction(const AuctionInput& input, const AuctionSolverOptions& options,
                                    AuctionSolverStats* stats = nullptr);

}  // namespace cpx
