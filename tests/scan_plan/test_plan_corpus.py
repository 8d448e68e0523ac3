"""`ice scan --plan` on every complete table of the corpus, at its current
snapshot and at every older snapshot whose manifest list is in the corpus:
the set of data files, and for each the delete files that apply to it, must
equal

  - what an independent planner written here from the spec's "Scan
    Planning" scope rules computes from manifests read with fastavro
    (plan_support.expected_plan), for every table; and
  - what PyIceberg's plan_files() yields, for every table PyIceberg can plan
    the same way. Where it cannot, the test says why below: PyIceberg 0.12
    refuses equality deletes, cannot load v1 snapshots that list manifests
    inline or one table's metadata, and applies deletion vectors to every
    data file of their partition (it ignores referenced_data_file), so for
    those the comparison is with the independent planner only (and, for
    vectors, PyIceberg's plan must hold ours).

The plans must also be the same on 1 and 4 planning threads."""
import pytest

import plan_support as ps

TABLES = [t["table"] for t in ps.table_index()["tables"]]

# Tables whose current metadata ice refuses (as tests/cli and tests/manifest do).
UNREADABLE = {"tables/duckdb-iceberg/equality_delete_cross_partition/warehouse/ns/t": "out of the 64-bit range"}

# What PyIceberg 0.12 cannot plan, and the error it raises instead.
PYICEBERG_CANNOT = {
    "tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable": "does not yet support equality deletes",
    "tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable_partitioned": "does not yet support equality deletes",
    "tables/duckdb-iceberg/iceberg_v1_deprecated/default/legacy_v1": "manifest-list",  # inline v1 manifests
    "tables/duckdb-iceberg/big_query_error": "list indices must be integers",
}

# Tables with deletion vectors: PyIceberg applies every vector of a partition to every data file of it.
PYICEBERG_WIDER_DV = {
    "tables/duckdb-iceberg/legacy_bare_deletion_vector/warehouse/default/legacy_bare_deletion_vector",
    "tables/iceberg-cxx/deletion_vectors",
}


def snapshots_to_check(md):
    """The current snapshot first, then every older one whose manifest list exists here."""
    snaps = md.get("snapshots", [])
    current = [s for s in snaps if s["snapshot-id"] == md.get("current-snapshot-id")]
    older = [s for s in snaps if s["snapshot-id"] != md.get("current-snapshot-id")]
    out = list(current)
    for s in older:
        if "manifest-list" in s and not __import__("os").path.exists(ps.rewrite(s["manifest-list"])):
            continue
        out.append(s)
    return out


def metadata_location(table):
    return ps.ice_ok("--json", "describe", table).json()["metadata_location"]


def test_corpus_has_tables():
    assert len(TABLES) >= 60


@pytest.mark.parametrize("table", TABLES)
def test_plan_matches_the_scope_rules_and_pyiceberg(table):
    path = ps.fixtures() / table
    if table in UNREADABLE:
        ps.one_line_error(ps.ice(*ps.path_maps(), "scan", "--plan", path), UNREADABLE[table])
        return
    md = ps.metadata_of(path)
    snaps = snapshots_to_check(md)
    if not snaps:
        plan, raw = ps.ice_plan(path)
        assert plan == {} and raw["snapshot_id"] is None
        return

    pyi = None
    if table in PYICEBERG_CANNOT:
        with pytest.raises(Exception, match=PYICEBERG_CANNOT[table]):
            ps.pyiceberg_plan(ps.pyiceberg_table(metadata_location(path)))
    else:
        pyi = ps.pyiceberg_table(metadata_location(path))

    for i, snap in enumerate(snaps):
        sid = snap["snapshot-id"]
        args = [] if i == 0 else ["--snapshot", sid]
        where = f"{table} @ {sid}"
        got, raw = ps.ice_plan(path, *args)
        assert raw["snapshot_id"] == sid, where
        expected = ps.expected_plan(md, snap)
        assert got == expected, where
        # the same on four planning threads
        got4, _ = ps.ice_plan(path, "--threads", "4", *args)
        assert got4 == got, where
        assert raw["stats"]["tasks"] == len(got), where
        if pyi is None:
            continue
        theirs = ps.pyiceberg_plan(pyi, snapshot_id=sid)
        assert set(theirs) == set(got), where
        if table in PYICEBERG_WIDER_DV:
            # (PyIceberg 0.12's DataFile has no content_offset: compare paths)
            for f, deletes in got.items():
                assert {p for p, _ in deletes} <= {p for p, _ in theirs[f]}, where
        else:
            assert theirs == got, where


def test_the_corpus_exercises_every_kind_of_delete():
    """The comparison above is only as good as the cases it sees."""
    kinds = set()
    for table in TABLES:
        if table in UNREADABLE:
            continue
        _, raw = ps.ice_plan(ps.fixtures() / table)
        for t in raw["tasks"]:
            for d in t["deletes"]:
                if d.get("content_offset") is not None:
                    kinds.add("deletion vector")
                elif d.get("referenced_data_file"):
                    kinds.add("referenced position deletes")
                else:
                    kinds.add(d["content"])
    assert {"deletion vector", "position deletes", "equality deletes"} <= kinds, kinds
