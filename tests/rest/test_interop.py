"""Interop through one REST server (the Apache Iceberg REST fixture): what
ice commits, PyIceberg's RestCatalog, Spark's REST catalog and DuckDB's
ATTACH (TYPE iceberg) read with identical rows at every snapshot; what they
commit, ice reads (every snapshot) and appends to, and they read again.
Every peer is real and must be installed: a missing one fails, never skips."""
import datetime
import decimal
import glob
import json
import site

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.catalog import load_catalog

from rest_support import REPO, get_json, ice_ok
import spark as S  # tests/peers

_duck = None


def duck(java_rest):
    """DuckDB with the iceberg extension (from its PyPI package), the
    fixture attached as catalog `rc`."""
    global _duck
    if _duck is None:
        con = duckdb.connect(config={"allow_unsigned_extensions": True})
        for name in ("avro", "httpfs", "iceberg"):
            found = []
            for root in site.getsitepackages():
                found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
            assert found, f"the duckdb-extension-{name} package is missing"
            con.execute(f"LOAD '{found[0]}'")
        con.execute(f"ATTACH 'wh' AS rc (TYPE iceberg, ENDPOINT '{java_rest.uri}', AUTHORIZATION_TYPE 'none')")
        _duck = con
    return _duck


def norm(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    return v


def canon(rows):
    return sorted(({k: norm(v) for k, v in r.items()} for r in rows), key=lambda r: json.dumps(r, sort_keys=True))


def py(java_rest):
    return load_catalog("fixture", type="rest", uri=java_rest.uri)


def snapshots(java_rest, ns, name):
    md = get_json(f"{java_rest.uri}/v1/namespaces/{ns}/tables/{name}")["metadata"]
    return [s["snapshot-id"] for s in sorted(md["snapshots"], key=lambda s: s["sequence-number"])]


def metadata_location(java_rest, ns, name):
    return get_json(f"{java_rest.uri}/v1/namespaces/{ns}/tables/{name}")["metadata-location"]


def read_pyiceberg(java_rest, ident, snap):
    return canon(py(java_rest).load_table(ident).scan(snapshot_id=snap).to_arrow().to_pylist())


def read_duckdb(java_rest, ident, snap, columns):
    con = duck(java_rest)
    tbl = con.sql(f"SELECT {', '.join(columns)} FROM rc.{ident} AT (VERSION => {snap})").to_arrow_table()
    return canon(tbl.to_pylist())


def spark_rest(java_rest):
    """Spark's REST catalog `fixture`, not caching tables (others commit between reads)."""
    S.rest_catalog("fixture", java_rest.uri, cache_enabled="false")


def read_spark(java_rest, ident, snap, columns):
    spark_rest(java_rest)
    df = S.session().sql(f"SELECT {', '.join(columns)} FROM fixture.{ident} VERSION AS OF {snap}")
    return canon([r.asDict() for r in df.collect()])


def read_ice(java_rest, ns, name, snap):
    loc = metadata_location(java_rest, ns, name)
    out = ice_ok("scan", loc, "--snapshot", str(snap), "--format", "jsonl").out
    return [json.loads(line) for line in out.splitlines()]


def ice_rows_match(java_rest, ns, name, snap, expected):
    """ice's JSON Lines values next to a peer's rows (dates and decimals as text)."""
    got = canon(read_ice(java_rest, ns, name, snap))
    assert got == canon([{k: (str(v) if isinstance(v, decimal.Decimal) else v) for k, v in r.items()}
                         for r in expected])


COLUMNS = ["id", "name", "day", "amount"]


def test_ice_writes_peers_read_every_snapshot(java_rest, ns, tmp_path):
    c = ["--catalog", java_rest.uri]
    ident = f"{ns}.sales"
    ice_ok(*c, "create", ident, "--schema", "id long, name string, day date, amount decimal(10,2)",
           "--partition", "day(day)")
    (tmp_path / "a.csv").write_text("id,name,day,amount\n1,a,2024-01-01,1.50\n2,b,2024-01-02,2.25\n")
    (tmp_path / "b.csv").write_text("id,name,day,amount\n3,c,2024-01-01,3.00\n4,,2024-01-03,\n")
    ice_ok(*c, "append", ident, tmp_path / "a.csv")
    ice_ok(*c, "append", ident, tmp_path / "b.csv")
    ice_ok(*c, "delete", ident, "--where", "id = 2")
    snaps = snapshots(java_rest, ns, "sales")
    assert len(snaps) == 3
    for snap in snaps:
        want = read_pyiceberg(java_rest, ident, snap)
        assert read_duckdb(java_rest, ident, snap, COLUMNS) == want, f"DuckDB at {snap}"
        assert read_spark(java_rest, ident, snap, COLUMNS) == want, f"Spark at {snap}"
    assert [r["id"] for r in read_pyiceberg(java_rest, ident, snaps[-1])] == [1, 3, 4]


def peer_tables(java_rest, ns):
    """One table written by each peer, with two snapshots each."""
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("name", pa.string())])
    t = py(java_rest).create_table(f"{ns}.by_pyiceberg", schema=schema)
    t.append(pa.Table.from_pylist([{"id": 1, "name": "p1"}], schema=schema))
    t.append(pa.Table.from_pylist([{"id": 2, "name": "p2"}], schema=schema))

    spark_rest(java_rest)
    S.sql(f"CREATE TABLE fixture.{ns}.by_spark (id BIGINT, name STRING) USING iceberg")
    S.sql(f"INSERT INTO fixture.{ns}.by_spark VALUES (1, 's1')")
    S.sql(f"INSERT INTO fixture.{ns}.by_spark VALUES (2, 's2')")

    con = duck(java_rest)
    con.execute(f"CREATE TABLE rc.{ns}.by_duckdb (id BIGINT, name VARCHAR)")
    con.execute(f"INSERT INTO rc.{ns}.by_duckdb VALUES (1, 'd1')")
    con.execute(f"INSERT INTO rc.{ns}.by_duckdb VALUES (2, 'd2')")
    return ["by_pyiceberg", "by_spark", "by_duckdb"]


def test_peers_write_ice_reads_and_appends(java_rest, ns, tmp_path):
    c = ["--catalog", java_rest.uri]
    (tmp_path / "more.csv").write_text("id,name\n10,ice\n")
    for name in peer_tables(java_rest, ns):
        ident = f"{ns}.{name}"
        for snap in snapshots(java_rest, ns, name):
            ice_rows_match(java_rest, ns, name, snap, read_pyiceberg(java_rest, ident, snap))
        ice_ok(*c, "append", ident, tmp_path / "more.csv")
        snaps = snapshots(java_rest, ns, name)
        assert len(snaps) == 3, name
        for snap in snaps:
            want = read_pyiceberg(java_rest, ident, snap)
            assert read_duckdb(java_rest, ident, snap, ["id", "name"]) == want, f"{name}: DuckDB at {snap}"
            assert read_spark(java_rest, ident, snap, ["id", "name"]) == want, f"{name}: Spark at {snap}"
            ice_rows_match(java_rest, ns, name, snap, want)
        assert sorted(r["id"] for r in want) == [1, 2, 10]
