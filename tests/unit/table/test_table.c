/*
 * tests/unit/table/test_table.c - the table handle and the commit
 * protocol: metadata-only commits, conflicts retried on a fresh base,
 * retries exhausted, requirements that fail are not retried, tracked files
 * deleted after a failed attempt; and the schema, partition and sort
 * languages (ids, errors, every allocation failure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ice.h"
#include "test.h"

static const char *tmp_dir(const char *tag)
{
	static char dir[128];
	snprintf(dir, sizeof(dir), "/tmp/ice-table-%s-XXXXXX", tag);
	return mkdtemp(dir);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int create_simple(ice_table **out, ice_io *io, const char *location, int version)
{
	ice_schema *schema = NULL;
	ice_table_create_options opts;
	int rc = ice_schema_parse_dsl(&schema, "id long required, name string, ts timestamptz");
	if (rc)
		return rc;
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	opts.format_version = version;
	opts.location = location;
	rc = ice_table_create(out, NULL, io, location, &opts);
	ice_schema_free(schema);
	return rc;
}

static void cleanup(ice_io *io, const char *dir)
{
	ice_catalog *c;
	if (ice_catalog_open_directory(&c, io) == 0) {
		ice_catalog_drop_table(c, dir, true, NULL);
		ice_catalog_free(c);
	}
	ice_io_remove_empty_dirs(io, dir, NULL);
	ice_error_clear();
}

TEST(test_table_commit__properties_end_to_end)
{
	ice_io *io;
	ice_table *t, *again;
	ice_commit_result res;
	const char *dir = tmp_dir("props");
	char path[256];
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create_simple(&t, io, dir, 2));
	ice_property kv[] = {{"owner", "ice"}, {"commit.retry.num-retries", "2"}};
	ice_properties set = {2, kv};
	CHECK_OK(ice_table_update_properties(t, &set, NULL, 0, &res));
	CHECK_INT(res.state, ICE_COMMIT_SUCCEEDED);
	CHECK_INT(res.attempts, 1);
	snprintf(path, sizeof(path), "%s/metadata/v2.metadata.json", dir);
	CHECK(file_exists(path));
	CHECK_STR(ice_table_metadata_file(t), path);
	const char *rm[] = {"owner"};
	CHECK_OK(ice_table_update_properties(t, NULL, rm, 1, NULL));
	CHECK_OK(ice_table_open(&again, io, dir));
	CHECK(ice_table_metadata_property(ice_table_current(again), "owner", NULL) == NULL);
	CHECK_STR(ice_table_metadata_property(ice_table_current(again), "commit.retry.num-retries", NULL), "2");
	/* the metadata log names the previous versions */
	CHECK_INT(ice_table_metadata_metadata_log_count(ice_table_current(again)), 2);
	ice_table_free(again);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_table_commit__conflict_is_retried_on_fresh_base)
{
	ice_io *io;
	ice_table *a, *b;
	ice_commit_result res;
	const char *dir = tmp_dir("conflict");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create_simple(&a, io, dir, 2));
	CHECK_OK(ice_table_open(&b, io, dir));
	ice_property k1[] = {{"k1", "a"}};
	ice_property k2[] = {{"k2", "b"}};
	ice_properties s1 = {1, k1}, s2 = {1, k2};
	CHECK_OK(ice_table_update_properties(a, &s1, NULL, 0, NULL));
	/* b's base is stale: its first attempt loses, the retry keeps both */
	CHECK_OK(ice_table_update_properties(b, &s2, NULL, 0, &res));
	CHECK_INT(res.attempts, 2);
	CHECK_STR(ice_table_metadata_property(ice_table_current(b), "k1", NULL), "a");
	CHECK_STR(ice_table_metadata_property(ice_table_current(b), "k2", NULL), "b");
	CHECK(strstr(ice_table_metadata_file(b), "v3.metadata.json") != NULL);
	ice_table_free(a);
	ice_table_free(b);
	cleanup(io, dir);
	ice_io_free(io);
}

typedef struct tracked_op {
	const char *file;
	ice_requirement req;
	bool with_req;
} tracked_op;

static int write_and_track(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b,
                           void *payload)
{
	tracked_op *op = payload;
	char name[512];
	int rc;
	snprintf(name, sizeof(name), "%s.%d", op->file, ice_commit_attempt(ctx));
	if ((rc = ice_io_write_new(ice_table_io(ice_commit_table(ctx)), name, "x", 1)) != 0)
		return rc;
	if ((rc = ice_commit_track_file(ctx, name)) != 0)
		return rc;
	if (op->with_req && (rc = ice_commit_require(ctx, &op->req)) != 0)
		return rc;
	ice_property kv[] = {{"attempt", "x"}};
	ice_properties set = {1, kv};
	(void)base;
	return ice_metadata_builder_set_properties(b, &set);
}

TEST(test_table_commit__retries_exhausted_and_files_removed)
{
	ice_io *io;
	ice_table *a, *b;
	ice_commit_result res;
	ice_commit_options opts;
	char file[256], f0[300];
	const char *dir = tmp_dir("exhaust");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create_simple(&a, io, dir, 2));
	CHECK_OK(ice_table_open(&b, io, dir));
	ice_property k1[] = {{"k1", "a"}};
	ice_properties s1 = {1, k1};
	CHECK_OK(ice_table_update_properties(a, &s1, NULL, 0, NULL));
	snprintf(file, sizeof(file), "%s/data/attempt", dir);
	tracked_op op = {file, {0}, false};
	ice_operation o = {"test", write_and_track, &op};
	ice_commit_options_init(&opts);
	opts.num_retries = 0;
	CHECK_RC(ice_table_commit(b, &o, &opts, &res), ICE_ECONFLICT);
	CHECK_ERROR_CONTAINS("giving up after 1 attempt");
	CHECK_INT(res.state, ICE_COMMIT_FAILED);
	snprintf(f0, sizeof(f0), "%s.0", file);
	CHECK(!file_exists(f0));
	/* a requirement that fails on the fresh base is not retried */
	op.with_req = true;
	op.req.kind = ICE_REQUIRE_CURRENT_SCHEMA_ID;
	op.req.value = 7;
	opts.num_retries = 5;
	CHECK_OK(ice_table_refresh(b));
	CHECK_RC(ice_table_commit(b, &o, &opts, &res), ICE_ECONFLICT);
	CHECK_INT(res.attempts, 1);
	CHECK_ERROR_CONTAINS("current schema changed");
	CHECK(!file_exists(f0));
	/* and a requirement that holds commits */
	op.req.value = 0;
	CHECK_OK(ice_table_commit(b, &o, &opts, &res));
	CHECK(file_exists(f0));
	ice_io_delete(io, f0);
	ice_table_free(a);
	ice_table_free(b);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_table_create__versions_and_errors)
{
	ice_io *io;
	ice_table *t;
	const char *dir = tmp_dir("versions");
	char sub[256];
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	for (int v = 1; v <= 3; v++) {
		snprintf(sub, sizeof(sub), "%s/v%d", dir, v);
		CHECK_OK(create_simple(&t, io, sub, v));
		CHECK_INT(ice_table_metadata_format_version(ice_table_current(t)), v);
		ice_table_free(t);
		CHECK_RC(create_simple(&t, io, sub, v), ICE_EEXISTS);
		cleanup(io, sub);
	}
	CHECK_RC(create_simple(&t, io, sub, 4), ICE_EUNSUPPORTED);
	rmdir(dir);
	ice_io_free(io);
}

TEST(test_table_dsl__schema_ids_and_types)
{
	ice_schema *s;
	CHECK_OK(ice_schema_parse_dsl(&s, "id long required, s struct<a: int, b string not null>, t string, "
	                                  "l list<long required>, m map<string, double>, d decimal(10,2), "
	                                  "f fixed[16], `odd name` bigint comment 'it''s'"));
	CHECK_INT(ice_schema_field_count(s), 8);
	CHECK_INT(ice_schema_find_field_by_name(s, "id", true)->id, 1);
	CHECK_INT(ice_schema_find_field_by_name(s, "s", true)->id, 2);
	CHECK_INT(ice_schema_find_field_by_name(s, "t", true)->id, 3);
	CHECK_INT(ice_schema_find_field_by_name(s, "s.a", true)->id, 9);
	CHECK_INT(ice_schema_find_field_by_name(s, "s.b", true)->id, 10);
	CHECK(ice_schema_find_field_by_name(s, "s.b", true)->required);
	const ice_field *l = ice_schema_find_field_by_name(s, "l", true);
	CHECK_INT(l->type->u.list.element.id, 11);
	CHECK(l->type->u.list.element.required);
	const ice_field *m = ice_schema_find_field_by_name(s, "m", true);
	CHECK_INT(m->type->u.map.key.id, 12);
	CHECK_INT(m->type->u.map.value.id, 13);
	const ice_field *d = ice_schema_find_field_by_name(s, "d", true);
	CHECK_INT(d->type->u.decimal.precision, 10);
	CHECK_INT(d->type->u.decimal.scale, 2);
	CHECK_STR(ice_schema_find_field_by_name(s, "odd name", true)->doc, "it's");
	CHECK_INT(ice_schema_highest_field_id(s), 13);
	ice_schema_free(s);
}

TEST(test_table_dsl__errors_name_the_column)
{
	ice_schema *s;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"id lng", "schema: column 4: unknown type 'lng'"},
		{"", "schema: column 1: no columns"},
		{"id long,", "schema: column 9: expected a column name, found end of input"},
		{"m map<string>", "schema: column 13: expected ',' between key and value types"},
		{"d decimal(10)", "schema: column 13: expected ',' in decimal(P, S)"},
		{"a int, a long", "'a'"},
		{"x 'str'", "schema: column 3: expected a type"},
		{"s struct<a int", "schema: column 15: expected '>' to close struct<...>"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_MSG(ice_schema_parse_dsl(&s, bad[i].text) == ICE_EINVALID, "'%s' parsed", bad[i].text);
		CHECK_MSG(strstr(LAST_ERROR(), bad[i].msg) != NULL, "'%s': %s", bad[i].text, LAST_ERROR());
	}
}

TEST(test_table_dsl__partitions_and_sort_orders)
{
	ice_schema *s;
	ice_partition_spec *spec;
	ice_sort_order *order;
	CHECK_OK(ice_schema_parse_dsl(&s, "id long, ts timestamptz, name string, d date, x int"));
	CHECK_OK(ice_partition_spec_parse_dsl(&spec, "day(ts), bucket(16, id), truncate(4, name), x, "
	                                             "year(d) as y, void(id)", s));
	CHECK_INT(spec->nfields, 6);
	CHECK_STR(spec->fields[0].name, "ts_day");
	CHECK_INT(spec->fields[1].transform.param, 16);
	CHECK_STR(spec->fields[1].name, "id_bucket");
	CHECK_STR(spec->fields[2].name, "name_trunc");
	CHECK_STR(spec->fields[3].name, "x");
	CHECK_STR(spec->fields[4].name, "y");
	CHECK_STR(spec->fields[5].name, "id_null");
	CHECK_INT(spec->fields[0].field_id, ICE_UNASSIGNED_FIELD_ID);
	ice_partition_spec_free(spec);
	CHECK_RC(ice_partition_spec_parse_dsl(&spec, "day(name)", s), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("partition: column 5: transform day cannot apply to column 'name'");
	CHECK_RC(ice_partition_spec_parse_dsl(&spec, "bucket(id)", s), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("bucket needs a positive width");
	CHECK_RC(ice_partition_spec_parse_dsl(&spec, "month(nope)", s), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("no column 'nope'");
	CHECK_RC(ice_partition_spec_parse_dsl(&spec, "week(ts)", s), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("unknown transform 'week'");
	CHECK_OK(ice_sort_order_parse_dsl(&order, "ts desc nulls last, id, bucket(4, id) asc nulls last", s));
	CHECK_INT(order->nfields, 3);
	CHECK_INT(order->fields[0].direction, ICE_SORT_DESC);
	CHECK_INT(order->fields[0].null_order, ICE_NULLS_LAST);
	CHECK_INT(order->fields[1].direction, ICE_SORT_ASC);
	CHECK_INT(order->fields[1].null_order, ICE_NULLS_FIRST);
	CHECK_INT(order->fields[2].null_order, ICE_NULLS_LAST);
	ice_sort_order_free(order);
	CHECK_RC(ice_sort_order_parse_dsl(&order, "ts nulls middle", s), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("expected 'first' or 'last'");
	ice_schema_free(s);
}

TEST(test_table_dsl__every_allocation_failure_is_clean)
{
	for (uint64_t n = 1;; n++) {
		ice_schema *s = NULL;
		ice_partition_spec *spec = NULL;
		ice_sort_order *order = NULL;
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = ice_schema_parse_dsl(&s, "id long required, s struct<a: int, b: list<string>>, "
		                                  "m map<string, int>, ts timestamp comment 'x'");
		if (!rc)
			rc = ice_partition_spec_parse_dsl(&spec, "day(ts), bucket(8, id)", s);
		if (!rc)
			rc = ice_sort_order_parse_dsl(&order, "ts desc, id", s);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_sort_order_free(order);
		ice_partition_spec_free(spec);
		ice_schema_free(s);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			break;
		}
		CHECK_MSG(rc != 0, "allocation %llu failed but parsing succeeded", (unsigned long long)n);
		CHECK(n < 100000);
	}
}
