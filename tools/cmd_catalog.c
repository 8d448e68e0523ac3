/*
 * tools/cmd_catalog.c - catalog housekeeping: `ice catalog init|list`,
 * `ice namespace create|list|drop|properties`, `ice list [NS]` and
 * `ice drop TABLE [--purge]`.
 */
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum { OPT_PURGE = OPT_FIRST_COMMAND_OPTION, OPT_PROPERTY, OPT_REMOVE };

static int parse(ice_cli *cli, const cli_command *cmd, int argc, char **argv, bool *purge, ice_property **props,
                 size_t *nprops, char ***removes, size_t *nremoves)
{
	static const struct option options[] = {
		{"purge", no_argument, NULL, OPT_PURGE},
		{"property", required_argument, NULL, OPT_PROPERTY},
		{"set", required_argument, NULL, OPT_PROPERTY},
		{"remove", required_argument, NULL, OPT_REMOVE},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	int opt, rc;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_PURGE:
			if (!purge)
				return cli_usage_error(cmd, "--purge is for ice drop");
			*purge = true;
			break;
		case OPT_PROPERTY:
			if (!props)
				return cli_usage_error(cmd, "no properties here");
			if ((rc = cli_parse_property(cmd, optarg, props, nprops)) != 0)
				return rc;
			break;
		case OPT_REMOVE: {
			if (!removes)
				return cli_usage_error(cmd, "no properties here");
			char **r = realloc(*removes, (*nremoves + 1) * sizeof(char *));
			if (!r)
				return cli_error("out of memory");
			*removes = r;
			r[(*nremoves)++] = optarg;
			break;
		}
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

static int print_list(ice_cli *cli, const char *key, const ice_string_list *l)
{
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
			return cli_fail(ICE_ERROR);
		ice_json_begin_object(w);
		ice_json_key(w, key);
		ice_json_begin_array(w);
		for (size_t i = 0; i < l->n; i++)
			ice_json_string(w, l->items[i]);
		ice_json_end_array(w);
		ice_json_end_object(w);
		int rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	for (size_t i = 0; i < l->n; i++)
		fprintf(cli->out, "%s\n", l->items[i]);
	return EXIT_OK;
}

/* {"namespace": NS, "<what>": true} */
static int print_done(ice_cli *cli, const char *ns, const char *what)
{
	ice_json_writer *w;
	int rc;
	if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0)
		return cli_fail(rc);
	ice_json_begin_object(w);
	ice_json_key(w, "namespace");
	ice_json_string(w, ns);
	ice_json_key(w, what);
	ice_json_bool(w, true);
	ice_json_end_object(w);
	rc = cli_print_json(cli, w);
	ice_json_writer_free(w);
	return rc;
}

int cli_describe_namespace(ice_cli *cli, const char *ns)
{
	ice_catalog *c = NULL;
	ice_properties p;
	ice_string_list tables, children;
	int rc = cli_open_catalog(cli, &c);
	if (rc)
		return rc;
	if ((rc = ice_catalog_load_namespace_properties(c, ns, &p)) != 0) {
		ice_catalog_free(c);
		return cli_fail(rc);
	}
	if ((rc = ice_catalog_list_tables(c, ns, &tables)) != 0) {
		ice_catalog_properties_free(&p);
		ice_catalog_free(c);
		return cli_fail(rc);
	}
	if ((rc = ice_catalog_list_namespaces(c, ns, &children)) != 0) {
		ice_error_clear();
		children.n = 0;
		children.items = NULL;
	}
	rc = EXIT_OK;
	if (cli->json) {
		ice_json_writer *w;
		if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0) {
			rc = cli_fail(rc);
		} else {
			ice_json_begin_object(w);
			ice_json_key(w, "namespace");
			ice_json_string(w, ns);
			ice_json_key(w, "properties");
			cli_json_properties(w, &p);
			ice_json_key(w, "tables");
			ice_json_begin_array(w);
			for (size_t i = 0; i < tables.n; i++)
				ice_json_string(w, tables.items[i]);
			ice_json_end_array(w);
			ice_json_key(w, "namespaces");
			ice_json_begin_array(w);
			for (size_t i = 0; i < children.n; i++)
				ice_json_string(w, children.items[i]);
			ice_json_end_array(w);
			ice_json_end_object(w);
			rc = cli_print_json(cli, w);
			ice_json_writer_free(w);
		}
	} else {
		FILE *f = cli->out;
		fprintf(f, "Namespace:   %s\n", ns);
		fprintf(f, "Tables:      ");
		for (size_t i = 0; i < tables.n; i++)
			fprintf(f, "%s%s", i ? ", " : "", tables.items[i]);
		fprintf(f, "%s\n", tables.n ? "" : "(none)");
		if (children.n) {
			fprintf(f, "Namespaces:  ");
			for (size_t i = 0; i < children.n; i++)
				fprintf(f, "%s%s", i ? ", " : "", children.items[i]);
			fputc('\n', f);
		}
		if (p.n) {
			fprintf(f, "\nProperties:\n");
			for (size_t i = 0; i < p.n; i++)
				fprintf(f, "  %s = %s\n", p.items[i].key, p.items[i].value);
		}
	}
	if (children.items)
		ice_string_list_free(&children);
	ice_string_list_free(&tables);
	ice_catalog_properties_free(&p);
	ice_catalog_free(c);
	return rc;
}

CLI_COMMAND(namespace)
{
	const cli_command *cmd = cli_find_command("namespace");
	ice_property *props = NULL;
	char **removes = NULL;
	size_t nprops = 0, nremoves = 0;
	ice_catalog *c = NULL;
	int rc = parse(cli, cmd, argc, argv, NULL, &props, &nprops, &removes, &nremoves);
	if (rc)
		goto done;
	if (optind >= argc) {
		rc = cli_usage_error(cmd, "expected create, list, drop or properties");
		goto done;
	}
	const char *verb = argv[optind];
	const char *ns = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (strcmp(verb, "list") != 0 && !ns) {
		rc = cli_usage_error(cmd, "expected a namespace after '%s'", verb);
		goto done;
	}
	if ((rc = cli_open_catalog(cli, &c)) != 0)
		goto done;
	ice_properties set = {nprops, props};
	if (!strcmp(verb, "create")) {
		if ((rc = ice_catalog_create_namespace(c, ns, &set)) != 0)
			rc = cli_fail(rc);
		else if (cli->json)
			rc = print_done(cli, ns, "created");
		else if (!cli->quiet)
			fprintf(cli->out, "created namespace %s\n", ns);
	} else if (!strcmp(verb, "list")) {
		ice_string_list l;
		if ((rc = ice_catalog_list_namespaces(c, ns, &l)) != 0) {
			rc = cli_fail(rc);
		} else {
			rc = print_list(cli, "namespaces", &l);
			ice_string_list_free(&l);
		}
	} else if (!strcmp(verb, "drop")) {
		if ((rc = ice_catalog_drop_namespace(c, ns)) != 0)
			rc = cli_fail(rc);
		else if (cli->json)
			rc = print_done(cli, ns, "dropped");
		else if (!cli->quiet)
			fprintf(cli->out, "dropped namespace %s\n", ns);
	} else if (!strcmp(verb, "properties")) {
		ice_properties p;
		if ((nprops || nremoves) &&
		    (rc = ice_catalog_update_namespace_properties(c, ns, &set, (const char *const *)removes, nremoves)) != 0) {
			rc = cli_fail(rc);
			goto done;
		}
		if ((rc = ice_catalog_load_namespace_properties(c, ns, &p)) != 0) {
			rc = cli_fail(rc);
			goto done;
		}
		if (cli->json) {
			ice_json_writer *w;
			if (ice_json_writer_new(&w, ICE_JSON_PRETTY) == 0) {
				ice_json_begin_object(w);
				ice_json_key(w, "namespace");
				ice_json_string(w, ns);
				ice_json_key(w, "properties");
				cli_json_properties(w, &p);
				ice_json_end_object(w);
				rc = cli_print_json(cli, w);
				ice_json_writer_free(w);
			}
		} else {
			for (size_t i = 0; i < p.n; i++)
				fprintf(cli->out, "%s = %s\n", p.items[i].key, p.items[i].value);
		}
		ice_catalog_properties_free(&p);
	} else {
		rc = cli_usage_error(cmd, "unknown action '%s' (create, list, drop, properties)", verb);
	}
done:
	if (rc == -1)
		rc = EXIT_OK;
	ice_catalog_free(c);
	cli_free_properties(props, nprops);
	free(removes);
	return rc;
}

CLI_COMMAND(list)
{
	const cli_command *cmd = cli_find_command("list");
	ice_catalog *c = NULL;
	int rc = parse(cli, cmd, argc, argv, NULL, NULL, NULL, NULL, NULL);
	if (rc)
		return rc == -1 ? EXIT_OK : rc;
	if ((rc = cli_open_catalog(cli, &c)) != 0)
		return rc;
	ice_string_list l;
	if (optind < argc) {
		rc = ice_catalog_list_tables(c, argv[optind], &l);
		if (!rc)
			rc = print_list(cli, "tables", &l);
		else
			rc = cli_fail(rc);
	} else {
		rc = ice_catalog_list_namespaces(c, NULL, &l);
		if (!rc)
			rc = print_list(cli, "namespaces", &l);
		else
			rc = cli_fail(rc);
	}
	if (rc == EXIT_OK || rc > 0)
		ice_string_list_free(&l);
	ice_catalog_free(c);
	return rc;
}

CLI_COMMAND(drop)
{
	const cli_command *cmd = cli_find_command("drop");
	bool purge = false;
	int rc = parse(cli, cmd, argc, argv, &purge, NULL, NULL, NULL, NULL);
	if (rc)
		return rc == -1 ? EXIT_OK : rc;
	if (optind + 1 != argc)
		return cli_usage_error(cmd, "expected one TABLE");
	const char *arg = argv[optind];
	ice_resolved_table t;
	if ((rc = cli_resolve_table(cli, arg, ICE_TABLE_USE_WRITE, &t)) != 0)
		return rc;
	ice_drop_report r;
	rc = ice_catalog_drop_table(t.catalog, t.identifier, purge, &r);
	if (rc) {
		rc = cli_fail(rc);
	} else if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY) == 0) {
			ice_json_begin_object(w);
			ice_json_key(w, "files_deleted");
			ice_json_int(w, r.files_deleted);
			ice_json_key(w, "bytes_deleted");
			ice_json_int(w, r.bytes_deleted);
			ice_json_key(w, "files_missing");
			ice_json_int(w, r.files_missing);
			ice_json_key(w, "files_outside");
			ice_json_int(w, r.files_outside);
			ice_json_key(w, "files_left");
			ice_json_int(w, r.files_left);
			ice_json_end_object(w);
			rc = cli_print_json(cli, w);
			ice_json_writer_free(w);
		}
	} else if (!cli->quiet) {
		fprintf(cli->out, "dropped %s: %lld files deleted (%lld bytes)", arg, (long long)r.files_deleted,
		        (long long)r.bytes_deleted);
		if (r.files_outside)
			fprintf(cli->out, ", %lld outside the table location kept", (long long)r.files_outside);
		if (r.files_left)
			fprintf(cli->out, ", %lld unreferenced files left", (long long)r.files_left);
		fputc('\n', cli->out);
	}
	ice_resolved_table_clear(&t);
	return rc;
}

/* `ice catalog init PATH`: the one way a new warehouse is made on purpose;
 * `ice catalog list`: the configured catalogs. */
CLI_COMMAND(catalog)
{
	const cli_command *cmd = cli_find_command("catalog");
	int rc = parse(cli, cmd, argc, argv, NULL, NULL, NULL, NULL, NULL);
	if (rc)
		return rc == -1 ? EXIT_OK : rc;
	if (optind >= argc)
		return cli_usage_error(cmd, "expected init or list");
	const char *verb = argv[optind];
	if (!strcmp(verb, "init")) {
		ice_catalog *c = NULL;
		if (optind + 2 != argc)
			return cli_usage_error(cmd, "expected one PATH after init");
		if ((rc = ice_catalog_init(&c, cli->io, argv[optind + 1])) != 0)
			return cli_fail(rc);
		if (cli->json) {
			ice_json_writer *w;
			if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) == 0) {
				ice_json_begin_object(w);
				ice_json_key(w, "warehouse");
				ice_json_string(w, ice_catalog_uri(c));
				ice_json_end_object(w);
				rc = cli_print_json(cli, w);
				ice_json_writer_free(w);
			} else {
				rc = cli_fail(rc);
			}
		} else if (!cli->quiet) {
			fprintf(cli->out, "warehouse %s\n", ice_catalog_uri(c));
		}
		ice_catalog_free(c);
		return rc;
	}
	if (!strcmp(verb, "list")) {
		ice_string_list names;
		char *def = NULL, *path = ice_catalog_config_path();
		if (optind + 1 != argc) {
			ice_free(path);
			return cli_usage_error(cmd, "list takes no arguments");
		}
		rc = ice_catalog_config_list(&names, &def);
		if (rc == ICE_ENOTFOUND) {
			ice_error_clear();
			names.n = 0;
			names.items = NULL;
			rc = 0;
		} else if (rc) {
			ice_free(path);
			return cli_fail(rc);
		}
		ice_json_writer *w = NULL;
		if (cli->json) {
			if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0)
				goto list_done;
			ice_json_begin_object(w);
			ice_json_key(w, "config");
			if (path)
				ice_json_string(w, path);
			else
				ice_json_null(w);
			ice_json_key(w, "default_catalog");
			if (def)
				ice_json_string(w, def);
			else
				ice_json_null(w);
			ice_json_key(w, "catalogs");
			ice_json_begin_array(w);
		}
		for (size_t i = 0; i < names.n && !rc; i++) {
			char *uri = NULL;
			if ((rc = ice_catalog_config_lookup(&uri, names.items[i])) != 0)
				break;
			if (w) {
				ice_json_begin_object(w);
				ice_json_key(w, "name");
				ice_json_string(w, names.items[i]);
				ice_json_key(w, "uri");
				ice_json_string(w, uri);
				ice_json_key(w, "default");
				ice_json_bool(w, def && !strcmp(def, names.items[i]));
				ice_json_end_object(w);
			} else {
				fprintf(cli->out, "%-16s  %s%s\n", names.items[i], uri,
				        def && !strcmp(def, names.items[i]) ? "  (default)" : "");
			}
			ice_free(uri);
		}
		if (!rc && w) {
			ice_json_end_array(w);
			ice_json_end_object(w);
			rc = cli_print_json(cli, w);
		} else if (!rc && !cli->quiet && !names.n) {
			fprintf(cli->out, "no catalogs configured%s%s\n", path ? " in " : "", path ? path : "");
		}
	list_done:
		ice_json_writer_free(w);
		ice_string_list_free(&names);
		ice_free(def);
		ice_free(path);
		return rc < 0 ? cli_fail(rc) : rc;
	}
	return cli_usage_error(cmd, "unknown action '%s' (init, list)", verb);
}
