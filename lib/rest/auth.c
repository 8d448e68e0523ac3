/*
 * rest/auth.c - who a REST catalog's requests come from: OAuth2 client
 * credentials against the token endpoint (oauth2-server-uri, else the
 * catalog's deprecated /v1/oauth/tokens), a static `token`, refresh before
 * expiry (token exchange with the current token as the subject, RFC 8693,
 * within min(lifetime/10, 5 min) of it, as Java's client does; falling back
 * to the credential) and once after 401 or 419, table tokens a
 * LoadTableResult hands out (as is, or exchanged with the catalog's token
 * as the actor), and AWS SigV4 signatures over each attempt
 * (rest.sigv4-enabled: an Authorization bearer header moves to
 * Original-Authorization, as Java's signer does).
 *
 * Tokens, the credential and AWS keys stay in ice_rest_auth: they are sent
 * in headers and form bodies only, wiped when replaced, and no message or
 * log line formats them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define ACCESS_TOKEN_TYPE "urn:ietf:params:oauth:token-type:access_token"
#define TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define MAX_REFRESH_WINDOW_MS 300000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
		ice__free(s);
	}
}

/* Replaces a secret string (NULL clears it). */
static int set_secret(char **dst, const char *v)
{
	char *s = NULL;
	if (v)
		ice_error__secret(v, strlen(v)); /* a token the server issued: never in a message */
	if (v && !(s = ice__strdup(v)))
		return ICE_ERROR;
	wipe_free(*dst);
	*dst = s;
	return 0;
}

static const char *prop(const ice_rest_catalog *c, const char *key)
{
	const char *v = ice_rest_props__get(&c->props, key);
	return v && *v ? v : NULL;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void ice_rest_auth__free(ice_rest_auth *a)
{
	wipe_free(a->credential);
	wipe_free(a->token);
	wipe_free(a->configured_token);
	ice__free(a->token_type);
	ice__free(a->token_url);
	ice__free(a->scope);
	ice__free(a->audience);
	ice__free(a->resource);
	for (size_t i = 0; i < a->n_table_tokens; i++) {
		ice__free(a->table_tokens[i].identifier);
		wipe_free(a->table_tokens[i].token);
	}
	ice__free(a->table_tokens);
	ice__free(a->signing_region);
	ice__free(a->signing_name);
	ice_aws_credentials__clear(&a->aws);
	pthread_mutex_destroy(&a->mu);
	memset(a, 0, sizeof(*a));
}

/* Takes a token (under the lock). */
static int take_token(ice_rest_auth *a, const char *token, const char *type, int64_t expires_in_s)
{
	int64_t now = now_ms(), exp = ice_rest__jwt_expiry_ms(token);
	int rc;
	pthread_mutex_lock(&a->mu);
	if ((rc = set_secret(&a->token, token)) == 0) {
		char *t = ice__strdup(type ? type : ACCESS_TOKEN_TYPE);
		if (!t) {
			rc = ICE_ERROR;
		} else {
			ice__free(a->token_type);
			a->token_type = t;
			/* a lifetime past year 9999 (a hostile expires_in) is "does not expire" */
			if (!exp && expires_in_s >= 0 && expires_in_s < (int64_t)253402300800 - now / 1000)
				exp = now + expires_in_s * 1000;
			a->expires_at_ms = exp;
			a->issued_at_ms = now;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int ice_rest_auth__init(ice_rest_catalog *c)
{
	ice_rest_auth *a = &c->auth;
	const char *v, *token = prop(c, "token"), *credential = prop(c, "credential");
	bool same_credential;
	int rc;

	/* The token endpoint: oauth2-server-uri (absolute, or a path under
	 * the catalog's URI), else the catalog's own. */
	ice_buf url = ICE_BUF_INIT;
	if ((v = prop(c, "oauth2-server-uri")) && (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0))
		ice_buf__puts(&url, v);
	else if (v)
		ice_buf__printf(&url, "%s/%s", c->base_url, v[0] == '/' ? v + 1 : v);
	else
		ice_buf__printf(&url, "%s/v1/oauth/tokens", c->base_url);
	if (url.error) {
		ice_buf__free(&url);
		return ICE_ERROR;
	}
	ice__free(a->token_url);
	a->token_url = ice_buf__detach(&url, NULL);
	if (!a->token_url)
		return ICE_ERROR;

	ice__free(a->scope);
	ice__free(a->audience);
	ice__free(a->resource);
	a->scope = ice__strdup((v = prop(c, "scope")) ? v : "catalog");
	a->audience = (v = prop(c, "audience")) ? ice__strdup(v) : NULL;
	a->resource = (v = prop(c, "resource")) ? ice__strdup(v) : NULL;
	if (!a->scope || (prop(c, "audience") && !a->audience) || (prop(c, "resource") && !a->resource))
		return ICE_ERROR;
	if ((rc = ice_rest__prop_bool(c, "token-refresh-enabled", true, &a->refresh_enabled)) != 0 ||
	    (rc = ice_rest__prop_bool(c, "token-exchange-enabled", true, &a->exchange_enabled)) != 0)
		return rc;

	/* A new credential drops a token got with the old one; a configured
	 * token is taken when it is new (the server's overrides may set one). */
	same_credential = (!credential && !a->credential) ||
	                  (credential && a->credential && strcmp(credential, a->credential) == 0);
	if (!same_credential) {
		if ((rc = set_secret(&a->credential, credential)) != 0)
			return rc;
		if (!a->configured_token)
			set_secret(&a->token, NULL);
	}
	if (token && (!a->configured_token || strcmp(token, a->configured_token) != 0)) {
		if ((rc = set_secret(&a->configured_token, token)) != 0 || (rc = take_token(a, token, NULL, -1)) != 0)
			return rc;
	}

	/* SigV4 */
	if ((rc = ice_rest__prop_bool(c, "rest.sigv4-enabled", false, &a->sigv4)) != 0)
		return rc;
	if (a->sigv4) {
		const char *region = prop(c, "rest.signing-region");
		if (!region)
			region = prop(c, "client.region");
		if (!region)
			region = env("AWS_REGION");
		if (!region)
			region = env("AWS_DEFAULT_REGION");
		if (!region)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                      "%s: rest.sigv4-enabled needs rest.signing-region (or AWS_REGION)", c->label);
		ice__free(a->signing_region);
		ice__free(a->signing_name);
		a->signing_region = ice__strdup(region);
		a->signing_name = ice__strdup((v = prop(c, "rest.signing-name")) ? v : "execute-api");
		if (!a->signing_region || !a->signing_name)
			return ICE_ERROR;
		const char *id = prop(c, "rest.access-key-id"), *secret = prop(c, "rest.secret-access-key"),
		           *session = prop(c, "rest.session-token");
		if (!id && !secret) {
			id = env("AWS_ACCESS_KEY_ID");
			secret = env("AWS_SECRET_ACCESS_KEY");
			session = env("AWS_SESSION_TOKEN");
		}
		if (!id || !secret)
			return ice_error__set(ICE_EAUTH, ICE_ERRCLASS_CATALOG,
			                      "%s: rest.sigv4-enabled needs AWS credentials (rest.access-key-id and "
			                      "rest.secret-access-key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
			                      c->label);
		if ((rc = ice_aws_credentials__set(&a->aws, id, secret, session)) != 0)
			return rc;
	}
	return 0;
}

/* ---- the token endpoint ------------------------------------------------------------ */

static void form_put(ice_buf *b, const char *key, const char *value)
{
	if (b->len)
		ice_buf__putc(b, '&');
	ice_buf__puts(b, key);
	ice_buf__putc(b, '=');
	ice_http__url_encode(b, value, strlen(value), false);
}

/* Scope, audience and resource (every token request carries them). */
static void form_options(ice_buf *b, const ice_rest_auth *a)
{
	form_put(b, "scope", a->scope);
	if (a->audience)
		form_put(b, "audience", a->audience);
	if (a->resource)
		form_put(b, "resource", a->resource);
}

/* POST the form; `bearer` (may be NULL) authenticates it. */
static int token_request(ice_rest_catalog *c, const char *what, ice_buf *form, const char *bearer,
                         ice_rest_token_doc *doc)
{
	ice_rest_call call;
	int rc;
	memset(doc, 0, sizeof(*doc));
	if (form->error) {
		ice_buf__free(form);
		return ICE_ERROR;
	}
	ice_rest_call__init(&call, "POST", NULL, "%s", what);
	ice_buf__puts(&call.url, c->auth.token_url);
	call.body = form->ptr;
	call.body_len = form->len;
	call.content_type = "application/x-www-form-urlencoded";
	call.no_token = true;
	call.max_body = (size_t)1 << 20;
	if (bearer) {
		ice_buf h = ICE_BUF_INIT;
		ice_buf__printf(&h, "Bearer %s", bearer);
		rc = h.error ? ICE_ERROR : ice_http_headers__add(&call.headers, "Authorization", h.ptr);
		if (h.ptr)
			memset(h.ptr, 0, h.len);
		ice_buf__free(&h);
		if (rc)
			goto done;
	}
	if ((rc = call.url.error) == 0 && (rc = ice_rest__send(c, &call)) == 0) {
		if (call.resp.status < 200 || call.resp.status > 299)
			rc = ice_rest__fail(c, &call, ICE_REST_TOKEN);
		else if ((rc = ice_rest__parse_token(doc, call.resp.body.ptr, call.resp.body.len, what)) != 0)
			ice_error__prefix("%s", c->label);
	}
done:
	/* The form held the credential or a token. */
	if (form->ptr)
		memset(form->ptr, 0, form->len);
	ice_buf__free(form);
	if (call.resp.body.ptr)
		memset(call.resp.body.ptr, 0, call.resp.body.len);
	ice_rest_call__free(&call);
	return rc;
}

/* client_credentials with the configured credential. */
static int fetch_with_credential(ice_rest_catalog *c)
{
	ice_rest_auth *a = &c->auth;
	ice_buf form = ICE_BUF_INIT;
	ice_rest_token_doc doc;
	const char *colon;
	int rc;
	pthread_mutex_lock(&a->mu);
	form_put(&form, "grant_type", "client_credentials");
	if ((colon = strchr(a->credential, ':'))) {
		char *id = ice__strndup(a->credential, (size_t)(colon - a->credential));
		if (!id)
			form.error = ICE_ERROR;
		else
			form_put(&form, "client_id", id);
		ice__free(id);
		form_put(&form, "client_secret", colon + 1);
	} else {
		form_put(&form, "client_secret", a->credential);
	}
	form_options(&form, a);
	pthread_mutex_unlock(&a->mu);
	if ((rc = token_request(c, "token request (client credentials)", &form, NULL, &doc)) == 0)
		rc = take_token(a, doc.access_token, doc.issued_token_type, doc.expires_in_s);
	ice_rest_token_doc__free(&doc);
	return rc;
}

/* Token exchange: `subject` for a new token, authenticated by `bearer`. */
static int exchange(ice_rest_catalog *c, const char *what, const char *subject, const char *subject_type,
                    const char *actor, const char *bearer, ice_rest_token_doc *doc)
{
	ice_buf form = ICE_BUF_INIT;
	form_put(&form, "grant_type", TOKEN_EXCHANGE);
	form_put(&form, "subject_token", subject);
	form_put(&form, "subject_token_type", subject_type);
	if (actor) {
		form_put(&form, "actor_token", actor);
		form_put(&form, "actor_token_type", ACCESS_TOKEN_TYPE);
	}
	form_options(&form, &c->auth);
	return token_request(c, what, &form, bearer, doc);
}

/* Refresh the catalog token by exchanging it for a new one. */
static int refresh(ice_rest_catalog *c)
{
	ice_rest_auth *a = &c->auth;
	ice_rest_token_doc doc;
	char *token = NULL, *type = NULL;
	int rc;
	memset(&doc, 0, sizeof(doc));
	pthread_mutex_lock(&a->mu);
	rc = set_secret(&token, a->token);
	if (!rc && !(type = ice__strdup(a->token_type ? a->token_type : ACCESS_TOKEN_TYPE)))
		rc = ICE_ERROR;
	pthread_mutex_unlock(&a->mu);
	if (!rc && !token)
		rc = ice_error__set(ICE_EAUTH, ICE_ERRCLASS_CATALOG, "%s: no token to refresh", c->label);
	if (!rc && (rc = exchange(c, "token request (refresh)", token, type, NULL, token, &doc)) == 0)
		rc = take_token(a, doc.access_token, doc.issued_token_type, doc.expires_in_s);
	ice_rest_token_doc__free(&doc);
	wipe_free(token);
	ice__free(type);
	return rc;
}

int ice_rest_auth__ensure(ice_rest_catalog *c)
{
	ice_rest_auth *a = &c->auth;
	bool fetch, renew = false, expired = false;
	int64_t now = now_ms();
	pthread_mutex_lock(&a->mu);
	fetch = !a->token && a->credential;
	if (a->token && a->expires_at_ms && a->refresh_enabled) {
		int64_t life = a->expires_at_ms - a->issued_at_ms, window = life / 10;
		if (window > MAX_REFRESH_WINDOW_MS)
			window = MAX_REFRESH_WINDOW_MS;
		renew = now >= a->expires_at_ms - window;
		expired = now >= a->expires_at_ms;
	}
	bool has_credential = a->credential != NULL;
	pthread_mutex_unlock(&a->mu);
	if (fetch)
		return fetch_with_credential(c);
	if (!renew)
		return 0;
	/* An expired token cannot vouch for its successor: the credential can. */
	int rc = expired && has_credential ? fetch_with_credential(c) : refresh(c);
	if (rc && has_credential && !expired)
		rc = fetch_with_credential(c);
	if (rc && !expired) {
		/* Still valid for a while: go on with it. */
		ice_error_clear();
		rc = 0;
	}
	return rc;
}

int ice_rest_auth__renew(ice_rest_catalog *c, bool *renewed_out)
{
	ice_rest_auth *a = &c->auth;
	bool has_credential, has_token, can_refresh;
	int rc;
	*renewed_out = false;
	pthread_mutex_lock(&a->mu);
	has_credential = a->credential != NULL;
	has_token = a->token != NULL;
	can_refresh = a->refresh_enabled && has_token && !a->configured_token;
	pthread_mutex_unlock(&a->mu);
	if (has_credential)
		rc = fetch_with_credential(c);
	else if (can_refresh)
		rc = refresh(c);
	else
		return 0;
	if (rc == 0)
		*renewed_out = true;
	return rc;
}

/* ---- table tokens -------------------------------------------------------------------- */

static ice_rest_table_token *find_table(ice_rest_auth *a, const char *identifier)
{
	for (size_t i = 0; i < a->n_table_tokens; i++)
		if (strcmp(a->table_tokens[i].identifier, identifier) == 0)
			return &a->table_tokens[i];
	return NULL;
}

void ice_rest_auth__forget_table(ice_rest_catalog *c, const char *identifier)
{
	ice_rest_auth *a = &c->auth;
	pthread_mutex_lock(&a->mu);
	ice_rest_table_token *t = find_table(a, identifier);
	if (t) {
		ice__free(t->identifier);
		wipe_free(t->token);
		*t = a->table_tokens[--a->n_table_tokens];
	}
	pthread_mutex_unlock(&a->mu);
}

int ice_rest_auth__table_token(ice_rest_catalog *c, const char *identifier, const char *token,
                               const char *token_type)
{
	ice_rest_auth *a = &c->auth;
	ice_rest_token_doc doc;
	char *actor = NULL;
	const char *use = token;
	int rc = 0;
	memset(&doc, 0, sizeof(doc));
	if (token_type) {
		if (!a->exchange_enabled)
			return 0;
		pthread_mutex_lock(&a->mu);
		rc = set_secret(&actor, a->token);
		pthread_mutex_unlock(&a->mu);
		if (rc || (rc = exchange(c, "token request (table token exchange)", token, token_type, actor, actor,
		                         &doc)) != 0) {
			wipe_free(actor);
			return rc;
		}
		wipe_free(actor);
		use = doc.access_token;
	}
	pthread_mutex_lock(&a->mu);
	ice_rest_table_token *t = find_table(a, identifier);
	if (t) {
		rc = set_secret(&t->token, use);
	} else {
		ice_rest_table_token *tt = ice__reallocarray(a->table_tokens, a->n_table_tokens + 1, sizeof(*tt));
		if (!tt) {
			rc = ICE_ERROR;
		} else {
			a->table_tokens = tt;
			tt[a->n_table_tokens].identifier = ice__strdup(identifier);
			tt[a->n_table_tokens].token = ice__strdup(use);
			if (!tt[a->n_table_tokens].identifier || !tt[a->n_table_tokens].token) {
				ice__free(tt[a->n_table_tokens].identifier);
				wipe_free(tt[a->n_table_tokens].token);
				rc = ICE_ERROR;
			} else {
				a->n_table_tokens++;
			}
		}
	}
	pthread_mutex_unlock(&a->mu);
	ice_rest_token_doc__free(&doc);
	return rc;
}

/* ---- per attempt ----------------------------------------------------------------------- */

/* scheme://host[:port]/path?query into its parts (pointers into `url`). */
static bool split_url(const char *url, const char **host, size_t *host_len, const char **path, size_t *path_len,
                      const char **query)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	*host = p + 3;
	*host_len = strcspn(*host, "/?");
	*path = *host + *host_len;
	*path_len = strcspn(*path, "?");
	*query = (*path)[*path_len] == '?' ? *path + *path_len + 1 : NULL;
	return *host_len > 0;
}

static int sign(ice_rest_catalog *c, ice_http_headers *extra, const ice_http_request *req,
                const ice_rest_signing *s)
{
	ice_rest_auth *a = &c->auth;
	const char *host, *path, *query;
	size_t host_len, path_len;
	ice_buf host_b = ICE_BUF_INIT, path_b = ICE_BUF_INIT;
	ice_http_headers q = {0}, signed_h = {0}, moved = {0};
	ice_sigv4_result res;
	ice_sigv4_params params;
	ice_sigv4_request sr;
	char hash[65];
	int rc;
	memset(&res, 0, sizeof(res));
	if (!split_url(req->url, &host, &host_len, &path, &path_len, &query))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: cannot sign: malformed URL", c->label);
	ice_buf__put(&host_b, host, host_len);
	if (path_len == 0)
		ice_buf__putc(&path_b, '/');
	else if ((rc = ice_http__url_decode(&path_b, path, path_len)) != 0)
		goto done;
	if ((rc = host_b.error ? host_b.error : path_b.error) != 0)
		goto done;
	/* The query's decoded pairs. */
	for (const char *p = query; p && *p && !rc;) {
		size_t n = strcspn(p, "&"), kn = strcspn(p, "=");
		ice_buf k = ICE_BUF_INIT, v = ICE_BUF_INIT;
		if (kn > n)
			kn = n;
		if ((rc = ice_http__url_decode(&k, p, kn)) == 0 &&
		    (rc = ice_http__url_decode(&v, p + kn + (kn < n), n - kn - (kn < n))) == 0)
			rc = ice_http_headers__add(&q, ice_buf__cstr(&k), ice_buf__cstr(&v));
		ice_buf__free(&k);
		ice_buf__free(&v);
		p += n;
		if (*p == '&')
			p++;
	}
	/* A bearer token travels as Original-Authorization. */
	for (size_t i = 0; i < extra->n && !rc; i++) {
		const char *name = extra->items[i].name;
		if (ice_str__ieq(name, strlen(name), "Authorization", 13))
			rc = ice_http_headers__add(&moved, "Original-Authorization", extra->items[i].value);
		else
			rc = ice_http_headers__add(&moved, name, extra->items[i].value);
	}
	for (size_t i = 0; i < req->nheaders && !rc; i++)
		if (ice_str__ieq(req->headers[i].name, strlen(req->headers[i].name), "Content-Type", 12))
			rc = ice_http_headers__add(&signed_h, req->headers[i].name, req->headers[i].value);
	for (size_t i = 0; i < moved.n && !rc; i++)
		rc = ice_http_headers__add(&signed_h, moved.items[i].name, moved.items[i].value);
	if (rc || (rc = ice_sigv4__sha256_hex(s->body ? s->body : "", s->body_len, hash)) != 0)
		goto done;
	memset(&params, 0, sizeof(params));
	params.region = a->signing_region;
	params.service = a->signing_name;
	params.time = (int64_t)time(NULL);
	params.normalize_path = true;
	params.double_encode = true;
	memset(&sr, 0, sizeof(sr));
	sr.method = req->method;
	sr.host = host_b.ptr;
	sr.path = path_b.ptr;
	sr.query = q.items;
	sr.nquery = q.n;
	sr.headers = signed_h.items;
	sr.nheaders = signed_h.n;
	sr.payload_hash = hash;
	if ((rc = ice_sigv4__sign_headers(&res, &a->aws, &params, &sr)) != 0)
		goto done;
	ice_http_headers__clear(extra);
	for (size_t i = 0; i < moved.n && !rc; i++)
		rc = ice_http_headers__add(extra, moved.items[i].name, moved.items[i].value);
	for (size_t i = 0; i < res.headers.n && !rc; i++)
		rc = ice_http_headers__add(extra, res.headers.items[i].name, res.headers.items[i].value);
done:
	ice_sigv4_result__free(&res);
	ice_http_headers__free(&q);
	ice_http_headers__free(&signed_h);
	ice_http_headers__free(&moved);
	ice_buf__free(&host_b);
	ice_buf__free(&path_b);
	return rc;
}

int ice_rest_auth__prepare(ice_http_headers *extra, const ice_http_request *req, void *payload)
{
	ice_rest_signing *s = payload;
	ice_rest_catalog *c = s->catalog;
	ice_rest_auth *a = &c->auth;
	int rc = 0;
	if (!s->no_token) {
		ice_buf b = ICE_BUF_INIT;
		pthread_mutex_lock(&a->mu);
		ice_rest_table_token *t = s->table ? find_table(a, s->table) : NULL;
		const char *tok = t ? t->token : a->token;
		if (tok) {
			ice_buf__printf(&b, "Bearer %s", tok);
			rc = b.error ? ICE_ERROR : ice_http_headers__add(extra, "Authorization", b.ptr);
		}
		pthread_mutex_unlock(&a->mu);
		if (b.ptr)
			memset(b.ptr, 0, b.len);
		ice_buf__free(&b);
	}
	if (!rc && a->sigv4)
		rc = sign(c, extra, req, s);
	return rc;
}
