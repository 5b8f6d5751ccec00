#include "cpx/time.hpp"

#include <cstdio>

namespace cpx {

int64_t days_from_civil(CivilDate d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (d.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

bool valid_date(CivilDate d) {
  return d.year >= 1970 && d.year <= 2200 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Timestamp cst_day_start(Timestamp t) {
  return floor_div(t + kCstOffset, kNanosPerDay) * kNanosPerDay - kCstOffset;
}

Timestamp next_cst_midnight(Timestamp t) { return cst_day_start(t) + kNanosPerDay; }

namespace {

bool read_int(std::string_view s, size_t& pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += digits;
  out = v;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<Timestamp> parse_iso_time(std::string_view s) {
  size_t pos = 0;
  CivilDate d{};
  if (!read_int(s, pos, 4, d.year) || !expect(s, pos, '-') || !read_int(s, pos, 2, d.month) ||
      !expect(s, pos, '-') || !read_int(s, pos, 2, d.day) || !valid_date(d)) {
    return std::nullopt;
  }
  int64_t days = days_from_civil(d);
  if (pos == s.size()) return days * kNanosPerDay - kCstOffset;  // a bare date is midnight CST
  if (!expect(s, pos, 'T')) return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  if (!read_int(s, pos, 2, hh) || !expect(s, pos, ':') || !read_int(s, pos, 2, mm)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!read_int(s, pos, 2, ss)) return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n == 9) return std::nullopt;
      nanos = nanos * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) nanos *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_int(s, pos, 2, oh) || !expect(s, pos, ':') || !read_int(s, pos, 2, om)) return std::nullopt;
    if (oh > 14 || om > 59) return std::nullopt;
    offset = sign * (oh * kNanosPerHour + om * 60 * kNanosPerSecond);
  } else {
    return std::nullopt;  // a time without a zone is ambiguous
  }
  if (pos != s.size()) return std::nullopt;
  return days * kNanosPerDay + hh * kNanosPerHour + mm * 60 * kNanosPerSecond + ss * kNanosPerSecond +
         nanos - offset;
}

std::string format_iso_time(Timestamp t) {
  // Every event of a batch carries the batch's time: format it once per thread and time.
  thread_local Timestamp cached_t = 0;
  thread_local std::string cached;
  if (t == cached_t && !cached.empty()) return cached;
  Timestamp local = t + kCstOffset;
  int64_t days = floor_div(local, kNanosPerDay);
  int64_t in_day = local - days * kNanosPerDay;
  CivilDate d = civil_from_days(days);
  auto secs = in_day / kNanosPerSecond;
  auto nanos = in_day % kNanosPerSecond;
  char buf[64];
  if (nanos == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", d.year, d.month, d.day,
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lld+08:00", d.year, d.month, d.day,
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                  static_cast<long long>(nanos));
  }
  cached_t = t;
  cached = buf;
  return cached;
}

}  // namespace cpx
