/*
 * table/row_delete.c - the rows a filter matches, found and removed
 * (ice delete; ice overwrite's removal): planned through a scan with the
 * filter, so files whose partitions or metrics rule every row out are
 * never opened. A task without residual (the partition decides: strict
 * projection) or whose metrics say every row matches is dropped whole.
 * Other files are read row by row, in file order, with their delete files
 * applied (ice_scan_reader_next_all): when no live row matches nothing
 * changes, when all do the file is dropped, otherwise
 *
 *   copy-on-write: the live rows that do not match are written to a new
 *     file of the same spec and partition, which replaces the old one;
 *   merge-on-read v2: a position delete file (file_path, pos; sorted, with
 *     referenced_data_file) lists the matching rows;
 *   merge-on-read v3: a deletion vector in one Puffin file per commit
 *     holds the matching rows and every row already deleted (it replaces
 *     the file's previous vector, as the spec allows one per data file).
 *
 * Deletion vectors of dropped or rewritten files are removed with them.
 * In v3 the rows copy-on-write copies keep their lineage (spec "Row
 * Lineage": an unmodified row moved to a new file keeps its _row_id and
 * _last_updated_sequence_number): both are read and written as columns.
 */
#include <stdio.h>
#include <string.h>

#include "new_snapshot.h"
#include "write/columns.h"
#include "write/location.h"
#include "ice/parquet.h"
#include "ice/puffin.h"
#include "ice/scan.h"
#include "io/io.h"
#include "row_delete.h"
#include "scan/read.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"

/* The reserved ids of position delete files (spec "Position Delete Files"). */
#define FILE_PATH_ID 2147483546
#define POS_ID 2147483545

typedef struct pending_dv {
	const ice_data_file *data_file; /* borrowed from the change's reference */
	ice_data_file *copy;            /* the data file (in the pass arena) */
	int64_t offset, length, cardinality;
} pending_dv;

typedef struct pass {
	ice_table *table;
	const ice_table_metadata *md;
	const ice_io *io;
	ice_row_change *change;
	const ice_expr *filter;
	bool mor;
	int version;
	ice_scan *all; /* no filter, every column: reading files */
	struct ArrowSchema arrow;
	const ice_type *type;
	ice_parquet_write_options pq;
	ice_arena arena;
	ice_puffin_writer *puffin;
	char *puffin_loc;
	pending_dv *dvs;
	size_t ndvs;
	int counter;
	ice_delete_report *report;
	uint8_t *match, *keep;
	size_t bits_cap;
	bool (*select)(const ice_data_file *, void *); /* NULL: every file */
	void *select_payload;
} pass;

bool ice_rows__serializable(const ice_table_metadata *md, const char *property, ice_isolation isolation)
{
	if (isolation != ICE_ISOLATION_TABLE)
		return isolation == ICE_ISOLATION_SERIALIZABLE;
	const char *v = ice_table_metadata_property(md, property, "serializable");
	return !ice_str__ieq(v, strlen(v), "snapshot", 8);
}

static bool is_dv(const ice_data_file *f)
{
	return f->content == ICE_FILE_CONTENT_POSITION_DELETES && f->file_format &&
	       ice_str__ieq(f->file_format, strlen(f->file_format), "puffin", 6);
}

static bool bit(const uint8_t *b, int64_t i)
{
	return (b[i >> 3] >> (i & 7)) & 1;
}

/*
 * A new file "<uuid>-<n><suffix>" where the table's location provider puts
 * it (write/location.c): in the partition of the data file `like` under its
 * spec, or in no partition (a commit's Puffin file of deletion vectors) -
 * never next to the file it replaces, which may lie anywhere.
 */
static int new_location(pass *p, char **out, const ice_data_file *like, const char *suffix)
{
	const ice_partition_spec *spec = NULL;
	char name[160];
	snprintf(name, sizeof(name), "%s-%05d%s", ice_row_change__uuid(p->change), p->counter++, suffix);
	if (like) {
		spec = ice_table_metadata_spec_by_id(p->md, like->partition_spec_id);
		if (!spec || spec->nfields != like->n_partition)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "%s: partition spec %d with %zu fields is not in the table", like->file_path,
			                      like->partition_spec_id, like->n_partition);
	}
	return ice_write__new_file_location(out, p->md, spec, like ? like->partition : NULL, name);
}

/* A data or delete file entry from a written Parquet file's metrics. */
static int file_from_metrics(ice_arena *a, ice_data_file *df, const char *location, const ice_data_file *like,
                             const ice_parquet_file_metrics *m)
{
	size_t n = m->ncolumns;
	memset(df, 0, sizeof(*df));
	df->content = ICE_FILE_CONTENT_DATA;
	df->file_path = ice_arena__strdup(a, location);
	df->file_format = "PARQUET";
	df->partition_spec_id = like->partition_spec_id;
	df->n_partition = like->n_partition;
	df->partition = like->partition; /* copied by the change */
	df->record_count = m->record_count;
	df->file_size_in_bytes = m->file_size;
	ice_metric_count *sizes = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_count *values = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_count *nulls = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_count *nans = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_count));
	ice_metric_bound *lower = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_bound));
	ice_metric_bound *upper = ice_arena__allocarray(a, n + 1, sizeof(ice_metric_bound));
	int64_t *splits = ice_arena__allocarray(a, m->nsplit_offsets + 1, sizeof(int64_t));
	if (!df->file_path || !sizes || !values || !nulls || !nans || !lower || !upper || !splits)
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
			/* the bound payloads live in `m`, kept until the change copied them */
			memset(&lower[nb], 0, sizeof(lower[nb]));
			memset(&upper[nb], 0, sizeof(upper[nb]));
			lower[nb].field_id = upper[nb].field_id = c->field_id;
			lower[nb].value = c->lower_bound;
			upper[nb].value = c->upper_bound;
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
	return 0;
}

/* Bounds as the single-value bytes the manifest stores, in the pass's
 * arena: the metrics they came from are freed before the commit. */
static int serialize_bounds(ice_arena *a, ice_metric_bounds *b)
{
	ice_metric_bound *items = (ice_metric_bound *)b->items;
	for (size_t i = 0; i < b->n; i++) {
		ice_literal *v = &items[i].value;
		size_t len = 0;
		int rc = ice_literal_to_bytes(v, NULL, 0, &len);
		uint8_t *buf = rc ? NULL : ice_arena__alloc(a, len + 1);
		if (rc || !buf || (rc = ice_literal_to_bytes(v, buf, len, &len)) != 0)
			return rc ? rc : ICE_ERROR;
		items[i].bytes.data = buf;
		items[i].bytes.len = len;
		if (v->type == ICE_TYPE_STRING || v->type == ICE_TYPE_BINARY || v->type == ICE_TYPE_FIXED ||
		    v->type == ICE_TYPE_UUID) {
			v->v.bytes.data = buf; /* the same bytes */
		} else if (v->type == ICE_TYPE_GEOMETRY || v->type == ICE_TYPE_GEOGRAPHY) {
			memset(v, 0, sizeof(*v)); /* kept as bytes only */
			v->type = ICE_TYPE_INVALID;
		}
	}
	return 0;
}

int ice_rows__file_entry(ice_arena *a, ice_data_file *df, const char *location, const ice_data_file *like,
                         const ice_parquet_file_metrics *m)
{
	int rc = file_from_metrics(a, df, location, like, m);
	if (!rc && (rc = serialize_bounds(a, (ice_metric_bounds *)&df->lower_bounds)) == 0)
		rc = serialize_bounds(a, (ice_metric_bounds *)&df->upper_bounds);
	return rc;
}

void ice_rows__dv_entry(ice_data_file *df, const ice_data_file *f, const char *puffin, int64_t puffin_size,
                        int64_t cardinality, int64_t offset, int64_t length)
{
	memset(df, 0, sizeof(*df));
	df->content = ICE_FILE_CONTENT_POSITION_DELETES;
	df->file_path = puffin;
	df->file_format = "PUFFIN";
	df->partition_spec_id = f->partition_spec_id;
	df->n_partition = f->n_partition;
	df->partition = f->partition;
	df->record_count = cardinality;
	df->file_size_in_bytes = puffin_size;
	df->referenced_data_file = f->file_path;
	df->has_content_offset = df->has_content_size_in_bytes = true;
	df->content_offset = offset;
	df->content_size_in_bytes = length;
}

/* Drops `f` and its deletion vectors. */
static int remove_whole(pass *p, const ice_scan_task *t)
{
	int rc = ice_row_change__remove_data(p->change, t->file);
	for (size_t i = 0; i < t->ndeletes && !rc; i++) {
		const ice_data_file *d = t->deletes[i].file;
		if (is_dv(d) && d->referenced_data_file && !strcmp(d->referenced_data_file, t->file->file_path))
			rc = ice_row_change__remove_delete(p->change, d);
	}
	p->report->files_removed++;
	return rc;
}

/* match: a byte per row (what ice_expr_eval_batch takes); keep: a bitmap. */
static int grow_bits(pass *p, int64_t n)
{
	size_t bytes = (size_t)n + 8;
	if (bytes <= p->bits_cap)
		return 0;
	uint8_t *m = ice__realloc(p->match, bytes), *k = m ? ice__realloc(p->keep, bytes) : NULL;
	if (m)
		p->match = m;
	if (!k)
		return ICE_ERROR;
	p->keep = k;
	p->bits_cap = bytes;
	return 0;
}

/* The kept rows of a batch as a new batch. */
static int take_rows(pass *p, const struct ArrowArray *b, int64_t kept, struct ArrowArray *out)
{
	int64_t nc = b->n_children;
	struct ArrowArray *kids = ice__calloc((size_t)(nc ? nc : 1), sizeof(*kids));
	void *none[1] = {NULL};
	int rc = 0;
	if (!kids)
		return ICE_ERROR;
	for (int64_t i = 0; i < nc && !rc; i++)
		if ((rc = ice_read__array_take(&kids[i], p->arrow.children[i], b->children[i], 0, b->length, p->keep)) != 0)
			for (int64_t j = 0; j < i; j++)
				ice_arrow_array_release(&kids[j]);
	if (!rc)
		rc = ice_arrow__array_make(out, kept, 0, 0, 1, none, 0, (int)nc, kids, NULL);
	ice__free(kids);
	return rc;
}

static int flush_positions(col_builder *cb, ice_parquet_writer *w)
{
	struct ArrowArray a;
	struct ArrowSchema s;
	int rc = ice_columns__finish(cb, &a, &s);
	if (!rc) {
		rc = ice_parquet_writer_write(w, &a, &s);
		a.release(&a);
		s.release(&s);
	}
	return rc;
}

int ice_rows__write_positions(ice_parquet_file_metrics **out, ice_row_change *track, const ice_io *io,
                              const char *location,
                              const ice_parquet_write_options *opts, const char *const *paths,
                              const ice_deletion_vector *const *dvs, size_t n)
{
	static const char pos_json[] =
	    "{\"type\":\"struct\",\"fields\":[{\"id\":2147483546,\"name\":\"file_path\",\"required\":true,\"type\":"
	    "\"string\"},{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";
	ice_parquet_write_options pq = *opts;
	ice_parquet_writer *w = NULL;
	ice_schema *schema = NULL;
	col_builder cb;
	int rc;
	*out = NULL;
	pq.metrics_truncate_length = 1 << 20; /* whole paths: readers match them */
	if ((rc = ice_schema_from_json(&schema, pos_json, sizeof(pos_json) - 1, "position deletes")) != 0)
		return rc;
	const ice_type *type = ice_schema_struct(schema);
	if ((rc = ice_columns__init_struct(&cb, type)) != 0) {
		ice_schema_free(schema);
		return rc;
	}
	if ((rc = ice_parquet_writer_open(&w, io, location, type, &pq)) == 0)
		rc = ice_row_change__track(track, location);
	for (size_t i = 0; i < n && !rc; i++) {
		ice_literal path = ice_literal_string(paths[i], strlen(paths[i]));
		for (int64_t pos = ice_deletion_vector_next(dvs[i], 0); !rc && pos >= 0;
		     pos = ice_deletion_vector_next(dvs[i], pos + 1)) {
			ice_literal lp = ice_literal_long(pos);
			const ice_literal *row[2] = {&path, &lp};
			if ((rc = ice_columns__append_row(&cb, row)) == 0 && ice_columns__rows(&cb) >= 65536)
				rc = flush_positions(&cb, w);
		}
	}
	if (!rc && ice_columns__rows(&cb) > 0)
		rc = flush_positions(&cb, w);
	ice_columns__free(&cb);
	if (rc) {
		if (w)
			ice_parquet_writer_abort(w);
	} else {
		rc = ice_parquet_writer_close(w, out);
	}
	ice_schema_free(schema);
	return rc;
}

/* v2: the matching positions as a position delete file (file_path, pos; sorted, with referenced_data_file). */
static int write_position_deletes(pass *p, const ice_data_file *f, const ice_deletion_vector *dv)
{
	ice_parquet_file_metrics *m = NULL;
	char *loc = NULL;
	int rc;
	if ((rc = new_location(p, &loc, f, "-deletes.parquet")) != 0)
		return rc;
	if ((rc = ice_rows__write_positions(&m, p->change, p->io, loc, &p->pq, &f->file_path, &dv, 1)) == 0) {
		ice_data_file df;
		if ((rc = ice_rows__file_entry(&p->arena, &df, loc, f, m)) == 0) {
			df.content = ICE_FILE_CONTENT_POSITION_DELETES;
			df.referenced_data_file = f->file_path;
			rc = ice_row_change__add_delete(p->change, &df);
		}
	}
	ice_parquet_file_metrics_free(m);
	ice__free(loc);
	if (!rc)
		p->report->delete_files_added++;
	return rc;
}

/* v3: the vector goes into the commit's Puffin file; entries once it is closed. */
static int add_dv(pass *p, const ice_data_file *f, const ice_deletion_vector *dv)
{
	int rc;
	if (!p->puffin) {
		if ((rc = new_location(p, &p->puffin_loc, NULL, "-dv.puffin")) != 0)
			return rc;
		if ((rc = ice_puffin_writer_open(&p->puffin, p->io, p->puffin_loc)) != 0 ||
		    (rc = ice_row_change__track(p->change, p->puffin_loc)) != 0)
			return rc;
	}
	pending_dv *d = ice__reallocarray(p->dvs, p->ndvs + 1, sizeof(*d));
	if (!d)
		return ICE_ERROR;
	p->dvs = d;
	d = &p->dvs[p->ndvs];
	memset(d, 0, sizeof(*d));
	if ((rc = ice_data_file_copy(&d->copy, f)) != 0)
		return rc;
	p->ndvs++;
	d->cardinality = ice_deletion_vector_cardinality(dv);
	rc = ice_puffin_writer_add_deletion_vector(p->puffin, dv, f->file_path, &d->offset, &d->length);
	if (!rc)
		p->report->delete_files_added++;
	return rc;
}

static int finish_dvs(pass *p)
{
	uint64_t size = 0;
	int rc;
	if (!p->puffin)
		return 0;
	rc = ice_puffin_writer_close(p->puffin, false, &size);
	p->puffin = NULL;
	for (size_t i = 0; i < p->ndvs && !rc; i++) {
		ice_data_file df;
		ice_rows__dv_entry(&df, p->dvs[i].copy, p->puffin_loc, (int64_t)size, p->dvs[i].cardinality,
		                   p->dvs[i].offset, p->dvs[i].length);
		rc = ice_row_change__add_delete(p->change, &df);
	}
	return rc;
}

/* Reads a data file row by row and removes its matching rows. */
static int rewrite_file(pass *p, const ice_scan_task *t)
{
	const ice_data_file *f = t->file;
	ice_scan_task mine = *t;
	ice_scan_reader *r = NULL;
	ice_parquet_writer *w = NULL;
	ice_deletion_vector *dv = NULL, *dead = NULL;
	char *loc = NULL;
	int64_t live = 0, matched = 0;
	int rc;
	mine.residual = NULL;
	if ((rc = ice_scan_task_open(&r, p->all, &mine)) != 0)
		return rc;
	if (p->mor) {
		if ((rc = ice_deletion_vector_new(&dv)) != 0 || (p->version >= 3 && (rc = ice_deletion_vector_new(&dead)) != 0))
			goto done;
	} else {
		if ((rc = new_location(p, &loc, f, ".parquet")) != 0)
			goto done;
		if ((rc = ice_parquet_writer_open(&w, p->io, loc, p->type, &p->pq)) != 0)
			goto done;
	}
	for (;;) {
		struct ArrowArray b;
		int64_t first;
		const uint8_t *alive;
		if ((rc = ice_scan_reader_next_all(r, &b, &first, &alive)) != 0)
			break;
		int64_t n = b.length, kept = 0;
		if ((rc = grow_bits(p, n)) == 0) {
			memset(p->match, 1, (size_t)n); /* one byte per row */
			memset(p->keep, 0, (size_t)(n + 7) / 8 + 1);
			if (p->filter)
				rc = ice_expr_eval_batch(p->filter, p->type, &b, &p->arrow, p->match);
		}
		for (int64_t i = 0; i < n && !rc; i++) {
			bool l = bit(alive, i), m = l && p->match[i];
			live += l;
			matched += m;
			if (l && !m) {
				p->keep[i >> 3] |= (uint8_t)(1u << (i & 7));
				kept++;
			}
			if (m && dv)
				rc = ice_deletion_vector_add(dv, first + i);
			else if (!l && dead)
				rc = ice_deletion_vector_add(dead, first + i);
		}
		if (!rc && w && kept) {
			struct ArrowArray kb;
			if ((rc = take_rows(p, &b, kept, &kb)) == 0) {
				rc = ice_parquet_writer_write(w, &kb, &p->arrow);
				ice_arrow_array_release(&kb);
			}
		}
		ice_arrow_array_release(&b);
		if (rc)
			break;
	}
	if (rc != ICE_ITEROVER)
		goto done;
	rc = 0;
	p->report->rows_deleted += matched;
	if (matched == 0)
		goto done; /* the writer is aborted below */
	if (matched == live) {
		rc = remove_whole(p, t);
	} else if (w) {
		ice_parquet_file_metrics *m = NULL;
		ice_data_file df;
		rc = ice_parquet_writer_close(w, &m);
		w = NULL;
		if (!rc && (rc = ice_row_change__track(p->change, loc)) == 0 &&
		    (rc = ice_rows__file_entry(&p->arena, &df, loc, f, m)) == 0 && (rc = ice_row_change__add_data(p->change, &df)) == 0 && (rc = remove_whole(p, t)) == 0) {
			p->report->files_rewritten++;
			p->report->files_added++;
		}
		ice_parquet_file_metrics_free(m);
	} else {
		if ((rc = ice_row_change__reference(p->change, f)) != 0)
			goto done;
		if (p->version >= 3) {
			/* one vector per data file: the new one holds every deleted row */
			if ((rc = ice_deletion_vector_merge(dv, dead)) == 0 && (rc = add_dv(p, f, dv)) == 0)
				for (size_t i = 0; i < t->ndeletes && !rc; i++) {
					const ice_data_file *d = t->deletes[i].file;
					if (is_dv(d) && d->referenced_data_file && !strcmp(d->referenced_data_file, f->file_path))
						rc = ice_row_change__remove_delete(p->change, d);
				}
		} else {
			rc = write_position_deletes(p, f, dv);
		}
	}
done:
	if (w)
		ice_parquet_writer_abort(w);
	ice_deletion_vector_free(dv);
	ice_deletion_vector_free(dead);
	ice_scan_reader_free(r);
	ice__free(loc);
	return rc;
}

/* Live rows of a file dropped whole, for the report. */
static int count_live(pass *p, const ice_scan_task *t, int64_t *out)
{
	int64_t dv_rows = 0;
	bool other = false;
	*out = t->file->record_count;
	for (size_t i = 0; i < t->ndeletes; i++) {
		if (is_dv(t->deletes[i].file))
			dv_rows += t->deletes[i].file->record_count;
		else
			other = true;
	}
	if (!other) {
		*out -= dv_rows;
		return 0;
	}
	ice_scan_task mine = *t;
	ice_scan_reader *r;
	struct ArrowArray b;
	int64_t first, n = 0;
	const uint8_t *alive;
	int rc;
	mine.residual = NULL;
	if ((rc = ice_scan_task_open(&r, p->all, &mine)) != 0)
		return rc;
	while ((rc = ice_scan_reader_next_all(r, &b, &first, &alive)) == 0) {
		for (int64_t i = 0; i < b.length; i++)
			n += bit(alive, i);
		ice_arrow_array_release(&b);
	}
	ice_scan_reader_free(r);
	*out = n;
	return rc == ICE_ITEROVER ? 0 : rc;
}

static int process(pass *p, const ice_scan_task *t)
{
	bool whole = !p->filter || !t->residual;
	int rc;
	if (p->select && !p->select(t->file, p->select_payload))
		return 0;
	if (!whole && (rc = ice_expr_file_must_match(p->filter, t->file, &whole)) != 0)
		return rc;
	if (!whole)
		return rewrite_file(p, t);
	int64_t live;
	if ((rc = count_live(p, t, &live)) != 0)
		return rc;
	p->report->rows_deleted += live;
	return remove_whole(p, t);
}

static int run(ice_table *table, ice_row_change *change, const ice_expr *filter, ice_delete_mode mode,
               bool (*select)(const ice_data_file *, void *), void *payload, ice_delete_report *report)
{
	const ice_table_metadata *md = ice_table_current(table);
	const ice_properties *props = ice_table_metadata_properties(md);
	ice_scan_options so;
	ice_scan *planned = NULL;
	ice_scan_planner *planner = NULL;
	const ice_scan_task *t;
	pass p;
	int rc = 0;
	memset(&p, 0, sizeof(p));
	p.table = table;
	p.md = md;
	p.io = ice_table_io(table);
	p.change = change;
	p.filter = filter;
	p.mor = mode == ICE_DELETE_MERGE_ON_READ;
	p.version = ice_table_metadata_format_version(md);
	p.report = report;
	p.select = select;
	p.select_payload = payload;
	ice_arena__init(&p.arena, 8192);
	ice_parquet_write_options_init(&p.pq);
	for (size_t i = 0; i < props->n && !rc; i++)
		if ((rc = ice_parquet_write_options_set(&p.pq, props->items[i].key, props->items[i].value)) != 0)
			ice_error__prefix("table property %s", props->items[i].key);
	ice_scan_options_init(&so);
	so.row_lineage = p.version >= 3; /* rows copied keep their lineage */
	if (!rc && (rc = ice_scan_new(&p.all, p.io, md, &so)) == 0 && (rc = ice_scan_arrow_schema(p.all, &p.arrow)) == 0) {
		p.type = ice_scan_projected_type(p.all);
		so.filter_expr = filter;
		if ((rc = ice_scan_new(&planned, p.io, md, &so)) == 0)
			rc = ice_scan_plan_open(&planner, planned);
	}
	while (!rc && (rc = ice_scan_plan_next(planner, &t)) == 0)
		rc = process(&p, t);
	if (rc == ICE_ITEROVER)
		rc = 0;
	if (!rc)
		rc = finish_dvs(&p);
	else if (p.puffin)
		ice_puffin_writer_abort(p.puffin);
	ice_scan_plan_free(planner);
	ice_scan_free(planned);
	ice_scan_free(p.all);
	if (p.arrow.release)
		p.arrow.release(&p.arrow);
	for (size_t i = 0; i < p.ndvs; i++)
		ice_data_file_free(p.dvs[i].copy);
	ice__free(p.dvs);
	ice__free(p.puffin_loc);
	ice__free(p.match);
	ice__free(p.keep);
	ice_arena__free(&p.arena);
	return rc;
}

int ice_rows__remove_matching(ice_table *table, ice_row_change *change, const ice_expr *filter, ice_delete_mode mode,
                              ice_delete_report *report)
{
	return run(table, change, filter, mode, NULL, NULL, report);
}

int ice_rows__remove_files(ice_table *table, ice_row_change *change, bool (*select)(const ice_data_file *, void *),
                           void *payload, ice_delete_report *report)
{
	return run(table, change, NULL, ICE_DELETE_COPY_ON_WRITE, select, payload, report);
}

/* ---- ice delete --------------------------------------------------------------------------------- */

void ice_delete_options_init(ice_delete_options *o)
{
	memset(o, 0, sizeof(*o));
	o->case_sensitive = true;
}

int ice_table_delete_where(ice_table *table, const char *filter, const ice_delete_options *opts,
                           const ice_commit_options *commit_opts, ice_delete_report *report, ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(table);
	ice_delete_options defaults;
	ice_delete_report rep;
	ice_expr *parsed = NULL, *bound = NULL;
	ice_row_change *change = NULL;
	ice_commit_result res = {ICE_COMMIT_SUCCEEDED, 0, 0, 0};
	bool committing = false;
	int rc;
	if (!opts) {
		ice_delete_options_init(&defaults);
		opts = &defaults;
	}
	int64_t start = ice_table__elapsed_ms(0);
	memset(&rep, 0, sizeof(rep));
	rep.operation = "delete";
	if (ice_table_idempotency_done(table, NULL, commit_opts, &res)) {
		rc = 0;
		goto done;
	}
	ice_delete_mode mode = opts->mode;
	if (mode == ICE_DELETE_MODE_TABLE) {
		const char *m = ice_table_metadata_property(md, "write.delete.mode", "copy-on-write");
		mode = ice_str__ieq(m, strlen(m), "merge-on-read", 13) ? ICE_DELETE_MERGE_ON_READ : ICE_DELETE_COPY_ON_WRITE;
	}
	if (mode == ICE_DELETE_MERGE_ON_READ && ice_table_metadata_format_version(md) < 2) {
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_COMMIT,
		                    "%s: merge-on-read deletes need format version 2 (ice alter --format-version 2)",
		                    ice_table_identifier(table));
		goto done;
	}
	if (!filter || !*filter) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "delete: a filter is required (use 'true' for every row)");
		goto done;
	}
	if ((rc = ice_expr_parse(&parsed, filter)) != 0 ||
	    (rc = ice_expr_bind(&bound, parsed, ice_schema_struct(ice_table_metadata_current_schema(md)),
	                        opts->case_sensitive)) != 0)
		goto done;
	if ((rc = ice_row_change__new(&change, table, ice_table_metadata_current_snapshot(md))) != 0)
		goto done;
	if (!ice_table_metadata_current_snapshot(md))
		goto done; /* nothing to delete */
	ice_row_change__validate(change, bound,
	                         ice_rows__serializable(md, "write.delete.isolation-level", opts->isolation));
	if ((rc = ice_rows__remove_matching(table, change, bound, mode, &rep)) != 0 || ice_row_change__empty(change))
		goto done;
	committing = true;
	rep.bytes_written = ice_row_change__bytes_added(change);
	rep.write_ms = ice_table__elapsed_ms(start);
	rc = ice_row_change__commit(change, commit_opts, &res);
	rep.commit_ms = res.elapsed_ms;
	if (!rc && res.state == ICE_COMMIT_SUCCEEDED) {
		rep.committed = true;
		rep.snapshot_id = ice_row_change__snapshot_id(change);
		rep.operation = rep.files_added ? "overwrite" : "delete";
	}
done:
	if (rc && !committing) {
		res.state = ICE_COMMIT_FAILED;
		if (change)
			ice_row_change__abandon(change);
	}
	ice_row_change__free(change);
	ice_expr_free(parsed);
	ice_expr_free(bound);
	if (report)
		*report = rep;
	if (result)
		*result = res;
	return rc;
}
