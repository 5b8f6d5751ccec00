#pragma once
// The solver's parts (cpx_auction only; see docs/AUCTION.md for the model):
//   auction_model.cpp     the MIP as plain arrays: columns, rows, bounds, objective
//   auction_lp.cpp        CLP and CBC behind two calls: the pricing LP and the MIP (the only Coin code)
//   auction_prices.cpp    LP duals -> published integer prices; paradoxically accepted / rejected blocks
//   auction_schedule.cpp  whole devices at fixed prices
//   auction_solver.cpp    the rounds that tie them together
//
// Units inside the solver: SCU in thousands (kSCU), money in CNY, data in TB; a balance row's dual is CNY
// per kSCU-hour (x 10^5 = CNY per SCU-hour with 8 decimals), a link row's dual CNY per TB (x -10^5 =
// CNY per GB with 8 decimals, minimisation gives <= rows non-positive duals).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cpx/auction.hpp"
#include "cpx/auction_solver.hpp"

namespace cpx::auction_solver {

// y_{b,z}: SCU an hour of block b in one of its zones (the same every hour of the block).
struct YColumn {
  uint32_t block = 0;
  uint32_t route = 0;  // index into the block's routes
  int col = 0;
  int64_t max_devices = 0;  // floor(quantity / SCU per device)
};

struct Model {
  // Columns: all y, then offers in the model, then one binary u_b per block that needs one.
  std::vector<YColumn> ys;
  std::vector<std::vector<uint32_t>> block_ys;  // per block: indexes into ys (ascending zone)
  std::vector<int> offer_col;                   // per offer, -1: not in the model
  std::vector<int> u_col;                       // per block, -1: no binary (see build_model)
  std::vector<int> balance_row;                 // per zone x 24 + hour, -1: no row
  std::vector<int> link_row;                    // per link x 24 + hour, -1: cannot bind
  // The LP, column-major.
  int rows = 0;
  std::vector<int> starts;  // cols + 1
  std::vector<int> index;
  std::vector<double> value;
  std::vector<double> col_lb, col_ub, obj, row_lb, row_ub;
  int cols() const { return static_cast<int>(obj.size()); }
};

// A block's zones worth a column: on its routes, a whole number of devices reaching its min ratio alone,
// an offer there in every hour of the block, and the cheapest offers plus the path's tariffs within the
// limit (allowance included): any other zone could only ever be paradoxically accepted.
bool candidate_zone(const AuctionInput& in, uint32_t block, const AuctionRoute& route,
                    const std::vector<Price>& cheapest_offer);  // per zone x 24 + hour, -1: none
std::vector<Price> cheapest_offers(const AuctionInput& in);
Model build_model(const AuctionInput& in);

// Which blocks may trade: for a block with a binary, whether it is accepted; for one without, whether it
// is still in the market (it leaves only when rejected outright).
using Decisions = std::vector<char>;

struct LpSolution {
  bool ok = false;
  std::vector<double> x;     // per column
  std::vector<double> dual;  // per row
  double objective = 0;      // minimised: minus welfare
};
// The pricing LP: the MIP with every block decision fixed. One CLP model lives across re-pricings: the
// first solve starts from the LP relaxation's optimal basis, later ones from the previous basis, since
// only the bounds of a few blocks change between them (a cold dual simplex took ~20,000 iterations on
// the full benchmark day).
class PricingLp {
 public:
  PricingLp(const Model& m, int log_level);
  ~PricingLp();
  PricingLp(const PricingLp&) = delete;
  PricingLp& operator=(const PricingLp&) = delete;
  LpSolution solve(const Decisions& in_market);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct MipSolution {
  bool ok = false;
  Decisions accepted;  // per block (blocks without a binary: 1)
  double objective = 0;
  double bound = 0;
  bool proven_optimal = false;
  int64_t nodes = 0;
  double seconds = 0;         // elapsed
  bool time_limited = false;  // CBC stopped at the time limit
};
// The MIP with `cuts` (at most |set| - 1 of each set accepted) and the blocks in `out` rejected; `start`
// (optional) is a feasible choice of binaries to start from; `max_nodes` < 0: no node limit.
// `stop` (may be empty) is asked at CBC's events; true ends the search (the solution is then not to be used).
MipSolution solve_mip(const Model& m, const std::vector<std::vector<uint32_t>>& cuts, const Decisions& out,
                      const Decisions* start, double time_limit_s, double relative_gap, int max_nodes, int log_level,
                      const std::function<bool()>& stop);

struct Prices {
  std::vector<int64_t> zone_price;  // AuctionResult's layout
  std::vector<int64_t> congestion;
};
Prices publish_prices(const AuctionInput& in, const Model& m, const LpSolution& lp);

// Blocks in the market whose LP allocation uses a zone whose landed price at the published prices is
// above the limit (beyond the allowance's price unit): paradoxically accepted.
std::vector<uint32_t> paradoxically_accepted(const AuctionInput& in, const Model& m, const LpSolution& lp,
                                             const Decisions& in_market, const AuctionResult& prices);

// Paradoxically accepted blocks in groups that interact: two are in one group when both use one zone in
// one hour, or one congested link in one hour (ascending, groups by their first block).
std::vector<std::vector<uint32_t>> interacting_groups(const AuctionInput& in, const Model& m, const LpSolution& lp,
                                                      const AuctionResult& prices, const std::vector<uint32_t>& blocks);

// Rejected blocks with a zone they could run in (whole devices reach the min ratio, an offer in the money
// every hour) whose landed price over their hours is below their limit.
std::vector<uint32_t> paradoxically_rejected(const AuctionInput& in, const AuctionResult& result);

struct Schedule {
  std::vector<AuctionAllocation> allocations;
  std::vector<AuctionAcceptance> acceptances;
  std::vector<uint32_t> failed;  // blocks with a binary that could not reach their min ratio
};
// Whole devices at the published prices in `prices`, near the LP's allocation.
Schedule make_schedule(const AuctionInput& in, const Model& m, const LpSolution& lp, const Decisions& in_market,
                       const AuctionResult& prices);

// Welfare in CNY of an integer result (value at the limits - offer prices - tariffs).
double result_welfare(const AuctionInput& in, const AuctionResult& r);

}  // namespace cpx::auction_solver
