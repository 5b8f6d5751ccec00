#pragma once
// Time is nanoseconds since the Unix epoch (UTC), carried inside every command. The engine never reads a
// clock. Calendar arithmetic is in China Standard Time (UTC+8, no daylight saving).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cpx {

using Timestamp = int64_t;  // ns since 1970-01-01T00:00:00Z

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kNanosPerHour = 3600 * kNanosPerSecond;
inline constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;
inline constexpr int64_t kCstOffset = 8 * kNanosPerHour;

struct CivilDate {
  int year;
  int month;  // 1..12
  int day;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(CivilDate d);
CivilDate civil_from_days(int64_t days);
bool valid_date(CivilDate d);
int days_in_month(int year, int month);

// Start of the CST calendar day containing t, and the next CST midnight strictly after t.
Timestamp cst_day_start(Timestamp t);
Timestamp next_cst_midnight(Timestamp t);

// ISO-8601: "2026-12-01T14:00:00Z", "2026-12-01T14:00:00.5+08:00", "2026-12-01" (midnight CST).
std::optional<Timestamp> parse_iso_time(std::string_view text);
// "2026-12-01T14:00:00.000000000+08:00" (always CST, nanoseconds only when non-zero).
std::string format_iso_time(Timestamp t);

}  // namespace cpx
