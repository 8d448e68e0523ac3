/*
 * tools/cmd_last_value.c - `ice last-value TABLE KEY [--ref NAME]`: the
 * newest value of snapshot summary property KEY on a branch's history
 * (ice_table_metadata_find_summary), so a job reads its watermark or
 * checkpoint back from the table it wrote (ice append --summary KEY=VALUE).
 */
#include <string.h>

#include "cli.h"

enum { OPT_DEFAULT = OPT_FIRST_COMMAND_OPTION };

static int option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	(void)cmd;
	if (opt == OPT_DEFAULT)
		*(const char **)ctx = arg;
	return 0;
}

CLI_COMMAND(last_value)
{
	static const struct option options[] = {
		{"default", required_argument, NULL, OPT_DEFAULT},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("last-value");
	const char *fallback = NULL;
	ice_snapshot_selector sel;
	cli_snapshot t;
	int rc = cli_parse_args(cli, cmd, argc, argv, options, option, &fallback, &sel, NULL);
	if (rc >= 0)
		return rc;
	if (optind != argc - 2)
		return cli_usage_error(cmd, "expected TABLE and KEY");
	const char *table = argv[optind], *key = argv[optind + 1];
	if ((rc = cli_load_snapshot(cli, table, &sel, false, &t)) != 0)
		return rc;
	const ice_snapshot *s = ice_table_metadata_find_summary(t.md, t.snapshot, key, NULL);
	const char *value = s ? ice_properties_get(&s->summary, key) : fallback;
	if (!value) {
		rc = cli_error("%s: last-value: no snapshot on the history of %s has summary property '%s' (--default "
		               "gives a value for that case)",
		               table, sel.ref ? sel.ref : sel.has_snapshot_id || sel.has_as_of_ms ? "that snapshot" : "main",
		               key);
	} else if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			cli_snapshot_free(&t);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_object(w);
		ice_json_key(w, "key");
		ice_json_string(w, key);
		ice_json_key(w, "value");
		ice_json_string(w, value);
		ice_json_key(w, "snapshot_id");
		if (s)
			ice_json_int(w, s->snapshot_id);
		else
			ice_json_null(w);
		ice_json_key(w, "committed_at_ms");
		if (s)
			ice_json_int(w, s->timestamp_ms);
		else
			ice_json_null(w);
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else {
		fprintf(cli->out, "%s\n", value);
	}
	cli_snapshot_free(&t);
	return rc;
}
