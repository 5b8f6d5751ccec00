#pragma once
// Order id -> order. Open addressing with linear probing and backward-shift deletion. Ids are sequential;
// Fibonacci hashing scatters them, because with the identity hash a book full of consecutive live ids
// forms one long run and every delete would shift-scan to the end of it.
#include <cstdint>
#include <vector>

#include "cpx/domain.hpp"

namespace cpx::detail {

template <class V>
class OrderIndex {
 public:
  explicit OrderIndex(size_t expected = 1024) { rehash(capacity_for(expected)); }

  V* find(OrderId id) const {
    for (size_t i = home(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == id) return s.value;
      if (s.key == 0) return nullptr;
    }
  }

  void insert(OrderId id, V* value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    place(id, value);
    ++size_;
  }

  void erase(OrderId id) {
    size_t i = home(id);
    while (slots_[i].key != id) {
      if (slots_[i].key == 0) return;
      i = (i + 1) & mask_;
    }
    // Backward shift: pull later entries of the probe run into the hole so no tombstones build up.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask_; slots_[j].key != 0; j = (j + 1) & mask_) {
      size_t h = home(slots_[j].key);
      // The entry may fill the hole when its home is not inside the cyclic range (hole, j].
      if (((j - h) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    OrderId key = 0;  // 0 = empty; order ids start at 1
    V* value = nullptr;
  };

  static size_t capacity_for(size_t expected) {
    size_t c = 16;
    while (c < expected * 2) c <<= 1;
    return c;
  }

  size_t home(OrderId id) const { return static_cast<size_t>((id * 0x9E3779B97F4A7C15ULL) >> shift_); }

  void place(OrderId id, V* value) {
    size_t i = home(id);
    while (slots_[i].key != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{id, value};
  }

  void rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    for (const Slot& s : old) {
      if (s.key != 0) place(s.key, s.value);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace cpx::detail
