"""ice compact against Spark 3.5 + Iceberg 1.12's rewrite_data_files and
rewrite_position_delete_files, the reference: tables written by Spark
(partitioned, position deletes, a partition spec change) and by ice (v2
position deletes and an equality delete, v3 deletion vectors) are copied;
the procedure runs on one copy and ice on the other with the same options.

Both must rewrite the same data files (and remove the same delete files),
into as many files; Spark, PyIceberg and DuckDB read the same rows at every
snapshot of both copies (the new one included, equal to its parent); Spark
writes on to the table ice compacted."""
import pathlib
import sys

from maintain_support import canon, current_metadata, duckdb_rows, ice_ok, metadata, pyiceberg_rows
from test_compact import live_entries
from test_spark import add_equality_delete, all_read_the_same, twins, write_csv_rows

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

DATA_COUNTS = ("rewritten_data_files_count", "added_data_files_count", "rewritten_bytes_count",
               "failed_data_files_count", "removed_delete_files_count")


def spark_call(spark, proc, ident, options):
    opts = ", ".join(f"'{k}', '{v}'" for k, v in options.items())
    q = f"CALL cat.system.{proc}(table => '{ident}'" + (f", options => map({opts})" if opts else "") + ")"
    df = spark.session.sql(q)
    return dict(zip(df.columns, df.collect()[0]))


def ice_options(options):
    out = []
    for k, v in options.items():
        flag = {"min-input-files": "--min-input-files", "target-file-size-bytes": "--target-file-size",
                "min-file-size-bytes": "--min-file-size", "max-file-size-bytes": "--max-file-size",
                "delete-file-threshold": "--delete-file-threshold"}.get(k)
        if k == "rewrite-all":
            out.append("--rewrite-all")
        else:
            out += [flag, str(v)]
    return out


def ordered(reads, t):
    """The rows read at each snapshot, in commit order."""
    return [reads[s["snapshot-id"]] for s in metadata(t)["snapshots"]]


def compare(spark, name, options, pyiceberg=True, deletes=False):
    a, b = twins(spark, name)
    if deletes:
        row = spark_call(spark, "rewrite_position_delete_files", f"db.{name}_spark", options)
        got = ice_ok("--json", "compact", b, "--deletes", *ice_options(options)).json()
        assert got["delete_files_removed"] == row["rewritten_delete_files_count"] > 0, (got, row)
        assert got["delete_files_added"] == row["added_delete_files_count"], (got, row)
    else:
        # ice removes dangling deletes in its one commit; Spark when asked,
        # in a second ("delete") snapshot
        row = spark_call(spark, "rewrite_data_files", f"db.{name}_spark", {**options, "remove-dangling-deletes": "true"})
        got = ice_ok("--json", "compact", b, *ice_options(options)).json()
        assert got["data_files_removed"] == row["rewritten_data_files_count"] > 0, (got, row)
        assert got["data_files_added"] == row["added_data_files_count"], (got, row)
        assert sum(g["bytes"] for g in got["groups"] if g["rewritten"]) == row["rewritten_bytes_count"], (got, row)
    ma, mb = metadata(a), metadata(b)
    assert mb["snapshots"][-1]["summary"]["operation"] == "replace"
    assert "replace" in [s["summary"]["operation"] for s in ma["snapshots"][-2:]] or deletes, ma["snapshots"][-2:]
    # the same live files by kind, spec and partition directory
    def shape(t):
        return sorted((e[0], e[2], pathlib.Path(e[3]).parent.name if e[0] == 0 else "", e[4] if e[0] == 0 else 0)
                      for e in live_entries(t))
    assert shape(a) == shape(b), (shape(a), shape(b))
    ra = all_read_the_same(spark, a, f"db.{name}_spark", pyiceberg)
    rb = all_read_the_same(spark, b, f"db.{name}_ice", pyiceberg)
    la, lb = ordered(ra, a), ordered(rb, b)
    # the same rows before, and after each copy's own new snapshots
    assert la[: len(lb) - 1] == lb[:-1] and la[-1] == lb[-1] == lb[-2]
    return a, b, got, row


def carry_on(spark, name, b):
    """Spark writes to and deletes from the table ice compacted."""
    n = spark.rows(f"SELECT count(*) FROM cat.db.{name}_ice")[0][0]
    spark.sql(f"INSERT INTO cat.db.{name}_ice SELECT * FROM cat.db.{name}_ice LIMIT 3")
    assert spark.rows(f"SELECT count(*) FROM cat.db.{name}_ice")[0][0] == n + 3
    md_file = current_metadata(b)
    assert len(canon(duckdb_rows(md_file))) == n + 3


def test_spark_written_table(spark, tmp_path):
    name = "cs"
    t = f"cat.db.{name}"
    spark.sql(f"""CREATE TABLE {t} (id BIGINT, x INT, name STRING) USING iceberg PARTITIONED BY (x)
                  TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read')""")
    for k in range(6):
        spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 3 AS INT), CONCAT('n', id) FROM range({k * 40}, {k * 40 + 40})")
    spark.sql(f"DELETE FROM {t} WHERE id % 10 = 0")                          # position deletes
    spark.sql(f"ALTER TABLE {t} ADD PARTITION FIELD bucket(2, id)")          # a second spec
    for k in range(6, 8):
        spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 3 AS INT), CONCAT('n', id) FROM range({k * 40}, {k * 40 + 40})")
    a, b, got, row = compare(spark, name, {"min-input-files": "2"})
    # every delete file dangles once its data files are rewritten
    assert not [e for e in live_entries(b) if e[0] != 0]
    carry_on(spark, name, b)


def partition_scoped_deletes(spark, name, deletes):
    """A v2 table whose DELETEs write partition-scoped position deletes: one
    new file per DELETE and partition (file-scoped ones Spark merges into one
    per data file as it goes)."""
    t = f"cat.db.{name}"
    spark.sql(f"""CREATE TABLE {t} (id BIGINT, x INT, name STRING) USING iceberg PARTITIONED BY (x)
                  TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read',
                                 'write.delete.granularity'='partition')""")
    spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 2 AS INT), CONCAT('n', id) FROM range(0, 400)")
    spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 2 AS INT), CONCAT('n', id) FROM range(400, 500)")
    for k in range(deletes):
        spark.sql(f"DELETE FROM {t} WHERE id % 50 IN ({k}, {k + 1})")
    return t


def test_spark_position_delete_files(spark, tmp_path):
    partition_scoped_deletes(spark, "cd", 6)
    compare(spark, "cd", {"min-input-files": "2"}, deletes=True)


def test_spark_rewritten_deletes_keep_sequence_numbers(spark, tmp_path):
    """rewrite_position_delete_files commits the new delete files with the
    data sequence number of those they replace: ice does the same, so the
    deletes never apply to the data appended after them."""
    name = "cq"
    t = partition_scoped_deletes(spark, name, 4)
    spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 2 AS INT), CONCAT('late', id) FROM range(500, 600)")
    a, b, got, row = compare(spark, name, {"min-input-files": "2"}, deletes=True)

    def deletes(tb):
        return sorted((e[1], pathlib.Path(e[3]).parent.name) for e in live_entries(tb) if e[0] == 1)
    assert deletes(a) == deletes(b), (deletes(a), deletes(b))
    late_seq = max(e[1] for e in live_entries(b) if e[0] == 0)
    assert all(seq < late_seq for seq, _ in deletes(b)), (deletes(b), late_seq)
    plan = ice_ok("--json", "scan", b, "--plan").json()
    late = [tk for tk in plan["tasks"] if tk["data_sequence_number"] == late_seq]
    assert late and all(tk["deletes"] == [] for tk in late), late
    for tb in (f"cat.db.{name}_spark", f"cat.db.{name}_ice"):
        assert spark.rows(f"SELECT count(*) FROM {tb} WHERE name LIKE 'late%'")[0][0] == 100


def test_ice_written_v2_with_equality_deletes(spark, tmp_path):
    name = "ce2"
    t = str(spark.table_dir(f"db.{name}"))
    ice_ok("create", t, "--schema", "id long, x int, name string", "--format-version", "2")
    ice_ok("alter", t, "--set", "write.delete.mode=merge-on-read")
    for k in range(6):
        ice_ok("append", t, write_csv_rows(tmp_path / f"{name}-{k}.csv",
                                           [(10 * k + j, j % 2, f"n{k}{j}") for j in range(8)]))
    ice_ok("delete", t, "--where", "id = 11 or id = 22")
    add_equality_delete(t, [{"id": 31}, {"id": 45}])
    ice_ok("append", t, write_csv_rows(tmp_path / f"{name}-z.csv", [(900, 0, "z")]))
    a, b, got, row = compare(spark, name, {"min-input-files": "2"}, pyiceberg=False)
    carry_on(spark, name, b)


def test_ice_written_v3_with_deletion_vectors(spark, tmp_path):
    name = "ce3"
    t = str(spark.table_dir(f"db.{name}"))
    ice_ok("create", t, "--schema", "id long, x int, name string", "--format-version", "3", "--partition", "x")
    ice_ok("alter", t, "--set", "write.delete.mode=merge-on-read")
    for k in range(6):
        ice_ok("append", t, write_csv_rows(tmp_path / f"{name}-{k}.csv",
                                           [(10 * k + j, j % 2, f"n{k}{j}") for j in range(8)]))
    ice_ok("delete", t, "--where", "id = 11 or id = 22 or id = 33")
    ice_ok("delete", t, "--where", "id = 12")
    a, b, got, row = compare(spark, name, {"min-input-files": "2"})
    assert canon(pyiceberg_rows(current_metadata(b))) == canon(duckdb_rows(current_metadata(b)))
    carry_on(spark, name, b)


def test_spark_v3_row_lineage_kept(spark, tmp_path):
    """v3 row lineage through a compaction: Spark reads the same _row_id and
    _last_updated_sequence_number for every row before and after ice
    compact, as after its own rewrite_data_files on the twin copy, and ice's
    scan reads the values Spark reads."""
    import json
    name = "cl"
    t = f"cat.db.{name}"
    spark.sql(f"""CREATE TABLE {t} (id BIGINT, x INT, name STRING) USING iceberg PARTITIONED BY (x)
                  TBLPROPERTIES ('format-version'='3', 'write.delete.mode'='merge-on-read')""")
    for k in range(5):
        spark.sql(f"INSERT INTO {t} SELECT id, CAST(id % 2 AS INT), CONCAT('n', id) FROM range({k * 30}, {k * 30 + 30})")
    spark.sql(f"DELETE FROM {t} WHERE id % 7 = 0")                     # deletion vectors
    spark.sql(f"UPDATE {t} SET name = 'u' WHERE id % 11 = 1")         # rows updated: new sequence numbers

    def lineage(tb):
        return [tuple(r) for r in spark.rows(
            f"SELECT id, _row_id, _last_updated_sequence_number FROM {tb} ORDER BY id")]
    before = lineage(t)
    assert len({r[1] for r in before}) == len(before) and all(r[1] is not None for r in before)
    assert len({r[2] for r in before}) > 2
    a, b, got, row = compare(spark, name, {"min-input-files": "2"}, pyiceberg=False)
    assert lineage(f"cat.db.{name}_spark") == before
    assert lineage(f"cat.db.{name}_ice") == before
    r = ice_ok("scan", b, "--select", "id,_row_id,_last_updated_sequence_number", "--format", "jsonl")
    mine = sorted((d["id"], d["_row_id"], d["_last_updated_sequence_number"])
                  for d in (json.loads(line) for line in r.out.splitlines() if line))
    assert mine == before
    carry_on(spark, name, b)
