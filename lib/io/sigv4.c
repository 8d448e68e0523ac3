/*
 * io/sigv4.c - AWS Signature Version 4 and the digests S3 needs, over
 * OpenSSL (the only file that includes it). The steps follow AWS's
 * description of the algorithm:
 *
 *   canonical request = method \n canonical URI \n canonical query \n
 *                       canonical headers \n signed headers \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n
 *                       hex(sha256(canonical request))
 *   signing key       = HMAC chain over "AWS4"+secret, date, region,
 *                       service, "aws4_request"
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * The canonical URI is the path percent-encoded per RFC 3986 with '/'
 * kept (twice for services other than S3), after removing dot segments
 * where the service wants it (S3 does not). Query parameters are encoded,
 * then sorted by name and value. Header names are lower-cased, values
 * trimmed with inner runs of spaces collapsed, repeated headers joined
 * with ',' in order, sorted by name.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sigv4.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- credentials ------------------------------------------------------------ */

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		ice__free(s);
	}
}

void ice_aws_credentials__clear(ice_aws_credentials *c)
{
	if (!c)
		return;
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	memset(c, 0, sizeof(*c));
}

int ice_aws_credentials__set(ice_aws_credentials *c, const char *access_key_id, const char *secret_access_key,
                             const char *session_token)
{
	ice_aws_credentials n = {0};
	if (secret_access_key)
		ice_error__secret(secret_access_key, strlen(secret_access_key));
	if (session_token)
		ice_error__secret(session_token, strlen(session_token));
	if ((access_key_id && !(n.access_key_id = ice__strdup(access_key_id))) ||
	    (secret_access_key && !(n.secret_access_key = ice__strdup(secret_access_key))) ||
	    (session_token && *session_token && !(n.session_token = ice__strdup(session_token)))) {
		ice_aws_credentials__clear(&n);
		return ICE_ERROR;
	}
	ice_aws_credentials__clear(c);
	*c = n;
	return 0;
}

bool ice_aws_credentials__present(const ice_aws_credentials *c)
{
	return c && c->access_key_id && *c->access_key_id && c->secret_access_key && *c->secret_access_key;
}

/* ---- digests ---------------------------------------------------------------- */

static int digest(const char *name, const void *data, size_t len, unsigned char *md, unsigned int *md_len)
{
	const EVP_MD *type = strcmp(name, "md5") == 0 ? EVP_md5() : EVP_sha256();
	if (EVP_Digest(data, len, md, md_len, type, NULL) != 1)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "OpenSSL: %s digest failed", name);
	return 0;
}

int ice_sigv4__sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = digest("sha256", data ? data : "", len, md, &n);
	if (!rc)
		ice_hex__encode(md, n, out);
	return rc;
}

int ice_sigv4__md5_base64(const void *data, size_t len, char out[25])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = digest("md5", data ? data : "", len, md, &n);
	if (!rc && EVP_EncodeBlock((unsigned char *)out, md, (int)n) != 24)
		rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "OpenSSL: base64 failed");
	return rc;
}

int ice_sigv4__sha256_stream(ice_http_read_fn read, void *payload, uint64_t len, uint8_t *buf, size_t buf_len,
                             char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64_t off = 0;
	int rc = 0;
	if (!ctx)
		return ice_error__oom();
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "OpenSSL: sha256 digest failed");
	while (!rc && off < len) {
		size_t want = len - off < buf_len ? (size_t)(len - off) : buf_len;
		int64_t got = read(payload, off, buf, want);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		if (got == 0) {
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "body ended before its length while hashing it");
			break;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1)
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "OpenSSL: sha256 digest failed");
		off += (uint64_t)got;
	}
	if (!rc && EVP_DigestFinal_ex(ctx, md, &n) != 1)
		rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "OpenSSL: sha256 digest failed");
	EVP_MD_CTX_free(ctx);
	if (!rc)
		ice_hex__encode(md, n, out);
	return rc;
}

static int hmac(const void *key, size_t key_len, const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;
	if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != 32)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "OpenSSL: HMAC-SHA256 failed");
	return 0;
}

/* ---- canonical pieces --------------------------------------------------------- */

void ice_sigv4__amz_date(int64_t time, char out[17])
{
	time_t t = (time_t)time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The path without dot segments and empty segments (RFC 3986 5.2.4 as AWS
 * applies it); a trailing '/' is kept. */
static int normalize(ice_buf *out, const char *path)
{
	size_t n = strlen(path);
	size_t *starts = ice__mallocarray(n + 1, sizeof(size_t));
	size_t nseg = 0;
	if (!starts)
		return ICE_ERROR;
	ice_buf__clear(out);
	for (size_t i = 0; i < n;) {
		while (i < n && path[i] == '/')
			i++;
		size_t j = i;
		while (j < n && path[j] != '/')
			j++;
		if (j == i)
			break;
		if (j - i == 1 && path[i] == '.') {
			/* skip */
		} else if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (nseg)
				out->len = starts[--nseg];
		} else {
			starts[nseg++] = out->len;
			ice_buf__putc(out, '/');
			ice_buf__put(out, path + i, j - i);
		}
		i = j;
	}
	if (out->len == 0 || (n > 1 && path[n - 1] == '/'))
		ice_buf__putc(out, '/');
	if (out->ptr && !out->error)
		out->ptr[out->len] = '\0';
	ice__free(starts);
	return out->error;
}

static int canonical_uri(ice_buf *out, const ice_sigv4_params *p, const char *path)
{
	ice_buf norm = ICE_BUF_INIT, once = ICE_BUF_INIT;
	int rc = 0;
	if (!path || !*path)
		path = "/";
	if (p->normalize_path) {
		if ((rc = normalize(&norm, path)) != 0)
			goto done;
		path = ice_buf__cstr(&norm);
	}
	if (p->double_encode) {
		if ((rc = ice_http__url_encode(&once, path, strlen(path), true)) != 0)
			goto done;
		rc = ice_http__url_encode(out, ice_buf__cstr(&once), once.len, true);
	} else {
		rc = ice_http__url_encode(out, path, strlen(path), true);
	}
done:
	ice_buf__free(&norm);
	ice_buf__free(&once);
	return rc;
}

typedef struct pair {
	char *name;
	char *value;
	size_t order; /* for a stable sort */
} pair;

static int cmp_pair(const void *a, const void *b)
{
	const pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	c = strcmp(x->value, y->value);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void free_pairs(pair *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ice__free(ps[i].name);
		ice__free(ps[i].value);
	}
	ice__free(ps);
}

/* name=value&... sorted, names and values encoded; extra pairs (already
 * decoded) join the request's. */
static int canonical_query(ice_buf *out, const ice_sigv4_request *req, const ice_http_header *extra, size_t nextra)
{
	size_t n = req->nquery + nextra;
	pair *ps = n ? ice__calloc(n, sizeof(pair)) : NULL;
	int rc = 0;
	if (n && !ps)
		return ICE_ERROR;
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_http_header *q = i < req->nquery ? &req->query[i] : &extra[i - req->nquery];
		ice_buf a = ICE_BUF_INIT, b = ICE_BUF_INIT;
		ice_http__url_encode(&a, q->name, strlen(q->name), false);
		ice_http__url_encode(&b, q->value ? q->value : "", q->value ? strlen(q->value) : 0, false);
		ps[i].name = ice_buf__detach(&a, NULL);
		ps[i].value = ice_buf__detach(&b, NULL);
		ps[i].order = i;
		if (!ps[i].name || !ps[i].value)
			rc = ICE_ERROR;
		ice_buf__free(&a);
		ice_buf__free(&b);
	}
	if (!rc) {
		if (n)
			qsort(ps, n, sizeof(pair), cmp_pair);
		for (size_t i = 0; i < n; i++)
			ice_buf__printf(out, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value);
		rc = out->error;
	}
	free_pairs(ps, n);
	return rc;
}

/* A header value trimmed, inner runs of blanks collapsed to one space. */
static void put_trimmed(ice_buf *out, const char *v)
{
	const char *s = v;
	size_t n = strlen(v);
	bool space = false;
	ice_str__trim(&s, &n);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = true;
			continue;
		}
		if (space)
			ice_buf__putc(out, ' ');
		space = false;
		ice_buf__putc(out, c);
	}
}

/*
 * The canonical headers block and the signed-header list. `all` holds
 * every header to sign (names in any case, Host first).
 */
static int canonical_headers(ice_buf *block, ice_buf *signed_list, const ice_http_header *all, size_t n)
{
	pair *ps = n ? ice__calloc(n, sizeof(pair)) : NULL;
	int rc = 0;
	if (n && !ps)
		return ICE_ERROR;
	for (size_t i = 0; i < n && !rc; i++) {
		char *name = ice__strdup(all[i].name);
		ps[i].name = name;
		ps[i].value = (char *)all[i].value;
		ps[i].order = i;
		if (!name) {
			rc = ICE_ERROR;
			break;
		}
		for (char *c = name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	if (!rc) {
		/* By name, and in the order given for repeated names. */
		for (size_t i = 1; i < n; i++) {
			pair t = ps[i];
			size_t j = i;
			while (j > 0 && strcmp(ps[j - 1].name, t.name) > 0) {
				ps[j] = ps[j - 1];
				j--;
			}
			ps[j] = t;
		}
		for (size_t i = 0; i < n;) {
			size_t j = i;
			ice_buf__printf(block, "%s:", ps[i].name);
			ice_buf__printf(signed_list, "%s%s", i ? ";" : "", ps[i].name);
			for (; j < n && strcmp(ps[j].name, ps[i].name) == 0; j++) {
				if (j > i)
					ice_buf__putc(block, ',');
				put_trimmed(block, ps[j].value);
			}
			ice_buf__putc(block, '\n');
			i = j;
		}
		rc = block->error ? block->error : signed_list->error;
	}
	for (size_t i = 0; i < n; i++)
		ice__free(ps[i].name);
	ice__free(ps);
	return rc;
}

static void scope_of(char *out, size_t size, const char *amz_date, const ice_sigv4_params *p)
{
	snprintf(out, size, "%.8s/%s/%s/aws4_request", amz_date, p->region, p->service);
}

/* The signature of r->canonical_request into r->string_to_sign and r->signature. */
static int finish_signature(ice_sigv4_result *r, const ice_aws_credentials *creds, const ice_sigv4_params *p,
                            const char *amz_date, const char *scope)
{
	char hash[65];
	unsigned char k[32], sig[32];
	char date[9];
	ice_buf secret = ICE_BUF_INIT;
	int rc;
	if ((rc = ice_sigv4__sha256_hex(r->canonical_request.ptr, r->canonical_request.len, hash)) != 0)
		return rc;
	ice_buf__printf(&r->string_to_sign, "%s\n%s\n%s\n%s", ALGORITHM, amz_date, scope, hash);
	if (r->string_to_sign.error)
		return r->string_to_sign.error;
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	ice_buf__printf(&secret, "AWS4%s", creds->secret_access_key);
	if (secret.error) {
		ice_buf__free(&secret);
		return ICE_ERROR;
	}
	rc = hmac(secret.ptr, secret.len, date, 8, k);
	OPENSSL_cleanse(secret.ptr, secret.len);
	ice_buf__free(&secret);
	if (!rc)
		rc = hmac(k, 32, p->region, strlen(p->region), k);
	if (!rc)
		rc = hmac(k, 32, p->service, strlen(p->service), k);
	if (!rc)
		rc = hmac(k, 32, "aws4_request", 12, k);
	if (!rc)
		rc = hmac(k, 32, r->string_to_sign.ptr, r->string_to_sign.len, sig);
	OPENSSL_cleanse(k, sizeof(k));
	if (!rc)
		ice_hex__encode(sig, 32, r->signature);
	return rc;
}

static int check_input(const ice_aws_credentials *creds, const ice_sigv4_params *p, const ice_sigv4_request *req)
{
	if (!ice_aws_credentials__present(creds))
		return ice_error__set(ICE_EAUTH, ICE_ERRCLASS_IO, "no AWS credentials to sign the request with");
	if (!p->region || !*p->region || !p->service || !*p->service || !req->method || !req->host)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "SigV4: region, service, method and host are needed");
	return 0;
}

void ice_sigv4_result__free(ice_sigv4_result *r)
{
	if (!r)
		return;
	ice_http_headers__free(&r->headers);
	if (r->query.ptr)
		OPENSSL_cleanse(r->query.ptr, r->query.len);
	ice_buf__free(&r->query);
	if (r->canonical_request.ptr)
		OPENSSL_cleanse(r->canonical_request.ptr, r->canonical_request.len);
	ice_buf__free(&r->canonical_request);
	ice_buf__free(&r->string_to_sign);
	OPENSSL_cleanse(r->signature, sizeof(r->signature));
}

static void result_init(ice_sigv4_result *r)
{
	memset(r, 0, sizeof(*r));
	ice_buf__init(&r->query, ICE_BUF_DEFAULT_LIMIT);
	ice_buf__init(&r->canonical_request, ICE_BUF_DEFAULT_LIMIT);
	ice_buf__init(&r->string_to_sign, ICE_BUF_DEFAULT_LIMIT);
}

int ice_sigv4__sign_headers(ice_sigv4_result *r, const ice_aws_credentials *creds, const ice_sigv4_params *p,
                            const ice_sigv4_request *req)
{
	const char *payload = req->payload_hash ? req->payload_hash : EMPTY_SHA256;
	bool token = creds && creds->session_token && *creds->session_token;
	char amz_date[17], scope[128];
	ice_buf block = ICE_BUF_INIT, signed_list = ICE_BUF_INIT, auth = ICE_BUF_INIT;
	ice_http_header *all;
	size_t n = 0;
	int rc;
	result_init(r);
	if ((rc = check_input(creds, p, req)) != 0)
		return rc;
	ice_sigv4__amz_date(p->time, amz_date);
	scope_of(scope, sizeof(scope), amz_date, p);
	if (!(all = ice__calloc(req->nheaders + 4, sizeof(*all))))
		return ICE_ERROR;
	all[n++] = (ice_http_header){"host", req->host};
	for (size_t i = 0; i < req->nheaders; i++)
		all[n++] = req->headers[i];
	all[n++] = (ice_http_header){"x-amz-date", amz_date};
	if (p->sign_body)
		all[n++] = (ice_http_header){"x-amz-content-sha256", payload};
	if (token && !p->omit_session_token)
		all[n++] = (ice_http_header){"x-amz-security-token", creds->session_token};
	ice_buf__printf(&r->canonical_request, "%s\n", req->method);
	if ((rc = canonical_uri(&r->canonical_request, p, req->path)) != 0)
		goto done;
	ice_buf__putc(&r->canonical_request, '\n');
	if ((rc = canonical_query(&r->canonical_request, req, NULL, 0)) != 0)
		goto done;
	ice_buf__putc(&r->canonical_request, '\n');
	if ((rc = canonical_headers(&block, &signed_list, all, n)) != 0)
		goto done;
	ice_buf__printf(&r->canonical_request, "%s\n%s\n%s", ice_buf__cstr(&block), ice_buf__cstr(&signed_list),
	                payload);
	if ((rc = r->canonical_request.error) != 0)
		goto done;
	if ((rc = finish_signature(r, creds, p, amz_date, scope)) != 0)
		goto done;
	ice_buf__printf(&auth, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s", ALGORITHM, creds->access_key_id,
	                scope, ice_buf__cstr(&signed_list), r->signature);
	if ((rc = auth.error) != 0)
		goto done;
	rc = ice_http_headers__add(&r->headers, "X-Amz-Date", amz_date);
	if (!rc && p->sign_body)
		rc = ice_http_headers__add(&r->headers, "x-amz-content-sha256", payload);
	if (!rc && token)
		rc = ice_http_headers__add(&r->headers, "X-Amz-Security-Token", creds->session_token);
	if (!rc)
		rc = ice_http_headers__add(&r->headers, "Authorization", auth.ptr);
done:
	if (auth.ptr)
		OPENSSL_cleanse(auth.ptr, auth.len);
	ice_buf__free(&auth);
	ice_buf__free(&block);
	ice_buf__free(&signed_list);
	ice__free(all);
	return rc;
}

int ice_sigv4__presign(ice_sigv4_result *r, const ice_aws_credentials *creds, const ice_sigv4_params *p,
                       const ice_sigv4_request *req)
{
	const char *payload = req->payload_hash ? req->payload_hash : EMPTY_SHA256;
	bool token = creds && creds->session_token && *creds->session_token;
	char amz_date[17], scope[128], expires[24];
	ice_buf block = ICE_BUF_INIT, signed_list = ICE_BUF_INIT, credential = ICE_BUF_INIT;
	ice_http_header *all = NULL, extra[6];
	size_t n = 0, nextra = 0;
	int rc;
	result_init(r);
	if ((rc = check_input(creds, p, req)) != 0)
		return rc;
	if (p->expires < 1 || p->expires > 604800)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "SigV4: presigned URLs expire after 1 s to 7 days");
	ice_sigv4__amz_date(p->time, amz_date);
	scope_of(scope, sizeof(scope), amz_date, p);
	snprintf(expires, sizeof(expires), "%lld", (long long)p->expires);
	if (!(all = ice__calloc(req->nheaders + 1, sizeof(*all))))
		return ICE_ERROR;
	all[n++] = (ice_http_header){"host", req->host};
	for (size_t i = 0; i < req->nheaders; i++)
		all[n++] = req->headers[i];
	if ((rc = canonical_headers(&block, &signed_list, all, n)) != 0)
		goto done;
	ice_buf__printf(&credential, "%s/%s", creds->access_key_id, scope);
	if ((rc = credential.error) != 0)
		goto done;
	extra[nextra++] = (ice_http_header){"X-Amz-Algorithm", ALGORITHM};
	extra[nextra++] = (ice_http_header){"X-Amz-Credential", credential.ptr};
	extra[nextra++] = (ice_http_header){"X-Amz-Date", amz_date};
	extra[nextra++] = (ice_http_header){"X-Amz-Expires", expires};
	if (token && !p->omit_session_token)
		extra[nextra++] = (ice_http_header){"X-Amz-Security-Token", creds->session_token};
	extra[nextra++] = (ice_http_header){"X-Amz-SignedHeaders", ice_buf__cstr(&signed_list)};
	ice_buf__printf(&r->canonical_request, "%s\n", req->method);
	if ((rc = canonical_uri(&r->canonical_request, p, req->path)) != 0)
		goto done;
	ice_buf__putc(&r->canonical_request, '\n');
	if ((rc = canonical_query(&r->canonical_request, req, extra, nextra)) != 0)
		goto done;
	ice_buf__printf(&r->canonical_request, "\n%s\n%s\n%s", ice_buf__cstr(&block), ice_buf__cstr(&signed_list),
	                payload);
	if ((rc = r->canonical_request.error) != 0)
		goto done;
	if ((rc = finish_signature(r, creds, p, amz_date, scope)) != 0)
		goto done;
	/* The query to send: the canonical one, the signature last, and a
	 * token left out of the signature added after it. */
	if ((rc = canonical_query(&r->query, req, extra, nextra)) != 0)
		goto done;
	ice_buf__printf(&r->query, "&X-Amz-Signature=%s", r->signature);
	if (token && p->omit_session_token) {
		ice_buf__puts(&r->query, "&X-Amz-Security-Token=");
		ice_http__url_encode(&r->query, creds->session_token, strlen(creds->session_token), false);
	}
	rc = r->query.error;
done:
	ice_buf__free(&block);
	ice_buf__free(&signed_list);
	ice_buf__free(&credential);
	ice__free(all);
	return rc;
}
