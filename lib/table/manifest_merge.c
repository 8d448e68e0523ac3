/*
 * table/manifest_merge.c - merging small manifests on append, so that a
 * table with many commits keeps few manifests and plans fast (the
 * reference implementation's MergingSnapshotProducer and its merge
 * manager), and whole-list rewrites for rewrite-manifests.
 *
 * Table properties (ice's defaults are the reference implementation's for
 * its merging append, the Table API's default append):
 *   commit.manifest-merge.enabled        true
 *   commit.manifest.min-count-to-merge   100
 *   commit.manifest.target-size-bytes    8388608 (8 MiB)
 *
 * Data manifests are grouped by partition spec (highest spec id first);
 * within a group, bins are packed from the oldest manifest towards the
 * newest, each up to the target size, so the newest bin is the partial
 * one. A bin of one manifest stays as it is; the bin holding the
 * snapshot's first new manifest is merged only once it has at least
 * min-count manifests (otherwise every append would rewrite it); any
 * other bin is merged. A merged manifest lists each live entry of its
 * inputs as EXISTING with its snapshot id, sequence numbers and (v3) first
 * row id written out, entries this snapshot added stay ADDED, and DELETED
 * entries of earlier snapshots are dropped (the spec lets a delete be
 * forgotten once it was committed). Delete manifests are carried as they
 * are on append; rewrites merge them too.
 */
#include <stdio.h>
#include <string.h>

#include "io/io.h"
#include "manifest_merge.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"

static int64_t prop_int(const ice_table_metadata *md, const char *key, int64_t fallback)
{
	const char *v = ice_table_metadata_property(md, key, NULL);
	int64_t n;
	if (v && ice_str__to_int64(v, strlen(v), &n) && n > 0)
		return n;
	return fallback;
}

void ice_manifest_merge__config(const ice_table_metadata *md, ice_merge_config *out)
{
	const char *enabled = ice_table_metadata_property(md, "commit.manifest-merge.enabled", "true");
	out->enabled = !ice_str__ieq(enabled, strlen(enabled), "false", 5);
	out->min_count = prop_int(md, "commit.manifest.min-count-to-merge", 100);
	out->target_size = prop_int(md, "commit.manifest.target-size-bytes", 8 * 1024 * 1024);
}

void ice_merged_list__free(ice_merged_list *l)
{
	for (size_t i = 0; i < l->nowned; i++)
		ice_manifest_file_free(l->owned[i]);
	ice__free(l->owned);
	ice__free(l->items);
	memset(l, 0, sizeof(*l));
}

static int push_item(ice_merged_list *l, const ice_manifest_file *mf)
{
	const ice_manifest_file **items = ice__reallocarray(l->items, l->n + 1, sizeof(*items));
	if (!items)
		return ICE_ERROR;
	l->items = items;
	items[l->n++] = mf;
	return 0;
}

static int push_owned(ice_merged_list *l, ice_manifest_file *mf)
{
	ice_manifest_file **owned = ice__reallocarray(l->owned, l->nowned + 1, sizeof(*owned));
	if (!owned) {
		ice_manifest_file_free(mf);
		return ICE_ERROR;
	}
	l->owned = owned;
	owned[l->nowned++] = mf;
	return push_item(l, mf);
}

/* Copies the entries of `mf` into `w` as described at the top. */
static int copy_entries(ice_manifest_writer *w, const ice_merge_target *t, const ice_manifest_file *mf)
{
	ice_manifest_reader *r;
	const ice_manifest_entry *e;
	int rc;
	if ((rc = ice_manifest_open(&r, t->io, t->base, mf)) != 0)
		return rc;
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		ice_manifest_entry copy = *e;
		bool ours = e->has_snapshot_id && e->snapshot_id == t->snapshot_id;
		if (e->status == ICE_MANIFEST_ENTRY_DELETED) {
			if (!ours)
				continue;
		} else if (!(e->status == ICE_MANIFEST_ENTRY_ADDED && ours)) {
			copy.status = ICE_MANIFEST_ENTRY_EXISTING;
			/* What the entry inherited becomes explicit: it no longer
			 * sits in the manifest it inherited from. */
			copy.inherited = 0;
		}
		if ((rc = ice_manifest_writer_add_entry(w, &copy)) != 0)
			break;
	}
	ice_manifest_reader_free(r);
	return rc == ICE_ITEROVER ? 0 : ice_error__prefix("merging %s", mf->manifest_path);
}

/* Writes one manifest from a bin of manifests of spec `spec_id`. */
static int merge_bin(ice_merged_list *out, const ice_merge_target *t, int32_t spec_id, ice_manifest_content content,
                     const ice_manifest_file *const *bin, size_t n)
{
	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(t->base, spec_id);
	ice_manifest_writer_options opts;
	ice_manifest_writer *w;
	ice_manifest_file *mf = NULL;
	char name[128];
	char *dir, *loc;
	int rc;
	if (!spec)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "merging manifests: the table has no partition spec %d",
		                      (int)spec_id);
	snprintf(name, sizeof(name), "%s-m%d.avro", t->uuid, (*t->counter)++);
	dir = ice_uri__join(ice_table_metadata_location(t->base), "metadata");
	loc = dir ? ice_uri__join(dir, name) : NULL;
	ice__free(dir);
	if (!loc)
		return ICE_ERROR;
	ice_manifest_writer_options_init(&opts);
	opts.content = content;
	opts.has_snapshot_id = true;
	opts.snapshot_id = t->snapshot_id;
	opts.spec = spec;
	opts.keep_metrics = true;
	if ((rc = ice_manifest_writer_open(&w, t->io, loc, t->base, &opts)) == 0 &&
	    (rc = ice_commit_track_file(t->ctx, loc)) != 0)
		ice_manifest_writer_abort(w);
	ice__free(loc);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++)
		rc = copy_entries(w, t, bin[i]);
	if (rc) {
		ice_manifest_writer_abort(w);
		return rc;
	}
	if ((rc = ice_manifest_writer_close(w, &mf)) != 0)
		return rc;
	if (mf->added_files_count + mf->existing_files_count + mf->deleted_files_count == 0) {
		/* Everything in it was an old delete: nothing to list. */
		ice_io__delete_files(t->io, &mf->manifest_path, 1);
		ice_manifest_file_free(mf);
		return 0;
	}
	t->stats->created++;
	t->stats->replaced += (int64_t)n;
	return push_owned(out, mf);
}

/*
 * Packs `group` (newest first) into bins of at most target bytes, filling
 * from the oldest end, and merges each bin as the rules at the top say.
 */
static int merge_group(ice_merged_list *out, const ice_merge_target *t, const ice_merge_config *cfg, bool force,
                       const ice_manifest_file *first, int32_t spec_id, ice_manifest_content content,
                       const ice_manifest_file **group, size_t n)
{
	size_t end = n;
	int rc = 0;
	/* Bins from the oldest: [start, end) for decreasing end. Collected
	 * newest-first by walking back from the oldest and then reversing. */
	size_t *starts = ice__mallocarray(n + 1, sizeof(size_t));
	size_t nbins = 0;
	if (!starts)
		return ICE_ERROR;
	while (end > 0) {
		size_t start = end - 1;
		int64_t size = group[start]->manifest_length;
		while (start > 0 && size + group[start - 1]->manifest_length <= cfg->target_size) {
			start--;
			size += group[start]->manifest_length;
		}
		starts[nbins++] = start;
		end = start;
	}
	/* starts[] runs from the oldest bin to the newest: walk it backwards. */
	for (size_t b = nbins; b-- > 0 && !rc;) {
		size_t s = starts[b], e = b ? starts[b - 1] : n;
		size_t count = e - s;
		bool has_first = false;
		for (size_t i = s; i < e; i++)
			has_first |= group[i] == first;
		if (count == 1 || (!force && has_first && (int64_t)count < cfg->min_count)) {
			for (size_t i = s; i < e && !rc; i++) {
				rc = push_item(out, group[i]);
				t->stats->kept++;
			}
		} else {
			rc = merge_bin(out, t, spec_id, content, group + s, count);
		}
	}
	ice__free(starts);
	return rc;
}

static int merge_content(ice_merged_list *out, const ice_merge_target *t, const ice_merge_config *cfg, bool force,
                         ice_manifest_content content, const ice_manifest_file *const *manifests, size_t n)
{
	const ice_manifest_file **group = ice__mallocarray(n ? n : 1, sizeof(*group));
	int32_t done_below = INT32_MAX;
	int rc = 0;
	if (!group)
		return ICE_ERROR;
	/* Groups by spec id, highest first; each keeps the list's order. */
	for (;;) {
		int32_t spec_id = INT32_MIN;
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (manifests[i]->content == content && manifests[i]->partition_spec_id < done_below &&
			    manifests[i]->partition_spec_id > spec_id)
				spec_id = manifests[i]->partition_spec_id;
		if (spec_id == INT32_MIN)
			break;
		for (size_t i = 0; i < n; i++)
			if (manifests[i]->content == content && manifests[i]->partition_spec_id == spec_id)
				group[k++] = manifests[i];
		if ((rc = merge_group(out, t, cfg, force, manifests[0], spec_id, content, group, k)) != 0)
			break;
		done_below = spec_id;
	}
	ice__free(group);
	return rc;
}

int ice_manifest_merge__run(ice_merged_list *out, const ice_merge_target *t, const ice_merge_config *cfg, bool force,
                            const ice_manifest_file *const *manifests, size_t n)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = merge_content(out, t, cfg, force, ICE_MANIFEST_CONTENT_DATA, manifests, n)) == 0) {
		if (force) {
			rc = merge_content(out, t, cfg, force, ICE_MANIFEST_CONTENT_DELETES, manifests, n);
		} else {
			for (size_t i = 0; i < n && !rc; i++)
				if (manifests[i]->content == ICE_MANIFEST_CONTENT_DELETES) {
					rc = push_item(out, manifests[i]);
					t->stats->kept++;
				}
		}
	}
	if (rc)
		ice_merged_list__free(out);
	return rc;
}
