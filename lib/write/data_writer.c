/*
 * write/data_writer.c - rows in, Parquet data files out. Each row is
 * routed to its partition by applying the default spec's transforms to its
 * source values; each partition buffers rows in column builders and hands
 * them to its own Parquet writer in batches (a fanout writer, as Java's
 * for unsorted input), rolling to a new file at write.target-file-size-bytes.
 * Rows arrive as Arrow batches already in the table's types (CSV and JSON
 * Lines blocks from ingest/input.c, Parquet input from convert.c); a batch
 * of an unpartitioned, unsorted table goes to the Parquet writer as it is.
 *
 * Threads. With opts.threads other than 1 the writer owns a fork-join pool
 * (util/workers.c) that the input side borrows between calls: copying a
 * batch's rows into the partitions' builders runs one column per task, and
 * every Parquet writer encodes and compresses one column per task on the
 * same pool, with the pool's scratch (one page buffer and compressor per
 * thread, shared by all open files). Routing stays on the caller.
 *
 * Sorting. When the table has a sort order (and the caller did not turn
 * sorting off), rows are written in that order, as Java's writers do for
 * sorted tables: each partition buffers rows up to a run (half the memory
 * budget, or less when the budget is shared; the keys and permutation the
 * sort will need are counted in), sorts the run (sort.c) and
 * writes it; a file never spans two runs, so every file is sorted, and
 * only such files record the order's id (sort_order_id). Files of an
 * unsorted table record order 0; files written unsorted for a sorted table
 * record none. The price of bounded memory is that a partition with more
 * rows than a run gets several files, each sorted on its own.
 *
 * Memory is bounded, whatever the input size, by three limits: rows
 * buffered per partition (batch_rows; for sorted tables the run size),
 * open files (max_open_files: the least recently used file is closed when
 * one more is needed, which costs a smaller file, never correctness), and
 * bytes allocated across all partitions by builders and Parquet writers
 * (max_buffered_bytes, checked every ROUTE_ROWS rows against a running
 * total: only the parts that changed since the last check are recounted,
 * so a check costs what changed, not the number of partitions; the largest
 * holders are flushed early until the total fits, which costs smaller row
 * groups, or shorter sorted runs). Files are named as Java names them, where the
 * table's location provider puts them (location.c).
 */
#include <stdio.h>
#include <string.h>

#include "columns.h"
#include "ice/parquet.h"
#include "sort.h"
#include "ice/transform.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/uri.h"
#include "util/uuid.h"
#include "io/io.h"
#include "location.h"
#include "parquet/wpool.h"
#include "util/workers.h"
#include "spec/model.h"
#include "writer.h"

typedef struct part {
	uint8_t *key;
	size_t key_len;
	ice_literal *values; /* the partition tuple (payloads in the writer's arena) */
	col_builder cols;
	bool cols_ready;
	ice_parquet_writer *pw;
	char *location;
	int64_t last_used;
	bool open;
	int64_t *sel; /* rows of the batch being routed that go here */
	size_t nsel, capsel;
	int64_t nfiles; /* data files written */
	int64_t pw_mem; /* what the open Parquet writer held after its last change */
	int64_t counted; /* its share of the writer's running total of buffered bytes */
	bool dirty;      /* changed since last counted */
} part;

#define ROUTE_ROWS 4096 /* rows routed between memory checks */

typedef struct source_path {
	size_t top;        /* index of the top-level field */
	size_t depth;      /* nested struct steps after it */
	int32_t ids[16];
} source_path;

struct ice_data_writer {
	const ice_io *io;
	const ice_table_metadata *md;
	const ice_schema *schema;
	const ice_partition_spec *spec;
	const ice_type **partition_types;
	source_path *sources;
	ice_write_options opts;
	ice_parquet_write_options pq;
	char uuid[ICE_UUID_STRLEN + 1];
	ice_arena arena;
	ice_map parts; /* key bytes -> part */
	part **all;
	size_t nparts;
	size_t nopen;
	int64_t tick, rows, file_seq;
	ice_buf key;
	ice_literal *pvals; /* scratch partition tuple */
	ice_data_file **files;
	size_t nfiles;
	char **written; /* every file location created, for deletion */
	size_t nwritten;
	const ice_sort_order *order; /* when sorting */
	bool has_sort_order_id;      /* what the files record */
	int32_t sort_order_id;
	int64_t run_bytes;           /* sorted runs end at this size */
	ice_workers *workers;        /* the threads of every parallel step (NULL: one) */
	ice_parquet_wpool *pool;     /* the Parquet writers' shared threads and scratch */
	/* Routing by one integer partition value (the common case: one field
	 * whose transform gives an int or long): its parts by value. */
	bool int_route;
	ice_map int_parts;
	part *null_part;
	int64_t *route_keys; /* ROUTE_ROWS each */
	int64_t slice_rows;  /* rows routed between memory checks: ROUTE_ROWS, fewer for wide rows */
	uint8_t *route_nulls;
	/* Buffered bytes across parts, kept as a running total: parts changed
	 * since the last check are recounted at the next one, so a check costs
	 * what changed, not the number of partitions. */
	int64_t buffered;
	part **dirty;
	size_t ndirty, capdirty;
};

void ice_write_options_init(ice_write_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = ICE_INPUT_AUTO;
	o->delimiter = 0;
	o->null_token = "";
	o->batch_rows = 8192;
	o->max_open_files = 128;
	o->max_buffered_bytes = (int64_t)256 << 20;
	o->threads = 0;
	o->max_rejects = -1;
}

static int find_source(ice_data_writer *w, int32_t id, source_path *out)
{
	/* The chain of ids from a top-level field down to `id`. */
	int32_t chain[17];
	size_t n = 0;
	for (int32_t cur = id; cur > 0 && n < 17; cur = ice_schema_parent_id(w->schema, cur))
		chain[n++] = cur;
	if (n == 0 || n > 17)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "partition source %d is not in the schema", id);
	int32_t top = chain[n - 1];
	for (size_t i = 0; i < ice_schema_field_count(w->schema); i++)
		if (ice_schema_field_at(w->schema, i)->id == top) {
			out->top = i;
			out->depth = n - 1;
			for (size_t k = 0; k + 1 < n; k++)
				out->ids[k] = chain[n - 2 - k];
			return 0;
		}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "partition source %d is not in the schema", id);
}

/*
 * The bytes every row takes in the builders whatever its values (a fixed
 * value, null or not, is its whole width), and the widest such column: a
 * value wider than the memory budget cannot be written within it, and
 * wide rows are routed (and read by the ingest) fewer at a time, so the
 * budget is checked before they add up.
 */
static void fixed_widths(const ice_type *t, int64_t *sum, const ice_field **widest, const ice_field *f)
{
	if (t->id == ICE_TYPE_FIXED) {
		*sum += t->u.fixed.length;
		if (!*widest || t->u.fixed.length > (*widest)->type->u.fixed.length)
			*widest = f;
	} else if (t->id == ICE_TYPE_STRUCT) {
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			fixed_widths(t->u.struct_.fields[i].type, sum, widest, &t->u.struct_.fields[i]);
	} else if (t->id == ICE_TYPE_LIST) {
		fixed_widths(t->u.list.element.type, sum, widest, &t->u.list.element);
	} else if (t->id == ICE_TYPE_MAP) {
		fixed_widths(t->u.map.key.type, sum, widest, &t->u.map.key);
		fixed_widths(t->u.map.value.type, sum, widest, &t->u.map.value);
	}
}

static int plan_memory_checks(ice_data_writer *w)
{
	int64_t row = 0;
	const ice_field *widest = NULL;
	fixed_widths(ice_schema_struct(w->schema), &row, &widest, NULL);
	if (widest && widest->type->u.fixed.length > w->opts.max_buffered_bytes)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "column '%s' is fixed[%d]: one value takes more than the memory budget of %lld "
		                      "bytes (--memory)",
		                      widest->name, widest->type->u.fixed.length, (long long)w->opts.max_buffered_bytes);
	/* Between two checks, rows may add an eighth of the budget at most. */
	w->slice_rows = ROUTE_ROWS;
	while (w->slice_rows > 1 && row > 0 && w->slice_rows * row > w->opts.max_buffered_bytes / 8)
		w->slice_rows /= 2;
	return 0;
}

size_t ice_data_writer__max_batch_rows(const ice_data_writer *w)
{
	return w->slice_rows < ROUTE_ROWS ? (size_t)w->slice_rows : SIZE_MAX;
}

int ice_data_writer__new(ice_data_writer **out, const ice_io *io, const ice_table_metadata *md,
                         const ice_write_options *opts)
{
	ice_data_writer *w = ice__calloc(1, sizeof(*w));
	const ice_properties *props = ice_table_metadata_properties(md);
	uint8_t u[16];
	int rc = 0;
	*out = NULL;
	if (!w)
		return ICE_ERROR;
	w->io = io;
	w->md = md;
	w->schema = ice_table_metadata_current_schema(md);
	w->spec = ice_table_metadata_default_spec(md);
	if (opts)
		w->opts = *opts;
	else
		ice_write_options_init(&w->opts);
	if (w->opts.batch_rows <= 0)
		w->opts.batch_rows = 8192;
	if (w->opts.max_open_files <= 0)
		w->opts.max_open_files = 128;
	if (w->opts.max_buffered_bytes <= 0)
		w->opts.max_buffered_bytes = (int64_t)256 << 20;
	ice_arena__init(&w->arena, 1 << 16);
	if (w->opts.row_lineage) {
		ice_schema *with = NULL;
		if ((rc = ice_schema__lineage_schema(&with, &w->arena, w->schema)) != 0) {
			ice_arena__free(&w->arena);
			ice__free(w);
			return rc;
		}
		w->schema = with;
	}
	ice_map__init(&w->parts, true);
	ice_map__init(&w->int_parts, false);
	ice_buf__init(&w->key, 0);
	ice_uuid__random(u);
	ice_uuid__format(u, w->uuid);
	ice_parquet_write_options_init(&w->pq);
	for (size_t i = 0; i < props->n && !rc; i++)
		if ((rc = ice_parquet_write_options_set(&w->pq, props->items[i].key, props->items[i].value)) != 0)
			ice_error__prefix("table property %s", props->items[i].key);
	if (w->opts.target_file_size > 0)
		w->pq.target_file_size_bytes = w->opts.target_file_size;
	size_t nf = w->spec->nfields;
	if (!rc && nf &&
	    (!(w->partition_types = ice__calloc(nf, sizeof(ice_type *))) ||
	     !(w->sources = ice__calloc(nf, sizeof(source_path))) || !(w->pvals = ice__calloc(nf, sizeof(ice_literal)))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < nf && !rc; i++) {
		const ice_partition_field *f = &w->spec->fields[i];
		if (!(w->partition_types[i] = ice_partition_field_result_type(f, w->schema)))
			rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
			                    "partition field %s: its transform cannot be applied when writing", f->name);
		else
			rc = find_source(w, f->source_id, &w->sources[i]);
	}
	if (!rc && nf == 1) {
		int id = w->partition_types[0]->id;
		w->int_route = id == ICE_TYPE_INT || id == ICE_TYPE_LONG || id == ICE_TYPE_DATE || id == ICE_TYPE_TIME ||
		               id == ICE_TYPE_TIMESTAMP || id == ICE_TYPE_TIMESTAMPTZ;
		if (w->int_route && (!(w->route_keys = ice__mallocarray(ROUTE_ROWS, sizeof(int64_t))) ||
		                     !(w->route_nulls = ice__malloc(ROUTE_ROWS))))
			rc = ICE_ERROR;
	}
	size_t threads = w->opts.threads > 0 ? (size_t)w->opts.threads : ice_workers__cpus();
	if (!rc && threads > 1)
		rc = ice_workers__new(&w->workers, threads);
	if (!rc)
		rc = ice_parquet__wpool_new(&w->pool, w->workers);
	if (!rc)
		rc = plan_memory_checks(w);
	const ice_sort_order *order = w->opts.sort_order ? w->opts.sort_order : ice_table_metadata_default_sort_order(md);
	if (!order || order->nfields == 0) {
		w->has_sort_order_id = true; /* unsorted table: order 0 */
		w->sort_order_id = 0;
	} else if (!w->opts.no_sort && !rc && (rc = ice_sort__check(w->schema, order)) == 0) {
		w->order = order;
		/* An order given for a rewrite is recorded only when it is one of the table's. */
		const ice_sort_order *known = ice_table_metadata_sort_order_by_id(md, order->order_id);
		w->has_sort_order_id = known && ice_sort_order_same_fields(known, order);
		w->sort_order_id = order->order_id;
		w->run_bytes = w->opts.max_buffered_bytes / 2;
	}
	if (rc) {
		ice_data_writer__free(w);
		return rc;
	}
	*out = w;
	return 0;
}

static void free_part(part *p)
{
	if (p->pw)
		ice_parquet_writer_abort(p->pw);
	if (p->cols_ready)
		ice_columns__free(&p->cols);
	ice__free(p->location);
	ice__free(p->sel);
}

void ice_data_writer__free(ice_data_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nparts; i++)
		free_part(w->all[i]);
	ice__free(w->all);
	ice__free(w->dirty);
	for (size_t i = 0; i < w->nwritten; i++)
		ice__free(w->written[i]);
	ice__free(w->written);
	ice__free(w->files);
	ice__free(w->partition_types);
	ice__free(w->sources);
	ice__free(w->pvals);
	ice_buf__free(&w->key);
	ice_map__free(&w->parts);
	ice_map__free(&w->int_parts);
	ice__free(w->route_keys);
	ice__free(w->route_nulls);
	ice_parquet__wpool_free(w->pool);
	ice_workers__free(w->workers);
	ice_arena__free(&w->arena);
	ice__free(w);
}

ice_workers *ice_data_writer__workers(const ice_data_writer *w)
{
	return w->workers;
}

int64_t ice_data_writer__rows(const ice_data_writer *w)
{
	return w->rows;
}

void ice_data_writer__delete_files(ice_data_writer *w)
{
	for (size_t i = 0; i < w->nparts; i++)
		if (w->all[i]->pw) {
			ice_parquet_writer_abort(w->all[i]->pw);
			w->all[i]->pw = NULL;
		}
	ice_io__delete_files(w->io, (const char *const *)w->written, w->nwritten);
}

/* ---- partition values and paths ---------------------------------------------------- */

static int copy_literal(ice_arena *a, ice_literal *dst, const ice_literal *src)
{
	*dst = *src;
	if (src->is_null)
		return 0;
	switch (src->type) {
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
		if (src->v.bytes.len) {
			void *p = ice_arena__memdup(a, src->v.bytes.data, src->v.bytes.len);
			if (!p)
				return ICE_ERROR;
			dst->v.bytes.data = p;
		}
		return 0;
	default:
		return 0;
	}
}

static int new_part(ice_data_writer *w, part **out)
{
	part *p = ice_arena__alloc(&w->arena, sizeof(*p));
	size_t nf = w->spec->nfields;
	int rc = 0;
	if (!p)
		return ICE_ERROR;
	if (!(p->key = ice_arena__memdup(&w->arena, w->key.ptr ? w->key.ptr : "", w->key.len)))
		return ICE_ERROR;
	p->key_len = w->key.len;
	if (nf && !(p->values = ice_arena__allocarray(&w->arena, nf, sizeof(ice_literal))))
		return ICE_ERROR;
	for (size_t i = 0; i < nf && !rc; i++)
		rc = copy_literal(&w->arena, &p->values[i], &w->pvals[i]);
	if (!rc && (rc = ice_columns__init_struct(&p->cols, ice_schema_struct(w->schema))) == 0)
		p->cols_ready = true;
	if (rc)
		return rc;
	part **all = ice__reallocarray(w->all, w->nparts + 1, sizeof(part *));
	if (!all) {
		ice_columns__free(&p->cols);
		return ICE_ERROR;
	}
	w->all = all;
	all[w->nparts++] = p;
	if ((rc = ice_map__put_str(&w->parts, (const char *)p->key, p->key_len, p)) != 0)
		return rc;
	*out = p;
	return 0;
}

/* ---- files ------------------------------------------------------------------------------ */

static int open_file(ice_data_writer *w, part *p)
{
	char name[128];
	int rc;
	snprintf(name, sizeof(name), "00000-0-%s-%05lld.parquet", w->uuid, (long long)++w->file_seq);
	if ((rc = ice_write__new_file_location(&p->location, w->md, w->spec, p->values, name)) != 0)
		return rc;
	char **wr = ice__reallocarray(w->written, w->nwritten + 1, sizeof(char *));
	if (!wr)
		return ICE_ERROR;
	w->written = wr;
	if (!(wr[w->nwritten] = ice__strdup(p->location)))
		return ICE_ERROR;
	/* Recorded for deletion only once created: a name that was taken (an
	 * existing file) is someone else's, never removed on cleanup. */
	if ((rc = ice_parquet_writer_open(&p->pw, w->io, p->location, ice_schema_struct(w->schema), &w->pq)) != 0) {
		ice__free(wr[w->nwritten]);
		return rc;
	}
	w->nwritten++;
	ice_parquet__writer_use_pool(p->pw, w->pool);
	p->pw_mem = ice_parquet_writer_buffered_bytes(p->pw);
	p->open = true;
	w->nopen++;
	return 0;
}

static int add_data_file(ice_data_writer *w, part *p, const ice_parquet_file_metrics *m)
{
	ice_arena *a = &w->arena;
	ice_data_file *df = ice_arena__alloc(a, sizeof(*df));
	size_t n = m->ncolumns;
	if (!df)
		return ICE_ERROR;
	df->content = ICE_FILE_CONTENT_DATA;
	if (!(df->file_path = ice_arena__strdup(a, p->location)))
		return ICE_ERROR;
	df->file_format = "PARQUET";
	df->partition_spec_id = w->spec->spec_id;
	df->n_partition = w->spec->nfields;
	df->partition = p->values;
	df->record_count = m->record_count;
	df->file_size_in_bytes = m->file_size;
	ice__trace("wrote %s: %lld rows, %lld bytes", p->location, (long long)m->record_count, (long long)m->file_size);
	ice_metric_count *sizes = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_count *values = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_count *nulls = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_count *nans = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_bound *lower = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_bound));
	ice_metric_bound *upper = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_bound));
	int64_t *splits = ice_arena__allocarray(a, m->nsplit_offsets + 1, sizeof(int64_t));
	if (!sizes || !values || !nulls || !nans || !lower || !upper || !splits)
		return ICE_ERROR;
	size_t nn = 0, nb = 0;
	for (size_t i = 0; i < n; i++) {
		const ice_parquet_column_metrics *c = &m->columns[i];
		sizes[i] = (ice_metric_count){c->field_id, c->column_size};
		values[i] = (ice_metric_count){c->field_id, c->value_count};
		nulls[i] = (ice_metric_count){c->field_id, c->null_count};
		if (c->nan_count >= 0)
			nans[nn++] = (ice_metric_count){c->field_id, c->nan_count};
		if (c->has_bounds) {
			memset(&lower[nb], 0, sizeof(lower[nb]));
			memset(&upper[nb], 0, sizeof(upper[nb]));
			lower[nb].field_id = upper[nb].field_id = c->field_id;
			if (copy_literal(a, &lower[nb].value, &c->lower_bound) ||
			    copy_literal(a, &upper[nb].value, &c->upper_bound))
				return ICE_ERROR;
			nb++;
		}
	}
	df->column_sizes = (ice_metric_counts){true, n, sizes};
	df->value_counts = (ice_metric_counts){true, n, values};
	df->null_value_counts = (ice_metric_counts){true, n, nulls};
	df->nan_value_counts = (ice_metric_counts){true, nn, nans};
	df->lower_bounds = (ice_metric_bounds){true, nb, lower};
	df->upper_bounds = (ice_metric_bounds){true, nb, upper};
	if (m->nsplit_offsets)
		memcpy(splits, m->split_offsets, m->nsplit_offsets * sizeof(int64_t));
	df->split_offsets = (ice_int64_list){true, m->nsplit_offsets, splits};
	df->has_sort_order_id = w->has_sort_order_id;
	df->sort_order_id = w->sort_order_id;
	ice_data_file **files = ice__reallocarray(w->files, w->nfiles + 1, sizeof(ice_data_file *));
	if (!files)
		return ICE_ERROR;
	w->files = files;
	files[w->nfiles++] = df;
	p->nfiles++;
	return 0;
}

int64_t ice_data_writer__partitions(const ice_data_writer *w)
{
	int64_t n = 0;
	for (size_t i = 0; i < w->nparts; i++)
		n += w->all[i]->nfiles > 0;
	return n;
}

/* `p` changed (rows added, flushed, trimmed, a file opened or closed):
 * recount it at the next check. */
static int touch(ice_data_writer *w, part *p)
{
	if (p->dirty)
		return 0;
	if (w->ndirty == w->capdirty) {
		size_t cap = w->capdirty ? w->capdirty * 2 : 64;
		part **d = ice__reallocarray(w->dirty, cap, sizeof(part *));
		if (!d)
			return ICE_ERROR;
		w->dirty = d;
		w->capdirty = cap;
	}
	w->dirty[w->ndirty++] = p;
	p->dirty = true;
	return 0;
}

static int write_batch(ice_data_writer *w, part *p, const struct ArrowArray *batch, const struct ArrowSchema *schema)
{
	int rc = 0;
	if (!p->open)
		rc = open_file(w, p);
	if (!rc)
		rc = ice_parquet_writer_write(p->pw, batch, schema);
	if (!rc)
		p->pw_mem = ice_parquet_writer_buffered_bytes(p->pw);
	return rc ? rc : touch(w, p);
}

/* Unsorted: the rows buffered in the builders go to the open file. The
 * builders keep their memory for the next rows (a partition that fills
 * up once fills up again) unless `trim` (memory is short, or the file
 * ends). */
static int flush_rows_as(ice_data_writer *w, part *p, bool trim)
{
	struct ArrowArray batch;
	struct ArrowSchema schema;
	int rc;
	if (ice_columns__rows(&p->cols) == 0) {
		if (trim)
			ice_columns__trim(&p->cols);
		return trim ? touch(w, p) : 0;
	}
	if ((rc = ice_columns__view(&p->cols, &batch, &schema)) != 0)
		return rc;
	rc = write_batch(w, p, &batch, &schema);
	batch.release(&batch);
	schema.release(&schema);
	ice_columns__clear(&p->cols);
	if (trim)
		ice_columns__trim(&p->cols);
	return rc;
}

static int flush_rows(ice_data_writer *w, part *p)
{
	return flush_rows_as(w, p, true);
}

static int close_file(ice_data_writer *w, part *p)
{
	ice_parquet_file_metrics *m = NULL;
	int rc = w->order ? 0 : flush_rows(w, p);
	if (rc || !p->open)
		return rc;
	rc = ice_parquet_writer_close(p->pw, &m);
	p->pw = NULL;
	p->pw_mem = 0;
	p->open = false;
	w->nopen--;
	if (!rc)
		rc = touch(w, p);
	if (!rc)
		rc = add_data_file(w, p, m);
	ice_parquet_file_metrics_free(m);
	ice__free(p->location);
	p->location = NULL;
	return rc;
}

/*
 * Sorted: the buffered rows are one run. Sorted, they are written in
 * slices (the sorted copy of one slice at a time beside the run), rolling
 * to a new file at the target size; the run's last file is closed with it,
 * so every file holds one contiguous stretch of one sorted run.
 */
#define RUN_SLICE 65536

static int write_run(ice_data_writer *w, part *p)
{
	struct ArrowArray run, slice;
	struct ArrowSchema run_schema, slice_schema;
	int64_t *perm = NULL;
	int64_t n = ice_columns__rows(&p->cols);
	int rc;
	if (n == 0)
		return 0;
	if ((rc = ice_columns__finish(&p->cols, &run, &run_schema)) != 0)
		return rc;
	rc = ice_sort__permutation(&perm, w->schema, w->order, &run, &run_schema);
	for (int64_t at = 0; at < n && !rc; at += RUN_SLICE) {
		size_t k = (size_t)(n - at < RUN_SLICE ? n - at : RUN_SLICE);
		if ((rc = ice_columns__take(&p->cols, &run, &run_schema, perm + at, k)) != 0 ||
		    (rc = ice_columns__finish(&p->cols, &slice, &slice_schema)) != 0)
			break;
		rc = write_batch(w, p, &slice, &slice_schema);
		slice.release(&slice);
		slice_schema.release(&slice_schema);
		if (!rc && at + (int64_t)k < n && ice_parquet_writer_should_roll(p->pw))
			rc = close_file(w, p);
	}
	ice__free(perm);
	run.release(&run);
	run_schema.release(&run_schema);
	if (!rc)
		rc = close_file(w, p);
	return rc ? rc : touch(w, p);
}

/*
 * What a part's buffered rows cost: their bytes, and for a sorted run what
 * sorting it will take on top (a key per sort field and row, and the
 * permutation with its scratch).
 */
static int64_t buffered_cost(const ice_data_writer *w, const part *p)
{
	int64_t cost = (int64_t)ice_columns__bytes(&p->cols);
	if (w->order)
		cost += ice_columns__rows(&p->cols) *
		        (int64_t)(2 * sizeof(int64_t) + w->order->nfields * sizeof(ice_literal));
	return cost;
}

/* Brings the running total up to date: recount the parts that changed. */
static void settle(ice_data_writer *w)
{
	for (size_t i = 0; i < w->ndirty; i++) {
		part *p = w->dirty[i];
		int64_t now = buffered_cost(w, p) + (p->open ? p->pw_mem : 0);
		w->buffered += now - p->counted;
		p->counted = now;
		p->dirty = false;
	}
	w->ndirty = 0;
}

/* Keep memory bounded: too many open files, or too many buffered bytes. */
static int enforce_limits(ice_data_writer *w, part *current)
{
	int rc = 0;
	while (!rc && (int64_t)w->nopen > w->opts.max_open_files) {
		part *lru = NULL;
		for (size_t i = 0; i < w->nparts; i++)
			if (w->all[i]->open && w->all[i] != current && (!lru || w->all[i]->last_used < lru->last_used))
				lru = w->all[i];
		if (!lru)
			break;
		rc = close_file(w, lru);
	}
	if (rc)
		return rc;
	/* Flush the largest holder until the total fits (each flush frees what
	 * that part held, so this ends; at most once per part). */
	for (size_t round = 0; round < w->nparts; round++) {
		settle(w);
		if (ice_parquet__wpool_memory(w->pool) + w->buffered <= w->opts.max_buffered_bytes)
			return 0;
		part *largest = NULL;
		for (size_t i = 0; i < w->nparts; i++)
			if (w->all[i]->counted > 0 && (!largest || w->all[i]->counted > largest->counted))
				largest = w->all[i];
		if (!largest)
			return 0;
		if (w->order)
			rc = write_run(w, largest);
		else if ((rc = flush_rows(w, largest)) == 0 && largest->open &&
		         (rc = ice_parquet_writer_flush_row_group(largest->pw)) == 0)
			largest->pw_mem = ice_parquet_writer_buffered_bytes(largest->pw);
		if (!rc)
			rc = touch(w, largest);
		if (rc)
			return rc;
	}
	return 0;
}

/* After rows were added to `p`: flush, roll or end a run as the limits say. */
static int after_rows(ice_data_writer *w, part *p, bool check_memory)
{
	int rc = 0;
	if (w->order) {
		if (buffered_cost(w, p) >= w->run_bytes)
			rc = write_run(w, p);
	} else if (ice_columns__rows(&p->cols) >= w->opts.batch_rows) {
		rc = flush_rows_as(w, p, false);
		if (!rc && p->open && ice_parquet_writer_should_roll(p->pw))
			rc = close_file(w, p);
		check_memory = true;
	}
	if (!rc && check_memory)
		rc = enforce_limits(w, p);
	return rc;
}

/* The part of the partition tuple in w->pvals (made when new). */
static int find_part(ice_data_writer *w, part **out)
{
	void *found = NULL;
	int rc;
	ice_buf__clear(&w->key);
	for (size_t i = 0; i < w->spec->nfields; i++) {
		uint8_t tag = w->pvals[i].is_null ? 0 : 1;
		ice_buf__putc(&w->key, (char)tag);
		if (!w->pvals[i].is_null) {
			size_t len = 0;
			if ((rc = ice_literal_to_bytes(&w->pvals[i], NULL, 0, &len)) != 0)
				return rc;
			uint32_t l32 = (uint32_t)len;
			ice_buf__put(&w->key, &l32, 4);
			uint8_t *dst = ice_buf__reserve(&w->key, len);
			if (dst)
				ice_literal_to_bytes(&w->pvals[i], dst, len, &len);
		}
	}
	if (w->key.error)
		return ICE_ERROR;
	if (ice_map__get_str(&w->parts, w->key.ptr ? w->key.ptr : "", w->key.len, &found)) {
		*out = found;
		return 0;
	}
	return new_part(w, out);
}

static int partition_value(ice_data_writer *w, size_t i, const ice_literal *src)
{
	const ice_partition_field *f = &w->spec->fields[i];
	ice_literal in = src ? *src : ice_literal_null(ice_schema_find_field(w->schema, f->source_id)->type->id);
	int rc = ice_transform_apply(&f->transform, &in, &w->pvals[i]);
	return rc ? ice_error__prefix("partition field %s", f->name) : 0;
}

/* The partition source `sp` of row `row` of a batch (null under a null struct). */
static int batch_source(const ice_data_writer *w, const source_path *sp, const struct ArrowArray *batch,
                        const struct ArrowSchema *schema, int64_t row, ice_literal *out)
{
	const struct ArrowArray *a = batch->children[sp->top];
	const struct ArrowSchema *s = schema->children[sp->top];
	const ice_type *t = ice_schema_field_at(w->schema, sp->top)->type;
	int64_t i = row + batch->offset;
	for (size_t d = 0; d < sp->depth; d++) {
		const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
		int64_t j = i + a->offset;
		size_t c;
		for (c = 0; c < t->u.struct_.nfields && t->u.struct_.fields[c].id != sp->ids[d]; c++)
			;
		if ((v && a->null_count && !((v[j >> 3] >> (j & 7)) & 1)) || c == t->u.struct_.nfields) {
			const ice_field *f = ice_schema_find_field(w->schema, sp->ids[sp->depth - 1]);
			*out = ice_literal_null(f->type->id);
			return 0;
		}
		i = j;
		t = t->u.struct_.fields[c].type;
		a = a->children[c];
		s = s->children[c];
	}
	return ice_columns__literal_at(out, t, a, s, i);
}

/* The part of a one-field partition tuple with an integer value (w->pvals[0]). */
static int find_int_part(ice_data_writer *w, part **out)
{
	const ice_literal *v = &w->pvals[0];
	void *found = NULL;
	int rc;
	if (v->is_null) {
		if (!w->null_part && (rc = find_part(w, &w->null_part)) != 0)
			return rc;
		*out = w->null_part;
		return 0;
	}
	int64_t key = v->type == ICE_TYPE_INT || v->type == ICE_TYPE_DATE ? v->v.i32 : v->v.i64;
	if (ice_map__get_int(&w->int_parts, key, &found)) {
		*out = found;
		return 0;
	}
	if ((rc = find_part(w, out)) != 0)
		return rc;
	return ice_map__put_int(&w->int_parts, key, *out);
}

/* The rows each part selected, copied into its builders: one task per
 * column over every part (columns are independent). */
typedef struct take_job {
	ice_data_writer *w;
	const struct ArrowArray *batch;
	const struct ArrowSchema *schema;
} take_job;

/* The builder of column c of a part, and the ends of its buffers, ahead of
 * the copy: with many parts they are out of the cache, and the copy of a
 * few dozen rows would wait on each. */
static void prefetch_builder(const part *p, size_t c)
{
	if (p->nsel && p->cols.children) {
		const char *b = (const char *)&p->cols.children[c];
		__builtin_prefetch(b);
		__builtin_prefetch(b + 64);
		__builtin_prefetch(b + 128);
	}
}

static void prefetch_tails(const part *p, size_t c)
{
	if (!p->nsel || !p->cols.children)
		return;
	const col_builder *b = &p->cols.children[c];
	const ice_buf *bufs[] = {&b->validity, &b->values, &b->offsets, &b->data};
	for (size_t k = 0; k < 4; k++)
		if (bufs[k]->ptr)
			__builtin_prefetch(bufs[k]->ptr + bufs[k]->len, 1);
}

static int take_column(void *ctx, size_t c, size_t worker)
{
	take_job *j = ctx;
	(void)worker;
	size_t n = j->w->nparts;
	for (size_t i = 0; i < n; i++) {
		part *p = j->w->all[i];
		int rc;
		if (i + 2 < n)
			prefetch_builder(j->w->all[i + 2], c);
		if (i + 1 < n)
			prefetch_tails(j->w->all[i + 1], c);
		if (p->nsel && (rc = ice_columns__take_column(&p->cols, c, j->batch, j->schema, p->sel, p->nsel)) != 0)
			return rc;
	}
	return 0;
}

static int take_selected(ice_data_writer *w, const struct ArrowArray *batch, const struct ArrowSchema *schema)
{
	int rc;
	if (batch->offset) {
		for (size_t i = 0; i < w->nparts; i++) {
			part *p = w->all[i];
			if (p->nsel && (rc = ice_columns__take(&p->cols, batch, schema, p->sel, p->nsel)) != 0)
				return rc;
		}
		return 0;
	}
	take_job job = {w, batch, schema};
	if ((rc = ice_workers__run(w->workers, ice_schema_field_count(w->schema), take_column, &job)) != 0)
		return rc;
	for (size_t i = 0; i < w->nparts; i++)
		w->all[i]->cols.length += (int64_t)w->all[i]->nsel;
	return 0;
}

static int select_row(part *p, int64_t row)
{
	if (p->nsel == p->capsel) {
		size_t cap = p->capsel ? p->capsel * 2 : 256;
		int64_t *sel = ice__reallocarray(p->sel, cap, sizeof(int64_t));
		if (!sel)
			return ICE_ERROR;
		p->sel = sel;
		p->capsel = cap;
	}
	p->sel[p->nsel++] = row;
	return 0;
}

/* Rows [from, to) of a batch to their parts, one at a time. */
static int route_rows(ice_data_writer *w, const struct ArrowArray *batch, const struct ArrowSchema *schema,
                      int64_t from, int64_t to)
{
	part *prev = NULL;
	int rc = 0;
	for (int64_t row = from; row < to && !rc; row++) {
		bool same = prev != NULL;
		for (size_t i = 0; i < w->spec->nfields && !rc; i++) {
			ice_literal src, before = w->pvals[i];
			if ((rc = batch_source(w, &w->sources[i], batch, schema, row, &src)) == 0 &&
			    (rc = partition_value(w, i, &src)) == 0 && same)
				same = ice_literal_compare(&before, &w->pvals[i]) == 0 && before.is_null == w->pvals[i].is_null;
		}
		if (!rc && !same)
			rc = find_part(w, &prev);
		if (!rc)
			rc = select_row(prev, row);
	}
	return rc;
}

/* One integer partition value: the values of a slice are computed in
 * parallel (the transform of each row's source), then each row finds its
 * part by value. */
#define ROUTE_TASK_ROWS 1024
#define ROUTE_NULL INT64_MIN

typedef struct route_job {
	ice_data_writer *w;
	const struct ArrowArray *batch;
	const struct ArrowSchema *schema;
	int64_t from;
	int64_t *keys;   /* per row of the slice; ROUTE_NULL with is_null set */
	uint8_t *nulls;
	int64_t n;
} route_job;

static int route_keys(void *ctx, size_t task, size_t worker)
{
	route_job *j = ctx;
	ice_data_writer *w = j->w;
	const ice_partition_field *f = &w->spec->fields[0];
	int64_t a = (int64_t)task * ROUTE_TASK_ROWS, b = a + ROUTE_TASK_ROWS < j->n ? a + ROUTE_TASK_ROWS : j->n;
	(void)worker;
	for (int64_t k = a; k < b; k++) {
		ice_literal src, out;
		int rc = batch_source(w, &w->sources[0], j->batch, j->schema, j->from + k, &src);
		if (!rc && (rc = ice_transform_apply(&f->transform, &src, &out)) != 0)
			ice_error__prefix("partition field %s", f->name);
		if (rc)
			return rc;
		j->nulls[k] = out.is_null;
		j->keys[k] = out.is_null ? 0 : out.type == ICE_TYPE_INT || out.type == ICE_TYPE_DATE ? out.v.i32 : out.v.i64;
	}
	return 0;
}

static int route_by_int(ice_data_writer *w, const struct ArrowArray *batch, const struct ArrowSchema *schema,
                        int64_t from, int64_t to)
{
	route_job j = {w, batch, schema, from, w->route_keys, w->route_nulls, to - from};
	part *prev = NULL;
	int64_t prev_key = 0;
	bool prev_null = false;
	int rc = ice_workers__run(w->workers, (size_t)((j.n + ROUTE_TASK_ROWS - 1) / ROUTE_TASK_ROWS), route_keys, &j);
	for (int64_t k = 0; k < j.n && !rc; k++) {
		if (!prev || j.nulls[k] != prev_null || (!prev_null && j.keys[k] != prev_key)) {
			void *found = NULL;
			if (j.nulls[k] && w->null_part)
				prev = w->null_part;
			else if (!j.nulls[k] && ice_map__get_int(&w->int_parts, j.keys[k], &found))
				prev = found;
			else {
				/* a new partition: its tuple as the row-at-a-time path makes it */
				ice_literal src;
				if ((rc = batch_source(w, &w->sources[0], batch, schema, from + k, &src)) != 0 ||
				    (rc = partition_value(w, 0, &src)) != 0 || (rc = find_int_part(w, &prev)) != 0)
					break;
			}
			prev_null = j.nulls[k];
			prev_key = j.keys[k];
		}
		rc = select_row(prev, from + k);
	}
	return rc;
}


int ice_data_writer__write_batch(ice_data_writer *w, const struct ArrowArray *batch, const struct ArrowSchema *schema)
{
	part *p = NULL;
	int rc = 0;
	if (batch->length == 0)
		return 0;
	if (w->spec->nfields == 0 && !w->order) {
		/* Nothing to route or order: the batch is written as it is,
		 * after whatever rows were buffered before it. */
		if ((rc = find_part(w, &p)) != 0 || (rc = flush_rows(w, p)) != 0 ||
		    (rc = write_batch(w, p, batch, schema)) != 0)
			return rc;
		p->last_used = ++w->tick;
		w->rows += batch->length;
		if (ice_parquet_writer_should_roll(p->pw))
			rc = close_file(w, p);
		return rc ? rc : enforce_limits(w, p);
	}
	/* Route each row to its part (consecutive rows of one partition skip
	 * the lookup) and copy the rows each part got into its builders, a
	 * slice at a time so that the memory check comes as often as for
	 * rows written one by one. */
	for (int64_t from = 0; from < batch->length && !rc; from += w->slice_rows) {
		int64_t to = from + w->slice_rows < batch->length ? from + w->slice_rows : batch->length;
		if (w->int_route)
			rc = route_by_int(w, batch, schema, from, to);
		else
			rc = route_rows(w, batch, schema, from, to);
		if (!rc)
			rc = take_selected(w, batch, schema);
		for (size_t i = 0; !rc && i < w->nparts; i++) {
			p = w->all[i];
			if (!p->nsel)
				continue;
			p->last_used = ++w->tick;
			w->rows += (int64_t)p->nsel;
			p->nsel = 0;
			if ((rc = touch(w, p)) == 0)
				rc = after_rows(w, p, false);
		}
		for (size_t i = 0; i < w->nparts; i++)
			w->all[i]->nsel = 0;
		if (!rc)
			rc = enforce_limits(w, NULL);
	}
	return rc;
}

/*
 * The open files of local parts finished side by side on the writer's
 * threads: each part's last rows written, its last row group and footer,
 * and the wait for the disk (fsync) of one file while the next is encoded.
 * A part's Parquet writer then works on the task's thread alone (its own
 * scratch, not the pool's). The data files are registered afterwards, in
 * part order; a file that did not finish is already deleted by its writer,
 * and every file created is on the written list for cleanup.
 */
typedef struct close_job {
	ice_data_writer *w;
	part **parts;
	ice_parquet_file_metrics **metrics;
} close_job;

static int close_task(void *ctx, size_t k, size_t worker)
{
	close_job *j = ctx;
	part *p = j->parts[k];
	int rc = 0;
	(void)worker;
	ice_parquet__writer_use_pool(p->pw, NULL);
	if (ice_columns__rows(&p->cols) > 0) {
		struct ArrowArray batch;
		struct ArrowSchema schema;
		if ((rc = ice_columns__view(&p->cols, &batch, &schema)) == 0) {
			rc = ice_parquet_writer_write(p->pw, &batch, &schema);
			batch.release(&batch);
			schema.release(&schema);
		}
		ice_columns__clear(&p->cols);
		ice_columns__trim(&p->cols);
	}
	if (rc) {
		ice_parquet_writer_abort(p->pw);
		p->pw = NULL;
		return rc;
	}
	rc = ice_parquet_writer_close(p->pw, &j->metrics[k]);
	p->pw = NULL; /* freed, finished or not */
	return rc;
}

/* An open file on local disk (object stores: one upload at a time). */
static bool closes_beside(const ice_data_writer *w, const part *p)
{
	return p->open && !ice_io__is_object_store(w->io, p->location);
}

static int close_open_files(ice_data_writer *w)
{
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < w->nparts; i++)
		n += closes_beside(w, w->all[i]);
	if (n < 2 || ice_workers__count(w->workers) < 2)
		return 0;
	part **parts = ice__calloc(n, sizeof(*parts));
	ice_parquet_file_metrics **metrics = ice__calloc(n, sizeof(*metrics));
	if (!parts || !metrics) {
		ice__free(parts);
		ice__free(metrics);
		return ICE_ERROR;
	}
	n = 0;
	for (size_t i = 0; i < w->nparts; i++)
		if (closes_beside(w, w->all[i]))
			parts[n++] = w->all[i];
	close_job job = {w, parts, metrics};
	rc = ice_workers__run(w->workers, n, close_task, &job);
	for (size_t k = 0; k < n; k++) {
		part *p = parts[k];
		if (p->pw) {
			/* not reached after an earlier task failed */
			ice_parquet_writer_abort(p->pw);
			p->pw = NULL;
		}
		p->pw_mem = 0;
		p->open = false;
		w->nopen--;
		if (!rc && metrics[k])
			rc = add_data_file(w, p, metrics[k]);
		ice_parquet_file_metrics_free(metrics[k]);
		ice__free(p->location);
		p->location = NULL;
	}
	ice__free(parts);
	ice__free(metrics);
	return rc;
}

int ice_data_writer__close(ice_data_writer *w, const ice_data_file *const **files_out, size_t *n_out)
{
	int rc = w->order ? 0 : close_open_files(w);
	for (size_t i = 0; i < w->nparts && !rc; i++) {
		part *p = w->all[i];
		if (w->order)
			rc = write_run(w, p);
		else if (ice_columns__rows(&p->cols) > 0 || p->open)
			rc = close_file(w, p);
	}
	if (rc)
		return rc;
	*files_out = (const ice_data_file *const *)w->files;
	*n_out = w->nfiles;
	return 0;
}
