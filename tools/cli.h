/*
 * tools/cli.h - what every subcommand of the ice tool shares: global
 * options, output helpers, and the exit-code rules of DESIGN.md
 * (0 ok, 1 error, 2 usage, 3 commit conflict after retries, 4 commit state
 * unknown). Tools see only the public API (lib/include).
 */
#ifndef ICE_TOOLS_CLI_H
#define ICE_TOOLS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ice.h"

enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_CONFLICT = 3,
	EXIT_UNKNOWN = 4,
};

typedef struct ice_cli {
	bool json;           /* --json: machine-readable output */
	bool quiet;          /* -q */
	int verbose;         /* -v, repeatable */
	const char *catalog; /* --catalog or ICE_CATALOG */
	ice_io *io;          /* with --path-map rules applied */
	FILE *out;
} ice_cli;

typedef int (*cli_command_fn)(ice_cli *cli, int argc, char **argv);

typedef struct cli_command {
	const char *name;
	cli_command_fn fn;
	const char *summary; /* one line for `ice --help` */
	const char *usage;   /* full text for `ice CMD --help` */
} cli_command;

/* Options every command accepts; append them to a command's option table
 * with CLI_COMMON_OPTIONS and hand unknown codes to cli_common_option(). */
enum {
	OPT_JSON = 1000,
	OPT_PATH_MAP,
	OPT_CATALOG,
	OPT_HELP,
	OPT_FIRST_COMMAND_OPTION = 1100,
};

#define CLI_COMMON_OPTIONS                                                                          \
	{"json", no_argument, NULL, OPT_JSON}, {"path-map", required_argument, NULL, OPT_PATH_MAP},  \
	    {"catalog", required_argument, NULL, OPT_CATALOG}, {"help", no_argument, NULL, OPT_HELP}, \
	    {"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'}

#define CLI_COMMON_SHORT "qv"

/*
 * Handles a common option. Returns 0 when handled, EXIT_USAGE (after
 * printing why) for a bad value or an unknown option, or -1 for --help
 * (the caller prints its usage and exits 0).
 */
int cli_common_option(ice_cli *cli, const cli_command *cmd, int opt, const char *arg);

/* Prints "ice: <library error>" to stderr; returns the exit code for rc. */
int cli_fail(int rc);
/* Prints "ice: <message>" to stderr; returns EXIT_ERROR. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "ice <cmd>: <message>" and a hint to stderr; returns EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_print_usage(const cli_command *cmd, FILE *f);

/* Finishes a JSON writer and prints its text to cli->out. */
int cli_print_json(ice_cli *cli, ice_json_writer *w);

/* Loads a TABLE argument (directory, metadata dir or metadata file). */
int cli_load_metadata(ice_cli *cli, const char *table, ice_table_metadata **out, char **location_out);

/*
 * TABLE arguments of the write commands (table_arg.c): a directory needs no
 * catalog, otherwise <namespace>.<table> in the catalog of --catalog,
 * ICE_CATALOG or the configuration file. Each returns an exit code after
 * printing the error. cli_table_target leaves *catalog_out NULL for a
 * directory. The caller frees the catalog after the table.
 */
bool cli_is_table_path(const char *arg);
int cli_open_catalog(ice_cli *cli, ice_catalog **out);
int cli_table_target(ice_cli *cli, const char *arg, ice_catalog **catalog_out);
int cli_open_table(ice_cli *cli, const char *arg, ice_table **out, ice_catalog **catalog_out);
/* "256M", "1G", "65536": bytes (K, M, G are powers of 1024); false if not a size. */
bool cli_parse_size(const char *s, int64_t *out);
/* --property KEY=VALUE into a growing array (strings malloc'ed). */
int cli_parse_property(const cli_command *cmd, const char *arg, ice_property **items, size_t *n);
void cli_free_properties(ice_property *items, size_t n);

/* Epoch milliseconds or ISO-8601 text (a timestamp with or without offset,
 * or a date); a duration (ms, or a number with ms, s, m, h or d). */
bool cli_parse_time(const char *s, int64_t *ms);
bool cli_parse_duration(const char *s, int64_t *out);

/* Formats epoch milliseconds as "2024-03-03 23:52:00.123" (UTC) into out[40]. */
const char *cli_format_ms(int64_t ms, char *out);

/* Every subcommand's entry point. */
#define CLI_COMMAND(name) int cmd_##name(ice_cli *cli, int argc, char **argv)
CLI_COMMAND(metadata);
CLI_COMMAND(describe);
CLI_COMMAND(schema);
CLI_COMMAND(snapshots);
CLI_COMMAND(history);
CLI_COMMAND(refs);
CLI_COMMAND(parquet);
CLI_COMMAND(manifests);
CLI_COMMAND(files);
CLI_COMMAND(scan);
CLI_COMMAND(partitions);
CLI_COMMAND(entries);
CLI_COMMAND(create);
CLI_COMMAND(append);
CLI_COMMAND(add_files);
CLI_COMMAND(alter);
CLI_COMMAND(tag);
CLI_COMMAND(branch);
CLI_COMMAND(rollback);
CLI_COMMAND(delete);
CLI_COMMAND(overwrite);
CLI_COMMAND(rewrite_manifests);
CLI_COMMAND(expire_snapshots);
CLI_COMMAND(remove_orphan_files);
CLI_COMMAND(namespace);
CLI_COMMAND(list);
CLI_COMMAND(drop);
CLI_COMMAND(serve);

extern const cli_command cli_commands[];
const cli_command *cli_find_command(const char *name);

#endif
