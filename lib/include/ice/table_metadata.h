/*
 * ice/table_metadata.h - table metadata of format v1, v2 and v3 (spec
 * "Table Metadata", Appendix C "Table Metadata and Snapshots", Appendix E).
 *
 * Parsed metadata is immutable: every part of it (schemas, specs, snapshots,
 * strings) lives in one arena owned by the ice_table_metadata and is released
 * by ice_table_metadata_free(). Accessors return borrowed pointers valid as
 * long as the metadata.
 *
 * Changes are made with an ice_metadata_builder (ice/metadata_builder.h),
 * which yields new metadata plus the list of updates that produced it.
 */
#ifndef ICE_TABLE_METADATA_H
#define ICE_TABLE_METADATA_H

#include "common.h"
#include "json.h"
#include "partition_spec.h"
#include "schema.h"
#include "snapshot.h"

ICE_BEGIN_DECL

typedef struct ice_table_metadata ice_table_metadata;

/*
 * Parse a metadata document. `data` may be plain JSON or gzip/zstd
 * compressed (detected by magic bytes). `source` names the document in error
 * messages (usually its file name). Validation follows the spec and the
 * reference implementation: required fields per version, ids that must
 * resolve (current schema, default spec and sort order, current snapshot,
 * refs), and v1 quirks ("schema", "partition-spec", inline "manifests",
 * current-snapshot-id -1).
 *
 * Errors: ICE_EINVALID (message "<source>: <json path>: <what>"),
 * ICE_EUNSUPPORTED for format versions above ICE_FORMAT_VERSION_MAX.
 */
ICE_EXTERN int ice_table_metadata_parse(ice_table_metadata **out, const void *data, size_t len,
                                        const char *source);
ICE_EXTERN void ice_table_metadata_free(ice_table_metadata *md);

/*
 * Serialize as the library writes metadata files: canonical key order, the
 * spec's field names, v1 written with both the deprecated and the current
 * fields. json_flags: ICE_JSON_COMPACT or ICE_JSON_PRETTY.
 * ice_table_metadata_to_json allocates *out (free with ice_free()).
 */
ICE_EXTERN int ice_table_metadata_to_json(char **out, size_t *len_out, const ice_table_metadata *md,
                                          int json_flags);
ICE_EXTERN int ice_table_metadata_write_json(const ice_table_metadata *md, ice_json_writer *w);

/* The metadata as if upgraded to `format_version` (see the builder). */
ICE_EXTERN int ice_table_metadata_upgrade(ice_table_metadata **out, const ice_table_metadata *md,
                                          int format_version);

/* Deep equality of two documents (what a round trip must preserve). */
ICE_EXTERN bool ice_table_metadata_equal(const ice_table_metadata *a, const ice_table_metadata *b);

/* ---- fields ---------------------------------------------------------------- */

ICE_EXTERN int ice_table_metadata_format_version(const ice_table_metadata *md);
/* The table UUID in canonical form, or NULL (v1 tables may lack one). */
ICE_EXTERN const char *ice_table_metadata_uuid(const ice_table_metadata *md);
ICE_EXTERN const char *ice_table_metadata_location(const ice_table_metadata *md);
ICE_EXTERN int64_t ice_table_metadata_last_sequence_number(const ice_table_metadata *md);
ICE_EXTERN int64_t ice_table_metadata_last_updated_ms(const ice_table_metadata *md);
ICE_EXTERN int32_t ice_table_metadata_last_column_id(const ice_table_metadata *md);
ICE_EXTERN int32_t ice_table_metadata_last_partition_id(const ice_table_metadata *md);
/* v3 next-row-id; false for v1/v2. */
ICE_EXTERN bool ice_table_metadata_next_row_id(const ice_table_metadata *md, int64_t *out);
ICE_EXTERN const ice_properties *ice_table_metadata_properties(const ice_table_metadata *md);
/* A property value, or `fallback` when unset. */
ICE_EXTERN const char *ice_table_metadata_property(const ice_table_metadata *md, const char *key,
                                                   const char *fallback);

ICE_EXTERN size_t ice_table_metadata_schema_count(const ice_table_metadata *md);
ICE_EXTERN const ice_schema *ice_table_metadata_schema_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN const ice_schema *ice_table_metadata_schema_by_id(const ice_table_metadata *md, int32_t id);
ICE_EXTERN const ice_schema *ice_table_metadata_current_schema(const ice_table_metadata *md);

ICE_EXTERN size_t ice_table_metadata_spec_count(const ice_table_metadata *md);
ICE_EXTERN const ice_partition_spec *ice_table_metadata_spec_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN const ice_partition_spec *ice_table_metadata_spec_by_id(const ice_table_metadata *md, int32_t id);
ICE_EXTERN const ice_partition_spec *ice_table_metadata_default_spec(const ice_table_metadata *md);

ICE_EXTERN size_t ice_table_metadata_sort_order_count(const ice_table_metadata *md);
ICE_EXTERN const ice_sort_order *ice_table_metadata_sort_order_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN const ice_sort_order *ice_table_metadata_sort_order_by_id(const ice_table_metadata *md, int32_t id);
ICE_EXTERN const ice_sort_order *ice_table_metadata_default_sort_order(const ice_table_metadata *md);

/* The current snapshot (main branch), or NULL for a table without one. */
ICE_EXTERN const ice_snapshot *ice_table_metadata_current_snapshot(const ice_table_metadata *md);
ICE_EXTERN size_t ice_table_metadata_snapshot_count(const ice_table_metadata *md);
ICE_EXTERN const ice_snapshot *ice_table_metadata_snapshot_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN const ice_snapshot *ice_table_metadata_snapshot_by_id(const ice_table_metadata *md, int64_t id);
/*
 * The snapshot that was current at `timestamp_ms` per the snapshot log (the
 * last entry at or before it): the spec's time-travel rule. NULL if none.
 */
ICE_EXTERN const ice_snapshot *ice_table_metadata_snapshot_as_of(const ice_table_metadata *md,
                                                                 int64_t timestamp_ms);
/* Whether `ancestor_id` is `snapshot_id` or one of its ancestors. */
ICE_EXTERN bool ice_table_metadata_is_ancestor(const ice_table_metadata *md, int64_t snapshot_id,
                                               int64_t ancestor_id);
/*
 * The newest of `from` and its ancestors whose summary has `key` (equal to
 * `value` unless `value` is NULL), or NULL. How a job reads back what it
 * stored in a snapshot summary (a watermark, an idempotency key) on one
 * branch's history. `from` NULL: NULL.
 */
ICE_EXTERN const ice_snapshot *ice_table_metadata_find_summary(const ice_table_metadata *md, const ice_snapshot *from,
                                                               const char *key, const char *value);
/* The schema a snapshot was written with (its schema-id), else the current. */
ICE_EXTERN const ice_schema *ice_table_metadata_snapshot_schema(const ice_table_metadata *md,
                                                                const ice_snapshot *snapshot);

/*
 * Which snapshot to read: at most one of a snapshot id, a time (the
 * snapshot current then, per the snapshot log) and a branch or tag name;
 * none: the current snapshot. What `ice scan` and every inspection command
 * take as --snapshot ID, --as-of TS and --ref NAME.
 */
typedef struct ice_snapshot_selector {
	bool has_snapshot_id;
	int64_t snapshot_id;
	bool has_as_of_ms;
	int64_t as_of_ms;
	const char *ref;
} ice_snapshot_selector;

/*
 * The snapshot `sel` (may be NULL) names and the schema to read it with:
 * the snapshot's own schema for an id, a time or a tag; the table's
 * current schema for a branch or the current snapshot (spec "Snapshot
 * References" and time travel, as Java's SnapshotUtil.schemaFor).
 * *snapshot_out is NULL for a table without snapshots when nothing is
 * selected. ICE_ENOTFOUND "no snapshot 42" / "no snapshot was current at
 * T ms (before the first one)" / "no branch or tag 'x'"; ICE_EINVALID
 * when more than one is selected. Both results are borrowed from `md`.
 */
ICE_EXTERN int ice_table_metadata_select_snapshot(const ice_snapshot **snapshot_out, const ice_schema **schema_out,
                                                  const ice_table_metadata *md, const ice_snapshot_selector *sel);

/* Refs in name order. The "main" branch is always present when the table has
 * a current snapshot (made from current-snapshot-id if "refs" lacks it). */
ICE_EXTERN size_t ice_table_metadata_ref_count(const ice_table_metadata *md);
ICE_EXTERN const ice_ref *ice_table_metadata_ref_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN const ice_ref *ice_table_metadata_ref(const ice_table_metadata *md, const char *name);

ICE_EXTERN size_t ice_table_metadata_snapshot_log_count(const ice_table_metadata *md);
ICE_EXTERN const ice_snapshot_log_entry *ice_table_metadata_snapshot_log_at(const ice_table_metadata *md,
                                                                            size_t i);
ICE_EXTERN size_t ice_table_metadata_metadata_log_count(const ice_table_metadata *md);
ICE_EXTERN const ice_metadata_log_entry *ice_table_metadata_metadata_log_at(const ice_table_metadata *md,
                                                                            size_t i);
ICE_EXTERN size_t ice_table_metadata_statistics_count(const ice_table_metadata *md);
ICE_EXTERN const ice_statistics_file *ice_table_metadata_statistics_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN size_t ice_table_metadata_partition_statistics_count(const ice_table_metadata *md);
ICE_EXTERN const ice_partition_statistics_file *
ice_table_metadata_partition_statistics_at(const ice_table_metadata *md, size_t i);
ICE_EXTERN size_t ice_table_metadata_encryption_key_count(const ice_table_metadata *md);
ICE_EXTERN const ice_encryption_key *ice_table_metadata_encryption_key_at(const ice_table_metadata *md,
                                                                          size_t i);

/* JSON of single parts, for tools that print them. */
ICE_EXTERN int ice_snapshot_write_json(const ice_snapshot *snapshot, ice_json_writer *w);
ICE_EXTERN int ice_ref_write_json(const ice_ref *ref, ice_json_writer *w);

ICE_END_DECL

#endif
