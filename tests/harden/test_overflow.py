"""Issue 11, item 6: arithmetic on values from input and metadata is
checked. Each case used to overflow (UBSan stops the sanitized binary;
the release build wrapped and committed nonsense) and is now a one-line
error that changes nothing - or, where the value is legal, the right
answer."""
import json
import pathlib

import pyarrow.parquet as pq

import parquet_patch as P
from harden_support import csv_file, edit_metadata, ice, ice_fails, ice_ok, load_metadata, make_table, tree


def refused(t, *args, words=()):
    before = tree(t)
    e = ice_fails(1, *args)
    for w in words:
        assert w in e.err, e.err
    assert tree(t) == before
    return e


def test_date_only_value_out_of_range_for_a_timestamp(tmp_path):
    t = make_table(tmp_path, schema="ts timestamp, tn timestamp_ns", rows=(), version=3)
    for row in ("300000-01-01,2020-01-01", "2020-01-01,3000-01-01"):
        f = csv_file(tmp_path / "a.csv", "ts,tn", [row])
        refused(t, "append", t, f, words=("a.csv: line 2", "out of range"))
    jl = tmp_path / "a.jsonl"
    jl.write_text(json.dumps({"ts": "2020-01-01", "tn": "3000-01-01"}) + "\n")
    refused(t, "append", t, jl, words=("a.jsonl", "out of range"))
    # the largest dates that fit are still taken
    ice_ok("append", t, csv_file(tmp_path / "b.csv", "ts,tn", ["294000-01-01,2262-04-11"]))
    rows = ice_ok("scan", t, "--format", "jsonl").out.splitlines()
    assert json.loads(rows[0]) == {"ts": "+294000-01-01T00:00:00", "tn": "2262-04-11T00:00:00"} or \
        "294000" in rows[0]


def test_last_partition_id_at_the_limit(tmp_path):
    t = make_table(tmp_path)
    edit_metadata(t, lambda md: md.update({"last-partition-id": 2147483647}))
    refused(t, "alter", t, "--add-partition", "s", words=("last-partition-id",))


def test_last_column_id_at_the_limit(tmp_path):
    t = make_table(tmp_path)
    edit_metadata(t, lambda md: md.update({"last-column-id": 2147483647}))
    refused(t, "alter", t, "--add-column", "z int", words=("last-column-id",))
    refused(t, "alter", t, "--add-column", "p struct<a int, b int>", words=("last-column-id",))


def test_last_sequence_number_at_the_limit(tmp_path):
    t = make_table(tmp_path, rows=("1,a",))
    ice_ok("append", t, csv_file(tmp_path / "b.csv", "id,s", ["2,b"]))
    edit_metadata(t, lambda md: md.update({"last-sequence-number": 9223372036854775807}))
    for args in (["append", t, csv_file(tmp_path / "c.csv", "id,s", ["3,c"])],
                 ["delete", t, "--where", "id = 1"],
                 ["delete", t, "--where", "id = 1", "--mode", "merge-on-read"],
                 ["overwrite", t, csv_file(tmp_path / "d.csv", "id,s", ["4,d"]), "--where", "id = 2"],
                 ["rewrite-manifests", t]):
        refused(t, *args, words=("last-sequence-number",))


def test_negative_row_ids_are_refused(tmp_path):
    t = make_table(tmp_path, rows=("1,a",), version=3)
    edit_metadata(t, lambda md: md.update({"next-row-id": -5}))
    refused(t, "scan", t, words=("next-row-id", "negative"))
    refused(t, "append", t, csv_file(tmp_path / "c.csv", "id,s", ["3,c"]), words=("next-row-id",))

    u = make_table(tmp_path, name="u", rows=("1,a",), version=3)

    def bad_snapshot(md):
        md["snapshots"][-1]["first-row-id"] = -7
    edit_metadata(u, bad_snapshot)
    refused(u, "scan", u, words=("first-row-id", "negative"))


def data_file_of(t):
    (f,) = [p for p in (t / "data").rglob("*.parquet") if "delete" not in p.name]
    return f


def test_a_data_file_claiming_2_63_rows_with_deletes(tmp_path):
    for version, mode in ((2, "merge-on-read"), (3, "merge-on-read")):
        t = make_table(tmp_path, name=f"t{version}", rows=("1,a", "2,b", "3,c"), version=version)
        ice_ok("delete", t, "--where", "id = 2", "--mode", mode)
        f = data_file_of(t)
        data = f.read_bytes()
        md, _ = P.read_footer(data)
        md.set(3, 2**63 - 1)
        f.write_bytes(P.with_footer(data, md))
        r = ice("scan", t, "--format", "csv")
        # the rows the file holds, or a clear error: never an overflow
        if r.code == 0:
            assert sorted(r.out.splitlines()[1:]) == ["1,a", "3,c"], r.out
        else:
            assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and f.name in r.err, r.err


def test_a_deletion_vector_that_disagrees_with_its_record_count(tmp_path):
    t = make_table(tmp_path, rows=("1,a", "2,b", "3,c"), version=3)
    ice_ok("delete", t, "--where", "id = 2", "--mode", "merge-on-read")
    # the manifest entry of the vector says 2 rows are deleted; the vector holds 1
    import fastavro
    out = ice_ok("--json", "manifests", t).json()["manifests"]
    (dm,) = [m["manifest_path"] for m in out if m["content"] == 1]
    with open(dm, "rb") as fh:
        r = fastavro.reader(fh)
        schema, meta = r.writer_schema, {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}
        recs = list(r)
    recs[0]["data_file"]["record_count"] = 2
    with open(dm, "wb") as fh:
        fastavro.writer(fh, schema, recs, codec="deflate", metadata=meta)
    e = ice_fails(1, "scan", t)
    assert "deletion vector" in e.err and "record_count" in e.err, e.err


def test_time_bounds_of_any_long_are_formatted(tmp_path):
    t = make_table(tmp_path, schema="id long, t time", rows=("1,12:00:00",), header="id,t")
    out = ice_ok("--json", "manifests", t).json()["manifests"]
    (m,) = [x["manifest_path"] for x in out]
    import fastavro
    with open(m, "rb") as fh:
        r = fastavro.reader(fh)
        schema, meta = r.writer_schema, {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}
        recs = list(r)
    bound = (1080863996968919039).to_bytes(8, "little", signed=True)
    df = recs[0]["data_file"]
    df["lower_bounds"] = [{"key": 2, "value": bound}]
    df["upper_bounds"] = [{"key": 2, "value": bound}]
    with open(m, "wb") as fh:
        fastavro.writer(fh, schema, recs, codec="deflate", metadata=meta)
    for args in (["files", t], ["--json", "files", t], ["entries", t], ["partitions", t]):
        ice_ok(*args)
