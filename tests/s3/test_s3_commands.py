"""Every ice command against an s3:// warehouse on moto: namespaces, create,
append (also a file large enough for several multipart parts), scans with
pruning, delete, overwrite, alter, tags, branches, rollback,
rewrite-manifests, the inspection commands, drop and drop --purge; and
what the store holds afterwards, read with boto3 (moto's own view)."""
import json

from conftest import big_parquet, rows_of_csv, write_csv


def sorted_rows(text):
    return sorted(rows_of_csv(text))


def test_warehouse_workflow(ice, moto, bucket, tmp_path):
    wh = f"s3://{bucket}/warehouse"
    cat = ("--catalog", wh)
    ice.ok(*cat, "namespace", "create", "db", "--property", "owner=ice")
    assert "db" in ice.ok(*cat, "namespace", "list").out
    props = ice.ok(*cat, "namespace", "properties", "db").out
    assert "owner" in props and f"{wh}/db" in props
    ice.ok(*cat, "create", "db.events", "--schema", "id long, day date, name string", "--partition", "day")
    assert ice.ok(*cat, "list", "db").out.split() == ["events"]
    table = f"{wh}/db/events"
    keys = moto.keys(bucket, "warehouse/db/events/")
    assert "warehouse/db/events/metadata/v1.metadata.json" in keys
    assert "warehouse/db/events/metadata/version-hint.text" in keys
    assert not [k for k in keys if "conditional-write-probe" in k]

    # Two appends into day partitions.
    a = write_csv(tmp_path / "a.csv", ["id", "day", "name"],
                  [(1, "2024-01-01", "a"), (2, "2024-01-01", "b"), (3, "2024-01-02", "c")])
    b = write_csv(tmp_path / "b.csv", ["id", "day", "name"], [(4, "2024-01-03", "d"), (5, "2024-01-03", "e")])
    ice.ok(*cat, "append", "db.events", a)
    ice.ok(*cat, "append", "db.events", b)
    assert sorted_rows(ice.ok("scan", table).out) == [
        ["1", "2024-01-01", "a"], ["2", "2024-01-01", "b"], ["3", "2024-01-02", "c"],
        ["4", "2024-01-03", "d"], ["5", "2024-01-03", "e"]]
    # Pruning: one partition's file read.
    r = ice.ok("scan", table, "--where", "day = date '2024-01-03'", "--stats")
    assert sorted_rows(r.out) == [["4", "2024-01-03", "d"], ["5", "2024-01-03", "e"]]
    assert "manifests: 2 (1 skipped" in r.err and "tasks: 1" in r.err, r.err
    plan = ice.ok("scan", table, "--where", "day = date '2024-01-01'", "--plan", "--json").json()
    assert len(plan["tasks"]) == 1

    # Inspection commands read S3 like local files.
    snaps = ice.ok("snapshots", table, "--json").json()
    assert len(snaps) == 2
    first = snaps[0]["snapshot_id"]
    for cmd in ("describe", "schema", "history", "refs", "manifests", "files", "partitions", "entries"):
        ice.ok(cmd, table)
    md = ice.ok("metadata", table).out
    assert '"format-version"' in md
    files = ice.ok("files", table, "--json").json()
    data_file = files[0]["entry"]["data_file"]["file_path"]
    assert data_file.startswith(f"{wh}/db/events/data/")
    ice.ok("parquet", data_file)

    # Row-level changes.
    ice.ok(*cat, "delete", "db.events", "--where", "id = 2")
    c = write_csv(tmp_path / "c.csv", ["id", "day", "name"], [(6, "2024-01-01", "f")])
    ice.ok(*cat, "overwrite", "db.events", c, "--where", "day = date '2024-01-01'")
    assert sorted_rows(ice.ok("scan", table).out) == [
        ["3", "2024-01-02", "c"], ["4", "2024-01-03", "d"], ["5", "2024-01-03", "e"], ["6", "2024-01-01", "f"]]
    ice.ok(*cat, "alter", "db.events", "--add-column", "score double", "--rename", "name=label")
    assert "label" in ice.ok("schema", table).out

    # Refs and rollback.
    ice.ok(*cat, "tag", "create", "db.events", "first", "--snapshot", first)
    ice.ok(*cat, "branch", "create", "db.events", "dev")
    e = write_csv(tmp_path / "e.csv", ["id", "day", "label"], [(7, "2024-01-05", "g")])
    ice.ok(*cat, "append", "db.events", e, "--branch", "dev")
    assert sorted_rows(ice.ok("scan", table, "--ref", "first").out) == [
        ["1", "2024-01-01", "a"], ["2", "2024-01-01", "b"], ["3", "2024-01-02", "c"]]
    refs = ice.ok("refs", table, "--json").json()
    assert {r["name"] for r in refs} >= {"main", "first", "dev"}
    ice.ok(*cat, "rollback", "db.events", "--to", first)
    assert len(rows_of_csv(ice.ok("scan", table).out)) == 3

    # Manifests packed.
    for i in range(3):
        d = write_csv(tmp_path / f"d{i}.csv", ["id", "day", "label"], [(10 + i, "2024-02-01", "x")])
        ice.ok(*cat, "append", "db.events", d)
    before = len(ice.ok("manifests", table, "--json").json()["manifests"])
    ice.ok(*cat, "rewrite-manifests", "db.events")
    after = len(ice.ok("manifests", table, "--json").json()["manifests"])
    assert after < before
    assert len(rows_of_csv(ice.ok("scan", table).out)) == 6

    # Every metadata version was published conditionally: none replaced.
    versions = sorted(k for k in moto.keys(bucket, "warehouse/db/events/metadata/") if k.endswith(".metadata.json"))
    n = len(versions)
    assert versions == sorted(f"warehouse/db/events/metadata/v{i}.metadata.json" for i in range(1, n + 1))
    assert moto.get(bucket, "warehouse/db/events/metadata/version-hint.text").decode().strip() == str(n)

    # Drop keeps the data; drop --purge of another table empties its prefix.
    ice.ok(*cat, "create", "db.gone", "--schema", "id long")
    ice.ok(*cat, "append", "db.gone", write_csv(tmp_path / "g.csv", ["id"], [(1,), (2,)]))
    r = ice.ok(*cat, "drop", "db.gone", "--purge", "--json")
    report = r.json()
    assert report["files_left"] == 0 and report["files_deleted"] > 0, report
    assert moto.keys(bucket, "warehouse/db/gone/") == {}
    ice.ok(*cat, "drop", "db.events")
    assert ice.ok(*cat, "list", "db").out.split() == []
    assert [k for k in moto.keys(bucket, "warehouse/db/events/") if "/data/" in k]
    # The namespace holds leftovers (data of the dropped table): not empty.
    ice.fails(1, *cat, "namespace", "drop", "db")


def test_multipart_append_and_read(ice, moto, bucket, tmp_path):
    """A data file of several multipart parts (5 MiB parts via a table
    property), read back whole; no upload is left open."""
    wh = f"s3://{bucket}/wh"
    n = 160_000
    src, names = big_parquet(tmp_path / "big.parquet", n, 75, "blob")
    ice.ok("--catalog", wh, "create", "db.big", "--schema", "id long, blob string",
           "--property", "s3.multipart.part-size=5242880", "--property", "write.parquet.compression-codec=zstd")
    r = ice.ok("-v", "--catalog", wh, "append", "db.big", src)
    assert "CreateMultipartUpload" in r.err and "CompleteMultipartUpload" in r.err
    parts = r.err.count("UploadPart ")
    assert parts >= 2, r.err
    data = {k: v for k, v in moto.keys(bucket, "wh/db/big/data/").items()}
    assert len(data) == 1 and list(data.values())[0] > 10 * 1024 * 1024, data
    assert moto.uploads(bucket) == []
    out = ice.ok("scan", f"{wh}/db/big", "--select", "id", "--where", "id >= 159990").out
    assert sorted(int(x[0]) for x in rows_of_csv(out)) == list(range(159_990, n))
    # Every row back, checked against the input.
    got = ice.ok("scan", f"{wh}/db/big", "--format", "jsonl").out.splitlines()
    assert len(got) == n
    row = json.loads(got[12345])
    assert names[row["id"]] == row["blob"]


def test_errors_name_location_operation_and_code(ice, moto, bucket):
    r = ice.fails(1, "scan", f"s3://{bucket}/nowhere/t")
    assert "s3://" in r.err and "nowhere" in r.err
    r = ice.fails(1, "scan", f"s3://{bucket}/nowhere/metadata/v1.metadata.json")
    assert r.err.startswith("ice: s3://") and "GET: 404 NoSuchKey" in r.err, r.err
    r = ice.fails(1, "scan", "s3://no-such-bucket-here/t/metadata/v1.metadata.json")
    assert "404 NoSuchBucket" in r.err, r.err
    # No credentials anywhere: said so, before any request.
    r = ice.run("scan", f"s3://{bucket}/x/metadata/v1.metadata.json",
                env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert r.code == 1 and "no AWS credentials" in r.err, r.err


def test_table_properties_tune_but_never_redirect(ice, moto, bucket, tmp_path):
    """A table's properties may tune its FileIO (retries, part size) but not
    send its requests elsewhere or with other credentials."""
    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "create", "db.t", "--schema", "id long",
           "--property", "s3.endpoint=http://127.0.0.1:1", "--property", "s3.access-key-id=AKIDFROMTABLE",
           "--property", "s3.secret-access-key=FROMTABLE", "--property", "s3.retry.num-retries=0")
    ice.ok("--catalog", wh, "append", "db.t", write_csv(tmp_path / "a.csv", ["id"], [(1,), (2,)]))
    assert sorted_rows(ice.ok("scan", f"{wh}/db/t").out) == [["1"], ["2"]]


def test_verbose_prints_requests_and_a_count(ice, moto, bucket, tmp_path):
    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "create", "db.t", "--schema", "id long")
    r = ice.ok("-v", "scan", f"{wh}/db/t")
    lines = r.err.splitlines()
    assert any(ln.startswith(f"ice: {wh}/db/t/metadata/version-hint.text: GET: 200") for ln in lines), r.err
    store = [ln for ln in lines if ln.startswith("ice: object store: ")]
    assert len(store) == 1 and " requests (0 retries)" in store[0], r.err
    assert lines[-1].startswith("ice: scan: exit 0 after "), r.err  # -v ends with the exit code and time
    assert ice.ok("scan", f"{wh}/db/t").err == ""


def test_purge_pages_listings_and_batches_deletes(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """A table of more than 1,000 files: drop --purge lists its prefix in
    pages (continuation tokens) and deletes in DeleteObjects batches of at
    most 1,000 keys; nothing is left."""
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "create", "db.many", "--schema", "id long, v string", "--partition", "id")
    rows = [(i, f"v{i}") for i in range(1100)]
    ice.ok("--catalog", wh, "append", "db.many", write_csv(tmp_path / "many.csv", ["id", "v"], rows))
    keys = moto.keys(bucket, "wh/db/many/")
    assert len(keys) > 1100
    proxy.reset_log()
    r = ice.ok("--catalog", wh, "drop", "db.many", "--purge", "--json")
    report = r.json()
    assert report["files_deleted"] >= 1100 and report["files_left"] == 0, report
    lists = [x for x in proxy.log if x.method == "GET" and "list-type=2" in x.target and "wh%2Fdb%2Fmany" in x.target]
    assert any("continuation-token=" in x.target for x in lists), [x.target for x in lists]
    batches = [x for x in proxy.log if x.method == "POST" and x.target.endswith("?delete=")]
    assert len(batches) >= 2
    assert not [x for x in proxy.log if x.method in ("DELETE", "HEAD") and "/data/" in x.target]
    assert moto.keys(bucket, "wh/db/many/") == {}
