/*
 * io/walk.c - every file under a location, depth first (what dropping a
 * table with --purge and, later, orphan removal need), and removing empty
 * directories. Symbolic links are reported as files and never followed, so
 * a walk cannot leave the tree it was given. On an object store a walk is
 * a listing of every key below the prefix, and directories come and go
 * with their contents.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/uri.h"

#define WALK_MAX_DEPTH 256

static int walk_dir(const ice_io *io, const char *location, int depth, ice_io_list_fn fn, void *payload)
{
	ice_arena arena;
	ice_dir_entry *entries;
	size_t n;
	int rc;
	if (depth > WALK_MAX_DEPTH)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: directories nested too deeply", location);
	ice_arena__init(&arena, 4096);
	if ((rc = ice_io__list(io, location, &arena, &entries, &n)) != 0) {
		ice_arena__free(&arena);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		char *child = ice_uri__join(location, entries[i].name);
		struct stat st;
		char *path = NULL;
		if (!child) {
			rc = ICE_ERROR;
			break;
		}
		/* Do not follow symbolic links to directories. */
		bool is_dir = entries[i].is_dir;
		if (is_dir && ice_io__local_path(&path, io, child) == 0 && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			is_dir = false;
		ice__free(path);
		if (is_dir) {
			rc = walk_dir(io, child, depth + 1, fn, payload);
		} else {
			ice_io_file_info info = {child, entries[i].size, entries[i].mtime_ms};
			rc = fn(&info, payload);
		}
		ice__free(child);
	}
	ice_arena__free(&arena);
	return rc;
}

int ice_io_list_recursive(const ice_io *io, const char *location, ice_io_list_fn fn, void *payload)
{
	bool exists = false, is_dir = false;
	char *mapped;
	struct ice_s3 *s3;
	int rc = ice_io__target(io, location, &mapped, &s3);
	if (rc)
		return rc;
	if (s3) {
		/* Every key below the prefix, 1,000 a request. */
		rc = ice_s3_io__list_recursive(s3, mapped, location, fn, payload);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
	rc = ice_io__stat(io, location, &exists, &is_dir);
	if (rc)
		return rc;
	if (!exists)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such directory", location);
	if (!is_dir)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: not a directory", location);
	return walk_dir(io, location, 0, fn, payload);
}

int ice_io__remove_dir(const ice_io *io, const char *location)
{
	char *path;
	int rc;
	if (ice_io__is_object_store(io, location)) {
		/* A prefix is there while something is below it. */
		bool exists = false;
		if ((rc = ice_io__stat(io, location, &exists, NULL)) != 0)
			return rc;
		return exists ? ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: directory is not empty", location) : 0;
	}
	if ((rc = ice_io__local_path(&path, io, location)) != 0)
		return rc;
	if (rmdir(path) != 0) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: directory is not empty", location);
		else
			rc = ice_error__os(location, "remove directory");
	}
	ice__free(path);
	return rc;
}

int ice_io_remove_dir(const ice_io *io, const char *location)
{
	return ice_io__remove_dir(io, location);
}

/* Removes empty directories below and at `location`, deepest first. */
static int prune(const ice_io *io, const char *location, int depth, bool *empty_out)
{
	ice_arena arena;
	ice_dir_entry *entries;
	size_t n;
	bool all_empty = true;
	int rc;
	*empty_out = false;
	if (depth > WALK_MAX_DEPTH)
		return 0;
	ice_arena__init(&arena, 4096);
	if ((rc = ice_io__list(io, location, &arena, &entries, &n)) != 0) {
		ice_arena__free(&arena);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		bool child_empty = false;
		char *child, *path = NULL;
		struct stat st;
		if (!entries[i].is_dir) {
			all_empty = false;
			continue;
		}
		if (!(child = ice_uri__join(location, entries[i].name))) {
			rc = ICE_ERROR;
			break;
		}
		if ((rc = ice_io__local_path(&path, io, child)) != 0) {
			ice__free(child);
			break;
		}
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
			all_empty = false;
		} else {
			rc = prune(io, child, depth + 1, &child_empty);
			if (!child_empty)
				all_empty = false;
		}
		ice__free(path);
		ice__free(child);
	}
	ice_arena__free(&arena);
	if (!rc && all_empty) {
		/* A directory that cannot be removed (filled meanwhile) is kept. */
		if (ice_io__remove_dir(io, location) == 0)
			*empty_out = true;
		ice_error_clear();
	}
	return rc;
}

int ice_io_remove_empty_dirs(const ice_io *io, const char *location, bool *removed_out)
{
	bool removed = false;
	int rc;
	if (ice_io__is_object_store(io, location)) {
		/* No directories to remove: the prefix is gone when it is empty. */
		bool exists = false;
		rc = ice_io__stat(io, location, &exists, NULL);
		if (removed_out)
			*removed_out = !rc && !exists;
		return rc;
	}
	rc = prune(io, location, 0, &removed);
	if (removed_out)
		*removed_out = removed;
	return rc;
}
