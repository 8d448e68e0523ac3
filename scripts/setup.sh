#!/usr/bin/env bash
# Sets up a fresh Debian machine for ice: system packages, the Python test
# peers (in .venv), and both builds (build/ for use, build-asan/ for tests).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential pkg-config ninja-build clang llvm libclang-rt-14-dev
  uuid-dev zlib1g-dev libdeflate-dev libzstd-dev liblz4-dev libbrotli-dev libsnappy-dev
  libavro-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev
  openjdk-17-jdk-headless maven
  python3 python3-venv hyperfine time
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python peers and meson (Debian's meson is too old for meson.options).
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt

MESON=.venv/bin/meson
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Quiet when it works, the whole story when it does not.
quiet() { "$@" >"$log" 2>&1 || { cat "$log"; echo "setup: failed: $*" >&2; exit 1; }; }

# build/: optimized, for use and benchmarks.
[ -f build/build.ninja ] || quiet $MESON setup build -Dbuildtype=release -Dwerror=true
quiet ninja -C build
# build-asan/: ASan + UBSan, every arena item a separate allocation, for tests.
[ -f build-asan/build.ninja ] || quiet $MESON setup build-asan -Dbuildtype=debug -Db_sanitize=address,undefined \
    -Darena_debug=true -Dwerror=true
quiet ninja -C build-asan
# JVM and other peers the tests drive: one script each in scripts/peers/
# (each idempotent, installing into the gitignored .peers/).
for peer in scripts/peers/*.sh; do
  [ -e "$peer" ] || continue
  quiet bash "$peer"
done
echo "setup: done (build/tools/ice)"
