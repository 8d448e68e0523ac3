/*
 * tools/cmd_schema.c - `ice schema TABLE`: the current schema (or one by id,
 * all of them, or the one a snapshot is read with: --snapshot, --as-of,
 * --ref) as a field tree, or as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum { OPT_SCHEMA_ID = OPT_FIRST_COMMAND_OPTION, OPT_ALL };

typedef struct schema_opts {
	bool all, by_id;
	int32_t id;
} schema_opts;

static int schema_option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	schema_opts *o = ctx;
	char *end;
	if (opt == OPT_ALL) {
		o->all = true;
		return 0;
	}
	o->id = (int32_t)strtol(arg, &end, 10);
	if (*end || !*arg)
		return cli_usage_error(cmd, "--schema-id wants a number, not '%s'", arg);
	o->by_id = true;
	return 0;
}

CLI_COMMAND(schema)
{
	static const struct option opts[] = {
		{"schema-id", required_argument, NULL, OPT_SCHEMA_ID},
		{"all", no_argument, NULL, OPT_ALL},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("schema");
	schema_opts o = {false, false, 0};
	ice_snapshot_selector sel;
	cli_snapshot t;
	const ice_table_metadata *md;
	const char *table;
	int rc = cli_parse_args(cli, cmd, argc, argv, opts, schema_option, &o, &sel, &table);
	if (rc >= 0)
		return rc;
	if ((o.all || o.by_id) && (sel.has_snapshot_id || sel.has_as_of_ms || sel.ref))
		return cli_usage_error(cmd, "--schema-id and --all choose schemas themselves: no --snapshot, --as-of or --ref");
	if ((rc = cli_load_snapshot(cli, table, &sel, false, &t)) != 0)
		return rc;
	md = t.md;
	bool all = o.all, by_id = o.by_id, selected = sel.has_snapshot_id || sel.has_as_of_ms || sel.ref;
	int32_t id = o.id;

	const ice_schema *one = by_id ? ice_table_metadata_schema_by_id(md, id) : t.schema;
	if (!one) {
		cli_snapshot_free(&t);
		return cli_error("%s: no schema with id %d", table, (int)id);
	}
	size_t n = all ? ice_table_metadata_schema_count(md) : 1;
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			cli_snapshot_free(&t);
			return cli_fail(ICE_ERROR);
		}
		if (all)
			ice_json_begin_array(w);
		for (size_t i = 0; i < n; i++)
			ice_schema_write_json(all ? ice_table_metadata_schema_at(md, i) : one, w);
		if (all)
			ice_json_end_array(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else {
		const ice_schema *current = ice_table_metadata_current_schema(md);
		for (size_t i = 0; i < n; i++) {
			const ice_schema *s = all ? ice_table_metadata_schema_at(md, i) : one;
			if (all || by_id || selected)
				fprintf(cli->out, "%sschema %d%s\n", i ? "\n" : "", (int)ice_schema_id(s),
				        s == current ? " (current)" : "");
			print_schema_tree(cli->out, s, 0);
		}
	}
	cli_snapshot_free(&t);
	return rc;
}
