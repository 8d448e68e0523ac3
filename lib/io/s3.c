/*
 * io/s3.c - the S3 REST API over the HTTP client (io/http.h), signed with
 * SigV4 (io/sigv4.h): HEAD, ranged and whole GETs, PUT (conditional with
 * If-None-Match: * for publishing), multipart uploads, DELETE,
 * DeleteObjects and ListObjectsV2, path-style or virtual-hosted against
 * AWS or any S3-compatible endpoint.
 *
 * Every request is signed anew on each attempt (the prepare hook), so a
 * retry after a long backoff carries a fresh date. Bodies held in memory
 * are signed with their SHA-256; streamed bodies too over plain HTTP, and
 * as UNSIGNED-PAYLOAD over HTTPS (TLS protects them; hashing a 32 MiB part
 * would cost a second pass over it). What may be retried: every read, a
 * PUT or part (the same bytes again), a DELETE, DeleteObjects, a multipart
 * completion (a retry that finds the upload gone looks at the object), and
 * a conditional PUT, because a 412 after an attempt that may have landed
 * is resolved by reading the object back: our bytes there mean our write
 * won (so every 412 is checked that way). Retried statuses: 408, 429, 5xx, and S3's RequestTimeout,
 * ConditionalRequestConflict, SlowDown and InternalError codes however
 * they arrive (CompleteMultipartUpload may fail inside a 200).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_call.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

#define MAX_WHOLE_DEFAULT ((size_t)1 << 30)
#define CONTROL_BODY_MAX ((size_t)16 << 20)

/* ---- locations ------------------------------------------------------------------ */

size_t ice_s3__scheme_len(const char *location)
{
	if (strncmp(location, "s3://", 5) == 0)
		return 5;
	if (strncmp(location, "s3a://", 6) == 0 || strncmp(location, "s3n://", 6) == 0)
		return 6;
	return 0;
}

bool ice_s3__is_location(const char *location)
{
	return location && ice_s3__scheme_len(location) > 0;
}

int ice_s3__parse(ice_s3_path *out, const char *location)
{
	size_t skip = ice_s3__scheme_len(location);
	const char *b, *slash;
	memset(out, 0, sizeof(*out));
	if (!skip)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: not an s3:// location", location);
	b = location + skip;
	slash = strchr(b, '/');
	size_t bn = slash ? (size_t)(slash - b) : strlen(b);
	if (bn == 0 || bn > 255)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no bucket in the location", location);
	for (size_t i = 0; i < bn; i++)
		if (b[i] == '?' || b[i] == '#' || b[i] == '@' || b[i] == ':' || (unsigned char)b[i] <= ' ')
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: invalid bucket name", location);
	if (!(out->bucket = ice__strndup(b, bn)) || !(out->key = ice__strdup(slash ? slash + 1 : ""))) {
		ice_s3_path__free(out);
		return ICE_ERROR;
	}
	return 0;
}

void ice_s3_path__free(ice_s3_path *p)
{
	if (!p)
		return;
	ice__free(p->bucket);
	ice__free(p->key);
	p->bucket = p->key = NULL;
}

/* ---- the client ------------------------------------------------------------------- */

void ice_s3__free(ice_s3 *s3)
{
	if (!s3)
		return;
	ice_http_client__free(s3->http);
	ice_s3_config__free(&s3->cfg);
	ice__free(s3->host);
	ice__free(s3->base_path);
	for (bucket_state *b = s3->buckets, *next; b; b = next) {
		next = b->next;
		ice__free(b->bucket);
		ice__free(b);
	}
	pthread_mutex_destroy(&s3->mu);
	ice__free(s3);
}

int ice_s3__new(ice_s3 **out, ice_s3_config *cfg)
{
	ice_s3 *s3;
	int rc;
	*out = NULL;
	if (!(s3 = ice__calloc(1, sizeof(*s3)))) {
		ice_s3_config__free(cfg);
		return ICE_ERROR;
	}
	s3->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	pthread_mutex_init(&s3->mu, NULL);
	if (s3->cfg.endpoint) {
		const char *e = s3->cfg.endpoint;
		s3->https = strncmp(e, "https://", 8) == 0;
		const char *auth = e + (s3->https ? 8 : 7);
		const char *slash = strchr(auth, '/');
		size_t an = slash ? (size_t)(slash - auth) : strlen(auth);
		/* Host as curl sends it: no default port. */
		if (an > 3 && !s3->https && !memcmp(auth + an - 3, ":80", 3))
			an -= 3;
		else if (an > 4 && s3->https && !memcmp(auth + an - 4, ":443", 4))
			an -= 4;
		s3->host = ice__strndup(auth, an);
		s3->base_path = ice__strdup(slash ? slash : "");
	} else {
		char host[128];
		snprintf(host, sizeof(host), "s3.%s.amazonaws.com", s3->cfg.region);
		s3->aws = true;
		s3->https = true;
		s3->host = ice__strdup(host);
		s3->base_path = ice__strdup("");
	}
	if (!s3->host || !s3->base_path) {
		ice_s3__free(s3);
		return ICE_ERROR;
	}
	s3->cfg.http.ca_file = s3->cfg.ca_bundle;
	if ((rc = ice_http_client__new(&s3->http, &s3->cfg.http)) != 0) {
		ice_s3__free(s3);
		return rc;
	}
	*out = s3;
	return 0;
}

const ice_s3_config *ice_s3__config(const ice_s3 *s3)
{
	return &s3->cfg;
}

ice_http_client *ice_s3__http(ice_s3 *s3)
{
	return s3->http;
}

/* Whether the endpoint's host is an IP literal or localhost (no
 * virtual-hosted buckets there). */
static bool host_is_literal(const char *host)
{
	if (host[0] == '[' || !strncmp(host, "localhost", 9))
		return true;
	for (const char *p = host; *p && *p != ':'; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return false;
	return true;
}

static bool use_path_style(const ice_s3 *s3, const char *bucket)
{
	if (s3->cfg.path_style >= 0)
		return s3->cfg.path_style == 1;
	if (host_is_literal(s3->host))
		return true;
	/* A bucket that is not a DNS label (or has dots, which break TLS
	 * names) can only be addressed by path. */
	for (const char *p = bucket; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') || (*p == '.' && s3->https))
			return true;
	return false;
}

/* ---- one call -------------------------------------------------------------------- */

void ice_s3__call_free(s3_call *c)
{
	ice_s3_path__free(&c->path);
	ice__free(c->url);
	ice__free(c->host);
	ice__free(c->canonical_path);
}

static int sign_attempt(ice_http_headers *extra, const ice_http_request *req, void *payload)
{
	s3_call *c = payload;
	ice_sigv4_result r;
	(void)req;
	if (c->s3->cfg.anonymous)
		return 0;
	ice_sigv4_params p = {c->s3->cfg.region, "s3", (int64_t)time(NULL), false, false, true, false, 0};
	ice_sigv4_request sr = {c->method, c->host, c->canonical_path, c->query, c->nquery,
	                        c->headers, c->nheaders, c->unsigned_payload ? "UNSIGNED-PAYLOAD" : c->payload_hash};
	int rc = ice_sigv4__sign_headers(&r, &c->s3->cfg.creds, &p, &sr);
	if (rc == ICE_EAUTH)
		rc = ice_error__set(ICE_EAUTH, ICE_ERRCLASS_IO,
		                    "%s: no AWS credentials (set s3.access-key-id and s3.secret-access-key, "
		                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile; or s3.anonymous=true)",
		                    c->what);
	for (size_t i = 0; !rc && i < r.headers.n; i++)
		rc = ice_http_headers__add(extra, r.headers.items[i].name, r.headers.items[i].value);
	ice_sigv4_result__free(&r);
	return rc;
}

static int s3_should_retry(const ice_http_response *resp, void *payload);

/*
 * Prepares a call on `location` (or its bucket when bucket_only): URL,
 * Host, canonical path, `what` for messages. Query and headers are added
 * by the caller before ice_s3__call_build().
 */
int ice_s3__call_init(s3_call *c, ice_s3 *s3, const char *method, const char *location, const char *op)
{
	char red[400];
	int rc;
	memset(c, 0, sizeof(*c));
	c->s3 = s3;
	c->method = method;
	if ((rc = ice_s3__parse(&c->path, location)) != 0)
		return rc;
	snprintf(c->what, sizeof(c->what), "%s: %s", ice_uri__redact(red, sizeof(red), location), op);
	return 0;
}

void ice_s3__call_query(s3_call *c, const char *name, const char *value)
{
	c->query[c->nquery].name = name;
	c->query[c->nquery].value = value;
	c->nquery++;
}

void ice_s3__call_header(s3_call *c, const char *name, const char *value)
{
	c->headers[c->nheaders].name = name;
	c->headers[c->nheaders].value = value;
	c->nheaders++;
}

/* URL, Host and canonical path; the request filled for the HTTP client. */
int ice_s3__call_build(s3_call *c, const char *key)
{
	ice_s3 *s3 = c->s3;
	ice_buf url = ICE_BUF_INIT, path = ICE_BUF_INIT, host = ICE_BUF_INIT;
	bool path_style = use_path_style(s3, c->path.bucket);
	if (!key)
		key = c->path.key;
	if (path_style) {
		ice_buf__puts(&host, s3->host);
		ice_buf__printf(&path, "%s/%s", s3->base_path, c->path.bucket);
		if (*key)
			ice_buf__printf(&path, "/%s", key);
	} else {
		ice_buf__printf(&host, "%s.%s", c->path.bucket, s3->host);
		ice_buf__printf(&path, "%s/%s", s3->base_path, key);
	}
	ice_buf__printf(&url, "%s://%s", s3->https ? "https" : "http", ice_buf__cstr(&host));
	ice_http__url_encode(&url, path.ptr, path.len, true);
	for (size_t i = 0; i < c->nquery; i++) {
		ice_buf__putc(&url, i ? '&' : '?');
		ice_http__url_encode(&url, c->query[i].name, strlen(c->query[i].name), false);
		ice_buf__putc(&url, '=');
		ice_http__url_encode(&url, c->query[i].value, strlen(c->query[i].value), false);
	}
	if (url.error || path.error || host.error) {
		ice_buf__free(&url);
		ice_buf__free(&path);
		ice_buf__free(&host);
		return ICE_ERROR;
	}
	c->url = ice_buf__detach(&url, NULL);
	c->canonical_path = ice_buf__detach(&path, NULL);
	c->host = ice_buf__detach(&host, NULL);
	if (!c->payload_hash[0] && !c->unsigned_payload)
		ice_sigv4__sha256_hex(NULL, 0, c->payload_hash);
	memset(&c->req, 0, sizeof(c->req));
	c->req.method = c->method;
	c->req.url = c->url;
	c->req.what = c->what;
	c->req.headers = c->headers;
	c->req.nheaders = c->nheaders;
	c->req.idempotent = true;
	c->req.should_retry = s3_should_retry;
	c->req.retry_payload = c;
	c->req.prepare = sign_attempt;
	c->req.prepare_payload = c;
	c->req.max_body = CONTROL_BODY_MAX;
	return 0;
}

int ice_s3__presign_get(ice_s3 *s3, const char *location, int64_t expires, int64_t now, char **url_out)
{
	s3_call c;
	ice_sigv4_result r;
	int rc;
	*url_out = NULL;
	if ((rc = ice_s3__call_init(&c, s3, "GET", location, "presign")) != 0)
		return rc;
	if (!*c.path.key) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: an object's key is needed, not a bucket", c.what);
		ice_s3__call_free(&c);
		return rc;
	}
	if ((rc = ice_s3__call_build(&c, NULL)) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	if (s3->cfg.anonymous || !ice_aws_credentials__present(&s3->cfg.creds)) {
		rc = ice_error__set(ICE_EAUTH, ICE_ERRCLASS_IO,
		                    "%s: no AWS credentials to sign with (set s3.access-key-id and s3.secret-access-key, "
		                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)%s",
		                    c.what, s3->cfg.anonymous ? "; s3.anonymous=true sends requests unsigned" : "");
		ice_s3__call_free(&c);
		return rc;
	}
	/* Only Host is signed, the payload as S3 URLs are: UNSIGNED-PAYLOAD. */
	ice_sigv4_params p = {s3->cfg.region, "s3", now, false, false, false, false, expires};
	ice_sigv4_request sr = {"GET", c.host, c.canonical_path, NULL, 0, NULL, 0, "UNSIGNED-PAYLOAD"};
	if (expires < 1 || expires > 604800) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: the expiry must be 1 s to 7 days (604800 s), not %lld",
		                    c.what, (long long)expires);
		ice_s3__call_free(&c);
		return rc;
	}
	if ((rc = ice_sigv4__presign(&r, &s3->cfg.creds, &p, &sr)) == 0) {
		ice_buf url = ICE_BUF_INIT;
		ice_buf__printf(&url, "%s?%s", c.url, ice_buf__cstr(&r.query));
		if (url.error) {
			ice_buf__free(&url);
			rc = ICE_ERROR;
		} else {
			*url_out = ice_buf__detach(&url, NULL);
		}
	}
	ice_sigv4_result__free(&r);
	ice_s3__call_free(&c);
	return rc;
}

/* S3's <Code> of an error document, sanitised (letters and digits only). */
static void error_code(const ice_http_response *r, char *out, size_t size)
{
	const char *body = ice_buf__cstr(&r->body);
	const char *a = strstr(body, "<Code>"), *b;
	size_t n = 0;
	out[0] = '\0';
	if (!a)
		return;
	a += 6;
	b = strstr(a, "</Code>");
	if (!b)
		return;
	for (const char *p = a; p < b && n + 1 < size && n < 64; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.')
			out[n++] = *p;
	out[n] = '\0';
}

static int s3_should_retry(const ice_http_response *resp, void *payload)
{
	char code[80];
	(void)payload;
	if (resp->status == 408 || resp->status == 429 || resp->status >= 500)
		return ICE_HTTP_RETRY;
	error_code(resp, code, sizeof(code));
	if (!strcmp(code, "RequestTimeout") || !strcmp(code, "SlowDown") || !strcmp(code, "InternalError") ||
	    !strcmp(code, "ConditionalRequestConflict") || !strcmp(code, "OperationAborted"))
		return ICE_HTTP_RETRY;
	return ICE_HTTP_DONE;
}

/* The error for a response that is not what the operation wanted. */
int ice_s3__call_error(const s3_call *c, const ice_http_response *r)
{
	char code[80];
	int rc = ICE_ERROR;
	error_code(r, code, sizeof(code));
	switch (r->status) {
	case 404:
		rc = ICE_ENOTFOUND;
		break;
	case 401:
	case 403:
		rc = ICE_EAUTH;
		break;
	case 412:
		rc = ICE_EEXISTS;
		break;
	case 416:
		rc = ICE_EINVALID;
		break;
	default:
		break;
	}
	if (r->status == 301 || r->status == 307 || !strcmp(code, "AuthorizationHeaderMalformed")) {
		const char *region = ice_http_headers__get(&r->headers, "x-amz-bucket-region");
		bool plain = true;
		for (const char *p = region; p && *p; p++)
			plain = plain && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
		if (region && plain && strlen(region) < 40)
			return ice_error__set(rc, ICE_ERRCLASS_IO, "%s: %ld %s (the bucket is in %s: set s3.region)", c->what,
			                      r->status, code[0] ? code : "redirect", region);
	}
	if (code[0])
		return ice_error__set(rc, ICE_ERRCLASS_IO, "%s: %ld %s", c->what, r->status, code);
	return ice_error__set(rc, ICE_ERRCLASS_IO, "%s: %ld", c->what, r->status);
}

/* Runs a prepared call and checks for a 2xx; the response is the caller's. */
int ice_s3__call_run(s3_call *c, ice_http_response *resp)
{
	int rc = ice_http__perform(c->s3->http, &c->req, resp);
	if (rc)
		return rc;
	if (!ice_s3__ok_status(resp->status))
		return ice_s3__call_error(c, resp);
	return 0;
}

/* Parses an XML body; a 200 that holds <Error> is that error. */
int ice_s3__call_xml(const s3_call *c, const ice_http_response *r, ice_arena *arena, ice_s3_xml **out)
{
	int rc = ice_s3_xml__parse(out, arena, ice_buf__cstr(&r->body), r->body.len, c->what);
	if (!rc && strcmp((*out)->name, "Error") == 0) {
		char code[80];
		error_code(r, code, sizeof(code));
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: %ld %s", c->what, r->status,
		                      code[0] ? code : "Error");
	}
	return rc;
}

/* ---- HEAD ------------------------------------------------------------------------ */

static void copy_etag(char *dst, size_t size, const char *etag)
{
	size_t n = 0;
	for (const char *p = etag; p && *p && n + 1 < size; p++)
		if (*p != '"')
			dst[n++] = *p;
	dst[n] = '\0';
}

int ice_s3__head(ice_s3 *s3, const char *location, ice_s3_object *out)
{
	s3_call c;
	ice_http_response r;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = ice_s3__call_init(&c, s3, "HEAD", location, "HEAD")) != 0 || (rc = ice_s3__call_build(&c, NULL)) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	if ((rc = ice_s3__call_run(&c, &r)) == 0) {
		const char *len = ice_http_headers__get(&r.headers, "Content-Length");
		int64_t n;
		if (!len || !ice_str__to_int64(len, strlen(len), &n) || n < 0)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no object size in the answer", c.what);
		else
			out->size = (uint64_t)n;
		out->mtime_ms = ice_http__parse_date(ice_http_headers__get(&r.headers, "Last-Modified"));
		copy_etag(out->etag, sizeof(out->etag), ice_http_headers__get(&r.headers, "ETag"));
	}
	ice_http_response__free(&r);
	ice_s3__call_free(&c);
	return rc;
}

/* ---- GET -------------------------------------------------------------------------- */

typedef struct get_state {
	s3_call call;
	char range[64];
	ice_s3_get *g;
} get_state;

static int get_sink(void *payload, uint64_t offset, const void *data, size_t len)
{
	get_state *st = payload;
	ice_s3_get *g = st->g;
	/* A retried attempt starts again at 0. A server that ignores Range
	 * (a 200 with the whole object) sends more than asked: an error. */
	if (offset == 0)
		g->got = 0;
	if (g->got + len > g->len)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: more bytes than the range asked for (does the "
		                      "server honour Range?)", st->call.what);
	memcpy((uint8_t *)g->dst + g->got, data, len);
	g->got += len;
	return 0;
}

int ice_s3__get_start(ice_s3 *s3, ice_s3_get *g)
{
	get_state *st;
	int rc;
	g->pending = NULL;
	g->state = NULL;
	g->got = 0;
	g->size = UINT64_MAX;
	if (!(st = ice__calloc(1, sizeof(*st))))
		return ICE_ERROR;
	st->g = g;
	if ((rc = ice_s3__call_init(&st->call, s3, "GET", g->location, "GET")) != 0)
		goto fail;
	if (g->suffix)
		snprintf(st->range, sizeof(st->range), "bytes=-%llu", (unsigned long long)g->len);
	else
		snprintf(st->range, sizeof(st->range), "bytes=%llu-%llu", (unsigned long long)g->offset,
		         (unsigned long long)(g->offset + g->len - 1));
	ice_s3__call_header(&st->call, "Range", st->range);
	if ((rc = ice_s3__call_build(&st->call, NULL)) != 0)
		goto fail;
	st->call.req.sink = get_sink;
	st->call.req.sink_payload = st;
	g->state = st;
	if ((rc = ice_http__start(s3->http, &st->call.req, &g->pending)) != 0) {
		g->state = NULL;
		goto fail;
	}
	return 0;
fail:
	ice_s3__call_free(&st->call);
	ice__free(st);
	return rc;
}

int ice_s3__get_finish(ice_s3 *s3, ice_s3_get *g)
{
	get_state *st = g->state;
	ice_http_response r;
	int rc;
	(void)s3;
	if (!st)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "S3 GET finished twice");
	rc = ice_http__wait(g->pending, &r);
	g->pending = NULL;
	if (!rc && !ice_s3__ok_status(r.status))
		rc = ice_s3__call_error(&st->call, &r);
	if (!rc) {
		uint64_t first, last, total;
		const char *cr = ice_http_headers__get(&r.headers, "Content-Range");
		const char *cl = ice_http_headers__get(&r.headers, "Content-Length");
		int64_t n;
		if (r.status == 206 && cr && ice_http__parse_content_range(cr, &first, &last, &total) == 0) {
			g->size = total;
			if (!g->suffix && first != g->offset)
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: the answer starts at %llu, not %llu",
				                    st->call.what, (unsigned long long)first, (unsigned long long)g->offset);
		} else if (r.status == 200 && cl && ice_str__to_int64(cl, strlen(cl), &n) && n >= 0) {
			g->size = (uint64_t)n;
			if (!g->suffix && g->offset > 0)
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: the server ignored the range",
				                    st->call.what);
		}
		uint64_t want = g->len;
		if (g->suffix && g->size != UINT64_MAX && g->size < want)
			want = g->size;
		if (!rc && g->got != want)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: %llu bytes arrived, %llu were asked for",
			                    st->call.what, (unsigned long long)g->got, (unsigned long long)want);
	}
	ice_http_response__free(&r);
	ice_s3__call_free(&st->call);
	ice__free(st);
	g->state = NULL;
	return rc;
}

int ice_s3__get(ice_s3 *s3, ice_s3_get *g)
{
	int rc = ice_s3__get_start(s3, g);
	return rc ? rc : ice_s3__get_finish(s3, g);
}

int ice_s3__get_all(ice_s3 *s3, const char *location, size_t max_len, uint8_t **data_out, size_t *len_out)
{
	s3_call c;
	ice_http_response r;
	int rc;
	*data_out = NULL;
	*len_out = 0;
	if ((rc = ice_s3__call_init(&c, s3, "GET", location, "GET")) != 0 || (rc = ice_s3__call_build(&c, NULL)) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	c.req.max_body = max_len ? max_len : MAX_WHOLE_DEFAULT;
	if ((rc = ice_s3__call_run(&c, &r)) == 0) {
		size_t n = r.body.len;
		if (!r.body.ptr && !(r.body.ptr = ice__calloc(1, 1)))
			rc = ICE_ERROR;
		if (!rc) {
			*data_out = (uint8_t *)ice_buf__detach(&r.body, NULL);
			*len_out = n;
			if (!*data_out)
				rc = ICE_ERROR;
		}
	}
	ice_http_response__free(&r);
	ice_s3__call_free(&c);
	return rc;
}

