/*
 * tests/unit/table/test_write_faults.c - every allocation of the write path
 * failing in turn: the CSV reader, appends from CSV (every type, values
 * converted from text), JSON Lines (nested values) and Parquet input, a
 * full partitioned append, add-files, and the catalog's namespace and
 * table operations. Each failure must be clean: an error, no leak, no
 * crash, and nothing left behind - the table still has only its first
 * version, and no data file, manifest or manifest list survives.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ice.h"
#include "ingest/csv.h"
#include "test.h"

/* Fault loops write many small files: a memory file system when there is one. */
static const char *scratch_dir(const char *tag)
{
	static char dir[128];
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/ice-write-faults-%s-XXXXXX", base, tag);
	return mkdtemp(dir);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Files below `dir` whose names end with `suffix`, recursively. */
static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			n += count_files(path, suffix);
		} else {
			size_t a = strlen(e->d_name), b = strlen(suffix);
			n += a >= b && strcmp(e->d_name + a - b, suffix) == 0;
		}
	}
	closedir(d);
	return n;
}

/* "PARTITION" or "PARTITION|SORT ORDER" (either may be empty). */
static int create_table(ice_io *io, const char *dir, const char *schema_text, const char *partition)
{
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_sort_order *order = NULL;
	ice_table_create_options opts;
	ice_table *t = NULL;
	char part[256] = "", *sort = NULL;
	int rc = ice_schema_parse_dsl(&schema, schema_text);
	if (partition) {
		snprintf(part, sizeof(part), "%s", partition);
		if ((sort = strchr(part, '|')) != NULL)
			*sort++ = '\0';
	}
	if (!rc)
		rc = ice_partition_spec_parse_dsl(&spec, part, schema);
	if (!rc && sort)
		rc = ice_sort_order_parse_dsl(&order, sort, schema);
	if (!rc) {
		ice_table_create_options_init(&opts);
		opts.schema = schema;
		opts.spec = spec;
		opts.sort_order = order;
		opts.location = dir;
		rc = ice_table_create(&t, NULL, io, dir, &opts);
	}
	ice_table_free(t);
	ice_sort_order_free(order);
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	return rc;
}

/* ---- the CSV reader ---------------------------------------------------------------- */

static int read_all_csv(ice_io *io, const char *path, size_t *records, size_t *fields)
{
	csv_reader *r;
	csv_record rec;
	int rc = ice_csv__open(&r, io, path, ',');
	*records = *fields = 0;
	if (rc)
		return rc;
	while ((rc = ice_csv__next(r, &rec)) == 0) {
		(*records)++;
		*fields += rec.n;
	}
	ice_csv__free(r);
	return rc == ICE_ITEROVER ? 0 : rc;
}

TEST(test_table_faults__csv_reader_every_allocation)
{
	ice_io *io;
	const char *dir = scratch_dir("csv");
	char path[256];
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	snprintf(path, sizeof(path), "%s/in.csv", dir);
	/* quoting, doubled quotes, a line break inside quotes, CRLF, an empty
	 * field, many fields (the field arrays grow), and a record longer than
	 * the reader's first buffer (it grows) */
	FILE *f = fopen(path, "wb");
	CHECK(f);
	fputs("a,b,c\r\n1,\"x, \"\"y\"\"\",\"multi\nline\"\r\n2,,z\n", f);
	for (int i = 0; i < 100; i++)
		fprintf(f, "%d,", i);
	fputs("end\n3,\"", f);
	for (int i = 0; i < (3 << 18); i++)
		fputs("long", f);
	fputs("\",w\n", f);
	fclose(f);
	size_t want_records, want_fields, records, fields;
	CHECK_OK(read_all_csv(io, path, &want_records, &want_fields));
	CHECK_INT(want_records, 5);
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = read_all_csv(io, path, &records, &fields);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			CHECK_INT(records, want_records);
			CHECK_INT(fields, want_fields);
			break;
		}
		CHECK_MSG(rc == ICE_ERROR && ice_error_last(), "allocation %llu failed: rc %d", (unsigned long long)n, rc);
		CHECK(n < 1000);
	}
	ice_io_free(io);
	rm_tree(dir);
	ice_error_clear();
}

/* ---- appends -------------------------------------------------------------------------- */

/*
 * Append `input` to the table in `dir` with allocation n failing, for
 * every n until the append no longer fails: after each failure the table
 * is as it was (one version, no data file, manifest or list).
 */
static void append_every_failure(ice_io *io, const char *dir, const char *schema, const char *partition,
                                 const char *input, const ice_write_options *wo, int64_t want_rows)
{
	char data[300], metadata[300];
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(metadata, sizeof(metadata), "%s/metadata", dir);
	for (uint64_t n = 1;; n++) {
		ice_table *t;
		ice_write_report report;
		int64_t before = ice_alloc_outstanding();
		CHECK_OK(ice_table_open(&t, io, dir));
		ice_alloc_fail_at(n, false);
		int rc = ice_table_append_files(t, &input, 1, wo, NULL, &report, NULL);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_table_free(t);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			CHECK_INT(report.rows, want_rows);
			break;
		}
		if (rc == 0) {
			/* A best-effort step failed (version-hint.text, removing a
			 * merged manifest): the append is whole; start again. */
			CHECK_INT(report.rows, want_rows);
			CHECK_OK(ice_table_open(&t, io, dir));
			CHECK(ice_table_metadata_current_snapshot(ice_table_current(t)) != NULL);
			ice_table_free(t);
			rm_tree(dir);
			CHECK_OK(create_table(io, dir, schema, partition));
			continue;
		}
		CHECK_MSG(ice_error_last() != NULL, "allocation %llu: no error", (unsigned long long)n);
		/* Out of memory says where, as every error does: the input, or a
		 * file of the table. */
		const char *msg = ice_error_last()->message;
		CHECK_MSG(strstr(msg, input) || strstr(msg, dir), "allocation %llu: the error names no file: %s",
		          (unsigned long long)n, msg);
		/* nothing committed, nothing left behind */
		CHECK_MSG(count_files(metadata, ".metadata.json") == 1, "allocation %llu: a version was published",
		          (unsigned long long)n);
		CHECK_MSG(count_files(data, ".parquet") == 0, "allocation %llu: a data file was left",
		          (unsigned long long)n);
		CHECK_MSG(count_files(metadata, ".avro") == 0, "allocation %llu: a manifest was left",
		          (unsigned long long)n);
		CHECK(n < 200000);
	}
	ice_table *t;
	CHECK_OK(ice_table_open(&t, io, dir));
	CHECK(ice_table_metadata_current_snapshot(ice_table_current(t)) != NULL);
	ice_table_free(t);
}

static const char *every_type =
    "id long required, b boolean, i int, f float, d double, dec decimal(10,2), dt date, tm time, "
    "ts timestamp, tstz timestamptz, s string, u uuid, fx fixed[4], bin binary, "
    "tags list<string>, m map<string, long>, st struct<x: int, y: string>";

TEST(test_table_faults__append_csv_every_allocation)
{
	ice_io *io;
	const char *dir = scratch_dir("append-csv");
	char table[256], input[256];
	ice_write_options wo;
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	snprintf(table, sizeof(table), "%s/t", dir);
	snprintf(input, sizeof(input), "%s/in.csv", dir);
	const char *partition = "month(dt), bucket(4, id), truncate(2, s)";
	CHECK_OK(create_table(io, table, every_type, partition));
	write_text(input, "id,b,i,f,d,dec,dt,tm,ts,tstz,s,u,fx,bin,tags,m,st\n"
	                  "1,true,-3,1.5,2.25,12.34,2024-01-15,12:00:01,2024-01-01T10:00:00,2024-01-01T10:00:00Z,"
	                  "abc,f79c3e09-677c-4bbd-a479-3f349cb785e7,00010203,ff00,\"[\"\"a\"\",\"\"b\"\"]\","
	                  "\"{\"\"k\"\": 1}\",\"{\"\"x\"\": 1, \"\"y\"\": \"\"q\"\"}\"\n"
	                  "2,false,7,NaN,-inf,-0.50,2024-03-01,23:59:59.999999,2023-12-31 23:00:00,"
	                  "2024-02-29T23:30:00+01:00,\"x,y\",f79c3e09-677c-4bbd-a479-3f349cb785e8,0a0b0c0d,,[],{},\n"
	                  "3,,,,,,,,,,,,,,,,\n");
	ice_write_options_init(&wo);
	append_every_failure(io, table, every_type, partition, input, &wo, 3);
	ice_io_free(io);
	rm_tree(dir);
	ice_error_clear();
}

TEST(test_table_faults__append_jsonl_every_allocation)
{
	ice_io *io;
	const char *dir = scratch_dir("append-jsonl");
	char table[256], input[256];
	ice_write_options wo;
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	snprintf(table, sizeof(table), "%s/t", dir);
	snprintf(input, sizeof(input), "%s/in.jsonl", dir);
	const char *schema = "id long required, s string, dec decimal(9,3), ts timestamptz, "
	                     "tags list<struct<k: string, v: list<int>>>, m map<string, struct<a: double>>, "
	                     "st struct<x: int, inner: struct<y: string, z: list<long>>>";
	CHECK_OK(create_table(io, table, schema, "identity(s)"));
	write_text(input, "{\"id\": 1, \"s\": \"a\", \"dec\": 1.5, \"ts\": \"2024-01-01T00:00:00Z\", "
	                  "\"tags\": [{\"k\": \"x\", \"v\": [1, 2, null]}, {\"k\": null, \"v\": []}], "
	                  "\"m\": {\"p\": {\"a\": 0.5}, \"q\": null}, "
	                  "\"st\": {\"x\": 3, \"inner\": {\"y\": \"deep\", \"z\": [9, 8]}}}\n"
	                  "\n"
	                  "{\"id\": 2, \"s\": \"b\", \"dec\": \"-2.125\", \"tags\": null, \"st\": {\"x\": null}}\n"
	                  "{\"id\": 3}\n");
	ice_write_options_init(&wo);
	append_every_failure(io, table, schema, "identity(s)", input, &wo, 3);
	ice_io_free(io);
	rm_tree(dir);
	ice_error_clear();
}

/* The data file the table's first snapshot wrote (for Parquet input). */
static bool first_data_file(const char *dir, char *out, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;
	if (!d)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		char path[768];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			found = first_data_file(path, out, cap);
		else if (strstr(e->d_name, ".parquet")) {
			snprintf(out, cap, "%s", path);
			found = true;
		}
	}
	closedir(d);
	return found;
}

TEST(test_table_faults__append_parquet_and_add_files_every_allocation)
{
	ice_io *io;
	const char *dir = scratch_dir("append-parquet");
	char src[256], table[256], input[256], data[300], parquet[1024];
	ice_write_options wo;
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(table, sizeof(table), "%s/t", dir);
	snprintf(input, sizeof(input), "%s/in.csv", dir);
	/* a Parquet file to read: one the write path wrote */
	CHECK_OK(create_table(io, src, "id int, s string, d date, dec decimal(12,2), n string", NULL));
	write_text(input, "id,s,d,dec,n\n1,a,2024-01-01,1.25,7\n2,,2024-02-01,,\n3,c,,-7.00,-1\n");
	ice_table *t;
	ice_write_options_init(&wo);
	CHECK_OK(ice_table_open(&t, io, src));
	CHECK_OK(ice_table_append_files(t, (const char *const[]){input}, 1, &wo, NULL, NULL, NULL));
	ice_table_free(t);
	snprintf(data, sizeof(data), "%s/data", src);
	CHECK(first_data_file(data, parquet, sizeof(parquet)));
	/* read into tables whose types differ (int widened, decimal relabelled,
	 * n parsed from text, a column missing), partitioned, then sorted */
	const char *types = "id long, s string, d timestamp, dec decimal(14,2), n int, extra double";
	CHECK_OK(create_table(io, table, types, "month(d)"));
	append_every_failure(io, table, types, "month(d)", parquet, &wo, 3);
	char sorted[256];
	snprintf(sorted, sizeof(sorted), "%s/sorted", dir);
	CHECK_OK(create_table(io, sorted, types, "|s desc nulls last, id"));
	append_every_failure(io, sorted, types, "|s desc nulls last, id", parquet, &wo, 3);
	/* add-files of a file in one partition, into an unpartitioned table */
	char added[256];
	snprintf(added, sizeof(added), "%s/added", dir);
	CHECK_OK(create_table(io, added, "id long, s string, d date, dec decimal(12,2), n string", NULL));
	for (uint64_t n = 1;; n++) {
		const char *files[] = {parquet};
		int64_t before = ice_alloc_outstanding();
		CHECK_OK(ice_table_open(&t, io, added));
		ice_alloc_fail_at(n, false);
		int rc = ice_table_add_files(t, files, 1, NULL, NULL, NULL);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_table_free(t);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			break;
		}
		if (rc == 0) { /* a best-effort step failed: start again */
			rm_tree(added);
			CHECK_OK(create_table(io, added, "id long, s string, d date, dec decimal(12,2), n string", NULL));
			continue;
		}
		CHECK_MSG(ice_error_last() != NULL, "allocation %llu: no error", (unsigned long long)n);
		snprintf(data, sizeof(data), "%s/metadata", added);
		CHECK(count_files(data, ".metadata.json") == 1);
		CHECK(count_files(data, ".avro") == 0);
		CHECK(n < 100000);
	}
	ice_io_free(io);
	rm_tree(dir);
	ice_error_clear();
}

/* ---- the catalog ------------------------------------------------------------------------ */

/* Namespaces with properties, a table created, listed, loaded and dropped
 * with --purge, the namespace dropped. */
static int catalog_round(ice_io *io, const char *warehouse)
{
	ice_catalog *c = NULL;
	ice_string_list list = {0, NULL};
	ice_properties props = {0, NULL};
	ice_table *t = NULL;
	ice_schema *schema = NULL;
	ice_table_create_options opts;
	bool exists = false;
	ice_property kv[] = {{"owner", "me"}, {"k", "v"}};
	ice_properties set = {2, kv};
	const char *remove[] = {"owner"};
	int rc = ice_catalog_open(&c, io, warehouse);
	if (rc)
		return rc;
	if ((rc = ice_catalog_create_namespace(c, "db", &set)) != 0 ||
	    (rc = ice_catalog_create_namespace(c, "db.sub", NULL)) != 0 ||
	    (rc = ice_catalog_list_namespaces(c, "db", &list)) != 0)
		goto done;
	ice_string_list_free(&list);
	if ((rc = ice_catalog_update_namespace_properties(c, "db", &set, remove, 1)) != 0 ||
	    (rc = ice_catalog_load_namespace_properties(c, "db", &props)) != 0)
		goto done;
	ice_catalog_properties_free(&props);
	if ((rc = ice_schema_parse_dsl(&schema, "id long, s string")) != 0)
		goto done;
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	if ((rc = ice_table_create(&t, c, io, "db.t", &opts)) != 0)
		goto done;
	ice_table_free(t);
	t = NULL;
	if ((rc = ice_catalog_list_tables(c, "db", &list)) != 0)
		goto done;
	ice_string_list_free(&list);
	if ((rc = ice_catalog_table_exists(c, "db.t", &exists)) != 0 || (rc = ice_table_load(&t, c, "db.t")) != 0)
		goto done;
	if ((rc = ice_catalog_drop_table(c, "db.t", true, NULL)) != 0 ||
	    (rc = ice_catalog_drop_namespace(c, "db.sub")) != 0 || (rc = ice_catalog_drop_namespace(c, "db")) != 0)
		goto done;
	rc = exists ? 0 : ICE_ERROR;
done:
	ice_string_list_free(&list);
	ice_catalog_properties_free(&props);
	ice_table_free(t);
	ice_schema_free(schema);
	ice_catalog_free(c);
	return rc;
}

TEST(test_table_faults__catalog_operations_every_allocation)
{
	ice_io *io;
	const char *dir = scratch_dir("catalog");
	char warehouse[256];
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	snprintf(warehouse, sizeof(warehouse), "%s/wh", dir);
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = catalog_round(io, warehouse);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		rm_tree(warehouse);
		if (!injected) {
			CHECK_OK(rc);
			break;
		}
		/* a best-effort step (version-hint.text) may fail: the round
		 * checks its own results, so success is whole */
		CHECK_MSG(rc == 0 || ice_error_last(), "allocation %llu: no error", (unsigned long long)n);
		CHECK(n < 100000);
	}
	ice_io_free(io);
	rm_tree(dir);
	ice_error_clear();
}
