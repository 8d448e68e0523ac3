"""What the scan-planning tests share: running the real `ice` binary, the
corpus path rewrites (for ice's --path-map, for reading files here, and as a
PyIceberg FileIO), and an independent planner written here from the spec's
"Scan Planning" scope rules over manifests read with fastavro, to compare
ice's plans with where PyIceberg cannot plan a table."""
import json
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "manifest"))

from iceberg_avro import read_avro  # noqa: E402  (fastavro with every codec the corpus uses)

FILE_PATH_ID = 2147483546


def fixtures() -> pathlib.Path:
    env = os.environ.get("ICE_FIXTURES")
    d = (pathlib.Path(env) if env else REPO / ".." / "shared" / "fixtures").resolve()
    if not d.is_dir():
        raise RuntimeError(f"fixtures not found at {d} (set ICE_FIXTURES)")
    return d


def ice_bin() -> str:
    if os.environ.get("ICE_BIN"):
        return os.environ["ICE_BIN"]
    for cand in (REPO / "build-asan" / "tools" / "ice", REPO / "build" / "tools" / "ice"):
        if cand.is_file():
            return str(cand)
    raise RuntimeError("the ice binary was not found: run scripts/setup.sh or set ICE_BIN")


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", errors="replace")
        self.err = p.stderr.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.out)


def ice(*args, timeout=300) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, timeout=timeout)
    r = Result(p)
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r


def ice_ok(*args, **kw) -> Result:
    r = ice(*args, **kw)
    assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    assert r.err == "", r.err
    return r


def one_line_error(r: Result, *parts):
    lines = r.err.rstrip("\n").split("\n")
    assert len(lines) == 1, f"expected one line, got:\n{r.err}"
    assert lines[0].startswith("ice: "), lines[0]
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def table_index():
    return json.loads((fixtures() / "tables" / "INDEX.json").read_text())


def rewrites():
    return [(old, str(fixtures() / new) + "/") for old, new in table_index()["path_prefix_rewrites"]]


def path_maps():
    """--path-map arguments for the corpus (first match wins)."""
    args = []
    for old, new in rewrites():
        args += ["--path-map", f"{old}={new}"]
    return args


def rewrite(location: str) -> str:
    """Where a location written in the corpus' metadata lives here."""
    for old, new in rewrites():
        if location.startswith(old):
            return new + location[len(old):]
    if location.startswith("file://"):
        return location[len("file://"):]
    return location


def load_json(path):
    data = pathlib.Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        import gzip
        data = gzip.decompress(data)
    return json.loads(data)


def metadata_of(table):
    """The table's current metadata as ice prints it (it finds the current file)."""
    return json.loads(ice_ok("metadata", "--compact", table).out)


def ice_plan(table, *args):
    """ice's plan: {data file path: sorted [(delete path, content offset)]}, and the raw JSON."""
    got = ice_ok(*path_maps(), "--json", "scan", "--plan", "--stats", *args, table).json()
    plan = {}
    for t in got["tasks"]:
        assert t["file_path"] not in plan, f"data file planned twice: {t['file_path']}"
        plan[t["file_path"]] = sorted((d["file_path"], d.get("content_offset")) for d in t["deletes"])
    return plan, got


# ---- PyIceberg reading the corpus through the rewrites ---------------------------

def _mapped_file_io():
    from pyiceberg.io.pyarrow import PyArrowFileIO

    class MappedFileIO(PyArrowFileIO):
        def new_input(self, location):
            return super().new_input(rewrite(location))

        def new_output(self, location):
            return super().new_output(rewrite(location))

    return MappedFileIO


MappedFileIO = None


def pyiceberg_table(metadata_file):
    """A PyIceberg StaticTable whose FileIO applies the corpus rewrites."""
    global MappedFileIO
    if MappedFileIO is None:
        MappedFileIO = _mapped_file_io()
        globals()["MappedFileIO"] = MappedFileIO
    from pyiceberg.table import StaticTable
    return StaticTable.from_metadata(str(metadata_file), properties={"py-io-impl": "plan_support.MappedFileIO"})


def pyiceberg_plan(table, snapshot_id=None, row_filter=None):
    scan = table.scan(snapshot_id=snapshot_id, **({"row_filter": row_filter} if row_filter else {}))
    plan = {}
    for task in scan.plan_files():
        path = task.file.file_path
        assert path not in plan
        plan[path] = sorted((d.file_path, getattr(d, "content_offset", None)) for d in task.delete_files)
    return plan


# ---- the spec's scope rules, computed here -----------------------------------------

def _get(rec, *names, default=None):
    for n in names:
        if n in rec:
            return rec[n]
    return default


def _bounds(df, which):
    raw = df.get(which)
    if not raw:
        return {}
    if isinstance(raw, dict):
        return raw
    return {kv["key"]: kv["value"] for kv in raw}


def _unpartitioned(spec):
    return all(f["transform"] == "void" for f in spec["fields"])


def _specs(md):
    if "partition-specs" in md:
        return {s["spec-id"]: s for s in md["partition-specs"]}
    return {0: {"spec-id": 0, "fields": md.get("partition-spec", [])}}


def _manifest_list(md, snap):
    if "manifest-list" in snap:
        _, _, records = read_avro(rewrite(snap["manifest-list"]))
        return records
    out = []
    for m in snap.get("manifests", []):  # v1 inline manifests
        meta, _, _ = read_avro(rewrite(m))
        out.append({"manifest_path": m, "partition_spec_id": int(meta.get("partition-spec-id", b"0")),
                    "content": 0, "sequence_number": 0})
    return out


def all_entries(md, snap):
    """Every manifest entry of a snapshot, in manifest-list and file order, with
    inheritance applied (spec "Sequence Number Inheritance"): dicts with status,
    snapshot_id, sequence_number, file_sequence_number, content, data_file, spec_id."""
    for mf in _manifest_list(md, snap):
        list_seq = _get(mf, "sequence_number", default=0) or 0
        spec_id = _get(mf, "partition_spec_id", default=0) or 0
        added_by = _get(mf, "added_snapshot_id")
        _, _, entries = read_avro(rewrite(mf["manifest_path"]))
        for e in entries:
            df = e["data_file"]
            inherit = e["status"] == 1 or list_seq == 0
            seq, fseq = e.get("sequence_number"), e.get("file_sequence_number")
            yield {
                "status": e["status"],
                "snapshot_id": e.get("snapshot_id") if e.get("snapshot_id") is not None else added_by,
                "sequence_number": seq if seq is not None else (list_seq if inherit else None),
                "file_sequence_number": fseq if fseq is not None else (list_seq if inherit else None),
                "content": df.get("content", 0) or 0,
                "data_file": df,
                "spec_id": spec_id,
            }


def live_entries(md, snap):
    """Every live manifest entry of a snapshot with inheritance applied:
    (content, data file record, spec id, data seq)."""
    for e in all_entries(md, snap):
        if e["status"] == 2:
            continue
        yield e["content"], e["data_file"], e["spec_id"], e["sequence_number"] or 0


def expected_plan(md, snap):
    """{data file path: sorted [(delete path, content offset)]} by the spec's rules."""
    specs = _specs(md)
    data, dvs, pos, eqs = [], [], [], []
    for content, df, spec_id, seq in live_entries(md, snap):
        key = (spec_id, tuple(sorted((df.get("partition") or {}).items(), key=lambda kv: kv[0])))
        item = (df, key, seq)
        if content == 0:
            if df["record_count"] != 0:
                data.append(item)
        elif content == 1:
            puffin = df["file_format"].lower() == "puffin" or df.get("content_offset") is not None
            (dvs if puffin else pos).append(item)
        else:
            eqs.append((df, key, seq, _unpartitioned(specs.get(spec_id, {"fields": []}))))
    plan = {}
    for df, key, seq in data:
        path = df["file_path"]
        deletes = []
        for d, dkey, dseq in dvs:
            if d.get("referenced_data_file") == path and dseq >= seq and dkey == key:
                deletes.append(d)
        if not deletes:
            for d, dkey, dseq in pos:
                if dseq < seq or dkey != key:
                    continue
                lo = _bounds(d, "lower_bounds").get(FILE_PATH_ID)
                hi = _bounds(d, "upper_bounds").get(FILE_PATH_ID)
                if d.get("referenced_data_file") is not None:
                    if d["referenced_data_file"] != path:
                        continue
                elif lo is not None and hi is not None and not (lo <= path.encode() <= hi):
                    continue
                deletes.append(d)
        for d, dkey, dseq, is_global in eqs:
            if dseq > seq and (dkey == key or is_global):
                deletes.append(d)
        assert path not in plan, f"data file listed twice: {path}"
        plan[path] = sorted((d["file_path"], d.get("content_offset")) for d in deletes)
    return plan


# ---- a table directory PyIceberg commits to (v<N>.metadata.json + version-hint.text) ----

def _directory_catalog():
    from pyiceberg.catalog import MetastoreCatalog
    from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
    from pyiceberg.io import load_file_io
    from pyiceberg.serializers import FromInputFile, ToOutputFile
    from pyiceberg.table import CommitTableResponse, Table

    def versions(path):
        return sorted(pathlib.Path(path, "metadata").glob("v*.metadata.json"),
                      key=lambda p: int(p.name[1:].split(".")[0]))

    class DirectoryCatalog(MetastoreCatalog):
        """Publishes v<N+1>.metadata.json exclusively (a hard link from a
        temporary file), then version-hint.text; PyIceberg stages the updates."""

        def load_table(self, identifier):
            path = identifier if isinstance(identifier, str) else "/".join(identifier)
            files = versions(path)
            if not files:
                raise NoSuchTableError(path)
            loc = str(files[-1])
            io = load_file_io(self.properties, loc)
            return Table((path,), metadata=FromInputFile.table_metadata(io.new_input(loc)), metadata_location=loc,
                         io=io, catalog=self)

        def commit_table(self, table, requirements, updates):
            path = table.name()[0]
            current = self.load_table(path)
            staged = self._update_and_stage_table(current, (path,), requirements, updates)
            version = int(pathlib.Path(current.metadata_location).name[1:].split(".")[0]) + 1
            final = pathlib.Path(path) / "metadata" / f"v{version}.metadata.json"
            tmp = final.with_name(f".tmp-{os.getpid()}-{version}")
            ToOutputFile.table_metadata(staged.metadata, staged.io.new_output(str(tmp)), overwrite=True)
            try:
                os.link(tmp, final)
            except FileExistsError as e:
                raise CommitFailedException(f"{final} exists") from e
            finally:
                os.unlink(tmp)
            (pathlib.Path(path) / "metadata" / "version-hint.text").write_text(str(version))
            return CommitTableResponse(metadata=staged.metadata, metadata_location=str(final))

    for name in ("create_table", "create_table_transaction", "register_table", "drop_table", "rename_table",
                 "create_namespace", "drop_namespace", "list_tables", "list_namespaces",
                 "load_namespace_properties", "update_namespace_properties", "list_views", "drop_view",
                 "view_exists", "table_exists", "purge_table", "load_view", "register_view"):
        setattr(DirectoryCatalog, name, lambda self, *a, **k: (_ for _ in ()).throw(NotImplementedError()))
    DirectoryCatalog.__abstractmethods__ = frozenset()
    return DirectoryCatalog


def create_pyiceberg_table(path, schema, spec, properties=None):
    """A new table directory with PyIceberg's first metadata; returns (catalog, table)."""
    from pyiceberg.io.pyarrow import PyArrowFileIO
    from pyiceberg.serializers import ToOutputFile
    from pyiceberg.table.metadata import new_table_metadata
    from pyiceberg.table.sorting import UNSORTED_SORT_ORDER

    path = pathlib.Path(path)
    md = new_table_metadata(schema, spec, UNSORTED_SORT_ORDER, str(path), properties or {})
    (path / "metadata").mkdir(parents=True)
    ToOutputFile.table_metadata(md, PyArrowFileIO().new_output(str(path / "metadata" / "v1.metadata.json")))
    (path / "metadata" / "version-hint.text").write_text("1")
    cat = _directory_catalog()("dir")
    return cat, cat.load_table(str(path))
