#pragma once
// Splitting an amount by basis-point shares with exact integer rounding (largest remainder): each party
// gets floor(total x bps / 10000), and the units left over go one each to the parties with the largest
// fractional parts (ties: the earlier party). The pieces always sum to the whole.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "cpx/fixed_point.hpp"

namespace cpx::persistence {

inline std::vector<Money> split_largest_remainder(Money total, const std::vector<int64_t>& bps) {
  std::vector<Money> out(bps.size(), 0);
  if (bps.empty()) return out;
  const int64_t denominator = std::accumulate(bps.begin(), bps.end(), int64_t{0});
  std::vector<std::pair<__int128, size_t>> remainders;
  Money given = 0;
  for (size_t i = 0; i < bps.size(); ++i) {
    const __int128 scaled = static_cast<__int128>(total) * bps[i];
    out[i] = static_cast<Money>(scaled / denominator);
    remainders.emplace_back(scaled % denominator, i);
    given += out[i];
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (Money left = total - given, k = 0; left > 0; --left, ++k) ++out[remainders[static_cast<size_t>(k)].second];
  return out;
}

}  // namespace cpx::persistence
