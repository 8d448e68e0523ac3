#!/usr/bin/env bash
# Runs every test: unit, golden, fuzz-corpus replay and CLI tests under
# ASan + UBSan, then the conformance and interop tests against the real peers.
# Expects scripts/setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."

ninja -C build-asan | tail -1
ninja -C build | tail -1

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ICE_FIXTURES="$(cd .. && pwd)/shared/fixtures"

# Unit, golden and fuzz replay tests (meson), sanitized.
.venv/bin/meson test -C build-asan --print-errorlogs --num-processes 2
# The unit tests again on the release build: with pooled arenas the
# allocation-failure walks reach allocations the sanitized build's
# per-item arenas never make (a swallowed out-of-memory in row commits was
# found there).
.venv/bin/meson test -C build --suite unit --print-errorlogs --num-processes 2

# CLI, conformance and interop tests drive the sanitized binary and the peers.
export ICE_BIN="$PWD/build-asan/tools/ice"
export ICE_BUILD_ROOT="$PWD/build-asan"
# One pytest run per suite: each suite has its own conftest module.
for suite in tests/cli tests/parquet tests/manifest tests/write tests/scan_plan tests/evolve tests/scan tests/peers tests/harden tests/serve tests/maintain tests/s3 tests/rest tests/pipeline; do
  echo "== $suite"
  .venv/bin/python -m pytest -q -p no:cacheprovider "$suite"
done

# A short real fuzz run of every target (libFuzzer, ASan + UBSan; the seed
# corpora replayed above are its starting points): FUZZ_SECONDS each.
echo "== fuzz"
scripts/fuzz-smoke.sh
