#pragma once
// Landed cost across regions (docs/PRODUCT.md §3.2): where is a job cheapest, compute and transfer together?
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

// A residency list names at most this many jurisdictions of at most this many bytes: with the class and
// region lists free of repeats, this bounds a routed order's journal record.
inline constexpr size_t kMaxRouteJurisdictions = 64;
inline constexpr size_t kMaxJurisdictionBytes = 32;

// Drops repeats from the class, region and jurisdiction lists (each is a set; first mentions kept, in
// order). nullptr, or why the jurisdictions are no residency list (too many, a name empty or too long).
// Every decoder calls it before a query is journaled.
const char* tidy_route_lists(RouteQuery& query);

// Paths have at most this many links: the hubs are few and directly linked, and a path through more
// hubs only adds latency.
inline constexpr int kMaxPathLinks = 3;

struct NetworkPath {
  std::vector<RegionId> regions;        // from ... to (just `from` when from == to)
  std::vector<uint32_t> links;          // indexes into the network, in path order
  std::vector<ParticipantId> carriers;  // one per link
  int64_t latency_ms = 0;
  int64_t tariff_per_gb = 0;            // sum over the links, four decimals
};

// The cheapest path (lowest tariff, then latency, then fewer links, then the earlier links) from `from`
// to `to` within `max_latency_ms` (-1: no limit) over simple paths of at most kMaxPathLinks links. A
// region reaches itself by the empty path. False when no path qualifies.
bool cheapest_path(const std::vector<NetworkLink>& network, RegionId from, RegionId to, int64_t max_latency_ms,
                   NetworkPath& out);

// The cheapest paths from `from` to every region at once (one walk over the simple paths of at most
// kMaxPathLinks links; the same choice and tie-breaks as cheapest_path). out[r] is valid where found[r].
void cheapest_paths(const std::vector<NetworkLink>& network, size_t region_count, RegionId from, int64_t max_latency_ms,
                    std::vector<NetworkPath>& out, std::vector<uint8_t>& found);

// What a walk of the network reuses between calls: no allocation once the buffers have grown.
struct PathScratch {
  std::vector<uint32_t> first, next;  // outgoing links per region: first[r] .. via next[], in network order
  NetworkPath cur;
  std::vector<uint8_t> found, any;
  std::vector<NetworkPath> unlimited;
};
void cheapest_paths(const std::vector<NetworkLink>& network, size_t region_count, RegionId from, int64_t max_latency_ms,
                    std::vector<NetworkPath>& out, std::vector<uint8_t>& found, PathScratch& scratch);

// Per region, where a query's data would travel: why[r] nullptr and paths[r], or "latency" / "no_path".
// Kept across calls by the engine, so that a routing decision allocates nothing in steady state.
struct RoutePaths {
  std::vector<NetworkPath> paths;
  std::vector<const char*> why;
  PathScratch scratch;
};
void route_paths(const std::vector<NetworkLink>& network, size_t region_count, const RouteQuery& query, RoutePaths& out);

// Why a region x class cannot serve a query, before looking at paths or books: "class", "region",
// "residency" or "green_share"; nullptr when it can.
const char* route_filter(const RouteQuery& query, RegionId region_id, const Region& region, ChipClassId chip_class);

// Where the query's data would travel to `region`: nullptr and the path, or "latency" (a path exists
// but none within the limit) or "no_path".
const char* route_path(const std::vector<NetworkLink>& network, const RouteQuery& query, RegionId region,
                       NetworkPath& out);

// The books whose windows tile a query's window: per region x class and tenor, consecutive books from the
// window's start to its end (a single book when one has exactly the window). A 72-hour job from midnight
// is three daily books of one zone: the same devices every day, bought in each. Tilings come in the order
// of their first book's id; `partial` receives books inside the window of a zone and tenor that does not
// tile it.
struct WindowTiling {
  RegionId region = 0;
  ChipClassId chip_class = 0;
  std::vector<InstrumentId> books;  // in time order
  int64_t hours = 0;                // the window's length
};
// `instruments[id]`: every instrument by id (nullptr where none).
std::vector<WindowTiling> window_tilings(const std::vector<const InstrumentInfo*>& instruments, Timestamp start,
                                         Timestamp end, std::vector<InstrumentId>* partial = nullptr);
// The same into buffers kept across calls (the engine's routed orders): list[0, count) are the tilings.
struct WindowTilings {
  struct Entry {
    RegionId region;
    ChipClassId chip_class;
    Tenor tenor;
    Timestamp start;
    InstrumentId id;
  };
  std::vector<WindowTiling> list;
  size_t count = 0;
  std::vector<Entry> inside;  // scratch
};
void find_window_tilings(const std::vector<const InstrumentInfo*>& instruments, Timestamp start, Timestamp end,
                         WindowTilings& out, std::vector<InstrumentId>* partial = nullptr);

struct RouteCandidate {
  InstrumentId instrument = kNoInstrument;  // the first book of the tiling
  std::vector<InstrumentId> instruments;    // every book of the tiling, in time order
  int64_t hours = 0;                        // the window's length
  RegionId region = 0;
  ChipClassId chip_class = 0;
  std::vector<RegionId> path;           // origin ... region (just the origin when local)
  std::vector<ParticipantId> carriers;  // one per link of the path
  std::vector<uint32_t> links;          // the path's links (indexes into the network)
  int64_t latency_ms = 0;
  int64_t tariff_per_gb = 0;            // sum over the path, four decimals
  Quantity devices = 0;                 // devices the quantity needs: ceil(scu / SCU per device)
  Quantity available = 0;               // devices offered in every book of the tiling, capped at `devices`
  bool fills = false;                   // available == devices
  Money compute_cost = 0;               // the asks swept for `available` devices in each book x its hours
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
