"""Shared helpers of the S3 tests: one moto S3 server per session (a real
HTTP endpoint on 127.0.0.1, started and stopped here), a fresh bucket per
test, and `ice` run with the AWS environment pointing at moto (or at the
fault-injecting proxy in front of it)."""
import glob
import json
import os
import pathlib
import subprocess
import sys
import uuid

import site

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "peers"))

import moto_s3  # noqa: E402
from s3_proxy import Fault, S3Proxy  # noqa: E402,F401


def ice_bin() -> str:
    if os.environ.get("ICE_BIN"):
        return os.environ["ICE_BIN"]
    for cand in (REPO / "build-asan" / "tools" / "ice", REPO / "build" / "tools" / "ice"):
        if cand.is_file():
            return str(cand)
    raise RuntimeError("the ice binary was not found: run scripts/setup.sh or set ICE_BIN")


class Result:
    def __init__(self, p, args):
        self.args = args
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", errors="replace")
        self.err = p.stderr.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.out)


class Ice:
    """Runs the ice binary against one S3 endpoint with a clean AWS environment."""

    def __init__(self, env, home):
        self.env = env
        self.home = home

    def run_env(self, env=None):
        """The environment ice runs in: this endpoint's, nothing of the machine's AWS setup."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("ICE_CATALOG", "ICE_CONFIG")}
        e["HOME"] = str(self.home)  # no ~/.aws or ~/.config/ice of the machine's
        e.update(self.env)
        if env:
            e.update(env)
        return e

    def run(self, *args, stdin=None, timeout=300, env=None):
        e = self.run_env(env)
        p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, input=stdin, timeout=timeout, env=e)
        r = Result(p, args)
        assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
        return r

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}):\n{r.err}"
        return r

    def fails(self, code, *args, **kw):
        r = self.run(*args, **kw)
        assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.out}{r.err}"
        return r


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    with moto_s3.MotoS3(tmp_path_factory.mktemp("moto")) as m:
        yield m


@pytest.fixture
def bucket(moto):
    """A fresh bucket for one test."""
    name = "t-" + uuid.uuid4().hex[:16]
    moto.bucket(name)
    return name


@pytest.fixture
def ice(moto, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Ice(moto.env(), home)


@pytest.fixture
def proxy(moto):
    with S3Proxy(moto.port) as p:
        yield p


@pytest.fixture
def ice_via_proxy(moto, proxy, tmp_path):
    """ice talking to moto through the fault-injecting proxy; quick retries."""
    home = tmp_path / "home-proxy"
    home.mkdir()
    env = moto.env(proxy.endpoint)
    return Ice(env, home)


def big_parquet(path, n, width, column="name"):
    """A Parquet file of n rows (id long, `column` string of random base64,
    `width` random bytes each), uncompressed: large enough for multipart
    uploads. Returns (path, the strings)."""
    import base64

    import pyarrow as pa
    import pyarrow.parquet as pq

    blob = os.urandom(n * width)
    names = [base64.b64encode(blob[i * width:(i + 1) * width]).decode() for i in range(n)]
    pq.write_table(pa.table({"id": pa.array(range(n), pa.int64()), column: pa.array(names)}), path,
                   compression="none")
    return path, names


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join("" if v is None else str(v) for v in r) + "\n")
    return path


def rows_of_csv(text):
    lines = [ln for ln in text.splitlines() if ln]
    return [ln.split(",") for ln in lines[1:]]


def duck(moto, attach=None):
    """DuckDB with the avro, iceberg and httpfs extensions of their PyPI
    packages and a secret for moto (optionally attached to a REST catalog)."""
    import duckdb

    con = duckdb.connect(config={"allow_unsigned_extensions": True})
    for name in ("avro", "iceberg", "httpfs"):
        found = []
        for root in site.getsitepackages():
            found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
        assert found, f"the duckdb-extension-{name} package is missing (tests/requirements.txt)"
        con.execute(f"LOAD '{found[0]}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(moto.duckdb_secret_sql())
    if attach:
        con.execute(f"ATTACH 'wh' AS c (TYPE iceberg, ENDPOINT '{attach}', AUTHORIZATION_TYPE 'none')")
    return con
