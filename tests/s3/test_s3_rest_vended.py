"""Vended credentials end to end: `ice serve` keeps its warehouse on S3
(moto) and hands S3 credentials to the clients that ask for them
(X-Iceberg-Access-Delegation: vended-credentials); ice as a REST client,
with no AWS settings of its own, writes and reads the table's files with
them. Without them (the header turned off) the same append fails cleanly."""
import json
import os
import subprocess
import sys

from conftest import REPO, ice_bin
from moto_s3 import ACCESS_KEY, REGION, SECRET_KEY

sys.path.insert(0, str(REPO / "tests" / "serve"))
import serve_support  # noqa: E402


def client(home, *args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ICE_CATALOG", "ICE_REST_"))}
    e["HOME"] = str(home)
    e["ICE_CONFIG"] = "/nonexistent/ice-config"
    e.update(env or {})
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, text=True, timeout=300, env=e)
    assert 0 <= p.returncode <= 4, p.stderr
    return p


def test_vended_credentials_write_and_read_s3(moto, bucket, tmp_path):
    conf = tmp_path / "serve.conf"
    conf.write_text("vend-credentials = true\n"
                    f"credentials.s3.access-key-id = {ACCESS_KEY}\n"
                    f"credentials.s3.secret-access-key = {SECRET_KEY}\n"
                    f"credentials.s3.endpoint = {moto.endpoint}\n"
                    "credentials.s3.path-style-access = true\n"
                    f"credentials.client.region = {REGION}\n")
    env = dict(os.environ, **moto.env())
    srv = serve_support.IceServe(f"s3://{bucket}/wh", config=conf, env=env, log=tmp_path / "serve.log")
    home = tmp_path / "home"
    home.mkdir()
    with srv:
        c = ["--catalog", srv.uri]
        for args in (("namespace", "create", "db"), ("create", "db.t", "--schema", "id long, s string")):
            p = client(home, *c, *args)
            assert p.returncode == 0, p.stderr
        (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n")
        p = client(home, *c, "--json", "append", "db.t", tmp_path / "a.csv")
        assert p.returncode == 0, p.stderr
        assert SECRET_KEY not in p.stdout + p.stderr
        # the files are on S3, under the table's location
        from pyiceberg.catalog import load_catalog
        cat = load_catalog("s", type="rest", uri=srv.uri, **moto.pyiceberg_properties())
        t = cat.load_table("db.t")
        assert t.metadata.location.startswith(f"s3://{bucket}/wh/")
        assert sorted(r["id"] for r in t.scan().to_arrow().to_pylist()) == [1, 2]
        # a client that does not ask for credentials has none: one line, exit 1, nothing committed
        p = client(home, *c, "append", "db.t", tmp_path / "a.csv",
                   env={"ICE_REST_HEADER__X_ICEBERG_ACCESS_DELEGATION": ""})
        assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert "no AWS credentials" in p.stderr and f"s3://{bucket}/wh/db/t/" in p.stderr
        assert SECRET_KEY not in p.stderr
        assert len(cat.load_table("db.t").metadata.snapshots) == 1
