/*
 * bench/manifest/bench_libavro.c - the same manifest read with the Avro C
 * library's generic value API (libavro, Debian libavro-dev), for the figure
 * docs/internals/avro.md gives when it explains why lib/manifest decodes
 * Avro itself. Each record is decoded into a generic value and its
 * data_file fields are walked (record_count, the bounds maps), which is the
 * least a manifest reader must do with it.
 *
 *   bench-libavro FILE ITERATIONS
 */
#define _POSIX_C_SOURCE 200809L
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static long read_once(const char *file, long long *checksum)
{
	avro_file_reader_t reader;
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t value;
	long n = 0;
	if (avro_file_reader(file, &reader)) {
		fprintf(stderr, "bench-libavro: %s\n", avro_strerror());
		return -1;
	}
	schema = avro_file_reader_get_writer_schema(reader);
	iface = avro_generic_class_from_schema(schema);
	avro_generic_value_new(iface, &value);
	while (avro_file_reader_read_value(reader, &value) == 0) {
		avro_value_t df, field, branch;
		size_t count = 0;
		if (avro_value_get_by_name(&value, "data_file", &df, NULL) == 0) {
			int64_t rows = 0;
			if (avro_value_get_by_name(&df, "record_count", &field, NULL) == 0)
				avro_value_get_long(&field, &rows);
			*checksum += rows;
			if (avro_value_get_by_name(&df, "upper_bounds", &field, NULL) == 0 &&
			    avro_value_get_current_branch(&field, &branch) == 0 && avro_value_get_size(&branch, &count) == 0) {
				for (size_t i = 0; i < count; i++) {
					avro_value_t item, v;
					const void *bytes = NULL;
					size_t len = 0;
					avro_value_get_by_index(&branch, i, &item, NULL);
					avro_value_get_by_name(&item, "value", &v, NULL);
					avro_value_get_bytes(&v, &bytes, &len);
					*checksum += len;
				}
			}
		}
		n++;
	}
	avro_value_decref(&value);
	avro_value_iface_decref(iface);
	avro_schema_decref(schema);
	avro_file_reader_close(reader);
	return n;
}

int main(int argc, char **argv)
{
	int iters = argc > 2 ? atoi(argv[2]) : 3;
	double *t;
	long n = 0;
	long long checksum = 0;
	if (argc < 2 || iters < 1) {
		fprintf(stderr, "usage: bench-libavro FILE [ITERATIONS]\n");
		return 2;
	}
	t = calloc((size_t)iters, sizeof(double));
	for (int i = 0; i < iters; i++) {
		double start = now_s();
		if ((n = read_once(argv[1], &checksum)) < 0)
			return 1;
		t[i] = now_s() - start;
	}
	qsort(t, (size_t)iters, sizeof(double), cmp);
	printf("{\"entries\": %ld, \"iterations\": %d, \"median_s\": %.6f, \"min_s\": %.6f, \"entries_per_s\": %.0f}\n", n,
	       iters, t[iters / 2], t[0], (double)n / t[iters / 2]);
	free(t);
	return 0;
}
