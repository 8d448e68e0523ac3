/*
 * table/rewrite_manifests.c - ice rewrite-manifests (ice/rewrite_manifests.h):
 * the current snapshot's manifests packed into full ones by the merge of
 * manifest_merge.c with every bin of two or more merged, delete manifests
 * included, committed as a "replace" snapshot. Each attempt rewrites the
 * manifests of that attempt's base, so a concurrent commit is simply
 * included; nothing to merge commits nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ice/rewrite_manifests.h"
#include "manifest_merge.h"
#include "new_snapshot.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"
#include "util/uuid.h"

typedef struct rewrite {
	ice_table *table;
	int64_t snapshot_id;
	char uuid[ICE_UUID_STRLEN + 1];
	int counter;
	ice_rewrite_manifests_report *report;
} rewrite;

static const char *const totals[] = {"total-records", "total-files-size", "total-data-files",
                                     "total-delete-files", "total-position-deletes", "total-equality-deletes"};

static int apply_rewrite(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	rewrite *rw = payload;
	const ice_snapshot *parent = ice_table_metadata_current_snapshot(base);
	const ice_io *io = ice_table_io(rw->table);
	ice_manifest_list *list = NULL;
	ice_new_list nl = {0};
	ice_snapshot snap;
	ice_merged_list merged;
	ice_merge_config cfg;
	ice_merge_stats stats = {0, 0, 0};
	const ice_manifest_file **all = NULL;
	int64_t entries = 0;
	char values[4][32];
	int rc;

	memset(&merged, 0, sizeof(merged));
	if (!parent)
		return ICE_ITEROVER;
	if ((rc = ice_manifest_list_read_snapshot(&list, io, base, parent)) != 0)
		return rc;
	if (!(all = ice__mallocarray(list->n + 1, sizeof(*all)))) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t i = 0; i < list->n; i++) {
		all[i] = &list->items[i];
		if (list->items[i].added_files_count > 0)
			entries += list->items[i].added_files_count;
		if (list->items[i].existing_files_count > 0)
			entries += list->items[i].existing_files_count;
	}
	ice_manifest_merge__config(base, &cfg);
	ice_merge_target target = {ctx, base, io, rw->snapshot_id, rw->uuid, &rw->counter, &stats};
	if ((rc = ice_manifest_merge__run(&merged, &target, &cfg, true, all, list->n)) != 0)
		goto done;
	if (stats.created == 0) {
		rc = ICE_ITEROVER; /* already packed */
		goto done;
	}
	if ((rc = ice_table__new_list_open(&nl, ctx, base, io, rw->snapshot_id, rw->uuid, parent)) != 0)
		goto done;
	for (size_t i = 0; i < merged.n && !rc; i++)
		rc = ice_manifest_list_writer_add(nl.writer, merged.items[i]);
	if (rc || (rc = ice_table__new_list_close(&nl, base, &snap)) != 0)
		goto done;

	ice_property items[12];
	size_t n = 0;
	items[n++] = (ice_property){"operation", "replace"};
	snprintf(values[0], sizeof(values[0]), "%" PRId64, stats.created);
	snprintf(values[1], sizeof(values[1]), "%" PRId64, stats.kept);
	snprintf(values[2], sizeof(values[2]), "%" PRId64, stats.replaced);
	snprintf(values[3], sizeof(values[3]), "%" PRId64, entries);
	items[n++] = (ice_property){"manifests-created", values[0]};
	items[n++] = (ice_property){"manifests-kept", values[1]};
	items[n++] = (ice_property){"manifests-replaced", values[2]};
	items[n++] = (ice_property){"entries-processed", values[3]};
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		const char *v = ice_properties_get(&parent->summary, totals[i]);
		if (v)
			items[n++] = (ice_property){totals[i], v};
	}
	snap.summary.n = n;
	snap.summary.items = items;
	snap.operation = "replace";
	if ((rc = ice_table__summary_extend(ctx, &snap)) != 0)
		goto done;
	ice_ref main_ref = *ice_table_metadata_ref(base, "main");
	main_ref.name = "main";
	main_ref.snapshot_id = rw->snapshot_id;
	ice_requirement req = {ICE_REQUIRE_REF_SNAPSHOT_ID, "main", true, parent->snapshot_id};
	if ((rc = ice_commit_require(ctx, &req)) == 0 && (rc = ice_metadata_builder_add_snapshot(b, &snap)) == 0)
		rc = ice_metadata_builder_set_ref(b, "main", &main_ref);
	if (!rc && rw->report) {
		rw->report->manifests_before = (int64_t)list->n;
		rw->report->manifests_after = (int64_t)merged.n;
		rw->report->manifests_created = stats.created;
		rw->report->manifests_replaced = stats.replaced;
	}
done:
	ice_merged_list__free(&merged);
	ice__free(all);
	ice_table__new_list_free(&nl);
	ice_manifest_list_free(list);
	return rc;
}

int ice_table_rewrite_manifests(ice_table *table, const ice_commit_options *commit_opts,
                                ice_rewrite_manifests_report *report, ice_commit_result *result)
{
	rewrite rw;
	ice_rewrite_manifests_report rep;
	ice_operation op = {"rewrite manifests", apply_rewrite, &rw};
	ice_commit_result res;
	uint8_t u[16];
	uint64_t id;
	int rc;
	memset(&rw, 0, sizeof(rw));
	memset(&rep, 0, sizeof(rep));
	rw.table = table;
	rw.report = &rep;
	ice_uuid__random(u);
	ice_uuid__format(u, rw.uuid);
	do {
		ice_uuid__random(u);
		memcpy(&id, u, sizeof(id));
		id &= INT64_MAX;
	} while (id == 0);
	rw.snapshot_id = (int64_t)id;
	rc = ice_table_commit(table, &op, commit_opts, &res);
	if (rc == ICE_ITEROVER) {
		/* nothing to merge: nothing committed */
		ice_error_clear();
		rc = 0;
		res.state = ICE_COMMIT_SUCCEEDED;
	} else if (!rc) {
		rep.committed = true;
		rep.snapshot_id = rw.snapshot_id;
	}
	if (report)
		*report = rep;
	if (result)
		*result = res;
	return rc;
}
