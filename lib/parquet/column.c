/*
 * parquet/column.c - reading one column chunk page by page (Parquet "Data
 * Pages", "Column chunks", "Encodings"): page headers, decompression,
 * dictionary pages, data pages v1 and v2, repetition and definition levels,
 * and values in every encoding (PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY, RLE
 * booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT), converted on the way to their Arrow layout.
 *
 * Memory is bounded by a page: the chunk is read through a window of at most
 * a few hundred KiB (or one page, if larger), the current page is
 * decompressed into a reused buffer, and its levels are decoded once. Values
 * are decoded straight into the batch being built (PLAIN is a memcpy,
 * dictionaries are gathered without per-value allocation); only the DELTA
 * encodings and BYTE_STREAM_SPLIT decode a whole page first.
 */
#include "column.h"

#define PAGE_MAX ((int32_t)3 << 29) /* 1.5 GiB */



#define fail_page ice_parquet__col_fail

int ice_parquet__col_fail(pq_colreader *c, const char *what)
{
	return PQ_ERR(ICE_EINVALID, "%s: %s: page %d: %s", c->file, c->path, c->page_no, what);
}

static int fail_offset(pq_colreader *c, uint64_t off, const char *what)
{
	return PQ_ERR(ICE_EINVALID, "%s: %s: offset %llu: %s", c->file, c->path, (unsigned long long)off, what);
}

/* Prefix a lower-level error (codec, buffer limit) with where it happened. */
static int wrap_page(pq_colreader *c, int rc)
{
	if (rc && !ice_error__is_oom())
		ice_error__prefix("%s: %s: page %d", c->file, c->path, c->page_no);
	return rc;
}

int ice_parquet__colreader_new(pq_colreader **out, ice_parquet_reader *r, size_t rg, size_t leaf, bool verify_crc)
{
	const pq_chunk_meta *m = &r->meta.row_groups[rg].columns[leaf];
	pq_colreader *c = ice__calloc(1, sizeof(*c));
	if (!c)
		return ICE_ERROR;
	c->r = r;
	c->leaf = &r->schema.leaves[leaf];
	c->meta = m;
	c->file = r->location;
	c->path = c->leaf->col->path;
	c->verify_crc = verify_crc;
	c->pw = pq_physical_width(c->leaf);
	ice_buf__init(&c->win, 0);
	ice_buf__init(&c->page, MAX_PAGE_BYTES);
	ice_buf__init(&c->dict_fixed, 0);
	ice_buf__init(&c->defs, 0);
	ice_buf__init(&c->reps, 0);
	ice_buf__init(&c->pre_fixed, 0);
	ice_buf__init(&c->idx, 0);
	ice_buf__init(&c->raw, 0);
	ice_parquet__bytes_init(&c->dict_bytes);
	ice_parquet__bytes_init(&c->pre_bytes);
	ice_parquet__bytes_init(&c->raw_bytes);
	*out = c;

	switch (m->codec) {
	case ICE_PARQUET_UNCOMPRESSED: c->codec = ICE_CODEC_NONE; break;
	case ICE_PARQUET_SNAPPY: c->codec = ICE_CODEC_SNAPPY; break;
	case ICE_PARQUET_GZIP: c->codec = ICE_CODEC_GZIP; break;
	case ICE_PARQUET_BROTLI: c->codec = ICE_CODEC_BROTLI; break;
	case ICE_PARQUET_ZSTD: c->codec = ICE_CODEC_ZSTD; break;
	case ICE_PARQUET_LZ4_RAW: c->codec = ICE_CODEC_LZ4_RAW; break;
	case ICE_PARQUET_LZ4:
		c->codec = ICE_CODEC_LZ4_HADOOP;
		c->lz4_legacy = true;
		break;
	default:
		return PQ_ERR(ICE_EUNSUPPORTED, "%s: %s: offset %lld: compression codec %s is not supported", c->file,
		              c->path, (long long)m->data_page_offset, ice_parquet_codec_name(m->codec));
	}
	int64_t start = m->data_page_offset;
	if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
	    m->dictionary_page_offset < m->data_page_offset)
		start = m->dictionary_page_offset;
	uint64_t fsize = r->file_size;
	if (start < 4 || (uint64_t)start >= fsize || m->total_compressed_size < 0 ||
	    (uint64_t)m->total_compressed_size > fsize - (uint64_t)start)
		return PQ_ERR(ICE_EINVALID, "%s: %s: offset %lld: column chunk of %lld bytes lies outside the file (%llu bytes)",
		              c->file, c->path, (long long)start, (long long)m->total_compressed_size,
		              (unsigned long long)fsize);
	c->pos = (uint64_t)start;
	c->end = (uint64_t)start + (uint64_t)m->total_compressed_size;
	if (r->meta.legacy_chunk_sizes) {
		/* PARQUET-816: parquet-mr before 1.2.9 left the dictionary page
		 * header out of the chunk size; allow for it as other readers do. */
		uint64_t pad = fsize - c->end < 100 ? fsize - c->end : 100;
		c->end += pad;
	}
	return 0;
}

void ice_parquet__colreader_free(pq_colreader *c)
{
	if (!c)
		return;
	ice_buf__free(&c->win);
	ice_buf__free(&c->page);
	ice_buf__free(&c->dict_fixed);
	ice_buf__free(&c->defs);
	ice_buf__free(&c->reps);
	ice_buf__free(&c->pre_fixed);
	ice_buf__free(&c->idx);
	ice_buf__free(&c->raw);
	ice_parquet__bytes_free(&c->dict_bytes);
	ice_parquet__bytes_free(&c->pre_bytes);
	ice_parquet__bytes_free(&c->raw_bytes);
	ice__free(c);
}

/* ---- page headers (parquet.thrift PageHeader) ----------------------------------- */

static int parse_data_header_v1(tc_reader *t, int type, pq_page_header *h)
{
	if (ice_parquet__tc_struct_begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &h->num_values))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &h->encoding))
			return -1;
		break;
	case 3:
		if (ice_parquet__tc_i32(t, FT, &h->def_encoding))
			return -1;
		break;
	case 4:
		if (ice_parquet__tc_i32(t, FT, &h->rep_encoding))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	h->has_data_header = true;
	return 0;
}

static int parse_dict_header(tc_reader *t, int type, pq_page_header *h)
{
	if (ice_parquet__tc_struct_begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &h->num_values))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &h->encoding))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	h->has_data_header = true;
	return 0;
}

static int parse_data_header_v2(tc_reader *t, int type, pq_page_header *h)
{
	if (ice_parquet__tc_struct_begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &h->num_values))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &h->num_nulls))
			return -1;
		break;
	case 3:
		if (ice_parquet__tc_i32(t, FT, &h->num_rows))
			return -1;
		break;
	case 4:
		if (ice_parquet__tc_i32(t, FT, &h->encoding))
			return -1;
		break;
	case 5:
		if (ice_parquet__tc_i32(t, FT, &h->def_len))
			return -1;
		break;
	case 6:
		if (ice_parquet__tc_i32(t, FT, &h->rep_len))
			return -1;
		break;
	case 7:
		if (ice_parquet__tc_bool(t, FT, &h->is_compressed))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	h->has_data_header = true;
	return 0;
}

int ice_parquet__parse_page_header(pq_page_header *h, tc_reader *t)
{
	bool has_type = false, has_sizes = false;
	int32_t crc;
	memset(h, 0, sizeof(*h));
	h->is_compressed = true;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &h->type))
			return -1;
		has_type = true;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &h->uncompressed_size))
			return -1;
		break;
	case 3:
		if (ice_parquet__tc_i32(t, FT, &h->compressed_size))
			return -1;
		has_sizes = true;
		break;
	case 4:
		if (ice_parquet__tc_i32(t, FT, &crc))
			return -1;
		h->crc = (uint32_t)crc;
		h->has_crc = true;
		break;
	case 5:
		if (parse_data_header_v1(t, FT, h))
			return -1;
		break;
	case 7:
		if (parse_dict_header(t, FT, h))
			return -1;
		break;
	case 8:
		if (parse_data_header_v2(t, FT, h))
			return -1;
		break;
	TC_FIELDS_END(t)
	if (!has_type || !has_sizes)
		return ice_parquet__tc_fail(t, "page header lacks its type or sizes");
	if (h->compressed_size < 0 || h->uncompressed_size < 0)
		return ice_parquet__tc_fail(t, "negative page size");
	/* A page is held whole once decompressed: its stated size is what it
	 * may cost, and it has a ceiling (the corpus's largest page is 1 GiB
	 * and 16 bytes). */
	if (h->uncompressed_size > PAGE_MAX)
		return ice_parquet__tc_fail(t, "page of more than 1.5 GiB");
	return 0;
}

/* Make [off, off+n) of the file available; returns a pointer into the window. */
static int ensure(pq_colreader *c, uint64_t off, size_t n, const uint8_t **out)
{
	if (off >= c->win_off && off + n <= c->win_off + c->win.len) {
		*out = (const uint8_t *)c->win.ptr + (off - c->win_off);
		return 0;
	}
	size_t want = n;
	if (want < WINDOW_BYTES && c->end - off > want)
		want = c->end - off < WINDOW_BYTES ? (size_t)(c->end - off) : WINDOW_BYTES;
	ice_buf__clear(&c->win);
	int rc = ice_buf__grow(&c->win, want);
	if (rc)
		return rc;
	if ((rc = ice_input__read_at(c->r->in, off, c->win.ptr, want)) != 0) {
		ice_buf__clear(&c->win);
		return rc;
	}
	c->win.len = want;
	c->win_off = off;
	*out = (const uint8_t *)c->win.ptr;
	return 0;
}

/* ---- pages ----------------------------------------------------------------- */

static int decompress(pq_colreader *c, const uint8_t *in, size_t in_len, size_t expected, ice_buf *out)
{
	/* the decompressor is the thread's own (util/compress.c): a scan of
	 * 200,000 columns must not hold a zstd context per column */
	int rc = ice_codec__decompress(c->codec, in, in_len, expected, out);
	if (rc && c->lz4_legacy && !ice_error__is_oom()) {
		/* Some writers put a bare LZ4 block where Hadoop framing belongs. */
		ice_buf__clear(out);
		out->error = 0;
		rc = ice_codec__decompress(ICE_CODEC_LZ4_RAW, in, in_len, expected, out);
	}
	return wrap_page(c, rc);
}

/*
 * A PLAIN byte-array dictionary decompressed into c->page becomes the
 * dictionary's bytes where it lies: each value moved down over the length
 * prefixes before it, the offsets built beside, and the page's buffer
 * taken. A dictionary of strings costs its size once, not twice (a 2 GiB
 * dictionary was held as the page and as its copy).
 */
static int dictionary_in_place(pq_colreader *c, size_t n)
{
	uint8_t *p = (uint8_t *)c->page.ptr;
	size_t len = c->page.len, pos = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (len - pos < 4)
			return fail_page(c, "PLAIN byte array length beyond the page");
		uint32_t k = pq_load32(p + pos);
		if (k > len - pos - 4)
			return fail_page(c, "PLAIN byte array longer than the page");
		pos += 4 + (size_t)k;
		total += k;
	}
	if (total > INT32_MAX)
		return fail_page(c, "dictionary values exceed 2 GiB");
	pq_bytes d;
	ice_parquet__bytes_init(&d);
	int rc = ice_parquet__bytes_reserve(&d, n, 0);
	if (rc) {
		ice_parquet__bytes_free(&d);
		return rc;
	}
	int32_t *off = pq_offsets(&d);
	size_t src = 0, dst = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = pq_load32(p + src);
		memmove(p + dst, p + src + 4, k);
		src += 4 + (size_t)k;
		dst += k;
		off[i + 1] = (int32_t)dst;
	}
	d.offsets.len += n * 4;
	d.n = n;
	ice_buf__free(&d.data);
	d.data = c->page;
	d.data.len = dst;
	ice_buf__init(&c->page, MAX_PAGE_BYTES);
	c->dict_bytes = d;
	return 0;
}

static int decode_dictionary(pq_colreader *c, const pq_page_header *h, const uint8_t *body, size_t len)
{
	const pq_leaf *l = c->leaf;
	int rc;
	if (c->has_dict)
		return fail_page(c, "a second dictionary page");
	if (h->num_values < 0)
		return fail_page(c, "negative number of dictionary values");
	if (h->encoding != ICE_PARQUET_ENC_PLAIN && h->encoding != ICE_PARQUET_ENC_PLAIN_DICTIONARY)
		return fail_page(c, "dictionary page is not PLAIN-encoded");
	size_t n = (size_t)h->num_values;
	if (l->type == ICE_PARQUET_BYTE_ARRAY && l->conv == CONV_NONE && c->page.ptr &&
	    body == (const uint8_t *)c->page.ptr && len == c->page.len) {
		if ((rc = dictionary_in_place(c, n)) != 0)
			return rc;
		c->dict_n = n;
		c->has_dict = true;
		c->nvalues = c->value_pos = 0;
		return 0;
	}
	/* Decode with the PLAIN machinery into the dictionary buffers. */
	pq_batch_col tmp;
	ice_parquet__batch_col_init(&tmp);
	c->enc = ICE_PARQUET_ENC_PLAIN;
	c->vp = body;
	c->vend = body + len;
	c->bool_bit = 0;
	c->predecoded = false;
	c->nvalues = n;
	c->value_pos = 0;
	if (l->type != ICE_PARQUET_BYTE_ARRAY && l->type != ICE_PARQUET_BOOLEAN && c->pw > 0 &&
	    len / (size_t)c->pw < n)
		rc = fail_page(c, "dictionary page shorter than its values");
	else
		rc = ice_parquet__col_append_values(c, n, &tmp);
	if (rc) {
		ice_parquet__batch_col_free(&tmp);
		return rc;
	}
	c->dict_fixed = tmp.values;
	c->dict_bytes = tmp.bytes;
	if (pq_out_is_bytes(l) && c->dict_bytes.offsets.len == 0 && (rc = ice_parquet__bytes_reserve(&c->dict_bytes, 0, 0)))
		return rc;
	ice_buf__free(&tmp.def);
	ice_buf__free(&tmp.rep);
	if (c->page.cap > PAGE_KEEP_BYTES)
		ice_buf__free(&c->page); /* the dictionary is a copy: data pages start small again */
	c->dict_n = n;
	c->has_dict = true;
	c->nvalues = c->value_pos = 0;
	return 0;
}

static int decode_levels_v1(pq_colreader *c, int encoding, int max, const uint8_t **p, const uint8_t *end,
                            ice_buf *dst, size_t n)
{
	const char *what = "levels";
	int bw = pq_bit_width((uint64_t)max);
	int rc = ice_buf__grow(dst, n * 2);
	if (rc)
		return rc;
	int16_t *out = (int16_t *)(void *)dst->ptr;
	dst->len = n * 2;
	if (encoding == ICE_PARQUET_ENC_RLE) {
		if (end - *p < 4)
			return fail_page(c, "level data length beyond the page");
		uint32_t len = pq_load32(*p);
		*p += 4;
		if (len > (size_t)(end - *p))
			return fail_page(c, "level data longer than the page");
		pq_rle d;
		ice_parquet__rle_init(&d, *p, len, bw);
		if (ice_parquet__rle_i16(&d, out, n, &what))
			return fail_page(c, what);
		*p += len;
		return 0;
	}
	if (encoding == ICE_PARQUET_ENC_BIT_PACKED) {
		size_t len = (n * (size_t)bw + 7) / 8;
		if (ice_parquet__bitpacked_msb_i16(*p, (size_t)(end - *p), bw, out, n))
			return fail_page(c, "BIT_PACKED levels beyond the page");
		*p += len;
		return 0;
	}
	return fail_page(c, "unsupported level encoding");
}

static int check_levels(pq_colreader *c, const ice_buf *b, int16_t max, const char *kind)
{
	const int16_t *v = (const int16_t *)(const void *)b->ptr;
	size_t n = b->len / 2;
	int16_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= (int16_t)(v[i] > max || v[i] < 0);
	if (bad) {
		char msg[64];
		snprintf(msg, sizeof(msg), "%s level above the maximum %d", kind, (int)max);
		return fail_page(c, msg);
	}
	return 0;
}

static size_t count_values(const pq_colreader *c, size_t from, size_t n)
{
	int16_t max = c->leaf->max_def;
	if (max == 0)
		return n;
	const int16_t *d = (const int16_t *)(const void *)c->defs.ptr + from;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += d[i] == max;
	return k;
}

static int start_data_page(pq_colreader *c, const pq_page_header *h, const uint8_t *body, size_t body_len)
{
	const pq_leaf *l = c->leaf;
	int rc;
	const uint8_t *p, *end;
	if (!h->has_data_header)
		return fail_page(c, "data page without its data page header");
	if (h->num_values < 0)
		return fail_page(c, "negative number of values");
	size_t n = (size_t)h->num_values;
	if (l->max_def == 0 && l->max_rep == 0 && l->type != ICE_PARQUET_BOOLEAN && c->pw > 0 && n > 0 &&
	    h->encoding == ICE_PARQUET_ENC_PLAIN && (size_t)h->uncompressed_size / (size_t)c->pw < n)
		return fail_page(c, "page holds more values than its size allows");
	if (n > (size_t)h->uncompressed_size * 8 + 64 && h->encoding != ICE_PARQUET_ENC_RLE_DICTIONARY &&
	    h->encoding != ICE_PARQUET_ENC_PLAIN_DICTIONARY && l->max_def == 0 && l->max_rep == 0)
		return fail_page(c, "page holds more values than its size allows");
	/* Levels: bounded by the page's own bytes for RLE (each run takes >= 1
	 * byte for up to 2^31 values), so cap the count before allocating. */
	if (n > ((size_t)1 << 28))
		return fail_page(c, "too many values in one page");
	ice_buf__clear(&c->defs);
	ice_buf__clear(&c->reps);
	if (h->type == PAGE_DATA) {
		if (c->codec == ICE_CODEC_NONE) {
			if (body_len != (size_t)h->uncompressed_size)
				return fail_page(c, "uncompressed page size differs from its compressed size");
			p = body;
		} else {
			ice_buf__clear(&c->page);
			if ((rc = decompress(c, body, body_len, (size_t)h->uncompressed_size, &c->page)) != 0)
				return rc;
			p = (const uint8_t *)c->page.ptr;
		}
		end = p + h->uncompressed_size;
		if (l->max_rep > 0 && (rc = decode_levels_v1(c, h->rep_encoding, l->max_rep, &p, end, &c->reps, n)))
			return rc;
		if (l->max_def > 0 && (rc = decode_levels_v1(c, h->def_encoding, l->max_def, &p, end, &c->defs, n)))
			return rc;
	} else {
		if (h->def_len < 0 || h->rep_len < 0 || (size_t)h->def_len + (size_t)h->rep_len > body_len ||
		    (size_t)h->def_len + (size_t)h->rep_len > (size_t)h->uncompressed_size)
			return fail_page(c, "level lengths exceed the page");
		const char *what = "levels";
		const uint8_t *lv = body;
		if (l->max_rep > 0) {
			pq_rle d;
			if ((rc = ice_buf__grow(&c->reps, n * 2)) != 0)
				return rc;
			ice_parquet__rle_init(&d, lv, (size_t)h->rep_len, pq_bit_width((uint64_t)l->max_rep));
			if (ice_parquet__rle_i16(&d, (int16_t *)(void *)c->reps.ptr, n, &what))
				return fail_page(c, what);
			c->reps.len = n * 2;
		}
		lv += h->rep_len;
		if (l->max_def > 0) {
			pq_rle d;
			if ((rc = ice_buf__grow(&c->defs, n * 2)) != 0)
				return rc;
			ice_parquet__rle_init(&d, lv, (size_t)h->def_len, pq_bit_width((uint64_t)l->max_def));
			if (ice_parquet__rle_i16(&d, (int16_t *)(void *)c->defs.ptr, n, &what))
				return fail_page(c, what);
			c->defs.len = n * 2;
		}
		lv += h->def_len;
		size_t vlen = body_len - (size_t)(lv - body);
		size_t vexp = (size_t)h->uncompressed_size - (size_t)h->def_len - (size_t)h->rep_len;
		if (!h->is_compressed || c->codec == ICE_CODEC_NONE || vexp == 0) {
			if (vlen < vexp)
				return fail_page(c, "page values shorter than stated");
			p = lv;
			end = lv + vexp;
		} else {
			ice_buf__clear(&c->page);
			if ((rc = decompress(c, lv, vlen, vexp, &c->page)) != 0)
				return rc;
			p = (const uint8_t *)c->page.ptr;
			end = p + vexp;
		}
	}
	if (l->max_def > 0 && (rc = check_levels(c, &c->defs, l->max_def, "definition")))
		return rc;
	if (l->max_rep > 0 && (rc = check_levels(c, &c->reps, l->max_rep, "repetition")))
		return rc;
	if (l->max_rep > 0 && n > 0 && !c->first_entry_checked) {
		if (((const int16_t *)(const void *)c->reps.ptr)[0] != 0)
			return fail_page(c, "the first repetition level of the column is not 0");
		c->first_entry_checked = true;
	}
	c->nlevels = n;
	c->level_pos = 0;
	c->nvalues = count_values(c, 0, n);
	if (h->type == PAGE_DATA_V2 && l->max_def > 0 && h->num_nulls >= 0 &&
	    (size_t)h->num_nulls != n - c->nvalues && l->max_rep == 0)
		return fail_page(c, "null count differs from the definition levels");
	return ice_parquet__col_setup_values(c, h->encoding, p, end);
}

/* Read page headers until a data page is set up. 0 with c->nlevels == 0 at
 * the end of the chunk. */
static int next_page(pq_colreader *c)
{
	int rc;
	/* The page before is used up: a large buffer is not kept for the
	 * chunk's life (a 1 GiB page stayed beside its batch and the next). */
	if (c->page.cap > PAGE_KEEP_BYTES)
		ice_buf__free(&c->page);
	c->nlevels = c->level_pos = 0;
	c->nvalues = c->value_pos = 0;
	while (c->pos < c->end && c->levels_seen < c->meta->num_values) {
		const uint8_t *hp;
		size_t avail = c->end - c->pos < 4096 ? (size_t)(c->end - c->pos) : 4096;
		pq_page_header h;
		tc_reader t;
		for (;;) {
			if ((rc = ensure(c, c->pos, avail, &hp)) != 0)
				return wrap_page(c, rc);
			/* use whatever the window already holds past pos */
			size_t have = (size_t)(c->win_off + c->win.len - c->pos);
			if (have > c->end - c->pos)
				have = (size_t)(c->end - c->pos);
			ice_parquet__tc_init(&t, hp, have, c->pos);
			if (ice_parquet__parse_page_header(&h, &t) == 0)
				break;
			if (!t.truncated || have >= c->end - c->pos || have >= MAX_HEADER_BYTES)
				return fail_offset(c, t.err_off, t.what ? t.what : "bad page header");
			avail = have * 4 < c->end - c->pos ? have * 4 : (size_t)(c->end - c->pos);
		}
		size_t hlen = (size_t)(t.p - t.start);
		uint64_t body_off = c->pos + hlen;
		if ((uint64_t)h.compressed_size > c->end - body_off)
			return fail_offset(c, c->pos, "page extends past the end of the column chunk");
		const uint8_t *body;
		if ((rc = ensure(c, body_off, (size_t)h.compressed_size, &body)) != 0)
			return wrap_page(c, rc);
		c->pos = body_off + (uint64_t)h.compressed_size;
		if (c->verify_crc && h.has_crc && ice_crc32(0, body, (size_t)h.compressed_size) != h.crc) {
			c->page_no++;
			return fail_page(c, "page checksum mismatch");
		}
		switch (h.type) {
		case PAGE_DICTIONARY: {
			const uint8_t *dict = body;
			size_t dlen = (size_t)h.compressed_size;
			if (c->codec != ICE_CODEC_NONE) {
				ice_buf__clear(&c->page);
				if ((rc = decompress(c, body, dlen, (size_t)h.uncompressed_size, &c->page)) != 0)
					return rc;
				dict = (const uint8_t *)c->page.ptr;
				dlen = c->page.len;
			}
			rc = decode_dictionary(c, &h, dict, dlen);
			c->page_no++;
			if (rc)
				return rc;
			break;
		}
		case PAGE_DATA:
		case PAGE_DATA_V2:
			rc = start_data_page(c, &h, body, (size_t)h.compressed_size);
			if (rc)
				return rc;
			c->page_no++;
			c->levels_seen += (int64_t)c->nlevels;
			if (c->nlevels > 0)
				return 0;
			break;
		default: /* index pages and future page types are skipped */
			c->page_no++;
			break;
		}
	}
	return 0;
}

/* ---- records ----------------------------------------------------------------- */

void ice_parquet__batch_col_init(pq_batch_col *b)
{
	memset(b, 0, sizeof(*b));
	ice_buf__init(&b->def, 0);
	ice_buf__init(&b->rep, 0);
	ice_buf__init(&b->values, 0);
	ice_parquet__bytes_init(&b->bytes);
}

/* An empty buffer takes a pooled allocation of at least n bytes if there is one. */
static int reserve(ice_buf *b, size_t n, ice_arrow_pool *pool)
{
	if (!b->ptr && pool && n >= 4096) {
		size_t cap;
		void *p = ice_arrow__pool_take(pool, n + 1, &cap);
		if (p) {
			b->ptr = p;
			b->cap = cap;
			b->len = 0;
			b->ptr[0] = '\0';
		}
	}
	return ice_buf__grow(b, n);
}

int ice_parquet__batch_col_reserve(pq_batch_col *b, const pq_leaf *l, size_t records, ice_arrow_pool *pool)
{
	int rc = 0;
	if (l->max_rep > 0)
		return 0;
	if (l->max_def > 0 && (rc = ice_buf__grow(&b->def, records * 2)) != 0)
		return rc;
	if (l->out_width != 0 && l->conv != CONV_NULL)
		return reserve(&b->values, records * (size_t)(l->out_width < 0 ? 1 : l->out_width), pool);
	if (l->out_width == 0 && l->conv != CONV_NULL) {
		if ((rc = reserve(&b->bytes.offsets, (records + 1) * 4, pool)) != 0)
			return rc;
		return reserve(&b->bytes.data, b->data_hint + b->data_hint / 8, pool);
	}
	return 0;
}

void ice_parquet__batch_col_clear(pq_batch_col *b)
{
	if (b->bytes.data.len > b->data_hint)
		b->data_hint = b->bytes.data.len;
	ice_buf__clear(&b->def);
	ice_buf__clear(&b->rep);
	ice_buf__clear(&b->values);
	ice_parquet__bytes_clear(&b->bytes);
	b->nlevels = b->nvalues = 0;
}

void ice_parquet__batch_col_free(pq_batch_col *b)
{
	ice_buf__free(&b->def);
	ice_buf__free(&b->rep);
	ice_buf__free(&b->values);
	ice_parquet__bytes_free(&b->bytes);
}

/* Move levels [level_pos, level_pos+take) and their values into the batch. */
static int take_entries(pq_colreader *c, size_t take, pq_batch_col *out)
{
	int rc;
	const pq_leaf *l = c->leaf;
	if (take == 0)
		return 0;
	if (l->max_def > 0 && (rc = ice_buf__put(&out->def, c->defs.ptr + c->level_pos * 2, take * 2)) != 0)
		return rc;
	if (l->max_rep > 0 && (rc = ice_buf__put(&out->rep, c->reps.ptr + c->level_pos * 2, take * 2)) != 0)
		return rc;
	size_t nv = count_values(c, c->level_pos, take);
	if ((rc = ice_parquet__col_append_values(c, nv, out)) != 0)
		return rc;
	c->level_pos += take;
	out->nlevels += take;
	out->nvalues += nv;
	return 0;
}

int ice_parquet__colreader_read(pq_colreader *c, size_t records, pq_batch_col *out, size_t *got_out)
{
	int rc;
	size_t got = 0;
	const pq_leaf *l = c->leaf;
	if (pq_out_is_bytes(l) && out->bytes.offsets.len == 0 && (rc = ice_parquet__bytes_reserve(&out->bytes, 0, 0)))
		return rc;
	for (;;) {
		if (c->level_pos >= c->nlevels) {
			if (got == records && l->max_rep == 0)
				break;
			if ((rc = next_page(c)) != 0)
				return rc;
			if (c->nlevels == 0)
				break; /* end of the chunk */
		}
		size_t avail = c->nlevels - c->level_pos;
		if (l->max_rep == 0) {
			size_t take = records - got < avail ? records - got : avail;
			if ((rc = take_entries(c, take, out)) != 0)
				return rc;
			got += take;
			if (got == records)
				break;
			continue;
		}
		/* Nested: a record starts at repetition level 0 and runs until the
		 * next one, possibly across pages. */
		const int16_t *rep = (const int16_t *)(const void *)c->reps.ptr;
		size_t j = c->level_pos;
		bool boundary = false;
		for (; j < c->nlevels; j++) {
			if (rep[j] == 0) {
				if (got == records) {
					boundary = true;
					break;
				}
				got++;
			}
		}
		if ((rc = take_entries(c, j - c->level_pos, out)) != 0)
			return rc;
		if (boundary)
			break;
	}
	*got_out = got;
	return 0;
}
