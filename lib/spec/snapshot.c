/*
 * spec/snapshot.c - the parts of table metadata that describe history:
 * string maps (properties, summaries), snapshots, refs, statistics files,
 * partition statistics files and encryption keys; their JSON (Appendix C)
 * and deep copies.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/error.h"

/* ---- string maps ------------------------------------------------------------ */

const char *ice_properties_get(const ice_properties *props, const char *key)
{
	for (size_t i = props->n; i-- > 0;)
		if (strcmp(props->items[i].key, key) == 0)
			return props->items[i].value;
	return NULL;
}

int ice_properties__parse(ice_properties *out, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	ice_json_iter it;
	const char *key;
	ice_json *val;
	size_t n = ice_json__size(obj), i = 0;
	ice_property *items = n ? ice_arena__allocarray(arena, n, sizeof(*items)) : NULL;
	if (n && !items)
		return ICE_ERROR;
	ice_json__iter_init(&it, obj);
	while (ice_json__iter_next(&it, &key, &val)) {
		const char *s;
		size_t len;
		char num[32];
		/* Values are strings; numbers and booleans written by lax
		 * writers are read as their text. */
		switch (ice_json__type(val)) {
		case ICE_JSON_STRING:
			s = ice_json__str(val, &len);
			break;
		case ICE_JSON_INT:
			len = (size_t)snprintf(num, sizeof(num), "%lld", (long long)ice_json__int(val));
			s = num;
			break;
		case ICE_JSON_TRUE:
		case ICE_JSON_FALSE:
			s = ice_json__type(val) == ICE_JSON_TRUE ? "true" : "false";
			len = strlen(s);
			break;
		default:
			return ice_jr__error_at(r, key, ICE_EINVALID, "expected a string, found %s", ice_json__type_name(val));
		}
		if (!(items[i].key = ice_arena__strdup(arena, key)) || !(items[i].value = ice_arena__strndup(arena, s, len)))
			return ICE_ERROR;
		i++;
	}
	out->n = i;
	out->items = items;
	return 0;
}

int ice_properties__write(const ice_properties *props, ice_json_writer *w)
{
	ice_json_begin_object(w);
	for (size_t i = 0; i < props->n; i++) {
		ice_json_key(w, props->items[i].key);
		ice_json_string(w, props->items[i].value);
	}
	return ice_json_end_object(w);
}

int ice_properties__copy(ice_properties *out, ice_arena *arena, const ice_properties *src)
{
	ice_property *items = src->n ? ice_arena__allocarray(arena, src->n, sizeof(*items)) : NULL;
	if (src->n && !items)
		return ICE_ERROR;
	for (size_t i = 0; i < src->n; i++)
		if (!(items[i].key = ice_arena__strdup(arena, src->items[i].key)) ||
		    !(items[i].value = ice_arena__strdup(arena, src->items[i].value)))
			return ICE_ERROR;
	out->n = src->n;
	out->items = items;
	return 0;
}

bool ice_properties__equal(const ice_properties *a, const ice_properties *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *v = ice_properties_get(b, a->items[i].key);
		if (!v || strcmp(v, a->items[i].value) != 0)
			return false;
	}
	return true;
}

static int parse_props_member(ice_properties *out, ice_arena *arena, ice_jr *r, const ice_json *obj, const char *key)
{
	ice_json *p;
	int rc = ice_jr__opt_object(r, obj, key, &p);
	memset(out, 0, sizeof(*out));
	if (rc || !p)
		return rc;
	ice_jr__push_key(r, key);
	rc = ice_properties__parse(out, arena, r, p);
	ice_jr__pop(r);
	return rc;
}

static int dup_opt_string(ice_arena *arena, ice_jr *r, const ice_json *obj, const char *key, const char **out)
{
	const char *s = NULL;
	size_t len = 0;
	int rc = ice_jr__opt_string(r, obj, key, &s, &len);
	*out = NULL;
	if (rc || !s)
		return rc;
	return (*out = ice_arena__strndup(arena, s, len)) ? 0 : ICE_ERROR;
}

static int dup_req_string(ice_arena *arena, ice_jr *r, const ice_json *obj, const char *key, const char **out)
{
	const char *s;
	size_t len;
	int rc = ice_jr__req_string(r, obj, key, &s, &len);
	if (rc)
		return rc;
	return (*out = ice_arena__strndup(arena, s, len)) ? 0 : ICE_ERROR;
}

static const char *arena_dup(ice_arena *arena, const char *s, bool *failed)
{
	const char *p;
	if (!s)
		return NULL;
	p = ice_arena__strdup(arena, s);
	if (!p)
		*failed = true;
	return p;
}

/* ---- snapshots ------------------------------------------------------------ */

int ice_snapshot__parse(ice_snapshot *s, ice_arena *arena, ice_jr *r, const ice_json *obj, int format_version)
{
	ice_json *manifests, *summary;
	bool has;
	int rc;
	memset(s, 0, sizeof(*s));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a snapshot object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int64(r, obj, "snapshot-id", &s->snapshot_id)) ||
	    (rc = ice_jr__opt_int64(r, obj, "parent-snapshot-id", &s->parent_snapshot_id, &s->has_parent)) ||
	    (rc = ice_jr__opt_int64(r, obj, "sequence-number", &s->sequence_number, &has)) ||
	    (rc = ice_jr__req_int64(r, obj, "timestamp-ms", &s->timestamp_ms)) ||
	    (rc = dup_opt_string(arena, r, obj, "manifest-list", &s->manifest_list)) ||
	    (rc = ice_jr__opt_int32(r, obj, "schema-id", &s->schema_id, &s->has_schema_id)) ||
	    (rc = ice_jr__opt_int64(r, obj, "first-row-id", &s->first_row_id, &s->has_first_row_id)) ||
	    (rc = ice_jr__opt_int64(r, obj, "added-rows", &s->added_rows, &s->has_added_rows)) ||
	    (rc = dup_opt_string(arena, r, obj, "key-id", &s->key_id)) ||
	    (rc = ice_jr__opt_array(r, obj, "manifests", &manifests)) ||
	    (rc = ice_jr__opt_object(r, obj, "summary", &summary)))
		return rc;
	if (s->has_first_row_id && s->first_row_id < 0)
		return ice_jr__error_at(r, "first-row-id", ICE_EINVALID, "negative row id %lld", (long long)s->first_row_id);
	if (has && s->sequence_number < 0)
		return ice_jr__error_at(r, "sequence-number", ICE_EINVALID, "negative sequence number %lld",
		                        (long long)s->sequence_number);
	if (s->has_added_rows && s->added_rows < 0)
		return ice_jr__error_at(r, "added-rows", ICE_EINVALID, "negative count %lld", (long long)s->added_rows);
	/* A snapshot committed while the table was v1 has no sequence number:
	 * it is 0 (spec: "Sequence Numbers"), also after the table was
	 * upgraded to v2 or v3, where Java's SnapshotParser leaves the field
	 * out for 0. */
	if (!has || format_version == 1)
		s->sequence_number = 0;
	if (s->has_parent && s->parent_snapshot_id == -1)
		s->has_parent = false; /* some writers use -1 for "no parent" */
	if (manifests) {
		size_t n = ice_json__size(manifests);
		const char **list = n ? ice_arena__allocarray(arena, n, sizeof(char *)) : NULL;
		if (n && !list)
			return ICE_ERROR;
		ice_jr__push_key(r, "manifests");
		for (size_t i = 0; i < n && !rc; i++) {
			const char *m;
			size_t len;
			ice_jr__push_index(r, i);
			rc = ice_jr__as_string(r, ice_json__at(manifests, i), &m, &len);
			if (!rc && !(list[i] = ice_arena__strndup(arena, m, len)))
				rc = ICE_ERROR;
			ice_jr__pop(r);
		}
		ice_jr__pop(r);
		if (rc)
			return rc;
		s->n_manifests = n;
		s->manifests = list;
	}
	if (!s->manifest_list && !manifests)
		return ice_jr__error(r, ICE_EINVALID, "missing required field 'manifest-list'");
	if (summary) {
		ice_jr__push_key(r, "summary");
		rc = ice_properties__parse(&s->summary, arena, r, summary);
		ice_jr__pop(r);
		if (rc)
			return rc;
		s->operation = ice_properties_get(&s->summary, "operation");
		if (!s->operation)
			return ice_jr__error_at(r, "summary", ICE_EINVALID, "missing required field 'operation'");
	} else if (format_version >= 2) {
		return ice_jr__error(r, ICE_EINVALID, "missing required field 'summary'");
	}
	return 0;
}

int ice_snapshot__write(const ice_snapshot *s, ice_json_writer *w, int format_version)
{
	ice_json_begin_object(w);
	/* In metadata as Java writes it: only above the initial sequence
	 * number 0, so a snapshot carried over from v1 keeps its shape; for
	 * tools (format_version 0) always. */
	if (format_version == 0 || (format_version >= 2 && s->sequence_number > 0)) {
		ice_json_key(w, "sequence-number");
		ice_json_int(w, s->sequence_number);
	}
	ice_json_key(w, "snapshot-id");
	ice_json_int(w, s->snapshot_id);
	if (s->has_parent) {
		ice_json_key(w, "parent-snapshot-id");
		ice_json_int(w, s->parent_snapshot_id);
	}
	ice_json_key(w, "timestamp-ms");
	ice_json_int(w, s->timestamp_ms);
	if (s->operation || s->summary.n) {
		ice_json_key(w, "summary");
		ice_json_begin_object(w);
		if (s->operation) {
			ice_json_key(w, "operation");
			ice_json_string(w, s->operation);
		}
		for (size_t i = 0; i < s->summary.n; i++) {
			if (strcmp(s->summary.items[i].key, "operation") == 0)
				continue;
			ice_json_key(w, s->summary.items[i].key);
			ice_json_string(w, s->summary.items[i].value);
		}
		ice_json_end_object(w);
	}
	if (s->manifest_list) {
		ice_json_key(w, "manifest-list");
		ice_json_string(w, s->manifest_list);
	} else {
		ice_json_key(w, "manifests");
		ice_json_begin_array(w);
		for (size_t i = 0; i < s->n_manifests; i++)
			ice_json_string(w, s->manifests[i]);
		ice_json_end_array(w);
	}
	if (s->has_schema_id) {
		ice_json_key(w, "schema-id");
		ice_json_int(w, s->schema_id);
	}
	if (s->has_first_row_id) {
		ice_json_key(w, "first-row-id");
		ice_json_int(w, s->first_row_id);
	}
	if (s->has_added_rows) {
		ice_json_key(w, "added-rows");
		ice_json_int(w, s->added_rows);
	}
	if (s->key_id) {
		ice_json_key(w, "key-id");
		ice_json_string(w, s->key_id);
	}
	return ice_json_end_object(w);
}

int ice_snapshot_write_json(const ice_snapshot *s, ice_json_writer *w)
{
	return ice_snapshot__write(s, w, 0);
}

int ice_snapshot__copy(ice_snapshot *out, ice_arena *arena, const ice_snapshot *src)
{
	bool failed = false;
	*out = *src;
	out->manifest_list = arena_dup(arena, src->manifest_list, &failed);
	out->key_id = arena_dup(arena, src->key_id, &failed);
	if (src->n_manifests) {
		const char **list = ice_arena__allocarray(arena, src->n_manifests, sizeof(char *));
		if (!list)
			return ICE_ERROR;
		for (size_t i = 0; i < src->n_manifests; i++)
			list[i] = arena_dup(arena, src->manifests[i], &failed);
		out->manifests = list;
	}
	if (failed || ice_properties__copy(&out->summary, arena, &src->summary))
		return ICE_ERROR;
	out->operation = ice_properties_get(&out->summary, "operation");
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool ice_snapshot__equal(const ice_snapshot *a, const ice_snapshot *b)
{
	if (a->snapshot_id != b->snapshot_id || a->has_parent != b->has_parent ||
	    (a->has_parent && a->parent_snapshot_id != b->parent_snapshot_id) || a->sequence_number != b->sequence_number ||
	    a->timestamp_ms != b->timestamp_ms || !str_eq(a->manifest_list, b->manifest_list) ||
	    a->n_manifests != b->n_manifests || a->has_schema_id != b->has_schema_id ||
	    (a->has_schema_id && a->schema_id != b->schema_id) || a->has_first_row_id != b->has_first_row_id ||
	    (a->has_first_row_id && a->first_row_id != b->first_row_id) || a->has_added_rows != b->has_added_rows ||
	    (a->has_added_rows && a->added_rows != b->added_rows) || !str_eq(a->key_id, b->key_id) ||
	    !ice_properties__equal(&a->summary, &b->summary))
		return false;
	for (size_t i = 0; i < a->n_manifests; i++)
		if (strcmp(a->manifests[i], b->manifests[i]) != 0)
			return false;
	return true;
}

/* ---- refs ----------------------------------------------------------------------- */

int ice_ref__parse(ice_ref *out, ice_arena *arena, ice_jr *r, const char *name, const ice_json *obj)
{
	const char *type;
	int rc;
	memset(out, 0, sizeof(*out));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a ref object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int64(r, obj, "snapshot-id", &out->snapshot_id)) ||
	    (rc = ice_jr__req_string(r, obj, "type", &type, NULL)) ||
	    (rc = ice_jr__opt_int32(r, obj, "min-snapshots-to-keep", &out->min_snapshots_to_keep,
	                            &out->has_min_snapshots_to_keep)) ||
	    (rc = ice_jr__opt_int64(r, obj, "max-snapshot-age-ms", &out->max_snapshot_age_ms,
	                            &out->has_max_snapshot_age_ms)) ||
	    (rc = ice_jr__opt_int64(r, obj, "max-ref-age-ms", &out->max_ref_age_ms, &out->has_max_ref_age_ms)))
		return rc;
	if (!strcmp(type, "branch"))
		out->type = ICE_REF_BRANCH;
	else if (!strcmp(type, "tag"))
		out->type = ICE_REF_TAG;
	else
		return ice_jr__error_at(r, "type", ICE_EINVALID, "expected 'branch' or 'tag', found '%s'", type);
	if (out->type == ICE_REF_TAG && (out->has_min_snapshots_to_keep || out->has_max_snapshot_age_ms))
		return ice_jr__error(r, ICE_EINVALID, "tag '%s' cannot have branch retention settings", name);
	if ((out->has_min_snapshots_to_keep && out->min_snapshots_to_keep <= 0) ||
	    (out->has_max_snapshot_age_ms && out->max_snapshot_age_ms <= 0) ||
	    (out->has_max_ref_age_ms && out->max_ref_age_ms <= 0))
		return ice_jr__error(r, ICE_EINVALID, "retention settings of ref '%s' must be positive", name);
	if (!(out->name = ice_arena__strdup(arena, name)))
		return ICE_ERROR;
	return 0;
}

int ice_ref__write(const ice_ref *ref, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "snapshot-id");
	ice_json_int(w, ref->snapshot_id);
	ice_json_key(w, "type");
	ice_json_string(w, ref->type == ICE_REF_BRANCH ? "branch" : "tag");
	if (ref->has_min_snapshots_to_keep) {
		ice_json_key(w, "min-snapshots-to-keep");
		ice_json_int(w, ref->min_snapshots_to_keep);
	}
	if (ref->has_max_snapshot_age_ms) {
		ice_json_key(w, "max-snapshot-age-ms");
		ice_json_int(w, ref->max_snapshot_age_ms);
	}
	if (ref->has_max_ref_age_ms) {
		ice_json_key(w, "max-ref-age-ms");
		ice_json_int(w, ref->max_ref_age_ms);
	}
	return ice_json_end_object(w);
}

int ice_ref_write_json(const ice_ref *ref, ice_json_writer *w)
{
	return ice_ref__write(ref, w);
}

/* ---- statistics --------------------------------------------------------------- */

static int parse_int_list(ice_arena *arena, ice_jr *r, const ice_json *obj, const char *key, size_t *n_out,
                          const int32_t **out)
{
	ice_json *arr;
	int rc = ice_jr__req_array(r, obj, key, &arr);
	if (rc)
		return rc;
	size_t n = ice_json__size(arr);
	int32_t *ids = n ? ice_arena__allocarray(arena, n, sizeof(int32_t)) : NULL;
	if (n && !ids)
		return ICE_ERROR;
	ice_jr__push_key(r, key);
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(r, i);
		rc = ice_jr__as_int32(r, ice_json__at(arr, i), &ids[i]);
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	*n_out = n;
	*out = ids;
	return rc;
}

int ice_statistics__parse(ice_statistics_file *s, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	ice_json *blobs;
	int rc;
	memset(s, 0, sizeof(*s));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a statistics object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int64(r, obj, "snapshot-id", &s->snapshot_id)) ||
	    (rc = dup_req_string(arena, r, obj, "statistics-path", &s->statistics_path)) ||
	    (rc = ice_jr__req_int64(r, obj, "file-size-in-bytes", &s->file_size_in_bytes)) ||
	    (rc = ice_jr__req_int64(r, obj, "file-footer-size-in-bytes", &s->file_footer_size_in_bytes)) ||
	    (rc = dup_opt_string(arena, r, obj, "key-metadata", &s->key_metadata)) ||
	    (rc = ice_jr__req_array(r, obj, "blob-metadata", &blobs)))
		return rc;
	size_t n = ice_json__size(blobs);
	ice_blob_metadata *b = n ? ice_arena__allocarray(arena, n, sizeof(*b)) : NULL;
	if (n && !b)
		return ICE_ERROR;
	ice_jr__push_key(r, "blob-metadata");
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *bo = ice_json__at(blobs, i);
		ice_jr__push_index(r, i);
		if (ice_json__type(bo) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected a blob metadata object, found %s", ice_json__type_name(bo));
		if (!rc)
			rc = dup_req_string(arena, r, bo, "type", &b[i].type);
		if (!rc)
			rc = ice_jr__req_int64(r, bo, "snapshot-id", &b[i].snapshot_id);
		if (!rc)
			rc = ice_jr__req_int64(r, bo, "sequence-number", &b[i].sequence_number);
		if (!rc)
			rc = parse_int_list(arena, r, bo, "fields", &b[i].n_fields, &b[i].fields);
		if (!rc)
			rc = parse_props_member(&b[i].properties, arena, r, bo, "properties");
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	s->n_blobs = n;
	s->blobs = b;
	return rc;
}

int ice_statistics__write(const ice_statistics_file *s, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "snapshot-id");
	ice_json_int(w, s->snapshot_id);
	ice_json_key(w, "statistics-path");
	ice_json_string(w, s->statistics_path);
	ice_json_key(w, "file-size-in-bytes");
	ice_json_int(w, s->file_size_in_bytes);
	ice_json_key(w, "file-footer-size-in-bytes");
	ice_json_int(w, s->file_footer_size_in_bytes);
	if (s->key_metadata) {
		ice_json_key(w, "key-metadata");
		ice_json_string(w, s->key_metadata);
	}
	ice_json_key(w, "blob-metadata");
	ice_json_begin_array(w);
	for (size_t i = 0; i < s->n_blobs; i++) {
		const ice_blob_metadata *b = &s->blobs[i];
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, b->type);
		ice_json_key(w, "snapshot-id");
		ice_json_int(w, b->snapshot_id);
		ice_json_key(w, "sequence-number");
		ice_json_int(w, b->sequence_number);
		ice_json_key(w, "fields");
		ice_json_begin_array(w);
		for (size_t k = 0; k < b->n_fields; k++)
			ice_json_int(w, b->fields[k]);
		ice_json_end_array(w);
		if (b->properties.n) {
			ice_json_key(w, "properties");
			ice_properties__write(&b->properties, w);
		}
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	return ice_json_end_object(w);
}

int ice_statistics__copy(ice_statistics_file *out, ice_arena *arena, const ice_statistics_file *src)
{
	bool failed = false;
	*out = *src;
	out->statistics_path = arena_dup(arena, src->statistics_path, &failed);
	out->key_metadata = arena_dup(arena, src->key_metadata, &failed);
	if (src->n_blobs) {
		ice_blob_metadata *b = ice_arena__allocarray(arena, src->n_blobs, sizeof(*b));
		if (!b)
			return ICE_ERROR;
		for (size_t i = 0; i < src->n_blobs; i++) {
			b[i] = src->blobs[i];
			b[i].type = arena_dup(arena, src->blobs[i].type, &failed);
			if (src->blobs[i].n_fields &&
			    !(b[i].fields = ice_arena__memdup(arena, src->blobs[i].fields, src->blobs[i].n_fields * sizeof(int32_t))))
				failed = true;
			if (ice_properties__copy(&b[i].properties, arena, &src->blobs[i].properties))
				failed = true;
		}
		out->blobs = b;
	}
	return failed ? ICE_ERROR : 0;
}

int ice_partition_statistics__parse(ice_partition_statistics_file *s, ice_arena *arena, ice_jr *r,
                                    const ice_json *obj)
{
	int rc;
	memset(s, 0, sizeof(*s));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a partition statistics object, found %s",
		                     ice_json__type_name(obj));
	if ((rc = ice_jr__req_int64(r, obj, "snapshot-id", &s->snapshot_id)) ||
	    (rc = dup_req_string(arena, r, obj, "statistics-path", &s->statistics_path)) ||
	    (rc = ice_jr__req_int64(r, obj, "file-size-in-bytes", &s->file_size_in_bytes)))
		return rc;
	return 0;
}

int ice_partition_statistics__write(const ice_partition_statistics_file *s, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "snapshot-id");
	ice_json_int(w, s->snapshot_id);
	ice_json_key(w, "statistics-path");
	ice_json_string(w, s->statistics_path);
	ice_json_key(w, "file-size-in-bytes");
	ice_json_int(w, s->file_size_in_bytes);
	return ice_json_end_object(w);
}

/* ---- encryption keys ------------------------------------------------------------- */

int ice_encryption_key__parse(ice_encryption_key *k, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	int rc;
	memset(k, 0, sizeof(*k));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected an encryption key object, found %s", ice_json__type_name(obj));
	if ((rc = dup_req_string(arena, r, obj, "key-id", &k->key_id)) ||
	    (rc = dup_opt_string(arena, r, obj, "encrypted-key-metadata", &k->encrypted_key_metadata)) ||
	    (rc = dup_opt_string(arena, r, obj, "encrypted-by-id", &k->encrypted_by_id)) ||
	    (rc = parse_props_member(&k->properties, arena, r, obj, "properties")))
		return rc;
	/* The spec's own example names it "key-metadata". */
	if (!k->encrypted_key_metadata && (rc = dup_opt_string(arena, r, obj, "key-metadata", &k->encrypted_key_metadata)))
		return rc;
	if (!k->encrypted_key_metadata)
		return ice_jr__error(r, ICE_EINVALID, "missing required field 'encrypted-key-metadata'");
	return 0;
}

int ice_encryption_key__write(const ice_encryption_key *k, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "key-id");
	ice_json_string(w, k->key_id);
	ice_json_key(w, "encrypted-key-metadata");
	ice_json_string(w, k->encrypted_key_metadata);
	if (k->encrypted_by_id) {
		ice_json_key(w, "encrypted-by-id");
		ice_json_string(w, k->encrypted_by_id);
	}
	if (k->properties.n) {
		ice_json_key(w, "properties");
		ice_properties__write(&k->properties, w);
	}
	return ice_json_end_object(w);
}

int ice_encryption_key__copy(ice_encryption_key *out, ice_arena *arena, const ice_encryption_key *src)
{
	bool failed = false;
	*out = *src;
	out->key_id = arena_dup(arena, src->key_id, &failed);
	out->encrypted_key_metadata = arena_dup(arena, src->encrypted_key_metadata, &failed);
	out->encrypted_by_id = arena_dup(arena, src->encrypted_by_id, &failed);
	if (failed || ice_properties__copy(&out->properties, arena, &src->properties))
		return ICE_ERROR;
	return 0;
}
