/*
 * ingest/csv.h - a streaming CSV reader (RFC 4180): fields separated by a
 * delimiter, records by LF or CRLF, fields optionally quoted with '"'
 * (a quote inside doubled; delimiters and line breaks allowed inside).
 * Memory is one buffer that grows only to the longest record, which has a
 * limit.
 */
#ifndef ICE_INGEST_CSV_H
#define ICE_INGEST_CSV_H

#include "ice/common.h"
#include "ice/io.h"

typedef struct csv_reader csv_reader;

typedef struct csv_record {
	size_t n;
	const ice_slice *fields; /* unquoted values, valid until the next call */
	const bool *quoted;      /* whether each field was quoted ("" is not null) */
	int64_t line;            /* physical line where the record starts (1-based) */
	int64_t offset;          /* byte offset of the record in the input */
} csv_record;

/* `location` "-" reads standard input. `name` is used in messages. */
int ice_csv__open(csv_reader **out, const ice_io *io, const char *location, char delimiter);
/* The same reader over whole lines (one field each, no quoting). */
int ice_csv__open_lines(csv_reader **out, const ice_io *io, const char *location);
/* The longest record accepted, in bytes (<= 0: the default, 16 MiB; at
 * most 1 GiB): a longer one is ICE_EINVALID naming the file and line, and
 * the buffer never grows beyond it. */
void ice_csv__set_max_record(csv_reader *r, int64_t bytes);
/* 0 and *out, ICE_ITEROVER at the end, or ICE_EINVALID naming file and line. */
int ice_csv__next(csv_reader *r, csv_record *out);
/* Bytes consumed so far. */
int64_t ice_csv__position(const csv_reader *r);
void ice_csv__free(csv_reader *r);
const char *ice_csv__name(const csv_reader *r);

#endif
