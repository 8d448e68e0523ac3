"""Every manifest and manifest list of the corpus read by ice, written by ice
(same format version) and read again gives identical entries (checked by
ice inside manifest-tool), and fastavro finds in ice's copy the same values
it finds in the original, field by field, for every field of the spec's
schema of that version."""
import pytest

from manifest_support import avro_index, fixtures, tool, tool_ok
from iceberg_avro import DATA_FILE_FIELDS, LIST_FIELDS, non_null, read_avro

FILES = sorted(f["file"] for f in avro_index()["files"] if f["kind"] != "unreadable")
ALIASES = {"added_files_count": "added_data_files_count", "existing_files_count": "existing_data_files_count",
           "deleted_files_count": "deleted_data_files_count"}


def table_dir(rel):
    if "/metadata/" in rel and rel.startswith("tables/"):
        return fixtures() / rel.split("/metadata/")[0]
    return None


def test_corpus_has_files():
    assert len(FILES) >= 230


def clean_map(m):
    return None if m is None else [x for x in m if x is not None]


def partition_by_id(schema, record):
    """The partition tuple as {field id or name: value}."""
    df = non_null(next(f for f in schema["fields"] if f["name"] == "data_file")["type"])
    part = next((f for f in df["fields"] if f["name"] == "partition"), None)
    values = record["data_file"].get("partition") or {}
    if part is None:
        return {}
    fields = non_null(part["type"])["fields"]
    return {f.get("field-id", f["name"]): values.get(f["name"]) for f in fields}


@pytest.mark.parametrize("rel", FILES)
def test_copy_reads_back_the_same(tmp_path, rel):
    src = fixtures() / rel
    out = tmp_path / "copy.avro"
    args = ["copy", src, out]
    if table_dir(rel):
        args += ["--table", table_dir(rel)]
    r = tool(*args)
    if r.code != 0 and "--table" in args:
        r = tool("copy", src, out)  # a table whose metadata does not load: read without it
    assert r.code == 0, r.err
    kind = r.json()["kind"]

    ometa, oschema, orecs = read_avro(src)
    cmeta, cschema, crecs = read_avro(out)
    version = int(cmeta["format-version"])
    assert len(crecs) == len(orecs) == r.json()["records"]
    if kind == "manifest-list":
        for i, (o, c) in enumerate(zip(orecs, crecs)):
            for name in LIST_FIELDS[version]:
                want = o.get(name, o.get(ALIASES.get(name, ""), None))
                if want is None and name in ("content", "sequence_number", "min_sequence_number"):
                    want = 0
                assert c[name] == want, f"{rel}: record {i}: {name}: {c[name]!r} != {want!r}"
        return
    for i, (o, c) in enumerate(zip(orecs, crecs)):
        where = f"{rel}: record {i}"
        assert c["status"] == o["status"], where
        assert c["snapshot_id"] == o.get("snapshot_id"), where
        if version >= 2:
            assert c["sequence_number"] == o.get("sequence_number"), where
            assert c["file_sequence_number"] == o.get("file_sequence_number"), where
        od, cd = o["data_file"], c["data_file"]
        for name in DATA_FILE_FIELDS[version] - {"partition"}:
            want = od.get(name)
            if name == "content" and want is None:
                want = 0
            if name == "block_size_in_bytes" and want is None:
                want = 67108864
            got = cd[name]
            if name in ("column_sizes", "value_counts", "null_value_counts", "nan_value_counts", "lower_bounds",
                        "upper_bounds"):
                want, got = clean_map(want), clean_map(got)
            assert got == want, f"{where}: {name}: {got!r} != {want!r}"
        op, cp = partition_by_id(oschema, o), partition_by_id(cschema, c)
        for key, value in cp.items():
            assert value == op.get(key), f"{where}: partition {key}: {value!r} != {op.get(key)!r}"
