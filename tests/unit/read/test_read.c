/*
 * Unit tests of reading rows (lib/scan: arrow_build.c, arrow_ops.c,
 * project.c, read.c, read_deletes.c, stream.c): the Arrow kernels on every
 * layout (constants, conversions, taking rows), whole scans of fixture
 * tables with each kind of delete, name mappings, defaults and nested
 * types, the same rows in the same order on 1 and 4 threads, limits,
 * hostile files, and every allocation failure of a scan with deletes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ice.h"
#include "ice/scan.h"
#include "scan/read.h"
#include "test.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static ice_io *fixture_io(void)
{
	static const char *maps[][2] = {
		{"file://data/persistent/", "tables/duckdb-iceberg/"},
		{"data/persistent/", "tables/duckdb-iceberg/"},
		{"lineitem_iceberg/", "tables/duckdb-iceberg/iceberg/lineitem_iceberg/"},
		{"s3a://warehouse/", "tables/iceberg-cxx/"},
		{"s3://warehouse/", "tables/iceberg-cxx/"},
	};
	ice_io *io;
	if (ice_io_new(&io) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		char to[1024];
		snprintf(to, sizeof(to), "%s/%s", ice_test_fixtures(), maps[i][1]);
		if (ice_io_add_path_map(io, maps[i][0], to) != 0) {
			ice_io_free(io);
			return NULL;
		}
	}
	return io;
}

/* Every row of a stream as compact JSON lines, in order. */
static int stream_text(struct ArrowArrayStream *st, char **text_out, int64_t *rows_out)
{
	struct ArrowSchema schema;
	ice_json_writer *w = NULL;
	size_t len = 0, cap = 0;
	char *text = NULL;
	int rc;
	*text_out = NULL;
	*rows_out = 0;
	if (st->get_schema(st, &schema) != 0)
		return ICE_ERROR;
	for (;;) {
		struct ArrowArray b;
		if (st->get_next(st, &b) != 0) {
			const char *msg = st->get_last_error(st);
			rc = ice_error_set(ICE_ERROR, "%s", msg ? msg : "(no message)");
			goto done;
		}
		if (!b.release)
			break;
		for (int64_t r = 0; r < b.length; r++) {
			const char *t;
			size_t n;
			if ((rc = ice_json_writer_new(&w, ICE_JSON_COMPACT)) != 0 ||
			    (rc = ice_arrow_write_json_row(w, &schema, &b, r)) != 0 ||
			    (rc = ice_json_writer_finish(w, &t, &n)) != 0) {
				b.release(&b);
				goto done;
			}
			if (len + n + 2 > cap) {
				cap = (len + n + 2) * 2;
				text = realloc(text, cap);
			}
			memcpy(text + len, t, n);
			len += n;
			text[len++] = '\n';
			text[len] = '\0';
			ice_json_writer_free(w);
			w = NULL;
		}
		*rows_out += b.length;
		b.release(&b);
	}
	rc = 0;
	*text_out = text ? text : strdup("");
	text = NULL;
done:
	ice_json_writer_free(w);
	free(text);
	schema.release(&schema);
	return rc;
}

typedef struct scan_result {
	char *text;
	int64_t rows;
	ice_scan_stats stats;
} scan_result;

/* Scan loaded metadata with options. */
static int scan_md(ice_io *io, const ice_table_metadata *md, const ice_scan_options *opts, scan_result *out)
{
	ice_scan *scan = NULL;
	struct ArrowArrayStream st;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = ice_scan_new(&scan, io, md, opts)) == 0 && (rc = ice_scan_to_stream(scan, &st)) == 0) {
		rc = stream_text(&st, &out->text, &out->rows);
		st.release(&st);
		ice_scan_get_stats(scan, &out->stats);
	}
	ice_scan_free(scan);
	return rc;
}

/* Scan a fixture table (relative to fixtures/) with options. */
static int scan_table(const char *rel, const ice_scan_options *opts, scan_result *out)
{
	ice_io *io = fixture_io();
	ice_table_metadata *md = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!io)
		return ICE_ERROR;
	if ((rc = ice_table_metadata_load(&md, io, ice_test_fixture(rel), NULL)) == 0)
		rc = scan_md(io, md, opts, out);
	ice_table_metadata_free(md);
	ice_io_free(io);
	return rc;
}

static ice_scan_options options(size_t threads)
{
	ice_scan_options o;
	ice_scan_options_init(&o);
	o.threads = threads;
	return o;
}

/* ---- kernels -------------------------------------------------------------------------------- */

static char *render(const struct ArrowSchema *s, const struct ArrowArray *a)
{
	static char out[4096];
	size_t len = 0;
	for (int64_t i = 0; i < a->length; i++) {
		char *v = NULL;
		if (ice_arrow_value_to_string(&v, s, a, i) != 0)
			return NULL;
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "|" : "", v ? v : "null");
		ice_free(v);
	}
	out[len] = '\0';
	return out;
}

static int make_schema(struct ArrowSchema *out, const char *format)
{
	return ice_arrow__schema_make(out, format, "x", NULL, 0, ARROW_FLAG_NULLABLE, 0, NULL);
}

/* An int32 array 0..n-1 with every third value null. */
static int make_ints(struct ArrowArray *out, int64_t n)
{
	int32_t *v = ice__malloc((size_t)n * 4 + 4);
	uint8_t *valid = ice__calloc((size_t)(n + 7) / 8 + 1, 1);
	int64_t nulls = 0;
	if (!v || !valid)
		return ICE_ERROR;
	for (int64_t i = 0; i < n; i++) {
		v[i] = (int32_t)i;
		if (i % 3 == 2)
			nulls++;
		else
			valid[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	void *bufs[2] = {valid, v};
	return ice_arrow__array_make(out, n, nulls, 0, 2, bufs, 3, 0, NULL, NULL);
}

TEST(test_read_kernels__take_and_convert)
{
	struct ArrowSchema si, sl;
	struct ArrowArray a, t, c;
	bool converted;
	uint8_t keep[2] = {0x55, 0x01}; /* rows 0, 2, 4, 6, 8 */
	CHECK_OK(make_schema(&si, "i"));
	CHECK_OK(make_schema(&sl, "l"));
	CHECK_OK(make_ints(&a, 9));
	CHECK_STR(render(&si, &a), "0|1|null|3|4|null|6|7|null");
	CHECK_OK(ice_read__array_take(&t, &si, &a, 0, 9, keep));
	CHECK_STR(render(&si, &t), "0|null|4|6|null");
	CHECK_INT(t.null_count, 2);
	t.release(&t);
	CHECK_OK(ice_read__array_take(&t, &si, &a, 3, 4, NULL));
	CHECK_STR(render(&si, &t), "3|4|null|6");
	t.release(&t);
	/* promotion: int -> long keeps the nulls */
	CHECK_OK(ice_read__array_convert(&c, &converted, "i", "l", &a, NULL));
	CHECK(converted);
	CHECK_STR(render(&sl, &c), "0|1|null|3|4|null|6|7|null");
	c.release(&c);
	/* same layout: nothing to do; impossible ones refused */
	CHECK_OK(ice_read__array_convert(&c, &converted, "tsu:", "tsu:UTC", &a, NULL));
	CHECK(!converted);
	CHECK_RC(ice_read__array_convert(&c, &converted, "l", "i", &a, NULL), ICE_EUNSUPPORTED);
	CHECK_RC(ice_read__array_convert(&c, &converted, "u", "i", &a, NULL), ICE_EUNSUPPORTED);
	a.release(&a);
	si.release(&si);
	sl.release(&sl);

	/* temporal units: days, millis and nanos to micros (floored) */
	static const struct {
		const char *from, *to;
		int64_t in, out;
	} units[] = {
		{"tdD", "tsu:", 1, 86400000000LL}, {"tdD", "tsn:", -1, -86400000000000LL},
		{"tsm:", "tsu:UTC", 1500, 1500000}, {"tsn:", "tsu:", -1, -1},
		{"tsn:", "tsu:", 1999, 1}, {"ttm", "ttu", 2, 2000},
		{"tsu:", "tsn:", 3, 3000},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		rd_layout l = ice_read__layout(units[i].from);
		uint8_t *v = ice__malloc(8);
		CHECK(v);
		if (l.width == 4) {
			int32_t x = (int32_t)units[i].in;
			memcpy(v, &x, 4);
		} else {
			memcpy(v, &units[i].in, 8);
		}
		void *bufs[2] = {NULL, v};
		CHECK_OK(ice_arrow__array_make(&a, 1, 0, 0, 2, bufs, 2, 0, NULL, NULL));
		CHECK_OK(ice_read__array_convert(&c, &converted, units[i].from, units[i].to, &a, NULL));
		CHECK(converted);
		int64_t got;
		memcpy(&got, c.buffers[1], 8);
		CHECK_MSG(got == units[i].out, "%s -> %s: %lld", units[i].from, units[i].to, (long long)got);
		c.release(&c);
		a.release(&a);
	}
}

TEST(test_read_kernels__constants_of_every_type)
{
	static const char schema_json[] =
	    "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	    " {\"id\": 1, \"name\": \"b\", \"required\": false, \"type\": \"boolean\", \"initial-default\": true, \"write-default\": true},"
	    " {\"id\": 2, \"name\": \"i\", \"required\": false, \"type\": \"int\", \"initial-default\": 7, \"write-default\": 7},"
	    " {\"id\": 3, \"name\": \"l\", \"required\": false, \"type\": \"long\", \"initial-default\": -9, \"write-default\": 1},"
	    " {\"id\": 4, \"name\": \"d\", \"required\": false, \"type\": \"decimal(9, 2)\", \"initial-default\": \"-1.50\", \"write-default\": \"0.00\"},"
	    " {\"id\": 5, \"name\": \"dt\", \"required\": false, \"type\": \"date\", \"initial-default\": \"2024-01-31\", \"write-default\": \"2024-01-31\"},"
	    " {\"id\": 6, \"name\": \"ts\", \"required\": false, \"type\": \"timestamptz\", \"initial-default\": \"2024-01-31T10:00:00.000001+00:00\", \"write-default\": \"2024-01-31T10:00:00.000001+00:00\"},"
	    " {\"id\": 7, \"name\": \"s\", \"required\": false, \"type\": \"string\", \"initial-default\": \"hé\", \"write-default\": \"x\"},"
	    " {\"id\": 8, \"name\": \"u\", \"required\": false, \"type\": \"uuid\", \"initial-default\": \"f79c3e09-677c-4bbd-a479-3f349cb785e7\", \"write-default\": \"f79c3e09-677c-4bbd-a479-3f349cb785e7\"},"
	    " {\"id\": 9, \"name\": \"f\", \"required\": false, \"type\": \"fixed[2]\", \"initial-default\": \"0aff\", \"write-default\": \"0aff\"},"
	    " {\"id\": 10, \"name\": \"g\", \"required\": false, \"type\": \"double\", \"initial-default\": 2.5, \"write-default\": 2.5},"
	    " {\"id\": 11, \"name\": \"st\", \"required\": false, \"initial-default\": {}, \"write-default\": {}, \"type\": {\"type\": \"struct\", \"fields\": ["
	    "   {\"id\": 12, \"name\": \"x\", \"required\": false, \"type\": \"int\", \"initial-default\": 3, \"write-default\": 3},"
	    "   {\"id\": 13, \"name\": \"y\", \"required\": false, \"type\": \"string\"}]}},"
	    " {\"id\": 14, \"name\": \"li\", \"required\": false, \"type\": {\"type\": \"list\", \"element-id\": 15, \"element\": \"int\", \"element-required\": false}},"
	    " {\"id\": 16, \"name\": \"m\", \"required\": false, \"type\": {\"type\": \"map\", \"key-id\": 17, \"key\": \"string\", \"value-id\": 18, \"value\": \"int\", \"value-required\": false}}]}";
	static const char *expect_default[] = {
		"true|true", "7|7", "-9|-9", "-1.50|-1.50", "2024-01-31|2024-01-31",
		"2024-01-31T10:00:00.000001+00:00|2024-01-31T10:00:00.000001+00:00", "hé|hé",
		"f79c3e09-677c-4bbd-a479-3f349cb785e7|f79c3e09-677c-4bbd-a479-3f349cb785e7", "0aff|0aff", "2.5|2.5",
		"{\"x\":3,\"y\":null}|{\"x\":3,\"y\":null}", "null|null", "null|null",
	};
	ice_schema *schema;
	CHECK_OK(ice_schema_from_json(&schema, schema_json, strlen(schema_json), "schema"));
	for (size_t i = 0; i < ice_schema_field_count(schema); i++) {
		const ice_field *f = ice_schema_field_at(schema, i);
		struct ArrowSchema s;
		struct ArrowArray a, t;
		CHECK_OK(ice_read__schema_for_field(&s, f));
		CHECK_OK(ice_read__array_const(&a, &s, f->type, NULL, 3));
		CHECK_INT(a.null_count, 3);
		CHECK_STR(render(&s, &a), "null|null|null");
		a.release(&a);
		CHECK_OK(ice_read__array_const(&a, &s, f->type, f->initial_default, 2));
		CHECK_MSG(!strcmp(render(&s, &a), expect_default[i]), "%s: %s", f->name, render(&s, &a));
		/* and taken through a mask */
		uint8_t keep = 0x02;
		CHECK_OK(ice_read__array_take(&t, &s, &a, 0, 2, &keep));
		CHECK_INT(t.length, 1);
		t.release(&t);
		a.release(&a);
		s.release(&s);
	}
	ice_schema_free(schema);
}

/* ---- scans of fixture tables ------------------------------------------------------------------- */

TEST(test_read_scan__deletion_vectors)
{
	scan_result r;
	ice_scan_options o = options(1);
	/* the bare vector deletes position 1 of 3 */
	CHECK_OK(scan_table("tables/duckdb-iceberg/legacy_bare_deletion_vector/warehouse/default/legacy_bare_deletion_vector",
	                    &o, &r));
	CHECK_INT(r.rows, 2);
	CHECK_INT(r.stats.rows_read, 3);
	CHECK_INT(r.stats.rows_deleted, 1);
	CHECK_INT(r.stats.rows_returned, 2);
	free(r.text);
	CHECK_OK(scan_table("tables/iceberg-cxx/deletion_vectors", &o, &r));
	CHECK_INT(r.rows, r.stats.rows_read - r.stats.rows_deleted);
	CHECK(r.stats.rows_deleted > 0);
	free(r.text);
}

TEST(test_read_scan__position_and_equality_deletes)
{
	static const char *tables[] = {
		"tables/iceberg-cxx/granular_deletes",
		"tables/iceberg-cxx/dangling_deletes",
		"tables/iceberg-cxx/prod/db/refdeletes3",
		"tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable",
		"tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable_partitioned",
	};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		scan_result r, r4;
		ice_scan_options o = options(1), o4 = options(4);
		CHECK_MSG(scan_table(tables[i], &o, &r) == 0, "%s: %s", tables[i], LAST_ERROR());
		CHECK_INT(r.rows, r.stats.rows_returned);
		CHECK_INT(r.rows, r.stats.rows_read - r.stats.rows_deleted);
		/* dangling_deletes: its delete files name data files that are gone */
		CHECK_MSG(r.stats.rows_deleted > 0 || strstr(tables[i], "dangling"), "%s deletes nothing", tables[i]);
		/* the same rows in the same order on four threads */
		CHECK_OK(scan_table(tables[i], &o4, &r4));
		CHECK_STR(r4.text, r.text);
		free(r.text);
		free(r4.text);
	}
}

TEST(test_read_scan__name_mapping_and_defaults)
{
	scan_result r;
	ice_scan_options o = options(1);
	/* files without field ids: columns found through the name mapping */
	CHECK_OK(scan_table("tables/duckdb-iceberg/column_mapping/warehouse/default.db/my_table", &o, &r));
	CHECK_INT(r.rows, 3);
	CHECK(strstr(r.text, "\"profile\":{\"email\":") != NULL);
	CHECK(strstr(r.text, "\"email\":null") == NULL || strstr(r.text, "\"email\":\"") != NULL);
	free(r.text);
	/* a column added with an initial-default reads it in older files */
	CHECK_OK(scan_table("tables/duckdb-iceberg/add_columns_with_defaults/default.db/add_columns_with_defaults", &o, &r));
	CHECK_INT(r.rows, 3);
	free(r.text);
}

TEST(test_read_scan__limit_and_threads)
{
	scan_result all, some, some4;
	ice_scan_options o = options(1);
	CHECK_OK(scan_table("tables/duckdb-iceberg/iceberg/lineitem_iceberg", &o, &all));
	CHECK_INT(all.rows, 51793);
	o.limit = 1000;
	o.batch_size = 300;
	CHECK_OK(scan_table("tables/duckdb-iceberg/iceberg/lineitem_iceberg", &o, &some));
	CHECK_INT(some.rows, 1000);
	CHECK_INT(some.stats.rows_returned, 1000);
	CHECK(!strncmp(some.text, all.text, strlen(some.text)));
	ice_scan_options o4 = options(4);
	o4.limit = 1000;
	o4.batch_size = 300;
	CHECK_OK(scan_table("tables/duckdb-iceberg/iceberg/lineitem_iceberg", &o4, &some4));
	CHECK_STR(some4.text, some.text);
	o.limit = 0;
	free(some.text);
	CHECK_OK(scan_table("tables/duckdb-iceberg/iceberg/lineitem_iceberg", &o, &some));
	CHECK_INT(some.rows, 0);
	free(some.text);
	free(some4.text);
	free(all.text);
}

/* ---- hostile files ---------------------------------------------------------------------------- */

TEST(test_read_hostile__missing_and_truncated_files)
{
	ice_io *io = fixture_io();
	ice_table_metadata *md;
	ice_scan *scan;
	ice_scan_planner *p;
	const ice_scan_task *task;
	ice_scan_reader *r;
	char dir[] = "/tmp/ice-read-hostileXXXXXX";
	CHECK(io && mkdtemp(dir));
	CHECK_OK(ice_table_metadata_load(&md, io, ice_test_fixture("tables/iceberg-cxx/no_partitioning"), NULL));
	CHECK_OK(ice_scan_new(&scan, io, md, NULL));
	CHECK_OK(ice_scan_plan_open(&p, scan));
	CHECK_OK(ice_scan_plan_next(p, &task));
	/* the task's file, truncated and then missing */
	char *src = ice_io_resolve(io, task->file->file_path), path[256];
	size_t len;
	char *data = ice_test_read_file(src, &len);
	CHECK(data);
	snprintf(path, sizeof(path), "%s/truncated.parquet", dir);
	FILE *out = fopen(path, "wb");
	CHECK(out);
	fwrite(data, 1, len / 2, out);
	fclose(out);
	ice_data_file f = *task->file;
	ice_scan_task t = *task;
	f.file_path = path;
	t.file = &f;
	CHECK_RC(ice_scan_task_open(&r, scan, &t), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("truncated.parquet");
	unlink(path);
	CHECK_RC(ice_scan_task_open(&r, scan, &t), ICE_ENOTFOUND);
	CHECK_ERROR_CONTAINS("truncated.parquet");
	f.file_format = "AVRO";
	CHECK_RC(ice_scan_task_open(&r, scan, &t), ICE_EUNSUPPORTED);
	CHECK_ERROR_CONTAINS("truncated.parquet: data files in AVRO format");
	free(data);
	ice_free(src);
	ice_scan_plan_free(p);
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
	rmdir(dir);
}

/* ---- allocation failures -------------------------------------------------------------------------- */

TEST(test_read_alloc__every_failure)
{
	static const char *tables[] = {
		"tables/duckdb-iceberg/legacy_bare_deletion_vector/warehouse/default/legacy_bare_deletion_vector",
		"tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable",
		"tables/iceberg-cxx/granular_deletes",
		"tables/duckdb-iceberg/column_mapping/warehouse/default.db/my_table",
	};
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		scan_result want;
		ice_scan_options o = options(1);
		ice_io *io = fixture_io();
		ice_table_metadata *md;
		CHECK(io);
		CHECK_OK(ice_table_metadata_load(&md, io, ice_test_fixture(tables[t]), NULL));
		CHECK_OK(scan_md(io, md, &o, &want));
		for (uint64_t n = 1;; n++) {
			scan_result r;
			int64_t before = ice_alloc_outstanding();
			ice_alloc_fail_at(n, false);
			int rc = scan_md(io, md, &o, &r);
			bool injected = ice_alloc_injected_failure();
			ice_alloc_fail_at(0, false);
			CHECK_MSG(ice_alloc_outstanding() == before, "%s: leak after failing allocation %llu", tables[t],
			          (unsigned long long)n);
			if (!injected) {
				CHECK_OK(rc);
				CHECK_STR(r.text, want.text);
				free(r.text);
				break;
			}
			CHECK_MSG(rc != 0, "%s: allocation %llu failed but the scan succeeded", tables[t], (unsigned long long)n);
			CHECK_MSG(strstr(LAST_ERROR(), "out of memory"), "%s: allocation %llu: %s", tables[t],
			          (unsigned long long)n, LAST_ERROR());
			free(r.text);
		}
		free(want.text);
		ice_table_metadata_free(md);
		ice_io_free(io);
	}
}
