/*
 * tools/scan_output.h - rows of `ice scan` written out: CSV, JSON Lines,
 * an aligned table, or one Parquet file (tools/scan_output.c).
 */
#ifndef ICE_TOOLS_SCAN_OUTPUT_H
#define ICE_TOOLS_SCAN_OUTPUT_H

#include "cli.h"

typedef enum scan_format {
	SCAN_FORMAT_CSV,
	SCAN_FORMAT_JSONL,
	SCAN_FORMAT_TABLE,
	SCAN_FORMAT_PARQUET,
} scan_format;

typedef struct scan_output_options {
	scan_format format;
	const char *output;   /* a file to write (replaced when complete), or NULL for stdout */
	int64_t table_rows;   /* rows the table format shows (0: 100) */
	size_t hold_bytes;    /* stdout: output held back until the scan ends, up to this (0: 64 MiB) */
	size_t threads;       /* CSV and JSON Lines rendered on this many threads, in order (0: one per core) */
} scan_output_options;

/* "csv", "jsonl" (or "json"), "table", "parquet"; -1 for anything else. */
int scan_output_parse_format(const char *name, scan_format *out);

/* The format a file's name asks for: .csv (.tsv is not written), .jsonl,
 * .ndjson or .json, .parquet; -1 for another extension. */
int scan_output_format_from_name(const char *path, scan_format *out);

/*
 * The format when --format was not given (format_given false): --output's
 * extension, else JSON Lines with --json, else an aligned table on a
 * terminal and CSV elsewhere. With `rows` (rows are printed, not a plan),
 * Parquet for a terminal is a usage error (its exit code is returned).
 */
int scan_output_choose_format(ice_cli *cli, const cli_command *cmd, scan_output_options *o, bool format_given,
                              bool rows);

/*
 * Read `stream` to its end and write its rows as `opts` says. `type` is
 * the rows' Iceberg struct type (ice_scan_projected_type), which tells
 * uuids, geometries and Parquet field ids apart. Nothing that looks
 * complete is left when the scan fails: a file is written under a
 * temporary name and renamed at the end; stdout output is held back until
 * the end while it fits hold_bytes (beyond that, rows already printed stay
 * printed and the error follows on stderr). Returns an exit code after
 * printing any error; *rows_out (may be NULL) receives the rows written.
 */
int scan_output_run(ice_cli *cli, struct ArrowArrayStream *stream, const ice_type *type, const scan_output_options *opts,
                    int64_t *rows_out);

#endif
