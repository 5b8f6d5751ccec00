#pragma once
// Price discovery from what traded (docs/PRODUCT.md §7): CPX indices — VWAP in CNY per SCU-hour per chip class,
// per region and national, over a trailing window — and OHLCV bars per instrument. Both are read from the
// exchange's contracts (one per trade, kept in snapshots), so they survive a restart and need no state of
// their own; each query scans the contracts (fine for a day's trades; an incremental store is for later).
#include <cstdint>
#include <optional>
#include <vector>

#include "exchange.hpp"

namespace cpx::persistence {

struct PriceIndex {
  ChipClassId chip_class = 0;
  bool national = false;   // all regions together
  RegionId region = 0;     // when not national
  Money cost = 0;          // sum of notionals (CNY, four decimals)
  int64_t scu_hours = 0;   // sum of qty x SCU per device x hours
  int64_t trades = 0;
  int64_t vwap_per_scu_hour = 0;  // cost / scu_hours, eight decimals, half away from zero
};

// Trades with from < traded_at <= to; regional indices first (class, then region), then national ones.
std::vector<PriceIndex> price_indices(const Exchange& exchange, Timestamp from, Timestamp to);

// Monitoring per region x class over a window (docs/PRODUCT.md §7): device-hours registered by suppliers,
// offered (open sell orders of books whose window overlaps, and open day-ahead offers), sold (contracts of
// the continuous books and the auction whose delivery overlaps), and utilisation = sold / registered.
struct CapacityFigures {
  RegionId region = 0;
  ChipClassId chip_class = 0;
  int64_t registered_device_hours = 0;
  int64_t offered_device_hours = 0;
  int64_t sold_device_hours = 0;
  int64_t utilisation_bps = 0;  // sold x 10000 / registered, rounded down; 0 when nothing is registered
};

// Every region x class with something registered, offered or sold in [from, to), region then class order.
std::vector<CapacityFigures> capacity_figures(const Exchange& exchange, Timestamp from, Timestamp to);

// Volume-weighted price per device-hour of each instrument's trades with from < traded_at <= to (index =
// instrument id; 0 where nothing traded): Σ notional / Σ device-hours, rounded half away from zero.
std::vector<Price> instrument_vwaps(const Exchange& exchange, Timestamp from, Timestamp to);

struct Bar {
  Timestamp start = 0;  // the interval's start, aligned to the interval in CST
  Price open = 0, high = 0, low = 0, close = 0;
  Quantity volume = 0;  // devices
  int64_t trades = 0;
};

// One instrument's trades with from <= traded_at < to in intervals of `interval_ns`; intervals without
// trades are left out.
std::vector<Bar> ohlcv_bars(const Exchange& exchange, InstrumentId instrument, Timestamp from, Timestamp to,
                            int64_t interval_ns);

// The public trade tape, read from the contracts (so it survives restarts): trades of the continuous
// books (auction awards are published per day, not here), of one instrument or (kNoInstrument) all.
struct TapeQuery {
  InstrumentId instrument = kNoInstrument;
  std::optional<TradeId> after;  // set: trade ids above it, oldest first; unset: the newest `limit`
  Timestamp from = INT64_MIN, to = INT64_MAX;  // from <= traded_at < to
  size_t limit = 100;
};
struct Tape {
  std::vector<const Contract*> trades;  // oldest first
  // Where the next page starts (`after`): the last trade returned, or the last contract looked at when the
  // scan budget ran out first (then `more` is true even with fewer than `limit` trades).
  TradeId next_after = 0;
  bool more = false;
};
// Looks at no more than `budget` contracts, so one request's work on the engine thread is bounded whatever
// it asks for (a rarely traded symbol among many trades is paged through with next_after).
Tape trade_tape(const Exchange& exchange, const TapeQuery& q, size_t budget = 100'000);

}  // namespace cpx::persistence
