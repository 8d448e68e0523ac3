/*
 * scan/scan.c - a scan's setup (ice/scan.h): which snapshot (by id, by
 * time through the snapshot log, by branch or tag; spec "Snapshot
 * References" and time travel), which schema names resolve against, the
 * selected columns (nested ones keep their parents, pruned to what was
 * selected), the bound filter and its projection onto every partition spec
 * of the table, the Arrow schema of the rows, and the statistics.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "parquet/internal.h"
#include "spec/model.h"
#include "util/strutil.h"

void ice_scan_options_init(ice_scan_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->case_sensitive = true;
	opts->limit = -1;
}

/* ---- snapshot and schema ------------------------------------------------------------------ */

/*
 * The append snapshots after o->from_snapshot_id up to scan->snapshot, as
 * Java's IncrementalAppendScan takes them (plus the refusal of rows that
 * were removed, which a reader of appends would otherwise miss).
 */
static int choose_range(ice_scan *scan, const ice_scan_options *o)
{
	const ice_table_metadata *md = scan->md;
	int64_t from = o->from_snapshot_id;
	size_t n = 0, cap = ice_table_metadata_snapshot_count(md);
	if (!ice_table_metadata_snapshot_by_id(md, from))
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_INVALID, "scan: no snapshot %" PRId64 " (--from-snapshot)",
		                      from);
	if (!scan->snapshot || !ice_table_metadata_is_ancestor(md, scan->snapshot->snapshot_id, from))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "scan: snapshot %" PRId64 " is not an ancestor of snapshot %" PRId64
		                      ": an incremental scan reads one line of history",
		                      from, scan->snapshot ? scan->snapshot->snapshot_id : -1);
	scan->incremental = true;
	scan->schema = ice_table_metadata_current_schema(md);
	if (!(scan->range = ice_arena__alloc(&scan->arena, (cap ? cap : 1) * sizeof(*scan->range))))
		return ICE_ERROR;
	for (const ice_snapshot *s = scan->snapshot; s && s->snapshot_id != from && n < cap;
	     s = s->has_parent ? ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id) : NULL) {
		const char *op = s->operation ? s->operation : "";
		if (strcmp(op, "append") == 0)
			scan->range[n++] = s;
		else if (strcmp(op, "replace") != 0 && !o->appends_only)
			return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
			                      "scan: snapshot %" PRId64 " in the range is '%s', not an append: an incremental "
			                      "scan reads appended rows only (--appends-only skips it)",
			                      s->snapshot_id, *op ? op : "(no operation)");
	}
	for (size_t i = 0; i < n / 2; i++) {
		const ice_snapshot *t = scan->range[i];
		scan->range[i] = scan->range[n - 1 - i];
		scan->range[n - 1 - i] = t;
	}
	scan->nrange = n;
	return 0;
}

static int choose_snapshot(ice_scan *scan, const ice_scan_options *o)
{
	ice_snapshot_selector sel = {o->has_snapshot_id, o->snapshot_id, o->has_as_of_ms, o->as_of_ms, o->ref};
	int rc = ice_table_metadata_select_snapshot(&scan->snapshot, &scan->schema, scan->md, &sel);
	if (rc)
		return ice_error__prefix("scan");
	if (o->current_schema)
		scan->schema = ice_table_metadata_current_schema(scan->md);
	return o->has_from_snapshot_id ? choose_range(scan, o) : 0;
}

/* ---- projection ------------------------------------------------------------------------------ */

static bool selected(const int32_t *ids, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool has_selected(const ice_type *t, const int32_t *ids, size_t n);

static bool field_has_selected(const ice_field *f, const int32_t *ids, size_t n)
{
	return selected(ids, n, f->id) || has_selected(f->type, ids, n);
}

static bool has_selected(const ice_type *t, const int32_t *ids, size_t n)
{
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			if (field_has_selected(&t->u.struct_.fields[i], ids, n))
				return true;
		return false;
	case ICE_TYPE_LIST: return field_has_selected(&t->u.list.element, ids, n);
	case ICE_TYPE_MAP: return field_has_selected(&t->u.map.key, ids, n) || field_has_selected(&t->u.map.value, ids, n);
	default: return false;
	}
}

/* `t` pruned to the selected fields (a selected field keeps its whole type). */
static const ice_type *prune(ice_arena *a, const ice_type *t, const int32_t *ids, size_t n);

static int prune_field(ice_arena *a, ice_field *out, const ice_field *f, const int32_t *ids, size_t n)
{
	*out = *f;
	if (selected(ids, n, f->id))
		return 0;
	return (out->type = prune(a, f->type, ids, n)) ? 0 : ICE_ERROR;
}

static const ice_type *prune(ice_arena *a, const ice_type *t, const int32_t *ids, size_t n)
{
	ice_type *c = ice_arena__alloc(a, sizeof(*c));
	if (!c)
		return NULL;
	*c = *t;
	switch (t->id) {
	case ICE_TYPE_STRUCT: {
		size_t k = 0;
		ice_field *fs = ice_arena__allocarray(a, t->u.struct_.nfields ? t->u.struct_.nfields : 1, sizeof(ice_field));
		if (!fs)
			return NULL;
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			const ice_field *f = &t->u.struct_.fields[i];
			if (!field_has_selected(f, ids, n))
				continue;
			if (prune_field(a, &fs[k++], f, ids, n))
				return NULL;
		}
		c->u.struct_.fields = fs;
		c->u.struct_.nfields = k;
		return c;
	}
	case ICE_TYPE_LIST:
		return prune_field(a, &c->u.list.element, &t->u.list.element, ids, n) ? NULL : c;
	case ICE_TYPE_MAP:
		/* a map needs its keys; the value is pruned */
		c->u.map.key = t->u.map.key;
		return prune_field(a, &c->u.map.value, &t->u.map.value, ids, n) ? NULL : c;
	default: return c;
	}
}

/* The top-level columns in the order the select names them (by the first
 * name under each): `--select b,a` reads b then a. */
static void order_as_selected(ice_type *st, const int32_t *ids, size_t n)
{
	ice_field *fs = (ice_field *)st->u.struct_.fields;
	size_t nf = st->u.struct_.nfields, k = 0;
	for (size_t i = 0; i < n && k < nf; i++)
		for (size_t j = k; j < nf; j++) {
			if (!field_has_selected(&fs[j], &ids[i], 1))
				continue;
			ice_field moved = fs[j];
			memmove(&fs[k + 1], &fs[k], (j - k) * sizeof(ice_field));
			fs[k++] = moved;
			break;
		}
}

/* A selected name that is a row lineage column (bit 0 or 1), 0 otherwise. */
static unsigned lineage_name(const char *name, bool case_sensitive)
{
	for (int i = 0; i < 2; i++) {
		const char *n = ice_schema__lineage_field(i)->name;
		if (case_sensitive ? !strcmp(name, n) : ice_str__ieq(name, strlen(name), n, strlen(n)))
			return 1u << i;
	}
	return 0;
}

static int resolve_select(ice_scan *scan, const ice_scan_options *o)
{
	int32_t *ids;
	size_t nids = 0;
	unsigned lineage = o->row_lineage ? 3 : 0;
	int rc = 0;
	if (!o->select) {
		scan->projected = ice_schema_struct(scan->schema);
		goto lineage;
	}
	if (!(ids = ice__calloc(o->nselect ? o->nselect : 1, sizeof(int32_t))))
		return ICE_ERROR;
	for (size_t i = 0; i < o->nselect; i++) {
		const ice_field *f = o->select[i] ? ice_schema_find_field_by_name(scan->schema, o->select[i], o->case_sensitive)
		                                  : NULL;
		unsigned l = !f && o->select[i] ? lineage_name(o->select[i], o->case_sensitive) : 0;
		if (!f && !l) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "select: unknown column '%s'",
			                    o->select[i] ? o->select[i] : "(null)");
			break;
		}
		if (l)
			lineage |= l;
		else
			ids[nids++] = f->id;
	}
	if (rc == 0 && !(scan->projected = prune(&scan->arena, ice_schema_struct(scan->schema), ids, nids)))
		rc = ICE_ERROR;
	if (rc == 0)
		order_as_selected((ice_type *)scan->projected, ids, nids);
	ice__free(ids);
	if (rc)
		return rc;
lineage:
	if (!lineage)
		return 0;
	if (ice_table_metadata_format_version(scan->md) < 3)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "select: %s: row lineage columns exist from format version 3 (the table is v%d)",
		                      ice_schema__lineage_field(lineage & 1 ? 0 : 1)->name,
		                      ice_table_metadata_format_version(scan->md));
	if (!(scan->projected = ice_schema__with_lineage(&scan->arena, scan->projected, lineage)))
		return ICE_ERROR;
	return 0;
}

/* ---- filter -------------------------------------------------------------------------------------- */

static int bind_filter(ice_scan *scan, const ice_scan_options *o)
{
	ice_expr *parsed = NULL;
	const ice_expr *e = o->filter_expr;
	int rc;
	if (!e && o->filter) {
		if ((rc = ice_expr_parse(&parsed, o->filter)) != 0)
			return rc;
		e = parsed;
	}
	if (!e)
		return 0;
	rc = ice_expr_bind(&scan->filter, e, ice_schema_struct(scan->schema), o->case_sensitive);
	ice_expr_free(parsed);
	if (rc)
		return rc;
	if (ice_expr_get_kind(scan->filter) == ICE_EXPR_TRUE) {
		ice_expr_free(scan->filter);
		scan->filter = NULL;
	}
	return 0;
}

static int project_filters(ice_scan *scan)
{
	size_t n = ice_table_metadata_spec_count(scan->md);
	int rc;
	if (!(scan->spec_filters = ice__calloc(n ? n : 1, sizeof(ice_scan_spec_filter))))
		return ICE_ERROR;
	scan->nspec_filters = n;
	for (size_t i = 0; i < n; i++) {
		ice_scan_spec_filter *sf = &scan->spec_filters[i];
		sf->spec = ice_table_metadata_spec_at(scan->md, i);
		if (!(sf->field_ids = ice__calloc(sf->spec->nfields ? sf->spec->nfields : 1, sizeof(int32_t))))
			return ICE_ERROR;
		for (size_t k = 0; k < sf->spec->nfields; k++)
			sf->field_ids[k] = sf->spec->fields[k].field_id;
		if (scan->filter && (rc = ice_expr_project(&sf->inclusive, scan->filter, sf->spec, scan->schema, false)) != 0)
			return rc;
	}
	return 0;
}

const ice_scan_spec_filter *ice_scan__spec_filter(const ice_scan *scan, int32_t spec_id)
{
	for (size_t i = 0; i < scan->nspec_filters; i++)
		if (scan->spec_filters[i].spec->spec_id == spec_id)
			return &scan->spec_filters[i];
	return NULL;
}

/* ---- lifetime -------------------------------------------------------------------------------------- */

static size_t cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

int ice_scan_new(ice_scan **out, const ice_io *io, const ice_table_metadata *md, const ice_scan_options *opts)
{
	ice_scan_options defaults;
	ice_scan *scan;
	int rc;
	*out = NULL;
	if (!io || !md)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "scan: needs FileIO and table metadata");
	if (!opts) {
		ice_scan_options_init(&defaults);
		opts = &defaults;
	}
	if (!(scan = ice__calloc(1, sizeof(*scan))))
		return ICE_ERROR;
	scan->io = io;
	scan->md = md;
	scan->case_sensitive = opts->case_sensitive;
	scan->limit = opts->limit < 0 ? -1 : opts->limit;
	scan->threads = opts->threads ? opts->threads : cores();
	if (scan->threads > 64)
		scan->threads = 64;
	scan->batch_size = opts->batch_size ? opts->batch_size : 65536;
	ice_arena__init(&scan->arena, 1024);
	pthread_mutex_init(&scan->mu, NULL);
	if ((rc = choose_snapshot(scan, opts)) != 0 || (rc = resolve_select(scan, opts)) != 0 ||
	    (rc = bind_filter(scan, opts)) != 0 || (rc = project_filters(scan)) != 0) {
		ice_scan_free(scan);
		return rc;
	}
	*out = scan;
	return 0;
}

void ice_scan_free(ice_scan *scan)
{
	if (!scan)
		return;
	ice_scan__delete_indexes_free(scan->indexes);
	for (size_t i = 0; i < scan->nspec_filters; i++) {
		ice_expr_free(scan->spec_filters[i].inclusive);
		ice__free(scan->spec_filters[i].field_ids);
	}
	ice__free(scan->spec_filters);
	ice_expr_free(scan->filter);
	ice_arena__free(&scan->arena);
	pthread_mutex_destroy(&scan->mu);
	ice__free(scan);
}

/* ---- accessors ------------------------------------------------------------------------------------- */

const ice_snapshot *ice_scan_snapshot(const ice_scan *scan)
{
	return scan->snapshot;
}

const ice_snapshot *const *ice_scan_range(const ice_scan *scan, size_t *n)
{
	*n = scan->nrange;
	return (const ice_snapshot *const *)scan->range;
}

const ice_schema *ice_scan_schema(const ice_scan *scan)
{
	return scan->schema;
}

const ice_type *ice_scan_projected_type(const ice_scan *scan)
{
	return scan->projected;
}

const ice_expr *ice_scan_filter(const ice_scan *scan)
{
	return scan->filter;
}

/* ---- the Arrow schema of the rows ------------------------------------------------------------------ */

static void put_i32(uint8_t **p, int32_t v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

static void put_kv(uint8_t **p, const char *k, const char *v)
{
	put_i32(p, (int32_t)strlen(k));
	memcpy(*p, k, strlen(k));
	*p += strlen(k);
	put_i32(p, (int32_t)strlen(v));
	memcpy(*p, v, strlen(v));
	*p += strlen(v);
}

/* Arrow field metadata: PARQUET:field_id, and the uuid extension type. */
static char *field_metadata(int32_t id, bool uuid, size_t *len)
{
	char idtext[16];
	snprintf(idtext, sizeof(idtext), "%d", (int)id);
	size_t n = 4 + 8 + strlen("PARQUET:field_id") + strlen(idtext);
	if (uuid)
		n += 8 + strlen("ARROW:extension:name") + strlen("arrow.uuid") + 8 + strlen("ARROW:extension:metadata");
	uint8_t *m = ice__malloc(n), *p = m;
	if (!m)
		return NULL;
	put_i32(&p, uuid ? 3 : 1);
	put_kv(&p, "PARQUET:field_id", idtext);
	if (uuid) {
		put_kv(&p, "ARROW:extension:name", "arrow.uuid");
		put_kv(&p, "ARROW:extension:metadata", "");
	}
	*len = n;
	return (char *)m;
}

static int arrow_field(struct ArrowSchema *out, const ice_field *f);

static int arrow_type(struct ArrowSchema *out, const ice_type *t, const char *name, const char *meta, size_t meta_len,
                      int64_t flags)
{
	char fmt[64];
	struct ArrowSchema kids[2];
	int nk = 0, rc;
	memset(kids, 0, sizeof(kids));
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: strcpy(fmt, "b"); break;
	case ICE_TYPE_INT: strcpy(fmt, "i"); break;
	case ICE_TYPE_LONG: strcpy(fmt, "l"); break;
	case ICE_TYPE_FLOAT: strcpy(fmt, "f"); break;
	case ICE_TYPE_DOUBLE: strcpy(fmt, "g"); break;
	case ICE_TYPE_DECIMAL:
		snprintf(fmt, sizeof(fmt), "d:%d,%d", (int)t->u.decimal.precision, (int)t->u.decimal.scale);
		break;
	case ICE_TYPE_DATE: strcpy(fmt, "tdD"); break;
	case ICE_TYPE_TIME: strcpy(fmt, "ttu"); break;
	case ICE_TYPE_TIMESTAMP: strcpy(fmt, "tsu:"); break;
	case ICE_TYPE_TIMESTAMPTZ: strcpy(fmt, "tsu:UTC"); break;
	case ICE_TYPE_TIMESTAMP_NS: strcpy(fmt, "tsn:"); break;
	case ICE_TYPE_TIMESTAMPTZ_NS: strcpy(fmt, "tsn:UTC"); break;
	case ICE_TYPE_STRING: strcpy(fmt, "u"); break;
	case ICE_TYPE_UUID: strcpy(fmt, "w:16"); break;
	case ICE_TYPE_FIXED: snprintf(fmt, sizeof(fmt), "w:%d", (int)t->u.fixed.length); break;
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: strcpy(fmt, "z"); break;
	case ICE_TYPE_UNKNOWN: strcpy(fmt, "n"); break;
	case ICE_TYPE_VARIANT:
		strcpy(fmt, "+s");
		if ((rc = ice_arrow__schema_make(&kids[0], "z", "metadata", NULL, 0, 0, 0, NULL)) != 0)
			return rc;
		if ((rc = ice_arrow__schema_make(&kids[1], "z", "value", NULL, 0, 0, 0, NULL)) != 0) {
			ice_arrow_schema_release(&kids[0]);
			return rc;
		}
		nk = 2;
		break;
	case ICE_TYPE_STRUCT: {
		size_t n = t->u.struct_.nfields;
		struct ArrowSchema *children = n ? ice__calloc(n, sizeof(*children)) : NULL;
		if (n && !children)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			if ((rc = arrow_field(&children[i], &t->u.struct_.fields[i])) != 0) {
				for (size_t k = 0; k < i; k++)
					ice_arrow_schema_release(&children[k]);
				ice__free(children);
				return rc;
			}
		}
		rc = ice_arrow__schema_make(out, "+s", name, meta, meta_len, flags, (int)n, children);
		ice__free(children);
		return rc;
	}
	case ICE_TYPE_LIST:
		strcpy(fmt, "+l");
		if ((rc = arrow_field(&kids[0], &t->u.list.element)) != 0)
			return rc;
		nk = 1;
		break;
	case ICE_TYPE_MAP: {
		struct ArrowSchema kv[2];
		memset(kv, 0, sizeof(kv));
		strcpy(fmt, "+m");
		if ((rc = arrow_field(&kv[0], &t->u.map.key)) != 0)
			return rc;
		kv[0].flags &= ~(int64_t)ARROW_FLAG_NULLABLE;
		if ((rc = arrow_field(&kv[1], &t->u.map.value)) != 0) {
			ice_arrow_schema_release(&kv[0]);
			return rc;
		}
		if ((rc = ice_arrow__schema_make(&kids[0], "+s", "entries", NULL, 0, 0, 2, kv)) != 0)
			return rc;
		nk = 1;
		break;
	}
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "scan: no Arrow type for %s",
		                      ice_type_id_name(t->id));
	}
	return ice_arrow__schema_make(out, fmt, name, meta, meta_len, flags, nk, nk ? kids : NULL);
}

static int arrow_field(struct ArrowSchema *out, const ice_field *f)
{
	size_t len = 0;
	char *meta = field_metadata(f->id, f->type->id == ICE_TYPE_UUID, &len);
	int rc;
	if (!meta)
		return ICE_ERROR;
	rc = arrow_type(out, f->type, f->name, meta, len, f->required ? 0 : ARROW_FLAG_NULLABLE);
	ice__free(meta);
	return rc;
}

int ice_scan_arrow_schema(const ice_scan *scan, struct ArrowSchema *out)
{
	memset(out, 0, sizeof(*out));
	return arrow_type(out, scan->projected, "", NULL, 0, 0);
}

/* ---- statistics ------------------------------------------------------------------------------------ */

void ice_scan_get_stats(const ice_scan *scan, ice_scan_stats *out)
{
	ice_scan_counters *c = (ice_scan_counters *)&scan->stats;
	out->manifests = atomic_load(&c->manifests);
	out->manifests_skipped = atomic_load(&c->manifests_skipped);
	out->delete_manifests = atomic_load(&c->delete_manifests);
	out->data_files = atomic_load(&c->data_files);
	out->data_files_skipped_partition = atomic_load(&c->data_files_skipped_partition);
	out->data_files_skipped_metrics = atomic_load(&c->data_files_skipped_metrics);
	out->delete_files = atomic_load(&c->delete_files);
	out->tasks = atomic_load(&c->tasks);
	out->row_groups = atomic_load(&c->row_groups);
	out->row_groups_skipped = atomic_load(&c->row_groups_skipped);
	out->rows_read = atomic_load(&c->rows_read);
	out->rows_deleted = atomic_load(&c->rows_deleted);
	out->rows_filtered = atomic_load(&c->rows_filtered);
	out->rows_returned = atomic_load(&c->rows_returned);
	out->bytes_read = atomic_load(&c->bytes_read);
}

int ice_scan_stats_write_json(const ice_scan_stats *s, ice_json_writer *w)
{
	const struct {
		const char *key;
		int64_t value;
	} items[] = {
		{"manifests", s->manifests},
		{"manifests_skipped", s->manifests_skipped},
		{"delete_manifests", s->delete_manifests},
		{"data_files", s->data_files},
		{"data_files_skipped_partition", s->data_files_skipped_partition},
		{"data_files_skipped_metrics", s->data_files_skipped_metrics},
		{"delete_files", s->delete_files},
		{"tasks", s->tasks},
		{"row_groups", s->row_groups},
		{"row_groups_skipped", s->row_groups_skipped},
		{"rows_read", s->rows_read},
		{"rows_deleted", s->rows_deleted},
		{"rows_filtered", s->rows_filtered},
		{"rows_returned", s->rows_returned},
		{"bytes_read", s->bytes_read},
	};
	ice_json_begin_object(w);
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		ice_json_key(w, items[i].key);
		ice_json_int(w, items[i].value);
	}
	return ice_json_end_object(w);
}
