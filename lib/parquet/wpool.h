/*
 * parquet/wpool.h - threads shared by Parquet writers (writer.c): with a
 * pool, a writer encodes and compresses the columns of each batch in
 * parallel, and every writer of the pool uses the pool's scratch (page
 * buffers, compressor state: one set per thread) instead of its own. The
 * bytes a writer produces for the same batches are the same with or without
 * a pool.
 */
#ifndef ICE_PARQUET_WPOOL_H
#define ICE_PARQUET_WPOOL_H

#include "ice/parquet.h"
#include "util/workers.h"

typedef struct ice_parquet_wpool ice_parquet_wpool;

/* `workers` (borrowed) may be NULL: one scratch set, no threads. */
int ice_parquet__wpool_new(ice_parquet_wpool **out, ice_workers *workers);
void ice_parquet__wpool_free(ice_parquet_wpool *p);
/* Bytes the pool's scratch holds; trimming frees it (made again when needed). */
int64_t ice_parquet__wpool_memory(const ice_parquet_wpool *p);
void ice_parquet__wpool_trim(ice_parquet_wpool *p);
/* Use `p` (which must outlive the writer) from now on. */
void ice_parquet__writer_use_pool(ice_parquet_writer *w, ice_parquet_wpool *p);

#endif
