#!/usr/bin/env bash
# Installs what is missing, builds, and runs the exchange: cpxd with the demo market (a fresh data
# directory under ./var/cpxd is seeded; an existing one is recovered from its journal). It prints where
# to connect (HTTP, WebSocket, FIX, TLS) and the demo users. Ctrl-C or SIGTERM stops it cleanly.
# Extra arguments go to cpxd (e.g. --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh
./tools/build.sh
mkdir -p var
exec ./build/bin/cpxd --config config/cpxd.json --demo "$@"
