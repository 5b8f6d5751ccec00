#include "capacity_registry.hpp"

#include <algorithm>

namespace cpx::detail {

namespace {
constexpr Timestamp kMinusInfinity = std::numeric_limits<Timestamp>::min();
}

CapacityRegistry::Steps* CapacityRegistry::line_for(Key key) {
  auto [it, inserted] = lines_.try_emplace(pack(key));
  if (inserted) it->second.emplace_back(kMinusInfinity, 0);
  return &it->second;
}

size_t CapacityRegistry::locate(const Steps& steps, Timestamp t) {
  auto it = std::upper_bound(steps.begin(), steps.end(), t,
                             [](Timestamp v, const std::pair<Timestamp, Quantity>& s) { return v < s.first; });
  return static_cast<size_t>(it - steps.begin()) - 1;
}

size_t CapacityRegistry::split(Steps& steps, Timestamp t) {
  size_t i = locate(steps, t);
  if (steps[i].first == t) return i;
  steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, {t, steps[i].second});
  return i + 1;
}

bool CapacityRegistry::add_registered(Key key, Timestamp from, Timestamp to, Quantity devices) {
  Steps& steps = *line_for(key);
  if (devices < 0 && headroom(key, from, to) < -devices) return false;
  size_t a = split(steps, from);
  size_t b = split(steps, to);
  for (size_t i = a; i < b; ++i) steps[i].second += devices;
  return true;
}

// Adds delta over [from, to) in one search and one walk, splitting steps at the ends when needed.
void CapacityRegistry::add_over(Steps& steps, size_t first, Timestamp from, Timestamp to, Quantity delta) {
  size_t i = first;
  if (steps[i].first != from) {
    steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, {from, steps[i].second});
    ++i;
  }
  for (; i < steps.size() && steps[i].first < to; ++i) {
    if (i + 1 == steps.size() || steps[i + 1].first > to) {
      // The step runs past `to`: split it so the part after `to` keeps its value.
      steps.insert(steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, {to, steps[i].second});
    }
    steps[i].second += delta;
  }
}

bool CapacityRegistry::commit(Key key, Timestamp from, Timestamp to, Quantity qty) {
  auto it = lines_.find(pack(key));
  return it != lines_.end() && commit(it->second, from, to, qty);
}

void CapacityRegistry::release(Key key, Timestamp from, Timestamp to, Quantity qty) {
  release(lines_.at(pack(key)), from, to, qty);
}

bool CapacityRegistry::commit(Steps& steps, Timestamp from, Timestamp to, Quantity qty) {
  // Check before changing anything so a refused commit leaves the line untouched.
  const size_t first = locate(steps, from);
  for (size_t i = first; i < steps.size() && steps[i].first < to; ++i) {
    if (steps[i].second < qty) return false;
  }
  add_over(steps, first, from, to, -qty);
  return true;
}

void CapacityRegistry::release(Steps& steps, Timestamp from, Timestamp to, Quantity qty) {
  add_over(steps, locate(steps, from), from, to, qty);
}

Quantity CapacityRegistry::headroom(Key key, Timestamp from, Timestamp to) const {
  auto it = lines_.find(pack(key));
  if (it == lines_.end()) return 0;
  const Steps& steps = it->second;
  Quantity least = std::numeric_limits<Quantity>::max();
  for (size_t i = locate(steps, from); i < steps.size() && steps[i].first < to; ++i) {
    least = std::min(least, steps[i].second);
  }
  return least;
}

}  // namespace cpx::detail
