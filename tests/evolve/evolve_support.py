"""Helpers of the evolution, refs and row-level tests (a plain module, not
conftest.py, so its names never clash with other suites'): run the real
`ice` binary, read tables with the real peers - PyIceberg (StaticTable over
a metadata file, and a minimal directory catalog so PyIceberg can commit to
a table directory the HadoopCatalog way) and DuckDB's iceberg extension
loaded from its PyPI package. A missing peer fails the import, never skips."""
import datetime
import decimal
import glob
import json
import os
import pathlib
import re
import site
import subprocess
import uuid

import duckdb
import pyarrow as pa  # noqa: F401  (PyIceberg's writes need it)
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.io import load_file_io
from pyiceberg.serializers import FromInputFile, ToOutputFile
from pyiceberg.table import CommitTableResponse, StaticTable, Table

REPO = pathlib.Path(__file__).resolve().parents[2]


def ice_bin() -> str:
    if os.environ.get("ICE_BIN"):
        return os.environ["ICE_BIN"]
    for cand in ("build-asan", "build"):
        p = REPO / cand / "tools" / "ice"
        if p.is_file():
            return str(p)
    raise RuntimeError("the ice binary was not found: run scripts/setup.sh or set ICE_BIN")


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", errors="replace")
        self.err = p.stderr.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.out)


def ice(*args, stdin=None, timeout=600) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, input=stdin, timeout=timeout)
    r = Result(p)
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r


def ice_ok(*args, **kw) -> Result:
    r = ice(*args, **kw)
    assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    return r


def ice_fails(code, *args, **kw) -> Result:
    """The command fails with `code` and says why in one line."""
    r = ice(*args, **kw)
    assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.out}{r.err}"
    lines = r.err.rstrip("\n").split("\n")
    if code == 2:  # usage errors add a hint line
        lines = [ln for ln in lines if not ln.startswith("Try 'ice")]
    assert len(lines) == 1 and lines[0].startswith("ice"), r.err
    return r


# ---- tables -----------------------------------------------------------------------------


# The REST catalog the current test runs against (conftest.py `target`), or
# None: then tables are directories.
CATALOG = None


def _in_catalog(table) -> bool:
    return CATALOG is not None and "/" not in str(table)


def metadata_files(table_dir) -> list:
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
    return r.json()["snapshot-id"]


def current_snapshot_id(table_dir):
    return metadata(table_dir).get("current-snapshot-id")


# ---- peers --------------------------------------------------------------------------------


def pyiceberg_table(table_dir) -> Table:
    return StaticTable.from_metadata(str(current_metadata(table_dir)))


def pyiceberg_rows(table_dir, snapshot_id=None) -> list:
    t = pyiceberg_table(table_dir)
    scan = t.scan(snapshot_id=snapshot_id) if snapshot_id else t.scan()
    return scan.to_arrow().to_pylist()


_con = None


def duck():
    global _con
    if _con is None:
        con = duckdb.connect(config={"allow_unsigned_extensions": True})
        for name in ("avro", "iceberg"):
            found = []
            for root in site.getsitepackages():
                found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
            assert found, f"the duckdb-extension-{name} package is missing"
            con.execute(f"LOAD '{found[0]}'")
        _con = con
    return _con


def duckdb_rows(table_dir, snapshot_id=None) -> list:
    q = f"SELECT * FROM iceberg_scan('{current_metadata(table_dir)}'"
    if snapshot_id:
        q += f", snapshot_from_id => {snapshot_id}"
    q += ")"
    return duck().sql(q).to_arrow_table().to_pylist()


def canon(rows) -> list:
    """Rows in a comparable form: sorted, timestamps as UTC text, decimals as text."""

    def norm(v):
        if isinstance(v, datetime.datetime):
            if v.tzinfo is not None:
                v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            return v.isoformat()
        if isinstance(v, (datetime.date, datetime.time)):
            return v.isoformat()
        if isinstance(v, decimal.Decimal):
            return str(v)
        if isinstance(v, bytes):
            return v.hex()
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    out = [{k: norm(v) for k, v in r.items()} for r in rows]
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def peers_agree(table_dir, snapshot_id, expected):
    """PyIceberg and DuckDB read exactly `expected` (dicts in the snapshot's schema)."""
    want = canon(expected)
    got_py = canon(pyiceberg_rows(table_dir, snapshot_id))
    assert got_py == want, f"PyIceberg at {snapshot_id}:\n{got_py}\nexpected\n{want}"
    got_duck = canon(duckdb_rows(table_dir, snapshot_id))
    assert got_duck == want, f"DuckDB at {snapshot_id}:\n{got_duck}\nexpected\n{want}"


def schema_of(table_dir, snapshot_id=None) -> list:
    """[(id, name, type, required)] of the top-level fields, as PyIceberg sees them."""
    t = pyiceberg_table(table_dir)
    if snapshot_id:
        sid = t.snapshot_by_id(snapshot_id).schema_id
        schema = t.schemas()[sid]
    else:
        schema = t.schema()
    return [(f.field_id, f.name, str(f.field_type), f.required) for f in schema.fields]


# ---- PyIceberg committing to a table directory ---------------------------------------------


class DirectoryCatalog(MetastoreCatalog):
    """PyIceberg commits to a table directory as HadoopCatalog does: the next
    v<N>.metadata.json is created exclusively (os.link of a temporary file),
    then version-hint.text. Staging (updates + requirements) and writing are
    PyIceberg's own; this class only publishes."""

    def __init__(self, name="dir", **props):
        super().__init__(name, **props)

    def load_table(self, identifier):
        path = identifier if isinstance(identifier, str) else "/".join(identifier)
        files = metadata_files(path)
        if not files:
            raise NoSuchTableError(path)
        loc = str(files[-1])
        io = load_file_io(self.properties, loc)
        md = FromInputFile.table_metadata(io.new_input(loc))
        return Table((path,), metadata=md, metadata_location=loc, io=io, catalog=self)

    def commit_table(self, table, requirements, updates):
        path = table.name()[0] if isinstance(table.name(), tuple) else table.name()
        current = self.load_table(path)
        staged = self._update_and_stage_table(current, (path,), requirements, updates)
        version = int(re.match(r"v(\d+)", pathlib.Path(current.metadata_location).name).group(1)) + 1
        final = pathlib.Path(path) / "metadata" / f"v{version}.metadata.json"
        tmp = final.with_name(f".{os.getpid()}-{version}.tmp")
        ToOutputFile.table_metadata(staged.metadata, staged.io.new_output(str(tmp)), overwrite=True)
        try:
            os.link(tmp, final)
        except FileExistsError as e:
            raise CommitFailedException(f"{final} exists") from e
        finally:
            os.unlink(tmp)
        (pathlib.Path(path) / "metadata" / "version-hint.text").write_text(str(version))
        return CommitTableResponse(metadata=staged.metadata, metadata_location=str(final))

    def _unused(self, *a, **k):
        raise NotImplementedError

    create_table = create_table_transaction = register_table = drop_table = rename_table = _unused
    create_namespace = drop_namespace = list_tables = list_namespaces = _unused
    load_namespace_properties = update_namespace_properties = _unused
    list_views = drop_view = view_exists = table_exists = purge_table = load_view = register_view = _unused
