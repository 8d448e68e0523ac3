/*
 * tools/cmd_history.c - `ice history TABLE`: the snapshot log, like Spark's
 * history metadata table (made_current_at, snapshot_id, parent_id,
 * is_current_ancestor).
 */
#include "print.h"

CLI_COMMAND(history)
{
	const char *table;
	ice_table_metadata *md;
	int rc = cli_parse_args(cli, cli_find_command("history"), argc, argv, NULL, NULL, NULL, NULL, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_metadata(cli, table, &md, NULL)) != 0)
		return rc;
	size_t n = ice_table_metadata_snapshot_log_count(md);
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	ice_json_writer *w = NULL;
	if (cli->json) {
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			ice_table_metadata_free(md);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_array(w);
	} else {
		fprintf(cli->out, "%-23s  %-20s  %-20s  %s\n", "made_current_at", "snapshot_id", "parent_id",
		        "is_current_ancestor");
	}
	for (size_t i = 0; i < n; i++) {
		const ice_snapshot_log_entry *e = ice_table_metadata_snapshot_log_at(md, i);
		const ice_snapshot *s = ice_table_metadata_snapshot_by_id(md, e->snapshot_id);
		bool ancestor = cur && ice_table_metadata_is_ancestor(md, cur->snapshot_id, e->snapshot_id);
		if (w) {
			ice_json_begin_object(w);
			ice_json_key(w, "made_current_at_ms");
			ice_json_int(w, e->timestamp_ms);
			ice_json_key(w, "snapshot_id");
			ice_json_int(w, e->snapshot_id);
			ice_json_key(w, "parent_id");
			if (s && s->has_parent)
				ice_json_int(w, s->parent_snapshot_id);
			else
				ice_json_null(w);
			ice_json_key(w, "is_current_ancestor");
			ice_json_bool(w, ancestor);
			ice_json_end_object(w);
		} else {
			char ts[40], parent[24];
			if (s && s->has_parent)
				snprintf(parent, sizeof(parent), "%lld", (long long)s->parent_snapshot_id);
			else
				snprintf(parent, sizeof(parent), s ? "-" : "(expired)");
			fprintf(cli->out, "%-23s  %-20lld  %-20s  %s\n", cli_format_ms(e->timestamp_ms, ts),
			        (long long)e->snapshot_id, parent, ancestor ? "true" : "false");
		}
	}
	if (w) {
		ice_json_end_array(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	}
	ice_table_metadata_free(md);
	return rc;
}
