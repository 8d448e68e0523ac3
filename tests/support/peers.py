"""The real peers: PyIceberg and DuckDB's iceberg extension read what ice
wrote (a table directory or one metadata file), and PyIceberg commits to a
table directory through DirectoryCatalog. Rows compare through canon()."""
import datetime
import decimal
import glob
import json
import os
import pathlib
import re
import site

import duckdb
import pyarrow as pa  # noqa: F401  (PyIceberg's writes need it)
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.io import load_file_io
from pyiceberg.serializers import FromInputFile, ToOutputFile
from pyiceberg.table import CommitTableResponse, StaticTable, Table

from .tables import current_metadata, metadata_files


def _metadata_file(table) -> str:
    """A table directory's current metadata file, or the metadata file given."""
    p = pathlib.Path(table)
    return str(p if p.is_file() else current_metadata(table))


def pyiceberg_table(table) -> Table:
    return StaticTable.from_metadata(_metadata_file(table))


def pyiceberg_rows(table, snapshot_id=None) -> list:
    t = pyiceberg_table(table)
    scan = t.scan(snapshot_id=snapshot_id) if snapshot_id else t.scan()
    return scan.to_arrow().to_pylist()


_con = None


def duck():
    """One DuckDB connection with the avro and iceberg extensions of their
    PyPI packages loaded (nothing downloaded at run time)."""
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


def duckdb_rows(table, snapshot_id=None) -> list:
    q = f"SELECT * FROM iceberg_scan('{_metadata_file(table)}'"
    if snapshot_id:
        q += f", snapshot_from_id => {snapshot_id}"
    q += ")"
    return duck().sql(q).to_arrow_table().to_pylist()


def canon(rows, key="id") -> list:
    """Rows in a comparable form: sorted, timestamps as UTC ISO text,
    decimals as text, binary as hex, maps as sorted pairs."""

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


class DirectoryCatalog(MetastoreCatalog):
    """PyIceberg committing to a table directory the HadoopCatalog way: the
    next v<N>.metadata.json created exclusively (os.link of a temporary),
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

    # The rest of the Catalog interface is not needed by these tests.
    def _unused(self, *a, **k):
        raise NotImplementedError

    create_table = create_table_transaction = register_table = drop_table = rename_table = _unused
    create_namespace = drop_namespace = list_tables = list_namespaces = _unused
    load_namespace_properties = update_namespace_properties = _unused
    list_views = drop_view = view_exists = table_exists = purge_table = load_view = register_view = _unused
