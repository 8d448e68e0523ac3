"""Tables written by PyIceberg here, through partition evolution, schema
evolution (renames, drops, added columns, added columns with defaults on
v3, type promotions), appends, an overwrite and deletes, read by ice at
every snapshot to exactly the rows PyIceberg and DuckDB read (values in the
spec's JSON forms, rows sorted; see scan_support)."""
import datetime
import decimal
import json
import random

import pyarrow as pa
import pytest

import scan_support as S

import sys

sys.path.insert(0, str(S.REPO / "tests" / "scan_plan"))
import plan_support as ps  # noqa: E402  (a table directory PyIceberg commits to)


def schema_v1():
    from pyiceberg.schema import Schema
    from pyiceberg.types import (BinaryType, BooleanType, DateType, DecimalType, DoubleType, FloatType, IntegerType,
                                 ListType, LongType, MapType, NestedField, StringType, StructType, TimestampType,
                                 TimestamptzType)

    return Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "name", StringType()),
        NestedField(3, "ts", TimestamptzType()),
        NestedField(4, "day", DateType()),
        NestedField(5, "price", DecimalType(9, 2)),
        NestedField(6, "small", IntegerType()),
        NestedField(7, "ratio", FloatType()),
        NestedField(8, "score", DoubleType()),
        NestedField(9, "flag", BooleanType()),
        NestedField(10, "blob", BinaryType()),
        NestedField(11, "local", TimestampType()),
        NestedField(12, "point", StructType(NestedField(13, "x", DoubleType()), NestedField(14, "y", DoubleType()))),
        NestedField(15, "tags", ListType(16, StringType(), element_required=False)),
        NestedField(17, "attrs", MapType(18, StringType(), 19, IntegerType(), value_required=False)),
    )


def make_rows(rnd, n, start, names):
    """Rows for the table's current columns (`names` maps logical to current names)."""
    rows = []
    for i in range(start, start + n):
        base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=7 * i)
        null = rnd.random() < 0.15
        row = {
            "id": i,
            names["name"]: None if null else f"name-{i % 13}-é",
            "ts": base,
            "day": base.date(),
            "price": None if null else decimal.Decimal(rnd.randint(-99999, 99999)).scaleb(-2),
            names["small"]: rnd.randint(-2**31, 2**31 - 1),
            names["ratio"]: rnd.choice([1.5, -0.0, float("inf"), float("nan"), 3.25e-5]),
            "score": rnd.uniform(-1e6, 1e6),
            "flag": None if null else bool(i % 2),
            "blob": bytes([i % 256, 0, 255]),
            "local": datetime.datetime(1969, 12, 31, 23, 59, 59, 999999) + datetime.timedelta(minutes=i),
            "point": None if null else {"x": float(i), "y": -float(i)},
            "tags": None if null else [f"t{k}" for k in range(i % 4)] + [None],
            "attrs": {"a": i, "b": None} if not null else None,
        }
        rows.append({k: v for k, v in row.items() if k in names.get("_keep", row)})
    return rows


def check_every_snapshot(path, expect_snapshots, pyiceberg_cannot=None):
    """ice == PyIceberg == DuckDB at every snapshot of the table at `path`
    (PyIceberg failing with `pyiceberg_cannot` at some snapshot instead)."""
    metadata = S.current_metadata(str(path))
    md = S.load_json(metadata)
    sids = [s["snapshot-id"] for s in md["snapshots"]]
    assert len(sids) == expect_snapshots
    duck = S.peer_rows("duckdb", metadata, sids)
    pyi = S.peer_rows("pyiceberg", metadata, sids)
    for sid in sids:
        schema = S.schema_for(md, sid)
        mine = S.canon_rows(S.ice_rows(metadata, sid), schema)
        if pyiceberg_cannot and isinstance(pyi[sid], str):
            assert pyiceberg_cannot in pyi[sid], pyi[sid]
        else:
            assert not isinstance(pyi[sid], str), f"PyIceberg at {sid}: {pyi[sid]}"
            assert pyi[sid] == mine, f"PyIceberg at {sid}: {S.first_difference(mine, pyi[sid])}"
        assert not isinstance(duck[sid], str), f"DuckDB at {sid}: {duck[sid]}"
        assert duck[sid] == mine, f"DuckDB at {sid}: {S.first_difference(mine, duck[sid])}"
        # the snapshot by time (the snapshot log) reads the same rows
        snap = next(s for s in md["snapshots"] if s["snapshot-id"] == sid)
        by_time = S.ice_ok("scan", "--format", "jsonl", "--as-of", snap["timestamp-ms"], metadata).out
        if sum(1 for s in md["snapshots"] if s["timestamp-ms"] == snap["timestamp-ms"]) == 1:
            assert S.canon_rows([__import__("json").loads(l) for l in by_time.splitlines()], schema) == mine
    return md


def test_evolving_table(tmp_path):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform
    from pyiceberg.types import DecimalType, DoubleType, LongType, StringType

    rnd = random.Random(5)
    path = tmp_path / "evolving"
    spec = PartitionSpec(PartitionField(3, 1000, DayTransform(), "ts_day"))
    cat, tbl = ps.create_pyiceberg_table(path, schema_v1(), spec, {"format-version": "2"})
    names = {"name": "name", "small": "small", "ratio": "ratio"}
    snapshots = 0

    def append(n):
        nonlocal tbl, snapshots
        start = sum(1 for _ in range(0)) + snapshots * 100
        arrow_schema = tbl.schema().as_arrow()
        tbl.append(pa.Table.from_pylist(make_rows(rnd, n, start, dict(names, _keep=arrow_schema.names)),
                                        schema=arrow_schema))
        tbl = cat.load_table(str(path))
        snapshots += 1

    append(40)
    append(25)
    # partition evolution: bucket on id, then identity on the name
    with tbl.update_spec() as u:
        u.add_field("id", BucketTransform(4), "id_bucket")
    tbl = cat.load_table(str(path))
    append(30)
    with tbl.update_spec() as u:
        u.remove_field("ts_day")
        u.add_field("name", IdentityTransform(), "name_part")
    tbl = cat.load_table(str(path))
    append(20)
    # schema evolution: a rename, a drop, an added column, promotions
    with tbl.update_schema() as u:
        u.rename_column("name", "full_name")
        u.delete_column("blob")
        u.add_column("added", StringType())
        u.update_column("small", LongType())
        u.update_column("ratio", DoubleType())
        u.update_column("price", DecimalType(12, 2))
        u.rename_column("point.x", "px")
    tbl = cat.load_table(str(path))
    names = {"name": "full_name", "small": "small", "ratio": "ratio"}
    append(30)
    # an overwrite of some rows, then deletes
    keep = tbl.scan(row_filter="id >= 50").to_arrow()
    tbl.overwrite(keep.slice(0, 10), overwrite_filter="id >= 50")
    tbl = cat.load_table(str(path))
    snapshots += 1
    tbl.delete("id < 10")
    tbl = cat.load_table(str(path))
    snapshots += 1
    tbl.delete("full_name = 'name-3-é'")
    tbl = cat.load_table(str(path))
    # position delete files (ice delete, merge-on-read), read by both peers
    S.ice_ok("-q", "delete", path, "--where", "id > 140 and id < 150", "--mode", "merge-on-read")
    S.ice_ok("-q", "delete", path, "--where", "small < 0", "--mode", "merge-on-read")
    md = S.load_json(S.current_metadata(str(path)))
    check_every_snapshot(path, len(md["snapshots"]))
    assert len(md["snapshots"]) >= 11
    plan = json.loads(S.ice_ok("--json", "scan", "--plan", path).out)
    assert any(d["content"] == "position deletes" for t in plan["tasks"] for d in t["deletes"]), "position deletes were read"
    assert len(md["partition-specs"]) == 3 and len(md["schemas"]) == 2


def test_v3_defaults_and_date_promotion(tmp_path):
    """v3 (written by ice: PyIceberg 0.12 does not write v3): columns added
    with an initial default read it in files written before, and a date
    column widened to timestamp reads old files' dates as midnight; DuckDB
    reads the same rows at every snapshot, PyIceberg where it can."""
    import json

    path = tmp_path / "v3"
    S.ice_ok("-q", "create", path, "--format-version", "3", "--schema", "id long required, v string, d date",
             "--partition", "bucket(2, id)")
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps({"id": i, "v": f"v{i}", "d": f"2024-02-{i + 1:02d}"}) + "\n" for i in range(5)))
    S.ice_ok("-q", "append", path, src)
    S.ice_ok("-q", "alter", path, "--add-column", "with_default int default 42",
             "--add-column", "text_default string default 'dflt'", "--widen", "d=timestamp")
    src.write_text(json.dumps({"id": 10, "v": "new", "d": "2024-03-01T10:11:12.000013", "with_default": 7,
                               "text_default": None}) + "\n")
    S.ice_ok("-q", "append", path, src)
    # PyIceberg 0.12 fails on the widened date column (the snapshot after the
    # alter) with "'pyarrow.lib.DataType' object has no attribute 'tz'"
    md = check_every_snapshot(path, 2, pyiceberg_cannot="has no attribute 'tz'")
    rows = [json.loads(line) for line in S.ice_ok("scan", "--format", "jsonl", path).out.splitlines()]
    old = sorted((r for r in rows if r["id"] < 5), key=lambda r: r["id"])
    assert len(old) == 5 and all(r["with_default"] == 42 and r["text_default"] == "dflt" for r in old)
    assert old[0]["d"] == "2024-02-01T00:00:00.000000"
    assert md["format-version"] == 3


def test_v3_defaults_read_by_both_peers(tmp_path):
    """Columns added with initial defaults (no other change): PyIceberg and
    DuckDB read the defaults in the old file as ice does."""
    import json

    path = tmp_path / "v3b"
    S.ice_ok("-q", "create", path, "--format-version", "3", "--schema", "id long required, v string")
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps({"id": i, "v": f"v{i}"}) + "\n" for i in range(4)))
    S.ice_ok("-q", "append", path, src)
    S.ice_ok("-q", "alter", path, "--add-column", "n long default 9", "--add-column", "s string default 'x y'",
             "--add-column", "dec decimal(6,2) default '1.50'", "--add-column", "dt date default '2020-02-29'")
    src.write_text(json.dumps({"id": 9, "v": "new", "n": None, "s": "z", "dec": "2.25", "dt": "2021-01-01"}) + "\n")
    S.ice_ok("-q", "append", path, src)
    check_every_snapshot(path, 2)
    rows = [json.loads(line) for line in S.ice_ok("scan", "--format", "jsonl", "--where", "id < 4", path).out.splitlines()]
    # a deletion vector (v3 merge-on-read), read by both peers
    S.ice_ok("-q", "delete", path, "--where", "id = 1 or id = 9", "--mode", "merge-on-read")
    metadata = S.current_metadata(str(path))
    md = S.load_json(metadata)
    sid = md["current-snapshot-id"]
    mine = S.canon_rows(S.ice_rows(metadata, sid), S.schema_for(md, sid))
    assert len(mine) == 3
    assert S.peer_rows("duckdb", metadata, [sid])[sid] == mine
    assert S.peer_rows("pyiceberg", metadata, [sid])[sid] == mine
    assert len(rows) == 4 and all(r["n"] == 9 and r["s"] == "x y" and r["dec"] == "1.50" and r["dt"] == "2020-02-29"
                                  for r in rows)
