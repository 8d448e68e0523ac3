"""REST catalog benchmark: load-table and small-append latency through the
Apache Iceberg REST fixture, for three clients against the same server in
the same run - ice (bench-rest, in-process through the public API), PyIceberg's
RestCatalog and Spark's (Iceberg's Java RESTCatalog, driven through Spark).

Every request goes through a timing proxy on 127.0.0.1 that records how long
each request spent outside the client (from its first byte reaching the proxy
to the last byte of the answer leaving it: the server's own time plus the
proxy's). A client's overhead on an operation is its end-to-end time minus
the time its requests spent outside it.

Prints per client and operation the median and p99 end to end, the median
time outside the client, the median client overhead, the ratios to ice, and
each client's peak RSS. Aims (issue 15): ice adds under 1 ms to the server's
time; ice at least 10x PyIceberg per append end to end.

Usage: .venv/bin/python bench/rest/run.py [--n 1000] [--py-n 1000] [--spark-n 200]
           [--bench build/bench/rest/bench-rest] [--no-spark]
"""
import argparse
import asyncio
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

SCHEMA_DSL = "id long, s string, v double"
OPS = ("load", "commit", "append")

# ---- the timing proxy -------------------------------------------------------------------------


class Proxy:
    """HTTP/1.1 forwarding with per-request timing (Content-Length and
    chunked bodies, keep-alive). log: (wall start s, outside ms, method, path)."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.log = []
        self.port = None
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        srv = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = srv.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    @staticmethod
    async def _message(reader, head_only=False):
        """One message: (head bytes, body bytes); None at EOF."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, v = ln.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if head_only:
            return head, b"", lines[0]
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                body += size_line + chunk
                if size == 0:
                    break
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        return head, body, lines[0]

    async def _client(self, creader, cwriter):
        sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream)
        try:
            while True:
                req = await self._message(creader)
                if req is None:
                    break
                t0, wall = time.perf_counter(), time.time()
                method, path = req[2].split(" ")[:2]
                swriter.write(req[0] + req[1])
                await swriter.drain()
                head = await self._message(sreader, head_only=True)
                if head is None:
                    break
                status = int(head[2].split(" ")[1])
                body = b""
                if method != "HEAD" and status not in (204, 304) and not 100 <= status < 200:
                    # the body framing comes from the head just read
                    headers = {ln.split(":", 1)[0].strip().lower(): ln.split(":", 1)[1].strip()
                               for ln in head[0].decode("latin-1").split("\r\n")[1:] if ":" in ln}
                    if headers.get("transfer-encoding", "").lower() == "chunked":
                        while True:
                            size_line = await sreader.readuntil(b"\r\n")
                            size = int(size_line.split(b";")[0], 16)
                            body += size_line + await sreader.readexactly(size + 2)
                            if size == 0:
                                break
                    elif "content-length" in headers:
                        body = await sreader.readexactly(int(headers["content-length"]))
                cwriter.write(head[0] + body)
                await cwriter.drain()
                self.log.append((wall, (time.perf_counter() - t0) * 1000, method, path))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            swriter.close()
            cwriter.close()

    def outside(self, starts, lats, method=None):
        """For each operation (wall start in ms, latency ms): the ms its
        requests spent outside the client."""
        log = sorted(self.log)
        out = []
        for s, lat in zip(starts, lats):
            a, b = s / 1000, (s + lat) / 1000
            out.append(sum(ms for wall, ms, m, _ in log if a <= wall <= b and (method is None or m == method)))
        return out


# ---- clients -----------------------------------------------------------------------------------

PYICEBERG = r'''
import json, sys, time, pyarrow as pa
from pyiceberg.catalog import load_catalog
uri, ident, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cat = load_catalog("bench", type="rest", uri=uri)
load, load_start, append, append_start = [], [], [], []
for k in range(n):
    load_start.append(time.time() * 1000); t0 = time.perf_counter()
    cat.load_table(ident)
    load.append((time.perf_counter() - t0) * 1000)
t = cat.load_table(ident)
commit, commit_start = [], []
for k in range(n):
    commit_start.append(time.time() * 1000); t0 = time.perf_counter()
    with t.transaction() as tx:
        tx.set_properties({"bench.counter": str(k)})
    commit.append((time.perf_counter() - t0) * 1000)
schema = t.schema().as_arrow()
for k in range(n):
    rows = pa.Table.from_pylist([{"id": k * 3 + j, "s": f"row {k}", "v": j + 0.5} for j in range(3)], schema=schema)
    append_start.append(time.time() * 1000); t0 = time.perf_counter()
    t.append(rows)
    append.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"load": {"latency_ms": load, "start_ms": load_start},
                  "commit": {"latency_ms": commit, "start_ms": commit_start},
                  "append": {"latency_ms": append, "start_ms": append_start}}))
'''

SPARK = r'''
import json, sys, time
sys.path.insert(0, sys.argv[4])
import spark as S
uri, ident, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
S.rest_catalog("bench", uri, cache_enabled="false")
S.sql(f"SELECT * FROM bench.{ident} LIMIT 1")  # the catalog exists once used
sess = S.session()
jvm = sess._jvm
jcat = sess._jsparkSession.sessionState().catalogManager().catalog("bench").icebergCatalog()
jid = jvm.org.apache.iceberg.catalog.TableIdentifier.parse(ident)
load, load_start, append, append_start = [], [], [], []
for k in range(n):
    load_start.append(time.time() * 1000); t0 = time.perf_counter()
    jcat.loadTable(jid)
    load.append((time.perf_counter() - t0) * 1000)
commit, commit_start = [], []
for k in range(n):
    commit_start.append(time.time() * 1000); t0 = time.perf_counter()
    S.sql(f"ALTER TABLE bench.{ident} SET TBLPROPERTIES ('bench.counter' = '{k}')")
    commit.append((time.perf_counter() - t0) * 1000)
for k in range(n):
    vals = ", ".join(f"({k * 3 + j}, 'row {k}', {j}.5D)" for j in range(3))
    append_start.append(time.time() * 1000); t0 = time.perf_counter()
    S.sql(f"INSERT INTO bench.{ident} VALUES {vals}")
    append.append((time.perf_counter() - t0) * 1000)
# The JVM's own peak (Spark's driver runs in it; py4j's Python side is not counted).
pid = jvm.java.lang.ProcessHandle.current().pid()
rss = next(int(ln.split()[1]) for ln in open(f"/proc/{pid}/status") if ln.startswith("VmHWM:"))
S.stop()
print(json.dumps({"load": {"latency_ms": load, "start_ms": load_start},
                  "commit": {"latency_ms": commit, "start_ms": commit_start},
                  "append": {"latency_ms": append, "start_ms": append_start}, "jvm_rss_kb": rss}))
'''


def run_timed(cmd, **kw):
    """Runs cmd under GNU time: (stdout, peak RSS in KiB of the process)."""
    with tempfile.NamedTemporaryFile(mode="r") as f:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, *cmd], capture_output=True, text=True, **kw)
        if p.returncode:
            sys.exit(f"{cmd[0]} failed:\n{p.stderr[-3000:]}")
        return p.stdout, int(f.read().strip().splitlines()[-1])


def p99(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--py-n", type=int, default=1000)
    ap.add_argument("--spark-n", type=int, default=200)
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--bench", default=str(REPO / "build" / "bench" / "rest" / "bench-rest"))
    ap.add_argument("--ice", default=str(REPO / "build" / "tools" / "ice"))
    a = ap.parse_args()
    for target in (a.bench, a.ice):
        t = pathlib.Path(target).resolve()
        if t.is_relative_to(REPO / "build"):
            subprocess.run(["ninja", "-C", str(REPO / "build"), str(t.relative_to(REPO / "build"))], check=True,
                           stdout=subprocess.DEVNULL)
    work = pathlib.Path(tempfile.mkdtemp(prefix="ice-bench-rest-"))
    with rest_fixture.RestFixture(work / "wh", heap="1g") as fixture:
        proxy = Proxy(fixture.port)
        uri = f"http://127.0.0.1:{proxy.port}"
        subprocess.run([a.ice, "--catalog", uri, "namespace", "create", "bench"], check=True, capture_output=True)
        # The server's JIT warms up first, so no client pays for it.
        subprocess.run([a.ice, "--catalog", uri, "create", "bench.warmup", "--schema", SCHEMA_DSL], check=True,
                       capture_output=True)
        run_timed([a.bench, uri, "bench.warmup", str(a.warmup), str(work)])
        print(f"server warmed up: {a.warmup} loads and appends", flush=True)
        results = {}
        clients = [("ice", a.n), ("PyIceberg", a.py_n)] + ([] if a.no_spark else [("Spark", a.spark_n)])
        for name, n in clients:
            ident = f"bench.{name.lower()}"
            subprocess.run([a.ice, "--catalog", uri, "create", ident, "--schema", SCHEMA_DSL], check=True,
                           capture_output=True)
            proxy.log.clear()
            t0 = time.perf_counter()
            if name == "ice":
                out, rss = run_timed([a.bench, uri, ident, str(n), str(work)])
            elif name == "PyIceberg":
                out, rss = run_timed([sys.executable, "-c", PYICEBERG, uri, ident, str(n)])
            else:
                out, rss = run_timed([sys.executable, "-c", SPARK, uri, ident, str(n), str(REPO / "tests" / "peers")])
            r = json.loads(out.strip().splitlines()[-1])
            r["rss_kb"] = r.get("jvm_rss_kb", rss)
            for op in OPS:
                r[op]["outside_ms"] = proxy.outside(r[op]["start_ms"], r[op]["latency_ms"])
            kinds = {}
            for _, ms, m, path in proxy.log:
                key = m + " " + ("/metrics" if path.endswith("/metrics") else "/tables/{t}" if "/tables/" in path
                                 else path.split("?")[0])
                kinds.setdefault(key, []).append(ms)
            r["requests"] = {k: (len(v), statistics.median(v)) for k, v in kinds.items()}
            results[name] = r
            print(f"{name}: {n} loads, {n} property commits and {n} appends of 3 rows in {time.perf_counter() - t0:.1f} s; requests: " +
                  ", ".join(f"{k} x{c} (median {m:.2f} ms outside)" for k, (c, m) in sorted(r["requests"].items())),
                  flush=True)

    print(f"\nREST catalog latency through the Apache Iceberg REST fixture (a timing proxy in front; ms)")
    print(f"{'client':10} {'op':7} {'n':>5} {'median':>9} {'p99':>9} {'outside':>9} {'overhead':>9} "
          f"{'x ice':>7} {'peak RSS':>10}")
    ice_med = {}
    for name, r in results.items():
        for op in OPS:
            lat, outside = r[op]["latency_ms"], r[op]["outside_ms"]
            over = [l - o for l, o in zip(lat, outside)]
            med = statistics.median(lat)
            if name == "ice":
                ice_med[op] = med
            print(f"{name:10} {op:7} {len(lat):5d} {med:9.3f} {p99(lat):9.3f} {statistics.median(outside):9.3f} "
                  f"{statistics.median(over):9.3f} {med / ice_med[op]:6.1f}x {r['rss_kb'] / 1024:8.1f} MB")
    ice_over = {op: statistics.median([l - o for l, o in zip(results["ice"][op]["latency_ms"],
                                                               results["ice"][op]["outside_ms"])])
                for op in OPS}
    py_ratio = statistics.median(results["PyIceberg"]["append"]["latency_ms"]) / ice_med["append"]
    print(f"\naims: ice adds under 1 ms to the server's time: load "
          f"{'yes' if ice_over['load'] < 1 else 'NO'} ({ice_over['load']:.3f} ms), commit "
          f"{'yes' if ice_over['commit'] < 1 else 'NO'} ({ice_over['commit']:.3f} ms); "
          f"ice >= 10x PyIceberg per append end to end: {'yes' if py_ratio >= 10 else 'NO'} ({py_ratio:.1f}x)")
    print(f"(an append's overhead is the client's whole work: CSV to Parquet, manifest, manifest list, "
          f"request; ice: {ice_over['append']:.3f} ms)")


if __name__ == "__main__":
    main()
