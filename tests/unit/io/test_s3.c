/*
 * Unit tests of the S3 pieces that need no server: locations, the
 * configuration's sources and their order (properties, environment,
 * profile files), its errors (naming keys, never secret values), what a
 * table may set, and the XML reader. The client itself is tested against
 * moto (tests/s3).
 */
#include <stdlib.h>
#include <unistd.h>

#include "io/s3.h"
#include "test.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "HOME",
};
#define NVARS (sizeof(aws_vars) / sizeof(aws_vars[0]))

/* Saves and clears the AWS environment; restore() puts it back. */
typedef struct saved_env {
	char *values[NVARS];
} saved_env;

static void clear_env(saved_env *s)
{
	for (size_t i = 0; i < NVARS; i++) {
		const char *v = getenv(aws_vars[i]);
		s->values[i] = v ? strdup(v) : NULL;
		unsetenv(aws_vars[i]);
	}
	setenv("HOME", "/nonexistent-home-for-tests", 1);
}

static void restore_env(saved_env *s)
{
	for (size_t i = 0; i < NVARS; i++) {
		if (s->values[i])
			setenv(aws_vars[i], s->values[i], 1);
		else
			unsetenv(aws_vars[i]);
		free(s->values[i]);
	}
}

static const char *write_temp(const char *name, const char *text)
{
	static char path[2][256];
	static int k;
	char *p = path[k++ % 2];
	snprintf(p, 256, "/tmp/ice-test-%d-%s", (int)getpid(), name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

TEST(test_io_s3__locations)
{
	ice_s3_path p;
	CHECK(ice_s3__is_location("s3://b/k") && ice_s3__is_location("s3a://b/k") && ice_s3__is_location("s3n://b"));
	CHECK(!ice_s3__is_location("/tmp/x") && !ice_s3__is_location("file:///x") && !ice_s3__is_location("gs://b/k"));
	CHECK_OK(ice_s3__parse(&p, "s3://bucket/a/b c/d.parquet"));
	CHECK_STR(p.bucket, "bucket");
	CHECK_STR(p.key, "a/b c/d.parquet");
	ice_s3_path__free(&p);
	CHECK_OK(ice_s3__parse(&p, "s3a://bucket"));
	CHECK_STR(p.key, "");
	ice_s3_path__free(&p);
	CHECK_RC(ice_s3__parse(&p, "s3:///key"), ICE_EINVALID);
	CHECK_RC(ice_s3__parse(&p, "s3://user:pw@bucket/key"), ICE_EINVALID);
	CHECK(strstr(LAST_ERROR(), "invalid bucket name") != NULL);
}

TEST(test_io_s3__config_properties_win)
{
	saved_env env;
	ice_s3_config c;
	ice_property items[] = {
		{"s3.endpoint", "http://127.0.0.1:9000/"}, {"s3.region", "eu-west-3"},
		{"s3.access-key-id", "AKIDPROP"},          {"s3.secret-access-key", "SECRETPROP"},
		{"s3.session-token", "TOKENPROP"},         {"s3.path-style-access", "true"},
		{"s3.multipart.part-size", "8388608"},     {"s3.retry.num-retries", "7"},
		{"s3.retry.min-wait-ms", "10"},            {"s3.retry.max-wait-ms", "1000"},
		{"s3.connect-timeout", "2.5"},             {"s3.conditional-writes", "unsafe"},
	};
	ice_properties props = {sizeof(items) / sizeof(items[0]), items};
	clear_env(&env);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETENV", 1);
	setenv("AWS_REGION", "us-west-2", 1);
	int rc = ice_s3_config__resolve(&c, &props);
	restore_env(&env);
	CHECK_OK(rc);
	CHECK_STR(c.endpoint, "http://127.0.0.1:9000");
	CHECK_STR(c.region, "eu-west-3");
	CHECK_STR(c.creds.access_key_id, "AKIDPROP");
	CHECK_STR(c.creds.secret_access_key, "SECRETPROP");
	CHECK_STR(c.creds.session_token, "TOKENPROP");
	CHECK_INT(c.path_style, 1);
	CHECK_INT(c.part_size, 8388608);
	CHECK_INT(c.http.retry.max_retries, 7);
	CHECK_INT(c.http.retry.min_wait_ms, 10);
	CHECK_INT(c.http.retry.max_wait_ms, 1000);
	CHECK_INT(c.http.connect_timeout_ms, 2500);
	CHECK_INT(c.conditional, ICE_S3_COND_UNSAFE);
	ice_s3_config__free(&c);
}

TEST(test_io_s3__config_environment_then_defaults)
{
	saved_env env;
	ice_s3_config c;
	clear_env(&env);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRETENV", 1);
	setenv("AWS_SESSION_TOKEN", "TOKENENV", 1);
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	setenv("AWS_ENDPOINT_URL", "minio.local:9000", 1);
	int rc = ice_s3_config__resolve(&c, NULL);
	restore_env(&env);
	CHECK_OK(rc);
	CHECK_STR(c.creds.access_key_id, "AKIDENV");
	CHECK_STR(c.creds.session_token, "TOKENENV");
	CHECK_STR(c.region, "ap-south-1");
	CHECK_STR(c.endpoint, "https://minio.local:9000");
	CHECK_INT(c.path_style, -1);
	CHECK_INT(c.part_size, 32 << 20);
	CHECK_INT(c.delete_batch, 1000);
	CHECK_INT(c.conditional, ICE_S3_COND_AUTO);
	ice_s3_config__free(&c);

	/* Nothing at all: AWS itself, us-east-1, no credentials yet (asked for at the first request). */
	clear_env(&env);
	rc = ice_s3_config__resolve(&c, NULL);
	restore_env(&env);
	CHECK_OK(rc);
	CHECK(c.endpoint == NULL && !ice_aws_credentials__present(&c.creds));
	CHECK_STR(c.region, "us-east-1");
	ice_s3_config__free(&c);
}

TEST(test_io_s3__config_profiles)
{
	saved_env env;
	ice_s3_config c;
	const char *creds = write_temp("credentials", "[default]\naws_access_key_id = AKIDDEFAULT\n"
	                                              "aws_secret_access_key = SECRETDEFAULT\n\n"
	                                              "[work]\naws_access_key_id=AKIDWORK\n"
	                                              "aws_secret_access_key=SECRETWORK\naws_session_token = TOKENWORK\n");
	char creds_path[256];
	snprintf(creds_path, sizeof(creds_path), "%s", creds);
	const char *config = write_temp("config", "[default]\nregion = us-west-1\n\n"
	                                          "[profile work]\nregion = eu-central-1\n"
	                                          "s3 =\n  addressing_style = path\n  endpoint_url = http://10.0.0.5:9000\n"
	                                          "# a comment\n");
	clear_env(&env);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path, 1);
	setenv("AWS_CONFIG_FILE", config, 1);
	int rc = ice_s3_config__resolve(&c, NULL);
	CHECK_OK(rc);
	CHECK_STR(c.creds.access_key_id, "AKIDDEFAULT");
	CHECK_STR(c.region, "us-west-1");
	CHECK(c.endpoint == NULL);
	ice_s3_config__free(&c);
	setenv("AWS_PROFILE", "work", 1);
	rc = ice_s3_config__resolve(&c, NULL);
	restore_env(&env);
	unlink(creds_path);
	unlink(config);
	CHECK_OK(rc);
	CHECK_STR(c.creds.access_key_id, "AKIDWORK");
	CHECK_STR(c.creds.session_token, "TOKENWORK");
	CHECK_STR(c.region, "eu-central-1");
	CHECK_STR(c.endpoint, "http://10.0.0.5:9000");
	CHECK_INT(c.path_style, 1);
	ice_s3_config__free(&c);
}

TEST(test_io_s3__config_errors_name_keys_not_secrets)
{
	saved_env env;
	ice_s3_config c;
	ice_property half[] = {{"s3.secret-access-key", "VERYSECRETVALUE"}};
	ice_properties p1 = {1, half};
	ice_property bad[] = {{"s3.multipart.part-size", "1024"}};
	ice_properties p2 = {1, bad};
	ice_property cred_url[] = {{"s3.endpoint", "http://AKID:SECRETINURL@host:9000"}};
	ice_properties p3 = {1, cred_url};
	ice_property cond[] = {{"s3.conditional-writes", "maybe"}};
	ice_properties p4 = {1, cond};
	clear_env(&env);
	CHECK_RC(ice_s3_config__resolve(&c, &p1), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("s3.access-key-id: missing");
	CHECK(strstr(LAST_ERROR(), "VERYSECRETVALUE") == NULL);
	CHECK_RC(ice_s3_config__resolve(&c, &p2), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("s3.multipart.part-size: expected a whole number from 5242880");
	CHECK_RC(ice_s3_config__resolve(&c, &p3), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("credentials do not belong in the endpoint URL");
	CHECK(strstr(LAST_ERROR(), "SECRETINURL") == NULL);
	CHECK_RC(ice_s3_config__resolve(&c, &p4), ICE_EINVALID);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	CHECK_RC(ice_s3_config__resolve(&c, NULL), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("AWS_ACCESS_KEY_ID: missing");
	CHECK(strstr(LAST_ERROR(), "ENVSECRET") == NULL);
	restore_env(&env);
}

TEST(test_io_s3__what_a_table_may_set)
{
	CHECK(ice_s3_config__table_may_set("s3.multipart.part-size"));
	CHECK(ice_s3_config__table_may_set("s3.retry.num-retries"));
	CHECK(!ice_s3_config__table_may_set("s3.endpoint"));
	CHECK(!ice_s3_config__table_may_set("s3.access-key-id"));
	CHECK(!ice_s3_config__table_may_set("s3.secret-access-key"));
	CHECK(!ice_s3_config__table_may_set("s3.region"));
}

/* A presigned GET through the client's own addressing: AWS's documented
 * example (Authenticating Requests: Using Query Parameters), examplebucket
 * /test.txt for 86400 s on 2013-05-24, URL and signature as AWS prints them. */
TEST(test_io_s3__presigned_get_is_awss_example)
{
	saved_env env;
	ice_s3_config c;
	ice_s3 *s3 = NULL;
	char *url = NULL;
	ice_property items[] = {
		{"s3.endpoint", "https://s3.amazonaws.com"},
		{"s3.region", "us-east-1"},
		{"s3.access-key-id", "AKIAIOSFODNN7EXAMPLE"},
		{"s3.secret-access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"s3.path-style-access", "false"},
	};
	ice_properties props = {sizeof(items) / sizeof(items[0]), items};
	clear_env(&env);
	int rc = ice_s3_config__resolve(&c, &props);
	restore_env(&env);
	CHECK_OK(rc);
	CHECK_OK(ice_s3__new(&s3, &c));
	CHECK_OK(ice_s3__presign_get(s3, "s3://examplebucket/test.txt", 86400, 1369353600, &url));
	CHECK_STR(url, "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	               "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	               "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
	               "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	ice__free(url);
	url = NULL;
	/* Out of range, a bucket without a key: refused, naming the location. */
	CHECK(ice_s3__presign_get(s3, "s3://examplebucket/test.txt", 604801, 1369353600, &url) == ICE_EINVALID);
	CHECK_ERROR_CONTAINS("s3://examplebucket/test.txt: presign: the expiry must be 1 s to 7 days");
	CHECK(ice_s3__presign_get(s3, "s3://examplebucket", 60, 1369353600, &url) == ICE_EINVALID);
	CHECK_ERROR_CONTAINS("an object's key is needed");
	CHECK(url == NULL);
	ice_s3__free(s3);
	/* Anonymous: nothing to sign with. */
	ice_property anon[] = {{"s3.endpoint", "https://s3.amazonaws.com"}, {"s3.anonymous", "true"}};
	ice_properties aprops = {2, anon};
	clear_env(&env);
	rc = ice_s3_config__resolve(&c, &aprops);
	restore_env(&env);
	CHECK_OK(rc);
	CHECK_OK(ice_s3__new(&s3, &c));
	CHECK(ice_s3__presign_get(s3, "s3://examplebucket/test.txt", 60, 1369353600, &url) == ICE_EAUTH);
	CHECK_ERROR_CONTAINS("no AWS credentials to sign with");
	ice_s3__free(s3);
}

TEST(test_io_s3__xml)
{
	ice_arena a;
	ice_s3_xml *doc;
	const char *list = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                   "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
	                   "  <IsTruncated>true</IsTruncated>\n"
	                   "  <Contents><Key>a%20b&amp;c</Key><Size>12</Size></Contents>\n"
	                   "  <Contents><Key> spaced </Key><Size>0</Size></Contents>\n"
	                   "  <s3:NextContinuationToken>tok/1+2=</s3:NextContinuationToken>\n"
	                   "  <!-- comment --><Odd a='1' b = \"2\"/><C><![CDATA[<x>&]]>&#65;&#x263A;</C>\n"
	                   "</ListBucketResult>\n";
	ice_arena__init(&a, 1024);
	CHECK_OK(ice_s3_xml__parse(&doc, &a, list, strlen(list), "s3://b: ListObjectsV2"));
	CHECK_STR(doc->name, "ListBucketResult");
	CHECK_STR(ice_s3_xml__text(doc, "IsTruncated"), "true");
	CHECK_STR(ice_s3_xml__text(doc, "NextContinuationToken"), "tok/1+2=");
	const ice_s3_xml *c = ice_s3_xml__child(doc, "Contents");
	CHECK_STR(ice_s3_xml__text(c, "Key"), "a%20b&c");
	CHECK_STR(ice_s3_xml__text(c->next, "Key"), " spaced ");
	CHECK_STR(ice_s3_xml__text(doc, "C"), "<x>&A\xE2\x98\xBA");
	CHECK(ice_s3_xml__child(doc, "Odd") != NULL);
	ice_arena__free(&a);

	static const char *const bad[] = {
		"", "text", "<a>", "<a></b>", "<a>&bogus;</a>", "<a>&#0;</a>", "<!DOCTYPE a [<!ENTITY x \"y\">]><a/>",
		"<a/><b/>", "<a x=1/>", "<a><!-- open </a>", "<:/>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ice_arena__init(&a, 1024);
		CHECK_MSG(ice_s3_xml__parse(&doc, &a, bad[i], strlen(bad[i]), "t") == ICE_EINVALID, "accepted: %s", bad[i]);
		CHECK_ERROR_CONTAINS("t: XML response: ");
		ice_arena__free(&a);
	}
	/* Nesting is bounded. */
	char deep[4096] = "";
	for (int i = 0; i < 100; i++)
		strcat(deep, "<a>");
	ice_arena__init(&a, 1024);
	CHECK_RC(ice_s3_xml__parse(&doc, &a, deep, strlen(deep), "t"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("nested too deeply");
	ice_arena__free(&a);
}
