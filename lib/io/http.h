/*
 * io/http.h - the library's HTTP client. http.c is the only file that
 * includes libcurl; everything that talks HTTP (S3 FileIO, the REST catalog
 * client, OAuth2 token requests) speaks in the requests and responses
 * below and never in sockets or curl handles.
 *
 * What the client gives its callers:
 *
 *   - Requests with a method, an absolute URL, headers, and a body from
 *     memory or from a read callback (rewindable, so a retry can resend it).
 *   - Responses with the status, the headers of the final response, and the
 *     body kept in memory under a size cap or streamed to a sink callback.
 *   - Connection reuse: connections, DNS results and TLS sessions are shared
 *     by every request of a client and kept alive between requests.
 *   - A bounded pool: at most `max_connections` requests run at once, each on
 *     one of the client's worker threads; ice_http__start() queues a request
 *     and ice_http__wait() collects it, so a caller can keep several in
 *     flight (ranged reads ahead of a decoder, multipart parts, batched
 *     deletes) while ice_http__perform() is the one-request shortcut.
 *   - Timeouts (connect, whole request, no progress), TLS with peer and host
 *     verification on unless a caller turns it off explicitly, a CA bundle.
 *   - Retries with exponential backoff and full jitter (and Retry-After
 *     when a server sends one) for idempotent requests only; a request that
 *     is not idempotent is retried only when it certainly never left this
 *     machine (the connection could not be made), and curl's own resending
 *     on a reused connection that closed unanswered is refused once the
 *     whole body went out (the response then says it may have landed). A hook decides per
 *     response whether it is worth another attempt (S3's SlowDown in a body,
 *     a REST server's 503), another re-signs every attempt (SigV4 with the
 *     attempt's own time, a fresh bearer token).
 *   - Errors that name the request by the caller's `what` (for instance
 *     "s3://bucket/key: GET"), never by URL, header or body: a URL may carry
 *     a presigned signature, headers carry Authorization and tokens.
 *
 * A response with any status is a success of the transport: callers decide
 * what 404 or 412 mean. ICE_ERROR means no usable response arrived after
 * the retries the policy allowed.
 *
 * Thread safety: a client may be used from any number of threads at once.
 * Callbacks run on the client's worker threads; they must not issue requests
 * on the same client and wait for them (the pool could be full of callers
 * waiting for themselves).
 */
#ifndef ICE_IO_HTTP_H
#define ICE_IO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* ---- headers ---------------------------------------------------------------- */

typedef struct ice_http_header {
	const char *name;
	const char *value;
} ice_http_header;

/*
 * A list of headers that owns its strings. Zero-initialised is empty.
 * Lookups ignore case; order is kept (the order added or received).
 */
typedef struct ice_http_headers {
	ice_http_header *items;
	size_t n;
	size_t cap;
} ice_http_headers;

int ice_http_headers__add(ice_http_headers *h, const char *name, const char *value);
int ice_http_headers__addn(ice_http_headers *h, const char *name, size_t name_len, const char *value,
                           size_t value_len);
/* The value of the first header called `name` (any case), or NULL. */
const char *ice_http_headers__get(const ice_http_headers *h, const char *name);
void ice_http_headers__clear(ice_http_headers *h);
void ice_http_headers__free(ice_http_headers *h);

/* ---- the client ----------------------------------------------------------- */

/* How often and how patiently to retry (the s3.retry.* settings). */
typedef struct ice_http_retry_policy {
	int max_retries;     /* retries after the first attempt; 0: never retry */
	int64_t min_wait_ms; /* the backoff before the first retry; doubled each time */
	int64_t max_wait_ms; /* the cap on one backoff (and on a Retry-After) */
} ice_http_retry_policy;

#define ICE_HTTP_RETRY_DEFAULT {5, 100, 20000}

/* A line for a verbose log: one per finished attempt. Never holds a URL's
 * query, a header value or a body. */
typedef void (*ice_http_log_fn)(const char *line, void *payload);

typedef struct ice_http_options {
	size_t max_connections;     /* requests at once (worker threads); 0: 16 */
	int64_t connect_timeout_ms; /* 0: 10 s */
	int64_t request_timeout_ms; /* one attempt, start to end; 0: no limit */
	int64_t stall_timeout_ms;   /* abort an attempt that moves no byte this long; 0: 60 s */
	const char *ca_file;        /* a CA bundle (PEM); NULL: the system's */
	const char *ca_path;        /* a directory of CA certificates; NULL: the system's */
	bool insecure;              /* skip TLS peer and host verification (explicit opt-in) */
	const char *proxy;          /* NULL: curl's own rules (http_proxy, no_proxy, ...) */
	const char *user_agent;     /* NULL: "ice/<version>" */
	ice_http_retry_policy retry;
	ice_http_log_fn log;        /* NULL: no log */
	void *log_payload;
} ice_http_options;

typedef struct ice_http_client ice_http_client;

/* A client with `opts` (copied; NULL for defaults, with retries as
 * ICE_HTTP_RETRY_DEFAULT). Threads start on demand. */
int ice_http_client__new(ice_http_client **out, const ice_http_options *opts);
/* Waits for requests still running, then frees. NULL is fine. */
void ice_http_client__free(ice_http_client *client);

/* Counters over the client's life (for -v and the request-economy bench). */
typedef struct ice_http_stats {
	uint64_t requests; /* attempts sent, retries included */
	uint64_t retries;
	uint64_t bytes_sent;     /* request bodies */
	uint64_t bytes_received; /* response bodies */
	uint64_t connections;    /* new connections made (the rest were reused) */
} ice_http_stats;
void ice_http_client__stats(const ice_http_client *client, ice_http_stats *out);

/* ---- requests --------------------------------------------------------------- */

typedef struct ice_http_request ice_http_request;
typedef struct ice_http_response ice_http_response;

/*
 * Fill `buf` with up to `len` bytes of the body starting at `offset`;
 * return the number of bytes written (0 only at the end), or a negative
 * error code (raised with ice_error__set). Called with offset 0 again when
 * an attempt is retried.
 */
typedef int64_t (*ice_http_read_fn)(void *payload, uint64_t offset, void *buf, size_t len);

/*
 * Take `len` bytes of a successful (2xx) response body that start at
 * `offset` within it; return 0, or an error code to abort the request
 * (which is then not retried). A retried attempt starts again at 0.
 */
typedef int (*ice_http_sink_fn)(void *payload, uint64_t offset, const void *data, size_t len);

/*
 * Add the headers this attempt needs to `extra` (cleared before each
 * attempt): a SigV4 signature over the attempt's own time, a bearer token.
 * Return 0, or an error code that fails the request without retry.
 */
typedef int (*ice_http_prepare_fn)(ice_http_headers *extra, const ice_http_request *req, void *payload);

/* What a retry hook answers. */
enum { ICE_HTTP_DONE = 0, ICE_HTTP_RETRY = 1 };

/*
 * Decide whether a response is worth another attempt (only asked for
 * requests that may be retried, and only while the policy has retries
 * left). The body is in resp->body unless a sink took it.
 */
typedef int (*ice_http_retry_fn)(const ice_http_response *resp, void *payload);

struct ice_http_request {
	const char *method; /* "GET", "HEAD", "PUT", "POST", "DELETE", ... */
	const char *url;    /* absolute http:// or https:// URL, already encoded */
	const char *what;   /* names the request in errors and logs; never a secret */
	const ice_http_header *headers;
	size_t nheaders;

	/* The body: `body` and `body_len` from memory, or `body_read` with
	 * `body_len` bytes in all. No body when both are NULL/0 (a POST with
	 * an empty body sends Content-Length: 0). */
	const void *body;
	size_t body_len;
	ice_http_read_fn body_read;
	void *body_payload;

	/* Where a 2xx body goes: `sink`, or memory (resp->body) when NULL.
	 * Other statuses always keep their body in memory (error documents). */
	ice_http_sink_fn sink;
	void *sink_payload;
	size_t max_body; /* cap on a body kept in memory; 0: 16 MiB */

	/* Safe to send twice (GET, HEAD, PUT of a whole object, DELETE)? */
	bool idempotent;
	const ice_http_retry_policy *retry; /* NULL: the client's */
	ice_http_retry_fn should_retry;     /* NULL: ice_http__retryable_status */
	void *retry_payload;
	ice_http_prepare_fn prepare; /* NULL: nothing per attempt */
	void *prepare_payload;
};

struct ice_http_response {
	long status;             /* of the final response; 0 when none arrived */
	ice_http_headers headers; /* of the final response */
	ice_buf body;            /* the body, unless a sink took it */
	uint64_t body_bytes;     /* bytes of the final attempt's body (sink or memory) */
	int attempts;
	/* After ICE_ERROR: true when the request may have reached the server
	 * (the failure came after the connection was made). */
	bool may_have_landed;
};

void ice_http_response__init(ice_http_response *resp);
void ice_http_response__free(ice_http_response *resp);

/*
 * Send `req` (with retries) and wait for the response. 0 when a response
 * arrived (any status), ICE_ERROR "<what>: <why> (after N attempts)" when
 * none did, ICE_EINVALID when the response broke a limit (a body over
 * max_body, a malformed or oversized head), or the code a callback
 * returned. `resp` is initialised here and freed by the caller in every
 * case. The request and what it points at must stay valid until return.
 */
int ice_http__perform(ice_http_client *client, const ice_http_request *req, ice_http_response *resp);

/*
 * Queue `req` and return at once; it runs on one of the client's threads.
 * The request, its headers and body, and every payload must stay valid until
 * ice_http__wait() returns for it. Every started request must be waited for.
 */
typedef struct ice_http_pending ice_http_pending;
int ice_http__start(ice_http_client *client, const ice_http_request *req, ice_http_pending **out);
/* Wait for a started request: the same results as ice_http__perform, with
 * the error raised on the calling thread. Frees `pending`. */
int ice_http__wait(ice_http_pending *pending, ice_http_response *resp);

/* The default retry decision: 408, 429, 500, 502, 503 and 504. */
bool ice_http__retryable_status(long status);

/* The backoff before retry `n` (1-based) under `policy`, with full jitter
 * drawn from `random`: uniform in [0, min(max, min * 2^(n-1))]. */
int64_t ice_http__backoff_ms(const ice_http_retry_policy *policy, int n, uint64_t random);

/* ---- parsing what servers send (fuzzed: tests/fuzz/fuzz_http.c) ------------- */

/*
 * A response head assembled from the lines curl hands over: a status line
 * ("HTTP/1.1 200 OK", "HTTP/2 404") starts a new response (after 100
 * Continue or a redirect the last one wins), "Name: value" lines add
 * headers (values trimmed; obsolete folded continuation lines joined with
 * one space), the empty line ends it. Limits: `max_bytes` for the head and
 * `max_headers` headers; beyond them, or on a line that is none of these,
 * ICE_EINVALID naming `what`.
 */
typedef struct ice_http_head {
	long status;
	ice_http_headers headers;
	size_t bytes;
	size_t max_bytes;   /* 0: 64 KiB */
	size_t max_headers; /* 0: 256 */
	bool complete;      /* the empty line was seen */
	const char *what;
} ice_http_head;

int ice_http__head_line(ice_http_head *head, const char *line, size_t len);

/*
 * "bytes FIRST-LAST/TOTAL" (TOTAL may be "*") from a Content-Range header:
 * *total_out is UINT64_MAX when unknown. ICE_EINVALID for anything else or
 * LAST < FIRST or LAST >= TOTAL.
 */
int ice_http__parse_content_range(const char *value, uint64_t *first_out, uint64_t *last_out,
                                  uint64_t *total_out);

/* Retry-After as delta seconds (HTTP dates are not honoured): milliseconds, or -1. */
int64_t ice_http__parse_retry_after(const char *value);
/* An HTTP date (Last-Modified: "Wed, 21 Oct 2015 07:28:00 GMT", and the
 * obsolete forms) in epoch milliseconds by libcurl's parser; 0 when it is
 * none or outside years 1970..9999 (a hostile header cannot overflow it). */
int64_t ice_http__parse_date(const char *value);

/*
 * Percent-encode `len` bytes of `s` into `out` as RFC 3986 unreserved
 * characters (A-Z a-z 0-9 - . _ ~) and %XX (upper-case hex) for all others,
 * keeping '/' when `keep_slash` (object keys in S3 paths, SigV4 canonical
 * URIs). Sticky buffer errors.
 */
int ice_http__url_encode(ice_buf *out, const char *s, size_t len, bool keep_slash);
/* The inverse; ICE_EINVALID on a malformed escape. */
int ice_http__url_decode(ice_buf *out, const char *s, size_t len);

#endif
