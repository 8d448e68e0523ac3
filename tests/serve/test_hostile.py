"""Hostile requests: malformed and oversized JSON, path traversal in
namespace and table names (..%2F.., NUL, very long), invalid updates (a
manifest list outside the table location, ids that go backwards, a location
outside the warehouse), odd methods and huge headers, slow clients holding
connections. Each gets a clean 4xx answer, nothing is written, and the
server keeps serving."""
import socket
import time

import pytest

import serve_support as S

SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "type": "long", "required": True}]}


@pytest.fixture(scope="module")
def table(server):
    h = S.Http(server.uri)
    assert h.req("POST", "/v1/namespaces", {"namespace": ["hostile"]})[0] == 200
    st, body = h.req("POST", "/v1/namespaces/hostile/tables", {"name": "t", "schema": SCHEMA})
    assert st == 200, body
    loc = body["metadata"]["location"]
    snap = {"snapshot-id": 1, "sequence-number": 1, "timestamp-ms": int(time.time() * 1000),
            "manifest-list": loc + "/metadata/snap-1.avro", "summary": {"operation": "append"}}
    st, body = h.req("POST", "/v1/namespaces/hostile/tables/t", {
        "requirements": [], "updates": [{"action": "add-snapshot", "snapshot": snap},
                                        {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch",
                                         "snapshot-id": 1}]})
    assert st == 200, body
    h.close()
    return body["metadata"]


def assert_untouched(server, before):
    after = S.tree(server.warehouse)
    assert after == before, sorted(set(after.items()) ^ set(before.items()))
    h = S.Http(server.uri)
    assert h.req("GET", "/v1/config")[0] == 200
    assert h.req("GET", "/v1/namespaces/hostile/tables/t")[0] == 200
    h.close()


BAD_BODIES = [
    b"{", b"[]", b"null", b"\"x\"", b"{\"namespace\": 5}", b"{\"namespace\": [5]}", b"{\"namespace\": []}",
    b"\xff\xfe{}", b"{\"namespace\": [\"a\"], \"properties\": {\"k\": 1}}", b"[" * 100000 + b"]" * 100000,
    b"{\"namespace\": [\"" + b"a" * 300 + b"\"]}", b"{\"namespace\": " + b"[\"a\"," * 40 + b"\"a\"" + b"]" * 40 + b"}",
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_malformed_namespace_bodies(server, http, table, body):
    before = S.tree(server.warehouse)
    st, _, data = http.raw("POST", "/v1/namespaces", body, {"Content-Type": "application/json"})
    assert 400 <= st < 500, (st, data[:300])
    assert S.error_type(__import__("json").loads(data)) in ("BadRequestException",)
    assert_untouched(server, before)


TRAVERSALS = [
    "/v1/namespaces/..%2F..%2Fetc/tables/passwd",
    "/v1/namespaces/..%2F../tables/t",
    "/v1/namespaces/%2E%2E/tables/t",
    "/v1/namespaces/hostile/tables/..%2Ft",
    "/v1/namespaces/hostile/tables/%2E%2E",
    "/v1/namespaces/hostile%00/tables/t",
    "/v1/namespaces/hostile/tables/t%00x",
    "/v1/namespaces/hostile/tables/" + "x" * 5000,
    "/v1/namespaces/" + "%1F".join(["a"] * 40) + "/tables/t",
    "/v1/namespaces/a%2Fb/tables/t",
    "/v1/namespaces/a%5Cb/tables/t",
    "/v1/namespaces/hostile/tables/t%0Ax",
    "/v1/namespaces/hostile/tables/%ZZ",
    "/v1/" + "/".join(["namespaces"] * 30),
]


@pytest.mark.parametrize("path", TRAVERSALS, ids=range(len(TRAVERSALS)))
@pytest.mark.parametrize("method", ["GET", "DELETE", "POST", "HEAD"])
def test_path_traversal(server, http, table, path, method):
    before = S.tree(server.warehouse)
    body = {"requirements": [], "updates": [{"action": "set-properties", "updates": {"x": "y"}}]} \
        if method == "POST" else None
    st, _, data = http.raw(method, path, body)
    assert 400 <= st < 500, (st, data[:300])
    assert_untouched(server, before)


BAD_NAMES = [["../x"], ["a/b"], ["."], [".."], [".hidden"], ["a\u0000b"], ["a.b"], ["x" * 256], [""], ["a\nb"],
             ["a", ""], ["\\x"]]


@pytest.mark.parametrize("ns", BAD_NAMES, ids=range(len(BAD_NAMES)))
def test_bad_names_in_json(server, http, table, ns):
    before = S.tree(server.warehouse)
    st, body = http.req("POST", "/v1/namespaces", {"namespace": ns})
    assert st == 400, body
    st, body = http.req("POST", "/v1/namespaces/hostile/tables", {"name": ns[-1], "schema": SCHEMA})
    assert st == 400, body
    st, body = http.req("POST", "/v1/tables/rename", {"source": {"namespace": ["hostile"], "name": "t"},
                                                      "destination": {"namespace": ns, "name": "t"}})
    assert st == 400, body
    st, body = http.req("POST", "/v1/tables/rename", {"source": {"namespace": ["hostile"], "name": "t"},
                                                      "destination": {"namespace": ["hostile"], "name": ns[-1]}})
    assert st == 400, body
    assert_untouched(server, before)


def commit(http, updates, requirements=()):
    return http.req("POST", "/v1/namespaces/hostile/tables/t",
                    {"requirements": list(requirements), "updates": updates})


def snap(table, **kw):
    s = {"snapshot-id": 77, "parent-snapshot-id": 1, "sequence-number": 2, "timestamp-ms": int(time.time() * 1000),
         "manifest-list": table["location"] + "/metadata/snap-77.avro", "summary": {"operation": "append"}}
    s.update(kw)
    return s


def test_invalid_updates(server, http, table):
    before = S.tree(server.warehouse)
    loc = table["location"]
    cases = [
        # manifest lists outside the table location
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"manifest-list": "/etc/passwd"})}], 400),
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"manifest-list": loc + "/../other/m.avro"})}], 400),
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"manifest-list": loc + "x/m.avro"})}], 400),
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"manifest-list": "s3://elsewhere/m.avro"})}], 400),
        # ids that go backwards
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"sequence-number": 1})}], 409),
        # a negative sequence number is no snapshot at all (the parser refuses it)
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"sequence-number": -5})}], 400),
        ([{"action": "add-snapshot", "snapshot": snap(table, **{"snapshot-id": 1})}], 400),
        ([{"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 999}], 400),
        ([{"action": "set-current-schema", "schema-id": 7}], 400),
        ([{"action": "add-schema", "schema": {"type": "struct", "fields": [
            {"id": 1, "name": "id", "type": "long", "required": True},
            {"id": 1, "name": "dup", "type": "long", "required": False}]}}, {"action": "set-current-schema",
                                                                           "schema-id": -1}], 400),
        ([{"action": "upgrade-format-version", "format-version": 1}], 400),
        ([{"action": "upgrade-format-version", "format-version": 99}], 400),
        # the table leaving the warehouse
        ([{"action": "set-location", "location": "/tmp"}], 400),
        ([{"action": "set-location", "location": str(server.warehouse) + "/../escape"}], 400),
        ([{"action": "set-statistics", "snapshot-id": 1, "statistics": {
            "snapshot-id": 1, "statistics-path": "/etc/stats.puffin", "file-size-in-bytes": 1,
            "file-footer-size-in-bytes": 1, "blob-metadata": []}}], 400),
        ([{"action": "no-such-action"}], 400),
        ([{"action": "set-properties"}], 400),
        ("not a list", 400),
    ]
    for updates, want in cases:
        st, body = http.req("POST", "/v1/namespaces/hostile/tables/t",
                            {"requirements": [], "updates": updates})
        assert st == want, (updates, st, body)
        assert S.error_type(body) in ("BadRequestException", "ValidationException", "CommitFailedException")
    for reqs, want in (([{"type": "assert-create"}], 409), ([{"type": "nope"}], 400),
                       ([{"type": "assert-table-uuid"}], 400), ("x", 400)):
        st, body = http.req("POST", "/v1/namespaces/hostile/tables/t",
                            {"requirements": reqs, "updates": []})
        assert st == want, (reqs, st, body)
    # creates and registers that would leave the warehouse
    st, body = http.req("POST", "/v1/namespaces/hostile/tables", {"name": "out", "schema": SCHEMA,
                                                                   "location": "/tmp/outside"})
    assert st == 400, body
    st, body = http.req("POST", "/v1/namespaces/hostile/register", {"name": "r", "metadata-location": "/etc/passwd"})
    assert st == 400, body
    st, body = http.req("POST", "/v1/namespaces/hostile/register",
                        {"name": "r", "metadata-location": str(server.warehouse) + "/hostile/t/../../../x.json"})
    assert st == 400, body
    st, body = http.req("POST", "/v1/transactions/commit", {"table-changes": [
        {"identifier": {"namespace": ["hostile"], "name": "t"}, "requirements": [],
         "updates": [{"action": "set-properties", "updates": {"a": "b"}}]},
        {"identifier": {"namespace": ["hostile"], "name": "t"}, "requirements": [],
         "updates": [{"action": "set-properties", "updates": {"a": "c"}}]}]})
    assert st == 400, body
    st, body = http.req("POST", "/v1/transactions/commit", {"table-changes": [
        {"identifier": {"namespace": ["hostile"], "name": "t"}, "requirements": [],
         "updates": [{"action": "set-properties", "updates": {"a": "b"}}]},
        {"identifier": {"namespace": ["hostile"], "name": "nope"}, "requirements": [],
         "updates": [{"action": "set-properties", "updates": {"a": "c"}}]}]})
    assert st == 404, body
    assert_untouched(server, before)


def test_oversized_and_odd_requests(server, table):
    before = S.tree(server.warehouse)
    big = b"{\"namespace\": [\"x\"], \"properties\": {\"k\": \"" + b"a" * (17 << 20) + b"\"}}"
    # With a length (answered before the body ends) and chunked (at its end).
    for head in (b"Content-Length: %d\r\n" % len(big), b"Transfer-Encoding: chunked\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + head +
                      b"\r\n")
            try:
                if b"chunked" in head:
                    for i in range(0, len(big), 1 << 20):
                        part = big[i:i + (1 << 20)]
                        s.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                    s.sendall(b"0\r\n\r\n")
                else:
                    s.sendall(big)
            except OSError:
                pass  # the server answered early and stopped reading
            assert s.recv(4096).startswith(b"HTTP/1.1 413")
    # A declared length beyond the limit is refused before the body.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n{")
        assert s.recv(4096).startswith(b"HTTP/1.1 413")
    # Headers past the connection's memory, a bad method, a bad request line.
    for raw in (b"GET /v1/config HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
                b"BREW /v1/config HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /v1/" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"\x00\x01\x02 garbage\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(raw)
            try:
                reply = s.recv(4096)
            except TimeoutError:
                reply = None  # not HTTP at all: left to the idle timeout
            assert reply is None and raw.startswith(b"\x00") or reply == b"" or reply.startswith(b"HTTP/1.1 4"), \
                (raw[:20], reply and reply[:100])
    assert_untouched(server, before)


def test_slow_clients_cannot_hold_the_server(tmp_path):
    """Connections that trickle or stall are dropped after the idle timeout;
    while they hang on, everyone else is served."""
    with S.IceServe(tmp_path / "wh", extra=["--set", "timeout=2", "--set", "max-connections=64",
                                            "--set", "threads=2"]) as srv:
        slow = []
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"POST /v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"nam")
            slow.append(s)
        h = S.Http(srv.uri)
        t0 = time.monotonic()
        for i in range(20):
            assert h.req("POST", "/v1/namespaces", {"namespace": [f"n{i}"]})[0] == 200
        assert time.monotonic() - t0 < 10
        h.close()
        time.sleep(4)
        dropped = 0
        for s in slow:
            try:
                s.sendall(b"espace\": [\"z\"]}")
                data = s.recv(100)
                dropped += data == b""
            except OSError:
                dropped += 1
            s.close()
        assert dropped == len(slow)
        h = S.Http(srv.uri)
        st, body = h.req("GET", "/v1/namespaces")
        assert st == 200 and len(body["namespaces"]) == 20
        h.close()


def test_a_slow_commit_does_not_hold_the_other_connections(tmp_path):
    """One polling thread (threads=1) serves every connection; a commit whose
    file system calls take 1.5 s each is answered on a handler thread, so the
    other connections on that polling thread are answered meanwhile: theirs
    come back while the commit is still being written."""
    from support import fault_env

    with S.IceServe(tmp_path / "wh") as srv:  # the table, made at full speed
        h = S.Http(srv.uri)
        assert h.req("POST", "/v1/namespaces", {"namespace": ["s"]})[0] == 200
        st, body = h.req("POST", "/v1/namespaces/s/tables", {"name": "t", "schema": SCHEMA})
        assert st == 200, body
        h.close()
    env = fault_env(ICE_FAULT_SLOW_US=1_500_000)
    with S.IceServe(tmp_path / "wh", env=env, extra=["--set", "threads=1"]) as srv:
        done = []

        def commit():
            c = S.Http(srv.uri)
            st, body = c.req("POST", "/v1/namespaces/s/tables/t",
                             {"requirements": [], "updates": [{"action": "set-properties", "updates": {"k": "v"}}]})
            done.append(("commit", st))
            c.close()

        import threading
        others = [S.Http(srv.uri) for _ in range(3)]
        for o in others:
            assert o.req("GET", "/v1/config")[0] == 200  # connected, kept alive
        t = threading.Thread(target=commit)
        t.start()
        time.sleep(0.3)  # the commit is writing its metadata now
        for i, o in enumerate(others):
            st, _ = o.req("GET", "/v1/namespaces/s/tables/t")
            done.append((f"load {i}", st))
            o.close()
        t.join()
        assert [d[0] for d in done] == ["load 0", "load 1", "load 2", "commit"], done
        assert all(d[1] == 200 for d in done), done
