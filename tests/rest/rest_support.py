"""Helpers of the REST catalog client tests (a plain module, not
conftest.py, so its names never clash with other suites'): run the real
`ice` binary against a REST catalog - the Apache Iceberg REST fixture
(tests/peers/rest_fixture.py) or the hostile test server (hostile.py) - and
look at what the server holds."""
import json
import os
import pathlib
import sys
import urllib.request

from support import run
from support.run import REPO, Result, ice_bin  # noqa: F401
from support.tables import table_files  # noqa: F401

sys.path.insert(0, str(REPO / "tests" / "peers"))


def clean_env(**extra) -> dict:
    """The environment without ICE_REST_* / ICE_CATALOG* settings of the
    caller, plus `extra` (an ICE_CONFIG pointing nowhere by default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICE_REST_", "ICE_CATALOG"))}
    env.setdefault("ICE_CONFIG", "/nonexistent/ice-config")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def ice(*args, env=None, **kw) -> Result:
    """support's ice, in clean_env() unless an environment is given."""
    return run.ice(*args, env=env if env is not None else clean_env(), **kw)


def ice_ok(*args, env=None, **kw) -> Result:
    return run.ice_ok(*args, env=env if env is not None else clean_env(), **kw)


def ice_fails(code, *args, env=None, **kw) -> Result:
    return run.ice_fails(code, *args, env=env if env is not None else clean_env(), **kw)


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
