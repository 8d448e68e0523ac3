/*
 * ice/delete.h - changing rows in place: deleting the rows a filter
 * matches, and overwriting rows (those a filter matches, or whole
 * partitions) with new input (spec "Row-level Deletes", "Delete Formats";
 * the reference implementation's DeleteFiles, OverwriteFiles, RowDelta and
 * ReplacePartitions).
 *
 * A delete drops whole data files where the filter matches every row (by
 * the partition values, through the strict projection, or by the file's
 * metrics); other files holding matching rows are either rewritten
 * without them (copy-on-write) or get deletes: position delete files in
 * format v2, deletion vectors in Puffin files in v3 (merge-on-read). The
 * table property write.delete.mode chooses (copy-on-write by default).
 *
 * Each call is one snapshot ("delete", or "overwrite" when data files are
 * added) committed through ice_table_commit. When another writer commits
 * first, the change is validated against what they committed: removing a
 * file this change rewrites, or adding deletes for one, is always a
 * conflict; adding data files that may hold matching rows is one under
 * serializable isolation (write.delete.isolation-level, and for overwrite
 * write.update.isolation-level: "serializable", the default, or
 * "snapshot"). A conflict ends the commit with ICE_ECONFLICT; nothing a
 * concurrent writer committed is ever lost. Files written by a commit that
 * definitely failed are removed.
 */
#ifndef ICE_DELETE_H
#define ICE_DELETE_H

#include "common.h"
#include "table.h"
#include "write.h"

ICE_BEGIN_DECL

typedef enum ice_delete_mode {
	ICE_DELETE_MODE_TABLE,         /* write.delete.mode (default copy-on-write) */
	ICE_DELETE_COPY_ON_WRITE,
	ICE_DELETE_MERGE_ON_READ,      /* format v2+: position deletes (v2), deletion vectors (v3) */
} ice_delete_mode;

typedef enum ice_isolation {
	ICE_ISOLATION_TABLE,           /* the table property, default serializable */
	ICE_ISOLATION_SERIALIZABLE,
	ICE_ISOLATION_SNAPSHOT,
} ice_isolation;

typedef struct ice_delete_options {
	ice_delete_mode mode;
	ice_isolation isolation;
	bool case_sensitive;           /* column names in the filter (default true) */
} ice_delete_options;

ICE_EXTERN void ice_delete_options_init(ice_delete_options *opts);

typedef struct ice_delete_report {
	bool committed;                /* false: nothing matched, nothing written */
	int64_t snapshot_id;
	const char *operation;         /* "delete" or "overwrite" (static) */
	int64_t rows_deleted;          /* live rows the filter matched */
	int64_t rows_added;            /* overwrite: rows of the input */
	int64_t files_removed;         /* data files dropped whole or rewritten */
	int64_t files_rewritten;       /* of those, rewritten without the rows (copy-on-write) */
	int64_t files_added;           /* data files written (rewrites and input) */
	int64_t delete_files_added;    /* position delete files or deletion vectors */
	int64_t rows_rejected;         /* overwrite: input rows sent to the reject file */
	int64_t bytes_read;            /* overwrite: of the inputs */
	int64_t bytes_written;         /* data and delete files written */
	int64_t write_ms;              /* finding the rows, writing files (and reading the input) */
	int64_t commit_ms;             /* the commit, retries included */
} ice_delete_report;

/*
 * Delete the rows matching `filter` (the --where language of ice/expr.h,
 * bound to the current schema). A table without snapshots, or a filter
 * matching nothing, commits nothing (report->committed false).
 * ICE_EINVALID for a filter that does not parse or bind;
 * ICE_EUNSUPPORTED for merge-on-read on a v1 table. `opts`, `commit_opts`,
 * `report` and `result` may be NULL.
 */
ICE_EXTERN int ice_table_delete_where(ice_table *table, const char *filter, const ice_delete_options *opts,
                                      const ice_commit_options *commit_opts, ice_delete_report *report,
                                      ice_commit_result *result);

typedef struct ice_overwrite_options {
	/* Rows to replace: those matching `filter` (NULL: every row), or with
	 * `dynamic` every row of the partitions (of the default spec) the
	 * input writes to (filter must be NULL). */
	const char *filter;
	bool dynamic;
	ice_isolation isolation;       /* write.update.isolation-level by default */
	ice_write_options write;       /* how the input is read (ice_write_options_init); its
	                                * case_insensitive applies to `filter`'s columns too */
} ice_overwrite_options;

ICE_EXTERN void ice_overwrite_options_init(ice_overwrite_options *opts);

/*
 * Replace rows with the rows of `inputs` (CSV, JSON Lines, Parquet, as for
 * ice_table_append_files), in one "overwrite" snapshot: the rows to
 * replace are removed as a copy-on-write delete would remove them, the
 * input is written as new data files. Dynamic overwrites carry the summary
 * field replace-partitions=true.
 */
ICE_EXTERN int ice_table_overwrite_files(ice_table *table, const char *const *inputs, size_t ninputs,
                                         const ice_overwrite_options *opts, const ice_commit_options *commit_opts,
                                         ice_delete_report *report, ice_commit_result *result);

ICE_END_DECL

#endif
