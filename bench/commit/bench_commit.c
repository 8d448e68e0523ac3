/*
 * bench/commit/bench_commit.c - N small appends in a row on two tables,
 * one with merge-append on and one with it off, taking turns so that both
 * see the machine in the same state; in-process through the public API:
 * each append converts a 3-row CSV, writes its Parquet file and commits
 * (ice_table_append_files). Prints one JSON object with, per table, the
 * per-append latencies (ms), the manifests of the final snapshot, and the
 * time to plan a full scan of it.
 *
 *   bench-commit DIR N
 *
 * DIR must exist and be empty; the tables go to DIR/merge and DIR/nomerge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ice.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int die(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-commit: %s: %s\n", what, e ? e->message : "failed");
	return 1;
}

static int open_table(ice_table **out, ice_io *io, const ice_schema *schema, const char *dir, bool merge)
{
	ice_property props[] = {{"commit.manifest-merge.enabled", merge ? "true" : "false"}};
	ice_properties p = {1, props};
	ice_table_create_options co;
	ice_table_create_options_init(&co);
	co.schema = schema;
	co.location = dir;
	co.properties = &p;
	return ice_table_create(out, NULL, io, dir, &co);
}

/* The final snapshot's manifests, and the time to plan a scan over it. */
static int final_state(ice_io *io, ice_table *t, size_t *manifests, int64_t *tasks, double *plan_ms)
{
	const ice_table_metadata *md = ice_table_current(t);
	ice_manifest_list *list = NULL;
	ice_scan_options so;
	ice_scan *scan;
	ice_scan_planner *planner;
	const ice_scan_task *task;
	int rc;
	*tasks = 0;
	if ((rc = ice_manifest_list_read_snapshot(&list, io, md, ice_table_metadata_current_snapshot(md))) != 0)
		return rc;
	*manifests = list->n;
	ice_manifest_list_free(list);
	ice_scan_options_init(&so);
	double t0 = now_ms();
	if ((rc = ice_scan_new(&scan, io, md, &so)) != 0)
		return rc;
	if ((rc = ice_scan_plan_open(&planner, scan)) == 0) {
		while ((rc = ice_scan_plan_next(planner, &task)) == 0)
			(*tasks)++;
		ice_scan_plan_free(planner);
		rc = rc == ICE_ITEROVER ? 0 : rc;
	}
	*plan_ms = now_ms() - t0;
	ice_scan_free(scan);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return fprintf(stderr, "usage: bench-commit DIR N\n"), 2;
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	ice_io *io;
	ice_schema *schema;
	ice_table *t[2];
	char csv[4096], row[256], path[4096];
	double *lat[2] = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double))};
	if (!lat[0] || !lat[1] || ice_io_new(&io) || ice_schema_parse_dsl(&schema, "id long, s string, v double"))
		return die("setup");
	for (int m = 0; m < 2; m++) {
		snprintf(path, sizeof(path), "%s/%s", dir, m ? "nomerge" : "merge");
		if (open_table(&t[m], io, schema, path, m == 0))
			return die("create");
	}
	snprintf(csv, sizeof(csv), "%s/rows.csv", dir);
	/* The two tables take turns, so both see the machine in the same state. */
	for (int k = 0; k < n; k++) {
		for (int m = 0; m < 2; m++) {
			FILE *f = fopen(csv, "w");
			if (!f)
				return die("csv");
			fputs("id,s,v\n", f);
			for (int j = 0; j < 3; j++) {
				snprintf(row, sizeof(row), "%d,row %d,%d.5\n", k * 3 + j, k, j);
				fputs(row, f);
			}
			fclose(f);
			const char *in[] = {csv};
			double t0 = now_ms();
			if (ice_table_append_files(t[m], in, 1, NULL, NULL, NULL, NULL))
				return die("append");
			lat[m][k] = now_ms() - t0;
		}
	}
	remove(csv);
	printf("{");
	for (int m = 0; m < 2; m++) {
		size_t manifests = 0;
		int64_t tasks = 0;
		double plan_ms = 0;
		if (final_state(io, t[m], &manifests, &tasks, &plan_ms))
			return die("plan");
		printf("%s\"%s\": {\"manifests\": %zu, \"tasks\": %lld, \"plan_ms\": %.3f, \"latency_ms\": [", m ? ", " : "",
		       m ? "nomerge" : "merge", manifests, (long long)tasks, plan_ms);
		for (int k = 0; k < n; k++)
			printf("%s%.3f", k ? ", " : "", lat[m][k]);
		printf("]}");
		ice_table_free(t[m]);
		free(lat[m]);
	}
	printf("}\n");
	ice_schema_free(schema);
	ice_io_free(io);
	return 0;
}
