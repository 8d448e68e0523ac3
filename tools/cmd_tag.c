/*
 * tools/cmd_tag.c - `ice tag create|drop|list` and `ice branch
 * create|drop|list` (ice/refs.h), and `ice rollback`.
 */
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum {
	OPT_SNAPSHOT = OPT_FIRST_COMMAND_OPTION,
	OPT_FORCE,
	OPT_MAX_REF_AGE,
	OPT_MIN_SNAPSHOTS,
	OPT_MAX_SNAPSHOT_AGE,
	OPT_TO,
	OPT_AS_OF,
	OPT_SET_CURRENT,
};

static int list_refs(ice_cli *cli, ice_table *table, ice_ref_type type)
{
	const ice_table_metadata *md = ice_table_current(table);
	size_t n = ice_table_metadata_ref_count(md);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_array(w);
		for (size_t i = 0; i < n; i++) {
			const ice_ref *ref = ice_table_metadata_ref_at(md, i);
			if (ref->type == type)
				cli_json_ref(w, ref);
		}
		ice_json_end_array(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const ice_ref *ref = ice_table_metadata_ref_at(md, i);
		if (ref->type != type)
			continue;
		fprintf(cli->out, "%s\t%lld", ref->name, (long long)ref->snapshot_id);
		if (ref->has_max_ref_age_ms)
			fprintf(cli->out, "\tmax-ref-age-ms=%lld", (long long)ref->max_ref_age_ms);
		if (ref->has_min_snapshots_to_keep)
			fprintf(cli->out, "\tmin-snapshots-to-keep=%d", (int)ref->min_snapshots_to_keep);
		if (ref->has_max_snapshot_age_ms)
			fprintf(cli->out, "\tmax-snapshot-age-ms=%lld", (long long)ref->max_snapshot_age_ms);
		fputc('\n', cli->out);
	}
	return EXIT_OK;
}

static int print_ref(ice_cli *cli, const char *verb, const char *kind, const char *name, const ice_table *table)
{
	const ice_ref *ref = ice_table_metadata_ref(ice_table_current(table), name);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, "name");
		ice_json_string(w, name);
		ice_json_key(w, "ref");
		if (ref)
			cli_json_ref(w, ref);
		else
			ice_json_null(w);
		ice_json_key(w, "metadata_location");
		ice_json_string(w, ice_table_metadata_file(table));
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (!cli->quiet) {
		if (ref)
			fprintf(cli->out, "%s %s %s at snapshot %lld\n", verb, kind, name, (long long)ref->snapshot_id);
		else
			fprintf(cli->out, "%s %s %s\n", verb, kind, name);
	}
	return EXIT_OK;
}

static int ref_command(ice_cli *cli, int argc, char **argv, ice_ref_type type)
{
	static const struct option options[] = {
		{"snapshot", required_argument, NULL, OPT_SNAPSHOT},
		{"force", no_argument, NULL, OPT_FORCE},
		{"max-ref-age", required_argument, NULL, OPT_MAX_REF_AGE},
		{"min-snapshots-to-keep", required_argument, NULL, OPT_MIN_SNAPSHOTS},
		{"max-snapshot-age", required_argument, NULL, OPT_MAX_SNAPSHOT_AGE},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *kind = type == ICE_REF_TAG ? "tag" : "branch";
	const cli_command *cmd = cli_find_command(kind);
	ice_ref_options ro;
	int opt, rc;
	int64_t v;
	ice_ref_options_init(&ro);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_SNAPSHOT:
			if (!cli_parse_id(optarg, &ro.snapshot_id))
				return cli_usage_error(cmd, "--snapshot wants a snapshot id, got '%s'", optarg);
			ro.has_snapshot_id = true;
			break;
		case OPT_FORCE: ro.replace = true; break;
		case OPT_MAX_REF_AGE:
			if (!cli_parse_duration(optarg, &ro.max_ref_age_ms))
				return cli_usage_error(cmd, "--max-ref-age wants a duration (ms, or 90s, 30m, 12h, 7d), got '%s'", optarg);
			ro.has_max_ref_age_ms = true;
			break;
		case OPT_MAX_SNAPSHOT_AGE:
			if (!cli_parse_duration(optarg, &ro.max_snapshot_age_ms))
				return cli_usage_error(cmd, "--max-snapshot-age wants a duration (ms, or 90s, 30m, 12h, 7d), got '%s'",
				                       optarg);
			ro.has_max_snapshot_age_ms = true;
			break;
		case OPT_MIN_SNAPSHOTS:
			if (!cli_parse_id(optarg, &v) || v <= 0 || v > INT32_MAX)
				return cli_usage_error(cmd, "--min-snapshots-to-keep wants a positive number, got '%s'", optarg);
			ro.has_min_snapshots_to_keep = true;
			ro.min_snapshots_to_keep = (int32_t)v;
			break;
		case '?': case ':': return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
				if (rc == -1) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	int nargs = argc - optind;
	const char *action = nargs > 0 ? argv[optind] : NULL;
	bool list = action && !strcmp(action, "list");
	if (!action || (strcmp(action, "create") && strcmp(action, "drop") && !list))
		return cli_usage_error(cmd, "expected create, drop or list");
	if (nargs != (list ? 2 : 3))
		return cli_usage_error(cmd, list ? "expected: %s list TABLE" : "expected: %s %s TABLE NAME", kind, action);
	ice_table *table;
	ice_catalog *catalog;
	if ((rc = cli_open_table(cli, argv[optind + 1], &table, &catalog)) != 0)
		return rc;
	if (list) {
		rc = list_refs(cli, table, type);
	} else {
		const char *name = argv[optind + 2];
		int lrc;
		if (!strcmp(action, "create"))
			lrc = type == ICE_REF_TAG ? ice_table_create_tag(table, name, &ro, NULL)
			                          : ice_table_create_branch(table, name, &ro, NULL);
		else
			lrc = ice_table_drop_ref(table, name, type, NULL);
		rc = lrc ? cli_fail(lrc)
		         : print_ref(cli, !strcmp(action, "drop") ? "dropped" : ro.replace ? "set" : "created", kind, name,
		                     table);
	}
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}

CLI_COMMAND(tag)
{
	return ref_command(cli, argc, argv, ICE_REF_TAG);
}

CLI_COMMAND(branch)
{
	return ref_command(cli, argc, argv, ICE_REF_BRANCH);
}

CLI_COMMAND(rollback)
{
	static const struct option options[] = {
		{"to", required_argument, NULL, OPT_TO},
		{"as-of", required_argument, NULL, OPT_AS_OF},
		{"set-current", required_argument, NULL, OPT_SET_CURRENT},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("rollback");
	int opt, rc, mode = 0;
	int64_t value = 0;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_TO:
		case OPT_SET_CURRENT:
			if (!cli_parse_id(optarg, &value))
				return cli_usage_error(cmd, "%s wants a snapshot id, got '%s'",
				                       opt == OPT_TO ? "--to" : "--set-current", optarg);
			if (mode)
				return cli_usage_error(cmd, "give one of --to, --as-of and --set-current");
			mode = opt;
			break;
		case OPT_AS_OF:
			if (!cli_parse_time(optarg, &value))
				return cli_usage_error(cmd, "--as-of wants epoch milliseconds or an ISO-8601 time, got '%s'", optarg);
			if (mode)
				return cli_usage_error(cmd, "give one of --to, --as-of and --set-current");
			mode = opt;
			break;
		case '?': case ':': return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
				if (rc == -1) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one TABLE");
	if (!mode)
		return cli_usage_error(cmd, "give --to ID, --as-of TIME or --set-current ID");
	ice_table *table;
	ice_catalog *catalog;
	ice_commit_result res;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	const ice_snapshot *before = ice_table_metadata_current_snapshot(ice_table_current(table));
	int64_t before_id = before ? before->snapshot_id : -1;
	int lrc = mode == OPT_TO       ? ice_table_rollback_to(table, value, &res)
	          : mode == OPT_AS_OF ? ice_table_rollback_to_time(table, value, &res)
	                              : ice_table_set_current_snapshot(table, value, &res);
	if (lrc) {
		rc = cli_fail(lrc);
	} else {
		const ice_snapshot *now = ice_table_metadata_current_snapshot(ice_table_current(table));
		int64_t now_id = now ? now->snapshot_id : -1;
		if (cli->json) {
			ice_json_writer *w;
			if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
				rc = cli_fail(ICE_ERROR);
			} else {
				ice_json_begin_object(w);
				ice_json_key(w, "previous_snapshot_id");
				ice_json_int(w, before_id);
				ice_json_key(w, "current_snapshot_id");
				ice_json_int(w, now_id);
				ice_json_key(w, "changed");
				ice_json_bool(w, res.attempts > 0);
				ice_json_end_object(w);
				rc = cli_print_json(cli, w);
				ice_json_writer_free(w);
			}
		} else {
			if (!cli->quiet)
				fprintf(cli->out, "current snapshot %lld%s (was %lld)\n", (long long)now_id,
				        res.attempts ? "" : " already", (long long)before_id);
			rc = EXIT_OK;
		}
	}
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}
