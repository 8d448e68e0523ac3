/*
 * scan/read.c - reading one planned task (ice/scan.h "reading"): its data
 * file's row groups, pruned by their statistics against the task's
 * residual, decoded as the projected fields plus whatever the residual and
 * the equality deletes need (project.c), deleted rows and rows failing the
 * residual removed, and the extra fields dropped before the batch is handed
 * out. Counters go to the scan's statistics as rows pass.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "parquet/internal.h"
#include "read.h"
#include "spec/model.h"

struct ice_scan_reader {
	ice_scan *scan;
	ice_scan_task *task;         /* a copy: the planner's may go away */
	ice_arena arena;
	ice_name_mapping *mapping;
	ice_parquet_reader *pq;
	ice_parquet_scan *ps;
	rd_projection *proj;
	rd_deletes *deletes;
	rd_target target;            /* [projected | residual fields | equality fields] */
	size_t nproj, res_start, nres, eq_start, neq;
	const ice_type *res_type;
	struct ArrowSchema res_arrow;
	const ice_expr *residual;    /* NULL: every row matches */
	uint8_t *keep;
	size_t keep_cap;
	bool done;
	bool count_returned;
	int lineage[2];              /* projected index of _row_id, _last_updated_sequence_number; -1: not read */
};

static bool is_format(const char *format, const char *name)
{
	return format && !strcasecmp(format, name);
}

/* ---- row-group statistics ---------------------------------------------------------------------- */

typedef struct rg_stats {
	ice_scan_reader *r;
	const ice_parquet_row_group *rg;
} rg_stats;

static int column_stats(void *payload, int32_t id, ice_column_stats *out, bool *found)
{
	rg_stats *st = payload;
	const ice_literal *constant;
	bool missing;
	memset(out, 0, sizeof(*out));
	*found = false;
	const ice_field *f = ice_schema_find_field(st->r->scan->schema, id);
	const ice_parquet_column *col = ice_read__projection_column(st->r->proj, id, &constant, &missing);
	if (!f || (!col && !missing))
		return 0;
	*found = true;
	out->has_value_count = true;
	out->value_count = st->rg->num_rows;
	out->has_null_count = true;
	if (missing) {
		/* every row reads as the same value */
		ice_literal v;
		if (!constant || constant->is_null || ice_literal_promote(&v, constant, f->type) != 0) {
			out->null_count = constant && !constant->is_null ? 0 : st->rg->num_rows;
			out->has_null_count = !constant || constant->is_null;
			return 0;
		}
		out->null_count = 0;
		out->has_lower = out->has_upper = true;
		out->lower = out->upper = v;
		out->lower_exact = out->upper_exact = true;
		return 0;
	}
	const ice_parquet_column_chunk *cc = &st->rg->columns[col->leaf_index];
	out->value_count = cc->num_values;
	if (!cc->has_statistics) {
		out->has_null_count = false;
		return 0;
	}
	const ice_parquet_statistics *s = &cc->statistics;
	out->has_null_count = s->has_null_count;
	out->null_count = s->null_count;
	if (!s->min_value.is_null && ice_literal_promote(&out->lower, &s->min_value, f->type) == 0) {
		out->has_lower = true;
		out->lower_exact = s->min_exact;
	}
	if (!s->max_value.is_null && ice_literal_promote(&out->upper, &s->max_value, f->type) == 0) {
		out->has_upper = true;
		out->upper_exact = s->max_exact;
	}
	ice_error_clear();
	return 0;
}

static int row_group_filter(bool *skip, const ice_parquet_reader *pq, const ice_parquet_row_group *rg, void *payload)
{
	ice_scan_reader *r = payload;
	(void)pq;
	*skip = false;
	if (r->residual) {
		rg_stats st = {r, rg};
		bool match = true;
		int rc = ice_expr_stats_might_match(r->residual, rg->num_rows, column_stats, &st, &match);
		if (rc)
			return ice_error__prefix("%s", r->task->file->file_path);
		*skip = !match;
	}
	if (*skip)
		ice_scan__count(&r->scan->stats.row_groups_skipped, 1);
	else
		ice_scan__count(&r->scan->stats.bytes_read, ice_read__projection_bytes(r->proj, rg));
	return 0;
}

/* ---- the fields read ---------------------------------------------------------------------------- */

static int append_fields(ice_field **fields, size_t *n, size_t *cap, const ice_type *t, ice_arena *a)
{
	for (size_t i = 0; t && i < t->u.struct_.nfields; i++) {
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			ice_field *nf = ice_arena__allocarray(a, c, sizeof(ice_field));
			if (!nf)
				return ICE_ERROR;
			if (*n)
				memcpy(nf, *fields, *n * sizeof(ice_field));
			*fields = nf;
			*cap = c;
		}
		(*fields)[(*n)++] = t->u.struct_.fields[i];
	}
	return 0;
}

/* The target: the scan's projected fields (with the scan's own Arrow
 * schema), then the residual's fields, then the equality deletes'. */
static int build_target(ice_scan_reader *r)
{
	ice_scan *scan = r->scan;
	ice_field *fields = NULL;
	size_t n = 0, cap = 0;
	int32_t *ids = NULL;
	size_t nids = 0;
	struct ArrowSchema all = {0};
	struct ArrowSchema *kids = NULL;
	int rc;
	const ice_type *eq = r->deletes ? ice_read__deletes_fields(r->deletes) : NULL;
	if ((rc = append_fields(&fields, &n, &cap, scan->projected, &r->arena)) != 0)
		return rc;
	r->nproj = n;
	r->res_start = n;
	if (r->residual) {
		if ((rc = ice_expr_field_ids(r->residual, &ids, &nids)) != 0)
			return rc;
		r->res_type = ice_read__prune(&r->arena, ice_schema_struct(scan->schema), ids, nids);
		ice_free(ids);
		if (!r->res_type || (rc = append_fields(&fields, &n, &cap, r->res_type, &r->arena)) != 0)
			return ICE_ERROR;
		if ((rc = ice_read__schema_for_struct(&r->res_arrow, r->res_type, "")) != 0)
			return rc;
	}
	r->nres = n - r->res_start;
	r->eq_start = n;
	if ((rc = append_fields(&fields, &n, &cap, eq, &r->arena)) != 0)
		return rc;
	r->neq = n - r->eq_start;
	ice_type *t = ice_arena__alloc(&r->arena, sizeof(*t));
	if (!t)
		return ICE_ERROR;
	t->id = ICE_TYPE_STRUCT;
	t->u.struct_.nfields = n;
	t->u.struct_.fields = fields;
	r->target.type = t;
	r->target.nprojected = r->nproj;
	/* the Arrow schema: the scan's for the projected fields, ours for the rest */
	if ((rc = ice_scan_arrow_schema(scan, &all)) != 0)
		return rc;
	if ((size_t)all.n_children != r->nproj) {
		ice_arrow_schema_release(&all);
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_INVALID, "scan: the Arrow schema does not match the projection");
	}
	if (!(kids = ice__calloc(n ? n : 1, sizeof(*kids)))) {
		ice_arrow_schema_release(&all);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < r->nproj; i++)
		ice_arrow_schema_move(all.children[i], &kids[i]);
	ice_arrow_schema_release(&all);
	for (size_t i = r->nproj; i < n; i++)
		if ((rc = ice_read__schema_for_field(&kids[i], &fields[i])) != 0) {
			for (size_t j = 0; j < i; j++)
				ice_arrow_schema_release(&kids[j]);
			ice__free(kids);
			return rc;
		}
	rc = ice_arrow__schema_make(&r->target.arrow, "+s", "", NULL, 0, 0, (int)n, kids);
	ice__free(kids);
	return rc;
}

/* ---- opening ------------------------------------------------------------------------------------- */

int ice_scan__task_open(ice_scan_reader **out, ice_scan *scan, const ice_scan_task *task, size_t decode_threads,
                        bool count_returned, ice_arrow_pool *pool)
{
	ice_scan_reader *r = ice__calloc(1, sizeof(*r));
	int rc;
	*out = NULL;
	if (!r)
		return ICE_ERROR;
	r->scan = scan;
	r->count_returned = count_returned;
	ice_arena__init(&r->arena, 2048);
	if ((rc = ice_scan_task_copy(&r->task, task)) != 0)
		goto fail;
	const ice_data_file *file = r->task->file;
	if (!is_format(file->file_format, "parquet")) {
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
		                    "%s: data files in %s format are not supported (only Parquet)", file->file_path,
		                    file->file_format ? file->file_format : "an unknown");
		goto fail;
	}
	r->residual = r->task->residual;
	if (r->residual && ice_expr_get_kind(r->residual) == ICE_EXPR_TRUE)
		r->residual = NULL;
	if (r->residual && ice_expr_get_kind(r->residual) == ICE_EXPR_FALSE) {
		r->done = true; /* no row can match: the file is not read */
		*out = r;
		return 0;
	}
	rc = ice_name_mapping_from_table(&r->mapping, scan->md);
	if (rc == ICE_ENOTFOUND)
		rc = 0;
	if (rc || (rc = ice_parquet_reader_open_sized(&r->pq, scan->io, file->file_path, file->file_size_in_bytes)) != 0)
		goto fail;
	int64_t nrows = ice_parquet_reader_num_rows(r->pq);
	ice__trace("reading %s: %lld rows, %zu delete file%s", file->file_path, (long long)nrows, r->task->ndeletes,
	           r->task->ndeletes == 1 ? "" : "s");
	if (r->task->ndeletes) {
		rd_delete_context dctx = {scan->io, r->mapping, scan->md, scan->schema, scan->batch_size,
		                          &scan->stats.bytes_read};
		if ((rc = ice_read__deletes_open(&r->deletes, &dctx, file, r->task->deletes, r->task->ndeletes, nrows)) != 0)
			goto fail;
	}
	if ((rc = build_target(r)) != 0)
		goto fail;
	r->lineage[0] = r->lineage[1] = -1;
	for (size_t i = 0; i < r->nproj; i++) {
		int32_t id = r->target.type->u.struct_.fields[i].id;
		if (id == ICE_ROW_ID_FIELD_ID || id == ICE_LAST_UPDATED_SEQ_FIELD_ID)
			r->lineage[id == ICE_ROW_ID_FIELD_ID ? 0 : 1] = (int)i;
	}
	rd_file_context fctx = {r->mapping, r->task->spec, file->partition, file->n_partition, file->file_path};
	ice_parquet_scan_options opts;
	ice_parquet_scan_options_init(&opts);
	opts.batch_size = scan->batch_size;
	opts.threads = decode_threads;
	opts.filter = row_group_filter;
	opts.filter_payload = r;
	if ((rc = ice_read__projection_open(&r->proj, &r->ps, r->pq, &r->target, &fctx, &opts)) != 0)
		goto fail;
	ice_parquet__scan_use_pool(r->ps, pool);
	ice_scan__count(&scan->stats.row_groups, (int64_t)ice_parquet_reader_row_group_count(r->pq));
	*out = r;
	return 0;
fail:
	ice_error__oom_in("%s", task->file->file_path);
	ice_scan_reader_free(r);
	return rc;
}

int ice_scan_task_open(ice_scan_reader **out, ice_scan *scan, const ice_scan_task *task)
{
	return ice_scan__task_open(out, scan, task, scan->threads, true, NULL);
}

void ice_scan_reader_free(ice_scan_reader *r)
{
	if (!r)
		return;
	ice_read__projection_free(r->proj);
	ice_parquet_scan_free(r->ps);
	ice_parquet_reader_free(r->pq);
	ice_read__deletes_free(r->deletes);
	ice_name_mapping_free(r->mapping);
	ice_arrow_schema_release(&r->target.arrow);
	ice_arrow_schema_release(&r->res_arrow);
	ice_scan_task_free(r->task);
	ice__free(r->keep);
	ice_arena__free(&r->arena);
	ice__free(r);
}

/* ---- reading ------------------------------------------------------------------------------------- */

/*
 * Row lineage (spec "Row Lineage"): a null or missing _row_id is the data
 * file's first_row_id plus the row's position in the file (null when the
 * file has no first_row_id: a snapshot from before the upgrade to v3); a
 * null or missing _last_updated_sequence_number is the file's data
 * sequence number. `first_row` is the position of the batch's first row.
 */
static int fill_lineage(ice_scan_reader *r, struct ArrowArray *rb, int64_t first_row)
{
	const ice_data_file *f = r->task->file;
	for (int k = 0; k < 2; k++) {
		if (r->lineage[k] < 0 || (k == 0 && !f->has_first_row_id))
			continue;
		struct ArrowArray *c = rb->children[r->lineage[k]];
		if (c->null_count == 0)
			continue;
		int64_t n = c->length, base = k == 0 ? f->first_row_id + first_row : r->task->data_sequence_number;
		const uint8_t *valid = c->n_buffers > 0 ? c->buffers[0] : NULL;
		const int64_t *src = c->n_buffers > 1 ? c->buffers[1] : NULL;
		int64_t *vals = ice__mallocarray(n ? (size_t)n : 1, sizeof(int64_t));
		struct ArrowArray filled;
		if (!vals)
			return ICE_ERROR;
		for (int64_t i = 0; i < n; i++) {
			int64_t at = c->offset + i;
			bool present = src && (!valid || ((valid[at >> 3] >> (at & 7)) & 1));
			vals[i] = present ? src[at] : k == 0 ? base + i : base;
		}
		void *bufs[2] = {NULL, vals};
		int rc = ice_arrow__array_owned(&filled, n, 0, 2, bufs, 0, NULL);
		if (rc)
			return rc;
		ice_arrow_array_release(c);
		ice_arrow_array_move(&filled, c);
	}
	return 0;
}

static int64_t popcount(const uint8_t *bits, int64_t n)
{
	int64_t c = 0, i = 0;
	for (; i + 8 <= n; i += 8)
		c += __builtin_popcount(bits[i >> 3]);
	for (; i < n; i++)
		c += (bits[i >> 3] >> (i & 7)) & 1;
	return c;
}

/* Which rows of the batch survive deletes and the residual; *kept_out. */
static int filter_rows(ice_scan_reader *r, const struct ArrowArray *rb, int64_t first_row, int64_t *kept_out)
{
	int64_t n = rb->length;
	size_t bytes = (size_t)(n + 7) / 8 + 1;
	int rc;
	if (bytes > r->keep_cap) {
		uint8_t *k = ice__realloc(r->keep, bytes);
		if (!k)
			return ICE_ERROR;
		r->keep = k;
		r->keep_cap = bytes;
	}
	memset(r->keep, 0xff, bytes);
	int64_t kept = n;
	if (r->deletes && ice_read__deletes_any(r->deletes)) {
		const struct ArrowArray *const *eq = (const struct ArrowArray *const *)rb->children + r->eq_start;
		const struct ArrowSchema *const *eqs =
		    (const struct ArrowSchema *const *)r->target.arrow.children + r->eq_start;
		if ((rc = ice_read__deletes_apply(r->deletes, first_row, eq, eqs, n, r->keep)) != 0)
			return ice_error__prefix("%s", r->task->file->file_path);
		kept = popcount(r->keep, n);
		ice_scan__count(&r->scan->stats.rows_deleted, n - kept);
	}
	if (r->residual && kept) {
		struct ArrowArray view;
		memset(&view, 0, sizeof(view));
		view.length = n;
		view.n_buffers = 1;
		static const void *no_buffers[1] = {NULL};
		view.buffers = no_buffers;
		view.n_children = (int64_t)r->nres;
		view.children = rb->children + r->res_start;
		/* ice_expr_eval_batch takes one byte per row; keep is a bitmap. */
		uint8_t *rows = ice__malloc((size_t)n);
		if (!rows)
			return ICE_ERROR;
		for (int64_t i = 0; i < n; i++)
			rows[i] = (r->keep[i >> 3] >> (i & 7)) & 1;
		rc = ice_expr_eval_batch(r->residual, r->res_type, &view, &r->res_arrow, rows);
		for (int64_t i = 0; i < n && !rc; i++)
			if (!rows[i])
				r->keep[i >> 3] &= (uint8_t)~(1u << (i & 7));
		ice__free(rows);
		if (rc)
			return ice_error__prefix("%s", r->task->file->file_path);
		int64_t after = popcount(r->keep, n);
		ice_scan__count(&r->scan->stats.rows_filtered, kept - after);
		kept = after;
	}
	*kept_out = kept;
	return 0;
}

int ice_scan_reader_next(ice_scan_reader *r, struct ArrowArray *out)
{
	memset(out, 0, sizeof(*out));
	if (r->done)
		return ICE_ITEROVER;
	for (;;) {
		struct ArrowArray fb, rb;
		int64_t first_row = 0, kept;
		int rc = ice_parquet_scan_next(r->ps, &fb, &first_row);
		if (rc == ICE_ITEROVER)
			r->done = true;
		if (rc)
			return rc;
		int64_t n = fb.length;
		ice_scan__count(&r->scan->stats.rows_read, n);
		if ((rc = ice_read__projection_apply(r->proj, &fb, &rb)) != 0)
			return rc;
		if ((rc = fill_lineage(r, &rb, first_row)) != 0) {
			ice_arrow_array_release(&rb);
			return rc;
		}
		kept = n;
		if ((r->deletes && ice_read__deletes_any(r->deletes)) || r->residual) {
			if ((rc = filter_rows(r, &rb, first_row, &kept)) != 0) {
				ice_arrow_array_release(&rb);
				return rc;
			}
		}
		if (kept == 0) {
			ice_arrow_array_release(&rb);
			continue;
		}
		struct ArrowArray *kids = ice__calloc(r->nproj ? r->nproj : 1, sizeof(*kids));
		void *none[1] = {NULL};
		if (!kids) {
			ice_arrow_array_release(&rb);
			return ICE_ERROR;
		}
		rc = 0;
		for (size_t i = 0; i < r->nproj && !rc; i++) {
			if (kept == n)
				ice_arrow_array_move(rb.children[i], &kids[i]);
			else if ((rc = ice_read__array_take(&kids[i], r->target.arrow.children[i], rb.children[i], 0, n,
			                                    r->keep)) != 0)
				for (size_t j = 0; j < i; j++)
					ice_arrow_array_release(&kids[j]);
		}
		ice_arrow_array_release(&rb);
		if (!rc)
			rc = ice_arrow__array_make(out, kept, 0, 0, 1, none, 0, (int)r->nproj, kids, NULL);
		ice__free(kids);
		if (rc)
			return rc;
		if (r->count_returned)
			ice_scan__count(&r->scan->stats.rows_returned, kept);
		return 0;
	}
}

/* ---- every row with its position and liveness (row-level writers) ------------------------------- */

int ice_scan_reader_next_all(ice_scan_reader *r, struct ArrowArray *out, int64_t *first_row_out, const uint8_t **live_out)
{
	struct ArrowArray fb, rb;
	int64_t first_row = 0, kept;
	int rc;
	memset(out, 0, sizeof(*out));
	if (r->done)
		return ICE_ITEROVER;
	if (r->residual)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: reading every row needs a task without residual",
		                      r->task->file->file_path);
	if ((rc = ice_parquet_scan_next(r->ps, &fb, &first_row)) != 0) {
		if (rc == ICE_ITEROVER)
			r->done = true;
		return rc;
	}
	ice_scan__count(&r->scan->stats.rows_read, fb.length);
	if ((rc = ice_read__projection_apply(r->proj, &fb, &rb)) != 0)
		return rc;
	if ((rc = fill_lineage(r, &rb, first_row)) != 0) {
		ice_arrow_array_release(&rb);
		return rc;
	}
	if (r->deletes && ice_read__deletes_any(r->deletes)) {
		rc = filter_rows(r, &rb, first_row, &kept);
	} else {
		size_t bytes = (size_t)(rb.length + 7) / 8 + 1;
		if (bytes > r->keep_cap) {
			uint8_t *k = ice__realloc(r->keep, bytes);
			if (!k)
				rc = ICE_ERROR;
			else
				r->keep = k, r->keep_cap = bytes;
		}
		if (!rc)
			memset(r->keep, 0xff, bytes);
	}
	if (rc) {
		ice_arrow_array_release(&rb);
		return rc;
	}
	/* Only the projected fields go out; the extra ones were for deletes. */
	struct ArrowArray *kids = ice__calloc(r->nproj ? r->nproj : 1, sizeof(*kids));
	void *none[1] = {NULL};
	if (!kids) {
		ice_arrow_array_release(&rb);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < r->nproj; i++)
		ice_arrow_array_move(rb.children[i], &kids[i]);
	int64_t n = rb.length;
	ice_arrow_array_release(&rb);
	rc = ice_arrow__array_make(out, n, 0, 0, 1, none, 0, (int)r->nproj, kids, NULL);
	ice__free(kids);
	if (rc)
		return rc;
	*first_row_out = first_row;
	*live_out = r->keep;
	return 0;
}
