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
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

static const char *const type_names[] = {
	"assert-create",
	"assert-table-uuid",
	"assert-ref-snapshot-id",
	"assert-last-assigned-field-id",
	"assert-current-schema-id",
	"assert-last-assigned-partition-id",
	"assert-default-spec-id",
	"assert-default-sort-order-id",
};

static const char *const value_keys[] = {
	NULL,
	NULL,
	"snapshot-id",
	"last-assigned-field-id",
	"current-schema-id",
	"last-assigned-partition-id",
	"default-spec-id",
	"default-sort-order-id",
};

int ice_requirements_write_json(const ice_requirement *items, size_t n, ice_json_writer *w)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const ice_requirement *q = &items[i];
		if ((unsigned)q->kind > ICE_REQUIRE_DEFAULT_SORT_ORDER_ID)
			return ice_jw__fail(w, ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
			                                      "requirement %zu: unknown kind %d", i, (int)q->kind));
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, type_names[q->kind]);
		switch (q->kind) {
		case ICE_REQUIRE_CREATE:
			break;
		case ICE_REQUIRE_TABLE_UUID:
			ice_json_key(w, "uuid");
			ice_json_string(w, q->str ? q->str : "");
			break;
		case ICE_REQUIRE_REF_SNAPSHOT_ID:
			ice_json_key(w, "ref");
			ice_json_string(w, q->str ? q->str : "");
			ice_json_key(w, "snapshot-id");
			if (q->has_value)
				ice_json_int(w, q->value);
			else
				ice_json_null(w);
			break;
		default:
			ice_json_key(w, value_keys[q->kind]);
			ice_json_int(w, q->value);
			break;
		}
		ice_json_end_object(w);
	}
	return ice_json_end_array(w);
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
