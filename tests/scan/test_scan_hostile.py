"""Damaged tables: a data file listed in a manifest but missing, a truncated
Parquet file, a corrupt deletion vector, a Puffin file too short for the
vector it should hold, a delete file that is not there, a data file in a
format ice does not read. Each gives one line on stderr naming the file,
exit 1, and nothing on stdout that could pass for a result (rows are held
back until the scan ends); with --output FILE nothing is left at FILE."""
import os
import pathlib
import shutil

import fastavro
import pytest

import scan_support as S

LINEITEM = "tables/duckdb-iceberg/iceberg/lineitem_iceberg"
DV_TABLE = "tables/iceberg-cxx/deletion_vectors"
POS_TABLE = "tables/iceberg-cxx/granular_deletes"


def copy_of(table, tmp_path):
    c = S.Copy(table, tmp_path)
    return c, c.metadata_file(S.current_metadata(str(S.fixtures() / table)))


def files_of(metadata, content="data"):
    r = S.ice_ok("--json", "files", "--content", content, metadata)
    return [e["entry"]["data_file"] for e in __import__("json").loads(r.out)]


def replace_link(path, data=None):
    """Put a real file (or nothing) where the copy links the corpus file."""
    path = pathlib.Path(path)
    assert not path.resolve().is_relative_to(S.fixtures()) or path.is_symlink(), path
    original = pathlib.Path(os.readlink(path)) if path.is_symlink() else None
    path.unlink()
    if data is not None:
        path.write_bytes(data)
    return original


def failed_quietly(r, *parts):
    S.one_line_error(r, *parts)
    assert r.code == 1
    assert r.raw == b"", f"stdout holds {len(r.raw)} bytes after a failed scan"


def test_missing_data_file(tmp_path):
    c, md = copy_of(LINEITEM, tmp_path)
    victim = files_of(md)[-1]["file_path"]
    replace_link(victim)
    for fmt in ("csv", "jsonl", "table", "parquet"):
        failed_quietly(S.ice("scan", "--threads", "1", "--format", fmt, md), victim, "No such file")
    # four threads (reading and rendering): the same error, still nothing printed
    for fmt in ("csv", "jsonl"):
        failed_quietly(S.ice("scan", "--threads", "4", "--format", fmt, md), victim)
    out = tmp_path / "rows.csv"
    r = S.ice("scan", "--format", "csv", "--output", out, md)
    S.one_line_error(r, victim)
    assert not out.exists() and not list(tmp_path.glob("rows.csv*"))


def test_truncated_parquet(tmp_path):
    c, md = copy_of(LINEITEM, tmp_path)
    victim = files_of(md)[0]["file_path"]
    data = pathlib.Path(victim).read_bytes()
    replace_link(victim, data[: len(data) // 2])
    failed_quietly(S.ice("scan", "--format", "jsonl", md), victim)
    # a footer intact but pages cut away: still a one-line error naming the file
    replace_link(victim, data[:4] + b"\0" * (len(data) - 4 - 1000) + data[-1000:])
    failed_quietly(S.ice("scan", "--format", "jsonl", md), victim)


def test_corrupt_deletion_vector(tmp_path):
    c, md = copy_of(DV_TABLE, tmp_path)
    dv = files_of(md, "deletes")[0]
    data = bytearray(pathlib.Path(dv["file_path"]).read_bytes())
    data[dv["content_offset"] + 12] ^= 0x20  # inside the bitmap: the CRC no longer matches
    replace_link(dv["file_path"], bytes(data))
    failed_quietly(S.ice("scan", "--format", "jsonl", md), dv["file_path"], "CRC")
    # too short for the vector the manifest locates
    replace_link(dv["file_path"], bytes(data[: dv["content_offset"] + 10]))
    failed_quietly(S.ice("scan", "--format", "jsonl", md), dv["file_path"], "outside the file")


def test_missing_delete_file(tmp_path):
    c, md = copy_of(POS_TABLE, tmp_path)
    plan = __import__("json").loads(S.ice_ok("--json", "scan", "--plan", md).out)
    victim = next(d["file_path"] for t in plan["tasks"] for d in t["deletes"])
    replace_link(victim)
    failed_quietly(S.ice("scan", "--format", "csv", md), victim, "No such file")


def test_data_file_in_another_format(tmp_path):
    c, md = copy_of("tables/iceberg-cxx/no_partitioning", tmp_path)
    manifest = next(pathlib.Path(c.dst, "metadata").glob("*-m0.avro"))
    with open(manifest, "rb") as f:
        reader = fastavro.reader(f)
        schema, meta, records = reader.writer_schema, dict(reader.metadata), list(reader)
    for r in records:
        r["data_file"]["file_format"] = "ORC"
    victim = records[0]["data_file"]["file_path"]
    assert not manifest.is_symlink()
    with open(manifest, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), records,
                        metadata={k: v for k, v in meta.items() if not k.startswith("avro.")})
    failed_quietly(S.ice("scan", "--format", "csv", md), victim, "ORC format are not supported")


def test_output_file_is_replaced_only_when_complete(tmp_path):
    c, md = copy_of(LINEITEM, tmp_path)
    out = tmp_path / "rows.jsonl"
    out.write_text("previous\n")
    S.ice_ok("scan", "--format", "jsonl", "--limit", "5", "--output", out, md)
    assert len(out.read_text().splitlines()) == 5
    replace_link(files_of(md)[0]["file_path"])
    r = S.ice("scan", "--format", "jsonl", "--output", out, md)
    assert r.code == 1 and len(out.read_text().splitlines()) == 5
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("rows")) == ["rows.jsonl"]
