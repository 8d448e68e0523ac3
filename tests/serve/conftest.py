"""Session-wide servers of the ice serve suite: one `ice serve` (no auth) and
one Java REST fixture, each over its own warehouse. Tests that need another
configuration start their own `ice serve` (it starts in milliseconds)."""
import pytest

import serve_support as S


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = S.IceServe(tmp_path_factory.mktemp("ice-serve") / "wh").start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def java(tmp_path_factory):
    with S.rest_fixture.RestFixture(tmp_path_factory.mktemp("java-rest") / "wh") as f:
        yield f


@pytest.fixture
def http(server):
    h = S.Http(server.uri)
    yield h
    h.close()
