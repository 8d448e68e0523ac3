"""ice against the Apache Iceberg REST fixture (Java's RESTCatalogServlet
over a JdbcCatalog) and against `ice serve`: namespaces, tables, commits, register, rename, drop
and purge, every time checked against what the server holds and what
PyIceberg's RestCatalog reads through the same server."""
import json
import os

import pyarrow as pa
import pytest
from pyiceberg.catalog import load_catalog

from rest_support import clean_env, get_json, ice, ice_fails, ice_ok, local_path


def cat(server):
    return ["--catalog", server.uri]


def pyiceberg(server):
    return load_catalog("fixture", type="rest", uri=server.uri)


def rows(server, ident, snapshot_id=None):
    t = pyiceberg(server).load_table(ident)
    scan = t.scan(snapshot_id=snapshot_id) if snapshot_id else t.scan()
    return sorted(scan.to_arrow().to_pylist(), key=lambda r: (r["id"], json.dumps(r, sort_keys=True, default=str)))


def test_namespaces(server, sns):
    c = cat(server)
    ice_ok(*c, "namespace", "create", f"{sns}.sub", "--property", "owner=me", "--property", "team=x")
    ice_fails(1, *c, "namespace", "create", f"{sns}.sub")
    assert ice_ok(*c, "namespace", "list", sns).out == f"{sns}.sub\n"
    assert sns in ice_ok(*c, "--json", "namespace", "list").json()["namespaces"]
    props = ice_ok(*c, "--json", "namespace", "properties", f"{sns}.sub", "--set", "k=v", "--remove", "team").json()["properties"]
    assert props["k"] == "v" and props["owner"] == "me" and "team" not in props
    st, body = server.request("GET", f"/v1/namespaces/{sns}%2Esub")
    assert st == 200 and body["properties"]["k"] == "v"
    ice_ok(*c, "create", f"{sns}.sub.t", "--schema", "x int")
    e = ice_fails(1, *c, "namespace", "drop", f"{sns}.sub")
    assert "not empty" in e.err.lower()
    ice_ok(*c, "drop", f"{sns}.sub.t", "--purge")
    ice_ok(*c, "namespace", "drop", f"{sns}.sub")
    assert ice_ok(*c, "namespace", "list", sns).out == ""
    e = ice_fails(1, *c, "namespace", "drop", f"{sns}.sub")
    assert "NoSuchNamespaceException" in e.err


def test_tables_commits_and_purge(server, sns, tmp_path):
    c = cat(server)
    t = f"{sns}.events"
    ice_ok(*c, "create", t, "--schema", "id long, s string, d date", "--partition", "s, month(d)",
           "--property", "write.metadata.metrics.default=full")
    (tmp_path / "a.csv").write_text("id,s,d\n1,a,2024-01-05\n2,b,2024-02-07\n")
    (tmp_path / "b.csv").write_text("id,s,d\n3,a,2024-01-09\n")
    ice_ok(*c, "append", t, tmp_path / "a.csv")
    ice_ok(*c, "append", t, tmp_path / "b.csv")
    assert ice_ok(*c, "--json", "list", sns).json() == {"tables": ["events"]}
    got = rows(server, t)
    assert [r["id"] for r in got] == [1, 2, 3]
    loaded = get_json(f"{server.uri}/v1/namespaces/{sns}/tables/events")
    md = loaded["metadata"]
    assert len(md["snapshots"]) == 2 and md["properties"]["write.metadata.metrics.default"] == "full"
    assert md["partition-specs"][0]["fields"][1]["transform"] == "month"
    location = local_path(md["location"])
    assert list(location.rglob("*.parquet"))
    # ice writes under the location the server chose
    assert str(location).startswith(str(server.warehouse))
    ice_fails(1, *c, "create", t, "--schema", "x int")
    r = ice_ok(*c, "--json", "drop", t, "--purge").json()
    assert r["files_deleted"] >= 7 and r["files_outside"] == 0
    assert ice_ok(*c, "--json", "list", sns).json() == {"tables": []}
    # ice purged it, inside the location only; unreferenced files stay (the
    # fixture's Hadoop file system writes a .crc beside each metadata file)
    left = [p for p in location.rglob("*") if p.is_file()]
    assert r["files_left"] == len(left) and all(p.name.endswith(".crc") for p in left)
    e = ice_fails(1, *c, "append", t, tmp_path / "a.csv")
    assert "NoSuchTableException" in e.err


def test_register_and_rename(server, sns, tmp_path):
    c = cat(server)
    # a table written beside the catalog's tables (ice serve registers only
    # metadata inside its warehouse)
    table = server.warehouse / f"{sns}_written_elsewhere"
    ice_ok("create", table, "--schema", "id long")
    (tmp_path / "a.csv").write_text("id\n7\n8\n")
    ice_ok("append", table, tmp_path / "a.csv")
    r = ice_ok(*c, "--json", "register", f"{sns}.reg", table).json()
    assert r["table"] == f"{sns}.reg" and r["metadata_location"].endswith(".metadata.json")
    assert [x["id"] for x in rows(server, f"{sns}.reg")] == [7, 8]
    e = ice_fails(1, *c, "register", f"{sns}.reg", table)
    assert "AlreadyExistsException" in e.err
    first = table / "metadata" / "v1.metadata.json"
    if hasattr(server, "serve"):
        # ice serve takes overwrite: the table's next version is v1's state
        ice_ok(*c, "register", f"{sns}.reg", first, "--overwrite")
        assert rows(server, f"{sns}.reg") == []
        ice_ok(*c, "register", f"{sns}.reg", table, "--overwrite")
    else:
        # the Java fixture does not (406): said so, nothing changed
        e = ice_fails(1, *c, "register", f"{sns}.reg", first, "--overwrite")
        assert "406 UnsupportedOperationException" in e.err
    assert [x["id"] for x in rows(server, f"{sns}.reg")] == [7, 8]
    ice_ok(*c, "rename", f"{sns}.reg", f"{sns}.moved")
    assert ice_ok(*c, "--json", "list", sns).json() == {"tables": ["moved"]}
    ice_ok(*c, "append", f"{sns}.moved", tmp_path / "a.csv")
    assert [x["id"] for x in rows(server, f"{sns}.moved")] == [7, 7, 8, 8]
    e = ice_fails(1, *c, "rename", f"{sns}.reg", f"{sns}.other")
    assert "NoSuchTableException" in e.err
    assert ice(*c, "register", f"{sns}.x").code == 2
    ice_fails(1, *c, "register", f"{sns}.x", tmp_path / "missing.json")


def test_named_catalog_from_the_config_file_and_environment(server, sns, tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text(f"default-catalog = prod\ncatalog.prod.uri = {server.uri}\n"
                   "catalog.prod.credential = client:s3cr3t\ncatalog.prod.header.X-Client = ice-tests\n")
    env = clean_env(ICE_CONFIG=cfg)
    ice_ok("create", f"{sns}.named", "--schema", "x int", env=env)
    ice_ok("--catalog", "prod", "--json", "list", sns, env=env)
    assert ice_ok("--json", "list", sns, env=env).json() == {"tables": ["named"]}
    # the environment wins over the file (a warehouse the server does not know fails)
    env2 = dict(env, ICE_CATALOG__PROD__URI="http://127.0.0.1:1")
    ice_fails(1, "--json", "list", sns, env=env2)
    # an http(s) --catalog takes ICE_REST_* settings
    r = ice(*cat(server), "namespace", "list", env=clean_env(ICE_REST_REST__CLIENT__MAX_RETRIES="x"))
    assert r.code == 1 and "rest.client.max-retries" in r.err


def test_alter_tag_rollback_and_delete_through_rest(server, sns, tmp_path):
    c = cat(server)
    t = f"{sns}.evo"
    ice_ok(*c, "create", t, "--schema", "id long, s string")
    (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n3,c\n")
    ice_ok(*c, "append", t, tmp_path / "a.csv")
    first = get_json(f"{server.uri}/v1/namespaces/{sns}/tables/evo")["metadata"]["current-snapshot-id"]
    ice_ok(*c, "alter", t, "--add-column", "n int", "--rename", "s=name")
    ice_ok(*c, "tag", "create", t, "v1", "--snapshot", str(first))
    ice_ok(*c, "delete", t, "--where", "id = 2")
    assert [r["id"] for r in rows(server, t)] == [1, 3]
    md = get_json(f"{server.uri}/v1/namespaces/{sns}/tables/evo")["metadata"]
    assert md["refs"]["v1"] == {"snapshot-id": first, "type": "tag"}
    assert [f["name"] for f in md["schemas"][-1]["fields"]] == ["id", "name", "n"]
    ice_ok(*c, "rollback", t, "--to", str(first))
    assert [r["id"] for r in rows(server, t)] == [1, 2, 3]
    ice_ok(*c, "alter", t, "--sort", "id desc", "--set", "a=b")
    md = get_json(f"{server.uri}/v1/namespaces/{sns}/tables/evo")["metadata"]
    assert md["properties"]["a"] == "b" and md["default-sort-order-id"] == 1
    ice_ok(*c, "rewrite-manifests", t)


def test_maintenance_through_rest(server, sns, tmp_path):
    """expire-snapshots commits through the server, then deletes only what
    the expired snapshots alone reached; remove-orphan-files lists the
    location the server chose and deletes only unreachable old files."""
    c = cat(server)
    t = f"{sns}.maint"
    ice_ok(*c, "create", t, "--schema", "id long")
    for i in range(4):
        (tmp_path / f"{i}.csv").write_text(f"id\n{i}\n")
        ice_ok(*c, "append", t, tmp_path / f"{i}.csv")
    md = get_json(f"{server.uri}/v1/namespaces/{sns}/tables/maint")["metadata"]
    assert len(md["snapshots"]) == 4
    r = ice_ok(*c, "--json", "expire-snapshots", t, "--retain-last", "2", "--older-than", "0s").json()
    md = get_json(f"{server.uri}/v1/namespaces/{sns}/tables/maint")["metadata"]
    assert len(md["snapshots"]) == 2
    assert [x["id"] for x in rows(server, t)] == [0, 1, 2, 3]  # fast appends: every file still live
    assert r  # a summary
    location = local_path(md["location"])
    orphan = location / "data" / "orphan.parquet"
    orphan.write_bytes(b"PAR1")
    os.utime(orphan, (1, 1))
    dry = ice_ok(*c, "--json", "remove-orphan-files", t, "--dry-run").json()
    assert orphan.exists() and str(orphan) in json.dumps(dry)
    ice_ok(*c, "remove-orphan-files", t)
    assert not orphan.exists()
    assert [x["id"] for x in rows(server, t)] == [0, 1, 2, 3]
