#pragma once
// Instruments: one order book = region x chip class x delivery window (docs/PRODUCT.md §2).
// Symbol grammar:  REGION '.' CLASS '.' TENOR '.' START
//   H: 2026-12-01T14   one hour starting 14:00 CST
//   D: 2026-12-01      one CST calendar day
//   W: 2026-W49        one ISO week, Monday 00:00 CST to the next Monday
//   M: 2026-12         one calendar month
// Region and class codes are [A-Z0-9-]+ (no dots), so the four parts split on '.'.
#include <cstdint>
#include <string>
#include <string_view>

#include "cpx/domain.hpp"
#include "cpx/result.hpp"

namespace cpx {

enum class Tenor : uint8_t { Hour, Day, Week, Month };

struct SymbolParts {
  std::string region;
  std::string chip_class;
  Tenor tenor = Tenor::Day;
  Timestamp start = 0;  // window start, inclusive
  Timestamp end = 0;    // window end, exclusive
};

Result<SymbolParts> parse_symbol(std::string_view symbol);
// Canonical text of a window start for a tenor, e.g. (Week, t) -> "2026-W49".
std::string format_window(Tenor tenor, Timestamp start);
std::string make_symbol(std::string_view region, std::string_view chip_class, Tenor tenor, Timestamp start);
char tenor_letter(Tenor t);
bool valid_code(std::string_view code);  // [A-Z0-9-]{1,16}

enum class InstrumentState : uint8_t { Listed, Open, Halted, Closed, Expired };
std::string_view to_string(InstrumentState s);

struct InstrumentRules {
  Price tick = 100;             // 0.0100 CNY per device-hour
  Quantity lot = 1;             // devices
  Quantity max_order_qty = 100'000;
  int64_t price_band_bps = 3000;  // 30 %; 0 disables the band
  int64_t gate_closure_ns = kNanosPerHour;  // trading stops this long before the window starts
  // |price - ref| / ref > band, in integers; no reference price (0) or no band: nothing is outside.
  bool outside_band(Price ref, Price price) const {
    if (ref <= 0 || price_band_bps <= 0) return false;
    const __int128 diff = price > ref ? price - ref : ref - price;
    return diff * 10'000 > static_cast<__int128>(ref) * price_band_bps;
  }
};

struct InstrumentInfo {
  InstrumentId id = kNoInstrument;
  std::string symbol;
  RegionId region = 0;
  ChipClassId chip_class = 0;
  Tenor tenor = Tenor::Day;
  Timestamp start = 0;
  Timestamp end = 0;
  int64_t hours = 0;           // length of the delivery window
  int64_t scu_per_device = 0;  // copied from the chip class at listing
  Timestamp open_at = 0;
  InstrumentRules rules;
  Timestamp gate_closure() const { return start - rules.gate_closure_ns; }
};

}  // namespace cpx
