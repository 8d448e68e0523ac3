"""Helpers of the maintenance tests (expire-snapshots, remove-orphan-files).

The write-path helpers (tests/write/write_support.py: the ice runner, the
peers' readers, the fault library) are reused as they are. What is added
here is an independent account of what a table reaches, read with fastavro
and json from the metadata files, never through ice: every metadata file of
the log, version-hint.text, statistics files, every snapshot's manifest
list, its manifests and the live files they list."""
import json
import os
import pathlib
import sys

import fastavro

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "write"))
from write_support import (REPO, canon, current_metadata, duckdb_rows, fault_env, ice, ice_bin,  # noqa: E402,F401
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
