/*
 * tools/cmd_files.c - `ice files TABLE [--snapshot ID | --as-of TS | --ref
 * NAME] [--content data|deletes|all]`: the live data and delete files of a
 * snapshot (the current one by default), read manifest by manifest without holding them:
 * content, format, records, size, partition values, then each column's
 * metrics with typed bounds, like Spark's `files` metadata table. --json
 * prints every field of each entry and its data file.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum { OPT_CONTENT = OPT_FIRST_COMMAND_OPTION };
enum { WANT_DATA = 1, WANT_DELETES = 2 };

/* Field ids that have any metric, ascending (small arrays: insertion). */
static size_t metric_ids(const ice_data_file *df, int32_t *ids, size_t cap)
{
	const ice_metric_counts *counts[] = {&df->column_sizes, &df->value_counts, &df->null_value_counts,
	                                     &df->nan_value_counts};
	const ice_metric_bounds *bounds[] = {&df->lower_bounds, &df->upper_bounds};
	size_t n = 0;
	for (int k = 0; k < 6; k++) {
		size_t m = k < 4 ? counts[k]->n : bounds[k - 4]->n;
		for (size_t i = 0; i < m; i++) {
			int32_t id = k < 4 ? counts[k]->items[i].field_id : bounds[k - 4]->items[i].field_id;
			size_t j = 0;
			while (j < n && ids[j] < id)
				j++;
			if ((j < n && ids[j] == id) || n == cap)
				continue;
			memmove(ids + j + 1, ids + j, (n - j) * sizeof(*ids));
			ids[j] = id;
			n++;
		}
	}
	return n;
}

static void print_count(FILE *f, const char *label, const ice_metric_counts *m, int32_t id)
{
	const ice_metric_count *c = ice_metric_counts_get(m, id);
	if (c)
		fprintf(f, " %s=%" PRId64, label, c->value);
}

static void print_bound(FILE *f, const char *label, const ice_metric_bounds *m, int32_t id)
{
	const ice_metric_bound *b = ice_metric_bounds_get(m, id);
	char *s;
	if (!b)
		return;
	s = ice_metric_bound_to_string(b);
	fprintf(f, " %s=%s", label, s ? s : "?");
	ice_free(s);
}

static void print_file(FILE *f, const ice_schema *schema, const ice_partition_spec *spec,
                       const ice_manifest_entry *e)
{
	const ice_data_file *df = &e->data_file;
	int32_t ids[1024];
	size_t n;
	fprintf(f, "%-16s  %-8s  %10" PRId64 "  %10" PRId64 "  %4d  ", ice_file_content_name(df->content),
	        df->file_format, df->record_count, df->file_size_in_bytes, (int)df->partition_spec_id);
	if (e->has_sequence_number)
		fprintf(f, "%6" PRId64 "  ", e->sequence_number);
	else
		fprintf(f, "%6s  ", "-");
	print_partition_values(f, spec, df);
	fprintf(f, "  %s\n", df->file_path);
	if (df->referenced_data_file)
		fprintf(f, "    referenced_data_file=%s\n", df->referenced_data_file);
	if (df->has_content_offset || df->has_first_row_id || df->equality_ids.present) {
		fputs("   ", f);
		if (df->has_first_row_id)
			fprintf(f, " first_row_id=%" PRId64, df->first_row_id);
		if (df->has_content_offset)
			fprintf(f, " content_offset=%" PRId64 " content_size_in_bytes=%" PRId64, df->content_offset,
			        df->content_size_in_bytes);
		if (df->equality_ids.present) {
			fputs(" equality_ids=", f);
			for (size_t i = 0; i < df->equality_ids.n; i++)
				fprintf(f, "%s%d", i ? "," : "", (int)df->equality_ids.items[i]);
		}
		fputc('\n', f);
	}
	n = metric_ids(df, ids, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < n; i++) {
		const char *name = schema ? ice_schema_field_name(schema, ids[i]) : NULL;
		fprintf(f, "    %d %s:", (int)ids[i], name ? name : "?");
		print_count(f, "values", &df->value_counts, ids[i]);
		print_count(f, "nulls", &df->null_value_counts, ids[i]);
		print_count(f, "nans", &df->nan_value_counts, ids[i]);
		print_count(f, "size", &df->column_sizes, ids[i]);
		print_bound(f, "lower", &df->lower_bounds, ids[i]);
		print_bound(f, "upper", &df->upper_bounds, ids[i]);
		fputc('\n', f);
	}
}

typedef struct listing {
	ice_cli *cli;
	const ice_schema *schema;
	int want;
	ice_json_writer *w;
	size_t count;
} listing;

/* A live file, of the content asked for. */
static int list_file(void *ctx, const ice_manifest_file *mf, const ice_partition_spec *spec,
                     const ice_manifest_entry *e)
{
	listing *l = ctx;
	if (!(l->want & (e->data_file.content == ICE_FILE_CONTENT_DATA ? WANT_DATA : WANT_DELETES)))
		return 0;
	if (l->w) {
		ice_json_begin_object(l->w);
		ice_json_key(l->w, "manifest_path");
		ice_json_string(l->w, mf->manifest_path);
		ice_json_key(l->w, "entry");
		ice_manifest_entry_write_json(e, spec, l->w);
		ice_json_end_object(l->w);
	} else {
		print_file(l->cli->out, l->schema, spec, e);
	}
	l->count++;
	return 0;
}

static int content_option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	int *want = ctx;
	(void)opt;
	if (!strcmp(arg, "data"))
		*want = WANT_DATA;
	else if (!strcmp(arg, "deletes"))
		*want = WANT_DELETES;
	else if (!strcmp(arg, "all"))
		*want = WANT_DATA | WANT_DELETES;
	else
		return cli_usage_error(cmd, "--content is data, deletes or all, not '%s'", arg);
	return 0;
}

CLI_COMMAND(files)
{
	static const struct option opts[] = {
		{"content", required_argument, NULL, OPT_CONTENT},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("files");
	ice_snapshot_selector sel;
	cli_snapshot t;
	listing l = {cli, NULL, WANT_DATA | WANT_DELETES, NULL, 0};
	const char *table;
	int rc = cli_parse_args(cli, cmd, argc, argv, opts, content_option, &l.want, &sel, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_snapshot(cli, table, &sel, true, &t)) != 0)
		return rc;
	l.schema = t.schema;
	if (cli->json) {
		if ((rc = ice_json_writer_new(&l.w, ICE_JSON_PRETTY)) != 0)
			goto done;
		ice_json_begin_array(l.w);
	} else if (t.snapshot) {
		fprintf(cli->out, "%-16s  %-8s  %10s  %10s  %4s  %6s  %s  %s\n", "content", "format", "records", "size",
		        "spec", "seq", "partition", "path");
	}
	rc = cli_each_entry(cli, &t, false, list_file, &l);
	if (rc == 0 && l.w) {
		ice_json_end_array(l.w);
		rc = cli_print_json(cli, l.w);
	} else if (rc == 0 && !cli->quiet) {
		fprintf(cli->out, "%zu file(s)%s\n", l.count, t.snapshot ? "" : " (the table has no snapshot)");
	}
done:
	ice_json_writer_free(l.w);
	cli_snapshot_free(&t);
	return rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
}
