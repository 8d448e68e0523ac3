/*
 * tools/cmd_schema.c - `ice schema TABLE`: the current schema (or one by id,
 * or all of them) as a field tree, or as JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum { OPT_SCHEMA_ID = OPT_FIRST_COMMAND_OPTION, OPT_ALL };

CLI_COMMAND(schema)
{
	static const struct option opts[] = {
		{"schema-id", required_argument, NULL, OPT_SCHEMA_ID},
		{"all", no_argument, NULL, OPT_ALL},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("schema");
	ice_table_metadata *md;
	bool all = false, by_id = false;
	int32_t id = 0;
	int c, rc;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case OPT_SCHEMA_ID:
			id = (int32_t)strtol(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage_error(cmd, "--schema-id wants a number, not '%s'", optarg);
			by_id = true;
			break;
		case OPT_ALL:
			all = true;
			break;
		default:
			if ((rc = cli_common_option(cli, cmd, c, optarg)) != 0) {
				if (rc < 0) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one TABLE argument");
	if ((rc = cli_load_metadata(cli, argv[optind], &md, NULL)) != 0)
		return rc;

	const ice_schema *one = by_id ? ice_table_metadata_schema_by_id(md, id) : ice_table_metadata_current_schema(md);
	if (!one) {
		ice_table_metadata_free(md);
		return cli_error("%s: no schema with id %d", argv[optind], (int)id);
	}
	size_t n = all ? ice_table_metadata_schema_count(md) : 1;
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			ice_table_metadata_free(md);
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
			if (all || by_id)
				fprintf(cli->out, "%sschema %d%s\n", i ? "\n" : "", (int)ice_schema_id(s),
				        s == current ? " (current)" : "");
			print_schema_tree(cli->out, s, 0);
		}
	}
	ice_table_metadata_free(md);
	return rc;
}
