"""What ice scan writes, ice append reads back: for every Iceberg type
(nested ones included, maps with string and other keys), a table scanned to
CSV, JSON Lines or Parquet and appended to a new table with the same schema
holds the same rows. Maps have one JSON shape out and in: an object for
string keys, an array of {"key", "value"} otherwise; the older
{"keys": [...], "values": [...]} is read too."""
import json

import pytest

from conftest import ok

SCHEMA = ("b boolean, i int, l long, f float, d double, dec decimal(10,2), dt date, tm time, ts timestamp, "
          "tz timestamptz, s string, u uuid, fx fixed[4], bn binary, li list<int>, ms map<string, int>, "
          "mi map<int, string>, st struct<a: int, b: string>, ls list<struct<x: double>>, "
          "mm map<date, list<string>>, ml map<string, list<int>>")

ROWS = [
    {"b": True, "i": 1, "l": -9000000000, "f": 1.5, "d": 17.0, "dec": "12.34", "dt": "2024-01-31",
     "tm": "10:11:12.123456", "ts": "2024-01-31T10:00:00.000001", "tz": "2024-01-31T10:00:00.000001+00:00",
     "s": "h\u00e9llo, \"q\"\n2", "u": "f79c3e09-677c-4d35-9b0b-2c0a5ff2a4b1", "fx": "01020304", "bn": "cafe",
     "li": [1, None, 3], "ms": {"a": 1, "b": None}, "mi": [{"key": 1, "value": "x"}, {"key": 2, "value": None}],
     "st": {"a": 5, "b": "z"}, "ls": [{"x": 0.1}, {"x": None}], "mm": [{"key": "2024-01-01", "value": ["p", "q"]}],
     "ml": {"keys": [1], "values": [2]}},
    {k: None for k in ["b", "i", "l", "f", "d", "dec", "dt", "tm", "ts", "tz", "s", "u", "fx", "bn", "li", "ms",
                       "mi", "st", "ls", "mm", "ml"]},
    {"b": False, "i": -2147483648, "l": 9223372036854775807, "f": 3.4028235e38, "d": 1e-300, "dec": "-0.01",
     "dt": "1970-01-01", "tm": "00:00:00", "ts": "1900-01-01T00:00:00", "tz": "2262-04-11T23:47:16.854775+00:00",
     "s": "", "u": "00000000-0000-0000-0000-000000000000", "fx": "00000000", "bn": "", "li": [], "ms": {},
     "mi": [], "st": {"a": None, "b": None}, "ls": [], "mm": [], "ml": {}},
    {"b": True, "i": 0, "l": 0, "f": -0.0, "d": 0.30000000000000004, "dec": "0.00", "dt": "0001-01-01",
     "tm": "23:59:59.999999", "ts": "9999-12-31T23:59:59.999999", "tz": "1969-12-31T23:59:59.999999+00:00",
     "s": "\u4e2d\u6587 tab\there", "u": "ffffffff-ffff-ffff-ffff-ffffffffffff", "fx": "ffffffff", "bn": "00",
     "li": [None], "ms": {"": 0, "k,\"": -1}, "mi": [{"key": -5, "value": ""}], "st": None,
     "ls": None, "mm": [{"key": "2000-02-29", "value": []}], "ml": {"keys": [3, 4], "values": []}},
]


def rows_of(table):
    out = ok("scan", table, "--format", "jsonl").out
    return sorted(out.splitlines())


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    d = tmp_path_factory.mktemp("roundtrip")
    t = d / "src"
    ok("create", t, "--schema", SCHEMA)
    f = d / "in.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    ok("append", t, f)
    return d, t


def test_maps_print_one_shape(source):
    d, t = source
    first = json.loads(ok("scan", t, "--format", "jsonl", "--where", "i = 1").out)
    assert first["ms"] == {"a": 1, "b": None}
    assert first["mi"] == [{"key": 1, "value": "x"}, {"key": 2, "value": None}]
    assert first["mm"] == [{"key": "2024-01-01", "value": ["p", "q"]}]
    # a string-keyed map holding "keys" and "values" is that map, not the old form
    assert first["ml"] == {"keys": [1], "values": [2]}
    last = json.loads(ok("scan", t, "--format", "jsonl", "--where", "i = 0").out)
    assert last["ml"] == {"keys": [3, 4], "values": []}


def test_old_keys_values_form_is_read(tmp_path):
    t = tmp_path / "t"
    ok("create", t, "--schema", "m map<int, string>, n map<string, int>")
    f = tmp_path / "old.jsonl"
    f.write_text('{"m": {"keys": [1, 2], "values": ["a", null]}, "n": {"keys": ["x"], "values": [3]}}\n')
    ok("append", t, f)
    got = json.loads(ok("scan", t, "--format", "jsonl").out)
    assert got == {"m": [{"key": 1, "value": "a"}, {"key": 2, "value": None}], "n": {"x": 3}}


@pytest.mark.parametrize("fmt,ext", [("csv", "csv"), ("jsonl", "jsonl"), ("parquet", "parquet")])
def test_scan_then_append_round_trips_every_type(source, fmt, ext):
    d, t = source
    out = d / f"out-{fmt}.{ext}"
    ok("scan", t, "--output", out)  # the format follows the extension
    if fmt == "parquet":
        assert out.read_bytes()[:4] == b"PAR1"
    elif fmt == "jsonl":
        json.loads(out.read_text().splitlines()[0])
    else:
        assert out.read_text().startswith("b,i,l,")
    t2 = d / f"copy-{fmt}"
    ok("create", t2, "--schema", SCHEMA)
    ok("append", t2, out)
    assert rows_of(t2) == rows_of(t)
    # through a pipe too, as the issue's `ice scan T --format jsonl | ice append T2 -`
    if fmt != "parquet":
        t3 = d / f"pipe-{fmt}"
        ok("create", t3, "--schema", SCHEMA)
        data = ok("scan", t, "--format", fmt).out.encode()
        ok("append", t3, "-", "--format", fmt, stdin=data)
        assert rows_of(t3) == rows_of(t)
