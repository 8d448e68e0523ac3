"""Canonical JSON-able values of Arrow data, in exactly the forms
`ice parquet --rows` prints (see ice/arrow.h): the tests compare pyarrow's
and DuckDB's values with ice's through these."""
import math
import struct

import pyarrow as pa


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def f16(x):
    return struct.unpack('<e', struct.pack('<e', x))[0]


def civil_from_days(z: int):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def fmt_date(days: int) -> str:
    y, m, d = civil_from_days(days)
    if y > 9999:
        return f"+{y}-{m:02d}-{d:02d}"
    if y < 0:
        return f"-{-y:04d}-{m:02d}-{d:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def fmt_tod(nanos_of_day: int, nanos: bool) -> str:
    secs, frac = divmod(nanos_of_day, 1_000_000_000)
    h, rem = divmod(secs, 3600)
    mi, s = divmod(rem, 60)
    if nanos:
        return f"{h:02d}:{mi:02d}:{s:02d}.{frac:09d}"
    return f"{h:02d}:{mi:02d}:{s:02d}.{frac // 1000:06d}"


UNIT_TO_NANOS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1000, "ns": 1}


def fmt_timestamp(v: int, unit: str, tz) -> str:
    nanos = unit == "ns"
    # ice scales s and ms to micros with 64-bit arithmetic; so do we.
    ns = v * UNIT_TO_NANOS[unit]
    days, rem = divmod(ns, 86_400_000_000_000)
    out = fmt_date(days) + "T" + fmt_tod(rem, nanos)
    return out + ("+00:00" if tz else "")


def fmt_time(v: int, unit: str) -> str:
    ns = (v * UNIT_TO_NANOS[unit]) % 86_400_000_000_000
    return fmt_tod(ns, unit == "ns")


def _plain_type(t: pa.DataType) -> pa.DataType:
    """The type with temporal leaves as integers and extensions as storage."""
    if isinstance(t, pa.BaseExtensionType):
        return _plain_type(t.storage_type)
    if pa.types.is_timestamp(t) or pa.types.is_time64(t) or pa.types.is_date64(t) or pa.types.is_duration(t):
        return pa.int64()
    if pa.types.is_date32(t) or pa.types.is_time32(t):
        return pa.int32()
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain_type(f.type), f.nullable) for f in t])
    if pa.types.is_map(t):
        return pa.map_(_plain_type(t.key_type), _plain_type(t.item_type))
    if pa.types.is_large_list(t):
        return pa.large_list(pa.field(t.value_field.name, _plain_type(t.value_type), t.value_field.nullable))
    if pa.types.is_list(t):
        return pa.list_(pa.field(t.value_field.name, _plain_type(t.value_type), t.value_field.nullable))
    return t


def _storage(arr):
    if isinstance(arr.type, pa.BaseExtensionType):
        return _storage(arr.storage)
    if isinstance(arr, pa.ChunkedArray):
        return pa.chunked_array([_storage(c) for c in arr.chunks], type=_plain_storage_type(arr.type))
    if pa.types.is_dictionary(arr.type):
        return arr.dictionary_decode()
    if pa.types.is_struct(arr.type):
        kids = [_storage(arr.field(i)) for i in range(arr.type.num_fields)]
        return pa.StructArray.from_arrays(kids, fields=[pa.field(f.name, k.type, f.nullable)
                                                        for f, k in zip(arr.type, kids)],
                                          mask=arr.is_null() if arr.null_count else None)
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        if arr.offset:
            arr = pa.concat_arrays([arr])
        vals = _storage(arr.values)
        cls = pa.LargeListArray if pa.types.is_large_list(arr.type) else pa.ListArray
        return cls.from_arrays(arr.offsets, vals, mask=arr.is_null() if arr.null_count else None)
    return arr


def _plain_storage_type(t):
    if isinstance(t, pa.BaseExtensionType):
        return _plain_storage_type(t.storage_type)
    return t


def canon_column(arr, typ: pa.DataType):
    """Canonical values of one column (a ChunkedArray or Array) of type typ."""
    if isinstance(arr, pa.ChunkedArray):
        out = []
        for c in arr.chunks:
            out.extend(canon_column(c, typ))
        return out
    is_uuid = isinstance(typ, pa.BaseExtensionType) and typ.extension_name == "arrow.uuid"
    try:
        plain = _storage(arr).cast(_plain_type(typ)) if not is_uuid else _storage(arr)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        plain = _storage(arr)
    return [canon_value(v, typ) for v in plain.to_pylist()]


def canon_value(v, t: pa.DataType):
    if v is None:
        return None
    if isinstance(t, pa.BaseExtensionType):
        if t.extension_name == "arrow.uuid":
            h = v.hex() if isinstance(v, (bytes, bytearray)) else v.hex
            return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        return canon_value(v, t.storage_type)
    if pa.types.is_dictionary(t):
        return canon_value(v, t.value_type)
    if pa.types.is_boolean(t) or pa.types.is_integer(t):
        return int(v) if not pa.types.is_boolean(t) else bool(v)
    if pa.types.is_floating(t):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        if pa.types.is_float16(t):
            return f16(f)
        if pa.types.is_float32(t):
            return f32(f)
        return f
    if pa.types.is_decimal(t):
        return f"{v:f}" if t.scale > 0 else str(int(v))
    if pa.types.is_date32(t):
        return fmt_date(v)
    if pa.types.is_timestamp(t):
        return fmt_timestamp(v, t.unit, t.tz)
    if pa.types.is_time32(t) or pa.types.is_time64(t):
        return fmt_time(v, t.unit)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return v
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return bytes(v).hex()
    if pa.types.is_null(t):
        return None
    if pa.types.is_struct(t):
        return {f.name: canon_value(v.get(f.name), f.type) for f in t}
    if pa.types.is_map(t):
        return [[canon_value(k, t.key_type), canon_value(x, t.item_type)] for k, x in v]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [canon_value(x, t.value_type) for x in v]
    raise TypeError(f"no canonical form for {t}")


def canon_ice(v, t: pa.DataType):
    """ice's JSON value, normalized the same way (floats to their width)."""
    if v is None:
        return None
    if isinstance(t, pa.BaseExtensionType):
        return v if t.extension_name == "arrow.uuid" else canon_ice(v, t.storage_type)
    if pa.types.is_dictionary(t):
        return canon_ice(v, t.value_type)
    if pa.types.is_floating(t):
        if isinstance(v, str):
            return v
        if pa.types.is_float16(t):
            return f16(float(v))
        if pa.types.is_float32(t):
            return f32(float(v))
        return float(v)
    if pa.types.is_struct(t):
        return {f.name: canon_ice(v.get(f.name), f.type) for f in t}
    if pa.types.is_map(t):
        return [[canon_ice(k, t.key_type), canon_ice(x, t.item_type)] for k, x in v]
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [canon_ice(x, t.value_type) for x in v]
    return v
