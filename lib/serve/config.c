/*
 * serve/config.c - the server's configuration: `key = value` lines from a
 * file or the command line.
 *
 *   catalog = /srv/warehouse          listen = 127.0.0.1:8181
 *   prefix = ice                      auth = none | bearer
 *   token.<principal> = <secret>      client.<client-id> = <secret>
 *   grant.<principal> = read:ns1 write:ns2.sub write:*
 *   token-lifetime = 3600             max-tokens = 10000
 *   tls.cert = FILE  tls.key = FILE
 *   vend-credentials = false          credentials.<s3.key> = <value>
 *   max-body = 16M  timeout = 30  max-connections = 256  threads = 8
 *
 * Error messages name the file, the line and the key, never a value (a
 * value may be a secret).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "ice/io.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static int bad(const char *key, const char *why)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: %s", key, why);
}

int ice_server_config_new(ice_server_config **out)
{
	ice_server_config *c = ice__calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return ICE_ERROR;
	c->auth = -1;
	c->token_lifetime_s = 3600;
	c->max_tokens = 10000;
	c->max_body = 16u << 20;
	c->timeout_s = 30;
	c->max_connections = 256;
	c->threads = 8;
	if (!(c->listen = ice__strdup("127.0.0.1:8181")) || !(c->prefix = ice__strdup("ice"))) {
		ice_server_config_free(c);
		return ICE_ERROR;
	}
	*out = c;
	return 0;
}

static void free_secrets(serve_secret *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ice__free(s[i].name);
		if (s[i].secret) {
			memset(s[i].secret, 0, strlen(s[i].secret));
			ice__free(s[i].secret);
		}
	}
	ice__free(s);
}

void ice_server_config_free(ice_server_config *c)
{
	if (!c)
		return;
	ice__free(c->catalog);
	ice__free(c->listen);
	ice__free(c->prefix);
	free_secrets(c->tokens, c->ntokens);
	free_secrets(c->clients, c->nclients);
	for (size_t i = 0; i < c->ngrants; i++) {
		ice__free(c->grants[i].principal);
		ice__free(c->grants[i].ns);
	}
	ice__free(c->grants);
	for (size_t i = 0; i < c->ncredentials; i++) {
		ice__free(c->credentials[i].key);
		if (c->credentials[i].value)
			memset(c->credentials[i].value, 0, strlen(c->credentials[i].value));
		ice__free(c->credentials[i].value);
	}
	ice__free(c->credentials);
	ice__free(c->tls_cert);
	ice__free(c->tls_key);
	ice__free(c);
}

const char *ice_server_config_catalog(const ice_server_config *c)
{
	return c->catalog;
}

const char *ice_server_config_listen(const ice_server_config *c)
{
	return c->listen;
}

static int set_str(char **slot, const char *value)
{
	char *v = ice__strdup(value);
	if (!v)
		return ICE_ERROR;
	ice__free(*slot);
	*slot = v;
	return 0;
}

/* A byte count with an optional K/M/G suffix. */
static bool parse_size(const char *v, size_t *out)
{
	size_t n = strlen(v);
	int64_t x, mult = 1;
	if (n && (v[n - 1] == 'K' || v[n - 1] == 'k'))
		mult = 1024, n--;
	else if (n && (v[n - 1] == 'M' || v[n - 1] == 'm'))
		mult = 1024 * 1024, n--;
	else if (n && (v[n - 1] == 'G' || v[n - 1] == 'g'))
		mult = 1024 * 1024 * 1024, n--;
	if (!ice_str__to_int64(v, n, &x) || x <= 0 || x > ((int64_t)1 << 40) / mult)
		return false;
	*out = (size_t)(x * mult);
	return true;
}

static bool parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	return ice_str__to_int64(v, strlen(v), out) && *out >= lo && *out <= hi;
}

/* A principal, client id or credential key: printable, no spaces. */
static bool plain_name(const char *s)
{
	if (!*s || strlen(s) > 200)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == ':')
			return false;
	return true;
}

static int add_secret(serve_secret **items, size_t *n, const char *key, const char *name, const char *value)
{
	if (!plain_name(name))
		return bad(key, "the name must be printable without spaces or ':'");
	if (strlen(value) < 8)
		return bad(key, "a secret needs at least 8 characters");
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*items)[i].name, name) == 0)
			return bad(key, "given twice");
	ice_error__secret(value, strlen(value)); /* never in a message or log line */
	serve_secret *grown = ice__reallocarray(*items, *n + 1, sizeof(**items));
	if (!grown)
		return ICE_ERROR;
	*items = grown;
	grown[*n].name = ice__strdup(name);
	grown[*n].secret = ice__strdup(value);
	(*n)++;
	return grown[*n - 1].name && grown[*n - 1].secret ? 0 : ICE_ERROR;
}

/* "read:ns write:ns2 ..." (spaces or commas between grants). */
static int add_grants(ice_server_config *c, const char *key, const char *principal, const char *value)
{
	const char *p = value;
	if (!plain_name(principal) && strcmp(principal, "*") != 0)
		return bad(key, "the principal must be printable without spaces");
	for (;;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		const char *end = p;
		while (*end && *end != ' ' && *end != ',' && *end != '\t')
			end++;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		int rights;
		if (!colon)
			return bad(key, "a grant is read:NAMESPACE or write:NAMESPACE");
		if ((size_t)(colon - p) == 4 && memcmp(p, "read", 4) == 0)
			rights = RIGHT_READ;
		else if ((size_t)(colon - p) == 5 && memcmp(p, "write", 5) == 0)
			rights = RIGHT_READ | RIGHT_WRITE;
		else
			return bad(key, "a grant is read:NAMESPACE or write:NAMESPACE");
		if (colon + 1 == end)
			return bad(key, "a grant needs a namespace (or *)");
		serve_grant *g = ice__reallocarray(c->grants, c->ngrants + 1, sizeof(*g));
		if (!g)
			return ICE_ERROR;
		c->grants = g;
		g[c->ngrants].principal = ice__strdup(principal);
		g[c->ngrants].ns = ice__strndup(colon + 1, (size_t)(end - colon - 1));
		g[c->ngrants].rights = rights;
		c->ngrants++;
		if (!g[c->ngrants - 1].principal || !g[c->ngrants - 1].ns)
			return ICE_ERROR;
		p = end;
	}
	return 0;
}

int ice_server_config_set(ice_server_config *c, const char *key, const char *value)
{
	int64_t n;
	if (!strcmp(key, "catalog"))
		return *value ? set_str(&c->catalog, value) : bad(key, "empty");
	if (!strcmp(key, "listen"))
		return strchr(value, ':') ? set_str(&c->listen, value) : bad(key, "expected HOST:PORT");
	if (!strcmp(key, "prefix")) {
		for (const char *p = value; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
			      *p == '_'))
				return bad(key, "letters, digits, '-' and '_' only");
		if (!strcmp(value, "namespaces") || !strcmp(value, "tables") || !strcmp(value, "transactions") ||
		    !strcmp(value, "config") || !strcmp(value, "oauth"))
			return bad(key, "reserved word");
		return set_str(&c->prefix, value);
	}
	if (!strcmp(key, "auth")) {
		if (!strcmp(value, "none"))
			c->auth = 0;
		else if (!strcmp(value, "bearer") || !strcmp(value, "token") || !strcmp(value, "oauth2"))
			c->auth = 1;
		else
			return bad(key, "expected none or bearer");
		return 0;
	}
	if (!strncmp(key, "token.", 6))
		return add_secret(&c->tokens, &c->ntokens, key, key + 6, value);
	if (!strncmp(key, "client.", 7))
		return add_secret(&c->clients, &c->nclients, key, key + 7, value);
	if (!strncmp(key, "grant.", 6))
		return add_grants(c, key, key + 6, value);
	if (!strcmp(key, "token-lifetime")) {
		if (!parse_int(value, 1, 30LL * 24 * 3600, &n))
			return bad(key, "expected seconds (1 to 30 days)");
		c->token_lifetime_s = n;
		return 0;
	}
	if (!strcmp(key, "max-tokens")) {
		if (!parse_int(value, 1, 10000000, &n))
			return bad(key, "expected a count");
		c->max_tokens = (size_t)n;
		return 0;
	}
	if (!strcmp(key, "tls.cert"))
		return set_str(&c->tls_cert, value);
	if (!strcmp(key, "tls.key"))
		return set_str(&c->tls_key, value);
	if (!strcmp(key, "vend-credentials")) {
		if (!strcmp(value, "true"))
			c->vend = true;
		else if (!strcmp(value, "false"))
			c->vend = false;
		else
			return bad(key, "expected true or false");
		return 0;
	}
	if (!strncmp(key, "credentials.", 12)) {
		const char *k = key + 12;
		if (!plain_name(k) || (strncmp(k, "s3.", 3) != 0 && strncmp(k, "client.", 7) != 0))
			return bad(key, "vended credentials are s3.* or client.* keys");
		serve_kv *kv = ice__reallocarray(c->credentials, c->ncredentials + 1, sizeof(*kv));
		if (!kv)
			return ICE_ERROR;
		c->credentials = kv;
		kv[c->ncredentials].key = ice__strdup(k);
		kv[c->ncredentials].value = ice__strdup(value);
		c->ncredentials++;
		return kv[c->ncredentials - 1].key && kv[c->ncredentials - 1].value ? 0 : ICE_ERROR;
	}
	if (!strcmp(key, "max-body"))
		return parse_size(value, &c->max_body) ? 0 : bad(key, "expected a size (e.g. 16M)");
	if (!strcmp(key, "timeout")) {
		if (!parse_int(value, 1, 3600, &n))
			return bad(key, "expected seconds (1 to 3600)");
		c->timeout_s = (int)n;
		return 0;
	}
	if (!strcmp(key, "max-connections")) {
		if (!parse_int(value, 1, 100000, &n))
			return bad(key, "expected a count");
		c->max_connections = (int)n;
		return 0;
	}
	if (!strcmp(key, "threads")) {
		if (!parse_int(value, 1, 256, &n))
			return bad(key, "expected a count (1 to 256)");
		c->threads = (int)n;
		return 0;
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: unknown key", key);
}

int ice_server_config_load(ice_server_config *c, const char *path)
{
	ice_io *io = NULL;
	uint8_t *data = NULL;
	size_t len = 0, line_no = 0;
	int rc;
	if ((rc = ice_io_new(&io)) == 0)
		rc = ice_io_read_all(io, path, 1 << 20, &data, &len);
	ice_io_free(io);
	if (rc)
		return rc;
	const char *p = (const char *)data, *end = p + len;
	while (!rc && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p;
		size_t n = (size_t)((nl ? nl : end) - p);
		char key[256], *value;
		line_no++;
		p = nl ? nl + 1 : end;
		ice_str__trim(&s, &n);
		if (n == 0 || s[0] == '#')
			continue;
		const char *eq = memchr(s, '=', n);
		if (!eq) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %zu: expected 'key = value'", path,
			                    line_no);
			break;
		}
		const char *k = s, *v = eq + 1;
		size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
		ice_str__trim(&k, &klen);
		ice_str__trim(&v, &vlen);
		if (klen == 0 || klen >= sizeof(key)) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %zu: bad key", path, line_no);
			break;
		}
		memcpy(key, k, klen);
		key[klen] = '\0';
		if (!(value = ice__strndup(v, vlen))) {
			rc = ICE_ERROR;
			break;
		}
		if ((rc = ice_server_config_set(c, key, value)) != 0)
			ice_error__prefix("%s: line %zu", path, line_no);
		memset(value, 0, vlen);
		ice__free(value);
	}
	memset(data, 0, len);
	ice__free(data);
	return rc;
}

int ice_server__config_copy(ice_server_config **out, const ice_server_config *c)
{
	ice_server_config *d;
	int rc = ice_server_config_new(&d);
	*out = NULL;
	if (rc)
		return rc;
	d->auth = c->auth;
	d->token_lifetime_s = c->token_lifetime_s;
	d->max_tokens = c->max_tokens;
	d->vend = c->vend;
	d->max_body = c->max_body;
	d->timeout_s = c->timeout_s;
	d->max_connections = c->max_connections;
	d->threads = c->threads;
	if ((c->catalog && set_str(&d->catalog, c->catalog)) || set_str(&d->listen, c->listen) ||
	    set_str(&d->prefix, c->prefix) || (c->tls_cert && set_str(&d->tls_cert, c->tls_cert)) ||
	    (c->tls_key && set_str(&d->tls_key, c->tls_key)))
		rc = ICE_ERROR;
	for (size_t i = 0; !rc && i < c->ntokens; i++)
		rc = add_secret(&d->tokens, &d->ntokens, "token", c->tokens[i].name, c->tokens[i].secret);
	for (size_t i = 0; !rc && i < c->nclients; i++)
		rc = add_secret(&d->clients, &d->nclients, "client", c->clients[i].name, c->clients[i].secret);
	for (size_t i = 0; !rc && i < c->ngrants; i++) {
		serve_grant *g = ice__reallocarray(d->grants, d->ngrants + 1, sizeof(*g));
		if (!g) {
			rc = ICE_ERROR;
			break;
		}
		d->grants = g;
		g[d->ngrants] = c->grants[i];
		g[d->ngrants].principal = ice__strdup(c->grants[i].principal);
		g[d->ngrants].ns = ice__strdup(c->grants[i].ns);
		d->ngrants++;
		if (!g[d->ngrants - 1].principal || !g[d->ngrants - 1].ns)
			rc = ICE_ERROR;
	}
	for (size_t i = 0; !rc && i < c->ncredentials; i++) {
		serve_kv *kv = ice__reallocarray(d->credentials, d->ncredentials + 1, sizeof(*kv));
		if (!kv) {
			rc = ICE_ERROR;
			break;
		}
		d->credentials = kv;
		kv[d->ncredentials].key = ice__strdup(c->credentials[i].key);
		kv[d->ncredentials].value = ice__strdup(c->credentials[i].value);
		d->ncredentials++;
		if (!kv[d->ncredentials - 1].key || !kv[d->ncredentials - 1].value)
			rc = ICE_ERROR;
	}
	if (rc) {
		ice_server_config_free(d);
		return rc;
	}
	*out = d;
	return 0;
}
