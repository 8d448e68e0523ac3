/*
 * ice/metadata_builder.h - the one way table metadata changes.
 *
 * A builder starts from base metadata (or from nothing, to create a table),
 * applies table updates - the REST catalog's TableUpdate set - one by one,
 * validating each as the spec and the reference implementation do, and
 * builds new immutable metadata. It records the effective updates (no-ops
 * are dropped, "-1 = last added" ids resolved), which is what a catalog
 * commits. Requirements (TableRequirement) are checked against the metadata
 * a commit is about to replace.
 *
 * Every catalog commits through this mechanism.
 */
#ifndef ICE_METADATA_BUILDER_H
#define ICE_METADATA_BUILDER_H

#include "common.h"
#include "json.h"
#include "partition_spec.h"
#include "schema.h"
#include "snapshot.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

typedef struct ice_metadata_builder ice_metadata_builder;

/* "-1" in set-current-schema / set-default-spec / set-default-sort-order. */
#define ICE_LAST_ADDED (-1)

/*
 * Start from `base` (borrowed; it must outlive the builder) or from NULL to
 * create a new table. A new table starts at format version 2 unless
 * upgrade-format-version says otherwise, with the unsorted order and the
 * unpartitioned spec available.
 */
ICE_EXTERN int ice_metadata_builder_new(ice_metadata_builder **out, const ice_table_metadata *base);
ICE_EXTERN void ice_metadata_builder_free(ice_metadata_builder *b);
/*
 * Start a new table of `format_version` (1 to ICE_FORMAT_VERSION_MAX),
 * which ice_metadata_builder_new(NULL) cannot do for v1: records
 * upgrade-format-version with that version, as a REST create does.
 */
ICE_EXTERN int ice_metadata_builder_new_table(ice_metadata_builder **out, int format_version);

/* The clock used for last-updated-ms and log entries (default: real time). */
ICE_EXTERN void ice_metadata_builder_set_now(ice_metadata_builder *b, int64_t now_ms);
/*
 * The location of the file `base` was read from: build() adds it to the
 * metadata log (trimmed to write.metadata.previous-versions-max, default 100).
 */
ICE_EXTERN int ice_metadata_builder_set_previous_location(ice_metadata_builder *b, const char *location);

/* ---- typed updates (each returns 0 or an error; a failed update changes
 *      nothing and the builder stays usable) ---------------------------- */

ICE_EXTERN int ice_metadata_builder_assign_uuid(ice_metadata_builder *b, const char *uuid);
ICE_EXTERN int ice_metadata_builder_upgrade_format_version(ice_metadata_builder *b, int format_version);
/* Adds a schema (its id is reassigned; an existing equal schema is reused).
 * *schema_id_out (may be NULL) receives the id used. */
ICE_EXTERN int ice_metadata_builder_add_schema(ice_metadata_builder *b, const ice_schema *schema,
                                               int32_t *schema_id_out);
ICE_EXTERN int ice_metadata_builder_set_current_schema(ice_metadata_builder *b, int32_t schema_id);
/* Adds a spec (id reassigned; unassigned field ids get fresh ones, reusing
 * ids of equivalent fields in earlier specs; an equivalent spec is reused). */
ICE_EXTERN int ice_metadata_builder_add_spec(ice_metadata_builder *b, const ice_partition_spec *spec,
                                             int32_t *spec_id_out);
ICE_EXTERN int ice_metadata_builder_set_default_spec(ice_metadata_builder *b, int32_t spec_id);
ICE_EXTERN int ice_metadata_builder_add_sort_order(ice_metadata_builder *b, const ice_sort_order *order,
                                                   int32_t *order_id_out);
ICE_EXTERN int ice_metadata_builder_set_default_sort_order(ice_metadata_builder *b, int32_t order_id);
ICE_EXTERN int ice_metadata_builder_add_snapshot(ice_metadata_builder *b, const ice_snapshot *snapshot);
/* Creates or moves a ref; `ref->name` is ignored in favour of `name`. */
ICE_EXTERN int ice_metadata_builder_set_ref(ice_metadata_builder *b, const char *name, const ice_ref *ref);
ICE_EXTERN int ice_metadata_builder_remove_snapshots(ice_metadata_builder *b, const int64_t *ids, size_t n);
ICE_EXTERN int ice_metadata_builder_remove_ref(ice_metadata_builder *b, const char *name);
ICE_EXTERN int ice_metadata_builder_set_location(ice_metadata_builder *b, const char *location);
ICE_EXTERN int ice_metadata_builder_set_properties(ice_metadata_builder *b, const ice_properties *updates);
ICE_EXTERN int ice_metadata_builder_remove_properties(ice_metadata_builder *b, const char *const *keys,
                                                      size_t n);
ICE_EXTERN int ice_metadata_builder_set_statistics(ice_metadata_builder *b, const ice_statistics_file *stats);
ICE_EXTERN int ice_metadata_builder_remove_statistics(ice_metadata_builder *b, int64_t snapshot_id);
ICE_EXTERN int ice_metadata_builder_set_partition_statistics(ice_metadata_builder *b,
                                                             const ice_partition_statistics_file *stats);
ICE_EXTERN int ice_metadata_builder_remove_partition_statistics(ice_metadata_builder *b, int64_t snapshot_id);
ICE_EXTERN int ice_metadata_builder_remove_specs(ice_metadata_builder *b, const int32_t *ids, size_t n);
ICE_EXTERN int ice_metadata_builder_remove_schemas(ice_metadata_builder *b, const int32_t *ids, size_t n);
ICE_EXTERN int ice_metadata_builder_add_encryption_key(ice_metadata_builder *b, const ice_encryption_key *key);
ICE_EXTERN int ice_metadata_builder_remove_encryption_key(ice_metadata_builder *b, const char *key_id);

/*
 * Validate the whole result and produce new metadata (owned by the caller).
 * The builder may be freed afterwards; the result does not depend on it.
 */
ICE_EXTERN int ice_metadata_builder_build(ice_table_metadata **out, ice_metadata_builder *b);

/* The effective updates so far, as a JSON array of REST TableUpdate objects. */
ICE_EXTERN int ice_metadata_builder_write_changes(const ice_metadata_builder *b, ice_json_writer *w);
ICE_EXTERN size_t ice_metadata_builder_change_count(const ice_metadata_builder *b);

/* ---- updates and requirements as data (REST CommitTableRequest) -------- */

typedef struct ice_table_updates ice_table_updates;
typedef struct ice_table_requirements ice_table_requirements;

/* Parse a JSON array of TableUpdate objects. */
ICE_EXTERN int ice_table_updates_from_json(ice_table_updates **out, const char *json, size_t len,
                                           const char *source);
ICE_EXTERN void ice_table_updates_free(ice_table_updates *updates);
ICE_EXTERN size_t ice_table_updates_count(const ice_table_updates *updates);
/* The "action" of update i, e.g. "add-snapshot". */
ICE_EXTERN const char *ice_table_updates_action(const ice_table_updates *updates, size_t i);
/* Apply every update in order; stops at the first failure (whose message
 * names the update's index and action). */
ICE_EXTERN int ice_metadata_builder_apply(ice_metadata_builder *b, const ice_table_updates *updates);

/* Parse a JSON array of TableRequirement objects. */
ICE_EXTERN int ice_table_requirements_from_json(ice_table_requirements **out, const char *json, size_t len,
                                                const char *source);
ICE_EXTERN void ice_table_requirements_free(ice_table_requirements *reqs);
/*
 * Check every requirement against `current` (NULL when the table does not
 * exist). ICE_ECONFLICT with a message naming the failed requirement.
 */
ICE_EXTERN int ice_table_requirements_check(const ice_table_requirements *reqs,
                                            const ice_table_metadata *current);

ICE_END_DECL

#endif
