"""Commit benchmark: N small appends in a row (3 rows each), in-process.

ice (bench-commit, the public API: convert a 3-row CSV, write its Parquet
file, commit) with merge-append on and off (two tables taking turns), and
PyIceberg appending the same
3-row tables (table.append, with its merge setting on and off, committing
to the table directory as HadoopCatalog does) on the same machine in the
same run. Prints median latency, the medians of the first and last 100
appends and their ratio (growth), the manifests of the final snapshot and
the time to plan a scan of it; then PyIceberg's figures and the ratios.

Aims (issue 6): ice median under 10 ms on local disk; growth under 2x with
merge-append on.

Usage: .venv/bin/python bench/commit/run.py [--n 1000] [--py-n 200]
           [--bench build/bench/commit/bench-commit] [--ice build/tools/ice]
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]

PYICEBERG = r'''
import json, sys, time, pyarrow as pa
sys.path.insert(0, sys.argv[4])
from support import DirectoryCatalog
cat = DirectoryCatalog()
t = cat.load_table(sys.argv[1])
n = int(sys.argv[2])
with t.transaction() as tx:
    tx.set_properties({"commit.manifest-merge.enabled": sys.argv[3]})
t = cat.load_table(sys.argv[1])
schema = t.schema().as_arrow()
lat = []
for k in range(n):
    rows = pa.Table.from_pylist([{"id": k * 3 + j, "s": f"row {k}", "v": j + 0.5} for j in range(3)], schema=schema)
    t0 = time.perf_counter()
    t.append(rows)
    lat.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"latency_ms": lat}))
'''


def summary(lat):
    first, last = statistics.median(lat[:100]), statistics.median(lat[-100:])
    return statistics.median(lat), first, last, last / first


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--py-n", type=int, default=200)
    ap.add_argument("--bench", default=str(REPO / "build" / "bench" / "commit" / "bench-commit"))
    ap.add_argument("--ice", default=str(REPO / "build" / "tools" / "ice"))
    a = ap.parse_args()
    for target in (a.bench, a.ice):  # the default build tree's targets, made when missing or stale
        t = pathlib.Path(target).resolve()
        if t.is_relative_to(REPO / "build"):
            subprocess.run(["ninja", "-C", str(REPO / "build"), str(t.relative_to(REPO / "build"))], check=True,
                           stdout=subprocess.DEVNULL)
    work = pathlib.Path(tempfile.mkdtemp(prefix="ice-bench-commit-"))
    results = {}
    try:
        print(f"{a.n} appends of 3 rows each, in-process, local disk ({work})")
        t0 = time.perf_counter()
        p = subprocess.run([a.bench, str(work), str(a.n)], capture_output=True, text=True)
        if p.returncode:
            sys.exit(p.stderr)
        results = json.loads(p.stdout)
        print(f"  (the two ice tables took turns: {time.perf_counter() - t0:.1f} s in all)")
        for mode in ("merge", "nomerge"):
            r = results[mode]
            med, first, last, growth = summary(r["latency_ms"])
            print(f"  ice {'merge-append on ' if mode == 'merge' else 'merge-append off'}: median {med:6.2f} ms, "
                  f"first 100 {first:6.2f} ms, last 100 {last:6.2f} ms, growth {growth:4.2f}x; "
                  f"{r['manifests']} manifests, plan {r['plan_ms']:.1f} ms")
        for mode, prop in (("merge", "true"), ("nomerge", "false")):
            t = work / f"py-{mode}"
            subprocess.run([a.ice, "create", t, "--schema", "id long, s string, v double"], check=True,
                           capture_output=True)
            p = subprocess.run([sys.executable, "-c", PYICEBERG, str(t), str(a.py_n), prop,
                                str(REPO / "tests")], capture_output=True, text=True)
            if p.returncode:
                sys.exit(p.stderr[-3000:])
            py = json.loads(p.stdout)["latency_ms"]
            ice_same = results[mode]["latency_ms"][:a.py_n]
            med, first, last, growth = summary(py)
            imed = statistics.median(ice_same)
            print(f"  PyIceberg {'merge on ' if mode == 'merge' else 'merge off'} ({a.py_n} appends): median "
                  f"{med:7.2f} ms, first 100 {first:7.2f} ms, last 100 {last:7.2f} ms, growth {growth:4.2f}x; "
                  f"ice's first {a.py_n}: median {imed:.2f} ms -> ratio (PyIceberg / ice) {med / imed:.1f}x")
        m = summary(results["merge"]["latency_ms"])
        print(f"aims: median under 10 ms: {'yes' if m[0] < 10 else 'NO'} ({m[0]:.2f} ms); "
              f"growth under 2x with merge-append on: {'yes' if m[3] < 2 else 'NO'} ({m[3]:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
