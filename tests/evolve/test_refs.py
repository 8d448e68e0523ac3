"""Tags, branches and rollback by ice, read by PyIceberg and DuckDB: every
snapshot and every ref's snapshot holds the rows expected of it, appends to
a branch leave main alone, rollback moves main back (to ancestors only) and
the peers read the rolled-back state as current."""
from support import (append_rows, current_snapshot_id, ice, ice_fails, ice_ok, metadata, peers_agree,
                            pyiceberg_rows, duckdb_rows, canon)


def rows(a, b):
    return [{"id": i, "v": f"v{i}"} for i in range(a, b)]


def test_tags_branches_rollback_read_by_peers(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, v string", "--partition", "bucket(2, id)")
    s1 = append_rows(t, rows(0, 3), tmp_path)
    ice_ok("tag", "create", t, "first", "--max-ref-age", "30d")
    ice_ok("branch", "create", t, "dev", "--min-snapshots-to-keep", "2", "--max-snapshot-age", "12h")
    s2 = append_rows(t, rows(3, 5), tmp_path, "--branch", "dev")
    s3 = append_rows(t, rows(5, 6), tmp_path)
    s4 = append_rows(t, rows(6, 9), tmp_path, "--branch", "dev")
    s5 = append_rows(t, rows(9, 10), tmp_path)

    md = metadata(t)
    refs = md["refs"]
    assert refs["first"] == {"snapshot-id": s1, "type": "tag", "max-ref-age-ms": 30 * 86400000}
    assert refs["dev"]["snapshot-id"] == s4 and refs["dev"]["min-snapshots-to-keep"] == 2
    assert refs["dev"]["max-snapshot-age-ms"] == 12 * 3600000
    assert refs["main"]["snapshot-id"] == s5 == md["current-snapshot-id"]
    parents = {s["snapshot-id"]: s.get("parent-snapshot-id") for s in md["snapshots"]}
    assert parents == {s1: None, s2: s1, s3: s1, s4: s2, s5: s3}
    # the sequence numbers are the table's, in commit order
    assert [s["sequence-number"] for s in md["snapshots"]] == [1, 2, 3, 4, 5]

    expected = {s1: rows(0, 3), s2: rows(0, 5), s3: rows(0, 3) + rows(5, 6), s4: rows(0, 9)[:5] + rows(6, 9),
                s5: rows(0, 3) + rows(5, 6) + rows(9, 10)}
    for sid, want in expected.items():
        peers_agree(t, sid, want)

    # rollback: only to ancestors of main; the peers read the result as current
    r = ice_fails(1, "rollback", t, "--to", s4)
    assert "not an ancestor" in r.err
    assert metadata(t) == md
    ice_ok("rollback", t, "--to", s1)
    assert current_snapshot_id(t) == s1
    assert canon(pyiceberg_rows(t)) == canon(rows(0, 3)) == canon(duckdb_rows(t))
    assert metadata(t)["refs"]["dev"]["snapshot-id"] == s4
    # back to the newest state by time, then any snapshot with --set-current
    ts5 = [s["timestamp-ms"] for s in md["snapshots"] if s["snapshot-id"] == s5][0]
    ice_ok("rollback", t, "--set-current", s5)
    ice_ok("rollback", t, "--as-of", ts5 - 1)  # the newest ancestor at or before: s3
    assert current_snapshot_id(t) == s3
    ice_ok("rollback", t, "--set-current", s4)
    assert canon(pyiceberg_rows(t)) == canon(expected[s4]) == canon(duckdb_rows(t))
    log = metadata(t)["snapshot-log"]
    assert [e["snapshot-id"] for e in log][-4:] == [s1, s5, s3, s4]

    # an append after a rollback continues from the rolled-back snapshot
    ice_ok("rollback", t, "--set-current", s3)
    s6 = append_rows(t, rows(20, 21), tmp_path)
    peers_agree(t, s6, rows(0, 3) + rows(5, 6) + rows(20, 21))
    assert [s for s in metadata(t)["snapshots"] if s["snapshot-id"] == s6][0]["parent-snapshot-id"] == s3

    # lists, drops, replacing
    out = ice_ok("tag", "list", t).out
    assert out.startswith(f"first\t{s1}")
    ice_ok("tag", "create", t, "first", "--snapshot", s2, "--force")
    assert metadata(t)["refs"]["first"]["snapshot-id"] == s2
    peers_agree(t, metadata(t)["refs"]["first"]["snapshot-id"], expected[s2])
    ice_ok("branch", "drop", t, "dev")
    ice_ok("tag", "drop", t, "first")
    assert set(metadata(t)["refs"]) == {"main"}
    # snapshots stay after their refs go
    peers_agree(t, s4, expected[s4])


def test_ref_errors_change_nothing(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long, v string")
    r = ice_fails(1, "tag", "create", t, "x")
    assert "no snapshot yet" in r.err
    append_rows(t, rows(0, 1), tmp_path)
    ice_ok("tag", "create", t, "x")
    before = metadata(t)
    for args, code, needle in [
        (("tag", "create", t, "x"), 1, "exists already"),
        (("branch", "create", t, "x"), 1, "is a tag, not a branch"),
        (("branch", "drop", t, "main"), 1, "cannot be dropped"),
        (("tag", "drop", t, "nope"), 1, "no tag 'nope'"),
        (("tag", "create", t, "y", "--snapshot", "42"), 1, "no snapshot 42"),
        (("tag", "create", t, "y", "--min-snapshots-to-keep", "3"), 1, "are for branches"),
        (("branch", "create", t, "y", "--max-ref-age", "soon"), 2, "--max-ref-age wants a duration"),
        (("rollback", t, "--to", "42"), 1, "no snapshot 42"),
        (("rollback", t, "--as-of", "1"), 1, "no ancestor"),
        (("rollback", t), 2, "give --to ID"),
        (("append", t, "-", "--branch", "nope"), 1, "no branch 'nope'"),
        (("append", t, "-", "--branch", "x"), 1, "'x' is a tag, not a branch"),
    ]:
        r = ice_fails(code, *args, stdin=b"id\n5\n")
        assert needle in r.err, (args, r.err)
    assert metadata(t) == before
    assert ice("tag", "frobnicate", t).code == 2
