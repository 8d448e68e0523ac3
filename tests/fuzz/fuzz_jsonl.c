/*
 * Fuzz target: JSON Lines input as ice append reads it - each line parsed
 * as JSON and, when it is an object, its members converted to the columns
 * of a fixed schema with nested types (table/values.c): structs from
 * objects, lists from arrays, maps from objects with converted keys,
 * numbers and strings to every primitive type. Whatever the bytes, each
 * line converts or fails with an error, and a converted value has the
 * column's type.
 */
#include <string.h>

#include "fuzz.h"
#include "ice.h"
#include "ingest/values.h"
#include "util/arena.h"
#include "util/json.h"

static const char *schema_text =
    "id long, b boolean, f float, d double, dec decimal(20,4), dt date, ts timestamptz, ns timestamp_ns, "
    "s string, u uuid, bin binary, tags list<struct<k: string, v: list<int>>>, "
    "m map<int, map<string, double>>, st struct<x: int, inner: struct<y: string, z: list<long>>>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ice_schema *schema;
	ice_arena arena;
	if (!schema && ice_schema_parse_dsl(&schema, schema_text) != 0)
		__builtin_trap();
	ice_arena__init(&arena, 1024);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		ice_json *j = NULL;
		if (ice_json__parse(&j, p, len, "line") == 0) {
			if (ice_json__type(j) == ICE_JSON_OBJECT) {
				for (size_t i = 0; i < ice_schema_field_count(schema); i++) {
					const ice_field *f = ice_schema_field_at(schema, i);
					const ice_json *m = ice_json__get(j, f->name);
					ice_literal v;
					if (!m)
						continue;
					if (ice_value__from_json(&v, f->type, m, &arena, 0, NULL) == 0)
						FUZZ_ASSERT(v.is_null || v.type == f->type->id);
					else
						FUZZ_ASSERT(ice_error_last() != NULL);
					ice_error_clear();
				}
			}
			ice_json__free(j);
		} else {
			FUZZ_ASSERT(ice_error_last() != NULL);
		}
		ice_error_clear();
		ice_arena__free(&arena);
		p += len + (nl ? 1 : 0);
	}
	ice_arena__free(&arena);
	return 0;
}
