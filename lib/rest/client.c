/*
 * rest/client.c - one REST request: the route checked against the
 * endpoints the server lists, the URL (base, /v1/, prefix, namespaces
 * joined by the server's separator, every level percent-encoded), the
 * headers (Accept, Content-Type, header.*, X-Iceberg-Access-Delegation,
 * an Idempotency-Key on mutations when the server takes them, per attempt
 * the bearer token or SigV4 signature), one more attempt after 401 or 419
 * with a renewed token, and a failed status turned into an error code and
 * one line: "<catalog>: <request>: <status> <type>: <server's message>".
 * Requests are named by what they do ("GET db.events"), never by URL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uuid.h"

#define DEFAULT_MAX_BODY ((size_t)64 << 20)

void ice_rest_call__init(ice_rest_call *call, const char *method, const char *route, const char *what_fmt, ...)
{
	va_list ap;
	memset(call, 0, sizeof(*call));
	call->method = method;
	call->route = route;
	ice_buf__init(&call->url, (size_t)64 << 10);
	va_start(ap, what_fmt);
	vsnprintf(call->what, sizeof(call->what), what_fmt, ap);
	va_end(ap);
	ice_http_response__init(&call->resp);
}

void ice_rest_call__free(ice_rest_call *call)
{
	ice_buf__free(&call->url);
	ice_http_headers__free(&call->headers);
	ice_http_response__free(&call->resp);
}

/* ---- URLs ---------------------------------------------------------------------------- */

int ice_rest__url(ice_rest_catalog *c, ice_buf *url)
{
	ice_buf__printf(url, "%s/v1/", c->base_url);
	if (c->prefix)
		ice_buf__printf(url, "%s/", c->prefix);
	return url->error;
}

int ice_rest__put_namespace(ice_rest_catalog *c, ice_buf *url, const char *ns)
{
	char **levels;
	size_t n;
	int rc;
	if ((rc = ice_catalog__split(ns, &levels, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (i)
			ice_buf__puts(url, c->separator);
		ice_http__url_encode(url, levels[i], strlen(levels[i]), false);
	}
	ice_catalog__free_levels(levels, n);
	return url->error;
}

int ice_rest__split_identifier(const char *identifier, char **ns_out, const char **name_out)
{
	const char *dot = identifier ? strrchr(identifier, '.') : NULL;
	*ns_out = NULL;
	*name_out = NULL;
	if (!dot || dot == identifier || !dot[1])
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "'%s': a table identifier is <namespace>.<table>",
		                      identifier ? identifier : "");
	if (!(*ns_out = ice__strndup(identifier, (size_t)(dot - identifier))))
		return ICE_ERROR;
	*name_out = dot + 1;
	return 0;
}

int ice_rest__table_url(ice_rest_catalog *c, ice_buf *url, const char *identifier)
{
	char *ns;
	const char *name;
	int rc;
	if ((rc = ice_rest__split_identifier(identifier, &ns, &name)) != 0)
		return rc;
	if ((rc = ice_rest__url(c, url)) == 0) {
		ice_buf__puts(url, "namespaces/");
		if ((rc = ice_rest__put_namespace(c, url, ns)) == 0) {
			ice_buf__puts(url, "/tables/");
			rc = ice_http__url_encode(url, name, strlen(name), false);
		}
	}
	ice__free(ns);
	return rc;
}

int ice_rest__write_namespace(ice_json_writer *w, const char *ns, size_t len)
{
	const char *p = ns, *end = ns + len;
	ice_json_begin_array(w);
	while (p <= end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *stop = dot ? dot : end;
		ice_json_string_n(w, p, (size_t)(stop - p));
		p = stop + 1;
	}
	return ice_json_end_array(w);
}

/* ---- sending --------------------------------------------------------------------------- */

/* A UUIDv7 (RFC 9562): the key format the spec asks for. */
static void uuid7(char out[ICE_UUID_STRLEN + 1])
{
	uint8_t u[16];
	struct timespec ts;
	uint64_t ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	ice_uuid__random(u);
	for (int i = 0; i < 6; i++)
		u[i] = (uint8_t)(ms >> (40 - 8 * i));
	u[6] = (uint8_t)(0x70 | (u[6] & 0x0f));
	u[8] = (uint8_t)(0x80 | (u[8] & 0x3f));
	ice_uuid__format(u, out);
}

/* What may be tried again with the same Idempotency-Key. */
static int retry_keyed(const ice_http_response *resp, void *payload)
{
	(void)payload;
	return ice_http__retryable_status(resp->status) ? ICE_HTTP_RETRY : ICE_HTTP_DONE;
}

static int build_headers(ice_rest_catalog *c, ice_rest_call *call, ice_http_headers *h, bool *keyed)
{
	int rc = ice_http_headers__add(h, "Accept", "application/json");
	*keyed = false;
	if (!rc && call->body)
		rc = ice_http_headers__add(h, "Content-Type", call->content_type ? call->content_type : "application/json");
	for (size_t i = 0; i < c->headers.n && !rc; i++)
		rc = ice_http_headers__add(h, c->headers.items[i].name, c->headers.items[i].value);
	for (size_t i = 0; i < call->headers.n && !rc; i++)
		rc = ice_http_headers__add(h, call->headers.items[i].name, call->headers.items[i].value);
	if (!rc && call->delegation && c->delegation)
		rc = ice_http_headers__add(h, "X-Iceberg-Access-Delegation", c->delegation);
	if (!rc && call->if_none_match)
		rc = ice_http_headers__add(h, "If-None-Match", call->if_none_match);
	if (!rc && call->mutation && c->idempotency_lifetime_ms > 0) {
		char key[ICE_UUID_STRLEN + 1];
		uuid7(key);
		rc = ice_http_headers__add(h, "Idempotency-Key", key);
		*keyed = true;
	}
	return rc;
}

int ice_rest__send(ice_rest_catalog *c, ice_rest_call *call)
{
	ice_http_headers h = {0};
	ice_http_request req;
	ice_rest_signing signing;
	bool keyed = false, read_only;
	int rc;
	if (call->route && !ice_rest__supports(c, call->route))
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG, "%s: %s: the server does not offer %s",
		                      c->label, call->what, call->route);
	if (call->url.error)
		return call->url.error;
	ice_rest__collect_report(c);
	if (!call->no_token && (rc = ice_rest_auth__ensure(c)) != 0)
		return rc;
	if ((rc = build_headers(c, call, &h, &keyed)) != 0) {
		ice_http_headers__free(&h);
		return rc;
	}
	read_only = strcmp(call->method, "GET") == 0 || strcmp(call->method, "HEAD") == 0;
	memset(&signing, 0, sizeof(signing));
	signing.catalog = c;
	signing.table = call->table;
	signing.body = call->body;
	signing.body_len = call->body_len;
	signing.no_token = call->no_token;
	memset(&req, 0, sizeof(req));
	req.method = call->method;
	req.url = call->url.ptr;
	req.what = call->what;
	req.headers = h.items;
	req.nheaders = h.n;
	req.body = call->body;
	req.body_len = call->body_len;
	req.max_body = call->max_body ? call->max_body : DEFAULT_MAX_BODY;
	/* Safe to send again: reads, and mutations the server deduplicates. */
	req.idempotent = read_only || keyed;
	if (keyed)
		req.should_retry = retry_keyed;
	req.prepare = ice_rest_auth__prepare;
	req.prepare_payload = &signing;
	for (int round = 0;; round++) {
		ice_http_response__free(&call->resp);
		if ((rc = ice_http__perform(c->http, &req, &call->resp)) != 0) {
			if (!ice_error__is_oom())
				ice_error__prefix("%s", c->label);
			break;
		}
		/* Unauthorized or the session timed out: once more with a new token. */
		if (round == 0 && !call->no_token && (call->resp.status == 401 || call->resp.status == 419)) {
			bool renewed = false;
			if ((rc = ice_rest_auth__renew(c, &renewed)) != 0)
				break;
			if (renewed)
				continue;
		}
		break;
	}
	ice_http_headers__free(&h);
	return rc;
}

/* ---- failures ------------------------------------------------------------------------- */

static int code_for(long status, ice_rest_kind kind, const ice_rest_error_doc *doc)
{
	if (status >= 300 && status < 400)
		return ICE_ERROR;
	switch (status) {
	case 400:
		return kind == ICE_REST_TOKEN ? ICE_EAUTH : ICE_EINVALID;
	case 401:
	case 403:
	case 419:
		return ICE_EAUTH;
	case 404:
		return ICE_ENOTFOUND;
	case 405:
	case 406:
	case 501:
		return ICE_EUNSUPPORTED;
	case 409:
		if (kind == ICE_REST_COMMIT)
			return ICE_ECONFLICT;
		if (kind == ICE_REST_NAMESPACE && strstr(doc->type, "NotEmpty"))
			return ICE_EINVALID;
		return ICE_EEXISTS;
	case 422:
		return ICE_EINVALID;
	default:
		break;
	}
	/* A commit that met a server or gateway failure may have landed
	 * (the spec's 500, 502, 504 and Java's 503; any other 5xx likewise). */
	if (kind == ICE_REST_COMMIT && status >= 500 && status < 600)
		return ICE_ECOMMITUNKNOWN;
	return ICE_ERROR;
}

int ice_rest__fail(ice_rest_catalog *c, const ice_rest_call *call, ice_rest_kind kind)
{
	ice_rest_error_doc doc;
	long status = call->resp.status;
	bool parsed = ice_rest__parse_error(&doc, call->resp.body.ptr, call->resp.body.len);
	int code = code_for(status, kind, &doc);
	const char *tail = code == ICE_ECOMMITUNKNOWN ? " (commit state unknown)" : "";
	if (status >= 300 && status < 400)
		return ice_error__set(code, ICE_ERRCLASS_CATALOG,
		                      "%s: %s: unexpected redirect (%ld); redirects are not followed: set the catalog's uri "
		                      "to the server's own address",
		                      c->label, call->what, status);
	if (parsed && doc.type[0] && doc.message[0])
		return ice_error__set(code, ICE_ERRCLASS_CATALOG, "%s: %s: %ld %s: %s%s", c->label, call->what, status,
		                      doc.type, doc.message, tail);
	if (parsed && (doc.type[0] || doc.message[0]))
		return ice_error__set(code, ICE_ERRCLASS_CATALOG, "%s: %s: %ld %s%s", c->label, call->what, status,
		                      doc.type[0] ? doc.type : doc.message, tail);
	return ice_error__set(code, ICE_ERRCLASS_CATALOG, "%s: %s: HTTP %ld%s%s", c->label, call->what, status,
	                      call->resp.body.len ? " (no error document)" : "", tail);
}

int ice_rest__exchange(ice_rest_catalog *c, ice_rest_call *call, ice_rest_kind kind)
{
	int rc = ice_rest__send(c, call);
	if (rc)
		return rc;
	if (call->resp.status < 200 || call->resp.status > 299)
		return ice_rest__fail(c, call, kind);
	return 0;
}
