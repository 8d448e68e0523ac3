#!/usr/bin/env python3
"""Reading rows: ice against DuckDB's iceberg extension on the same table,
the same machine and the same thread count; prints times, ratios and peak
RSS.

    .venv/bin/python bench/read/run.py [--build build] [--threads 2] [--repeat 3]

The table: 6,000,000 lineitem-shaped rows (bench/parquet/gen_lineitem.py,
splitmix64 values, so the same every time) in 60 Parquet files of 100,000
rows written by pyarrow (zstd, field ids), registered with `ice create` and
`ice add-files` in one snapshot; built once under bench/out/read/.

* csv: every row to a CSV file. ice: `ice scan --format csv --output F`;
  DuckDB: COPY (SELECT * FROM iceberg_scan(...)) TO F (HEADER).
* sum4: four columns (l_quantity, l_extendedprice, l_discount, l_shipdate)
  consumed by an aggregation. ice: bench-read sum (the Arrow C stream of a
  scan selecting the four, summed in C); DuckDB: SELECT sum(...), sum(...),
  sum(...), count(l_shipdate) FROM iceberg_scan(...). The sums are compared.
* one file: every column of one data file, through an Iceberg scan of a
  table holding just that file (bench-read table) and through the Parquet
  reader alone (bench-read file), one thread each: the cost of the scan
  around the reader (aim <= 1.1x).

Ratios are peer time / ice time (> 1: ice is faster), except the one-file
ratio, which is Iceberg scan / plain read. Each time is the best of --repeat
runs; peak RSS (/usr/bin/time -v) is of the best run's kind, one run.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "bench" / "parquet"))
import gen_lineitem  # noqa: E402

FILES, ROWS_PER_FILE = 60, 100_000
SCHEMA = ("l_orderkey long required, l_partkey long required, l_suppkey long required, "
          "l_linenumber int required, l_quantity decimal(15,2) required, l_extendedprice decimal(15,2) required, "
          "l_discount decimal(15,2) required, l_tax decimal(15,2) required, l_returnflag string required, "
          "l_linestatus string required, l_shipdate date required, l_commitdate date required, "
          "l_receiptdate date required, l_shipinstruct string required, l_shipmode string required, "
          "l_comment string required")


def ice_bin(build):
    return str(REPO / build / "tools" / "ice")


def build_table(build, out):
    table = out / "lineitem"
    marker = out / "lineitem.done"
    if marker.exists():
        return table
    shutil.rmtree(out, ignore_errors=True)
    (out / "files").mkdir(parents=True)
    words = gen_lineitem.vocab()
    paths = []
    schema = None
    for k in range(FILES):
        cols = gen_lineitem.lineitem_chunk(k * ROWS_PER_FILE, ROWS_PER_FILE, words)
        if schema is None:
            schema = pa.schema([gen_lineitem.fid(n, c.type, i + 1) for i, (n, c) in enumerate(cols.items())])
        path = out / "files" / f"part-{k:03d}.parquet"
        pq.write_table(pa.table(list(cols.values()), schema=schema), path, compression="zstd",
                       row_group_size=ROWS_PER_FILE)
        paths.append(str(path))
    subprocess.run([ice_bin(build), "-q", "create", str(table), "--schema", SCHEMA], check=True)
    subprocess.run([ice_bin(build), "-q", "add-files", str(table), *paths], check=True)
    one = out / "one"
    subprocess.run([ice_bin(build), "-q", "create", str(one), "--schema", SCHEMA], check=True)
    subprocess.run([ice_bin(build), "-q", "add-files", str(one), paths[0]], check=True)
    marker.write_text("ok\n")
    return table


def metadata_of(build, table):
    out = subprocess.run([ice_bin(build), "--json", "describe", str(table)], check=True, capture_output=True).stdout
    return json.loads(out)["metadata_location"]


def timed(argv, env=None):
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, env=env)
    t = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {p.stderr.decode()[-2000:]}")
    return t, p.stdout.decode()


def peak_rss_mb(argv):
    p = subprocess.run(["/usr/bin/time", "-v", *argv], capture_output=True)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr.decode())
    return int(m.group(1)) / 1024 if m else float("nan")


DUCK = """
import duckdb, glob, site, sys, time, json
con = duckdb.connect(config={"allow_unsigned_extensions": True})
for name in ("avro", "iceberg"):
    found = []
    for root in site.getsitepackages():
        found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
    con.execute(f"LOAD '{found[0]}'")
con.execute(f"SET threads = {int(sys.argv[1])}")
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
res = con.execute(sys.argv[2]).fetchall()
print(json.dumps({"seconds": time.perf_counter() - t0, "result": [list(map(str, r)) for r in res]}))
"""


def duck(threads, sql):
    argv = [sys.executable, "-c", DUCK, str(threads), sql]
    t, out = timed(argv)
    return json.loads(out.strip().splitlines()[-1]), argv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    subprocess.run(["ninja", "-C", str(REPO / args.build), "tools/ice", "bench/read/bench-read"], check=True,
                   stdout=subprocess.DEVNULL)
    out = REPO / "bench" / "out" / "read"
    table = build_table(args.build, out)
    md = metadata_of(args.build, table)
    one_md = out / "one"
    bench = str(REPO / args.build / "bench" / "read" / "bench-read")
    n = args.threads
    csv_ice, csv_duck = out / "ice.csv", out / "duck.csv"
    print(f"table: {FILES} files, {FILES * ROWS_PER_FILE:,} rows; {n} threads; best of {args.repeat}\n")

    rows = []
    # csv
    ice_argv = [ice_bin(args.build), "scan", "--threads", str(n), "--format", "csv", "--output", str(csv_ice), str(table)]
    t_ice = min(timed(ice_argv)[0] for _ in range(args.repeat))
    sql = f"COPY (SELECT * FROM iceberg_scan('{md}')) TO '{csv_duck}' (HEADER)"
    d = [duck(n, sql) for _ in range(args.repeat)]
    t_duck = min(x[0]["seconds"] for x in d)
    assert sum(1 for _ in open(csv_ice)) == sum(1 for _ in open(csv_duck)) == FILES * ROWS_PER_FILE + 1
    rows.append(("full scan to CSV", t_ice, t_duck, peak_rss_mb(ice_argv), peak_rss_mb(d[0][1])))

    # sum of four columns
    ice_argv = [bench, "sum", str(table), str(n)]
    runs = [json.loads(timed(ice_argv)[1]) for _ in range(args.repeat)]
    t_ice = min(r["seconds"] for r in runs)
    sql = (f"SELECT sum(l_quantity), sum(l_extendedprice), sum(l_discount), count(l_shipdate) "
           f"FROM iceberg_scan('{md}')")
    d = [duck(n, sql) for _ in range(args.repeat)]
    t_duck = min(x[0]["seconds"] for x in d)
    got = d[0][0]["result"][0]
    r = runs[0]
    assert [str(r["quantity"] / 100), str(r["price"] / 100), str(r["discount"] / 100), str(r["dates"])] == \
        [str(float(got[0])), str(float(got[1])), str(float(got[2])), got[3]], (r, got)
    rows.append(("4 columns summed", t_ice, t_duck, peak_rss_mb(ice_argv), peak_rss_mb(d[0][1])))

    print(f"{'':24} {'ice s':>8} {'DuckDB s':>9} {'ratio':>7} {'ice MB':>8} {'DuckDB MB':>10}")
    for name, ti, td, ri, rd in rows:
        print(f"{name:24} {ti:8.3f} {td:9.3f} {td / ti:6.2f}x {ri:8.1f} {rd:10.1f}")

    # one file: the Iceberg scan around the Parquet reader
    first = str(out / "files" / "part-000.parquet")
    t_table = min(json.loads(timed([bench, "table", str(one_md), "1"])[1])["seconds"] for _ in range(args.repeat + 2))
    t_file = min(json.loads(timed([bench, "file", first, "1"])[1])["seconds"] for _ in range(args.repeat + 2))
    print(f"\none file ({ROWS_PER_FILE:,} rows, every column, 1 thread): Iceberg scan {t_table:.4f} s, "
          f"plain Parquet read {t_file:.4f} s, ratio {t_table / t_file:.2f}x (aim <= 1.1x)")
    os.unlink(csv_ice)
    os.unlink(csv_duck)


if __name__ == "__main__":
    main()
