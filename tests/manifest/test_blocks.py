"""Deflate blocks of any shape read alike. A block is decoded in one call
when it fits a bounded buffer (sized from the blocks before it) and
streamed when it does not; both must give the same records. The blocks
here are made from a real manifest (iceberg-cxx's partition_evolution
table) by repeating its records, and deflated by Python's zlib."""
import zlib

import pytest

from iceberg_avro import read_avro
from manifest_support import fixtures, tool_ok

TABLE = "tables/iceberg-cxx/partition_evolution"


def repeat_records(src, dst, times, blocks):
    """Write a one-block manifest again as `blocks` blocks, each holding
    its records `times` times over; the size of one copy of the records."""
    from iceberg_avro import _long, _put_long

    data = src.read_bytes()
    sync = data[-16:]
    header_end = data.index(sync) + 16
    count, pos = _long(data, header_end)
    size, pos = _long(data, pos)
    assert pos + size + 16 == len(data), "the manifest is one block"
    records = zlib.decompress(data[pos:pos + size], -15)
    out = bytearray(data[:header_end])
    for _ in range(blocks):
        packed = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = packed.compress(records * times) + packed.flush()
        out += _put_long(count * times) + _put_long(len(body)) + body + sync
    dst.write_bytes(bytes(out))
    return len(records)


@pytest.mark.parametrize("times,blocks", [(1, 3), (40, 2), (4000, 2)],
                         ids=["small blocks", "blocks past the first guess", "blocks past the one-call bound"])
def test_repeated_records_read_in_any_block_size(tmp_path, times, blocks):
    src = sorted((fixtures() / TABLE / "metadata").glob("4d7915f9*-m0.avro"))[0]
    big, out = tmp_path / "big.avro", tmp_path / "copy.avro"
    raw = repeat_records(src, big, times, blocks)
    if times == 4000:
        assert raw * times > 4 << 20  # beyond what is decoded in one call
    # ice's copy of the original (one block, checked against fastavro by
    # test_roundtrip) repeated is ice's copy of the repeated blocks
    tool_ok("copy", src, tmp_path / "one.avro")
    r = tool_ok("copy", big, out)
    _, _, one = read_avro(tmp_path / "one.avro")
    _, _, crecs = read_avro(out)
    assert r.json()["records"] == len(crecs) == len(one) * times * blocks
    assert crecs == one * (times * blocks)
