/*
 * Fuzz target: single values. The first byte picks a type; the rest is
 * parsed as text, as JSON and as binary. Accepted values must serialize and
 * read back equal.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"

static const char *const types[] = {
	"boolean", "int", "long", "float", "double", "decimal(9,2)", "decimal(38,10)", "decimal(4,-3)", "date",
	"time", "timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns", "string", "uuid", "fixed[4]",
	"binary", "geometry", "geography",
};

static const ice_type *type_for(uint8_t k, ice_schema **holder)
{
	char doc[256];
	snprintf(doc, sizeof(doc), "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"v\",\"required\":false,\"type\":\"%s\"}]}",
	         types[k % (sizeof(types) / sizeof(types[0]))]);
	if (ice_schema_from_json(holder, doc, strlen(doc), "t") != 0)
		__builtin_trap();
	return ice_schema_field_at(*holder, 0)->type;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_schema *holder = NULL;
	ice_arena *arena;
	ice_literal v, back;
	if (size < 1 || ice_arena_new(&arena) != 0)
		return 0;
	const ice_type *t = type_for(data[0], &holder);
	const char *text = (const char *)data + 1;
	size_t n = size - 1;

	if (ice_literal_from_string(&v, t, text, n, arena) == 0) {
		uint8_t bytes[4096];
		size_t len;
		if (ice_literal_to_bytes(&v, bytes, sizeof(bytes), &len) == 0 && len <= sizeof(bytes)) {
			FUZZ_ASSERT(ice_literal_from_bytes(&back, t, bytes, len) == 0);
			FUZZ_ASSERT(ice_literal_compare(&v, &back) == 0 || v.type == ICE_TYPE_FLOAT || v.type == ICE_TYPE_DOUBLE);
		}
		char *s = ice_literal_to_string(&v);
		ice_free(s);
		ice_json_writer *w;
		const char *json;
		size_t jlen;
		if (ice_json_writer_new(&w, 0) == 0) {
			if (ice_literal_write_json(&v, w) == 0 && ice_json_writer_finish(w, &json, &jlen) == 0)
				FUZZ_ASSERT(ice_literal_from_json(&back, t, json, jlen, arena) == 0);
			ice_json_writer_free(w);
		}
		int32_t h;
		(void)ice_literal_hash(&v, &h);
		for (int k = 0; k < 8; k++) {
			ice_transform tr = {(ice_transform_kind)k, 7, NULL};
			ice_literal out, lits[2];
			ice_op op;
			size_t nl;
			if (ice_transform_apply(&tr, &v, &out) == 0) {
				char *hs = ice_transform_human_string(&tr, &out);
				ice_free(hs);
			}
			(void)ice_transform_project(&tr, (ice_op)(ICE_OP_LT + data[0] % 8), &v, data[0] & 1, &op, lits, &nl);
		}
	}
	(void)ice_literal_from_json(&v, t, text, n, arena);
	(void)ice_literal_from_bytes(&v, t, (const uint8_t *)text, n);
	ice_arena_free(arena);
	ice_schema_free(holder);
	return 0;
}
