// cpx-bench-memory: what one cache miss costs on this machine, the unit the matching core's latency is
// made of. A pointer chase through 256 MiB (each load depends on the previous one) against the same
// number of independent random loads; with 4 KiB pages and with transparent huge pages.
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include "cpx/version.hpp"

namespace {

double ns_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

void run(bool huge) {
  const size_t n = size_t{1} << 25;  // 32 Mi words = 256 MiB
  auto* a = static_cast<uint64_t*>(std::aligned_alloc(size_t{2} << 20, n * sizeof(uint64_t)));
  if (huge) madvise(a, n * sizeof(uint64_t), MADV_HUGEPAGE);
  // One random cycle through all words, so the chase never settles into a short loop.
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::mt19937_64 rng(7);
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
  for (size_t i = 0; i < n; ++i) a[order[i]] = order[(i + 1) % n];
  const size_t loads = size_t{1} << 22;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t p = 0;
  for (size_t i = 0; i < loads; ++i) p = a[p];
  auto t1 = std::chrono::steady_clock::now();
  uint64_t sum = 0;
  for (size_t i = 0; i < loads; ++i) sum += a[order[i]];
  auto t2 = std::chrono::steady_clock::now();
  std::printf("{\"scenario\":\"memory_latency\",\"pages\":\"%s\",\"working_set_mib\":256,\"dependent_load_ns\":%.1f,"
              "\"independent_load_ns\":%.1f,\"check\":%llu}\n",
              huge ? "transparent_huge" : "4k", ns_between(t0, t1) / loads, ns_between(t1, t2) / loads,
              static_cast<unsigned long long>((p ^ sum) & 1));
  std::free(a);
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-bench-memory")) return 0;
  run(false);
  run(true);
  return 0;
}
