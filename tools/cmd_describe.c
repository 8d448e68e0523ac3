/*
 * tools/cmd_describe.c - `ice describe TABLE [--snapshot ID | --as-of TS |
 * --ref NAME]`: a one-screen summary of a table; with a snapshot selected,
 * that snapshot too and the schema it is read with.
 */
#include <time.h>

#include "print.h"

/* The newest snapshot (by commit time) and its age: how fresh the data is. */
static const ice_snapshot *newest(const ice_table_metadata *md, int64_t *age_ms)
{
	const ice_snapshot *best = NULL;
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(md); i++) {
		const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
		if (!best || s->timestamp_ms > best->timestamp_ms)
			best = s;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	*age_ms = best ? (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - best->timestamp_ms : 0;
	return best;
}

/* "3 d 4 h", "2 h 5 min", "42 s" */
static const char *format_age(int64_t ms, char *out, size_t n)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;
	if (s >= 86400)
		snprintf(out, n, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, n, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, n, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, n, "%lld s", (long long)s);
	return out;
}

static int describe_json(ice_cli *cli, const cli_snapshot *t, bool selected)
{
	const ice_table_metadata *md = t->md;
	const char *location = t->location;
	ice_json_writer *w;
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	const ice_properties *props = ice_table_metadata_properties(md);
	int64_t next_row_id;
	if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
		return cli_fail(ICE_ERROR);
	ice_json_begin_object(w);
	ice_json_key(w, "metadata_location");
	ice_json_string(w, location);
	ice_json_key(w, "location");
	ice_json_string(w, ice_table_metadata_location(md));
	ice_json_key(w, "format_version");
	ice_json_int(w, ice_table_metadata_format_version(md));
	ice_json_key(w, "table_uuid");
	if (ice_table_metadata_uuid(md))
		ice_json_string(w, ice_table_metadata_uuid(md));
	else
		ice_json_null(w);
	ice_json_key(w, "last_updated_ms");
	ice_json_int(w, ice_table_metadata_last_updated_ms(md));
	ice_json_key(w, "last_sequence_number");
	ice_json_int(w, ice_table_metadata_last_sequence_number(md));
	if (ice_table_metadata_next_row_id(md, &next_row_id)) {
		ice_json_key(w, "next_row_id");
		ice_json_int(w, next_row_id);
	}
	ice_json_key(w, "current_snapshot_id");
	if (cur)
		ice_json_int(w, cur->snapshot_id);
	else
		ice_json_null(w);
	if (selected) {
		ice_json_key(w, "selected_snapshot_id");
		ice_json_int(w, t->snapshot->snapshot_id);
	}
	ice_json_key(w, "snapshot_count");
	ice_json_int(w, (int64_t)ice_table_metadata_snapshot_count(md));
	int64_t age;
	const ice_snapshot *fresh = newest(md, &age);
	ice_json_key(w, "newest_snapshot_id");
	if (fresh)
		ice_json_int(w, fresh->snapshot_id);
	else
		ice_json_null(w);
	ice_json_key(w, "newest_snapshot_timestamp_ms");
	if (fresh)
		ice_json_int(w, fresh->timestamp_ms);
	else
		ice_json_null(w);
	ice_json_key(w, "newest_snapshot_age_ms");
	if (fresh)
		ice_json_int(w, age);
	else
		ice_json_null(w);
	ice_json_key(w, "schema");
	ice_schema_write_json(t->schema, w);
	ice_json_key(w, "partition_spec");
	ice_partition_spec_write_json(ice_table_metadata_default_spec(md), w);
	ice_json_key(w, "sort_order");
	ice_sort_order_write_json(ice_table_metadata_default_sort_order(md), w);
	ice_json_key(w, "refs");
	ice_json_begin_array(w);
	for (size_t i = 0; i < ice_table_metadata_ref_count(md); i++)
		cli_json_ref(w, ice_table_metadata_ref_at(md, i));
	ice_json_end_array(w);
	ice_json_key(w, "properties");
	cli_json_properties(w, props);
	ice_json_end_object(w);
	int rc = cli_print_json(cli, w);
	ice_json_writer_free(w);
	return rc;
}

static void describe_text(ice_cli *cli, const cli_snapshot *t, bool selected)
{
	FILE *f = cli->out;
	char ts[40];
	const ice_table_metadata *md = t->md;
	const char *location = t->location;
	const ice_schema *schema = t->schema;
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	const ice_properties *props = ice_table_metadata_properties(md);
	const ice_partition_spec *spec = ice_table_metadata_default_spec(md);
	const ice_sort_order *order = ice_table_metadata_default_sort_order(md);
	int64_t next_row_id;

	fprintf(f, "Table:            %s\n", ice_table_metadata_location(md));
	fprintf(f, "Metadata file:    %s\n", location);
	fprintf(f, "Format version:   %d\n", ice_table_metadata_format_version(md));
	fprintf(f, "Table UUID:       %s\n", ice_table_metadata_uuid(md) ? ice_table_metadata_uuid(md) : "(none)");
	fprintf(f, "Last updated:     %s UTC\n", cli_format_ms(ice_table_metadata_last_updated_ms(md), ts));
	if (ice_table_metadata_format_version(md) >= 2)
		fprintf(f, "Last sequence:    %lld\n", (long long)ice_table_metadata_last_sequence_number(md));
	if (ice_table_metadata_next_row_id(md, &next_row_id))
		fprintf(f, "Next row id:      %lld\n", (long long)next_row_id);
	if (cur)
		fprintf(f, "Current snapshot: %lld (%s, %s)\n", (long long)cur->snapshot_id,
		        cli_format_ms(cur->timestamp_ms, ts), cur->operation ? cur->operation : "no operation");
	else
		fprintf(f, "Current snapshot: none\n");
	if (selected)
		fprintf(f, "Selected:         %lld (%s, %s)\n", (long long)t->snapshot->snapshot_id,
		        cli_format_ms(t->snapshot->timestamp_ms, ts),
		        t->snapshot->operation ? t->snapshot->operation : "no operation");
	fprintf(f, "Snapshots:        %zu\n", ice_table_metadata_snapshot_count(md));
	int64_t age;
	char agebuf[48];
	const ice_snapshot *fresh = newest(md, &age);
	if (fresh)
		fprintf(f, "Freshness:        newest snapshot %s ago (%lld at %s UTC)\n", format_age(age, agebuf, sizeof(agebuf)),
		        (long long)fresh->snapshot_id, cli_format_ms(fresh->timestamp_ms, ts));
	if (ice_table_metadata_ref_count(md)) {
		fprintf(f, "Refs:             ");
		for (size_t i = 0; i < ice_table_metadata_ref_count(md); i++) {
			const ice_ref *ref = ice_table_metadata_ref_at(md, i);
			fprintf(f, "%s%s (%s)", i ? ", " : "", ref->name, ref->type == ICE_REF_BRANCH ? "branch" : "tag");
		}
		fputc('\n', f);
	}
	fprintf(f, "\nSchema %d:\n", (int)ice_schema_id(schema));
	print_schema_tree(f, schema, 2);
	fprintf(f, "\nPartition spec %d: ", (int)spec->spec_id);
	print_partition_spec(f, spec, schema);
	fprintf(f, "\nSort order %d: ", (int)order->order_id);
	print_sort_order(f, order, schema);
	fputc('\n', f);
	if (props->n) {
		fprintf(f, "\nProperties:\n");
		for (size_t i = 0; i < props->n; i++)
			fprintf(f, "  %s = %s\n", props->items[i].key, props->items[i].value);
	}
}

static int flag_option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	(void)cmd;
	(void)opt;
	(void)arg;
	*(bool *)ctx = true;
	return 0;
}

CLI_COMMAND(describe)
{
	const cli_command *cmd = cli_find_command("describe");
	ice_snapshot_selector sel;
	cli_snapshot t;
	const char *table;
	static const struct option options[] = {
		{"namespace", no_argument, NULL, OPT_FIRST_COMMAND_OPTION},
		{NULL, 0, NULL, 0},
	};
	bool namespace_only = false;
	int rc = cli_parse_args(cli, cmd, argc, argv, options, flag_option, &namespace_only, &sel, &table);
	if (rc >= 0)
		return rc;
	/* A name the catalog has as a namespace (and not as a table), as
	 * PyIceberg's `describe` does. */
	if (namespace_only || (!sel.has_snapshot_id && !sel.has_as_of_ms && !sel.ref && cli_is_namespace(cli, table)))
		return cli_describe_namespace(cli, table);
	if ((rc = cli_load_snapshot(cli, table, &sel, false, &t)) != 0)
		return rc;
	bool selected = t.snapshot && (sel.has_snapshot_id || sel.has_as_of_ms || sel.ref);
	if (cli->json)
		rc = describe_json(cli, &t, selected);
	else
		describe_text(cli, &t, selected);
	cli_snapshot_free(&t);
	return rc;
}
