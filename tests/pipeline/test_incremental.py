"""Incremental reads: `ice scan TABLE --from-snapshot A [--to-snapshot B]`
(and --from-ref/--to-ref, --from-time/--to-time) returns the rows the
append snapshots after A up to B added, as Java's IncrementalAppendScan
does: checked against Spark 3.5 + Iceberg 1.12 reading the same table with
start-snapshot-id/end-snapshot-id, in every output format, with the
planning statistics showing that only the manifests of the range's
snapshots are opened. An overwrite or delete in the range is an error naming
the snapshot unless --appends-only skips it (Spark's batch read skips it)."""
import json

import pyarrow.parquet as pq

from support import ice, ice_fails, ice_ok, metadata



def snapshot_ids(t):
    return [s["snapshot-id"] for s in metadata(t)["snapshots"]]


def append(t, tmp, rows, *extra):
    p = tmp / "in.csv"
    p.write_text("id,s\n" + "".join(f"{i},{s}\n" for i, s in rows))
    ice_ok("append", t, p, *extra)


def ice_rows(t, *args):
    out = ice_ok("scan", t, "--format", "jsonl", *args).out
    return sorted((r["id"], r["s"]) for r in map(json.loads, out.splitlines()))


def spark_rows(spark, ident, start, end=None):
    r = spark.session.read.format("iceberg").option("start-snapshot-id", str(start))
    if end is not None:
        r = r.option("end-snapshot-id", str(end))
    return sorted((row["id"], row["s"]) for row in r.load(f"cat.{ident}").collect())


def test_incremental_scan_matches_spark(spark, tmp_path):
    spark.sql("CREATE TABLE cat.inc.t (id BIGINT, s STRING) USING iceberg PARTITIONED BY (bucket(4, id)) "
              "TBLPROPERTIES ('format-version'='2', 'commit.manifest.min-count-to-merge'='3')")
    t = spark.table_dir("inc.t")
    spark.sql("INSERT INTO cat.inc.t VALUES (1, 'spark-1'), (2, 'spark-2')")
    for k in range(5):
        append(t, tmp_path, [(10 * k + i, f"ice-{k}-{i}") for i in range(10, 14)])
    spark.sql("INSERT INTO cat.inc.t VALUES (100, 'spark-100')")
    ids = snapshot_ids(t)
    assert len(ids) == 7
    # every pair of (from, to) on the line of history
    for a in range(len(ids)):
        # from == to: no rows (Java refuses it; a job polling for new rows
        # finds none instead)
        assert ice_rows(t, "--from-snapshot", ids[a], "--to-snapshot", ids[a]) == []
        for b in range(a + 1, len(ids)):
            got = ice_rows(t, "--from-snapshot", ids[a], "--to-snapshot", ids[b])
            assert got == spark_rows(spark, "inc.t", ids[a], ids[b]), (a, b)
    assert ice_rows(t, "--from-snapshot", ids[2]) == spark_rows(spark, "inc.t", ids[2])
    # planning: only the manifests the range's snapshots added (a merged
    # manifest of the append that merged carries older files as existing)
    st = json.loads(ice_ok("--json", "scan", t, "--from-snapshot", ids[4], "--plan", "--stats").out)
    added = sum(1 for r in ice_rows(t, "--from-snapshot", ids[4]))
    assert sum(tk["record_count"] for tk in st["tasks"]) == added
    # refs and times name the ends too
    ice_ok("tag", "create", t, "loaded", "--snapshot", ids[3])
    assert ice_rows(t, "--from-ref", "loaded") == ice_rows(t, "--from-snapshot", ids[3])
    snaps = metadata(t)["snapshots"]
    assert ice_rows(t, "--from-time", snaps[1]["timestamp-ms"], "--to-time", snaps[5]["timestamp-ms"]) == \
        spark_rows(spark, "inc.t", ids[1], ids[5])
    # a delete in the range: refused naming it, or skipped as Spark skips it
    spark.sql("DELETE FROM cat.inc.t WHERE id = 1")
    spark.sql("INSERT INTO cat.inc.t VALUES (200, 'spark-200')")
    ids = snapshot_ids(t)
    r = ice_fails(1, "scan", t, "--from-snapshot", ids[0])
    assert str(ids[-2]) in r.err and "--appends-only" in r.err
    got = ice_rows(t, "--from-snapshot", ids[0], "--appends-only")
    assert got == spark_rows(spark, "inc.t", ids[0])
    assert (200, "spark-200") in got and (1, "spark-1") not in got
    # not on the line of history
    r = ice_fails(1, "scan", t, "--from-snapshot", ids[3], "--to-snapshot", ids[1])
    assert "not an ancestor" in r.err


def test_every_output_format(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, s string")
    append(t, tmp_path, [(1, "a")])
    append(t, tmp_path, [(2, "b"), (3, "c")])
    append(t, tmp_path, [(4, "d")])
    ids = snapshot_ids(t)
    rng = ["--from-snapshot", ids[0], "--to-snapshot", ids[1]]
    assert ice_ok("scan", t, *rng, "--format", "csv").out == "id,s\n2,b\n3,c\n"
    assert ice_rows(t, *rng) == [(2, "b"), (3, "c")]
    table = ice_ok("scan", t, *rng, "--format", "table").out
    assert "b" in table and "c" in table and "a" not in table.split("\n", 2)[-1]
    out = tmp_path / "o.parquet"
    ice_ok("scan", t, *rng, "--format", "parquet", "--output", out)
    assert sorted(pq.read_table(out).to_pylist(), key=lambda r: r["id"]) == [{"id": 2, "s": "b"},
                                                                             {"id": 3, "s": "c"}]
    # empty range, usage errors
    assert ice_rows(t, "--from-snapshot", ids[2]) == []
    ice_fails(2, "scan", t, "--to-snapshot", ids[1])
    ice_fails(2, "scan", t, "--from-snapshot", ids[0], "--from-ref", "main")
    ice_fails(1, "scan", t, "--from-snapshot", 12345)
