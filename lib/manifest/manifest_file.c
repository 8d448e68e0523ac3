/*
 * manifest/manifest_file.c - manifest list entries as values (spec
 * "Manifest Lists"): deep copies, equality, whole lists read into memory,
 * and the manifests of a snapshot, including v1 snapshots that name their
 * manifests inline in the metadata (spec "Snapshots": "manifests") instead
 * of in a manifest list.
 */
#include <string.h>

#include "internal.h"
#include "util/strutil.h"

typedef struct owned_manifest_file {
	ice_manifest_file mf; /* first: the public pointer */
	ice_arena arena;
} owned_manifest_file;

typedef struct owned_list {
	ice_manifest_list list; /* first */
	ice_arena arena;
	ice_manifest_vec items;
} owned_list;

static bool has_payload(ice_type_id t)
{
	return t == ICE_TYPE_STRING || t == ICE_TYPE_BINARY || t == ICE_TYPE_FIXED || t == ICE_TYPE_UUID ||
	       t == ICE_TYPE_GEOMETRY || t == ICE_TYPE_GEOGRAPHY;
}

static int slice_dup(ice_arena *arena, ice_slice *s)
{
	void *p;
	if (!s->data || !s->len)
		return 0;
	if (!(p = ice_arena__memdup(arena, s->data, s->len)))
		return ICE_ERROR;
	s->data = p;
	return 0;
}

/* Repoint everything `mf` borrows at copies in `arena`. */
static int copy_into(ice_manifest_file *mf, ice_arena *arena)
{
	ice_partition_field_summary *ps = NULL;
	if (mf->manifest_path && !(mf->manifest_path = ice_arena__strdup(arena, mf->manifest_path)))
		return ICE_ERROR;
	if (mf->has_key_metadata && slice_dup(arena, &mf->key_metadata))
		return ICE_ERROR;
	if (mf->n_partitions) {
		if (!(ps = ice_arena__memdup(arena, mf->partitions, mf->n_partitions * sizeof(*ps))))
			return ICE_ERROR;
		for (size_t i = 0; i < mf->n_partitions; i++) {
			const uint8_t *lo = ps[i].lower_bound.data, *hi = ps[i].upper_bound.data;
			if (slice_dup(arena, &ps[i].lower_bound) || slice_dup(arena, &ps[i].upper_bound))
				return ICE_ERROR;
			/* Decoded payloads point into the bound bytes: move them along. */
			if (ps[i].lower_value.v.bytes.data == lo && lo && has_payload(ps[i].lower_value.type))
				ps[i].lower_value.v.bytes.data = ps[i].lower_bound.data;
			if (ps[i].upper_value.v.bytes.data == hi && hi && has_payload(ps[i].upper_value.type))
				ps[i].upper_value.v.bytes.data = ps[i].upper_bound.data;
		}
	}
	mf->partitions = ps;
	return 0;
}

int ice_manifest_file_copy(ice_manifest_file **out, const ice_manifest_file *mf)
{
	owned_manifest_file *o = ice__calloc(1, sizeof(*o));
	*out = NULL;
	if (!o)
		return ICE_ERROR;
	ice_arena__init(&o->arena, 512);
	o->mf = *mf;
	if (copy_into(&o->mf, &o->arena) != 0) {
		ice_manifest_file_free(&o->mf);
		return ICE_ERROR;
	}
	*out = &o->mf;
	return 0;
}

void ice_manifest_file_free(ice_manifest_file *mf)
{
	owned_manifest_file *o = (owned_manifest_file *)mf;
	if (!o)
		return;
	ice_arena__free(&o->arena);
	ice__free(o);
}

static bool slice_eq(ice_slice a, ice_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

bool ice_manifest_file_equal(const ice_manifest_file *a, const ice_manifest_file *b)
{
	if (strcmp(a->manifest_path, b->manifest_path) || a->manifest_length != b->manifest_length ||
	    a->partition_spec_id != b->partition_spec_id || a->content != b->content ||
	    a->sequence_number != b->sequence_number || a->min_sequence_number != b->min_sequence_number ||
	    a->has_added_snapshot_id != b->has_added_snapshot_id ||
	    (a->has_added_snapshot_id && a->added_snapshot_id != b->added_snapshot_id) ||
	    a->added_files_count != b->added_files_count || a->existing_files_count != b->existing_files_count ||
	    a->deleted_files_count != b->deleted_files_count || a->added_rows_count != b->added_rows_count ||
	    a->existing_rows_count != b->existing_rows_count || a->deleted_rows_count != b->deleted_rows_count ||
	    a->has_partitions != b->has_partitions || a->n_partitions != b->n_partitions ||
	    a->has_key_metadata != b->has_key_metadata || (a->has_key_metadata && !slice_eq(a->key_metadata, b->key_metadata)) ||
	    a->has_first_row_id != b->has_first_row_id || (a->has_first_row_id && a->first_row_id != b->first_row_id))
		return false;
	for (size_t i = 0; i < a->n_partitions; i++) {
		const ice_partition_field_summary *x = &a->partitions[i], *y = &b->partitions[i];
		if (x->contains_null != y->contains_null || x->has_contains_nan != y->has_contains_nan ||
		    (x->has_contains_nan && x->contains_nan != y->contains_nan) || x->has_lower_bound != y->has_lower_bound ||
		    x->has_upper_bound != y->has_upper_bound || (x->has_lower_bound && !slice_eq(x->lower_bound, y->lower_bound)) ||
		    (x->has_upper_bound && !slice_eq(x->upper_bound, y->upper_bound)))
			return false;
	}
	return true;
}

/* ---- whole lists -------------------------------------------------------------- */

static owned_list *list_new(void)
{
	owned_list *o = ice__calloc(1, sizeof(*o));
	if (o)
		ice_arena__init(&o->arena, 8192);
	return o;
}

static int list_add(owned_list *o, const ice_manifest_file *mf)
{
	ice_manifest_file *items = ice_manifest__vec_reserve(&o->items, o->list.n + 1, sizeof(*items));
	if (!items)
		return ICE_ERROR;
	items[o->list.n] = *mf;
	if (copy_into(&items[o->list.n], &o->arena) != 0)
		return ICE_ERROR;
	o->list.n++;
	o->list.items = items;
	return 0;
}

void ice_manifest_list_free(ice_manifest_list *list)
{
	owned_list *o = (owned_list *)list;
	if (!o)
		return;
	ice_manifest__vec_free(&o->items);
	ice_arena__free(&o->arena);
	ice__free(o);
}

int ice_manifest_list_read(ice_manifest_list **out, const ice_io *io, const ice_table_metadata *md,
                           const char *location)
{
	ice_manifest_list_reader *r = NULL;
	const ice_manifest_file *mf;
	owned_list *o = list_new();
	int rc;
	*out = NULL;
	if (!o)
		return ICE_ERROR;
	if ((rc = ice_manifest_list_open(&r, io, md, location)) != 0)
		goto fail;
	o->list.format_version = ice_manifest_list_reader_format_version(r);
	while ((rc = ice_manifest_list_next(r, &mf)) == 0)
		if ((rc = list_add(o, mf)) != 0)
			goto fail;
	if (rc != ICE_ITEROVER)
		goto fail;
	ice_manifest_list_reader_free(r);
	*out = &o->list;
	return 0;
fail:
	ice_manifest_list_reader_free(r);
	ice_manifest_list_free(&o->list);
	return rc;
}

/* A v1 snapshot's inline manifest: what its header says. */
static int inline_manifest(owned_list *o, const ice_io *io, const ice_table_metadata *md, const ice_snapshot *snap,
                           const char *location)
{
	ice_manifest_reader *r = NULL;
	ice_manifest_file mf;
	ice_input *in = NULL;
	int rc;
	memset(&mf, 0, sizeof(mf));
	if ((rc = ice_manifest_open_location(&r, io, md, location)) != 0)
		return rc;
	if ((rc = ice_io__open_input(&in, io, location)) != 0) {
		ice_manifest_reader_free(r);
		return rc;
	}
	mf.manifest_path = location;
	mf.manifest_length = (int64_t)in->size;
	mf.partition_spec_id = ice_manifest_reader_spec(r)->spec_id;
	mf.content = ice_manifest_reader_content(r);
	mf.has_added_snapshot_id = true;
	mf.added_snapshot_id = snap->snapshot_id;
	mf.added_files_count = mf.existing_files_count = mf.deleted_files_count = -1;
	mf.added_rows_count = mf.existing_rows_count = mf.deleted_rows_count = -1;
	rc = list_add(o, &mf);
	ice_input__close(in);
	ice_manifest_reader_free(r);
	return rc;
}

/*
 * A manifest list cut right after an Avro block reads as valid and
 * shorter: what the snapshot's summary says the list holds is checked
 * where both sides are known (every count present, the total in the
 * summary): live data files, live delete files, and data records.
 */
int ice_manifest__check_totals(const ice_manifest_list *list, const ice_snapshot *snapshot)
{
	static const char *const keys[3] = {"total-data-files", "total-delete-files", "total-records"};
	static const char *const what[3] = {"data files", "delete files", "data records"};
	int64_t sum[3] = {0, 0, 0};
	bool known[3] = {true, true, true};
	for (size_t i = 0; i < list->n; i++) {
		const ice_manifest_file *mf = &list->items[i];
		int k = mf->content == ICE_MANIFEST_CONTENT_DATA ? 0 : 1;
		if (mf->added_files_count < 0 || mf->existing_files_count < 0)
			known[k] = false;
		else
			sum[k] += (int64_t)mf->added_files_count + mf->existing_files_count;
		if (k == 0 && (mf->added_rows_count < 0 || mf->existing_rows_count < 0 ||
		               __builtin_add_overflow(sum[2], mf->added_rows_count, &sum[2]) ||
		               __builtin_add_overflow(sum[2], mf->existing_rows_count, &sum[2])))
			known[2] = false;
	}
	for (int k = 0; k < 3; k++) {
		const char *v = ice_properties_get(&snapshot->summary, keys[k]);
		int64_t total;
		if (!known[k] || !v || !ice_str__to_int64(v, strlen(v), &total))
			continue;
		if (total != sum[k])
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
			                      "%s: its manifests hold %lld %s, snapshot %lld's summary says %lld (%s): "
			                      "truncated or replaced",
			                      snapshot->manifest_list, (long long)sum[k], what[k],
			                      (long long)snapshot->snapshot_id, (long long)total, keys[k]);
	}
	return 0;
}

int ice_manifest_list_read_snapshot(ice_manifest_list **out, const ice_io *io, const ice_table_metadata *md,
                                    const ice_snapshot *snapshot)
{
	owned_list *o;
	int rc;
	*out = NULL;
	if (snapshot->manifest_list) {
		if ((rc = ice_manifest_list_read(out, io, md, snapshot->manifest_list)) == 0 &&
		    (rc = ice_manifest__check_totals(*out, snapshot)) != 0) {
			ice_manifest_list_free(*out);
			*out = NULL;
		}
		return rc;
	}
	if (!(o = list_new()))
		return ICE_ERROR;
	o->list.format_version = 1;
	for (size_t i = 0; i < snapshot->n_manifests; i++)
		if ((rc = inline_manifest(o, io, md, snapshot, snapshot->manifests[i])) != 0) {
			ice_manifest_list_free(&o->list);
			return rc;
		}
	*out = &o->list;
	return 0;
}
