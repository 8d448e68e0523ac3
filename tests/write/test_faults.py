"""Bad input, concurrency and crash safety of the write path.

- Bad input: a value that does not convert names file, line and column and
  commits nothing; --reject-file keeps the good rows; required nulls, unknown
  columns, malformed schema and partition expressions: one-line errors.
- Concurrency: 8 processes appending 50 times each to one table: 400
  snapshots, every row present, a linear snapshot log and parent chain.
- Crash safety: appends killed with SIGKILL at random moments: the table
  always loads, holds every acknowledged append, and no partial commit.
"""
import json
import os
import random
import signal
import subprocess
import time

from write_support import current_metadata, ice, ice_bin, ice_fails, ice_ok, metadata_files, pyiceberg_rows


def make(tmp_path, name="t", extra=()):
    t = tmp_path / name
    ice_ok("create", t, "--schema", "id long required, price decimal(10,2), d date, s string",
           "--partition", "month(d)", *extra)
    return t


def test_bad_value_names_file_line_column_and_commits_nothing(tmp_path):
    t = make(tmp_path)
    f = tmp_path / "in.csv"
    f.write_text("id,price,d,s\n1,1.50,2024-01-01,a\n2,abc,2024-01-02,b\n")
    e = ice_fails(1, "append", t, f)
    assert f"{f}: line 3, column 2 (price): cannot convert 'abc' to decimal(10, 2)" in e.err
    assert len(metadata_files(t)) == 1
    assert not list((t / "data").rglob("*.parquet")) if (t / "data").exists() else True


def test_reject_file_keeps_good_rows(tmp_path):
    t = make(tmp_path)
    f = tmp_path / "in.csv"
    f.write_text("id,price,d,s\n1,1.50,2024-01-01,a\n2,abc,2024-01-02,b\n3,2.00,nodate,c\n4,3.00,2024-02-01,\"d,e\"\n")
    rej = tmp_path / "rejects.csv"
    r = ice_ok("--json", "append", t, f, "--reject-file", rej).json()
    assert r["rows"] == 2 and r["rejected"] == 2
    assert rej.read_text() == "id,price,d,s\n2,abc,2024-01-02,b\n3,2.00,nodate,c\n"
    assert sorted(x["id"] for x in pyiceberg_rows(current_metadata(t))) == [1, 4]


def test_required_null_unknown_column_and_bad_expressions(tmp_path):
    t = make(tmp_path)
    f = tmp_path / "a.csv"
    f.write_text("id,price\n,1.00\n")
    e = ice_fails(1, "append", t, f)
    assert "line 2" in e.err and "null in required column 'id'" in e.err
    f.write_text("id,nope\n1,2\n")
    e = ice_fails(1, "append", t, f)
    assert "line 1, column 2: unknown column 'nope'" in e.err
    j = tmp_path / "a.jsonl"
    j.write_text('{"id": 1}\n{"id": "x"}\n')
    e = ice_fails(1, "append", t, j)
    assert f"{j}: line 2 (id)" in e.err
    e = ice_fails(1, "create", tmp_path / "x", "--schema", "id lng")
    assert "schema: column 4: unknown type 'lng'" in e.err
    e = ice_fails(1, "create", tmp_path / "x", "--schema", "id long", "--partition", "day(id)")
    assert "partition: column 5: transform day cannot apply" in e.err
    e = ice_fails(1, "create", tmp_path / "x", "--schema", "id long", "--partition", "bucket(id)")
    assert "bucket needs a positive width" in e.err
    assert not (tmp_path / "x").exists()
    assert len(metadata_files(t)) == 1


def test_eight_writers_fifty_appends_each(tmp_path):
    t = make(tmp_path, extra=("--property", "commit.retry.num-retries=100",
                              "--property", "commit.retry.min-wait-ms=5",
                              "--property", "commit.retry.max-wait-ms=200"))
    script = tmp_path / "writer.sh"
    script.write_text(
        "#!/bin/sh\nset -e\nw=$1\nfor k in $(seq 0 49); do\n"
        "  printf 'id,price,d,s\\n%d,1.00,2024-0%d-01,w%d\\n' $((w*1000+k)) $((k%9+1)) $w |"
        f" {ice_bin()} -q append {t} - \ndone\n")
    procs = [subprocess.Popen(["sh", str(script), str(w)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for w in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=1200)
        assert p.returncode == 0, err.decode()[-2000:]
    md = json.loads(current_metadata(t).read_text())
    assert len(md["snapshots"]) == 400
    ids = sorted(r["id"] for r in pyiceberg_rows(current_metadata(t)))
    assert ids == sorted(w * 1000 + k for w in range(8) for k in range(50))
    # linear history: each snapshot's parent is the one before it in the log
    log = [e["snapshot-id"] for e in md["snapshot-log"]]
    assert len(log) == 400 and log[-1] == md["current-snapshot-id"]
    by_id = {s["snapshot-id"]: s for s in md["snapshots"]}
    for prev, cur in zip(log, log[1:]):
        assert by_id[cur]["parent-snapshot-id"] == prev
    assert [by_id[s]["sequence-number"] for s in log] == list(range(1, 401))
    assert int(by_id[log[-1]]["summary"]["total-records"]) == 400


def test_appends_killed_at_random_moments(tmp_path):
    t = make(tmp_path)
    rnd = random.Random(7)
    acknowledged = []
    durations = []
    # calibrate: how long an append takes here (sanitized builds are slower)
    for k in range(200, 203):
        f = tmp_path / "in.csv"
        f.write_text("id,price,d,s\n" + "".join(f"{k * 100 + i},1.00,2024-0{1 + i % 9}-01,r\n" for i in range(20)))
        start = time.monotonic()
        ice_ok("-q", "append", t, f)
        durations.append(time.monotonic() - start)
        acknowledged.append(k)
    for k in range(200):
        f = tmp_path / "in.csv"
        f.write_text("id,price,d,s\n" + "".join(f"{k * 100 + i},1.00,2024-0{1 + i % 9}-01,r\n" for i in range(20)))
        start = time.monotonic()
        p = subprocess.Popen([ice_bin(), "-q", "append", str(t), str(f)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        typical = sorted(durations)[len(durations) // 2]
        delay = rnd.uniform(0, typical * 1.5)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
        if p.returncode == 0:
            acknowledged.append(k)
            durations.append(time.monotonic() - start)
        else:
            assert p.returncode == -signal.SIGKILL, p.stderr.read().decode()
        # the table always loads and holds every acknowledged append
        md = json.loads(current_metadata(t).read_text())
        counts = {}
        for r in pyiceberg_rows(current_metadata(t)):
            counts[r["id"] // 100] = counts.get(r["id"] // 100, 0) + 1
        assert set(acknowledged) <= set(counts)
        # no partial commit: every committed append has all its 20 rows
        assert all(c == 20 for c in counts.values())
        assert int(md["snapshots"][-1]["summary"]["total-records"]) == 20 * len(counts) if md.get("snapshots") else True
    assert len(acknowledged) > 13
    # leftovers are only files no metadata references
    md_path = current_metadata(t)
    referenced = set()
    from write_support import pyiceberg_table
    tbl = pyiceberg_table(md_path)
    for task in tbl.scan().plan_files():
        referenced.add(task.file.file_path)
    on_disk = {str(p) for p in (t / "data").rglob("*.parquet")}
    assert referenced <= on_disk
    r = ice_ok("--json", "describe", t).json()
    assert r["snapshot-count"] == len(json.loads(md_path.read_text())["snapshots"])
