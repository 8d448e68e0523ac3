/*
 * ice/scan.h - reading a table: choose a snapshot, plan the file tasks that
 * may hold matching rows, and read them into Arrow batches with deletes
 * applied and the schema evolved to the one being read.
 *
 *   ice_scan_options opts;
 *   ice_scan_options_init(&opts);
 *   opts.filter = "ts >= '2024-01-01' and id in (1, 2)";
 *   ice_scan *scan;
 *   ice_scan_new(&scan, io, md, &opts);          // resolves snapshot, schema, filter
 *   struct ArrowArrayStream stream;
 *   ice_scan_to_stream(scan, &stream);          // plans lazily and reads
 *   ... stream.get_schema / get_next until a released array ...
 *   stream.release(&stream);
 *   ice_scan_free(scan);
 *
 * Or step by step: ice_scan_plan_open/_next hand out tasks (a data file,
 * the delete files that apply to it and the residual filter), and
 * ice_scan_task_open/_next read one task. Tasks can be read in any order
 * and on different threads (one reader per thread).
 *
 * Planning streams: the manifest list is read first, then each manifest
 * whose partition summaries may match, one at a time (several at once with
 * `threads`); memory is bounded by the delete files of the snapshot and
 * one manifest per thread, not by the number of data files. Delete
 * manifests are read before data manifests, since every data file needs
 * its deletes.
 *
 * `io` and `md` must outlive the scan; tasks and readers must not outlive
 * the scan they came from.
 */
#ifndef ICE_SCAN_H
#define ICE_SCAN_H

#include "arrow.h"
#include "common.h"
#include "expr.h"
#include "io.h"
#include "manifest.h"
#include "schema.h"
#include "snapshot.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

typedef struct ice_scan_options {
	/* Which snapshot (at most one of these; none: the current snapshot). */
	bool has_snapshot_id;
	int64_t snapshot_id;
	bool has_as_of_ms;      /* the snapshot current at this time, per the snapshot log */
	int64_t as_of_ms;
	const char *ref;        /* a branch or tag name */
	/* A row filter in the --where language (ice/expr.h), or an unbound or
	 * bound expression (filter_expr wins when both are given). */
	const char *filter;
	const ice_expr *filter_expr;
	bool case_sensitive;    /* column names in filter and select; default true */
	/* Columns to return, by name ("a", "b.c"); NULL: every column. The
	 * top-level columns come in the order the names first reach them
	 * ({"c", "a"}: c then a); nested fields keep their struct's order. On
	 * v3 tables the row lineage metadata columns "_row_id" and
	 * "_last_updated_sequence_number" may be named too (unless the schema
	 * has columns of those names); they come after the others. */
	const char *const *select;
	size_t nselect;
	/* v3: both row lineage columns after the selected ones (spec "Row
	 * Lineage": a null or missing _row_id reads as the data file's
	 * first_row_id plus the row's position, null when the file has none; a
	 * null or missing _last_updated_sequence_number as the file's data
	 * sequence number). ICE_EINVALID on tables before v3. */
	bool row_lineage;
	/* Stop after this many rows (planning stops too); -1: no limit. */
	int64_t limit;
	/* Threads for reading manifests and decoding (0: one per core). */
	size_t threads;
	/* Rows per batch (0: 65536). */
	size_t batch_size;
	/*
	 * Incremental (Java's IncrementalAppendScan): with has_from_snapshot_id,
	 * only the rows that the append snapshots after `from_snapshot_id`
	 * (exclusive) up to the snapshot chosen above (inclusive; the current
	 * one by default) added, read with the table's current schema, no
	 * delete file applied. `from_snapshot_id` must be an ancestor of that
	 * snapshot. A snapshot in the range that removed or replaced rows
	 * ("overwrite", "delete") fails the scan naming it (ICE_EUNSUPPORTED),
	 * unless `appends_only` skips it; "replace" snapshots (compaction,
	 * rewritten manifests) change no rows and are passed over. Planning
	 * reads only the manifests the range's snapshots added.
	 */
	bool has_from_snapshot_id;
	int64_t from_snapshot_id;
	bool appends_only;
	/* Read with the table's current schema whatever snapshot is chosen
	 * (as an incremental scan and the changelog do). */
	bool current_schema;
} ice_scan_options;

/* Defaults: current snapshot, no filter, every column, no limit. */
ICE_EXTERN void ice_scan_options_init(ice_scan_options *opts);

typedef struct ice_scan ice_scan;

/*
 * Resolve the snapshot, the schema (the snapshot's schema for a snapshot
 * id, time or tag; the table's current schema for a branch or the current
 * snapshot), the projection and the filter. ICE_ENOTFOUND for an unknown
 * snapshot id or ref or a time before the first snapshot; ICE_EINVALID for
 * unknown columns or a filter that does not bind. A table without
 * snapshots scans to no rows.
 */
ICE_EXTERN int ice_scan_new(ice_scan **out, const ice_io *io, const ice_table_metadata *md,
                            const ice_scan_options *opts);
ICE_EXTERN void ice_scan_free(ice_scan *scan);

/* The snapshot read (NULL for a table without snapshots); for an
 * incremental scan, the end of the range. */
ICE_EXTERN const ice_snapshot *ice_scan_snapshot(const ice_scan *scan);
/* An incremental scan's append snapshots in the range, oldest first
 * (*n 0 for a scan that is not incremental). Borrowed from the metadata. */
ICE_EXTERN const ice_snapshot *const *ice_scan_range(const ice_scan *scan, size_t *n);
/* The schema columns and filters resolve against. */
ICE_EXTERN const ice_schema *ice_scan_schema(const ice_scan *scan);
/* The struct type of the rows returned (the selected fields). */
ICE_EXTERN const ice_type *ice_scan_projected_type(const ice_scan *scan);
/* The filter bound to ice_scan_schema() (NULL: no filter). */
ICE_EXTERN const ice_expr *ice_scan_filter(const ice_scan *scan);
/* The Arrow schema of every batch (a struct "+s" of the projected fields,
 * each child with "PARQUET:field_id" metadata). */
ICE_EXTERN int ice_scan_arrow_schema(const ice_scan *scan, struct ArrowSchema *out);

/* ---- planning --------------------------------------------------------- */

/* A delete file that applies to a task's data file. */
typedef struct ice_scan_delete {
	const ice_data_file *file;       /* position or equality deletes; or a deletion vector
	                                  * (file_format "puffin" with content_offset/size) */
	int64_t data_sequence_number;
	int64_t file_sequence_number;
} ice_scan_delete;

typedef struct ice_scan_task {
	const ice_data_file *file;       /* the data file */
	int64_t data_sequence_number;
	int64_t file_sequence_number;
	const ice_partition_spec *spec;  /* the spec it was written with */
	/* Delete files matched by the spec's rules: position deletes with a data
	 * sequence number >= the file's (and the same partition, or a
	 * referenced_data_file naming it), equality deletes with a strictly
	 * greater one (same partition, or global from an unpartitioned spec),
	 * and the deletion vector of the file, if any. */
	size_t ndeletes;
	const ice_scan_delete *deletes;
	/* What the rows must still satisfy after partition pruning (NULL: every
	 * row matches); bound to ice_scan_schema(). */
	const ice_expr *residual;
} ice_scan_task;

typedef struct ice_scan_planner ice_scan_planner;

ICE_EXTERN int ice_scan_plan_open(ice_scan_planner **out, ice_scan *scan);
/* The next task (borrowed until the next call or ice_scan_plan_free);
 * ICE_ITEROVER at the end. */
ICE_EXTERN int ice_scan_plan_next(ice_scan_planner *p, const ice_scan_task **out);
ICE_EXTERN void ice_scan_plan_free(ice_scan_planner *p);

/* A task that lives on its own (until ice_scan_task_free or the scan is freed). */
ICE_EXTERN int ice_scan_task_copy(ice_scan_task **out, const ice_scan_task *task);
ICE_EXTERN void ice_scan_task_free(ice_scan_task *task);

/* A task as JSON for `ice scan --plan --json`: file, spec, partition,
 * record count, deletes, residual. */
ICE_EXTERN int ice_scan_task_write_json(const ice_scan_task *task, ice_json_writer *w);

/* ---- reading ---------------------------------------------------------- */

typedef struct ice_scan_reader ice_scan_reader;

/*
 * Read one task: its data file projected to ice_scan_projected_type() by
 * field id (or by the table's name mapping for files without ids), columns
 * the file lacks filled with null or their initial-default, promoted types
 * widened; row groups pruned by statistics against the residual; deleted
 * rows and rows failing the residual removed.
 */
ICE_EXTERN int ice_scan_task_open(ice_scan_reader **out, ice_scan *scan, const ice_scan_task *task);
/* The next batch (the caller owns and releases it); ICE_ITEROVER at the end.
 * Batches may hold zero rows only at the end. */
ICE_EXTERN int ice_scan_reader_next(ice_scan_reader *r, struct ArrowArray *out);
/*
 * For writers that change rows in place (ice delete, ice overwrite): the
 * next batch of every row of the data file, in file order, nothing
 * removed; *first_row_out is the position in the data file of its first
 * row, and *live_out a bitmap of out->length bits (LSB first; owned by the
 * reader, valid until its next call) marking the rows the task's delete
 * files leave alive. The task's residual must be NULL (no rows filtered,
 * no row groups pruned). ICE_ITEROVER at the end.
 */
ICE_EXTERN int ice_scan_reader_next_all(ice_scan_reader *r, struct ArrowArray *out, int64_t *first_row_out,
                                        const uint8_t **live_out);
ICE_EXTERN void ice_scan_reader_free(ice_scan_reader *r);

/* Plan and read everything as one Arrow C stream (which keeps the scan
 * alive: free the scan only after releasing the stream). */
ICE_EXTERN int ice_scan_to_stream(ice_scan *scan, struct ArrowArrayStream *out);

/* ---- the changelog ---------------------------------------------------- */

/*
 * A table's changes between two snapshots, as Spark's create_changelog_view
 * (Iceberg's IncrementalChangelogScan) gives them: `opts` names the range
 * as for an incremental scan (has_from_snapshot_id, exclusive; the end as
 * the snapshot options choose it, inclusive; one line of history) and the
 * columns (select); no row filter. Each snapshot of the range that is not
 * a "replace", oldest first, gets the next _change_ordinal (from 0); its
 * rows are the data files it added (INSERT: their rows live in it), the
 * data files it removed (DELETE: their rows live in its parent) and the
 * rows its new delete files (position deletes, deletion vectors, equality
 * deletes) removed from files it kept (DELETE). Rows deleted and inserted
 * with the same values by one snapshot (carried over by a copy-on-write
 * rewrite) are dropped in pairs, as Spark's view drops them. Rows are the
 * selected columns of the current schema, then _change_type ("INSERT" or
 * "DELETE"), _change_ordinal (int) and _commit_snapshot_id (long).
 *
 * Only the files a snapshot touched are read; the changed rows of one
 * snapshot are held in memory (to find carried-over rows), no more.
 * `io` and `md` must outlive the object; so must it the stream.
 */
typedef struct ice_changes ice_changes;
ICE_EXTERN int ice_changes_new(ice_changes **out, const ice_io *io, const ice_table_metadata *md,
                               const ice_scan_options *opts);
/* The row type: the projected fields and the three columns. */
ICE_EXTERN const ice_type *ice_changes_type(const ice_changes *c);
ICE_EXTERN int ice_changes_arrow_schema(const ice_changes *c, struct ArrowSchema *out);
/* The next batch of changes (the caller releases it); ICE_ITEROVER at the end. */
ICE_EXTERN int ice_changes_next(ice_changes *c, struct ArrowArray *out);
/* The changes as one Arrow C stream (borrowing `c`: release the stream first). */
ICE_EXTERN int ice_changes_to_stream(ice_changes *c, struct ArrowArrayStream *out);
ICE_EXTERN void ice_changes_free(ice_changes *c);

/* ---- statistics ------------------------------------------------------- */

typedef struct ice_scan_stats {
	int64_t manifests;               /* in the manifest list */
	int64_t manifests_skipped;       /* by partition summaries */
	int64_t delete_manifests;
	int64_t data_files;              /* live data files in the manifests read */
	int64_t data_files_skipped_partition;
	int64_t data_files_skipped_metrics;
	int64_t delete_files;            /* distinct delete files matched to some task */
	int64_t tasks;
	int64_t row_groups;              /* in the files opened */
	int64_t row_groups_skipped;
	int64_t rows_read;               /* decoded from data files */
	int64_t rows_deleted;            /* removed by delete files */
	int64_t rows_filtered;           /* removed by the residual filter */
	int64_t rows_returned;
	int64_t bytes_read;
} ice_scan_stats;

/* Counters so far (planning and reading; thread-safe). */
ICE_EXTERN void ice_scan_get_stats(const ice_scan *scan, ice_scan_stats *out);
ICE_EXTERN int ice_scan_stats_write_json(const ice_scan_stats *stats, ice_json_writer *w);

ICE_END_DECL

#endif
