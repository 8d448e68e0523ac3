/*
 * table/fast_append.c - the fast-append snapshot producer: new files go
 * into new manifests (one per partition spec), written once at the first
 * attempt; each attempt then writes a manifest list with the new manifests
 * first and the parent's manifests carried forward as they are, and
 * records add-snapshot and set-snapshot-ref main (or the branch set with
 * ice_append_set_branch). With commit.manifest-merge.enabled (the
 * default) small manifests are merged as the list is written
 * (manifest_merge.c). Snapshot summaries carry
 * the fields Java writes; sequence numbers and v3 row ids follow the base
 * of each attempt. Names follow Java: manifests <uuid>-m<N>.avro, lists
 * snap-<snapshot id>-<attempt>-<uuid>.avro, both under metadata/.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ice/write.h"
#include "io/io.h"
#include "manifest_merge.h"
#include "new_snapshot.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

struct ice_append {
	ice_table *table;
	int64_t snapshot_id;
	char uuid[ICE_UUID_STRLEN + 1];
	ice_data_file **files;
	size_t nfiles;
	ice_manifest_file **manifests; /* written at the first attempt */
	size_t nmanifests;
	bool manifests_written;
	int format_version; /* the manifests' */
	/* evolver: the branch written to (NULL: main) and manifest merging */
	char *branch;
	bool *new_listed;   /* per new manifest: in the last attempt's list as is */
	int merge_counter;  /* names of merged manifests: <uuid>-m<counter>.avro */
	/* properties set in the same commit when the base lacks them */
	ice_property *defaults;
	size_t ndefaults;
	/* run against the base of every attempt after the first */
	ice_append_check_fn check;
	void *check_payload;
};

void ice_append__set_check(ice_append *a, ice_append_check_fn fn, void *payload)
{
	a->check = fn;
	a->check_payload = payload;
}

int ice_append_new(ice_append **out, ice_table *table)
{
	ice_append *a = ice__calloc(1, sizeof(*a));
	uint8_t u[16];
	uint64_t id;
	*out = NULL;
	if (!a)
		return ICE_ERROR;
	a->table = table;
	ice_uuid__random(u);
	ice_uuid__format(u, a->uuid);
	/* A random positive 63-bit id (never 0). */
	do {
		ice_uuid__random(u);
		memcpy(&id, u, sizeof(id));
		id &= INT64_MAX;
	} while (id == 0);
	a->snapshot_id = (int64_t)id;
	*out = a;
	return 0;
}

int64_t ice_append_snapshot_id(const ice_append *a)
{
	return a->snapshot_id;
}

int ice_append_add_file(ice_append *a, const ice_data_file *file)
{
	ice_data_file **files = ice__reallocarray(a->files, a->nfiles + 1, sizeof(ice_data_file *));
	if (!files)
		return ICE_ERROR;
	a->files = files;
	int rc = ice_data_file_copy(&files[a->nfiles], file);
	if (!rc)
		a->nfiles++;
	return rc;
}

static void delete_manifests(ice_append *a)
{
	for (size_t i = 0; i < a->nmanifests; i++)
		ice_io__delete_files(ice_table_io(a->table), &a->manifests[i]->manifest_path, 1);
}

void ice_append_free(ice_append *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nfiles; i++)
		ice_data_file_free(a->files[i]);
	ice__free(a->files);
	for (size_t i = 0; i < a->nmanifests; i++)
		ice_manifest_file_free(a->manifests[i]);
	ice__free(a->manifests);
	ice__free(a->branch);
	ice__free(a->new_listed);
	for (size_t i = 0; i < a->ndefaults; i++) {
		ice__free((char *)a->defaults[i].key);
		ice__free((char *)a->defaults[i].value);
	}
	ice__free(a->defaults);
	ice__free(a);
}

int ice_append_set_property_if_absent(ice_append *a, const char *key, const char *value)
{
	ice_property *p = ice__reallocarray(a->defaults, a->ndefaults + 1, sizeof(*p));
	if (!p)
		return ICE_ERROR;
	a->defaults = p;
	p[a->ndefaults].key = ice__strdup(key);
	p[a->ndefaults].value = ice__strdup(value);
	if (!p[a->ndefaults].key || !p[a->ndefaults].value) {
		ice__free((char *)p[a->ndefaults].key);
		ice__free((char *)p[a->ndefaults].value);
		return ICE_ERROR;
	}
	a->ndefaults++;
	return 0;
}

/* The properties of ice_append_set_property_if_absent the base lacks. */
static int set_absent_properties(ice_append *a, const ice_table_metadata *base, ice_metadata_builder *b)
{
	int rc = 0;
	for (size_t i = 0; i < a->ndefaults && !rc; i++)
		if (!ice_table_metadata_property(base, a->defaults[i].key, NULL)) {
			ice_properties one = {1, &a->defaults[i]};
			rc = ice_metadata_builder_set_properties(b, &one);
		}
	return rc;
}

int ice_append_set_branch(ice_append *a, const char *branch)
{
	char *copy = NULL;
	if (branch && !*branch)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "append: the branch name is empty");
	if (branch && !(copy = ice__strdup(branch)))
		return ICE_ERROR;
	ice__free(a->branch);
	a->branch = copy;
	return 0;
}

static int write_manifests(ice_append *a, const ice_table_metadata *base)
{
	int rc = 0;
	int32_t spec_ids[64];
	size_t nspecs = 0;
	for (size_t i = 0; i < a->nfiles; i++) {
		size_t k;
		for (k = 0; k < nspecs && spec_ids[k] != a->files[i]->partition_spec_id; k++)
			;
		if (k == nspecs) {
			if (nspecs == 64)
				return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_COMMIT, "append: files of more than 64 specs");
			spec_ids[nspecs++] = a->files[i]->partition_spec_id;
		}
	}
	for (size_t s = 0; s < nspecs && !rc; s++) {
		const ice_partition_spec *spec = ice_table_metadata_spec_by_id(base, spec_ids[s]);
		ice_manifest_writer_options opts;
		ice_manifest_writer *w;
		ice_manifest_file *mf = NULL;
		char name[96];
		if (!spec)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "append: the table has no partition spec %d",
			                      (int)spec_ids[s]);
		snprintf(name, sizeof(name), "%s-m%zu.avro", a->uuid, s);
		char *loc = ice_table__metadata_file(base, name);
		if (!loc)
			return ICE_ERROR;
		ice_manifest_writer_options_init(&opts);
		opts.has_snapshot_id = true;
		opts.snapshot_id = a->snapshot_id;
		opts.spec = spec;
		if ((rc = ice_manifest_writer_open(&w, ice_table_io(a->table), loc, base, &opts)) != 0) {
			ice__free(loc);
			break;
		}
		for (size_t i = 0; i < a->nfiles && !rc; i++)
			if (a->files[i]->partition_spec_id == spec_ids[s])
				rc = ice_manifest_writer_add(w, a->files[i], -1);
		if (rc) {
			ice_manifest_writer_abort(w);
			ice__free(loc);
			break;
		}
		if ((rc = ice_manifest_writer_close(w, &mf)) != 0) {
			/* It may have failed after the file was complete. */
			ice_io__delete_files(ice_table_io(a->table), (const char *const *)&loc, 1);
			ice__free(loc);
			break;
		}
		ice__free(loc);
		ice_manifest_file **m = ice__reallocarray(a->manifests, a->nmanifests + 1, sizeof(*m));
		if (!m) {
			ice_io_delete(ice_table_io(a->table), mf->manifest_path);
			ice_manifest_file_free(mf);
			rc = ICE_ERROR;
			break;
		}
		a->manifests = m;
		m[a->nmanifests++] = mf;
	}
	a->format_version = ice_table_metadata_format_version(base);
	a->manifests_written = rc == 0;
	return rc;
}

/* ---- the summary ---------------------------------------------------------------------- */

typedef struct summary {
	ice_property items[16];
	char values[16][32];
	size_t n;
} summary;

static void put(summary *s, const char *key, int64_t v)
{
	s->items[s->n].key = key;
	snprintf(s->values[s->n], sizeof(s->values[s->n]), "%" PRId64, v);
	s->items[s->n].value = s->values[s->n];
	s->n++;
}

static bool parent_total(const ice_snapshot *parent, const char *key, int64_t *out)
{
	const char *v = parent ? ice_properties_get(&parent->summary, key) : NULL;
	*out = 0;
	if (!parent)
		return true; /* the first snapshot: totals start at 0 */
	return v && ice_str__to_int64(v, strlen(v), out);
}

static int changed_partitions(ice_append *a, int64_t *out)
{
	ice_map seen;
	ice_arena arena;
	int rc = 0;
	ice_map__init(&seen, true);
	ice_arena__init(&arena, 4096);
	*out = 0;
	for (size_t i = 0; i < a->nfiles && !rc; i++) {
		const ice_data_file *f = a->files[i];
		ice_buf key = ICE_BUF_INIT;
		ice_buf__printf(&key, "%d|", (int)f->partition_spec_id);
		for (size_t k = 0; k < f->n_partition; k++) {
			char *t = ice_literal_to_string(&f->partition[k]);
			ice_buf__puts(&key, t ? t : "?");
			ice_buf__putc(&key, '\x1f');
			ice_free(t);
		}
		if (key.error) {
			rc = ICE_ERROR;
		} else if (!ice_map__get_str(&seen, key.ptr, key.len, NULL)) {
			char *k = ice_arena__strndup(&arena, key.ptr, key.len);
			if (!k || ice_map__put_str(&seen, k, key.len, k))
				rc = ICE_ERROR;
			else
				(*out)++;
		}
		ice_buf__free(&key);
	}
	ice_map__free(&seen);
	ice_arena__free(&arena);
	return rc;
}

static int build_summary(ice_append *a, const ice_snapshot *parent, summary *s)
{
	int64_t records = 0, bytes = 0, partitions = 0, t;
	int rc;
	for (size_t i = 0; i < a->nfiles; i++) {
		records += a->files[i]->record_count;
		bytes += a->files[i]->file_size_in_bytes;
	}
	if ((rc = changed_partitions(a, &partitions)) != 0)
		return rc;
	s->n = 0;
	s->items[s->n].key = "operation";
	s->items[s->n++].value = "append";
	put(s, "added-data-files", (int64_t)a->nfiles);
	put(s, "added-records", records);
	put(s, "added-files-size", bytes);
	put(s, "changed-partition-count", partitions);
	/* Totals, as Java keeps them: only when the parent has them too. */
	if (parent_total(parent, "total-records", &t))
		put(s, "total-records", t + records);
	if (parent_total(parent, "total-files-size", &t))
		put(s, "total-files-size", t + bytes);
	if (parent_total(parent, "total-data-files", &t))
		put(s, "total-data-files", t + (int64_t)a->nfiles);
	if (parent_total(parent, "total-delete-files", &t))
		put(s, "total-delete-files", t);
	if (parent_total(parent, "total-position-deletes", &t))
		put(s, "total-position-deletes", t);
	if (parent_total(parent, "total-equality-deletes", &t))
		put(s, "total-equality-deletes", t);
	return 0;
}

/* ---- one attempt ------------------------------------------------------------------------- */

/* ---- evolver: target branches and merging (ice append --branch, merge-append) ---- */

/* The snapshot the branch points to (NULL for main of an empty table). */
static int branch_head(ice_commit_ctx *ctx, ice_append *a, const ice_table_metadata *base, const char *branch,
                       const ice_snapshot **out)
{
	const ice_ref *ref = ice_table_metadata_ref(base, branch);
	*out = NULL;
	if (!ref && strcmp(branch, "main") != 0)
		return ice_error__set(ice_commit_attempt(ctx) ? ICE_ECONFLICT : ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT,
		                      "append: %s: no branch '%s'%s", ice_table_identifier(a->table), branch,
		                      ice_commit_attempt(ctx) ? " (another writer removed it)" : " (ice branch create makes one)");
	if (ref && ref->type != ICE_REF_BRANCH)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "append: %s: '%s' is a tag, not a branch",
		                      ice_table_identifier(a->table), branch);
	if (ref)
		*out = ice_table_metadata_snapshot_by_id(base, ref->snapshot_id);
	return 0;
}

/* The new manifests, then the parent's: merged per the table's settings. */
static int add_manifests(ice_commit_ctx *ctx, ice_append *a, const ice_table_metadata *base,
                         ice_manifest_list_writer *lw, const ice_manifest_list *parent_list)
{
	ice_merge_config cfg;
	size_t nparent = parent_list ? parent_list->n : 0, n = a->nmanifests + nparent;
	int rc = 0;
	if (!a->new_listed && a->nmanifests && !(a->new_listed = ice__calloc(a->nmanifests, sizeof(bool))))
		return ICE_ERROR;
	for (size_t i = 0; i < a->nmanifests; i++)
		a->new_listed[i] = true;
	ice_manifest_merge__config(base, &cfg);
	if (!cfg.enabled || a->nmanifests == 0) {
		for (size_t i = 0; i < a->nmanifests && !rc; i++)
			rc = ice_manifest_list_writer_add(lw, a->manifests[i]);
		for (size_t i = 0; i < nparent && !rc; i++)
			rc = ice_manifest_list_writer_add(lw, &parent_list->items[i]);
		return rc;
	}
	const ice_manifest_file **all = ice__mallocarray(n, sizeof(*all));
	ice_merged_list merged;
	ice_merge_stats stats = {0, 0, 0};
	if (!all)
		return ICE_ERROR;
	for (size_t i = 0; i < a->nmanifests; i++)
		all[i] = a->manifests[i];
	for (size_t i = 0; i < nparent; i++)
		all[a->nmanifests + i] = &parent_list->items[i];
	if (a->merge_counter < 1000)
		a->merge_counter = 1000;
	ice_merge_target target = {ctx, base, ice_table_io(a->table), a->snapshot_id, a->uuid, &a->merge_counter, &stats};
	if ((rc = ice_manifest_merge__run(&merged, &target, &cfg, false, all, n)) == 0) {
		for (size_t i = 0; i < a->nmanifests; i++) {
			a->new_listed[i] = false;
			for (size_t k = 0; k < merged.n && !a->new_listed[i]; k++)
				a->new_listed[i] = merged.items[k] == a->manifests[i];
		}
		for (size_t k = 0; k < merged.n && !rc; k++)
			rc = ice_manifest_list_writer_add(lw, merged.items[k]);
		ice_merged_list__free(&merged);
	}
	ice__free(all);
	return rc;
}

static int apply_append(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	ice_append *a = payload;
	const char *branch = a->branch ? a->branch : "main";
	const ice_snapshot *parent = NULL;
	int version = ice_table_metadata_format_version(base);
	ice_manifest_list *parent_list = NULL;
	ice_new_list nl = {0};
	ice_snapshot snap;
	summary sum;
	int rc;

	if ((rc = branch_head(ctx, a, base, branch, &parent)) != 0)
		return rc;
	if (a->check && ice_commit_attempt(ctx) > 0 && (rc = a->check(base, a->check_payload)) != 0)
		return rc;
	if (a->manifests_written && a->format_version != version) {
		/* The table was upgraded between attempts: rewrite the manifests. */
		delete_manifests(a);
		for (size_t i = 0; i < a->nmanifests; i++)
			ice_manifest_file_free(a->manifests[i]);
		a->nmanifests = 0;
		a->manifests_written = false;
	}
	if (!a->manifests_written && (rc = write_manifests(a, base)) != 0)
		return rc;
	if (parent && (rc = ice_manifest_list_read_snapshot(&parent_list, ice_table_io(a->table), base, parent)) != 0)
		return ice_error__prefix("append: reading the parent snapshot's manifest list");
	if ((rc = ice_table__new_list_open(&nl, ctx, base, ice_table_io(a->table), a->snapshot_id, a->uuid, parent)) != 0 ||
	    (rc = add_manifests(ctx, a, base, nl.writer, parent_list)) != 0 ||
	    (rc = ice_table__new_list_close(&nl, base, &snap)) != 0 || (rc = build_summary(a, parent, &sum)) != 0)
		goto done;
	snap.summary.n = sum.n;
	snap.summary.items = sum.items;
	snap.operation = "append";
	if ((rc = ice_table__summary_extend(ctx, &snap)) != 0)
		goto done;
	ice_ref main_ref;
	memset(&main_ref, 0, sizeof(main_ref));
	main_ref.name = branch;
	main_ref.snapshot_id = a->snapshot_id;
	main_ref.type = ICE_REF_BRANCH;
	const ice_ref *cur_main = ice_table_metadata_ref(base, branch);
	if (cur_main)
		main_ref = *cur_main, main_ref.snapshot_id = a->snapshot_id;
	ice_requirement req = {ICE_REQUIRE_REF_SNAPSHOT_ID, branch, parent != NULL, parent ? parent->snapshot_id : 0};
	if ((rc = ice_commit_require(ctx, &req)) == 0 && (rc = ice_metadata_builder_add_snapshot(b, &snap)) == 0 &&
	    (rc = ice_metadata_builder_set_ref(b, branch, &main_ref)) == 0)
		rc = set_absent_properties(a, base, b);
done:
	ice_table__new_list_free(&nl);
	ice_manifest_list_free(parent_list);
	return rc;
}

int ice_append_commit(ice_append *a, const ice_commit_options *opts, ice_commit_result *result)
{
	ice_operation op = {"append", apply_append, a};
	ice_commit_result res;
	int rc = ice_table_commit(a->table, &op, opts, &res);
	if ((rc && res.state == ICE_COMMIT_FAILED) || res.state == ICE_COMMIT_SKIPPED)
		delete_manifests(a);
	if (!rc && res.state == ICE_COMMIT_SUCCEEDED && a->new_listed)
		/* New manifests merged into others are listed nowhere. */
		for (size_t i = 0; i < a->nmanifests; i++)
			if (!a->new_listed[i])
				ice_io__delete_files(ice_table_io(a->table), &a->manifests[i]->manifest_path, 1);
	if (result)
		*result = res;
	return rc;
}
