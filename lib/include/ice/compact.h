/*
 * ice/compact.h - compaction: rewriting a table's data files into fewer,
 * target-sized ones (the reference implementation's RewriteDataFiles with
 * the bin-pack strategy, Spark's rewrite_data_files procedure), and
 * rewriting its position deletes (RewritePositionDeleteFiles, Spark's
 * rewrite_position_delete_files).
 *
 * Data files. The current snapshot of main is planned (every live data
 * file with the deletes that apply to it). A file is a candidate when its
 * size is outside [min_file_size, max_file_size], when it has at least
 * delete_file_threshold delete files, when its file-scoped deletes remove at
 * least delete_ratio_threshold of its rows, when it was written under a
 * partition spec other than the current one, or always with rewrite_all.
 * Candidates are grouped by partition (files of other specs together in
 * one group, as Spark does: their rows may fall in many partitions of the
 * current spec) and bin-packed in plan order into groups of at most
 * max_group_size bytes. A group is rewritten when it has at least
 * min_input_files files (and more than one), holds more than the target
 * size in more than one file, holds more than max_file_size, or holds a
 * file with too many deletes or of another spec. The defaults are Spark's:
 * target write.target-file-size-bytes (512 MiB), min 75 % and max 180 % of
 * the target, min_input_files 5, no delete file threshold, delete ratio
 * 0.3, groups of at most 100 GiB.
 *
 * A group's rows are read with every delete applied (position deletes,
 * deletion vectors, equality deletes) and written under the current spec
 * (optionally sorted), in files that roll at the group's split size (the
 * input size divided by the number of files Spark would expect, between the
 * target and the midpoint of target and max). Groups run in parallel on
 * `threads` threads. In format v3 the rows keep their row lineage: their
 * _row_id and _last_updated_sequence_number are written into the new files
 * (spec "Row Lineage": a row moved unmodified keeps both).
 *
 * The commit is one "replace" snapshot (with partial_progress, up to
 * max_commits of them, each for a share of the groups) that removes the
 * rewritten files and the delete files left dangling (deletion vectors of
 * removed files; position and equality delete files every one of whose
 * data files was rewritten), and adds the new files with the data sequence
 * number of the snapshot the plan started from. It validates what other
 * writers committed meanwhile: a rewritten file removed, or a position
 * delete or deletion vector added for one, is a conflict (ICE_ECONFLICT;
 * nothing lost); appends never are, and equality deletes are not either
 * (they apply to the new files too, whose sequence number is older).
 * Files written by a commit that definitely failed are deleted; after
 * ICE_ECOMMITUNKNOWN nothing is.
 */
#ifndef ICE_COMPACT_H
#define ICE_COMPACT_H

#include "common.h"
#include "partition_spec.h"
#include "table.h"

ICE_BEGIN_DECL

/* Progress: `phase` is "planning", "rewriting" or "committing"; done and
 * total count files (total -1 when not known). Serialized; may come from
 * worker threads. */
typedef void (*ice_compact_progress_fn)(const char *phase, int64_t done, int64_t total, void *payload);

typedef struct ice_compact_options {
	const char *filter;             /* --where: only files that may hold matching rows (NULL: all) */
	bool case_sensitive;            /* column names in filter and sort (default true) */
	int64_t target_file_size;       /* 0: write.target-file-size-bytes, default 512 MiB */
	int64_t min_file_size;          /* -1: 75 % of the target */
	int64_t max_file_size;          /* -1: 180 % of the target */
	int min_input_files;            /* 0: 5 */
	int delete_file_threshold;      /* 0: none (Spark's Integer.MAX_VALUE) */
	double delete_ratio_threshold;  /* 0: 0.3 */
	int64_t max_group_size;         /* 0: 100 GiB */
	bool rewrite_all;
	/* Rows sorted: by sort_order (the sort language of ice/table_dsl.h;
	 * NULL: the table's order, which must not be unsorted). */
	bool sort;
	const char *sort_order;
	/* Commit groups as they finish, in up to max_commits snapshots (0:
	 * 10); a group or commit that fails leaves the others committed. */
	bool partial_progress;
	int max_commits;
	/* Plan only: nothing is written or committed. */
	bool dry_run;
	int threads;                    /* 0: one per processor online */
	int64_t memory;                 /* bytes of rows buffered across writers (0: 256 MiB) */
	ice_compact_progress_fn progress;
	void *progress_payload;
} ice_compact_options;

ICE_EXTERN void ice_compact_options_init(ice_compact_options *opts);

/* One planned group, for reports (ice_compact_report.groups). */
typedef struct ice_compact_group {
	int32_t spec_id;                /* -1: files of other specs than the current one */
	char *partition;                /* "name=value/..." under the spec ("" unpartitioned) */
	int64_t files;                  /* data files in the group */
	int64_t bytes;                  /* their size */
	int64_t delete_files;           /* distinct delete files applying to them */
	int64_t expected_files;         /* what Spark would aim for */
	/* After the run: */
	bool rewritten;                 /* committed */
	int64_t files_added;
	int64_t bytes_added;
	int64_t rows;                   /* rows written */
	char *error;                    /* why the group failed (NULL: it did not) */
} ice_compact_group;

typedef struct ice_compact_report {
	bool committed;                 /* at least one snapshot was committed */
	int commits;
	int64_t snapshot_id;            /* the last one committed */
	int64_t candidates;             /* data files selected before grouping */
	size_t ngroups;                 /* groups planned (to rewrite) */
	ice_compact_group *groups;
	int64_t groups_rewritten;
	int64_t groups_failed;
	int64_t data_files_removed;
	int64_t data_files_added;
	int64_t delete_files_removed;
	int64_t delete_files_added;     /* --deletes */
	int64_t bytes_removed;          /* data and delete files removed */
	int64_t bytes_added;
	int64_t rows_written;
	int64_t elapsed_ms;
} ice_compact_report;

ICE_EXTERN void ice_compact_report_free(ice_compact_report *report);

/*
 * Compact the data files of `table`'s main branch as described at the top.
 * A table without snapshots, or with nothing worth rewriting, commits
 * nothing (report->committed false, ICE_OK). ICE_EINVALID for options
 * that do not fit (target not between min and max, a filter or sort order
 * that does not bind); codes as for ice_table_commit. With
 * partial_progress, a failed group or commit does not fail the call when
 * another committed (report->groups_failed counts them; each group's
 * error says why). `opts`, `commit_opts` and `result` may be NULL;
 * `report` is filled in any case where not NULL (free it with
 * ice_compact_report_free).
 */
ICE_EXTERN int ice_table_compact(ice_table *table, const ice_compact_options *opts,
                                 const ice_commit_options *commit_opts, ice_compact_report *report,
                                 ice_commit_result *result);

/*
 * Rewrite position delete files (format v2 and up). Delete files whose
 * data files are all gone are removed; the positions that still apply are
 * rewritten per partition - in v2 into position delete files (one per
 * group, sorted by path and position, rows of files no longer live
 * dropped), in v3 into deletion vectors (merged with a file's existing
 * vector; one Puffin file per commit). Candidates and groups follow the
 * same size rules as data files with the target
 * write.delete.target-file-size-bytes (64 MiB); in v3 every position delete
 * file is a candidate, since the spec deprecates them there. One "replace"
 * snapshot; conflicts as for ice_table_compact, and also a deletion vector
 * added meanwhile for a data file this change writes one for. The files
 * written keep the newest data sequence number of the delete files they
 * replace (Java's rewrite_position_delete_files), so they apply to the
 * same data files and never to data appended after those deletes.
 * report->groups hold the groups; data_files_* stay 0.
 */
ICE_EXTERN int ice_table_compact_deletes(ice_table *table, const ice_compact_options *opts,
                                         const ice_commit_options *commit_opts, ice_compact_report *report,
                                         ice_commit_result *result);

ICE_END_DECL

#endif
