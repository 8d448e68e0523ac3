#!/usr/bin/env python3
"""Seeds for tests/fuzz/fuzz_rest.c (tests/fuzz/corpus/rest): REST catalog
responses written here by hand - each document kind in valid, edge and
broken shapes (storage credentials with nested prefixes, OAuth errors,
paged listings, durations, JWTs). The spec's own examples and the response
documents of ../shared/fixtures/rest are replayed in place.

    .venv/bin/python tests/fuzz/seed_rest.py

Output is deterministic, so rerunning the script changes nothing.
"""
import base64
import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "rest"

SCHEMA = {"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "required": False, "type": "long"},
    {"id": 2, "name": "s", "required": False, "type": "string"}]}

METADATA = {
    "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
    "location": "s3://bucket/wh/db/t", "last-sequence-number": 1, "last-updated-ms": 1700000000000,
    "last-column-id": 2, "current-schema-id": 0, "schemas": [SCHEMA], "default-spec-id": 0,
    "partition-specs": [{"spec-id": 0, "fields": []}], "last-partition-id": 999,
    "default-sort-order-id": 0, "sort-orders": [{"order-id": 0, "fields": []}], "properties": {},
    "current-snapshot-id": 5, "refs": {"main": {"snapshot-id": 5, "type": "branch"}},
    "snapshots": [{"snapshot-id": 5, "sequence-number": 1, "timestamp-ms": 1700000000000,
                   "manifest-list": "s3://bucket/wh/db/t/metadata/snap-5.avro",
                   "summary": {"operation": "append"}, "schema-id": 0}],
    "snapshot-log": [{"snapshot-id": 4, "timestamp-ms": 1}, {"snapshot-id": 5, "timestamp-ms": 1700000000000}],
    "metadata-log": []}


def jwt(claims):
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


SEEDS = {
    "load_vended.json": {
        "metadata-location": "s3://bucket/wh/db/t/metadata/00001-a.metadata.json", "metadata": METADATA,
        "config": {"token": "table-token", "s3.endpoint": "http://127.0.0.1:9000", "client.region": "us-east-1",
                   "s3.access-key-id": "from-config"},
        "storage-credentials": [
            {"prefix": "s3://bucket/", "config": {"s3.access-key-id": "broad"}},
            {"prefix": "s3://bucket/wh/db", "config": {"s3.access-key-id": "narrow", "s3.session-token": "t"}},
            {"prefix": "s3://bucket/wh/db/t2", "config": {"s3.access-key-id": "other-table"}}]},
    "load_staged.json": {"metadata-location": None, "metadata": METADATA, "config": {}},
    "load_exchange.json": {"metadata-location": "x", "metadata": METADATA,
                           "config": {"urn:ietf:params:oauth:token-type:jwt": jwt({"exp": 2000000000})}},
    "load_bad_config.json": {"metadata": METADATA, "config": {"a": 1}},
    "load_bad_creds.json": {"metadata": METADATA, "storage-credentials": [{"prefix": 3, "config": {}}]},
    "load_no_metadata.json": {"metadata-location": "x"},
    "config_full.json": {"defaults": {"clients": "4"}, "overrides": {"prefix": "p/q", "namespace-separator": "%2E"},
                         "endpoints": ["GET /v1/{prefix}/namespaces", "POST v1/oauth/tokens"],
                         "idempotency-key-lifetime": "P1DT2H30M1.5S"},
    "config_bad_endpoint.json": {"defaults": {}, "overrides": {}, "endpoints": ["GET/v1/x", 7]},
    "config_bad_lifetime.json": {"defaults": {}, "overrides": {}, "idempotency-key-lifetime": "PT"},
    "token.json": {"access_token": jwt({"exp": 1800000000, "sub": "x"}), "token_type": "bearer", "expires_in": 3600,
                   "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"},
    "token_mac.json": {"access_token": "a", "token_type": "mac"},
    "token_negative.json": {"access_token": "a", "token_type": "Bearer", "expires_in": -5},
    "oauth_error.json": {"error": "invalid_client", "error_description": "Bad\ncredentials\u0007"},
    "error.json": {"error": {"message": "Commit failed: x" * 40, "type": "CommitFailedException", "code": 409,
                             "stack": ["a", "b"]}},
    "namespaces_paged.json": {"namespaces": [["a"], ["a", "b"]], "next-page-token": "abc"},
    "namespaces_bad.json": {"namespaces": [["a.b"], [], ["", "x"], ["x/y"]]},
    "tables.json": {"identifiers": [{"namespace": ["a", "b"], "name": "t"}], "next-page-token": None},
    "tables_wrong_ns.json": {"identifiers": [{"namespace": ["c"], "name": "t"}]},
    "namespace.json": {"namespace": ["a", "b"], "properties": {"location": "s3://b/a/b", "owner": "me"}},
    "namespace_null_props.json": {"namespace": ["a"], "properties": None},
}

TEXT = {
    "duration_1.txt": "PT30M",
    "duration_2.txt": "P2D",
    "duration_bad.txt": "P1H",
    "jwt.txt": jwt({"exp": 1900000000}),
    "jwt_bad.txt": "a.!!!.c",
    "truncated.json": json.dumps({"metadata": METADATA})[:300],
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, doc in SEEDS.items():
        (OUT / name).write_text(json.dumps(doc, sort_keys=True) + "\n")
    for name, text in TEXT.items():
        (OUT / name).write_text(text)


if __name__ == "__main__":
    main()
