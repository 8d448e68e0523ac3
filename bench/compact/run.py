"""Compaction benchmark (issue 13): ice compact against Spark 3.5 + Iceberg
1.12's rewrite_data_files (local[2]) and against the floor, in one run.

The table: ROWS lineitem rows (6,000,000; bench/parquet/gen_lineitem.py)
appended by ice in APPENDS appends (100) into a v2 table partitioned by
bucket(10, l_orderkey): 1,000 small data files in 10 partitions; then
`ice delete --where 'l_quantity <= 5'` (merge-on-read: position delete
files) removes about 10 % of the rows. Three identical copies
(tests/maintain/maintain_support.copy_table):

  ice     ice compact T --threads 2          (Spark's defaults: 512 MiB target)
  Spark   CALL cat.system.rewrite_data_files(table => 'db.t_spark')
  floor   bench-compact T 2: every row read once with ice's scan (deletes
          applied) and written once with ice's data writer, nothing planned
          or committed

Both compactions must rewrite the same files into as many and keep the same
row count. Times are wall clock of the operation (the Spark session start is
printed apart) and CPU seconds; peak RSS is ice's process (/usr/bin/time)
and the Spark JVM's high-water mark.

    .venv/bin/python bench/compact/run.py [--rows 6000000] [--appends 100] [--dir DIR] [--build build]
"""
import argparse
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "write"))
sys.path.insert(0, str(REPO / "tests" / "maintain"))
sys.path.insert(0, str(REPO / "bench" / "parquet"))

SCHEMA = ("l_orderkey long, l_partkey long, l_suppkey long, l_linenumber int, l_quantity decimal(15,2), "
          "l_extendedprice decimal(15,2), l_discount decimal(15,2), l_tax decimal(15,2), l_returnflag string, "
          "l_linestatus string, l_shipdate date, l_commitdate date, l_receiptdate date, l_shipinstruct string, "
          "l_shipmode string, l_comment string")


def maintain_bench():
    """bench/maintain/run.py's timing helpers (one module, shared)."""
    spec = importlib.util.spec_from_file_location("maintain_run", REPO / "bench" / "maintain" / "run.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(REPO / "bench" / "out" / "compact"))
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--rows", type=int, default=6000000)
    ap.add_argument("--appends", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    mb = maintain_bench()

    build = pathlib.Path(a.build)
    subprocess.run(["ninja", "-C", str(build), "tools/ice", "bench/compact/bench-compact"], check=True,
                   capture_output=True)
    ice, floor = str(build / "tools" / "ice"), str(build / "bench" / "compact" / "bench-compact")
    out = pathlib.Path(a.dir)
    shutil.rmtree(out, ignore_errors=True)
    wh = out / "wh"
    (wh / "db").mkdir(parents=True)
    print(f"tables under {out} ({mb.sh('df', '-hT', str(wh)).stdout.splitlines()[-1].split()[1]} file system; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f})")

    # ---- the table ------------------------------------------------------------------------
    import pyarrow.parquet as pq
    from gen_lineitem import lineitem
    from maintain_support import copy_table

    t0 = time.perf_counter()
    base = wh / "db" / "base"
    mb.sh(ice, "create", base, "--schema", SCHEMA, "--partition", "bucket(10, l_orderkey)", "--format-version", "2",
          "--property", "write.delete.mode=merge-on-read")
    data = lineitem(a.rows)
    per = (a.rows + a.appends - 1) // a.appends
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.appends):
            chunk = pathlib.Path(tmp) / f"c{k}.parquet"
            pq.write_table(data.slice(k * per, per), chunk, compression="zstd")
            mb.sh(ice, "-q", "append", base, chunk)
            chunk.unlink()
    deleted = json.loads(mb.sh(ice, "--json", "delete", base, "--where", "l_quantity <= 5").stdout)
    files = json.loads(mb.sh(ice, "--json", "files", base).stdout)
    kinds = {}
    for f in files:
        k = ("data", "position deletes", "equality deletes")[f["entry"]["data_file"]["content"]]
        kinds[k] = kinds.get(k, 0) + 1
    for name in ("t_ice", "t_spark", "t_floor"):
        copy_table(base, wh / "db" / name)
    print(f"table: {a.rows} rows in {a.appends} appends, {kinds} live files, "
          f"{deleted['rows-deleted']} rows deleted by position deletes "
          f"(built in {time.perf_counter() - t0:.1f} s)")

    # ---- floor ------------------------------------------------------------------------------
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", floor, str(wh / "db" / "t_floor"), str(a.threads)],
                       capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"bench-compact failed: {p.stderr[-2000:]}")
    fl = json.loads(p.stdout)
    floor_s = fl["seconds"]
    import re
    floor_rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    floor_cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", p.stderr).group(1)) for k in ("User", "System"))

    # ---- ice --------------------------------------------------------------------------------
    ice_s, ice_cpu, ice_rss, r = mb.timed_ice(ice, "compact", wh / "db" / "t_ice", "--threads", a.threads)
    assert r["committed"] and r["rows_written"] == fl["rows"], (r, fl)

    # ---- Spark ------------------------------------------------------------------------------
    from peers import spark as S
    t = time.perf_counter()
    S.session()
    S.hadoop_catalog("cat", wh)
    start_s = time.perf_counter() - t
    t, c = time.perf_counter(), mb.jvm_cpu() + mb.python_cpu()
    srow = S.rows("CALL cat.system.rewrite_data_files(table => 'db.t_spark')")[0]
    spark_s, spark_cpu = time.perf_counter() - t, mb.jvm_cpu() + mb.python_cpu() - c
    spark_rss = mb.jvm_peak_mb()
    n_spark = S.rows("SELECT count(*) FROM cat.db.t_spark")[0][0]
    n_ice = S.rows("SELECT count(*) FROM cat.db.t_ice")[0][0]
    assert n_spark == n_ice == fl["rows"], (n_spark, n_ice, fl["rows"])
    assert srow[0] == r["data_files_removed"] and srow[1] == r["data_files_added"], (tuple(srow), r)

    print(f"  Spark session start {start_s:.1f} s (not counted); both rewrote {srow[0]} data files into {srow[1]} "
          f"({n_ice} rows); the floor wrote {fl['files']} files")
    print()
    mb.row("compact vs Spark", ice_s, ice_cpu, "Spark", spark_s, spark_cpu, ice_rss, spark_rss)
    print(f"{'compact vs floor':<24} ice {ice_s:7.3f} s ({ice_cpu:6.2f} s CPU)   floor     {floor_s:8.3f} s "
          f"({floor_cpu:7.2f} s CPU)   ice/floor {ice_s / floor_s:6.2f}x wall   peak RSS floor {floor_rss:.0f} MB")


if __name__ == "__main__":
    main()
