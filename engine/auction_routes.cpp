// Where an auction block may run: the route filters and cheapest paths of §3.2 applied to the auction's
// zones, frozen with the network at gate closure (the solver and cpx-auction read the same routes).
#include "cpx/auction.hpp"

namespace cpx {

std::vector<AuctionRoute> auction_routes(const std::vector<Region>& regions, const std::vector<ChipClass>& classes,
                                         const std::vector<NetworkLink>& network,
                                         const std::vector<AuctionZone>& zones, const RouteQuery& constraints,
                                         int64_t scu_per_hour) {
  std::vector<AuctionRoute> out;
  RoutePaths paths;
  route_paths(network, regions.size(), constraints, paths);
  for (uint32_t z = 0; z < zones.size(); ++z) {
    const AuctionZone& zone = zones[z];
    if (zone.region >= regions.size() || zone.chip_class >= classes.size()) continue;
    if (zone.scu_per_device <= 0 || zone.scu_per_device > scu_per_hour) continue;  // not one whole device
    if (route_filter(constraints, zone.region, regions[zone.region], zone.chip_class)) continue;
    if (paths.why[zone.region]) continue;
    out.push_back(AuctionRoute{z, paths.paths[zone.region].links});
  }
  return out;
}

std::vector<AuctionLink> auction_links(const std::vector<NetworkLink>& network) {
  std::vector<AuctionLink> out;
  out.reserve(network.size());
  // 1 Gbps moves 10^9 / 8 bytes a second: 450 GB (10^9 bytes) an hour.
  for (const NetworkLink& l : network) out.push_back(AuctionLink{l.from, l.to, l.carrier, l.capacity_gbps * 450, l.tariff_per_gb});
  return out;
}

}  // namespace cpx
