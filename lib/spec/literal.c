/*
 * spec/literal.c - single values: ordering and equality, the binary
 * single-value serialization and bounds (spec Appendix D), promotion of
 * values across type changes (spec "Schema Evolution"), and copies. Text and
 * JSON forms are in literal_text.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/int128.h"
#include "util/strutil.h"
#include "util/uuid.h"

/* ---- decimals ------------------------------------------------------------- */

ice_decimal128 ice_decimal128_from_int64(int64_t v)
{
	return ice_dec__make((ice_i128)v);
}

int ice_decimal128_compare(ice_decimal128 a, ice_decimal128 b)
{
	ice_i128 x = ice_dec__get(a), y = ice_dec__get(b);
	return x < y ? -1 : x > y;
}

/* ---- ordering and equality ---------------------------------------------- */

static int64_t double_order_key(double d)
{
	int64_t bits;
	memcpy(&bits, &d, 8);
	/* Flip the magnitude bits of negatives: gives the IEEE total order. */
	return bits ^ (int64_t)((uint64_t)(bits >> 63) >> 1);
}

static int32_t float_order_key(float f)
{
	int32_t bits;
	memcpy(&bits, &f, 4);
	return bits ^ (int32_t)((uint32_t)(bits >> 31) >> 1);
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

static int bytes_cmp(ice_slice a, ice_slice b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.data, b.data, n) : 0;
	return c ? (c < 0 ? -1 : 1) : CMP(a.len, b.len);
}

int ice_literal_compare(const ice_literal *a, const ice_literal *b)
{
	if (a->is_null || b->is_null)
		return CMP(!a->is_null, !b->is_null);
	if (a->type != b->type)
		return CMP((int)a->type, (int)b->type);
	switch (a->type) {
	case ICE_TYPE_BOOLEAN: return CMP(a->v.b, b->v.b);
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: return CMP(a->v.i32, b->v.i32);
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: return CMP(a->v.i64, b->v.i64);
	case ICE_TYPE_FLOAT: return CMP(float_order_key(a->v.f32), float_order_key(b->v.f32));
	case ICE_TYPE_DOUBLE: return CMP(double_order_key(a->v.f64), double_order_key(b->v.f64));
	case ICE_TYPE_DECIMAL: {
		ice_i128 x = ice_dec__get(a->v.dec), y = ice_dec__get(b->v.dec);
		int32_t sa = a->scale, sb = b->scale;
		/* Bring both to the larger scale; values fit since |x| < 10^38. */
		while (sa < sb && x < ICE_I128_MAX / 10 && x > ICE_I128_MIN / 10) {
			x *= 10;
			sa++;
		}
		while (sb < sa && y < ICE_I128_MAX / 10 && y > ICE_I128_MIN / 10) {
			y *= 10;
			sb++;
		}
		return CMP(x, y);
	}
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: return bytes_cmp(a->v.bytes, b->v.bytes);
	case ICE_TYPE_STRUCT:
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		size_t n = a->type == ICE_TYPE_MAP ? 2 : 1;
		size_t na = a->v.nested.n * n, nb = b->v.nested.n * n;
		for (size_t i = 0; i < na && i < nb; i++) {
			int c = ice_literal_compare(&a->v.nested.items[i], &b->v.nested.items[i]);
			if (c)
				return c;
		}
		return CMP(na, nb);
	}
	default:
		return 0;
	}
}

bool ice_literal_equal(const ice_literal *a, const ice_literal *b)
{
	if (a->is_null != b->is_null || a->type != b->type)
		return false;
	if (a->is_null)
		return true;
	if (a->type == ICE_TYPE_DECIMAL && a->scale != b->scale)
		return false;
	if (a->type == ICE_TYPE_STRUCT) {
		if (a->v.nested.n != b->v.nested.n)
			return false;
		for (size_t i = 0; i < a->v.nested.n; i++)
			if (a->v.nested.field_ids[i] != b->v.nested.field_ids[i] ||
			    !ice_literal_equal(&a->v.nested.items[i], &b->v.nested.items[i]))
				return false;
		return true;
	}
	if (a->type == ICE_TYPE_LIST || a->type == ICE_TYPE_MAP) {
		size_t k = a->type == ICE_TYPE_MAP ? 2 : 1;
		if (a->v.nested.n != b->v.nested.n)
			return false;
		for (size_t i = 0; i < a->v.nested.n * k; i++)
			if (!ice_literal_equal(&a->v.nested.items[i], &b->v.nested.items[i]))
				return false;
		return true;
	}
	/* NaN equals NaN here: this is value identity, not SQL equality. */
	return ice_literal_compare(a, b) == 0;
}

/* ---- binary serialization ----------------------------------------------- */

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

int ice_literal_to_bytes(const ice_literal *v, uint8_t *out, size_t cap, size_t *len_out)
{
	uint8_t tmp[16];
	const uint8_t *src = tmp;
	size_t n = 0;
	if (v->is_null)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "a null value has no binary form");
	switch (v->type) {
	case ICE_TYPE_BOOLEAN:
		tmp[0] = v->v.b ? 1 : 0;
		n = 1;
		break;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE:
		le32(tmp, (uint32_t)v->v.i32);
		n = 4;
		break;
	case ICE_TYPE_FLOAT: {
		uint32_t bits;
		memcpy(&bits, &v->v.f32, 4);
		le32(tmp, bits);
		n = 4;
		break;
	}
	case ICE_TYPE_DOUBLE: {
		uint64_t bits;
		memcpy(&bits, &v->v.f64, 8);
		le64(tmp, bits);
		n = 8;
		break;
	}
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS:
		le64(tmp, (uint64_t)v->v.i64);
		n = 8;
		break;
	case ICE_TYPE_DECIMAL:
		n = ice_i128__to_min_be(ice_dec__get(v->v.dec), tmp);
		break;
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		src = v->v.bytes.data;
		n = v->v.bytes.len;
		break;
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s values have no binary form",
		                      ice_type_id_name(v->type));
	}
	*len_out = n;
	if (out && cap)
		memcpy(out, src, n < cap ? n : cap);
	return 0;
}

static int bad_len(const ice_type *t, size_t len)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%zu bytes cannot hold a value of type %s", len,
	                      ice_type_id_name(t->id));
}

int ice_literal_from_bytes(ice_literal *out, const ice_type *type, const uint8_t *data, size_t len)
{
	memset(out, 0, sizeof(*out));
	out->type = type->id;
	switch (type->id) {
	case ICE_TYPE_BOOLEAN:
		if (len != 1)
			return bad_len(type, len);
		out->v.b = data[0] != 0;
		return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE:
		if (len != 4)
			return bad_len(type, len);
		out->v.i32 = (int32_t)rd32(data);
		return 0;
	case ICE_TYPE_LONG:
		if (len == 4) /* written as int before promotion */
			out->v.i64 = (int32_t)rd32(data);
		else if (len == 8)
			out->v.i64 = (int64_t)rd64(data);
		else
			return bad_len(type, len);
		return 0;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMP_NS:
		if (len == 4) { /* written as date before promotion */
			int64_t days = (int32_t)rd32(data);
			int64_t unit = type->id == ICE_TYPE_TIMESTAMP ? ICE_MICROS_PER_DAY : ICE_MICROS_PER_DAY * 1000;
			if (__builtin_mul_overflow(days, unit, &out->v.i64))
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                      "date %lld is out of the %s range", (long long)days,
				                      ice_type_id_name(type->id));
			return 0;
		}
		/* fall through */
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMPTZ_NS:
		if (len != 8)
			return bad_len(type, len);
		out->v.i64 = (int64_t)rd64(data);
		return 0;
	case ICE_TYPE_FLOAT: {
		uint32_t bits;
		if (len != 4)
			return bad_len(type, len);
		bits = rd32(data);
		memcpy(&out->v.f32, &bits, 4);
		return 0;
	}
	case ICE_TYPE_DOUBLE:
		if (len == 4) { /* written as float before promotion */
			uint32_t bits = rd32(data);
			float f;
			memcpy(&f, &bits, 4);
			out->v.f64 = (double)f;
		} else if (len == 8) {
			uint64_t bits = rd64(data);
			memcpy(&out->v.f64, &bits, 8);
		} else {
			return bad_len(type, len);
		}
		return 0;
	case ICE_TYPE_DECIMAL: {
		ice_i128 v;
		if (!ice_i128__from_be(data, len, &v))
			return bad_len(type, len);
		out->v.dec = ice_dec__make(v);
		out->scale = type->u.decimal.scale;
		return 0;
	}
	case ICE_TYPE_UUID:
		if (len != 16)
			return bad_len(type, len);
		/* fall through */
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		out->v.bytes.data = data;
		out->v.bytes.len = len;
		return 0;
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s values have no binary form",
		                      ice_type_id_name(type->id));
	}
}

/* ---- conversion and copies ------------------------------------------------- */

int ice_literal_promote(ice_literal *out, const ice_literal *in, const ice_type *to)
{
	*out = *in;
	out->type = to->id;
	if (in->type == to->id) {
		if (to->id == ICE_TYPE_DECIMAL && in->scale != to->u.decimal.scale)
			goto bad;
		return 0;
	}
	if (in->is_null) {
		out->scale = to->id == ICE_TYPE_DECIMAL ? to->u.decimal.scale : 0;
		return 0;
	}
	switch (in->type) {
	case ICE_TYPE_INT:
		if (to->id != ICE_TYPE_LONG)
			goto bad;
		out->v.i64 = in->v.i32;
		return 0;
	case ICE_TYPE_FLOAT:
		if (to->id != ICE_TYPE_DOUBLE)
			goto bad;
		out->v.f64 = (double)in->v.f32;
		return 0;
	case ICE_TYPE_DATE:
		if (to->id == ICE_TYPE_TIMESTAMP)
			out->v.i64 = (int64_t)in->v.i32 * ICE_MICROS_PER_DAY; /* |days| < 2^31: fits */
		else if (to->id != ICE_TYPE_TIMESTAMP_NS)
			goto bad;
		else if (__builtin_mul_overflow((int64_t)in->v.i32, ICE_MICROS_PER_DAY * 1000, &out->v.i64))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "date %d is out of the timestamp_ns range (1677-2262)", (int)in->v.i32);
		return 0;
	default:
		break;
	}
bad:
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "cannot promote %s values to %s",
	                      ice_type_id_name(in->type), ice_type_id_name(to->id));
}

int ice_literal__copy(ice_literal *out, const ice_literal *src, ice_arena *arena)
{
	*out = *src;
	if (src->is_null)
		return 0;
	switch (src->type) {
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		if (src->v.bytes.len && !(out->v.bytes.data = ice_arena__memdup(arena, src->v.bytes.data, src->v.bytes.len)))
			return ICE_ERROR;
		return 0;
	case ICE_TYPE_STRUCT:
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		size_t n = src->v.nested.n * (src->type == ICE_TYPE_MAP ? 2 : 1);
		ice_literal *items = n ? ice_arena__allocarray(arena, n, sizeof(ice_literal)) : NULL;
		if (n && !items)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++)
			if (ice_literal__copy(&items[i], &src->v.nested.items[i], arena))
				return ICE_ERROR;
		out->v.nested.items = items;
		if (src->type == ICE_TYPE_STRUCT && src->v.nested.n &&
		    !(out->v.nested.field_ids =
		          ice_arena__memdup(arena, src->v.nested.field_ids, src->v.nested.n * sizeof(int32_t))))
			return ICE_ERROR;
		return 0;
	}
	default:
		return 0;
	}
}

ice_literal *ice_literal__dup(ice_arena *arena, const ice_literal *src)
{
	ice_literal *l = ice_arena__alloc(arena, sizeof(*l));
	if (!l || ice_literal__copy(l, src, arena))
		return NULL;
	return l;
}
