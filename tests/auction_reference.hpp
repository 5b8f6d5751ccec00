#pragma once
// An independent reference for the auction's welfare optimum on tiny instances: every choice of the
// block binaries enumerated, each LP solved by a small dense simplex (Bland's rule, so it cannot cycle on
// the degenerate balance rows), the model's rules re-derived here from docs/AUCTION.md rather than taken
// from the solver's code.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "cpx/auction.hpp"

namespace cpx::test {

// maximise c x subject to A x <= b, x >= 0. nullopt: infeasible; +infinity: unbounded.
class DenseSimplex {
 public:
  static std::optional<double> maximise(const std::vector<std::vector<double>>& a, const std::vector<double>& b,
                                        const std::vector<double>& c) {
    DenseSimplex s(a, b, c);
    return s.solve();
  }

 private:
  static constexpr double kEps = 1e-9;
  int m_, n_;
  std::vector<int> basic_, nonbasic_;
  std::vector<std::vector<double>> d_;

  DenseSimplex(const std::vector<std::vector<double>>& a, const std::vector<double>& b, const std::vector<double>& c)
      : m_(static_cast<int>(b.size())), n_(static_cast<int>(c.size())), basic_(m_), nonbasic_(n_ + 1),
        d_(m_ + 2, std::vector<double>(n_ + 2, 0.0)) {
    for (int i = 0; i < m_; ++i) {
      for (int j = 0; j < n_; ++j) d_[i][j] = a[i][j];
      basic_[i] = n_ + i;
      d_[i][n_] = -1;  // the auxiliary variable of phase 1
      d_[i][n_ + 1] = b[i];
    }
    for (int j = 0; j < n_; ++j) {
      nonbasic_[j] = j;
      d_[m_][j] = -c[j];
    }
    nonbasic_[n_] = -1;
    d_[m_ + 1][n_] = 1;
  }

  void pivot(int r, int s) {
    const double inv = 1.0 / d_[r][s];
    for (int i = 0; i < m_ + 2; ++i)
      if (i != r && d_[i][s] != 0)
        for (int j = 0; j < n_ + 2; ++j)
          if (j != s) d_[i][j] -= d_[r][j] * d_[i][s] * inv;
    for (int j = 0; j < n_ + 2; ++j)
      if (j != s) d_[r][j] *= inv;
    for (int i = 0; i < m_ + 2; ++i)
      if (i != r) d_[i][s] *= -inv;
    d_[r][s] = inv;
    std::swap(basic_[r], nonbasic_[s]);
  }

  // Bland's rule: the entering variable of smallest index among the improving ones, the leaving one of
  // smallest index among the ratio test's ties.
  bool run(int phase) {
    const int row = phase == 1 ? m_ + 1 : m_;
    for (;;) {
      int s = -1;
      for (int j = 0; j <= n_; ++j) {
        if (phase == 2 && nonbasic_[j] == -1) continue;
        if (d_[row][j] < -kEps && (s == -1 || nonbasic_[j] < nonbasic_[s])) s = j;
      }
      if (s == -1) return true;
      int r = -1;
      for (int i = 0; i < m_; ++i) {
        if (d_[i][s] < kEps) continue;
        if (r == -1) {
          r = i;
          continue;
        }
        const double a = d_[i][n_ + 1] / d_[i][s], b = d_[r][n_ + 1] / d_[r][s];
        if (a < b - kEps || (std::fabs(a - b) <= kEps && basic_[i] < basic_[r])) r = i;
      }
      if (r == -1) return false;
      pivot(r, s);
    }
  }

  std::optional<double> solve() {
    int r = 0;
    for (int i = 1; i < m_; ++i)
      if (d_[i][n_ + 1] < d_[r][n_ + 1]) r = i;
    if (m_ > 0 && d_[r][n_ + 1] < -kEps) {
      pivot(r, n_);
      if (!run(1) || d_[m_ + 1][n_ + 1] < -1e-7) return std::nullopt;
      for (int i = 0; i < m_; ++i)
        if (basic_[i] == -1) {
          int s = -1;
          for (int j = 0; j <= n_; ++j)
            if (s == -1 || d_[i][j] < d_[i][s] || (d_[i][j] == d_[i][s] && nonbasic_[j] < nonbasic_[s])) s = j;
          pivot(i, s);
        }
    }
    if (!run(2)) return std::numeric_limits<double>::infinity();
    return d_[m_][n_ + 1];
  }
};

// The welfare optimum (CNY) of the auction's MIP by enumeration. Rules, as docs/AUCTION.md states them:
//   a block may use a zone of its routes if whole devices there alone reach its min ratio, the zone has
//   an offer in every hour of the block, and the cheapest offers of those hours (per SCU, rounded up to 8
//   decimals) plus the path's tariffs for the block's data stay within limit + 1e-8 per SCU-hour;
//   a block needs a binary when its min SCU exceeds the smallest such zone's device;
//   y_{b,z} <= floor(q/s) s; sum_z y <= q; with the binary on, sum_z y >= ceil(min ratio x q);
//   each zone-hour: sum of y of the blocks there = sum of offers accepted (each <= devices x s);
//   each link-hour: sum of data x y / q <= capacity;
//   welfare = sum over blocks of hours x (limit - data/q x path tariff) x y - offer price / s x accepted.
inline double reference_welfare(const AuctionInput& in) {
  struct Y {
    uint32_t block, zone;
    const AuctionRoute* route;
  };
  std::vector<Y> ys;
  std::vector<std::vector<size_t>> by_block(in.blocks.size());
  std::vector<char> binary(in.blocks.size(), 0);
  std::vector<int64_t> cheapest(in.zones.size() * kAuctionHours, -1);
  for (const AuctionOfferIn& o : in.offers) {
    int64_t& c = cheapest[o.zone * kAuctionHours + o.hour];
    if (c < 0 || o.price < c) c = o.price;
  }
  for (uint32_t b = 0; b < in.blocks.size(); ++b) {
    const AuctionBlockIn& x = in.blocks[b];
    const int64_t min_scu = (x.scu_per_hour * x.min_ratio_bps + 9'999) / 10'000;
    int64_t smallest = INT64_MAX;
    for (const AuctionRoute& r : x.routes) {
      const int64_t s = in.zones[r.zone].scu_per_device;
      if ((x.scu_per_hour / s) * s < min_scu || s > x.scu_per_hour) continue;
      bool ok = true;
      long double landed = 0;  // CNY x 1e8 per SCU over the hours, times q
      for (int h = x.first_hour; h < x.first_hour + x.hours; ++h) {
        const int64_t c = cheapest[r.zone * kAuctionHours + h];
        if (c < 0) ok = false;
        else landed += static_cast<long double>(x.scu_per_hour) * ((c * 10'000 + s - 1) / s);
        for (uint32_t l : r.links) landed += static_cast<long double>(x.data_gb_per_hour) * in.links[l].tariff_per_gb * 10'000;
      }
      if (!ok || landed > static_cast<long double>(x.scu_per_hour) * x.hours * (x.limit_per_scu_hour + 1)) continue;
      by_block[b].push_back(ys.size());
      ys.push_back(Y{b, r.zone, &r});
      smallest = std::min(smallest, s);
    }
    binary[b] = !by_block[b].empty() && min_scu > smallest;
  }
  std::vector<uint32_t> binaries;
  for (uint32_t b = 0; b < in.blocks.size(); ++b)
    if (binary[b]) binaries.push_back(b);

  const size_t n = ys.size() + in.offers.size();
  double best = 0;  // every block rejected is feasible
  for (uint32_t mask = 0; mask < (1u << binaries.size()); ++mask) {
    std::vector<char> on(in.blocks.size(), 1);
    for (size_t k = 0; k < binaries.size(); ++k) on[binaries[k]] = (mask >> k) & 1u;
    std::vector<std::vector<double>> a;
    std::vector<double> rhs;
    auto row = [&](std::vector<double> coef, double bound) {
      a.push_back(std::move(coef));
      rhs.push_back(bound);
    };
    std::vector<double> c(n, 0.0);
    for (size_t k = 0; k < ys.size(); ++k) {
      const AuctionBlockIn& x = in.blocks[ys[k].block];
      int64_t tariff = 0;
      for (uint32_t l : ys[k].route->links) tariff += in.links[l].tariff_per_gb;
      c[k] = x.hours * (x.limit_per_scu_hour / 1e8 -
                        static_cast<double>(x.data_gb_per_hour) / x.scu_per_hour * tariff / 1e4);
      const int64_t s = in.zones[ys[k].zone].scu_per_device;
      std::vector<double> up(n, 0.0);
      up[k] = 1;
      row(up, on[ys[k].block] ? static_cast<double>((x.scu_per_hour / s) * s) : 0.0);
    }
    for (size_t o = 0; o < in.offers.size(); ++o) {
      const AuctionOfferIn& x = in.offers[o];
      const int64_t s = in.zones[x.zone].scu_per_device;
      c[ys.size() + o] = -static_cast<double>(x.price) / 1e4 / s;
      std::vector<double> up(n, 0.0);
      up[ys.size() + o] = 1;
      row(up, static_cast<double>(x.devices * s));
    }
    for (uint32_t b = 0; b < in.blocks.size(); ++b) {
      if (by_block[b].empty()) continue;
      const AuctionBlockIn& x = in.blocks[b];
      std::vector<double> sum(n, 0.0), neg(n, 0.0);
      for (size_t k : by_block[b]) {
        sum[k] = 1;
        neg[k] = -1;
      }
      row(sum, static_cast<double>(x.scu_per_hour));
      if (binary[b] && on[b]) row(neg, -static_cast<double>((x.scu_per_hour * x.min_ratio_bps + 9'999) / 10'000));
    }
    for (uint32_t z = 0; z < in.zones.size(); ++z)
      for (int h = 0; h < kAuctionHours; ++h) {
        std::vector<double> bal(n, 0.0);
        bool any = false;
        for (size_t k = 0; k < ys.size(); ++k) {
          const AuctionBlockIn& x = in.blocks[ys[k].block];
          if (ys[k].zone == z && h >= x.first_hour && h < x.first_hour + x.hours) bal[k] = 1, any = true;
        }
        for (size_t o = 0; o < in.offers.size(); ++o)
          if (in.offers[o].zone == z && in.offers[o].hour == h) bal[ys.size() + o] = -1, any = true;
        if (!any) continue;
        std::vector<double> neg(n);
        for (size_t j = 0; j < n; ++j) neg[j] = -bal[j];
        row(bal, 0.0);
        row(neg, 0.0);
      }
    for (uint32_t l = 0; l < in.links.size(); ++l)
      for (int h = 0; h < kAuctionHours; ++h) {
        std::vector<double> flow(n, 0.0);
        bool any = false;
        for (size_t k = 0; k < ys.size(); ++k) {
          const AuctionBlockIn& x = in.blocks[ys[k].block];
          if (h < x.first_hour || h >= x.first_hour + x.hours) continue;
          for (uint32_t used : ys[k].route->links)
            if (used == l && x.data_gb_per_hour > 0) flow[k] = static_cast<double>(x.data_gb_per_hour) / x.scu_per_hour, any = true;
        }
        if (any) row(flow, static_cast<double>(in.links[l].capacity_gb_per_hour));
      }
    auto w = DenseSimplex::maximise(a, rhs, c);
    if (w && *w > best) best = *w;
  }
  return best;
}

}  // namespace cpx::test
