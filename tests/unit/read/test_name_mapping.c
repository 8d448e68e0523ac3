/*
 * Unit tests of spec/name_mapping.c: the spec's example, lookups by name
 * path (literal dotted names, aliases, list elements and map keys), the
 * fixture tables' properties (both the list form and the schema-shaped
 * wrapper one writer used), mappings built from schemas, JSON round trips,
 * malformed mappings, and every allocation failure.
 */
#include <string.h>

#include "ice.h"
#include "test.h"

static const char spec_example[] =
    "[ { \"field-id\": 1, \"names\": [\"id\", \"record_id\"] },"
    "  { \"field-id\": 2, \"names\": [\"data\"] },"
    "  { \"field-id\": 3, \"names\": [\"location\"], \"fields\": ["
    "      { \"field-id\": 4, \"names\": [\"latitude\", \"lat\"] },"
    "      { \"field-id\": 5, \"names\": [\"longitude\", \"long\"] } ] },"
    "  { \"names\": [\"a.b\"], \"field-id\": 6 },"
    "  { \"names\": [\"extra\"] },"
    "  { \"field-id\": 7, \"names\": [] },"
    "  { \"field-id\": 8, \"names\": [\"tags\"], \"fields\": [ {\"field-id\": 9, \"names\": [\"element\"]} ] },"
    "  { \"field-id\": 10, \"names\": [\"props\"], \"fields\": [ {\"field-id\": 11, \"names\": [\"key\"]},"
    "      {\"field-id\": 12, \"names\": [\"value\"]} ] } ]";

static int32_t id_of(const ice_name_mapping *nm, const char *a, const char *b, const char *c)
{
	const char *path[3] = {a, b, c};
	size_t depth = c ? 3 : b ? 2 : 1;
	const ice_mapped_field *f = ice_name_mapping_find(nm, path, depth);
	return f ? (f->has_field_id ? f->field_id : 0) : -1;
}

TEST(test_read_name_mapping__spec_example)
{
	ice_name_mapping *nm;
	CHECK_OK(ice_name_mapping_parse(&nm, spec_example, strlen(spec_example), "example"));
	CHECK_INT(ice_name_mapping_field_count(nm), 8);
	CHECK_INT(id_of(nm, "id", NULL, NULL), 1);
	CHECK_INT(id_of(nm, "record_id", NULL, NULL), 1);
	CHECK_INT(id_of(nm, "location", "lat", NULL), 4);
	CHECK_INT(id_of(nm, "location", "longitude", NULL), 5);
	CHECK_INT(id_of(nm, "location", "alt", NULL), -1);
	CHECK_INT(id_of(nm, "a.b", NULL, NULL), 6); /* a literal name, not a path */
	CHECK_INT(id_of(nm, "a", "b", NULL), -1);
	CHECK_INT(id_of(nm, "extra", NULL, NULL), 0); /* mapped, without an id */
	CHECK_INT(id_of(nm, "tags", "element", NULL), 9);
	CHECK_INT(id_of(nm, "props", "value", NULL), 12);
	CHECK_INT(id_of(nm, "ID", NULL, NULL), -1); /* names are case-sensitive */
	const ice_mapped_field *loc = ice_name_mapping_child(nm, NULL, "location");
	CHECK(loc && loc->nfields == 2);
	CHECK(ice_name_mapping_child(nm, loc, "long") == &loc->fields[1]);
	CHECK(ice_name_mapping_field_at(nm, 5)->nnames == 0);
	CHECK(ice_name_mapping_field_at(nm, 8) == NULL);

	/* written and parsed again: the same lookups */
	ice_json_writer *w;
	const char *text;
	size_t len;
	ice_name_mapping *again;
	CHECK_OK(ice_json_writer_new(&w, ICE_JSON_COMPACT));
	CHECK_OK(ice_name_mapping_write_json(nm, w));
	CHECK_OK(ice_json_writer_finish(w, &text, &len));
	CHECK_OK(ice_name_mapping_parse(&again, text, len, "again"));
	CHECK_INT(id_of(again, "location", "lat", NULL), 4);
	CHECK_INT(id_of(again, "extra", NULL, NULL), 0);
	CHECK_INT(id_of(again, "props", "key", NULL), 11);
	ice_json_writer_free(w);
	ice_name_mapping_free(again);
	ice_name_mapping_free(nm);
}

TEST(test_read_name_mapping__malformed)
{
	static const struct {
		const char *json;
		const char *error;
	} cases[] = {
		{"{\"a\": 1}", "src: $: expected an array of field mappings"},
		{"[{\"field-id\": 1}]", "src: $[0]: missing required field 'names'"},
		{"[{\"names\": \"a\"}]", "src: $[0].names"},
		{"[{\"names\": [1]}]", "src: $[0].names[0]"},
		{"[{\"names\": [\"a\"], \"field-id\": \"1\"}]", "field-id"},
		{"[{\"names\": [\"a\"], \"field-id\": 1}, {\"names\": [\"a\"], \"field-id\": 2}]",
		 "src: $[1]: name 'a' is mapped twice"},
		{"[{\"names\": [\"a\"], \"field-id\": 1}, {\"names\": [\"b\"], \"field-id\": 1}]", "field id 1 is mapped twice"},
		{"[{\"names\": [\"a\", \"a\"]}]", "listed twice"},
		{"[{\"names\": [\"s\"], \"fields\": [{\"names\": [\"x\"]}, {\"names\": [\"x\"]}]}]", "src: $[0].fields[1]"},
		{"[{\"names\": [\"s\"], \"fields\": {}}]", "$[0].fields"},
		{"[{\"names\": [\"a\"]}", "src: line 1"},
		{"[3]", "src: $[0]: expected an object"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ice_name_mapping *nm;
		int rc = ice_name_mapping_parse(&nm, cases[i].json, strlen(cases[i].json), "src");
		CHECK_MSG(rc == ICE_EINVALID, "case %zu: %d", i, rc);
		CHECK(nm == NULL);
		CHECK_MSG(strstr(LAST_ERROR(), cases[i].error), "case %zu: %s", i, LAST_ERROR());
		CHECK(!strchr(LAST_ERROR(), '\n'));
	}
}

static ice_table_metadata *load(ice_io *io, const char *rel)
{
	ice_table_metadata *md = NULL;
	ice_table_metadata_load(&md, io, ice_test_fixture(rel), NULL);
	return md;
}

TEST(test_read_name_mapping__fixture_tables)
{
	static const char dir[] = "tables/duckdb-iceberg/name_mapping/warehouse_1/mydb/t1/metadata/";
	char path[256];
	ice_io *io;
	ice_name_mapping *nm;
	CHECK_OK(ice_io_new(&io));
	/* the current version: b is field 3 now */
	snprintf(path, sizeof(path), "%sv7.metadata.json", dir);
	ice_table_metadata *md = load(io, path);
	CHECK(md);
	CHECK_OK(ice_name_mapping_from_table(&nm, md));
	CHECK_INT(id_of(nm, "a", NULL, NULL), 1);
	CHECK_INT(id_of(nm, "b", NULL, NULL), 3);
	ice_name_mapping_free(nm);
	ice_table_metadata_free(md);
	/* v5: field 2 keeps no names */
	snprintf(path, sizeof(path), "%sv5.metadata.json", dir);
	CHECK((md = load(io, path)) != NULL);
	CHECK_OK(ice_name_mapping_from_table(&nm, md));
	CHECK_INT(ice_name_mapping_field_count(nm), 3);
	CHECK_INT(ice_name_mapping_field_at(nm, 1)->nnames, 0);
	ice_name_mapping_free(nm);
	ice_table_metadata_free(md);
	/* v2: the schema-shaped wrapper, with aliases */
	snprintf(path, sizeof(path), "%sv2.metadata.json", dir);
	CHECK((md = load(io, path)) != NULL);
	CHECK_OK(ice_name_mapping_from_table(&nm, md));
	CHECK_INT(id_of(nm, "col_b", NULL, NULL), 2);
	CHECK_INT(id_of(nm, "A", NULL, NULL), 1);
	ice_name_mapping_free(nm);
	ice_table_metadata_free(md);
	/* v3.2: an empty mapping maps nothing */
	snprintf(path, sizeof(path), "%sv3.2.metadata.json", dir);
	CHECK((md = load(io, path)) != NULL);
	CHECK_OK(ice_name_mapping_from_table(&nm, md));
	CHECK_INT(ice_name_mapping_field_count(nm), 0);
	CHECK_INT(id_of(nm, "a", NULL, NULL), -1);
	ice_name_mapping_free(nm);
	ice_table_metadata_free(md);
	/* a table without the property */
	CHECK((md = load(io, "tables/iceberg-cxx/no_partitioning")) != NULL);
	CHECK_RC(ice_name_mapping_from_table(&nm, md), ICE_ENOTFOUND);
	CHECK_ERROR_CONTAINS("schema.name-mapping.default");
	ice_table_metadata_free(md);
	ice_io_free(io);
}

TEST(test_read_name_mapping__from_schema)
{
	static const char schema_json[] =
	    "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	    " {\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
	    " {\"id\": 2, \"name\": \"pt\", \"required\": false, \"type\": {\"type\": \"struct\", \"fields\": ["
	    "   {\"id\": 3, \"name\": \"x\", \"required\": false, \"type\": \"double\"}]}},"
	    " {\"id\": 4, \"name\": \"tags\", \"required\": false, \"type\": {\"type\": \"list\", \"element-id\": 5,"
	    "   \"element\": \"string\", \"element-required\": false}},"
	    " {\"id\": 6, \"name\": \"m\", \"required\": false, \"type\": {\"type\": \"map\", \"key-id\": 7,"
	    "   \"key\": \"string\", \"value-id\": 8, \"value\": \"int\", \"value-required\": false}}]}";
	ice_schema *schema;
	ice_name_mapping *nm;
	CHECK_OK(ice_schema_from_json(&schema, schema_json, strlen(schema_json), "schema"));
	CHECK_OK(ice_name_mapping_from_schema(&nm, schema));
	CHECK_INT(id_of(nm, "id", NULL, NULL), 1);
	CHECK_INT(id_of(nm, "pt", "x", NULL), 3);
	CHECK_INT(id_of(nm, "tags", "element", NULL), 5);
	CHECK_INT(id_of(nm, "m", "key", NULL), 7);
	CHECK_INT(id_of(nm, "m", "value", NULL), 8);
	ice_name_mapping_free(nm);
	/* every allocation failure is clean */
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = ice_name_mapping_from_schema(&nm, schema);
		if (!rc) {
			ice_name_mapping_free(nm);
			rc = ice_name_mapping_parse(&nm, spec_example, strlen(spec_example), "example");
			if (!rc)
				ice_name_mapping_free(nm);
		}
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			break;
		}
		CHECK(rc != 0);
		CHECK_OOM();
	}
	ice_schema_free(schema);
}
