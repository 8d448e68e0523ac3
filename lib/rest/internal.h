/*
 * rest/internal.h - the Iceberg REST catalog client (the REST catalog
 * OpenAPI spec, ../shared/fixtures/rest/rest-catalog-open-api.yaml) behind
 * the catalog vtable. Its files:
 *
 *   config.c   properties: the configuration file, the environment, the
 *              server's GET /v1/config (defaults < client < overrides),
 *              endpoints, the HTTP client's settings
 *   parse.c    the documents servers send (fuzzed: tests/fuzz/fuzz_rest.c)
 *   auth.c     OAuth2 (client credentials, refresh, token exchange), static
 *              and table tokens, SigV4-signed requests
 *   client.c   requests: routes, URLs, headers, one retry after 401/419,
 *              responses mapped to error codes and one-line messages
 *   catalog.c  namespaces and tables: the vtable
 *   commit.c   commits, derived requirements, transactions, metrics
 *
 * HTTP goes through io/http.h only. Secrets (credential, token, AWS keys)
 * live in ice_rest_auth and never reach a message or a log line.
 */
#ifndef ICE_REST_INTERNAL_H
#define ICE_REST_INTERNAL_H

#include <pthread.h>

#include "catalog/internal.h"
#include "io/http.h"
#include "io/sigv4.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- properties (config.c) ----------------------------------------------------- */

/* An ordered string map that owns its strings; setting a key again
 * replaces its value. props.items is an ice_properties view. */
typedef struct ice_rest_props {
	ice_properties view;
	size_t cap;
} ice_rest_props;

int ice_rest_props__set(ice_rest_props *p, const char *key, const char *value);
int ice_rest_props__setn(ice_rest_props *p, const char *key, size_t klen, const char *value, size_t vlen);
const char *ice_rest_props__get(const ice_rest_props *p, const char *key);
int ice_rest_props__merge(ice_rest_props *p, const ice_properties *more);
void ice_rest_props__free(ice_rest_props *p);

/*
 * The client's properties for a catalog: `given` (may be NULL; the
 * configuration file's catalog.<name>.* keys or the caller's), then the
 * environment: ICE_CATALOG__<NAME>__<KEY> for a named catalog, ICE_REST_<KEY>
 * for one opened by URL (KEY upper-case, '__' for '.', '_' for '-':
 * ICE_REST_OAUTH2_SERVER_URI is oauth2-server-uri, ICE_REST_HEADER__X_TENANT
 * header.x-tenant). The environment wins.
 */
int ice_rest__client_props(ice_rest_props *out, const char *name, const ice_properties *given);

/* ---- parsed documents (parse.c) --------------------------------------------------- */

/* ErrorModel ({"error": {...}}) or an OAuth error ({"error": "invalid_client"}). */
typedef struct ice_rest_error_doc {
	char type[96];
	char message[320]; /* one line: control characters replaced, cut short */
	long code;
} ice_rest_error_doc;

/* Best effort: false when the body is no error document (nothing is raised). */
bool ice_rest__parse_error(ice_rest_error_doc *out, const char *body, size_t len);

typedef struct ice_rest_config_doc {
	ice_rest_props defaults;
	ice_rest_props overrides;
	char **endpoints; /* NULL when the server sent none */
	size_t n_endpoints;
	bool has_endpoints;
	int64_t idempotency_lifetime_ms; /* 0: the server does not take Idempotency-Key */
} ice_rest_config_doc;

int ice_rest__parse_config(ice_rest_config_doc *out, const char *body, size_t len, const char *what);
void ice_rest_config_doc__free(ice_rest_config_doc *d);

typedef struct ice_rest_token_doc {
	char *access_token;
	char *issued_token_type; /* NULL: access token */
	char *refresh_token;
	int64_t expires_in_s; /* -1: not given */
} ice_rest_token_doc;

int ice_rest__parse_token(ice_rest_token_doc *out, const char *body, size_t len, const char *what);
void ice_rest_token_doc__free(ice_rest_token_doc *d);

/* ListNamespacesResponse (full dotted names) or ListTablesResponse (table
 * names; every identifier must be in `ns`). Items are appended to `out`;
 * *next_out is the next page token or NULL. */
int ice_rest__parse_namespaces(ice_string_list *out, char **next_out, const char *body, size_t len,
                               const char *what);
int ice_rest__parse_tables(ice_string_list *out, char **next_out, const char *ns, const char *body, size_t len,
                           const char *what);

/* GetNamespaceResponse / CreateNamespaceResponse: the properties (owned;
 * free with ice_catalog_properties_free). */
int ice_rest__parse_namespace(ice_properties *out, const char *body, size_t len, const char *what);

/*
 * LoadTableResult / CommitTableResponse: metadata, its location (NULL for
 * a staged table) and the FileIO properties the server vends: `config`,
 * then the storage credential with the longest prefix of the table's
 * location over it. *token_out: a token for the table's requests from
 * config["token"] (*token_type_out NULL), or one to exchange (a config key
 * "urn:ietf:params:oauth:token-type:..." gives *token_type_out); NULL when
 * none.
 */
int ice_rest__parse_load_table(ice_catalog_table *out, char **token_out, char **token_type_out, const char *body,
                               size_t len, const char *what);

/* "PT30M", "PT24H", "P1D", "PT1.5S" (ISO-8601 durations without months
 * and years) in milliseconds; -1 when malformed. */
int64_t ice_rest__parse_duration(const char *s);

/* The "exp" claim of a JWT in milliseconds, or 0 when `token` is no JWT. */
int64_t ice_rest__jwt_expiry_ms(const char *token);

/* ---- the catalog ------------------------------------------------------------------ */

typedef struct ice_rest_table_token {
	char *identifier;
	char *token;
} ice_rest_table_token;

/* Secrets and their state: only auth.c reads or writes these fields. */
typedef struct ice_rest_auth {
	pthread_mutex_t mu;
	char *credential; /* client_id:client_secret, or a secret alone */
	char *token;      /* the bearer token in use */
	char *token_type; /* its RFC 8693 type */
	char *configured_token; /* the `token` property it came from, if so */
	int64_t expires_at_ms; /* 0: unknown */
	int64_t issued_at_ms;
	char *token_url;
	char *scope;
	char *audience;
	char *resource;
	bool refresh_enabled;
	bool exchange_enabled; /* token exchange for table tokens */
	ice_rest_table_token *table_tokens;
	size_t n_table_tokens;
	/* SigV4 (rest.sigv4-enabled) */
	bool sigv4;
	char *signing_region;
	char *signing_name;
	ice_aws_credentials aws;
} ice_rest_auth;

typedef struct ice_rest_catalog {
	ice_catalog base;
	char *label;     /* names the catalog in messages: its name, or its URI redacted */
	char *base_url;  /* `uri` without a trailing '/' */
	char *prefix;    /* path segment(s) after /v1/, already encoded; NULL: none */
	char *separator; /* the namespace separator, URL-encoded ("%1F") */
	ice_rest_props props; /* the merged configuration */
	char **endpoints;
	size_t n_endpoints;
	bool endpoints_listed;
	int64_t idempotency_lifetime_ms;
	ice_http_client *http;
	char *http_key; /* the settings c->http was made with (see make_http) */
	ice_http_headers headers; /* header.* and the fixed ones */
	char *delegation;         /* X-Iceberg-Access-Delegation, or NULL */
	bool refs_only;           /* snapshot-loading-mode=refs */
	bool metrics_enabled;     /* rest-metrics-reporting-enabled */
	struct ice_rest_report *report; /* a metrics report in flight */
	ice_rest_auth auth;
} ice_rest_catalog;

/* A property as a bool or milliseconds; the fallback when unset; raises
 * ICE_EINVALID naming the key (never the value of a secret). */
int ice_rest__prop_bool(const ice_rest_catalog *c, const char *key, bool fallback, bool *out);
int ice_rest__prop_int(const ice_rest_catalog *c, const char *key, int64_t lo, int64_t hi, int64_t fallback,
                       int64_t *out);

/* Whether the server lists `route` ("POST /v1/{prefix}/transactions/commit"),
 * or lists nothing (then the spec's default set is assumed). */
bool ice_rest__supports(const ice_rest_catalog *c, const char *route);

/* ---- auth.c ------------------------------------------------------------------------ */

int ice_rest_auth__init(ice_rest_catalog *c);
void ice_rest_auth__free(ice_rest_auth *a);
/* Get a token when a credential is configured and there is none yet, or
 * refresh one that is about to expire (before a request). */
int ice_rest_auth__ensure(ice_rest_catalog *c);
/* After 401/419: a new token if one can be had (*renewed_out). */
int ice_rest_auth__renew(ice_rest_catalog *c, bool *renewed_out);
/* A table's token from its LoadTableResult config: used as is when
 * `token_type` is NULL, else exchanged (RFC 8693) with the catalog's token
 * as the actor. */
int ice_rest_auth__table_token(ice_rest_catalog *c, const char *identifier, const char *token,
                               const char *token_type);
void ice_rest_auth__forget_table(ice_rest_catalog *c, const char *identifier);
/* The per-attempt hook: Authorization (the table's token, else the
 * catalog's) and, with SigV4, the signature. */
typedef struct ice_rest_signing {
	ice_rest_catalog *catalog;
	const char *table;     /* identifier or NULL */
	const char *body;
	size_t body_len;
	bool no_token;         /* token requests authenticate otherwise */
} ice_rest_signing;
int ice_rest_auth__prepare(ice_http_headers *extra, const ice_http_request *req, void *payload);

/* ---- client.c ---------------------------------------------------------------------- */

typedef struct ice_rest_call {
	const char *method;
	const char *route;  /* "GET /v1/{prefix}/namespaces": checked against the endpoints; NULL: none */
	ice_buf url;        /* built by the caller (ice_rest__url and friends) */
	char what[256];     /* "GET db.events": names the request in messages */
	const char *body;   /* request body (JSON unless content_type says otherwise) */
	size_t body_len;
	const char *content_type;
	const char *table;  /* identifier whose table token applies */
	bool mutation;      /* changes state: may carry an Idempotency-Key */
	bool delegation;    /* send X-Iceberg-Access-Delegation */
	bool no_token;      /* no bearer token (token requests) */
	ice_http_headers headers; /* this call's own headers */
	size_t max_body;    /* 0: 64 MiB */
	const char *if_none_match;
	ice_http_response resp;
} ice_rest_call;

void ice_rest_call__init(ice_rest_call *call, const char *method, const char *route, const char *what_fmt, ...)
    ICE_PRINTF(4, 5);
void ice_rest_call__free(ice_rest_call *call);

/* <base>/v1/<prefix>/ then `tail` appended by the caller. */
int ice_rest__url(ice_rest_catalog *c, ice_buf *url);
/* Levels of a dotted namespace, percent-encoded, joined by the separator. */
int ice_rest__put_namespace(ice_rest_catalog *c, ice_buf *url, const char *ns);
/* <base>/v1/<prefix>/namespaces/<ns>/tables/<name> for "ns.name". */
int ice_rest__table_url(ice_rest_catalog *c, ice_buf *url, const char *identifier);
/* Splits "a.b.t" into the namespace "a.b" (allocated) and the name. */
int ice_rest__split_identifier(const char *identifier, char **ns_out, const char **name_out);
/* Writes a dotted namespace as a JSON array of levels. */
int ice_rest__write_namespace(ice_json_writer *w, const char *ns, size_t len);

/*
 * Send: 0 when a response arrived (any status: call->resp.status says),
 * ICE_EUNSUPPORTED when the server does not list the route, or the
 * transport's error (call->resp.may_have_landed then says whether the
 * request may have reached the server).
 */
int ice_rest__send(ice_rest_catalog *c, ice_rest_call *call);

/* How a failed status reads for the kind of request. */
typedef enum ice_rest_kind {
	ICE_REST_NAMESPACE,
	ICE_REST_TABLE,
	ICE_REST_COMMIT,
	ICE_REST_TOKEN,
	ICE_REST_OTHER,
} ice_rest_kind;
/* Raise the error for a non-2xx response: the code its status maps to
 * and "<label>: <what>: <status> <type>: <message>". Returns the code. */
int ice_rest__fail(ice_rest_catalog *c, const ice_rest_call *call, ice_rest_kind kind);
/* Send and require 2xx (anything else raised with ice_rest__fail). */
int ice_rest__exchange(ice_rest_catalog *c, ice_rest_call *call, ice_rest_kind kind);

/* ---- catalog.c / commit.c ------------------------------------------------------------- */

extern const ice_catalog_ops ice_rest__ops;
void ice_rest__free(ice_catalog *base); /* config.c */

int ice_rest__commit(ice_catalog *base, const ice_catalog_change *change, ice_catalog_table *out);
int ice_rest__commit_transaction(ice_catalog *base, const ice_catalog_change *changes, size_t n,
                                 ice_catalog_table *outs);
/* Sends the report without waiting for the answer (best effort); the
 * next request, or closing the catalog, collects it. */
int ice_rest__report_metrics(ice_catalog *base, const char *identifier, const char *report, size_t len);
void ice_rest__collect_report(ice_rest_catalog *c);
/* A CommitTableRequest for `change` (with its identifier when `with_id`). */
int ice_rest__write_commit(ice_json_writer *w, const ice_catalog_change *change, bool with_id);
/* The identifier as a TableIdentifier object. */
int ice_rest__write_identifier(ice_json_writer *w, const char *identifier);

#endif
