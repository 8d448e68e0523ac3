#!/usr/bin/env python3
"""Parquet benchmarks: ice against DuckDB and pyarrow on the same machine,
same rows, same thread count; prints times, sizes and ratios.

    .venv/bin/python bench/parquet/run.py [--rows 6000000] [--build build] [--rss-rows 0]

* write: the lineitem-shaped table (gen_lineitem.py / lineitem.h: identical
  rows) with zstd level 1, zstd level 3 and snappy. ice: bench-parquet write
  (batches built in memory first, only the writer timed); DuckDB: COPY of a
  native table TO parquet with threads=1; pyarrow: write_table (one thread).
  Ratio = peer time / ice time (> 1: ice is faster); size ratio = ice / peer.
* read: the file ice wrote with zstd 1, all columns and 4 columns. ice:
  bench-parquet read (Arrow batches); pyarrow: read_table(use_threads=False);
  DuckDB with threads=2: SELECT min(c) for every column read (decodes every
  value, materializes nothing).
* memory: with --rss-rows N (default 20,000,000: a file over 1 GB), peak
  RSS (/usr/bin/time -v) of ice writing N rows batch by batch (streaming, no
  compression) and of ice reading that file back.
Each timing is the best of --repeat runs (default 3).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import duckdb
import pyarrow
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_lineitem  # noqa: E402

FOUR = ["l_partkey", "l_extendedprice", "l_shipdate", "l_shipmode"]
CODECS = [("zstd", 1), ("zstd", 3), ("snappy", 0)]


def best(fn, repeat):
    times = []
    result = None
    for _ in range(repeat):
        t, result = fn()
        times.append(t)
    return min(times), result


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def ice_cmd(bench, *args):
    p = subprocess.run([bench, *map(str, args)], capture_output=True, check=True, text=True)
    return json.loads(p.stdout)


def peak_rss_kb(cmd):
    p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True, check=True)
    for line in p.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1])
    raise RuntimeError("no RSS in /usr/bin/time output")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=6_000_000)
    ap.add_argument("--build", default=os.environ.get("ICE_BUILD_ROOT", str(HERE.parents[1] / "build")))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rss-rows", type=int, default=20_000_000)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--bench", default=None, help="the bench-parquet binary (default: BUILD/bench/parquet/)")
    args = ap.parse_args()
    bench = pathlib.Path(args.bench) if args.bench else pathlib.Path(args.build) / "bench" / "parquet" / "bench-parquet"
    if not bench.is_file():
        sys.exit(f"{bench} not built (meson: subdir('bench') at the top level)")
    work = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="ice-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    print(f"rows: {args.rows:,}  (pyarrow {pyarrow.__version__}, duckdb {duckdb.__version__}, "
          f"best of {args.repeat})")
    table = gen_lineitem.lineitem(args.rows)
    con = duckdb.connect()
    con.execute("SET threads=1")
    con.execute("SET enable_progress_bar=false")
    con.register("src", table)
    con.execute("CREATE TABLE lineitem AS SELECT * FROM src")
    con.unregister("src")

    print("\nwrite (1 thread)       ice s   duckdb s  pyarrow s   duckdb/ice  pyarrow/ice   size MB ice/duckdb/pyarrow")
    ice_zstd1 = None
    for codec, level in CODECS:
        name = f"{codec}-{level}" if level else codec
        out_ice, out_duck, out_pa = work / f"ice-{name}.parquet", work / f"duck-{name}.parquet", work / f"pa-{name}.parquet"
        t_ice, r = best(lambda: (lambda j: (j["seconds"], j))(ice_cmd(bench, "write", out_ice, args.rows, codec, level)),
                        args.repeat)
        level_sql = f", COMPRESSION_LEVEL {level}" if level else ""

        def duck():
            if out_duck.exists():
                out_duck.unlink()
            return timed(lambda: con.execute(
                f"COPY lineitem TO '{out_duck}' (FORMAT parquet, COMPRESSION {codec}{level_sql})"))
        t_duck, _ = best(duck, args.repeat)
        kw = {"compression": codec}
        if level:
            kw["compression_level"] = level
        t_pa, _ = best(lambda: timed(lambda: pq.write_table(table, out_pa, **kw)), args.repeat)
        s_ice, s_duck, s_pa = (p.stat().st_size / 1e6 for p in (out_ice, out_duck, out_pa))
        print(f"  {name:<18} {t_ice:8.3f} {t_duck:9.3f} {t_pa:10.3f} {t_duck / t_ice:11.2f}x {t_pa / t_ice:11.2f}x"
              f"   {s_ice:7.1f} / {s_duck:.1f} / {s_pa:.1f}  (size ratio {s_ice / s_duck:.2f} / {s_ice / s_pa:.2f})")
        if (codec, level) == ("zstd", 1):
            ice_zstd1 = out_ice

    print("\nread ice zstd-1 file   ice s  pyarrow s  duckdb(2t) s   pyarrow/ice  duckdb/ice   ice(2t) s  duckdb/ice(2t)")
    con2 = duckdb.connect()
    con2.execute("SET threads=2")
    con2.execute("SET enable_progress_bar=false")
    for label, cols in (("all columns", None), ("4 columns", FOUR)):
        cols_arg = ",".join(cols) if cols else "-"
        t_ice, r = best(lambda: (lambda j: (j["seconds"], j))(ice_cmd(bench, "read", ice_zstd1, cols_arg, 1)),
                        args.repeat)
        assert r["rows"] == args.rows
        t_ice2, _ = best(lambda: (lambda j: (j["seconds"], j))(ice_cmd(bench, "read", ice_zstd1, cols_arg, 2)),
                         args.repeat)
        t_pa, _ = best(lambda: timed(lambda: pq.read_table(ice_zstd1, columns=cols, use_threads=False)), args.repeat)
        names = cols or table.column_names
        sql = "SELECT " + ", ".join(f"min({c})" for c in names) + f" FROM read_parquet('{ice_zstd1}')"
        t_duck, _ = best(lambda: timed(lambda: con2.execute(sql).fetchall()), args.repeat)
        print(f"  {label:<18} {t_ice:7.3f} {t_pa:10.3f} {t_duck:13.3f} {t_pa / t_ice:12.2f}x {t_duck / t_ice:10.2f}x"
              f" {t_ice2:11.3f} {t_duck / t_ice2:14.2f}x")

    if args.rss_rows:
        big = work / "big.parquet"
        if big.exists():
            big.unlink()
        w_kb = peak_rss_kb([bench, "write", big, args.rss_rows, "uncompressed", 0, "stream"])
        size = big.stat().st_size
        r_kb = peak_rss_kb([bench, "read", big])
        print(f"\nmemory: {args.rss_rows:,} rows, file {size / 1e9:.2f} GB: ice streaming write peak RSS "
              f"{w_kb / 1024:.0f} MiB, full read peak RSS {r_kb / 1024:.0f} MiB")
        big.unlink()


if __name__ == "__main__":
    main()
