"""Faults between ice and S3, injected by a small proxy in front of moto
(tests/peers/s3_proxy.py): 500s and 503 SlowDown, connections dropped
before a request reaches the store and after it landed, slow answers and
bodies cut short. Reads and writes get through by retrying where they can,
fail with one clear line where they cannot, and no commit is ever lost,
doubled or half-applied; a multipart upload that fails is aborted; a store
that ignores If-None-Match is refused unless the user opts in."""
import json

import pytest

from conftest import Fault, big_parquet, rows_of_csv, write_csv

QUICK = "\n".join([
    "default-catalog = moto",
    "catalog.moto.uri = {wh}",
    "catalog.moto.s3.retry.num-retries = {retries}",
    "catalog.moto.s3.retry.min-wait-ms = 5",
    "catalog.moto.s3.retry.max-wait-ms = 50",
    "catalog.moto.s3.multipart.part-size = 5242880",
    "{extra}",
])


def config(tmp_path, wh, retries=4, extra=""):
    p = tmp_path / "ice.config"
    p.write_text(QUICK.format(wh=wh, retries=retries, extra=extra) + "\n")
    return {"ICE_CONFIG": str(p)}


def table_with_rows(ice, wh, tmp_path, name="db.t", n=3):
    ice.ok("--catalog", wh, "namespace", "create", "db")
    ice.ok("--catalog", wh, "create", name, "--schema", "id long, name string")
    ice.ok("--catalog", wh, "append", name,
           write_csv(tmp_path / "seed.csv", ["id", "name"], [(i, f"n{i}") for i in range(n)]))
    return f"{wh}/{name.replace('.', '/')}"


def scanned_ids(ice, table, env):
    return sorted(int(r[0]) for r in rows_of_csv(ice.ok("scan", table, env=env).out))


def test_reads_get_through_retries(ice_via_proxy, proxy, bucket, tmp_path):
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh)
    table = table_with_rows(ice, wh, tmp_path)
    proxy.reset_log()
    proxy.add(Fault("status", method="GET", path=r"/metadata/version-hint\.text", status=503, code="SlowDown"))
    proxy.add(Fault("drop", method="GET", path=r"/metadata/v\d+\.metadata\.json"))
    proxy.add(Fault("status", method="GET", path=r"/metadata/snap-", status=500, code="InternalError"))
    proxy.add(Fault("truncate", method="GET", path=r"-m0\.avro"))
    proxy.add(Fault("delay", method="GET", path=r"/data/", seconds=1.5))
    proxy.add(Fault("status", method="GET", path=r"/data/", status=503, code="SlowDown", skip=1))
    assert scanned_ids(ice, table, env) == [0, 1, 2]
    injected = [r for r in proxy.log if r.fault]
    assert {r.fault for r in injected} == {"status", "drop", "truncate", "delay"}, injected
    r = ice.ok("-v", "scan", table, env=env)
    assert "retries" in r.err


def test_a_read_that_cannot_succeed_fails_in_one_line(ice_via_proxy, proxy, bucket, tmp_path):
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh, retries=2)
    table = table_with_rows(ice, wh, tmp_path)
    proxy.add(Fault("status", method="GET", path=r"/data/", status=503, code="SlowDown", times=None))
    r = ice.fails(1, "scan", table, env=env)
    line = r.err.strip()
    assert "\n" not in line and line.startswith("ice: s3://") and "/data/" in line, r.err
    assert "GET: 503 SlowDown" in line, line
    attempts = [x for x in proxy.log if x.method == "GET" and "/data/" in x.target]
    assert len(attempts) == 3  # the first and two retries
    proxy.clear()
    proxy.add(Fault("status", method="GET", path=r"/metadata/v\d+\.metadata\.json", status=403, code="AccessDenied",
                    times=None))
    r = ice.fails(1, "scan", table, env=env)
    assert "GET: 403 AccessDenied" in r.err and len([x for x in proxy.log if x.status == 403]) == 1, r.err


def test_writes_get_through_retries(ice_via_proxy, proxy, moto, bucket, tmp_path):
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh)
    table = table_with_rows(ice, wh, tmp_path)
    proxy.add(Fault("status", method="PUT", path=r"/data/.*\.parquet", status=503, code="SlowDown"))
    proxy.add(Fault("drop", method="PUT", path=r"-m0\.avro"))
    proxy.add(Fault("status", method="PUT", path=r"/metadata/snap-", status=500, code="InternalError"))
    # The new version lands, and the answer is lost: the retry gets 412, reads it back, finds our bytes.
    proxy.add(Fault("drop_after", method="PUT", path=r"/metadata/v3\.metadata\.json"))
    r = ice.ok("append", "db.t", write_csv(tmp_path / "more.csv", ["id", "name"], [(7, "x")]), "--json", env=env)
    assert json.loads(r.out)["snapshot_id"]
    puts = [x for x in proxy.log if x.method == "PUT" and x.target.endswith("/v3.metadata.json")]
    # curl resends it on a new connection (or ice retries): 412, then a read-back finds our bytes.
    assert [x.fault for x in puts] == ["drop_after", None] and puts[1].status == 412
    assert [x for x in proxy.log if x.method == "GET" and x.target.endswith("/v3.metadata.json")]
    assert scanned_ids(ice, table, env) == [0, 1, 2, 7]
    assert len(ice.ok("snapshots", table, "--json", env=env).json()) == 2  # once, not twice
    versions = [k for k in moto.keys(bucket, "wh/db/t/metadata/") if k.endswith(".metadata.json")]
    assert len(versions) == 3


BIG_ROWS = 200_000


def multipart_table(ice, bucket, tmp_path, **cfg):
    """A table with three rows and a Parquet file large enough for a
    multipart upload: (env, table, the file)."""
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh, **cfg)
    table = table_with_rows(ice, wh, tmp_path)
    src, _ = big_parquet(tmp_path / "big.parquet", BIG_ROWS, 60)
    return env, table, src


def test_failed_multipart_upload_is_aborted(ice_via_proxy, proxy, moto, bucket, tmp_path):
    ice = ice_via_proxy
    env, table, src = multipart_table(ice, bucket, tmp_path, retries=1)
    before = moto.keys(bucket, "wh/")
    proxy.add(Fault("status", method="PUT", path=r"partNumber=2", status=500, code="InternalError", times=None))
    r = ice.fails(1, "append", "db.t", src, env=env)
    assert "UploadPart 2: 500 InternalError" in r.err, r.err
    assert moto.uploads(bucket) == []
    assert [x for x in proxy.log if x.method == "DELETE" and "uploadId=" in x.target]
    assert moto.keys(bucket, "wh/") == before  # nothing committed, nothing left behind
    assert scanned_ids(ice, table, env) == [0, 1, 2]


def test_a_retried_multipart_create_leaves_no_upload_behind(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """CreateMultipartUpload lands but its answer is lost: the retry begins
    a second upload, the data goes up through it, and the first (which the
    client never learnt the id of) is found by ListMultipartUploads and
    aborted: nothing is left open."""
    ice = ice_via_proxy
    env, table, src = multipart_table(ice, bucket, tmp_path)
    n = BIG_ROWS
    proxy.reset_log()
    proxy.add(Fault("drop_after", method="POST", path=r"\?uploads=$"))
    ice.ok("append", "db.t", src, env=env)
    creates = [x for x in proxy.log if x.method == "POST" and x.target.endswith("?uploads=")]
    assert len(creates) == 2 and creates[0].fault == "drop_after", creates
    assert [x for x in proxy.log if x.method == "GET" and "uploads=" in x.target]  # looked for the orphan
    assert [x for x in proxy.log if x.method == "DELETE" and "uploadId=" in x.target]  # and aborted it
    assert moto.uploads(bucket) == []
    assert len(scanned_ids(ice, table, env)) == n + 3


def test_commit_state_unknown_keeps_everything(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """The new version landed but neither the answer nor a read-back gets
    through: exit 4, no file deleted, and the commit is there afterwards."""
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh, retries=2)
    table = table_with_rows(ice, wh, tmp_path)
    proxy.add(Fault("drop_after", method="PUT", path=r"/metadata/v3\.metadata\.json"))
    proxy.add(Fault("drop", method="GET", path=r"/metadata/v3\.metadata\.json", times=None))
    r = ice.fails(4, "append", "db.t", write_csv(tmp_path / "more.csv", ["id", "name"], [(9, "y")]), env=env)
    assert "commit state unknown" in r.err.lower(), r.err
    proxy.clear()
    assert scanned_ids(ice, table, env) == [0, 1, 2, 9]
    files = ice.ok("files", table, "--json", env=env).json()
    for f in files:
        key = f["entry"]["data_file"]["file_path"].split(f"s3://{bucket}/", 1)[1]
        assert key in moto.keys(bucket, "wh/")


def test_store_without_conditional_writes_is_refused(ice_via_proxy, proxy, moto, bucket, tmp_path):
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh)
    table = table_with_rows(ice, wh, tmp_path)
    before = moto.keys(bucket, "wh/")
    proxy.add(Fault("strip", method="PUT", headers=("If-None-Match",), times=None))
    r = ice.fails(1, "append", "db.t", write_csv(tmp_path / "more.csv", ["id", "name"], [(5, "z")]), env=env)
    assert "does not honour conditional writes" in r.err and "s3.conditional-writes=unsafe" in r.err, r.err
    assert moto.keys(bucket, "wh/") == before  # the data files it wrote were removed
    # Opting in commits anyway (a single writer).
    env = config(tmp_path, wh, extra="catalog.moto.s3.conditional-writes = unsafe")
    ice.ok("append", "db.t", write_csv(tmp_path / "more.csv", ["id", "name"], [(5, "z")]), env=env)
    assert scanned_ids(ice, table, env) == [0, 1, 2, 5]


@pytest.mark.parametrize("action", ["drop", "truncate"])
def test_every_request_of_a_scan_hit_once(ice_via_proxy, proxy, bucket, tmp_path, action):
    """Each GET of a scan fails once in turn: the scan still reads every row."""
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    env = config(tmp_path, wh)
    table = table_with_rows(ice, wh, tmp_path)
    ice.ok("append", "db.t", write_csv(tmp_path / "b.csv", ["id", "name"], [(10, "b")]), env=env)
    proxy.reset_log()
    scanned_ids(ice, table, env)
    targets = [x.target for x in proxy.log if x.method == "GET"]
    assert len(targets) >= 5
    for t in targets:
        proxy.clear()
        path = "^" + t.split("?")[0].replace(".", r"\.") + r"(\?|$)"
        proxy.add(Fault(action, method="GET", path=path))
        assert scanned_ids(ice, table, env) == [0, 1, 2, 10], t


def test_a_completed_upload_whose_answer_is_lost_is_recognised(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """CompleteMultipartUpload lands but its answer is lost, and the resend
    gets 404 NoSuchUpload (as S3 answers once the upload is gone; moto
    answers 200 again, so the proxy says it): the object - a multipart ETag
    with as many parts, the parts' total size - is taken as the upload, and
    the append commits once."""
    ice = ice_via_proxy
    env, table, src = multipart_table(ice, bucket, tmp_path)
    n = BIG_ROWS
    proxy.reset_log()
    proxy.add(Fault("drop_after", method="POST", path=r"uploadId="))
    proxy.add(Fault("status", method="POST", path=r"uploadId=", status=404, code="NoSuchUpload"))
    ice.ok("append", "db.t", src, env=env)
    completes = [x for x in proxy.log if x.method == "POST" and "uploadId=" in x.target]
    assert [(x.fault, x.status) for x in completes][1:] == [("status", 404)], completes
    assert completes[0].fault == "drop_after"
    assert [x for x in proxy.log if x.method == "HEAD" and x.target.split("?")[0] == completes[0].target.split("?")[0]]
    assert moto.uploads(bucket) == []
    assert len(scanned_ids(ice, table, env)) == n + 3
    assert len(ice.ok("snapshots", table, "--json", env=env).json()) == 2


def test_a_vanished_upload_that_never_completed_fails_the_append(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """The first CompleteMultipartUpload never reaches the store and the
    resend gets 404 NoSuchUpload: no object is there, so the append fails
    naming the request, and nothing is committed."""
    ice = ice_via_proxy
    env, table, src = multipart_table(ice, bucket, tmp_path)
    proxy.add(Fault("drop", method="POST", path=r"uploadId="))
    proxy.add(Fault("status", method="POST", path=r"uploadId=", status=404, code="NoSuchUpload"))
    r = ice.fails(1, "append", "db.t", src, env=env)
    assert "CompleteMultipartUpload: 404: the upload vanished and no object is there" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert scanned_ids(ice, table, env) == [0, 1, 2]
