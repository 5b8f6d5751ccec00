#include "cpx/fixed_point.hpp"

#include <limits>

namespace cpx {

std::optional<int64_t> parse_fixed(std::string_view text, int decimals) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  __int128 value = 0;
  int digits = 0;
  int frac_digits = -1;  // -1: no '.' seen yet
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (frac_digits >= 0) return std::nullopt;
      frac_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (frac_digits >= 0) {
      if (frac_digits == decimals) return std::nullopt;  // more precision than the type holds
      ++frac_digits;
    }
    value = value * 10 + (c - '0');
    ++digits;
    if (value > std::numeric_limits<int64_t>::max()) return std::nullopt;
  }
  if (digits == 0) return std::nullopt;
  for (int f = frac_digits < 0 ? 0 : frac_digits; f < decimals; ++f) {
    value *= 10;
    if (value > std::numeric_limits<int64_t>::max()) return std::nullopt;
  }
  return static_cast<int64_t>(negative ? -value : value);
}

std::string format_fixed(int64_t value, int decimals) {
  __int128 v = value;
  bool negative = v < 0;
  if (negative) v = -v;
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  auto whole = static_cast<uint64_t>(v / scale);
  auto frac = static_cast<uint64_t>(v % scale);
  std::string out = negative ? "-" : "";
  out += std::to_string(whole);
  if (decimals > 0) {
    std::string f = std::to_string(frac);
    out += '.';
    out.append(static_cast<size_t>(decimals) - f.size(), '0');
    out += f;
  }
  return out;
}

std::optional<int64_t> mul_div_round(int64_t a, int64_t b, int64_t divisor) {
  if (divisor == 0) return std::nullopt;
  __int128 n = static_cast<__int128>(a) * b;
  bool negative = (n < 0) != (divisor < 0);
  __int128 un = n < 0 ? -n : n;
  __int128 ud = divisor < 0 ? -static_cast<__int128>(divisor) : divisor;
  __int128 q = (un + ud / 2) / ud;  // half away from zero
  if (q > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return static_cast<int64_t>(negative ? -q : q);
}

}  // namespace cpx
