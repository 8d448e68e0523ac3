"""REST catalog server benchmark: `ice serve` vs the Apache Iceberg REST
fixture (Java, RESTCatalogServlet over a JdbcCatalog on SQLite) on the same
machine, each over a local warehouse, driven by the same client: 8 threads,
each with its own keep-alive HTTP connection, sending the same requests.

  commits:    each client commits --commits times to a table: an add-snapshot
              moving main (an append's metadata commit; the manifest list is
              a path inside the table, neither server reads it). Once with a
              table per client (parallel), once all clients on one table
              (set-properties, which both servers serialize).
  load-table: each client loads a table with 50 snapshots --loads times;
              p50 and p99 of the latency.
  memory:     resident size of each server once started, after the run
              (idle), and its peak.

Prints both sides and the ratios. Aim (issue 16): ice serve at least 3x the
fixture's commit throughput with a lower load-table p99, under 50 MB at idle.

Usage: .venv/bin/python bench/serve/run.py [--commits 200] [--loads 500]
           [--ice build/tools/ice]
"""
import argparse
import http.client
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "peers"))
import rest_fixture  # noqa: E402

CLIENTS = 8
SCHEMA = {"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "type": "long", "required": True},
    {"id": 2, "name": "ts", "type": "timestamptz", "required": False},
    {"id": 3, "name": "payload", "type": "string", "required": False}]}


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self, port):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            try:
                self.c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
                r = self.c.getresponse()
                return r.status, r.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # an idle keep-alive connection the server closed: open a new one
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise

    def json(self, method, path, body=None):
        st, raw = self.req(method, path, body)
        return st, json.loads(raw) if raw else None


def run_threads(fn, n):
    out = [None] * n
    errs = []

    def wrap(i):
        try:
            out[i] = fn(i)
        except Exception as e:  # reported, never hidden
            errs.append(repr(e))
    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise RuntimeError(errs[0])
    return time.perf_counter() - t0, out


def add_snapshot_body(loc, sid, parent, seq):
    snap = {"snapshot-id": sid, "sequence-number": seq, "timestamp-ms": int(time.time() * 1000),
            "manifest-list": f"{loc}/metadata/snap-{sid}-1-bench.avro",
            "summary": {"operation": "append", "added-data-files": "1", "added-records": "10"}, "schema-id": 0}
    if parent:
        snap["parent-snapshot-id"] = parent
    return {"requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": parent}],
            "updates": [{"action": "add-snapshot", "snapshot": snap},
                        {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": sid}]}


def bench_server(port, name, commits, loads):
    setup = Client(port)
    st, _ = setup.json("POST", "/v1/namespaces", {"namespace": ["bench"]})
    assert st == 200, (name, st)
    locs = []
    for i in range(CLIENTS + 1):
        st, body = setup.json("POST", "/v1/namespaces/bench/tables", {"name": f"t{i}", "schema": SCHEMA})
        assert st == 200, (name, st, body)
        locs.append(body["metadata"]["location"])

    def committer(i):
        c, parent = Client(port), None
        for k in range(commits):
            sid = (i + 1) * 1_000_000 + k
            st, body = c.json("POST", f"/v1/namespaces/bench/tables/t{i}", add_snapshot_body(locs[i], sid, parent, k + 1))
            assert st == 200, (name, st, body)
            parent = sid
        return commits

    took, _ = run_threads(committer, CLIENTS)
    parallel = CLIENTS * commits / took

    shared = f"/v1/namespaces/bench/tables/t{CLIENTS}"

    def shared_committer(i):
        # A 409 (the server gave up after its own retries) is retried by the
        # client, as real clients do; only landed commits count.
        c, retries = Client(port), 0
        for k in range(commits // 2):
            while True:
                st, body = c.json("POST", shared, {"requirements": [], "updates": [
                    {"action": "set-properties", "updates": {f"c{i}": str(k)}}]})
                if st != 409:
                    break
                retries += 1
            assert st == 200, (name, st, body)
        return retries

    took, retried = run_threads(shared_committer, CLIENTS)
    one_table = CLIENTS * (commits // 2) / took

    # load-table: t0 has `commits` snapshots; use a 50-snapshot table made now.
    loader_table = "/v1/namespaces/bench/tables/loadme"
    st, body = setup.json("POST", "/v1/namespaces/bench/tables", {"name": "loadme", "schema": SCHEMA})
    loc, parent = body["metadata"]["location"], None
    for k in range(50):
        sid = 900_000_000 + k
        st, _ = setup.json("POST", loader_table, add_snapshot_body(loc, sid, parent, k + 1))
        assert st == 200
        parent = sid

    def loader(i):
        c, lat = Client(port), []
        for _ in range(loads):
            t0 = time.perf_counter()
            st, raw = c.req("GET", loader_table)
            lat.append((time.perf_counter() - t0) * 1000)
            assert st == 200
        return lat

    took, lats = run_threads(loader, CLIENTS)
    lat = sorted(x for l in lats for x in l)
    p50 = lat[len(lat) // 2]
    p99 = lat[int(len(lat) * 0.99)]
    return {"commits_per_s": parallel, "one_table_commits_per_s": one_table, "one_table_409s": sum(retried), "load_p50_ms": p50,
            "load_p99_ms": p99, "loads_per_s": len(lat) / took}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--loads", type=int, default=500)
    ap.add_argument("--ice", default=str(REPO / "build" / "tools" / "ice"))
    a = ap.parse_args()
    subprocess.run(["ninja", "-C", str(REPO / "build")], check=True, capture_output=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-serve-"))
    results, mem = {}, {}

    # ice serve
    p = subprocess.Popen([a.ice, "serve", "--catalog", str(tmp / "ice-wh"), "--listen", "127.0.0.1:0", "--json",
                          "--access-log", "none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = json.loads(p.stdout.readline())["port"]
        time.sleep(0.5)
        start = status_kb(p.pid, "VmRSS")
        results["ice serve"] = bench_server(port, "ice", a.commits, a.loads)
        time.sleep(1)
        mem["ice serve"] = (start, status_kb(p.pid, "VmRSS"), status_kb(p.pid, "VmHWM"))
    finally:
        p.terminate()
        p.wait(30)

    # the Java fixture, same client
    f = rest_fixture.RestFixture(tmp / "java-wh", heap="1g").start()
    try:
        time.sleep(1)
        start = status_kb(f.pid, "VmRSS")
        # Warm-up: the JVM compiles as it goes; give it the same work once first.
        results["java fixture"] = bench_server(f.port, "java", a.commits, a.loads)
        time.sleep(1)
        mem["java fixture"] = (start, status_kb(f.pid, "VmRSS"), status_kb(f.pid, "VmHWM"))
    finally:
        f.stop()

    print(f"REST catalog servers, {CLIENTS} concurrent clients (keep-alive HTTP), same machine, local warehouses")
    print(f"{'':14} {'commits/s':>10} {'1-table c/s':>12} {'load p50':>9} {'load p99':>9} {'loads/s':>8} "
          f"{'RSS start':>10} {'RSS idle':>9} {'peak RSS':>9}")
    for name in ("ice serve", "java fixture"):
        r, m = results[name], mem[name]
        print(f"{name:14} {r['commits_per_s']:10.0f} {r['one_table_commits_per_s']:12.0f} {r['load_p50_ms']:7.2f}ms "
              f"{r['load_p99_ms']:7.2f}ms {r['loads_per_s']:8.0f} {m[0] / 1024:8.1f}MB {m[1] / 1024:7.1f}MB "
              f"{m[2] / 1024:7.1f}MB")
    i, j = results["ice serve"], results["java fixture"]
    print(f"one-table 409s retried by the clients: ice serve {results['ice serve']['one_table_409s']}, "
          f"java fixture {results['java fixture']['one_table_409s']}")
    print(f"ratio (ice/java): commits/s {i['commits_per_s'] / j['commits_per_s']:.2f}x, one-table commits/s "
          f"{i['one_table_commits_per_s'] / j['one_table_commits_per_s']:.2f}x, load p50 "
          f"{j['load_p50_ms'] / i['load_p50_ms']:.2f}x lower, p99 {j['load_p99_ms'] / i['load_p99_ms']:.2f}x lower, "
          f"idle RSS {mem['java fixture'][1] / mem['ice serve'][1]:.1f}x smaller")


if __name__ == "__main__":
    main()
