"""Helpers of the maintenance tests (expire-snapshots, remove-orphan-files).

The shared helpers (tests/support: the ice runner, the peers' readers,
the fault library) are reused as they are. What is added
here is an independent account of what a table reaches, read with fastavro
and json from the metadata files, never through ice: every metadata file of
the log, version-hint.text, statistics files, every snapshot's manifest
list, its manifests and the live files they list."""
import json
import os
import pathlib

import fastavro

from support import (REPO, canon, current_metadata, duckdb_rows, fault_env, ice, ice_bin,  # noqa: F401
                     ice_fails, ice_ok, pyiceberg_rows)


def local(location: str) -> str:
    """A local path from a location (plain, file:/, file:///)."""
    if location.startswith("file://"):
        return location[len("file://"):]
    if location.startswith("file:"):
        return location[len("file:"):]
    return location


def metadata(table_dir) -> dict:
    return json.loads(current_metadata(table_dir).read_text())


def _avro(path):
    with open(local(path), "rb") as f:
        return list(fastavro.reader(f))


def reachable(table_dir) -> dict:
    """Absolute local path -> kind, for everything the current metadata
    reaches (kinds: data, position-deletes, equality-deletes, manifest,
    manifest-list, statistics, metadata)."""
    md_file = current_metadata(table_dir)
    md = json.loads(md_file.read_text())
    out = {str(md_file.resolve()): "metadata"}
    base = pathlib.Path(table_dir).resolve()
    out[str(base / "metadata" / "version-hint.text")] = "metadata"
    for e in md.get("metadata-log", []):
        p = local(e["metadata-file"])
        out[str(pathlib.Path(p) if os.path.isabs(p) else pathlib.Path(p).resolve())] = "metadata"
    for s in md.get("statistics", []) + md.get("partition-statistics", []):
        out[local(s["statistics-path"])] = "statistics"
    manifests = set()
    for s in md.get("snapshots", []):
        if "manifest-list" in s:
            out[local(s["manifest-list"])] = "manifest-list"
            manifests.update(m["manifest_path"] for m in _avro(s["manifest-list"]))
        else:
            manifests.update(s.get("manifests", []))
    kinds = {0: "data", 1: "position-deletes", 2: "equality-deletes"}
    for m in manifests:
        out[local(m)] = "manifest"
        for e in _avro(m):
            if e["status"] != 2:
                df = e["data_file"]
                out[local(df["file_path"])] = kinds[df.get("content", 0) or 0]
    return out


def disk_files(table_dir, hidden=False) -> set:
    """Absolute paths of the files below a directory (without names starting
    with '.' or '_' unless `hidden`)."""
    root = pathlib.Path(table_dir).resolve()
    out = set()
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(root).parts
        if not hidden and any(part.startswith((".", "_")) for part in rel):
            continue
        out.add(str(p))
    return out


def assert_whole(table_dir):
    """Every file the table reaches exists."""
    missing = [p for p in reachable(table_dir) if not os.path.exists(p)]
    assert not missing, f"reachable files are gone: {missing[:5]}"


def age(paths, seconds):
    """Move the modification times of `paths` `seconds` into the past."""
    for p in paths:
        st = os.stat(p)
        os.utime(p, (st.st_atime - seconds, st.st_mtime - seconds))


def age_tree(table_dir, seconds):
    age([str(p) for p in pathlib.Path(table_dir).rglob("*") if p.is_file()], seconds)


def write_csv(path, rows) -> str:
    """rows: (id, name) pairs."""
    with open(path, "w") as f:
        f.write("id,name\n")
        for i, n in rows:
            f.write(f"{i},{n}\n")
    return str(path)


def history(table_dir, tmp, appends=5, delete_ids=(), schema="id long, name string", partition=None):
    """A table with `appends` appends of 3 rows each (ids 10*k .. 10*k+2),
    then a delete of each id in `delete_ids`. Returns the snapshot ids."""
    args = ["create", table_dir, "--schema", schema]
    if partition:
        args += ["--partition", partition]
    ice_ok(*args)
    for k in range(appends):
        ice_ok("append", table_dir, write_csv(pathlib.Path(tmp) / f"in{k}.csv",
                                             [(10 * k + j, f"n{10 * k + j}") for j in range(3)]))
    for i in delete_ids:
        ice_ok("delete", table_dir, "--where", f"id = {i}")
    return [s["snapshot-id"] for s in metadata(table_dir)["snapshots"]]


def peers_agree_everywhere(table_dir):
    """PyIceberg and DuckDB read the same rows at every snapshot; returns
    {snapshot id: rows}."""
    md_file = current_metadata(table_dir)
    out = {}
    for s in json.loads(md_file.read_text())["snapshots"]:
        sid = s["snapshot-id"]
        a = canon(pyiceberg_rows(md_file, sid))
        b = canon(duckdb_rows(md_file, sid))
        assert a == b, f"snapshot {sid}: PyIceberg {a} != DuckDB {b}"
        out[sid] = a
    return out


# ---- path-rewritten copies of a table ---------------------------------------------------


def _read_avro(p):
    with open(p, "rb") as f:
        reader = fastavro.reader(f)
        return reader.writer_schema, dict(reader.metadata), list(reader)


def _write_avro(p, schema, meta, records):
    keep = {k: v for k, v in meta.items() if not k.startswith("avro.")}
    codec = meta.get("avro.codec", "null")
    with open(p, "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), records, metadata=keep,
                        codec="deflate" if codec != "null" else "null")


def copy_table(src, dst):
    """Copy table directory `src` to `dst` so that the copy's metadata names
    the copy's files: every string in metadata JSON, manifest lists and
    manifests naming a path under `src` (plain or file:) is rewritten
    (manifest lengths follow), and position delete files are written again
    with the copy's data file paths (sizes and bounds follow). Other files,
    hidden ones included, are copied as they are."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    src, dst = str(pathlib.Path(src).resolve()), str(pathlib.Path(dst).resolve())

    def loc(s):
        if isinstance(s, str):
            if s.endswith(src) and (len(s) == len(src) or s[-len(src) - 1] in ":/"):
                return s[: len(s) - len(src)] + dst
            return s.replace(src + "/", dst + "/")
        return s

    def deep(v):
        if isinstance(v, str):
            return loc(v)
        if isinstance(v, list):
            return [deep(x) for x in v]
        if isinstance(v, dict):
            return {k: deep(x) for k, x in v.items()}
        return v

    def drop_checksum(path):
        """Hadoop's checksum of a file written again would no longer match."""
        crc = pathlib.Path(path).parent / f".{pathlib.Path(path).name}.crc"
        if crc.exists():
            crc.unlink()

    for p in sorted(pathlib.Path(src).rglob("*")):
        if p.is_dir():
            continue
        out = pathlib.Path(dst) / p.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        if p.name.endswith(".metadata.json") and not p.name.startswith("."):
            out.write_text(json.dumps(deep(json.loads(p.read_text())), indent=2))
        else:
            shutil.copyfile(p, out)
    for p in pathlib.Path(dst).rglob("*.metadata.json"):
        drop_checksum(p)
    avros = [p for p in sorted(pathlib.Path(dst).rglob("*.avro")) if not p.name.startswith(".")]
    parsed = {p: _read_avro(p) for p in avros}
    # position delete files name data files: write them again
    rewritten = {}
    for p, (_, _, records) in parsed.items():
        for r in records:
            df = r.get("data_file")
            if isinstance(df, dict) and df.get("content") == 1 and str(df.get("file_format", "")).lower() == "parquet":
                path = local(loc(df["file_path"]))
                if path in rewritten or not os.path.exists(path):
                    continue
                table = pq.read_table(path)
                idx = next(i for i, f in enumerate(table.schema)
                           if (f.metadata or {}).get(b"PARQUET:field_id") == b"2147483546" or f.name == "file_path")
                paths = [loc(x) for x in table.column(idx).to_pylist()]
                table = table.set_column(idx, table.schema.field(idx), pa.array(paths, pa.string()))
                pq.write_table(table, path)
                drop_checksum(path)
                rewritten[path] = (os.path.getsize(path), min(paths, default=None), max(paths, default=None))
    # deletion vector files name their data files in the Puffin footer
    for p in sorted(pathlib.Path(dst).rglob("*.puffin")):
        if p.name.startswith("."):
            continue
        data = p.read_bytes()
        size, flags = int.from_bytes(data[-12:-8], "little"), int.from_bytes(data[-8:-4], "little")
        assert flags & 1 == 0, "compressed Puffin footers are not rewritten here"
        start = len(data) - 12 - size
        footer = json.loads(data[start:start + size])
        if deep(footer) == footer:
            continue  # no path inside (table statistics): the sizes in the metadata stay right
        footer = deep(footer)
        payload = json.dumps(footer).encode()
        p.write_bytes(data[:start] + payload + len(payload).to_bytes(4, "little") + data[-8:])
        drop_checksum(p)
        rewritten[str(p)] = (p.stat().st_size, None, None)
    # manifests, then manifest lists (with the manifests' new lengths)
    for lists in (False, True):
        for p, (schema, meta, records) in parsed.items():
            if lists != any("manifest_path" in r for r in records):
                continue
            for r in records:
                if "manifest_path" in r:
                    r["manifest_path"] = loc(r["manifest_path"])
                    if os.path.exists(local(r["manifest_path"])):
                        r["manifest_length"] = os.path.getsize(local(r["manifest_path"]))
                df = r.get("data_file")
                if isinstance(df, dict):
                    df["file_path"] = loc(df["file_path"])
                    if df.get("referenced_data_file"):
                        df["referenced_data_file"] = loc(df["referenced_data_file"])
                    if local(df["file_path"]) in rewritten:
                        size, lo, hi = rewritten[local(df["file_path"])]
                        df["file_size_in_bytes"] = size
                        for which, v in (("lower_bounds", lo), ("upper_bounds", hi)):
                            for b in df.get(which) or []:
                                if b["key"] == 2147483546 and v is not None:
                                    b["value"] = v.encode()
            _write_avro(p, schema, meta, records)
            drop_checksum(p)
    return dst
