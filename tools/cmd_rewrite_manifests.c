/*
 * tools/cmd_rewrite_manifests.c - `ice rewrite-manifests TABLE`: pack the
 * current snapshot's manifests into few, full ones (ice/rewrite_manifests.h).
 */
#include "cli.h"

CLI_COMMAND(rewrite_manifests)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("rewrite-manifests");
	int opt, rc;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		if (opt == '?')
			return cli_usage_error(cmd, "unknown option");
		if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
			if (rc == -1) {
				cli_print_usage(cmd, stdout);
				return EXIT_OK;
			}
			return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one TABLE");
	ice_table *table;
	ice_catalog *catalog;
	ice_rewrite_manifests_report r;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	int lrc = ice_table_rewrite_manifests(table, NULL, &r, NULL);
	if (lrc) {
		rc = cli_fail(lrc);
	} else if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			rc = cli_fail(ICE_ERROR);
		} else {
			ice_json_begin_object(w);
			ice_json_key(w, "committed");
			ice_json_bool(w, r.committed);
			ice_json_key(w, "snapshot_id");
			if (r.committed)
				ice_json_int(w, r.snapshot_id);
			else
				ice_json_null(w);
			ice_json_key(w, "manifests_before");
			ice_json_int(w, r.manifests_before);
			ice_json_key(w, "manifests_after");
			ice_json_int(w, r.manifests_after);
			ice_json_key(w, "manifests_created");
			ice_json_int(w, r.manifests_created);
			ice_json_key(w, "manifests_replaced");
			ice_json_int(w, r.manifests_replaced);
			ice_json_end_object(w);
			rc = cli_print_json(cli, w);
			ice_json_writer_free(w);
		}
	} else {
		if (!cli->quiet) {
			if (r.committed)
				fprintf(cli->out, "%s: %lld manifests rewritten into %lld, now %lld (snapshot %lld)\n", argv[optind],
				        (long long)r.manifests_replaced, (long long)r.manifests_created, (long long)r.manifests_after,
				        (long long)r.snapshot_id);
			else
				fprintf(cli->out, "%s: nothing to rewrite\n", argv[optind]);
		}
		rc = EXIT_OK;
	}
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}
