/*
 * rest/parse.c - the documents a REST catalog server sends, read with
 * path-aware errors ("GET db.events: $.metadata.schemas[0]: ..."): the
 * ErrorModel and OAuth errors, CatalogConfig, OAuthTokenResponse,
 * ListNamespacesResponse, ListTablesResponse, GetNamespaceResponse and
 * LoadTableResult (spec components/schemas). A server is not trusted: types
 * are checked, names are checked before they become ice names, sizes come
 * capped from the HTTP layer. Fuzzed by tests/fuzz/fuzz_rest.c.
 */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "internal.h"
#include "spec/model.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

/* ---- errors ---------------------------------------------------------------------- */

/* Copies `s` as one printable line of at most cap-1 bytes. */
static void one_line(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	/* Do not end inside a UTF-8 sequence. */
	while (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
		o--;
	if (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0xC0)
		o--;
	dst[o] = '\0';
}

bool ice_rest__parse_error(ice_rest_error_doc *out, const char *body, size_t len)
{
	ice_json *root = NULL, *err, *v;
	const char *s;
	size_t n;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	if (!body || !len || ice_json__parse(&root, body, len, "error") != 0) {
		ice_error_clear();
		return false;
	}
	if (ice_json__type(root) != ICE_JSON_OBJECT || !(err = ice_json__get(root, "error")))
		goto done;
	if (ice_json__type(err) == ICE_JSON_OBJECT) {
		/* IcebergErrorResponse */
		if ((v = ice_json__get(err, "type")) && ice_json__type(v) == ICE_JSON_STRING && (s = ice_json__str(v, &n)))
			one_line(out->type, sizeof(out->type), s, n);
		if ((v = ice_json__get(err, "message")) && ice_json__type(v) == ICE_JSON_STRING &&
		    (s = ice_json__str(v, &n)))
			one_line(out->message, sizeof(out->message), s, n);
		if ((v = ice_json__get(err, "code")) && ice_json__type(v) == ICE_JSON_INT)
			out->code = (long)ice_json__int(v);
		ok = out->type[0] || out->message[0];
	} else if (ice_json__type(err) == ICE_JSON_STRING) {
		/* OAuthError: {"error": "invalid_client", "error_description": "..."} */
		s = ice_json__str(err, &n);
		one_line(out->type, sizeof(out->type), s, n);
		if ((v = ice_json__get(root, "error_description")) && ice_json__type(v) == ICE_JSON_STRING &&
		    (s = ice_json__str(v, &n)))
			one_line(out->message, sizeof(out->message), s, n);
		ok = true;
	}
done:
	ice_json__free(root);
	ice_error_clear();
	return ok;
}

/* ---- helpers ------------------------------------------------------------------------ */

static int parse_root(ice_json **root, ice_jr *r, const char *body, size_t len, const char *what)
{
	int rc;
	ice_jr__init(r, what, ICE_ERRCLASS_CATALOG);
	if (!body)
		body = "";
	if ((rc = ice_json__parse(root, body, len, what)) != 0)
		return rc;
	if (ice_json__type(*root) != ICE_JSON_OBJECT) {
		rc = ice_jr__error(r, ICE_EINVALID, "expected an object, found %s", ice_json__type_name(*root));
		ice_json__free(*root);
		*root = NULL;
	}
	return rc;
}

/* A string-to-string object into `out` (null or missing: nothing). */
static int read_string_map(ice_jr *r, const ice_json *obj, const char *key, ice_rest_props *out)
{
	ice_json *m, *v;
	ice_json_iter it;
	const char *k;
	int rc;
	if ((rc = ice_jr__opt_object(r, obj, key, &m)) != 0 || !m)
		return rc;
	ice_jr__push_key(r, key);
	ice_json__iter_init(&it, m);
	while (ice_json__iter_next(&it, &k, &v)) {
		const char *s;
		size_t n;
		if (ice_json__type(v) != ICE_JSON_STRING) {
			rc = ice_jr__error_at(r, k, ICE_EINVALID, "expected a string, found %s", ice_json__type_name(v));
			break;
		}
		s = ice_json__str(v, &n);
		if (memchr(s, '\0', n)) {
			rc = ice_jr__error_at(r, k, ICE_EINVALID, "NUL character in a value");
			break;
		}
		if ((rc = ice_rest_props__setn(out, k, strlen(k), s, n)) != 0)
			break;
	}
	ice_jr__pop(r);
	return rc;
}

static int opt_page_token(ice_jr *r, const ice_json *root, char **next_out)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = ice_jr__opt_string(r, root, "next-page-token", &s, &n);
	*next_out = NULL;
	if (rc || !s || n == 0)
		return rc;
	if (memchr(s, '\0', n))
		return ice_jr__error_at(r, "next-page-token", ICE_EINVALID, "NUL character in the page token");
	return (*next_out = ice__strndup(s, n)) ? 0 : ICE_ERROR;
}

/* A Namespace (array of levels) as a dotted name appended to `b`. */
static int read_namespace(ice_jr *r, const ice_json *arr, ice_buf *b)
{
	size_t n;
	if (ice_json__type(arr) != ICE_JSON_ARRAY)
		return ice_jr__error(r, ICE_EINVALID, "expected a namespace (array of strings), found %s",
		                     ice_json__type_name(arr));
	if ((n = ice_json__size(arr)) == 0)
		return ice_jr__error(r, ICE_EINVALID, "empty namespace");
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;
		int rc;
		ice_jr__push_index(r, i);
		if ((rc = ice_jr__as_string(r, ice_json__at(arr, i), &s, &len)) == 0) {
			if (len == 0 || s[0] == '.' || memchr(s, '.', len) || memchr(s, '/', len) || memchr(s, '\0', len))
				rc = ice_jr__error(r, ICE_EINVALID, "namespace level '%.*s' cannot be named in ice "
				                   "(empty, or holds '.', '/' or NUL)", (int)(len > 64 ? 64 : len), s);
		}
		if (!rc) {
			if (i)
				ice_buf__putc(b, '.');
			ice_buf__put(b, s, len);
			rc = b->error;
		}
		ice_jr__pop(r);
		if (rc)
			return rc;
	}
	return 0;
}

static int list_push(ice_string_list *out, ice_buf *b)
{
	char **items = ice__reallocarray(out->items, out->n + 1, sizeof(char *));
	if (!items)
		return ICE_ERROR;
	out->items = items;
	if (!(items[out->n] = ice__strndup(ice_buf__cstr(b), b->len)))
		return ICE_ERROR;
	out->n++;
	return 0;
}

/* ---- documents ---------------------------------------------------------------------- */

int64_t ice_rest__parse_duration(const char *s)
{
	int64_t total = 0;
	bool in_time = false, any = false;
	if (!s || *s++ != 'P')
		return -1;
	while (*s) {
		int64_t whole = 0, frac = 0, frac_div = 1;
		bool digits = false;
		if (*s == 'T') {
			if (in_time)
				return -1;
			in_time = true;
			s++;
			continue;
		}
		while (*s >= '0' && *s <= '9') {
			if (whole > (INT64_MAX / 1000 - 9) / 10 / 86400)
				return -1;
			whole = whole * 10 + (*s++ - '0');
			digits = true;
		}
		if (*s == '.' || *s == ',') {
			s++;
			while (*s >= '0' && *s <= '9') {
				if (frac_div < 1000) {
					frac = frac * 10 + (*s - '0');
					frac_div *= 10;
				}
				s++;
				digits = true;
			}
		}
		if (!digits)
			return -1;
		int64_t unit_ms;
		switch (*s) {
		case 'D': unit_ms = in_time ? -1 : 86400000; break;
		case 'H': unit_ms = in_time ? 3600000 : -1; break;
		case 'M': unit_ms = in_time ? 60000 : -1; break;
		case 'S': unit_ms = in_time ? 1000 : -1; break;
		default: unit_ms = -1; break;
		}
		if (unit_ms < 0 || (frac && unit_ms != 1000))
			return -1;
		total += whole * unit_ms + frac * (1000 / frac_div);
		any = true;
		s++;
	}
	return any ? total : -1;
}

void ice_rest_config_doc__free(ice_rest_config_doc *d)
{
	if (!d)
		return;
	ice_rest_props__free(&d->defaults);
	ice_rest_props__free(&d->overrides);
	for (size_t i = 0; i < d->n_endpoints; i++)
		ice__free(d->endpoints[i]);
	ice__free(d->endpoints);
	memset(d, 0, sizeof(*d));
}

int ice_rest__parse_config(ice_rest_config_doc *out, const char *body, size_t len, const char *what)
{
	ice_json *root, *eps;
	ice_jr r;
	const char *life = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = parse_root(&root, &r, body, len, what)) != 0)
		return rc;
	if ((rc = read_string_map(&r, root, "defaults", &out->defaults)) != 0 ||
	    (rc = read_string_map(&r, root, "overrides", &out->overrides)) != 0 ||
	    (rc = ice_jr__opt_array(&r, root, "endpoints", &eps)) != 0 ||
	    (rc = ice_jr__opt_string(&r, root, "idempotency-key-lifetime", &life, NULL)) != 0)
		goto done;
	if (life && (out->idempotency_lifetime_ms = ice_rest__parse_duration(life)) <= 0) {
		rc = ice_jr__error_at(&r, "idempotency-key-lifetime", ICE_EINVALID, "expected an ISO-8601 duration");
		goto done;
	}
	if (eps) {
		size_t n = ice_json__size(eps);
		out->has_endpoints = true;
		if (n && !(out->endpoints = ice__calloc(n, sizeof(char *)))) {
			rc = ICE_ERROR;
			goto done;
		}
		ice_jr__push_key(&r, "endpoints");
		for (size_t i = 0; i < n && !rc; i++) {
			const char *s;
			size_t sl;
			ice_jr__push_index(&r, i);
			if ((rc = ice_jr__as_string(&r, ice_json__at(eps, i), &s, &sl)) == 0) {
				if (!memchr(s, ' ', sl) || memchr(s, '\0', sl))
					rc = ice_jr__error(&r, ICE_EINVALID, "expected \"<method> <path>\"");
				else if (!(out->endpoints[i] = ice__strndup(s, sl)))
					rc = ICE_ERROR;
				else
					out->n_endpoints = i + 1;
			}
			ice_jr__pop(&r);
		}
		ice_jr__pop(&r);
	}
done:
	ice_json__free(root);
	if (rc)
		ice_rest_config_doc__free(out);
	return rc;
}

void ice_rest_token_doc__free(ice_rest_token_doc *d)
{
	if (!d)
		return;
	/* Tokens are secrets: wiped before they go. */
	if (d->access_token)
		memset(d->access_token, 0, strlen(d->access_token));
	if (d->refresh_token)
		memset(d->refresh_token, 0, strlen(d->refresh_token));
	ice__free(d->access_token);
	ice__free(d->refresh_token);
	ice__free(d->issued_token_type);
	memset(d, 0, sizeof(*d));
}

static int dup_member(ice_jr *r, const ice_json *obj, const char *key, bool required, char **out)
{
	const char *s = NULL;
	size_t n = 0;
	int rc = required ? ice_jr__req_string(r, obj, key, &s, &n) : ice_jr__opt_string(r, obj, key, &s, &n);
	if (rc || !s)
		return rc;
	if (memchr(s, '\0', n) || memchr(s, '\r', n) || memchr(s, '\n', n))
		return ice_jr__error_at(r, key, ICE_EINVALID, "control character in the value");
	return (*out = ice__strndup(s, n)) ? 0 : ICE_ERROR;
}

int ice_rest__parse_token(ice_rest_token_doc *out, const char *body, size_t len, const char *what)
{
	ice_json *root;
	ice_jr r;
	const char *type = NULL;
	bool has_exp = false;
	int rc;
	memset(out, 0, sizeof(*out));
	out->expires_in_s = -1;
	if ((rc = parse_root(&root, &r, body, len, what)) != 0)
		return rc;
	if ((rc = dup_member(&r, root, "access_token", true, &out->access_token)) == 0 &&
	    (rc = ice_jr__req_string(&r, root, "token_type", &type, NULL)) == 0 &&
	    (rc = dup_member(&r, root, "issued_token_type", false, &out->issued_token_type)) == 0 &&
	    (rc = dup_member(&r, root, "refresh_token", false, &out->refresh_token)) == 0 &&
	    (rc = ice_jr__opt_int64(&r, root, "expires_in", &out->expires_in_s, &has_exp)) == 0) {
		if (!*out->access_token)
			rc = ice_jr__error_at(&r, "access_token", ICE_EINVALID, "empty token");
		else if (!ice_str__ieq(type, strlen(type), "bearer", 6) && !ice_str__ieq(type, strlen(type), "N_A", 3))
			rc = ice_jr__error_at(&r, "token_type", ICE_EUNSUPPORTED, "token type '%.32s' is not supported "
			                      "(bearer only)", type);
		else if (has_exp && out->expires_in_s < 0)
			rc = ice_jr__error_at(&r, "expires_in", ICE_EINVALID, "negative lifetime");
		if (!has_exp)
			out->expires_in_s = -1;
	}
	ice_json__free(root);
	if (rc)
		ice_rest_token_doc__free(out);
	return rc;
}

int ice_rest__parse_namespaces(ice_string_list *out, char **next_out, const char *body, size_t len,
                               const char *what)
{
	ice_json *root, *arr;
	ice_jr r;
	ice_buf b = ICE_BUF_INIT;
	int rc;
	*next_out = NULL;
	if ((rc = parse_root(&root, &r, body, len, what)) != 0)
		return rc;
	if ((rc = ice_jr__req_array(&r, root, "namespaces", &arr)) == 0) {
		ice_jr__push_key(&r, "namespaces");
		for (size_t i = 0; i < ice_json__size(arr) && !rc; i++) {
			ice_buf__clear(&b);
			ice_jr__push_index(&r, i);
			if ((rc = read_namespace(&r, ice_json__at(arr, i), &b)) == 0)
				rc = list_push(out, &b);
			ice_jr__pop(&r);
		}
		ice_jr__pop(&r);
	}
	if (!rc)
		rc = opt_page_token(&r, root, next_out);
	ice_buf__free(&b);
	ice_json__free(root);
	return rc;
}

int ice_rest__parse_tables(ice_string_list *out, char **next_out, const char *ns, const char *body, size_t len,
                           const char *what)
{
	ice_json *root, *arr;
	ice_jr r;
	ice_buf b = ICE_BUF_INIT;
	int rc;
	*next_out = NULL;
	if ((rc = parse_root(&root, &r, body, len, what)) != 0)
		return rc;
	if ((rc = ice_jr__req_array(&r, root, "identifiers", &arr)) == 0) {
		ice_jr__push_key(&r, "identifiers");
		for (size_t i = 0; i < ice_json__size(arr) && !rc; i++) {
			const ice_json *id = ice_json__at(arr, i);
			ice_json *nsj;
			const char *name;
			size_t nl;
			ice_buf__clear(&b);
			ice_jr__push_index(&r, i);
			if (ice_json__type(id) != ICE_JSON_OBJECT)
				rc = ice_jr__error(&r, ICE_EINVALID, "expected a table identifier, found %s",
				                   ice_json__type_name(id));
			else if ((rc = ice_jr__req_array(&r, id, "namespace", &nsj)) == 0 &&
			         (rc = ice_jr__req_string(&r, id, "name", &name, &nl)) == 0) {
				ice_jr__push_key(&r, "namespace");
				rc = read_namespace(&r, nsj, &b);
				ice_jr__pop(&r);
				if (!rc && (b.len != strlen(ns) || memcmp(b.ptr, ns, b.len) != 0))
					rc = ice_jr__error(&r, ICE_EINVALID, "a table of namespace '%.64s' in the listing of '%.64s'",
					                   ice_buf__cstr(&b), ns);
				if (!rc && (nl == 0 || memchr(name, '\0', nl) || memchr(name, '/', nl)))
					rc = ice_jr__error_at(&r, "name", ICE_EINVALID, "invalid table name");
				if (!rc) {
					ice_buf__clear(&b);
					ice_buf__put(&b, name, nl);
					rc = b.error ? b.error : list_push(out, &b);
				}
			}
			ice_jr__pop(&r);
		}
		ice_jr__pop(&r);
	}
	if (!rc)
		rc = opt_page_token(&r, root, next_out);
	ice_buf__free(&b);
	ice_json__free(root);
	return rc;
}

int ice_rest__parse_namespace(ice_properties *out, const char *body, size_t len, const char *what)
{
	ice_json *root, *nsj;
	ice_jr r;
	ice_rest_props props = {0};
	ice_buf b = ICE_BUF_INIT;
	int rc;
	out->n = 0;
	out->items = NULL;
	if ((rc = parse_root(&root, &r, body, len, what)) != 0)
		return rc;
	if ((rc = ice_jr__req_array(&r, root, "namespace", &nsj)) == 0) {
		ice_jr__push_key(&r, "namespace");
		rc = read_namespace(&r, nsj, &b);
		ice_jr__pop(&r);
	}
	if (!rc)
		rc = read_string_map(&r, root, "properties", &props);
	ice_buf__free(&b);
	ice_json__free(root);
	if (rc) {
		ice_rest_props__free(&props);
		return rc;
	}
	*out = props.view;
	return 0;
}

/* Whether `prefix` is a prefix of `location` that ends at a path boundary. */
static bool covers(const char *prefix, const char *location)
{
	size_t n = strlen(prefix);
	if (strncmp(prefix, location, n) != 0)
		return false;
	return n == 0 || prefix[n - 1] == '/' || location[n] == '\0' || location[n] == '/';
}

/* The storage credential for `location` with the longest prefix (-1: none). */
static int pick_credential(ice_jr *r, const ice_json *creds, const char *location, ssize_t *best_out)
{
	size_t best_len = 0;
	*best_out = -1;
	for (size_t i = 0; i < ice_json__size(creds); i++) {
		const ice_json *cr = ice_json__at(creds, i);
		const char *prefix;
		ice_json *cfg;
		int rc;
		ice_jr__push_index(r, i);
		if (ice_json__type(cr) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected a storage credential, found %s", ice_json__type_name(cr));
		else if ((rc = ice_jr__req_string(r, cr, "prefix", &prefix, NULL)) == 0)
			rc = ice_jr__req_object(r, cr, "config", &cfg);
		ice_jr__pop(r);
		if (rc)
			return rc;
		if (covers(prefix, location) && (*best_out < 0 || strlen(prefix) > best_len)) {
			*best_out = (ssize_t)i;
			best_len = strlen(prefix);
		}
	}
	return 0;
}

static bool is_token_key(const char *k)
{
	return strcmp(k, "token") == 0 || strncmp(k, "urn:ietf:params:oauth:token-type:", 33) == 0;
}

int ice_rest__parse_load_table(ice_catalog_table *out, char **token_out, char **token_type_out, const char *body,
                               size_t len, const char *what)
{
	ice_json *root, *mdj, *creds;
	ice_jr r;
	ice_rest_props config = {0}, io = {0};
	const char *loc = NULL, *token;
	size_t loc_len = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	*token_out = *token_type_out = NULL;
	if ((rc = parse_root(&root, &r, body, len, what)) != 0)
		return rc;
	if ((rc = ice_jr__opt_string(&r, root, "metadata-location", &loc, &loc_len)) != 0 ||
	    (rc = ice_jr__req_object(&r, root, "metadata", &mdj)) != 0 ||
	    (rc = read_string_map(&r, root, "config", &config)) != 0 ||
	    (rc = ice_jr__opt_array(&r, root, "storage-credentials", &creds)) != 0)
		goto done;
	if (loc && (loc_len == 0 || memchr(loc, '\0', loc_len))) {
		rc = ice_jr__error_at(&r, "metadata-location", ICE_EINVALID, "empty or invalid location");
		goto done;
	}
	ice_jr__push_key(&r, "metadata");
	rc = ice_table_metadata__from_json(&out->md, &r, mdj);
	ice_jr__pop(&r);
	if (rc)
		goto done;
	if (loc && !(out->metadata_location = ice__strndup(loc, loc_len))) {
		rc = ICE_ERROR;
		goto done;
	}
	/* FileIO properties: config without the tokens meant for the catalog,
	 * then the best storage credential over it (the spec: credentials in
	 * storage-credentials come before those in config). */
	for (size_t i = 0; i < config.view.n && !rc; i++)
		if (!is_token_key(config.view.items[i].key))
			rc = ice_rest_props__set(&io, config.view.items[i].key, config.view.items[i].value);
	if (!rc && creds) {
		ssize_t best;
		ice_jr__push_key(&r, "storage-credentials");
		if ((rc = pick_credential(&r, creds, ice_table_metadata_location(out->md), &best)) == 0 && best >= 0) {
			ice_jr__push_index(&r, (size_t)best);
			rc = read_string_map(&r, ice_json__at(creds, (size_t)best), "config", &io);
			ice_jr__pop(&r);
		}
		ice_jr__pop(&r);
	}
	/* A token for this table's requests: as is ("token"), or one to
	 * exchange (a token-type URN as the key). */
	if (!rc && (token = ice_rest_props__get(&config, "token")) && *token) {
		if (!(*token_out = ice__strdup(token)))
			rc = ICE_ERROR;
	} else {
		for (size_t i = 0; i < config.view.n && !rc && !*token_out; i++) {
			const ice_property *p = &config.view.items[i];
			if (strncmp(p->key, "urn:ietf:params:oauth:token-type:", 33) == 0 && *p->value &&
			    (!(*token_out = ice__strdup(p->value)) || !(*token_type_out = ice__strdup(p->key))))
				rc = ICE_ERROR;
		}
	}
done:
	ice_json__free(root);
	ice_rest_props__free(&config);
	if (rc) {
		ice_rest_props__free(&io);
		ice_catalog_table__free(out);
		ice__free(*token_out);
		ice__free(*token_type_out);
		*token_out = *token_type_out = NULL;
		return rc;
	}
	out->io_props = io.view;
	return 0;
}

int64_t ice_rest__jwt_expiry_ms(const char *token)
{
	const char *dot1 = strchr(token, '.'), *dot2;
	uint8_t buf[4096];
	size_t n;
	ice_json *root = NULL, *exp;
	int64_t ms = 0;
	if (!dot1 || !(dot2 = strchr(dot1 + 1, '.')) || strchr(dot2 + 1, '.'))
		return 0;
	size_t len = (size_t)(dot2 - dot1 - 1);
	if (len == 0 || len > sizeof(buf) * 4 / 3 || !ice_base64__decode(dot1 + 1, len, buf, &n))
		return 0;
	if (ice_json__parse(&root, (const char *)buf, n, "jwt") == 0 && ice_json__type(root) == ICE_JSON_OBJECT &&
	    (exp = ice_json__get(root, "exp")) && ice_json__type(exp) == ICE_JSON_INT) {
		int64_t s = ice_json__int(exp);
		if (s > 0 && s < INT64_MAX / 1000)
			ms = s * 1000;
	}
	ice_json__free(root);
	ice_error_clear();
	return ms;
}
