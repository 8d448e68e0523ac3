"""The output formats of `ice scan`: CSV (header, RFC 4180 quoting, null as
an empty cell and the empty string as ""), JSON Lines (every type in the
spec's JSON single-value form), the aligned table preview, and one Parquet
file that pyarrow reads back to the same rows with the table's field ids;
--select of nested fields."""
import csv
import io
import json

import pyarrow.parquet as pq
import pytest

import scan_support as S

SCHEMA = ("id long required, s string, d date, t time, ts timestamp, tz timestamptz, dec decimal(20,4), "
          "f float, g double, b boolean, u uuid, bin binary, fx fixed[3], tags list<string>, "
          "m map<string, int>, st struct<a: int, b: string>")

ROWS = [
    {"id": 1, "s": "plain", "d": "2024-01-31", "t": "10:00:00.000001", "ts": "2024-01-31T10:00:00.000001",
     "tz": "2024-01-31T10:00:00.000001+00:00", "dec": "-12.3400", "f": 1.5, "g": -0.0, "b": True,
     "u": "f79c3e09-677c-4bbd-a479-3f349cb785e7", "bin": "000102ff", "fx": "0a0b0c", "tags": ["a", None],
     "m": {"k": 1}, "st": {"a": 1, "b": "x"}},
    {"id": 2, "s": "comma, \"quote\"\nnewline", "d": "1969-12-31", "t": "00:00:00.000000",
     "ts": "1969-12-31T23:59:59.999999", "tz": "1970-01-01T00:00:00.000000+00:00", "dec": "0.0001", "f": "NaN",
     "g": "-Infinity", "b": False, "u": "00000000-0000-0000-0000-000000000000", "bin": "", "fx": "ffffff",
     "tags": [], "m": {}, "st": {"a": None, "b": None}},
    {"id": 3, "s": "", "d": None, "t": None, "ts": None, "tz": None, "dec": None, "f": None, "g": None, "b": None,
     "u": None, "bin": None, "fx": None, "tags": None, "m": None, "st": None},
    {"id": 4, "s": None, "d": "2024-02-29", "t": "23:59:59.999999", "ts": "2024-02-29T00:00:00.000000",
     "tz": "2024-02-29T23:00:00.000000+00:00", "dec": "99999999999999.9999", "f": 3.5e20,
     "g": 2.2250738585072014e-308, "b": True, "u": "ffffffff-ffff-ffff-ffff-ffffffffffff", "bin": "80",
     "fx": "000000", "tags": ["é", "日本"], "m": {"a": None, "b": -5},
     "st": {"a": -1, "b": "y"}},
]


def as_input(row):
    """The row as ice append reads JSON Lines: as ice scan prints it (a map
    with string keys is an object both ways)."""
    return dict(row)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    root = tmp_path_factory.mktemp("output")
    path = root / "t"
    S.ice_ok("-q", "create", path, "--schema", SCHEMA)
    src = root / "rows.jsonl"
    src.write_text("".join(json.dumps(as_input(r)) + "\n" for r in ROWS))
    S.ice_ok("-q", "append", path, src)
    return path


def test_jsonl_values_take_the_spec_forms(table):
    out = S.ice_ok("scan", "--format", "jsonl", table).out
    got = sorted((json.loads(line) for line in out.splitlines()), key=lambda r: r["id"])
    assert got == ROWS
    # floats read back as floats, the sign of zero included
    assert '"g":-0.0' in out and '"f":1.5' in out


def test_csv(table):
    out = S.ice_ok("scan", "--format", "csv", table).out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "s", "d", "t", "ts", "tz", "dec", "f", "g", "b", "u", "bin", "fx", "tags", "m", "st"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["2"][1] == 'comma, "quote"\nnewline'
    assert by_id["1"][6] == "-12.3400" and by_id["1"][2] == "2024-01-31" and by_id["1"][5].endswith("+00:00")
    assert json.loads(by_id["1"][13]) == ["a", None] and json.loads(by_id["1"][15]) == {"a": 1, "b": "x"}
    # the empty string is quoted, a null is an empty cell
    line3 = next(line for line in out.splitlines() if line.startswith("3,"))
    assert line3.startswith('3,"",,')


def test_table_preview(table):
    out = S.ice_ok("scan", "--format", "table", "--select", "id,s,dec", table).out.splitlines()
    assert out[0].split() == ["id", "s", "dec"] and set(out[1].replace(" ", "")) == {"-"}
    assert out[-1] == "(4 rows)"
    widths = {len(line) for line in out[:-1]}
    assert len(widths) == 1, "columns are aligned"
    more = S.ice_ok("scan", "--format", "table", "--limit", "3", table).out
    assert more.rstrip().endswith("(3 rows)")


def test_parquet_output(table, tmp_path):
    dest = tmp_path / "rows.parquet"
    S.ice_ok("scan", "--format", "parquet", "--output", dest, table)
    t = pq.read_table(dest)
    assert t.num_rows == len(ROWS)
    ids = {f.name: int(f.metadata[b"PARQUET:field_id"]) for f in t.schema}
    assert ids["id"] == 1 and ids["st"] == 16
    md = S.load_json(S.current_metadata(str(table)))
    schema = S.schema_for(md, md["current-snapshot-id"])
    assert S.canon_rows(t.to_pylist(), schema) == S.canon_rows(ROWS, schema)
    # and to stdout: the same file
    raw = S.ice_ok("scan", "--format", "parquet", table).raw
    assert raw[:4] == b"PAR1" and pq.read_table(io.BytesIO(raw)).num_rows == len(ROWS)


def test_select_nested(table):
    out = S.ice_ok("scan", "--format", "jsonl", "--select", "st.b,id", "--where", "id = 1", table).out
    assert json.loads(out) == {"id": 1, "st": {"b": "x"}}


def test_bad_format_is_a_usage_error(table):
    r = S.ice("scan", "--format", "xml", table)
    assert r.code == 2 and "--format" in r.err
