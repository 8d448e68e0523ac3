/*
 * tools/cmd_refs.c - `ice refs TABLE`: branches and tags with their
 * retention settings.
 */
#include "print.h"

static void opt_num(FILE *f, bool has, long long v)
{
	if (has)
		fprintf(f, "  %-14lld", v);
	else
		fprintf(f, "  %-14s", "-");
}

CLI_COMMAND(refs)
{
	const char *table;
	ice_table_metadata *md;
	int rc = cli_parse_args(cli, cli_find_command("refs"), argc, argv, NULL, NULL, NULL, NULL, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_metadata(cli, table, &md, NULL)) != 0)
		return rc;
	size_t n = ice_table_metadata_ref_count(md);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			ice_table_metadata_free(md);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_array(w);
		for (size_t i = 0; i < n; i++)
			cli_json_ref(w, ice_table_metadata_ref_at(md, i));
		ice_json_end_array(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else {
		FILE *f = cli->out;
		fprintf(f, "%-20s  %-6s  %-20s  %-14s  %-14s  %-14s\n", "name", "type", "snapshot_id",
		        "max_ref_age_ms", "min_snapshots", "max_snap_age_ms");
		for (size_t i = 0; i < n; i++) {
			const ice_ref *ref = ice_table_metadata_ref_at(md, i);
			fprintf(f, "%-20s  %-6s  %-20lld", ref->name, ref->type == ICE_REF_BRANCH ? "branch" : "tag",
			        (long long)ref->snapshot_id);
			opt_num(f, ref->has_max_ref_age_ms, ref->max_ref_age_ms);
			opt_num(f, ref->has_min_snapshots_to_keep, ref->min_snapshots_to_keep);
			opt_num(f, ref->has_max_snapshot_age_ms, ref->max_snapshot_age_ms);
			fputc('\n', f);
		}
	}
	ice_table_metadata_free(md);
	return rc;
}
