"""What the row-reading tests share: the real `ice` binary, path-rewritten
copies of the corpus tables (metadata JSON rewritten here, manifest lists and
manifests rewritten with fastavro, data and delete files linked), the real
peers (DuckDB's iceberg extension loaded from its PyPI package, PyIceberg's
StaticTable), and one canonical form for the values all three produce: the
Iceberg spec's JSON single-value forms (Appendix D).

A missing peer or binary is an error, never a skip. Canonicalization rules
(each keeps values distinct that the spec keeps distinct):
  - float columns compare as float32 values, double columns as doubles;
    NaN and the infinities as the strings "NaN", "Infinity", "-Infinity";
  - decimals as text with exactly `scale` fraction digits;
  - dates, times and timestamps as ISO-8601 text with 6 (micro) or 9 (nano)
    fraction digits; timestamptz converted to UTC with "+00:00";
  - uuids in canonical lowercase text, binary and fixed as lowercase hex;
  - structs as objects by field name, lists as arrays, maps as
    {"keys": [...], "values": [...]} in file order;
  - rows compare as a sorted list of their canonical JSON text.
"""
import datetime
import decimal
import glob
import gzip
import json
import math
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import uuid

import fastavro

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "manifest"))

from iceberg_avro import _transcode  # noqa: E402  (fastavro with the corpus's snappy/zstandard codecs)


def fixtures() -> pathlib.Path:
    env = os.environ.get("ICE_FIXTURES")
    d = (pathlib.Path(env) if env else REPO / ".." / "shared" / "fixtures").resolve()
    if not d.is_dir():
        raise RuntimeError(f"fixtures not found at {d} (set ICE_FIXTURES)")
    return d


def ice_bin() -> str:
    if os.environ.get("ICE_BIN"):
        return os.environ["ICE_BIN"]
    if os.environ.get("ICE_BUILD_ROOT"):
        return str(pathlib.Path(os.environ["ICE_BUILD_ROOT"]) / "tools" / "ice")
    for cand in (REPO / "build-asan" / "tools" / "ice", REPO / "build" / "tools" / "ice"):
        if cand.is_file():
            return str(cand)
    raise RuntimeError("the ice binary was not found: run scripts/setup.sh or set ICE_BIN")


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", errors="replace")
        self.err = p.stderr.decode("utf-8", errors="replace")
        self.raw = p.stdout


def ice(*args, timeout=600, env=None) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    r = Result(p)
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r


def ice_ok(*args, **kw) -> Result:
    r = ice(*args, **kw)
    assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    return r


def one_line_error(r: Result, *parts):
    lines = r.err.rstrip("\n").split("\n")
    assert r.code != 0, "expected a failure"
    assert len(lines) == 1, f"expected one line, got:\n{r.err}"
    assert lines[0].startswith("ice: "), lines[0]
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def table_index():
    return json.loads((fixtures() / "tables" / "INDEX.json").read_text())


def rewrites():
    """(prefix in metadata, directory relative to fixtures/) pairs, first match wins."""
    return [(old, new) for old, new in table_index()["path_prefix_rewrites"]]


def path_maps():
    """--path-map arguments that read the corpus where it is."""
    args = []
    for old, new in rewrites():
        args += ["--path-map", f"{old}={fixtures() / new}/"]
    return args


# ---- path-rewritten copies ---------------------------------------------------------------


class Copy:
    """A copy of one corpus table under `root` (mirroring fixtures/), whose
    metadata names the copy's own files."""

    def __init__(self, table_rel, root):
        self.src = fixtures() / table_rel
        self.root = pathlib.Path(root)
        self.dst = self.root / table_rel
        self.dst.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.src.rglob("*")):
            if path.is_dir():
                continue
            out = self.dst / path.relative_to(self.src)
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.is_symlink():
                out.unlink()  # linked early as a file some metadata names: never write through it
            if ".metadata.json" in path.name:
                self._json(path, out)
            elif path.suffix == ".avro":
                self._avro(path, out)
            elif path.name == "version-hint.text":
                shutil.copyfile(path, out)
            elif not out.is_symlink():  # (may be linked already, as a file some metadata names)
                os.symlink(path, out)

    def location(self, loc):
        """The copy's path for a location written in the corpus' metadata
        (files outside the table's directory are linked in as they are named)."""
        for old, new in rewrites():
            if loc.startswith(old):
                rest = loc[len(old):]
                out = self.root / new / rest
                src = fixtures() / new / rest
                inside = src.resolve().is_relative_to(self.src.resolve())
                if src.is_file() and not inside and not out.exists() and not out.is_symlink():
                    out.parent.mkdir(parents=True, exist_ok=True)
                    os.symlink(src, out)
                return str(self.root / new) + "/" + rest
        return loc

    def map_strings(self, v):
        if isinstance(v, str):
            return self.location(v)
        if isinstance(v, list):
            return [self.map_strings(x) for x in v]
        if isinstance(v, dict):
            return {k: (self.map_strings(x) if k not in ("properties", "summary") else x) for k, x in v.items()}
        return v

    def _writable(self, out):
        out = pathlib.Path(out)
        assert not out.is_symlink() and not out.resolve().is_relative_to(fixtures()), f"would write into the corpus: {out}"
        return out

    def _json(self, path, out):
        data = path.read_bytes()
        gz = data[:2] == b"\x1f\x8b"
        if gz:
            data = gzip.decompress(data)
        doc = json.loads(data)
        text = json.dumps(self.map_strings(doc), indent=2).encode()
        self._writable(out).write_bytes(gzip.compress(text) if gz else text)

    def _avro(self, path, out):
        with open(path, "rb") as f:
            meta = dict(fastavro.reader(f).metadata)
        codec = meta.get("avro.codec", "null")
        opener = (lambda: _transcode(str(path), codec)) if codec in ("snappy", "zstandard") else (lambda: open(path, "rb"))
        with opener() as f:
            reader = fastavro.reader(f)
            schema = reader.writer_schema
            records = list(reader)
        for r in records:
            if "manifest_path" in r:
                r["manifest_path"] = self.location(r["manifest_path"])
            df = r.get("data_file")
            if isinstance(df, dict):
                df["file_path"] = self.location(df["file_path"])
                if df.get("referenced_data_file"):
                    df["referenced_data_file"] = self.location(df["referenced_data_file"])
                if df.get("content") == 1 and df.get("file_format", "").lower() == "parquet":
                    self._position_deletes(df)
        keep = {k: v for k, v in meta.items() if not k.startswith("avro.")}
        with open(self._writable(out), "wb") as f:
            fastavro.writer(f, fastavro.parse_schema(schema), records, metadata=keep,
                            codec="deflate" if codec != "null" else "null")

    def _position_deletes(self, df):
        """A position delete file names data files: write it again with the
        copy's paths, and its file_path bounds and size with it."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = pathlib.Path(df["file_path"])
        src = pathlib.Path(os.readlink(out)) if out.is_symlink() else None
        if src is None:  # written already (a delete file listed twice)
            df["file_size_in_bytes"] = out.stat().st_size
            return
        table = pq.read_table(src)
        idx = next(i for i, f in enumerate(table.schema)
                   if (f.metadata or {}).get(b"PARQUET:field_id") == b"2147483546" or f.name == "file_path")
        paths = [self.location(p) for p in table.column(idx).to_pylist()]
        table = table.set_column(idx, table.schema.field(idx), pa.array(paths, pa.string()))
        out.unlink()
        pq.write_table(table, self._writable(out))
        df["file_size_in_bytes"] = out.stat().st_size
        for which, pick in (("lower_bounds", min), ("upper_bounds", max)):
            bounds = df.get(which)
            if bounds and paths:
                for b in bounds:
                    if b["key"] == 2147483546:
                        b["value"] = pick(paths).encode()

    def metadata_file(self, original):
        """The copy of metadata file `original` (an absolute corpus path)."""
        return str(self.dst / pathlib.Path(original).relative_to(self.src))


def current_metadata(table) -> str:
    """The metadata file ice reads for a table directory."""
    return json.loads(ice_ok("--json", "describe", table).out)["metadata_location"]


def load_json(path):
    data = pathlib.Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data)


# ---- peers ---------------------------------------------------------------------------------

_duck = None


def duck():
    """DuckDB with the iceberg and avro extensions of their PyPI packages."""
    global _duck
    if _duck is None:
        import site

        import duckdb

        con = duckdb.connect(config={"allow_unsigned_extensions": True})
        for name in ("avro", "iceberg"):
            found = []
            for root in site.getsitepackages():
                found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
            assert found, f"the duckdb-extension-{name} package is missing"
            con.execute(f"LOAD '{found[0]}'")
        con.execute("SET TimeZone = 'UTC'")
        _duck = con
    return _duck


def duckdb_arrow(metadata_file, snapshot_id):
    return duck().sql(f"SELECT * FROM iceberg_scan('{metadata_file}', snapshot_from_id => {snapshot_id})").to_arrow_table()


def pyiceberg_arrow(metadata_file, snapshot_id):
    from pyiceberg.table import StaticTable

    return StaticTable.from_metadata(str(metadata_file)).scan(snapshot_id=snapshot_id).to_arrow()


PEERS = {"duckdb": duckdb_arrow, "pyiceberg": pyiceberg_arrow}


def _peer_main(peer, metadata_file, snapshot_ids):
    """In a child process: one JSON line per snapshot, rows canonical."""
    md = load_json(metadata_file)
    for sid in snapshot_ids:
        try:
            schema = schema_for(md, sid)
            tbl = PEERS[peer](metadata_file, sid)
            names = [f["name"] for f in schema["fields"]]
            if peer == "duckdb" and tbl.num_columns == len(names):
                # DuckDB returns the schema's columns in order but renames names
                # equal but for case (uSeR_Id next to user_id becomes uSeR_Id_1)
                tbl = tbl.rename_columns(names)
            rows = canon_rows(tbl.to_pylist(), schema)
            out = {"snapshot": sid, "rows": rows}
        except Exception as e:  # the peer's own error, reported as it is
            out = {"snapshot": sid, "error": f"{type(e).__name__}: {e}".splitlines()[0][:500]}
        print(json.dumps(out), flush=True)


def peer_rows(peer, metadata_file, snapshot_ids, timeout=900):
    """{snapshot id: sorted canonical rows, or the peer's error text}. Each
    peer runs in a child process: DuckDB aborts the process on some
    internal errors, which is an answer about that snapshot, not a crash
    of the test."""
    code = ("import sys, json; sys.path.insert(0, %r); import scan_support as S; "
            "S._peer_main(sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]])" % str(pathlib.Path(__file__).parent))
    for attempt in range(2):
        p = subprocess.run([sys.executable, "-c", code, peer, str(metadata_file), *map(str, snapshot_ids)],
                           capture_output=True, timeout=timeout)
        # SIGKILL is the machine's answer (the OOM killer on a loaded host),
        # not the peer's: asked once more. An abort (DuckDB) is an answer.
        if p.returncode != -9 or attempt:
            break
    results = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            # a line cut short: the process died while answering (a killed
            # or aborting peer); what it said before stands, the rest is
            # "process died" below, not a JSONDecodeError of the test
            break
        results[d["snapshot"]] = d["rows"] if "rows" in d else d["error"]
    for sid in snapshot_ids:
        if sid not in results:
            tail = p.stderr.decode(errors="replace").strip().splitlines()
            results[sid] = "process died: " + (tail[-1][:500] if tail else f"exit {p.returncode}")
            break
    return results


# ---- canonical values --------------------------------------------------------------------------


def parse_type(t):
    """A schema type (as in metadata JSON) with primitives as strings."""
    return t


def _f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _special(x):
    if isinstance(x, str):
        return x
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return None


_EPOCH = datetime.datetime(1970, 1, 1)


def _fmt_ts(count, per_second, zone):
    secs, frac = divmod(count, per_second)
    dt = _EPOCH + datetime.timedelta(seconds=secs)
    digits = 9 if per_second == 1_000_000_000 else 6
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    text += "." + str(frac).rjust(digits, "0")
    return text + ("+00:00" if zone else "")


def _ts_count(v, nanos):
    """Micro- or nanoseconds since the epoch (UTC) of a peer's value."""
    if hasattr(v, "value") and hasattr(v, "tz_localize"):  # pandas.Timestamp
        ns = v.value
        return ns if nanos else ns // 1000
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        d = v - _EPOCH
        us = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
        return us * 1000 if nanos else us
    raise TypeError(f"not a timestamp: {v!r}")


def canon(v, t):
    """The canonical (JSON-able) form of value v of Iceberg type t."""
    if v is None:
        return None
    if isinstance(t, dict):
        kind = t["type"]
        if kind == "struct":
            if not isinstance(v, dict):
                raise TypeError(f"struct value {v!r}")
            return {f["name"]: canon(v.get(f["name"]), f["type"]) for f in t["fields"]}
        if kind == "list":
            return [canon(x, t["element"]) for x in v]
        if kind == "map":
            if isinstance(v, dict) and set(v) == {"keys", "values"}:
                pairs = list(zip(v["keys"], v["values"]))
            elif isinstance(v, dict):
                pairs = list(v.items())
            else:
                pairs = [tuple(p) if not isinstance(p, dict) else (p["key"], p["value"]) for p in v]
            return {"keys": [canon(k, t["key"]) for k, _ in pairs], "values": [canon(x, t["value"]) for _, x in pairs]}
        raise TypeError(f"unknown type {t!r}")
    if t == "boolean":
        return bool(v)
    if t in ("int", "long"):
        return int(v)
    if t in ("float", "double"):
        s = _special(v if not isinstance(v, str) else {"NaN": math.nan, "Infinity": math.inf,
                                                          "-Infinity": -math.inf}.get(v, v))
        if s is not None:
            return s
        return _f32(float(v)) if t == "float" else float(v)
    if t.startswith("decimal"):
        scale = int(t[t.index(",") + 1:t.index(")")])
        d = decimal.Decimal(v) if isinstance(v, str) else v
        with decimal.localcontext() as ctx:
            ctx.prec = 100
            return format(d.quantize(decimal.Decimal(1).scaleb(-scale)), "f")
    if t == "date":
        return v if isinstance(v, str) else f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    if t == "time":
        if isinstance(v, str):
            return v
        return v.strftime("%H:%M:%S.%f")
    if t in ("timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns"):
        if isinstance(v, str):
            return v
        nanos = t.endswith("_ns")
        return _fmt_ts(_ts_count(v, nanos), 1_000_000_000 if nanos else 1_000_000, t.startswith("timestamptz"))
    if t == "string":
        return v
    if t == "uuid":
        if isinstance(v, str):
            return str(uuid.UUID(v))
        if isinstance(v, uuid.UUID):
            return str(v)
        return str(uuid.UUID(bytes=bytes(v)))
    if t == "binary" or t.startswith("fixed"):
        return v if isinstance(v, str) else bytes(v).hex()
    if t == "unknown":
        return None
    raise TypeError(f"unsupported type {t!r}")


def schema_for(md, snapshot_id):
    """The schema a scan of snapshot_id reads (the snapshot's, else the current one)."""
    schemas = {s["schema-id"]: s for s in md.get("schemas", [])}
    if not schemas and "schema" in md:
        return md["schema"]
    snap = next((s for s in md.get("snapshots", []) if s["snapshot-id"] == snapshot_id), None)
    sid = snap.get("schema-id") if snap else None
    return schemas.get(sid, schemas.get(md.get("current-schema-id"), next(iter(schemas.values()), None)))


def canon_rows(rows, schema):
    """Rows (dicts by column name) as sorted canonical JSON text."""
    types = {f["name"]: f["type"] for f in schema["fields"]}
    return sorted(json.dumps({k: canon(v, types[k]) for k, v in r.items()}, sort_keys=True) for r in rows)


def ice_rows(table, snapshot_id, *extra):
    r = ice_ok("scan", "--format", "jsonl", "--snapshot", snapshot_id, *extra, table)
    return [json.loads(line) for line in r.out.splitlines() if line]


def arrow_rows(tbl):
    return tbl.to_pylist()


def first_difference(a, b, limit=5):
    sa, sb = set(a), set(b)
    only_a = sorted(sa - sb)[:limit]
    only_b = sorted(sb - sa)[:limit]
    return f"{len(a)} vs {len(b)} rows; only in first: {only_a}; only in second: {only_b}"
