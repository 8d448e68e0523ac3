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
#include "ingest.h"
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

/* Columns named `names`, typed by their candidates (a list of them when
 * list_cand[i] is set: JSON arrays), ids in order, element ids after. */
static int write_schema(ice_schema **out, const char *location, char **names, const unsigned *cand,
                        const bool *seen, const unsigned *list_cand, size_t ncols)
{
	ice_json_writer w;
	const char *json;
	size_t len;
	int rc;
	int64_t next_id = (int64_t)ncols;
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
		if (list_cand && list_cand[i]) {
			ice_json_begin_object(&w);
			ice_json_key(&w, "type");
			ice_json_string(&w, "list");
			ice_json_key(&w, "element-id");
			ice_json_int(&w, ++next_id);
			ice_json_key(&w, "element");
			ice_json_string(&w, type_name(cand[i], seen[i]));
			ice_json_key(&w, "element-required");
			ice_json_bool(&w, false);
			ice_json_end_object(&w);
		} else {
			ice_json_string(&w, type_name(cand[i], seen[i]));
		}
		ice_json_end_object(&w);
	}
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if ((rc = ice_json_writer_finish(&w, &json, &len)) == 0)
		rc = ice_schema_from_json(out, json, len, location);
	ice_jw__free(&w);
	return rc;
}

/* What a JSON value can be read into, as ice append reads JSON: numbers
 * into numbers, true/false into booleans, strings into strings, dates and
 * timestamps (a string that is one). */
static unsigned json_candidates(const ice_json *v)
{
	switch (ice_json__type(v)) {
	case ICE_JSON_TRUE:
	case ICE_JSON_FALSE: return C_BOOL;
	case ICE_JSON_INT: return C_LONG | C_DOUBLE;
	case ICE_JSON_REAL: return C_DOUBLE;
	case ICE_JSON_STRING: {
		size_t len;
		const char *t = ice_json__str(v, &len);
		return candidates(t, len) & (C_DATE | C_TS | C_TSTZ);
	}
	default: return 0;
	}
}

/* JSON Lines (or a JSON array of objects): members named in order of first
 * appearance, typed from up to SAMPLE_ROWS objects; arrays of scalars are
 * lists; nested objects are refused (a schema by hand says what they are). */
static int infer_jsonl(ice_schema **out, const ice_io *io, const char *location)
{
	csv_reader *r;
	csv_record rec;
	char **names = NULL;
	unsigned *cand = NULL, *list_cand = NULL;
	bool *seen = NULL;
	size_t ncols = 0, cap = 0;
	ice_map by_name; /* member name -> index + 1: wide objects stay linear */
	int rc, rows = 0;
	if ((rc = ice_csv__open_lines(&r, io, location)) != 0)
		return rc;
	ice_map__init(&by_name, true);
	while (rows < SAMPLE_ROWS && (rc = ice_csv__next(r, &rec)) == 0) {
		const char *s = (const char *)rec.fields[0].data;
		size_t len = rec.fields[0].len;
		ice_json *j = NULL;
		char where[64];
		const char *t = s;
		size_t tl = len;
		ice_str__trim(&t, &tl);
		if (!tl)
			continue;
		rows++;
		snprintf(where, sizeof(where), "line %lld", (long long)rec.line);
		if ((rc = ice_json__parse(&j, s, len, where)) != 0) {
			ice_error__prefix("%s", location);
			break;
		}
		if (ice_json__type(j) != ICE_JSON_OBJECT) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: expected a JSON object", location,
			                    (long long)rec.line);
			ice_json__free(j);
			break;
		}
		ice_json_iter it;
		const char *key;
		ice_json *v;
		ice_json__iter_init(&it, j);
		while (!rc && ice_json__iter_next(&it, &key, &v)) {
			size_t i = ncols, klen = strlen(key);
			void *found;
			if (ice_map__get_str(&by_name, key, klen, &found))
				i = (size_t)(uintptr_t)found - 1;
			if (i == ncols) {
				if (ncols == cap) {
					size_t nc = cap ? cap * 2 : 16;
					char **nn = ice__reallocarray(names, nc, sizeof(char *));
					if (nn)
						names = nn;
					unsigned *c1 = nn ? ice__reallocarray(cand, nc, sizeof(unsigned)) : NULL;
					if (c1)
						cand = c1;
					unsigned *c2 = c1 ? ice__reallocarray(list_cand, nc, sizeof(unsigned)) : NULL;
					if (c2)
						list_cand = c2;
					bool *sn = c2 ? ice__reallocarray(seen, nc, sizeof(bool)) : NULL;
					if (!sn) {
						rc = ICE_ERROR;
						break;
					}
					seen = sn;
					cap = nc;
				}
				if (!(names[i] = ice__strdup(key)) ||
				    (rc = ice_map__put_str(&by_name, names[i], klen, (void *)(uintptr_t)(i + 1))) != 0) {
					rc = rc ? rc : ICE_ERROR;
					break;
				}
				cand[i] = C_BOOL | C_LONG | C_DOUBLE | C_DATE | C_TS | C_TSTZ;
				list_cand[i] = 0;
				seen[i] = false;
				ncols++;
			}
			ice_json_type jt = ice_json__type(v);
			if (jt == ICE_JSON_NULL)
				continue;
			if (jt == ICE_JSON_OBJECT) {
				rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
				                    "%s: line %lld: column '%s' holds a JSON object: give the schema with --schema",
				                    location, (long long)rec.line, key);
				break;
			}
			bool is_list = jt == ICE_JSON_ARRAY;
			if (seen[i] && (list_cand[i] != 0) != is_list) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                    "%s: line %lld: column '%s' holds both arrays and single values", location,
				                    (long long)rec.line, key);
				break;
			}
			if (is_list) {
				list_cand[i] = 1;
				for (size_t k = 0; k < ice_json__size(v); k++) {
					const ice_json *e = ice_json__at(v, k);
					if (ice_json__type(e) == ICE_JSON_NULL)
						continue;
					if (ice_json__type(e) == ICE_JSON_OBJECT || ice_json__type(e) == ICE_JSON_ARRAY) {
						rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
						                    "%s: line %lld: column '%s' holds nested arrays or objects: give the "
						                    "schema with --schema",
						                    location, (long long)rec.line, key);
						break;
					}
					cand[i] &= json_candidates(e);
				}
			} else {
				cand[i] &= json_candidates(v);
			}
			seen[i] = true;
		}
		ice_json__free(j);
		if (rc)
			break;
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
	ice_csv__free(r);
	if (!rc && ncols == 0)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: no JSON object with a member to infer from",
		                    location);
	if (!rc)
		rc = write_schema(out, location, names, cand, seen, list_cand, ncols);
	ice_map__free(&by_name);
	for (size_t i = 0; names && i < ncols; i++)
		ice__free(names[i]);
	ice__free(names);
	ice__free(cand);
	ice__free(list_cand);
	ice__free(seen);
	return rc;
}

static int infer_csv(ice_schema **out, const ice_io *io, const char *location, char delimiter)
{
	csv_reader *r;
	csv_record rec;
	char **names = NULL;
	unsigned *cand = NULL;
	bool *seen = NULL;
	size_t ncols = 0;
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
	if (!rc)
		rc = write_schema(out, location, names, cand, seen, NULL, ncols);
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
	ice_write_options o;
	*out = NULL;
	ice_write_options_init(&o);
	o.delimiter = delimiter;
	if (ice_str__ends_with(location, ".parquet") || ice_str__ends_with(location, ".PARQUET"))
		return infer_parquet(out, io, location);
	/* the format as ice append would read the file */
	if (ice_input__format(location, ICE_INPUT_AUTO) == ICE_INPUT_JSONL)
		return infer_jsonl(out, io, location);
	return infer_csv(out, io, location, ice_input__delimiter(location, &o));
}
