/*
 * tools/cmd_entries.c - `ice entries TABLE [--snapshot ID] [--all] [--json]`:
 * the manifest entries of a snapshot (the current one by default), like
 * Spark's `entries` metadata table: status, snapshot id, data and file
 * sequence numbers (after inheritance), content, partition and path of
 * each. Without --all only live entries (ADDED, EXISTING) are listed;
 * --all adds the DELETED ones. --json prints every field of each entry.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_SNAPSHOT = OPT_FIRST_COMMAND_OPTION, OPT_ALL };

static void print_partition(FILE *f, const ice_partition_spec *spec, const ice_data_file *df)
{
	fputc('{', f);
	for (size_t i = 0; i < df->n_partition; i++) {
		const ice_partition_field *pf = spec && i < spec->nfields ? &spec->fields[i] : NULL;
		char *v = pf && pf->transform.kind != ICE_TRANSFORM_UNKNOWN
		              ? ice_transform_human_string(&pf->transform, &df->partition[i])
		              : ice_literal_to_string(&df->partition[i]);
		fprintf(f, "%s%s=%s", i ? ", " : "", pf ? pf->name : "?", v ? v : "?");
		ice_free(v);
	}
	fputc('}', f);
}

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
	print_partition(f, spec, df);
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

CLI_COMMAND(entries)
{
	static const struct option opts[] = {
		{"snapshot", required_argument, NULL, OPT_SNAPSHOT},
		{"all", no_argument, NULL, OPT_ALL},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("entries");
	ice_table_metadata *md = NULL;
	ice_manifest_list *list = NULL;
	ice_json_writer *w = NULL;
	const ice_snapshot *snap;
	bool by_id = false, all = false;
	int64_t id = 0;
	size_t count = 0;
	int c, rc = 0;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		if (c == OPT_SNAPSHOT) {
			id = strtoll(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage_error(cmd, "--snapshot wants a snapshot id, not '%s'", optarg);
			by_id = true;
		} else if (c == OPT_ALL) {
			all = true;
		} else if ((rc = cli_common_option(cli, cmd, c, optarg)) != 0) {
			if (rc < 0) {
				cli_print_usage(cmd, stdout);
				return EXIT_OK;
			}
			return rc;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one TABLE argument");
	if ((rc = cli_load_metadata(cli, argv[optind], &md, NULL)) != 0)
		return rc;
	snap = by_id ? ice_table_metadata_snapshot_by_id(md, id) : ice_table_metadata_current_snapshot(md);
	if (by_id && !snap) {
		ice_table_metadata_free(md);
		return cli_error("%s: no snapshot %" PRId64, argv[optind], id);
	}
	if (snap && (rc = ice_manifest_list_read_snapshot(&list, cli->io, md, snap)) != 0) {
		ice_table_metadata_free(md);
		return cli_fail(rc);
	}
	if (cli->json) {
		if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0)
			goto done;
		ice_json_begin_array(w);
	} else if (snap) {
		fprintf(cli->out, "%-8s  %20s  %5s  %5s  %-16s  %8s  %4s  %s  %s\n", "status", "snapshot", "seq", "fseq",
		        "content", "records", "spec", "partition", "path");
	}
	for (size_t i = 0; list && i < list->n && rc == 0; i++)
		rc = list_manifest(cli, md, &list->items[i], all, w, &count);
	if (rc == 0 && w) {
		ice_json_end_array(w);
		rc = cli_print_json(cli, w);
	} else if (rc == 0 && !cli->quiet) {
		fprintf(cli->out, "%zu entr%s%s\n", count, count == 1 ? "y" : "ies",
		        snap ? "" : " (the table has no snapshot)");
	}
done:
	ice_json_writer_free(w);
	ice_manifest_list_free(list);
	ice_table_metadata_free(md);
	return rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
}
