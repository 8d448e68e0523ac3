/*
 * maintain/expire.c - expiring snapshots: the retention plan (retain.c)
 * committed as remove-ref, remove-snapshots and (clean_metadata)
 * remove-partition-specs / remove-schemas updates, redone on the new base
 * when another writer commits first; then the files only expired
 * snapshots reached are deleted, as Spark's expire_snapshots procedure
 * decides them: what the expired snapshots reach minus what the table
 * still reaches after the commit (read again, so that commits landing
 * meanwhile count too).
 *
 * Each manifest is read at most once. The manifest lists of the remaining
 * snapshots give the manifests still in use; the expired snapshots' lists
 * give the manifests nothing else uses (candidates). The candidates' live
 * files go into a path set; then the manifests still in use are read and
 * every live file they list is struck from it. What is left, the candidate
 * manifests, the expired snapshots' manifest lists no remaining snapshot
 * shares and their statistics files are deleted: content files first,
 * metadata files last, so a run cut short leaves only unreachable files.
 */
#include <string.h>

#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hashmap.h"

#define BATCH 8192
#define KEPT 1

void ice_expire_options_init(ice_expire_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

void ice_expire_report_free(ice_expire_report *report)
{
	if (!report)
		return;
	ice__free(report->internal_);
	report->internal_ = NULL;
	report->expired_ids = NULL;
}

/* ---- the commit -------------------------------------------------------------------- */

typedef struct expire_op {
	const ice_expire_options *o;
	const ice_io *io;
	int64_t now;
	ice_expiry_plan plan;
	const ice_table_metadata *planned; /* the base the plan was made for */
	int64_t snapshots_before;
} expire_op;

static int apply(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	expire_op *e = payload;
	int rc;
	e->snapshots_before = (int64_t)ice_table_metadata_snapshot_count(base);
	/* The first attempt's base is the metadata the plan was made for (no
	 * refresh comes between); a retry plans again on the new base. */
	if (!(ctx && ice_commit_attempt(ctx) == 0 && e->planned == base)) {
		ice_expiry__plan_free(&e->plan);
		e->planned = NULL;
		if ((rc = ice_expiry__plan(&e->plan, base, e->io, e->o, e->now)) != 0)
			return rc;
		e->planned = base;
	}
	/* The refs that stay must still point where they did: a concurrent
	 * rollback or branch move is a conflict, not something to expire. */
	for (size_t k = 0; ctx && k < e->plan.nkept_refs; k++) {
		ice_requirement req = {ICE_REQUIRE_REF_SNAPSHOT_ID, e->plan.kept_refs[k], true, e->plan.kept_ref_ids[k]};
		if ((rc = ice_commit_require(ctx, &req)) != 0)
			return rc;
	}
	return ice_expiry__record(&e->plan, b);
}

/* ---- the cleanup ----------------------------------------------------------------- */

typedef struct cleanup {
	const ice_io *io;
	const char *root;
	const ice_expire_options *o;
	int deleters;
	ice_reach_progress *progress;
	ice_reach_walk kept, gone;
	ice_pathset *files;
	pthread_mutex_t mu;
	ice_delete_counts *counts;
} cleanup;

static int not_kept(void *payload, const ice_snapshot *s, const ice_manifest_file *mf)
{
	(void)s;
	cleanup *c = payload;
	return !ice_reach__seen(&c->kept, mf->manifest_path);
}

static int add_candidate(void *payload, const char *path, ice_file_kind kind)
{
	cleanup *c = payload;
	pthread_mutex_lock(&c->mu);
	int rc = ice_pathset__add(c->files, path, strlen(path), (uint8_t)kind, NULL, NULL);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static int strike_kept(void *payload, const char *path, ice_file_kind kind)
{
	(void)kind;
	cleanup *c = payload;
	size_t i;
	int rc = ice_pathset__find(c->files, path, strlen(path), &i);
	if (rc == 0)
		ice_pathset__mark(c->files, i, KEPT);
	else if (rc == ICE_ENOTFOUND)
		ice_error_clear();
	return rc == ICE_ENOTFOUND ? 0 : rc;
}

static int delete_items(cleanup *c, const ice_reach_delete_item *items, size_t n)
{
	return ice_reach__delete(c->io, c->root, items, n, c->deleters, c->o->dry_run, c->o->on_file,
	                         c->o->file_payload, c->progress, c->counts);
}

/* The candidate content files no remaining manifest lists, in batches. */
static int delete_content(cleanup *c)
{
	size_t n = ice_pathset__count(c->files);
	ice_reach_delete_item *items = ice__calloc(BATCH, sizeof(*items));
	char *keys = ice__malloc((size_t)BATCH * 256);
	size_t keys_cap = (size_t)BATCH * 256;
	int rc = 0;
	if (!items || !keys) {
		ice__free(items);
		ice__free(keys);
		return ICE_ERROR;
	}
	char key[ICE_PATHSET_MAX_KEY + 1];
	for (size_t i = 0; i < n && !rc;) {
		size_t m = 0, used = 0;
		size_t offsets[BATCH];
		for (; i < n && m < BATCH && !rc; i++) {
			size_t len;
			if (ice_pathset__marks(c->files, i) & KEPT)
				continue;
			if ((rc = ice_pathset__key(c->files, i, key, &len)) != 0)
				break;
			if (used + len + 1 > keys_cap) {
				char *nk = ice__realloc(keys, (used + len + 1) * 2);
				if (!nk) {
					rc = ICE_ERROR;
					break;
				}
				keys = nk;
				keys_cap = (used + len + 1) * 2;
			}
			memcpy(keys + used, key, len + 1);
			offsets[m] = used;
			items[m].kind = (ice_file_kind)ice_pathset__tag(c->files, i);
			used += len + 1;
			m++;
		}
		for (size_t k = 0; k < m; k++)
			items[k].location = keys + offsets[k];
		if (!rc && m)
			rc = delete_items(c, items, m);
	}
	ice__free(items);
	ice__free(keys);
	return rc;
}

static int delete_metadata_files(cleanup *c, const ice_expiry_plan *p, const ice_table_metadata *after)
{
	size_t n = c->gone.nmanifests + p->nexpired + p->nstats, m = 0;
	ice_reach_delete_item *items = ice__calloc(n + 1, sizeof(*items));
	ice_map kept;
	int rc = 0;
	if (!items)
		return ICE_ERROR;
	ice_map__init(&kept, true);
	for (size_t i = 0; i < c->gone.nmanifests; i++)
		items[m++] = (ice_reach_delete_item){c->gone.manifests[i].mf.manifest_path, ICE_FILE_MANIFEST};
	/* Manifest lists and statistics files the remaining table still names stay. */
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(after) && !rc; i++) {
		const char *l = ice_table_metadata_snapshot_at(after, i)->manifest_list;
		if (l)
			rc = ice_map__put_str(&kept, l, strlen(l), NULL);
	}
	for (size_t i = 0; i < ice_table_metadata_statistics_count(after) && !rc; i++) {
		const char *s = ice_table_metadata_statistics_at(after, i)->statistics_path;
		rc = ice_map__put_str(&kept, s, strlen(s), NULL);
	}
	for (size_t i = 0; i < ice_table_metadata_partition_statistics_count(after) && !rc; i++) {
		const char *s = ice_table_metadata_partition_statistics_at(after, i)->statistics_path;
		rc = ice_map__put_str(&kept, s, strlen(s), NULL);
	}
	for (size_t i = 0; i < p->nexpired && !rc; i++) {
		const char *l = p->expired[i].manifest_list;
		if (l && !ice_map__get_str(&kept, l, strlen(l), NULL)) {
			items[m++] = (ice_reach_delete_item){l, ICE_FILE_MANIFEST_LIST};
			rc = ice_map__put_str(&kept, l, strlen(l), NULL); /* once */
		}
	}
	for (size_t i = 0; i < p->nstats && !rc; i++) {
		const char *s = p->stats[i];
		if (!ice_map__get_str(&kept, s, strlen(s), NULL)) {
			items[m++] = (ice_reach_delete_item){s, ICE_FILE_STATISTICS};
			rc = ice_map__put_str(&kept, s, strlen(s), NULL);
		}
	}
	if (!rc && m)
		rc = delete_items(c, items, m);
	ice_map__free(&kept);
	ice__free(items);
	return rc;
}

static int clean(cleanup *c, const ice_expiry_plan *p, const ice_table_metadata *after, ice_expire_report *report)
{
	size_t nafter = ice_table_metadata_snapshot_count(after);
	const ice_snapshot **snaps = ice__calloc(nafter + p->nexpired + 1, sizeof(*snaps));
	int rc;
	if (!snaps)
		return ICE_ERROR;
	/* Every manifest the remaining snapshots use. */
	for (size_t i = 0; i < nafter; i++)
		snaps[i] = ice_table_metadata_snapshot_at(after, i);
	rc = ice_reach__read_lists(&c->kept, snaps, nafter, false, NULL, NULL);
	if (!rc)
		rc = ice_pathset__seal(c->kept.seen);
	/* The manifests only expired snapshots used, and their live files. */
	for (size_t i = 0; i < p->nexpired; i++)
		snaps[i] = &p->expired[i];
	if (!rc)
		rc = ice_reach__read_lists(&c->gone, snaps, p->nexpired, true, not_kept, c);
	if (!rc)
		rc = ice_reach__read_manifests(&c->gone, true, add_candidate, c);
	if (!rc)
		rc = ice_pathset__seal(c->files);
	/* Strike what a remaining manifest still lists. */
	if (!rc && ice_pathset__count(c->files))
		rc = ice_reach__read_manifests(&c->kept, false, strike_kept, c);
	ice__free(snaps);
	report->manifest_lists_read = c->kept.lists_read + c->gone.lists_read;
	report->manifests_read = c->kept.manifests_read + c->gone.manifests_read;
	if (!rc)
		rc = delete_content(c);
	if (!rc)
		rc = delete_metadata_files(c, p, after);
	return rc;
}

static int run_cleanup(const ice_io *io, const ice_expire_options *o, const ice_expiry_plan *p,
                       const ice_table_metadata *after, ice_expire_report *report)
{
	cleanup c;
	ice_reach_progress progress;
	int readers = o->threads > 0 ? o->threads : 2 * ice_reach__cpu_threads();
	int rc;
	memset(&c, 0, sizeof(c));
	c.io = io;
	c.root = ice_table_metadata_location(after);
	c.o = o;
	c.deleters = o->threads > 0 ? o->threads : 8;
	c.progress = &progress;
	c.counts = &report->files;
	ice_reach__progress_init(&progress, o->progress, o->progress_payload);
	pthread_mutex_init(&c.mu, NULL);
	if ((rc = ice_reach__walk_init(&c.kept, io, after, readers, o->memory_bytes, &progress)) == 0 &&
	    (rc = ice_reach__walk_init(&c.gone, io, after, readers, o->memory_bytes, &progress)) == 0 &&
	    (rc = ice_pathset__new(&c.files, o->memory_bytes)) == 0)
		rc = clean(&c, p, after, report);
	ice_pathset__free(c.files);
	ice_reach__walk_free(&c.gone);
	ice_reach__walk_free(&c.kept);
	pthread_mutex_destroy(&c.mu);
	ice_reach__progress_destroy(&progress);
	return rc;
}

/* ---- the operation ------------------------------------------------------------ */

static int fill_report(ice_expire_report *report, const expire_op *e, const ice_table_metadata *after)
{
	report->snapshots_before = e->snapshots_before;
	report->snapshots_expired = (int64_t)e->plan.nexpired;
	report->snapshots_after = (int64_t)ice_table_metadata_snapshot_count(after);
	report->refs_removed = (int64_t)e->plan.nrefs;
	report->specs_removed = (int64_t)e->plan.nspecs;
	report->schemas_removed = (int64_t)e->plan.nschemas;
	if (e->plan.nexpired) {
		int64_t *ids = ice__malloc(e->plan.nexpired * sizeof(int64_t));
		if (!ids)
			return ICE_ERROR;
		memcpy(ids, e->plan.expired_ids, e->plan.nexpired * sizeof(int64_t));
		report->internal_ = ids;
		report->expired_ids = ids;
	}
	return 0;
}

/* A dry run: the plan applied to a builder that is never committed. */
static int dry_run(ice_table *table, expire_op *e, ice_expire_report *report)
{
	const ice_table_metadata *base = ice_table_current(table);
	ice_metadata_builder *b = NULL;
	ice_table_metadata *after = NULL;
	int rc;
	if ((rc = ice_metadata_builder_new(&b, base)) == 0 && (rc = apply(NULL, base, b, e)) == 0 &&
	    (rc = ice_metadata_builder_build(&after, b)) == 0 && (rc = fill_report(report, e, after)) == 0 &&
	    !e->o->keep_files && e->plan.nexpired)
		rc = run_cleanup(ice_table_io(table), e->o, &e->plan, after, report);
	ice_table_metadata_free(after);
	ice_metadata_builder_free(b);
	return rc;
}

int ice_table_expire_snapshots(ice_table *table, const ice_expire_options *opts, ice_expire_report *report)
{
	ice_expire_options defaults;
	expire_op e;
	int rc;
	if (!opts) {
		ice_expire_options_init(&defaults);
		opts = &defaults;
	}
	memset(report, 0, sizeof(*report));
	const ice_table_metadata *md = ice_table_current(table);
	if (!ice_maintain__gc_enabled(md) && !opts->keep_files)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "%s: cannot expire snapshots: gc.enabled is false (deleting files may corrupt other "
		                      "tables; --keep-files expires without deleting)",
		                      ice_table_identifier(table));
	memset(&e, 0, sizeof(e));
	e.o = opts;
	e.io = ice_table_io(table);
	e.now = opts->now_ms ? opts->now_ms : ice_maintain__now_ms();
	ice_expiry__plan_init(&e.plan);
	if (opts->dry_run) {
		rc = dry_run(table, &e, report);
		goto done;
	}
	/* Nothing to change: no commit (and no new metadata version). */
	if ((rc = ice_expiry__plan(&e.plan, md, e.io, opts, e.now)) != 0)
		goto done;
	e.planned = md;
	if (ice_expiry__plan_empty(&e.plan)) {
		e.snapshots_before = (int64_t)ice_table_metadata_snapshot_count(md);
		rc = fill_report(report, &e, md);
		goto done;
	}
	ice_operation op = {"expire snapshots", apply, &e};
	rc = ice_table_commit(table, &op, opts->commit, &report->commit);
	if (rc)
		goto done; /* commit state unknown included: nothing is deleted */
	report->committed = true;
	/* Read the table again: what was committed since counts as reachable. */
	if ((rc = ice_table_refresh(table)) != 0 ||
	    (rc = fill_report(report, &e, ice_table_current(table))) != 0) {
		ice_error__prefix("snapshots expired, files not cleaned up");
		goto done;
	}
	if (!opts->keep_files && e.plan.nexpired &&
	    (rc = run_cleanup(e.io, opts, &e.plan, ice_table_current(table), report)) != 0)
		ice_error__prefix("snapshots expired, files not all cleaned up");
done:
	ice_expiry__plan_free(&e.plan);
	ice_arena__free(&e.plan.arena);
	return rc;
}
