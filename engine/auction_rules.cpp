// The auction's rules in integers (docs/PRODUCT.md §3.3): the check a result must pass before any money moves,
// the contracts it makes, and the credit a block holds. No solver here: the engine only ever checks.
//
// The rounding allowance of "no paradoxically accepted block".
// A block is not paradoxically accepted when what it pays at the clearing prices is at most its limit x the
// SCU-hours it gets. Its contracts, though, are priced from published integers and paid in integers:
//   (a) zone prices are published with 8 decimals, at most one unit (1e-8 CNY per SCU-hour) above the
//       exact clearing price (the solver rounds half away from zero, then raises a zone-hour's price to the
//       least 8-decimal price that covers every offer in the money there, which is less than one unit above
//       the exact price; congestion prices are rounded down, so they never add to a block's payment);
//   (b) each contract's price per device-hour is zone price x SCU per device rounded half away from zero to
//       4 decimals: at most half a unit (0.00005 CNY) per device-hour above the exact product;
//   (c) each transport leg is rounded half away from zero to 4 decimals: at most half a unit per leg.
// Summed over a block's contracts k (devices n_k, links |l_k|), the payment exceeds the exact payment at the
// exact prices by less than
//   A = SCU-hours x 1e-8 CNY  +  sum_k (n_k + |l_k|) x 0.00005 CNY,
// and each term is the supremum of its rounding (a device price can land exactly half a unit up, a leg
// likewise, and the zone price can come as close to one unit up as the data allows). The rule is therefore
//   payment <= (limit + 1 unit) x SCU-hours + (device-hours + legs) / 2      [money units],
// in integers: 2 x 10^4 x payment <= 2 x (limit + 1) x SCU-hours + 10^4 x (device-hours + legs).
// It depends only on the block's own contracts, so the check needs nothing but the result.
//
// The reserve (auction_block_reserve) bounds the same sum for any allocation a block may get: SCU-hours <=
// q x H, device-hours <= q x H / smallest device, legs <= kMaxPathLinks per contract and contracts <=
// device-hours; fees are at most the fee on the payment plus half a unit per contract.
#include <string>

#include "auction_math.hpp"

namespace cpx {

using auction_math::i128;
namespace am = auction_math;

namespace auction_math {
const AuctionRoute* find_route(const AuctionBlockIn& b, uint32_t zone) {
  auto it = std::lower_bound(b.routes.begin(), b.routes.end(), zone,
                             [](const AuctionRoute& r, uint32_t z) { return r.zone < z; });
  return it != b.routes.end() && it->zone == zone ? &*it : nullptr;
}
}  // namespace auction_math

namespace {

std::string i128_text(i128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  std::string s;
  for (i128 u = neg ? -v : v; u > 0; u /= 10) s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
  return neg ? "-" + s : s;
}
std::string money_text(i128 v) {
  return v >= INT64_MIN && v <= INT64_MAX ? format_fixed(static_cast<int64_t>(v)) : i128_text(v) + " units";
}
std::string block_name(const AuctionInput& in, uint32_t b) {
  return "block " + std::to_string(b) + " (order " + std::to_string(in.blocks[b].id) + ")";
}
std::string offer_name(const AuctionInput& in, uint32_t o) {
  return "offer " + std::to_string(o) + " (order " + std::to_string(in.offers[o].id) + ")";
}
Error invalid_input(std::string text) { return make_error("auction_input_invalid", std::move(text)); }
Error invalid(std::string text) { return make_error("auction_result_invalid", std::move(text)); }

// What one block's contracts add up to.
struct BlockMoney {
  i128 payment = 0;   // notional + legs
  i128 fees = 0;      // buyer fees
  i128 device_hours = 0;
  i128 legs = 0;      // number of legs
};

}  // namespace

Result<bool> check_auction_input(const AuctionInput& in) {
  if (in.fee_bps < 0 || in.fee_bps > 10'000) return invalid_input("fee_bps must be between 0 and 10000.");
  for (size_t z = 0; z < in.zones.size(); ++z)
    if (in.zones[z].scu_per_device <= 0 || in.zones[z].scu_per_device > kMaxScuPerDevice)
      return invalid_input("zone " + std::to_string(z) + " has SCU per device out of range.");
  for (size_t l = 0; l < in.links.size(); ++l) {
    const AuctionLink& k = in.links[l];
    if (k.capacity_gb_per_hour < 0 || k.capacity_gb_per_hour > am::kMaxLinkGbPerHour)
      return invalid_input("link " + std::to_string(l) + " has a capacity out of range.");
    if (k.tariff_per_gb < 0 || k.tariff_per_gb > am::kMaxTariffPerGb)
      return invalid_input("link " + std::to_string(l) + " has a tariff out of range.");
  }
  for (uint32_t o = 0; o < in.offers.size(); ++o) {
    const AuctionOfferIn& x = in.offers[o];
    if (x.zone >= in.zones.size()) return invalid_input(offer_name(in, o) + " names no zone.");
    if (x.hour < 0 || x.hour >= kAuctionHours) return invalid_input(offer_name(in, o) + " has an hour outside 0..23.");
    if (x.devices <= 0 || x.devices > kMaxDevices) return invalid_input(offer_name(in, o) + " has devices out of range.");
    if (x.price < 0 || x.price > kMaxPrice) return invalid_input(offer_name(in, o) + " has a price out of range.");
  }
  for (uint32_t b = 0; b < in.blocks.size(); ++b) {
    const AuctionBlockIn& x = in.blocks[b];
    if (x.first_hour < 0 || x.hours < 1 || x.first_hour + x.hours > kAuctionHours)
      return invalid_input(block_name(in, b) + " has hours outside the day.");
    if (x.scu_per_hour <= 0 || x.scu_per_hour > am::kMaxScuPerHour)
      return invalid_input(block_name(in, b) + " has a quantity out of range.");
    if (x.min_ratio_bps < 1 || x.min_ratio_bps > 10'000)
      return invalid_input(block_name(in, b) + " has a min ratio outside 1..10000 bps.");
    if (x.limit_per_scu_hour < 0) return invalid_input(block_name(in, b) + " has a negative limit.");
    if (x.data_gb_per_hour < 0 || x.data_gb_per_hour > am::kMaxDataGbPerHour)
      return invalid_input(block_name(in, b) + " has data per hour out of range.");
    if (x.reserve < 0) return invalid_input(block_name(in, b) + " has a negative reserve.");
    for (size_t k = 0; k < x.routes.size(); ++k) {
      const AuctionRoute& r = x.routes[k];
      if (r.zone >= in.zones.size()) return invalid_input(block_name(in, b) + " has a route to no zone.");
      if (k > 0 && x.routes[k - 1].zone >= r.zone)
        return invalid_input(block_name(in, b) + " has routes not in ascending zone order.");
      if (r.links.size() > static_cast<size_t>(kMaxPathLinks))
        return invalid_input(block_name(in, b) + " has a route of more than kMaxPathLinks links.");
      for (uint32_t l : r.links)
        if (l >= in.links.size()) return invalid_input(block_name(in, b) + " has a route over no link.");
    }
  }
  return true;
}

Result<bool> check_auction_result(const AuctionInput& in, const AuctionResult& r) {
  if (auto ok = check_auction_input(in); !ok) return ok.error();
  const size_t zones = in.zones.size(), links = in.links.size(), blocks = in.blocks.size();
  if (r.zone_price.size() != zones * kAuctionHours)
    return invalid("zone_price has " + std::to_string(r.zone_price.size()) + " entries, not zones x 24 = " +
                   std::to_string(zones * kAuctionHours) + ".");
  if (r.congestion.size() != links * kAuctionHours)
    return invalid("congestion has " + std::to_string(r.congestion.size()) + " entries, not links x 24 = " +
                   std::to_string(links * kAuctionHours) + ".");
  for (size_t i = 0; i < r.zone_price.size(); ++i)
    if (r.zone_price[i] < 0 || r.zone_price[i] > am::kMaxZonePrice)
      return invalid("the price of zone " + std::to_string(i / kAuctionHours) + " hour " +
                     std::to_string(i % kAuctionHours) + " is negative or out of range.");
  for (size_t i = 0; i < r.congestion.size(); ++i)
    if (r.congestion[i] < 0 || r.congestion[i] > am::kMaxCongestion)
      return invalid("the congestion price of link " + std::to_string(i / kAuctionHours) + " hour " +
                     std::to_string(i % kAuctionHours) + " is negative or out of range.");

  // Allocations: ordered, on a route, within quantity and above the min ratio.
  std::vector<i128> scu(blocks, 0);
  for (size_t k = 0; k < r.allocations.size(); ++k) {
    const AuctionAllocation& a = r.allocations[k];
    if (a.block >= blocks) return invalid("allocation " + std::to_string(k) + " names no block.");
    if (k > 0) {
      const AuctionAllocation& p = r.allocations[k - 1];
      if (p.block > a.block || (p.block == a.block && p.zone >= a.zone))
        return invalid("allocations are not in ascending (block, zone) order at " + block_name(in, a.block) + ".");
    }
    if (a.devices <= 0 || a.devices > kMaxDevices)
      return invalid(block_name(in, a.block) + " has an allocation of " + std::to_string(a.devices) +
                     " devices in zone " + std::to_string(a.zone) + ".");
    if (!am::find_route(in.blocks[a.block], a.zone))
      return invalid(block_name(in, a.block) + " is allocated in zone " + std::to_string(a.zone) +
                     ", which is not one of its routes.");
    scu[a.block] += static_cast<i128>(a.devices) * in.zones[a.zone].scu_per_device;
  }
  for (uint32_t b = 0; b < blocks; ++b) {
    const AuctionBlockIn& x = in.blocks[b];
    if (scu[b] == 0) continue;
    if (scu[b] > x.scu_per_hour)
      return invalid(block_name(in, b) + " gets " + i128_text(scu[b]) + " SCU an hour, more than its " +
                     std::to_string(x.scu_per_hour) + ".");
    if (scu[b] * 10'000 < static_cast<i128>(x.scu_per_hour) * x.min_ratio_bps)
      return invalid(block_name(in, b) + " gets " + i128_text(scu[b]) + " SCU an hour, below its min ratio of " +
                     std::to_string(x.min_ratio_bps) + " bps of " + std::to_string(x.scu_per_hour) + ".");
  }

  // Acceptances: ordered, within the offer, and in the money.
  for (size_t k = 0; k < r.acceptances.size(); ++k) {
    const AuctionAcceptance& a = r.acceptances[k];
    if (a.offer >= in.offers.size()) return invalid("acceptance " + std::to_string(k) + " names no offer.");
    if (k > 0 && r.acceptances[k - 1].offer >= a.offer)
      return invalid("acceptances are not in ascending offer order at " + offer_name(in, a.offer) + ".");
    const AuctionOfferIn& o = in.offers[a.offer];
    if (a.devices <= 0 || a.devices > o.devices)
      return invalid(offer_name(in, a.offer) + " is accepted for " + std::to_string(a.devices) + " of its " +
                     std::to_string(o.devices) + " devices.");
    const int64_t zp = r.zone_price[static_cast<size_t>(o.zone) * kAuctionHours + o.hour];
    if (static_cast<i128>(o.price) * kScale > static_cast<i128>(zp) * in.zones[o.zone].scu_per_device)
      return invalid(offer_name(in, a.offer) + " is accepted at " + format_fixed(o.price) + " per device-hour above the price of zone " +
                     std::to_string(o.zone) + " hour " + std::to_string(o.hour) + " (" + format_fixed(zp, 8) + " per SCU-hour).");
  }
  for (size_t k = 0; k < r.paradoxically_rejected.size(); ++k) {
    const uint32_t b = r.paradoxically_rejected[k];
    if (b >= blocks) return invalid("paradoxically_rejected names no block.");
    if (k > 0 && r.paradoxically_rejected[k - 1] >= b)
      return invalid("paradoxically_rejected is not in ascending order at " + block_name(in, b) + ".");
    if (scu[b] != 0) return invalid(block_name(in, b) + " is reported paradoxically rejected but is allocated.");
  }

  // Balance in devices per zone and hour.
  std::vector<i128> balance(zones * kAuctionHours, 0);
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& x = in.blocks[a.block];
    for (int h = x.first_hour; h < x.first_hour + x.hours; ++h) balance[static_cast<size_t>(a.zone) * kAuctionHours + h] += a.devices;
  }
  for (const AuctionAcceptance& a : r.acceptances) {
    const AuctionOfferIn& o = in.offers[a.offer];
    balance[static_cast<size_t>(o.zone) * kAuctionHours + o.hour] -= a.devices;
  }
  for (size_t i = 0; i < balance.size(); ++i)
    if (balance[i] != 0)
      return invalid("zone " + std::to_string(i / kAuctionHours) + " hour " + std::to_string(i % kAuctionHours) +
                     (balance[i] > 0 ? " is short of " : " has a surplus of ") + i128_text(balance[i] > 0 ? balance[i] : -balance[i]) +
                     " devices: blocks and offers do not balance.");

  // Link capacity, flows in micro-GB rounded up per allocation.
  std::vector<i128> flow(links * kAuctionHours, 0);
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& x = in.blocks[a.block];
    const i128 f = am::flow_micro_gb(x, a.devices, in.zones[a.zone].scu_per_device);
    for (uint32_t l : am::find_route(x, a.zone)->links)
      for (int h = x.first_hour; h < x.first_hour + x.hours; ++h) flow[static_cast<size_t>(l) * kAuctionHours + h] += f;
  }
  for (size_t i = 0; i < flow.size(); ++i) {
    const i128 cap = static_cast<i128>(in.links[i / kAuctionHours].capacity_gb_per_hour) * am::kMicro;
    if (flow[i] > cap)
      return invalid("link " + std::to_string(i / kAuctionHours) + " hour " + std::to_string(i % kAuctionHours) + " carries " +
                     i128_text(flow[i]) + " micro-GB, over its capacity of " + i128_text(cap) + ".");
  }

  // Each block's contracts: paid within its limit (up to the allowance) and within its reserve.
  std::vector<BlockMoney> money(blocks);
  am::for_each_pairing(in, r, [&](uint32_t b, uint32_t /*offer*/, uint32_t z, int h, int64_t devices) {
    const AuctionBlockIn& x = in.blocks[b];
    const int64_t s = in.zones[z].scu_per_device;
    const i128 notional = am::device_price(r.zone_price[static_cast<size_t>(z) * kAuctionHours + h], s) * devices;
    BlockMoney& m = money[b];
    m.payment += notional;
    m.fees += am::fee(notional, in.fee_bps);
    m.device_hours += devices;
    for (uint32_t l : am::find_route(x, z)->links) {
      m.payment += am::leg_amount(x, devices, s, in.links[l].tariff_per_gb, r.congestion[static_cast<size_t>(l) * kAuctionHours + h]);
      ++m.legs;
    }
  });
  for (uint32_t b = 0; b < blocks; ++b) {
    if (scu[b] == 0) continue;
    const AuctionBlockIn& x = in.blocks[b];
    const BlockMoney& m = money[b];
    const i128 scu_hours = scu[b] * x.hours;
    const i128 lhs = 2 * static_cast<i128>(kScale) * m.payment;
    const i128 rhs = 2 * (static_cast<i128>(x.limit_per_scu_hour) + 1) * scu_hours + static_cast<i128>(kScale) * (m.device_hours + m.legs);
    if (lhs > rhs)
      return invalid(block_name(in, b) + " is paradoxically accepted: it pays " + money_text(m.payment) + " for " +
                     i128_text(scu_hours) + " SCU-hours, more than its limit of " + format_fixed(x.limit_per_scu_hour, 8) +
                     " per SCU-hour allows with the rounding allowance.");
    const i128 cost = m.payment + m.fees;
    if (cost > x.reserve)
      return invalid(block_name(in, b) + " costs " + money_text(cost) + " (compute, fees and transport), more than its reserve of " +
                     format_fixed(x.reserve) + ".");
  }
  return true;
}

std::vector<AuctionPiece> auction_pieces(const AuctionInput& in, const AuctionResult& r) {
  std::vector<AuctionPiece> out;
  am::for_each_pairing(in, r, [&](uint32_t b, uint32_t o, uint32_t z, int h, int64_t devices) {
    const AuctionBlockIn& x = in.blocks[b];
    const int64_t s = in.zones[z].scu_per_device;
    AuctionPiece p;
    p.block = b;
    p.offer = o;
    p.zone = z;
    p.hour = h;
    p.devices = devices;
    p.price = static_cast<Price>(am::device_price(r.zone_price[static_cast<size_t>(z) * kAuctionHours + h], s));
    p.notional = p.price * devices;
    p.buyer_fee = static_cast<Money>(am::fee(p.notional, in.fee_bps));
    p.seller_fee = p.buyer_fee;
    for (uint32_t l : am::find_route(x, z)->links)
      p.legs.push_back(AuctionLeg{l, in.links[l].carrier,
                                  static_cast<Money>(am::leg_amount(x, devices, s, in.links[l].tariff_per_gb,
                                                                    r.congestion[static_cast<size_t>(l) * kAuctionHours + h]))});
    out.push_back(std::move(p));
  });
  return out;
}

Money auction_block_reserve(int64_t scu_per_hour, int32_t hours, int64_t limit_per_scu_hour, int64_t min_scu_per_device,
                            int64_t fee_bps) {
  if (scu_per_hour <= 0 || hours <= 0 || limit_per_scu_hour < 0) return 0;
  const i128 s_min = min_scu_per_device > 0 ? min_scu_per_device : 1;
  const i128 qh = static_cast<i128>(scu_per_hour) * hours;
  const i128 limit = static_cast<i128>(limit_per_scu_hour) + 1;
  // Beyond this the reserve cannot be an int64 anyway (value alone > 1e22 units); saturating keeps the
  // products below within 128 bits.
  if (limit * qh > static_cast<i128>(1e26) || fee_bps < 0 || fee_bps > 10'000) return INT64_MAX;
  // payment <= (L+1) qH / 10^4 + (1 + kMaxPathLinks) qH / (2 s_min); whole <= payment (10^4 + fee) / 10^4
  // + qH / (2 s_min) (half a unit of fee rounding per contract). Everything times 2 x 10^8 x s_min:
  const i128 payment2 = 2 * s_min * limit * qh + static_cast<i128>(kScale) * (1 + kMaxPathLinks) * qh;
  const i128 numerator = payment2 * (kScale + fee_bps) + static_cast<i128>(kScale) * kScale * qh;
  const i128 reserve = am::div_ceil(numerator, 2 * s_min * kScale * kScale);
  return reserve > INT64_MAX ? INT64_MAX : static_cast<Money>(reserve);
}

}  // namespace cpx
