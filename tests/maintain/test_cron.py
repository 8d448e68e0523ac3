"""ice maintain: the one cron entry over tables named or --all of a catalog:
compaction, manifest rewrite, expiry and orphan removal as their own
commands do them, table properties turning steps off, a corrupt table that
does not stop the others, the per-table JSON report and the exit code.
Rows are checked by PyIceberg and DuckDB after each run."""
import json
import os
import pathlib

from maintain_support import (age_tree, canon, current_metadata, disk_files, duckdb_rows, ice, ice_ok, metadata,
                              pyiceberg_rows, reachable)
from test_compact import csv_rows, ice_rows, live_entries, small_table


def catalog(tmp_path, tables=("a", "b")):
    wh = tmp_path / "wh"
    wh.mkdir()
    env = dict(os.environ, ICE_CATALOG=str(wh))
    ice_ok("namespace", "create", "db", env=env)
    for name in tables:
        small_table(str(wh / "db" / name), tmp_path, appends=6, per=20)
    return wh, env


def steps(table_report):
    return {s["step"]: s for s in table_report["steps"]}


def test_all_tables_every_step(tmp_path):
    wh, env = catalog(tmp_path)
    a = str(wh / "db" / "a")
    rows = {t: ice_rows(str(wh / "db" / t)) for t in ("a", "b")}
    # an orphan old enough, one too young
    old = pathlib.Path(a, "data", "stray-old.parquet")
    old.write_bytes(b"PAR1")
    age_tree(a, 4 * 86400)
    young = pathlib.Path(a, "data", "stray-young.parquet")
    young.write_bytes(b"PAR1")
    before = disk_files(a)
    plan = ice_ok("--json", "maintain", "--all", "--dry-run", "--older-than", "0s", env=env).json()
    assert [t["table"] for t in plan["tables"]] == ["db.a", "db.b"] and plan["tables_failed"] == 0
    s = steps(plan["tables"][0])
    assert s["compact"]["ran"] and s["compact"]["files_removed"] == 12 and not s["compact"]["changed"]
    assert s["remove-orphan-files"]["files_removed"] == 1
    assert s["rewrite-manifests"]["skipped"] == "few small manifests"
    assert disk_files(a) == before
    got = ice_ok("--json", "maintain", "--all", "--older-than", "0s", env=env).json()
    for t in got["tables"]:
        s = steps(t)
        assert t["ok"] and t["error"] is None
        assert s["compact"]["changed"] and s["compact"]["files_removed"] == 12 and s["compact"]["files_written"] == 2
        assert s["compact"]["bytes_removed"] > s["compact"]["bytes_written"] > 0
        # expiry ran after the compaction: only the compacted snapshot is left
        assert s["expire-snapshots"]["changed"] and s["expire-snapshots"]["files_removed"] > 12
    assert steps(got["tables"][0])["remove-orphan-files"]["files_removed"] == 1
    assert not old.exists() and young.exists()
    for name in ("a", "b"):
        t = str(wh / "db" / name)
        md = metadata(t)
        assert len(md["snapshots"]) == 1 and md["snapshots"][0]["summary"]["operation"] == "replace"
        assert ice_rows(t) == rows[name] == canon(pyiceberg_rows(current_metadata(t))) == canon(
            duckdb_rows(current_metadata(t)))
        assert all(os.path.exists(p) for p in reachable(t))
    # text: one line per table; nothing left to do
    r = ice_ok("maintain", a, str(wh / "db" / "b"), env=env)
    assert len(r.out.splitlines()) == 2 and "compact 0 files removed" in r.out


def test_a_corrupt_table_does_not_stop_the_others(tmp_path):
    wh, env = catalog(tmp_path, tables=("a", "bad", "c"))
    bad = current_metadata(wh / "db" / "bad")
    bad.write_text('{"format-version": 2, "table-uuid": ')
    r = ice("--json", "maintain", "--all", "--skip", "expire-snapshots,remove-orphan-files", env=env)
    assert r.code == 1
    got = json.loads(r.out)
    assert [t["ok"] for t in got["tables"]] == [True, False, True] and got["tables_failed"] == 1
    assert "bad" in got["tables"][1]["error"] and str(bad.name) in got["tables"][1]["error"]
    for name in ("a", "c"):
        assert metadata(wh / "db" / name)["snapshots"][-1]["summary"]["operation"] == "replace"
    # text: the bad one named on stderr, the others' lines on stdout
    r = ice("maintain", "--all", env=env)
    assert r.code == 1 and "db.bad" in r.err and "1 of 3 tables failed" in r.err


def test_properties_and_step_selection(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=6, per=10)
    # many small manifests: rewritten once the threshold is low enough
    ice_ok("alter", t, "--set", "commit.manifest.min-count-to-merge=3", "--set", "ice.maintain.compact=false")
    got = ice_ok("--json", "maintain", t, "--only", "compact,rewrite-manifests").json()["tables"][0]
    s = steps(got)
    assert not s["compact"]["ran"] and "ice.maintain" in s["compact"]["skipped"]
    assert s["rewrite-manifests"]["changed"] and s["rewrite-manifests"]["files_removed"] == 6
    assert s["rewrite-manifests"]["files_written"] == 1
    assert not s["expire-snapshots"]["ran"] and s["expire-snapshots"]["skipped"] == "not asked for"
    # gc.enabled=false: nothing deleted
    ice_ok("alter", t, "--set", "gc.enabled=false", "--unset", "ice.maintain.compact")
    s = steps(ice_ok("--json", "maintain", t, "--older-than", "0s").json()["tables"][0])
    assert s["expire-snapshots"]["skipped"] == s["remove-orphan-files"]["skipped"] == "gc.enabled is false"
    assert s["compact"]["changed"]
    ice_ok("alter", t, "--set", "ice.maintain.enabled=false")
    s = steps(ice_ok("--json", "maintain", t).json()["tables"][0])
    assert not any(x["ran"] for x in s.values())
    ice_ok("alter", t, "--set", "ice.maintain.enabled=maybe")
    r = ice("--json", "maintain", t)
    assert r.code == 1 and "ice.maintain.enabled" in json.loads(r.out)["tables"][0]["error"]


def test_usage(tmp_path):
    for args in ((), ("--all", "x"), ("x", "--skip", "nothing"), ("x", "--retain-last", "0")):
        r = ice("maintain", *args)
        assert r.code == 2 and r.err.startswith("ice: maintain: "), (args, r.err)
    assert "cron" in ice_ok("maintain", "--help").out
    r = ice("maintain", str(tmp_path / "missing"))
    assert r.code == 1
