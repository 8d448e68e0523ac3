/*
 * parquet/footer.c - the Thrift structures of parquet.thrift that ice reads
 * and writes: FileMetaData (schema elements, row groups, column chunks,
 * statistics, key/value metadata, column orders) and PageHeader (data page
 * v1 and v2, dictionary page).
 *
 * Parsing keeps only what a reader needs and skips every field it does not
 * know, as Thrift intends. Array sizes come from list headers that were
 * already checked against the bytes left, so a hostile count cannot make us
 * allocate more than the footer's size allows.
 */
#include "internal.h"

#define FIELDS_BEGIN(t)                                                                             \
	{                                                                                           \
		int16_t last_ = 0, fid_;                                                            \
		int ft_;                                                                            \
		for (;;) {                                                                          \
			if (ice_parquet__tc_field(t, &ft_, &fid_, &last_))                          \
				return -1;                                                          \
			if (ft_ == TC_STOP)                                                         \
				break;                                                              \
			switch (fid_) {
#define FIELDS_END(t)                                                                               \
	default:                                                                                    \
		if (ice_parquet__tc_skip(t, ft_))                                                   \
			return -1;                                                                  \
		}                                                                                   \
		}                                                                                   \
		}
#define FT ft_

static char *arena_str(ice_arena *a, const uint8_t *d, size_t n)
{
	return ice_arena__strndup(a, (const char *)d, n);
}

static int read_str(tc_reader *t, int type, ice_arena *a, const char **out)
{
	const uint8_t *d;
	size_t n;
	if (ice_parquet__tc_binary(t, type, &d, &n))
		return -1;
	if (!(*out = arena_str(a, d, n)))
		return ice_parquet__tc_fail(t, "out of memory");
	return 0;
}

static int read_slice(tc_reader *t, int type, ice_slice *out)
{
	return ice_parquet__tc_binary(t, type, &out->data, &out->len);
}

static int begin(tc_reader *t, int type)
{
	return ice_parquet__tc_struct_begin(t, type);
}

/* An empty struct (the members of the LogicalType and TimeUnit unions). */
static int skip_struct(tc_reader *t, int type)
{
	return ice_parquet__tc_skip(t, type);
}

static int parse_time_unit(tc_reader *t, int type, int *unit)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
	case 2:
	case 3:
		*unit = fid_;
		if (skip_struct(t, FT))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_time_or_ts(tc_reader *t, int type, pq_logical *lt)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_bool(t, FT, &lt->utc))
			return -1;
		break;
	case 2:
		if (parse_time_unit(t, FT, &lt->unit))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_decimal_lt(tc_reader *t, int type, pq_logical *lt)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &lt->scale))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &lt->precision))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_integer_lt(tc_reader *t, int type, pq_logical *lt)
{
	int32_t bw;
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &bw))
			return -1;
		lt->bit_width = bw;
		break;
	case 2:
		if (ice_parquet__tc_bool(t, FT, &lt->is_signed))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_geo_lt(tc_reader *t, int type, pq_logical *lt, ice_arena *a)
{
	int32_t alg;
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (read_str(t, FT, a, &lt->crs))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &alg))
			return -1;
		lt->algorithm = alg;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

/* LogicalType is a union: one field, whose id names the type. */
static int parse_logical(tc_reader *t, int type, pq_logical *lt, ice_arena *a)
{
	int16_t last = 0, fid;
	int ft, rc;
	if (begin(t, type))
		return -1;
	for (;;) {
		if (ice_parquet__tc_field(t, &ft, &fid, &last))
			return -1;
		if (ft == TC_STOP)
			break;
		switch (fid) {
		case LT_STRING:
		case LT_MAP:
		case LT_LIST:
		case LT_ENUM:
		case LT_DATE:
		case LT_UNKNOWN:
		case LT_JSON:
		case LT_BSON:
		case LT_UUID:
		case LT_FLOAT16:
		case LT_VARIANT:
			lt->kind = fid;
			rc = skip_struct(t, ft);
			break;
		case LT_DECIMAL:
			lt->kind = LT_DECIMAL;
			rc = parse_decimal_lt(t, ft, lt);
			break;
		case LT_TIME:
		case LT_TIMESTAMP:
			lt->kind = fid;
			rc = parse_time_or_ts(t, ft, lt);
			break;
		case LT_INTEGER:
			lt->kind = LT_INTEGER;
			rc = parse_integer_lt(t, ft, lt);
			break;
		case LT_GEOMETRY:
		case LT_GEOGRAPHY:
			lt->kind = fid;
			rc = parse_geo_lt(t, ft, lt, a);
			break;
		default:
			/* A logical type from a newer writer: remember that there was one. */
			lt->kind = LT_OTHER;
			rc = ice_parquet__tc_skip(t, ft);
			break;
		}
		if (rc)
			return -1;
	}
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_element(tc_reader *t, pq_element *el, ice_arena *a)
{
	memset(el, 0, sizeof(*el));
	el->type = -1;
	el->repetition = -1;
	el->num_children = -1;
	el->converted = CT_NONE;
	el->logical.algorithm = -1;
	bool has_name = false;
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &el->type))
			return -1;
		if (el->type < 0 || el->type > 7)
			return ice_parquet__tc_fail(t, "invalid physical type");
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &el->type_length))
			return -1;
		break;
	case 3:
		if (ice_parquet__tc_i32(t, FT, &el->repetition))
			return -1;
		if (el->repetition < 0 || el->repetition > 2)
			return ice_parquet__tc_fail(t, "invalid repetition type");
		break;
	case 4:
		if (read_str(t, FT, a, &el->name))
			return -1;
		has_name = true;
		break;
	case 5:
		if (ice_parquet__tc_i32(t, FT, &el->num_children))
			return -1;
		if (el->num_children < 0)
			return ice_parquet__tc_fail(t, "negative number of children");
		break;
	case 6:
		if (ice_parquet__tc_i32(t, FT, &el->converted))
			return -1;
		break;
	case 7:
		if (ice_parquet__tc_i32(t, FT, &el->scale))
			return -1;
		break;
	case 8:
		if (ice_parquet__tc_i32(t, FT, &el->precision))
			return -1;
		break;
	case 9:
		if (ice_parquet__tc_i32(t, FT, &el->field_id))
			return -1;
		el->has_field_id = true;
		break;
	case 10:
		if (parse_logical(t, FT, &el->logical, a))
			return -1;
		break;
	FIELDS_END(t)
	if (!has_name)
		return ice_parquet__tc_fail(t, "schema element without a name");
	return 0;
}

static int parse_stats(tc_reader *t, int type, pq_stats_raw *s)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (read_slice(t, FT, &s->max))
			return -1;
		s->has_max = true;
		break;
	case 2:
		if (read_slice(t, FT, &s->min))
			return -1;
		s->has_min = true;
		break;
	case 3:
		if (ice_parquet__tc_i64(t, FT, &s->null_count))
			return -1;
		s->has_null_count = true;
		break;
	case 4:
		if (ice_parquet__tc_i64(t, FT, &s->distinct_count))
			return -1;
		s->has_distinct_count = true;
		break;
	case 5:
		if (read_slice(t, FT, &s->max_value))
			return -1;
		s->has_max_value = true;
		break;
	case 6:
		if (read_slice(t, FT, &s->min_value))
			return -1;
		s->has_min_value = true;
		break;
	case 7:
		if (ice_parquet__tc_bool(t, FT, &s->max_exact))
			return -1;
		s->has_max_exact = true;
		break;
	case 8:
		if (ice_parquet__tc_bool(t, FT, &s->min_exact))
			return -1;
		s->has_min_exact = true;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_column_meta(tc_reader *t, int type, pq_chunk_meta *c, ice_arena *a)
{
	int et;
	uint32_t n;
	if (begin(t, type))
		return -1;
	c->has_meta = true;
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &c->type))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (!(c->encodings = ice_arena__allocarray(a, n ? n : 1, sizeof(int))))
			return ice_parquet__tc_fail(t, "out of memory");
		c->nencodings = n;
		for (uint32_t i = 0; i < n; i++)
			if (ice_parquet__tc_i32(t, et, &c->encodings[i]))
				return -1;
		break;
	case 3:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (!(c->path = ice_arena__allocarray(a, n ? n : 1, sizeof(char *))))
			return ice_parquet__tc_fail(t, "out of memory");
		c->npath = n;
		for (uint32_t i = 0; i < n; i++)
			if (read_str(t, et, a, &c->path[i]))
				return -1;
		break;
	case 4:
		if (ice_parquet__tc_i32(t, FT, &c->codec))
			return -1;
		break;
	case 5:
		if (ice_parquet__tc_i64(t, FT, &c->num_values))
			return -1;
		break;
	case 6:
		if (ice_parquet__tc_i64(t, FT, &c->total_uncompressed_size))
			return -1;
		break;
	case 7:
		if (ice_parquet__tc_i64(t, FT, &c->total_compressed_size))
			return -1;
		break;
	case 9:
		if (ice_parquet__tc_i64(t, FT, &c->data_page_offset))
			return -1;
		break;
	case 11:
		if (ice_parquet__tc_i64(t, FT, &c->dictionary_page_offset))
			return -1;
		c->has_dictionary_page_offset = true;
		break;
	case 12:
		if (parse_stats(t, FT, &c->stats))
			return -1;
		c->has_stats = true;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_chunk(tc_reader *t, pq_chunk_meta *c, ice_arena *a)
{
	memset(c, 0, sizeof(*c));
	FIELDS_BEGIN(t)
	case 1: {
		const char *p;
		if (read_str(t, FT, a, &p))
			return -1;
		c->has_file_path = true;
		break;
	}
	case 3:
		if (parse_column_meta(t, FT, c, a))
			return -1;
		break;
	case 8:
	case 9:
		c->encrypted = true;
		if (ice_parquet__tc_skip(t, FT))
			return -1;
		break;
	FIELDS_END(t)
	return 0;
}

static int parse_row_group(tc_reader *t, pq_row_group_meta *rg, ice_arena *a)
{
	int et;
	uint32_t n;
	memset(rg, 0, sizeof(*rg));
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (et != TC_STRUCT)
			return ice_parquet__tc_fail(t, "column chunks are not structs");
		if (!(rg->columns = ice_arena__allocarray(a, n ? n : 1, sizeof(pq_chunk_meta))))
			return ice_parquet__tc_fail(t, "out of memory");
		rg->ncolumns = n;
		for (uint32_t i = 0; i < n; i++) {
			if (begin(t, et) || parse_chunk(t, &rg->columns[i], a))
				return -1;
			ice_parquet__tc_struct_end(t);
		}
		break;
	case 2:
		if (ice_parquet__tc_i64(t, FT, &rg->total_byte_size))
			return -1;
		break;
	case 3:
		if (ice_parquet__tc_i64(t, FT, &rg->num_rows))
			return -1;
		break;
	case 5:
		if (ice_parquet__tc_i64(t, FT, &rg->file_offset))
			return -1;
		rg->has_file_offset = true;
		break;
	case 6:
		if (ice_parquet__tc_i64(t, FT, &rg->total_compressed_size))
			return -1;
		rg->has_total_compressed_size = true;
		break;
	FIELDS_END(t)
	return 0;
}

static int parse_kv(tc_reader *t, int type, ice_parquet_key_value *kv, ice_arena *a)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (read_str(t, FT, a, &kv->key))
			return -1;
		break;
	case 2:
		if (read_str(t, FT, a, &kv->value))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	if (!kv->key)
		kv->key = "";
	return 0;
}

static int parse_column_order(tc_reader *t, int type, int *order)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		*order = 1;
		if (ice_parquet__tc_skip(t, FT))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

int ice_parquet__parse_file_meta(pq_file_meta *m, const uint8_t *data, size_t len, uint64_t base,
                                 ice_arena *a, tc_reader *t)
{
	int et;
	uint32_t n;
	bool has_schema = false, has_rows = false, has_groups = false;
	memset(m, 0, sizeof(*m));
	ice_parquet__tc_init(t, data, len, base);
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &m->version))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (et != TC_STRUCT)
			return ice_parquet__tc_fail(t, "schema elements are not structs");
		if (!(m->elements = ice_arena__allocarray(a, n ? n : 1, sizeof(pq_element))))
			return ice_parquet__tc_fail(t, "out of memory");
		m->nelements = n;
		for (uint32_t i = 0; i < n; i++) {
			if (begin(t, et) || parse_element(t, &m->elements[i], a))
				return -1;
			ice_parquet__tc_struct_end(t);
		}
		has_schema = true;
		break;
	case 3:
		if (ice_parquet__tc_i64(t, FT, &m->num_rows))
			return -1;
		has_rows = true;
		break;
	case 4:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (et != TC_STRUCT)
			return ice_parquet__tc_fail(t, "row groups are not structs");
		if (!(m->row_groups = ice_arena__allocarray(a, n ? n : 1, sizeof(pq_row_group_meta))))
			return ice_parquet__tc_fail(t, "out of memory");
		m->nrow_groups = n;
		for (uint32_t i = 0; i < n; i++) {
			if (begin(t, et) || parse_row_group(t, &m->row_groups[i], a))
				return -1;
			ice_parquet__tc_struct_end(t);
		}
		has_groups = true;
		break;
	case 5:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (et != TC_STRUCT)
			return ice_parquet__tc_fail(t, "key/value metadata are not structs");
		if (!(m->kv = ice_arena__allocarray(a, n ? n : 1, sizeof(ice_parquet_key_value))))
			return ice_parquet__tc_fail(t, "out of memory");
		m->nkv = n;
		for (uint32_t i = 0; i < n; i++)
			if (parse_kv(t, et, &m->kv[i], a))
				return -1;
		break;
	case 6:
		if (read_str(t, FT, a, &m->created_by))
			return -1;
		break;
	case 7:
		if (ice_parquet__tc_list(t, FT, &et, &n))
			return -1;
		if (et != TC_STRUCT)
			return ice_parquet__tc_fail(t, "column orders are not structs");
		if (!(m->column_orders = ice_arena__allocarray(a, n ? n : 1, sizeof(int))))
			return ice_parquet__tc_fail(t, "out of memory");
		m->ncolumn_orders = n;
		for (uint32_t i = 0; i < n; i++)
			if (parse_column_order(t, et, &m->column_orders[i]))
				return -1;
		break;
	case 8:
		m->encrypted = true;
		if (ice_parquet__tc_skip(t, FT))
			return -1;
		break;
	FIELDS_END(t)
	if (!has_schema || m->nelements == 0)
		return ice_parquet__tc_fail(t, "FileMetaData has no schema");
	if (!has_rows || m->num_rows < 0)
		return ice_parquet__tc_fail(t, "FileMetaData has no valid row count");
	if (!has_groups)
		return ice_parquet__tc_fail(t, "FileMetaData has no row groups list");
	return 0;
}

/* ---- page headers -------------------------------------------------------- */

static int parse_data_header_v1(tc_reader *t, int type, pq_page_header *h)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
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
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	h->has_data_header = true;
	return 0;
}

static int parse_dict_header(tc_reader *t, int type, pq_page_header *h)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &h->num_values))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &h->encoding))
			return -1;
		break;
	FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	h->has_data_header = true;
	return 0;
}

static int parse_data_header_v2(tc_reader *t, int type, pq_page_header *h)
{
	if (begin(t, type))
		return -1;
	FIELDS_BEGIN(t)
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
	FIELDS_END(t)
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
	FIELDS_BEGIN(t)
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
	FIELDS_END(t)
	if (!has_type || !has_sizes)
		return ice_parquet__tc_fail(t, "page header lacks its type or sizes");
	if (h->compressed_size < 0 || h->uncompressed_size < 0)
		return ice_parquet__tc_fail(t, "negative page size");
	return 0;
}

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
