#pragma once
// Internal to the auction file code (auction_file_read.cpp, auction_file.cpp, auction_result_files.cpp):
// limits, the checked JSON object reader, the rounding the rules use, and helpers shared by reading,
// writing and the result files. Not for other modules.
#include "json/auction_file.hpp"
#include "json/command_codec.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace cpx::api::auction_file_detail {

using nlohmann::json;
using nlohmann::ordered_json;
using i128 = __int128;


constexpr int64_t kMaxScuPerHour = kMaxDevices * kMaxScuPerDevice;  // as check_auction_input
constexpr int64_t kMaxDataGbPerHour = 1'000'000'000;
constexpr int64_t kMaxTariffPerGb = 100'000'000;  // 10,000 CNY per GB
constexpr int64_t kMaxLatencyMs = 10'000;
constexpr int64_t kMaxCapacityGbps = 1'000'000;
constexpr size_t kMaxCodes = 65'534;  // regions, classes (ids are 16 bits, UINT16_MAX means none)
constexpr size_t kMaxZones = 65'536;  // 256 regions x 256 classes
constexpr int64_t kMicro = 1'000'000;

// Thrown inside the readers only; the public functions turn it into an error value.
struct FileError {
  std::string text;
};

[[noreturn]] inline void fail(const std::string& where, const std::string& what) {
  throw FileError{where.empty() ? what : where + ": " + what};
}

inline std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A value of a file in an error text: at most `max` bytes, and never recursing with a deeply nested value
// (nlohmann's dump() recurses once per level; an entry nested 30,000 deep overflowed the stack).
inline std::string dump(const json& v, size_t max = 200) { return shown_json(v, max); }

// 128-bit rounding, as the rules do it (engine/auction_math.hpp, which is the engine's private header).
inline i128 div_round(i128 n, i128 d) {
  const i128 q = ((n < 0 ? -n : n) + d / 2) / d;
  return n < 0 ? -q : q;
}
inline i128 div_ceil(i128 n, i128 d) { return (n + d - 1) / d; }
inline int64_t device_price(int64_t zone_price, int64_t scu_per_device) {
  return static_cast<int64_t>(div_round(static_cast<i128>(zone_price) * scu_per_device, kScale));
}
inline i128 flow_micro_gb(const AuctionBlockIn& b, int64_t devices, int64_t scu_per_device) {
  return div_ceil(static_cast<i128>(b.data_gb_per_hour) * devices * scu_per_device * kMicro, b.scu_per_hour);
}
inline const AuctionRoute* route_to(const AuctionBlockIn& b, uint32_t zone) {
  for (const AuctionRoute& r : b.routes)
    if (r.zone == zone) return &r;
  return nullptr;
}

inline std::string decimal_text(int64_t v, int decimals) {
  // Trailing zeros kept: the file shows the exact scale of every decimal.
  return format_fixed(v, decimals);
}

// One JSON object being read: typed fields with range checks, unknown fields refused.
class Obj {
 public:
  Obj(const json& v, std::string where) : v_(v), where_(std::move(where)) {
    if (!v_.is_object()) fail(where_, "must be a JSON object, not " + dump(v_).substr(0, 60));
  }

  const std::string& where() const { return where_; }

  void allow(std::initializer_list<const char*> names) const {
    for (auto it = v_.begin(); it != v_.end(); ++it) {
      bool known = false;
      for (const char* n : names) known = known || it.key() == n;
      if (!known) {
        std::string list;
        for (const char* n : names) list += (list.empty() ? "" : ", ") + std::string(n);
        fail(where_, "unknown field " + in_quotes(it.key()) + " (the fields are: " + list + ")");
      }
    }
  }

  bool has(const char* name) const { return v_.contains(name) && !v_[name].is_null(); }

  const json& get(const char* name) const {
    if (!has(name)) fail(where_, "field " + in_quotes(name) + " is required");
    return v_[name];
  }

  std::string str(const char* name) const {
    const json& x = get(name);
    if (!x.is_string()) fail(where_, "field " + in_quotes(name) + " must be a string");
    return x.get<std::string>();
  }

  std::string code(const char* name) const {
    std::string s = str(name);
    if (!valid_code(s)) fail(where_, "field " + in_quotes(name) + " must be a code of 1 to 16 characters A-Z, 0-9 or '-', not " + in_quotes(s));
    return s;
  }

  int64_t integer(const char* name, int64_t lo, int64_t hi) const {
    const json& x = get(name);
    std::optional<int64_t> n;
    if (x.is_number_unsigned()) {
      if (x.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) n = static_cast<int64_t>(x.get<uint64_t>());
    } else if (x.is_number_integer()) {
      n = x.get<int64_t>();
    }
    if (!n) fail(where_, "field " + in_quotes(name) + " must be a whole number, not " + dump(x).substr(0, 40));
    if (*n < lo || *n > hi)
      fail(where_, "field " + in_quotes(name) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       ", not " + std::to_string(*n));
    return *n;
  }

  uint64_t id(const char* name) const {
    const json& x = get(name);
    if (x.is_number_unsigned() && x.get<uint64_t>() > 0) return x.get<uint64_t>();
    fail(where_, "field " + in_quotes(name) + " must be a positive whole number (the auction order id), not " + dump(x).substr(0, 40));
  }

  // A decimal string with at most `decimals` decimals, within [lo, hi] (in units of 10^-decimals).
  int64_t decimal(const char* name, int decimals, int64_t lo, int64_t hi, const char* example) const {
    const json& x = get(name);
    if (x.is_number()) {
      fail(where_, "field " + in_quotes(name) + " is a JSON number; decimals are written as strings so that they stay exact, like " +
                       in_quotes(example));
    }
    if (!x.is_string()) fail(where_, "field " + in_quotes(name) + " must be a decimal string, like " + in_quotes(example));
    auto v = parse_fixed(x.get<std::string>(), decimals);
    if (!v) {
      fail(where_, "field " + in_quotes(name) + " must be a decimal with at most " + std::to_string(decimals) +
                       " decimals, like " + in_quotes(example) + ", not " + dump(x).substr(0, 40));
    }
    if (*v < lo || *v > hi) {
      fail(where_, "field " + in_quotes(name) + " must be from " + in_quotes(format_fixed(lo, decimals)) + " to " +
                       in_quotes(format_fixed(hi, decimals)) + ", not " + dump(x).substr(0, 40));
    }
    return *v;
  }

  const json& array(const char* name, bool non_empty = false) const {
    const json& x = get(name);
    if (!x.is_array()) fail(where_, "field " + in_quotes(name) + " must be an array");
    if (non_empty && x.empty()) fail(where_, "field " + in_quotes(name) + " must not be empty");
    return x;
  }

 private:
  const json& v_;
  std::string where_;
};

template <class T>
size_t lookup(const std::map<std::string, T, std::less<>>& m, const std::string& code, const std::string& where,
              const char* field, const char* list) {
  auto it = m.find(code);
  if (it == m.end()) {
    fail(where, "field " + in_quotes(field) + " names " + in_quotes(code) + ", which is not in " + in_quotes(list) +
                    " (add it there, or correct the code)");
  }
  return it->second;
}

inline std::string entry(const char* list, size_t i, const std::string& name) {
  return std::string(list) + "[" + std::to_string(i) + "]" + (name.empty() ? "" : " (" + name + ")");
}

inline std::string named_entry(const char* list, size_t i, const json& v, const char* key) {
  std::string name;
  if (v.is_object()) {
    auto it = v.find(key);
    if (it != v.end() && it->is_string()) name = it->get<std::string>();
    if (it != v.end() && it->is_number_integer()) name = std::string(key) + " " + it->dump();
  }
  if (name.size() > 40) name = name.substr(0, 40) + "...";
  return entry(list, i, name);
}

// One top-level key per line; arrays one element per line; everything else compact.
inline std::string lines(const ordered_json& top) {
  std::string out = "{\n";
  size_t k = 0;
  for (auto it = top.begin(); it != top.end(); ++it, ++k) {
    out += "  " + json(it.key()).dump() + ": ";
    const ordered_json& v = it.value();
    if (v.is_array() && !v.empty() && (v.front().is_object() || v.front().is_array())) {
      out += "[\n";
      for (size_t i = 0; i < v.size(); ++i) {
        out += "    " + v[i].dump(-1, ' ', false, json::error_handler_t::replace);
        out += i + 1 < v.size() ? ",\n" : "\n";
      }
      out += "  ]";
    } else {
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    out += k + 1 < top.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}


inline std::vector<AuctionZone> zones_of(const AuctionDayFile& f) {
  std::vector<AuctionZone> zones;
  zones.reserve(f.regions.size() * f.classes.size());
  for (size_t r = 0; r < f.regions.size(); ++r)
    for (size_t c = 0; c < f.classes.size(); ++c)
      zones.push_back(AuctionZone{static_cast<RegionId>(r), static_cast<ChipClassId>(c), f.classes[c].scu_per_device});
  return zones;
}

inline uint32_t zone_of(const AuctionDayFile& f, RegionId r, ChipClassId c) {
  return static_cast<uint32_t>(static_cast<size_t>(r) * f.classes.size() + c);
}

// A bid's routes as the solver reads them (ascending zone, links by index); false when a path uses a
// link the network does not have.
inline bool routes_of(const AuctionDayFile& f, const std::vector<AuctionFileRoute>& in, std::vector<AuctionRoute>& out,
               std::string& why) {
  std::map<std::pair<RegionId, RegionId>, uint32_t> index;
  for (uint32_t l = 0; l < f.links.size(); ++l) index.emplace(std::make_pair(f.links[l].from, f.links[l].to), l);
  out.clear();
  for (const AuctionFileRoute& r : in) {
    AuctionRoute route;
    route.zone = zone_of(f, r.region, r.chip_class);
    for (size_t k = 1; k < r.path.size(); ++k) {
      auto it = index.find({r.path[k - 1], r.path[k]});
      if (it == index.end()) {
        why = "a route goes from " + f.regions[r.path[k - 1]].code + " to " + f.regions[r.path[k]].code + " with no link";
        return false;
      }
      route.links.push_back(it->second);
    }
    out.push_back(std::move(route));
  }
  std::sort(out.begin(), out.end(), [](const AuctionRoute& a, const AuctionRoute& b) { return a.zone < b.zone; });
  return true;
}

}  // namespace cpx::api::auction_file_detail
