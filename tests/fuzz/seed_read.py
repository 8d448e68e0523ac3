#!/usr/bin/env python3
"""Seeds for the fuzz targets of reading: tests/fuzz/corpus/{puffin,dv,name-mapping}.

    .venv/bin/python tests/fuzz/seed_read.py

Puffin files and deletion vectors are written here from the Puffin spec with
an independent Roaring serializer (array, bitmap and run containers, several
32-bit keys), zstd and lz4 blobs and an LZ4-framed footer (pyarrow's
codecs). Name mappings are derived from every schema of the fixture tables'
metadata (field names and ids, with aliases added), plus a few hand-written
shapes. The fixture Puffin files themselves are replayed in place
(tests/fuzz/meson.build); nothing is copied from the corpus. Output is
deterministic, so rerunning the script changes nothing.
"""
import glob
import json
import os
import pathlib
import struct
import zlib

import pyarrow as pa

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = pathlib.Path(os.environ.get("ICE_FIXTURES", HERE / ".." / ".." / ".." / "shared" / "fixtures")).resolve()


def roaring32(values):
    """A standard 32-bit Roaring bitmap of sorted distinct values < 2^32."""
    containers = {}
    for v in values:
        containers.setdefault(v >> 16, []).append(v & 0xFFFF)
    keys = sorted(containers)
    kinds = []
    for k in keys:
        vals = containers[k]
        runs = []
        for v in vals:
            if runs and runs[-1][1] + 1 == v:
                runs[-1][1] = v
            else:
                runs.append([v, v])
        plain = 2 * len(vals) if len(vals) <= 4096 else 8192
        kinds.append(("run", runs) if 2 + 4 * len(runs) < plain else ("array" if len(vals) <= 4096 else "bitmap", vals))
    has_run = any(k == "run" for k, _ in kinds)
    n = len(keys)
    out = bytearray()
    if has_run:
        out += struct.pack("<I", 12347 | ((n - 1) << 16))
        flags = bytearray((n + 7) // 8)
        for i, (kind, _) in enumerate(kinds):
            if kind == "run":
                flags[i // 8] |= 1 << (i % 8)
        out += flags
    else:
        out += struct.pack("<II", 12346, n)
    for k in keys:
        out += struct.pack("<HH", k, len(containers[k]) - 1)
    bodies = []
    for kind, data in kinds:
        if kind == "run":
            body = struct.pack("<H", len(data)) + b"".join(struct.pack("<HH", s, e - s) for s, e in data)
        elif kind == "array":
            body = b"".join(struct.pack("<H", v) for v in data)
        else:
            words = [0] * 1024
            for v in data:
                words[v >> 6] |= 1 << (v & 63)
            body = b"".join(struct.pack("<Q", w) for w in words)
        bodies.append(body)
    if not has_run or n >= 4:
        pos = len(out) + 4 * n
        for body in bodies:
            out += struct.pack("<I", pos)
            pos += len(body)
    for body in bodies:
        out += body
    return bytes(out)


def deletion_vector(positions):
    """A deletion-vector-v1 blob: length, magic, 64-bit portable bitmap, CRC."""
    by_key = {}
    for p in sorted(set(positions)):
        by_key.setdefault(p >> 32, []).append(p & 0xFFFFFFFF)
    bitmap = struct.pack("<Q", len(by_key))
    for k in sorted(by_key):
        bitmap += struct.pack("<I", k) + roaring32(by_key[k])
    body = b"\xD1\xD3\x39\x64" + bitmap
    return struct.pack(">I", len(body)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def puffin(blobs, compress_footer=False, properties=None):
    """A Puffin file: blobs is a list of (metadata dict, bytes, codec)."""
    out = bytearray(b"PFA1")
    metas = []
    for meta, data, codec in blobs:
        stored = data
        if codec:
            stored = pa.compress(data, codec="lz4" if codec == "lz4" else "zstd", asbytes=True)
        m = dict(meta, offset=len(out), length=len(stored))
        if codec:
            m["compression-codec"] = codec
        metas.append(m)
        out += stored
    footer = {"blobs": metas}
    if properties:
        footer["properties"] = properties
    payload = json.dumps(footer, separators=(",", ":")).encode()
    if compress_footer:
        payload = pa.compress(payload, codec="lz4", asbytes=True)
    out += b"PFA1" + payload + struct.pack("<iI", len(payload), 1 if compress_footer else 0) + b"PFA1"
    return bytes(out)


def vector_sets():
    return {
        "array": [1, 3, 5, 7, 9, 100000],
        "run": list(range(65536 + 1, 65536 + 1000)),
        "bitmap": [i * 3 for i in range(7000)],
        "keys": [5, (1 << 32) + 10, (1 << 32) + 20, (7 << 32) + 65535],
        "mixed": [2, 4] + list(range(70000, 70500)) + [i * 2 for i in range(131072, 131072 + 9000)] + [(3 << 32) + 1],
        "empty": [],
    }


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def dv_meta(name):
    return {"type": "deletion-vector-v1", "fields": [2147483645], "snapshot-id": -1, "sequence-number": -1,
            "properties": {"referenced-data-file": f"s3://bucket/data/{name}.parquet"}}


def main():
    corpus = HERE / "corpus"
    sets = vector_sets()
    for name, positions in sets.items():
        blob = deletion_vector(positions)
        write(corpus / "dv" / f"{name}.bin", blob)
        meta = dv_meta(name)
        meta["properties"]["cardinality"] = str(len(set(positions)))
        write(corpus / "puffin" / f"dv-{name}.puffin", puffin([(meta, blob, None)]))
    blobs = []
    for name, positions in sets.items():
        meta = dv_meta(name)
        meta["properties"]["cardinality"] = str(len(set(positions)))
        blobs.append((meta, deletion_vector(positions), None))
    write(corpus / "puffin" / "dv-all-lz4-footer.puffin", puffin(blobs, True, {"created-by": "seed_read.py"}))
    sketch = {"type": "apache-datasketches-theta-v1", "fields": [1, 2], "snapshot-id": 7, "sequence-number": 3,
              "properties": {"ndv": "42"}}
    payload = bytes(range(256)) * 8
    write(corpus / "puffin" / "codecs.puffin",
          puffin([(sketch, payload, "zstd"), (sketch, payload, "lz4"), (sketch, b"", None)], True))
    write(corpus / "puffin" / "empty.puffin", puffin([], False))

    # name mappings derived from the fixture tables' schemas
    seen = set()
    for path in sorted(glob.glob(str(FIXTURES / "tables" / "**" / "*.metadata.json"), recursive=True)):
        try:
            doc = json.load(open(path))
        except (ValueError, UnicodeDecodeError):
            continue
        for schema in doc.get("schemas", []) + ([doc["schema"]] if "schema" in doc else []):
            mapping = mapping_of(schema)
            text = json.dumps(mapping, separators=(",", ":"), sort_keys=True)
            if text in seen:
                continue
            seen.add(text)
            write(corpus / "name-mapping" / f"schema-{len(seen):03d}.json", text.encode())
    hand = [
        [],
        [{"names": ["a", "A", "col_a"], "field-id": 1}, {"names": [], "field-id": 2}, {"names": ["extra"]}],
        [{"names": ["p"], "field-id": 3, "fields": [{"names": ["x.y"], "field-id": 4},
                                                     {"names": ["l"], "field-id": 5, "fields": [{"names": ["element"], "field-id": 6}]}]}],
        {"type": "struct", "fields": [{"field-id": 1, "names": ["a"]}]},
    ]
    for i, m in enumerate(hand):
        write(corpus / "name-mapping" / f"hand-{i}.json", json.dumps(m).encode())


def mapping_of(schema):
    def fields_of(t):
        if not isinstance(t, dict):
            return None
        if t.get("type") == "struct":
            return [field(f["id"], [f["name"], f["name"].upper()], f["type"]) for f in t.get("fields", [])]
        if t.get("type") == "list":
            return [field(t["element-id"], ["element"], t["element"])]
        if t.get("type") == "map":
            return [field(t["key-id"], ["key"], t["key"]), field(t["value-id"], ["value"], t["value"])]
        return None

    def field(fid, names, t):
        f = {"field-id": fid, "names": sorted(set(names))}
        sub = fields_of(t)
        if sub:
            f["fields"] = sub
        return f

    return fields_of(schema) or []


if __name__ == "__main__":
    main()
