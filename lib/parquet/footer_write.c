/*
 * parquet/footer_write.c - serializing the Thrift structures the writer
 * emits (parquet.thrift): PageHeader for data and dictionary pages, and
 * FileMetaData with schema elements, logical and converted types, row
 * groups, column chunks and their statistics, key/value metadata and column
 * orders.
 */
#include "internal.h"

/* ---- serialization --------------------------------------------------------- */

static void write_stats(tc_writer *w, int16_t id, const pq_stats_raw *s)
{
	ice_parquet__tw_struct_begin(w, id);
	if (s->has_null_count)
		ice_parquet__tw_i64(w, 3, s->null_count);
	if (s->has_max_value)
		ice_parquet__tw_binary(w, 5, s->max_value.data, s->max_value.len);
	if (s->has_min_value)
		ice_parquet__tw_binary(w, 6, s->min_value.data, s->min_value.len);
	ice_parquet__tw_stop(w);
}

void ice_parquet__write_page_header(ice_buf *buf, const pq_page_header *h, const pq_stats_raw *stats)
{
	tc_writer w;
	ice_parquet__tw_init(&w, buf);
	ice_parquet__tw_i32(&w, 1, h->type);
	ice_parquet__tw_i32(&w, 2, h->uncompressed_size);
	ice_parquet__tw_i32(&w, 3, h->compressed_size);
	if (h->type == PAGE_DICTIONARY) {
		ice_parquet__tw_struct_begin(&w, 7);
		ice_parquet__tw_i32(&w, 1, h->num_values);
		ice_parquet__tw_i32(&w, 2, h->encoding);
		ice_parquet__tw_stop(&w);
	} else {
		ice_parquet__tw_struct_begin(&w, 5);
		ice_parquet__tw_i32(&w, 1, h->num_values);
		ice_parquet__tw_i32(&w, 2, h->encoding);
		ice_parquet__tw_i32(&w, 3, h->def_encoding);
		ice_parquet__tw_i32(&w, 4, h->rep_encoding);
		if (stats)
			write_stats(&w, 5, stats);
		ice_parquet__tw_stop(&w);
	}
	ice_parquet__tw_stop(&w);
}

static void write_logical(tc_writer *w, const pq_logical *lt)
{
	ice_parquet__tw_struct_begin(w, 10);
	switch (lt->kind) {
	case LT_DECIMAL:
		ice_parquet__tw_struct_begin(w, LT_DECIMAL);
		ice_parquet__tw_i32(w, 1, lt->scale);
		ice_parquet__tw_i32(w, 2, lt->precision);
		ice_parquet__tw_stop(w);
		break;
	case LT_TIME:
	case LT_TIMESTAMP:
		ice_parquet__tw_struct_begin(w, (int16_t)lt->kind);
		ice_parquet__tw_bool(w, 1, lt->utc);
		ice_parquet__tw_struct_begin(w, 2);
		ice_parquet__tw_struct_begin(w, (int16_t)lt->unit);
		ice_parquet__tw_stop(w);
		ice_parquet__tw_stop(w);
		ice_parquet__tw_stop(w);
		break;
	case LT_GEOMETRY:
	case LT_GEOGRAPHY:
		ice_parquet__tw_struct_begin(w, (int16_t)lt->kind);
		if (lt->crs)
			ice_parquet__tw_binary(w, 1, lt->crs, strlen(lt->crs));
		if (lt->kind == LT_GEOGRAPHY && lt->algorithm >= 0)
			ice_parquet__tw_i32(w, 2, lt->algorithm);
		ice_parquet__tw_stop(w);
		break;
	case LT_INTEGER:
		ice_parquet__tw_struct_begin(w, LT_INTEGER);
		ice_parquet__tw_field(w, TC_BYTE, 1);
		ice_buf__putc(w->buf, (char)lt->bit_width);
		ice_parquet__tw_bool(w, 2, lt->is_signed);
		ice_parquet__tw_stop(w);
		break;
	default:
		ice_parquet__tw_struct_begin(w, (int16_t)lt->kind);
		ice_parquet__tw_stop(w);
		break;
	}
	ice_parquet__tw_stop(w);
}

static void write_chunk(tc_writer *w, const pq_chunk_meta *c)
{
	ice_parquet__tw_elem_struct_begin(w);
	ice_parquet__tw_i64(w, 2, c->has_dictionary_page_offset ? c->dictionary_page_offset : c->data_page_offset);
	ice_parquet__tw_struct_begin(w, 3);
	ice_parquet__tw_i32(w, 1, c->type);
	ice_parquet__tw_list_begin(w, 2, TC_I32, (uint32_t)c->nencodings);
	for (size_t i = 0; i < c->nencodings; i++)
		ice_parquet__tw_zigzag(w, c->encodings[i]);
	ice_parquet__tw_list_begin(w, 3, TC_BINARY, (uint32_t)c->npath);
	for (size_t i = 0; i < c->npath; i++) {
		size_t n = strlen(c->path[i]);
		ice_parquet__tw_varint(w, n);
		ice_buf__put(w->buf, c->path[i], n);
	}
	ice_parquet__tw_i32(w, 4, c->codec);
	ice_parquet__tw_i64(w, 5, c->num_values);
	ice_parquet__tw_i64(w, 6, c->total_uncompressed_size);
	ice_parquet__tw_i64(w, 7, c->total_compressed_size);
	ice_parquet__tw_i64(w, 9, c->data_page_offset);
	if (c->has_dictionary_page_offset)
		ice_parquet__tw_i64(w, 11, c->dictionary_page_offset);
	if (c->has_stats)
		write_stats(w, 12, &c->stats);
	ice_parquet__tw_stop(w);
	ice_parquet__tw_stop(w);
}

void ice_parquet__write_file_meta(ice_buf *buf, const pq_file_meta *m)
{
	tc_writer w;
	ice_parquet__tw_init(&w, buf);
	ice_parquet__tw_i32(&w, 1, m->version);
	ice_parquet__tw_list_begin(&w, 2, TC_STRUCT, (uint32_t)m->nelements);
	for (size_t i = 0; i < m->nelements; i++) {
		const pq_element *e = &m->elements[i];
		ice_parquet__tw_elem_struct_begin(&w);
		if (e->type >= 0)
			ice_parquet__tw_i32(&w, 1, e->type);
		if (e->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY)
			ice_parquet__tw_i32(&w, 2, e->type_length);
		if (e->repetition >= 0)
			ice_parquet__tw_i32(&w, 3, e->repetition);
		ice_parquet__tw_binary(&w, 4, e->name, strlen(e->name));
		if (e->num_children >= 0)
			ice_parquet__tw_i32(&w, 5, e->num_children);
		if (e->converted != CT_NONE)
			ice_parquet__tw_i32(&w, 6, e->converted);
		if (e->converted == CT_DECIMAL) {
			ice_parquet__tw_i32(&w, 7, e->scale);
			ice_parquet__tw_i32(&w, 8, e->precision);
		}
		if (e->has_field_id)
			ice_parquet__tw_i32(&w, 9, e->field_id);
		if (e->logical.kind != LT_NONE)
			write_logical(&w, &e->logical);
		ice_parquet__tw_stop(&w);
	}
	ice_parquet__tw_i64(&w, 3, m->num_rows);
	ice_parquet__tw_list_begin(&w, 4, TC_STRUCT, (uint32_t)m->nrow_groups);
	for (size_t i = 0; i < m->nrow_groups; i++) {
		const pq_row_group_meta *rg = &m->row_groups[i];
		ice_parquet__tw_elem_struct_begin(&w);
		ice_parquet__tw_list_begin(&w, 1, TC_STRUCT, (uint32_t)rg->ncolumns);
		for (size_t c = 0; c < rg->ncolumns; c++)
			write_chunk(&w, &rg->columns[c]);
		ice_parquet__tw_i64(&w, 2, rg->total_byte_size);
		ice_parquet__tw_i64(&w, 3, rg->num_rows);
		ice_parquet__tw_i64(&w, 5, rg->file_offset);
		ice_parquet__tw_i64(&w, 6, rg->total_compressed_size);
		ice_parquet__tw_field(&w, TC_I16, 7);
		ice_parquet__tw_zigzag(&w, (int64_t)i);
		ice_parquet__tw_stop(&w);
	}
	if (m->nkv) {
		ice_parquet__tw_list_begin(&w, 5, TC_STRUCT, (uint32_t)m->nkv);
		for (size_t i = 0; i < m->nkv; i++) {
			ice_parquet__tw_elem_struct_begin(&w);
			ice_parquet__tw_binary(&w, 1, m->kv[i].key, strlen(m->kv[i].key));
			if (m->kv[i].value)
				ice_parquet__tw_binary(&w, 2, m->kv[i].value, strlen(m->kv[i].value));
			ice_parquet__tw_stop(&w);
		}
	}
	if (m->created_by)
		ice_parquet__tw_binary(&w, 6, m->created_by, strlen(m->created_by));
	if (m->ncolumn_orders) {
		ice_parquet__tw_list_begin(&w, 7, TC_STRUCT, (uint32_t)m->ncolumn_orders);
		for (size_t i = 0; i < m->ncolumn_orders; i++) {
			ice_parquet__tw_elem_struct_begin(&w);
			ice_parquet__tw_struct_begin(&w, 1);
			ice_parquet__tw_stop(&w);
			ice_parquet__tw_stop(&w);
		}
	}
	ice_parquet__tw_stop(&w);
}
