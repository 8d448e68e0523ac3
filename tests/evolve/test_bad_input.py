"""Bad input to ice alter, tag, branch and rollback: malformed expressions,
unknown columns, illegal promotions, drops that would break the table,
rollbacks to snapshots that are not ancestors. Each gives a one-line error
(exit 1, or 2 for command-line misuse) and leaves the table as it was."""
import pytest

from support import append_rows, ice_fails, ice_ok, metadata, metadata_files

SCHEMA = ("id long required, name string, n int, f float, dec decimal(9,2), s struct<a: int>, "
          "l list<int>, m map<string, int>, ts timestamp")

CASES = [
    # malformed expressions (library: exit 1; command line: exit 2)
    (1, ["--add-column", "x lng"], "unknown type 'lng'"),
    (1, ["--add-column", "x int, y int"], "define one column per change"),
    (1, ["--add-column", "x decimal(10"], "schema: column"),
    (1, ["--widen", "n=long long"], "widen column 'n'"),
    (1, ["--add-partition", "bucket(x, id)"], "positive width"),
    (1, ["--add-partition", "frob(id)"], "unknown transform"),
    (1, ["--sort", "id sideways"], "sort order"),
    (2, ["--rename", "name"], "--rename wants COLUMN=NEW_NAME"),
    (2, ["--widen", "=long"], "--widen wants COLUMN=TYPE"),
    (2, ["--move", "name"], "follow it with --first"),
    (2, ["--after", "name"], "follow an --add-column or --move"),
    (2, ["--format-version", "x"], "--format-version wants"),
    # unknown columns and fields
    (1, ["--rename", "nope=x"], "no column 'nope'"),
    (1, ["--drop", "s.zz"], "no column 's.zz'"),
    (1, ["--add-column", "q.x int"], "no column 'q'"),
    (1, ["--add-column", "x int", "--after", "nope"], "no column 'nope' next to it"),
    (1, ["--drop-partition", "nope"], "no partition field 'nope'"),
    (1, ["--add-partition", "bucket(4, nope)"], "no column 'nope'"),
    (1, ["--unset", "nope"], "no such property"),
    # illegal promotions and incompatible changes
    (1, ["--widen", "id=int"], "cannot change long to int"),
    (1, ["--widen", "n=string"], "cannot change int to string"),
    (1, ["--widen", "f=decimal(9,2)"], "cannot change float to decimal(9, 2)"),
    (1, ["--widen", "dec=decimal(8,2)"], "cannot change decimal(9, 2) to decimal(8, 2)"),
    (1, ["--widen", "dec=decimal(12,3)"], "cannot change decimal(9, 2) to decimal(12, 3)"),
    (1, ["--widen", "s=long"], "not a primitive column"),
    (1, ["--required", "name"], "incompatible change"),
    (1, ["--add-column", "x int required"], "needs a default"),
    (1, ["--default", "n=5"], "format version 3"),
    (1, ["--format-version", "1"], "versions never go down"),
    # drops that would break the table
    (1, ["--drop", "ts"], "source of partition field 'ts_day'"),
    (1, ["--drop", "id"], "sort key of sort order 1"),
    (1, ["--identifier", "id", "--drop", "id"], "identifier field"),
    (1, ["--drop", "l.element"], "cannot be dropped"),
    (1, ["--rename", "m.key=k"], "cannot be renamed"),
    (1, ["--identifier", "name"], "identifier field 'name' is optional"),
    (1, ["--identifier", "l.element"], "inside a list or map"),
    (1, ["--add-partition", "day(ts)"], "has day(ts) already"),
    (1, ["--add-partition", "hour(ts)"], "redundant"),
    (1, ["--rename", "name=n"], "exists already"),
]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    t = str(d / "t")
    ice_ok("create", t, "--schema", SCHEMA, "--partition", "day(ts)", "--sort", "id")
    append_rows(t, [{"id": 1, "name": "a", "ts": "2024-01-01T00:00:00"}], d)
    return t


@pytest.mark.parametrize("code,args,needle", CASES, ids=[" ".join(c[1]) for c in CASES])
def test_bad_alter_changes_nothing(table, code, args, needle):
    before = metadata(table)
    nfiles = len(metadata_files(table))
    r = ice_fails(code, "alter", table, *args)
    assert needle in r.err, r.err
    assert metadata(table) == before
    assert len(metadata_files(table)) == nfiles


def test_alter_needs_a_change_and_a_table(table):
    ice_fails(2, "alter", table)
    ice_fails(2, "alter", "--drop", "name")
    r = ice_fails(1, "alter", table + "-missing", "--drop", "name")
    assert "missing" in r.err


def test_rollback_to_non_ancestor_changes_nothing(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long")
    s1 = append_rows(t, [{"id": 1}], tmp_path)
    ice_ok("branch", "create", t, "side")
    s2 = append_rows(t, [{"id": 2}], tmp_path, "--branch", "side")
    append_rows(t, [{"id": 3}], tmp_path)
    before = metadata(t)
    r = ice_fails(1, "rollback", t, "--to", s2)
    assert f"snapshot {s2} is not an ancestor" in r.err
    ice_fails(2, "rollback", t, "--to", s1, "--as-of", "5")
    ice_fails(2, "rollback", t, "--to", "abc")
    ice_fails(2, "rollback", t, "--as-of", "yesterday")
    assert metadata(t) == before
