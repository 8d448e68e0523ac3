"""ice reads Iceberg tables DuckDB wrote to S3: DuckDB (iceberg + httpfs
extensions) creates, inserts into and deletes from tables of the Apache
Iceberg REST fixture whose FileIO is Java's S3FileIO on moto, so DuckDB
writes the data, delete files and manifests and Java the metadata files,
all on S3; ice reads each table by its metadata file and by its directory."""
import json
import sys

import pytest

from conftest import REPO, duck

sys.path.insert(0, str(REPO / "tests" / "peers"))
import rest_fixture  # noqa: E402


@pytest.fixture(scope="module")
def java_s3_catalog(moto, tmp_path_factory):
    moto.bucket("javawh")
    env = dict(moto.env())
    env.update({
        "CATALOG_WAREHOUSE": "s3://javawh/",
        "CATALOG_IO__IMPL": "org.apache.iceberg.aws.s3.S3FileIO",
        "CATALOG_S3_ENDPOINT": moto.endpoint,
        "CATALOG_S3_PATH__STYLE__ACCESS": "true",
    })
    with rest_fixture.RestFixture(tmp_path_factory.mktemp("java-s3"), env=env) as f:
        yield f


def ice_rows(ice, table, cols):
    out = ice.ok("scan", table, "--format", "jsonl").out
    return sorted(tuple(json.loads(x)[c] for c in cols) for x in out.splitlines() if x)


def test_ice_reads_tables_duckdb_wrote_to_s3(ice, moto, java_s3_catalog):
    con = duck(moto, attach=java_s3_catalog.uri)
    con.execute("CREATE SCHEMA c.duck")
    con.execute("CREATE TABLE c.duck.t (id BIGINT, name VARCHAR, d DATE, amount DECIMAL(9, 2))")
    con.execute("INSERT INTO c.duck.t SELECT range, 'n' || range, DATE '2024-01-01' + range::INT, range * 1.5 "
                "FROM range(1000)")
    con.execute("INSERT INTO c.duck.t VALUES (5000, NULL, NULL, NULL)")
    con.execute("DELETE FROM c.duck.t WHERE id % 7 = 0")
    want = sorted((r[0], r[1], None if r[2] is None else str(r[2]), None if r[3] is None else str(r[3]))
                  for r in con.sql("SELECT id, name, d, amount FROM c.duck.t").fetchall())
    assert len(want) == 1000 - 143 + 1
    status, body = java_s3_catalog.request("GET", "/v1/namespaces/duck/tables/t")
    assert status == 200
    metadata = body["metadata-location"]
    assert metadata.startswith("s3://javawh/duck/t/metadata/")
    cols = ("id", "name", "d", "amount")
    assert ice_rows(ice, metadata, cols) == want
    # By its directory: no version-hint.text, the highest NNNNN-<uuid> file.
    assert ice_rows(ice, "s3://javawh/duck/t", cols) == want
    snaps = ice.ok("snapshots", metadata, "--json").json()
    assert [s["summary"]["operation"] for s in snaps][-1] in ("delete", "overwrite")
    files = ice.ok("files", metadata, "--json").json()
    assert any(f["entry"]["data_file"]["content"] == 1 for f in files)  # DuckDB's position deletes
