"""The planning benchmark's peers, on the table bench-plan generated:

  peers.py pyiceberg METADATA [WHERE] [RUNS]
      StaticTable.from_metadata + scan(row_filter=WHERE).plan_files(),
      materialized as a list (every FileScanTask built).
  peers.py duckdb METADATA [WHERE] [RUNS]
      DuckDB's iceberg extension: without WHERE, SELECT count(*) FROM
      iceberg_metadata(...) (every manifest entry read); with WHERE, EXPLAIN
      of a count over iceberg_scan(...) with the filter: DuckDB binds the
      scan and plans its files with its filter pushdown (the row estimate in
      the plan changes with the filter) without opening a data file (they do
      not exist) -- see run.sh for what is timed.

Prints {"best_s", "median_s", "tasks"} as JSON."""
import glob
import json
import site
import statistics
import sys
import time


def pyiceberg(metadata, where, runs):
    from pyiceberg.table import StaticTable
    times, n = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        tbl = StaticTable.from_metadata(metadata)
        scan = tbl.scan(row_filter=where) if where else tbl.scan()
        n = len(list(scan.plan_files()))
        times.append(time.perf_counter() - t0)
    return times, n


def duck():
    import duckdb
    con = duckdb.connect(config={"allow_unsigned_extensions": True})
    for name in ("avro", "iceberg"):
        found = []
        for root in site.getsitepackages():
            found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
        assert found, f"the duckdb-extension-{name} package is missing"
        con.execute(f"LOAD '{found[0]}'")
    return con


def duckdb_plan(metadata, where, runs):
    con = duck()
    times, n = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        if not where:
            n = con.execute(f"SELECT count(*) FROM iceberg_metadata('{metadata}')").fetchone()[0]
        else:
            con.execute(f"EXPLAIN SELECT count(*) FROM iceberg_scan('{metadata}') WHERE {where}").fetchall()
            n = None  # the plan holds DuckDB's row estimate, not a file count
        times.append(time.perf_counter() - t0)
    return times, n


def main():
    kind, metadata = sys.argv[1], sys.argv[2]
    where = sys.argv[3] if len(sys.argv) > 3 else ""
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    times, n = (pyiceberg if kind == "pyiceberg" else duckdb_plan)(metadata, where, runs)
    print(json.dumps({"best_s": min(times), "median_s": statistics.median(times), "tasks": n}))


if __name__ == "__main__":
    main()
