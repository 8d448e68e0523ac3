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
#include <pthread.h>
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
#include "util/hashmap.h"
#include "util/json.h"
#include "util/strutil.h"
#include "textcols.h"
#include "util/workers.h"
#include "values.h"
#include "write/columns.h"
#include "write/writer.h"

typedef struct appender {
	ice_table *table;
	const ice_schema *schema;
	const ice_write_options *opts;
	ice_data_writer *dw;
	size_t nfields;
	int64_t rows, rejected, bytes_read;
	int64_t bytes_before; /* bytes of the inputs read before this one */
	ice_output *reject, *reject_errors;
	ice_value_opts vo;
	bool pgtext; /* the input being read is PostgreSQL text */
	const char *reject_header; /* CSV header line to start a reject file with */
	size_t reject_header_len;
	/* top-level field names -> index + 1, as written and ASCII-lowercased:
	 * columns found by name in constant time, so 200,000 columns stay linear
	 * (read-only once built: shared by the threads) */
	ice_map by_name, by_lower;
	ice_arena names;
} appender;

static int index_names(appender *ap)
{
	ice_map__init(&ap->by_name, true);
	ice_map__init(&ap->by_lower, true);
	ice_arena__init(&ap->names, 4096);
	for (size_t i = 0; i < ap->nfields; i++) {
		const char *n = ice_schema_field_at(ap->schema, i)->name;
		size_t len = strlen(n);
		char *lower = ice_arena__strndup(&ap->names, n, len);
		int rc;
		if (!lower)
			return ICE_ERROR;
		for (size_t k = 0; k < len; k++)
			if (lower[k] >= 'A' && lower[k] <= 'Z')
				lower[k] = (char)(lower[k] - 'A' + 'a');
		if ((rc = ice_map__put_str(&ap->by_name, n, len, (void *)(uintptr_t)(i + 1))) != 0 ||
		    (!ice_map__get_str(&ap->by_lower, lower, len, NULL) &&
		     (rc = ice_map__put_str(&ap->by_lower, lower, len, (void *)(uintptr_t)(i + 1))) != 0))
			return rc;
	}
	return 0;
}

/* The index of the top-level field named `name`, or `nf` when there is
 * none: exactly, else ignoring ASCII case when `case_insensitive`
 * (ice_value__find_column's rule, by hash); without it a field that
 * differs only in case is left in *case_hint for the error. */
static size_t field_index(const appender *ap, const char *name, size_t len, bool case_insensitive,
                          const char **case_hint)
{
	void *v = NULL;
	*case_hint = NULL;
	if (ice_map__get_str(&ap->by_name, name, len, &v))
		return (size_t)(uintptr_t)v - 1;
	if (len < 512) {
		char lower[512];
		for (size_t k = 0; k < len; k++)
			lower[k] = name[k] >= 'A' && name[k] <= 'Z' ? (char)(name[k] - 'A' + 'a') : name[k];
		if (ice_map__get_str(&ap->by_lower, lower, len, &v)) {
			size_t i = (size_t)(uintptr_t)v - 1;
			if (case_insensitive)
				return i;
			*case_hint = ice_schema_field_at(ap->schema, i)->name;
		}
	}
	return ap->nfields;
}

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

/*
 * A rejected row: its raw text to the reject file (re-appendable once
 * fixed) and, to <reject file>.errors.jsonl beside it, one JSON object
 * saying where it came from and why: file, line, column (1-based; null
 * when the row as a whole is wrong), column_name, reason, row (the raw
 * text). Past opts->max_rejects the append fails.
 */
static int reject_row(appender *ap, const char *file, int64_t line, size_t column, const char *column_name,
                      const char *reason, const char *data, size_t len)
{
	int rc;
	ice_json_writer w;
	const char *json;
	size_t jlen;
	char why[1024];
	snprintf(why, sizeof(why), "%s", reason ? reason : "");
	if (!ap->reject) {
		char path[4096];
		if ((rc = ice_io__create_output(&ap->reject, ice_table_io(ap->table), ap->opts->reject_file, false)) != 0)
			return rc;
		snprintf(path, sizeof(path), "%s.errors.jsonl", ap->opts->reject_file);
		if ((rc = ice_io__create_output(&ap->reject_errors, ice_table_io(ap->table), path, false)) != 0)
			return rc;
		if (ap->reject_header_len &&
		    (rc = ice_output__write(ap->reject, ap->reject_header, ap->reject_header_len)) != 0)
			return rc;
	}
	if ((rc = ice_output__write(ap->reject, data, len)) != 0)
		return rc;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "file");
	ice_json_string(&w, file);
	ice_json_key(&w, "line");
	ice_json_int(&w, line);
	ice_json_key(&w, "column");
	if (column)
		ice_json_int(&w, (int64_t)column);
	else
		ice_json_null(&w);
	ice_json_key(&w, "column_name");
	if (column_name)
		ice_json_string(&w, column_name);
	else
		ice_json_null(&w);
	ice_json_key(&w, "reason");
	ice_json_string(&w, why);
	ice_json_key(&w, "row");
	ice_json_string_n(&w, data, len && data[len - 1] == '\n' ? len - 1 : len);
	ice_json_end_object(&w);
	if ((rc = ice_json_writer_finish(&w, &json, &jlen)) == 0 &&
	    (rc = ice_output__write(ap->reject_errors, json, jlen)) == 0)
		rc = ice_output__write(ap->reject_errors, "\n", 1);
	ice_jw__free(&w);
	if (rc)
		return rc;
	ap->rejected++;
	ice_error_clear();
	if (ap->opts->max_rejects >= 0 && ap->rejected > ap->opts->max_rejects)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "%s: line %lld: more than %lld rows rejected (--max-rejects); nothing appended (the last: %s)",
		                      file, (long long)line, (long long)ap->opts->max_rejects, why);
	return 0;
}

/* CSV: a rejected record is written back as CSV. */
static int reject_csv(appender *ap, const csv_record *rec, char delim, const char *file, size_t column,
                      const char *column_name, const char *reason)
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
	int rc = b.error ? ICE_ERROR : reject_row(ap, file, rec->line, column, column_name, reason, b.ptr, b.len);
	ice_buf__free(&b);
	return rc;
}

/* The name without a compression suffix (.gz, .zst) ends with `ext`. */
static bool has_ext(const char *input, const char *ext)
{
	static const char *const comp[] = {"", ".gz", ".gzip", ".zst", ".zstd"};
	size_t n = strlen(input), m = strlen(ext);
	for (size_t i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
		size_t c = strlen(comp[i]);
		if (n >= m + c && ice_str__ieq(input + n - c, c, comp[i], c) && ice_str__ieq(input + n - c - m, m, ext, m))
			return true;
	}
	return false;
}

ice_input_format ice_input__format(const char *input, ice_input_format f)
{
	if (f != ICE_INPUT_AUTO)
		return f;
	if (has_ext(input, ".parquet"))
		return ICE_INPUT_PARQUET;
	if (has_ext(input, ".json") || has_ext(input, ".jsonl") || has_ext(input, ".ndjson"))
		return ICE_INPUT_JSONL;
	return ICE_INPUT_CSV;
}

char ice_input__delimiter(const char *input, const ice_write_options *o)
{
	if (o->delimiter)
		return o->delimiter;
	return o->format == ICE_INPUT_PGTEXT || has_ext(input, ".tsv") || has_ext(input, ".tab") ? '\t' : ',';
}

/* ---- CSV in blocks ------------------------------------------------------------------ */

#define CSV_BLOCK_RECORDS 8192

/* Records a block: CSV_BLOCK_RECORDS, fewer when the writer wants smaller
 * batches (wide rows under the memory budget). */
static size_t block_records(const appender *ap)
{
	size_t most = ice_data_writer__max_batch_rows(ap->dw);
	return most < CSV_BLOCK_RECORDS ? most : CSV_BLOCK_RECORDS;
}

typedef struct csv_job {
	appender *ap;
	const csv_block *blk;
	col_builder *batch;       /* one child per schema field */
	const size_t *field_col;  /* schema field -> file column (SIZE_MAX: absent) */
	const uint8_t *skip;      /* rows left out (blank lines, rejected rows) */
	textcol_opts o;
	textcol_errors *errs;     /* per schema field */
} csv_job;

static int convert_field(void *ctx, size_t i, size_t worker)
{
	csv_job *j = ctx;
	const ice_field *f = ice_schema_field_at(j->ap->schema, i);
	(void)worker;
	int rc = ice_textcol__convert(&j->batch->children[i], f->type, f->required, j->blk, j->field_col[i], j->skip,
	                              &j->o, &j->errs[i]);
	return rc < 0 ? rc : 0;
}

/* The message of a value that did not convert (as the row-at-a-time
 * reader gave it). */
static int value_error(const char *name, int64_t line, size_t col, const ice_field *f, const char *s, size_t len,
                       const char *reason)
{
	if (strncmp(reason, "null in required column", 23) == 0)
		return conv_error(name, line, 0, f->name, "%s", reason);
	char shown[80];
	snprintf(shown, sizeof(shown), "%.*s%s", (int)(len > 64 ? 64 : len), s, len > 64 ? "..." : "");
	char *tn = ice_type_to_string(f->type);
	int rc = conv_error(name, line, col + 1, f->name, "cannot convert '%s' to %s: %s", shown, tn ? tn : "?",
	                    reason);
	ice_free(tn);
	return rc;
}

/* Record r of a block as a csv_record, every field (for the reject file;
 * `fields` and `quoted` hold counts[r]). */
static void block_record(const csv_block *b, size_t r, ice_slice *fields, bool *quoted, csv_record *rec)
{
	size_t n = b->counts[r];
	for (size_t i = 0; i < n; i++) {
		const csv_field *f = i < b->ncols ? &b->fields[r * b->ncols + i] : &b->extra[b->extra_at[r] + i - b->ncols];
		fields[i].data = (const uint8_t *)b->base + f->off;
		fields[i].len = f->len & ~ICE_CSV_QUOTED;
		quoted[i] = (f->len & ICE_CSV_QUOTED) != 0;
	}
	rec->n = n;
	rec->fields = fields;
	rec->quoted = quoted;
	rec->line = b->lines[r];
	rec->offset = b->offsets[r];
}

/*
 * The blocks of a CSV input after the header, each made a batch of the
 * table's columns: field counts checked, each column converted on its own
 * (in parallel on `workers`). A block with a bad row fails at the first one
 * in input order, or, with a reject file, sends its bad rows there and is
 * converted again without them.
 */
typedef struct csv_parse {
	appender *ap;
	csv_reader *r;
	const char *name;
	size_t ncols, nf, block;
	size_t *field_col;
	textcol_errors *errs;
	uint8_t *skip;
	size_t rec_cap;
	ice_slice *rec_fields;
	bool *rec_quoted;
	csv_block blk;
	csv_job job;
	char delim;
	ice_workers *workers;
} csv_parse;

static void csv_parse_free(csv_parse *cp)
{
	for (size_t i = 0; cp->errs && i < cp->nf; i++)
		ice_textcol__errors_free(&cp->errs[i]);
	ice__free(cp->errs);
	ice__free(cp->field_col);
	ice__free(cp->skip);
	ice__free(cp->rec_fields);
	ice__free(cp->rec_quoted);
	ice_csv__block_free(&cp->blk);
}

static int csv_parse_init(csv_parse *cp, appender *ap, csv_reader *r, const size_t *map, size_t ncols, char delim)
{
	const ice_write_options *o = ap->opts;
	size_t nf = ap->nfields;
	memset(cp, 0, sizeof(*cp));
	cp->ap = ap;
	cp->r = r;
	cp->name = ice_csv__name(r);
	cp->ncols = ncols;
	cp->nf = nf;
	cp->delim = delim;
	cp->workers = ice_data_writer__workers(ap->dw);
	cp->field_col = ice__mallocarray(nf ? nf : 1, sizeof(size_t));
	cp->errs = ice__calloc(nf ? nf : 1, sizeof(textcol_errors));
	cp->rec_cap = ncols ? ncols : 1;
	cp->rec_fields = ice__calloc(cp->rec_cap, sizeof(ice_slice));
	cp->rec_quoted = ice__calloc(cp->rec_cap, sizeof(bool));
	cp->skip = ice__malloc(CSV_BLOCK_RECORDS);
	if (!cp->field_col || !cp->errs || !cp->rec_fields || !cp->rec_quoted || !cp->skip)
		return ICE_ERROR;
	for (size_t i = 0; i < nf; i++)
		cp->field_col[i] = SIZE_MAX;
	for (size_t c = 0; c < ncols; c++)
		cp->field_col[map[c]] = c;
	csv_job *job = &cp->job;
	job->ap = ap;
	job->blk = &cp->blk;
	job->field_col = cp->field_col;
	job->skip = cp->skip;
	job->o.null_token = ap->pgtext ? "\\N" : o->null_token ? o->null_token : "";
	job->o.null_len = strlen(job->o.null_token);
	job->o.trim = o->trim;
	job->o.values = ap->vo;
	job->errs = cp->errs;
	for (size_t i = 0; i < nf; i++)
		cp->errs[i].all = o->reject_file != NULL;
	cp->block = block_records(ap);
	return 0;
}

/* The next block as rows of `batch` (cleared first; `*kept` of them):
 * ICE_ITEROVER after the last. */
static int csv_parse_next(csv_parse *cp, col_builder *batch, size_t *kept_out)
{
	appender *ap = cp->ap;
	const ice_write_options *o = ap->opts;
	size_t nf = cp->nf, ncols = cp->ncols;
	uint8_t *skip = cp->skip;
	textcol_errors *errs = cp->errs;
	const size_t *field_col = cp->field_col;
	const char *name = cp->name;
	char delim = cp->delim;
	int rc;
	ice_columns__clear(batch);
	cp->job.batch = batch;
	for (;;) {
		if ((rc = ice_csv__next_block(cp->r, &cp->blk, ncols, cp->block, cp->workers)) != 0)
			return rc;
		/* Field counts; blank lines are skipped (unless a record has one
		 * field, when a blank line is an empty value). */
		size_t first_bad = SIZE_MAX, kept = 0;
		for (size_t k = 0; k < cp->blk.n; k++) {
			const csv_field *f0 = &cp->blk.fields[k * ncols];
			skip[k] = 0;
			if (cp->blk.counts[k] == 1 && ncols != 1 && f0->len == 0) {
				skip[k] = 1;
			} else if (cp->blk.counts[k] != ncols && !(cp->blk.counts[k] == 1 && f0->len == 0)) {
				skip[k] = 2;
				if (first_bad == SIZE_MAX)
					first_bad = k;
			}
			kept += !skip[k];
		}
		for (;;) {
			for (size_t i = 0; i < nf; i++)
				ice_textcol__errors_clear(&errs[i]);
			if ((rc = ice_workers__run(cp->workers, nf, convert_field, &cp->job)) != 0)
				return rc;
			/* the first bad value in input order (row, then file column) */
			size_t bad_row = SIZE_MAX, bad_field = 0;
			bool any = false;
			for (size_t i = 0; i < nf; i++)
				if (errs[i].n) {
					any = true;
					size_t row = errs[i].items[0].row;
					if (row < bad_row || (row == bad_row && field_col[i] < field_col[bad_field])) {
						bad_row = row;
						bad_field = i;
					}
				}
			if (!o->reject_file) {
				if (first_bad != SIZE_MAX && first_bad <= bad_row) {
					return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: %u fields, expected %zu",
					                      name, (long long)cp->blk.lines[first_bad], cp->blk.counts[first_bad], ncols);
				}
				if (any) {
					const ice_field *f = ice_schema_field_at(ap->schema, bad_field);
					size_t c = field_col[bad_field];
					const char *v = "";
					size_t len = 0;
					if (c != SIZE_MAX) {
						const csv_field *cf = &cp->blk.fields[bad_row * ncols + c];
						v = cp->blk.base + cf->off;
						len = cf->len & ~ICE_CSV_QUOTED;
					}
					return value_error(name, cp->blk.lines[bad_row], c == SIZE_MAX ? 0 : c, f, v, len,
					                   errs[bad_field].items[0].reason);
				}
			}
			if (!any && first_bad == SIZE_MAX)
				break;
			/* Rejected rows go to the reject file in input order, and the
			 * block is converted again without them. */
			/* 2: a wrong field count (never counted in kept); 3: a bad value */
			for (size_t i = 0; i < nf; i++)
				for (size_t e = 0; e < errs[i].n; e++)
					skip[errs[i].items[e].row] = 3;
			for (size_t k = 0; k < cp->blk.n; k++)
				if (skip[k] >= 2) {
					csv_record rec;
					char count[96];
					const char *reason = count;
					size_t col = 0;
					const char *cname = NULL;
					snprintf(count, sizeof(count), "%u fields, expected %zu", cp->blk.counts[k], ncols);
					/* the first bad value of the row, in file column order */
					for (size_t i = 0; i < nf; i++)
						for (size_t e = 0; e < errs[i].n; e++)
							if (errs[i].items[e].row == k &&
							    (!col || (field_col[i] != SIZE_MAX && field_col[i] + 1 < col))) {
								col = field_col[i] == SIZE_MAX ? 0 : field_col[i] + 1;
								cname = ice_schema_field_at(ap->schema, i)->name;
								reason = errs[i].items[e].reason;
							}
					if (cp->blk.counts[k] > cp->rec_cap) {
						ice__free(cp->rec_fields);
						ice__free(cp->rec_quoted);
						cp->rec_cap = cp->blk.counts[k];
						cp->rec_fields = ice__calloc(cp->rec_cap, sizeof(ice_slice));
						cp->rec_quoted = ice__calloc(cp->rec_cap, sizeof(bool));
						if (!cp->rec_fields || !cp->rec_quoted)
							return ICE_ERROR;
					}
					block_record(&cp->blk, k, cp->rec_fields, cp->rec_quoted, &rec);
					if ((rc = reject_csv(ap, &rec, delim, name, col, cname, reason)) != 0)
						return rc;
					kept -= skip[k] == 3;
					skip[k] = 1;
				}
			first_bad = SIZE_MAX;
			ice_columns__clear(batch);
		}

		if (kept) {
			batch->length += (int64_t)kept;
			*kept_out = kept;
			return 0;
		}
	}
}

static int write_parsed(appender *ap, col_builder *batch, size_t kept, uint64_t bytes_read)
{
	struct ArrowArray arr;
	struct ArrowSchema sch;
	int rc;
	if ((rc = ice_columns__view(batch, &arr, &sch)) != 0)
		return rc;
	rc = ice_data_writer__write_batch(ap->dw, &arr, &sch);
	arr.release(&arr);
	sch.release(&sch);
	ice_columns__clear(batch);
	if (rc)
		return rc;
	ap->rows += (int64_t)kept;
	ap->bytes_read = ap->bytes_before + bytes_read;
	if (ap->opts->progress)
		ap->opts->progress(ap->rows, ap->bytes_read, ap->opts->progress_payload);
	return 0;
}

/*
 * With helper threads, parsing runs ahead of writing: a parser thread reads
 * and converts the next blocks (on its own, serially) while this one writes
 * the last (PIPE_SLOTS blocks in flight at most). The writer's pool sets a
 * thread aside for the parser, and the parser gives it back while it waits
 * for a free slot (from the pool's next call on), so that about as many
 * threads are busy as the pool has. Either side's failure stops both; the
 * parser's error is raised here after the blocks before it were written, as
 * the serial loop would. The same for CSV and JSON Lines: a source fills a
 * slot (ICE_ITEROVER after the last block) and writes it.
 */
#define PIPE_SLOTS 3

typedef struct pipe_source {
	void *ctx;
	int (*parse)(void *ctx, size_t slot);
	int (*write)(void *ctx, size_t slot);
} pipe_source;

typedef struct pipe_state {
	const pipe_source *src;
	ice_workers *pool; /* the writer's: one helper set aside while parsing */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool full[PIPE_SLOTS];
	bool ended;       /* the parser is done: with rc */
	int rc;
	ice_error_saved err;
	bool stop;        /* the writer failed: stop parsing */
} pipe_state;

static void *pipe_parser(void *arg)
{
	pipe_state *pp = arg;
	int rc = 0;
	for (size_t slot = 0;; slot = (slot + 1) % PIPE_SLOTS) {
		pthread_mutex_lock(&pp->mu);
		if (pp->full[slot] && !pp->stop) {
			/* every slot full: the writer's pool may use this core
			 * until one is free */
			ice_workers__set_aside(pp->pool, 0);
			while (pp->full[slot] && !pp->stop)
				pthread_cond_wait(&pp->cv, &pp->mu);
			ice_workers__set_aside(pp->pool, 1);
		}
		bool stop = pp->stop;
		pthread_mutex_unlock(&pp->mu);
		if (stop)
			break;
		if ((rc = pp->src->parse(pp->src->ctx, slot)) != 0)
			break;
		pthread_mutex_lock(&pp->mu);
		pp->full[slot] = true;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
	}
	pthread_mutex_lock(&pp->mu);
	pp->rc = rc == ICE_ITEROVER ? 0 : rc;
	if (pp->rc)
		ice_error__save(&pp->err);
	pp->ended = true;
	ice_workers__set_aside(pp->pool, 0);
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
	ice_error_clear();
	return NULL;
}

/* The source's blocks through the pipeline; the source's parse must not
 * use `pool` (it runs beside the writer's calls). */
static int pipeline(ice_workers *pool, const pipe_source *src)
{
	pipe_state pp;
	pthread_t th;
	int rc = 0;
	memset(&pp, 0, sizeof(pp));
	pp.src = src;
	/* the parser converts on its own thread, the pool writes with one
	 * thread less: as many busy threads as the pool has */
	pp.pool = pool;
	ice_workers__set_aside(pool, 1);
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	if (pthread_create(&th, NULL, pipe_parser, &pp) != 0) {
		ice_workers__set_aside(pool, 0);
		rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "cannot start a thread");
		goto destroy;
	}
	for (size_t slot = 0;; slot = (slot + 1) % PIPE_SLOTS) {
		pthread_mutex_lock(&pp.mu);
		while (!pp.full[slot] && !pp.ended)
			pthread_cond_wait(&pp.cv, &pp.mu);
		bool have = pp.full[slot];
		pthread_mutex_unlock(&pp.mu);
		if (!have)
			break; /* the parser ended and nothing is left */
		rc = src->write(src->ctx, slot);
		pthread_mutex_lock(&pp.mu);
		pp.full[slot] = false;
		if (rc)
			pp.stop = true;
		pthread_cond_broadcast(&pp.cv);
		pthread_mutex_unlock(&pp.mu);
		if (rc)
			break;
	}
	pthread_join(th, NULL);
	ice_workers__set_aside(pool, 0);
	if (!rc && pp.rc) {
		ice_error__restore(&pp.err);
		rc = pp.rc;
	}
destroy:
	pthread_mutex_destroy(&pp.mu);
	pthread_cond_destroy(&pp.cv);
	return rc;
}

/* CSV slots: a batch each. */
typedef struct csv_slots {
	appender *ap;
	csv_parse *cp;
	col_builder batch[PIPE_SLOTS];
	size_t kept[PIPE_SLOTS];
	uint64_t bytes[PIPE_SLOTS];
} csv_slots;

static int csv_slot_parse(void *ctx, size_t slot)
{
	csv_slots *c = ctx;
	int rc = csv_parse_next(c->cp, &c->batch[slot], &c->kept[slot]);
	if (!rc)
		c->bytes[slot] = (uint64_t)ice_csv__bytes_read(c->cp->r);
	return rc;
}

static int csv_slot_write(void *ctx, size_t slot)
{
	csv_slots *c = ctx;
	return write_parsed(c->ap, &c->batch[slot], c->kept[slot], c->bytes[slot]);
}

static int csv_pipeline(appender *ap, csv_parse *cp)
{
	csv_slots c;
	int rc = 0;
	memset(&c, 0, sizeof(c));
	c.ap = ap;
	c.cp = cp;
	for (int i = 0; i < PIPE_SLOTS && !rc; i++)
		rc = ice_columns__init_struct(&c.batch[i], ice_schema_struct(ap->schema));
	if (!rc) {
		pipe_source src = {&c, csv_slot_parse, csv_slot_write};
		ice_workers *pool = cp->workers;
		cp->workers = NULL; /* the parser's calls run on its own thread */
		rc = pipeline(pool, &src);
	}
	for (int i = 0; i < PIPE_SLOTS; i++)
		ice_columns__free(&c.batch[i]);
	return rc;
}

static int csv_blocks(appender *ap, csv_reader *r, const size_t *map, size_t ncols, char delim)
{
	csv_parse cp;
	col_builder batch;
	int rc;
	memset(&batch, 0, sizeof(batch));
	if ((rc = csv_parse_init(&cp, ap, r, map, ncols, delim)) != 0)
		goto done;
	if (ice_workers__count(cp.workers) > 1) {
		rc = csv_pipeline(ap, &cp);
		goto done;
	}
	if ((rc = ice_columns__init_struct(&batch, ice_schema_struct(ap->schema))) != 0)
		goto done;
	size_t kept;
	while ((rc = csv_parse_next(&cp, &batch, &kept)) == 0)
		if ((rc = write_parsed(ap, &batch, kept, ice_csv__bytes_read(r))) != 0)
			goto done;
	if (rc == ICE_ITEROVER)
		rc = 0;
done:
	ice_columns__free(&batch);
	csv_parse_free(&cp);
	return rc;
}

static int append_csv(appender *ap, const char *input)
{
	csv_reader *r;
	csv_record rec;
	const ice_write_options *o = ap->opts;
	bool pg = ice_input__format(input, o->format) == ICE_INPUT_PGTEXT;
	char delim = ice_input__delimiter(input, o);
	size_t *map = NULL, ncols = 0; /* file column -> schema field */
	bool *used = NULL;             /* schema fields a column maps to */
	ice_buf header = ICE_BUF_INIT;
	int rc;
	ap->pgtext = pg;
	if ((rc = pg ? ice_csv__open_pgtext(&r, ice_table_io(ap->table), input, delim)
	             : ice_csv__open(&r, ice_table_io(ap->table), input, delim)) != 0)
		return rc;
	ice_csv__set_max_record(r, o->max_record_bytes);
	const char *name = ice_csv__name(r);
	if (!o->no_header && !(pg && !o->header)) {
		rc = ice_csv__next(r, &rec);
		if (rc == ICE_ITEROVER) {
			ice_csv__free(r);
			return 0; /* an empty file adds nothing */
		}
		if (rc)
			goto done;
		ncols = rec.n;
		if (!(map = ice__calloc(ncols, sizeof(size_t))) || !(used = ice__calloc(ap->nfields + 1, sizeof(bool)))) {
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
			const char *hint;
			size_t i = field_index(ap, col, strlen(col), ap->vo.case_insensitive, &hint);
			if (i == ap->nfields) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                    "%s: line 1, column %zu: unknown column '%s' (not in the table's schema%s%s%s)",
				                    name, c + 1, col, hint ? "; '" : "", hint ? hint : "",
				                    hint ? "' differs in case: --case-insensitive" : "");
				break;
			}
			f = ice_schema_field_at(ap->schema, i);
			if (used[i])
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                    "%s: line 1, column %zu: column '%s' appears twice", name, c + 1, f->name);
			used[i] = true;
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
	rc = csv_blocks(ap, r, map, ncols, delim);
	if (rc == ICE_ITEROVER)
		rc = 0;
done:
	ap->reject_header = NULL;
	ap->reject_header_len = 0;
	ice_buf__free(&header);
	ice__free(map);
	ice__free(used);
	ice_csv__free(r);
	return rc;
}

/* ---- JSON Lines in blocks ------------------------------------------------------------ */

#define JSONL_TASK_LINES 1024

/* One object to the values of a row (reads `ap` only: runs on any thread). */
static int jsonl_row(const appender *ap, const char *name, int64_t line, const char *s, size_t len,
                     ice_literal *values, ice_arena *arena, ice_json **doc, const ice_value_opts *vo)
{
	const ice_schema *schema = ap->schema;
	ice_json *j = NULL;
	char where[64];
	int rc;
	size_t nf = ice_schema_field_count(schema);
	for (size_t i = 0; i < nf; i++)
		values[i] = ice_literal_null(ice_schema_field_at(schema, i)->type->id);
	snprintf(where, sizeof(where), "line %lld", (long long)line);
	if ((rc = ice_json__parse(&j, s, len, where)) != 0)
		return ice_error__prefix("%s", name);
	*doc = j;
	if (ice_json__type(j) != ICE_JSON_OBJECT)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: expected a JSON object", name,
		                      (long long)line);
	ice_json_iter it;
	const char *key;
	ice_json *value;
	ice_json__iter_init(&it, j);
	while (ice_json__iter_next(&it, &key, &value)) {
		const char *hint;
		size_t i = field_index(ap, key, strlen(key), vo->case_insensitive, &hint);
		if (i == nf)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: line %lld: unknown column '%s' (not in the table's schema%s%s%s)", name,
			                      (long long)line, key, hint ? "; '" : "", hint ? hint : "",
			                      hint ? "' differs in case: --case-insensitive" : "");
		const ice_field *f = ice_schema_field_at(schema, i);
		if ((rc = ice_value__from_json(&values[i], f->type, value, arena, 0, vo)) != 0) {
			if (ice_error__is_oom())
				return rc;
			char why[256];
			snprintf(why, sizeof(why), "%s", ice_error_last() ? ice_error_last()->message : "");
			return conv_error(name, line, 0, f->name, "%s", why);
		}
	}
	for (size_t i = 0; i < nf; i++) {
		const ice_field *f = ice_schema_field_at(schema, i);
		if (f->required && values[i].is_null)
			return conv_error(name, line, 0, f->name, "null in required column '%s'", f->name);
	}
	return 0;
}

typedef struct jsonl_task {
	col_builder cols;
	bool ready;
	size_t bad_row;     /* first row that failed (SIZE_MAX: none) */
	char *bad_message;  /* its message */
	uint8_t *rejected;  /* with a reject file: rows that failed */
	char **reasons;     /* and why (allocated), by row of the block */
	int64_t rows;
} jsonl_task;

typedef struct jsonl_job {
	appender *ap;
	const char *name;
	const csv_block *blk;
	jsonl_task *tasks;
} jsonl_job;

static int jsonl_convert(void *ctx, size_t t, size_t worker)
{
	jsonl_job *j = ctx;
	jsonl_task *task = &j->tasks[t];
	const csv_block *b = j->blk;
	size_t nf = j->ap->nfields;
	size_t from = t * JSONL_TASK_LINES, to = from + JSONL_TASK_LINES < b->n ? from + JSONL_TASK_LINES : b->n;
	ice_literal *values = ice__calloc(nf + 1, sizeof(ice_literal));
	const ice_literal **ptrs = ice__calloc(nf + 1, sizeof(ice_literal *));
	ice_arena arena;
	int rc = 0;
	(void)worker;
	task->bad_row = SIZE_MAX;
	task->rows = 0;
	ice_arena__init(&arena, 4096);
	if (!values || !ptrs) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t i = 0; i < nf; i++)
		ptrs[i] = &values[i];
	if (!task->ready) {
		if ((rc = ice_columns__init_struct(&task->cols, ice_schema_struct(j->ap->schema))) != 0)
			goto done;
		task->ready = true;
	}
	ice_columns__clear(&task->cols);
	for (size_t r = from; r < to; r++) {
		const csv_field *f = &b->fields[r];
		const char *s = b->base + f->off;
		size_t len = f->len & ~ICE_CSV_QUOTED;
		const char *tr = s;
		size_t tl = len;
		ice_str__trim(&tr, &tl);
		if (tl == 0)
			continue;
		ice_json *doc = NULL;
		ice_arena__free(&arena);
		rc = jsonl_row(j->ap, j->name, b->lines[r], s, len, values, &arena, &doc, &j->ap->vo);
		/* strings of the row borrow from the document until appended (a
		 * row that fails there leaves the builder unusable: no reject) */
		if (!rc && (rc = ice_columns__append_row(&task->cols, ptrs)) != 0) {
			ice_json__free(doc);
			break;
		}
		ice_json__free(doc);
		if (rc == ICE_EINVALID && !ice_error__is_oom()) {
			if (task->rejected) {
				task->rejected[r] = 1;
				ice__free(task->reasons[r]);
				if (!(task->reasons[r] = ice__strdup(ice_error_last()->message))) {
					rc = ICE_ERROR;
					break;
				}
				rc = 0;
				continue;
			}
			task->bad_row = r;
			task->bad_message = ice__strdup(ice_error_last()->message);
			rc = task->bad_message ? 0 : ICE_ERROR;
			break;
		}
		if (rc)
			break;
		task->rows++;
	}
done:
	ice_arena__free(&arena);
	ice__free(values);
	ice__free(ptrs);
	return rc;
}

/* JSON Lines: a block's lines parsed in tasks of JSONL_TASK_LINES (on the
 * pool, or serially on the parser thread of the pipeline), each task a
 * batch; a slot holds a block's tasks. */
#define JSONL_TASKS (CSV_BLOCK_RECORDS / JSONL_TASK_LINES)

typedef struct jsonl_src {
	appender *ap;
	csv_reader *r;
	const char *name;
	csv_block blk;
	size_t block;           /* lines a block */
	ice_workers *workers;   /* the parse's (NULL: serially) */
	uint8_t *rejected;      /* with a reject file, per line of the block */
	char **reasons;
	jsonl_task tasks[PIPE_SLOTS][JSONL_TASKS];
	size_t ntasks[PIPE_SLOTS];
	uint64_t bytes[PIPE_SLOTS];
} jsonl_src;

static int jsonl_slot_parse(void *ctx, size_t slot)
{
	jsonl_src *js = ctx;
	appender *ap = js->ap;
	csv_block *blk = &js->blk;
	jsonl_task *tasks = js->tasks[slot];
	int rc = ice_csv__next_block(js->r, blk, 1, js->block, NULL);
	if (rc)
		return rc;
	size_t n = (blk->n + JSONL_TASK_LINES - 1) / JSONL_TASK_LINES;
	for (size_t t = 0; t < n; t++) {
		tasks[t].rejected = js->rejected;
		tasks[t].reasons = js->reasons;
	}
	if (js->rejected)
		memset(js->rejected, 0, blk->n);
	jsonl_job job = {ap, js->name, blk, tasks};
	if ((rc = ice_workers__run(js->workers, n, jsonl_convert, &job)) != 0)
		return rc;
	for (size_t t = 0; t < n; t++)
		if (tasks[t].bad_row != SIZE_MAX)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s", tasks[t].bad_message);
	for (size_t k = 0; js->rejected && k < blk->n; k++)
		if (js->rejected[k]) {
			ice_buf b = ICE_BUF_INIT;
			ice_buf__put(&b, blk->base + blk->fields[k].off, blk->fields[k].len & ~ICE_CSV_QUOTED);
			ice_buf__putc(&b, '\n');
			rc = b.error ? ICE_ERROR : reject_row(ap, js->name, blk->lines[k], 0, NULL, js->reasons[k], b.ptr, b.len);
			ice_buf__free(&b);
			if (rc)
				return rc;
		}
	js->ntasks[slot] = n;
	js->bytes[slot] = (uint64_t)ice_csv__bytes_read(js->r);
	return 0;
}

static int jsonl_slot_write(void *ctx, size_t slot)
{
	jsonl_src *js = ctx;
	appender *ap = js->ap;
	int rc;
	for (size_t t = 0; t < js->ntasks[slot]; t++) {
		jsonl_task *task = &js->tasks[slot][t];
		struct ArrowArray arr;
		struct ArrowSchema sch;
		if (task->rows == 0)
			continue;
		if ((rc = ice_columns__view(&task->cols, &arr, &sch)) != 0)
			return rc;
		rc = ice_data_writer__write_batch(ap->dw, &arr, &sch);
		arr.release(&arr);
		sch.release(&sch);
		ice_columns__clear(&task->cols);
		if (rc)
			return rc;
		ap->rows += task->rows;
	}
	ap->bytes_read = ap->bytes_before + js->bytes[slot];
	if (ap->opts->progress)
		ap->opts->progress(ap->rows, ap->bytes_read, ap->opts->progress_payload);
	return 0;
}

static int append_jsonl(appender *ap, const char *input)
{
	jsonl_src *js = ice__calloc(1, sizeof(*js));
	int rc;
	if (!js)
		return ICE_ERROR;
	if ((rc = ice_csv__open_lines(&js->r, ice_table_io(ap->table), input)) != 0) {
		ice__free(js);
		return rc;
	}
	ice_csv__set_max_record(js->r, ap->opts->max_record_bytes);
	js->ap = ap;
	js->name = ice_csv__name(js->r);
	js->workers = ice_data_writer__workers(ap->dw);
	js->block = block_records(ap);
	if (ap->opts->reject_file && (!(js->rejected = ice__calloc(CSV_BLOCK_RECORDS, 1)) ||
	                              !(js->reasons = ice__calloc(CSV_BLOCK_RECORDS, sizeof(char *))))) {
		rc = ICE_ERROR;
		goto done;
	}
	if (ice_workers__count(js->workers) > 1) {
		pipe_source src = {js, jsonl_slot_parse, jsonl_slot_write};
		ice_workers *pool = js->workers;
		js->workers = NULL; /* the parser's tasks run on its own thread */
		rc = pipeline(pool, &src);
	} else {
		while ((rc = jsonl_slot_parse(js, 0)) == 0)
			if ((rc = jsonl_slot_write(js, 0)) != 0)
				break;
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
done:
	for (size_t s = 0; s < PIPE_SLOTS; s++)
		for (size_t t = 0; t < JSONL_TASKS; t++) {
			if (js->tasks[s][t].ready)
				ice_columns__free(&js->tasks[s][t].cols);
			ice__free(js->tasks[s][t].bad_message);
		}
	ice__free(js->rejected);
	for (size_t k = 0; js->reasons && k < CSV_BLOCK_RECORDS; k++)
		ice__free(js->reasons[k]);
	ice__free(js->reasons);
	ice_csv__block_free(&js->blk);
	ice_csv__free(js->r);
	ice__free(js);
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
	    (rc = ice_convert__new(&conv, ap->schema, &schema, input, ap->vo.case_insensitive)) != 0)
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
	ap->bytes_read = ap->bytes_before + (int64_t)ice_parquet_reader_file_size(r);
	ice_convert__free(conv);
	ice_arrow_schema_release(&schema);
	ice_parquet_scan_free(scan);
	ice_parquet_reader_free(r);
	return rc;
}


/*
 * Decode every input and write it as data files, without committing (the
 * append below; ice overwrite). On success *dw_out holds the files (close
 * it for them); on failure everything written is deleted.
 */
int ice_input__write(ice_table *table, const char *const *inputs, size_t ninputs, const ice_write_options *opts,
                     ice_data_writer **dw_out, int64_t *rows_out, int64_t *rejected_out, int64_t *bytes_read_out)
{
	appender ap;
	int rc;
	*dw_out = NULL;
	memset(&ap, 0, sizeof(ap));
	ap.table = table;
	ap.opts = opts;
	ap.schema = ice_table_metadata_current_schema(ice_table_current(table));
	ap.nfields = ice_schema_field_count(ap.schema);
	ap.vo.round = opts->round_decimals;
	ap.vo.case_insensitive = opts->case_insensitive;
	if ((rc = index_names(&ap)) != 0)
		goto done;
	if ((rc = ice_data_writer__new(&ap.dw, ice_table_io(table), ice_table_current(table), opts)) != 0)
		goto done;
	for (size_t i = 0; i < ninputs && !rc; i++) {
		switch (ice_input__format(inputs[i], opts->format)) {
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
		ap.bytes_before = ap.bytes_read;
	}
	if (!rc && ap.reject) {
		rc = ice_output__close(ap.reject);
		ap.reject = NULL;
		int rc2 = ice_output__close(ap.reject_errors);
		ap.reject_errors = NULL;
		if (!rc)
			rc = rc2;
	}
done:
	if (rc && ap.dw) {
		ice_data_writer__delete_files(ap.dw);
		ice_data_writer__free(ap.dw);
		ap.dw = NULL;
	}
	if (ap.reject)
		ice_output__close(ap.reject);
	ice_map__free(&ap.by_name);
	ice_map__free(&ap.by_lower);
	ice_arena__free(&ap.names);
	if (ap.reject_errors)
		ice_output__close(ap.reject_errors);
	*dw_out = ap.dw;
	*rows_out = ap.rows;
	*rejected_out = ap.rejected;
	*bytes_read_out = ap.bytes_read;
	return rc;
}
