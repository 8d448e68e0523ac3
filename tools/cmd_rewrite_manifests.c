/*
 * tools/cmd_rewrite_manifests.c - `ice rewrite-manifests TABLE`: pack the
 * current snapshot's manifests into few, full ones (ice/rewrite_manifests.h).
 */
#include <string.h>

#include "cli.h"

CLI_COMMAND(rewrite_manifests)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("rewrite-manifests");
	const char *metrics_file = NULL;
	int opt, rc;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		if (opt == OPT_METRICS_FILE) {
			metrics_file = optarg;
			continue;
		}
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
	ice_commit_result res;
	int64_t start = cli_now_ms();
	memset(&res, 0, sizeof(res));
	int lrc = ice_table_rewrite_manifests(table, NULL, &r, &res);
	int64_t run_ms = cli_now_ms() - start;
	int mrc = 0;
	if (metrics_file) {
		cli_rewrite_numbers n = {lrc == 0, lrc == 0 && r.committed, 0, 0, 0, 0, 0, res.attempts, run_ms,
		                         res.elapsed_ms};
		if (!lrc && r.committed) {
			n.files_removed = r.manifests_replaced;
			n.files_written = r.manifests_created;
		}
		mrc = cli_metrics_write_rewrite(metrics_file, "rewrite-manifests", argv[optind], &n);
	}
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
			cli_json_run_numbers(w, res.attempts, run_ms, res.elapsed_ms);
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
	return rc ? rc : mrc;
}
