/*
 * parquet/wpage.c - the writer's page and row group side: data pages v1
 * (RLE/bit-packed levels, dictionary indices or PLAIN values, one
 * compression per page, the first page deciding whether the dictionary pays
 * off), dictionary pages, column chunk statistics, and writing a row group
 * when its pages reach the row group size.
 */
#include "writer.h"

/* ---- pages ---------------------------------------------------------------------- */

/* RLE-encode int16 levels, prefixed with their length (data page v1). */
static void encode_levels(ice_buf *out, const ice_buf *levels, size_t n, int16_t max, ice_buf *scratch)
{
	size_t len_pos = out->len;
	uint32_t len = 0;
	ice_buf__put(out, &len, 4);
	ice_parquet__hybrid_encode16(out, (const int16_t *)(const void *)levels->ptr, n, pq_bit_width((uint64_t)max),
	                             scratch);
	if (!out->error) {
		len = (uint32_t)(out->len - len_pos - 4);
		memcpy(out->ptr + len_pos, &len, 4);
	}
}

/* Turn the page's dictionary indices back into PLAIN values. */
static int indices_to_plain(colw *c)
{
	const uint32_t *idx = (const uint32_t *)(const void *)c->idx.ptr;
	size_t n = c->idx.len / 4;
	ice_buf__clear(&c->plain);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *e = ice_parquet__w_dict_entry(c, idx[i], &len);
		if (!c->pw) {
			uint32_t l32 = (uint32_t)len;
			ice_buf__put(&c->plain, &l32, 4);
		}
		ice_buf__put(&c->plain, e, len);
	}
	ice_buf__clear(&c->idx);
	return c->plain.error;
}

void ice_parquet__w_reset_dict(colw *c)
{
	ice_buf__clear(&c->dict_vals);
	ice_buf__clear(&c->dict_offs);
	c->dict_n = 0;
	if (c->slots)
		memset(c->slots, 0, c->slot_cap * sizeof(dslot));
}

/* The page so far in PLAIN, and no dictionary for the rest of the file. */
static int decline_dict(colw *c)
{
	int rc = indices_to_plain(c);
	if (rc)
		return rc;
	c->dict_on = false;
	c->dict_declined = true;
	ice_parquet__w_reset_dict(c);
	return 0;
}

static int compress_into(ice_parquet_writer *w, pq_wscratch *sc, const ice_buf *in, ice_buf *out)
{
	ice_buf__clear(out);
	int rc = ice_codec__compress_ctx(sc->codec_ctx, w->codec, w->opts.compression_level, (const uint8_t *)in->ptr,
	                                 in->len, out);
	if (rc)
		ice_error__prefix("%s: column chunk", w->location);
	return rc;
}

/* Appends never stop on their own: buffer errors are sticky and checked here. */
int ice_parquet__w_col_error(const colw *c)
{
	const ice_buf *b[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs, &c->chunk};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (b[i]->error)
			return b[i]->error;
	return 0;
}

int ice_parquet__w_flush_page(ice_parquet_writer *w, colw *c)
{
	int rc;
	const pq_wleaf *l = c->leaf;
	if ((rc = ice_parquet__w_col_error(c)) != 0)
		return rc;
	if (c->nlevels == 0)
		return 0;
	/* The first dictionary page decides whether the dictionary pays off. */
	if (c->dict_on && !c->dict_checked) {
		c->dict_checked = true;
		size_t idx_bytes = (c->idx.len / 4) * (size_t)pq_bit_width(c->dict_n ? c->dict_n - 1 : 0) / 8;
		if (c->dict_vals.len + idx_bytes >= c->plain_equiv) {
			/* bounds were taken from dictionary entries, which are all used */
			if ((rc = decline_dict(c)) != 0)
				return rc;
		}
	}
	pq_wscratch *sc = c->sc;
	ice_buf *p = &sc->page;
	ice_buf__clear(p);
	if (l->max_rep > 0)
		encode_levels(p, &c->rep, c->nlevels, l->max_rep, &sc->scratch);
	if (l->max_def > 0)
		encode_levels(p, &c->def, c->nlevels, l->max_def, &sc->scratch);
	int encoding;
	if (c->dict_on) {
		int bw = pq_bit_width(c->dict_n ? c->dict_n - 1 : 0);
		ice_buf__putc(p, (char)bw);
		ice_parquet__hybrid_encode(p, (const uint32_t *)(const void *)c->idx.ptr, c->idx.len / 4, bw);
		encoding = ICE_PARQUET_ENC_RLE_DICTIONARY;
		c->dict_used = true;
		c->enc_dict = true;
	} else if (l->type == ICE_PARQUET_BOOLEAN) {
		size_t n = c->plain.len;
		uint8_t *bits = ice_buf__reserve(p, (n + 7) / 8);
		if (bits)
			for (size_t i = 0; i < n; i++)
				bits[i >> 3] |= (uint8_t)((((const uint8_t *)c->plain.ptr)[i] & 1) << (i & 7));
		encoding = ICE_PARQUET_ENC_PLAIN;
		c->enc_plain = true;
	} else {
		if ((rc = pq_buf_append(p, &c->plain)) != 0)
			return rc;
		encoding = ICE_PARQUET_ENC_PLAIN;
		c->enc_plain = true;
	}
	if (p->error)
		return p->error;
	if (p->len > INT32_MAX)
		return PQ_ERR(ICE_EINVALID, "%s: %s: page of %zu bytes is too large", w->location, l->dotted, p->len);
	if ((rc = compress_into(w, sc, p, &sc->comp)) != 0)
		return rc;
	pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.type = PAGE_DATA;
	h.uncompressed_size = (int32_t)p->len;
	h.compressed_size = (int32_t)sc->comp.len;
	h.num_values = (int32_t)c->nlevels;
	h.encoding = encoding;
	h.def_encoding = ICE_PARQUET_ENC_RLE;
	h.rep_encoding = ICE_PARQUET_ENC_RLE;
	ice_buf__clear(&sc->hdr);
	ice_parquet__write_page_header(&sc->hdr, &h, NULL);
	/* an allocation failing in the header leaves it short: never written */
	if ((rc = pq_buf_append(&c->chunk, &sc->hdr)) != 0 || (rc = pq_buf_append(&c->chunk, &sc->comp)) != 0)
		return rc;
	if (c->chunk.error)
		return c->chunk.error;
	c->chunk_uncompressed += (int64_t)(sc->hdr.len + p->len);
	c->chunk_levels += (int64_t)c->nlevels;
	c->chunk_nulls += (int64_t)c->nnulls_page;
	c->m_values += (int64_t)c->nlevels;
	c->m_nulls += (int64_t)c->nnulls_page;
	c->nlevels = c->nvalues = c->nnulls_page = 0;
	c->plain_equiv = 0;
	ice_buf__clear(&c->def);
	ice_buf__clear(&c->rep);
	ice_buf__clear(&c->plain);
	ice_buf__clear(&c->idx);
	return 0;
}

size_t ice_parquet__w_page_estimate(const colw *c)
{
	size_t v = c->dict_on ? c->idx.len / 2 : c->plain.len;
	return v + c->nlevels / 4;
}

/* After a record: cut the page when it is full, leave the dictionary when it is. */
int ice_parquet__w_after_record(ice_parquet_writer *w, colw *c)
{
	int rc;
	/* A first page whose values are nearly all distinct after a few
	 * thousand would fail the dictionary check at its end: it goes on in
	 * PLAIN at once instead of hashing the rest of the page. */
	if (c->dict_on && !c->dict_checked && c->nvalues >= 4096 && c->dict_n * 10 >= c->nvalues * 9) {
		return decline_dict(c);
	}
	if (c->dict_on && c->dict_vals.len > (size_t)w->opts.dictionary_size_bytes) {
		if ((rc = ice_parquet__w_flush_page(w, c)) != 0)
			return rc;
		c->dict_on = false;
		c->dict_declined = true;
		return 0;
	}
	if (ice_parquet__w_page_estimate(c) >= (size_t)w->opts.page_size_bytes || c->nlevels >= (size_t)w->opts.page_row_limit)
		return ice_parquet__w_flush_page(w, c);
	return 0;
}

/* ---- statistics and metrics --------------------------------------------------------- */

static int merge_metrics_bounds(colw *c)
{
	if (!c->has_minmax)
		return 0;
	if (!c->m_has_bounds) {
		ice_buf__clear(&c->m_min);
		ice_buf__clear(&c->m_max);
		if (pq_buf_append(&c->m_min, &c->min) || pq_buf_append(&c->m_max, &c->max))
			return ICE_ERROR;
		c->m_has_bounds = true;
		return 0;
	}
	if (ice_parquet__w_value_cmp(c, (const uint8_t *)c->min.ptr, c->min.len, (const uint8_t *)c->m_min.ptr, c->m_min.len) < 0) {
		ice_buf__clear(&c->m_min);
		if (pq_buf_append(&c->m_min, &c->min))
			return ICE_ERROR;
	}
	if (ice_parquet__w_value_cmp(c, (const uint8_t *)c->max.ptr, c->max.len, (const uint8_t *)c->m_max.ptr, c->m_max.len) > 0) {
		ice_buf__clear(&c->m_max);
		if (pq_buf_append(&c->m_max, &c->max))
			return ICE_ERROR;
	}
	return 0;
}

int ice_parquet__w_write_out(ice_parquet_writer *w, const void *data, size_t len)
{
	int rc = ice_output__write(w->out, data, len);
	if (rc)
		return rc;
	w->written += (int64_t)len;
	return 0;
}

/* A column's last page, and its dictionary page compressed into c->dpage
 * (on whichever thread runs it: columns are independent). */
static int finish_chunk(ice_parquet_writer *w, colw *c)
{
	int rc;
	if ((rc = ice_parquet__w_flush_page(w, c)) != 0)
		return rc;
	if (!c->dict_used)
		return 0;
	pq_wscratch *sc = c->sc;
	ice_buf *p = &sc->page;
	ice_buf__clear(p);
	if (c->pw == 1 && c->leaf->type == ICE_PARQUET_BOOLEAN)
		return PQ_ERR(ICE_ERROR, "boolean dictionary");
	if ((rc = pq_buf_append(p, &c->dict_vals)) != 0 || (rc = compress_into(w, sc, p, &sc->comp)) != 0)
		return rc;
	pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.type = PAGE_DICTIONARY;
	h.uncompressed_size = (int32_t)p->len;
	h.compressed_size = (int32_t)sc->comp.len;
	h.num_values = (int32_t)c->dict_n;
	h.encoding = ICE_PARQUET_ENC_PLAIN;
	ice_buf__clear(&c->dpage);
	ice_parquet__write_page_header(&c->dpage, &h, NULL);
	c->chunk_uncompressed += (int64_t)(c->dpage.len + p->len);
	if ((rc = pq_buf_append(&c->dpage, &sc->comp)) != 0)
		return rc;
	return c->dpage.error;
}

static int finish_task(void *ctx, size_t task, size_t worker)
{
	ice_parquet_writer *w = ctx;
	colw *c = &w->cols[task];
	c->sc = w->pool ? &w->pool->sc[worker] : &w->own;
	return finish_chunk(w, c);
}

int ice_parquet__w_flush_row_group(ice_parquet_writer *w)
{
	int rc;
	if (w->rg_rows == 0)
		return 0;
	if ((rc = ice_workers__run(w->pool ? w->pool->workers : NULL, w->ws.nleaves, finish_task, w)) != 0)
		return rc;
	if (w->nrow_groups == w->rg_cap) {
		size_t cap = w->rg_cap ? w->rg_cap * 2 : 8;
		pq_row_group_meta *g = ice_arena__allocarray(&w->arena, cap, sizeof(*g));
		if (!g)
			return ICE_ERROR;
		if (w->nrow_groups)
			memcpy(g, w->row_groups, w->nrow_groups * sizeof(*g));
		w->row_groups = g;
		w->rg_cap = cap;
	}
	pq_row_group_meta *rg = &w->row_groups[w->nrow_groups];
	memset(rg, 0, sizeof(*rg));
	rg->ncolumns = w->ws.nleaves;
	rg->columns = ice_arena__allocarray(&w->arena, w->ws.nleaves ? w->ws.nleaves : 1, sizeof(pq_chunk_meta));
	if (!rg->columns)
		return ICE_ERROR;
	rg->file_offset = w->written;
	rg->num_rows = w->rg_rows;
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		colw *c = &w->cols[i];
		pq_chunk_meta *m = &rg->columns[i];
		int64_t start = w->written;
		m->type = c->leaf->type;
		m->codec = w->opts.codec;
		m->path = c->leaf->path;
		m->npath = c->leaf->npath;
		if (c->dict_used) {
			m->has_dictionary_page_offset = true;
			m->dictionary_page_offset = w->written;
			rc = ice_parquet__w_write_out(w, c->dpage.ptr, c->dpage.len);
			ice_buf__free(&c->dpage);
			if (rc)
				return rc;
		}
		m->data_page_offset = w->written;
		if ((rc = ice_parquet__w_write_out(w, c->chunk.ptr, c->chunk.len)) != 0)
			return rc;
		m->total_compressed_size = w->written - start;
		m->total_uncompressed_size = c->chunk_uncompressed;
		m->num_values = c->chunk_levels;
		int encs[3], ne = 0;
		if (c->enc_dict || c->dict_used)
			encs[ne++] = ICE_PARQUET_ENC_PLAIN;
		else if (c->enc_plain)
			encs[ne++] = ICE_PARQUET_ENC_PLAIN;
		encs[ne++] = ICE_PARQUET_ENC_RLE;
		if (c->enc_dict)
			encs[ne++] = ICE_PARQUET_ENC_RLE_DICTIONARY;
		if (!(m->encodings = ice_arena__memdup(&w->arena, encs, sizeof(int) * (size_t)ne)))
			return ICE_ERROR;
		m->nencodings = (size_t)ne;
		m->has_stats = true;
		m->stats.has_null_count = true;
		m->stats.null_count = c->chunk_nulls;
		if (c->has_minmax) {
			void *mn = ice_arena__memdup(&w->arena, c->min.ptr, c->min.len ? c->min.len : 1);
			void *mx = ice_arena__memdup(&w->arena, c->max.ptr, c->max.len ? c->max.len : 1);
			if (!mn || !mx)
				return ICE_ERROR;
			m->stats.has_min_value = m->stats.has_max_value = true;
			m->stats.min_value.data = mn;
			m->stats.min_value.len = c->min.len;
			m->stats.max_value.data = mx;
			m->stats.max_value.len = c->max.len;
		}
		rg->total_byte_size += m->total_uncompressed_size;
		rg->total_compressed_size += m->total_compressed_size;
		c->m_size += m->total_compressed_size;
		if ((rc = merge_metrics_bounds(c)) != 0)
			return rc;
		/* next chunk */
		ice_buf__clear(&c->chunk);
		c->chunk_levels = c->chunk_uncompressed = c->chunk_nulls = 0;
		c->enc_plain = c->enc_dict = c->dict_used = c->dict_checked = false;
		c->has_minmax = false;
		c->dict_on = c->dict_enabled && !c->dict_declined;
		ice_parquet__w_reset_dict(c);
	}
	w->nrow_groups++;
	w->total_rows += w->rg_rows;
	w->rg_rows = 0;
	return 0;
}

/* The open row group's size: uncompressed (what row-group-size-bytes
 * bounds, as in parquet-mr) or as it will be written. */
int64_t ice_parquet__w_buffered_bytes(const ice_parquet_writer *w, bool compressed)
{
	int64_t n = 0;
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		const colw *c = &w->cols[i];
		n += (compressed ? (int64_t)c->chunk.len : c->chunk_uncompressed) +
		     (int64_t)(ice_parquet__w_page_estimate(c) + (c->dict_on ? c->dict_vals.len : 0));
	}
	return n;
}

/* Bytes the writer holds in memory: every buffer's capacity, the
 * dictionaries' hash tables and the compressor's state. */
int64_t ice_parquet__w_memory(const ice_parquet_writer *w)
{
	int64_t n = ice_parquet__wscratch_memory(&w->own);
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		const colw *c = &w->cols[i];
		n += (int64_t)(c->def.cap + c->rep.cap + c->plain.cap + c->idx.cap + c->dict_vals.cap + c->dict_offs.cap +
		               c->chunk.cap + c->min.cap + c->max.cap + c->m_min.cap + c->m_max.cap +
		               c->slot_cap * sizeof(*c->slots));
	}
	return n;
}

/* Frees what holds nothing now: empty buffers, the hash table of an empty
 * dictionary, the scratch of page encoding and the compressor's state
 * (each made again when next needed). */
void ice_parquet__w_trim(ice_parquet_writer *w)
{
	ice_parquet__wscratch_trim(&w->own);
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		colw *c = &w->cols[i];
		ice_buf *bufs[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs, &c->chunk, &c->min, &c->max, &c->dpage};
		for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++)
			if (bufs[k]->len == 0 && !bufs[k]->error)
				ice_buf__free(bufs[k]);
		if (c->dict_n == 0 && c->slots) {
			c->slot_hint = c->slot_cap; /* made at that size again: no rehashing on the way */
			ice__free(c->slots);
			c->slots = NULL;
			c->slot_cap = 0;
		}
	}
}

int64_t ice_parquet_writer_estimated_size(const ice_parquet_writer *w)
{
	return w->written + ice_parquet__w_buffered_bytes(w, true);
}

bool ice_parquet_writer_should_roll(const ice_parquet_writer *w)
{
	return ice_parquet_writer_estimated_size(w) >= w->opts.target_file_size_bytes;
}


/* ---- scratch ---------------------------------------------------------------------- */

int ice_parquet__wscratch_init(pq_wscratch *s)
{
	ice_buf__init(&s->page, 0);
	ice_buf__init(&s->comp, 0);
	ice_buf__init(&s->hdr, 0);
	ice_buf__init(&s->scratch, 0);
	return (s->codec_ctx = ice_codec__ctx_new()) ? 0 : ICE_ERROR;
}

void ice_parquet__wscratch_free(pq_wscratch *s)
{
	ice_buf__free(&s->page);
	ice_buf__free(&s->comp);
	ice_buf__free(&s->hdr);
	ice_buf__free(&s->scratch);
	ice_codec__ctx_free(s->codec_ctx);
	s->codec_ctx = NULL;
}

int64_t ice_parquet__wscratch_memory(const pq_wscratch *s)
{
	return (int64_t)(s->page.cap + s->comp.cap + s->hdr.cap + s->scratch.cap + ice_codec__ctx_memory(s->codec_ctx));
}

void ice_parquet__wscratch_trim(pq_wscratch *s)
{
	ice_buf__free(&s->page);
	ice_buf__free(&s->comp);
	ice_buf__free(&s->hdr);
	ice_buf__free(&s->scratch);
	ice_codec__ctx_trim(s->codec_ctx);
}
