#!/usr/bin/env bash
# Installs what is missing, builds, and runs the exchange with demo data.
# Today this replays the demo trading day (config/demo_day.jsonl) through the matching core and prints
# every event; the CPX server (cpxd) replaces this when the gateways land.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
./tools/build.sh
mkdir -p var
echo "== replaying config/demo_day.jsonl through the matching core (events also in var/demo_day.events.jsonl)"
./build/bin/cpx-replay --depth 5 config/demo_day.jsonl | tee var/demo_day.events.jsonl
echo "== $(grep -c '"ev":"trade"' var/demo_day.events.jsonl) trades; try your own commands: ./build/bin/cpx-replay --depth 5 FILE (docs/API.md)"
