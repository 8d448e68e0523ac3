"""PyIceberg and ice evolving and appending to one table in turn: each sees
the other's schema, spec and snapshots, ids continue where the other left
them, and every row appended by either is read back by both peers."""
import pyarrow as pa
from pyiceberg.types import StringType

from support import (DirectoryCatalog, append_rows, canon, duckdb_rows, ice_ok, metadata, pyiceberg_rows)


def test_pyiceberg_and_ice_evolve_one_table(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, name string, qty int", "--partition", "bucket(2, id)")
    expected = []

    def add_ice(rows, *extra):
        append_rows(t, rows, tmp_path, *extra)
        expected.extend(rows)

    add_ice([{"id": 1, "name": "a", "qty": 1}, {"id": 2, "name": "b", "qty": None}])

    # PyIceberg: add a column, rename one, append with its own writer
    cat = DirectoryCatalog()
    tbl = cat.load_table(t)
    with tbl.update_schema() as u:
        u.add_column("note", StringType())
        u.rename_column("name", "label")
    tbl = cat.load_table(t)
    tbl.append(pa.Table.from_pylist([{"id": 3, "label": "c", "qty": 3, "note": "py"}], schema=tbl.schema().as_arrow()))
    for r in expected:
        r["label"] = r.pop("name")
        r["note"] = None
    expected.append({"id": 3, "label": "c", "qty": 3, "note": "py"})

    # ice: sees PyIceberg's schema; widens, adds a column with the next id, evolves the spec
    md = metadata(t)
    assert md["last-column-id"] == 4
    ice_ok("alter", t, "--widen", "qty=long", "--add-column", "flag boolean", "--add-partition", "label")
    assert [f["id"] for f in metadata(t)["schemas"][-1]["fields"]] == [1, 2, 3, 4, 5]
    for r in expected:
        r["flag"] = None
    add_ice([{"id": 4, "label": "d", "qty": 4_000_000_000, "note": None, "flag": True}])

    # PyIceberg again: sees ice's spec and schema; evolves the spec, appends
    tbl = cat.load_table(t)
    assert [f.name for f in tbl.spec().fields] == ["id_bucket", "label"]
    with tbl.update_spec() as us:
        us.remove_field("id_bucket")
    tbl = cat.load_table(t)
    tbl.append(pa.Table.from_pylist([{"id": 5, "label": "e", "qty": 5, "note": None, "flag": False}],
                                    schema=tbl.schema().as_arrow()))
    expected.append({"id": 5, "label": "e", "qty": 5, "note": None, "flag": False})

    # ice: rename, tag, append; PyIceberg appends last
    ice_ok("alter", t, "--rename", "note=comment", "--add-partition", "bucket(2, id)")
    for r in expected:
        r["comment"] = r.pop("note")
    ice_ok("tag", "create", t, "mixed")
    add_ice([{"id": 6, "label": "f", "qty": 6, "comment": "ice", "flag": None}])
    tbl = cat.load_table(t)
    tbl.append(pa.Table.from_pylist([{"id": 7, "label": "g", "qty": 7, "comment": "py2", "flag": True}],
                                    schema=tbl.schema().as_arrow()))
    expected.append({"id": 7, "label": "g", "qty": 7, "comment": "py2", "flag": True})

    md = metadata(t)
    assert len(md["snapshots"]) == 6
    assert [s["sequence-number"] for s in md["snapshots"]] == [1, 2, 3, 4, 5, 6]
    # the bucket field came back with its first id
    spec = [s for s in md["partition-specs"] if s["spec-id"] == md["default-spec-id"]][0]
    assert [(f["name"], f["field-id"]) for f in spec["fields"]] == [("label", 1001), ("id_bucket", 1000)]
    assert canon(pyiceberg_rows(t)) == canon(expected)
    assert canon(duckdb_rows(t)) == canon(expected)
    # ice reads it all too: its manifests list every file exactly once
    files = ice_ok("--json", "files", t).json()
    assert sum(f["entry"]["data_file"]["record_count"] for f in files) == len(expected)
    assert len({f["entry"]["data_file"]["file_path"] for f in files}) == len(files) == 6
