/*
 * tools/table_arg.c - what a TABLE argument of the write commands means:
 * a table directory (a path with '/', a file: URI, or an existing
 * directory) needs no catalog; otherwise it is <namespace>.<table> in the
 * catalog given by --catalog, ICE_CATALOG, or the configuration file's
 * default-catalog.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

bool cli_is_table_path(const char *arg)
{
	struct stat st;
	if (strchr(arg, '/') || strncmp(arg, "file:", 5) == 0 || arg[0] == '.')
		return true;
	return stat(arg, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_open_catalog(ice_cli *cli, ice_catalog **out)
{
	char *uri = NULL;
	int rc;
	*out = NULL;
	if (cli->catalog && *cli->catalog) {
		rc = ice_catalog_open(out, cli->io, cli->catalog);
	} else {
		rc = ice_catalog_config_lookup(&uri, NULL);
		if (rc == ICE_ENOTFOUND) {
			ice_error_clear();
			return cli_error("no catalog: give --catalog PATH, set ICE_CATALOG, or name the table by its directory");
		}
		ice_free(uri);
		if (!rc) /* the default catalog, by its name (its settings go with it) */
			rc = ice_catalog_open(out, cli->io, NULL);
	}
	return rc ? cli_fail(rc) : EXIT_OK;
}

int cli_table_target(ice_cli *cli, const char *arg, ice_catalog **catalog_out)
{
	*catalog_out = NULL;
	if (cli_is_table_path(arg))
		return EXIT_OK;
	if (!cli->catalog || !*cli->catalog) {
		/* No catalog anywhere: a plain name is a directory. */
		char *uri = NULL;
		int rc = ice_catalog_config_lookup(&uri, NULL);
		ice_free(uri);
		if (rc == ICE_ENOTFOUND) {
			ice_error_clear();
			return EXIT_OK;
		}
	}
	return cli_open_catalog(cli, catalog_out);
}

int cli_open_table(ice_cli *cli, const char *arg, ice_table **out, ice_catalog **catalog_out)
{
	int rc = cli_table_target(cli, arg, catalog_out);
	*out = NULL;
	if (rc)
		return rc;
	rc = *catalog_out ? ice_table_load(out, *catalog_out, arg) : ice_table_open(out, cli->io, arg);
	if (rc) {
		ice_catalog_free(*catalog_out);
		*catalog_out = NULL;
		return cli_fail(rc);
	}
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
