/*
 * table/append.c - appending input files to a table: decoded and written
 * as data files (ingest/input.c), committed as one fast-append snapshot;
 * the files written are deleted when the commit certainly failed.
 */
#include <string.h>

#include "new_snapshot.h"
#include "ice/write.h"
#include "ingest/ingest.h"
#include "util/error.h"

int ice_table_append_files(ice_table *table, const char *const *inputs, size_t ninputs, const ice_write_options *opts,
                           const ice_commit_options *commit_opts, ice_write_report *report, ice_commit_result *result)
{
	ice_write_options defaults;
	ice_data_writer *dw = NULL;
	ice_append *append = NULL;
	const ice_data_file *const *files = NULL;
	size_t nfiles = 0;
	int64_t rows = 0, rejected = 0, bytes_read = 0, start = ice_table__elapsed_ms(0), written_at;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0, 0};
	int rc;
	if (!opts) {
		ice_write_options_init(&defaults);
		opts = &defaults;
	}
	if (ice_table_idempotency_done(table, opts->branch, commit_opts, &res)) {
		/* Landed before: the input is not even read. */
		if (report)
			memset(report, 0, sizeof(*report));
		if (result)
			*result = res;
		return 0;
	}
	rc = ice_input__write(table, inputs, ninputs, opts, &dw, &rows, &rejected, &bytes_read);
	if (!rc)
		rc = ice_data_writer__close(dw, &files, &nfiles);
	written_at = ice_table__elapsed_ms(0);
	if (!rc && (rc = ice_append_new(&append, table)) == 0 && (rc = ice_append_set_branch(append, opts->branch)) == 0)
		for (size_t i = 0; i < nfiles && !rc; i++)
			rc = ice_append_add_file(append, files[i]);
	/* No row: no snapshot (an empty commit would only add noise). */
	if (!rc && nfiles > 0)
		rc = ice_append_commit(append, commit_opts, &res);
	if (report) {
		memset(report, 0, sizeof(*report));
		report->committed = !rc && nfiles > 0 && res.state == ICE_COMMIT_SUCCEEDED;
		report->snapshot_id = report->committed ? ice_append_snapshot_id(append) : 0;
		report->rows = rows;
		report->rejected = rejected;
		report->files = (int64_t)nfiles;
		report->partitions = dw ? ice_data_writer__partitions(dw) : 0;
		report->bytes_read = bytes_read;
		report->write_ms = written_at - start;
		report->commit_ms = res.elapsed_ms;
		for (size_t i = 0; i < nfiles; i++)
			report->bytes += files[i]->file_size_in_bytes;
	}
	if (((rc && res.state != ICE_COMMIT_UNKNOWN) || res.state == ICE_COMMIT_SKIPPED) && dw)
		ice_data_writer__delete_files(dw);
	if (rc)
		ice_error__oom_in("%s", ice_table_identifier(table)); /* when nothing closer was named */
	if (result)
		*result = res;
	ice_append_free(append);
	ice_data_writer__free(dw);
	return rc;
}
