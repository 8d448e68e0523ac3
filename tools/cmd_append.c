/*
 * tools/cmd_append.c - `ice append TABLE FILE...|-`: write CSV, JSON Lines
 * or Parquet input into a table as one fast-append snapshot; and
 * `ice add-files TABLE FILE.parquet...`: register existing Parquet files.
 */
#include <stdlib.h>
#include <string.h>
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
};

static void progress(int64_t rows, int64_t bytes, void *payload)
{
	(void)payload;
	fprintf(stderr, "\r%lld rows, %.1f MB read", (long long)rows, (double)bytes / 1e6);
}

static int report(ice_cli *cli, const char *what, const ice_write_report *r, const ice_commit_result *res)
{
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, "snapshot-id");
		ice_json_int(w, r->snapshot_id);
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
		ice_json_key(w, "elapsed-ms");
		ice_json_int(w, res->elapsed_ms);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
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
		{"reject-file", required_argument, NULL, OPT_REJECT_FILE},
		{"branch", required_argument, NULL, OPT_BRANCH},
		{"no-sort", no_argument, NULL, OPT_NO_SORT},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
		{"threads", required_argument, NULL, OPT_THREADS},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("append");
	ice_write_options wo;
	int opt, rc;
	ice_write_options_init(&wo);
	wo.delimiter = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "csv"))
				wo.format = ICE_INPUT_CSV;
			else if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
				wo.format = ICE_INPUT_JSONL;
			else if (!strcmp(optarg, "parquet"))
				wo.format = ICE_INPUT_PARQUET;
			else
				return cli_usage_error(cmd, "--format wants csv, jsonl or parquet, got '%s'", optarg);
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
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 0 || n > 64)
				return cli_usage_error(cmd, "--threads wants a number from 0 (one per core) to 64, not '%s'",
				                       optarg);
			wo.threads = (int)n;
			break;
		}
		case '?': return cli_usage_error(cmd, "unknown option");
		default:
			if ((rc = parse_common(cli, cmd, opt)) != 0)
				return rc == -1 ? EXIT_OK : rc;
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(cmd, "expected TABLE and at least one FILE (or -)");
	ice_table *table;
	ice_catalog *catalog;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	if (isatty(2) && !cli->quiet && !cli->json)
		wo.progress = progress;
	ice_write_report r;
	ice_commit_result res;
	rc = ice_table_append_files(table, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &wo, NULL,
	                            &r, &res);
	if (wo.progress)
		fputs("\r\033[K", stderr);
	if (rc)
		rc = cli_fail(rc);
	else
		rc = report(cli, "appended", &r, &res);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}

CLI_COMMAND(add_files)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("add-files");
	int opt, rc;
	optind = 1;
	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) != -1) {
		if (opt == '?')
			return cli_usage_error(cmd, "unknown option");
		if ((rc = parse_common(cli, cmd, opt)) != 0)
			return rc == -1 ? EXIT_OK : rc;
	}
	if (argc - optind < 2)
		return cli_usage_error(cmd, "expected TABLE and at least one FILE.parquet");
	ice_table *table;
	ice_catalog *catalog;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	ice_write_report r;
	ice_commit_result res;
	rc = ice_table_add_files(table, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), NULL, &r,
	                         &res);
	if (rc)
		rc = cli_fail(rc);
	else
		rc = report(cli, "added", &r, &res);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}
