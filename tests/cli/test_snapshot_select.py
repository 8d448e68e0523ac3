"""--snapshot ID, --as-of TS and --ref NAME on every inspection command
(files, manifests, entries, partitions, snapshots, schema, describe), chosen
by the function ice scan uses (ice_table_metadata_select_snapshot): each
names the same snapshot the same way, a tag reads with its snapshot's
schema and a branch with the table's, and a wrong one is one line and exit
1 (two at once: exit 2)."""
import json

import pytest

from conftest import fails, ok, one_line_error


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    d = tmp_path_factory.mktemp("select")
    t = d / "t"
    ok("create", t, "--schema", "id long, s string", "--partition", "s")
    (d / "a.csv").write_text("id,s\n1,a\n2,b\n")
    (d / "b.csv").write_text("id,s,x\n3,a,30\n4,c,40\n")
    (d / "c.csv").write_text("id,s,x\n5,z,50\n")
    s1 = ok("--json", "append", t, d / "a.csv").json()["snapshot_id"]
    ok("tag", "create", t, "t1")
    ok("branch", "create", t, "b1")
    ok("alter", t, "--add-column", "x int")
    s2 = ok("--json", "append", t, d / "b.csv").json()["snapshot_id"]
    s3 = ok("--json", "append", t, d / "c.csv", "--branch", "b1").json()["snapshot_id"]
    log = ok("--json", "history", t).json()
    at = {e["snapshot_id"]: e["made_current_at_ms"] for e in log}
    return dict(t=t, s1=s1, s2=s2, s3=s3, at=at)


@pytest.mark.parametrize("cmd", ["files", "manifests", "entries", "partitions"])
def test_each_selector_names_the_same_snapshot(table, cmd):
    t, s1, s2 = table["t"], table["s1"], table["s2"]
    by_id = ok("--json", cmd, t, "--snapshot", s1).out
    assert ok("--json", cmd, t, "--ref", "t1").out == by_id
    assert ok("--json", cmd, t, "--as-of", table["at"][s1]).out == by_id
    current = ok("--json", cmd, t).out
    assert ok("--json", cmd, t, "--snapshot", s2).out == current
    assert ok("--json", cmd, t, "--ref", "main").out == current
    assert by_id != current
    branch = ok("--json", cmd, t, "--ref", "b1").out
    assert branch == ok("--json", cmd, t, "--snapshot", table["s3"]).out != current


def test_files_at_a_tag_lists_that_snapshot(table):
    files = ok("--json", "files", table["t"], "--ref", "t1").json()
    assert sorted(f["entry"]["data_file"]["record_count"] for f in files) == [1, 1]
    assert len(ok("--json", "files", table["t"]).json()) == 4


def test_schema_follows_the_scan_rule(table):
    t = table["t"]
    names = lambda r: [f["name"] for f in r.json()["fields"]]  # noqa: E731
    assert names(ok("--json", "schema", t)) == ["id", "s", "x"]
    assert names(ok("--json", "schema", t, "--ref", "t1")) == ["id", "s"]          # a tag: its snapshot's schema
    assert names(ok("--json", "schema", t, "--snapshot", table["s1"])) == ["id", "s"]
    assert names(ok("--json", "schema", t, "--as-of", table["at"][table["s1"]])) == ["id", "s"]
    assert names(ok("--json", "schema", t, "--ref", "b1")) == ["id", "s", "x"]    # a branch: the table's schema
    text = ok("schema", t, "--ref", "t1").out
    assert text.startswith("schema 0\n") and " x " not in text
    fails(2, "schema", t, "--all", "--ref", "t1")


def test_describe_at_a_snapshot(table):
    t = table["t"]
    d = ok("--json", "describe", t, "--ref", "t1").json()
    assert d["selected_snapshot_id"] == table["s1"]
    assert d["current_snapshot_id"] == table["s2"]
    assert [f["name"] for f in d["schema"]["fields"]] == ["id", "s"]
    assert "selected_snapshot_id" not in ok("--json", "describe", t).json()
    text = ok("describe", t, "--snapshot", table["s1"]).out
    assert f"Selected:         {table['s1']} (" in text


def test_snapshots_of_a_ref_are_its_lineage(table):
    t = table["t"]
    ids = lambda r: [s["snapshot_id"] for s in r.json()]  # noqa: E731
    assert ids(ok("--json", "snapshots", t)) == [table["s1"], table["s2"], table["s3"]]
    assert ids(ok("--json", "snapshots", t, "--ref", "b1")) == [table["s1"], table["s3"]]
    assert ids(ok("--json", "snapshots", t, "--ref", "main")) == [table["s1"], table["s2"]]
    assert ids(ok("--json", "snapshots", t, "--snapshot", table["s1"])) == [table["s1"]]
    out = ok("snapshots", t, "--ref", "b1").out
    assert "2 snapshot(s) (the selected one and its ancestors)" in out


@pytest.mark.parametrize("cmd", ["files", "manifests", "entries", "partitions", "snapshots", "schema", "describe",
                                 "scan"])
def test_wrong_selectors(table, cmd):
    t = table["t"]
    r = fails(1, cmd, t, "--ref", "nope")
    one_line_error(r, "no branch or tag 'nope'")
    r = fails(1, cmd, t, "--snapshot", "42")
    one_line_error(r, "no snapshot 42")
    r = fails(1, cmd, t, "--as-of", "1970-01-02")
    one_line_error(r, "no snapshot was current at 86400000 ms")
    fails(2, cmd, t, "--ref", "t1", "--snapshot", "1")
    fails(2, cmd, t, "--as-of", "yesterday")
    fails(2, cmd, t, "--snapshot", "x1")
