"""Tables created and appended to by ice (every type of the schema
language, several partition transforms, format v1, v2 and v3) read by
PyIceberg and by DuckDB's iceberg extension with the same rows at every
snapshot; snapshot summaries with Java's fields; ice and PyIceberg appending
to the same table in turn with every row accounted for."""
import json
import pathlib

import pyarrow as pa
import pytest

from support import (DirectoryCatalog, canon, current_metadata, duckdb_rows, ice_fails, ice_ok, metadata_files,
                           pyiceberg_rows, pyiceberg_table)

SCHEMA = ("id long required, b boolean, i int, f float, d double, dec decimal(10,2), dt date, tm time, "
          "ts timestamp, tstz timestamptz, s string, u uuid, fx fixed[4], bin binary, "
          "tags list<string>, m map<string, long>, st struct<x: int, y: string>")

JAVA_FIELDS = ["added-data-files", "added-records", "added-files-size", "changed-partition-count",
               "total-records", "total-files-size", "total-data-files", "total-delete-files",
               "total-position-deletes", "total-equality-deletes"]


def rows(start, n):
    out = []
    for k in range(start, start + n):
        out.append({
            "id": k, "b": k % 2 == 0, "i": k * 3 - 7, "f": k / 4, "d": k * 1.5, "dec": f"{k}.{k % 100:02d}",
            "dt": f"2024-0{1 + k % 3}-1{k % 9}", "tm": f"12:{k % 60:02d}:01", "ts": f"2023-12-31T23:{k % 60:02d}:00",
            "tstz": f"2024-01-0{1 + k % 5}T0{k % 10}:00:00Z", "s": f"name {k}, \"quoted\"" if k % 7 else None,
            "u": f"f79c3e09-677c-4bbd-a479-3f349cb7{k:04d}", "fx": f"{k:08x}", "bin": f"{k:04x}ff",
            "tags": [f"t{k}", "x"] if k % 3 else [], "m": {"a": k, "b": -k} if k % 4 else None,
            "st": {"x": k, "y": f"y{k}"} if k % 5 else None,
        })
    return out


def write_jsonl(path, recs):
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def write_csv(path, recs):
    cols = list(recs[0].keys())
    lines = [",".join(cols)]
    for r in recs:
        cells = []
        for c in cols:
            v = r[c]
            if v is None:
                cells.append("")
            elif isinstance(v, (list, dict)):
                cells.append('"' + json.dumps(v).replace('"', '""') + '"')
            elif isinstance(v, bool):
                cells.append("true" if v else "false")
            else:
                s = str(v)
                cells.append('"' + s.replace('"', '""') + '"' if ("," in s or '"' in s) else s)
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def check_all_snapshots(table):
    """Every snapshot reads the same in PyIceberg and DuckDB."""
    md_path = current_metadata(table)
    md = json.loads(md_path.read_text())
    for snap in md["snapshots"]:
        a = canon(pyiceberg_rows(md_path, snap["snapshot-id"]))
        b = canon(duckdb_rows(md_path, snap["snapshot-id"]))
        assert a == b, f"snapshot {snap['snapshot-id']} differs"
        assert len(a) == int(snap["summary"]["total-records"])
    return md


@pytest.mark.parametrize("version,partition", [
    (1, "day(tstz), bucket(4, id)"),
    (2, "month(dt), truncate(3, s), identity(b)"),
    (3, "year(ts), hour(tstz), bucket(3, s)"),
    (2, ""),
])
def test_every_type_read_by_pyiceberg_and_duckdb(tmp_path, version, partition):
    t = tmp_path / "t"
    args = ["create", t, "--schema", SCHEMA, "--format-version", version]
    if partition:
        args += ["--partition", partition]
    ice_ok(*args)
    ice_ok("append", t, write_jsonl(tmp_path / "a.jsonl", rows(0, 40)))
    ice_ok("append", t, write_csv(tmp_path / "b.csv", rows(40, 35)))
    ice_ok("append", t, write_jsonl(tmp_path / "c.json", rows(75, 1)))
    md = check_all_snapshots(t)
    assert md["format-version"] == version
    assert len(md["snapshots"]) == 3
    got = canon(pyiceberg_rows(current_metadata(t)))
    assert [r["id"] for r in sorted(got, key=lambda r: r["id"])] == list(range(76))
    # values survive: compare a few columns with what was written
    by_id = {r["id"]: r for r in got}
    for src in rows(0, 76):
        r = by_id[src["id"]]
        assert r["s"] == src["s"] and r["dec"] == src["dec"] and r["tags"] == src["tags"]
        assert r["st"] == src["st"]
    for snap in md["snapshots"]:
        for f in JAVA_FIELDS:
            assert f in snap["summary"], f
        assert snap["summary"]["operation"] == "append"
        if version >= 2:
            assert snap["sequence-number"] >= 1
        if version >= 3:
            assert "first-row-id" in snap and "added-rows" in snap
    if version >= 3:
        assert md["next-row-id"] == 76


def test_ice_and_pyiceberg_append_in_turn(tmp_path):
    # a table ice created, then PyIceberg appends, then ice again, then PyIceberg
    t = tmp_path / "shared"
    # identity: PyIceberg applies other transforms only with pyiceberg-core
    ice_ok("create", t, "--schema", "id long required, s string, ts timestamptz", "--partition", "s")
    ice_ok("append", t, write_jsonl(tmp_path / "1.jsonl", [{"id": i, "s": f"ice{i}", "ts": "2024-01-01T00:00:00Z"}
                                                           for i in range(10)]))
    cat = DirectoryCatalog()
    import datetime
    tz = datetime.timezone.utc
    arrow_schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("s", pa.string()),
                              pa.field("ts", pa.timestamp("us", tz="UTC"))])
    tbl = cat.load_table(str(t))
    tbl.append(pa.Table.from_pylist([{"id": 10 + i, "s": f"py{i}", "ts": datetime.datetime(2024, 1, 2, tzinfo=tz)}
                                     for i in range(5)], schema=arrow_schema))
    ice_ok("append", t, write_jsonl(tmp_path / "2.jsonl", [{"id": 15 + i, "s": f"ice{i}", "ts": "2024-01-03T00:00:00Z"}
                                                           for i in range(7)]))
    tbl = cat.load_table(str(t))
    tbl.append(pa.Table.from_pylist([{"id": 22, "s": "py", "ts": datetime.datetime(2024, 1, 1, tzinfo=tz)}],
                                    schema=arrow_schema))
    md = check_all_snapshots(t)
    assert len(md["snapshots"]) == 4
    ids = sorted(r["id"] for r in pyiceberg_rows(current_metadata(t)))
    assert ids == list(range(23))
    assert ice_ok("--json", "describe", t).json()["snapshot_count"] == 4


def test_ice_appends_to_a_pyiceberg_created_table(tmp_path):
    # PyIceberg writes the first metadata (as a file-system table would have it)
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table.metadata import new_table_metadata
    from pyiceberg.table.sorting import UNSORTED_SORT_ORDER
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import LongType, NestedField, StringType
    from pyiceberg.serializers import ToOutputFile
    from pyiceberg.io.pyarrow import PyArrowFileIO

    t = tmp_path / "pyt"
    schema = Schema(NestedField(1, "id", LongType(), required=True), NestedField(2, "s", StringType()))
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="s"))
    md = new_table_metadata(schema, spec, UNSORTED_SORT_ORDER, str(t), {})
    (t / "metadata").mkdir(parents=True)
    ToOutputFile.table_metadata(md, PyArrowFileIO().new_output(str(t / "metadata" / "v1.metadata.json")))
    cat = DirectoryCatalog()
    tbl = cat.load_table(str(t))
    tbl.append(pa.Table.from_pylist([{"id": i, "s": "py"} for i in range(6)],
                                    schema=pa.schema([pa.field("id", pa.int64(), nullable=False),
                                                      pa.field("s", pa.string())])))
    (tmp_path / "in.csv").write_text("id,s\n" + "".join(f"{6 + i},ice\n" for i in range(9)))
    ice_ok("append", t, tmp_path / "in.csv")
    check_all_snapshots(t)
    rows_ = pyiceberg_rows(current_metadata(t))
    assert sorted(r["id"] for r in rows_) == list(range(15))


def test_add_files_then_read(tmp_path):
    import pyarrow.parquet as pq
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, s string, d date", "--partition", "month(d)")
    f = tmp_path / "ext.parquet"
    import datetime
    # with field ids, as Iceberg writers write them (files without ids would
    # need a name mapping for readers)
    ids = pa.schema([pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"}),
                     pa.field("s", pa.string(), metadata={"PARQUET:field_id": "2"}),
                     pa.field("d", pa.date32(), metadata={"PARQUET:field_id": "3"})])
    pq.write_table(pa.Table.from_pylist([{"id": i, "s": f"s{i}", "d": datetime.date(2024, 2, 1 + i)} for i in range(5)],
                                        schema=ids), f)
    r = ice_ok("--json", "add-files", t, f).json()
    assert r["files"] == 1
    check_all_snapshots(t)
    bad = tmp_path / "span.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 1, "s": "a", "d": datetime.date(2024, 2, 1)},
                                         {"id": 2, "s": "b", "d": datetime.date(2024, 3, 1)}]), bad)
    from support import ice_fails
    e = ice_fails(1, "add-files", t, bad)
    assert "span partitions" in e.err and "span.parquet" in e.err
    other = tmp_path / "other.parquet"
    pq.write_table(pa.Table.from_pylist([{"zz": 1}]), other)
    e = ice_fails(1, "add-files", t, other)
    assert "'zz'" in e.err and "not in the table's schema" in e.err
    assert len(metadata_files(t)) == 2


def test_add_files_without_field_ids_stores_a_name_mapping(tmp_path):
    """Files written by pyarrow carry no field ids: add-files matches their
    columns by name and stores schema.name-mapping.default (as PyIceberg's
    add_files does), so PyIceberg and DuckDB read them by the mapping."""
    import datetime
    import pyarrow.parquet as pq
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long required, s string, d date, st struct<x: int, y: string>, "
           "tags list<string>", "--partition", "month(d)")
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("s", pa.string()),
                        pa.field("d", pa.date32()),
                        pa.field("st", pa.struct([pa.field("x", pa.int32()), pa.field("y", pa.string())])),
                        pa.field("tags", pa.list_(pa.string()))])
    recs = [{"id": i, "s": f"s{i}" if i % 3 else None, "d": datetime.date(2024, 2, 1 + i),
             "st": {"x": i, "y": f"y{i}"} if i % 2 else None, "tags": [f"t{i}", "u"] if i % 4 else []}
            for i in range(6)]
    f1 = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(recs, schema=schema), f1)
    # a second file with only some columns, in another order and another month
    f2 = tmp_path / "b.parquet"
    pq.write_table(pa.Table.from_pylist([{"d": datetime.date(2024, 3, 9), "id": 100}],
                                        schema=pa.schema([pa.field("d", pa.date32()),
                                                          pa.field("id", pa.int64(), nullable=False)])), f2)
    assert pq.read_schema(f1).field("id").metadata is None
    r = ice_ok("--json", "add-files", t, f1, f2).json()
    assert r["files"] == 2 and r["rows"] == 7
    md = json.loads(current_metadata(t).read_text())
    mapping = json.loads(md["properties"]["schema.name-mapping.default"])
    assert [(m["field-id"], m["names"]) for m in mapping] == [(1, ["id"]), (2, ["s"]), (3, ["d"]), (4, ["st"]),
                                                              (5, ["tags"])]
    assert [(m["field-id"], m["names"]) for m in mapping[3]["fields"]] == [(6, ["x"]), (7, ["y"])]
    check_all_snapshots(t)
    got = {r["id"]: r for r in canon(pyiceberg_rows(current_metadata(t)))}
    assert sorted(got) == [0, 1, 2, 3, 4, 5, 100]
    for src in recs:
        r = got[src["id"]]
        assert r["s"] == src["s"] and r["st"] == src["st"] and r["tags"] == src["tags"]
        assert r["d"] == src["d"].isoformat()
    assert got[100]["s"] is None and got[100]["d"] == "2024-03-09"
    # metrics came from the footers through the mapping: bounds of id and st.x
    files = ice_ok("--json", "files", t).json()
    first = [f["entry"]["data_file"] for f in files if f["entry"]["data_file"]["file_path"] == str(f1)][0]
    assert first["lower_bounds"]["1"] == 0 and first["upper_bounds"]["1"] == 5
    assert first["upper_bounds"]["6"] == 5 and first["null_value_counts"]["2"] == 2
    # a table that has a mapping keeps it, and it is what matches columns:
    # here "ident" is an older name of id
    t2 = tmp_path / "t2"
    nm = json.dumps([{"field-id": 1, "names": ["id", "ident"]}, {"field-id": 2, "names": ["s"]}])
    ice_ok("create", t2, "--schema", "id long, s string", "--property", f"schema.name-mapping.default={nm}")
    f3 = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist([{"ident": 7, "s": "x"}]), f3)
    ice_ok("add-files", t2, "c.parquet", cwd=tmp_path)  # a relative path is recorded as an absolute one
    md = json.loads(current_metadata(t2).read_text())
    assert md["properties"]["schema.name-mapping.default"] == nm
    assert canon(pyiceberg_rows(current_metadata(t2))) == [{"id": 7, "s": "x"}]
    assert canon(duckdb_rows(current_metadata(t2))) == [{"id": 7, "s": "x"}]
    # a column the file has but the table does not, and a narrowing: refused
    f4 = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 1, "st": {"x": 2**40, "y": "a"}}]), f4)
    e = ice_fails(1, "add-files", t, f4)
    assert "column 'st.x': the file has long, the table int" in e.err
