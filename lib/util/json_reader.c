/*
 * util/json_reader.c - reading a parsed JSON document with a path: typed
 * member getters whose errors name the file and the JSON path
 * ("v3.metadata.json: $.schemas[0].fields[2].id: expected an integer").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "json.h"

void ice_jr__init(ice_jr *r, const char *file, int klass)
{
	r->file = file;
	r->klass = klass;
	r->depth = 0;
}

void ice_jr__push_key(ice_jr *r, const char *key)
{
	if (r->depth < ICE_JR_MAX_DEPTH) {
		r->seg[r->depth].key = key;
		r->seg[r->depth].index = 0;
	}
	r->depth++;
}

void ice_jr__push_index(ice_jr *r, size_t index)
{
	if (r->depth < ICE_JR_MAX_DEPTH) {
		r->seg[r->depth].key = NULL;
		r->seg[r->depth].index = index;
	}
	r->depth++;
}

void ice_jr__pop(ice_jr *r)
{
	if (r->depth > 0)
		r->depth--;
}

void ice_jr__path(const ice_jr *r, char *out, size_t cap)
{
	size_t n = 0;
	int depth = r->depth < ICE_JR_MAX_DEPTH ? r->depth : ICE_JR_MAX_DEPTH;
	int w = snprintf(out, cap, "$");
	n = w > 0 ? (size_t)w : 0;
	for (int i = 0; i < depth && n < cap; i++) {
		if (r->seg[i].key)
			w = snprintf(out + n, cap - n, ".%s", r->seg[i].key);
		else
			w = snprintf(out + n, cap - n, "[%zu]", r->seg[i].index);
		if (w < 0)
			break;
		n += (size_t)w; /* may pass cap: the loop stops, output stays truncated */
	}
}

static int vraise(ice_jr *r, const char *extra_key, int code, const char *fmt, va_list ap) ICE_PRINTF(4, 0);

static int vraise(ice_jr *r, const char *extra_key, int code, const char *fmt, va_list ap)
{
	char path[512], msg[1024];
	ice_jr__path(r, path, sizeof(path));
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (extra_key)
		return ice_error__set(code, r->klass, "%s: %s.%s: %s", r->file ? r->file : "<json>", path,
		                      extra_key, msg);
	return ice_error__set(code, r->klass, "%s: %s: %s", r->file ? r->file : "<json>", path, msg);
}

int ice_jr__error(ice_jr *r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vraise(r, NULL, code, fmt, ap);
	va_end(ap);
	return code;
}

int ice_jr__error_at(ice_jr *r, const char *key, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vraise(r, key, code, fmt, ap);
	va_end(ap);
	return code;
}

static int member(ice_jr *r, const ice_json *obj, const char *key, bool required, ice_json **out)
{
	ice_json *v = ice_json__get(obj, key);
	*out = NULL;
	if (!v || ice_json__type(v) == ICE_JSON_NULL) {
		if (required)
			return ice_jr__error(r, ICE_EINVALID, "missing required field '%s'", key);
		return 0;
	}
	*out = v;
	return 0;
}

static int wrong_type(ice_jr *r, const char *key, const ice_json *v, const char *want)
{
	return ice_jr__error_at(r, key, ICE_EINVALID, "expected %s, found %s", want,
	                        ice_json__type_name(v));
}

static int get_typed(ice_jr *r, const ice_json *obj, const char *key, bool required, int type,
                     const char *want, ice_json **out)
{
	ice_json *v;
	int rc = member(r, obj, key, required, &v);
	if (rc)
		return rc;
	if (v && ice_json__type(v) != (ice_json_type)type)
		return wrong_type(r, key, v, want);
	*out = v;
	return 0;
}

int ice_jr__req_object(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, true, ICE_JSON_OBJECT, "an object", out);
}

int ice_jr__opt_object(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, false, ICE_JSON_OBJECT, "an object", out);
}

int ice_jr__req_array(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, true, ICE_JSON_ARRAY, "an array", out);
}

int ice_jr__opt_array(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, false, ICE_JSON_ARRAY, "an array", out);
}

static int get_string(ice_jr *r, const ice_json *obj, const char *key, bool required, const char **out,
                      size_t *len)
{
	ice_json *v = NULL;
	int rc = get_typed(r, obj, key, required, ICE_JSON_STRING, "a string", &v);
	if (rc)
		return rc;
	if (v) {
		*out = ice_json__str(v, len);
	}
	return 0;
}

int ice_jr__req_string(ice_jr *r, const ice_json *obj, const char *key, const char **out, size_t *len)
{
	return get_string(r, obj, key, true, out, len);
}

int ice_jr__opt_string(ice_jr *r, const ice_json *obj, const char *key, const char **out, size_t *len)
{
	return get_string(r, obj, key, false, out, len);
}

static int get_int(ice_jr *r, const ice_json *obj, const char *key, bool required, int64_t lo, int64_t hi,
                   int64_t *out, bool *present)
{
	ice_json *v;
	int rc = member(r, obj, key, required, &v);
	if (present)
		*present = false;
	if (rc || !v)
		return rc;
	if (ice_json__type(v) != ICE_JSON_INT)
		return wrong_type(r, key, v, "an integer");
	int64_t x = ice_json__int(v);
	if (x < lo || x > hi)
		return ice_jr__error_at(r, key, ICE_EINVALID, "integer %lld out of range", (long long)x);
	*out = (int64_t)x;
	if (present)
		*present = true;
	return 0;
}

int ice_jr__req_int64(ice_jr *r, const ice_json *obj, const char *key, int64_t *out)
{
	return get_int(r, obj, key, true, INT64_MIN, INT64_MAX, out, NULL);
}

int ice_jr__opt_int64(ice_jr *r, const ice_json *obj, const char *key, int64_t *out, bool *present)
{
	return get_int(r, obj, key, false, INT64_MIN, INT64_MAX, out, present);
}

int ice_jr__req_int32(ice_jr *r, const ice_json *obj, const char *key, int32_t *out)
{
	int64_t v = 0;
	int rc = get_int(r, obj, key, true, INT32_MIN, INT32_MAX, &v, NULL);
	if (!rc)
		*out = (int32_t)v;
	return rc;
}

int ice_jr__opt_int32(ice_jr *r, const ice_json *obj, const char *key, int32_t *out, bool *present)
{
	int64_t v = 0;
	bool p = false;
	int rc = get_int(r, obj, key, false, INT32_MIN, INT32_MAX, &v, &p);
	if (!rc && p)
		*out = (int32_t)v;
	if (present)
		*present = p;
	return rc;
}

static int get_bool(ice_jr *r, const ice_json *obj, const char *key, bool required, bool *out, bool *present)
{
	ice_json *v;
	int rc = member(r, obj, key, required, &v);
	if (present)
		*present = false;
	if (rc || !v)
		return rc;
	if (!ice_json__is_bool(v))
		return wrong_type(r, key, v, "a boolean");
	*out = ice_json__type(v) == ICE_JSON_TRUE;
	if (present)
		*present = true;
	return 0;
}

int ice_jr__req_bool(ice_jr *r, const ice_json *obj, const char *key, bool *out)
{
	return get_bool(r, obj, key, true, out, NULL);
}

int ice_jr__opt_bool(ice_jr *r, const ice_json *obj, const char *key, bool *out, bool *present)
{
	return get_bool(r, obj, key, false, out, present);
}

int ice_jr__as_int64(ice_jr *r, const ice_json *j, int64_t *out)
{
	if (ice_json__type(j) != ICE_JSON_INT)
		return ice_jr__error(r, ICE_EINVALID, "expected an integer, found %s", ice_json__type_name(j));
	*out = ice_json__int(j);
	return 0;
}

int ice_jr__as_int32(ice_jr *r, const ice_json *j, int32_t *out)
{
	int64_t v = 0;
	int rc = ice_jr__as_int64(r, j, &v);
	if (rc)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return ice_jr__error(r, ICE_EINVALID, "integer %lld out of range", (long long)v);
	*out = (int32_t)v;
	return 0;
}

int ice_jr__as_string(ice_jr *r, const ice_json *j, const char **out, size_t *len)
{
	if (ice_json__type(j) != ICE_JSON_STRING)
		return ice_jr__error(r, ICE_EINVALID, "expected a string, found %s", ice_json__type_name(j));
	*out = ice_json__str(j, len);
	return 0;
}
