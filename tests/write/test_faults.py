"""Bad input, concurrency and crash safety of the write path.

- Bad input: a value that does not convert names file, line and column and
  commits nothing; --reject-file keeps the good rows; required nulls, unknown
  columns, malformed schema and partition expressions: one-line errors.
- Concurrency: 8 processes appending 50 times each to one table: 400
  snapshots, every row present, a linear snapshot log and parent chain.
- Crash safety: 200 appends killed with SIGKILL at random moments (spread
  over the whole append by the fault library): the table always loads,
  holds every acknowledged append, shows no partial commit, and what is
  left over is only files no metadata references.
"""
import json
import pathlib
import random
import re
import signal
import subprocess
import time

from support import (current_metadata, duckdb_rows, fault_env, ice_bin, ice_fails, ice_ok, metadata_files,
                           pyiceberg_rows, table_files)


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


class TableState:
    """What a reader sees of the table, checked on the way: the versions are
    v1..vN with nothing missing, the newest is a whole metadata document,
    every manifest list, manifest and data file it references exists, and
    the data files' row counts add up to the snapshot's total-records.
    Manifests and data files never change, so they are read once."""

    def __init__(self):
        self.manifests = {}
        self.ids = {}

    def rows_by_append(self, table):
        import fastavro
        import pyarrow.parquet as pq

        versions = metadata_files(table)
        nums = [int(re.match(r"v(\d+)", p.name).group(1)) for p in versions]
        assert nums == list(range(1, len(nums) + 1)), nums
        md = json.loads(versions[-1].read_text())
        counts = {}
        if not md.get("snapshots"):
            return md, counts
        snap = [s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]][0]
        with open(snap["manifest-list"], "rb") as f:
            listed = [m["manifest_path"] for m in fastavro.reader(f)]
        total = 0
        for path in listed:
            if path not in self.manifests:
                with open(path, "rb") as f:
                    self.manifests[path] = [(e["status"], e["data_file"]["file_path"], e["data_file"]["record_count"])
                                            for e in fastavro.reader(f)]
            for status, data_file, n in self.manifests[path]:
                if status == 2:
                    continue
                if data_file not in self.ids:
                    self.ids[data_file] = pq.read_table(data_file, columns=["id"]).column("id").to_pylist()
                assert len(self.ids[data_file]) == n
                total += n
                for i in self.ids[data_file]:
                    counts[i // 100] = counts.get(i // 100, 0) + 1
        assert int(snap["summary"]["total-records"]) == total
        return md, counts


def referenced_files(table) -> set:
    """Every file some metadata version references (and the versions)."""
    import fastavro

    root = pathlib.Path(table)
    out = {"metadata/version-hint.text"}
    for v in metadata_files(table):
        out.add(str(v.relative_to(root)))
        for snap in json.loads(v.read_text()).get("snapshots", []):
            out.add(str(pathlib.Path(snap["manifest-list"]).relative_to(root)))
            with open(snap["manifest-list"], "rb") as f:
                for m in fastavro.reader(f):
                    out.add(str(pathlib.Path(m["manifest_path"]).relative_to(root)))
                    with open(m["manifest_path"], "rb") as mf:
                        for e in fastavro.reader(mf):
                            out.add(str(pathlib.Path(e["data_file"]["file_path"]).relative_to(root)))
    return out


def test_appends_killed_at_random_moments(tmp_path):
    """At least 200 appends, each killed with SIGKILL at a moment drawn
    uniformly over how long an append takes. The binary under test (the
    sanitized one in CI) runs with the fault library's ICE_FAULT_SLOW_US:
    every call that changes the file system first sleeps 1 ms, so the
    append's time is spread over its ~200 I/O steps (creating and writing
    data files, manifests, the manifest list, the metadata temporary, link,
    the directory sync, version-hint.text) instead of being mostly process
    start-up, and a uniform kill lands between any two of them. The test
    checks that kills did land in every phase, the commit's included."""
    t = make(tmp_path)
    env = fault_env(ICE_FAULT_SLOW_US=1000)
    rnd = random.Random(7)
    state = TableState()
    acknowledged, durations = [], []
    phases = {}

    def run(k):
        f = tmp_path / "in.csv"
        f.write_text("id,price,d,s\n" + "".join(f"{k * 100 + i},1.00,2024-0{1 + i % 9}-01,r\n" for i in range(20)))
        return subprocess.Popen([ice_bin(), "-q", "append", str(t), str(f)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)

    # how long an append takes here, unkilled (a sanitized build is slower)
    for k in range(1000, 1003):
        start = time.monotonic()
        p = run(k)
        assert p.wait() == 0, p.stderr.read().decode()
        durations.append(time.monotonic() - start)
        acknowledged.append(k)
    typical = sorted(durations)[1]
    kills, k = 0, 0
    while kills < 200:
        assert k < 600, f"only {kills} of {k} appends were killed: {phases}"
        before = table_files(t)
        nversions = len(metadata_files(t))
        p = run(k)
        time.sleep(rnd.uniform(0, typical * 1.1))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()
        new = table_files(t) - before
        if p.returncode == 0:
            acknowledged.append(k)
            phase = "acknowledged"
            # a completed append leaves no temporary behind
            assert not any(f.endswith(".tmp") for f in new), sorted(new)
        else:
            assert p.returncode == -signal.SIGKILL, p.stderr.read().decode()
            kills += 1
            if len(metadata_files(t)) > nversions:
                phase = "committed, killed before exit"
            elif any(f.endswith(".tmp") for f in new):
                phase = "publishing"
            elif any(f.startswith("metadata/snap-") for f in new):
                phase = "manifest list written"
            elif any(f.startswith("metadata/") for f in new):
                phase = "manifests written"
            elif new:
                phase = "writing data files"
            else:
                phase = "before writing"
        phases[phase] = phases.get(phase, 0) + 1
        # the table loads, holds every acknowledged append, and every append
        # it holds is whole (all 20 rows): no partial commit
        md, counts = state.rows_by_append(t)
        assert set(acknowledged) <= set(counts), (phase, sorted(set(acknowledged) - set(counts)))
        assert all(c == 20 for c in counts.values()), (phase, counts)
        if k % 25 == 0:
            got = pyiceberg_rows(current_metadata(t))
            assert sorted(r["id"] for r in got) == sorted(a * 100 + i for a in counts for i in range(20))
        k += 1
    print(f"\n{k} appends, {kills} killed; typical {typical:.3f} s; phases {phases}")
    # kills landed all along the append, the commit included
    assert phases.get("writing data files", 0) > 0, phases
    assert phases.get("manifests written", 0) + phases.get("manifest list written", 0) > 0, phases
    assert phases.get("publishing", 0) + phases.get("committed, killed before exit", 0) > 0, phases
    # the peers read the final table with every row of every committed append
    md, counts = state.rows_by_append(t)
    expect = sorted(a * 100 + i for a in counts for i in range(20))
    assert sorted(r["id"] for r in pyiceberg_rows(current_metadata(t))) == expect
    assert sorted(r["id"] for r in duckdb_rows(current_metadata(t))) == expect
    assert ice_ok("--json", "describe", t).json()["snapshot_count"] == len(md["snapshots"])
    # leftovers are only files no metadata version references: data files,
    # manifests, manifest lists and temporaries of the killed appends
    left = table_files(t) - referenced_files(t)
    for f in left:
        assert (re.fullmatch(r"data/.+\.parquet", f) or re.fullmatch(r"metadata/[0-9a-f-]+-m\d+\.avro", f)
                or re.fullmatch(r"metadata/snap-\d+-\d+-[0-9a-f-]+\.avro", f)
                or re.fullmatch(r"metadata/\.[0-9a-f-]+(-version-hint)?\.tmp", f)), f


def test_a_data_file_that_cannot_be_made_durable_fails_the_append_and_leaves_nothing(tmp_path):
    """At the end of an append the open files are finished side by side (two
    threads) or one after another (one): when the fsync of one partition's
    data file fails, the append fails naming that file, no snapshot is
    added, and no data file is left, neither the failed one nor those
    finished beside it."""
    lines = ["id,price,d,s"] + [f"{i},{i % 1000}.25,2024-{1 + i % 12:02d}-{1 + i % 28:02d},v{i % 7}"
                                for i in range(20000)]
    f = tmp_path / "in.csv"
    f.write_text("\n".join(lines) + "\n")
    for threads in ("1", "2"):
        t = make(tmp_path, f"t{threads}")
        before = metadata_files(t)
        p = subprocess.run([ice_bin(), "append", str(t), str(f), "--threads", threads], capture_output=True,
                           text=True, env=fault_env(ICE_FAULT_FSYNC="d_month=2024-07"))
        assert p.returncode == 1, p.stderr
        err = p.stderr.strip().splitlines()
        assert len(err) == 1 and "d_month=2024-07" in err[0] and "fsync" in err[0], p.stderr
        assert metadata_files(t) == before
        assert not list((t / "data").rglob("*.parquet"))
        assert ice_ok("append", t, f, "--threads", threads).code == 0  # the table takes the same rows after
        assert len(pyiceberg_rows(current_metadata(t))) == 20000
