/*
 * Unit tests of lib/io/sigv4.c: every case of AWS's Signature Version 4
 * test suite (tests/unit/io/sigv4-suite) signed with headers and presigned
 * in the query, each intermediate text compared; S3's own worked example;
 * digests; and credentials that never show up in errors.
 */
#include <dirent.h>
#include <stdlib.h>
#include <time.h>

#include "io/sigv4.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

static bool json_true(const ice_json *j)
{
	return j && ice_json__type(j) == ICE_JSON_TRUE;
}

#define MAX_ITEMS 32

typedef struct suite_case {
	char method[16];
	char path[1024];
	char host[256];
	ice_http_header query[MAX_ITEMS];
	size_t nquery;
	ice_http_header headers[MAX_ITEMS];
	size_t nheaders;
	char *strings[4 * MAX_ITEMS];
	size_t nstrings;
	char *body;
	size_t body_len;
	/* context.json */
	char access_key[128], secret[128], token[1024], region[64], service[64];
	int64_t time, expires;
	bool normalize, sign_body, omit_token;
} suite_case;

static char *keep(suite_case *c, const char *s, size_t n)
{
	char *p = strndup(s, n);
	c->strings[c->nstrings++] = p;
	return p;
}

static char *decoded(suite_case *c, const char *s, size_t n)
{
	ice_buf b = ICE_BUF_INIT;
	ice_http__url_decode(&b, s, n);
	char *p = keep(c, ice_buf__cstr(&b), b.len);
	ice_buf__free(&b);
	return p;
}

static void case_free(suite_case *c)
{
	for (size_t i = 0; i < c->nstrings; i++)
		free(c->strings[i]);
	free(c->body);
}

static char *read_case_file(const char *dir, const char *name, size_t *len)
{
	char path[8192 + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return ice_test_read_file(path, len);
}

/* request.txt: "METHOD PATH[?QUERY] HTTP/1.1", header lines (continuation
 * lines start with blanks), an empty line, the body. */
static bool parse_request(suite_case *c, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return false;
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = NULL;
	for (const char *q = eol; q > sp1; q--)
		if (*q == ' ') {
			sp2 = q;
			break;
		}
	if (!sp1 || !sp2)
		return false;
	snprintf(c->method, sizeof(c->method), "%.*s", (int)(sp1 - p), p);
	const char *target = sp1 + 1, *qm = memchr(target, '?', (size_t)(sp2 - target));
	const char *path_end = qm ? qm : sp2;
	char *path = decoded(c, target, (size_t)(path_end - target));
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (qm) {
		const char *q = qm + 1;
		while (q < sp2) {
			const char *amp = memchr(q, '&', (size_t)(sp2 - q));
			const char *pend = amp ? amp : sp2;
			const char *eq = memchr(q, '=', (size_t)(pend - q));
			c->query[c->nquery].name = decoded(c, q, (size_t)((eq ? eq : pend) - q));
			c->query[c->nquery].value = eq ? decoded(c, eq + 1, (size_t)(pend - eq - 1)) : keep(c, "", 0);
			c->nquery++;
			q = amp ? amp + 1 : sp2;
		}
	}
	p = eol + 1;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		if (le == p) {
			p = le + 1;
			break;
		}
		if (*p == ' ' || *p == '\t') {
			/* A folded continuation of the previous header. */
			ice_http_header *h = &c->headers[c->nheaders - 1];
			size_t old = strlen(h->value);
			char *v = malloc(old + (size_t)(le - p) + 2);
			memcpy(v, h->value, old);
			v[old] = '\n';
			memcpy(v + old + 1, p, (size_t)(le - p));
			v[old + 1 + (le - p)] = '\0';
			c->strings[c->nstrings++] = v;
			h->value = v;
		} else {
			const char *colon = memchr(p, ':', (size_t)(le - p));
			if (!colon)
				return false;
			const char *name = keep(c, p, (size_t)(colon - p));
			const char *value = keep(c, colon + 1, (size_t)(le - colon - 1));
			if (strcasecmp(name, "host") == 0) {
				snprintf(c->host, sizeof(c->host), "%s", value);
			} else {
				c->headers[c->nheaders].name = name;
				c->headers[c->nheaders].value = value;
				c->nheaders++;
			}
		}
		p = eol ? eol + 1 : end;
	}
	if (p < end) {
		c->body_len = (size_t)(end - p);
		c->body = strndup(p, c->body_len);
	}
	return true;
}

static bool parse_context(suite_case *c, const char *text, size_t len)
{
	ice_json *root = NULL, *creds, *v;
	struct tm tm;
	if (ice_json__parse(&root, text, len, "context.json") != 0)
		return false;
	creds = ice_json__get(root, "credentials");
	snprintf(c->access_key, sizeof(c->access_key), "%s", ice_json__str(ice_json__get(creds, "access_key_id"), NULL));
	snprintf(c->secret, sizeof(c->secret), "%s", ice_json__str(ice_json__get(creds, "secret_access_key"), NULL));
	if ((v = ice_json__get(creds, "token")) != NULL)
		snprintf(c->token, sizeof(c->token), "%s", ice_json__str(v, NULL));
	snprintf(c->region, sizeof(c->region), "%s", ice_json__str(ice_json__get(root, "region"), NULL));
	snprintf(c->service, sizeof(c->service), "%s", ice_json__str(ice_json__get(root, "service"), NULL));
	c->normalize = json_true(ice_json__get(root, "normalize"));
	c->sign_body = json_true(ice_json__get(root, "sign_body"));
	c->omit_token = json_true(ice_json__get(root, "omit_session_token"));
	c->expires = ice_json__int(ice_json__get(root, "expiration_in_seconds"));
	memset(&tm, 0, sizeof(tm));
	strptime(ice_json__str(ice_json__get(root, "timestamp"), NULL), "%Y-%m-%dT%H:%M:%SZ", &tm);
	c->time = (int64_t)timegm(&tm);
	ice_json__free(root);
	return true;
}

/* Compares `got` with the suite's file `name` (which may end in a newline). */
static bool same_as_file(const char *dir, const char *name, const char *got)
{
	size_t len;
	char *want = read_case_file(dir, name, &len);
	bool ok;
	if (!want)
		return false;
	while (len && (want[len - 1] == '\n' || want[len - 1] == '\r'))
		want[--len] = '\0';
	ok = strcmp(want, got) == 0;
	if (!ok)
		fprintf(stderr, "    %s/%s:\n--- want\n%s\n--- got\n%s\n", dir, name, want, got);
	free(want);
	return ok;
}

/* The Authorization line of header-signed-request.txt. */
static bool authorization_matches(const char *dir, const char *got)
{
	size_t len;
	char *text = read_case_file(dir, "header-signed-request.txt", &len);
	char *line = text ? strstr(text, "\nAuthorization:") : NULL;
	bool ok = false;
	if (line) {
		line += strlen("\nAuthorization:");
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		ok = strcmp(line, got) == 0;
		if (!ok)
			fprintf(stderr, "    %s: Authorization\n--- want\n%s\n--- got\n%s\n", dir, line, got);
	}
	free(text);
	return ok;
}

static int run_case(const char *dir)
{
	suite_case c;
	ice_aws_credentials creds = {0};
	ice_sigv4_result r;
	char hash[65];
	size_t len;
	int failures = 0;
	memset(&c, 0, sizeof(c));
	char *req_text = read_case_file(dir, "request.txt", &len);
	if (!req_text || !parse_request(&c, req_text, len)) {
		free(req_text);
		case_free(&c);
		return 1;
	}
	free(req_text);
	char *ctx_text = read_case_file(dir, "context.json", &len);
	if (!ctx_text || !parse_context(&c, ctx_text, len)) {
		free(ctx_text);
		case_free(&c);
		return 1;
	}
	free(ctx_text);
	ice_aws_credentials__set(&creds, c.access_key, c.secret, c.token[0] ? c.token : NULL);
	ice_sigv4__sha256_hex(c.body, c.body_len, hash);
	ice_sigv4_params p = {c.region, c.service, c.time, c.normalize, false, c.sign_body, c.omit_token, c.expires};
	ice_sigv4_request req = {c.method, c.host, c.path, c.query, c.nquery, c.headers, c.nheaders, hash};

	if (ice_sigv4__sign_headers(&r, &creds, &p, &req) != 0) {
		fprintf(stderr, "    %s: sign: %s\n", dir, LAST_ERROR());
		failures++;
	} else {
		failures += !same_as_file(dir, "header-canonical-request.txt", ice_buf__cstr(&r.canonical_request));
		failures += !same_as_file(dir, "header-string-to-sign.txt", ice_buf__cstr(&r.string_to_sign));
		failures += !same_as_file(dir, "header-signature.txt", r.signature);
		const char *auth = ice_http_headers__get(&r.headers, "Authorization");
		failures += !auth || !authorization_matches(dir, auth);
	}
	ice_sigv4_result__free(&r);

	if (ice_sigv4__presign(&r, &creds, &p, &req) != 0) {
		fprintf(stderr, "    %s: presign: %s\n", dir, LAST_ERROR());
		failures++;
	} else {
		failures += !same_as_file(dir, "query-canonical-request.txt", ice_buf__cstr(&r.canonical_request));
		failures += !same_as_file(dir, "query-string-to-sign.txt", ice_buf__cstr(&r.string_to_sign));
		failures += !same_as_file(dir, "query-signature.txt", r.signature);
		/* The query sent carries the signature. */
		char want[100];
		snprintf(want, sizeof(want), "X-Amz-Signature=%s", r.signature);
		failures += strstr(ice_buf__cstr(&r.query), want) == NULL;
	}
	ice_sigv4_result__free(&r);
	ice_aws_credentials__clear(&creds);
	case_free(&c);
	return failures;
}

TEST(test_io_sigv4__aws_test_suite)
{
	char root[4096];
	struct dirent **names;
	int n, ran = 0, failed = 0;
	snprintf(root, sizeof(root), "%s/tests/unit/io/sigv4-suite", ice_test_source_root());
	n = scandir(root, &names, NULL, alphasort);
	CHECK_MSG(n > 0, "no test suite at %s", root);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && names[i]->d_type == DT_DIR) {
			char dir[8192];
			snprintf(dir, sizeof(dir), "%s/%s", root, names[i]->d_name);
			int f = run_case(dir);
			if (f)
				fprintf(stderr, "    case %s: %d mismatches\n", names[i]->d_name, f);
			failed += f != 0;
			ran++;
		}
		free(names[i]);
	}
	free(names);
	CHECK_MSG(ran >= 38, "only %d cases ran", ran);
	CHECK_MSG(failed == 0, "%d of %d cases failed", failed, ran);
}

/*
 * S3's own worked example ("GET Object", Authenticating Requests: Using the
 * Authorization Header): bytes 0-9 of examplebucket/test.txt.
 */
TEST(test_io_sigv4__s3_get_object_example)
{
	ice_aws_credentials creds = {0};
	ice_sigv4_result r;
	const char *empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	ice_http_header headers[] = {{"Range", "bytes=0-9"}};
	struct tm tm = {0};
	strptime("2013-05-24T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ", &tm);
	ice_sigv4_params p = {"us-east-1", "s3", (int64_t)timegm(&tm), false, false, true, false, 0};
	ice_sigv4_request req = {"GET", "examplebucket.s3.amazonaws.com", "/test.txt", NULL, 0, headers, 1, empty};
	CHECK_OK(ice_aws_credentials__set(&creds, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                                  NULL));
	CHECK_OK(ice_sigv4__sign_headers(&r, &creds, &p, &req));
	CHECK_STR(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	CHECK_STR(ice_http_headers__get(&r.headers, "Authorization"),
	          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	          "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	CHECK_STR(ice_http_headers__get(&r.headers, "x-amz-content-sha256"), empty);
	ice_sigv4_result__free(&r);
	ice_aws_credentials__clear(&creds);
}

/* S3's presigned URL example (Query Parameters): examplebucket/test.txt for 86400 s. */
TEST(test_io_sigv4__s3_presigned_url_example)
{
	ice_aws_credentials creds = {0};
	ice_sigv4_result r;
	struct tm tm = {0};
	strptime("2013-05-24T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ", &tm);
	ice_sigv4_params p = {"us-east-1", "s3", (int64_t)timegm(&tm), false, false, false, false, 86400};
	ice_sigv4_request req = {"GET", "examplebucket.s3.amazonaws.com", "/test.txt", NULL, 0, NULL, 0,
	                         "UNSIGNED-PAYLOAD"};
	CHECK_OK(ice_aws_credentials__set(&creds, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                                  NULL));
	CHECK_OK(ice_sigv4__presign(&r, &creds, &p, &req));
	CHECK_STR(r.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	CHECK(strstr(ice_buf__cstr(&r.query), "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"));
	ice_sigv4_result__free(&r);
	ice_aws_credentials__clear(&creds);
}

TEST(test_io_sigv4__digests)
{
	char hex[65], b64[25];
	CHECK_OK(ice_sigv4__sha256_hex("abc", 3, hex));
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_OK(ice_sigv4__sha256_hex(NULL, 0, hex));
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_OK(ice_sigv4__md5_base64("", 0, b64));
	CHECK_STR(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

/* No credentials: an error that says so and names none. */
TEST(test_io_sigv4__missing_credentials)
{
	ice_aws_credentials creds = {0};
	ice_sigv4_result r;
	ice_sigv4_params p = {"us-east-1", "s3", 0, false, false, true, false, 0};
	ice_sigv4_request req = {"GET", "h", "/k", NULL, 0, NULL, 0, NULL};
	CHECK_OK(ice_aws_credentials__set(&creds, "AKID", NULL, NULL));
	CHECK_RC(ice_sigv4__sign_headers(&r, &creds, &p, &req), ICE_EAUTH);
	CHECK(strstr(LAST_ERROR(), "AKID") == NULL);
	ice_sigv4_result__free(&r);
	ice_aws_credentials__clear(&creds);
}

/* Every allocation failing in turn: an error and nothing leaked. */
TEST(test_io_sigv4__allocation_failures)
{
	ice_aws_credentials creds = {0};
	ice_http_header headers[] = {{"Range", "bytes=0-9"}, {"X-Thing", "  a   b "}};
	ice_http_header query[] = {{"list-type", "2"}, {"prefix", "a b/c"}};
	ice_sigv4_params p = {"us-east-1", "s3", 1369353600, false, false, true, false, 3600};
	ice_sigv4_request req = {"GET", "h:9000", "/b/k ey", query, 2, headers, 2, NULL};
	CHECK_OK(ice_aws_credentials__set(&creds, "AKID", "SECRET", "TOKEN"));
	for (int presign = 0; presign < 2; presign++) {
		for (uint64_t n = 1;; n++) {
			ice_sigv4_result r;
			int64_t before = ice_alloc_outstanding();
			ice_alloc_fail_at(n, false);
			int rc = presign ? ice_sigv4__presign(&r, &creds, &p, &req) : ice_sigv4__sign_headers(&r, &creds, &p, &req);
			bool injected = ice_alloc_injected_failure();
			ice_alloc_fail_at(0, false);
			ice_sigv4_result__free(&r);
			CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
			if (!injected) {
				CHECK_OK(rc);
				break;
			}
			CHECK_MSG(rc != 0, "allocation %llu failed unnoticed", (unsigned long long)n);
		}
	}
	ice_aws_credentials__clear(&creds);
}
