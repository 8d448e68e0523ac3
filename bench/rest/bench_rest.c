/*
 * bench/rest/bench_rest.c - REST catalog latency through the public API,
 * in-process: N loads of a table (ice_table_load, which is one GET and the
 * metadata parsed), N metadata-only commits (a property set: the commit
 * exchange alone) and N small appends (3 rows: a CSV converted, a Parquet
 * file, a manifest and a manifest list written, one commit POST). Prints one
 * JSON object: per-operation latencies in milliseconds and the wall-clock
 * start of each (CLOCK_REALTIME, ms) so bench/rest/run.py can line them up
 * with what its timing proxy saw the server spend.
 *
 *   bench-rest URI NAMESPACE.TABLE N WORKDIR
 *
 * The table must exist with the schema "id long, s string, v double".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ice.h"

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int die(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-rest: %s: %s\n", what, e ? e->message : "failed");
	return 1;
}

static void print_series(const char *name, const double *lat, const double *start, int n, bool comma)
{
	printf("%s\"%s\": {\"latency_ms\": [", comma ? ", " : "", name);
	for (int k = 0; k < n; k++)
		printf("%s%.4f", k ? ", " : "", lat[k]);
	printf("], \"start_ms\": [");
	for (int k = 0; k < n; k++)
		printf("%s%.4f", k ? ", " : "", start[k]);
	printf("]}");
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return fprintf(stderr, "usage: bench-rest URI NAMESPACE.TABLE N WORKDIR\n"), 2;
	const char *uri = argv[1], *ident = argv[2], *work = argv[4];
	int n = atoi(argv[3]);
	ice_io *io;
	ice_catalog *cat;
	ice_table *t;
	char csv[4096], row[256];
	double *load = calloc((size_t)n, sizeof(double)), *load_start = calloc((size_t)n, sizeof(double));
	double *append = calloc((size_t)n, sizeof(double)), *append_start = calloc((size_t)n, sizeof(double));
	double *commit = calloc((size_t)n, sizeof(double)), *commit_start = calloc((size_t)n, sizeof(double));
	if (!load || !load_start || !append || !append_start || !commit || !commit_start || ice_io_new(&io))
		return die("setup");
	if (ice_catalog_open(&cat, io, uri))
		return die("open");
	for (int k = 0; k < n; k++) {
		load_start[k] = wall_ms();
		double t0 = mono_ms();
		if (ice_table_load(&t, cat, ident))
			return die("load");
		load[k] = mono_ms() - t0;
		ice_table_free(t);
	}
	if (ice_table_load(&t, cat, ident))
		return die("load");
	for (int k = 0; k < n; k++) {
		char value[32];
		snprintf(value, sizeof(value), "%d", k);
		ice_property p = {"bench.counter", value};
		ice_properties set = {1, &p};
		commit_start[k] = wall_ms();
		double t0 = mono_ms();
		if (ice_table_update_properties(t, &set, NULL, 0, NULL))
			return die("commit");
		commit[k] = mono_ms() - t0;
	}
	snprintf(csv, sizeof(csv), "%s/rows.csv", work);
	for (int k = 0; k < n; k++) {
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
		append_start[k] = wall_ms();
		double t0 = mono_ms();
		if (ice_table_append_files(t, in, 1, NULL, NULL, NULL, NULL))
			return die("append");
		append[k] = mono_ms() - t0;
	}
	remove(csv);
	printf("{");
	print_series("load", load, load_start, n, false);
	print_series("commit", commit, commit_start, n, true);
	print_series("append", append, append_start, n, true);
	printf("}\n");
	ice_table_free(t);
	ice_catalog_free(cat);
	ice_io_free(io);
	free(load);
	free(load_start);
	free(append);
	free(append_start);
	free(commit);
	free(commit_start);
	return 0;
}
