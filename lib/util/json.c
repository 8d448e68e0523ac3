/*
 * util/json.c - parsed JSON documents through jansson, and path-aware typed
 * getters. This is the only file in libicetable that includes jansson.
 *
 * jansson allocates through our allocator (json_set_alloc_funcs), so its
 * allocations count toward fault injection like everything else.
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "json.h"

static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;

static void install_alloc(void)
{
	json_set_alloc_funcs(ice__json_malloc, ice__json_free);
}

#define J(x) ((json_t *)(x))
#define CJ(x) ((const json_t *)(x))

int ice_json__parse(ice_json **out, const char *data, size_t len, const char *file)
{
	json_error_t err;
	json_t *root;
	pthread_once(&alloc_once, install_alloc);
	*out = NULL;
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!root) {
		/* jansson reports a failed allocation without position or text. */
		if (json_error_code(&err) == json_error_out_of_memory || ice_alloc_injected_failure() ||
		    (err.line < 0 && err.text[0] == '\0'))
			return ice_error__oom();
		if (len == 0)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_JSON, "%s: empty file",
			                      file ? file : "<json>");
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_JSON, "%s: line %d, column %d: %s",
		                      file ? file : "<json>", err.line, err.column, err.text);
	}
	*out = (ice_json *)root;
	return 0;
}

void ice_json__free(ice_json *json)
{
	if (json)
		json_decref(J(json));
}

ice_json_type ice_json__type(const ice_json *j)
{
	switch (json_typeof(CJ(j))) {
	case JSON_OBJECT: return ICE_JSON_OBJECT;
	case JSON_ARRAY: return ICE_JSON_ARRAY;
	case JSON_STRING: return ICE_JSON_STRING;
	case JSON_INTEGER: return ICE_JSON_INT;
	case JSON_REAL: return ICE_JSON_REAL;
	case JSON_TRUE: return ICE_JSON_TRUE;
	case JSON_FALSE: return ICE_JSON_FALSE;
	case JSON_NULL: return ICE_JSON_NULL;
	}
	return ICE_JSON_NULL;
}

const char *ice_json__type_name(const ice_json *j)
{
	switch (ice_json__type(j)) {
	case ICE_JSON_OBJECT: return "an object";
	case ICE_JSON_ARRAY: return "an array";
	case ICE_JSON_STRING: return "a string";
	case ICE_JSON_INT: return "an integer";
	case ICE_JSON_REAL: return "a number";
	case ICE_JSON_TRUE:
	case ICE_JSON_FALSE: return "a boolean";
	case ICE_JSON_NULL: return "null";
	}
	return "?";
}

ice_json *ice_json__get(const ice_json *obj, const char *key)
{
	if (!obj || !json_is_object(CJ(obj)))
		return NULL;
	return (ice_json *)json_object_get(CJ(obj), key);
}

size_t ice_json__size(const ice_json *j)
{
	if (json_is_array(CJ(j)))
		return json_array_size(CJ(j));
	if (json_is_object(CJ(j)))
		return json_object_size(CJ(j));
	return 0;
}

ice_json *ice_json__at(const ice_json *arr, size_t i)
{
	return (ice_json *)json_array_get(CJ(arr), i);
}

const char *ice_json__str(const ice_json *j, size_t *len)
{
	if (!json_is_string(CJ(j)))
		return NULL;
	if (len)
		*len = json_string_length(CJ(j));
	return json_string_value(CJ(j));
}

int64_t ice_json__int(const ice_json *j)
{
	return (int64_t)json_integer_value(CJ(j));
}

double ice_json__number(const ice_json *j)
{
	return json_number_value(CJ(j));
}

bool ice_json__is_bool(const ice_json *j)
{
	return json_is_boolean(CJ(j));
}

bool ice_json__is_number(const ice_json *j)
{
	return json_is_number(CJ(j));
}

void ice_json__iter_init(ice_json_iter *iter, const ice_json *obj)
{
	iter->obj = obj;
	iter->it = json_is_object(CJ(obj)) ? json_object_iter(J(obj)) : NULL;
}

bool ice_json__iter_next(ice_json_iter *iter, const char **key, ice_json **value)
{
	if (!iter->it)
		return false;
	*key = json_object_iter_key(iter->it);
	*value = (ice_json *)json_object_iter_value(iter->it);
	iter->it = json_object_iter_next(J(iter->obj), iter->it);
	return true;
}

/* ---- path-aware reading ------------------------------------------------ */

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
	n += (size_t)snprintf(out + n, cap - n, "$");
	for (int i = 0; i < depth && n < cap; i++) {
		if (r->seg[i].key)
			n += (size_t)snprintf(out + n, cap - n, ".%s", r->seg[i].key);
		else
			n += (size_t)snprintf(out + n, cap - n, "[%zu]", r->seg[i].index);
	}
}

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

static int member(ice_jr *r, const ice_json *obj, const char *key, bool required, json_t **out)
{
	json_t *v = json_is_object(CJ(obj)) ? json_object_get(CJ(obj), key) : NULL;
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return ice_jr__error(r, ICE_EINVALID, "missing required field '%s'", key);
		return 0;
	}
	*out = v;
	return 0;
}

static int wrong_type(ice_jr *r, const char *key, const json_t *v, const char *want)
{
	return ice_jr__error_at(r, key, ICE_EINVALID, "expected %s, found %s", want,
	                        ice_json__type_name((const ice_json *)v));
}

static int get_typed(ice_jr *r, const ice_json *obj, const char *key, bool required, int type,
                     const char *want, ice_json **out)
{
	json_t *v;
	int rc = member(r, obj, key, required, &v);
	if (rc)
		return rc;
	if (v && json_typeof(v) != (json_type)type)
		return wrong_type(r, key, v, want);
	*out = (ice_json *)v;
	return 0;
}

int ice_jr__req_object(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, true, JSON_OBJECT, "an object", out);
}

int ice_jr__opt_object(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, false, JSON_OBJECT, "an object", out);
}

int ice_jr__req_array(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, true, JSON_ARRAY, "an array", out);
}

int ice_jr__opt_array(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return get_typed(r, obj, key, false, JSON_ARRAY, "an array", out);
}

static int get_string(ice_jr *r, const ice_json *obj, const char *key, bool required, const char **out,
                      size_t *len)
{
	ice_json *v = NULL;
	int rc = get_typed(r, obj, key, required, JSON_STRING, "a string", &v);
	if (rc)
		return rc;
	if (v) {
		*out = json_string_value(J(v));
		if (len)
			*len = json_string_length(J(v));
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
	json_t *v;
	int rc = member(r, obj, key, required, &v);
	if (present)
		*present = false;
	if (rc || !v)
		return rc;
	if (!json_is_integer(v))
		return wrong_type(r, key, v, "an integer");
	json_int_t x = json_integer_value(v);
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
	json_t *v;
	int rc = member(r, obj, key, required, &v);
	if (present)
		*present = false;
	if (rc || !v)
		return rc;
	if (!json_is_boolean(v))
		return wrong_type(r, key, v, "a boolean");
	*out = json_is_true(v);
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
	if (!json_is_integer(CJ(j)))
		return ice_jr__error(r, ICE_EINVALID, "expected an integer, found %s", ice_json__type_name(j));
	*out = (int64_t)json_integer_value(CJ(j));
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
	if (!json_is_string(CJ(j)))
		return ice_jr__error(r, ICE_EINVALID, "expected a string, found %s", ice_json__type_name(j));
	*out = json_string_value(CJ(j));
	if (len)
		*len = json_string_length(CJ(j));
	return 0;
}
