"""Issue 11, items 1 and 3: drop and drop --purge never delete a file
outside the table's directory - not through a symbolic link inside it (a
linked directory, data/, a partition directory, metadata/), not through
"..", and a table named by a relative path is purged whole."""
import os
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq

from harden_support import ice, ice_fails, ice_ok, make_table, tree


def parquet_file(path):
    schema = pa.schema([pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"}),
                        pa.field("s", pa.string(), metadata={"PARQUET:field_id": "2"})])
    pq.write_table(pa.Table.from_pylist([{"id": 7, "s": "x"}], schema=schema), path)
    return path


def test_purge_keeps_a_file_behind_a_linked_directory(tmp_path):
    t = make_table(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    parquet_file(elsewhere / "precious.parquet")
    os.symlink(elsewhere, t / "evil")
    # the manifest names <table>/evil/precious.parquet: inside by its text
    ice_ok("add-files", t, t / "evil" / "precious.parquet")
    r = ice_ok("--json", "drop", t, "--purge").json()
    assert (elsewhere / "precious.parquet").exists()
    assert r["files_outside"] == 1


def test_purge_keeps_a_linked_data_directory(tmp_path):
    t = make_table(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(t / "data", elsewhere / "data")
    os.symlink(elsewhere / "data", t / "data")
    before = tree(elsewhere)
    assert len(before) == 1  # its one data file
    r = ice_ok("--json", "drop", t, "--purge").json()
    assert tree(elsewhere) == before
    assert r["files_outside"] == 1


def test_purge_keeps_a_linked_partition_directory(tmp_path):
    t = make_table(tmp_path, partition="s", rows=("1,a", "2,b", "3,b"))
    elsewhere = tmp_path / "elsewhere"
    os.rename(t / "data" / "s=b", elsewhere)
    os.symlink(elsewhere, t / "data" / "s=b")
    before = tree(elsewhere)
    r = ice_ok("--json", "drop", t, "--purge").json()
    assert tree(elsewhere) == before and len(before) == 1
    assert r["files_outside"] == 1
    assert not list((t / "data").glob("s=a/*"))


def test_drop_refuses_a_linked_metadata_directory(tmp_path):
    for purge in ([], ["--purge"]):
        t = make_table(tmp_path, name="t" + str(len(purge)))
        elsewhere = tmp_path / ("md" + str(len(purge)))
        os.rename(t / "metadata", elsewhere)
        os.symlink(elsewhere, t / "metadata")
        before, before_table = tree(elsewhere), tree(t)
        e = ice_fails(1, "drop", t, *purge)
        assert "outside the table location" in e.err
        assert tree(elsewhere) == before and tree(t) == before_table


def test_purge_keeps_a_file_named_through_dotdot(tmp_path):
    t = make_table(tmp_path)
    outside = parquet_file(tmp_path / "outside.parquet")
    ice_ok("add-files", t, f"{t}/data/../../outside.parquet")
    r = ice_ok("--json", "drop", t, "--purge").json()
    assert outside.exists() and r["files_outside"] == 1


def test_purge_of_a_relative_table_path_deletes_everything(tmp_path):
    make_table(tmp_path, partition="s")
    r = ice_ok("--json", "drop", "t", "--purge", cwd=tmp_path).json()
    assert r["files_outside"] == 0 and r["files_left"] == 0
    assert not (tmp_path / "t").exists()


def test_purge_through_a_linked_parent(tmp_path):
    """The table reached through another spelling of its directory: every
    file is still recognised as its own."""
    real = tmp_path / "real"
    real.mkdir()
    make_table(real, partition="s")
    os.symlink(real, tmp_path / "alias")
    r = ice_ok("--json", "drop", tmp_path / "alias" / "t", "--purge").json()
    assert r["files_outside"] == 0 and r["files_left"] == 0
    assert not (real / "t").exists()
