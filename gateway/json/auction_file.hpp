#pragma once
// The day-ahead auction as plain files (docs/PRODUCT.md §3.3: "the auction's input and output are plain files
// too"), docs/AUCTION_FILES.md. One self-contained JSON file per delivery day ("cpx-auction-day/1") holds
// everything the solver needs in the exchange's own codes: participants, regions, chip classes, the
// network, the hourly offers and the block bids with their constraints and the routes frozen at the gate.
// A result is written as a directory: result.json (everything) and CSV files for prices, acceptances,
// allocations, link flows, contract payments and per-participant balances.
//
// Money and prices are fixed-point integers, written as decimal strings with their exact decimals; a
// JSON float is refused wherever a decimal is expected. Reading never throws: a bad file comes back as an
// error whose sentence names the offending entry and field.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/auction.hpp"
#include "cpx/auction_book.hpp"
#include "cpx/auction_solver.hpp"
#include "cpx/domain.hpp"
#include "cpx/matching_engine.hpp"
#include "cpx/result.hpp"
#include "cpx/routing.hpp"

namespace cpx::api {

inline constexpr std::string_view kAuctionDayFormat = "cpx-auction-day/1";
inline constexpr std::string_view kAuctionResultFormat = "cpx-auction-result/1";

// In the parsed file every reference is an index into the file's own lists: participants, regions,
// classes (and links into `links`). Zones are every region x class in list order, zone = region x
// classes.size() + class, exactly as the engine numbers them at the gate.
struct AuctionFileOffer {
  uint64_t id = 0;
  std::string cl_ord_id;     // optional, for audit
  uint32_t supplier = 0;     // index into participants
  RegionId region = 0;
  ChipClassId chip_class = 0;
  int32_t hour = 0;
  int64_t devices = 0;
  Price price = 0;           // CNY per device-hour, 4 decimals
};

struct AuctionFileRoute {
  RegionId region = 0;
  ChipClassId chip_class = 0;
  std::vector<RegionId> path;  // origin ... region (just the origin when local)
};

struct AuctionFileBid {
  uint64_t id = 0;
  std::string cl_ord_id;
  uint32_t buyer = 0;  // index into participants
  int32_t first_hour = 0;
  int32_t hours = 1;
  int64_t min_ratio_bps = 10'000;
  // The block's constraints as the engine keeps them (auction_book.hpp): scu = SCU per hour, data_gb =
  // GB per hour at full acceptance, limit_per_scu_hour the landed limit, the window = the block's hours.
  RouteQuery constraints;
  std::optional<Money> reserve;                         // absent: computed as the engine would
  std::optional<std::vector<AuctionFileRoute>> routes;  // absent: only with recomputed routes
};

struct AuctionDayFile {
  Timestamp day_start = 0;                 // 00:00 CST of the delivery day
  std::optional<Timestamp> gate_closure;   // informational
  int64_t fee_bps = 0;
  std::vector<Participant> participants;   // code, name, kind (roles and limits are not in the file)
  std::vector<Region> regions;             // code, name, side, jurisdiction, green_share
  std::vector<ChipClass> classes;          // code, family, scu_per_device (device, memory, interconnect optional)
  std::vector<NetworkLink> links;          // the network in its order; carrier = index into participants
  std::vector<AuctionFileOffer> offers;    // in the solver's order
  std::vector<AuctionFileBid> bids;
};

// ---- the day file

// Parses and validates a day file (error code "auction_file_invalid").
Result<AuctionDayFile> read_auction_day(std::string_view text);
// The same from a path ("cannot open ..." when it cannot be read).
Result<AuctionDayFile> load_auction_day(const std::string& path);
// The file's text: one line per entry, fields in a fixed order, decimals as strings.
std::string write_auction_day(const AuctionDayFile& file);

// The solver's input. Routes come from the file, or with `recompute_routes` from each bid's constraints
// over the file's regions, classes and network (auction_routes: what-if after editing the network or a
// constraint). Absent reserves are computed as the engine does. The input is held to
// check_auction_input(); error code "auction_file_invalid" or "auction_input_invalid".
Result<AuctionInput> auction_input_from_file(const AuctionDayFile& file, bool recompute_routes = false);

// What the engine does at the gate, for a file written by hand: every bid's routes become those its
// constraints give over the file's regions, classes and network.
void freeze_routes(AuctionDayFile& file);
// The credit the engine would hold for a bid (auction_block_reserve over its smallest device, at the
// file's fee): the reserve of a bid that gives none.
Money auction_file_reserve(const AuctionDayFile& file, const AuctionFileBid& bid);

// Bids whose routes in the file are not the ones their constraints give over the file's network (an
// export from the engine has none; a hand-edited file may).
std::vector<uint32_t> bids_with_other_routes(const AuctionDayFile& file);

// The day as the engine froze it at the gate (state closed, cleared or cancelled): the regions, classes
// and links the frozen zones and links were built from, the participants the orders and links name (in
// engine id order), the orders that went to the solver with their constraints and routes. Re-read and
// turned into an input, it gives the frozen input exactly (participant ids aside: they become indexes).
Result<AuctionDayFile> auction_day_file(const MatchingEngine& engine, const AuctionDay& day);

// ---- results

// Per participant, from the contracts (auction_pieces) of a result.
struct AuctionBalance {
  uint32_t participant = 0;  // index into the file's participants
  Money bought_notional = 0;
  Money buyer_fees = 0;
  Money transport_paid = 0;
  Money sold_notional = 0;
  Money seller_fees = 0;
  Money carrier_receives = 0;
  Money buyer_pays() const { return bought_notional + buyer_fees + transport_paid; }
  Money seller_receives() const { return sold_notional - seller_fees; }
  Money net() const { return seller_receives() + carrier_receives - buyer_pays(); }
};

struct AuctionMoney {
  std::vector<AuctionBalance> balances;  // participants with any money, in participant order
  Money buyers_pay = 0;
  Money sellers_receive = 0;   // notional - seller fees
  Money carriers_receive = 0;
  Money exchange_fees = 0;     // buyer + seller fees
  // buyers_pay == sellers_receive + carriers_receive + exchange_fees, to the unit.
  bool balanced() const { return buyers_pay == sellers_receive + carriers_receive + exchange_fees; }
};
AuctionMoney auction_money(const AuctionDayFile& file, const AuctionInput& input,
                           const std::vector<AuctionPiece>& pieces);

// The solver's statistics as JSON (numbers: diagnostics, not money).
nlohmann::ordered_json auction_stats_json(const AuctionSolverStats& stats, const AuctionInput& input);

// The result functions below take a result that passed check_auction_result() (the contracts are only
// defined for such a result); write_auction_outputs and compare_recorded_payments check it first and
// return the rule it breaks.
//
// result.json: the day, the solver's statistics (when given), the summary and money totals, prices per
// zone and hour, congestion and flows per link and hour, acceptances, allocations, paradoxically
// rejected bids, every contract (auction_pieces) and the balances.
std::string auction_result_json(const AuctionDayFile& file, const AuctionInput& input, const AuctionResult& result,
                                const nlohmann::ordered_json* stats);

// Writes result.json, prices.csv, acceptances.csv, allocations.csv, flows.csv, payments.csv and
// balances.csv into `dir` (created when missing). Error code "output_failed".
Result<bool> write_auction_outputs(const std::string& dir, const AuctionDayFile& file, const AuctionInput& input,
                                   const AuctionResult& result, const nlohmann::ordered_json* stats);

// Reads the result back out of result.json (prices, congestion, acceptances, allocations, paradoxically
// rejected bids, by the day file's codes and ids) so that it can be checked against the day file. Error
// code "auction_result_file_invalid".
Result<AuctionResult> read_auction_result(std::string_view text, const AuctionDayFile& file,
                                          const AuctionInput& input);

// Compares the contracts and balances recorded in result.json with those re-derived from `result`;
// an error names the first entry that differs.
Result<bool> compare_recorded_payments(std::string_view text, const AuctionDayFile& file, const AuctionInput& input,
                                       const AuctionResult& result);

// "2026-12-01" <-> 00:00 CST of that day.
std::optional<Timestamp> parse_auction_day(std::string_view text);
std::string format_auction_day(Timestamp day_start);

}  // namespace cpx::api
