"""Parquet input converted to the table's types directly (no text): the
same type moves, promotions widen (int8..int32 and unsigned to long, float
to double, decimal precision, date to timestamp, time units), narrowing is
checked value by value, nested columns are matched by name at every level,
columns the file lacks are null, and anything else goes through the value's
text as CSV does. PyIceberg and DuckDB read the results; errors name the
file, row and column."""
import datetime
import decimal

import pyarrow as pa
import pyarrow.parquet as pq

from support import canon, current_metadata, duckdb_rows, ice_fails, ice_ok, pyiceberg_rows

UTC = datetime.timezone.utc


def write(path, rows, schema, ns=None):
    tbl = pa.Table.from_pylist(rows, schema=pa.schema(schema))
    if ns is not None:  # nanoseconds as integers (Python datetimes stop at micros)
        i = tbl.schema.get_field_index("ns")
        tbl = tbl.set_column(i, tbl.schema.field(i), pa.array(ns, type=pa.timestamp("ns", tz="UTC")))
    pq.write_table(tbl, path, row_group_size=3)
    return path


def test_promotions_units_and_nested_by_name(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema",
           "id long required, small long, u int, f double, dec decimal(12,2), d_ts timestamp, ms timestamptz, "
           "ns timestamptz, naive timestamptz, tm time, s string, b binary, txt int, "
           "st struct<x: long, y: string, z: int>, tags list<long>, m map<string, double>, missing string",
           "--partition", "day(ms)")
    rows = []
    for i in range(7):
        rows.append({
            "id": i, "small": -i, "u": 4_000_000 + i, "f": i + 0.5, "dec": decimal.Decimal(f"{i}.25"),
            "d_ts": datetime.date(2024, 1, 1 + i),
            "ms": datetime.datetime(2024, 3, 1 + i % 2, 12, 0, 0, 123000, tzinfo=UTC),
            "ns": datetime.datetime(2024, 3, 1, 0, 0, i, 5, tzinfo=UTC),
            "naive": datetime.datetime(2024, 3, 1, 8, i), "tm": datetime.time(1, 2, 3, 4000),
            "s": f"s{i}", "b": f"b{i}".encode(), "txt": str(i * 10),
            "st": None if i == 3 else {"y": f"y{i}", "x": i},  # another field order, z missing
            "tags": [i, i + 1] if i % 2 else None, "m": {"k": i / 2} if i % 3 else {},
        })
    f = write(tmp_path / "in.parquet", rows, [
        pa.field("id", pa.int64(), nullable=False), ("small", pa.int8()), ("u", pa.uint32()), ("f", pa.float32()),
        ("dec", pa.decimal128(5, 2)), ("d_ts", pa.date32()), ("ms", pa.timestamp("ms", tz="UTC")),
        ("ns", pa.timestamp("ns", tz="UTC")), ("naive", pa.timestamp("us")), ("tm", pa.time32("ms")),
        ("s", pa.string()), ("b", pa.binary()), ("txt", pa.string()),
        ("st", pa.struct([("y", pa.string()), ("x", pa.int32())])), ("tags", pa.list_(pa.int16())),
        ("m", pa.map_(pa.string(), pa.float32()))])
    schema = [
        pa.field("id", pa.int64(), nullable=False), ("small", pa.int8()), ("u", pa.uint32()), ("f", pa.float32()),
        ("dec", pa.decimal128(5, 2)), ("d_ts", pa.date32()), ("ms", pa.timestamp("ms", tz="UTC")),
        ("ns", pa.timestamp("ns", tz="UTC")), ("naive", pa.timestamp("us")), ("tm", pa.time32("ms")),
        ("s", pa.string()), ("b", pa.binary()), ("txt", pa.string()),
        ("st", pa.struct([("y", pa.string()), ("x", pa.int32())])), ("tags", pa.list_(pa.int16())),
        ("m", pa.map_(pa.string(), pa.float32()))]
    # nanoseconds that are not whole microseconds: refused, naming row and column
    base = 1709251200 * 10**9
    bad = write(tmp_path / "bad.parquet", rows, schema, ns=[base + i * 1000 + (1 if i == 4 else 0) for i in range(7)])
    e = ice_fails(1, "append", t, bad)
    assert f"{bad}: row 5, column 'ns': " in e.err and "does not convert to timestamptz exactly" in e.err
    f = write(tmp_path / "in.parquet", rows, [
        pa.field("id", pa.int64(), nullable=False), ("small", pa.int8()), ("u", pa.uint32()), ("f", pa.float32()),
        ("dec", pa.decimal128(5, 2)), ("d_ts", pa.date32()), ("ms", pa.timestamp("ms", tz="UTC")),
        ("ns", pa.timestamp("ns", tz="UTC")), ("naive", pa.timestamp("us")), ("tm", pa.time32("ms")),
        ("s", pa.string()), ("b", pa.binary()), ("txt", pa.string()),
        ("st", pa.struct([("y", pa.string()), ("x", pa.int32())])), ("tags", pa.list_(pa.int16())),
        ("m", pa.map_(pa.string(), pa.float32()))])
    r = ice_ok("--json", "append", t, f).json()
    assert r["rows"] == 7 and r["files"] == 2
    md = current_metadata(t)
    got = {x["id"]: x for x in pyiceberg_rows(md)}
    assert canon(pyiceberg_rows(md)) == canon(duckdb_rows(md))
    for src in rows:
        x = got[src["id"]]
        assert x["small"] == src["small"] and x["u"] == src["u"] and x["f"] == src["f"]
        assert x["dec"] == src["dec"] and x["s"] == src["s"] and x["b"] == src["b"]
        assert x["d_ts"] == datetime.datetime.combine(src["d_ts"], datetime.time())
        assert x["ms"] == src["ms"] and x["ns"] == src["ns"]
        assert x["naive"] == src["naive"].replace(tzinfo=UTC)
        assert x["tm"] == src["tm"] and x["txt"] == int(src["txt"])
        assert x["st"] == (None if src["st"] is None else {"x": src["st"]["x"], "y": src["st"]["y"], "z": None})
        assert x["tags"] == src["tags"]
        assert dict(x["m"] or []) == {k: v for k, v in src["m"].items()}
        assert x["missing"] is None


def test_checked_conversions_name_row_and_column(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long required, n int, s string, st struct<k: int required>")
    f = write(tmp_path / "a.parquet", [{"id": 1, "n": 5}, {"id": 2, "n": 2**40}],
              [("id", pa.int64()), ("n", pa.int64())])
    e = ice_fails(1, "append", t, f)
    assert f"{f}: row 2, column 'n': 1099511627776 does not fit an int" in e.err
    f = write(tmp_path / "b.parquet", [{"id": 1, "s": b"ok"}, {"id": 2, "s": b"\xff\xfe"}],
              [("id", pa.int64()), ("s", pa.binary())])
    e = ice_fails(1, "append", t, f)
    assert f"{f}: row 2, column 's': not valid UTF-8" in e.err
    f = write(tmp_path / "c.parquet", [{"id": 1}, {"id": None}], [("id", pa.int64())])
    e = ice_fails(1, "append", t, f)
    assert f"{f}: row 2, column 'id': null in a required column" in e.err
    f = write(tmp_path / "d.parquet", [{"id": 1, "st": None}, {"id": 2, "st": {"k": None}}],
              [("id", pa.int64()), ("st", pa.struct([("k", pa.int32())]))])
    e = ice_fails(1, "append", t, f)
    assert f"{f}: row 2, column 'st.k': null in a required column" in e.err
    f = write(tmp_path / "e.parquet", [{"id": 1, "zz": 1}], [("id", pa.int64()), ("zz", pa.int32())])
    e = ice_fails(1, "append", t, f)
    assert "column 'zz': unknown column" in e.err
    f = write(tmp_path / "f.parquet", [{"id": 1, "n": "12"}, {"id": 2, "n": "x"}], [("id", pa.int64()), ("n", pa.string())])
    e = ice_fails(1, "append", t, f)  # through text, as CSV: the message says why
    assert f"{f}: row 2, column 'n': not a whole number" in e.err
    # nothing was committed by any of these
    assert len(list((t / "metadata").glob("v*.metadata.json"))) == 1
    assert not list(t.rglob("*.parquet"))


def test_parquet_from_standard_input(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, d date", "--partition", "month(d)")
    f = write(tmp_path / "in.parquet", [{"id": i, "d": datetime.date(2024, 1 + i % 3, 1)} for i in range(9)],
              [("id", pa.int32()), ("d", pa.date32())])
    r = ice_ok("--json", "append", t, "--format", "parquet", "-", stdin=f.read_bytes()).json()
    assert r["rows"] == 9 and r["files"] == 3 and r["partitions"] == 3
    assert sorted(x["id"] for x in pyiceberg_rows(current_metadata(t))) == list(range(9))
    e = ice_fails(1, "append", t, "--format", "parquet", "-", stdin=b"not parquet")
    assert "<stdin>" in e.err
