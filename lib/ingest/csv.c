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
#include "util/compress.h"
#include "util/error.h"
#include "util/strutil.h"

#define CSV_CHUNK ((size_t)1 << 20)
#define CSV_MAX_RECORD ((size_t)1 << 30)     /* the most --max-record-size allows */
#define CSV_DEFAULT_RECORD ((size_t)16 << 20) /* the default limit of one record */

#define RAW_CHUNK ((size_t)1 << 16)

typedef struct csv_reader csv_reader_t;
static int fill(struct csv_reader *r);

struct csv_reader {
	int fd;
	bool own_fd;
	/* the bytes as stored: read ahead for the magic, decompressed when
	 * gzip or zstd */
	uint8_t *raw;
	size_t raw_len, raw_pos;
	bool raw_eof;
	int64_t raw_read; /* bytes read from the file */
	ice_codec_stream *dec;
	bool bom_checked;
	char *name;
	char delim;
	bool lines; /* whole lines, no quoting (JSON Lines) */
	bool pgtext; /* PostgreSQL's COPY text format: lines, backslash escapes, \N */
	bool json_array; /* the elements of one JSON array, each a record */
	int json_state;  /* 0: before '[', 1: inside, 2: after ']' */
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

static int read_raw(csv_reader *r, uint8_t *dst, size_t cap, size_t *n_out)
{
	for (;;) {
		ssize_t n = read(r->fd, dst, cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ice_error__os(r->name, "read");
		}
		*n_out = (size_t)n;
		r->raw_read += n;
		return 0;
	}
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && ice_str__ieq(s + n - m, m, suffix, m);
}

/*
 * What the input is stored as: gzip or zstd by extension (.gz, .zst) or,
 * on standard input and under any name, by magic number; a compression ice
 * does not read (bzip2, xz, zip, ...) is refused by name rather than read as
 * text.
 */
static int open_source(csv_reader *r, const char *location)
{
	static const struct {
		const char *ext;
		const char *name;
	} others[] = {{".bz2", "bzip2"}, {".xz", "xz"},   {".lz4", "lz4"},     {".zip", "zip"},
	              {".7z", "7z"},     {".Z", "compress (.Z)"}, {".br", "brotli"}, {".snappy", "snappy"},
	              {".lzma", "lzma"}, {".lzo", "lzo"}};
	int rc;
	if (!(r->raw = ice__malloc(RAW_CHUNK)))
		return ICE_ERROR;
	/* the first bytes, for the magic (a short read is fine: more follow) */
	while (r->raw_len < 8) {
		size_t n = 0;
		if ((rc = read_raw(r, r->raw + r->raw_len, RAW_CHUNK - r->raw_len, &n)) != 0)
			return rc;
		if (n == 0) {
			r->raw_eof = true;
			break;
		}
		r->raw_len += n;
	}
	ice_codec sniffed = ice_codec__sniff(r->raw, r->raw_len);
	const char *other = ice_codec__sniff_other(r->raw, r->raw_len);
	ice_codec want = ICE_CODEC_NONE;
	if (ends_with_ci(location, ".gz") || ends_with_ci(location, ".gzip"))
		want = ICE_CODEC_GZIP;
	else if (ends_with_ci(location, ".zst") || ends_with_ci(location, ".zstd"))
		want = ICE_CODEC_ZSTD;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]) && !other; i++)
		if (ends_with_ci(location, others[i].ext))
			other = others[i].name;
	if (other && sniffed == ICE_CODEC_NONE)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
		                      "%s: %s-compressed input is not read (gzip and zstd are: decompress it first)", r->name,
		                      other);
	if (want != ICE_CODEC_NONE && sniffed != want && r->raw_len > 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: not %s data (the file does not start as %s does)",
		                      r->name, ice_codec__name(want), ice_codec__name(want));
	if (sniffed != ICE_CODEC_NONE && (rc = ice_codec__stream_new(&r->dec, sniffed)) != 0)
		return ice_error__prefix("%s", r->name);
	return 0;
}

/* Up to `cap` bytes of the input as text (decompressed); 0 at the end. */
static int read_source(csv_reader *r, char *dst, size_t cap, size_t *n_out)
{
	int rc;
	*n_out = 0;
	for (;;) {
		if (r->raw_pos == r->raw_len && !r->raw_eof) {
			size_t n = 0;
			r->raw_pos = r->raw_len = 0;
			if ((rc = read_raw(r, r->raw, RAW_CHUNK, &n)) != 0)
				return rc;
			r->raw_len = n;
			r->raw_eof = n == 0;
		}
		if (!r->dec) {
			size_t n = r->raw_len - r->raw_pos < cap ? r->raw_len - r->raw_pos : cap;
			memcpy(dst, r->raw + r->raw_pos, n);
			r->raw_pos += n;
			*n_out = n;
			if (n == 0 && !r->raw_eof)
				continue;
			return 0;
		}
		size_t used, made;
		if ((rc = ice_codec__stream_decompress(r->dec, r->raw + r->raw_pos, r->raw_len - r->raw_pos, &used,
		                                       (uint8_t *)dst, cap, &made)) != 0)
			return ice_error__prefix("%s", r->name);
		r->raw_pos += used;
		if (made > 0) {
			*n_out = made;
			return 0;
		}
		if (r->raw_eof && r->raw_pos == r->raw_len) {
			if (!ice_codec__stream_finished(r->dec))
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: the compressed data is cut short",
				                      r->name);
			return 0;
		}
	}
}

int64_t ice_csv__bytes_read(const csv_reader *r)
{
	return r->raw_read - (int64_t)(r->raw_len - r->raw_pos);
}

int ice_csv__open_lines(csv_reader **out, const ice_io *io, const char *location)
{
	int rc = ice_csv__open(out, io, location, '\n');
	if (rc)
		return rc;
	csv_reader *r = *out;
	r->lines = true;
	/* A JSON array of objects rather than JSON Lines: its elements are the
	 * records. */
	for (;;) {
		size_t i = r->start;
		while (i < r->end && (r->buf[i] == ' ' || r->buf[i] == '\t' || r->buf[i] == '\r' || r->buf[i] == '\n'))
			i++;
		if (i < r->end) {
			if (r->buf[i] == '[') {
				r->lines = false;
				r->json_array = true;
			}
			return 0;
		}
		if (r->eof)
			return 0;
		if (r->end - r->start >= ((size_t)1 << 20))
			return 0;
		if ((rc = fill(r)) != 0) {
			ice_csv__free(r);
			*out = NULL;
			return rc;
		}
	}
}

int ice_csv__open_pgtext(csv_reader **out, const ice_io *io, const char *location, char delimiter)
{
	int rc = ice_csv__open(out, io, location, delimiter);
	if (!rc)
		(*out)->pgtext = true;
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
	if ((rc = open_source(r, location)) != 0) {
		ice_csv__free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void ice_csv__free(csv_reader *r)
{
	if (!r)
		return;
	ice_codec__stream_free(r->dec);
	ice__free(r->raw);
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
	size_t n;
	int rc = read_source(r, r->buf + r->end, r->cap - r->end, &n);
	if (rc)
		return rc;
	if (n == 0)
		r->eof = true;
	r->end += n;
	/* A UTF-8 byte-order mark (Excel's CSV) is not part of the first value. */
	if (!r->bom_checked && (r->end >= 3 || r->eof)) {
		r->bom_checked = true;
		if (r->end - r->start >= 3 && memcmp(r->buf + r->start, "\xef\xbb\xbf", 3) == 0)
			r->start += 3;
	}
	return 0;
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
/* JSON array mode: the next element, whole; 1 when more input is needed,
 * 2 after the closing bracket. */
static int parse_element(csv_reader *r, csv_record *out)
{
	char *p = r->buf + r->start, *end = r->buf + r->end, *q;
	int64_t lines = 0;
	size_t n = 0;
	int rc;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			lines += *p++ == '\n';
		if (p == end)
			return r->eof ? (r->json_state == 2 ? 2 : ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                                                      "%s: line %lld: the JSON array is not closed",
			                                                      r->name, (long long)(r->line + lines)))
			              : 1;
		if (r->json_state == 0) {
			if (*p != '[')
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: expected a JSON array",
				                      r->name, (long long)(r->line + lines));
			r->json_state = 1;
			p++;
			r->offset += p - (r->buf + r->start);
			r->line += lines;
			r->start = (size_t)(p - r->buf);
			lines = 0;
			/* an empty array */
			q = p;
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
				q++;
			if (q < end && *q == ']') {
				r->json_state = 2;
				r->start = (size_t)(q + 1 - r->buf);
				p = q + 1;
			}
			continue;
		}
		if (r->json_state == 2)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: line %lld: something after the JSON array's closing bracket", r->name,
			                      (long long)(r->line + lines));
		break;
	}
	/* the element: up to the comma or bracket at depth 0 outside strings */
	char *first = p;
	int depth = 0;
	bool in_str = false;
	int64_t elem_lines = 0;
	for (q = p; q < end; q++) {
		char c = *q;
		if (in_str) {
			if (c == '\\')
				q++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '\n')
			elem_lines++;
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && depth > 0)
			depth--;
		else if (depth == 0 && (c == ',' || c == ']'))
			break;
	}
	if (q >= end)
		return r->eof ? ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: the JSON array is not closed",
		                               r->name, (long long)(r->line + lines))
		              : 1;
	char *stop = q;
	while (stop > first && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r' || stop[-1] == '\n'))
		stop--;
	if ((rc = push_field(r, &n, first, (size_t)(stop - first), false)) != 0)
		return rc;
	if (*q == ']')
		r->json_state = 2;
	q++;
	out->n = n;
	out->fields = r->fields;
	out->quoted = r->quoted;
	out->line = r->line + lines;
	out->offset = r->offset + (first - (r->buf + r->start));
	r->offset += q - (r->buf + r->start);
	r->line += lines + elem_lines;
	r->start = (size_t)(q - r->buf);
	return 0;
}

static int parse_record(csv_reader *r, csv_record *out)
{
	char *p = r->buf + r->start, *end = r->buf + r->end;
	size_t n = 0;
	int64_t lines = 0;
	int rc;
	if (r->json_array)
		return parse_element(r, out);
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

/* The end of the input: a JSON array must have been closed. */
static int at_end(const csv_reader *r)
{
	if (r->json_array && r->json_state != 2)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: line %lld: %s", r->name, (long long)r->line,
		                      r->json_state == 0 ? "expected a JSON array" : "the JSON array is not closed");
	return ICE_ITEROVER;
}

int ice_csv__next(csv_reader *r, csv_record *out)
{
	for (;;) {
		if (r->start == r->end) {
			if (r->eof)
				return at_end(r);
			int rc = fill(r);
			if (rc)
				return rc;
			continue;
		}
		int rc = parse_record(r, out);
		if (rc == 2)
			return ICE_ITEROVER;
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
	ice__free(b->extra);
	ice__free(b->extra_at);
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
	uint32_t *x = ice__reallocarray(b->extra_at, cap, sizeof(uint32_t));
	if (!x)
		return ICE_ERROR;
	b->extra_at = x;
	b->cap = cap;
	return 0;
}

static int push_extra(csv_block *b, size_t r, const char *p, size_t len, bool quoted)
{
	if (b->nextra == b->extra_cap) {
		size_t cap = b->extra_cap ? b->extra_cap * 2 : 16;
		csv_field *e = ice__reallocarray(b->extra, cap, sizeof(csv_field));
		if (!e)
			return ICE_ERROR;
		b->extra = e;
		b->extra_cap = cap;
	}
	if (b->extra_at[r] == UINT32_MAX)
		b->extra_at[r] = (uint32_t)b->nextra;
	b->extra[b->nextra].off = (uint32_t)(p - b->base);
	b->extra[b->nextra].len = (uint32_t)len | (quoted ? ICE_CSV_QUOTED : 0);
	b->nextra++;
	return 0;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A PostgreSQL text field decoded in place; its new length. */
static size_t pg_unescape(char *p, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (c != '\\' || i + 1 == len) {
			p[w++] = c;
			continue;
		}
		c = p[++i];
		switch (c) {
		case 'b': p[w++] = '\b'; break;
		case 'f': p[w++] = '\f'; break;
		case 'n': p[w++] = '\n'; break;
		case 'r': p[w++] = '\r'; break;
		case 't': p[w++] = '\t'; break;
		case 'v': p[w++] = '\v'; break;
		case 'x':
			if (i + 1 < len && hex_digit(p[i + 1]) >= 0) {
				int v = hex_digit(p[++i]);
				if (i + 1 < len && hex_digit(p[i + 1]) >= 0)
					v = v * 16 + hex_digit(p[++i]);
				p[w++] = (char)v;
			} else {
				p[w++] = 'x';
			}
			break;
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0';
				for (int k = 0; k < 2 && i + 1 < len && p[i + 1] >= '0' && p[i + 1] <= '7'; k++)
					v = v * 8 + (p[++i] - '0');
				p[w++] = (char)v;
			} else {
				p[w++] = c;
			}
		}
	}
	return w;
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
		const char *eol = k + 1 < b->n ? first + (b->offsets[k + 1] - b->offsets[0]) - 1
		                               : j->end[-1] == '\n' ? j->end - 1 : j->end;
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
				if (j->r->pgtext && !(fe - p == 2 && p[0] == '\\' && p[1] == 'N'))
					f[n].len = (uint32_t)pg_unescape((char *)(uintptr_t)p, (size_t)(fe - p)) | ICE_CSV_QUOTED;
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
	if (r->lines || r->json_array || r->delim == '\n' || (r->delim == '"' && !r->pgtext))
		return 0;
	/* the whole lines in the buffer, without a quote among them (quotes
	 * mean nothing in PostgreSQL's text format; its last line may lack
	 * the newline) */
	const char *last = end;
	while (last > p && last[-1] != '\n')
		last--;
	if (r->pgtext && r->eof)
		last = end;
	if (last == p || (!r->pgtext && memchr(p, '"', (size_t)(last - p))))
		return 0;
	size_t n = 0;
	const char *q = p;
	r->start_block = r->start;
	while (q < last && n < max_records) {
		if (n == b->cap && (rc = block_grow(b, ncols)) != 0)
			return rc;
		b->offsets[n] = r->offset + (q - p);
		b->lines[n] = r->line + (int64_t)n;
		const char *nl = memchr(q, '\n', (size_t)(last - q));
		const char *next = nl ? nl + 1 : last;
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
	b->nextra = 0;
	for (size_t k = 0; k < n; k++) {
		b->extra_at[k] = UINT32_MAX;
		if (b->counts[k] <= ncols)
			continue;
		/* the fields past ncols, found again (a wrong record: rare) */
		const char *first = r->buf + r->start_block;
		const char *lp = first + (b->offsets[k] - b->offsets[0]);
		const char *eol = k + 1 < n ? first + (b->offsets[k + 1] - b->offsets[0]) - 1 : last[-1] == '\n' ? last - 1 : last;
		if (eol > lp && eol[-1] == '\r')
			eol--;
		size_t f = 0;
		for (const char *fp = lp;; f++) {
			const char *d = memchr(fp, r->delim, (size_t)(eol - fp));
			const char *fe = d ? d : eol;
			if (f >= ncols && (rc = push_extra(b, k, fp, (size_t)(fe - fp), r->pgtext)) != 0)
				return rc;
			if (!d)
				break;
			fp = d + 1;
		}
	}
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
				return at_end(r);
			if ((rc = fill(r)) != 0)
				return rc;
			continue;
		}
		if (!r->eof && !r->json_array && !memchr(r->buf + r->start, '\n', r->end - r->start)) {
			if ((rc = fill(r)) != 0)
				return rc;
			continue;
		}
		break;
	}
	/* A read gives at most RAW_CHUNK bytes: read on until the buffer is
	 * at least half full, so that a block holds max_records records rather
	 * than the few hundred one read brought (every block costs a pass per
	 * column and per partition downstream). */
	while (!r->eof && !r->json_array && r->end - r->start < r->cap / 2)
		if ((rc = fill(r)) != 0)
			return rc;
	bool done;
	if ((rc = fast_block(r, b, ncols, max_records, workers, &done)) != 0 || done)
		return rc;
	b->base = r->buf;
	b->nextra = 0;
	while (b->n < max_records) {
		csv_record rec;
		if (r->start == r->end) {
			if (b->n > 0)
				break;
			/* what was read so far (a JSON array's opening bracket) made
			 * no record: the input ends here or goes on */
			if (r->eof)
				return at_end(r);
			if ((rc = fill(r)) != 0)
				return rc;
			b->base = r->buf;
			continue;
		}
		rc = parse_record(r, &rec);
		if (rc < 0)
			return rc;
		if (rc == 2) {
			if (b->n > 0)
				break;
			return ICE_ITEROVER;
		}
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
		b->extra_at[b->n] = UINT32_MAX;
		for (size_t i = ncols; i < rec.n; i++)
			if ((rc = push_extra(b, b->n, (const char *)rec.fields[i].data, rec.fields[i].len, rec.quoted[i])) != 0)
				return rc;
		b->lines[b->n] = rec.line;
		b->offsets[b->n] = rec.offset;
		b->n++;
	}
	b->end_offset = r->offset;
	return 0;
}
