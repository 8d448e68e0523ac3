/*
 * ice/literal.h - single values of Iceberg types, with the spec's ordering
 * and its serializations (Appendix D): binary (bounds, partition values in
 * manifests), JSON (defaults, REST expressions) and a human-readable text.
 *
 * A literal is a small value struct. Variable-length payloads (strings,
 * binary, fixed, uuid, geospatial WKB) and nested items are borrowed: they
 * point into whatever produced the literal (a metadata document, a manifest
 * buffer, an ice_arena) and live as long as it does.
 */
#ifndef ICE_LITERAL_H
#define ICE_LITERAL_H

#include "arena.h"
#include "common.h"
#include "json.h"
#include "types.h"

ICE_BEGIN_DECL

/* A 128-bit two's-complement integer: the unscaled value of a decimal. */
typedef struct ice_decimal128 {
	uint64_t lo;
	int64_t hi;
} ice_decimal128;

struct ice_literal {
	ice_type_id type; /* the value's type; STRUCT/LIST/MAP for nested values */
	bool is_null;
	int32_t scale;    /* decimals only */
	union {
		bool b;              /* boolean */
		int32_t i32;         /* int, date (days from 1970-01-01) */
		int64_t i64;         /* long, time (micros), timestamp[tz] (micros), *_ns (nanos) */
		float f32;           /* float */
		double f64;          /* double */
		ice_decimal128 dec;  /* decimal: the unscaled value */
		ice_slice bytes;     /* string (UTF-8), binary, fixed, uuid (16 bytes BE), geo WKB */
		struct {
			size_t n;                 /* struct fields, list items, or map entries */
			const ice_literal *items; /* map: 2n items, key then value */
			const int32_t *field_ids; /* struct: the field id of each item */
		} nested;
	} v;
};

/* Convenience constructors. */
static inline ice_literal ice_literal_null(ice_type_id type)
{
	ice_literal l = {type, true, 0, {0}};
	return l;
}
static inline ice_literal ice_literal_bool(bool v)
{
	ice_literal l = {ICE_TYPE_BOOLEAN, false, 0, {0}};
	l.v.b = v;
	return l;
}
static inline ice_literal ice_literal_int(int32_t v)
{
	ice_literal l = {ICE_TYPE_INT, false, 0, {0}};
	l.v.i32 = v;
	return l;
}
static inline ice_literal ice_literal_long(int64_t v)
{
	ice_literal l = {ICE_TYPE_LONG, false, 0, {0}};
	l.v.i64 = v;
	return l;
}
static inline ice_literal ice_literal_string(const char *s, size_t len)
{
	ice_literal l = {ICE_TYPE_STRING, false, 0, {0}};
	l.v.bytes.data = (const uint8_t *)s;
	l.v.bytes.len = len;
	return l;
}

/*
 * Total order of two values of the same primitive type, as the spec and the
 * reference implementation sort them: nulls first; floats with
 * -NaN < -Inf < ... < -0 < 0 < ... < Inf < NaN; strings by code point
 * (UTF-8 bytes unsigned); binary, fixed and uuid by unsigned bytes;
 * decimals by value (scales may differ). Returns <0, 0 or >0.
 * Values of different type ids compare by type id.
 */
ICE_EXTERN int ice_literal_compare(const ice_literal *a, const ice_literal *b);

/* Deep equality (nested values included). */
ICE_EXTERN bool ice_literal_equal(const ice_literal *a, const ice_literal *b);

/*
 * Binary single-value serialization (Appendix D). Writes at most `cap` bytes
 * into `out` and sets *len_out to the full length (call with cap 0 to size
 * it). Returns ICE_EUNSUPPORTED for types without a binary form (nested,
 * unknown, variant) and ICE_EINVALID for a null value.
 */
ICE_EXTERN int ice_literal_to_bytes(const ice_literal *v, uint8_t *out, size_t cap, size_t *len_out);

/*
 * Decode a binary single value of `type`. Variable-length payloads point into
 * `data`. Bounds written before a type promotion are accepted as the spec's
 * "Schema Evolution" table says: 4 bytes for long (an int), for double (a
 * float), for timestamp and timestamp_ns (a date); any width up to 16 for a
 * decimal. The result has the promoted type.
 */
ICE_EXTERN int ice_literal_from_bytes(ice_literal *out, const ice_type *type, const uint8_t *data, size_t len);

/*
 * JSON single-value serialization (Appendix D). Nested values need `type`
 * for their children's types; items, field ids and payloads are allocated in
 * `arena`. ice_literal_from_json parses JSON text.
 */
ICE_EXTERN int ice_literal_from_json(ice_literal *out, const ice_type *type, const char *json, size_t len,
                                     ice_arena *arena);
ICE_EXTERN int ice_literal_write_json(const ice_literal *v, ice_json_writer *w);

/*
 * Parse a value from plain text (what a user types or a CSV holds): numbers,
 * true/false, ISO-8601 dates, times and timestamps (a zone is required for
 * timestamptz and converted to UTC; a timestamp without zone given for
 * timestamptz is rejected), decimals at the type's scale (no rounding),
 * canonical UUIDs, hex for binary and fixed. Payloads go into `arena`.
 */
ICE_EXTERN int ice_literal_from_string(ice_literal *out, const ice_type *type, const char *s, size_t len,
                                       ice_arena *arena);

/*
 * A readable rendering: the JSON single-value text without quotes for
 * primitives (2017-11-16, 14.20, f79c3e09-...), hex for binary, and JSON for
 * nested values; "null" for nulls. Allocated; free with ice_free().
 */
ICE_EXTERN char *ice_literal_to_string(const ice_literal *v);

/*
 * Convert a value to a wider type per the promotion rules (int->long,
 * float->double, decimal precision, date->timestamp[_ns]); identity for the
 * same type. ICE_EINVALID when the promotion is not allowed.
 */
ICE_EXTERN int ice_literal_promote(ice_literal *out, const ice_literal *in, const ice_type *to);

/* Helpers for decimals (unscaled values up to 38 digits). */
ICE_EXTERN ice_decimal128 ice_decimal128_from_int64(int64_t v);
ICE_EXTERN int ice_decimal128_compare(ice_decimal128 a, ice_decimal128 b);

ICE_END_DECL

#endif
