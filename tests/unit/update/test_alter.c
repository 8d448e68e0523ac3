/*
 * tests/unit/update/test_alter.c - ice_alter applied to metadata in
 * memory: every column change (ids from last-column-id, placement, nested
 * targets, sequential names) and its validation errors, partition
 * evolution (v1 void semantics, id recycling, spec reuse, names, errors),
 * sort orders, properties, format upgrades, and every allocation failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"
#include "test.h"

/* Metadata for a new table from the schema/partition/sort languages. */
static int make_md(ice_table_metadata **out, const char *schema_text, const char *partition, const char *sort,
                   int version)
{
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_sort_order *order = NULL;
	ice_metadata_builder *b = NULL;
	int rc;
	*out = NULL;
	if ((rc = ice_schema_parse_dsl(&schema, schema_text)) != 0)
		return rc;
	if (!(rc = ice_partition_spec_parse_dsl(&spec, partition ? partition : "", schema)) &&
	    !(rc = ice_sort_order_parse_dsl(&order, sort ? sort : "", schema)) &&
	    !(rc = ice_metadata_builder_new_table(&b, version)) && !(rc = ice_metadata_builder_add_schema(b, schema, NULL)) &&
	    !(rc = ice_metadata_builder_set_current_schema(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_add_spec(b, spec, NULL)) &&
	    !(rc = ice_metadata_builder_set_default_spec(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_add_sort_order(b, order, NULL)) &&
	    !(rc = ice_metadata_builder_set_default_sort_order(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_set_location(b, "/tmp/ice-unit-alter")))
		rc = ice_metadata_builder_build(out, b);
	ice_metadata_builder_free(b);
	ice_sort_order_free(order);
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	return rc;
}

/* Applies the alter to *md and replaces it with the result. */
static int run(ice_table_metadata **md, const ice_alter *a)
{
	ice_metadata_builder *b;
	ice_table_metadata *next = NULL;
	int rc = ice_metadata_builder_new(&b, *md);
	if (rc)
		return rc;
	if ((rc = ice_alter_apply(a, *md, b, NULL)) == 0 && (rc = ice_metadata_builder_build(&next, b)) == 0) {
		ice_table_metadata_free(*md);
		*md = next;
	}
	ice_metadata_builder_free(b);
	return rc;
}

static const ice_field *col(const ice_table_metadata *md, const char *name)
{
	return ice_schema_find_field_by_name(ice_table_metadata_current_schema(md), name, true);
}

static int col_id(const ice_table_metadata *md, const char *name)
{
	const ice_field *f = col(md, name);
	return f ? (int)f->id : -1;
}

static const char *top_name(const ice_table_metadata *md, size_t i)
{
	const ice_schema *s = ice_table_metadata_current_schema(md);
	return i < ice_schema_field_count(s) ? ice_schema_field_at(s, i)->name : NULL;
}

/* ---- columns --------------------------------------------------------------------------- */

TEST(test_update_columns__add_takes_ids_from_last_column_id)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long required, s struct<a: int>, l list<struct<x: int>>, m map<string, struct<v: int>>",
	                 NULL, NULL, 2));
	CHECK_INT(ice_table_metadata_last_column_id(md), 10);
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_column(a, "p struct<x: double, y: double> comment 'point'", ICE_COLUMN_LAST, NULL));
	CHECK_OK(ice_alter_add_column(a, "s.b string", ICE_COLUMN_LAST, NULL));
	CHECK_OK(ice_alter_add_column(a, "l.y long", ICE_COLUMN_LAST, NULL));
	CHECK_OK(ice_alter_add_column(a, "m.w string", ICE_COLUMN_FIRST, NULL));
	CHECK_OK(run(&md, a));
	/* the column first, then what is nested in it */
	CHECK_INT(col_id(md, "p"), 11);
	CHECK_INT(col_id(md, "p.x"), 12);
	CHECK_INT(col_id(md, "p.y"), 13);
	CHECK_STR(col(md, "p")->doc, "point");
	CHECK_INT(col_id(md, "s.b"), 14);
	CHECK_INT(col_id(md, "l.element.y"), 15);
	CHECK_INT(col_id(md, "m.value.w"), 16);
	CHECK_INT(ice_table_metadata_last_column_id(md), 16);
	CHECK_INT(ice_schema_id(ice_table_metadata_current_schema(md)), 1);
	CHECK_INT(ice_table_metadata_schema_count(md), 2);
	const ice_field *m = col(md, "m");
	CHECK_STR(m->type->u.map.value.type->u.struct_.fields[0].name, "w");
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

TEST(test_update_columns__dropped_ids_are_never_reused)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long, a int, b int", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_drop_column(a, "b"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(col_id(md, "b"), -1);
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_column(a, "b int", ICE_COLUMN_LAST, NULL));
	CHECK_OK(run(&md, a));
	CHECK_INT(col_id(md, "b"), 4);
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

TEST(test_update_columns__placement)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "a int, b int, c int, s struct<x: int, y: int>", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_column(a, "z int", ICE_COLUMN_FIRST, NULL));
	CHECK_OK(ice_alter_add_column(a, "ab int", ICE_COLUMN_AFTER, "a"));
	CHECK_OK(ice_alter_add_column(a, "bc int", ICE_COLUMN_BEFORE, "c"));
	CHECK_OK(ice_alter_move_column(a, "s", ICE_COLUMN_AFTER, "z"));
	CHECK_OK(ice_alter_move_column(a, "s.y", ICE_COLUMN_FIRST, NULL));
	CHECK_OK(ice_alter_move_column(a, "a", ICE_COLUMN_BEFORE, "c"));
	CHECK_OK(run(&md, a));
	const char *want[] = {"z", "s", "ab", "b", "bc", "a", "c"};
	for (size_t i = 0; i < 7; i++)
		CHECK_STR(top_name(md, i), want[i]);
	CHECK_STR(col(md, "s")->type->u.struct_.fields[0].name, "y");
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

TEST(test_update_columns__changes_apply_in_order)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id int required, price decimal(9, 2), f float", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_rename_column(a, "id", "key"));
	CHECK_OK(ice_alter_widen_column(a, "key", "long"));
	CHECK_OK(ice_alter_widen_column(a, "price", "decimal(12, 2)"));
	CHECK_OK(ice_alter_widen_column(a, "f", "double"));
	CHECK_OK(ice_alter_set_doc(a, "key", "the key"));
	CHECK_OK(ice_alter_make_optional(a, "key"));
	CHECK_OK(run(&md, a));
	const ice_field *k = col(md, "key");
	CHECK(k && k->id == 1);
	CHECK_INT(k->type->id, ICE_TYPE_LONG);
	CHECK(!k->required);
	CHECK_STR(k->doc, "the key");
	CHECK_INT(col(md, "price")->type->u.decimal.precision, 12);
	CHECK_INT(col(md, "f")->type->id, ICE_TYPE_DOUBLE);
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

/* Applies one change to a fresh table and expects `code` with `needle` in the message. */
static int expect_error(const char *schema, const char *partition, const char *sort, int version, ice_alter *a,
                        int code, const char *needle, char *msg, size_t cap)
{
	ice_table_metadata *md;
	int rc = make_md(&md, schema, partition, sort, version);
	if (rc)
		return rc;
	rc = run(&md, a);
	snprintf(msg, cap, "%s", LAST_ERROR());
	ice_table_metadata_free(md);
	ice_alter_free(a);
	if (rc != code || !strstr(msg, needle))
		return -100;
	return 0;
}

#define EXPECT_ALTER_ERROR(schema, partition, sort, version, code, needle, ...)                          \
	do {                                                                                               \
		ice_alter *a_;                                                                             \
		char msg_[1024];                                                                           \
		CHECK_OK(ice_alter_new(&a_));                                                              \
		__VA_ARGS__;                                                                               \
		int erc_ = expect_error(schema, partition, sort, version, a_, code, needle, msg_, sizeof(msg_)); \
		CHECK_MSG(erc_ == 0, "expected %d with \"%s\", got: %s", (int)(code), needle, msg_);        \
	} while (0)

TEST(test_update_columns__validation_errors)
{
	const char *s = "id long required, name string, f double required, s struct<a: int>, l list<int>, "
	                "m map<string, int>, d date, ts timestamp";
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "exists already", ice_alter_add_column(a_, "name int", 0, NULL));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "needs a default",
	                   ice_alter_add_column(a_, "x int required", 0, NULL));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "format version 3",
	                   ice_alter_add_column(a_, "x int default 3", 0, NULL));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_ENOTFOUND, "no column 'nope'", ice_alter_drop_column(a_, "nope"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_ENOTFOUND, "no column 'zz'",
	                   ice_alter_add_column(a_, "zz.x int", 0, NULL));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "is not a struct",
	                   ice_alter_add_column(a_, "name.x int", 0, NULL));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "exists already", ice_alter_rename_column(a_, "id", "name"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "cannot be renamed",
	                   ice_alter_rename_column(a_, "l.element", "e"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "cannot be dropped", ice_alter_drop_column(a_, "m.key"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "cannot change long to int",
	                   ice_alter_widen_column(a_, "id", "int"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "cannot change string to binary",
	                   ice_alter_widen_column(a_, "name", "binary"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "not a primitive", ice_alter_widen_column(a_, "s", "long"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "cannot change date to timestamp",
	                   ice_alter_widen_column(a_, "d", "timestamp"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "incompatible change", ice_alter_make_required(a_, "name"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "map keys are always required",
	                   ice_alter_make_optional(a_, "m.key"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "not in the same struct",
	                   ice_alter_move_column(a_, "s.a", ICE_COLUMN_AFTER, "id"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "relative to itself",
	                   ice_alter_move_column(a_, "id", ICE_COLUMN_BEFORE, "id"));
	EXPECT_ALTER_ERROR("id long", NULL, NULL, 2, ICE_EINVALID, "at least one column", ice_alter_drop_column(a_, "id"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "format version 3", ice_alter_set_default(a_, "name", "x"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 3, ICE_EINVALID, "default of column 'id'", ice_alter_set_default(a_, "id", "abc"));
}

TEST(test_update_columns__drops_that_would_break_the_table)
{
	const char *s = "id long required, k string required, ts timestamp, s struct<a: int required>";
	/* identifier fields, and structs holding one */
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "identifier field", {
		const char *ids[] = {"id"};
		ice_alter_set_identifier_fields(a_, ids, 1);
		ice_alter_drop_column(a_, "id");
	});
	EXPECT_ALTER_ERROR("id long required, s struct<a: int required> required", NULL, NULL, 2, ICE_EINVALID,
	                   "holds an identifier field", {
		                   const char *ids[] = {"s.a"};
		                   ice_alter_set_identifier_fields(a_, ids, 1);
		                   ice_alter_drop_column(a_, "s");
	                   });
	/* partition sources: of the current spec, and of any older spec */
	EXPECT_ALTER_ERROR(s, "day(ts)", NULL, 2, ICE_EINVALID, "source of partition field 'ts_day' of spec 0",
	                   ice_alter_drop_column(a_, "ts"));
	EXPECT_ALTER_ERROR(s, "day(ts)", NULL, 2, ICE_EINVALID, "source of partition field 'ts_day' of spec 0", {
		ice_alter_remove_partition_field(a_, "ts_day");
		ice_alter_drop_column(a_, "ts");
	});
	EXPECT_ALTER_ERROR(s, NULL, "k desc", 2, ICE_EINVALID, "sort key of sort order 1", ice_alter_drop_column(a_, "k"));
	/* identifier fields that do not qualify */
	EXPECT_ALTER_ERROR("id long, f double required, l list<int>, o struct<x: int required>", NULL, NULL, 2,
	                   ICE_EINVALID, "is optional", {
		                   const char *ids[] = {"id"};
		                   ice_alter_set_identifier_fields(a_, ids, 1);
	                   });
	EXPECT_ALTER_ERROR("id long, f double required", NULL, NULL, 2, ICE_EINVALID, "is a double", {
		const char *ids[] = {"f"};
		ice_alter_set_identifier_fields(a_, ids, 1);
	});
	EXPECT_ALTER_ERROR("id long, o struct<x: int required>", NULL, NULL, 2, ICE_EINVALID, "inside optional struct 'o'", {
		const char *ids[] = {"o.x"};
		ice_alter_set_identifier_fields(a_, ids, 1);
	});
	EXPECT_ALTER_ERROR("id long required, k long required", NULL, NULL, 2, ICE_EINVALID, "is optional", {
		const char *ids[] = {"id"};
		ice_alter_set_identifier_fields(a_, ids, 1);
		ice_alter_make_optional(a_, "id");
	});
}

TEST(test_update_columns__identifier_fields)
{
	ice_table_metadata *md;
	ice_alter *a;
	size_t n;
	CHECK_OK(make_md(&md, "id long required, s struct<k: string required> required, v double", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	const char *ids[] = {"id", "s.k"};
	CHECK_OK(ice_alter_set_identifier_fields(a, ids, 2));
	CHECK_OK(run(&md, a));
	const int32_t *got = ice_schema_identifier_field_ids(ice_table_metadata_current_schema(md), &n);
	CHECK_INT(n, 2);
	CHECK_INT(got[0], 1);
	CHECK_INT(got[1], 4);
	ice_alter_free(a);
	/* cleared, then the column can go */
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_set_identifier_fields(a, NULL, 0));
	CHECK_OK(ice_alter_drop_column(a, "id"));
	CHECK_OK(run(&md, a));
	ice_schema_identifier_field_ids(ice_table_metadata_current_schema(md), &n);
	CHECK_INT(n, 0);
	CHECK_INT(col_id(md, "id"), -1);
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

TEST(test_update_columns__v3_defaults_and_promotions)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long required, d date, u unknown, n int", "month(d)", NULL, 3));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_column(a, "c int required default 7", ICE_COLUMN_LAST, NULL));
	CHECK_OK(ice_alter_add_column(a, "t string default 'x'", ICE_COLUMN_LAST, NULL));
	CHECK_OK(ice_alter_set_default(a, "n", "42"));
	CHECK_OK(ice_alter_widen_column(a, "d", "timestamp"));
	CHECK_OK(ice_alter_widen_column(a, "u", "string"));
	CHECK_OK(run(&md, a));
	const ice_field *c = col(md, "c");
	CHECK(c->initial_default && c->write_default);
	CHECK_INT(c->initial_default->v.i32, 7);
	CHECK_INT(c->write_default->v.i32, 7);
	CHECK(col(md, "t")->initial_default != NULL);
	CHECK(col(md, "n")->initial_default == NULL);
	CHECK_INT(col(md, "n")->write_default->v.i32, 42);
	CHECK_INT(col(md, "d")->type->id, ICE_TYPE_TIMESTAMP);
	CHECK_INT(col(md, "u")->type->id, ICE_TYPE_STRING);
	ice_alter_free(a);
	/* a later write-default changes only that one */
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_set_default(a, "c", "8"));
	CHECK_OK(ice_alter_set_default(a, "t", NULL));
	CHECK_OK(run(&md, a));
	CHECK_INT(col(md, "c")->initial_default->v.i32, 7);
	CHECK_INT(col(md, "c")->write_default->v.i32, 8);
	CHECK(col(md, "t")->write_default == NULL);
	ice_alter_free(a);
	ice_table_metadata_free(md);
	/* date -> timestamp changes identity and bucket values */
	EXPECT_ALTER_ERROR("d date", "bucket(4, d)", NULL, 3, ICE_EINVALID, "would change its values",
	                   ice_alter_widen_column(a_, "d", "timestamp_ns"));
	EXPECT_ALTER_ERROR("d date", NULL, NULL, 3, ICE_EINVALID, "cannot change date to timestamptz",
	                   ice_alter_widen_column(a_, "d", "timestamptz"));
}

TEST(test_update_columns__syntax_is_checked_when_recorded)
{
	ice_alter *a;
	CHECK_OK(ice_alter_new(&a));
	CHECK_RC(ice_alter_add_column(a, "x lng", ICE_COLUMN_LAST, NULL), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("unknown type 'lng'");
	CHECK_RC(ice_alter_add_column(a, "x int, y int", ICE_COLUMN_LAST, NULL), ICE_EINVALID);
	CHECK_RC(ice_alter_add_column(a, ".x int", ICE_COLUMN_LAST, NULL), ICE_EINVALID);
	CHECK_RC(ice_alter_add_column(a, "x int", ICE_COLUMN_AFTER, NULL), ICE_EINVALID);
	CHECK_RC(ice_alter_widen_column(a, "x", "decimal(10"), ICE_EINVALID);
	CHECK_RC(ice_alter_move_column(a, "x", ICE_COLUMN_LAST, NULL), ICE_EINVALID);
	CHECK_RC(ice_alter_rename_column(a, "x", ""), ICE_EINVALID);
	CHECK_RC(ice_alter_upgrade_format_version(a, 7), ICE_EINVALID);
	CHECK_INT(ice_alter_change_count(a), 0);
	ice_alter_free(a);
}

TEST(test_update_columns__no_change_records_no_update)
{
	ice_table_metadata *md;
	ice_alter *a;
	ice_metadata_builder *b;
	CHECK_OK(make_md(&md, "id long, name string", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_rename_column(a, "name", "name"));
	CHECK_OK(ice_alter_widen_column(a, "id", "long"));
	CHECK_OK(ice_alter_rename_column(a, "id", "x"));
	CHECK_OK(ice_alter_rename_column(a, "x", "id"));
	CHECK_OK(ice_metadata_builder_new(&b, md));
	CHECK_OK(ice_alter_apply(a, md, b, NULL));
	CHECK_INT(ice_metadata_builder_change_count(b), 0);
	ice_metadata_builder_free(b);
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

TEST(test_update_columns__earlier_schema_is_reused)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long, name string", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_rename_column(a, "name", "n"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_rename_column(a, "n", "name"));
	CHECK_OK(run(&md, a));
	CHECK_INT(ice_schema_id(ice_table_metadata_current_schema(md)), 0);
	CHECK_INT(ice_table_metadata_schema_count(md), 2);
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

/* ---- partition specs ------------------------------------------------------------------ */

static const ice_partition_field *pfield(const ice_table_metadata *md, size_t i)
{
	const ice_partition_spec *s = ice_table_metadata_default_spec(md);
	return i < s->nfields ? &s->fields[i] : NULL;
}

TEST(test_update_spec__v2_add_remove_rename_and_recycle)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long, ts timestamp, name string", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_partition_field(a, "bucket(8, id), day(ts) as day, truncate(4, name)"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->spec_id, 1);
	CHECK_INT(ice_table_metadata_default_spec(md)->nfields, 3);
	CHECK_STR(pfield(md, 0)->name, "id_bucket_8");
	CHECK_INT(pfield(md, 0)->field_id, 1000);
	CHECK_STR(pfield(md, 1)->name, "day");
	CHECK_STR(pfield(md, 2)->name, "name_trunc_4");
	CHECK_INT(pfield(md, 2)->field_id, 1002);

	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_remove_partition_field(a, "id_bucket_8"));
	CHECK_OK(ice_alter_remove_partition_field(a, "truncate(4, name)"));
	CHECK_OK(ice_alter_rename_partition_field(a, "day", "ts_day"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->nfields, 1);
	CHECK_STR(pfield(md, 0)->name, "ts_day");
	CHECK_INT(pfield(md, 0)->field_id, 1001);

	/* the same transform comes back with its old id */
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_partition_field(a, "bucket(8, id)"));
	CHECK_OK(ice_alter_add_partition_field(a, "truncate(2, name) as h2"));
	CHECK_OK(ice_alter_remove_partition_field(a, "h2"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->nfields, 2);
	CHECK_INT(pfield(md, 1)->field_id, 1000);
	CHECK_INT(ice_table_metadata_last_partition_id(md), 1002);
	ice_table_metadata_free(md);
}

TEST(test_update_spec__equivalent_spec_is_reused)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long, ts timestamp", "day(ts)", NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_remove_partition_field(a, "ts_day"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->spec_id, 1);
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_partition_field(a, "day(ts) as ts_day"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->spec_id, 0);
	CHECK_INT(ice_table_metadata_spec_count(md), 2);
	ice_table_metadata_free(md);
}

TEST(test_update_spec__v1_removal_is_void)
{
	ice_table_metadata *md;
	ice_alter *a;
	char tr[32];
	CHECK_OK(make_md(&md, "id long, ts timestamp, c string", "day(ts), c", NULL, 1));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_remove_partition_field(a, "ts_day"));
	CHECK_OK(ice_alter_add_partition_field(a, "bucket(4, id)"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->nfields, 3);
	ice_transform_to_string(&pfield(md, 0)->transform, tr, sizeof(tr));
	CHECK_STR(tr, "void");
	CHECK_STR(pfield(md, 0)->name, "ts_day");
	CHECK_INT(pfield(md, 0)->field_id, 1000);
	CHECK_INT(pfield(md, 1)->field_id, 1001);
	CHECK_STR(pfield(md, 2)->name, "id_bucket_4");
	CHECK_INT(pfield(md, 2)->field_id, 1002);

	/* re-adding the removed field: a new field at the end, the void one
	 * moved aside by name */
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_partition_field(a, "day(ts)"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_spec(md)->nfields, 4);
	CHECK_STR(pfield(md, 0)->name, "ts_day_1000");
	CHECK_STR(pfield(md, 3)->name, "ts_day");
	CHECK_INT(pfield(md, 3)->field_id, 1003);
	ice_table_metadata_free(md);
	EXPECT_ALTER_ERROR("id long, ts timestamp", "day(ts)", NULL, 1, ICE_EINVALID, "removed already", {
		ice_alter_remove_partition_field(a_, "ts_day");
		ice_alter_remove_partition_field(a_, "ts_day");
	});
}

TEST(test_update_spec__errors)
{
	const char *s = "id long, ts timestamp, name string";
	EXPECT_ALTER_ERROR(s, "bucket(8, id)", NULL, 2, ICE_EINVALID, "has bucket[8](id) already, as 'id_bucket'",
	                   ice_alter_add_partition_field(a_, "bucket(8, id) as b"));
	EXPECT_ALTER_ERROR(s, "day(ts)", NULL, 2, ICE_EINVALID, "redundant with partition field 'ts_day'",
	                   ice_alter_add_partition_field(a_, "hour(ts)"));
	EXPECT_ALTER_ERROR(s, "day(ts)", NULL, 2, ICE_EINVALID, "exists already",
	                   ice_alter_add_partition_field(a_, "bucket(2, id) as ts_day"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_ENOTFOUND, "no partition field 'x'",
	                   ice_alter_remove_partition_field(a_, "x"));
	EXPECT_ALTER_ERROR(s, "day(ts)", NULL, 2, ICE_ENOTFOUND, "no partition field 'x'",
	                   ice_alter_rename_partition_field(a_, "x", "y"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "no column 'nope'",
	                   ice_alter_add_partition_field(a_, "bucket(8, nope)"));
	EXPECT_ALTER_ERROR(s, NULL, NULL, 2, ICE_EINVALID, "cannot apply to column 'name'",
	                   ice_alter_add_partition_field(a_, "day(name)"));
	/* partitioning by a column added in the same alter */
	{
		ice_table_metadata *md;
		ice_alter *a;
		CHECK_OK(make_md(&md, s, NULL, NULL, 2));
		CHECK_OK(ice_alter_new(&a));
		CHECK_OK(ice_alter_add_column(a, "region string", ICE_COLUMN_LAST, NULL));
		CHECK_OK(ice_alter_add_partition_field(a, "region"));
		CHECK_OK(run(&md, a));
		CHECK_INT(pfield(md, 0)->source_id, 4);
		ice_alter_free(a);
		ice_table_metadata_free(md);
	}
}

/* ---- sort orders, properties, format ------------------------------------------------------ */

TEST(test_update_table__sort_properties_format)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long, ts timestamp", NULL, "id", 1));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_upgrade_format_version(a, 2));
	CHECK_OK(ice_alter_set_sort_order(a, "ts desc nulls last, id"));
	CHECK_OK(ice_alter_set_property(a, "owner", "ice"));
	CHECK_OK(ice_alter_set_property(a, "tmp", "1"));
	CHECK_OK(ice_alter_remove_property(a, "tmp"));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_format_version(md), 2);
	const ice_sort_order *o = ice_table_metadata_default_sort_order(md);
	CHECK_INT(o->order_id, 2);
	CHECK_INT(o->nfields, 2);
	CHECK_INT(o->fields[0].direction, ICE_SORT_DESC);
	CHECK_STR(ice_table_metadata_property(md, "owner", NULL), "ice");
	CHECK(ice_table_metadata_property(md, "tmp", NULL) == NULL);
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_set_sort_order(a, ""));
	CHECK_OK(run(&md, a));
	ice_alter_free(a);
	CHECK_INT(ice_table_metadata_default_sort_order(md)->order_id, 0);
	ice_table_metadata_free(md);
	EXPECT_ALTER_ERROR("id long", NULL, NULL, 2, ICE_EINVALID, "versions never go down",
	                   ice_alter_upgrade_format_version(a_, 1));
	EXPECT_ALTER_ERROR("id long", NULL, NULL, 2, ICE_ENOTFOUND, "no such property",
	                   ice_alter_remove_property(a_, "nope"));
	EXPECT_ALTER_ERROR("id long", NULL, NULL, 2, ICE_EINVALID, "no column 'x'", ice_alter_set_sort_order(a_, "x"));
}

TEST(test_update_table__upgrade_then_v3_change)
{
	ice_table_metadata *md;
	ice_alter *a;
	CHECK_OK(make_md(&md, "id long", NULL, NULL, 2));
	CHECK_OK(ice_alter_new(&a));
	CHECK_OK(ice_alter_add_column(a, "n int default 1", ICE_COLUMN_LAST, NULL));
	CHECK_OK(ice_alter_upgrade_format_version(a, 3));
	CHECK_OK(run(&md, a));
	CHECK_INT(ice_table_metadata_format_version(md), 3);
	CHECK_INT(col(md, "n")->initial_default->v.i32, 1);
	ice_alter_free(a);
	ice_table_metadata_free(md);
}

/* ---- every allocation failure --------------------------------------------------------------- */

TEST(test_update_alloc__every_failure_is_clean)
{
	ice_table_metadata *base;
	CHECK_OK(make_md(&base, "id long required, ts timestamp, s struct<a: int>, l list<struct<x: int>>", "day(ts)",
	                 "id", 2));
	for (uint64_t n = 1;; n++) {
		ice_alter *a = NULL;
		ice_metadata_builder *b = NULL;
		ice_table_metadata *out = NULL;
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = ice_alter_new(&a);
		if (!rc)
			rc = ice_alter_add_column(a, "p struct<x: double> comment 'c'", ICE_COLUMN_AFTER, "id");
		if (!rc)
			rc = ice_alter_rename_column(a, "s.a", "b");
		if (!rc)
			rc = ice_alter_widen_column(a, "s.b", "long");
		if (!rc)
			rc = ice_alter_add_column(a, "l.y string", ICE_COLUMN_FIRST, NULL);
		if (!rc) {
			const char *ids[] = {"id"};
			rc = ice_alter_set_identifier_fields(a, ids, 1);
		}
		if (!rc)
			rc = ice_alter_add_partition_field(a, "bucket(4, id)");
		if (!rc)
			rc = ice_alter_remove_partition_field(a, "ts_day");
		if (!rc)
			rc = ice_alter_set_sort_order(a, "ts desc");
		if (!rc)
			rc = ice_alter_set_property(a, "k", "v");
		if (!rc)
			rc = ice_metadata_builder_new(&b, base);
		if (!rc)
			rc = ice_alter_apply(a, base, b, NULL);
		if (!rc)
			rc = ice_metadata_builder_build(&out, b);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_table_metadata_free(out);
		ice_metadata_builder_free(b);
		ice_alter_free(a);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			break;
		}
		CHECK_MSG(rc != 0, "allocation %llu failed but the alter succeeded", (unsigned long long)n);
		CHECK(n < 200000);
	}
	ice_table_metadata_free(base);
}
