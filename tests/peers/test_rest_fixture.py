"""Smoke test of the REST fixture harness: it starts on a port and a
warehouse of our choosing, answers the catalog API, writes tables under the
warehouse, keeps its catalog across a restart, and is gone after stop."""
import os
import sys
import pathlib

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import rest_fixture  # noqa: E402


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    with rest_fixture.RestFixture(tmp_path_factory.mktemp("fixture") / "wh") as f:
        yield f


def test_config_and_namespace(fixture):
    st, body = fixture.request("GET", "/v1/config")
    assert st == 200 and "defaults" in body and "overrides" in body
    st, body = fixture.request("POST", "/v1/namespaces", {"namespace": ["smoke"], "properties": {"a": "1"}})
    assert st == 200 and body["namespace"] == ["smoke"]
    st, body = fixture.request("POST", "/v1/namespaces", {"namespace": ["smoke"]})
    assert st == 409 and body["error"]["type"] == "AlreadyExistsException"


def test_table_lands_in_the_warehouse_and_survives_restart(fixture):
    schema = {"type": "struct", "schema-id": 0,
              "fields": [{"id": 1, "name": "id", "type": "long", "required": True}]}
    st, body = fixture.request("POST", "/v1/namespaces/smoke/tables", {"name": "t", "schema": schema})
    assert st == 200, body
    loc = body["metadata-location"]
    path = loc.split(":", 1)[1].lstrip("/")  # the fixture writes file:/path
    assert ("/" + path).startswith(str(fixture.warehouse) + "/smoke/t/metadata/")
    assert os.path.isfile("/" + path)
    pid = fixture.pid
    fixture.restart()
    assert fixture.pid != pid
    st, body = fixture.request("GET", "/v1/namespaces/smoke/tables/t")
    assert st == 200 and body["metadata-location"] == loc


def test_stop_by_pid(tmp_path):
    f = rest_fixture.RestFixture(tmp_path / "wh").start()
    pid = f.pid
    f.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError):
        rest_fixture.wait_http(f.uri + "/v1/config", 0.5)
