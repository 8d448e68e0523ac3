"""ice against Spark 3.5 with the Iceberg 1.12 runtime, the reference for
maintenance: tables written by Spark and by ice (branches, tags, retention
settings, copy-on-write and merge-on-read deletes, position deletes,
deletion vectors, equality deletes, a compaction, table and partition
statistics) are copied; Spark's
procedure runs on one copy and ice on the other with the same arguments.

- expire_snapshots: the same snapshots and refs remain, the same files are
  deleted (every file below the table, by relative path), the same counts
  by kind are reported;
- remove_orphan_files: the same orphans are found and deleted;
- afterwards Spark, PyIceberg and DuckDB read the same rows at every
  retained snapshot of both copies, Spark writes on to the table ice
  maintained and ice to the one Spark maintained.

Spark refuses remove_orphan_files with older_than less than a day ago: the
files of both copies are moved four days into the past first."""
import json
import pathlib
import sys
import time

import pytest
from maintain_support import (age_tree, canon, copy_table, current_metadata, duckdb_rows, ice_ok, metadata,
                              pyiceberg_rows, write_csv)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

DAY = 86400
# ice's --json counts, in the order of the procedure's output columns
COUNTS = ("deleted_data_files_count", "deleted_position_delete_files_count", "deleted_equality_delete_files_count",
          "deleted_manifest_files_count", "deleted_manifest_lists_count", "deleted_statistics_files_count")


def files(t) -> set:
    """Every file below a table that is not hidden, relative to it."""
    root = pathlib.Path(t)
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)}


def metadata_json(rel) -> bool:
    return rel.endswith(".metadata.json") or rel.endswith("version-hint.text")


def checksums(t) -> set:
    """Hadoop's .NAME.crc files below a table (of files other than metadata
    JSON, which each side writes its own), relative to it."""
    root = pathlib.Path(t)
    return {str(p.relative_to(root)) for p in root.rglob(".*.crc") if not metadata_json(p.name[1:-4])}


def snapshots_and_refs(t):
    md = metadata(t)
    return ({s["snapshot-id"] for s in md["snapshots"]},
            {k: (v["snapshot-id"], v["type"]) for k, v in md.get("refs", {}).items()})


def spark_rows(spark, ident, snapshot_id):
    df = spark.session.sql(f"SELECT * FROM cat.{ident} VERSION AS OF {snapshot_id}")
    return canon([r.asDict() for r in df.collect()])


def all_read_the_same(spark, t, ident, pyiceberg=True):
    """Spark, DuckDB and (unless the table has equality deletes, which it
    refuses) PyIceberg read the same rows at every snapshot."""
    md_file = current_metadata(t)
    out = {}
    for s in json.loads(md_file.read_text())["snapshots"]:
        sid = s["snapshot-id"]
        a = spark_rows(spark, ident, sid)
        b = canon(duckdb_rows(md_file, sid))
        assert a == b, f"{ident} at {sid}: Spark {a[:3]}... != DuckDB {b[:3]}..."
        if pyiceberg:
            assert canon(pyiceberg_rows(md_file, sid)) == a, f"{ident} at {sid}: PyIceberg"
        out[sid] = a
    return out


def twins(spark, name):
    """Two path-rewritten copies of cat.db.NAME: NAME_spark and NAME_ice."""
    src = spark.table_dir(f"db.{name}")
    a, b = spark.table_dir(f"db.{name}_spark"), spark.table_dir(f"db.{name}_ice")
    copy_table(src, a)
    copy_table(src, b)
    assert files(a) == files(b)
    return a, b


def compare_expiry(spark, name, ice_args, call_args):
    a, b = twins(spark, name)
    before, before_ids = files(a), snapshots_and_refs(a)[0]
    row = spark.rows(f"CALL cat.system.expire_snapshots(table => 'db.{name}_spark'{', ' if call_args else ''}{call_args})")[0]
    got = ice_ok("--json", "expire-snapshots", b, *ice_args).json()
    # the same snapshots and refs remain
    assert snapshots_and_refs(a) == snapshots_and_refs(b)
    assert set(got["expired_snapshot_ids"]) == before_ids - snapshots_and_refs(b)[0]
    # the same files deleted (metadata files apart: each writes its own next version)
    gone_spark = {f for f in before - files(a) if not metadata_json(f)}
    gone_ice = {f for f in before - files(b) if not metadata_json(f)}
    assert gone_ice == gone_spark, f"ice only: {sorted(gone_ice - gone_spark)[:5]}, Spark only: {sorted(gone_spark - gone_ice)[:5]}"
    # and the checksums beside them, as Hadoop's local file system deletes them
    assert checksums(a) == checksums(b)
    counts = tuple(got[k] for k in COUNTS)
    assert counts == tuple(row), f"ice {counts} != Spark {tuple(row)}"
    assert got["files_missing"] == got["files_outside"] == got["files_failed"] == 0
    return a, b, row


def compare_orphans(spark, name, a, b):
    """The same orphans, found in both copies' own stray files."""
    for t in (a, b):
        for rel in ("data/stray-1.parquet", "metadata/stray-m0.avro", "data/x=1/deep/stray-2.parquet",
                    "metadata/00042-3f2504e0-4f89-11d3-9a0c-0305e82c3301.metadata.json"):
            p = pathlib.Path(t, rel)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"PAR1")
        age_tree(t, 4 * DAY)
    older = spark.ts_literal(int((time.time() - 3 * DAY) * 1000))
    rows = spark.rows(f"CALL cat.system.remove_orphan_files(table => 'db.{name}_spark', older_than => {older})")
    got = ice_ok("--json", "remove-orphan-files", b, "--older-than", "3d").json()

    def rel(t, loc):
        return str(pathlib.Path(loc.split(":", 1)[1] if loc.startswith("file:") else loc).relative_to(pathlib.Path(t).resolve()))

    found_spark = {rel(a, r[0]) for r in rows}
    found_ice = {rel(b, loc) for loc in got["orphan_file_locations"]}
    assert found_ice == found_spark and len(found_ice) >= 4, (sorted(found_ice), sorted(found_spark))
    assert files(a) == files(b)


def carry_on(spark, name, a, b, tmp_path):
    """Spark writes to the table ice maintained, ice to Spark's; both read
    the same afterwards."""
    cols = [f.name for f in spark.session.table(f"cat.db.{name}_ice").schema.fields]
    spark.sql(f"INSERT INTO cat.db.{name}_ice SELECT * FROM cat.db.{name}_ice LIMIT 2")
    head = spark.rows(f"SELECT * FROM cat.db.{name}_ice LIMIT 2")
    csv = tmp_path / f"{name}-more.csv"
    csv.write_text(",".join(cols) + "\n" + "\n".join(",".join("" if v is None else
                                                               (v.isoformat() + "Z" if hasattr(v, "isoformat") else str(v))
                                                               for v in r) for r in head) + "\n")
    ice_ok("append", a, csv)
    n_a = spark.rows(f"SELECT count(*) FROM cat.db.{name}_spark")[0][0]
    n_b = spark.rows(f"SELECT count(*) FROM cat.db.{name}_ice")[0][0]
    assert n_a == n_b


def test_spark_written_table(spark, tmp_path):
    name = "sp"
    t = f"cat.db.{name}"
    spark.sql(f"""CREATE TABLE {t} (id BIGINT, x INT, name STRING) USING iceberg PARTITIONED BY (x)
                  TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read',
                                 'write.update.mode'='merge-on-read', 'write.merge.mode'='merge-on-read')""")
    spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 3 AS INT), CONCAT('n', id) FROM range(0, 60)")
    spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 3 AS INT), CONCAT('n', id) FROM range(60, 90)")
    spark.sql(f"DELETE FROM {t} WHERE id % 5 = 0")                           # position deletes
    sids = [r[0] for r in spark.rows(f"SELECT snapshot_id FROM {t}.snapshots ORDER BY committed_at")]
    spark.sql(f"ALTER TABLE {t} CREATE TAG keep AS OF VERSION {sids[1]} RETAIN 30 DAYS")
    spark.sql(f"ALTER TABLE {t} CREATE TAG gone AS OF VERSION {sids[0]}")
    spark.sql(f"ALTER TABLE {t} CREATE BRANCH b AS OF VERSION {sids[1]} RETAIN 7 DAYS WITH SNAPSHOT RETENTION 2 SNAPSHOTS")
    spark.sql(f"INSERT INTO {t}.branch_b VALUES (1000, 1, 'on b')")
    spark.sql(f"ALTER TABLE {t} SET TBLPROPERTIES ('write.delete.mode'='copy-on-write')")
    spark.sql(f"DELETE FROM {t} WHERE id % 7 = 0")                           # files rewritten
    spark.sql(f"INSERT INTO {t} VALUES (2000, 2, 'late')")
    spark.sql(f"CALL cat.system.rewrite_data_files(table => 'db.{name}', options => map('rewrite-all', 'true'))")
    spark.sql(f"CALL cat.system.rewrite_position_delete_files(table => 'db.{name}', options => map('rewrite-all', 'true'))")
    spark.sql(f"ALTER TABLE {t} SET TBLPROPERTIES ('history.expire.max-ref-age-ms'='1')")
    time.sleep(0.01)
    now = int(time.time() * 1000) + 1000
    a, b, row = compare_expiry(spark, name, ["--older-than", str(now), "--retain-last", "1"],
                               f"older_than => {spark.ts_literal(now)}, retain_last => 1")
    assert row[0] > 0 and row[1] > 0 and row[3] > 0 and row[4] > 0  # every kind Spark wrote went
    _, refs = snapshots_and_refs(b)
    assert set(refs) == {"main", "keep", "b"}
    ra = all_read_the_same(spark, a, f"db.{name}_spark")
    rb = all_read_the_same(spark, b, f"db.{name}_ice")
    assert ra == rb
    compare_orphans(spark, name, a, b)
    carry_on(spark, name, a, b, tmp_path)


def test_spark_table_named_snapshots_and_clean_metadata(spark, tmp_path):
    name = "spm"
    t = f"cat.db.{name}"
    spark.sql(f"""CREATE TABLE {t} (id BIGINT, d DATE) USING iceberg PARTITIONED BY (d)
                  TBLPROPERTIES ('format-version'='2')""")
    spark.sql(f"INSERT INTO {t} VALUES (1, DATE '2024-01-01'), (2, DATE '2024-01-02')")
    spark.sql(f"INSERT INTO {t} VALUES (3, DATE '2024-01-03')")
    spark.sql(f"ALTER TABLE {t} ADD COLUMN extra INT")
    spark.sql(f"ALTER TABLE {t} DROP PARTITION FIELD d")
    spark.sql(f"INSERT OVERWRITE {t} SELECT id, d, 7 FROM {t}")
    spark.sql(f"INSERT INTO {t} VALUES (4, DATE '2024-01-04', 8)")
    sids = [r[0] for r in spark.rows(f"SELECT snapshot_id FROM {t}.snapshots ORDER BY committed_at")]
    # two named snapshots (both young: only they go), metadata cleaned
    compare_expiry(spark, name, ["--snapshot-id", f"{sids[0]},{sids[2]}", "--clean-metadata"],
                   f"snapshot_ids => array({sids[0]}, {sids[2]}), clean_expired_metadata => true")
    # everything but the current snapshot, cleaning what is left unused
    now = int(time.time() * 1000) + 1000
    a, b, _ = compare_expiry(spark, name, ["--older-than", str(now), "--clean-metadata"],
                             f"older_than => {spark.ts_literal(now)}, clean_expired_metadata => true")
    ma, mb = metadata(a), metadata(b)
    assert [s["spec-id"] for s in ma["partition-specs"]] == [s["spec-id"] for s in mb["partition-specs"]]
    assert [s["schema-id"] for s in ma["schemas"]] == [s["schema-id"] for s in mb["schemas"]]
    assert len(mb["schemas"]) == 1
    assert all_read_the_same(spark, a, f"db.{name}_spark") == all_read_the_same(spark, b, f"db.{name}_ice")


def test_spark_table_with_statistics(spark, tmp_path):
    """Table statistics (Puffin files of compute_table_stats) and partition
    statistics (compute_partition_stats) of old snapshots go with them, and
    are counted as Spark counts them; those of kept snapshots stay. Neither
    side is given arguments: both take history.expire.* from the table."""
    name = "sps"
    t = f"cat.db.{name}"
    spark.sql(f"""CREATE TABLE {t} (id BIGINT, x INT, name STRING) USING iceberg PARTITIONED BY (x)
                  TBLPROPERTIES ('format-version'='2')""")
    for k in range(4):
        spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 3 AS INT), CONCAT('n', id) FROM range({k * 10}, {k * 10 + 10})")
        spark.sql(f"CALL cat.system.compute_table_stats(table => 'db.{name}')")
        spark.sql(f"CALL cat.system.compute_partition_stats(table => 'db.{name}')")
    md = metadata(spark.table_dir(f"db.{name}"))
    assert len(md.get("statistics", [])) == 4 and len(md.get("partition-statistics", [])) == 4
    # no arguments: the retention comes from the table's properties on both sides
    spark.sql(f"""ALTER TABLE {t} SET TBLPROPERTIES ('history.expire.max-snapshot-age-ms'='1',
                                                     'history.expire.min-snapshots-to-keep'='2')""")
    time.sleep(0.01)
    a, b, row = compare_expiry(spark, name, [], "")
    assert row[5] > 0  # statistics files went
    ma, mb = metadata(a), metadata(b)
    for key in ("statistics", "partition-statistics"):
        assert sorted(s["snapshot-id"] for s in ma[key]) == sorted(s["snapshot-id"] for s in mb[key])
        assert len(mb[key]) == 2
        for s in mb[key]:
            assert pathlib.Path(s["statistics-path"].removeprefix("file:")).exists()
    assert all_read_the_same(spark, a, f"db.{name}_spark") == all_read_the_same(spark, b, f"db.{name}_ice")
    compare_orphans(spark, name, a, b)


@pytest.mark.parametrize("version", [2, 3])
def test_ice_written_table(spark, tmp_path, version):
    """A table ice wrote (merge-on-read deletes: position delete files at v2,
    deletion vectors at v3; at v2 also an equality delete file), with a
    branch and tags, maintained by both."""
    name = f"ice{version}"
    t = str(spark.table_dir(f"db.{name}"))
    # v2 unpartitioned (the equality delete file below is written for no
    # partition), v3 partitioned
    ice_ok("create", t, "--schema", "id long, x int, name string", "--format-version", str(version),
           *(["--partition", "identity(x)"] if version == 3 else []))
    ice_ok("alter", t, "--set", "write.delete.mode=merge-on-read")
    for k in range(4):
        ice_ok("append", t, write_csv_rows(tmp_path / f"{name}-{k}.csv", [(10 * k + j, j % 2, f"n{k}{j}") for j in range(6)]))
    ice_ok("delete", t, "--where", "id = 11 or id = 22")
    ids = [s["snapshot-id"] for s in metadata(t)["snapshots"]]
    ice_ok("tag", "create", t, "keep", "--snapshot", str(ids[1]), "--max-ref-age", "30d")
    ice_ok("tag", "create", t, "gone", "--snapshot", str(ids[0]), "--max-ref-age", "1ms")
    ice_ok("branch", "create", t, "b", "--snapshot", str(ids[2]), "--min-snapshots-to-keep", "2")
    ice_ok("append", t, write_csv_rows(tmp_path / f"{name}-b.csv", [(500, 1, "b")]), "--branch", "b")
    ice_ok("delete", t, "--where", "x = 0 and id < 20")
    pyiceberg = True
    if version == 2:
        add_equality_delete(t, [{"id": 31}])
        pyiceberg = False
    ice_ok("append", t, write_csv_rows(tmp_path / f"{name}-z.csv", [(900, 0, "z")]))
    time.sleep(0.01)
    now = int(time.time() * 1000) + 1000
    a, b, row = compare_expiry(spark, name, ["--older-than", str(now), "--retain-last", "2"],
                               f"older_than => {spark.ts_literal(now)}, retain_last => 2")
    ra = all_read_the_same(spark, a, f"db.{name}_spark", pyiceberg)
    rb = all_read_the_same(spark, b, f"db.{name}_ice", pyiceberg)
    assert ra == rb
    compare_orphans(spark, name, a, b)
    carry_on(spark, name, a, b, tmp_path)


def write_csv_rows(path, rows):
    path.write_text("id,x,name\n" + "".join(f"{i},{x},{n}\n" for i, x, n in rows))
    return str(path)


def add_equality_delete(t, rows):
    """An equality delete file on `id` in a new snapshot, the way an engine
    that writes them commits it (PyIceberg's writers; see tests/scan)."""
    import pyarrow as pa

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scan"))
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scan_plan"))
    import test_scan_equality as eq
    from support import DirectoryCatalog

    schema = pa.schema([pa.field("id", pa.int64(), False, metadata={b"PARQUET:field_id": b"1"})])
    eq.add_equality_deletes(DirectoryCatalog(), pathlib.Path(t), rows, [1], schema)
    # PyIceberg 0.12 writes equality_ids as longs (the spec's are ints, and
    # Java cannot read longs there): the delete manifest as an engine that
    # follows the spec writes it, and its length in the manifest list.
    from maintain_support import _read_avro, _write_avro
    lst = metadata(t)["snapshots"][-1]["manifest-list"]
    schema_l, meta_l, entries = _read_avro(lst)
    for m in entries:
        if m["content"] != 1:
            continue
        schema_m, meta_m, recs = _read_avro(m["manifest_path"])

        def ints(node):
            if isinstance(node, dict):
                if node.get("name") == "equality_ids":
                    for branch in node["type"]:
                        if isinstance(branch, dict):
                            branch["items"] = "int"
                for v in node.values():
                    ints(v)
            elif isinstance(node, list):
                for v in node:
                    ints(v)
        ints(schema_m)
        _write_avro(m["manifest_path"], schema_m, meta_m, recs)
        m["manifest_length"] = pathlib.Path(m["manifest_path"]).stat().st_size
    _write_avro(lst, schema_l, meta_l, entries)
