#pragma once
// A seeded, realistic day-ahead auction over the shipped reference data (config/regions.json,
// chip_classes.json, network.json): 8 regions x 8 chip classes x 24 hours.
//
// Supply: offers per region x class x hour, 64..4,096 devices (log-uniform), priced from a per-SCU base
// per class (H100 about 18 CNY per device-hour) scaled by the region's power price (western hubs cheaper),
// +-10 % noise and a daytime premium. Demand: block orders from data mostly in the eastern hubs (80 %),
// 85 % of the ai family; 1..3 eligible classes of one family; any region or 2..5 named ones; 20 % with a
// latency limit, 5 % local residency, 5 % a jurisdiction list, 10 % a green-share floor; 8..512 devices
// of a home class (log-uniform); 1..24 hours (mostly short); 40 % all or none, the rest 25..90 %;
// limits 0.85..1.6 x the home class's base per SCU-hour; 0.5..30 GB an hour per device of data (a
// training job streaming 1..70 Mbit/s per device).
// Link capacities are the config's Gbps x 450 GB an hour times `capacity_scale` (cpx-bench-auction uses
// 0.5: with this demand a few links then congest, 23 link-hours on the full day of seed 1).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cpx/auction.hpp"
#include "cpx/matching_engine.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/names.hpp"

namespace cpx::bench {

struct AuctionWorld {
  std::vector<Region> regions;
  std::vector<ChipClass> classes;
  std::vector<NetworkLink> network;
  std::vector<ParticipantId> carriers;
  std::vector<AuctionZone> zones;  // region-major: zone = region x classes + class
};

inline Result<AuctionWorld> load_auction_world(const std::string& config_dir) {
  EventListener quiet;
  MatchingEngine engine(quiet);
  api::EngineNames names{engine};
  api::CommandDecoder decoder{names};
  auto reference = api::load_reference_requests(config_dir);
  if (!reference.ok()) return reference.error();
  auto network = api::load_network_requests(config_dir);
  if (!network.ok()) return network.error();
  std::vector<std::string> lines = *reference;
  lines.insert(lines.end(), network->begin(), network->end());
  for (const std::string& line : lines) {
    auto c = decoder.decode(line, 1);
    if (!c.ok()) return make_error("config_invalid", c.error().text);
    engine.apply(*c);
  }
  AuctionWorld w;
  for (RegionId r = 0; engine.region(r); ++r) w.regions.push_back(*engine.region(r));
  for (ChipClassId c = 0; engine.chip_class(c); ++c) w.classes.push_back(*engine.chip_class(c));
  w.network = engine.links();
  for (RegionId r = 0; r < w.regions.size(); ++r)
    for (ChipClassId c = 0; c < w.classes.size(); ++c) w.zones.push_back(AuctionZone{r, c, w.classes[c].scu_per_device});
  return w;
}

struct DayShape {
  int blocks = 10'000;
  int offers = 10'000;
  double capacity_scale = 1.0;
  double max_gb_per_device_hour = 30;  // data moved per device-hour at full acceptance: 0.5 .. this
  int64_t fee_bps = 5;
};

// Base price per SCU-hour (CNY) of a class at a region with power at 0.30 CNY/kWh.
inline double base_per_scu(const ChipClass& c) {
  if (c.code == "H100") return 0.0180;
  if (c.code == "H800") return 0.0170;
  if (c.code == "H20") return 0.0330;
  if (c.code == "A100") return 0.0220;
  if (c.code == "L40S") return 0.0140;
  if (c.code == "ASC910B") return 0.0190;
  if (c.code == "CPU-X86-64V") return 0.60;
  return 0.65;
}

inline AuctionInput generate_auction_day(const AuctionWorld& w, const DayShape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int64_t a, int64_t b) { return std::uniform_int_distribution<int64_t>(a, b)(rng); };
  auto log_uniform = [&](double a, double b) { return std::exp(uniform(std::log(a), std::log(b))); };
  const int nregions = static_cast<int>(w.regions.size()), nclasses = static_cast<int>(w.classes.size());

  AuctionInput in;
  in.fee_bps = shape.fee_bps;
  in.zones = w.zones;
  in.links = auction_links(w.network);
  for (AuctionLink& l : in.links)
    l.capacity_gb_per_hour = std::max<int64_t>(1, std::llround(static_cast<double>(l.capacity_gb_per_hour) * shape.capacity_scale));

  // Offers: every zone-hour gets its share, the remainder spread at random.
  const int zone_hours = nregions * nclasses * kAuctionHours;
  for (int k = 0; k < shape.offers; ++k) {
    const int zh = k < zone_hours * (shape.offers / zone_hours) ? k % zone_hours : static_cast<int>(pick(0, zone_hours - 1));
    const uint32_t zone = static_cast<uint32_t>(zh / kAuctionHours);
    const int hour = zh % kAuctionHours;
    const Region& region = w.regions[w.zones[zone].region];
    const ChipClass& cls = w.classes[w.zones[zone].chip_class];
    const double power = static_cast<double>(region.power_price) / 1e4;
    const double daytime = hour >= 9 && hour < 21 ? 1.04 : 1.0;
    const double per_scu = base_per_scu(cls) * (0.85 + 0.5 * power) * daytime * uniform(0.9, 1.1);
    AuctionOfferIn o;
    o.id = 1'000'000 + static_cast<uint64_t>(k);
    o.supplier = static_cast<ParticipantId>(1000 + pick(0, 199));
    o.zone = zone;
    o.hour = hour;
    o.devices = std::llround(log_uniform(64, 4096));
    o.price = std::max<int64_t>(1, std::llround(per_scu * static_cast<double>(cls.scu_per_device) * 1e4));
    in.offers.push_back(o);
  }

  std::vector<ChipClassId> ai, general;
  for (ChipClassId c = 0; c < w.classes.size(); ++c) (w.classes[c].family == ChipFamily::AI ? ai : general).push_back(c);
  std::vector<RegionId> east, west;
  for (RegionId r = 0; r < w.regions.size(); ++r) (w.regions[r].side == RegionSide::East ? east : west).push_back(r);

  for (int k = 0; k < shape.blocks; ++k) {
    const bool is_ai = uniform(0, 1) < 0.85;
    const std::vector<ChipClassId>& family = is_ai ? ai : general;
    RouteQuery q;
    const ChipClassId home = family[static_cast<size_t>(pick(0, static_cast<int64_t>(family.size()) - 1))];
    q.classes.push_back(home);
    const int extra = static_cast<int>(pick(0, std::min<int64_t>(2, static_cast<int64_t>(family.size()) - 1)));
    for (int e = 0; e < extra; ++e) {
      const ChipClassId c = family[static_cast<size_t>(pick(0, static_cast<int64_t>(family.size()) - 1))];
      if (std::find(q.classes.begin(), q.classes.end(), c) == q.classes.end()) q.classes.push_back(c);
    }
    std::sort(q.classes.begin(), q.classes.end());
    q.origin = uniform(0, 1) < 0.8 ? east[static_cast<size_t>(pick(0, static_cast<int64_t>(east.size()) - 1))]
                                   : west[static_cast<size_t>(pick(0, static_cast<int64_t>(west.size()) - 1))];
    if (uniform(0, 1) < 0.7) {
      const int named = static_cast<int>(pick(2, 5));
      q.regions.push_back(q.origin);
      while (static_cast<int>(q.regions.size()) < named) {
        const RegionId r = static_cast<RegionId>(pick(0, nregions - 1));
        if (std::find(q.regions.begin(), q.regions.end(), r) == q.regions.end()) q.regions.push_back(r);
      }
      std::sort(q.regions.begin(), q.regions.end());
    }
    const double constraint = uniform(0, 1);
    if (constraint < 0.20) q.max_latency_ms = pick(10, 16);
    else if (constraint < 0.25) q.local_only = true;
    else if (constraint < 0.30) {
      q.jurisdictions.push_back(w.regions[q.origin].jurisdiction);
      q.jurisdictions.push_back(w.regions[static_cast<size_t>(pick(0, nregions - 1))].jurisdiction);
    } else if (constraint < 0.40) {
      q.min_green_share = pick(3000, 5000);
    }
    const ChipClass& cls = w.classes[home];
    const int64_t devices = std::llround(log_uniform(8, 512));
    AuctionBlockIn b;
    b.id = static_cast<uint64_t>(k) + 1;
    b.buyer = static_cast<ParticipantId>(2000 + pick(0, 499));
    const double length = uniform(0, 1);
    b.hours = static_cast<int32_t>(length < 0.5 ? pick(1, 4) : length < 0.85 ? pick(5, 12) : pick(13, 24));
    b.first_hour = static_cast<int32_t>(pick(0, kAuctionHours - b.hours));
    b.scu_per_hour = devices * cls.scu_per_device;
    b.min_ratio_bps = uniform(0, 1) < 0.4 ? 10'000 : pick(2'500, 9'000);
    b.limit_per_scu_hour = std::llround(base_per_scu(cls) * uniform(0.85, 1.6) * 1e8);
    b.data_gb_per_hour = std::llround(static_cast<double>(devices) * uniform(0.5, shape.max_gb_per_device_hour));
    q.data_gb = b.data_gb_per_hour;
    q.scu = b.scu_per_hour;
    b.routes = auction_routes(w.regions, w.classes, w.network, in.zones, q, b.scu_per_hour);
    int64_t smallest = INT64_MAX;
    for (const AuctionRoute& r : b.routes) smallest = std::min(smallest, in.zones[r.zone].scu_per_device);
    b.reserve = auction_block_reserve(b.scu_per_hour, b.hours, b.limit_per_scu_hour,
                                      smallest == INT64_MAX ? 1 : smallest, in.fee_bps);
    in.blocks.push_back(std::move(b));
  }
  for (size_t i = 0; i < in.links.size(); ++i) in.links[i].carrier = w.network[i].carrier;
  return in;
}

}  // namespace cpx::bench
