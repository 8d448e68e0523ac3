"""Connection reuse: ice keeps its HTTP/1.1 connections to the store alive
and sends request after request over them, instead of opening one per
request. Counted by the proxy in front of moto (tests/peers/s3_proxy.py),
which numbers every client connection it accepts and tags each request with
the connection it came on. The HTTP client runs at most 16 requests at once
(lib/io/http.c), so no command may need more connections than that, however
many requests it sends."""
from conftest import big_parquet, rows_of_csv, write_csv

POOL = 16  # requests at once per client (DEFAULT_CONNECTIONS in lib/io/http.c)


def counted(proxy):
    """(requests, connections, distinct connections the requests came on)."""
    return len(proxy.log), proxy.connections, len({x.conn for x in proxy.log})


def test_scan_of_many_files_and_manifests_reuses_connections(ice_via_proxy, proxy, bucket, tmp_path):
    """A scan of 66 data files in 6 manifests (a manifest list, manifests
    read whole, a footer request per Parquet file...): well over 80 requests
    on at most a handful of connections."""
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "create", "db.t", "--schema", "id long, v string", "--partition", "id")
    ice.ok("--catalog", wh, "append", "db.t",
           write_csv(tmp_path / "a.csv", ["id", "v"], [(i, f"v{i}") for i in range(60)]))
    for k in range(5):
        ice.ok("--catalog", wh, "append", "db.t", write_csv(tmp_path / f"b{k}.csv", ["id", "v"], [(100 + k, "b")]))
    table = f"{wh}/db/t"
    proxy.reset_log()
    out = ice.ok("scan", table).out
    assert sorted(int(r[0]) for r in rows_of_csv(out)) == list(range(60)) + list(range(100, 105))
    requests, connections, used = counted(proxy)
    manifests = [x for x in proxy.log if x.method == "GET" and x.target.split("?")[0].endswith("-m0.avro")]
    data = {x.target.split("?")[0] for x in proxy.log if x.method == "GET" and "/data/" in x.target}
    assert len(manifests) == 6 and len(data) == 65, (len(manifests), len(data))
    assert requests >= 70, requests
    assert used == connections, (used, connections)  # every accepted connection carried requests
    print(f"scan: {requests} requests on {connections} connections")
    assert connections <= POOL, f"{connections} connections for {requests} requests"
    assert connections * 5 <= requests, f"{connections} connections for {requests} requests"


def test_multipart_upload_reuses_connections(ice_via_proxy, proxy, moto, bucket, tmp_path):
    """An append whose data file goes up in at least 6 parts of 5 MiB, 2 in
    flight at a time: the parts share the connections of the uploads before
    them (at most one per part in flight), the whole command stays within
    the pool."""
    ice = ice_via_proxy
    wh = f"s3://{bucket}/wh"
    src, _ = big_parquet(tmp_path / "big.parquet", 200_000, 120, "blob")
    ice.ok("--catalog", wh, "create", "db.big", "--schema", "id long, blob string",
           "--property", "s3.multipart.part-size=5242880", "--property", "s3.multipart.num-threads=2",
           "--property", "write.parquet.compression-codec=uncompressed")
    proxy.reset_log()
    ice.ok("--catalog", wh, "append", "db.big", src)
    parts = [x for x in proxy.log if x.method == "PUT" and "partNumber=" in x.target]
    assert len(parts) >= 6, len(parts)
    part_conns = {x.conn for x in parts}
    print(f"multipart: {len(parts)} parts on {len(part_conns)} connections")
    assert len(part_conns) <= 3, f"{len(part_conns)} connections for {len(parts)} parts"
    requests, connections, used = counted(proxy)
    assert used == connections and connections <= POOL, (requests, connections)
    create = [x for x in proxy.log if x.method == "POST" and x.target.endswith("?uploads=")]
    complete = [x for x in proxy.log if x.method == "POST" and "uploadId=" in x.target]
    assert len(create) == 1 and len(complete) == 1
    # The completion went on a connection an earlier request had opened.
    assert [x for x in proxy.log if x.conn == complete[0].conn][0] is not complete[0]
    assert moto.uploads(bucket) == []
