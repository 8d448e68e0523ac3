/*
 * write/columns.c - Arrow arrays (C Data Interface layouts, as the Parquet
 * writer takes them) built value by value from ice_literal values of the
 * table's types: validity bitmaps, fixed-width values, 32-bit offsets for
 * strings, binary and lists, children for structs, lists and maps (a map is
 * a list of key/value structs). Formats: b i l f g d:P,S tdD ttu tsu:
 * tsu:UTC tsn: tsn:UTC u z w:N +s +l +m.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "util/alloc.h"
#include "util/arrow.h"
#include "util/error.h"

const char *ice_columns__format(const ice_type *t, char *buf, size_t cap)
{
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: return "b";
	case ICE_TYPE_INT: return "i";
	case ICE_TYPE_LONG: return "l";
	case ICE_TYPE_FLOAT: return "f";
	case ICE_TYPE_DOUBLE: return "g";
	case ICE_TYPE_DATE: return "tdD";
	case ICE_TYPE_TIME: return "ttu";
	case ICE_TYPE_TIMESTAMP: return "tsu:";
	case ICE_TYPE_TIMESTAMPTZ: return "tsu:UTC";
	case ICE_TYPE_TIMESTAMP_NS: return "tsn:";
	case ICE_TYPE_TIMESTAMPTZ_NS: return "tsn:UTC";
	case ICE_TYPE_STRING: return "u";
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: return "z";
	case ICE_TYPE_UUID: return "w:16";
	case ICE_TYPE_FIXED: snprintf(buf, cap, "w:%d", (int)t->u.fixed.length); return buf;
	case ICE_TYPE_DECIMAL:
		snprintf(buf, cap, "d:%d,%d", (int)t->u.decimal.precision, (int)t->u.decimal.scale);
		return buf;
	case ICE_TYPE_STRUCT: return "+s";
	case ICE_TYPE_LIST: return "+l";
	case ICE_TYPE_MAP: return "+m";
	case ICE_TYPE_UNKNOWN: return "n";
	default: return NULL;
	}
}

static int init(col_builder *b, const ice_type *t, const char *name);

static int init_children(col_builder *b, size_t n)
{
	if (!(b->children = ice__calloc(n ? n : 1, sizeof(col_builder))))
		return ICE_ERROR;
	b->nchildren = n;
	return 0;
}

/* Map entries: a struct type made on the fly would need storage, so the
 * entries builder is a struct builder without a type of its own. */
static int init(col_builder *b, const ice_type *t, const char *name)
{
	char buf[48];
	const char *f;
	int rc;
	memset(b, 0, sizeof(*b));
	ice_buf__init(&b->validity, 0);
	ice_buf__init(&b->values, 0);
	ice_buf__init(&b->offsets, 0);
	ice_buf__init(&b->data, 0);
	b->type = t;
	b->name = name;
	if (!(f = ice_columns__format(t, buf, sizeof(buf))))
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "column %s: type %s cannot be written from text",
		                      name, ice_type_id_name(t->id));
	snprintf(b->format, sizeof(b->format), "%s", f);
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		if ((rc = init_children(b, t->u.struct_.nfields)) != 0)
			return rc;
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			if ((rc = init(&b->children[i], t->u.struct_.fields[i].type, t->u.struct_.fields[i].name)) != 0)
				return rc;
		return 0;
	case ICE_TYPE_LIST:
		if ((rc = init_children(b, 1)) != 0)
			return rc;
		return init(&b->children[0], t->u.list.element.type, "element");
	case ICE_TYPE_MAP: {
		if ((rc = init_children(b, 1)) != 0)
			return rc;
		col_builder *e = &b->children[0];
		memset(e, 0, sizeof(*e));
		ice_buf__init(&e->validity, 0);
		ice_buf__init(&e->values, 0);
		ice_buf__init(&e->offsets, 0);
		ice_buf__init(&e->data, 0);
		e->name = "entries";
		snprintf(e->format, sizeof(e->format), "+s");
		if ((rc = init_children(e, 2)) != 0)
			return rc;
		if ((rc = init(&e->children[0], t->u.map.key.type, "key")) != 0)
			return rc;
		return init(&e->children[1], t->u.map.value.type, "value");
	}
	default:
		return 0;
	}
}

int ice_columns__init_struct(col_builder *b, const ice_type *struct_type)
{
	int rc = init(b, struct_type, "");
	if (rc)
		ice_columns__free(b);
	return rc;
}

void ice_columns__free(col_builder *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nchildren; i++)
		ice_columns__free(&b->children[i]);
	ice__free(b->children);
	b->children = NULL;
	b->nchildren = 0;
	ice_buf__free(&b->validity);
	ice_buf__free(&b->values);
	ice_buf__free(&b->offsets);
	ice_buf__free(&b->data);
}

static int set_valid(col_builder *b, bool valid)
{
	int64_t i = b->length;
	if ((size_t)(i / 8) >= b->validity.len && ice_buf__putc(&b->validity, 0))
		return ICE_ERROR;
	if (valid)
		((uint8_t *)b->validity.ptr)[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		b->null_count++;
	return 0;
}

static int put_offset(col_builder *b, int64_t v)
{
	if (v > INT32_MAX)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "column %s: more than 2 GiB in one batch", b->name);
	int32_t o = (int32_t)v;
	return ice_buf__put(&b->offsets, &o, 4);
}

static int append(col_builder *b, const ice_literal *v);

static int append_null(col_builder *b)
{
	static const uint8_t zeros[16];
	int rc = set_valid(b, false);
	if (rc)
		return rc;
	switch (b->format[0]) {
	case 'b':
		if ((size_t)(b->length / 8) >= b->values.len)
			rc = ice_buf__putc(&b->values, 0);
		break;
	case 'u':
	case 'z':
		if (b->length == 0 && (rc = put_offset(b, 0)) != 0)
			return rc;
		rc = put_offset(b, (int64_t)b->data.len);
		break;
	case '+':
		if (b->format[1] == 's') {
			for (size_t i = 0; i < b->nchildren && !rc; i++)
				rc = append_null(&b->children[i]);
		} else {
			if (b->length == 0 && (rc = put_offset(b, 0)) != 0)
				return rc;
			rc = put_offset(b, b->children[0].length);
		}
		break;
	case 'n':
		break;
	default: {
		size_t w = b->type->id == ICE_TYPE_INT || b->type->id == ICE_TYPE_FLOAT || b->type->id == ICE_TYPE_DATE ? 4
		           : b->type->id == ICE_TYPE_DECIMAL || b->type->id == ICE_TYPE_UUID                              ? 16
		           : b->type->id == ICE_TYPE_FIXED ? (size_t)b->type->u.fixed.length
		                                           : 8;
		while (!rc && w > 0) {
			size_t k = w > 16 ? 16 : w;
			rc = ice_buf__put(&b->values, zeros, k);
			w -= k;
		}
		break;
	}
	}
	if (!rc)
		b->length++;
	return rc;
}

static int mismatch(col_builder *b, const ice_literal *v)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "column %s: a value of type %s for a column of type %s", b->name,
	                      ice_type_id_name(v->type), ice_type_id_name(b->type->id));
}

static int append(col_builder *b, const ice_literal *v)
{
	int rc = 0;
	if (!v || v->is_null)
		return append_null(b);
	if (v->type != b->type->id && !(b->type->id == ICE_TYPE_GEOMETRY || b->type->id == ICE_TYPE_GEOGRAPHY))
		return mismatch(b, v);
	if ((rc = set_valid(b, true)) != 0)
		return rc;
	switch (b->type->id) {
	case ICE_TYPE_BOOLEAN:
		if ((size_t)(b->length / 8) >= b->values.len && (rc = ice_buf__putc(&b->values, 0)) != 0)
			return rc;
		if (v->v.b)
			((uint8_t *)b->values.ptr)[b->length / 8] |= (uint8_t)(1u << (b->length % 8));
		break;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: rc = ice_buf__put(&b->values, &v->v.i32, 4); break;
	case ICE_TYPE_FLOAT: rc = ice_buf__put(&b->values, &v->v.f32, 4); break;
	case ICE_TYPE_DOUBLE: rc = ice_buf__put(&b->values, &v->v.f64, 8); break;
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: rc = ice_buf__put(&b->values, &v->v.i64, 8); break;
	case ICE_TYPE_DECIMAL: {
		uint8_t le[16];
		memcpy(le, &v->v.dec.lo, 8);
		memcpy(le + 8, &v->v.dec.hi, 8);
		rc = ice_buf__put(&b->values, le, 16);
		break;
	}
	case ICE_TYPE_UUID:
	case ICE_TYPE_FIXED: {
		size_t w = b->type->id == ICE_TYPE_UUID ? 16 : (size_t)b->type->u.fixed.length;
		if (v->v.bytes.len != w)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "column %s: %zu bytes for a %zu-byte value",
			                      b->name, v->v.bytes.len, w);
		rc = ice_buf__put(&b->values, v->v.bytes.data, w);
		break;
	}
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		if (b->length == 0 && (rc = put_offset(b, 0)) != 0)
			return rc;
		if (v->v.bytes.len && (rc = ice_buf__put(&b->data, v->v.bytes.data, v->v.bytes.len)) != 0)
			return rc;
		rc = put_offset(b, (int64_t)b->data.len);
		break;
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < b->nchildren && !rc; i++) {
			const ice_literal *child = NULL;
			int32_t id = b->type->u.struct_.fields[i].id;
			for (size_t k = 0; k < v->v.nested.n; k++)
				if (v->v.nested.field_ids ? v->v.nested.field_ids[k] == id : k == i) {
					child = &v->v.nested.items[k];
					break;
				}
			rc = append(&b->children[i], child);
		}
		break;
	case ICE_TYPE_LIST:
		if (b->length == 0 && (rc = put_offset(b, 0)) != 0)
			return rc;
		for (size_t k = 0; k < v->v.nested.n && !rc; k++)
			rc = append(&b->children[0], &v->v.nested.items[k]);
		if (!rc)
			rc = put_offset(b, b->children[0].length);
		break;
	case ICE_TYPE_MAP: {
		col_builder *e = &b->children[0];
		if (b->length == 0 && (rc = put_offset(b, 0)) != 0)
			return rc;
		for (size_t k = 0; k < v->v.nested.n && !rc; k++) {
			if ((rc = set_valid(e, true)) != 0 || (rc = append(&e->children[0], &v->v.nested.items[2 * k])) != 0 ||
			    (rc = append(&e->children[1], &v->v.nested.items[2 * k + 1])) != 0)
				break;
			e->length++;
		}
		if (!rc)
			rc = put_offset(b, e->length);
		break;
	}
	default:
		return mismatch(b, v);
	}
	if (!rc)
		b->length++;
	return rc;
}

int ice_columns__append_row(col_builder *b, const ice_literal *const *values)
{
	int rc = 0;
	size_t i;
	for (i = 0; i < b->nchildren && !rc; i++)
		rc = append(&b->children[i], values[i]);
	if (rc) {
		/* Keep the columns aligned: the row is not added. The batch is
		 * abandoned by the caller after an error. */
		return rc;
	}
	b->length++;
	return 0;
}

int64_t ice_columns__rows(const col_builder *b)
{
	return b->length;
}

size_t ice_columns__bytes(const col_builder *b)
{
	size_t n = b->validity.cap + b->values.cap + b->offsets.cap + b->data.cap;
	for (size_t i = 0; i < b->nchildren; i++)
		n += ice_columns__bytes(&b->children[i]);
	return n;
}

/* ---- finishing: builders to arrays ------------------------------------------------ */

static void *detach(ice_buf *b)
{
	size_t len;
	if (!b->ptr)
		return ice__calloc(1, 8);
	return ice_buf__detach(b, &len);
}

/* A view: the array points at the builder's buffers (made non-NULL). */
static void *borrow(ice_buf *b)
{
	if (!b->ptr && ice_buf__grow(b, 8))
		return NULL;
	return b->ptr;
}

static int finish_as(col_builder *b, struct ArrowArray *a, struct ArrowSchema *s, bool nullable, bool view);

static int finish(col_builder *b, struct ArrowArray *a, struct ArrowSchema *s, bool nullable)
{
	return finish_as(b, a, s, nullable, false);
}

/* The builder's rows as an array: its buffers moved out (the builder
 * starts again empty), or with `view` borrowed (the builder keeps them and
 * the array is valid until the builder changes). */
static int finish_as(col_builder *b, struct ArrowArray *a, struct ArrowSchema *s, bool nullable, bool view)
{
	void *bufs[3] = {NULL, NULL, NULL};
	struct ArrowArray *kids = NULL;
	struct ArrowSchema *kid_schemas = NULL;
	int64_t length = b->length, null_count = b->null_count;
	size_t n = b->nchildren, done = 0;
	int rc = 0;
	memset(a, 0, sizeof(*a));
	memset(s, 0, sizeof(*s));
	/* Offsets of an empty variable-width array still hold one zero. */
	bool var = b->format[0] == 'u' || b->format[0] == 'z' || (b->format[0] == '+' && b->format[1] != 's');
	if (var && b->length == 0)
		rc = put_offset(b, 0);
	int nb = b->format[0] == '+' ? (b->format[1] == 's' ? 1 : 2) : b->format[0] == 'n' ? 0 : var ? 3 : 2;
	unsigned owned = view ? 0 : (1u << nb) - 1;
	if (!rc && nb > 0 && view) {
		bufs[0] = b->null_count ? borrow(&b->validity) : NULL;
		if (nb == 2) {
			bufs[1] = b->format[0] == '+' ? borrow(&b->offsets) : borrow(&b->values);
		} else if (nb == 3) {
			bufs[1] = borrow(&b->offsets);
			bufs[2] = borrow(&b->data);
		}
	} else if (!rc && nb > 0) {
		bufs[0] = b->null_count ? detach(&b->validity) : NULL;
		ice_buf__clear(&b->validity);
		if (nb == 2) {
			bufs[1] = b->format[0] == '+' ? detach(&b->offsets) : detach(&b->values);
		} else if (nb == 3) {
			bufs[1] = detach(&b->offsets);
			bufs[2] = detach(&b->data);
		}
	}
	for (int i = 1; !rc && i < nb; i++)
		if (!bufs[i])
			rc = ICE_ERROR;
	if (!rc && n && (!(kids = ice__calloc(n, sizeof(*kids))) || !(kid_schemas = ice__calloc(n, sizeof(*kid_schemas)))))
		rc = ICE_ERROR;
	for (; !rc && done < n; done++) {
		bool child_nullable = true;
		if (b->type && b->type->id == ICE_TYPE_STRUCT)
			child_nullable = !b->type->u.struct_.fields[done].required;
		else if (b->type && b->type->id == ICE_TYPE_LIST)
			child_nullable = !b->type->u.list.element.required;
		else if (!b->type && done == 0)
			child_nullable = false; /* map keys */
		if ((rc = finish_as(&b->children[done], &kids[done], &kid_schemas[done], child_nullable, view)) != 0)
			break;
	}
	if (!view) {
		b->length = 0;
		b->null_count = 0;
		ice_buf__clear(&b->values);
		ice_buf__clear(&b->offsets);
		ice_buf__clear(&b->data);
	}
	if (!rc) {
		rc = ice_arrow__schema_make(s, b->format, b->name ? b->name : "", NULL, 0,
		                            nullable ? ARROW_FLAG_NULLABLE : 0, (int)n, kid_schemas);
		if (rc) {
			/* the schemas are gone; the arrays and buffers are still ours */
			for (size_t i = 0; i < n; i++)
				ice_arrow_array_release(&kids[i]);
		} else {
			/* the array takes buffers and children whatever happens */
			if ((rc = ice_arrow__array_make(a, length, null_count, 0, nb, bufs, owned, (int)n, kids, NULL)) != 0)
				ice_arrow_schema_release(s);
			owned = 0;
		}
	} else {
		for (size_t i = 0; i < done; i++) {
			ice_arrow_array_release(&kids[i]);
			ice_arrow_schema_release(&kid_schemas[i]);
		}
	}
	for (int i = 0; i < nb; i++)
		if (owned & (1u << i))
			ice__free(bufs[i]);
	ice__free(kids);
	ice__free(kid_schemas);
	return rc;
}

int ice_columns__finish(col_builder *b, struct ArrowArray *array, struct ArrowSchema *schema)
{
	return finish(b, array, schema, false);
}

int ice_columns__view(col_builder *b, struct ArrowArray *array, struct ArrowSchema *schema)
{
	return finish_as(b, array, schema, false, true);
}

void ice_columns__clear(col_builder *b)
{
	for (size_t i = 0; i < b->nchildren; i++)
		ice_columns__clear(&b->children[i]);
	b->length = 0;
	b->null_count = 0;
	ice_buf__clear(&b->validity);
	ice_buf__clear(&b->values);
	ice_buf__clear(&b->offsets);
	ice_buf__clear(&b->data);
}

void ice_columns__trim(col_builder *b)
{
	for (size_t i = 0; i < b->nchildren; i++)
		ice_columns__trim(&b->children[i]);
	if (b->length == 0) {
		ice_buf__free(&b->validity);
		ice_buf__free(&b->values);
		ice_buf__free(&b->offsets);
		ice_buf__free(&b->data);
	}
}

int ice_columns__init(col_builder *b, const ice_type *t, const char *name)
{
	int rc = init(b, t, name);
	if (rc)
		ice_columns__free(b);
	return rc;
}

int ice_columns__append_value(col_builder *b, const ice_literal *v)
{
	return append(b, v);
}

int ice_columns__finish_array(col_builder *b, struct ArrowArray *array, struct ArrowSchema *schema, bool nullable)
{
	return finish(b, array, schema, nullable);
}
