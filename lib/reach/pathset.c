/*
 * reach/pathset.c - exact sets of paths in bounded memory.
 *
 * A table of a million files names a million paths of 60 to 200 bytes;
 * keeping them all as strings is what makes maintenance tools need
 * gigabytes. Here each entry is its 64-bit hash and the place of its
 * string (16 bytes), indexed by an open-addressing table of 32-bit entry
 * numbers. Strings are appended to 1 MiB chunks in memory until the budget
 * is used, then to an unlinked temporary file (written in 1 MiB blocks,
 * read back with pread). Every lookup compares the string itself after
 * the hash matched, so the set is exact, and a string is read from the
 * file only for a real match (or a 64-bit hash collision). A million
 * paths cost about 28 MB of entries and index whatever their length.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reach.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hashmap.h"

#define CHUNK_SIZE ((size_t)1 << 20)
#define WRITE_BUFFER ((size_t)1 << 20)
#define DEFAULT_MEMORY ((size_t)64 << 20)
#define LEN_BITS 16
#define NO_SPILL UINT64_MAX

typedef struct entry {
	uint64_t hash;
	uint64_t where; /* logical offset << 16 | length */
} entry;

struct ice_pathset {
	entry *entries;
	uint8_t *tags;
	uint8_t *marks;
	size_t n, cap;
	uint32_t *slots; /* entry number + 1; 0 is empty */
	size_t nslots;   /* a power of two */
	char **chunks;
	size_t nchunks, chunk_used;
	size_t memory_bytes;
	uint64_t spill_base; /* logical offset of the file's byte 0, or NO_SPILL */
	int fd;
	uint64_t file_len;   /* bytes written to the file */
	char *wbuf;          /* bytes after file_len, not written yet */
	size_t wlen;
	bool sealed;
};

int ice_pathset__new(ice_pathset **out, size_t memory_bytes)
{
	ice_pathset *s = ice__calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return ICE_ERROR;
	s->memory_bytes = memory_bytes ? memory_bytes : DEFAULT_MEMORY;
	if (s->memory_bytes < CHUNK_SIZE)
		s->memory_bytes = CHUNK_SIZE;
	s->spill_base = NO_SPILL;
	s->fd = -1;
	*out = s;
	return 0;
}

void ice_pathset__free(ice_pathset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nchunks; i++)
		ice__free(s->chunks[i]);
	ice__free(s->chunks);
	ice__free(s->entries);
	ice__free(s->tags);
	ice__free(s->marks);
	ice__free(s->slots);
	ice__free(s->wbuf);
	if (s->fd >= 0)
		close(s->fd);
	ice__free(s);
}

/* ---- the string store ------------------------------------------------------ */

static int open_spill(ice_pathset *s)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/ice-paths-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		return ice_error__os(path, "create temporary file for paths");
	unlink(path);
	if (!(s->wbuf = ice__malloc(WRITE_BUFFER))) {
		close(fd);
		return ICE_ERROR;
	}
	s->fd = fd;
	s->spill_base = (uint64_t)s->nchunks * CHUNK_SIZE;
	return 0;
}

static int flush(ice_pathset *s)
{
	size_t done = 0;
	while (done < s->wlen) {
		ssize_t w = pwrite(s->fd, s->wbuf + done, s->wlen - done, (off_t)(s->file_len + done));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ice_error__os("temporary file of paths", "write");
		}
		done += (size_t)w;
	}
	s->file_len += s->wlen;
	s->wlen = 0;
	return 0;
}

/* Store a string; its logical offset in *off_out. */
static int store(ice_pathset *s, const char *key, size_t len, uint64_t *off_out)
{
	int rc;
	if (s->spill_base == NO_SPILL) {
		if (s->nchunks && s->chunk_used + len <= CHUNK_SIZE) {
			memcpy(s->chunks[s->nchunks - 1] + s->chunk_used, key, len);
			*off_out = (uint64_t)(s->nchunks - 1) * CHUNK_SIZE + s->chunk_used;
			s->chunk_used += len;
			return 0;
		}
		if ((s->nchunks + 1) * CHUNK_SIZE <= s->memory_bytes) {
			char **chunks = ice__reallocarray(s->chunks, s->nchunks + 1, sizeof(char *));
			if (!chunks)
				return ICE_ERROR;
			s->chunks = chunks;
			if (!(chunks[s->nchunks] = ice__malloc(CHUNK_SIZE)))
				return ICE_ERROR;
			s->nchunks++;
			s->chunk_used = 0;
			return store(s, key, len, off_out);
		}
		if ((rc = open_spill(s)) != 0)
			return rc;
	}
	if (s->wlen + len > WRITE_BUFFER && (rc = flush(s)) != 0)
		return rc;
	memcpy(s->wbuf + s->wlen, key, len);
	*off_out = s->spill_base + s->file_len + s->wlen;
	s->wlen += len;
	return 0;
}

/* Read `len` bytes of stored string data at logical offset `off`. */
static int load(const ice_pathset *s, uint64_t off, char *dst, size_t len)
{
	if (off < s->spill_base) {
		memcpy(dst, s->chunks[off / CHUNK_SIZE] + off % CHUNK_SIZE, len);
		return 0;
	}
	uint64_t fo = off - s->spill_base;
	if (fo >= s->file_len) {
		memcpy(dst, s->wbuf + (fo - s->file_len), len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(s->fd, dst + done, len - done, (off_t)(fo + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ice_error__os("temporary file of paths", "read");
		}
		if (r == 0)
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "temporary file of paths: truncated");
		done += (size_t)r;
	}
	return 0;
}

/* Whether entry e holds `key`: 1, 0, or an error. */
static int equal(const ice_pathset *s, const entry *e, const char *key, size_t len)
{
	uint64_t off = e->where >> LEN_BITS;
	if ((e->where & ((1u << LEN_BITS) - 1)) != len)
		return 0;
	if (off < s->spill_base)
		return memcmp(s->chunks[off / CHUNK_SIZE] + off % CHUNK_SIZE, key, len) == 0;
	char piece[4096];
	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(piece) ? len - done : sizeof(piece);
		int rc = load(s, off + done, piece, n);
		if (rc)
			return rc;
		if (memcmp(piece, key + done, n) != 0)
			return 0;
		done += n;
	}
	return 1;
}

/* ---- the index ---------------------------------------------------------------- */

/* The slot holding `key`, or the empty slot where it would go: *slot_out.
 * Returns 1 when found, 0 when not, or an error. */
static int probe(const ice_pathset *s, uint64_t h, const char *key, size_t len, size_t *slot_out)
{
	size_t mask = s->nslots - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint32_t v = s->slots[i];
		if (!v) {
			*slot_out = i;
			return 0;
		}
		const entry *e = &s->entries[v - 1];
		if (e->hash == h) {
			int eq = equal(s, e, key, len);
			if (eq) {
				*slot_out = i;
				return eq;
			}
		}
	}
}

static int grow_index(ice_pathset *s)
{
	size_t nslots = s->nslots ? s->nslots * 2 : 1024;
	uint32_t *slots = ice__calloc(nslots, sizeof(uint32_t));
	if (!slots)
		return ICE_ERROR;
	for (size_t k = 0; k < s->n; k++) {
		size_t i = (size_t)s->entries[k].hash & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)(k + 1);
	}
	ice__free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	return 0;
}

static int grow_entries(ice_pathset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	entry *e = ice__reallocarray(s->entries, cap, sizeof(entry));
	if (!e)
		return ICE_ERROR;
	s->entries = e;
	uint8_t *t = ice__realloc(s->tags, cap);
	if (!t)
		return ICE_ERROR;
	s->tags = t;
	uint8_t *m = ice__realloc(s->marks, cap);
	if (!m)
		return ICE_ERROR;
	s->marks = m;
	s->cap = cap;
	return 0;
}

int ice_pathset__add(ice_pathset *s, const char *key, size_t len, uint8_t tag, size_t *index_out, bool *added_out)
{
	size_t slot;
	uint64_t off;
	int rc;
	if (added_out)
		*added_out = false;
	if (s->sealed)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "path set: adding after sealing");
	if (len > ICE_PATHSET_MAX_KEY)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%.200s...: path longer than %d bytes", key,
		                      ICE_PATHSET_MAX_KEY);
	if ((s->n + 1) * 2 > s->nslots && (rc = grow_index(s)) != 0)
		return rc;
	if (s->n >= UINT32_MAX - 1)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "path set: more than 4 billion paths");
	uint64_t h = ice_hash__bytes(key, len);
	if ((rc = probe(s, h, key, len, &slot)) < 0)
		return rc;
	if (rc == 1) {
		if (index_out)
			*index_out = s->slots[slot] - 1;
		return 0;
	}
	if (s->n == s->cap && (rc = grow_entries(s)) != 0)
		return rc;
	if ((rc = store(s, key, len, &off)) != 0)
		return rc;
	s->entries[s->n].hash = h;
	s->entries[s->n].where = off << LEN_BITS | len;
	s->tags[s->n] = tag;
	s->marks[s->n] = 0;
	s->slots[slot] = (uint32_t)(s->n + 1);
	if (index_out)
		*index_out = s->n;
	if (added_out)
		*added_out = true;
	s->n++;
	return 0;
}

int ice_pathset__seal(ice_pathset *s)
{
	int rc = 0;
	if (!s->sealed && s->fd >= 0 && s->wlen)
		rc = flush(s);
	s->sealed = true;
	return rc;
}

int ice_pathset__find(const ice_pathset *s, const char *key, size_t len, size_t *index_out)
{
	size_t slot;
	if (!s->n || len > ICE_PATHSET_MAX_KEY)
		return ICE_ENOTFOUND;
	int rc = probe(s, ice_hash__bytes(key, len), key, len, &slot);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return ICE_ENOTFOUND;
	if (index_out)
		*index_out = s->slots[slot] - 1;
	return 0;
}

size_t ice_pathset__count(const ice_pathset *s)
{
	return s->n;
}

uint8_t ice_pathset__tag(const ice_pathset *s, size_t i)
{
	return s->tags[i];
}

void ice_pathset__mark(ice_pathset *s, size_t i, uint8_t bits)
{
	__atomic_fetch_or(&s->marks[i], bits, __ATOMIC_RELAXED);
}

uint8_t ice_pathset__marks(const ice_pathset *s, size_t i)
{
	return __atomic_load_n(&s->marks[i], __ATOMIC_RELAXED);
}

int ice_pathset__key(const ice_pathset *s, size_t i, char *buf, size_t *len_out)
{
	size_t len = (size_t)(s->entries[i].where & ((1u << LEN_BITS) - 1));
	int rc = load(s, s->entries[i].where >> LEN_BITS, buf, len);
	if (rc)
		return rc;
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return 0;
}

uint64_t ice_pathset__spilled(const ice_pathset *s)
{
	return s->fd >= 0 ? s->file_len + s->wlen : 0;
}
