"""Write-path benchmark: ice against PyIceberg on the same input, in one run.

1. Append a lineitem-shaped CSV (deterministic, generated here) into a table
   partitioned by month(l_shipdate): `ice append` against PyIceberg
   (pyarrow.csv.read_csv + table.append), both single-threaded
   (OMP/ARROW thread pools set to 1, ice uses one thread), printing the
   ratio and each side's peak RSS (/usr/bin/time -v).
2. N small appends in a row with `ice append`: median commit latency and the
   median of the first 100 against the last 100.

Usage: .venv/bin/python bench/write/run.py [--rows 6000000] [--small 1000] [--ice build-write-release/tools/ice]
"""
import argparse
import datetime
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


REPO = pathlib.Path(__file__).resolve().parents[2]

SCHEMA = ("l_orderkey long, l_partkey long, l_suppkey long, l_linenumber int, l_quantity decimal(15,2), "
          "l_extendedprice decimal(15,2), l_discount decimal(15,2), l_tax decimal(15,2), l_returnflag string, "
          "l_linestatus string, l_shipdate date, l_commitdate date, l_receiptdate date, l_shipinstruct string, "
          "l_shipmode string, l_comment string")


def generate(path, rows):
    """Deterministic lineitem-like rows (random.Random(42)), written as text."""
    import random
    rng = random.Random(42)
    base = datetime.date(1992, 1, 1).toordinal()
    dates = [datetime.date.fromordinal(base + d).isoformat() for d in range(2600)]
    modes = ["AIR", "MAIL", "SHIP", "TRUCK", "RAIL", "FOB", "REG AIR"]
    instr = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]
    words = ["furiously", "quickly", "carefully", "blithely", "slyly", "ironic", "final", "pending",
             "deposits", "requests", "accounts", "packages"]
    cols = ["l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity", "l_extendedprice", "l_discount",
            "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate", "l_receiptdate",
            "l_shipinstruct", "l_shipmode", "l_comment"]
    r = rng.randrange
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        out = []
        for i in range(rows):
            d = r(2526)
            out.append(f"{i // 4 + 1},{r(1, 200000)},{r(1, 10000)},{i % 4 + 1},{r(1, 51)}.00,"
                       f"{r(90000, 10000000) / 100:.2f},0.0{r(10)},0.0{r(8)},{'ANR'[r(3)]},{'FO'[r(2)]},"
                       f"{dates[d]},{dates[d + 30]},{dates[d + 15]},{instr[r(4)]},{modes[r(7)]},"
                       f"{words[r(12)]} {words[r(12)]} {words[r(12)]}\n")
            if len(out) == 100000:
                f.write("".join(out))
                out.clear()
        f.write("".join(out))


def timed(cmd, env=None):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return dt, rss


PYICEBERG = r'''
import sys, pyarrow as pa, pyarrow.csv as pcsv
pa.set_cpu_count(1); pa.set_io_thread_count(1)
sys.path.insert(0, sys.argv[3])
from write_support import DirectoryCatalog
t = DirectoryCatalog().load_table(sys.argv[1])
schema = t.schema().as_arrow()
data = pcsv.read_csv(sys.argv[2], read_options=pcsv.ReadOptions(use_threads=False),
                     convert_options=pcsv.ConvertOptions(column_types=schema))
t.append(data.cast(schema))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=6_000_000)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--ice", default=str(REPO / "build-write-release" / "tools" / "ice"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    ice = a.ice
    work = pathlib.Path(tempfile.mkdtemp(prefix="ice-bench-write-"))
    try:
        csv = work / "lineitem.csv"
        t0 = time.perf_counter()
        generate(csv, a.rows)
        print(f"input: {a.rows} rows, {csv.stat().st_size / 1e6:.0f} MB CSV (generated in {time.perf_counter() - t0:.1f} s)")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        ti, pi = work / "ice_t", work / "py_t"
        for t in (ti, pi):
            subprocess.run([ice, "create", t, "--schema", SCHEMA, "--partition", "month(l_shipdate)"], check=True,
                           capture_output=True)
        # PyIceberg applies month() through pyiceberg-core when installed; without it, it cannot
        # partition: then both sides write the unpartitioned spec, said so below.
        dt_ice, rss_ice = timed([ice, "-q", "append", str(ti), str(csv)], env)
        try:
            dt_py, rss_py = timed([sys.executable, "-c", PYICEBERG, str(pi), str(csv), str(REPO / "tests" / "write")], env)
            label = "month(l_shipdate)"
        except SystemExit as e:
            if "pyiceberg_core" not in str(e) and "pyiceberg-core" not in str(e):
                raise
            shutil.rmtree(pi)
            shutil.rmtree(ti)
            for t in (ti, pi):
                subprocess.run([ice, "create", t, "--schema", SCHEMA], check=True, capture_output=True)
            dt_ice, rss_ice = timed([ice, "-q", "append", str(ti), str(csv)], env)
            dt_py, rss_py = timed([sys.executable, "-c", PYICEBERG, str(pi), str(csv), str(REPO / "tests" / "write")], env)
            label = "unpartitioned (PyIceberg needs pyiceberg-core for month())"
        print(f"append {a.rows} rows, {label}, 1 thread:")
        print(f"  ice        {dt_ice:8.2f} s   peak RSS {rss_ice:7.0f} MB")
        print(f"  PyIceberg  {dt_py:8.2f} s   peak RSS {rss_py:7.0f} MB")
        print(f"  ratio (PyIceberg / ice): {dt_py / dt_ice:.2f}x")

        small = work / "small_t"
        subprocess.run([ice, "create", small, "--schema", "id long, s string"], check=True, capture_output=True)
        row = work / "row.csv"
        lat = []
        for k in range(a.small):
            row.write_text(f"id,s\n{k},x\n")
            p = subprocess.run([ice, "--json", "append", str(small), str(row)], capture_output=True, text=True)
            if p.returncode:
                sys.exit(p.stderr)
            import json
            lat.append(json.loads(p.stdout)["elapsed-ms"])
        first, last = statistics.median(lat[:100]), statistics.median(lat[-100:])
        print(f"{a.small} small appends (fast append, no merging): commit latency median {statistics.median(lat):.0f} ms, "
              f"first 100 {first:.0f} ms, last 100 {last:.0f} ms, growth {last / max(first, 1):.2f}x")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
