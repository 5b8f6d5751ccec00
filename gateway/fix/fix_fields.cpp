// FIX field text as CPX reads and writes it (declared in fix_sink.hpp): whole numbers, UTCTimestamps,
// MultipleValueStrings, Side and TimeInForce characters.
#include <charconv>
#include <cstdio>
#include <cstring>

#include "fix/fix_sink.hpp"

namespace cpx::fix {

bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// FIX UTCTimestamp: YYYYMMDD-HH:MM:SS[.sss[sss[sss]]]
bool parse_utc_timestamp(const std::string& s, Timestamp& out) {
  int y, mo, d, h, mi, sec;
  char frac[16] = {0};
  const int n = std::sscanf(s.c_str(), "%4d%2d%2d-%2d:%2d:%2d.%9[0-9]", &y, &mo, &d, &h, &mi, &sec, frac);
  if (n < 6 || s.size() < 17 || !valid_date(CivilDate{y, mo, d}) || h > 23 || mi > 59 || sec > 59) return false;
  int64_t nanos = 0;
  const size_t digits = std::strlen(frac);
  if (n == 7) {
    int64_t f = 0;
    parse_int(frac, f);
    nanos = f;
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  } else if (s.size() != 17) {
    return false;
  }
  out = days_from_civil(CivilDate{y, mo, d}) * kNanosPerDay + (h * 3600LL + mi * 60LL + sec) * kNanosPerSecond + nanos;
  return true;
}

// The words of a FIX MultipleValueString (space-separated), empty words dropped.
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = s.find(' ', i);
    const size_t end = j == std::string::npos ? s.size() : j;
    if (end > i) out.push_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// a / b rounded half up (a >= 0, b > 0).
int64_t div_half_up(__int128 a, __int128 b) { return static_cast<int64_t>((2 * a + b) / (2 * b)); }

std::string utc_timestamp(Timestamp t) {
  const int64_t days = t >= 0 ? t / kNanosPerDay : (t - kNanosPerDay + 1) / kNanosPerDay;
  const int64_t rest = t - days * kNanosPerDay;
  const CivilDate d = civil_from_days(days);
  const int64_t secs = rest / kNanosPerSecond;
  char b[40];
  std::snprintf(b, sizeof b, "%04d%02d%02d-%02lld:%02lld:%02lld.%03lld", d.year, d.month, d.day,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(rest % kNanosPerSecond / 1'000'000));
  return b;
}

char side_char(Side s) { return s == Side::Buy ? '1' : '2'; }

char tif_char(TimeInForce t) {
  switch (t) {
    case TimeInForce::DAY: return '0';
    case TimeInForce::GTC: return '1';
    case TimeInForce::IOC: return '3';
    case TimeInForce::FOK: return '4';
    case TimeInForce::GTD: return '6';
  }
  return '0';
}

}  // namespace cpx::fix
