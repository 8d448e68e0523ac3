/*
 * Fuzz target: metadata documents - tables (the JSON parser and every part
 * of the model), views, UDFs and bare schemas. An accepted table document
 * must write, re-parse, and compare equal; its inspection accessors must
 * work on whatever was accepted; accepted views and UDFs must write and
 * re-parse.
 */
#include <string.h>

#include "fuzz.h"
#include "ice.h"

static void other_documents(const uint8_t *data, size_t size)
{
	ice_view_metadata *vm = NULL, *vm2 = NULL;
	ice_udf_metadata *um = NULL, *um2 = NULL;
	ice_schema *schema = NULL;
	char *json;
	size_t len;
	if (ice_view_metadata_parse(&vm, data, size, "fuzz.view.json") == 0) {
		FUZZ_ASSERT(ice_view_metadata_to_json(&json, &len, vm, ICE_JSON_COMPACT) == 0);
		FUZZ_ASSERT(ice_view_metadata_parse(&vm2, json, len, "written") == 0);
		ice_free(json);
	}
	if (ice_udf_metadata_parse(&um, data, size, "fuzz.udf.json") == 0) {
		FUZZ_ASSERT(ice_udf_metadata_to_json(&json, &len, um, ICE_JSON_COMPACT) == 0);
		FUZZ_ASSERT(ice_udf_metadata_parse(&um2, json, len, "written") == 0);
		ice_free(json);
	}
	if (ice_schema_from_json(&schema, (const char *)data, size, "fuzz.schema.json") == 0) {
		FUZZ_ASSERT(ice_schema_to_json(&json, &len, schema, ICE_JSON_COMPACT) == 0);
		ice_free(json);
	}
	ice_schema_free(schema);
	ice_udf_metadata_free(um2);
	ice_udf_metadata_free(um);
	ice_view_metadata_free(vm2);
	ice_view_metadata_free(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_table_metadata *md = NULL, *back = NULL;
	other_documents(data, size);
	char *json = NULL;
	size_t len;
	if (ice_table_metadata_parse(&md, data, size, "fuzz.metadata.json") != 0) {
		const ice_error *e = ice_error_last();
		FUZZ_ASSERT(e && e->message && !strchr(e->message, '\n'));
		return 0;
	}
	FUZZ_ASSERT(ice_table_metadata_to_json(&json, &len, md, ICE_JSON_COMPACT) == 0);
	FUZZ_ASSERT(ice_table_metadata_parse(&back, json, len, "written") == 0);
	FUZZ_ASSERT(ice_table_metadata_equal(md, back));
	/* Walk what was accepted the way the tools do. */
	for (size_t i = 0; i < ice_table_metadata_schema_count(md); i++) {
		const ice_schema *s = ice_table_metadata_schema_at(md, i);
		for (size_t f = 0; f < ice_schema_field_count(s); f++) {
			char *t = ice_type_to_string(ice_schema_field_at(s, f)->type);
			ice_free(t);
		}
	}
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(md); i++) {
		const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
		FUZZ_ASSERT(ice_table_metadata_snapshot_by_id(md, s->snapshot_id) != NULL);
		(void)ice_table_metadata_snapshot_schema(md, s);
	}
	(void)ice_table_metadata_snapshot_as_of(md, INT64_MAX);
	ice_free(json);
	ice_table_metadata_free(back);
	ice_table_metadata_free(md);
	return 0;
}
