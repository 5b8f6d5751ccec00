#include <cstdio>
#include <string>

#include "cpx/instrument.hpp"

namespace cpx {

namespace {

constexpr int64_t kNanosPerWeek = 7 * kNanosPerDay;

// Weekday of a day number, Monday = 0 (1970-01-01 was a Thursday).
int weekday(int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7); }

int64_t iso_week1_monday(int year) {
  int64_t jan4 = days_from_civil({year, 1, 4});
  return jan4 - weekday(jan4);
}

bool parse_uint(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

Timestamp cst_midnight(int64_t days) { return days * kNanosPerDay - kCstOffset; }

Error bad(std::string text) { return make_error("bad_symbol", std::move(text)); }

}  // namespace

bool valid_code(std::string_view code) {
  if (code.empty() || code.size() > 16) return false;
  for (char c : code) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

char tenor_letter(Tenor t) {
  switch (t) {
    case Tenor::Hour: return 'H';
    case Tenor::Day: return 'D';
    case Tenor::Week: return 'W';
    case Tenor::Month: return 'M';
  }
  return '?';
}

Result<SymbolParts> parse_symbol(std::string_view symbol) {
  std::string_view parts[4];
  size_t n = 0;
  size_t begin = 0;
  for (size_t i = 0; i <= symbol.size(); ++i) {
    if (i == symbol.size() || symbol[i] == '.') {
      if (n == 4) return bad("symbol '" + std::string(symbol) + "' has more than four dot-separated parts (REGION.CLASS.TENOR.START)");
      parts[n++] = symbol.substr(begin, i - begin);
      begin = i + 1;
    }
  }
  if (n != 4) {
    return bad("symbol '" + std::string(symbol) + "' has " + std::to_string(n) +
               " dot-separated parts; expected REGION.CLASS.TENOR.START");
  }
  SymbolParts out;
  if (!valid_code(parts[0])) return bad("region code '" + std::string(parts[0]) + "' is not 1-16 characters of A-Z, 0-9, '-'");
  if (!valid_code(parts[1])) return bad("chip class code '" + std::string(parts[1]) + "' is not 1-16 characters of A-Z, 0-9, '-'");
  out.region = parts[0];
  out.chip_class = parts[1];
  std::string_view tenor = parts[2];
  std::string_view start = parts[3];
  auto bad_start = [&](const char* form) {
    return bad("start '" + std::string(start) + "' does not match " + form + " for tenor " + std::string(tenor));
  };
  if (tenor == "H" || tenor == "D") {
    // YYYY-MM-DD or YYYY-MM-DDTHH
    bool hourly = tenor == "H";
    size_t expected = hourly ? 13 : 10;
    if (start.size() != expected || start[4] != '-' || start[7] != '-' || (hourly && start[10] != 'T')) {
      return bad_start(hourly ? "YYYY-MM-DDTHH" : "YYYY-MM-DD");
    }
    CivilDate d{};
    int hour = 0;
    if (!parse_uint(start.substr(0, 4), d.year) || !parse_uint(start.substr(5, 2), d.month) ||
        !parse_uint(start.substr(8, 2), d.day) || (hourly && !parse_uint(start.substr(11, 2), hour))) {
      return bad_start(hourly ? "YYYY-MM-DDTHH" : "YYYY-MM-DD");
    }
    if (!valid_date(d)) return bad("start '" + std::string(start) + "' is not a calendar date");
    if (hour > 23) return bad("hour in '" + std::string(start) + "' is not 00-23");
    out.tenor = hourly ? Tenor::Hour : Tenor::Day;
    out.start = cst_midnight(days_from_civil(d)) + hour * kNanosPerHour;
    out.end = out.start + (hourly ? kNanosPerHour : kNanosPerDay);
  } else if (tenor == "W") {
    int year = 0, week = 0;
    if (start.size() != 8 || start[4] != '-' || start[5] != 'W' || !parse_uint(start.substr(0, 4), year) ||
        !parse_uint(start.substr(6, 2), week)) {
      return bad_start("YYYY-Www");
    }
    if (year < 1970 || year > 2200) return bad("year in '" + std::string(start) + "' is out of range");
    int64_t monday = iso_week1_monday(year) + 7 * static_cast<int64_t>(week - 1);
    int64_t weeks_in_year = (iso_week1_monday(year + 1) - iso_week1_monday(year)) / 7;
    if (week < 1 || week > weeks_in_year) {
      return bad("ISO year " + std::to_string(year) + " has weeks 01-" + std::to_string(weeks_in_year));
    }
    out.tenor = Tenor::Week;
    out.start = cst_midnight(monday);
    out.end = out.start + kNanosPerWeek;
  } else if (tenor == "M") {
    int year = 0, month = 0;
    if (start.size() != 7 || start[4] != '-' || !parse_uint(start.substr(0, 4), year) ||
        !parse_uint(start.substr(5, 2), month)) {
      return bad_start("YYYY-MM");
    }
    if (!valid_date({year, month, 1})) return bad("'" + std::string(start) + "' is not a valid month");
    out.tenor = Tenor::Month;
    out.start = cst_midnight(days_from_civil({year, month, 1}));
    out.end = out.start + days_in_month(year, month) * kNanosPerDay;
  } else {
    return bad("tenor '" + std::string(tenor) + "' is not one of H, D, W, M");
  }
  return out;
}

std::string format_window(Tenor tenor, Timestamp start) {
  Timestamp local = start + kCstOffset;
  int64_t days = local >= 0 ? local / kNanosPerDay : (local - kNanosPerDay + 1) / kNanosPerDay;
  int hour = static_cast<int>((local - days * kNanosPerDay) / kNanosPerHour);
  CivilDate d = civil_from_days(days);
  char buf[32];
  switch (tenor) {
    case Tenor::Hour:
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d", d.year, d.month, d.day, hour);
      break;
    case Tenor::Day:
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
      break;
    case Tenor::Week: {
      CivilDate thursday = civil_from_days(days + 3);
      int64_t week = (days - iso_week1_monday(thursday.year)) / 7 + 1;
      std::snprintf(buf, sizeof buf, "%04d-W%02d", thursday.year, static_cast<int>(week));
      break;
    }
    case Tenor::Month:
      std::snprintf(buf, sizeof buf, "%04d-%02d", d.year, d.month);
      break;
  }
  return buf;
}

std::string make_symbol(std::string_view region, std::string_view chip_class, Tenor tenor, Timestamp start) {
  std::string s(region);
  s += '.';
  s += chip_class;
  s += '.';
  s += tenor_letter(tenor);
  s += '.';
  s += format_window(tenor, start);
  return s;
}

std::string_view to_string(InstrumentState s) {
  switch (s) {
    case InstrumentState::Listed: return "listed";
    case InstrumentState::Open: return "open";
    case InstrumentState::Halted: return "halted";
    case InstrumentState::Closed: return "closed";
    case InstrumentState::Expired: return "expired";
  }
  return "?";
}

}  // namespace cpx
