"""Request economy on S3 (issue 14): how many requests and how many bytes
each reader needs for the same work on the same objects, counted by a proxy
in front of moto's S3 server (tests/peers/s3_proxy.py), so every client is
measured the same way:

  (a) planning a table of 1,000 day manifests (bench-plan gen, on S3) with a
      one-day filter: ice (scan --plan), PyIceberg (plan_files over pyarrow's
      S3FileSystem) and DuckDB (httpfs + iceberg: EXPLAIN of a filtered count);
  (b) reading 4 of 16 columns of a ~100 MB Parquet file (written by pyarrow,
      one object for all) and writing them as CSV to /dev/null: ice (parquet
      --rows --columns --format csv), pyarrow (pq.read_table with its
      S3FileSystem, then its CSV writer) and DuckDB (COPY of read_parquet).

Each reader runs in its own process; the proxy counts its requests, the
connections it opened (keep-alive reuse: far fewer connections than
requests) and the response bytes, and the run prints both sides, the ratios,
the wall time and the peak RSS of each process. The aim: no more requests and bytes than the
best of the others.

    .venv/bin/python bench/s3/run.py [--build build] [--manifests 1000] [--files 100] [--mb 100] [--cases ab]
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "peers"))

import moto_s3  # noqa: E402
from s3_proxy import S3Proxy  # noqa: E402

BUCKET = "bench"
DAY = ("ts >= '2021-06-01' and ts < '2021-06-02'",
       "ts >= '2021-06-01T00:00:00+00:00' and ts < '2021-06-02T00:00:00+00:00'",
       "ts >= TIMESTAMPTZ '2021-06-01 00:00:00+00' AND ts < TIMESTAMPTZ '2021-06-02 00:00:00+00'")
COLUMNS = ["c00", "c05", "c10", "c15"]

PYICEBERG = """
import sys
from pyiceberg.table import StaticTable
props = dict(a.split("=", 1) for a in sys.argv[3:])
t = StaticTable.from_metadata(sys.argv[1], properties=props)
print(len(list(t.scan(row_filter=sys.argv[2]).plan_files())))
"""

DUCKDB = """
import glob, site, sys
import duckdb
con = duckdb.connect(config={"allow_unsigned_extensions": True})
for name in ("avro", "iceberg", "httpfs"):
    found = []
    for root in site.getsitepackages():
        found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
    con.execute(f"LOAD '{found[0]}'")
con.execute("SET TimeZone = 'UTC'")
con.execute(sys.argv[1])
if sys.argv[3] == "exec":
    con.execute(sys.argv[2])
else:
    print(len(con.sql(sys.argv[2]).fetchall()))
"""

PYARROW = """
import sys
import pyarrow.parquet as pq
from pyarrow import fs
s3 = fs.S3FileSystem(access_key=sys.argv[3], secret_key=sys.argv[4], region="us-east-1",
                     endpoint_override=sys.argv[1], scheme="http")
t = pq.read_table(sys.argv[2], columns=sys.argv[5].split(","), filesystem=s3)
import pyarrow.csv as csv
csv.write_csv(t, "/dev/null")
print(t.num_rows)
"""


def run_counted(proxy, name, argv, env, discard=False):
    """Runs argv in its own process under /usr/bin/time -v; returns the
    requests the proxy counted, the response bytes, the seconds and the
    peak RSS (MB)."""
    proxy.reset_log()
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v", *argv], env=env,
                       stdout=subprocess.DEVNULL if discard else subprocess.PIPE, stderr=subprocess.PIPE)
    secs = time.monotonic() - t0
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError(f"{name} failed ({p.returncode}):\n{err[-3000:]}")
    rss = float("nan")
    for ln in err.splitlines():
        if "Maximum resident set size" in ln:
            rss = int(ln.split(":")[1]) / 1024
    n, received, sent = proxy.totals()
    return {"name": name, "requests": n, "connections": proxy.connections, "bytes": received, "seconds": secs,
            "rss": rss}


def table(rows, title):
    best_req = min(r["requests"] for r in rows if r["name"] != "ice")
    best_bytes = min(r["bytes"] for r in rows if r["name"] != "ice")
    print(f"\n{title}")
    print(f"{'reader':<34}{'requests':>10}{'connections':>13}{'bytes':>14}{'seconds':>10}{'peak RSS MB':>13}")
    for r in rows:
        print(f"{r['name']:<34}{r['requests']:>10}{r['connections']:>13}{r['bytes']:>14}{r['seconds']:>10.2f}"
              f"{r['rss']:>13.0f}")
    ice = [r for r in rows if r["name"] == "ice"][0]
    best_secs = min(r["seconds"] for r in rows if r["name"] != "ice")
    print(f"ice / best peer: requests {ice['requests'] / best_req:.2f}x, bytes {ice['bytes'] / best_bytes:.2f}x, "
          f"seconds {ice['seconds'] / best_secs:.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--manifests", type=int, default=1000)
    ap.add_argument("--files", type=int, default=100, help="data files per manifest")
    ap.add_argument("--mb", type=int, default=100, help="size of the Parquet file of (b)")
    ap.add_argument("--cases", default="ab", help="which cases to run: a, b or ab")
    args = ap.parse_args()
    build = REPO / args.build
    subprocess.run(["ninja", "-C", str(build), "tools/ice", "bench/plan/bench-plan"], check=True,
                   stdout=subprocess.DEVNULL)
    ice = str(build / "tools" / "ice")
    py = sys.executable
    work = pathlib.Path(tempfile.mkdtemp(prefix="ice-bench-s3-"))
    with moto_s3.MotoS3(work / "moto") as moto, S3Proxy(moto.port) as proxy:
        moto.bucket(BUCKET)
        direct = dict(os.environ, **moto.env(), HOME=str(work))
        counted = dict(os.environ, **moto.env(proxy.endpoint), HOME=str(work))
        keys = f"s3.access-key-id={moto_s3.ACCESS_KEY} s3.secret-access-key={moto_s3.SECRET_KEY}".split()

        if "a" in args.cases:
            plan(args, build, ice, py, direct, counted, keys, moto, proxy)
        if "b" in args.cases:
            columns(args, work, ice, py, counted, moto, proxy)


def plan(args, build, ice, py, direct, counted, keys, moto, proxy):
    """(a) planning a table of many day manifests with a one-day filter."""
    loc = f"s3://{BUCKET}/plan/t"
    subprocess.run([str(build / "bench" / "plan" / "bench-plan"), "gen", loc, str(args.manifests),
                    str(args.files)], env=direct, check=True, stdout=subprocess.DEVNULL)
    md = f"{loc}/metadata/v1.metadata.json"
    pyi_props = [f"s3.endpoint={proxy.endpoint}", "s3.region=us-east-1", *keys]
    duck_secret = moto.duckdb_secret_sql(proxy.endpoint)
    readers = [
        ("ice", [ice, "scan", md, "--plan", "--json", "--where", DAY[0]]),
        ("PyIceberg (pyarrow S3FileSystem)", [py, "-c", PYICEBERG, md, DAY[1], *pyi_props]),
        ("DuckDB (httpfs)", [py, "-c", DUCKDB, duck_secret,
                             f"EXPLAIN SELECT count(*) FROM iceberg_scan('{md}') WHERE {DAY[2]}", "rows"]),
    ]
    rows = [run_counted(proxy, name, argv, counted) for name, argv in readers]
    table(rows, f"(a) planning {args.manifests} manifests x {args.files} files with a one-day filter")


def columns(args, work, ice, py, counted, moto, proxy):
    """(b) 4 of 16 columns of one ~100 MB Parquet file, as CSV to /dev/null."""
    duck_secret = moto.duckdb_secret_sql(proxy.endpoint)
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    n = args.mb * (1 << 20) // (16 * 8)
    rnd = random.Random(7)

    def column(i):
        """n random 8-byte values (incompressible): doubles or longs."""
        raw = pa.py_buffer(rnd.randbytes(n * 8))
        if i % 2:
            # keep the doubles finite: clear the top exponent bit of each
            ints = pa.Array.from_buffers(pa.int64(), n, [None, raw])
            import pyarrow.compute as pc
            raw = pc.bit_wise_and(ints, pa.scalar(0x3FFFFFFFFFFFFFFF, pa.int64())).buffers()[1]
            return pa.Array.from_buffers(pa.float64(), n, [None, raw])
        return pa.Array.from_buffers(pa.int64(), n, [None, raw])

    cols = {f"c{i:02d}": column(i) for i in range(16)}
    local = work / "wide.parquet"
    pq.write_table(pa.table(cols), local, compression="snappy", row_group_size=256 * 1024)
    size = local.stat().st_size
    moto.client().upload_file(str(local), BUCKET, "wide/wide.parquet")
    obj = f"s3://{BUCKET}/wide/wide.parquet"
    readers = [
        ("ice", [ice, "parquet", obj, "--rows", "--columns", ",".join(COLUMNS), "--format", "csv"]),
        ("pyarrow (S3FileSystem)", [py, "-c", PYARROW, proxy.endpoint, f"{BUCKET}/wide/wide.parquet",
                                    moto_s3.ACCESS_KEY, moto_s3.SECRET_KEY, ",".join(COLUMNS)]),
        ("DuckDB (httpfs)", [py, "-c", DUCKDB, duck_secret,
                             f"COPY (SELECT {', '.join(COLUMNS)} FROM read_parquet('{obj}')) TO '/dev/null' "
                             f"(FORMAT csv)", "exec"]),
    ]
    rows = [run_counted(proxy, name, argv, counted, discard=True) for name, argv in readers]
    chunk = sum(pq.ParquetFile(local).metadata.row_group(g).column(int(c[1:])).total_compressed_size
                for g in range(pq.ParquetFile(local).metadata.num_row_groups) for c in COLUMNS)
    table(rows, f"(b) {len(COLUMNS)} of 16 columns of a {size / 1e6:.0f} MB Parquet file "
                f"({pq.ParquetFile(local).metadata.num_row_groups} row groups; the 4 columns' chunks: "
                f"{chunk / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
