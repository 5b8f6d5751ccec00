#!/usr/bin/env bash
# The demo trading day offline: installs what is missing, builds, and replays a whole day.
# Replays config/demo_day.jsonl (fixed dates, clock moved by the file) through the exchange, durably under
# var/demo, and prints every event, a statement and the ledger audit. The live server is tools/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
./tools/build.sh
mkdir -p var
rm -rf var/demo
echo "== replaying config/demo_day.jsonl through the exchange, durably into var/demo (events also in var/demo_day.events.jsonl)"
./build/bin/cpx-replay --journal var/demo --depth 5 config/demo_day.jsonl | tee var/demo_day.events.jsonl
echo "== $(grep -c '"ev":"trade"' var/demo_day.events.jsonl) trades, $(grep -c '"ev":"settled"' var/demo_day.events.jsonl) contracts settled"
echo "== statement of GZBD (Guizhou state operator, host of Huawei Cloud's servers: 20 % of their revenue):"
./build/bin/cpx-replay --journal var/demo --statement GZBD --csv < /dev/null | grep -v '"ev"'
echo "== audit: full replay of the journal with ledger checks:"
./build/bin/cpx-replay --journal var/demo --replay-events | tail -1
echo "== try your own commands: ./build/bin/cpx-replay --depth 5 FILE (docs/API.md)"
