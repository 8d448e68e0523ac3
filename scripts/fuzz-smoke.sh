#!/usr/bin/env bash
# A short real fuzz run of every target in tests/fuzz/meson.build (libFuzzer
# under ASan + UBSan through scripts/fuzz.sh), FUZZ_SECONDS each (default
# 20): part of the test run, so a parser change that crashes on a mutation
# of its seeds fails CI, not only a seed that crashes. What the runs find
# stays in a scratch directory; a crash fails the run and its input is
# copied to tests/fuzz/crashes/ (check it in under corpus/<target>/ once
# fixed, as a regression seed). scripts/fuzz.sh TARGET SECONDS is for long runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
# One fixed seed (FUZZ_SEED=0 for a random one) and at most FUZZ_RUNS inputs
# per target (default 20000): the same mutations in the same order on every
# machine, and what a slower machine tries in FUZZ_SECONDS is a prefix of
# them. A run that completed every target's FUZZ_RUNS here passes in CI
# unless the code changed: a crash is the change's, not luck. Long random
# runs: scripts/fuzz.sh TARGET SECONDS.
export FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_RUNS=${FUZZ_RUNS:-20000}
[ "$FUZZ_SEED" = 0 ] && unset FUZZ_SEED
targets=$(sed -n "s/^ *'\([a-z0-9-]*\)': \[files(.*/\1/p" tests/fuzz/meson.build)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
total=0
for t in $targets; do
  mkdir -p "$scratch/$t"
  if FUZZ_WORK="$scratch/$t" FUZZ_ARTIFACTS="$scratch/$t-" scripts/fuzz.sh "$t" "$seconds" >"$scratch/$t.log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$scratch/$t.log" | tail -1)
    echo "fuzz $t: ${seconds}s, ${runs:-?} runs, no crash"
    total=$((total + ${runs:-0}))
  else
    echo "fuzz $t: FAILED"
    tail -40 "$scratch/$t.log"
    mkdir -p tests/fuzz/crashes
    cp "$scratch/$t"-* tests/fuzz/crashes/ 2>/dev/null || true
    failed+=("$t")
  fi
done
echo "fuzz: $total runs over $(echo $targets | wc -w) targets"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in tests/fuzz/crashes/)"
  exit 1
fi
