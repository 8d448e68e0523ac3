/*
 * util/json.h - reading JSON documents and the internal face of the JSON
 * writer. (ice parses JSON itself: see docs/internals/json.md for why not
 * jansson.)
 *
 * Readers walk the parsed tree through an ice_jr context that tracks the
 * JSON path being read, so every error names the file and the place in it:
 *   "v3.metadata.json: $.schemas[0].fields[2].type: unknown type 'lng'"
 */
#ifndef ICE_UTIL_JSON_H
#define ICE_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ice/json.h"

typedef struct ice_json ice_json; /* a node of a parsed document */

typedef enum ice_json_type {
	ICE_JSON_NULL,
	ICE_JSON_TRUE,
	ICE_JSON_FALSE,
	ICE_JSON_INT,
	ICE_JSON_REAL,
	ICE_JSON_STRING,
	ICE_JSON_ARRAY,
	ICE_JSON_OBJECT,
} ice_json_type;

/* Parse a whole document. Syntax errors read "<file>: line L, column C: ...". */
int ice_json__parse(ice_json **out, const char *data, size_t len, const char *file);
void ice_json__free(ice_json *json);

ice_json_type ice_json__type(const ice_json *j);
const char *ice_json__type_name(const ice_json *j);
ice_json *ice_json__get(const ice_json *obj, const char *key);
size_t ice_json__size(const ice_json *j); /* array or object member count */
ice_json *ice_json__at(const ice_json *arr, size_t i);
const char *ice_json__str(const ice_json *j, size_t *len);
int64_t ice_json__int(const ice_json *j);
double ice_json__number(const ice_json *j); /* int or real as double */
bool ice_json__is_bool(const ice_json *j);
bool ice_json__is_number(const ice_json *j);

/* Writes a parsed value (a subtree kept verbatim, e.g. unknown members). */
int ice_json__write(const ice_json *j, ice_json_writer *w);

/* Members of an object in document order. */
typedef struct ice_json_iter {
	size_t next;
	const ice_json *obj;
} ice_json_iter;
void ice_json__iter_init(ice_json_iter *iter, const ice_json *obj);
bool ice_json__iter_next(ice_json_iter *iter, const char **key, ice_json **value);

/* ---- reading with a path ---------------------------------------------- */

#define ICE_JR_MAX_DEPTH 64

typedef struct ice_jr {
	const char *file; /* for messages; may be NULL */
	int klass;        /* error class to raise */
	int depth;
	struct {
		const char *key; /* NULL for an array index */
		size_t index;
	} seg[ICE_JR_MAX_DEPTH];
} ice_jr;

void ice_jr__init(ice_jr *r, const char *file, int klass);
void ice_jr__push_key(ice_jr *r, const char *key);
void ice_jr__push_index(ice_jr *r, size_t index);
void ice_jr__pop(ice_jr *r);
/* Formats "$.a.b[2]" for the current path. */
void ice_jr__path(const ice_jr *r, char *out, size_t cap);
/* Raises "<file>: <path>: <message>" and returns code. */
int ice_jr__error(ice_jr *r, int code, const char *fmt, ...) ICE_PRINTF(3, 4);
/* Same, with `key` appended to the path for this one message. */
int ice_jr__error_at(ice_jr *r, const char *key, int code, const char *fmt, ...) ICE_PRINTF(4, 5);

/*
 * Typed member getters. req_* fail when the member is missing; opt_* set
 * *present (which may be NULL) and leave *out untouched when missing or null.
 * Integers must be JSON integers in range. Strings are borrowed from the
 * document.
 */
int ice_jr__req_object(ice_jr *r, const ice_json *obj, const char *key, ice_json **out);
int ice_jr__opt_object(ice_jr *r, const ice_json *obj, const char *key, ice_json **out);
int ice_jr__req_array(ice_jr *r, const ice_json *obj, const char *key, ice_json **out);
int ice_jr__opt_array(ice_jr *r, const ice_json *obj, const char *key, ice_json **out);
int ice_jr__req_string(ice_jr *r, const ice_json *obj, const char *key, const char **out, size_t *len);
int ice_jr__opt_string(ice_jr *r, const ice_json *obj, const char *key, const char **out, size_t *len);
int ice_jr__req_int64(ice_jr *r, const ice_json *obj, const char *key, int64_t *out);
int ice_jr__opt_int64(ice_jr *r, const ice_json *obj, const char *key, int64_t *out, bool *present);
int ice_jr__req_int32(ice_jr *r, const ice_json *obj, const char *key, int32_t *out);
int ice_jr__opt_int32(ice_jr *r, const ice_json *obj, const char *key, int32_t *out, bool *present);
int ice_jr__req_bool(ice_jr *r, const ice_json *obj, const char *key, bool *out);
int ice_jr__opt_bool(ice_jr *r, const ice_json *obj, const char *key, bool *out, bool *present);
/* The value itself (not a member) as a type; error names the current path. */
int ice_jr__as_int64(ice_jr *r, const ice_json *j, int64_t *out);
int ice_jr__as_int32(ice_jr *r, const ice_json *j, int32_t *out);
int ice_jr__as_string(ice_jr *r, const ice_json *j, const char **out, size_t *len);

/* ---- writing ------------------------------------------------------------ */

struct ice_json_writer {
	ice_buf buf;
	int flags;
	int depth;
	bool need_comma;
	bool after_key;
	int error;
};

void ice_jw__init(ice_json_writer *w, int flags);
void ice_jw__free(ice_json_writer *w);
/* Marks the writer failed (when a value could not be produced); returns rc. */
int ice_jw__fail(ice_json_writer *w, int rc);
/* Shortest round-trip text of a double / float into out[32]. */
size_t ice_json__format_double(double v, char *out);
size_t ice_json__format_float(float v, char *out);

#endif
