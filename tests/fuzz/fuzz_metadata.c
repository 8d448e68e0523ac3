/*
 * Fuzz target: table metadata documents (the JSON parser and every part of
 * the model). An accepted document must write, re-parse, and compare equal;
 * its inspection accessors must work on whatever was accepted.
 */
#include <string.h>

#include "fuzz.h"
#include "ice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_table_metadata *md = NULL, *back = NULL;
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
