/*
 * expr/eval_batch.c - row evaluation over Arrow batches (ice_expr_eval_batch):
 * each predicate's column is found by field id in the batch's Iceberg type
 * (through parent structs), each row's value is decoded from its Arrow
 * layout (Arrow "C data interface" formats: b, c/C s/S i/I l/L, f, g,
 * d:P,S, tdD/tdm, tt[smun], ts[smun]:[zone], u/U, z/Z, w:N, n, +s) into a
 * value of the column's Iceberg type and tested with the same code the
 * other evaluators use, so rows, partitions and metrics agree exactly.
 *
 * A row whose value sits in a null struct is null. Rows are tested
 * whatever `keep` says; keep[i] is only ever cleared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/datetime.h"

#define MAX_DEPTH 32

typedef enum layout {
	L_NULL,
	L_BOOL,
	L_INT8,
	L_UINT8,
	L_INT16,
	L_UINT16,
	L_INT32,
	L_UINT32,
	L_INT64,
	L_UINT64,
	L_FLOAT,
	L_DOUBLE,
	L_DECIMAL128,
	L_DATE32,       /* days */
	L_DATE64,       /* milliseconds */
	L_TIME32_S,
	L_TIME32_MS,
	L_TIME64_US,
	L_TIME64_NS,
	L_TS_S,
	L_TS_MS,
	L_TS_US,
	L_TS_NS,
	L_UTF8,         /* 32-bit offsets */
	L_LARGE_UTF8,   /* 64-bit offsets */
	L_BINARY,
	L_LARGE_BINARY,
	L_FIXED,
} layout;

typedef struct column {
	const struct ArrowArray *path[MAX_DEPTH]; /* the batch, parent structs, the column */
	int depth;                                /* entries in path */
	layout layout;
	int32_t width;                            /* fixed-size binary */
	int32_t scale;                            /* decimals */
	ice_type_id type;                         /* the column's Iceberg type */
} column;

static bool parse_layout(const char *f, column *c)
{
	c->width = 0;
	c->scale = 0;
	if (!f)
		return false;
	if (f[0] && !f[1]) {
		switch (f[0]) {
		case 'n': c->layout = L_NULL; return true;
		case 'b': c->layout = L_BOOL; return true;
		case 'c': c->layout = L_INT8; return true;
		case 'C': c->layout = L_UINT8; return true;
		case 's': c->layout = L_INT16; return true;
		case 'S': c->layout = L_UINT16; return true;
		case 'i': c->layout = L_INT32; return true;
		case 'I': c->layout = L_UINT32; return true;
		case 'l': c->layout = L_INT64; return true;
		case 'L': c->layout = L_UINT64; return true;
		case 'f': c->layout = L_FLOAT; return true;
		case 'g': c->layout = L_DOUBLE; return true;
		case 'u': c->layout = L_UTF8; return true;
		case 'U': c->layout = L_LARGE_UTF8; return true;
		case 'z': c->layout = L_BINARY; return true;
		case 'Z': c->layout = L_LARGE_BINARY; return true;
		default: return false;
		}
	}
	if (f[0] == 'd' && f[1] == ':') {
		int p = 0, s = 0, w = 128, n = 0;
		if (sscanf(f, "d:%d,%d%n", &p, &s, &n) < 2)
			return false;
		if (f[n] == ',' && sscanf(f + n, ",%d", &w) != 1)
			return false;
		if (w != 128 || s < 0 || s > 38)
			return false;
		c->layout = L_DECIMAL128;
		c->scale = s;
		return true;
	}
	if (f[0] == 'w' && f[1] == ':') {
		int w = atoi(f + 2);
		if (w <= 0)
			return false;
		c->layout = L_FIXED;
		c->width = w;
		return true;
	}
	if (!strcmp(f, "tdD")) return c->layout = L_DATE32, true;
	if (!strcmp(f, "tdm")) return c->layout = L_DATE64, true;
	if (!strcmp(f, "tts")) return c->layout = L_TIME32_S, true;
	if (!strcmp(f, "ttm")) return c->layout = L_TIME32_MS, true;
	if (!strcmp(f, "ttu")) return c->layout = L_TIME64_US, true;
	if (!strcmp(f, "ttn")) return c->layout = L_TIME64_NS, true;
	if (f[0] == 't' && f[1] == 's' && f[2] && f[3] == ':') {
		switch (f[2]) {
		case 's': c->layout = L_TS_S; return true;
		case 'm': c->layout = L_TS_MS; return true;
		case 'u': c->layout = L_TS_US; return true;
		case 'n': c->layout = L_TS_NS; return true;
		default: return false;
		}
	}
	return false;
}

static bool bit(const void *bitmap, int64_t i)
{
	return (((const uint8_t *)bitmap)[i >> 3] >> (i & 7)) & 1;
}

static const void *buffer(const struct ArrowArray *a, int k)
{
	return a->n_buffers > k ? a->buffers[k] : NULL;
}

/* The leaf's physical index for row `row`, or -1 when the value is null. */
static int64_t locate(const column *c, int64_t row)
{
	int64_t j = row;
	for (int k = 0; k < c->depth; k++) {
		const struct ArrowArray *a = c->path[k];
		int64_t pos = j + a->offset;
		const void *validity = buffer(a, 0);
		if (a->null_count != 0 && validity && !bit(validity, pos))
			return -1;
		j = pos;
	}
	return j;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return ice_floordiv(a, b);
}

/* Row value at physical index i of the leaf, as a literal of the column's type. */
static void read_value(const column *c, int64_t i, ice_literal *v)
{
	const struct ArrowArray *a = c->path[c->depth - 1];
	const void *data = buffer(a, 1);
	int64_t x = 0;
	memset(v, 0, sizeof(*v));
	v->type = c->type;
	switch (c->layout) {
	case L_NULL: v->is_null = true; return;
	case L_BOOL: v->v.b = bit(data, i); v->type = ICE_TYPE_BOOLEAN; return;
	case L_INT8: x = ((const int8_t *)data)[i]; break;
	case L_UINT8: x = ((const uint8_t *)data)[i]; break;
	case L_INT16: x = ((const int16_t *)data)[i]; break;
	case L_UINT16: x = ((const uint16_t *)data)[i]; break;
	case L_INT32: x = ((const int32_t *)data)[i]; break;
	case L_UINT32: x = ((const uint32_t *)data)[i]; break;
	case L_INT64: x = ((const int64_t *)data)[i]; break;
	case L_UINT64: {
		uint64_t u = ((const uint64_t *)data)[i];
		x = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		break;
	}
	case L_FLOAT:
		if (c->type == ICE_TYPE_DOUBLE) {
			v->v.f64 = ((const float *)data)[i];
		} else {
			v->type = ICE_TYPE_FLOAT;
			v->v.f32 = ((const float *)data)[i];
		}
		return;
	case L_DOUBLE: v->type = ICE_TYPE_DOUBLE; v->v.f64 = ((const double *)data)[i]; return;
	case L_DECIMAL128: {
		const uint8_t *p = (const uint8_t *)data + i * 16;
		v->type = ICE_TYPE_DECIMAL;
		memcpy(&v->v.dec.lo, p, 8);
		memcpy(&v->v.dec.hi, p + 8, 8);
		v->scale = c->scale;
		return;
	}
	case L_DATE32: v->type = ICE_TYPE_DATE; v->v.i32 = ((const int32_t *)data)[i]; return;
	case L_DATE64:
		v->type = ICE_TYPE_DATE;
		v->v.i32 = (int32_t)floordiv(((const int64_t *)data)[i], 86400000);
		return;
	case L_TIME32_S: v->type = ICE_TYPE_TIME; v->v.i64 = (int64_t)((const int32_t *)data)[i] * 1000000; return;
	case L_TIME32_MS: v->type = ICE_TYPE_TIME; v->v.i64 = (int64_t)((const int32_t *)data)[i] * 1000; return;
	case L_TIME64_US: v->type = ICE_TYPE_TIME; v->v.i64 = ((const int64_t *)data)[i]; return;
	case L_TIME64_NS: v->type = ICE_TYPE_TIME; v->v.i64 = floordiv(((const int64_t *)data)[i], 1000); return;
	case L_TS_S:
	case L_TS_MS:
	case L_TS_US:
	case L_TS_NS: {
		bool tz = c->type == ICE_TYPE_TIMESTAMPTZ || c->type == ICE_TYPE_TIMESTAMPTZ_NS;
		int64_t t = ((const int64_t *)data)[i];
		if (c->layout == L_TS_NS) {
			v->type = tz ? ICE_TYPE_TIMESTAMPTZ_NS : ICE_TYPE_TIMESTAMP_NS;
			v->v.i64 = t;
		} else {
			int64_t m = c->layout == L_TS_S ? 1000000 : c->layout == L_TS_MS ? 1000 : 1;
			v->type = tz ? ICE_TYPE_TIMESTAMPTZ : ICE_TYPE_TIMESTAMP;
			if (__builtin_mul_overflow(t, m, &v->v.i64))
				v->v.i64 = t < 0 ? INT64_MIN : INT64_MAX;
		}
		return;
	}
	case L_UTF8:
	case L_BINARY: {
		const int32_t *off = data;
		const uint8_t *bytes = buffer(a, 2);
		v->v.bytes.data = bytes ? bytes + off[i] : (const uint8_t *)"";
		v->v.bytes.len = (size_t)(off[i + 1] - off[i]);
		return;
	}
	case L_LARGE_UTF8:
	case L_LARGE_BINARY: {
		const int64_t *off = data;
		const uint8_t *bytes = buffer(a, 2);
		v->v.bytes.data = bytes ? bytes + off[i] : (const uint8_t *)"";
		v->v.bytes.len = (size_t)(off[i + 1] - off[i]);
		return;
	}
	case L_FIXED:
		v->v.bytes.data = (const uint8_t *)data + i * c->width;
		v->v.bytes.len = (size_t)c->width;
		return;
	}
	/* integers */
	switch (c->type) {
	case ICE_TYPE_INT: v->v.i32 = (int32_t)x; return;
	case ICE_TYPE_DATE: v->v.i32 = (int32_t)x; return;
	case ICE_TYPE_FLOAT: v->v.f32 = (float)x; return;
	case ICE_TYPE_DOUBLE: v->v.f64 = (double)x; return;
	case ICE_TYPE_DECIMAL:
		v->v.dec = ice_decimal128_from_int64(x);
		v->scale = 0;
		return;
	default: v->type = ICE_TYPE_LONG; v->v.i64 = x; return;
	}
}

/* Find field `id` in the batch type, filling the array path. */
static bool find_path(const ice_type *st, const struct ArrowArray *a, const struct ArrowSchema *s, int32_t id,
                      column *c, const struct ArrowSchema **leaf_schema)
{
	if (c->depth >= MAX_DEPTH)
		return false;
	c->path[c->depth++] = a;
	for (size_t i = 0; i < st->u.struct_.nfields && (int64_t)i < a->n_children && (int64_t)i < s->n_children; i++) {
		const ice_field *f = &st->u.struct_.fields[i];
		if (f->id == id) {
			if (c->depth >= MAX_DEPTH)
				return false;
			c->path[c->depth++] = a->children[i];
			*leaf_schema = s->children[i];
			return true;
		}
		if (f->type->id == ICE_TYPE_STRUCT &&
		    find_path(f->type, a->children[i], s->children[i], id, c, leaf_schema))
			return true;
	}
	c->depth--;
	return false;
}

/*
 * Comparisons of a top-level column of plain integers or floating point with
 * a literal of the column's own type and unit: a tight loop over the values
 * (the general path builds a value per row). False when this does not apply.
 */
#define FAST_LOOP(T, VALUE)                                                                         \
	do {                                                                                        \
		const T *d = (const T *)data + off;                                                 \
		for (int64_t r = 0; r < n; r++) {                                                  \
			T x = d[r];                                                                 \
			bool valid = !validity || bit(validity, off + r);                           \
			bool m;                                                                     \
			switch (p->op) {                                                            \
			case ICE_OP_LT: m = x < (VALUE); break;                                     \
			case ICE_OP_LT_EQ: m = x <= (VALUE); break;                                 \
			case ICE_OP_GT: m = x > (VALUE); break;                                     \
			case ICE_OP_GT_EQ: m = x >= (VALUE); break;                                 \
			case ICE_OP_EQ: m = x == (VALUE); break;                                    \
			default: m = !(x == (VALUE)); break; /* != holds for null and NaN */        \
			}                                                                           \
			res[r] = p->op == ICE_OP_NOT_EQ ? (!valid || m) : (valid && m);             \
		}                                                                                   \
	} while (0)

/* Whether values of `layout` are in the unit of Iceberg type `t` as literals hold it. */
static bool same_unit(layout l, ice_type_id t)
{
	switch (l) {
	case L_INT32: return t == ICE_TYPE_INT || t == ICE_TYPE_DATE;
	case L_DATE32: return t == ICE_TYPE_DATE;
	case L_INT64: return t == ICE_TYPE_LONG;
	case L_TIME64_US: return t == ICE_TYPE_TIME;
	case L_TS_US: return t == ICE_TYPE_TIMESTAMP || t == ICE_TYPE_TIMESTAMPTZ;
	case L_TS_NS: return t == ICE_TYPE_TIMESTAMP_NS || t == ICE_TYPE_TIMESTAMPTZ_NS;
	case L_DOUBLE: return t == ICE_TYPE_DOUBLE;
	case L_FLOAT: return t == ICE_TYPE_FLOAT;
	default: return false;
	}
}

static bool fast_compare(const ice_expr *p, const column *c, int64_t n, uint8_t *res)
{
	const struct ArrowArray *batch = c->path[0], *a = c->path[c->depth - 1];
	if (c->depth != 2 || p->nlits != 1 || p->op < ICE_OP_LT || p->op > ICE_OP_NOT_EQ || batch->null_count != 0)
		return false;
	const ice_literal *lit = &p->lits[0];
	const void *data = buffer(a, 1);
	const void *validity = a->null_count != 0 ? buffer(a, 0) : NULL;
	int64_t off = a->offset + batch->offset;
	if (!data || lit->is_null || lit->type != c->type || !same_unit(c->layout, c->type))
		return false;
	switch (c->layout) {
	case L_INT32:
	case L_DATE32: FAST_LOOP(int32_t, lit->v.i32); break;
	case L_DOUBLE: FAST_LOOP(double, lit->v.f64); break; /* NaN compares false, and != true */
	case L_FLOAT: FAST_LOOP(float, lit->v.f32); break;
	default: FAST_LOOP(int64_t, lit->v.i64); break;
	}
	return true;
}

static int eval_pred(const ice_expr *p, const ice_type *bt, const struct ArrowArray *batch,
                     const struct ArrowSchema *schema, uint8_t *res)
{
	column c;
	const struct ArrowSchema *leaf = NULL;
	ice_literal v;
	memset(&c, 0, sizeof(c));
	if (!p->bound)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' is not bound", p->column);
	if (!find_path(bt, batch, schema, p->field_id, &c, &leaf))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: column '%s' (field id %d) is not in the batch",
		                      p->column, (int)p->field_id);
	if (!parse_layout(leaf->format, &c))
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_EXPR,
		                      "where: column '%s': Arrow format '%s' cannot be filtered", p->column,
		                      leaf->format ? leaf->format : "?");
	if (c.path[c.depth - 1]->dictionary)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_EXPR,
		                      "where: column '%s': dictionary-encoded arrays cannot be filtered", p->column);
	c.type = p->type.id;
	if (fast_compare(p, &c, batch->length, res))
		return 0;
	for (int64_t r = 0; r < batch->length; r++) {
		int64_t i = locate(&c, r);
		if (i < 0) {
			memset(&v, 0, sizeof(v));
			v.type = c.type;
			v.is_null = true;
		} else {
			read_value(&c, i, &v);
		}
		res[r] = ice_expr__test(p, &v);
	}
	return 0;
}

static int eval_tree(const ice_expr *e, const ice_type *bt, const struct ArrowArray *batch,
                     const struct ArrowSchema *schema, uint8_t *res)
{
	int64_t n = batch->length;
	uint8_t *other;
	int rc;
	switch (e->kind) {
	case ICE_EXPR_TRUE:
	case ICE_EXPR_FALSE: memset(res, e->kind == ICE_EXPR_TRUE, (size_t)n); return 0;
	case ICE_EXPR_PREDICATE: return eval_pred(e, bt, batch, schema, res);
	case ICE_EXPR_NOT:
		if ((rc = eval_tree(e->child[0], bt, batch, schema, res)) != 0)
			return rc;
		for (int64_t i = 0; i < n; i++)
			res[i] = !res[i];
		return 0;
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = eval_tree(e->child[0], bt, batch, schema, res)) != 0)
			return rc;
		if (!(other = ice__malloc((size_t)n)))
			return ICE_ERROR;
		if ((rc = eval_tree(e->child[1], bt, batch, schema, other)) == 0) {
			if (e->kind == ICE_EXPR_AND)
				for (int64_t i = 0; i < n; i++)
					res[i] &= other[i];
			else
				for (int64_t i = 0; i < n; i++)
					res[i] |= other[i];
		}
		ice__free(other);
		return rc;
	}
	return ICE_ERROR;
}

int ice_expr_eval_batch(const ice_expr *bound, const ice_type *batch_type, const struct ArrowArray *batch,
                        const struct ArrowSchema *batch_schema, uint8_t *keep)
{
	uint8_t *res;
	int rc;
	if (!bound || !batch_type || batch_type->id != ICE_TYPE_STRUCT || !batch || !batch_schema || !keep)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: row evaluation needs an expression, a struct type and a batch");
	if (batch->length <= 0)
		return 0;
	if (bound->kind == ICE_EXPR_TRUE)
		return 0;
	if (!(res = ice__malloc((size_t)batch->length)))
		return ICE_ERROR;
	if ((rc = eval_tree(bound, batch_type, batch, batch_schema, res)) == 0)
		for (int64_t i = 0; i < batch->length; i++)
			keep[i] &= res[i];
	ice__free(res);
	return rc;
}
