"""Sorted tables: rows are written in the table's sort order, each data
file one sorted stretch of a run (runs are bounded by --memory), and only
files written sorted record the order's id. pyarrow reads every data file
back and checks its order; PyIceberg and DuckDB read the rows."""
import functools
import json
import math
import random

import fastavro
import pyarrow.parquet as pq

from support import current_metadata, duckdb_rows, ice_ok, pyiceberg_rows


def data_files(table):
    """(path, sort_order_id, record_count) of every live data file."""
    md = json.loads(current_metadata(table).read_text())
    snap = [s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]][0]
    out = []
    with open(snap["manifest-list"], "rb") as f:
        for m in fastavro.reader(f):
            with open(m["manifest_path"], "rb") as mf:
                for e in fastavro.reader(mf):
                    if e["status"] != 2:
                        d = e["data_file"]
                        out.append((d["file_path"], d["sort_order_id"], d["record_count"]))
    return out


def compare(order):
    """A comparison of rows under [(column, descending, nulls_first, key)]."""
    def cmp(a, b):
        for col, desc, nulls_first, key in order:
            x, y = a[col], b[col]
            if x is None or y is None:
                if x is None and y is None:
                    continue
                r = -1 if x is None else 1
                return r if nulls_first else -r
            x, y = key(x), key(y)
            if x != y:
                r = -1 if x < y else 1
                return -r if desc else r
        return 0
    return functools.cmp_to_key(cmp)


def nan_last(v):
    # the spec's order of doubles: NaN after +Inf
    return (1, 0.0) if isinstance(v, float) and math.isnan(v) else (0, v)


ORDER = [("ts", True, False, lambda v: v), ("s", False, True, lambda v: v.encode()[:2]),
         ("x", False, True, nan_last)]


def make_rows(n, seed):
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        ts = None if rnd.random() < 0.1 else f"2024-0{rnd.randint(1, 3)}-1{rnd.randint(0, 9)}T0{rnd.randint(0, 9)}:00:00Z"
        s = None if rnd.random() < 0.1 else rnd.choice(["alpha", "alps", "beta", "b", "é-accent", "zz"])
        x = rnd.choice([None, float("nan"), float("inf"), -1.5, 0.0, 2.25, rnd.random()])
        rows.append({"id": i, "ts": ts, "s": s, "x": x, "cat": rnd.choice(["a", "b", "c"])})
    return rows


def write_csv(path, rows):
    lines = ["id,ts,s,x,cat"]
    for r in rows:
        x = r["x"]
        xs = "" if x is None else ("NaN" if math.isnan(x) else ("inf" if x == math.inf else repr(x)))
        lines.append(f"{r['id']},{r['ts'] or ''},{r['s'] or ''},{xs},{r['cat']}")
    path.write_text("\n".join(lines) + "\n")
    return path


def check_files_sorted(table, order_id):
    files = data_files(table)
    for path, sort_order_id, count in files:
        assert sort_order_id == order_id, (path, sort_order_id)
        got = pq.read_table(path).to_pylist()
        assert len(got) == count
        for r in got:
            if r["ts"] is not None:
                r["ts"] = r["ts"].isoformat()
        assert got == sorted(got, key=compare(ORDER)), path
    return files


def test_sorted_table_files_are_sorted(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, ts timestamptz, s string, x double, cat string",
           "--partition", "cat", "--sort", "ts desc nulls last, truncate(2, s), x")
    md = json.loads(current_metadata(t).read_text())
    order_id = md["default-sort-order-id"]
    assert order_id == 1
    rows = make_rows(3000, 1)
    ice_ok("append", t, write_csv(tmp_path / "a.csv", rows))
    files = check_files_sorted(t, order_id)
    assert len(files) == 3  # one run per partition fits in the default memory
    # a small memory budget: several runs per partition, each file sorted
    more = make_rows(20000, 2)
    for r in more:
        r["id"] += 10000
    ice_ok("append", t, write_csv(tmp_path / "b.csv", more), "--memory", "256K")
    files = check_files_sorted(t, order_id)
    assert len(files) > 9, len(files)
    # the peers read every row
    want = sorted(r["id"] for r in rows + more)
    assert sorted(r["id"] for r in pyiceberg_rows(current_metadata(t))) == want
    assert sorted(r["id"] for r in duckdb_rows(current_metadata(t))) == want
    # --no-sort: input order, and the files record no sort order
    t2 = tmp_path / "t2"
    ice_ok("create", t2, "--schema", "id long, ts timestamptz, s string, x double, cat string",
           "--sort", "id desc")
    ice_ok("append", t2, write_csv(tmp_path / "c.csv", rows[:100]), "--no-sort")
    [(path, sort_order_id, _)] = data_files(t2)
    assert sort_order_id is None
    assert [r["id"] for r in pq.read_table(path).to_pylist()] == list(range(100))
    ice_ok("append", t2, write_csv(tmp_path / "d.csv", rows[100:200]))
    sorted_file = [f for f in data_files(t2) if f[1] is not None][0]
    assert [r["id"] for r in pq.read_table(sorted_file[0]).to_pylist()] == list(range(199, 99, -1))
    assert sorted(r["id"] for r in pyiceberg_rows(current_metadata(t2))) == list(range(200))
    assert sorted(r["id"] for r in duckdb_rows(current_metadata(t2))) == list(range(200))
    # an unsorted table's files record order 0
    t3 = tmp_path / "t3"
    ice_ok("create", t3, "--schema", "id long")
    (tmp_path / "e.csv").write_text("id\n3\n1\n2\n")
    ice_ok("append", t3, tmp_path / "e.csv")
    [(path, sort_order_id, _)] = data_files(t3)
    assert sort_order_id == 0
    assert [r["id"] for r in pq.read_table(path).to_pylist()] == [3, 1, 2]


def test_sorted_parquet_and_jsonl_input(tmp_path):
    # batches (Parquet input) and rows (JSON Lines) take the same sorted path
    import pyarrow as pa
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, st struct<k: int, v: string>, n int",
           "--partition", "bucket(2, id)", "--sort", "st.k desc nulls first, id")
    rnd = random.Random(3)
    recs = [{"id": i, "st": None if i % 17 == 0 else {"k": rnd.randint(0, 20), "v": f"v{i}"}, "n": i}
            for i in range(5000)]
    f = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(recs, schema=pa.schema([
        ("id", pa.int64()), ("st", pa.struct([("k", pa.int32()), ("v", pa.string())])), ("n", pa.int32())])), f,
        row_group_size=700)
    ice_ok("append", t, f, "--memory", "128K")
    j = tmp_path / "in.jsonl"
    j.write_text("".join(json.dumps(r) + "\n" for r in recs[:1000]))
    ice_ok("append", t, j)

    def key(r):
        k = r["st"]["k"] if r["st"] is not None else None
        return (0 if k is None else 1, -(k or 0), r["id"])
    files = data_files(t)
    assert len(files) > 2
    for path, sort_order_id, _ in files:
        assert sort_order_id == 1
        got = pq.read_table(path).to_pylist()
        assert got == sorted(got, key=key), path
    assert sorted(r["id"] for r in pyiceberg_rows(current_metadata(t))) == sorted(
        [r["id"] for r in recs] + [r["id"] for r in recs[:1000]])
