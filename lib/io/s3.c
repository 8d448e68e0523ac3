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
 * won. Retried statuses: 408, 429, 5xx, and S3's RequestTimeout,
 * ConditionalRequestConflict, SlowDown and InternalError codes however
 * they arrive (CompleteMultipartUpload may fail inside a 200).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

#define MAX_QUERY 6
#define MAX_HEADERS 6
#define MAX_WHOLE_DEFAULT ((size_t)1 << 30)
#define CONTROL_BODY_MAX ((size_t)16 << 20)

typedef struct bucket_state {
	char *bucket;
	int conditional; /* 1 supported, 0 not, -1 unknown */
	struct bucket_state *next;
} bucket_state;

struct ice_s3 {
	ice_s3_config cfg;
	ice_http_client *http;
	bool https;
	char *host;      /* the endpoint's host[:port] as sent in Host */
	char *base_path; /* a path the endpoint URL carries, "" usually */
	bool aws;        /* no endpoint configured: AWS itself */
	pthread_mutex_t mu;
	bucket_state *buckets;
};

/* ---- locations ------------------------------------------------------------------ */

static size_t scheme_prefix(const char *location)
{
	if (strncmp(location, "s3://", 5) == 0)
		return 5;
	if (strncmp(location, "s3a://", 6) == 0 || strncmp(location, "s3n://", 6) == 0)
		return 6;
	return 0;
}

bool ice_s3__is_location(const char *location)
{
	return location && scheme_prefix(location) > 0;
}

int ice_s3__parse(ice_s3_path *out, const char *location)
{
	size_t skip = scheme_prefix(location);
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

typedef struct s3_call {
	ice_s3 *s3;
	const char *method;
	ice_s3_path path;
	char what[512];
	ice_http_header query[MAX_QUERY];
	size_t nquery;
	ice_http_header headers[MAX_HEADERS]; /* sent and signed */
	size_t nheaders;
	char payload_hash[65];
	bool unsigned_payload;
	char *url;
	char *host;
	char *canonical_path; /* decoded */
	ice_http_request req;
	bool control; /* a response the caller parses: XML into memory */
} s3_call;

static void call_free(s3_call *c)
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
 * by the caller before call_build().
 */
static int call_init(s3_call *c, ice_s3 *s3, const char *method, const char *location, const char *op)
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

static void add_query(s3_call *c, const char *name, const char *value)
{
	c->query[c->nquery].name = name;
	c->query[c->nquery].value = value;
	c->nquery++;
}

static void add_header(s3_call *c, const char *name, const char *value)
{
	c->headers[c->nheaders].name = name;
	c->headers[c->nheaders].value = value;
	c->nheaders++;
}

/* URL, Host and canonical path; the request filled for the HTTP client. */
static int call_build(s3_call *c, const char *key)
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
static int s3_error(const s3_call *c, const ice_http_response *r)
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

static bool ok_status(long s)
{
	return s >= 200 && s < 300;
}

/* Runs a prepared call and checks for a 2xx; the response is the caller's. */
static int run(s3_call *c, ice_http_response *resp)
{
	int rc = ice_http__perform(c->s3->http, &c->req, resp);
	if (rc)
		return rc;
	if (!ok_status(resp->status))
		return s3_error(c, resp);
	return 0;
}

/* Parses an XML body; a 200 that holds <Error> is that error. */
static int parse_xml(const s3_call *c, const ice_http_response *r, ice_arena *arena, ice_s3_xml **out)
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

static int64_t parse_mtime(const char *s)
{
	int64_t us;
	bool zone;
	if (s && ice_dt__parse_timestamp(s, strlen(s), false, &us, &zone))
		return us / 1000;
	return 0;
}

/* ---- HEAD ------------------------------------------------------------------------ */

/* Last-Modified: "Wed, 21 Oct 2015 07:28:00 GMT" to milliseconds. */
static int64_t http_date_ms(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int d, y, hh, mm, ss;
	char mon[4];
	if (!s || sscanf(s, "%*3s, %d %3s %d %d:%d:%d", &d, mon, &y, &hh, &mm, &ss) != 6)
		return 0;
	const char *m = strstr(months, mon);
	if (!m || (m - months) % 3)
		return 0;
	int64_t days = ice_dt__days_from_civil(y, (int)((m - months) / 3) + 1, d);
	return ((days * 24 + hh) * 60 + mm) * 60000LL + ss * 1000LL;
}

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
	if ((rc = call_init(&c, s3, "HEAD", location, "HEAD")) != 0 || (rc = call_build(&c, NULL)) != 0) {
		call_free(&c);
		return rc;
	}
	if ((rc = run(&c, &r)) == 0) {
		const char *len = ice_http_headers__get(&r.headers, "Content-Length");
		int64_t n;
		if (!len || !ice_str__to_int64(len, strlen(len), &n) || n < 0)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no object size in the answer", c.what);
		else
			out->size = (uint64_t)n;
		out->mtime_ms = http_date_ms(ice_http_headers__get(&r.headers, "Last-Modified"));
		copy_etag(out->etag, sizeof(out->etag), ice_http_headers__get(&r.headers, "ETag"));
	}
	ice_http_response__free(&r);
	call_free(&c);
	return rc;
}

/* ---- GET -------------------------------------------------------------------------- */

typedef struct get_state {
	s3_call call;
	char range[64];
	ice_s3_get *g;
	uint64_t skip; /* a server that ignored Range: bytes before ours */
	bool ranged;
} get_state;

static int get_sink(void *payload, uint64_t offset, const void *data, size_t len)
{
	get_state *st = payload;
	ice_s3_get *g = st->g;
	const uint8_t *p = data;
	(void)offset;
	if (offset == 0)
		g->got = 0;
	/* Bytes before the range (a 200 where 206 was asked for) are dropped. */
	uint64_t pos = offset;
	if (pos < st->skip) {
		uint64_t drop = st->skip - pos < len ? st->skip - pos : len;
		p += drop;
		len -= (size_t)drop;
		pos += drop;
	}
	if (!len)
		return 0;
	if (g->got + len > g->len)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: more bytes than the range asked for",
		                      st->call.what);
	memcpy((uint8_t *)g->dst + g->got, p, len);
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
	if ((rc = call_init(&st->call, s3, "GET", g->location, "GET")) != 0)
		goto fail;
	if (g->suffix)
		snprintf(st->range, sizeof(st->range), "bytes=-%llu", (unsigned long long)g->len);
	else
		snprintf(st->range, sizeof(st->range), "bytes=%llu-%llu", (unsigned long long)g->offset,
		         (unsigned long long)(g->offset + g->len - 1));
	add_header(&st->call, "Range", st->range);
	if ((rc = call_build(&st->call, NULL)) != 0)
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
	call_free(&st->call);
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
	if (!rc && !ok_status(r.status))
		rc = s3_error(&st->call, &r);
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
			if (st->skip == 0 && !g->suffix && g->offset > 0)
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
	call_free(&st->call);
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
	if ((rc = call_init(&c, s3, "GET", location, "GET")) != 0 || (rc = call_build(&c, NULL)) != 0) {
		call_free(&c);
		return rc;
	}
	c.req.max_body = max_len ? max_len : MAX_WHOLE_DEFAULT;
	if ((rc = run(&c, &r)) == 0) {
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
	call_free(&c);
	return rc;
}

/* ---- PUT --------------------------------------------------------------------------- */

/* The payload hash of a body: from memory, or read through when it is
 * streamed over plain HTTP; over HTTPS a streamed body goes unsigned. */
static int body_hash(s3_call *c, const ice_s3_body *b)
{
	if (b->sha256) {
		snprintf(c->payload_hash, sizeof(c->payload_hash), "%s", b->sha256);
		return 0;
	}
	if (b->data || !b->read)
		return ice_sigv4__sha256_hex(b->data, (size_t)b->len, c->payload_hash);
	if (c->s3->https) {
		c->unsigned_payload = true;
		return 0;
	}
	/* Read through in pieces. */
	uint8_t *buf = ice__malloc((size_t)1 << 20);
	int rc;
	if (!buf)
		return ICE_ERROR;
	rc = ice_sigv4__sha256_stream(b->read, b->payload, b->len, buf, (size_t)1 << 20, c->payload_hash);
	ice__free(buf);
	return rc;
}

static void set_body(s3_call *c, const ice_s3_body *b)
{
	if (b->data || !b->read) {
		c->req.body = b->data ? b->data : "";
		c->req.body_len = (size_t)b->len;
	} else {
		c->req.body_read = b->read;
		c->req.body_payload = b->payload;
		c->req.body_len = (size_t)b->len;
	}
}

/* Reads the object back and compares it with `b`: true when equal. */
static int same_as_body(ice_s3 *s3, const char *location, const ice_s3_body *b, bool *same_out)
{
	uint8_t *data = NULL, *mine = NULL;
	size_t len = 0;
	int rc;
	*same_out = false;
	if ((rc = ice_s3__get_all(s3, location, (size_t)b->len + 1, &data, &len)) != 0)
		return rc;
	if (len == b->len) {
		if (b->data) {
			*same_out = memcmp(data, b->data, len) == 0;
		} else if ((mine = ice__malloc(len ? len : 1)) != NULL) {
			uint64_t off = 0;
			while (off < len) {
				int64_t got = b->read(b->payload, off, mine + off, len - off);
				if (got <= 0)
					break;
				off += (uint64_t)got;
			}
			*same_out = off == len && memcmp(data, mine, len) == 0;
			ice__free(mine);
		} else {
			rc = ICE_ERROR;
		}
	}
	ice__free(data);
	return rc;
}

int ice_s3__put(ice_s3 *s3, const char *location, const ice_s3_body *body, bool if_none_match)
{
	s3_call c;
	ice_http_response r;
	int rc;
	if ((rc = call_init(&c, s3, "PUT", location, "PUT")) != 0) {
		call_free(&c);
		return rc;
	}
	add_header(&c, "Content-Type", "application/octet-stream");
	if (if_none_match)
		add_header(&c, "If-None-Match", "*");
	if ((rc = body_hash(&c, body)) != 0 || (rc = call_build(&c, NULL)) != 0) {
		call_free(&c);
		return rc;
	}
	set_body(&c, body);
	rc = ice_http__perform(s3->http, &c.req, &r);
	if (!rc && !ok_status(r.status)) {
		if (r.status == 412 && if_none_match && r.attempts > 1) {
			/* An earlier attempt may have written it: ours, or someone else's? */
			bool same = false;
			ice_http_response__free(&r);
			if ((rc = same_as_body(s3, location, body, &same)) == 0 && !same)
				rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", c.what);
			else if (rc)
				rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_IO,
				                    "%s: an attempt may have landed and reading it back failed", c.what);
			call_free(&c);
			return rc;
		}
		rc = s3_error(&c, &r);
		if (rc == ICE_EEXISTS)
			rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", c.what);
	}
	ice_http_response__free(&r);
	call_free(&c);
	return rc;
}

/* ---- multipart --------------------------------------------------------------------- */

int ice_s3__multipart_create(ice_s3 *s3, const char *location, char **upload_id_out)
{
	s3_call c;
	ice_http_response r;
	ice_arena arena;
	ice_s3_xml *doc;
	int rc;
	*upload_id_out = NULL;
	ice_arena__init(&arena, 1024);
	if ((rc = call_init(&c, s3, "POST", location, "CreateMultipartUpload")) != 0) {
		call_free(&c);
		return rc;
	}
	add_query(&c, "uploads", "");
	add_header(&c, "Content-Type", "application/octet-stream");
	if ((rc = call_build(&c, NULL)) != 0) {
		call_free(&c);
		return rc;
	}
	if ((rc = run(&c, &r)) == 0 && (rc = parse_xml(&c, &r, &arena, &doc)) == 0) {
		const char *id = ice_s3_xml__text(doc, "UploadId");
		if (!id || !*id)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no UploadId in the answer", c.what);
		else if (!(*upload_id_out = ice__strdup(id)))
			rc = ICE_ERROR;
	}
	ice_http_response__free(&r);
	ice_arena__free(&arena);
	call_free(&c);
	return rc;
}

typedef struct part_state {
	s3_call call;
	char number[16];
	char *upload_id;
} part_state;

int ice_s3__part_start(ice_s3 *s3, const char *location, const char *upload_id, ice_s3_part *part)
{
	part_state *st;
	int rc;
	part->pending = NULL;
	part->state = NULL;
	part->etag[0] = '\0';
	if (!(st = ice__calloc(1, sizeof(*st))))
		return ICE_ERROR;
	snprintf(st->number, sizeof(st->number), "%d", part->number);
	char op[64];
	snprintf(op, sizeof(op), "UploadPart %d", part->number);
	if ((rc = call_init(&st->call, s3, "PUT", location, op)) != 0 || !(st->upload_id = ice__strdup(upload_id))) {
		rc = rc ? rc : ICE_ERROR;
		goto fail;
	}
	add_query(&st->call, "partNumber", st->number);
	add_query(&st->call, "uploadId", st->upload_id);
	if ((rc = body_hash(&st->call, &part->body)) != 0 || (rc = call_build(&st->call, NULL)) != 0)
		goto fail;
	set_body(&st->call, &part->body);
	part->state = st;
	if ((rc = ice_http__start(s3->http, &st->call.req, &part->pending)) != 0) {
		part->state = NULL;
		goto fail;
	}
	return 0;
fail:
	call_free(&st->call);
	ice__free(st->upload_id);
	ice__free(st);
	return rc;
}

int ice_s3__part_finish(ice_s3 *s3, ice_s3_part *part)
{
	part_state *st = part->state;
	ice_http_response r;
	int rc;
	(void)s3;
	if (!st)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "S3 part finished twice");
	rc = ice_http__wait(part->pending, &r);
	part->pending = NULL;
	if (!rc && !ok_status(r.status))
		rc = s3_error(&st->call, &r);
	if (!rc) {
		const char *etag = ice_http_headers__get(&r.headers, "ETag");
		if (!etag || !*etag)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no ETag in the answer", st->call.what);
		else
			snprintf(part->etag, sizeof(part->etag), "%s", etag);
	}
	ice_http_response__free(&r);
	call_free(&st->call);
	ice__free(st->upload_id);
	ice__free(st);
	part->state = NULL;
	return rc;
}

/* Escapes text for an XML element. */
static void xml_escape(ice_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': ice_buf__puts(b, "&amp;"); break;
		case '<': ice_buf__puts(b, "&lt;"); break;
		case '>': ice_buf__puts(b, "&gt;"); break;
		case '"': ice_buf__puts(b, "&quot;"); break;
		case '\'': ice_buf__puts(b, "&apos;"); break;
		default: ice_buf__putc(b, *s);
		}
	}
}

int ice_s3__multipart_complete(ice_s3 *s3, const char *location, const char *upload_id, const ice_s3_part *parts,
                               size_t n)
{
	s3_call c;
	ice_http_response r;
	ice_buf body = ICE_BUF_INIT;
	ice_arena arena;
	ice_s3_xml *doc;
	int rc;
	ice_arena__init(&arena, 1024);
	if ((rc = call_init(&c, s3, "POST", location, "CompleteMultipartUpload")) != 0) {
		call_free(&c);
		return rc;
	}
	ice_buf__puts(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (size_t i = 0; i < n; i++) {
		ice_buf__printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", parts[i].number);
		xml_escape(&body, parts[i].etag);
		ice_buf__puts(&body, "</ETag></Part>");
	}
	ice_buf__puts(&body, "</CompleteMultipartUpload>");
	add_query(&c, "uploadId", upload_id);
	add_header(&c, "Content-Type", "application/xml");
	if (body.error || (rc = ice_sigv4__sha256_hex(body.ptr, body.len, c.payload_hash)) != 0 ||
	    (rc = call_build(&c, NULL)) != 0) {
		rc = rc ? rc : ICE_ERROR;
		goto done;
	}
	c.req.body = body.ptr;
	c.req.body_len = body.len;
	rc = ice_http__perform(s3->http, &c.req, &r);
	if (!rc && r.status == 404 && r.attempts > 1) {
		/* The upload is gone: an earlier attempt completed it. */
		ice_s3_object o;
		ice_http_response__free(&r);
		if ((rc = ice_s3__head(s3, location, &o)) == 0 && !strchr(o.etag, '-'))
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: the upload vanished and the object is not it",
			                    c.what);
		goto done;
	}
	if (!rc && !ok_status(r.status))
		rc = s3_error(&c, &r);
	if (!rc)
		rc = parse_xml(&c, &r, &arena, &doc);
	ice_http_response__free(&r);
done:
	ice_buf__free(&body);
	ice_arena__free(&arena);
	call_free(&c);
	return rc;
}

/* Runs `c` without replacing the error being reported. */
static void run_quietly(s3_call *c)
{
	const ice_error *e = ice_error_last();
	int code = e ? e->code : 0, klass = e ? e->klass : 0;
	bool had = e != NULL, oom = e && ice_error__is_oom();
	char msg[1024];
	ice_http_response r;
	snprintf(msg, sizeof(msg), "%s", e ? e->message : "");
	c->req.retry = NULL;
	if (ice_http__perform(c->s3->http, &c->req, &r) == 0)
		ice_http_response__free(&r);
	else
		ice_http_response__free(&r);
	if (oom)
		ice_error__oom();
	else if (had)
		ice_error__set(code, klass, "%s", msg);
	else
		ice_error_clear();
}

void ice_s3__multipart_abort(ice_s3 *s3, const char *location, const char *upload_id)
{
	s3_call c;
	if (call_init(&c, s3, "DELETE", location, "AbortMultipartUpload") == 0) {
		add_query(&c, "uploadId", upload_id);
		if (call_build(&c, NULL) == 0)
			run_quietly(&c);
	}
	call_free(&c);
}

/* ---- DELETE ------------------------------------------------------------------------- */

int ice_s3__delete(ice_s3 *s3, const char *location)
{
	s3_call c;
	ice_http_response r;
	int rc;
	if ((rc = call_init(&c, s3, "DELETE", location, "DELETE")) != 0 || (rc = call_build(&c, NULL)) != 0) {
		call_free(&c);
		return rc;
	}
	rc = run(&c, &r);
	ice_http_response__free(&r);
	call_free(&c);
	return rc;
}

typedef struct delete_batch {
	s3_call call;
	ice_buf body;
	char md5[25];
	const char *const *locations;
	size_t n;
	ice_http_pending *pending;
} delete_batch;

static int batch_start(ice_s3 *s3, delete_batch *b, const char *const *locations, size_t n)
{
	int rc;
	char bucket_loc[300];
	ice_s3_path first;
	b->locations = locations;
	b->n = n;
	ice_buf__init(&b->body, ICE_BUF_DEFAULT_LIMIT);
	if ((rc = ice_s3__parse(&first, locations[0])) != 0)
		return rc;
	snprintf(bucket_loc, sizeof(bucket_loc), "s3://%s", first.bucket);
	ice_buf__puts(&b->body, "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>");
	for (size_t i = 0; i < n && !rc; i++) {
		ice_s3_path p;
		if ((rc = ice_s3__parse(&p, locations[i])) != 0)
			break;
		if (strcmp(p.bucket, first.bucket) != 0)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: not in bucket %s", locations[i], first.bucket);
		ice_buf__puts(&b->body, "<Object><Key>");
		xml_escape(&b->body, p.key);
		ice_buf__puts(&b->body, "</Key></Object>");
		ice_s3_path__free(&p);
	}
	ice_buf__puts(&b->body, "</Delete>");
	ice_s3_path__free(&first);
	if (rc)
		return rc;
	if (b->body.error)
		return ICE_ERROR;
	if ((rc = call_init(&b->call, s3, "POST", bucket_loc, "DeleteObjects")) != 0)
		return rc;
	if ((rc = ice_sigv4__md5_base64(b->body.ptr, b->body.len, b->md5)) != 0 ||
	    (rc = ice_sigv4__sha256_hex(b->body.ptr, b->body.len, b->call.payload_hash)) != 0)
		return rc;
	add_query(&b->call, "delete", "");
	add_header(&b->call, "Content-MD5", b->md5);
	add_header(&b->call, "Content-Type", "application/xml");
	if ((rc = call_build(&b->call, "")) != 0)
		return rc;
	b->call.req.body = b->body.ptr;
	b->call.req.body_len = b->body.len;
	return ice_http__start(s3->http, &b->call.req, &b->pending);
}

static int batch_finish(delete_batch *b, ice_s3_failed_fn failed, void *payload)
{
	ice_http_response r;
	ice_arena arena;
	ice_s3_xml *doc;
	int rc = ice_http__wait(b->pending, &r);
	b->pending = NULL;
	ice_arena__init(&arena, 4096);
	if (!rc && !ok_status(r.status))
		rc = s3_error(&b->call, &r);
	if (!rc && r.body.len)
		rc = parse_xml(&b->call, &r, &arena, &doc);
	else
		doc = NULL;
	for (const ice_s3_xml *e = doc ? doc->children : NULL; !rc && e; e = e->next) {
		if (strcmp(e->name, "Error") != 0)
			continue;
		const char *key = ice_s3_xml__text(e, "Key"), *code = ice_s3_xml__text(e, "Code");
		char safe[80];
		size_t k = 0;
		for (const char *p = code; p && *p && k + 1 < sizeof(safe); p++)
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
				safe[k++] = *p;
		safe[k] = '\0';
		/* Name it by our own location (the key as we sent it). */
		for (size_t i = 0; key && i < b->n; i++) {
			const char *slash = strchr(b->locations[i] + scheme_prefix(b->locations[i]), '/');
			if (slash && strcmp(slash + 1, key) == 0) {
				if (failed)
					rc = failed(b->locations[i], safe, payload);
				break;
			}
		}
	}
	ice_http_response__free(&r);
	ice_arena__free(&arena);
	return rc;
}

static void batch_free(delete_batch *b)
{
	call_free(&b->call);
	ice_buf__free(&b->body);
}

int ice_s3__delete_many(ice_s3 *s3, const char *const *locations, size_t n, ice_s3_failed_fn failed, void *payload)
{
	enum { WINDOW = 4 };
	delete_batch batches[WINDOW];
	size_t per = s3->cfg.delete_batch ? s3->cfg.delete_batch : 1000;
	size_t next = 0, head = 0, tail = 0; /* batches [head, tail) are running */
	int rc = 0;
	memset(batches, 0, sizeof(batches));
	while ((next < n && !rc) || head < tail) {
		if (next < n && !rc && tail - head < WINDOW) {
			delete_batch *b = &batches[tail % WINDOW];
			size_t k = n - next < per ? n - next : per;
			memset(b, 0, sizeof(*b));
			rc = batch_start(s3, b, locations + next, k);
			if (rc) {
				batch_free(b);
			} else {
				tail++;
				next += k;
			}
			continue;
		}
		delete_batch *b = &batches[head % WINDOW];
		int brc = batch_finish(b, failed, payload);
		batch_free(b);
		head++;
		if (!rc)
			rc = brc;
	}
	return rc;
}

/* ---- LIST ---------------------------------------------------------------------------- */

static int list_impl(ice_s3 *s3, const char *location, bool raw_prefix, bool delimited, size_t max_keys, bool one_page,
                     ice_s3_list_fn fn, void *payload)
{
	ice_s3_path where;
	char *prefix = NULL, *token = NULL, max[24];
	int rc;
	if ((rc = ice_s3__parse(&where, location)) != 0)
		return rc;
	size_t kn = strlen(where.key);
	if (!raw_prefix)
		while (kn && where.key[kn - 1] == '/')
			kn--;
	if (!(prefix = ice__malloc(kn + 2))) {
		ice_s3_path__free(&where);
		return ICE_ERROR;
	}
	memcpy(prefix, where.key, kn);
	if (kn && !raw_prefix)
		prefix[kn++] = '/';
	prefix[kn] = '\0';
	/* Names are relative to the directory the prefix is in. */
	size_t strip = kn;
	if (raw_prefix) {
		const char *slash = strrchr(prefix, '/');
		strip = slash ? (size_t)(slash - prefix) + 1 : 0;
	}
	snprintf(max, sizeof(max), "%zu", max_keys && max_keys < 1000 ? max_keys : 1000);
	for (;;) {
		s3_call c;
		ice_http_response r;
		ice_arena arena;
		ice_s3_xml *doc = NULL;
		ice_arena__init(&arena, 16384);
		if ((rc = call_init(&c, s3, "GET", location, "ListObjectsV2")) != 0) {
			call_free(&c);
			ice_arena__free(&arena);
			break;
		}
		add_query(&c, "list-type", "2");
		add_query(&c, "prefix", prefix);
		if (delimited)
			add_query(&c, "delimiter", "/");
		add_query(&c, "max-keys", max);
		add_query(&c, "encoding-type", "url");
		if (token)
			add_query(&c, "continuation-token", token);
		if ((rc = call_build(&c, "")) == 0 && (rc = run(&c, &r)) == 0)
			rc = parse_xml(&c, &r, &arena, &doc);
		ice_http_response__free(&r);
		ice__free(token);
		token = NULL;
		bool truncated = false;
		for (const ice_s3_xml *e = doc ? doc->children : NULL; !rc && e; e = e->next) {
			bool is_prefix = strcmp(e->name, "CommonPrefixes") == 0;
			if (!strcmp(e->name, "IsTruncated")) {
				truncated = !strcmp(e->text, "true");
				continue;
			}
			if (!strcmp(e->name, "NextContinuationToken")) {
				/* The token is opaque; never decoded. */
				if (!(token = ice__strdup(e->text)))
					rc = ICE_ERROR;
				continue;
			}
			if (!is_prefix && strcmp(e->name, "Contents") != 0)
				continue;
			const char *raw = ice_s3_xml__text(e, is_prefix ? "Prefix" : "Key");
			ice_buf key = ICE_BUF_INIT;
			if (!raw || ice_http__url_decode(&key, raw, strlen(raw)) != 0) {
				ice_buf__free(&key);
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: malformed key in a listing", c.what);
				break;
			}
			const char *name = ice_buf__cstr(&key);
			size_t nn = key.len;
			if (nn < kn || memcmp(name, prefix, kn) != 0) {
				ice_buf__free(&key);
				continue; /* not below the prefix (a server bug): ignored */
			}
			name += strip;
			nn -= strip;
			if (is_prefix && nn && name[nn - 1] == '/')
				((char *)name)[--nn] = '\0';
			if (nn) {
				ice_s3_entry ent = {name, is_prefix, 0, 0};
				if (!is_prefix) {
					const char *size = ice_s3_xml__text(e, "Size");
					int64_t sz;
					if (size && ice_str__to_int64(size, strlen(size), &sz) && sz >= 0)
						ent.size = (uint64_t)sz;
					ent.mtime_ms = parse_mtime(ice_s3_xml__text(e, "LastModified"));
				}
				rc = fn(&ent, payload);
			}
			ice_buf__free(&key);
		}
		call_free(&c);
		ice_arena__free(&arena);
		if (rc || !truncated || one_page)
			break;
		if (!token) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
			                    "%s: ListObjectsV2: a truncated page without a continuation token", location);
			break;
		}
	}
	ice__free(token);
	ice__free(prefix);
	ice_s3_path__free(&where);
	return rc;
}

int ice_s3__list(ice_s3 *s3, const char *location, bool delimited, size_t max_keys, ice_s3_list_fn fn,
                 void *payload)
{
	return list_impl(s3, location, false, delimited, max_keys, false, fn, payload);
}

int ice_s3__list_prefix(ice_s3 *s3, const char *location_prefix, size_t max_keys, ice_s3_list_fn fn, void *payload)
{
	return list_impl(s3, location_prefix, true, true, max_keys, true, fn, payload);
}

/* ---- conditional writes --------------------------------------------------------------- */

/* Writes a probe object twice with If-None-Match: * (the second must be
 * refused), beside `location` so permissions that cover the table cover it. */
static int probe_conditional(ice_s3 *s3, const char *location, int *supported_out)
{
	ice_s3_path p;
	char uuid[ICE_UUID_STRLEN + 1];
	uint8_t u[16];
	ice_buf probe = ICE_BUF_INIT;
	ice_s3_body body = {"probe", NULL, NULL, 5, NULL};
	int rc;
	*supported_out = 0;
	if ((rc = ice_s3__parse(&p, location)) != 0)
		return rc;
	ice_uuid__random(u);
	ice_uuid__format(u, uuid);
	const char *slash = strrchr(p.key, '/');
	ice_buf__printf(&probe, "s3://%s/%.*s%s.ice-conditional-write-probe-%s", p.bucket,
	                slash ? (int)(slash - p.key) : 0, p.key, slash ? "/" : "", uuid);
	ice_s3_path__free(&p);
	if (probe.error) {
		ice_buf__free(&probe);
		return ICE_ERROR;
	}
	rc = ice_s3__put(s3, probe.ptr, &body, true);
	if (rc == 0) {
		rc = ice_s3__put(s3, probe.ptr, &body, true);
		if (rc == ICE_EEXISTS || rc == 0) {
			*supported_out = rc == ICE_EEXISTS;
			rc = 0;
			ice_error_clear();
		}
		/* Remove the probe without losing an error from above. */
		s3_call c;
		if (call_init(&c, s3, "DELETE", probe.ptr, "DELETE") == 0 && call_build(&c, NULL) == 0)
			run_quietly(&c);
		call_free(&c);
	}
	if (rc && ice_error_last() && strstr(ice_error_last()->message, ": 501")) {
		/* NotImplemented: the store refuses the header itself. */
		*supported_out = 0;
		rc = 0;
		ice_error_clear();
	}
	ice_buf__free(&probe);
	return rc;
}

int ice_s3__check_conditional(ice_s3 *s3, const char *location, bool *unsafe_out)
{
	ice_s3_path p;
	bucket_state *b;
	int supported = -1, rc;
	*unsafe_out = false;
	if (s3->cfg.conditional == ICE_S3_COND_ON)
		return 0;
	if (s3->cfg.conditional == ICE_S3_COND_UNSAFE) {
		*unsafe_out = true;
		return 0;
	}
	if ((rc = ice_s3__parse(&p, location)) != 0)
		return rc;
	if (s3->cfg.conditional == ICE_S3_COND_OFF) {
		supported = 0;
	} else {
		pthread_mutex_lock(&s3->mu);
		for (b = s3->buckets; b; b = b->next)
			if (!strcmp(b->bucket, p.bucket))
				supported = b->conditional;
		pthread_mutex_unlock(&s3->mu);
		if (supported < 0) {
			if ((rc = probe_conditional(s3, location, &supported)) != 0) {
				ice_s3_path__free(&p);
				return rc;
			}
			if ((b = ice__calloc(1, sizeof(*b))) != NULL && (b->bucket = ice__strdup(p.bucket)) != NULL) {
				b->conditional = supported;
				pthread_mutex_lock(&s3->mu);
				b->next = s3->buckets;
				s3->buckets = b;
				pthread_mutex_unlock(&s3->mu);
			} else {
				ice__free(b);
				ice_s3_path__free(&p);
				return ICE_ERROR;
			}
		}
	}
	if (!supported)
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO,
		                    "s3://%s: the store does not honour conditional writes (If-None-Match: *), so two commits "
		                    "could silently replace each other's metadata; refusing to commit (with a single writer, "
		                    "s3.conditional-writes=unsafe commits anyway)",
		                    p.bucket);
	ice_s3_path__free(&p);
	return rc;
}
