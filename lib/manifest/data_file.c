/*
 * manifest/data_file.c - data files and manifest entries as values (spec
 * "Data File Fields", "Manifest Entry Fields"): deep copies that outlive a
 * reader, equality of what a file holds (for round trips), metric lookups
 * and the names of the enums.
 */
#include <string.h>

#include "internal.h"

typedef struct owned_data_file {
	ice_data_file df; /* first: the public pointer */
	ice_arena arena;
} owned_data_file;

const char *ice_manifest_content_name(int content)
{
	switch (content) {
	case ICE_MANIFEST_CONTENT_DATA: return "data";
	case ICE_MANIFEST_CONTENT_DELETES: return "deletes";
	default: return "unknown";
	}
}

const char *ice_file_content_name(int content)
{
	switch (content) {
	case ICE_FILE_CONTENT_DATA: return "data";
	case ICE_FILE_CONTENT_POSITION_DELETES: return "position deletes";
	case ICE_FILE_CONTENT_EQUALITY_DELETES: return "equality deletes";
	default: return "unknown";
	}
}

const char *ice_manifest_entry_status_name(int status)
{
	switch (status) {
	case ICE_MANIFEST_ENTRY_EXISTING: return "existing";
	case ICE_MANIFEST_ENTRY_ADDED: return "added";
	case ICE_MANIFEST_ENTRY_DELETED: return "deleted";
	default: return "unknown";
	}
}

static bool has_payload(ice_type_id t)
{
	return t == ICE_TYPE_STRING || t == ICE_TYPE_BINARY || t == ICE_TYPE_FIXED || t == ICE_TYPE_UUID ||
	       t == ICE_TYPE_GEOMETRY || t == ICE_TYPE_GEOGRAPHY;
}

static const char *str_dup(ice_arena *arena, const char *s, bool *failed)
{
	const char *c = s ? ice_arena__strdup(arena, s) : NULL;
	if (s && !c)
		*failed = true;
	return c;
}

static const void *mem_dup(ice_arena *arena, const void *p, size_t n, bool *failed)
{
	const void *c;
	if (!p || !n)
		return p;
	if (!(c = ice_arena__memdup(arena, p, n)))
		*failed = true;
	return c;
}

/* A literal's payload (string, binary, ...) copied along. */
static void literal_dup(ice_arena *arena, ice_literal *v, bool *failed)
{
	if (!v->is_null && has_payload(v->type))
		v->v.bytes.data = mem_dup(arena, v->v.bytes.data, v->v.bytes.len, failed);
}

static void bounds_dup(ice_arena *arena, ice_metric_bounds *b, bool *failed)
{
	ice_metric_bound *items;
	if (!b->n)
		return;
	if (!(items = (ice_metric_bound *)mem_dup(arena, b->items, b->n * sizeof(*items), failed)) || *failed)
		return;
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *old = items[i].bytes.data;
		items[i].bytes.data = mem_dup(arena, old, items[i].bytes.len, failed);
		if (!old)
			literal_dup(arena, &items[i].value, failed); /* a writer's bounds: values only */
		else if (has_payload(items[i].value.type) && items[i].value.v.bytes.data)
			items[i].value.v.bytes.data = items[i].bytes.data + (items[i].value.v.bytes.data - old);
	}
	b->items = items;
}

int ice_data_file_copy(ice_data_file **out, const ice_data_file *file)
{
	owned_data_file *o = ice__calloc(1, sizeof(*o));
	ice_data_file *df;
	bool failed = false;
	*out = NULL;
	if (!o)
		return ICE_ERROR;
	ice_arena__init(&o->arena, 1024);
	df = &o->df;
	*df = *file;
	df->file_path = str_dup(&o->arena, file->file_path, &failed);
	df->file_format = str_dup(&o->arena, file->file_format, &failed);
	df->referenced_data_file = str_dup(&o->arena, file->referenced_data_file, &failed);
	if (file->n_partition) {
		ice_literal *p = (ice_literal *)mem_dup(&o->arena, file->partition, file->n_partition * sizeof(*p), &failed);
		for (size_t i = 0; p && !failed && i < file->n_partition; i++)
			literal_dup(&o->arena, &p[i], &failed);
		df->partition = p;
	}
	df->column_sizes.items = mem_dup(&o->arena, file->column_sizes.items,
	                                 file->column_sizes.n * sizeof(ice_metric_count), &failed);
	df->value_counts.items = mem_dup(&o->arena, file->value_counts.items,
	                                 file->value_counts.n * sizeof(ice_metric_count), &failed);
	df->null_value_counts.items = mem_dup(&o->arena, file->null_value_counts.items,
	                                      file->null_value_counts.n * sizeof(ice_metric_count), &failed);
	df->nan_value_counts.items = mem_dup(&o->arena, file->nan_value_counts.items,
	                                     file->nan_value_counts.n * sizeof(ice_metric_count), &failed);
	if (!failed)
		bounds_dup(&o->arena, &df->lower_bounds, &failed);
	if (!failed)
		bounds_dup(&o->arena, &df->upper_bounds, &failed);
	df->key_metadata.data = mem_dup(&o->arena, file->key_metadata.data, file->key_metadata.len, &failed);
	df->split_offsets.items = mem_dup(&o->arena, file->split_offsets.items, file->split_offsets.n * sizeof(int64_t),
	                                  &failed);
	df->equality_ids.items = mem_dup(&o->arena, file->equality_ids.items, file->equality_ids.n * sizeof(int32_t),
	                                 &failed);
	if (failed) {
		ice_data_file_free(df);
		return ICE_ERROR;
	}
	*out = df;
	return 0;
}

void ice_data_file_free(ice_data_file *file)
{
	owned_data_file *o = (owned_data_file *)file;
	if (!o)
		return;
	ice_arena__free(&o->arena);
	ice__free(o);
}

/* ---- equality ------------------------------------------------------------------ */

static bool slice_eq(ice_slice a, ice_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool counts_eq(const ice_metric_counts *a, const ice_metric_counts *b)
{
	if (a->present != b->present || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].field_id != b->items[i].field_id || a->items[i].value != b->items[i].value)
			return false;
	return true;
}

static bool bounds_eq(const ice_metric_bounds *a, const ice_metric_bounds *b)
{
	if (a->present != b->present || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].field_id != b->items[i].field_id || !slice_eq(a->items[i].bytes, b->items[i].bytes))
			return false;
	return true;
}

bool ice_data_file_equal(const ice_data_file *a, const ice_data_file *b)
{
	if (a->content != b->content || !str_eq(a->file_path, b->file_path) || !str_eq(a->file_format, b->file_format) ||
	    a->n_partition != b->n_partition || a->record_count != b->record_count ||
	    a->file_size_in_bytes != b->file_size_in_bytes)
		return false;
	for (size_t i = 0; i < a->n_partition; i++) {
		const ice_literal *x = &a->partition[i], *y = &b->partition[i];
		if (x->is_null != y->is_null || (!x->is_null && !ice_literal_equal(x, y)))
			return false;
	}
	if (!counts_eq(&a->column_sizes, &b->column_sizes) || !counts_eq(&a->value_counts, &b->value_counts) ||
	    !counts_eq(&a->null_value_counts, &b->null_value_counts) ||
	    !counts_eq(&a->nan_value_counts, &b->nan_value_counts) || !bounds_eq(&a->lower_bounds, &b->lower_bounds) ||
	    !bounds_eq(&a->upper_bounds, &b->upper_bounds))
		return false;
	if (a->has_key_metadata != b->has_key_metadata ||
	    (a->has_key_metadata && !slice_eq(a->key_metadata, b->key_metadata)))
		return false;
	if (a->split_offsets.present != b->split_offsets.present || a->split_offsets.n != b->split_offsets.n ||
	    (a->split_offsets.n &&
	     memcmp(a->split_offsets.items, b->split_offsets.items, a->split_offsets.n * sizeof(int64_t))))
		return false;
	if (a->equality_ids.present != b->equality_ids.present || a->equality_ids.n != b->equality_ids.n ||
	    (a->equality_ids.n && memcmp(a->equality_ids.items, b->equality_ids.items, a->equality_ids.n * sizeof(int32_t))))
		return false;
	if (a->has_sort_order_id != b->has_sort_order_id || (a->has_sort_order_id && a->sort_order_id != b->sort_order_id))
		return false;
	if (a->has_first_row_id != b->has_first_row_id || (a->has_first_row_id && a->first_row_id != b->first_row_id))
		return false;
	if (!str_eq(a->referenced_data_file, b->referenced_data_file))
		return false;
	if (a->has_content_offset != b->has_content_offset ||
	    (a->has_content_offset && a->content_offset != b->content_offset) ||
	    a->has_content_size_in_bytes != b->has_content_size_in_bytes ||
	    (a->has_content_size_in_bytes && a->content_size_in_bytes != b->content_size_in_bytes))
		return false;
	return true;
}

bool ice_manifest_entry_equal(const ice_manifest_entry *a, const ice_manifest_entry *b)
{
	return a->status == b->status && a->has_snapshot_id == b->has_snapshot_id &&
	       (!a->has_snapshot_id || a->snapshot_id == b->snapshot_id) &&
	       a->has_sequence_number == b->has_sequence_number &&
	       (!a->has_sequence_number || a->sequence_number == b->sequence_number) &&
	       a->has_file_sequence_number == b->has_file_sequence_number &&
	       (!a->has_file_sequence_number || a->file_sequence_number == b->file_sequence_number) &&
	       ice_data_file_equal(&a->data_file, &b->data_file);
}

const ice_metric_count *ice_metric_counts_get(const ice_metric_counts *m, int32_t field_id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->items[i].field_id == field_id)
			return &m->items[i];
	return NULL;
}

const ice_metric_bound *ice_metric_bounds_get(const ice_metric_bounds *m, int32_t field_id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->items[i].field_id == field_id)
			return &m->items[i];
	return NULL;
}
