/*
 * Fuzz target: a name mapping (schema.name-mapping.default) from memory.
 * Accepted mappings are written as JSON and parsed again, which must give
 * the same lookups for every name path of the first.
 */
#include <string.h>

#include "fuzz.h"
#include "ice.h"

static void check_same(const ice_name_mapping *a, const ice_name_mapping *b, const ice_mapped_field *fa,
                       const ice_mapped_field *fb, int depth)
{
	size_t n = fa ? fa->nfields : ice_name_mapping_field_count(a);
	if (depth > 8)
		return;
	for (size_t i = 0; i < n; i++) {
		const ice_mapped_field *f = fa ? &fa->fields[i] : ice_name_mapping_field_at(a, i);
		for (size_t k = 0; k < f->nnames; k++) {
			const ice_mapped_field *g = ice_name_mapping_child(b, fb, f->names[k]);
			FUZZ_ASSERT(g && g->has_field_id == f->has_field_id && (!f->has_field_id || g->field_id == f->field_id));
			check_same(a, b, f, g, depth + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_name_mapping *nm, *again;
	ice_json_writer *w;
	const char *text;
	size_t len;
	int rc = ice_name_mapping_parse(&nm, (const char *)data, size, "fuzz");
	if (rc) {
		const ice_error *e = ice_error_last();
		FUZZ_ASSERT(e && e->message && !strchr(e->message, '\n'));
		return 0;
	}
	if (ice_json_writer_new(&w, ICE_JSON_COMPACT) == 0) {
		ice_name_mapping_write_json(nm, w);
		if (ice_json_writer_finish(w, &text, &len) == 0 && ice_name_mapping_parse(&again, text, len, "again") == 0) {
			check_same(nm, again, NULL, NULL, 0);
			ice_name_mapping_free(again);
		}
		ice_json_writer_free(w);
	}
	ice_name_mapping_free(nm);
	return 0;
}
