/*
 * expr/internal.h - the expression tree shared by the files of lib/expr:
 * nodes, literal copies, negation, value comparison across promoted types,
 * and the cross-file helpers the scan layer uses (residuals without copies,
 * metrics evaluation with a stats provider).
 *
 * Semantics are those of the Iceberg expressions spec ("Tests",
 * "Comparisons", "Boolean logic"): two-valued logic; `x = c` and the order
 * comparisons are false for a null or NaN x; `!=`, `not in` and
 * `not starts with` are the negations of `=`, `in` and `starts with`, so
 * they are true for null and NaN; `not nan` is true for null.
 */
#ifndef ICE_EXPR_INTERNAL_H
#define ICE_EXPR_INTERNAL_H

#include "ice/expr.h"
#include "ice/manifest.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"

struct ice_expr {
	ice_expr_kind kind;
	bool bound;           /* predicates: bound to a field id; others: every child is */
	ice_expr *child[2];   /* AND / OR: two; NOT: child[0] */
	/* predicates */
	ice_op op;
	char *column;         /* as written, or the bound field's full name */
	int32_t field_id;     /* bound only */
	ice_type type;        /* bound only: the field's (primitive) type, nested pointers cleared */
	bool never_null;      /* bound only: the field and every struct around it are required */
	size_t nlits;
	ice_literal *lits;    /* bound IN / NOT IN: sorted, distinct */
	ice_arena arena;      /* column, literals and their payloads */
};

/* ---- nodes (expr.c) ------------------------------------------------------ */

ice_expr *ice_expr__new(ice_expr_kind kind);
/* A predicate node with a copy of `column` and of each literal. */
int ice_expr__pred(ice_expr **out, const char *column, ice_op op, const ice_literal *lits, size_t nlits);
/* A bound predicate on field `id` of `type` named `name`. */
int ice_expr__bound_pred(ice_expr **out, int32_t id, const char *name, const ice_type *type, ice_op op,
                         const ice_literal *lits, size_t nlits);
/* AND / OR with constant folding (consumes both; NULL children mean failure upstream). */
int ice_expr__and(ice_expr **out, ice_expr *l, ice_expr *r);
int ice_expr__or(ice_expr **out, ice_expr *l, ice_expr *r);
int ice_expr__const(ice_expr **out, bool value);
/* Copy a literal (payloads into `arena`). */
int ice_expr__copy_literal(ice_literal *out, const ice_literal *in, ice_arena *arena);
/* Sort and de-duplicate an IN list in place; returns the new count. */
size_t ice_expr__sort_literals(ice_literal *lits, size_t n);

/*
 * The negation of a bound expression (NOT pushed down to the predicates),
 * exact under the two-valued semantics: not(x < c) is
 * `x >= c or x is null` (`or x is nan` for floating point).
 */
int ice_expr__negate(ice_expr **out, const ice_expr *bound);
int ice_expr__without_not_copy(ice_expr **out, const ice_expr *e);
/* A bound expression without NOT nodes: `e` itself when it has none
 * (*owned NULL), else a rewritten copy in *owned. */
int ice_expr__without_not(const ice_expr **out, ice_expr **owned, const ice_expr *e);

/* Whether the op takes literals (comparisons, in, starts with). */
bool ice_expr__op_has_literal(ice_op op);
const char *ice_expr__op_name(ice_op op);

/* ---- values -------------------------------------------------------------- */

static inline bool ice_expr__is_float(ice_type_id t)
{
	return t == ICE_TYPE_FLOAT || t == ICE_TYPE_DOUBLE;
}

/* Whether a non-null value is NaN. */
bool ice_expr__is_nan(const ice_literal *v);

/*
 * Compare a value with a literal of the same column (types may differ by a
 * promotion: int/long, float/double, date/timestamp, micros/nanos,
 * decimal scales). Floating point uses the IEEE order (-0 == 0); callers
 * rule out NaN first. False when the two cannot be compared.
 */
bool ice_expr__cmp(const ice_literal *value, const ice_literal *lit, int *out);

/* Whether non-null `value` starts with the bytes of `prefix`. */
bool ice_expr__starts_with(const ice_literal *value, const ice_literal *prefix);

/* A predicate applied to one value, exactly (null and NaN per the spec). */
bool ice_expr__test(const ice_expr *pred, const ice_literal *value);

/* ---- evaluation helpers used by the scan layer --------------------------- */

/* A test of `op` with literals `lits` on one value (ice_expr__test without a node). */
bool ice_expr__test_op(ice_op op, const ice_literal *lits, size_t nlits, const ice_literal *value);

/*
 * The residual of `bound` for the rows of one partition of `spec` (values in
 * spec order), computed without allocating unless the partition decides part
 * of the expression: *out is NULL when every row of the partition matches,
 * `bound` itself (*owned NULL) when the partition decides nothing, or a new
 * expression (also in *owned, for the caller to free). *none is set when no
 * row of the partition can match (then *out is NULL too).
 */
int ice_expr__residual_for(const ice_expr **out, ice_expr **owned, bool *none, const ice_expr *bound,
                           const ice_partition_spec *spec, const ice_literal *partition, size_t n_partition);

#endif
