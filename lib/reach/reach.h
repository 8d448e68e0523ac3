/*
 * reach/reach.h - what a table's metadata reaches, for the operations that
 * delete or rewrite files (expiry, orphan removal, compaction, drop
 * --purge): exact sets of paths whose memory is bounded, manifest lists and
 * manifests read each at most once on worker threads, and deleting files
 * in parallel through io's containment guard, counted by kind.
 */
#ifndef ICE_REACH_REACH_H
#define ICE_REACH_REACH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ice/maintain.h"
#include "ice/manifest.h"
#include "ice/table_metadata.h"

/* ---- path sets (pathset.c) ---------------------------------------------------
 *
 * A set of strings (paths) with a small tag and atomic mark bits per entry.
 * Each entry costs 16 bytes (a 64-bit hash and where its string is) plus 4
 * to 8 bytes of index; the strings themselves stay in memory up to a budget
 * and go to an unlinked temporary file beyond it, so lookups are always
 * exact (the hash finds candidates, the string decides) while memory is
 * bounded by the number of paths. Adding is single-threaded (callers lock);
 * after ice_pathset__seal, finding, marking and reading entries may run on
 * any number of threads.
 */
typedef struct ice_pathset ice_pathset;

#define ICE_PATHSET_MAX_KEY 65535

/* `memory_bytes`: string bytes kept in memory (0: 64 MiB). */
int ice_pathset__new(ice_pathset **out, size_t memory_bytes);
void ice_pathset__free(ice_pathset *s);
/* Add `key` (len bytes) unless present. *index_out (may be NULL) receives
 * its entry; *added_out (may be NULL) whether it is new. A present key
 * keeps its first tag. ICE_EINVALID for a key over ICE_PATHSET_MAX_KEY. */
int ice_pathset__add(ice_pathset *s, const char *key, size_t len, uint8_t tag, size_t *index_out, bool *added_out);
/* Finish adding (flushes what is spilled); adding afterwards is an error. */
int ice_pathset__seal(ice_pathset *s);
/* 0 and *index_out when present, ICE_ENOTFOUND when not, or an I/O error
 * reading spilled strings. */
int ice_pathset__find(const ice_pathset *s, const char *key, size_t len, size_t *index_out);
size_t ice_pathset__count(const ice_pathset *s);
uint8_t ice_pathset__tag(const ice_pathset *s, size_t i);
/* Mark bits (OR-ed in atomically) and reading them. */
void ice_pathset__mark(ice_pathset *s, size_t i, uint8_t bits);
uint8_t ice_pathset__marks(const ice_pathset *s, size_t i);
/* The key of entry i, NUL-terminated, in `buf` (at least
 * ICE_PATHSET_MAX_KEY + 1 bytes). */
int ice_pathset__key(const ice_pathset *s, size_t i, char *buf, size_t *len_out);
/* Bytes of strings spilled to the temporary file (0 when none). */
uint64_t ice_pathset__spilled(const ice_pathset *s);

/* ---- running items on threads (parallel.c) ----------------------------------- */

/* Work on item i; called from worker threads. */
typedef int (*ice_reach_item_fn)(void *ctx, size_t i);
/*
 * Run fn for items 0..n-1 on up to `threads` threads (1: on the caller's).
 * The first failure stops the items not started yet; its code and message
 * are raised on the calling thread.
 */
int ice_reach__parallel(size_t n, int threads, ice_reach_item_fn fn, void *ctx);
/* The default number of threads for CPU-bound work (online processors). */
int ice_reach__cpu_threads(void);

/* ---- progress (progress.c) ----------------------------------------------------- */

typedef struct ice_reach_progress {
	ice_maintain_progress_fn fn;
	void *payload;
	pthread_mutex_t mu;
	const char *phase;
	int64_t done, total, last_ms;
} ice_reach_progress;

void ice_reach__progress_init(ice_reach_progress *p, ice_maintain_progress_fn fn, void *payload);
void ice_reach__progress_destroy(ice_reach_progress *p);
/* A new phase (reported at once). */
void ice_reach__progress_phase(ice_reach_progress *p, const char *phase, int64_t total);
/* `n` more done (reported at most every 100 ms, and at the end). */
void ice_reach__progress_add(ice_reach_progress *p, int64_t n);

/* ---- walking metadata (walk.c) ------------------------------------------------ */

/* One manifest to read: what ice_manifest_open needs, copied. */
typedef struct ice_reach_manifest {
	ice_manifest_file mf; /* partition summaries left out */
} ice_reach_manifest;

/*
 * A walk over snapshots: manifest lists read once each (in parallel), the
 * distinct manifests they list collected (each once, by path, across every
 * call on the same walk), then read in parallel with their live entries
 * (added and existing) handed to a callback.
 */
typedef struct ice_reach_walk {
	const ice_io *io;
	const ice_table_metadata *md; /* types what is read; may be NULL */
	int threads;
	ice_reach_progress *progress; /* may be NULL */
	size_t memory_bytes;
	ice_pathset *seen;            /* every manifest path collected */
	ice_reach_manifest *manifests;/* collected, not yet read */
	size_t nmanifests, cap;
	size_t read_upto;             /* manifests[0..read_upto) were read */
	pthread_mutex_t mu;
	struct ice_arena *arena;      /* manifest copies */
	int64_t lists_read, manifests_read;
} ice_reach_walk;

int ice_reach__walk_init(ice_reach_walk *w, const ice_io *io, const ice_table_metadata *md, int threads,
                         size_t memory_bytes, ice_reach_progress *progress);
void ice_reach__walk_free(ice_reach_walk *w);

/* Called for each manifest a list names, from worker threads, serialized:
 * return 1 to collect the manifest for reading (when not seen before), 0
 * to pass. */
typedef int (*ice_reach_manifest_fn)(void *payload, const ice_snapshot *snapshot, const ice_manifest_file *mf);
/*
 * Read the manifest lists of `snapshots` (v1 inline manifest lists too),
 * each distinct list once. For each manifest entry not seen before, `fn`
 * (may be NULL: collect all) decides whether to collect it. A missing list
 * is an error unless `missing_ok` (expired snapshots whose lists are gone).
 */
int ice_reach__read_lists(ice_reach_walk *w, const ice_snapshot *const *snapshots, size_t n, bool missing_ok,
                          ice_reach_manifest_fn fn, void *payload);
/* Whether a manifest path was seen by this walk. */
bool ice_reach__seen(const ice_reach_walk *w, const char *path);

/* A live entry's file, from worker threads, concurrently. */
typedef int (*ice_reach_file_fn)(void *payload, const char *path, ice_file_kind kind);
/*
 * Read every collected manifest not read yet, in parallel; `fn` sees each
 * live entry. A missing manifest is an error unless `missing_ok`.
 */
int ice_reach__read_manifests(ice_reach_walk *w, bool missing_ok, ice_reach_file_fn fn, void *payload);

/* The kind of a content file. */
ice_file_kind ice_reach__content_kind(ice_file_content content);

/* ---- deleting (delete.c) ---------------------------------------------------- */

typedef struct ice_reach_delete_item {
	const char *location;
	ice_file_kind kind;
} ice_reach_delete_item;

/*
 * Delete `items` under `root` (the table location) on `threads` threads,
 * through the containment guard: a location outside `root` is counted as
 * outside and kept; one already gone as missing. With `dry_run` nothing is
 * deleted, but what would be is counted and reported alike. On an object
 * store the deletes go in DeleteObjects batches, a thread per 1,000 items,
 * and a key the store did not refuse counts as deleted (S3 does not say
 * whether it existed). `on_file`
 * (may be NULL) sees every file deleted, serialized. Failures are counted;
 * after the others are done, the first one is returned.
 */
int ice_reach__delete(const ice_io *io, const char *root, const ice_reach_delete_item *items, size_t n, int threads,
                      bool dry_run, ice_maintain_file_fn on_file, void *payload, ice_reach_progress *progress,
                      ice_delete_counts *counts);

#endif
