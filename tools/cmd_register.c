/*
 * tools/cmd_register.c - `ice register NAME METADATA_LOCATION` (a table
 * another writer made, taken into the catalog by its metadata file) and
 * `ice rename FROM TO`.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

enum { OPT_OVERWRITE = OPT_FIRST_COMMAND_OPTION };

static int parse(ice_cli *cli, const cli_command *cmd, int argc, char **argv, bool *overwrite)
{
	static const struct option options[] = {
		{"overwrite", no_argument, NULL, OPT_OVERWRITE},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	int opt, rc;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_OVERWRITE:
			if (!overwrite)
				return cli_usage_error(cmd, "--overwrite is for ice register");
			*overwrite = true;
			break;
		case '?': case ':': return cli_common_option(cli, cmd, opt, optarg);
		default:
			if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
				if (rc == -1) {
					cli_print_usage(cmd, stdout);
					return -1;
				}
				return rc;
			}
		}
	}
	return 0;
}

/*
 * The metadata file to register: a URI as given; a local table directory
 * (or its metadata/) becomes its current metadata file; a local path
 * becomes absolute (the catalog server resolves it, not this directory).
 */
static int metadata_location(ice_cli *cli, const char *arg, char **out)
{
	struct stat st;
	char abs[PATH_MAX];
	int rc;
	*out = NULL;
	if (strstr(arg, "://") || strncmp(arg, "file:", 5) == 0)
		return (*out = strdup(arg)) ? EXIT_OK : cli_error("out of memory");
	if (stat(arg, &st) != 0)
		return cli_error("%s: no such metadata file or table directory", arg);
	if (!realpath(arg, abs))
		return cli_error("%s: cannot resolve the path", arg);
	if (S_ISDIR(st.st_mode)) {
		char *loc = NULL;
		size_t n = strlen(abs);
		if (n >= 9 && strcmp(abs + n - 9, "/metadata") == 0)
			abs[n - 9] = '\0';
		if ((rc = ice_table_locate(&loc, cli->io, abs)) != 0)
			return cli_fail(rc);
		*out = strdup(loc);
		ice_free(loc);
		return *out ? EXIT_OK : cli_error("out of memory");
	}
	return (*out = strdup(abs)) ? EXIT_OK : cli_error("out of memory");
}

static int print_result(ice_cli *cli, const char *verb, const char *table, const char *key, const char *value)
{
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, "table");
		ice_json_string(w, table);
		ice_json_key(w, key);
		ice_json_string(w, value);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (!cli->quiet)
		fprintf(cli->out, "%s %s %s %s\n", verb, table, strcmp(key, "metadata-location") == 0 ? "at" : "to", value);
	return EXIT_OK;
}

CLI_COMMAND(register)
{
	const cli_command *cmd = cli_find_command("register");
	ice_catalog *c = NULL;
	char *loc = NULL, *registered = NULL;
	bool overwrite = false;
	int rc = parse(cli, cmd, argc, argv, &overwrite);
	if (rc)
		return rc == -1 ? EXIT_OK : rc;
	if (optind + 2 != argc)
		return cli_usage_error(cmd, "expected NAME and METADATA_LOCATION");
	const char *table = argv[optind];
	if (cli_is_table_path(table))
		return cli_usage_error(cmd, "NAME is <namespace>.<table> in a catalog, not a directory");
	if ((rc = metadata_location(cli, argv[optind + 1], &loc)) != 0)
		return rc;
	if ((rc = cli_open_catalog(cli, &c)) == 0) {
		if ((rc = ice_catalog_register_table(c, table, loc, NULL, overwrite, &registered)) != 0)
			rc = cli_fail(rc);
		else
			rc = print_result(cli, "registered", table, "metadata_location", registered);
	}
	ice_free(registered);
	free(loc);
	ice_catalog_free(c);
	return rc;
}

CLI_COMMAND(rename)
{
	const cli_command *cmd = cli_find_command("rename");
	ice_catalog *c = NULL;
	int rc = parse(cli, cmd, argc, argv, NULL);
	if (rc)
		return rc == -1 ? EXIT_OK : rc;
	if (optind + 2 != argc)
		return cli_usage_error(cmd, "expected FROM and TO");
	const char *from = argv[optind], *to = argv[optind + 1];
	if (cli_is_table_path(from) || cli_is_table_path(to))
		return cli_usage_error(cmd, "FROM and TO are <namespace>.<table> names in a catalog");
	if ((rc = cli_open_catalog(cli, &c)) == 0) {
		if ((rc = ice_catalog_rename_table(c, from, to)) != 0)
			rc = cli_fail(rc);
		else
			rc = print_result(cli, "renamed", from, "to", to);
	}
	ice_catalog_free(c);
	return rc;
}
