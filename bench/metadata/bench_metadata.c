/*
 * bench/metadata/bench_metadata.c - parse and re-write one metadata file N
 * times with libicetable; prints the median and minimum milliseconds per
 * iteration (parse + write), measured in-process like the PyIceberg side.
 *   bench-metadata FILE [ITERATIONS]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ice.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	ice_io *io;
	uint8_t *data;
	size_t len;
	int iters = argc > 2 ? atoi(argv[2]) : 20;
	double *t;
	if (argc < 2 || iters < 1) {
		fprintf(stderr, "usage: bench-metadata FILE [ITERATIONS]\n");
		return 2;
	}
	if (ice_io_new(&io) || ice_io_read_all(io, argv[1], 0, &data, &len)) {
		fprintf(stderr, "bench-metadata: %s\n", ice_error_last()->message);
		return 1;
	}
	t = calloc((size_t)iters, sizeof(double));
	size_t out_len = 0;
	for (int i = 0; i < iters; i++) {
		ice_table_metadata *md;
		char *json;
		double start = now_ms();
		if (ice_table_metadata_parse(&md, data, len, argv[1]) ||
		    ice_table_metadata_to_json(&json, &out_len, md, ICE_JSON_COMPACT)) {
			fprintf(stderr, "bench-metadata: %s\n", ice_error_last()->message);
			return 1;
		}
		t[i] = now_ms() - start;
		ice_free(json);
		ice_table_metadata_free(md);
	}
	qsort(t, (size_t)iters, sizeof(double), cmp);
	printf("{\"iterations\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"input_bytes\": %zu, \"output_bytes\": %zu}\n",
	       iters, t[iters / 2], t[0], len, out_len);
	free(t);
	ice_free(data);
	ice_io_free(io);
	return 0;
}
