/*
 * parquet/footer.c - FileMetaData, the Thrift structure at the end of every
 * Parquet file (parquet.thrift): schema elements with logical types, row
 * groups, column chunks with statistics, key/value metadata, column orders.
 * Page headers are read in column.c; both are written by footer_write.c.
 *
 * Parsing keeps only what a reader needs and skips every field it does not
 * know, as Thrift intends. Array sizes come from list headers that were
 * already checked against the bytes left, so a hostile count cannot make us
 * allocate more than the footer's size allows.
 */
#include "internal.h"


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
	TC_FIELDS_BEGIN(t)
	case 1:
	case 2:
	case 3:
		*unit = fid_;
		if (skip_struct(t, FT))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_time_or_ts(tc_reader *t, int type, pq_logical *lt)
{
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_bool(t, FT, &lt->utc))
			return -1;
		break;
	case 2:
		if (parse_time_unit(t, FT, &lt->unit))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_decimal_lt(tc_reader *t, int type, pq_logical *lt)
{
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &lt->scale))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &lt->precision))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_integer_lt(tc_reader *t, int type, pq_logical *lt)
{
	int32_t bw;
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (ice_parquet__tc_i32(t, FT, &bw))
			return -1;
		lt->bit_width = bw;
		break;
	case 2:
		if (ice_parquet__tc_bool(t, FT, &lt->is_signed))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_geo_lt(tc_reader *t, int type, pq_logical *lt, ice_arena *a)
{
	int32_t alg;
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (read_str(t, FT, a, &lt->crs))
			return -1;
		break;
	case 2:
		if (ice_parquet__tc_i32(t, FT, &alg))
			return -1;
		lt->algorithm = alg;
		break;
	TC_FIELDS_END(t)
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
	TC_FIELDS_BEGIN(t)
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
	TC_FIELDS_END(t)
	if (!has_name)
		return ice_parquet__tc_fail(t, "schema element without a name");
	return 0;
}

static int parse_stats(tc_reader *t, int type, pq_stats_raw *s)
{
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
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
	TC_FIELDS_END(t)
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
	TC_FIELDS_BEGIN(t)
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
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	return 0;
}

static int parse_chunk(tc_reader *t, pq_chunk_meta *c, ice_arena *a)
{
	memset(c, 0, sizeof(*c));
	TC_FIELDS_BEGIN(t)
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
	TC_FIELDS_END(t)
	return 0;
}

static int parse_row_group(tc_reader *t, pq_row_group_meta *rg, ice_arena *a)
{
	int et;
	uint32_t n;
	memset(rg, 0, sizeof(*rg));
	TC_FIELDS_BEGIN(t)
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
	TC_FIELDS_END(t)
	return 0;
}

static int parse_kv(tc_reader *t, int type, ice_parquet_key_value *kv, ice_arena *a)
{
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		if (read_str(t, FT, a, &kv->key))
			return -1;
		break;
	case 2:
		if (read_str(t, FT, a, &kv->value))
			return -1;
		break;
	TC_FIELDS_END(t)
	ice_parquet__tc_struct_end(t);
	if (!kv->key)
		kv->key = "";
	return 0;
}

static int parse_column_order(tc_reader *t, int type, int *order)
{
	if (begin(t, type))
		return -1;
	TC_FIELDS_BEGIN(t)
	case 1:
		*order = 1;
		if (ice_parquet__tc_skip(t, FT))
			return -1;
		break;
	TC_FIELDS_END(t)
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
	TC_FIELDS_BEGIN(t)
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
	TC_FIELDS_END(t)
	if (!has_schema || m->nelements == 0)
		return ice_parquet__tc_fail(t, "FileMetaData has no schema");
	if (!has_rows || m->num_rows < 0)
		return ice_parquet__tc_fail(t, "FileMetaData has no valid row count");
	if (!has_groups)
		return ice_parquet__tc_fail(t, "FileMetaData has no row groups list");
	return 0;
}

