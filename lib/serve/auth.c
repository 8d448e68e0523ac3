/*
 * serve/auth.c - who is asking, and what they may do.
 *
 * With `auth = bearer` every request but POST /v1/oauth/tokens carries
 * `Authorization: Bearer <token>`: a static token of the configuration
 * (token.<principal>), or one this server issued through the OAuth2 client
 * credentials flow (client.<id> = <secret>; RFC 6749 section 4.4, as the REST
 * spec's /v1/oauth/tokens describes it) and not yet expired. A token can be
 * exchanged for a fresh one (the token-exchange grant with it as the subject
 * token). Missing or unknown tokens get 401, expired ones 419.
 *
 * Grants (grant.<principal> = read:NS write:NS ...) give rights on a
 * namespace and everything below it; "*" is every namespace, and a grant to
 * principal "*" is everyone's. Without any grant line, every authenticated
 * principal may do everything. Forbidden requests get 403.
 *
 * Secrets are compared in constant time and never copied into a message.
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define TOKEN_BYTES 32

typedef struct serve_token {
	char text[TOKEN_BYTES * 2 + 1];
	char *principal;
	int64_t expires_ms;
} serve_token;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool same_secret(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned diff = (unsigned)(alen ^ blen);
	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
	return diff == 0;
}

int serve_tokens_init(serve_tokens *t)
{
	ice_map__init(&t->map, true);
	return pthread_mutex_init(&t->lock, NULL) ? ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "mutex") : 0;
}

static void token_free(serve_token *tok)
{
	ice__free(tok->principal);
	memset(tok, 0, sizeof(*tok));
	ice__free(tok);
}

void serve_tokens_free(serve_tokens *t)
{
	size_t pos = 0;
	const ice_map_slot *slot;
	while ((slot = ice_map__next(&t->map, &pos)) != NULL)
		token_free(slot->value);
	ice_map__free(&t->map);
	pthread_mutex_destroy(&t->lock);
}

/* Drops expired tokens (lock held). */
static void sweep(serve_tokens *t, int64_t now)
{
	size_t pos = 0;
	const ice_map_slot *slot;
	while ((slot = ice_map__next(&t->map, &pos)) != NULL) {
		serve_token *tok = slot->value;
		if (tok->expires_ms <= now) {
			ice_map__remove_str(&t->map, tok->text, TOKEN_BYTES * 2);
			token_free(tok);
			pos = 0; /* removal shifts slots back: start over */
		}
	}
}

/* A new token for `principal` into text_out; false after replying (503) when
 * none can be had. */
static bool issue(serve_req *r, const char *principal, char text_out[TOKEN_BYTES * 2 + 1])
{
	ice_server *s = r->s;
	uint8_t raw[TOKEN_BYTES];
	serve_token *tok;
	int64_t now = now_ms();
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		serve_error(r, 503, "ServiceUnavailableException", "no randomness for a token; try again");
		return false;
	}
	if (!(tok = ice__calloc(1, sizeof(*tok))) || !(tok->principal = ice__strdup(principal))) {
		ice__free(tok);
		serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
		return false;
	}
	ice_hex__encode(raw, sizeof(raw), tok->text);
	tok->text[TOKEN_BYTES * 2] = '\0';
	memset(raw, 0, sizeof(raw));
	tok->expires_ms = now + s->cfg->token_lifetime_s * 1000;
	memcpy(text_out, tok->text, sizeof(tok->text));
	pthread_mutex_lock(&s->tokens.lock);
	if (s->tokens.map.count >= s->cfg->max_tokens)
		sweep(&s->tokens, now);
	int rc = s->tokens.map.count >= s->cfg->max_tokens
	             ? ICE_EINVALID
	             : ice_map__put_str(&s->tokens.map, tok->text, TOKEN_BYTES * 2, tok);
	pthread_mutex_unlock(&s->tokens.lock);
	if (rc) {
		token_free(tok);
		memset(text_out, 0, TOKEN_BYTES * 2 + 1);
		serve_error(r, 503, "ServiceUnavailableException", "too many tokens are live; try again later");
		return false;
	}
	return true;
}

/* The principal of an issued token (copied), 1 when expired, -1 unknown. */
static int lookup(ice_server *s, const char *text, size_t len, char **principal_out)
{
	void *v = NULL;
	int found;
	*principal_out = NULL;
	if (len != TOKEN_BYTES * 2)
		return -1;
	pthread_mutex_lock(&s->tokens.lock);
	found = ice_map__get_str(&s->tokens.map, text, len, &v) ? 0 : -1;
	if (found == 0) {
		serve_token *tok = v;
		if (tok->expires_ms <= now_ms())
			found = 1;
		else if (!(*principal_out = ice__strdup(tok->principal)))
			found = -2;
	}
	pthread_mutex_unlock(&s->tokens.lock);
	return found;
}

/* The bearer token of the Authorization header, or NULL. */
static const char *bearer(const char *header, size_t *len)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	*len = strlen(header);
	while (*len && header[*len - 1] == ' ')
		(*len)--;
	return *len ? header : NULL;
}

/* Resolves a token to a principal: 0 found, 1 expired, -1 unknown. */
static int resolve(serve_req *r, const char *tok, size_t len)
{
	const ice_server_config *c = r->s->cfg;
	for (size_t i = 0; i < c->ntokens; i++)
		if (same_secret(tok, len, c->tokens[i].secret)) {
			r->principal = c->tokens[i].name;
			return 0;
		}
	char *p = NULL;
	int found = lookup(r->s, tok, len, &p);
	if (found == -2)
		return -2;
	if (found == 0)
		r->principal = r->principal_owned = p;
	return found;
}

int serve_authenticate(serve_req *r)
{
	size_t len = 0;
	const char *tok = bearer(r->rq->authorization, &len);
	if (r->s->cfg->auth == 0) {
		/* Open: a token only names who is asking, for the log. */
		if (tok && resolve(r, tok, len) == -2)
			r->principal = NULL;
		return 0;
	}
	if (!tok) {
		serve_error(r, 401, "NotAuthorizedException", "authentication required: send 'Authorization: Bearer TOKEN'");
		return 1;
	}
	switch (resolve(r, tok, len)) {
	case 0: return 0;
	case 1:
		serve_error(r, 419, "AuthenticationTimeoutException", "the token has expired: get a new one");
		return 1;
	case -2:
		serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
		return 1;
	default:
		serve_error(r, 401, "NotAuthorizedException", "not authorized: unknown token");
		return 1;
	}
}

/* ---- grants ----------------------------------------------------------------- */

static bool covers(const char *grant_ns, const char *ns)
{
	size_t n = strlen(grant_ns);
	if (!strcmp(grant_ns, "*"))
		return true;
	return !strncmp(grant_ns, ns, n) && (ns[n] == '\0' || ns[n] == '.');
}

static bool mine(const serve_req *r, const serve_grant *g)
{
	return !strcmp(g->principal, "*") || (r->principal && !strcmp(g->principal, r->principal));
}

bool serve_allowed(serve_req *r, const char *ns, int rights)
{
	const ice_server_config *c = r->s->cfg;
	if (c->auth == 0 || c->ngrants == 0)
		return true;
	for (size_t i = 0; i < c->ngrants; i++)
		if (mine(r, &c->grants[i]) && (c->grants[i].rights & rights) == rights && covers(c->grants[i].ns, ns))
			return true;
	serve_error(r, 403, "ForbiddenException", "%s may not %s %s%s", r->principal ? r->principal : "anonymous",
	            rights & RIGHT_WRITE ? "change" : "read", *ns ? "namespace " : "the catalog root", ns);
	return false;
}

bool serve_visible(const serve_req *r, const char *ns)
{
	const ice_server_config *c = r->s->cfg;
	size_t n = strlen(ns);
	if (c->auth == 0 || c->ngrants == 0)
		return true;
	for (size_t i = 0; i < c->ngrants; i++) {
		const serve_grant *g = &c->grants[i];
		if (!mine(r, g))
			continue;
		if (covers(g->ns, ns))
			return true;
		/* A parent of a granted namespace shows, so it can be walked to. */
		if (!strncmp(g->ns, ns, n) && g->ns[n] == '.')
			return true;
	}
	return false;
}

/* ---- POST /v1/oauth/tokens ----------------------------------------------------- */

/* A form field of an application/x-www-form-urlencoded body (allocated). */
static char *form_field(const serve_req *r, const char *name)
{
	ice_server_request fake = *r->rq;
	serve_req view = *r;
	char *text = ice__strndup(r->rq->body ? r->rq->body : "", r->rq->body ? r->rq->body_len : 0);
	char *v;
	if (!text)
		return NULL;
	fake.query = text;
	view.rq = &fake;
	v = serve_query(&view, name);
	memset(text, 0, strlen(text));
	ice__free(text);
	return v;
}

/* client_id and client_secret from "Authorization: Basic ..." (RFC 6749
 * section 2.3.1: each form-encoded, then joined by ':' and base64-encoded). */
static int basic_credentials(const serve_req *r, char **id, char **secret)
{
	const char *h = r->rq->authorization;
	uint8_t *raw;
	size_t n = 0, len;
	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return 0;
	h += 6;
	while (*h == ' ')
		h++;
	len = strlen(h);
	if (!(raw = ice__malloc(len + 1)))
		return ICE_ERROR;
	if (ice_base64__decode(h, len, raw, &n)) {
		char *colon = memchr(raw, ':', n);
		if (colon && !memchr(raw, '\0', n)) {
			serve_decode((const char *)raw, (size_t)(colon - (char *)raw), true, id);
			serve_decode(colon + 1, n - (size_t)(colon + 1 - (char *)raw), true, secret);
		}
	}
	memset(raw, 0, len + 1);
	ice__free(raw);
	return 0;
}

static int oauth_error(serve_req *r, int status, const char *error, const char *description)
{
	ice_json_writer *w = serve_reply(r, status);
	ice_json_begin_object(w);
	ice_json_key(w, "error");
	ice_json_string(w, error);
	ice_json_key(w, "error_description");
	ice_json_string(w, description);
	ice_json_end_object(w);
	return 0;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		ice__free(s);
	}
}

int serve_oauth_tokens(serve_req *r)
{
	const ice_server_config *c = r->s->cfg;
	char *grant = form_field(r, "grant_type"), *id = NULL, *secret = NULL, *subject = NULL;
	const char *principal = NULL;
	char *owned = NULL;
	int rc = 0;
	if (!grant) {
		rc = oauth_error(r, 400, "invalid_request", "grant_type is required (a form-encoded body)");
		goto done;
	}
	if (!strcmp(grant, "client_credentials")) {
		id = form_field(r, "client_id");
		secret = form_field(r, "client_secret");
		if (!id && !secret && basic_credentials(r, &id, &secret) != 0) {
			rc = ICE_ERROR;
			goto done;
		}
		if (!id || !secret) {
			rc = oauth_error(r, 400, "invalid_request", "client_id and client_secret are required");
			goto done;
		}
		for (size_t i = 0; i < c->nclients && !principal; i++)
			if (!strcmp(c->clients[i].name, id) && same_secret(secret, strlen(secret), c->clients[i].secret))
				principal = c->clients[i].name;
		if (!principal && c->auth == 0)
			principal = "anonymous"; /* open server: any client gets a (meaningless) token */
		if (!principal) {
			rc = oauth_error(r, 401, "invalid_client", "unknown client or wrong secret");
			goto done;
		}
	} else if (!strcmp(grant, "urn:ietf:params:oauth:grant-type:token-exchange")) {
		/* Refresh: a live token (ours or static) for a new one of the same principal. */
		size_t len;
		subject = form_field(r, "subject_token");
		if (!subject || !*subject) {
			rc = oauth_error(r, 400, "invalid_request", "subject_token is required");
			goto done;
		}
		len = strlen(subject);
		int found = resolve(r, subject, len);
		if (found == 0)
			principal = r->principal;
		else if (c->auth == 0)
			principal = "anonymous";
		if (!principal) {
			rc = oauth_error(r, 401, "invalid_client", found == 1 ? "the subject token has expired"
			                                                        : "unknown subject token");
			goto done;
		}
		if (!(owned = ice__strdup(principal))) {
			rc = ICE_ERROR;
			goto done;
		}
		principal = owned;
	} else {
		rc = oauth_error(r, 400, "unsupported_grant_type", "supported: client_credentials, token-exchange");
		goto done;
	}
	char text[TOKEN_BYTES * 2 + 1];
	if (issue(r, principal, text)) {
		ice_json_writer *w = serve_reply(r, 200);
		ice_json_begin_object(w);
		ice_json_key(w, "access_token");
		ice_json_string(w, text);
		memset(text, 0, sizeof(text));
		ice_json_key(w, "token_type");
		ice_json_string(w, "bearer");
		ice_json_key(w, "expires_in");
		ice_json_int(w, c->token_lifetime_s);
		ice_json_key(w, "issued_token_type");
		ice_json_string(w, "urn:ietf:params:oauth:token-type:access_token");
		ice_json_end_object(w);
		/* The log names the principal the token was issued to. */
		if (!r->principal_owned && (r->principal_owned = ice__strdup(principal)))
			r->principal = r->principal_owned;
	}
done:
	ice__free(owned);
	wipe_free(grant);
	wipe_free(id);
	wipe_free(secret);
	wipe_free(subject);
	return rc;
}
