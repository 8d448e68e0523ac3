/*
 * ingest/csv.c - streaming CSV records (RFC 4180) from a file or standard
 * input. The buffer holds at least one whole record; quoted fields are
 * unescaped in place (a doubled quote shrinks to one), so values are
 * slices of the buffer with no copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/error.h"

#define CSV_CHUNK ((size_t)1 << 20)
#define CSV_MAX_RECORD ((size_t)1 << 30)     /* the most --max-record-size allows */
#define CSV_DEFAULT_RECORD ((size_t)16 << 20) /* the default limit of one record */

struct csv_reader {
	int fd;
	bool own_fd;
	char *name;
	char delim;
	bool lines; /* whole lines, no quoting (JSON Lines) */
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start, end) */
	bool eof;
	int64_t line;    /* line number at buf[start] */
	int64_t offset;  /* input offset of buf[start] */
	size_t start_block; /* buf[start] when the current fast block began */
	ice_slice *fields;
	bool *quoted;
	size_t fcap;
	size_t max_record; /* a record longer than this is an error */
};

void ice_csv__set_max_record(csv_reader *r, int64_t bytes)
{
	r->max_record = bytes <= 0 ? CSV_DEFAULT_RECORD : (uint64_t)bytes > CSV_MAX_RECORD ? CSV_MAX_RECORD : (size_t)bytes;
}

static int too_long(const csv_reader *r)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
	                      "%s: line %lld: record longer than %zu bytes (the limit; --max-record-size raises it)",
	                      r->name, (long long)r->line, r->max_record);
}

int ice_csv__open_lines(csv_reader **out, const ice_io *io, const char *location)
{
	int rc = ice_csv__open(out, io, location, '\n');
	if (!rc)
		(*out)->lines = true;
	return rc;
}

int ice_csv__open(csv_reader **out, const ice_io *io, const char *location, char delimiter)
{
	csv_reader *r = ice__calloc(1, sizeof(*r));
	int rc;
	*out = NULL;
	if (!r)
		return ICE_ERROR;
	r->delim = delimiter;
	r->line = 1;
	r->max_record = CSV_DEFAULT_RECORD;
	if (!(r->name = ice__strdup(strcmp(location, "-") == 0 ? "<stdin>" : location)) ||
	    !(r->buf = ice__malloc(CSV_CHUNK + 1))) {
		ice_csv__free(r);
		return ICE_ERROR;
	}
	r->cap = CSV_CHUNK;
	if (strcmp(location, "-") == 0) {
		r->fd = 0;
	} else {
		char *path = NULL;
		if ((rc = ice_io__local_path(&path, io, location)) != 0) {
			ice_csv__free(r);
			return rc;
		}
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		ice__free(path);
		if (r->fd < 0) {
			rc = ice_error__os(location, "open");
			r->fd = -1;
			ice_csv__free(r);
			return rc;
		}
		r->own_fd = true;
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	*out = r;
	return 0;
}

void ice_csv__free(csv_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	ice__free(r->name);
	ice__free(r->buf);
	ice__free(r->fields);
	ice__free(r->quoted);
	ice__free(r);
}

const char *ice_csv__name(const csv_reader *r)
{
	return r->name;
}

int64_t ice_csv__position(const csv_reader *r)
{
	return r->offset;
}

/* Move unread bytes to the front and read more; grows when full. */
static int fill(csv_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		/* One record fills the buffer: grow it, up to the record limit. */
		if (r->cap >= r->max_record)
			return too_long(r);
		size_t ncap = r->cap * 2 < r->max_record ? r->cap * 2 : r->max_record;
		char *nb = ice__realloc(r->buf, ncap + 1);
		if (!nb)
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_NOMEMORY, "%s: line %lld: out of memory for a record of %zu bytes",
			                      r->name, (long long)r->line, ncap);
		r->buf = nb;
		r->cap = ncap;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ice_error__os(r->name, "read");
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
		return 0;
	}
}

static int push_field(csv_reader *r, size_t *n, char *p, size_t len, bool quoted)
{
	if (*n == r->fcap) {
		size_t ncap = r->fcap ? r->fcap * 2 : 32;
		ice_slice *f = ice__reallocarray(r->fields, ncap, sizeof(ice_slice));
		if (!f)
			return ICE_ERROR;
		r->fields = f;
		bool *q = ice__reallocarray(r->quoted, ncap, sizeof(bool));
		if (!q)
			return ICE_ERROR;
		r->quoted = q;
		r->fcap = ncap;
	}
	r->fields[*n].data = (const uint8_t *)p;
	r->fields[*n].len = len;
	r->quoted[*n] = quoted;
	(*n)++;
	return 0;
}

/*
 * Parse one record starting at buf[start]. Returns 1 when more input is
 * needed (the record is incomplete and not at EOF), 0 with *out set, or an
 * error.
 */
static int parse_record(csv_reader *r, csv_record *out)
{
	char *p = r->buf + r->start, *end = r->buf + r->end;
	size_t n = 0;
	int64_t lines = 0;
	int rc;
	/* First find where the record ends (a line break outside quotes)
	 * without touching the bytes, so an incomplete record can be parsed
	 * again after more input arrives. */
	{
		char *q = p;
		size_t quotes = 0;
		for (;;) {
			char *nl = memchr(q, '\n', (size_t)(end - q));
			char *stop = nl ? nl : end;
			for (char *c = r->lines ? NULL : memchr(q, '"', (size_t)(stop - q)); c;
			     c = memchr(c + 1, '"', (size_t)(stop - c - 1)))
				quotes++;
			(void)0;
			if (!nl) {
				if (!r->eof)
					return 1;
				break;
			}
			if (quotes % 2 == 0) {
				end = nl + 1;
				break;
			}
			q = nl + 1;
		}
		if ((size_t)(end - p) > r->max_record)
			return too_long(r);
	}
	for (;;) {
		if (r->lines) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			char *stop = nl ? nl : end;
			size_t len = (size_t)(stop - p);
			if (len && p[len - 1] == '\r')
				len--;
			if ((rc = push_field(r, &n, p, len, false)) != 0)
				return rc;
			p = nl ? nl + 1 : end;
			lines += nl != NULL;
			break;
		}
		if (p < end && *p == '"') {
			/* Quoted: unescape in place. */
			char *w = p, *q = p + 1;
			for (;;) {
				char *quote = memchr(q, '"', (size_t)(end - q));
				if (!quote)
					return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
					                      "%s: line %lld: unterminated quoted field", r->name,
					                      (long long)(r->line + lines));
				for (char *c = q; c < quote; c++)
					if (*c == '\n')
						lines++;
				size_t len = (size_t)(quote - q);
				memmove(w, q, len);
				w += len;
				if (quote + 1 < end && quote[1] == '"') {
					*w++ = '"';
					q = quote + 2;
					continue;
				}
				q = quote + 1;
				break;
			}
			if ((rc = push_field(r, &n, p, (size_t)(w - p), true)) != 0)
				return rc;
			p = q;
			if (p < end && *p == r->delim) {
				p++;
				continue;
			}
			if (p < end && *p == '\r')
				p++;
			if (p < end && *p == '\n') {
				p++;
				lines++;
				break;
			}
			if (p == end)
				break;
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: line %lld, column %zu: unexpected character after a quoted field", r->name,
			                      (long long)(r->line + lines), n);
		}
		/* Unquoted: up to the delimiter or the end of the line. */
		char *f = p;
		while (p < end && *p != r->delim && *p != '\n')
			p++;
		size_t len = (size_t)(p - f);
		if (p < end && *p == '\n' && len && f[len - 1] == '\r')
			len--;
		else if (p == end && len && f[len - 1] == '\r')
			len--;
		if ((rc = push_field(r, &n, f, len, false)) != 0)
			return rc;
		if (p < end && *p == r->delim) {
			p++;
			continue;
		}
		if (p < end) {
			p++;
			lines++;
		}
		break;
	}
	out->n = n;
	out->fields = r->fields;
	out->quoted = r->quoted;
	out->line = r->line;
	out->offset = r->offset;
	r->offset += p - (r->buf + r->start);
	r->line += lines;
	r->start = (size_t)(p - r->buf);
	return 0;
}

int ice_csv__next(csv_reader *r, csv_record *out)
{
	for (;;) {
		if (r->start == r->end) {
			if (r->eof)
				return ICE_ITEROVER;
			int rc = fill(r);
			if (rc)
				return rc;
			continue;
		}
		int rc = parse_record(r, out);
		if (rc <= 0)
			return rc;
		if (r->eof)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: incomplete record", r->name,
			                      (long long)r->line);
		if ((rc = fill(r)) != 0)
			return rc;
	}
}

/* ---- blocks ------------------------------------------------------------------------ */

void ice_csv__block_free(csv_block *b)
{
	ice__free(b->fields);
	ice__free(b->counts);
	ice__free(b->lines);
	ice__free(b->offsets);
	memset(b, 0, sizeof(*b));
}

static int block_grow(csv_block *b, size_t ncols)
{
	size_t cap = b->cap ? b->cap * 2 : 1024;
	csv_field *f = ice__reallocarray(b->fields, cap * (ncols ? ncols : 1), sizeof(csv_field));
	if (!f)
		return ICE_ERROR;
	b->fields = f;
	uint32_t *c = ice__reallocarray(b->counts, cap, sizeof(uint32_t));
	if (!c)
		return ICE_ERROR;
	b->counts = c;
	int64_t *l = ice__reallocarray(b->lines, cap, sizeof(int64_t));
	if (!l)
		return ICE_ERROR;
	b->lines = l;
	int64_t *o = ice__reallocarray(b->offsets, cap, sizeof(int64_t));
	if (!o)
		return ICE_ERROR;
	b->offsets = o;
	b->cap = cap;
	return 0;
}

/* Without quotes every line is a record: split on the delimiter alone. */
typedef struct split_job {
	const csv_reader *r;
	csv_block *b;
	size_t per_task;
	const char *end; /* after the last line's newline */
} split_job;

static int split_lines(void *ctx, size_t task, size_t worker)
{
	split_job *j = ctx;
	csv_block *b = j->b;
	size_t ncols = b->ncols, from = task * j->per_task, to = from + j->per_task;
	char delim = j->r->delim;
	(void)worker;
	if (to > b->n)
		to = b->n;
	for (size_t k = from; k < to; k++) {
		const char *first = b->base + j->r->start_block;
		const char *p = first + (b->offsets[k] - b->offsets[0]);
		const char *eol = k + 1 < b->n ? first + (b->offsets[k + 1] - b->offsets[0]) - 1 : j->end - 1;
		/* eol points at the record's '\n' */
		const char *stop = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		csv_field *f = b->fields + k * ncols;
		uint32_t n = 0;
		for (;;) {
			const char *d = memchr(p, delim, (size_t)(stop - p));
			const char *fe = d ? d : stop;
			if (n < ncols) {
				f[n].off = (uint32_t)(p - b->base);
				f[n].len = (uint32_t)(fe - p);
			}
			n++;
			if (!d)
				break;
			p = d + 1;
		}
		b->counts[k] = n;
	}
	return 0;
}

static int fast_block(csv_reader *r, csv_block *b, size_t ncols, size_t max_records, ice_workers *workers,
                      bool *done)
{
	int rc;
	const char *p = r->buf + r->start, *end = r->buf + r->end;
	*done = false;
	if (r->lines || r->delim == '\n' || r->delim == '"')
		return 0;
	/* the whole lines in the buffer, without a quote among them */
	const char *last = end;
	while (last > p && last[-1] != '\n')
		last--;
	if (last == p || memchr(p, '"', (size_t)(last - p)))
		return 0;
	size_t n = 0;
	const char *q = p;
	r->start_block = r->start;
	while (q < last && n < max_records) {
		if (n == b->cap && (rc = block_grow(b, ncols)) != 0)
			return rc;
		b->offsets[n] = r->offset + (q - p);
		b->lines[n] = r->line + (int64_t)n;
		const char *next = (const char *)memchr(q, '\n', (size_t)(last - q)) + 1;
		if ((size_t)(next - q) > r->max_record) {
			r->line += (int64_t)n; /* the message names this record's line */
			return too_long(r);
		}
		q = next;
		n++;
	}
	last = q;
	b->n = n;
	b->base = r->buf;
	split_job job = {r, b, 4096, last};
	if ((rc = ice_workers__run(workers, (n + job.per_task - 1) / job.per_task, split_lines, &job)) != 0)
		return rc;
	r->offset += last - p;
	r->line += (int64_t)n;
	r->start = (size_t)(last - r->buf);
	b->end_offset = r->offset;
	*done = true;
	return 0;
}

int ice_csv__next_block(csv_reader *r, csv_block *b, size_t ncols, size_t max_records, ice_workers *workers)
{
	int rc;
	if (b->ncols != ncols) {
		ice_csv__block_free(b);
		b->ncols = ncols;
	}
	b->n = 0;
	/* No whole line in the buffer: read until there is one (this may move
	 * the buffer, which holds no record of the block yet). */
	for (;;) {
		if (r->start == r->end) {
			if (r->eof)
				return ICE_ITEROVER;
			if ((rc = fill(r)) != 0)
				return rc;
			continue;
		}
		if (!r->eof && !memchr(r->buf + r->start, '\n', r->end - r->start)) {
			if ((rc = fill(r)) != 0)
				return rc;
			continue;
		}
		break;
	}
	bool done;
	if ((rc = fast_block(r, b, ncols, max_records, workers, &done)) != 0 || done)
		return rc;
	b->base = r->buf;
	while (b->n < max_records) {
		csv_record rec;
		if (r->start == r->end)
			break;
		rc = parse_record(r, &rec);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (b->n > 0)
				break;
			/* not even one whole record: read more (nothing is kept yet) */
			if (r->eof)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: incomplete record",
				                      r->name, (long long)r->line);
			if ((rc = fill(r)) != 0)
				return rc;
			b->base = r->buf;
			continue;
		}
		if (b->n == b->cap && (rc = block_grow(b, ncols)) != 0)
			return rc;
		csv_field *f = b->fields + b->n * ncols;
		size_t k = rec.n < ncols ? rec.n : ncols;
		for (size_t i = 0; i < k; i++) {
			f[i].off = (uint32_t)((const char *)rec.fields[i].data - b->base);
			f[i].len = (uint32_t)rec.fields[i].len | (rec.quoted[i] ? ICE_CSV_QUOTED : 0);
		}
		b->counts[b->n] = (uint32_t)rec.n;
		b->lines[b->n] = rec.line;
		b->offsets[b->n] = rec.offset;
		b->n++;
	}
	b->end_offset = r->offset;
	return 0;
}
