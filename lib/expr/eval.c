/*
 * expr/eval.c - evaluating predicates on single values (the expressions
 * spec "Tests" and "Comparisons"), on structs of values (partition tuples:
 * ice_expr_eval_values), on manifest partition summaries (spec "Scan
 * Planning": manifests that hold no matching file may be skipped), and the
 * per-partition residual a scan hands to its readers.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "util/datetime.h"
#include "util/int128.h"

/* ---- values ------------------------------------------------------------------------ */

bool ice_expr__is_nan(const ice_literal *v)
{
	if (v->is_null)
		return false;
	if (v->type == ICE_TYPE_FLOAT)
		return isnan(v->v.f32);
	if (v->type == ICE_TYPE_DOUBLE)
		return isnan(v->v.f64);
	return false;
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

typedef enum domain { D_NONE, D_INT, D_FLOAT, D_NANOS, D_DECIMAL, D_BYTES, D_BOOL, D_TIME } domain;

static domain domain_of(ice_type_id t)
{
	switch (t) {
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG: return D_INT;
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE: return D_FLOAT;
	case ICE_TYPE_DATE:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: return D_NANOS;
	case ICE_TYPE_DECIMAL: return D_DECIMAL;
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID: return D_BYTES;
	case ICE_TYPE_BOOLEAN: return D_BOOL;
	case ICE_TYPE_TIME: return D_TIME;
	default: return D_NONE;
	}
}

static ice_i128 nanos_of(const ice_literal *v)
{
	switch (v->type) {
	case ICE_TYPE_DATE: return (ice_i128)v->v.i32 * ICE_MICROS_PER_DAY * 1000;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ: return (ice_i128)v->v.i64 * 1000;
	default: return v->v.i64;
	}
}

static double double_of(const ice_literal *v)
{
	return v->type == ICE_TYPE_FLOAT ? (double)v->v.f32 : v->v.f64;
}

static int bytes_cmp(ice_slice a, ice_slice b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.data, b.data, n) : 0;
	return c ? (c < 0 ? -1 : 1) : CMP(a.len, b.len);
}

bool ice_expr__cmp(const ice_literal *a, const ice_literal *b, int *out)
{
	if (a->type == b->type) {
		switch (a->type) {
		case ICE_TYPE_INT:
		case ICE_TYPE_DATE: *out = CMP(a->v.i32, b->v.i32); return true;
		case ICE_TYPE_LONG:
		case ICE_TYPE_TIME:
		case ICE_TYPE_TIMESTAMP:
		case ICE_TYPE_TIMESTAMPTZ:
		case ICE_TYPE_TIMESTAMP_NS:
		case ICE_TYPE_TIMESTAMPTZ_NS: *out = CMP(a->v.i64, b->v.i64); return true;
		case ICE_TYPE_FLOAT: *out = CMP(a->v.f32, b->v.f32); return true;
		case ICE_TYPE_DOUBLE: *out = CMP(a->v.f64, b->v.f64); return true;
		case ICE_TYPE_STRING:
		case ICE_TYPE_BINARY:
		case ICE_TYPE_FIXED:
		case ICE_TYPE_UUID: *out = bytes_cmp(a->v.bytes, b->v.bytes); return true;
		case ICE_TYPE_BOOLEAN: *out = CMP(a->v.b, b->v.b); return true;
		case ICE_TYPE_DECIMAL: *out = ice_literal_compare(a, b); return true;
		default: return false;
		}
	}
	domain da = domain_of(a->type), db = domain_of(b->type);
	if (da != db || da == D_NONE) {
		/* a long against a decimal of scale 0 and the like */
		if ((da == D_INT && db == D_DECIMAL) || (da == D_DECIMAL && db == D_INT)) {
			ice_literal x = da == D_INT ? *a : *b;
			int64_t v = x.type == ICE_TYPE_INT ? x.v.i32 : x.v.i64;
			x.type = ICE_TYPE_DECIMAL;
			x.scale = 0;
			x.v.dec = ice_decimal128_from_int64(v);
			*out = da == D_INT ? ice_literal_compare(&x, b) : ice_literal_compare(a, &x);
			return true;
		}
		return false;
	}
	switch (da) {
	case D_INT: {
		int64_t x = a->type == ICE_TYPE_INT ? a->v.i32 : a->v.i64;
		int64_t y = b->type == ICE_TYPE_INT ? b->v.i32 : b->v.i64;
		*out = CMP(x, y);
		return true;
	}
	case D_FLOAT: *out = CMP(double_of(a), double_of(b)); return true;
	case D_NANOS: *out = CMP(nanos_of(a), nanos_of(b)); return true;
	case D_BYTES: *out = bytes_cmp(a->v.bytes, b->v.bytes); return true;
	default: return false;
	}
}

bool ice_expr__starts_with(const ice_literal *value, const ice_literal *prefix)
{
	return value->v.bytes.len >= prefix->v.bytes.len &&
	       (prefix->v.bytes.len == 0 || memcmp(value->v.bytes.data, prefix->v.bytes.data, prefix->v.bytes.len) == 0);
}

static bool equals(const ice_literal *value, const ice_literal *lit)
{
	int c;
	return ice_expr__cmp(value, lit, &c) && c == 0;
}

static bool in_set(const ice_literal *lits, size_t n, const ice_literal *value)
{
	if (n > 8 && lits[0].type == value->type && !ice_expr__is_float(value->type)) {
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = ice_literal_compare(&lits[mid], value);
			if (c == 0)
				return true;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (equals(value, &lits[i]))
			return true;
	return false;
}

bool ice_expr__test_op(ice_op op, const ice_literal *lits, size_t nlits, const ice_literal *v)
{
	int c;
	switch (op) {
	case ICE_OP_TRUE: return true;
	case ICE_OP_FALSE: return false;
	case ICE_OP_IS_NULL: return v->is_null;
	case ICE_OP_NOT_NULL: return !v->is_null;
	case ICE_OP_IS_NAN: return ice_expr__is_nan(v);
	case ICE_OP_NOT_NAN: return !ice_expr__is_nan(v);
	case ICE_OP_NOT_EQ: return !ice_expr__test_op(ICE_OP_EQ, lits, nlits, v);
	case ICE_OP_NOT_STARTS_WITH: return !ice_expr__test_op(ICE_OP_STARTS_WITH, lits, nlits, v);
	case ICE_OP_NOT_IN: return !ice_expr__test_op(ICE_OP_IN, lits, nlits, v);
	default: break;
	}
	if (v->is_null || ice_expr__is_nan(v) || nlits == 0)
		return false;
	switch (op) {
	case ICE_OP_STARTS_WITH: return ice_expr__starts_with(v, &lits[0]);
	case ICE_OP_IN: return in_set(lits, nlits, v);
	default: break;
	}
	if (!ice_expr__cmp(v, &lits[0], &c))
		return false;
	switch (op) {
	case ICE_OP_LT: return c < 0;
	case ICE_OP_LT_EQ: return c <= 0;
	case ICE_OP_GT: return c > 0;
	case ICE_OP_GT_EQ: return c >= 0;
	case ICE_OP_EQ: return c == 0;
	default: return false;
	}
}

bool ice_expr__test(const ice_expr *pred, const ice_literal *value)
{
	return ice_expr__test_op(pred->op, pred->lits, pred->nlits, value);
}

/* ---- structs of values -------------------------------------------------------------- */

static int eval_values(const ice_expr *e, const int32_t *ids, const ice_literal *values, size_t n, bool *out)
{
	bool l, r;
	int rc;
	switch (e->kind) {
	case ICE_EXPR_TRUE: *out = true; return 0;
	case ICE_EXPR_FALSE: *out = false; return 0;
	case ICE_EXPR_NOT:
		if ((rc = eval_values(e->child[0], ids, values, n, &l)) != 0)
			return rc;
		*out = !l;
		return 0;
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = eval_values(e->child[0], ids, values, n, &l)) != 0)
			return rc;
		if (l == (e->kind == ICE_EXPR_OR)) {
			*out = l;
			return 0;
		}
		if ((rc = eval_values(e->child[1], ids, values, n, &r)) != 0)
			return rc;
		*out = r;
		return 0;
	case ICE_EXPR_PREDICATE:
		if (!e->bound)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' is not bound", e->column);
		for (size_t i = 0; i < n; i++)
			if (ids[i] == e->field_id) {
				*out = ice_expr__test(e, &values[i]);
				return 0;
			}
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: no value for column '%s' (field id %d)",
		                      e->column, (int)e->field_id);
	}
	return ICE_ERROR;
}

int ice_expr_eval_values(const ice_expr *bound, const int32_t *field_ids, const ice_literal *values, size_t n,
                         bool *match_out)
{
	*match_out = true;
	return eval_values(bound, field_ids, values, n, match_out);
}

/* ---- manifest partition summaries ------------------------------------------------- */

static bool usable(const ice_literal *v)
{
	return v->type != ICE_TYPE_INVALID && !v->is_null && !ice_expr__is_nan(v);
}

/* Whether the summary's bounds may hold a value satisfying a comparison. */
static bool summary_might(const ice_expr *p, const ice_partition_field_summary *s)
{
	bool has_lower = s->has_lower_bound && usable(&s->lower_value);
	bool has_upper = s->has_upper_bound && usable(&s->upper_value);
	bool floating = ice_expr__is_float(p->type.id);
	/* lower is absent exactly when every value is null or NaN */
	bool only_null_or_nan = !s->has_lower_bound && (s->contains_null || (s->has_contains_nan && s->contains_nan));
	bool all_null = only_null_or_nan && (!floating || (s->has_contains_nan && !s->contains_nan));
	int c;
	switch (p->op) {
	case ICE_OP_TRUE: return true;
	case ICE_OP_FALSE: return false;
	case ICE_OP_IS_NULL: return s->contains_null;
	case ICE_OP_NOT_NULL: return !all_null;
	case ICE_OP_IS_NAN:
		if (s->has_contains_nan && !s->contains_nan)
			return false;
		return !all_null;
	case ICE_OP_NOT_NAN:
		/* only NaN values: no nulls and no bounds */
		return !(s->has_contains_nan && s->contains_nan && !s->contains_null && !s->has_lower_bound &&
		         !s->has_upper_bound);
	case ICE_OP_NOT_EQ:
	case ICE_OP_NOT_IN: return true;
	case ICE_OP_NOT_STARTS_WITH:
		if (s->contains_null || !has_lower || !has_upper)
			return true;
		return !(ice_expr__starts_with(&s->lower_value, &p->lits[0]) &&
		         ice_expr__starts_with(&s->upper_value, &p->lits[0]));
	default: break;
	}
	if (only_null_or_nan)
		return false;
	switch (p->op) {
	case ICE_OP_LT: return !has_lower || !ice_expr__cmp(&s->lower_value, &p->lits[0], &c) || c < 0;
	case ICE_OP_LT_EQ: return !has_lower || !ice_expr__cmp(&s->lower_value, &p->lits[0], &c) || c <= 0;
	case ICE_OP_GT: return !has_upper || !ice_expr__cmp(&s->upper_value, &p->lits[0], &c) || c > 0;
	case ICE_OP_GT_EQ: return !has_upper || !ice_expr__cmp(&s->upper_value, &p->lits[0], &c) || c >= 0;
	case ICE_OP_EQ:
	case ICE_OP_IN:
		for (size_t i = 0; i < p->nlits; i++) {
			const ice_literal *l = &p->lits[i];
			if (has_lower && ice_expr__cmp(l, &s->lower_value, &c) && c < 0)
				continue;
			if (has_upper && ice_expr__cmp(l, &s->upper_value, &c) && c > 0)
				continue;
			return true;
		}
		return false;
	case ICE_OP_STARTS_WITH: {
		const ice_literal *pre = &p->lits[0];
		size_t n = pre->v.bytes.len;
		if (has_lower) {
			ice_literal lo = s->lower_value;
			if (lo.v.bytes.len > n)
				lo.v.bytes.len = n;
			if (ice_expr__cmp(&lo, pre, &c) && c > 0)
				return false;
		}
		if (has_upper) {
			ice_literal up = s->upper_value;
			if (up.v.bytes.len > n)
				up.v.bytes.len = n;
			if (ice_expr__cmp(&up, pre, &c) && c < 0)
				return false;
		}
		return true;
	}
	default: return true;
	}
}

static bool manifest_might(const ice_expr *e, const ice_partition_spec *spec, const ice_manifest_file *mf)
{
	switch (e->kind) {
	case ICE_EXPR_TRUE: return true;
	case ICE_EXPR_FALSE: return false;
	case ICE_EXPR_AND: return manifest_might(e->child[0], spec, mf) && manifest_might(e->child[1], spec, mf);
	case ICE_EXPR_OR: return manifest_might(e->child[0], spec, mf) || manifest_might(e->child[1], spec, mf);
	case ICE_EXPR_NOT: return true; /* callers pass NOT-free trees; stay inclusive otherwise */
	case ICE_EXPR_PREDICATE:
		if (!mf->has_partitions)
			return true;
		for (size_t i = 0; i < spec->nfields && i < mf->n_partitions; i++)
			if (spec->fields[i].field_id == e->field_id)
				return summary_might(e, &mf->partitions[i]);
		return true;
	}
	return true;
}

int ice_expr_manifest_might_match(const ice_expr *projected, const ice_partition_spec *spec,
                                  const ice_manifest_file *mf, bool *match_out)
{
	const ice_expr *e;
	ice_expr *owned;
	int rc;
	*match_out = true;
	if ((rc = ice_expr__without_not(&e, &owned, projected)) != 0)
		return rc;
	*match_out = manifest_might(e, spec, mf);
	ice_expr_free(owned);
	return 0;
}

/* ---- residuals ---------------------------------------------------------------------- */

typedef enum tri { T_FALSE, T_TRUE, T_UNKNOWN } tri;

/* The projection of `p` through `t`, tested on a partition value. */
static bool projected_holds(const ice_expr *p, const ice_transform *t, bool strict, const ice_literal *value)
{
	ice_op op;
	ice_literal lits[2];
	size_t n;
	if (p->op == ICE_OP_IN || p->op == ICE_OP_NOT_IN) {
		/* in: any element's (strict or inclusive) equality; not in: every element's inequality */
		bool any = p->op == ICE_OP_IN;
		for (size_t i = 0; i < p->nlits; i++) {
			if (ice_transform_project(t, any ? ICE_OP_EQ : ICE_OP_NOT_EQ, &p->lits[i], strict, &op, lits, &n) != 0)
				return !strict;
			bool h = ice_expr__test_op(op, lits, n, value);
			if (h == any)
				return any;
		}
		return !any;
	}
	if (ice_transform_project(t, p->op, p->nlits ? &p->lits[0] : NULL, strict, &op, lits, &n) != 0)
		return !strict;
	return ice_expr__test_op(op, lits, n, value);
}

static tri decide(const ice_expr *p, const ice_partition_spec *spec, const ice_literal *partition, size_t n)
{
	for (size_t i = 0; i < spec->nfields && i < n; i++) {
		const ice_partition_field *f = &spec->fields[i];
		if (f->source_id != p->field_id || f->n_source_ids > 1 || f->transform.kind == ICE_TRANSFORM_UNKNOWN ||
		    f->transform.kind == ICE_TRANSFORM_VOID)
			continue;
		if (projected_holds(p, &f->transform, true, &partition[i]))
			return T_TRUE;
		if (!projected_holds(p, &f->transform, false, &partition[i]))
			return T_FALSE;
	}
	return T_UNKNOWN;
}

/* The tree's value for the partition; *decided tells whether any predicate was decided. */
static tri residual_value(const ice_expr *e, const ice_partition_spec *spec, const ice_literal *part, size_t n,
                          bool *decided)
{
	tri l, r;
	switch (e->kind) {
	case ICE_EXPR_TRUE: return T_TRUE;
	case ICE_EXPR_FALSE: return T_FALSE;
	case ICE_EXPR_NOT:
		l = residual_value(e->child[0], spec, part, n, decided);
		return l == T_UNKNOWN ? T_UNKNOWN : l == T_TRUE ? T_FALSE : T_TRUE;
	case ICE_EXPR_AND:
	case ICE_EXPR_OR: {
		tri absorbing = e->kind == ICE_EXPR_AND ? T_FALSE : T_TRUE;
		l = residual_value(e->child[0], spec, part, n, decided);
		r = residual_value(e->child[1], spec, part, n, decided);
		if (l == absorbing || r == absorbing)
			return absorbing;
		if (l == T_UNKNOWN || r == T_UNKNOWN)
			return T_UNKNOWN;
		return l;
	}
	case ICE_EXPR_PREDICATE: {
		tri t = decide(e, spec, part, n);
		if (t != T_UNKNOWN)
			*decided = true;
		return t;
	}
	}
	return T_UNKNOWN;
}

static int residual_copy(ice_expr **out, const ice_expr *e, const ice_partition_spec *spec, const ice_literal *part,
                         size_t n)
{
	ice_expr *l = NULL, *r = NULL;
	int rc;
	*out = NULL;
	switch (e->kind) {
	case ICE_EXPR_NOT:
		if ((rc = residual_copy(&l, e->child[0], spec, part, n)) != 0)
			return rc;
		if (l->kind == ICE_EXPR_TRUE || l->kind == ICE_EXPR_FALSE) {
			bool v = l->kind == ICE_EXPR_FALSE;
			ice_expr_free(l);
			return ice_expr__const(out, v);
		}
		return ice_expr_not(out, l);
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = residual_copy(&l, e->child[0], spec, part, n)) != 0)
			return rc;
		if ((rc = residual_copy(&r, e->child[1], spec, part, n)) != 0) {
			ice_expr_free(l);
			return rc;
		}
		return e->kind == ICE_EXPR_AND ? ice_expr__and(out, l, r) : ice_expr__or(out, l, r);
	case ICE_EXPR_PREDICATE: {
		tri t = decide(e, spec, part, n);
		if (t != T_UNKNOWN)
			return ice_expr__const(out, t == T_TRUE);
		return ice_expr_copy(out, e);
	}
	default: return ice_expr_copy(out, e);
	}
}

int ice_expr__residual_for(const ice_expr **out, ice_expr **owned, bool *none, const ice_expr *bound,
                           const ice_partition_spec *spec, const ice_literal *partition, size_t n_partition)
{
	bool decided = false;
	*out = NULL;
	*owned = NULL;
	*none = false;
	if (!bound)
		return 0;
	tri v = residual_value(bound, spec, partition, n_partition, &decided);
	if (v == T_TRUE)
		return 0;
	if (v == T_FALSE) {
		*none = true;
		return 0;
	}
	if (!decided) {
		*out = bound;
		return 0;
	}
	int rc = residual_copy(owned, bound, spec, partition, n_partition);
	*out = *owned;
	return rc;
}

int ice_expr_residual(ice_expr **out, const ice_expr *bound, const ice_partition_spec *spec, const ice_schema *schema,
                      const ice_literal *partition, size_t n_partition)
{
	const ice_expr *r;
	ice_expr *owned;
	bool none;
	int rc;
	(void)schema;
	*out = NULL;
	if ((rc = ice_expr__residual_for(&r, &owned, &none, bound, spec, partition, n_partition)) != 0)
		return rc;
	if (owned) {
		*out = owned;
		return 0;
	}
	if (none)
		return ice_expr__const(out, false);
	if (!r)
		return ice_expr__const(out, true);
	return ice_expr_copy(out, r);
}
