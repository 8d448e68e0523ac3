"""The maintenance commands on an s3:// warehouse (moto): expire-snapshots
and remove-orphan-files find their files with ListObjectsV2, keep what
the age guard and the containment guard keep, and delete in DeleteObjects
batches (the table's s3.delete.batch-size), never a DELETE per file; the
rows read the same before and after, by ice and by PyIceberg."""
from conftest import rows_of_csv, write_csv


def ids(ice, table):
    return sorted(int(r[0]) for r in rows_of_csv(ice.ok("scan", table).out))


def deletes(proxy):
    """(DeleteObjects requests, single DELETEs) in the proxy's log."""
    batches = [x for x in proxy.log if x.method == "POST" and x.target.endswith("?delete=")]
    singles = [x for x in proxy.log if x.method == "DELETE" and "conditional-write-probe" not in x.target]
    return batches, singles


def test_expire_snapshots_deletes_in_batches(ice_via_proxy, proxy, moto, bucket, tmp_path):
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    table = f"{wh}/db/t"
    ice.ok("--catalog", wh, "create", "db.t", "--schema", "id long, part long", "--partition", "part",
           "--property", "s3.delete.batch-size=4", "--property", "commit.manifest-merge.enabled=false")
    for i in range(6):
        rows = [(i * 10 + k, k) for k in range(3)]
        ice.ok("--catalog", wh, "append", "db.t", write_csv(tmp_path / f"a{i}.csv", ["id", "part"], rows))
    # An overwrite makes the first appends' data files reachable only from old snapshots.
    ice.ok("--catalog", wh, "overwrite", "db.t", write_csv(tmp_path / "o.csv", ["id", "part"], [(99, 0)]),
           "--where", "part = 0")
    before = ids(ice, table)
    old_lists = [s["manifest_list"] for s in ice.ok("snapshots", table, "--json").json()[:-1]]
    proxy.reset_log()
    r = ice.ok("--catalog", wh, "expire-snapshots", "db.t", "--older-than", "0s", "--retain-last", "1", "--json")
    report = r.json()
    assert ids(ice, table) == before
    assert len(ice.ok("snapshots", table, "--json").json()) == 1
    keys = moto.keys(bucket, "wh/db/t/")
    for loc in old_lists:
        assert loc.split(f"s3://{bucket}/", 1)[1] not in keys, loc
    # The six files of part 0 were replaced: gone with the snapshots that reached them.
    data = [k for k in keys if "/data/" in k]
    assert len(data) == 1 + 6 * 2, data
    batches, singles = deletes(proxy)
    assert not singles, [x.target for x in singles]
    assert len(batches) >= 3, [x.target for x in batches]  # > 8 files, 4 keys a request
    assert report, r.out

    # PyIceberg reads the same rows from the expired table.
    from pyiceberg.table import StaticTable
    md = sorted(k for k in keys if k.endswith(".metadata.json"))[-1]
    static = StaticTable.from_metadata(f"s3://{bucket}/{md}", properties=moto.pyiceberg_properties())
    assert sorted(static.scan().to_arrow().column("id").to_pylist()) == before


def test_remove_orphan_files_lists_guards_and_batches(ice_via_proxy, proxy, moto, bucket, tmp_path):
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    table = f"{wh}/db/t"
    ice.ok("--catalog", wh, "create", "db.t", "--schema", "id long", "--property", "s3.delete.batch-size=10")
    ice.ok("--catalog", wh, "append", "db.t", write_csv(tmp_path / "a.csv", ["id"], [(1,), (2,)]))
    c = moto.client()
    orphans = [f"wh/db/t/data/orphan-{i:03d}.parquet" for i in range(25)]
    for k in orphans:
        c.put_object(Bucket=bucket, Key=k, Body=b"not reached")
    # Beside the table (another table's prefix that starts alike) and hidden files: never ours.
    c.put_object(Bucket=bucket, Key="wh/db/t2/data/x.parquet", Body=b"x")
    c.put_object(Bucket=bucket, Key="wh/db/t/data/_SUCCESS", Body=b"")
    reached = set(moto.keys(bucket, "wh/db/t/")) - set(orphans) - {"wh/db/t/data/_SUCCESS"}

    # The age guard: everything was just written.
    r = ice.ok("--catalog", wh, "remove-orphan-files", "db.t", "--older-than", "1h", "--json")
    assert set(moto.keys(bucket, "wh/db/t/")) >= set(orphans), r.out
    # A dry run deletes nothing.
    ice.ok("--catalog", wh, "remove-orphan-files", "db.t", "--older-than", "0s", "--force", "--dry-run")
    assert set(moto.keys(bucket, "wh/db/t/")) >= set(orphans)

    proxy.reset_log()
    ice.ok("--catalog", wh, "remove-orphan-files", "db.t", "--older-than", "0s", "--force", "--json")
    left = set(moto.keys(bucket, "wh/db/t/"))
    assert left == reached | {"wh/db/t/data/_SUCCESS"}, sorted(left ^ reached)
    assert "wh/db/t2/data/x.parquet" in moto.keys(bucket, "wh/db/t2/")
    batches, singles = deletes(proxy)
    assert not singles and len(batches) == 3, ([x.target for x in batches], [x.target for x in singles])
    lists = [x for x in proxy.log if x.method == "GET" and "list-type=2" in x.target]
    assert lists and not [x for x in proxy.log if x.method == "HEAD"]
    assert ids(ice, table) == [1, 2]


def test_deletes_that_fail_are_reported_and_left_for_orphan_removal(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """DeleteObjects answering 500 every time: the expiry commits (the
    snapshots are gone), the command fails in one line naming the request,
    nothing is counted as deleted, and remove-orphan-files later removes
    the files left behind."""
    from conftest import Fault

    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    table = f"{wh}/db/t"
    quick = tmp_path / "quick.config"
    quick.write_text("\n".join([
        "default-catalog = moto", f"catalog.moto.uri = {wh}", "catalog.moto.s3.retry.num-retries = 1",
        "catalog.moto.s3.retry.min-wait-ms = 5", "catalog.moto.s3.retry.max-wait-ms = 20"]) + "\n")
    env = {"ICE_CONFIG": str(quick)}
    ice.ok("create", "db.t", "--schema", "id long", env=env)
    for i in range(3):
        ice.ok("append", "db.t", write_csv(tmp_path / f"a{i}.csv", ["id"], [(i,)]), env=env)
    lists = {s["manifest_list"] for s in ice.ok("snapshots", table, "--json").json()[:-1]}
    proxy.add(Fault("status", method="POST", path=r"\?delete=", status=500, code="InternalError", times=None))
    r = ice.fails(1, "expire-snapshots", "db.t", "--older-than", "0s", "--retain-last", "1", env=env)
    line = r.err.strip()
    assert "\n" not in line and "could not be deleted" in line and "500 InternalError" in line, r.err
    assert len(ice.ok("snapshots", table, "--json").json()) == 1
    keys = moto.keys(bucket, "wh/db/t/")
    assert all(loc.split(f"s3://{bucket}/", 1)[1] in keys for loc in lists)
    proxy.clear()
    ice.ok("remove-orphan-files", "db.t", "--older-than", "0s", "--force", env=env)
    keys = moto.keys(bucket, "wh/db/t/")
    assert not any(loc.split(f"s3://{bucket}/", 1)[1] in keys for loc in lists)
    assert ids(ice, table) == [0, 1, 2]
