/*
 * parquet/stats.c - column statistics and Iceberg metrics.
 *
 * Footer statistics become Iceberg literals when they can be trusted:
 * min_value/max_value always (they follow the column order), the
 * deprecated min/max only for types whose order is signed (booleans,
 * signed integers, dates, timestamps, floats), never a NaN bound
 * (Parquet "Statistics", PARQUET-1222). The same code turns a file's footer
 * into the per-column metrics a manifest entry holds (Iceberg spec
 * "Manifests": column_sizes, value_counts, null_value_counts, lower_bounds,
 * upper_bounds), for registering files written elsewhere; the writer builds
 * its metrics with the helpers at the end.
 */
#include <math.h>

#include "internal.h"
#include "util/int128.h"

static bool fixed_len_ok(size_t len, size_t want)
{
	return len == want;
}

bool ice_parquet__bound_literal(ice_literal *out, const ice_type *type, const pq_leaf *l, const uint8_t *d,
                                size_t len)
{
	if (!type)
		return false;
	*out = ice_literal_null(type->id);
	out->is_null = false;
	switch (type->id) {
	case ICE_TYPE_BOOLEAN:
		if (len < 1)
			return false;
		out->v.b = d[0] & 1;
		return true;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE:
		if (!fixed_len_ok(len, 4) || l->type != ICE_PARQUET_INT32)
			return false;
		out->v.i32 = (int32_t)pq_load32(d);
		return true;
	case ICE_TYPE_LONG:
		if (l->type == ICE_PARQUET_INT32 && len == 4) {
			out->v.i64 = (int64_t)pq_load32(d); /* UINT_32 */
			return true;
		}
		if (!fixed_len_ok(len, 8))
			return false;
		out->v.i64 = (int64_t)pq_load64(d);
		return true;
	case ICE_TYPE_FLOAT:
		if (!fixed_len_ok(len, 4))
			return false;
		memcpy(&out->v.f32, d, 4);
		return !isnan(out->v.f32);
	case ICE_TYPE_DOUBLE:
		if (!fixed_len_ok(len, 8))
			return false;
		memcpy(&out->v.f64, d, 8);
		return !isnan(out->v.f64);
	case ICE_TYPE_TIME:
		if (l->type == ICE_PARQUET_INT32 && len == 4) {
			out->v.i64 = (int64_t)(int32_t)pq_load32(d) * 1000;
			return true;
		}
		if (!fixed_len_ok(len, 8))
			return false;
		out->v.i64 = (int64_t)pq_load64(d);
		return true;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: {
		if (l->type != ICE_PARQUET_INT64 || !fixed_len_ok(len, 8))
			return false;
		int64_t v = (int64_t)pq_load64(d);
		if (!strncmp(l->format, "tsm", 3)) { /* millis -> micros */
			if (__builtin_mul_overflow(v, 1000, &v))
				return false;
		}
		out->v.i64 = v;
		return true;
	}
	case ICE_TYPE_DECIMAL: {
		ice_i128 v;
		out->scale = type->u.decimal.scale;
		if (l->type == ICE_PARQUET_INT32 && len == 4)
			v = (int32_t)pq_load32(d);
		else if (l->type == ICE_PARQUET_INT64 && len == 8)
			v = (int64_t)pq_load64(d);
		else if ((l->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY || l->type == ICE_PARQUET_BYTE_ARRAY) && len >= 1 &&
		         len <= 16)
			ice_i128__from_be(d, len, &v);
		else
			return false;
		out->v.dec.lo = (uint64_t)v;
		out->v.dec.hi = (int64_t)(v >> 64);
		return true;
	}
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
		out->v.bytes.data = d;
		out->v.bytes.len = len;
		return true;
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
		if ((int32_t)len != l->type_length)
			return false;
		out->v.bytes.data = d;
		out->v.bytes.len = len;
		return true;
	default:
		return false;
	}
}

/* Whether the deprecated (signed-order) min/max are sound for this leaf. */
static bool legacy_order_ok(const pq_leaf *l, const ice_type *t)
{
	if (!t)
		return false;
	switch (l->type) {
	case ICE_PARQUET_BOOLEAN:
	case ICE_PARQUET_FLOAT:
	case ICE_PARQUET_DOUBLE: return true;
	case ICE_PARQUET_INT32:
	case ICE_PARQUET_INT64:
		/* unsigned integers were compared as signed */
		return l->format[0] != 'I' && l->format[0] != 'L' && l->format[0] != 'C' && l->format[0] != 'S';
	default: return false;
	}
}

void ice_parquet__stats_export(ice_parquet_statistics *o, const pq_stats_raw *raw, const pq_leaf *l,
                               const pq_element *el, bool type_order)
{
	const ice_type *t = l->col->iceberg_type;
	(void)el;
	memset(o, 0, sizeof(*o));
	o->has_null_count = raw->has_null_count;
	o->null_count = raw->null_count;
	o->has_distinct_count = raw->has_distinct_count;
	o->distinct_count = raw->distinct_count;
	o->min_value = ice_literal_null(t ? t->id : ICE_TYPE_INVALID);
	o->max_value = ice_literal_null(t ? t->id : ICE_TYPE_INVALID);
	if (raw->has_min_value || raw->has_max_value) {
		o->has_min = raw->has_min_value;
		o->has_max = raw->has_max_value;
		o->min = raw->min_value;
		o->max = raw->max_value;
		o->min_exact = raw->has_min_exact ? raw->min_exact : true;
		o->max_exact = raw->has_max_exact ? raw->max_exact : true;
		(void)type_order;
		if (o->has_min && !ice_parquet__bound_literal(&o->min_value, t, l, o->min.data, o->min.len))
			o->min_value = ice_literal_null(t ? t->id : ICE_TYPE_INVALID);
		if (o->has_max && !ice_parquet__bound_literal(&o->max_value, t, l, o->max.data, o->max.len))
			o->max_value = ice_literal_null(t ? t->id : ICE_TYPE_INVALID);
		return;
	}
	o->has_min = raw->has_min;
	o->has_max = raw->has_max;
	o->min = raw->min;
	o->max = raw->max;
	o->min_exact = o->max_exact = true;
	if (legacy_order_ok(l, t)) {
		if (o->has_min && !ice_parquet__bound_literal(&o->min_value, t, l, o->min.data, o->min.len))
			o->min_value = ice_literal_null(t->id);
		if (o->has_max && !ice_parquet__bound_literal(&o->max_value, t, l, o->max.data, o->max.len))
			o->max_value = ice_literal_null(t->id);
	}
}

/* ---- ordering of bound literals (primitive types only) --------------------------- */

int ice_parquet__literal_cmp(const ice_literal *a, const ice_literal *b)
{
	switch (a->type) {
	case ICE_TYPE_BOOLEAN: return (int)a->v.b - (int)b->v.b;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
	case ICE_TYPE_FLOAT: {
		/* -0.0 sorts before 0.0 as in the spec */
		float x = a->v.f32, y = b->v.f32;
		if (x == y)
			return signbit(y) - signbit(x);
		return (x > y) - (x < y);
	}
	case ICE_TYPE_DOUBLE: {
		double x = a->v.f64, y = b->v.f64;
		if (x == y)
			return signbit(y) - signbit(x);
		return (x > y) - (x < y);
	}
	case ICE_TYPE_DECIMAL: {
		ice_i128 x = (ice_i128)(((ice_u128)(uint64_t)a->v.dec.hi << 64) | a->v.dec.lo);
		ice_i128 y = (ice_i128)(((ice_u128)(uint64_t)b->v.dec.hi << 64) | b->v.dec.lo);
		return (x > y) - (x < y);
	}
	default: {
		size_t n = a->v.bytes.len < b->v.bytes.len ? a->v.bytes.len : b->v.bytes.len;
		int c = n ? memcmp(a->v.bytes.data, b->v.bytes.data, n) : 0;
		if (c)
			return c;
		return (a->v.bytes.len > b->v.bytes.len) - (a->v.bytes.len < b->v.bytes.len);
	}
	}
}

/* ---- metrics objects ---------------------------------------------------------------- */

typedef struct metrics_impl {
	ice_parquet_file_metrics pub;
	ice_arena arena;
} metrics_impl;

ice_parquet_file_metrics *ice_parquet__metrics_new(size_t ncolumns, size_t nsplits, ice_arena **arena_out)
{
	metrics_impl *m = ice__calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	ice_arena__init(&m->arena, 4096);
	ice_parquet_column_metrics *cols = ice_arena__allocarray(&m->arena, ncolumns ? ncolumns : 1, sizeof(*cols));
	int64_t *splits = ice_arena__allocarray(&m->arena, nsplits ? nsplits : 1, sizeof(int64_t));
	if (!cols || !splits) {
		ice_arena__free(&m->arena);
		ice__free(m);
		return NULL;
	}
	m->pub.columns = cols;
	m->pub.split_offsets = splits;
	*arena_out = &m->arena;
	return &m->pub;
}

void ice_parquet_file_metrics_free(ice_parquet_file_metrics *pub)
{
	metrics_impl *m = (metrics_impl *)pub;
	if (!m)
		return;
	ice_arena__free(&m->arena);
	ice__free(m);
}

const ice_parquet_column_metrics *ice_parquet_file_metrics_column(const ice_parquet_file_metrics *m, int32_t id)
{
	for (size_t i = 0; i < m->ncolumns; i++)
		if (m->columns[i].field_id == id)
			return &m->columns[i];
	return NULL;
}

/* Copy a literal's payload into the arena. */
bool ice_parquet__literal_own(ice_literal *l, ice_arena *a)
{
	if (l->is_null)
		return true;
	switch (l->type) {
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID: {
		void *p = ice_arena__memdup(a, l->v.bytes.data, l->v.bytes.len ? l->v.bytes.len : 1);
		if (!p)
			return false;
		l->v.bytes.data = p;
		return true;
	}
	default: return true;
	}
}

static bool under_repeated(const ice_parquet_column *c)
{
	for (; c; c = c->parent)
		if (c->repetition == ICE_PARQUET_REPEATED)
			return true;
	return false;
}

static int reader_metrics(ice_parquet_file_metrics **out, const ice_parquet_reader *r, const int32_t *leaf_ids);

int ice_parquet_reader_metrics(ice_parquet_file_metrics **out, const ice_parquet_reader *r)
{
	return reader_metrics(out, r, NULL);
}

int ice_parquet_reader_metrics_by_leaf_ids(ice_parquet_file_metrics **out, const ice_parquet_reader *r,
                                           const int32_t *leaf_ids)
{
	return reader_metrics(out, r, leaf_ids);
}

/* leaf_ids: the field id of each leaf (0: left out), or NULL for the file's. */
static int reader_metrics(ice_parquet_file_metrics **out, const ice_parquet_reader *r, const int32_t *leaf_ids)
{
	ice_arena *arena;
	const pq_schema *s = &r->schema;
	*out = NULL;
	ice_parquet_file_metrics *m = ice_parquet__metrics_new(s->nleaves, r->meta.nrow_groups, &arena);
	if (!m)
		return ICE_ERROR;
	ice_parquet_column_metrics *cols = (ice_parquet_column_metrics *)m->columns;
	int64_t *splits = (int64_t *)m->split_offsets;
	m->file_size = (int64_t)r->file_size;
	m->record_count = r->meta.num_rows;
	for (size_t g = 0; g < r->meta.nrow_groups; g++)
		splits[g] = r->row_groups[g].file_offset;
	m->nsplit_offsets = r->meta.nrow_groups;
	for (size_t i = 0; i < s->nleaves; i++) {
		const pq_leaf *l = &s->leaves[i];
		const ice_type *t = l->col->iceberg_type;
		int32_t id = leaf_ids ? leaf_ids[i] : l->col->has_field_id ? l->col->field_id : 0;
		if (id <= 0 || !t)
			continue;
		ice_parquet_column_metrics *c = &cols[m->ncolumns++];
		memset(c, 0, sizeof(*c));
		c->field_id = id;
		c->nan_count = -1;
		c->lower_bound = ice_literal_null(t->id);
		c->upper_bound = ice_literal_null(t->id);
		bool bounds = !under_repeated(l->col) && r->meta.nrow_groups > 0;
		bool nulls_known = true;
		for (size_t g = 0; g < r->meta.nrow_groups; g++) {
			const ice_parquet_column_chunk *cc = &r->row_groups[g].columns[i];
			c->column_size += cc->total_compressed_size;
			c->value_count += cc->num_values;
			const ice_parquet_statistics *st = &cc->statistics;
			if (!cc->has_statistics || !st->has_null_count)
				nulls_known = false;
			else
				c->null_count += st->null_count;
			bool all_null = cc->has_statistics && st->has_null_count && st->null_count == cc->num_values;
			if (all_null)
				continue;
			if (!cc->has_statistics || st->min_value.is_null || st->max_value.is_null || !st->min_exact ||
			    !st->max_exact) {
				bounds = false;
				continue;
			}
			if (!c->has_bounds || ice_parquet__literal_cmp(&st->min_value, &c->lower_bound) < 0)
				c->lower_bound = st->min_value;
			if (!c->has_bounds || ice_parquet__literal_cmp(&st->max_value, &c->upper_bound) > 0)
				c->upper_bound = st->max_value;
			c->has_bounds = true;
		}
		if (!nulls_known)
			c->null_count = -1;
		if (!bounds || !c->has_bounds) {
			c->has_bounds = false;
			c->lower_bound = ice_literal_null(t->id);
			c->upper_bound = ice_literal_null(t->id);
		} else if (!ice_parquet__literal_own(&c->lower_bound, arena) ||
		           !ice_parquet__literal_own(&c->upper_bound, arena)) {
			ice_parquet_file_metrics_free(m);
			return ICE_ERROR;
		}
	}
	*out = m;
	return 0;
}
