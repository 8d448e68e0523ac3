/*
 * parquet/writer.c - the Parquet writer (ice/parquet.h): Arrow batches in,
 * a Parquet file out, with the statistics and Iceberg metrics of every
 * column (Parquet "File format", "Data pages", "Encodings"; Iceberg spec
 * "Parquet" in Appendix A and "Manifests" for the metrics).
 *
 * Each leaf column is shredded from the Arrow arrays into repetition and
 * definition levels and values (flat columns in a tight loop, nested ones by
 * walking their path). Values are dictionary-encoded while the dictionary
 * pays for itself and stays under its size limit, then PLAIN; levels are
 * RLE/bit-packed. Pages are cut by bytes and rows, compressed once, and kept
 * in their column chunk until the row group reaches its byte size: memory
 * is bounded by the row group being built.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/int128.h"
#include "util/strutil.h"
#include "writer.h"

/* ---- options -------------------------------------------------------------------- */

void ice_parquet_write_options_init(ice_parquet_write_options *o)
{
	memset(o, 0, sizeof(*o));
	o->codec = ICE_PARQUET_ZSTD;
	o->compression_level = 0;
	o->row_group_size_bytes = (int64_t)128 << 20;
	o->page_size_bytes = (int64_t)1 << 20;
	o->page_row_limit = 20000;
	o->dictionary_size_bytes = (int64_t)2 << 20;
	o->target_file_size_bytes = (int64_t)512 << 20;
	o->dictionary_enabled = true;
	o->metrics_truncate_length = 16;
}

static int parse_size(const char *key, const char *v, int64_t *out)
{
	int64_t n;
	if (!ice_str__to_int64(v, strlen(v), &n) || n <= 0)
		return PQ_ERR(ICE_EINVALID, "%s: expected a positive number, got '%s'", key, v);
	*out = n;
	return 0;
}

int ice_parquet_write_options_set(ice_parquet_write_options *o, const char *key, const char *value)
{
	if (!strcmp(key, "write.parquet.compression-codec")) {
		static const struct {
			const char *name;
			int codec;
		} codecs[] = {{"zstd", ICE_PARQUET_ZSTD},       {"snappy", ICE_PARQUET_SNAPPY},
		              {"gzip", ICE_PARQUET_GZIP},       {"lz4_raw", ICE_PARQUET_LZ4_RAW},
		              {"lz4", ICE_PARQUET_LZ4_RAW},     {"brotli", ICE_PARQUET_BROTLI},
		              {"uncompressed", ICE_PARQUET_UNCOMPRESSED}, {"none", ICE_PARQUET_UNCOMPRESSED}};
		for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
			if (ice_str__ieq(value, strlen(value), codecs[i].name, strlen(codecs[i].name))) {
				o->codec = codecs[i].codec;
				return 0;
			}
		return PQ_ERR(ICE_EINVALID, "%s: unknown codec '%s'", key, value);
	}
	if (!strcmp(key, "write.parquet.compression-level")) {
		int32_t lvl;
		if (!ice_str__to_int32(value, strlen(value), &lvl) || lvl < -131072 || lvl > 22)
			return PQ_ERR(ICE_EINVALID, "%s: bad level '%s'", key, value);
		o->compression_level = lvl;
		return 0;
	}
	if (!strcmp(key, "write.parquet.row-group-size-bytes"))
		return parse_size(key, value, &o->row_group_size_bytes);
	if (!strcmp(key, "write.parquet.page-size-bytes"))
		return parse_size(key, value, &o->page_size_bytes);
	if (!strcmp(key, "write.parquet.page-row-limit"))
		return parse_size(key, value, &o->page_row_limit);
	if (!strcmp(key, "write.parquet.dict-size-bytes"))
		return parse_size(key, value, &o->dictionary_size_bytes);
	if (!strcmp(key, "write.target-file-size-bytes"))
		return parse_size(key, value, &o->target_file_size_bytes);
	return 0;
}

/* ---- open / write / close ------------------------------------------------------------ */

static void free_writer(ice_parquet_writer *w)
{
	if (w->cols)
		for (size_t i = 0; i < w->ws.nleaves; i++) {
			colw *c = &w->cols[i];
			ice_buf *bufs[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs,
			                   &c->chunk, &c->min, &c->max, &c->m_min, &c->m_max, &c->dpage};
			for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++)
				ice_buf__free(bufs[k]);
			ice__free(c->slots);
		}
	ice__free(w->cols);
	ice_parquet__wscratch_free(&w->own);
	ice__free(w->location);
	ice_arena__free(&w->arena);
	ice__free(w);
}

static int codec_of(int codec, ice_codec *out)
{
	switch (codec) {
	case ICE_PARQUET_UNCOMPRESSED: *out = ICE_CODEC_NONE; return 0;
	case ICE_PARQUET_SNAPPY: *out = ICE_CODEC_SNAPPY; return 0;
	case ICE_PARQUET_GZIP: *out = ICE_CODEC_GZIP; return 0;
	case ICE_PARQUET_BROTLI: *out = ICE_CODEC_BROTLI; return 0;
	case ICE_PARQUET_ZSTD: *out = ICE_CODEC_ZSTD; return 0;
	case ICE_PARQUET_LZ4_RAW: *out = ICE_CODEC_LZ4_RAW; return 0;
	}
	return PQ_ERR(ICE_EUNSUPPORTED, "the Parquet writer does not compress with %s", ice_parquet_codec_name(codec));
}

int ice_parquet_writer_open(ice_parquet_writer **out, const ice_io *io, const char *location, const ice_type *schema,
                            const ice_parquet_write_options *opts)
{
	ice_parquet_writer *w;
	int rc;
	*out = NULL;
	if (!(w = ice__calloc(1, sizeof(*w))))
		return ICE_ERROR;
	ice_arena__init(&w->arena, 16384);
	w->schema = schema;
	if (opts)
		w->opts = *opts;
	else
		ice_parquet_write_options_init(&w->opts);
	if (ice_parquet__wscratch_init(&w->own) != 0 || !(w->location = ice__strdup(location))) {
		free_writer(w);
		return ICE_ERROR;
	}
	if ((rc = codec_of(w->opts.codec, &w->codec)) != 0 ||
	    (rc = ice_parquet__wschema_build(&w->ws, schema, &w->arena)) != 0) {
		ice_error__prefix("%s", location);
		free_writer(w);
		return rc;
	}
	if (!(w->cols = ice__calloc(w->ws.nleaves ? w->ws.nleaves : 1, sizeof(colw)))) {
		free_writer(w);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		colw *c = &w->cols[i];
		const pq_wleaf *l = &w->ws.leaves[i];
		ice_buf *bufs[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs,
		                   &c->chunk, &c->min, &c->max, &c->m_min, &c->m_max, &c->dpage};
		for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++)
			ice_buf__init(bufs[k], 0);
		c->leaf = l;
		c->sc = &w->own;
		c->pw = l->type == ICE_PARQUET_BOOLEAN ? 1
		        : l->type == ICE_PARQUET_INT32 || l->type == ICE_PARQUET_FLOAT ? 4
		        : l->type == ICE_PARQUET_INT64 || l->type == ICE_PARQUET_DOUBLE ? 8
		        : l->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY ? l->type_length
		                                                    : 0;
		c->dict_enabled = w->opts.dictionary_enabled && l->type != ICE_PARQUET_BOOLEAN;
		c->dict_on = c->dict_enabled;
		c->m_bounds_ok = !l->under_repeated;
	}
	if ((rc = ice_io__create_output(&w->out, io, location, true)) != 0) {
		free_writer(w);
		return rc;
	}
	if ((rc = ice_parquet__w_write_out(w, "PAR1", 4)) != 0) {
		ice_output__abort(w->out);
		free_writer(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* Does Arrow `format` fit Iceberg type t? Sets the leaf layouts on the way. */
static int check_arrow(ice_parquet_writer *w, const ice_type *t, const struct ArrowSchema *s, const char *name)
{
	const char *f = s->format;
	bool ok = false;
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: ok = !strcmp(f, "b"); break;
	case ICE_TYPE_INT: ok = !strcmp(f, "i"); break;
	case ICE_TYPE_LONG: ok = !strcmp(f, "l"); break;
	case ICE_TYPE_FLOAT: ok = !strcmp(f, "f"); break;
	case ICE_TYPE_DOUBLE: ok = !strcmp(f, "g"); break;
	case ICE_TYPE_DATE: ok = !strcmp(f, "tdD"); break;
	case ICE_TYPE_TIME: ok = !strcmp(f, "ttu"); break;
	case ICE_TYPE_TIMESTAMP: ok = !strcmp(f, "tsu:"); break;
	case ICE_TYPE_TIMESTAMPTZ: ok = !strncmp(f, "tsu:", 4) && f[4]; break;
	case ICE_TYPE_TIMESTAMP_NS: ok = !strcmp(f, "tsn:"); break;
	case ICE_TYPE_TIMESTAMPTZ_NS: ok = !strncmp(f, "tsn:", 4) && f[4]; break;
	case ICE_TYPE_STRING: ok = !strcmp(f, "u") || !strcmp(f, "U"); break;
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: ok = !strcmp(f, "z") || !strcmp(f, "Z"); break;
	case ICE_TYPE_UNKNOWN: ok = !strcmp(f, "n"); break;
	case ICE_TYPE_VARIANT:
		/* unshredded: struct<metadata: binary, value: binary> */
		ok = !strcmp(f, "+s") && s->n_children == 2 && strchr("zZ", s->children[0]->format[0]) &&
		     strchr("zZ", s->children[1]->format[0]) && !s->children[0]->format[1] && !s->children[1]->format[1];
		break;
	case ICE_TYPE_UUID: ok = !strcmp(f, "w:16"); break;
	case ICE_TYPE_FIXED: {
		char want[32];
		snprintf(want, sizeof(want), "w:%d", (int)t->u.fixed.length);
		ok = !strcmp(f, want);
		break;
	}
	case ICE_TYPE_DECIMAL: {
		int p = 0, sc = 0, bits = 128;
		int n = sscanf(f, "d:%d,%d,%d", &p, &sc, &bits);
		ok = n >= 2 && p == t->u.decimal.precision && sc == t->u.decimal.scale && bits == 128;
		break;
	}
	case ICE_TYPE_STRUCT:
		ok = !strcmp(f, "+s") && (size_t)s->n_children == t->u.struct_.nfields;
		for (size_t i = 0; ok && i < t->u.struct_.nfields; i++) {
			int rc = check_arrow(w, t->u.struct_.fields[i].type, s->children[i], t->u.struct_.fields[i].name);
			if (rc)
				return rc;
		}
		break;
	case ICE_TYPE_LIST:
		ok = !strcmp(f, "+l") && s->n_children == 1;
		if (ok)
			return check_arrow(w, t->u.list.element.type, s->children[0], "element");
		break;
	case ICE_TYPE_MAP:
		ok = !strcmp(f, "+m") && s->n_children == 1 && s->children[0]->n_children == 2;
		if (ok) {
			int rc = check_arrow(w, t->u.map.key.type, s->children[0]->children[0], "key");
			return rc ? rc : check_arrow(w, t->u.map.value.type, s->children[0]->children[1], "value");
		}
		break;
	default: break;
	}
	if (!ok)
		return PQ_ERR(ICE_EINVALID, "%s: column %s: Arrow format '%s' does not fit Iceberg type %s", w->location, name,
		              f, ice_type_id_name(t->id));
	return 0;
}

/* The Arrow schema node of a leaf, following its steps. */
static const struct ArrowSchema *leaf_schema(const pq_wleaf *l, const struct ArrowSchema *s)
{
	for (int k = 0; k < l->depth; k++) {
		const pq_wstep *st = &l->steps[k];
		if (st->kind == PQ_STEP_STRUCT)
			s = s->children[st->child];
		else if (st->kind == PQ_STEP_LIST)
			s = s->children[0];
		else
			s = s->children[0];
	}
	return s;
}

static int layout_of(const char *f)
{
	switch (f[0]) {
	case 'b': return V_BOOL;
	case 'i': return V_I32;
	case 'l': return V_I64;
	case 'f': return V_F32;
	case 'g': return V_F64;
	case 'd': return V_DEC;
	case 'u':
	case 'z': return V_BYTES32;
	case 'U':
	case 'Z': return V_BYTES64;
	case 'w': return V_FLBA;
	case 't': return f[1] == 'd' ? V_I32 : V_I64;
	}
	return -1;
}

/* Rows [from, to) of a batch, one column per task (columns are independent:
 * each has its own buffers, and the thread's scratch for pages). */
typedef struct write_job {
	ice_parquet_writer *w;
	const struct ArrowArray *batch;
	int64_t from, to;
} write_job;

static int write_column(void *ctx, size_t i, size_t worker)
{
	write_job *j = ctx;
	ice_parquet_writer *w = j->w;
	colw *c = &w->cols[i];
	const pq_wleaf *l = c->leaf;
	int rc = 0;
	c->sc = w->pool ? &w->pool->sc[worker] : &w->own;
	if (l->depth == 1) {
		const struct ArrowArray *a = j->batch->children[l->steps[0].child];
		rc = ice_parquet__w_write_flat(w, c, a, j->from + j->batch->offset, j->to + j->batch->offset);
	} else {
		for (int64_t r = j->from; r < j->to && !rc; r++) {
			rc = ice_parquet__w_shred(c, 0, j->batch, r, 0, 0);
			if (!rc && (c->nlevels >= (size_t)w->opts.page_row_limit || (r & 255) == 0))
				rc = ice_parquet__w_after_record(w, c);
		}
	}
	if (!rc)
		rc = ice_parquet__w_after_record(w, c);
	if (!rc)
		rc = ice_parquet__w_col_error(c);
	return rc;
}

int ice_parquet_writer_write(ice_parquet_writer *w, const struct ArrowArray *batch,
                             const struct ArrowSchema *schema)
{
	int rc;
	if (w->failed)
		return PQ_ERR(ICE_ERROR, "%s: the writer failed earlier", w->location);
	if (!batch || !schema || batch->release == NULL || strcmp(schema->format, "+s") != 0)
		return PQ_ERR(ICE_EINVALID, "%s: a batch must be a struct array", w->location);
	if ((rc = check_arrow(w, w->schema, schema, "(root)")) != 0)
		return rc;
	if (batch->n_children != schema->n_children)
		return PQ_ERR(ICE_EINVALID, "%s: batch has %lld columns, its schema %lld", w->location,
		              (long long)batch->n_children, (long long)schema->n_children);
	for (size_t i = 0; i < w->ws.nleaves; i++)
		w->cols[i].vfmt = layout_of(leaf_schema(&w->ws.leaves[i], schema)->format);
	const int64_t slice = 8192;
	write_job job = {w, batch, 0, 0};
	for (int64_t from = 0; from < batch->length; from += slice) {
		job.from = from;
		job.to = from + slice < batch->length ? from + slice : batch->length;
		if ((rc = ice_workers__run(w->pool ? w->pool->workers : NULL, w->ws.nleaves, write_column, &job)) != 0) {
			w->failed = true;
			return rc;
		}
		w->rg_rows += job.to - from;
		if (ice_parquet__w_buffered_bytes(w, false) >= w->opts.row_group_size_bytes && (rc = ice_parquet__w_flush_row_group(w)) != 0) {
			w->failed = true;
			return rc;
		}
	}
	return 0;
}

void ice_parquet_writer_abort(ice_parquet_writer *w)
{
	if (!w)
		return;
	if (w->out)
		ice_output__abort(w->out);
	free_writer(w);
}

/* ---- bounds for the manifest ----------------------------------------------------------- */

/* Iceberg's truncate(L) for strings: the first L code points; the upper
 * bound is then rounded up by incrementing its last code point that can be.
 * false when no upper bound exists (every code point at the maximum). */
static bool truncate_string(const uint8_t *s, size_t len, int32_t L, bool upper, ice_buf *out)
{
	size_t n = ice_utf8__prefix_len(s, len, (size_t)L);
	ice_buf__clear(out);
	ice_buf__put(out, s, n);
	if (!upper || n == len)
		return true;
	/* increment the last code point that is not U+10FFFF (skipping surrogates) */
	while (out->len > 0) {
		size_t start = out->len - 1;
		while (start > 0 && ((uint8_t)out->ptr[start] & 0xc0) == 0x80)
			start--;
		uint32_t cp = 0;
		const uint8_t *p = (const uint8_t *)out->ptr + start;
		size_t cl = out->len - start;
		if (cl == 1)
			cp = p[0];
		else if (cl == 2)
			cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		else if (cl == 3)
			cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		else
			cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 |
			     (p[3] & 0x3f);
		ice_buf__truncate(out, start);
		if (cp >= 0x10ffff)
			continue;
		cp++;
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xe000;
		uint8_t enc[4];
		size_t el;
		if (cp < 0x80) {
			enc[0] = (uint8_t)cp;
			el = 1;
		} else if (cp < 0x800) {
			enc[0] = (uint8_t)(0xc0 | cp >> 6);
			enc[1] = (uint8_t)(0x80 | (cp & 0x3f));
			el = 2;
		} else if (cp < 0x10000) {
			enc[0] = (uint8_t)(0xe0 | cp >> 12);
			enc[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			enc[2] = (uint8_t)(0x80 | (cp & 0x3f));
			el = 3;
		} else {
			enc[0] = (uint8_t)(0xf0 | cp >> 18);
			enc[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			enc[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			enc[3] = (uint8_t)(0x80 | (cp & 0x3f));
			el = 4;
		}
		ice_buf__put(out, enc, el);
		return true;
	}
	return false;
}

static bool truncate_binary(const uint8_t *s, size_t len, int32_t L, bool upper, ice_buf *out)
{
	size_t n = len < (size_t)L ? len : (size_t)L;
	ice_buf__clear(out);
	ice_buf__put(out, s, n);
	if (!upper || n == len)
		return true;
	while (out->len > 0) {
		uint8_t *last = (uint8_t *)out->ptr + out->len - 1;
		if (*last != 0xff) {
			(*last)++;
			return true;
		}
		ice_buf__truncate(out, out->len - 1);
	}
	return false;
}

static bool metric_bound(ice_literal *out, const colw *c, const ice_buf *raw, bool upper, int32_t trunc,
                         ice_arena *arena)
{
	const pq_wleaf *l = c->leaf;
	const ice_type *t = l->iceberg;
	const uint8_t *p = raw->ptr ? (const uint8_t *)raw->ptr : (const uint8_t *)"";
	size_t n = raw->len;
	ice_buf tmp = ICE_BUF_INIT;
	bool ok = true;
	*out = ice_literal_null(t->id);
	if ((t->id == ICE_TYPE_STRING || t->id == ICE_TYPE_BINARY) && trunc > 0) {
		ok = t->id == ICE_TYPE_STRING ? truncate_string(p, n, trunc, upper, &tmp)
		                              : truncate_binary(p, n, trunc, upper, &tmp);
		p = (const uint8_t *)ice_buf__cstr(&tmp);
		n = tmp.len;
	}
	if (ok && !tmp.error) {
		pq_leaf pl;
		memset(&pl, 0, sizeof(pl));
		pl.type = l->type;
		pl.type_length = l->type_length;
		pl.format = "l";
		void *copy = ice_arena__memdup(arena, p, n ? n : 1);
		ok = copy && ice_parquet__bound_literal(out, t, &pl, copy, n);
	} else {
		ok = false;
	}
	ice_buf__free(&tmp);
	return ok;
}

static int build_metrics(ice_parquet_writer *w, ice_parquet_file_metrics **out)
{
	ice_arena *arena;
	ice_parquet_file_metrics *m = ice_parquet__metrics_new(w->ws.nleaves, w->nrow_groups, &arena);
	if (!m)
		return ICE_ERROR;
	ice_parquet_column_metrics *cols = (ice_parquet_column_metrics *)m->columns;
	int64_t *splits = (int64_t *)m->split_offsets;
	m->file_size = w->written;
	m->record_count = w->total_rows;
	for (size_t g = 0; g < w->nrow_groups; g++)
		splits[g] = w->row_groups[g].file_offset;
	m->nsplit_offsets = w->nrow_groups;
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		const colw *c = &w->cols[i];
		const ice_type *t = c->leaf->iceberg;
		if (!c->leaf->has_field_id)
			continue; /* the parts of a variant have no metrics of their own */
		ice_parquet_column_metrics *cm = &cols[m->ncolumns++];
		cm->field_id = c->leaf->field_id;
		cm->column_size = c->m_size;
		cm->value_count = c->m_values;
		cm->null_count = c->m_nulls;
		cm->nan_count = (t->id == ICE_TYPE_FLOAT || t->id == ICE_TYPE_DOUBLE) ? c->m_nans : -1;
		cm->lower_bound = ice_literal_null(t->id);
		cm->upper_bound = ice_literal_null(t->id);
		if (c->m_has_bounds && c->m_bounds_ok) {
			ice_literal lo, hi;
			int32_t tr = w->opts.metrics_truncate_length;
			if (metric_bound(&lo, c, &c->m_min, false, tr, arena) && metric_bound(&hi, c, &c->m_max, true, tr, arena)) {
				cm->lower_bound = lo;
				cm->upper_bound = hi;
				cm->has_bounds = true;
			}
		}
	}
	*out = m;
	return 0;
}

int ice_parquet_writer_close(ice_parquet_writer *w, ice_parquet_file_metrics **metrics_out)
{
	int rc;
	if (metrics_out)
		*metrics_out = NULL;
	if (w->failed) {
		ice_parquet_writer_abort(w);
		return PQ_ERR(ICE_ERROR, "the writer failed earlier");
	}
	if ((rc = ice_parquet__w_flush_row_group(w)) != 0)
		goto fail;
	pq_file_meta fm;
	memset(&fm, 0, sizeof(fm));
	fm.version = 2;
	fm.num_rows = w->total_rows;
	fm.elements = w->ws.elements;
	fm.nelements = w->ws.nelements;
	fm.row_groups = w->row_groups;
	fm.nrow_groups = w->nrow_groups;
	fm.kv = (ice_parquet_key_value *)w->opts.key_values;
	fm.nkv = w->opts.nkey_values;
	fm.created_by = "ice version " ICE_VERSION_STRING " (libicetable)";
	fm.ncolumn_orders = w->ws.nleaves;
	fm.column_orders = ice_arena__allocarray(&w->arena, w->ws.nleaves ? w->ws.nleaves : 1, sizeof(int));
	if (!fm.column_orders) {
		rc = ICE_ERROR;
		goto fail;
	}
	for (size_t i = 0; i < w->ws.nleaves; i++)
		fm.column_orders[i] = 1;
	ice_buf *page = &w->own.page;
	ice_buf__clear(page);
	ice_parquet__write_file_meta(page, &fm);
	if (page->error) {
		rc = page->error;
		goto fail;
	}
	uint32_t flen = (uint32_t)page->len;
	if ((rc = ice_parquet__w_write_out(w, page->ptr, page->len)) != 0 || (rc = ice_parquet__w_write_out(w, &flen, 4)) != 0 ||
	    (rc = ice_parquet__w_write_out(w, "PAR1", 4)) != 0)
		goto fail;
	if (metrics_out && (rc = build_metrics(w, metrics_out)) != 0)
		goto fail;
	rc = ice_output__close(w->out);
	w->out = NULL;
	if (rc) {
		if (metrics_out) {
			ice_parquet_file_metrics_free(*metrics_out);
			*metrics_out = NULL;
		}
		free_writer(w);
		return rc;
	}
	free_writer(w);
	return 0;
fail:
	ice_parquet_writer_abort(w);
	return rc;
}


int64_t ice_parquet_writer_buffered_bytes(const ice_parquet_writer *w)
{
	return ice_parquet__w_memory(w);
}

int ice_parquet_writer_flush_row_group(ice_parquet_writer *w)
{
	int rc;
	if (w->failed)
		return PQ_ERR(ICE_ERROR, "%s: the writer failed earlier", w->location);
	if (w->rg_rows > 0 && (rc = ice_parquet__w_flush_row_group(w)) != 0) {
		w->failed = true;
		return rc;
	}
	ice_parquet__w_trim(w);
	return 0;
}

/* ---- the shared pool (wpool.h) ------------------------------------------------------ */

int ice_parquet__wpool_new(ice_parquet_wpool **out, ice_workers *workers)
{
	ice_parquet_wpool *p = ice__calloc(1, sizeof(*p));
	*out = NULL;
	if (!p)
		return ICE_ERROR;
	p->workers = workers;
	p->n = ice_workers__count(workers);
	if (!(p->sc = ice__calloc(p->n, sizeof(pq_wscratch)))) {
		ice__free(p);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < p->n; i++)
		if (ice_parquet__wscratch_init(&p->sc[i]) != 0) {
			p->n = i + 1;
			ice_parquet__wpool_free(p);
			return ICE_ERROR;
		}
	*out = p;
	return 0;
}

void ice_parquet__wpool_free(ice_parquet_wpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		ice_parquet__wscratch_free(&p->sc[i]);
	ice__free(p->sc);
	ice__free(p);
}

int64_t ice_parquet__wpool_memory(const ice_parquet_wpool *p)
{
	int64_t n = 0;
	for (size_t i = 0; p && i < p->n; i++)
		n += ice_parquet__wscratch_memory(&p->sc[i]);
	return n;
}

void ice_parquet__wpool_trim(ice_parquet_wpool *p)
{
	for (size_t i = 0; p && i < p->n; i++)
		ice_parquet__wscratch_trim(&p->sc[i]);
}

void ice_parquet__writer_use_pool(ice_parquet_writer *w, ice_parquet_wpool *p)
{
	w->pool = p;
	ice_parquet__wscratch_trim(&w->own);
}
