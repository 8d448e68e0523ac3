/*
 * ingest/textcols.c - text columns to Arrow columns of the table's types
 * (textcols.h). Primitive types are parsed by ice_value__parse (values.c,
 * the same rules as every other input) and stored straight into the
 * builder's buffers; strings are checked for UTF-8 and copied; the other
 * types (binary, uuid, fixed, geometry, nested values as JSON text) go
 * through a literal per value (ice_value__from_text).
 */
#include <stdio.h>
#include <string.h>

#include "textcols.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strutil.h"
#include "values.h"

void ice_textcol__errors_clear(textcol_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		ice__free(e->items[i].reason);
	e->n = 0;
}

void ice_textcol__errors_free(textcol_errors *e)
{
	ice_textcol__errors_clear(e);
	ice__free(e->items);
	e->items = NULL;
	e->cap = 0;
}

static int add_error(textcol_errors *e, size_t row, const char *reason)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		textcol_error *items = ice__reallocarray(e->items, cap, sizeof(*items));
		if (!items)
			return ICE_ERROR;
		e->items = items;
		e->cap = cap;
	}
	if (!(e->items[e->n].reason = ice__strdup(reason)))
		return ICE_ERROR;
	e->items[e->n++].row = row;
	return 0;
}

/* The reason of the error just raised, kept; ICE_ERROR when out of memory. */
static int failed(textcol_errors *e, size_t row)
{
	if (ice_error__is_oom())
		return ICE_ERROR;
	const ice_error *err = ice_error_last();
	int rc = add_error(e, row, err ? err->message : "invalid value");
	ice_error_clear();
	return rc ? rc : 1;
}

static size_t width_of(const ice_type *t)
{
	switch (t->id) {
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE:
	case ICE_TYPE_FLOAT: return 4;
	case ICE_TYPE_DECIMAL: return 16;
	case ICE_TYPE_BOOLEAN: return 0;
	default: return 8;
	}
}

int ice_textcol__convert(col_builder *b, const ice_type *t, bool required, const csv_block *blk, size_t col,
                         const uint8_t *skip, const textcol_opts *o, textcol_errors *errs)
{
	size_t n = 0;
	int bad = 0;
	for (size_t r = 0; r < blk->n; r++)
		n += !skip || !skip[r];
	if (n == 0)
		return 0;
	int64_t base = b->length;
	/* validity bits for the new rows, set below for each valid value */
	size_t need = (size_t)((base + (int64_t)n + 7) / 8);
	if (need > b->validity.len && !ice_buf__reserve(&b->validity, need - b->validity.len))
		return ICE_ERROR;
	uint8_t *valid = (uint8_t *)b->validity.ptr;
	bool fast = ice_value__parses(t);
	bool is_string = t->id == ICE_TYPE_STRING;
	size_t w = width_of(t);
	uint8_t *dst = NULL;
	int32_t *offs = NULL;
	if (fast && t->id == ICE_TYPE_BOOLEAN) {
		size_t vneed = (size_t)((base + (int64_t)n + 7) / 8);
		if (vneed > b->values.len && !ice_buf__reserve(&b->values, vneed - b->values.len))
			return ICE_ERROR;
	} else if (fast) {
		/* every slot is written below (nulls as zeros) */
		if (!(dst = ice_buf__extend(&b->values, w * n)))
			return ICE_ERROR;
	} else if (is_string) {
		if (b->length == 0) {
			int32_t z = 0;
			if (ice_buf__put(&b->offsets, &z, 4))
				return ICE_ERROR;
		}
		if (!(offs = (int32_t *)(void *)ice_buf__extend(&b->offsets, 4 * n)))
			return ICE_ERROR;
		/* the data of every row at once, copied below */
		size_t bytes = 0;
		if (col != SIZE_MAX)
			for (size_t r = 0; r < blk->n; r++)
				if (!skip || !skip[r])
					bytes += blk->fields[r * blk->ncols + col].len & ~ICE_CSV_QUOTED;
		if (bytes > (size_t)INT32_MAX - b->data.len)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "column %s: more than 2 GiB in one batch",
			                      b->name);
		if (ice_buf__grow(&b->data, bytes))
			return ICE_ERROR;
	}
	ice_arena arena;
	ice_arena__init(&arena, 4096);
	int64_t nulls = 0;
	size_t k = 0; /* rows appended */
	for (size_t r = 0; r < blk->n; r++) {
		if (skip && skip[r])
			continue;
		int64_t at = base + (int64_t)k;
		const char *s = "";
		size_t len = 0;
		bool is_null = col == SIZE_MAX;
		if (!is_null) {
			const csv_field *f = &blk->fields[r * blk->ncols + col];
			s = blk->base + f->off;
			len = f->len & ~ICE_CSV_QUOTED;
			if (o->trim && !(f->len & ICE_CSV_QUOTED))
				ice_str__trim(&s, &len);
			is_null = !(f->len & ICE_CSV_QUOTED) && len == o->null_len &&
			          (len == 0 || memcmp(s, o->null_token, len) == 0);
		}
		if (is_null && required) {
			ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "null in required column '%s'", b->name);
			if ((bad = failed(errs, r)) < 0)
				break;
			if (!errs->all)
				break;
		}
		if (is_null) {
			nulls++;
			if (dst)
				memset(dst + w * k, 0, w);
			if (offs)
				offs[k] = (int32_t)b->data.len;
			else if (!fast) {
				/* a literal per value: nulls through the builder */
				b->length = at;
				if (ice_columns__append_value(b, NULL) != 0) {
					bad = ICE_ERROR;
					break;
				}
				b->null_count--; /* counted below */
				valid = (uint8_t *)b->validity.ptr;
			}
			k++;
			continue;
		}
		int rc = 0;
		if (fast) {
			ice_value_raw v;
			if ((rc = ice_value__parse(&v, t, s, len, &o->values)) == 0) {
				switch (t->id) {
				case ICE_TYPE_BOOLEAN:
					if (v.b)
						((uint8_t *)b->values.ptr)[at >> 3] |= (uint8_t)(1u << (at & 7));
					break;
				case ICE_TYPE_INT:
				case ICE_TYPE_DATE: memcpy(dst + 4 * k, &v.i32, 4); break;
				case ICE_TYPE_FLOAT: memcpy(dst + 4 * k, &v.f32, 4); break;
				case ICE_TYPE_DOUBLE: memcpy(dst + 8 * k, &v.f64, 8); break;
				case ICE_TYPE_DECIMAL: memcpy(dst + 16 * k, &v.dec, 16); break;
				default: memcpy(dst + 8 * k, &v.i64, 8); break;
				}
			}
		} else if (is_string) {
			if (!ice_utf8__valid((const uint8_t *)s, len))
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "not valid UTF-8");
			else {
				memcpy(b->data.ptr + b->data.len, s, len);
				b->data.len += len;
				offs[k] = (int32_t)b->data.len;
			}
		} else {
			ice_literal lit;
			ice_arena__free(&arena);
			b->length = at;
			if ((rc = ice_value__from_text(&lit, t, s, len, &arena, &o->values)) == 0 &&
			    (rc = ice_columns__append_value(b, &lit)) != 0 && ice_error__is_oom()) {
				bad = ICE_ERROR;
				break;
			}
			valid = (uint8_t *)b->validity.ptr;
		}
		if (rc) {
			if (dst)
				memset(dst + w * k, 0, w);
			if (offs)
				offs[k] = (int32_t)b->data.len;
			if ((bad = failed(errs, r)) < 0 || !errs->all)
				break;
			k++;
			continue;
		}
		valid[at >> 3] |= (uint8_t)(1u << (at & 7));
		k++;
	}
	ice_arena__free(&arena);
	if (bad < 0)
		return bad;
	if (is_string && b->data.ptr)
		b->data.ptr[b->data.len] = '\0';
	b->length = base + (int64_t)n;
	b->null_count += nulls;
	return bad;
}
