#pragma once
// Registered devices per supplier x region x class over time, and how many of them are already offered
// or sold (docs/PRODUCT.md §3.1). Each key keeps a step function of *headroom* (registered minus committed);
// a sell order may commit q devices over its delivery window only if headroom >= q at every instant.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cpx/domain.hpp"

namespace cpx::detail {

class CapacityRegistry {
 public:
  struct Key {
    ParticipantId supplier;
    RegionId region;
    ChipClassId chip_class;
  };

  // Adds (devices > 0) or removes (devices < 0) registered devices. Removal fails when it would leave
  // negative headroom somewhere in the window.
  bool add_registered(Key key, Timestamp from, Timestamp to, Quantity devices);
  // Commits qty over [from, to) if headroom allows; returns false and changes nothing otherwise.
  bool commit(Key key, Timestamp from, Timestamp to, Quantity qty);
  // Gives back qty previously committed over exactly [from, to).
  void release(Key key, Timestamp from, Timestamp to, Quantity qty);
  // Smallest headroom over [from, to); 0 for an unknown key.
  Quantity headroom(Key key, Timestamp from, Timestamp to) const;

  // steps[i] = (t_i, headroom on [t_i, t_{i+1})); steps[0].first is -infinity.
  using Steps = std::vector<std::pair<Timestamp, Quantity>>;

  // The line of one key, created empty on first use. Its address never changes, so the hot path keeps
  // it (per participant, per sell order) instead of hashing the key for every order.
  Steps* line_for(Key key);
  static bool commit(Steps& steps, Timestamp from, Timestamp to, Quantity qty);
  static void release(Steps& steps, Timestamp from, Timestamp to, Quantity qty);

  // Deterministic visit in key order (for the state hash and snapshots).
  template <class F>
  void for_each(F&& f) const {
    std::vector<uint64_t> keys;
    keys.reserve(lines_.size());
    for (const auto& kv : lines_) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    for (uint64_t k : keys) f(k, lines_.at(k));
  }

  static Key unpack(uint64_t k) {
    return {static_cast<ParticipantId>(k >> 32), static_cast<RegionId>((k >> 16) & 0xFFFF),
            static_cast<ChipClassId>(k & 0xFFFF)};
  }

 private:
  static uint64_t pack(Key k) {
    return (static_cast<uint64_t>(k.supplier) << 32) | (static_cast<uint64_t>(k.region) << 16) | k.chip_class;
  }
  static size_t split(Steps& steps, Timestamp t);  // index of the step starting exactly at t
  static void add_over(Steps& steps, size_t first, Timestamp from, Timestamp to, Quantity delta);
  static size_t locate(const Steps& steps, Timestamp t);  // index of the step containing t

  std::unordered_map<uint64_t, Steps> lines_;
};

}  // namespace cpx::detail
