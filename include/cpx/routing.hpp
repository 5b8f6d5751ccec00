#pragma once
// Landed cost across regions (DESIGN.md §3.2): where is a job cheapest, compute and transfer together?
// A route query names what the buyer can use (chip classes of one family, regions), where its data is
// (origin region, GB to move), what it requires (latency from the origin, residency, green share), how
// much (SCU) and when (the delivery window). The quote lists every candidate book with the path its data
// would take and the landed price per SCU-hour, cheapest first, and every book it left out with why.
#include <cstdint>
#include <string>
#include <vector>

#include "cpx/domain.hpp"
#include "cpx/fixed_point.hpp"
#include "cpx/instrument.hpp"
#include "cpx/time.hpp"

namespace cpx {

struct RouteQuery {
  std::vector<ChipClassId> classes;     // acceptable chip classes (one family)
  std::vector<RegionId> regions;        // acceptable regions; empty: any
  RegionId origin = 0;                  // where the data is
  int64_t max_latency_ms = -1;          // from the origin along the path; -1: no limit
  bool local_only = false;              // residency "local": the origin region only
  std::vector<std::string> jurisdictions;  // residency as allowed jurisdictions; empty: any
  int64_t min_green_share = 0;          // four decimals (0.30 -> 3000)
  int64_t data_gb = 0;                  // data moved from the origin to the region
  int64_t scu = 0;                      // quantity in SCU (> 0)
  Timestamp window_start = 0;           // delivery window: books whose window is exactly this one
  Timestamp window_end = 0;
  int64_t limit_per_scu_hour = 0;       // landed, eight decimals; 0: no limit
};

struct RouteCandidate {
  InstrumentId instrument = kNoInstrument;
  RegionId region = 0;
  ChipClassId chip_class = 0;
  std::vector<RegionId> path;           // origin ... region (just the origin when local)
  std::vector<ParticipantId> carriers;  // one per link of the path
  int64_t latency_ms = 0;
  int64_t tariff_per_gb = 0;            // sum over the path, four decimals
  Quantity devices = 0;                 // devices the quantity needs: ceil(scu / SCU per device)
  Quantity available = 0;               // offered devices (all levels), capped at `devices`
  bool fills = false;                   // available == devices
  Money compute_cost = 0;               // the asks swept for `available` devices x hours
  Money transfer_cost = 0;              // data_gb x tariff_per_gb
  int64_t compute_per_scu_hour = 0;     // compute_cost / (available x SCU per device x hours), 8 decimals
  int64_t transfer_per_scu_hour = 0;    // transfer_cost / (scu x hours), 8 decimals
  int64_t landed_per_scu_hour = 0;      // their sum
  bool within_limit = true;
};

struct RouteExclusion {
  InstrumentId instrument = kNoInstrument;
  std::string reason;  // class, region, residency, green_share, latency, no_path, not_open, no_offers, too_large
};

struct RouteQuote {
  std::vector<RouteCandidate> candidates;  // landed price ascending, then fewer ms, then instrument id
  std::vector<RouteExclusion> excluded;
};

class MatchingEngine;
// Reads the engine's books, regions, classes and network; changes nothing.
RouteQuote quote_route(const MatchingEngine& engine, const RouteQuery& query);

}  // namespace cpx
