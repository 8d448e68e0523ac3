"""What ice writes, read by fastavro: for manifests and manifest lists of
format v1, v2 and v3, every codec, data and delete manifests, the records
fastavro reads equal what the test asked ice to write (with metrics modes,
truncation and inheritance worked out here, independently), the Avro schema
has the spec's field ids (field-id, element-id, key and value ids in map
records, partition field ids from 1000) and the header has the spec's keys."""
import decimal
import json
import struct
import uuid

import pytest

from manifest_support import fixtures, tool, tool_ok
from iceberg_avro import (DATA_FILE_FIELDS, DATA_FILE_IDS, ENTRY_FIELDS, ENTRY_IDS, LIST_FIELDS, LIST_IDS, MAP_IDS,
                          MANIFEST_FILE_IDS, REQUIRED_DATA_FILE, REQUIRED_LIST, SUMMARY_IDS, from_ice_json, is_optional,
                          non_null, parse_type, partition_value, read_avro, result_type, same_value, WIDE, EPOCH)

SCHEMA = {"type": "struct", "schema-id": 4, "fields": [
    {"id": 1, "name": "id", "required": True, "type": "long"},
    {"id": 2, "name": "name", "required": False, "type": "string"},
    {"id": 3, "name": "ts", "required": False, "type": "timestamptz"},
    {"id": 4, "name": "price", "required": False, "type": "decimal(9,2)"},
    {"id": 5, "name": "day", "required": False, "type": "date"},
    {"id": 6, "name": "flag", "required": False, "type": "boolean"},
    {"id": 7, "name": "ratio", "required": False, "type": "double"},
    {"id": 8, "name": "key", "required": False, "type": "uuid"},
    {"id": 9, "name": "blob", "required": False, "type": "binary"},
    {"id": 10, "name": "code", "required": False, "type": "fixed[3]"},
    {"id": 11, "name": "at", "required": False, "type": "time"},
    {"id": 12, "name": "n", "required": False, "type": "int"},
    {"id": 13, "name": "f", "required": False, "type": "float"},
    {"id": 14, "name": "local", "required": False, "type": "timestamp"},
]}
SPEC = {"spec-id": 3, "fields": [
    {"name": "ts_day", "transform": "day", "source-id": 3, "field-id": 1000},
    {"name": "name", "transform": "identity", "source-id": 2, "field-id": 1001},
    {"name": "id_bucket", "transform": "bucket[16]", "source-id": 1, "field-id": 1002},
    {"name": "price", "transform": "identity", "source-id": 4, "field-id": 1003},
    {"name": "key", "transform": "identity", "source-id": 8, "field-id": 1004},
    {"name": "code", "transform": "identity", "source-id": 10, "field-id": 1005},
    {"name": "ratio", "transform": "identity", "source-id": 7, "field-id": 1006},
    {"name": "at", "transform": "identity", "source-id": 11, "field-id": 1007},
    {"name": "name-trunc", "transform": "truncate[2]", "source-id": 2, "field-id": 1008},
    {"name": "local", "transform": "identity", "source-id": 14, "field-id": 1009},
]}
TYPES = {f["id"]: parse_type(f["type"]) for f in SCHEMA["fields"]}
PART_TYPES = [result_type(f["transform"], TYPES[f["source-id"]]) for f in SPEC["fields"]]


def data_file(i, content=0, **extra):
    d = {
        "content": content, "file_path": f"s3://bucket/t/data/{i:05d}.parquet", "file_format": "PARQUET",
        "partition": ["2024-03-0%d" % (1 + i % 3), "n%d" % i if i % 4 else None, i % 16, "1%d.25" % i,
                      "f79c3e09-677c-4bbd-a479-3f349cb785e7", "0a0b0c", 0.5 * i, "01:02:03.000004",
                      "n%d" % (i % 2), "2024-01-01T00:00:00.000001"],
        "record_count": 100 + i, "file_size_in_bytes": 4096 + i,
        "column_sizes": {"1": 10 * i, "2": 20}, "value_counts": {"1": 100 + i, "2": 100 + i},
        "null_value_counts": {"1": 0, "2": i}, "nan_value_counts": {"7": 1},
        "lower_bounds": {"1": {"value": -i}, "2": {"value": "a name that is far longer than sixteen"},
                         "4": {"value": "-1.50"}, "5": {"value": "2024-02-29"}, "6": {"value": False},
                         "7": {"value": -0.0}, "8": {"value": "00000000-0000-4000-8000-000000000000"},
                         "9": {"value": "00ff" * 12}, "10": {"value": "000000"}, "11": {"value": "00:00:00"},
                         "12": {"value": -7}, "13": {"value": 1.5}, "3": "0011223344556677"},
        "upper_bounds": {"1": {"value": i}, "2": {"value": "zz\U0010ffff\U0010ffff" * 6},
                         "4": {"value": "99.99"}, "5": {"value": "2024-03-01"}, "6": {"value": True},
                         "7": {"value": 3.25}, "8": {"value": "ffffffff-ffff-4fff-bfff-ffffffffffff"},
                         "9": {"value": "ff" * 20}, "10": {"value": "ffffff"}, "11": {"value": "23:59:59.999999"},
                         "12": {"value": 7}, "13": {"value": 2.5}},
        "key_metadata": "cafe" if i % 2 else None, "split_offsets": [4, 1000 + i], "sort_order_id": 1,
    }
    d.update(extra)
    return d


def entries(version, content="data"):
    """Added (left to inheritance), existing, deleted, and added with an explicit data sequence number."""
    if content == "data":
        files = [data_file(i) for i in range(4)]
        if version == 3:
            files[2]["first_row_id"] = 5000
    else:
        files = [data_file(0, content=1, referenced_data_file="s3://bucket/t/data/00001.parquet",
                           sort_order_id=None, split_offsets=None),
                 data_file(1, content=2, equality_ids=[1, 2]),
                 data_file(2, content=1, split_offsets=None, sort_order_id=None),
                 data_file(3, content=2, equality_ids=[2])]
        if version == 3:
            files[0].update(file_format="PUFFIN", content_offset=4, content_size_in_bytes=60)
    return [
        {"status": 1, "snapshot_id": None, "sequence_number": None, "file_sequence_number": None, "data_file": files[0]},
        {"status": 0, "snapshot_id": 70, "sequence_number": 4, "file_sequence_number": 5, "data_file": files[1]},
        {"status": 2, "snapshot_id": 71, "sequence_number": 3, "file_sequence_number": 3, "data_file": files[2]},
        {"status": 1, "snapshot_id": 99, "sequence_number": 2, "file_sequence_number": None, "data_file": files[3]},
    ]


# ---- the independent side: encoding, truncation, metrics modes -----------------------


def encode(t, v):
    """Appendix D binary single-value serialization of a JSON single value."""
    if isinstance(t, tuple) and t[0] == "decimal":
        unscaled = int(decimal.Decimal(v).scaleb(t[2], WIDE))
        n = 1
        while True:
            try:
                return unscaled.to_bytes(n, "big", signed=True)
            except OverflowError:
                n += 1
    if isinstance(t, tuple) and t[0] == "fixed" or t == "binary":
        return bytes.fromhex(v)
    py = from_ice_json(t, v)
    if t == "boolean":
        return b"\x01" if v else b"\x00"
    if t == "int":
        return struct.pack("<i", v)
    if t == "long":
        return struct.pack("<q", v)
    if t == "float":
        return struct.pack("<f", v)
    if t == "double":
        return struct.pack("<d", v)
    if t == "date":
        return struct.pack("<i", (py - EPOCH.date()).days)
    if t in ("time", "timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns"):
        return struct.pack("<q", py[1])
    if t == "string":
        return v.encode()
    if t == "uuid":
        return uuid.UUID(v).bytes
    raise AssertionError(t)


def truncate(t, b: bytes, n, upper):
    if t == "string":
        cps = b.decode()
        if len(cps) <= n:
            return b
        if not upper:
            return cps[:n].encode()
        for i in range(n - 1, -1, -1):
            c = ord(cps[i]) + 1
            if 0xD800 <= c <= 0xDFFF:
                c = 0xE000
            if c <= 0x10FFFF:
                return (cps[:i] + chr(c)).encode()
        return None
    if len(b) <= n:
        return b
    if not upper:
        return b[:n]
    for i in range(n - 1, -1, -1):
        if b[i] != 0xFF:
            return b[:i] + bytes([b[i] + 1])
    return None


def mode_of(props, fid):
    names = {f["id"]: f["name"] for f in SCHEMA["fields"]}
    m = props.get(f"write.metadata.metrics.column.{names.get(fid)}", props.get("write.metadata.metrics.default",
                                                                              "truncate(16)"))
    return m.replace(" ", "").lower()


def expected_data_file(df, version, props, apply):
    out = {"file_path": df["file_path"], "file_format": df["file_format"], "record_count": df["record_count"],
           "file_size_in_bytes": df["file_size_in_bytes"]}
    if version >= 2:
        out["content"] = df["content"]
    else:
        out["block_size_in_bytes"] = 67108864

    def mode(fid):
        return mode_of(props, int(fid)) if apply else "full"

    for k in ("column_sizes", "value_counts", "null_value_counts", "nan_value_counts"):
        m = df.get(k)
        out[k] = None if m is None else [{"key": int(f), "value": v} for f, v in m.items()
                                        if k == "column_sizes" or mode(f) != "none"]
    for k in ("lower_bounds", "upper_bounds"):
        m = df.get(k)
        if m is None:
            out[k] = None
            continue
        items = []
        for f, v in m.items():
            t = TYPES[int(f)]
            b = bytes.fromhex(v) if isinstance(v, str) else encode(t, v["value"])
            md = mode(f)
            if md in ("none", "counts"):
                continue
            if md.startswith("truncate(") and t in ("string", "binary"):
                b = truncate(t, b, int(md[9:-1]), k == "upper_bounds")
                if b is None:
                    continue
            items.append({"key": int(f), "value": b})
        out[k] = items
    out["key_metadata"] = bytes.fromhex(df["key_metadata"]) if df.get("key_metadata") else None
    out["split_offsets"] = df.get("split_offsets")
    out["sort_order_id"] = df.get("sort_order_id")
    if version >= 2:
        out["equality_ids"] = df.get("equality_ids")
        out["referenced_data_file"] = df.get("referenced_data_file")
    if version >= 3:
        for k in ("first_row_id", "content_offset", "content_size_in_bytes"):
            out[k] = df.get(k)
    return out


# ---- checking the Avro schema ---------------------------------------------------------------


def check_partition_avro(avro_type):
    rec = non_null(avro_type)
    assert rec["type"] == "record" and rec["name"] == "r102"
    assert [f["field-id"] for f in rec["fields"]] == [f["field-id"] for f in SPEC["fields"]]
    for f, t in zip(rec["fields"], PART_TYPES):
        assert is_optional(f["type"]) and f["default"] is None
        a = non_null(f["type"])
        want = {"int": "int", "long": "long", "string": "string", "double": "double", "boolean": "boolean"}
        if t in want:
            assert a == want[t]
        elif t == "date":
            assert a == {"type": "int", "logicalType": "date"}
        elif t == "time":
            assert a == {"type": "long", "logicalType": "time-micros"}
        elif t in ("timestamp", "timestamptz"):
            assert a == {"type": "long", "logicalType": "timestamp-micros", "adjust-to-utc": t == "timestamptz"}
        elif t == "uuid":
            assert a["type"] == "fixed" and a["size"] == 16 and a["logicalType"] == "uuid"
        elif t[0] == "fixed":
            assert a["type"] == "fixed" and a["size"] == t[1]
        elif t[0] == "decimal":
            assert a["type"] == "fixed" and a["logicalType"] == "decimal" and a["size"] == 4
            assert (a["precision"], a["scale"]) == (t[1], t[2])
    # invalid Avro names are sanitized as the reference implementation does
    assert rec["fields"][8]["name"] == "name_x2Dtrunc"


def check_manifest_schema(schema, version):
    assert schema["type"] == "record" and schema["name"] == "manifest_entry"
    assert [f["name"] for f in schema["fields"]] == ENTRY_FIELDS[min(version, 2) if version < 3 else 3]
    for f in schema["fields"]:
        assert f["field-id"] == ENTRY_IDS[f["name"]], f
        required = f["name"] in ("status", "data_file") or (f["name"] == "snapshot_id" and version == 1)
        assert is_optional(f["type"]) != required, f
    df = next(f for f in schema["fields"] if f["name"] == "data_file")["type"]
    assert df["type"] == "record"
    assert {f["name"] for f in df["fields"]} == DATA_FILE_FIELDS[version]
    for f in df["fields"]:
        assert f["field-id"] == DATA_FILE_IDS[f["name"]], f
        assert is_optional(f["type"]) != (f["name"] in REQUIRED_DATA_FILE[version]), f
        t = non_null(f["type"])
        if f["name"] in MAP_IDS:
            assert t["type"] == "array" and t["logicalType"] == "map"
            kv = t["items"]
            assert [x["name"] for x in kv["fields"]] == ["key", "value"]
            assert (kv["fields"][0]["field-id"], kv["fields"][1]["field-id"]) == MAP_IDS[f["name"]]
            assert kv["fields"][0]["type"] == "int"
            assert kv["fields"][1]["type"] == ("bytes" if "bounds" in f["name"] else "long")
        if f["name"] in LIST_IDS:
            assert t["type"] == "array" and t["element-id"] == LIST_IDS[f["name"]]
            assert t["items"] == ("long" if f["name"] == "split_offsets" else "int")
        if f["name"] == "partition":
            check_partition_avro(f["type"])


def check_list_schema(schema, version):
    assert schema["type"] == "record" and schema["name"] == "manifest_file"
    assert [f["name"] for f in schema["fields"]] == LIST_FIELDS[version]
    for f in schema["fields"]:
        assert f["field-id"] == MANIFEST_FILE_IDS[f["name"]], f
        assert is_optional(f["type"]) != (f["name"] in REQUIRED_LIST[version]), f
    parts = non_null(next(f for f in schema["fields"] if f["name"] == "partitions")["type"])
    assert parts["type"] == "array" and parts["element-id"] == 508
    summary = parts["items"]
    assert [(f["name"], f["field-id"]) for f in summary["fields"]] == list(SUMMARY_IDS.items())
    assert summary["fields"][0]["type"] == "boolean"
    assert all(is_optional(f["type"]) for f in summary["fields"][1:])


# ---- manifests ------------------------------------------------------------------------


def write(tmp, intent, name="out.avro"):
    path = tmp / "intent.json"
    path.write_text(json.dumps(intent))
    out = tmp / name
    r = tool_ok("write", path, out)
    return out, json.loads(r.out)


CASES = [(v, c, codec) for v in (1, 2, 3) for c in ("data", "deletes") if not (v == 1 and c == "deletes")
         for codec in (None, "null", "snappy", "zstandard")]


@pytest.mark.parametrize("version,content,codec", CASES)
def test_manifest_as_fastavro_reads_it(tmp_path, version, content, codec):
    props = {"write.metadata.metrics.default": "truncate(4)", "write.metadata.metrics.column.id": "counts",
             "write.metadata.metrics.column.ratio": "none", "write.metadata.metrics.column.day": "full"}
    intent = {"kind": "manifest", "format_version": version, "content": content, "snapshot_id": 99,
              "schema": SCHEMA, "spec": SPEC, "properties": props, "entries": entries(version, content)}
    if codec:
        intent["codec"] = codec
    out, result = write(tmp_path, intent)
    meta, schema, records = read_avro(out)

    # header keys
    assert meta["avro.codec"] == (codec or "deflate")
    def norm(fields):
        return [dict(f, type=parse_type(f["type"].replace(" ", ""))) for f in fields]
    assert norm(json.loads(meta["schema"])["fields"]) == norm(SCHEMA["fields"])
    assert meta["schema-id"] == "4"
    assert json.loads(meta["partition-spec"]) == SPEC["fields"]
    assert meta["partition-spec-id"] == "3"
    assert meta["format-version"] == str(version)
    if version >= 2:
        assert meta["content"] == content
    else:
        assert "content" not in meta
    assert json.loads(meta["iceberg.schema"])["type"] == "struct"
    check_manifest_schema(schema, version)

    # records
    assert len(records) == len(intent["entries"])
    for i, (rec, e) in enumerate(zip(records, intent["entries"])):
        added = e["status"] == 1
        assert rec["status"] == e["status"]
        want_snapshot = e["snapshot_id"] if e["snapshot_id"] is not None else (99 if version == 1 else None)
        assert rec["snapshot_id"] == want_snapshot, i
        if version >= 2:
            assert rec["sequence_number"] == e["sequence_number"], i
            assert rec["file_sequence_number"] == e["file_sequence_number"], i
        df = rec["data_file"]
        want = expected_data_file(e["data_file"], version, props, added)
        for k, v in want.items():
            assert df[k] == v, f"entry {i}: {k}: {df[k]!r} != {v!r}"
        for j, (t, v) in enumerate(zip(PART_TYPES, e["data_file"]["partition"])):
            name = list(df["partition"])[j]
            got = partition_value(t, df["partition"][name])
            want_v = None if v is None else from_ice_json(t, v)
            assert (got is None and want_v is None) or same_value(t, got, want_v), f"entry {i} partition {j}"

    # what the writer returns for the manifest list
    mf = result["manifest_file"]
    assert mf["manifest_path"] == str(out)
    assert mf["manifest_length"] == out.stat().st_size
    assert mf["partition_spec_id"] == 3 and mf["content"] == (0 if content == "data" else 1)
    assert (mf["sequence_number"], mf["min_sequence_number"]) == (-1, 2)
    assert (mf["added_files_count"], mf["existing_files_count"], mf["deleted_files_count"]) == (2, 1, 1)
    files = [e["data_file"] for e in intent["entries"]]
    assert mf["added_rows_count"] == files[0]["record_count"] + files[3]["record_count"]
    assert mf["existing_rows_count"] == files[1]["record_count"]
    assert mf["deleted_rows_count"] == files[2]["record_count"]
    assert len(mf["partitions"]) == len(SPEC["fields"])
    for j, (t, s) in enumerate(zip(PART_TYPES, mf["partitions"])):
        values = [from_ice_json(t, f["partition"][j]) for f in files if f["partition"][j] is not None]
        assert s["contains_null"] == (len(values) < len(files)), j
        assert s["contains_nan"] is False
        lo, hi = from_ice_json(t, s["lower_bound"]), from_ice_json(t, s["upper_bound"])
        key = (lambda x: struct.unpack("<d", struct.pack("<d", x))[0]) if t == "double" else (lambda x: x)
        assert same_value(t, lo, min(values, key=key)) and same_value(t, hi, max(values, key=key)), j


def test_keep_metrics_writes_bounds_as_given(tmp_path):
    props = {"write.metadata.metrics.default": "none"}
    intent = {"kind": "manifest", "format_version": 2, "snapshot_id": 1, "schema": SCHEMA, "spec": SPEC,
              "properties": props, "keep_metrics": True, "entries": entries(2)[:1]}
    out, _ = write(tmp_path, intent)
    _, _, records = read_avro(out)
    want = expected_data_file(intent["entries"][0]["data_file"], 2, props, False)
    assert records[0]["data_file"]["lower_bounds"] == want["lower_bounds"]
    assert len(want["lower_bounds"]) == 13


def test_default_metrics_mode_truncates_to_16(tmp_path):
    intent = {"kind": "manifest", "format_version": 2, "snapshot_id": 1, "schema": SCHEMA, "spec": SPEC,
              "entries": entries(2)[:1]}
    out, _ = write(tmp_path, intent)
    _, _, records = read_avro(out)
    bounds = {x["key"]: x["value"] for x in records[0]["data_file"]["lower_bounds"]}
    assert bounds[2] == "a name that is f".encode()
    assert len(bounds[9]) == 16
    uppers = {x["key"]: x["value"] for x in records[0]["data_file"]["upper_bounds"]}
    assert 9 not in uppers  # twenty 0xff bytes: no upper bound after truncation


def test_writer_refuses_what_does_not_fit(tmp_path):
    bad = entries(2)
    bad[0]["data_file"]["partition"] = bad[0]["data_file"]["partition"][:3]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"kind": "manifest", "format_version": 2, "schema": SCHEMA, "spec": SPEC,
                                "entries": bad}))
    r = tool("write", path, tmp_path / "bad.avro")
    assert r.code == 1 and "partition" in r.err
    assert not (tmp_path / "bad.avro").exists(), "a failed write leaves nothing behind"
    delete_in_data = {"kind": "manifest", "format_version": 2, "schema": SCHEMA, "spec": SPEC,
                      "entries": entries(2, "deletes")}
    path.write_text(json.dumps(delete_in_data))
    r = tool("write", path, tmp_path / "bad.avro")
    assert r.code == 1 and "delete" in r.err
    v1_deletes = dict(delete_in_data, format_version=1, content="deletes")
    path.write_text(json.dumps(v1_deletes))
    r = tool("write", path, tmp_path / "bad.avro")
    assert r.code == 1 and "v1" in r.err


# ---- manifest lists ---------------------------------------------------------------------


def list_intent(version):
    summary = [{"contains_null": True, "contains_nan": False, "lower_bound": "01000000", "upper_bound": "09000000"},
               {"contains_null": False, "contains_nan": None, "lower_bound": None, "upper_bound": None}]
    base = {"manifest_length": 1000, "partition_spec_id": 0, "added_files_count": 2, "existing_files_count": 1,
            "deleted_files_count": 0, "added_rows_count": 10, "existing_rows_count": 5, "deleted_rows_count": 0,
            "partitions": summary}
    ms = [dict(base, manifest_path="s3://b/t/m0.avro", added_snapshot_id=42),
          dict(base, manifest_path="s3://b/t/m1.avro", added_snapshot_id=40, sequence_number=3,
               min_sequence_number=1, key_metadata="beef", partitions=None),
          dict(base, manifest_path="s3://b/t/m2.avro", added_snapshot_id=40, sequence_number=3,
               min_sequence_number=2, first_row_id=7)]
    if version >= 2:
        ms.append(dict(base, manifest_path="s3://b/t/d0.avro", added_snapshot_id=42, content=1))
    if version == 1:
        for m in ms[1:]:
            m["added_files_count"] = None  # v1 counts may be null
    return {"kind": "list", "format_version": version, "snapshot_id": 42,
            "parent_snapshot_id": 41 if version != 2 else None, "sequence_number": 6, "first_row_id": 100,
            "manifests": ms}


@pytest.mark.parametrize("version", [1, 2, 3])
def test_manifest_list_as_fastavro_reads_it(tmp_path, version):
    intent = list_intent(version)
    out, result = write(tmp_path, intent, "list.avro")
    meta, schema, records = read_avro(out)
    assert meta["avro.codec"] == "deflate"
    assert meta["snapshot-id"] == "42"
    assert meta["parent-snapshot-id"] == ("null" if version == 2 else "41")
    assert meta["format-version"] == str(version)
    assert ("sequence-number" in meta) == (version >= 2)
    if version >= 2:
        assert meta["sequence-number"] == "6"
    assert ("first-row-id" in meta) == (version == 3)
    check_list_schema(schema, version)
    next_row_id = 100
    for rec, m in zip(records, intent["manifests"]):
        assert rec["manifest_path"] == m["manifest_path"]
        assert rec["manifest_length"] == 1000 and rec["partition_spec_id"] == 0
        assert rec["added_snapshot_id"] == m["added_snapshot_id"]
        assert rec["added_files_count"] == m["added_files_count"]
        assert rec["existing_rows_count"] == 5
        if m["partitions"] is None:
            assert rec["partitions"] is None
        else:
            assert rec["partitions"] == [
                {k: (bytes.fromhex(v) if isinstance(v, str) else v) for k, v in p.items()} for p in m["partitions"]]
        assert rec["key_metadata"] == (bytes.fromhex(m["key_metadata"]) if m.get("key_metadata") else None)
        if version >= 2:
            # unassigned sequence numbers become the snapshot's
            assert rec["sequence_number"] == m.get("sequence_number", 6)
            assert rec["min_sequence_number"] == m.get("min_sequence_number", 6)
            assert rec["content"] == m.get("content", 0)
        if version == 3:
            if m.get("content") == 1:
                assert rec["first_row_id"] is None
            elif m.get("first_row_id") is not None:
                assert rec["first_row_id"] == m["first_row_id"]
            else:
                assert rec["first_row_id"] == next_row_id
                next_row_id += m["added_rows_count"] + m["existing_rows_count"]
    if version == 3:
        assert result["next_row_id"] == next_row_id == 130


def test_manifest_list_needs_counts_in_v2(tmp_path):
    intent = list_intent(2)
    intent["manifests"][0]["added_rows_count"] = None
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(intent))
    r = tool("write", path, tmp_path / "bad.avro")
    assert r.code == 1 and "count" in r.err
