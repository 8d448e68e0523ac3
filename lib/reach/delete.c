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
	ice_io__delete_within(j->io, j->root, crc);
	ice__free(crc);
	ice_error_clear();
}

static int delete_one(void *ctx, size_t i)
{
	delete_job *j = ctx;
	const ice_reach_delete_item *it = &j->items[i];
	/* A dry run asks the guard; a delete goes through it (outside:
	 * ICE_EINVALID, nothing deleted). */
	int rc = j->dry_run ? ice_io__check_within(j->io, j->root, it->location)
	                    : ice_io__delete_within(j->io, j->root, it->location);
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
	if (rc == 0 && !j->dry_run)
		delete_checksum(j, it->location);
	ice_error_clear();
	ice_reach__progress_add(j->progress, 1);
	if (cb)
		return ice_error__set(cb, ICE_ERRCLASS_CALLBACK, "%s: stopped by the file callback", it->location);
	return 0;
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
	pthread_mutex_init(&j.mu, NULL);
	ice_reach__progress_phase(progress, dry_run ? "checking" : "deleting", (int64_t)n);
	int rc = ice_reach__parallel(n, dry_run ? 1 : threads, delete_one, &j);
	pthread_mutex_destroy(&j.mu);
	if (rc)
		return rc;
	if (j.first_rc)
		return ice_error__set(j.first_rc, j.first_klass, "%lld file%s could not be deleted; the first: %s",
		                      (long long)counts->failed, counts->failed == 1 ? "" : "s", j.first_message);
	return 0;
}
