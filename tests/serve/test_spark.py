"""Spark's REST catalog through ice serve: Spark creates, appends, evolves,
deletes (position deletes), time-travels and maintains a table; PyIceberg,
DuckDB (both through the server) and ice (reading the warehouse directly)
see the same rows at each step; Spark reads what PyIceberg and ice wrote."""
import json
import sys

import pyarrow as pa

import serve_support as S

sys.path.insert(0, str(S.REPO / "tests"))
from peers import spark as SP  # noqa: E402


def spark_rows(q):
    return sorted(tuple(r) for r in SP.rows(q))


def pyiceberg_rows(uri, ident, cols, snapshot_id=None):
    t = S.pyiceberg_catalog(uri).load_table(ident)
    scan = t.scan(snapshot_id=snapshot_id) if snapshot_id else t.scan()
    return sorted(tuple(r[c] for c in cols) for r in scan.to_arrow().to_pylist())


def duckdb_rows(uri, q):
    con = S.duckdb_connect()
    S.duckdb_attach(con, uri)
    return sorted(tuple(r) for r in con.execute(q).fetchall())


def ice_rows(server, ident, cols, *extra):
    d = server.warehouse / ident.replace(".", "/")
    p = S.ice("scan", d, "--format", "jsonl", *extra)
    return sorted(tuple(json.loads(x)[c] for c in cols) for x in p.stdout.split())


def test_spark_through_ice_serve(server):
    SP.rest_catalog("ice", server.uri, cache_enabled="false")
    SP.sql("CREATE NAMESPACE ice.sp")
    SP.sql("CREATE TABLE ice.sp.t (id BIGINT, name STRING) USING iceberg PARTITIONED BY (bucket(4, id)) "
           "TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read')")
    SP.sql("INSERT INTO ice.sp.t SELECT id, concat('n', CAST(id AS STRING)) FROM range(20)")
    first = SP.rows("SELECT snapshot_id FROM ice.sp.t.snapshots ORDER BY committed_at")[0][0]
    SP.sql("DELETE FROM ice.sp.t WHERE id % 5 = 0")
    SP.sql("ALTER TABLE ice.sp.t ADD COLUMN score DOUBLE")
    SP.sql("INSERT INTO ice.sp.t VALUES (100, 'big', 1.5)")
    want = sorted([(i, f"n{i}", None) for i in range(20) if i % 5] + [(100, "big", 1.5)])
    assert spark_rows("SELECT id, name, score FROM ice.sp.t") == want
    assert pyiceberg_rows(server.uri, "sp.t", ("id", "name", "score")) == want
    assert duckdb_rows(server.uri, "SELECT id, name, score FROM c.sp.t") == want
    assert ice_rows(server, "sp.t", ("id", "name", "score")) == want
    # position deletes were written (merge-on-read) and everyone applied them
    deletes = SP.rows("SELECT count(*) FROM ice.sp.t.delete_files")[0][0]
    assert deletes > 0
    # time travel
    old = sorted((i, f"n{i}") for i in range(20))
    assert spark_rows(f"SELECT id, name FROM ice.sp.t VERSION AS OF {first}") == old
    assert pyiceberg_rows(server.uri, "sp.t", ("id", "name"), first) == old
    assert ice_rows(server, "sp.t", ("id", "name"), "--snapshot", str(first)) == old
    # maintenance by Spark's procedures, through the server
    SP.sql("CALL ice.system.rewrite_data_files(table => 'sp.t', options => map('rewrite-all', 'true'))")
    SP.sql("CALL ice.system.rewrite_manifests(table => 'sp.t')")
    assert spark_rows("SELECT id, name, score FROM ice.sp.t") == want
    assert pyiceberg_rows(server.uri, "sp.t", ("id", "name", "score")) == want
    assert ice_rows(server, "sp.t", ("id", "name", "score")) == want

    # Spark reads what PyIceberg (through the server) and ice (directly) wrote.
    cat = S.pyiceberg_catalog(server.uri)
    t = cat.load_table("sp.t")
    t.append(pa.table({"id": [200], "name": ["py"], "score": [2.0]},
                      schema=pa.schema([("id", pa.int64()), ("name", pa.string()), ("score", pa.float64())])))
    csv = server.warehouse / "spark-more.csv"
    csv.write_text("id,name,score\n300,ice,3.0\n")
    S.ice("--catalog", server.warehouse, "append", "sp.t", csv)
    want += [(200, "py", 2.0), (300, "ice", 3.0)]
    assert spark_rows("SELECT id, name, score FROM ice.sp.t") == sorted(want)
    assert duckdb_rows(server.uri, "SELECT id, name, score FROM c.sp.t") == sorted(want)
    # the history Spark sees is one chain
    snaps = SP.rows("SELECT snapshot_id, parent_id FROM ice.sp.t.snapshots")
    assert len(snaps) >= 7
    SP.sql("DROP TABLE ice.sp.t PURGE")
    assert S.Http(server.uri).req("HEAD", "/v1/namespaces/sp/tables/t")[0] == 404
    # Spark 3.5 with Iceberg 1.12 sends DROP TABLE ... PURGE to a REST catalog
    # as a plain drop (no purgeRequested): the server drops the name and the
    # files stay, as a drop without purge keeps them.
    assert "DELETE /v1/ice/namespaces/sp/tables/t 204" in server.log.read_text()
    assert any((server.warehouse / "sp" / "t" / "data").rglob("*.parquet"))
