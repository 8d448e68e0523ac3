/*
 * tools/cmd_compact.c - `ice compact TABLE`: data files bin-packed and
 * rewritten with their deletes applied, or (--deletes) position delete
 * files rewritten (ice/compact.h). Progress on a terminal, a one-line
 * summary, the plan and outcome per group with --json.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_WHERE = OPT_FIRST_COMMAND_OPTION,
	OPT_TARGET,
	OPT_MIN_INPUT,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
	OPT_DEL_THRESHOLD,
	OPT_DEL_RATIO,
	OPT_MAX_GROUP,
	OPT_REWRITE_ALL,
	OPT_SORT,
	OPT_PARTIAL,
	OPT_MAX_COMMITS,
	OPT_DELETES,
	OPT_DRY_RUN,
	OPT_THREADS,
	OPT_MEMORY,
};

typedef struct progress_line {
	const char *phase;
	bool drawn;
} progress_line;

static void show_progress(const char *phase, int64_t done, int64_t total, void *payload)
{
	progress_line *pl = payload;
	if (total >= 0)
		fprintf(stderr, "\r%-10s %lld/%lld files   ", phase, (long long)done, (long long)total);
	else
		fprintf(stderr, "\r%-10s %lld files   ", phase, (long long)done);
	pl->phase = phase;
	pl->drawn = true;
}

static bool parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v <= 0 || v > 1000000000)
		return false;
	*out = (int)v;
	return true;
}

static void human_bytes(int64_t n, char *out, size_t len)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void write_report(ice_json_writer *w, const ice_compact_report *r, bool deletes, bool dry_run,
                         const ice_commit_result *res, int64_t run_ms)
{
	ice_json_begin_object(w);
	ice_json_key(w, "operation");
	ice_json_string(w, deletes ? "compact-deletes" : "compact");
	ice_json_key(w, "dry_run");
	ice_json_bool(w, dry_run);
	ice_json_key(w, "committed");
	ice_json_bool(w, r->committed);
	ice_json_key(w, "commits");
	ice_json_int(w, r->commits);
	ice_json_key(w, "snapshot_id");
	if (r->committed)
		ice_json_int(w, r->snapshot_id);
	else
		ice_json_null(w);
	ice_json_key(w, "candidates");
	ice_json_int(w, r->candidates);
	ice_json_key(w, "groups_planned");
	ice_json_int(w, (int64_t)r->ngroups);
	ice_json_key(w, "groups_rewritten");
	ice_json_int(w, r->groups_rewritten);
	ice_json_key(w, "groups_failed");
	ice_json_int(w, r->groups_failed);
	ice_json_key(w, "data_files_removed");
	ice_json_int(w, r->data_files_removed);
	ice_json_key(w, "data_files_added");
	ice_json_int(w, r->data_files_added);
	ice_json_key(w, "delete_files_removed");
	ice_json_int(w, r->delete_files_removed);
	ice_json_key(w, "delete_files_added");
	ice_json_int(w, r->delete_files_added);
	ice_json_key(w, "bytes_removed");
	ice_json_int(w, r->bytes_removed);
	ice_json_key(w, "bytes_added");
	ice_json_int(w, r->bytes_added);
	ice_json_key(w, "rows_written");
	ice_json_int(w, r->rows_written);
	ice_json_key(w, "elapsed_ms");
	ice_json_int(w, r->elapsed_ms);
	/* the monitoring numbers (docs/commands/README.md "Numbers for monitoring") */
	cli_json_run_numbers(w, res->attempts, run_ms, res->elapsed_ms);
	ice_json_key(w, "groups");
	ice_json_begin_array(w);
	for (size_t i = 0; i < r->ngroups; i++) {
		const ice_compact_group *g = &r->groups[i];
		ice_json_begin_object(w);
		ice_json_key(w, "spec_id");
		if (g->spec_id >= 0)
			ice_json_int(w, g->spec_id);
		else
			ice_json_null(w);
		ice_json_key(w, "partition");
		ice_json_string(w, g->partition ? g->partition : "");
		ice_json_key(w, "files");
		ice_json_int(w, g->files);
		ice_json_key(w, "bytes");
		ice_json_int(w, g->bytes);
		ice_json_key(w, "delete_files");
		ice_json_int(w, g->delete_files);
		ice_json_key(w, "expected_files");
		ice_json_int(w, g->expected_files);
		ice_json_key(w, "rewritten");
		ice_json_bool(w, g->rewritten);
		ice_json_key(w, "files_added");
		ice_json_int(w, g->files_added);
		ice_json_key(w, "bytes_added");
		ice_json_int(w, g->bytes_added);
		ice_json_key(w, "rows");
		ice_json_int(w, g->rows);
		ice_json_key(w, "error");
		if (g->error)
			ice_json_string(w, g->error);
		else
			ice_json_null(w);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_end_object(w);
}

static void print_summary(ice_cli *cli, const char *table, const ice_compact_report *r, bool deletes, bool dry_run)
{
	char in[32], out[32];
	human_bytes(r->bytes_removed, in, sizeof(in));
	human_bytes(r->bytes_added, out, sizeof(out));
	const char *what = deletes ? "delete files" : "data files";
	if (dry_run) {
		int64_t files = 0, bytes = 0, expected = 0;
		for (size_t i = 0; i < r->ngroups; i++)
			files += r->groups[i].files, bytes += r->groups[i].bytes, expected += r->groups[i].expected_files;
		human_bytes(bytes, in, sizeof(in));
		if (!r->ngroups)
			fprintf(cli->out, "%s: nothing to compact (dry run; %lld candidate %s)\n", table,
			        (long long)r->candidates, what);
		else
			fprintf(cli->out, "%s: would rewrite %lld %s (%s) in %zu groups into about %lld (dry run)\n", table,
			        (long long)files, what, in, r->ngroups, (long long)expected);
		return;
	}
	if (!r->committed && !r->groups_failed) {
		fprintf(cli->out, "%s: nothing to compact (%lld candidate %s, no group worth rewriting)\n", table,
		        (long long)r->candidates, what);
		return;
	}
	if (deletes)
		fprintf(cli->out,
		        "%s: %lld delete files removed, %lld written (%s -> %s) in %lld of %zu groups, %d commit%s "
		        "(snapshot %lld), %.1f s%s\n",
		        table, (long long)r->delete_files_removed, (long long)r->delete_files_added, in, out,
		        (long long)r->groups_rewritten, r->ngroups, r->commits, r->commits == 1 ? "" : "s",
		        (long long)r->snapshot_id, (double)r->elapsed_ms / 1000, r->groups_failed ? ", some groups failed" : "");
	else
		fprintf(cli->out,
		        "%s: %lld data files rewritten into %lld (%s -> %s, %lld rows) in %lld of %zu groups, "
		        "%lld delete files removed, %d commit%s (snapshot %lld), %.1f s%s\n",
		        table, (long long)r->data_files_removed, (long long)r->data_files_added, in, out,
		        (long long)r->rows_written, (long long)r->groups_rewritten, r->ngroups,
		        (long long)r->delete_files_removed, r->commits, r->commits == 1 ? "" : "s", (long long)r->snapshot_id,
		        (double)r->elapsed_ms / 1000, r->groups_failed ? ", some groups failed" : "");
	for (size_t i = 0; i < r->ngroups; i++)
		if (r->groups[i].error)
			fprintf(stderr, "ice: group %zu (%s): %s\n", i, r->groups[i].partition ? r->groups[i].partition : "",
			        r->groups[i].error);
}

CLI_COMMAND(compact)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"where", required_argument, NULL, OPT_WHERE},
		{"target-file-size", required_argument, NULL, OPT_TARGET},
		{"min-input-files", required_argument, NULL, OPT_MIN_INPUT},
		{"min-file-size", required_argument, NULL, OPT_MIN_SIZE},
		{"max-file-size", required_argument, NULL, OPT_MAX_SIZE},
		{"delete-file-threshold", required_argument, NULL, OPT_DEL_THRESHOLD},
		{"delete-ratio-threshold", required_argument, NULL, OPT_DEL_RATIO},
		{"max-file-group-size", required_argument, NULL, OPT_MAX_GROUP},
		{"rewrite-all", no_argument, NULL, OPT_REWRITE_ALL},
		{"sort", optional_argument, NULL, OPT_SORT},
		{"partial-progress", no_argument, NULL, OPT_PARTIAL},
		{"max-commits", required_argument, NULL, OPT_MAX_COMMITS},
		{"deletes", no_argument, NULL, OPT_DELETES},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("compact");
	ice_compact_options o;
	bool deletes = false, max_commits_given = false;
	const char *metrics_file = NULL;
	int opt, rc;
	ice_compact_options_init(&o);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case '?': case ':': return cli_common_option(cli, cmd, opt, optarg);
		case OPT_WHERE: o.filter = optarg; break;
		case OPT_TARGET:
			if (!cli_parse_size(optarg, &o.target_file_size))
				return cli_usage_error(cmd, "--target-file-size wants a size such as 512M, got '%s'", optarg);
			break;
		case OPT_MIN_SIZE:
			if (!strcmp(optarg, "0"))
				o.min_file_size = 0;
			else if (!cli_parse_size(optarg, &o.min_file_size))
				return cli_usage_error(cmd, "--min-file-size wants a size such as 384M, got '%s'", optarg);
			break;
		case OPT_MAX_SIZE:
			if (!cli_parse_size(optarg, &o.max_file_size))
				return cli_usage_error(cmd, "--max-file-size wants a size such as 900M, got '%s'", optarg);
			break;
		case OPT_MAX_GROUP:
			if (!cli_parse_size(optarg, &o.max_group_size))
				return cli_usage_error(cmd, "--max-file-group-size wants a size such as 100G, got '%s'", optarg);
			break;
		case OPT_MEMORY:
			if (!cli_parse_size(optarg, &o.memory))
				return cli_usage_error(cmd, "--memory wants a size such as 256M, got '%s'", optarg);
			break;
		case OPT_MIN_INPUT:
			if (!parse_int(optarg, &o.min_input_files))
				return cli_usage_error(cmd, "--min-input-files wants a positive number, got '%s'", optarg);
			break;
		case OPT_DEL_THRESHOLD:
			if (!parse_int(optarg, &o.delete_file_threshold))
				return cli_usage_error(cmd, "--delete-file-threshold wants a positive number, got '%s'", optarg);
			break;
		case OPT_DEL_RATIO: {
			char *end;
			o.delete_ratio_threshold = strtod(optarg, &end);
			if (end == optarg || *end || !(o.delete_ratio_threshold > 0 && o.delete_ratio_threshold <= 1))
				return cli_usage_error(cmd, "--delete-ratio-threshold wants a number in (0, 1], got '%s'", optarg);
			break;
		}
		case OPT_MAX_COMMITS:
			if (!parse_int(optarg, &o.max_commits))
				return cli_usage_error(cmd, "--max-commits wants a positive number, got '%s'", optarg);
			max_commits_given = true;
			break;
		case OPT_THREADS:
			if (!parse_int(optarg, &o.threads))
				return cli_usage_error(cmd, "--threads wants a positive number, got '%s'", optarg);
			break;
		case OPT_REWRITE_ALL: o.rewrite_all = true; break;
		case OPT_SORT:
			o.sort = true;
			o.sort_order = optarg;
			break;
		case OPT_PARTIAL: o.partial_progress = true; break;
		case OPT_DELETES: deletes = true; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_METRICS_FILE: metrics_file = optarg; break;
		default:
			if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
				if (rc == -1) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one TABLE");
	if (max_commits_given && !o.partial_progress)
		return cli_usage_error(cmd, "--max-commits goes with --partial-progress");
	if (deletes && o.sort)
		return cli_usage_error(cmd, "--sort does not go with --deletes");
	ice_table *table;
	ice_catalog *catalog;
	ice_compact_report r;
	progress_line pl = {NULL, false};
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	if (!cli->quiet && !cli->json && isatty(2)) {
		o.progress = show_progress;
		o.progress_payload = &pl;
	}
	ice_commit_result res;
	int64_t start = cli_now_ms();
	memset(&res, 0, sizeof(res));
	int lrc = deletes ? ice_table_compact_deletes(table, &o, NULL, &r, &res) : ice_table_compact(table, &o, NULL, &r, &res);
	int64_t run_ms = cli_now_ms() - start;
	if (pl.drawn)
		fprintf(stderr, "\r%60s\r", "");
	int mrc = 0;
	if (metrics_file) {
		/* the report is filled in any case; a failed run counts what it did */
		cli_rewrite_numbers n = {lrc == 0, r.committed, r.data_files_removed + r.delete_files_removed,
		                         r.data_files_added + r.delete_files_added, r.bytes_removed, r.bytes_added,
		                         r.rows_written, res.attempts, run_ms, res.elapsed_ms};
		mrc = cli_metrics_write_rewrite(metrics_file, deletes ? "compact-deletes" : "compact", argv[optind], &n);
	}
	if (lrc) {
		rc = cli_fail(lrc);
	} else if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			rc = cli_fail(ICE_ERROR);
		} else {
			write_report(w, &r, deletes, o.dry_run, &res, run_ms);
			rc = cli_print_json(cli, w);
			ice_json_writer_free(w);
		}
	} else {
		if (!cli->quiet)
			print_summary(cli, argv[optind], &r, deletes, o.dry_run);
		rc = EXIT_OK;
	}
	ice_compact_report_free(&r);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc ? rc : mrc;
}
