#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures ./build-asan (gcc,
# CPX_SANITIZE=ON: -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer, cpxd
# without jemalloc), builds everything and runs every CTest test there, end-to-end tests with cpxd included.
# Any ASan report (overflow, use-after-free, leak at exit) or UB makes the process fail, so its test fails.
#
#   tools/sanitize.sh [CTEST ARGS...]      e.g. tools/sanitize.sh -R Settlement (one ctest run, strict suppressions)
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
# Leaks that are not ours, each as narrow as it can be. Debian's QuickFIX 1.15.1 SSL initiator (the FIX-over-TLS
# client of the gateway tests) loses the CA name list it loads, 64 bytes once per initiator:
# FIX::loadCAInfo -> findCAList -> SSL_load_client_CA_file_ex -> ... -> CRYPTO_zalloc. libcrypto has no frame
# pointers, so ASan's fast unwinder stops at CRYPTO_zalloc and only a suppression of every libcrypto
# allocation would match; that one is used for gateway_integration alone, in a second ctest run. Every other
# test (cpxd end to end included) keeps OpenSSL objects in its leak check. (With
# ASAN_OPTIONS=fast_unwind_on_malloc=0 the findCAList entry matches, but the suite is then too slow for the
# gateway tests' timings.)
cat > "$build/lsan.supp" <<'SUPP'
leak:findCAList
SUPP
printf 'leak:findCAList\nleak:CRYPTO_zalloc\n' > "$build/lsan-quickfix-client.supp"
lsan() { echo "suppressions=$PWD/$build/$1:print_suppressions=0"; }

# Tests without their own TIMEOUT get 30 minutes: everything runs 2-5 times slower under ASan.
ctest_args=(--test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 1800)
if [ $# -gt 0 ]; then
  LSAN_OPTIONS=${LSAN_OPTIONS:-$(lsan lsan.supp)} ctest "${ctest_args[@]}" "$@"
  exit
fi
status=0
LSAN_OPTIONS=${LSAN_OPTIONS:-$(lsan lsan.supp)} ctest "${ctest_args[@]}" -E '^gateway_integration$' || status=1
LSAN_OPTIONS=${LSAN_OPTIONS:-$(lsan lsan-quickfix-client.supp)} ctest "${ctest_args[@]}" -R '^gateway_integration$' || status=1
exit $status
