/*
 * table/row_commit.c - the snapshot producer of row-level changes (delete,
 * overwrite): data and delete files removed and added in one snapshot,
 * as the reference implementation's OverwriteFiles, RowDelta and
 * ReplacePartitions commit them.
 *
 * Each attempt starts from that attempt's base. It first validates the
 * snapshots committed since the change was planned (row_commit.h says
 * what they must not have done: remove a file this change relies on, add
 * deletes for one, or - serializable - add data that the change's filter
 * or partitions cover). Then the base's manifests holding removed files
 * are rewritten (removed entries DELETED by this snapshot, the others
 * EXISTING, earlier DELETED entries dropped), new manifests list the added
 * files (written once), small manifests are merged as on append, and the
 * manifest list, summary and snapshot are recorded, moving main. The
 * operation is "delete" when no data file is added, else "overwrite"; the
 * summary has Java's fields (added/deleted data files and records, delete
 * files, position deletes and deletion vectors, changed partitions, and
 * totals carried from the parent).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "io/io.h"
#include "manifest_merge.h"
#include "new_snapshot.h"
#include "row_commit.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

typedef struct file_list {
	ice_data_file **items;
	int64_t *seqs; /* add_del: each file's data sequence number (<0: the commit's) */
	size_t n;
} file_list;

struct ice_row_change {
	ice_table *table;
	bool has_start;
	int64_t start_id;
	int64_t snapshot_id;
	char uuid[ICE_UUID_STRLEN + 1];
	ice_arena arena;               /* map keys */
	file_list add_data, rm_data, add_del, rm_del;
	ice_map rm_data_paths, rm_del_paths, referenced_paths; /* path -> "" */
	ice_map affected_parts;        /* partition keys of removed and referenced data files */
	ice_map conflict_parts;        /* partition keys that conflict (serializable) */
	int32_t rm_specs[64];          /* spec ids of removed data files */
	size_t nrm_specs;
	char **tracked;
	size_t ntracked;
	const ice_expr *filter;
	bool serializable;
	bool rewrite;                  /* "replace"; concurrent equality deletes are no conflict */
	int64_t data_seq;              /* rewrite: the added data files' data sequence number (<0: inherit) */
	ice_property extra[8];
	size_t nextra;
	/* new manifests, written at the first attempt */
	ice_manifest_file **manifests;
	size_t nmanifests;
	bool written;
	int written_version;
	bool *listed;
	int counter;
};

static int add_key(ice_row_change *c, ice_map *m, const char *key, size_t len)
{
	char *k;
	if (ice_map__get_str(m, key, len, NULL))
		return 0;
	if (!(k = ice_arena__strndup(&c->arena, key, len)))
		return ICE_ERROR;
	return ice_map__put_str(m, k, len, k);
}

static bool has_key(const ice_map *m, const char *key)
{
	return key && ice_map__get_str(m, key, strlen(key), NULL);
}

/* "<spec id>|v1\x1fv2\x1f..." */
static int partition_key(ice_buf *b, const ice_data_file *f)
{
	ice_buf__printf(b, "%d|", (int)f->partition_spec_id);
	for (size_t k = 0; k < f->n_partition; k++) {
		char *t = ice_literal_to_string(&f->partition[k]);
		if (!t)
			return ICE_ERROR;
		ice_buf__puts(b, t);
		ice_buf__putc(b, '\x1f');
		ice_free(t);
	}
	return b->error ? ICE_ERROR : 0;
}

static int add_partition_key(ice_row_change *c, ice_map *m, const ice_data_file *f)
{
	ice_buf b = ICE_BUF_INIT;
	int rc = partition_key(&b, f);
	if (!rc)
		rc = add_key(c, m, b.ptr, b.len);
	ice_buf__free(&b);
	return rc;
}

static bool has_partition_key(const ice_map *m, const ice_data_file *f, int *rc)
{
	ice_buf b = ICE_BUF_INIT;
	bool found = false;
	if ((*rc = partition_key(&b, f)) == 0)
		found = ice_map__get_str(m, b.ptr, b.len, NULL);
	ice_buf__free(&b);
	return found;
}

int ice_row_change__new(ice_row_change **out, ice_table *table, const ice_snapshot *start)
{
	ice_row_change *c = ice__calloc(1, sizeof(*c));
	uint8_t u[16];
	uint64_t id;
	*out = NULL;
	if (!c)
		return ICE_ERROR;
	c->table = table;
	c->has_start = start != NULL;
	c->start_id = start ? start->snapshot_id : 0;
	ice_uuid__random(u);
	ice_uuid__format(u, c->uuid);
	do {
		ice_uuid__random(u);
		memcpy(&id, u, sizeof(id));
		id &= INT64_MAX;
	} while (id == 0);
	c->snapshot_id = (int64_t)id;
	ice_arena__init(&c->arena, 4096);
	ice_map__init(&c->rm_data_paths, true);
	ice_map__init(&c->rm_del_paths, true);
	ice_map__init(&c->referenced_paths, true);
	ice_map__init(&c->affected_parts, true);
	ice_map__init(&c->conflict_parts, true);
	c->counter = 0;
	c->data_seq = -1;
	*out = c;
	return 0;
}

static void list_free(file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ice_data_file_free(l->items[i]);
	ice__free(l->items);
	ice__free(l->seqs);
}

static void delete_manifests(ice_row_change *c)
{
	for (size_t i = 0; i < c->nmanifests; i++)
		ice_io__delete_files(ice_table_io(c->table), &c->manifests[i]->manifest_path, 1);
}

void ice_row_change__free(ice_row_change *c)
{
	if (!c)
		return;
	list_free(&c->add_data);
	list_free(&c->rm_data);
	list_free(&c->add_del);
	list_free(&c->rm_del);
	ice_map__free(&c->rm_data_paths);
	ice_map__free(&c->rm_del_paths);
	ice_map__free(&c->referenced_paths);
	ice_map__free(&c->affected_parts);
	ice_map__free(&c->conflict_parts);
	for (size_t i = 0; i < c->ntracked; i++)
		ice__free(c->tracked[i]);
	ice__free(c->tracked);
	for (size_t i = 0; i < c->nmanifests; i++)
		ice_manifest_file_free(c->manifests[i]);
	ice__free(c->manifests);
	ice__free(c->listed);
	ice_arena__free(&c->arena);
	ice__free(c);
}

static bool is_dv(const ice_data_file *f);

int64_t ice_row_change__bytes_added(const ice_row_change *c)
{
	int64_t n = 0;
	for (size_t i = 0; i < c->add_data.n; i++)
		n += c->add_data.items[i]->file_size_in_bytes;
	for (size_t i = 0; i < c->add_del.n; i++) {
		const ice_data_file *f = c->add_del.items[i];
		n += is_dv(f) && f->has_content_size_in_bytes ? f->content_size_in_bytes : f->file_size_in_bytes;
	}
	return n;
}

int64_t ice_row_change__snapshot_id(const ice_row_change *c)
{
	return c->snapshot_id;
}

const char *ice_row_change__uuid(const ice_row_change *c)
{
	return c->uuid;
}

bool ice_row_change__empty(const ice_row_change *c)
{
	return !c->add_data.n && !c->rm_data.n && !c->add_del.n && !c->rm_del.n;
}

static int push(file_list *l, const ice_data_file *f)
{
	ice_data_file **items = ice__reallocarray(l->items, l->n + 1, sizeof(*items));
	if (!items)
		return ICE_ERROR;
	l->items = items;
	int rc = ice_data_file_copy(&items[l->n], f);
	if (!rc)
		l->n++;
	return rc;
}

int ice_row_change__remove_data(ice_row_change *c, const ice_data_file *f)
{
	int rc;
	size_t k;
	if (has_key(&c->rm_data_paths, f->file_path))
		return 0;
	if ((rc = push(&c->rm_data, f)) != 0)
		return rc;
	const char *path = c->rm_data.items[c->rm_data.n - 1]->file_path;
	if ((rc = add_key(c, &c->rm_data_paths, path, strlen(path))) != 0 || (rc = add_partition_key(c, &c->affected_parts, f)))
		return rc;
	for (k = 0; k < c->nrm_specs && c->rm_specs[k] != f->partition_spec_id; k++)
		;
	if (k == c->nrm_specs && k < 64)
		c->rm_specs[c->nrm_specs++] = f->partition_spec_id;
	else if (k == 64)
		c->nrm_specs = 65; /* too many to prune by: read every manifest */
	return 0;
}

int ice_row_change__add_data(ice_row_change *c, const ice_data_file *f)
{
	return push(&c->add_data, f);
}

int ice_row_change__add_delete_seq(ice_row_change *c, const ice_data_file *f, int64_t data_sequence_number)
{
	int64_t *seqs = ice__reallocarray(c->add_del.seqs, c->add_del.n + 1, sizeof(int64_t));
	if (!seqs)
		return ICE_ERROR;
	c->add_del.seqs = seqs;
	seqs[c->add_del.n] = data_sequence_number;
	return push(&c->add_del, f);
}

int ice_row_change__add_delete(ice_row_change *c, const ice_data_file *f)
{
	return ice_row_change__add_delete_seq(c, f, -1);
}

int ice_row_change__remove_delete(ice_row_change *c, const ice_data_file *f)
{
	int rc;
	if (has_key(&c->rm_del_paths, f->file_path) && !f->referenced_data_file)
		return 0;
	if ((rc = push(&c->rm_del, f)) != 0)
		return rc;
	/* DVs of one Puffin file share a path: keyed by path and data file. */
	ice_buf k = ICE_BUF_INIT;
	ice_buf__printf(&k, "%s|%s", f->file_path, f->referenced_data_file ? f->referenced_data_file : "");
	rc = k.error ? ICE_ERROR : add_key(c, &c->rm_del_paths, k.ptr, k.len);
	ice_buf__free(&k);
	return rc;
}

/* *found: whether the change removes delete file `f`; *key_out (optional):
 * the map's own copy of the key, alive with the change. Out of memory is an
 * error, never "not removed": a manifest would keep listing a file the
 * snapshot's summary counts as removed. */
static int removed_delete(const ice_row_change *c, const ice_data_file *f, bool *found, void **key_out)
{
	ice_buf k = ICE_BUF_INIT;
	int rc;
	*found = false;
	ice_buf__printf(&k, "%s|%s", f->file_path, f->referenced_data_file ? f->referenced_data_file : "");
	if ((rc = k.error) == 0)
		*found = ice_map__get_str(&c->rm_del_paths, k.ptr, k.len, key_out);
	ice_buf__free(&k);
	return rc;
}

int ice_row_change__reference(ice_row_change *c, const ice_data_file *f)
{
	int rc = add_key(c, &c->referenced_paths, f->file_path, strlen(f->file_path));
	return rc ? rc : add_partition_key(c, &c->affected_parts, f);
}

int ice_row_change__track(ice_row_change *c, const char *location)
{
	char **t = ice__reallocarray(c->tracked, c->ntracked + 1, sizeof(char *));
	if (!t)
		return ICE_ERROR;
	c->tracked = t;
	if (!(t[c->ntracked] = ice__strdup(location)))
		return ICE_ERROR;
	c->ntracked++;
	return 0;
}

void ice_row_change__abandon(ice_row_change *c)
{
	ice_io__delete_files(ice_table_io(c->table), (const char *const *)c->tracked, c->ntracked);
}

void ice_row_change__validate(ice_row_change *c, const ice_expr *filter, bool serializable)
{
	c->filter = filter;
	c->serializable = serializable;
}

void ice_row_change__rewrite(ice_row_change *c, int64_t data_sequence_number)
{
	c->rewrite = true;
	c->data_seq = data_sequence_number;
}

static const char *operation_of(const ice_row_change *c)
{
	return c->rewrite ? "replace" : c->add_data.n ? "overwrite" : "delete";
}

int ice_row_change__conflict_partition(ice_row_change *c, const ice_data_file *f)
{
	return add_partition_key(c, &c->conflict_parts, f);
}

int ice_row_change__summary(ice_row_change *c, const char *key, const char *value)
{
	if (c->nextra == 8)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "too many summary fields");
	if (!(c->extra[c->nextra].key = ice_arena__strdup(&c->arena, key)) ||
	    !(c->extra[c->nextra].value = ice_arena__strdup(&c->arena, value)))
		return ICE_ERROR;
	c->nextra++;
	return 0;
}

/* ---- validation against concurrent commits ------------------------------------------------------ */

static int conflict(const ice_row_change *c, const ice_snapshot *s, const char *fmt, ...) ICE_PRINTF(3, 4);

static int conflict(const ice_row_change *c, const ice_snapshot *s, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT, "%s: snapshot %lld committed meanwhile %s",
	                      ice_table_identifier(c->table), (long long)s->snapshot_id, what);
}

/* Whether a data file may hold rows matching the filter (partition, then metrics). */
static int might_match(const ice_row_change *c, const ice_table_metadata *md, const ice_data_file *f, bool *out)
{
	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(md, f->partition_spec_id);
	const ice_schema *schema = ice_table_metadata_current_schema(md);
	ice_expr *projected = NULL;
	int rc;
	*out = true;
	if (!c->filter)
		return 0;
	if (spec && spec->nfields && f->n_partition == spec->nfields) {
		int32_t ids[256];
		size_t n = spec->nfields < 256 ? spec->nfields : 256;
		for (size_t i = 0; i < n; i++)
			ids[i] = spec->fields[i].field_id;
		if ((rc = ice_expr_project(&projected, c->filter, spec, schema, false)) != 0)
			return rc;
		rc = ice_expr_eval_values(projected, ids, f->partition, n, out);
		ice_expr_free(projected);
		if (rc || !*out)
			return rc;
	}
	return ice_expr_file_might_match(c->filter, f, out);
}

static int check_entry(const ice_row_change *c, const ice_table_metadata *md, const ice_snapshot *s,
                       ice_manifest_content content, const ice_manifest_entry *e)
{
	const ice_data_file *f = &e->data_file;
	bool match;
	int rc = 0;
	if (content == ICE_MANIFEST_CONTENT_DATA) {
		if (e->status == ICE_MANIFEST_ENTRY_DELETED) {
			if (has_key(&c->rm_data_paths, f->file_path) || has_key(&c->referenced_paths, f->file_path))
				return conflict(c, s, "and removed %s, which this change relies on", f->file_path);
		} else if (e->status == ICE_MANIFEST_ENTRY_ADDED && c->serializable) {
			if (c->conflict_parts.count && has_partition_key(&c->conflict_parts, f, &rc))
				return conflict(c, s, "and added %s to a partition this change replaces", f->file_path);
			if (rc)
				return rc;
			if (c->filter) {
				if ((rc = might_match(c, md, f, &match)) != 0)
					return rc;
				if (match)
					return conflict(c, s, "and added %s, which may hold rows matching the filter "
					                      "(serializable isolation)", f->file_path);
			}
		}
		return 0;
	}
	if (e->status == ICE_MANIFEST_ENTRY_DELETED) {
		bool removed;
		if ((rc = removed_delete(c, f, &removed, NULL)) != 0)
			return rc;
		if (removed)
			return conflict(c, s, "and removed delete file %s, which this change replaces", f->file_path);
		return 0;
	}
	if (e->status != ICE_MANIFEST_ENTRY_ADDED)
		return 0;
	/* New deletes: for a file this change rewrites or refers to, or for
	 * its partition (or every partition: global equality deletes). */
	if (f->referenced_data_file) {
		if (has_key(&c->rm_data_paths, f->referenced_data_file) || has_key(&c->referenced_paths, f->referenced_data_file))
			return conflict(c, s, "and deleted rows of %s, which this change rewrites", f->referenced_data_file);
		return 0;
	}
	/* A rewrite's files keep the starting sequence number: equality
	 * deletes committed since are newer and still apply to them. */
	if (c->rewrite && f->content == ICE_FILE_CONTENT_EQUALITY_DELETES)
		return 0;
	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(md, f->partition_spec_id);
	if (f->content == ICE_FILE_CONTENT_EQUALITY_DELETES && spec && ice_partition_spec_is_unpartitioned(spec) &&
	    c->affected_parts.count)
		return conflict(c, s, "and added equality deletes %s for every partition", f->file_path);
	if (c->affected_parts.count && has_partition_key(&c->affected_parts, f, &rc))
		return conflict(c, s, "and added delete file %s in a partition this change rewrites", f->file_path);
	return rc;
}

static int validate(const ice_row_change *c, const ice_table_metadata *md, const ice_snapshot *cur)
{
	const ice_io *io = ice_table_io(c->table);
	int rc = 0;
	if (c->has_start && (!cur || !ice_table_metadata_is_ancestor(md, cur->snapshot_id, c->start_id)))
		return ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT,
		                      "%s: the table was rolled back or replaced meanwhile: snapshot %lld is no longer an "
		                      "ancestor of the current one",
		                      ice_table_identifier(c->table), (long long)c->start_id);
	for (const ice_snapshot *s = cur; s && !rc && !(c->has_start && s->snapshot_id == c->start_id);
	     s = s->has_parent ? ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id) : NULL) {
		ice_manifest_list *list = NULL;
		if ((rc = ice_manifest_list_read_snapshot(&list, io, md, s)) != 0)
			break;
		for (size_t i = 0; i < list->n && !rc; i++) {
			const ice_manifest_file *mf = &list->items[i];
			ice_manifest_reader *r;
			const ice_manifest_entry *e;
			if (!mf->has_added_snapshot_id || mf->added_snapshot_id != s->snapshot_id)
				continue;
			if ((rc = ice_manifest_open(&r, io, md, mf)) != 0)
				break;
			while ((rc = ice_manifest_next(r, &e)) == 0)
				if ((rc = check_entry(c, md, s, mf->content, e)) != 0)
					break;
			if (rc == ICE_ITEROVER)
				rc = 0;
			ice_manifest_reader_free(r);
		}
		ice_manifest_list_free(list);
	}
	return rc;
}

/* ---- manifests -------------------------------------------------------------------------------- */

static int keep_manifest(ice_row_change *c, ice_manifest_file *mf)
{
	ice_manifest_file **m = ice__reallocarray(c->manifests, c->nmanifests + 1, sizeof(*m));
	if (!m) {
		ice_io__delete_files(ice_table_io(c->table), &mf->manifest_path, 1);
		ice_manifest_file_free(mf);
		return ICE_ERROR;
	}
	c->manifests = m;
	m[c->nmanifests++] = mf;
	return 0;
}

/* The data sequence number an added file is written with (-1: the commit's). */
static int64_t added_seq(const ice_row_change *c, const ice_table_metadata *base, int content, size_t i)
{
	if (ice_table_metadata_format_version(base) < 2)
		return -1;
	if (content == 0)
		return c->rewrite && c->data_seq >= 0 ? c->data_seq : -1;
	return c->add_del.seqs ? c->add_del.seqs[i] : -1;
}

/* New manifests for the added files: one per content and spec. */
static int write_new_manifests(ice_row_change *c, const ice_table_metadata *base)
{
	const file_list *lists[2] = {&c->add_data, &c->add_del};
	int rc = 0;
	for (int content = 0; content < 2 && !rc; content++) {
		const file_list *l = lists[content];
		int32_t done[64];
		size_t ndone = 0;
		for (size_t i = 0; i < l->n && !rc; i++) {
			int32_t spec_id = l->items[i]->partition_spec_id;
			size_t k;
			for (k = 0; k < ndone && done[k] != spec_id; k++)
				;
			if (k < ndone)
				continue;
			if (ndone == 64)
				return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_COMMIT, "files of more than 64 specs");
			done[ndone++] = spec_id;
			const ice_partition_spec *spec = ice_table_metadata_spec_by_id(base, spec_id);
			ice_manifest_writer_options opts;
			ice_manifest_writer *w;
			ice_manifest_file *mf = NULL;
			char name[96];
			if (!spec)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "the table has no partition spec %d",
				                      (int)spec_id);
			snprintf(name, sizeof(name), "%s-m%d.avro", c->uuid, c->counter++);
			char *loc = ice_table__metadata_file(base, name);
			if (!loc)
				return ICE_ERROR;
			ice_manifest_writer_options_init(&opts);
			opts.content = content ? ICE_MANIFEST_CONTENT_DELETES : ICE_MANIFEST_CONTENT_DATA;
			opts.has_snapshot_id = true;
			opts.snapshot_id = c->snapshot_id;
			opts.spec = spec;
			rc = ice_manifest_writer_open(&w, ice_table_io(c->table), loc, base, &opts);
			for (size_t j = i; j < l->n && !rc; j++)
				if (l->items[j]->partition_spec_id == spec_id)
					rc = ice_manifest_writer_add(w, l->items[j], added_seq(c, base, content, j));
			if (rc) {
				ice_manifest_writer_abort(w);
				ice__free(loc);
				break;
			}
			/* a close that fails after the file was published leaves it: deleted */
			if ((rc = ice_manifest_writer_close(w, &mf)) == 0)
				rc = keep_manifest(c, mf);
			else
				ice_io__delete_files(ice_table_io(c->table), (const char *const *)&loc, 1);
			ice__free(loc);
		}
	}
	c->written = rc == 0;
	c->written_version = ice_table_metadata_format_version(base);
	return rc;
}

/* Whether a manifest of the base may hold a removed file. */
static int may_hold_removed(const ice_row_change *c, const ice_table_metadata *md, const ice_manifest_file *mf, bool *out)
{
	*out = false;
	if (mf->content != ICE_MANIFEST_CONTENT_DATA)
		return 0;
	if (c->nrm_specs <= 64) {
		bool spec_ok = false;
		for (size_t k = 0; k < c->nrm_specs; k++)
			spec_ok |= c->rm_specs[k] == mf->partition_spec_id;
		if (!spec_ok)
			return 0;
	}
	*out = true;
	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(md, mf->partition_spec_id);
	if (!c->filter || !spec)
		return 0;
	ice_expr *projected = NULL;
	int rc = ice_expr_project(&projected, c->filter, spec, ice_table_metadata_current_schema(md), false);
	if (!rc)
		rc = ice_expr_manifest_might_match(projected, spec, mf, out);
	ice_expr_free(projected);
	return rc;
}

/*
 * Rewrites `mf` when it holds files this change removes: those entries
 * DELETED by this snapshot, other live entries EXISTING, earlier deletes
 * dropped. *out is the new manifest (owned, tracked) or NULL when `mf`
 * holds none; `found` gathers the removed files seen (a file the table
 * lists twice is one file).
 */
static int filter_manifest(ice_row_change *c, ice_commit_ctx *ctx, const ice_table_metadata *base,
                           const ice_manifest_file *mf, ice_manifest_file **out, ice_map *found)
{
	const ice_io *io = ice_table_io(c->table);
	bool data = mf->content == ICE_MANIFEST_CONTENT_DATA;
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	size_t hits = 0;
	int rc;
	*out = NULL;
	/* First pass: does it hold any? */
	if ((rc = ice_manifest_open(&r, io, base, mf)) != 0)
		return rc;
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		void *key = NULL;
		const char *path = e->data_file.file_path;
		bool hit = false;
		if (e->status == ICE_MANIFEST_ENTRY_DELETED)
			continue;
		if (data)
			hit = path && ice_map__get_str(&c->rm_data_paths, path, strlen(path), &key);
		else if ((rc = removed_delete(c, &e->data_file, &hit, &key)) != 0)
			break;
		if (!hit)
			continue;
		hits++;
		if (!ice_map__get_str(found, key, strlen(key), NULL) && (rc = ice_map__put_str(found, key, strlen(key), key)) != 0)
			break;
	}
	ice_manifest_reader_free(r);
	if (rc != ICE_ITEROVER)
		return rc;
	if (!hits)
		return 0;

	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(base, mf->partition_spec_id);
	ice_manifest_writer_options opts;
	ice_manifest_writer *w;
	char name[96];
	if (!spec)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: partition spec %d is not in the table",
		                      mf->manifest_path, (int)mf->partition_spec_id);
	snprintf(name, sizeof(name), "%s-m%d.avro", c->uuid, c->counter++);
	char *loc = ice_table__metadata_file(base, name);
	if (!loc)
		return ICE_ERROR;
	ice_manifest_writer_options_init(&opts);
	opts.content = mf->content;
	opts.has_snapshot_id = true;
	opts.snapshot_id = c->snapshot_id;
	opts.spec = spec;
	opts.keep_metrics = true;
	if ((rc = ice_manifest_writer_open(&w, io, loc, base, &opts)) == 0 && (rc = ice_commit_track_file(ctx, loc)) != 0)
		ice_manifest_writer_abort(w);
	ice__free(loc);
	if (rc)
		return rc;
	if ((rc = ice_manifest_open(&r, io, base, mf)) != 0) {
		ice_manifest_writer_abort(w);
		return rc;
	}
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		ice_manifest_entry copy = *e;
		if (e->status == ICE_MANIFEST_ENTRY_DELETED)
			continue;
		bool gone = false;
		if (data)
			gone = has_key(&c->rm_data_paths, e->data_file.file_path);
		else if ((rc = removed_delete(c, &e->data_file, &gone, NULL)) != 0)
			break;
		copy.status = gone ? ICE_MANIFEST_ENTRY_DELETED : ICE_MANIFEST_ENTRY_EXISTING;
		copy.inherited = 0;
		if (gone) {
			copy.has_snapshot_id = true;
			copy.snapshot_id = c->snapshot_id;
		}
		if ((rc = ice_manifest_writer_add_entry(w, &copy)) != 0)
			break;
	}
	ice_manifest_reader_free(r);
	if (rc != ICE_ITEROVER) {
		ice_manifest_writer_abort(w);
		return rc;
	}
	return ice_manifest_writer_close(w, out);
}

/* ---- the summary ---------------------------------------------------------------------------------- */

typedef struct summary {
	ice_property items[40];
	char values[40][32];
	size_t n;
} summary;

static void put(summary *s, const char *key, int64_t v)
{
	if (s->n == 40)
		return;
	s->items[s->n].key = key;
	snprintf(s->values[s->n], sizeof(s->values[s->n]), "%" PRId64, v);
	s->items[s->n].value = s->values[s->n];
	s->n++;
}

static void put_nonzero(summary *s, const char *key, int64_t v)
{
	if (v)
		put(s, key, v);
}

static bool parent_total(const ice_snapshot *parent, const char *key, int64_t *out)
{
	const char *v = parent ? ice_properties_get(&parent->summary, key) : NULL;
	*out = 0;
	if (!parent)
		return true;
	return v && ice_str__to_int64(v, strlen(v), out);
}

static bool is_dv(const ice_data_file *f)
{
	return f->content == ICE_FILE_CONTENT_POSITION_DELETES && f->file_format &&
	       ice_str__ieq(f->file_format, strlen(f->file_format), "puffin", 6);
}

static int build_summary(ice_row_change *c, const ice_snapshot *parent, const char *operation, summary *s)
{
	int64_t add_rec = 0, add_size = 0, del_rec = 0, del_size = 0;
	int64_t add_pos_files = 0, add_pos = 0, add_eq_files = 0, add_eq = 0, add_dvs = 0, add_del_size = 0;
	int64_t rm_pos_files = 0, rm_pos = 0, rm_eq_files = 0, rm_eq = 0, rm_dvs = 0, rm_del_size = 0, t;
	ice_map parts;
	int rc = 0;
	for (size_t i = 0; i < c->add_data.n; i++)
		add_rec += c->add_data.items[i]->record_count, add_size += c->add_data.items[i]->file_size_in_bytes;
	for (size_t i = 0; i < c->rm_data.n; i++)
		del_rec += c->rm_data.items[i]->record_count, del_size += c->rm_data.items[i]->file_size_in_bytes;
	for (size_t i = 0; i < c->add_del.n; i++) {
		const ice_data_file *f = c->add_del.items[i];
		/* a DV's size is its blob's; the Puffin file is counted once per blob in Java too */
		add_del_size += is_dv(f) && f->has_content_size_in_bytes ? f->content_size_in_bytes : f->file_size_in_bytes;
		if (f->content == ICE_FILE_CONTENT_EQUALITY_DELETES)
			add_eq_files++, add_eq += f->record_count;
		else
			add_pos_files += !is_dv(f), add_dvs += is_dv(f), add_pos += f->record_count;
	}
	for (size_t i = 0; i < c->rm_del.n; i++) {
		const ice_data_file *f = c->rm_del.items[i];
		rm_del_size += is_dv(f) && f->has_content_size_in_bytes ? f->content_size_in_bytes : f->file_size_in_bytes;
		if (f->content == ICE_FILE_CONTENT_EQUALITY_DELETES)
			rm_eq_files++, rm_eq += f->record_count;
		else
			rm_pos_files += !is_dv(f), rm_dvs += is_dv(f), rm_pos += f->record_count;
	}
	ice_map__init(&parts, true);
	file_list *lists[4] = {&c->add_data, &c->rm_data, &c->add_del, &c->rm_del};
	for (int l = 0; l < 4 && !rc; l++)
		for (size_t i = 0; i < lists[l]->n && !rc; i++)
			rc = add_partition_key(c, &parts, lists[l]->items[i]);
	int64_t nparts = (int64_t)parts.count;
	ice_map__free(&parts);
	if (rc)
		return rc;
	s->n = 0;
	s->items[s->n].key = "operation";
	s->items[s->n++].value = operation;
	put_nonzero(s, "added-data-files", (int64_t)c->add_data.n);
	put_nonzero(s, "deleted-data-files", (int64_t)c->rm_data.n);
	put_nonzero(s, "added-delete-files", (int64_t)c->add_del.n);
	put_nonzero(s, "removed-delete-files", (int64_t)c->rm_del.n);
	put_nonzero(s, "added-position-delete-files", add_pos_files);
	put_nonzero(s, "removed-position-delete-files", rm_pos_files);
	put_nonzero(s, "added-dvs", add_dvs);
	put_nonzero(s, "removed-dvs", rm_dvs);
	put_nonzero(s, "added-equality-delete-files", add_eq_files);
	put_nonzero(s, "removed-equality-delete-files", rm_eq_files);
	put_nonzero(s, "added-records", add_rec);
	put_nonzero(s, "deleted-records", del_rec);
	put_nonzero(s, "added-files-size", add_size + add_del_size);
	put_nonzero(s, "removed-files-size", del_size + rm_del_size);
	put_nonzero(s, "added-position-deletes", add_pos);
	put_nonzero(s, "removed-position-deletes", rm_pos);
	put_nonzero(s, "added-equality-deletes", add_eq);
	put_nonzero(s, "removed-equality-deletes", rm_eq);
	put(s, "changed-partition-count", nparts);
	if (parent_total(parent, "total-records", &t))
		put(s, "total-records", t + add_rec - del_rec);
	if (parent_total(parent, "total-files-size", &t))
		put(s, "total-files-size", t + add_size + add_del_size - del_size - rm_del_size);
	if (parent_total(parent, "total-data-files", &t))
		put(s, "total-data-files", t + (int64_t)c->add_data.n - (int64_t)c->rm_data.n);
	if (parent_total(parent, "total-delete-files", &t))
		put(s, "total-delete-files", t + (int64_t)c->add_del.n - (int64_t)c->rm_del.n);
	if (parent_total(parent, "total-position-deletes", &t))
		put(s, "total-position-deletes", t + add_pos - rm_pos);
	if (parent_total(parent, "total-equality-deletes", &t))
		put(s, "total-equality-deletes", t + add_eq - rm_eq);
	for (size_t i = 0; i < c->nextra && s->n < 40; i++)
		s->items[s->n++] = c->extra[i];
	return 0;
}

/* ---- one attempt --------------------------------------------------------------------------------- */

/* The list: new data manifests, the base's data manifests (filtered),
 * then new and the base's delete manifests; merged per the table. */
static int write_list(ice_row_change *c, ice_commit_ctx *ctx, const ice_table_metadata *base,
                      const ice_manifest_list *parent_list, ice_manifest_list_writer *lw)
{
	size_t nparent = parent_list ? parent_list->n : 0, n = 0;
	ice_map found_data, found_del;
	ice_map__init(&found_data, true);
	ice_map__init(&found_del, true);
	const ice_manifest_file **all = ice__mallocarray(c->nmanifests + nparent + 1, sizeof(*all));
	ice_manifest_file **rewritten = ice__calloc(nparent + 1, sizeof(*rewritten));
	int rc = 0;
	if (!all || !rewritten) {
		ice__free(all);
		ice__free(rewritten);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < nparent && !rc; i++) {
		const ice_manifest_file *mf = &parent_list->items[i];
		bool candidate = false;
		if (mf->content == ICE_MANIFEST_CONTENT_DATA && c->rm_data.n)
			rc = may_hold_removed(c, base, mf, &candidate);
		else if (mf->content == ICE_MANIFEST_CONTENT_DELETES && c->rm_del.n)
			candidate = true;
		if (!rc && candidate)
			rc = filter_manifest(c, ctx, base, mf, &rewritten[i],
			                     mf->content == ICE_MANIFEST_CONTENT_DATA ? &found_data : &found_del);
	}
	size_t nfound = found_data.count + found_del.count;
	ice_map__free(&found_data);
	ice_map__free(&found_del);
	if (!rc && nfound != c->rm_data.n + c->rm_del.n)
		rc = ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT,
		                    "%s: %zu of the %zu files this change removes are no longer in the table",
		                    ice_table_identifier(c->table), c->rm_data.n + c->rm_del.n - nfound,
		                    c->rm_data.n + c->rm_del.n);
	for (int content = 0; content < 2 && !rc; content++) {
		for (size_t i = 0; i < c->nmanifests; i++)
			if ((int)c->manifests[i]->content == content)
				all[n++] = c->manifests[i];
		for (size_t i = 0; i < nparent; i++) {
			const ice_manifest_file *mf = rewritten[i] ? rewritten[i] : &parent_list->items[i];
			if ((int)mf->content != content)
				continue;
			/* A manifest with nothing live left adds nothing. */
			if (!rewritten[i] && mf->added_files_count == 0 && mf->existing_files_count == 0)
				continue;
			all[n++] = mf;
		}
	}
	if (!rc) {
		ice_merge_config cfg;
		ice_merged_list merged;
		ice_merge_stats stats = {0, 0, 0};
		ice_merge_target target = {ctx, base, ice_table_io(c->table), c->snapshot_id, c->uuid, &c->counter, &stats};
		ice_manifest_merge__config(base, &cfg);
		if (!cfg.enabled || n == 0) {
			for (size_t i = 0; i < n && !rc; i++)
				rc = ice_manifest_list_writer_add(lw, all[i]);
			for (size_t i = 0; i < c->nmanifests; i++)
				c->listed[i] = true;
		} else if ((rc = ice_manifest_merge__run(&merged, &target, &cfg, false, all, n)) == 0) {
			for (size_t i = 0; i < c->nmanifests; i++) {
				c->listed[i] = false;
				for (size_t k = 0; k < merged.n && !c->listed[i]; k++)
					c->listed[i] = merged.items[k] == c->manifests[i];
			}
			for (size_t k = 0; k < merged.n && !rc; k++)
				rc = ice_manifest_list_writer_add(lw, merged.items[k]);
			ice_merged_list__free(&merged);
		}
	}
	for (size_t i = 0; i < nparent; i++)
		ice_manifest_file_free(rewritten[i]);
	ice__free(rewritten);
	ice__free(all);
	return rc;
}

static int apply_change(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	ice_row_change *c = payload;
	const ice_snapshot *parent = ice_table_metadata_current_snapshot(base);
	int version = ice_table_metadata_format_version(base);
	ice_manifest_list *parent_list = NULL;
	ice_new_list nl = {0};
	ice_snapshot snap;
	const char *operation = operation_of(c);
	summary sum;
	int rc;

	/* The key first: a run with this key that landed meanwhile is this
	 * change done, not a conflict with it. */
	if ((rc = ice_table__check_idempotency(ctx, base, parent)) != 0 || (rc = validate(c, base, parent)) != 0)
		return rc;
	if (c->written && c->written_version != version) {
		delete_manifests(c);
		for (size_t i = 0; i < c->nmanifests; i++)
			ice_manifest_file_free(c->manifests[i]);
		c->nmanifests = 0;
		c->written = false;
	}
	if (!c->written) {
		if ((rc = write_new_manifests(c, base)) != 0)
			return rc;
		ice__free(c->listed);
		if (!(c->listed = ice__calloc(c->nmanifests + 1, sizeof(bool))))
			return ICE_ERROR;
	}
	if (parent && (rc = ice_manifest_list_read_snapshot(&parent_list, ice_table_io(c->table), base, parent)) != 0)
		return ice_error__prefix("reading the current snapshot's manifest list");
	if ((rc = ice_table__new_list_open(&nl, ctx, base, ice_table_io(c->table), c->snapshot_id, c->uuid, parent)) != 0 ||
	    (rc = write_list(c, ctx, base, parent_list, nl.writer)) != 0 ||
	    (rc = ice_table__new_list_close(&nl, base, &snap)) != 0 || (rc = build_summary(c, parent, operation, &sum)) != 0)
		goto done;
	snap.summary.n = sum.n;
	snap.summary.items = sum.items;
	snap.operation = operation;
	if ((rc = ice_table__summary_extend(ctx, &snap)) != 0)
		goto done;
	ice_ref main_ref;
	const ice_ref *cur_main = ice_table_metadata_ref(base, "main");
	memset(&main_ref, 0, sizeof(main_ref));
	if (cur_main)
		main_ref = *cur_main;
	main_ref.name = "main";
	main_ref.type = ICE_REF_BRANCH;
	main_ref.snapshot_id = c->snapshot_id;
	ice_requirement req = {ICE_REQUIRE_REF_SNAPSHOT_ID, "main", parent != NULL, parent ? parent->snapshot_id : 0};
	if ((rc = ice_commit_require(ctx, &req)) == 0 && (rc = ice_metadata_builder_add_snapshot(b, &snap)) == 0)
		rc = ice_metadata_builder_set_ref(b, "main", &main_ref);
done:
	ice_table__new_list_free(&nl);
	ice_manifest_list_free(parent_list);
	return rc;
}

int ice_row_change__commit(ice_row_change *c, const ice_commit_options *opts, ice_commit_result *result)
{
	ice_operation op = {operation_of(c), apply_change, c};
	ice_commit_result res;
	int rc = ice_table_commit(c->table, &op, opts, &res);
	if ((rc && res.state == ICE_COMMIT_FAILED) || res.state == ICE_COMMIT_SKIPPED) {
		delete_manifests(c);
		ice_io__delete_files(ice_table_io(c->table), (const char *const *)c->tracked, c->ntracked);
	}
	if (!rc && res.state == ICE_COMMIT_SUCCEEDED && c->listed)
		for (size_t i = 0; i < c->nmanifests; i++)
			if (!c->listed[i])
				ice_io__delete_files(ice_table_io(c->table), &c->manifests[i]->manifest_path, 1);
	if (result)
		*result = res;
	return rc;
}
