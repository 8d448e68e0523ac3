/*
 * manifest/avro_value.c - Avro values in general: block counts of arrays and
 * maps, skipping values of any schema (fields a reader does not know), and
 * the mapping between Avro values and Iceberg literals that partition
 * tuples need (spec Appendix A "Avro", "Data Type Mappings", read both
 * ways; Avro 1.11 specification, "Binary Encoding").
 */
#include <string.h>

#include "avro.h"
#include "ice/types.h"
#include "util/error.h"

/* Zero-size items (nulls, empty records) cost nothing to encode, so their
 * count cannot be checked against the bytes left; cap it instead. */
#define MAX_ZERO_SIZE_ITEMS ((int64_t)1 << 20)

int64_t ice_avro__block_count(ice_avro_cursor *c, uint32_t item_min_size)
{
	int64_t n = ice_avro__long(c);
	size_t left;
	if (n < 0) {
		int64_t bytes;
		if (n == INT64_MIN) {
			ice_avro__fail(c, "bad array block count");
			return 0;
		}
		n = -n;
		bytes = ice_avro__long(c);
		if (bytes < 0) {
			ice_avro__fail(c, "bad array block size");
			return 0;
		}
		if ((uint64_t)bytes > (uint64_t)(c->end - c->p)) {
			ice_avro__short(c, "array block size runs past the end of the block");
			return 0;
		}
	}
	left = (size_t)(c->end - c->p);
	if (!item_min_size && n > MAX_ZERO_SIZE_ITEMS) {
		ice_avro__fail(c, "array or map count exceeds the bytes left in the block");
		return 0;
	}
	if (item_min_size && (uint64_t)n > left / item_min_size) {
		ice_avro__short(c, "array or map count exceeds the bytes left in the block");
		return 0;
	}
	return n;
}

static void skip_items(ice_avro_cursor *c, const ice_avro_node *node)
{
	bool map = node->kind == ICE_AVRO_MAP;
	uint32_t min = map ? node->items->min_size + 1 : node->items->min_size;
	for (;;) {
		int64_t n = ice_avro__long(c);
		if (c->error)
			return;
		if (n == 0)
			return;
		if (n < 0) {
			/* A block with its byte size: skip it whole. */
			int64_t bytes = n == INT64_MIN ? -1 : ice_avro__long(c);
			if (bytes < 0) {
				ice_avro__fail(c, "bad array block size");
				return;
			}
			if ((uint64_t)bytes > (uint64_t)(c->end - c->p)) {
				ice_avro__short(c, "array block size runs past the end of the block");
				return;
			}
			c->p += bytes;
			continue;
		}
		if (!min && n > MAX_ZERO_SIZE_ITEMS) {
			ice_avro__fail(c, "array or map count exceeds the bytes left in the block");
			return;
		}
		if (min && (uint64_t)n > (size_t)(c->end - c->p) / min) {
			ice_avro__short(c, "array or map count exceeds the bytes left in the block");
			return;
		}
		for (int64_t i = 0; i < n && !c->error; i++) {
			if (map)
				(void)ice_avro__bytes(c);
			ice_avro__skip(c, node->items);
		}
	}
}

void ice_avro__skip(ice_avro_cursor *c, const ice_avro_node *node)
{
	switch (node->kind) {
	case ICE_AVRO_NULL: return;
	case ICE_AVRO_BOOLEAN: (void)ice_avro__raw(c, 1); return;
	case ICE_AVRO_INT:
	case ICE_AVRO_LONG: (void)ice_avro__varint(c); return;
	case ICE_AVRO_FLOAT: (void)ice_avro__raw(c, 4); return;
	case ICE_AVRO_DOUBLE: (void)ice_avro__raw(c, 8); return;
	case ICE_AVRO_BYTES:
	case ICE_AVRO_STRING: (void)ice_avro__bytes(c); return;
	case ICE_AVRO_FIXED: (void)ice_avro__raw(c, (size_t)node->size); return;
	case ICE_AVRO_ENUM: {
		int64_t i = ice_avro__long(c);
		if (i < 0 || (uint64_t)i >= node->n)
			ice_avro__fail(c, "enum index out of range");
		return;
	}
	case ICE_AVRO_RECORD:
		for (size_t i = 0; i < node->n && !c->error; i++)
			ice_avro__skip(c, node->fields[i].type);
		return;
	case ICE_AVRO_UNION: {
		const ice_avro_node *b = ice_avro__branch(c, node);
		if (b)
			ice_avro__skip(c, b);
		return;
	}
	case ICE_AVRO_ARRAY:
	case ICE_AVRO_MAP: skip_items(c, node); return;
	}
}

/* ---- Iceberg types of Avro nodes ------------------------------------------ */

static const ice_type *param_type(ice_arena *arena, ice_type_id id)
{
	ice_type *t = ice_arena__alloc(arena, sizeof(*t));
	if (t)
		t->id = id;
	return t;
}

static bool is_logical(const ice_avro_node *n, const char *name)
{
	return n->logical_type && strcmp(n->logical_type, name) == 0;
}

const ice_type *ice_avro__iceberg_type(const ice_avro_node *node, ice_arena *arena)
{
	ice_type *t;
	node = ice_avro__non_null(node);
	if (!node)
		return NULL;
	switch (node->kind) {
	case ICE_AVRO_BOOLEAN: return ice_type_primitive(ICE_TYPE_BOOLEAN);
	case ICE_AVRO_INT: return ice_type_primitive(is_logical(node, "date") ? ICE_TYPE_DATE : ICE_TYPE_INT);
	case ICE_AVRO_LONG:
		if (is_logical(node, "time-micros"))
			return ice_type_primitive(ICE_TYPE_TIME);
		if (is_logical(node, "timestamp-micros"))
			return ice_type_primitive(node->adjust_to_utc ? ICE_TYPE_TIMESTAMPTZ : ICE_TYPE_TIMESTAMP);
		if (is_logical(node, "timestamp-nanos"))
			return ice_type_primitive(node->adjust_to_utc ? ICE_TYPE_TIMESTAMPTZ_NS : ICE_TYPE_TIMESTAMP_NS);
		return ice_type_primitive(ICE_TYPE_LONG);
	case ICE_AVRO_FLOAT: return ice_type_primitive(ICE_TYPE_FLOAT);
	case ICE_AVRO_DOUBLE: return ice_type_primitive(ICE_TYPE_DOUBLE);
	case ICE_AVRO_STRING: return ice_type_primitive(ICE_TYPE_STRING);
	case ICE_AVRO_BYTES:
	case ICE_AVRO_FIXED:
		if (is_logical(node, "decimal")) {
			if (node->precision < 1 || node->precision > 38 || node->scale < 0 ||
			    node->scale > node->precision)
				return NULL;
			if (!(t = (ice_type *)param_type(arena, ICE_TYPE_DECIMAL)))
				return NULL;
			t->u.decimal.precision = node->precision;
			t->u.decimal.scale = node->scale;
			return t;
		}
		if (node->kind == ICE_AVRO_BYTES)
			return ice_type_primitive(ICE_TYPE_BINARY);
		if (is_logical(node, "uuid") && node->size == 16)
			return ice_type_primitive(ICE_TYPE_UUID);
		if (!(t = (ice_type *)param_type(arena, ICE_TYPE_FIXED)))
			return NULL;
		t->u.fixed.length = node->size;
		return t;
	default: return NULL;
	}
}

static bool same_type(const ice_type *a, const ice_type *b)
{
	if (a->id != b->id)
		return false;
	if (a->id == ICE_TYPE_DECIMAL)
		return a->u.decimal.precision == b->u.decimal.precision && a->u.decimal.scale == b->u.decimal.scale;
	return true;
}

void ice_avro__read_literal(ice_avro_cursor *c, const ice_avro_node *node, const ice_type *natural,
                            const ice_type *type, ice_literal *out)
{
	const ice_avro_node *b = ice_avro__branch(c, node);
	ice_literal v;
	memset(&v, 0, sizeof(v));
	*out = ice_literal_null(type->id);
	if (!b || b->kind == ICE_AVRO_NULL)
		return;
	v.type = natural->id;
	switch (b->kind) {
	case ICE_AVRO_BOOLEAN: v.v.b = ice_avro__bool(c); break;
	case ICE_AVRO_INT: v.v.i32 = ice_avro__int(c); break;
	case ICE_AVRO_LONG: v.v.i64 = ice_avro__long(c); break;
	case ICE_AVRO_FLOAT: v.v.f32 = ice_avro__float(c); break;
	case ICE_AVRO_DOUBLE: v.v.f64 = ice_avro__double(c); break;
	case ICE_AVRO_STRING:
	case ICE_AVRO_BYTES:
	case ICE_AVRO_FIXED: {
		ice_slice s;
		if (b->kind == ICE_AVRO_FIXED) {
			s.data = ice_avro__raw(c, (size_t)b->size);
			s.len = (size_t)b->size;
		} else {
			s = ice_avro__bytes(c);
		}
		if (c->error)
			return;
		if (natural->id == ICE_TYPE_DECIMAL) {
			if (s.len == 0 || ice_literal_from_bytes(&v, natural, s.data, s.len) != 0) {
				ice_avro__fail(c, "decimal wider than 16 bytes or empty");
				return;
			}
		} else {
			v.v.bytes = s;
		}
		break;
	}
	default: ice_avro__fail(c, "value of an unexpected type"); return;
	}
	if (c->error)
		return;
	if (same_type(natural, type)) {
		*out = v;
		return;
	}
	if (ice_literal_promote(out, &v, type) != 0) {
		*out = ice_literal_null(type->id);
		ice_avro__fail(c, "value does not fit the partition field's type");
	}
}

/* ---- encoding --------------------------------------------------------------- */

void ice_avro__put_float(ice_buf *b, float f)
{
	uint32_t u;
	uint8_t t[4];
	memcpy(&u, &f, 4);
	for (int i = 0; i < 4; i++)
		t[i] = (uint8_t)(u >> (8 * i));
	ice_buf__put(b, t, 4);
}

void ice_avro__put_double(ice_buf *b, double d)
{
	uint64_t u;
	uint8_t t[8];
	memcpy(&u, &d, 8);
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(u >> (8 * i));
	ice_buf__put(b, t, 8);
}

/* Bytes of the fixed that holds a decimal of this precision (Appendix A:
 * minBytesRequired(P), the smallest n with 2^(8n-1) > 10^P - 1). */
static const uint8_t decimal_bytes[39] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9,
                                          9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};

int ice_avro__decimal_size(int32_t precision)
{
	return precision >= 1 && precision <= 38 ? decimal_bytes[precision] : 16;
}

int ice_avro__put_literal(ice_buf *b, const ice_literal *v, const ice_type *type)
{
	switch (type->id) {
	case ICE_TYPE_BOOLEAN: ice_avro__put_bool(b, v->v.b); return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: ice_avro__put_long(b, v->v.i32); return 0;
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: ice_avro__put_long(b, v->v.i64); return 0;
	case ICE_TYPE_FLOAT: ice_avro__put_float(b, v->v.f32); return 0;
	case ICE_TYPE_DOUBLE: ice_avro__put_double(b, v->v.f64); return 0;
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: ice_avro__put_bytes(b, v->v.bytes.data, v->v.bytes.len); return 0;
	case ICE_TYPE_UUID:
	case ICE_TYPE_FIXED: {
		size_t want = type->id == ICE_TYPE_UUID ? 16 : (size_t)type->u.fixed.length;
		if (v->v.bytes.len != want)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s value has %zu bytes, expected %zu",
			                      ice_type_id_name(type->id), v->v.bytes.len, want);
		if (want)
			ice_buf__put(b, v->v.bytes.data, want);
		return 0;
	}
	case ICE_TYPE_DECIMAL: {
		uint8_t min[16], out[16];
		size_t n = 0, width = (size_t)ice_avro__decimal_size(type->u.decimal.precision);
		int rc = ice_literal_to_bytes(v, min, sizeof(min), &n);
		if (rc)
			return rc;
		if (n > width)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "decimal value exceeds precision %d",
			                      (int)type->u.decimal.precision);
		memset(out, (min[0] & 0x80) ? 0xff : 0x00, width - n);
		memcpy(out + width - n, min, n);
		ice_buf__put(b, out, width);
		return 0;
	}
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_AVRO, "cannot write %s values to Avro",
		                      ice_type_id_name(type->id));
	}
}
