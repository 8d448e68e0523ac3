/*
 * reach/delete.c - deleting the files maintenance decided to remove, on a
 * few threads, every one through io's containment guard
 * (ice_io__delete_within): a location outside the table is kept and
 * counted, whatever metadata named it. Deletes are counted by kind, as
 * Spark's procedures report them; a file already gone is counted as
 * missing. A failure does not stop the others: the first one is raised
 * when all are done. Deleting a local file also removes the `.NAME.crc`
 * checksum beside it, as Hadoop's local file system does when it deletes,
 * so tables Spark wrote are left as Spark would leave them.
 */
#include <stdio.h>
#include <string.h>

#include "io/io.h"
#include "reach.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"

int64_t ice_delete_counts_total(const ice_delete_counts *counts)
{
	int64_t n = 0;
	for (int k = 0; k < ICE_FILE_KIND_COUNT; k++)
		n += counts->deleted[k];
	return n;
}

const char *ice_file_kind_name(ice_file_kind kind)
{
	static const char *const names[ICE_FILE_KIND_COUNT] = {
	    "data", "position-deletes", "equality-deletes", "manifest", "manifest-list", "statistics", "metadata", "other",
	};
	return (unsigned)kind < ICE_FILE_KIND_COUNT ? names[kind] : "other";
}

typedef struct delete_job {
	const ice_io *io;
	const char *root;
	const ice_reach_delete_item *items;
	size_t n;
	bool dry_run;
	ice_maintain_file_fn on_file;
	void *payload;
	ice_reach_progress *progress;
	ice_delete_counts *counts;
	pthread_mutex_t mu;
	int first_rc, first_klass;
	char first_message[512];
} delete_job;

/* The Hadoop checksum beside a local file: dir/.NAME.crc. */
static void delete_checksum(delete_job *j, const char *location)
{
	if (!ice_uri__is_local(location))
		return;
	const char *base = ice_uri__basename(location);
	size_t dir = (size_t)(base - location);
	size_t n = strlen(location) + 6;
	char *crc = ice__malloc(n);
	if (!crc) {
		ice_error_clear();
		return;
	}
	snprintf(crc, n, "%.*s.%s.crc", (int)dir, location, base);
	/* Most files have none: one lstat instead of the guard's walk. */
	uint64_t size;
	if (ice_io__file_size(j->io, crc, &size) == 0)
		ice_io__delete_within(j->io, j->root, crc);
	ice__free(crc);
	ice_error_clear();
}

/* Counts one outcome; returns the file callback's answer (0: go on). */
static int tally(delete_job *j, const ice_reach_delete_item *it, int rc)
{
	int cb = 0;
	pthread_mutex_lock(&j->mu);
	if (rc == 0) {
		j->counts->deleted[it->kind]++;
		if (j->on_file)
			cb = j->on_file(it->location, it->kind, j->payload);
	} else if (rc == ICE_ENOTFOUND) {
		j->counts->missing++;
	} else if (rc == ICE_EINVALID) {
		j->counts->outside++;
	} else {
		j->counts->failed++;
		if (!j->first_rc) {
			const ice_error *e = ice_error_last();
			j->first_rc = rc;
			j->first_klass = e ? e->klass : ICE_ERRCLASS_IO;
			snprintf(j->first_message, sizeof(j->first_message), "%s", e ? e->message : it->location);
		}
	}
	pthread_mutex_unlock(&j->mu);
	return cb;
}

static int stopped(int cb, const char *location)
{
	return cb ? ice_error__set(cb, ICE_ERRCLASS_CALLBACK, "%s: stopped by the file callback", location) : 0;
}

static int delete_one(void *ctx, size_t i)
{
	delete_job *j = ctx;
	const ice_reach_delete_item *it = &j->items[i];
	/* A dry run asks the guard; a delete goes through it (outside:
	 * ICE_EINVALID, nothing deleted). */
	int rc = j->dry_run ? ice_io__check_within(j->io, j->root, it->location)
	                    : ice_io__delete_within(j->io, j->root, it->location);
	int cb = tally(j, it, rc);
	if (rc == 0 && !j->dry_run)
		delete_checksum(j, it->location);
	ice_error_clear();
	ice_reach__progress_add(j->progress, 1);
	return stopped(cb, it->location);
}

/*
 * On an object store, a task is up to OBJECTS_PER_TASK items: each through
 * the guard (lexical there, nothing to swap in between), then the ones
 * inside in DeleteObjects requests (the io's s3.delete.batch-size keys
 * each) instead of a DELETE each. S3 does not say whether a key existed:
 * a key it did not refuse counts as deleted. When a request fails, whether
 * its keys went is unknown: all of the task's count as failed.
 */
enum { OBJECTS_PER_TASK = 1000 };

typedef struct object_task {
	delete_job *j;
	const char **locations;
	size_t *item;    /* locations[k] is j->items[item[k]] */
	bool *refused;
} object_task;

static int object_refused(size_t k, const char *code, void *payload)
{
	object_task *t = payload;
	t->refused[k] = true;
	ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: DeleteObjects: %s", t->locations[k], code);
	tally(t->j, &t->j->items[t->item[k]], ICE_ERROR);
	ice_error_clear();
	return 0;
}

static int delete_objects(void *ctx, size_t task)
{
	delete_job *j = ctx;
	size_t base = task * OBJECTS_PER_TASK, n = j->n - base < OBJECTS_PER_TASK ? j->n - base : OBJECTS_PER_TASK;
	object_task t = {j, ice__mallocarray(n, sizeof(char *)), ice__mallocarray(n, sizeof(size_t)),
	                 ice__calloc(n, sizeof(bool))};
	size_t m = 0;
	int rc = 0, cb = 0;
	if (!t.locations || !t.item || !t.refused)
		rc = ICE_ERROR;
	for (size_t i = base; i < base + n && !rc; i++) {
		int crc = ice_io__check_within(j->io, j->root, j->items[i].location);
		if (crc == 0) {
			t.locations[m] = j->items[i].location;
			t.item[m++] = i;
			continue;
		}
		tally(j, &j->items[i], crc == ICE_EUNSUPPORTED ? ICE_EINVALID : crc);
		ice_error_clear();
	}
	if (!rc && m && (rc = ice_io__delete_batch(j->io, t.locations, m, object_refused, &t)) != 0) {
		for (size_t k = 0; k < m; k++)
			if (!t.refused[k])
				tally(j, &j->items[t.item[k]], rc);
		rc = 0;
	} else {
		for (size_t k = 0; k < m && !cb; k++)
			if (!t.refused[k] && (cb = tally(j, &j->items[t.item[k]], 0)) != 0)
				rc = stopped(cb, j->items[t.item[k]].location);
	}
	if (!rc)
		ice_error_clear();
	ice__free(t.locations);
	ice__free(t.item);
	ice__free(t.refused);
	ice_reach__progress_add(j->progress, (int64_t)n);
	return rc;
}

int ice_reach__delete(const ice_io *io, const char *root, const ice_reach_delete_item *items, size_t n, int threads,
                      bool dry_run, ice_maintain_file_fn on_file, void *payload, ice_reach_progress *progress,
                      ice_delete_counts *counts)
{
	delete_job j;
	memset(&j, 0, sizeof(j));
	j.io = io;
	j.root = root;
	j.items = items;
	j.dry_run = dry_run;
	j.on_file = on_file;
	j.payload = payload;
	j.progress = progress;
	j.counts = counts;
	j.n = n;
	pthread_mutex_init(&j.mu, NULL);
	ice_reach__progress_phase(progress, dry_run ? "checking" : "deleting", (int64_t)n);
	int rc;
	if (!dry_run && n && ice_io__is_object_store(io, root))
		rc = ice_reach__parallel((n + OBJECTS_PER_TASK - 1) / OBJECTS_PER_TASK, threads, delete_objects, &j);
	else
		rc = ice_reach__parallel(n, dry_run ? 1 : threads, delete_one, &j);
	pthread_mutex_destroy(&j.mu);
	if (rc)
		return rc;
	if (j.first_rc)
		return ice_error__set(j.first_rc, j.first_klass, "%lld file%s could not be deleted; the first: %s",
		                      (long long)counts->failed, counts->failed == 1 ? "" : "s", j.first_message);
	return 0;
}
