/*
 * tools/args.c - what the commands' argument parsing shares: the option
 * loop (command options, --snapshot/--as-of/--ref, the common options, one
 * TABLE), times, durations and ids, and a table read at the selected
 * snapshot with its manifest list, resolved by the library
 * (ice_table_metadata_select_snapshot, the function ice scan uses).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v;
	if (!*s)
		return false;
	v = strtoll(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

bool cli_parse_time(const char *s, int64_t *ms)
{
	static const ice_type_id tries[] = {ICE_TYPE_TIMESTAMPTZ, ICE_TYPE_TIMESTAMP, ICE_TYPE_DATE};
	ice_literal v;
	ice_arena *arena = NULL;
	bool ok = false;
	if (cli_parse_id(s, ms))
		return true;
	if (ice_arena_new(&arena) != 0)
		return false;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && !ok; i++) {
		if (ice_literal_from_string(&v, ice_type_primitive(tries[i]), s, strlen(s), arena) != 0)
			continue;
		int64_t micros = tries[i] == ICE_TYPE_DATE ? (int64_t)v.v.i32 * INT64_C(86400000000) : v.v.i64;
		/* floor to milliseconds */
		*ms = micros / 1000 - (micros % 1000 < 0);
		ok = true;
	}
	ice_arena_free(arena);
	ice_error_clear();
	return ok;
}

bool cli_parse_duration(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t mult = 1;
	if (end == s || v <= 0)
		return false;
	if (!*end || !strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (!strcmp(end, "d"))
		mult = 86400000;
	else
		return false;
	if (v > INT64_MAX / mult)
		return false;
	*out = (int64_t)v * mult;
	return true;
}

int cli_snapshot_option(const cli_command *cmd, int opt, const char *arg, ice_snapshot_selector *sel)
{
	switch (opt) {
	case OPT_SEL_SNAPSHOT:
		if (!cli_parse_id(arg, &sel->snapshot_id))
			return cli_usage_error(cmd, "--snapshot wants a snapshot id, not '%s'", arg);
		sel->has_snapshot_id = true;
		return 0;
	case OPT_SEL_AS_OF:
		if (!cli_parse_time(arg, &sel->as_of_ms))
			return cli_usage_error(cmd, "--as-of wants epoch milliseconds or an ISO-8601 time, not '%s'", arg);
		sel->has_as_of_ms = true;
		return 0;
	case OPT_SEL_REF:
		sel->ref = arg;
		return 0;
	default:
		return -1;
	}
}

int cli_parse_args(ice_cli *cli, const cli_command *cmd, int argc, char **argv, const struct option *options,
                   cli_option_fn fn, void *ctx, ice_snapshot_selector *sel, const char **table_out)
{
	static const struct option snapshot_options[] = {CLI_SNAPSHOT_OPTIONS};
	static const struct option common[] = {CLI_COMMON_OPTIONS};
	struct option all[64];
	size_t n = 0;
	int c, rc;
	for (const struct option *o = options; o && o->name; o++)
		if (n < 40)
			all[n++] = *o;
	for (size_t i = 0; sel && i < sizeof(snapshot_options) / sizeof(snapshot_options[0]); i++)
		all[n++] = snapshot_options[i];
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		all[n++] = common[i];
	memset(&all[n], 0, sizeof(all[n]));
	if (sel)
		memset(sel, 0, sizeof(*sel));
	optind = 1;
	while ((c = cli_getopt(argc, argv, all)) != -1) {
		if (sel && (rc = cli_snapshot_option(cmd, c, optarg, sel)) >= 0) {
			if (rc)
				return rc;
		} else if (c >= OPT_FIRST_COMMAND_OPTION && fn) {
			if ((rc = fn(ctx, cmd, c, optarg)) != 0)
				return rc;
		} else if ((rc = cli_common_option(cli, cmd, c, optarg)) != 0) {
			if (rc < 0) {
				cli_print_usage(cmd, stdout);
				return EXIT_OK;
			}
			return rc;
		}
	}
	if (sel && (int)sel->has_snapshot_id + (int)sel->has_as_of_ms + (sel->ref != NULL) > 1)
		return cli_usage_error(cmd, "choose one of --snapshot, --as-of and --ref");
	if (table_out) {
		if (optind != argc - 1)
			return cli_usage_error(cmd, "expected one TABLE argument");
		*table_out = argv[optind];
	}
	return -1;
}

int cli_load_snapshot(ice_cli *cli, const char *table, const ice_snapshot_selector *sel, bool with_manifests,
                      cli_snapshot *out)
{
	int rc;
	memset(out, 0, sizeof(*out));
	out->table = table;
	if ((rc = cli_load_metadata(cli, table, &out->md, &out->location)) != 0)
		return rc;
	if ((rc = ice_table_metadata_select_snapshot(&out->snapshot, &out->schema, out->md, sel)) != 0) {
		const ice_error *e = ice_error_last();
		cli_error("%s: %s", table, e ? e->message : "no such snapshot");
		cli_snapshot_free(out);
		return EXIT_ERROR;
	}
	if (with_manifests && out->snapshot &&
	    (rc = ice_manifest_list_read_snapshot(&out->manifests, cli->io, out->md, out->snapshot)) != 0) {
		cli_snapshot_free(out);
		return cli_fail(rc);
	}
	return EXIT_OK;
}

void cli_snapshot_free(cli_snapshot *s)
{
	ice_manifest_list_free(s->manifests);
	ice_table_metadata_free(s->md);
	ice_free(s->location);
	memset(s, 0, sizeof(*s));
}

int cli_each_entry(ice_cli *cli, const cli_snapshot *t, bool deleted, cli_entry_fn fn, void *ctx)
{
	int rc = 0;
	for (size_t i = 0; t->manifests && i < t->manifests->n && !rc; i++) {
		const ice_manifest_file *mf = &t->manifests->items[i];
		ice_manifest_reader *r = NULL;
		const ice_manifest_entry *e;
		if ((rc = ice_manifest_open(&r, cli->io, t->md, mf)) != 0)
			break;
		while ((rc = ice_manifest_next(r, &e)) == 0)
			if ((deleted || e->status != ICE_MANIFEST_ENTRY_DELETED) &&
			    (rc = fn(ctx, mf, ice_manifest_reader_spec(r), e)) != 0)
				break;
		ice_manifest_reader_free(r);
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
	return rc;
}

/* ---- ranges (incremental scans, changelogs) ------------------------------------------------ */

int cli_range_option(const cli_command *cmd, int opt, const char *arg, cli_range *r)
{
	if (opt < OPT_FROM_SNAPSHOT || opt > OPT_TO_TIME)
		return -1;
	bool from = opt <= OPT_FROM_TIME;
	const char *end = from ? "from" : "to";
	ice_snapshot_selector *s = from ? &r->from : &r->to;
	bool *has = from ? &r->has_from : &r->has_to;
	if (*has)
		return cli_usage_error(cmd, "give one of --%s-snapshot, --%s-ref and --%s-time", end, end, end);
	*has = true;
	switch (opt) {
	case OPT_FROM_SNAPSHOT:
	case OPT_TO_SNAPSHOT:
		s->has_snapshot_id = true;
		if (!cli_parse_id(arg, &s->snapshot_id))
			return cli_usage_error(cmd, "--%s-snapshot wants a snapshot id, not '%s'", end, arg);
		break;
	case OPT_FROM_REF:
	case OPT_TO_REF: s->ref = arg; break;
	default:
		s->has_as_of_ms = true;
		if (!cli_parse_time(arg, &s->as_of_ms))
			return cli_usage_error(cmd, "--%s-time wants epoch milliseconds or an ISO-8601 time, not '%s'", end, arg);
	}
	return 0;
}

int cli_range_check(const cli_command *cmd, const cli_range *r, const ice_snapshot_selector *sel,
                    ice_scan_options *o)
{
	if (r->has_to && (sel->has_snapshot_id || sel->has_as_of_ms || sel->ref))
		return cli_usage_error(cmd, "--to-* and --snapshot/--as-of/--ref name the same end: give one");
	if (r->has_to && !r->has_from)
		return cli_usage_error(cmd, "a range starts at --from-snapshot, --from-ref or --from-time");
	const ice_snapshot_selector *end = r->has_to ? &r->to : sel;
	o->has_snapshot_id = end->has_snapshot_id;
	o->snapshot_id = end->snapshot_id;
	o->has_as_of_ms = end->has_as_of_ms;
	o->as_of_ms = end->as_of_ms;
	o->ref = end->ref;
	return 0;
}

int cli_range_start(const char *table, const ice_table_metadata *md, const cli_range *r, ice_scan_options *o)
{
	const ice_snapshot *from = NULL;
	const ice_schema *ignored;
	int rc;
	if (!r->has_from)
		return 0;
	if ((rc = ice_table_metadata_select_snapshot(&from, &ignored, md, &r->from)) != 0)
		return cli_fail(rc);
	if (!from)
		return cli_error("%s: the table has no snapshot to start from", table);
	o->has_from_snapshot_id = true;
	o->from_snapshot_id = from->snapshot_id;
	return 0;
}
