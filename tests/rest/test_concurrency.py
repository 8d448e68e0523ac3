"""Many writers, one table, one REST server (the Apache Iceberg REST
fixture): 4 ice processes appending 25 times each while PyIceberg's
RestCatalog appends 25 times and Spark's REST catalog 10 times. Every commit lands or fails cleanly (exit 3
after its retries, nothing left behind); every acknowledged row is in the
table once, no other row is, and the snapshot chain is linear."""
import re
import subprocess
import threading

import pyarrow as pa
from pyiceberg.catalog import load_catalog
from pyiceberg.exceptions import CommitFailedException

from rest_support import clean_env, get_json, ice_bin, ice_ok, local_path
import spark as S  # tests/peers

ICE_WRITERS = 4
APPENDS = 25
SPARK_APPENDS = 10


def test_ice_and_pyiceberg_append_at_once(java_rest, ns, tmp_path):
    c = ["--catalog", java_rest.uri]
    ident = f"{ns}.busy"
    ice_ok(*c, "create", ident, "--schema", "id long, writer string",
           "--property", "commit.retry.num-retries=50", "--property", "commit.retry.min-wait-ms=20",
           "--property", "commit.retry.max-wait-ms=500")
    outcomes = {}  # id -> exit code / "ok" / "failed"
    lock = threading.Lock()

    def ice_writer(w):
        for i in range(APPENDS):
            rid = w * 1000 + i
            f = tmp_path / f"w{w}-{i}.csv"
            f.write_text(f"id,writer\n{rid},ice-{w}\n")
            p = subprocess.run([ice_bin(), *c, "append", ident, str(f)], capture_output=True, env=clean_env(),
                               timeout=300)
            assert p.returncode in (0, 3), p.stderr.decode()  # never a crash, never unknown
            if p.returncode == 3:
                assert len(p.stderr.decode().strip().split("\n")) == 1
            with lock:
                outcomes[rid] = p.returncode

    def pyiceberg_writer():
        table = load_catalog("fixture", type="rest", uri=java_rest.uri).load_table(ident)
        schema = table.schema().as_arrow()
        for i in range(APPENDS):
            rid = 9000 + i
            for attempt in range(50):
                try:
                    table.append(pa.Table.from_pylist([{"id": rid, "writer": "pyiceberg"}], schema=schema))
                    with lock:
                        outcomes[rid] = 0
                    break
                except CommitFailedException:
                    table = table.refresh()
            else:
                with lock:
                    outcomes[rid] = 3

    def spark_writer():
        # Iceberg's Java client retries per the table's commit.retry.*; a
        # commit that still loses raises (counted as failed, rows absent).
        for i in range(SPARK_APPENDS):
            rid = 8000 + i
            try:
                S.sql(f"INSERT INTO busy_rest.{ident} VALUES ({rid}, 'spark')")
                code = 0
            except Exception as e:  # noqa: BLE001  (py4j wraps CommitFailedException)
                assert "CommitFailed" in str(e), str(e)[:2000]
                code = 3
            with lock:
                outcomes[rid] = code

    S.rest_catalog("busy_rest", java_rest.uri, cache_enabled="false")
    S.sql(f"SELECT count(*) FROM busy_rest.{ident}")  # the session up before the race starts
    threads = [threading.Thread(target=ice_writer, args=(w,)) for w in range(ICE_WRITERS)]
    threads.append(threading.Thread(target=pyiceberg_writer))
    threads.append(threading.Thread(target=spark_writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == (ICE_WRITERS + 1) * APPENDS + SPARK_APPENDS

    table = load_catalog("fixture", type="rest", uri=java_rest.uri).load_table(ident)
    got = sorted(r["id"] for r in table.scan().to_arrow().to_pylist())
    acknowledged = sorted(rid for rid, code in outcomes.items() if code == 0)
    assert got == acknowledged  # every acknowledged row once, nothing else
    assert len(acknowledged) >= ((ICE_WRITERS + 1) * APPENDS + SPARK_APPENDS) * 9 // 10

    md = get_json(f"{java_rest.uri}/v1/namespaces/{ns}/tables/busy")["metadata"]
    snaps = {s["snapshot-id"]: s for s in md["snapshots"]}
    chain, cur = [], md["current-snapshot-id"]
    while cur is not None and cur in snaps:
        chain.append(cur)
        cur = snaps[cur].get("parent-snapshot-id")
    assert len(chain) == len(snaps) == len(acknowledged)
    assert [snaps[s]["sequence-number"] for s in reversed(chain)] == list(range(1, len(chain) + 1))
    # ice deleted the data files of its failed attempts: every file it wrote
    # (named <n>-<n>-<uuid>-<nnnnn>.parquet; PyIceberg's have no counter) is
    # referenced by the current snapshot.
    referenced = {local_path(f) for f in table.inspect.files().column("file_path").to_pylist()}
    on_disk = set(local_path(md["location"]).rglob("*.parquet"))
    ice_files = {p for p in on_disk if re.search(r"-\d{5}\.parquet$", p.name)}
    assert ice_files and ice_files <= referenced
    assert referenced <= on_disk
