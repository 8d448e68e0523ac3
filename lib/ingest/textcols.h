/*
 * ingest/textcols.h - the text fields of one column of a block of records
 * converted straight into a column builder of the table's type
 * (textcols.c): one converter per type over every row, no literal per
 * value for the primitive types. Columns are independent, so the columns
 * of a block may be converted on different threads.
 */
#ifndef ICE_INGEST_TEXTCOLS_H
#define ICE_INGEST_TEXTCOLS_H

#include "csv.h"
#include "values.h"
#include "write/columns.h"

typedef struct textcol_opts {
	const char *null_token; /* an unquoted field equal to this is null */
	size_t null_len;
	bool trim;              /* spaces and tabs around unquoted fields dropped */
	ice_value_opts values;
} textcol_opts;

/* A value that did not convert: its row in the block and why. */
typedef struct textcol_error {
	size_t row;
	char *reason; /* allocated */
} textcol_error;

typedef struct textcol_errors {
	textcol_error *items;
	size_t n, cap;
	bool all; /* keep every error (a reject file takes the rows); else stop at the first */
} textcol_errors;

void ice_textcol__errors_clear(textcol_errors *e);
void ice_textcol__errors_free(textcol_errors *e);

/*
 * Appends one value per row of `blk` not marked in `skip` (a byte per row,
 * may be NULL) to `b`, a builder of type `t`: field `col` of each record
 * (col == SIZE_MAX: the column is not in the input, every value null).
 * A null in a `required` column is an error. Returns 0 when every value
 * converted; 1 when some did not (their rows and reasons are in `errs`,
 * and the builder must be discarded); or an error (out of memory).
 */
int ice_textcol__convert(col_builder *b, const ice_type *t, bool required, const csv_block *blk, size_t col,
                         const uint8_t *skip, const textcol_opts *o, textcol_errors *errs);

#endif
