/*
 * parquet/assemble.c - from repetition/definition levels to Arrow arrays
 * (the "record assembly" half of Dremel, Parquet "Nested Encoding").
 *
 * Every Arrow node (struct, list, map, leaf) has a context: the enclosing
 * list's element levels (ctx_rep, ctx_def), or (0, 0) at the top. Its slots,
 * the positions of its Arrow array, are the level entries of any leaf below
 * it with rep <= ctx_rep and def >= ctx_def, in order. A node is valid at a
 * slot when def >= its own definition level; a list's elements are the
 * entries of the same leaf with rep <= elem_rep and def >= elem_def, and the
 * ones between two slots belong to the first. Leaves take values in order
 * for entries with def == max_def. Flat columns (no repetition) skip all
 * this: their entries are their slots, and values are expanded in place.
 */
#include "internal.h"


/* ---- the Arrow tree of a projection ----------------------------------------- */

typedef struct anode_ctx {
	const pq_schema *s;
	const int *leaf_map;
	ice_arena *arena;
	const pq_file_meta *meta;
} anode_ctx;

static const pq_element *el_of(const anode_ctx *b, const ice_parquet_column *c)
{
	return &b->meta->elements[ice_parquet__node_index(b->s, c)];
}

static int build(pq_anode *n, const anode_ctx *b, const ice_parquet_column *c, bool as_element, int16_t ctx_def,
                 int16_t ctx_rep);

static int list_node(pq_anode *n, const anode_ctx *b, const ice_parquet_column *c, bool nullable, int16_t def,
                     const ice_parquet_column *rep_node, const ice_parquet_column *element, bool el_is_rep)
{
	n->kind = AN_LIST;
	n->nullable = nullable;
	n->def = def;
	n->elem_def = rep_node->max_definition_level;
	n->elem_rep = rep_node->max_repetition_level;
	n->nchildren = 1;
	if (!(n->children = ice_arena__alloc(b->arena, sizeof(pq_anode))))
		return ICE_ERROR;
	int rc = build(n->children, b, element, el_is_rep, n->elem_def, n->elem_rep);
	if (rc)
		return rc;
	if (n->children->kind < 0)
		n->kind = -1;
	else
		n->leaf = n->children->leaf;
	(void)c;
	return 0;
}

static int build(pq_anode *n, const anode_ctx *b, const ice_parquet_column *c, bool as_element, int16_t ctx_def,
                 int16_t ctx_rep)
{
	memset(n, 0, sizeof(*n));
	n->col = c;
	n->name = c->name;
	n->ctx_def = ctx_def;
	n->ctx_rep = ctx_rep;
	n->leaf = -1;
	if (c->repetition == ICE_PARQUET_REPEATED && !as_element)
		/* a repeated field outside a LIST/MAP: a required list of itself */
		return list_node(n, b, c, false, (int16_t)(c->max_definition_level - 1), c, c, true);
	bool nullable = c->repetition == ICE_PARQUET_OPTIONAL;
	if (c->physical_type != ICE_PARQUET_GROUP) {
		n->kind = AN_LEAF;
		n->nullable = nullable;
		n->def = c->max_definition_level;
		n->leaf = b->leaf_map[c->leaf_index];
		if (n->leaf < 0)
			n->kind = -1;
		return 0;
	}
	const pq_element *e = el_of(b, c);
	if (e->logical.kind != LT_VARIANT && ice_parquet__is_list(e)) {
		bool rep = false;
		const ice_parquet_column *el = ice_parquet__list_element(c, &rep);
		if (el)
			return list_node(n, b, c, nullable, c->max_definition_level, &c->children[0], el, rep);
	}
	if (e->logical.kind != LT_VARIANT && ice_parquet__is_map(e)) {
		const ice_parquet_column *kv = ice_parquet__map_entries(c);
		if (kv && kv->nchildren == 1)
			return list_node(n, b, c, nullable, c->max_definition_level, kv, &kv->children[0], false);
		if (kv) {
			n->kind = AN_MAP;
			n->nullable = nullable;
			n->def = c->max_definition_level;
			n->elem_def = kv->max_definition_level;
			n->elem_rep = kv->max_repetition_level;
			n->nchildren = 1;
			pq_anode *entries = ice_arena__alloc(b->arena, sizeof(pq_anode));
			pq_anode *kvn = ice_arena__allocarray(b->arena, 2, sizeof(pq_anode));
			if (!entries || !kvn)
				return ICE_ERROR;
			n->children = entries;
			entries->kind = AN_STRUCT;
			entries->col = kv;
			entries->name = "entries";
			entries->nullable = false;
			entries->def = kv->max_definition_level;
			entries->ctx_def = n->elem_def;
			entries->ctx_rep = n->elem_rep;
			entries->nchildren = 2;
			entries->children = kvn;
			for (int i = 0; i < 2; i++) {
				int rc = build(&kvn[i], b, &kv->children[i], false, n->elem_def, n->elem_rep);
				if (rc)
					return rc;
			}
			kvn[0].name = "key";
			kvn[0].nullable = false;
			kvn[1].name = "value";
			if (kvn[0].kind < 0 || kvn[1].kind < 0) {
				n->kind = -1;
				return 0;
			}
			entries->leaf = kvn[0].leaf;
			n->leaf = kvn[0].leaf;
			return 0;
		}
	}
	/* a struct; children without projected leaves are left out */
	n->kind = AN_STRUCT;
	n->nullable = nullable;
	n->def = c->max_definition_level;
	if (!(n->children = ice_arena__allocarray(b->arena, c->nchildren, sizeof(pq_anode))))
		return ICE_ERROR;
	for (size_t i = 0; i < c->nchildren; i++) {
		int rc = build(&n->children[n->nchildren], b, &c->children[i], false, ctx_def, ctx_rep);
		if (rc)
			return rc;
		if (n->children[n->nchildren].kind >= 0) {
			if (n->leaf < 0)
				n->leaf = n->children[n->nchildren].leaf;
			n->nchildren++;
		}
	}
	if (n->nchildren == 0)
		n->kind = -1;
	return 0;
}

int ice_parquet__anode_build(pq_anode *out, const pq_file_meta *meta, const pq_schema *s,
                             const ice_parquet_column *col, const int *leaf_map, ice_arena *arena)
{
	anode_ctx b = {s, leaf_map, arena, meta};
	return build(out, &b, col, false, 0, 0);
}

/* ---- assembly ----------------------------------------------------------------- */

typedef struct asm_ctx {
	const pq_leaf *const *leaves;
	pq_batch_col *cols;
	size_t nrows;
	const char *file;
	const int64_t *offsets; /* column chunk offset of each scan column */
	ice_arrow_pool *pool;
} asm_ctx;

static const int16_t *defs_of(const pq_batch_col *b)
{
	return (const int16_t *)(const void *)b->def.ptr;
}
static const int16_t *reps_of(const pq_batch_col *b)
{
	return (const int16_t *)(const void *)b->rep.ptr;
}

/* Slots of a node from its representative leaf: an allocated index array,
 * or NULL for "every entry" (flat columns). */
static int compute_slots(uint32_t **out, size_t *n_out, const asm_ctx *a, const pq_anode *n, int16_t ctx_def,
                         int16_t ctx_rep)
{
	const pq_leaf *l = a->leaves[n->leaf];
	const pq_batch_col *b = &a->cols[n->leaf];
	*out = NULL;
	if (l->max_rep == 0) {
		*n_out = b->nlevels;
		return 0;
	}
	const int16_t *rep = reps_of(b), *def = defs_of(b);
	uint32_t *s = ice__mallocarray(b->nlevels ? b->nlevels : 1, sizeof(uint32_t));
	if (!s)
		return ICE_ERROR;
	size_t k = 0;
	for (size_t i = 0; i < b->nlevels; i++) {
		int16_t d = def ? def[i] : 0;
		if (rep[i] <= ctx_rep && d >= ctx_def)
			s[k++] = (uint32_t)i;
	}
	*out = s;
	*n_out = k;
	return 0;
}

static void *alloc_bitmap(size_t n)
{
	return ice__calloc((n + 7) / 8 + 1, 1);
}

static int corrupt(const asm_ctx *a, const pq_anode *n, const char *what)
{
	return PQ_ERR(ICE_EINVALID, "%s: %s: offset %lld: %s", a->file, n->col->path,
	              (long long)a->offsets[n->leaf], what);
}

/* Validity of a node from the definition levels at its slots. */
static int validity(void **bitmap_out, int64_t *nulls_out, const asm_ctx *a, const pq_anode *n, const uint32_t *slots,
                    size_t ns)
{
	const pq_batch_col *b = &a->cols[n->leaf];
	const int16_t *def = defs_of(b);
	*bitmap_out = NULL;
	*nulls_out = 0;
	if (!n->nullable || !def)
		return 0;
	int64_t nulls = 0;
	for (size_t i = 0; i < ns; i++)
		nulls += def[slots ? slots[i] : i] < n->def;
	if (nulls == 0)
		return 0;
	uint8_t *bm = alloc_bitmap(ns);
	if (!bm)
		return ICE_ERROR;
	for (size_t i = 0; i < ns; i++)
		if (def[slots ? slots[i] : i] >= n->def)
			bm[i >> 3] |= (uint8_t)(1u << (i & 7));
	*bitmap_out = bm;
	*nulls_out = nulls;
	return 0;
}

static int assemble_leaf(struct ArrowArray *out, asm_ctx *a, const pq_anode *n, const uint32_t *slots, size_t ns)
{
	const pq_leaf *l = a->leaves[n->leaf];
	pq_batch_col *b = &a->cols[n->leaf];
	const int16_t *def = defs_of(b);
	int16_t maxd = l->max_def;
	void *bufs[3] = {NULL, NULL, NULL};
	size_t caps[3] = {0, 0, 0};
	int64_t nulls = 0;
	int rc;

	if (l->conv == CONV_NULL)
		return ice_arrow__array_owned(out, (int64_t)ns, (int64_t)ns, 0, bufs, 0, NULL);

	/* validity: present iff def == max_def */
	if (def && maxd > 0) {
		for (size_t i = 0; i < ns; i++)
			nulls += def[slots ? slots[i] : i] != maxd;
		if (nulls && n->nullable) {
			uint8_t *bm = alloc_bitmap(ns);
			if (!bm)
				return ICE_ERROR;
			for (size_t i = 0; i < ns; i++)
				if (def[slots ? slots[i] : i] == maxd)
					bm[i >> 3] |= (uint8_t)(1u << (i & 7));
			bufs[0] = bm;
		}
		if (!n->nullable)
			nulls = 0;
	}
	bool dense = !def || maxd == 0;
	if (dense && slots == NULL && ns != b->nvalues) {
		ice__free(bufs[0]);
		return corrupt(a, n, "value count differs from the level count");
	}

	if (l->out_width != 0) {
		/* fixed width (booleans as bytes for now) */
		size_t w = l->out_width < 0 ? 1 : (size_t)l->out_width;
		uint8_t *vals;
		if (dense && !slots) {
			caps[1] = b->values.cap;
			vals = (uint8_t *)ice_buf__detach(&b->values, NULL);
			ice_buf__init(&b->values, 0);
		} else if (!slots) {
			/* expand in place, from the back */
			if ((rc = ice_buf__grow(&b->values, ns * w - (b->values.len < ns * w ? b->values.len : ns * w))) != 0) {
				ice__free(bufs[0]);
				return rc;
			}
			vals = (uint8_t *)b->values.ptr;
			caps[1] = b->values.cap;
			size_t vi = b->nvalues;
			for (size_t i = ns; i-- > 0;) {
				if (def[i] == maxd) {
					vi--;
					if (vi != i)
						memcpy(vals + i * w, vals + vi * w, w);
				} else {
					memset(vals + i * w, 0, w);
				}
			}
			vals = (uint8_t *)ice_buf__detach(&b->values, NULL);
			ice_buf__init(&b->values, 0);
		} else {
			vals = ice__malloc(ns * w + 1);
			if (!vals) {
				ice__free(bufs[0]);
				return ICE_ERROR;
			}
			const uint8_t *src = (const uint8_t *)b->values.ptr;
			size_t vi = 0, j = 0;
			for (size_t i = 0; i < ns; i++) {
				size_t s = slots[i];
				for (; j < s; j++)
					vi += def[j] == maxd;
				if (def[s] == maxd) {
					memcpy(vals + i * w, src + vi * w, w);
				} else {
					memset(vals + i * w, 0, w);
				}
			}
		}
		if (!vals) {
			ice__free(bufs[0]);
			return ICE_ERROR;
		}
		if (l->out_width < 0) {
			/* pack booleans into bits */
			uint8_t *bits = alloc_bitmap(ns);
			if (!bits) {
				ice__free(vals);
				ice__free(bufs[0]);
				return ICE_ERROR;
			}
			for (size_t i = 0; i < ns; i++)
				bits[i >> 3] |= (uint8_t)((vals[i] & 1u) << (i & 7));
			ice__free(vals);
			vals = bits;
			caps[1] = 0;
		}
		bufs[1] = vals;
		rc = ice_arrow__array_owned(out, (int64_t)ns, nulls, 2, bufs, 0, NULL);
		if (!rc)
			ice_arrow__array_set_pool(out, a->pool, caps);
		return rc;
	}

	/* variable width: offsets + data */
	int32_t *offs;
	const int32_t *src = pq_offsets(&b->bytes);
	if (dense && !slots) {
		caps[1] = b->bytes.offsets.cap;
		offs = (int32_t *)(void *)ice_buf__detach(&b->bytes.offsets, NULL);
		ice_buf__init(&b->bytes.offsets, 0);
	} else if (!slots) {
		if ((rc = ice_buf__grow(&b->bytes.offsets, (ns + 1) * 4)) != 0) {
			ice__free(bufs[0]);
			return rc;
		}
		offs = (int32_t *)(void *)b->bytes.offsets.ptr;
		caps[1] = b->bytes.offsets.cap;
		/* out[i+1] = dense[values among entries 0..i]; reading index vi <= i+1
		 * before writing i+1 keeps the walk in place */
		size_t vi = b->nvalues;
		for (size_t i = ns; i-- > 0;) {
			offs[i + 1] = offs[vi];
			if (def[i] == maxd)
				vi--;
		}
		offs[0] = 0;
		offs = (int32_t *)(void *)ice_buf__detach(&b->bytes.offsets, NULL);
		ice_buf__init(&b->bytes.offsets, 0);
	} else {
		offs = ice__mallocarray(ns + 1, 4);
		if (!offs) {
			ice__free(bufs[0]);
			return ICE_ERROR;
		}
		offs[0] = 0;
		size_t vi = 0, j = 0;
		for (size_t i = 0; i < ns; i++) {
			size_t s = slots[i];
			for (; j < s; j++)
				vi += def[j] == maxd;
			/* data stays in value order; an absent value adds nothing */
			offs[i + 1] = def[s] == maxd ? src[vi + 1] : src[vi];
			if (def[s] == maxd) {
				vi++;
				j = s + 1;
			}
		}
	}
	if (!offs) {
		ice__free(bufs[0]);
		return ICE_ERROR;
	}
	caps[2] = b->bytes.data.cap;
	void *data = ice_buf__detach(&b->bytes.data, NULL);
	ice_buf__init(&b->bytes.data, 0);
	b->bytes.n = 0;
	if (!data) {
		ice__free(offs);
		ice__free(bufs[0]);
		return ICE_ERROR;
	}
	bufs[1] = offs;
	bufs[2] = data;
	rc = ice_arrow__array_owned(out, (int64_t)ns, nulls, 3, bufs, 0, NULL);
	if (!rc)
		ice_arrow__array_set_pool(out, a->pool, caps);
	return rc;
}

static int assemble_node(struct ArrowArray *out, asm_ctx *a, const pq_anode *n);

static int assemble_children(struct ArrowArray *kids, asm_ctx *a, const pq_anode *n, size_t expect)
{
	for (size_t i = 0; i < n->nchildren; i++) {
		int rc = assemble_node(&kids[i], a, &n->children[i]);
		if (rc) {
			for (size_t j = 0; j < i; j++)
				ice_arrow_array_release(&kids[j]);
			return rc;
		}
		if ((size_t)kids[i].length != expect) {
			for (size_t j = 0; j <= i; j++)
				ice_arrow_array_release(&kids[j]);
			return corrupt(a, &n->children[i], "columns of one group hold different numbers of values");
		}
	}
	return 0;
}

static int assemble_node(struct ArrowArray *out, asm_ctx *a, const pq_anode *n)
{
	uint32_t *slots = NULL;
	size_t ns;
	void *bufs[2] = {NULL, NULL};
	int64_t nulls;
	int rc = compute_slots(&slots, &ns, a, n, n->ctx_def, n->ctx_rep);
	if (rc)
		return rc;
	if (n->kind == AN_LEAF) {
		rc = assemble_leaf(out, a, n, slots, ns);
		ice__free(slots);
		return rc;
	}
	if ((rc = validity(&bufs[0], &nulls, a, n, slots, ns)) != 0) {
		ice__free(slots);
		return rc;
	}
	struct ArrowArray *kids = ice__calloc(n->nchildren ? n->nchildren : 1, sizeof(struct ArrowArray));
	if (!kids) {
		ice__free(bufs[0]);
		ice__free(slots);
		return ICE_ERROR;
	}
	if (n->kind == AN_STRUCT) {
		rc = assemble_children(kids, a, n, ns);
		ice__free(slots);
		if (rc) {
			ice__free(kids);
			ice__free(bufs[0]);
			return rc;
		}
		rc = ice_arrow__array_owned(out, (int64_t)ns, nulls, 1, bufs, (int)n->nchildren, kids);
		ice__free(kids);
		return rc;
	}
	/* list or map: offsets from the element entries of the same leaf */
	const pq_batch_col *b = &a->cols[n->leaf];
	const int16_t *rep = reps_of(b), *def = defs_of(b);
	int32_t *offs = ice__mallocarray(ns + 1, sizeof(int32_t));
	if (!offs) {
		ice__free(kids);
		ice__free(bufs[0]);
		ice__free(slots);
		return ICE_ERROR;
	}
	size_t total = 0, k = 0;
	offs[0] = 0;
	for (size_t i = 0; i < b->nlevels; i++) {
		/* a slot boundary closes the previous slot's element list */
		while (k < ns && slots && slots[k] == i) {
			offs[k] = (int32_t)total;
			k++;
		}
		if (rep[i] <= n->elem_rep && (def ? def[i] : 0) >= n->elem_def)
			total++;
		if (total > INT32_MAX) {
			rc = corrupt(a, n, "too many list elements in one batch");
			break;
		}
	}
	while (k < ns)
		offs[k++] = (int32_t)total;
	offs[ns] = (int32_t)total;
	ice__free(slots);
	if (!rc)
		rc = assemble_children(kids, a, n, total);
	if (rc) {
		ice__free(offs);
		ice__free(kids);
		ice__free(bufs[0]);
		return rc;
	}
	bufs[1] = offs;
	rc = ice_arrow__array_owned(out, (int64_t)ns, nulls, 2, bufs, 1, kids);
	ice__free(kids);
	return rc;
}

int ice_parquet__assemble(struct ArrowArray *out, const pq_anode *node, const pq_leaf *const *leaves,
                          pq_batch_col *cols, const int64_t *offsets, ice_arrow_pool *pool, size_t nrows,
                          const char *file)
{
	asm_ctx a = {leaves, cols, nrows, file, offsets, pool};
	return assemble_node(out, &a, node);
}

/* ---- schemas ------------------------------------------------------------------- */

int ice_parquet__anode_schema(struct ArrowSchema *out, const pq_anode *n, const pq_leaf *const *leaves)
{
	struct ArrowSchema kids[2];
	struct ArrowSchema *many = NULL;
	char buf[128], *meta = NULL;
	size_t meta_len = 0;
	int rc;
	int64_t flags = n->nullable ? ARROW_FLAG_NULLABLE : 0;
	const pq_leaf *leaf = n->kind == AN_LEAF ? leaves[n->leaf] : NULL;
	if (n->col && (meta_len = ice_arrow__field_metadata(buf, n->col->has_field_id, n->col->field_id,
	                                                    leaf && leaf->is_uuid)) != 0)
		meta = buf;
	switch (n->kind) {
	case AN_LEAF:
		rc = ice_arrow__schema_make(out, leaf->format, n->name, meta, meta_len, flags, 0, NULL);
		break;
	case AN_LIST:
		if ((rc = ice_parquet__anode_schema(&kids[0], &n->children[0], leaves)) != 0)
			break;
		rc = ice_arrow__schema_make(out, "+l", n->name, meta, meta_len, flags, 1, kids);
		break;
	case AN_MAP:
		if ((rc = ice_parquet__anode_schema(&kids[0], &n->children[0], leaves)) != 0)
			break;
		rc = ice_arrow__schema_make(out, "+m", n->name, meta, meta_len, flags, 1, kids);
		break;
	default:
		many = ice__calloc(n->nchildren ? n->nchildren : 1, sizeof(struct ArrowSchema));
		if (!many) {
			rc = ICE_ERROR;
			break;
		}
		rc = 0;
		for (size_t i = 0; i < n->nchildren && !rc; i++) {
			rc = ice_parquet__anode_schema(&many[i], &n->children[i], leaves);
			if (rc)
				for (size_t j = 0; j < i; j++)
					ice_arrow_schema_release(&many[j]);
		}
		if (!rc)
			rc = ice_arrow__schema_make(out, "+s", n->name, meta, meta_len, flags, (int)n->nchildren,
			                                    many);
		ice__free(many);
		break;
	}
	return rc;
}
