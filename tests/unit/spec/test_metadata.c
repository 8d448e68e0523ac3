/*
 * Table metadata conformance: every valid metadata document of the corpus
 * parses, writes, and parses back equal; every invalid one is rejected with a
 * message naming what is wrong; parsing is clean under every allocation
 * failure.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>

#include "ice.h"
#include "test.h"

#define MAX_FILES 512

static char *files[MAX_FILES];
static size_t nfiles;

static bool is_negative(const char *path)
{
	static const char *marks[] = {"Invalid", "Missing", "Unsupported", "NotFound", "NoValid", "/invalid/", "/bad_data/"};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(path, marks[i]))
			return true;
	return false;
}

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_F || nfiles >= MAX_FILES)
		return 0;
	if (strstr(path, "/metadata/iceberg-") ? strstr(path, ".json") != NULL : strstr(path, ".metadata.json") != NULL)
		files[nfiles++] = strdup(path);
	return 0;
}

static void gather(void)
{
	char root[4096];
	if (nfiles)
		return;
	snprintf(root, sizeof(root), "%s/metadata", ice_test_fixtures());
	nftw(root, collect, 16, FTW_PHYS);
	snprintf(root, sizeof(root), "%s/tables", ice_test_fixtures());
	nftw(root, collect, 16, FTW_PHYS);
}

/* Documents that are not table metadata (checked by their own tests). */
static bool not_table_metadata(const char *path)
{
	return strstr(path, "/view/") || strstr(path, "/udf/") || strstr(path, "geo-schema");
}

/*
 * Valid-looking documents of the corpus that no conforming reader accepts,
 * each with the reason, checked to fail with that message.
 */
static const struct {
	const char *path_part;
	const char *message_part;
	const char *why;
} corpus_rejects[] = {
	{"big_query_error/metadata/v0.metadata.json", "missing required field 'format-version'",
	 "a placeholder BigQuery leaves (only properties); the table's real metadata is v1749025517"},
	{"equality_delete_cross_partition/warehouse/ns/t/metadata/vfinal", "is out of the 64-bit range",
	 "snapshot id 9876543210123456789 exceeds the long range the spec requires (the reference "
	 "implementation rejects it too)"},
	{"equality_delete_extra_column/warehouse/ns/t/metadata/vfinal", "is out of the 64-bit range", "same out-of-range snapshot id"},
};

static const char *corpus_reject(const char *path, const char **why)
{
	for (size_t i = 0; i < sizeof(corpus_rejects) / sizeof(corpus_rejects[0]); i++)
		if (strstr(path, corpus_rejects[i].path_part)) {
			*why = corpus_rejects[i].why;
			return corpus_rejects[i].message_part;
		}
	return NULL;
}

static int parse_file(const char *path, ice_table_metadata **out)
{
	size_t len;
	char *data = ice_test_read_file(path, &len);
	int rc;
	if (!data)
		return -100;
	rc = ice_table_metadata_parse(out, data, len, path);
	free(data);
	return rc;
}

TEST(test_spec_metadata__valid_documents_round_trip)
{
	size_t ok = 0, rejected = 0;
	gather();
	CHECK(nfiles > 200);
	for (size_t i = 0; i < nfiles; i++) {
		const char *why, *expect;
		ice_table_metadata *md = NULL, *back = NULL;
		char *json = NULL;
		size_t len;
		if (is_negative(files[i]) || not_table_metadata(files[i]))
			continue;
		int rc = parse_file(files[i], &md);
		if ((expect = corpus_reject(files[i], &why)) != NULL) {
			CHECK_MSG(rc != 0, "%s should fail (%s)", files[i], why);
			CHECK_ERROR_CONTAINS(expect);
			rejected++;
			continue;
		}
		CHECK_MSG(rc == 0, "%s: %s", files[i], LAST_ERROR());
		CHECK_OK(ice_table_metadata_to_json(&json, &len, md, ICE_JSON_COMPACT));
		CHECK_OK(ice_table_metadata_parse(&back, json, len, "written"));
		CHECK_MSG(ice_table_metadata_equal(md, back), "%s changed in a round trip", files[i]);
		/* Writing is deterministic. */
		char *again;
		size_t len2;
		CHECK_OK(ice_table_metadata_to_json(&again, &len2, back, ICE_JSON_COMPACT));
		CHECK(len == len2 && memcmp(json, again, len) == 0);
		ice_free(again);
		ice_free(json);
		ice_table_metadata_free(back);
		ice_table_metadata_free(md);
		ok++;
	}
	CHECK(ok >= 220);
	CHECK_INT(rejected, 3);
}

/* The reason each negative document is rejected. */
static const struct {
	const char *path_part;
	const char *message_part;
} negatives[] = {
	{"iceberg-java/TableMetadataUnsupportedVersion.json", "format version 42 is not supported"},
	{"iceberg-java/TableMetadataV1MissingSchemaType.json", "$.schema: missing required field 'type'"},
	{"iceberg-java/TableMetadataV2CurrentSchemaNotFound.json", "missing required field 'last-partition-id'"},
	{"iceberg-java/TableMetadataV2MissingLastPartitionId.json", "missing required field 'last-partition-id'"},
	{"iceberg-java/TableMetadataV2MissingPartitionSpecs.json", "missing required field 'partition-specs'"},
	{"iceberg-java/TableMetadataV2MissingSchemas.json", "missing required field 'schemas'"},
	{"iceberg-java/TableMetadataV2MissingSortOrder.json", "missing required field 'sort-orders'"},
	{"iceberg-go/TableMetadataV2CurrentSchemaNotFound.json", "current schema 2 not found"},
	{"iceberg-rust/TableMetadataUnsupportedVersion.json", "missing required field 'schemas'"},
	{"iceberg-rust/TableMetadataV1NoValidSchema.json", "missing required field 'current-schema-id'"},
	{"iceberg-cxx/invalid/broken1.metadata.json", "line 3, column 3: unterminated string"},
	{"iceberg-cxx/invalid/broken2.metadata.json", "line 1, column 1: unexpected character"},
	{"iceberg-cxx/invalid/empty.metadata.json", "empty file"},
};

TEST(test_spec_metadata__invalid_documents_rejected)
{
	size_t seen = 0;
	gather();
	for (size_t i = 0; i < nfiles; i++) {
		ice_table_metadata *md = NULL;
		if (!is_negative(files[i]) || not_table_metadata(files[i]))
			continue;
		const char *expect = NULL;
		for (size_t k = 0; k < sizeof(negatives) / sizeof(negatives[0]); k++)
			if (strstr(files[i], negatives[k].path_part))
				expect = negatives[k].message_part;
		CHECK_MSG(expect, "no expected message for negative case %s", files[i]);
		CHECK_MSG(parse_file(files[i], &md) != 0, "%s was accepted", files[i]);
		CHECK_MSG(strstr(LAST_ERROR(), expect), "%s: \"%s\" lacks \"%s\"", files[i], LAST_ERROR(), expect);
		/* One line that starts with the file name. */
		CHECK(strstr(LAST_ERROR(), files[i]) == LAST_ERROR());
		CHECK(!strchr(LAST_ERROR(), '\n'));
		seen++;
	}
	CHECK_INT(seen, sizeof(negatives) / sizeof(negatives[0]));
}

/* Parse (and write) under every allocation failure point: no leak, no crash,
 * the static out-of-memory error. */
static void fail_every_allocation(const char *path)
{
	size_t len;
	char *data = ice_test_read_file(path, &len);
	CHECK_MSG(data, "cannot read %s", path);
	for (uint64_t n = 1;; n++) {
		ice_table_metadata *md = NULL;
		char *json = NULL;
		size_t jlen;
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = ice_table_metadata_parse(&md, data, len, path);
		if (rc == 0)
			rc = ice_table_metadata_to_json(&json, &jlen, md, ICE_JSON_PRETTY);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_free(json);
		ice_table_metadata_free(md);
		CHECK_MSG(ice_alloc_outstanding() == before, "%s: leak after failing allocation %llu", path,
		          (unsigned long long)n);
		if (!injected) {
			CHECK_MSG(rc == 0, "%s: %s", path, LAST_ERROR());
			/* every allocation point was visited */
			CHECK_MSG(n > 2, "%s: only %llu allocations", path, (unsigned long long)n);
			break;
		}
		CHECK_MSG(rc != 0, "%s: allocation %llu failed but the parse succeeded", path, (unsigned long long)n);
		CHECK_OOM();
		CHECK(n < 100000);
	}
	free(data);
}

TEST(test_spec_metadata__every_allocation_failure_is_clean)
{
	static const char *docs[] = {
		"metadata/iceberg-java/TableMetadataV2Valid.json",
		"metadata/iceberg-rust/TableMetadataV1Compat.json",
		"metadata/iceberg-rust/TableMetadataV3ValidEncryption.json",
		"metadata/iceberg-cxx/SchemaWithDefaults.json",
		"metadata/iceberg-java/TableMetadataStatisticsFiles.json",
		"metadata/iceberg-go/TableMetadataV2Valid.zstd.metadata.json",
		"metadata/iceberg-rust/example_table_metadata_v2_partition_evolution.json",
		"tables/duckdb-iceberg/iceberg/lineitem_iceberg_gz/metadata/v1.gz.metadata.json",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]) && !ice_test_failed(); i++)
		fail_every_allocation(ice_test_fixture(docs[i]));
}

TEST(test_spec_metadata__v1_quirks)
{
	ice_table_metadata *md;
	/* "schemas" without "current-schema-id": the one equal to "schema" */
	CHECK_OK(parse_file(ice_test_fixture("metadata/iceberg-rust/TableMetadataV1SchemasWithoutCurrentId.json"), &md));
	CHECK_INT(ice_schema_id(ice_table_metadata_current_schema(md)), 0);
	ice_table_metadata_free(md);
	/* "partition-specs" without "default-spec-id": the newest */
	CHECK_OK(parse_file(ice_test_fixture("metadata/iceberg-rust/TableMetadataV1PartitionSpecsWithoutDefaultId.json"), &md));
	CHECK_INT(ice_table_metadata_default_spec(md)->spec_id, 2);
	CHECK_INT(ice_table_metadata_last_partition_id(md), 1001);
	ice_table_metadata_free(md);
	/* current-snapshot-id -1 means none, and no main branch is made */
	CHECK_OK(parse_file(ice_test_fixture("metadata/iceberg-java/TableMetadataV1Valid.json"), &md));
	CHECK(ice_table_metadata_current_snapshot(md) == NULL);
	CHECK_INT(ice_table_metadata_ref_count(md), 0);
	CHECK_INT(ice_table_metadata_default_spec(md)->fields[0].field_id, 1000);
	ice_table_metadata_free(md);
}

TEST(test_spec_metadata__accessors_and_time_travel)
{
	ice_table_metadata *md;
	CHECK_OK(parse_file(ice_test_fixture("metadata/iceberg-java/TableMetadataV2Valid.json"), &md));
	CHECK_INT(ice_table_metadata_format_version(md), 2);
	CHECK_STR(ice_table_metadata_uuid(md), "9c12d441-03fe-4693-9a96-a0705ddf69c1");
	CHECK_INT(ice_table_metadata_last_sequence_number(md), 34);
	CHECK_INT(ice_table_metadata_snapshot_count(md), 2);
	CHECK_INT(ice_table_metadata_current_snapshot(md)->snapshot_id, 3055729675574597004LL);
	/* the snapshot log decides time travel */
	CHECK(ice_table_metadata_snapshot_as_of(md, 1515100955769) == NULL);
	CHECK_INT(ice_table_metadata_snapshot_as_of(md, 1515100955770)->snapshot_id, 3051729675574597004LL);
	CHECK_INT(ice_table_metadata_snapshot_as_of(md, 1555100955769)->snapshot_id, 3051729675574597004LL);
	CHECK_INT(ice_table_metadata_snapshot_as_of(md, 1555100955770)->snapshot_id, 3055729675574597004LL);
	CHECK(ice_table_metadata_is_ancestor(md, 3055729675574597004LL, 3051729675574597004LL));
	CHECK(!ice_table_metadata_is_ancestor(md, 3051729675574597004LL, 3055729675574597004LL));
	const ice_schema *s = ice_table_metadata_current_schema(md);
	CHECK_INT(ice_schema_find_field_by_name(s, "y", true)->id, 2);
	CHECK(ice_schema_find_field_by_name(s, "Y", true) == NULL);
	CHECK_INT(ice_schema_find_field_by_name(s, "Y", false)->id, 2);
	const ice_sort_order *o = ice_table_metadata_default_sort_order(md);
	CHECK_INT(o->order_id, 3);
	CHECK(o->fields[1].transform.kind == ICE_TRANSFORM_BUCKET && o->fields[1].transform.param == 4);
	ice_table_metadata_free(md);
}

TEST(test_spec_metadata__schema_documents)
{
	/* A bare schema document (geospatial types with CRS and algorithm). */
	size_t len;
	char *data = ice_test_read_file(ice_test_fixture("metadata/iceberg-go/geo-schema-java-main.json"), &len);
	ice_schema *s;
	CHECK(data);
	CHECK_OK(ice_schema_from_json(&s, data, len, "geo-schema-java-main.json"));
	free(data);
	CHECK_INT(ice_schema_id(s), 17);
	const ice_type *geog = ice_schema_find_field(s, 3)->type;
	CHECK(geog->id == ICE_TYPE_GEOGRAPHY);
	CHECK_STR(geog->u.geography.crs, "srid:4269");
	CHECK_STR(geog->u.geography.algorithm, "karney");
	CHECK(ice_schema_find_field(s, 7)->type->u.geography.crs == NULL);
	char *text = ice_type_to_string(ice_schema_find_field(s, 5)->type);
	CHECK_STR(text, "geography(OGC:CRS84, karney)");
	ice_free(text);
	char *json;
	size_t jlen;
	ice_schema *back;
	CHECK_OK(ice_schema_to_json(&json, &jlen, s, ICE_JSON_COMPACT));
	CHECK_OK(ice_schema_from_json(&back, json, jlen, "written"));
	CHECK(ice_schema_same_structure(s, back));
	ice_free(json);
	ice_schema_free(back);
	ice_schema_free(s);
}

TEST(test_spec_metadata__views_and_udfs)
{
	size_t len;
	char *data = ice_test_read_file(ice_test_fixture("metadata/iceberg-java/view/ValidViewMetadata.json"), &len);
	ice_view_metadata *vm;
	ice_document_kind kind;
	CHECK(data);
	CHECK_OK(ice_document_kind_of(&kind, data, len, "v"));
	CHECK(kind == ICE_DOCUMENT_VIEW);
	CHECK_OK(ice_view_metadata_parse(&vm, data, len, "ValidViewMetadata.json"));
	free(data);
	const ice_view_version *cur = ice_view_metadata_current_version(vm);
	CHECK_INT(cur->version_id, 2);
	CHECK_STR(cur->representations[0].sql, "select 1 id, 'abc' data");
	CHECK_STR(cur->representations[0].dialect, "spark-sql");
	CHECK_INT(ice_schema_field_count(ice_view_metadata_schema_by_id(vm, cur->schema_id)), 3);
	CHECK_INT(ice_view_metadata_log_count(vm), 2);
	ice_view_metadata_free(vm);

	data = ice_test_read_file(ice_test_fixture("metadata/iceberg-go/udf/udf-metadata-table.json"), &len);
	ice_udf_metadata *um;
	CHECK(data);
	CHECK_OK(ice_document_kind_of(&kind, data, len, "u"));
	CHECK(kind == ICE_DOCUMENT_UDF);
	CHECK_OK(ice_udf_metadata_parse(&um, data, len, "udf-metadata-table.json"));
	free(data);
	const ice_udf_definition *d = ice_udf_metadata_definition_at(um, 0);
	CHECK_STR(d->definition_id, "string");
	CHECK(d->table_function && d->return_type->id == ICE_TYPE_STRUCT);
	CHECK_INT(d->return_type->u.struct_.nfields, 2);
	ice_udf_metadata_free(um);
}
