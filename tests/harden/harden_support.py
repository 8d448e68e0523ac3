"""Helpers of the hardening tests (issue 11: nothing touched outside the
table, no silent truncation, no overflow, bounded memory, no secrets in
output): run the real `ice` binary and look at what it left. A plain module,
not conftest.py, so its names never clash with other suites'."""
import json
import os
import pathlib
import re
import subprocess

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
               props=()) -> pathlib.Path:
    t = tmp_path / name
    args = ["create", t, "--schema", schema]
    if partition:
        args += ["--partition", partition]
    for p in props:
        args += ["--property", p]
    ice_ok(*args)
    if rows:
        ice_ok("append", t, csv_file(tmp_path / f"{name}-in.csv", "id,s", rows))
    return t
