"""Helpers of the REST catalog client tests (a plain module, not
conftest.py, so its names never clash with other suites'): run the real
`ice` binary against a REST catalog - the Apache Iceberg REST fixture
(tests/peers/rest_fixture.py) or the hostile test server (hostile.py) - and
look at what the server holds."""
import json
import re
import os
import pathlib
import subprocess
import sys
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "peers"))


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


def clean_env(**extra) -> dict:
    """The environment without ICE_REST_* / ICE_CATALOG* settings of the
    caller, plus `extra` (an ICE_CONFIG pointing nowhere by default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICE_REST_", "ICE_CATALOG"))}
    env.setdefault("ICE_CONFIG", "/nonexistent/ice-config")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def ice(*args, stdin=None, timeout=300, env=None) -> Result:
    p = subprocess.run([ice_bin(), *map(str, args)], capture_output=True, input=stdin, timeout=timeout,
                       env=env if env is not None else clean_env())
    r = Result(p)
    # Exit codes are 0..4; anything else (a signal, a sanitizer report) is a crash.
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
    if "-v" in args:  # -v's last line: "ice: <command>: exit N after T s"
        lines = [x for x in lines if not re.match(r"^ice: [\w-]+: exit \d+ after ", x)]
    assert len(lines) == 1 and lines[0].startswith("ice"), f"not one line:\n{r.err}"
    return r


def get_json(url: str, headers=None):
    req = urllib.request.Request(url, headers=dict(headers or {}))
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def local_path(location: str) -> pathlib.Path:
    """file:/x, file:///x or /x as a local path."""
    if location.startswith("file:"):
        location = location[5:]
        while location.startswith("//"):
            location = location[1:]
    return pathlib.Path(location)


def table_files(table_dir) -> set:
    root = pathlib.Path(table_dir)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
