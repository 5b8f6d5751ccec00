#pragma once
// Order id -> order. Open addressing with linear probing and backward-shift deletion, kept at most half
// full. Fibonacci hashing scatters the sequential ids: with the identity hash, long-lived orders with
// consecutive ids would sit where the id counter comes round again and make every insert there probe
// across them. A delete's backward-shift scan stops after the longest displacement seen (max_probe_):
// no entry further on can belong before the hole.
#include <cstdint>
#include <memory>
#include <new>

#include "huge_pages.hpp"

#include "cpx/domain.hpp"

namespace cpx::detail {

template <class V>
class OrderIndex {
 public:
  explicit OrderIndex(size_t expected = 1024) { rehash(capacity_for(expected)); }

  V* find(OrderId id) const {
    for (size_t i = home(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_.get()[i];
      if (s.key == id) return s.value;
      if (s.key == 0) return nullptr;
    }
  }

  void insert(OrderId id, V* value) {
    if ((size_ + 1) * 2 > capacity_) rehash(capacity_ * 2);
    place(id, value);
    ++size_;
  }

  void erase(OrderId id) {
    size_t i = home(id);
    while (slots_.get()[i].key != id) {
      if (slots_.get()[i].key == 0) return;
      i = (i + 1) & mask_;
    }
    size_t hole = i;
    for (size_t j = (hole + 1) & mask_; slots_.get()[j].key != 0 && ((j - hole) & mask_) <= max_probe_;
         j = (j + 1) & mask_) {
      // The entry may fill the hole when its home is not inside the cyclic range (hole, j].
      if (((j - home(slots_.get()[j].key)) & mask_) >= ((j - hole) & mask_)) {
        slots_.get()[hole] = slots_.get()[j];
        hole = j;
      }
    }
    slots_.get()[hole] = Slot{};
    --size_;
  }

  size_t size() const { return size_; }
  size_t max_probe() const { return max_probe_; }

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
    size_t probe = 0;
    while (slots_.get()[i].key != 0) {
      i = (i + 1) & mask_;
      ++probe;
    }
    if (probe > max_probe_) max_probe_ = probe;
    slots_.get()[i] = Slot{id, value};
  }

  void rehash(size_t capacity) {
    std::unique_ptr<Slot, HugeDeleter> old(slots_.release());
    const size_t old_capacity = capacity_;
    slots_.reset(static_cast<Slot*>(alloc_huge(capacity * sizeof(Slot))));
    for (size_t i = 0; i < capacity; ++i) new (&slots_.get()[i]) Slot{};
    capacity_ = capacity;
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    max_probe_ = 0;
    for (size_t i = 0; i < old_capacity; ++i) {
      const Slot& s = old.get()[i];
      if (s.key != 0) place(s.key, s.value);
    }
  }

  std::unique_ptr<Slot, HugeDeleter> slots_;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t max_probe_ = 0;
  size_t size_ = 0;
};

}  // namespace cpx::detail
