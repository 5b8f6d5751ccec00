#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, -fsanitize=fuzzer,address,undefined) into ./build-fuzz and
# runs each for SECONDS (default 30) on a scratch copy of its seed corpus tests/fuzz/<target>/ (the
# repository is never written). Exits non-zero when any target finds a crash, leak, UB, timeout or failed
# property, and prints the input that did it and how to rerun it.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]     e.g. tools/fuzz.sh 600, tools/fuzz.sh 60 exchange
#
# Environment: CPX_BUILD_LOCK=FILE takes that lock (flock) for the build step only; CPX_FUZZ_OUT=DIR where
# runs go (default build-fuzz/runs/<time>: per target its log, grown corpus and crash-* inputs);
# CPX_FUZZ_JOBS=N runs N targets at a time (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
if [ $# -gt 0 ]; then shift; fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

build=build-fuzz
lock=()
if [ -n "${CPX_BUILD_LOCK:-}" ]; then lock=(flock "$CPX_BUILD_LOCK"); fi
for tool in clang++ llvm-symbolizer; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool is missing (tools/install-deps.sh installs it)" >&2; exit 2; }
done

if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  "${lock[@]}" cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DCPX_FUZZ=ON -DCPX_BUILD_TESTS=OFF >/dev/null
fi
"${lock[@]}" cmake --build "$build" --target cpx_fuzzers --parallel "$(nproc)"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then mapfile -t targets < "$build/fuzz-targets.txt"; fi
out=${CPX_FUZZ_OUT:-$build/runs/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# A 1 MiB stack: a recursion once per level of a client's nesting then overflows within the inputs' 4 KiB
# (2,000 levels), as it would on cpxd's 8 MiB threads with a 64 KiB request (a json copy in auction_bid did).
if [ "$(ulimit -s)" = unlimited ] || [ "$(ulimit -s)" -gt 1024 ]; then ulimit -s 1024; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local name=$1
  local bin=$build/bin/cpx-fuzz-$name dir=$out/$name
  mkdir -p "$dir/corpus"
  if [ ! -x "$bin" ]; then echo "fuzz: no such target: $name" >&2; return 2; fi
  if [ -d "tests/fuzz/$name" ]; then cp -R "tests/fuzz/$name/." "$dir/corpus/"; fi
  local flags=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1
               -artifact_prefix="$dir/")
  if [ -f "tests/fuzz/$name.dict" ]; then flags+=(-dict="tests/fuzz/$name.dict"); fi
  if [ -f "tests/fuzz/$name.options" ]; then read -r -a more < "tests/fuzz/$name.options"; flags+=("${more[@]}"); fi
  local rc=0
  "$bin" "${flags[@]}" "$dir/corpus" > "$dir/log" 2>&1 || rc=$?
  local seeds runs speed cov corpus
  seeds=$(find "tests/fuzz/$name" -type f 2>/dev/null | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1 | cut -d' ' -f2 || true)
  corpus=$(find "$dir/corpus" -type f | wc -l)
  printf 'fuzz: %-14s %s  %ss, %s runs, %s exec/s, cov %s, corpus %s -> %s\n' "$name" \
    "$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$seconds" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$seeds" "$corpus"
  if [ $rc -ne 0 ]; then
    { grep -E 'ERROR: |runtime error|property failed|SUMMARY' "$dir/log" || true; } | head -5 | sed 's/^/fuzz:   /'
    for input in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*; do
      [ -e "$input" ] || continue
      echo "fuzz:   input $input"
      echo "fuzz:   rerun $build/bin/cpx-fuzz-$name $input"
    done
    echo "fuzz:   log   $dir/log"
  fi
  echo "$rc" > "$dir/status"
  return $rc
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, runs in $out"
jobs=${CPX_FUZZ_JOBS:-1}
for name in "${targets[@]}"; do
  if [ "$jobs" -le 1 ]; then
    run_one "$name" || true
  else
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run_one "$name" &
  fi
done
wait
failed=0
for name in "${targets[@]}"; do
  [ "$(cat "$out/$name/status" 2>/dev/null || echo 1)" = 0 ] || failed=1
done
if [ $failed -ne 0 ]; then
  echo "fuzz: FAILED (inputs and logs above)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
