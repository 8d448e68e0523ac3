/*
 * ice/partition_spec.h - partition specs (spec "Partitioning", Appendix C
 * "Partition Specs") and sort orders (spec "Sorting", Appendix C "Sort
 * Orders").
 *
 * Both are plain read-only structs owned by the metadata they belong to, or
 * by the caller when made with *_from_json (free with *_free).
 */
#ifndef ICE_PARTITION_SPEC_H
#define ICE_PARTITION_SPEC_H

#include "common.h"
#include "json.h"
#include "schema.h"
#include "transform.h"

ICE_BEGIN_DECL

/* Partition field ids start here (v1 assigned them sequentially from here). */
#define ICE_PARTITION_DATA_ID_START 1000
/* field_id of a partition field whose id has not been assigned yet. */
#define ICE_UNASSIGNED_FIELD_ID (-1)

typedef struct ice_partition_field {
	int32_t field_id;
	const char *name;
	ice_transform transform;
	int32_t source_id;          /* == source_ids[0] */
	size_t n_source_ids;        /* > 1 only for v3 multi-argument transforms */
	const int32_t *source_ids;
} ice_partition_field;

typedef struct ice_partition_spec {
	int32_t spec_id;
	size_t nfields;
	const ice_partition_field *fields;
} ice_partition_spec;

/*
 * Parse a spec object {"spec-id": N, "fields": [...]}. Field ids may be
 * missing (REST add-spec); they are then ICE_UNASSIGNED_FIELD_ID.
 */
ICE_EXTERN int ice_partition_spec_from_json(ice_partition_spec **out, const char *json, size_t len,
                                            const char *source);
ICE_EXTERN int ice_partition_spec_write_json(const ice_partition_spec *spec, ice_json_writer *w);
ICE_EXTERN void ice_partition_spec_free(ice_partition_spec *spec);

ICE_EXTERN bool ice_partition_spec_is_unpartitioned(const ice_partition_spec *spec);
/*
 * Same fields in the same order: source ids, transform and name (the spec's
 * "equivalent"); with `compare_ids`, partition field ids too.
 */
ICE_EXTERN bool ice_partition_spec_equivalent(const ice_partition_spec *a, const ice_partition_spec *b,
                                              bool compare_ids);
/* Highest partition field id, or ICE_PARTITION_DATA_ID_START - 1 if none. */
ICE_EXTERN int32_t ice_partition_spec_last_field_id(const ice_partition_spec *spec);

/*
 * Check a spec against a schema: every source column exists, is primitive
 * and outside lists and maps, and the transform accepts its type (unknown
 * transforms are accepted); names are unique and non-empty; and a name that
 * equals a schema column is allowed only for an identity (or void) transform
 * of that column.
 */
ICE_EXTERN int ice_partition_spec_validate(const ice_partition_spec *spec, const ice_schema *schema);

/*
 * The type of a partition field's values for a schema (the transform's
 * result type for its source column's type), or NULL when the source column
 * is absent from the schema or the transform is unknown.
 */
ICE_EXTERN const ice_type *ice_partition_field_result_type(const ice_partition_field *field,
                                                           const ice_schema *schema);

/* ---- sort orders ---------------------------------------------------------- */

typedef enum ice_sort_direction { ICE_SORT_ASC, ICE_SORT_DESC } ice_sort_direction;
typedef enum ice_null_order { ICE_NULLS_FIRST, ICE_NULLS_LAST } ice_null_order;

typedef struct ice_sort_field {
	ice_transform transform;
	int32_t source_id;
	size_t n_source_ids;
	const int32_t *source_ids;
	ice_sort_direction direction;
	ice_null_order null_order;
} ice_sort_field;

typedef struct ice_sort_order {
	int32_t order_id; /* 0 is reserved for the unsorted order */
	size_t nfields;
	const ice_sort_field *fields;
} ice_sort_order;

ICE_EXTERN int ice_sort_order_from_json(ice_sort_order **out, const char *json, size_t len, const char *source);
ICE_EXTERN int ice_sort_order_write_json(const ice_sort_order *order, ice_json_writer *w);
ICE_EXTERN void ice_sort_order_free(ice_sort_order *order);
/* Same fields (ids ignored). */
ICE_EXTERN bool ice_sort_order_same_fields(const ice_sort_order *a, const ice_sort_order *b);
/* Sources exist and are primitive; transforms accept their types. */
ICE_EXTERN int ice_sort_order_validate(const ice_sort_order *order, const ice_schema *schema);

ICE_END_DECL

#endif
