/*
 * serve/internal.h - what the files of the REST catalog server share: the
 * configuration, the server object, one request being answered, replies
 * (results and the spec's ErrorModel), and each file's entry points.
 */
#ifndef ICE_SERVE_INTERNAL_H
#define ICE_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "ice/serve.h"
#include "util/buf.h"
#include "util/hashmap.h"
#include "util/json.h"

#define SERVE_MAX_SEGMENTS 16
#define SERVE_LOCK_STRIPES 64
#define SERVE_COMMIT_RETRIES 4
#define SERVE_GROUP_MAX 64 /* table commits published as one version */

enum { RIGHT_READ = 1, RIGHT_WRITE = 2 };

typedef struct serve_secret {
	char *name;   /* principal (token.<name>) or client id (client.<id>) */
	char *secret; /* never printed */
} serve_secret;

typedef struct serve_grant {
	char *principal; /* "*": everyone authenticated */
	char *ns;        /* dotted namespace, or "*" */
	int rights;
} serve_grant;

typedef struct serve_kv {
	char *key, *value;
} serve_kv;

struct ice_server_config {
	char *catalog;
	char *listen;
	char *prefix;
	int auth; /* -1 unset, 0 none, 1 bearer */
	serve_secret *tokens;
	size_t ntokens;
	serve_secret *clients;
	size_t nclients;
	serve_grant *grants;
	size_t ngrants;
	int64_t token_lifetime_s;
	size_t max_tokens;
	char *tls_cert, *tls_key;
	bool vend;
	serve_kv *credentials;
	size_t ncredentials;
	size_t max_body;
	int timeout_s;
	int max_connections;
	int threads;
};

/* Issued OAuth2 tokens (auth.c). */
typedef struct serve_tokens {
	pthread_mutex_t lock;
	ice_map map; /* token text -> serve_token* */
} serve_tokens;

typedef struct serve_http serve_http; /* http.c */

/* Table commits waiting for their stripe (commit.c): one leader at a time
 * takes every queued commit of its table and publishes them as one version. */
typedef struct serve_waiter serve_waiter;
typedef struct serve_queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	serve_waiter *head, *tail;
	bool leading; /* a leader is taking or committing a group */
} serve_queue;

struct ice_server {
	ice_catalog *catalog;
	ice_server_config *cfg;
	ice_server_log_fn log;
	void *log_payload;
	pthread_mutex_t stripes[SERVE_LOCK_STRIPES]; /* commits per table */
	serve_queue queues[SERVE_LOCK_STRIPES];      /* table commits waiting, per stripe */
	serve_tokens tokens;
	serve_http *http;
	atomic_bool stopping;
};

/* One request being answered. */
typedef struct serve_req {
	ice_server *s;
	const ice_server_request *rq;
	const char *principal; /* NULL: anonymous (auth none) */
	char *principal_owned;
	/* Decoded path segments after /v1 (and the prefix). */
	char *seg[SERVE_MAX_SEGMENTS];
	size_t nseg;
	ice_json *body; /* parsed request body, when one is needed */
	/* The reply. */
	int status;
	ice_json_writer w;
	bool has_body;
	char *etag;
} serve_req;

/* config.c: a deep copy (the server keeps its own). */
int ice_server__config_copy(ice_server_config **out, const ice_server_config *c);

/* ---- server.c: replies ---------------------------------------------------- */

/* An ErrorModel reply; returns 0 so handlers can `return serve_error(...)`. */
int serve_error(serve_req *r, int status, const char *type, const char *fmt, ...) ICE_PRINTF(4, 5);
/* The library's last error as a reply; `what` ("table", "namespace") picks
 * the NoSuch... type of a not-found error. */
int serve_fail(serve_req *r, int rc, const char *what);
/* Starts a JSON reply with `status` (the caller writes r->w). */
ice_json_writer *serve_reply(serve_req *r, int status);
int serve_no_content(serve_req *r);
/* The value of a query parameter (decoded, allocated), or NULL. */
char *serve_query(const serve_req *r, const char *name);
/* Parses the body as a JSON object into r->body; replies 400 and returns
 * nonzero when it is not one. */
int serve_parse_body(serve_req *r);

/* ---- names.c: namespaces and identifiers from the wire ---------------------- */

/* Percent-decode `len` bytes (allocated); false for bad escapes or NUL. */
bool serve_decode(const char *s, size_t len, bool plus_is_space, char **out);
/* A namespace from a path segment or query value (levels separated by 0x1F
 * or '.') to the catalog's dotted form; false (and a 400 reply) if bad. */
bool serve_ns_from_text(serve_req *r, const char *text, char **out);
/* A JSON namespace array to the dotted form; false (and a 400 reply) if bad. */
bool serve_ns_from_json(serve_req *r, const ice_json *arr, const char *where, char **out);
/* A JSON TableIdentifier object to "ns.table"; false (and a 400 reply) if bad. */
bool serve_ident_from_json(serve_req *r, const ice_json *obj, const char *where, char **out);
/* A table name checked as one level; false (and a 400 reply) if bad. */
bool serve_check_name(serve_req *r, const char *name, const char *what);
/* A JSON string without NUL characters; false (and a 400 reply) if not. */
bool serve_string(serve_req *r, const ice_json *j, const char *where, const char **out);
/* Writes the dotted namespace as a JSON array of levels. */
void serve_write_ns(ice_json_writer *w, const char *dotted, size_t len);

/* ---- auth.c ---------------------------------------------------------------- */

int serve_tokens_init(serve_tokens *t);
void serve_tokens_free(serve_tokens *t);
/* Authenticates the request (sets r->principal); replies 401/419 and
 * returns nonzero when it may not go on. */
int serve_authenticate(serve_req *r);
/* Whether the principal holds `rights` on namespace `ns` (dotted, "" for the
 * catalog root); replies 403 and returns false when not. */
bool serve_allowed(serve_req *r, const char *ns, int rights);
/* Whether the principal may see namespace `ns` in a listing. */
bool serve_visible(const serve_req *r, const char *ns);
int serve_oauth_tokens(serve_req *r);

/* ---- namespaces.c ---------------------------------------------------------- */

int serve_config(serve_req *r);
int serve_list_namespaces(serve_req *r);
int serve_create_namespace(serve_req *r);
int serve_load_namespace(serve_req *r, const char *ns);
int serve_namespace_exists(serve_req *r, const char *ns);
int serve_drop_namespace(serve_req *r, const char *ns);
int serve_update_namespace(serve_req *r, const char *ns);

/* ---- tables.c -------------------------------------------------------------- */

int serve_list_tables(serve_req *r, const char *ns);
int serve_create_table(serve_req *r, const char *ns);
int serve_load_table(serve_req *r, const char *ns, const char *name);
int serve_table_exists(serve_req *r, const char *ns, const char *name);
int serve_drop_table(serve_req *r, const char *ns, const char *name);
int serve_register_table(serve_req *r, const char *ns);
int serve_rename_table(serve_req *r);
int serve_report_metrics(serve_req *r, const char *ns, const char *name);
/* Writes a LoadTableResult (or CommitTableResponse without config). */
int serve_write_table_result(serve_req *r, int status, const char *identifier, const char *metadata_location,
                             const ice_table_metadata *md, bool with_config);
/* Writes a CommitTableResponse whose metadata is already JSON text. */
int serve_write_commit_result(serve_req *r, const char *metadata_location, const char *metadata_json, size_t len);
/* Whether the namespace exists (replies 404 or an error when not). */
bool serve_namespace_present(serve_req *r, const char *ns);

/* ---- commit.c -------------------------------------------------------------- */

int serve_commit_table(serve_req *r, const char *ns, const char *name);
int serve_commit_transaction(serve_req *r);
/* Per-table locks: the stripes of `n` identifiers, locked in order. */
void serve_lock_tables(ice_server *s, const char *const *identifiers, size_t n, int *held, size_t *nheld);
void serve_unlock_tables(ice_server *s, const int *held, size_t nheld);
/* One table's lock; returns what to unlock. */
int serve_lock_table(ice_server *s, const char *identifier);
void serve_unlock_table(ice_server *s, int stripe);
/* Whether `location` lies inside `root` (the io layer's containment guard:
 * normalized, no symbolic link leading out). */
bool serve_location_inside(const serve_req *r, const char *location, const char *root);

/* ---- fresh.c: a new table's metadata as the reference creates it ----------- */

/*
 * Metadata for CreateTableRequest `req` at `location`: field ids assigned
 * fresh (the reference's order), the spec and sort order rebound to them by
 * name, format-version taken from the properties (default 2).
 */
int serve_new_table_metadata(serve_req *r, const ice_json *req, const char *location, bool stage,
                             ice_table_metadata **out);

/* ---- http.c ---------------------------------------------------------------- */

int serve_http_start(ice_server *s);
int serve_http_port(const ice_server *s);
void serve_http_stop(ice_server *s, int grace_ms);
void serve_log(ice_server *s, const char *fmt, ...) ICE_PRINTF(2, 3);

/* ---- tls.c ----------------------------------------------------------------- */

typedef struct serve_tls serve_tls;
/* Connections accepted on `listen_fd` are TLS-terminated and handed to
 * `hand_over` as a plain socket. */
int serve_tls_start(serve_tls **out, const char *cert, const char *key, int listen_fd, int max_connections,
                    int (*hand_over)(int fd, void *payload), void *payload);
/* Stop taking connections (before the HTTP server stops). */
void serve_tls_stop_accepting(serve_tls *tls);
/* Close what is left and free (after the HTTP server stopped). */
void serve_tls_stop(serve_tls *tls);

#endif
