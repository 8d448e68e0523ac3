"""Many writers at once, and servers that die or are stopped under them.

- 8 clients x 50 commits to one table at once, mixed: Spark (its REST
  catalog), PyIceberg and DuckDB appending through ice serve, ice appending
  directly to the warehouse (its no-replace publish racing the server's), and
  a raw HTTP client committing properties. Every commit lands or fails
  cleanly (409, then the client retries); every acknowledged row is there
  exactly once; the writers' snapshots interleave in the table's history (so
  the commits really overlapped); the server's memory stays bounded.
- SIGKILL of the server during a commit storm (the fault library slows its
  file system calls, so kills land inside commits): after a restart every
  table loads and every commit a client saw acknowledged is there.
- SIGTERM during commits: requests in flight are answered and land, the
  server exits 0.
"""
import csv
import json
import os
import signal
import threading
import time

import sys

import pyarrow as pa
import pytest

import serve_support as S

from support import fault_env

sys.path.insert(0, str(S.REPO / "tests"))
from peers import spark as SP  # noqa: E402

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), ("who", pa.string())])


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Writers:
    """Client threads; each records the ids it saw acknowledged, and those
    whose outcome it could not know (the server died under them)."""

    def __init__(self, uri, warehouse, table, tmp):
        self.uri, self.warehouse, self.table, self.tmp = uri, warehouse, table, tmp
        self.acked, self.unknown, self.failures = set(), set(), []
        self.conflicts = 0
        self.cli = None  # the ice under test unless set
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def note(self, kind, rid, outcome):
        with self.lock:
            if outcome == "acked":
                self.acked.add(rid)
            elif outcome == "unknown":
                self.unknown.add(rid)
            elif outcome == "conflict":
                self.conflicts += 1
            elif outcome == "props":
                pass
            else:
                self.failures.append((kind, rid, outcome))

    def pyiceberg(self, idx, n, tolerate_down=False):
        from pyiceberg.exceptions import CommitFailedException
        cat = S.pyiceberg_catalog(self.uri)
        for k in range(n):
            rid = idx * 100000 + k
            for attempt in range(500):
                if self.stop.is_set():
                    return
                try:
                    t = cat.load_table(self.table)
                    t.append(pa.table({"id": [rid], "who": [f"py{idx}"]}, schema=SCHEMA))
                    self.note("py", rid, "acked")
                    break
                except CommitFailedException:
                    self.note("py", rid, "conflict")
                except Exception as e:  # the server went away
                    if not tolerate_down:
                        self.note("py", rid, repr(e)[:300])
                        break
                    self.note("py", rid, "unknown")
                    time.sleep(0.2)
                    try:
                        cat = S.pyiceberg_catalog(self.uri)
                    except Exception:
                        pass
                    break

    def sql_inserts(self, kind, idx, n, insert, conflict):
        """n single-row INSERTs through `insert(sql_values)`; an exception
        that `conflict` recognizes is a lost commit, tried again."""
        for k in range(n):
            rid = idx * 100000 + k
            for attempt in range(500):
                try:
                    insert(f"({rid}, '{kind}{idx}')")
                    self.note(kind, rid, "acked")
                    break
                except Exception as e:
                    if conflict(str(e)):
                        self.note(kind, rid, "conflict")
                        continue
                    self.note(kind, rid, repr(e)[:300])
                    break

    def duckdb(self, idx, n):
        con = S.duckdb_connect()
        S.duckdb_attach(con, self.uri)
        self.sql_inserts("duck", idx, n, lambda v: con.execute(f"INSERT INTO c.{self.table} VALUES {v}"),
                         lambda e: "409" in e or "Conflict" in e or "CommitFailed" in e)

    def spark(self, idx, n, catalog):
        """Spark SQL INSERTs through its REST catalog; Spark retries a lost
        commit itself (refresh, re-apply) and gives up with a
        CommitFailedException after its retries, which this client retries."""
        self.sql_inserts("spark", idx, n, lambda v: SP.sql(f"INSERT INTO {catalog}.{self.table} VALUES {v}"),
                         lambda e: "CommitFailedException" in e)

    def ice_cli(self, idx, n, tolerate_down=False, env=None):
        for k in range(n):
            rid = idx * 100000 + k
            f = self.tmp / f"row-{rid}.csv"
            with open(f, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["id", "who"])
                w.writerow([rid, f"ice{idx}"])
            for attempt in range(500):
                if self.stop.is_set():
                    return
                p = S.ice("--catalog", self.warehouse, "append", self.table, f, check=False, env=env,
                          binary=self.cli)
                if p.returncode == 0:
                    self.note("ice", rid, "acked")
                    break
                if p.returncode == 3:
                    self.note("ice", rid, "conflict")
                    continue
                if p.returncode == 4 and tolerate_down:
                    self.note("ice", rid, "unknown")
                    break
                self.note("ice", rid, f"exit {p.returncode}: {p.stderr[-300:]}")
                break

    def props(self, idx, n):
        ns, name = self.table.split(".")
        h = S.Http(self.uri)
        for k in range(n):
            st, body = h.req("GET", f"/v1/namespaces/{ns}/tables/{name}")
            uuid = body["metadata"]["table-uuid"]
            st, body = h.req("POST", f"/v1/namespaces/{ns}/tables/{name}", {
                "requirements": [{"type": "assert-table-uuid", "uuid": uuid}],
                "updates": [{"action": "set-properties", "updates": {f"w{idx}": str(k)}}]})
            if st == 200:
                self.note("http", idx * 100000 + k, "props")
            else:
                self.note("http", k, f"{st} {body}")
        h.close()


def rows(uri, table):
    cat = S.pyiceberg_catalog(uri)
    return [r["id"] for r in cat.load_table(table).scan().to_arrow().to_pylist()]


def make_table(uri, ns, name):
    cat = S.pyiceberg_catalog(uri)
    cat.create_namespace(ns)
    cat.create_table(f"{ns}.{name}", schema=SCHEMA)


def test_eight_clients_fifty_commits_each(tmp_path):
    # A server of its own, whose sanitizer keeps little freed memory in
    # quarantine, so its resident size means what it says.
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8")
    with S.IceServe(tmp_path / "wh", env=env) as server:
        storm(server, tmp_path)


def writer_of(snapshot):
    """Who wrote a snapshot, from its summary (Spark names its application
    there): spark, or one of the others."""
    return "spark" if "spark.app.id" in snapshot.get("summary", {}) else "other"


def storm(server, tmp_path):
    make_table(server.uri, "storm", "t")
    w = Writers(server.uri, server.warehouse, "storm.t", tmp_path)
    # The server under test is the sanitized build; the ice clients writing
    # beside it may be the optimized one (same code, many times faster).
    release = S.REPO / "build" / "tools" / "ice"
    if release.is_file():
        w.cli = str(release)
    # Spark's session (one per test process) and its catalog are up before
    # the storm starts, so its inserts overlap the others'.
    SP.rest_catalog("storm", server.uri, cache_enabled="false")
    assert SP.rows("SELECT count(*) FROM storm.storm.t") == [(0,)]
    SP.sql("CREATE TABLE storm.storm.warm (id BIGINT) USING iceberg")
    SP.sql("INSERT INTO storm.storm.warm VALUES (1)")  # Spark's write path, compiled before the storm
    rss_before = rss_kb(server.pid)
    n = 50
    threads = [threading.Thread(target=w.spark, args=(0, n, "storm"))]
    threads += [threading.Thread(target=w.pyiceberg, args=(i, n)) for i in range(1, 3)]
    threads += [threading.Thread(target=w.duckdb, args=(i, n)) for i in range(3, 5)]
    threads += [threading.Thread(target=w.ice_cli, args=(i, n)) for i in range(5, 7)]
    threads += [threading.Thread(target=w.props, args=(7, n))]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    rss_after = rss_kb(server.pid)
    print(f"\n400 commits by 8 clients in {took:.1f} s, {w.conflicts} conflicts retried; "
          f"server RSS {rss_before // 1024} -> {rss_after // 1024} MB")
    assert not w.failures, w.failures[:5]
    assert len(w.acked) == 7 * n
    assert sum(1 for r in w.acked if r < 100000) == n  # Spark's
    # The commits overlapped: Spark's snapshots are not one run in the
    # history but alternate with the other writers'.
    h = S.Http(server.uri)
    st, body = h.req("GET", "/v1/namespaces/storm/tables/t")
    h.close()
    assert st == 200
    snaps = sorted(body["metadata"]["snapshots"], key=lambda s: s["sequence-number"])
    who = [writer_of(s) for s in snaps]
    assert who.count("spark") == n and who.count("other") == 6 * n, (who.count("spark"), len(who))
    spark_runs = sum(1 for i, x in enumerate(who) if x == "spark" and (i == 0 or who[i - 1] != "spark"))
    print(f"history (s: Spark, o: the others): {''.join(x[0] for x in who)}")
    assert spark_runs >= 5, f"Spark's commits did not interleave with the others': {''.join(x[0] for x in who)}"
    # and every snapshot is one chain: each parent is the snapshot before it
    for prev, s in zip(snaps, snaps[1:]):
        assert s.get("parent-snapshot-id") == prev["snapshot-id"]
    got = rows(server.uri, "storm.t")
    assert len(got) == len(set(got)), "a row landed twice"
    assert set(got) == w.acked
    props = S.pyiceberg_catalog(server.uri).load_table("storm.t").metadata.properties
    assert props.get("w7") == str(n - 1)
    # ice reads the same rows from the warehouse directly.
    p = S.ice("scan", str(server.warehouse / "storm" / "t"), "--format", "jsonl")
    assert sorted(json.loads(x)["id"] for x in p.stdout.split()) == sorted(got)
    # bounded: the server does not keep what it served (sanitized build: generous)
    assert rss_after - rss_before < 150 * 1024, (rss_before, rss_after)


def versions_parse(table_dir):
    mdir = table_dir / "metadata"
    files = sorted(p for p in mdir.iterdir() if p.name.endswith(".metadata.json"))
    for p in files:
        S.ice("metadata", p)
    return len(files)


def test_sigkill_during_a_commit_storm(tmp_path):
    env = fault_env(ICE_FAULT_SLOW_US=3000)
    srv = S.IceServe(tmp_path / "wh", env=env).start()
    port = srv.port
    try:
        make_table(srv.uri, "k", "t")
        w = Writers(srv.uri, srv.warehouse, "k.t", tmp_path)
        threads = [threading.Thread(target=w.pyiceberg, args=(i, 10000, True)) for i in range(4)]
        threads.append(threading.Thread(target=w.ice_cli, args=(4, 10000, True)))
        for t in threads:
            t.start()
        for round_ in range(3):
            time.sleep(2.5)
            srv.kill()
            time.sleep(0.3)
            srv = S.IceServe(tmp_path / "wh", port=port, env=env).start()
        time.sleep(2)
        w.stop.set()
        for t in threads:
            t.join()
        assert not w.failures, w.failures[:5]
        assert len(w.acked) > 10
        got = rows(srv.uri, "k.t")
        assert len(got) == len(set(got))
        assert w.acked <= set(got), sorted(w.acked - set(got))[:10]
        assert set(got) <= w.acked | w.unknown
        n = versions_parse(srv.warehouse / "k" / "t")
        print(f"\n3 kills: {len(w.acked)} acknowledged appends, {len(w.unknown)} unknown, {n} metadata versions")
    finally:
        srv.stop()


def test_sigterm_lets_commits_in_flight_finish(tmp_path):
    env = fault_env(ICE_FAULT_SLOW_US=150000)  # every file system change takes 0.15 s
    srv = S.IceServe(tmp_path / "wh").start()
    h = S.Http(srv.uri)
    assert h.req("POST", "/v1/namespaces", {"namespace": ["g"]})[0] == 200
    for i in range(5):
        assert h.req("POST", "/v1/namespaces/g/tables", {"name": f"t{i}", "schema": {
            "type": "struct", "fields": [{"id": 1, "name": "id", "type": "long", "required": True}]}})[0] == 200
    h.close()
    srv.stop()
    srv = S.IceServe(tmp_path / "wh", env=env).start()
    results = {}

    def commit(i, table, key):
        c = S.Http(srv.uri)
        try:
            results[i] = c.req("POST", f"/v1/namespaces/g/tables/{table}", {
                "requirements": [], "updates": [{"action": "set-properties", "updates": {key: "yes"}}]})[0]
        except Exception as e:
            results[i] = repr(e)
        c.close()

    # four tables, and three commits queued on a fifth (a group commit)
    threads = [threading.Thread(target=commit, args=(i, f"t{i}", "done")) for i in range(4)]
    threads += [threading.Thread(target=commit, args=(i, "t4", f"k{i}")) for i in range(4, 7)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # all of them are writing their metadata or queued now
    code, err = srv.stop(signal.SIGTERM)
    for t in threads:
        t.join()
    assert code == 0
    assert results == {i: 200 for i in range(7)}, results
    assert "SIGTERM" in err
    srv = S.IceServe(tmp_path / "wh").start()
    cat = S.pyiceberg_catalog(srv.uri)
    for i in range(4):
        assert cat.load_table(f"g.t{i}").metadata.properties.get("done") == "yes"
    assert all(cat.load_table("g.t4").metadata.properties.get(f"k{i}") == "yes" for i in range(4, 7))
    # after the stop, nobody is let in
    srv.stop()
    with pytest.raises(Exception):
        S.Http(srv.uri).req("GET", "/v1/config")
