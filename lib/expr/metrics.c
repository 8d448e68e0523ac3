/*
 * expr/metrics.c - pruning by column metrics (spec "Scan Planning":
 * "Scan predicates are also used to filter data and delete files using
 * column bounds and counts"): the inclusive evaluator ("might any row
 * match?") and the strict one ("must every row match?"), over any source
 * of statistics and over a data file's metrics.
 *
 * Bounds may be truncated (strings and binary: the lower bound is a prefix
 * of the smallest value, the upper bound a prefix rounded up), so they are
 * used only in ways that stay true for truncated bounds: a lower bound is
 * at most every value, an upper bound at least every value. Strict
 * `starts with` also needs the prefix to end before the upper bound's last
 * character when that bound may have been rounded up. NaN is in no bound;
 * a NaN bound (written by old writers) is ignored. Floating point compares
 * by IEEE order (-0 = 0).
 */
#include <string.h>

#include "internal.h"

typedef struct stats_ctx {
	ice_column_stats_fn fn;
	void *payload;
	int64_t rows;
	int rc; /* a provider's failure */
} stats_ctx;

static bool get(stats_ctx *c, const ice_expr *p, ice_column_stats *s)
{
	bool found = false;
	memset(s, 0, sizeof(*s));
	if (c->rc)
		return false;
	if ((c->rc = c->fn(c->payload, p->field_id, s, &found)) != 0)
		return false;
	if (!found)
		memset(s, 0, sizeof(*s));
	if (s->has_lower && (s->lower.type == ICE_TYPE_INVALID || s->lower.is_null || ice_expr__is_nan(&s->lower)))
		s->has_lower = false;
	if (s->has_upper && (s->upper.type == ICE_TYPE_INVALID || s->upper.is_null || ice_expr__is_nan(&s->upper)))
		s->has_upper = false;
	return true;
}

static bool nulls_only(const ice_column_stats *s)
{
	return s->has_value_count && s->has_null_count && s->value_count == s->null_count;
}

static bool nans_only(const ice_column_stats *s)
{
	return s->has_value_count && s->has_nan_count && s->nan_count == s->value_count && s->value_count > 0;
}

static bool may_have_nulls(const ice_column_stats *s)
{
	return !s->has_null_count || s->null_count > 0;
}

static bool may_have_nans(const ice_expr *p, const ice_column_stats *s)
{
	return ice_expr__is_float(p->type.id) && (!s->has_nan_count || s->nan_count > 0);
}

/* c = compare(a, b); false when they cannot be compared */
static bool cmp(const ice_literal *a, const ice_literal *b, int *c)
{
	return ice_expr__cmp(a, b, c);
}

/* compare the first len(prefix) bytes of v with prefix */
static bool prefix_cmp(const ice_literal *v, const ice_literal *prefix, int *c)
{
	ice_literal t = *v;
	if (t.v.bytes.len > prefix->v.bytes.len)
		t.v.bytes.len = prefix->v.bytes.len;
	return cmp(&t, prefix, c);
}

/* ---- inclusive ------------------------------------------------------------------------ */

static bool pred_might(stats_ctx *ctx, const ice_expr *p)
{
	ice_column_stats s;
	int c;
	if (p->op == ICE_OP_TRUE)
		return true;
	if (!get(ctx, p, &s))
		return true;
	switch (p->op) {
	case ICE_OP_IS_NULL: return !(s.has_null_count && s.null_count == 0);
	case ICE_OP_NOT_NULL: return !nulls_only(&s);
	case ICE_OP_IS_NAN: return !(s.has_nan_count && s.nan_count == 0) && !nulls_only(&s);
	case ICE_OP_NOT_NAN: return !nans_only(&s);
	case ICE_OP_NOT_EQ:
	case ICE_OP_NOT_IN: return true;
	case ICE_OP_NOT_STARTS_WITH:
		if (may_have_nulls(&s) || !s.has_lower || !s.has_upper)
			return true;
		return !(ice_expr__starts_with(&s.lower, &p->lits[0]) && ice_expr__starts_with(&s.upper, &p->lits[0]));
	default: break;
	}
	if (nulls_only(&s) || nans_only(&s))
		return false;
	switch (p->op) {
	case ICE_OP_LT: return !s.has_lower || !cmp(&s.lower, &p->lits[0], &c) || c < 0;
	case ICE_OP_LT_EQ: return !s.has_lower || !cmp(&s.lower, &p->lits[0], &c) || c <= 0;
	case ICE_OP_GT: return !s.has_upper || !cmp(&s.upper, &p->lits[0], &c) || c > 0;
	case ICE_OP_GT_EQ: return !s.has_upper || !cmp(&s.upper, &p->lits[0], &c) || c >= 0;
	case ICE_OP_EQ:
	case ICE_OP_IN:
		for (size_t i = 0; i < p->nlits; i++) {
			if (s.has_lower && cmp(&p->lits[i], &s.lower, &c) && c < 0)
				continue;
			if (s.has_upper && cmp(&p->lits[i], &s.upper, &c) && c > 0)
				continue;
			return true;
		}
		return false;
	case ICE_OP_STARTS_WITH:
		if (s.has_lower && prefix_cmp(&s.lower, &p->lits[0], &c) && c > 0)
			return false;
		if (s.has_upper && prefix_cmp(&s.upper, &p->lits[0], &c) && c < 0)
			return false;
		return true;
	default: return true;
	}
}

static bool might(stats_ctx *ctx, const ice_expr *e)
{
	switch (e->kind) {
	case ICE_EXPR_TRUE: return true;
	case ICE_EXPR_FALSE: return false;
	case ICE_EXPR_AND: return might(ctx, e->child[0]) && might(ctx, e->child[1]);
	case ICE_EXPR_OR: return might(ctx, e->child[0]) || might(ctx, e->child[1]);
	case ICE_EXPR_PREDICATE: return pred_might(ctx, e);
	case ICE_EXPR_NOT: return true;
	}
	return true;
}

/* ---- strict ------------------------------------------------------------------------------ */

static bool pred_must(stats_ctx *ctx, const ice_expr *p)
{
	ice_column_stats s;
	int c;
	if (p->op == ICE_OP_FALSE)
		return false;
	if (!get(ctx, p, &s))
		return false;
	switch (p->op) {
	case ICE_OP_IS_NULL: return nulls_only(&s);
	case ICE_OP_NOT_NULL: return s.has_null_count && s.null_count == 0;
	case ICE_OP_IS_NAN: return nans_only(&s);
	case ICE_OP_NOT_NAN: return (s.has_nan_count && s.nan_count == 0) || nulls_only(&s);
	case ICE_OP_NOT_EQ:
	case ICE_OP_NOT_IN:
		if (nulls_only(&s) || nans_only(&s))
			return true;
		for (size_t i = 0; i < p->nlits; i++) {
			if (s.has_lower && cmp(&p->lits[i], &s.lower, &c) && c < 0)
				continue;
			if (s.has_upper && cmp(&p->lits[i], &s.upper, &c) && c > 0)
				continue;
			return false;
		}
		return true;
	case ICE_OP_NOT_STARTS_WITH:
		if (nulls_only(&s))
			return true;
		if (s.has_lower && prefix_cmp(&s.lower, &p->lits[0], &c) && c > 0)
			return true;
		if (s.has_upper && prefix_cmp(&s.upper, &p->lits[0], &c) && c < 0)
			return true;
		return false;
	default: break;
	}
	/* every other test is false for null and NaN */
	if (may_have_nulls(&s) || may_have_nans(p, &s))
		return false;
	switch (p->op) {
	case ICE_OP_LT: return s.has_upper && cmp(&s.upper, &p->lits[0], &c) && c < 0;
	case ICE_OP_LT_EQ: return s.has_upper && cmp(&s.upper, &p->lits[0], &c) && c <= 0;
	case ICE_OP_GT: return s.has_lower && cmp(&s.lower, &p->lits[0], &c) && c > 0;
	case ICE_OP_GT_EQ: return s.has_lower && cmp(&s.lower, &p->lits[0], &c) && c >= 0;
	case ICE_OP_EQ:
	case ICE_OP_IN: {
		/* one value (lower = upper), and it is in the set */
		int c2;
		if (!s.has_lower || !s.has_upper || !cmp(&s.lower, &s.upper, &c) || c != 0)
			return false;
		for (size_t i = 0; i < p->nlits; i++)
			if (cmp(&s.lower, &p->lits[i], &c2) && c2 == 0)
				return true;
		return false;
	}
	case ICE_OP_STARTS_WITH: {
		const ice_literal *pre = &p->lits[0];
		if (!s.has_lower || !s.has_upper)
			return false;
		if (!ice_expr__starts_with(&s.lower, pre) || !ice_expr__starts_with(&s.upper, pre))
			return false;
		/* a rounded-up upper bound may carry the prefix's last character
		 * one higher than the largest value: only trust a longer bound */
		return s.upper_exact || s.upper.v.bytes.len > pre->v.bytes.len;
	}
	default: return false;
	}
}

static bool must(stats_ctx *ctx, const ice_expr *e)
{
	switch (e->kind) {
	case ICE_EXPR_TRUE: return true;
	case ICE_EXPR_FALSE: return false;
	case ICE_EXPR_AND: return must(ctx, e->child[0]) && must(ctx, e->child[1]);
	case ICE_EXPR_OR: return must(ctx, e->child[0]) || must(ctx, e->child[1]);
	case ICE_EXPR_PREDICATE: return pred_must(ctx, e);
	case ICE_EXPR_NOT: return false;
	}
	return false;
}

static int run(const ice_expr *bound, int64_t rows, ice_column_stats_fn fn, void *payload, bool strict, bool *out)
{
	stats_ctx ctx = {fn, payload, rows, 0};
	const ice_expr *e;
	ice_expr *owned;
	int rc;
	*out = !strict;
	if (!bound || !fn)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: metrics evaluation needs an expression and stats");
	if (!bound->bound)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: the expression is not bound");
	if (rows == 0) {
		/* no rows: none can match, and all (none) do */
		*out = strict;
		return 0;
	}
	if (rows < 0) /* unknown (files imported without a count) */
		return 0;
	if ((rc = ice_expr__without_not(&e, &owned, bound)) != 0)
		return rc;
	bool v = strict ? must(&ctx, e) : might(&ctx, e);
	ice_expr_free(owned);
	if (ctx.rc)
		return ctx.rc;
	*out = v;
	return 0;
}

int ice_expr_stats_might_match(const ice_expr *bound, int64_t row_count, ice_column_stats_fn stats, void *payload,
                               bool *match_out)
{
	return run(bound, row_count, stats, payload, false, match_out);
}

int ice_expr_stats_must_match(const ice_expr *bound, int64_t row_count, ice_column_stats_fn stats, void *payload,
                              bool *match_out)
{
	return run(bound, row_count, stats, payload, true, match_out);
}

/* ---- a data file's metrics ------------------------------------------------------------- */

static int file_stats(void *payload, int32_t id, ice_column_stats *out, bool *found)
{
	const ice_data_file *f = payload;
	const ice_metric_count *m;
	const ice_metric_bound *b;
	if ((m = ice_metric_counts_get(&f->value_counts, id)) != NULL) {
		out->has_value_count = true;
		out->value_count = m->value;
		*found = true;
	}
	if ((m = ice_metric_counts_get(&f->null_value_counts, id)) != NULL) {
		out->has_null_count = true;
		out->null_count = m->value;
		*found = true;
	}
	if ((m = ice_metric_counts_get(&f->nan_value_counts, id)) != NULL) {
		out->has_nan_count = true;
		out->nan_count = m->value;
		*found = true;
	}
	if ((b = ice_metric_bounds_get(&f->lower_bounds, id)) != NULL && b->value.type != ICE_TYPE_INVALID) {
		out->has_lower = true;
		out->lower = b->value;
		*found = true;
	}
	if ((b = ice_metric_bounds_get(&f->upper_bounds, id)) != NULL && b->value.type != ICE_TYPE_INVALID) {
		out->has_upper = true;
		out->upper = b->value;
		*found = true;
	}
	/* string and binary bounds may have been truncated (metrics mode truncate(N)) */
	bool bytes = out->lower.type == ICE_TYPE_STRING || out->lower.type == ICE_TYPE_BINARY ||
	             out->upper.type == ICE_TYPE_STRING || out->upper.type == ICE_TYPE_BINARY;
	out->lower_exact = out->upper_exact = !bytes;
	return 0;
}

int ice_expr_file_might_match(const ice_expr *bound, const ice_data_file *file, bool *match_out)
{
	return run(bound, file->record_count, file_stats, (void *)file, false, match_out);
}

int ice_expr_file_must_match(const ice_expr *bound, const ice_data_file *file, bool *match_out)
{
	return run(bound, file->record_count, file_stats, (void *)file, true, match_out);
}
