/*
 * parquet/reader.c - the public reader (ice/parquet.h): opening a file
 * (magic bytes, footer length, FileMetaData), the accessors over its schema,
 * row groups and column chunks, and scans that turn row groups into Arrow
 * batches with projection, row-group selection and skipping, and row ranges.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "internal.h"

#define MAX_FOOTER_BYTES ((uint64_t)1 << 30)
#define SPECULATIVE_TAIL ((uint64_t)64 << 10)
#define DEFAULT_BATCH 65536

static int fail_footer(const char *file, uint64_t off, const char *what)
{
	return PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: %s", file, (unsigned long long)off, what);
}

static int export_row_groups(ice_parquet_reader *r)
{
	const pq_file_meta *m = &r->meta;
	const pq_schema *s = &r->schema;
	int64_t first = 0;
	r->row_groups = ice_arena__allocarray(&r->arena, m->nrow_groups ? m->nrow_groups : 1,
	                                      sizeof(ice_parquet_row_group));
	if (!r->row_groups)
		return ICE_ERROR;
	for (size_t g = 0; g < m->nrow_groups; g++) {
		const pq_row_group_meta *rg = &m->row_groups[g];
		ice_parquet_row_group *o = &r->row_groups[g];
		if (rg->num_rows < 0)
			return fail_footer(r->location, m->footer_offset, "row group with a negative row count");
		if (rg->ncolumns != s->nleaves) {
			char what[128];
			snprintf(what, sizeof(what), "row group %zu has %zu column chunks for %zu columns", g, rg->ncolumns,
			         s->nleaves);
			return fail_footer(r->location, m->footer_offset, what);
		}
		o->num_rows = rg->num_rows;
		o->first_row = first;
		if (__builtin_add_overflow(first, rg->num_rows, &first))
			return fail_footer(r->location, m->footer_offset, "row counts overflow");
		o->total_byte_size = rg->total_byte_size;
		o->ncolumns = rg->ncolumns;
		ice_parquet_column_chunk *cc =
		    ice_arena__allocarray(&r->arena, rg->ncolumns ? rg->ncolumns : 1, sizeof(*cc));
		if (!cc)
			return ICE_ERROR;
		int64_t total = 0, start = INT64_MAX;
		for (size_t c = 0; c < rg->ncolumns; c++) {
			const pq_chunk_meta *cm = &rg->columns[c];
			const pq_leaf *leaf = &s->leaves[c];
			cc[c].column = leaf->col;
			if (!cm->has_meta) {
				if (cm->encrypted)
					continue;
				return PQ_ERR(ICE_EINVALID, "%s: %s: offset %llu: column chunk without metadata", r->location,
				              leaf->col->path, (unsigned long long)m->footer_offset);
			}
			if (cm->type != leaf->type)
				return PQ_ERR(ICE_EINVALID, "%s: %s: offset %llu: column chunk of type %s for a %s column",
				              r->location, leaf->col->path, (unsigned long long)m->footer_offset,
				              ice_parquet_physical_type_name(cm->type),
				              ice_parquet_physical_type_name(leaf->type));
			cc[c].codec = cm->codec;
			cc[c].nencodings = cm->nencodings;
			cc[c].encodings = cm->encodings;
			cc[c].num_values = cm->num_values;
			cc[c].total_compressed_size = cm->total_compressed_size;
			cc[c].total_uncompressed_size = cm->total_uncompressed_size;
			cc[c].data_page_offset = cm->data_page_offset;
			cc[c].dictionary_page_offset = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : -1;
			cc[c].has_statistics = cm->has_stats;
			if (cm->has_stats) {
				size_t ei = ice_parquet__node_index(s, leaf->col);
				bool type_order = c < m->ncolumn_orders && m->column_orders[c] == 1;
				ice_parquet__stats_export(&cc[c].statistics, &cm->stats, leaf, &m->elements[ei], type_order);
			} else {
				cc[c].statistics.min_value = ice_literal_null(ICE_TYPE_INVALID);
				cc[c].statistics.max_value = ice_literal_null(ICE_TYPE_INVALID);
			}
			int64_t cs = cm->data_page_offset;
			if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
			    cm->dictionary_page_offset < cs)
				cs = cm->dictionary_page_offset;
			if (cs < start)
				start = cs;
			total += cm->total_compressed_size;
		}
		o->columns = cc;
		o->total_compressed_size = rg->has_total_compressed_size ? rg->total_compressed_size : total;
		o->file_offset = start != INT64_MAX ? start : (rg->has_file_offset ? rg->file_offset : 4);
	}
	return 0;
}

/* "parquet-mr version 1.2.8 (...)" or a bare "parquet-mr": before the
 * PARQUET-816 fix (1.2.9)? */
static bool legacy_parquet_mr(const char *created_by)
{
	int a = 0, b = 0, c = 0;
	if (!created_by || strncmp(created_by, "parquet-mr", 10) != 0)
		return false;
	if (sscanf(created_by, "parquet-mr version %d.%d.%d", &a, &b, &c) != 3)
		return true;
	return a < 1 || (a == 1 && (b < 2 || (b == 2 && c < 9)));
}

int ice_parquet_reader_open_sized(ice_parquet_reader **out, const ice_io *io, const char *location,
                                  int64_t file_size)
{
	ice_input *in;
	*out = NULL;
	/* The footer first: an object store fetches the last 64 KiB at once. */
	int rc = ice_io__open_input_ex(&in, io, location, file_size >= 0 ? (uint64_t)file_size : ICE_IO_SIZE_UNKNOWN,
	                               ICE_IO_TAIL);
	if (rc)
		return rc;
	if ((rc = ice_parquet__reader_open_input(out, in, location)) != 0)
		ice_error__oom_in("%s", location);
	return rc;
}

int ice_parquet_reader_open(ice_parquet_reader **out, const ice_io *io, const char *location)
{
	return ice_parquet_reader_open_sized(out, io, location, -1);
}

int ice_parquet__reader_open_input(ice_parquet_reader **out, ice_input *in, const char *location)
{
	ice_parquet_reader *r;
	uint8_t tail[8], head[4];
	int rc;
	*out = NULL;
	if (!(r = ice__calloc(1, sizeof(*r)))) {
		ice_input__close(in);
		return ICE_ERROR;
	}
	ice_arena__init(&r->arena, 16384);
	r->in = in;
	if (!(r->location = ice__strdup(location))) {
		rc = ICE_ERROR;
		goto fail;
	}
	r->file_size = r->in->size;
	if (r->file_size < 12) {
		rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset 0: file of %llu bytes is too short for Parquet", location,
		            (unsigned long long)r->file_size);
		goto fail;
	}
	/*
	 * The last 64 KiB (or the whole file) in one read: the magic, the
	 * footer length and, for most files, the whole footer. The leading
	 * magic is checked when it comes free (in that read, or a local file);
	 * on an object store it would cost a request of its own, and the
	 * trailing magic and a footer that parses say as much.
	 */
	uint64_t tail_len = r->file_size < SPECULATIVE_TAIL ? r->file_size : SPECULATIVE_TAIL;
	uint8_t *tail_buf = ice__malloc((size_t)tail_len);
	if (!tail_buf) {
		rc = ICE_ERROR;
		goto fail;
	}
	if ((rc = ice_input__read_at(r->in, r->file_size - tail_len, tail_buf, (size_t)tail_len)) != 0) {
		ice__free(tail_buf);
		goto fail;
	}
	memcpy(tail, tail_buf + tail_len - 8, 8);
	if (tail_len == r->file_size)
		memcpy(head, tail_buf, 4);
	else if (!r->in->remote && (rc = ice_input__read_at(r->in, 0, head, 4)) != 0) {
		ice__free(tail_buf);
		goto fail;
	} else if (r->in->remote)
		memcpy(head, "PAR1", 4);
	if (!memcmp(tail + 4, "PARE", 4)) {
		ice__free(tail_buf);
		rc = PQ_ERR(ICE_EUNSUPPORTED, "%s: footer: offset %llu: encrypted footers are not supported", location,
		            (unsigned long long)(r->file_size - 4));
		goto fail;
	}
	if (memcmp(tail + 4, "PAR1", 4) != 0) {
		ice__free(tail_buf);
		rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: no PAR1 magic at the end of the file", location,
		            (unsigned long long)(r->file_size - 4));
		goto fail;
	}
	if (memcmp(head, "PAR1", 4) != 0) {
		ice__free(tail_buf);
		rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset 0: no PAR1 magic at the start of the file", location);
		goto fail;
	}
	uint32_t flen = pq_load32(tail);
	if ((uint64_t)flen > r->file_size - 12 || flen > MAX_FOOTER_BYTES || flen == 0) {
		ice__free(tail_buf);
		rc = PQ_ERR(ICE_EINVALID, "%s: footer: offset %llu: footer length %u does not fit the file of %llu bytes",
		            location, (unsigned long long)(r->file_size - 8), flen, (unsigned long long)r->file_size);
		goto fail;
	}
	uint64_t foff = r->file_size - 8 - flen;
	if (!(r->footer = ice__malloc(flen))) {
		ice__free(tail_buf);
		rc = ICE_ERROR;
		goto fail;
	}
	r->footer_len = flen;
	if ((uint64_t)flen + 8 <= tail_len) {
		memcpy(r->footer, tail_buf + (tail_len - 8 - flen), flen);
		ice__free(tail_buf);
	} else {
		ice__free(tail_buf);
		if ((rc = ice_input__read_at(r->in, foff, r->footer, flen)) != 0)
			goto fail;
	}
	tc_reader t;
	if (ice_parquet__parse_file_meta(&r->meta, r->footer, flen, foff, &r->arena, &t) != 0) {
		if (ice_error__is_oom()) {
			rc = ICE_ERROR;
			goto fail;
		}
		rc = fail_footer(location, t.err_off, t.what ? t.what : "malformed FileMetaData");
		goto fail;
	}
	r->meta.legacy_chunk_sizes = legacy_parquet_mr(r->meta.created_by);
	r->meta.footer_offset = foff;
	if ((rc = ice_parquet__schema_build(&r->schema, &r->meta, location, &r->arena)) != 0)
		goto fail;
	/* columns found by field id in constant time: 200,000 columns stay linear */
	ice_map__init(&r->node_by_path, true);
	for (size_t i = 1; i < r->schema.nnodes && !rc; i++) {
		ice_parquet_column *c = r->schema.nodes[i];
		if (c->has_field_id && !ice_map__get_int(&r->node_by_field_id, c->field_id, NULL))
			rc = ice_map__put_int(&r->node_by_field_id, c->field_id, c);
		if (!rc && !ice_map__get_str(&r->node_by_path, c->path, strlen(c->path), NULL))
			rc = ice_map__put_str(&r->node_by_path, c->path, strlen(c->path), c);
	}
	if (rc)
		goto fail;
	if ((rc = export_row_groups(r)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	ice_parquet_reader_free(r);
	return rc;
}

void ice_parquet_reader_free(ice_parquet_reader *r)
{
	if (!r)
		return;
	if (r->in)
		ice_input__close(r->in);
	ice__free(r->footer);
	ice__free(r->location);
	ice_arena__free(&r->arena);
	ice_map__free(&r->node_by_field_id);
	ice_map__free(&r->node_by_path);
	ice__free(r);
}

const char *ice_parquet_reader_location(const ice_parquet_reader *r)
{
	return r->location;
}
uint64_t ice_parquet_reader_file_size(const ice_parquet_reader *r)
{
	return r->file_size;
}
int64_t ice_parquet_reader_num_rows(const ice_parquet_reader *r)
{
	return r->meta.num_rows;
}
int32_t ice_parquet_reader_version(const ice_parquet_reader *r)
{
	return r->meta.version;
}
const char *ice_parquet_reader_created_by(const ice_parquet_reader *r)
{
	return r->meta.created_by;
}
size_t ice_parquet_reader_key_value_count(const ice_parquet_reader *r)
{
	return r->meta.nkv;
}
const ice_parquet_key_value *ice_parquet_reader_key_value(const ice_parquet_reader *r, size_t i)
{
	return i < r->meta.nkv ? &r->meta.kv[i] : NULL;
}
const ice_parquet_column *ice_parquet_reader_root(const ice_parquet_reader *r)
{
	return r->schema.root;
}
size_t ice_parquet_reader_leaf_count(const ice_parquet_reader *r)
{
	return r->schema.nleaves;
}
const ice_parquet_column *ice_parquet_reader_leaf(const ice_parquet_reader *r, size_t i)
{
	return i < r->schema.nleaves ? r->schema.leaves[i].col : NULL;
}
const ice_type *ice_parquet_reader_iceberg_schema(const ice_parquet_reader *r)
{
	return r->schema.iceberg;
}
size_t ice_parquet_reader_row_group_count(const ice_parquet_reader *r)
{
	return r->meta.nrow_groups;
}
const ice_parquet_row_group *ice_parquet_reader_row_group(const ice_parquet_reader *r, size_t i)
{
	return i < r->meta.nrow_groups ? &r->row_groups[i] : NULL;
}

const ice_parquet_column *ice_parquet_reader_column_by_field_id(const ice_parquet_reader *r, int32_t id)
{
	void *node;
	return ice_map__get_int(&r->node_by_field_id, id, &node) ? node : NULL;
}

const ice_parquet_column *ice_parquet_reader_column_by_path(const ice_parquet_reader *r, const char *path)
{
	void *node;
	return ice_map__get_str(&r->node_by_path, path, strlen(path), &node) ? node : NULL;
}

/* ---- scans ---------------------------------------------------------------------- */

struct ice_parquet_scan {
	ice_parquet_reader *r;
	ice_arena arena;
	ice_parquet_scan_options opts;
	int *leaf_map;        /* schema leaf -> scan column, -1 if not read */
	size_t ncols;
	size_t *leaf_of;      /* scan column -> schema leaf */
	const pq_leaf **leaves;
	pq_anode root;
	size_t *rgs;
	signed char *rg_filtered; /* per entry of rgs: 0 not asked yet, 1 read, 2 skipped, -1 the filter failed */
	size_t nrgs, rg_pos;
	bool in_rg;
	size_t cur_rg;
	pq_colreader **readers;
	pq_batch_col *cols;
	int64_t *offsets;
	int64_t row;          /* file position of the next row */
	int64_t rg_end;       /* file position after the current row group */
	size_t rg_batch;      /* rows per batch in this row group */
	bool failed;
	char *last_error;     /* for the stream interface */
	/* parallel decoding of one batch's columns */
	size_t batch_rows;
	_Atomic size_t next_col;
	int *col_rc;
	char (*col_msg)[512];
	ice_arrow_pool *pool;
};

void ice_parquet_scan_options_init(ice_parquet_scan_options *o)
{
	memset(o, 0, sizeof(*o));
	o->row_end = -1;
}

static void mark_leaves(const ice_parquet_column *c, bool *sel)
{
	if (c->leaf_index >= 0)
		sel[c->leaf_index] = true;
	for (size_t i = 0; i < c->nchildren; i++)
		mark_leaves(&c->children[i], sel);
}


static void select_node(const ice_parquet_reader *r, const ice_parquet_column *c, bool *sel)
{
	mark_leaves(c, sel);
	/* an Arrow map needs its keys and values together */
	for (const ice_parquet_column *p = c->parent; p; p = p->parent) {
		const pq_element *e = &r->meta.elements[ice_parquet__node_index(&r->schema, p)];
		const ice_parquet_column *kv = ice_parquet__is_map(e) ? ice_parquet__map_entries(p) : NULL;
		if (kv)
			mark_leaves(kv, sel);
	}
}

static void close_row_group(ice_parquet_scan *s)
{
	if (s->readers)
		for (size_t i = 0; i < s->ncols; i++) {
			ice_parquet__colreader_free(s->readers[i]);
			s->readers[i] = NULL;
		}
	s->in_rg = false;
}

void ice_parquet_scan_free(ice_parquet_scan *s)
{
	if (!s)
		return;
	close_row_group(s);
	if (s->cols)
		for (size_t i = 0; i < s->ncols; i++)
			ice_parquet__batch_col_free(&s->cols[i]);
	ice__free(s->readers);
	ice__free(s->cols);
	ice__free(s->col_msg);
	ice_arrow__pool_release(s->pool);
	ice__free(s->last_error);
	ice_arena__free(&s->arena);
	ice__free(s);
}

int ice_parquet_scan_open(ice_parquet_scan **out, ice_parquet_reader *r, const ice_parquet_scan_options *opts)
{
	ice_parquet_scan *s;
	int rc = ICE_ERROR;
	size_t nl = r->schema.nleaves;
	*out = NULL;
	if (!(s = ice__calloc(1, sizeof(*s))))
		return ICE_ERROR;
	ice_arena__init(&s->arena, 4096);
	s->r = r;
	if (opts)
		s->opts = *opts;
	else
		ice_parquet_scan_options_init(&s->opts);
	if (s->opts.batch_size == 0)
		s->opts.batch_size = DEFAULT_BATCH;
	bool *sel = ice_arena__allocarray(&s->arena, nl ? nl : 1, sizeof(bool));
	s->leaf_map = ice_arena__allocarray(&s->arena, nl ? nl : 1, sizeof(int));
	if (!sel || !s->leaf_map)
		goto fail;
	if (s->opts.nfield_ids == 0 && s->opts.ncolumns == 0) {
		for (size_t i = 0; i < nl; i++)
			sel[i] = true;
	}
	for (size_t i = 0; i < s->opts.nfield_ids; i++) {
		const ice_parquet_column *c = ice_parquet_reader_column_by_field_id(r, s->opts.field_ids[i]);
		if (!c) {
			rc = PQ_ERR(ICE_ENOTFOUND, "%s: no column with field id %d", r->location, (int)s->opts.field_ids[i]);
			goto fail;
		}
		select_node(r, c, sel);
	}
	for (size_t i = 0; i < s->opts.ncolumns; i++) {
		const ice_parquet_column *c = ice_parquet_reader_column_by_path(r, s->opts.columns[i]);
		if (!c) {
			rc = PQ_ERR(ICE_ENOTFOUND, "%s: no column named %s", r->location, s->opts.columns[i]);
			goto fail;
		}
		select_node(r, c, sel);
	}
	for (size_t i = 0; i < nl; i++)
		s->leaf_map[i] = sel[i] ? (int)s->ncols++ : -1;
	s->leaf_of = ice_arena__allocarray(&s->arena, s->ncols ? s->ncols : 1, sizeof(size_t));
	s->leaves = ice_arena__allocarray(&s->arena, s->ncols ? s->ncols : 1, sizeof(pq_leaf *));
	s->offsets = ice_arena__allocarray(&s->arena, s->ncols ? s->ncols : 1, sizeof(int64_t));
	s->readers = ice__calloc(s->ncols ? s->ncols : 1, sizeof(pq_colreader *));
	s->cols = ice__calloc(s->ncols ? s->ncols : 1, sizeof(pq_batch_col));
	s->col_rc = ice_arena__allocarray(&s->arena, s->ncols ? s->ncols : 1, sizeof(int));
	s->col_msg = s->opts.threads > 1 ? ice__calloc(s->ncols ? s->ncols : 1, sizeof(*s->col_msg)) : NULL;
	if (!s->leaf_of || !s->leaves || !s->offsets || !s->readers || !s->cols || !s->col_rc ||
	    (s->opts.threads > 1 && !s->col_msg) || !(s->pool = ice_arrow__pool_new()))
		goto fail;
	for (size_t i = 0; i < nl; i++)
		if (s->leaf_map[i] >= 0) {
			s->leaf_of[s->leaf_map[i]] = i;
			s->leaves[s->leaf_map[i]] = &r->schema.leaves[i];
		}
	for (size_t i = 0; i < s->ncols; i++)
		ice_parquet__batch_col_init(&s->cols[i]);
	if ((rc = ice_parquet__anode_build(&s->root, &r->meta, &r->schema, r->schema.root, s->leaf_map, &s->arena)) !=
	    0)
		goto fail;
	if (s->root.kind < 0) {
		s->root.kind = AN_STRUCT;
		s->root.nchildren = 0;
	}
	s->root.name = "";
	s->root.nullable = false;
	/* row groups */
	size_t nrg = s->opts.row_groups ? s->opts.nrow_groups : r->meta.nrow_groups;
	s->rgs = ice_arena__allocarray(&s->arena, nrg ? nrg : 1, sizeof(size_t));
	s->rg_filtered = ice_arena__allocarray(&s->arena, nrg ? nrg : 1, 1);
	if (!s->rgs || !s->rg_filtered)
		goto fail;
	memset(s->rg_filtered, 0, nrg ? nrg : 1);
	for (size_t i = 0; i < nrg; i++) {
		size_t g = s->opts.row_groups ? s->opts.row_groups[i] : i;
		if (g >= r->meta.nrow_groups) {
			rc = PQ_ERR(ICE_EINVALID, "%s: row group %zu does not exist (the file has %zu)", r->location, g,
			            r->meta.nrow_groups);
			goto fail;
		}
		s->rgs[i] = g;
	}
	s->nrgs = nrg;
	*out = s;
	return 0;
fail:
	ice_parquet_scan_free(s);
	return rc ? rc : ICE_ERROR; /* allocation failures after a successful step */
}

void ice_parquet__scan_use_pool(ice_parquet_scan *s, ice_arrow_pool *pool)
{
	if (!pool || pool == s->pool)
		return;
	ice_arrow__pool_ref(pool);
	ice_arrow__pool_release(s->pool);
	s->pool = pool;
}

int ice_parquet_scan_schema(const ice_parquet_scan *s, struct ArrowSchema *out)
{
	return ice_parquet__anode_schema(out, &s->root, s->leaves);
}

/* Read and drop n rows of the current row group. */
static int skip_rows(ice_parquet_scan *s, int64_t n)
{
	while (n > 0) {
		size_t k = n < (int64_t)s->rg_batch ? (size_t)n : s->rg_batch;
		for (size_t i = 0; i < s->ncols; i++) {
			size_t got;
			ice_parquet__batch_col_clear(&s->cols[i]);
			int rc = ice_parquet__colreader_read(s->readers[i], k, &s->cols[i], &got);
			if (rc)
				return rc;
			ice_parquet__batch_col_clear(&s->cols[i]);
		}
		n -= (int64_t)k;
		s->row += (int64_t)k;
	}
	return 0;
}

/* Row groups a remote scan asks to have fetched ahead of the decoder: the
 * input holds what its read-ahead budget allows (s3.read-ahead-bytes) and
 * starts the rest when room is made, so this only bounds the work per call. */
#define PREFETCH_GROUPS 16
#define PREFETCH_BYTES ((int64_t)256 << 20)

/* Whether the scan reads the row group at `pos` in s->rgs: rows in its
 * range, and not skipped by the filter. The filter is asked once per row
 * group (it may count what it skips), here or by open_row_group, whichever
 * comes first; its error is raised by open_row_group, which asks again. */
static int row_group_wanted(ice_parquet_scan *s, size_t pos, bool *wanted)
{
	const ice_parquet_row_group *rg = &s->r->row_groups[s->rgs[pos]];
	int64_t start = rg->first_row, end = rg->first_row + rg->num_rows;
	*wanted = false;
	if (rg->num_rows == 0 || end <= s->opts.row_start || (s->opts.row_end >= 0 && start >= s->opts.row_end))
		return 0;
	if (s->opts.filter && s->rg_filtered[pos] <= 0) {
		bool skip = false;
		int rc = s->opts.filter(&skip, s->r, rg, s->opts.filter_payload);
		s->rg_filtered[pos] = rc ? -1 : skip ? 2 : 1;
		if (rc)
			return rc;
	}
	*wanted = !s->opts.filter || s->rg_filtered[pos] == 1;
	return 0;
}

/* The byte ranges of the scan's columns in row group g into ranges[]
 * (flushed to the input when full); their total. */
static int64_t prefetch_row_group(ice_parquet_scan *s, size_t g, ice_io_range *ranges, size_t cap, size_t *n)
{
	ice_parquet_reader *r = s->r;
	int64_t total = 0;
	for (size_t i = 0; i < s->ncols; i++) {
		const pq_chunk_meta *m = &r->meta.row_groups[g].columns[s->leaf_of[i]];
		int64_t start = m->data_page_offset;
		if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
			start = m->dictionary_page_offset;
		if (start < 0 || m->total_compressed_size <= 0)
			continue;
		ranges[(*n)++] = (ice_io_range){(uint64_t)start, (uint64_t)m->total_compressed_size};
		total += m->total_compressed_size;
		if (*n == cap) {
			ice_input__prefetch(r->in, ranges, *n);
			*n = 0;
		}
	}
	return total;
}

/* Row group g (being opened) and the wanted ones after it, in file order,
 * so their chunks are in flight while g is decoded. Advice: a failure
 * shows when the bytes are read. */
static void prefetch_ahead(ice_parquet_scan *s, size_t g)
{
	ice_io_range ranges[64];
	size_t n = 0;
	int64_t bytes = prefetch_row_group(s, g, ranges, sizeof(ranges) / sizeof(ranges[0]), &n);
	for (size_t pos = s->rg_pos, groups = 1; pos < s->nrgs && groups < PREFETCH_GROUPS && bytes < PREFETCH_BYTES;
	     pos++) {
		bool wanted;
		if (row_group_wanted(s, pos, &wanted) != 0) {
			ice_error_clear();
			break; /* open_row_group reports it */
		}
		if (!wanted)
			continue;
		bytes += prefetch_row_group(s, s->rgs[pos], ranges, sizeof(ranges) / sizeof(ranges[0]), &n);
		groups++;
	}
	if (n)
		ice_input__prefetch(s->r->in, ranges, n);
	ice_error_clear();
}

static int open_row_group(ice_parquet_scan *s, bool *opened)
{
	ice_parquet_reader *r = s->r;
	size_t pos = s->rg_pos++;
	size_t g = s->rgs[pos];
	const ice_parquet_row_group *rg = &r->row_groups[g];
	int64_t start = rg->first_row, end = rg->first_row + rg->num_rows;
	bool wanted;
	int rc;
	*opened = false;
	if ((rc = row_group_wanted(s, pos, &wanted)) != 0 || !wanted)
		return rc;
	if (r->in->remote)
		prefetch_ahead(s, g);
	for (size_t i = 0; i < s->ncols; i++) {
		size_t leaf = s->leaf_of[i];
		if (r->meta.row_groups[g].columns[leaf].encrypted)
			return PQ_ERR(ICE_EUNSUPPORTED, "%s: %s: offset 0: encrypted column chunks are not supported",
			              r->location, r->schema.leaves[leaf].col->path);
		if ((rc = ice_parquet__colreader_new(&s->readers[i], r, g, leaf, s->opts.verify_checksums)) != 0)
			return rc;
		s->offsets[i] = r->meta.row_groups[g].columns[leaf].data_page_offset;
	}
	/* Keep a batch's strings under Arrow's 2 GiB offsets: fewer rows per
	 * batch when the row group's byte arrays are large on average. */
	s->rg_batch = s->opts.batch_size;
	for (size_t i = 0; i < s->ncols; i++) {
		const pq_chunk_meta *cm = &r->meta.row_groups[g].columns[s->leaf_of[i]];
		if (s->leaves[i]->out_width != 0 || cm->total_uncompressed_size <= 0)
			continue;
		int64_t per_row = cm->total_uncompressed_size / rg->num_rows; /* a declared size: may be huge */
		int64_t rows = per_row >= INT32_MAX / 4 ? 1 : (INT32_MAX / 4) / (per_row + 1);
		if (rows < 1)
			rows = 1;
		if ((size_t)rows < s->rg_batch)
			s->rg_batch = (size_t)rows;
	}
	s->cur_rg = g;
	s->in_rg = true;
	s->row = start;
	s->rg_end = end;
	*opened = true;
	if (s->opts.row_start > start)
		return skip_rows(s, s->opts.row_start - start);
	return 0;
}

/* Read k records of scan column i into its batch column; 0 or an error. */
static int read_column(ice_parquet_scan *s, size_t i, size_t k)
{
	size_t got;
	int rc;
	ice_parquet__batch_col_clear(&s->cols[i]);
	if ((rc = ice_parquet__batch_col_reserve(&s->cols[i], s->leaves[i], k, s->pool)) != 0 ||
	    (rc = ice_parquet__colreader_read(s->readers[i], k, &s->cols[i], &got)) != 0)
		return rc;
	if (got != k)
		return PQ_ERR(ICE_EINVALID, "%s: %s: offset %lld: column chunk holds %lld rows, the row group %lld",
		              s->r->location, s->leaves[i]->col->path, (long long)s->offsets[i],
		              (long long)(s->row - s->r->row_groups[s->cur_rg].first_row + (int64_t)got),
		              (long long)s->r->row_groups[s->cur_rg].num_rows);
	return 0;
}

/* A worker: take columns until none are left; errors are kept per column
 * (the message is thread-local) and raised again by the caller. */
static void *column_worker(void *arg)
{
	ice_parquet_scan *s = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&s->next_col, 1);
		if (i >= s->ncols)
			break;
		int rc = read_column(s, i, s->batch_rows);
		s->col_rc[i] = rc;
		if (rc) {
			const ice_error *e = ice_error_last();
			snprintf(s->col_msg[i], sizeof(s->col_msg[i]), "%s", e ? e->message : "error");
			if (ice_error__is_oom())
				s->col_msg[i][0] = '\0';
		}
	}
	return NULL;
}

static int read_columns(ice_parquet_scan *s, size_t k)
{
	size_t nthreads = s->opts.threads > 1 ? s->opts.threads : 1;
	if (nthreads > s->ncols)
		nthreads = s->ncols;
	if (nthreads <= 1) {
		for (size_t i = 0; i < s->ncols; i++) {
			int rc = read_column(s, i, k);
			if (rc)
				return rc;
		}
		return 0;
	}
	pthread_t tids[64];
	size_t started = 0;
	if (nthreads > 64)
		nthreads = 64;
	s->batch_rows = k;
	atomic_store(&s->next_col, 0);
	for (size_t i = 0; i < s->ncols; i++)
		s->col_rc[i] = 0;
	for (; started + 1 < nthreads; started++)
		if (pthread_create(&tids[started], NULL, column_worker, s) != 0)
			break; /* fewer helpers; the calling thread still does the rest */
	column_worker(s);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (size_t i = 0; i < s->ncols; i++) {
		if (!s->col_rc[i])
			continue;
		if (!s->col_msg[i][0])
			return ice_error__oom();
		return ice_error__set(s->col_rc[i], ICE_ERRCLASS_PARQUET, "%s", s->col_msg[i]);
	}
	return 0;
}

int ice_parquet_scan_next(ice_parquet_scan *s, struct ArrowArray *out, int64_t *first_row_out)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if (s->failed)
		return PQ_ERR(ICE_ERROR, "%s: the scan failed earlier", s->r->location);
	for (;;) {
		if (!s->in_rg) {
			if (s->rg_pos >= s->nrgs)
				return ICE_ITEROVER;
			bool opened;
			if ((rc = open_row_group(s, &opened)) != 0)
				goto fail;
			continue;
		}
		int64_t end = s->rg_end;
		if (s->opts.row_end >= 0 && s->opts.row_end < end)
			end = s->opts.row_end;
		int64_t left = end - s->row;
		if (left <= 0) {
			close_row_group(s);
			continue;
		}
		size_t k = left < (int64_t)s->rg_batch ? (size_t)left : s->rg_batch;
		if ((rc = read_columns(s, k)) != 0)
			goto fail;
		if (s->ncols == 0 || s->root.nchildren == 0) {
			struct ArrowArray none;
			void *bufs[1] = {NULL};
			(void)none;
			rc = ice_arrow__array_owned(out, (int64_t)k, 0, 1, bufs, 0, NULL);
		} else {
			rc = ice_parquet__assemble(out, &s->root, s->leaves, s->cols, s->offsets, s->pool, k,
			                           s->r->location);
		}
		if (rc)
			goto fail;
		if (first_row_out)
			*first_row_out = s->row;
		s->row += (int64_t)k;
		return 0;
	}
fail:
	s->failed = true;
	close_row_group(s);
	ice_error__oom_in("%s", s->r->location);
	return rc;
}

/* ---- as an Arrow stream --------------------------------------------------------------- */

static int stream_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
	ice_parquet_scan *s = st->private_data;
	int rc = ice_parquet_scan_schema(s, out);
	if (rc) {
		ice__free(s->last_error);
		s->last_error = ice__strdup(ice_error_last() ? ice_error_last()->message : "error");
		return 5; /* EIO */
	}
	return 0;
}

static int stream_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
	ice_parquet_scan *s = st->private_data;
	int rc = ice_parquet_scan_next(s, out, NULL);
	if (rc == ICE_ITEROVER) {
		out->release = NULL;
		return 0;
	}
	if (rc) {
		ice__free(s->last_error);
		s->last_error = ice__strdup(ice_error_last() ? ice_error_last()->message : "error");
		return 5;
	}
	return 0;
}

static const char *stream_error(struct ArrowArrayStream *st)
{
	ice_parquet_scan *s = st->private_data;
	return s->last_error;
}

static void stream_release(struct ArrowArrayStream *st)
{
	ice_parquet_scan_free(st->private_data);
	st->release = NULL;
}

int ice_parquet_scan_to_stream(ice_parquet_scan *s, struct ArrowArrayStream *out)
{
	out->get_schema = stream_schema;
	out->get_next = stream_next;
	out->get_last_error = stream_error;
	out->release = stream_release;
	out->private_data = s;
	return 0;
}
