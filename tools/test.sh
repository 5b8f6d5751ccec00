#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest: unit, property and end-to-end tests) in
# ./build; then, once that passed, the same suite under ASan + UBSan in ./build-asan (tools/sanitize.sh) and
# every libFuzzer target for a short while on its seed corpus (tools/fuzz.sh, clang, ./build-fuzz).
#
# CPX_TEST_SANITIZE=0 skips the sanitizer suite; CPX_TEST_FUZZ_SECONDS=N runs each fuzzer N seconds (default
# 20; 0 skips fuzzing). CPX_BUILD_LOCK=FILE is passed on (a shared machine's build lock).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
./tools/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 600

if [ "${CPX_TEST_SANITIZE:-1}" != 0 ]; then
  echo "test: the suite again under ASan + UBSan (build-asan)"
  ./tools/sanitize.sh
fi
fuzz_seconds=${CPX_TEST_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" != 0 ]; then
  echo "test: every fuzz target for ${fuzz_seconds}s (build-fuzz)"
  ./tools/fuzz.sh "$fuzz_seconds"
fi
