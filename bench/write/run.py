"""Write-path benchmark: ice against PyIceberg on the same input, in one run.

1. Append a lineitem-shaped CSV (deterministic, generated here; 6,000,000
   rows by default) into a table partitioned by month(l_shipdate): `ice
   append --threads N` against DuckDB's partitioned COPY of the same CSV
   (`COPY (SELECT *, month FROM read_csv(...)) TO dir (FORMAT parquet,
   PARTITION_BY (month), COMPRESSION zstd)`, `SET threads = N`, the same
   codec and level, DuckDB's default row groups of 122,880 rows; ice's row
   groups end at 128 MiB or earlier under its memory budget) at
   N = 1 and 2 (each side --repeat times, alternating, the best kept;
   DuckDB's time is its COPY's, without starting Python), and against PyIceberg (pyarrow.csv.read_csv + table.append,
   month() through pyiceberg-core) on one thread (pyarrow's CPU and I/O
   pools set to 1). Prints each side's time and peak RSS (/usr/bin/time
   -v), the ratios, and the data files' total size on each side.
2. N small appends in a row with `ice append` (fast append: manifest
   merging off): the median commit latency (the commit's own elapsed time
   as `ice --json append` reports it) and the medians of the first 100 and
   the last 100, with their ratio (growth).
3. Partition count: the same CSV appended by ice (one thread) into
   month(l_shipdate) (83 partitions) and into bucket(10000, l_orderkey)
   (10,000 partitions): wall and CPU time per row of each and their ratio.
   The memory budget is kept as a running total, so checking it costs what
   changed since the last check, not the number of partitions; what 10,000
   partitions still cost is 10,000 files (created, written, made durable).
4. With --big: ice alone appending a ~5 GB generated CSV into the same
   partitioned table, for its peak RSS (memory must not grow with input).

Usage: .venv/bin/python bench/write/run.py [--rows 6000000] [--small 1000]
           [--ice build/tools/ice] [--no-partitions] [--big] [--keep] [--csv lineitem.csv]
           [--repeat 3]
"""
import argparse
import datetime
import json
import os
import pathlib
import random
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
COLUMNS = ["l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity", "l_extendedprice", "l_discount",
           "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate", "l_receiptdate",
           "l_shipinstruct", "l_shipmode", "l_comment"]


def generate(path, rows=None, min_bytes=None):
    """Deterministic lineitem-like rows (random.Random(42)), written as text:
    `rows` of them, or as many as make at least `min_bytes`."""
    rng = random.Random(42)
    base = datetime.date(1992, 1, 1).toordinal()
    dates = [datetime.date.fromordinal(base + d).isoformat() for d in range(2600)]
    modes = ["AIR", "MAIL", "SHIP", "TRUCK", "RAIL", "FOB", "REG AIR"]
    instr = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]
    words = ["furiously", "quickly", "carefully", "blithely", "slyly", "ironic", "final", "pending",
             "deposits", "requests", "accounts", "packages"]
    r = rng.randrange
    written, i = 0, 0
    with open(path, "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        while (rows is not None and i < rows) or (min_bytes is not None and written < min_bytes):
            out = []
            for _ in range(min(100000, rows - i) if rows is not None else 100000):
                d = r(2526)
                out.append(f"{i // 4 + 1},{r(1, 200000)},{r(1, 10000)},{i % 4 + 1},{r(1, 51)}.00,"
                           f"{r(90000, 10000000) / 100:.2f},0.0{r(10)},0.0{r(8)},{'ANR'[r(3)]},{'FO'[r(2)]},"
                           f"{dates[d]},{dates[d + 30]},{dates[d + 15]},{instr[r(4)]},{modes[r(7)]},"
                           f"{words[r(12)]} {words[r(12)]} {words[r(12)]}\n")
                i += 1
            chunk = "".join(out)
            f.write(chunk)
            written += len(chunk)
    return i


def timed(cmd, env=None, cpu=False, reported=False):
    """Wall time and peak RSS of a command; with `reported`, the time is the
    one the command prints last (DuckDB's COPY alone, without starting
    Python and loading DuckDB)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    if reported:
        dt = float(p.stdout.strip().splitlines()[-1])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    if cpu:
        user = float(re.search(r"User time \(seconds\): ([\d.]+)", p.stderr).group(1))
        system = float(re.search(r"System time \(seconds\): ([\d.]+)", p.stderr).group(1))
        return dt, rss, user + system
    return dt, rss


PYICEBERG = r'''
import sys, pyarrow as pa, pyarrow.csv as pcsv
pa.set_cpu_count(1); pa.set_io_thread_count(1)
import pyiceberg_core  # month() needs it: a missing package is an error, not a fallback
sys.path.insert(0, sys.argv[3])
from support import DirectoryCatalog
t = DirectoryCatalog().load_table(sys.argv[1])
schema = t.schema().as_arrow()
data = pcsv.read_csv(sys.argv[2], read_options=pcsv.ReadOptions(use_threads=False),
                     convert_options=pcsv.ConvertOptions(column_types=schema))
t.append(data.cast(schema))
'''


DUCKDB = r'''
import sys, duckdb
con = duckdb.connect()
con.execute(f"SET threads = {int(sys.argv[3])}")
cols = {"l_orderkey": "BIGINT", "l_partkey": "BIGINT", "l_suppkey": "BIGINT", "l_linenumber": "INTEGER",
        "l_quantity": "DECIMAL(15,2)", "l_extendedprice": "DECIMAL(15,2)", "l_discount": "DECIMAL(15,2)",
        "l_tax": "DECIMAL(15,2)", "l_returnflag": "VARCHAR", "l_linestatus": "VARCHAR", "l_shipdate": "DATE",
        "l_commitdate": "DATE", "l_receiptdate": "DATE", "l_shipinstruct": "VARCHAR", "l_shipmode": "VARCHAR",
        "l_comment": "VARCHAR"}
spec = ", ".join(f"'{k}': '{v}'" for k, v in cols.items())
import time
t0 = time.perf_counter()
con.execute(f"""COPY (SELECT *, strftime(l_shipdate, '%Y-%m') AS l_shipdate_month
                      FROM read_csv('{sys.argv[1]}', header = true, columns = {{{spec}}}))
                TO '{sys.argv[2]}' (FORMAT parquet, PARTITION_BY (l_shipdate_month), COMPRESSION zstd,
                                    COMPRESSION_LEVEL 3, ROW_GROUP_SIZE 122880)""")
print(time.perf_counter() - t0)
'''


def dir_bytes(d):
    return sum(p.stat().st_size for p in pathlib.Path(d).rglob("*.parquet"))


def row_groups(d):
    import pyarrow.parquet as pq
    return sum(pq.ParquetFile(p).metadata.num_row_groups for p in pathlib.Path(d).rglob("*.parquet"))


def create(ice, table, partition=True, props=(), spec="month(l_shipdate)"):
    args = [ice, "create", table, "--schema", SCHEMA]
    if partition:
        args += ["--partition", spec]
    for p in props:
        args += ["--property", p]
    subprocess.run(list(map(str, args)), check=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=6_000_000)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--ice", default=str(REPO / "build" / "tools" / "ice"))
    ap.add_argument("--no-partitions", action="store_true", help="skip the 83 vs 10,000 partitions comparison")
    ap.add_argument("--big", action="store_true", help="also append a ~5 GB CSV with ice (peak RSS)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side at each thread count (best kept)")
    ap.add_argument("--csv", help="use this lineitem CSV (as generate() writes it) instead of generating one")
    a = ap.parse_args()
    ice = a.ice
    work = pathlib.Path(tempfile.mkdtemp(prefix="ice-bench-write-"))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        csv = work / "lineitem.csv"
        t0 = time.perf_counter()
        if a.csv:
            csv = pathlib.Path(a.csv).resolve()
            with open(csv) as f:
                a.rows = sum(1 for _ in f) - 1
            print(f"input: {a.rows} rows, {csv.stat().st_size / 1e6:.0f} MB CSV ({csv})")
        else:
            generate(csv, rows=a.rows)
            print(f"input: {a.rows} rows, {csv.stat().st_size / 1e6:.0f} MB CSV (generated in "
                  f"{time.perf_counter() - t0:.1f} s)")
        ti, pi = work / "ice_t", work / "py_t"
        res = {}
        # each side --repeat times, alternating, the best run of each kept
        for n in (1, 2):
            for _ in range(a.repeat):
                create(ice, ti)
                r = timed([ice, "-q", "append", "--threads", n, ti, csv], env) + (dir_bytes(ti / "data"),)
                res[("ice", n)] = min(res.get(("ice", n), r), r)
                files_ice = len(list((ti / "data").rglob("*.parquet")))
                rg_ice = row_groups(ti / "data")
                shutil.rmtree(ti)
                dd = work / "duck_out"
                r = timed([sys.executable, "-c", DUCKDB, csv, dd, n], env, reported=True) + (dir_bytes(dd),)
                res[("duck", n)] = min(res.get(("duck", n), r), r)
                files_duck = len(list(dd.rglob("*.parquet")))
                rg_duck = row_groups(dd)
                shutil.rmtree(dd)
        create(ice, pi)
        dt_py, rss_py = timed([sys.executable, "-c", PYICEBERG, pi, csv, REPO / "tests"], env)
        py_bytes = dir_bytes(pi / "data")
        print(f"append {a.rows} rows into a table partitioned by month(l_shipdate) (zstd level 3):")
        for n in (1, 2):
            (ti_, ri_, bi_), (td_, rd_, bd_) = res[("ice", n)], res[("duck", n)]
            print(f"  {n} thread{'s' if n > 1 else ' '}: ice    {ti_:7.2f} s   peak RSS {ri_:6.0f} MB   "
                  f"{bi_ / 1e6:6.1f} MB of data files")
            print(f"             DuckDB {td_:7.2f} s   peak RSS {rd_:6.0f} MB   {bd_ / 1e6:6.1f} MB of data files")
            print(f"             ratio (DuckDB / ice): {td_ / ti_:.2f}x time, {rd_ / ri_:.2f}x memory, "
                  f"data files {bi_ / bd_:.3f}x DuckDB's")
        print(f"  PyIceberg (1 thread) {dt_py:7.2f} s   peak RSS {rss_py:6.0f} MB   {py_bytes / 1e6:6.1f} MB of data files")
        print(f"  ratio (PyIceberg / ice): {dt_py / res[('ice', 1)][0]:.2f}x time at 1 thread, "
              f"{dt_py / res[('ice', 2)][0]:.2f}x at 2 threads")
        print(f"  at 2 threads: ice {files_ice} files, {rg_ice} row groups; DuckDB {files_duck} files, "
              f"{rg_duck} row groups")
        md = json.loads(sorted((pi / "metadata").glob("v*.metadata.json"),
                               key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))[-1].read_text())
        s = md["snapshots"][-1]["summary"]
        print(f"  {pi.name}: {s['added-records']} records, {s['added-data-files']} files, "
              f"{int(s['added-files-size']) / 1e6:.0f} MB, {s['changed-partition-count']} partitions")
        shutil.rmtree(pi)

        if not a.no_partitions:
            print(f"ice append of the same {a.rows} rows by partition count (1 thread):")
            figures = []
            for spec in ("month(l_shipdate)", "bucket(10000, l_orderkey)"):
                tp = work / "parts_t"
                create(ice, tp, spec=spec)
                dt, rss, cpu = timed([ice, "-q", "append", "--threads", "1", tp, csv], env, cpu=True)
                md = json.loads(sorted((tp / "metadata").glob("v*.metadata.json"),
                                       key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))[-1].read_text())
                nparts = int(md["snapshots"][-1]["summary"]["changed-partition-count"])
                figures.append((dt, cpu))
                print(f"  {spec:27s} {nparts:6d} partitions  {dt:7.2f} s ({dt / a.rows * 1e6:5.2f} us/row)  "
                      f"CPU {cpu:6.2f} s ({cpu / a.rows * 1e6:5.2f} us/row)  peak RSS {rss:5.0f} MB")
                shutil.rmtree(tp)
            (d83, c83), (d10k, c10k) = figures
            print(f"  ratio (10,000 / 83 partitions): {d10k / d83:.2f}x wall time per row, "
                  f"{c10k / c83:.2f}x CPU time per row")

        if a.small:
            small = work / "small_t"
            subprocess.run([ice, "create", str(small), "--schema", "id long, s string",
                            "--property", "commit.manifest-merge.enabled=false"], check=True, capture_output=True)
            row = work / "row.csv"
            lat, wall = [], []
            for k in range(a.small):
                row.write_text(f"id,s\n{k},x\n")
                t0 = time.perf_counter()
                p = subprocess.run([ice, "--json", "append", str(small), str(row)], capture_output=True, text=True)
                wall.append((time.perf_counter() - t0) * 1000)
                if p.returncode:
                    sys.exit(p.stderr)
                lat.append(json.loads(p.stdout)["elapsed_ms"])
            first, last = statistics.median(lat[:100]), statistics.median(lat[-100:])
            print(f"{a.small} small appends (fast append, no merging): commit latency median "
                  f"{statistics.median(lat):.1f} ms, first 100 {first:.1f} ms, last 100 {last:.1f} ms, "
                  f"growth {last / max(first, 0.5):.2f}x; whole `ice append` process median "
                  f"{statistics.median(wall):.1f} ms")

        if a.big:
            big = work / "big.csv"
            t0 = time.perf_counter()
            n = generate(big, min_bytes=5_000_000_000)
            print(f"big input: {n} rows, {big.stat().st_size / 1e9:.2f} GB CSV (generated in "
                  f"{time.perf_counter() - t0:.0f} s)")
            tb = work / "big_t"
            create(ice, tb)
            dt, rss = timed([ice, "-q", "append", tb, big], env)
            print(f"  ice append of {big.stat().st_size / 1e9:.2f} GB: {dt:.1f} s, peak RSS {rss:.0f} MB")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
