/*
 * write/sort.c - the order of a batch's rows under a sort order (spec
 * "Sorting"): each sort field's transform applied to its source column,
 * compared by the spec's total order of values (ice_literal_compare: NaN
 * after +Inf, strings by UTF-8 bytes), ascending or descending, with nulls
 * first or last whatever the direction. The sort is a stable merge sort,
 * so equal rows keep their input order and the result is deterministic.
 * The data writer uses it to write each sorted run (data_writer.c).
 */
#include <string.h>

#include "columns.h"
#include "ice/transform.h"
#include "sort.h"
#include "util/alloc.h"
#include "util/error.h"

/* Where a sort field's source column is in the batch: a top-level field
 * and struct steps below it (sources are primitive, never in lists). */
typedef struct source {
	size_t top;
	size_t depth;
	size_t steps[16];
	const ice_type *type;
} source;

static int resolve(const ice_schema *schema, int32_t id, source *out)
{
	int32_t chain[17];
	size_t n = 0;
	for (int32_t cur = id; cur > 0 && n < 17; cur = ice_schema_parent_id(schema, cur))
		chain[n++] = cur;
	const ice_field *f = ice_schema_find_field(schema, id);
	if (n == 0 || n > 16 || !f || !ice_type_is_primitive(f->type))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "sort order: source %d is not a primitive column",
		                      (int)id);
	const ice_type *t = ice_schema_struct(schema);
	out->depth = 0;
	for (size_t k = n; k-- > 0;) {
		size_t i;
		if (t->id != ICE_TYPE_STRUCT)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "sort order: source %d is inside a list or map", (int)id);
		for (i = 0; i < t->u.struct_.nfields && t->u.struct_.fields[i].id != chain[k]; i++)
			;
		if (i == t->u.struct_.nfields)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "sort order: source %d is not in the schema",
			                      (int)id);
		if (k == n - 1)
			out->top = i;
		else
			out->steps[out->depth++] = i;
		t = t->u.struct_.fields[i].type;
	}
	out->type = t;
	return 0;
}

int ice_sort__check(const ice_schema *schema, const ice_sort_order *order)
{
	source s;
	for (size_t k = 0; k < order->nfields; k++) {
		int rc = resolve(schema, order->fields[k].source_id, &s);
		if (rc)
			return rc;
	}
	return 0;
}

/* The value of `src` at `row`: null when a struct on the way is null. */
static int value_at(const source *src, const struct ArrowArray *batch, const struct ArrowSchema *schema, int64_t row,
                    ice_literal *out)
{
	const struct ArrowArray *a = batch->children[src->top];
	const struct ArrowSchema *s = schema->children[src->top];
	int64_t i = row + batch->offset;
	for (size_t d = 0; d < src->depth; d++) {
		const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
		int64_t j = i + a->offset;
		if (v && a->null_count && !((v[j >> 3] >> (j & 7)) & 1)) {
			*out = ice_literal_null(src->type->id);
			return 0;
		}
		i = j;
		a = a->children[src->steps[d]];
		s = s->children[src->steps[d]];
	}
	return ice_columns__literal_at(out, src->type, a, s, i);
}

typedef struct sort_ctx {
	const ice_sort_order *order;
	const ice_literal *keys; /* key k of row i at keys[k * n + i] */
	int64_t n;
} sort_ctx;

static int compare_rows(const sort_ctx *c, int64_t a, int64_t b)
{
	for (size_t k = 0; k < c->order->nfields; k++) {
		const ice_sort_field *f = &c->order->fields[k];
		const ice_literal *x = &c->keys[(int64_t)k * c->n + a], *y = &c->keys[(int64_t)k * c->n + b];
		int r;
		if (x->is_null || y->is_null) {
			if (x->is_null && y->is_null)
				continue;
			r = x->is_null ? -1 : 1;
			return f->null_order == ICE_NULLS_FIRST ? r : -r;
		}
		r = ice_literal_compare(x, y);
		if (r)
			return f->direction == ICE_SORT_DESC ? -r : r;
	}
	return 0;
}

/* Bottom-up merge sort of idx[0..n) (stable); tmp has room for n. */
static void merge_sort(const sort_ctx *c, int64_t *idx, int64_t *tmp, int64_t n)
{
	int64_t *src = idx, *dst = tmp;
	for (int64_t width = 1; width < n; width *= 2) {
		for (int64_t lo = 0; lo < n; lo += 2 * width) {
			int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
			int64_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				dst[k++] = compare_rows(c, src[j], src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		int64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != idx)
		memcpy(idx, src, (size_t)n * sizeof(int64_t));
}

int ice_sort__permutation(int64_t **out, const ice_schema *schema, const ice_sort_order *order,
                          const struct ArrowArray *batch, const struct ArrowSchema *bschema)
{
	int64_t n = batch->length;
	size_t nk = order->nfields;
	int64_t *idx = ice__mallocarray(n ? (size_t)n : 1, sizeof(int64_t));
	int64_t *tmp = ice__mallocarray(n ? (size_t)n : 1, sizeof(int64_t));
	ice_literal *keys = ice__mallocarray(nk && n ? nk * (size_t)n : 1, sizeof(ice_literal));
	int rc = 0;
	*out = NULL;
	if (!idx || !tmp || !keys) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t k = 0; k < nk && !rc; k++) {
		const ice_sort_field *f = &order->fields[k];
		source src;
		if ((rc = resolve(schema, f->source_id, &src)) != 0)
			break;
		for (int64_t i = 0; i < n && !rc; i++) {
			ice_literal v;
			if ((rc = value_at(&src, batch, bschema, i, &v)) == 0 &&
			    (rc = ice_transform_apply(&f->transform, &v, &keys[(int64_t)k * n + i])) != 0)
				ice_error__prefix("sort order");
		}
	}
	if (rc)
		goto done;
	for (int64_t i = 0; i < n; i++)
		idx[i] = i;
	sort_ctx c = {order, keys, n};
	merge_sort(&c, idx, tmp, n);
	*out = idx;
	idx = NULL;
done:
	ice__free(idx);
	ice__free(tmp);
	ice__free(keys);
	return rc;
}
