/*
 * parquet/schema.c - the Parquet schema tree and what it means: the flat,
 * pre-order list of SchemaElements becomes a tree of ice_parquet_column
 * nodes with paths, field ids and definition/repetition levels; each node
 * gets its Iceberg type (Parquet LogicalTypes.md, with the backward-
 * compatibility rules for converted types, legacy 2-level lists, repeated
 * fields without annotation and MAP_KEY_VALUE); each leaf gets its decoding
 * plan: the Arrow format it decodes to and the conversion on the way.
 */
#include <stdio.h>

#include "internal.h"

#define MAX_SCHEMA_DEPTH 100

static const char *converted_names[] = {
	"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
	"TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
	"UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL",
};

const char *ice_parquet_physical_type_name(int type)
{
	static const char *names[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
	                              "FIXED_LEN_BYTE_ARRAY"};
	if (type == ICE_PARQUET_GROUP)
		return "GROUP";
	return type >= 0 && type <= 7 ? names[type] : "UNKNOWN";
}

const char *ice_parquet_encoding_name(int e)
{
	switch (e) {
	case 0: return "PLAIN";
	case 2: return "PLAIN_DICTIONARY";
	case 3: return "RLE";
	case 4: return "BIT_PACKED";
	case 5: return "DELTA_BINARY_PACKED";
	case 6: return "DELTA_LENGTH_BYTE_ARRAY";
	case 7: return "DELTA_BYTE_ARRAY";
	case 8: return "RLE_DICTIONARY";
	case 9: return "BYTE_STREAM_SPLIT";
	}
	return "UNKNOWN";
}

const char *ice_parquet_codec_name(int c)
{
	static const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
	return c >= 0 && c <= 7 ? names[c] : "UNKNOWN";
}

static const char *unit_name(int u)
{
	return u == TU_MILLIS ? "MILLIS" : u == TU_MICROS ? "MICROS" : u == TU_NANOS ? "NANOS" : "?";
}

static const char *logical_text(const pq_logical *lt, ice_arena *a)
{
	char tmp[96];
	switch (lt->kind) {
	case LT_NONE: return NULL;
	case LT_STRING: return "STRING";
	case LT_MAP: return "MAP";
	case LT_LIST: return "LIST";
	case LT_ENUM: return "ENUM";
	case LT_DATE: return "DATE";
	case LT_UNKNOWN: return "UNKNOWN";
	case LT_JSON: return "JSON";
	case LT_BSON: return "BSON";
	case LT_UUID: return "UUID";
	case LT_FLOAT16: return "FLOAT16";
	case LT_VARIANT: return "VARIANT";
	case LT_GEOMETRY: return "GEOMETRY";
	case LT_GEOGRAPHY: return "GEOGRAPHY";
	case LT_OTHER: return "(unknown logical type)";
	case LT_DECIMAL: snprintf(tmp, sizeof(tmp), "DECIMAL(%d,%d)", (int)lt->precision, (int)lt->scale); break;
	case LT_TIME:
	case LT_TIMESTAMP:
		snprintf(tmp, sizeof(tmp), "%s(%s,%s)", lt->kind == LT_TIME ? "TIME" : "TIMESTAMP", unit_name(lt->unit),
		         lt->utc ? "true" : "false");
		break;
	case LT_INTEGER:
		snprintf(tmp, sizeof(tmp), "INTEGER(%d,%s)", lt->bit_width, lt->is_signed ? "true" : "false");
		break;
	default: return "?";
	}
	return ice_arena__strdup(a, tmp);
}

static bool is_list_annotated(const pq_element *e)
{
	return e->logical.kind == LT_LIST || (e->logical.kind == LT_NONE && e->converted == CT_LIST);
}

static bool is_map_annotated(const pq_element *e)
{
	return e->logical.kind == LT_MAP ||
	       (e->logical.kind == LT_NONE && (e->converted == CT_MAP || e->converted == CT_MAP_KEY_VALUE));
}

size_t ice_parquet__node_index(const pq_schema *s, const ice_parquet_column *col)
{
	return s->elem_of[col - s->root];
}

/* ---- Iceberg types ------------------------------------------------------ */

typedef struct build_ctx {
	const pq_file_meta *meta;
	pq_schema *s;
	ice_arena *arena;
	size_t *elem_of; /* tree position -> element index */
	ice_parquet_column *base;
} build_ctx;

static const pq_element *elem(const build_ctx *b, const ice_parquet_column *c)
{
	return &b->meta->elements[b->elem_of[c - b->base]];
}

const pq_element *ice_parquet__node_element(const pq_file_meta *m, const pq_schema *s,
                                            const ice_parquet_column *col)
{
	return &m->elements[ice_parquet__node_index(s, col)];
}

static ice_type *new_type(ice_arena *a, ice_type_id id)
{
	ice_type *t = ice_arena__alloc(a, sizeof(*t));
	if (t)
		t->id = id;
	return t;
}

static ice_type_id timestamp_id(int unit, bool utc)
{
	if (unit == TU_NANOS)
		return utc ? ICE_TYPE_TIMESTAMPTZ_NS : ICE_TYPE_TIMESTAMP_NS;
	return utc ? ICE_TYPE_TIMESTAMPTZ : ICE_TYPE_TIMESTAMP;
}

/* The Iceberg type of a primitive element, or INVALID when there is none. */
static ice_type *primitive_type(const pq_element *e, ice_arena *a)
{
	const pq_logical *lt = &e->logical;
	int ct = lt->kind == LT_NONE ? e->converted : CT_NONE;
	ice_type *t;
	bool decimal = lt->kind == LT_DECIMAL || ct == CT_DECIMAL;
	if (decimal) {
		int32_t p = lt->kind == LT_DECIMAL ? lt->precision : e->precision;
		int32_t sc = lt->kind == LT_DECIMAL ? lt->scale : e->scale;
		if (p < 1 || p > 38 || sc < 0 || sc > p)
			return NULL;
		if ((t = new_type(a, ICE_TYPE_DECIMAL)) != NULL) {
			t->u.decimal.precision = p;
			t->u.decimal.scale = sc;
		}
		return t;
	}
	if (lt->kind == LT_UNKNOWN)
		return new_type(a, ICE_TYPE_UNKNOWN);
	switch (e->type) {
	case ICE_PARQUET_BOOLEAN: return new_type(a, ICE_TYPE_BOOLEAN);
	case ICE_PARQUET_INT32:
		if (lt->kind == LT_DATE || ct == CT_DATE)
			return new_type(a, ICE_TYPE_DATE);
		if ((lt->kind == LT_TIME && lt->unit == TU_MILLIS) || ct == CT_TIME_MILLIS)
			return new_type(a, ICE_TYPE_TIME);
		if ((lt->kind == LT_INTEGER && !lt->is_signed && lt->bit_width == 32) || ct == CT_UINT_32)
			return new_type(a, ICE_TYPE_LONG);
		if (lt->kind != LT_NONE && lt->kind != LT_INTEGER)
			return NULL;
		return new_type(a, ICE_TYPE_INT);
	case ICE_PARQUET_INT64:
		if ((lt->kind == LT_INTEGER && !lt->is_signed) || ct == CT_UINT_64)
			return NULL;
		if ((lt->kind == LT_TIME && lt->unit == TU_MICROS) || ct == CT_TIME_MICROS)
			return new_type(a, ICE_TYPE_TIME);
		if (lt->kind == LT_TIMESTAMP)
			return new_type(a, timestamp_id(lt->unit, lt->utc));
		if (ct == CT_TIMESTAMP_MILLIS || ct == CT_TIMESTAMP_MICROS)
			return new_type(a, ICE_TYPE_TIMESTAMPTZ);
		if (lt->kind != LT_NONE && lt->kind != LT_INTEGER)
			return NULL;
		return new_type(a, ICE_TYPE_LONG);
	case ICE_PARQUET_INT96: return new_type(a, ICE_TYPE_TIMESTAMPTZ);
	case ICE_PARQUET_FLOAT: return new_type(a, ICE_TYPE_FLOAT);
	case ICE_PARQUET_DOUBLE: return new_type(a, ICE_TYPE_DOUBLE);
	case ICE_PARQUET_BYTE_ARRAY:
		if (lt->kind == LT_STRING || lt->kind == LT_ENUM || lt->kind == LT_JSON || ct == CT_UTF8 ||
		    ct == CT_ENUM || ct == CT_JSON)
			return new_type(a, ICE_TYPE_STRING);
		if (lt->kind == LT_GEOMETRY) {
			if ((t = new_type(a, ICE_TYPE_GEOMETRY)) != NULL)
				t->u.geometry.crs = lt->crs;
			return t;
		}
		if (lt->kind == LT_GEOGRAPHY) {
			if ((t = new_type(a, ICE_TYPE_GEOGRAPHY)) != NULL) {
				t->u.geography.crs = lt->crs;
				t->u.geography.algorithm = NULL;
			}
			return t;
		}
		return new_type(a, ICE_TYPE_BINARY);
	case ICE_PARQUET_FIXED_LEN_BYTE_ARRAY:
		if (lt->kind == LT_UUID && e->type_length == 16)
			return new_type(a, ICE_TYPE_UUID);
		if (lt->kind == LT_FLOAT16)
			return NULL;
		if ((t = new_type(a, ICE_TYPE_FIXED)) != NULL)
			t->u.fixed.length = e->type_length;
		return t;
	}
	return NULL;
}

static bool fill_field(ice_field *f, const ice_parquet_column *c, const char *name, bool required,
                       const ice_type *type)
{
	f->id = c->has_field_id ? c->field_id : 0;
	f->name = name ? name : c->name;
	f->required = required;
	f->type = type;
	return type != NULL;
}

static const ice_type *node_type(build_ctx *b, const ice_parquet_column *c, bool as_element);

/* A group's children as a struct; children without a type are left out. */
static const ice_type *struct_type(build_ctx *b, const ice_parquet_column *c)
{
	ice_type *t = new_type(b->arena, ICE_TYPE_STRUCT);
	ice_field *fields = ice_arena__allocarray(b->arena, c->nchildren ? c->nchildren : 1, sizeof(ice_field));
	size_t n = 0;
	if (!t || !fields)
		return NULL;
	for (size_t i = 0; i < c->nchildren; i++) {
		const ice_parquet_column *ch = &c->children[i];
		const ice_type *ct = node_type(b, ch, false);
		if (fill_field(&fields[n], ch, NULL, ch->repetition == ICE_PARQUET_REQUIRED, ct))
			n++;
	}
	t->u.struct_.nfields = n;
	t->u.struct_.fields = fields;
	return t;
}

/* The element node of a LIST-annotated group, per the backward-compatibility
 * rules; *is_repeated tells that the element is the repeated node itself. */
const ice_parquet_column *ice_parquet__list_element(const ice_parquet_column *g, bool *is_repeated)
{
	const ice_parquet_column *r;
	if (g->nchildren != 1)
		return NULL;
	r = &g->children[0];
	if (r->repetition != ICE_PARQUET_REPEATED)
		return NULL;
	*is_repeated = true;
	if (r->physical_type != ICE_PARQUET_GROUP || r->nchildren != 1)
		return r;
	size_t gl = strlen(g->name);
	if (!strcmp(r->name, "array") ||
	    (!strncmp(r->name, g->name, gl) && !strcmp(r->name + gl, "_tuple")))
		return r;
	*is_repeated = false;
	return &r->children[0];
}

/* The key/value group of a MAP-annotated group, or NULL if the shape is off. */
const ice_parquet_column *ice_parquet__map_entries(const ice_parquet_column *g)
{
	const ice_parquet_column *r;
	if (g->nchildren != 1)
		return NULL;
	r = &g->children[0];
	if (r->repetition != ICE_PARQUET_REPEATED || r->physical_type != ICE_PARQUET_GROUP || r->nchildren < 1 ||
	    r->nchildren > 2)
		return NULL;
	return r;
}

bool ice_parquet__is_list(const pq_element *e)
{
	return is_list_annotated(e);
}
bool ice_parquet__is_map(const pq_element *e)
{
	return is_map_annotated(e);
}

static const ice_type *list_of(build_ctx *b, const ice_parquet_column *el, bool el_required, bool as_node)
{
	ice_type *t = new_type(b->arena, ICE_TYPE_LIST);
	const ice_type *et = node_type(b, el, as_node);
	if (!t || !fill_field(&t->u.list.element, el, "element", el_required, et))
		return NULL;
	return t;
}

static const ice_type *node_type(build_ctx *b, const ice_parquet_column *c, bool as_element)
{
	const pq_element *e = elem(b, c);
	/* A repeated field outside a LIST/MAP is a required list of itself. */
	if (c->repetition == ICE_PARQUET_REPEATED && !as_element)
		return list_of(b, c, true, true);
	if (c->physical_type != ICE_PARQUET_GROUP)
		return primitive_type(e, b->arena);
	if (e->logical.kind == LT_VARIANT)
		return new_type(b->arena, ICE_TYPE_VARIANT);
	if (is_list_annotated(e)) {
		bool rep;
		const ice_parquet_column *el = ice_parquet__list_element(c, &rep);
		if (el)
			return list_of(b, el, rep || el->repetition == ICE_PARQUET_REQUIRED, rep);
	}
	if (is_map_annotated(e)) {
		const ice_parquet_column *kv = ice_parquet__map_entries(c);
		if (kv && kv->nchildren == 2) {
			ice_type *t = new_type(b->arena, ICE_TYPE_MAP);
			const ice_parquet_column *k = &kv->children[0], *v = &kv->children[1];
			if (!t || !fill_field(&t->u.map.key, k, "key", true, node_type(b, k, false)) ||
			    !fill_field(&t->u.map.value, v, "value", v->repetition == ICE_PARQUET_REQUIRED,
			                node_type(b, v, false)))
				return NULL;
			return t;
		}
		if (kv)
			return list_of(b, &kv->children[0], true, false);
	}
	return struct_type(b, c);
}

/* ---- decoding plan of a leaf -------------------------------------------- */

static const char *decimal_format(ice_arena *a, int32_t p, int32_t s)
{
	char tmp[48];
	snprintf(tmp, sizeof(tmp), "d:%d,%d", (int)p, (int)s);
	return ice_arena__strdup(a, tmp);
}

static int leaf_plan(pq_leaf *l, const pq_element *e, ice_arena *a)
{
	const pq_logical *lt = &e->logical;
	int ct = lt->kind == LT_NONE ? e->converted : CT_NONE;
	l->type = e->type;
	l->type_length = e->type_length;
	l->conv = CONV_NONE;
	if (lt->kind == LT_DECIMAL || ct == CT_DECIMAL) {
		int32_t p = lt->kind == LT_DECIMAL ? lt->precision : e->precision;
		int32_t s = lt->kind == LT_DECIMAL ? lt->scale : e->scale;
		bool ok = p >= 1 && p <= 38 && s >= 0 && s <= p;
		if (e->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY && (e->type_length < 1 || e->type_length > 16))
			ok = false;
		if (ok && (e->type == ICE_PARQUET_INT32 || e->type == ICE_PARQUET_INT64 ||
		           e->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY || e->type == ICE_PARQUET_BYTE_ARRAY)) {
			l->conv = e->type == ICE_PARQUET_INT32   ? CONV_DEC_INT32
			          : e->type == ICE_PARQUET_INT64 ? CONV_DEC_INT64
			                                         : CONV_DEC_BYTES;
			l->out_width = 16;
			l->format = decimal_format(a, p, s);
			return l->format ? 0 : -1;
		}
	}
	if (lt->kind == LT_UNKNOWN) {
		l->conv = CONV_NULL;
		l->out_width = 0;
		l->format = "n";
		return 0;
	}
	switch (e->type) {
	case ICE_PARQUET_BOOLEAN:
		l->out_width = -1;
		l->format = "b";
		return 0;
	case ICE_PARQUET_INT32:
		l->out_width = 4;
		l->format = "i";
		if (lt->kind == LT_DATE || ct == CT_DATE) {
			l->format = "tdD";
		} else if ((lt->kind == LT_TIME && lt->unit == TU_MILLIS) || ct == CT_TIME_MILLIS) {
			l->format = "ttm";
		} else if (lt->kind == LT_INTEGER || (ct >= CT_UINT_8 && ct <= CT_INT_32)) {
			int bw = lt->kind == LT_INTEGER ? lt->bit_width
			         : (ct == CT_UINT_8 || ct == CT_INT_8)   ? 8
			         : (ct == CT_UINT_16 || ct == CT_INT_16) ? 16
			                                                 : 32;
			bool sig = lt->kind == LT_INTEGER ? lt->is_signed : ct >= CT_INT_8;
			if (bw == 8) {
				l->conv = sig ? CONV_INT8 : CONV_UINT8;
				l->out_width = 1;
				l->format = sig ? "c" : "C";
			} else if (bw == 16) {
				l->conv = sig ? CONV_INT16 : CONV_UINT16;
				l->out_width = 2;
				l->format = sig ? "s" : "S";
			} else if (!sig) {
				l->format = "I";
			}
		}
		return 0;
	case ICE_PARQUET_INT64:
		l->out_width = 8;
		l->format = "l";
		if ((lt->kind == LT_INTEGER && !lt->is_signed) || ct == CT_UINT_64)
			l->format = "L";
		else if (lt->kind == LT_TIME)
			l->format = lt->unit == TU_MILLIS ? "ttm" : lt->unit == TU_NANOS ? "ttn" : "ttu";
		else if (ct == CT_TIME_MICROS)
			l->format = "ttu";
		else if (lt->kind == LT_TIMESTAMP || ct == CT_TIMESTAMP_MILLIS || ct == CT_TIMESTAMP_MICROS) {
			int unit = lt->kind == LT_TIMESTAMP ? lt->unit : ct == CT_TIMESTAMP_MILLIS ? TU_MILLIS : TU_MICROS;
			bool utc = lt->kind == LT_TIMESTAMP ? lt->utc : true;
			static const char *f[2][3] = {{"tsm:", "tsu:", "tsn:"}, {"tsm:UTC", "tsu:UTC", "tsn:UTC"}};
			l->format = f[utc][unit == TU_MILLIS ? 0 : unit == TU_NANOS ? 2 : 1];
		}
		return 0;
	case ICE_PARQUET_INT96:
		l->conv = CONV_INT96;
		l->out_width = 8;
		l->format = "tsn:";
		return 0;
	case ICE_PARQUET_FLOAT:
		l->out_width = 4;
		l->format = "f";
		return 0;
	case ICE_PARQUET_DOUBLE:
		l->out_width = 8;
		l->format = "g";
		return 0;
	case ICE_PARQUET_BYTE_ARRAY:
		l->out_width = 0;
		l->format = (lt->kind == LT_STRING || lt->kind == LT_ENUM || lt->kind == LT_JSON || ct == CT_UTF8 ||
		             ct == CT_ENUM || ct == CT_JSON)
		                ? "u"
		                : "z";
		return 0;
	case ICE_PARQUET_FIXED_LEN_BYTE_ARRAY: {
		char tmp[32];
		if (e->type_length < 1)
			return -2;
		l->out_width = e->type_length;
		if (lt->kind == LT_FLOAT16 && e->type_length == 2) {
			l->format = "e";
			return 0;
		}
		l->is_uuid = lt->kind == LT_UUID && e->type_length == 16;
		snprintf(tmp, sizeof(tmp), "w:%d", (int)e->type_length);
		l->format = ice_arena__strdup(a, tmp);
		return l->format ? 0 : -1;
	}
	}
	return -2;
}

/* ---- building the tree --------------------------------------------------- */

int ice_parquet__schema_build(pq_schema *s, const pq_file_meta *m, const char *file, ice_arena *a)
{
	size_t n = m->nelements;
	size_t *parent = NULL, *first_child = NULL, *pos = NULL, *elem_of = NULL, *stack = NULL;
	size_t *remaining = NULL, *cstart = NULL, *clist = NULL;
	int rc = ICE_ERROR;
	memset(s, 0, sizeof(*s));
	if (m->elements[0].num_children < 0 && n > 1)
		return PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: schema: the root has no children count", file, (unsigned long long)m->footer_offset);
	parent = ice__mallocarray(n, sizeof(size_t));
	first_child = ice__mallocarray(n, sizeof(size_t));
	pos = ice__mallocarray(n, sizeof(size_t));
	elem_of = ice_arena__allocarray(a, n, sizeof(size_t));
	stack = ice__mallocarray(n, sizeof(size_t));
	remaining = ice__mallocarray(n, sizeof(size_t));
	s->nodes = ice_arena__allocarray(a, n, sizeof(*s->nodes));
	ice_parquet_column *tree = ice_arena__allocarray(a, n, sizeof(ice_parquet_column));
	if (!parent || !first_child || !pos || !elem_of || !stack || !remaining || !s->nodes || !tree)
		goto done;

	/* Pre-order list -> parent links, with every count checked. */
	size_t depth = 0, nleaves = 0;
	stack[depth++] = 0;
	remaining[0] = m->elements[0].num_children < 0 ? 0 : (size_t)m->elements[0].num_children;
	parent[0] = SIZE_MAX;
	for (size_t i = 1; i < n; i++) {
		while (depth > 0 && remaining[stack[depth - 1]] == 0)
			depth--;
		if (depth == 0) {
			rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: schema: element %zu (%s) is outside the tree", file, (unsigned long long)m->footer_offset, i,
			            m->elements[i].name);
			goto done;
		}
		size_t p = stack[depth - 1];
		remaining[p]--;
		parent[i] = p;
		const pq_element *e = &m->elements[i];
		if (e->num_children > 0 || (e->type < 0)) {
			if (e->num_children <= 0) {
				rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: schema: group %s has no children", file, (unsigned long long)m->footer_offset, e->name);
				goto done;
			}
			if (depth >= MAX_SCHEMA_DEPTH) {
				rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: schema: nested too deeply", file, (unsigned long long)m->footer_offset);
				goto done;
			}
			remaining[i] = (size_t)e->num_children;
			stack[depth++] = i;
		} else {
			remaining[i] = 0;
			nleaves++;
		}
	}
	while (depth > 0 && remaining[stack[depth - 1]] == 0)
		depth--;
	if (depth != 0) {
		rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: schema: element %s has fewer children than it says", file, (unsigned long long)m->footer_offset,
		            m->elements[stack[depth - 1]].name);
		goto done;
	}

	/* Breadth-first positions so that each node's children are contiguous:
	 * children lists from prefix sums of the child counts (linear time). */
	cstart = ice__calloc(n + 1, sizeof(size_t));
	clist = ice__mallocarray(n, sizeof(size_t));
	if (!cstart || !clist)
		goto done;
	for (size_t i = 1; i < n; i++)
		cstart[parent[i] + 1]++;
	for (size_t i = 0; i < n; i++)
		cstart[i + 1] += cstart[i];
	for (size_t i = 0; i < n; i++)
		remaining[i] = cstart[i];
	for (size_t i = 1; i < n; i++)
		clist[remaining[parent[i]]++] = i;
	size_t next = 1;
	pos[0] = 0;
	elem_of[0] = 0;
	for (size_t k = 0; k < n; k++) {
		size_t e_idx = elem_of[k];
		first_child[e_idx] = next;
		for (size_t j = cstart[e_idx]; j < cstart[e_idx + 1]; j++) {
			pos[clist[j]] = next;
			elem_of[next++] = clist[j];
		}
	}
	s->nnodes = n;
	s->nleaves = nleaves;
	s->leaves = ice_arena__allocarray(a, nleaves ? nleaves : 1, sizeof(pq_leaf));
	if (!s->leaves)
		goto done;
	size_t leaf = 0;
	for (size_t i = 0; i < n; i++) {
		const pq_element *e = &m->elements[i];
		ice_parquet_column *c = &tree[pos[i]];
		s->nodes[i] = c;
		c->name = e->name;
		c->field_id = e->has_field_id ? e->field_id : 0;
		c->has_field_id = e->has_field_id;
		c->repetition = e->repetition < 0 ? ICE_PARQUET_REQUIRED : (ice_parquet_repetition)e->repetition;
		bool group = e->type < 0 || e->num_children > 0;
		c->physical_type = group ? ICE_PARQUET_GROUP : (ice_parquet_physical_type)e->type;
		c->type_length = e->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY ? e->type_length : 0;
		c->logical_type = logical_text(&e->logical, a);
		c->converted_type = e->converted >= 0 && e->converted <= CT_INTERVAL ? converted_names[e->converted]
		                                                                      : NULL;
		c->precision = e->logical.kind == LT_DECIMAL ? e->logical.precision : e->precision;
		c->scale = e->logical.kind == LT_DECIMAL ? e->logical.scale : e->scale;
		c->leaf_index = -1;
		if (i == 0) {
			c->parent = NULL;
			c->path = "";
			c->repetition = ICE_PARQUET_REQUIRED;
		} else {
			const ice_parquet_column *p = s->nodes[parent[i]];
			c->parent = p;
			c->max_definition_level =
			    (int16_t)(p->max_definition_level + (c->repetition != ICE_PARQUET_REQUIRED));
			c->max_repetition_level =
			    (int16_t)(p->max_repetition_level + (c->repetition == ICE_PARQUET_REPEATED));
			size_t pl = strlen(p->path), nl = strlen(e->name);
			char *path = ice_arena__alloc(a, pl + nl + 2);
			if (!path)
				goto done;
			if (pl) {
				memcpy(path, p->path, pl);
				path[pl++] = '.';
			}
			memcpy(path + pl, e->name, nl + 1);
			c->path = path;
		}
		c->nchildren = group ? (size_t)e->num_children : 0;
		c->children = group ? &tree[first_child[i]] : NULL;
		if (!group) {
			pq_leaf *l = &s->leaves[leaf];
			c->leaf_index = (int32_t)leaf++;
			l->col = c;
			l->max_def = c->max_definition_level;
			l->max_rep = c->max_repetition_level;
			int prc = leaf_plan(l, e, a);
			if (prc == -1)
				goto done;
			if (prc == -2) {
				rc = PQ_ERR(ICE_EINVALID, "%s: %s: offset %llu: invalid type length %d", file, c->path, (unsigned long long)m->footer_offset,
				            (int)e->type_length);
				goto done;
			}
			if (e->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY && e->type_length > (1 << 24)) {
				rc = PQ_ERR(ICE_EINVALID, "%s: %s: offset %llu: type length %d too large", file, c->path, (unsigned long long)m->footer_offset,
				            (int)e->type_length);
				goto done;
			}
		}
	}
	s->root = tree;
	s->elem_of = elem_of;

	build_ctx b = {m, s, a, elem_of, tree};
	/* a node without an Iceberg type is fine, one that ran out of memory is not */
	ice_error_clear();
	for (size_t i = 0; i < n; i++) {
		ice_parquet_column *c = &tree[pos[i]];
		if (i > 0)
			c->iceberg_type = node_type(&b, c, c->parent && c->parent != tree &&
			                                           c->repetition == ICE_PARQUET_REPEATED &&
			                                           (is_list_annotated(elem(&b, c->parent)) ||
			                                            is_map_annotated(elem(&b, c->parent))));
	}
	tree[0].iceberg_type = struct_type(&b, tree);
	s->iceberg = tree[0].iceberg_type;
	if (!s->iceberg || ice_error__is_oom())
		goto done;
	rc = 0;
done:
	ice__free(parent);
	ice__free(first_child);
	ice__free(pos);
	ice__free(stack);
	ice__free(remaining);
	ice__free(cstart);
	ice__free(clist);
	return rc;
}
