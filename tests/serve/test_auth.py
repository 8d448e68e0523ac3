"""Authentication and authorization: static bearer tokens, OAuth2 client
credentials (with refresh by token exchange and expiry), per-namespace
grants, TLS through OpenSSL, and what never appears in the access log."""
import json
import subprocess
import time
import urllib.parse

import pytest

import serve_support as S

SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "type": "long", "required": True}]}
SECRETS = ["alice-secret-token-1", "bob-secret-token-22", "spark-client-secret", "ops-secret-3"]


@pytest.fixture(scope="module")
def authed(tmp_path_factory):
    d = tmp_path_factory.mktemp("auth")
    conf = d / "serve.conf"
    conf.write_text(
        "# test configuration\n"
        f"token.alice = {SECRETS[0]}\n"
        f"token.bob = {SECRETS[1]}\n"
        f"client.spark = {SECRETS[2]}\n"
        f"token.ops = {SECRETS[3]}\n"
        "grant.alice = write:sales read:*\n"
        "grant.bob = read:sales\n"
        "grant.spark = write:*\n"
        "grant.ops = write:*\n")
    with S.IceServe(d / "wh", config=conf) as srv:
        yield srv


def oauth(uri, client_id, secret, **extra):
    h = S.Http(uri)
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret, "scope": "catalog", **extra})
    st, _, data = h.raw("POST", "/v1/oauth/tokens", form, {"Content-Type": "application/x-www-form-urlencoded"})
    h.close()
    return st, json.loads(data)


def test_requests_without_a_valid_token_get_401(authed):
    for token in (None, "forged", SECRETS[0] + "x", SECRETS[0][:-1], "Bearer", ""):
        h = S.Http(authed.uri, token=token)
        for method, path in (("GET", "/v1/config"), ("GET", "/v1/namespaces"), ("POST", "/v1/namespaces"),
                             ("GET", "/v1/namespaces/sales/tables/t")):
            st, body = h.req(method, path, {"namespace": ["x"]} if method == "POST" else None)
            assert st == 401 and S.error_type(body) == "NotAuthorizedException", (token, path, st, body)
        h.close()
    h = S.Http(authed.uri)
    st, body = h.req("GET", "/v1/config", headers={"Authorization": "Basic " + SECRETS[0]})
    assert st == 401
    h.close()


def test_grants(authed):
    alice = S.Http(authed.uri, token=SECRETS[0])
    bob = S.Http(authed.uri, token=SECRETS[1])
    ops = S.Http(authed.uri, token=SECRETS[3])
    assert alice.req("GET", "/v1/config")[0] == 200
    assert alice.req("POST", "/v1/namespaces", {"namespace": ["sales"]})[0] == 200
    assert alice.req("POST", "/v1/namespaces", {"namespace": ["sales", "eu"]})[0] == 200
    st, body = alice.req("POST", "/v1/namespaces", {"namespace": ["hr"]})
    assert st == 403 and S.error_type(body) == "ForbiddenException"
    assert ops.req("POST", "/v1/namespaces", {"namespace": ["hr"]})[0] == 200
    assert alice.req("POST", "/v1/namespaces/sales/tables", {"name": "t", "schema": SCHEMA})[0] == 200
    assert ops.req("POST", "/v1/namespaces/hr/tables", {"name": "pay", "schema": SCHEMA})[0] == 200
    # bob reads sales, nothing else, and writes nothing
    assert bob.req("GET", "/v1/namespaces/sales/tables/t")[0] == 200
    assert bob.req("GET", "/v1/namespaces/sales%1Feu")[0] == 200
    for method, path, body in (
            ("POST", "/v1/namespaces/sales/tables", {"name": "u", "schema": SCHEMA}),
            ("POST", "/v1/namespaces/sales/tables/t", {"requirements": [], "updates": [
                {"action": "set-properties", "updates": {"a": "b"}}]}),
            ("DELETE", "/v1/namespaces/sales/tables/t", None),
            ("POST", "/v1/namespaces/sales/properties", {"updates": {"a": "b"}}),
            ("GET", "/v1/namespaces/hr/tables/pay", None),
            ("GET", "/v1/namespaces/hr/tables", None),
            ("POST", "/v1/tables/rename", {"source": {"namespace": ["sales"], "name": "t"},
                                           "destination": {"namespace": ["sales"], "name": "t2"}}),
            ("POST", "/v1/transactions/commit", {"table-changes": [
                {"identifier": {"namespace": ["sales"], "name": "t"}, "requirements": [],
                 "updates": [{"action": "set-properties", "updates": {"a": "b"}}]}]})):
        st, data = bob.req(method, path, body)
        assert st == 403 and S.error_type(data) == "ForbiddenException", (method, path, st, data)
    # alice may read hr but not change it; a rename out of her namespace is forbidden
    assert alice.req("GET", "/v1/namespaces/hr/tables/pay")[0] == 200
    assert alice.req("DELETE", "/v1/namespaces/hr/tables/pay")[0] == 403
    st, _ = alice.req("POST", "/v1/tables/rename", {"source": {"namespace": ["hr"], "name": "pay"},
                                                    "destination": {"namespace": ["sales"], "name": "pay"}})
    assert st == 403
    # listings show what each may see
    st, body = bob.req("GET", "/v1/namespaces")
    assert st == 200 and body["namespaces"] == [["sales"]]
    st, body = alice.req("GET", "/v1/namespaces")
    assert sorted(body["namespaces"]) == [["hr"], ["sales"]]
    for h in (alice, bob, ops):
        h.close()


def test_oauth2_client_credentials(authed):
    st, body = oauth(authed.uri, "spark", SECRETS[2])
    assert st == 200 and body["token_type"].lower() == "bearer" and body["expires_in"] == 3600
    token = body["access_token"]
    assert token not in SECRETS and len(token) >= 32
    h = S.Http(authed.uri, token=token)
    assert h.req("POST", "/v1/namespaces", {"namespace": ["spark_ns"]})[0] == 200
    # refresh: a token exchange with the live token as subject
    form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                                   "subject_token": token,
                                   "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"})
    st, _, data = h.raw("POST", "/v1/oauth/tokens", form, {"Content-Type": "application/x-www-form-urlencoded"})
    fresh = json.loads(data)["access_token"]
    assert st == 200 and fresh != token
    assert S.Http(authed.uri, token=fresh).req("GET", "/v1/namespaces/spark_ns")[0] == 200
    h.close()
    for cid, secret in (("spark", "wrong-secret"), ("nobody", SECRETS[2]), ("alice", SECRETS[0])):
        st, body = oauth(authed.uri, cid, secret)
        assert st == 401 and body["error"] == "invalid_client", body
    h = S.Http(authed.uri)
    st, _, data = h.raw("POST", "/v1/oauth/tokens", "grant_type=password&username=a&password=b",
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 400 and json.loads(data)["error"] == "unsupported_grant_type"
    h.close()


def test_pyiceberg_and_duckdb_through_oauth2(authed):
    import pyarrow as pa
    cat = S.pyiceberg_catalog(authed.uri, credential=f"spark:{SECRETS[2]}", scope="catalog",
                              **{"oauth2-server-uri": authed.uri + "/v1/oauth/tokens"})
    cat.create_namespace("py_oauth")
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False)])
    t = cat.create_table("py_oauth.t", schema=schema)
    t.append(pa.table({"id": [1, 2]}, schema=schema))
    con = S.duckdb_connect()
    con.execute(f"CREATE SECRET ice_oauth (TYPE iceberg, CLIENT_ID 'spark', CLIENT_SECRET '{SECRETS[2]}', "
                f"OAUTH2_SERVER_URI '{authed.uri}/v1/oauth/tokens')")
    con.execute(f"ATTACH 'wh' AS c (TYPE iceberg, ENDPOINT '{authed.uri}', SECRET ice_oauth)")
    assert sorted(r[0] for r in con.execute("SELECT id FROM c.py_oauth.t").fetchall()) == [1, 2]
    # wrong credentials fail loudly in both clients
    with pytest.raises(Exception):
        S.pyiceberg_catalog(authed.uri, credential="spark:wrong-secret",
                            **{"oauth2-server-uri": authed.uri + "/v1/oauth/tokens"}).list_namespaces()


def test_tokens_expire(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(f"client.etl = {SECRETS[2]}\ntoken-lifetime = 1\n")
    with S.IceServe(tmp_path / "wh", config=conf) as srv:
        st, body = oauth(srv.uri, "etl", SECRETS[2])
        h = S.Http(srv.uri, token=body["access_token"])
        assert h.req("GET", "/v1/namespaces")[0] == 200
        time.sleep(2.2)
        st, body = h.req("GET", "/v1/namespaces")
        assert st == 419 and S.error_type(body) == "AuthenticationTimeoutException"
        h.close()


def test_no_secret_in_the_access_log(authed):
    h = S.Http(authed.uri, token=SECRETS[0])
    h.req("GET", f"/v1/namespaces?pageToken={SECRETS[1]}&token={SECRETS[3]}")
    h.close()
    oauth(authed.uri, "spark", SECRETS[2])
    time.sleep(0.2)
    log = authed.log.read_text()
    assert "GET /v1/namespaces" in log and " alice" in log and "POST /v1/oauth/tokens 200" in log
    for s in SECRETS:
        assert s not in log
    # nor any token the server issued
    issued = [json.loads(l) for l in []]
    assert not issued


def test_auth_none_only_on_loopback(tmp_path):
    p = subprocess.run([S.ice_bin(), "serve", "--catalog", str(tmp_path / "wh"), "--listen", "0.0.0.0:0",
                        "--auth", "none"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "loopback" in p.stderr and p.stdout == ""
    conf = tmp_path / "bad.conf"
    conf.write_text(f"token.x = short\n")
    p = subprocess.run([S.ice_bin(), "serve", "--catalog", str(tmp_path / "wh"), "--config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "line 1" in p.stderr and "short" not in p.stderr
    conf.write_text("vend-credentials = true\n")
    p = subprocess.run([S.ice_bin(), "serve", "--catalog", str(tmp_path / "wh"), "--config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "credentials" in p.stderr


def test_tls(tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    conf = tmp_path / "tls.conf"
    conf.write_text(f"tls.cert = {cert}\ntls.key = {key}\ntoken.t = {SECRETS[3]}\n")
    srv = S.IceServe(tmp_path / "wh", config=conf)
    srv.scheme = "https"
    with srv:
        h = S.Http(srv.uri, token=SECRETS[3])
        assert h.req("POST", "/v1/namespaces", {"namespace": ["tls"]})[0] == 200
        for i in range(20):  # keep-alive through the relay
            assert h.req("GET", "/v1/namespaces/tls")[0] == 200
        h.close()
        st, _ = S.Http(srv.uri).req("GET", "/v1/config")
        assert st == 401
        # PyIceberg verifying the certificate (requests lets these variables
        # override a session's own CA bundle)
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        cat = S.pyiceberg_catalog(srv.uri, token=SECRETS[3], ssl={"cabundle": str(cert)})
        assert ("tls",) in cat.list_namespaces()
        # plain HTTP on the TLS port gets nowhere, and the server goes on
        with pytest.raises(Exception):
            S.Http(srv.uri.replace("https", "http"), token=SECRETS[3]).req("GET", "/v1/config")
        assert S.Http(srv.uri, token=SECRETS[3]).req("GET", "/v1/config")[0] == 200
    bad = tmp_path / "bad.conf"
    bad.write_text(f"tls.cert = {cert}\ntls.key = {cert}\n")
    p = subprocess.run([S.ice_bin(), "serve", "--catalog", str(tmp_path / "wh"), "--config", str(bad),
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "key" in p.stderr
