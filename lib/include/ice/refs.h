/*
 * ice/refs.h - branches, tags and rollback (spec "Snapshot References",
 * "Snapshot Retention Policy"; the REST catalog's set-snapshot-ref and
 * remove-snapshot-ref updates).
 *
 * Each call is one commit through ice_table_commit (ice/table.h) with the
 * requirement assert-ref-snapshot-id on the ref it changes, holding the
 * ref as the handle saw it when the call was made: the ref must still be
 * absent (create) or point where it pointed (replace, drop, rollback).
 * When another writer moved it meanwhile the commit ends with
 * ICE_ECONFLICT rather than undoing their change; commits that leave the
 * ref alone (an append to another branch, a property change) are retried.
 */
#ifndef ICE_REFS_H
#define ICE_REFS_H

#include "common.h"
#include "snapshot.h"
#include "table.h"

ICE_BEGIN_DECL

typedef struct ice_ref_options {
	/* The snapshot the ref points to (default: the current snapshot). */
	bool has_snapshot_id;
	int64_t snapshot_id;
	/* Replace a ref of the same kind and name instead of failing with
	 * ICE_EEXISTS. */
	bool replace;
	/* Retention (spec "Snapshot Retention Policy"); the first two are for
	 * branches only. Values must be positive. */
	bool has_min_snapshots_to_keep;
	int32_t min_snapshots_to_keep;
	bool has_max_snapshot_age_ms;
	int64_t max_snapshot_age_ms;
	bool has_max_ref_age_ms;
	int64_t max_ref_age_ms;
} ice_ref_options;

ICE_EXTERN void ice_ref_options_init(ice_ref_options *opts);

/*
 * Create (or with opts->replace, replace) tag or branch `name`. Errors:
 * ICE_EEXISTS when a ref of that name exists (a tag and a branch never
 * share a name: replacing one with the other kind is ICE_EINVALID);
 * ICE_ENOTFOUND for an unknown snapshot; ICE_EINVALID for a table without
 * snapshots, branch retention on a tag, or values that are not positive.
 * `opts` and `result` may be NULL.
 */
ICE_EXTERN int ice_table_create_tag(ice_table *table, const char *name, const ice_ref_options *opts,
                                    ice_commit_result *result);
ICE_EXTERN int ice_table_create_branch(ice_table *table, const char *name, const ice_ref_options *opts,
                                       ice_commit_result *result);

/* Remove tag or branch `name` (of that kind: ICE_EINVALID otherwise;
 * ICE_ENOTFOUND if absent). The main branch cannot be removed. */
ICE_EXTERN int ice_table_drop_ref(ice_table *table, const char *name, ice_ref_type type, ice_commit_result *result);

/*
 * Make snapshot `snapshot_id` current again (the main branch points to
 * it). It must be an ancestor of the current snapshot, as the reference
 * implementation's rollbackTo requires (ICE_EINVALID otherwise, naming the
 * snapshot). Rolling back to the current snapshot changes nothing.
 */
ICE_EXTERN int ice_table_rollback_to(ice_table *table, int64_t snapshot_id, ice_commit_result *result);
/*
 * Roll back to the table's state at `timestamp_ms`: the last ancestor of
 * the current snapshot committed at or before that time (ICE_ENOTFOUND if
 * there is none).
 */
ICE_EXTERN int ice_table_rollback_to_time(ice_table *table, int64_t timestamp_ms, ice_commit_result *result);
/* Make any snapshot of the table current, ancestor or not. */
ICE_EXTERN int ice_table_set_current_snapshot(ice_table *table, int64_t snapshot_id, ice_commit_result *result);

ICE_END_DECL

#endif
