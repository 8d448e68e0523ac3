/*
 * table/update_spec.c - partition changes of an alter (spec "Partition
 * Evolution"): fields added, removed and renamed on the table's default
 * spec, in the order they were recorded.
 *
 * Field ids never change for a field that stays. A field added to a v2+
 * table takes the id (and, when it is not named, the name) of the same
 * transform of the same column in any earlier spec (with the same name,
 * when one is given), else the next id after last-partition-id, as the
 * reference implementation recycles fields.
 * A v1 table keeps field ids sequential from 1000 by position, so a
 * removed field stays in place with the void transform and new fields go
 * at the end (the spec's recommendation). A new field whose name is taken
 * by a void field renames that one to <name>_<field id>. Adding a second
 * time-based field (year, month, day, hour) of one column is refused as
 * redundant, and so is adding a transform the spec already has.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alter.h"
#include "dsl/dsl.h"
#include "ice/table_dsl.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

typedef struct pfield {
	int32_t field_id;
	const char *name;
	ice_transform transform;
	size_t n_source_ids;
	const int32_t *source_ids;
	bool added;
	bool deleted;
} pfield;

typedef struct work {
	ice_arena arena;
	pfield *fields;
	size_t n, cap;
	int32_t last_id;
	int format_version;
	const ice_table_metadata *base;
	const ice_schema *schema;
	const char *what;
} work;

static int fail(work *w, int code, const char *fmt, ...) ICE_PRINTF(3, 4);

static int fail(work *w, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(code, ICE_ERRCLASS_COMMIT, "alter: %s: %s", w->what, msg);
}

static pfield *push(work *w)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		pfield *f = ice_arena__allocarray(&w->arena, cap, sizeof(pfield));
		if (!f)
			return NULL;
		if (w->n)
			memcpy(f, w->fields, w->n * sizeof(pfield));
		w->fields = f;
		w->cap = cap;
	}
	memset(&w->fields[w->n], 0, sizeof(pfield));
	return &w->fields[w->n++];
}

static bool live(const pfield *f)
{
	return !f->deleted;
}

static bool is_void(const pfield *f)
{
	return f->transform.kind == ICE_TRANSFORM_VOID;
}

static bool is_time(ice_transform_kind k)
{
	return k == ICE_TRANSFORM_YEAR || k == ICE_TRANSFORM_MONTH || k == ICE_TRANSFORM_DAY || k == ICE_TRANSFORM_HOUR;
}

static bool same_source(const pfield *f, const ice_partition_field *p)
{
	return f->n_source_ids == p->n_source_ids &&
	       memcmp(f->source_ids, p->source_ids, p->n_source_ids * sizeof(int32_t)) == 0;
}

static pfield *by_name(work *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (live(&w->fields[i]) && !strcmp(w->fields[i].name, name))
			return &w->fields[i];
	return NULL;
}

static char *describe_field(const pfield *f, const ice_schema *schema, char *out, size_t cap)
{
	char tr[64];
	const char *col = ice_schema_field_name(schema, f->source_ids[0]);
	ice_transform_to_string(&f->transform, tr, sizeof(tr));
	snprintf(out, cap, "%s(%s)", tr, col ? col : "?");
	return out;
}

/* A void field in the way of `name` moves aside to <name>_<field id>. */
static int move_void_aside(work *w, const char *name)
{
	pfield *f = by_name(w, name);
	char buf[600];
	if (!f || !is_void(f))
		return 0;
	snprintf(buf, sizeof(buf), "%s_%d", f->name, (int)f->field_id);
	return (f->name = ice_arena__strdup(&w->arena, buf)) ? 0 : ICE_ERROR;
}

/* For each comma-separated term of `text`, whether it says `as NAME`. */
static int named_terms(const char *text, bool *named, size_t cap, size_t *n_out)
{
	dsl d;
	int depth = 0, rc;
	size_t n = 0;
	ice_dsl__init(&d, "partition", text, strlen(text));
	if (cap)
		named[0] = false;
	while ((rc = ice_dsl__next(&d)) == 0 && d.tok != T_END) {
		if (ice_dsl__is_punct(&d, '('))
			depth++;
		else if (ice_dsl__is_punct(&d, ')'))
			depth--;
		else if (depth == 0 && ice_dsl__is_punct(&d, ',')) {
			if (++n < cap)
				named[n] = false;
		} else if (depth == 0 && ice_dsl__is_word(&d, "as") && n < cap)
			named[n] = true;
	}
	*n_out = n + 1;
	return rc;
}

/* The name the reference implementation gives a field added by evolution. */
static void default_name(const ice_partition_field *p, const ice_schema *schema, char *out, size_t cap)
{
	const char *col = ice_schema_field_name(schema, p->source_id);
	switch (p->transform.kind) {
	case ICE_TRANSFORM_BUCKET: snprintf(out, cap, "%s_bucket_%d", col, (int)p->transform.param); break;
	case ICE_TRANSFORM_TRUNCATE: snprintf(out, cap, "%s_trunc_%d", col, (int)p->transform.param); break;
	case ICE_TRANSFORM_YEAR: snprintf(out, cap, "%s_year", col); break;
	case ICE_TRANSFORM_MONTH: snprintf(out, cap, "%s_month", col); break;
	case ICE_TRANSFORM_DAY: snprintf(out, cap, "%s_day", col); break;
	case ICE_TRANSFORM_HOUR: snprintf(out, cap, "%s_hour", col); break;
	case ICE_TRANSFORM_VOID: snprintf(out, cap, "%s_null", col); break;
	default: snprintf(out, cap, "%s", col); break;
	}
}

/* The field of an earlier spec a new field recycles (v2+: the same
 * transform of the same column, with the same name when one is given and
 * an id no field of the working spec has), or NULL. */
static const ice_partition_field *recycled(work *w, const ice_partition_field *p, const char *given_name)
{
	if (w->format_version < 2)
		return NULL;
	for (size_t s = 0; s < ice_table_metadata_spec_count(w->base); s++) {
		const ice_partition_spec *spec = ice_table_metadata_spec_at(w->base, s);
		for (size_t k = 0; k < spec->nfields; k++) {
			const ice_partition_field *old = &spec->fields[k];
			if (ice_transform_equal(&old->transform, &p->transform) && old->n_source_ids == p->n_source_ids &&
			    !memcmp(old->source_ids, p->source_ids, p->n_source_ids * sizeof(int32_t)) &&
			    (!given_name || !strcmp(old->name, given_name))) {
				/* not if a field of this spec has that id already */
				bool taken = false;
				for (size_t i = 0; i < w->n; i++)
					taken |= w->fields[i].field_id == old->field_id && live(&w->fields[i]);
				if (!taken)
					return old;
			}
		}
	}
	return NULL;
}

static int add_one(work *w, const ice_partition_field *p, bool named)
{
	char name[600], buf[600];
	const ice_partition_field *old = recycled(w, p, named ? p->name : NULL);
	pfield *f;
	int rc;
	if (named)
		snprintf(name, sizeof(name), "%s", p->name);
	else if (old)
		snprintf(name, sizeof(name), "%s", old->name); /* it comes back as it was */
	else
		default_name(p, w->schema, name, sizeof(name));
	for (size_t i = 0; i < w->n; i++) {
		pfield *e = &w->fields[i];
		if (!ice_transform_equal(&e->transform, &p->transform) || e->n_source_ids != p->n_source_ids ||
		    memcmp(e->source_ids, p->source_ids, p->n_source_ids * sizeof(int32_t)) != 0)
			continue;
		if (live(e))
			return fail(w, ICE_EINVALID, "the spec has %s already, as '%s'",
			            describe_field(e, w->schema, buf, sizeof(buf)), e->name);
		/* Removed earlier in this alter: it simply stays. */
		e->deleted = false;
		if (named && strcmp(e->name, name) != 0) {
			if (by_name(w, name))
				return fail(w, ICE_EINVALID, "a partition field '%s' exists already", name);
			if (!(e->name = ice_arena__strdup(&w->arena, name)))
				return ICE_ERROR;
		}
		return 0;
	}
	if (is_time(p->transform.kind))
		for (size_t i = 0; i < w->n; i++) {
			pfield *e = &w->fields[i];
			if (live(e) && is_time(e->transform.kind) && same_source(e, p))
				return fail(w, ICE_EINVALID, "redundant with partition field '%s' (%s)", e->name,
				            describe_field(e, w->schema, buf, sizeof(buf)));
		}
	if ((rc = move_void_aside(w, name)) != 0)
		return rc;
	if (by_name(w, name))
		return fail(w, ICE_EINVALID, "a partition field '%s' exists already", name);
	if (!(f = push(w)))
		return ICE_ERROR;
	f->transform = p->transform;
	f->n_source_ids = p->n_source_ids;
	f->source_ids = ice_arena__memdup(&w->arena, p->source_ids, p->n_source_ids * sizeof(int32_t));
	f->name = ice_arena__strdup(&w->arena, name);
	f->added = true;
	if (!f->source_ids || !f->name)
		return ICE_ERROR;
	if (!old && w->format_version >= 2 && w->last_id == INT32_MAX)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "alter: partition field %s: last-partition-id is %d, no field id is left", name,
		                      w->last_id);
	f->field_id = old ? old->field_id : w->format_version < 2 ? ICE_UNASSIGNED_FIELD_ID : ++w->last_id;
	return 0;
}

static int add_fields(work *w, const alter_change *c)
{
	ice_partition_spec *parsed = NULL;
	bool named[64];
	size_t nterms;
	int rc;
	if ((rc = ice_partition_spec_parse_dsl(&parsed, c->value, w->schema)) != 0)
		return ice_error__prefix("alter: %s", w->what);
	if ((rc = named_terms(c->value, named, 64, &nterms)) == 0 && (nterms != parsed->nfields || nterms > 64))
		rc = fail(w, ICE_EINVALID, "cannot tell the fields apart");
	for (size_t i = 0; i < parsed->nfields && !rc; i++)
		rc = add_one(w, &parsed->fields[i], named[i]);
	ice_partition_spec_free(parsed);
	return rc;
}

static int remove_field(work *w, const alter_change *c)
{
	pfield *f = by_name(w, c->name);
	if (!f) {
		/* by transform: "bucket(8, id)" */
		ice_partition_spec *parsed = NULL;
		ice_error_clear();
		if (ice_partition_spec_parse_dsl(&parsed, c->name, w->schema) == 0 && parsed->nfields == 1) {
			for (size_t i = 0; i < w->n && !f; i++)
				if (live(&w->fields[i]) && ice_transform_equal(&w->fields[i].transform, &parsed->fields[0].transform) &&
				    same_source(&w->fields[i], &parsed->fields[0]))
					f = &w->fields[i];
		}
		ice_partition_spec_free(parsed);
		ice_error_clear();
	}
	if (!f) {
		for (size_t i = 0; i < w->n; i++)
			if (w->fields[i].deleted && !strcmp(w->fields[i].name, c->name))
				return fail(w, ICE_EINVALID, "'%s' is removed already", c->name);
		return fail(w, ICE_ENOTFOUND, "the spec has no partition field '%s'", c->name);
	}
	if (f->added) {
		/* Added earlier in this alter: it goes away entirely. */
		memmove(f, f + 1, (size_t)(&w->fields[w->n] - (f + 1)) * sizeof(pfield));
		w->n--;
		return 0;
	}
	if (w->format_version < 2 && is_void(f))
		return fail(w, ICE_EINVALID, "'%s' is removed already (void)", f->name);
	f->deleted = true;
	return 0;
}

static int rename_field(work *w, const alter_change *c)
{
	pfield *f = by_name(w, c->name);
	int rc;
	if (!f)
		return fail(w, ICE_ENOTFOUND, "the spec has no partition field '%s'", c->name);
	if (!c->value[0])
		return fail(w, ICE_EINVALID, "a partition field needs a name");
	if (!strcmp(f->name, c->value))
		return 0;
	if ((rc = move_void_aside(w, c->value)) != 0)
		return rc;
	if (by_name(w, c->value))
		return fail(w, ICE_EINVALID, "a partition field '%s' exists already", c->value);
	return (f->name = ice_arena__strdup(&w->arena, c->value)) ? 0 : ICE_ERROR;
}

/* The working fields as a spec (v1: removed fields as void transforms). */
static int to_spec(work *w, ice_partition_spec **out)
{
	ice_json_writer jw;
	const char *json;
	size_t len;
	char tr[64];
	int rc;
	ice_jw__init(&jw, ICE_JSON_COMPACT);
	ice_json_begin_object(&jw);
	ice_json_key(&jw, "spec-id");
	ice_json_int(&jw, 0);
	ice_json_key(&jw, "fields");
	ice_json_begin_array(&jw);
	for (size_t i = 0; i < w->n; i++) {
		const pfield *f = &w->fields[i];
		ice_transform t = f->transform;
		if (f->deleted && w->format_version >= 2)
			continue;
		if (f->deleted)
			t.kind = ICE_TRANSFORM_VOID, t.param = 0;
		ice_transform_to_string(&t, tr, sizeof(tr));
		ice_json_begin_object(&jw);
		ice_json_key(&jw, "name");
		ice_json_string(&jw, f->name);
		ice_json_key(&jw, "transform");
		ice_json_string(&jw, tr);
		if (f->n_source_ids > 1) {
			ice_json_key(&jw, "source-ids");
			ice_json_begin_array(&jw);
			for (size_t k = 0; k < f->n_source_ids; k++)
				ice_json_int(&jw, f->source_ids[k]);
			ice_json_end_array(&jw);
		} else {
			ice_json_key(&jw, "source-id");
			ice_json_int(&jw, f->source_ids[0]);
		}
		if (f->field_id != ICE_UNASSIGNED_FIELD_ID) {
			ice_json_key(&jw, "field-id");
			ice_json_int(&jw, f->field_id);
		}
		ice_json_end_object(&jw);
	}
	ice_json_end_array(&jw);
	ice_json_end_object(&jw);
	if ((rc = ice_json_writer_finish(&jw, &json, &len)) == 0)
		rc = ice_partition_spec_from_json(out, json, len, "alter");
	ice_jw__free(&jw);
	return rc;
}

int ice_alter__spec(ice_partition_spec **out, const ice_alter *a, const ice_table_metadata *base,
                    const ice_schema *schema, int format_version)
{
	const ice_partition_spec *spec = ice_table_metadata_default_spec(base);
	work w;
	char what[600];
	bool any = false, changed = false;
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < a->n && !any; i++)
		any = a->changes[i].kind >= ALTER_ADD_PARTITION && a->changes[i].kind <= ALTER_RENAME_PARTITION;
	if (!any)
		return 0;
	memset(&w, 0, sizeof(w));
	ice_arena__init(&w.arena, 4096);
	w.base = base;
	w.schema = schema;
	w.format_version = format_version;
	w.last_id = ice_table_metadata_last_partition_id(base);
	if (w.last_id < ICE_PARTITION_DATA_ID_START - 1)
		w.last_id = ICE_PARTITION_DATA_ID_START - 1;
	for (size_t i = 0; i < spec->nfields && !rc; i++) {
		pfield *f = push(&w);
		if (!f) {
			rc = ICE_ERROR;
			break;
		}
		f->field_id = spec->fields[i].field_id;
		f->name = spec->fields[i].name;
		f->transform = spec->fields[i].transform;
		f->n_source_ids = spec->fields[i].n_source_ids;
		f->source_ids = spec->fields[i].source_ids;
	}
	for (size_t i = 0; i < a->n && !rc; i++) {
		const alter_change *c = &a->changes[i];
		w.what = ice_alter__describe(c, what, sizeof(what));
		switch (c->kind) {
		case ALTER_ADD_PARTITION: rc = add_fields(&w, c); break;
		case ALTER_DROP_PARTITION: rc = remove_field(&w, c); break;
		case ALTER_RENAME_PARTITION: rc = rename_field(&w, c); break;
		default: break;
		}
	}
	if (!rc) {
		size_t k = 0;
		for (size_t i = 0; i < w.n; i++) {
			const pfield *f = &w.fields[i];
			if (f->deleted && format_version >= 2) {
				changed = true;
				continue;
			}
			if (k >= spec->nfields || f->added || f->deleted || f->field_id != spec->fields[k].field_id ||
			    strcmp(f->name, spec->fields[k].name) != 0)
				changed = true;
			k++;
		}
		changed |= k != spec->nfields;
		w.what = "partition spec";
		if (changed && (rc = to_spec(&w, out)) == 0 && (rc = ice_partition_spec_validate(*out, schema)) != 0) {
			ice_partition_spec_free(*out);
			*out = NULL;
			ice_error__prefix("alter: the new partition spec");
		}
	}
	ice_arena__free(&w.arena);
	return rc;
}
