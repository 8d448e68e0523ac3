"""The rows of a snapshot computed here, independently of ice and of the
peers, from the spec: live manifest entries read with fastavro (with
sequence-number inheritance: tests/scan_plan/plan_support.all_entries), data
files read with pyarrow and projected by field id (the table's name mapping
for files without ids; missing columns from identity partition values,
initial-defaults or nulls), and deletes applied by the spec's scope rules:

  - a deletion vector applies to the data file it references when its data
    sequence number is >= the file's; decoded here from the Puffin spec
    (big-endian length, magic, 64-bit portable Roaring, CRC-32);
  - otherwise position delete files of the same partition (or referencing
    the file) with a data sequence number >= the file's, their rows for
    this file_path;
  - equality delete files with a data sequence number > the file's, of the
    same partition or written unpartitioned; a null equals a null.

Used where no peer can read a case, and as a third witness elsewhere.
Raises NotImplementedError for what it does not model (nested projection
by id, defaults of nested types)."""
import datetime
import struct
import sys
import zlib

import pyarrow.parquet as pq

import scan_support as S

sys.path.insert(0, str(S.REPO / "tests" / "scan_plan"))
import plan_support as ps  # noqa: E402


# ---- deletion vectors -------------------------------------------------------------------------


def _roaring32(data, pos):
    cookie = struct.unpack_from("<I", data, pos)[0]
    pos += 4
    runs = None
    if cookie & 0xFFFF == 12347:
        n = (cookie >> 16) + 1
        runs = data[pos:pos + (n + 7) // 8]
        pos += (n + 7) // 8
    elif cookie == 12346:
        n = struct.unpack_from("<I", data, pos)[0]
        pos += 4
    else:
        raise ValueError(f"bad cookie {cookie}")
    desc = [struct.unpack_from("<HH", data, pos + 4 * i) for i in range(n)]
    pos += 4 * n
    if runs is None or n >= 4:
        pos += 4 * n
    values = []
    for i, (key, card1) in enumerate(desc):
        base = key << 16
        if runs is not None and runs[i // 8] >> (i % 8) & 1:
            nruns = struct.unpack_from("<H", data, pos)[0]
            pos += 2
            for r in range(nruns):
                start, length = struct.unpack_from("<HH", data, pos + 4 * r)
                values += range(base + start, base + start + length + 1)
            pos += 4 * nruns
        elif card1 + 1 > 4096:
            words = struct.unpack_from("<1024Q", data, pos)
            pos += 8192
            for w, word in enumerate(words):
                while word:
                    low = word & -word
                    values.append(base + w * 64 + low.bit_length() - 1)
                    word ^= low
        else:
            values += [base + v for v in struct.unpack_from(f"<{card1 + 1}H", data, pos)]
            pos += 2 * (card1 + 1)
    return values, pos


def vector_positions(blob):
    length = struct.unpack_from(">I", blob, 0)[0]
    assert length + 8 == len(blob) and blob[4:8] == b"\xD1\xD3\x39\x64", "not a deletion vector"
    assert zlib.crc32(blob[4:-4]) & 0xFFFFFFFF == struct.unpack_from(">I", blob, len(blob) - 4)[0], "bad CRC"
    count = struct.unpack_from("<Q", blob, 8)[0]
    pos, out = 16, []
    for _ in range(count):
        key = struct.unpack_from("<I", blob, pos)[0]
        values, pos = _roaring32(blob, pos + 4)
        out += [(key << 32) + v for v in values]
    return out


# ---- reading files ------------------------------------------------------------------------------


def _ids(table, mapping):
    """{field id: column name} of a file's top-level columns."""
    out = {}
    for f in table.schema:
        raw = (f.metadata or {}).get(b"PARQUET:field_id")
        if raw is not None:
            out[int(raw)] = f.name
    if not out and mapping:
        for m in mapping:
            for name in m.get("names", []):
                if name in table.column_names and "field-id" in m:
                    out[m["field-id"]] = name
    return out


def _raw_partition(value, t):
    """A partition value as fastavro gives it (logical types undone), as a peer would."""
    if value is None or t in ("int", "long", "string", "boolean", "double", "float"):
        return value
    if t == "date":
        return value if isinstance(value, datetime.date) else datetime.date(1970, 1, 1) + datetime.timedelta(days=value)
    raise NotImplementedError(f"identity partition values of type {t}")


def _name_mapping(md):
    import json

    text = md.get("properties", {}).get("schema.name-mapping.default")
    if not text:
        return None
    m = json.loads(text)
    return m["fields"] if isinstance(m, dict) else m


def truth_rows(md, snap):
    schema = S.schema_for(md, snap["snapshot-id"])
    specs = ps._specs(md)
    mapping = _name_mapping(md)
    data, dvs, pos, eqs = [], [], [], []
    for content, df, spec_id, seq in ps.live_entries(md, snap):
        key = (spec_id, tuple(sorted((df.get("partition") or {}).items())))
        if content == 0:
            data.append((df, spec_id, key, seq))
        elif content == 1:
            puffin = df["file_format"].lower() == "puffin"
            (dvs if puffin else pos).append((df, key, seq))
        else:
            eqs.append((df, key, seq, ps._unpartitioned(specs.get(spec_id, {"fields": []}))))
    rows = []
    for df, spec_id, key, seq in data:
        path = df["file_path"]
        table = pq.read_table(ps.rewrite(path))
        ids = _ids(table, mapping)
        deleted = set()
        vectors = [d for d, dkey, dseq in dvs if d.get("referenced_data_file") == path and dseq >= seq]
        for d in vectors:
            with open(ps.rewrite(d["file_path"]), "rb") as f:
                f.seek(d["content_offset"])
                deleted.update(vector_positions(f.read(d["content_size_in_bytes"])))
        if not vectors:
            for d, dkey, dseq in pos:
                ref = d.get("referenced_data_file")
                if dseq < seq or (ref is not None and ref != path) or (ref is None and dkey != key):
                    continue
                t = pq.read_table(ps.rewrite(d["file_path"]))
                did = _ids(t, [{"field-id": 2147483546, "names": ["file_path"]},
                               {"field-id": 2147483545, "names": ["pos"]}])
                for p, at in zip(t.column(did[2147483546]).to_pylist(), t.column(did[2147483545]).to_pylist()):
                    if p == path:
                        deleted.add(at)
        eq_sets = []
        for d, dkey, dseq, is_global in eqs:
            if dseq <= seq or not (dkey == key or is_global):
                continue
            t = pq.read_table(ps.rewrite(d["file_path"]))
            did = _ids(t, mapping)
            fids = list(d["equality_ids"])
            cols = [t.column(did[i]).to_pylist() if i in did else [None] * t.num_rows for i in fids]
            eq_sets.append((fids, set(zip(*cols))))
        spec = specs.get(spec_id, {"fields": []})
        columns = {}
        for f in schema["fields"]:
            if not isinstance(f["type"], str) and f["id"] not in ids:
                raise NotImplementedError("a missing nested column")
            if f["id"] in ids:
                col = table.column(ids[f["id"]])
                if not isinstance(f["type"], str):
                    import pyarrow as pa
                    if not pa.types.is_struct(col.type) or [c.name for c in col.type] != [c["name"] for c in f["type"].get("fields", [])]:
                        raise NotImplementedError("nested columns that need projection by id")
                columns[f["name"]] = col.to_pylist()
                continue
            ident = [pf for pf in spec["fields"] if pf["source-id"] == f["id"] and pf["transform"] == "identity"]
            if ident:
                value = _raw_partition((df.get("partition") or {}).get(ident[0]["name"]), f["type"])
            elif "initial-default" in f:
                value = f["initial-default"]
            else:
                value = None
            columns[f["name"]] = [value] * table.num_rows
        keys = {fid: (table.column(ids[fid]).to_pylist() if fid in ids else [None] * table.num_rows)
                for fids, _ in eq_sets for fid in fids}
        for i in range(table.num_rows):
            if i in deleted:
                continue
            if any(tuple(keys[fid][i] for fid in fids) in keyset for fids, keyset in eq_sets):
                continue
            rows.append({name: values[i] for name, values in columns.items()})
    return rows
