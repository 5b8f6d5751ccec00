// The auction's MIP as arrays (docs/AUCTION.md, "The model"). Minimisation of minus welfare, so that CLP's
// row duals are the prices with their natural signs.
#include <algorithm>

#include "auction_math.hpp"
#include "auction_solver_internal.hpp"

namespace cpx::auction_solver {

namespace am = auction_math;
using am::i128;

namespace {

constexpr double kKilo = 1000.0;  // SCU per model unit; GB per TB

// Column-major builder: every column is finished before the next starts.
struct Builder {
  Model& m;
  void begin(double lb, double ub, double cost) {
    m.col_lb.push_back(lb);
    m.col_ub.push_back(ub);
    m.obj.push_back(cost);
  }
  void add(int row, double v) {
    m.index.push_back(row);
    m.value.push_back(v);
  }
  void end() { m.starts.push_back(static_cast<int>(m.index.size())); }
  int row(double lb, double ub) {
    m.row_lb.push_back(lb);
    m.row_ub.push_back(ub);
    return m.rows++;
  }
};

}  // namespace

std::vector<Price> cheapest_offers(const AuctionInput& in) {
  std::vector<Price> out(in.zones.size() * kAuctionHours, -1);
  for (const AuctionOfferIn& o : in.offers) {
    Price& c = out[static_cast<size_t>(o.zone) * kAuctionHours + o.hour];
    if (c < 0 || o.price < c) c = o.price;
  }
  return out;
}

bool candidate_zone(const AuctionInput& in, uint32_t block, const AuctionRoute& route,
                    const std::vector<Price>& cheapest_offer) {
  const AuctionBlockIn& b = in.blocks[block];
  const int64_t s = in.zones[route.zone].scu_per_device;
  if (s > b.scu_per_hour || (b.scu_per_hour / s) * s < am::min_scu(b)) return false;
  // A zone-hour's published price covers the offers accepted there, so it is at least the cheapest offer
  // (rounded up to 8 decimals); congestion is never negative.
  i128 landed = 0;
  for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) {
    const Price c = cheapest_offer[static_cast<size_t>(route.zone) * kAuctionHours + h];
    if (c < 0) return false;
    landed += static_cast<i128>(b.scu_per_hour) * am::div_ceil(static_cast<i128>(c) * kScale, s);
    for (uint32_t l : route.links) landed += static_cast<i128>(b.data_gb_per_hour) * in.links[l].tariff_per_gb * kScale;
  }
  return landed <= static_cast<i128>(b.scu_per_hour) * b.hours * (static_cast<i128>(b.limit_per_scu_hour) + 1);
}

Model build_model(const AuctionInput& in) {
  Model m;
  Builder bld{m};
  const size_t zones = in.zones.size(), links = in.links.size(), blocks = in.blocks.size();
  const std::vector<Price> cheapest = cheapest_offers(in);

  // Candidate zones, then which blocks need a binary: one whose min ratio a single device of every
  // candidate zone already reaches is accepted by any nonzero whole-device allocation, so it needs none.
  m.block_ys.resize(blocks);
  m.u_col.assign(blocks, -1);
  std::vector<char> needs_binary(blocks, 0);
  for (uint32_t b = 0; b < blocks; ++b) {
    const AuctionBlockIn& x = in.blocks[b];
    int64_t smallest = INT64_MAX;
    for (uint32_t r = 0; r < x.routes.size(); ++r) {
      if (!candidate_zone(in, b, x.routes[r], cheapest)) continue;
      const int64_t s = in.zones[x.routes[r].zone].scu_per_device;
      m.block_ys[b].push_back(static_cast<uint32_t>(m.ys.size()));
      m.ys.push_back(YColumn{b, r, 0, x.scu_per_hour / s});
      smallest = std::min(smallest, s);
    }
    needs_binary[b] = !m.block_ys[b].empty() && am::min_scu(x) > smallest;
  }

  // Rows. Balance: zone-hours some candidate covers. Links: link-hours whose candidates at their largest
  // could exceed the capacity (a row that can never bind has a zero dual anyway).
  m.balance_row.assign(zones * kAuctionHours, -1);
  m.link_row.assign(links * kAuctionHours, -1);
  std::vector<i128> max_flow(links * kAuctionHours, 0);
  for (const YColumn& y : m.ys) {
    const AuctionBlockIn& x = in.blocks[y.block];
    const AuctionRoute& route = x.routes[y.route];
    const i128 f = am::flow_micro_gb(x, y.max_devices, in.zones[route.zone].scu_per_device);
    for (int h = x.first_hour; h < x.first_hour + x.hours; ++h) {
      int& row = m.balance_row[static_cast<size_t>(route.zone) * kAuctionHours + h];
      if (row < 0) row = bld.row(0.0, 0.0);
      for (uint32_t l : route.links) max_flow[static_cast<size_t>(l) * kAuctionHours + h] += f;
    }
  }
  for (size_t i = 0; i < max_flow.size(); ++i) {
    const int64_t cap = in.links[i / kAuctionHours].capacity_gb_per_hour;
    if (max_flow[i] > static_cast<i128>(cap) * am::kMicro) m.link_row[i] = bld.row(-1e30, static_cast<double>(cap) / kKilo);
  }
  // Block rows: with a binary, min x u <= sum_z y <= q x u; without, sum_z y <= q when there is a choice
  // of zones (with one, the column's bound already says it).
  std::vector<int> row_max(blocks, -1), row_min(blocks, -1);
  for (uint32_t b = 0; b < blocks; ++b) {
    const double q = static_cast<double>(in.blocks[b].scu_per_hour) / kKilo;
    if (needs_binary[b]) {
      row_max[b] = bld.row(-1e30, 0.0);
      row_min[b] = bld.row(0.0, 1e30);
    } else if (m.block_ys[b].size() > 1) {
      row_max[b] = bld.row(-1e30, q);
    }
  }

  // Columns. y: cost per kSCU an hour over the block's hours = hours x (tariffs of the path for the data
  // of 1,000 SCU - value at the limit); a: the offer's price per kSCU.
  m.starts.push_back(0);
  for (YColumn& y : m.ys) {
    const AuctionBlockIn& x = in.blocks[y.block];
    const AuctionRoute& route = x.routes[y.route];
    const int64_t s = in.zones[route.zone].scu_per_device;
    int64_t tariff = 0;
    for (uint32_t l : route.links) tariff += in.links[l].tariff_per_gb;
    const double q = static_cast<double>(x.scu_per_hour);
    const double tb_per_kscu = static_cast<double>(x.data_gb_per_hour) / q;  // GB/SCU = TB/kSCU
    const double transport = tb_per_kscu * kKilo * static_cast<double>(tariff) / 1e4;
    const double value = static_cast<double>(x.limit_per_scu_hour) * kKilo / 1e8;
    y.col = static_cast<int>(m.obj.size());
    bld.begin(0.0, static_cast<double>(y.max_devices * s) / kKilo, x.hours * (transport - value));
    for (int h = x.first_hour; h < x.first_hour + x.hours; ++h) {
      bld.add(m.balance_row[static_cast<size_t>(route.zone) * kAuctionHours + h], -1.0);
      if (tb_per_kscu > 0)
        for (uint32_t l : route.links) {
          const int row = m.link_row[static_cast<size_t>(l) * kAuctionHours + h];
          if (row >= 0) bld.add(row, tb_per_kscu);
        }
    }
    if (row_max[y.block] >= 0) bld.add(row_max[y.block], 1.0);
    if (row_min[y.block] >= 0) bld.add(row_min[y.block], 1.0);
    bld.end();
  }
  m.offer_col.assign(in.offers.size(), -1);
  for (uint32_t o = 0; o < in.offers.size(); ++o) {
    const AuctionOfferIn& x = in.offers[o];
    const int row = m.balance_row[static_cast<size_t>(x.zone) * kAuctionHours + x.hour];
    if (row < 0) continue;
    const int64_t s = in.zones[x.zone].scu_per_device;
    m.offer_col[o] = static_cast<int>(m.obj.size());
    bld.begin(0.0, static_cast<double>(x.devices * s) / kKilo, static_cast<double>(x.price) * kKilo / (1e4 * s));
    bld.add(row, 1.0);
    bld.end();
  }
  for (uint32_t b = 0; b < blocks; ++b) {
    if (!needs_binary[b]) continue;
    const AuctionBlockIn& x = in.blocks[b];
    m.u_col[b] = static_cast<int>(m.obj.size());
    bld.begin(0.0, 1.0, 0.0);
    bld.add(row_max[b], -static_cast<double>(x.scu_per_hour) / kKilo);
    bld.add(row_min[b], -static_cast<double>(am::min_scu(x)) / kKilo);
    bld.end();
  }
  return m;
}

}  // namespace cpx::auction_solver
