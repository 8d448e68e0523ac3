"""`ice scan --format jsonl` on every complete table of the corpus, at its
current snapshot and at every older snapshot whose manifest list is in the
corpus, gives exactly the rows of DuckDB's iceberg extension and of
PyIceberg (StaticTable ... scan(snapshot_id).to_arrow()), compared here at
test time, rows sorted, every value in the spec's JSON form (see
scan_support for the canonical forms).

The peers cannot follow the writers' paths, so each table is copied under a
temporary directory with its metadata JSON rewritten here and its manifest
lists and manifests rewritten with fastavro (data and delete files linked);
ice, DuckDB and PyIceberg all read the copy, and ice's rows from the
original through --path-map must be the same.

A third witness, the rows computed here from the spec (truth.py: fastavro
manifests, pyarrow data files, the delete rules), is compared wherever it can
model the table, and is what the tables no peer can read are checked
against. Where a peer cannot read a case, the test names the error it gives
(which must still occur, so a peer that learns the case gets compared
again); where a peer reads a case differently, the test says how.
"""
import json
import os

import pytest

import scan_support as S
import truth

TABLES = [t["table"] for t in S.table_index()["tables"]]

# ice refuses the table's current metadata: a snapshot id of
# 9876543210123456789 is no JSON long (the spec's type of snapshot-id).
UNREADABLE = {"tables/duckdb-iceberg/equality_delete_cross_partition/warehouse/ns/t": "out of the 64-bit range"}

# Metadata only, by design (fixtures/README.md): the data files are on s3://fake-bucket/ (the error names the file).
NO_DATA = {"tables/duckdb-iceberg/generated_bounds": "s3://fake-bucket/"}

# What DuckDB 1.5.5's iceberg extension cannot read, and its error.
DUCKDB_CANNOT = {
    # aborts the process: INTERNAL "No default expression in FieldId Map"
    "tables/duckdb-iceberg/big_query_error": "No default expression in FieldId Map",
    # v1 snapshots that list their manifests inline
    "tables/duckdb-iceberg/iceberg_v1_deprecated/default/legacy_v1": "'manifest-list' is missing",
    # v1 manifests without sequence numbers
    "tables/duckdb-iceberg/iceberg_v1_repro/repro/merch_v1": "required field 'sequence_number' is NULL",
    # a deletion vector stored as a bare blob, without a Puffin container
    "tables/duckdb-iceberg/legacy_bare_deletion_vector/warehouse/default/legacy_bare_deletion_vector":
        "not a valid Puffin file",
    # manifest partition summaries with more fields than the manifest's spec
    "tables/iceberg-cxx/partitioned_table_with_missing_spec": "field_summary",
    "tables/iceberg-cxx/partitioned_table_with_void_transform": "field_summary",
}

# What PyIceberg 0.12 cannot read, and its error.
PYICEBERG_CANNOT = {
    "tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable": "does not yet support equality deletes",
    "tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable_partitioned": "does not yet support equality deletes",
    "tables/duckdb-iceberg/big_query_error": "list indices must be integers",
    "tables/duckdb-iceberg/iceberg_v1_deprecated/default/legacy_v1": "validation error for TableMetadataWrapper",
    "tables/duckdb-iceberg/legacy_bare_deletion_vector/warehouse/default/legacy_bare_deletion_vector":
        "Incorrect magic bytes",
    # a required column kept only in the partition tuple (spec "Column
    # Projection": identity partition values fill missing columns)
    "tables/duckdb-iceberg/partition_fixed_length_binary/default.db/partition_fixed_length_binary":
        "could not be found in the file",
    "tables/duckdb-iceberg/partition_time/default.db/partition_time": "could not be found in the file",
    "tables/duckdb-iceberg/partition_timestamp/default.db/partition_timestamp": "could not be found in the file",
    "tables/duckdb-iceberg/partition_timestamptz/default.db/partition_timestamptz": "could not be found in the file",
}

# Where PyIceberg 0.12 reads rows, but other ones.
PYICEBERG_DIFFERS = {
    # it returns the rows the table's deletion vectors delete (a superset of ours)
    "tables/iceberg-cxx/deletion_vectors": "superset",
    # the file's list element has id 500, the schema's 13: PyIceberg reads the
    # whole list as null; DuckDB (and the spec: a field id not in the file
    # reads as null) gives lists of nulls, as ice does
    "tables/iceberg-cxx/v_20240913/iceberg": "null lists",
}


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


def snapshots_to_check(md):
    """The current snapshot first, then every older one whose manifest list exists."""
    snaps = md.get("snapshots", [])
    current = [s for s in snaps if s["snapshot-id"] == md.get("current-snapshot-id")]
    older = [s for s in snaps if s["snapshot-id"] != md.get("current-snapshot-id")]
    return current + [s for s in older if "manifest-list" not in s or os.path.exists(s["manifest-list"])]


def test_corpus_has_tables():
    assert len(TABLES) >= 60


def check_peer(name, table, got, mine, cannot, differs=None):
    """Compare one peer's answers with ice's; returns the snapshots it agreed on."""
    agreed = set()
    failed = []
    for sid, rows in got.items():
        if isinstance(rows, str):
            failed.append(rows)
            assert table in cannot, f"{name} failed on {table} at {sid}: {rows}"
            assert cannot[table] in rows, f"{name} on {table} at {sid}: expected {cannot[table]!r}, got {rows}"
            continue
        if differs and table in differs:
            if differs[table] == "superset":
                assert set(mine[sid]) <= set(rows), f"{name} on {table} at {sid}: {S.first_difference(mine[sid], rows)}"
            continue
        assert rows == mine[sid], f"{name} on {table} at {sid}: {S.first_difference(mine[sid], rows)}"
        agreed.add(sid)
    if table in cannot:
        assert failed, f"{name} reads {table} now: compare it again (remove it from the exceptions)"
    if differs and table in differs and differs[table] == "null lists":
        assert all(not isinstance(r, str) and r != mine[s] for s, r in got.items()), f"{name} reads {table} as ice now"
    return agreed


@pytest.mark.parametrize("table", TABLES)
def test_rows_match_the_peers(table, copies):
    original = S.fixtures() / table
    if table in UNREADABLE:
        S.one_line_error(S.ice(*S.path_maps(), "scan", "--format", "jsonl", original), UNREADABLE[table])
        return
    metadata = S.current_metadata(str(original))
    copy = S.Copy(table, copies)
    copied = copy.metadata_file(metadata)
    md = S.load_json(copied)
    snaps = snapshots_to_check(md)
    if not snaps:
        assert S.ice_ok("scan", "--format", "jsonl", copied).out == ""
        return
    if table in NO_DATA:
        S.one_line_error(S.ice("scan", "--format", "jsonl", copied), NO_DATA[table])
        return
    sids = [s["snapshot-id"] for s in snaps]
    mine = {}
    for sid in sids:
        schema = S.schema_for(md, sid)
        mine[sid] = S.canon_rows(S.ice_rows(copied, sid), schema)
        through_maps = S.canon_rows(S.ice_rows(original, sid, *S.path_maps()), schema)
        assert through_maps == mine[sid], f"--path-map on the original differs at {sid}"

    agreed = {sid: [] for sid in sids}
    for sid in check_peer("DuckDB", table, S.peer_rows("duckdb", copied, sids), mine, DUCKDB_CANNOT):
        agreed[sid].append("duckdb")
    for sid in check_peer("PyIceberg", table, S.peer_rows("pyiceberg", copied, sids), mine, PYICEBERG_CANNOT,
                          PYICEBERG_DIFFERS):
        agreed[sid].append("pyiceberg")
    original_md = S.load_json(metadata)
    for snap in snaps:
        sid = snap["snapshot-id"]
        try:
            rows = truth.truth_rows(original_md, next(s for s in original_md["snapshots"] if s["snapshot-id"] == sid))
        except NotImplementedError:
            continue
        expected = S.canon_rows(rows, S.schema_for(md, sid))
        assert expected == mine[sid], f"the spec's rows at {sid}: {S.first_difference(mine[sid], expected)}"
        agreed[sid].append("truth")
    for sid, who in agreed.items():
        assert who, f"nothing confirms ice's rows of {table} at {sid}"
    if table in DUCKDB_CANNOT and table in PYICEBERG_CANNOT:
        assert all("truth" in who for who in agreed.values()), f"{table}: neither peer reads it, the spec's rows must"


def test_reading_on_threads_keeps_the_order():
    """The same rows in the same order on 1 and 4 threads (lineitem: 3 files)."""
    table = S.fixtures() / "tables/duckdb-iceberg/iceberg/lineitem_iceberg"
    one = S.ice_ok(*S.path_maps(), "scan", "--format", "jsonl", "--threads", "1", table).out
    four = S.ice_ok(*S.path_maps(), "scan", "--format", "jsonl", "--threads", "4", table).out
    assert one == four and one.count("\n") == 51793
    limited = S.ice_ok(*S.path_maps(), "scan", "--format", "jsonl", "--threads", "4", "--limit", "777", table).out
    assert limited == "".join(one.splitlines(keepends=True)[:777])
    first = json.loads(one.splitlines()[0])
    assert set(first) >= {"l_orderkey", "l_shipdate", "l_extendedprice"}
