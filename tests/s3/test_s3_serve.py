"""`ice serve` over an s3:// warehouse on moto: PyIceberg, with no AWS
credentials of its own, gets them vended by the server
(X-Iceberg-Access-Delegation: vended-credentials), creates a table, appends
and reads; DuckDB reads through the server; ice reads the same table
directly from S3, and what the server published are conditional PUTs (no
metadata version replaced). The vended secret shows in no output of the
server and in no file it wrote."""
import json
import pathlib
import sys
import urllib.request

import moto_s3
from conftest import duck, rows_of_csv, write_csv

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "serve"))
from serve_support import IceServe  # noqa: E402


def test_serve_on_s3_vends_credentials(ice, moto, bucket, tmp_path):
    import pyarrow as pa
    from pyiceberg.catalog import load_catalog

    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "namespace", "create", "db")
    ice.ok("--catalog", wh, "create", "db.seed", "--schema", "id long, name string")
    ice.ok("--catalog", wh, "append", "db.seed", write_csv(tmp_path / "a.csv", ["id", "name"], [(1, "a"), (2, "b")]))

    conf = tmp_path / "serve.conf"
    conf.write_text("\n".join([
        "vend-credentials = true",
        f"credentials.s3.access-key-id = {moto_s3.ACCESS_KEY}",
        f"credentials.s3.secret-access-key = {moto_s3.SECRET_KEY}",
        f"credentials.s3.endpoint = {moto.endpoint}",
        "credentials.s3.path-style-access = true",
        f"credentials.client.region = {moto_s3.REGION}",
    ]) + "\n")
    env = {**ice.run_env(), "AWS_ACCESS_KEY_ID": moto_s3.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": moto_s3.SECRET_KEY}
    log = tmp_path / "access.log"
    with IceServe(wh, config=conf, env=env, log=log) as srv:
        cat = load_catalog("r", type="rest", uri=srv.uri,
                           **{"header.X-Iceberg-Access-Delegation": "vended-credentials"})
        assert ("db",) in cat.list_namespaces()
        seed = cat.load_table("db.seed")
        assert seed.io.properties["s3.access-key-id"] == moto_s3.ACCESS_KEY
        assert sorted(seed.scan().to_arrow().column("id").to_pylist()) == [1, 2]
        seed.append(pa.table({"id": pa.array([3], pa.int64()), "name": ["c"]}))
        t = cat.create_table("db.made", schema=pa.schema([pa.field("x", pa.int64()), pa.field("s", pa.string())]))
        assert t.location().startswith(f"{wh}/db/made")
        for i in range(3):
            t.append(pa.table({"x": pa.array([i * 2, i * 2 + 1], pa.int64()), "s": [f"r{i}", f"q{i}"]}))
        con = duck(moto, attach=srv.uri)
        assert sorted(r[0] for r in con.execute("SELECT x FROM c.db.made").fetchall()) == list(range(6))
        assert sorted(r[0] for r in con.execute("SELECT id FROM c.db.seed").fetchall()) == [1, 2, 3]
        con.close()
        # A client that does not ask for credentials gets none (PyIceberg always asks).
        with urllib.request.urlopen(f"{srv.uri}/v1/ice/namespaces/db/tables/made") as r:
            plain = json.loads(r.read())
        assert plain["metadata"]["location"].startswith(wh)
        assert not plain.get("storage-credentials") and "s3.secret-access-key" not in plain.get("config", {}), plain
        code, err = srv.stop()
    assert code == 0

    # ice reads what PyIceberg committed through the server, directly from S3.
    out = ice.ok("scan", f"{wh}/db/made").out
    assert sorted(int(r[0]) for r in rows_of_csv(out)) == list(range(6))
    assert sorted(int(r[0]) for r in rows_of_csv(ice.ok("scan", f"{wh}/db/seed").out)) == [1, 2, 3]
    versions = sorted(k for k in moto.keys(bucket, "wh/db/made/metadata/") if k.endswith(".metadata.json"))
    assert len(versions) == 4, versions  # create + three appends, none replaced

    # The vended secret is in no output of the server and no file it wrote.
    assert moto_s3.SECRET_KEY not in err and moto_s3.SECRET_KEY not in log.read_text()
    for key in moto.keys(bucket, "wh/"):
        assert moto_s3.SECRET_KEY.encode() not in moto.get(bucket, key), key
