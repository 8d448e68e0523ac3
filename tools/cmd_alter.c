/*
 * tools/cmd_alter.c - `ice alter TABLE CHANGE...`: schema, partition spec,
 * sort order, property and format changes committed together (ice/update.h).
 * Changes apply in the order given; --first/--after/--before place the
 * column of the --add-column or --move just before them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_ADD_COLUMN = OPT_FIRST_COMMAND_OPTION,
	OPT_RENAME,
	OPT_DROP,
	OPT_MOVE,
	OPT_FIRST,
	OPT_AFTER,
	OPT_BEFORE,
	OPT_WIDEN,
	OPT_OPTIONAL,
	OPT_REQUIRED,
	OPT_DOC,
	OPT_DEFAULT,
	OPT_DROP_DEFAULT,
	OPT_IDENTIFIER,
	OPT_ALLOW_INCOMPATIBLE,
	OPT_ADD_PARTITION,
	OPT_DROP_PARTITION,
	OPT_RENAME_PARTITION,
	OPT_SORT,
	OPT_SET,
	OPT_UNSET,
	OPT_FORMAT_VERSION,
	OPT_DRY_RUN,
};

typedef struct opt_item {
	int opt;
	const char *arg;
} opt_item;

/* "a=b" into a (malloc'ed) and b (into arg); NULL without '=' or with an empty left side. */
static char *split_eq(const char *arg, const char **right)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return NULL;
	*right = eq + 1;
	return strndup(arg, (size_t)(eq - arg));
}

/* --identifier 'a, b.c' into names (copies in *buf). */
static size_t split_list(const char *arg, char **buf, const char **names, size_t cap)
{
	size_t n = 0;
	char *s = *buf = strdup(arg), *save = NULL;
	if (!s)
		return 0;
	for (char *tok = strtok_r(s, ",", &save); tok && n < cap; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		size_t len = strlen(tok);
		while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			tok[--len] = '\0';
		if (len)
			names[n++] = tok;
	}
	return n;
}

/* Records one change; returns an exit code. items[*i] may be followed by a placement. */
static int record(const cli_command *cmd, ice_alter *a, const opt_item *items, size_t n, size_t *i)
{
	const opt_item *it = &items[*i];
	const char *right = NULL;
	char *left = NULL, *buf = NULL;
	int rc = 0;
	ice_column_position pos = ICE_COLUMN_LAST;
	const char *ref = NULL;

	if (it->opt == OPT_ADD_COLUMN || it->opt == OPT_MOVE) {
		if (*i + 1 < n && (items[*i + 1].opt == OPT_FIRST || items[*i + 1].opt == OPT_AFTER ||
		                   items[*i + 1].opt == OPT_BEFORE)) {
			const opt_item *p = &items[++*i];
			pos = p->opt == OPT_FIRST ? ICE_COLUMN_FIRST : p->opt == OPT_AFTER ? ICE_COLUMN_AFTER : ICE_COLUMN_BEFORE;
			ref = p->arg;
		}
	}
	switch (it->opt) {
	case OPT_FIRST:
	case OPT_AFTER:
	case OPT_BEFORE:
		return cli_usage_error(cmd, "--first, --after and --before follow an --add-column or --move");
	case OPT_ADD_COLUMN: rc = ice_alter_add_column(a, it->arg, pos, ref); break;
	case OPT_MOVE:
		if (pos == ICE_COLUMN_LAST)
			return cli_usage_error(cmd, "--move %s: follow it with --first, --after COL or --before COL", it->arg);
		rc = ice_alter_move_column(a, it->arg, pos, ref);
		break;
	case OPT_DROP: rc = ice_alter_drop_column(a, it->arg); break;
	case OPT_OPTIONAL: rc = ice_alter_make_optional(a, it->arg); break;
	case OPT_REQUIRED: rc = ice_alter_make_required(a, it->arg); break;
	case OPT_DROP_DEFAULT: rc = ice_alter_set_default(a, it->arg, NULL); break;
	case OPT_ADD_PARTITION: rc = ice_alter_add_partition_field(a, it->arg); break;
	case OPT_DROP_PARTITION: rc = ice_alter_remove_partition_field(a, it->arg); break;
	case OPT_SORT: rc = ice_alter_set_sort_order(a, it->arg); break;
	case OPT_UNSET: rc = ice_alter_remove_property(a, it->arg); break;
	case OPT_ALLOW_INCOMPATIBLE: ice_alter_allow_incompatible(a, true); break;
	case OPT_FORMAT_VERSION: {
		char *end;
		long v = strtol(it->arg, &end, 10);
		if (*end || end == it->arg || v < 1 || v > 9)
			return cli_usage_error(cmd, "--format-version wants 1, 2 or 3, got '%s'", it->arg);
		rc = ice_alter_upgrade_format_version(a, (int)v);
		break;
	}
	case OPT_IDENTIFIER: {
		const char *names[256];
		size_t k = split_list(it->arg, &buf, names, 256);
		if (!buf)
			return cli_fail(ICE_ERROR);
		rc = ice_alter_set_identifier_fields(a, names, k);
		break;
	}
	case OPT_RENAME:
	case OPT_WIDEN:
	case OPT_DOC:
	case OPT_DEFAULT:
	case OPT_RENAME_PARTITION:
	case OPT_SET: {
		static const struct {
			int opt;
			const char *name, *form;
		} forms[] = {
			{OPT_RENAME, "--rename", "COLUMN=NEW_NAME"},      {OPT_WIDEN, "--widen", "COLUMN=TYPE"},
			{OPT_DOC, "--doc", "COLUMN=TEXT"},                {OPT_DEFAULT, "--default", "COLUMN=VALUE"},
			{OPT_RENAME_PARTITION, "--rename-partition", "FIELD=NEW_NAME"}, {OPT_SET, "--set", "KEY=VALUE"},
		};
		size_t f = 0;
		while (forms[f].opt != it->opt)
			f++;
		if (!(left = split_eq(it->arg, &right)))
			return cli_usage_error(cmd, "%s wants %s, got '%s'", forms[f].name, forms[f].form, it->arg);
		if (it->opt == OPT_RENAME)
			rc = ice_alter_rename_column(a, left, right);
		else if (it->opt == OPT_WIDEN)
			rc = ice_alter_widen_column(a, left, right);
		else if (it->opt == OPT_DOC)
			rc = ice_alter_set_doc(a, left, *right ? right : NULL);
		else if (it->opt == OPT_DEFAULT)
			rc = ice_alter_set_default(a, left, right);
		else if (it->opt == OPT_RENAME_PARTITION)
			rc = ice_alter_rename_partition_field(a, left, right);
		else
			rc = ice_alter_set_property(a, left, right);
		break;
	}
	default: break;
	}
	free(left);
	free(buf);
	return rc ? cli_fail(rc) : EXIT_OK;
}

/* The effective updates of the alter on the table as it is now. */
static int dry_run(ice_cli *cli, ice_alter *a, ice_table *table)
{
	ice_metadata_builder *b;
	ice_json_writer *w;
	int rc;
	if ((rc = ice_metadata_builder_new(&b, ice_table_current(table))) != 0)
		return cli_fail(rc);
	if ((rc = ice_alter_apply(a, ice_table_current(table), b, NULL)) != 0 ||
	    (rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0) {
		ice_metadata_builder_free(b);
		return cli_fail(rc);
	}
	ice_metadata_builder_write_changes(b, w);
	rc = cli_print_json(cli, w);
	ice_json_writer_free(w);
	ice_metadata_builder_free(b);
	return rc;
}

static int report(ice_cli *cli, const char *name, ice_table *table, const ice_commit_result *res)
{
	const ice_table_metadata *md = ice_table_current(table);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, "table");
		ice_json_string(w, name);
		ice_json_key(w, "changed");
		ice_json_bool(w, res->attempts > 0);
		ice_json_key(w, "metadata_location");
		ice_json_string(w, ice_table_metadata_file(table));
		ice_json_key(w, "schema_id");
		ice_json_int(w, ice_schema_id(ice_table_metadata_current_schema(md)));
		ice_json_key(w, "spec_id");
		ice_json_int(w, ice_table_metadata_default_spec(md)->spec_id);
		ice_json_key(w, "sort_order_id");
		ice_json_int(w, ice_table_metadata_default_sort_order(md)->order_id);
		ice_json_key(w, "format_version");
		ice_json_int(w, ice_table_metadata_format_version(md));
		ice_json_key(w, "attempts");
		ice_json_int(w, res->attempts);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (!cli->quiet) {
		if (res->attempts == 0)
			fprintf(cli->out, "%s: nothing to change\n", name);
		else
			fprintf(cli->out, "altered %s: schema %d, spec %d, sort order %d, format v%d (%s)\n", name,
			        (int)ice_schema_id(ice_table_metadata_current_schema(md)),
			        (int)ice_table_metadata_default_spec(md)->spec_id,
			        (int)ice_table_metadata_default_sort_order(md)->order_id, ice_table_metadata_format_version(md),
			        ice_table_metadata_file(table));
	}
	return EXIT_OK;
}

CLI_COMMAND(alter)
{
	static const struct option options[] = {
		{"add-column", required_argument, NULL, OPT_ADD_COLUMN},
		{"rename", required_argument, NULL, OPT_RENAME},
		{"drop", required_argument, NULL, OPT_DROP},
		{"move", required_argument, NULL, OPT_MOVE},
		{"first", no_argument, NULL, OPT_FIRST},
		{"after", required_argument, NULL, OPT_AFTER},
		{"before", required_argument, NULL, OPT_BEFORE},
		{"widen", required_argument, NULL, OPT_WIDEN},
		{"optional", required_argument, NULL, OPT_OPTIONAL},
		{"required", required_argument, NULL, OPT_REQUIRED},
		{"doc", required_argument, NULL, OPT_DOC},
		{"default", required_argument, NULL, OPT_DEFAULT},
		{"drop-default", required_argument, NULL, OPT_DROP_DEFAULT},
		{"identifier", required_argument, NULL, OPT_IDENTIFIER},
		{"allow-incompatible", no_argument, NULL, OPT_ALLOW_INCOMPATIBLE},
		{"add-partition", required_argument, NULL, OPT_ADD_PARTITION},
		{"drop-partition", required_argument, NULL, OPT_DROP_PARTITION},
		{"rename-partition", required_argument, NULL, OPT_RENAME_PARTITION},
		{"sort", required_argument, NULL, OPT_SORT},
		{"set", required_argument, NULL, OPT_SET},
		{"unset", required_argument, NULL, OPT_UNSET},
		{"format-version", required_argument, NULL, OPT_FORMAT_VERSION},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("alter");
	opt_item *items = calloc((size_t)argc + 1, sizeof(opt_item));
	size_t n = 0;
	bool dry = false;
	int opt, rc = EXIT_OK;
	if (!items)
		return cli_fail(ICE_ERROR);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		if (opt == '?') {
			free(items);
			return cli_usage_error(cmd, "unknown option");
		}
		if (opt == OPT_DRY_RUN) {
			dry = true;
		} else if (opt >= OPT_FIRST_COMMAND_OPTION) {
			items[n].opt = opt;
			items[n++].arg = optarg;
		} else if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
			free(items);
			if (rc == -1) {
				cli_print_usage(cmd, stdout);
				return EXIT_OK;
			}
			return rc;
		}
	}
	if (argc - optind != 1) {
		free(items);
		return cli_usage_error(cmd, "expected one TABLE");
	}
	if (n == 0) {
		free(items);
		return cli_usage_error(cmd, "no change given");
	}
	ice_alter *a;
	if ((rc = ice_alter_new(&a)) != 0) {
		free(items);
		return cli_fail(rc);
	}
	rc = EXIT_OK;
	for (size_t i = 0; i < n && rc == EXIT_OK; i++)
		rc = record(cmd, a, items, n, &i);
	free(items);
	if (rc != EXIT_OK) {
		ice_alter_free(a);
		return rc;
	}
	ice_table *table;
	ice_catalog *catalog;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0) {
		ice_alter_free(a);
		return rc;
	}
	if (dry) {
		rc = dry_run(cli, a, table);
	} else {
		ice_commit_result res;
		int lrc = ice_alter_commit(a, table, NULL, &res);
		rc = lrc ? cli_fail(lrc) : report(cli, argv[optind], table, &res);
	}
	ice_table_free(table);
	ice_catalog_free(catalog);
	ice_alter_free(a);
	return rc;
}
