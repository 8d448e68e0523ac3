"""What the ice serve tests share: `ice serve` started on a free port over a
warehouse (stopped by PID with SIGTERM, which must end it cleanly with exit
0 and no sanitizer report), raw HTTP requests, and the two real peers that
speak REST without ice: PyIceberg's RestCatalog and DuckDB's iceberg
extension (loaded from its PyPI packages, no download at run time). The Java
REST fixture comes from tests/peers/rest_fixture.py.

A missing binary or peer is an error, never a skip."""
import glob
import http.client
import json
import os
import pathlib
import signal
import site
import subprocess
import sys
import time
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "peers"))
import rest_fixture  # noqa: E402


def ice_bin() -> str:
    if os.environ.get("ICE_BIN"):
        return os.environ["ICE_BIN"]
    for cand in (REPO / "build-asan" / "tools" / "ice", REPO / "build" / "tools" / "ice"):
        if cand.is_file():
            return str(cand)
    raise RuntimeError("the ice binary was not found: run scripts/setup.sh or set ICE_BIN")


def ice(*args, check=True, timeout=300, env=None, binary=None):
    p = subprocess.run([binary or ice_bin(), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       env=env)
    assert 0 <= p.returncode <= 4, f"ice {args} crashed ({p.returncode}): {p.stderr[-3000:]}"
    if check:
        assert p.returncode == 0, f"ice {args}: {p.returncode}\n{p.stderr}"
    return p


class IceServe:
    """`ice serve` over `warehouse` on 127.0.0.1 (a free port unless given).
    A warehouse URI (s3://...) needs `log`, where the access log goes."""

    def __init__(self, warehouse, config=None, port=0, extra=(), env=None, log=None):
        if "://" in str(warehouse):
            self.warehouse = str(warehouse)
        else:
            self.warehouse = pathlib.Path(warehouse)
            self.warehouse.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.port = port
        self.extra = list(extra)
        self.env = env
        self.proc = None
        self.log = log or self.warehouse.parent / (self.warehouse.name + "-serve.log")
        self.scheme = "http"

    @property
    def uri(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=30):
        args = [ice_bin(), "serve", "--catalog", str(self.warehouse), "--listen", f"127.0.0.1:{self.port}",
                "--json", "--access-log", str(self.log)]
        if self.config:
            args += ["--config", str(self.config)]
        args += self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=self.env, start_new_session=True)
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            self.proc.wait()
            raise RuntimeError(f"ice serve did not start ({self.proc.returncode}): {err}")
        info = json.loads(line)
        self.port = info["port"]
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops by PID; returns (exit code, stderr). SIGTERM must end it cleanly."""
        p, self.proc = self.proc, None
        if p is None:
            return None, ""
        if p.poll() is None:
            p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            raise AssertionError(f"ice serve did not stop within {timeout} s after {sig}")
        if sig == signal.SIGTERM:
            assert p.returncode == 0, f"ice serve exited {p.returncode} after SIGTERM:\n{err[-4000:]}"
            assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err[-4000:]
        return p.returncode, err

    def kill(self):
        return self.stop(signal.SIGKILL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc:
            self.stop()


class Http:
    """Raw HTTP/1.1 requests (one keep-alive connection) to a REST catalog."""

    def __init__(self, base, token=None, prefix=""):
        u = urllib.parse.urlparse(base)
        self.host, self.port, self.https = u.hostname, u.port, u.scheme == "https"
        self.token = token
        self.prefix = prefix
        self.conn = None

    def _conn(self):
        if self.conn is None:
            if self.https:
                import ssl
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=60, context=ctx)
            else:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return self.conn

    def raw(self, method, path, body=None, headers=None):
        """Returns (status, headers, body bytes); body may be bytes, str or JSON-able."""
        hdrs = dict(headers or {})
        if self.token and "Authorization" not in hdrs:
            hdrs["Authorization"] = "Bearer " + self.token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            c = self._conn()
            try:
                c.request(method, path, body=body, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise

    def req(self, method, path, body=None, headers=None):
        """Returns (status, parsed JSON or None)."""
        if path.startswith("/v1/") and self.prefix and not path.startswith("/v1/config") \
                and not path.startswith("/v1/oauth"):
            path = "/v1/" + self.prefix + path[3:]
        st, _, data = self.raw(method, path, body, headers)
        return st, (json.loads(data) if data else None)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def error_type(body):
    return body["error"]["type"] if isinstance(body, dict) and "error" in body else None


def tree(root):
    """Every file below root with its size and mtime: 'nothing written' checks."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


# ---- peers -------------------------------------------------------------------------

def pyiceberg_catalog(uri, **props):
    from pyiceberg.catalog import load_catalog
    return load_catalog("rest", **{"type": "rest", "uri": uri, **props})


def duckdb_connect():
    import duckdb
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    for name in ("avro", "httpfs", "iceberg"):
        found = []
        for sp in site.getsitepackages():
            found += glob.glob(f"{sp}/duckdb_extension_{name}/extensions/*/{name}.duckdb_extension")
        if not found:
            raise RuntimeError(f"the DuckDB {name} extension is not installed (tests/requirements.txt)")
        con.execute(f"LOAD '{found[0]}'")
    return con


def duckdb_attach(con, uri, alias="c", token=None):
    if token:
        con.execute(f"CREATE OR REPLACE SECRET {alias}_secret (TYPE iceberg, TOKEN '{token}')")
        con.execute(f"ATTACH 'wh' AS {alias} (TYPE iceberg, ENDPOINT '{uri}', SECRET {alias}_secret)")
    else:
        con.execute(f"ATTACH 'wh' AS {alias} (TYPE iceberg, ENDPOINT '{uri}', AUTHORIZATION_TYPE 'none')")
