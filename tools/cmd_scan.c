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

#include "cli.h"
#include "scan_output.h"

enum {
	OPT_SNAPSHOT = OPT_FIRST_COMMAND_OPTION,
	OPT_AS_OF,
	OPT_REF,
	OPT_SELECT,
	OPT_WHERE,
	OPT_LIMIT,
	OPT_THREADS,
	OPT_PLAN,
	OPT_STATS,
	OPT_FORMAT,
	OPT_OUTPUT,
};

/* "a,b.c" -> a NULL-free array of names (pointers into the copy). */
static int split_select(char *s, const char ***names, size_t *n)
{
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	*names = calloc(cap, sizeof(char *));
	*n = 0;
	if (!*names)
		return -1;
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

static void print_partition(FILE *f, const ice_scan_task *t)
{
	const ice_data_file *df = t->file;
	fputc('{', f);
	for (size_t i = 0; i < df->n_partition; i++) {
		const ice_partition_field *pf = t->spec && i < t->spec->nfields ? &t->spec->fields[i] : NULL;
		char *v = pf && pf->transform.kind != ICE_TRANSFORM_UNKNOWN
		              ? ice_transform_human_string(&pf->transform, &df->partition[i])
		              : ice_literal_to_string(&df->partition[i]);
		fprintf(f, "%s%s=%s", i ? ", " : "", pf ? pf->name : "?", v ? v : "?");
		ice_free(v);
	}
	fputc('}', f);
}

static void print_task(FILE *f, const ice_scan_task *t)
{
	const ice_data_file *df = t->file;
	fprintf(f, "%s  records=%" PRId64 " size=%" PRId64 " spec=%d seq=%" PRId64 " partition=", df->file_path,
	        df->record_count, df->file_size_in_bytes, t->spec ? (int)t->spec->spec_id : (int)df->partition_spec_id,
	        t->data_sequence_number);
	print_partition(f, t);
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

CLI_COMMAND(scan)
{
	static const struct option opts[] = {
		{"snapshot", required_argument, NULL, OPT_SNAPSHOT},
		{"as-of", required_argument, NULL, OPT_AS_OF},
		{"ref", required_argument, NULL, OPT_REF},
		{"select", required_argument, NULL, OPT_SELECT},
		{"where", required_argument, NULL, OPT_WHERE},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"plan", no_argument, NULL, OPT_PLAN},
		{"stats", no_argument, NULL, OPT_STATS},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, OPT_OUTPUT},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("scan");
	ice_scan_options o;
	ice_table_metadata *md = NULL;
	ice_scan *scan = NULL;
	char *select_copy = NULL;
	const char **names = NULL;
	size_t nnames = 0;
	bool plan = false, stats = false;
	scan_output_options out = {isatty(fileno(cli->out)) ? SCAN_FORMAT_TABLE : SCAN_FORMAT_CSV, NULL, 0, 0};
	int c, rc;
	char *end;

	ice_scan_options_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case OPT_SNAPSHOT:
			o.snapshot_id = strtoll(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage_error(cmd, "--snapshot wants a snapshot id, not '%s'", optarg);
			o.has_snapshot_id = true;
			break;
		case OPT_AS_OF:
			if (!cli_parse_time(optarg, &o.as_of_ms))
				return cli_usage_error(cmd, "--as-of wants epoch milliseconds or an ISO-8601 time, not '%s'",
				                       optarg);
			o.has_as_of_ms = true;
			break;
		case OPT_REF: o.ref = optarg; break;
		case OPT_SELECT:
			free(select_copy);
			free(names);
			if (!(select_copy = strdup(optarg)) || split_select(select_copy, &names, &nnames) != 0) {
				free(select_copy);
				return cli_error("out of memory");
			}
			break;
		case OPT_WHERE: o.filter = optarg; break;
		case OPT_LIMIT:
			o.limit = strtoll(optarg, &end, 10);
			if (*end || !*optarg || o.limit < 0)
				return cli_usage_error(cmd, "--limit wants a number of rows, not '%s'", optarg);
			break;
		case OPT_THREADS: {
			long long n = strtoll(optarg, &end, 10);
			if (*end || !*optarg || n < 0 || n > 1024)
				return cli_usage_error(cmd, "--threads wants a number (0: one per core), not '%s'", optarg);
			o.threads = (size_t)n;
			break;
		}
		case OPT_PLAN: plan = true; break;
		case OPT_STATS: stats = true; break;
		case OPT_FORMAT:
			if (scan_output_parse_format(optarg, &out.format) != 0)
				return cli_usage_error(cmd, "--format wants csv, jsonl, table or parquet, not '%s'", optarg);
			break;
		case OPT_OUTPUT: out.output = optarg; break;
		default:
			if ((rc = cli_common_option(cli, cmd, c, optarg)) != 0) {
				free(select_copy);
				free(names);
				if (rc < 0) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	if (((int)o.has_snapshot_id + (int)o.has_as_of_ms + (o.ref != NULL)) > 1) {
		free(select_copy);
		free(names);
		return cli_usage_error(cmd, "choose one of --snapshot, --as-of and --ref");
	}
	if (optind != argc - 1) {
		free(select_copy);
		free(names);
		return cli_usage_error(cmd, "expected one TABLE argument");
	}
	if (names) {
		o.select = names;
		o.nselect = nnames;
	}
	if ((rc = cli_load_metadata(cli, argv[optind], &md, NULL)) != 0) {
		free(select_copy);
		free(names);
		return rc;
	}
	if ((rc = ice_scan_new(&scan, cli->io, md, &o)) == 0)
		rc = plan ? print_plan(cli, scan, stats) : read_rows(cli, scan, stats, &out);
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	free(select_copy);
	free(names);
	return rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
}
