"""Running the real `ice` binary (the sanitized build under test, ICE_BIN),
with its exit code and one-line errors checked."""
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
    """Runs ice; exit codes are 0..4, anything else (a signal, a sanitizer
    report) is a crash and fails here."""
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
    """The command fails with `code` and says why in one line (a usage
    error, exit 2, adds the "Try 'ice ...'" hint line)."""
    r = ice(*args, **kw)
    assert r.code == code, f"ice {' '.join(map(str, args))}: exit {r.code}, expected {code}\n{r.out}{r.err}"
    lines = r.err.rstrip("\n").split("\n")
    if code == 2:
        lines = [ln for ln in lines if not ln.startswith("Try 'ice")]
    if "-v" in map(str, args):  # -v's trace lines, and its last: "ice: <command>: exit N after T s"
        lines = [ln for ln in lines if not re.match(r"^ice: [\w-]+: exit \d+ after ", ln)]
    assert len(lines) == 1 and lines[0].startswith("ice"), r.err
    return r


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
