/*
 * bench/plan/bench_plan.c - the planning benchmark's driver (issue 5), on
 * the public API only:
 *
 *   bench-plan gen DIR [MANIFESTS [FILES_PER_MANIFEST]]
 *       write a table at DIR with ice's own manifest and manifest list
 *       writers: one snapshot, MANIFESTS (1000) manifests of
 *       FILES_PER_MANIFEST (1000) data files, partitioned by day(ts), one day
 *       per manifest from 2020-01-01 (DIR may be an s3:// location); every file with a record count, value,
 *       null and NaN counts and lower/upper bounds for its four columns (id
 *       ranges increase file by file, ts within its day). The data files are
 *       not written: planning never opens them. Deterministic.
 *   bench-plan plan METADATA [WHERE] [THREADS] [RUNS]
 *       load the metadata, plan the scan (every task handed out and
 *       counted), RUNS times (3); prints {"tasks", "best_s", "median_s",
 *       "stats"} as JSON. WHERE "" means no filter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ice.h"

#define DAY_MS INT64_C(86400000)
#define DAY_US INT64_C(86400000000)
#define START_DAY 18262 /* 2020-01-01 */

static const char *SCHEMA_JSON =
	"{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	"{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
	"{\"id\": 2, \"name\": \"ts\", \"required\": false, \"type\": \"timestamptz\"},"
	"{\"id\": 3, \"name\": \"value\", \"required\": false, \"type\": \"double\"},"
	"{\"id\": 4, \"name\": \"category\", \"required\": false, \"type\": \"string\"}]}";
static const char *SPEC_JSON =
	"{\"spec-id\": 0, \"fields\": [{\"name\": \"ts_day\", \"transform\": \"day\", \"source-id\": 2, \"field-id\": 1000}]}";

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-plan: %s: %s\n", what, e ? e->message : "?");
	return 1;
}

/* A bound's serialized bytes, kept in `store` (one per bound of a file). */
static void put_bound(ice_metric_bound *b, int32_t id, ice_literal v, uint8_t *store)
{
	size_t len = 0;
	ice_literal_to_bytes(&v, store, 64, &len);
	b->field_id = id;
	b->bytes.data = store;
	b->bytes.len = len;
	b->value = v;
}

static int gen(const char *dir, int nmanifests, int per_manifest)
{
	ice_io *io = NULL;
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_manifest_list_writer *lw = NULL;
	char path[4096], list_path[4096];
	const int64_t snapshot_id = 3051729675574597004LL;
	const int64_t commit_ms = INT64_C(1735689600000); /* 2025-01-01 */
	int64_t next_id = 0, total_records = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/metadata", dir);
	if (!strstr(dir, "://")) { /* a local directory; object stores need none */
		mkdir(dir, 0755);
		mkdir(path, 0755);
	}
	if (ice_io_new(&io) || ice_schema_from_json(&schema, SCHEMA_JSON, strlen(SCHEMA_JSON), "schema") ||
	    ice_partition_spec_from_json(&spec, SPEC_JSON, strlen(SPEC_JSON), "spec"))
		return fail("setup");
	snprintf(list_path, sizeof(list_path), "%s/metadata/snap-%" PRId64 "-1-bench.avro", dir, snapshot_id);
	ice_manifest_list_writer_options lo;
	ice_manifest_list_writer_options_init(&lo);
	lo.format_version = 2;
	lo.snapshot_id = snapshot_id;
	lo.sequence_number = 1;
	if ((rc = ice_manifest_list_writer_open(&lw, io, list_path, &lo)) != 0)
		return fail(list_path);

	for (int m = 0; m < nmanifests; m++) {
		ice_manifest_writer *w = NULL;
		ice_manifest_file *mf = NULL;
		ice_manifest_writer_options o;
		int32_t day = START_DAY + m;
		ice_manifest_writer_options_init(&o);
		o.format_version = 2;
		o.has_snapshot_id = true;
		o.snapshot_id = snapshot_id;
		o.schema = schema;
		o.spec = spec;
		o.keep_metrics = true;
		snprintf(path, sizeof(path), "%s/metadata/bench-m%04d.avro", dir, m);
		if ((rc = ice_manifest_writer_open(&w, io, path, NULL, &o)) != 0)
			return fail(path);
		for (int f = 0; f < per_manifest; f++) {
			ice_data_file df;
			ice_literal part = {ICE_TYPE_DATE, false, 0, {0}};
			ice_metric_count values[4], nulls[4], nans[1], sizes[4];
			ice_metric_bound lower[4], upper[4];
			uint8_t store[8][64];
			char file_path[512], cat_lo[16], cat_hi[16];
			int64_t records = 500 + (int64_t)(next_rand() % 1000);
			int64_t nnull = (int64_t)(next_rand() % 20);
			int64_t t0 = (int64_t)day * DAY_US + (int64_t)(next_rand() % (uint64_t)(DAY_US / 2));
			int64_t t1 = t0 + (int64_t)(next_rand() % (uint64_t)(DAY_US / 2));
			double v0 = (double)(next_rand() % 100000) / 100.0, v1 = v0 + (double)(next_rand() % 100000) / 100.0;
			int c0 = (int)(next_rand() % 50), c1 = c0 + (int)(next_rand() % 50);

			memset(&df, 0, sizeof(df));
			part.v.i32 = day;
			snprintf(file_path, sizeof(file_path), "%s/data/ts_day=%d/%05d-%06d-bench.parquet", dir, (int)day, m, f);
			df.content = ICE_FILE_CONTENT_DATA;
			df.file_path = file_path;
			df.file_format = "PARQUET";
			df.partition_spec_id = 0;
			df.n_partition = 1;
			df.partition = &part;
			df.record_count = records;
			df.file_size_in_bytes = records * 37 + 4096;
			for (int c = 0; c < 4; c++) {
				values[c] = (ice_metric_count){c + 1, records};
				nulls[c] = (ice_metric_count){c + 1, c == 0 ? 0 : nnull};
				sizes[c] = (ice_metric_count){c + 1, records * (c == 3 ? 6 : 8)};
			}
			nans[0] = (ice_metric_count){3, (int64_t)(next_rand() % 3)};
			df.column_sizes = (ice_metric_counts){true, 4, sizes};
			df.value_counts = (ice_metric_counts){true, 4, values};
			df.null_value_counts = (ice_metric_counts){true, 4, nulls};
			df.nan_value_counts = (ice_metric_counts){true, 1, nans};
			ice_literal lid = ice_literal_long(next_id), hid = ice_literal_long(next_id + records - 1);
			ice_literal lts = {ICE_TYPE_TIMESTAMPTZ, false, 0, {0}}, hts = lts;
			lts.v.i64 = t0;
			hts.v.i64 = t1;
			ice_literal lv = {ICE_TYPE_DOUBLE, false, 0, {0}}, hv = lv;
			lv.v.f64 = v0;
			hv.v.f64 = v1;
			snprintf(cat_lo, sizeof(cat_lo), "cat-%02d", c0);
			snprintf(cat_hi, sizeof(cat_hi), "cat-%02d", c1);
			put_bound(&lower[0], 1, lid, store[0]);
			put_bound(&upper[0], 1, hid, store[1]);
			put_bound(&lower[1], 2, lts, store[2]);
			put_bound(&upper[1], 2, hts, store[3]);
			put_bound(&lower[2], 3, lv, store[4]);
			put_bound(&upper[2], 3, hv, store[5]);
			put_bound(&lower[3], 4, ice_literal_string(cat_lo, strlen(cat_lo)), store[6]);
			put_bound(&upper[3], 4, ice_literal_string(cat_hi, strlen(cat_hi)), store[7]);
			df.lower_bounds = (ice_metric_bounds){true, 4, lower};
			df.upper_bounds = (ice_metric_bounds){true, 4, upper};
			next_id += records;
			total_records += records;
			if ((rc = ice_manifest_writer_add(w, &df, -1)) != 0)
				return fail(file_path);
		}
		if ((rc = ice_manifest_writer_close(w, &mf)) != 0)
			return fail(path);
		rc = ice_manifest_list_writer_add(lw, mf);
		ice_manifest_file_free(mf);
		if (rc)
			return fail("manifest list");
	}
	if ((rc = ice_manifest_list_writer_close(lw, NULL)) != 0)
		return fail(list_path);

	/* the metadata file (format v2, one snapshot) */
	snprintf(path, sizeof(path), "%s/metadata/v1.metadata.json", dir);
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	if (!f)
		return fail(path);
	fprintf(f,
	        "{\"format-version\": 2, \"table-uuid\": \"4a6f3b1c-2d5e-4f60-8a71-9b82c3d4e5f6\", \"location\": \"%s\",\n"
	        "\"last-sequence-number\": 1, \"last-updated-ms\": %" PRId64 ", \"last-column-id\": 4,\n"
	        "\"current-schema-id\": 0, \"schemas\": [%s],\n"
	        "\"default-spec-id\": 0, \"partition-specs\": [%s], \"last-partition-id\": 1000,\n"
	        "\"default-sort-order-id\": 0, \"sort-orders\": [{\"order-id\": 0, \"fields\": []}],\n"
	        "\"properties\": {}, \"current-snapshot-id\": %" PRId64 ",\n"
	        "\"refs\": {\"main\": {\"snapshot-id\": %" PRId64 ", \"type\": \"branch\"}},\n"
	        "\"snapshots\": [{\"snapshot-id\": %" PRId64 ", \"sequence-number\": 1, \"timestamp-ms\": %" PRId64 ",\n"
	        "  \"summary\": {\"operation\": \"append\", \"added-data-files\": \"%d\", \"added-records\": \"%" PRId64 "\","
	        " \"total-data-files\": \"%d\", \"total-records\": \"%" PRId64 "\", \"total-delete-files\": \"0\","
	        " \"total-position-deletes\": \"0\", \"total-equality-deletes\": \"0\"},\n"
	        "  \"manifest-list\": \"%s\", \"schema-id\": 0}],\n"
	        "\"snapshot-log\": [{\"timestamp-ms\": %" PRId64 ", \"snapshot-id\": %" PRId64 "}],\n"
	        "\"metadata-log\": []}\n",
	        dir, commit_ms, SCHEMA_JSON, SPEC_JSON, snapshot_id, snapshot_id, snapshot_id, commit_ms,
	        nmanifests * per_manifest, total_records, nmanifests * per_manifest, total_records, list_path, commit_ms,
	        snapshot_id);
	fclose(f);
	/* Through the io, so DIR may be s3://... as well as a directory. */
	rc = ice_io_write_new(io, path, text, text_len);
	free(text);
	if (rc)
		return fail(path);
	snprintf(path, sizeof(path), "%s/metadata/version-hint.text", dir);
	if (ice_io_write_new(io, path, "1\n", 2) != 0)
		return fail(path);
	printf("{\"data_files\": %d, \"manifests\": %d, \"records\": %" PRId64 "}\n", nmanifests * per_manifest,
	       nmanifests, total_records);
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	ice_io_free(io);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int plan(const char *metadata, const char *where, size_t threads, int runs)
{
	double times[64];
	int64_t tasks = 0;
	ice_scan_stats stats;
	memset(&stats, 0, sizeof(stats));
	if (runs < 1 || runs > 64)
		runs = 3;
	for (int r = 0; r < runs; r++) {
		ice_io *io = NULL;
		ice_table_metadata *md = NULL;
		ice_scan *scan = NULL;
		ice_scan_planner *p = NULL;
		const ice_scan_task *t;
		ice_scan_options o;
		int rc;
		double t0 = now();
		if (ice_io_new(&io) || ice_table_metadata_load(&md, io, metadata, NULL))
			return fail(metadata);
		ice_scan_options_init(&o);
		o.filter = where && *where ? where : NULL;
		o.threads = threads;
		if (ice_scan_new(&scan, io, md, &o) || ice_scan_plan_open(&p, scan))
			return fail("plan");
		tasks = 0;
		while ((rc = ice_scan_plan_next(p, &t)) == 0)
			tasks++;
		if (rc != ICE_ITEROVER)
			return fail("plan");
		ice_scan_plan_free(p);
		times[r] = now() - t0;
		ice_scan_get_stats(scan, &stats);
		ice_scan_free(scan);
		ice_table_metadata_free(md);
		ice_io_free(io);
	}
	double best = times[0];
	for (int r = 1; r < runs; r++)
		if (times[r] < best)
			best = times[r];
	qsort(times, (size_t)runs, sizeof(double), cmp_double);
	ice_json_writer *w;
	const char *text;
	size_t len;
	if (ice_json_writer_new(&w, ICE_JSON_COMPACT))
		return fail("json");
	ice_json_begin_object(w);
	ice_json_key(w, "tasks");
	ice_json_int(w, tasks);
	ice_json_key(w, "best_s");
	ice_json_double(w, best);
	ice_json_key(w, "median_s");
	ice_json_double(w, times[runs / 2]);
	ice_json_key(w, "stats");
	ice_scan_stats_write_json(&stats, w);
	ice_json_end_object(w);
	if (ice_json_writer_finish(w, &text, &len))
		return fail("json");
	printf("%.*s\n", (int)len, text);
	ice_json_writer_free(w);
	return 0;
}

int main(int argc, char **argv)
{
	/* the allocator settings `ice` runs its commands with (ice/alloc.h) */
	ice_allocator_tune_c_library();
	if (argc >= 3 && !strcmp(argv[1], "gen"))
		return gen(argv[2], argc > 3 ? atoi(argv[3]) : 1000, argc > 4 ? atoi(argv[4]) : 1000);
	if (argc >= 3 && !strcmp(argv[1], "plan"))
		return plan(argv[2], argc > 3 ? argv[3] : "", argc > 4 ? (size_t)atoi(argv[4]) : 0,
		            argc > 5 ? atoi(argv[5]) : 3);
	fprintf(stderr, "usage: bench-plan gen DIR [MANIFESTS [FILES]] | plan METADATA [WHERE] [THREADS] [RUNS]\n");
	return 2;
}
