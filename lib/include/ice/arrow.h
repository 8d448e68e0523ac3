/*
 * ice/arrow.h - the Arrow C Data Interface and C Stream Interface, written
 * from the Apache Arrow specification ("The Arrow C data interface",
 * "The Arrow C stream interface"), plus small release helpers.
 *
 * These structs are how column batches cross the library boundary: the
 * Parquet reader produces them, the Parquet writer consumes them, and a
 * caller may hand them to DuckDB, pyarrow or polars without copying. The
 * definitions are guarded exactly as the specification recommends, so this
 * header coexists with any other copy of them (nanoarrow, arrow/c/abi.h).
 *
 * Ownership follows the specification: whoever holds a struct with a
 * non-NULL `release` owns it and must call release exactly once; a released
 * struct has `release == NULL`. Moving a struct means copying it bitwise and
 * then setting the source's `release` to NULL.
 */
#ifndef ICE_ARROW_H
#define ICE_ARROW_H

#include <stdint.h>

#include "common.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
	/* Array type description */
	const char *format;
	const char *name;
	const char *metadata;
	int64_t flags;
	int64_t n_children;
	struct ArrowSchema **children;
	struct ArrowSchema *dictionary;

	/* Release callback */
	void (*release)(struct ArrowSchema *);
	/* Opaque producer-specific data */
	void *private_data;
};

struct ArrowArray {
	/* Array data description */
	int64_t length;
	int64_t null_count;
	int64_t offset;
	int64_t n_buffers;
	int64_t n_children;
	const void **buffers;
	struct ArrowArray **children;
	struct ArrowArray *dictionary;

	/* Release callback */
	void (*release)(struct ArrowArray *);
	/* Opaque producer-specific data */
	void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
	/* Callbacks providing stream functionality */
	int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
	int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
	const char *(*get_last_error)(struct ArrowArrayStream *);

	/* Release callback */
	void (*release)(struct ArrowArrayStream *);

	/* Opaque producer-specific data */
	void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* Release a struct if it is still owned (release != NULL); NULL is fine.
 * Afterwards `release` is NULL, so calling these twice is harmless. */
static inline void ice_arrow_schema_release(struct ArrowSchema *schema)
{
	if (schema && schema->release)
		schema->release(schema);
}

static inline void ice_arrow_array_release(struct ArrowArray *array)
{
	if (array && array->release)
		array->release(array);
}

static inline void ice_arrow_stream_release(struct ArrowArrayStream *stream)
{
	if (stream && stream->release)
		stream->release(stream);
}

/* Move `src` into `dst` (dst must not own anything): src is left released. */
static inline void ice_arrow_array_move(struct ArrowArray *src, struct ArrowArray *dst)
{
	*dst = *src;
	src->release = NULL;
}

static inline void ice_arrow_schema_move(struct ArrowSchema *src, struct ArrowSchema *dst)
{
	*dst = *src;
	src->release = NULL;
}

/*
 * Rendering values of Arrow arrays (any array this library produces: the
 * primitive, temporal, decimal128, string/binary, fixed-size binary, struct,
 * list and map formats), for tools that print rows.
 *
 * ice_arrow_write_json_value writes element `row` of `array` as one JSON
 * value: numbers as numbers (NaN and infinities as the strings "NaN",
 * "Infinity", "-Infinity"; 64-bit unsigned values above INT64_MAX as
 * numbers too), decimals as strings of their exact digits ("-12.30"), dates,
 * times and timestamps as ISO-8601 strings (a "+00:00" suffix when the
 * timestamp has a time zone), strings as strings, binary and fixed as
 * lowercase hex strings, uuid (extension "arrow.uuid") as canonical text,
 * structs as objects, lists as arrays, maps as arrays of [key, value]
 * pairs, nulls as null. ICE_EUNSUPPORTED for a format it does not know.
 *
 * ice_arrow_write_json_row writes row `row` of a struct array as an object
 * (the batches of ice_parquet_scan_next are such arrays).
 *
 * ice_arrow_value_to_string gives the same text without JSON quoting for
 * primitives (nested values as their JSON text); *out is NULL for a null
 * value, else allocated (free with ice_free()).
 */
ICE_EXTERN int ice_arrow_write_json_value(ice_json_writer *w, const struct ArrowSchema *schema,
                                          const struct ArrowArray *array, int64_t row);
ICE_EXTERN int ice_arrow_write_json_row(ice_json_writer *w, const struct ArrowSchema *schema,
                                        const struct ArrowArray *batch, int64_t row);
ICE_EXTERN int ice_arrow_value_to_string(char **out, const struct ArrowSchema *schema,
                                         const struct ArrowArray *array, int64_t row);

#ifdef __cplusplus
}
#endif

#endif
