"""Fixtures of the REST client suite: the Apache Iceberg REST fixture (one
JVM per pytest session, tests/peers/rest_fixture.py), `ice serve` (one per
session, tests/serve/serve_support.py), `server` (each of the two in turn,
for the tests that must hold against both) and a fresh namespace per test."""
import itertools
import json
import pathlib
import sys
import urllib.error
import urllib.request

import pytest

from rest_support import REPO, ice_ok  # puts tests/peers on sys.path
import rest_fixture  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "serve"))
import serve_support  # noqa: E402

_ids = itertools.count()


@pytest.fixture(scope="session")
def java_rest(tmp_path_factory):
    with rest_fixture.RestFixture(tmp_path_factory.mktemp("java-rest") / "wh") as f:
        yield f


class Served:
    """`ice serve` with the face of RestFixture (uri, warehouse, request)."""

    def __init__(self, serve):
        self.serve = serve
        self.uri = serve.uri
        self.warehouse = serve.warehouse.resolve()

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.uri + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None


@pytest.fixture(scope="session")
def ice_serve(tmp_path_factory):
    s = serve_support.IceServe(tmp_path_factory.mktemp("ice-serve") / "wh").start()
    yield Served(s)
    s.stop()


@pytest.fixture(params=["java", "serve"])
def server(request):
    """The REST server under test: the Java fixture, then ice serve."""
    return request.getfixturevalue("java_rest" if request.param == "java" else "ice_serve")


def _namespace(uri):
    name = f"ns_{next(_ids)}"
    ice_ok("--catalog", uri, "namespace", "create", name)
    return name


@pytest.fixture
def ns(java_rest):
    """A namespace of its own for the test (ns_<n>) on the Java fixture."""
    return _namespace(java_rest.uri)


@pytest.fixture
def sns(server):
    """A namespace of its own for the test on `server`."""
    return _namespace(server.uri)
