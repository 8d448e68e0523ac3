/*
 * tools/cmd_append.c - `ice append TABLE FILE...|-`: write CSV, JSON Lines
 * or Parquet input into a table as one fast-append snapshot; and
 * `ice add-files TABLE FILE.parquet...`: register existing Parquet files.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_FORMAT = OPT_FIRST_COMMAND_OPTION,
	OPT_DELIMITER,
	OPT_NULL,
	OPT_NO_HEADER,
	OPT_REJECT_FILE,
	OPT_BRANCH,
	OPT_NO_SORT,
	OPT_MEMORY,
	OPT_MAX_RECORD,
	OPT_THREADS,
	OPT_TRIM,
	OPT_ROUND_DECIMALS,
	OPT_MAX_REJECTS,
	OPT_HEADER,
	OPT_PROGRESS,
	OPT_CASE_INSENSITIVE,
};

/*
 * Progress of a long append on stderr: on a terminal a line redrawn in
 * place (rows, bytes read, and with the input's size known the share done
 * and the time left); with --progress one line every 5 seconds, for logs.
 */
typedef struct progress_state {
	bool log;          /* whole lines (--progress) rather than one redrawn line */
	int64_t total;     /* bytes of the inputs (0: unknown, e.g. standard input) */
	struct timespec start, last;
} progress_state;

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void progress(int64_t rows, int64_t bytes, void *payload)
{
	progress_state *p = payload;
	if (seconds_since(&p->last) < (p->log ? 5.0 : 0.2))
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	char line[256];
	int n = snprintf(line, sizeof(line), "%lld rows, %.1f MB", (long long)rows, (double)bytes / 1e6);
	if (p->total > 0 && bytes > 0 && n > 0 && (size_t)n < sizeof(line)) {
		double done = (double)bytes / (double)p->total, elapsed = seconds_since(&p->start);
		if (done > 1)
			done = 1;
		long left = (long)(elapsed * (1 - done) / done + 0.5);
		snprintf(line + n, sizeof(line) - (size_t)n, " of %.1f MB (%.0f%%), %ld:%02ld left", (double)p->total / 1e6,
		         done * 100, left / 60, left % 60);
	}
	if (p->log)
		fprintf(stderr, "ice: append: %s\n", line);
	else
		fprintf(stderr, "\r\033[K%s", line);
}

/* The run's monitoring numbers (zeros when it failed: the report is cleared). */
static cli_write_numbers numbers_of(int lrc, const ice_write_report *r, const ice_commit_result *res)
{
	return (cli_write_numbers){.ok = lrc == 0,
	                           .committed = r->committed,
	                           .skipped = res->state == ICE_COMMIT_SKIPPED,
	                           .rows_written = r->rows,
	                           .rows_rejected = r->rejected,
	                           .bytes_read = r->bytes_read,
	                           .bytes_written = r->bytes,
	                           .files_written = r->files,
	                           .partitions = r->partitions,
	                           .write_ms = r->write_ms,
	                           .commit_ms = r->commit_ms,
	                           .attempts = res->attempts};
}

static int report(ice_cli *cli, const char *what, const ice_write_report *r, const ice_commit_result *res)
{
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, "committed");
		ice_json_bool(w, r->committed);
		ice_json_key(w, "snapshot_id");
		if (r->committed)
			ice_json_int(w, r->snapshot_id);
		else
			ice_json_null(w);
		ice_json_key(w, "rows");
		ice_json_int(w, r->rows);
		ice_json_key(w, "rejected");
		ice_json_int(w, r->rejected);
		ice_json_key(w, "files");
		ice_json_int(w, r->files);
		ice_json_key(w, "bytes");
		ice_json_int(w, r->bytes);
		ice_json_key(w, "partitions");
		ice_json_int(w, r->partitions);
		ice_json_key(w, "attempts");
		ice_json_int(w, res->attempts);
		ice_json_key(w, "elapsed_ms");
		ice_json_int(w, res->elapsed_ms);
		/* the monitoring numbers (docs/commands/README.md "Numbers for monitoring") */
		cli_write_numbers n = numbers_of(0, r, res);
		cli_json_write_numbers(w, &n);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (!r->committed) {
		/* exit 0: nothing failed; a script tells by this line or --json */
		if (!cli->quiet)
			fprintf(stderr, "ice: nothing appended: the input has no rows%s; no snapshot committed\n",
			        r->rejected ? " that convert" : "");
		return EXIT_OK;
	}
	if (!cli->quiet) {
		fprintf(cli->out, "%s %lld rows", what, (long long)r->rows);
		if (r->rejected)
			fprintf(cli->out, " (%lld rejected)", (long long)r->rejected);
		fprintf(cli->out, " in %lld files (%lld bytes", (long long)r->files, (long long)r->bytes);
		if (r->partitions > 1)
			fprintf(cli->out, ", %lld partitions", (long long)r->partitions);
		fprintf(cli->out, ") as snapshot %lld\n", (long long)r->snapshot_id);
	}
	return EXIT_OK;
}

static int parse_common(ice_cli *cli, const cli_command *cmd, int opt)
{
	int rc = cli_common_option(cli, cmd, opt, optarg);
	if (rc == -1) {
		cli_print_usage(cmd, stdout);
		return -1;
	}
	return rc;
}

CLI_COMMAND(append)
{
	static const struct option options[] = {
		{"format", required_argument, NULL, OPT_FORMAT},
		{"delimiter", required_argument, NULL, OPT_DELIMITER},
		{"null", required_argument, NULL, OPT_NULL},
		{"no-header", no_argument, NULL, OPT_NO_HEADER},
		{"header", no_argument, NULL, OPT_HEADER},
		{"reject-file", required_argument, NULL, OPT_REJECT_FILE},
		{"branch", required_argument, NULL, OPT_BRANCH},
		{"no-sort", no_argument, NULL, OPT_NO_SORT},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"trim", no_argument, NULL, OPT_TRIM},
		{"round-decimals", no_argument, NULL, OPT_ROUND_DECIMALS},
		{"max-rejects", required_argument, NULL, OPT_MAX_REJECTS},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"case-insensitive", no_argument, NULL, OPT_CASE_INSENSITIVE},
		CLI_COMMIT_OPTIONS,
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("append");
	ice_write_options wo;
	int opt, rc;
	bool log_progress = false;
	progress_state ps;
	cli_commit_args ca;
	cli_commit_args_init(&ca);
	ice_write_options_init(&wo);
	wo.delimiter = 0;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "csv"))
				wo.format = ICE_INPUT_CSV;
			else if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
				wo.format = ICE_INPUT_JSONL;
			else if (!strcmp(optarg, "pgtext") || !strcmp(optarg, "postgres"))
				wo.format = ICE_INPUT_PGTEXT;
			else if (!strcmp(optarg, "parquet"))
				wo.format = ICE_INPUT_PARQUET;
			else
				return cli_usage_error(cmd, "--format wants csv, jsonl, pgtext or parquet, got '%s'", optarg);
			break;
		case OPT_DELIMITER:
			if (!strcmp(optarg, "\\t") || !strcmp(optarg, "tab"))
				wo.delimiter = '\t';
			else if (strlen(optarg) == 1)
				wo.delimiter = optarg[0];
			else
				return cli_usage_error(cmd, "--delimiter wants one character (or \\t)");
			break;
		case OPT_NULL: wo.null_token = optarg; break;
		case OPT_NO_HEADER: wo.no_header = true; break;
		case OPT_HEADER: wo.header = true; break;
		case OPT_REJECT_FILE: wo.reject_file = optarg; break;
		case OPT_BRANCH: wo.branch = optarg; break;
		case OPT_NO_SORT: wo.no_sort = true; break;
		case OPT_MEMORY:
			if (!cli_parse_size(optarg, &wo.max_buffered_bytes))
				return cli_usage_error(cmd, "--memory wants a size such as 256M, got '%s'", optarg);
			break;
		case OPT_MAX_RECORD:
			if (!cli_parse_size(optarg, &wo.max_record_bytes) || wo.max_record_bytes > ((int64_t)1 << 30))
				return cli_usage_error(cmd, "--max-record-size wants a size up to 1G, got '%s'", optarg);
			break;
		case OPT_TRIM: wo.trim = true; break;
		case OPT_CASE_INSENSITIVE: wo.case_insensitive = true; break;
		case OPT_PROGRESS: log_progress = true; break;
		case OPT_MAX_REJECTS: {
			char *end;
			long long n = strtoll(optarg, &end, 10);
			if (end == optarg || *end || n < 0)
				return cli_usage_error(cmd, "--max-rejects wants a number of rows, not '%s'", optarg);
			wo.max_rejects = n;
			break;
		}
		case OPT_ROUND_DECIMALS: wo.round_decimals = true; break;
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 0 || n > 64)
				return cli_usage_error(cmd, "--threads wants a number from 0 (one per core) to 64, not '%s'",
				                       optarg);
			wo.threads = (int)n;
			break;
		}
		case '?': case ':': cli_commit_args_free(&ca); return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_commit_option(cmd, opt, optarg, &ca)) == -1 && (rc = parse_common(cli, cmd, opt)) == -1)
				rc = EXIT_OK;
			if (rc) {
				cli_commit_args_free(&ca);
				return rc == -1 ? EXIT_OK : rc;
			}
		}
	}
	if (argc - optind < 2 || (wo.max_rejects >= 0 && !wo.reject_file)) {
		cli_commit_args_free(&ca);
		if (argc - optind < 2)
			return cli_usage_error(cmd, "expected TABLE and at least one FILE (or -)");
		return cli_usage_error(cmd, "--max-rejects goes with --reject-file (where the rejected rows go)");
	}
	ice_table *table;
	ice_catalog *catalog;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0) {
		cli_commit_args_free(&ca);
		return rc;
	}
	memset(&ps, 0, sizeof(ps));
	ps.log = log_progress;
	clock_gettime(CLOCK_MONOTONIC, &ps.start);
	ps.last = ps.start;
	for (int i = optind + 1; i < argc; i++) {
		struct stat st;
		if (strcmp(argv[i], "-") == 0 || stat(argv[i], &st) != 0 || !S_ISREG(st.st_mode)) {
			ps.total = 0;
			break;
		}
		ps.total += st.st_size;
	}
	if (!cli->quiet && (log_progress || (isatty(2) && !cli->json))) {
		wo.progress = progress;
		wo.progress_payload = &ps;
	}
	ice_write_report r;
	ice_commit_result res;
	rc = ice_table_append_files(table, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &wo,
	                            &ca.opts, &r, &res);
	if (wo.progress && !ps.log)
		fputs("\r\033[K", stderr);
	if (rc) {
		memset(&r, 0, sizeof(r));
		res.attempts = 0;
	}
	cli_write_numbers n = numbers_of(rc, &r, &res);
	int mrc = ca.metrics_file ? cli_metrics_write_numbers(ca.metrics_file, "append", argv[optind], &n) : 0;
	if (rc)
		rc = cli_fail(rc);
	else if (res.state == ICE_COMMIT_SKIPPED) {
		cli_drain_stdin(argv + optind + 1, argc - optind - 1);
		rc = cli_report_skipped(cli, argv[optind], &ca, &res);
	} else {
		if (r.rejected && !cli->quiet)
			fprintf(stderr, "ice: %lld rows rejected: in %s, why in %s.errors.jsonl\n", (long long)r.rejected,
			        wo.reject_file, wo.reject_file);
		rc = report(cli, "appended", &r, &res);
	}
	ice_table_free(table);
	ice_catalog_free(catalog);
	cli_commit_args_free(&ca);
	return rc ? rc : mrc;
}

CLI_COMMAND(add_files)
{
	static const struct option options[] = {
		CLI_COMMIT_OPTIONS,
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("add-files");
	cli_commit_args ca;
	int opt, rc = 0;
	cli_commit_args_init(&ca);
	optind = 1;
	while (!rc && (opt = cli_getopt(argc, argv, options)) != -1) {
		if ((rc = cli_commit_option(cmd, opt, optarg, &ca)) == -1)
			rc = parse_common(cli, cmd, opt);
	}
	if (!rc && argc - optind < 2)
		rc = cli_usage_error(cmd, "expected TABLE and at least one FILE.parquet");
	ice_table *table;
	ice_catalog *catalog;
	if (rc || (rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0) {
		cli_commit_args_free(&ca);
		return rc == -1 ? EXIT_OK : rc;
	}
	ice_write_report r;
	ice_commit_result res;
	rc = ice_table_add_files(table, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &ca.opts, &r,
	                         &res);
	if (rc) {
		memset(&r, 0, sizeof(r));
		res.attempts = 0;
	}
	cli_write_numbers n = numbers_of(rc, &r, &res);
	int mrc = ca.metrics_file ? cli_metrics_write_numbers(ca.metrics_file, "add-files", argv[optind], &n) : 0;
	if (rc)
		rc = cli_fail(rc);
	else if (res.state == ICE_COMMIT_SKIPPED)
		rc = cli_report_skipped(cli, argv[optind], &ca, &res);
	else
		rc = report(cli, "added", &r, &res);
	ice_table_free(table);
	ice_catalog_free(catalog);
	cli_commit_args_free(&ca);
	return rc ? rc : mrc;
}
