"""Fixtures of the REST client suite: the Apache Iceberg REST fixture (one
JVM per pytest session, tests/peers/rest_fixture.py) and a fresh namespace
per test."""
import itertools

import pytest

from rest_support import ice_ok  # puts tests/peers on sys.path
import rest_fixture  # noqa: E402

_ids = itertools.count()


@pytest.fixture(scope="session")
def java_rest(tmp_path_factory):
    with rest_fixture.RestFixture(tmp_path_factory.mktemp("java-rest") / "wh") as f:
        yield f


@pytest.fixture
def ns(java_rest, request):
    """A namespace of its own for the test (ns_<n>)."""
    name = f"ns_{next(_ids)}"
    ice_ok("--catalog", java_rest.uri, "namespace", "create", name)
    return name
