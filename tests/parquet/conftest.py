"""Shared helpers of the Parquet conformance tests (tests/parquet).

They drive the real `ice` binary and the real peers (pyarrow, DuckDB). A
missing peer or binary is an error, never a skip.
"""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def fixtures_dir() -> pathlib.Path:
    env = os.environ.get("ICE_FIXTURES")
    d = pathlib.Path(env) if env else REPO / ".." / "shared" / "fixtures"
    d = d.resolve() / "parquet"
    if not d.is_dir():
        raise RuntimeError(f"Parquet fixtures not found at {d} (set ICE_FIXTURES)")
    return d


def ice_binary() -> str:
    env = os.environ.get("ICE_BIN")
    if env:
        return env
    candidates = []
    if os.environ.get("ICE_BUILD_ROOT"):
        candidates.append(pathlib.Path(os.environ["ICE_BUILD_ROOT"]) / "tools" / "ice")
    candidates += [REPO / "build" / "tools" / "ice", REPO / "build-parquet" / "tools" / "ice"]
    for c in candidates:
        if c.is_file():
            return str(c)
    raise RuntimeError("the ice binary was not found: build it and set ICE_BIN or ICE_BUILD_ROOT")


def run_ice(*args, check=False, timeout=120):
    p = subprocess.run([ice_binary(), *map(str, args)], capture_output=True, timeout=timeout)
    if p.returncode < 0 or p.returncode > 4:
        raise AssertionError(f"ice {' '.join(map(str, args))} crashed (exit {p.returncode}):\n"
                             f"{p.stderr.decode(errors='replace')[-4000:]}")
    if check and p.returncode != 0:
        raise AssertionError(f"ice {' '.join(map(str, args))} failed ({p.returncode}): "
                             f"{p.stderr.decode(errors='replace')}")
    return p


@pytest.fixture(scope="session")
def ice():
    return ice_binary()
