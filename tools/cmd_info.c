/*
 * tools/cmd_info.c - the PyIceberg CLI's everyday verbs: `ice spec`,
 * `ice uuid`, `ice location` (one fact of a table) and `ice properties
 * get|set|remove TABLE|NAMESPACE`. Tables resolve
 * through the one resolver (cli_resolve_table); a namespace is a name the
 * catalog knows as one and not as a table.
 */
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum { OPT_NAMESPACE = OPT_FIRST_COMMAND_OPTION, OPT_TABLE };

/* ---- spec, uuid, location ------------------------------------------------------ */

typedef enum fact { FACT_SPEC, FACT_UUID, FACT_LOCATION } fact;

static int print_fact(ice_cli *cli, int argc, char **argv, const char *name, fact what)
{
	const char *table;
	ice_table_metadata *md;
	ice_json_writer *w = NULL;
	int rc = cli_parse_args(cli, cli_find_command(name), argc, argv, NULL, NULL, NULL, NULL, &table);
	if (rc >= 0)
		return rc;
	if ((rc = cli_load_metadata(cli, table, &md, NULL)) != 0)
		return rc;
	const char *uuid = ice_table_metadata_uuid(md);
	if (cli->json && (rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0) {
		ice_table_metadata_free(md);
		return cli_fail(rc);
	}
	switch (what) {
	case FACT_SPEC: {
		const ice_partition_spec *spec = ice_table_metadata_default_spec(md);
		if (w) {
			ice_partition_spec_write_json(spec, w); /* the spec's own JSON */
		} else {
			print_partition_spec(cli->out, spec, ice_table_metadata_current_schema(md));
			fputc('\n', cli->out);
		}
		break;
	}
	case FACT_UUID:
		if (w) {
			ice_json_begin_object(w);
			ice_json_key(w, "table_uuid");
			if (uuid)
				ice_json_string(w, uuid);
			else
				ice_json_null(w);
			ice_json_end_object(w);
		} else {
			fprintf(cli->out, "%s\n", uuid ? uuid : "(none: a format v1 table without one)");
		}
		break;
	case FACT_LOCATION:
		if (w) {
			ice_json_begin_object(w);
			ice_json_key(w, "location");
			ice_json_string(w, ice_table_metadata_location(md));
			ice_json_end_object(w);
		} else {
			fprintf(cli->out, "%s\n", ice_table_metadata_location(md));
		}
		break;
	}
	if (w) {
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	}
	ice_table_metadata_free(md);
	return rc;
}

CLI_COMMAND(spec)
{
	return print_fact(cli, argc, argv, "spec", FACT_SPEC);
}

CLI_COMMAND(uuid)
{
	return print_fact(cli, argc, argv, "uuid", FACT_UUID);
}

CLI_COMMAND(location)
{
	return print_fact(cli, argc, argv, "location", FACT_LOCATION);
}

/* ---- rename ---------------------------------------------------------------------- */

typedef struct arg_list {
	const char *items[8];
	size_t n;
	bool namespace_only, table_only;
} arg_list;

static int collect(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	arg_list *a = ctx;
	(void)cmd;
	(void)arg;
	if (opt == OPT_NAMESPACE)
		a->namespace_only = true;
	else if (opt == OPT_TABLE)
		a->table_only = true;
	return 0;
}

/* The option loop, then the positional arguments (at most 8). */
static int parse_positional(ice_cli *cli, const cli_command *cmd, int argc, char **argv, const struct option *options,
                            arg_list *a)
{
	int rc = cli_parse_args(cli, cmd, argc, argv, options, collect, a, NULL, NULL);
	if (rc >= 0)
		return rc;
	for (int i = optind; i < argc; i++) {
		if (a->n == sizeof(a->items) / sizeof(a->items[0]))
			return cli_usage_error(cmd, "too many arguments");
		a->items[a->n++] = argv[i];
	}
	return -1;
}

/* ---- properties ------------------------------------------------------------------ */

bool cli_is_namespace(ice_cli *cli, const char *name)
{
	ice_catalog *c = NULL;
	bool ns = false, table = false;
	if (strchr(name, '/') || strstr(name, "://"))
		return false;
	if (ice_catalog_open(&c, cli->io, cli->catalog && *cli->catalog ? cli->catalog : NULL) == 0 &&
	    ice_catalog_namespace_exists(c, name, &ns) == 0 && ns && ice_catalog_table_exists(c, name, &table) != 0)
		table = false;
	ice_catalog_free(c);
	ice_error_clear();
	return ns && !table;
}

static int print_properties(ice_cli *cli, const char *name, bool is_ns, const ice_properties *p, const char *key)
{
	const char *value = key ? ice_properties_get(p, key) : NULL;
	if (key && !value)
		return cli_error("%s: no property '%s'", name, key);
	if (cli->json) {
		ice_json_writer *w;
		int rc;
		if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0)
			return cli_fail(rc);
		ice_json_begin_object(w);
		ice_json_key(w, is_ns ? "namespace" : "table");
		ice_json_string(w, name);
		if (key) {
			ice_json_key(w, "key");
			ice_json_string(w, key);
			ice_json_key(w, "value");
			ice_json_string(w, value);
		} else {
			ice_json_key(w, "properties");
			cli_json_properties(w, p);
		}
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		return rc;
	}
	if (key)
		fprintf(cli->out, "%s\n", value);
	else
		for (size_t i = 0; i < p->n; i++)
			fprintf(cli->out, "%s = %s\n", p->items[i].key, p->items[i].value);
	return EXIT_OK;
}

/* set: KEY VALUE, or KEY=VALUE...; remove: KEY... */
static int parse_changes(const cli_command *cmd, bool set, const arg_list *a, ice_property **props, size_t *nprops)
{
	if (a->n < 3)
		return cli_usage_error(cmd, set ? "set wants KEY VALUE or KEY=VALUE..." : "remove wants KEY...");
	if (!set)
		return 0;
	if (a->n == 4 && !strchr(a->items[2], '=')) {
		if (!(*props = calloc(1, sizeof(ice_property))) || !((*props)[0].key = strdup(a->items[2])) ||
		    !((*props)[0].value = strdup(a->items[3])))
			return cli_error("out of memory");
		*nprops = 1;
		return 0;
	}
	for (size_t i = 2; i < a->n; i++) {
		int rc = cli_parse_property(cmd, a->items[i], props, nprops);
		if (rc)
			return rc;
	}
	return 0;
}

static int namespace_properties(ice_cli *cli, const cli_command *cmd, const char *verb, const arg_list *a,
                                const ice_properties *set, const char *const *removes, size_t nremoves)
{
	ice_catalog *c = NULL;
	ice_properties p;
	const char *ns = a->items[1];
	int rc = cli_open_catalog(cli, &c);
	(void)cmd;
	if (rc)
		return rc;
	if (strcmp(verb, "get") != 0 &&
	    (rc = ice_catalog_update_namespace_properties(c, ns, set, removes, nremoves)) != 0) {
		ice_catalog_free(c);
		return cli_fail(rc);
	}
	if ((rc = ice_catalog_load_namespace_properties(c, ns, &p)) != 0) {
		ice_catalog_free(c);
		return cli_fail(rc);
	}
	rc = print_properties(cli, ns, true, &p, !strcmp(verb, "get") && a->n == 3 ? a->items[2] : NULL);
	ice_catalog_properties_free(&p);
	ice_catalog_free(c);
	return rc;
}

static int table_properties(ice_cli *cli, const char *verb, const arg_list *a, const ice_properties *set,
                            const char *const *removes, size_t nremoves)
{
	const char *name = a->items[1];
	int rc;
	ice_table *table;
	ice_catalog *catalog;
	/* a table, as the one that would be changed (a metadata file is not) */
	if ((rc = cli_open_table(cli, name, &table, &catalog)) != 0)
		return rc;
	if (!strcmp(verb, "get"))
		rc = print_properties(cli, name, false, ice_table_metadata_properties(ice_table_current(table)),
		                      a->n == 3 ? a->items[2] : NULL);
	else if ((rc = ice_table_update_properties(table, set, removes, nremoves, NULL)) != 0)
		rc = cli_fail(rc);
	else
		rc = print_properties(cli, name, false, ice_table_metadata_properties(ice_table_current(table)), NULL);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}

CLI_COMMAND(properties)
{
	static const struct option options[] = {
		{"namespace", no_argument, NULL, OPT_NAMESPACE},
		{"table", no_argument, NULL, OPT_TABLE},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("properties");
	arg_list a = {0};
	ice_property *props = NULL;
	size_t nprops = 0;
	int rc = parse_positional(cli, cmd, argc, argv, options, &a);
	if (rc >= 0)
		return rc;
	if (a.n < 2)
		return cli_usage_error(cmd, "expected get, set or remove and a TABLE or NAMESPACE");
	const char *verb = a.items[0];
	bool set = !strcmp(verb, "set");
	if (strcmp(verb, "get") != 0 && !set && strcmp(verb, "remove") != 0)
		return cli_usage_error(cmd, "unknown action '%s' (get, set, remove)", verb);
	if (!strcmp(verb, "get") && a.n > 3)
		return cli_usage_error(cmd, "get takes at most one KEY");
	if (a.namespace_only && a.table_only)
		return cli_usage_error(cmd, "choose one of --namespace and --table");
	if (strcmp(verb, "get") != 0 && (rc = parse_changes(cmd, set, &a, &props, &nprops)) != 0) {
		cli_free_properties(props, nprops);
		return rc;
	}
	ice_properties changes = {nprops, props};
	const char *const *removes = set || !strcmp(verb, "get") ? NULL : a.items + 2;
	size_t nremoves = removes ? a.n - 2 : 0;
	if (a.namespace_only || (!a.table_only && cli_is_namespace(cli, a.items[1])))
		rc = namespace_properties(cli, cmd, verb, &a, &changes, removes, nremoves);
	else
		rc = table_properties(cli, verb, &a, &changes, removes, nremoves);
	cli_free_properties(props, nprops);
	return rc;
}
