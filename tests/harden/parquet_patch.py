"""Hostile Parquet files for the hardening tests: the Thrift compact
protocol read into plain values and written back, so a test can change one
field of a file's FileMetaData or of a page header (a row count, a declared
size) and splice in a page of its own. Written from the Thrift compact
protocol specification and the Parquet format's field ids; only what the
tests need."""
import struct

STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)


class Struct:
    """A Thrift struct: fields as {id: (type, value)}, in file order."""

    def __init__(self, fields=None):
        self.fields = fields if fields is not None else {}

    def get(self, fid):
        return self.fields[fid][1]

    def set(self, fid, value, ttype=None):
        t = ttype if ttype is not None else self.fields[fid][0]
        self.fields[fid] = (t, value)


def _varint(data, pos):
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _zigzag(n):
    return (n >> 1) ^ -(n & 1)


def zigzag_varint(data, pos):
    """A zigzag varint (Thrift compact's i16/i32/i64, Avro's int and long):
    (value, next position)."""
    v, pos = _varint(data, pos)
    return _zigzag(v), pos


def _read_value(data, pos, t):
    if t in (TRUE, FALSE):
        return t == TRUE, pos
    if t == BYTE:
        return struct.unpack_from("b", data, pos)[0], pos + 1
    if t in (I16, I32, I64):
        return zigzag_varint(data, pos)
    if t == DOUBLE:
        return struct.unpack_from("<d", data, pos)[0], pos + 8
    if t == BINARY:
        n, pos = _varint(data, pos)
        return bytes(data[pos:pos + n]), pos + n
    if t in (LIST, SET):
        h = data[pos]
        pos += 1
        n, et = h >> 4, h & 15
        if n == 15:
            n, pos = _varint(data, pos)
        items = []
        for _ in range(n):
            if et in (TRUE, FALSE):  # booleans in lists are one byte each
                items.append(data[pos] == 1)
                pos += 1
            else:
                v, pos = _read_value(data, pos, et)
                items.append(v)
        return (et, items), pos
    if t == MAP:
        n, pos = _varint(data, pos)
        if n == 0:
            return (0, 0, []), pos
        kt, vt = data[pos] >> 4, data[pos] & 15
        pos += 1
        pairs = []
        for _ in range(n):
            k, pos = _read_value(data, pos, kt)
            v, pos = _read_value(data, pos, vt)
            pairs.append((k, v))
        return (kt, vt, pairs), pos
    if t == STRUCT:
        return read_struct(data, pos)
    raise ValueError(f"thrift type {t} at {pos}")


def read_struct(data, pos=0):
    """(Struct, position after it)."""
    s = Struct()
    last = 0
    while True:
        h = data[pos]
        pos += 1
        t = h & 15
        if t == STOP:
            return s, pos
        delta = h >> 4
        if delta:
            fid = last + delta
        else:
            v, pos = _varint(data, pos)
            fid = _zigzag(v)
        v, pos = _read_value(data, pos, t)
        s.fields[fid] = (t, v)
        last = fid


def _put_varint(out, n):
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def _put_zigzag(out, n):
    _put_varint(out, (n << 1) ^ (n >> 63))


def _write_value(out, t, v):
    if t in (TRUE, FALSE):
        return
    if t == BYTE:
        out += struct.pack("b", v)
    elif t in (I16, I32, I64):
        _put_zigzag(out, v)
    elif t == DOUBLE:
        out += struct.pack("<d", v)
    elif t == BINARY:
        _put_varint(out, len(v))
        out += v
    elif t in (LIST, SET):
        et, items = v
        if len(items) < 15:
            out.append(len(items) << 4 | et)
        else:
            out.append(0xF0 | et)
            _put_varint(out, len(items))
        for it in items:
            if et in (TRUE, FALSE):
                out.append(1 if it else 2)
            else:
                _write_value(out, et, it)
    elif t == MAP:
        kt, vt, pairs = v
        _put_varint(out, len(pairs))
        if pairs:
            out.append(kt << 4 | vt)
            for k, val in pairs:
                _write_value(out, kt, k)
                _write_value(out, vt, val)
    elif t == STRUCT:
        write_struct(out, v)
    else:
        raise ValueError(f"thrift type {t}")


def write_struct(out, s):
    last = 0
    for fid, (t, v) in s.fields.items():
        if t in (TRUE, FALSE):
            t = TRUE if v else FALSE
        if 0 < fid - last <= 15:
            out.append((fid - last) << 4 | t)
        else:
            out.append(t)
            _put_zigzag(out, fid)
        _write_value(out, t, v)
        last = fid
    out.append(STOP)
    return out


def encode(s) -> bytes:
    return bytes(write_struct(bytearray(), s))


# ---- Parquet files ------------------------------------------------------------------

def read_footer(data: bytes):
    """(FileMetaData struct, offset where the footer starts)."""
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    n = struct.unpack_from("<I", data, len(data) - 8)[0]
    start = len(data) - 8 - n
    md, _ = read_struct(data, start)
    return md, start


def with_footer(data: bytes, md) -> bytes:
    """The file with its FileMetaData replaced."""
    _, start = read_footer(data)
    footer = encode(md)
    return data[:start] + footer + struct.pack("<I", len(footer)) + b"PAR1"


def column_meta(md, rg=0, col=0):
    """ColumnMetaData of a row group's column chunk."""
    return md.get(4)[1][rg].get(1)[1][col].get(3)


def replace_first_page(data: bytes, body: bytes, uncompressed_size=None) -> bytes:
    """A one-column, one-page file (no dictionary) with its page's bytes
    replaced by `body` (already compressed with the file's codec); the page
    header keeps its stated uncompressed size unless one is given."""
    md, start = read_footer(data)
    cm = column_meta(md)
    off = cm.get(9)  # data_page_offset
    header, body_at = read_struct(data, off)
    old_len = header.get(3)
    header.set(3, len(body))
    if uncompressed_size is not None:
        header.set(2, uncompressed_size)
    new_header = encode(header)
    page = new_header + body
    chunk_end = off + (body_at - off) + old_len
    assert chunk_end == start or md.get(4)[1][0].get(1)[1][0].get(2) >= chunk_end
    cm.set(7, len(page))  # total_compressed_size
    rest = data[chunk_end:start]
    assert not rest, "the file has more than one page"
    out = data[:off] + page
    md_bytes = encode(md)
    return out + md_bytes + struct.pack("<I", len(md_bytes)) + b"PAR1"
