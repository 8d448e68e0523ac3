"""The REST client against a hostile server (hostile.py): malformed JSON,
wrong types, huge bodies, missing fields, 5xx and timeouts on commit, a
connection dropped after the commit went out, slow answers, expired and
rejected tokens, redirects, endpoints the server does not list, repeated
page tokens. Each time: one clear line, a nonzero exit, no crash, nothing
reported as committed unless it was, files kept whenever a commit's state
is unknown, and no secret in anything printed."""
import json
import pathlib
import time

import pytest

from hostile import Hostile, error_doc
from rest_support import clean_env, ice, ice_fails, ice_ok, table_files

COMMIT = r"^/v1/namespaces/db/tables/t$"


@pytest.fixture
def server(tmp_path):
    """A working catalog with table db.t (one snapshot) in a local directory."""
    table = tmp_path / "t"
    ice_ok("create", table, "--schema", "id long, s string")
    (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n")
    ice_ok("append", table, tmp_path / "a.csv")
    with Hostile(tmp_path / "server") as h:
        h.add_table("db.t", table)
        h.table_dir = table
        h.csv = tmp_path / "a.csv"
        yield h


def env(**settings):
    """ICE_REST_<KEY> for each setting (rest__client__socket_timeout_ms ->
    rest.client.socket-timeout-ms)."""
    return clean_env(**{"ICE_REST_" + k.upper(): v for k, v in settings.items()})


def append(h, *extra, code=None, e=None):
    args = ["--catalog", h.uri, *extra, "append", "db.t", h.csv]
    if code is None:
        return ice_ok(*args, env=e or env())
    return ice_fails(code, *args, env=e or env())


def parquet_files(h):
    return {f for f in table_files(h.table_dir) if f.endswith(".parquet")}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_commit_is_unknown_and_keeps_files(server, status):
    before = parquet_files(server)
    server.on("POST", COMMIT, lambda r: r.reply(status, error_doc(status, "CommitStateUnknownException", "boom")))
    r = append(server, code=4)
    assert "commit state unknown" in r.err and f"{status} CommitStateUnknownException: boom" in r.err
    assert len(parquet_files(server) - before) == 1  # the new data file is kept
    assert len(server.requests("POST", COMMIT)) == 1  # never sent twice without an idempotency key


def test_timeout_on_commit_is_unknown(server):
    server.on("POST", COMMIT, lambda r: r.stall(4))
    before = parquet_files(server)
    r = append(server, code=4, e=env(rest__client__socket_timeout_ms=1000))
    assert "commit state unknown" in r.err and "timed out" in r.err
    assert len(parquet_files(server) - before) == 1


def test_connection_dropped_after_commit_sent_is_unknown(server):
    server.on("POST", COMMIT, lambda r: r.drop())
    r = append(server, code=4)
    assert "commit state unknown" in r.err
    # The commit went out on the connection the table's load had kept alive;
    # curl would send it again on a new one when that closes unanswered, and
    # the client refuses: the server saw it once.
    (load,), posts = server.requests("GET", COMMIT), server.requests("POST", COMMIT)
    assert len(posts) == 1 and posts[0][4] == load[4]
    assert "the connection closed after the request was sent" in r.err


def test_commits_reuse_the_kept_alive_connection(server):
    append(server)
    append(server, "-v")
    ports = {r[4] for r in server.log}
    assert len(ports) == 2  # one connection per process: config, load and commit share it
    assert len(server.requests("POST", COMMIT)) == 2


@pytest.mark.parametrize("body", ["not json", '{"metadata-location": "x"}', '{"metadata": 5}', ""])
def test_unreadable_answer_to_a_commit_is_unknown(server, body):
    before = parquet_files(server)
    server.on("POST", COMMIT, lambda r: r.reply(200, body))
    r = append(server, code=4)
    assert "commit state unknown" in r.err
    assert len(parquet_files(server) - before) == 1


def test_conflict_is_retried_after_a_refresh(server):
    calls = []

    def once(r):
        calls.append(1)
        if len(calls) == 1:
            return r.reply(409, error_doc(409, "CommitFailedException", "Requirement failed: branch main has changed"))
        return False  # the working catalog commits

    server.on("POST", COMMIT, once)
    append(server)
    assert len(server.requests("POST", COMMIT)) == 2
    md = json.loads(server.tables["db.t"].read_text())
    assert len(md["snapshots"]) == 2


def test_conflicts_until_retries_run_out_exit_3_and_clean_up(server):
    before = parquet_files(server)
    server.on("POST", COMMIT, lambda r: r.reply(409, error_doc(409, "CommitFailedException", "lost")))
    r = append(server, code=3)
    assert "giving up after 5 attempts" in r.err and "CommitFailedException: lost" in r.err
    assert parquet_files(server) == before  # definitely failed: nothing left behind


@pytest.mark.parametrize("body, where", [
    ("{not json", "GET /v1/config: line 1"),
    ('{"defaults": [], "overrides": {}}', "$.defaults"),
    ('{"defaults": {"a": 1}, "overrides": {}}', "$.defaults.a"),
    ('{"defaults": {}, "overrides": {}, "endpoints": "all"}', "$.endpoints"),
    ('[1, 2]', "expected an object"),
])
def test_broken_config(server, body, where):
    server.on("GET", r"^/v1/config$", lambda r: r.reply(200, body))
    r = ice_fails(1, "--catalog", server.uri, "namespace", "list", env=env())
    assert where in r.err and server.uri in r.err


@pytest.mark.parametrize("doc, where", [
    ({"metadata-location": "x"}, "missing"),
    ({"metadata-location": "x", "metadata": {"format-version": 2}}, "$.metadata"),
    ({"metadata-location": 5, "metadata": {}}, "$.metadata-location"),
    ({"metadata-location": "x", "storage-credentials": [{"prefix": "s3://"}]}, "$.storage-credentials[0]"),
    ({"metadata-location": "x", "config": {"s3.endpoint": None}}, "$.config.s3.endpoint"),
])
def test_broken_load_table(server, doc, where):
    if "storage-credentials" in doc or "config" in doc:
        doc = dict(doc, metadata=json.loads(server.tables["db.t"].read_text()))
    server.on("GET", COMMIT, lambda r: r.reply(200, doc))
    r = append(server, code=1)
    assert where in r.err and "GET db.t" in r.err


def test_huge_bodies_are_cut_off(server):
    big = '{"defaults": {"pad": "' + "x" * (6 << 20) + '"}, "overrides": {}}'
    server.on("GET", r"^/v1/config$", lambda r: r.reply(200, big))
    r = ice_fails(1, "--catalog", server.uri, "namespace", "list", env=env())
    assert "larger than the limit" in r.err


def test_redirects_are_not_followed(server):
    server.on("GET", r"^/v1/config$", lambda r: r.reply(302, b"", {"Location": "http://127.0.0.1:1/v1/config"}))
    r = ice_fails(1, "--catalog", server.uri, "namespace", "list", env=env())
    assert "redirect (302)" in r.err and "127.0.0.1:1" not in r.err


def test_slow_reads_time_out_and_fail_cleanly(server):
    server.on("GET", COMMIT, lambda r: r.stall(3))
    r = append(server, code=1, e=env(rest__client__socket_timeout_ms=500, rest__client__max_retries=1))
    assert "GET db.t" in r.err and "timed out" in r.err and "2 attempts" in r.err


def test_5xx_on_reads_are_retried(server):
    calls = []

    def flaky(r):
        calls.append(1)
        return len(calls) <= 2 and r.reply(503, error_doc(503, "SlowDownException", "Slow down"))

    server.on("GET", COMMIT, flaky)
    append(server)
    assert len(calls) == 3


def test_endpoints_the_server_does_not_list(server):
    server.config = {"defaults": {}, "overrides": {}, "endpoints": ["GET /v1/{prefix}/namespaces"]}
    ice_ok("--catalog", server.uri, "namespace", "list", env=env())
    r = append(server, code=1)
    assert "does not offer GET /v1/{prefix}/namespaces/{namespace}/tables/{table}" in r.err
    assert not server.requests("GET", COMMIT)


def test_repeated_page_tokens_are_refused(server):
    server.on("GET", r"^/v1/namespaces$",
              lambda r: r.reply(200, {"namespaces": [["a"]], "next-page-token": "same"}))
    r = ice_fails(1, "--catalog", server.uri, "namespace", "list", env=env())
    assert "same page token" in r.err


def test_pages_are_followed(server):
    pages = {"": (["a"], "p2"), "p2": (["b"], "p3"), "p3": (["c"], None)}

    def page(r):
        names, nxt = pages[r.query.get("pageToken", "")]
        return r.reply(200, {"namespaces": [[n] for n in names], "next-page-token": nxt})

    server.on("GET", r"^/v1/namespaces$", page)
    r = ice_ok("--catalog", server.uri, "--json", "namespace", "list", env=env())
    assert r.json() == {"namespaces": ["a", "b", "c"]}


# ---- authentication ---------------------------------------------------------------------------

SECRET = "s3cr3t-client-secret"


def test_client_credentials_and_one_retry_after_401(server):
    server.auth = True
    rejected = []

    def reject_once(r):
        if not rejected:
            rejected.append(r.headers.get("Authorization"))
            return r.reply(401, error_doc(401, "NotAuthorizedException", "Token expired"))
        return False

    server.on("POST", COMMIT, reject_once)
    append(server, e=env(credential="client:" + SECRET, scope="catalog sql"))
    assert server.token_form[0]["grant_type"] == "client_credentials"
    assert server.token_form[0]["client_id"] == "client" and server.token_form[0]["client_secret"] == SECRET
    assert server.token_form[0]["scope"] == "catalog sql"
    assert len(server.token_form) == 2  # a new token after the 401
    posts = server.requests("POST", COMMIT)
    assert len(posts) == 2 and posts[0][2]["Authorization"] != posts[1][2]["Authorization"]


def test_419_renews_the_token_too(server):
    server.auth = True
    seen = []

    def timeout_once(r):
        if not seen:
            seen.append(1)
            return r.reply(419, error_doc(419, "AuthenticationTimeoutException", "Credentials have timed out"))
        return False

    server.on("GET", COMMIT, timeout_once)
    append(server, e=env(credential=SECRET))
    assert len(server.token_form) == 2 and "client_id" not in server.token_form[0]


def test_token_refreshed_before_it_expires(server):
    """A token with 1 s to live is exchanged for a new one within the last
    tenth of its life (RFC 8693 token exchange, the old token as subject)."""
    server.auth = True
    server.token_lifetime = 1
    server.on("GET", r"^/v1/config$", lambda r: time.sleep(0.93) or False)
    append(server, e=env(credential="c:" + SECRET))
    exchanges = [f for f in server.token_form if f["grant_type"].endswith("token-exchange")]
    assert exchanges and exchanges[0]["subject_token"] == "tok-1"
    assert exchanges[0]["subject_token_type"] == "urn:ietf:params:oauth:token-type:access_token"


def test_a_token_that_lives_forever(server):
    """expires_in of 2^63 - 1 seconds: no expiry, not a signed overflow
    (UBSan stopped the sanitized binary at now + expires_in * 1000)."""
    server.auth = True
    server.token_lifetime = 2**63 - 1
    append(server, e=env(credential="c:" + SECRET))
    assert len(server.token_form) == 1


def test_rejected_credentials_and_static_tokens_fail_without_printing_them(server):
    server.auth = True
    server.on("POST", r"^/v1/oauth/tokens$", lambda r: r.reply(
        401, {"error": "invalid_client", "error_description": "Unknown client"}))
    # -v: the request trace and the exit line keep the secret out too
    r = ice("--catalog", server.uri, "-v", "namespace", "list", env=env(credential="id:" + SECRET))
    assert r.code == 1 and "401 invalid_client: Unknown client" in r.err and SECRET not in r.err + r.out
    r = ice("--catalog", server.uri, "-v", "namespace", "list", env=env(token="static-" + SECRET))
    assert r.code == 1 and "401 NotAuthorizedException" in r.err and SECRET not in r.err + r.out
    # without -v the failure is one line
    ice_fails(1, "--catalog", server.uri, "namespace", "list", env=env(token="static-" + SECRET))


def test_secrets_stay_out_of_every_failure(server):
    server.auth = True
    e = env(credential="id:" + SECRET, header__x_api_key="hdr-" + SECRET)
    for status in (400, 403, 404, 500, 503):
        server.routes.clear()
        server.on("POST", COMMIT, lambda r, s=status: r.reply(s, error_doc(s, "X", "no")))
        r = append(server, code=4 if status >= 500 else 1, e=e)
        assert SECRET not in r.err + r.out
    headers = server.requests("POST", COMMIT)[-1][2]
    assert headers["x-api-key"] == "hdr-" + SECRET  # header.* reaches the server


def test_a_server_that_echoes_secrets_does_not_get_them_printed(server):
    """Issue 11 item 9: the server's own error text is printed, but a
    credential ice holds (the client secret, the token it was issued, a
    static token, a header value) never is, even when the server quotes it
    back (-v traces included)."""
    server.auth = True
    server.on("POST", r"^/v1/oauth/tokens$", lambda r: r.reply(
        401, {"error": "invalid_client", "error_description": "Unknown client id:" + SECRET + " (" + r.body.decode() + ")"}))
    r = ice_fails(1, "--catalog", server.uri, "-v", "namespace", "list", env=env(credential="id:" + SECRET))
    assert "401 invalid_client: Unknown client" in r.err and SECRET not in r.err + r.out, r.err
    server.routes.clear()
    server.on("GET", r"^/v1/namespaces$", lambda r: r.reply(
        403, error_doc(403, "ForbiddenException", "token " + r.headers.get("Authorization", "") + " may not list")))
    r = ice_fails(1, "--catalog", server.uri, "-v", "namespace", "list", env=env(credential="id:" + SECRET))
    assert "403 ForbiddenException: token Bearer *** may not list" in r.err, r.err
    assert "tok-" not in r.err + r.out
    server.routes.clear()
    server.auth = False
    server.on("GET", r"^/v1/namespaces$", lambda r: r.reply(
        400, error_doc(400, "BadRequestException", "headers " + json.dumps(dict(r.headers)))))
    r = ice_fails(1, "--catalog", server.uri, "-v", "namespace", "list",
                  env=env(token="static-" + SECRET, header__x_api_key="hdr-" + SECRET + "2"))
    assert "400 BadRequestException: headers" in r.err and SECRET not in r.err + r.out, r.err


# ---- idempotency, metrics, delegation ------------------------------------------------------------------

def test_idempotency_key_lets_a_commit_be_retried(server):
    server.config = {"defaults": {}, "overrides": {}, "idempotency-key-lifetime": "PT30M"}
    calls = []

    def busy_once(r):
        calls.append(r.headers.get("Idempotency-Key"))
        return len(calls) == 1 and r.reply(503, error_doc(503, "SlowDownException", "busy"))

    server.on("POST", COMMIT, busy_once)
    append(server)
    assert len(calls) == 2 and calls[0] == calls[1] and len(calls[0]) == 36 and calls[0][14] == "7"


def test_metrics_reports_and_access_delegation(server):
    append(server)
    reports = server.requests("POST", r"/metrics$")
    assert len(reports) == 1
    rep = json.loads(reports[0][3])
    assert rep["report-type"] == "commit-report" and rep["table-name"] == "db.t"
    assert rep["operation"] == "append" and rep["metrics"]["added-records"] == {"unit": "count", "value": 2}
    assert rep["metrics"]["attempts"]["value"] == 1 and rep["metrics"]["total-duration"]["time-unit"] == "nanoseconds"
    load = server.requests("GET", COMMIT)[0][2]
    assert load["X-Iceberg-Access-Delegation"] == "vended-credentials"
    # Not listed, not sent; switched off, not sent.
    server.log.clear()
    server.config = {"defaults": {}, "overrides": {}, "endpoints": [
        "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
        "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}"]}
    append(server)
    assert not server.requests("POST", r"/metrics$")
    server.config = {"defaults": {"rest-metrics-reporting-enabled": "false"}, "overrides": {}}
    append(server)
    assert not server.requests("POST", r"/metrics$")

