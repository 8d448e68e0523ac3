"""Shared helpers of the manifest tests (a plain module, not conftest.py, so
that its names never clash with other suites' conftest modules when pytest
runs several directories at once): they run the real `ice` binary and
the manifest-tool helper (tests/unit/manifest/manifest_tool.c, the library's
writer API driven from JSON), and read every file with fastavro, an Avro
reader that shares no code with ice. The fixtures corpus is read in place
from ../shared/fixtures."""
import json
import os
import pathlib
import subprocess

import fastavro  # noqa: F401  (a missing peer must fail, not skip)

REPO = pathlib.Path(__file__).resolve().parents[2]


def fixtures() -> pathlib.Path:
    env = os.environ.get("ICE_FIXTURES")
    d = (pathlib.Path(env) if env else REPO / ".." / "shared" / "fixtures").resolve()
    if not d.is_dir():
        raise RuntimeError(f"fixtures not found at {d} (set ICE_FIXTURES)")
    return d


def build_root() -> pathlib.Path:
    if os.environ.get("ICE_BUILD_ROOT"):
        return pathlib.Path(os.environ["ICE_BUILD_ROOT"])
    for cand in ("build-asan", "build"):
        if (REPO / cand / "tools" / "ice").is_file():
            return REPO / cand
    raise RuntimeError("no build found: run scripts/setup.sh or set ICE_BUILD_ROOT")


def ice_bin() -> str:
    return os.environ.get("ICE_BIN") or str(build_root() / "tools" / "ice")


def tool_bin() -> str:
    p = build_root() / "tests" / "unit" / "manifest" / "manifest-tool"
    if not p.is_file():
        raise RuntimeError(f"{p} is missing: build the tests (ninja -C {build_root()})")
    return str(p)


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", errors="replace")
        self.err = p.stderr.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.out)


def _run(argv, timeout=300):
    p = subprocess.run([str(a) for a in argv], capture_output=True, timeout=timeout)
    r = Result(p)
    assert 0 <= r.code <= 4, f"{' '.join(map(str, argv))} crashed ({r.code}):\n{r.err[-3000:]}"
    return r


def ice(*args) -> Result:
    return _run([ice_bin(), *args])


def ice_ok(*args) -> Result:
    r = ice(*args)
    assert r.code == 0 and r.err == "", f"ice {' '.join(map(str, args))} failed ({r.code}): {r.err}"
    return r


def tool(*args) -> Result:
    return _run([tool_bin(), *args])


def tool_ok(*args) -> Result:
    r = tool(*args)
    assert r.code == 0, f"manifest-tool {' '.join(map(str, args))} failed: {r.err}"
    return r


def one_line_error(r: Result, *parts):
    lines = r.err.rstrip("\n").split("\n")
    assert len(lines) == 1, f"expected one line, got:\n{r.err}"
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def table_index():
    return json.loads((fixtures() / "tables" / "INDEX.json").read_text())


def avro_index():
    return json.loads((fixtures() / "avro" / "INDEX.json").read_text())


def path_maps():
    """--path-map arguments for the corpus (first match wins)."""
    args = []
    for old, new in table_index()["path_prefix_rewrites"]:
        args += ["--path-map", f"{old}={fixtures() / new}/"]
    return args


def rewrite(location: str) -> pathlib.Path:
    """Where a location written in the corpus' metadata lives here."""
    for old, new in table_index()["path_prefix_rewrites"]:
        if location.startswith(old):
            rest = location[len(old):]
            return fixtures() / new / rest
    if location.startswith("file://"):
        location = location[len("file://"):]
    return pathlib.Path(location)

