#!/usr/bin/env bash
# Planning benchmark (issues 5 and 19): a table of 1,000,000 data files in
# 1,000 manifests, partitioned by day(ts) (one day per manifest), generated
# with ice's own manifest writers (bench-plan gen; deterministic; the data
# files themselves are not written, planning never opens them). Planned
# three ways:
#
#   no filter      every file
#   one day        ts >= '2021-06-01' and ts < '2021-06-02'   (1,000 files)
#   column range   id >= 500000000 and id < 505000000         (~5,000 files; id is not a
#                                                               partition column: metrics prune)
#
# and timed, on the same table in one run:
#   ice       bench-plan plan: load the metadata, ice_scan_new, plan_open and
#             every task handed out (best of 5; 1 thread, and one per core)
#   Java      Apache Iceberg's own planner, iceberg-core 1.12.0
#             (bench/plan/java, built here with Maven into the gitignored
#             .peers/bench-plan-java/): StaticTableOperations +
#             table.newScan().filter(...).planFiles(), every task counted;
#             one JVM, JAVA_WARMUP (2) untimed rounds of every case first
#             (JIT warm-up), then JAVA_RUNS (3) timed plans of each; 1 thread
#             (iceberg.scan.plan-in-worker-pool=false, no executor) and one
#             per core (planWith a fixed pool of that size)
#   PyIceberg StaticTable.from_metadata + scan(row_filter).plan_files() as a list
#   DuckDB    no filter: SELECT count(*) FROM iceberg_metadata(...) (every
#             manifest entry read); with a filter: EXPLAIN SELECT count(*) FROM
#             iceberg_scan(...) WHERE ..., which binds the scan and plans its
#             files with DuckDB's filter pushdown (its estimate of the rows
#             changes with the filter) without opening a data file
#
# then prints the times (best, and the median in parentheses for ice and
# Java), the ratios (peer / ice; Java one thread against ice one thread and
# all cores against all cores; the Python peers against ice's best) with the
# aims (>= 10x PyIceberg, >= 2x DuckDB, faster than warmed Java on every
# plan and >= 2x on the full plan, one-day plan < 100 ms), and the peak RSS
# of ice planning the whole table (/usr/bin/time -v; aim < 256 MB) and of
# the JVM over its whole run.
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

# The Java planner: built with Maven (iceberg-core 1.12.0 and what it needs
# at run time, cached in ~/.m2) into .peers/bench-plan-java/, again whenever
# its POM or source changes.
java_build() {
  local J=.peers/bench-plan-java want log
  want=$(cat bench/plan/java/pom.xml bench/plan/java/src/main/java/ice/bench/PlanBench.java | sha256sum | cut -c1-16)
  if [ -f "$J/installed" ] && [ "$(cat "$J/installed")" = "$want" ]; then return 0; fi
  command -v mvn >/dev/null && command -v java >/dev/null || {
    echo "bench/plan: the Java side needs maven and a JDK 17 (apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
  rm -rf "$J/lib" "$J/target"
  mkdir -p "$J"
  log=$(mktemp)
  mvn -B -q -f bench/plan/java/pom.xml compile dependency:copy-dependencies -DoutputDirectory="$PWD/$J/lib" \
      -DincludeScope=runtime >"$log" 2>&1 || { cat "$log"; rm -f "$log"; echo "bench/plan: maven failed" >&2; exit 1; }
  rm -f "$log"
  echo "$want" > "$J/installed"
}
java_build

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
jlog=$(mktemp)
trap 'rm -f "$jlog"' EXIT
J=.peers/bench-plan-java
java_out=$(/usr/bin/time -v -o "$jlog" java -Diceberg.scan.plan-in-worker-pool=false -cp "$J/target/classes:$J/lib/*" \
    ice.bench.PlanBench "$md" "${JAVA_WARMUP:-2}" "${JAVA_RUNS:-3}" full day range) || {
  cat "$jlog"; echo "the Java planner failed" >&2; exit 1; }
java_rss=$(awk '/Maximum resident/ {print $6}' "$jlog")

$py - "$rss" "$java_rss" <<PY
import json, sys
rss_kb, java_kb = int(sys.argv[1]), int(sys.argv[2])
rows = """$results""".strip().splitlines()
java = {}
for line in """$java_out""".strip().splitlines():
    j = json.loads(line)
    java[(j["case"], j["threads"] == 1)] = j
cases = {"no filter": "full", "one day": "day", "column range": "range"}
def t(x):
    return f"{x['best_s']*1000:.1f} ({x['median_s']*1000:.1f})"
print("times in ms, best (median); PyIceberg and DuckDB in s, best")
print(f"{'plan':<14}{'tasks':>9}{'ice 1 thr':>20}{'ice all':>20}{'Java 1 thr':>20}{'Java all':>20}"
      f"{'PyIceberg':>11}{'DuckDB':>9}")
ok = True
ratios = []
for line in rows:
    name, i1, i_n, p, d = line.split("\t")
    i1, i_n, p, d = json.loads(i1), json.loads(i_n), json.loads(p), json.loads(d)
    j1, jn = java[(cases[name], True)], java[(cases[name], False)]
    ice = min(i1["best_s"], i_n["best_s"])
    assert p["tasks"] == i1["tasks"], f"{name}: PyIceberg planned {p['tasks']} tasks, ice {i1['tasks']}"
    assert j1["tasks"] == jn["tasks"] == i1["tasks"], f"{name}: Java planned {j1['tasks']} tasks, ice {i1['tasks']}"
    print(f"{name:<14}{i1['tasks']:>9}{t(i1):>20}{t(i_n):>20}{t(j1):>20}{t(jn):>20}"
          f"{p['best_s']:>10.2f}s{d['best_s']:>8.2f}s")
    rj1, rjn = j1["best_s"] / i1["best_s"], jn["best_s"] / i_n["best_s"]
    rp, rd = p["best_s"] / ice, d["best_s"] / ice
    ratios.append((name, rj1, rjn, rp, rd, i1["stats"], ice))
    ok &= rp >= 10 and rd >= 2 and rj1 > 1 and rjn > 1
    if name == "no filter":
        ok &= rj1 >= 2 and rjn >= 2
    if name == "one day":
        ok &= ice < 0.1
print()
print("ratios, peer time / ice time (Java: 1 thread vs 1 thread, all cores vs all cores; best times)")
print(f"{'plan':<14}{'vs Java 1 thr':>15}{'vs Java all':>13}{'vs PyIceberg':>14}{'vs DuckDB':>11}")
for name, rj1, rjn, rp, rd, s, ice in ratios:
    print(f"{name:<14}{rj1:>14.2f}x{rjn:>12.2f}x{rp:>13.1f}x{rd:>10.1f}x")
    if name == "one day":
        print(f"{'':<14}one-day plan {ice*1000:.1f} ms (aim < 100 ms)")
    print(f"{'':<14}manifests skipped {s['manifests_skipped']}/{s['manifests']}, files skipped by partition "
          f"{s['data_files_skipped_partition']}, by metrics {s['data_files_skipped_metrics']}")
print(f"peak RSS planning all 1,000,000 files (1 thread): ice {rss_kb / 1024:.1f} MB (aim < 256 MB); "
      f"the JVM over its whole run: {java_kb / 1024:.1f} MB")
ok &= rss_kb < 256 * 1024
print("aims met (>= 10x PyIceberg, >= 2x DuckDB, > 1x Java, >= 2x Java on the full plan)" if ok else "AIMS NOT MET")
PY
