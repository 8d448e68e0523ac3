"""Helpers of the hardening tests (issue 11: nothing touched outside the
table, no silent truncation, no overflow, bounded memory, no secrets in
output): run the real `ice` binary and look at what it left. A plain module,
not conftest.py, so its names never clash with other suites'."""
import json
import os
import pathlib
import re
import subprocess

from parquet_patch import zigzag_varint

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


def ice(*args, stdin=None, timeout=600, env=None, cwd=None) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, input=stdin, timeout=timeout, env=env,
                       cwd=cwd)
    r = Result(p)
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    # A sanitizer report is a failure even when the run went on (UBSan
    # without halt_on_error continues).
    assert "runtime error:" not in r.err and "Sanitizer" not in r.err, \
        f"ice {' '.join(map(str, args))}: sanitizer report:\n{r.err[-3000:]}"
    return r


def ice_ok(*args, **kw) -> Result:
    r = ice(*args, **kw)
    assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    return r


def ice_fails(code, *args, **kw) -> Result:
    """A failure with the given exit code and a one-line message."""
    r = ice(*args, **kw)
    assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.out}{r.err}"
    lines = r.err.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("ice"), r.err
    return r


def tree(root) -> dict:
    """Every file and link below a directory (links not followed), with its
    size or link target: a picture to compare before and after."""
    root = pathlib.Path(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = pathlib.Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = p.stat().st_size
    return out


def metadata_files(table_dir) -> list:
    md = pathlib.Path(table_dir) / "metadata"
    files = [p for p in md.glob("v*.metadata.json")]
    return sorted(files, key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))


def current_metadata(table_dir) -> pathlib.Path:
    return metadata_files(table_dir)[-1]


def load_metadata(table_dir) -> dict:
    return json.loads(current_metadata(table_dir).read_text())


def csv_file(path, header, rows) -> pathlib.Path:
    path = pathlib.Path(path)
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def make_table(tmp_path, name="t", schema="id long, s string", partition=None, rows=("1,a", "2,b"),
               props=(), version=None, header="id,s") -> pathlib.Path:
    t = tmp_path / name
    args = ["create", t, "--schema", schema]
    if version:
        args += ["--format-version", str(version)]
    if partition:
        args += ["--partition", partition]
    for p in props:
        args += ["--property", p]
    ice_ok(*args)
    if rows:
        ice_ok("append", t, csv_file(tmp_path / f"{name}-in.csv", header, rows))
    return t


def reblock(path, records_per_block=1):
    """Rewrites an Avro container file (a manifest or manifest list) with
    the same schema, metadata and records, in blocks of the given number of
    records, so it can be cut at a block boundary."""
    import fastavro

    path = pathlib.Path(path)
    with open(path, "rb") as f:
        r = fastavro.reader(f)
        schema, codec = r.writer_schema, r.codec
        meta = {k: v.decode() if isinstance(v, bytes) else v for k, v in r.metadata.items()
                if not k.startswith("avro.")}
        records = list(r)
    with open(path, "wb") as f:
        w = fastavro.write.Writer(f, schema, codec=codec, metadata=meta, sync_interval=1 << 30)
        for i, rec in enumerate(records):
            w.write(rec)
            if (i + 1) % records_per_block == 0:
                w.flush()
        w.flush()
    return len(records)


def avro_parts(path):
    """(header bytes, [(count, raw block bytes)], sync) of an Avro container."""
    data = pathlib.Path(path).read_bytes()

    def varint(pos):
        return zigzag_varint(data, pos)

    pos = 4
    while True:  # the metadata map: blocks of key/value pairs
        count, pos = varint(pos)
        if count == 0:
            break
        if count < 0:
            _, pos = varint(pos)
            count = -count
        for _ in range(2 * count):
            n, pos = varint(pos)
            pos += n
    sync = data[pos:pos + 16]
    pos += 16
    header = data[:pos]
    blocks = []
    while pos < len(data):
        count, pos = varint(pos)
        size, pos = varint(pos)
        blocks.append((count, data[pos:pos + size]))
        pos += size + 16
    return header, blocks, sync


def cut_after_blocks(path, n):
    """Truncates an Avro container file right after its n-th data block: a
    file that is still well-formed, only shorter."""
    header, blocks, sync = avro_parts(path)
    assert n < len(blocks), "the file has no more blocks than that"
    out = bytearray(header)
    for count, raw in blocks[:n]:
        out += zigzag_long(count) + zigzag_long(len(raw)) + raw + sync
    pathlib.Path(path).write_bytes(bytes(out))


def zigzag_long(n):
    """An Avro long: zigzag, then base-128 varint."""
    out = bytearray()
    n = (n << 1) ^ (n >> 63)
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def edit_metadata(table_dir, change):
    """Publishes the table's current metadata changed by change(dict) as the
    next version (a hostile or corrupt writer's commit)."""
    md = load_metadata(table_dir)
    change(md)
    n = int(re.match(r"v(\d+)", current_metadata(table_dir).name).group(1)) + 1
    (pathlib.Path(table_dir) / "metadata" / f"v{n}.metadata.json").write_text(json.dumps(md))
    (pathlib.Path(table_dir) / "metadata" / "version-hint.text").write_text(str(n))
    return md


def peak_rss_mb(*args, env=None, cwd=None):
    """Runs ice in a fresh child of a small Python process and returns
    (Result, peak RSS of ice in MB). ASan's quarantine of freed memory is
    kept small so the figure is what ice holds, not what ASan keeps."""
    import sys
    env = dict(env if env is not None else os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8"
    code = ("import json, resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
            "print(json.dumps([p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace'),"
            " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    p = subprocess.run([sys.executable, "-c", code, ice_bin(), *map(str, args)], capture_output=True, env=env,
                       cwd=cwd, timeout=600)
    rc, out, err, kb = json.loads(p.stdout)
    r = Result.__new__(Result)
    r.code, r.out, r.err = rc, out, err
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r, kb / 1024


def many_snapshots(table_dir, n, branch_every=0):
    """Publishes the table's metadata with n snapshots in one parent chain
    (every branch_every-th one off the chain) and a snapshot log of all of
    them. Manifest lists are not written: history and snapshots read none."""
    md = load_metadata(table_dir)
    base = md["last-updated-ms"]
    snaps, log = [], []
    parent = None
    for i in range(n):
        sid = 1_000_000 + i
        s = {"snapshot-id": sid, "sequence-number": i + 1, "timestamp-ms": base + i,
             "manifest-list": f"{md['location']}/metadata/snap-{sid}.avro",
             "summary": {"operation": "append"}, "schema-id": 0}
        if parent is not None:
            s["parent-snapshot-id"] = parent
        snaps.append(s)
        log.append({"snapshot-id": sid, "timestamp-ms": base + i})
        if not branch_every or i % branch_every:
            parent = sid
    md["snapshots"] = snaps
    md["snapshot-log"] = log
    md["current-snapshot-id"] = parent
    md["last-sequence-number"] = n
    md["refs"] = {"main": {"snapshot-id": parent, "type": "branch"}}
    md["last-updated-ms"] = base + n
    edit_metadata(table_dir, lambda m: m.update(md))
