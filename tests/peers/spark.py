"""Spark 3.5.9 with the Iceberg 1.12.0 runtime, as a test peer.

One SparkSession per test process (starting one takes ~6 s and ~400 MB), in
local[2] mode bound to 127.0.0.1 with the UI off. Catalogs are added by name
while the session runs (Spark creates a catalog on its first use), so every
suite can point its own catalogs at its own warehouses:

    from peers import spark as S
    sp = S.session()                           # started on first call
    S.hadoop_catalog("cat", "/tmp/wh")         # Hadoop catalog on a directory
    S.rest_catalog("rest", "http://127.0.0.1:8181")   # an Iceberg REST catalog
    S.sql("CREATE TABLE cat.db.t (id BIGINT) USING iceberg")
    rows = S.rows("SELECT * FROM cat.db.t")    # list of tuples

A table `cat.db.t` of a Hadoop catalog on WAREHOUSE lives in WAREHOUSE/db/t,
so ice reads and writes it as a directory.

Gotchas (see ../shared/peers/README.md): procedure arguments must be
literals; remove_orphan_files refuses older_than less than 24 hours ago
(tests move file times back instead); Spark's Hadoop file system writes a
`.NAME.crc` file beside each file it writes.

pytest: `from peers.spark import spark` in a conftest.py or test module
gives the session-scoped fixture `spark` (this module, with the session
started and a Hadoop catalog "cat" on a fresh warehouse, `spark.warehouse`).

The peer must be installed (scripts/setup.sh runs scripts/peers/spark.sh):
a missing jar or pyspark fails loudly, never skips.
"""
import atexit
import datetime
import glob
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
JAR_GLOB = str(REPO / ".peers" / "spark" / "iceberg-spark-runtime-3.5_2.12-*.jar")

_session = None
_catalogs = {}


def runtime_jar() -> str:
    jars = sorted(glob.glob(JAR_GLOB))
    if not jars:
        raise RuntimeError(f"the Iceberg Spark runtime is missing ({JAR_GLOB}): run scripts/setup.sh "
                           "(scripts/peers/spark.sh fetches it)")
    return jars[-1]


def session():
    """The process's SparkSession, started on the first call."""
    global _session
    if _session is not None:
        return _session
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession  # noqa: E402 (fails loudly when pyspark is missing)

    b = (SparkSession.builder.master("local[2]").appName("ice-tests")
         .config("spark.jars", runtime_jar())
         .config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.driver.host", "127.0.0.1")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.default.parallelism", "2")
         .config("spark.driver.memory", "1g")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"))
    _session = b.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    atexit.register(stop)
    return _session


def stop():
    global _session
    if _session is not None:
        _session.stop()
        _session = None
        _catalogs.clear()


def _set_catalog(name: str, props: dict):
    if _catalogs.get(name) == props:
        return
    if name in _catalogs:
        raise RuntimeError(f"Spark catalog {name} already configured differently: {_catalogs[name]}")
    s = session()
    s.conf.set(f"spark.sql.catalog.{name}", "org.apache.iceberg.spark.SparkCatalog")
    for k, v in props.items():
        s.conf.set(f"spark.sql.catalog.{name}.{k}", v)
    _catalogs[name] = props


def hadoop_catalog(name: str, warehouse) -> None:
    """A Hadoop catalog on a local directory (tables in WAREHOUSE/ns/table)."""
    _set_catalog(name, {"type": "hadoop", "warehouse": "file://" + str(pathlib.Path(warehouse).resolve()),
                        "cache-enabled": "false"})


def rest_catalog(name: str, uri: str, **props) -> None:
    """An Iceberg REST catalog at `uri`; extra catalog properties as keywords
    (warehouse=..., credential=..., io-impl=..., s3.endpoint=... with '_' for '-'
    and '__' for '.')."""
    p = {"type": "rest", "uri": uri}
    for k, v in props.items():
        p[k.replace("__", ".").replace("_", "-")] = str(v)
    _set_catalog(name, p)


def sql(q: str):
    """Runs a statement; returns its rows (pyspark Row objects)."""
    return session().sql(q).collect()


def rows(q: str) -> list:
    """Rows as plain tuples."""
    return [tuple(r) for r in sql(q)]


def ts_literal(ms: int) -> str:
    """A TIMESTAMP literal (UTC session time zone) for epoch milliseconds, as
    procedure arguments need literals."""
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return "TIMESTAMP '" + t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "'"


class Spark:
    """What the `spark` fixture yields: the session with a Hadoop catalog
    "cat" on `warehouse`."""

    def __init__(self, warehouse: pathlib.Path):
        self.session = session()
        self.warehouse = warehouse
        self.catalog = "cat"
        hadoop_catalog(self.catalog, warehouse)

    sql = staticmethod(sql)
    rows = staticmethod(rows)
    ts_literal = staticmethod(ts_literal)

    def table_dir(self, ident: str) -> pathlib.Path:
        """The directory of table `ns.table` of catalog "cat"."""
        ns, name = ident.split(".")
        return self.warehouse / ns / name


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    yield Spark(tmp_path_factory.mktemp("spark-warehouse"))
