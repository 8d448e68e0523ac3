"""Numbers for monitoring: the --json reports of the write and maintenance
commands carry rows in/written/rejected, bytes read/written, files,
partitions, commit attempts and time per phase; --metrics-file PATH writes
the same as Prometheus text exposition (node_exporter's textfile collector
format), atomically; `ice describe` shows the newest snapshot's age."""
import json
import re
import time

from support import ice, ice_ok

LINE = re.compile(r'^([a-z_]+)\{(?:table="((?:[^"\\]|\\.)*)",)?command="([a-z-]+)"(?:,phase="([a-z-]+)")?\} '
                  r'(-?[0-9.e+]+)$')


def prom_rows(path):
    """Parse a metrics file strictly: HELP and TYPE before each name's
    first sample, every sample line well-formed, the lines of one name
    together. (name, table, command, phase, value) per line."""
    rows, typed, done = [], set(), set()
    for ln in path.read_text().splitlines():
        if ln.startswith("# HELP "):
            continue
        if ln.startswith("# TYPE "):
            name, kind = ln.split()[2:4]
            assert kind == "gauge"
            typed.add(name)
            continue
        m = LINE.match(ln)
        assert m, f"not a sample line: {ln!r}"
        name, table, command, phase, value = m.groups()
        assert name in typed, f"{name} has no TYPE line"
        if rows and rows[-1][0] != name:
            done.add(rows[-1][0])
        assert name not in done, f"{name}: its lines are not together"
        rows.append((name, table, command, phase, float(value)))
    return rows


def prom(path):
    """One table's file: (name, phase) -> (value, table, command)."""
    return {(name, phase): (value, table, command) for name, table, command, phase, value in prom_rows(path)}


def test_append_report_and_metrics(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, s string, d date", "--partition", "d")
    src = tmp_path / "in.csv"
    src.write_text("id,s,d\n1,a,2024-01-01\n2,b,2024-01-02\nx,c,2024-01-02\n3,\"q\"\"uote\",2024-01-03\n")
    m = tmp_path / "m.prom"
    r = json.loads(ice_ok("--json", "append", t, src, "--reject-file", tmp_path / "rej.csv",
                          "--metrics-file", m).out)
    assert (r["rows_in"], r["rows_written"], r["rows_rejected"]) == (4, 3, 1)
    assert r["bytes_read"] == src.stat().st_size
    data = sorted((t / "data").rglob("*.parquet"))
    assert r["bytes_written"] == sum(p.stat().st_size for p in data) and r["files"] == len(data) == 3
    assert r["partitions"] == 3 and r["commit_attempts"] == 1
    assert r["phase_ms"]["write"] >= 0 and r["phase_ms"]["commit"] >= 0
    s = prom(m)
    assert s[("ice_rows_appended_total", None)] == (3, str(t), "append")
    assert s[("ice_rows_in_total", None)][0] == 4 and s[("ice_rows_rejected_total", None)][0] == 1
    assert s[("ice_bytes_read_total", None)][0] == r["bytes_read"]
    assert s[("ice_bytes_written_total", None)][0] == r["bytes_written"]
    assert s[("ice_files_written_total", None)][0] == 3 and s[("ice_partitions_written", None)][0] == 3
    assert s[("ice_commit_attempts", None)][0] == 1 and s[("ice_run_success", None)][0] == 1
    assert ("ice_phase_seconds", "write") in s and ("ice_phase_seconds", "commit") in s
    assert abs(s[("ice_last_run_timestamp_seconds", None)][0] - time.time()) < 600
    # written atomically: nothing but the file itself beside it
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("m.prom")) == ["m.prom"]
    # a failed run says so (and still leaves a whole file)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,s,d\nnope,a,2024-01-01\n")
    assert ice("append", t, bad, "--metrics-file", m).code == 1
    s = prom(m)
    assert s[("ice_run_success", None)][0] == 0 and s[("ice_rows_appended_total", None)][0] == 0
    # a skipped run (idempotency key found)
    ice_ok("append", t, src, "--reject-file", tmp_path / "rej.csv", "--idempotency-key", "k")
    ice_ok("append", t, src, "--reject-file", tmp_path / "rej.csv", "--idempotency-key", "k", "--metrics-file", m)
    s = prom(m)
    assert s[("ice_skipped", None)][0] == 1 and s[("ice_committed", None)][0] == 0
    # labels are escaped
    q = tmp_path / 'we"ird'
    ice_ok("create", q, "--schema", "id long")
    (tmp_path / "one.csv").write_text("id\n1\n")
    ice_ok("append", q, tmp_path / "one.csv", "--metrics-file", m)
    assert prom(m)[("ice_rows_appended_total", None)][1] == str(q).replace('"', '\\"')


def test_delete_overwrite_and_maintenance_numbers(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, s string", "--format-version", "2")
    src = tmp_path / "in.csv"
    src.write_text("id,s\n" + "".join(f"{i},s{i}\n" for i in range(100)))
    ice_ok("append", t, src)
    m = tmp_path / "m.prom"
    r = json.loads(ice_ok("--json", "delete", t, "--where", "id < 10", "--mode", "merge-on-read",
                          "--metrics-file", m).out)
    assert r["rows_deleted"] == 10 and r["commit_attempts"] == 1 and r["bytes_written"] > 0
    s = prom(m)
    assert s[("ice_rows_deleted_total", None)] == (10, str(t), "delete")
    assert s[("ice_files_written_total", None)][0] == 1  # one position delete file
    ow = tmp_path / "ow.csv"
    ow.write_text("id,s\n1000,x\n1001,y\n")
    r = json.loads(ice_ok("--json", "overwrite", t, ow, "--where", "id >= 90", "--metrics-file", m).out)
    assert (r["rows_in"], r["rows_written"], r["rows_deleted"]) == (2, 2, 10)
    assert r["bytes_read"] == ow.stat().st_size
    s = prom(m)
    assert s[("ice_rows_appended_total", None)][1:] == (str(t), "overwrite")
    assert s[("ice_rows_deleted_total", None)][0] == 10 and s[("ice_bytes_read_total", None)][0] == r["bytes_read"]
    r = json.loads(ice_ok("--json", "expire-snapshots", t, "--older-than", "0s", "--retain-last", "1",
                          "--metrics-file", m).out)
    assert r["commit_attempts"] == 1 and r["phase_ms"]["run"] >= 0
    s = prom(m)
    assert s[("ice_snapshots_expired_total", None)] == (2, str(t), "expire-snapshots")
    assert s[("ice_files_deleted_total", None)][0] > 0
    r = json.loads(ice_ok("--json", "remove-orphan-files", t, "--older-than", "0s", "--force", "--dry-run",
                          "--metrics-file", m).out)
    assert "phase_ms" in r
    assert prom(m)[("ice_orphans_total", None)][1:] == (str(t), "remove-orphan-files")


def test_describe_freshness(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long")
    assert json.loads(ice_ok("--json", "describe", t).out)["newest_snapshot_age_ms"] is None
    (tmp_path / "one.csv").write_text("id\n1\n")
    ice_ok("append", t, tmp_path / "one.csv")
    time.sleep(1.1)
    d = json.loads(ice_ok("--json", "describe", t).out)
    assert d["newest_snapshot_id"] == d["current_snapshot_id"]
    assert 1000 <= d["newest_snapshot_age_ms"] < 600000
    assert abs(d["newest_snapshot_timestamp_ms"] + d["newest_snapshot_age_ms"] - time.time() * 1000) < 60000
    assert re.search(r"Freshness: +newest snapshot \d+ s ago", ice_ok("describe", t).out)


def test_compaction_manifests_and_maintain_numbers(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, s string")
    for i in range(4):
        (tmp_path / "in.csv").write_text("id,s\n" + "".join(f"{k},s{k}\n" for k in range(i * 10, i * 10 + 10)))
        ice_ok("append", t, tmp_path / "in.csv")
    m = tmp_path / "m.prom"
    before = {p: p.stat().st_size for p in (t / "data").rglob("*.parquet")}
    r = json.loads(ice_ok("--json", "compact", t, "--min-input-files", "2", "--metrics-file", m).out)
    assert r["committed"] and r["commit_attempts"] == 1 and r["phase_ms"]["run"] >= r["phase_ms"]["commit"] >= 0
    after = [p for p in (t / "data").rglob("*.parquet") if p not in before]
    s = prom(m)
    assert s[("ice_run_success", None)] == (1, str(t), "compact")
    assert s[("ice_files_removed_total", None)][0] == len(before) == 4
    assert s[("ice_files_written_total", None)][0] == len(after) == 1
    assert s[("ice_bytes_removed_total", None)][0] == sum(before.values())
    assert s[("ice_bytes_written_total", None)][0] == after[0].stat().st_size
    assert s[("ice_rows_written_total", None)][0] == 40 and s[("ice_commit_attempts", None)][0] == 1
    r = json.loads(ice_ok("--json", "rewrite-manifests", t, "--metrics-file", m).out)
    assert r["committed"] and r["commit_attempts"] == 1 and "run" in r["phase_ms"]
    s = prom(m)
    assert s[("ice_files_removed_total", None)] == (r["manifests_replaced"], str(t), "rewrite-manifests")
    assert s[("ice_files_written_total", None)][0] == r["manifests_created"]
    # maintain: one line per table, a phase per step that ran; a table that
    # does not load counts as failed
    u = tmp_path / "u"
    ice_ok("create", u, "--schema", "id long")
    r = ice("--json", "maintain", t, u, tmp_path / "missing", "--older-than", "0s", "--retain-last", "1",
            "--metrics-file", m)
    assert r.code == 1, r.err
    rep = json.loads(r.out)
    assert rep["tables"][0]["phase_ms"]["expire_snapshots"] >= 0 and "run" in rep["tables"][0]["phase_ms"]
    rows = prom_rows(m)
    ok = {table: v for name, table, _, _, v in rows if name == "ice_run_success"}
    assert ok == {str(t): 1, str(u): 1, str(tmp_path / "missing"): 0}
    removed = {table: v for name, table, _, _, v in rows if name == "ice_files_removed_total"}
    assert removed[str(t)] == sum(s["files_removed"] for s in rep["tables"][0]["steps"]) > 0
    phases = {phase for name, table, _, phase, _ in rows if name == "ice_phase_seconds" and table == str(t)}
    assert {"compact", "expire-snapshots", "remove-orphan-files", "run"} <= phases
    assert [c for name, table, c, _, _ in rows if name == "ice_last_run_timestamp_seconds"] == ["maintain"]
