/*
 * util/arrow.h - Arrow C data interface arrays and schemas owned by the
 * library, for every room that makes them (the Parquet reader's batches,
 * the scan's projected and constant columns, the writers' inputs):
 *
 *   - arrays whose buffers are owned (ice__malloc memory, freed with the
 *     array), taken from and given back to a pool of released buffers, or
 *     borrowed from a reference-counted holder of another array (a column
 *     passed through without a copy); children are moved in;
 *   - schemas with Arrow's binary key/value metadata ("PARQUET:field_id",
 *     the arrow.uuid extension), copied whole, read back by key.
 *
 * Release callbacks free exactly what was allocated, children first.
 */
#ifndef ICE_UTIL_ARROW_H
#define ICE_UTIL_ARROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ice/arrow.h"

/* ---- holders: an array others borrow buffers from (thread-safe refs) ---- */

typedef struct ice_arrow_holder ice_arrow_holder;
int ice_arrow__holder_new(ice_arrow_holder **out, struct ArrowArray *src); /* src is moved in */
void ice_arrow__holder_unref(ice_arrow_holder *h);
const struct ArrowArray *ice_arrow__holder_array(const ice_arrow_holder *h);

/* ---- pools: buffers of released arrays, reused by the next ones ---------- */

typedef struct ice_arrow_pool ice_arrow_pool;
ice_arrow_pool *ice_arrow__pool_new(void);
void ice_arrow__pool_ref(ice_arrow_pool *p);
void ice_arrow__pool_release(ice_arrow_pool *p); /* NULL is fine */
/* A buffer of at least `min` bytes, or NULL when the pool has none. */
void *ice_arrow__pool_take(ice_arrow_pool *p, size_t min, size_t *cap_out);

/* ---- arrays ---------------------------------------------------------------- */

/*
 * Make an array. Buffer i is owned (freed with the array) when bit i of
 * `owned` is set, else borrowed from `holder` (a reference is taken; may
 * be NULL when nothing is borrowed). Children are moved in. On failure
 * owned buffers and children are released.
 */
int ice_arrow__array_make(struct ArrowArray *out, int64_t length, int64_t null_count, int64_t offset, int nbuf,
                          void **bufs, unsigned owned, int nchildren, struct ArrowArray *children,
                          ice_arrow_holder *holder);
/* The common case: every buffer owned, offset 0, nothing borrowed. */
int ice_arrow__array_owned(struct ArrowArray *out, int64_t length, int64_t null_count, int nbuf, void **bufs,
                           int nchildren, struct ArrowArray *children);
/* Owned buffers with capacity caps[i] > 0 go back to `pool` on release. */
void ice_arrow__array_set_pool(struct ArrowArray *a, ice_arrow_pool *pool, const size_t caps[3]);
/* A view of `src` and its whole subtree, borrowing every buffer. */
int ice_arrow__array_view(struct ArrowArray *out, const struct ArrowArray *src, ice_arrow_holder *holder);

/* ---- schemas --------------------------------------------------------------- */

int ice_arrow__schema_make(struct ArrowSchema *out, const char *format, const char *name, const char *metadata,
                           size_t metadata_len, int64_t flags, int nchildren, struct ArrowSchema *children);
int ice_arrow__schema_copy(struct ArrowSchema *out, const struct ArrowSchema *src);

/* Length of Arrow binary key/value metadata (0 for NULL). */
size_t ice_arrow__metadata_len(const char *m);
/* The value of `key` (not terminated; *vlen its length), or NULL. */
const char *ice_arrow__metadata_get(const char *m, const char *key, int32_t *vlen);
/* The metadata of a field: "PARQUET:field_id" (with `has_id`) and the
 * arrow.uuid extension (with `uuid`), written into `buf` (>= 128 bytes);
 * returns its length, 0 when there is nothing to say. */
size_t ice_arrow__field_metadata(char *buf, bool has_id, int32_t field_id, bool uuid);

#endif
