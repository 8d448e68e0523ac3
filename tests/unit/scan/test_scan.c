/*
 * Unit tests of lib/scan's planning side: snapshot selection (id, time,
 * ref), the schema a scan resolves against, column selection and the
 * Arrow schema of the rows, planning over corpus tables (deletes matched,
 * the same tasks on any number of threads, the limit), task copies, and
 * every allocation failure while planning.
 */
#include <stdlib.h>

#include "ice.h"
#include "test.h"

static const char *const REWRITES[][2] = {
	{"file://data/persistent/", "tables/duckdb-iceberg/"},
	{"data/persistent/", "tables/duckdb-iceberg/"},
	{"s3a://warehouse/", "tables/iceberg-cxx/"},
	{"s3://warehouse/", "tables/iceberg-cxx/"},
};

static ice_io *corpus_io(void)
{
	ice_io *io = NULL;
	char to[4096];
	if (ice_io_new(&io) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(REWRITES) / sizeof(REWRITES[0]); i++) {
		snprintf(to, sizeof(to), "%s/%s", ice_test_fixtures(), REWRITES[i][1]);
		if (ice_io_add_path_map(io, REWRITES[i][0], to) != 0) {
			ice_io_free(io);
			return NULL;
		}
	}
	return io;
}

static ice_table_metadata *load(const ice_io *io, const char *table)
{
	ice_table_metadata *md = NULL;
	if (ice_table_metadata_load(&md, io, ice_test_fixture(table), NULL) != 0)
		return NULL;
	return md;
}

/* Every task of a plan as "path|seq|delete,delete|residual" lines. */
static char *plan_text(ice_scan *scan)
{
	ice_scan_planner *p = NULL;
	const ice_scan_task *t;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	int rc;
	out[0] = '\0';
	if (ice_scan_plan_open(&p, scan) != 0) {
		free(out);
		return NULL;
	}
	while ((rc = ice_scan_plan_next(p, &t)) == 0) {
		char *res = t->residual ? ice_expr_to_string(t->residual) : NULL;
		len += (size_t)snprintf(out + len, cap - len, "%s|%lld|", t->file->file_path,
		                        (long long)t->data_sequence_number);
		for (size_t i = 0; i < t->ndeletes && len < cap; i++)
			len += (size_t)snprintf(out + len, cap - len, "%s%s@%lld", i ? "," : "", t->deletes[i].file->file_path,
			                        (long long)t->deletes[i].file->content_offset);
		len += (size_t)snprintf(out + len, cap - len, "|%s\n", res ? res : "-");
		ice_free(res);
		if (len >= cap - 1)
			break;
	}
	ice_scan_plan_free(p);
	if (rc != ICE_ITEROVER) {
		free(out);
		return NULL;
	}
	return out;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST(test_scan_options__defaults)
{
	ice_scan_options o;
	memset(&o, 0xff, sizeof(o));
	ice_scan_options_init(&o);
	CHECK(!o.has_snapshot_id && !o.has_as_of_ms && !o.ref && !o.filter && !o.filter_expr && !o.select);
	CHECK(o.case_sensitive);
	CHECK_INT(o.limit, -1);
	CHECK_INT(o.threads, 0);
	CHECK_INT(o.batch_size, 0);
}

TEST(test_scan_snapshot__by_id_time_and_ref)
{
	ice_io *io = corpus_io();
	ice_table_metadata *md = load(io, "tables/iceberg-cxx/deletion_vectors");
	ice_scan_options o;
	ice_scan *scan;
	CHECK(md != NULL);
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	ice_scan_options_init(&o);
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	CHECK(ice_scan_snapshot(scan) == cur);
	CHECK(ice_scan_schema(scan) == ice_table_metadata_current_schema(md));
	CHECK(ice_scan_filter(scan) == NULL);
	ice_scan_free(scan);
	/* the first snapshot, by id and by its commit time */
	const ice_snapshot_log_entry *first = ice_table_metadata_snapshot_log_at(md, 0);
	o.has_snapshot_id = true;
	o.snapshot_id = first->snapshot_id;
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	CHECK_INT(ice_scan_snapshot(scan)->snapshot_id, first->snapshot_id);
	ice_scan_free(scan);
	ice_scan_options_init(&o);
	o.has_as_of_ms = true;
	o.as_of_ms = first->timestamp_ms;
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	CHECK_INT(ice_scan_snapshot(scan)->snapshot_id, first->snapshot_id);
	ice_scan_free(scan);
	o.as_of_ms = first->timestamp_ms - 1;
	CHECK_RC(ice_scan_new(&scan, io, md, &o), ICE_ENOTFOUND);
	CHECK(scan == NULL);
	CHECK_ERROR_CONTAINS("before the first one");
	ice_scan_options_init(&o);
	o.ref = "main";
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	CHECK(ice_scan_snapshot(scan) == cur);
	ice_scan_free(scan);
	o.ref = "nope";
	CHECK_RC(ice_scan_new(&scan, io, md, &o), ICE_ENOTFOUND);
	CHECK_STR(ice_error_last()->message, "scan: no branch or tag 'nope'");
	ice_scan_options_init(&o);
	o.has_snapshot_id = true;
	o.snapshot_id = 42;
	CHECK_RC(ice_scan_new(&scan, io, md, &o), ICE_ENOTFOUND);
	CHECK_STR(ice_error_last()->message, "scan: no snapshot 42");
	o.ref = "main";
	CHECK_RC(ice_scan_new(&scan, io, md, &o), ICE_EINVALID);
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_scan_select__nested_columns_and_arrow_schema)
{
	ice_io *io = corpus_io();
	ice_table_metadata *md = load(io, "tables/iceberg-cxx/types/all_spark_types");
	ice_scan_options o;
	ice_scan *scan;
	struct ArrowSchema as;
	CHECK(md != NULL);
	const ice_schema *schema = ice_table_metadata_current_schema(md);
	/* every column: the schema's struct; formats per type */
	ice_scan_options_init(&o);
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	CHECK(ice_scan_projected_type(scan) == ice_schema_struct(schema));
	CHECK_OK(ice_scan_arrow_schema(scan, &as));
	CHECK_STR(as.format, "+s");
	CHECK_INT(as.n_children, (int64_t)ice_schema_field_count(schema));
	for (int64_t i = 0; i < as.n_children; i++) {
		const ice_field *f = ice_schema_field_at(schema, (size_t)i);
		CHECK_STR(as.children[i]->name, f->name);
		CHECK(as.children[i]->metadata != NULL);
		CHECK((as.children[i]->flags & ARROW_FLAG_NULLABLE) == (f->required ? 0 : ARROW_FLAG_NULLABLE));
		if (f->type->id == ICE_TYPE_TIMESTAMPTZ)
			CHECK_STR(as.children[i]->format, "tsu:UTC");
		if (f->type->id == ICE_TYPE_DATE)
			CHECK_STR(as.children[i]->format, "tdD");
		if (f->type->id == ICE_TYPE_STRING)
			CHECK_STR(as.children[i]->format, "u");
	}
	ice_arrow_schema_release(&as);
	CHECK(as.release == NULL);
	ice_scan_free(scan);
	/* a selection keeps its own order: top-level columns as the names come */
	const char *sel[] = {ice_schema_field_at(schema, 2)->name, ice_schema_field_at(schema, 0)->name};
	o.select = sel;
	o.nselect = 2;
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	const ice_type *pt = ice_scan_projected_type(scan);
	CHECK_INT(pt->u.struct_.nfields, 2);
	CHECK_STR(pt->u.struct_.fields[0].name, ice_schema_field_at(schema, 2)->name);
	CHECK_STR(pt->u.struct_.fields[1].name, ice_schema_field_at(schema, 0)->name);
	ice_scan_free(scan);
	const char *bad[] = {"no_such_column"};
	o.select = bad;
	o.nselect = 1;
	CHECK_RC(ice_scan_new(&scan, io, md, &o), ICE_EINVALID);
	CHECK_STR(ice_error_last()->message, "select: unknown column 'no_such_column'");
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_scan_select__prunes_structs)
{
	static const char *MD =
		"{\"format-version\": 2, \"table-uuid\": \"9c12d441-03fe-4693-9a96-a0705ddf69c1\", \"location\": \"/tmp/x\","
		"\"last-sequence-number\": 0, \"last-updated-ms\": 1, \"last-column-id\": 6, \"current-schema-id\": 0,"
		"\"schemas\": [{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
		"{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
		"{\"id\": 2, \"name\": \"s\", \"required\": false, \"type\": {\"type\": \"struct\", \"fields\": ["
		"  {\"id\": 3, \"name\": \"a\", \"required\": false, \"type\": \"int\"},"
		"  {\"id\": 4, \"name\": \"b\", \"required\": false, \"type\": \"string\"}]}},"
		"{\"id\": 5, \"name\": \"m\", \"required\": false, \"type\": {\"type\": \"map\", \"key-id\": 6, \"key\": \"string\","
		"  \"value-id\": 7, \"value\": \"double\", \"value-required\": false}}]}],"
		"\"default-spec-id\": 0, \"partition-specs\": [{\"spec-id\": 0, \"fields\": []}], \"last-partition-id\": 999,"
		"\"default-sort-order-id\": 0, \"sort-orders\": [{\"order-id\": 0, \"fields\": []}]}";
	ice_io *io = corpus_io();
	ice_table_metadata *md = NULL;
	ice_scan_options o;
	ice_scan *scan;
	struct ArrowSchema as;
	CHECK_OK(ice_table_metadata_parse(&md, MD, strlen(MD), "md"));
	ice_scan_options_init(&o);
	const char *sel[] = {"s.b", "m"};
	o.select = sel;
	o.nselect = 2;
	o.filter = "s.a > 1";
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	const ice_type *pt = ice_scan_projected_type(scan);
	CHECK_INT(pt->u.struct_.nfields, 2);
	CHECK_STR(pt->u.struct_.fields[0].name, "s");
	CHECK_INT(pt->u.struct_.fields[0].type->u.struct_.nfields, 1);
	CHECK_STR(pt->u.struct_.fields[0].type->u.struct_.fields[0].name, "b");
	CHECK_OK(ice_scan_arrow_schema(scan, &as));
	CHECK_STR(as.children[0]->format, "+s");
	CHECK_STR(as.children[0]->children[0]->format, "u");
	CHECK_STR(as.children[1]->format, "+m");
	CHECK_STR(as.children[1]->children[0]->format, "+s");
	CHECK_STR(as.children[1]->children[0]->children[0]->format, "u");
	CHECK((as.children[1]->children[0]->children[0]->flags & ARROW_FLAG_NULLABLE) == 0);
	CHECK_STR(as.children[1]->children[0]->children[1]->format, "g");
	ice_arrow_schema_release(&as);
	/* a table without snapshots plans to nothing */
	ice_scan_planner *p;
	const ice_scan_task *t;
	CHECK(ice_scan_snapshot(scan) == NULL);
	CHECK_OK(ice_scan_plan_open(&p, scan));
	CHECK_RC(ice_scan_plan_next(p, &t), ICE_ITEROVER);
	ice_scan_plan_free(p);
	ice_scan_free(scan);
	o.filter = "s.a > 'x'";
	CHECK_RC(ice_scan_new(&scan, io, md, &o), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("cannot compare with 'x'");
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_scan_plan__deletion_vectors_and_equality_deletes)
{
	ice_io *io = corpus_io();
	ice_scan_options o;
	ice_scan *scan;
	ice_scan_stats st;
	ice_table_metadata *md = load(io, "tables/iceberg-cxx/deletion_vectors");
	CHECK(md != NULL);
	ice_scan_options_init(&o);
	o.threads = 1;
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	char *plan = plan_text(scan);
	CHECK_MSG(plan != NULL, "%s", LAST_ERROR());
	CHECK_INT(count_lines(plan), 2);
	/* each data file gets its own vector of the one Puffin file */
	CHECK(strstr(plan, "dv-20260504_111849_00012_8gkte-2ed65adb-8895-4026-bb5e-efcedbf874e5.puffin@4"));
	CHECK(strstr(plan, "dv-20260504_111849_00012_8gkte-2ed65adb-8895-4026-bb5e-efcedbf874e5.puffin@48"));
	ice_scan_get_stats(scan, &st);
	CHECK_INT(st.tasks, 2);
	CHECK_INT(st.delete_files, 2);
	free(plan);
	ice_scan_free(scan);
	ice_table_metadata_free(md);

	md = load(io, "tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable_partitioned");
	CHECK(md != NULL);
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	plan = plan_text(scan);
	CHECK(plan != NULL);
	CHECK_INT(count_lines(plan), 6);
	/* name=a was written before any delete of its partition; name=b has one */
	CHECK(strstr(plan, "name=a/00001-1760585152415-373476a7-2e0e-4faa-a399-c1e9226724b9-00001.parquet|1||-"));
	CHECK(strstr(plan, "name=b/00001-1760585152415-373476a7-2e0e-4faa-a399-c1e9226724b9-00002.parquet|1|"
	                   "data/persistent/equality_deletes/warehouse/mydb/mytable_partitioned/data/name=b/"
	                   "delete-07681bdb-b7a0-4bbc-a7ea-db5e51918b3d.parquet@0|-"));
	free(plan);
	ice_scan_free(scan);
	ice_table_metadata_free(md);

	/* position delete files whose file_path bounds are one path apply to that file only */
	md = load(io, "tables/iceberg-cxx/granular_deletes");
	CHECK(md != NULL);
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	plan = plan_text(scan);
	CHECK(plan != NULL);
	CHECK_INT(count_lines(plan), 2);
	CHECK(strstr(plan, "00005_k7g2e-ed26b23b-e381-4f74-b08d-28d679ca79c6.parquet|2|s3a://warehouse/granular_deletes/"
	                   "data/20251209_122543_00007_k7g2e-affa9a96-e1cb-4f88-a036-b95614b5cff6.parquet@0|-"));
	CHECK(strstr(plan, "00006_k7g2e-bf52f9ed-55af-463b-a131-86b7c9dc973e.parquet|3|s3a://warehouse/granular_deletes/"
	                   "data/20251209_122543_00007_k7g2e-a2c67300-05e7-4b78-b0dd-3b942ea255e3.parquet@0|-"));
	free(plan);
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_scan_plan__same_tasks_on_any_number_of_threads)
{
	static const char *tables[] = {
		"tables/iceberg-cxx/partition_evolution",
		"tables/iceberg-cxx/prod/db/refdeletes3",
		"tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable_partitioned",
		"tables/iceberg-cxx/dangling_deletes",
	};
	ice_io *io = corpus_io();
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		ice_table_metadata *md = load(io, tables[i]);
		CHECK_MSG(md != NULL, "%s: %s", tables[i], LAST_ERROR());
		char *one = NULL;
		for (size_t threads = 1; threads <= 4; threads++) {
			ice_scan_options o;
			ice_scan *scan;
			ice_scan_options_init(&o);
			o.threads = threads;
			o.filter = i == 0 ? "c1 > 1 or c3 < 5" : NULL;
			CHECK_OK(ice_scan_new(&scan, io, md, &o));
			char *plan = plan_text(scan);
			ice_scan_free(scan);
			CHECK_MSG(plan != NULL, "%s: %s", tables[i], LAST_ERROR());
			if (!one) {
				one = plan;
				CHECK(count_lines(one) > 0);
				continue;
			}
			bool same = strcmp(one, plan) == 0;
			free(plan);
			CHECK_MSG(same, "%s: %zu threads plan differently", tables[i], threads);
		}
		free(one);
		ice_table_metadata_free(md);
	}
	ice_io_free(io);
}

TEST(test_scan_plan__limit_stops_when_rows_are_certain)
{
	ice_io *io = corpus_io();
	ice_table_metadata *md = load(io, "tables/iceberg-cxx/partition_evolution");
	ice_scan_options o;
	ice_scan *scan;
	CHECK(md != NULL);
	ice_scan_options_init(&o);
	o.threads = 1;
	o.limit = 2; /* every file holds one row */
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	char *plan = plan_text(scan);
	CHECK(plan != NULL);
	CHECK_INT(count_lines(plan), 2);
	free(plan);
	ice_scan_free(scan);
	/* with a residual nothing is certain: every candidate is planned */
	o.filter = "c3 > 0";
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	plan = plan_text(scan);
	CHECK(plan != NULL);
	CHECK(count_lines(plan) > 2);
	free(plan);
	ice_scan_free(scan);
	/* deletes make rows uncertain too */
	ice_table_metadata_free(md);
	md = load(io, "tables/iceberg-cxx/deletion_vectors");
	o.filter = NULL;
	o.limit = 1;
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	plan = plan_text(scan);
	CHECK(plan != NULL);
	CHECK_INT(count_lines(plan), 2);
	free(plan);
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_scan_task__copies_outlive_the_planner)
{
	ice_io *io = corpus_io();
	ice_table_metadata *md = load(io, "tables/iceberg-cxx/deletion_vectors");
	ice_scan_options o;
	ice_scan *scan;
	ice_scan_planner *p;
	const ice_scan_task *t;
	ice_scan_task *copies[4];
	size_t n = 0;
	int rc;
	CHECK(md != NULL);
	ice_scan_options_init(&o);
	o.filter = "c1 > 0";
	CHECK_OK(ice_scan_new(&scan, io, md, &o));
	CHECK_OK(ice_scan_plan_open(&p, scan));
	while ((rc = ice_scan_plan_next(p, &t)) == 0 && n < 4)
		CHECK_OK(ice_scan_task_copy(&copies[n++], t));
	CHECK_INT(rc, ICE_ITEROVER);
	ice_scan_plan_free(p);
	CHECK_INT(n, 2);
	for (size_t i = 0; i < n; i++) {
		ice_json_writer *w;
		const char *text;
		size_t len;
		CHECK_INT(copies[i]->ndeletes, 1);
		CHECK(copies[i]->deletes[0].file->has_content_offset);
		CHECK(copies[i]->residual != NULL);
		CHECK_OK(ice_json_writer_new(&w, ICE_JSON_COMPACT));
		CHECK_OK(ice_scan_task_write_json(copies[i], w));
		CHECK_OK(ice_json_writer_finish(w, &text, &len));
		CHECK(strstr(text, "\"deletes\":[{\"content\":\"position deletes\""));
		CHECK(strstr(text, "\"residual\":\"c1 > int '0'\""));
		ice_json_writer_free(w);
		ice_scan_task_free(copies[i]);
	}
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_scan_plan__missing_manifest_names_the_file)
{
	ice_io *io = NULL;
	ice_table_metadata *md;
	ice_scan *scan;
	ice_scan_planner *p;
	CHECK_OK(ice_io_new(&io));
	/* the table's files are not where its metadata says */
	CHECK_OK(ice_io_add_path_map(io, "s3a://warehouse/", "/nonexistent/warehouse/"));
	md = load(io, "tables/iceberg-cxx/deletion_vectors");
	CHECK(md != NULL);
	CHECK_OK(ice_scan_new(&scan, io, md, NULL));
	CHECK_RC(ice_scan_plan_open(&p, scan), ICE_ENOTFOUND);
	CHECK_ERROR_CONTAINS("s3a://warehouse/deletion_vectors/metadata/snap-7777310120628922486");
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
}

static int plan_all(ice_io *io, const ice_table_metadata *md, size_t threads, const char *filter)
{
	ice_scan_options o;
	ice_scan *scan = NULL;
	ice_scan_planner *p = NULL;
	const ice_scan_task *t;
	ice_scan_task *copy = NULL;
	int rc;
	ice_scan_options_init(&o);
	o.threads = threads;
	o.filter = filter;
	if ((rc = ice_scan_new(&scan, io, md, &o)) != 0)
		return rc;
	if ((rc = ice_scan_plan_open(&p, scan)) == 0) {
		while ((rc = ice_scan_plan_next(p, &t)) == 0) {
			ice_scan_task_free(copy);
			copy = NULL;
			if ((rc = ice_scan_task_copy(&copy, t)) != 0)
				break;
		}
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
	ice_scan_task_free(copy);
	ice_scan_plan_free(p);
	ice_scan_free(scan);
	return rc;
}

TEST(test_scan_faults__every_allocation_failure)
{
	static const char *tables[] = {
		"tables/iceberg-cxx/deletion_vectors",
		"tables/duckdb-iceberg/equality_deletes/warehouse/mydb/mytable_partitioned",
	};
	ice_io *io = corpus_io();
	for (size_t k = 0; k < 2; k++) {
		ice_table_metadata *md = load(io, tables[k]);
		CHECK(md != NULL);
		for (size_t threads = 1; threads <= 2; threads++) {
			for (uint64_t n = 1;; n++) {
				int64_t before = ice_alloc_outstanding();
				ice_alloc_fail_at(n, false);
				int rc = plan_all(io, md, threads, k == 0 ? "c1 > 0" : "name >= 'b'");
				bool injected = ice_alloc_injected_failure();
				ice_alloc_fail_at(0, false);
				CHECK_MSG(ice_alloc_outstanding() == before, "%s: leak after failing allocation %llu", tables[k],
				          (unsigned long long)n);
				if (!injected) {
					CHECK_MSG(rc == 0, "%s", LAST_ERROR());
					CHECK(n > 20);
					break;
				}
				CHECK_MSG(rc != 0, "%s: allocation %llu failed but planning succeeded", tables[k],
				          (unsigned long long)n);
				CHECK(n < 200000);
			}
		}
		ice_table_metadata_free(md);
	}
	ice_io_free(io);
}
