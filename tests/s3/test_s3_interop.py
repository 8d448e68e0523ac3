"""Tables on S3 between ice and the peers: PyIceberg (pyarrow's S3
FileSystem, with s3.endpoint) and DuckDB (its httpfs extension from PyPI,
loaded like the iceberg one) read every ice-written S3 table with the rows
ice reads, at every snapshot; ice reads a table PyIceberg wrote to S3 and
registers Parquet files DuckDB wrote there."""
import json

import pytest

from conftest import duck, write_csv


def norm(rows):
    """Rows as comparable tuples (dates and decimals as text)."""
    return sorted(tuple(None if v is None else str(v) for v in r) for r in rows)


def ice_rows(ice, table, snapshot=None):
    args = ["scan", table, "--format", "jsonl"]
    if snapshot:
        args += ["--snapshot", snapshot]
    out = ice.ok(*args).out
    rows = [json.loads(x) for x in out.splitlines() if x]
    return rows


def as_tuples(dicts, cols):
    return norm([tuple(d[c] for c in cols) for d in dicts])


def build_table(ice, wh, tmp_path, version):
    cat = ("--catalog", wh)
    name = f"db.t{version}"
    ice.ok(*cat, "namespace", "create", "db") if version == 2 else None
    ice.ok(*cat, "create", name, "--schema", "id long, day date, name string, amount decimal(9,2)",
           "--partition", "day", "--format-version", str(version),
           "--property", "write.delete.mode=merge-on-read")
    rows = [(i, f"2024-03-0{1 + i % 3}", f"n{i}", f"{i}.25") for i in range(30)]
    ice.ok(*cat, "append", name, write_csv(tmp_path / f"a{version}.csv", ["id", "day", "name", "amount"], rows[:20]))
    ice.ok(*cat, "append", name, write_csv(tmp_path / f"b{version}.csv", ["id", "day", "name", "amount"], rows[20:]))
    ice.ok(*cat, "delete", name, "--where", "id in (3, 4, 25)")  # position deletes / deletion vectors
    ice.ok(*cat, "alter", name, "--add-column", "note string")
    ice.ok(*cat, "append", name, write_csv(tmp_path / f"c{version}.csv", ["id", "day", "name", "amount", "note"],
                                           [(100, "2024-03-05", "x", "1.00", "late")]))
    return f"{wh}/{name.replace('.', '/')}"


@pytest.mark.parametrize("version", [2, 3])
def test_peers_read_ice_tables_on_s3(ice, moto, bucket, tmp_path, version):
    from pyiceberg.table import StaticTable

    wh = f"s3://{bucket}/wh"
    if version == 3:
        ice.ok("--catalog", wh, "namespace", "create", "db")
    table = build_table(ice, wh, tmp_path, version)
    snaps = ice.ok("snapshots", table, "--json").json()
    assert len(snaps) == 4
    versions = sorted(k for k in moto.keys(bucket, f"wh/db/t{version}/metadata/") if k.endswith(".metadata.json"))
    assert versions
    # The current metadata file, as version-hint.text names it.
    hint = moto.get(bucket, f"wh/db/t{version}/metadata/version-hint.text").decode().strip()
    metadata = f"{table}/metadata/v{hint}.metadata.json"
    con = duck(moto)
    static = StaticTable.from_metadata(metadata, properties=moto.pyiceberg_properties())
    for snap in snaps:
        sid = snap["snapshot_id"]
        want = ice_rows(ice, table, str(sid))
        cols = ["id", "day", "name", "amount"]
        pyi = static.scan(snapshot_id=sid).to_arrow().to_pylist()
        assert as_tuples(pyi, cols) == as_tuples(want, cols), f"PyIceberg differs at snapshot {sid}"
        dk = con.sql(f"SELECT * FROM iceberg_scan('{metadata}', snapshot_from_id => {sid})").to_arrow_table()
        assert as_tuples(dk.to_pylist(), cols) == as_tuples(want, cols), f"DuckDB differs at snapshot {sid}"
    cur = ice_rows(ice, table)
    assert len(cur) == 28
    assert [r for r in cur if r["id"] == 100][0]["note"] == "late"


def test_ice_reads_what_pyiceberg_wrote_to_s3(ice, moto, bucket, tmp_path):
    import pyarrow as pa
    from pyiceberg.catalog.sql import SqlCatalog

    props = moto.pyiceberg_properties()
    cat = SqlCatalog("pyi", uri=f"sqlite:///{tmp_path}/pyi.db", warehouse=f"s3://{bucket}/pyi", **props)
    cat.create_namespace("ns")
    data = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": pa.array(["x", "y", None])})
    t = cat.create_table("ns.t", schema=data.schema)
    t.append(data)
    t.append(pa.table({"id": pa.array([4], pa.int64()), "name": pa.array(["w"])}))
    t.delete("id = 2")
    loc = t.metadata_location
    assert loc.startswith(f"s3://{bucket}/pyi/")
    got = ice_rows(ice, loc)
    assert norm([(r["id"], r["name"]) for r in got]) == norm([(1, "x"), (3, None), (4, "w")])
    assert len(ice.ok("snapshots", loc, "--json").json()) == len(t.metadata.snapshots)
    # ice appends to it as a file-system table (its directory), after
    # PyIceberg's NNNNN-<uuid>.metadata.json names, and PyIceberg reads that.
    from pyiceberg.table import StaticTable

    table_dir = loc.rsplit("/metadata/", 1)[0]
    ice.ok("append", table_dir, write_csv(tmp_path / "more.csv", ["id", "name"], [(5, "v")]))
    got = ice_rows(ice, table_dir)
    assert norm([(r["id"], r["name"]) for r in got]) == norm([(1, "x"), (3, None), (4, "w"), (5, "v")])
    hint = moto.get(bucket, table_dir.split(f"s3://{bucket}/", 1)[1] + "/metadata/version-hint.text").decode().strip()
    newer = StaticTable.from_metadata(f"{table_dir}/metadata/v{hint}.metadata.json", properties=props)
    assert norm([(r["id"], r["name"]) for r in newer.scan().to_arrow().to_pylist()]) == norm(
        [(1, "x"), (3, None), (4, "w"), (5, "v")])


def test_ice_registers_parquet_duckdb_wrote_to_s3(ice, moto, bucket, tmp_path):
    con = duck(moto)
    path = f"s3://{bucket}/incoming/part-0.parquet"
    con.execute(f"COPY (SELECT range::BIGINT AS id, 'v' || range AS name FROM range(1000)) TO '{path}' (FORMAT parquet)")
    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "namespace", "create", "db")
    ice.ok("--catalog", wh, "create", "db.reg", "--schema", "id long, name string")
    ice.ok("--catalog", wh, "add-files", "db.reg", path)
    rows = ice_rows(ice, f"{wh}/db/reg")
    assert len(rows) == 1000 and {r["id"] for r in rows} == set(range(1000))
    hint = moto.get(bucket, "wh/db/reg/metadata/version-hint.text").decode().strip()
    n = con.sql(f"SELECT count(*), sum(id) FROM iceberg_scan('{wh}/db/reg/metadata/v{hint}.metadata.json')").fetchone()
    assert n == (1000, sum(range(1000)))
