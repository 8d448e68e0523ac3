/*
 * ingest/ingest.h - inputs (CSV, JSON Lines, Parquet) decoded to the
 * table's current schema and handed to a data writer (input.c).
 */
#ifndef ICE_INGEST_INGEST_H
#define ICE_INGEST_INGEST_H

#include "ice/table.h"
#include "ice/write.h"
#include "write/writer.h"

/* Decode CSV, JSON Lines and Parquet inputs into a data writer without
 * committing (input.c; ice_table_append_files, ice overwrite). On success
 * *dw_out holds the written files (close it to get them); on failure
 * nothing is left behind. */
int ice_input__write(ice_table *table, const char *const *inputs, size_t ninputs, const ice_write_options *opts,
                     ice_data_writer **dw_out, int64_t *rows_out, int64_t *rejected_out, int64_t *bytes_read_out);

/* The delimiter of a text input: the option's, else tab for .tsv and
 * PostgreSQL text, else comma. */
char ice_input__delimiter(const char *input, const ice_write_options *opts);
/* The format of an input: `f` unless AUTO, else by extension (a .gz or
 * .zst suffix aside): .parquet, .json/.jsonl/.ndjson, else CSV. */
ice_input_format ice_input__format(const char *input, ice_input_format f);

#endif
