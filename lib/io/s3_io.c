/*
 * io/s3_io.c - FileIO on S3: the ice_input and ice_output of io.h over the
 * S3 client (s3.c), and listing, stat, deletion for io.c to dispatch to.
 *
 * Inputs hold blocks of the object in memory. How an input starts depends
 * on what its opener knows and wants: a whole small file (metadata, Avro
 * manifests) is fetched in one GET at open; a Parquet file fetches its last
 * 64 KiB (footer and usually its whole metadata) in one request, which also
 * tells the size when the opener does not know it; otherwise a HEAD gives
 * the size. Reads are served from blocks; a read no block covers fetches a
 * block of at least 256 KiB from where it starts. prefetch() takes the
 * byte ranges a decoder is about to need (the column chunks of a row group),
 * merges ranges less than 8 KiB apart, splits them into pieces of at most
 * 16 MiB and starts them all in parallel on the HTTP pool, as far as the
 * read-ahead budget (s3.read-ahead-bytes) allows; reads wait for the piece
 * they need. A Parquet scan hands over the chunks of the row group it
 * opens and of the row groups after it, so ranges stay in flight while it
 * decodes. Blocks least recently used are dropped to stay in budget, for
 * read-ahead only blocks read to their end (what was fetched ahead and not
 * read yet stays; the rest of the read-ahead waits for room).
 *
 * Outputs: publishing outputs (create_output_noreplace) keep their bytes in
 * memory and are PUT with If-None-Match: * on close. Others keep their
 * first MiB in memory (most manifests fit: one PUT from memory) and spill
 * to an unlinked staging file; once a file reaches threshold x part size
 * it becomes a multipart upload whose parts are uploaded from their
 * staging files while writing goes on, at most s3.multipart.num-threads
 * in flight, so memory stays small however many files are open. Any
 * failure aborts the upload, so no parts are left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "s3.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/uri.h"

#define TAIL_BYTES ((uint64_t)64 << 10)
#define READ_MIN ((uint64_t)256 << 10)
#define HOLE_MAX ((uint64_t)8 << 10)
#define PIECE_MAX ((uint64_t)16 << 20)
#define WHOLE_MAX ((uint64_t)256 << 20)
#define MEMORY_FIRST ((size_t)1 << 20)

/* ---- inputs ------------------------------------------------------------------------ */

typedef struct block {
	uint64_t off, len;
	uint8_t *data;
	ice_s3_get get;
	bool pending;
	uint64_t used; /* last use, for eviction */
	uint64_t done; /* bytes from off on read already (reads go forward) */
	struct block *next;
} block;

typedef struct s3_input {
	ice_input base;
	pthread_mutex_t mu; /* a Parquet scan may read columns on several threads */
	ice_s3 *s3;
	char *object; /* the mapped location requests go to */
	block *blocks;
	uint64_t held;
	uint64_t budget;
	uint64_t clock;
} s3_input;

static void block_free(block *b)
{
	ice__free(b->data);
	ice__free(b);
}

/* Waits for a block still in flight; 0 or its error. */
static int block_ready(s3_input *in, block *b)
{
	int rc = 0;
	if (b->pending) {
		b->pending = false;
		rc = ice_s3__get_finish(in->s3, &b->get);
	}
	return rc;
}

static void unlink_block(s3_input *in, block *b)
{
	for (block **pp = &in->blocks; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	in->held -= b->len;
}

static void drop_block(s3_input *in, block *b)
{
	unlink_block(in, b);
	if (b->pending) {
		b->pending = false;
		ice_s3__get_finish(in->s3, &b->get);
	}
	block_free(b);
}

/* Drops least recently used finished blocks until `need` more bytes fit:
 * for a read, any; for read-ahead (`ahead`), only blocks read to their end,
 * so fetching ahead never throws away what was fetched and not read yet. */
static void make_room(s3_input *in, uint64_t need, bool ahead)
{
	while (in->held + need > in->budget) {
		block *victim = NULL;
		for (block *b = in->blocks; b; b = b->next)
			if (!b->pending && (!ahead || b->done >= b->len) && (!victim || b->used < victim->used))
				victim = b;
		if (!victim)
			break;
		drop_block(in, victim);
	}
}

/* Starts fetching [off, off + len) as a block. */
static int start_block(s3_input *in, uint64_t off, uint64_t len, bool suffix, block **out)
{
	block *b = ice__calloc(1, sizeof(*b));
	int rc;
	*out = NULL;
	if (!b || !(b->data = ice__malloc(len ? (size_t)len : 1))) {
		ice__free(b);
		return ICE_ERROR;
	}
	b->off = off;
	b->len = len;
	b->get.location = in->object;
	b->get.offset = off;
	b->get.len = len;
	b->get.dst = b->data;
	b->get.suffix = suffix;
	if ((rc = ice_s3__get_start(in->s3, &b->get)) != 0) {
		block_free(b);
		return rc;
	}
	b->pending = true;
	b->used = ++in->clock;
	b->next = in->blocks;
	in->blocks = b;
	in->held += len;
	*out = b;
	return 0;
}

static block *find_block(s3_input *in, uint64_t off)
{
	for (block *b = in->blocks; b; b = b->next)
		if (off >= b->off && off < b->off + b->len)
			return b;
	return NULL;
}

static int read_locked(s3_input *in, uint64_t offset, void *dst, size_t len);

static int s3_read_at(ice_input *base, uint64_t offset, void *dst, size_t len)
{
	s3_input *in = (s3_input *)base;
	pthread_mutex_lock(&in->mu);
	int rc = read_locked(in, offset, dst, len);
	pthread_mutex_unlock(&in->mu);
	return rc;
}

static int read_locked(s3_input *in, uint64_t offset, void *dst, size_t len)
{
	ice_input *base = &in->base;
	uint8_t *p = dst;
	int rc;
	if (offset > base->size || len > base->size - offset)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
		                      "%s: unexpected end of file: %zu bytes at offset %llu, file has %llu", base->location,
		                      len, (unsigned long long)offset, (unsigned long long)base->size);
	while (len > 0) {
		block *b = find_block(in, offset);
		if (!b) {
			/* Not fetched: a block from here, at least READ_MIN. */
			uint64_t want = len > READ_MIN ? len : READ_MIN;
			if (want > base->size - offset)
				want = base->size - offset;
			make_room(in, want, false);
			if ((rc = start_block(in, offset, want, false, &b)) != 0)
				return rc;
		}
		if ((rc = block_ready(in, b)) != 0) {
			drop_block(in, b);
			return rc;
		}
		b->used = ++in->clock;
		uint64_t avail = b->off + b->len - offset;
		size_t n = avail < len ? (size_t)avail : len;
		memcpy(p, b->data + (offset - b->off), n);
		if (offset - b->off + n > b->done)
			b->done = offset - b->off + n;
		p += n;
		len -= n;
		offset += n;
	}
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const ice_io_range *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int prefetch_locked(s3_input *in, const ice_io_range *ranges, size_t n);

static int s3_prefetch(ice_input *base, const ice_io_range *ranges, size_t n)
{
	s3_input *in = (s3_input *)base;
	pthread_mutex_lock(&in->mu);
	int rc = prefetch_locked(in, ranges, n);
	pthread_mutex_unlock(&in->mu);
	return rc;
}

static int prefetch_locked(s3_input *in, const ice_io_range *ranges, size_t n)
{
	ice_input *base = &in->base;
	ice_io_range *r;
	size_t m = 0;
	int rc = 0;
	if (!n || !in->budget)
		return 0;
	if (!(r = ice__mallocarray(n, sizeof(*r))))
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = ranges[i].offset, len = ranges[i].len;
		if (off >= base->size || !len)
			continue;
		if (len > base->size - off)
			len = base->size - off;
		r[m++] = (ice_io_range){off, len};
	}
	qsort(r, m, sizeof(*r), cmp_range);
	/* Merge what is close. */
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k && r[i].offset <= r[k - 1].offset + r[k - 1].len + HOLE_MAX) {
			uint64_t end = r[i].offset + r[i].len, kend = r[k - 1].offset + r[k - 1].len;
			if (end > kend)
				r[k - 1].len = end - r[k - 1].offset;
		} else {
			r[k++] = r[i];
		}
	}
	/* Start the pieces that are not held, as the budget allows. */
	for (size_t i = 0; i < k && !rc; i++) {
		for (uint64_t off = r[i].offset, end = r[i].offset + r[i].len; off < end && !rc;) {
			uint64_t len = end - off < PIECE_MAX ? end - off : PIECE_MAX;
			block *b = find_block(in, off);
			if (b) {
				/* Skip what a block holds already. */
				off = b->off + b->len;
				continue;
			}
			/* Stop before the next held block. */
			for (block *o = in->blocks; o; o = o->next)
				if (o->off > off && o->off < off + len)
					len = o->off - off;
			make_room(in, len, true);
			if (in->held + len > in->budget)
				goto done; /* later: when reads have made room, or on demand */
			rc = start_block(in, off, len, false, &b);
			off += len;
		}
	}
done:
	ice__free(r);
	return rc;
}

static void s3_close(ice_input *base)
{
	s3_input *in = (s3_input *)base;
	while (in->blocks)
		drop_block(in, in->blocks);
	ice__free(in->object);
	ice__free(base->location);
	pthread_mutex_destroy(&in->mu);
	ice__free(in);
}

static const ice_input_ops s3_input_ops = {s3_read_at, s3_close, s3_prefetch};

int ice_s3_io__open_input(ice_input **out, ice_s3 *s3, const char *object, const char *location, uint64_t size,
                          int hint)
{
	s3_input *in = ice__calloc(1, sizeof(*in));
	int rc = 0;
	*out = NULL;
	if (!in || !(in->object = ice__strdup(object)) || !(in->base.location = ice__strdup(location))) {
		if (in)
			ice__free(in->object);
		ice__free(in);
		return ICE_ERROR;
	}
	pthread_mutex_init(&in->mu, NULL);
	in->base.ops = &s3_input_ops;
	in->base.remote = true;
	in->s3 = s3;
	in->budget = ice_s3__config(s3)->read_ahead;
	if (in->budget < 2 * TAIL_BYTES)
		in->budget = 2 * TAIL_BYTES;
	if (hint == ICE_IO_WHOLE && (size == ICE_IO_SIZE_UNKNOWN || size <= WHOLE_MAX)) {
		/* One GET for everything. */
		block *b = ice__calloc(1, sizeof(*b));
		size_t len = 0;
		if (!b) {
			rc = ICE_ERROR;
		} else if ((rc = ice_s3__get_all(s3, object, (size_t)WHOLE_MAX, &b->data, &len)) == 0) {
			b->len = len;
			b->next = NULL;
			in->blocks = b;
			in->held = len;
			in->base.size = len;
			if (in->budget < len)
				in->budget = len;
		} else {
			ice__free(b);
		}
	} else if (hint == ICE_IO_TAIL) {
		/* The last 64 KiB in one request (a suffix range tells the size). */
		block *b = NULL;
		if (size == ICE_IO_SIZE_UNKNOWN) {
			if ((rc = start_block(in, 0, TAIL_BYTES, true, &b)) == 0 && (rc = block_ready(in, b)) == 0) {
				in->base.size = b->get.size;
				if (b->get.size == UINT64_MAX || b->get.got > b->get.size)
					rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: the answer did not tell the size",
					                    location);
				else {
					/* The block holds the last `got` bytes. */
					in->held -= b->len;
					b->len = b->get.got;
					b->off = b->get.size - b->get.got;
					in->held += b->len;
				}
			}
		} else {
			in->base.size = size;
			uint64_t n = size < TAIL_BYTES ? size : TAIL_BYTES;
			if (n)
				rc = start_block(in, size - n, n, false, &b);
		}
	} else if (size == ICE_IO_SIZE_UNKNOWN) {
		ice_s3_object o;
		if ((rc = ice_s3__head(s3, object, &o)) == 0)
			in->base.size = o.size;
	} else {
		in->base.size = size;
	}
	if (rc) {
		s3_close(&in->base);
		return rc;
	}
	*out = &in->base;
	return 0;
}

/* ---- outputs ---------------------------------------------------------------------- */

typedef struct staged_part {
	ice_s3_part part;
	int fd;
	bool running;
} staged_part;

typedef struct s3_output {
	ice_output base;
	ice_s3 *s3;
	char *object;
	bool noreplace;
	ice_buf mem;       /* the first bytes (all of them for noreplace) */
	int fd;            /* the staging file of the current part, or -1 */
	uint64_t staged;   /* bytes in it */
	char *upload_id;
	staged_part *parts;
	size_t nparts, cap;
	size_t first_running; /* parts before this have finished */
	int error;
} s3_output;

static int64_t read_staged(void *payload, uint64_t offset, void *buf, size_t len)
{
	staged_part *sp = payload;
	for (;;) {
		ssize_t n = pread(sp->fd, buf, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ice_error__os("staging file", "read");
		return n;
	}
}

static int open_staging(s3_output *o)
{
	const char *dir = ice_s3__config(o->s3)->staging_dir;
	if (!dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	o->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (o->fd < 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/ice-s3-part-XXXXXX", dir);
		o->fd = mkstemp(path);
		if (o->fd >= 0)
			unlink(path);
	}
	if (o->fd < 0)
		return ice_error__os(dir, "create a staging file");
	o->staged = 0;
	return 0;
}

static int write_fd(s3_output *o, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(o->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ice_error__os("staging file", "write");
		p += n;
		len -= (size_t)n;
		o->staged += (uint64_t)n;
	}
	return 0;
}

/* Waits for running parts until at most `keep` run. */
static int wait_parts(s3_output *o, size_t keep)
{
	int rc = 0;
	while (o->first_running < o->nparts && o->nparts - o->first_running > keep) {
		staged_part *sp = &o->parts[o->first_running++];
		if (!sp->running)
			continue;
		sp->running = false;
		int prc = ice_s3__part_finish(o->s3, &sp->part);
		close(sp->fd);
		sp->fd = -1;
		if (prc && !rc)
			rc = prc;
	}
	return rc;
}

/* Uploads the current staging file as the next part. */
static int ship_part(s3_output *o)
{
	const ice_s3_config *cfg = ice_s3__config(o->s3);
	int rc;
	if (!o->upload_id && (rc = ice_s3__multipart_create(o->s3, o->object, &o->upload_id)) != 0)
		return rc;
	if (o->nparts >= 10000)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: more than 10,000 parts (raise s3.multipart.part-size)",
		                      o->base.location);
	if (o->nparts == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 16;
		staged_part *np = ice__reallocarray(o->parts, ncap, sizeof(*np));
		if (!np)
			return ICE_ERROR;
		o->parts = np;
		o->cap = ncap;
	}
	if ((rc = wait_parts(o, (size_t)(cfg->parts_in_flight > 0 ? cfg->parts_in_flight - 1 : 0))) != 0)
		return rc;
	staged_part *sp = &o->parts[o->nparts];
	memset(sp, 0, sizeof(*sp));
	sp->fd = o->fd;
	o->fd = -1;
	sp->part.number = (int)o->nparts + 1;
	sp->part.body.read = read_staged;
	sp->part.body.payload = sp;
	sp->part.body.len = o->staged;
	o->nparts++;
	if ((rc = ice_s3__part_start(o->s3, o->object, o->upload_id, &sp->part)) != 0)
		return rc;
	sp->running = true;
	return 0;
}

static int s3_write(ice_output *base, const void *data, size_t len)
{
	s3_output *o = (s3_output *)base;
	const ice_s3_config *cfg = ice_s3__config(o->s3);
	const uint8_t *p = data;
	int rc;
	if (o->error)
		return ice_error__set(o->error, ICE_ERRCLASS_IO, "%s: an earlier write failed", base->location);
	if (o->noreplace || (o->fd < 0 && !o->upload_id && o->mem.len + len <= MEMORY_FIRST)) {
		if ((rc = ice_buf__put(&o->mem, data, len)) != 0)
			return o->error = rc;
		base->written += len;
		return 0;
	}
	if (o->fd < 0 && (rc = open_staging(o)) != 0)
		return o->error = rc;
	if (o->mem.len) {
		if ((rc = write_fd(o, o->mem.ptr, o->mem.len)) != 0)
			return o->error = rc;
		ice_buf__free(&o->mem);
	}
	while (len > 0) {
		/* The first part waits for the threshold; later ones ship at part size. */
		uint64_t limit = o->upload_id ? cfg->part_size : (uint64_t)((double)cfg->part_size * cfg->threshold);
		uint64_t room = o->staged < limit ? limit - o->staged : 0;
		size_t n = room < len ? (size_t)room : len;
		if (n && (rc = write_fd(o, p, n)) != 0)
			return o->error = rc;
		p += n;
		len -= n;
		base->written += n;
		if (o->staged >= limit) {
			if ((rc = ship_part(o)) != 0 || (rc = open_staging(o)) != 0)
				return o->error = rc;
		}
	}
	return 0;
}

static void output_free(s3_output *o)
{
	for (size_t i = 0; i < o->nparts; i++)
		if (o->parts[i].fd >= 0)
			close(o->parts[i].fd);
	if (o->fd >= 0)
		close(o->fd);
	ice__free(o->parts);
	ice__free(o->upload_id);
	ice_buf__free(&o->mem);
	ice__free(o->object);
	ice__free(o->base.location);
	ice__free(o);
}

/* Abandons everything: running parts collected, the upload aborted. */
static void s3_abort(ice_output *base)
{
	s3_output *o = (s3_output *)base;
	ice_error_saved saved;
	ice_error__save(&saved);
	wait_parts(o, 0);
	if (o->upload_id)
		ice_s3__multipart_abort(o->s3, o->object, o->upload_id);
	ice_error__restore(&saved);
	output_free(o);
}

static int publish(s3_output *o)
{
	bool unsafe = false;
	ice_s3_body body = {o->mem.ptr ? o->mem.ptr : "", NULL, NULL, o->mem.len, NULL};
	int rc = ice_s3__check_conditional(o->s3, o->object, &unsafe);
	if (rc)
		return rc;
	if (unsafe) {
		/* The user accepted racing writers: look, then write. */
		ice_s3_object obj;
		rc = ice_s3__head(o->s3, o->object, &obj);
		if (rc == 0)
			return ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", o->base.location);
		if (rc != ICE_ENOTFOUND)
			return rc;
		ice_error_clear();
		return ice_s3__put(o->s3, o->object, &body, false);
	}
	return ice_s3__put(o->s3, o->object, &body, true);
}

static int s3_output_close(ice_output *base)
{
	s3_output *o = (s3_output *)base;
	int rc = o->error;
	if (rc) {
		rc = ice_error__set(rc, ICE_ERRCLASS_IO, "%s: an earlier write failed", base->location);
		s3_abort(base);
		return rc;
	}
	if (o->noreplace) {
		rc = publish(o);
	} else if (!o->upload_id && o->fd < 0) {
		ice_s3_body body = {o->mem.ptr ? o->mem.ptr : "", NULL, NULL, o->mem.len, NULL};
		rc = ice_s3__put(o->s3, o->object, &body, false);
	} else if (!o->upload_id) {
		/* Below the threshold: one PUT from the staging file. */
		staged_part sp;
		memset(&sp, 0, sizeof(sp));
		sp.fd = o->fd;
		ice_s3_body body = {NULL, read_staged, &sp, o->staged, NULL};
		rc = ice_s3__put(o->s3, o->object, &body, false);
	} else {
		ice_s3_part *parts = NULL;
		if (o->staged > 0 || o->nparts == 0)
			rc = ship_part(o);
		if (!rc)
			rc = wait_parts(o, 0);
		if (!rc && !(parts = ice__mallocarray(o->nparts, sizeof(*parts))))
			rc = ICE_ERROR;
		for (size_t i = 0; !rc && i < o->nparts; i++)
			parts[i] = o->parts[i].part;
		if (!rc)
			rc = ice_s3__multipart_complete(o->s3, o->object, o->upload_id, parts, o->nparts);
		ice__free(parts);
		if (rc) {
			s3_abort(base);
			return rc;
		}
	}
	output_free(o);
	return rc;
}

static const ice_output_ops s3_output_ops = {s3_write, s3_output_close, s3_abort};

int ice_s3_io__create_output(ice_output **out, ice_s3 *s3, const char *object, const char *location, bool noreplace)
{
	s3_output *o = ice__calloc(1, sizeof(*o));
	ice_s3_path p;
	int rc;
	*out = NULL;
	if (!o)
		return ICE_ERROR;
	o->fd = -1;
	ice_buf__init(&o->mem, noreplace ? (size_t)1 << 30 : ICE_BUF_DEFAULT_LIMIT);
	if ((rc = ice_s3__parse(&p, object)) != 0) {
		ice__free(o);
		return rc;
	}
	bool dir = !*p.key || p.key[strlen(p.key) - 1] == '/';
	ice_s3_path__free(&p);
	if (dir) {
		ice__free(o);
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: not a file name", location);
	}
	if (!(o->object = ice__strdup(object)) || !(o->base.location = ice__strdup(location))) {
		output_free(o);
		return ICE_ERROR;
	}
	o->base.ops = &s3_output_ops;
	o->s3 = s3;
	o->noreplace = noreplace;
	*out = &o->base;
	return 0;
}

/* ---- listing and metadata ------------------------------------------------------------ */

typedef struct list_state {
	ice_arena *arena;
	ice_dir_entry *entries;
	size_t n, cap;
	size_t seen;
} list_state;

static int collect_entry(const ice_s3_entry *e, void *payload)
{
	list_state *st = payload;
	st->seen++;
	if (st->n == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 32;
		ice_dir_entry *ne = ice_arena__allocarray(st->arena, ncap, sizeof(*ne));
		if (!ne)
			return ICE_ERROR;
		if (st->n)
			memcpy(ne, st->entries, st->n * sizeof(*ne));
		st->entries = ne;
		st->cap = ncap;
	}
	ice_dir_entry *d = &st->entries[st->n];
	if (!(d->name = ice_arena__strdup(st->arena, e->name)))
		return ICE_ERROR;
	d->is_dir = e->is_prefix;
	d->size = e->size;
	d->mtime_ms = e->mtime_ms;
	st->n++;
	return 0;
}

int ice_s3_io__list(ice_s3 *s3, const char *object, const char *location, ice_arena *arena,
                    ice_dir_entry **entries_out, size_t *n_out)
{
	list_state st = {arena, NULL, 0, 0, 0};
	int rc = ice_s3__list(s3, object, true, 0, collect_entry, &st);
	*entries_out = NULL;
	*n_out = 0;
	if (rc)
		return rc;
	if (st.seen == 0)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: list: no such directory", location);
	*entries_out = st.entries;
	*n_out = st.n;
	return 0;
}

static int one_is_enough(const ice_s3_entry *e, void *payload)
{
	(void)e;
	*(bool *)payload = true;
	return 1; /* stop */
}

int ice_s3_io__stat(ice_s3 *s3, const char *object, bool *exists_out, bool *is_dir_out)
{
	ice_s3_object o;
	ice_s3_path p;
	bool any = false;
	int rc;
	*exists_out = false;
	if (is_dir_out)
		*is_dir_out = false;
	if ((rc = ice_s3__parse(&p, object)) != 0)
		return rc;
	bool bucket_only = !*p.key;
	ice_s3_path__free(&p);
	if (!bucket_only) {
		rc = ice_s3__head(s3, object, &o);
		if (rc == 0) {
			*exists_out = true;
			return 0;
		}
		if (rc != ICE_ENOTFOUND)
			return rc;
		ice_error_clear();
	}
	/* A "directory": anything under key/. */
	rc = ice_s3__list(s3, object, false, 1, one_is_enough, &any);
	if (rc == 1)
		rc = 0;
	if (rc == ICE_ENOTFOUND && !bucket_only) {
		ice_error_clear(); /* no such bucket: nothing exists */
		return 0;
	}
	if (rc)
		return rc;
	*exists_out = any || bucket_only;
	if (is_dir_out)
		*is_dir_out = *exists_out;
	return 0;
}

typedef struct walk_state {
	const char *location; /* as the caller named the directory */
	ice_io_list_fn fn;
	void *payload;
	size_t seen;
} walk_state;

static int walk_entry(const ice_s3_entry *e, void *payload)
{
	walk_state *w = payload;
	char *child = ice_uri__join(w->location, e->name);
	int rc;
	w->seen++;
	if (!child)
		return ICE_ERROR;
	ice_io_file_info info = {child, e->size, e->mtime_ms};
	rc = w->fn(&info, w->payload);
	ice__free(child);
	return rc;
}

int ice_s3_io__list_recursive(ice_s3 *s3, const char *object, const char *location, ice_io_list_fn fn,
                              void *payload)
{
	size_t n = strlen(location);
	char *loc = ice__strndup(location, n && location[n - 1] == '/' ? n - 1 : n);
	walk_state w = {loc, fn, payload, 0};
	int rc;
	if (!loc)
		return ICE_ERROR;
	rc = ice_s3__list(s3, object, false, 0, walk_entry, &w);
	if (!rc && w.seen == 0)
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such directory", location);
	ice__free(loc);
	return rc;
}
