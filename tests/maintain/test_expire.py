"""ice expire-snapshots with the real binary: what it keeps (ages, counts,
branch and tag retention, named snapshots), what it deletes (exactly the
files only expired snapshots reached, checked against an account read with
fastavro), dry runs, --keep-files, --clean-metadata, gc.enabled, errors; and
PyIceberg and DuckDB reading the same rows at every retained snapshot
afterwards."""
import json
import pathlib
import time

from maintain_support import (age_tree, assert_whole, disk_files, history, ice, ice_fails, ice_ok, metadata,
                              peers_agree_everywhere, reachable, write_csv)


def expire(t, *args):
    return ice_ok("--json", "expire-snapshots", t, *args).json()


def test_defaults_keep_recent_snapshots(tmp_path):
    """Five days by default: a fresh table expires nothing and commits nothing."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=3)
    versions = len(list((tmp_path / "t" / "metadata").glob("v*.metadata.json")))
    r = expire(t)
    assert r["snapshots_expired"] == 0 and not r["committed"] and r["snapshots_after"] == 3
    assert len(list((tmp_path / "t" / "metadata").glob("v*.metadata.json"))) == versions
    out = ice_ok("expire-snapshots", t).out
    assert out.startswith(f"{t}: nothing to expire (3 snapshots kept)")


def test_deletes_exactly_what_only_expired_snapshots_reach(tmp_path):
    t = str(tmp_path / "t")
    ids = history(t, tmp_path, appends=5, delete_ids=(1, 12))
    before_reach = reachable(t)
    before_disk = disk_files(t)
    assert set(before_reach) <= before_disk
    rows_before = peers_agree_everywhere(t)

    dry = expire(t, "--older-than", "0s", "--retain-last", "2", "--dry-run")
    assert dry["dry_run"] and not dry["committed"]
    assert disk_files(t) == before_disk, "a dry run deleted something"
    assert len(metadata(t)["snapshots"]) == len(ids)

    r = expire(t, "--older-than", "0s", "--retain-last", "2")
    assert r["committed"] and r["snapshots_expired"] == len(ids) - 2
    assert sorted(r["expired_snapshot_ids"]) == sorted(ids[:-2])
    assert [s["snapshot-id"] for s in metadata(t)["snapshots"]] == ids[-2:]
    after_reach = reachable(t)
    deleted = before_disk - disk_files(t)
    # the new metadata version is the only file added
    assert disk_files(t) - before_disk == {str(pathlib.Path(t, "metadata", f"v{len(ids) + 2}.metadata.json").resolve())}
    # exactly what the old metadata reached and the new one does not,
    # old metadata files excepted (they stay in the log)
    expected = {p for p, k in before_reach.items() if p not in after_reach and k != "metadata"}
    assert deleted == expected
    # counted by kind, the way the dry run predicted
    kinds = {}
    for p in deleted:
        kinds[before_reach[p]] = kinds.get(before_reach[p], 0) + 1
    assert r["deleted_data_files_count"] == kinds.get("data", 0) == 1  # the first append's file, rewritten away
    assert r["deleted_manifest_lists_count"] == kinds["manifest-list"] == len(ids) - 2
    assert r["deleted_manifest_files_count"] == kinds.get("manifest", 0)
    for k in ("deleted_data_files_count", "deleted_manifest_files_count", "deleted_manifest_lists_count"):
        assert dry[k] == r[k], k
    assert r["files_missing"] == r["files_outside"] == r["files_failed"] == 0
    # each manifest list and manifest read at most once (before and after the commit together)
    assert 0 < r["manifest_lists_read"] <= len(ids)
    assert 0 < r["manifests_read"] <= sum(1 for k in before_reach.values() if k == "manifest")
    assert_whole(t)
    rows_after = peers_agree_everywhere(t)
    for sid, rows in rows_after.items():
        assert rows == rows_before[sid]


def test_text_summary_and_verbose_list(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=3)
    r = ice_ok("expire-snapshots", t, "--older-than", "0s", "--dry-run", "-v")
    lines = r.out.splitlines()
    assert all(l.startswith("would delete manifest-list ") for l in lines[:-1]) and len(lines) == 3
    assert lines[-1].startswith(f"{t}: dry run: 2 snapshots expired, 1 kept; would delete 0 data")
    r = ice_ok("expire-snapshots", t, "--older-than", "0s")
    assert r.out.startswith(f"{t}: 2 snapshots expired, 1 kept; deleted 0 data, 0 position delete, "
                            "0 equality delete files, 0 manifests, 2 manifest lists, 0 statistics files")
    assert r.err == ""  # no progress when stderr is not a terminal


def test_branch_and_tag_retention(tmp_path):
    """Refs past their max-ref-age go (never main); a branch keeps its own
    minimum; a tag keeps its snapshot; history reached by nothing goes."""
    t = str(tmp_path / "t")
    ids = history(t, tmp_path, appends=6)
    ice_ok("tag", "create", t, "keep", "--snapshot", ids[0])
    ice_ok("tag", "create", t, "short", "--snapshot", ids[1], "--max-ref-age", "1ms")
    ice_ok("branch", "create", t, "b", "--snapshot", ids[3], "--min-snapshots-to-keep", "3")
    time.sleep(0.01)
    r = expire(t, "--older-than", "0s")
    md = metadata(t)
    assert set(md["refs"]) == {"main", "keep", "b"}
    kept = {s["snapshot-id"] for s in md["snapshots"]}
    # main keeps 1 (ids[5]); b keeps ids[3], ids[2], ids[1]; tag keep keeps ids[0]
    assert kept == {ids[5], ids[3], ids[2], ids[1], ids[0]}
    assert r["refs_removed"] == 1 and r["expired_snapshot_ids"] == [ids[4]]
    assert_whole(t)
    peers_agree_everywhere(t)


def test_named_snapshots(tmp_path):
    t = str(tmp_path / "t")
    ids = history(t, tmp_path, appends=4)
    ice_ok("tag", "create", t, "pinned", "--snapshot", ids[1])
    r = ice_fails(1, "expire-snapshots", t, "--snapshot-id", str(ids[1]))
    assert f"cannot expire snapshot {ids[1]}: ref 'pinned' still points at it" in r.err
    r = ice_fails(1, "expire-snapshots", t, "--snapshot-id", "42")
    assert "cannot expire snapshot 42: no such snapshot" in r.err
    assert len(metadata(t)["snapshots"]) == 4
    # a young snapshot goes when named (with the default age nothing else does)
    r = expire(t, "--snapshot-id", f"{ids[0]},{ids[2]}")
    assert sorted(r["expired_snapshot_ids"]) == sorted([ids[0], ids[2]])
    assert {s["snapshot-id"] for s in metadata(t)["snapshots"]} == {ids[1], ids[3]}
    assert_whole(t)


def test_keep_files_and_gc_disabled(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=3)
    ice_ok("alter", t, "--set", "gc.enabled=false")
    before = disk_files(t)
    r = ice_fails(1, "expire-snapshots", t, "--older-than", "0s")
    assert "gc.enabled is false" in r.err
    assert disk_files(t) == before
    r = expire(t, "--older-than", "0s", "--keep-files")
    assert r["snapshots_expired"] == 3 - 1 and sum(v for k, v in r.items() if k.startswith("deleted-")) == 0
    assert before - disk_files(t) == set()
    r = ice_fails(1, "remove-orphan-files", t)
    assert "gc.enabled is false" in r.err


def _used_specs_and_schemas(t):
    """What Java's cleanExpiredMetadata keeps, read with fastavro: the
    default spec and every spec of a manifest a snapshot lists; the current
    schema and every snapshot's schema."""
    import fastavro
    md = metadata(t)
    specs, schemas = {md["default-spec-id"]}, {md["current-schema-id"]}
    for s in md["snapshots"]:
        schemas.add(s.get("schema-id", md["current-schema-id"]))
        with open(s["manifest-list"], "rb") as f:
            specs.update(m["partition_spec_id"] for m in fastavro.reader(f))
    return specs, schemas


def test_clean_metadata_removes_unused_specs_and_schemas(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long, name string, day date", "--partition", "identity(day)")
    (tmp_path / "b.csv").write_text("id,name,day\n1,a,2024-01-01\n")
    ice_ok("append", t, tmp_path / "b.csv")
    ice_ok("alter", t, "--add-column", "extra int", "--drop-partition", "day")
    (tmp_path / "c.csv").write_text("id,name,day,extra\n2,b,2024-01-02,7\n")
    ice_ok("append", t, tmp_path / "c.csv")
    md = metadata(t)
    assert len(md["partition-specs"]) == 2 and len(md["schemas"]) == 2
    # without --clean-metadata they stay
    r = expire(t, "--older-than", "0s", "--dry-run")
    assert r["specs_removed"] == 0 and r["schemas_removed"] == 0
    # the first snapshot (old spec, old schema) stays: nothing to clean
    r = expire(t, "--older-than", "0s", "--retain-last", "2", "--clean-metadata")
    assert len(metadata(t)["partition-specs"]) == 2 and r["specs_removed"] == 0 and r["schemas_removed"] == 0
    # one snapshot left: its schema is the new one; the old spec's file is still live
    r = expire(t, "--older-than", "0s", "--clean-metadata")
    specs, schemas = _used_specs_and_schemas(t)
    md = metadata(t)
    assert {s["spec-id"] for s in md["partition-specs"]} == specs == {0, 1}
    assert {s["schema-id"] for s in md["schemas"]} == schemas and r["schemas_removed"] == 1
    # delete the old spec's file and write once more: the old spec goes
    ice_ok("delete", t, "--where", "id = 1")
    (tmp_path / "d.csv").write_text("id,name,day,extra\n3,c,2024-01-03,8\n")
    ice_ok("append", t, tmp_path / "d.csv")
    r = expire(t, "--older-than", "0s", "--clean-metadata")
    specs, schemas = _used_specs_and_schemas(t)
    md = metadata(t)
    assert {s["spec-id"] for s in md["partition-specs"]} == specs
    assert r["specs_removed"] == (1 if specs == {md["default-spec-id"]} else 0)
    assert_whole(t)
    peers_agree_everywhere(t)


def test_bad_arguments(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=1)
    for args in (["--retain-last", "0"], ["--older-than", "yesterday-ish"], ["--snapshot-id", "x"], ["--threads", "0"]):
        r = ice("expire-snapshots", t, *args)
        assert r.code == 2 and r.err.startswith("ice: expire-snapshots: "), (args, r.err)
    assert ice("expire-snapshots").code == 2
    r = ice_ok("expire-snapshots", "--help")
    assert r.out.startswith("Usage: ice expire-snapshots TABLE")
    ice_fails(1, "expire-snapshots", str(tmp_path / "none"))


def test_older_than_accepts_times_and_durations(tmp_path):
    t = str(tmp_path / "t")
    ids = history(t, tmp_path, appends=3)
    age_tree(t, 0)
    assert expire(t, "--older-than", "2000-01-01", "--dry-run")["snapshots_expired"] == 0
    assert expire(t, "--older-than", "1h", "--dry-run")["snapshots_expired"] == 0
    assert expire(t, "--older-than", "2999-01-01T00:00:00", "--dry-run")["snapshots_expired"] == 2
    ms = metadata(t)["snapshots"][1]["timestamp-ms"]
    # epoch milliseconds: strictly older goes
    assert expire(t, "--older-than", str(ms), "--dry-run")["expired_snapshot_ids"] == [ids[0]]


def _stderr_on_a_terminal(*args):
    """Run ice with standard error on a pseudo-terminal; (stdout, what the
    terminal got)."""
    import os
    import pty
    import subprocess

    from maintain_support import ice_bin
    master, slave = pty.openpty()
    p = subprocess.Popen([ice_bin(), *map(str, args)], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out = p.stdout.read().decode()
    assert p.wait() == 0, seen
    os.close(master)
    return out, seen.decode()


def test_progress_on_a_terminal(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=4, delete_ids=(0,))
    out, tty = _stderr_on_a_terminal("expire-snapshots", t, "--older-than", "0s")
    for phase in ("reading manifest lists", "reading manifests", "deleting"):
        assert f"\rexpire-snapshots: {phase}" in tty.replace("\x1b[K", ""), tty
    assert tty.endswith("\r\x1b[K")  # the line is cleared before the summary
    assert out.startswith(f"{t}: 4 snapshots expired, 1 kept")
    age_tree(t, 4 * 86400)
    out, tty = _stderr_on_a_terminal("remove-orphan-files", t)
    assert "\rremove-orphan-files: listing" in tty.replace("\x1b[K", "") and tty.endswith("\r\x1b[K")
    # quiet: no progress
    out, tty = _stderr_on_a_terminal("remove-orphan-files", t, "-q")
    assert tty == "" and out == ""
