"""Catalogs as a test parameter: the same CLI test runs against the
file-system catalog (a warehouse directory) and against the Apache Iceberg
REST fixture (tests/peers/rest_fixture.py, one JVM per pytest session).

In a suite's conftest.py:

    from catalogs import catalog, java_rest  # noqa: F401  (pytest fixtures)

and in a test:

    def test_x(catalog, tmp_path):
        ns = catalog.ns("db")                      # a namespace name of the test's own
        ice_ok(*catalog.args, "namespace", "create", ns)
        ice_ok(*catalog.args, "create", f"{ns}.t", "--schema", "x int")
        catalog.metadata_file(f"{ns}.t")           # the current metadata file (local path)
        catalog.table_dir(f"{ns}.t")               # the table location (local path)

`catalog.kind` is "fs" or "rest".
"""
import itertools
import json
import pathlib
import re
import urllib.request

import pytest

import rest_fixture

_ids = itertools.count()


def _local(location: str) -> pathlib.Path:
    if location.startswith("file:"):
        location = location[5:]
        while location.startswith("//"):
            location = location[1:]
    return pathlib.Path(location)


class FsCatalog:
    kind = "fs"

    def __init__(self, warehouse):
        self.warehouse = pathlib.Path(warehouse)
        self.args = ["--catalog", str(self.warehouse)]

    def ns(self, name):
        return name

    def table_dir(self, ident) -> pathlib.Path:
        return self.warehouse.joinpath(*ident.split("."))

    def metadata_file(self, ident) -> pathlib.Path:
        files = list((self.table_dir(ident) / "metadata").glob("v*.metadata.json"))
        return max(files, key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))

    def metadata(self, ident) -> dict:
        return json.loads(self.metadata_file(ident).read_text())


class RestCatalog:
    kind = "rest"

    def __init__(self, fixture):
        self.fixture = fixture
        self.args = ["--catalog", fixture.uri]
        self.prefix = f"t{next(_ids)}"  # the server outlives the test: names of its own

    def ns(self, name):
        return f"{self.prefix}_{name}"

    def _separator(self):
        with urllib.request.urlopen(f"{self.fixture.uri}/v1/config", timeout=30) as r:
            return json.loads(r.read())["overrides"].get("namespace-separator", "%1F")

    def _load(self, ident):
        ns, name = ident.rsplit(".", 1)
        path = self._separator().join(ns.split("."))
        with urllib.request.urlopen(f"{self.fixture.uri}/v1/namespaces/{path}/tables/{name}", timeout=30) as r:
            return json.loads(r.read())

    def table_dir(self, ident) -> pathlib.Path:
        return _local(self._load(ident)["metadata"]["location"])

    def metadata_file(self, ident) -> pathlib.Path:
        return _local(self._load(ident)["metadata-location"])

    def metadata(self, ident) -> dict:
        return self._load(ident)["metadata"]


@pytest.fixture(scope="session")
def java_rest(tmp_path_factory):
    with rest_fixture.RestFixture(tmp_path_factory.mktemp("java-rest") / "wh") as f:
        yield f


@pytest.fixture(params=["fs", "rest"])
def catalog(request, tmp_path):
    if request.param == "fs":
        return FsCatalog(tmp_path / "wh")
    return RestCatalog(request.getfixturevalue("java_rest"))
