/*
 * io/http.c - the HTTP client over libcurl (see http.h): the only file that
 * includes curl. Each client has a pool of worker threads, each with one
 * curl easy handle; the handles share one connection cache, DNS cache and
 * TLS session cache (a curl share object), so a connection opened by one
 * request is kept alive and reused by the next, whichever thread runs it.
 * Requests are queued and run by the workers, so a caller can keep several
 * in flight and the pool bounds how many run at once.
 *
 * One attempt is one curl transfer. Around it sit the rules of http.h:
 * per-attempt headers from the prepare hook, the response head assembled
 * by ice_http__head_line (our code, fuzzed), 2xx bodies to the sink and
 * others to memory under a cap, and retries with backoff for what may be
 * retried. Errors name the request by its `what` and the transport's
 * reason, never the URL or a header.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "ice/common.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uuid.h"

#define DEFAULT_MAX_BODY ((size_t)16 << 20)
#define DEFAULT_CONNECTIONS 16
#define MAX_CONNECTIONS 256
#define ERROR_BODY_MAX ((size_t)64 << 10)

/* ---- headers ---------------------------------------------------------------- */

int ice_http_headers__addn(ice_http_headers *h, const char *name, size_t name_len, const char *value,
                           size_t value_len)
{
	char *s;
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 8;
		ice_http_header *items = ice__reallocarray(h->items, ncap, sizeof(*items));
		if (!items)
			return ICE_ERROR;
		h->items = items;
		h->cap = ncap;
	}
	/* Name and value in one allocation: "name\0value\0". */
	if (!(s = ice__malloc(name_len + value_len + 2)))
		return ICE_ERROR;
	memcpy(s, name, name_len);
	s[name_len] = '\0';
	memcpy(s + name_len + 1, value, value_len);
	s[name_len + 1 + value_len] = '\0';
	h->items[h->n].name = s;
	h->items[h->n].value = s + name_len + 1;
	h->n++;
	return 0;
}

int ice_http_headers__add(ice_http_headers *h, const char *name, const char *value)
{
	return ice_http_headers__addn(h, name, strlen(name), value, strlen(value));
}

const char *ice_http_headers__get(const ice_http_headers *h, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < h->n; i++)
		if (ice_str__ieq(h->items[i].name, strlen(h->items[i].name), name, n))
			return h->items[i].value;
	return NULL;
}

void ice_http_headers__clear(ice_http_headers *h)
{
	for (size_t i = 0; i < h->n; i++)
		ice__free((char *)h->items[i].name);
	h->n = 0;
}

void ice_http_headers__free(ice_http_headers *h)
{
	if (!h)
		return;
	ice_http_headers__clear(h);
	ice__free(h->items);
	h->items = NULL;
	h->cap = 0;
}

/* Replaces the value of the last header (for folded continuation lines). */
static int headers_extend_last(ice_http_headers *h, const char *more, size_t more_len)
{
	ice_http_header *last = &h->items[h->n - 1];
	size_t nl = strlen(last->name), vl = strlen(last->value);
	char *s = ice__malloc(nl + vl + more_len + 3);
	if (!s)
		return ICE_ERROR;
	memcpy(s, last->name, nl + 1);
	memcpy(s + nl + 1, last->value, vl);
	s[nl + 1 + vl] = ' ';
	memcpy(s + nl + 2 + vl, more, more_len);
	s[nl + 2 + vl + more_len] = '\0';
	ice__free((char *)last->name);
	last->name = s;
	last->value = s + nl + 1;
	return 0;
}

/* ---- parsing ---------------------------------------------------------------- */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int head_fail(const ice_http_head *head, const char *why)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: response head: %s", head->what ? head->what : "HTTP",
	                      why);
}

/* "HTTP/1.1 200 OK", "HTTP/2 404", "HTTP/1.0 503" (reason optional). */
static int parse_status_line(ice_http_head *head, const char *s, size_t n)
{
	size_t i = 5; /* after "HTTP/" */
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
		i++;
	if (i == 5 || i >= n || s[i] != ' ')
		return head_fail(head, "malformed status line");
	i++;
	if (i + 3 > n || s[i] < '1' || s[i] > '9' || s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
	    s[i + 2] > '9' || (i + 3 < n && s[i + 3] != ' '))
		return head_fail(head, "malformed status code");
	head->status = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	return 0;
}

int ice_http__head_line(ice_http_head *head, const char *line, size_t len)
{
	size_t max_bytes = head->max_bytes ? head->max_bytes : (size_t)64 << 10;
	size_t max_headers = head->max_headers ? head->max_headers : 256;
	if (len > max_bytes || head->bytes > max_bytes - len)
		return head_fail(head, "larger than the limit");
	head->bytes += len;
	/* Lines arrive with their CRLF (or a bare LF). */
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len) || memchr(line, '\r', len) || memchr(line, '\n', len))
		return head_fail(head, "control character in a header line");
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		/* A new response (the final one follows 1xx responses). */
		ice_http_headers__clear(&head->headers);
		head->complete = false;
		head->status = 0;
		return parse_status_line(head, line, len);
	}
	if (head->complete)
		return 0; /* trailers: not used */
	if (head->status == 0)
		return head_fail(head, "header line before the status line");
	if (len == 0) {
		head->complete = true;
		return 0;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		const char *v = line;
		size_t vn = len;
		if (head->headers.n == 0)
			return head_fail(head, "continuation line without a header");
		ice_str__trim(&v, &vn);
		return vn ? headers_extend_last(&head->headers, v, vn) : 0;
	}
	const char *colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return head_fail(head, "header line without a name");
	for (const char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return head_fail(head, "invalid character in a header name");
	if (head->headers.n >= max_headers)
		return head_fail(head, "too many headers");
	const char *v = colon + 1;
	size_t vn = len - (size_t)(v - line);
	ice_str__trim(&v, &vn);
	return ice_http_headers__addn(&head->headers, line, (size_t)(colon - line), v, vn);
}

/* Decimal digits to uint64 without overflow; advances *p. */
static bool parse_u64(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;
	if (s >= end || *s < '0' || *s > '9')
		return false;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

int ice_http__parse_content_range(const char *value, uint64_t *first_out, uint64_t *last_out, uint64_t *total_out)
{
	const char *p = value, *end = value + strlen(value);
	uint64_t first, last, total = UINT64_MAX;
	if (strncmp(p, "bytes ", 6) != 0)
		goto bad;
	p += 6;
	if (!parse_u64(&p, end, &first) || p >= end || *p++ != '-' || !parse_u64(&p, end, &last) || p >= end ||
	    *p++ != '/')
		goto bad;
	if (p < end && *p == '*')
		p++;
	else if (!parse_u64(&p, end, &total))
		goto bad;
	if (p != end || last < first || (total != UINT64_MAX && last >= total))
		goto bad;
	*first_out = first;
	*last_out = last;
	*total_out = total;
	return 0;
bad:
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "malformed Content-Range");
}

int64_t ice_http__parse_retry_after(const char *value)
{
	const char *p = value, *end = value + strlen(value);
	uint64_t s;
	if (!parse_u64(&p, end, &s) || p != end || s > 86400)
		return -1;
	return (int64_t)s * 1000;
}

int64_t ice_http__parse_date(const char *value)
{
	if (!value || !*value)
		return 0;
	time_t t = curl_getdate(value, NULL);
	if (t <= 0 || (int64_t)t >= (int64_t)253402300800) /* 10000-01-01 */
		return 0;
	return (int64_t)t * 1000;
}

int ice_http__url_encode(ice_buf *out, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (c == '/' && keep_slash)) {
			ice_buf__putc(out, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			ice_buf__put(out, e, 3);
		}
	}
	return out->error;
}

int ice_http__url_decode(ice_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			ice_buf__putc(out, s[i]);
			continue;
		}
		uint8_t byte;
		if (i + 2 >= len || !ice_hex__decode(s + i + 1, 2, &byte))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "malformed percent-encoding");
		ice_buf__putc(out, (char)byte);
		i += 2;
	}
	return out->error;
}

bool ice_http__retryable_status(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

int64_t ice_http__backoff_ms(const ice_http_retry_policy *policy, int n, uint64_t random)
{
	int64_t base = policy->min_wait_ms > 0 ? policy->min_wait_ms : 1;
	int64_t cap = policy->max_wait_ms > 0 ? policy->max_wait_ms : base;
	for (int i = 1; i < n && base < cap; i++)
		base *= 2;
	if (base > cap)
		base = cap;
	return (int64_t)(random % (uint64_t)(base + 1));
}

/* ---- the client ------------------------------------------------------------- */

struct ice_http_pending {
	ice_http_client *client;
	const ice_http_request *req;
	ice_http_response resp;
	int rc;
	int err_class;
	bool oom;
	char message[1024];
	bool done;
	ice_http_pending *next;
};

struct ice_http_client {
	ice_http_options opts;
	char *ca_file, *ca_path, *proxy, *user_agent;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	ice_http_pending *head, *tail;
	pthread_t *threads;
	size_t nthreads, idle;
	bool stopping;
	_Atomic uint64_t requests, retries, bytes_sent, bytes_received, connections;
	_Atomic uint64_t seed;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *payload)
{
	ice_http_client *c = payload;
	(void)h;
	(void)access;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *payload)
{
	ice_http_client *c = payload;
	(void)h;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_locks[data]);
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = ice__strdup(src)))
		return ICE_ERROR;
	return 0;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static uint64_t client_random(ice_http_client *c)
{
	return splitmix(atomic_fetch_add(&c->seed, 0x9E3779B97F4A7C15ull));
}

void ice_http_client__free(ice_http_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_broadcast(&c->work_cv);
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	ice__free(c->threads);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->work_cv);
	pthread_cond_destroy(&c->done_cv);
	ice__free(c->ca_file);
	ice__free(c->ca_path);
	ice__free(c->proxy);
	ice__free(c->user_agent);
	ice__free(c);
}

int ice_http_client__new(ice_http_client **out, const ice_http_options *opts)
{
	static const ice_http_retry_policy default_retry = ICE_HTTP_RETRY_DEFAULT;
	ice_http_client *c;
	uint8_t seed[16];
	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "HTTP: libcurl failed to initialise: %s",
		                      curl_easy_strerror(curl_init_rc));
	if (!(c = ice__calloc(1, sizeof(*c))))
		return ICE_ERROR;
	if (opts) {
		c->opts = *opts;
	} else {
		c->opts.retry = default_retry;
	}
	if (!c->opts.max_connections)
		c->opts.max_connections = DEFAULT_CONNECTIONS;
	if (c->opts.max_connections > MAX_CONNECTIONS)
		c->opts.max_connections = MAX_CONNECTIONS;
	if (c->opts.connect_timeout_ms <= 0)
		c->opts.connect_timeout_ms = 10000;
	if (c->opts.stall_timeout_ms <= 0)
		c->opts.stall_timeout_ms = 60000;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->work_cv, NULL);
	pthread_cond_init(&c->done_cv, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	ice_uuid__random(seed);
	uint64_t s;
	memcpy(&s, seed, sizeof(s));
	atomic_store(&c->seed, s);
	if (dup_opt(&c->ca_file, c->opts.ca_file) || dup_opt(&c->ca_path, c->opts.ca_path) ||
	    dup_opt(&c->proxy, c->opts.proxy) || dup_opt(&c->user_agent, c->opts.user_agent) ||
	    !(c->threads = ice__calloc(c->opts.max_connections, sizeof(pthread_t)))) {
		ice_http_client__free(c);
		return ICE_ERROR;
	}
	c->opts.ca_file = c->ca_file;
	c->opts.ca_path = c->ca_path;
	c->opts.proxy = c->proxy;
	c->opts.user_agent = c->user_agent;
	if (!(c->share = curl_share_init())) {
		ice_http_client__free(c);
		return ice_error__oom();
	}
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	*out = c;
	return 0;
}

void ice_http_client__stats(const ice_http_client *client, ice_http_stats *out)
{
	ice_http_client *c = (ice_http_client *)client;
	out->requests = atomic_load(&c->requests);
	out->retries = atomic_load(&c->retries);
	out->bytes_sent = atomic_load(&c->bytes_sent);
	out->bytes_received = atomic_load(&c->bytes_received);
	out->connections = atomic_load(&c->connections);
}

void ice_http_response__init(ice_http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	ice_buf__init(&resp->body, DEFAULT_MAX_BODY);
}

void ice_http_response__free(ice_http_response *resp)
{
	if (!resp)
		return;
	ice_http_headers__free(&resp->headers);
	ice_buf__free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* ---- one attempt ------------------------------------------------------------ */

typedef struct attempt {
	const ice_http_request *req;
	ice_http_response *resp;
	ice_http_head head;
	uint64_t body_offset; /* request body bytes handed to curl */
	uint64_t received;    /* response body bytes of this attempt */
	int cb_rc;            /* an error raised in a callback (the message is set) */
	bool to_sink;
	bool decided; /* whether the body's destination has been chosen */
	bool handed_all;      /* the whole request body has been handed to curl once */
	bool resend_refused;  /* curl wanted to send it again: refused (see on_seek) */
} attempt;

static size_t on_header(char *data, size_t size, size_t n, void *payload)
{
	attempt *a = payload;
	size_t len = size * n;
	if (ice_http__head_line(&a->head, data, len) != 0) {
		a->cb_rc = ice_error__code();
		return 0;
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
	attempt *a = payload;
	size_t len = size * n;
	if (!a->decided) {
		a->decided = true;
		a->to_sink = a->req->sink && a->head.status >= 200 && a->head.status < 300;
		if (!(a->head.status >= 200 && a->head.status < 300))
			a->resp->body.limit = ERROR_BODY_MAX;
	}
	if (a->to_sink) {
		int rc = a->req->sink(a->req->sink_payload, a->received, data, len);
		if (rc) {
			a->cb_rc = rc;
			return 0;
		}
	} else {
		size_t cap = a->resp->body.limit;
		if (len > cap || a->resp->body.len > cap - len) {
			/* Error documents are cut short; a wanted body over the cap fails. */
			if (a->head.status >= 200 && a->head.status < 300) {
				a->cb_rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
				                          "%s: response body larger than the limit of %zu bytes",
				                          a->req->what ? a->req->what : "HTTP", cap);
				return 0;
			}
			a->received += len;
			return len;
		}
		if (ice_buf__put(&a->resp->body, data, len) != 0) {
			a->cb_rc = ice_error__code();
			return 0;
		}
	}
	a->received += len;
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *payload)
{
	attempt *a = payload;
	const ice_http_request *req = a->req;
	size_t want = size * n;
	if (a->body_offset >= req->body_len) {
		if (a->handed_all && !req->idempotent && want > 0) {
			/* Asked again for a body already handed over whole, without a
			 * rewind: curl is resending the request (see on_seek). */
			a->resend_refused = true;
			return CURL_READFUNC_ABORT;
		}
		return 0;
	}
	if (want > req->body_len - a->body_offset)
		want = (size_t)(req->body_len - a->body_offset);
	if (req->body_read) {
		int64_t got = req->body_read(req->body_payload, a->body_offset, buf, want);
		if (got < 0) {
			a->cb_rc = (int)got;
			return CURL_READFUNC_ABORT;
		}
		if (got == 0 || (uint64_t)got > want) {
			a->cb_rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: request body ended early",
			                          req->what ? req->what : "HTTP");
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)got;
	} else {
		memcpy(buf, (const char *)req->body + a->body_offset, want);
	}
	a->body_offset += want;
	if (a->body_offset >= req->body_len)
		a->handed_all = true;
	return want;
}

/*
 * curl sends a request again by itself when the kept-alive connection it
 * reused closes before any answer. For a request that must not be sent
 * twice that is only safe while the server cannot have read all of it: once
 * the whole body has been handed over, the rewind is refused, the transfer
 * fails, and the caller learns the request may have landed.
 */
static int on_seek(void *payload, curl_off_t offset, int origin)
{
	attempt *a = payload;
	if (!a->req->idempotent && a->handed_all) {
		a->resend_refused = true;
		return CURL_SEEKFUNC_FAIL;
	}
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > a->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	a->body_offset = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static bool method_is(const char *m, const char *want)
{
	return strcmp(m, want) == 0;
}

/* Headers as curl wants them ("Name: value", "Name;" for an empty value). */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	ice_buf b = ICE_BUF_INIT;
	struct curl_slist *l;
	if (strchr(name, '\r') || strchr(name, '\n') || strchr(value, '\r') || strchr(value, '\n'))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "header %s: line break in the header", name);
	if (*value)
		ice_buf__printf(&b, "%s: %s", name, value);
	else
		ice_buf__printf(&b, "%s;", name);
	if (b.error) {
		ice_buf__free(&b);
		return ICE_ERROR;
	}
	l = curl_slist_append(*list, b.ptr);
	ice_buf__free(&b);
	if (!l)
		return ice_error__oom();
	*list = l;
	return 0;
}

static int remove_header(struct curl_slist **list, const char *name)
{
	char line[64];
	struct curl_slist *l;
	snprintf(line, sizeof(line), "%s:", name);
	if (!(l = curl_slist_append(*list, line)))
		return ice_error__oom();
	*list = l;
	return 0;
}

static bool has_header(const ice_http_request *req, const ice_http_headers *extra, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < req->nheaders; i++)
		if (ice_str__ieq(req->headers[i].name, strlen(req->headers[i].name), name, n))
			return true;
	return ice_http_headers__get(extra, name) != NULL;
}

static int build_headers(struct curl_slist **out, const ice_http_request *req, const ice_http_headers *extra)
{
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < req->nheaders && !rc; i++)
		rc = add_header(out, req->headers[i].name, req->headers[i].value);
	for (size_t i = 0; i < extra->n && !rc; i++)
		rc = add_header(out, extra->items[i].name, extra->items[i].value);
	/* No "Expect: 100-continue" round trip; no form-encoded default type
	 * for a POST (S3-compatible stores take it literally): "Name:" with
	 * nothing after the colon removes a header curl would add. */
	if (!rc)
		rc = remove_header(out, "Expect");
	if (!rc && !has_header(req, extra, "Content-Type") && !method_is(req->method, "GET") &&
	    !method_is(req->method, "HEAD")) {
		if (req->body || req->body_read)
			rc = add_header(out, "Content-Type", "application/octet-stream");
		else
			rc = remove_header(out, "Content-Type");
	}
	if (rc) {
		curl_slist_free_all(*out);
		*out = NULL;
	}
	return rc;
}

static void setup_easy(CURL *h, ice_http_client *c, const ice_http_request *req, attempt *a,
                       struct curl_slist *headers)
{
	bool has_body = req->body || req->body_read;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* curl resends a request whose reused connection died before any
	 * answer. A request that must not be sent twice keeps a reused
	 * connection only when it has a body, whose second sending on_seek and
	 * on_read refuse; one without a body gets a connection of its own. */
	if (!req->idempotent && req->body_len == 0)
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opts.connect_timeout_ms);
	if (c->opts.request_timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->opts.request_timeout_ms);
	/* No progress for stall_timeout: less than one byte a second. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)((c->opts.stall_timeout_ms + 999) / 1000));
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->opts.insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->opts.insecure ? 0L : 2L);
	if (c->opts.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->opts.ca_file);
	if (c->opts.ca_path)
		curl_easy_setopt(h, CURLOPT_CAPATH, c->opts.ca_path);
	if (c->opts.proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, c->opts.proxy);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->opts.user_agent ? c->opts.user_agent : "ice/" ICE_VERSION_STRING);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	/* Bodies are handed over as they arrive; no transfer decoding. */
	curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	if (method_is(req->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (method_is(req->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
	} else if (has_body || method_is(req->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (!method_is(req->method, "POST"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (!method_is(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (has_body || method_is(req->method, "PUT") || method_is(req->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, a);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, a);
	}
}

/* Failures after which the request certainly never reached the server. */
static bool never_sent(CURL *h, CURLcode code)
{
	curl_off_t pre = 0;
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		/* Timed out before the request went out (connecting). */
		return curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK && pre == 0;
	default:
		return false;
	}
}

/* Transport failures worth another attempt (for requests that may be repeated). */
static bool transient(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		return true;
	default:
		return false;
	}
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_attempt(ice_http_client *c, const ice_http_request *req, long status, const char *problem,
                        int64_t ms, uint64_t bytes, bool retrying)
{
	char line[512];
	if (!c->opts.log)
		return;
	if (problem)
		snprintf(line, sizeof(line), "%s: %s (%lld ms)%s", req->what ? req->what : req->method, problem,
		         (long long)ms, retrying ? ", retrying" : "");
	else
		snprintf(line, sizeof(line), "%s: %ld, %llu bytes (%lld ms)%s", req->what ? req->what : req->method,
		         status, (unsigned long long)bytes, (long long)ms, retrying ? ", retrying" : "");
	c->opts.log(line, c->opts.log_payload);
}

/* The whole request with its retries, on a worker's easy handle. */
static int run_request(ice_http_client *c, CURL *h, const ice_http_request *req, ice_http_response *resp)
{
	const ice_http_retry_policy *policy = req->retry ? req->retry : &c->opts.retry;
	const char *what = req->what ? req->what : req->method;
	ice_http_headers extra = {0};
	char errbuf[CURL_ERROR_SIZE];
	int rc = 0;
	ice_http_response__init(resp);
	if (req->max_body)
		resp->body.limit = req->max_body;
	size_t body_limit = resp->body.limit;
	for (int n = 1;; n++) {
		struct curl_slist *headers = NULL;
		attempt a;
		CURLcode code;
		int64_t t0 = now_ms(), retry_after = -1;
		bool retry = false;
		memset(&a, 0, sizeof(a));
		a.req = req;
		a.resp = resp;
		a.head.what = what;
		ice_http_headers__clear(&resp->headers);
		ice_buf__clear(&resp->body);
		resp->body.error = 0;
		resp->body.limit = body_limit;
		resp->attempts = n;
		resp->status = 0;
		resp->may_have_landed = false;
		ice_http_headers__clear(&extra);
		if (req->prepare && (rc = req->prepare(&extra, req, req->prepare_payload)) != 0)
			break;
		if ((rc = build_headers(&headers, req, &extra)) != 0)
			break;
		setup_easy(h, c, req, &a, headers);
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
		atomic_fetch_add(&c->requests, 1);
		code = curl_easy_perform(h);
		curl_slist_free_all(headers);
		long nconn = 0;
		if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
			atomic_fetch_add(&c->connections, (uint64_t)nconn);
		atomic_fetch_add(&c->bytes_sent, a.body_offset);
		atomic_fetch_add(&c->bytes_received, a.received);
		/* The head parsed by our callback is the response's. */
		ice_http_headers__free(&resp->headers);
		resp->headers = a.head.headers;
		memset(&a.head.headers, 0, sizeof(a.head.headers));
		resp->body_bytes = a.received;
		bool may_retry = n <= policy->max_retries;
		if (code == CURLE_OK && a.head.status > 0) {
			resp->status = a.head.status;
			if (may_retry && req->idempotent) {
				retry = req->should_retry ? req->should_retry(resp, req->retry_payload) == ICE_HTTP_RETRY
				                          : ice_http__retryable_status(resp->status);
				const char *ra = ice_http_headers__get(&resp->headers, "Retry-After");
				if (retry && ra)
					retry_after = ice_http__parse_retry_after(ra);
			}
			log_attempt(c, req, resp->status, NULL, now_ms() - t0, a.received, retry);
			if (!retry) {
				rc = 0;
				break;
			}
		} else {
			char problem[CURL_ERROR_SIZE + 64];
			if (a.resend_refused) {
				/* Sent whole on a reused connection that closed before any
				 * answer: the server may have acted on it. Not sent again. */
				log_attempt(c, req, 0, "connection closed before any answer", now_ms() - t0, a.received,
				            false);
				resp->may_have_landed = true;
				rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO,
				                    "%s: the connection closed after the request was sent, before any answer "
				                    "(%d attempt%s)", what, n, n == 1 ? "" : "s");
				break;
			}
			if (a.cb_rc) {
				/* A callback failed (its message is set): never retried. */
				rc = a.cb_rc;
				log_attempt(c, req, 0, "aborted", now_ms() - t0, a.received, false);
				break;
			}
			bool unsent = never_sent(h, code);
			snprintf(problem, sizeof(problem), "%s", errbuf[0] ? errbuf : curl_easy_strerror(code));
			if (code == CURLE_OK)
				snprintf(problem, sizeof(problem), "no HTTP response");
			if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
			    code == CURLE_SSL_CERTPROBLEM)
				retry = false;
			else
				retry = may_retry && (unsent || (req->idempotent && transient(code)));
			log_attempt(c, req, 0, problem, now_ms() - t0, a.received, retry);
			if (!retry) {
				resp->may_have_landed = !unsent;
				rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: %s (%d attempt%s)", what, problem, n,
				                    n == 1 ? "" : "s");
				break;
			}
		}
		atomic_fetch_add(&c->retries, 1);
		int64_t wait = ice_http__backoff_ms(policy, n, client_random(c));
		if (retry_after >= 0)
			wait = retry_after < policy->max_wait_ms ? retry_after : policy->max_wait_ms;
		if (wait > 0)
			sleep_ms(wait);
	}
	ice_http_headers__free(&extra);
	return rc;
}

/* ---- the pool --------------------------------------------------------------- */

static void finish(ice_http_pending *p, int rc)
{
	const ice_error *e = ice_error_last();
	p->rc = rc;
	if (rc) {
		p->oom = ice_error__is_oom();
		p->err_class = e ? e->klass : ICE_ERRCLASS_IO;
		snprintf(p->message, sizeof(p->message), "%s", e ? e->message : "HTTP request failed");
	}
}

static void *worker(void *arg)
{
	ice_http_client *c = arg;
	CURL *h = curl_easy_init();
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->head && !c->stopping)
			pthread_cond_wait(&c->work_cv, &c->mu);
		if (!c->head)
			break;
		ice_http_pending *p = c->head;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		c->idle--;
		pthread_mutex_unlock(&c->mu);
		ice_error_clear();
		int rc = h ? run_request(c, h, p->req, &p->resp) : ice_error__oom();
		if (!h)
			ice_http_response__init(&p->resp);
		finish(p, rc);
		pthread_mutex_lock(&c->mu);
		p->done = true;
		c->idle++;
		pthread_cond_broadcast(&c->done_cv);
	}
	pthread_mutex_unlock(&c->mu);
	if (h)
		curl_easy_cleanup(h);
	return NULL;
}

int ice_http__start(ice_http_client *c, const ice_http_request *req, ice_http_pending **out)
{
	ice_http_pending *p;
	*out = NULL;
	if (!(p = ice__calloc(1, sizeof(*p))))
		return ICE_ERROR;
	p->client = c;
	p->req = req;
	pthread_mutex_lock(&c->mu);
	/* One more thread when every one is busy, up to the pool's size. */
	if (c->idle == 0 && c->nthreads < c->opts.max_connections) {
		if (pthread_create(&c->threads[c->nthreads], NULL, worker, c) == 0) {
			c->nthreads++;
			c->idle++;
		} else if (c->nthreads == 0) {
			pthread_mutex_unlock(&c->mu);
			ice__free(p);
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "HTTP: cannot start a thread");
		}
	}
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	pthread_cond_signal(&c->work_cv);
	pthread_mutex_unlock(&c->mu);
	*out = p;
	return 0;
}

int ice_http__wait(ice_http_pending *p, ice_http_response *resp)
{
	ice_http_client *c = p->client;
	int rc;
	pthread_mutex_lock(&c->mu);
	while (!p->done)
		pthread_cond_wait(&c->done_cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	*resp = p->resp;
	rc = p->rc;
	if (rc) {
		if (p->oom)
			ice_error__oom();
		else
			ice_error__set(rc, p->err_class, "%s", p->message);
	}
	ice__free(p);
	return rc;
}

int ice_http__perform(ice_http_client *c, const ice_http_request *req, ice_http_response *resp)
{
	ice_http_pending *p;
	int rc = ice_http__start(c, req, &p);
	if (rc) {
		ice_http_response__init(resp);
		return rc;
	}
	return ice_http__wait(p, resp);
}
