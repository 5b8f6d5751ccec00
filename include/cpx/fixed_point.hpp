#pragma once
// Prices and money are integers with four decimals (1 unit = 0.0001 CNY). Never floating point.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cpx {

inline constexpr int64_t kScale = 10'000;  // four decimals

// Prices per SCU-hour (the normalised view) carry eight decimals: an H100 device-hour is 989 SCU-hours,
// so four decimals would round away almost half a percent.
inline constexpr int64_t kScuPriceDecimals = 8;
inline constexpr int64_t kScuPriceScale = 100'000'000;

// Bounds that keep every product in int64 with room for fees: the largest price (10,000,000,000 CNY per
// device-hour, so price x 10^4 / SCU fits) and the largest order notional (about 2.3e14 CNY).
inline constexpr int64_t kMaxPrice = 100'000'000'000'000;
inline constexpr int64_t kMaxNotional = INT64_MAX / 4;
// Device counts (registrations, order and lot limits) and SCU per device: their product stays < 1e15.
inline constexpr int64_t kMaxDevices = 1'000'000'000;
inline constexpr int64_t kMaxScuPerDevice = 1'000'000;

// Price: CNY per device-hour, four decimals. Money: CNY, four decimals (1 unit = 0.01 fen).
using Price = int64_t;
using Money = int64_t;
// Quantity: whole devices of an instrument's chip class.
using Quantity = int64_t;

// Parses "12", "12.5", "-0.0001" exactly. More than four decimals, exponents, junk or overflow -> nullopt.
std::optional<int64_t> parse_fixed(std::string_view text, int decimals = 4);
// Formats with exactly `decimals` decimals: 125000 -> "12.5000".
std::string format_fixed(int64_t value, int decimals = 4);

// a * b / divisor rounded half away from zero; nullopt on int64 overflow of the result.
std::optional<int64_t> mul_div_round(int64_t a, int64_t b, int64_t divisor);
// a * b * c as int64, nullopt on overflow (checked in 128-bit). Inline: it runs for every order.
inline std::optional<int64_t> checked_mul3(int64_t a, int64_t b, int64_t c) {
  constexpr __int128 kMax = INT64_MAX;
  const __int128 ab = static_cast<__int128>(a) * b;
  if (ab > kMax || ab < -kMax) return std::nullopt;
  const __int128 abc = ab * c;
  if (abc > kMax || abc < -kMax) return std::nullopt;
  return static_cast<int64_t>(abc);
}

}  // namespace cpx
