/*
 * ice/json.h - a small streaming JSON writer.
 *
 * It is what the library itself writes metadata with, and what tools use for
 * their --json output, so that escaping, number formatting and indentation are
 * the same everywhere. Errors are sticky: check once with
 * ice_json_writer_finish().
 */
#ifndef ICE_JSON_H
#define ICE_JSON_H

#include "common.h"

ICE_BEGIN_DECL

typedef struct ice_json_writer ice_json_writer;

enum {
	ICE_JSON_COMPACT = 0,
	ICE_JSON_PRETTY = 1 << 0, /* two-space indentation, one member per line */
};

ICE_EXTERN int ice_json_writer_new(ice_json_writer **out, int flags);
ICE_EXTERN void ice_json_writer_free(ice_json_writer *w);

ICE_EXTERN int ice_json_begin_object(ice_json_writer *w);
ICE_EXTERN int ice_json_end_object(ice_json_writer *w);
ICE_EXTERN int ice_json_begin_array(ice_json_writer *w);
ICE_EXTERN int ice_json_end_array(ice_json_writer *w);
/* An object member name; the value follows with one of the calls below. */
ICE_EXTERN int ice_json_key(ice_json_writer *w, const char *key);
ICE_EXTERN int ice_json_string(ice_json_writer *w, const char *s);
ICE_EXTERN int ice_json_string_n(ice_json_writer *w, const char *s, size_t len);
ICE_EXTERN int ice_json_int(ice_json_writer *w, int64_t v);
/* Shortest text that reads back as the same double; NaN and infinities
 * are an error (JSON cannot carry them). */
ICE_EXTERN int ice_json_double(ice_json_writer *w, double v);
/* Same for a float value (shortest text that reads back as the same float). */
ICE_EXTERN int ice_json_float(ice_json_writer *w, float v);
/* The text snprintf("%.*g", p, v) gives for the smallest p >= min_precision
 * (1..17) that reads back as v - the shortest digits, in fixed notation
 * unless the exponent is below -4 or at least p - computed without printf
 * or strtod (util/dtoa.c), for writers of many doubles (CSV). NaN and the
 * infinities as printf writes them. Returns the length. */
ICE_EXTERN size_t ice_json_format_double(char out[32], double v, int min_precision);
ICE_EXTERN int ice_json_bool(ice_json_writer *w, bool v);
ICE_EXTERN int ice_json_null(ice_json_writer *w);
/* Inserts already-serialized JSON text as one value (not validated). */
ICE_EXTERN int ice_json_raw(ice_json_writer *w, const char *json, size_t len);

/*
 * Ends the document (adds a trailing newline when pretty) and returns the
 * text, owned by the writer, valid until it is freed or written to again.
 * Returns the first error raised by any call, if any.
 */
ICE_EXTERN int ice_json_writer_finish(ice_json_writer *w, const char **data_out, size_t *len_out);

ICE_END_DECL

#endif
