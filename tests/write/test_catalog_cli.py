"""Catalog housekeeping through the CLI, on the file-system catalog and on a
REST catalog (the Apache Iceberg REST fixture) alike: namespaces, listing,
tables by name, the configuration file, drop and drop --purge (every
referenced file under the location, nothing outside it; a REST server does
the purging itself)."""
import os

import pyarrow as pa
import pyarrow.parquet as pq

from support import ice_fails, ice_ok, pyiceberg_rows


def test_namespaces_tables_and_purge(tmp_path, catalog):
    c = catalog.args
    db = catalog.ns("db")
    ice_ok(*c, "namespace", "create", db, "--property", "owner=me")
    ice_fails(1, *c, "namespace", "create", db)
    ice_ok(*c, "namespace", "create", f"{db}.sub")
    assert db in ice_ok(*c, "--json", "namespace", "list").json()["namespaces"]
    assert ice_ok(*c, "namespace", "list", db).out == f"{db}.sub\n"
    props = ice_ok(*c, "--json", "namespace", "properties", db, "--set", "k=v", "--remove", "owner").json()["properties"]
    assert props["k"] == "v" and "owner" not in props and props["location"].endswith(f"/{db}")
    ice_ok(*c, "create", f"{db}.events", "--schema", "id long, s string", "--partition", "s")
    (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n")
    ice_ok(*c, "append", f"{db}.events", tmp_path / "a.csv")
    ice_ok(*c, "append", f"{db}.events", tmp_path / "a.csv")
    assert ice_ok(*c, "--json", "list", db).json() == {"tables": ["events"]}
    assert len(pyiceberg_rows(catalog.metadata_file(f"{db}.events"))) == 4
    e = ice_fails(1, *c, "namespace", "drop", db)
    assert "not empty" in e.err.lower()
    # an outside file registered with add-files survives the purge
    ext = tmp_path / "ext.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 9, "s": "a"}], schema=pa.schema([
        pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"}),
        pa.field("s", pa.string(), metadata={"PARQUET:field_id": "2"})])), ext)
    ice_ok(*c, "add-files", f"{db}.events", ext)
    # adding it again (or twice in one call) would count its rows twice and
    # break every later change that removes it: refused, nothing committed
    before = ice_ok(*c, "--json", "snapshots", f"{db}.events").json()
    assert "already in table" in ice_fails(1, *c, "add-files", f"{db}.events", ext).err
    assert "given twice" in ice_fails(1, *c, "add-files", f"{db}.events", ext, ext).err
    assert ice_ok(*c, "--json", "snapshots", f"{db}.events").json() == before
    ice_ok(*c, "overwrite", f"{db}.events", tmp_path / "a.csv", "--where", "id = 9")
    ice_ok(*c, "add-files", f"{db}.events", ext)  # no longer listed: may be added back
    location = catalog.table_dir(f"{db}.events")
    r = ice_ok(*c, "--json", "drop", f"{db}.events", "--purge").json()
    assert r["files_outside"] == 1 and r["files_deleted"] > 10
    assert ext.exists()
    # What is left is what nothing references (the Java REST fixture's
    # Hadoop file system writes a .crc beside each metadata file)
    left = [p for p in location.rglob("*") if p.is_file()] if location.exists() else []
    assert r["files_left"] == len(left) and all(p.name.endswith(".crc") for p in left)
    ice_fails(1, *c, "drop", f"{db}.events")
    ice_ok(*c, "namespace", "drop", f"{db}.sub")
    ice_ok(*c, "namespace", "drop", db)
    assert db not in ice_ok(*c, "--json", "list").json()["namespaces"]


def test_named_catalog_from_config_file(tmp_path, catalog):
    uri = catalog.args[1]
    cfg = tmp_path / "config"
    cfg.write_text(f"default-catalog = main\ncatalog.main.uri = {uri}\n")
    env = dict(os.environ, ICE_CONFIG=str(cfg))
    env.pop("ICE_CATALOG", None)
    ns = catalog.ns("ns")
    ice_ok("namespace", "create", ns, env=env)
    ice_ok("create", f"{ns}.t", "--schema", "x int", env=env)
    assert ice_ok("--json", "list", ns, env=env).json() == {"tables": ["t"]}
    md = catalog.metadata_file(f"{ns}.t")
    assert md.exists()
    ice_ok("drop", f"{ns}.t", env=env)
    if catalog.kind == "fs":
        assert not md.exists()
    assert ice_ok("--json", "list", ns, env=env).json() == {"tables": []}


def test_register_and_rename(tmp_path, catalog):
    c = catalog.args
    db = catalog.ns("reg")
    ice_ok(*c, "namespace", "create", db)
    ice_ok(*c, "create", f"{db}.src", "--schema", "id long")
    (tmp_path / "a.csv").write_text("id\n1\n2\n")
    ice_ok(*c, "append", f"{db}.src", tmp_path / "a.csv")
    r = ice_ok(*c, "--json", "register", f"{db}.copy", catalog.metadata_file(f"{db}.src")).json()
    assert r["table"] == f"{db}.copy"
    assert sorted(x["id"] for x in pyiceberg_rows(catalog.metadata_file(f"{db}.copy"))) == [1, 2]
    e = ice_fails(1, *c, "register", f"{db}.copy", catalog.metadata_file(f"{db}.src"))
    assert "exists" in e.err.lower()
    ice_ok(*c, "rename", f"{db}.copy", f"{db}.moved")
    assert ice_ok(*c, "--json", "list", db).json() == {"tables": ["moved", "src"]}
    ice_ok(*c, "append", f"{db}.moved", tmp_path / "a.csv")
    assert sorted(x["id"] for x in pyiceberg_rows(catalog.metadata_file(f"{db}.moved"))) == [1, 1, 2, 2]
    ice_fails(1, *c, "rename", f"{db}.copy", f"{db}.other")
