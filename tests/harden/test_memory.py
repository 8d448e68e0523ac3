"""Issue 11, item 7: memory is bounded by what the format declares, not by
what an attacker's data expands to: a Parquet page stops decompressing at
its header's stated size, a manifest block is decompressed as it is read,
a CSV record has a length cap, and an out-of-memory error names the file.
Peak RSS is measured on the sanitized binary (ASan's shadow memory
included), against limits far below what the hostile input costs when it
is not bounded."""
import json
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

import parquet_patch as P
from harden_support import avro_parts, peak_rss_mb, zigzag_long

ZEROS = b"\0" * (1 << 20)


def one_page_file(path, codec):
    pq.write_table(pa.table({"id": pa.array([1, 2, 3], pa.int64())}), path, compression=codec,
                   use_dictionary=False, data_page_version="1.0")
    return path.read_bytes()


def bomb(codec, mb):
    """`mb` MiB of zeros as concatenated members/frames of 1 MiB each (both
    formats allow that): a few hundred KB that inflate to `mb` MiB."""
    if codec == "gzip":
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        member = c.compress(ZEROS) + c.flush()
    else:
        member = zstandard.ZstdCompressor(level=19).compress(ZEROS)
    return member * mb


def test_a_page_stops_at_its_stated_size(tmp_path):
    for codec in ("gzip", "zstd"):
        f = tmp_path / f"bomb-{codec}.parquet"
        f.write_bytes(P.replace_first_page(one_page_file(f, codec), bomb(codec, 768)))
        assert f.stat().st_size < 1 << 20
        r, mb = peak_rss_mb("parquet", "--rows", f)
        assert r.code == 1 and f.name in r.err and "stated" in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1
        assert mb < 250, f"{codec}: {mb:.0f} MB to refuse a {f.stat().st_size}-byte page"


def test_a_manifest_block_is_decompressed_as_it_is_read(tmp_path):
    """A manifest whose one deflate block holds its real entry followed by
    1 GiB of zeros (1 MB on disk): refused with bounded memory."""
    from harden_support import ice_ok, make_table
    t = make_table(tmp_path, rows=("1,a",))
    out = ice_ok("--json", "manifests", t).json()["manifests"]
    m = tmp_path.joinpath(out[0]["manifest_path"])
    header, blocks, sync = avro_parts(m)
    assert b"deflate" in header and len(blocks) == 1
    count, raw = blocks[0]
    records = zlib.decompress(raw, -15)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(records) + c.flush(zlib.Z_FULL_FLUSH)
    zeros = c.compress(ZEROS) + c.flush(zlib.Z_FULL_FLUSH)  # the same bytes for every MiB after a full flush
    body = first + zeros * 1024 + c.flush()
    m.write_bytes(header + zigzag_long(count) + zigzag_long(len(body)) + body + sync)
    assert m.stat().st_size < 2 << 20
    r, mb = peak_rss_mb("scan", t)
    assert r.code == 1 and m.name in r.err and "left after the block's last record" in r.err, r.err
    assert mb < 250, f"{mb:.0f} MB to refuse a {m.stat().st_size}-byte manifest"


def test_records_across_the_decompression_window(tmp_path):
    """A manifest list and a manifest written as one deflate block each, far
    larger than the decompression window: every entry is read."""
    import fastavro
    from harden_support import edit_metadata, ice_ok, make_table

    t = make_table(tmp_path, rows=("1,a",))
    out = ice_ok("--json", "manifests", t).json()
    lst, m = out["manifest_list"], out["manifests"][0]["manifest_path"]
    n = 6000
    with open(m, "rb") as fh:
        r = fastavro.reader(fh)
        schema, meta = r.writer_schema, {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}
        (entry,) = list(r)
    entries = []
    for i in range(n):
        e = json.loads(json.dumps(entry, default=lambda b: b.decode("latin-1")))
        e["data_file"]["file_path"] = entry["data_file"]["file_path"] + f"?copy={i:05d}" + "x" * 64
        entries.append(fix_bytes(e, entry))
    with open(m, "wb") as fh:
        fastavro.writer(fh, schema, entries, codec="deflate", metadata=meta, sync_interval=1 << 30)
    with open(lst, "rb") as fh:
        r = fastavro.reader(fh)
        lschema, lmeta = r.writer_schema, {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}
        (mf,) = list(r)
    mf["added_files_count"] = n
    mf["added_rows_count"] = n
    mf["manifest_length"] = pathlib_size(m)
    with open(lst, "wb") as fh:
        fastavro.writer(fh, lschema, [mf], codec="deflate", metadata=lmeta)

    def totals(md):
        s = [x for x in md["snapshots"] if x["snapshot-id"] == md["current-snapshot-id"]][0]["summary"]
        s["total-data-files"], s["total-records"] = str(n), str(n)
    edit_metadata(t, totals)
    files = ice_ok("--json", "files", t).json()
    items = files["files"] if isinstance(files, dict) else files
    assert len(items) == n


def fix_bytes(e, like):
    """Bytes values back from the JSON round trip of `e`."""
    df, ldf = e["data_file"], like["data_file"]
    for k in ("lower_bounds", "upper_bounds"):
        if ldf.get(k) is not None:
            df[k] = [{"key": x["key"], "value": y["value"]} for x, y in zip(df[k], ldf[k])]
    if ldf.get("key_metadata") is not None:
        df["key_metadata"] = ldf["key_metadata"]
    return e


def pathlib_size(p):
    import os
    return os.path.getsize(p)


def test_a_csv_record_has_a_length_limit(tmp_path):
    from harden_support import ice_ok, make_table, tree
    t = make_table(tmp_path, rows=())
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("id,s\n1,a\n2," + "x" * (17 << 20) + "\n")
    jl = tmp_path / "big.jsonl"
    with open(jl, "w") as f:
        f.write('{"id": 1, "s": "' + "y" * (17 << 20) + '"}\n')
    before = tree(t)
    for f, where in ((big, "line 3"), (jl, "line 1")):
        r, mb = peak_rss_mb("append", t, f)
        assert r.code == 1 and f.name in r.err and where in r.err and "--max-record-size" in r.err, r.err
        assert mb < 150, f"{mb:.0f} MB to refuse a 17 MB record"
        assert tree(t) == before
    ice_ok("append", t, big, "--max-record-size", "18M")
    ice_ok("overwrite", t, jl, "--max-record-size", "18M")


def test_a_wide_fixed_column_is_refused_up_front(tmp_path):
    from harden_support import csv_file, ice_ok, tree
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, f fixed[2147483647]")
    f = csv_file(tmp_path / "f.csv", "id,f", [f"{i}," for i in range(200)])
    before = tree(t)
    r, mb = peak_rss_mb("append", t, f)
    assert r.code == 1 and "'f'" in r.err and "fixed[2147483647]" in r.err and "--memory" in r.err, r.err
    assert mb < 150 and tree(t) == before
    # a wide column that fits the budget is written with memory checked more often
    u = tmp_path / "u"
    ice_ok("create", u, "--schema", "id long, f fixed[200000]")
    g = csv_file(tmp_path / "g.csv", "id,f", [f"{i}," for i in range(2000)])
    r, mb = peak_rss_mb("append", u, g, "--memory", "16M")
    assert r.code == 0, r.err
    assert mb < 200, f"{mb:.0f} MB for 2000 null fixed[200000] values (400 MB) at --memory 16M"
