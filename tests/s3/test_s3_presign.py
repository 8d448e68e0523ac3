"""ice presign: a SigV4 presigned GET URL for one object. Checked against
moto (plain urllib, no credentials, gets the object's bytes) and against an
implementation nobody here wrote: botocore's presigner (what boto3's
generate_presigned_url and `aws s3 presign` use), run on the same request
with its clock fixed at the X-Amz-Date ice signed at, must produce the same
URL, signature included - path-style and virtual-hosted, with and without a
session token. moto does not check presigned signatures or their expiry (it
serves any signed-looking URL), so the signature's correctness is shown by
botocore's, not by a refusal."""
import datetime
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

import moto_s3

KEY = "dir/a b+c=d/ü.bin"  # a space, '+', '=', non-ASCII: every escaping rule


def botocore_url(monkeypatch, endpoint, bucket, key, expires, amz_date, token=None, addressing="path",
                 region="us-east-1"):
    import botocore.auth
    import botocore.session
    from botocore.config import Config

    fixed = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: fixed)
    client = botocore.session.get_session().create_client(
        "s3", region_name=region, endpoint_url=endpoint, aws_access_key_id=moto_s3.ACCESS_KEY,
        aws_secret_access_key=moto_s3.SECRET_KEY, aws_session_token=token,
        config=Config(signature_version="s3v4", s3={"addressing_style": addressing}))
    return client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)


def split(url):
    u = urllib.parse.urlsplit(url)
    return u.scheme, u.netloc, u.path, dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))


def same_url(ice_url, boto_url):
    a, b = split(ice_url), split(boto_url)
    assert a[:3] == b[:3], (ice_url, boto_url)
    assert a[3] == b[3], (ice_url, boto_url)


def test_presigned_url_reads_the_object_without_credentials(ice, moto, bucket, monkeypatch):
    data = bytes(range(256)) * 1000
    moto.client().put_object(Bucket=bucket, Key=KEY, Body=data)
    r = ice.ok("presign", f"s3://{bucket}/{KEY}", "--expires", "600")
    url = r.out.strip()
    assert "\n" not in url and r.err == ""
    q = split(url)[3]
    assert q["X-Amz-Expires"] == "600" and q["X-Amz-SignedHeaders"] == "host"
    assert q["X-Amz-Credential"].startswith(moto_s3.ACCESS_KEY + "/")
    assert moto_s3.SECRET_KEY not in url
    # Plain urllib, no credentials, no AWS library: the object's bytes.
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.read() == data
    # botocore signs the same request the same way.
    same_url(url, botocore_url(monkeypatch, moto.endpoint, bucket, KEY, 600, q["X-Amz-Date"]))
    # The default is an hour; s3a:// names the same object.
    url = ice.ok("presign", f"s3a://{bucket}/{KEY}").out.strip()
    q = split(url)[3]
    assert q["X-Amz-Expires"] == "3600"
    same_url(url, botocore_url(monkeypatch, moto.endpoint, bucket, KEY, 3600, q["X-Amz-Date"]))


def test_presign_json_durations_and_a_missing_object(ice, moto, bucket, monkeypatch):
    out = ice.ok("presign", f"s3://{bucket}/none/such.parquet", "--expires", "7d", "--json").json()
    assert out["location"] == f"s3://{bucket}/none/such.parquet" and out["method"] == "GET"
    assert out["expires_s"] == 604800
    q = split(out["url"])[3]
    assert q["X-Amz-Expires"] == "604800"
    same_url(out["url"], botocore_url(monkeypatch, moto.endpoint, bucket, "none/such.parquet", 604800,
                                      q["X-Amz-Date"]))
    with pytest.raises(urllib.error.HTTPError) as e:  # nothing was sent while signing; the GET says 404
        urllib.request.urlopen(out["url"], timeout=30)
    assert e.value.code == 404
    assert ice.ok("presign", f"s3://{bucket}/k", "--expires", "15m", "--json").json()["expires_s"] == 900
    assert ice.ok("presign", f"s3://{bucket}/k", "--expires", "1", "--json").json()["expires_s"] == 1


def test_presign_with_a_session_token_and_virtual_hosted_addressing(ice, moto, bucket, monkeypatch, tmp_path):
    """Temporary credentials: the URL carries X-Amz-Security-Token (signed,
    as botocore does), never the secret. A named endpoint that is not an IP
    address is addressed virtual-hosted, bucket in the host name."""
    token = "FwoGZXIvYXdzEBYaDH+test/session=token"
    env = {"AWS_SESSION_TOKEN": token, "AWS_ENDPOINT_URL": "https://objects.example.test:9443",
           "AWS_REGION": "eu-west-3"}
    out = ice.ok("presign", f"s3://{bucket}/{KEY}", "--expires", "120", "--json", env=env).json()
    url = out["url"]
    assert url.startswith(f"https://{bucket}.objects.example.test:9443/"), url
    q = split(url)[3]
    assert q["X-Amz-Security-Token"] == token
    assert "/eu-west-3/s3/aws4_request" in q["X-Amz-Credential"]
    same_url(url, botocore_url(monkeypatch, "https://objects.example.test:9443", bucket, KEY, 120, q["X-Amz-Date"],
                               token=token, addressing="virtual", region="eu-west-3"))
    # Path-style when the catalog's configuration asks for it.
    cfg = tmp_path / "ice.config"
    cfg.write_text("default-catalog = c\ncatalog.c.uri = s3://x/wh\ncatalog.c.s3.path-style-access = true\n")
    url = ice.ok("presign", f"s3://{bucket}/{KEY}", env=dict(env, ICE_CONFIG=str(cfg))).out.strip()
    assert url.startswith(f"https://objects.example.test:9443/{bucket}/"), url
    same_url(url, botocore_url(monkeypatch, "https://objects.example.test:9443", bucket, KEY, 3600,
                               split(url)[3]["X-Amz-Date"], token=token, addressing="path", region="eu-west-3"))


def test_presign_refusals_name_the_cause_and_never_the_secret(ice, moto, bucket, tmp_path):
    secret = moto_s3.SECRET_KEY
    for args, code, what in [
        (("presign", f"s3://{bucket}/k", "--expires", "0"), 2, "out of range"),
        (("presign", f"s3://{bucket}/k", "--expires", "604801"), 2, "out of range"),
        (("presign", f"s3://{bucket}/k", "--expires", "8d"), 2, "out of range"),
        (("presign", f"s3://{bucket}/k", "--expires", "soon"), 2, "not a number of seconds"),
        (("presign",), 2, "expected one LOCATION"),
        (("presign", str(tmp_path / "local.parquet")), 1, "object store locations"),
        (("presign", f"s3://{bucket}"), 1, "an object's key is needed"),
    ]:
        r = ice.fails(code, "-v", *args)
        assert what in r.err and secret not in r.err + r.out, (args, r.err)
    # No credentials at all: nothing to sign with.
    r = ice.fails(1, "presign", f"s3://{bucket}/k",
                  env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE":
                       str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none")})
    assert "no AWS credentials to sign with" in r.err and r.out == "", r.err
    # With the catalog's keys (a configuration file) and -v: the secret is in no output.
    cfg = tmp_path / "ice.config"
    cfg.write_text(f"default-catalog = moto\ncatalog.moto.uri = s3://{bucket}/wh\n"
                   f"catalog.moto.s3.access-key-id = catalog-key-id\n"
                   f"catalog.moto.s3.secret-access-key = catalog-secret-never-shown\n")
    r = ice.ok("-v", "presign", f"s3://{bucket}/k", "--json", env={"ICE_CONFIG": str(cfg)})
    assert "catalog-secret-never-shown" not in r.out + r.err
    assert json.loads(r.out)["url"].count("X-Amz-Credential=catalog-key-id%2F") == 1
