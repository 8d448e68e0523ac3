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

typedef struct listing {
	ice_cli *cli;
	ice_json_writer *w;
	size_t count;
} listing;

static int list_entry(void *ctx, const ice_manifest_file *mf, const ice_partition_spec *spec,
                      const ice_manifest_entry *e)
{
	listing *l = ctx;
	if (l->w) {
		ice_json_begin_object(l->w);
		ice_json_key(l->w, "manifest_path");
		ice_json_string(l->w, mf->manifest_path);
		ice_json_key(l->w, "manifest_content");
		ice_json_string(l->w, ice_manifest_content_name(mf->content));
		ice_json_key(l->w, "entry");
		ice_manifest_entry_write_json(e, spec, l->w);
		ice_json_end_object(l->w);
	} else {
		print_entry(l->cli->out, spec, e);
	}
	l->count++;
	return 0;
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
	listing l = {cli, NULL, 0};
	const char *table;
	bool all = false;
	int rc = cli_parse_args(cli, cmd, argc, argv, opts, all_option, &all, &sel, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_snapshot(cli, table, &sel, true, &t)) != 0)
		return rc;
	if (cli->json) {
		if ((rc = ice_json_writer_new(&l.w, ICE_JSON_PRETTY)) != 0)
			goto done;
		ice_json_begin_array(l.w);
	} else if (t.snapshot) {
		fprintf(cli->out, "%-8s  %20s  %5s  %5s  %-16s  %8s  %4s  %s  %s\n", "status", "snapshot", "seq", "fseq",
		        "content", "records", "spec", "partition", "path");
	}
	rc = cli_each_entry(cli, &t, all, list_entry, &l);
	if (rc == 0 && l.w) {
		ice_json_end_array(l.w);
		rc = cli_print_json(cli, l.w);
	} else if (rc == 0 && !cli->quiet) {
		fprintf(cli->out, "%zu entr%s%s\n", l.count, l.count == 1 ? "y" : "ies",
		        t.snapshot ? "" : " (the table has no snapshot)");
	}
done:
	ice_json_writer_free(l.w);
	cli_snapshot_free(&t);
	return rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
}
