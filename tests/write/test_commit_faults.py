"""The two failed-commit outcomes, tested with the real binary.

- Commit state unknown: the fault library (tests/shim, preloaded) makes the
  last steps of publishing v<N+1>.metadata.json fail the way a sick disk or
  network file system can: link(2) or renameat2(2) report EIO after (or
  before) doing their work while the name cannot be read back, or the
  directory cannot be synced after the name is in place. `ice append` must
  exit 4, keep every file it wrote, and leave a table that loads, with the
  commit either present and complete or absent. When the name can be read
  back, the publisher knows the outcome: success (our bytes) or a definite
  failure (nothing there: exit 1, its files removed).
- Conflict exhaustion: with commit.retry.num-retries=0 a writer that loses
  the race for the next version exits 3 and removes what it wrote.
"""
import json
import subprocess
import time

import pytest

from support import (canon, current_metadata, duckdb_rows, fault_env, ice, ice_bin, ice_ok, metadata_files,
                           pyiceberg_rows, pyiceberg_table, table_files)


def make(tmp_path, *props):
    t = tmp_path / "t"
    extra = []
    for p in props:
        extra += ["--property", p]
    ice_ok("create", t, "--schema", "id long required, d date, s string", "--partition", "month(d)", *extra)
    first = tmp_path / "first.csv"
    first.write_text("id,d,s\n1,2024-01-05,a\n2,2024-02-05,b\n")
    ice_ok("append", t, first)
    return t


def batch(tmp_path, start, n=6):
    f = tmp_path / f"in-{start}.csv"
    f.write_text("id,d,s\n" + "".join(f"{start + i},2024-0{1 + i % 3}-1{i % 9},r{i}\n" for i in range(n)))
    return f


def ids(table):
    return sorted(r["id"] for r in pyiceberg_rows(current_metadata(table)))


def both_peers_agree(table):
    md = current_metadata(table)
    a = canon(pyiceberg_rows(md))
    assert a == canon(duckdb_rows(md))
    return sorted(r["id"] for r in a)


UNKNOWN = [
    # (fault, does the new version end up in place?)
    ({"ICE_FAULT_LINK": "after", "ICE_FAULT_UNREADABLE": "1"}, True),
    ({"ICE_FAULT_LINK": "before", "ICE_FAULT_UNREADABLE": "1"}, False),
    ({"ICE_FAULT_LINK": "eperm", "ICE_FAULT_RENAME2": "after", "ICE_FAULT_UNREADABLE": "1"}, True),
    ({"ICE_FAULT_LINK": "eperm", "ICE_FAULT_RENAME2": "before", "ICE_FAULT_UNREADABLE": "1"}, False),
    ({"ICE_FAULT_DIRSYNC": "1"}, True),
]


@pytest.mark.parametrize("faults,landed", UNKNOWN, ids=["link-after", "link-before", "rename2-after",
                                                         "rename2-before", "dirsync"])
def test_commit_state_unknown_exits_4_and_keeps_its_files(tmp_path, faults, landed):
    t = make(tmp_path)
    before = table_files(t)
    versions = len(metadata_files(t))
    r = ice("--json", "append", t, batch(tmp_path, 100), env=fault_env(**faults))
    assert r.code == 4, r.err
    assert "commit state unknown" in r.err and r.err.count("\n") == 1, r.err
    new = table_files(t) - before
    # nothing it wrote was deleted: data files, its manifest, its manifest list
    assert [f for f in new if f.startswith("data/") and f.endswith(".parquet")], new
    assert [f for f in new if f.startswith("metadata/") and "-m" in f and f.endswith(".avro")], new
    assert [f for f in new if f.startswith("metadata/snap-")], new
    assert not [f for f in new if f.endswith(".tmp")], new
    # the table loads, the commit is complete or absent
    assert len(metadata_files(t)) == versions + (1 if landed else 0)
    got = both_peers_agree(t)
    assert got == ([1, 2] + list(range(100, 106)) if landed else [1, 2])
    # and the next writer carries on from whatever is there
    ice_ok("append", t, batch(tmp_path, 200))
    assert both_peers_agree(t) == sorted(got + list(range(200, 206)))


def test_publish_error_the_publisher_can_check(tmp_path):
    # link reports EIO after linking, but the name reads back as ours: success
    t = make(tmp_path)
    r = ice("-q", "append", t, batch(tmp_path, 100), env=fault_env(ICE_FAULT_LINK="after"))
    assert r.code == 0, r.err
    assert ids(t) == [1, 2] + list(range(100, 106))
    # link reports EIO without linking and nothing is there: a definite
    # failure (exit 1) naming the error, and its files are removed
    before = table_files(t)
    r = ice("append", t, batch(tmp_path, 200), env=fault_env(ICE_FAULT_LINK="before"))
    assert r.code == 1, r.err
    assert "link: Input/output error" in r.err and r.err.count("\n") == 1, r.err
    assert table_files(t) - before == set()
    assert both_peers_agree(t) == [1, 2] + list(range(100, 106))


def test_retries_exhausted_exit_3_and_files_removed(tmp_path):
    t = make(tmp_path, "commit.retry.num-retries=0")
    before = table_files(t)
    # the slow writer loads the table, then every file-system call it makes
    # takes 30 ms; a second writer commits while it is writing its files
    slow = subprocess.Popen([ice_bin(), "append", str(t), str(batch(tmp_path, 100, 60))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=fault_env(ICE_FAULT_SLOW_US=30000))
    deadline = time.monotonic() + 120
    while not [f for f in table_files(t) - before if f.endswith(".parquet")]:
        assert slow.poll() is None, slow.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    ice_ok("append", t, batch(tmp_path, 200))
    out, err = slow.communicate(timeout=600)
    assert slow.returncode == 3, err.decode()
    assert "commit conflict" in err.decode() and "giving up after 1 attempt" in err.decode(), err.decode()
    # the loser's files are gone; the winner's commit is there
    left = {f for f in table_files(t) - before}
    md = json.loads(current_metadata(t).read_text())
    winner = md["snapshots"][-1]["manifest-list"]
    for f in left:
        assert not f.endswith(".tmp"), f
    assert both_peers_agree(t) == [1, 2] + list(range(200, 206))
    assert any(winner.endswith(f) for f in left)


def test_racing_writers_without_retries(tmp_path):
    # eight writers, no retries: each either commits (exit 0) or exits 3
    # having removed its files; every acknowledged row is there, no other
    t = make(tmp_path, "commit.retry.num-retries=0")
    procs = [subprocess.Popen([ice_bin(), "-q", "append", str(t), str(batch(tmp_path, 1000 * (w + 1), 5))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(8)]
    won = []
    for w, p in enumerate(procs):
        out, err = p.communicate(timeout=600)
        assert p.returncode in (0, 3), err.decode()
        if p.returncode == 0:
            won.append(w)
        else:
            assert "giving up after 1 attempt" in err.decode()
    assert won
    expect = [1, 2] + sorted(1000 * (w + 1) + i for w in won for i in range(5))
    assert both_peers_agree(t) == expect
    md = json.loads(current_metadata(t).read_text())
    assert len(md["snapshots"]) == 1 + len(won)
    # the losers removed their data files: what is on disk is what is referenced
    tbl = pyiceberg_table(current_metadata(t))
    referenced = {task.file.file_path for task in tbl.scan().plan_files()}
    on_disk = {str(p) for p in t.rglob("*.parquet")}
    assert on_disk == referenced
