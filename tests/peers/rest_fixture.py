"""The Apache Iceberg REST catalog fixture (Java, installed into
.peers/rest-fixture/ by scripts/peers/rest-fixture.sh) as a test peer.

One fixture per pytest session: a suite's conftest starts it once with a
port and a warehouse of its choosing and stops it (by PID) at the end:

    import sys; sys.path.insert(0, str(REPO / "tests" / "peers"))
    import rest_fixture

    @pytest.fixture(scope="session")
    def java_rest(tmp_path_factory):
        with rest_fixture.RestFixture(tmp_path_factory.mktemp("java-wh")) as f:
            yield f          # f.uri == "http://127.0.0.1:<port>"

The catalog state (namespaces, table pointers) lives in a SQLite file beside
the warehouse, so a restarted fixture (f.restart()) keeps its tables. The
fixture listens on 127.0.0.1 only. It does not enforce authentication: its
/v1/oauth/tokens answers any client credentials. A missing install is an
error (run scripts/setup.sh), never a skip.
"""
import atexit
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
HOME = REPO / ".peers" / "rest-fixture"
MAIN_CLASS = "org.apache.iceberg.rest.IceRestFixture"

_running = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def installed() -> bool:
    return (HOME / "classes" / "org" / "apache" / "iceberg" / "rest" / "IceRestFixture.class").is_file()


def wait_http(url: str, timeout: float, proc=None, log=None) -> None:
    """Poll `url` until it answers 200; fail loudly when `proc` dies first."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = pathlib.Path(log).read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{url}: the server exited with {proc.returncode} before answering:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"{url}: no answer within {timeout} s ({last})")


class RestFixture:
    """The Java REST fixture on 127.0.0.1:`port` over `warehouse` (a directory)."""

    def __init__(self, warehouse, port=None, state=None, heap="512m", env=None, log=None):
        if not installed():
            raise RuntimeError(f"the Iceberg REST fixture is not installed in {HOME}: run scripts/setup.sh")
        if not shutil.which("java"):
            raise RuntimeError("java not found: the REST fixture needs a JDK 17 (scripts/setup.sh)")
        self.warehouse = pathlib.Path(warehouse).resolve()
        self.warehouse.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.state = pathlib.Path(state) if state else self.warehouse.parent / (self.warehouse.name + "-catalog.db")
        self.log = pathlib.Path(log) if log else self.warehouse.parent / (self.warehouse.name + "-fixture.log")
        self.heap = heap
        self.extra_env = dict(env or {})
        self.proc = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 60.0) -> "RestFixture":
        env = dict(os.environ)
        env.update({
            "CATALOG_WAREHOUSE": "file://" + str(self.warehouse),
            "CATALOG_REST_PORT": str(self.port),
            "CATALOG_URI": "jdbc:sqlite:" + str(self.state),
        })
        env.update(self.extra_env)
        cp = f"{HOME / 'classes'}:{HOME / 'lib'}/*"
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(
            ["java", f"-Xmx{self.heap}", "-cp", cp, MAIN_CLASS],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        out.close()
        _running.add(self.proc)
        try:
            wait_http(self.uri + "/v1/config", timeout, self.proc, self.log)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM by PID, then SIGKILL when it does not go."""
        p, self.proc = self.proc, None
        if p is None:
            return
        _running.discard(p)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def restart(self) -> "RestFixture":
        self.stop()
        return self.start()

    def request(self, method: str, path: str, body=None, headers=None):
        """One raw request; returns (status, parsed JSON body or None)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.uri + path, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw) if raw else None
            except ValueError:
                return e.code, raw.decode(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@atexit.register
def _stop_leftovers():
    # A session that died without its teardown still leaves no JVM behind.
    for p in list(_running):
        if p.poll() is None:
            p.kill()
            p.wait()
