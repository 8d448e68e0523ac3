/*
 * scan/read_deletes.c - applying row-level deletes to one data file (spec
 * "Row-level Deletes", "Delete Formats", "Scan Planning"): deletion vectors
 * and position delete files become one bitmap of deleted positions (only
 * the delete rows naming this data file; row groups of sorted delete files
 * skipped by their file_path statistics); equality delete files become one
 * set of keys per set of equality ids, and a data row is deleted when its
 * key is in a set. Keys compare values, not bytes as written: both sides
 * are read as the table's types (promotions applied), null equals null.
 *
 * Memory is bounded by the delete files that apply to the data file: a bit
 * per row of it, and the keys of its equality deletes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read.h"
#include "puffin/internal.h"
#include "util/buf.h"
#include "util/hashmap.h"

#define FILE_PATH_ID 2147483546
#define POS_ID 2147483545
#define MAX_DEPTH 16

typedef struct eq_group {
	size_t nids;
	int32_t *ids;
	int (*paths)[MAX_DEPTH];
	int *depths;
	ice_map keys;
} eq_group;

struct rd_deletes {
	ice_arena arena;
	uint8_t *pos;          /* bit per row: deleted by position */
	int64_t pos_bits;      /* positions `pos` covers (grows with the deletes, up to nrows) */
	bool has_pos;          /* position deletes apply (pos may still be empty) */
	int64_t nrows;
	const ice_type *eq_type;
	size_t ngroups;
	eq_group *groups;
};

/* ---- keys ------------------------------------------------------------------------------ */

static bool valid_at(const struct ArrowArray *a, int64_t physical)
{
	const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
	return a->null_count == 0 || !v || ((v[physical >> 3] >> (physical & 7)) & 1);
}

/* Append one value (reached through `path` from the top-level arrays) to
 * `key`: 0 for null, else 1 and the value's bytes. */
static int encode_value(ice_buf *key, const struct ArrowArray *const *tops, const struct ArrowSchema *const *schemas,
                        const int *path, int depth, int64_t row)
{
	const struct ArrowArray *a = tops[path[0]];
	const struct ArrowSchema *s = schemas[path[0]];
	int64_t idx = row;
	for (int d = 1; d < depth; d++) {
		if (!valid_at(a, a->offset + idx))
			return ice_buf__putc(key, 0);
		idx += a->offset;
		a = a->children[path[d]];
		s = s->children[path[d]];
	}
	int64_t p = a->offset + idx;
	if (!valid_at(a, p))
		return ice_buf__putc(key, 0);
	ice_buf__putc(key, 1);
	rd_layout l = ice_read__layout(s->format);
	switch (l.kind) {
	case RD_BOOL: {
		const uint8_t *b = a->buffers[1];
		return ice_buf__putc(key, (char)((b[p >> 3] >> (p & 7)) & 1));
	}
	case RD_FIXED: {
		const uint8_t *v = (const uint8_t *)a->buffers[1] + p * l.width;
		if (s->format[0] == 'g' && s->format[1] == '\0') {
			double d;
			memcpy(&d, v, 8);
			if (isnan(d)) {
				d = NAN;
				return ice_buf__put(key, &d, 8);
			}
		} else if (s->format[0] == 'f' && s->format[1] == '\0') {
			float f;
			memcpy(&f, v, 4);
			if (isnan(f)) {
				f = NAN;
				return ice_buf__put(key, &f, 4);
			}
		}
		return ice_buf__put(key, v, (size_t)l.width);
	}
	case RD_VAR32:
	case RD_VAR64: {
		int64_t st, en;
		if (l.kind == RD_VAR32) {
			st = ((const int32_t *)a->buffers[1])[p];
			en = ((const int32_t *)a->buffers[1])[p + 1];
		} else {
			st = ((const int64_t *)a->buffers[1])[p];
			en = ((const int64_t *)a->buffers[1])[p + 1];
		}
		uint64_t len = (uint64_t)(en - st);
		ice_buf__put(key, &len, 8);
		return ice_buf__put(key, (const uint8_t *)a->buffers[2] + st, (size_t)len);
	}
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
		                      "equality deletes on a column of Arrow format '%s' are not supported", s->format);
	}
}

static int encode_key(ice_buf *key, const eq_group *g, const struct ArrowArray *const *tops,
                      const struct ArrowSchema *const *schemas, int64_t row)
{
	ice_buf__clear(key);
	for (size_t i = 0; i < g->nids; i++) {
		int rc = encode_value(key, tops, schemas, g->paths[i], g->depths[i], row);
		if (rc)
			return rc;
	}
	return key->error;
}

/* ---- reading delete files ----------------------------------------------------------------- */

static bool is_format(const char *format, const char *name)
{
	return format && !strcasecmp(format, name);
}

static int delete_format_error(const ice_data_file *f)
{
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
	                      "%s: delete files in %s format are not supported (only Parquet and Puffin)", f->file_path,
	                      f->file_format ? f->file_format : "an unknown");
}

/* Read every batch of `location` as `type`, calling `row_fn` per batch. */
typedef int (*batch_fn)(void *payload, const struct ArrowArray *batch, const struct ArrowSchema *schema);

typedef struct pos_filter {
	const char *path;
	size_t len;
	const ice_parquet_column *col;
} pos_filter;

/* Skip row groups of a (sorted) position delete file whose file_path
 * bounds exclude the data file. */
static int pos_row_group_filter(bool *skip, const ice_parquet_reader *r, const ice_parquet_row_group *rg, void *payload)
{
	pos_filter *pf = payload;
	(void)r;
	*skip = false;
	if (!pf->col)
		return 0;
	const ice_parquet_column_chunk *cc = &rg->columns[pf->col->leaf_index];
	if (!cc->has_statistics)
		return 0;
	const ice_literal *lo = &cc->statistics.min_value, *hi = &cc->statistics.max_value;
	ice_literal path = ice_literal_string(pf->path, pf->len);
	if (!lo->is_null && lo->type == ICE_TYPE_STRING && ice_literal_compare(&path, lo) < 0)
		*skip = true;
	if (!hi->is_null && hi->type == ICE_TYPE_STRING && ice_literal_compare(&path, hi) > 0)
		*skip = true;
	return 0;
}

static int read_file(const rd_delete_context *ctx, const ice_data_file *f, const ice_type *type,
                     const ice_name_mapping *mapping, pos_filter *pf, batch_fn fn, void *payload)
{
	ice_parquet_reader *r = NULL;
	ice_parquet_scan *scan = NULL;
	rd_projection *proj = NULL;
	rd_target target;
	struct ArrowArray fb, rb;
	int rc;
	memset(&target, 0, sizeof(target));
	if (!is_format(f->file_format, "parquet"))
		return delete_format_error(f);
	if ((rc = ice_parquet_reader_open_sized(&r, ctx->io, f->file_path, f->file_size_in_bytes)) != 0)
		return rc;
	if (ctx->bytes_read)
		atomic_fetch_add(ctx->bytes_read, (int64_t)ice_parquet_reader_file_size(r));
	target.type = type;
	target.nprojected = type->u.struct_.nfields;
	if ((rc = ice_read__schema_for_struct(&target.arrow, type, "")) != 0)
		goto done;
	rd_file_context fctx = {mapping, NULL, NULL, 0, f->file_path};
	ice_parquet_scan_options opts;
	ice_parquet_scan_options_init(&opts);
	opts.batch_size = ctx->batch_size;
	if (pf) {
		pf->col = ice_parquet_reader_column_by_field_id(r, FILE_PATH_ID);
		if (!pf->col)
			pf->col = ice_parquet_reader_column_by_path(r, "file_path");
		if (pf->col && (pf->col->leaf_index < 0 || pf->col->max_repetition_level > 0))
			pf->col = NULL;
		opts.filter = pos_row_group_filter;
		opts.filter_payload = pf;
	}
	if ((rc = ice_read__projection_open(&proj, &scan, r, &target, &fctx, &opts)) != 0)
		goto done;
	while ((rc = ice_parquet_scan_next(scan, &fb, NULL)) == 0) {
		if ((rc = ice_read__projection_apply(proj, &fb, &rb)) != 0)
			break;
		rc = fn(payload, &rb, &target.arrow);
		ice_arrow_array_release(&rb);
		if (rc)
			break;
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
done:
	ice_read__projection_free(proj);
	ice_parquet_scan_free(scan);
	ice_arrow_schema_release(&target.arrow);
	ice_parquet_reader_free(r);
	return rc;
}

/* ---- position deletes ------------------------------------------------------------------------ */

static const ice_field pos_fields[2] = {
	{FILE_PATH_ID, "file_path", true, &(const ice_type){ICE_TYPE_STRING, {{0, 0}}}, NULL, NULL, NULL},
	{POS_ID, "pos", true, &(const ice_type){ICE_TYPE_LONG, {{0, 0}}}, NULL, NULL, NULL},
};

typedef struct pos_state {
	rd_deletes *d;
	const char *path;
	size_t len;
	const ice_data_file *file;
} pos_state;

/*
 * Make the bitmap of deleted positions cover `pos` (< nrows). It grows with
 * the positions actually deleted, not with the row count the data file
 * declares, so a file claiming 2^63 rows costs what its deletes name.
 */
static int cover(rd_deletes *d, int64_t pos, const ice_data_file *f)
{
	if (pos < d->pos_bits)
		return 0;
	int64_t want = d->pos_bits > d->nrows / 2 ? d->nrows : d->pos_bits * 2;
	if (want <= pos)
		want = pos + 1;
	if (want < 65536)
		want = d->nrows < 65536 ? d->nrows : 65536;
	size_t old = (size_t)(d->pos_bits / 8 + 1), bytes = (size_t)(want / 8 + 1);
	uint8_t *p = ice__realloc(d->pos, bytes);
	if (!p)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_NOMEMORY,
		                      "%s: out of memory for a bitmap of %lld deleted positions", f->file_path,
		                      (long long)want);
	memset(p + (d->pos ? old : 0), 0, bytes - (d->pos ? old : 0));
	d->pos = p;
	d->pos_bits = want;
	return 0;
}

static int pos_batch(void *payload, const struct ArrowArray *b, const struct ArrowSchema *schema)
{
	pos_state *st = payload;
	const struct ArrowArray *paths = b->children[0], *pos = b->children[1];
	(void)schema;
	const int32_t *offs = paths->buffers[1];
	const uint8_t *data = paths->buffers[2];
	const int64_t *p = pos->buffers[1];
	for (int64_t i = 0; i < b->length; i++) {
		int64_t pi = paths->offset + i, qi = pos->offset + i;
		if (!valid_at(paths, pi) || !valid_at(pos, qi))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: row %lld: null file_path or pos",
			                      st->file->file_path, (long long)i);
		if ((size_t)(offs[pi + 1] - offs[pi]) != st->len || memcmp(data + offs[pi], st->path, st->len) != 0)
			continue;
		int64_t at = p[qi];
		if (at >= 0 && at < st->d->nrows) {
			int rc = cover(st->d, at, st->file);
			if (rc)
				return rc;
			st->d->pos[at >> 3] |= (uint8_t)(1u << (at & 7));
		}
	}
	return 0;
}

static int load_positions(rd_deletes *d, const rd_delete_context *ctx, const ice_data_file *data,
                          const ice_data_file *f)
{
	static const char mapping_json[] = "[{\"field-id\": 2147483546, \"names\": [\"file_path\"]},"
	                                   " {\"field-id\": 2147483545, \"names\": [\"pos\"]}]";
	static const ice_type type = {ICE_TYPE_STRUCT, .u.struct_ = {2, pos_fields}};
	ice_name_mapping *mapping;
	pos_state st = {d, data->file_path, strlen(data->file_path), f};
	pos_filter pf = {data->file_path, strlen(data->file_path), NULL};
	int rc = ice_name_mapping_parse(&mapping, mapping_json, sizeof(mapping_json) - 1, "position deletes");
	if (rc)
		return rc;
	rc = read_file(ctx, f, &type, mapping, &pf, pos_batch, &st);
	ice_name_mapping_free(mapping);
	return rc;
}

static int load_vector(rd_deletes *d, const rd_delete_context *ctx, const ice_data_file *f)
{
	ice_deletion_vector *dv;
	if (!f->has_content_offset || !f->has_content_size_in_bytes)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "%s: deletion vector without content_offset and content_size_in_bytes", f->file_path);
	int rc = ice_deletion_vector_read(&dv, ctx->io, f->file_path, f->content_offset, f->content_size_in_bytes);
	if (rc)
		return rc;
	if (ctx->bytes_read)
		atomic_fetch_add(ctx->bytes_read, f->content_size_in_bytes);
	/* The manifest's count of deleted rows is the vector's cardinality. */
	if (ice_deletion_vector_cardinality(dv) != f->record_count)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                    "%s: the deletion vector at offset %lld for %s holds %lld positions, its manifest entry "
		                    "says %lld (record_count)",
		                    f->file_path, (long long)f->content_offset,
		                    f->referenced_data_file ? f->referenced_data_file : "its data file",
		                    (long long)ice_deletion_vector_cardinality(dv), (long long)f->record_count);
	int64_t last = ice_deletion_vector__last(dv);
	if (!rc && last >= 0)
		rc = cover(d, last < d->nrows ? last : d->nrows - 1, f);
	if (!rc && d->pos_bits > 0)
		ice_deletion_vector_mark(dv, d->pos, (uint64_t)d->pos_bits);
	ice_deletion_vector_free(dv);
	return rc;
}

/* ---- equality deletes ------------------------------------------------------------------------- */

typedef struct eq_state {
	rd_deletes *d;
	eq_group *g;
	const ice_data_file *file;
	ice_buf key;
} eq_state;

static int eq_batch(void *payload, const struct ArrowArray *b, const struct ArrowSchema *schema)
{
	eq_state *st = payload;
	eq_group *g = st->g;
	const struct ArrowArray *const *tops = (const struct ArrowArray *const *)b->children;
	const struct ArrowSchema *const *schemas = (const struct ArrowSchema *const *)schema->children;
	for (int64_t i = 0; i < b->length; i++) {
		int rc = encode_key(&st->key, g, tops, schemas, i);
		if (rc)
			return ice_error__prefix("%s", st->file->file_path);
		if (ice_map__get_str(&g->keys, st->key.ptr, st->key.len, NULL))
			continue;
		char *k = ice_arena__memdup(&st->d->arena, st->key.ptr, st->key.len ? st->key.len : 1);
		if (!k || (rc = ice_map__put_str(&g->keys, k, st->key.len, NULL)) != 0)
			return k ? rc : ICE_ERROR;
	}
	return 0;
}

/* The type of field `id`: the scan's schema, else the newest schema with it. */
static const ice_schema *schema_with(const rd_delete_context *ctx, int32_t id)
{
	if (ice_schema_find_field(ctx->schema, id))
		return ctx->schema;
	for (size_t i = ice_table_metadata_schema_count(ctx->md); i-- > 0;) {
		const ice_schema *s = ice_table_metadata_schema_at(ctx->md, i);
		if (ice_schema_find_field(s, id))
			return s;
	}
	return NULL;
}

/* Add the fields leading to `id` (from whichever schema has it) to the
 * equality type being built in `fields`. */
static int add_eq_field(rd_deletes *d, const rd_delete_context *ctx, ice_field **fields, size_t *n, size_t *cap,
                        int32_t id, const ice_data_file *f)
{
	int path[MAX_DEPTH], depth = 0;
	ice_type tmp = {ICE_TYPE_STRUCT, .u.struct_ = {*n, *fields}};
	if (ice_read__field_path(&tmp, id, path, &depth, MAX_DEPTH))
		return 0;
	const ice_schema *s = schema_with(ctx, id);
	if (!s)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: equality field id %d is in no schema of the table",
		                      f->file_path, (int)id);
	if (ice_schema_field_in_collection(s, id))
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
		                      "%s: equality field id %d is inside a list or map", f->file_path, (int)id);
	const ice_type *pruned = ice_read__prune(&d->arena, ice_schema_struct(s), &id, 1);
	if (!pruned)
		return ICE_ERROR;
	for (size_t i = 0; i < pruned->u.struct_.nfields; i++) {
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 8;
			ice_field *nf = ice_arena__allocarray(&d->arena, c, sizeof(ice_field));
			if (!nf)
				return ICE_ERROR;
			if (*n)
				memcpy(nf, *fields, *n * sizeof(ice_field));
			*fields = nf;
			*cap = c;
		}
		(*fields)[(*n)++] = pruned->u.struct_.fields[i];
	}
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

static int build_eq(rd_deletes *d, const rd_delete_context *ctx, const ice_scan_delete *deletes, size_t ndeletes)
{
	ice_field *fields = NULL;
	size_t nf = 0, cap = 0, ngroups = 0;
	int rc;
	for (size_t i = 0; i < ndeletes; i++) {
		const ice_data_file *f = deletes[i].file;
		if (f->content != ICE_FILE_CONTENT_EQUALITY_DELETES)
			continue;
		if (!f->equality_ids.present || f->equality_ids.n == 0)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: equality delete file without equality_ids",
			                      f->file_path);
		for (size_t k = 0; k < f->equality_ids.n; k++)
			if ((rc = add_eq_field(d, ctx, &fields, &nf, &cap, f->equality_ids.items[k], f)) != 0)
				return rc;
		ngroups++;
	}
	if (!ngroups)
		return 0;
	ice_type *t = ice_arena__alloc(&d->arena, sizeof(*t));
	d->groups = ice_arena__allocarray(&d->arena, ngroups, sizeof(eq_group));
	if (!t || !d->groups)
		return ICE_ERROR;
	t->id = ICE_TYPE_STRUCT;
	t->u.struct_.nfields = nf;
	t->u.struct_.fields = fields;
	d->eq_type = t;
	/* one group per distinct set of equality ids */
	for (size_t i = 0; i < ndeletes; i++) {
		const ice_data_file *f = deletes[i].file;
		if (f->content != ICE_FILE_CONTENT_EQUALITY_DELETES)
			continue;
		size_t n = f->equality_ids.n;
		int32_t *ids = ice_arena__memdup(&d->arena, f->equality_ids.items, n * sizeof(int32_t));
		if (!ids)
			return ICE_ERROR;
		qsort(ids, n, sizeof(int32_t), cmp_i32);
		eq_group *g = NULL;
		for (size_t k = 0; k < d->ngroups && !g; k++)
			if (d->groups[k].nids == n && !memcmp(d->groups[k].ids, ids, n * sizeof(int32_t)))
				g = &d->groups[k];
		if (!g) {
			g = &d->groups[d->ngroups++];
			memset(g, 0, sizeof(*g));
			g->nids = n;
			g->ids = ids;
			g->paths = ice_arena__allocarray(&d->arena, n, sizeof(*g->paths));
			g->depths = ice_arena__allocarray(&d->arena, n, sizeof(int));
			if (!g->paths || !g->depths)
				return ICE_ERROR;
			ice_map__init(&g->keys, true);
			for (size_t k = 0; k < n; k++) {
				g->depths[k] = 0;
				if (!ice_read__field_path(t, ids[k], g->paths[k], &g->depths[k], MAX_DEPTH))
					return ice_error__set(ICE_ERROR, ICE_ERRCLASS_INVALID, "%s: equality field id %d not found",
					                      f->file_path, (int)ids[k]);
			}
		}
		/* the delete file is read as the group's fields, by the same paths */
		eq_state st = {d, g, f, ICE_BUF_INIT};
		rc = read_file(ctx, f, t, ctx->mapping, NULL, eq_batch, &st);
		ice_buf__free(&st.key);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the whole -------------------------------------------------------------------------------- */

int ice_read__deletes_open(rd_deletes **out, const rd_delete_context *ctx, const ice_data_file *data_file,
                           const ice_scan_delete *deletes, size_t ndeletes, int64_t nrows)
{
	rd_deletes *d = ice__calloc(1, sizeof(*d));
	bool has_dv = false;
	int rc = 0;
	*out = NULL;
	if (!d)
		return ICE_ERROR;
	ice_arena__init(&d->arena, 4096);
	d->nrows = nrows;
	for (size_t i = 0; i < ndeletes; i++)
		if (is_format(deletes[i].file->file_format, "puffin"))
			has_dv = true;
	for (size_t i = 0; i < ndeletes && !rc; i++) {
		const ice_data_file *f = deletes[i].file;
		bool dv = is_format(f->file_format, "puffin");
		if (f->content != ICE_FILE_CONTENT_POSITION_DELETES)
			continue;
		/* a deletion vector holds every earlier position delete of its file */
		if (has_dv && !dv)
			continue;
		d->has_pos = true;
		rc = dv ? load_vector(d, ctx, f) : load_positions(d, ctx, data_file, f);
	}
	if (!rc)
		rc = build_eq(d, ctx, deletes, ndeletes);
	if (rc) {
		ice_read__deletes_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void ice_read__deletes_free(rd_deletes *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ngroups; i++)
		ice_map__free(&d->groups[i].keys);
	ice__free(d->pos);
	ice_arena__free(&d->arena);
	ice__free(d);
}

const ice_type *ice_read__deletes_fields(const rd_deletes *d)
{
	return d->eq_type;
}

bool ice_read__deletes_any(const rd_deletes *d)
{
	return d->has_pos || d->ngroups;
}

int ice_read__deletes_apply(const rd_deletes *d, int64_t first_row, const struct ArrowArray *const *eq,
                            const struct ArrowSchema *const *eq_schema, int64_t n, uint8_t *keep)
{
	if (d->pos) {
		for (int64_t i = 0; i < n; i++) {
			int64_t p = first_row + i;
			if (p >= 0 && p < d->pos_bits && ((d->pos[p >> 3] >> (p & 7)) & 1))
				keep[i >> 3] &= (uint8_t)~(1u << (i & 7));
		}
	}
	if (!d->ngroups)
		return 0;
	ice_buf key = ICE_BUF_INIT;
	int rc = 0;
	for (int64_t i = 0; i < n && !rc; i++) {
		if (!((keep[i >> 3] >> (i & 7)) & 1))
			continue;
		for (size_t g = 0; g < d->ngroups; g++) {
			if (d->groups[g].keys.count == 0)
				continue;
			if ((rc = encode_key(&key, &d->groups[g], eq, eq_schema, i)) != 0)
				break;
			if (ice_map__get_str(&d->groups[g].keys, key.ptr, key.len, NULL)) {
				keep[i >> 3] &= (uint8_t)~(1u << (i & 7));
				break;
			}
		}
	}
	ice_buf__free(&key);
	return rc;
}
