/*
 * write/columns.h - building Arrow arrays of a table's types from values
 * (ice_literal), one value at a time: what the write path turns decoded
 * input rows into before the Parquet writer takes them. Arrays are owned by
 * whoever holds them (their release frees the buffers).
 */
#ifndef ICE_WRITE_COLUMNS_H
#define ICE_WRITE_COLUMNS_H

#include "ice/arrow.h"
#include "ice/literal.h"
#include "ice/types.h"
#include "util/buf.h"

typedef struct col_builder col_builder;

struct col_builder {
	const ice_type *type;
	ice_buf validity, values, offsets, data;
	int64_t length, null_count;
	col_builder *children;
	size_t nchildren;
	char format[48];
	const char *name;
};

/* A builder for a struct of `fields` (the batch: one child per field). */
int ice_columns__init_struct(col_builder *b, const ice_type *struct_type);
void ice_columns__free(col_builder *b);
/* Appends one row: values[i] for field i (NULL or is_null: null). The
 * values' types must be the fields' types (nested as nested literals). */
int ice_columns__append_row(col_builder *b, const ice_literal *const *values);
int64_t ice_columns__rows(const col_builder *b);
/* Bytes held (the buffers' capacity). */
size_t ice_columns__bytes(const col_builder *b);
/* Moves what was appended into a struct array and its schema; the
 * builder is empty and reusable afterwards. */
int ice_columns__finish(col_builder *b, struct ArrowArray *array, struct ArrowSchema *schema);

/* The rows appended as a struct array that borrows the builder's buffers
 * (valid until the builder changes; release it before); then
 * ice_columns__clear empties the builder and keeps its memory for the next
 * rows, ice_columns__trim frees what an empty builder holds. */
int ice_columns__view(col_builder *b, struct ArrowArray *array, struct ArrowSchema *schema);
void ice_columns__clear(col_builder *b);
void ice_columns__trim(col_builder *b);

/* The Arrow format the builders use for `t` (buf holds parameterised ones). */
const char *ice_columns__format(const ice_type *t, char *buf, size_t cap);
/* One column of type `t` rather than a struct of fields: init, append
 * values (NULL or is_null: null), finish into an array of that type. */
int ice_columns__init(col_builder *b, const ice_type *t, const char *name);
int ice_columns__append_value(col_builder *b, const ice_literal *v);
int ice_columns__finish_array(col_builder *b, struct ArrowArray *array, struct ArrowSchema *schema, bool nullable);

/* take.c: appends rows `rows[0..n)` of `batch`, a struct array of the
 * builder's fields laid out as columns.c and convert.c lay them out
 * (`schema` tells 32- from 64-bit offsets; may be NULL for 32-bit). */
int ice_columns__take(col_builder *b, const struct ArrowArray *batch, const struct ArrowSchema *schema,
                      const int64_t *rows, size_t n);
/* The same for child `c` alone (a batch without offset); the caller adds
 * `n` to b->length once every child has its rows. Children are
 * independent: different threads may take different children. */
int ice_columns__take_column(col_builder *b, size_t c, const struct ArrowArray *batch,
                             const struct ArrowSchema *schema, const int64_t *rows, size_t n);
/* The primitive value of type `t` at `row` of array `a` (payloads borrowed
 * from the array); ICE_EUNSUPPORTED for nested types. */
int ice_columns__literal_at(ice_literal *out, const ice_type *t, const struct ArrowArray *a,
                            const struct ArrowSchema *s, int64_t row);

#endif
