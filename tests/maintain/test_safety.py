"""Maintenance never deletes what it must not, with hostile metadata,
concurrent writers and SIGKILL at any moment:

- hostile metadata: an expired snapshot's manifest naming files through
  "..", absolute paths elsewhere, other schemes, a directory linked out of
  the table; its manifest list and statistics file outside the table:
  nothing outside is deleted, each is counted as kept outside;
- 4 appending processes and one deleting process while expiry and orphan
  removal (default guard) run in a loop: every acknowledged row is there at
  the end, no file a commit references is gone, expiry exits 0 or 3;
- an append in flight while orphan removal runs with the default guard
  loses nothing;
- 100+ expiry and orphan-removal runs killed with SIGKILL at random
  moments (the fault library spreads their I/O): each leaves a table that
  loads with every reachable file present, and the next orphan removal
  leaves exactly what the metadata reaches."""
import copy
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import threading
import time

from maintain_support import (_read_avro, _write_avro, age, age_tree, assert_whole, disk_files, fault_env, history,
                              ice, ice_bin, ice_ok, metadata, reachable, write_csv)

DAY = 86400


def test_hostile_metadata_never_leads_outside(tmp_path):
    t = tmp_path / "t"
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = {name: outside / name for name in ("a.parquet", "b.parquet", "c.parquet", "m.avro", "list.avro",
                                                 "stats.puffin")}
    for p in precious.values():
        p.write_bytes(b"keep me")
    history(str(t), tmp_path, appends=3)
    first = metadata(t)["snapshots"][0]
    m0 = [m["manifest_path"] for m in _read_avro(first["manifest-list"])[2]][0]
    ice_ok("delete", t, "--where", "id < 3")   # the first append's file goes: m0 only in the first snapshot
    os.symlink(outside, t / "data" / "linked")
    # the first manifest also names files outside, in every spelling
    schema, meta, recs = _read_avro(m0)
    hostile = [f"{t}/data/../../outside/a.parquet", str(precious["b.parquet"]), "s3://bucket/c.parquet",
               f"file://{outside}/c.parquet", f"{t}/data/linked/c.parquet", f"{t}/data/./../../outside/b.parquet"]
    for h in hostile:
        r = copy.deepcopy(recs[0])
        r["data_file"]["file_path"] = h
        recs.append(r)
    _write_avro(m0, schema, meta, recs)
    # the first snapshot's list: a copy outside naming a manifest outside too;
    # a statistics file outside
    shutil.copy(m0, precious["m.avro"])
    lschema, lmeta, lrecs = _read_avro(first["manifest-list"])
    # the list counts what the manifest now holds (a list that does not is
    # read as truncated, and nothing is cleaned up)
    for lr in lrecs:
        if lr["manifest_path"] == m0:
            lr["added_files_count"] += len(hostile)
    lrecs.append(dict(lrecs[0], manifest_path=str(precious["m.avro"])))
    _write_avro(precious["list.avro"], lschema, lmeta, lrecs)
    md_file = sorted(t.glob("metadata/v*.metadata.json"), key=lambda p: int(p.name[1:].split(".")[0]))[-1]
    md = json.loads(md_file.read_text())
    # every later list naming m0 counts its entries too (which list a
    # manifest is first read through must not matter)
    for snap in md["snapshots"][1:]:
        sschema, smeta, srecs = _read_avro(snap["manifest-list"])
        if any(lr["manifest_path"] == m0 for lr in srecs):
            for lr in srecs:
                if lr["manifest_path"] == m0:
                    lr["added_files_count"] += len(hostile)
            _write_avro(snap["manifest-list"], sschema, smeta, srecs)
    md["snapshots"][0]["manifest-list"] = str(precious["list.avro"])
    for k in ("total-data-files", "total-records", "total-delete-files"):  # no longer what the list adds up to
        md["snapshots"][0]["summary"].pop(k, None)
    md["statistics"] = [{"snapshot-id": first["snapshot-id"], "statistics-path": str(precious["stats.puffin"]),
                         "file-size-in-bytes": 7, "file-footer-size-in-bytes": 1, "blob-metadata": []}]
    md_file.write_text(json.dumps(md))
    contents = {name: p.read_bytes() for name, p in precious.items()}
    r = ice_ok("--json", "expire-snapshots", t, "--older-than", "0s").json()
    # 6 hostile entries (listed twice: in m0 and its copy outside), the
    # manifest and the list outside, the statistics file
    assert r["committed"] and r["files_outside"] == 9, r
    assert r["deleted_manifest_lists_count"] == 2 and r["deleted_manifest_files_count"] == 1, r
    for name, p in precious.items():
        assert p.read_bytes() == contents[name], name
    # orphan removal through the link deletes the link, never what is behind it
    age_tree(t, 4 * DAY)
    age([str(outside)], 4 * DAY)
    r = ice_ok("--json", "remove-orphan-files", t).json()
    assert str(t / "data" / "linked") in r["orphan_file_locations"]
    assert all(p.read_bytes() == contents[name] for name, p in precious.items())
    assert_whole(t)


def _appender(t, tmp, k, n, acknowledged, codes):
    for j in range(n):
        ids = [100000 * (k + 1) + 10 * j + i for i in range(3)]
        csv = write_csv(pathlib.Path(tmp) / f"w{k}-{j}.csv", [(i, f"w{k}") for i in ids])
        r = ice("append", t, csv, timeout=300)
        codes.append(r.code)
        assert r.code in (0, 3), r.err
        if r.code == 0:
            acknowledged.update(ids)


def _deleter(t, acknowledged, deleted, codes, stop):
    while not stop.is_set():
        candidates = sorted(acknowledged - deleted)
        if candidates:
            victim = random.choice(candidates)
            r = ice("delete", t, "--where", f"id = {victim}", timeout=300)
            codes.append(r.code)
            assert r.code in (0, 3), r.err
            if r.code == 0:
                deleted.add(victim)
        time.sleep(0.05)


def test_maintenance_racing_writers(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=2)
    base = {r["id"] for r in json_rows(t)}
    # real orphans, old enough for the default guard: removal has work to do
    for i in range(5):
        pathlib.Path(t, "data", f"old-orphan-{i}.parquet").write_bytes(b"x")
    age_tree(t, 4 * DAY)
    acknowledged, deleted, codes, maint = set(base), set(), [], []
    stop = threading.Event()
    writers = [threading.Thread(target=_appender, args=(t, tmp_path, k, 8, acknowledged, codes)) for k in range(4)]
    killer = threading.Thread(target=_deleter, args=(t, acknowledged, deleted, codes, stop))
    for w in writers:
        w.start()
    killer.start()
    while any(w.is_alive() for w in writers):
        r = ice("--json", "expire-snapshots", t, "--older-than", "0s", "--retain-last", "1", timeout=300)
        assert r.code in (0, 3), r.err
        maint.append(("expire", r.code))
        r = ice("--json", "remove-orphan-files", t, timeout=300)
        assert r.code == 0, r.err
        maint.append(("orphans", r.code))
    stop.set()
    killer.join()
    assert all(c in (0, 3) for c in codes)
    assert ("expire", 0) in maint
    rows = {r["id"] for r in json_rows(t)}
    assert rows == acknowledged - deleted, (sorted(acknowledged - deleted - rows)[:5], sorted(rows - acknowledged)[:5])
    assert_whole(t)
    assert not any(pathlib.Path(t, "data").glob("old-orphan-*"))
    # quiet now: the last expiry and a sweep leave only what the table reaches
    ice_ok("expire-snapshots", t, "--older-than", "0s", "--retain-last", "1")
    ice_ok("remove-orphan-files", t, "--older-than", "0s", "--force")
    assert disk_files(t) == set(reachable(t))
    assert {r["id"] for r in json_rows(t)} == acknowledged - deleted


def json_rows(t):
    return [json.loads(line) for line in ice_ok("scan", t, "--format", "jsonl").out.splitlines()]


def test_in_flight_append_is_safe_with_the_default_guard(tmp_path):
    """An append slowed down by the fault library (every file-system call
    waits) is still writing while orphan removal runs with the default
    guard: the append commits and every row it wrote is read."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=1)
    age_tree(t, 4 * DAY)
    csv = write_csv(tmp_path / "big.csv", [(i, f"r{i}") for i in range(1000, 1200)])
    slow = subprocess.Popen([ice_bin(), "append", t, csv], env=fault_env(ICE_FAULT_SLOW_US=40000), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen_in_flight = 0
    deadline = time.time() + 120
    while slow.poll() is None and time.time() < deadline:
        new = [p for p in pathlib.Path(t).rglob("*") if p.is_file() and time.time() - p.stat().st_mtime < 3600]
        if new:
            seen_in_flight += 1
        r = ice("--json", "remove-orphan-files", t)
        assert r.code == 0, r.err
        time.sleep(0.05)
    out, err = slow.communicate(timeout=300)
    assert slow.returncode == 0, err.decode()
    assert seen_in_flight > 0, "orphan removal never ran while the append was writing"
    ids = {r["id"] for r in json_rows(t)}
    assert set(range(1000, 1200)) <= ids
    assert_whole(t)


def _restore(pristine, t):
    shutil.rmtree(t, ignore_errors=True)
    shutil.copytree(pristine, t, symlinks=True)


def test_runs_killed_at_random_moments(tmp_path):
    """At least 100 expiry and orphan-removal runs killed with SIGKILL at a
    moment drawn uniformly over how long an unkilled run takes (its I/O
    spread by the fault library)."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=12, delete_ids=(0, 11, 22, 33))
    for i in range(6):
        pathlib.Path(t, "data", f"orphan-{i}.parquet").write_bytes(b"x")
    age_tree(t, 4 * DAY)
    pristine = str(tmp_path / "pristine")
    shutil.copytree(t, pristine, symlinks=True)
    env = fault_env(ICE_FAULT_SLOW_US=3000)
    runs = {"expire": ["expire-snapshots", t, "--older-than", "0s", "--retain-last", "2"],
            "orphans": ["remove-orphan-files", t]}
    typical = {}
    for name, args in runs.items():
        start = time.time()
        subprocess.run([ice_bin(), *args], env=env, capture_output=True, check=True, timeout=300)
        typical[name] = time.time() - start
        _restore(pristine, t)
    kills, rounds, finished = 0, 0, 0
    rng = random.Random(12)
    while kills < 100:
        assert rounds < 400, f"only {kills} of {rounds} runs were killed"
        rounds += 1
        name = "expire" if rounds % 2 else "orphans"
        _restore(pristine, t)
        p = subprocess.Popen([ice_bin(), *runs[name]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, typical[name]))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        else:
            finished += 1
        p.wait()
        # the table loads, every file it reaches is there ...
        ice_ok("describe", t)
        assert_whole(t)
        ice_ok("scan", t, "--format", "csv")
        # ... and the next run leaves exactly what the metadata reaches
        ice_ok("remove-orphan-files", t, "--older-than", "0s", "--force")
        left = disk_files(t) - set(reachable(t))
        assert not left, f"round {rounds} ({name}): left {sorted(left)[:5]}"
    print(f"\n{rounds} runs, {kills} killed, {finished} finished first; typical {typical}")
