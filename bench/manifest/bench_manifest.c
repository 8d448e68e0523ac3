/*
 * bench/manifest/bench_manifest.c - the C side of the manifest benchmark
 * (bench/manifest/run.sh), on the public API only:
 *
 *   bench-manifest gen-manifest OUT N    N entries, 12 columns with counts and
 *                                        bounds, partitioned by day and a string
 *   bench-manifest gen-list OUT N        a manifest list of N manifests
 *   bench-manifest read-manifest FILE K  read every entry K times (typed bounds,
 *                                        partition values, inheritance)
 *   bench-manifest read-list FILE K      the same for a manifest list
 *   bench-manifest stream FILE           read once (for /usr/bin/time -v)
 *
 * Reads print {"entries": N, "median_s": ..., "min_s": ..., "entries_per_s": ...}.
 * Generation is deterministic (a fixed-seed LCG).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ice.h"

static const char *schema_json =
    "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
    "{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
    "{\"id\": 2, \"name\": \"ts\", \"required\": false, \"type\": \"timestamptz\"},"
    "{\"id\": 3, \"name\": \"customer\", \"required\": false, \"type\": \"string\"},"
    "{\"id\": 4, \"name\": \"amount\", \"required\": false, \"type\": \"decimal(12,2)\"},"
    "{\"id\": 5, \"name\": \"qty\", \"required\": false, \"type\": \"int\"},"
    "{\"id\": 6, \"name\": \"price\", \"required\": false, \"type\": \"double\"},"
    "{\"id\": 7, \"name\": \"flag\", \"required\": false, \"type\": \"boolean\"},"
    "{\"id\": 8, \"name\": \"ship_date\", \"required\": false, \"type\": \"date\"},"
    "{\"id\": 9, \"name\": \"region\", \"required\": false, \"type\": \"string\"},"
    "{\"id\": 10, \"name\": \"comment\", \"required\": false, \"type\": \"string\"},"
    "{\"id\": 11, \"name\": \"discount\", \"required\": false, \"type\": \"float\"},"
    "{\"id\": 12, \"name\": \"order_key\", \"required\": false, \"type\": \"long\"}]}";
static const char *spec_json = "{\"spec-id\": 0, \"fields\": ["
                               "{\"name\": \"ts_day\", \"transform\": \"day\", \"source-id\": 2, \"field-id\": 1000},"
                               "{\"name\": \"region\", \"transform\": \"identity\", \"source-id\": 9, \"field-id\": 1001}]}";

static const char *regions[] = {"AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"};

static uint64_t seed = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return seed >> 17;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-manifest: %s: %s\n", what, e ? e->message : "?");
	return 1;
}

static int gen_manifest(const char *out, long n)
{
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_manifest_writer_options o;
	ice_manifest_writer *w = NULL;
	ice_io *io = NULL;
	char path[256], cust_lo[32], cust_hi[32], com_lo[64], com_hi[64];
	if (ice_io_new(&io) || ice_schema_from_json(&schema, schema_json, strlen(schema_json), "schema") ||
	    ice_partition_spec_from_json(&spec, spec_json, strlen(spec_json), "spec"))
		return die("setup");
	ice_manifest_writer_options_init(&o);
	o.format_version = 2;
	o.schema = schema;
	o.spec = spec;
	o.has_snapshot_id = true;
	o.snapshot_id = 3051729675574597004LL;
	remove(out);
	if (ice_manifest_writer_open(&w, io, out, NULL, &o))
		return die("open");
	for (long i = 0; i < n; i++) {
		ice_data_file df;
		ice_literal part[2];
		ice_metric_count sizes[12], values[12], nulls[12], nans[2];
		ice_metric_bound lo[12], hi[12];
		int32_t day = 19000 + (int32_t)(rnd() % 365);
		const char *region = regions[rnd() % 5];
		int64_t rows = 100000 + (int64_t)(rnd() % 900000);
		int64_t id0 = (int64_t)i * 1000000;
		int64_t split = 4;
		memset(&df, 0, sizeof(df));
		memset(lo, 0, sizeof(lo));
		memset(hi, 0, sizeof(hi));
		snprintf(path, sizeof(path),
		         "s3://warehouse/sales/orders/data/ts_day=%d/region=%s/00%03ld-%ld-8a56b416-7620-4255-938a-a003682bc394-%05ld.parquet",
		         day, region, i % 1000, i / 1000, i);
		df.file_path = path;
		df.file_format = "PARQUET";
		part[0] = ice_literal_int(day);
		part[0].type = ICE_TYPE_DATE;
		part[1] = ice_literal_string(region, strlen(region));
		df.n_partition = 2;
		df.partition = part;
		df.record_count = rows;
		df.file_size_in_bytes = rows * 37 + (int64_t)(rnd() % 4096);
		for (int c = 0; c < 12; c++) {
			sizes[c].field_id = values[c].field_id = nulls[c].field_id = c + 1;
			sizes[c].value = rows * (c + 1) / 3;
			values[c].value = rows;
			nulls[c].value = c == 0 ? 0 : (int64_t)(rnd() % 100);
			lo[c].field_id = hi[c].field_id = c + 1;
		}
		nans[0] = (ice_metric_count){6, 0};
		nans[1] = (ice_metric_count){11, 0};
		lo[0].value = ice_literal_long(id0);
		hi[0].value = ice_literal_long(id0 + rows);
		lo[1].value = ice_literal_long((int64_t)day * 86400000000LL);
		lo[1].value.type = ICE_TYPE_TIMESTAMPTZ;
		hi[1].value = ice_literal_long((int64_t)day * 86400000000LL + 86399999999LL);
		hi[1].value.type = ICE_TYPE_TIMESTAMPTZ;
		snprintf(cust_lo, sizeof(cust_lo), "Customer#%09" PRIu64, rnd() % 1000000);
		snprintf(cust_hi, sizeof(cust_hi), "Customer#%09" PRIu64, 1000000 + rnd() % 1000000);
		lo[2].value = ice_literal_string(cust_lo, strlen(cust_lo));
		hi[2].value = ice_literal_string(cust_hi, strlen(cust_hi));
		lo[3].value.type = hi[3].value.type = ICE_TYPE_DECIMAL;
		lo[3].value.scale = hi[3].value.scale = 2;
		lo[3].value.v.dec = ice_decimal128_from_int64(90000 + (int64_t)(rnd() % 1000));
		hi[3].value.v.dec = ice_decimal128_from_int64(10000000 + (int64_t)(rnd() % 100000));
		lo[4].value = ice_literal_int(1);
		hi[4].value = ice_literal_int(50);
		lo[5].value.type = hi[5].value.type = ICE_TYPE_DOUBLE;
		lo[5].value.v.f64 = 900.0 + (double)(rnd() % 100);
		hi[5].value.v.f64 = 104949.5;
		lo[6].value = ice_literal_bool(false);
		hi[6].value = ice_literal_bool(true);
		lo[7].value = ice_literal_int(day - 30);
		lo[7].value.type = ICE_TYPE_DATE;
		hi[7].value = ice_literal_int(day + 120);
		hi[7].value.type = ICE_TYPE_DATE;
		lo[8].value = hi[8].value = ice_literal_string(region, strlen(region));
		snprintf(com_lo, sizeof(com_lo), " about the accounts %" PRIu64 " sleep furiously", rnd() % 1000);
		snprintf(com_hi, sizeof(com_hi), "zzle. carefully final deposits %" PRIu64, rnd() % 1000);
		lo[9].value = ice_literal_string(com_lo, strlen(com_lo));
		hi[9].value = ice_literal_string(com_hi, strlen(com_hi));
		lo[10].value.type = hi[10].value.type = ICE_TYPE_FLOAT;
		lo[10].value.v.f32 = 0.0f;
		hi[10].value.v.f32 = 0.1f;
		lo[11].value = ice_literal_long(id0 * 4);
		hi[11].value = ice_literal_long(id0 * 4 + rows * 4);
		df.column_sizes = (ice_metric_counts){true, 12, sizes};
		df.value_counts = (ice_metric_counts){true, 12, values};
		df.null_value_counts = (ice_metric_counts){true, 12, nulls};
		df.nan_value_counts = (ice_metric_counts){true, 2, nans};
		df.lower_bounds = (ice_metric_bounds){true, 12, lo};
		df.upper_bounds = (ice_metric_bounds){true, 12, hi};
		df.split_offsets = (ice_int64_list){true, 1, &split};
		df.has_sort_order_id = true;
		df.sort_order_id = 0;
		if (ice_manifest_writer_add(w, &df, -1))
			return die("add");
	}
	if (ice_manifest_writer_close(w, NULL))
		return die("close");
	ice_schema_free(schema);
	ice_partition_spec_free(spec);
	ice_io_free(io);
	return 0;
}

static int gen_list(const char *out, long n)
{
	ice_manifest_list_writer_options o;
	ice_manifest_list_writer *w = NULL;
	ice_io *io = NULL;
	char path[256];
	uint8_t lo[2][8], hi[2][8];
	if (ice_io_new(&io))
		return die("setup");
	ice_manifest_list_writer_options_init(&o);
	o.format_version = 2;
	o.snapshot_id = 3051729675574597004LL;
	o.has_parent_snapshot_id = true;
	o.parent_snapshot_id = 3051729675574597003LL;
	o.sequence_number = 10001;
	remove(out);
	if (ice_manifest_list_writer_open(&w, io, out, &o))
		return die("open");
	for (long i = 0; i < n; i++) {
		ice_manifest_file mf;
		ice_partition_field_summary s[2];
		int32_t day = 19000 + (int32_t)(i % 365);
		memset(&mf, 0, sizeof(mf));
		memset(s, 0, sizeof(s));
		snprintf(path, sizeof(path), "s3://warehouse/sales/orders/metadata/8a56b416-7620-4255-938a-%012ld-m0.avro", i);
		mf.manifest_path = path;
		mf.manifest_length = 6000 + (int64_t)(rnd() % 100000);
		mf.partition_spec_id = 0;
		mf.content = i % 10 == 9 ? ICE_MANIFEST_CONTENT_DELETES : ICE_MANIFEST_CONTENT_DATA;
		mf.sequence_number = i + 1;
		mf.min_sequence_number = i + 1;
		mf.has_added_snapshot_id = true;
		mf.added_snapshot_id = 3051729675574597004LL - (n - i);
		mf.added_files_count = 10 + (int32_t)(rnd() % 90);
		mf.existing_files_count = (int32_t)(rnd() % 1000);
		mf.deleted_files_count = 0;
		mf.added_rows_count = (int64_t)mf.added_files_count * 500000;
		mf.existing_rows_count = (int64_t)mf.existing_files_count * 500000;
		mf.deleted_rows_count = 0;
		for (int k = 0; k < 4; k++) {
			lo[0][k] = (uint8_t)((day >> (8 * k)) & 0xff);
			hi[0][k] = (uint8_t)(((day + 7) >> (8 * k)) & 0xff);
		}
		memcpy(lo[1], "AFRICA", 6);
		memcpy(hi[1], "MIDEAST", 7);
		s[0] = (ice_partition_field_summary){false, true, false, true, true, {lo[0], 4}, {hi[0], 4}, {0}, {0}};
		s[1] = (ice_partition_field_summary){true, true, false, true, true, {lo[1], 6}, {hi[1], 7}, {0}, {0}};
		mf.has_partitions = true;
		mf.n_partitions = 2;
		mf.partitions = s;
		if (ice_manifest_list_writer_add(w, &mf))
			return die("add");
	}
	if (ice_manifest_list_writer_close(w, NULL))
		return die("close");
	ice_io_free(io);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One pass: the number of entries, or -1. */
static long read_once(const ice_io *io, const char *file, bool list, uint64_t *checksum)
{
	long n = 0;
	int rc;
	if (list) {
		ice_manifest_list_reader *r;
		const ice_manifest_file *mf;
		if (ice_manifest_list_open(&r, io, NULL, file))
			return -1;
		while ((rc = ice_manifest_list_next(r, &mf)) == 0) {
			*checksum += (uint64_t)mf->added_rows_count + mf->n_partitions;
			n++;
		}
		ice_manifest_list_reader_free(r);
	} else {
		ice_manifest_reader *r;
		const ice_manifest_entry *e;
		if (ice_manifest_open_location(&r, io, NULL, file))
			return -1;
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			*checksum += (uint64_t)e->data_file.record_count + e->data_file.upper_bounds.n +
			             (uint64_t)e->data_file.partition[0].v.i32;
			n++;
		}
		ice_manifest_reader_free(r);
	}
	return rc == ICE_ITEROVER ? n : -1;
}

static int bench_read(const char *file, bool list, int iters)
{
	ice_io *io = NULL;
	double *t = calloc((size_t)iters, sizeof(double));
	uint64_t checksum = 0;
	long n = 0;
	if (!t || ice_io_new(&io))
		return die("setup");
	for (int i = 0; i < iters; i++) {
		double start = now_s();
		if ((n = read_once(io, file, list, &checksum)) < 0)
			return die(file);
		t[i] = now_s() - start;
	}
	qsort(t, (size_t)iters, sizeof(double), cmp);
	printf("{\"entries\": %ld, \"iterations\": %d, \"median_s\": %.6f, \"min_s\": %.6f, \"entries_per_s\": %.0f, "
	       "\"checksum\": %" PRIu64 "}\n",
	       n, iters, t[iters / 2], t[0], (double)n / t[iters / 2], checksum);
	free(t);
	ice_io_free(io);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen-manifest"))
		return gen_manifest(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "gen-list"))
		return gen_list(argv[2], atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "read-manifest"))
		return bench_read(argv[2], false, atoi(argv[3]) > 0 ? atoi(argv[3]) : 1);
	if (argc == 4 && !strcmp(argv[1], "read-list"))
		return bench_read(argv[2], true, atoi(argv[3]) > 0 ? atoi(argv[3]) : 1);
	if (argc == 3 && !strcmp(argv[1], "stream"))
		return bench_read(argv[2], false, 1);
	fprintf(stderr, "usage: bench-manifest gen-manifest|gen-list OUT N | read-manifest|read-list FILE ITERATIONS"
	                " | stream FILE\n");
	return 2;
}
