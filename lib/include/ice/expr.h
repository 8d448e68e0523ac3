/*
 * ice/expr.h - row filters: predicates over a table's columns, bound to a
 * schema, projected through partition transforms, and evaluated at every
 * level a scan prunes at (spec "Scan Planning").
 *
 * An expression is an immutable tree. Unbound expressions name columns
 * ("a", "b.c") and hold literals as written; binding resolves the names
 * against a struct type (a schema), converts the literals to the column's
 * type and simplifies (e.g. `x < 5 and false` -> false; comparisons whose
 * literal lies outside the column type's range fold to true or false).
 *
 * Every evaluator answers the same question at a different level:
 *   - manifest list entry: partition field summaries (before the manifest
 *     is opened), through the inclusive projection for its spec;
 *   - partition tuple of a data file: the projected expression on the
 *     tuple's values;
 *   - column metrics of a data file (lower/upper bounds, null, NaN and
 *     value counts), inclusive ("might match") and strict ("all rows
 *     match", used by deletes that drop whole files);
 *   - any column statistics (e.g. Parquet row groups) through a provider
 *     callback;
 *   - rows of an Arrow batch.
 * "Might match" answers err on true: a false answer guarantees no row
 * matches. NaN follows the spec: NaN is neither less nor greater than any
 * value; `is nan` and `not nan` test it; comparisons with NaN are false.
 *
 * Ownership: constructors that take expressions consume them (also on
 * failure); everything returned through `**out` belongs to the caller and
 * is freed with ice_expr_free().
 */
#ifndef ICE_EXPR_H
#define ICE_EXPR_H

#include "arrow.h"
#include "common.h"
#include "literal.h"
#include "partition_spec.h"
#include "schema.h"
#include "transform.h"
#include "types.h"

ICE_BEGIN_DECL

struct ice_data_file;
struct ice_manifest_file;

typedef struct ice_expr ice_expr;

typedef enum ice_expr_kind {
	ICE_EXPR_TRUE,
	ICE_EXPR_FALSE,
	ICE_EXPR_AND,
	ICE_EXPR_OR,
	ICE_EXPR_NOT,
	ICE_EXPR_PREDICATE,
} ice_expr_kind;

/* ---- building --------------------------------------------------------- */

/*
 * Parse the `--where` language:
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | pred | "true" | "false"
 *   pred    := column op literal | column ["not"] "in" "(" literal ("," literal)* ")"
 *            | column "is" ["not"] ("null" | "nan") | column "not" "nan"
 *            | column ["not"] "starts" "with" literal
 *   op      := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
 *   column  := identifier ("." identifier)* | "`" any text "`" (dotted: nested)
 *   literal := number | 'string' (with '' for a quote) | true | false
 *            | type 'text' (date '2024-01-31', timestamp '...', timestamptz
 *              '...+01:00', time, uuid, decimal, binary X'0a1b', ...)
 * Keywords are case-insensitive. Untyped strings and numbers convert to
 * the column's type at bind time (so ts >= '2024-01-01' works on dates and
 * timestamps). Errors are ICE_EINVALID with "where: column N: <what>".
 */
ICE_EXTERN int ice_expr_parse(ice_expr **out, const char *text);

ICE_EXTERN int ice_expr_true(ice_expr **out);
ICE_EXTERN int ice_expr_false(ice_expr **out);
ICE_EXTERN int ice_expr_and(ice_expr **out, ice_expr *left, ice_expr *right);
ICE_EXTERN int ice_expr_or(ice_expr **out, ice_expr *left, ice_expr *right);
ICE_EXTERN int ice_expr_not(ice_expr **out, ice_expr *child);
/*
 * An unbound predicate on a column name. `lits` holds one literal for
 * comparisons and starts-with, one or more for IN / NOT IN, none for the
 * unary operations. Literals are copied.
 */
ICE_EXTERN int ice_expr_predicate(ice_expr **out, const char *column, ice_op op, const ice_literal *lits,
                                  size_t nlits);
ICE_EXTERN int ice_expr_copy(ice_expr **out, const ice_expr *e);
ICE_EXTERN void ice_expr_free(ice_expr *e);

/* ---- inspecting ------------------------------------------------------- */

ICE_EXTERN ice_expr_kind ice_expr_get_kind(const ice_expr *e);
ICE_EXTERN bool ice_expr_is_bound(const ice_expr *e);
/* Children of AND / OR (two) and NOT (one). */
ICE_EXTERN size_t ice_expr_child_count(const ice_expr *e);
ICE_EXTERN const ice_expr *ice_expr_child(const ice_expr *e, size_t i);
/* Predicates: the operation, the column as written (unbound) or the bound
 * field id, and the literals (typed when bound). */
ICE_EXTERN ice_op ice_expr_op(const ice_expr *e);
ICE_EXTERN const char *ice_expr_column(const ice_expr *e);
ICE_EXTERN int32_t ice_expr_field_id(const ice_expr *e);
ICE_EXTERN size_t ice_expr_literal_count(const ice_expr *e);
ICE_EXTERN const ice_literal *ice_expr_literal(const ice_expr *e, size_t i);

/* The expression in the --where language (parses back to the same tree);
 * bound predicates name their columns. Allocated; free with ice_free(). */
ICE_EXTERN char *ice_expr_to_string(const ice_expr *e);

/* The distinct field ids a bound expression references, ascending.
 * Allocated (NULL when there are none); free with ice_free(). */
ICE_EXTERN int ice_expr_field_ids(const ice_expr *e, int32_t **ids_out, size_t *n_out);

/* ---- binding and projection ------------------------------------------- */

/*
 * Bind to the fields of `schema_struct` (a schema's struct type, or a
 * partition type): ICE_EINVALID "where: unknown column 'x'" for names that
 * do not resolve, and "where: column 'x' (date): cannot compare with
 * 'abc'" for literals that do not convert. Columns inside lists or maps
 * cannot be filtered on (ICE_EINVALID). Binding a bound expression again
 * checks the ids are present.
 */
ICE_EXTERN int ice_expr_bind(ice_expr **out, const ice_expr *e, const ice_type *schema_struct,
                             bool case_sensitive);

/*
 * Project a bound row filter onto the partition tuple of `spec`: the
 * result is bound to the spec's partition type (field ids are partition
 * field ids). Inclusive: true for every partition that may hold a matching
 * row. Strict: true only for partitions whose rows all match. Every
 * transform of `spec` over fields of `schema` takes part.
 */
ICE_EXTERN int ice_expr_project(ice_expr **out, const ice_expr *bound, const ice_partition_spec *spec,
                                const ice_schema *schema, bool strict);

/*
 * The residual of a bound row filter for the rows of one partition: parts
 * the partition values (of `spec`) decide are replaced by true or false.
 * What is left must still be checked row by row (ResidualEvaluator).
 */
ICE_EXTERN int ice_expr_residual(ice_expr **out, const ice_expr *bound, const ice_partition_spec *spec,
                                 const ice_schema *schema, const ice_literal *partition, size_t n_partition);

/* ---- evaluators ------------------------------------------------------- */

/*
 * Whether a struct of values may match: `values[i]` is the value of field
 * `field_ids[i]` (e.g. a data file's partition tuple for an expression
 * from ice_expr_project, with the partition field ids). Exact for
 * values, so "might" is "does".
 */
ICE_EXTERN int ice_expr_eval_values(const ice_expr *bound, const int32_t *field_ids, const ice_literal *values,
                                    size_t n, bool *match_out);

/*
 * Manifest pruning: whether the manifest may hold a matching file, from
 * its partition field summaries. `projected` comes from ice_expr_project
 * (inclusive) for the manifest's spec. A manifest without summaries may
 * match.
 */
ICE_EXTERN int ice_expr_manifest_might_match(const ice_expr *projected, const ice_partition_spec *spec,
                                             const struct ice_manifest_file *mf, bool *match_out);

/* Column statistics in Iceberg terms, for one field. */
typedef struct ice_column_stats {
	bool has_value_count;   /* values including nulls and NaNs */
	int64_t value_count;
	bool has_null_count;
	int64_t null_count;
	bool has_nan_count;
	int64_t nan_count;
	bool has_lower, has_upper;
	ice_literal lower, upper; /* of the field's type (promoted); may be truncated */
	bool lower_exact, upper_exact; /* false when the bound was truncated */
} ice_column_stats;

/*
 * A statistics source: fill *out for `field_id` and set *found, or leave
 * *found false when there are none for it. A nonzero return aborts the
 * evaluation with that code.
 */
typedef int (*ice_column_stats_fn)(void *payload, int32_t field_id, ice_column_stats *out, bool *found);

/*
 * Inclusive metrics evaluation over any statistics source for a set of
 * `row_count` rows: false only when no row can match.
 */
ICE_EXTERN int ice_expr_stats_might_match(const ice_expr *bound, int64_t row_count, ice_column_stats_fn stats,
                                          void *payload, bool *match_out);
/* Strict: true only when every row matches. */
ICE_EXTERN int ice_expr_stats_must_match(const ice_expr *bound, int64_t row_count, ice_column_stats_fn stats,
                                         void *payload, bool *match_out);

/*
 * The same two over a data file's metrics (its record count, value, null
 * and NaN counts and lower/upper bounds), for `bound` bound to the table
 * schema.
 */
ICE_EXTERN int ice_expr_file_might_match(const ice_expr *bound, const struct ice_data_file *file, bool *match_out);
ICE_EXTERN int ice_expr_file_must_match(const ice_expr *bound, const struct ice_data_file *file, bool *match_out);

/*
 * Row evaluation. `batch` is a struct array ("+s") whose children are the
 * fields of `batch_type` (an Iceberg struct type whose field ids are those
 * the expression is bound to; nested struct fields are reached through
 * their parents). On return keep[i] is cleared for each row i in
 * [0, batch->length) that does not match; rows already cleared stay
 * cleared. Every field the expression references must be in the batch
 * (ICE_EINVALID otherwise).
 */
ICE_EXTERN int ice_expr_eval_batch(const ice_expr *bound, const ice_type *batch_type, const struct ArrowArray *batch,
                                   const struct ArrowSchema *batch_schema, uint8_t *keep);

ICE_END_DECL

#endif
