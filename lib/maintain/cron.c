/*
 * maintain/cron.c - ice maintain: the steps a scheduled job runs on a table
 * (compaction, manifest rewrite, snapshot expiry, orphan removal), each
 * decided by the table's properties and the options, each reported with
 * what it removed and wrote (ice/maintain.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ice/compact.h"
#include "ice/maintain.h"
#include "ice/manifest.h"
#include "ice/rewrite_manifests.h"
#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static const char *const step_names[ICE_MAINTAIN_STEP_COUNT] = {
	"compact", "rewrite-manifests", "expire-snapshots", "remove-orphan-files",
};

const char *ice_maintain_step_name(ice_maintain_step_id step)
{
	return (unsigned)step < ICE_MAINTAIN_STEP_COUNT ? step_names[step] : "unknown";
}

void ice_maintain_options_init(ice_maintain_options *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < ICE_MAINTAIN_STEP_COUNT; i++)
		o->steps[i] = true;
}

void ice_maintain_report_free(ice_maintain_report *r)
{
	if (!r)
		return;
	for (int i = 0; i < ICE_MAINTAIN_STEP_COUNT; i++) {
		ice__free(r->steps[i].error);
		r->steps[i].error = NULL;
	}
}

/* A boolean table property (absent: `dflt`; anything but true/false: refused). */
static int bool_property(const ice_table_metadata *md, const char *key, bool dflt, bool *out)
{
	const char *v = ice_table_metadata_property(md, key, NULL);
	*out = dflt;
	if (!v)
		return 0;
	if (!strcasecmp(v, "true"))
		*out = true;
	else if (!strcasecmp(v, "false"))
		*out = false;
	else
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "table property %s: '%s' is not true or false",
		                      key, v);
	return 0;
}

static int64_t int_property(const ice_table_metadata *md, const char *key, int64_t dflt)
{
	const char *v = ice_table_metadata_property(md, key, NULL);
	int64_t n;
	return v && ice_str__to_int64(v, strlen(v), &n) && n > 0 ? n : dflt;
}

/* Progress of a step, its phase prefixed with the step's name. */
typedef struct step_progress {
	const ice_maintain_options *o;
	const char *step;
} step_progress;

static void prefixed(const char *phase, int64_t done, int64_t total, void *payload)
{
	step_progress *sp = payload;
	char name[96];
	snprintf(name, sizeof(name), "%s: %s", sp->step, phase);
	sp->o->progress(name, done, total, sp->o->progress_payload);
}

/* Whether the current snapshot has at least `min` manifests below `target` bytes. */
static int many_small_manifests(ice_table *table, int64_t min, int64_t target, bool *out)
{
	const ice_table_metadata *md = ice_table_current(table);
	const ice_snapshot *snap = ice_table_metadata_current_snapshot(md);
	ice_manifest_list *list = NULL;
	int64_t small = 0;
	int rc;
	*out = false;
	if (!snap)
		return 0;
	if ((rc = ice_manifest_list_read_snapshot(&list, ice_table_io(table), md, snap)) != 0)
		return rc;
	for (size_t i = 0; i < list->n; i++)
		small += list->items[i].manifest_length < target;
	ice_manifest_list_free(list);
	*out = small >= min;
	return 0;
}

static int run_compact(ice_table *table, const ice_maintain_options *o, step_progress *sp, ice_maintain_step *st)
{
	ice_compact_options co;
	ice_compact_report r;
	if (o->compact)
		co = *o->compact;
	else
		ice_compact_options_init(&co);
	co.dry_run = o->dry_run;
	if (o->threads > 0)
		co.threads = o->threads;
	if (o->progress) {
		co.progress = prefixed;
		co.progress_payload = sp;
	}
	int rc = ice_table_compact(table, &co, NULL, &r, NULL);
	st->changed = r.committed;
	if (o->dry_run) {
		for (size_t i = 0; i < r.ngroups; i++) {
			st->files_removed += r.groups[i].files;
			st->bytes_removed += r.groups[i].bytes;
			st->files_written += r.groups[i].expected_files;
		}
	} else {
		st->files_removed = r.data_files_removed + r.delete_files_removed;
		st->bytes_removed = r.bytes_removed;
		st->files_written = r.data_files_added;
		st->bytes_written = r.bytes_added;
	}
	ice_compact_report_free(&r);
	return rc;
}

static int run_manifests(ice_table *table, const ice_maintain_options *o, ice_maintain_step *st)
{
	const ice_table_metadata *md = ice_table_current(table);
	int64_t min = o->manifest_min_count > 0 ? o->manifest_min_count
	                                        : int_property(md, "commit.manifest.min-count-to-merge", 100);
	int64_t target = int_property(md, "commit.manifest.target-size-bytes", (int64_t)8 << 20);
	bool many;
	int rc = many_small_manifests(table, min, target, &many);
	if (rc)
		return rc;
	if (!many) {
		st->ran = false;
		st->skipped = "few small manifests";
		return 0;
	}
	if (o->dry_run) {
		st->skipped = "dry run (would rewrite the manifests)";
		return 0;
	}
	ice_rewrite_manifests_report r;
	memset(&r, 0, sizeof(r));
	rc = ice_table_rewrite_manifests(table, NULL, &r, NULL);
	st->changed = r.committed;
	st->files_removed = r.manifests_replaced;
	st->files_written = r.manifests_created;
	return rc;
}

static int run_expire(ice_table *table, const ice_maintain_options *o, step_progress *sp, ice_maintain_step *st)
{
	ice_expire_options eo;
	ice_expire_report r;
	if (o->expire)
		eo = *o->expire;
	else
		ice_expire_options_init(&eo);
	eo.dry_run = o->dry_run;
	if (o->threads > 0)
		eo.threads = o->threads;
	if (o->progress) {
		eo.progress = prefixed;
		eo.progress_payload = sp;
	}
	int rc = ice_table_expire_snapshots(table, &eo, &r);
	st->changed = r.committed;
	st->files_removed = ice_delete_counts_total(&r.files);
	ice_expire_report_free(&r);
	return rc;
}

static int run_orphans(ice_table *table, const ice_maintain_options *o, step_progress *sp, ice_maintain_step *st)
{
	ice_orphan_options oo;
	ice_orphan_report r;
	if (o->orphans)
		oo = *o->orphans;
	else
		ice_orphan_options_init(&oo);
	oo.dry_run = o->dry_run;
	if (o->threads > 0)
		oo.threads = o->threads;
	if (o->progress) {
		oo.progress = prefixed;
		oo.progress_payload = sp;
	}
	memset(&r, 0, sizeof(r));
	int rc = ice_table_remove_orphan_files(table, &oo, &r);
	st->files_removed = o->dry_run ? r.orphans : ice_delete_counts_total(&r.files);
	st->changed = !o->dry_run && st->files_removed > 0;
	return rc;
}

int ice_table_maintain(ice_table *table, const ice_maintain_options *opts, ice_maintain_report *report)
{
	ice_maintain_options defaults;
	ice_maintain_report r;
	int64_t t0 = ice_maintain__now_ms();
	int first_rc = 0;
	char *first_error = NULL;
	bool stop = false;
	if (!opts) {
		ice_maintain_options_init(&defaults);
		opts = &defaults;
	}
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < ICE_MAINTAIN_STEP_COUNT; i++) {
		ice_maintain_step *st = &r.steps[i];
		step_progress sp = {opts, step_names[i]};
		const ice_table_metadata *md = ice_table_current(table);
		char key[64];
		bool table_on, step_on;
		int rc;
		if (stop) {
			st->skipped = "an earlier commit's outcome is unknown";
			continue;
		}
		snprintf(key, sizeof(key), "ice.maintain.%s", step_names[i]);
		if ((rc = bool_property(md, "ice.maintain.enabled", true, &table_on)) == 0)
			rc = bool_property(md, key, true, &step_on);
		if (rc == 0 && !opts->steps[i]) {
			st->skipped = "not asked for";
			continue;
		}
		if (rc == 0 && !table_on) {
			st->skipped = "ice.maintain.enabled is false";
			continue;
		}
		if (rc == 0 && !step_on) {
			st->skipped = "its ice.maintain property is false";
			continue;
		}
		if (rc == 0 && (i == ICE_MAINTAIN_EXPIRE_SNAPSHOTS || i == ICE_MAINTAIN_REMOVE_ORPHANS) &&
		    !ice_maintain__gc_enabled(md)) {
			st->skipped = "gc.enabled is false";
			continue;
		}
		int64_t s0 = ice_maintain__now_ms();
		st->ran = true;
		if (rc == 0) {
			switch (i) {
			case ICE_MAINTAIN_COMPACT: rc = run_compact(table, opts, &sp, st); break;
			case ICE_MAINTAIN_REWRITE_MANIFESTS: rc = run_manifests(table, opts, st); break;
			case ICE_MAINTAIN_EXPIRE_SNAPSHOTS: rc = run_expire(table, opts, &sp, st); break;
			default: rc = run_orphans(table, opts, &sp, st); break;
			}
		}
		st->elapsed_ms = ice_maintain__now_ms() - s0;
		if (rc) {
			const ice_error *e = ice_error_last();
			st->rc = rc;
			st->error = ice__strdup(e && e->message ? e->message : ice_error_code_name(rc));
			r.failed++;
			if (!first_rc) {
				first_rc = rc;
				first_error = st->error;
			}
			stop = rc == ICE_ECOMMITUNKNOWN;
			ice_error_clear();
		}
		/* the next step starts from what this one committed */
		if (!stop && i + 1 < ICE_MAINTAIN_STEP_COUNT && (rc = ice_table_refresh(table)) != 0) {
			if (!first_rc)
				first_rc = rc;
			stop = true;
		}
	}
	r.elapsed_ms = ice_maintain__now_ms() - t0;
	if (first_rc && first_error)
		ice_error__set(first_rc, ICE_ERRCLASS_COMMIT, "%s", first_error);
	if (report)
		*report = r;
	else
		ice_maintain_report_free(&r);
	return first_rc;
}
