"""Interop through ice serve: PyIceberg's RestCatalog and DuckDB's
ATTACH (TYPE iceberg) create, append, evolve, delete and time-travel one
table through the server while ice writes the same warehouse directly (its
commits land beside the server's, never over them); every reader sees the
same rows at every step."""
import csv
import json

import pyarrow as pa
import pytest

import serve_support as S


def rows_pyiceberg(cat, ident, snapshot_id=None):
    t = cat.load_table(ident)
    scan = t.scan(snapshot_id=snapshot_id) if snapshot_id else t.scan()
    return sorted((r["id"], r["name"], r.get("score")) for r in scan.to_arrow().to_pylist())


def rows_duckdb(con, table, cols="id, name, score"):
    return sorted(tuple(r) for r in con.execute(f"SELECT {cols} FROM {table}").fetchall())


def table_dir(warehouse, ident):
    return str(warehouse / ident.replace(".", "/"))


def rows_ice(warehouse, ident):
    p = S.ice("scan", table_dir(warehouse, ident), "--format", "jsonl")
    out = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return sorted((int(r["id"]), r["name"], r.get("score")) for r in out)


def test_pyiceberg_duckdb_and_ice_share_a_table(server, tmp_path):
    from pyiceberg.types import DoubleType
    cat = S.pyiceberg_catalog(server.uri)
    cat.create_namespace("interop")
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), ("name", pa.string())])
    t = cat.create_table("interop.events", schema=schema)
    t.append(pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}, schema=schema))
    first = cat.load_table("interop.events").current_snapshot().snapshot_id

    con = S.duckdb_connect()
    S.duckdb_attach(con, server.uri)
    con.execute("INSERT INTO c.interop.events VALUES (4, 'd'), (5, 'e')")
    con.execute("DELETE FROM c.interop.events WHERE id = 2")

    want = [(1, "a", None), (3, "c", None), (4, "d", None), (5, "e", None)]
    assert rows_pyiceberg(cat, "interop.events") == want
    assert rows_duckdb(con, "c.interop.events", "id, name, NULL") == want
    assert rows_ice(server.warehouse, "interop.events") == want

    # Schema evolution through PyIceberg, seen by DuckDB and ice.
    t = cat.load_table("interop.events")
    with t.update_schema() as u:
        u.add_column("score", DoubleType())
    t = cat.load_table("interop.events")
    t.append(pa.table({"id": [6], "name": ["f"], "score": [6.5]},
                      schema=pa.schema([pa.field("id", pa.int64(), nullable=False), ("name", pa.string()),
                                        ("score", pa.float64())])))
    # ice appends directly to the warehouse (no server in between).
    data = tmp_path / "more.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "score"])
        w.writerow([7, "g", 7.25])
    S.ice("--catalog", server.warehouse, "append", "interop.events", data)

    want = [(1, "a", None), (3, "c", None), (4, "d", None), (5, "e", None), (6, "f", 6.5), (7, "g", 7.25)]
    con2 = S.duckdb_connect()
    S.duckdb_attach(con2, server.uri)
    assert rows_pyiceberg(cat, "interop.events") == want
    assert rows_duckdb(con2, "c.interop.events") == want
    assert rows_ice(server.warehouse, "interop.events") == want

    # Time travel: the first snapshot, through the server and directly.
    first_rows = [(1, "a", None), (2, "b", None), (3, "c", None)]
    assert rows_pyiceberg(cat, "interop.events", first) == first_rows
    p = S.ice("scan", table_dir(server.warehouse, "interop.events"), "--snapshot", first, "--format", "jsonl")
    assert sorted((int(r["id"]), r["name"], None) for r in map(json.loads, p.stdout.split())) == first_rows
    assert sorted(tuple(r) for r in con2.execute(
        f"SELECT id, name, NULL FROM c.interop.events AT (VERSION => {first})").fetchall()) == first_rows

    # Maintenance by ice on the warehouse; the server's clients read on.
    S.ice("--catalog", server.warehouse, "rewrite-manifests", "interop.events")
    assert rows_pyiceberg(cat, "interop.events") == want
    con3 = S.duckdb_connect()
    S.duckdb_attach(con3, server.uri)
    assert rows_duckdb(con3, "c.interop.events") == want

    # The history is whole: every commit above is a snapshot, in order.
    md = cat.load_table("interop.events").metadata
    ops = [s.summary.operation.value for s in md.snapshots]
    assert ops[0] == "append" and ops[-1] == "replace" and len(ops) >= 6
    parents = {s.snapshot_id: s.parent_snapshot_id for s in md.snapshots}
    chain, cur = [], md.current_snapshot_id
    while cur:
        chain.append(cur)
        cur = parents[cur]
    assert len(chain) == len(md.snapshots)


def test_duckdb_creates_and_pyiceberg_reads(server):
    con = S.duckdb_connect()
    S.duckdb_attach(con, server.uri)
    con.execute("CREATE SCHEMA c.duck")
    con.execute("CREATE TABLE c.duck.t (id BIGINT, s VARCHAR, d DATE)")
    con.execute("INSERT INTO c.duck.t VALUES (1, 'x', DATE '2024-01-02'), (2, NULL, NULL)")
    cat = S.pyiceberg_catalog(server.uri)
    got = sorted(cat.load_table("duck.t").scan().to_arrow().to_pylist(), key=lambda r: r["id"])
    assert [(r["id"], r["s"], str(r["d"]) if r["d"] else None) for r in got] == [(1, "x", "2024-01-02"),
                                                                                  (2, None, None)]
    p = S.ice("scan", table_dir(server.warehouse, "duck.t"), "--format", "jsonl")
    assert sorted(json.loads(x)["id"] for x in p.stdout.split()) == [1, 2]
