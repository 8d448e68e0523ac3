/*
 * tools/cmd_changes.c - `ice changes TABLE --from-snapshot ID
 * [--to-snapshot ID]`: the changelog between two snapshots as Spark's
 * create_changelog_view gives it (ice_changes_* in ice/scan.h), written as
 * ice scan writes rows (scan_output.c).
 */
#include <stdlib.h>
#include <string.h>

#include "scan_output.h"

enum {
	OPT_SELECT = OPT_FIRST_COMMAND_OPTION,
	OPT_FORMAT,
	OPT_OUTPUT,
};

typedef struct changes_args {
	ice_scan_options o;
	char *select_copy;
	const char **names;
	size_t nnames;
	scan_output_options out;
	cli_range range;
	bool format_given;
} changes_args;

static int changes_option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	changes_args *a = ctx;
	switch (opt) {
	case OPT_SELECT: {
		free(a->select_copy);
		free(a->names);
		a->names = NULL;
		a->nnames = 0;
		if (!(a->select_copy = strdup(arg)) || !(a->names = calloc(strlen(arg) + 1, sizeof(char *))))
			return cli_error("out of memory");
		for (char *tok = strtok(a->select_copy, ","); tok; tok = strtok(NULL, ","))
			if (*tok)
				a->names[a->nnames++] = tok;
		return 0;
	}
	case OPT_FORMAT:
		if (scan_output_parse_format(arg, &a->out.format) != 0)
			return cli_usage_error(cmd, "--format wants csv, jsonl, table or parquet, not '%s'", arg);
		a->format_given = true;
		return 0;
	case OPT_OUTPUT: a->out.output = arg; return 0;
	default: return cli_range_option(cmd, opt, arg, &a->range);
	}
}

CLI_COMMAND(changes)
{
	static const struct option opts[] = {
		{"select", required_argument, NULL, OPT_SELECT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, OPT_OUTPUT},
		CLI_RANGE_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("changes");
	ice_snapshot_selector sel;
	ice_table_metadata *md = NULL;
	ice_changes *ch = NULL;
	const char *table;
	changes_args a;
	int rc;
	memset(&a, 0, sizeof(a));
	ice_scan_options_init(&a.o);
	rc = cli_parse_args(cli, cmd, argc, argv, opts, changes_option, &a, &sel, &table);
	if (rc >= 0)
		goto done;
	if ((rc = cli_range_check(cmd, &a.range, &sel, &a.o)) != 0 ||
	    (rc = scan_output_choose_format(cli, cmd, &a.out, a.format_given, true)) != 0)
		goto done;
	if (!a.range.has_from) {
		rc = cli_usage_error(cmd, "the changes start after --from-snapshot, --from-ref or --from-time");
		goto done;
	}
	a.o.select = a.names;
	a.o.nselect = a.nnames;
	if ((rc = cli_load_metadata(cli, table, &md, NULL)) != 0 || (rc = cli_range_start(table, md, &a.range, &a.o)) != 0)
		goto done;
	if ((rc = ice_changes_new(&ch, cli->io, md, &a.o)) != 0) {
		rc = cli_fail(rc);
		goto done;
	}
	struct ArrowArrayStream st;
	ice_changes_to_stream(ch, &st);
	rc = scan_output_run(cli, &st, ice_changes_type(ch), &a.out, NULL);
	st.release(&st);
done:
	ice_changes_free(ch);
	ice_table_metadata_free(md);
	free(a.select_copy);
	free(a.names);
	return rc;
}
