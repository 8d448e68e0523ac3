/*
 * ice/write.h - writing data into a table: the fast-append snapshot
 * producer, appending rows decoded from CSV, JSON Lines or Parquet files,
 * and registering existing Parquet files (add-files).
 *
 * Each call that commits makes exactly one snapshot with operation
 * "append" through ice_table_commit (ice/table.h): new manifests list the
 * new files, the manifest list carries the parent's manifests forward, and
 * the summary has the fields Java writes (added-data-files, added-records,
 * added-files-size, changed-partition-count, total-records,
 * total-files-size, total-data-files, total-delete-files,
 * total-position-deletes, total-equality-deletes). Files written by a
 * commit that definitely failed are deleted; after ICE_ECOMMITUNKNOWN
 * nothing is deleted.
 */
#ifndef ICE_WRITE_H
#define ICE_WRITE_H

#include "common.h"
#include "manifest.h"
#include "table.h"

ICE_BEGIN_DECL

/* ---- the fast-append snapshot producer ---------------------------------- */

typedef struct ice_append ice_append;

/* Start an append to `table` (borrowed; it must outlive the append). The
 * snapshot id is chosen now: random, positive, 63 bits. */
ICE_EXTERN int ice_append_new(ice_append **out, ice_table *table);
/* Add a data file (deep-copied). Its partition_spec_id must name a spec of
 * the table and its partition tuple fit that spec. */
ICE_EXTERN int ice_append_add_file(ice_append *a, const ice_data_file *file);
ICE_EXTERN int64_t ice_append_snapshot_id(const ice_append *a);
/*
 * Commit to branch `branch` instead of main (NULL: main): the snapshot's
 * parent is the branch's head and only the branch moves. The branch must
 * exist (ICE_ENOTFOUND at commit; ice_table_create_branch in ice/refs.h).
 */
ICE_EXTERN int ice_append_set_branch(ice_append *a, const char *branch);
/*
 * Set table property `key` to `value` in the same commit unless the table
 * already has it (decided on the base of each attempt, so a value another
 * writer set meanwhile is kept). Strings are copied. add-files uses it to
 * store a name mapping (schema.name-mapping.default) with files that have
 * no field ids.
 */
ICE_EXTERN int ice_append_set_property_if_absent(ice_append *a, const char *key, const char *value);
/*
 * Commit the snapshot (see ice_table_commit for the codes). Manifests are
 * written once, at the first attempt; each attempt writes its own manifest
 * list. On a definite failure the manifests are deleted.
 */
ICE_EXTERN int ice_append_commit(ice_append *a, const ice_commit_options *opts, ice_commit_result *result);
ICE_EXTERN void ice_append_free(ice_append *a);

/* ---- appending rows from files ------------------------------------------ */

typedef enum ice_input_format {
	ICE_INPUT_AUTO,    /* by extension: .csv/.tsv/.txt, .json/.jsonl/.ndjson, .parquet; stdin: csv */
	ICE_INPUT_CSV,
	ICE_INPUT_JSONL,
	ICE_INPUT_PARQUET,
	ICE_INPUT_PGTEXT,  /* PostgreSQL's COPY text format (tab, \N, backslash escapes); no header */
} ice_input_format;

typedef void (*ice_write_progress_fn)(int64_t rows, int64_t bytes_read, void *payload);

typedef struct ice_write_options {
	ice_input_format format;
	char delimiter;          /* CSV; 0 (default): ',' ('\t' for .tsv files and PostgreSQL text) */
	const char *null_token;  /* CSV: an unquoted field equal to this is null; default "" */
	bool no_header;          /* CSV: columns in schema order */
	bool header;             /* PostgreSQL text: the first line names the columns (else schema order) */
	/* Rows that do not convert go to this file (as CSV lines or JSON
	 * lines, as read) instead of failing the append; NULL: fail. */
	const char *reject_file;
	/* With a reject file: more rejected rows than this fail the append
	 * (nothing committed); negative: no limit (the default). Beside the
	 * reject file, <reject_file>.errors.jsonl says for each row its file,
	 * line, column, column_name, reason and the row itself. */
	int64_t max_rejects;
	/* Memory: rows buffered per partition before they go to its Parquet
	 * writer (default 8192), open files at most (default 128; the least
	 * recently used is closed), and bytes of open row groups across all
	 * files (default 256 MiB; the largest is flushed). */
	int64_t batch_rows;
	int64_t max_open_files;
	int64_t max_buffered_bytes;
	ice_write_progress_fn progress;
	void *progress_payload;
	/* The branch to commit to (NULL: main); see ice_append_set_branch. */
	const char *branch;
	/* Write rows in input order even when the table has a sort order
	 * (faster; the files then record no sort order). By default the rows
	 * of a sorted table are sorted in runs of up to half of
	 * max_buffered_bytes, one run per file or more (every file sorted). */
	bool no_sort;
	/* The longest CSV record or JSON line accepted, in bytes (0: 16 MiB; at
	 * most 1 GiB): memory while appending grows with the longest record,
	 * so a longer one is an error naming the file and line. */
	int64_t max_record_bytes;
	/* Threads parsing, routing, encoding and compressing in parallel, the
	 * caller's included (0: one per processor online; 1: only the
	 * caller's). The rows written are the same whatever the number; row
	 * group boundaries may differ, since each thread's scratch counts
	 * against max_buffered_bytes. */
	int threads;
	/* Text values: spaces and tabs around unquoted fields dropped (else a
	 * number with spaces is refused, saying so); decimals with more digits
	 * after the point than the column rounded half up (else refused). */
	bool trim;
	bool round_decimals;
	/* Input column names (CSV and PostgreSQL text headers, JSON keys,
	 * Parquet fields) match the table's ignoring ASCII case; by default
	 * they match exactly, as --select and --where do (one rule). */
	bool case_insensitive;
	/* Rewrites (compaction): files roll at this size instead of
	 * write.target-file-size-bytes (0: the property), and rows are
	 * sorted by this order instead of the table's (NULL: the table's;
	 * borrowed; ignored with no_sort). */
	int64_t target_file_size;
	const ice_sort_order *sort_order;
	/* Rewrites of v3 data files: the rows carry _row_id and
	 * _last_updated_sequence_number after the schema's fields (as a scan
	 * with row_lineage reads them) and the files keep both columns (spec
	 * "Row Lineage": a row moved to a new file keeps its values). */
	bool row_lineage;
} ice_write_options;

ICE_EXTERN void ice_write_options_init(ice_write_options *opts);

typedef struct ice_write_report {
	int64_t snapshot_id;
	int64_t rows;          /* rows appended */
	int64_t rejected;      /* rows sent to the reject file */
	int64_t files;         /* data files added */
	int64_t bytes;         /* their size */
	int64_t partitions;    /* distinct partitions written */
	bool committed;        /* false when the input had no row: no snapshot was made */
	int64_t bytes_read;    /* of the inputs (decompressed text; Parquet: file sizes) */
	int64_t write_ms;      /* decoding the input and writing data files */
	int64_t commit_ms;     /* the commit, retries included */
} ice_write_report;

/*
 * Decode every input ("-" is standard input), convert values to the
 * table's current schema (by column name; CSV without header: by
 * position), route rows to partitions of the default spec, write Parquet
 * data files under <location>/data/<partition path>/ (or
 * write.data.path), and commit them as one snapshot. Errors name the file,
 * line and column: "in.csv: line 12, column 3 (price): cannot convert
 * 'abc' to decimal(10, 2): not a number". Nothing is committed after an
 * error; files written are deleted. Input without a row (empty files, a
 * header alone, every row rejected) commits nothing: ICE_OK with
 * report->committed false. `report` and `result` may be NULL.
 */
ICE_EXTERN int ice_table_append_files(ice_table *table, const char *const *inputs, size_t ninputs,
                                      const ice_write_options *opts, const ice_commit_options *commit_opts,
                                      ice_write_report *report, ice_commit_result *result);

/*
 * Register existing Parquet files without rewriting them: metrics come from
 * their footers, partition values from their column statistics (every row
 * of a file must map to one partition). Files are matched to the schema by
 * field id when they have ids, else by name. ICE_EINVALID (naming the file
 * and the column) for a file whose schema does not fit or whose rows span
 * partitions; nothing is committed then.
 */
ICE_EXTERN int ice_table_add_files(ice_table *table, const char *const *files, size_t nfiles,
                                   const ice_commit_options *commit_opts, ice_write_report *report,
                                   ice_commit_result *result);

ICE_END_DECL

#endif
