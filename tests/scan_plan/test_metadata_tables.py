"""`ice partitions` and `ice entries` on every complete corpus table,
against the same aggregation and listing computed here from manifests read
with fastavro (inheritance applied by the spec's rules)."""
import collections

import pytest

import plan_support as ps
from test_plan_corpus import TABLES, UNREADABLE


def current(md):
    for s in md.get("snapshots", []):
        if s["snapshot-id"] == md.get("current-snapshot-id"):
            return s
    return None


def expected_partitions(md, snap):
    times = {s["snapshot-id"]: s["timestamp-ms"] for s in md.get("snapshots", [])}
    specs = {s["spec-id"]: s for s in md.get("partition-specs", [])} or {0: {"fields": md.get("partition-spec", [])}}
    parts = collections.defaultdict(lambda: collections.Counter())
    last = {}
    for e in ps.all_entries(md, snap):
        if e["status"] == 2:
            continue
        df = e["data_file"]
        # the fields of the spec as the metadata defines it (two corpus tables
        # redefine a spec with fewer fields than their manifests carry)
        names = {f["name"] for f in specs.get(e["spec_id"], {"fields": []})["fields"]}
        key = (e["spec_id"], tuple(sorted((k, v) for k, v in (df.get("partition") or {}).items() if k in names)))
        c = parts[key]
        if e["content"] == 0:
            c["file_count"] += 1
            c["record_count"] += df["record_count"]
            c["total_data_file_size_in_bytes"] += df["file_size_in_bytes"]
        elif e["content"] == 1:
            c["position_delete_file_count"] += 1
            c["position_delete_record_count"] += df["record_count"]
        else:
            c["equality_delete_file_count"] += 1
            c["equality_delete_record_count"] += df["record_count"]
        t = times.get(e["snapshot_id"])
        if t is not None and (key not in last or t > last[key][0]):
            last[key] = (t, e["snapshot_id"])
    rows = []
    for key, c in parts.items():
        row = {k: c[k] for k in ("record_count", "file_count", "total_data_file_size_in_bytes",
                                  "position_delete_file_count", "position_delete_record_count",
                                  "equality_delete_file_count", "equality_delete_record_count")}
        row["spec_id"] = key[0]
        row["last_updated_ms"], row["last_updated_snapshot_id"] = last.get(key, (None, None))
        rows.append(row)
    return rows


def canon(rows):
    return sorted(tuple(sorted(r.items())) for r in rows)


@pytest.mark.parametrize("table", [t for t in TABLES if t not in UNREADABLE])
def test_partitions_and_entries(table):
    path = ps.fixtures() / table
    md = ps.metadata_of(path)
    snap = current(md)
    got = ps.ice_ok(*ps.path_maps(), "--json", "partitions", path).json()
    if snap is None:
        assert got == []
        assert ps.ice_ok(*ps.path_maps(), "--json", "entries", path).json() == []
        return
    mine = [{k: v for k, v in r.items() if k != "partition"} for r in got]
    assert canon(mine) == canon(expected_partitions(md, snap))
    # rows come ordered by spec
    assert [r["spec_id"] for r in got] == sorted(r["spec_id"] for r in got)

    expected = list(ps.all_entries(md, snap))
    every = ps.ice_ok(*ps.path_maps(), "--json", "entries", "--all", path).json()
    assert len(every) == len(expected)
    for got_e, exp in zip(every, expected):
        e = got_e["entry"]
        assert e["status"] == exp["status"]
        assert e["data_file"]["file_path"] == exp["data_file"]["file_path"]
        assert e["data_file"]["content"] == exp["content"]
        assert e.get("snapshot_id") == exp["snapshot_id"]
        assert e.get("sequence_number") == exp["sequence_number"], e["data_file"]["file_path"]
        assert e.get("file_sequence_number") == exp["file_sequence_number"], e["data_file"]["file_path"]
    live = ps.ice_ok(*ps.path_maps(), "--json", "entries", path).json()
    assert [x["entry"]["data_file"]["file_path"] for x in live] == \
        [x["data_file"]["file_path"] for x in expected if x["status"] != 2]


def test_text_forms():
    t = ps.fixtures() / "tables" / "iceberg-cxx" / "partition_evolution"
    out = ps.ice_ok(*ps.path_maps(), "partitions", t).out.splitlines()
    assert out[0].split()[:3] == ["spec", "records", "files"]
    assert out[-1] == "7 partition(s)"
    assert "{c1=1, c2=2025-03-02}" in out[1]
    out = ps.ice_ok(*ps.path_maps(), "entries", "--all", t).out.splitlines()
    assert out[0].split()[:2] == ["status", "snapshot"]
    assert out[-1].endswith("entries")
    r = ps.ice(*ps.path_maps(), "partitions", "--snapshot", "5", t)
    assert r.code == 1 and "no snapshot 5" in r.err
    assert ps.ice("entries").code == 2
