/*
 * tools/cmd_snapshots.c - `ice snapshots TABLE [--snapshot ID | --as-of TS |
 * --ref NAME]`: every snapshot (or the selected one and its ancestors)
 * with its commit time, parent, operation and summary, like Spark's
 * snapshots metadata table.
 */
#include "print.h"

static const char *summary_value(const ice_snapshot *s, const char *key)
{
	const char *v = ice_properties_get(&s->summary, key);
	return v ? v : "-";
}

/* The snapshots listed: all, or with a snapshot selected, it and its
 * ancestors (its lineage), in the table's order. */
static bool listed(const cli_snapshot *t, bool selected, const ice_snapshot *s)
{
	return !selected || ice_table_metadata_is_ancestor(t->md, t->snapshot->snapshot_id, s->snapshot_id);
}

CLI_COMMAND(snapshots)
{
	const cli_command *cmd = cli_find_command("snapshots");
	ice_snapshot_selector sel;
	cli_snapshot t;
	const char *table;
	int rc = cli_parse_args(cli, cmd, argc, argv, NULL, NULL, NULL, &sel, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_snapshot(cli, table, &sel, false, &t)) != 0)
		return rc;
	const ice_table_metadata *md = t.md;
	bool selected = t.snapshot && (sel.has_snapshot_id || sel.has_as_of_ms || sel.ref);
	size_t n = ice_table_metadata_snapshot_count(md), shown = 0;
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			cli_snapshot_free(&t);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_array(w);
		for (size_t i = 0; i < n; i++)
			if (listed(&t, selected, ice_table_metadata_snapshot_at(md, i)))
				cli_json_snapshot(w, ice_table_metadata_snapshot_at(md, i));
		ice_json_end_array(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else {
		FILE *f = cli->out;
		char ts[40];
		fprintf(f, "%-23s  %-20s  %-20s  %-9s  %8s  %10s  %12s  %s\n", "committed_at", "snapshot_id",
		        "parent_id", "operation", "+files", "+records", "total_rec", "manifest_list");
		for (size_t i = 0; i < n; i++) {
			const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
			char parent[24];
			if (!listed(&t, selected, s))
				continue;
			shown++;
			if (s->has_parent)
				snprintf(parent, sizeof(parent), "%lld", (long long)s->parent_snapshot_id);
			else
				snprintf(parent, sizeof(parent), "-");
			fprintf(f, "%-23s  %-20lld  %-20s  %-9s  %8s  %10s  %12s  %s%s\n",
			        cli_format_ms(s->timestamp_ms, ts), (long long)s->snapshot_id, parent,
			        s->operation ? s->operation : "-", summary_value(s, "added-data-files"),
			        summary_value(s, "added-records"), summary_value(s, "total-records"),
			        s->manifest_list ? s->manifest_list : "(inline manifests)", s == cur ? "  *" : "");
		}
		if (!cli->quiet)
			fprintf(f, "%zu snapshot(s)%s%s\n", shown, selected ? " (the selected one and its ancestors)" : "",
			        cur ? "; * marks the current one" : "");
	}
	cli_snapshot_free(&t);
	return rc;
}
