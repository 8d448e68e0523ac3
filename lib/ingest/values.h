/*
 * ingest/values.h - values of the table's types from text and JSON (values.c).
 */
#ifndef ICE_INGEST_VALUES_H
#define ICE_INGEST_VALUES_H

#include "ice/literal.h"
#include "util/arena.h"
#include "util/int128.h"
#include "util/json.h"

/* A primitive value parsed from text, as the column converters store it. */
typedef union ice_value_raw {
	bool b;
	int32_t i32;
	int64_t i64;
	float f32;
	double f64;
	ice_i128 dec;
} ice_value_raw;

/* How text becomes values beyond the fixed rules. */
typedef struct ice_value_opts {
	bool round; /* decimals with more digits after the point than the column: rounded half up (else refused) */
	bool case_insensitive; /* column names (CSV headers, JSON keys, Parquet fields) match ignoring case */
} ice_value_opts;

/*
 * The input column `name` among `nf` field names: the one equal to it, or
 * with case_insensitive the one equal ignoring ASCII case; (size_t)-1 for
 * none (*case_hint: a field differs only in case, when not ignoring it).
 * One rule for every input format; scan and delete apply the same one to
 * --select and --where (ice_scan_options.case_sensitive).
 */
size_t ice_value__find_column(const ice_field *fields, size_t nf, const char *name, size_t len,
                              bool case_insensitive, const char **case_hint);

/* Whether ice_value__parse takes type `t` (the rest go through literals). */
bool ice_value__parses(const ice_type *t);
/* Text to a primitive value of `t` (one ice_value__parses takes): 0, or
 * ICE_EINVALID with the reason raised (the caller adds where). */
int ice_value__parse(ice_value_raw *out, const ice_type *t, const char *s, size_t len, const ice_value_opts *o);

/* Text to a value of `t` (no null handling; nested types from JSON text).
 * Payloads may borrow `s` or live in `a`. */
int ice_value__from_text(ice_literal *out, const ice_type *t, const char *s, size_t len, ice_arena *a,
                         const ice_value_opts *o);

/* A JSON value to a value of `t` (null for JSON null); `depth` starts at 0.
 * Payloads live in `a` or in the document. */
int ice_value__from_json(ice_literal *out, const ice_type *t, const ice_json *j, ice_arena *a, int depth,
                         const ice_value_opts *o);

#endif
