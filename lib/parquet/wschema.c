/*
 * parquet/wschema.c - the writer's side of the schema: an Iceberg struct
 * type becomes Parquet SchemaElements as the Iceberg spec ("Parquet" in
 * Appendix A) and parquet-format's LogicalTypes.md ask: field ids on every
 * node, 3-level LIST (list/element) and MAP (key_value/key/value) groups,
 * decimals as INT32/INT64/FIXED_LEN_BYTE_ARRAY by precision, timestamps in
 * micros or nanos with their UTC adjustment, uuid as FIXED[16] UUID. Each
 * leaf gets the path of steps the shredder walks from a top-level field to it.
 */
#include "internal.h"
#include "util/strutil.h"
#include "writer.h"

typedef struct wbuild {
	ice_arena *arena;
	pq_element *elements;
	size_t nelements, cap;
	pq_wleaf *leaves;
	size_t nleaves, leaf_cap;
	pq_wstep path[PQ_MAX_DEPTH];
	const char *names[PQ_MAX_DEPTH];
	int depth;     /* steps on the path */
	int ndepth;    /* names on the path */
	int16_t def, rep;
} wbuild;

static int decimal_bytes(int32_t precision)
{
	/* smallest n with 2^(8n-1) > 10^p */
	static const int table[39] = {1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9,
	                              9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};
	return precision >= 0 && precision <= 38 ? table[precision] : 16;
}

static pq_element *add_element(wbuild *b, const char *name, int repetition, int32_t field_id, bool has_id)
{
	if (b->nelements == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		pq_element *e = ice_arena__allocarray(b->arena, cap, sizeof(pq_element));
		if (!e)
			return NULL;
		if (b->nelements)
			memcpy(e, b->elements, b->nelements * sizeof(pq_element));
		b->elements = e;
		b->cap = cap;
	}
	pq_element *e = &b->elements[b->nelements++];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->type = -1;
	e->repetition = repetition;
	e->num_children = -1;
	e->converted = CT_NONE;
	e->field_id = field_id;
	e->has_field_id = has_id;
	e->logical.algorithm = -1;
	return e;
}

static int add_leaf_id(wbuild *b, const pq_element *e, const ice_type *t, int32_t field_id, bool has_id,
                       bool under_repeated);

static int add_leaf(wbuild *b, const pq_element *e, const ice_type *t, int32_t field_id, bool under_repeated)
{
	return add_leaf_id(b, e, t, field_id, true, under_repeated);
}

static int add_leaf_id(wbuild *b, const pq_element *e, const ice_type *t, int32_t field_id, bool has_id,
                       bool under_repeated)
{
	if (b->nleaves == b->leaf_cap) {
		size_t cap = b->leaf_cap ? b->leaf_cap * 2 : 16;
		pq_wleaf *l = ice_arena__allocarray(b->arena, cap, sizeof(pq_wleaf));
		if (!l)
			return ICE_ERROR;
		if (b->nleaves)
			memcpy(l, b->leaves, b->nleaves * sizeof(pq_wleaf));
		b->leaves = l;
		b->leaf_cap = cap;
	}
	pq_wleaf *l = &b->leaves[b->nleaves++];
	memset(l, 0, sizeof(*l));
	l->type = e->type;
	l->type_length = e->type_length;
	l->iceberg = t;
	l->field_id = field_id;
	l->has_field_id = has_id;
	l->max_def = b->def;
	l->max_rep = b->rep;
	l->under_repeated = under_repeated;
	l->depth = b->depth;
	memcpy(l->steps, b->path, sizeof(pq_wstep) * (size_t)b->depth);
	l->npath = (size_t)b->ndepth;
	l->path = ice_arena__allocarray(b->arena, (size_t)b->ndepth, sizeof(char *));
	if (!l->path)
		return ICE_ERROR;
	memcpy(l->path, b->names, sizeof(char *) * (size_t)b->ndepth);
	char *dotted;
	size_t len = 0;
	for (int i = 0; i < b->ndepth; i++)
		len += strlen(b->names[i]) + 1;
	if (!(dotted = ice_arena__alloc(b->arena, len + 1)))
		return ICE_ERROR;
	for (int i = 0; i < b->ndepth; i++) {
		if (i)
			strcat(dotted, ".");
		strcat(dotted, b->names[i]);
	}
	l->dotted = dotted;
	return 0;
}

static int primitive(wbuild *b, pq_element *e, const ice_type *t)
{
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: e->type = ICE_PARQUET_BOOLEAN; return 0;
	case ICE_TYPE_INT: e->type = ICE_PARQUET_INT32; return 0;
	case ICE_TYPE_LONG: e->type = ICE_PARQUET_INT64; return 0;
	case ICE_TYPE_FLOAT: e->type = ICE_PARQUET_FLOAT; return 0;
	case ICE_TYPE_DOUBLE: e->type = ICE_PARQUET_DOUBLE; return 0;
	case ICE_TYPE_DATE:
		e->type = ICE_PARQUET_INT32;
		e->converted = CT_DATE;
		e->logical.kind = LT_DATE;
		return 0;
	case ICE_TYPE_TIME:
		e->type = ICE_PARQUET_INT64;
		e->logical.kind = LT_TIME;
		e->logical.unit = TU_MICROS;
		e->logical.utc = false;
		return 0;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: {
		bool ns = t->id == ICE_TYPE_TIMESTAMP_NS || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
		bool utc = t->id == ICE_TYPE_TIMESTAMPTZ || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
		e->type = ICE_PARQUET_INT64;
		e->logical.kind = LT_TIMESTAMP;
		e->logical.unit = ns ? TU_NANOS : TU_MICROS;
		e->logical.utc = utc;
		if (!ns && utc)
			e->converted = CT_TIMESTAMP_MICROS;
		return 0;
	}
	case ICE_TYPE_DECIMAL: {
		int32_t p = t->u.decimal.precision, s = t->u.decimal.scale;
		if (p < 1 || p > 38 || s < 0 || s > p)
			return PQ_ERR(ICE_EINVALID, "decimal(%d,%d) cannot be written", (int)p, (int)s);
		e->type = p <= 9 ? ICE_PARQUET_INT32 : p <= 18 ? ICE_PARQUET_INT64 : ICE_PARQUET_FIXED_LEN_BYTE_ARRAY;
		if (e->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY)
			e->type_length = decimal_bytes(p);
		e->converted = CT_DECIMAL;
		e->precision = p;
		e->scale = s;
		e->logical.kind = LT_DECIMAL;
		e->logical.precision = p;
		e->logical.scale = s;
		return 0;
	}
	case ICE_TYPE_STRING:
		e->type = ICE_PARQUET_BYTE_ARRAY;
		e->converted = CT_UTF8;
		e->logical.kind = LT_STRING;
		return 0;
	case ICE_TYPE_UUID:
		e->type = ICE_PARQUET_FIXED_LEN_BYTE_ARRAY;
		e->type_length = 16;
		e->logical.kind = LT_UUID;
		return 0;
	case ICE_TYPE_FIXED:
		if (t->u.fixed.length < 1)
			return PQ_ERR(ICE_EINVALID, "fixed[%d] cannot be written", (int)t->u.fixed.length);
		e->type = ICE_PARQUET_FIXED_LEN_BYTE_ARRAY;
		e->type_length = t->u.fixed.length;
		return 0;
	case ICE_TYPE_BINARY: e->type = ICE_PARQUET_BYTE_ARRAY; return 0;
	case ICE_TYPE_GEOMETRY:
		/* WKB; the crs is written as given (absent: OGC:CRS84) */
		e->type = ICE_PARQUET_BYTE_ARRAY;
		e->logical.kind = LT_GEOMETRY;
		e->logical.crs = t->u.geometry.crs;
		return 0;
	case ICE_TYPE_GEOGRAPHY: {
		static const char *const algs[] = {"spherical", "vincenty", "thomas", "andoyer", "karney"};
		e->type = ICE_PARQUET_BYTE_ARRAY;
		e->logical.kind = LT_GEOGRAPHY;
		e->logical.crs = t->u.geography.crs;
		e->logical.algorithm = -1;
		for (int i = 0; t->u.geography.algorithm && i < 5; i++)
			if (ice_str__ieq(t->u.geography.algorithm, strlen(t->u.geography.algorithm), algs[i], strlen(algs[i])))
				e->logical.algorithm = i;
		if (t->u.geography.algorithm && e->logical.algorithm < 0)
			return PQ_ERR(ICE_EINVALID, "unknown edge algorithm '%s'", t->u.geography.algorithm);
		return 0;
	}
	default:
		(void)b;
		return PQ_ERR(ICE_EUNSUPPORTED, "the Parquet writer does not write %s columns", ice_type_id_name(t->id));
	}
}

static int field(wbuild *b, const ice_field *f, const char *name, bool under_repeated);

/* Fields of a struct that reach the file (unknown-typed ones do not). */
static size_t stored_fields(const ice_type *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->u.struct_.nfields; i++)
		n += t->u.struct_.fields[i].type->id != ICE_TYPE_UNKNOWN;
	return n;
}

static int push(wbuild *b, pq_wstep step)
{
	if (b->depth >= PQ_MAX_DEPTH)
		return PQ_ERR(ICE_EUNSUPPORTED, "schema nested deeper than %d levels", PQ_MAX_DEPTH);
	b->path[b->depth++] = step;
	return 0;
}

static int name_push(wbuild *b, const char *name)
{
	if (b->ndepth >= PQ_MAX_DEPTH)
		return PQ_ERR(ICE_EUNSUPPORTED, "schema nested deeper than %d levels", PQ_MAX_DEPTH);
	b->names[b->ndepth++] = name;
	return 0;
}

/* A node of type t, for field f (already pushed as a name and step). */
static int node(wbuild *b, pq_element *e, const ice_type *t, int32_t id, bool under_repeated)
{
	int rc;
	switch (t->id) {
	case ICE_TYPE_STRUCT: {
		e->num_children = (int32_t)stored_fields(t);
		if (e->num_children == 0)
			return PQ_ERR(ICE_EUNSUPPORTED, "empty structs cannot be written to Parquet");
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			pq_wstep s = {PQ_STEP_STRUCT, (int)i, false, 0};
			if ((rc = push(b, s)) != 0)
				return rc;
			rc = field(b, &t->u.struct_.fields[i], t->u.struct_.fields[i].name, under_repeated);
			b->depth--;
			if (rc)
				return rc;
		}
		return 0;
	}
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		bool map = t->id == ICE_TYPE_MAP;
		if ((map ? t->u.map.value.type : t->u.list.element.type)->id == ICE_TYPE_UNKNOWN ||
		    (map && t->u.map.key.type->id == ICE_TYPE_UNKNOWN))
			return PQ_ERR(ICE_EUNSUPPORTED, "lists and maps of unknown cannot be written to Parquet");
		e->num_children = 1;
		e->converted = map ? CT_MAP : CT_LIST;
		e->logical.kind = map ? LT_MAP : LT_LIST;
		pq_element *g = add_element(b, map ? "key_value" : "list", ICE_PARQUET_REPEATED, 0, false);
		if (!g)
			return ICE_ERROR;
		g->num_children = map ? 2 : 1;
		b->def++;
		b->rep++;
		pq_wstep s = {map ? PQ_STEP_MAP : PQ_STEP_LIST, 0, false, b->rep};
		if ((rc = push(b, s)) != 0 || (rc = name_push(b, map ? "key_value" : "list")) != 0)
			return rc;
		if (map) {
			for (int k = 0; k < 2 && !rc; k++) {
				pq_wstep kv = {PQ_STEP_STRUCT, k, false, 0};
				if ((rc = push(b, kv)) != 0)
					break;
				const ice_field *f = k == 0 ? &t->u.map.key : &t->u.map.value;
				ice_field key = *f;
				if (k == 0)
					key.required = true;
				rc = field(b, &key, k == 0 ? "key" : "value", true);
				b->depth--;
			}
		} else {
			rc = field(b, &t->u.list.element, "element", true);
		}
		b->depth--;
		b->ndepth--;
		b->def--;
		b->rep--;
		(void)id;
		return rc;
	}
	case ICE_TYPE_VARIANT: {
		/* unshredded: group (VARIANT) { required binary metadata; required binary value } */
		static const ice_type binary = {ICE_TYPE_BINARY, {{0, 0}}};
		static const char *const parts[2] = {"metadata", "value"};
		e->num_children = 2;
		e->logical.kind = LT_VARIANT;
		for (int k = 0; k < 2; k++) {
			pq_element *c = add_element(b, parts[k], ICE_PARQUET_REQUIRED, 0, false);
			if (!c)
				return ICE_ERROR;
			c->type = ICE_PARQUET_BYTE_ARRAY;
			pq_wstep s = {PQ_STEP_STRUCT, k, false, 0};
			if ((rc = push(b, s)) != 0 || (rc = name_push(b, parts[k])) != 0)
				return rc;
			rc = add_leaf_id(b, c, &binary, 0, false, under_repeated);
			b->depth--;
			b->ndepth--;
			if (rc)
				return rc;
		}
		return 0;
	}
	default:
		if ((rc = primitive(b, e, t)) != 0)
			return rc;
		return add_leaf(b, e, t, id, under_repeated);
	}
}

static int field(wbuild *b, const ice_field *f, const char *name, bool under_repeated)
{
	int rc;
	if (f->type->id == ICE_TYPE_UNKNOWN) {
		if (f->required)
			return PQ_ERR(ICE_EINVALID, "unknown-typed field %s must be optional", name);
		return 0;
	}
	pq_element *e = add_element(b, name, f->required ? ICE_PARQUET_REQUIRED : ICE_PARQUET_OPTIONAL, f->id, true);
	if (!e)
		return ICE_ERROR;
	size_t idx = (size_t)(e - b->elements);
	if (!f->required)
		b->def++;
	/* the step that reaches this field was pushed by the caller; mark it */
	b->path[b->depth - 1].optional = !f->required;
	if ((rc = name_push(b, name)) != 0)
		return rc;
	rc = node(b, &b->elements[idx], f->type, f->id, under_repeated);
	b->ndepth--;
	if (!f->required)
		b->def--;
	return rc;
}

int ice_parquet__wschema_build(pq_wschema *out, const ice_type *schema, ice_arena *arena)
{
	wbuild b;
	int rc;
	memset(&b, 0, sizeof(b));
	memset(out, 0, sizeof(*out));
	b.arena = arena;
	if (!schema || schema->id != ICE_TYPE_STRUCT)
		return PQ_ERR(ICE_EINVALID, "the Parquet writer needs a struct schema");
	pq_element *root = add_element(&b, "table", -1, 0, false);
	if (!root)
		return ICE_ERROR;
	root->num_children = (int32_t)stored_fields(schema);
	for (size_t i = 0; i < schema->u.struct_.nfields; i++) {
		pq_wstep s = {PQ_STEP_STRUCT, (int)i, false, 0};
		b.depth = 0;
		if ((rc = push(&b, s)) != 0)
			return rc;
		if ((rc = field(&b, &schema->u.struct_.fields[i], schema->u.struct_.fields[i].name, false)) != 0)
			return rc;
	}
	out->elements = b.elements;
	out->nelements = b.nelements;
	out->leaves = b.leaves;
	out->nleaves = b.nleaves;
	return 0;
}
