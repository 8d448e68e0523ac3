"""Helpers of the write-path tests (a plain module, not conftest.py, so its
names never clash with other suites'): run the real `ice` binary, read
tables with the real peers - PyIceberg (StaticTable over the metadata file,
and a small HadoopCatalog-style catalog so PyIceberg can also commit to a
table directory) and DuckDB's iceberg extension loaded from its PyPI
package. A missing peer fails the import, never skips."""
import glob
import json
import os
import pathlib
import re
import subprocess

import duckdb
import pyarrow as pa
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.io import load_file_io
from pyiceberg.serializers import FromInputFile
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


def fault_shim() -> str:
    """The LD_PRELOAD fault library (tests/shim), from the build under test."""
    roots = [os.environ["ICE_BUILD_ROOT"]] if os.environ.get("ICE_BUILD_ROOT") else []
    roots += [str(REPO / "build-asan"), str(REPO / "build")]
    for root in roots:
        p = pathlib.Path(root) / "tests" / "shim" / "libicefault.so"
        if p.is_file():
            return str(p)
    raise RuntimeError("tests/shim/libicefault.so was not built: build the tests or set ICE_BUILD_ROOT")


def fault_env(**faults) -> dict:
    """The environment that runs ice with the fault library preloaded; a
    sanitized ice accepts a preloaded library before its runtime."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = fault_shim()
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    env.update({k: str(v) for k, v in faults.items()})
    return env


def table_files(table_dir) -> set:
    """Every file below a table directory, as paths relative to it."""
    root = pathlib.Path(table_dir)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", errors="replace")
        self.err = p.stderr.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.out)


def ice(*args, stdin=None, timeout=600, env=None, cwd=None) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, input=stdin, timeout=timeout, env=env,
                       cwd=cwd)
    r = Result(p)
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r


def ice_ok(*args, **kw) -> Result:
    r = ice(*args, **kw)
    assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    return r


def ice_fails(code, *args, **kw) -> Result:
    r = ice(*args, **kw)
    assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.out}{r.err}"
    lines = r.err.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("ice"), r.err
    return r


def metadata_files(table_dir) -> list:
    md = pathlib.Path(table_dir) / "metadata"
    files = [p for p in md.glob("v*.metadata.json")]
    return sorted(files, key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))


def current_metadata(table_dir) -> pathlib.Path:
    return metadata_files(table_dir)[-1]


def pyiceberg_table(metadata_path) -> Table:
    return StaticTable.from_metadata(str(metadata_path))


def pyiceberg_rows(metadata_path, snapshot_id=None) -> list:
    t = pyiceberg_table(metadata_path)
    scan = t.scan(snapshot_id=snapshot_id) if snapshot_id else t.scan()
    return scan.to_arrow().to_pylist()


_con = None


def duck():
    global _con
    if _con is None:
        import site

        con = duckdb.connect(config={"allow_unsigned_extensions": True})
        roots = site.getsitepackages()
        for name in ("avro", "iceberg"):
            found = []
            for root in roots:
                found += glob.glob(f"{root}/duckdb_extension_{name}/**/*.duckdb_extension", recursive=True)
            assert found, f"the duckdb-extension-{name} package is missing"
            con.execute(f"LOAD '{found[0]}'")
        _con = con
    return _con


def duckdb_rows(metadata_path, snapshot_id=None) -> list:
    q = f"SELECT * FROM iceberg_scan('{metadata_path}'"
    if snapshot_id:
        q += f", snapshot_from_id => {snapshot_id}"
    q += ")"
    return duck().sql(q).to_arrow_table().to_pylist()


def canon(rows, key="id") -> list:
    """Rows in a comparable form: sorted, timestamps as UTC ISO text, maps as sorted pairs."""
    import datetime
    import decimal

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
            if v and isinstance(v[0], tuple):
                return sorted((norm(a), norm(b)) for a, b in v)
            return [norm(x) for x in v]
        if isinstance(v, tuple):
            return tuple(norm(x) for x in v)
        if hasattr(v, "hex") and v.__class__.__name__ == "UUID":
            return str(v)
        return v

    out = [{k: norm(v) for k, v in r.items()} for r in rows]
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, default=str))


class DirectoryCatalog(MetastoreCatalog):
    """PyIceberg committing to a table directory the HadoopCatalog way:
    v<N+1>.metadata.json created exclusively (os.link from a temporary), then
    version-hint.text. PyIceberg's own staging (updates + requirements) and
    writers do the work; this only publishes."""

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
        from pyiceberg.serializers import ToOutputFile

        ToOutputFile.table_metadata(staged.metadata, staged.io.new_output(str(tmp)), overwrite=True)
        try:
            os.link(tmp, final)
        except FileExistsError as e:
            raise CommitFailedException(f"{final} exists") from e
        finally:
            os.unlink(tmp)
        (pathlib.Path(path) / "metadata" / "version-hint.text").write_text(str(version))
        return CommitTableResponse(metadata=staged.metadata, metadata_location=str(final))

    # The rest of the Catalog interface is not needed by these tests.
    def create_table(self, *a, **k):
        raise NotImplementedError

    def create_table_transaction(self, *a, **k):
        raise NotImplementedError

    def register_table(self, *a, **k):
        raise NotImplementedError

    def drop_table(self, *a, **k):
        raise NotImplementedError

    def rename_table(self, *a, **k):
        raise NotImplementedError

    def create_namespace(self, *a, **k):
        raise NotImplementedError

    def drop_namespace(self, *a, **k):
        raise NotImplementedError

    def list_tables(self, *a, **k):
        raise NotImplementedError

    def list_namespaces(self, *a, **k):
        raise NotImplementedError

    def load_namespace_properties(self, *a, **k):
        raise NotImplementedError

    def update_namespace_properties(self, *a, **k):
        raise NotImplementedError

    def list_views(self, *a, **k):
        raise NotImplementedError

    def drop_view(self, *a, **k):
        raise NotImplementedError

    def view_exists(self, *a, **k):
        raise NotImplementedError

    def table_exists(self, *a, **k):
        raise NotImplementedError

    def purge_table(self, *a, **k):
        raise NotImplementedError

    def load_view(self, *a, **k):
        raise NotImplementedError

    def register_view(self, *a, **k):
        raise NotImplementedError
