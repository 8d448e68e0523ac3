/*
 * tools/commit_args.c - what the commands that make a snapshot share:
 * --summary KEY=VALUE (repeatable, into the snapshot summary) and
 * --idempotency-key K (exactly once: ice_commit_options.idempotency_key),
 * and the report of a commit skipped because the key was found.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_commit_args_init(cli_commit_args *a)
{
	memset(a, 0, sizeof(*a));
	ice_commit_options_init(&a->opts);
}

int cli_commit_option(const cli_command *cmd, int opt, const char *arg, cli_commit_args *a)
{
	int rc;
	switch (opt) {
	case OPT_SUMMARY:
		if (!strchr(arg, '=') || arg[0] == '=')
			return cli_usage_error(cmd, "--summary wants KEY=VALUE, got '%s'", arg);
		if ((rc = cli_parse_property(cmd, arg, &a->items, &a->n)) != 0)
			return rc;
		a->props.items = a->items;
		a->props.n = a->n;
		a->opts.summary = &a->props;
		return EXIT_OK;
	case OPT_METRICS_FILE: a->metrics_file = arg; return EXIT_OK;
	case OPT_IDEMPOTENCY_KEY:
		if (!*arg)
			return cli_usage_error(cmd, "--idempotency-key wants a non-empty key");
		a->opts.idempotency_key = arg;
		return EXIT_OK;
	default: return -1;
	}
}

void cli_commit_args_free(cli_commit_args *a)
{
	cli_free_properties(a->items, a->n);
	memset(a, 0, sizeof(*a));
}

void cli_drain_stdin(char **inputs, int n)
{
	char buf[65536];
	for (int i = 0; i < n; i++)
		if (strcmp(inputs[i], "-") == 0) {
			while (fread(buf, 1, sizeof(buf), stdin) > 0)
				;
			return;
		}
}

int cli_report_skipped(ice_cli *cli, const char *table, const cli_commit_args *a, const ice_commit_result *res)
{
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, "committed");
		ice_json_bool(w, false);
		ice_json_key(w, "skipped");
		ice_json_bool(w, true);
		ice_json_key(w, "idempotency_key");
		ice_json_string(w, a->opts.idempotency_key);
		ice_json_key(w, "existing_snapshot_id");
		ice_json_int(w, res->existing_snapshot_id);
		ice_json_key(w, "commit_attempts");
		ice_json_int(w, res->attempts);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (!cli->quiet)
		fprintf(cli->out, "%s: idempotency key '%s' is already in snapshot %lld; nothing committed\n", table,
		        a->opts.idempotency_key, (long long)res->existing_snapshot_id);
	return EXIT_OK;
}
