#include "cpx/auction_summary.hpp"

namespace cpx {

AuctionClearingSummary clearing_summary(const AuctionSolverStats& s, bool with_times) {
  // Saturating: a what-if day can have a welfare beyond what int64 holds in ten-thousandths.
  auto round = [](double x) -> int64_t {
    const double r = x < 0 ? x - 0.5 : x + 0.5;
    if (!(r > -9.2e18)) return INT64_MIN + 1;  // NaN too
    if (r >= 9.2e18) return INT64_MAX;
    return static_cast<int64_t>(r);
  };
  AuctionClearingSummary out;
  out.welfare = round(s.welfare * kScale);
  if (with_times) {
    out.solve_ms = round(s.seconds_total * 1000);
    out.first_mip_ms = round(s.seconds_first_mip * 1000);
  }
  out.proven_optimal = s.proven_optimal;
  out.mip_nodes = s.mip_nodes;
  out.pab_rounds = s.pab_rounds;
  out.gap_ppb = round(s.gap * 1e9);
  out.time_limited = s.time_limited;
  return out;
}

}  // namespace cpx
