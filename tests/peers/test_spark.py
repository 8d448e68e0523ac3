"""The Spark peer itself (tests/peers/spark.py): one session, a Hadoop
catalog on a directory that ice reads and writes as a table directory, a
row-level delete, and an ice append that Spark reads back."""
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from peers.spark import spark  # noqa: E402,F401 (the fixture)

REPO = pathlib.Path(__file__).resolve().parents[2]


def ice(*args):
    exe = os.environ.get("ICE_BIN") or str(REPO / "build-asan" / "tools" / "ice")
    p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"ice {args}: {p.stderr}"
    return p.stdout


def test_spark_table_read_and_written_by_ice(spark, tmp_path):
    spark.sql("""CREATE TABLE cat.db.smoke (id BIGINT, name STRING, ts TIMESTAMP) USING iceberg
                 PARTITIONED BY (days(ts))
                 TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read')""")
    spark.sql("""INSERT INTO cat.db.smoke SELECT id, CONCAT('n', CAST(id AS STRING)),
                 TIMESTAMP '2024-01-01 00:00:00' + make_interval(0, 0, 0, CAST(id % 3 AS INT)) FROM range(30)""")
    spark.sql("DELETE FROM cat.db.smoke WHERE id % 2 = 0")
    assert spark.rows("SELECT content, count(*) FROM cat.db.smoke.delete_files GROUP BY content") == [(1, 3)]
    t = spark.table_dir("db.smoke")
    assert (t / "metadata" / "version-hint.text").is_file()

    got = sorted(json.loads(line)["id"] for line in ice("scan", t, "--format", "jsonl").splitlines())
    assert got == [i for i in range(30) if i % 2]

    csv = tmp_path / "more.csv"
    csv.write_text("id,name,ts\n100,x,2024-01-05T10:00:00Z\n101,y,2024-01-05T11:00:00Z\n")
    ice("append", t, csv)
    assert spark.rows("SELECT id, name FROM cat.db.smoke WHERE id >= 100 ORDER BY id") == [(100, "x"), (101, "y")]
    assert spark.rows("SELECT count(*) FROM cat.db.smoke") == [(17,)]
    # Spark goes on writing after ice's commit.
    spark.sql("INSERT INTO cat.db.smoke VALUES (200, 'z', TIMESTAMP '2024-01-06 00:00:00')")
    assert len(ice("scan", t, "--format", "jsonl").splitlines()) == 18
