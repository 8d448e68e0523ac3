"""Catalog housekeeping through the CLI: namespaces, listing, tables by
name, the configuration file, drop and drop --purge (every referenced file
under the location, nothing outside it)."""
import json

from support import ice_fails, ice_ok, pyiceberg_rows, current_metadata


def test_namespaces_tables_and_purge(tmp_path):
    wh = tmp_path / "wh"
    c = ["--catalog", wh]
    ice_ok(*c, "namespace", "create", "db", "--property", "owner=me")
    ice_fails(1, *c, "namespace", "create", "db")
    ice_ok(*c, "namespace", "create", "db.sub")
    assert ice_ok(*c, "--json", "namespace", "list").json() == {"namespaces": ["db"]}
    assert ice_ok(*c, "namespace", "list", "db").out == "db.sub\n"
    props = ice_ok(*c, "--json", "namespace", "properties", "db", "--set", "k=v", "--remove", "owner").json()["properties"]
    assert props["k"] == "v" and "owner" not in props and props["location"].endswith("/wh/db")
    ice_ok(*c, "create", "db.events", "--schema", "id long, s string", "--partition", "s")
    (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n")
    ice_ok(*c, "append", "db.events", tmp_path / "a.csv")
    ice_ok(*c, "append", "db.events", tmp_path / "a.csv")
    assert ice_ok(*c, "--json", "list", "db").json() == {"tables": ["events"]}
    assert len(pyiceberg_rows(current_metadata(wh / "db" / "events"))) == 4
    e = ice_fails(1, *c, "namespace", "drop", "db")
    assert "not empty" in e.err
    # an outside file registered with add-files survives the purge
    import pyarrow as pa
    import pyarrow.parquet as pq
    ext = tmp_path / "ext.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 9, "s": "a"}], schema=pa.schema([
        pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"}),
        pa.field("s", pa.string(), metadata={"PARQUET:field_id": "2"})])), ext)
    ice_ok(*c, "add-files", "db.events", ext)
    r = ice_ok(*c, "--json", "drop", "db.events", "--purge").json()
    assert r["files_outside"] == 1 and r["files_left"] == 0 and r["files_deleted"] > 10
    assert ext.exists()
    assert not (wh / "db" / "events").exists()
    ice_fails(1, *c, "drop", "db.events")
    ice_ok(*c, "namespace", "drop", "db.sub")
    ice_ok(*c, "namespace", "drop", "db")
    assert ice_ok(*c, "--json", "list").json() == {"namespaces": []}


def test_named_catalog_from_config_file(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text(f"default-catalog = main\ncatalog.main.uri = {tmp_path / 'wh'}\n")
    import os
    env = dict(os.environ, ICE_CONFIG=str(cfg))
    env.pop("ICE_CATALOG", None)
    ice_ok("namespace", "create", "ns", env=env)
    ice_ok("create", "ns.t", "--schema", "x int", env=env)
    assert ice_ok("--json", "list", "ns", env=env).json() == {"tables": ["t"]}
    assert (tmp_path / "wh" / "ns" / "t" / "metadata" / "v1.metadata.json").exists()
    ice_ok("drop", "ns.t", env=env)
    assert not (tmp_path / "wh" / "ns" / "t" / "metadata" / "v1.metadata.json").exists()
