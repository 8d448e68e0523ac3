/*
 * table/manifest_merge.h - merging manifests (manifest_merge.c): the
 * merging append's hook in the snapshot producers, and rewrite-manifests.
 */
#ifndef ICE_TABLE_MANIFEST_MERGE_H
#define ICE_TABLE_MANIFEST_MERGE_H

#include "ice/manifest.h"
#include "ice/table.h"

typedef struct ice_merge_config {
	bool enabled;        /* commit.manifest-merge.enabled */
	int64_t min_count;   /* commit.manifest.min-count-to-merge */
	int64_t target_size; /* commit.manifest.target-size-bytes */
} ice_merge_config;

/* The table's merge settings (defaults: true, 100, 8 MiB). */
void ice_manifest_merge__config(const ice_table_metadata *md, ice_merge_config *out);

typedef struct ice_merge_stats {
	int64_t created;  /* merged manifests written */
	int64_t replaced; /* manifests merged into them */
	int64_t kept;     /* manifests listed as they were */
} ice_merge_stats;

/* Where merged manifests go and whose they are. */
typedef struct ice_merge_target {
	ice_commit_ctx *ctx;              /* merged files are tracked here */
	const ice_table_metadata *base;
	const ice_io *io;
	int64_t snapshot_id;              /* the snapshot being committed */
	const char *uuid;                 /* names: <uuid>-m<counter>.avro */
	int *counter;
	ice_merge_stats *stats;           /* added to */
} ice_merge_target;

/* The manifest list to write: borrowed inputs and owned merged ones. */
typedef struct ice_merged_list {
	const ice_manifest_file **items;
	size_t n;
	ice_manifest_file **owned;
	size_t nowned;
} ice_merged_list;

/*
 * Merge `manifests` (the snapshot's new manifests first, newest first,
 * then the parent's) per `cfg`; with `force` (rewrite-manifests) every bin
 * of two or more manifests is merged, delete manifests too. Inputs must
 * outlive *out. Free *out with ice_merged_list__free.
 */
int ice_manifest_merge__run(ice_merged_list *out, const ice_merge_target *target, const ice_merge_config *cfg,
                            bool force, const ice_manifest_file *const *manifests, size_t n);
void ice_merged_list__free(ice_merged_list *list);

#endif
