/*
 * table/row_overwrite.c - ice overwrite: new rows replace old ones in one
 * "overwrite" snapshot. The input is decoded and written as data files
 * first (input.c), then the rows to replace are removed as a copy-on-write
 * delete removes them (row_delete.c): those matching a filter (every row
 * without one), or - dynamic, as the reference implementation's
 * ReplacePartitions - every data file of the default spec in a partition
 * the input wrote to. Validation on retry follows write.update.isolation-level:
 * serializable (the default) refuses data added meanwhile that the filter
 * or the replaced partitions cover.
 */
#include <string.h>

#include "new_snapshot.h"
#include "io/io.h"
#include "row_delete.h"
#include "util/alloc.h"
#include "util/error.h"
#include "ingest/ingest.h"

void ice_overwrite_options_init(ice_overwrite_options *o)
{
	memset(o, 0, sizeof(*o));
	ice_write_options_init(&o->write);
}

static bool same_partition(const ice_data_file *a, const ice_data_file *b)
{
	if (a->partition_spec_id != b->partition_spec_id || a->n_partition != b->n_partition)
		return false;
	for (size_t i = 0; i < a->n_partition; i++)
		if (!ice_literal_equal(&a->partition[i], &b->partition[i]))
			return false;
	return true;
}

typedef struct partitions {
	int32_t spec_id;
	const ice_data_file *const *files;
	size_t n;
} partitions;

static bool in_partitions(const ice_data_file *f, void *payload)
{
	const partitions *ps = payload;
	if (f->partition_spec_id != ps->spec_id)
		return false;
	for (size_t i = 0; i < ps->n; i++)
		if (same_partition(f, ps->files[i]))
			return true;
	return false;
}

/* Every live data file of the default spec in a partition the new files write to. */
static int remove_partitions(ice_table *table, ice_row_change *change, const ice_data_file *const *files, size_t n,
                             ice_delete_report *rep)
{
	partitions ps = {ice_table_metadata_default_spec(ice_table_current(table))->spec_id, files, n};
	int rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = ice_row_change__conflict_partition(change, files[i])) != 0)
			return rc;
	return ice_rows__remove_files(table, change, in_partitions, &ps, rep);
}

int ice_table_overwrite_files(ice_table *table, const char *const *inputs, size_t ninputs,
                              const ice_overwrite_options *opts, const ice_commit_options *commit_opts,
                              ice_delete_report *report, ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(table);
	ice_overwrite_options defaults;
	ice_delete_report rep;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0, 0};
	ice_data_writer *dw = NULL;
	const ice_data_file *const *files = NULL;
	size_t nfiles = 0;
	ice_expr *parsed = NULL, *bound = NULL;
	ice_row_change *change = NULL;
	int64_t rows = 0, rejected = 0;
	bool committing = false;
	int rc;
	if (!opts) {
		ice_overwrite_options_init(&defaults);
		opts = &defaults;
	}
	int64_t start = ice_table__elapsed_ms(0);
	memset(&rep, 0, sizeof(rep));
	rep.operation = "overwrite";
	if (ice_table_idempotency_done(table, NULL, commit_opts, &res)) {
		rc = 0;
		goto done;
	}
	if (opts->dynamic && opts->filter) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "overwrite: a dynamic overwrite takes no filter");
		goto done;
	}
	if (opts->filter &&
	    ((rc = ice_expr_parse(&parsed, opts->filter)) != 0 ||
	     (rc = ice_expr_bind(&bound, parsed, ice_schema_struct(ice_table_metadata_current_schema(md)),
	                             !opts->write.case_insensitive)) != 0))
		goto done;
	if ((rc = ice_row_change__new(&change, table, ice_table_metadata_current_snapshot(md))) != 0)
		goto done;
	if ((rc = ice_input__write(table, inputs, ninputs, &opts->write, &dw, &rows, &rejected, &rep.bytes_read)) != 0 ||
	    (rc = ice_data_writer__close(dw, &files, &nfiles)) != 0)
		goto done;
	rep.rows_added = rows;
	rep.rows_rejected = rejected;
	for (size_t i = 0; i < nfiles && !rc; i++)
		rc = ice_row_change__add_data(change, files[i]);
	rep.files_added = (int64_t)nfiles;
	bool serializable = ice_rows__serializable(md, "write.update.isolation-level", opts->isolation);
	if (!rc && ice_table_metadata_current_snapshot(md)) {
		if (opts->dynamic) {
			ice_row_change__validate(change, NULL, serializable);
			rc = remove_partitions(table, change, files, nfiles, &rep);
			if (!rc)
				rc = ice_row_change__summary(change, "replace-partitions", "true");
		} else {
			/* No filter: every row, and the serializable check then
			 * refuses any data added meanwhile. */
			const ice_expr *removal = bound;
			if (!bound && (rc = ice_expr_true(&bound)) != 0)
				goto done;
			ice_row_change__validate(change, bound, serializable);
			rc = ice_rows__remove_matching(table, change, removal, ICE_DELETE_COPY_ON_WRITE, &rep);
		}
	}
	if (rc || ice_row_change__empty(change))
		goto done;
	committing = true;
	rep.bytes_written = ice_row_change__bytes_added(change);
	rep.write_ms = ice_table__elapsed_ms(start);
	rc = ice_row_change__commit(change, commit_opts, &res);
	rep.commit_ms = res.elapsed_ms;
	if (!rc && res.state == ICE_COMMIT_SUCCEEDED) {
		rep.committed = true;
		rep.snapshot_id = ice_row_change__snapshot_id(change);
	}
done:
	if (rc && !committing) {
		if (change)
			ice_row_change__abandon(change);
		if (dw)
			ice_data_writer__delete_files(dw);
	} else if (((rc && res.state == ICE_COMMIT_FAILED) || res.state == ICE_COMMIT_SKIPPED) && dw) {
		ice_data_writer__delete_files(dw);
	}
	if (!rc && !rep.committed && res.state != ICE_COMMIT_SKIPPED)
		res.state = ICE_COMMIT_SUCCEEDED;
	ice_row_change__free(change);
	ice_data_writer__free(dw);
	ice_expr_free(parsed);
	ice_expr_free(bound);
	if (report)
		*report = rep;
	if (result)
		*result = res;
	return rc;
}
