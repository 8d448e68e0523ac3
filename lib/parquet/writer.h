/*
 * parquet/writer.h - what the writer's files share: the written schema
 * (elements and leaves with their shredding paths) and the column writer.
 */
#ifndef ICE_PARQUET_WRITER_H
#define ICE_PARQUET_WRITER_H

#include "internal.h"
#include "wpool.h"

#define PQ_MAX_DEPTH 64

enum { PQ_STEP_STRUCT, PQ_STEP_LIST, PQ_STEP_MAP };

/* One step of the walk from the batch (a struct) to a leaf. STRUCT: to
 * child `child` of a struct array; LIST/MAP: over the elements of a list
 * (map: of its entries struct). `optional`: the node reached may be null
 * (for LIST: the elements). `rep`: repetition level of LIST/MAP elements. */
typedef struct pq_wstep {
	int kind;
	int child;
	bool optional;
	int16_t rep;
} pq_wstep;

typedef struct pq_wleaf {
	int type;
	int32_t type_length;
	const ice_type *iceberg;
	int32_t field_id;
	bool has_field_id;  /* false for the parts of a variant */
	int16_t max_def, max_rep;
	bool under_repeated;
	int depth;
	pq_wstep steps[PQ_MAX_DEPTH];
	size_t npath;
	const char **path;
	const char *dotted;
} pq_wleaf;

typedef struct pq_wschema {
	pq_element *elements;
	size_t nelements;
	pq_wleaf *leaves;
	size_t nleaves;
} pq_wschema;

int ice_parquet__wschema_build(pq_wschema *out, const ice_type *schema, ice_arena *arena);

/* ---- the writer's state (writer.c, wcolumn.c, wpage.c) ---- */

/* A dictionary hash slot: the value itself for widths up to 8 bytes, so a
 * lookup touches one cache line. idx1 is the entry index + 1 (0: empty). */
typedef struct dslot {
	uint64_t key;
	uint32_t hash;
	uint32_t idx1;
} dslot;

/* What encoding a page needs besides its column: one set per thread that
 * writes pages (the writer's own, or each worker's in a shared pool). */
typedef struct pq_wscratch {
	ice_buf page, comp, hdr, scratch;
	ice_codec_ctx *codec_ctx;
} pq_wscratch;

enum { V_BOOL, V_I32, V_I64, V_F32, V_F64, V_DEC, V_BYTES32, V_BYTES64, V_FLBA };

typedef struct colw {
	const pq_wleaf *leaf;
	pq_wscratch *sc;   /* the scratch of the thread writing this column now */
	ice_buf dpage;     /* the row group's dictionary page (header and body) while the row group is written */
	int vfmt;          /* Arrow layout of the current batch */
	int pw;            /* physical width; 0 for BYTE_ARRAY */
	bool dict_enabled;
	/* current page */
	ice_buf def, rep;  /* int16 */
	size_t nlevels, nvalues, nnulls_page;
	ice_buf plain;     /* PLAIN values (booleans one byte each until the page is cut) */
	ice_buf idx;       /* dictionary indices (uint32) */
	size_t plain_equiv; /* bytes these values would take PLAIN */
	/* dictionary of the chunk */
	bool dict_on, dict_used, dict_checked;
	bool dict_declined; /* a dictionary did not pay off or overflowed: PLAIN for the rest of the file */
	ice_buf dict_vals; /* PLAIN-encoded entries */
	ice_buf dict_offs; /* uint32 start of each entry in dict_vals (byte arrays) */
	size_t dict_n;
	struct dslot *slots;
	size_t slot_cap;
	size_t slot_hint; /* the table's size before a trim freed it */
	/* chunk */
	ice_buf chunk;
	int64_t chunk_levels, chunk_uncompressed, chunk_nulls;
	bool enc_plain, enc_dict;
	bool has_minmax;
	ice_buf min, max;  /* PLAIN bytes of the chunk's bounds (no length prefix) */
	/* file metrics */
	int64_t m_values, m_nulls, m_nans, m_size;
	bool m_has_bounds, m_bounds_ok;
	ice_buf m_min, m_max;
} colw;

struct ice_parquet_writer {
	ice_output *out;
	char *location;
	ice_arena arena;
	const ice_type *schema;
	ice_parquet_write_options opts;
	pq_wschema ws;
	colw *cols;
	ice_codec codec;
	pq_wscratch own;
	struct ice_parquet_wpool *pool; /* shared threads and scratch, or NULL */
	int64_t rg_rows, total_rows;
	size_t nrow_groups, rg_cap;
	pq_row_group_meta *row_groups;
	int64_t written;
	bool failed;
};


/* A pool of threads with a scratch set each, shared by writers that
 * encode the columns of a batch in parallel (writer.c). */
struct ice_parquet_wpool {
	ice_workers *workers;
	pq_wscratch *sc; /* one per worker */
	size_t n;
};
int ice_parquet__wscratch_init(pq_wscratch *s);
void ice_parquet__wscratch_free(pq_wscratch *s);
int64_t ice_parquet__wscratch_memory(const pq_wscratch *s);
void ice_parquet__wscratch_trim(pq_wscratch *s);

/* wcolumn.c */
int ice_parquet__w_value_cmp(const colw *c, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
int ice_parquet__w_update_minmax(colw *c, const uint8_t *p, size_t n);
const uint8_t *ice_parquet__w_dict_entry(const colw *c, size_t i, size_t *len);
void ice_parquet__w_add_levels(colw *c, int16_t d, int16_t r);
void ice_parquet__w_add_null(colw *c, int16_t d, int16_t r);
int ice_parquet__w_emit_value(colw *c, const struct ArrowArray *a, int64_t i);
/* Walk step k of the leaf's path from array a at logical index i. */
int ice_parquet__w_shred(colw *c, int k, const struct ArrowArray *a, int64_t i, int16_t d, int16_t r);
/* A top-level primitive column: rows [from, to) of its array. */
int ice_parquet__w_write_flat(ice_parquet_writer *w, colw *c, const struct ArrowArray *a, int64_t from, int64_t to);

/* wpage.c */
void ice_parquet__w_reset_dict(colw *c);
int ice_parquet__w_col_error(const colw *c);
int ice_parquet__w_flush_page(ice_parquet_writer *w, colw *c);
size_t ice_parquet__w_page_estimate(const colw *c);
/* After a record: cut the page when full, leave the dictionary when full. */
int ice_parquet__w_after_record(ice_parquet_writer *w, colw *c);
int ice_parquet__w_write_out(ice_parquet_writer *w, const void *data, size_t len);
int ice_parquet__w_flush_row_group(ice_parquet_writer *w);
int64_t ice_parquet__w_buffered_bytes(const ice_parquet_writer *w, bool compressed);
int64_t ice_parquet__w_memory(const ice_parquet_writer *w);
void ice_parquet__w_trim(ice_parquet_writer *w);

#endif
