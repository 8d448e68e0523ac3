"""A table directory's metadata files, and rows written for `ice append`."""
import datetime
import decimal
import json
import pathlib
import re
import uuid

from .run import ice_ok


# The REST catalog the current test runs against (tests/evolve/conftest.py
# `target`), or None: then tables are directories.
CATALOG = None


def _in_catalog(table) -> bool:
    return CATALOG is not None and "/" not in str(table)


def metadata_files(table_dir) -> list:
    """metadata/v<N>.metadata.json in version order (a catalog table's
    metadata directory when a REST catalog is the target)."""
    if _in_catalog(table_dir):
        md = CATALOG.metadata_file(table_dir).parent
        return sorted(md.glob("*.metadata.json"), key=lambda p: int(re.match(r"v?(\d+)", p.name).group(1)))
    md = pathlib.Path(table_dir) / "metadata"
    files = [p for p in md.glob("v*.metadata.json")]
    return sorted(files, key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))


def current_metadata(table_dir) -> pathlib.Path:
    if _in_catalog(table_dir):
        return CATALOG.metadata_file(table_dir)
    return metadata_files(table_dir)[-1]


def metadata(table_dir) -> dict:
    return json.loads(current_metadata(table_dir).read_text())


def current_snapshot_id(table_dir):
    return metadata(table_dir).get("current-snapshot-id")


def table_files(table_dir) -> set:
    """Every file below a table directory, as paths relative to it."""
    root = pathlib.Path(table_dir)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def write_jsonl(path, rows) -> str:
    def enc(v):
        if isinstance(v, decimal.Decimal):
            return str(v)
        if isinstance(v, (datetime.date, datetime.datetime)):
            return v.isoformat()
        raise TypeError(type(v))

    pathlib.Path(path).write_text("".join(json.dumps(r, default=enc) + "\n" for r in rows))
    return str(path)


def append_rows(table, rows, tmp, *extra) -> int:
    """ice append of `rows` (dicts) as JSON Lines; returns the snapshot id."""
    f = write_jsonl(pathlib.Path(tmp) / f"in-{uuid.uuid4().hex[:8]}.jsonl", rows)
    r = ice_ok("--json", "append", table, f, *extra)
    return r.json()["snapshot_id"]
