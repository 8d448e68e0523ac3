/*
 * ice/serve.h - an Iceberg REST catalog server over any ice catalog (a
 * warehouse directory, an s3:// warehouse once its backend exists).
 *
 * The server answers the catalog endpoints of the Iceberg REST OpenAPI
 * specification: configuration, OAuth2 tokens (client credentials), namespaces,
 * tables (list with paging, create and stage-create, load, exists, commit,
 * drop with purge, rename, register), multi-table transactions and metrics
 * reports. Every commit is checked and applied by the metadata builder
 * (ice/metadata_builder.h) against the metadata that the catalog's
 * no-replace publish then replaces, so two servers on one warehouse, or an
 * ice process writing directly, can never both win. Errors are the spec's
 * ErrorModel ({"error": {"message", "type", "code"}}).
 *
 * Two ways in:
 *  - ice_server_handle(): one request in memory, no sockets (the HTTP front
 *    calls it; tests and the fuzz target do too).
 *  - ice_server_listen(): an HTTP/1.1 server (libmicrohttpd: a thread pool,
 *    keep-alive, body and header limits, timeouts), with TLS through OpenSSL
 *    when a certificate is configured.
 *
 * Configuration is a text file of `key = value` lines (see
 * docs/commands/serve.md for every key): listen address, authentication
 * (none, static bearer tokens, OAuth2 client credentials), per-namespace
 * read/write grants, TLS certificate and key, vended storage credentials,
 * limits. Secrets from it never appear in responses other than vended
 * credentials, in the access log or in error messages.
 *
 * The library never prints: access log lines go to a callback.
 */
#ifndef ICE_SERVE_H
#define ICE_SERVE_H

#include "catalog.h"
#include "common.h"

ICE_BEGIN_DECL

typedef struct ice_server ice_server;
typedef struct ice_server_config ice_server_config;

/* ---- configuration --------------------------------------------------------- */

/* An empty configuration: listen 127.0.0.1:8181, no authentication. */
ICE_EXTERN int ice_server_config_new(ice_server_config **out);
ICE_EXTERN void ice_server_config_free(ice_server_config *config);
/*
 * Read `key = value` lines from the file at `path` into `config` ('#'
 * starts a comment). ICE_EINVALID names the line of an unknown key or a bad
 * value (never the value itself: it may be a secret).
 */
ICE_EXTERN int ice_server_config_load(ice_server_config *config, const char *path);
/*
 * Set one key, as a line of the file would (command-line options use this:
 * "listen", "auth", "catalog", ...). ICE_EINVALID for an unknown key or a
 * bad value.
 */
ICE_EXTERN int ice_server_config_set(ice_server_config *config, const char *key, const char *value);
/* The configured warehouse ("catalog" key), or NULL. */
ICE_EXTERN const char *ice_server_config_catalog(const ice_server_config *config);
/* The configured listen address ("host:port"). */
ICE_EXTERN const char *ice_server_config_listen(const ice_server_config *config);

/* ---- the server ------------------------------------------------------------- */

/*
 * A server over `catalog` (borrowed; it must outlive the server) with a
 * copy of `config`. Checks the configuration as a whole: ICE_EINVALID when
 * authentication is off ("auth = none") on an address other than loopback,
 * when a TLS certificate has no key, or a grant names no principal.
 */
ICE_EXTERN int ice_server_new(ice_server **out, ice_catalog *catalog, const ice_server_config *config);
/* Stops listening (as ice_server_stop) and frees everything. */
ICE_EXTERN void ice_server_free(ice_server *server);

/* One access log line (no trailing newline); called from server threads. */
typedef void (*ice_server_log_fn)(const char *line, void *payload);
ICE_EXTERN void ice_server_set_log(ice_server *server, ice_server_log_fn fn, void *payload);

/* One HTTP request as the handler sees it (all borrowed). */
typedef struct ice_server_request {
	const char *method;        /* "GET", "POST", "HEAD", "DELETE", ... */
	const char *path;          /* as sent: percent-encoded, without the query */
	const char *query;         /* without '?', percent-encoded; NULL when none */
	const char *authorization; /* the Authorization header, or NULL */
	const char *content_type;  /* or NULL */
	const char *if_none_match; /* or NULL */
	const char *access_delegation; /* X-Iceberg-Access-Delegation, or NULL */
	const void *body;
	size_t body_len;
} ice_server_request;

/* The answer (owned by the caller; free with ice_server_response_free). */
typedef struct ice_server_response {
	int status;        /* 200, 204, 304, 400, ... */
	char *body;        /* JSON (NUL-terminated), or NULL when there is none */
	size_t body_len;
	char *etag;        /* the ETag header, or NULL */
	char *principal;   /* who made the request, for the access log, or NULL */
} ice_server_response;

/*
 * Answer one request. Every outcome, errors included, is a response: the
 * return code is ICE_OK unless building the response itself failed (out of
 * memory), when *response is left empty.
 */
ICE_EXTERN int ice_server_handle(ice_server *server, const ice_server_request *request,
                                 ice_server_response *response);
ICE_EXTERN void ice_server_response_free(ice_server_response *response);

/*
 * Start serving on the configured address (port 0: any free port). Returns
 * once the server accepts connections; requests are answered by a pool of
 * threads until ice_server_stop. ICE_EINVALID for a bad address, ICE_ERROR
 * when it cannot bind (the message says why).
 */
ICE_EXTERN int ice_server_listen(ice_server *server);
/* The port the server listens on (after ice_server_listen). */
ICE_EXTERN int ice_server_port(const ice_server *server);
/*
 * Stop accepting connections, let requests being answered finish (commits
 * in flight land or fail whole) for up to `grace_ms`, then close
 * everything. Safe to call more than once.
 */
ICE_EXTERN void ice_server_stop(ice_server *server, int grace_ms);

ICE_END_DECL

#endif
