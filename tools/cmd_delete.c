/*
 * tools/cmd_delete.c - `ice delete TABLE --where EXPR` and `ice overwrite
 * TABLE FILE... [--where EXPR | --dynamic]` (ice/delete.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_WHERE = OPT_FIRST_COMMAND_OPTION,
	OPT_MODE,
	OPT_ISOLATION,
	OPT_DYNAMIC,
	OPT_FORMAT,
	OPT_DELIMITER,
	OPT_NULL,
	OPT_NO_HEADER,
	OPT_CASE_INSENSITIVE,
	OPT_MAX_RECORD,
};

/* The run's monitoring numbers (zeros when it failed: the report is cleared). */
static cli_write_numbers numbers_of(int lrc, const ice_delete_report *r, const ice_commit_result *res)
{
	return (cli_write_numbers){.ok = lrc == 0,
	                           .committed = r->committed,
	                           .skipped = res->state == ICE_COMMIT_SKIPPED,
	                           .rows_written = r->rows_added,
	                           .rows_rejected = r->rows_rejected,
	                           .rows_deleted = r->rows_deleted,
	                           .bytes_read = r->bytes_read,
	                           .bytes_written = r->bytes_written,
	                           .files_written = r->files_added + r->delete_files_added,
	                           .files_removed = r->files_removed,
	                           .partitions = -1,
	                           .write_ms = r->write_ms,
	                           .commit_ms = r->commit_ms,
	                           .attempts = res->attempts};
}

static int report(ice_cli *cli, const char *table, const ice_delete_report *r, const ice_commit_result *res)
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
		ice_json_key(w, "operation");
		ice_json_string(w, r->operation);
		ice_json_key(w, "rows_deleted");
		ice_json_int(w, r->rows_deleted);
		ice_json_key(w, "rows_added");
		ice_json_int(w, r->rows_added);
		ice_json_key(w, "files_removed");
		ice_json_int(w, r->files_removed);
		ice_json_key(w, "files_rewritten");
		ice_json_int(w, r->files_rewritten);
		ice_json_key(w, "files_added");
		ice_json_int(w, r->files_added);
		ice_json_key(w, "delete_files_added");
		ice_json_int(w, r->delete_files_added);
		ice_json_key(w, "attempts");
		ice_json_int(w, res->attempts);
		/* the monitoring numbers (docs/commands/README.md "Numbers for monitoring") */
		cli_write_numbers n = numbers_of(0, r, res);
		cli_json_write_numbers(w, &n);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (cli->quiet)
		return EXIT_OK;
	if (!r->committed) {
		fprintf(cli->out, "%s: no rows matched, nothing changed\n", table);
		return EXIT_OK;
	}
	fprintf(cli->out, "%s: %lld rows deleted", table, (long long)r->rows_deleted);
	if (r->rows_added)
		fprintf(cli->out, ", %lld rows added", (long long)r->rows_added);
	fprintf(cli->out, " (%lld files removed, %lld rewritten, %lld added, %lld delete files) as %s snapshot %lld\n",
	        (long long)r->files_removed, (long long)r->files_rewritten, (long long)r->files_added,
	        (long long)r->delete_files_added, r->operation, (long long)r->snapshot_id);
	return EXIT_OK;
}

/* The exit code and report of a delete or overwrite (the commit args freed). */
static int finish(ice_cli *cli, const char *command, const char *table, int lrc, cli_commit_args *ca, ice_delete_report *r,
                  ice_commit_result *res)
{
	int rc, mrc = 0;
	if (lrc) {
		const char *op = r->operation;
		memset(r, 0, sizeof(*r));
		r->operation = op;
		res->attempts = 0;
	}
	if (ca->metrics_file) {
		cli_write_numbers n = numbers_of(lrc, r, res);
		mrc = cli_metrics_write_numbers(ca->metrics_file, command, table, &n);
	}
	if (lrc)
		rc = cli_fail(lrc);
	else if (res->state == ICE_COMMIT_SKIPPED)
		rc = cli_report_skipped(cli, table, ca, res);
	else
		rc = report(cli, table, r, res);
	cli_commit_args_free(ca);
	return rc ? rc : mrc;
}

static int parse_isolation(const cli_command *cmd, const char *arg, ice_isolation *out)
{
	if (!strcmp(arg, "serializable"))
		*out = ICE_ISOLATION_SERIALIZABLE;
	else if (!strcmp(arg, "snapshot"))
		*out = ICE_ISOLATION_SNAPSHOT;
	else
		return cli_usage_error(cmd, "--isolation wants serializable or snapshot, got '%s'", arg);
	return EXIT_OK;
}

static int common(ice_cli *cli, const cli_command *cmd, int opt)
{
	int rc = cli_common_option(cli, cmd, opt, optarg);
	if (rc == -1) {
		cli_print_usage(cmd, stdout);
		return -1;
	}
	return rc;
}

CLI_COMMAND(delete)
{
	static const struct option options[] = {
		{"where", required_argument, NULL, OPT_WHERE},
		{"mode", required_argument, NULL, OPT_MODE},
		{"isolation", required_argument, NULL, OPT_ISOLATION},
		{"case-insensitive", no_argument, NULL, OPT_CASE_INSENSITIVE},
		CLI_COMMIT_OPTIONS,
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("delete");
	const char *where = NULL;
	ice_delete_options o;
	cli_commit_args ca;
	int opt, rc;
	cli_commit_args_init(&ca);
	ice_delete_options_init(&o);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_WHERE: where = optarg; break;
		case OPT_MODE:
			if (!strcmp(optarg, "copy-on-write"))
				o.mode = ICE_DELETE_COPY_ON_WRITE;
			else if (!strcmp(optarg, "merge-on-read"))
				o.mode = ICE_DELETE_MERGE_ON_READ;
			else
				return cli_usage_error(cmd, "--mode wants copy-on-write or merge-on-read, got '%s'", optarg);
			break;
		case OPT_ISOLATION:
			if ((rc = parse_isolation(cmd, optarg, &o.isolation)) != 0)
				return rc;
			break;
		case OPT_CASE_INSENSITIVE: o.case_sensitive = false; break;
		case '?': case ':': cli_commit_args_free(&ca); return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_commit_option(cmd, opt, optarg, &ca)) == -1)
				rc = common(cli, cmd, opt);
			if (rc) {
				cli_commit_args_free(&ca);
				return rc == -1 ? EXIT_OK : rc;
			}
		}
	}
	ice_table *table;
	ice_catalog *catalog;
	ice_delete_report r;
	ice_commit_result res;
	if (argc - optind != 1)
		rc = cli_usage_error(cmd, "expected one TABLE");
	else if (!where)
		rc = cli_usage_error(cmd, "--where is required (--where true deletes every row)");
	else
		rc = cli_open_table(cli, argv[optind], &table, &catalog);
	if (rc) {
		cli_commit_args_free(&ca);
		return rc;
	}
	int lrc = ice_table_delete_where(table, where, &o, &ca.opts, &r, &res);
	rc = finish(cli, "delete", argv[optind], lrc, &ca, &r, &res);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}

CLI_COMMAND(overwrite)
{
	static const struct option options[] = {
		{"where", required_argument, NULL, OPT_WHERE},
		{"dynamic", no_argument, NULL, OPT_DYNAMIC},
		{"isolation", required_argument, NULL, OPT_ISOLATION},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"delimiter", required_argument, NULL, OPT_DELIMITER},
		{"null", required_argument, NULL, OPT_NULL},
		{"no-header", no_argument, NULL, OPT_NO_HEADER},
		{"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
		{"case-insensitive", no_argument, NULL, OPT_CASE_INSENSITIVE},
		CLI_COMMIT_OPTIONS,
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("overwrite");
	ice_overwrite_options o;
	cli_commit_args ca;
	int opt, rc;
	cli_commit_args_init(&ca);
	ice_overwrite_options_init(&o);
	o.write.delimiter = 0;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_WHERE: o.filter = optarg; break;
		case OPT_DYNAMIC: o.dynamic = true; break;
		case OPT_ISOLATION:
			if ((rc = parse_isolation(cmd, optarg, &o.isolation)) != 0)
				return rc;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "csv"))
				o.write.format = ICE_INPUT_CSV;
			else if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
				o.write.format = ICE_INPUT_JSONL;
			else if (!strcmp(optarg, "parquet"))
				o.write.format = ICE_INPUT_PARQUET;
			else
				return cli_usage_error(cmd, "--format wants csv, jsonl or parquet, got '%s'", optarg);
			break;
		case OPT_DELIMITER:
			if (!strcmp(optarg, "\\t") || !strcmp(optarg, "tab"))
				o.write.delimiter = '\t';
			else if (strlen(optarg) == 1)
				o.write.delimiter = optarg[0];
			else
				return cli_usage_error(cmd, "--delimiter wants one character (or \\t)");
			break;
		case OPT_NULL: o.write.null_token = optarg; break;
		case OPT_NO_HEADER: o.write.no_header = true; break;
		case OPT_MAX_RECORD:
			if (!cli_parse_size(optarg, &o.write.max_record_bytes) || o.write.max_record_bytes > ((int64_t)1 << 30))
				return cli_usage_error(cmd, "--max-record-size wants a size up to 1G, got '%s'", optarg);
			break;
		case OPT_CASE_INSENSITIVE: o.write.case_insensitive = true; break;
		case '?': case ':': cli_commit_args_free(&ca); return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_commit_option(cmd, opt, optarg, &ca)) == -1)
				rc = common(cli, cmd, opt);
			if (rc) {
				cli_commit_args_free(&ca);
				return rc == -1 ? EXIT_OK : rc;
			}
		}
	}
	ice_table *table;
	ice_catalog *catalog;
	ice_delete_report r;
	ice_commit_result res;
	if (argc - optind < 2)
		rc = cli_usage_error(cmd, "expected TABLE and at least one FILE (or -)");
	else if (o.dynamic && o.filter)
		rc = cli_usage_error(cmd, "--dynamic and --where exclude each other");
	else
		rc = cli_open_table(cli, argv[optind], &table, &catalog);
	if (rc) {
		cli_commit_args_free(&ca);
		return rc;
	}
	int lrc = ice_table_overwrite_files(table, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &o,
	                                    &ca.opts, &r, &res);
	if (!lrc && res.state == ICE_COMMIT_SKIPPED)
		cli_drain_stdin(argv + optind + 1, argc - optind - 1);
	rc = finish(cli, "overwrite", argv[optind], lrc, &ca, &r, &res);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}
