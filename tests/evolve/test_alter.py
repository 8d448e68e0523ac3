"""Tables evolved by `ice alter` (every kind of change, format v1, v2 and v3)
and appended to between the changes, read by PyIceberg and by DuckDB's
iceberg extension with identical rows at every snapshot and the expected
schema at each; the metadata has the ids, specs and requirements the spec
and the REST catalog call for."""
import copy
import decimal

import pytest

from support import append_rows, duckdb_rows, ice_ok, metadata, peers_agree, schema_of

SCHEMA = ("id long required, name string, price decimal(9,2), score float, n int, "
          "s struct<a: int, b: string>, tags list<string>, k string required")


def rows1():
    return [
        {"id": 1, "name": "a", "price": "1.50", "score": 1.5, "n": 3, "s": {"a": 1, "b": "x"}, "tags": ["p", "q"],
         "k": "k1"},
        {"id": 2, "name": "b", "price": "2.25", "score": None, "n": None, "s": None, "tags": [], "k": "k2"},
        {"id": 7, "name": None, "price": None, "score": -0.25, "n": -4, "s": {"a": None, "b": "z"}, "tags": ["r"],
         "k": "k7"},
    ]


def as_read(r):
    """A written row as the peers return it (decimals as Decimal)."""
    r = copy.deepcopy(r)
    for key in ("price",):
        if r.get(key) is not None:
            r[key] = decimal.Decimal(r[key])
    return r


@pytest.mark.parametrize("version", [1, 2, 3])
def test_every_alter_kind_read_by_peers(tmp_path, target, version):
    t = target()
    ice_ok("create", t, "--schema", SCHEMA, "--partition", "bucket(4, id)", "--format-version", version)
    expected = {}

    s1 = append_rows(t, rows1(), tmp_path)
    state = [as_read(r) for r in rows1()]
    expected[s1] = copy.deepcopy(state)

    # columns: add (placed, nested, into a list's struct), rename, widen
    # three ways, doc, identifier fields; partitions and sort order; properties
    ice_ok("alter", t,
           "--add-column", "email string comment 'contact'", "--after", "name",
           "--add-column", "s.c double",
           "--rename", "name=full_name",
           "--widen", "n=long", "--widen", "score=double", "--widen", "price=decimal(12,2)",
           "--doc", "id=the key",
           "--identifier", "id",
           "--add-partition", "truncate(2, full_name)",
           "--sort", "id desc nulls last",
           "--set", "owner=evolve")
    for r in state:
        r["full_name"] = r.pop("name")
        r["email"] = None
        if r["s"] is not None:
            r["s"]["c"] = None
    r2 = [{"id": 3, "full_name": "c", "email": "c@x", "price": "1234567890.12", "score": 2.5, "n": 5_000_000_000,
           "s": {"a": 2, "b": "y", "c": 0.5}, "tags": ["t"], "k": "k3"}]
    s2 = append_rows(t, r2, tmp_path)
    state += [as_read(r) for r in r2]
    expected[s2] = copy.deepcopy(state)
    md = metadata(t)
    assert md["current-schema-id"] == 1
    assert md["last-column-id"] == 13  # 11 ids before, then email and s.c
    assert md["properties"]["owner"] == "evolve"
    spec = [s for s in md["partition-specs"] if s["spec-id"] == md["default-spec-id"]][0]
    assert [(f["name"], f["transform"]) for f in spec["fields"]] == [("id_bucket", "bucket[4]"),
                                                                      ("full_name_trunc_2", "truncate[2]")]

    # drop a column, move one first, make one optional, drop and rename
    # partition fields (v1: the dropped one becomes void)
    ice_ok("alter", t, "--drop", "tags", "--move", "email", "--first", "--optional", "k",
           "--drop-partition", "id_bucket", "--rename-partition", "full_name_trunc_2=name_prefix",
           "--unset", "owner")
    for r in state:
        del r["tags"]
    r3 = [{"email": "d@x", "id": 4, "full_name": "dd", "price": "0.01", "score": None, "n": 1, "s": None, "k": None}]
    s3 = append_rows(t, r3, tmp_path)
    state += [as_read(r) for r in r3]
    expected[s3] = copy.deepcopy(state)

    md = metadata(t)
    spec = [s for s in md["partition-specs"] if s["spec-id"] == md["default-spec-id"]][0]
    if version == 1:
        assert [(f["name"], f["transform"], f["field-id"]) for f in spec["fields"]] == [
            ("id_bucket", "void", 1000), ("name_prefix", "truncate[2]", 1001)]
    else:
        assert [(f["name"], f["transform"], f["field-id"]) for f in spec["fields"]] == [
            ("name_prefix", "truncate[2]", 1001)]
    assert "owner" not in md.get("properties", {})

    for sid, rows in expected.items():
        peers_agree(t, sid, rows)
    assert schema_of(t, s1)[:3] == [(1, "id", "long", True), (2, "name", "string", False),
                                     (3, "price", "decimal(9, 2)", False)]
    got = schema_of(t)
    assert [(f[1], f[2], f[3]) for f in got] == [
        ("email", "string", False), ("id", "long", True), ("full_name", "string", False),
        ("price", "decimal(12, 2)", False), ("score", "double", False), ("n", "long", False),
        ("s", "struct<9: a: optional int, 10: b: optional string, 13: c: optional double>", False),
        ("k", "string", False)]
    # ids never move; identifier fields stay
    assert [f[0] for f in got] == [12, 1, 2, 3, 4, 5, 6, 8]
    assert metadata(t)["schemas"][-1]["identifier-field-ids"] == [1]


def test_partition_evolution_reuses_ids_and_specs(tmp_path, target):
    t = target()
    ice_ok("create", t, "--schema", "id long, ts timestamptz, name string", "--partition", "day(ts)")
    rows = [{"id": i, "ts": f"2024-01-0{1 + i % 3}T0{i}:00:00Z", "name": f"n{i}"} for i in range(6)]
    expected = {}
    sid = append_rows(t, rows[:2], tmp_path)
    expected[sid] = rows[:2]
    ice_ok("alter", t, "--drop-partition", "ts_day", "--add-partition", "hour(ts)", "--add-partition", "bucket(3, id)")
    sid = append_rows(t, rows[2:4], tmp_path)
    expected[sid] = rows[:4]
    # back to the first spec: reused, not added again
    ice_ok("alter", t, "--drop-partition", "ts_hour", "--drop-partition", "bucket(3, id)",
           "--add-partition", "day(ts) as ts_day")
    sid = append_rows(t, rows[4:], tmp_path)
    expected[sid] = rows
    md = metadata(t)
    assert md["default-spec-id"] == 0
    assert len(md["partition-specs"]) == 2
    assert md["last-partition-id"] == 1002
    import datetime

    def read(r):
        r = dict(r)
        r["ts"] = datetime.datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        return r

    for sid, rs in expected.items():
        peers_agree(t, sid, [read(r) for r in rs])


def test_v3_defaults_and_upgrade(tmp_path, target):
    t = target()
    ice_ok("create", t, "--schema", "id long required, d date", "--format-version", 2)
    append_rows(t, [{"id": 1, "d": "2024-02-03"}], tmp_path)
    # one command upgrades and uses v3: a required column with a default,
    # a date widened to a timestamp
    ice_ok("alter", t, "--format-version", "3", "--add-column", "flag int required default 7",
           "--add-column", "note string default 'none'")
    md = metadata(t)
    assert md["format-version"] == 3
    fields = {f["name"]: f for f in md["schemas"][-1]["fields"]}
    assert fields["flag"]["initial-default"] == 7 and fields["flag"]["write-default"] == 7
    assert fields["note"]["initial-default"] == "none"
    ice_ok("alter", t, "--default", "flag=8", "--drop-default", "note")
    fields = {f["name"]: f for f in metadata(t)["schemas"][-1]["fields"]}
    assert fields["flag"]["initial-default"] == 7 and fields["flag"]["write-default"] == 8
    assert "write-default" not in fields["note"] and fields["note"]["initial-default"] == "none"
    s2 = append_rows(t, [{"id": 2, "d": "2024-02-04", "flag": 1, "note": "x"}], tmp_path)
    import datetime
    # rows written before the column existed read its initial-default
    want = [{"id": 1, "d": datetime.date(2024, 2, 3), "flag": 7, "note": "none"},
            {"id": 2, "d": datetime.date(2024, 2, 4), "flag": 1, "note": "x"}]
    peers_agree(t, s2, want)
    # date to timestamp (v3): the metadata; PyIceberg 0.12 cannot read the
    # promotion yet, DuckDB reads the dates as midnight
    ice_ok("alter", t, "--widen", "d=timestamp")
    assert [f for f in metadata(t)["schemas"][-1]["fields"] if f["name"] == "d"][0]["type"] == "timestamp"
    got = sorted(duckdb_rows(t), key=lambda r: r["id"])
    assert [r["d"] for r in got] == [datetime.datetime(2024, 2, 3), datetime.datetime(2024, 2, 4)]


def test_dry_run_prints_updates_and_commits_nothing(tmp_path, target):
    t = target()
    ice_ok("create", t, "--schema", "id long, name string")
    before = metadata(t)
    r = ice_ok("alter", t, "--dry-run", "--rename", "name=n", "--set", "a=b")
    updates = r.json()
    assert [u["action"] for u in updates] == ["add-schema", "set-current-schema", "set-properties"]
    assert metadata(t) == before
    # no effect: nothing committed
    r = ice_ok("--json", "alter", t, "--rename", "name=name")
    assert r.json()["changed"] is False
    assert metadata(t) == before
