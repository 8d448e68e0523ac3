/*
 * tools/cmd_scan.c - `ice scan TABLE [--snapshot ID|--as-of TS|--ref NAME]
 * [--select a,b.c] [--where EXPR] [--limit N] [--threads N] [--plan]
 * [--stats] [--json]`: plan a scan of a table (ice/scan.h) and print the
 * planned file tasks (--plan), or read the rows.
 *
 * --as-of takes epoch milliseconds or an ISO-8601 date or timestamp, with
 * or without a zone offset (without one it is UTC).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "print.h"
#include "scan_output.h"

enum {
	OPT_SELECT = OPT_FIRST_COMMAND_OPTION,
	OPT_WHERE,
	OPT_LIMIT,
	OPT_THREADS,
	OPT_PLAN,
	OPT_STATS,
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_APPENDS_ONLY,
	OPT_CASE_INSENSITIVE,
};

/* "a,b.c" -> names appended to a NULL-free array (pointers into the
 * copy): a repeated --select adds its columns after the earlier ones. */
static int split_select(char *s, const char ***names, size_t *n)
{
	size_t cap = *n + 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	const char **grown = realloc(*names, cap * sizeof(char *));
	if (!grown)
		return -1;
	*names = grown;
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		while (*tok == ' ')
			tok++;
		size_t len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			tok[--len] = '\0';
		if (len)
			(*names)[(*n)++] = tok;
	}
	return 0;
}

static void print_task(FILE *f, const ice_scan_task *t)
{
	const ice_data_file *df = t->file;
	fprintf(f, "%s  records=%" PRId64 " size=%" PRId64 " spec=%d seq=%" PRId64 " partition=", df->file_path,
	        df->record_count, df->file_size_in_bytes, t->spec ? (int)t->spec->spec_id : (int)df->partition_spec_id,
	        t->data_sequence_number);
	print_partition_values(f, t->spec, t->file);
	fputc('\n', f);
	for (size_t i = 0; i < t->ndeletes; i++) {
		const ice_scan_delete *d = &t->deletes[i];
		fprintf(f, "    %s  %s  records=%" PRId64 " seq=%" PRId64, ice_file_content_name(d->file->content),
		        d->file->file_path, d->file->record_count, d->data_sequence_number);
		if (d->file->has_content_offset)
			fprintf(f, " offset=%" PRId64 " length=%" PRId64, d->file->content_offset,
			        d->file->content_size_in_bytes);
		if (d->file->equality_ids.present) {
			fputs(" equality_ids=", f);
			for (size_t k = 0; k < d->file->equality_ids.n; k++)
				fprintf(f, "%s%d", k ? "," : "", (int)d->file->equality_ids.items[k]);
		}
		fputc('\n', f);
	}
	if (t->residual) {
		char *r = ice_expr_to_string(t->residual);
		fprintf(f, "    residual: %s\n", r ? r : "?");
		ice_free(r);
	}
}

static void print_stats(FILE *f, const ice_scan_stats *s)
{
	fprintf(f,
	        "manifests: %" PRId64 " (%" PRId64 " skipped, %" PRId64 " of deletes)\n"
	        "data files: %" PRId64 " read in manifests, %" PRId64 " skipped by partition, %" PRId64
	        " by metrics\n"
	        "delete files: %" PRId64 " applied\n"
	        "tasks: %" PRId64 "\n",
	        s->manifests, s->manifests_skipped, s->delete_manifests, s->data_files, s->data_files_skipped_partition,
	        s->data_files_skipped_metrics, s->delete_files, s->tasks);
	if (s->row_groups || s->rows_read)
		fprintf(f,
		        "row groups: %" PRId64 " (%" PRId64 " skipped)\n"
		        "rows: %" PRId64 " read, %" PRId64 " deleted, %" PRId64 " filtered, %" PRId64 " returned\n",
		        s->row_groups, s->row_groups_skipped, s->rows_read, s->rows_deleted, s->rows_filtered,
		        s->rows_returned);
}

/* --plan: every task, as text or JSON. */
static int print_plan(ice_cli *cli, ice_scan *scan, bool stats)
{
	ice_scan_planner *p = NULL;
	ice_json_writer *w = NULL;
	const ice_scan_task *t;
	const ice_snapshot *snap = ice_scan_snapshot(scan);
	size_t count = 0;
	int rc;
	if ((rc = ice_scan_plan_open(&p, scan)) != 0)
		return rc;
	if (cli->json) {
		if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0) {
			ice_scan_plan_free(p);
			return rc;
		}
		ice_json_begin_object(w);
		ice_json_key(w, "snapshot_id");
		if (snap)
			ice_json_int(w, snap->snapshot_id);
		else
			ice_json_null(w);
		ice_json_key(w, "schema_id");
		ice_json_int(w, ice_schema_id(ice_scan_schema(scan)));
		ice_json_key(w, "filter");
		if (ice_scan_filter(scan)) {
			char *text = ice_expr_to_string(ice_scan_filter(scan));
			ice_json_string(w, text ? text : "?");
			ice_free(text);
		} else {
			ice_json_null(w);
		}
		ice_json_key(w, "tasks");
		ice_json_begin_array(w);
	}
	while ((rc = ice_scan_plan_next(p, &t)) == 0) {
		if (w)
			ice_scan_task_write_json(t, w);
		else
			print_task(cli->out, t);
		count++;
	}
	ice_scan_plan_free(p);
	if (rc != ICE_ITEROVER) {
		ice_json_writer_free(w);
		return rc;
	}
	rc = 0;
	ice_scan_stats st;
	ice_scan_get_stats(scan, &st);
	if (w) {
		ice_json_end_array(w);
		if (stats) {
			ice_json_key(w, "stats");
			ice_scan_stats_write_json(&st, w);
		}
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (!cli->quiet)
		fprintf(cli->out, "%zu task(s)%s\n", count, snap ? "" : " (the table has no snapshot)");
	if (stats)
		print_stats(cli->out, &st);
	return 0;
}

/*
 * Reading rows (without --plan). The rows are produced here from the scan
 * (ice_scan_to_stream or the task readers) and rendered in --format; the
 * statistics (--stats) go to stderr, after the rows.
 */
static int read_rows(ice_cli *cli, ice_scan *scan, bool stats, const scan_output_options *out)
{
	struct ArrowArrayStream st;
	int rc = ice_scan_to_stream(scan, &st);
	if (rc)
		return rc;
	int code = scan_output_run(cli, &st, ice_scan_projected_type(scan), out, NULL);
	st.release(&st);
	if (!code && stats) {
		ice_scan_stats s;
		ice_scan_get_stats(scan, &s);
		if (cli->json) {
			ice_json_writer *w;
			const char *text;
			size_t len;
			if ((rc = ice_json_writer_new(&w, ICE_JSON_COMPACT)) != 0)
				return rc;
			ice_scan_stats_write_json(&s, w);
			if ((rc = ice_json_writer_finish(w, &text, &len)) == 0)
				fprintf(stderr, "%.*s\n", (int)len, text);
			ice_json_writer_free(w);
			return rc;
		}
		print_stats(stderr, &s);
	}
	return code;
}

typedef struct scan_args {
	ice_scan_options o;
	char *select_copies[64];
	size_t nselects;
	bool format_given;
	const char **names;
	size_t nnames;
	bool plan, stats;
	scan_output_options out;
	cli_range range; /* an incremental scan */
} scan_args;

static int scan_option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	scan_args *a = ctx;
	char *end;
	switch (opt) {
	case OPT_SELECT: {
		char *copy;
		if (a->nselects == sizeof(a->select_copies) / sizeof(a->select_copies[0]))
			return cli_usage_error(cmd, "too many --select options");
		if (!(copy = strdup(arg)))
			return cli_error("out of memory");
		a->select_copies[a->nselects++] = copy;
		if (split_select(copy, &a->names, &a->nnames) != 0)
			return cli_error("out of memory");
		break;
	}
	case OPT_CASE_INSENSITIVE: a->o.case_sensitive = false; break;
	case OPT_WHERE: a->o.filter = arg; break;
	case OPT_LIMIT:
		a->o.limit = strtoll(arg, &end, 10);
		if (*end || !*arg || a->o.limit < 0)
			return cli_usage_error(cmd, "--limit wants a number of rows, not '%s'", arg);
		break;
	case OPT_THREADS: {
		long long n = strtoll(arg, &end, 10);
		if (*end || !*arg || n < 0 || n > 1024)
			return cli_usage_error(cmd, "--threads wants a number (0: one per core), not '%s'", arg);
		a->o.threads = (size_t)n;
		a->out.threads = (size_t)n;
		break;
	}
	case OPT_PLAN: a->plan = true; break;
	case OPT_STATS: a->stats = true; break;
	case OPT_FORMAT:
		if (scan_output_parse_format(arg, &a->out.format) != 0)
			return cli_usage_error(cmd, "--format wants csv, jsonl, table or parquet, not '%s'", arg);
		a->format_given = true;
		break;
	case OPT_OUTPUT: a->out.output = arg; break;
	case OPT_APPENDS_ONLY: a->o.appends_only = true; break;
	default: return cli_range_option(cmd, opt, arg, &a->range);
	}
	return 0;
}

CLI_COMMAND(scan)
{
	static const struct option opts[] = {
		{"select", required_argument, NULL, OPT_SELECT},
		{"where", required_argument, NULL, OPT_WHERE},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"plan", no_argument, NULL, OPT_PLAN},
		{"stats", no_argument, NULL, OPT_STATS},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, OPT_OUTPUT},
		CLI_RANGE_OPTIONS,
		{"appends-only", no_argument, NULL, OPT_APPENDS_ONLY},
		{"case-insensitive", no_argument, NULL, OPT_CASE_INSENSITIVE},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("scan");
	ice_snapshot_selector sel;
	ice_table_metadata *md = NULL;
	ice_scan *scan = NULL;
	const char *table;
	scan_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	ice_scan_options_init(&a.o);
	rc = cli_parse_args(cli, cmd, argc, argv, opts, scan_option, &a, &sel, &table);
	if (rc >= 0)
		goto done;
	if (a.o.appends_only && !a.range.has_from) {
		rc = cli_usage_error(cmd, "--appends-only goes with --from-snapshot, --from-ref or --from-time");
		goto done;
	}
	if ((rc = cli_range_check(cmd, &a.range, &sel, &a.o)) != 0)
		goto done;
	if ((rc = scan_output_choose_format(cli, cmd, &a.out, a.format_given, !a.plan)) != 0)
		goto done;
	if (a.names) {
		a.o.select = a.names;
		a.o.nselect = a.nnames;
	}
	if ((rc = cli_load_metadata(cli, table, &md, NULL)) != 0)
		goto done;
	if ((rc = cli_range_start(table, md, &a.range, &a.o)) != 0)
		goto done;
	if ((rc = ice_scan_new(&scan, cli->io, md, &a.o)) == 0)
		rc = a.plan ? print_plan(cli, scan, a.stats) : read_rows(cli, scan, a.stats, &a.out);
	rc = rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
done:
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	for (size_t i = 0; i < a.nselects; i++)
		free(a.select_copies[i]);
	free(a.names);
	return rc;
}
