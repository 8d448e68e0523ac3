"""Issue 11, item 2: every new file goes where the table's location
provider says (write.data.path, default <location>/data; partition
directories; write.object-storage.enabled with Java's hashed prefix) - also
the files a delete or overwrite writes for a data file that lives
elsewhere; a relative table location is refused."""
import json
import os
import pathlib
import re

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.table import StaticTable
from pyiceberg.table.locations import ObjectStoreLocationProvider

from harden_support import csv_file, current_metadata, ice_fails, ice_ok, load_metadata, make_table, tree

SCHEMA = pa.schema([pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"}),
                    pa.field("s", pa.string(), metadata={"PARQUET:field_id": "2"})])


def outside_file(tmp_path):
    ext = tmp_path / "ext"
    ext.mkdir()
    f = ext / "outside.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": i, "s": "b"} for i in (10, 11, 12)], schema=SCHEMA), f)
    return ext, f


def data_paths(table_dir, kind="data_file"):
    """Paths of the live files of the current snapshot, via the CLI."""
    out = ice_ok("--json", "files", table_dir).json()
    items = out["files"] if isinstance(out, dict) else out
    return [f["file-path"] if "file-path" in f else f["file_path"] for f in items]


def rows(table_dir):
    t = StaticTable.from_metadata(str(current_metadata(table_dir)))
    return sorted((r["id"], r["s"]) for r in t.scan().to_arrow().to_pylist())


def new_files(before, after):
    return sorted(set(after) - set(before))


def check_delete_stays_inside(tmp_path, mode, version):
    t = make_table(tmp_path, partition="s", rows=("1,a", "2,b"), version=version)
    ext, f = outside_file(tmp_path)
    ice_ok("add-files", t, f)
    before_ext, before_t = tree(ext), tree(t)
    ice_ok("delete", t, "--where", "id = 11", "--mode", mode)
    assert tree(ext) == before_ext, "a new file was written beside the outside data file"
    added = new_files(before_t, tree(t))
    assert added, "the delete wrote nothing"
    data_new = [a for a in added if not a.startswith("metadata/")]
    assert data_new and all(a.startswith("data/") for a in data_new), data_new
    assert load_metadata(t)["format-version"] == version
    if mode == "copy-on-write" or version == 2:
        # a rewritten file or a position delete file: in the partition of the file it serves
        assert all(a.startswith("data/s=b/") for a in data_new), data_new
    else:
        # a commit's Puffin file of deletion vectors serves several partitions: in none
        assert all(re.match(r"data/[^/]+-dv\.puffin$", a) for a in data_new), data_new
    assert rows(t) == [(1, "a"), (2, "b"), (10, "b"), (12, "b")]


def test_copy_on_write_rewrite_goes_into_the_table(tmp_path):
    check_delete_stays_inside(tmp_path, "copy-on-write", 2)


def test_position_deletes_go_into_the_table(tmp_path):
    check_delete_stays_inside(tmp_path, "merge-on-read", 2)


def test_deletion_vectors_go_into_the_table(tmp_path):
    check_delete_stays_inside(tmp_path, "merge-on-read", 3)


def test_overwrite_goes_into_the_table(tmp_path):
    t = make_table(tmp_path, partition="s", rows=("1,a",))
    ext, f = outside_file(tmp_path)
    ice_ok("add-files", t, f)
    before_ext, before_t = tree(ext), tree(t)
    ice_ok("overwrite", t, csv_file(tmp_path / "new.csv", "id,s", ["20,b"]), "--where", "id = 10")
    assert tree(ext) == before_ext
    data_new = [a for a in new_files(before_t, tree(t)) if not a.startswith("metadata/")]
    assert len(data_new) == 2 and all(a.startswith("data/s=b/") for a in data_new), data_new
    assert rows(t) == [(1, "a"), (11, "b"), (12, "b"), (20, "b")]


def test_write_data_path_is_used_by_every_write(tmp_path):
    alt = tmp_path / "alt"
    t = make_table(tmp_path, partition="s", rows=("1,a", "2,a", "3,b", "4,b"))
    ice_ok("alter", t, "--set", f"write.data.path={alt}")
    before = tree(t / "data")
    ice_ok("delete", t, "--where", "id = 1")
    ice_ok("delete", t, "--where", "id = 3", "--mode", "merge-on-read")
    ice_ok("append", t, csv_file(tmp_path / "b.csv", "id,s", ["5,b", "6,b"]))
    ice_ok("overwrite", t, csv_file(tmp_path / "c.csv", "id,s", ["7,c"]), "--where", "id = 5")
    assert tree(t / "data") == before
    written = tree(alt)
    assert len(written) == 5, written  # a rewrite, a delete file, an append, an overwrite's rewrite and input
    assert all(re.match(r"s=[abc]/[^/]+$", p) for p in written), written
    assert any("deletes" in p for p in written)
    assert rows(t) == [(2, "a"), (4, "b"), (6, "b"), (7, "c")]


def java_hash(name):
    """Java's ObjectStoreLocationProvider.computeHash, as PyIceberg has it."""
    return ObjectStoreLocationProvider._compute_hash(name)


def test_object_storage_layout(tmp_path):
    t = make_table(tmp_path, partition="s", rows=(), props=["write.object-storage.enabled=true"])
    ice_ok("append", t, csv_file(tmp_path / "a.csv", "id,s", ["1,a", "2,a b", "3,b"]))
    ice_ok("delete", t, "--where", "id = 1 or id = 3")
    ice_ok("append", t, csv_file(tmp_path / "b.csv", "id,s", ["4,a", "5,a"]))
    ice_ok("delete", t, "--where", "id = 4", "--mode", "merge-on-read")
    files = [p for p in tree(t / "data") if not p.endswith("/") and (t / "data" / p).is_file()]
    assert len(files) >= 4
    for p in files:
        m = re.match(r"([01]{4}/[01]{4}/[01]{4}/[01]{8})/(s=[^/]+/[^/]+)$", p)
        assert m, p
        assert java_hash(m.group(2)) == m.group(1), p
    assert any(p.endswith("/s=a+b/" + p.rsplit("/", 1)[1]) for p in files)  # URL-encoded as Java does
    assert rows(t) == [(2, "a b"), (5, "a")]


def test_object_storage_partitioned_paths_off_and_context(tmp_path):
    t = make_table(tmp_path, partition="s", rows=(),
                   props=["write.object-storage.enabled=true", "write.object-storage.partitioned-paths=false"])
    ice_ok("append", t, csv_file(tmp_path / "a.csv", "id,s", ["1,a"]))
    (f,) = [p for p in tree(t / "data") if (t / "data" / p).is_file()]
    m = re.match(r"([01]{4}/[01]{4}/[01]{4}/[01]{8})-([^/]+)$", f)
    assert m and java_hash(m.group(2)) == m.group(1), f
    # a data location outside the table's: the table's last two segments follow the hash
    alt = tmp_path / "shared-data"
    ns = tmp_path / "ns"
    ns.mkdir()
    u = make_table(ns, name="u", partition="s", rows=(),
                   props=["write.object-storage.enabled=true", f"write.data.path={alt}"])
    ice_ok("append", u, csv_file(tmp_path / "b.csv", "id,s", ["1,a"]))
    (g,) = [p for p in tree(alt) if (alt / p).is_file()]
    m = re.match(r"([01]{4}/[01]{4}/[01]{4}/[01]{8})/ns/u/(s=a/[^/]+)$", g)
    assert m and java_hash(m.group(2)) == m.group(1), g
    assert rows(u) == [(1, "a")]


def test_relative_table_location_is_refused(tmp_path):
    t = make_table(tmp_path, rows=("1,a",))
    md = load_metadata(t)
    md["location"] = "t"
    name = current_metadata(t).name
    n = int(re.match(r"v(\d+)", name).group(1)) + 1
    (t / "metadata" / f"v{n}.metadata.json").write_text(json.dumps(md))
    (t / "metadata" / "version-hint.text").write_text(str(n))
    work = tmp_path / "cwd"
    work.mkdir()
    x = csv_file(tmp_path / "x.csv", "id,s", ["3,c"])
    before = tree(tmp_path)
    for args in (["append", t, x],
                 ["delete", t, "--where", "id = 1", "--mode", "merge-on-read"]):
        e = ice_fails(1, *args, cwd=work)
        assert "relative" in e.err
    assert tree(tmp_path) == before and not list(work.iterdir())
