#!/usr/bin/env bash
# QuickFIX's FIX 4.4 server acceptance definitions against cpxd (docs/FIX.md §10), through the runner in
# ../shared/fix-acceptance (outside this repository; another place: CPX_FIX_ACCEPTANCE=DIR; needs ruby).
#   tools/fix_acceptance.sh [DEF...]          cpxd as it is: FIX orders are traded (ceiling 45/59, FIX.md §10)
#   tools/fix_acceptance.sh --echo [DEF...]   the session layer alone: the FIX application replaced by
#                                             QuickFIX's acceptance echo, messages kept in the file store
#   --expect-all                              exit 1 unless every definition run passes (CTest)
# env CPXD: the binary (default build/bin/cpxd). Prints the runner's lines, the last "passed P failed F total T".
# Exits 77 (skipped) when the suite or ruby is not here.
set -uo pipefail
cd "$(dirname "$0")/.."
export CPXD=$(realpath "${CPXD:-build/bin/cpxd}")
echo_mode=0 expect_all=0
while [ $# -gt 0 ]; do
  case "$1" in
    --echo) echo_mode=1 ;;
    --expect-all) expect_all=1 ;;
    *) break ;;
  esac
  shift
done
work=$(mktemp -d /tmp/cpx-fixat.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - config/cpxd.json "$work/echo.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(fix_acceptance_echo=True, fix_store="file")
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
# The echo trades nothing: cpxd must refuse it outside a demo.
if "$CPXD" --config "$work/echo.json" --data-dir "$work/refused" > "$work/refused.log" 2>&1; then
  echo "fix_acceptance: cpxd started with fix_acceptance_echo and without --demo"; exit 1
fi
grep -q "only with --demo" "$work/refused.log" || { echo "fix_acceptance: no reason given:"; cat "$work/refused.log"; exit 1; }

suite=${CPX_FIX_ACCEPTANCE:-../shared/fix-acceptance}
[ -x "$suite/run.sh" ] || { echo "fix_acceptance: no suite at $suite (skipped)"; exit 77; }
command -v ruby > /dev/null || { echo "fix_acceptance: ruby is not installed (skipped)"; exit 77; }
config=config/cpxd.json
[ $echo_mode = 1 ] && config=$work/echo.json
SRC_CONFIG=$config TW44_SESSION='{"target_comp_id":"TW44","participant":"GZBD"}' "$suite/run.sh" "$@" | tee "$work/out"
last=$(tail -1 "$work/out")
if [ $expect_all = 1 ]; then
  case "$last" in "passed "*" failed 0 total "*) exit 0 ;; *) exit 1 ;; esac
fi
