"""What the manifest tests know about Iceberg without asking ice: reading
Avro files with fastavro (raw, logical types left undone), the field ids the
spec gives manifest and manifest list fields, single-value decoding of
bounds (spec Appendix D) and the JSON forms ice prints, partition result
types, and the inheritance rules (spec "Sequence Number Inheritance",
"First Row ID Inheritance")."""
import copy
import datetime
import decimal
import io
import json
import math
import struct
import uuid

import fastavro

# ---- Avro files ----------------------------------------------------------------


def _strip_logical(schema):
    if isinstance(schema, dict):
        return {k: _strip_logical(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_strip_logical(x) for x in schema]
    return schema


def _snappy_decompress(data: bytes) -> bytes:
    """Raw snappy (the format description in google/snappy format_description.txt)."""
    pos, shift, n = 0, 0, 0
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            ln = tag >> 2
            if ln >= 60:
                extra = ln - 59
                ln = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            ln += 1
            out += data[pos:pos + ln]
            pos += ln
            continue
        if kind == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(data[pos:pos + 2], "little")
            pos += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        assert 0 < off <= len(out), "bad snappy copy"
        for _ in range(ln):
            out.append(out[-off])
    assert len(out) == n, "snappy length mismatch"
    return bytes(out)


def _long(data, pos):
    n, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (n >> 1) ^ -(n & 1), pos


def _put_long(v):
    u = (v << 1) ^ (v >> 63)
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def _transcode(path, codec):
    """A snappy or zstandard container rewritten with the null codec (snappy
    blocks' CRC-32 checked), for fastavro installs without cramjam or
    backports.zstd; zstandard is the package in tests/requirements.txt."""
    import zlib

    import zstandard
    data = open(path, "rb").read()
    assert data[:4] == b"Obj\x01"
    pos, meta = 4, {}
    while True:
        count, pos = _long(data, pos)
        if count == 0:
            break
        if count < 0:
            count = -count
            _, pos = _long(data, pos)
        for _ in range(count):
            kl, pos = _long(data, pos)
            k = data[pos:pos + kl].decode()
            pos += kl
            vl, pos = _long(data, pos)
            meta[k] = data[pos:pos + vl]
            pos += vl
    sync = data[pos:pos + 16]
    pos += 16
    meta["avro.codec"] = b"null"
    out = bytearray(b"Obj\x01") + _put_long(len(meta))
    for k, v in meta.items():
        out += _put_long(len(k)) + k.encode() + _put_long(len(v)) + v
    out += _put_long(0) + sync
    while pos < len(data):
        count, pos = _long(data, pos)
        size, pos = _long(data, pos)
        block = data[pos:pos + size]
        pos += size
        assert data[pos:pos + 16] == sync, "sync marker"
        pos += 16
        if codec == "snappy":
            plain = _snappy_decompress(block[:-4])
            assert zlib.crc32(plain) == int.from_bytes(block[-4:], "big"), "snappy block CRC"
        else:
            plain = zstandard.ZstdDecompressor().decompressobj().decompress(block)
        out += _put_long(count) + _put_long(len(plain)) + plain + sync
    return io.BytesIO(bytes(out))


def read_avro(path):
    """(header metadata, writer schema as written, records with raw values)."""
    with open(path, "rb") as f:
        meta = dict(fastavro.reader(f).metadata)
    schema = json.loads(meta["avro.schema"])
    codec = meta.get("avro.codec")
    opener = (lambda: _transcode(path, codec)) if codec in ("snappy", "zstandard") else (lambda: open(path, "rb"))
    with opener() as f:
        records = list(fastavro.reader(f, reader_schema=_strip_logical(copy.deepcopy(schema))))
    return meta, schema, records


# ---- the spec's field ids ---------------------------------------------------------

ENTRY_IDS = {"status": 0, "snapshot_id": 1, "sequence_number": 3, "file_sequence_number": 4, "data_file": 2}
DATA_FILE_IDS = {
    "content": 134, "file_path": 100, "file_format": 101, "partition": 102, "record_count": 103,
    "file_size_in_bytes": 104, "block_size_in_bytes": 105, "column_sizes": 108, "value_counts": 109,
    "null_value_counts": 110, "nan_value_counts": 137, "lower_bounds": 125, "upper_bounds": 128,
    "key_metadata": 131, "split_offsets": 132, "equality_ids": 135, "sort_order_id": 140,
    "first_row_id": 142, "referenced_data_file": 143, "content_offset": 144, "content_size_in_bytes": 145,
}
MAP_IDS = {"column_sizes": (117, 118), "value_counts": (119, 120), "null_value_counts": (121, 122),
           "nan_value_counts": (138, 139), "lower_bounds": (126, 127), "upper_bounds": (129, 130)}
LIST_IDS = {"split_offsets": 133, "equality_ids": 136, "partitions": 508}
MANIFEST_FILE_IDS = {
    "manifest_path": 500, "manifest_length": 501, "partition_spec_id": 502, "content": 517,
    "sequence_number": 515, "min_sequence_number": 516, "added_snapshot_id": 503,
    "added_files_count": 504, "existing_files_count": 505, "deleted_files_count": 506,
    "added_rows_count": 512, "existing_rows_count": 513, "deleted_rows_count": 514,
    "partitions": 507, "key_metadata": 519, "first_row_id": 520,
}
SUMMARY_IDS = {"contains_null": 509, "contains_nan": 518, "lower_bound": 510, "upper_bound": 511}

# Fields of each version (spec tables "Manifest Entry Fields", "Data File Fields", "Manifest Lists").
ENTRY_FIELDS = {1: ["status", "snapshot_id", "data_file"],
                2: ["status", "snapshot_id", "sequence_number", "file_sequence_number", "data_file"]}
ENTRY_FIELDS[3] = ENTRY_FIELDS[2]
DATA_FILE_FIELDS = {
    1: {"file_path", "file_format", "partition", "record_count", "file_size_in_bytes", "block_size_in_bytes",
        "column_sizes", "value_counts", "null_value_counts", "nan_value_counts", "lower_bounds", "upper_bounds",
        "key_metadata", "split_offsets", "sort_order_id"},
    2: {"content", "file_path", "file_format", "partition", "record_count", "file_size_in_bytes", "column_sizes",
        "value_counts", "null_value_counts", "nan_value_counts", "lower_bounds", "upper_bounds", "key_metadata",
        "split_offsets", "equality_ids", "sort_order_id", "referenced_data_file"},
}
DATA_FILE_FIELDS[3] = DATA_FILE_FIELDS[2] | {"first_row_id", "content_offset", "content_size_in_bytes"}
REQUIRED_DATA_FILE = {1: {"file_path", "file_format", "partition", "record_count", "file_size_in_bytes",
                          "block_size_in_bytes"},
                      2: {"content", "file_path", "file_format", "partition", "record_count", "file_size_in_bytes"}}
REQUIRED_DATA_FILE[3] = REQUIRED_DATA_FILE[2]
LIST_FIELDS = {
    1: ["manifest_path", "manifest_length", "partition_spec_id", "added_snapshot_id", "added_files_count",
        "existing_files_count", "deleted_files_count", "added_rows_count", "existing_rows_count",
        "deleted_rows_count", "partitions", "key_metadata"],
    2: ["manifest_path", "manifest_length", "partition_spec_id", "content", "sequence_number",
        "min_sequence_number", "added_snapshot_id", "added_files_count", "existing_files_count",
        "deleted_files_count", "added_rows_count", "existing_rows_count", "deleted_rows_count", "partitions",
        "key_metadata"],
}
LIST_FIELDS[3] = LIST_FIELDS[2] + ["first_row_id"]
REQUIRED_LIST = {1: {"manifest_path", "manifest_length", "partition_spec_id", "added_snapshot_id"},
                 2: set(LIST_FIELDS[2]) - {"partitions", "key_metadata"}}
REQUIRED_LIST[3] = REQUIRED_LIST[2]


def is_optional(avro_type):
    return isinstance(avro_type, list) and "null" in avro_type


def non_null(avro_type):
    if isinstance(avro_type, list):
        rest = [t for t in avro_type if t != "null"]
        assert len(rest) == 1, avro_type
        return rest[0]
    return avro_type


# ---- types --------------------------------------------------------------------------


def parse_type(t):
    """An Iceberg type from its JSON form: a name, ('decimal', P, S), ('fixed', L), or a nested dict."""
    if isinstance(t, dict):
        return t
    if t.startswith("decimal("):
        p, s = t[len("decimal("):-1].split(",")
        return ("decimal", int(p), int(s))
    if t.startswith("fixed["):
        return ("fixed", int(t[len("fixed["):-1]))
    if t.startswith("geometry") or t.startswith("geography"):
        return t.split("(")[0]
    return t


def fields_by_id(schema):
    """Every field of a schema (any depth) by id -> type."""
    out = {}

    def walk(t):
        if not isinstance(t, dict):
            return
        if t["type"] == "struct":
            for f in t["fields"]:
                out[f["id"]] = parse_type(f["type"])
                walk(f["type"])
        elif t["type"] == "list":
            out[t["element-id"]] = parse_type(t["element"])
            walk(t["element"])
        elif t["type"] == "map":
            out[t["key-id"]] = parse_type(t["key"])
            out[t["value-id"]] = parse_type(t["value"])
            walk(t["key"])
            walk(t["value"])

    walk(schema)
    return out


def result_type(transform, source):
    """The spec's result type of a partition transform."""
    if transform in ("year", "month", "hour") or transform.startswith("bucket["):
        return "int"
    if transform == "day":
        return "date"
    return source  # identity, truncate[W], void


# ---- single values --------------------------------------------------------------------

EPOCH = datetime.datetime(1970, 1, 1)
WIDE = decimal.Context(prec=80)  # 38 digits and more, never rounded


class Undecodable(Exception):
    pass


def decode_bound(t, b: bytes):
    """Appendix D binary single values (promoted widths allowed) as Python values."""
    def need(*sizes):
        if len(b) not in sizes:
            raise Undecodable(f"{len(b)} bytes for {t}")

    if isinstance(t, tuple) and t[0] == "decimal":
        if not 1 <= len(b) <= 16:
            raise Undecodable("decimal width")
        return decimal.Decimal(int.from_bytes(b, "big", signed=True)).scaleb(-t[2], WIDE)
    if isinstance(t, tuple) and t[0] == "fixed":
        return bytes(b)
    if t == "boolean":
        need(1)
        return b[0] != 0
    if t in ("int", "date"):
        need(4)
        v = struct.unpack("<i", b)[0]
        return EPOCH.date() + datetime.timedelta(days=v) if t == "date" else v
    if t == "long":
        need(4, 8)
        return struct.unpack("<i" if len(b) == 4 else "<q", b)[0]
    if t in ("time",):
        need(8)
        return ("micros", struct.unpack("<q", b)[0])
    if t in ("timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns"):
        need(4, 8)
        if len(b) == 4:  # a date before promotion
            days = struct.unpack("<i", b)[0]
            per_day = 86400 * 10**6 * (1000 if t.endswith("_ns") else 1)
            return (t, days * per_day)
        return (t, struct.unpack("<q", b)[0])
    if t == "float":
        need(4)
        return struct.unpack("<f", b)[0]
    if t == "double":
        need(4, 8)
        return struct.unpack("<f" if len(b) == 4 else "<d", b)[0]
    if t == "string":
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise Undecodable("not UTF-8")
    if t == "uuid":
        need(16)
        return str(uuid.UUID(bytes=bytes(b)))
    if t in ("binary", "geometry", "geography"):
        return bytes(b)
    raise Undecodable(f"type {t}")


def _micros_of(text, nanos):
    """Seconds since the epoch in micros (or nanos) of an ISO timestamp."""
    text = text.replace("+00:00", "")
    frac = 0
    if "." in text:
        text, f = text.split(".")
        frac = int((f + "000000000")[:9])
    d = datetime.datetime.fromisoformat(text)
    secs = (d - EPOCH) // datetime.timedelta(seconds=1)
    return secs * 10**9 + frac if nanos else secs * 10**6 + frac // 1000


def from_ice_json(t, v):
    """ice's JSON single value (Appendix D JSON form) as the same Python value decode_bound gives."""
    if isinstance(t, tuple) and t[0] == "decimal":
        return decimal.Decimal(v)
    if isinstance(t, tuple) and t[0] == "fixed":
        return bytes.fromhex(v)
    if t == "date":
        return datetime.date.fromisoformat(v)
    if t == "time":
        h, m, s = v.split(":")
        sec, _, frac = s.partition(".")
        return ("micros", ((int(h) * 60 + int(m)) * 60 + int(sec)) * 10**6 + int((frac + "000000")[:6]))
    if t in ("timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns"):
        return (t, _micros_of(v, t.endswith("_ns")))
    if t in ("float", "double"):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v) if isinstance(v, str) \
            else float(v)
    if t in ("binary",):
        return bytes.fromhex(v)
    return v


def same_value(t, a, b):
    if t in ("float", "double"):
        fmt = "<f" if t == "float" else "<d"
        return struct.pack(fmt, a) == struct.pack(fmt, b) or (math.isnan(a) and math.isnan(b))
    return a == b


def check_bound(t, raw: bytes, shown, where):
    """ice's rendering of a bound (JSON) against an independent decoding of its bytes."""
    if t is None or isinstance(t, dict) or t in ("geometry", "geography", "variant", "unknown"):
        return  # no single-value form to compare (geo points are checked by the unit tests)
    try:
        want = decode_bound(t, raw)
    except Undecodable:
        assert shown == {"bytes": raw.hex()}, f"{where}: undecodable bound shown as {shown!r}"
        return
    if isinstance(shown, dict) and "bytes" in shown:
        raise AssertionError(f"{where}: a decodable {t} bound {want!r} shown as raw bytes")
    got = from_ice_json(t, shown)
    assert same_value(t, want, got), f"{where}: {t} bound {raw.hex()} decodes to {want!r}, ice shows {shown!r}"


def partition_value(t, raw):
    """A partition value as fastavro reads it (raw, or converted by its logical
    type: date, datetime, Decimal, UUID) -> the Python value decode_bound gives."""
    if raw is None:
        return None
    if isinstance(t, tuple) and t[0] == "decimal":
        if isinstance(raw, decimal.Decimal):
            return raw
        return decimal.Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-t[2], WIDE)
    if t == "date":
        return raw if isinstance(raw, datetime.date) else EPOCH.date() + datetime.timedelta(days=raw)
    if t == "time":
        if isinstance(raw, datetime.time):
            return ("micros", ((raw.hour * 60 + raw.minute) * 60 + raw.second) * 10**6 + raw.microsecond)
        return ("micros", raw)
    if t in ("timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns"):
        if isinstance(raw, datetime.datetime):
            d = raw.replace(tzinfo=None) - EPOCH
            micros = (d.days * 86400 + d.seconds) * 10**6 + d.microseconds
            return (t, micros * 1000 if t.endswith("_ns") else micros)
        return (t, raw)
    if t == "uuid":
        return str(raw) if isinstance(raw, uuid.UUID) else str(uuid.UUID(bytes=bytes(raw)))
    if t in ("binary", "geometry", "geography") or (isinstance(t, tuple) and t[0] == "fixed"):
        return bytes(raw)
    return raw
