/*
 * write/take.c - rows of Arrow arrays copied into column builders by index,
 * and single values read back as literals: what routes the rows of a
 * converted Parquet batch to their partitions and what puts a sorted run
 * in order (data_writer.c, sort.c). The arrays are those of the table's
 * types as columns.c and convert.c lay them out: validity bitmaps,
 * bits, fixed-width values, 32- or 64-bit offsets with data, structs,
 * lists and maps (a list of key/value structs), with any array offset.
 */
#include <string.h>

#include "columns.h"
#include "util/alloc.h"
#include "util/error.h"

static bool valid_at(const struct ArrowArray *a, int64_t i)
{
	const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
	i += a->offset;
	return !v || a->null_count == 0 || ((v[i >> 3] >> (i & 7)) & 1);
}

/* Bytes of one value of a fixed-width type (0 for other layouts). */
static size_t fixed_width(const ice_type *t)
{
	switch (t->id) {
	case ICE_TYPE_INT:
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DATE: return 4;
	case ICE_TYPE_LONG:
	case ICE_TYPE_DOUBLE:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: return 8;
	case ICE_TYPE_DECIMAL:
	case ICE_TYPE_UUID: return 16;
	case ICE_TYPE_FIXED: return (size_t)t->u.fixed.length;
	default: return 0;
	}
}

static bool large_offsets(const struct ArrowSchema *s)
{
	return s && (s->format[0] == 'U' || s->format[0] == 'Z');
}

/* The [start, end) range of variable-length value i. */
static void range_at(const struct ArrowArray *a, bool large, int64_t i, int64_t *start, int64_t *end)
{
	i += a->offset;
	if (large) {
		const int64_t *o = a->buffers[1];
		*start = o[i];
		*end = o[i + 1];
	} else {
		const int32_t *o = a->buffers[1];
		*start = o[i];
		*end = o[i + 1];
	}
}

int ice_columns__literal_at(ice_literal *out, const ice_type *t, const struct ArrowArray *a,
                            const struct ArrowSchema *s, int64_t row)
{
	*out = ice_literal_null(t->id);
	if (!valid_at(a, row))
		return 0;
	int64_t i = row + a->offset;
	out->is_null = false;
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: {
		const uint8_t *bits = a->buffers[1];
		out->v.b = (bits[i >> 3] >> (i & 7)) & 1;
		return 0;
	}
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: memcpy(&out->v.i32, (const uint8_t *)a->buffers[1] + 4 * i, 4); return 0;
	case ICE_TYPE_FLOAT: memcpy(&out->v.f32, (const uint8_t *)a->buffers[1] + 4 * i, 4); return 0;
	case ICE_TYPE_DOUBLE: memcpy(&out->v.f64, (const uint8_t *)a->buffers[1] + 8 * i, 8); return 0;
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: memcpy(&out->v.i64, (const uint8_t *)a->buffers[1] + 8 * i, 8); return 0;
	case ICE_TYPE_DECIMAL: {
		const uint8_t *p = (const uint8_t *)a->buffers[1] + 16 * i;
		memcpy(&out->v.dec.lo, p, 8);
		memcpy(&out->v.dec.hi, p + 8, 8);
		out->scale = t->u.decimal.scale;
		return 0;
	}
	case ICE_TYPE_UUID:
	case ICE_TYPE_FIXED: {
		size_t w = fixed_width(t);
		out->v.bytes.data = (const uint8_t *)a->buffers[1] + w * (size_t)i;
		out->v.bytes.len = w;
		return 0;
	}
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: {
		int64_t start, end;
		range_at(a, large_offsets(s), row, &start, &end);
		out->v.bytes.data = (const uint8_t *)a->buffers[2] + start;
		out->v.bytes.len = (size_t)(end - start);
		return 0;
	}
	default:
		*out = ice_literal_null(t->id);
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s values cannot be read as one literal",
		                      ice_type_id_name(t->id));
	}
}

/* ---- take ------------------------------------------------------------------------- */

/* The validity bit of row `i` of the builder (its length, or beyond it
 * for a struct whose length grows after its children's). */
static int put_valid_at(col_builder *b, int64_t i, bool valid)
{
	if ((size_t)(i / 8) >= b->validity.len && ice_buf__putc(&b->validity, 0))
		return ICE_ERROR;
	if (valid)
		((uint8_t *)b->validity.ptr)[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		b->null_count++;
	return 0;
}

static int put_valid(col_builder *b, bool valid)
{
	return put_valid_at(b, b->length, valid);
}

/* The validity bits of `n` taken rows, appended after the builder's. */
static int put_bits(col_builder *b, const struct ArrowArray *a, const int64_t *rows, size_t n)
{
	int64_t end = b->length + (int64_t)n;
	size_t need = (size_t)((end + 7) / 8);
	if (need > b->validity.len && !ice_buf__reserve(&b->validity, need - b->validity.len))
		return ICE_ERROR;
	uint8_t *bits = (uint8_t *)b->validity.ptr;
	const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
	if (!v || a->null_count == 0) {
		int64_t i = b->length;
		for (; i < end && (i & 7); i++)
			bits[i >> 3] |= (uint8_t)(1u << (i & 7));
		if (end - i >= 8) {
			memset(bits + (i >> 3), 0xff, (size_t)((end - i) >> 3));
			i += (end - i) & ~(int64_t)7;
		}
		for (; i < end; i++)
			bits[i >> 3] |= (uint8_t)(1u << (i & 7));
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		int64_t i = b->length + (int64_t)k, j = rows[k] + a->offset;
		if ((v[j >> 3] >> (j & 7)) & 1)
			bits[i >> 3] |= (uint8_t)(1u << (i & 7));
		else
			b->null_count++;
	}
	return 0;
}

static int put_offset(col_builder *b, int64_t v)
{
	if (v > INT32_MAX)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "column %s: more than 2 GiB in one batch", b->name);
	int32_t o = (int32_t)v;
	return ice_buf__put(&b->offsets, &o, 4);
}

static int take(col_builder *b, const ice_type *t, const struct ArrowArray *a, const struct ArrowSchema *s,
                const int64_t *rows, size_t n);

/* Element rows [start, end) of each taken list row, for the child. */
static int child_rows(col_builder *b, const struct ArrowArray *a, const int64_t *rows, size_t n, int64_t child_base,
                      int64_t **out, size_t *nout)
{
	size_t total = 0;
	for (size_t k = 0; k < n; k++)
		if (valid_at(a, rows[k])) {
			int64_t s, e;
			range_at(a, false, rows[k], &s, &e);
			total += (size_t)(e - s);
		}
	int64_t *idx = ice__mallocarray(total ? total : 1, sizeof(int64_t));
	if (!idx)
		return ICE_ERROR;
	size_t m = 0;
	int rc = 0;
	int64_t child_len = child_base;
	if (b->length == 0)
		rc = put_offset(b, child_len);
	for (size_t k = 0; k < n && !rc; k++) {
		bool valid = valid_at(a, rows[k]);
		if ((rc = put_valid(b, valid)) != 0)
			break;
		if (valid) {
			int64_t s, e;
			range_at(a, false, rows[k], &s, &e);
			for (int64_t j = s; j < e; j++)
				idx[m++] = j;
			child_len += e - s;
		}
		rc = put_offset(b, child_len);
		b->length++;
	}
	if (rc) {
		ice__free(idx);
		return rc;
	}
	*out = idx;
	*nout = m;
	return 0;
}

/* Rows that follow each other (a partition's rows of a batch when the input
 * comes in partition order): copied as one range. */
static bool is_run(const int64_t *rows, size_t n)
{
	if (n == 0 || rows[n - 1] - rows[0] != (int64_t)n - 1)
		return false;
	for (size_t k = 1; k < n; k++)
		if (rows[k] != rows[0] + (int64_t)k)
			return false;
	return true;
}

static int take(col_builder *b, const ice_type *t, const struct ArrowArray *a, const struct ArrowSchema *s,
                const int64_t *rows, size_t n)
{
	int rc = 0;
	switch (t ? t->id : ICE_TYPE_STRUCT) {
	case ICE_TYPE_BOOLEAN:
		for (size_t k = 0; k < n && !rc; k++) {
			bool valid = valid_at(a, rows[k]);
			int64_t i = rows[k] + a->offset, j = b->length;
			if ((rc = put_valid(b, valid)) != 0)
				break;
			if ((size_t)(j / 8) >= b->values.len && (rc = ice_buf__putc(&b->values, 0)) != 0)
				break;
			if (valid && ((((const uint8_t *)a->buffers[1])[i >> 3] >> (i & 7)) & 1))
				((uint8_t *)b->values.ptr)[j / 8] |= (uint8_t)(1u << (j % 8));
			b->length++;
		}
		return rc;
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: {
		bool large = large_offsets(s);
		size_t bytes = 0;
		if (b->length == 0 && (rc = put_offset(b, 0)) != 0)
			return rc;
		for (size_t k = 0; k < n; k++) {
			int64_t st, e;
			range_at(a, large, rows[k], &st, &e);
			bytes += (size_t)(e - st);
		}
		if ((int64_t)(b->data.len + bytes) > INT32_MAX)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "column %s: more than 2 GiB in one batch",
			                      b->name);
		size_t at = b->data.len;
		uint8_t *dst = ice_buf__extend(&b->data, bytes);
		int32_t *offsets = (int32_t *)(void *)ice_buf__extend(&b->offsets, 4 * n);
		if ((bytes && !dst) || (n && !offsets) || (rc = put_bits(b, a, rows, n)) != 0)
			return ICE_ERROR;
		dst = (uint8_t *)b->data.ptr;
		const uint8_t *src = a->buffers[2];
		if (is_run(rows, n)) {
			/* its bytes at once, the offsets moved by the same amount */
			int64_t st, e, first;
			range_at(a, large, rows[0], &first, &e);
			range_at(a, large, rows[n - 1], &st, &e);
			if (e > first) /* all empty or null: no buffer to copy to or from */
				memcpy(dst + at, src + first, (size_t)(e - first));
			for (size_t k = 0; k < n; k++) {
				range_at(a, large, rows[k], &st, &e);
				offsets[k] = (int32_t)((int64_t)at + e - first);
			}
			b->length += (int64_t)n;
			return 0;
		}
		for (size_t k = 0; k < n; k++) {
			int64_t st, e;
			range_at(a, large, rows[k], &st, &e);
			size_t len = (size_t)(e - st);
			if (len <= 16) {
				for (size_t j = 0; j < len; j++)
					dst[at + j] = src[st + (int64_t)j];
			} else {
				memcpy(dst + at, src + st, len);
			}
			at += len;
			offsets[k] = (int32_t)at;
		}
		b->length += (int64_t)n;
		return 0;
	}
	case ICE_TYPE_STRUCT: {
		/* The struct's own validity, then each child at the same rows
		 * (children are indexed from the parent's offset). */
		for (size_t k = 0; k < n && !rc; k++)
			rc = put_valid_at(b, b->length + (int64_t)k, valid_at(a, rows[k]));
		if (rc)
			return rc;
		if (a->offset) {
			int64_t *shifted = ice__mallocarray(n ? n : 1, sizeof(int64_t));
			if (!shifted)
				return ICE_ERROR;
			for (size_t k = 0; k < n; k++)
				shifted[k] = rows[k] + a->offset;
			for (size_t c = 0; c < b->nchildren && !rc; c++)
				rc = take(&b->children[c], b->children[c].type, a->children[c], s ? s->children[c] : NULL, shifted,
				          n);
			ice__free(shifted);
		} else {
			for (size_t c = 0; c < b->nchildren && !rc; c++)
				rc = take(&b->children[c], b->children[c].type, a->children[c], s ? s->children[c] : NULL, rows, n);
		}
		if (!rc)
			b->length += (int64_t)n;
		return rc;
	}
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		int64_t *idx = NULL;
		size_t m = 0;
		col_builder *child = &b->children[0];
		if ((rc = child_rows(b, a, rows, n, child->length, &idx, &m)) != 0)
			return rc;
		rc = take(child, child->type, a->children[0], s ? s->children[0] : NULL, idx, m);
		ice__free(idx);
		return rc;
	}
	default: {
		size_t w = fixed_width(t);
		if (!w)
			return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "column %s: %s values cannot be copied",
			                      b->name, ice_type_id_name(t->id));
		uint8_t *dst = ice_buf__extend(&b->values, w * n);
		if (!dst || (rc = put_bits(b, a, rows, n)) != 0)
			return ICE_ERROR;
		const uint8_t *src = (const uint8_t *)a->buffers[1] + w * (size_t)a->offset;
		/* Nulls copy whatever the source holds: a value nobody reads. */
		if (is_run(rows, n)) {
			memcpy(dst, src + w * (size_t)rows[0], w * n);
			b->length += (int64_t)n;
			return 0;
		}
		switch (w) {
		case 4:
			for (size_t k = 0; k < n; k++)
				memcpy(dst + 4 * k, src + 4 * rows[k], 4);
			break;
		case 8:
			for (size_t k = 0; k < n; k++)
				memcpy(dst + 8 * k, src + 8 * rows[k], 8);
			break;
		case 16:
			for (size_t k = 0; k < n; k++)
				memcpy(dst + 16 * k, src + 16 * rows[k], 16);
			break;
		default:
			for (size_t k = 0; k < n; k++)
				memcpy(dst + w * k, src + w * (size_t)rows[k], w);
			break;
		}
		b->length += (int64_t)n;
		return 0;
	}
	}
}

int ice_columns__take(col_builder *b, const struct ArrowArray *batch, const struct ArrowSchema *schema,
                      const int64_t *rows, size_t n)
{
	int rc = 0;
	const int64_t *r = rows;
	int64_t *shifted = NULL;
	if (batch->offset) {
		if (!(shifted = ice__mallocarray(n ? n : 1, sizeof(int64_t))))
			return ICE_ERROR;
		for (size_t k = 0; k < n; k++)
			shifted[k] = rows[k] + batch->offset;
		r = shifted;
	}
	for (size_t c = 0; c < b->nchildren && !rc; c++)
		rc = take(&b->children[c], b->children[c].type, batch->children[c], schema ? schema->children[c] : NULL, r,
		          n);
	ice__free(shifted);
	if (!rc)
		b->length += (int64_t)n;
	return rc;
}

int ice_columns__take_column(col_builder *b, size_t c, const struct ArrowArray *batch,
                             const struct ArrowSchema *schema, const int64_t *rows, size_t n)
{
	if (batch->offset)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "taking one column of a batch with an offset");
	return take(&b->children[c], b->children[c].type, batch->children[c], schema ? schema->children[c] : NULL, rows,
	            n);
}
