/*
 * table/requirements.c - table requirements (the REST catalog's
 * TableRequirement) made from typed values, as operations record them.
 * They become the same ice_table_requirements that
 * ice_table_requirements_from_json parses, by way of their JSON form, so
 * their checks and messages are the builder's own, and the REST catalog
 * can send the very JSON.
 */
#include <string.h>

#include "ice/table.h"
#include "spec/model.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

int ice_requirements_write_json(const ice_requirement *items, size_t n, ice_json_writer *w)
{
	int rc = 0;
	ice_json_begin_array(w);
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_requirement *q = &items[i];
		if ((unsigned)q->kind > ICE_REQUIRE_DEFAULT_SORT_ORDER_ID)
			return ice_jw__fail(w, ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
			                                      "requirement %zu: unknown kind %d", i, (int)q->kind));
		rc = ice_requirement__write(w, (int)q->kind, q->str, q->has_value, q->value);
	}
	return rc ? rc : ice_json_end_array(w);
}

int ice_table_requirements_make(ice_table_requirements **out, const ice_requirement *items, size_t n)
{
	ice_json_writer w;
	const char *text;
	size_t len;
	int rc;
	*out = NULL;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_requirements_write_json(items, n, &w);
	if ((rc = ice_json_writer_finish(&w, &text, &len)) == 0)
		rc = ice_table_requirements_from_json(out, text, len, "<requirements>");
	ice_jw__free(&w);
	return rc;
}
