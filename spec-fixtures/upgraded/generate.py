"""Makes the upgraded-table cases of this directory with the reference
implementation: Spark 3.5.9 with the Iceberg 1.12.0 runtime (tests/peers/spark.py,
installed by scripts/setup.sh). Run from the repository root:

    .venv/bin/python spec-fixtures/upgraded/generate.py

Each case is a table that was written at format v1 and then upgraded by
Java (ALTER TABLE ... SET TBLPROPERTIES ('format-version'=...)), so its v1
snapshots are written without `sequence-number` (Java's SnapshotParser
leaves the field out for the initial sequence number 0), and then changed
at the new version: appends, and row-level deletes by merge-on-read over
files written at v1 (position delete files at v2, deletion vectors at v3).
The warehouse is WAREHOUSE below, so every location in the files starts with
file:WAREHOUSE/db/<case>; readers map it to this directory (ice
--path-map). expected.json holds, per case, each snapshot with its
sequence number and the rows Spark reads at it (ordered by id).
"""
import json
import pathlib
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
WAREHOUSE = pathlib.Path("/tmp/ice-spec-fixtures-upgraded")

sys.path.insert(0, str(REPO / "tests"))
from peers import spark as S  # noqa: E402

CASES = {
    # v1 snapshots under v2 metadata; position deletes over a v1 file and a v2 file
    "v1_to_v2": ["CREATE TABLE cat.db.v1_to_v2 (id BIGINT, s STRING, d DATE) USING iceberg PARTITIONED BY (s) "
                 "TBLPROPERTIES ('format-version'='1')",
                 "INSERT INTO cat.db.v1_to_v2 VALUES (1, 'a', DATE '2024-01-01'), (2, 'a', DATE '2024-01-02'), "
                 "(3, 'b', DATE '2024-01-03')",
                 "INSERT INTO cat.db.v1_to_v2 VALUES (4, 'b', DATE '2024-01-04'), (5, 'c', DATE '2024-01-05')",
                 "ALTER TABLE cat.db.v1_to_v2 SET TBLPROPERTIES ('format-version'='2', "
                 "'write.delete.mode'='merge-on-read', 'write.update.mode'='merge-on-read')",
                 "INSERT INTO cat.db.v1_to_v2 VALUES (6, 'a', DATE '2024-01-06'), (7, 'c', DATE '2024-01-07')",
                 "DELETE FROM cat.db.v1_to_v2 WHERE id IN (2, 4, 6)"],
    # v1 snapshots under v3 metadata; deletion vectors over v1 files
    "v1_to_v3": ["CREATE TABLE cat.db.v1_to_v3 (id BIGINT, s STRING) USING iceberg "
                 "TBLPROPERTIES ('format-version'='1')",
                 "INSERT INTO cat.db.v1_to_v3 VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')",
                 "ALTER TABLE cat.db.v1_to_v3 SET TBLPROPERTIES ('format-version'='3', "
                 "'write.delete.mode'='merge-on-read')",
                 "INSERT INTO cat.db.v1_to_v3 VALUES (5, 'e'), (6, 'f')",
                 "DELETE FROM cat.db.v1_to_v3 WHERE id IN (1, 3, 6)"],
    # v1 -> v2 (position deletes over v1 files) -> v3 (deletion vectors merged with them)
    "v1_to_v2_to_v3": ["CREATE TABLE cat.db.v1_to_v2_to_v3 (id BIGINT, s STRING) USING iceberg "
                       "TBLPROPERTIES ('format-version'='1')",
                       "INSERT INTO cat.db.v1_to_v2_to_v3 VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')",
                       "ALTER TABLE cat.db.v1_to_v2_to_v3 SET TBLPROPERTIES ('format-version'='2', "
                       "'write.delete.mode'='merge-on-read')",
                       "DELETE FROM cat.db.v1_to_v2_to_v3 WHERE id = 2",
                       "ALTER TABLE cat.db.v1_to_v2_to_v3 SET TBLPROPERTIES ('format-version'='3')",
                       "DELETE FROM cat.db.v1_to_v2_to_v3 WHERE id = 4",
                       "INSERT INTO cat.db.v1_to_v2_to_v3 VALUES (6, 'f')"],
}


def main():
    shutil.rmtree(WAREHOUSE, ignore_errors=True)
    WAREHOUSE.mkdir(parents=True)
    S.hadoop_catalog("cat", WAREHOUSE)
    expected = {}
    for name, statements in CASES.items():
        for q in statements:
            S.sql(q)
        snaps = S.rows(f"SELECT snapshot_id FROM cat.db.{name}.snapshots ORDER BY committed_at")
        case = []
        for (sid,) in snaps:
            rows = S.rows(f"SELECT * FROM cat.db.{name} VERSION AS OF {sid} ORDER BY id")
            case.append({"snapshot-id": sid,
                         "rows": [[v.isoformat() if hasattr(v, "isoformat") else v for v in r] for r in rows]})
        expected[name] = {"columns": S.session().table(f"cat.db.{name}").columns, "snapshots": case}
        out = HERE / name
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(WAREHOUSE / "db" / name, out, ignore=shutil.ignore_patterns(".*.crc"))
    (HERE / "expected.json").write_text(json.dumps({"warehouse": f"file:{WAREHOUSE}", "cases": expected},
                                                   indent=1) + "\n")
    S.stop()
    shutil.rmtree(WAREHOUSE, ignore_errors=True)


if __name__ == "__main__":
    main()
