"""Credentials never show: a known access key, secret key and session token
are written into the configuration file, every ice command runs with -v
(one line per S3 request) against a catalog that uses them, errors are
forced (403, 500, a dead endpoint, missing tables and files, bad values),
and none of the three appears in any output, any error, any file ice wrote
to the bucket or beside the test, or the verbose request log."""
import pathlib
import re
import subprocess

from conftest import Fault, ice_bin, write_csv

KEY_ID = "AKIAICEKEYID7QZXWVUT"
SECRET = "iceSecret/9f8e7d6c5b4a3928170615+24oeu"
TOKEN = "IQoJb3JpZ2luX2VjEICE-SESSION-TOKEN-0123456789abcdef"
NEEDLES = [KEY_ID, SECRET, TOKEN, SECRET.replace("/", "%2F").replace("+", "%2B"), TOKEN[10:30]]


def config(path, wh, endpoint, extra=""):
    path.write_text("\n".join([
        "default-catalog = sec",
        f"catalog.sec.uri = {wh}",
        f"catalog.sec.s3.endpoint = {endpoint}",
        "catalog.sec.s3.region = us-east-1",
        f"catalog.sec.s3.access-key-id = {KEY_ID}",
        f"catalog.sec.s3.secret-access-key = {SECRET}",
        f"catalog.sec.s3.session-token = {TOKEN}",
        "catalog.sec.s3.path-style-access = true",
        "catalog.sec.s3.retry.num-retries = 1",
        "catalog.sec.s3.retry.min-wait-ms = 1",
        "catalog.sec.s3.retry.max-wait-ms = 5",
        extra,
    ]) + "\n")
    return {"ICE_CONFIG": str(path)}


def assert_clean(text, where, needles=NEEDLES):
    for n in needles:
        assert n not in text, f"a credential shows in {where}"


def commands():
    text = subprocess.run([ice_bin(), "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"^  ([a-z-]+) ", text, re.M))


def command_of(args):
    """The command of a run's arguments (after the global options)."""
    i = 0
    while args[i].startswith("-"):
        i += 2 if args[i] in ("--catalog", "--path-map") else 1
    return args[i]


# Commands this test does not run, and where their credentials are checked.
ELSEWHERE = {"serve": "tests/s3/test_s3_serve.py (vended credentials in no output or object)"}


def test_credentials_never_show(ice_via_proxy, proxy, moto, bucket, tmp_path):
    ice = ice_via_proxy
    # No AWS_* credentials in the environment: only the configuration has them.
    ice.env = {k: v for k, v in ice.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path / "ice.config", wh, proxy.endpoint)
    seen = []

    def run(*args, code=0, e=None):
        r = ice.run("-v", *args, env=e or env)
        seen.append((args, r))
        assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.err}"
        return r

    a = write_csv(tmp_path / "a.csv", ["id", "day", "name"], [(1, "2024-01-01", "a"), (2, "2024-01-02", "b")])
    run("namespace", "create", "db", "--property", "team=ice")
    run("namespace", "list")
    run("namespace", "properties", "db", "--set", "x=y")
    run("create", "db.t", "--schema", "id long, day date, name string", "--partition", "day")
    run("list", "db")
    run("append", "db.t", a)
    run("append", "db.t", a, "--json")
    table = f"{wh}/db/t"
    for cmd in ("describe", "schema", "snapshots", "history", "refs", "metadata", "manifests", "files",
                "partitions", "entries"):
        run(cmd, table)
        run("--json", cmd, table)
    run("scan", table, "--stats")
    run("scan", table, "--plan", "--json")
    data = [k for k in moto.keys(bucket, "wh/db/t/data/")][0]
    run("parquet", f"s3://{bucket}/{data}")
    run("alter", "db.t", "--add-column", "score double")
    run("delete", "db.t", "--where", "id = 1")
    run("overwrite", "db.t", a, "--where", "day = date '2024-01-02'")
    snap = run("--json", "snapshots", table).json()[0]["snapshot_id"]
    run("tag", "create", "db.t", "t1", "--snapshot", snap)
    run("branch", "create", "db.t", "b1")
    run("rollback", "db.t", "--to", snap)
    run("rewrite-manifests", "db.t")
    run("create", "db.u", "--schema", "id long")
    run("add-files", "db.u", f"s3://{bucket}/{data}", code=1)  # its columns do not fit: an error
    run("drop", "db.u", "--purge")
    run("append", "db.t", a, "--summary", "job=7")
    run("last-value", "db.t", "job")
    run("changes", table, "--from-snapshot", snap)
    for cmd in ("spec", "uuid", "location"):
        run(cmd, "db.t")
    run("properties", "set", "db.t", "k", "v")
    run("properties", "get", "db.t")
    run("compact", "db.t", "--rewrite-all")
    run("maintain", "db.t", "--dry-run")
    run("expire-snapshots", "db.t", "--retain-last", "1", "--older-than", "1ms")
    run("remove-orphan-files", "db.t", "--older-than", "1ms", "--force", "--dry-run")
    run("create", "db.v", "--schema", "id long")
    run("rename", "db.v", "db.w")
    md = [k for k in moto.keys(bucket, "wh/db/w/metadata/") if k.endswith(".metadata.json")][0]
    run("register", "db.reg", f"s3://{bucket}/{md}")
    run("catalog", "list")
    run("version")
    run("help", "scan")
    # A presigned URL names the access key id (and the session token, which
    # S3 needs to check temporary credentials) by design, as AWS's do; the
    # secret key is in it nowhere (docs/commands/presign.md).
    presigned = run("presign", f"s3://{bucket}/{data}", "--json")
    assert KEY_ID in presigned.out
    seen.pop()
    assert_clean(presigned.out + presigned.err, "ice presign", [SECRET, NEEDLES[3]])

    # Forced errors.
    proxy.add(Fault("status", method="GET", path=r"/metadata/v\d+\.metadata\.json", status=403,
                    code="AccessDenied", times=None))
    run("scan", table, code=1)
    proxy.clear()
    proxy.add(Fault("status", method="PUT", status=500, code="InternalError", times=None))
    run("append", "db.t", a, code=1)
    proxy.clear()
    proxy.add(Fault("drop", times=None))
    run("snapshots", table, code=1)
    proxy.clear()
    run("scan", f"{wh}/db/none", code=1)
    run("scan", f"s3://no-such-bucket-x/t", code=1)
    run("parquet", f"s3://{bucket}/wh/missing.parquet", code=1)
    dead = config(tmp_path / "dead.config", wh, "http://127.0.0.1:1")
    run("scan", table, code=1, e=dead)
    bad = config(tmp_path / "bad.config", wh, proxy.endpoint, extra="catalog.sec.s3.retry.num-retries = lots")
    run("scan", table, code=1, e=bad)
    half = tmp_path / "half.config"
    half.write_text(f"default-catalog = sec\ncatalog.sec.uri = {wh}\ncatalog.sec.s3.endpoint = {proxy.endpoint}\n"
                    f"catalog.sec.s3.secret-access-key = {SECRET}\n")
    run("scan", table, code=1, e={"ICE_CONFIG": str(half)})
    run("drop", "db.t", "--purge")

    # Every command ran here (or is checked where ELSEWHERE says).
    ran = {command_of(list(map(str, args))) for args, _ in seen} | {"presign"}
    assert commands() - ran - set(ELSEWHERE) == set(), commands() - ran - set(ELSEWHERE)

    # Nothing printed holds a credential, and -v did print the requests.
    assert sum(r.err.count(": GET: ") for _, r in seen) > 50
    for args, r in seen:
        assert_clean(r.out, f"the output of ice {' '.join(map(str, args))}")
        assert_clean(r.err, f"the errors of ice {' '.join(map(str, args))}")
    # Nor does anything stored: every object left in the bucket, every file beside the test.
    c = moto.client()
    for key in moto.keys(bucket):
        assert_clean(c.get_object(Bucket=bucket, Key=key)["Body"].read().decode("latin-1"), key)
    for f in pathlib.Path(tmp_path).rglob("*"):
        if f.is_file() and not f.name.endswith(".config"):
            assert_clean(f.read_bytes().decode("latin-1"), str(f))
