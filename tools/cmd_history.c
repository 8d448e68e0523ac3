/*
 * tools/cmd_history.c - `ice history TABLE`: the snapshot log, like Spark's
 * history metadata table (made_current_at, snapshot_id, parent_id,
 * is_current_ancestor).
 */
#include <stdlib.h>

#include "print.h"

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * The current snapshot's ancestors (itself included), sorted: one walk up
 * the parent chain, so the log costs n log n however long it is (asking
 * is_ancestor per entry walked the chain each time: quadratic).
 */
static int64_t *current_ancestors(const ice_table_metadata *md, size_t *n_out)
{
	const ice_snapshot *s = ice_table_metadata_current_snapshot(md);
	size_t cap = ice_table_metadata_snapshot_count(md) + 1, n = 0;
	int64_t *ids = malloc(cap * sizeof(int64_t));
	*n_out = 0;
	if (!ids)
		return NULL;
	while (s && n < cap) {
		ids[n++] = s->snapshot_id;
		s = s->has_parent ? ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id) : NULL;
	}
	qsort(ids, n, sizeof(int64_t), cmp_id);
	*n_out = n;
	return ids;
}

CLI_COMMAND(history)
{
	const char *table;
	ice_table_metadata *md;
	int rc = cli_parse_args(cli, cli_find_command("history"), argc, argv, NULL, NULL, NULL, NULL, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_metadata(cli, table, &md, NULL)) != 0)
		return rc;
	size_t n = ice_table_metadata_snapshot_log_count(md), nanc;
	int64_t *anc = current_ancestors(md, &nanc);
	ice_json_writer *w = NULL;
	if (!anc) {
		ice_table_metadata_free(md);
		return cli_fail(ice_error_set(ICE_ERROR, "out of memory"));
	}
	if (cli->json) {
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			free(anc);
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
		bool ancestor = bsearch(&e->snapshot_id, anc, nanc, sizeof(int64_t), cmp_id) != NULL;
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
	free(anc);
	ice_table_metadata_free(md);
	return rc;
}
