/*
 * serve/server.c - the server object and one request's way through it:
 * authentication, routing of the REST OpenAPI paths (with or without the
 * advertised prefix), and the replies every handler shares: results, 204s and
 * the spec's ErrorModel ({"error": {"message", "type", "code"}}), with the
 * library's error codes mapped to the status codes and exception types the
 * reference implementation (Java's RESTCatalogAdapter) answers with.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

/* ---- lifecycle -------------------------------------------------------------- */

static bool loopback_host(const char *listen)
{
	return !strncmp(listen, "127.", 4) || !strncmp(listen, "localhost:", 10) || !strncmp(listen, "[::1]:", 6);
}

int ice_server_new(ice_server **out, ice_catalog *catalog, const ice_server_config *config)
{
	ice_server *s;
	ice_server_config *cfg;
	int rc;
	*out = NULL;
	if ((rc = ice_server__config_copy(&cfg, config)) != 0)
		return rc;
	if (cfg->auth < 0)
		cfg->auth = cfg->ntokens || cfg->nclients ? 1 : 0;
	if (cfg->auth == 1 && !cfg->ntokens && !cfg->nclients)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                    "auth = bearer needs static tokens (token.NAME) or OAuth2 clients (client.ID)");
	else if (cfg->auth == 0 && !loopback_host(cfg->listen))
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                    "%s: authentication can be off (auth = none) only on a loopback address", cfg->listen);
	else if (!cfg->tls_cert != !cfg->tls_key)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "TLS needs both tls.cert and tls.key");
	else if (cfg->vend && !cfg->ncredentials)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                    "vend-credentials = true needs credentials.s3.* keys to hand out");
	if (rc) {
		ice_server_config_free(cfg);
		return rc;
	}
	if (!(s = ice__calloc(1, sizeof(*s)))) {
		ice_server_config_free(cfg);
		return ICE_ERROR;
	}
	s->catalog = catalog;
	s->cfg = cfg;
	for (int i = 0; i < SERVE_LOCK_STRIPES; i++) {
		pthread_mutex_init(&s->stripes[i], NULL);
		pthread_mutex_init(&s->queues[i].lock, NULL);
		pthread_cond_init(&s->queues[i].changed, NULL);
	}
	if ((rc = serve_tokens_init(&s->tokens)) != 0) {
		ice_server_free(s);
		return rc;
	}
	atomic_init(&s->stopping, false);
	*out = s;
	return 0;
}

void ice_server_free(ice_server *s)
{
	if (!s)
		return;
	ice_server_stop(s, 0);
	serve_tokens_free(&s->tokens);
	for (int i = 0; i < SERVE_LOCK_STRIPES; i++) {
		pthread_mutex_destroy(&s->stripes[i]);
		pthread_mutex_destroy(&s->queues[i].lock);
		pthread_cond_destroy(&s->queues[i].changed);
	}
	ice_server_config_free(s->cfg);
	ice__free(s);
}

void ice_server_set_log(ice_server *s, ice_server_log_fn fn, void *payload)
{
	s->log = fn;
	s->log_payload = payload;
}

int ice_server_listen(ice_server *s)
{
	return serve_http_start(s);
}

int ice_server_port(const ice_server *s)
{
	return serve_http_port(s);
}

void ice_server_stop(ice_server *s, int grace_ms)
{
	atomic_store(&s->stopping, true);
	serve_http_stop(s, grace_ms);
}

void ice_server_response_free(ice_server_response *resp)
{
	if (!resp)
		return;
	ice__free(resp->body);
	ice__free(resp->etag);
	ice__free(resp->principal);
	memset(resp, 0, sizeof(*resp));
}

/* ---- replies ---------------------------------------------------------------- */

ice_json_writer *serve_reply(serve_req *r, int status)
{
	ice_jw__free(&r->w);
	ice_jw__init(&r->w, ICE_JSON_COMPACT);
	r->status = status;
	r->has_body = true;
	return &r->w;
}

int serve_no_content(serve_req *r)
{
	ice_jw__free(&r->w);
	ice_jw__init(&r->w, ICE_JSON_COMPACT);
	r->status = 204;
	r->has_body = false;
	return 0;
}

int serve_error(serve_req *r, int status, const char *type, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ice_json_writer *w = serve_reply(r, status);
	ice_json_begin_object(w);
	ice_json_key(w, "error");
	ice_json_begin_object(w);
	ice_json_key(w, "message");
	/* Messages may quote request bytes: keep them valid UTF-8. */
	size_t n = strlen(msg);
	if (!ice_utf8__valid((const uint8_t *)msg, n))
		ice_json_string(w, "(request text that is not UTF-8)");
	else
		ice_json_string_n(w, msg, n);
	ice_json_key(w, "type");
	ice_json_string(w, type);
	ice_json_key(w, "code");
	ice_json_int(w, status);
	ice_json_end_object(w);
	ice_json_end_object(w);
	return 0;
}

int serve_fail(serve_req *r, int rc, const char *what)
{
	const ice_error *e = ice_error_last();
	const char *msg = e && e->message[0] ? e->message : ice_error_code_name(rc);
	if (ice_error__is_oom())
		return serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
	switch (rc) {
	case ICE_ENOTFOUND:
		if (what && !strcmp(what, "namespace"))
			return serve_error(r, 404, "NoSuchNamespaceException", "%s", msg);
		return serve_error(r, 404, "NoSuchTableException", "%s", msg);
	case ICE_EEXISTS: return serve_error(r, 409, "AlreadyExistsException", "%s", msg);
	case ICE_EINVALID: return serve_error(r, 400, "ValidationException", "%s", msg);
	case ICE_EUNSUPPORTED: return serve_error(r, 406, "UnsupportedOperationException", "%s", msg);
	case ICE_ECONFLICT: return serve_error(r, 409, "CommitFailedException", "%s", msg);
	case ICE_ECOMMITUNKNOWN: return serve_error(r, 500, "CommitStateUnknownException", "%s", msg);
	case ICE_EAUTH: return serve_error(r, 403, "ForbiddenException", "%s", msg);
	default: return serve_error(r, 500, "InternalServerError", "%s", msg);
	}
}

int serve_parse_body(serve_req *r)
{
	int rc;
	if (!r->rq->body || r->rq->body_len == 0) {
		serve_error(r, 400, "BadRequestException", "the request needs a JSON body");
		return 1;
	}
	if ((rc = ice_json__parse(&r->body, r->rq->body, r->rq->body_len, "request body")) != 0) {
		if (ice_error__is_oom())
			serve_fail(r, rc, NULL);
		else
			serve_error(r, 400, "BadRequestException", "malformed JSON: %s", ice_error_last()->message);
		return 1;
	}
	if (ice_json__type(r->body) != ICE_JSON_OBJECT) {
		serve_error(r, 400, "BadRequestException", "the request body must be a JSON object");
		return 1;
	}
	return 0;
}

char *serve_query(const serve_req *r, const char *name)
{
	const char *q = r->rq->query;
	size_t nlen = strlen(name);
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len;
		char *key = NULL;
		if (serve_decode(q, klen, true, &key) && strcmp(key, name) == 0 && strlen(key) == nlen) {
			char *value = NULL;
			ice__free(key);
			if (!eq)
				return ice__strdup("");
			if (serve_decode(eq + 1, len - klen - 1, true, &value))
				return value;
			return NULL;
		}
		ice__free(key);
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* ---- routing ---------------------------------------------------------------- */

static bool is(const serve_req *r, size_t i, const char *word)
{
	return i < r->nseg && strcmp(r->seg[i], word) == 0;
}

static bool method(const serve_req *r, const char *m)
{
	return strcmp(r->rq->method, m) == 0;
}

static int no_route(serve_req *r)
{
	return serve_error(r, 400, "BadRequestException", "No route for request: %s %s", r->rq->method, r->rq->path);
}

/* Splits the path after /v1/ into decoded segments. */
static int split_path(serve_req *r)
{
	const char *p = r->rq->path;
	if (strncmp(p, "/v1/", 4) != 0)
		return 1;
	p += 4;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (r->nseg == SERVE_MAX_SEGMENTS || len == 0 || len > 4096)
			return 1;
		if (!serve_decode(p, len, false, &r->seg[r->nseg]))
			return 1;
		r->nseg++;
		if (!slash)
			break;
		p = slash + 1;
		if (!*p)
			return 1; /* a trailing slash */
	}
	return r->nseg ? 0 : 1;
}

static int route_namespace(serve_req *r, size_t at)
{
	char *ns = NULL;
	int rc = 0;
	if (!serve_ns_from_text(r, r->seg[at], &ns))
		return 0;
	size_t rest = r->nseg - at - 1;
	if (rest == 0) {
		if (method(r, "GET"))
			rc = serve_load_namespace(r, ns);
		else if (method(r, "HEAD"))
			rc = serve_namespace_exists(r, ns);
		else if (method(r, "DELETE"))
			rc = serve_drop_namespace(r, ns);
		else
			rc = no_route(r);
	} else if (rest == 1 && is(r, at + 1, "properties") && method(r, "POST")) {
		rc = serve_update_namespace(r, ns);
	} else if (rest == 1 && is(r, at + 1, "tables")) {
		if (method(r, "GET"))
			rc = serve_list_tables(r, ns);
		else if (method(r, "POST"))
			rc = serve_create_table(r, ns);
		else
			rc = no_route(r);
	} else if (rest == 1 && is(r, at + 1, "register") && method(r, "POST")) {
		rc = serve_register_table(r, ns);
	} else if ((rest == 2 || rest == 3) && is(r, at + 1, "tables")) {
		const char *name = r->seg[at + 2];
		if (!serve_check_name(r, name, "table name"))
			rc = 0;
		else if (rest == 3 && is(r, at + 3, "metrics") && method(r, "POST"))
			rc = serve_report_metrics(r, ns, name);
		else if (rest == 3)
			rc = no_route(r);
		else if (method(r, "GET"))
			rc = serve_load_table(r, ns, name);
		else if (method(r, "HEAD"))
			rc = serve_table_exists(r, ns, name);
		else if (method(r, "POST"))
			rc = serve_commit_table(r, ns, name);
		else if (method(r, "DELETE"))
			rc = serve_drop_table(r, ns, name);
		else
			rc = no_route(r);
	} else {
		rc = no_route(r);
	}
	ice__free(ns);
	return rc;
}

static int route(serve_req *r)
{
	if (split_path(r) != 0)
		return no_route(r);
	if (r->nseg == 2 && is(r, 0, "oauth") && is(r, 1, "tokens"))
		return method(r, "POST") ? serve_oauth_tokens(r) : no_route(r);
	if (serve_authenticate(r) != 0)
		return 0;
	if (r->nseg == 1 && is(r, 0, "config"))
		return method(r, "GET") ? serve_config(r) : no_route(r);
	size_t at = 0;
	/* /v1/{prefix}/...: the prefix the configuration advertises. */
	if (r->nseg >= 2 && is(r, 0, r->s->cfg->prefix))
		at = 1;
	if (is(r, at, "namespaces")) {
		if (r->nseg == at + 1) {
			if (method(r, "GET"))
				return serve_list_namespaces(r);
			if (method(r, "POST"))
				return serve_create_namespace(r);
			return no_route(r);
		}
		return route_namespace(r, at + 1);
	}
	if (r->nseg == at + 2 && is(r, at, "tables") && is(r, at + 1, "rename"))
		return method(r, "POST") ? serve_rename_table(r) : no_route(r);
	if (r->nseg == at + 2 && is(r, at, "transactions") && is(r, at + 1, "commit"))
		return method(r, "POST") ? serve_commit_transaction(r) : no_route(r);
	return no_route(r);
}

int ice_server_handle(ice_server *s, const ice_server_request *rq, ice_server_response *resp)
{
	serve_req r;
	const char *text;
	size_t len;
	int rc;
	memset(resp, 0, sizeof(*resp));
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.rq = rq;
	ice_jw__init(&r.w, ICE_JSON_COMPACT);
	if (!rq->method || !rq->path) {
		rc = serve_error(&r, 400, "BadRequestException", "no method or path");
	} else {
		rc = route(&r);
	}
	if (rc != 0 || r.status == 0)
		serve_fail(&r, rc ? rc : ICE_ERROR, NULL);
	if (r.has_body && ice_json_writer_finish(&r.w, &text, &len) != 0) {
		/* Even the error reply could not be built: a fixed one. */
		static const char oom[] =
		    "{\"error\":{\"message\":\"out of memory\",\"type\":\"ServiceUnavailableException\",\"code\":503}}";
		r.status = 503;
		text = oom;
		len = sizeof(oom) - 1;
	}
	resp->status = r.status;
	rc = 0;
	if (r.has_body) {
		if (!(resp->body = ice__malloc(len + 1)))
			rc = ICE_ERROR;
		else {
			memcpy(resp->body, text, len);
			resp->body[len] = '\0';
			resp->body_len = len;
		}
	}
	resp->etag = r.etag;
	if (r.principal && !(resp->principal = ice__strdup(r.principal)))
		rc = ICE_ERROR;
	ice_jw__free(&r.w);
	ice_json__free(r.body);
	ice__free(r.principal_owned);
	for (size_t i = 0; i < r.nseg; i++)
		ice__free(r.seg[i]);
	if (rc)
		ice_server_response_free(resp);
	return rc;
}
