/*
 * tools/scan_output.c - the rows of `ice scan` as CSV, JSON Lines, an
 * aligned table, or one Parquet file.
 *
 * Values take the forms of the spec's JSON single-value serialization
 * (Appendix D): numbers as numbers (shortest text that reads back as the
 * same float or double; NaN and infinities as the strings "NaN",
 * "Infinity", "-Infinity"), decimals as strings of their exact digits,
 * dates, times and timestamps as ISO-8601 strings (timestamptz with
 * "+00:00", nanosecond types with 9 fraction digits), uuids in canonical
 * text, fixed and binary as lowercase hex, geometry and geography as WKT,
 * lists as arrays and maps as {"keys": [...], "values": [...]}. Structs are
 * objects keyed by field name rather than by field id, so they read as the
 * columns do. CSV cells hold the same text without JSON quoting (nested
 * values as JSON); a null is an empty cell, an empty string a quoted "".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan_output.h"
#include "scan_values.h"
#include "wcwidth.h"

#define FLUSH_AT (1 << 20)
#define CELL_MAX 40

static void sink_flush(sink *s)
{
	if (s->len && !s->failed && fwrite(s->buf, 1, s->len, s->f) != s->len)
		s->failed = true;
	s->len = 0;
}

/* After each row: write out when streaming, or stop holding when too big. */
static void row_done(sink *s)
{
	if (s->hold && s->len > s->hold)
		s->hold = 0;
	if (!s->hold && s->len >= FLUSH_AT)
		sink_flush(s);
}

static const ice_type *column_type(const ice_type *t, int64_t c)
{
	return t && t->id == ICE_TYPE_STRUCT && (size_t)c < t->u.struct_.nfields ? t->u.struct_.fields[c].type : NULL;
}

static int render_error(const struct ArrowSchema *sc)
{
	return cli_error("scan: cannot render a column of Arrow format '%s'", sc->format);
}

static size_t cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

static int stream_failed(struct ArrowArrayStream *st)
{
	const char *msg = st->get_last_error ? st->get_last_error(st) : NULL;
	return cli_error("%s", msg ? msg : "scan: reading rows failed");
}

/* ---- CSV and JSON Lines ------------------------------------------------------------------------ */

static int csv_header(sink *s, const struct ArrowSchema *schema)
{
	for (int64_t c = 0; c < schema->n_children; c++) {
		if (c)
			sink_putc(s, ',');
		const char *name = schema->children[c]->name;
		bool quote = strpbrk(name, ",\"\r\n") != NULL || !*name;
		if (!quote) {
			sink_puts(s, name);
			continue;
		}
		sink_putc(s, '"');
		for (const char *p = name; *p; p++) {
			if (*p == '"')
				sink_putc(s, '"');
			sink_putc(s, *p);
		}
		sink_putc(s, '"');
	}
	sink_putc(s, '\n');
	return 0;
}

/* Plans for every column of the rows (once per output). */
static int plan_columns(col_plan **out, const struct ArrowSchema *schema, const ice_type *type)
{
	col_plan *plans = calloc(schema->n_children ? (size_t)schema->n_children : 1, sizeof(col_plan));
	*out = plans;
	if (!plans)
		return cli_error("scan: out of memory");
	for (int64_t c = 0; c < schema->n_children; c++)
		if (!col_plan_of(&plans[c], schema->children[c], column_type(type, c)))
			return render_error(schema->children[c]);
	return 0;
}

/* Render a batch's rows into `s`; -1 when done, else the column whose
 * values cannot be rendered (nothing is printed: the caller says so). */
static int64_t render_rows(sink *s, scan_format fmt, const struct ArrowSchema *schema, const col_plan *plans,
                           const struct ArrowArray *b)
{
	for (int64_t r = 0; r < b->length; r++) {
		int64_t row = b->offset + r;
		if (fmt == SCAN_FORMAT_JSONL)
			sink_putc(s, '{');
		for (int64_t c = 0; c < schema->n_children; c++) {
			bool ok;
			if (c)
				sink_putc(s, ',');
			if (fmt == SCAN_FORMAT_JSONL) {
				const char *name = schema->children[c]->name;
				put_string(s, (const uint8_t *)name, strlen(name), true);
				sink_putc(s, ':');
				ok = put_value(s, &plans[c], b->children[c], row, true);
			} else {
				ok = put_csv_cell(s, &plans[c], b->children[c], row);
			}
			if (!ok)
				return c;
		}
		if (fmt == SCAN_FORMAT_JSONL)
			sink_putc(s, '}');
		sink_putc(s, '\n');
		row_done(s);
		if (s->failed)
			break;
	}
	return -1;
}

static int write_failed(void)
{
	return cli_error("scan: writing the output: %s", strerror(errno));
}

static int write_rows(sink *s, scan_format fmt, const struct ArrowSchema *schema, const col_plan *plans,
                      const struct ArrowArray *b)
{
	int64_t bad = render_rows(s, fmt, schema, plans, b);
	if (bad >= 0)
		return render_error(schema->children[bad]);
	return s->failed ? write_failed() : 0;
}

/*
 * ---- CSV and JSON Lines on several threads ----------------------------------------------------
 *
 * The batches of the stream are numbered as they arrive and rendered by a
 * few formatter threads, each into its own buffer; the calling thread
 * writes the buffers out in batch order, so the output is the same byte
 * for byte whatever the number of threads. At most WINDOW batches per
 * thread are taken ahead of the one being written: memory is bounded by
 * the batches and text in flight, not by the table.
 */
#define WINDOW 2

typedef struct fmt_job {
	struct ArrowArray b;   /* the batch, released once rendered */
	sink text;             /* its rows as text */
	int64_t bad;           /* -1, or the column that cannot be rendered */
	bool queued, done;
} fmt_job;

typedef struct fmt_pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	fmt_job *ring;
	size_t cap;
	size_t head, next, tail;  /* next to write, next to render, next to fill */
	bool stop;
	scan_format fmt;
	const struct ArrowSchema *schema;
	const col_plan *plans;
	pthread_t *threads;
	size_t nthreads;
} fmt_pool;

static void *formatter(void *arg)
{
	fmt_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next == p->tail)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop)
			break;
		fmt_job *j = &p->ring[p->next++ % p->cap];
		pthread_mutex_unlock(&p->mu);
		j->text.len = 0;
		j->text.failed = false;
		j->bad = render_rows(&j->text, p->fmt, p->schema, p->plans, &j->b);
		j->b.release(&j->b);
		pthread_mutex_lock(&p->mu);
		j->done = true;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void fmt_pool_stop(fmt_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t t = 0; t < p->nthreads; t++)
		pthread_join(p->threads[t], NULL);
	for (size_t i = 0; i < p->cap; i++) {
		fmt_job *j = &p->ring[i];
		if (j->queued && !j->done && j->b.release)
			j->b.release(&j->b);
		free(j->text.buf);
	}
	free(p->ring);
	free(p->threads);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
}

/* Wait for the oldest batch in flight and write its text to `s`. */
static int fmt_pool_write_one(fmt_pool *p, sink *s)
{
	fmt_job *j = &p->ring[p->head % p->cap];
	pthread_mutex_lock(&p->mu);
	while (!j->done)
		pthread_cond_wait(&p->done_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (j->bad >= 0)
		return render_error(p->schema->children[j->bad]);
	if (j->text.failed)
		return cli_error("scan: out of memory");
	if (s->hold && s->len + j->text.len > s->hold)
		s->hold = 0;
	if (s->hold) {
		sink_put(s, j->text.buf, j->text.len);
	} else {
		/* streaming: what is buffered goes first, then this text as it is,
		 * in pieces of FLUSH_AT (one big write costs more in the kernel) */
		sink_flush(s);
		for (size_t at = 0; at < j->text.len && !s->failed; at += FLUSH_AT) {
			size_t n = j->text.len - at < FLUSH_AT ? j->text.len - at : FLUSH_AT;
			if (fwrite(j->text.buf + at, 1, n, s->f) != n)
				s->failed = true;
		}
	}
	if (s->failed)
		return write_failed();
	/* a big buffer is not kept for the next batch */
	if (j->text.cap > ((size_t)64 << 20)) {
		free(j->text.buf);
		j->text = (sink){0};
		j->text.hold = SIZE_MAX;
	}
	pthread_mutex_lock(&p->mu);
	j->queued = j->done = false;
	p->head++;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Read the stream to its end, rendering on `threads` formatter threads. */
static int write_rows_parallel(sink *s, struct ArrowArrayStream *st, scan_format fmt, const struct ArrowSchema *schema,
                               const col_plan *plans, size_t threads, int64_t *rows)
{
	fmt_pool p = {0};
	int code = 0;
	p.cap = WINDOW * threads;
	p.fmt = fmt;
	p.schema = schema;
	p.plans = plans;
	if (!(p.ring = calloc(p.cap, sizeof(fmt_job))) || !(p.threads = calloc(threads, sizeof(pthread_t)))) {
		free(p.ring);
		return cli_error("scan: out of memory");
	}
	for (size_t i = 0; i < p.cap; i++)
		p.ring[i].text.hold = SIZE_MAX; /* never written out by row_done */
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work_cv, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	for (size_t t = 0; t < threads; t++) {
		if (pthread_create(&p.threads[t], NULL, formatter, &p) != 0)
			break; /* fewer threads still finish the work */
		p.nthreads++;
	}
	if (!p.nthreads) {
		fmt_pool_stop(&p);
		return cli_error("scan: cannot start a formatter thread");
	}
	for (;;) {
		if (p.tail - p.head == p.cap && (code = fmt_pool_write_one(&p, s)) != 0)
			break;
		fmt_job *j = &p.ring[p.tail % p.cap];
		if (st->get_next(st, &j->b) != 0) {
			code = stream_failed(st);
			break;
		}
		if (!j->b.release)
			break;
		*rows += j->b.length;
		pthread_mutex_lock(&p.mu);
		j->queued = true;
		j->done = false;
		p.tail++;
		pthread_cond_signal(&p.work_cv);
		pthread_mutex_unlock(&p.mu);
	}
	while (!code && p.head < p.tail)
		code = fmt_pool_write_one(&p, s);
	fmt_pool_stop(&p);
	return code;
}

/* ---- the table preview --------------------------------------------------------------------------- */

typedef struct table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols, NULL for null */
	bool *right;  /* numeric columns align right */
} table;

static size_t display_width(const char *p, size_t n)
{
	return cli_text_width(p, n);
}

/* Print `text` in `width` columns (cut with "…" when longer); wide (CJK)
 * characters take two columns. */
static void put_cell(sink *s, const char *text, size_t width, bool right)
{
	size_t n = strlen(text), w = display_width(text, n);
	if (w > width) {
		size_t used, keep = cli_text_fit(text, n, width - 1, &used);
		sink_put(s, text, keep);
		sink_puts(s, "\xE2\x80\xA6");
		for (size_t i = used + 1; i < width; i++)
			sink_putc(s, ' ');
		return;
	}
	for (size_t i = w; right && i < width; i++)
		sink_putc(s, ' ');
	sink_put(s, text, n);
	for (size_t i = w; !right && i < width; i++)
		sink_putc(s, ' ');
}

static int table_add(table *tb, const col_plan *plans, const struct ArrowArray *b, int64_t max_rows)
{
	for (int64_t r = 0; r < b->length && (int64_t)tb->nrows < max_rows; r++) {
		if (tb->nrows == tb->cap) {
			size_t cap = tb->cap ? tb->cap * 2 : 64;
			char **cells = realloc(tb->cells, cap * tb->ncols * sizeof(char *));
			if (!cells)
				return cli_error("scan: out of memory");
			tb->cells = cells;
			tb->cap = cap;
		}
		for (size_t c = 0; c < tb->ncols; c++) {
			sink cell = {0};
			char **slot = &tb->cells[tb->nrows * tb->ncols + c];
			*slot = NULL;
			if (value_is_null(b->children[c], b->offset + r))
				continue;
			if (!put_value(&cell, &plans[c], b->children[c], b->offset + r, false)) {
				free(cell.buf);
				return render_error(plans[c].schema);
			}
			sink_putc(&cell, '\0');
			if (cell.failed) {
				free(cell.buf);
				return cli_error("scan: out of memory");
			}
			for (char *p = cell.buf; *p; p++)
				if (*p == '\n' || *p == '\r' || *p == '\t')
					*p = ' ';
			*slot = cell.buf;
		}
		tb->nrows++;
	}
	return 0;
}

static void table_print(sink *s, const table *tb, const struct ArrowSchema *schema, bool more)
{
	size_t *w = calloc(tb->ncols ? tb->ncols : 1, sizeof(size_t));
	if (!w) {
		s->failed = true;
		return;
	}
	for (size_t c = 0; c < tb->ncols; c++) {
		w[c] = display_width(schema->children[c]->name, strlen(schema->children[c]->name));
		for (size_t r = 0; r < tb->nrows; r++) {
			const char *v = tb->cells[r * tb->ncols + c];
			size_t cw = display_width(v ? v : "null", strlen(v ? v : "null"));
			if (cw > w[c])
				w[c] = cw;
		}
		if (w[c] > CELL_MAX)
			w[c] = CELL_MAX;
	}
	for (size_t c = 0; c < tb->ncols; c++) {
		if (c)
			sink_puts(s, "  ");
		put_cell(s, schema->children[c]->name, w[c], tb->right[c]);
	}
	sink_putc(s, '\n');
	for (size_t c = 0; c < tb->ncols; c++) {
		if (c)
			sink_puts(s, "  ");
		for (size_t k = 0; k < w[c]; k++)
			sink_putc(s, '-');
	}
	sink_putc(s, '\n');
	for (size_t r = 0; r < tb->nrows; r++) {
		for (size_t c = 0; c < tb->ncols; c++) {
			const char *v = tb->cells[r * tb->ncols + c];
			if (c)
				sink_puts(s, "  ");
			put_cell(s, v ? v : "null", w[c], tb->right[c]);
		}
		sink_putc(s, '\n');
	}
	char tail[96];
	snprintf(tail, sizeof(tail), "(%zu row%s%s)\n", tb->nrows, tb->nrows == 1 ? "" : "s",
	         more ? "; more not shown: use --limit or another --format" : "");
	sink_puts(s, tail);
	free(w);
}

/* ---- driving ---------------------------------------------------------------------------------------- */

int scan_output_parse_format(const char *name, scan_format *out)
{
	static const struct {
		const char *name;
		scan_format format;
	} names[] = {{"csv", SCAN_FORMAT_CSV}, {"jsonl", SCAN_FORMAT_JSONL}, {"json", SCAN_FORMAT_JSONL},
	             {"table", SCAN_FORMAT_TABLE}, {"parquet", SCAN_FORMAT_PARQUET}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*out = names[i].format;
			return 0;
		}
	return -1;
}

int scan_output_format_from_name(const char *path, scan_format *out)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (!dot)
		return -1;
	if (!strcasecmp(dot, ".ndjson")) {
		*out = SCAN_FORMAT_JSONL;
		return 0;
	}
	if (!strcasecmp(dot, ".table"))
		return -1;
	char lower[16];
	size_t n = strlen(dot + 1);
	if (n >= sizeof(lower))
		return -1;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)(dot[1 + i] >= 'A' && dot[1 + i] <= 'Z' ? dot[1 + i] + 32 : dot[1 + i]);
	return scan_output_parse_format(lower, out);
}

int scan_output_choose_format(ice_cli *cli, const cli_command *cmd, scan_output_options *o, bool format_given,
                              bool rows)
{
	if (!format_given) {
		if (o->output && scan_output_format_from_name(o->output, &o->format) == 0)
			;
		else if (cli->json)
			o->format = SCAN_FORMAT_JSONL;
		else
			o->format = !o->output && isatty(fileno(cli->out)) ? SCAN_FORMAT_TABLE : SCAN_FORMAT_CSV;
	}
	if (rows && o->format == SCAN_FORMAT_PARQUET && !o->output && isatty(fileno(cli->out)))
		return cli_usage_error(cmd, "Parquet is not for a terminal: write it with --output FILE.parquet or redirect "
		                            "stdout");
	return 0;
}

/* Whether `path` is a regular file or does not exist (so a temporary file
 * beside it can replace it). */
static bool regular_or_missing(const char *path)
{
	struct stat st;
	return stat(path, &st) != 0 || S_ISREG(st.st_mode);
}

/* A temporary name next to `path` (or in $TMPDIR), created empty. */
static char *temp_beside(const char *path)
{
	const char *dir = getenv("TMPDIR");
	size_t n = (path ? strlen(path) : strlen(dir ? dir : "/tmp")) + 32;
	char *t = malloc(n);
	if (!t)
		return NULL;
	if (path)
		snprintf(t, n, "%s.ice-tmp-XXXXXX", path);
	else
		snprintf(t, n, "%s/ice-scan-XXXXXX", dir ? dir : "/tmp");
	int fd = mkstemp(t);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	close(fd);
	return t;
}

static int write_parquet(ice_cli *cli, struct ArrowArrayStream *st, const ice_type *type,
                         const struct ArrowSchema *schema, const char *output, size_t threads, int64_t *rows)
{
	if (output && !regular_or_missing(output))
		return cli_error("%s: Parquet goes to a regular file (or stdout)", output);
	char *tmp = temp_beside(output);
	ice_parquet_writer *w = NULL;
	ice_parquet_write_options wo;
	int rc, code = EXIT_OK;
	if (!tmp)
		return cli_error("scan: cannot create a temporary file: %s", strerror(errno));
	unlink(tmp); /* the writer creates it exclusively */
	ice_parquet_write_options_init(&wo);
	wo.threads = threads; /* the columns of each batch encoded and compressed in parallel */
	if ((rc = ice_parquet_writer_open(&w, cli->io, tmp, type, &wo)) != 0) {
		free(tmp);
		return cli_fail(rc);
	}
	for (;;) {
		struct ArrowArray b;
		if (st->get_next(st, &b) != 0) {
			code = stream_failed(st);
			break;
		}
		if (!b.release)
			break;
		rc = ice_parquet_writer_write(w, &b, schema);
		*rows += b.length;
		b.release(&b);
		if (rc) {
			code = cli_fail(rc);
			break;
		}
	}
	if (code) {
		ice_parquet_writer_abort(w);
	} else if ((rc = ice_parquet_writer_close(w, NULL)) != 0) {
		code = cli_fail(rc);
	} else if (output) {
		if (rename(tmp, output) != 0)
			code = cli_error("%s: %s", output, strerror(errno));
	} else {
		FILE *f = fopen(tmp, "rb");
		char buf[65536];
		size_t n;
		while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (fwrite(buf, 1, n, cli->out) != n) {
				code = cli_error("scan: writing the output: %s", strerror(errno));
				break;
			}
		if (f)
			fclose(f);
		else
			code = cli_error("%s: %s", tmp, strerror(errno));
	}
	unlink(tmp);
	free(tmp);
	return code;
}

int scan_output_run(ice_cli *cli, struct ArrowArrayStream *st, const ice_type *type, const scan_output_options *opts,
                    int64_t *rows_out)
{
	struct ArrowSchema schema;
	int64_t rows = 0;
	int code = EXIT_OK;
	char *tmp = NULL;
	bool direct = false;
	col_plan *plans = NULL;
	if (rows_out)
		*rows_out = 0;
	if (st->get_schema(st, &schema) != 0)
		return stream_failed(st);
	if (opts->format == SCAN_FORMAT_PARQUET) {
		code = write_parquet(cli, st, type, &schema, opts->output, opts->threads ? opts->threads : cores(), &rows);
		schema.release(&schema);
		if (rows_out)
			*rows_out = rows;
		return code;
	}
	sink s = {0};
	s.f = cli->out;
	s.hold = opts->hold_bytes ? opts->hold_bytes : (size_t)64 << 20;
	if (opts->output && !regular_or_missing(opts->output)) {
		/* a device or pipe (/dev/null, a FIFO): written as it is, nothing to rename */
		if (!(s.f = fopen(opts->output, "wb"))) {
			code = cli_error("%s: %s", opts->output, strerror(errno));
			goto done;
		}
		s.hold = 0;
		direct = true;
	} else if (opts->output) {
		if (!(tmp = temp_beside(opts->output)) || !(s.f = fopen(tmp, "wb"))) {
			code = cli_error("%s: %s", opts->output, strerror(errno));
			goto done;
		}
		s.hold = 0;
	}
	if ((code = plan_columns(&plans, &schema, type)) != 0)
		goto done;
	table tb = {(size_t)schema.n_children, 0, 0, NULL, NULL};
	int64_t max_rows = opts->table_rows > 0 ? opts->table_rows : 100;
	bool more = false;
	if (opts->format == SCAN_FORMAT_TABLE) {
		if (!(tb.right = calloc(tb.ncols ? tb.ncols : 1, sizeof(bool)))) {
			code = cli_error("scan: out of memory");
			goto done;
		}
		for (size_t c = 0; c < tb.ncols; c++)
			tb.right[c] = col_plan_numeric(&plans[c]);
	} else if (opts->format == SCAN_FORMAT_CSV) {
		csv_header(&s, &schema);
	}
	size_t threads = opts->threads ? opts->threads : cores();
	if (opts->format != SCAN_FORMAT_TABLE && threads > 1) {
		code = write_rows_parallel(&s, st, opts->format, &schema, plans, threads > 64 ? 64 : threads, &rows);
		goto written;
	}
	for (;;) {
		struct ArrowArray b;
		if (st->get_next(st, &b) != 0) {
			code = stream_failed(st);
			break;
		}
		if (!b.release)
			break;
		if (opts->format == SCAN_FORMAT_TABLE) {
			if ((int64_t)tb.nrows + b.length > max_rows)
				more = true;
			code = table_add(&tb, plans, &b, max_rows);
			rows = (int64_t)tb.nrows;
		} else {
			code = write_rows(&s, opts->format, &schema, plans, &b);
			rows += b.length;
		}
		b.release(&b);
		if (code || more)
			break;
	}
	if (!code && opts->format == SCAN_FORMAT_TABLE)
		table_print(&s, &tb, &schema, more);
written:
	if (!code) {
		s.hold = 0;
		sink_flush(&s);
		if (s.failed || fflush(s.f) != 0)
			code = cli_error("scan: writing the output: %s", strerror(errno));
	}
	for (size_t i = 0; i < tb.nrows * tb.ncols; i++)
		free(tb.cells[i]);
	free(tb.cells);
	free(tb.right);
done:
	if (opts->output && s.f) {
		if (fclose(s.f) != 0 && !code)
			code = cli_error("%s: %s", opts->output, strerror(errno));
		if (!code && !direct && rename(tmp, opts->output) != 0)
			code = cli_error("%s: %s", opts->output, strerror(errno));
	} else if (code && s.hold) {
		/* held output is dropped: nothing half-way reaches stdout */
		s.len = 0;
	} else if (code) {
		sink_flush(&s); /* rows already streamed stay; the error follows */
	}
	if (tmp) {
		if (code)
			unlink(tmp);
		free(tmp);
	}
	free(s.buf);
	free(plans);
	schema.release(&schema);
	if (rows_out)
		*rows_out = rows;
	return code;
}
