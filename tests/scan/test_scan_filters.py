"""`ice scan --where` returns exactly the rows of the unfiltered scan that
the predicate holds for, evaluated here in Python with the two-valued
semantics of docs/internals/expressions.md (=, <, in, starts with: false on
null and NaN; !=, not in, not starts with: true there; `not` is boolean
negation), for predicates over every type, combined with and/or/not, on a
table of several files and row groups; `--stats --json` (on stderr) shows
row groups skipped and fewer rows read for selective filters."""
import datetime
import decimal
import json
import random
import uuid

import pytest

import scan_support as S

N_FILES, ROWS = 3, 9000
UUIDS = [str(uuid.UUID(int=random.Random(k).getrandbits(128))) for k in range(5)]


def make_rows(rnd, start, n):
    rows = []
    for i in range(start, start + n):
        null = i % 11 == 0
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=i // 300)
        rows.append({
            "id": i,
            "i": None if null else (i * 7919) % 1000 - 500,
            "s": None if null else f"v{i % 37}",
            "d": day.isoformat(),
            "ts": (datetime.datetime(2024, 1, 1) + datetime.timedelta(minutes=17 * i)).isoformat(),
            "tz": (datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=61 * i)).isoformat() + "+00:00",
            "dec": None if null else str(decimal.Decimal((i * 13) % 4000 - 2000).scaleb(-2)),
            "x": "NaN" if i % 13 == 0 else (None if null else rnd.uniform(-1, 1)),
            "f": None if null else float(rnd.randint(-100, 100)) / 4,
            "b": None if null else i % 3 == 0,
            "u": UUIDS[i % 5],
            "bin": bytes([i % 7, 255, i % 3]).hex(),
            "t": f"{(i // 60) % 24:02d}:{i % 60:02d}:00",
            "st": None if i % 17 == 0 else {"a": i % 10, "z": f"z{i % 4}"},
        })
    return rows


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    root = tmp_path_factory.mktemp("filters")
    path = root / "t"
    S.ice_ok("-q", "create", path, "--schema",
             "id long required, i int, s string, d date, ts timestamp, tz timestamptz, dec decimal(10,2), "
             "x double, f float, b boolean, u uuid, bin binary, t time, st struct<a: int, z: string>",
             "--property", "write.parquet.row-group-size-bytes=16384")
    rnd = random.Random(11)
    for k in range(N_FILES):
        src = root / f"part{k}.jsonl"
        rows = make_rows(rnd, k * ROWS, ROWS)
        src.write_text("".join(json.dumps(r) + "\n" for r in rows))
        S.ice_ok("-q", "append", path, src)
    return path


def all_rows(table):
    return [json.loads(line) for line in S.ice_ok("scan", "--format", "jsonl", table).out.splitlines()]


# ---- the predicates, evaluated here ------------------------------------------------------------

def num(v):
    """A comparable value: NaN and null are not comparable (None)."""
    if v is None or v == "NaN" or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, str) and v in ("Infinity", "-Infinity"):
        return float("inf") if v[0] == "I" else float("-inf")
    return v


def cmp(col, op, lit, conv=lambda x: x):
    def f(r):
        v = num(r[col] if "." not in col else (r[col.split(".")[0]] or {}).get(col.split(".")[1]))
        if v is None:
            return op == "!="
        v = conv(v)
        return {"=": v == lit, "!=": v != lit, "<": v < lit, "<=": v <= lit, ">": v > lit, ">=": v >= lit}[op]
    return f


def isin(col, lits, negate=False):
    def f(r):
        v = num(r[col])
        return (v is None or v not in lits) if negate else (v is not None and v in lits)
    return f


D = decimal.Decimal

PREDICATES = [
    ("id < 150", cmp("id", "<", 150)),
    ("id >= 9000 and id < 9100", lambda r: 9000 <= r["id"] < 9100),
    ("id = 20000", cmp("id", "=", 20000)),
    ("i > 400", cmp("i", ">", 400)),
    ("i != 17", cmp("i", "!=", 17)),
    ("i in (1, 5, -7, 900)", isin("i", {1, 5, -7, 900})),
    ("i not in (1, 5, -7)", isin("i", {1, 5, -7}, negate=True)),
    ("s = 'v7'", cmp("s", "=", "v7")),
    ("s != 'v7'", cmp("s", "!=", "v7")),
    ("s < 'v2'", cmp("s", "<", "v2")),
    ("s starts with 'v1'", lambda r: r["s"] is not None and r["s"].startswith("v1")),
    ("s not starts with 'v1'", lambda r: r["s"] is None or not r["s"].startswith("v1")),
    ("s is null", lambda r: r["s"] is None),
    ("s is not null", lambda r: r["s"] is not None),
    ("d >= '2024-03-01'", cmp("d", ">=", "2024-03-01")),
    ("d = date '2024-01-15'", cmp("d", "=", "2024-01-15")),
    ("ts < '2024-02-01T00:00:00'", cmp("ts", "<", "2024-02-01T00:00:00.000000")),
    ("tz >= timestamptz '2024-01-05T00:00:00+00:00'", cmp("tz", ">=", "2024-01-05T00:00:00.000000+00:00")),
    ("tz < '2024-01-03T01:00:00+01:00'", cmp("tz", "<", "2024-01-03T00:00:00.000000+00:00")),
    ("dec > decimal '10.50'", cmp("dec", ">", D("10.50"), D)),
    ("dec <= 0", cmp("dec", "<=", D(0), D)),
    ("dec in (decimal '1.30', decimal '-19.97')", lambda r: r["dec"] in ("1.30", "-19.97")),
    ("x is nan", lambda r: r["x"] == "NaN"),
    ("x is not nan", lambda r: r["x"] != "NaN"),
    ("x > 0.5", cmp("x", ">", 0.5)),
    ("x != 0.25", cmp("x", "!=", 0.25)),
    ("f < 0", cmp("f", "<", 0.0)),
    ("f = 2.5", cmp("f", "=", 2.5)),
    ("b = true", cmp("b", "=", True)),
    ("b != false", cmp("b", "!=", False)),
    (f"u = uuid '{UUIDS[2]}'", cmp("u", "=", UUIDS[2])),
    (f"u != '{UUIDS[1]}'", cmp("u", "!=", UUIDS[1])),
    ("bin = X'02FF02'", cmp("bin", "=", "02ff02")),
    ("t < time '12:00:00'", cmp("t", "<", "12:00:00.000000")),
    ("st.a > 6", cmp("st.a", ">", 6)),
    ("st.z = 'z1' and st.a < 5", lambda r: cmp("st.z", "=", "z1")(r) and cmp("st.a", "<", 5)(r)),
    ("st.a is null", lambda r: r["st"] is None),
    ("not (id < 20000 or s is null)", lambda r: not (r["id"] < 20000 or r["s"] is None)),
    ("not (i > 0)", lambda r: not cmp("i", ">", 0)(r)),
    ("(i > 10 and i < 20) or s = 'v3'", lambda r: (cmp("i", ">", 10)(r) and cmp("i", "<", 20)(r)) or cmp("s", "=", "v3")(r)),
    ("id < 100 or id >= 26900", lambda r: r["id"] < 100 or r["id"] >= 26900),
    ("false", lambda r: False),
    ("true", lambda r: True),
]


@pytest.fixture(scope="module")
def everything(table):
    rows = all_rows(table)
    assert len(rows) == N_FILES * ROWS
    return rows


@pytest.mark.parametrize("where,holds", PREDICATES, ids=[p[0] for p in PREDICATES])
def test_filter_equals_the_unfiltered_rows_filtered(table, everything, where, holds):
    got = [json.loads(line) for line in S.ice_ok("scan", "--format", "jsonl", "--where", where, table).out.splitlines()]
    expected = [r for r in everything if holds(r)]
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key), f"{where}: {len(got)} rows, expected {len(expected)}"


def stats(table, *args):
    r = S.ice_ok("--json", "scan", "--stats", "--format", "csv", *args, table)
    return json.loads(r.err.strip().splitlines()[-1])


def test_selective_filters_read_less(table):
    full = stats(table)
    assert full["rows_read"] == N_FILES * ROWS and full["row_groups"] > N_FILES and full["row_groups_skipped"] == 0
    # within one file: row groups skipped by their statistics
    narrow = stats(table, "--where", "id >= 9000 and id < 9100")
    assert narrow["rows_returned"] == 100
    assert narrow["row_groups_skipped"] > 0 and narrow["rows_read"] < ROWS
    assert narrow["data_files_skipped_metrics"] == N_FILES - 1
    assert narrow["bytes_read"] < full["bytes_read"] / 3
    # a residual that no statistics decide: every row read, most filtered
    wide = stats(table, "--where", "s = 'v7'")
    assert wide["rows_read"] == full["rows_read"] and wide["rows_filtered"] == full["rows_read"] - wide["rows_returned"]
    # columns only the filter needs are read, then dropped
    sel = S.ice_ok("scan", "--format", "jsonl", "--select", "id", "--where", "s = 'v7' and st.a = 1", table).out
    rows = [json.loads(line) for line in sel.splitlines()]
    assert rows and all(set(r) == {"id"} for r in rows)
    assert len(rows) == sum(1 for r in all_rows(table) if r["s"] == "v7" and (r["st"] or {}).get("a") == 1)


def test_limit_stops_reading(table):
    limited = stats(table, "--limit", "10")
    assert limited["rows_returned"] == 10 and limited["rows_read"] < N_FILES * ROWS
