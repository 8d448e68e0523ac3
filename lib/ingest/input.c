/*
 * ingest/input.c - rows from CSV, JSON Lines and Parquet files for an
 * append or overwrite: each input is decoded into values of the table's current
 * schema (CSV and Parquet columns matched by name, CSV without header by
 * position; JSON objects by member name, nested types from JSON objects
 * and arrays), and handed to the data writer (table/append.c commits
 * what it wrote). A value that does not convert is an error naming the
 * file, line and column, unless a reject file takes the row. After an
 * error the files written are deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "ingest.h"
#include "csv.h"
#include "ice/parquet.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"
#include "values.h"
#include "write/writer.h"

typedef struct appender {
	ice_table *table;
	const ice_schema *schema;
	const ice_write_options *opts;
	ice_data_writer *dw;
	ice_arena row_arena;
	size_t nfields;
	ice_literal *values;
	ice_literal *nulls; /* a row of nulls of each field's type */
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
	memcpy(ap->values, ap->nulls, ap->nfields * sizeof(ice_literal));
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
	ice_csv__set_max_record(r, o->max_record_bytes);
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
				if ((rc = ice_value__from_text(&ap->values[map[c]], f->type, s, len, &ap->row_arena)) != 0) {
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
	ice_csv__set_max_record(r, ap->opts->max_record_bytes);
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
				if ((rc = ice_value__from_json(&ap->values[i], f->type, value, &ap->row_arena, 0)) != 0) {
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

/* Parquet: batches converted to the table's types (convert.c) go to the
 * data writer whole; no value passes through text unless it must. */
/*
 * Parquet needs random access: standard input is copied to a temporary
 * file first ($TMPDIR, else /tmp), removed as soon as it is open.
 */
static int spool_stdin(char *path, size_t cap, int *fd_out)
{
	const char *dir = getenv("TMPDIR");
	char buf[1 << 16];
	snprintf(path, cap, "%s/ice-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return ice_error__os(path, "create a temporary file for standard input");
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = ice_error__os("<stdin>", "read");
			close(fd);
			unlink(path);
			return rc;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				int rc = ice_error__os(path, "write");
				close(fd);
				unlink(path);
				return rc;
			}
			off += w;
		}
	}
	*fd_out = fd;
	return 0;
}

static int append_parquet(appender *ap, const char *input)
{
	ice_parquet_reader *r;
	ice_parquet_scan *scan = NULL;
	ice_parquet_scan_options so;
	ice_converter *conv = NULL;
	struct ArrowSchema schema;
	char spooled[4096];
	int fd = -1, rc;
	if (strcmp(input, "-") == 0 && (rc = spool_stdin(spooled, sizeof(spooled), &fd)) != 0)
		return rc;
	rc = ice_parquet_reader_open(&r, ice_table_io(ap->table), fd >= 0 ? spooled : input);
	if (fd >= 0) {
		/* the reader holds its own descriptor */
		unlink(spooled);
		close(fd);
	}
	if (rc)
		return fd >= 0 ? ice_error__prefix("<stdin>") : rc;
	if (fd >= 0)
		input = "<stdin>";
	ice_parquet_scan_options_init(&so);
	memset(&schema, 0, sizeof(schema));
	if ((rc = ice_parquet_scan_open(&scan, r, &so)) != 0 || (rc = ice_parquet_scan_schema(scan, &schema)) != 0 ||
	    (rc = ice_convert__new(&conv, ap->schema, &schema, input)) != 0)
		goto done;
	for (;;) {
		struct ArrowArray batch, converted;
		int64_t first;
		rc = ice_parquet_scan_next(scan, &batch, &first);
		if (rc == ICE_ITEROVER) {
			rc = 0;
			break;
		}
		if (rc || (rc = ice_convert__batch(conv, &batch, first, &converted)) != 0)
			break;
		rc = ice_data_writer__write_batch(ap->dw, &converted, ice_convert__schema(conv));
		ap->rows += converted.length;
		converted.release(&converted);
		if (rc)
			break;
		if (ap->opts->progress)
			ap->opts->progress(ap->rows, ap->bytes_read, ap->opts->progress_payload);
	}
done:
	ice_convert__free(conv);
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
	    !(ap.nulls = ice__calloc(ap.nfields + 1, sizeof(ice_literal))) ||
	    !(ap.ptrs = ice__calloc(ap.nfields + 1, sizeof(ice_literal *)))) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t i = 0; i < ap.nfields; i++) {
		ap.nulls[i] = ice_literal_null(ice_schema_field_at(ap.schema, i)->type->id);
		ap.ptrs[i] = &ap.values[i];
	}
	if ((rc = ice_data_writer__new(&ap.dw, ice_table_io(table), ice_table_current(table), opts)) != 0)
		goto done;
	for (size_t i = 0; i < ninputs && !rc; i++) {
		switch (format_of(inputs[i], opts->format)) {
		case ICE_INPUT_JSONL: rc = append_jsonl(&ap, inputs[i]); break;
		case ICE_INPUT_PARQUET: rc = append_parquet(&ap, inputs[i]); break;
		default: rc = append_csv(&ap, inputs[i]); break;
		}
		if (rc) {
			/* Every error of an input names it (out of memory, the writer's limits too). */
			const char *shown = strcmp(inputs[i], "-") == 0 ? "<stdin>" : inputs[i];
			const ice_error *e = ice_error_last();
			if (ice_error__is_oom())
				ice_error__oom_in("%s", shown);
			else if (!e || !strstr(e->message, shown))
				ice_error__prefix("%s", shown);
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
	ice__free(ap.nulls);
	ice__free(ap.ptrs);
	ice_arena__free(&ap.row_arena);
	return rc;
}
