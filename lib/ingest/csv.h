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
#include "util/workers.h"

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
/* The same reader over whole lines (one field each, no quoting), or over
 * the elements of a JSON array when the input starts with '['. */
int ice_csv__open_lines(csv_reader **out, const ice_io *io, const char *location);
/* The longest record accepted, in bytes (<= 0: the default, 16 MiB; at
 * most 1 GiB): a longer one is ICE_EINVALID naming the file and line, and
 * the buffer never grows beyond it. */
void ice_csv__set_max_record(csv_reader *r, int64_t bytes);
/* PostgreSQL's COPY text format: a record per line, fields split on
 * `delimiter` (tab), backslash escapes decoded (\b \f \n \r \t \v \\,
 * octal \NNN, hex \xHH, any other character as itself). \N is null: its
 * field is left as the two characters "\N" without the quoted flag, every
 * other field has the flag (an empty field is an empty string). */
int ice_csv__open_pgtext(csv_reader **out, const ice_io *io, const char *location, char delimiter);
/* 0 and *out, ICE_ITEROVER at the end, or ICE_EINVALID naming file and line. */
int ice_csv__next(csv_reader *r, csv_record *out);
/*
 * A block of whole records read at once: the fields of record r are
 * fields[r * ncols .. r * ncols + counts[r]) (at most ncols are kept; a
 * record with more has counts[r] > ncols and its extra fields are
 * dropped), offsets and lengths from `base`, the top bit of a length set
 * when the field was quoted. Valid until the next call on the reader.
 */
#define ICE_CSV_QUOTED 0x80000000u

typedef struct csv_field {
	uint32_t off, len;
} csv_field;

typedef struct csv_block {
	const char *base;
	size_t ncols;        /* fields kept per record */
	size_t n;            /* records */
	csv_field *fields;   /* n * ncols */
	uint32_t *counts;    /* fields each record had */
	int64_t *lines;      /* where each record starts (1-based) */
	int64_t *offsets;    /* and its byte offset in the input */
	int64_t end_offset;  /* byte offset after the last record */
	size_t cap;          /* records allocated */
	/* the fields past ncols of records that have more (rare: they are
	 * wrong), for writing them back whole: record r's are
	 * extra[extra_at[r] ..] (counts[r] - ncols of them) */
	csv_field *extra;
	size_t nextra, extra_cap;
	uint32_t *extra_at;
} csv_block;

/* Up to `max_records` records that are already in the buffer (reading
 * more only when none is complete); ICE_ITEROVER at the end. Lines
 * without a quote are split on `workers` (may be NULL). */
int ice_csv__next_block(csv_reader *r, csv_block *b, size_t ncols, size_t max_records, ice_workers *workers);
void ice_csv__block_free(csv_block *b);

/* Bytes of the file read so far (compressed bytes for compressed input):
 * what progress compares with the file's size. */
int64_t ice_csv__bytes_read(const csv_reader *r);
/* Bytes consumed so far. */
int64_t ice_csv__position(const csv_reader *r);
void ice_csv__free(csv_reader *r);
const char *ice_csv__name(const csv_reader *r);

#endif
