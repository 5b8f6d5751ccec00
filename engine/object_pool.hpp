#pragma once
// Fixed-address object pool: objects live in chunks that never move, freed slots are reused LIFO, so
// steady-state order flow allocates nothing.
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "huge_pages.hpp"

namespace cpx::detail {

template <class T>
class ObjectPool {
 public:
  // A chunk of 16 Ki slots: whole huge pages for orders.
  explicit ObjectPool(size_t chunk_size = 16384) : chunk_size_(chunk_size) {}

  void reserve(size_t n) {
    free_.reserve(n);
    while (capacity_ < n) grow();
  }

  T* acquire() {
    if (free_.empty()) grow();
    T* p = free_.back();
    free_.pop_back();
    ++live_;
    return new (p) T();
  }

  void release(T* p) {
    p->~T();
    free_.push_back(p);
    --live_;
  }

  size_t live() const { return live_; }

 private:
  void grow() {
    auto* chunk = static_cast<Slot*>(alloc_huge(chunk_size_ * sizeof(Slot)));
    // Touch every page now, while reserving, so the first use of a slot on the hot path never takes a
    // page fault.
    std::memset(static_cast<void*>(chunk), 0, chunk_size_ * sizeof(Slot));
    // Push in reverse so the first acquire takes the chunk's first slot: neighbouring orders stay close.
    for (size_t i = chunk_size_; i-- > 0;) free_.push_back(reinterpret_cast<T*>(&chunk[i]));
    chunks_.emplace_back(chunk);
    capacity_ += chunk_size_;
  }

  struct alignas(alignof(T)) Slot {
    unsigned char bytes[sizeof(T)];
  };

  size_t chunk_size_;
  size_t capacity_ = 0;
  size_t live_ = 0;
  std::vector<std::unique_ptr<Slot, HugeDeleter>> chunks_;
  std::vector<T*> free_;
};

}  // namespace cpx::detail
