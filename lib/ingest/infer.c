/*
 * ingest/infer.c - a schema inferred from a sample file (ice create
 * --schema-from): a Parquet file's schema with fresh field ids, or a CSV
 * file's header and first rows, typed conservatively: a column is
 * boolean, long, double, date, timestamp (timestamptz when every value
 * has a zone) only if every sampled value parses as one, else string.
 * Every inferred column is optional.
 */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "ice/parquet.h"
#include "ice/table_dsl.h"
#include "util/alloc.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/json.h"
#include "util/strutil.h"

#define SAMPLE_ROWS 1000

enum { C_BOOL = 1, C_LONG = 2, C_DOUBLE = 4, C_DATE = 8, C_TS = 16, C_TSTZ = 32 };

static unsigned candidates(const char *s, size_t len)
{
	unsigned c = 0;
	int64_t l;
	double d;
	int32_t days;
	int64_t ts;
	bool zone = false;
	if (ice_str__ieq(s, len, "true", 4) || ice_str__ieq(s, len, "false", 5))
		c |= C_BOOL;
	if (ice_str__to_int64(s, len, &l))
		c |= C_LONG | C_DOUBLE;
	else if (ice_str__to_double(s, len, &d))
		c |= C_DOUBLE;
	if (ice_dt__parse_date(s, len, &days))
		c |= C_DATE;
	if (ice_dt__parse_timestamp(s, len, false, &ts, &zone))
		c |= zone ? C_TSTZ : C_TS;
	return c;
}

static const char *type_name(unsigned c, bool seen)
{
	if (!seen)
		return "string";
	if (c & C_BOOL)
		return "boolean";
	if (c & C_LONG)
		return "long";
	if (c & C_DOUBLE)
		return "double";
	if (c & C_DATE)
		return "date";
	if (c & C_TS)
		return "timestamp";
	if (c & C_TSTZ)
		return "timestamptz";
	return "string";
}

static int infer_csv(ice_schema **out, const ice_io *io, const char *location, char delimiter)
{
	csv_reader *r;
	csv_record rec;
	char **names = NULL;
	unsigned *cand = NULL;
	bool *seen = NULL;
	size_t ncols = 0;
	ice_json_writer w;
	ice_map by_name; /* duplicate names found by hash: wide headers stay linear */
	int rc;
	if ((rc = ice_csv__open(&r, io, location, delimiter)) != 0)
		return rc;
	ice_map__init(&by_name, true);
	if ((rc = ice_csv__next(r, &rec)) != 0) {
		if (rc == ICE_ITEROVER)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: empty file: no header", location);
		ice_csv__free(r);
		ice_map__free(&by_name);
		return rc;
	}
	ncols = rec.n;
	if (!(names = ice__calloc(ncols, sizeof(char *))) || !(cand = ice__calloc(ncols, sizeof(unsigned))) ||
	    !(seen = ice__calloc(ncols, sizeof(bool))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < ncols && !rc; i++) {
		const char *s = (const char *)rec.fields[i].data;
		size_t len = rec.fields[i].len;
		ice_str__trim(&s, &len);
		if (!len) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line 1, column %zu: empty column name",
			                    location, i + 1);
			break;
		}
		if (!(names[i] = ice__strndup(s, len)))
			rc = ICE_ERROR;
		else if (ice_map__get_str(&by_name, names[i], len, NULL))
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                    "%s: line 1, column %zu: column name '%s' appears twice", location, i + 1, names[i]);
		else
			rc = ice_map__put_str(&by_name, names[i], len, names[i]);
		cand[i] = C_BOOL | C_LONG | C_DOUBLE | C_DATE | C_TS | C_TSTZ;
	}
	for (int row = 0; row < SAMPLE_ROWS && !rc; row++) {
		rc = ice_csv__next(r, &rec);
		if (rc == ICE_ITEROVER) {
			rc = 0;
			break;
		}
		for (size_t i = 0; i < ncols && i < rec.n && !rc; i++) {
			if (rec.fields[i].len == 0)
				continue; /* empty: null */
			cand[i] &= candidates((const char *)rec.fields[i].data, rec.fields[i].len);
			seen[i] = true;
		}
	}
	ice_csv__free(r);
	if (!rc) {
		const char *json;
		size_t len;
		ice_jw__init(&w, ICE_JSON_COMPACT);
		ice_json_begin_object(&w);
		ice_json_key(&w, "type");
		ice_json_string(&w, "struct");
		ice_json_key(&w, "schema-id");
		ice_json_int(&w, 0);
		ice_json_key(&w, "fields");
		ice_json_begin_array(&w);
		for (size_t i = 0; i < ncols; i++) {
			ice_json_begin_object(&w);
			ice_json_key(&w, "id");
			ice_json_int(&w, (int64_t)i + 1);
			ice_json_key(&w, "name");
			ice_json_string(&w, names[i]);
			ice_json_key(&w, "required");
			ice_json_bool(&w, false);
			ice_json_key(&w, "type");
			ice_json_string(&w, type_name(cand[i], seen[i]));
			ice_json_end_object(&w);
		}
		ice_json_end_array(&w);
		ice_json_end_object(&w);
		if ((rc = ice_json_writer_finish(&w, &json, &len)) == 0)
			rc = ice_schema_from_json(out, json, len, location);
		ice_jw__free(&w);
	}
	ice_map__free(&by_name);
	for (size_t i = 0; names && i < ncols; i++)
		ice__free(names[i]);
	ice__free(names);
	ice__free(cand);
	ice__free(seen);
	return rc;
}

/* ---- Parquet: the file's types with fresh ids ------------------------------------ */

typedef struct fresh {
	ice_map ids; /* ice_field pointer -> id */
	int32_t next;
} fresh;

static int assign_type(fresh *f, const ice_type *t);

static int assign_field(fresh *f, const ice_field *field)
{
	return ice_map__put_int(&f->ids, (int64_t)(uintptr_t)field, (void *)(uintptr_t)(uint32_t)++f->next);
}

static int assign_type(fresh *f, const ice_type *t)
{
	int rc = 0;
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < t->u.struct_.nfields && !rc; i++)
			rc = assign_field(f, &t->u.struct_.fields[i]);
		for (size_t i = 0; i < t->u.struct_.nfields && !rc; i++)
			rc = assign_type(f, t->u.struct_.fields[i].type);
		return rc;
	case ICE_TYPE_LIST:
		if (!(rc = assign_field(f, &t->u.list.element)))
			rc = assign_type(f, t->u.list.element.type);
		return rc;
	case ICE_TYPE_MAP:
		if (!(rc = assign_field(f, &t->u.map.key)) && !(rc = assign_field(f, &t->u.map.value)) &&
		    !(rc = assign_type(f, t->u.map.key.type)))
			rc = assign_type(f, t->u.map.value.type);
		return rc;
	default:
		return 0;
	}
}

static int32_t id_of(fresh *f, const ice_field *field)
{
	void *v = NULL;
	ice_map__get_int(&f->ids, (int64_t)(uintptr_t)field, &v);
	return (int32_t)(uintptr_t)v;
}

static void write_type(fresh *f, ice_json_writer *w, const ice_type *t);

static void write_field(fresh *f, ice_json_writer *w, const ice_field *field)
{
	ice_json_begin_object(w);
	ice_json_key(w, "id");
	ice_json_int(w, id_of(f, field));
	ice_json_key(w, "name");
	ice_json_string(w, field->name);
	ice_json_key(w, "required");
	ice_json_bool(w, field->required);
	ice_json_key(w, "type");
	write_type(f, w, field->type);
	ice_json_end_object(w);
}

static void write_type(fresh *f, ice_json_writer *w, const ice_type *t)
{
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "struct");
		ice_json_key(w, "fields");
		ice_json_begin_array(w);
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			write_field(f, w, &t->u.struct_.fields[i]);
		ice_json_end_array(w);
		ice_json_end_object(w);
		break;
	case ICE_TYPE_LIST:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "list");
		ice_json_key(w, "element-id");
		ice_json_int(w, id_of(f, &t->u.list.element));
		ice_json_key(w, "element");
		write_type(f, w, t->u.list.element.type);
		ice_json_key(w, "element-required");
		ice_json_bool(w, t->u.list.element.required);
		ice_json_end_object(w);
		break;
	case ICE_TYPE_MAP:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "map");
		ice_json_key(w, "key-id");
		ice_json_int(w, id_of(f, &t->u.map.key));
		ice_json_key(w, "key");
		write_type(f, w, t->u.map.key.type);
		ice_json_key(w, "value-id");
		ice_json_int(w, id_of(f, &t->u.map.value));
		ice_json_key(w, "value");
		write_type(f, w, t->u.map.value.type);
		ice_json_key(w, "value-required");
		ice_json_bool(w, t->u.map.value.required);
		ice_json_end_object(w);
		break;
	default: {
		char *name = ice_type_to_string(t);
		if (!name) {
			ice_jw__fail(w, ICE_ERROR);
			return;
		}
		/* The canonical text of nested-free types is the JSON type name,
		 * except that decimal(P, S) is written "decimal(P,S)"-tolerant. */
		ice_json_string(w, name);
		ice__free(name);
		break;
	}
	}
}

static int infer_parquet(ice_schema **out, const ice_io *io, const char *location)
{
	ice_parquet_reader *r;
	fresh f;
	ice_json_writer w;
	const char *json;
	size_t len;
	int rc = ice_parquet_reader_open(&r, io, location);
	if (rc)
		return rc;
	const ice_type *t = ice_parquet_reader_iceberg_schema(r);
	ice_map__init(&f.ids, false);
	f.next = 0;
	if (t->u.struct_.nfields == 0) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: no columns with Iceberg types", location);
	} else if ((rc = assign_type(&f, t)) == 0) {
		ice_jw__init(&w, ICE_JSON_COMPACT);
		ice_json_begin_object(&w);
		ice_json_key(&w, "type");
		ice_json_string(&w, "struct");
		ice_json_key(&w, "schema-id");
		ice_json_int(&w, 0);
		ice_json_key(&w, "fields");
		ice_json_begin_array(&w);
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			write_field(&f, &w, &t->u.struct_.fields[i]);
		ice_json_end_array(&w);
		ice_json_end_object(&w);
		if ((rc = ice_json_writer_finish(&w, &json, &len)) == 0)
			rc = ice_schema_from_json(out, json, len, location);
		ice_jw__free(&w);
	}
	ice_map__free(&f.ids);
	ice_parquet_reader_free(r);
	return rc;
}

int ice_schema_infer(ice_schema **out, const ice_io *io, const char *location, char delimiter)
{
	*out = NULL;
	if (ice_str__ends_with(location, ".parquet") || ice_str__ends_with(location, ".PARQUET"))
		return infer_parquet(out, io, location);
	return infer_csv(out, io, location, delimiter ? delimiter : ',');
}
