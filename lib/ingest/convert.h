/*
 * ingest/convert.h - Arrow batches of a Parquet input converted to the
 * table's schema (convert.c).
 */
#ifndef ICE_INGEST_CONVERT_H
#define ICE_INGEST_CONVERT_H

#include "ice/arrow.h"
#include "ice/schema.h"

typedef struct ice_converter ice_converter;

/*
 * Plan the conversion of batches of `file_schema` (a struct of the file's
 * columns) to the current schema. ICE_EINVALID naming `input` and the
 * column for a column the table does not have. Names match exactly, or
 * with `case_insensitive` ignoring case (ice_value__find_column's rule).
 */
int ice_convert__new(ice_converter **out, const ice_schema *schema, const struct ArrowSchema *file_schema,
                     const char *input, bool case_insensitive);
void ice_convert__free(ice_converter *c);
/* The schema of the converted batches (borrowed). */
const struct ArrowSchema *ice_convert__schema(const ice_converter *c);
/*
 * Convert one batch: `in` is taken over (moved from or released, also on
 * failure); `out` is a struct array of the schema's top-level fields.
 * `first_row` is the batch's first row in the file, for messages
 * ("in.parquet: row 12, column 'n': 4294967296 does not fit an int").
 */
int ice_convert__batch(ice_converter *c, struct ArrowArray *in, int64_t first_row, struct ArrowArray *out);

#endif
