/*
 * parquet/column.h - the state of one column chunk being read, shared by
 * column.c (pages, levels, records) and values.c (values of every encoding).
 */
#ifndef ICE_PARQUET_COLUMN_H
#define ICE_PARQUET_COLUMN_H

#include "internal.h"

#define WINDOW_BYTES ((size_t)256 * 1024)
#define MAX_HEADER_BYTES ((size_t)64 * 1024 * 1024)
#define MAX_PAGE_BYTES ((size_t)1 << 31)
/* A decompressed page buffer larger than this is freed once its page is used up. */
#define PAGE_KEEP_BYTES ((size_t)16 << 20)

struct pq_colreader {
	ice_parquet_reader *r;
	const pq_leaf *leaf;
	const pq_chunk_meta *meta;
	const char *file, *path;
	ice_codec codec;
	bool lz4_legacy;
	bool verify_crc;
	int pw;                /* physical width in bytes (0 for BYTE_ARRAY, 1 for BOOLEAN) */
	uint64_t pos, end;     /* the unread part of the chunk */
	ice_buf win;
	uint64_t win_off;
	ice_buf page;          /* decompressed page */
	int page_no;
	int64_t levels_seen;
	bool first_entry_checked;
	/* dictionary, in the output layout */
	bool has_dict;
	size_t dict_n;
	ice_buf dict_fixed;
	pq_bytes dict_bytes;
	/* the current data page */
	size_t nlevels, level_pos;
	ice_buf defs, reps;
	size_t nvalues, value_pos;
	int enc;
	const uint8_t *vp, *vend;
	pq_rle rle;
	size_t bool_bit;
	bool predecoded;
	ice_buf pre_fixed;
	pq_bytes pre_bytes;
	ice_buf idx;           /* uint32 scratch */
	ice_buf raw;           /* raw fixed values before conversion */
	pq_bytes raw_bytes;
};

static inline int pq_physical_width(const pq_leaf *l)
{
	switch (l->type) {
	case ICE_PARQUET_BOOLEAN: return 1;
	case ICE_PARQUET_INT32:
	case ICE_PARQUET_FLOAT: return 4;
	case ICE_PARQUET_INT64:
	case ICE_PARQUET_DOUBLE: return 8;
	case ICE_PARQUET_INT96: return 12;
	case ICE_PARQUET_FIXED_LEN_BYTE_ARRAY: return l->type_length;
	}
	return 0;
}

/* Output layout: fixed width (bytes per value; booleans one byte), or 0 for
 * variable width. */
static inline int pq_out_width(const pq_leaf *l)
{
	if (l->out_width < 0)
		return 1;
	return l->out_width;
}

static inline bool pq_out_is_bytes(const pq_leaf *l)
{
	return l->out_width == 0 && l->conv != CONV_NULL;
}

/* "<file>: <column>: page N: <what>" for the current page. */
int ice_parquet__col_fail(pq_colreader *c, const char *what);
/* Values of the page being read (values.c). */
int ice_parquet__col_setup_values(pq_colreader *c, int encoding, const uint8_t *p, const uint8_t *end);
int ice_parquet__col_append_values(pq_colreader *c, size_t k, pq_batch_col *out);

#endif
