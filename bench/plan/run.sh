#!/usr/bin/env bash
# Planning benchmark (issue 5): a table of 1,000,000 data files in 1,000
# manifests, partitioned by day(ts) (one day per manifest), generated with
# ice's own manifest writers (bench-plan gen; deterministic; the data files
# themselves are not written, planning never opens them). Planned three ways:
#
#   no filter      every file
#   one day        ts >= '2021-06-01' and ts < '2021-06-02'   (1,000 files)
#   column range   id >= 500000000 and id < 505000000         (~5,000 files; id is not a
#                                                               partition column: metrics prune)
#
# and timed, on the same table in one run:
#   ice       bench-plan plan: load the metadata, ice_scan_new, plan_open and
#             every task handed out (best of 5; 1 thread, and one per core)
#   PyIceberg StaticTable.from_metadata + scan(row_filter).plan_files() as a list
#   DuckDB    no filter: SELECT count(*) FROM iceberg_metadata(...) (every
#             manifest entry read); with a filter: EXPLAIN SELECT count(*) FROM
#             iceberg_scan(...) WHERE ..., which binds the scan and plans its
#             files with DuckDB's filter pushdown (its estimate of the rows
#             changes with the filter) without opening a data file
#
# then prints the times, the ratios (aims: >= 10x PyIceberg, >= 2x DuckDB,
# one-day plan < 100 ms) and the peak RSS of ice planning the whole table
# (/usr/bin/time -v; aim < 256 MB).
#
#   bench/plan/run.sh [BUILD_DIR]     (default: build, a release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=bench/out/plan
mkdir -p "$out"
ninja -C "$build" bench/plan/bench-plan >/dev/null
b="$build/bench/plan/bench-plan"
py=.venv/bin/python
md="$PWD/$out/t/metadata/v1.metadata.json"
if [ ! -f "$out/t/.complete" ]; then
  rm -rf "$out/t"
  "$b" gen "$PWD/$out/t" 1000 1000
  touch "$out/t/.complete"
fi
echo "table: $out/t ($(du -sh "$out/t/metadata" | cut -f1) of metadata), $(nproc) cores"

full=""
day="ts >= '2021-06-01' and ts < '2021-06-02'"
day_py="ts >= '2021-06-01T00:00:00+00:00' and ts < '2021-06-02T00:00:00+00:00'"
range="id >= 500000000 and id < 505000000"

run_all() { # name ice-filter pyiceberg-filter duckdb-filter pyiceberg-runs
  local ice1 icen pyi duck
  ice1=$("$b" plan "$md" "$2" 1 5) || exit 1
  icen=$("$b" plan "$md" "$2" 0 5) || exit 1
  pyi=$($py bench/plan/peers.py pyiceberg "$md" "$3" "$5") || exit 1
  duck=$($py bench/plan/peers.py duckdb "$md" "$4" 3) || exit 1
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$ice1" "$icen" "$pyi" "$duck"
}

results=$(
  run_all "no filter" "$full" "$full" "$full" 1
  run_all "one day" "$day" "$day_py" "$day" 3
  run_all "column range" "$range" "$range" "$range" 1
) || { echo "a run failed" >&2; exit 1; }
rss=$( { /usr/bin/time -v "$b" plan "$md" "" 1 1 >/dev/null; } 2>&1 | awk '/Maximum resident/ {print $6}')

$py - "$rss" <<PY
import json, sys
rss_kb = int(sys.argv[1])
rows = """$results""".strip().splitlines()
print(f"{'plan':<14}{'tasks':>9}{'ice 1 thr':>11}{'ice all':>10}{'PyIceberg':>11}{'DuckDB':>10}{'vs PyIceberg':>14}{'vs DuckDB':>11}")
ok = True
for line in rows:
    name, i1, i_n, p, d = line.split("\t")
    i1, i_n, p, d = json.loads(i1), json.loads(i_n), json.loads(p), json.loads(d)
    ice = min(i1["best_s"], i_n["best_s"])
    assert p["tasks"] == i1["tasks"], f"{name}: PyIceberg planned {p['tasks']} tasks, ice {i1['tasks']}"
    rp, rd = p["best_s"] / ice, d["best_s"] / ice
    print(f"{name:<14}{i1['tasks']:>9}{i1['best_s']*1000:>9.1f}ms{i_n['best_s']*1000:>8.1f}ms"
          f"{p['best_s']:>10.2f}s{d['best_s']:>9.2f}s{rp:>13.1f}x{rd:>10.1f}x")
    ok &= rp >= 10 and rd >= 2
    if name == "one day":
        ok &= ice < 0.1
        print(f"{'':<14}one-day plan {ice*1000:.1f} ms (aim < 100 ms)")
    s = i1["stats"]
    print(f"{'':<14}manifests skipped {s['manifests_skipped']}/{s['manifests']}, files skipped by partition "
          f"{s['data_files_skipped_partition']}, by metrics {s['data_files_skipped_metrics']}")
print(f"peak RSS planning all 1,000,000 files (1 thread): {rss_kb / 1024:.1f} MB (aim < 256 MB)")
ok &= rss_kb < 256 * 1024
print("aims met" if ok else "AIMS NOT MET")
PY
