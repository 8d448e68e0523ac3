/*
 * ice/snapshot.h - snapshots, refs, logs, statistics files, encryption keys
 * and string maps, as held in table metadata (spec "Snapshots", "Snapshot
 * References", "Table Metadata Fields", "Table Statistics", "Partition
 * Statistics", "Encryption Keys").
 *
 * All are plain read-only structs owned by the table metadata.
 */
#ifndef ICE_SNAPSHOT_H
#define ICE_SNAPSHOT_H

#include "common.h"

ICE_BEGIN_DECL

/* An ordered string-to-string map (properties, snapshot summaries). */
typedef struct ice_property {
	const char *key;
	const char *value;
} ice_property;

typedef struct ice_properties {
	size_t n;
	const ice_property *items;
} ice_properties;

/* The value for `key`, or NULL. */
ICE_EXTERN const char *ice_properties_get(const ice_properties *props, const char *key);

typedef struct ice_snapshot {
	int64_t snapshot_id;
	bool has_parent;
	int64_t parent_snapshot_id;
	int64_t sequence_number;   /* 0 for v1 */
	int64_t timestamp_ms;
	const char *manifest_list; /* NULL for v1 snapshots that list manifests inline */
	size_t n_manifests;        /* v1 inline "manifests" */
	const char *const *manifests;
	ice_properties summary;    /* includes "operation" when the writer set it */
	const char *operation;     /* the summary's "operation", or NULL */
	bool has_schema_id;
	int32_t schema_id;
	bool has_first_row_id;     /* v3 */
	int64_t first_row_id;
	bool has_added_rows;       /* v3 */
	int64_t added_rows;
	const char *key_id;        /* v3 encryption key id, or NULL */
} ice_snapshot;

typedef enum ice_ref_type { ICE_REF_BRANCH, ICE_REF_TAG } ice_ref_type;

typedef struct ice_ref {
	const char *name;
	int64_t snapshot_id;
	ice_ref_type type;
	bool has_min_snapshots_to_keep;
	int32_t min_snapshots_to_keep;
	bool has_max_snapshot_age_ms;
	int64_t max_snapshot_age_ms;
	bool has_max_ref_age_ms;
	int64_t max_ref_age_ms;
} ice_ref;

typedef struct ice_snapshot_log_entry {
	int64_t timestamp_ms;
	int64_t snapshot_id;
} ice_snapshot_log_entry;

typedef struct ice_metadata_log_entry {
	int64_t timestamp_ms;
	const char *metadata_file;
} ice_metadata_log_entry;

typedef struct ice_blob_metadata {
	const char *type;
	int64_t snapshot_id;
	int64_t sequence_number;
	size_t n_fields;
	const int32_t *fields;
	ice_properties properties;
} ice_blob_metadata;

typedef struct ice_statistics_file {
	int64_t snapshot_id;
	const char *statistics_path;
	int64_t file_size_in_bytes;
	int64_t file_footer_size_in_bytes;
	const char *key_metadata; /* base64, or NULL */
	size_t n_blobs;
	const ice_blob_metadata *blobs;
} ice_statistics_file;

typedef struct ice_partition_statistics_file {
	int64_t snapshot_id;
	const char *statistics_path;
	int64_t file_size_in_bytes;
} ice_partition_statistics_file;

typedef struct ice_encryption_key {
	const char *key_id;
	const char *encrypted_key_metadata; /* base64 */
	const char *encrypted_by_id;        /* or NULL */
	ice_properties properties;
} ice_encryption_key;

ICE_END_DECL

#endif
