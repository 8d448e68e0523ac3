/*
 * scan/internal.h - the scan object and what the files of lib/scan share:
 * the resolved snapshot, schema, projection and filter; per-spec filter
 * projections; the delete index of each plan; the ordered worker pool; and
 * the statistics counters (atomic: planning and reading threads update
 * them).
 */
#ifndef ICE_SCAN_INTERNAL_H
#define ICE_SCAN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "expr/internal.h"
#include "ice/scan.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/hashmap.h"

/* The statistics of ice_scan_stats, updated from any thread. */
typedef struct ice_scan_counters {
	_Atomic int64_t manifests;
	_Atomic int64_t manifests_skipped;
	_Atomic int64_t delete_manifests;
	_Atomic int64_t data_files;
	_Atomic int64_t data_files_skipped_partition;
	_Atomic int64_t data_files_skipped_metrics;
	_Atomic int64_t delete_files;
	_Atomic int64_t tasks;
	_Atomic int64_t row_groups;
	_Atomic int64_t row_groups_skipped;
	_Atomic int64_t rows_read;
	_Atomic int64_t rows_deleted;
	_Atomic int64_t rows_filtered;
	_Atomic int64_t rows_returned;
	_Atomic int64_t bytes_read;
} ice_scan_counters;

static inline void ice_scan__count(_Atomic int64_t *c, int64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* The filter projected onto one partition spec (made once per spec). */
typedef struct ice_scan_spec_filter {
	const ice_partition_spec *spec;
	ice_expr *inclusive;        /* bound to the spec's partition type; NULL: no filter */
	int32_t *field_ids;         /* the spec's partition field ids, in spec order */
} ice_scan_spec_filter;

typedef struct ice_scan_delete_index ice_scan_delete_index;

struct ice_scan {
	const ice_io *io;
	const ice_table_metadata *md;
	const ice_snapshot *snapshot;  /* NULL: the table has no snapshot */
	const ice_schema *schema;      /* columns and filters resolve against it */
	const ice_type *projected;     /* a struct of the selected fields (in `arena`, or the schema's) */
	ice_expr *filter;              /* bound to `schema`; NULL: no filter */
	bool case_sensitive;
	int64_t limit;                 /* -1: none */
	size_t threads;                /* resolved: >= 1 */
	size_t batch_size;             /* resolved: > 0 */
	ice_arena arena;               /* the projected type */
	bool incremental;              /* has a range: the appends of `range` only */
	const ice_snapshot **range;    /* the append snapshots read, oldest first */
	size_t nrange;

	ice_scan_spec_filter *spec_filters; /* one per spec of the table */
	size_t nspec_filters;

	/* Delete indexes of the plans made so far: copied tasks borrow their
	 * delete files, so they live until the scan is freed. */
	pthread_mutex_t mu;
	ice_scan_delete_index *indexes;

	ice_scan_counters stats;
};

/* The filter projections of spec `spec_id`, or NULL when the table has no such spec. */
const ice_scan_spec_filter *ice_scan__spec_filter(const ice_scan *scan, int32_t spec_id);

/* ---- deletes (deletes.c) ---------------------------------------------------------------- */

/* An empty index, owned by the scan (freed with it). */
int ice_scan__delete_index_new(ice_scan *scan, ice_scan_delete_index **out);
/* Add a live delete file with its sequence numbers, read from a manifest
 * of `spec`; the index takes `copy` (an ice_data_file_copy) also on failure. */
int ice_scan__delete_index_add(ice_scan_delete_index *idx, ice_data_file *copy, int64_t data_sequence_number,
                               int64_t file_sequence_number, const ice_partition_spec *spec);
/* Finish adding (sorts what needs sorting); afterwards the index is read-only. */
int ice_scan__delete_index_seal(ice_scan_delete_index *idx);
size_t ice_scan__delete_index_size(const ice_scan_delete_index *idx);
/*
 * The delete files that apply to a data file (spec "Scan Planning" scope
 * rules), appended to *out (grown with ice__reallocarray). Thread-safe on a
 * sealed index; counts each delete file's first use in the scan's stats.
 */
int ice_scan__delete_index_match(const ice_scan_delete_index *idx, ice_scan *scan, const ice_data_file *file,
                                 int64_t data_sequence_number, ice_scan_delete **out, size_t *n, size_t *cap);
/* Free a scan's list of indexes. */
void ice_scan__delete_indexes_free(ice_scan_delete_index *head);

/* ---- the ordered worker pool (pool.c) -------------------------------------------------- */

/*
 * Runs work(i) for i in [0, n) on `threads` threads, at most `window`
 * items ahead of the consumer, and hands results out in order: take(i)
 * waits for item i. An item's failure is kept (code and message) and
 * raised again by take() on the consumer's thread.
 */
typedef struct ice_scan_pool ice_scan_pool;
typedef int (*ice_scan_work_fn)(void *ctx, size_t i, void **result);
typedef void (*ice_scan_free_fn)(void *result);

int ice_scan__pool_start(ice_scan_pool **out, size_t n, size_t threads, size_t window, ice_scan_work_fn work,
                         ice_scan_free_fn free_result, void *ctx);
/* The result of item i (items must be taken in order); ownership passes to the caller. */
int ice_scan__pool_take(ice_scan_pool *p, size_t i, void **result);
/* Stop the workers, wait for them, free results not taken. */
void ice_scan__pool_free(ice_scan_pool *p);

#endif
