/*
 * tools/table_arg.c - the TABLE argument of every command, resolved by
 * the library's one resolver (ice_catalog_resolve_table; the rules are in
 * docs/commands/README.md): a name <namespace>.<table> in the catalog of
 * --catalog, ICE_CATALOG or the configuration file's default-catalog, a
 * table directory or URI, or (reading) a metadata file. With -v the form
 * that matched is said on stderr. Also --property KEY=VALUE.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *catalog_arg(const ice_cli *cli)
{
	return cli->catalog && *cli->catalog ? cli->catalog : NULL;
}

bool cli_is_table_path(const char *arg)
{
	return strchr(arg, '/') || strstr(arg, "://") || strncmp(arg, "file:", 5) == 0 || arg[0] == '.';
}

int cli_open_catalog(ice_cli *cli, ice_catalog **out)
{
	int rc = ice_catalog_open(out, cli->io, catalog_arg(cli));
	return rc ? cli_fail(rc) : EXIT_OK;
}

int cli_resolve_table(ice_cli *cli, const char *arg, ice_table_use use, ice_resolved_table *out)
{
	int rc = ice_catalog_resolve_table(out, cli->io, arg, catalog_arg(cli), use);
	if (rc)
		return cli_fail(rc);
	cli_set_context(arg, cli->command);
	if (cli->verbose)
		fprintf(stderr, "ice: %s: %s\n", arg, out->description);
	return EXIT_OK;
}

int cli_load_metadata(ice_cli *cli, const char *table, ice_table_metadata **out, char **location_out)
{
	ice_resolved_table t;
	char *location = NULL;
	int rc;
	*out = NULL;
	if (location_out)
		*location_out = NULL;
	if ((rc = cli_resolve_table(cli, table, ICE_TABLE_USE_READ, &t)) != 0)
		return rc;
	rc = ice_catalog_load_metadata(t.catalog, t.identifier, out, &location);
	ice_resolved_table_clear(&t);
	if (rc)
		return cli_fail(rc);
	if (location_out)
		*location_out = location;
	else
		ice_free(location);
	return EXIT_OK;
}

int cli_load_table(ice_cli *cli, const char *arg, ice_table **out, ice_catalog **catalog_out)
{
	ice_resolved_table t;
	int rc;
	*out = NULL;
	*catalog_out = NULL;
	if ((rc = ice_catalog_resolve_table(&t, cli->io, arg, catalog_arg(cli), ICE_TABLE_USE_WRITE)) != 0)
		return rc;
	if (cli->verbose)
		fprintf(stderr, "ice: %s: %s\n", arg, t.description);
	if ((rc = ice_table_load(out, t.catalog, t.identifier)) == 0) {
		*catalog_out = t.catalog; /* the table borrows it */
		t.catalog = NULL;
	}
	ice_resolved_table_clear(&t);
	return rc;
}

int cli_open_table(ice_cli *cli, const char *arg, ice_table **out, ice_catalog **catalog_out)
{
	int rc = cli_load_table(cli, arg, out, catalog_out);
	if (rc)
		return cli_fail(rc);
	cli_set_context(arg, cli->command); /* later errors name the table, then the command */
	return EXIT_OK;
}

int cli_parse_property(const cli_command *cmd, const char *arg, ice_property **items, size_t *n)
{
	const char *eq = strchr(arg, '=');
	ice_property *p;
	if (!eq || eq == arg)
		return cli_usage_error(cmd, "--property wants KEY=VALUE, got '%s'", arg);
	if (!(p = realloc(*items, (*n + 1) * sizeof(ice_property))))
		return cli_error("out of memory");
	*items = p;
	p[*n].key = strndup(arg, (size_t)(eq - arg));
	p[*n].value = strdup(eq + 1);
	if (!p[*n].key || !p[*n].value)
		return cli_error("out of memory");
	(*n)++;
	return EXIT_OK;
}

void cli_free_properties(ice_property *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)items[i].key);
		free((char *)items[i].value);
	}
	free(items);
}
