/*
 * table/table.c - the table handle and the commit protocol (DESIGN.md "The
 * commit protocol"): an operation records updates on a metadata builder
 * started from the current metadata, the new metadata is built, and the
 * catalog swaps versions. On ICE_ECONFLICT the handle is refreshed and the
 * operation re-applied to the new base, with exponential backoff and
 * jitter per commit.retry.*; files an attempt tracked are deleted when it
 * definitely failed, never when the outcome is unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog/internal.h"
#include "ice/table.h"
#include "io/io.h"
#include "io/s3.h"
#include "new_snapshot.h"
#include "report.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"
#include "write/location.h"

struct ice_table {
	const ice_io *io;          /* base_io, or the latest of owned_ios */
	const ice_io *base_io;     /* the catalog's */
	const ice_io *vended_io;   /* base_io with the FileIO properties the catalog vends (in owned_ios), or NULL */
	ice_io **owned_ios;        /* copies (vended credentials, the table's own FileIO tuning); earlier
	                            * ones stay alive with the table: callers may still read with them */
	size_t nowned_ios;
	ice_catalog *catalog;      /* borrowed, or owned_catalog */
	ice_catalog *owned_catalog; /* directory mode */
	char *identifier;
	unsigned load_flags;
	bool staged;                /* created by the first commit (ice_table_create_staged) */
	bool location_given;        /* staged: the location was the caller's */
	ice_table_metadata *md;
	char *metadata_location;
};

struct ice_commit_ctx {
	ice_table *table;
	int attempt;
	ice_requirement *reqs;
	size_t nreqs;
	char **files;
	size_t nfiles;
	const ice_commit_options *opts;
	ice_property *summary;       /* the attempt's extended summary */
	bool skipped;                /* the idempotency key was found on the base */
	int64_t existing_snapshot_id;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int table_new(ice_table **out, ice_catalog *catalog, ice_catalog *owned, const ice_io *io,
                     const char *identifier)
{
	ice_table *t = ice__calloc(1, sizeof(*t));
	*out = NULL;
	if (!t || !(t->identifier = ice__strdup(identifier))) {
		ice__free(t);
		ice_catalog_free(owned);
		return ICE_ERROR;
	}
	t->io = io;
	t->base_io = io;
	t->catalog = catalog;
	t->owned_catalog = owned;
	*out = t;
	return 0;
}

void ice_table_free(ice_table *t)
{
	if (!t)
		return;
	ice_table_metadata_free(t->md);
	ice__free(t->metadata_location);
	ice__free(t->identifier);
	ice_catalog_free(t->owned_catalog);
	for (size_t i = 0; i < t->nowned_ios; i++)
		ice_io_free(t->owned_ios[i]);
	ice__free(t->owned_ios);
	ice__free(t);
}

/*
 * FileIO copies the table keeps (the latest becomes t->io).
 */
static int keep_io(ice_table *t, ice_io *io)
{
	ice_io **grown = ice__reallocarray(t->owned_ios, t->nowned_ios + 1, sizeof(ice_io *));
	if (!grown) {
		ice_io_free(io);
		return ICE_ERROR;
	}
	t->owned_ios = grown;
	t->owned_ios[t->nowned_ios++] = io;
	t->io = io;
	return 0;
}

/*
 * FileIO properties the catalog vends for the table (a REST catalog's
 * credentials) go to a FileIO of the table's own, derived from the
 * catalog's.
 */
static int take_io(ice_table *t, const ice_properties *props)
{
	ice_io *io;
	int rc;
	if (!props || props->n == 0)
		return 0;
	if ((rc = ice_io_new_derived(&io, t->base_io, props)) != 0)
		return rc;
	if ((rc = keep_io(t, io)) == 0)
		t->vended_io = io;
	return rc;
}

/*
 * FileIO tuning a table's properties may carry (s3.multipart.part-size,
 * s3.retry.*, ...: ice_s3_config__table_may_set; never endpoints or
 * credentials, which would let a table send requests elsewhere): when
 * they differ from the io's, the table uses a copy of it (the vended one,
 * else the catalog's) with them set.
 */
static int apply_table_io(ice_table *t)
{
	const ice_properties *props = ice_table_metadata_properties(t->md);
	size_t differ = 0;
	ice_io *copy = NULL;
	int rc = 0;
	for (size_t i = 0; props && i < props->n; i++) {
		const char *have;
		if (!ice_s3_config__table_may_set(props->items[i].key))
			continue;
		have = ice_io_property(t->io, props->items[i].key);
		if (!have || strcmp(have, props->items[i].value) != 0)
			differ++;
	}
	if (!differ)
		return 0;
	if ((rc = ice_io_clone(&copy, t->vended_io ? t->vended_io : t->base_io)) != 0)
		return rc;
	for (size_t i = 0; props && i < props->n && !rc; i++)
		if (ice_s3_config__table_may_set(props->items[i].key))
			rc = ice_io_set_property(copy, props->items[i].key, props->items[i].value);
	if (rc) {
		ice_io_free(copy);
		return rc;
	}
	return keep_io(t, copy);
}

/* What a catalog handed back becomes the table's state (`fallback`: the
 * caller's metadata when the catalog names none). Takes ct's contents. */
static int take_table(ice_table *t, ice_catalog_table *ct, ice_table_metadata *fallback)
{
	int rc = take_io(t, &ct->io_props);
	if (rc)
		return rc;
	ice_table_metadata_free(t->md);
	ice__free(t->metadata_location);
	t->md = ct->md ? ct->md : fallback;
	if (ct->md)
		ice_table_metadata_free(fallback);
	t->metadata_location = ct->metadata_location;
	ct->md = NULL;
	ct->metadata_location = NULL;
	ice_catalog_table__free(ct);
	return 0;
}

int ice_table_refresh(ice_table *t)
{
	ice_catalog_table ct;
	if (t->staged)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: the table is staged, not created yet",
		                      t->identifier);
	int rc = ice_catalog__load_table(t->catalog, t->identifier, t->load_flags, &ct);
	if (!rc && (rc = take_table(t, &ct, NULL)) != 0)
		ice_catalog_table__free(&ct);
	if (!rc)
		rc = apply_table_io(t);
	return rc;
}

int ice_table_load_with(ice_table **out, ice_catalog *catalog, const char *identifier, unsigned flags)
{
	int rc = table_new(out, catalog, NULL, catalog->io, identifier);
	if (!rc) {
		(*out)->load_flags = flags & ICE_TABLE_LOAD_REFS ? ICE_CATALOG_LOAD_REFS : 0;
		if ((rc = ice_table_refresh(*out)) != 0) {
			ice_table_free(*out);
			*out = NULL;
		}
	}
	return rc;
}

int ice_table_load(ice_table **out, ice_catalog *catalog, const char *identifier)
{
	return ice_table_load_with(out, catalog, identifier, 0);
}

int ice_table_open(ice_table **out, const ice_io *io, const char *location)
{
	ice_catalog *dir;
	int rc;
	*out = NULL;
	if ((rc = ice_catalog_open_directory(&dir, io)) != 0)
		return rc;
	if ((rc = table_new(out, dir, dir, io, location)) == 0 && (rc = ice_table_refresh(*out)) != 0) {
		ice_table_free(*out);
		*out = NULL;
	}
	return rc;
}

const ice_table_metadata *ice_table_current(const ice_table *t)
{
	return t->md;
}

const char *ice_table_metadata_file(const ice_table *t)
{
	return t->metadata_location;
}

const char *ice_table_identifier(const ice_table *t)
{
	return t->identifier;
}

const ice_io *ice_table_io(const ice_table *t)
{
	return t->io;
}

/* ---- create ----------------------------------------------------------------------- */

void ice_table_create_options_init(ice_table_create_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->format_version = 2;
}

static int build_new(ice_table_metadata **out, const ice_table_create_options *opts, const char *location)
{
	ice_metadata_builder *b;
	int version = opts->format_version ? opts->format_version : 2;
	ice_partition_spec unpartitioned = {0, 0, NULL};
	ice_sort_order unsorted = {0, 0, NULL};
	int rc;
	*out = NULL;
	if (!opts->schema)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "create: a table needs a schema");
	if ((rc = ice_metadata_builder_new_table(&b, version)) != 0)
		return rc;
	if (!(rc = ice_metadata_builder_add_schema(b, opts->schema, NULL)) &&
	    !(rc = ice_metadata_builder_set_current_schema(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_add_spec(b, opts->spec ? opts->spec : &unpartitioned, NULL)) &&
	    !(rc = ice_metadata_builder_set_default_spec(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_add_sort_order(b, opts->sort_order ? opts->sort_order : &unsorted, NULL)) &&
	    !(rc = ice_metadata_builder_set_default_sort_order(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_set_location(b, location)) &&
	    (!opts->properties || !(rc = ice_metadata_builder_set_properties(b, opts->properties))))
		rc = ice_metadata_builder_build(out, b);
	ice_metadata_builder_free(b);
	return rc;
}

/* The catalog (or a directory catalog) and the new table's metadata. */
static int prepare_create(ice_catalog **catalog, ice_catalog **owned, const ice_io *io, const char *identifier,
                          const ice_table_create_options *opts, ice_table_metadata **md_out)
{
	char *location = NULL;
	int rc = 0;
	*owned = NULL;
	*md_out = NULL;
	if (!*catalog) {
		if ((rc = ice_catalog_open_directory(owned, io)) != 0)
			return rc;
		*catalog = *owned;
	}
	if (opts->location)
		location = ice__strdup(opts->location);
	else if (ice_catalog__stages_creates(*catalog))
		/* The catalog chooses (a create names no location): a stand-in
		 * the builder accepts, never sent. */
		location = ice_uri__join("catalog-chooses", identifier);
	else
		rc = ice_catalog_default_location(*catalog, identifier, &location);
	if (!rc && !location)
		rc = ICE_ERROR;
	if (!rc)
		rc = build_new(md_out, opts, location);
	ice__free(location);
	if (rc) {
		ice_catalog_free(*owned);
		*owned = NULL;
	}
	return rc;
}

int ice_table_create(ice_table **out, ice_catalog *catalog, const ice_io *io, const char *identifier,
                     const ice_table_create_options *opts)
{
	ice_catalog *owned = NULL;
	ice_table_metadata *md = NULL;
	ice_catalog_table ct;
	ice_table *t;
	int rc;
	*out = NULL;
	if ((rc = prepare_create(&catalog, &owned, io, identifier, opts, &md)) != 0)
		return rc;
	if ((rc = ice_catalog__create_table(catalog, identifier, md, opts->location != NULL, &ct)) != 0) {
		ice_table_metadata_free(md);
		ice_catalog_free(owned);
		return rc;
	}
	if ((rc = table_new(&t, catalog, owned, catalog->io ? catalog->io : io, identifier)) != 0) {
		ice_table_metadata_free(md);
		ice_catalog_table__free(&ct);
		return rc;
	}
	if ((rc = take_table(t, &ct, md)) != 0) {
		ice_table_metadata_free(md);
		ice_catalog_table__free(&ct);
		ice_table_free(t);
		return rc;
	}
	if ((rc = apply_table_io(t)) != 0) {
		ice_table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- the commit context ------------------------------------------------------------- */

int ice_commit_require(ice_commit_ctx *ctx, const ice_requirement *req)
{
	ice_requirement *r = ice__reallocarray(ctx->reqs, ctx->nreqs + 1, sizeof(*r));
	if (!r)
		return ICE_ERROR;
	ctx->reqs = r;
	r[ctx->nreqs] = *req;
	if (req->str && !(r[ctx->nreqs].str = ice__strdup(req->str)))
		return ICE_ERROR;
	ctx->nreqs++;
	return 0;
}

int ice_commit_track_file(ice_commit_ctx *ctx, const char *location)
{
	char **f = ice__reallocarray(ctx->files, ctx->nfiles + 1, sizeof(char *));
	if (!f)
		return ICE_ERROR;
	ctx->files = f;
	if (!(f[ctx->nfiles] = ice__strdup(location)))
		return ICE_ERROR;
	ctx->nfiles++;
	return 0;
}

int ice_commit_attempt(const ice_commit_ctx *ctx)
{
	return ctx->attempt;
}

const ice_table *ice_commit_table(const ice_commit_ctx *ctx)
{
	return ctx->table;
}


static void ctx_reset(ice_commit_ctx *ctx, bool delete_files)
{
	if (delete_files)
		ice_io__delete_files(ctx->table->io, (const char *const *)ctx->files, ctx->nfiles);
	for (size_t i = 0; i < ctx->nfiles; i++)
		ice__free(ctx->files[i]);
	ice__free(ctx->files);
	ctx->files = NULL;
	ctx->nfiles = 0;
	for (size_t i = 0; i < ctx->nreqs; i++)
		ice__free((char *)ctx->reqs[i].str);
	ice__free(ctx->reqs);
	ctx->reqs = NULL;
	ctx->nreqs = 0;
	ice__free(ctx->summary);
	ctx->summary = NULL;
}

int64_t ice_table__elapsed_ms(int64_t since)
{
	return now_ms() - since;
}

/* ---- summary properties and idempotency keys ----------------------------------------------- */

int ice_table__summary_extend(ice_commit_ctx *ctx, ice_snapshot *snap)
{
	const ice_properties *extra = ctx->opts->summary;
	const char *key = ctx->opts->idempotency_key;
	size_t n = snap->summary.n, nextra = (extra ? extra->n : 0) + (key != NULL);
	if (!nextra)
		return 0;
	for (size_t i = 0; extra && i < extra->n; i++) {
		const char *k = extra->items[i].key;
		if (!k || !*k || !extra->items[i].value || ice_properties_get(&snap->summary, k) ||
		    (key && strcmp(k, ICE_IDEMPOTENCY_KEY_PROPERTY) == 0))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
			                      "%s: summary property '%s' is written by ice itself", ctx->table->identifier,
			                      k ? k : "");
	}
	ice__free(ctx->summary);
	if (!(ctx->summary = ice__calloc(n + nextra, sizeof(ice_property))))
		return ICE_ERROR;
	memcpy(ctx->summary, snap->summary.items, n * sizeof(ice_property));
	for (size_t i = 0; extra && i < extra->n; i++)
		ctx->summary[n++] = extra->items[i];
	if (key)
		ctx->summary[n++] = (ice_property){ICE_IDEMPOTENCY_KEY_PROPERTY, key};
	snap->summary.items = ctx->summary;
	snap->summary.n = n;
	return 0;
}

int ice_table__check_idempotency(ice_commit_ctx *ctx, const ice_table_metadata *base, const ice_snapshot *parent)
{
	const char *key = ctx->opts->idempotency_key;
	const ice_snapshot *s = key ? ice_table_metadata_find_summary(base, parent, ICE_IDEMPOTENCY_KEY_PROPERTY, key) : NULL;
	if (!s)
		return 0;
	ctx->skipped = true;
	ctx->existing_snapshot_id = s->snapshot_id;
	return ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_COMMIT, "%s: idempotency key '%s' is in snapshot %" PRId64,
	                      ctx->table->identifier, key, s->snapshot_id);
}

bool ice_table_idempotency_done(const ice_table *t, const char *branch, const ice_commit_options *opts,
                                ice_commit_result *result)
{
	if (!opts || !opts->idempotency_key)
		return false;
	const ice_ref *ref = ice_table_metadata_ref(t->md, branch ? branch : "main");
	const ice_snapshot *head = ref ? ice_table_metadata_snapshot_by_id(t->md, ref->snapshot_id) : NULL;
	const ice_snapshot *s = ice_table_metadata_find_summary(t->md, head, ICE_IDEMPOTENCY_KEY_PROPERTY,
	                                                         opts->idempotency_key);
	if (!s)
		return false;
	if (result) {
		memset(result, 0, sizeof(*result));
		result->state = ICE_COMMIT_SKIPPED;
		result->existing_snapshot_id = s->snapshot_id;
	}
	return true;
}

/* ---- commit --------------------------------------------------------------------------- */

void ice_commit_options_init(ice_commit_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->num_retries = -1;
	opts->min_wait_ms = -1;
	opts->max_wait_ms = -1;
	opts->total_timeout_ms = -1;
}

static int64_t prop_int(const ice_table_metadata *md, const char *key, int64_t fallback)
{
	const char *v = ice_table_metadata_property(md, key, NULL);
	int64_t n;
	if (v && ice_str__to_int64(v, strlen(v), &n) && n >= 0)
		return n;
	return fallback;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * The wait before retry `attempt` (1-based): min-wait doubled per retry,
 * capped at max-wait, then spread by jitter over [1/2, 3/2) of that, so
 * writers that collided once do not collide again in lockstep.
 */
static int64_t backoff_ms(int attempt, int64_t min_wait, int64_t max_wait)
{
	int64_t wait = min_wait;
	uint8_t r[16];
	uint64_t x;
	for (int i = 1; i < attempt && wait < max_wait; i++)
		wait *= 2;
	if (wait > max_wait)
		wait = max_wait;
	if (wait <= 0)
		return 0;
	ice_uuid__random(r);
	memcpy(&x, r, sizeof(x));
	return wait / 2 + (int64_t)(x % (uint64_t)wait);
}

/*
 * An attempt's first half: the operation run on a builder over the current
 * base, its requirements checked there (a requirement that fails on the
 * fresh base will fail again, so that is no race), the new metadata built.
 */
typedef struct prepared {
	ice_metadata_builder *builder;
	ice_table_requirements *reqs;
	ice_table_metadata *next;
} prepared;

static void prepared_free(prepared *p)
{
	ice_table_metadata_free(p->next);
	ice_table_requirements_free(p->reqs);
	ice_metadata_builder_free(p->builder);
	memset(p, 0, sizeof(*p));
}

static int prepare_attempt(ice_table *t, const ice_operation *op, ice_commit_ctx *ctx, prepared *p)
{
	int rc;
	memset(p, 0, sizeof(*p));
	/* Manifests and lists go under the location: a relative one would put
	 * them wherever the writer runs. */
	if ((rc = ice_write__check_table_location(t->md)) != 0)
		return ice_error__prefix("%s", t->metadata_location ? t->metadata_location : t->identifier);
	if ((rc = ice_metadata_builder_new(&p->builder, t->md)) != 0)
		return rc;
	if (t->metadata_location && (rc = ice_metadata_builder_set_previous_location(p->builder, t->metadata_location)) != 0)
		goto fail;
	if ((rc = op->apply(ctx, t->md, p->builder, op->payload)) != 0)
		goto fail;
	if (ctx->nreqs) {
		if ((rc = ice_table_requirements_make(&p->reqs, ctx->reqs, ctx->nreqs)) != 0)
			goto fail;
		if ((rc = ice_table_requirements_check(p->reqs, t->md)) != 0) {
			ice_error__prefix("%s: %s", t->identifier, op->name);
			goto fail;
		}
	}
	if ((rc = ice_metadata_builder_build(&p->next, p->builder)) != 0)
		goto fail;
	return 0;
fail:
	prepared_free(p);
	return rc;
}

/*
 * After a commit, with write.metadata.delete-after-commit.enabled, the
 * metadata files that left the metadata log (kept to
 * write.metadata.previous-versions-max entries) are deleted, as Java's
 * table operations do: those in the base's log and not in the new one.
 * Best effort (a failure leaves a file, never fails the commit), and only
 * inside the table location.
 */
static void delete_removed_metadata(const ice_table *t, const ice_table_metadata *base,
                                    const ice_table_metadata *next)
{
	const char *on = ice_table_metadata_property(next, "write.metadata.delete-after-commit.enabled", "false");
	if (!ice_str__ieq(on, strlen(on), "true", 4))
		return;
	size_t nb = ice_table_metadata_metadata_log_count(base), nn = ice_table_metadata_metadata_log_count(next);
	for (size_t i = 0; i < nb; i++) {
		const char *f = ice_table_metadata_metadata_log_at(base, i)->metadata_file;
		bool kept = false;
		for (size_t k = 0; k < nn && !kept; k++)
			kept = strcmp(ice_table_metadata_metadata_log_at(next, k)->metadata_file, f) == 0;
		if (!kept)
			ice_io__delete_within(t->io, ice_table_metadata_location(next), f);
	}
	ice_error_clear();
}

static void change_of(ice_catalog_change *ch, const ice_table *t, const prepared *p, bool create)
{
	ch->identifier = t->identifier;
	ch->base = t->md;
	ch->base_location = t->metadata_location;
	ch->requirements = p->reqs;
	ch->changes = p->builder;
	ch->next = p->next;
	ch->create = create;
}

/* The new state after a commit: the catalog's metadata, else `next`. */
static int take_committed(ice_table *t, prepared *p, ice_catalog_table *ct)
{
	ice_table_metadata *next = p->next;
	p->next = NULL;
	if (!ct->md && !ct->metadata_location && !next)
		return 0;
	int rc = take_table(t, ct, next);
	if (rc)
		ice_table_metadata_free(next);
	return rc;
}

/* The snapshot `next` adds to `base` (-1: none). */
static int64_t added_snapshot(const ice_table_metadata *base, const ice_table_metadata *next)
{
	int64_t id = -1;
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(next); i++) {
		const ice_snapshot *s = ice_table_metadata_snapshot_at(next, i);
		if (!base || !ice_table_metadata_snapshot_by_id(base, s->snapshot_id))
			id = s->snapshot_id;
	}
	return id;
}

/* One attempt. *retryable_out: the catalog reported a lost race;
 * *snapshot_out: the snapshot a successful attempt added (-1: none). */
static int attempt_once(ice_table *t, const ice_operation *op, ice_commit_ctx *ctx, bool create,
                        bool *retryable_out, int64_t *snapshot_out)
{
	prepared p;
	ice_catalog_change ch;
	ice_catalog_table ct;
	int rc;
	*retryable_out = false;
	*snapshot_out = -1;
	if ((rc = prepare_attempt(t, op, ctx, &p)) != 0)
		return rc;
	change_of(&ch, t, &p, create);
	rc = ice_catalog__commit(t->catalog, &ch, &ct);
	*retryable_out = rc == ICE_ECONFLICT;
	if (!rc)
		*snapshot_out = added_snapshot(create ? NULL : t->md, p.next);
	/* Only where ice wrote the metadata itself (a REST server keeps its own). */
	if (!rc && !create && !ct.md && p.next)
		delete_removed_metadata(t, t->md, p.next);
	if (!rc && (rc = take_committed(t, &p, &ct)) != 0) {
		/* Committed, but the new state could not be kept here. */
		ice_catalog_table__free(&ct);
		rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT,
		                    "%s: %s: committed, but the new metadata could not be kept (out of memory)",
		                    t->identifier, op->name);
	}
	prepared_free(&p);
	return rc;
}

static int commit_staged(ice_table *t, const ice_operation *op, ice_commit_ctx *ctx, int64_t *snapshot_out);

/*
 * A file the base reaches is gone (ICE_ENOTFOUND): when the catalog's table
 * has moved on since it was read, an expiry may have deleted what only the
 * older snapshots reached, and the attempt lost a race like a conflict. The
 * error stays as it was when the table has not moved (or cannot be read).
 */
static bool moved_on(ice_table *t)
{
	const ice_error *e = ice_error_last();
	ice_catalog_table ct;
	bool moved = false;
	int code = e ? e->code : ICE_ENOTFOUND, klass = e ? e->klass : ICE_ERRCLASS_IO;
	char *msg = e ? ice__strdup(e->message) : NULL;
	if (!msg || !t->metadata_location)
		goto done;
	if (ice_catalog__load_table(t->catalog, t->identifier, ICE_CATALOG_LOAD_REFS, &ct) == 0) {
		moved = ct.metadata_location && strcmp(ct.metadata_location, t->metadata_location) != 0;
		ice_catalog_table__free(&ct);
	}
	if (!moved)
		ice_error__set(code, klass, "%s", msg);
done:
	ice__free(msg);
	return moved;
}

int ice_table_commit(ice_table *t, const ice_operation *op, const ice_commit_options *opts,
                     ice_commit_result *result)
{
	ice_commit_ctx ctx;
	ice_commit_options o;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0, 0};
	int64_t start = now_ms(), snapshot = -1;
	int rc;

	if (opts)
		o = *opts;
	else
		ice_commit_options_init(&o);
	memset(&ctx, 0, sizeof(ctx));
	ctx.table = t;
	ctx.opts = &o;
	if (t->staged) {
		res.attempts = 1;
		rc = commit_staged(t, op, &ctx, &snapshot);
		res.state = rc == 0 ? ICE_COMMIT_SUCCEEDED : rc == ICE_ECOMMITUNKNOWN ? ICE_COMMIT_UNKNOWN : ICE_COMMIT_FAILED;
		ctx_reset(&ctx, rc != 0 && rc != ICE_ECOMMITUNKNOWN);
		goto done;
	}
	for (int attempt = 0;; attempt++) {
		/* Settings come from the table as it is now: a retry sees changes. */
		int64_t retries = o.num_retries >= 0 ? o.num_retries : prop_int(t->md, "commit.retry.num-retries", 4);
		int64_t min_wait = o.min_wait_ms >= 0 ? o.min_wait_ms : prop_int(t->md, "commit.retry.min-wait-ms", 100);
		int64_t max_wait = o.max_wait_ms >= 0 ? o.max_wait_ms : prop_int(t->md, "commit.retry.max-wait-ms", 60000);
		int64_t timeout =
		    o.total_timeout_ms >= 0 ? o.total_timeout_ms : prop_int(t->md, "commit.retry.total-timeout-ms", 1800000);

		ctx.attempt = attempt;
		res.attempts = attempt + 1;
		bool retryable = false;
		rc = attempt_once(t, op, &ctx, false, &retryable, &snapshot);
		if (ctx.skipped) {
			/* The key is on the base's history: this operation landed
			 * before (another run, or an earlier attempt of a killed one). */
			ctx_reset(&ctx, true);
			ice_error_clear();
			rc = 0;
			res.state = ICE_COMMIT_SKIPPED;
			res.existing_snapshot_id = ctx.existing_snapshot_id;
			break;
		}
		if (rc == 0) {
			ice__trace("%s: %s committed as %s (attempt %d, %lld ms)", t->identifier, op->name,
			           t->metadata_location ? t->metadata_location : "?", attempt + 1, (long long)(now_ms() - start));
			ctx_reset(&ctx, false);
			res.state = ICE_COMMIT_SUCCEEDED;
			/* The commit stands; new tuning applies from the next request on,
			 * or, when a copy cannot be made, not at all. */
			if (apply_table_io(t) != 0)
				ice_error_clear();
			break;
		}
		if (rc == ICE_ECOMMITUNKNOWN) {
			ice__trace("%s: %s: attempt %d: commit state unknown", t->identifier, op->name, attempt + 1);
			ctx_reset(&ctx, false);
			res.state = ICE_COMMIT_UNKNOWN;
			break;
		}
		ctx_reset(&ctx, true);
		if (!retryable && rc == ICE_ENOTFOUND)
			retryable = moved_on(t);
		if (!retryable)
			break;
		/* Lost a race: refresh, wait, and run the operation again. */
		int64_t wait = backoff_ms(attempt + 1, min_wait, max_wait);
		if (attempt >= retries || now_ms() - start + wait > timeout) {
			ice_error__prefix("%s: giving up after %d attempt%s", op->name, attempt + 1, attempt ? "s" : "");
			break;
		}
		if (ice__tracing()) {
			const ice_error *e = ice_error_last();
			ice__trace("%s: %s: attempt %d lost a race (%s); retrying in %lld ms", t->identifier, op->name,
			           attempt + 1, e ? e->message : "conflict", (long long)wait);
		}
		sleep_ms(wait);
		if ((rc = ice_table_refresh(t)) != 0)
			break;
	}
done:
	res.elapsed_ms = now_ms() - start;
	if (rc == 0 && snapshot >= 0)
		ice_table__report_commit(t, snapshot, res.attempts, res.elapsed_ms);
	if (result)
		*result = res;
	if (rc)
		ice_error__oom_in("%s: %s", t->identifier, op->name);
	return rc;
}

/* ---- staged creates --------------------------------------------------------------------------- */

int ice_table_create_staged(ice_table **out, ice_catalog *catalog, const ice_io *io, const char *identifier,
                            const ice_table_create_options *opts)
{
	ice_catalog *owned = NULL;
	ice_table_metadata *md = NULL;
	ice_catalog_table ct;
	ice_table *t = NULL;
	int rc;
	*out = NULL;
	if ((rc = prepare_create(&catalog, &owned, io, identifier, opts, &md)) != 0)
		return rc;
	if ((rc = table_new(&t, catalog, owned, catalog->io ? catalog->io : io, identifier)) != 0) {
		ice_table_metadata_free(md);
		return rc;
	}
	t->staged = true;
	if (ice_catalog__stages_creates(catalog)) {
		/* The catalog makes the table's first metadata (its uuid, location,
		 * ids) without creating it. */
		rc = ice_catalog__stage_create(catalog, identifier, md, opts->location != NULL, &ct);
		ice_table_metadata_free(md);
		if (rc || (rc = take_table(t, &ct, NULL)) != 0) {
			ice_catalog_table__free(&ct);
			ice_table_free(t);
			return rc;
		}
	} else {
		t->md = md;
		t->location_given = opts->location != NULL;
	}
	*out = t;
	return 0;
}

/* The first commit of a staged table: it creates the table. */
static int commit_staged(ice_table *t, const ice_operation *op, ice_commit_ctx *ctx, int64_t *snapshot_out)
{
	ice_catalog_table ct;
	bool retryable;
	int rc;
	*snapshot_out = -1;
	if (ice_catalog__stages_creates(t->catalog)) {
		/* One commit asserting that the table still does not exist. */
		rc = attempt_once(t, op, ctx, true, &retryable, snapshot_out);
	} else {
		/* The first version holds the operation's changes already. */
		prepared p;
		if ((rc = prepare_attempt(t, op, ctx, &p)) != 0)
			return rc;
		if ((rc = ice_catalog__create_table(t->catalog, t->identifier, p.next, t->location_given, &ct)) == 0) {
			*snapshot_out = added_snapshot(NULL, p.next);
			if ((rc = take_committed(t, &p, &ct)) != 0) {
				ice_catalog_table__free(&ct);
				rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT,
				                    "%s: %s: created, but the new metadata could not be kept (out of memory)",
				                    t->identifier, op->name);
			}
		}
		prepared_free(&p);
	}
	if (rc == ICE_ECONFLICT)
		/* assert-create failed: the table appeared meanwhile. */
		rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: table already exists (created concurrently)",
		                    t->identifier);
	if (rc == 0)
		t->staged = false;
	return rc;
}

/* ---- several tables at once --------------------------------------------------------------------- */

int ice_table_commit_transaction(ice_table *const *tables, const ice_operation *ops, size_t n,
                                 const ice_commit_options *opts, ice_commit_result *result)
{
	ice_commit_ctx *ctx = NULL;
	prepared *p = NULL;
	ice_catalog_change *changes = NULL;
	ice_catalog_table *outs = NULL;
	ice_commit_options o;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0, 0};
	int64_t start = now_ms();
	int rc = 0;
	if (n == 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "a transaction needs at least one table");
	for (size_t i = 1; i < n; i++)
		if (tables[i]->catalog != tables[0]->catalog)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
			                      "%s, %s: a transaction's tables must share one catalog", tables[0]->identifier,
			                      tables[i]->identifier);
	if (opts)
		o = *opts;
	else
		ice_commit_options_init(&o);
	if (!(ctx = ice__calloc(n, sizeof(*ctx))) || !(p = ice__calloc(n, sizeof(*p))) ||
	    !(changes = ice__calloc(n, sizeof(*changes))) || !(outs = ice__calloc(n, sizeof(*outs)))) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		ctx[i].table = tables[i];
		ctx[i].opts = &o;
	}
	for (int attempt = 0;; attempt++) {
		const ice_table_metadata *md0 = tables[0]->md;
		int64_t retries = o.num_retries >= 0 ? o.num_retries : prop_int(md0, "commit.retry.num-retries", 4);
		int64_t min_wait = o.min_wait_ms >= 0 ? o.min_wait_ms : prop_int(md0, "commit.retry.min-wait-ms", 100);
		int64_t max_wait = o.max_wait_ms >= 0 ? o.max_wait_ms : prop_int(md0, "commit.retry.max-wait-ms", 60000);
		int64_t timeout =
		    o.total_timeout_ms >= 0 ? o.total_timeout_ms : prop_int(md0, "commit.retry.total-timeout-ms", 1800000);
		res.attempts = attempt + 1;
		for (size_t i = 0; i < n && !rc; i++) {
			ctx[i].attempt = attempt;
			if ((rc = prepare_attempt(tables[i], &ops[i], &ctx[i], &p[i])) == 0)
				change_of(&changes[i], tables[i], &p[i], false);
		}
		if (!rc)
			rc = ice_catalog__commit_transaction(tables[0]->catalog, changes, n, outs);
		if (rc == 0) {
			for (size_t i = 0; i < n; i++) {
				int trc = take_committed(tables[i], &p[i], &outs[i]);
				if (trc && !rc)
					rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT,
					                    "%s: committed, but the new metadata could not be kept (out of memory)",
					                    tables[i]->identifier);
				ice_catalog_table__free(&outs[i]);
			}
		}
		bool retryable = rc == ICE_ECONFLICT;
		for (size_t i = 0; i < n; i++) {
			prepared_free(&p[i]);
			ctx_reset(&ctx[i], rc != 0 && rc != ICE_ECOMMITUNKNOWN);
		}
		if (rc == 0) {
			res.state = ICE_COMMIT_SUCCEEDED;
			break;
		}
		if (rc == ICE_ECOMMITUNKNOWN) {
			res.state = ICE_COMMIT_UNKNOWN;
			break;
		}
		if (!retryable)
			break;
		int64_t wait = backoff_ms(attempt + 1, min_wait, max_wait);
		if (attempt >= retries || now_ms() - start + wait > timeout) {
			ice_error__prefix("transaction: giving up after %d attempt%s", attempt + 1, attempt ? "s" : "");
			break;
		}
		sleep_ms(wait);
		for (size_t i = 0; i < n && !(rc = ice_table_refresh(tables[i])); i++)
			;
		if (rc)
			break;
	}
done:
	ice__free(ctx);
	ice__free(p);
	ice__free(changes);
	ice__free(outs);
	res.elapsed_ms = now_ms() - start;
	if (result)
		*result = res;
	if (rc)
		ice_error__oom_in("transaction on %s", tables[0]->identifier);
	return rc;
}

ice_catalog *ice_table__catalog(const ice_table *t)
{
	return t->catalog;
}

/* ---- properties ------------------------------------------------------------------------- */

typedef struct props_op {
	const ice_properties *set;
	const char *const *remove;
	size_t nremove;
} props_op;

static int apply_properties(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b,
                            void *payload)
{
	props_op *p = payload;
	int rc = 0;
	(void)ctx;
	(void)base;
	if (p->set && p->set->n)
		rc = ice_metadata_builder_set_properties(b, p->set);
	if (!rc && p->nremove)
		rc = ice_metadata_builder_remove_properties(b, p->remove, p->nremove);
	return rc;
}

int ice_table_update_properties(ice_table *t, const ice_properties *set, const char *const *remove, size_t nremove,
                                ice_commit_result *result)
{
	props_op p = {set, remove, nremove};
	ice_operation op = {"set properties", apply_properties, &p};
	return ice_table_commit(t, &op, NULL, result);
}
