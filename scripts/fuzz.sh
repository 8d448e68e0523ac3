#!/usr/bin/env bash
# Runs one fuzz target under libFuzzer (clang, ASan + UBSan) for a while:
#   scripts/fuzz.sh metadata 60      # target, seconds
# Seeds come from the corpus the normal test run replays; new inputs that
# find new coverage go to tests/fuzz/corpus-<target>/ (not committed; or
# $FUZZ_WORK), and a crash leaves crash-* in the current directory (or under
# the prefix $FUZZ_ARTIFACTS) with the libFuzzer report.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:-60}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang .venv/bin/meson setup build-fuzz -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
      -Db_lundef=false -Dfuzzers=enabled -Dwerror=true >/dev/null
fi
ninja -C build-fuzz "tests/fuzz-$target" >/dev/null
fixtures="$(cd .. && pwd)/shared/fixtures"
work="${FUZZ_WORK:-tests/fuzz/corpus-$target}"
mkdir -p "$work"
case "$target" in
  metadata) seeds=("$fixtures/metadata" tests/fuzz/corpus/metadata) ;;
  parquet)
    # every readable fixture but the 2 GiB-string one (it needs > 2 GB RSS)
    mkdir -p "$work.seeds"
    find "$fixtures/parquet" -name '*.parquet' ! -name 'large_string_map*' -size -4M -exec cp -n {} "$work.seeds/" \;
    seeds=("$work.seeds" tests/fuzz/corpus/parquet) ;;
  puffin|dv)
    # the corpus's Puffin files, reference vectors and Trino statistics
    mkdir -p "$work.seeds"
    find "$fixtures/puffin" "$fixtures/tables" \( -name '*.puffin' -o -name '*.stats' -o -name '*.bin' \) \
        -exec cp -n {} "$work.seeds/" \;
    seeds=("$work.seeds" "tests/fuzz/corpus/$target") ;;
  rest) seeds=("$fixtures/rest" tests/fuzz/corpus/rest) ;;  # the spec's examples and response documents
  *) seeds=("tests/fuzz/corpus/$target") ;;
esac
existing=()
for s in "${seeds[@]}"; do [ -d "$s" ] && existing+=("$s"); done
# FUZZ_SEED fixes libFuzzer's random choices: a run then replays the same
# mutations in the same order, so a shorter run is a prefix of a longer one.
# FUZZ_RUNS caps the number of inputs tried (with the time limit).
exec "build-fuzz/tests/fuzz-$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} \
    -artifact_prefix="${FUZZ_ARTIFACTS:-./}" "$work" "${existing[@]}"
