/*
 * maintain/compact_plan.h - what the two compactions share (compact.c,
 * compact_deletes.c): size rules as Spark's planners apply them, a plan of
 * candidate files grouped by partition and bin-packed, the delete files
 * counted by the data files they apply to, results of rewritten groups, and
 * the replace commit's helpers.
 */
#ifndef ICE_MAINTAIN_COMPACT_PLAN_H
#define ICE_MAINTAIN_COMPACT_PLAN_H

#include "ice/compact.h"
#include "ice/scan.h"
#include "table/row_commit.h"
#include "util/arena.h"
#include "util/hashmap.h"

/* Spark's size thresholds, resolved. */
typedef struct cp_sizes {
	int64_t target, min, max, max_group;
	int64_t min_input_files;
	int64_t delete_file_threshold;
	double delete_ratio;
} cp_sizes;

/* A delete file and the planned data files it applies to. */
typedef struct cp_delete {
	ice_data_file *file;
	int64_t data_sequence_number;
	int64_t users;          /* data files of the plan it applies to */
	int64_t rewritten;      /* of those, removed by committed snapshots */
	int64_t rewritten_now;  /* ... by the commit being made */
	bool pending;           /* removed by the commit being made */
	bool removed;           /* removed by a committed snapshot */
} cp_delete;

/* A candidate file: a data file's task (compact.c), or a position delete
 * file (compact_deletes.c: task NULL, `del` its index). */
typedef struct cp_cand {
	ice_scan_task *task;
	size_t del;
	size_t *dels;           /* indexes into plan.dels of its deletes */
	size_t ndels;
	int64_t bytes;
	bool forced;            /* makes its group worth rewriting */
} cp_cand;

/* Candidates of one partition (or of every other spec). */
typedef struct cp_bucket {
	bool other_specs;
	int32_t spec_id;
	size_t sample;          /* a candidate, for the partition's values */
	size_t *items;
	size_t n;
	int64_t bytes;
} cp_bucket;

typedef struct cp_group {
	size_t bucket;
	size_t *items;          /* candidates */
	size_t n;
	int64_t bytes;
	int64_t expected;       /* output files Spark would expect */
	int64_t split;          /* where output files roll */
} cp_group;

typedef struct cp_plan {
	const ice_io *io;
	ice_table_metadata *md; /* a private copy: commits replace the table's */
	ice_scan *scan;
	bool has_start;
	int64_t start_id, start_seq;
	cp_cand *cands;
	size_t ncands;
	cp_delete *dels;
	size_t ndels;
	ice_map del_index;      /* key -> index + 1 */
	cp_bucket *buckets;
	size_t nbuckets;
	ice_map bucket_index;
	cp_group *groups;
	size_t ngroups;
	ice_arena arena;
} cp_plan;

/* What rewriting one group gave. */
typedef struct cp_result {
	int rc;
	char *error;
	bool stopped;           /* not run: another group failed first */
	ice_data_file **files;  /* new data or delete files */
	size_t nfiles;
	int64_t bytes, rows;
} cp_result;

int64_t ice_compact__now_ms(void);
int ice_compact__sizes(cp_sizes *s, const ice_table_metadata *md, const ice_compact_options *o, const char *property,
                       int64_t dflt);
int64_t ice_compact__expected_files(const cp_sizes *s, int64_t input);
int64_t ice_compact__split_size(const cp_sizes *s, int64_t input);

void ice_compact__plan_init(cp_plan *p);
void ice_compact__plan_free(cp_plan *p);
/* The table's metadata copied, the starting snapshot noted. */
int ice_compact__start(cp_plan *p, ice_table *table);
int ice_compact__copy_metadata(ice_table_metadata **out, const ice_table_metadata *md);
/* Count a use of delete file `d`; its index in p->dels. */
int ice_compact__use_delete(cp_plan *p, const ice_scan_delete *d, size_t *index_out);
/* The bucket of a candidate about to be added (files of specs other than
 * the current one share one with merge_other_specs). */
int ice_compact__bucket(cp_plan *p, const ice_data_file *f, bool merge_other_specs, size_t *out);
const ice_data_file *ice_compact__cand_file(const cp_plan *p, const cp_cand *c);
int ice_compact__push_index(size_t **items, size_t *n, size_t v);
int ice_compact__add_candidate(cp_plan *p, const ice_scan_task *t, const size_t *dels, size_t ndels, bool forced);
/* Groups of every bucket, kept when worth rewriting. */
int ice_compact__pack(cp_plan *p, const cp_sizes *s, bool rewrite_all);
int ice_compact__report_groups(const cp_plan *p, ice_compact_report *r);

void ice_compact__result_free(cp_result *r);
void ice_compact__result_fail(cp_result *r, int rc);

/* A replace change started at the plan's snapshot. */
int ice_compact__new_change(ice_row_change **out, ice_table *table, const cp_plan *p);
int ice_compact__remove_dangling(cp_plan *p, ice_row_change *change, ice_compact_report *r);
void ice_compact__settle(cp_plan *p, bool ok, ice_compact_report *r);

#endif
