/*
 * catalog/purge.c - dropping a table's files (drop --purge): every file
 * the table's metadata references - each snapshot's manifest list (or v1
 * inline manifests), the manifests, the data and delete files they list
 * in any status, statistics and partition statistics files, and the
 * metadata files of the metadata log - is deleted, data files first and
 * metadata last, but only when it lies inside the table's directory as
 * the containment guard sees it (io/contain.c: normalised, and no
 * symbolic link on its path leading out): a file referenced from
 * elsewhere (add-files of a file kept in place, a table copied with its
 * paths, a manifest naming "../x" or a path through a link) is counted
 * and kept. Nothing that is not
 * referenced is deleted; what remains under the location is counted. On an
 * object store one listing replaces a request per file, and the deletions
 * go in DeleteObjects batches.
 */
#include <string.h>

#include "ice/manifest.h"
#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/uri.h"

enum { K_DATA, K_MANIFEST, K_LIST, K_STATS, K_METADATA, K_COUNT };

typedef struct purge {
	const ice_io *io;
	const char *root; /* the table's directory: nothing outside it is deleted */
	ice_arena arena;
	ice_map seen;
	char **files[K_COUNT];
	size_t nfiles[K_COUNT], cap[K_COUNT];
	ice_drop_report *report;
} purge;

static int add(purge *p, int kind, const char *location)
{
	size_t len = strlen(location);
	if (ice_map__get_str(&p->seen, location, len, NULL))
		return 0;
	char *copy = ice_arena__strndup(&p->arena, location, len);
	if (!copy || ice_map__put_str(&p->seen, copy, len, copy))
		return ICE_ERROR;
	if (p->nfiles[kind] == p->cap[kind]) {
		size_t ncap = p->cap[kind] ? p->cap[kind] * 2 : 64;
		char **nf = ice__reallocarray(p->files[kind], ncap, sizeof(char *));
		if (!nf)
			return ICE_ERROR;
		p->files[kind] = nf;
		p->cap[kind] = ncap;
	}
	p->files[kind][p->nfiles[kind]++] = copy;
	return 0;
}

static int collect_manifest(purge *p, const ice_table_metadata *md, const ice_manifest_file *mf)
{
	ice_manifest_reader *r;
	const ice_manifest_entry *e;
	int rc = ice_manifest_open(&r, p->io, md, mf);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	while ((rc = ice_manifest_next(r, &e)) == 0)
		if ((rc = add(p, K_DATA, e->data_file.file_path)) != 0)
			break;
	ice_manifest_reader_free(r);
	return rc == ICE_ITEROVER ? 0 : rc;
}

static int collect(purge *p, const ice_table_metadata *md, const char *metadata_location)
{
	int rc = 0;
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(md) && !rc; i++) {
		const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
		ice_manifest_list *list = NULL;
		if (s->manifest_list && (rc = add(p, K_LIST, s->manifest_list)) != 0)
			break;
		rc = ice_manifest_list_read_snapshot(&list, p->io, md, s);
		if (rc == ICE_ENOTFOUND) {
			/* An expired snapshot's list may be gone; its files are not ours to find. */
			ice_error_clear();
			rc = 0;
			continue;
		}
		for (size_t j = 0; list && j < list->n && !rc; j++) {
			const ice_manifest_file *mf = &list->items[j];
			bool known = ice_map__get_str(&p->seen, mf->manifest_path, strlen(mf->manifest_path), NULL);
			if (!known && (rc = add(p, K_MANIFEST, mf->manifest_path)) == 0)
				rc = collect_manifest(p, md, mf);
		}
		ice_manifest_list_free(list);
	}
	for (size_t i = 0; i < ice_table_metadata_statistics_count(md) && !rc; i++)
		rc = add(p, K_STATS, ice_table_metadata_statistics_at(md, i)->statistics_path);
	for (size_t i = 0; i < ice_table_metadata_partition_statistics_count(md) && !rc; i++)
		rc = add(p, K_STATS, ice_table_metadata_partition_statistics_at(md, i)->statistics_path);
	for (size_t i = 0; i < ice_table_metadata_metadata_log_count(md) && !rc; i++)
		rc = add(p, K_METADATA, ice_table_metadata_metadata_log_at(md, i)->metadata_file);
	if (!rc)
		rc = add(p, K_METADATA, metadata_location);
	return rc;
}

/* Deletes `location` if it lies inside the table's root (io/contain.c). */
static int delete_one(purge *p, const char *location)
{
	uint64_t size = 0;
	int rc = ice_io__check_within(p->io, p->root, location);
	if (rc == ICE_EINVALID || rc == ICE_EUNSUPPORTED) {
		/* Outside the table, or a scheme with no file system here: never ours. */
		ice_error_clear();
		p->report->files_outside++;
		return 0;
	}
	if (rc)
		return rc;
	if (ice_io__file_size(p->io, location, &size) != 0)
		ice_error_clear(); /* a missing file is counted below */
	rc = ice_io__delete_within(p->io, p->root, location);
	if (rc == ICE_ENOTFOUND || rc == ICE_EINVALID) {
		/* Gone meanwhile, or a link swapped in since the check. */
		ice_error_clear();
		if (rc == ICE_ENOTFOUND)
			p->report->files_missing++;
		else
			p->report->files_outside++;
		return 0;
	}
	if (rc)
		return rc;
	p->report->files_deleted++;
	p->report->bytes_deleted += (int64_t)size;
	return 0;
}

static int count_one(const ice_io_file_info *f, void *payload)
{
	(void)f;
	(*(int64_t *)payload)++;
	return 0;
}

int ice_catalog__count_files(const ice_io *io, const char *location, int64_t *n_out)
{
	int rc;
	*n_out = 0;
	rc = ice_io_list_recursive(io, location, count_one, n_out);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		rc = 0;
	}
	return rc;
}

/* What an object store holds under the table: location -> size. */
typedef struct listing {
	ice_arena *arena;
	ice_map sizes;
} listing;

/* "bucket/key" of s3://, s3a:// and s3n:// alike. */
static const char *without_scheme(const char *location)
{
	const char *p = strstr(location, "://");
	return p ? p + 3 : location;
}

static int note_object(const ice_io_file_info *f, void *payload)
{
	listing *l = payload;
	const char *k = without_scheme(f->location);
	size_t n = strlen(k);
	char *key = ice_arena__strndup(l->arena, k, n);
	uint64_t *size = ice_arena__alloc(l->arena, sizeof(uint64_t));
	if (!key || !size)
		return ICE_ERROR;
	*size = f->size;
	return ice_map__put_str(&l->sizes, key, n, size);
}

/* A key the store refused to delete fails the purge, naming it. */
static int refused_key(size_t index, const char *code, void *payload)
{
	const char *const *batch = payload;
	return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: DeleteObjects: %s", batch[index], code);
}

/*
 * On an object store: one listing of the table's prefix says what exists
 * and how large it is (1,000 keys a request), and the files inside the
 * table go in DeleteObjects batches of 1,000, kind by kind (data first,
 * metadata last), instead of a HEAD and a DELETE each.
 */
static int purge_objects(purge *p)
{
	listing l = {&p->arena, {0}};
	const char **batch = NULL;
	int rc;
	ice_map__init(&l.sizes, true);
	rc = ice_io_list_recursive(p->io, p->root, note_object, &l);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		rc = 0;
	}
	for (int k = 0; k < K_COUNT && !rc; k++) {
		size_t n = 0;
		if (!p->nfiles[k])
			continue;
		if (!(batch = ice__reallocarray(batch, p->nfiles[k], sizeof(char *)))) {
			rc = ICE_ERROR;
			break;
		}
		for (size_t i = 0; i < p->nfiles[k] && !rc; i++) {
			const char *loc = p->files[k][i];
			void *size = NULL;
			int crc = ice_io__check_within(p->io, p->root, loc);
			if (crc == ICE_EINVALID || crc == ICE_EUNSUPPORTED) {
				ice_error_clear();
				p->report->files_outside++;
				continue;
			}
			if (crc) {
				rc = crc;
				break;
			}
			const char *key = without_scheme(loc);
			if (!ice_map__get_str(&l.sizes, key, strlen(key), &size)) {
				p->report->files_missing++;
				continue;
			}
			p->report->files_deleted++;
			p->report->bytes_deleted += (int64_t) * (uint64_t *)size;
			batch[n++] = loc;
		}
		if (!rc && n)
			rc = ice_io__delete_batch(p->io, batch, n, refused_key, batch);
	}
	ice__free(batch);
	ice_map__free(&l.sizes);
	return rc;
}

int ice_catalog__purge(const ice_io *io, const char *location, const ice_table_metadata *md,
                       const char *metadata_location, ice_drop_report *report)
{
	purge p;
	int rc;
	memset(&p, 0, sizeof(p));
	p.io = io;
	p.report = report;
	p.root = location;
	ice_arena__init(&p.arena, 1 << 16);
	ice_map__init(&p.seen, true);
	rc = collect(&p, md, metadata_location);
	if (!rc && ice_io__is_object_store(io, location))
		rc = purge_objects(&p);
	else
		for (int k = 0; k < K_COUNT && !rc; k++)
			for (size_t i = 0; i < p.nfiles[k] && !rc; i++)
				rc = delete_one(&p, p.files[k][i]);
	for (int k = 0; k < K_COUNT; k++)
		ice__free(p.files[k]);
	ice_map__free(&p.seen);
	ice_arena__free(&p.arena);
	return rc;
}
