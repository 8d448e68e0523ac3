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
	const char *command; /* the command being run ("scan") */
} ice_cli;

typedef int (*cli_command_fn)(ice_cli *cli, int argc, char **argv);

typedef struct cli_command {
	const char *name;
	cli_command_fn fn;
	const char *summary; /* one line for `ice --help` */
	const char *usage;   /* full text for `ice CMD --help` */
	/* How the command takes its TABLE argument: 0 (it takes none),
	 * ICE_TABLE_USE_READ (a metadata file is a table too),
	 * ICE_TABLE_USE_WRITE or ICE_TABLE_USE_CREATE. `ice CMD --help` states
	 * the forms it accepts from this, and tests/cli/test_table_arg.py walks
	 * every command of `ice --help` whose usage names TABLE with each form:
	 * a command that takes TABLE resolves it with cli_resolve_table (or
	 * cli_load_metadata / cli_open_table, which call it) and nothing else. */
	ice_table_use table;
} cli_command;

/* Options every command accepts; append them to a command's option table
 * with CLI_COMMON_OPTIONS and hand unknown codes to cli_common_option(). */
enum {
	OPT_JSON = 1000,
	OPT_PATH_MAP,
	OPT_CATALOG,
	OPT_HELP,
	OPT_SEL_SNAPSHOT, /* --snapshot ID, --as-of TS, --ref NAME (CLI_SNAPSHOT_OPTIONS) */
	OPT_SEL_AS_OF,
	OPT_SEL_REF,
	OPT_SUMMARY,      /* --summary KEY=VALUE, --idempotency-key K, --metrics-file (CLI_COMMIT_OPTIONS) */
	OPT_IDEMPOTENCY_KEY,
	OPT_METRICS_FILE,
	OPT_FIRST_COMMAND_OPTION = 1100,
};

#define CLI_COMMON_OPTIONS                                                                          \
	{"json", no_argument, NULL, OPT_JSON}, {"path-map", required_argument, NULL, OPT_PATH_MAP},  \
	    {"catalog", required_argument, NULL, OPT_CATALOG}, {"help", no_argument, NULL, OPT_HELP}, \
	    {"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'}

#define CLI_COMMON_SHORT "qvh"

/* Which snapshot a command reads: the same three options everywhere. */
#define CLI_SNAPSHOT_OPTIONS                                                                              \
	{"snapshot", required_argument, NULL, OPT_SEL_SNAPSHOT}, {"as-of", required_argument, NULL, OPT_SEL_AS_OF}, \
	    {"ref", required_argument, NULL, OPT_SEL_REF}

/* getopt_long with the common short options (-q, -v, -h) and without
 * getopt's own messages: an unknown option is '?', a missing value ':',
 * both for cli_common_option, which says so on one line. */
int cli_getopt(int argc, char **argv, const struct option *options);

/*
 * Handles a common option. Returns 0 when handled, EXIT_USAGE (after
 * printing why) for a bad value or an unknown option, or -1 for --help
 * (the caller prints its usage and exits 0).
 */
int cli_common_option(ice_cli *cli, const cli_command *cmd, int opt, const char *arg);

/*
 * Errors name the table, then the place, then what: once a command has
 * resolved its TABLE (cli_resolve_table), cli_fail and cli_error print
 * "ice: db.t: scan: <message>"; before, or for commands without a table,
 * "ice: <message>" (the library's messages name the file or request).
 */
void cli_set_context(const char *table, const char *command);
/* Prints "ice: <library error>" to stderr; returns the exit code for rc. */
int cli_fail(int rc);
/* Prints "ice: <message>" to stderr; returns EXIT_ERROR. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "ice: <cmd>: <message> (try 'ice <cmd> --help')", one line, to
 * stderr; returns EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_print_usage(const cli_command *cmd, FILE *f);

/* Finishes a JSON writer and prints its text to cli->out. */
int cli_print_json(ice_cli *cli, ice_json_writer *w);

/*
 * The TABLE argument (table_arg.c). Every command that takes a TABLE
 * resolves it through ice_catalog_resolve_table, the library's one
 * resolver, whose rules are docs/commands/README.md "TABLE": a name
 * <namespace>.<table> in the catalog of --catalog, ICE_CATALOG or the
 * configuration file's default-catalog; a table directory or URI; for
 * reading also a metadata file. With -v the form that matched is printed
 * to stderr ("ice: db.t: table 'db.t' in catalog /tmp/wh"). Each returns
 * an exit code after printing the error.
 *
 *   cli_resolve_table   the catalog and identifier (free with
 *                       ice_resolved_table_clear): create, drop, and any
 *                       command that needs the catalog itself
 *   cli_load_metadata   read-only commands: the current metadata (and the
 *                       file it came from; location_out may be NULL)
 *   cli_open_table      commands that commit: a table handle, which
 *                       borrows *catalog_out (free the catalog after it)
 *   cli_open_catalog    the catalog alone (namespace, list): --catalog,
 *                       ICE_CATALOG or the default; a typo is an error
 */
int cli_resolve_table(ice_cli *cli, const char *arg, ice_table_use use, ice_resolved_table *out);
int cli_load_metadata(ice_cli *cli, const char *table, ice_table_metadata **out, char **location_out);
int cli_open_table(ice_cli *cli, const char *arg, ice_table **out, ice_catalog **catalog_out);
/* cli_open_table without printing: the library's code (the error is the
 * thread's last), for commands that report per table (ice maintain). */
int cli_load_table(ice_cli *cli, const char *arg, ice_table **out, ice_catalog **catalog_out);
int cli_open_catalog(ice_cli *cli, ice_catalog **out);
/* Whether `arg` is written as a path or URI (a '/', a scheme, a leading
 * '.'), never a <namespace>.<table> name: what register and rename refuse. */
bool cli_is_table_path(const char *arg);
/*
 * The option loop every command can share (args.c). `options` (may be
 * NULL; without the common ones) are the command's own, handed to `fn`
 * (codes from OPT_FIRST_COMMAND_OPTION; return 0 or an exit code); with
 * `sel`, --snapshot ID, --as-of TS and --ref NAME fill it (at most one);
 * the common options are handled. With `table_out`, exactly one argument
 * must remain: the TABLE. Returns -1 to go on, or the exit code to return
 * (0 after --help).
 */
typedef int (*cli_option_fn)(void *ctx, const cli_command *cmd, int opt, const char *arg);
int cli_parse_args(ice_cli *cli, const cli_command *cmd, int argc, char **argv, const struct option *options,
                   cli_option_fn fn, void *ctx, ice_snapshot_selector *sel, const char **table_out);
/* One of the snapshot options into `sel`: 0, an exit code, or -1 when
 * `opt` is none of them. */
int cli_snapshot_option(const cli_command *cmd, int opt, const char *arg, ice_snapshot_selector *sel);
/* Epoch milliseconds, or ISO-8601 text (a timestamp with or without an
 * offset, UTC without one, or a date). */
bool cli_parse_time(const char *s, int64_t *ms);
/* Milliseconds, or a number with ms, s, m (min), h or d. */
bool cli_parse_duration(const char *s, int64_t *ms);
/* A whole decimal number (a snapshot id). */
bool cli_parse_id(const char *s, int64_t *out);

/*
 * A table read at the snapshot `sel` selects (NULL: the current one), by
 * ice_table_metadata_select_snapshot, the function ice scan uses; with
 * `with_manifests` its manifest list too (NULL when there is no
 * snapshot). An unknown snapshot, time or ref is "ice: TABLE: no snapshot
 * 42", exit 1.
 */
typedef struct cli_snapshot {
	const char *table;              /* the argument */
	ice_table_metadata *md;
	char *location;                 /* the metadata file read */
	const ice_snapshot *snapshot;   /* NULL: the table has no snapshot */
	const ice_schema *schema;       /* the schema to read it with */
	ice_manifest_list *manifests;
} cli_snapshot;
int cli_load_snapshot(ice_cli *cli, const char *table, const ice_snapshot_selector *sel, bool with_manifests,
                      cli_snapshot *out);
void cli_snapshot_free(cli_snapshot *s);
/* Calls fn for each entry of each manifest of the snapshot, in list order
 * (DELETED entries only with `deleted`); fn returns 0 to go on. A library
 * code is returned as it is. */
typedef int (*cli_entry_fn)(void *ctx, const ice_manifest_file *mf, const ice_partition_spec *spec,
                            const ice_manifest_entry *e);
int cli_each_entry(ice_cli *cli, const cli_snapshot *t, bool deleted, cli_entry_fn fn, void *ctx);

/* --property KEY=VALUE into a growing array (strings malloc'ed). */
int cli_parse_property(const cli_command *cmd, const char *arg, ice_property **items, size_t *n);
void cli_free_properties(ice_property *items, size_t n);

/*
 * The options of every command that makes a snapshot (commit_args.c):
 * --summary KEY=VALUE (repeatable) into the snapshot summary and
 * --idempotency-key K; `opts` is what to hand the library.
 */
#define CLI_COMMIT_OPTIONS                                        \
	{"summary", required_argument, NULL, OPT_SUMMARY},            \
	    {"idempotency-key", required_argument, NULL, OPT_IDEMPOTENCY_KEY},             \
	    {"metrics-file", required_argument, NULL, OPT_METRICS_FILE}
typedef struct cli_commit_args {
	ice_commit_options opts;
	const char *metrics_file;
	ice_properties props;
	ice_property *items;
	size_t n;
} cli_commit_args;
void cli_commit_args_init(cli_commit_args *a);
/* 0 when handled, EXIT_USAGE for a bad value, -1 when `opt` is not one. */
int cli_commit_option(const cli_command *cmd, int opt, const char *arg, cli_commit_args *a);
void cli_commit_args_free(cli_commit_args *a);
/* A commit skipped for its idempotency key (ICE_COMMIT_SKIPPED): which
 * snapshot has it, as text or JSON; exit 0. */
int cli_report_skipped(ice_cli *cli, const char *table, const cli_commit_args *a, const ice_commit_result *res);
/* A skipped append or overwrite read none of its input: standard input
 * (an input "-") is read to its end, so the program writing into the pipe
 * ends normally rather than by SIGPIPE (pipefail scripts). */
void cli_drain_stdin(char **inputs, int n);

/*
 * The range of an incremental scan or a changelog (args.c): --from-snapshot
 * ID, --from-ref NAME or --from-time TS (where it starts, exclusive) and
 * --to-snapshot, --to-ref or --to-time (where it ends; the same as
 * --snapshot/--ref/--as-of). Codes from OPT_RANGE_FIRST, inside the
 * command's own range so cli_parse_args hands them to the command.
 */
enum {
	OPT_RANGE_FIRST = OPT_FIRST_COMMAND_OPTION + 80,
	OPT_FROM_SNAPSHOT = OPT_RANGE_FIRST,
	OPT_FROM_REF,
	OPT_FROM_TIME,
	OPT_TO_SNAPSHOT,
	OPT_TO_REF,
	OPT_TO_TIME,
};
#define CLI_RANGE_OPTIONS                                                                                  \
	{"from-snapshot", required_argument, NULL, OPT_FROM_SNAPSHOT},                                         \
	    {"from-ref", required_argument, NULL, OPT_FROM_REF}, {"from-time", required_argument, NULL, OPT_FROM_TIME}, \
	    {"to-snapshot", required_argument, NULL, OPT_TO_SNAPSHOT}, {"to-ref", required_argument, NULL, OPT_TO_REF}, \
	    {"to-time", required_argument, NULL, OPT_TO_TIME}
typedef struct cli_range {
	ice_snapshot_selector from, to;
	bool has_from, has_to;
} cli_range;
/* One range option into `r`: 0, EXIT_USAGE, or -1 when `opt` is none. */
int cli_range_option(const cli_command *cmd, int opt, const char *arg, cli_range *r);
/* After parsing: --to-* or else --snapshot/--as-of/--ref (both: a usage
 * error) as the snapshot `o` reads, and --to-* without --from-* refused. */
int cli_range_check(const cli_command *cmd, const cli_range *r, const ice_snapshot_selector *sel,
                    ice_scan_options *o);
/* The start snapshot into o->from_snapshot_id (when there is one); an exit code. */
int cli_range_start(const char *table, const ice_table_metadata *md, const cli_range *r, ice_scan_options *o);

/*
 * --metrics-file PATH (metrics.c): the numbers of a run in Prometheus' text
 * exposition format (one gauge per metric, labels table and command, and
 * phase where given), written atomically (temporary file, fsync, rename);
 * ice_last_run_timestamp_seconds is added. An exit code.
 */
typedef struct cli_metric {
	const char *name;  /* ice_rows_appended_total, ... */
	const char *help;
	const char *phase; /* NULL, or a phase label */
	double value;
} cli_metric;
/* Writes m[0..n) and ice_last_run_timestamp_seconds to `path` atomically
 * (tools/metrics.c), each line labelled with `table`. Lines of one name
 * must be adjacent. */
int cli_metrics_write(const char *path, const char *command, const char *table, const cli_metric *m, size_t n);
/* The same with line i labelled tables[i] (NULL: no table label; the
 * timestamp line has none): a run over several tables. */
int cli_metrics_write_tables(const char *path, const char *command, const char *const *tables, const cli_metric *m,
                             size_t n);
/* The monitoring numbers of a run (expire, orphans, rewrite-manifests,
 * compact) in its --json report: commit_attempts, phase_ms {run, commit}. */
void cli_json_run_numbers(ice_json_writer *w, int attempts, int64_t run_ms, int64_t commit_ms);
/* What rewrite-manifests and compact report to --metrics-file. */
typedef struct cli_rewrite_numbers {
	bool ok, committed;
	int64_t files_removed, files_written, bytes_removed, bytes_written, rows_written;
	int attempts;
	int64_t run_ms, commit_ms;
} cli_rewrite_numbers;
int cli_metrics_write_rewrite(const char *path, const char *command, const char *table, const cli_rewrite_numbers *r);
/* Milliseconds of CLOCK_MONOTONIC (phase times). */
int64_t cli_now_ms(void);
/* The monitoring numbers of a write (append, add-files, delete, overwrite):
 * their --json report's rows_in, rows_written, rows_rejected, bytes_read,
 * bytes_written, commit_attempts and phase_ms, and their --metrics-file. */
typedef struct cli_write_numbers {
	bool ok, committed, skipped;
	int64_t rows_written, rows_rejected, rows_deleted, bytes_read, bytes_written, files_written, files_removed;
	int64_t partitions; /* -1: not counted (delete, overwrite) */
	int64_t write_ms, commit_ms;
	int attempts;
} cli_write_numbers;
int cli_metrics_write_numbers(const char *path, const char *command, const char *table, const cli_write_numbers *n);
void cli_json_write_numbers(ice_json_writer *w, const cli_write_numbers *n);

/* "256M", "1G", "65536": bytes (K, M, G are powers of 1024; a B may follow). */
bool cli_parse_size(const char *s, int64_t *out);

/* Formats epoch milliseconds as "2024-03-03 23:52:00.123" (UTC) into out[40]. */
const char *cli_format_ms(int64_t ms, char *out);

/* Every subcommand's entry point. */
#define CLI_COMMAND(name) int cmd_##name(ice_cli *cli, int argc, char **argv)
CLI_COMMAND(metadata);
CLI_COMMAND(describe);
CLI_COMMAND(schema);
CLI_COMMAND(snapshots);
CLI_COMMAND(history);
CLI_COMMAND(last_value);
CLI_COMMAND(refs);
CLI_COMMAND(parquet);
CLI_COMMAND(presign);
CLI_COMMAND(manifests);
CLI_COMMAND(files);
CLI_COMMAND(scan);
CLI_COMMAND(changes);
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
CLI_COMMAND(compact);
CLI_COMMAND(expire_snapshots);
CLI_COMMAND(remove_orphan_files);
CLI_COMMAND(maintain);
CLI_COMMAND(namespace);
CLI_COMMAND(list);
CLI_COMMAND(drop);
CLI_COMMAND(catalog);
CLI_COMMAND(register);
CLI_COMMAND(rename);
CLI_COMMAND(serve);
CLI_COMMAND(spec);
CLI_COMMAND(uuid);
CLI_COMMAND(location);
CLI_COMMAND(properties);

/* A name the catalog knows as a namespace and not as a table (cmd_info.c);
 * errors count as no. */
bool cli_is_namespace(ice_cli *cli, const char *name);
/* `ice describe NAMESPACE` (cmd_catalog.c): its properties and tables. */
int cli_describe_namespace(ice_cli *cli, const char *ns);

extern const cli_command cli_commands[];
const cli_command *cli_find_command(const char *name);

#endif
