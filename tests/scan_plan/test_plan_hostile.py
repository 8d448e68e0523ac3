"""Hostile tables: planning fails with one clear line naming the file, and a
nonzero exit, when a manifest's partition tuples disagree with its spec, a
manifest or the manifest list is missing, or a manifest is truncated."""
import json
import pathlib
import shutil

import pytest

import plan_support as ps


@pytest.fixture()
def table(tmp_path):
    t = tmp_path / "t"
    ps.ice_ok("-q", "create", t, "--schema", "id long, cat string, n int", "--partition", "cat")
    (tmp_path / "in.csv").write_text("id,cat,n\n1,a,1\n2,b,2\n3,a,3\n")
    ps.ice_ok("-q", "append", t, tmp_path / "in.csv")
    return t


def current(t):
    v = int((t / "metadata" / "version-hint.text").read_text())
    return t / "metadata" / f"v{v}.metadata.json", v


def manifests(t):
    return sorted(p for p in (t / "metadata").glob("*.avro") if not p.name.startswith("snap-"))


def test_partition_tuple_that_disagrees_with_its_spec(table):
    """The metadata says spec 0 partitions by n (an int); the manifests hold cat strings."""
    path, v = current(table)
    md = json.loads(path.read_text())
    md["partition-specs"][0]["fields"][0]["source-id"] = 3
    (table / "metadata" / f"v{v + 1}.metadata.json").write_text(json.dumps(md))
    (table / "metadata" / "version-hint.text").write_text(str(v + 1))
    r = ps.ice("scan", "--plan", table)
    assert r.code == 1
    line = ps.one_line_error(r, manifests(table)[0].name, "data_file.partition", "field 'cat'", "holds string values",
                             "partition spec 0 makes it int")
    assert r.out == ""
    assert line


def test_missing_manifest(table):
    m = manifests(table)[0]
    m.unlink()
    r = ps.ice("scan", "--plan", table)
    assert r.code == 1
    ps.one_line_error(r, str(m), "No such file")


def test_missing_manifest_list(table):
    path, _ = current(table)
    ml = pathlib.Path(json.loads(path.read_text())["snapshots"][0]["manifest-list"])
    ml.unlink()
    r = ps.ice("scan", "--plan", "--json", table)
    assert r.code == 1
    ps.one_line_error(r, ml.name, "No such file")


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_manifest(table, keep):
    m = manifests(table)[0]
    data = m.read_bytes()
    m.write_bytes(data[: int(len(data) * keep)])
    r = ps.ice("scan", "--plan", "--threads", "2", table)
    assert r.code == 1
    ps.one_line_error(r, m.name)


def test_corpus_table_without_path_map_names_the_file(tmp_path):
    """Without --path-map the corpus' locations do not resolve: the error says which."""
    src = ps.fixtures() / "tables" / "iceberg-cxx" / "partition_evolution"
    t = tmp_path / "pe"
    shutil.copytree(src / "metadata", t / "metadata")
    r = ps.ice("scan", "--plan", t)
    assert r.code == 1
    ps.one_line_error(r, "s3a://warehouse/partition_evolution/metadata/snap-")


def test_filter_errors_are_usage_of_the_table(table):
    r = ps.ice("scan", "--plan", "--where", "nope = 1", table)
    assert r.code == 1
    ps.one_line_error(r, "where: unknown column 'nope'")
    r = ps.ice("scan", "--plan", "--where", "id = ", table)
    assert r.code == 1
    ps.one_line_error(r, "where: column 6: expected a value")
    r = ps.ice("scan", "--plan", "--snapshot", "12", table)
    assert r.code == 1
    ps.one_line_error(r, "no snapshot 12")
    r = ps.ice("scan", "--plan", "--as-of", "yesterday", table)
    assert r.code == 2
