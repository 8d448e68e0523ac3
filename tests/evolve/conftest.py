"""Fixtures of the evolution suite: `target`, a table name maker for the
file-system way (a table directory) and a REST catalog (a name in a
namespace of the test's own on the Apache Iceberg REST fixture, reached
through ICE_CATALOG), so the same tests run on both (tests/peers/catalogs.py)."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "peers"))
from catalogs import RestCatalog, java_rest  # noqa: E402,F401  (pytest fixtures)

import support  # noqa: E402
import support.tables  # noqa: E402


@pytest.fixture(params=["fs", "rest"])
def target(request, tmp_path, monkeypatch):
    if request.param == "fs":
        return lambda name="t": str(tmp_path / name)
    cat = RestCatalog(request.getfixturevalue("java_rest"))
    ns = cat.ns("evo")
    monkeypatch.setenv("ICE_CATALOG", cat.fixture.uri)
    monkeypatch.setattr(support.tables, "CATALOG", cat)
    support.ice_ok("namespace", "create", ns)
    return lambda name="t": f"{ns}.{name}"
