/*
 * scan/deletes.c - the delete file index of a plan: every live delete file
 * of the snapshot (copied), indexed so each data file finds the ones that
 * apply to it by the spec's scope rules ("Scan Planning"):
 *
 *   - a deletion vector (a position delete in a Puffin file) applies to the
 *     data file its referenced_data_file names, with a data sequence number
 *     >= the data file's, in the same partition; when one applies, position
 *     delete files do not (the vector holds their deletes);
 *   - a position delete file applies to data files of its partition (spec
 *     and values) with a data sequence number <= its own, restricted to the
 *     data file its referenced_data_file names, or to paths within its
 *     file_path bounds (a delete file whose bounds are one path is indexed
 *     by that path);
 *   - an equality delete file applies to data files with a data sequence
 *     number strictly below its own, in its partition, or in any partition
 *     when its spec is unpartitioned (global deletes).
 *
 * Partitions are equal when spec ids match and every value is equal, nulls
 * equal to nulls, floating point by bits with NaN normalized (note 3), and
 * values of unknown transforms included (note 4).
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* The reserved field id of position delete files' file_path column. */
#define FILE_PATH_ID 2147483546

typedef struct del {
	ice_scan_delete d;       /* file points to `copy` */
	ice_data_file *copy;
	const char *path_lower;  /* file_path bounds (position deletes), or NULL */
	size_t path_lower_len;
	const char *path_upper;
	size_t path_upper_len;
	char *one_path;          /* bounds of one path: that path (owned) */
	_Atomic bool used;
} del;

/* Deletes of one key (a partition, or a data file path), in the order read. */
typedef struct group {
	int32_t spec_id;
	const ice_literal *partition; /* borrowed from the first member's copy */
	size_t npartition;
	const char *path;             /* path groups */
	size_t *members;              /* indexes into idx->items */
	size_t n, cap;
	struct group *next;           /* same hash */
} group;

typedef struct table {
	ice_map map; /* hash -> group* (chained) */
} table;

struct ice_scan_delete_index {
	ice_scan_delete_index *next_in_scan;
	del *items;
	size_t n, cap;
	table position_by_partition;
	table position_by_path;  /* referenced_data_file, or file_path bounds of one path */
	table dv_by_path;
	table equality_by_partition;
	size_t *global_equality; /* equality deletes of unpartitioned specs */
	size_t nglobal, capglobal;
};

/* ---- keys -------------------------------------------------------------------------------- */

static uint64_t value_hash(const ice_literal *v)
{
	uint64_t h = (uint64_t)v->type * 0x9e3779b97f4a7c15ULL;
	if (v->is_null)
		return h ^ 0x5555;
	switch (v->type) {
	case ICE_TYPE_BOOLEAN: return h ^ (uint64_t)v->v.b;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: return h ^ ice_hash__int((uint64_t)(int64_t)v->v.i32);
	case ICE_TYPE_FLOAT: {
		float f = isnan(v->v.f32) ? NAN : v->v.f32;
		uint32_t bits;
		memcpy(&bits, &f, 4);
		return h ^ ice_hash__int(bits);
	}
	case ICE_TYPE_DOUBLE: {
		double d = isnan(v->v.f64) ? NAN : v->v.f64;
		uint64_t bits;
		memcpy(&bits, &d, 8);
		return h ^ ice_hash__int(bits);
	}
	case ICE_TYPE_DECIMAL:
		return h ^ ice_hash__int(v->v.dec.lo) ^ ice_hash__int((uint64_t)v->v.dec.hi + (uint64_t)v->scale);
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: return h ^ ice_hash__bytes(v->v.bytes.data, v->v.bytes.len);
	default: return h ^ ice_hash__int((uint64_t)v->v.i64);
	}
}

static bool value_equal(const ice_literal *a, const ice_literal *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case ICE_TYPE_FLOAT: {
		float x = isnan(a->v.f32) ? NAN : a->v.f32, y = isnan(b->v.f32) ? NAN : b->v.f32;
		return memcmp(&x, &y, 4) == 0;
	}
	case ICE_TYPE_DOUBLE: {
		double x = isnan(a->v.f64) ? NAN : a->v.f64, y = isnan(b->v.f64) ? NAN : b->v.f64;
		return memcmp(&x, &y, 8) == 0;
	}
	default: return ice_literal_compare(a, b) == 0;
	}
}

static uint64_t partition_hash(int32_t spec_id, const ice_literal *p, size_t n)
{
	uint64_t h = ice_hash__int((uint64_t)(uint32_t)spec_id + 1);
	for (size_t i = 0; i < n; i++)
		h = ice_hash__int(h ^ value_hash(&p[i]));
	return h | 1;
}

static bool partition_equal(int32_t sa, const ice_literal *a, size_t na, int32_t sb, const ice_literal *b, size_t nb)
{
	if (sa != sb || na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!value_equal(&a[i], &b[i]))
			return false;
	return true;
}

static uint64_t path_hash(const char *path)
{
	return ice_hash__bytes(path, strlen(path)) | 1;
}

/* ---- groups -------------------------------------------------------------------------------- */

static group *find_partition(const table *t, int32_t spec_id, const ice_literal *p, size_t n)
{
	void *v;
	if (!ice_map__get_int(&t->map, (int64_t)partition_hash(spec_id, p, n), &v))
		return NULL;
	for (group *g = v; g; g = g->next)
		if (!g->path && partition_equal(g->spec_id, g->partition, g->npartition, spec_id, p, n))
			return g;
	return NULL;
}

static group *find_path(const table *t, const char *path)
{
	void *v;
	if (!ice_map__get_int(&t->map, (int64_t)path_hash(path), &v))
		return NULL;
	for (group *g = v; g; g = g->next)
		if (g->path && strcmp(g->path, path) == 0)
			return g;
	return NULL;
}

static int add_member(group *g, size_t member)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 4;
		size_t *m = ice__reallocarray(g->members, cap, sizeof(size_t));
		if (!m)
			return ICE_ERROR;
		g->members = m;
		g->cap = cap;
	}
	g->members[g->n++] = member;
	return 0;
}

/* Add member to the group of a partition (path NULL) or of a path, made when missing. */
static int group_for(table *t, const del *d, const char *path, size_t member)
{
	const ice_data_file *f = d->copy;
	group *g = path ? find_path(t, path) : find_partition(t, f->partition_spec_id, f->partition, f->n_partition);
	if (!g) {
		uint64_t h = path ? path_hash(path) : partition_hash(f->partition_spec_id, f->partition, f->n_partition);
		void *head = NULL;
		if (!(g = ice__calloc(1, sizeof(*g))))
			return ICE_ERROR;
		g->spec_id = f->partition_spec_id;
		g->partition = f->partition;
		g->npartition = f->n_partition;
		g->path = path;
		ice_map__get_int(&t->map, (int64_t)h, &head);
		g->next = head;
		if (ice_map__put_int(&t->map, (int64_t)h, g) != 0) {
			ice__free(g);
			return ICE_ERROR;
		}
	}
	return add_member(g, member);
}

static void table_free(table *t)
{
	size_t pos = 0;
	const ice_map_slot *s;
	while ((s = ice_map__next(&t->map, &pos)) != NULL) {
		group *g = s->value;
		while (g) {
			group *next = g->next;
			ice__free(g->members);
			ice__free(g);
			g = next;
		}
	}
	ice_map__free(&t->map);
}

/* ---- building -------------------------------------------------------------------------------- */

int ice_scan__delete_index_new(ice_scan *scan, ice_scan_delete_index **out)
{
	ice_scan_delete_index *idx = ice__calloc(1, sizeof(*idx));
	*out = NULL;
	if (!idx)
		return ICE_ERROR;
	ice_map__init(&idx->position_by_partition.map, false);
	ice_map__init(&idx->position_by_path.map, false);
	ice_map__init(&idx->dv_by_path.map, false);
	ice_map__init(&idx->equality_by_partition.map, false);
	pthread_mutex_lock(&scan->mu);
	idx->next_in_scan = scan->indexes;
	scan->indexes = idx;
	pthread_mutex_unlock(&scan->mu);
	*out = idx;
	return 0;
}

/* file_path bounds of a position delete file. */
static void path_bounds(del *d)
{
	const ice_metric_bound *lo = ice_metric_bounds_get(&d->copy->lower_bounds, FILE_PATH_ID);
	const ice_metric_bound *hi = ice_metric_bounds_get(&d->copy->upper_bounds, FILE_PATH_ID);
	if (lo && hi) {
		d->path_lower = (const char *)lo->bytes.data;
		d->path_lower_len = lo->bytes.len;
		d->path_upper = (const char *)hi->bytes.data;
		d->path_upper_len = hi->bytes.len;
	}
}

static int add_global(ice_scan_delete_index *idx, size_t member)
{
	if (idx->nglobal == idx->capglobal) {
		size_t cap = idx->capglobal ? idx->capglobal * 2 : 8;
		size_t *g = ice__reallocarray(idx->global_equality, cap, sizeof(size_t));
		if (!g)
			return ICE_ERROR;
		idx->global_equality = g;
		idx->capglobal = cap;
	}
	idx->global_equality[idx->nglobal++] = member;
	return 0;
}

int ice_scan__delete_index_add(ice_scan_delete_index *idx, ice_data_file *copy, int64_t data_seq, int64_t file_seq,
                               const ice_partition_spec *spec)
{
	const ice_data_file *f = copy;
	del *d;
	size_t member;
	if (f->content != ICE_FILE_CONTENT_POSITION_DELETES && f->content != ICE_FILE_CONTENT_EQUALITY_DELETES) {
		ice_data_file_free(copy);
		return 0;
	}
	if (idx->n == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 16;
		del *items = ice__reallocarray(idx->items, cap, sizeof(del));
		if (!items) {
			ice_data_file_free(copy);
			return ICE_ERROR;
		}
		idx->items = items;
		idx->cap = cap;
	}
	d = &idx->items[idx->n];
	memset(d, 0, sizeof(*d));
	d->copy = copy;
	member = idx->n++;
	d->d.file = copy;
	d->d.data_sequence_number = data_seq;
	d->d.file_sequence_number = file_seq;
	if (f->content == ICE_FILE_CONTENT_EQUALITY_DELETES) {
		if (!spec || ice_partition_spec_is_unpartitioned(spec))
			return add_global(idx, member);
		return group_for(&idx->equality_by_partition, d, NULL, member);
	}
	/* a deletion vector: a position delete stored in a Puffin file */
	if ((f->file_format && strcasecmp(f->file_format, "puffin") == 0) || f->has_content_offset) {
		if (!f->referenced_data_file)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "%s: deletion vector without referenced_data_file", f->file_path);
		return group_for(&idx->dv_by_path, d, f->referenced_data_file, member);
	}
	path_bounds(d);
	if (f->referenced_data_file)
		return group_for(&idx->position_by_path, d, f->referenced_data_file, member);
	if (d->path_lower && d->path_lower_len == d->path_upper_len &&
	    memcmp(d->path_lower, d->path_upper, d->path_lower_len) == 0 && !memchr(d->path_lower, '\0', d->path_lower_len)) {
		/* bounds of one path: the file deletes rows of that data file only */
		if (!(d->one_path = ice__strndup(d->path_lower, d->path_lower_len)))
			return ICE_ERROR;
		return group_for(&idx->position_by_path, d, d->one_path, member);
	}
	return group_for(&idx->position_by_partition, d, NULL, member);
}

int ice_scan__delete_index_seal(ice_scan_delete_index *idx)
{
	(void)idx; /* groups keep the order deletes were read in; nothing to sort */
	return 0;
}

size_t ice_scan__delete_index_size(const ice_scan_delete_index *idx)
{
	return idx ? idx->n : 0;
}

static void index_free(ice_scan_delete_index *idx)
{
	table_free(&idx->position_by_partition);
	table_free(&idx->position_by_path);
	table_free(&idx->dv_by_path);
	table_free(&idx->equality_by_partition);
	for (size_t i = 0; i < idx->n; i++) {
		ice__free(idx->items[i].one_path);
		ice_data_file_free(idx->items[i].copy);
	}
	ice__free(idx->items);
	ice__free(idx->global_equality);
	ice__free(idx);
}

void ice_scan__delete_indexes_free(ice_scan_delete_index *head)
{
	while (head) {
		ice_scan_delete_index *next = head->next_in_scan;
		index_free(head);
		head = next;
	}
}

/* ---- matching -------------------------------------------------------------------------------- */

static int append(ice_scan *scan, del *d, ice_scan_delete **out, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		ice_scan_delete *p = ice__reallocarray(*out, c, sizeof(ice_scan_delete));
		if (!p)
			return ICE_ERROR;
		*out = p;
		*cap = c;
	}
	(*out)[(*n)++] = d->d;
	if (!atomic_exchange_explicit(&d->used, true, memory_order_relaxed))
		ice_scan__count(&scan->stats.delete_files, 1);
	return 0;
}

static bool same_partition(const del *d, const ice_data_file *f)
{
	return partition_equal(d->copy->partition_spec_id, d->copy->partition, d->copy->n_partition, f->partition_spec_id,
	                       f->partition, f->n_partition);
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;
	return c ? c : (an < bn ? -1 : an > bn);
}

/* Whether `path` lies within the delete file's file_path bounds (if any). */
static bool path_in_bounds(const del *d, const char *path)
{
	size_t n = strlen(path);
	if (!d->path_lower || !d->path_upper)
		return true;
	return bytes_cmp(d->path_lower, d->path_lower_len, path, n) <= 0 &&
	       bytes_cmp(path, n, d->path_upper, d->path_upper_len) <= 0;
}

int ice_scan__delete_index_match(const ice_scan_delete_index *idx, ice_scan *scan, const ice_data_file *f,
                                 int64_t seq, ice_scan_delete **out, size_t *n, size_t *cap)
{
	const group *g;
	bool has_dv = false;
	int rc;
	if (!idx || idx->n == 0)
		return 0;
	if ((g = find_path(&idx->dv_by_path, f->file_path)) != NULL) {
		for (size_t i = 0; i < g->n; i++) {
			del *d = &idx->items[g->members[i]];
			if (d->d.data_sequence_number >= seq && same_partition(d, f)) {
				if ((rc = append(scan, d, out, n, cap)) != 0)
					return rc;
				has_dv = true;
			}
		}
	}
	if (!has_dv) {
		if ((g = find_path(&idx->position_by_path, f->file_path)) != NULL) {
			for (size_t i = 0; i < g->n; i++) {
				del *d = &idx->items[g->members[i]];
				if (d->d.data_sequence_number >= seq && same_partition(d, f) &&
				    (rc = append(scan, d, out, n, cap)) != 0)
					return rc;
			}
		}
		if ((g = find_partition(&idx->position_by_partition, f->partition_spec_id, f->partition, f->n_partition))) {
			for (size_t i = 0; i < g->n; i++) {
				del *d = &idx->items[g->members[i]];
				if (d->d.data_sequence_number >= seq && path_in_bounds(d, f->file_path) &&
				    (rc = append(scan, d, out, n, cap)) != 0)
					return rc;
			}
		}
	}
	if ((g = find_partition(&idx->equality_by_partition, f->partition_spec_id, f->partition, f->n_partition))) {
		for (size_t i = 0; i < g->n; i++) {
			del *d = &idx->items[g->members[i]];
			if (d->d.data_sequence_number > seq && (rc = append(scan, d, out, n, cap)) != 0)
				return rc;
		}
	}
	for (size_t i = 0; i < idx->nglobal; i++) {
		del *d = &idx->items[idx->global_equality[i]];
		if (d->d.data_sequence_number > seq && (rc = append(scan, d, out, n, cap)) != 0)
			return rc;
	}
	return 0;
}
