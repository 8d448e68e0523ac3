"""moto's S3 server (moto[server], pinned in tests/requirements.txt) as the
S3 endpoint tests and benchmarks write to: a real HTTP server that speaks
S3's REST API (ranges, multipart with EntityTooSmall enforced, ListObjectsV2
paging, If-None-Match: * -> 412). It wants SigV4-signed requests but does not
check the signatures. One server per pytest session, on 127.0.0.1, stopped
by PID:

    import sys; sys.path.insert(0, str(REPO / "tests" / "peers"))
    import moto_s3

    @pytest.fixture(scope="session")
    def s3(tmp_path_factory):
        with moto_s3.MotoS3(tmp_path_factory.mktemp("moto")) as m:
            yield m          # m.endpoint == "http://127.0.0.1:<port>"

A missing install is an error (run scripts/setup.sh), never a skip.
"""
import atexit
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from rest_fixture import free_port

REPO = pathlib.Path(__file__).resolve().parents[2]
ACCESS_KEY = "ice-test-access-key"
SECRET_KEY = "ice-test-secret-key"
REGION = "us-east-1"

_running = set()


def moto_server_bin() -> str:
    cand = pathlib.Path(sys.executable).parent / "moto_server"
    if cand.is_file():
        return str(cand)
    found = shutil.which("moto_server")
    if not found:
        raise RuntimeError("moto_server not found: run scripts/setup.sh (moto[server] is in tests/requirements.txt)")
    return found


class MotoS3:
    def __init__(self, workdir, port=None):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log = self.workdir / "moto.log"
        self.proc = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "MotoS3":
        out = open(self.log, "ab")
        env = dict(os.environ)
        self.proc = subprocess.Popen([moto_server_bin(), "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, start_new_session=True)
        out.close()
        _running.add(self.proc)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto_server did not answer on {self.endpoint} within {timeout} s")
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None:
            return
        _running.discard(p)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def client(self, endpoint=None):
        """A boto3 S3 client on this server (boto3 comes with moto)."""
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=endpoint or self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION,
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def bucket(self, name: str) -> str:
        """Creates bucket `name` (fine if it exists); returns s3://name."""
        c = self.client()
        try:
            c.create_bucket(Bucket=name)
        except c.exceptions.BucketAlreadyOwnedByYou:
            pass
        return f"s3://{name}"

    def keys(self, bucket: str, prefix: str = "") -> dict:
        """Every key under `prefix` with its size."""
        c = self.client()
        out, token = {}, None
        while True:
            kw = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kw["ContinuationToken"] = token
            r = c.list_objects_v2(**kw)
            for o in r.get("Contents", []):
                out[o["Key"]] = o["Size"]
            if not r.get("IsTruncated"):
                return out
            token = r["NextContinuationToken"]

    def get(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def uploads(self, bucket: str) -> list:
        """Multipart uploads begun and neither completed nor aborted."""
        return self.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])

    def env(self, endpoint=None) -> dict:
        """The environment ice (or another AWS client) needs for this server."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
        }

    def pyiceberg_properties(self, endpoint=None) -> dict:
        return {
            "s3.endpoint": endpoint or self.endpoint,
            "s3.access-key-id": ACCESS_KEY,
            "s3.secret-access-key": SECRET_KEY,
            "s3.region": REGION,
            "s3.path-style-access": "true",
        }

    def duckdb_secret_sql(self, endpoint=None) -> str:
        host = (endpoint or self.endpoint).split("://", 1)[1]
        return (f"CREATE OR REPLACE SECRET moto (TYPE s3, KEY_ID '{ACCESS_KEY}', SECRET '{SECRET_KEY}', "
                f"REGION '{REGION}', ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false)")


@atexit.register
def _stop_all():
    for p in list(_running):
        if p.poll() is None:
            p.kill()
