/*
 * tests/unit/manifest/test_manifest.c - manifests and manifest lists over
 * the whole corpus: every .avro reads with the record count a reference
 * Avro reader saw (avro/INDEX.json), negative cases fail naming the file,
 * and every file survives read -> write -> read unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "test.h"
#include "util/buf.h"
#include "util/json.h"

static ice_table_metadata *load_table(ice_io *io, const char *path)
{
	ice_table_metadata *md = NULL;
	char *dir = mt_table_dir(path);
	if (dir && ice_table_metadata_load(&md, io, dir, NULL) != 0)
		md = NULL; /* a table whose metadata does not load: read without it */
	free(dir);
	ice_error_clear();
	return md;
}

/* The record count avro/INDEX.json gives for a file, or -1 (unreadable). */
static long index_records(ice_json *index, const char *path)
{
	const char *rel = path + strlen(ice_test_fixtures()) + 1;
	ice_json *files = ice_json__get(index, "files");
	for (size_t i = 0; i < ice_json__size(files); i++) {
		ice_json *f = ice_json__at(files, i);
		const char *name = ice_json__str(ice_json__get(f, "file"), NULL);
		if (name && strcmp(name, rel) == 0) {
			ice_json *r = ice_json__get(f, "records");
			return r ? (long)ice_json__int(r) : -1;
		}
	}
	return -2;
}

TEST(test_manifest_read__every_fixture)
{
	const char *const *files = mt_fixture_avros();
	size_t len;
	char *text = ice_test_read_file(ice_test_fixture("avro/INDEX.json"), &len);
	ice_json *index = NULL;
	ice_io *io = NULL;
	int lists = 0, manifests = 0, negatives = 0;
	CHECK(text);
	CHECK_OK(ice_json__parse(&index, text, len, "INDEX.json"));
	CHECK_OK(ice_io_new(&io));
	for (size_t i = 0; files[i]; i++) {
		ice_table_metadata *md = load_table(io, files[i]);
		long want = index_records(index, files[i]);
		long got = mt_count_list(io, md, files[i]);
		if (got >= 0)
			lists++;
		else if ((got = mt_count_manifest(io, md, files[i])) >= 0)
			manifests++;
		ice_table_metadata_free(md);
		if (mt_is_negative(files[i])) {
			CHECK_MSG(got < 0, "%s: a negative case read", files[i]);
			CHECK_MSG(strstr(LAST_ERROR(), files[i]) == LAST_ERROR() && !strchr(LAST_ERROR(), '\n'),
			          "%s: error does not start with the file: %s", files[i], LAST_ERROR());
			negatives++;
			continue;
		}
		CHECK_MSG(want != -2, "%s: not in INDEX.json", files[i]);
		CHECK_MSG(got == want, "%s: read %ld records, INDEX.json says %ld (%s)", files[i], got, want,
		          got < 0 ? LAST_ERROR() : "");
	}
	CHECK_MSG(lists >= 100 && manifests >= 100 && negatives == 4, "lists %d manifests %d negatives %d", lists,
	          manifests, negatives);
	ice_io_free(io);
	ice_json__free(index);
	free(text);
}

TEST(test_manifest_roundtrip__every_fixture)
{
	const char *const *files = mt_fixture_avros();
	ice_io *io = NULL;
	char out[512];
	int done = 0;
	CHECK_OK(ice_io_new(&io));
	for (size_t i = 0; files[i]; i++) {
		ice_table_metadata *md;
		long records;
		bool is_list;
		if (mt_is_negative(files[i]))
			continue;
		md = load_table(io, files[i]);
		mt_path("roundtrip.avro", out, sizeof(out));
		int rc = mt_roundtrip(io, md, files[i], out, &records, &is_list);
		ice_table_metadata_free(md);
		CHECK_MSG(rc == 0, "%s: %s", files[i], LAST_ERROR());
		done++;
	}
	unlink(out);
	CHECK(done >= 230);
	ice_io_free(io);
}

/* Entries of a manifest written for a table (v1, v2, v3) read back with what
 * a manifest list entry makes them inherit. */
static const char *schema_json =
    "{\"type\": \"struct\", \"schema-id\": 3, \"fields\": ["
    "{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
    "{\"id\": 2, \"name\": \"name\", \"required\": false, \"type\": \"string\"},"
    "{\"id\": 3, \"name\": \"ts\", \"required\": false, \"type\": \"timestamptz\"},"
    "{\"id\": 4, \"name\": \"price\", \"required\": false, \"type\": \"decimal(9,2)\"}]}";
static const char *spec_json = "{\"spec-id\": 7, \"fields\": ["
                               "{\"name\": \"ts_day\", \"transform\": \"day\", \"source-id\": 3, \"field-id\": 1000},"
                               "{\"name\": \"name\", \"transform\": \"identity\", \"source-id\": 2, \"field-id\": 1001}]}";

static void fill_file(ice_data_file *df, ice_literal part[2], ice_metric_count counts[2], ice_metric_bound bounds[2],
                      const char *path, int32_t day, const char *name, int64_t records)
{
	memset(df, 0, sizeof(*df));
	df->content = ICE_FILE_CONTENT_DATA;
	df->file_path = path;
	df->file_format = "PARQUET";
	part[0] = ice_literal_null(ICE_TYPE_DATE);
	if (day >= 0) {
		part[0].is_null = false;
		part[0].v.i32 = day;
	}
	part[1] = name ? ice_literal_string(name, strlen(name)) : ice_literal_null(ICE_TYPE_STRING);
	df->partition_spec_id = 7;
	df->n_partition = 2;
	df->partition = part;
	df->record_count = records;
	df->file_size_in_bytes = 1000 + records;
	counts[0].field_id = 1;
	counts[0].value = records;
	counts[1].field_id = 2;
	counts[1].value = records;
	df->value_counts.present = true;
	df->value_counts.n = 2;
	df->value_counts.items = counts;
	memset(bounds, 0, 2 * sizeof(*bounds));
	bounds[0].field_id = 1;
	bounds[0].value = ice_literal_long(-5);
	bounds[1].field_id = 2;
	bounds[1].value = ice_literal_string("a fairly long string value here", 31);
	df->lower_bounds.present = true;
	df->lower_bounds.n = 2;
	df->lower_bounds.items = bounds;
	df->upper_bounds = df->lower_bounds;
}

TEST(test_manifest_write__inheritance_v1_v2_v3)
{
	ice_schema *schema = mt_schema(schema_json);
	ice_partition_spec *spec = mt_spec(spec_json);
	ice_io *io = NULL;
	char path[512];
	CHECK_OK(ice_io_new(&io));
	for (int v = 1; v <= 3; v++) {
		ice_manifest_writer_options o;
		ice_manifest_writer *w = NULL;
		ice_manifest_file *mf = NULL;
		ice_manifest_reader *r = NULL;
		const ice_manifest_entry *e;
		ice_data_file df;
		ice_literal part[2];
		ice_metric_count counts[2];
		ice_metric_bound bounds[2];
		ice_manifest_writer_options_init(&o);
		o.format_version = v;
		o.schema = schema;
		o.spec = spec;
		o.has_snapshot_id = true;
		o.snapshot_id = 77;
		mt_path("inherit.avro", path, sizeof(path));
		CHECK_OK(ice_manifest_writer_open(&w, io, path, NULL, &o));
		fill_file(&df, part, counts, bounds, "s3://b/t/data/a.parquet", 19000, "x", 10);
		CHECK_OK(ice_manifest_writer_add(w, &df, -1));
		fill_file(&df, part, counts, bounds, "s3://b/t/data/b.parquet", -1, NULL, 20);
		CHECK_OK(ice_manifest_writer_add_existing(w, &df, 70, 4, 5));
		fill_file(&df, part, counts, bounds, "s3://b/t/data/c.parquet", 18000, "y", 30);
		CHECK_OK(ice_manifest_writer_add_deleted(w, &df, 3, 3));
		fill_file(&df, part, counts, bounds, "s3://b/t/data/d.parquet", 18001, "z", 40);
		CHECK_OK(ice_manifest_writer_add(w, &df, 2));
		CHECK_OK(ice_manifest_writer_close(w, &mf));
		CHECK_INT(mf->added_files_count, 2);
		CHECK_INT(mf->existing_files_count, 1);
		CHECK_INT(mf->deleted_files_count, 1);
		CHECK_INT(mf->added_rows_count, 50);
		CHECK_INT(mf->existing_rows_count, 20);
		CHECK_INT(mf->deleted_rows_count, 30);
		CHECK_INT(mf->sequence_number, ICE_SEQUENCE_NUMBER_UNASSIGNED);
		CHECK_INT(mf->min_sequence_number, 2);
		CHECK_INT(mf->partition_spec_id, 7);
		CHECK_INT(mf->n_partitions, 2);
		CHECK(mf->partitions[0].contains_null && !mf->partitions[0].contains_nan);
		CHECK(mf->partitions[0].has_lower_bound && mf->partitions[0].lower_value.v.i32 == 18000);
		CHECK(mf->partitions[0].upper_value.v.i32 == 19000);
		CHECK(mf->partitions[1].contains_null);
		CHECK(mf->partitions[1].lower_value.v.bytes.len == 1 && mf->partitions[1].lower_value.v.bytes.data[0] == 'x');

		/* What a manifest list entry hands down (v1 lists carry 0). */
		const int64_t S = v == 1 ? 0 : 9;
		mf->sequence_number = S;
		mf->min_sequence_number = 2;
		mf->has_first_row_id = true;
		mf->first_row_id = 1000;
		CHECK_OK(ice_manifest_open(&r, io, NULL, mf));
		CHECK_INT(ice_manifest_reader_format_version(r), v);
		CHECK_STR(ice_manifest_reader_meta(r, "partition-spec-id"), "7");
		CHECK_STR(ice_manifest_reader_meta(r, "schema-id"), "3");
		CHECK_STR(ice_manifest_reader_meta(r, "format-version"), v == 1 ? "1" : v == 2 ? "2" : "3");
		CHECK(v == 1 ? !ice_manifest_reader_meta(r, "content") : !!ice_manifest_reader_meta(r, "content"));

		CHECK_OK(ice_manifest_next(r, &e));
		CHECK_INT(e->status, ICE_MANIFEST_ENTRY_ADDED);
		CHECK(e->has_snapshot_id && e->snapshot_id == 77);
		CHECK(e->has_sequence_number && e->sequence_number == S);
		CHECK(e->has_file_sequence_number && e->file_sequence_number == S);
		/* First row ids are inherited whatever the manifest's version: a v1
		 * or v2 manifest in a v3 table's list gets them too. */
		CHECK_INT(e->inherited, ICE_INHERITED_SEQUENCE_NUMBER | ICE_INHERITED_FILE_SEQUENCE_NUMBER |
		                            ICE_INHERITED_FIRST_ROW_ID);
		CHECK(e->data_file.partition[0].v.i32 == 19000 && !e->data_file.partition[1].is_null);
		CHECK(e->data_file.has_first_row_id && e->data_file.first_row_id == 1000);
		/* Bounds with truncate(16): the long string is cut, its upper bound rounded up. */
		const ice_metric_bound *lb = ice_metric_bounds_get(&e->data_file.lower_bounds, 2);
		const ice_metric_bound *ub = ice_metric_bounds_get(&e->data_file.upper_bounds, 2);
		CHECK(lb && lb->bytes.len == 16 && memcmp(lb->bytes.data, "a fairly long st", 16) == 0);
		CHECK(ub && ub->bytes.len == 16 && memcmp(ub->bytes.data, "a fairly long su", 16) == 0);
		CHECK(lb->value.type == ICE_TYPE_STRING && lb->value.v.bytes.len == 16);
		const ice_metric_bound *b1 = ice_metric_bounds_get(&e->data_file.lower_bounds, 1);
		CHECK(b1 && b1->value.type == ICE_TYPE_LONG && b1->value.v.i64 == -5);

		CHECK_OK(ice_manifest_next(r, &e));
		CHECK_INT(e->status, ICE_MANIFEST_ENTRY_EXISTING);
		CHECK(e->snapshot_id == 70 && e->sequence_number == (v == 1 ? 0 : 4));
		CHECK(e->file_sequence_number == (v == 1 ? 0 : 5));
		CHECK(e->data_file.partition[0].is_null && e->data_file.partition[1].is_null);
		CHECK(e->data_file.has_first_row_id && e->data_file.first_row_id == 1010);

		CHECK_OK(ice_manifest_next(r, &e));
		CHECK_INT(e->status, ICE_MANIFEST_ENTRY_DELETED);
		CHECK(e->sequence_number == (v == 1 ? 0 : 3));
		CHECK(!e->data_file.has_first_row_id); /* deleted entries are not assigned */

		CHECK_OK(ice_manifest_next(r, &e));
		CHECK(e->sequence_number == (v == 1 ? 0 : 2)); /* explicit data sequence number (none in v1) */
		CHECK(e->file_sequence_number == S);
		CHECK_INT(e->data_file.first_row_id, 1030);
		CHECK_RC(ice_manifest_next(r, &e), ICE_ITEROVER);
		ice_manifest_reader_free(r);
		ice_manifest_file_free(mf);
	}
	unlink(path);
	ice_io_free(io);
	ice_schema_free(schema);
	ice_partition_spec_free(spec);
}

TEST(test_manifest_write__list_assigns_sequence_numbers_and_row_ids)
{
	ice_io *io = NULL;
	char path[512];
	CHECK_OK(ice_io_new(&io));
	for (int v = 1; v <= 3; v++) {
		ice_manifest_list_writer_options o;
		ice_manifest_list_writer *w = NULL;
		ice_manifest_list *list = NULL;
		ice_manifest_file mf;
		ice_partition_field_summary sum = {true, true, false, true, true, {(const uint8_t *)"\x01\0\0\0", 4},
		                                   {(const uint8_t *)"\x09\0\0\0", 4}, {0}, {0}};
		int64_t next = 0;
		ice_manifest_list_writer_options_init(&o);
		o.format_version = v;
		o.snapshot_id = 42;
		o.has_parent_snapshot_id = v != 2;
		o.parent_snapshot_id = 41;
		o.sequence_number = 6;
		o.has_first_row_id = true;
		o.first_row_id = 500;
		mt_path("list.avro", path, sizeof(path));
		CHECK_OK(ice_manifest_list_writer_open(&w, io, path, &o));
		memset(&mf, 0, sizeof(mf));
		mf.manifest_path = "/t/m1.avro";
		mf.manifest_length = 123;
		mf.partition_spec_id = 0;
		mf.sequence_number = mf.min_sequence_number = ICE_SEQUENCE_NUMBER_UNASSIGNED;
		mf.has_added_snapshot_id = true;
		mf.added_snapshot_id = 42;
		mf.added_files_count = 2;
		mf.existing_files_count = 1;
		mf.deleted_files_count = 0;
		mf.added_rows_count = 10;
		mf.existing_rows_count = 5;
		mf.deleted_rows_count = 0;
		mf.has_partitions = true;
		mf.n_partitions = 1;
		mf.partitions = &sum;
		CHECK_OK(ice_manifest_list_writer_add(w, &mf));
		mf.manifest_path = "/t/m2.avro";
		mf.sequence_number = 3;
		mf.min_sequence_number = 1;
		mf.added_snapshot_id = 40;
		CHECK_OK(ice_manifest_list_writer_add(w, &mf));
		if (v >= 2) {
			mf.manifest_path = "/t/d1.avro";
			mf.content = ICE_MANIFEST_CONTENT_DELETES;
			CHECK_OK(ice_manifest_list_writer_add(w, &mf));
			/* an unassigned sequence number of another snapshot's manifest */
			mf.sequence_number = ICE_SEQUENCE_NUMBER_UNASSIGNED;
			CHECK_RC(ice_manifest_list_writer_add(w, &mf), ICE_EINVALID);
			CHECK_ERROR_CONTAINS("unassigned sequence number");
		}
		CHECK_OK(ice_manifest_list_writer_close(w, &next));
		CHECK_OK(ice_manifest_list_read(&list, io, NULL, path));
		CHECK_INT(list->format_version, v);
		CHECK_INT(list->n, v >= 2 ? 3 : 2);
		CHECK_STR(list->items[0].manifest_path, "/t/m1.avro");
		CHECK_INT(list->items[0].sequence_number, v >= 2 ? 6 : 0);
		CHECK_INT(list->items[0].min_sequence_number, v >= 2 ? 6 : 0);
		CHECK_INT(list->items[1].sequence_number, v >= 2 ? 3 : 0);
		CHECK_INT(list->items[1].min_sequence_number, v >= 2 ? 1 : 0);
		CHECK(list->items[0].n_partitions == 1 && list->items[0].partitions[0].contains_null);
		CHECK(list->items[0].partitions[0].upper_bound.len == 4 &&
		      list->items[0].partitions[0].upper_bound.data[0] == 9);
		if (v == 3) {
			CHECK(list->items[0].has_first_row_id && list->items[0].first_row_id == 500);
			CHECK(list->items[1].has_first_row_id && list->items[1].first_row_id == 515);
			CHECK(!list->items[2].has_first_row_id);
			CHECK_INT(next, 530);
		} else {
			CHECK(!list->items[0].has_first_row_id);
		}
		ice_manifest_list_free(list);
	}
	unlink(path);
	ice_io_free(io);
}

TEST(test_manifest_list__snapshots_of_fixture_tables)
{
	ice_io *io = NULL;
	ice_table_metadata *md = NULL;
	ice_manifest_list *list = NULL;
	char table[4096], prefix[4096];
	snprintf(table, sizeof(table), "%s", ice_test_fixture("tables/iceberg-cxx/partition_evolution"));
	snprintf(prefix, sizeof(prefix), "%s", ice_test_fixture("tables/iceberg-cxx/"));
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_io_add_path_map(io, "s3a://warehouse/", prefix));
	CHECK_OK(ice_io_add_path_map(io, "s3://warehouse/", prefix));
	CHECK_OK(ice_table_metadata_load(&md, io, table, NULL));
	const ice_snapshot *snap = ice_table_metadata_current_snapshot(md);
	CHECK(snap);
	CHECK_OK(ice_manifest_list_read_snapshot(&list, io, md, snap));
	CHECK(list->n >= 2);
	size_t entries = 0;
	for (size_t i = 0; i < list->n; i++) {
		ice_manifest_reader *r = NULL;
		const ice_manifest_entry *e;
		int rc;
		CHECK_OK(ice_manifest_open(&r, io, md, &list->items[i]));
		const ice_partition_spec *spec = ice_manifest_reader_spec(r);
		CHECK_INT(spec->spec_id, list->items[i].partition_spec_id);
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			CHECK_INT(e->data_file.n_partition, spec->nfields);
			CHECK(e->has_sequence_number && e->has_snapshot_id);
			entries++;
		}
		CHECK_RC(rc, ICE_ITEROVER);
		ice_manifest_reader_free(r);
	}
	CHECK(entries >= 2);
	ice_manifest_list_free(list);
	ice_table_metadata_free(md);
	ice_io_free(io);
}

/* A v1 snapshot that names its manifests inline (no manifest list). */
TEST(test_manifest_list__v1_inline_manifests)
{
	ice_schema *schema = mt_schema(schema_json);
	ice_partition_spec *spec = mt_spec(spec_json);
	ice_io *io = NULL;
	ice_manifest_writer *w = NULL;
	ice_manifest_writer_options o;
	ice_table_metadata *md = NULL;
	ice_manifest_list *list = NULL;
	ice_buf json = ICE_BUF_INIT;
	char path[512];
	ice_data_file df;
	ice_literal part[2];
	ice_metric_count counts[2];
	ice_metric_bound bounds[2];
	CHECK_OK(ice_io_new(&io));
	mt_path("inline-m0.avro", path, sizeof(path));
	ice_manifest_writer_options_init(&o);
	o.format_version = 1;
	o.schema = schema;
	o.spec = spec;
	o.has_snapshot_id = true;
	o.snapshot_id = 11;
	CHECK_OK(ice_manifest_writer_open(&w, io, path, NULL, &o));
	fill_file(&df, part, counts, bounds, "/t/data/a.parquet", 19000, "x", 10);
	CHECK_OK(ice_manifest_writer_add(w, &df, -1));
	CHECK_OK(ice_manifest_writer_close(w, NULL));
	ice_buf__printf(&json,
	                "{\"format-version\": 1, \"table-uuid\": \"9c12d441-03fe-4693-9a96-a0705ddf69c1\", "
	                "\"location\": \"/t\", \"last-updated-ms\": 1, \"last-column-id\": 4, \"schema\": %s, "
	                "\"partition-spec\": [{\"name\": \"ts_day\", \"transform\": \"day\", \"source-id\": 3, "
	                "\"field-id\": 1000}, {\"name\": \"name\", \"transform\": \"identity\", \"source-id\": 2, "
	                "\"field-id\": 1001}], \"current-snapshot-id\": 11, \"snapshots\": [{\"snapshot-id\": 11, "
	                "\"timestamp-ms\": 1, \"manifests\": [\"%s\"]}]}",
	                schema_json, path);
	CHECK_OK(ice_table_metadata_parse(&md, json.ptr, json.len, "inline.metadata.json"));
	CHECK_OK(ice_manifest_list_read_snapshot(&list, io, md, ice_table_metadata_current_snapshot(md)));
	CHECK_INT(list->n, 1);
	CHECK_STR(list->items[0].manifest_path, path);
	CHECK_INT(list->items[0].partition_spec_id, 7); /* the manifest header's */
	CHECK_INT(list->items[0].sequence_number, 0);
	CHECK(list->items[0].has_added_snapshot_id && list->items[0].added_snapshot_id == 11);
	CHECK_INT(list->items[0].added_files_count, -1);
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	CHECK_OK(ice_manifest_open(&r, io, md, &list->items[0]));
	CHECK_OK(ice_manifest_next(r, &e));
	CHECK(e->snapshot_id == 11 && e->sequence_number == 0);
	CHECK_STR(e->data_file.file_path, "/t/data/a.parquet");
	ice_manifest_reader_free(r);
	ice_manifest_list_free(list);
	ice_table_metadata_free(md);
	ice_buf__free(&json);
	unlink(path);
	ice_io_free(io);
	ice_schema_free(schema);
	ice_partition_spec_free(spec);
}
