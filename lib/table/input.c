/*
 * table/input.c - appending rows from CSV, JSON Lines and Parquet files:
 * each input is decoded row by row into values of the table's current
 * schema (CSV and Parquet columns matched by name, CSV without header by
 * position; JSON objects by member name, nested types from JSON objects
 * and arrays), handed to the data writer, and the files it wrote are
 * committed as one fast-append snapshot. A value that does not convert is
 * an error naming the file, line and column, unless a reject file takes
 * the row. Nothing is committed after an error, and the files written are
 * deleted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "ice/parquet.h"
#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"
#include "writer.h"

typedef struct appender {
	ice_table *table;
	const ice_schema *schema;
	const ice_write_options *opts;
	ice_data_writer *dw;
	ice_arena row_arena;
	size_t nfields;
	ice_literal *values;
	const ice_literal **ptrs;
	int64_t rows, rejected, bytes_read;
	ice_output *reject;
	const char *reject_header; /* CSV header line to start a reject file with */
	size_t reject_header_len;
} appender;

/* ---- converting values ------------------------------------------------------------- */

static int conv_error(const char *file, int64_t line, size_t col, const char *name, const char *fmt, ...)
    ICE_PRINTF(5, 6);

static int conv_error(const char *file, int64_t line, size_t col, const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld, column %zu (%s): %s", file,
		                      (long long)line, col, name, msg);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld (%s): %s", file, (long long)line, name,
	                      msg);
}

static int json_to_literal(ice_literal *out, const ice_type *t, const ice_json *j, ice_arena *a, int depth);

/* Text to a value of `t` (no null handling). ICE_EINVALID on failure, with
 * a short reason in the error (the caller adds file, line and column). */
static int text_to_literal(ice_literal *out, const ice_type *t, const char *s, size_t len, ice_arena *a)
{
	int64_t l;
	double d;
	bool zone;
	switch (t->id) {
	case ICE_TYPE_INT:
		if (!ice_str__to_int64(s, len, &l) || l < INT32_MIN || l > INT32_MAX)
			break;
		*out = ice_literal_int((int32_t)l);
		return 0;
	case ICE_TYPE_LONG:
		if (!ice_str__to_int64(s, len, &l))
			break;
		*out = ice_literal_long(l);
		return 0;
	case ICE_TYPE_DOUBLE:
	case ICE_TYPE_FLOAT:
		if (!ice_str__to_double(s, len, &d)) {
			if (ice_str__ieq(s, len, "nan", 3))
				d = NAN;
			else if (ice_str__ieq(s, len, "inf", 3) || ice_str__ieq(s, len, "infinity", 8))
				d = INFINITY;
			else if (ice_str__ieq(s, len, "-inf", 4) || ice_str__ieq(s, len, "-infinity", 9))
				d = -INFINITY;
			else
				break;
		}
		*out = ice_literal_null(t->id);
		out->is_null = false;
		if (t->id == ICE_TYPE_DOUBLE)
			out->v.f64 = d;
		else
			out->v.f32 = (float)d;
		return 0;
	case ICE_TYPE_DATE: {
		int32_t days;
		if (!ice_dt__parse_date(s, len, &days))
			break;
		*out = ice_literal_null(ICE_TYPE_DATE);
		out->is_null = false;
		out->v.i32 = days;
		return 0;
	}
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: {
		bool ns = t->id == ICE_TYPE_TIMESTAMP_NS || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
		bool tz = t->id == ICE_TYPE_TIMESTAMPTZ || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
		int32_t days;
		/* A timestamp without zone for a timestamptz column is taken as UTC;
		 * a zone for a timestamp without zone is refused. */
		if (ice_dt__parse_timestamp(s, len, ns, &l, &zone)) {
			if (zone && !tz)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                      "a time zone in a value for a timestamp without zone");
		} else if (ice_dt__parse_date(s, len, &days)) {
			l = (int64_t)days * ICE_MICROS_PER_DAY * (ns ? 1000 : 1);
		} else {
			break;
		}
		*out = ice_literal_null(t->id);
		out->is_null = false;
		out->v.i64 = l;
		return 0;
	}
	case ICE_TYPE_STRING:
		if (!ice_utf8__valid((const uint8_t *)s, len))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "not valid UTF-8");
		*out = ice_literal_string(s, len);
		return 0;
	case ICE_TYPE_STRUCT:
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		ice_json *j;
		int rc = ice_json__parse(&j, s, len, "value");
		if (rc)
			return rc;
		rc = json_to_literal(out, t, j, a, 0);
		if (!rc) {
			/* The literal may borrow strings from the parsed document. */
			rc = ICE_OK;
		}
		ice_json__free(j);
		return rc;
	}
	default:
		return ice_literal_from_string(out, t, s, len, a);
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "not a %s", ice_type_id_name(t->id));
}

static int json_to_literal(ice_literal *out, const ice_type *t, const ice_json *j, ice_arena *a, int depth)
{
	ice_json_type jt = ice_json__type(j);
	int rc;
	if (depth > 64)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "nested too deeply");
	if (jt == ICE_JSON_NULL) {
		*out = ice_literal_null(t->id);
		return 0;
	}
	switch (t->id) {
	case ICE_TYPE_BOOLEAN:
		if (!ice_json__is_bool(j))
			break;
		*out = ice_literal_bool(jt == ICE_JSON_TRUE);
		return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
		if (jt != ICE_JSON_INT)
			break;
		if (t->id == ICE_TYPE_INT) {
			int64_t v = ice_json__int(j);
			if (v < INT32_MIN || v > INT32_MAX)
				break;
			*out = ice_literal_int((int32_t)v);
		} else {
			*out = ice_literal_long(ice_json__int(j));
		}
		return 0;
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE:
		if (!ice_json__is_number(j)) {
			if (jt == ICE_JSON_STRING) {
				size_t len;
				const char *s = ice_json__str(j, &len);
				return text_to_literal(out, t, s, len, a);
			}
			break;
		}
		*out = ice_literal_null(t->id);
		out->is_null = false;
		if (t->id == ICE_TYPE_DOUBLE)
			out->v.f64 = ice_json__number(j);
		else
			out->v.f32 = (float)ice_json__number(j);
		return 0;
	case ICE_TYPE_DECIMAL:
		if (jt == ICE_JSON_INT || jt == ICE_JSON_REAL) {
			char num[48];
			size_t n = jt == ICE_JSON_INT ? (size_t)snprintf(num, sizeof(num), "%lld", (long long)ice_json__int(j))
			                              : ice_json__format_double(ice_json__number(j), num);
			char *copy = ice_arena__strndup(a, num, n);
			if (!copy)
				return ICE_ERROR;
			return ice_literal_from_string(out, t, copy, n, a);
		}
		if (jt != ICE_JSON_STRING)
			break;
		/* fall through */
	default:
		if (jt == ICE_JSON_STRING) {
			size_t len;
			const char *s = ice_json__str(j, &len);
			char *copy = ice_arena__strndup(a, s, len);
			if (!copy)
				return ICE_ERROR;
			return text_to_literal(out, t, copy, len, a);
		}
		break;
	case ICE_TYPE_STRUCT: {
		if (jt != ICE_JSON_OBJECT)
			break;
		size_t n = t->u.struct_.nfields;
		ice_literal *items = ice_arena__allocarray(a, n ? n : 1, sizeof(ice_literal));
		int32_t *ids = ice_arena__allocarray(a, n ? n : 1, sizeof(int32_t));
		if (!items || !ids)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			const ice_field *f = &t->u.struct_.fields[i];
			const ice_json *m = ice_json__get(j, f->name);
			ids[i] = f->id;
			if (!m) {
				items[i] = ice_literal_null(f->type->id);
			} else if ((rc = json_to_literal(&items[i], f->type, m, a, depth + 1)) != 0) {
				return ice_error__prefix("%s", f->name);
			}
			if (items[i].is_null && f->required)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: null in a required field", f->name);
		}
		*out = ice_literal_null(ICE_TYPE_STRUCT);
		out->is_null = false;
		out->v.nested.n = n;
		out->v.nested.items = items;
		out->v.nested.field_ids = ids;
		return 0;
	}
	case ICE_TYPE_LIST: {
		if (jt != ICE_JSON_ARRAY)
			break;
		size_t n = ice_json__size(j);
		ice_literal *items = ice_arena__allocarray(a, n ? n : 1, sizeof(ice_literal));
		if (!items)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			if ((rc = json_to_literal(&items[i], t->u.list.element.type, ice_json__at(j, i), a, depth + 1)) != 0)
				return ice_error__prefix("[%zu]", i);
			if (items[i].is_null && t->u.list.element.required)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "[%zu]: null in a required element", i);
		}
		*out = ice_literal_null(ICE_TYPE_LIST);
		out->is_null = false;
		out->v.nested.n = n;
		out->v.nested.items = items;
		return 0;
	}
	case ICE_TYPE_MAP: {
		if (jt != ICE_JSON_OBJECT)
			break;
		size_t n = ice_json__size(j), i = 0;
		ice_literal *items = ice_arena__allocarray(a, n ? 2 * n : 1, sizeof(ice_literal));
		ice_json_iter it;
		const char *key;
		ice_json *value;
		if (!items)
			return ICE_ERROR;
		ice_json__iter_init(&it, j);
		while (ice_json__iter_next(&it, &key, &value)) {
			char *k = ice_arena__strdup(a, key);
			if (!k)
				return ICE_ERROR;
			if ((rc = text_to_literal(&items[2 * i], t->u.map.key.type, k, strlen(k), a)) != 0 ||
			    (rc = json_to_literal(&items[2 * i + 1], t->u.map.value.type, value, a, depth + 1)) != 0)
				return ice_error__prefix("%s", key);
			if (items[2 * i + 1].is_null && t->u.map.value.required)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: null in a required value", key);
			i++;
		}
		*out = ice_literal_null(ICE_TYPE_MAP);
		out->is_null = false;
		out->v.nested.n = i;
		out->v.nested.items = items;
		return 0;
	}
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "a JSON %s is not a %s", ice_json__type_name(j),
	                      ice_type_id_name(t->id));
}

/* ---- rows ---------------------------------------------------------------------------- */

static int reject_row(appender *ap, const char *data, size_t len)
{
	int rc;
	if (!ap->reject) {
		if ((rc = ice_io__create_output(&ap->reject, ice_table_io(ap->table), ap->opts->reject_file, false)) != 0)
			return rc;
		if (ap->reject_header_len &&
		    (rc = ice_output__write(ap->reject, ap->reject_header, ap->reject_header_len)) != 0)
			return rc;
	}
	if ((rc = ice_output__write(ap->reject, data, len)) != 0)
		return rc;
	ap->rejected++;
	ice_error_clear();
	return 0;
}

static int emit_row(appender *ap)
{
	int rc = ice_data_writer__write(ap->dw, ap->ptrs);
	if (rc)
		return rc;
	ap->rows++;
	if (ap->opts->progress && (ap->rows & 0xffff) == 0)
		ap->opts->progress(ap->rows, ap->bytes_read, ap->opts->progress_payload);
	return 0;
}

static void reset_row(appender *ap)
{
	for (size_t i = 0; i < ap->nfields; i++) {
		ap->values[i] = ice_literal_null(ice_schema_field_at(ap->schema, i)->type->id);
		ap->ptrs[i] = &ap->values[i];
	}
}

static int check_required(appender *ap, const char *file, int64_t line)
{
	for (size_t i = 0; i < ap->nfields; i++) {
		const ice_field *f = ice_schema_field_at(ap->schema, i);
		if (f->required && ap->values[i].is_null)
			return conv_error(file, line, 0, f->name, "null in required column '%s'", f->name);
	}
	return 0;
}

/* CSV: a rejected record is written back as CSV. */
static int reject_csv(appender *ap, const csv_record *rec, char delim)
{
	ice_buf b = ICE_BUF_INIT;
	for (size_t i = 0; i < rec->n; i++) {
		const char *s = (const char *)rec->fields[i].data;
		size_t len = rec->fields[i].len;
		if (i)
			ice_buf__putc(&b, delim);
		bool quote = rec->quoted[i] || memchr(s, delim, len) || memchr(s, '"', len) || memchr(s, '\n', len);
		if (quote) {
			ice_buf__putc(&b, '"');
			for (size_t k = 0; k < len; k++) {
				if (s[k] == '"')
					ice_buf__putc(&b, '"');
				ice_buf__putc(&b, s[k]);
			}
			ice_buf__putc(&b, '"');
		} else {
			ice_buf__put(&b, s, len);
		}
	}
	ice_buf__putc(&b, '\n');
	int rc = b.error ? ICE_ERROR : reject_row(ap, b.ptr, b.len);
	ice_buf__free(&b);
	return rc;
}

static int append_csv(appender *ap, const char *input)
{
	csv_reader *r;
	csv_record rec;
	const ice_write_options *o = ap->opts;
	char delim = o->delimiter ? o->delimiter : ',';
	size_t *map = NULL, ncols = 0; /* file column -> schema field */
	const char *null_token = o->null_token ? o->null_token : "";
	size_t null_len = strlen(null_token);
	ice_buf header = ICE_BUF_INIT;
	int rc;
	if (o->delimiter == 0 && ice_str__ends_with(input, ".tsv"))
		delim = '\t';
	if ((rc = ice_csv__open(&r, ice_table_io(ap->table), input, delim)) != 0)
		return rc;
	const char *name = ice_csv__name(r);
	if (!o->no_header) {
		rc = ice_csv__next(r, &rec);
		if (rc == ICE_ITEROVER) {
			ice_csv__free(r);
			return 0; /* an empty file adds nothing */
		}
		if (rc)
			goto done;
		ncols = rec.n;
		if (!(map = ice__calloc(ncols, sizeof(size_t)))) {
			rc = ICE_ERROR;
			goto done;
		}
		for (size_t c = 0; c < ncols && !rc; c++) {
			const char *s = (const char *)rec.fields[c].data;
			size_t len = rec.fields[c].len;
			char col[512];
			ice_str__trim(&s, &len);
			snprintf(col, sizeof(col), "%.*s", (int)len, s);
			const ice_field *f = NULL;
			size_t i;
			for (i = 0; i < ap->nfields; i++)
				if (strcmp(ice_schema_field_at(ap->schema, i)->name, col) == 0)
					break;
			if (i == ap->nfields)
				for (i = 0; i < ap->nfields; i++)
					if (ice_str__ieq(ice_schema_field_at(ap->schema, i)->name,
					                 strlen(ice_schema_field_at(ap->schema, i)->name), col, strlen(col)))
						break;
			if (i == ap->nfields) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                    "%s: line 1, column %zu: unknown column '%s' (not in the table's schema)", name,
				                    c + 1, col);
				break;
			}
			f = ice_schema_field_at(ap->schema, i);
			for (size_t k = 0; k < c; k++)
				if (map[k] == i)
					rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
					                    "%s: line 1, column %zu: column '%s' appears twice", name, c + 1, f->name);
			map[c] = i;
			if (c)
				ice_buf__putc(&header, delim);
			ice_buf__puts(&header, col);
		}
		ice_buf__putc(&header, '\n');
		ap->reject_header = header.ptr;
		ap->reject_header_len = header.len;
		if (!rc && header.error)
			rc = ICE_ERROR;
		if (rc)
			goto done;
	} else {
		ncols = ap->nfields;
		if (!(map = ice__calloc(ncols ? ncols : 1, sizeof(size_t)))) {
			rc = ICE_ERROR;
			goto done;
		}
		for (size_t c = 0; c < ncols; c++)
			map[c] = c;
	}
	while ((rc = ice_csv__next(r, &rec)) == 0) {
		reset_row(ap);
		ice_arena__free(&ap->row_arena);
		if (rec.n != ncols && !(rec.n == 1 && rec.fields[0].len == 0 && !rec.quoted[0])) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: %zu fields, expected %zu", name,
			                    (long long)rec.line, rec.n, ncols);
		} else if (rec.n == 1 && rec.fields[0].len == 0 && ncols != 1) {
			continue; /* a blank line */
		} else {
			for (size_t c = 0; c < ncols && !rc; c++) {
				const ice_field *f = ice_schema_field_at(ap->schema, map[c]);
				const char *s = (const char *)rec.fields[c].data;
				size_t len = rec.fields[c].len;
				if (!rec.quoted[c] && len == null_len && memcmp(s, null_token, len) == 0)
					continue;
				if ((rc = text_to_literal(&ap->values[map[c]], f->type, s, len, &ap->row_arena)) != 0) {
					char shown[80];
					snprintf(shown, sizeof(shown), "%.*s%s", (int)(len > 64 ? 64 : len), s, len > 64 ? "..." : "");
					char *tn = ice_type_to_string(f->type);
					char why[256];
					snprintf(why, sizeof(why), "%s", ice_error_last() ? ice_error_last()->message : "");
					rc = conv_error(name, rec.line, c + 1, f->name, "cannot convert '%s' to %s%s%s", shown,
					                tn ? tn : "?", why[0] && !strstr(why, "not a ") ? ": " : "",
					                why[0] && !strstr(why, "not a ") ? why : "");
					ice_free(tn);
				}
			}
			if (!rc)
				rc = check_required(ap, name, rec.line);
		}
		if (rc == ICE_EINVALID && o->reject_file) {
			if ((rc = reject_csv(ap, &rec, delim)) != 0)
				break;
			continue;
		}
		if (rc || (rc = emit_row(ap)) != 0)
			break;
		ap->bytes_read = ice_csv__position(r);
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
done:
	ap->reject_header = NULL;
	ap->reject_header_len = 0;
	ice_buf__free(&header);
	ice__free(map);
	ice_csv__free(r);
	return rc;
}

static int append_jsonl(appender *ap, const char *input)
{
	csv_reader *r;
	csv_record rec;
	int rc = ice_csv__open_lines(&r, ice_table_io(ap->table), input);
	if (rc)
		return rc;
	const char *name = ice_csv__name(r);
	while ((rc = ice_csv__next(r, &rec)) == 0) {
		ice_json *j = NULL;
		const char *s = (const char *)rec.fields[0].data;
		size_t len = rec.fields[0].len;
		const char *t = s;
		size_t tl = len;
		ice_str__trim(&t, &tl);
		if (tl == 0)
			continue;
		reset_row(ap);
		ice_arena__free(&ap->row_arena);
		char where[64];
		snprintf(where, sizeof(where), "line %lld", (long long)rec.line);
		rc = ice_json__parse(&j, s, len, where);
		if (rc) {
			ice_error__prefix("%s", name);
		} else if (ice_json__type(j) != ICE_JSON_OBJECT) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: expected a JSON object", name,
			                    (long long)rec.line);
		} else {
			ice_json_iter it;
			const char *key;
			ice_json *value;
			ice_json__iter_init(&it, j);
			while (!rc && ice_json__iter_next(&it, &key, &value)) {
				size_t i;
				for (i = 0; i < ap->nfields; i++)
					if (strcmp(ice_schema_field_at(ap->schema, i)->name, key) == 0)
						break;
				if (i == ap->nfields) {
					rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
					                    "%s: line %lld: unknown column '%s' (not in the table's schema)", name,
					                    (long long)rec.line, key);
					break;
				}
				const ice_field *f = ice_schema_field_at(ap->schema, i);
				if ((rc = json_to_literal(&ap->values[i], f->type, value, &ap->row_arena, 0)) != 0) {
					char why[256];
					snprintf(why, sizeof(why), "%s", ice_error_last() ? ice_error_last()->message : "");
					rc = conv_error(name, rec.line, 0, f->name, "%s", why);
				}
			}
			if (!rc)
				rc = check_required(ap, name, rec.line);
			/* Strings of the row borrow from the document until written. */
			if (!rc && (rc = emit_row(ap)) == 0) {
				ice_json__free(j);
				ap->bytes_read = ice_csv__position(r);
				continue;
			}
		}
		ice_json__free(j);
		if (rc == ICE_EINVALID && ap->opts->reject_file) {
			ice_buf b = ICE_BUF_INIT;
			ice_buf__put(&b, s, len);
			ice_buf__putc(&b, '\n');
			rc = b.error ? ICE_ERROR : reject_row(ap, b.ptr, b.len);
			ice_buf__free(&b);
			if (rc)
				break;
			continue;
		}
		break;
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
	ice_csv__free(r);
	return rc;
}

static int append_parquet(appender *ap, const char *input)
{
	ice_parquet_reader *r;
	ice_parquet_scan *scan = NULL;
	ice_parquet_scan_options so;
	struct ArrowSchema schema;
	long *map = NULL;
	int rc = ice_parquet_reader_open(&r, ice_table_io(ap->table), input);
	if (rc)
		return rc;
	ice_parquet_scan_options_init(&so);
	memset(&schema, 0, sizeof(schema));
	if ((rc = ice_parquet_scan_open(&scan, r, &so)) != 0 || (rc = ice_parquet_scan_schema(scan, &schema)) != 0)
		goto done;
	if (!(map = ice__calloc((size_t)schema.n_children + 1, sizeof(long)))) {
		rc = ICE_ERROR;
		goto done;
	}
	for (int64_t c = 0; c < schema.n_children && !rc; c++) {
		const char *col = schema.children[c]->name;
		map[c] = -1;
		for (size_t i = 0; i < ap->nfields; i++)
			if (strcmp(ice_schema_field_at(ap->schema, i)->name, col) == 0)
				map[c] = (long)i;
		if (map[c] < 0)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                    "%s: column '%s': unknown column (not in the table's schema)", input, col);
	}
	for (;;) {
		struct ArrowArray batch;
		int64_t first;
		if (rc)
			break;
		rc = ice_parquet_scan_next(scan, &batch, &first);
		if (rc == ICE_ITEROVER) {
			rc = 0;
			break;
		}
		if (rc)
			break;
		for (int64_t row = 0; row < batch.length && !rc; row++) {
			char *texts[256];
			int64_t nt = 0;
			reset_row(ap);
			ice_arena__free(&ap->row_arena);
			for (int64_t c = 0; c < schema.n_children && !rc; c++) {
				const ice_field *f = ice_schema_field_at(ap->schema, (size_t)map[c]);
				char *text = NULL;
				if ((rc = ice_arrow_value_to_string(&text, schema.children[c], batch.children[c], row)) != 0)
					break;
				if (!text)
					continue;
				if (nt < 256)
					texts[nt++] = text;
				if ((rc = text_to_literal(&ap->values[map[c]], f->type, text, strlen(text), &ap->row_arena)) != 0) {
					char why[256];
					snprintf(why, sizeof(why), "%s", ice_error_last() ? ice_error_last()->message : "");
					rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: row %lld, column '%s': %s", input,
					                    (long long)(first + row), f->name, why);
				}
				if (nt == 256) {
					ice_free(text);
					rc = rc ? rc : ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: too many columns", input);
				}
			}
			if (!rc)
				rc = check_required(ap, input, first + row + 1);
			if (!rc)
				rc = emit_row(ap);
			for (int64_t k = 0; k < nt; k++)
				ice_free(texts[k]);
		}
		batch.release(&batch);
	}
done:
	ice__free(map);
	ice_arrow_schema_release(&schema);
	ice_parquet_scan_free(scan);
	ice_parquet_reader_free(r);
	return rc;
}

static ice_input_format format_of(const char *input, ice_input_format f)
{
	if (f != ICE_INPUT_AUTO)
		return f;
	if (ice_str__ends_with(input, ".parquet"))
		return ICE_INPUT_PARQUET;
	if (ice_str__ends_with(input, ".json") || ice_str__ends_with(input, ".jsonl") ||
	    ice_str__ends_with(input, ".ndjson"))
		return ICE_INPUT_JSONL;
	return ICE_INPUT_CSV;
}

/*
 * Decode every input and write it as data files, without committing (the
 * append below; ice overwrite). On success *dw_out holds the files (close
 * it for them); on failure everything written is deleted.
 */
int ice_input__write(ice_table *table, const char *const *inputs, size_t ninputs, const ice_write_options *opts,
                     ice_data_writer **dw_out, int64_t *rows_out, int64_t *rejected_out)
{
	appender ap;
	int rc;
	*dw_out = NULL;
	memset(&ap, 0, sizeof(ap));
	ap.table = table;
	ap.opts = opts;
	ap.schema = ice_table_metadata_current_schema(ice_table_current(table));
	ap.nfields = ice_schema_field_count(ap.schema);
	ice_arena__init(&ap.row_arena, 4096);
	if (!(ap.values = ice__calloc(ap.nfields + 1, sizeof(ice_literal))) ||
	    !(ap.ptrs = ice__calloc(ap.nfields + 1, sizeof(ice_literal *)))) {
		rc = ICE_ERROR;
		goto done;
	}
	if ((rc = ice_data_writer__new(&ap.dw, ice_table_io(table), ice_table_current(table), opts)) != 0)
		goto done;
	for (size_t i = 0; i < ninputs && !rc; i++) {
		switch (format_of(inputs[i], opts->format)) {
		case ICE_INPUT_JSONL: rc = append_jsonl(&ap, inputs[i]); break;
		case ICE_INPUT_PARQUET: rc = append_parquet(&ap, inputs[i]); break;
		default: rc = append_csv(&ap, inputs[i]); break;
		}
	}
	if (!rc && ap.reject) {
		rc = ice_output__close(ap.reject);
		ap.reject = NULL;
	}
done:
	if (rc && ap.dw) {
		ice_data_writer__delete_files(ap.dw);
		ice_data_writer__free(ap.dw);
		ap.dw = NULL;
	}
	if (ap.reject)
		ice_output__close(ap.reject);
	*dw_out = ap.dw;
	*rows_out = ap.rows;
	*rejected_out = ap.rejected;
	ice__free(ap.values);
	ice__free(ap.ptrs);
	ice_arena__free(&ap.row_arena);
	return rc;
}

int ice_table_append_files(ice_table *table, const char *const *inputs, size_t ninputs, const ice_write_options *opts,
                           const ice_commit_options *commit_opts, ice_write_report *report, ice_commit_result *result)
{
	ice_write_options defaults;
	ice_data_writer *dw = NULL;
	ice_append *append = NULL;
	const ice_data_file *const *files = NULL;
	size_t nfiles = 0;
	int64_t rows = 0, rejected = 0;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0};
	int rc;
	if (!opts) {
		ice_write_options_init(&defaults);
		opts = &defaults;
	}
	rc = ice_input__write(table, inputs, ninputs, opts, &dw, &rows, &rejected);
	if (!rc)
		rc = ice_data_writer__close(dw, &files, &nfiles);
	if (!rc && (rc = ice_append_new(&append, table)) == 0 && (rc = ice_append_set_branch(append, opts->branch)) == 0)
		for (size_t i = 0; i < nfiles && !rc; i++)
			rc = ice_append_add_file(append, files[i]);
	if (!rc) {
		rc = ice_append_commit(append, commit_opts, &res);
	}
	if (report) {
		memset(report, 0, sizeof(*report));
		report->snapshot_id = append ? ice_append_snapshot_id(append) : 0;
		report->rows = rows;
		report->rejected = rejected;
		report->files = (int64_t)nfiles;
		for (size_t i = 0; i < nfiles; i++)
			report->bytes += files[i]->file_size_in_bytes;
	}
	if (rc && res.state != ICE_COMMIT_UNKNOWN && dw)
		ice_data_writer__delete_files(dw);
	if (result)
		*result = res;
	ice_append_free(append);
	ice_data_writer__free(dw);
	return rc;
}
