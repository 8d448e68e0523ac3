"""`ice scan` options on the planning side: snapshot selection by id, time
(epoch milliseconds and ISO-8601 with and without an offset) and ref, the
text and JSON forms of --plan, --select and --limit."""
import datetime

import plan_support as ps

TABLE = ps.fixtures() / "tables" / "iceberg-cxx" / "partition_evolution"


def plan_of(*args):
    return ps.ice_ok(*ps.path_maps(), "--json", "scan", "--plan", *args, TABLE).json()


def test_snapshot_by_id_time_and_ref():
    md = ps.metadata_of(TABLE)
    log = md["snapshot-log"]
    assert len(log) >= 2
    for entry in log:
        sid, ms = entry["snapshot-id"], entry["timestamp-ms"]
        assert plan_of("--snapshot", sid)["snapshot_id"] == sid
        assert plan_of("--as-of", ms)["snapshot_id"] == sid
        assert plan_of("--as-of", ms + 1)["snapshot_id"] == sid
        t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
        iso = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        assert plan_of("--as-of", iso)["snapshot_id"] == sid, iso
        assert plan_of("--as-of", iso + "Z")["snapshot_id"] == sid
        plus_one = (t + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+01:00"
        assert plan_of("--as-of", plus_one)["snapshot_id"] == sid, plus_one
    # before the first snapshot
    r = ps.ice(*ps.path_maps(), "scan", "--plan", "--as-of", log[0]["timestamp-ms"] - 1, TABLE)
    assert r.code == 1
    ps.one_line_error(r, "no snapshot was current at")
    r = ps.ice(*ps.path_maps(), "scan", "--plan", "--as-of", "2000-01-01", TABLE)
    assert r.code == 1
    assert plan_of("--ref", "main")["snapshot_id"] == md["current-snapshot-id"]
    r = ps.ice(*ps.path_maps(), "scan", "--plan", "--ref", "nope", TABLE)
    assert r.code == 1
    ps.one_line_error(r, "no branch or tag 'nope'")
    r = ps.ice("scan", "--plan", "--ref", "main", "--snapshot", "1", TABLE)
    assert r.code == 2


def test_older_snapshots_plan_what_they_held():
    md = ps.metadata_of(TABLE)
    counts = [len(plan_of("--snapshot", e["snapshot-id"])["tasks"]) for e in md["snapshot-log"]]
    assert counts == sorted(counts) and counts[0] < counts[-1], counts


def test_text_form():
    r = ps.ice_ok(*ps.path_maps(), "scan", "--plan", "--stats", "--where", "c3 > 2", TABLE)
    lines = r.out.splitlines()
    tasks = [ln for ln in lines if ln.startswith("s3a://")]
    assert tasks and all(" records=" in ln and " spec=" in ln and " partition={" in ln for ln in tasks)
    assert "    residual: c3 > double '2.0'" in lines
    assert f"{len(tasks)} task(s)" in lines
    assert any(ln.startswith("manifests: ") for ln in lines)
    assert any(ln.startswith("data files: ") for ln in lines)


def test_json_form_and_stats():
    got = plan_of("--stats", "--where", "c1 = 1")
    assert got["filter"] == "c1 = int '1'"
    assert got["schema_id"] == 0
    for t in got["tasks"]:
        assert t["partition"]["c1"] == 1 and t["residual"] is None
        assert set(t) >= {"file_path", "file_format", "record_count", "file_size_in_bytes", "spec_id", "partition",
                          "data_sequence_number", "file_sequence_number", "deletes", "residual"}
    s = got["stats"]
    assert s["tasks"] == len(got["tasks"]) and s["data_files_skipped_partition"] > 0


def test_select_and_limit():
    got = plan_of("--select", "c1, c3")
    assert len(got["tasks"]) == 7
    r = ps.ice(*ps.path_maps(), "scan", "--plan", "--select", "c1,nope", TABLE)
    assert r.code == 1
    ps.one_line_error(r, "select: unknown column 'nope'")
    assert len(plan_of("--limit", "3")["tasks"]) == 3
    assert len(plan_of("--limit", "0")["tasks"]) == 0
    r = ps.ice("scan", "--plan", "--limit", "-1", TABLE)
    assert r.code == 2


def test_help_and_usage():
    assert "Usage: ice scan TABLE" in ps.ice_ok("scan", "--help").out
    assert ps.ice("scan").code == 2
    assert ps.ice("scan", "--threads", "x", TABLE).code == 2
