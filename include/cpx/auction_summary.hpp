#pragma once
// The solver's statistics as the integers a ClearAuction keeps (audit and publication, never the rules).
#include "cpx/auction.hpp"
#include "cpx/auction_solver.hpp"

namespace cpx {

// Rounded half away from zero once, here. `with_times` false leaves the times 0, for tools whose
// journal must not depend on how fast the machine was (cpx-replay).
AuctionClearingSummary clearing_summary(const AuctionSolverStats& stats, bool with_times = true);

}  // namespace cpx
