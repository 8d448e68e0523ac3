"""ice's REST client over TLS, against `ice serve` with a self-signed
certificate: the certificate is verified by default (no CA, no connection:
one line, no secret in it), ssl.ca-bundle trusts it, from a named catalog in
the configuration file or, for an https:// --catalog, from ICE_REST_*."""
import subprocess
import sys

from rest_support import REPO, clean_env, ice_fails, ice_ok

sys.path.insert(0, str(REPO / "tests" / "serve"))
import serve_support  # noqa: E402

TOKEN = "tls-secret-token-8d1f"


def test_tls_verified_by_default_and_trusted_with_a_ca_bundle(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    conf = tmp_path / "serve.conf"
    conf.write_text(f"tls.cert = {cert}\ntls.key = {key}\ntoken.t = {TOKEN}\n")
    srv = serve_support.IceServe(tmp_path / "wh", config=conf)
    srv.scheme = "https"
    with srv:
        c = ["--catalog", srv.uri]
        # verify on by default: the self-signed certificate is refused
        e = ice_fails(1, *c, "namespace", "list", env=clean_env(ICE_REST_TOKEN=TOKEN))
        assert "certificate" in e.err.lower() or "ssl" in e.err.lower(), e.err
        assert TOKEN not in e.err + e.out
        # trusted through ICE_REST_SSL__CA_BUNDLE for an https:// --catalog
        env = clean_env(ICE_REST_TOKEN=TOKEN, ICE_REST_SSL__CA_BUNDLE=cert)
        ice_ok(*c, "namespace", "create", "tls", env=env)
        ice_ok(*c, "create", "tls.t", "--schema", "id long", env=env)
        (tmp_path / "a.csv").write_text("id\n1\n2\n")
        r = ice_ok(*c, "append", "tls.t", tmp_path / "a.csv", env=env)
        assert TOKEN not in r.out + r.err
        # a named catalog with ssl.ca-bundle (and the token) in the configuration file
        cfg = tmp_path / "config"
        cfg.write_text(f"catalog.secure.uri = {srv.uri}\ncatalog.secure.token = {TOKEN}\n"
                       f"catalog.secure.ssl.ca-bundle = {cert}\n")
        env = clean_env(ICE_CONFIG=cfg)
        assert ice_ok("--catalog", "secure", "--json", "list", "tls", env=env).json() == {"tables": ["t"]}
        # a wrong CA bundle fails as cleanly
        other = tmp_path / "other.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        str(tmp_path / "other.key"), "-out", str(other), "-days", "1", "-subj", "/CN=other"],
                       check=True, capture_output=True)
        cfg.write_text(f"catalog.secure.uri = {srv.uri}\ncatalog.secure.token = {TOKEN}\n"
                       f"catalog.secure.ssl.ca-bundle = {other}\n")
        e = ice_fails(1, "--catalog", "secure", "list", "tls", env=env)
        assert TOKEN not in e.err + e.out
