"""What the library does with a REST catalog beyond single commits:
creating a table with its first snapshot in one step (stage-create and an
assert-create commit), multi-table transactions, scan reports, vended
FileIO properties, and SigV4-signed requests (checked with botocore, AWS's
own signer). The library calls without a CLI command run through
tests/rest/probe.c (rest-probe)."""
import json
import os
import pathlib
import subprocess

import pytest

from hostile import Hostile, error_doc
from rest_support import REPO, clean_env, get_json, ice, ice_fails, ice_ok, local_path, table_files


def probe(*args, env=None):
    roots = [os.environ["ICE_BUILD_ROOT"]] if os.environ.get("ICE_BUILD_ROOT") else []
    roots += [str(REPO / "build-asan"), str(REPO / "build")]
    for root in roots:
        exe = pathlib.Path(root) / "tests" / "rest-probe"
        if exe.is_file():
            p = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=120,
                               env=env if env is not None else clean_env())
            assert 0 <= p.returncode <= 4, f"rest-probe crashed ({p.returncode}):\n{p.stderr[-3000:]}"
            return p
    raise RuntimeError("tests/rest-probe was not built: build the tests or set ICE_BUILD_ROOT")


# ---- create with data ---------------------------------------------------------------------------

def test_create_with_data_is_one_commit(java_rest, ns, tmp_path):
    (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n")
    r = ice_ok("--catalog", java_rest.uri, "--json", "create", f"{ns}.born", "--schema", "id long, s string",
               "--partition", "s", "--append", tmp_path / "a.csv").json()
    assert r["rows"] == 2 and r["files"] == 2
    loaded = get_json(f"{java_rest.uri}/v1/namespaces/{ns}/tables/born")
    md = loaded["metadata"]
    # the first metadata file the server wrote already holds the snapshot
    assert [s["snapshot-id"] for s in md["snapshots"]] == [r["snapshot_id"]] == [md["current-snapshot-id"]]
    assert md["metadata-log"] == [] and md["partition-specs"][0]["fields"][0]["name"] == "s"
    assert r["location"] == md["location"]
    from pyiceberg.catalog import load_catalog
    t = load_catalog("f", type="rest", uri=java_rest.uri).load_table(f"{ns}.born")
    assert sorted(x["id"] for x in t.scan().to_arrow().to_pylist()) == [1, 2]
    e = ice_fails(1, "--catalog", java_rest.uri, "create", f"{ns}.born", "--schema", "id long",
                  "--append", tmp_path / "a.csv")
    assert "AlreadyExistsException" in e.err


def test_create_with_data_loses_to_a_concurrent_create(tmp_path):
    """The staged create's commit asserts the table does not exist: when it
    does by then (409), exit 1, and the data files written are deleted."""
    seed = tmp_path / "seed"
    ice_ok("create", seed, "--schema", "id long")
    staged = json.loads(sorted((seed / "metadata").glob("v*.metadata.json"))[-1].read_text())
    staged["location"] = str(tmp_path / "staged")
    bodies = []
    with Hostile(tmp_path / "server") as h:
        h.on("POST", r"^/v1/namespaces/db/tables$", lambda r: bodies.append(r.json()) or r.reply(
            200, {"metadata-location": None, "metadata": staged, "config": {}}))
        h.on("POST", r"^/v1/namespaces/db/tables/t$", lambda r: bodies.append(r.json()) or r.reply(
            409, error_doc(409, "CommitFailedException", "Requirement failed: table already exists")))
        (tmp_path / "a.csv").write_text("id\n1\n")
        e = ice_fails(1, "--catalog", h.uri, "create", "db.t", "--schema", "id long", "--append",
                      tmp_path / "a.csv")
    assert "table already exists" in e.err
    create, commit = bodies
    assert create["stage-create"] is True and "location" not in create
    assert create["properties"]["format-version"] == "2"
    assert commit["requirements"] == [{"type": "assert-create"}]
    actions = [u["action"] for u in commit["updates"]]
    assert set(actions[:2]) == {"assign-uuid", "upgrade-format-version"} and "add-snapshot" in actions
    assert actions.index("set-location") < actions.index("add-snapshot")
    assert not [f for f in table_files(tmp_path / "staged") if f.endswith(".parquet")]


# ---- transactions -------------------------------------------------------------------------------

def test_multi_table_transaction(java_rest, ns):
    c = ["--catalog", java_rest.uri]
    for t in ("a", "b"):
        ice_ok(*c, "create", f"{ns}.{t}", "--schema", "x int")
    p = probe("transaction", java_rest.uri, "owner=both", f"{ns}.a", f"{ns}.b")
    assert p.returncode == 0, p.stderr
    for t in ("a", "b"):
        md = get_json(f"{java_rest.uri}/v1/namespaces/{ns}/tables/{t}")["metadata"]
        assert md["properties"]["owner"] == "both"
    # all or nothing: a missing table fails the whole transaction
    p = probe("transaction", java_rest.uri, "owner=one", f"{ns}.a", f"{ns}.missing")
    assert p.returncode == 1 and "NoSuchTableException" in p.stderr
    md = get_json(f"{java_rest.uri}/v1/namespaces/{ns}/tables/a")["metadata"]
    assert md["properties"]["owner"] == "both"


def test_transaction_sends_every_table_with_its_requirements(tmp_path):
    for t in ("a", "b"):
        ice_ok("create", tmp_path / t, "--schema", "x int")
    with Hostile(tmp_path / "server") as h:
        h.add_table("db.a", tmp_path / "a")
        h.add_table("db.b", tmp_path / "b")
        seen = []
        h.on("POST", r"^/v1/transactions/commit$", lambda r: seen.append(r.json()) or r.reply(204))
        p = probe("transaction", h.uri, "k=v", "db.a", "db.b")
        assert p.returncode == 0, p.stderr
        changes = seen[0]["table-changes"]
        assert [c["identifier"] for c in changes] == [{"namespace": ["db"], "name": "a"},
                                                      {"namespace": ["db"], "name": "b"}]
        assert all(c["requirements"][0]["type"] == "assert-table-uuid" for c in changes)
        assert all(c["updates"] == [{"action": "set-properties", "updates": {"k": "v"}}] for c in changes)
        # 5xx: state unknown; 409: retried after a refresh of every table
        h.routes.clear()
        h.on("POST", r"^/v1/transactions/commit$", lambda r: r.reply(502, error_doc(502, "X", "gateway")))
        assert probe("transaction", h.uri, "k=v", "db.a", "db.b").returncode == 4
        calls = []
        h.routes.clear()
        h.on("POST", r"^/v1/transactions/commit$", lambda r: calls.append(1) or (
            r.reply(409, error_doc(409, "CommitFailedException", "x")) if len(calls) == 1 else r.reply(204)))
        assert probe("transaction", h.uri, "k=v", "db.a", "db.b").returncode == 0
        assert len(calls) == 2 and len(h.requests("GET", r"/tables/a$")) >= 3


# ---- reports and vended credentials ---------------------------------------------------------------

def test_scan_report(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long, s string", "--partition", "s")
    (tmp_path / "a.csv").write_text("id,s\n1,a\n2,b\n")
    ice_ok("append", t, tmp_path / "a.csv")
    with Hostile(tmp_path / "server") as h:
        h.add_table("db.t", t)
        p = probe("scan-report", h.uri, "db.t", "s = 'a' and id in (1, 3)")
        assert p.returncode == 0, p.stderr
        rep = json.loads(h.requests("POST", r"/metrics$")[0][3])
    assert rep["report-type"] == "scan-report" and rep["table-name"] == "db.t"
    assert rep["projected-field-names"] == ["id", "s"] and rep["projected-field-ids"] == [1, 2]
    assert rep["filter"]["type"] == "and"
    assert {rep["filter"]["left"]["type"], rep["filter"]["right"]["type"]} == {"eq", "in"}
    assert rep["metrics"]["result-data-files"] == {"unit": "count", "value": 1}
    assert rep["metrics"]["total-planning-duration"]["time-unit"] == "nanoseconds"


def test_vended_credentials_reach_the_tables_file_io(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long")
    with Hostile(tmp_path / "server") as h:
        h.add_table("db.t", t)
        base = h.load_result

        def vend(ident):
            r = base(ident)
            r["config"] = {"s3.endpoint": "http://127.0.0.1:9", "s3.access-key-id": "from-config",
                           "token": "table-token", "client.region": "eu-west-1"}
            loc = r["metadata"]["location"]
            r["storage-credentials"] = [
                {"prefix": "/", "config": {"s3.access-key-id": "broad"}},
                {"prefix": loc, "config": {"s3.access-key-id": "narrow", "s3.secret-access-key": "sk"}},
                {"prefix": loc + "2", "config": {"s3.access-key-id": "sibling"}}]
            return r

        h.load_result = vend
        p = probe("vended", h.uri, "db.t", "s3.endpoint", "s3.access-key-id", "s3.secret-access-key",
                  "client.region", "token")
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines() == ["s3.endpoint=http://127.0.0.1:9", "s3.access-key-id=narrow",
                                         "s3.secret-access-key=set", "client.region=eu-west-1", "token=(unset)", "ok"]
        # the table's token replaced the catalog's on the table's own requests
        (tmp_path / "a.csv").write_text("id\n1\n")
        ice_ok("--catalog", h.uri, "append", "db.t", tmp_path / "a.csv")
        commit = h.requests("POST", r"^/v1/namespaces/db/tables/t$")[0]
        assert commit[2]["Authorization"] == "Bearer table-token"
        assert h.requests("GET", r"/tables/t$")[-1][2]["X-Iceberg-Access-Delegation"] == "vended-credentials"


# ---- SigV4 ----------------------------------------------------------------------------------------

def test_sigv4_signed_requests_verify_with_botocore(tmp_path):
    """rest.sigv4-enabled: each request's signature is the one botocore's
    SigV4Auth computes for the same request, credentials, region, service
    and time; a bearer token travels as Original-Authorization."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long")
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-tok")
    checked = []

    def verify(req):
        auth = req.headers.get("Authorization") or ""
        assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), auth
        cred, signed, sig = [p.split("=", 1)[1] for p in auth[len("AWS4-HMAC-SHA256 "):].split(", ")]
        assert cred.endswith("/eu-central-1/execute-api/aws4_request")
        names = signed.split(";")
        url = f"http://{req.headers['Host']}{req.h.path}"
        headers = {n: req.headers[n] for n in names}
        aws = AWSRequest(method=req.method, url=url, data=req.body, headers=headers)
        signer = SigV4Auth(creds, "execute-api", "eu-central-1")
        aws.context["timestamp"] = req.headers["X-Amz-Date"]
        want = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
        assert sig == want, f"{req.method} {req.path}: {sig} != {want}"
        assert req.headers["X-Amz-Security-Token"] == "session-tok"
        checked.append((req.method, req.path, "original-authorization" in [n.lower() for n in names]))
        return False

    with Hostile(tmp_path / "server") as h:
        h.add_table("db.t", t)
        for method in ("GET", "POST", "HEAD"):
            h.on(method, r".*", verify)
        env = clean_env(ICE_REST_REST__SIGV4_ENABLED="true", ICE_REST_REST__SIGNING_REGION="eu-central-1",
                        ICE_REST_REST__ACCESS_KEY_ID=creds.access_key, ICE_REST_REST__SECRET_ACCESS_KEY=creds.secret_key,
                        ICE_REST_REST__SESSION_TOKEN=creds.token, ICE_REST_TOKEN="bearer-1")
        (tmp_path / "a.csv").write_text("id\n1\n")
        r = ice("--catalog", h.uri, "append", "db.t", tmp_path / "a.csv", env=env)
        assert r.code == 0, r.err
        assert creds.secret_key not in r.err + r.out
    assert {(m, p) for m, p, _ in checked} >= {("GET", "/v1/config"), ("GET", "/v1/namespaces/db/tables/t"),
                                                ("POST", "/v1/namespaces/db/tables/t")}
    assert all(orig for _, _, orig in checked)  # the bearer token was signed along


def test_table_token_exchange_when_the_server_asks(tmp_path):
    """A LoadTableResult config key urn:ietf:params:oauth:token-type:<type>
    is a token to exchange (RFC 8693) for the table's requests, with the
    catalog's own token as the actor."""
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long")
    with Hostile(tmp_path / "server") as h:
        h.add_table("db.t", t)
        h.auth = True
        base = h.load_result

        def ask(ident):
            r = base(ident)
            r["config"] = {"urn:ietf:params:oauth:token-type:jwt": "subject-jwt"}
            return r

        h.load_result = ask
        (tmp_path / "a.csv").write_text("id\n1\n")
        ice_ok("--catalog", h.uri, "append", "db.t", tmp_path / "a.csv",
               env=clean_env(ICE_REST_CREDENTIAL="id:secret"))
        forms = h.token_form
        assert forms[0]["grant_type"] == "client_credentials"
        exchange = [f for f in forms if f["grant_type"].endswith("token-exchange")][0]
        assert exchange["subject_token"] == "subject-jwt"
        assert exchange["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
        assert exchange["actor_token"] == "tok-1"
        assert exchange["actor_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
        commit = h.requests("POST", r"^/v1/namespaces/db/tables/t$")[0]
        assert commit[2]["Authorization"] == "Bearer tok-2"  # the exchanged token
