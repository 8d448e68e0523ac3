/*
 * reach/walk.c - the files a set of snapshots reaches (spec "Snapshots",
 * "Manifest Lists", "Manifests"), read once each: every distinct manifest
 * list is read on worker threads and the manifests it names are collected
 * by path (a manifest shared by a thousand snapshots is read once); the
 * collected manifests are then read on worker threads and their live
 * entries (ADDED and EXISTING; a DELETED entry is no longer part of its
 * snapshot) handed to the caller. A walk remembers what it collected, so
 * later calls (another metadata version, other snapshots) read only what
 * is new.
 */
#include <string.h>

#include "io/io.h"
#include "reach.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/hashmap.h"

int ice_reach__walk_init(ice_reach_walk *w, const ice_io *io, const ice_table_metadata *md, int threads,
                         size_t memory_bytes, ice_reach_progress *progress)
{
	int rc;
	memset(w, 0, sizeof(*w));
	w->io = io;
	w->md = md;
	w->threads = threads > 0 ? threads : 2 * ice_reach__cpu_threads();
	w->progress = progress;
	w->memory_bytes = memory_bytes;
	if (!(w->arena = ice__malloc(sizeof(ice_arena))))
		return ICE_ERROR;
	ice_arena__init(w->arena, 1 << 16);
	if ((rc = ice_pathset__new(&w->seen, memory_bytes)) != 0) {
		ice_arena__free(w->arena);
		ice__free(w->arena);
		w->arena = NULL;
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	return 0;
}

void ice_reach__walk_free(ice_reach_walk *w)
{
	if (!w->arena)
		return;
	ice_pathset__free(w->seen);
	ice__free(w->manifests);
	ice_arena__free(w->arena);
	ice__free(w->arena);
	pthread_mutex_destroy(&w->mu);
	memset(w, 0, sizeof(*w));
}

ice_file_kind ice_reach__content_kind(ice_file_content content)
{
	switch (content) {
	case ICE_FILE_CONTENT_POSITION_DELETES: return ICE_FILE_POSITION_DELETES;
	case ICE_FILE_CONTENT_EQUALITY_DELETES: return ICE_FILE_EQUALITY_DELETES;
	default: return ICE_FILE_DATA;
	}
}

bool ice_reach__seen(const ice_reach_walk *w, const char *path)
{
	return ice_pathset__find(w->seen, path, strlen(path), NULL) == 0;
}

/* A file that is gone: skipped (counted as done) when that is allowed. */
static bool skip_missing(ice_reach_walk *w, int rc, bool missing_ok)
{
	if (rc != ICE_ENOTFOUND || !missing_ok)
		return false;
	ice_error_clear();
	ice_reach__progress_add(w->progress, 1);
	return true;
}

/* ---- manifest lists ------------------------------------------------------------ */

typedef struct lists_job {
	ice_reach_walk *w;
	const ice_snapshot *const *snapshots;
	size_t *todo; /* indexes into snapshots of the distinct lists */
	bool missing_ok;
	ice_reach_manifest_fn fn;
	void *payload;
} lists_job;

/* Keep a copy of what reading manifest `mf` needs (under w->mu). */
static int collect(ice_reach_walk *w, const ice_manifest_file *mf)
{
	bool added;
	int rc = ice_pathset__add(w->seen, mf->manifest_path, strlen(mf->manifest_path), ICE_FILE_MANIFEST, NULL, &added);
	if (rc || !added)
		return rc;
	if (w->nmanifests == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		ice_reach_manifest *m = ice__reallocarray(w->manifests, cap, sizeof(*m));
		if (!m)
			return ICE_ERROR;
		w->manifests = m;
		w->cap = cap;
	}
	ice_manifest_file *c = &w->manifests[w->nmanifests].mf;
	*c = *mf;
	c->has_partitions = false;
	c->n_partitions = 0;
	c->partitions = NULL;
	if (!(c->manifest_path = ice_arena__strdup(w->arena, mf->manifest_path)))
		return ICE_ERROR;
	if (mf->has_key_metadata && mf->key_metadata.len) {
		if (!(c->key_metadata.data = ice_arena__memdup(w->arena, mf->key_metadata.data, mf->key_metadata.len)))
			return ICE_ERROR;
	}
	w->nmanifests++;
	return 0;
}

static int read_one_list(void *ctx, size_t k)
{
	lists_job *j = ctx;
	ice_reach_walk *w = j->w;
	const ice_snapshot *s = j->snapshots[j->todo[k]];
	ice_manifest_list *list = NULL;
	int rc = ice_manifest_list_read_snapshot(&list, w->io, w->md, s);
	if (skip_missing(w, rc, j->missing_ok))
		return 0;
	if (rc)
		return rc;
	pthread_mutex_lock(&w->mu);
	w->lists_read++;
	for (size_t i = 0; i < list->n && !rc; i++) {
		const ice_manifest_file *mf = &list->items[i];
		if (ice_pathset__find(w->seen, mf->manifest_path, strlen(mf->manifest_path), NULL) == 0)
			continue;
		ice_error_clear();
		int want = j->fn ? j->fn(j->payload, s, mf) : 1;
		if (want < 0)
			rc = want;
		else if (want)
			rc = collect(w, mf);
	}
	pthread_mutex_unlock(&w->mu);
	ice_manifest_list_free(list);
	ice_reach__progress_add(w->progress, 1);
	return rc;
}

int ice_reach__read_lists(ice_reach_walk *w, const ice_snapshot *const *snapshots, size_t n, bool missing_ok,
                          ice_reach_manifest_fn fn, void *payload)
{
	ice_map lists;
	size_t *todo = n ? ice__malloc(n * sizeof(size_t)) : NULL;
	size_t ntodo = 0;
	int rc = 0;
	if (n && !todo)
		return ICE_ERROR;
	ice_map__init(&lists, true);
	for (size_t i = 0; i < n && !rc; i++) {
		const char *l = snapshots[i]->manifest_list;
		if (l) {
			if (ice_map__get_str(&lists, l, strlen(l), NULL))
				continue;
			if ((rc = ice_map__put_str(&lists, l, strlen(l), NULL)) != 0)
				break;
		}
		todo[ntodo++] = i;
	}
	ice_map__free(&lists);
	if (!rc) {
		lists_job j = {w, snapshots, todo, missing_ok, fn, payload};
		ice_reach__progress_phase(w->progress, "reading manifest lists", (int64_t)ntodo);
		rc = ice_reach__parallel(ntodo, w->threads, read_one_list, &j);
	}
	ice__free(todo);
	return rc;
}

/* ---- manifests -------------------------------------------------------------- */

typedef struct manifests_job {
	ice_reach_walk *w;
	size_t first;
	bool missing_ok;
	ice_reach_file_fn fn;
	void *payload;
} manifests_job;

static int read_one_manifest(void *ctx, size_t k)
{
	manifests_job *j = ctx;
	ice_reach_walk *w = j->w;
	const ice_manifest_file *mf = &w->manifests[j->first + k].mf;
	ice_manifest_reader *r;
	const ice_manifest_entry *e;
	int rc = ice_manifest_open(&r, w->io, w->md, mf);
	if (skip_missing(w, rc, j->missing_ok))
		return 0;
	if (rc)
		return rc;
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		if (e->status == ICE_MANIFEST_ENTRY_DELETED)
			continue;
		if ((rc = j->fn(j->payload, e->data_file.file_path, ice_reach__content_kind(e->data_file.content))) != 0)
			break;
	}
	ice_manifest_reader_free(r);
	if (rc != ICE_ITEROVER)
		return rc;
	__atomic_fetch_add(&w->manifests_read, 1, __ATOMIC_RELAXED);
	ice_reach__progress_add(w->progress, 1);
	return 0;
}

int ice_reach__read_manifests(ice_reach_walk *w, bool missing_ok, ice_reach_file_fn fn, void *payload)
{
	size_t first = w->read_upto, n = w->nmanifests - first;
	manifests_job j = {w, first, missing_ok, fn, payload};
	ice_reach__progress_phase(w->progress, "reading manifests", (int64_t)n);
	int rc = ice_reach__parallel(n, w->threads, read_one_manifest, &j);
	if (!rc)
		w->read_upto = w->nmanifests;
	return rc;
}
