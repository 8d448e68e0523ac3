"""ice's Parquet writer, checked by the real peers: a table holding every
Iceberg type (nested included, with nulls, NaNs and field ids on every node)
is read by ice's reader and written again by ice's writer
(tests/unit/parquet/parquet-roundtrip); pyarrow and DuckDB must then read
identical values, logical types and field ids, ice's reader must read back
the same, and the Iceberg metrics must match the data."""
import datetime
import decimal
import json
import os
import pathlib
import subprocess
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from canon import canon_column, canon_ice
from conftest import REPO, run_ice


def roundtrip_binary() -> str:
    env = os.environ.get("ICE_PARQUET_ROUNDTRIP")
    if env:
        return env
    roots = [os.environ.get("ICE_BUILD_ROOT")] if os.environ.get("ICE_BUILD_ROOT") else []
    roots += [str(REPO / "build"), str(REPO / "build-parquet")]
    for r in roots:
        p = pathlib.Path(r) / "tests" / "unit" / "parquet" / "parquet-roundtrip"
        if p.is_file():
            return str(p)
    raise RuntimeError("parquet-roundtrip not built (set ICE_PARQUET_ROUNDTRIP or ICE_BUILD_ROOT)")


def fid(name, typ, id_, nullable=True):
    return pa.field(name, typ, nullable, metadata={b"PARQUET:field_id": str(id_).encode()})


SCHEMA = pa.schema([
    fid("id", pa.int64(), 1, nullable=False),
    fid("b", pa.bool_(), 2),
    fid("i", pa.int32(), 3),
    fid("l", pa.int64(), 4),
    fid("f", pa.float32(), 5),
    fid("d", pa.float64(), 6),
    fid("dec9", pa.decimal128(9, 2), 7),
    fid("dec18", pa.decimal128(18, 4), 8),
    fid("dec38", pa.decimal128(38, 10), 9),
    fid("day", pa.date32(), 10),
    fid("tod", pa.time64("us"), 11),
    fid("ts", pa.timestamp("us"), 12),
    fid("tstz", pa.timestamp("us", tz="UTC"), 13),
    fid("tsns", pa.timestamp("ns"), 14),
    fid("tstzns", pa.timestamp("ns", tz="UTC"), 15),
    fid("s", pa.string(), 16),
    fid("u", pa.uuid(), 17),
    fid("fx", pa.binary(8), 18),
    fid("bin", pa.binary(), 19),
    fid("st", pa.struct([fid("a", pa.int32(), 21), fid("b", pa.string(), 22, nullable=False)]), 20),
    fid("lst", pa.list_(fid("element", pa.int64(), 24)), 23),
    fid("lst_s", pa.list_(fid("element", pa.struct([fid("x", pa.float64(), 27)]), 26)), 25),
    fid("m", pa.map_(fid("key", pa.string(), 29, nullable=False), fid("value", pa.int32(), 30)), 28),
    fid("nested", pa.list_(fid("element", pa.list_(fid("element", pa.string(), 33)), 32)), 31),
])


def make_table(n=5000, seed=7):
    x = seed

    def rnd():
        nonlocal x
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        return x >> 33

    def maybe(v, p=7):
        return None if rnd() % p == 0 else v

    rows = []
    base = datetime.datetime(2020, 1, 1)
    for k in range(n):
        r = rnd()
        rows.append({
            "id": k,
            "b": maybe(r % 2 == 0),
            "i": maybe(int(r % 2000) - 1000),
            "l": maybe((r * 7919) - 2**40),
            "f": maybe(float("nan") if r % 97 == 0 else (r % 1000) / 7.0),
            "d": maybe(float("nan") if r % 89 == 0 else (r % 100000) / 13.0 - 3000),
            "dec9": maybe(decimal.Decimal(int(r % 10**8) - 5 * 10**7).scaleb(-2)),
            "dec18": maybe(decimal.Decimal(int(r % 10**17)).scaleb(-4)),
            "dec38": maybe(decimal.Decimal(int(r) * 10**20 - 7).scaleb(-10)),
            "day": maybe(datetime.date(1960, 1, 1) + datetime.timedelta(days=int(r % 30000))),
            "tod": maybe(datetime.time(int(r % 24), int(r % 60), int(r % 59), int(r % 999999))),
            "ts": maybe(base + datetime.timedelta(microseconds=int(r) * 1009)),
            "tstz": maybe(base + datetime.timedelta(seconds=int(r % 10**8))),
            "tsns": maybe(int(r) * 1000003),
            "tstzns": maybe(-int(r) * 999),
            "s": maybe(["alpha", "beta", "gamma", "δέλτα", "", "a much longer string value than sixteen"][r % 6]
                       + ("" if r % 3 else str(r % 50))),
            "u": maybe(uuid.UUID(int=(r * 0x9E3779B97F4A7C15) % 2**128).bytes),
            "fx": maybe((r % 2**64).to_bytes(8, "little")),
            "bin": maybe(bytes(range(r % 11))),
            "st": maybe({"a": maybe(int(r % 77)), "b": "s%d" % (r % 5)}),
            "lst": maybe([maybe(int(r % 13) + j) for j in range(r % 5)]),
            "lst_s": maybe([maybe({"x": maybe(j / 3.0)}) for j in range(r % 4)]),
            "m": maybe([("k%d" % j, maybe(j * int(r % 9))) for j in range(r % 4)]),
            "nested": maybe([maybe([maybe("v%d" % (j + q)) for q in range((r + j) % 3)]) for j in range(r % 3)]),
        })
    cols = {}
    for f in SCHEMA:
        vals = [row[f.name] for row in rows]
        if f.name == "tsns" or f.name == "tstzns":
            cols[f.name] = pa.array(vals, type=pa.int64()).cast(f.type)
        elif f.name == "u":
            cols[f.name] = pa.ExtensionArray.from_storage(pa.uuid(), pa.array(vals, type=pa.binary(16)))
        else:
            cols[f.name] = pa.array(vals, type=f.type)
    return pa.table(cols, schema=SCHEMA)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    p = tmp_path_factory.mktemp("src") / "source.parquet"
    pq.write_table(make_table(), p, row_group_size=1800, data_page_size=4096)
    return p


def roundtrip(src, dst, *props, batch=None):
    args = [roundtrip_binary(), str(src), str(dst)]
    for kv in props:
        args += ["--property", kv]
    if batch:
        args += ["--batch", str(batch)]
    p = subprocess.run(args, capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def field_ids(schema: pa.Schema):
    out = {}

    def walk(prefix, f):
        md = f.metadata or {}
        out[prefix + f.name] = int(md[b"PARQUET:field_id"]) if b"PARQUET:field_id" in md else None
        t = f.type
        if pa.types.is_struct(t):
            for c in t:
                walk(prefix + f.name + ".", c)
        elif pa.types.is_map(t):
            walk(prefix + f.name + ".", t.key_field)
            walk(prefix + f.name + ".", t.item_field)
        elif pa.types.is_list(t):
            walk(prefix + f.name + ".", t.value_field)
    for f in schema:
        walk("", f)
    return out


def assert_same_values(a: pa.Table, b: pa.Table):
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        ca, cb = a[name], b[name]
        assert canon_column(ca, ca.type) == canon_column(cb, cb.type), name


CODECS = ["zstd", "snappy", "gzip", "lz4_raw", "uncompressed", "brotli"]


@pytest.mark.parametrize("codec", CODECS)
def test_roundtrip_read_by_pyarrow(source, tmp_path, codec):
    out = tmp_path / f"{codec}.parquet"
    metrics = roundtrip(source, out, f"write.parquet.compression-codec={codec}",
                        "write.parquet.row-group-size-bytes=65536", "write.parquet.page-size-bytes=8192")
    src = pq.read_table(source)
    got = pq.read_table(out)
    # logical types and field ids as written, values identical
    assert got.schema.remove_metadata() == src.schema.remove_metadata(), (got.schema, src.schema)
    assert field_ids(got.schema) == field_ids(src.schema)
    assert_same_values(src, got)
    md = pq.ParquetFile(out).metadata
    assert md.num_row_groups > 1
    assert {md.row_group(0).column(i).compression.lower() for i in range(md.num_columns)} == \
        {({"lz4_raw": "lz4", "uncompressed": "uncompressed"}).get(codec, codec)}
    assert metrics["record-count"] == src.num_rows
    assert metrics["file-size"] == out.stat().st_size
    assert metrics["split-offsets"] == [md.row_group(g).column(0).dictionary_page_offset
                                        or md.row_group(g).column(0).data_page_offset
                                        for g in range(md.num_row_groups)]


def test_roundtrip_read_by_duckdb(source, tmp_path):
    out = tmp_path / "duck.parquet"
    roundtrip(source, out, "write.parquet.row-group-size-bytes=100000")
    con = duckdb.connect()
    for a, b in ((source, out), (out, source)):
        diff = con.execute(f"SELECT count(*) FROM (SELECT * FROM read_parquet('{a}') EXCEPT ALL "
                           f"SELECT * FROM read_parquet('{b}'))").fetchone()[0]
        assert diff == 0, f"{a} has {diff} rows not in {b}"
    types_src = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{source}')").fetchall()
    types_out = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()
    assert [(r[0], r[1]) for r in types_out] == [(r[0], r[1]) for r in types_src]
    ids_src = con.execute(f"SELECT name, field_id FROM parquet_schema('{source}') WHERE field_id IS NOT NULL "
                          "ORDER BY field_id").fetchall()
    ids_out = con.execute(f"SELECT name, field_id FROM parquet_schema('{out}') WHERE field_id IS NOT NULL "
                          "ORDER BY field_id").fetchall()
    assert ids_out == ids_src and len(ids_out) == 33


def test_roundtrip_read_by_ice(source, tmp_path):
    out = tmp_path / "ice.parquet"
    roundtrip(source, out, "write.parquet.page-row-limit=300", batch=777)
    src = pq.read_table(source)
    p = run_ice("parquet", "--rows", out, check=True)
    rows = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert len(rows) == src.num_rows
    for name, col in zip(src.column_names, src.columns):
        assert [canon_ice(r[name], col.type) for r in rows] == canon_column(col, col.type), name


def test_metrics_match_data(source, tmp_path):
    out = tmp_path / "m.parquet"
    metrics = roundtrip(source, out)
    src = pq.read_table(source)
    by_id = {c["field-id"]: c for c in metrics["columns"]}
    md = pq.ParquetFile(out).metadata
    for name, fid_ in (("i", 3), ("l", 4), ("s", 16), ("d", 6), ("f", 5), ("day", 10)):
        col = src[name]
        m = by_id[fid_]
        assert m["value-count"] == src.num_rows
        assert m["null-count"] == col.null_count, name
        size = sum(md.row_group(g).column(src.column_names.index(name)).total_compressed_size
                   for g in range(md.num_row_groups))
        assert m["column-size"] == size
    import pyarrow.compute as pc
    assert by_id[3]["lower-bound"] == str(pc.min(src["i"]).as_py())
    assert by_id[3]["upper-bound"] == str(pc.max(src["i"]).as_py())
    assert by_id[6]["nan-count"] == sum(1 for v in src["d"].to_pylist() if v is not None and v != v)
    assert by_id[5]["nan-count"] == sum(1 for v in src["f"].to_pylist() if v is not None and v != v)
    assert by_id[3]["nan-count"] is None
    # strings: truncated to 16 characters, the upper bound rounded up
    strings = [v for v in src["s"].to_pylist() if v is not None]
    assert by_id[16]["lower-bound"] == min(strings, key=lambda s: s.encode())[:16]
    top = max(strings, key=lambda s: s.encode())
    assert by_id[16]["upper-bound"] == (top if len(top) <= 16 else top[:15] + chr(ord(top[15]) + 1))
    # no bounds inside lists and maps
    assert by_id[24]["lower-bound"] is None and by_id[29]["lower-bound"] is None
    # nested value counts count elements, nulls included
    assert by_id[24]["value-count"] == sum(max(1, len(v)) if v is not None else 1 for v in src["lst"].to_pylist())


def test_dictionary_fallback_and_sizes(tmp_path):
    """Unique strings overflow a small dictionary: the writer falls back to
    PLAIN and pyarrow still reads every value."""
    n = 30000
    t = pa.table({"k": pa.array([f"key-{(i * 7919) % 1000003:08d}" for i in range(n)]),
                  "c": pa.array([f"c{i % 10}" for i in range(n)])},
                 schema=pa.schema([fid("k", pa.string(), 1), fid("c", pa.string(), 2)]))
    src = tmp_path / "src.parquet"
    pq.write_table(t, src)
    out = tmp_path / "out.parquet"
    roundtrip(src, out, "write.parquet.dict-size-bytes=20000")
    md = pq.ParquetFile(out).metadata
    encs = set(md.row_group(0).column(0).encodings)
    assert "PLAIN" in encs
    assert "RLE_DICTIONARY" in set(md.row_group(0).column(1).encodings)
    assert pq.read_table(out).equals(pq.read_table(src))
    # a low-cardinality column is much smaller than its plain size
    assert md.row_group(0).column(1).total_compressed_size < 2000


def test_writer_rejects_mismatched_batches(tmp_path):
    """A file whose types have no Iceberg writer mapping (INT96) fails cleanly
    and leaves nothing behind."""
    fixtures = pathlib.Path(os.environ.get("ICE_FIXTURES", REPO / ".." / "shared" / "fixtures"))
    src = fixtures / "parquet" / "parquet-testing" / "data" / "alltypes_plain.parquet"
    out = tmp_path / "x.parquet"
    p = subprocess.run([roundtrip_binary(), str(src), str(out)], capture_output=True)
    assert p.returncode == 1
    assert b"does not fit Iceberg type" in p.stderr
    assert not out.exists()
