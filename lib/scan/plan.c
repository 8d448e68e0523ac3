/*
 * scan/plan.c - planning a scan into file tasks (spec "Scan Planning"):
 * read the snapshot's manifest list; skip manifests whose partition
 * summaries rule the filter out (through the filter's inclusive projection
 * for the manifest's spec) and data manifests without live files; read
 * every delete manifest into the delete index; then stream the data
 * manifests, keeping live data files whose partition tuple and column
 * metrics may match, each with the delete files that apply to it and its
 * residual filter.
 *
 * With one thread the data manifests are read one entry at a time and a
 * task borrows the reader's entry. With more, a bounded pool reads whole
 * manifests ahead (a few per thread) into batches of copied tasks, handed
 * out in manifest order: the tasks and their order are the same either way.
 *
 * A limit stops planning once the tasks planned so far surely hold enough
 * rows: only tasks without delete files and without a residual count,
 * since deletes and a residual can remove rows.
 */
#include <pthread.h>
#include <string.h>

#include "internal.h"

/* ---- shared state of a plan ------------------------------------------------------------------ */

typedef struct plan_ctx {
	ice_scan *scan;
	const ice_manifest_file **data;    /* data manifests to read, in list order */
	size_t ndata;
	const ice_manifest_file **deletes; /* delete manifests to read */
	size_t ndeletes;
	ice_scan_delete_index *index;
	/* Batches the consumer is done with, for the workers to fill again: their
	 * arrays and arena chunks stay allocated, so reading a manifest on one
	 * thread and handing its tasks out on another does not give the memory
	 * back to the kernel and fault it in again once per manifest. */
	pthread_mutex_t spare_mu;
	struct batch *spare;
	bool spare_mu_init;
} plan_ctx;

/* Tasks of one data manifest, with everything they own: the data files are
 * copied into one arena (freed at once), residuals and delete lists apart. */
typedef struct batch {
	ice_scan_task *tasks;
	size_t n, cap;
	ice_arena arena;
	ice_expr **residuals;
	ice_scan_delete **deletes;
	struct batch *next; /* in plan_ctx.spare */
} batch;

/* Delete files of one delete manifest (copies), with their sequence numbers. */
typedef struct delete_batch {
	ice_data_file **files;
	int64_t *seqs;       /* data, file: two per file */
	const ice_partition_spec *spec;
	size_t n, cap;
} delete_batch;

struct ice_scan_planner {
	plan_ctx ctx;
	ice_manifest_list *list;
	ice_manifest_list **range_lists;     /* incremental: the list of each snapshot in the range */
	bool done;
	int64_t certain_rows;
	/* one thread */
	size_t next;                         /* next data manifest */
	ice_manifest_reader *reader;
	const ice_manifest_file *mf;
	const ice_partition_spec *spec;
	const ice_scan_spec_filter *sf;
	ice_scan_task task;
	ice_scan_delete *task_deletes;
	size_t ntask_deletes, cap_task_deletes;
	ice_expr *task_residual;
	/* several threads */
	ice_scan_pool *pool;
	batch *current;
	size_t pos;
};

/* What the tasks own, released; the arrays and the arena's chunks kept. */
static void batch_empty(batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		ice_expr_free(b->residuals[i]);
		ice__free(b->deletes[i]);
	}
	b->n = 0;
	ice_arena__reset(&b->arena);
}

static void batch_free(void *p)
{
	batch *b = p;
	if (!b)
		return;
	batch_empty(b);
	ice__free(b->tasks);
	ice__free(b->residuals);
	ice__free(b->deletes);
	ice_arena__free(&b->arena);
	ice__free(b);
}

/* ---- copying data files into a batch's arena ---------------------------------------------- */

static bool has_payload(ice_type_id t)
{
	return t == ICE_TYPE_STRING || t == ICE_TYPE_BINARY || t == ICE_TYPE_FIXED || t == ICE_TYPE_UUID ||
	       t == ICE_TYPE_GEOMETRY || t == ICE_TYPE_GEOGRAPHY;
}

static const void *dup_mem(ice_arena *a, const void *p, size_t n, bool *failed)
{
	void *q;
	if (!p || n == 0)
		return p;
	if (!(q = ice_arena__memdup(a, p, n)))
		*failed = true;
	return q;
}

static const char *dup_str(ice_arena *a, const char *s, bool *failed)
{
	return s ? dup_mem(a, s, strlen(s) + 1, failed) : NULL;
}

static void dup_bounds(ice_arena *a, ice_metric_bounds *b, bool *failed)
{
	ice_metric_bound *items;
	if (!b->n || *failed)
		return;
	if (!(items = (ice_metric_bound *)dup_mem(a, b->items, b->n * sizeof(*items), failed)))
		return;
	for (size_t i = 0; i < b->n && !*failed; i++) {
		const uint8_t *old = items[i].bytes.data;
		items[i].bytes.data = dup_mem(a, old, items[i].bytes.len, failed);
		/* a decoded string or binary bound points into its bytes */
		if (has_payload(items[i].value.type) && items[i].value.v.bytes.data && old &&
		    items[i].value.v.bytes.data >= old && items[i].value.v.bytes.data <= old + items[i].bytes.len)
			items[i].value.v.bytes.data = items[i].bytes.data + (items[i].value.v.bytes.data - old);
		else if (has_payload(items[i].value.type) && items[i].value.v.bytes.len)
			items[i].value.v.bytes.data = dup_mem(a, items[i].value.v.bytes.data, items[i].value.v.bytes.len, failed);
	}
	b->items = items;
}

/* A deep copy of a reader's data file in `a` (ice_data_file_copy, without an allocation per file). */
static ice_data_file *copy_into(ice_arena *a, const ice_data_file *f)
{
	bool failed = false;
	ice_data_file *df = ice_arena__alloc_raw(a, sizeof(*df));
	if (!df)
		return NULL;
	*df = *f;
	df->file_path = dup_str(a, f->file_path, &failed);
	df->file_format = dup_str(a, f->file_format, &failed);
	df->referenced_data_file = dup_str(a, f->referenced_data_file, &failed);
	if (f->n_partition) {
		ice_literal *p = (ice_literal *)dup_mem(a, f->partition, f->n_partition * sizeof(*p), &failed);
		for (size_t i = 0; p && i < f->n_partition; i++)
			if (!p[i].is_null && has_payload(p[i].type))
				p[i].v.bytes.data = dup_mem(a, p[i].v.bytes.data, p[i].v.bytes.len, &failed);
		df->partition = p;
	}
	df->column_sizes.items = dup_mem(a, f->column_sizes.items, f->column_sizes.n * sizeof(ice_metric_count), &failed);
	df->value_counts.items = dup_mem(a, f->value_counts.items, f->value_counts.n * sizeof(ice_metric_count), &failed);
	df->null_value_counts.items =
		dup_mem(a, f->null_value_counts.items, f->null_value_counts.n * sizeof(ice_metric_count), &failed);
	df->nan_value_counts.items =
		dup_mem(a, f->nan_value_counts.items, f->nan_value_counts.n * sizeof(ice_metric_count), &failed);
	dup_bounds(a, &df->lower_bounds, &failed);
	dup_bounds(a, &df->upper_bounds, &failed);
	df->key_metadata.data = dup_mem(a, f->key_metadata.data, f->key_metadata.len, &failed);
	df->split_offsets.items = dup_mem(a, f->split_offsets.items, f->split_offsets.n * sizeof(int64_t), &failed);
	df->equality_ids.items = dup_mem(a, f->equality_ids.items, f->equality_ids.n * sizeof(int32_t), &failed);
	return failed ? NULL : df;
}

static void delete_batch_free(void *p)
{
	delete_batch *b = p;
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		ice_data_file_free(b->files[i]);
	ice__free(b->files);
	ice__free(b->seqs);
	ice__free(b);
}

/* ---- reading a manifest ------------------------------------------------------------------------ */

/*
 * Open a manifest and check its partition tuples agree with its spec: each
 * field's values must have the spec's type (or one that promotes to it).
 */
static int open_manifest(ice_scan *scan, const ice_manifest_file *mf, ice_manifest_reader **out,
                         const ice_partition_spec **spec_out)
{
	ice_manifest_reader *r = NULL;
	const ice_schema *current = ice_table_metadata_current_schema(scan->md);
	const ice_partition_spec *spec;
	int rc;
	*out = NULL;
	if ((rc = ice_manifest_open(&r, scan->io, scan->md, mf)) != 0)
		return rc;
	spec = ice_manifest_reader_spec(r);
	for (size_t i = 0; spec && current && i < spec->nfields; i++) {
		const ice_type *want = ice_partition_field_result_type(&spec->fields[i], current);
		const ice_type *got = ice_manifest_reader_partition_type(r, i);
		if (want && got && !ice_type_equal(want, got)) {
			char *w = ice_type_to_string(want), *g = ice_type_to_string(got);
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                    "%s: data_file.partition: field '%s' (id %d) holds %s values, but partition spec %d "
			                    "makes it %s",
			                    mf->manifest_path, spec->fields[i].name, (int)spec->fields[i].field_id, g ? g : "?",
			                    (int)spec->spec_id, w ? w : "?");
			ice__free(w);
			ice__free(g);
			ice_manifest_reader_free(r);
			return rc;
		}
	}
	*out = r;
	*spec_out = spec;
	return 0;
}

/* Whether the partition filter of `sf` (or none) keeps a file. */
static int partition_keeps(const ice_scan_spec_filter *sf, const ice_data_file *df, bool *keep)
{
	*keep = true;
	if (!sf || !sf->inclusive)
		return 0;
	if (df->n_partition != sf->spec->nfields)
		return 0; /* cannot evaluate: keep */
	return ice_expr_eval_values(sf->inclusive, sf->field_ids, df->partition, df->n_partition, keep);
}

static bool in_range(const ice_scan *scan, int64_t id)
{
	for (size_t i = 0; i < scan->nrange; i++)
		if (scan->range[i]->snapshot_id == id)
			return true;
	return false;
}

/*
 * Decide about one entry of a data manifest. On *keep, *residual is the
 * task's residual (possibly scan->filter itself) and *owned what the caller
 * must free.
 */
static int consider(ice_scan *scan, const ice_manifest_file *mf, const ice_partition_spec *spec,
                    const ice_scan_spec_filter *sf, const ice_manifest_entry *e, bool *keep,
                    const ice_expr **residual, ice_expr **owned)
{
	const ice_data_file *df = &e->data_file;
	bool none = false;
	int rc;
	*keep = false;
	*residual = NULL;
	*owned = NULL;
	if (e->status == ICE_MANIFEST_ENTRY_DELETED)
		return 0;
	/* incremental: the manifest's own snapshot added it (a merged manifest
	 * carries older files as existing) */
	if (scan->incremental &&
	    (e->status != ICE_MANIFEST_ENTRY_ADDED || (e->has_snapshot_id && !in_range(scan, e->snapshot_id))))
		return 0;
	if (df->content != ICE_FILE_CONTENT_DATA)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "%s: %s: a %s file in a data manifest",
		                      mf->manifest_path, df->file_path, ice_file_content_name(df->content));
	ice_scan__count(&scan->stats.data_files, 1);
	if ((rc = partition_keeps(sf, df, keep)) != 0)
		return rc;
	if (!*keep) {
		ice_scan__count(&scan->stats.data_files_skipped_partition, 1);
		return 0;
	}
	if (df->record_count == 0) {
		/* an empty file holds no rows (readers skip it as PyIceberg does) */
		*keep = false;
		ice_scan__count(&scan->stats.data_files_skipped_metrics, 1);
		return 0;
	}
	if (scan->filter) {
		if ((rc = ice_expr_file_might_match(scan->filter, df, keep)) != 0)
			return rc;
		if (!*keep) {
			ice_scan__count(&scan->stats.data_files_skipped_metrics, 1);
			return 0;
		}
		if ((rc = ice_expr__residual_for(residual, owned, &none, scan->filter, spec, df->partition, df->n_partition)))
			return rc;
		if (none) {
			*keep = false;
			ice_scan__count(&scan->stats.data_files_skipped_partition, 1);
		}
	}
	return 0;
}

static int64_t seq_of(const ice_manifest_entry *e)
{
	return e->has_sequence_number ? e->sequence_number : 0;
}

static int64_t file_seq_of(const ice_manifest_entry *e)
{
	return e->has_file_sequence_number ? e->file_sequence_number : seq_of(e);
}

/* ---- delete manifests ------------------------------------------------------------------------------ */

static int read_delete_manifest(void *vctx, size_t i, void **result)
{
	plan_ctx *ctx = vctx;
	ice_scan *scan = ctx->scan;
	const ice_manifest_file *mf = ctx->deletes[i];
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	const ice_partition_spec *spec;
	delete_batch *b;
	int rc;
	*result = NULL;
	if (!(b = ice__calloc(1, sizeof(*b))))
		return ICE_ERROR;
	if ((rc = open_manifest(scan, mf, &r, &spec)) != 0) {
		ice__free(b);
		return rc;
	}
	b->spec = spec;
	const ice_scan_spec_filter *sf = ice_scan__spec_filter(scan, spec->spec_id);
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		const ice_data_file *df = &e->data_file;
		bool keep;
		if (e->status == ICE_MANIFEST_ENTRY_DELETED)
			continue;
		if (df->content == ICE_FILE_CONTENT_DATA) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "%s: %s: a data file in a delete manifest",
			                    mf->manifest_path, df->file_path);
			break;
		}
		/* a delete file of a partition no matching row lives in is not needed */
		if ((rc = partition_keeps(sf, df, &keep)) != 0)
			break;
		if (!keep)
			continue;
		if (b->n == b->cap) {
			size_t cap = b->cap ? b->cap * 2 : 16;
			ice_data_file **files = ice__reallocarray(b->files, cap, sizeof(*files));
			int64_t *seqs = files ? ice__reallocarray(b->seqs, cap * 2, sizeof(int64_t)) : NULL;
			if (files)
				b->files = files;
			if (!seqs) {
				rc = ICE_ERROR;
				break;
			}
			b->seqs = seqs;
			b->cap = cap;
		}
		if ((rc = ice_data_file_copy(&b->files[b->n], df)) != 0)
			break;
		b->seqs[2 * b->n] = seq_of(e);
		b->seqs[2 * b->n + 1] = file_seq_of(e);
		b->n++;
	}
	ice_manifest_reader_free(r);
	if (rc != ICE_ITEROVER) {
		delete_batch_free(b);
		return rc;
	}
	*result = b;
	return 0;
}

static int add_delete_batch(plan_ctx *ctx, delete_batch *b)
{
	int rc = 0;
	for (size_t k = 0; k < b->n; k++) {
		ice_data_file *f = b->files[k];
		b->files[k] = NULL;
		if (rc == 0)
			rc = ice_scan__delete_index_add(ctx->index, f, b->seqs[2 * k], b->seqs[2 * k + 1], b->spec);
		else
			ice_data_file_free(f);
	}
	b->n = 0;
	return rc;
}

static int build_delete_index(ice_scan_planner *p)
{
	plan_ctx *ctx = &p->ctx;
	ice_scan_pool *pool = NULL;
	int rc;
	if ((rc = ice_scan__delete_index_new(ctx->scan, &ctx->index)) != 0)
		return rc;
	if (ctx->ndeletes > 1 && ctx->scan->threads > 1 &&
	    (rc = ice_scan__pool_start(&pool, ctx->ndeletes, ctx->scan->threads, 2 * ctx->scan->threads,
	                               read_delete_manifest, delete_batch_free, ctx)) != 0)
		return rc;
	for (size_t i = 0; i < ctx->ndeletes && rc == 0; i++) {
		void *b = NULL;
		rc = pool ? ice_scan__pool_take(pool, i, &b) : read_delete_manifest(ctx, i, &b);
		if (rc == 0)
			rc = add_delete_batch(ctx, b);
		delete_batch_free(b);
	}
	ice_scan__pool_free(pool);
	if (rc == 0)
		rc = ice_scan__delete_index_seal(ctx->index);
	return rc;
}

/* ---- data manifests, several threads ---------------------------------------------------------------- */

static int batch_add(batch *b, const ice_manifest_entry *e, const ice_partition_spec *spec,
                     const ice_expr *residual, ice_expr *owned, plan_ctx *ctx)
{
	int rc;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		ice_scan_task *tasks = ice__reallocarray(b->tasks, cap, sizeof(*tasks));
		if (tasks)
			b->tasks = tasks;
		ice_expr **res = tasks ? ice__reallocarray(b->residuals, cap, sizeof(*res)) : NULL;
		if (res)
			b->residuals = res;
		ice_scan_delete **dels = res ? ice__reallocarray(b->deletes, cap, sizeof(*dels)) : NULL;
		if (!dels) {
			ice_expr_free(owned);
			return ICE_ERROR;
		}
		b->deletes = dels;
		b->cap = cap;
	}
	size_t k = b->n;
	ice_scan_task *t = &b->tasks[k];
	size_t nd = 0, capd = 0;
	memset(t, 0, sizeof(*t));
	b->residuals[k] = owned;
	b->deletes[k] = NULL;
	b->n++;
	if (!(t->file = copy_into(&b->arena, &e->data_file)))
		return ICE_ERROR;
	if ((rc = ice_scan__delete_index_match(ctx->index, ctx->scan, &e->data_file, seq_of(e), &b->deletes[k], &nd,
	                                       &capd)) != 0)
		return rc;
	t->data_sequence_number = seq_of(e);
	t->file_sequence_number = file_seq_of(e);
	t->spec = spec;
	t->ndeletes = nd;
	t->deletes = b->deletes[k];
	t->residual = residual;
	return 0;
}

static int read_data_manifest(void *vctx, size_t i, void **result)
{
	plan_ctx *ctx = vctx;
	ice_scan *scan = ctx->scan;
	const ice_manifest_file *mf = ctx->data[i];
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	const ice_partition_spec *spec;
	batch *b;
	int rc;
	*result = NULL;
	pthread_mutex_lock(&ctx->spare_mu);
	if ((b = ctx->spare) != NULL)
		ctx->spare = b->next;
	pthread_mutex_unlock(&ctx->spare_mu);
	if (!b) {
		if (!(b = ice__calloc(1, sizeof(*b))))
			return ICE_ERROR;
		ice_arena__init(&b->arena, 64 * 1024);
	}
	b->next = NULL;
	if ((rc = open_manifest(scan, mf, &r, &spec)) != 0) {
		batch_free(b);
		return rc;
	}
	const ice_scan_spec_filter *sf = ice_scan__spec_filter(scan, spec->spec_id);
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		const ice_expr *residual;
		ice_expr *owned;
		bool keep;
		if ((rc = consider(scan, mf, spec, sf, e, &keep, &residual, &owned)) != 0)
			break;
		if (keep && (rc = batch_add(b, e, spec, residual, owned, ctx)) != 0)
			break;
		if (!keep)
			ice_expr_free(owned);
	}
	ice_manifest_reader_free(r);
	if (rc != ICE_ITEROVER) {
		batch_free(b);
		return rc;
	}
	*result = b;
	return 0;
}

/* ---- opening ------------------------------------------------------------------------------------------- */

static int select_manifests(ice_scan_planner *p)
{
	ice_scan *scan = p->ctx.scan;
	size_t n = p->list->n;
	if (!(p->ctx.data = ice__calloc(n ? n : 1, sizeof(*p->ctx.data))) ||
	    !(p->ctx.deletes = ice__calloc(n ? n : 1, sizeof(*p->ctx.deletes))))
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		const ice_manifest_file *mf = &p->list->items[i];
		const ice_scan_spec_filter *sf = ice_scan__spec_filter(scan, mf->partition_spec_id);
		bool deletes = mf->content == ICE_MANIFEST_CONTENT_DELETES;
		bool might = true;
		int rc;
		ice_scan__count(&scan->stats.manifests, 1);
		if (deletes)
			ice_scan__count(&scan->stats.delete_manifests, 1);
		/* no live files (counts are -1 where a v1 list left them out) */
		if (mf->added_files_count == 0 && mf->existing_files_count == 0)
			might = false;
		if (might && sf && sf->inclusive &&
		    (rc = ice_expr_manifest_might_match(sf->inclusive, sf->spec, mf, &might)) != 0)
			return rc;
		if (!might) {
			ice_scan__count(&scan->stats.manifests_skipped, 1);
			continue;
		}
		if (deletes)
			p->ctx.deletes[p->ctx.ndeletes++] = mf;
		else
			p->ctx.data[p->ctx.ndata++] = mf;
	}
	return 0;
}

/*
 * Incremental: the data manifests each snapshot of the range added (its
 * manifest list read; manifests another snapshot added are not opened).
 */
static int select_range_manifests(ice_scan_planner *p)
{
	ice_scan *scan = p->ctx.scan;
	size_t total = 0;
	int rc;
	if (!(p->range_lists = ice__calloc(scan->nrange ? scan->nrange : 1, sizeof(*p->range_lists))))
		return ICE_ERROR;
	for (size_t i = 0; i < scan->nrange; i++) {
		if ((rc = ice_manifest_list_read_snapshot(&p->range_lists[i], scan->io, scan->md, scan->range[i])) != 0)
			return rc;
		total += p->range_lists[i]->n;
	}
	if (!(p->ctx.data = ice__calloc(total ? total : 1, sizeof(*p->ctx.data))) ||
	    !(p->ctx.deletes = ice__calloc(1, sizeof(*p->ctx.deletes))))
		return ICE_ERROR;
	for (size_t i = 0; i < scan->nrange; i++) {
		const ice_manifest_list *l = p->range_lists[i];
		for (size_t k = 0; k < l->n; k++) {
			const ice_manifest_file *mf = &l->items[k];
			const ice_scan_spec_filter *sf = ice_scan__spec_filter(scan, mf->partition_spec_id);
			/* a list without added_snapshot_id (v1): entries are checked one by one */
			bool might = mf->content == ICE_MANIFEST_CONTENT_DATA && mf->added_files_count != 0 &&
			             (!mf->has_added_snapshot_id || mf->added_snapshot_id == scan->range[i]->snapshot_id);
			for (size_t j = 0; might && !mf->has_added_snapshot_id && j < p->ctx.ndata; j++)
				might = strcmp(p->ctx.data[j]->manifest_path, mf->manifest_path) != 0;
			ice_scan__count(&scan->stats.manifests, 1);
			if (might && sf && sf->inclusive &&
			    (rc = ice_expr_manifest_might_match(sf->inclusive, sf->spec, mf, &might)) != 0)
				return rc;
			if (might)
				p->ctx.data[p->ctx.ndata++] = mf;
			else
				ice_scan__count(&scan->stats.manifests_skipped, 1);
		}
	}
	return 0;
}

int ice_scan_plan_open(ice_scan_planner **out, ice_scan *scan)
{
	ice_scan_planner *p;
	int rc;
	*out = NULL;
	if (!scan)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "scan: no scan to plan");
	if (!(p = ice__calloc(1, sizeof(*p))))
		return ICE_ERROR;
	p->ctx.scan = scan;
	if (!scan->snapshot || scan->limit == 0) {
		p->done = true;
		*out = p;
		return 0;
	}
	if (scan->incremental)
		rc = select_range_manifests(p);
	else if ((rc = ice_manifest_list_read_snapshot(&p->list, scan->io, scan->md, scan->snapshot)) == 0)
		rc = select_manifests(p);
	if (rc || (rc = build_delete_index(p)) != 0) {
		ice_scan_plan_free(p);
		return rc;
	}
	if (p->ctx.ndata > 1 && scan->threads > 1) {
		if (pthread_mutex_init(&p->ctx.spare_mu, NULL) != 0) {
			ice_scan_plan_free(p);
			return ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "scan: cannot make a lock");
		}
		p->ctx.spare_mu_init = true;
		if ((rc = ice_scan__pool_start(&p->pool, p->ctx.ndata, scan->threads, 2 * scan->threads, read_data_manifest,
		                               batch_free, &p->ctx)) != 0) {
			ice_scan_plan_free(p);
			return rc;
		}
	}
	*out = p;
	return 0;
}

void ice_scan_plan_free(ice_scan_planner *p)
{
	if (!p)
		return;
	ice_scan__pool_free(p->pool);
	batch_free(p->current);
	while (p->ctx.spare) {
		batch *b = p->ctx.spare;
		p->ctx.spare = b->next;
		batch_free(b);
	}
	if (p->ctx.spare_mu_init)
		pthread_mutex_destroy(&p->ctx.spare_mu);
	ice_manifest_reader_free(p->reader);
	ice__free(p->task_deletes);
	ice_expr_free(p->task_residual);
	ice__free(p->ctx.data);
	ice__free(p->ctx.deletes);
	ice_manifest_list_free(p->list);
	for (size_t i = 0; p->range_lists && i < p->ctx.scan->nrange; i++)
		ice_manifest_list_free(p->range_lists[i]);
	ice__free(p->range_lists);
	ice__free(p);
}

/* ---- handing out tasks --------------------------------------------------------------------------------- */

/* The next task on one thread: entries straight from the reader. */
static int next_sequential(ice_scan_planner *p, const ice_scan_task **out)
{
	ice_scan *scan = p->ctx.scan;
	const ice_manifest_entry *e;
	int rc;
	ice_expr_free(p->task_residual);
	p->task_residual = NULL;
	for (;;) {
		if (!p->reader) {
			if (p->next >= p->ctx.ndata)
				return ICE_ITEROVER;
			p->mf = p->ctx.data[p->next++];
			if ((rc = open_manifest(scan, p->mf, &p->reader, &p->spec)) != 0)
				return rc;
			p->sf = ice_scan__spec_filter(scan, p->spec->spec_id);
		}
		if ((rc = ice_manifest_next(p->reader, &e)) != 0) {
			if (rc != ICE_ITEROVER)
				return rc;
			ice_manifest_reader_free(p->reader);
			p->reader = NULL;
			continue;
		}
		const ice_expr *residual;
		ice_expr *owned;
		bool keep;
		if ((rc = consider(scan, p->mf, p->spec, p->sf, e, &keep, &residual, &owned)) != 0)
			return rc;
		if (!keep) {
			ice_expr_free(owned);
			continue;
		}
		p->task_residual = owned;
		p->ntask_deletes = 0;
		if ((rc = ice_scan__delete_index_match(p->ctx.index, scan, &e->data_file, seq_of(e), &p->task_deletes,
		                                       &p->ntask_deletes, &p->cap_task_deletes)) != 0)
			return rc;
		memset(&p->task, 0, sizeof(p->task));
		p->task.file = &e->data_file;
		p->task.data_sequence_number = seq_of(e);
		p->task.file_sequence_number = file_seq_of(e);
		p->task.spec = p->spec;
		p->task.ndeletes = p->ntask_deletes;
		p->task.deletes = p->task_deletes;
		p->task.residual = residual;
		*out = &p->task;
		return 0;
	}
}

static int next_parallel(ice_scan_planner *p, const ice_scan_task **out)
{
	int rc;
	for (;;) {
		if (p->current && p->pos < p->current->n) {
			*out = &p->current->tasks[p->pos++];
			return 0;
		}
		if (p->current) {
			batch_empty(p->current);
			pthread_mutex_lock(&p->ctx.spare_mu);
			p->current->next = p->ctx.spare;
			p->ctx.spare = p->current;
			pthread_mutex_unlock(&p->ctx.spare_mu);
		}
		p->current = NULL;
		p->pos = 0;
		if (p->next >= p->ctx.ndata)
			return ICE_ITEROVER;
		void *b;
		if ((rc = ice_scan__pool_take(p->pool, p->next++, &b)) != 0)
			return rc;
		p->current = b;
	}
}

int ice_scan_plan_next(ice_scan_planner *p, const ice_scan_task **out)
{
	ice_scan *scan = p->ctx.scan;
	int rc;
	*out = NULL;
	if (p->done)
		return ICE_ITEROVER;
	rc = p->pool ? next_parallel(p, out) : next_sequential(p, out);
	if (rc != 0) {
		p->done = true;
		return rc;
	}
	ice_scan__count(&scan->stats.tasks, 1);
	if (scan->limit >= 0 && (*out)->ndeletes == 0 && !(*out)->residual) {
		p->certain_rows += (*out)->file->record_count;
		if (p->certain_rows >= scan->limit)
			p->done = true; /* this task is the last one needed */
	}
	return 0;
}
