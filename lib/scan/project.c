/*
 * scan/project.c - a data file's columns as the rows being read (spec
 * "Column Projection", "Schema Evolution", "Name Mapping"): every field of
 * the target is matched to the file by field id, or, when the file has no
 * field ids at all, through the table's name mapping; fields the file lacks
 * read as the identity partition value, their initial-default, or null;
 * promoted types are widened; nested structs, lists and maps are matched
 * field by field. Only the columns needed are decoded, and columns whose
 * layout already fits are handed out without a copy.
 */
#include <stdio.h>
#include <string.h>

#include "read.h"
#include "util/hashmap.h"

typedef struct rd_bind rd_bind;

struct rd_bind {
	const ice_field *field;           /* target field (NULL for the root) */
	const ice_type *type;             /* target type */
	const struct ArrowSchema *target; /* its Arrow schema */
	int src;                          /* index of the file child, -1 when missing */
	const struct ArrowSchema *file;   /* the file node (when present) */
	const ice_literal *constant;      /* what a missing field reads as (NULL: null) */
	char *path;                       /* the file node's dotted path through structs */
	size_t nchildren;
	rd_bind *children;                /* struct fields; list element; map key and value */
};

struct rd_projection {
	ice_arena arena;
	struct ArrowSchema file_schema; /* the selected scan's batches */
	rd_bind root;
	ice_parquet_reader *r;
	const char *location;
	ice_arrow_holder *holder;              /* of the batch being applied */
	bool *leaf_read;                /* per leaf column of the file: decoded */
};

/* ---- file ids --------------------------------------------------------------------------- */

typedef struct walk {
	bool use_ids;
	const ice_name_mapping *mapping;
} walk;

/* The id of file child `c` (mapped through `map`, the parent's mapping,
 * for files without ids); *child_map receives the child's mapping. */
static int32_t file_id(const walk *w, const struct ArrowSchema *c, const ice_mapped_field *map, const char *name,
                       const ice_mapped_field **child_map)
{
	*child_map = NULL;
	if (w->use_ids)
		return ice_read__schema_field_id(c);
	if (!w->mapping)
		return 0;
	const ice_mapped_field *m = ice_name_mapping_child(w->mapping, map, name ? name : c->name);
	*child_map = m;
	return m && m->has_field_id ? m->field_id : 0;
}

static bool any_id(const struct ArrowSchema *s)
{
	if (ice_read__schema_field_id(s) > 0)
		return true;
	for (int64_t i = 0; i < s->n_children; i++)
		if (any_id(s->children[i]))
			return true;
	return false;
}

/* The child of struct node `s` carrying `id`, or -1. Child `guess` (the
 * child after the previous field's) is tried first: files written in
 * schema order bind in linear time however wide (200,000 columns). */
static int find_child(const walk *w, const struct ArrowSchema *s, const ice_mapped_field *map, int32_t id,
                      size_t guess, const ice_mapped_field **child_map)
{
	if ((int64_t)guess < s->n_children) {
		const ice_mapped_field *cm;
		if (file_id(w, s->children[guess], map, NULL, &cm) == id) {
			*child_map = cm;
			return (int)guess;
		}
	}
	for (int64_t i = 0; i < s->n_children; i++) {
		const ice_mapped_field *cm;
		if (file_id(w, s->children[i], map, NULL, &cm) == id) {
			*child_map = cm;
			return (int)i;
		}
	}
	*child_map = NULL;
	return -1;
}

/* ---- choosing the columns to decode ------------------------------------------------------- */

typedef struct selection {
	int32_t *ids;
	const char **paths;
	size_t n, cap;
	ice_arena *arena;
} selection;

static int select_node(selection *sel, int32_t id, const char *path)
{
	if (sel->n == sel->cap) {
		size_t cap = sel->cap ? sel->cap * 2 : 16;
		int32_t *ids = ice_arena__allocarray(sel->arena, cap, sizeof(int32_t));
		const char **paths = ice_arena__allocarray(sel->arena, cap, sizeof(char *));
		if (!ids || !paths)
			return ICE_ERROR;
		if (sel->n) {
			memcpy(ids, sel->ids, sel->n * sizeof(int32_t));
			memcpy(paths, sel->paths, sel->n * sizeof(char *));
		}
		sel->ids = ids;
		sel->paths = paths;
		sel->cap = cap;
	}
	sel->ids[sel->n] = id;
	sel->paths[sel->n] = path;
	sel->n++;
	return 0;
}

static char *join_path(ice_arena *a, const char *prefix, const char *name)
{
	size_t pl = prefix ? strlen(prefix) : 0, nl = strlen(name);
	char *p = ice_arena__alloc(a, pl + nl + 2);
	if (!p)
		return NULL;
	if (pl) {
		memcpy(p, prefix, pl);
		p[pl] = '.';
		memcpy(p + pl + 1, name, nl + 1);
	} else {
		memcpy(p, name, nl + 1);
	}
	return p;
}

/* Select what the target struct's fields need of file struct node `f`;
 * *count_out is the number of nodes selected. */
static int select_struct(selection *sel, const walk *w, const ice_type *t, const struct ArrowSchema *f,
                         const ice_mapped_field *map, const char *prefix, size_t *count_out)
{
	size_t before = sel->n, next = 0;
	int rc;
	for (size_t i = 0; i < t->u.struct_.nfields; i++) {
		const ice_field *tf = &t->u.struct_.fields[i];
		const ice_mapped_field *cm;
		int j = find_child(w, f, map, tf->id, next, &cm);
		if (j < 0)
			continue;
		next = (size_t)j + 1;
		const struct ArrowSchema *c = f->children[j];
		char *path = join_path(sel->arena, prefix, c->name);
		if (!path)
			return ICE_ERROR;
		if (tf->type->id == ICE_TYPE_STRUCT && !strcmp(c->format, "+s")) {
			size_t got;
			if ((rc = select_struct(sel, w, tf->type, c, cm, path, &got)) != 0)
				return rc;
			if (got)
				continue;
			/* none of its fields is in the file: the struct itself still
			 * says which rows are null */
		}
		if ((rc = select_node(sel, tf->id, path)) != 0)
			return rc;
	}
	*count_out = sel->n - before;
	return 0;
}

/* ---- binding the target to the selected columns ------------------------------------------ */

static const ice_literal *identity_value(const rd_file_context *ctx, int32_t id)
{
	if (!ctx->spec)
		return NULL;
	for (size_t i = 0; i < ctx->spec->nfields && i < ctx->n_partition; i++) {
		const ice_partition_field *pf = &ctx->spec->fields[i];
		if (pf->source_id == id && pf->transform.kind == ICE_TRANSFORM_IDENTITY)
			return &ctx->partition[i];
	}
	return NULL;
}

static int mismatch(const rd_projection *p, const rd_bind *b, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_PARQUET, "%s: column %s (field id %d): %s", p->location,
	                      b->path ? b->path : b->field->name, b->field ? (int)b->field->id : 0, what);
}

static int bind_node(rd_projection *p, const walk *w, rd_bind *b, const ice_mapped_field *map,
                     const rd_file_context *ctx);

static int bind_struct(rd_projection *p, const walk *w, rd_bind *b, const ice_mapped_field *map,
                       const rd_file_context *ctx, bool top)
{
	const ice_type *t = b->type;
	size_t n = t->u.struct_.nfields;
	b->nchildren = n;
	size_t next = 0; /* where the next field's column probably is */
	if (n && !(b->children = ice_arena__allocarray(&p->arena, n, sizeof(rd_bind))))
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		rd_bind *c = &b->children[i];
		const ice_mapped_field *cm = NULL;
		c->field = &t->u.struct_.fields[i];
		c->type = c->field->type;
		c->target = b->target->children[i];
		c->src = b->file ? find_child(w, b->file, map, c->field->id, next, &cm) : -1;
		if (c->src >= 0)
			next = (size_t)c->src + 1;
		if (c->src < 0) {
			const ice_literal *idv = identity_value(ctx, c->field->id);
			c->constant = idv ? idv : c->field->initial_default;
			continue;
		}
		c->file = b->file->children[c->src];
		if (!(c->path = join_path(&p->arena, top ? NULL : b->path, c->file->name)))
			return ICE_ERROR;
		int rc = bind_node(p, w, c, cm, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int bind_node(rd_projection *p, const walk *w, rd_bind *b, const ice_mapped_field *map,
                     const rd_file_context *ctx)
{
	const char *f = b->file->format;
	const ice_mapped_field *cm;
	int rc;
	switch (b->type->id) {
	case ICE_TYPE_STRUCT:
		if (strcmp(f, "+s") != 0)
			return mismatch(p, b, "the file holds no struct here");
		return bind_struct(p, w, b, map, ctx, false);
	case ICE_TYPE_LIST: {
		if (strcmp(f, "+l") != 0)
			return mismatch(p, b, "the file holds no list here");
		rd_bind *e = b->children = ice_arena__alloc(&p->arena, sizeof(rd_bind));
		if (!e)
			return ICE_ERROR;
		b->nchildren = 1;
		e->field = &b->type->u.list.element;
		e->type = e->field->type;
		e->target = b->target->children[0];
		e->file = b->file->children[0];
		e->path = b->path;
		/* The element is matched by id like any field: a file whose element
		 * has another id (seen: 500 for element-id 13) holds lists of
		 * missing values, read as the element's default or null (as
		 * DuckDB does). Without ids the list's only child is the element. */
		int32_t id = file_id(w, e->file, map, "element", &cm);
		if (id != e->field->id) {
			e->src = -1;
			e->constant = e->field->initial_default;
			e->file = NULL;
			return 0;
		}
		e->src = 0;
		return bind_node(p, w, e, cm, ctx);
	}
	case ICE_TYPE_MAP: {
		if (strcmp(f, "+m") != 0 || b->file->n_children != 1 || b->file->children[0]->n_children != 2)
			return mismatch(p, b, "the file holds no map here");
		const struct ArrowSchema *entries = b->file->children[0];
		rd_bind *kv = b->children = ice_arena__allocarray(&p->arena, 2, sizeof(rd_bind));
		if (!kv)
			return ICE_ERROR;
		b->nchildren = 2;
		for (int i = 0; i < 2; i++) {
			kv[i].field = i == 0 ? &b->type->u.map.key : &b->type->u.map.value;
			kv[i].type = kv[i].field->type;
			kv[i].target = b->target->children[0]->children[i];
			kv[i].file = entries->children[i];
			kv[i].path = b->path;
			kv[i].src = i;
			if (file_id(w, kv[i].file, map, i == 0 ? "key" : "value", &cm) != kv[i].field->id) {
				/* a key or value of another id is missing, as a list element */
				kv[i].src = -1;
				kv[i].constant = kv[i].field->initial_default;
				kv[i].file = NULL;
				continue;
			}
			if ((rc = bind_node(p, w, &kv[i], cm, ctx)) != 0)
				return rc;
		}
		return 0;
	}
	default: {
		/* a primitive: the layouts must convert (checked on the first batch
		 * too; this catches a nested column standing for a primitive) */
		if (f[0] == '+' && b->type->id != ICE_TYPE_VARIANT)
			return mismatch(p, b, "the file holds a nested column here");
		return 0;
	}
	}
}

int ice_read__projection_open(rd_projection **out, ice_parquet_scan **scan_out, ice_parquet_reader *r,
                              const rd_target *target, const rd_file_context *ctx,
                              const ice_parquet_scan_options *opts)
{
	rd_projection *p = ice__calloc(1, sizeof(*p));
	ice_parquet_scan *all = NULL, *scan = NULL;
	struct ArrowSchema full = {0};
	selection sel = {0};
	int rc;
	*out = NULL;
	*scan_out = NULL;
	if (!p)
		return ICE_ERROR;
	ice_arena__init(&p->arena, 2048);
	p->r = r;
	p->location = ctx->location;
	sel.arena = &p->arena;
	/* the whole file's shape, to decide what to decode */
	if ((rc = ice_parquet_scan_open(&all, r, NULL)) != 0 || (rc = ice_parquet_scan_schema(all, &full)) != 0)
		goto fail;
	ice_parquet_scan_free(all);
	all = NULL;
	walk w = {any_id(&full), ctx->mapping};
	size_t count;
	if ((rc = select_struct(&sel, &w, target->type, &full, NULL, NULL, &count)) != 0)
		goto fail;
	ice_parquet_scan_options o = *opts;
	o.field_ids = NULL;
	o.nfield_ids = 0;
	o.columns = NULL;
	o.ncolumns = 0;
	if (sel.n == 0) {
		/* nothing of the file is read, but rows still have to be counted:
		 * decode the cheapest flat column */
		const ice_parquet_column *best = NULL;
		int64_t best_size = INT64_MAX;
		const ice_parquet_row_group *rg0 = ice_parquet_reader_row_group(r, 0);
		for (size_t i = 0; i < ice_parquet_reader_leaf_count(r); i++) {
			const ice_parquet_column *c = ice_parquet_reader_leaf(r, i);
			int64_t size = rg0 ? rg0->columns[i].total_compressed_size : 0;
			if (c->max_repetition_level == 0 && size < best_size) {
				best = c;
				best_size = size;
			}
		}
		if (best && (rc = select_node(&sel, 0, best->path)) != 0)
			goto fail;
		if (!best) {
			rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_PARQUET, "%s: no flat column to count rows with",
			                    ctx->location);
			goto fail;
		}
		o.columns = sel.paths;
		o.ncolumns = sel.n;
	} else if (w.use_ids) {
		o.field_ids = sel.ids;
		o.nfield_ids = sel.n;
	} else {
		o.columns = sel.paths;
		o.ncolumns = sel.n;
	}
	if ((rc = ice_parquet_scan_open(&scan, r, &o)) != 0 ||
	    (rc = ice_parquet_scan_schema(scan, &p->file_schema)) != 0)
		goto fail;
	/* which leaves are decoded: those under a selected path */
	size_t nleaves = ice_parquet_reader_leaf_count(r);
	if (!(p->leaf_read = ice_arena__allocarray(&p->arena, nleaves ? nleaves : 1, sizeof(bool)))) {
		rc = ICE_ERROR;
		goto fail;
	}
	/* (the selected paths by hash, each leaf's path and its prefixes up to
	 * a '.' looked up: linear in the columns however many are selected) */
	ice_map selected;
	ice_map__init(&selected, true);
	for (size_t k = 0; k < sel.n && !rc; k++)
		rc = ice_map__put_str(&selected, sel.paths[k], strlen(sel.paths[k]), NULL);
	for (size_t i = 0; i < nleaves && !rc; i++) {
		const char *lp = ice_parquet_reader_leaf(r, i)->path;
		size_t len = strlen(lp);
		p->leaf_read[i] = ice_map__get_str(&selected, lp, len, NULL);
		for (size_t j = 0; j < len && !p->leaf_read[i]; j++)
			p->leaf_read[i] = lp[j] == '.' && ice_map__get_str(&selected, lp, j, NULL);
	}
	ice_map__free(&selected);
	if (rc)
		goto fail;
	p->root.type = target->type;
	p->root.target = &target->arrow;
	p->root.file = &p->file_schema;
	p->root.src = 0;
	if ((rc = bind_struct(p, &w, &p->root, NULL, ctx, true)) != 0)
		goto fail;
	ice_arrow_schema_release(&full);
	*out = p;
	*scan_out = scan;
	return 0;
fail:
	ice_parquet_scan_free(all);
	ice_parquet_scan_free(scan);
	ice_arrow_schema_release(&full);
	ice_read__projection_free(p);
	return rc ? rc : ICE_ERROR;
}

void ice_read__projection_free(rd_projection *p)
{
	if (!p)
		return;
	ice_arrow_schema_release(&p->file_schema);
	ice_arena__free(&p->arena);
	ice__free(p);
}

/* ---- applying to batches ---------------------------------------------------------------- */

static int apply_node(rd_projection *p, const rd_bind *b, const struct ArrowArray *a, struct ArrowArray *out);

static int apply_children(rd_projection *p, const rd_bind *b, const struct ArrowArray *a, struct ArrowArray *kids)
{
	int rc = 0;
	size_t i;
	for (i = 0; i < b->nchildren && !rc; i++) {
		const rd_bind *c = &b->children[i];
		if (c->src < 0)
			rc = ice_read__array_const(&kids[i], c->target, c->type, c->constant, a->length);
		else
			rc = apply_node(p, c, a->children[c->src], &kids[i]);
	}
	if (rc)
		for (size_t j = 0; j + 1 < i; j++)
			ice_arrow_array_release(&kids[j]);
	return rc;
}

static int apply_node(rd_projection *p, const rd_bind *b, const struct ArrowArray *a, struct ArrowArray *out)
{
	struct ArrowArray kids_small[4], *kids = kids_small;
	void *bufs[2] = {a->n_buffers > 0 ? (void *)(uintptr_t)a->buffers[0] : NULL,
	                 a->n_buffers > 1 ? (void *)(uintptr_t)a->buffers[1] : NULL};
	int rc;
	switch (b->type->id) {
	case ICE_TYPE_STRUCT:
		if (a->offset != 0 && b->nchildren)
			return mismatch(p, b, "struct batches with an offset are not supported");
		if (b->nchildren > 4 && !(kids = ice__calloc(b->nchildren, sizeof(*kids))))
			return ICE_ERROR;
		if ((rc = apply_children(p, b, a, kids)) == 0)
			rc = ice_arrow__array_make(out, a->length, a->null_count, a->offset, 1, bufs, 0, (int)b->nchildren,
			                          kids, p->holder);
		if (kids != kids_small)
			ice__free(kids);
		return rc;
	case ICE_TYPE_LIST: {
		struct ArrowArray e;
		const rd_bind *el = &b->children[0];
		rc = el->src < 0 ? ice_read__array_const(&e, el->target, el->type, el->constant, a->children[0]->length)
		                 : apply_node(p, el, a->children[0], &e);
		if (rc)
			return rc;
		return ice_arrow__array_make(out, a->length, a->null_count, a->offset, 2, bufs, 0, 1, &e, p->holder);
	}
	case ICE_TYPE_MAP: {
		const struct ArrowArray *entries = a->children[0];
		struct ArrowArray kv[2], ent;
		void *ebufs[1] = {entries->n_buffers > 0 ? (void *)(uintptr_t)entries->buffers[0] : NULL};
		if (entries->offset != 0)
			return mismatch(p, b, "map entries with an offset are not supported");
		for (int i = 0; i < 2; i++) {
			const rd_bind *c = &b->children[i];
			rc = c->src < 0 ? ice_read__array_const(&kv[i], c->target, c->type, c->constant, entries->length)
			                : apply_node(p, c, entries->children[i], &kv[i]);
			if (rc) {
				if (i)
					ice_arrow_array_release(&kv[0]);
				return rc;
			}
		}
		if ((rc = ice_arrow__array_make(&ent, entries->length, entries->null_count, 0, 1, ebufs, 0, 2, kv,
		                               p->holder)) != 0)
			return rc;
		return ice_arrow__array_make(out, a->length, a->null_count, a->offset, 2, bufs, 0, 1, &ent, p->holder);
	}
	default: {
		bool converted;
		if (!strcmp(b->file->format, "n"))
			return ice_read__array_const(out, b->target, b->type, NULL, a->length);
		if (b->type->id == ICE_TYPE_VARIANT || b->type->id == ICE_TYPE_UNKNOWN) {
			if (b->type->id == ICE_TYPE_UNKNOWN)
				return ice_read__array_const(out, b->target, b->type, NULL, a->length);
			return ice_arrow__array_view(out, a, p->holder);
		}
		if ((rc = ice_read__array_convert(out, &converted, b->file->format, b->target->format, a, p->holder)) != 0)
			return ice_error__prefix("%s: column %s", p->location, b->path ? b->path : b->field->name);
		return converted ? 0 : ice_arrow__array_view(out, a, p->holder);
	}
	}
}

int ice_read__projection_apply(rd_projection *p, struct ArrowArray *file_batch, struct ArrowArray *out)
{
	ice_arrow_holder *h;
	size_t n = p->root.nchildren;
	void *none[1] = {NULL};
	int rc = ice_arrow__holder_new(&h, file_batch);
	if (rc)
		return rc;
	const struct ArrowArray *a = ice_arrow__holder_array(h);
	struct ArrowArray *kids = ice__calloc(n ? n : 1, sizeof(*kids));
	if (!kids) {
		ice_arrow__holder_unref(h);
		return ICE_ERROR;
	}
	p->holder = h;
	if ((rc = apply_children(p, &p->root, a, kids)) == 0)
		rc = ice_arrow__array_make(out, a->length, 0, 0, 1, none, 0, (int)n, kids, NULL);
	p->holder = NULL;
	ice__free(kids);
	ice_arrow__holder_unref(h);
	return rc;
}

int64_t ice_read__projection_bytes(const rd_projection *p, const ice_parquet_row_group *rg)
{
	int64_t bytes = 0;
	for (size_t i = 0; i < rg->ncolumns; i++)
		if (p->leaf_read[i])
			bytes += rg->columns[i].total_compressed_size;
	return bytes;
}

static const rd_bind *find_bind(const rd_bind *b, int32_t id)
{
	for (size_t i = 0; i < b->nchildren; i++) {
		const rd_bind *c = &b->children[i];
		if (c->field && c->field->id == id)
			return c;
		if (c->type->id == ICE_TYPE_STRUCT) {
			const rd_bind *d = find_bind(c, id);
			if (d)
				return d;
		}
	}
	return NULL;
}

const ice_parquet_column *ice_read__projection_column(const rd_projection *p, int32_t field_id,
                                                      const ice_literal **constant, bool *missing)
{
	const rd_bind *b = find_bind(&p->root, field_id);
	*constant = NULL;
	*missing = false;
	if (!b)
		return NULL;
	if (b->src < 0) {
		*missing = true;
		*constant = b->constant;
		return NULL;
	}
	const ice_parquet_column *c = b->path ? ice_parquet_reader_column_by_path(p->r, b->path) : NULL;
	return c && c->leaf_index >= 0 && c->max_repetition_level == 0 ? c : NULL;
}

/* ---- target types ------------------------------------------------------------------------ */

static bool wanted(int32_t id, const int32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

const ice_type *ice_read__prune(ice_arena *a, const ice_type *t, const int32_t *ids, size_t n)
{
	ice_type *out = ice_arena__alloc(a, sizeof(*out));
	ice_field *fields = ice_arena__allocarray(a, t->u.struct_.nfields ? t->u.struct_.nfields : 1, sizeof(*fields));
	size_t k = 0;
	if (!out || !fields)
		return NULL;
	out->id = ICE_TYPE_STRUCT;
	for (size_t i = 0; i < t->u.struct_.nfields; i++) {
		const ice_field *f = &t->u.struct_.fields[i];
		if (wanted(f->id, ids, n)) {
			fields[k++] = *f;
		} else if (f->type->id == ICE_TYPE_STRUCT) {
			const ice_type *sub = ice_read__prune(a, f->type, ids, n);
			if (!sub)
				return NULL;
			if (sub->u.struct_.nfields) {
				fields[k] = *f;
				fields[k++].type = sub;
			}
		}
	}
	out->u.struct_.nfields = k;
	out->u.struct_.fields = fields;
	return out;
}

bool ice_read__field_path(const ice_type *t, int32_t id, int *path, int *depth, int max)
{
	for (size_t i = 0; i < t->u.struct_.nfields; i++) {
		const ice_field *f = &t->u.struct_.fields[i];
		if (*depth >= max)
			return false;
		path[(*depth)++] = (int)i;
		if (f->id == id)
			return true;
		if (f->type->id == ICE_TYPE_STRUCT && ice_read__field_path(f->type, id, path, depth, max))
			return true;
		(*depth)--;
	}
	return false;
}
