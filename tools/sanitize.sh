#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures ./build-asan (gcc,
# CPX_SANITIZE=ON: -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer, cpxd
# without jemalloc), builds everything and runs every CTest test there, end-to-end tests with cpxd included.
# Any ASan report (overflow, use-after-free, leak at exit) or UB makes the process fail, so its test fails.
#
#   tools/sanitize.sh [CTEST ARGS...]      e.g. tools/sanitize.sh -R Settlement
#
# Environment: CPX_BUILD_LOCK=FILE takes that lock (flock) for the build step only.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-asan
lock=()
if [ -n "${CPX_BUILD_LOCK:-}" ]; then lock=(flock "$CPX_BUILD_LOCK"); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  "${lock[@]}" cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCPX_SANITIZE=ON >/dev/null
fi
"${lock[@]}" cmake --build "$build" --parallel "$(nproc)"

# Leaks are checked at every process exit; UB stops the process (the build does not recover either).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Tests without their own TIMEOUT get 30 minutes: everything runs 2-5 times slower under ASan.
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 1800 "$@"
