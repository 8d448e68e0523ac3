/*
 * rest/config.c - a REST catalog's configuration and opening it: the
 * client's properties (the configuration file's catalog.<name>.* keys or
 * the caller's, then the environment), the HTTP client they describe, the
 * first request every client makes (GET /v1/config, spec "Configuration
 * API"): the server's defaults go under the client's properties and its
 * overrides over them, and its `prefix`, `namespace-separator`,
 * `endpoints` and `idempotency-key-lifetime` shape every later request.
 *
 * Keys follow Java's and PyIceberg's names: uri, warehouse, prefix,
 * credential, token, oauth2-server-uri, scope, audience, resource,
 * header.<name>, rest.sigv4-enabled, rest.signing-region,
 * rest.signing-name, rest.access-key-id, rest.secret-access-key,
 * rest.session-token, ssl.ca-bundle (PyIceberg's ssl.cabundle too),
 * rest.client.connection-timeout-ms, rest.client.socket-timeout-ms,
 * rest.client.request-timeout-ms, rest.client.max-retries,
 * snapshot-loading-mode (all | refs), rest-metrics-reporting-enabled.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"

extern char **environ;

/* ---- the property map ------------------------------------------------------------- */

int ice_rest_props__setn(ice_rest_props *p, const char *key, size_t klen, const char *value, size_t vlen)
{
	ice_property *items = (ice_property *)p->view.items;
	char *k, *v;
	ice_error__secret_property(key, klen, value, vlen); /* masked in every message from now on */
	for (size_t i = 0; i < p->view.n; i++) {
		if (strlen(items[i].key) == klen && memcmp(items[i].key, key, klen) == 0) {
			if (!(v = ice__strndup(value, vlen)))
				return ICE_ERROR;
			ice__free((char *)items[i].value);
			items[i].value = v;
			return 0;
		}
	}
	if (p->view.n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		if (!(items = ice__reallocarray(items, ncap, sizeof(*items))))
			return ICE_ERROR;
		p->view.items = items;
		p->cap = ncap;
	}
	if (!(k = ice__strndup(key, klen)))
		return ICE_ERROR;
	if (!(v = ice__strndup(value, vlen))) {
		ice__free(k);
		return ICE_ERROR;
	}
	items[p->view.n].key = k;
	items[p->view.n].value = v;
	p->view.n++;
	return 0;
}

int ice_rest_props__set(ice_rest_props *p, const char *key, const char *value)
{
	return ice_rest_props__setn(p, key, strlen(key), value, strlen(value));
}

const char *ice_rest_props__get(const ice_rest_props *p, const char *key)
{
	return ice_properties_get(&p->view, key);
}

int ice_rest_props__merge(ice_rest_props *p, const ice_properties *more)
{
	int rc = 0;
	for (size_t i = 0; more && i < more->n && !rc; i++)
		rc = ice_rest_props__set(p, more->items[i].key, more->items[i].value);
	return rc;
}

void ice_rest_props__free(ice_rest_props *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->view.n; i++) {
		ice__free((char *)p->view.items[i].key);
		ice__free((char *)p->view.items[i].value);
	}
	ice__free((ice_property *)p->view.items);
	memset(p, 0, sizeof(*p));
}

/* ---- the client's properties ----------------------------------------------------------- */

/* ENV_NAME_KEY_PART -> key: lower case, "__" -> ".", "_" -> "-". */
static int env_key(ice_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '_' && i + 1 < n && s[i + 1] == '_') {
			ice_buf__putc(out, '.');
			i++;
		} else if (ch == '_') {
			ice_buf__putc(out, '-');
		} else {
			ice_buf__putc(out, (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch));
		}
	}
	return out->error;
}

int ice_rest__client_props(ice_rest_props *out, const char *name, const ice_properties *given)
{
	ice_buf prefix = ICE_BUF_INIT, key = ICE_BUF_INIT;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = ice_rest_props__merge(out, given)) != 0)
		goto done;
	if (name) {
		ice_buf__puts(&prefix, "ICE_CATALOG__");
		for (const char *p = name; *p; p++)
			ice_buf__putc(&prefix, *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
		ice_buf__puts(&prefix, "__");
	} else {
		ice_buf__puts(&prefix, "ICE_REST_");
	}
	if ((rc = prefix.error) != 0)
		goto done;
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || (size_t)(eq - *e) <= prefix.len || strncmp(*e, prefix.ptr, prefix.len) != 0)
			continue;
		ice_buf__clear(&key);
		if ((rc = env_key(&key, *e + prefix.len, (size_t)(eq - *e) - prefix.len)) != 0 ||
		    (rc = ice_rest_props__set(out, key.ptr, eq + 1)) != 0)
			goto done;
	}
done:
	ice_buf__free(&prefix);
	ice_buf__free(&key);
	if (rc)
		ice_rest_props__free(out);
	return rc;
}

/* ---- typed values ------------------------------------------------------------------ */

static int bad_value(const ice_rest_catalog *c, const char *key, const char *why)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: %s: %s", c->label, key, why);
}

int ice_rest__prop_bool(const ice_rest_catalog *c, const char *key, bool fallback, bool *out)
{
	const char *v = ice_rest_props__get(&c->props, key);
	*out = fallback;
	if (!v || !*v)
		return 0;
	if (ice_str__ieq(v, strlen(v), "true", 4))
		*out = true;
	else if (ice_str__ieq(v, strlen(v), "false", 5))
		*out = false;
	else
		return bad_value(c, key, "expected true or false");
	return 0;
}

int ice_rest__prop_int(const ice_rest_catalog *c, const char *key, int64_t lo, int64_t hi, int64_t fallback,
                       int64_t *out)
{
	const char *v = ice_rest_props__get(&c->props, key);
	int64_t n;
	*out = fallback;
	if (!v || !*v)
		return 0;
	if (!ice_str__to_int64(v, strlen(v), &n) || n < lo || n > hi) {
		char why[96];
		snprintf(why, sizeof(why), "expected an integer from %lld to %lld", (long long)lo, (long long)hi);
		return bad_value(c, key, why);
	}
	*out = n;
	return 0;
}

/* ---- endpoints ----------------------------------------------------------------------- */

/* The spec's set when a server lists none (GET /v1/config). */
static const char *const default_routes[] = {
	"GET /v1/{prefix}/namespaces",
	"POST /v1/{prefix}/namespaces",
	"GET /v1/{prefix}/namespaces/{namespace}",
	"DELETE /v1/{prefix}/namespaces/{namespace}",
	"POST /v1/{prefix}/namespaces/{namespace}/properties",
	"GET /v1/{prefix}/namespaces/{namespace}/tables",
	"POST /v1/{prefix}/namespaces/{namespace}/tables",
	"GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"POST /v1/{prefix}/namespaces/{namespace}/register",
	"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
	"POST /v1/{prefix}/tables/rename",
	"POST /v1/{prefix}/transactions/commit",
};

/* Same route, ignoring a missing '/' before the path (servers write
 * "POST v1/oauth/tokens") and repeated spaces. */
static bool same_route(const char *a, const char *b)
{
	const char *sa = strchr(a, ' '), *sb = strchr(b, ' ');
	if (!sa || !sb || sa - a != sb - b || strncmp(a, b, (size_t)(sa - a)) != 0)
		return false;
	while (*sa == ' ')
		sa++;
	while (*sb == ' ')
		sb++;
	if (*sa == '/')
		sa++;
	if (*sb == '/')
		sb++;
	return strcmp(sa, sb) == 0;
}

bool ice_rest__supports(const ice_rest_catalog *c, const char *route)
{
	if (!c->endpoints_listed) {
		for (size_t i = 0; i < sizeof(default_routes) / sizeof(default_routes[0]); i++)
			if (same_route(default_routes[i], route))
				return true;
		return false;
	}
	for (size_t i = 0; i < c->n_endpoints; i++)
		if (same_route(c->endpoints[i], route))
			return true;
	return false;
}

/* ---- opening -------------------------------------------------------------------------- */

static int set_str(char **dst, const char *v)
{
	char *s = NULL;
	if (v && !(s = ice__strdup(v)))
		return ICE_ERROR;
	ice__free(*dst);
	*dst = s;
	return 0;
}

static int set_base_url(ice_rest_catalog *c, const char *uri)
{
	size_t n = strlen(uri);
	if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0)
		return bad_value(c, "uri", "expected an http:// or https:// URL");
	while (n > 0 && uri[n - 1] == '/')
		n--;
	char *s = ice__strndup(uri, n);
	if (!s)
		return ICE_ERROR;
	ice__free(c->base_url);
	c->base_url = s;
	return 0;
}

/* header.<name> = value: the headers every request carries. */
static int collect_headers(ice_rest_catalog *c)
{
	const ice_properties *p = &c->props.view;
	int rc = 0;
	ice_http_headers__clear(&c->headers);
	ice__free(c->delegation);
	c->delegation = ice__strdup("vended-credentials");
	if (!c->delegation)
		return ICE_ERROR;
	for (size_t i = 0; i < p->n && !rc; i++) {
		const char *k = p->items[i].key;
		if (strncmp(k, "header.", 7) != 0 || !k[7])
			continue;
		if (ice_str__ieq(k + 7, strlen(k + 7), "X-Iceberg-Access-Delegation", 27)) {
			/* The client's own choice, "" to ask for nothing. */
			rc = set_str(&c->delegation, *p->items[i].value ? p->items[i].value : NULL);
			continue;
		}
		if (strpbrk(k + 7, "\r\n: ") || strpbrk(p->items[i].value, "\r\n"))
			return bad_value(c, k, "not a valid header");
		rc = ice_http_headers__add(&c->headers, k + 7, p->items[i].value);
	}
	return rc;
}

static int make_http(ice_rest_catalog *c)
{
	ice_http_options o;
	int64_t connect_ms, socket_ms, request_ms, retries;
	int rc;
	memset(&o, 0, sizeof(o));
	/* A REST exchange is small: the socket timeout (Java's: no byte for
	 * that long) also bounds each attempt as a whole, which catches a
	 * server that takes the request and never answers. */
	if ((rc = ice_rest__prop_int(c, "rest.client.connection-timeout-ms", 1, 3600000, 10000, &connect_ms)) ||
	    (rc = ice_rest__prop_int(c, "rest.client.socket-timeout-ms", 1, 86400000, 120000, &socket_ms)) ||
	    (rc = ice_rest__prop_int(c, "rest.client.request-timeout-ms", 0, 86400000, socket_ms, &request_ms)) ||
	    (rc = ice_rest__prop_int(c, "rest.client.max-retries", 0, 20, 5, &retries)))
		return rc;
	o.max_connections = 4;
	o.connect_timeout_ms = connect_ms;
	o.stall_timeout_ms = socket_ms;
	o.request_timeout_ms = request_ms;
	o.retry.max_retries = (int)retries;
	o.retry.min_wait_ms = 100;
	o.retry.max_wait_ms = 10000;
	o.ca_file = ice_rest_props__get(&c->props, "ssl.ca-bundle");
	if (!o.ca_file)
		o.ca_file = ice_rest_props__get(&c->props, "ssl.cabundle");
	/* Made again after GET /v1/config only when the server's defaults or
	 * overrides changed a setting, so its kept-alive connection serves the
	 * requests that follow. */
	ice_buf key = ICE_BUF_INIT;
	ice_buf__printf(&key, "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s", connect_ms, socket_ms, request_ms,
	                retries, o.ca_file ? o.ca_file : "");
	if (key.error) {
		ice_buf__free(&key);
		return ICE_ERROR;
	}
	if (c->http && c->http_key && strcmp(c->http_key, ice_buf__cstr(&key)) == 0) {
		ice_buf__free(&key);
		return 0;
	}
	ice_http_client__free(c->http);
	ice__free(c->http_key);
	c->http = NULL;
	c->http_key = ice_buf__detach(&key, NULL);
	if (!c->http_key)
		return ICE_ERROR;
	return ice_http_client__new(&c->http, &o);
}

/* GET /v1/config[?warehouse=W]. */
static int fetch_config(ice_rest_catalog *c, ice_rest_config_doc *doc)
{
	ice_rest_call call;
	const char *warehouse = ice_rest_props__get(&c->props, "warehouse");
	int rc;
	ice_rest_call__init(&call, "GET", NULL, "GET /v1/config");
	ice_buf__printf(&call.url, "%s/v1/config", c->base_url);
	if (warehouse && *warehouse) {
		ice_buf__puts(&call.url, "?warehouse=");
		ice_http__url_encode(&call.url, warehouse, strlen(warehouse), false);
	}
	call.max_body = (size_t)4 << 20;
	if ((rc = call.url.error) == 0 && (rc = ice_rest__exchange(c, &call, ICE_REST_OTHER)) == 0 &&
	    (rc = ice_rest__parse_config(doc, call.resp.body.ptr, call.resp.body.len, call.what)) != 0)
		ice_error__prefix("%s", c->label);
	ice_rest_call__free(&call);
	return rc;
}

/* defaults < client < overrides, then what follows from the result. */
static int apply_config(ice_rest_catalog *c, ice_rest_config_doc *doc)
{
	ice_rest_props merged = {0};
	const char *v;
	int rc;
	if ((rc = ice_rest_props__merge(&merged, &doc->defaults.view)) != 0 ||
	    (rc = ice_rest_props__merge(&merged, &c->props.view)) != 0 ||
	    (rc = ice_rest_props__merge(&merged, &doc->overrides.view)) != 0) {
		ice_rest_props__free(&merged);
		return rc;
	}
	ice_rest_props__free(&c->props);
	c->props = merged;
	c->endpoints = doc->endpoints;
	c->n_endpoints = doc->n_endpoints;
	c->endpoints_listed = doc->has_endpoints;
	doc->endpoints = NULL;
	doc->n_endpoints = 0;
	c->idempotency_lifetime_ms = doc->idempotency_lifetime_ms;
	/* The server may send its clients elsewhere. */
	if ((v = ice_rest_props__get(&doc->overrides, "uri")) && *v && (rc = set_base_url(c, v)) != 0)
		return rc;
	ice__free(c->prefix);
	c->prefix = NULL;
	if ((v = ice_rest_props__get(&c->props, "prefix")) && *v) {
		ice_buf b = ICE_BUF_INIT;
		while (*v == '/')
			v++;
		size_t n = strlen(v);
		while (n && v[n - 1] == '/')
			n--;
		if (n) {
			if ((rc = ice_http__url_encode(&b, v, n, true)) != 0) {
				ice_buf__free(&b);
				return rc;
			}
			c->prefix = ice_buf__detach(&b, NULL);
			if (!c->prefix)
				return ICE_ERROR;
		}
	}
	v = ice_rest_props__get(&c->props, "namespace-separator");
	if ((rc = set_str(&c->separator, v && *v ? v : "%1F")) != 0)
		return rc;
	if ((v = ice_rest_props__get(&c->props, "snapshot-loading-mode")) && *v) {
		if (strcmp(v, "refs") == 0)
			c->refs_only = true;
		else if (strcmp(v, "all") != 0)
			return bad_value(c, "snapshot-loading-mode", "expected all or refs");
	}
	if ((rc = ice_rest__prop_bool(c, "rest-metrics-reporting-enabled", true, &c->metrics_enabled)) != 0)
		return rc;
	return collect_headers(c);
}

static void rest_free(ice_catalog *base)
{
	ice_rest_catalog *c = (ice_rest_catalog *)base;
	ice_rest__collect_report(c);
	ice_http_client__free(c->http);
	ice__free(c->http_key);
	ice_rest_auth__free(&c->auth);
	ice_http_headers__free(&c->headers);
	for (size_t i = 0; i < c->n_endpoints; i++)
		ice__free(c->endpoints[i]);
	ice__free(c->endpoints);
	ice_rest_props__free(&c->props);
	ice__free(c->delegation);
	ice__free(c->separator);
	ice__free(c->prefix);
	ice__free(c->base_url);
	ice__free(c->label);
	ice__free(base->uri);
	ice__free(c);
}

int ice_rest_catalog__open(ice_catalog **out, const ice_io *io, const char *uri, const char *name,
                           const ice_properties *props)
{
	ice_rest_catalog *c;
	ice_rest_config_doc doc;
	int rc;
	*out = NULL;
	memset(&doc, 0, sizeof(doc));
	if (!(c = ice__calloc(1, sizeof(*c))))
		return ICE_ERROR;
	c->base.ops = &ice_rest__ops;
	c->base.io = io;
	if (pthread_mutex_init(&c->auth.mu, NULL) != 0) {
		ice__free(c);
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "REST catalog: cannot create a lock");
	}
	if (!(c->base.uri = ice__strdup(uri)) || !(c->label = name ? ice__strdup(name) : ice_uri__redacted(uri)) ||
	    !(c->separator = ice__strdup("%1F"))) {
		rc = ICE_ERROR;
		goto fail;
	}
	if ((rc = ice_rest__client_props(&c->props, name, props)) != 0)
		goto fail;
	/* A configured catalog's uri may come from the environment (which
	 * wins over the file); a catalog opened by URL goes there. */
	const char *named_uri = name ? ice_rest_props__get(&c->props, "uri") : NULL;
	if ((rc = set_base_url(c, named_uri && *named_uri ? named_uri : uri)) != 0 || (rc = collect_headers(c)) != 0 ||
	    (rc = make_http(c)) != 0 ||
	    (rc = ice_rest_auth__init(c)) != 0 || (rc = ice_rest_auth__ensure(c)) != 0)
		goto fail;
	if ((rc = fetch_config(c, &doc)) != 0 || (rc = apply_config(c, &doc)) != 0)
		goto fail;
	/* Server defaults and overrides may carry client settings too. */
	if ((rc = make_http(c)) != 0 || (rc = ice_rest_auth__init(c)) != 0 || (rc = ice_rest_auth__ensure(c)) != 0)
		goto fail;
	ice_rest_config_doc__free(&doc);
	*out = &c->base;
	return 0;
fail:
	ice_rest_config_doc__free(&doc);
	rest_free(&c->base);
	return rc;
}

void ice_rest__free(ice_catalog *base)
{
	rest_free(base);
}
