"""Exactly-once appends: --summary properties in the snapshot summary,
`ice last-value` reading them back, and --idempotency-key on append,
add-files, overwrite and delete. The commit checks the key on the base of
every attempt (the library's commit path), so a job that is SIGKILLed at any
moment and rerun until it succeeds lands each batch exactly once, and racing
runs with one key make one snapshot."""
import json
import random
import signal
import subprocess
import time

import pyarrow as pa
import pyarrow.parquet as pq

from support import ice, ice_bin, ice_fails, ice_ok, metadata


def make_table(tmp, name="t"):
    path = tmp / name
    ice_ok("create", path, "--schema", "batch long, id long, s string")
    return path


def batch_csv(tmp, b, rows):
    p = tmp / f"batch{b}.csv"
    with open(p, "w") as f:
        f.write("batch,id,s\n")
        for i in range(rows):
            f.write(f"{b},{i},row {b}-{i} {'x' * 20}\n")
    return p


def scan_rows(path):
    out = ice_ok("scan", path, "--format", "jsonl").out
    return [json.loads(ln) for ln in out.splitlines() if ln]


def snapshots(path):
    return metadata(path).get("snapshots", [])


def test_summary_properties_and_last_value(tmp_path):
    t = make_table(tmp_path)
    ice_fails(1, "last-value", t, "wm")
    assert ice_ok("last-value", t, "wm", "--default", "1970-01-01").out == "1970-01-01\n"
    ice_ok("append", t, batch_csv(tmp_path, 1, 3), "--summary", "wm=2024-01-01", "--summary", "job=load")
    ice_ok("append", t, batch_csv(tmp_path, 2, 3))  # no watermark: the newer one is still found below it
    assert ice_ok("last-value", t, "wm").out == "2024-01-01\n"
    ice_ok("append", t, batch_csv(tmp_path, 3, 3), "--summary", "wm=2024-02-01")
    assert ice_ok("last-value", t, "wm").out == "2024-02-01\n"
    j = json.loads(ice_ok("--json", "last-value", t, "wm").out)
    snaps = snapshots(t)
    assert j["key"] == "wm" and j["value"] == "2024-02-01" and j["snapshot_id"] == snaps[-1]["snapshot-id"]
    assert j["committed_at_ms"] == snaps[-1]["timestamp-ms"]
    # the summary as ice snapshots --json shows it
    shown = json.loads(ice_ok("--json", "snapshots", t).out)
    assert any(s.get("summary", {}).get("job") == "load" for s in shown), shown
    assert snaps[0]["summary"]["wm"] == "2024-01-01" and snaps[0]["summary"]["operation"] == "append"
    # at a snapshot, on a branch
    first = snaps[0]["snapshot-id"]
    assert ice_ok("last-value", t, "wm", "--snapshot", first).out == "2024-01-01\n"
    ice_ok("branch", "create", t, "dev", "--snapshot", first)
    ice_ok("append", t, batch_csv(tmp_path, 4, 1), "--branch", "dev", "--summary", "wm=2023-12-31")
    assert ice_ok("last-value", t, "wm", "--ref", "dev").out == "2023-12-31\n"
    assert ice_ok("last-value", t, "wm").out == "2024-02-01\n"
    # a key ice writes itself is refused, nothing committed
    before = len(snapshots(t))
    r = ice_fails(1, "append", t, batch_csv(tmp_path, 5, 1), "--summary", "operation=x")
    assert "operation" in r.err
    ice_fails(2, "append", t, batch_csv(tmp_path, 5, 1), "--summary", "novalue")
    assert len(snapshots(t)) == before


def test_idempotency_key_every_operation(tmp_path):
    t = make_table(tmp_path)
    b1 = batch_csv(tmp_path, 1, 5)
    ice_ok("append", t, b1, "--idempotency-key", "load-1")
    files_before = sorted(p.name for p in (t / "data").rglob("*"))
    r = ice_ok("append", t, b1, "--idempotency-key", "load-1")
    sid = snapshots(t)[0]["snapshot-id"]
    assert f"already in snapshot {sid}" in r.out and "nothing committed" in r.out
    j = json.loads(ice_ok("--json", "append", t, b1, "--idempotency-key", "load-1").out)
    assert j["committed"] is False and j["skipped"] is True and j["existing_snapshot_id"] == sid
    assert len(snapshots(t)) == 1 and sorted(p.name for p in (t / "data").rglob("*")) == files_before
    assert snapshots(t)[0]["summary"]["ice.idempotency-key"] == "load-1"
    # another key commits; a key on another branch's history only does not count
    ice_ok("append", t, batch_csv(tmp_path, 2, 5), "--idempotency-key", "load-2")
    ice_ok("branch", "create", t, "dev")
    ice_ok("append", t, batch_csv(tmp_path, 3, 5), "--branch", "dev", "--idempotency-key", "load-3")
    ice_ok("append", t, batch_csv(tmp_path, 3, 5), "--idempotency-key", "load-3")
    r = ice_ok("append", t, batch_csv(tmp_path, 3, 5), "--branch", "dev", "--idempotency-key", "load-3")
    assert "nothing committed" in r.out
    rows = scan_rows(t)
    assert sorted((r["batch"], r["id"]) for r in rows) == sorted((b, i) for b in (1, 2, 3) for i in range(5))
    # delete and overwrite
    ice_ok("delete", t, "--where", "batch = 1", "--idempotency-key", "del-1")
    n = len(snapshots(t))
    r = ice_ok("delete", t, "--where", "batch = 2", "--idempotency-key", "del-1")
    assert "nothing committed" in r.out and len(snapshots(t)) == n
    assert {r["batch"] for r in scan_rows(t)} == {2, 3}
    ow = batch_csv(tmp_path, 9, 2)
    ice_ok("overwrite", t, ow, "--where", "batch = 2", "--idempotency-key", "ow-1")
    n = len(snapshots(t))
    data_before = sorted(p.name for p in (t / "data").rglob("*"))
    r = ice_ok("--json", "overwrite", t, ow, "--where", "batch = 3", "--idempotency-key", "ow-1")
    assert json.loads(r.out)["skipped"] is True and len(snapshots(t)) == n
    assert sorted(p.name for p in (t / "data").rglob("*")) == data_before
    assert sorted({r["batch"] for r in scan_rows(t)}) == [3, 9]
    # add-files
    pq.write_table(pa.table({"batch": pa.array([7], pa.int64()), "id": pa.array([0], pa.int64()),
                             "s": ["x"]}), tmp_path / "f.parquet")
    ice_ok("add-files", t, tmp_path / "f.parquet", "--idempotency-key", "add-1")
    ice_ok("add-files", t, tmp_path / "f.parquet", "--idempotency-key", "add-1")
    assert sum(1 for r in scan_rows(t) if r["batch"] == 7) == 1


def test_killed_and_rerun_lands_every_batch_exactly_once(tmp_path):
    """A cron job killed (SIGKILL) at random moments and rerun until it
    succeeds: every batch exactly once."""
    t = make_table(tmp_path)
    rng = random.Random(18)
    batches, rows = 8, 20000
    kills = landed_by_kill = 0
    # how long one run takes here (build, machine): kills fall anywhere in it
    scratch = make_table(tmp_path, "scratch")
    start = time.monotonic()
    ice_ok("append", scratch, batch_csv(tmp_path, 0, rows), "--idempotency-key", "k")
    run = time.monotonic() - start
    for b in range(batches):
        src = batch_csv(tmp_path, b, rows)
        for attempt in range(50):
            p = subprocess.Popen([ice_bin(), "append", t, src, "--idempotency-key", f"batch-{b}",
                                  "--summary", f"batch={b}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            delay = rng.uniform(0.0, run * 1.1) if attempt < 6 else None
            try:
                out, err = p.communicate(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.communicate()
                kills += 1
                landed_by_kill += any(s["summary"].get("ice.idempotency-key") == f"batch-{b}" for s in snapshots(t))
                continue
            if p.returncode == 0:
                break
            # killed while holding nothing: a rerun must still succeed; any other exit is a failure
            raise AssertionError(f"batch {b}: exit {p.returncode}: {err.decode()[-2000:]}")
        else:
            raise AssertionError(f"batch {b} never succeeded")
    got = {}
    for r in scan_rows(t):
        got[(r["batch"], r["id"])] = got.get((r["batch"], r["id"]), 0) + 1
    assert len(got) == batches * rows, f"missing rows: {batches * rows - len(got)}"
    assert set(got.values()) == {1}, "a batch landed twice"
    keys = [s["summary"].get("ice.idempotency-key") for s in snapshots(t)]
    assert sorted(keys) == sorted(f"batch-{b}" for b in range(batches))
    assert ice_ok("last-value", t, "batch").out == f"{batches - 1}\n"
    print(f"{kills} kills, {landed_by_kill} after the commit had landed")
    assert kills > 0


def race(args, n=3):
    """n runs of `ice --json ARGS` started at once: their JSON reports."""
    procs = [subprocess.Popen([ice_bin(), "--json", *map(str, args)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(n)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
        results.append(json.loads(out))
    committed = [r for r in results if r["committed"]]
    skipped = [r for r in results if r.get("skipped")]
    assert len(committed) == 1 and len(skipped) == n - 1, results
    assert all(r["existing_snapshot_id"] == committed[0]["snapshot_id"] for r in skipped)
    return results


def test_racing_runs_with_one_key_make_one_snapshot(tmp_path):
    """Of runs racing with one key, one commits and the others exit 0
    naming its snapshot: appends, and deletes and overwrites, whose key is
    checked before their conflict check (a delete that landed meanwhile with
    the same key is this delete done, not a conflict)."""
    t = make_table(tmp_path)
    ice_ok("alter", t, "--set", "commit.retry.min-wait-ms=1")
    for round_ in range(4):
        race(["append", t, batch_csv(tmp_path, round_, 2000), "--idempotency-key", f"race-{round_}"])
    keys = [s["summary"].get("ice.idempotency-key") for s in snapshots(t)]
    assert sorted(keys) == [f"race-{r}" for r in range(4)]
    got = [(r["batch"], r["id"]) for r in scan_rows(t)]
    assert len(got) == len(set(got)) == 4 * 2000
    race(["delete", t, "--where", "batch = 0", "--idempotency-key", "race-delete"])
    race(["overwrite", t, batch_csv(tmp_path, 9, 100), "--where", "batch = 1", "--idempotency-key", "race-ow"])
    assert len(snapshots(t)) == 6
    assert sorted({r["batch"] for r in scan_rows(t)}) == [2, 3, 9]
