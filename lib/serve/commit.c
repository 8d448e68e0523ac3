/*
 * serve/commit.c - POST .../tables/{table} (CommitTableRequest) and POST
 * .../transactions/commit (CommitTransactionRequest).
 *
 * A commit loads the table's current metadata, checks every requirement
 * against it, applies every update through the metadata builder, checks that
 * what the updates add stays inside the table's location (manifest lists,
 * statistics files) and the location inside the warehouse, and hands the
 * result to the catalog, whose publish never replaces a file: the version it
 * writes is the one after the metadata the requirements were checked against.
 * When another writer (another server, an ice process) got there first, the
 * commit starts over from the new metadata (requirements checked again), up
 * to SERVE_COMMIT_RETRIES times, as the reference does; failed requirements
 * are final (409 CommitFailedException). Within one server, commits to a
 * table are serialized by a striped lock, so they never race each other.
 *
 * Commits to one table that arrive while another is being written wait in
 * a queue; the next leader takes all of them (up to SERVE_GROUP_MAX) and
 * applies them one after the other on the table's current metadata, each
 * one's requirements checked against the metadata as the ones before it
 * left it, exactly as if they had been committed in that order. The result
 * is published once, as one new version: a group commit. A commit whose
 * requirements fail (or whose updates do not apply) is answered alone and
 * left out; every other one is answered with the published metadata (which
 * then includes the changes of those committed with it, as when another
 * commit lands right after). When the publish loses to another writer, the
 * whole group starts over from the new metadata. The cost of a version
 * (reading the table's metadata, writing and syncing a file, answering) is
 * paid once per group instead of once per commit.
 *
 * A requirement of assert-create makes the commit a create (the second half
 * of a stage-create): the updates build the table from nothing.
 *
 * A transaction locks all its tables (in stripe order, so two transactions
 * cannot deadlock), prepares every change (nothing is written unless every
 * requirement holds and every update applies), then publishes them one by
 * one. Should a publish still fail (a writer outside this server), the
 * tables already published are put back to their previous metadata (a new
 * version with the old content) and the client gets 409; if even that fails
 * the answer is 500 CommitStateUnknownException.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "catalog/internal.h"
#include "io/io.h"

#define MAX_TABLE_CHANGES 100

/* ---- locks -------------------------------------------------------------------- */

static int stripe_of(const char *identifier)
{
	return (int)(ice_hash__bytes(identifier, strlen(identifier)) % SERVE_LOCK_STRIPES);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void serve_lock_tables(ice_server *s, const char *const *identifiers, size_t n, int *held, size_t *nheld)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int stripe = stripe_of(identifiers[i]);
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = held[j] == stripe;
		if (!seen)
			held[k++] = stripe;
	}
	qsort(held, k, sizeof(int), cmp_int);
	for (size_t i = 0; i < k; i++)
		pthread_mutex_lock(&s->stripes[held[i]]);
	*nheld = k;
}

void serve_unlock_tables(ice_server *s, const int *held, size_t nheld)
{
	for (size_t i = nheld; i > 0; i--)
		pthread_mutex_unlock(&s->stripes[held[i - 1]]);
}

int serve_lock_table(ice_server *s, const char *identifier)
{
	int stripe = stripe_of(identifier);
	pthread_mutex_lock(&s->stripes[stripe]);
	return stripe;
}

void serve_unlock_table(ice_server *s, int stripe)
{
	pthread_mutex_unlock(&s->stripes[stripe]);
}

/* ---- containment -------------------------------------------------------------- */

bool serve_location_inside(const serve_req *r, const char *location, const char *root)
{
	int rc = location && root ? ice_io__check_within(r->s->catalog->io, root, location) : ICE_EINVALID;
	if (rc)
		ice_error_clear();
	return rc == 0;
}

/* ---- one table change ----------------------------------------------------------- */

typedef struct change {
	char *ident;
	const ice_json *json; /* the CommitTableRequest object */
	ice_table_requirements *reqs;
	ice_table_updates *updates;
	bool create;
	int format_version; /* of a create: from upgrade-format-version, 0 if none */
	ice_table_metadata *base;
	char *base_loc;
	ice_table_metadata *next;
	char *next_loc;
	bool published;
	bool unchanged;
} change;

static void change_reset(change *c)
{
	ice_table_metadata_free(c->base);
	ice_table_metadata_free(c->next);
	ice__free(c->base_loc);
	ice__free(c->next_loc);
	c->base = c->next = NULL;
	c->base_loc = c->next_loc = NULL;
	c->unchanged = false;
}

static void change_free(change *c)
{
	change_reset(c);
	ice_table_requirements_free(c->reqs);
	ice_table_updates_free(c->updates);
	ice__free(c->ident);
}

/* The text of a JSON value (for the parsers that take text). */
static char *text_of(const ice_json *j, size_t *len)
{
	ice_json_writer w;
	const char *t;
	char *out = NULL;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	if (ice_json__write(j, &w) == 0 && ice_json_writer_finish(&w, &t, len) == 0)
		out = ice__strndup(t, *len);
	ice_jw__free(&w);
	return out;
}

/* Whether a parse succeeded; replies 400 (or 503) when not. */
static bool parsed(serve_req *r, int rc, const char *where)
{
	if (!rc)
		return true;
	if (ice_error__is_oom())
		serve_fail(r, rc, NULL);
	else
		serve_error(r, 400, "BadRequestException", "%s%s", where, ice_error_last()->message);
	return false;
}

/* Parses requirements and updates of a CommitTableRequest; replies 400. */
static bool parse_change(serve_req *r, change *c, const char *where)
{
	const ice_json *reqs = ice_json__get(c->json, "requirements");
	const ice_json *ups = ice_json__get(c->json, "updates");
	char *text;
	size_t len;
	int rc;
	if (!reqs || ice_json__type(reqs) != ICE_JSON_ARRAY || !ups || ice_json__type(ups) != ICE_JSON_ARRAY) {
		serve_error(r, 400, "BadRequestException", "%srequirements and updates must be arrays", where);
		return false;
	}
	for (size_t i = 0; i < ice_json__size(reqs); i++) {
		const ice_json *t = ice_json__get(ice_json__at(reqs, i), "type");
		if (t && ice_json__type(t) == ICE_JSON_STRING && !strcmp(ice_json__str(t, NULL), "assert-create"))
			c->create = true;
	}
	if (c->create && ice_json__size(reqs) != 1) {
		serve_error(r, 400, "IllegalArgumentException", "%sInvalid create requirements: assert-create must be alone",
		            where);
		return false;
	}
	for (size_t i = 0; c->create && i < ice_json__size(ups); i++) {
		const ice_json *u = ice_json__at(ups, i), *a = ice_json__get(u, "action"), *v;
		if (a && ice_json__type(a) == ICE_JSON_STRING && !strcmp(ice_json__str(a, NULL), "upgrade-format-version") &&
		    (v = ice_json__get(u, "format-version")) && ice_json__type(v) == ICE_JSON_INT && !c->format_version)
			c->format_version = (int)ice_json__int(v);
	}
	if (!(text = text_of(reqs, &len)))
		return serve_fail(r, ICE_ERROR, NULL), false;
	rc = ice_table_requirements_from_json(&c->reqs, text, len, "requirements");
	ice__free(text);
	if (!parsed(r, rc, where))
		return false;
	if (!(text = text_of(ups, &len)))
		return serve_fail(r, ICE_ERROR, NULL), false;
	rc = ice_table_updates_from_json(&c->updates, text, len, "updates");
	ice__free(text);
	return parsed(r, rc, where);
}

static bool snapshot_in(const ice_table_metadata *md, int64_t id)
{
	return md && ice_table_metadata_snapshot_by_id(md, id) != NULL;
}

/* What the commit adds must stay inside the table, the table inside the
 * warehouse; replies 400 when not. */
static bool contained(serve_req *r, const change *c, const ice_table_metadata *base)
{
	const ice_table_metadata *next = c->next;
	const char *loc = ice_table_metadata_location(next);
	const char *warehouse = ice_catalog_uri(r->s->catalog);
	if (!serve_location_inside(r, loc, warehouse)) {
		serve_error(r, 400, "ValidationException", "%s: the table location %s is outside the warehouse", c->ident,
		            loc);
		return false;
	}
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(next); i++) {
		const ice_snapshot *s = ice_table_metadata_snapshot_at(next, i);
		if (snapshot_in(base, s->snapshot_id))
			continue;
		if (s->manifest_list && !serve_location_inside(r, s->manifest_list, loc)) {
			serve_error(r, 400, "ValidationException",
			            "%s: add-snapshot %lld: the manifest list %s is outside the table location %s", c->ident,
			            (long long)s->snapshot_id, s->manifest_list, loc);
			return false;
		}
		for (size_t m = 0; m < s->n_manifests; m++)
			if (!serve_location_inside(r, s->manifests[m], loc)) {
				serve_error(r, 400, "ValidationException", "%s: add-snapshot %lld: a manifest is outside %s",
				            c->ident, (long long)s->snapshot_id, loc);
				return false;
			}
	}
	for (size_t i = 0; i < ice_table_metadata_statistics_count(next); i++) {
		const ice_statistics_file *f = ice_table_metadata_statistics_at(next, i);
		if (!serve_location_inside(r, f->statistics_path, loc)) {
			serve_error(r, 400, "ValidationException", "%s: statistics file %s is outside the table location",
			            c->ident, f->statistics_path);
			return false;
		}
	}
	for (size_t i = 0; i < ice_table_metadata_partition_statistics_count(next); i++) {
		const ice_partition_statistics_file *f = ice_table_metadata_partition_statistics_at(next, i);
		if (!serve_location_inside(r, f->statistics_path, loc)) {
			serve_error(r, 400, "ValidationException",
			            "%s: partition statistics file %s is outside the table location", c->ident,
			            f->statistics_path);
			return false;
		}
	}
	return true;
}

/* Update errors the client can fix by refreshing (stale ids): 409, as the
 * reference answers a RetryableValidationException; others 400. */
static int update_failed(serve_req *r, const change *c)
{
	const char *msg = ice_error_last()->message;
	if (ice_error__is_oom())
		return serve_fail(r, ICE_ERROR, NULL);
	if (strstr(msg, "is not above the table's last sequence number") || strstr(msg, "is behind the table's next-row-id"))
		return serve_error(r, 409, "CommitFailedException", "Validation failed, please retry: %s: %s", c->ident,
		                   msg);
	return serve_error(r, 400, "ValidationException", "%s: %s", c->ident, msg);
}

/*
 * Checks the requirements against `base` (NULL for a create) and builds
 * c->next on it; `previous` (NULL: none) is the file `base` was read from,
 * for the metadata log. Returns 0 when ready (c->unchanged when there is
 * nothing to write), else nonzero after replying.
 */
static int build_on(serve_req *r, change *c, const ice_table_metadata *base, const char *previous)
{
	ice_metadata_builder *b = NULL;
	int rc;
	ice_table_metadata_free(c->next);
	c->next = NULL;
	c->unchanged = false;
	if ((rc = ice_table_requirements_check(c->reqs, base)) != 0) {
		if (rc == ICE_ECONFLICT)
			serve_error(r, 409, "CommitFailedException", "%s: %s", c->ident, ice_error_last()->message);
		else
			serve_fail(r, rc, "table");
		return 1;
	}
	if (c->create)
		rc = c->format_version ? ice_metadata_builder_new_table(&b, c->format_version)
		                       : ice_metadata_builder_new(&b, NULL);
	else if ((rc = ice_metadata_builder_new(&b, base)) == 0 && previous)
		rc = ice_metadata_builder_set_previous_location(b, previous);
	if (rc) {
		ice_metadata_builder_free(b);
		return serve_fail(r, rc, "table"), 1;
	}
	if ((rc = ice_metadata_builder_apply(b, c->updates)) != 0) {
		ice_metadata_builder_free(b);
		return update_failed(r, c), 1;
	}
	if (!c->create && ice_metadata_builder_change_count(b) == 0) {
		ice_metadata_builder_free(b);
		c->unchanged = true;
		return 0;
	}
	rc = ice_metadata_builder_build(&c->next, b);
	ice_metadata_builder_free(b);
	if (rc)
		return update_failed(r, c), 1;
	if (!contained(r, c, base)) {
		ice_table_metadata_free(c->next);
		c->next = NULL;
		return 1;
	}
	return 0;
}

/* Whether a load's failure means the table is not there. */
static bool not_found(int rc)
{
	return rc == ICE_ENOTFOUND || (rc == ICE_EINVALID && ice_error_last()->klass == ICE_ERRCLASS_CATALOG);
}

/*
 * Loads the base, checks requirements, builds the next metadata. Returns 0
 * when ready (c->unchanged when there is nothing to write), else nonzero
 * after replying.
 */
static int prepare(serve_req *r, change *c)
{
	int rc;
	change_reset(c);
	rc = ice_catalog_load_metadata(r->s->catalog, c->ident, &c->base, &c->base_loc);
	if (not_found(rc)) {
		if (!c->create) {
			serve_error(r, 404, "NoSuchTableException", "Table does not exist: %s", c->ident);
			return 1;
		}
		ice_error_clear();
	} else if (rc) {
		serve_fail(r, rc, "table");
		return 1;
	} else if (c->create) {
		serve_error(r, 409, "AlreadyExistsException", "Table already exists: %s", c->ident);
		return 1;
	}
	return build_on(r, c, c->base, c->base_loc);
}

/* Writes the prepared change: 0, or the catalog's code (nothing replied). */
static int publish(serve_req *r, change *c)
{
	int rc;
	if (c->unchanged)
		return 0;
	if (c->create)
		rc = ice_catalog_create_table(r->s->catalog, c->ident, c->next, &c->next_loc);
	else
		rc = ice_catalog_commit(r->s->catalog, c->ident, c->base, c->base_loc, NULL, NULL, c->next, &c->next_loc);
	if (!rc)
		c->published = true;
	return rc;
}

static int publish_failed(serve_req *r, const change *c, int rc)
{
	if (rc == ICE_EEXISTS && c->create)
		return serve_error(r, 409, "AlreadyExistsException", "Table already exists: %s", c->ident);
	if (rc == ICE_ECONFLICT || rc == ICE_EEXISTS)
		return serve_error(r, 409, "CommitFailedException", "%s: %s", c->ident, ice_error_last()->message);
	return serve_fail(r, rc, "table");
}

/* ---- group commits ---------------------------------------------------------------- */

struct serve_waiter {
	serve_req *r;
	change *c;
	bool taken; /* by a leader: answered when done */
	bool done;
	serve_waiter *next;
};

/* A group being committed: the table's metadata it starts from and what
 * each member made of it. */
typedef struct group {
	serve_waiter *m[SERVE_GROUP_MAX];
	bool ok[SERVE_GROUP_MAX]; /* applied: answered with the result */
	size_t n;
	ice_table_metadata *base;
	char *base_loc;
	const ice_table_metadata *result; /* base, or the last member's next */
	char *result_loc;                 /* NULL: base_loc */
} group;

/* A reply written before a retry is forgotten. */
static void reply_reset(serve_req *r)
{
	ice_jw__free(&r->w);
	ice_jw__init(&r->w, ICE_JSON_COMPACT);
	r->status = 0;
	r->has_body = false;
}

static void group_reset(group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		change *c = g->m[i]->c;
		ice_table_metadata_free(c->next);
		c->next = NULL;
		c->unchanged = false;
		g->ok[i] = false;
		reply_reset(g->m[i]->r);
	}
	ice_table_metadata_free(g->base);
	ice__free(g->base_loc);
	ice__free(g->result_loc);
	g->base = NULL;
	g->base_loc = g->result_loc = NULL;
	g->result = NULL;
}

/*
 * One attempt: loads the table, applies every member in order, publishes
 * the result as the next version. Returns 0 when done (every member that
 * failed answered, the others ok), ICE_ECONFLICT when another writer won
 * the version (nothing answered), else an error after answering everyone.
 */
static int group_attempt(ice_server *s, group *g, const char *ident, bool last)
{
	const ice_table_metadata *acc;
	const char *previous;
	int rc = ice_catalog_load_metadata(s->catalog, ident, &g->base, &g->base_loc);
	if (rc) {
		for (size_t i = 0; i < g->n; i++) {
			if (not_found(rc))
				serve_error(g->m[i]->r, 404, "NoSuchTableException", "Table does not exist: %s", ident);
			else
				serve_fail(g->m[i]->r, rc, "table");
		}
		return rc;
	}
	acc = g->base;
	previous = g->base_loc;
	for (size_t i = 0; i < g->n; i++) {
		change *c = g->m[i]->c;
		if (build_on(g->m[i]->r, c, acc, previous) != 0)
			continue; /* answered */
		g->ok[i] = true;
		if (c->unchanged)
			continue;
		acc = c->next;
		previous = NULL; /* the log names published files only */
	}
	g->result = acc;
	if (acc == g->base)
		return 0;
	rc = ice_catalog_commit(s->catalog, ident, g->base, g->base_loc, NULL, NULL, acc, &g->result_loc);
	if (rc == ICE_ECONFLICT && !last) {
		ice_error_clear();
		return rc;
	}
	for (size_t i = 0; rc && i < g->n; i++) {
		if (g->ok[i])
			publish_failed(g->m[i]->r, g->m[i]->c, rc);
		g->ok[i] = false;
	}
	return rc;
}

/* Answers the members that went in: the published metadata, written once. */
static void group_answer(group *g)
{
	const char *loc = g->result_loc ? g->result_loc : g->base_loc;
	ice_json_writer w;
	const char *text = NULL;
	size_t len = 0;
	bool any = false;
	for (size_t i = 0; i < g->n; i++)
		any = any || g->ok[i];
	if (!any)
		return;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	int rc = ice_table_metadata_write_json(g->result, &w);
	if (!rc)
		rc = ice_json_writer_finish(&w, &text, &len);
	for (size_t i = 0; i < g->n; i++) {
		serve_req *r = g->m[i]->r;
		if (!g->ok[i])
			continue;
		if (rc || serve_write_commit_result(r, loc, text, len) != 0) {
			/* Committed, but the answer could not be built. */
			ice__free(r->etag);
			r->etag = NULL;
			serve_error(r, 503, "ServiceUnavailableException",
			            "out of memory answering a commit that landed as %s; load the table", loc);
		}
	}
	ice_jw__free(&w);
}

/* Leads one group of `ident`'s queued commits through the table's stripe. */
static void lead(ice_server *s, int stripe, const char *ident)
{
	serve_queue *q = &s->queues[stripe];
	group g;
	memset(&g, 0, sizeof(g));
	pthread_mutex_lock(&s->stripes[stripe]);
	pthread_mutex_lock(&q->lock);
	/* Every queued commit of this table, in the order they came. */
	for (serve_waiter **p = &q->head; *p && g.n < SERVE_GROUP_MAX;) {
		serve_waiter *w = *p;
		if (strcmp(w->c->ident, ident) != 0) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->taken = true;
		g.m[g.n++] = w;
	}
	q->tail = NULL;
	for (serve_waiter *w = q->head; w; w = w->next)
		q->tail = w;
	pthread_mutex_unlock(&q->lock);
	for (int attempt = 0;; attempt++) {
		int rc = group_attempt(s, &g, ident, attempt == SERVE_COMMIT_RETRIES);
		if (rc != ICE_ECONFLICT || attempt == SERVE_COMMIT_RETRIES)
			break;
		/* Another writer won v<N+1>: start over from theirs. */
		group_reset(&g);
	}
	pthread_mutex_unlock(&s->stripes[stripe]);
	/* The next group may start while this one is answered. */
	pthread_mutex_lock(&q->lock);
	q->leading = false;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
	group_answer(&g);
	/* A member's change is its own again once it is done. */
	for (size_t i = 0; i < g.n; i++) {
		ice_table_metadata_free(g.m[i]->c->next);
		g.m[i]->c->next = NULL;
	}
	ice_table_metadata_free(g.base);
	ice__free(g.base_loc);
	ice__free(g.result_loc);
	pthread_mutex_lock(&q->lock);
	for (size_t i = 0; i < g.n; i++)
		g.m[i]->done = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* Queues the commit; the first to find no leader leads. Answered on return. */
static void commit_queued(serve_req *r, change *c)
{
	ice_server *s = r->s;
	int stripe = stripe_of(c->ident);
	serve_queue *q = &s->queues[stripe];
	serve_waiter self = {r, c, false, false, NULL};
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = &self;
	else
		q->head = &self;
	q->tail = &self;
	for (;;) {
		while (!self.done && (q->leading || self.taken))
			pthread_cond_wait(&q->changed, &q->lock);
		if (self.done)
			break;
		q->leading = true;
		pthread_mutex_unlock(&q->lock);
		lead(s, stripe, c->ident);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
}

int serve_commit_table(serve_req *r, const char *ns, const char *name)
{
	change c;
	int rc = 0;
	memset(&c, 0, sizeof(c));
	if (!serve_allowed(r, ns, RIGHT_WRITE) || serve_parse_body(r))
		return 0;
	c.json = r->body;
	if (!(c.ident = ice__malloc(strlen(ns) + strlen(name) + 2)))
		return ICE_ERROR;
	sprintf(c.ident, "%s.%s", ns, name);
	/* The identifier in the body, when given, must be this table. */
	const ice_json *id = ice_json__get(r->body, "identifier");
	if (id && ice_json__type(id) != ICE_JSON_NULL) {
		char *other = NULL;
		if (!serve_ident_from_json(r, id, "identifier", &other))
			goto done;
		bool same = !strcmp(other, c.ident);
		ice__free(other);
		if (!same) {
			serve_error(r, 400, "BadRequestException", "identifier: the body names another table than the path");
			goto done;
		}
	}
	if (!parse_change(r, &c, ""))
		goto done;
	if (c.create && !serve_namespace_present(r, ns))
		goto done;
	if (!c.create) {
		commit_queued(r, &c);
		goto done;
	}
	int stripe = serve_lock_table(r->s, c.ident);
	if (prepare(r, &c) == 0) {
		if ((rc = publish(r, &c)) == 0)
			rc = serve_write_table_result(r, 200, c.ident, c.next_loc, c.next, false);
		else
			rc = publish_failed(r, &c, rc);
	}
	serve_unlock_table(r->s, stripe);
done:
	change_free(&c);
	return rc;
}

/* Puts published tables back; false when one could not be. */
static bool revert(serve_req *r, change *changes, size_t n)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		change *c = &changes[i];
		char *loc = NULL;
		int rc;
		if (!c->published || c->unchanged)
			continue;
		if (c->create)
			rc = ice_catalog_drop_table(r->s->catalog, c->ident, false, NULL);
		else
			rc = ice_catalog_commit(r->s->catalog, c->ident, c->next, c->next_loc, NULL, NULL, c->base, &loc);
		ice__free(loc);
		if (rc) {
			ok = false;
			serve_log(r->s, "transaction: could not put %s back: %s", c->ident, ice_error_last()->message);
		}
	}
	return ok;
}

int serve_commit_transaction(serve_req *r)
{
	const ice_json *list;
	change *changes = NULL;
	const char **idents = NULL;
	int *slots = NULL;
	size_t n = 0, held = 0;
	int rc = 0;
	if (serve_parse_body(r))
		return 0;
	list = ice_json__get(r->body, "table-changes");
	if (!list || ice_json__type(list) != ICE_JSON_ARRAY || ice_json__size(list) == 0 ||
	    ice_json__size(list) > MAX_TABLE_CHANGES) {
		return serve_error(r, 400, "BadRequestException", "table-changes: expected an array of 1 to %d table commits",
		                   MAX_TABLE_CHANGES);
	}
	n = ice_json__size(list);
	if (!(changes = ice__calloc(n, sizeof(change))) || !(idents = ice__calloc(n, sizeof(char *))) ||
	    !(slots = ice__calloc(n, sizeof(int)))) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		change *c = &changes[i];
		char where[64];
		snprintf(where, sizeof(where), "table-changes[%zu]: ", i);
		c->json = ice_json__at(list, i);
		if (ice_json__type(c->json) != ICE_JSON_OBJECT) {
			serve_error(r, 400, "BadRequestException", "%sexpected an object", where);
			goto done;
		}
		snprintf(where, sizeof(where), "table-changes[%zu].identifier", i);
		if (!serve_ident_from_json(r, ice_json__get(c->json, "identifier"), where, &c->ident))
			goto done;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(changes[j].ident, c->ident)) {
				serve_error(r, 400, "BadRequestException", "%s appears twice in one transaction", c->ident);
				goto done;
			}
		char *ns = ice__strndup(c->ident, (size_t)(strrchr(c->ident, '.') - c->ident));
		bool ok = ns && serve_allowed(r, ns, RIGHT_WRITE);
		ice__free(ns);
		if (!ok) {
			if (r->status == 0)
				rc = ICE_ERROR;
			goto done;
		}
		snprintf(where, sizeof(where), "table-changes[%zu]: ", i);
		if (!parse_change(r, c, where))
			goto done;
		idents[i] = c->ident;
	}
	serve_lock_tables(r->s, idents, n, slots, &held);
	bool ready = true;
	for (size_t i = 0; i < n && ready; i++)
		ready = prepare(r, &changes[i]) == 0;
	for (size_t i = 0; i < n && ready; i++) {
		int prc = publish(r, &changes[i]);
		if (prc == 0)
			continue;
		ready = false;
		publish_failed(r, &changes[i], prc);
		if (!revert(r, changes, i))
			serve_error(r, 500, "CommitStateUnknownException",
			            "%s: the transaction failed after other tables were committed, and putting them back "
			            "failed too: see the server log",
			            changes[i].ident);
	}
	serve_unlock_tables(r->s, slots, held);
	if (ready)
		serve_no_content(r);
done:
	for (size_t i = 0; changes && i < n; i++)
		change_free(&changes[i]);
	ice__free(changes);
	ice__free(idents);
	ice__free(slots);
	return rc;
}
