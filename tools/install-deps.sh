#!/usr/bin/env bash
# Installs the Debian packages CPX needs to build, test and run. Idempotent: only missing packages are
# installed, and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev
  librocksdb-dev
  libssl-dev
  libboost-dev
  libquickfix-dev
  libjemalloc-dev
  libsystemd-dev  # cpxd tells systemd it is ready (Type=notify, config/systemd/cpxd.service)
  coinor-libcbc-dev
  python3
  clang libclang-rt-14-dev llvm  # tools/fuzz.sh: libFuzzer and its sanitizer runtimes, llvm-symbolizer
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
