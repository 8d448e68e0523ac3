"""Shared helpers of the CLI tests: they run the real `ice` binary (the
sanitized build in CI) and compare exit codes, output and errors. The
fixtures corpus is read in place from ../shared/fixtures."""
import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


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


def run(*args, stdin=None, timeout=120) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, input=stdin, timeout=timeout)
    r = Result(p)
    # Exit codes are 0..4; anything else (a signal, a sanitizer report) is a crash.
    assert 0 <= r.code <= 4, f"ice {' '.join(map(str, args))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r


def ok(*args, **kw) -> Result:
    r = run(*args, **kw)
    assert r.code == 0, f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    assert r.err == "", r.err
    return r


def fails(code, *args, **kw) -> Result:
    r = run(*args, **kw)
    assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.out}{r.err}"
    return r


def one_line_error(r: Result, *parts):
    """An error is one line 'ice: <file>: <where>: <what>' on stderr."""
    lines = r.err.rstrip("\n").split("\n")
    assert len(lines) == 1, f"expected one line, got:\n{r.err}"
    assert lines[0].startswith("ice: "), lines[0]
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def load_json(path):
    data = pathlib.Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        import gzip
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return json.loads(data)


def table_index():
    return json.loads((fixtures() / "tables" / "INDEX.json").read_text())


@pytest.fixture(scope="session")
def fx():
    return fixtures()
