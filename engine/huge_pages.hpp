#pragma once
// Large, long-lived tables (order pool chunks, the order index) are allocated 2 MiB-aligned and advised
// to use transparent huge pages: with a million random-access orders, 4 KiB pages make nearly every
// access a TLB miss, which inside a VM costs a nested page walk on top of the cache miss.
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace cpx::detail {

inline constexpr size_t kHugePage = 2u << 20;

inline void* alloc_huge(size_t bytes) {
  size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (!p) throw std::bad_alloc();
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without THP support the memory works as usual
  return p;
}

inline void free_huge(void* p) { std::free(p); }

struct HugeDeleter {
  void operator()(void* p) const { free_huge(p); }
};

}  // namespace cpx::detail
