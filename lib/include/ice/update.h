/*
 * ice/update.h - evolving a table: schema, partition spec, sort order,
 * properties and format version, changed together in one commit (spec
 * "Schema Evolution", "Partition Evolution", "Sorting"; the REST catalog's
 * add-schema, set-current-schema, add-spec, set-default-spec,
 * add-sort-order, set-default-sort-order, set-properties,
 * remove-properties and upgrade-format-version updates).
 *
 *   ice_alter *a;
 *   ice_alter_new(&a);
 *   ice_alter_add_column(a, "tags list<string> comment 'labels'", ICE_COLUMN_AFTER, "name");
 *   ice_alter_rename_column(a, "ts", "event_ts");
 *   ice_alter_add_partition_field(a, "day(event_ts)");
 *   ice_alter_commit(a, table, NULL, NULL);
 *   ice_alter_free(a);
 *
 * An alter is a list of changes recorded by name. They are applied in the
 * order they were recorded, each seeing the result of the ones before
 * (rename a column, then widen it by its new name); the format version
 * changes first, then the schema, then the partition spec and the sort
 * order (resolved against the new schema), then properties. Recording
 * checks only the syntax (ICE_EINVALID for a malformed column definition
 * or type); everything else is checked when the changes are applied to the
 * table's current metadata, as the spec and the reference implementation
 * require:
 *
 *   - new columns get fresh ids above the table's last-column-id (nested
 *     fields after their parent); a required column needs a default
 *     (format v3) or ice_alter_allow_incompatible();
 *   - names are unique within their struct; list elements and map keys
 *     and values cannot be renamed, dropped or documented;
 *   - a column cannot be dropped while it is an identifier field or the
 *     source of a field of any partition spec or sort order of the table
 *     (readers bind every spec and order to the current schema);
 *   - types only widen: int to long, float to double, decimal precision,
 *     and in v3 unknown to anything and date to timestamp[_ns] (not when a
 *     partition field's transform would then produce other values);
 *   - identifier fields are required primitive columns, not float or
 *     double, outside lists, maps and optional structs;
 *   - partition fields added to a v2+ table reuse the id of the same
 *     transform of the same column in an earlier spec, else take the next
 *     id after last-partition-id; removed fields of a v1 table become void
 *     transforms so field ids stay sequential; a spec equivalent to an
 *     earlier one is reused.
 *
 * Errors from applying are ICE_EINVALID (ICE_ENOTFOUND for a column,
 * partition field or property that does not exist) with a one-line message
 * naming the change: "alter: drop column 'id': it is an identifier field".
 */
#ifndef ICE_UPDATE_H
#define ICE_UPDATE_H

#include "common.h"
#include "metadata_builder.h"
#include "table.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

typedef struct ice_alter ice_alter;

ICE_EXTERN int ice_alter_new(ice_alter **out);
ICE_EXTERN void ice_alter_free(ice_alter *alter);
/* The number of changes recorded. */
ICE_EXTERN size_t ice_alter_change_count(const ice_alter *alter);

/* Where a new or moved column goes within its struct. */
typedef enum ice_column_position {
	ICE_COLUMN_LAST,   /* at the end (the default for new columns) */
	ICE_COLUMN_FIRST,
	ICE_COLUMN_AFTER,  /* after the sibling named by `ref` */
	ICE_COLUMN_BEFORE, /* before the sibling named by `ref` */
} ice_column_position;

/* ---- schema changes (columns by full dotted name: "a", "s.b", "l.element.c"
 *      or "l.c" through a list of structs, "m.value.x" or "m.x") --------- */

/*
 * Add a column: "[parent.]name type [required] [comment 'text']
 * [default value]" in the schema language of ice/table_dsl.h (types may be
 * nested: "point struct<x: double, y: double>"). A parent that is a list or
 * a map means its element or value struct. The default (v3) becomes the
 * column's initial-default and write-default. `ref` names a sibling for
 * ICE_COLUMN_AFTER/BEFORE (NULL otherwise).
 */
ICE_EXTERN int ice_alter_add_column(ice_alter *alter, const char *definition, ice_column_position position,
                                    const char *ref);
/* Rename a column; `new_name` is the new last name (no parent). */
ICE_EXTERN int ice_alter_rename_column(ice_alter *alter, const char *column, const char *new_name);
ICE_EXTERN int ice_alter_drop_column(ice_alter *alter, const char *column);
/* Move a column within its struct (ICE_COLUMN_LAST is not a move). */
ICE_EXTERN int ice_alter_move_column(ice_alter *alter, const char *column, ice_column_position position,
                                     const char *ref);
/* Widen a primitive column to `type` ("long", "double", "decimal(12, 2)"). */
ICE_EXTERN int ice_alter_widen_column(ice_alter *alter, const char *column, const char *type);
ICE_EXTERN int ice_alter_make_optional(ice_alter *alter, const char *column);
/* Optional to required: only with ice_alter_allow_incompatible(). */
ICE_EXTERN int ice_alter_make_required(ice_alter *alter, const char *column);
/* Set a column's doc; NULL removes it. */
ICE_EXTERN int ice_alter_set_doc(ice_alter *alter, const char *column, const char *doc);
/*
 * Set a column's write-default (format v3): `value` as typed on the command
 * line (42, 1.5, true, 2024-01-31, text); NULL removes the write-default.
 */
ICE_EXTERN int ice_alter_set_default(ice_alter *alter, const char *column, const char *value);
/* Replace the identifier fields with these columns (none: clear them). */
ICE_EXTERN int ice_alter_set_identifier_fields(ice_alter *alter, const char *const *columns, size_t n);
/* Allow changes that can break readers or writers of existing data:
 * adding a required column without a default, making a column required. */
ICE_EXTERN void ice_alter_allow_incompatible(ice_alter *alter, bool allow);

/* ---- partition spec changes (on the default spec) ---------------------- */

/*
 * Add partition fields: "bucket(8, id)", "day(ts) as day", "name" (identity);
 * several separated by commas. An unnamed field that an earlier spec had
 * comes back with its id and name; other unnamed fields are named as the
 * reference implementation names fields added by evolution: the column for
 * identity, else <column>_bucket_<N>, _trunc_<W>, _year, _month, _day,
 * _hour, _null.
 */
ICE_EXTERN int ice_alter_add_partition_field(ice_alter *alter, const char *expression);
/* Remove a partition field, by name or by its transform ("bucket(8, id)"). */
ICE_EXTERN int ice_alter_remove_partition_field(ice_alter *alter, const char *name);
ICE_EXTERN int ice_alter_rename_partition_field(ice_alter *alter, const char *name, const char *new_name);

/* ---- sort order, properties, format ----------------------------------- */

/* Replace the default sort order ("ts desc nulls last, id"; "" unsorted). */
ICE_EXTERN int ice_alter_set_sort_order(ice_alter *alter, const char *order);
ICE_EXTERN int ice_alter_set_property(ice_alter *alter, const char *key, const char *value);
ICE_EXTERN int ice_alter_remove_property(ice_alter *alter, const char *key);
ICE_EXTERN int ice_alter_upgrade_format_version(ice_alter *alter, int format_version);

/* ---- applying ---------------------------------------------------------- */

/*
 * Apply the changes to `base` through `builder` (started from `base`),
 * recording the requirements the REST catalog defines for each update on
 * `ctx` when it is not NULL: assert-table-uuid always;
 * assert-last-assigned-field-id and assert-current-schema-id for a new
 * schema; assert-last-assigned-partition-id and assert-default-spec-id
 * for a new spec; assert-default-sort-order-id for a new sort order.
 * Changes that change nothing (renaming a column to its name) record no
 * update.
 */
ICE_EXTERN int ice_alter_apply(const ice_alter *alter, const ice_table_metadata *base, ice_metadata_builder *builder,
                               ice_commit_ctx *ctx);

/*
 * Commit the changes to `table` (ice_table_commit). When another writer
 * committed first, the changes are applied again to the new metadata; if
 * they no longer apply (the column was renamed or dropped meanwhile, a
 * column of the same name was added) the commit ends with ICE_ECONFLICT
 * and a message saying what no longer holds. Other codes as for
 * ice_table_commit; an alter with no effect commits nothing and returns 0
 * (result->attempts is then 0).
 */
ICE_EXTERN int ice_alter_commit(ice_alter *alter, ice_table *table, const ice_commit_options *opts,
                                ice_commit_result *result);

ICE_END_DECL

#endif
