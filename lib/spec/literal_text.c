/*
 * spec/literal_text.c - the text forms of single values: the JSON
 * single-value serialization (spec Appendix D), values parsed from plain text
 * (what users type, what CSV holds), and readable renderings.
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

/* ---- decimal text ---------------------------------------------------------- */

/*
 * Parses decimal text ("-14.20", "3E+5", "1.5e-3") into an unscaled value
 * at `scale`, without rounding: extra fractional digits must be zeros.
 */
static bool parse_decimal(const char *s, size_t len, int32_t scale, int32_t precision, ice_i128 *out)
{
	size_t i = 0;
	bool neg = false, any = false;
	ice_i128 v = 0;
	int digits = 0, frac = 0, exp = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (digits > 0 || s[i] != '0')
			digits++;
		if (digits > 38)
			return false;
		v = v * 10 + (s[i] - '0');
		any = true;
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (digits > 0 || s[i] != '0')
				digits++;
			if (digits > 38)
				return false;
			v = v * 10 + (s[i] - '0');
			frac++;
			any = true;
		}
	}
	if (!any)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		int32_t e;
		i++;
		if (i < len && s[i] == '+')
			i++;
		if (!ice_str__to_int32(s + i, len - i, &e) || e < -100 || e > 100)
			return false;
		exp = e;
		i = len;
	}
	if (i != len)
		return false;
	/* value = v * 10^(exp - frac); we want v' = value * 10^scale */
	int shift = scale + exp - frac;
	if (shift > 0) {
		if (ice_i128__digits(v) + shift > 38)
			return false;
		v *= ice_i128__pow10(shift);
	} else if (shift < 0) {
		if (-shift > 38)
			return v == 0 ? (*out = 0, true) : false;
		ice_i128 p = ice_i128__pow10(-shift);
		if (v % p != 0)
			return false; /* would round */
		v /= p;
	}
	if (v != 0 && ice_i128__digits(v) > precision)
		return false;
	*out = neg ? -v : v;
	return true;
}

/* The spec's text: plain digits for scale >= 0, "<unscaled>E+<-scale>" else. */
static size_t format_decimal(ice_i128 v, int32_t scale, char *out)
{
	char digits[48];
	size_t n = ice_i128__to_string(v < 0 ? -v : v, digits), o = 0;
	if (v < 0)
		out[o++] = '-';
	if (scale <= 0) {
		memcpy(out + o, digits, n);
		o += n;
		if (scale < 0)
			o += (size_t)sprintf(out + o, "E+%d", (int)-scale);
		out[o] = '\0';
		return o;
	}
	if (n <= (size_t)scale) {
		out[o++] = '0';
		out[o++] = '.';
		for (size_t z = n; z < (size_t)scale; z++)
			out[o++] = '0';
		memcpy(out + o, digits, n);
		o += n;
	} else {
		memcpy(out + o, digits, n - (size_t)scale);
		o += n - (size_t)scale;
		out[o++] = '.';
		memcpy(out + o, digits + n - (size_t)scale, (size_t)scale);
		o += (size_t)scale;
	}
	out[o] = '\0';
	return o;
}

/* ---- JSON single values ---------------------------------------------------- */

static int json_mismatch(ice_jr *r, const ice_type *type, const ice_json *j)
{
	return ice_jr__error(r, ICE_EINVALID, "%s is not a valid %s value", ice_json__type_name(j),
	                     ice_type_id_name(type->id));
}

static int text_mismatch(ice_jr *r, const ice_type *type, const char *s, size_t len)
{
	return ice_jr__error(r, ICE_EINVALID, "'%.*s' is not a valid %s value", (int)(len > 80 ? 80 : len), s,
	                     ice_type_id_name(type->id));
}

/* Parses a value from its text form; used by JSON (for string-encoded types)
 * and by ice_literal_from_string. `json_form` restricts to the spec's JSON
 * forms (e.g. hex binary, zone rules). */
static int from_text(ice_literal *out, const ice_type *type, const char *s, size_t len, ice_arena *arena,
                     ice_jr *r, bool json_form)
{
	memset(out, 0, sizeof(*out));
	out->type = type->id;
	switch (type->id) {
	case ICE_TYPE_BOOLEAN:
		if (ice_str__ieq(s, len, "true", 4))
			out->v.b = true;
		else if (ice_str__ieq(s, len, "false", 5))
			out->v.b = false;
		else
			return text_mismatch(r, type, s, len);
		return 0;
	case ICE_TYPE_INT:
		if (!ice_str__to_int32(s, len, &out->v.i32))
			return text_mismatch(r, type, s, len);
		return 0;
	case ICE_TYPE_LONG:
		if (!ice_str__to_int64(s, len, &out->v.i64))
			return text_mismatch(r, type, s, len);
		return 0;
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE: {
		double d;
		if (ice_str__ieq(s, len, "nan", 3))
			d = NAN;
		else if (ice_str__ieq(s, len, "infinity", 8) || ice_str__ieq(s, len, "+infinity", 9) ||
		         ice_str__ieq(s, len, "inf", 3))
			d = INFINITY;
		else if (ice_str__ieq(s, len, "-infinity", 9) || ice_str__ieq(s, len, "-inf", 4))
			d = -INFINITY;
		else if (!ice_str__to_double(s, len, &d))
			return text_mismatch(r, type, s, len);
		if (type->id == ICE_TYPE_FLOAT)
			out->v.f32 = (float)d;
		else
			out->v.f64 = d;
		return 0;
	}
	case ICE_TYPE_DECIMAL: {
		ice_i128 v;
		if (!parse_decimal(s, len, type->u.decimal.scale, type->u.decimal.precision, &v))
			return ice_jr__error(r, ICE_EINVALID, "'%.*s' is not a valid decimal(%d, %d) value", (int)len, s,
			                     (int)type->u.decimal.precision, (int)type->u.decimal.scale);
		out->v.dec = ice_dec__make(v);
		out->scale = type->u.decimal.scale;
		return 0;
	}
	case ICE_TYPE_DATE:
		if (!ice_dt__parse_date(s, len, &out->v.i32))
			return text_mismatch(r, type, s, len);
		return 0;
	case ICE_TYPE_TIME:
		if (!ice_dt__parse_time(s, len, false, &out->v.i64))
			return text_mismatch(r, type, s, len);
		return 0;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMPTZ_NS: {
		bool ns = type->id == ICE_TYPE_TIMESTAMP_NS || type->id == ICE_TYPE_TIMESTAMPTZ_NS;
		bool tz = type->id == ICE_TYPE_TIMESTAMPTZ || type->id == ICE_TYPE_TIMESTAMPTZ_NS;
		bool zone = false;
		if (!ice_dt__parse_timestamp(s, len, ns, &out->v.i64, &zone))
			return text_mismatch(r, type, s, len);
		if (zone && !tz)
			return ice_jr__error(r, ICE_EINVALID, "'%.*s': %s values must not have a zone offset", (int)len,
			                     s, ice_type_id_name(type->id));
		if (!zone && tz && !json_form)
			return ice_jr__error(r, ICE_EINVALID, "'%.*s': %s values need a zone offset (e.g. +00:00)",
			                     (int)len, s, ice_type_id_name(type->id));
		return 0;
	}
	case ICE_TYPE_STRING: {
		if (!ice_utf8__valid((const uint8_t *)s, len))
			return ice_jr__error(r, ICE_EINVALID, "a string value must be valid UTF-8");
		char *copy = ice_arena__strndup(arena, s, len);
		if (!copy)
			return ICE_ERROR;
		out->v.bytes.data = (const uint8_t *)copy;
		out->v.bytes.len = len;
		return 0;
	}
	case ICE_TYPE_UUID: {
		uint8_t *u = ice_arena__alloc(arena, 16);
		if (!u)
			return ICE_ERROR;
		if (!ice_uuid__parse(s, len, u))
			return text_mismatch(r, type, s, len);
		out->v.bytes.data = u;
		out->v.bytes.len = 16;
		return 0;
	}
	case ICE_TYPE_FIXED:
	case ICE_TYPE_BINARY: {
		uint8_t *b = ice_arena__alloc(arena, len / 2 + 1);
		if (!b)
			return ICE_ERROR;
		if (!ice_hex__decode(s, len, b))
			return ice_jr__error(r, ICE_EINVALID, "'%.*s' is not a valid hex %s value", (int)(len > 80 ? 80 : len),
			                     s, ice_type_id_name(type->id));
		if (type->id == ICE_TYPE_FIXED && len / 2 != (size_t)type->u.fixed.length)
			return ice_jr__error(r, ICE_EINVALID, "a fixed[%d] value needs %d bytes, got %zu",
			                     (int)type->u.fixed.length, (int)type->u.fixed.length, len / 2);
		out->v.bytes.data = b;
		out->v.bytes.len = len / 2;
		return 0;
	}
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: {
		ice_buf wkb = ICE_BUF_INIT;
		int rc = ice_wkb__from_wkt(s, len, &wkb);
		if (rc) {
			ice_buf__free(&wkb);
			if (ice_error__is_oom())
				return rc;
			char msg[256];
			snprintf(msg, sizeof(msg), "%s", ice_error_last()->message);
			return ice_jr__error(r, rc, "'%.*s': %s", (int)(len > 60 ? 60 : len), s, msg);
		}
		out->v.bytes.data = ice_arena__memdup(arena, wkb.ptr, wkb.len);
		out->v.bytes.len = wkb.len;
		ice_buf__free(&wkb);
		return out->v.bytes.data ? 0 : ICE_ERROR;
	}
	default:
		return ice_jr__error(r, ICE_EUNSUPPORTED, "%s values cannot be parsed from text",
		                     ice_type_id_name(type->id));
	}
}

int ice_literal__from_json(ice_literal *out, const ice_type *type, const ice_json *j, ice_arena *arena, ice_jr *r)
{
	ice_json_type jt = ice_json__type(j);
	memset(out, 0, sizeof(*out));
	out->type = type->id;
	if (jt == ICE_JSON_NULL) {
		out->is_null = true;
		out->scale = type->id == ICE_TYPE_DECIMAL ? type->u.decimal.scale : 0;
		return 0;
	}
	switch (type->id) {
	case ICE_TYPE_BOOLEAN:
		if (!ice_json__is_bool(j))
			return json_mismatch(r, type, j);
		out->v.b = jt == ICE_JSON_TRUE;
		return 0;
	case ICE_TYPE_INT: {
		int32_t v;
		int rc = ice_jr__as_int32(r, j, &v);
		out->v.i32 = v;
		return rc;
	}
	case ICE_TYPE_LONG:
		return ice_jr__as_int64(r, j, &out->v.i64);
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE:
		if (!ice_json__is_number(j))
			return json_mismatch(r, type, j);
		if (type->id == ICE_TYPE_FLOAT)
			out->v.f32 = (float)ice_json__number(j);
		else
			out->v.f64 = ice_json__number(j);
		return 0;
	case ICE_TYPE_STRUCT: {
		size_t n = 0, cap;
		if (jt != ICE_JSON_OBJECT)
			return json_mismatch(r, type, j);
		cap = ice_json__size(j);
		ice_literal *items = cap ? ice_arena__allocarray(arena, cap, sizeof(ice_literal)) : NULL;
		int32_t *ids = cap ? ice_arena__allocarray(arena, cap, sizeof(int32_t)) : NULL;
		if (cap && (!items || !ids))
			return ICE_ERROR;
		ice_json_iter it;
		const char *key;
		ice_json *val;
		ice_json__iter_init(&it, j);
		while (ice_json__iter_next(&it, &key, &val)) {
			int32_t id;
			const ice_field *f;
			int rc;
			if (!ice_str__to_int32(key, strlen(key), &id) || !(f = ice_struct_field_by_id(type, id)))
				return ice_jr__error(r, ICE_EINVALID, "struct value key '%s' is not a field id of the struct",
				                     key);
			ice_jr__push_key(r, key);
			rc = ice_literal__from_json(&items[n], f->type, val, arena, r);
			ice_jr__pop(r);
			if (rc)
				return rc;
			ids[n++] = id;
		}
		out->v.nested.n = n;
		out->v.nested.items = items;
		out->v.nested.field_ids = ids;
		return 0;
	}
	case ICE_TYPE_LIST: {
		if (jt != ICE_JSON_ARRAY)
			return json_mismatch(r, type, j);
		size_t n = ice_json__size(j);
		ice_literal *items = n ? ice_arena__allocarray(arena, n, sizeof(ice_literal)) : NULL;
		if (n && !items)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			int rc;
			ice_jr__push_index(r, i);
			rc = ice_literal__from_json(&items[i], type->u.list.element.type, ice_json__at(j, i), arena, r);
			ice_jr__pop(r);
			if (rc)
				return rc;
		}
		out->v.nested.n = n;
		out->v.nested.items = items;
		return 0;
	}
	case ICE_TYPE_MAP: {
		ice_json *keys, *values;
		int rc;
		if (jt != ICE_JSON_OBJECT)
			return json_mismatch(r, type, j);
		if ((rc = ice_jr__req_array(r, j, "keys", &keys)) || (rc = ice_jr__req_array(r, j, "values", &values)))
			return rc;
		size_t n = ice_json__size(keys);
		if (ice_json__size(values) != n)
			return ice_jr__error(r, ICE_EINVALID, "map value has %zu keys but %zu values", n,
			                     ice_json__size(values));
		ice_literal *items = n ? ice_arena__allocarray(arena, 2 * n, sizeof(ice_literal)) : NULL;
		if (n && !items)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			ice_jr__push_key(r, "keys");
			ice_jr__push_index(r, i);
			rc = ice_literal__from_json(&items[2 * i], type->u.map.key.type, ice_json__at(keys, i), arena, r);
			ice_jr__pop(r);
			ice_jr__pop(r);
			if (rc)
				return rc;
			ice_jr__push_key(r, "values");
			ice_jr__push_index(r, i);
			rc = ice_literal__from_json(&items[2 * i + 1], type->u.map.value.type, ice_json__at(values, i),
			                            arena, r);
			ice_jr__pop(r);
			ice_jr__pop(r);
			if (rc)
				return rc;
		}
		out->v.nested.n = n;
		out->v.nested.items = items;
		return 0;
	}
	case ICE_TYPE_VARIANT:
	case ICE_TYPE_UNKNOWN:
		return ice_jr__error(r, ICE_EUNSUPPORTED, "non-null %s values are not supported here",
		                     ice_type_id_name(type->id));
	default: {
		const char *s;
		size_t len;
		if (jt != ICE_JSON_STRING)
			return json_mismatch(r, type, j);
		s = ice_json__str(j, &len);
		return from_text(out, type, s, len, arena, r, true);
	}
	}
}

int ice_literal_from_json(ice_literal *out, const ice_type *type, const char *json, size_t len, ice_arena *arena)
{
	ice_json *j;
	ice_jr r;
	int rc;
	/* jansson only parses arrays/objects at top level unless asked; wrap. */
	ice_buf b = ICE_BUF_INIT;
	ice_buf__puts(&b, "[");
	ice_buf__put(&b, json, len);
	ice_buf__puts(&b, "]");
	if (b.error)
		return b.error;
	rc = ice_json__parse(&j, b.ptr, b.len, "<value>");
	ice_buf__free(&b);
	if (rc)
		return rc;
	ice_jr__init(&r, "<value>", ICE_ERRCLASS_INVALID);
	if (ice_json__size(j) != 1)
		rc = ice_jr__error(&r, ICE_EINVALID, "expected one JSON value");
	else
		rc = ice_literal__from_json(out, type, ice_json__at(j, 0), arena, &r);
	ice_json__free(j);
	return rc;
}

/* Text of a string-encoded primitive into `out` (at least 64 bytes, or the
 * payload length * 2 + 1 for binary). Returns the length. */
static size_t primitive_text(const ice_literal *v, char *out)
{
	switch (v->type) {
	case ICE_TYPE_DECIMAL: return format_decimal(ice_dec__get(v->v.dec), v->scale, out);
	case ICE_TYPE_DATE: return ice_dt__format_date(v->v.i32, out);
	case ICE_TYPE_TIME: return ice_dt__format_time(v->v.i64, false, out);
	case ICE_TYPE_TIMESTAMP: return ice_dt__format_timestamp(v->v.i64, false, false, out);
	case ICE_TYPE_TIMESTAMPTZ: return ice_dt__format_timestamp(v->v.i64, false, true, out);
	case ICE_TYPE_TIMESTAMP_NS: return ice_dt__format_timestamp(v->v.i64, true, false, out);
	case ICE_TYPE_TIMESTAMPTZ_NS: return ice_dt__format_timestamp(v->v.i64, true, true, out);
	case ICE_TYPE_UUID:
		if (v->v.bytes.len == 16) {
			ice_uuid__format(v->v.bytes.data, out);
			return 36;
		}
		/* fall through */
	case ICE_TYPE_FIXED:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: ice_hex__encode(v->v.bytes.data, v->v.bytes.len, out); return v->v.bytes.len * 2;
	default: out[0] = '\0'; return 0;
	}
}

int ice_literal_write_json(const ice_literal *v, ice_json_writer *w)
{
	char small[96];
	if (v->is_null)
		return ice_json_null(w);
	switch (v->type) {
	case ICE_TYPE_BOOLEAN: return ice_json_bool(w, v->v.b);
	case ICE_TYPE_INT: return ice_json_int(w, v->v.i32);
	case ICE_TYPE_LONG: return ice_json_int(w, v->v.i64);
	case ICE_TYPE_FLOAT: return ice_json_float(w, v->v.f32);
	case ICE_TYPE_DOUBLE: return ice_json_double(w, v->v.f64);
	case ICE_TYPE_STRING: return ice_json_string_n(w, (const char *)v->v.bytes.data, v->v.bytes.len);
	case ICE_TYPE_STRUCT:
		ice_json_begin_object(w);
		for (size_t i = 0; i < v->v.nested.n; i++) {
			char key[16];
			snprintf(key, sizeof(key), "%d", (int)v->v.nested.field_ids[i]);
			ice_json_key(w, key);
			ice_literal_write_json(&v->v.nested.items[i], w);
		}
		return ice_json_end_object(w);
	case ICE_TYPE_LIST:
		ice_json_begin_array(w);
		for (size_t i = 0; i < v->v.nested.n; i++)
			ice_literal_write_json(&v->v.nested.items[i], w);
		return ice_json_end_array(w);
	case ICE_TYPE_MAP:
		ice_json_begin_object(w);
		ice_json_key(w, "keys");
		ice_json_begin_array(w);
		for (size_t i = 0; i < v->v.nested.n; i++)
			ice_literal_write_json(&v->v.nested.items[2 * i], w);
		ice_json_end_array(w);
		ice_json_key(w, "values");
		ice_json_begin_array(w);
		for (size_t i = 0; i < v->v.nested.n; i++)
			ice_literal_write_json(&v->v.nested.items[2 * i + 1], w);
		ice_json_end_array(w);
		return ice_json_end_object(w);
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: {
		ice_buf wkt = ICE_BUF_INIT;
		int rc = ice_wkb__to_wkt(v->v.bytes.data, v->v.bytes.len, &wkt);
		if (!rc)
			rc = ice_json_string_n(w, ice_buf__cstr(&wkt), wkt.len);
		else
			ice_jw__fail(w, rc);
		ice_buf__free(&wkt);
		return rc;
	}
	case ICE_TYPE_FIXED:
	case ICE_TYPE_BINARY:
		if (v->v.bytes.len * 2 + 1 > sizeof(small)) {
			char *hex = ice__malloc(v->v.bytes.len * 2 + 1);
			int rc;
			if (!hex)
				return ice_jw__fail(w, ICE_ERROR);
			ice_hex__encode(v->v.bytes.data, v->v.bytes.len, hex);
			rc = ice_json_string_n(w, hex, v->v.bytes.len * 2);
			ice__free(hex);
			return rc;
		}
		/* fall through */
	default: {
		size_t n = primitive_text(v, small);
		return ice_json_string_n(w, small, n);
	}
	}
}

/* ---- text -------------------------------------------------------------------- */

int ice_literal_from_string(ice_literal *out, const ice_type *type, const char *s, size_t len, ice_arena *arena)
{
	ice_jr r;
	ice_jr__init(&r, "<value>", ICE_ERRCLASS_INVALID);
	int rc = from_text(out, type, s, len, arena, &r, false);
	if (rc && !ice_error__is_oom()) {
		/* Messages from text parsing read better without the JSON path. */
		const char *m = ice_error_last()->message;
		const char *p = strstr(m, "$: ");
		if (p) {
			char copy[1024];
			snprintf(copy, sizeof(copy), "%s", p + 3);
			ice_error__set(rc, ICE_ERRCLASS_INVALID, "%s", copy);
		}
	}
	return rc;
}

char *ice_literal_to_string(const ice_literal *v)
{
	ice_buf b = ICE_BUF_INIT;
	char small[96];
	if (v->is_null)
		return ice__strdup("null");
	switch (v->type) {
	case ICE_TYPE_BOOLEAN: return ice__strdup(v->v.b ? "true" : "false");
	case ICE_TYPE_INT: ice_buf__printf(&b, "%d", (int)v->v.i32); break;
	case ICE_TYPE_LONG: ice_buf__printf(&b, "%lld", (long long)v->v.i64); break;
	case ICE_TYPE_FLOAT:
		if (isnan(v->v.f32))
			ice_buf__puts(&b, "NaN");
		else if (isinf(v->v.f32))
			ice_buf__puts(&b, v->v.f32 > 0 ? "Infinity" : "-Infinity");
		else {
			size_t n = ice_json__format_float(v->v.f32, small);
			ice_buf__put(&b, small, n);
		}
		break;
	case ICE_TYPE_DOUBLE:
		if (isnan(v->v.f64))
			ice_buf__puts(&b, "NaN");
		else if (isinf(v->v.f64))
			ice_buf__puts(&b, v->v.f64 > 0 ? "Infinity" : "-Infinity");
		else {
			size_t n = ice_json__format_double(v->v.f64, small);
			ice_buf__put(&b, small, n);
		}
		break;
	case ICE_TYPE_STRING: ice_buf__put(&b, v->v.bytes.data, v->v.bytes.len); break;
	case ICE_TYPE_STRUCT:
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		ice_json_writer w;
		const char *text;
		size_t len;
		ice_jw__init(&w, ICE_JSON_COMPACT);
		ice_literal_write_json(v, &w);
		if (ice_json_writer_finish(&w, &text, &len) == 0)
			ice_buf__put(&b, text, len);
		else
			b.error = ICE_ERROR;
		ice_jw__free(&w);
		break;
	}
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		if (ice_wkb__to_wkt(v->v.bytes.data, v->v.bytes.len, &b) != 0) {
			/* not WKB (a bound is a bare x:y point): show the bytes */
			ice_buf__clear(&b);
			b.error = 0;
			uint8_t *p = ice_buf__reserve(&b, v->v.bytes.len * 2 + 1);
			if (p) {
				ice_hex__encode(v->v.bytes.data, v->v.bytes.len, (char *)p);
				ice_buf__truncate(&b, v->v.bytes.len * 2);
			}
		}
		break;
	case ICE_TYPE_FIXED:
	case ICE_TYPE_BINARY: {
		uint8_t *p = ice_buf__reserve(&b, v->v.bytes.len * 2 + 1);
		if (p) {
			ice_hex__encode(v->v.bytes.data, v->v.bytes.len, (char *)p);
			ice_buf__truncate(&b, v->v.bytes.len * 2);
		}
		break;
	}
	default: {
		size_t n = primitive_text(v, small);
		ice_buf__put(&b, small, n);
	}
	}
	return ice_buf__detach(&b, NULL);
}

