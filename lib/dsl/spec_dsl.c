/*
 * dsl/spec_dsl.c - partition specs and sort orders from text:
 *
 *   partition:  day(ts), bucket(16, id), truncate(4, name), identity(x) or x,
 *               year(ts), month(ts), hour(ts), void(x); `... as NAME` renames
 *   sort order: ts desc nulls last, id, bucket(4, id) asc nulls first
 *
 * Columns are resolved by name against the schema (nested columns by their
 * dotted name). Partition fields are named as the reference
 * implementation names them: the column for identity, else
 * <column>_<bucket|trunc|year|month|day|hour|null>. Field ids are left
 * unassigned for the metadata builder. Sort directions default to asc,
 * null order to nulls first for asc and nulls last for desc.
 */
#include <stdio.h>
#include <string.h>

#include "dsl.h"
#include "ice/table_dsl.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

typedef struct term {
	ice_transform transform;
	int32_t source_id;
	char column[512];
	char name[600];
	bool has_name;
} term;

static const struct {
	const char *word;
	ice_transform_kind kind;
	bool has_param;
	const char *suffix;
} transforms[] = {
	{"identity", ICE_TRANSFORM_IDENTITY, false, NULL}, {"bucket", ICE_TRANSFORM_BUCKET, true, "bucket"},
	{"truncate", ICE_TRANSFORM_TRUNCATE, true, "trunc"}, {"year", ICE_TRANSFORM_YEAR, false, "year"},
	{"years", ICE_TRANSFORM_YEAR, false, "year"},       {"month", ICE_TRANSFORM_MONTH, false, "month"},
	{"months", ICE_TRANSFORM_MONTH, false, "month"},    {"day", ICE_TRANSFORM_DAY, false, "day"},
	{"days", ICE_TRANSFORM_DAY, false, "day"},          {"hour", ICE_TRANSFORM_HOUR, false, "hour"},
	{"hours", ICE_TRANSFORM_HOUR, false, "hour"},       {"void", ICE_TRANSFORM_VOID, false, "null"},
};

static int column(dsl *d, const ice_schema *schema, term *t)
{
	char found[96];
	const ice_field *f;
	if (d->tok != T_IDENT)
		return ice_dsl__error(d, "expected a column name, found %s", ice_dsl__describe(d, found, sizeof(found)));
	if (d->text_len >= sizeof(t->column))
		return ice_dsl__error(d, "column name too long");
	memcpy(t->column, d->text, d->text_len);
	t->column[d->text_len] = '\0';
	if (!(f = ice_schema_find_field_by_name(schema, t->column, true)) &&
	    !(f = ice_schema_find_field_by_name(schema, t->column, false)))
		return ice_dsl__error(d, "no column '%s' in the schema", t->column);
	if (!ice_type_is_primitive(f->type))
		return ice_dsl__error(d, "column '%s' is a %s, not a primitive column", t->column,
		                      ice_type_id_name(f->type->id));
	snprintf(t->column, sizeof(t->column), "%s", ice_schema_field_name(schema, f->id));
	t->source_id = f->id;
	if (!ice_transform_can_apply(&t->transform, f->type)) {
		char tr[64];
		ice_transform_to_string(&t->transform, tr, sizeof(tr));
		return ice_dsl__error(d, "transform %s cannot apply to column '%s' of type %s", tr, t->column,
		                      ice_type_id_name(f->type->id));
	}
	return ice_dsl__next(d);
}

/* transform(args) or a bare column. */
static int parse_term(dsl *d, const ice_schema *schema, term *t)
{
	char found[96];
	int rc;
	memset(t, 0, sizeof(*t));
	t->transform.kind = ICE_TRANSFORM_IDENTITY;
	if (d->tok != T_IDENT)
		return ice_dsl__error(d, "expected a column or a transform, found %s", ice_dsl__describe(d, found, sizeof(found)));
	size_t k = sizeof(transforms) / sizeof(transforms[0]);
	if (!d->quoted)
		for (k = 0; k < sizeof(transforms) / sizeof(transforms[0]); k++)
			if (ice_dsl__is_word(d, transforms[k].word))
				break;
	/* A bare word followed by '(' must be a transform. */
	size_t save_pos = d->pos;
	bool call = false;
	{
		size_t p = d->pos;
		while (p < d->len && (d->s[p] == ' ' || d->s[p] == '\t'))
			p++;
		call = p < d->len && d->s[p] == '(';
	}
	if (!call) {
		const char *suffix = NULL;
		if ((rc = column(d, schema, t)) != 0)
			return rc;
		snprintf(t->name, sizeof(t->name), "%s", t->column);
		(void)suffix;
		(void)save_pos;
		return 0;
	}
	if (k == sizeof(transforms) / sizeof(transforms[0]))
		return ice_dsl__error(d, "unknown transform %s (identity, bucket, truncate, year, month, day, hour, void)",
		                      ice_dsl__describe(d, found, sizeof(found)));
	t->transform.kind = transforms[k].kind;
	if ((rc = ice_dsl__next(d)) != 0 || (rc = ice_dsl__expect(d, '(', "after the transform")) != 0)
		return rc;
	if (transforms[k].has_param) {
		if (d->tok != T_NUMBER || !ice_str__to_int32(d->text, d->text_len, &t->transform.param) ||
		    t->transform.param <= 0)
			return ice_dsl__error(d, "%s needs a positive width first, as in %s(16, col), found %s",
			                      transforms[k].word, transforms[k].word, ice_dsl__describe(d, found, sizeof(found)));
		if ((rc = ice_dsl__next(d)) != 0 || (rc = ice_dsl__expect(d, ',', "after the width")) != 0)
			return rc;
	}
	if ((rc = column(d, schema, t)) != 0 || (rc = ice_dsl__expect(d, ')', "to close the transform")) != 0)
		return rc;
	if (transforms[k].suffix)
		snprintf(t->name, sizeof(t->name), "%s_%s", t->column, transforms[k].suffix);
	else
		snprintf(t->name, sizeof(t->name), "%s", t->column);
	return 0;
}

int ice_partition_spec_parse_dsl(ice_partition_spec **out, const char *text, const ice_schema *schema)
{
	dsl d;
	ice_json_writer w;
	char found[96], tr[64];
	const char *json;
	size_t len;
	int rc;
	*out = NULL;
	ice_dsl__init(&d, "partition", text, strlen(text));
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "spec-id");
	ice_json_int(&w, 0);
	ice_json_key(&w, "fields");
	ice_json_begin_array(&w);
	rc = ice_dsl__next(&d);
	while (!rc && d.tok != T_END) {
		term t;
		if ((rc = parse_term(&d, schema, &t)) != 0)
			break;
		if (ice_dsl__is_word(&d, "as")) {
			if ((rc = ice_dsl__next(&d)) != 0)
				break;
			if (d.tok != T_IDENT) {
				rc = ice_dsl__error(&d, "expected a partition field name after 'as', found %s",
				                    ice_dsl__describe(&d, found, sizeof(found)));
				break;
			}
			snprintf(t.name, sizeof(t.name), "%.*s", (int)d.text_len, d.text);
			if ((rc = ice_dsl__next(&d)) != 0)
				break;
		}
		ice_transform_to_string(&t.transform, tr, sizeof(tr));
		ice_json_begin_object(&w);
		ice_json_key(&w, "name");
		ice_json_string(&w, t.name);
		ice_json_key(&w, "transform");
		ice_json_string(&w, tr);
		ice_json_key(&w, "source-id");
		ice_json_int(&w, t.source_id);
		ice_json_end_object(&w);
		if (ice_dsl__is_punct(&d, ','))
			rc = ice_dsl__next(&d);
		else if (d.tok != T_END)
			rc = ice_dsl__error(&d, "expected ',' or the end, found %s", ice_dsl__describe(&d, found, sizeof(found)));
	}
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if (!rc && (rc = ice_json_writer_finish(&w, &json, &len)) == 0 &&
	    (rc = ice_partition_spec_from_json(out, json, len, "partition")) == 0 &&
	    (rc = ice_partition_spec_validate(*out, schema)) != 0) {
		ice_partition_spec_free(*out);
		*out = NULL;
		ice_error__prefix("partition");
	}
	ice_jw__free(&w);
	return rc;
}

int ice_sort_order_parse_dsl(ice_sort_order **out, const char *text, const ice_schema *schema)
{
	dsl d;
	ice_json_writer w;
	char found[96], tr[64];
	const char *json;
	size_t len;
	int rc;
	*out = NULL;
	ice_dsl__init(&d, "sort order", text, strlen(text));
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "order-id");
	{
		/* An empty order is the unsorted order, id 0. */
		const char *p = text;
		while (*p == ' ' || *p == '\t')
			p++;
		ice_json_int(&w, *p ? 1 : 0);
	}
	ice_json_key(&w, "fields");
	ice_json_begin_array(&w);
	rc = ice_dsl__next(&d);
	while (!rc && d.tok != T_END) {
		term t;
		bool desc = false, nulls_first;
		if ((rc = parse_term(&d, schema, &t)) != 0)
			break;
		if (ice_dsl__is_word(&d, "asc") || ice_dsl__is_word(&d, "desc")) {
			desc = ice_dsl__is_word(&d, "desc");
			if ((rc = ice_dsl__next(&d)) != 0)
				break;
		}
		nulls_first = !desc;
		if (ice_dsl__is_word(&d, "nulls")) {
			if ((rc = ice_dsl__next(&d)) != 0)
				break;
			if (!ice_dsl__is_word(&d, "first") && !ice_dsl__is_word(&d, "last")) {
				rc = ice_dsl__error(&d, "expected 'first' or 'last' after 'nulls', found %s",
				                    ice_dsl__describe(&d, found, sizeof(found)));
				break;
			}
			nulls_first = ice_dsl__is_word(&d, "first");
			if ((rc = ice_dsl__next(&d)) != 0)
				break;
		}
		ice_transform_to_string(&t.transform, tr, sizeof(tr));
		ice_json_begin_object(&w);
		ice_json_key(&w, "transform");
		ice_json_string(&w, tr);
		ice_json_key(&w, "source-id");
		ice_json_int(&w, t.source_id);
		ice_json_key(&w, "direction");
		ice_json_string(&w, desc ? "desc" : "asc");
		ice_json_key(&w, "null-order");
		ice_json_string(&w, nulls_first ? "nulls-first" : "nulls-last");
		ice_json_end_object(&w);
		if (ice_dsl__is_punct(&d, ','))
			rc = ice_dsl__next(&d);
		else if (d.tok != T_END)
			rc = ice_dsl__error(&d, "expected ',' or the end, found %s", ice_dsl__describe(&d, found, sizeof(found)));
	}
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if (!rc && (rc = ice_json_writer_finish(&w, &json, &len)) == 0 &&
	    (rc = ice_sort_order_from_json(out, json, len, "sort order")) == 0 &&
	    (rc = ice_sort_order_validate(*out, schema)) != 0) {
		ice_sort_order_free(*out);
		*out = NULL;
		ice_error__prefix("sort order");
	}
	ice_jw__free(&w);
	return rc;
}
