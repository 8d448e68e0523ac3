"""Issue 11, item 9: credentials in a catalog URI (userinfo, secret query
parameters), whether given with --catalog, in ICE_CATALOG or in a config
entry, never appear in an error: every message is masked where it is set
(util/error.c), whoever formatted it."""
import os

from harden_support import ice, make_table

SECRETS = ("secret", "abc123", "s3cr3t")
URIS = ["https://user:secret@127.0.0.1:1/?token=abc123&x=1",
        "rest:https://user:secret@127.0.0.1:1/p?a=1&password=abc123",
        "s3://AKIAEXAMPLE:s3cr3t@bucket/wh?X-Amz-Signature=abc123"]


def no_secret(r, masked=True):
    assert r.code != 0
    for s in SECRETS:
        assert s not in r.err and s not in r.out, r.err
    if masked:  # the URI is printed, masked
        assert "***" in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_catalog_uri_option_and_environment(tmp_path):
    env = dict(os.environ)
    for uri in URIS:
        no_secret(ice("--catalog", uri, "list"))
        no_secret(ice("list", env={**env, "ICE_CATALOG": uri}))


def test_config_entry(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("default-catalog = prod\n" + "".join(f"catalog.c{i}.uri = {u}\n" for i, u in enumerate(URIS))
                   + f"catalog.prod.uri = {URIS[0]}\n")
    env = {**os.environ, "ICE_CONFIG": str(cfg)}
    for i in range(len(URIS)):
        # named by its name, or by its URI masked
        r = ice("--catalog", f"c{i}", "list", env=env)
        no_secret(r, masked=False)
        assert f"ice: c{i}: " in r.err or "***" in r.err, r.err


def test_table_locations(tmp_path):
    # a table path or file location that is a URI with credentials
    t = make_table(tmp_path)
    no_secret(ice("scan", "s3://AKIAEXAMPLE:s3cr3t@bucket/t?sig=abc123"))
    no_secret(ice("add-files", t, "https://user:secret@127.0.0.1:1/f.parquet?token=abc123"))
