// CLP and CBC behind two calls (the only file that includes Coin headers). Everything is minimised: with
// a minimisation OSI's row duals are the prices as they are (with maximisation they come back negated).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "CbcEventHandler.hpp"
#include "CbcModel.hpp"
#include "CbcSolver.hpp"
#include "OsiClpSolverInterface.hpp"
#include "auction_solver_internal.hpp"

namespace cpx::auction_solver {

namespace {

void load(const Model& m, OsiClpSolverInterface& s, const std::vector<double>& col_lb, const std::vector<double>& col_ub) {
  s.loadProblem(m.cols(), m.rows, m.starts.data(), m.index.data(), m.value.data(), col_lb.data(), col_ub.data(),
                m.obj.data(), m.row_lb.data(), m.row_ub.data());
  s.setObjSense(1.0);
}

void quiet(OsiClpSolverInterface& s, int log_level) {
  s.messageHandler()->setLogLevel(log_level);
  s.getModelPtr()->messageHandler()->setLogLevel(log_level);
}

// Column bounds with the blocks out of the market (or rejected) held at zero and binaries fixed.
void fix_decisions(const Model& m, const Decisions& in_market, std::vector<double>& lb, std::vector<double>& ub) {
  for (size_t b = 0; b < m.block_ys.size(); ++b) {
    const bool in = in_market[b] != 0;
    if (!in)
      for (uint32_t y : m.block_ys[b]) ub[m.ys[y].col] = 0.0;
    if (m.u_col[b] >= 0) lb[m.u_col[b]] = ub[m.u_col[b]] = in ? 1.0 : 0.0;
  }
}

int no_callback(CbcModel*, int) { return 0; }

// Asks the caller whether to go on at each of CBC's events (nodes, solutions, heuristic and cut passes).
class StopHandler : public CbcEventHandler {
 public:
  explicit StopHandler(const std::function<bool()>& stop) : stop_(stop) {}
  CbcAction event(CbcEvent) override { return stop_() ? stop : noAction; }
  CbcEventHandler* clone() const override { return new StopHandler(*this); }

 private:
  const std::function<bool()>& stop_;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

struct PricingLp::Impl {
  const Model& m;
  OsiClpSolverInterface s;
  bool warm = false;
};

PricingLp::PricingLp(const Model& m, int log_level) : impl_(std::make_unique<Impl>(Impl{m, {}, false})) {
  load(m, impl_->s, m.col_lb, m.col_ub);
  quiet(impl_->s, log_level);
}

PricingLp::~PricingLp() = default;

LpSolution PricingLp::solve(const Decisions& in_market) {
  const Model& m = impl_->m;
  OsiClpSolverInterface& s = impl_->s;
  LpSolution out;
  if (!impl_->warm) {
    s.initialSolve();  // the relaxation: its basis is a few pivots from any choice of the binaries
    if (!s.isProvenOptimal()) return out;
    impl_->warm = true;
  }
  std::vector<double> lb = m.col_lb, ub = m.col_ub;
  fix_decisions(m, in_market, lb, ub);
  s.setColLower(lb.data());
  s.setColUpper(ub.data());
  s.resolve();
  if (!s.isProvenOptimal()) {
    s.initialSolve();  // the warm start failed (numerically): once more from scratch
    if (!s.isProvenOptimal()) return out;
  }
  out.ok = true;
  out.x.assign(s.getColSolution(), s.getColSolution() + m.cols());
  out.dual.assign(s.getRowPrice(), s.getRowPrice() + m.rows);
  out.objective = s.getObjValue();
  return out;
}

MipSolution solve_mip(const Model& m, const std::vector<std::vector<uint32_t>>& cuts, const Decisions& out_of_market,
                      const Decisions* start, double time_limit_s, double relative_gap, int max_nodes, int log_level,
                      const std::function<bool()>& stop) {
  MipSolution out;
  std::vector<double> lb = m.col_lb, ub = m.col_ub;
  for (size_t b = 0; b < m.block_ys.size(); ++b) {
    if (!out_of_market[b]) continue;
    for (uint32_t y : m.block_ys[b]) ub[m.ys[y].col] = 0.0;
    if (m.u_col[b] >= 0) ub[m.u_col[b]] = 0.0;
  }
  OsiClpSolverInterface s;
  load(m, s, lb, ub);
  for (size_t b = 0; b < m.u_col.size(); ++b)
    if (m.u_col[b] >= 0) s.setInteger(m.u_col[b]);
  for (const std::vector<uint32_t>& cut : cuts) {
    std::vector<int> cols;
    for (uint32_t b : cut) cols.push_back(m.u_col[b]);
    const std::vector<double> ones(cols.size(), 1.0);
    s.addRow(static_cast<int>(cols.size()), cols.data(), ones.data(), -COIN_DBL_MAX, static_cast<double>(cols.size()) - 1.0);
  }
  quiet(s, log_level);

  CbcModel model(s);
  CbcSolverUsefulData data;
  CbcMain0(model, data);
  model.setLogLevel(log_level);
  if (stop) {
    StopHandler handler(stop);
    model.passInEventHandler(&handler);  // CBC keeps a clone
  }
  if (start) {
    // A start names only the binaries; CBC completes it by solving the LP with them fixed.
    std::vector<std::pair<std::string, double>> values;
    for (size_t b = 0; b < m.u_col.size(); ++b)
      if (m.u_col[b] >= 0) values.emplace_back(s.getColName(m.u_col[b]), (*start)[b] ? 1.0 : 0.0);
    model.setMIPStart(values);
  }
  const std::string log = std::to_string(log_level), sec = number(std::max(time_limit_s, 0.01)), gap = number(relative_gap);
  // No CglPreProcess: on these models its post-processing took minutes after a solution was found; no
  // feasibility pump: diving finds better solutions at the root in a fraction of its time; no RINS, RENS,
  // DINS, local tree, proximity or combine: with a start solution (PAB rounds) they spent ~25 s at the
  // root of the full benchmark day without improving it (docs/BENCHMARKS.md).
  const std::string nodes = std::to_string(max_nodes < 0 ? INT32_MAX : max_nodes);
  const char* argv[] = {"cpx-auction", "-log", log.c_str(), "-threads", "0", "-timeMode", "elapsed", "-sec", sec.c_str(),
                        "-ratioGap", gap.c_str(),
                        "-maxNodes", nodes.c_str(), "-preprocess", "off", "-feas", "off", "-rins", "off", "-Rens", "off",
                        "-dins", "off", "-localTree", "off", "-proximity", "off", "-combine", "off", "-solve", "-quit"};
  const auto t0 = std::chrono::steady_clock::now();
  CbcMain1(static_cast<int>(sizeof argv / sizeof *argv), argv, model, no_callback, data);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.time_limited = model.isSecondsLimitReached();
  const double* x = model.bestSolution();
  if (!x) return out;
  out.ok = true;
  out.accepted.assign(m.u_col.size(), 1);
  for (size_t b = 0; b < m.u_col.size(); ++b) {
    if (out_of_market[b]) out.accepted[b] = 0;
    else if (m.u_col[b] >= 0) out.accepted[b] = x[m.u_col[b]] > 0.5;
  }
  out.objective = model.getObjValue();
  out.bound = model.getBestPossibleObjValue();
  out.proven_optimal = model.isProvenOptimal();
  out.nodes = model.getNodeCount();
  return out;
}

}  // namespace cpx::auction_solver
