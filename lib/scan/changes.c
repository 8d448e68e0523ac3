/*
 * scan/changes.c - a table's changelog between two snapshots, as Spark's
 * create_changelog_view defines it (ice_changes_* in ice/scan.h): for each
 * snapshot after `from` up to `to` that is not a "replace", in order
 * (_change_ordinal 0, 1, ...), the rows it deleted and the rows it
 * inserted, each with _change_type, _change_ordinal and
 * _commit_snapshot_id.
 *
 * One snapshot S with parent P is compared file by file, reading only the
 * files S touched: the data files S added (their rows live in S are
 * INSERTs), the data files S removed (their rows live in P are DELETEs),
 * and the files S added delete files for (position deletes, deletion
 * vectors, equality deletes: the rows live in P and not in S are DELETEs;
 * the two readers walk the file in step). Rows a copy-on-write rewrite
 * carried over unchanged (the same values deleted and inserted by one
 * snapshot) cancel, as Spark's RemoveCarryoverIterator removes them: the
 * changed rows of one snapshot are held in memory for that, never more.
 */
#include <inttypes.h>
#include <string.h>

#include "internal.h"
#include "parquet/internal.h"
#include "read.h"
#include "util/arrow.h"

/* Iceberg's reserved ids of the changelog metadata columns (MetadataColumns). */
#define CHANGE_TYPE_ID 2147483543
#define CHANGE_ORDINAL_ID 2147483542
#define COMMIT_SNAPSHOT_ID 2147483541
#define NEXTRA 3

typedef struct out_batch {
	struct ArrowArray rows; /* the projected struct, compact */
	bool insert;
	char **keys;            /* per row: its values as text (carryover matching) */
	uint8_t *drop;          /* per row: cancelled by a carryover */
} out_batch;

struct ice_changes {
	const ice_io *io;
	const ice_table_metadata *md;
	ice_scan_options opts;               /* select, threads, batch size */
	ice_scan *shape;                     /* at `to`: the projected type and Arrow schema */
	const ice_snapshot **snaps;          /* the changelog snapshots, oldest first */
	size_t nsnaps, next;
	ice_arena arena;
	ice_type type;                       /* projected + the three columns */
	ice_field *fields;
	/* the current snapshot's batches, handed out in order */
	out_batch *batches;
	size_t nbatches, cap, pos;
	char *last_error;
};

/* ---- setup -------------------------------------------------------------------------------------- */

static int scan_at(ice_scan **out, const ice_changes *c, int64_t snapshot_id)
{
	ice_scan_options o = c->opts;
	o.has_snapshot_id = true;
	o.snapshot_id = snapshot_id;
	o.has_as_of_ms = false;
	o.ref = NULL;
	o.has_from_snapshot_id = false;
	o.current_schema = true;
	o.filter = NULL;
	o.filter_expr = NULL;
	o.limit = -1;
	return ice_scan_new(out, c->io, c->md, &o);
}

int ice_changes_new(ice_changes **out, const ice_io *io, const ice_table_metadata *md, const ice_scan_options *opts)
{
	ice_changes *c;
	ice_scan *range = NULL;
	int rc;
	*out = NULL;
	if (!opts || !opts->has_from_snapshot_id)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "changes: a start snapshot is required");
	if (opts->filter || opts->filter_expr)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "changes: a row filter is not supported");
	if (!(c = ice__calloc(1, sizeof(*c))))
		return ICE_ERROR;
	c->io = io;
	c->md = md;
	c->opts = *opts;
	ice_arena__init(&c->arena, 1024);
	/* the range, checked as the incremental scan checks it (one line of history) */
	ice_scan_options ro = *opts;
	ro.appends_only = true;
	ro.current_schema = true;
	if ((rc = ice_scan_new(&range, io, md, &ro)) != 0)
		goto fail;
	const ice_snapshot *to = ice_scan_snapshot(range);
	size_t cap = ice_table_metadata_snapshot_count(md);
	if (!(c->snaps = ice_arena__alloc(&c->arena, (cap ? cap : 1) * sizeof(*c->snaps)))) {
		rc = ICE_ERROR;
		goto fail;
	}
	for (const ice_snapshot *s = to; s && s->snapshot_id != opts->from_snapshot_id && c->nsnaps < cap;
	     s = s->has_parent ? ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id) : NULL)
		if (!s->operation || strcmp(s->operation, "replace") != 0)
			c->snaps[c->nsnaps++] = s;
	for (size_t i = 0; i < c->nsnaps / 2; i++) {
		const ice_snapshot *t = c->snaps[i];
		c->snaps[i] = c->snaps[c->nsnaps - 1 - i];
		c->snaps[c->nsnaps - 1 - i] = t;
	}
	if ((rc = scan_at(&c->shape, c, to->snapshot_id)) != 0)
		goto fail;
	ice_scan_free(range);
	range = NULL;
	/* the row type: the projected fields, then the three columns */
	const ice_type *proj = ice_scan_projected_type(c->shape);
	size_t n = proj->u.struct_.nfields;
	if (!(c->fields = ice_arena__alloc(&c->arena, (n + NEXTRA) * sizeof(ice_field)))) {
		rc = ICE_ERROR;
		goto fail;
	}
	memcpy(c->fields, proj->u.struct_.fields, n * sizeof(ice_field));
	c->fields[n] = (ice_field){CHANGE_TYPE_ID, "_change_type", true, ice_type_primitive(ICE_TYPE_STRING), NULL, NULL,
	                           NULL};
	c->fields[n + 1] = (ice_field){CHANGE_ORDINAL_ID, "_change_ordinal", true, ice_type_primitive(ICE_TYPE_INT),
	                               NULL, NULL, NULL};
	c->fields[n + 2] = (ice_field){COMMIT_SNAPSHOT_ID, "_commit_snapshot_id", true,
	                               ice_type_primitive(ICE_TYPE_LONG), NULL, NULL, NULL};
	c->type.id = ICE_TYPE_STRUCT;
	c->type.u.struct_.nfields = n + NEXTRA;
	c->type.u.struct_.fields = c->fields;
	*out = c;
	return 0;
fail:
	ice_scan_free(range);
	ice_changes_free(c);
	return rc;
}

const ice_type *ice_changes_type(const ice_changes *c)
{
	return &c->type;
}

static void batches_clear(ice_changes *c)
{
	for (size_t i = 0; i < c->nbatches; i++) {
		out_batch *b = &c->batches[i];
		ice_arrow_array_release(&b->rows);
		for (int64_t r = 0; b->keys && r < b->rows.length; r++)
			ice__free(b->keys[r]);
		ice__free(b->keys);
		ice__free(b->drop);
	}
	c->nbatches = 0;
	c->pos = 0;
}

void ice_changes_free(ice_changes *c)
{
	if (!c)
		return;
	batches_clear(c);
	ice__free(c->batches);
	ice_scan_free(c->shape);
	ice__free(c->last_error);
	ice_arena__free(&c->arena);
	ice__free(c);
}

/* ---- one snapshot ---------------------------------------------------------------------------------- */

/* A path set: keys and values in the map are the same arena string. */
static int set_add(ice_map *m, ice_arena *a, const char *s)
{
	size_t len = strlen(s);
	if (ice_map__get_str(m, s, len, NULL))
		return 0;
	char *k = ice_arena__strndup(a, s, len);
	return k ? ice_map__put_str(m, k, len, k) : ICE_ERROR;
}

static bool set_has(const ice_map *m, const char *s)
{
	return ice_map__get_str(m, s, strlen(s), NULL);
}

/* What S itself changed: the data files it added and removed, the delete
 * files it added (entries of the manifests S wrote). */
static int touched(const ice_changes *c, const ice_snapshot *s, ice_map *added, ice_map *removed, ice_map *new_deletes,
                   ice_arena *a)
{
	ice_manifest_list *list = NULL;
	int rc = ice_manifest_list_read_snapshot(&list, c->io, c->md, s);
	for (size_t i = 0; !rc && i < list->n; i++) {
		const ice_manifest_file *mf = &list->items[i];
		ice_manifest_reader *r = NULL;
		const ice_manifest_entry *e;
		if (mf->has_added_snapshot_id && mf->added_snapshot_id != s->snapshot_id)
			continue;
		if ((rc = ice_manifest_open(&r, c->io, c->md, mf)) != 0)
			break;
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			if (!e->has_snapshot_id || e->snapshot_id != s->snapshot_id || e->status == ICE_MANIFEST_ENTRY_EXISTING)
				continue;
			bool data = e->data_file.content == ICE_FILE_CONTENT_DATA;
			if (data && e->status == ICE_MANIFEST_ENTRY_ADDED)
				rc = set_add(added, a, e->data_file.file_path);
			else if (data)
				rc = set_add(removed, a, e->data_file.file_path);
			else if (e->status == ICE_MANIFEST_ENTRY_ADDED)
				rc = set_add(new_deletes, a, e->data_file.file_path);
			if (rc)
				break;
		}
		ice_manifest_reader_free(r);
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
	ice_manifest_list_free(list);
	return rc;
}

typedef struct task_list {
	ice_scan_task **items;
	size_t n, cap;
} task_list;

static int tasks_push(task_list *l, const ice_scan_task *t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		ice_scan_task **p = ice__reallocarray(l->items, cap, sizeof(*p));
		if (!p)
			return ICE_ERROR;
		l->items = p;
		l->cap = cap;
	}
	int rc = ice_scan_task_copy(&l->items[l->n], t);
	if (!rc)
		l->n++;
	return rc;
}

static void tasks_free(task_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ice_scan_task_free(l->items[i]);
	ice__free(l->items);
	memset(l, 0, sizeof(*l));
}

/* The tasks of `scan` for which keep() holds. */
typedef bool (*keep_fn)(const ice_scan_task *t, void *ctx);

static int plan_some(ice_scan *scan, keep_fn keep, void *ctx, task_list *out)
{
	ice_scan_planner *p = NULL;
	const ice_scan_task *t;
	int rc = ice_scan_plan_open(&p, scan);
	while (!rc && (rc = ice_scan_plan_next(p, &t)) == 0)
		if (keep(t, ctx))
			rc = tasks_push(out, t);
	ice_scan_plan_free(p);
	return rc == ICE_ITEROVER ? 0 : rc;
}

typedef struct touch {
	ice_map added, removed, new_deletes, changed; /* changed: existing files with new deletes */
	ice_arena arena;
	int rc;
} touch;

static bool keep_at_s(const ice_scan_task *t, void *ctx)
{
	touch *x = ctx;
	if (set_has(&x->added, t->file->file_path))
		return true;
	for (size_t i = 0; i < t->ndeletes; i++)
		if (set_has(&x->new_deletes, t->deletes[i].file->file_path)) {
			if (!x->rc)
				x->rc = set_add(&x->changed, &x->arena, t->file->file_path);
			return true;
		}
	return false;
}

static bool keep_at_p(const ice_scan_task *t, void *ctx)
{
	touch *x = ctx;
	return set_has(&x->removed, t->file->file_path) || set_has(&x->changed, t->file->file_path);
}

static int push_batch(ice_changes *c, struct ArrowArray *rows, bool insert)
{
	if (c->nbatches == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		out_batch *p = ice__reallocarray(c->batches, cap, sizeof(*p));
		if (!p) {
			ice_arrow_array_release(rows);
			return ICE_ERROR;
		}
		c->batches = p;
		c->cap = cap;
	}
	out_batch *b = &c->batches[c->nbatches++];
	memset(b, 0, sizeof(*b));
	b->rows = *rows;
	b->insert = insert;
	return 0;
}

/* The rows of `batch` whose bit is set in `mask` (NULL: all), as one change. */
static int take_rows(ice_changes *c, const struct ArrowSchema *schema, const struct ArrowArray *batch,
                     const uint8_t *mask, bool insert)
{
	struct ArrowArray out;
	int64_t n = 0;
	for (int64_t i = 0; i < batch->length; i++)
		n += !mask || (mask[i >> 3] >> (i & 7) & 1);
	if (n == 0)
		return 0;
	int rc = ice_read__array_take(&out, schema, batch, 0, batch->length, mask);
	return rc ? rc : push_batch(c, &out, insert);
}

/* Every row of task `t` live under its deletes, as INSERTs or DELETEs. */
static int read_live(ice_changes *c, ice_scan *scan, const struct ArrowSchema *schema, const ice_scan_task *t,
                     bool insert)
{
	ice_scan_reader *r = NULL;
	struct ArrowArray b;
	int64_t first;
	const uint8_t *live;
	int rc = ice_scan_task_open(&r, scan, t);
	while (!rc && (rc = ice_scan_reader_next_all(r, &b, &first, &live)) == 0) {
		rc = take_rows(c, schema, &b, live, insert);
		ice_arrow_array_release(&b);
	}
	ice_scan_reader_free(r);
	return rc == ICE_ITEROVER ? 0 : rc;
}

/* An existing file S added deletes for: rows live in P and not in S. */
static int read_newly_deleted(ice_changes *c, ice_scan *sp, const ice_scan_task *tp, ice_scan *ss,
                              const ice_scan_task *ts, const struct ArrowSchema *schema)
{
	ice_scan_reader *rp = NULL, *rs = NULL;
	struct ArrowArray bp, bs;
	int64_t fp, fs;
	const uint8_t *lp, *ls;
	uint8_t *mask = NULL;
	size_t cap = 0;
	int rc = ice_scan_task_open(&rp, sp, tp);
	if (!rc)
		rc = ice_scan_task_open(&rs, ss, ts);
	while (!rc) {
		int a = ice_scan_reader_next_all(rp, &bp, &fp, &lp);
		if (a) {
			rc = a;
			break;
		}
		int b = ice_scan_reader_next_all(rs, &bs, &fs, &ls);
		if (b || fs != fp || bs.length != bp.length) {
			ice_arrow_array_release(&bp);
			if (!b)
				ice_arrow_array_release(&bs);
			rc = b && b != ICE_ITEROVER
			         ? b
			         : ice_error__set(ICE_ERROR, ICE_ERRCLASS_INVALID, "%s: changes: the file read differently twice",
			                          tp->file->file_path);
			break;
		}
		size_t bytes = (size_t)(bp.length + 7) / 8 + 1;
		if (bytes > cap) {
			uint8_t *m = ice__realloc(mask, bytes);
			if (!m) {
				rc = ICE_ERROR;
			} else {
				mask = m;
				cap = bytes;
			}
		}
		if (!rc) {
			for (size_t k = 0; k < bytes - 1; k++)
				mask[k] = lp[k] & (uint8_t)~ls[k];
			rc = take_rows(c, schema, &bp, mask, false);
		}
		ice_arrow_array_release(&bp);
		ice_arrow_array_release(&bs);
	}
	ice__free(mask);
	ice_scan_reader_free(rp);
	ice_scan_reader_free(rs);
	return rc == ICE_ITEROVER ? 0 : rc;
}

typedef struct counts {
	int64_t deletes, inserts, dropped_deletes, dropped_inserts;
} counts;

/* Rows deleted and inserted with the same values by one snapshot (a
 * copy-on-write rewrite carrying them over) are no change: matched pairs
 * are dropped, as many as both sides have. */
static int remove_carryover(ice_changes *c, const struct ArrowSchema *schema)
{
	ice_map m;
	ice_arena a;
	int rc = 0;
	bool both = false;
	for (size_t i = 0; i + 1 < c->nbatches; i++)
		both |= c->batches[i].insert != c->batches[i + 1].insert;
	if (!both)
		return 0;
	ice_map__init(&m, true);
	ice_arena__init(&a, 4096);
	for (size_t i = 0; i < c->nbatches && !rc; i++) {
		out_batch *b = &c->batches[i];
		int64_t n = b->rows.length;
		if (!(b->keys = ice__calloc((size_t)n + 1, sizeof(char *))) || !(b->drop = ice__calloc((size_t)n + 1, 1))) {
			rc = ICE_ERROR;
			break;
		}
		for (int64_t r = 0; r < n && !rc; r++) {
			void *v;
			if ((rc = ice_arrow_value_to_string(&b->keys[r], schema, &b->rows, r)) != 0)
				break;
			const char *k = b->keys[r] ? b->keys[r] : "";
			size_t len = strlen(k);
			counts *cnt;
			if (ice_map__get_str(&m, k, len, &v)) {
				cnt = v;
			} else {
				char *key = ice_arena__strndup(&a, k, len);
				if (!(cnt = ice_arena__alloc(&a, sizeof(*cnt))) || !key || ice_map__put_str(&m, key, len, cnt)) {
					rc = ICE_ERROR;
					break;
				}
				memset(cnt, 0, sizeof(*cnt));
			}
			if (b->insert)
				cnt->inserts++;
			else
				cnt->deletes++;
		}
	}
	/* drop min(deletes, inserts) of each side: what is left of the pair count */
	for (size_t i = 0; i < c->nbatches && !rc; i++) {
		out_batch *b = &c->batches[i];
		for (int64_t r = 0; r < b->rows.length; r++) {
			void *v;
			const char *k = b->keys[r] ? b->keys[r] : "";
			ice_map__get_str(&m, k, strlen(k), &v);
			counts *cnt = v;
			int64_t pairs = cnt->deletes < cnt->inserts ? cnt->deletes : cnt->inserts;
			int64_t *dropped = b->insert ? &cnt->dropped_inserts : &cnt->dropped_deletes;
			if (*dropped < pairs) {
				(*dropped)++;
				b->drop[r] = 1;
			}
		}
	}
	ice_map__free(&m);
	ice_arena__free(&a);
	return rc;
}

static int load_snapshot(ice_changes *c, const ice_snapshot *s)
{
	touch x;
	task_list at_s = {0}, at_p = {0};
	ice_scan *ss = NULL, *sp = NULL;
	struct ArrowSchema schema;
	int rc;
	memset(&x, 0, sizeof(x));
	memset(&schema, 0, sizeof(schema));
	ice_map__init(&x.added, true);
	ice_map__init(&x.removed, true);
	ice_map__init(&x.new_deletes, true);
	ice_map__init(&x.changed, true);
	ice_arena__init(&x.arena, 4096);
	batches_clear(c);
	if ((rc = touched(c, s, &x.added, &x.removed, &x.new_deletes, &x.arena)) != 0 ||
	    (rc = scan_at(&ss, c, s->snapshot_id)) != 0 || (rc = plan_some(ss, keep_at_s, &x, &at_s)) != 0 ||
	    (rc = x.rc) != 0 || (rc = ice_scan_arrow_schema(ss, &schema)) != 0)
		goto done;
	if (s->has_parent && (x.removed.count || x.changed.count) &&
	    ((rc = scan_at(&sp, c, s->parent_snapshot_id)) != 0 || (rc = plan_some(sp, keep_at_p, &x, &at_p)) != 0))
		goto done;
	/* DELETEs: files removed, then rows newly deleted in kept files */
	for (size_t i = 0; i < at_p.n && !rc; i++) {
		const ice_scan_task *tp = at_p.items[i];
		if (set_has(&x.removed, tp->file->file_path)) {
			rc = read_live(c, sp, &schema, tp, false);
			continue;
		}
		for (size_t k = 0; k < at_s.n && !rc; k++)
			if (strcmp(at_s.items[k]->file->file_path, tp->file->file_path) == 0) {
				rc = read_newly_deleted(c, sp, tp, ss, at_s.items[k], &schema);
				break;
			}
	}
	/* INSERTs: files added */
	for (size_t i = 0; i < at_s.n && !rc; i++)
		if (set_has(&x.added, at_s.items[i]->file->file_path))
			rc = read_live(c, ss, &schema, at_s.items[i], true);
	if (!rc)
		rc = remove_carryover(c, &schema);
done:
	ice_arrow_schema_release(&schema);
	tasks_free(&at_s);
	tasks_free(&at_p);
	ice_scan_free(ss);
	ice_scan_free(sp);
	ice_map__free(&x.added);
	ice_map__free(&x.removed);
	ice_map__free(&x.new_deletes);
	ice_map__free(&x.changed);
	ice_arena__free(&x.arena);
	return rc;
}

/* ---- batches out --------------------------------------------------------------------------------- */

static int const_string(struct ArrowArray *out, const char *s, int64_t n)
{
	size_t len = strlen(s);
	int32_t *offsets = ice__malloc(((size_t)n + 1) * sizeof(int32_t));
	char *data = ice__malloc(len * (size_t)n + 1);
	if (!offsets || !data) {
		ice__free(offsets);
		ice__free(data);
		return ICE_ERROR;
	}
	for (int64_t i = 0; i <= n; i++)
		offsets[i] = (int32_t)(len * (size_t)i);
	for (int64_t i = 0; i < n; i++)
		memcpy(data + len * (size_t)i, s, len);
	void *bufs[3] = {NULL, offsets, data};
	return ice_arrow__array_owned(out, n, 0, 3, bufs, 0, NULL);
}

static int const_fixed(struct ArrowArray *out, const void *v, size_t width, int64_t n)
{
	uint8_t *data = ice__malloc(width * (size_t)n + 1);
	if (!data)
		return ICE_ERROR;
	for (int64_t i = 0; i < n; i++)
		memcpy(data + width * (size_t)i, v, width);
	void *bufs[2] = {NULL, data};
	return ice_arrow__array_owned(out, n, 0, 2, bufs, 0, NULL);
}

/* Batch `b` with the rows carryover dropped and the three columns added. */
static int emit(ice_changes *c, out_batch *b, int32_t ordinal, int64_t snapshot_id, struct ArrowArray *out)
{
	struct ArrowArray rows, *kids;
	struct ArrowSchema schema;
	int rc;
	memset(&rows, 0, sizeof(rows));
	if ((rc = ice_scan_arrow_schema(c->shape, &schema)) != 0)
		return rc;
	if (b->drop) {
		size_t bytes = (size_t)(b->rows.length + 7) / 8 + 1;
		uint8_t *keep = ice__calloc(bytes, 1);
		if (!keep) {
			ice_arrow_schema_release(&schema);
			return ICE_ERROR;
		}
		for (int64_t r = 0; r < b->rows.length; r++)
			if (!b->drop[r])
				keep[r >> 3] |= (uint8_t)(1u << (r & 7));
		rc = ice_read__array_take(&rows, &schema, &b->rows, 0, b->rows.length, keep);
		ice__free(keep);
	} else {
		rows = b->rows;
		memset(&b->rows, 0, sizeof(b->rows));
	}
	ice_arrow_schema_release(&schema);
	if (rc)
		return rc;
	int64_t n = rows.length, nc = rows.n_children;
	if (!(kids = ice__calloc((size_t)nc + NEXTRA, sizeof(*kids)))) {
		ice_arrow_array_release(&rows);
		return ICE_ERROR;
	}
	for (int64_t i = 0; i < nc; i++) {
		kids[i] = *rows.children[i];
		rows.children[i]->release = NULL; /* moved */
	}
	ice_arrow_array_release(&rows);
	if ((rc = const_string(&kids[nc], b->insert ? "INSERT" : "DELETE", n)) != 0 ||
	    (rc = const_fixed(&kids[nc + 1], &ordinal, sizeof(ordinal), n)) != 0 ||
	    (rc = const_fixed(&kids[nc + 2], &snapshot_id, sizeof(snapshot_id), n)) != 0) {
		for (int64_t i = 0; i < nc + NEXTRA; i++)
			ice_arrow_array_release(&kids[i]);
		ice__free(kids);
		return rc;
	}
	void *bufs[1] = {NULL};
	rc = ice_arrow__array_owned(out, n, 0, 1, bufs, (int)(nc + NEXTRA), kids);
	ice__free(kids);
	return rc;
}

int ice_changes_next(ice_changes *c, struct ArrowArray *out)
{
	memset(out, 0, sizeof(*out));
	for (;;) {
		while (c->pos < c->nbatches) {
			out_batch *b = &c->batches[c->pos++];
			const ice_snapshot *s = c->snaps[c->next - 1];
			int64_t kept = b->rows.length;
			for (int64_t r = 0; b->drop && r < b->rows.length; r++)
				kept -= b->drop[r];
			if (kept == 0)
				continue;
			return emit(c, b, (int32_t)(c->next - 1), s->snapshot_id, out);
		}
		if (c->next >= c->nsnaps) {
			batches_clear(c);
			return ICE_ITEROVER;
		}
		int rc = load_snapshot(c, c->snaps[c->next++]);
		if (rc)
			return rc;
	}
}

int ice_changes_arrow_schema(const ice_changes *c, struct ArrowSchema *out)
{
	struct ArrowSchema base, *kids;
	char meta[3][128];
	size_t mlen[3];
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = ice_scan_arrow_schema(c->shape, &base)) != 0)
		return rc;
	int64_t nc = base.n_children;
	if (!(kids = ice__calloc((size_t)nc + NEXTRA, sizeof(*kids)))) {
		ice_arrow_schema_release(&base);
		return ICE_ERROR;
	}
	for (int64_t i = 0; i < nc; i++) {
		kids[i] = *base.children[i];
		base.children[i]->release = NULL;
	}
	ice_arrow_schema_release(&base);
	mlen[0] = ice_arrow__field_metadata(meta[0], true, CHANGE_TYPE_ID, false);
	mlen[1] = ice_arrow__field_metadata(meta[1], true, CHANGE_ORDINAL_ID, false);
	mlen[2] = ice_arrow__field_metadata(meta[2], true, COMMIT_SNAPSHOT_ID, false);
	if ((rc = ice_arrow__schema_make(&kids[nc], "u", "_change_type", meta[0], mlen[0], 0, 0, NULL)) != 0 ||
	    (rc = ice_arrow__schema_make(&kids[nc + 1], "i", "_change_ordinal", meta[1], mlen[1], 0, 0, NULL)) != 0 ||
	    (rc = ice_arrow__schema_make(&kids[nc + 2], "l", "_commit_snapshot_id", meta[2], mlen[2], 0, 0, NULL)) != 0) {
		for (int64_t i = 0; i < nc + NEXTRA; i++)
			ice_arrow_schema_release(&kids[i]);
		ice__free(kids);
		return rc;
	}
	rc = ice_arrow__schema_make(out, "+s", "", NULL, 0, 0, (int)(nc + NEXTRA), kids);
	ice__free(kids);
	return rc;
}

/* ---- the Arrow stream ------------------------------------------------------------------------------ */

static int stream_schema(struct ArrowArrayStream *s, struct ArrowSchema *out)
{
	ice_changes *c = s->private_data;
	int rc = ice_changes_arrow_schema(c, out);
	if (rc) {
		ice__free(c->last_error);
		c->last_error = ice__strdup(ice_error_last() ? ice_error_last()->message : "error");
		return 5; /* EIO */
	}
	return 0;
}

static int stream_next(struct ArrowArrayStream *s, struct ArrowArray *out)
{
	ice_changes *c = s->private_data;
	int rc = ice_changes_next(c, out);
	if (rc == ICE_ITEROVER) {
		memset(out, 0, sizeof(*out)); /* release NULL: the end */
		return 0;
	}
	if (rc) {
		ice__free(c->last_error);
		c->last_error = ice__strdup(ice_error_last() ? ice_error_last()->message : "error");
		return 5;
	}
	return 0;
}

static const char *stream_error(struct ArrowArrayStream *s)
{
	ice_changes *c = s->private_data;
	return c->last_error;
}

static void stream_release(struct ArrowArrayStream *s)
{
	s->release = NULL;
}

int ice_changes_to_stream(ice_changes *c, struct ArrowArrayStream *out)
{
	memset(out, 0, sizeof(*out));
	out->get_schema = stream_schema;
	out->get_next = stream_next;
	out->get_last_error = stream_error;
	out->release = stream_release;
	out->private_data = c;
	return 0;
}
