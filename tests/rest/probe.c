/*
 * tests/rest/probe.c - library calls the CLI has no command for, run by
 * tests/rest against a REST catalog through the public API:
 *
 *   rest-probe transaction URI KEY=VALUE TABLE...
 *       one multi-table commit setting a property on every TABLE
 *   rest-probe scan-report URI TABLE [WHERE]
 *       plan a scan of TABLE and send its scan report
 *   rest-probe vended URI TABLE KEY...
 *       print the FileIO properties KEY... of the loaded table (values of
 *       secret-looking keys as "set")
 *
 * Prints "ok" (or the values) and exits 0, or prints the library's error
 * and exits with the code's class: 3 conflict, 4 commit state unknown, 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ice.h"

static int fail(int rc)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "rest-probe: %s\n", e ? e->message : "failed");
	return rc == ICE_ECONFLICT ? 3 : rc == ICE_ECOMMITUNKNOWN ? 4 : 1;
}

typedef struct prop_op {
	ice_property prop;
} prop_op;

static int set_prop(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	prop_op *p = payload;
	ice_properties set = {1, &p->prop};
	(void)ctx;
	(void)base;
	return ice_metadata_builder_set_properties(b, &set);
}

static int transaction(ice_catalog *cat, const char *kv, char **names, int n)
{
	ice_table **tables = calloc((size_t)n, sizeof(*tables));
	ice_operation *ops = calloc((size_t)n, sizeof(*ops));
	prop_op op;
	char key[256];
	const char *eq = strchr(kv, '=');
	int rc = 0;
	if (!tables || !ops || !eq || (size_t)(eq - kv) >= sizeof(key))
		return 2;
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	op.prop.key = key;
	op.prop.value = eq + 1;
	for (int i = 0; i < n && !rc; i++) {
		rc = ice_table_load(&tables[i], cat, names[i]);
		ops[i].name = "set property";
		ops[i].apply = set_prop;
		ops[i].payload = &op;
	}
	if (!rc)
		rc = ice_table_commit_transaction(tables, ops, (size_t)n, NULL, NULL);
	for (int i = 0; i < n; i++)
		ice_table_free(tables[i]);
	free(tables);
	free(ops);
	return rc;
}

static int scan_report(ice_catalog *cat, const char *name, const char *where)
{
	ice_table *t;
	ice_scan *scan = NULL;
	ice_scan_planner *planner;
	const ice_scan_task *task;
	ice_scan_options so;
	struct timespec a, b;
	int rc;
	if ((rc = ice_table_load(&t, cat, name)) != 0)
		return rc;
	ice_scan_options_init(&so);
	so.filter = where;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((rc = ice_scan_new(&scan, ice_table_io(t), ice_table_current(t), &so)) == 0 &&
	    (rc = ice_scan_plan_open(&planner, scan)) == 0) {
		while ((rc = ice_scan_plan_next(planner, &task)) == 0)
			;
		ice_scan_plan_free(planner);
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (!rc)
		rc = ice_table_report_scan(t, scan, (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec));
	ice_scan_free(scan);
	ice_table_free(t);
	return rc;
}

static int vended(ice_catalog *cat, const char *name, char **keys, int n)
{
	ice_table *t;
	int rc = ice_table_load(&t, cat, name);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		const char *v = ice_io_property(ice_table_io(t), keys[i]);
		bool secret = strstr(keys[i], "secret") || strstr(keys[i], "token");
		printf("%s=%s\n", keys[i], !v ? "(unset)" : secret ? "set" : v);
	}
	ice_table_free(t);
	return 0;
}

int main(int argc, char **argv)
{
	ice_io *io;
	ice_catalog *cat;
	int rc;
	if (argc < 4)
		return fprintf(stderr, "usage: rest-probe transaction|scan-report|vended URI ...\n"), 2;
	if (ice_io_new(&io) || (rc = ice_catalog_open(&cat, io, argv[2])) != 0)
		return fail(ICE_ERROR);
	if (strcmp(argv[1], "transaction") == 0 && argc >= 5)
		rc = transaction(cat, argv[3], argv + 4, argc - 4);
	else if (strcmp(argv[1], "scan-report") == 0)
		rc = scan_report(cat, argv[3], argc > 4 ? argv[4] : NULL);
	else if (strcmp(argv[1], "vended") == 0)
		rc = vended(cat, argv[3], argv + 4, argc - 4);
	else
		rc = -100;
	if (rc == -100)
		return fprintf(stderr, "rest-probe: unknown command %s\n", argv[1]), 2;
	int code = rc ? fail(rc) : (printf("ok\n"), 0);
	ice_catalog_free(cat);
	ice_io_free(io);
	return code;
}
