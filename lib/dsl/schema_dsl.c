/*
 * dsl/schema_dsl.c - schemas from the text a user types:
 *
 *   id long required, ts timestamptz, name string comment 'who',
 *   tags list<string>, m map<string, int>, s struct<a: int, b: string required>,
 *   d decimal(10,2), f fixed[16], n int default 0
 *
 * A field is a name, a type and modifiers: `required` (or `not null`),
 * `optional` (or `null`, the default), `comment '...'`, `default <value>`
 * (the write-default, format v3). List elements and map values take the
 * same modifiers inside the brackets (`list<long required>`). Struct fields
 * may separate name and type with a colon. Type names are the spec's, plus
 * the aliases integer, bigint, bool, text/varchar, timestamp_tz,
 * timestamptz_ns, bytes; decimal(P,S) and fixed[N] (or fixed(N)).
 *
 * Field ids are assigned as the reference implementation assigns fresh
 * ids: the fields of a struct first, in order, then the types nested in
 * each of them, so `id long, s struct<a int>, t string` numbers id=1, s=2,
 * t=3, a=4. The result is the JSON schema ice_schema_from_json validates.
 */
#include <stdio.h>
#include <string.h>

#include "dsl.h"
#include "ice/table_dsl.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

#define MAX_DEPTH 32

typedef struct type_node type_node;

typedef struct field_node {
	const char *name;
	bool required;
	const char *doc;
	const char *default_json; /* JSON text of the write-default, or NULL */
	type_node *type;
	int32_t id;
} field_node;

struct type_node {
	enum { N_PRIM, N_STRUCT, N_LIST, N_MAP } kind;
	char prim[64];
	field_node *fields; /* struct */
	size_t nfields;
	field_node element, key, value;
};

typedef struct parser {
	dsl d;
	ice_arena *arena;
	int depth;
} parser;

static int parse_type(parser *p, type_node **out);

static const struct {
	const char *alias, *name;
} aliases[] = {
	{"boolean", "boolean"},     {"bool", "boolean"},          {"int", "int"},
	{"integer", "int"},         {"int32", "int"},             {"long", "long"},
	{"bigint", "long"},         {"int64", "long"},            {"float", "float"},
	{"real", "float"},          {"double", "double"},         {"date", "date"},
	{"time", "time"},           {"timestamp", "timestamp"},   {"timestamptz", "timestamptz"},
	{"timestamp_tz", "timestamptz"}, {"timestamp_ns", "timestamp_ns"}, {"timestamptz_ns", "timestamptz_ns"},
	{"timestamp_tz_ns", "timestamptz_ns"}, {"string", "string"}, {"text", "string"},
	{"varchar", "string"},      {"uuid", "uuid"},             {"binary", "binary"},
	{"bytes", "binary"},        {"unknown", "unknown"},       {"variant", "variant"},
	{"geometry", "geometry"},   {"geography", "geography"},
};

static char *dup_text(parser *p)
{
	return ice_arena__strndup(p->arena, p->d.text, p->d.text_len);
}

/* decimal(P, S) / fixed[N] / geometry(...) parameters after the name. */
static int parse_params(parser *p, type_node *t, const char *name)
{
	char found[96];
	int rc;
	if (!strcmp(name, "decimal")) {
		int32_t prec, scale;
		if ((rc = ice_dsl__expect(&p->d, '(', "after decimal")) != 0)
			return rc;
		if (p->d.tok != T_NUMBER || !ice_str__to_int32(p->d.text, p->d.text_len, &prec))
			return ice_dsl__error(&p->d, "expected the precision of decimal(P, S), found %s",
			                      ice_dsl__describe(&p->d, found, sizeof(found)));
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = ice_dsl__expect(&p->d, ',', "in decimal(P, S)")) != 0)
			return rc;
		if (p->d.tok != T_NUMBER || !ice_str__to_int32(p->d.text, p->d.text_len, &scale))
			return ice_dsl__error(&p->d, "expected the scale of decimal(P, S), found %s",
			                      ice_dsl__describe(&p->d, found, sizeof(found)));
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = ice_dsl__expect(&p->d, ')', "to close decimal(P, S)")) != 0)
			return rc;
		snprintf(t->prim, sizeof(t->prim), "decimal(%d, %d)", (int)prec, (int)scale);
		return 0;
	}
	if (!strcmp(name, "fixed")) {
		int32_t len;
		char close;
		if (ice_dsl__is_punct(&p->d, '['))
			close = ']';
		else if (ice_dsl__is_punct(&p->d, '('))
			close = ')';
		else
			return ice_dsl__error(&p->d, "expected fixed[LENGTH], found %s",
			                      ice_dsl__describe(&p->d, found, sizeof(found)));
		if ((rc = ice_dsl__next(&p->d)) != 0)
			return rc;
		if (p->d.tok != T_NUMBER || !ice_str__to_int32(p->d.text, p->d.text_len, &len))
			return ice_dsl__error(&p->d, "expected the length of fixed[LENGTH], found %s",
			                      ice_dsl__describe(&p->d, found, sizeof(found)));
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = ice_dsl__expect(&p->d, close, "to close fixed[LENGTH]")) != 0)
			return rc;
		snprintf(t->prim, sizeof(t->prim), "fixed[%d]", (int)len);
		return 0;
	}
	/* geometry(crs) / geography(crs, algorithm): kept as written. */
	if (ice_dsl__is_punct(&p->d, '(')) {
		size_t start = p->d.tok_pos;
		while (p->d.tok != T_END && !ice_dsl__is_punct(&p->d, ')'))
			if ((rc = ice_dsl__next(&p->d)) != 0)
				return rc;
		if ((rc = ice_dsl__expect(&p->d, ')', "to close the type's parameters")) != 0)
			return rc;
		size_t n = p->d.tok_pos - start;
		while (n && p->d.s[start + n - 1] == ' ')
			n--;
		snprintf(t->prim, sizeof(t->prim), "%s%.*s", name, (int)n, p->d.s + start);
		return 0;
	}
	snprintf(t->prim, sizeof(t->prim), "%s", name);
	return 0;
}

/* A JSON value for `default`: numbers, true/false/null as they are, 'text' as a string. */
static int parse_default(parser *p, const char **out)
{
	char found[96];
	if (p->d.tok == T_NUMBER || ice_dsl__is_word(&p->d, "true") || ice_dsl__is_word(&p->d, "false")) {
		*out = dup_text(p);
	} else if (p->d.tok == T_STRING) {
		ice_json_writer w;
		const char *text;
		size_t len;
		ice_jw__init(&w, ICE_JSON_COMPACT);
		ice_json_string_n(&w, p->d.text, p->d.text_len);
		if (ice_json_writer_finish(&w, &text, &len) == 0)
			*out = ice_arena__strndup(p->arena, text, len);
		else
			*out = NULL;
		ice_jw__free(&w);
	} else {
		return ice_dsl__error(&p->d, "expected a default value (a number, true, false or 'text'), found %s",
		                      ice_dsl__describe(&p->d, found, sizeof(found)));
	}
	if (!*out)
		return ICE_ERROR;
	return ice_dsl__next(&p->d);
}

/* Modifiers after a type: required / not null / optional / null / comment / default. */
static int parse_modifiers(parser *p, field_node *f, bool allow_doc)
{
	int rc;
	for (;;) {
		if (ice_dsl__is_word(&p->d, "required")) {
			f->required = true;
		} else if (ice_dsl__is_word(&p->d, "optional") || ice_dsl__is_word(&p->d, "null")) {
			f->required = false;
		} else if (ice_dsl__is_word(&p->d, "not")) {
			if ((rc = ice_dsl__next(&p->d)) != 0)
				return rc;
			if (!ice_dsl__is_word(&p->d, "null"))
				return ice_dsl__error(&p->d, "expected 'null' after 'not'");
			f->required = true;
		} else if (allow_doc && ice_dsl__is_word(&p->d, "comment")) {
			if ((rc = ice_dsl__next(&p->d)) != 0)
				return rc;
			if (p->d.tok != T_STRING)
				return ice_dsl__error(&p->d, "expected 'text' after comment");
			if (!(f->doc = dup_text(p)))
				return ICE_ERROR;
		} else if (allow_doc && ice_dsl__is_word(&p->d, "default")) {
			if ((rc = ice_dsl__next(&p->d)) != 0)
				return rc;
			if ((rc = parse_default(p, &f->default_json)) != 0)
				return rc;
			continue;
		} else {
			return 0;
		}
		if ((rc = ice_dsl__next(&p->d)) != 0)
			return rc;
	}
}

static int parse_field(parser *p, field_node *f, bool colon_allowed)
{
	char found[96];
	int rc;
	if (p->d.tok != T_IDENT)
		return ice_dsl__error(&p->d, "expected a column name, found %s", ice_dsl__describe(&p->d, found, sizeof(found)));
	if (!p->d.quoted && memchr(p->d.text, '.', p->d.text_len))
		return ice_dsl__error(&p->d, "column name '%.*s' has a '.': quote it with backquotes", (int)p->d.text_len,
		                      p->d.text);
	if (!(f->name = dup_text(p)))
		return ICE_ERROR;
	if ((rc = ice_dsl__next(&p->d)) != 0)
		return rc;
	if (colon_allowed && ice_dsl__is_punct(&p->d, ':') && (rc = ice_dsl__next(&p->d)) != 0)
		return rc;
	if ((rc = parse_type(p, &f->type)) != 0)
		return rc;
	return parse_modifiers(p, f, true);
}

static int parse_fields(parser *p, type_node *t, char close)
{
	size_t cap = 0;
	int rc;
	for (;;) {
		if (t->nfields == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			field_node *nf = ice_arena__allocarray(p->arena, ncap, sizeof(field_node));
			if (!nf)
				return ICE_ERROR;
			if (t->nfields)
				memcpy(nf, t->fields, t->nfields * sizeof(field_node));
			t->fields = nf;
			cap = ncap;
		}
		memset(&t->fields[t->nfields], 0, sizeof(field_node));
		if ((rc = parse_field(p, &t->fields[t->nfields], close != 0)) != 0)
			return rc;
		t->nfields++;
		if (!ice_dsl__is_punct(&p->d, ','))
			break;
		if ((rc = ice_dsl__next(&p->d)) != 0)
			return rc;
	}
	return 0;
}

static int parse_type(parser *p, type_node **out)
{
	char found[96];
	type_node *t;
	int rc;
	if (++p->depth > MAX_DEPTH)
		return ice_dsl__error(&p->d, "types nested deeper than %d", MAX_DEPTH);
	if (p->d.tok != T_IDENT || p->d.quoted)
		return ice_dsl__error(&p->d, "expected a type, found %s", ice_dsl__describe(&p->d, found, sizeof(found)));
	if (!(t = ice_arena__alloc(p->arena, sizeof(*t))))
		return ICE_ERROR;
	*out = t;
	if (ice_dsl__is_word(&p->d, "struct")) {
		t->kind = N_STRUCT;
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = ice_dsl__expect(&p->d, '<', "after struct")) != 0 ||
		    (rc = parse_fields(p, t, '>')) != 0 || (rc = ice_dsl__expect(&p->d, '>', "to close struct<...>")) != 0)
			return rc;
	} else if (ice_dsl__is_word(&p->d, "list") || ice_dsl__is_word(&p->d, "array")) {
		t->kind = N_LIST;
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = ice_dsl__expect(&p->d, '<', "after list")) != 0 ||
		    (rc = parse_type(p, &t->element.type)) != 0 || (rc = parse_modifiers(p, &t->element, false)) != 0 ||
		    (rc = ice_dsl__expect(&p->d, '>', "to close list<...>")) != 0)
			return rc;
	} else if (ice_dsl__is_word(&p->d, "map")) {
		t->kind = N_MAP;
		t->key.required = true;
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = ice_dsl__expect(&p->d, '<', "after map")) != 0 ||
		    (rc = parse_type(p, &t->key.type)) != 0 || (rc = ice_dsl__expect(&p->d, ',', "between key and value types")) != 0 ||
		    (rc = parse_type(p, &t->value.type)) != 0 || (rc = parse_modifiers(p, &t->value, false)) != 0 ||
		    (rc = ice_dsl__expect(&p->d, '>', "to close map<...>")) != 0)
			return rc;
	} else {
		size_t i;
		for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (ice_dsl__is_word(&p->d, aliases[i].alias))
				break;
		bool decimal = ice_dsl__is_word(&p->d, "decimal") || ice_dsl__is_word(&p->d, "numeric");
		bool fixed = ice_dsl__is_word(&p->d, "fixed");
		if (i == sizeof(aliases) / sizeof(aliases[0]) && !decimal && !fixed)
			return ice_dsl__error(&p->d, "unknown type %s", ice_dsl__describe(&p->d, found, sizeof(found)));
		const char *name = decimal ? "decimal" : fixed ? "fixed" : aliases[i].name;
		t->kind = N_PRIM;
		if ((rc = ice_dsl__next(&p->d)) != 0 || (rc = parse_params(p, t, name)) != 0)
			return rc;
	}
	p->depth--;
	return 0;
}

/* ---- ids and JSON ------------------------------------------------------------------- */

static void assign_type_ids(type_node *t, int32_t *next);

static void assign_struct_ids(type_node *t, int32_t *next)
{
	for (size_t i = 0; i < t->nfields; i++)
		t->fields[i].id = ++*next;
	for (size_t i = 0; i < t->nfields; i++)
		assign_type_ids(t->fields[i].type, next);
}

static void assign_type_ids(type_node *t, int32_t *next)
{
	switch (t->kind) {
	case N_STRUCT:
		assign_struct_ids(t, next);
		break;
	case N_LIST:
		t->element.id = ++*next;
		assign_type_ids(t->element.type, next);
		break;
	case N_MAP:
		t->key.id = ++*next;
		t->value.id = ++*next;
		assign_type_ids(t->key.type, next);
		assign_type_ids(t->value.type, next);
		break;
	default:
		break;
	}
}

static void write_type(ice_json_writer *w, const type_node *t);

static void write_field(ice_json_writer *w, const field_node *f)
{
	ice_json_begin_object(w);
	ice_json_key(w, "id");
	ice_json_int(w, f->id);
	ice_json_key(w, "name");
	ice_json_string(w, f->name);
	ice_json_key(w, "required");
	ice_json_bool(w, f->required);
	ice_json_key(w, "type");
	write_type(w, f->type);
	if (f->doc) {
		ice_json_key(w, "doc");
		ice_json_string(w, f->doc);
	}
	if (f->default_json) {
		ice_json_key(w, "write-default");
		ice_json_raw(w, f->default_json, strlen(f->default_json));
	}
	ice_json_end_object(w);
}

static void write_type(ice_json_writer *w, const type_node *t)
{
	switch (t->kind) {
	case N_PRIM:
		ice_json_string(w, t->prim);
		break;
	case N_STRUCT:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "struct");
		ice_json_key(w, "fields");
		ice_json_begin_array(w);
		for (size_t i = 0; i < t->nfields; i++)
			write_field(w, &t->fields[i]);
		ice_json_end_array(w);
		ice_json_end_object(w);
		break;
	case N_LIST:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "list");
		ice_json_key(w, "element-id");
		ice_json_int(w, t->element.id);
		ice_json_key(w, "element");
		write_type(w, t->element.type);
		ice_json_key(w, "element-required");
		ice_json_bool(w, t->element.required);
		ice_json_end_object(w);
		break;
	case N_MAP:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "map");
		ice_json_key(w, "key-id");
		ice_json_int(w, t->key.id);
		ice_json_key(w, "key");
		write_type(w, t->key.type);
		ice_json_key(w, "value-id");
		ice_json_int(w, t->value.id);
		ice_json_key(w, "value");
		write_type(w, t->value.type);
		ice_json_key(w, "value-required");
		ice_json_bool(w, t->value.required);
		ice_json_end_object(w);
		break;
	}
}

int ice_schema_parse_dsl(ice_schema **out, const char *text)
{
	parser p;
	ice_arena arena;
	type_node root;
	ice_json_writer w;
	const char *json;
	size_t len;
	int32_t next = 0;
	char found[96];
	int rc;
	*out = NULL;
	memset(&p, 0, sizeof(p));
	memset(&root, 0, sizeof(root));
	ice_arena__init(&arena, 4096);
	p.arena = &arena;
	ice_dsl__init(&p.d, "schema", text, strlen(text));
	if ((rc = ice_dsl__next(&p.d)) == 0) {
		if (p.d.tok == T_END)
			rc = ice_dsl__error(&p.d, "no columns");
		else if ((rc = parse_fields(&p, &root, 0)) == 0 && p.d.tok != T_END)
			rc = ice_dsl__error(&p.d, "expected ',' or the end, found %s", ice_dsl__describe(&p.d, found, sizeof(found)));
	}
	if (rc) {
		ice_arena__free(&arena);
		return rc;
	}
	root.kind = N_STRUCT;
	assign_struct_ids(&root, &next);
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "type");
	ice_json_string(&w, "struct");
	ice_json_key(&w, "schema-id");
	ice_json_int(&w, 0);
	ice_json_key(&w, "fields");
	ice_json_begin_array(&w);
	for (size_t i = 0; i < root.nfields; i++)
		write_field(&w, &root.fields[i]);
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if ((rc = ice_json_writer_finish(&w, &json, &len)) == 0)
		rc = ice_schema_from_json(out, json, len, "schema");
	ice_jw__free(&w);
	ice_arena__free(&arena);
	return rc;
}
