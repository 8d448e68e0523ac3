/*
 * tools/cmd_manifests.c - `ice manifests TABLE [--snapshot ID | --as-of TS
 * | --ref NAME]`: the
 * manifest list of a snapshot (the current one by default), one manifest
 * per line with its content, spec, sequence numbers, counts and row-id
 * range, then its partition summaries with typed bounds, like Spark's
 * `manifests` metadata table. --json prints every field of each manifest
 * list entry.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_count(FILE *f, int64_t v, int width)
{
	if (v < 0)
		fprintf(f, "%*s", width, "-");
	else
		fprintf(f, "%*" PRId64, width, v);
}

static void print_summary_bound(FILE *f, bool has, ice_slice bytes, const ice_literal *value)
{
	ice_metric_bound b;
	char *s;
	if (!has) {
		fputs("-", f);
		return;
	}
	b.field_id = 0;
	b.bytes = bytes;
	b.value = *value;
	s = ice_metric_bound_to_string(&b);
	fputs(s ? s : "?", f);
	ice_free(s);
}

static void print_manifest(FILE *f, const ice_table_metadata *md, const ice_manifest_file *mf)
{
	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(md, mf->partition_spec_id);
	fprintf(f, "%-7s  %4d  %6" PRId64 "  %7" PRId64 "  ", ice_manifest_content_name(mf->content),
	        (int)mf->partition_spec_id, mf->sequence_number, mf->min_sequence_number);
	if (mf->has_added_snapshot_id)
		fprintf(f, "%-20" PRId64, mf->added_snapshot_id);
	else
		fprintf(f, "%-20s", "-");
	print_count(f, mf->added_files_count, 7);
	print_count(f, mf->existing_files_count, 7);
	print_count(f, mf->deleted_files_count, 7);
	print_count(f, mf->added_rows_count, 10);
	print_count(f, mf->existing_rows_count, 10);
	print_count(f, mf->deleted_rows_count, 10);
	if (mf->has_first_row_id)
		fprintf(f, "  %12" PRId64, mf->first_row_id);
	else
		fprintf(f, "  %12s", "-");
	fprintf(f, "  %" PRId64 "  %s\n", mf->manifest_length, mf->manifest_path);
	for (size_t i = 0; i < mf->n_partitions; i++) {
		const ice_partition_field_summary *s = &mf->partitions[i];
		const char *name = spec && i < spec->nfields ? spec->fields[i].name : "?";
		fprintf(f, "    %s: contains_null=%s contains_nan=%s lower=", name, s->contains_null ? "true" : "false",
		        !s->has_contains_nan ? "-" : s->contains_nan ? "true" : "false");
		print_summary_bound(f, s->has_lower_bound, s->lower_bound, &s->lower_value);
		fputs(" upper=", f);
		print_summary_bound(f, s->has_upper_bound, s->upper_bound, &s->upper_value);
		fputc('\n', f);
	}
}

CLI_COMMAND(manifests)
{
	const cli_command *cmd = cli_find_command("manifests");
	ice_snapshot_selector sel;
	cli_snapshot t;
	const ice_table_metadata *md;
	const ice_manifest_list *list;
	const ice_snapshot *snap;
	const char *table;
	int rc = cli_parse_args(cli, cmd, argc, argv, NULL, NULL, NULL, &sel, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_snapshot(cli, table, &sel, true, &t)) != 0)
		return rc;
	md = t.md;
	list = t.manifests;
	snap = t.snapshot;
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			cli_snapshot_free(&t);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_object(w);
		ice_json_key(w, "snapshot_id");
		if (snap)
			ice_json_int(w, snap->snapshot_id);
		else
			ice_json_null(w);
		ice_json_key(w, "manifest_list");
		if (snap && snap->manifest_list)
			ice_json_string(w, snap->manifest_list);
		else
			ice_json_null(w);
		ice_json_key(w, "manifests");
		ice_json_begin_array(w);
		for (size_t i = 0; list && i < list->n; i++)
			ice_manifest_file_write_json(&list->items[i], w);
		ice_json_end_array(w);
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else if (!snap) {
		if (!cli->quiet)
			fprintf(cli->out, "no snapshot: the table has no manifests\n");
	} else {
		FILE *f = cli->out;
		if (!cli->quiet)
			fprintf(f, "snapshot %" PRId64 " (sequence number %" PRId64 "), %s (v%d)\n", snap->snapshot_id,
			        snap->sequence_number, snap->manifest_list ? snap->manifest_list : "inline manifests",
			        list->format_version);
		fprintf(f, "%-7s  %4s  %6s  %7s  %-20s%7s%7s%7s%10s%10s%10s  %12s  %s  %s\n", "content", "spec", "seq",
		        "min_seq", "added_snapshot_id", "+files", "=files", "-files", "+rows", "=rows", "-rows",
		        "first_row_id", "length", "path");
		for (size_t i = 0; i < list->n; i++)
			print_manifest(f, md, &list->items[i]);
		if (!cli->quiet)
			fprintf(f, "%zu manifest(s)\n", list->n);
	}
	cli_snapshot_free(&t);
	return rc;
}
