/*
 * ice/rewrite_manifests.h - rewriting a table's manifests into few, full
 * ones (the reference implementation's RewriteManifests): the current
 * snapshot's data and delete manifests, grouped by partition spec, packed
 * into manifests of up to commit.manifest.target-size-bytes (8 MiB). Every
 * live file stays with its snapshot id, sequence numbers and (v3) first
 * row id; no data file is read or written. The result is one snapshot with
 * operation "replace" whose summary has manifests-created, manifests-kept,
 * manifests-replaced and entries-processed and the parent's totals.
 */
#ifndef ICE_REWRITE_MANIFESTS_H
#define ICE_REWRITE_MANIFESTS_H

#include "common.h"
#include "table.h"

ICE_BEGIN_DECL

typedef struct ice_rewrite_manifests_report {
	bool committed;            /* false: nothing to merge (a table without snapshots, or already packed) */
	int64_t snapshot_id;
	int64_t manifests_before;
	int64_t manifests_after;
	int64_t manifests_created;
	int64_t manifests_replaced;
} ice_rewrite_manifests_report;

/*
 * Rewrite the manifests of the current snapshot (main). When another
 * writer commits first, the rewrite is redone on the new snapshot. Codes
 * as for ice_table_commit; `commit_opts`, `report` and `result` may be NULL.
 */
ICE_EXTERN int ice_table_rewrite_manifests(ice_table *table, const ice_commit_options *commit_opts,
                                           ice_rewrite_manifests_report *report, ice_commit_result *result);

ICE_END_DECL

#endif
