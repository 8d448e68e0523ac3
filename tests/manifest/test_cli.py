"""`ice manifests` and `ice files` on every complete table of the corpus
(with --path-map for the writers' locations), compared with what fastavro
reads from the same manifest lists and manifests: every manifest list field,
partition summaries and bounds decoded here from their bytes, and every live
data and delete file with inheritance applied here by the spec's rules."""
import json

import pytest

from manifest_support import ice, ice_ok, one_line_error, path_maps, rewrite, table_index, fixtures
from iceberg_avro import (DATA_FILE_IDS, check_bound, fields_by_id, parse_type, partition_value, read_avro,
                          result_type, same_value, from_ice_json)

# Tables whose current metadata no reader accepts (tests/cli/test_inspect.py).
UNREADABLE = {"tables/duckdb-iceberg/equality_delete_cross_partition/warehouse/ns/t": "out of the 64-bit range"}
TABLES = [t["table"] for t in table_index()["tables"]]


def metadata_of(table):
    return json.loads(ice_ok("metadata", "--compact", fixtures() / table).out)


def current_snapshot(md):
    cur = md.get("current-snapshot-id")
    for s in md.get("snapshots", []):
        if s["snapshot-id"] == cur:
            return s
    return None


def types_by_id(md):
    """Field types by id: current schema first, then older ones (newest first)."""
    schemas = md.get("schemas") or [md["schema"]]
    cur = md.get("current-schema-id", schemas[0].get("schema-id", 0))
    ordered = [s for s in schemas if s.get("schema-id", 0) == cur] + list(reversed(schemas))
    out = {}
    for s in ordered:
        for k, v in fields_by_id(s).items():
            out.setdefault(k, v)
    return out


def spec_types(md, spec_id):
    specs = md.get("partition-specs") or [{"spec-id": 0, "fields": md.get("partition-spec", [])}]
    current = fields_by_id(next(s for s in (md.get("schemas") or [md["schema"]])
                                if s.get("schema-id", 0) == md.get("current-schema-id", 0)))
    for s in specs:
        if s["spec-id"] == spec_id:
            return [(f["name"], f.get("field-id"), result_type(f["transform"], current.get(f["source-id"])))
                    for f in s["fields"]]
    return None


def test_corpus_has_tables():
    assert len(TABLES) >= 60


@pytest.mark.parametrize("table", TABLES)
def test_manifests_match_fastavro(table):
    if table in UNREADABLE:
        one_line_error(ice(*path_maps(), "manifests", fixtures() / table), UNREADABLE[table])
        return
    md = metadata_of(table)
    got = ice_ok(*path_maps(), "--json", "manifests", fixtures() / table).json()
    snap = current_snapshot(md)
    if snap is None:
        assert got["snapshot_id"] is None and got["manifests"] == []
        return
    assert got["snapshot_id"] == snap["snapshot-id"]
    if "manifest-list" not in snap:
        assert len(got["manifests"]) == len(snap["manifests"])
        return
    assert got["manifest_list"] == snap["manifest-list"]
    meta, schema, records = read_avro(rewrite(snap["manifest-list"]))
    assert len(got["manifests"]) == len(records)
    for i, (rec, mf) in enumerate(zip(records, got["manifests"])):
        where = f"{table}: manifest {i}"
        assert mf["manifest_path"] == rec["manifest_path"], where
        assert mf["manifest_length"] == rec["manifest_length"], where
        assert mf["partition_spec_id"] == rec["partition_spec_id"], where
        assert mf["content"] == (rec.get("content") or 0), where
        assert mf["sequence_number"] == (rec.get("sequence_number") or 0), where
        assert mf["min_sequence_number"] == (rec.get("min_sequence_number") or 0), where
        assert mf["added_snapshot_id"] == rec.get("added_snapshot_id"), where
        for name in ("added", "existing", "deleted"):
            want = rec.get(f"{name}_files_count", rec.get(f"{name}_data_files_count"))
            assert mf[f"{name}_files_count"] == want, f"{where}: {name}_files_count"
            assert mf[f"{name}_rows_count"] == rec.get(f"{name}_rows_count"), f"{where}: {name}_rows_count"
        assert mf["first_row_id"] == rec.get("first_row_id"), where
        assert mf["key_metadata"] == (rec["key_metadata"].hex() if rec.get("key_metadata") else None), where
        parts = rec.get("partitions")
        if parts is None:
            assert mf["partitions"] is None, where
            continue
        assert len(mf["partitions"]) == len(parts), where
        types = spec_types(md, rec["partition_spec_id"]) or []
        for k, (p, s) in enumerate(zip(parts, mf["partitions"])):
            assert s["contains_null"] == p["contains_null"], where
            assert s["contains_nan"] == p.get("contains_nan"), where
            t = types[k][2] if k < len(types) else None
            for b in ("lower_bound", "upper_bound"):
                if p.get(b) is None:
                    assert s[b] is None, f"{where}: {b}"
                else:
                    check_bound(t, p[b], s[b], f"{where}: partition {k} {b}")


def expected_files(md, snap, content="all"):
    """Live files of a snapshot as fastavro reads them, inheritance applied here."""
    out = []
    _, _, lists = read_avro(rewrite(snap["manifest-list"]))
    for mf in lists:
        mf_content = mf.get("content") or 0
        if content == "data" and mf_content != 0 or content == "deletes" and mf_content != 1:
            continue
        mf_seq = mf.get("sequence_number") or 0
        next_row_id = mf.get("first_row_id")
        meta, schema, entries = read_avro(rewrite(mf["manifest_path"]))
        v1 = meta.get("format-version") == "1"
        for e in entries:
            df = dict(e["data_file"])
            status = e["status"]
            snapshot_id = e.get("snapshot_id")
            if snapshot_id is None:
                snapshot_id = mf.get("added_snapshot_id")
            seqs = []
            for k in ("sequence_number", "file_sequence_number"):
                v = e.get(k)
                if v is None and (status == 1 or mf_seq == 0):
                    v = mf_seq
                if v is None and v1:
                    v = 0
                seqs.append(v)
            first = df.get("first_row_id")
            if first is None and next_row_id is not None and (df.get("content") or 0) == 0 and status != 2:
                first = next_row_id
                next_row_id += df["record_count"]
            if status == 2:
                continue
            file_content = df.get("content") or 0
            if content == "data" and file_content != 0 or content == "deletes" and file_content == 0:
                continue
            out.append((mf["manifest_path"], status, snapshot_id, seqs[0], seqs[1], first, df, schema))
    return out


def _partition_fields(schema):
    entry = schema
    data_file = next(f for f in entry["fields"] if f["name"] == "data_file")["type"]
    data_file = data_file if isinstance(data_file, dict) else next(t for t in data_file if t != "null")
    part = next((f for f in data_file["fields"] if f["name"] == "partition"), None)
    if part is None:
        return []
    ptype = part["type"] if isinstance(part["type"], dict) else next(t for t in part["type"] if t != "null")
    return ptype["fields"]


@pytest.mark.parametrize("table", TABLES)
def test_files_match_fastavro(table):
    if table in UNREADABLE:
        return
    md = metadata_of(table)
    snap = current_snapshot(md)
    got = ice_ok(*path_maps(), "--json", "files", fixtures() / table).json()
    if snap is None or "manifest-list" not in snap:
        assert snap is not None or got == []
        return
    want = expected_files(md, snap)
    assert len(got) == len(want), table
    types = types_by_id(md)
    for i, (g, w) in enumerate(zip(got, want)):
        manifest, status, snapshot_id, seq, file_seq, first, df, schema = w
        e, gdf = g["entry"], g["entry"]["data_file"]
        where = f"{table}: file {i} ({df['file_path']})"
        assert g["manifest_path"] == manifest, where
        assert (e["status"], e["snapshot_id"]) == (status, snapshot_id), where
        assert (e["sequence_number"], e["file_sequence_number"]) == (seq, file_seq), where
        assert gdf["file_path"] == df["file_path"] and gdf["file_format"] == df["file_format"], where
        assert gdf["content"] == (df.get("content") or 0), where
        assert (gdf["record_count"], gdf["file_size_in_bytes"]) == (df["record_count"], df["file_size_in_bytes"])
        assert gdf["first_row_id"] == first, where
        for k in ("sort_order_id", "referenced_data_file", "content_offset", "content_size_in_bytes",
                  "split_offsets", "equality_ids"):
            assert gdf[k] == df.get(k), f"{where}: {k}"
        for k in ("column_sizes", "value_counts", "null_value_counts", "nan_value_counts"):
            m = df.get(k)
            want_map = None if m is None else {str(x["key"]): x["value"] for x in m if x is not None}
            assert gdf[k] == want_map, f"{where}: {k}"
        for k in ("lower_bounds", "upper_bounds"):
            m = df.get(k)
            if m is None:
                assert gdf[k] is None, f"{where}: {k}"
                continue
            assert set(gdf[k]) == {str(x["key"]) for x in m if x is not None}, f"{where}: {k}"
            for x in m:
                if x is not None:
                    check_bound(types.get(x["key"]), x["value"], gdf[k][str(x["key"])], f"{where}: {k}[{x['key']}]")
        # Partition values by spec field, typed by the spec.
        spec = spec_types(md, gdf["spec_id"]) or []
        raw = df.get("partition") or {}
        avro_fields = _partition_fields(schema)
        assert list(gdf["partition"]) == [name for name, _, _ in spec], where
        for name, fid, t in spec:
            af = next((f for f in avro_fields if f.get("field-id") == fid), None) or \
                next((f for f in avro_fields if f["name"] == name), None)
            rv = raw.get(af["name"]) if af else None
            shown = gdf["partition"][name]
            if rv is None:
                assert shown is None, f"{where}: partition {name}"
                continue
            want_v = partition_value(t, rv)
            got_v = from_ice_json(t, shown)
            assert same_value(t, want_v, got_v) if t in ("float", "double") else want_v == got_v, \
                f"{where}: partition {name}: {want_v!r} vs {shown!r}"


@pytest.mark.parametrize("content", ["data", "deletes"])
def test_files_content_filter(content):
    table = "tables/iceberg-cxx/deletion_vectors"
    md = metadata_of(table)
    got = ice_ok(*path_maps(), "--json", "files", "--content", content, fixtures() / table).json()
    want = expected_files(md, current_snapshot(md), content)
    assert [g["entry"]["data_file"]["file_path"] for g in got] == [w[6]["file_path"] for w in want]
    assert got, "the table has both kinds of files"


def test_text_output_shows_typed_values():
    table = fixtures() / "tables/iceberg-cxx/identity_partitioning"
    out = ice_ok(*path_maps(), "files", table).out
    assert "col_date=2025-03-03" in out and "col_decimal=3.00" in out
    assert "lower=" in out and "upper=" in out
    out = ice_ok(*path_maps(), "manifests", table).out
    assert "contains_null=" in out and "manifest(s)" in out


def test_snapshot_option_and_errors():
    table = fixtures() / "tables/iceberg-cxx/partition_evolution"
    md = metadata_of("tables/iceberg-cxx/partition_evolution")
    for s in md["snapshots"]:
        got = ice_ok(*path_maps(), "--json", "manifests", "--snapshot", s["snapshot-id"], table).json()
        assert got["snapshot_id"] == s["snapshot-id"]
        files = ice_ok(*path_maps(), "--json", "files", "--snapshot", s["snapshot-id"], table).json()
        assert len(files) == len(expected_files(md, s))
    r = ice(*path_maps(), "manifests", "--snapshot", "12345", table)
    assert r.code == 1
    one_line_error(r, "no snapshot 12345")
    r = ice(*path_maps(), "files", "--content", "nope", table)
    assert r.code == 2
    r = ice(*path_maps(), "files", "--snapshot", "x1", table)
    assert r.code == 2
    # Without the path maps the manifest list cannot be found: one line naming it.
    r = ice("files", table)
    assert r.code == 1
    one_line_error(r, "snap-", ".avro")
