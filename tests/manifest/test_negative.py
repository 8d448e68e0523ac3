"""Files that must not read: the corpus' negative cases, and damaged copies
of real manifests and manifest lists inside a table. Each fails with one
line naming the file and where in it (the record, or the block and its
offset), and nothing crashes."""
import shutil

import pytest

from manifest_support import avro_index, fixtures, ice, one_line_error, tool

NEGATIVE = [f for f in avro_index()["files"] if f["kind"] == "unreadable"]


def test_corpus_has_negative_cases():
    assert len(NEGATIVE) == 4


@pytest.mark.parametrize("case", NEGATIVE, ids=[f["file"] for f in NEGATIVE])
def test_negative_fixture_fails_naming_the_file(tmp_path, case):
    path = fixtures() / case["file"]
    r = tool("copy", path, tmp_path / "out.avro")
    assert r.code == 1
    line = one_line_error(r, str(path))
    if "encrypted" in case["file"]:
        assert "encrypted" in line
    elif case["size"] == 0:
        assert "empty file" in line
    assert not (tmp_path / "out.avro").exists()


TABLE = "tables/iceberg-cxx/partition_evolution"
PREFIX = "s3a://warehouse/partition_evolution/"


@pytest.fixture
def table(tmp_path):
    """A private copy of a table's metadata, read through a path map."""
    dst = tmp_path / "t"
    shutil.copytree(fixtures() / TABLE / "metadata", dst / "metadata")
    return dst


def run_files(table):
    return ice("--path-map", f"{PREFIX}={table}/", "files", table)


def test_record_with_a_negative_length(table):
    """A manifest whose first data file path claims a negative length."""
    import zlib

    from iceberg_avro import _long, _put_long

    # The manifest is one deflate block: inflate it, damage it, deflate it again.
    path = sorted((table / "metadata").glob("4d7915f9*-m0.avro"))[0]
    data = path.read_bytes()
    sync = data[-16:]
    header_end = data.index(sync) + 16
    count, pos = _long(data, header_end)
    size, pos = _long(data, pos)
    block = zlib.decompress(data[pos:pos + size], -15)
    marker = b"s3a://warehouse/partition_evolution/data/"
    at = block.index(marker)
    # the path's length (a 2-byte varint for paths of 64 to 8191 bytes) becomes -5
    assert block[at - 2] & 0x80 and not block[at - 1] & 0x80
    block = block[:at - 2] + _put_long(-5) + block[at:]
    packed = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packed.compress(block) + packed.flush()
    path.write_bytes(data[:header_end] + _put_long(count) + _put_long(len(body)) + body + sync)
    r = run_files(table)
    assert r.code == 1
    one_line_error(r, PREFIX + "metadata/" + path.name, ": record 0: data_file.file_path: negative length")


def test_truncated_manifest_names_the_block(table):
    path = sorted((table / "metadata").glob("4d7915f9*-m0.avro"))[0]
    data = path.read_bytes()
    path.write_bytes(data[:-40])
    r = run_files(table)
    assert r.code == 1
    one_line_error(r, PREFIX + "metadata/" + path.name, ": block at offset ", "truncated")


def test_bad_sync_marker_names_the_block(table):
    path = sorted((table / "metadata").glob("4d7915f9*-m0.avro"))[0]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    r = run_files(table)
    assert r.code == 1
    one_line_error(r, PREFIX + "metadata/" + path.name, ": block at offset ", "sync marker")


def test_empty_manifest_list(table):
    path = sorted((table / "metadata").glob("snap-240252726469419150-*.avro"))[0]
    path.write_bytes(b"")
    for cmd in ("manifests", "files"):
        r = ice("--path-map", f"{PREFIX}={table}/", cmd, table)
        assert r.code == 1
        one_line_error(r, PREFIX + "metadata/" + path.name, "empty file")


def test_missing_manifest(table):
    path = sorted((table / "metadata").glob("8a56b416*-m0.avro"))[0]
    path.unlink()
    r = run_files(table)
    assert r.code == 1
    one_line_error(r, PREFIX + "metadata/" + path.name)


def test_garbage_in_a_block(table):
    """Bytes flipped all over a manifest's block: an error or (rarely) a read, never a crash."""
    path = sorted((table / "metadata").glob("4d7915f9*-m0.avro"))[0]
    original = path.read_bytes()
    sync = original[-16:]
    start = original.index(sync) + 16
    for i in range(start, len(original) - 16):
        data = bytearray(original)
        data[i] ^= 0x5A
        path.write_bytes(bytes(data))
        r = run_files(table)
        if r.code != 0:
            line = one_line_error(r)
            assert PREFIX + "metadata/" + path.name in line, line
