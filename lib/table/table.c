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
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uuid.h"
#include "write/location.h"

struct ice_table {
	const ice_io *io;          /* base_io, or the latest of owned_ios */
	const ice_io *base_io;     /* the catalog's */
	ice_io **owned_ios;        /* copies with the table's own FileIO tuning */
	size_t nowned_ios;
	ice_catalog *catalog;      /* borrowed, or owned_catalog */
	ice_catalog *owned_catalog; /* directory mode */
	char *identifier;
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
 * FileIO tuning a table's properties may carry (s3.multipart.part-size,
 * s3.retry.*, ...: ice_s3_config__table_may_set; never endpoints or
 * credentials, which would let a table send requests elsewhere): when
 * they differ from the io's, the table uses a copy of it with them set.
 * Earlier copies stay alive with the table (files may still be open on them).
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
	if ((rc = ice_io_clone(&copy, t->base_io)) != 0)
		return rc;
	for (size_t i = 0; props && i < props->n && !rc; i++)
		if (ice_s3_config__table_may_set(props->items[i].key))
			rc = ice_io_set_property(copy, props->items[i].key, props->items[i].value);
	ice_io **grown = rc ? NULL : ice__reallocarray(t->owned_ios, t->nowned_ios + 1, sizeof(ice_io *));
	if (!grown) {
		ice_io_free(copy);
		return rc ? rc : ICE_ERROR;
	}
	t->owned_ios = grown;
	t->owned_ios[t->nowned_ios++] = copy;
	t->io = copy;
	return 0;
}

int ice_table_refresh(ice_table *t)
{
	ice_table_metadata *md;
	char *loc;
	int rc = ice_catalog_load_metadata(t->catalog, t->identifier, &md, &loc);
	if (rc)
		return rc;
	ice_table_metadata_free(t->md);
	ice__free(t->metadata_location);
	t->md = md;
	t->metadata_location = loc;
	return apply_table_io(t);
}

int ice_table_load(ice_table **out, ice_catalog *catalog, const char *identifier)
{
	int rc = table_new(out, catalog, NULL, catalog->io, identifier);
	if (!rc && (rc = ice_table_refresh(*out)) != 0) {
		ice_table_free(*out);
		*out = NULL;
	}
	return rc;
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

int ice_table_create(ice_table **out, ice_catalog *catalog, const ice_io *io, const char *identifier,
                     const ice_table_create_options *opts)
{
	ice_catalog *owned = NULL;
	ice_table_metadata *md = NULL;
	char *location = NULL, *loc = NULL;
	ice_table *t;
	int rc;
	*out = NULL;
	if (!catalog) {
		if ((rc = ice_catalog_open_directory(&owned, io)) != 0)
			return rc;
		catalog = owned;
	}
	if (opts->location && !(location = ice__strdup(opts->location)))
		rc = ICE_ERROR;
	else if (!opts->location)
		rc = ice_catalog_default_location(catalog, identifier, &location);
	else
		rc = 0;
	if (!rc)
		rc = build_new(&md, opts, location);
	if (!rc)
		rc = ice_catalog_create_table(catalog, identifier, md, &loc);
	ice__free(location);
	if (rc) {
		ice_table_metadata_free(md);
		ice_catalog_free(owned);
		return rc;
	}
	if ((rc = table_new(&t, catalog, owned, catalog->io ? catalog->io : io, identifier)) != 0) {
		ice_table_metadata_free(md);
		ice__free(loc);
		return rc;
	}
	t->md = md;
	t->metadata_location = loc;
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

/* One attempt. *retryable_out: the catalog reported a lost race. */
static int attempt_once(ice_table *t, const ice_operation *op, ice_commit_ctx *ctx, ice_table_metadata **next_out,
                        char **loc_out, bool *retryable_out)
{
	ice_metadata_builder *b = NULL;
	ice_table_requirements *reqs = NULL;
	int rc;
	*next_out = NULL;
	*loc_out = NULL;
	*retryable_out = false;
	/* Manifests and lists go under the location: a relative one would put
	 * them wherever the writer runs. */
	if ((rc = ice_write__check_table_location(t->md)) != 0)
		return ice_error__prefix("%s", t->metadata_location);
	if ((rc = ice_metadata_builder_new(&b, t->md)) != 0)
		return rc;
	if ((rc = ice_metadata_builder_set_previous_location(b, t->metadata_location)) != 0)
		goto done;
	if ((rc = op->apply(ctx, t->md, b, op->payload)) != 0)
		goto done;
	if (ctx->nreqs) {
		if ((rc = ice_table_requirements_make(&reqs, ctx->reqs, ctx->nreqs)) != 0)
			goto done;
		/* Checked here first: a requirement that fails on the fresh base
		 * will fail again, so it is not retried (see below). */
		if ((rc = ice_table_requirements_check(reqs, t->md)) != 0) {
			ice_error__prefix("%s: %s", t->identifier, op->name);
			goto done;
		}
	}
	if ((rc = ice_metadata_builder_build(next_out, b)) != 0)
		goto done;
	rc = ice_catalog_commit(t->catalog, t->identifier, t->md, t->metadata_location, reqs, b, *next_out, loc_out);
	*retryable_out = rc == ICE_ECONFLICT;
	if (rc) {
		ice_table_metadata_free(*next_out);
		*next_out = NULL;
	}
done:
	ice_table_requirements_free(reqs);
	ice_metadata_builder_free(b);
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

int ice_table_commit(ice_table *t, const ice_operation *op, const ice_commit_options *opts,
                     ice_commit_result *result)
{
	ice_commit_ctx ctx;
	ice_commit_options o;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0, 0};
	int64_t start = now_ms();
	int rc;

	if (opts)
		o = *opts;
	else
		ice_commit_options_init(&o);
	memset(&ctx, 0, sizeof(ctx));
	ctx.table = t;
	ctx.opts = &o;
	for (int attempt = 0;; attempt++) {
		ice_table_metadata *next = NULL;
		char *loc = NULL;
		/* Settings come from the table as it is now: a retry sees changes. */
		int64_t retries = o.num_retries >= 0 ? o.num_retries : prop_int(t->md, "commit.retry.num-retries", 4);
		int64_t min_wait = o.min_wait_ms >= 0 ? o.min_wait_ms : prop_int(t->md, "commit.retry.min-wait-ms", 100);
		int64_t max_wait = o.max_wait_ms >= 0 ? o.max_wait_ms : prop_int(t->md, "commit.retry.max-wait-ms", 60000);
		int64_t timeout =
		    o.total_timeout_ms >= 0 ? o.total_timeout_ms : prop_int(t->md, "commit.retry.total-timeout-ms", 1800000);

		ctx.attempt = attempt;
		res.attempts = attempt + 1;
		bool retryable = false;
		rc = attempt_once(t, op, &ctx, &next, &loc, &retryable);
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
			delete_removed_metadata(t, t->md, next);
			ice_table_metadata_free(t->md);
			ice__free(t->metadata_location);
			t->md = next;
			t->metadata_location = loc;
			ctx_reset(&ctx, false);
			res.state = ICE_COMMIT_SUCCEEDED;
			/* The commit stands; new tuning applies from the next request on,
			 * or, when a copy cannot be made, not at all. */
			if (apply_table_io(t) != 0)
				ice_error_clear();
			break;
		}
		if (rc == ICE_ECOMMITUNKNOWN) {
			ctx_reset(&ctx, false);
			res.state = ICE_COMMIT_UNKNOWN;
			break;
		}
		ctx_reset(&ctx, true);
		if (!retryable)
			break;
		/* Lost a race: refresh, wait, and run the operation again. */
		int64_t wait = backoff_ms(attempt + 1, min_wait, max_wait);
		if (attempt >= retries || now_ms() - start + wait > timeout) {
			ice_error__prefix("%s: giving up after %d attempt%s", op->name, attempt + 1, attempt ? "s" : "");
			break;
		}
		sleep_ms(wait);
		if ((rc = ice_table_refresh(t)) != 0)
			break;
	}
	res.elapsed_ms = now_ms() - start;
	if (result)
		*result = res;
	return rc;
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
