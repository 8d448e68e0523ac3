/*
 * tools/cmd_entries.c - `ice entries TABLE [--snapshot ID | --as-of TS |
 * --ref NAME] [--all] [--json]`:
 * the manifest entries of a snapshot (the current one by default), like
 * Spark's `entries` metadata table: status, snapshot id, data and file
 * sequence numbers (after inheritance), content, partition and path of
 * each. Without --all only live entries (ADDED, EXISTING) are listed;
 * --all adds the DELETED ones. --json prints every field of each entry.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum { OPT_ALL = OPT_FIRST_COMMAND_OPTION };

static void print_entry(FILE *f, const ice_partition_spec *spec, const ice_manifest_entry *e)
{
	const ice_data_file *df = &e->data_file;
	fprintf(f, "%-8s  ", ice_manifest_entry_status_name(e->status));
	if (e->has_snapshot_id)
		fprintf(f, "%20" PRId64 "  ", e->snapshot_id);
	else
		fprintf(f, "%20s  ", "-");
	if (e->has_sequence_number)
		fprintf(f, "%5" PRId64 "  ", e->sequence_number);
	else
		fprintf(f, "%5s  ", "-");
	if (e->has_file_sequence_number)
		fprintf(f, "%5" PRId64 "  ", e->file_sequence_number);
	else
		fprintf(f, "%5s  ", "-");
	fprintf(f, "%-16s  %8" PRId64 "  %4d  ", ice_file_content_name(df->content), df->record_count,
	        (int)df->partition_spec_id);
	print_partition_values(f, spec, df);
	fprintf(f, "  %s\n", df->file_path);
}

static int list_manifest(ice_cli *cli, const ice_table_metadata *md, const ice_manifest_file *mf, bool all,
                         ice_json_writer *w, size_t *count)
{
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	int rc;
	if ((rc = ice_manifest_open(&r, cli->io, md, mf)) != 0)
		return rc;
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		if (e->status == ICE_MANIFEST_ENTRY_DELETED && !all)
			continue;
		if (w) {
			ice_json_begin_object(w);
			ice_json_key(w, "manifest_path");
			ice_json_string(w, mf->manifest_path);
			ice_json_key(w, "manifest_content");
			ice_json_string(w, ice_manifest_content_name(mf->content));
			ice_json_key(w, "entry");
			ice_manifest_entry_write_json(e, ice_manifest_reader_spec(r), w);
			ice_json_end_object(w);
		} else {
			print_entry(cli->out, ice_manifest_reader_spec(r), e);
		}
		(*count)++;
	}
	ice_manifest_reader_free(r);
	return rc == ICE_ITEROVER ? 0 : rc;
}

static int all_option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	(void)cmd;
	(void)opt;
	(void)arg;
	*(bool *)ctx = true;
	return 0;
}

CLI_COMMAND(entries)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, OPT_ALL},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("entries");
	ice_snapshot_selector sel;
	cli_snapshot t;
	ice_json_writer *w = NULL;
	const ice_manifest_list *list;
	const char *table;
	bool all = false;
	size_t count = 0;
	int rc = cli_parse_args(cli, cmd, argc, argv, opts, all_option, &all, &sel, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_snapshot(cli, table, &sel, true, &t)) != 0)
		return rc;
	list = t.manifests;
	if (cli->json) {
		if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0)
			goto done;
		ice_json_begin_array(w);
	} else if (t.snapshot) {
		fprintf(cli->out, "%-8s  %20s  %5s  %5s  %-16s  %8s  %4s  %s  %s\n", "status", "snapshot", "seq", "fseq",
		        "content", "records", "spec", "partition", "path");
	}
	for (size_t i = 0; list && i < list->n && rc == 0; i++)
		rc = list_manifest(cli, t.md, &list->items[i], all, w, &count);
	if (rc == 0 && w) {
		ice_json_end_array(w);
		rc = cli_print_json(cli, w);
	} else if (rc == 0 && !cli->quiet) {
		fprintf(cli->out, "%zu entr%s%s\n", count, count == 1 ? "y" : "ies",
		        t.snapshot ? "" : " (the table has no snapshot)");
	}
done:
	ice_json_writer_free(w);
	cli_snapshot_free(&t);
	return rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
}
