/*
 * ice/transform.h - partition and sort transforms (spec "Partition
 * Transforms", "Bucket Transform Details", "Truncate Transform Details",
 * Appendix B).
 */
#ifndef ICE_TRANSFORM_H
#define ICE_TRANSFORM_H

#include "common.h"
#include "literal.h"
#include "types.h"

ICE_BEGIN_DECL

typedef enum ice_transform_kind {
	ICE_TRANSFORM_IDENTITY,
	ICE_TRANSFORM_BUCKET,   /* param: number of buckets N */
	ICE_TRANSFORM_TRUNCATE, /* param: width W */
	ICE_TRANSFORM_YEAR,
	ICE_TRANSFORM_MONTH,
	ICE_TRANSFORM_DAY,
	ICE_TRANSFORM_HOUR,
	ICE_TRANSFORM_VOID,
	ICE_TRANSFORM_UNKNOWN, /* read and kept, ignored for filtering, never written with */
} ice_transform_kind;

typedef struct ice_transform {
	ice_transform_kind kind;
	int32_t param;
	const char *name; /* the text as written, for UNKNOWN (borrowed) */
} ice_transform;

/*
 * Parse "identity", "bucket[16]", "truncate[4]", "year", ..., "void".
 * Unknown names (and malformed parameters such as "bucket[0]") give kind
 * UNKNOWN with `name` pointing at `s`: readers must tolerate them.
 */
ICE_EXTERN void ice_transform_parse(ice_transform *out, const char *s);
/* The canonical text; returns the length written (snprintf-style). */
ICE_EXTERN size_t ice_transform_to_string(const ice_transform *t, char *out, size_t cap);
ICE_EXTERN bool ice_transform_equal(const ice_transform *a, const ice_transform *b);

/* Whether the transform accepts values of `source`. UNKNOWN accepts none. */
ICE_EXTERN bool ice_transform_can_apply(const ice_transform *t, const ice_type *source);
/*
 * The result type for a source type: int for bucket, year, month, hour;
 * date for day; the source type for identity, truncate and void. NULL when
 * the transform cannot apply (or is unknown).
 */
ICE_EXTERN const ice_type *ice_transform_result_type(const ice_transform *t, const ice_type *source);

/*
 * Apply to one value. Null in gives null out. A truncated string or binary
 * borrows the input's bytes. ICE_EINVALID when the transform cannot apply to
 * the value's type.
 */
ICE_EXTERN int ice_transform_apply(const ice_transform *t, const ice_literal *in, ice_literal *out);

/* The 32-bit hash of a value (Appendix B); ICE_EUNSUPPORTED for types the
 * spec does not hash. */
ICE_EXTERN int ice_literal_hash(const ice_literal *v, int32_t *hash_out);

/*
 * The human-readable text of a partition value produced by this transform
 * (as used in partition paths): years "2017", months "2017-11", days
 * "2017-11-16", hours "2017-11-16-22", identity values in readable form,
 * "null" for null. Allocated; free with ice_free().
 */
ICE_EXTERN char *ice_transform_human_string(const ice_transform *t, const ice_literal *value);

/* Whether transformed values keep the order of source values. */
ICE_EXTERN bool ice_transform_preserves_order(const ice_transform *t);
/* Whether data ordered by `t` is also ordered by `other` (e.g. day by month). */
ICE_EXTERN bool ice_transform_satisfies_order_of(const ice_transform *t, const ice_transform *other);

/* ---- projection hooks for predicates ----------------------------------- */

typedef enum ice_op {
	ICE_OP_TRUE,
	ICE_OP_FALSE,
	ICE_OP_IS_NULL,
	ICE_OP_NOT_NULL,
	ICE_OP_IS_NAN,
	ICE_OP_NOT_NAN,
	ICE_OP_LT,
	ICE_OP_LT_EQ,
	ICE_OP_GT,
	ICE_OP_GT_EQ,
	ICE_OP_EQ,
	ICE_OP_NOT_EQ,
	ICE_OP_STARTS_WITH,
	ICE_OP_NOT_STARTS_WITH,
	ICE_OP_IN,
	ICE_OP_NOT_IN,
} ice_op;

/*
 * Project a predicate `source <op> lit` on the source column to a predicate
 * on the partition value produced by `t` (the reference implementation's
 * Transform.project / projectStrict).
 *
 * Inclusive projection (strict == false): the result is true for every
 * partition that may hold a matching row. Strict projection (strict == true):
 * the result is true only for partitions whose rows all match.
 *
 * On return *op_out is the projected operation and lits_out[0..*nlits_out)
 * its literals: one for comparisons, two when a comparison became IN or
 * NOT_IN (date/time transforms widen pre-1970 values to also match the
 * off-by-one partition values written by Iceberg 0.10 and earlier), none for
 * unary operations. When nothing can be said, *op_out is ICE_OP_TRUE for
 * inclusive and ICE_OP_FALSE for strict projection. For `lit`, pass NULL with
 * unary operations. Payloads of the output literals borrow from `lit`.
 * IN and NOT IN are projected by the caller element by element (as EQ and
 * NOT_EQ).
 */
ICE_EXTERN int ice_transform_project(const ice_transform *t, ice_op op, const ice_literal *lit, bool strict,
                                     ice_op *op_out, ice_literal lits_out[2], size_t *nlits_out);

ICE_END_DECL

#endif
