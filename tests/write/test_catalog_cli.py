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


def test_two_writers_adding_one_file_land_it_once(tmp_path):
    """Both pass the check made before their first attempt (their writes are
    slowed so they overlap); the one that loses the race retries, finds the
    file listed by the winner's commit and fails, so the table lists it once."""
    import subprocess
    from support import fault_env, ice_bin
    ext = tmp_path / "ext.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 9}], schema=pa.schema([
        pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"})])), ext)
    retried = 0
    for k in range(3):
        t = tmp_path / f"t{k}"
        ice_ok("create", t, "--schema", "id long")
        env = fault_env(ICE_FAULT_SLOW_US=20000)
        procs = [subprocess.Popen([ice_bin(), "-v", "add-files", str(t), str(ext)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        codes = sorted(rc for rc, _ in results)
        assert codes == [0, 1], results
        loser = next(err for rc, err in results if rc == 1)
        assert "already in table" in loser, loser
        retried += "retry" in loser.lower()
        rows = ice_ok("--json", "scan", t).out.strip().splitlines()
        assert rows == ['{"id":9}'], rows
    assert retried, "no round had the loser retry: the race was never run"
