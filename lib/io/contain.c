/*
 * io/contain.c - the containment guard: whether a location lies inside a
 * table's directory, and deleting it only if it does at the moment of
 * deletion. Everything that deletes files on a table's behalf (drop
 * --purge, snapshot expiry, orphan removal, compaction) goes through here,
 * so a manifest naming "../x", a location spelled another way, or a
 * symbolic link inside the table pointing elsewhere never costs a file
 * outside the table.
 *
 * Two levels. The top is scheme-agnostic and lexical: both locations are
 * put through the path maps, split into scheme, authority and path, and
 * the paths normalised ("." and empty segments dropped, ".." applied); the
 * schemes must agree (no scheme, file: -> local; s3, s3a, s3n -> s3), the
 * authorities must be equal, and the location's segments must extend the
 * root's. For object stores that is the whole check (a key has no links).
 *
 * Below it, local files: the file system decides. The root's real path is
 * taken (realpath), the location's segments below the root are walked from
 * it, and a symbolic link met on the way is followed only when where it
 * leads is still inside the root's real path. Deleting walks the same
 * segments with openat(O_NOFOLLOW | O_DIRECTORY) from a descriptor of the
 * real root (itself opened segment by segment without following links) and
 * removes the last one with unlinkat, so a link swapped in between the
 * check and the deletion cannot redirect it: the walk fails instead. The
 * last segment itself is never followed: if it is a link, the link (which
 * lies inside) is what is removed.
 *
 * A local location that does not lie lexically under the root as given
 * may still name a file inside it by another spelling (a relative table
 * path against absolute metadata locations, a symlinked parent directory):
 * it is accepted when it lies under the root's real path, or when its
 * deepest existing directory resolves there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"

#define MAX_LINKS 40

/* A location split and normalised. `path` is "/seg/seg" ("/" for the top). */
typedef struct parsed {
	char scheme[16]; /* "" for local */
	char *authority; /* NULL for local */
	char *path;
} parsed;

static void parsed_free(parsed *p)
{
	ice__free(p->authority);
	ice__free(p->path);
}

/* "/a/./b//c/../d" -> "/a/b/d" (in place; `s` starts with '/'). */
static void normalise(char *s)
{
	size_t out = 0, i = 0, n = strlen(s);
	while (i < n) {
		while (i < n && s[i] == '/')
			i++;
		size_t start = i;
		while (i < n && s[i] != '/')
			i++;
		size_t len = i - start;
		if (len == 0 || (len == 1 && s[start] == '.'))
			continue;
		if (len == 2 && s[start] == '.' && s[start + 1] == '.') {
			while (out > 0 && s[out - 1] != '/')
				out--;
			if (out > 0)
				out--; /* the '/' before the dropped segment; ".." above the top stays at the top */
			continue;
		}
		s[out++] = '/';
		memmove(s + out, s + start, len);
		out += len;
	}
	if (out == 0)
		s[out++] = '/';
	s[out] = '\0';
}

/* An absolute local path: relative ones are taken from the working directory. */
static char *absolute(const char *path)
{
	if (path[0] == '/')
		return ice__strdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		ice_error__os(".", "getcwd");
		return NULL;
	}
	return ice_uri__join(cwd, path);
}

static int parse(parsed *out, const ice_io *io, const char *location)
{
	char *mapped = ice_io_resolve(io, location);
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (!mapped)
		return ICE_ERROR;
	size_t n = ice_uri__scheme_len(mapped);
	if (ice_uri__is_local(mapped)) {
		char *local = ice_uri__local_path(mapped);
		if (!local || !(out->path = absolute(local)))
			rc = ice_error__code();
		ice__free(local);
	} else if (n >= sizeof(out->scheme)) {
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO, "%.*s: unknown scheme", (int)n, mapped);
	} else {
		for (size_t i = 0; i < n; i++)
			out->scheme[i] = (char)(mapped[i] >= 'A' && mapped[i] <= 'Z' ? mapped[i] - 'A' + 'a' : mapped[i]);
		if (!strcmp(out->scheme, "s3a") || !strcmp(out->scheme, "s3n"))
			strcpy(out->scheme, "s3");
		const char *rest = mapped + n + 1, *slash;
		if (strncmp(rest, "//", 2) == 0) {
			rest += 2;
			slash = strchr(rest, '/');
			size_t alen = slash ? (size_t)(slash - rest) : strlen(rest);
			if (!(out->authority = ice__strndup(rest, alen)))
				rc = ICE_ERROR;
			rest += alen;
		} else if (!(out->authority = ice__strdup(""))) {
			rc = ICE_ERROR;
		}
		if (!rc && !(out->path = ice_uri__join("", rest)))
			rc = ICE_ERROR;
	}
	ice__free(mapped);
	if (rc) {
		parsed_free(out);
		return rc;
	}
	normalise(out->path);
	return 0;
}

/* The part of `path` below `dir` ("a/b"), or NULL when it is not strictly below. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[1] ? path + 1 : NULL;
	if (strncmp(path, dir, n) != 0 || path[n] != '/' || !path[n + 1])
		return NULL;
	return path + n + 1;
}

static int outside(const char *location, const char *root)
{
	char a[512], b[512];
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: outside the table location %s",
	                      ice_uri__redact(a, sizeof(a), location), ice_uri__redact(b, sizeof(b), root));
}

/* ---- local files ---------------------------------------------------------------- */

/* realpath, allocated through ice__; NULL with errno set when it fails. */
static char *real_path(const char *path)
{
	char *r = realpath(path, NULL);
	if (!r)
		return NULL;
	char *copy = ice__strdup(r);
	free(r);
	if (!copy)
		errno = ENOMEM;
	return copy;
}

/*
 * The location's segments below the root's real path (allocated, "a/b/f"),
 * or NULL with *outside_out set. *real_root_out is the root's real path, or
 * NULL when the root does not exist (then nothing inside it does either,
 * and the lexical answer stands).
 */
static int local_relative(const char *root, const char *path, char **real_root_out, char **rel_out,
                          bool *outside_out)
{
	char *real_root = real_path(root), *rel = NULL;
	const char *tail;
	*real_root_out = NULL;
	*rel_out = NULL;
	*outside_out = false;
	if (!real_root) {
		if (errno != ENOENT && errno != ENOTDIR)
			return errno == ENOMEM ? ice_error__oom() : ice_error__os(root, "resolve");
		*outside_out = !below(path, root);
		return 0;
	}
	if ((tail = below(path, root)) != NULL || (tail = below(path, real_root)) != NULL) {
		rel = ice__strdup(tail);
	} else {
		/* Another spelling of a path inside: resolve its deepest existing directory. */
		char *dir = ice__strdup(path);
		size_t n = dir ? strlen(dir) : 0;
		if (!dir) {
			ice__free(real_root);
			return ICE_ERROR;
		}
		for (;;) {
			while (n > 1 && dir[n - 1] != '/')
				n--;
			if (n <= 1)
				break;
			dir[--n] = '\0';
			char *r = real_path(dir);
			if (r) {
				char *joined = ice_uri__join(r, path + n + 1);
				ice__free(r);
				if (!joined) {
					ice__free(dir);
					ice__free(real_root);
					return ICE_ERROR;
				}
				normalise(joined);
				if ((tail = below(joined, real_root)) != NULL && !(rel = ice__strdup(tail))) {
					ice__free(joined);
					ice__free(dir);
					ice__free(real_root);
					return ICE_ERROR;
				}
				ice__free(joined);
				break;
			}
			if (errno == ENOMEM) {
				ice__free(dir);
				ice__free(real_root);
				return ice_error__oom();
			}
		}
		ice__free(dir);
		if (!rel) {
			ice__free(real_root);
			*outside_out = true;
			return 0;
		}
	}
	if (!rel) {
		ice__free(real_root);
		return ICE_ERROR;
	}
	*real_root_out = real_root;
	*rel_out = rel;
	return 0;
}

/*
 * Walks the directories of `rel` (every segment but the last) from
 * `real_root` by path: a link is followed only when it resolves inside
 * `real_root`. A missing segment ends the walk (nothing further exists).
 */
static int local_check(const char *real_root, const char *rel, bool *outside_out)
{
	char *cur = ice__strdup(real_root);
	const char *seg = rel;
	int rc = 0;
	*outside_out = false;
	if (!cur)
		return ICE_ERROR;
	for (const char *slash; !rc && (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
		char *name = ice__strndup(seg, (size_t)(slash - seg));
		char *next = name ? ice_uri__join(cur, name) : NULL;
		struct stat st;
		ice__free(name);
		if (!next) {
			rc = ICE_ERROR;
			break;
		}
		if (lstat(next, &st) != 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				rc = ice_error__os(next, "stat");
			ice__free(next);
			break; /* nothing further exists */
		}
		if (S_ISLNK(st.st_mode)) {
			char *r = real_path(next);
			ice__free(next);
			/* A dangling link or one leading out: never walked through. */
			if (!r || (strcmp(r, real_root) != 0 && !below(r, real_root))) {
				if (!r && errno == ENOMEM)
					rc = ice_error__oom();
				else
					*outside_out = true;
				ice__free(r);
				break;
			}
			next = r;
		} else if (!S_ISDIR(st.st_mode)) {
			ice__free(next);
			break; /* a file where a directory would be: the location cannot exist */
		}
		ice__free(cur);
		cur = next;
	}
	ice__free(cur);
	return rc;
}

/* A descriptor of a directory with no symbolic link on its path (`real` is a real path). */
static int open_real_dir(const char *real, int *fd_out)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *seg = real + 1;
	if (fd < 0)
		return ice_error__os("/", "open");
	while (*seg) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		char name[NAME_MAX + 1];
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return ice_error__os(real, "open");
		}
		memcpy(name, seg, n);
		name[n] = '\0';
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return ice_error__os(real, "open");
		fd = next;
		seg += n;
		while (*seg == '/')
			seg++;
	}
	*fd_out = fd;
	return 0;
}

/*
 * Deletes `rel` below `real_root` walking by descriptors. A directory
 * segment that is a link is resolved and, when it stays inside, the walk
 * starts again from the root along the resolved segments (bounded).
 */
static int local_delete(const char *location, const char *root, const char *real_root, const char *rel)
{
	char *todo = ice__strdup(rel);
	int rc = 0;
	if (!todo)
		return ICE_ERROR;
	for (int restarts = 0;; restarts++) {
		int fd = -1;
		if (restarts > MAX_LINKS) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: too many symbolic links", location);
			break;
		}
		if ((rc = open_real_dir(real_root, &fd)) != 0)
			break;
		const char *seg = todo;
		char *resolved = NULL;
		for (const char *slash; (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
			char name[NAME_MAX + 1];
			size_t n = (size_t)(slash - seg);
			if (n > NAME_MAX) {
				errno = ENAMETOOLONG;
				rc = ice_error__os(location, "delete");
				break;
			}
			memcpy(name, seg, n);
			name[n] = '\0';
			int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0) {
				close(fd);
				fd = next;
				continue;
			}
			struct stat st;
			if ((errno == ELOOP || errno == ENOTDIR) && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				/* A link: where does it lead? Resolved by path, then walked again. */
				char *prefix = ice__strndup(todo, (size_t)(slash - todo));
				char *full = prefix ? ice_uri__join(real_root, prefix) : NULL;
				char *r = full ? real_path(full) : NULL;
				const char *inside = r ? below(r, real_root) : NULL;
				ice__free(prefix);
				ice__free(full);
				if (!r && errno == ENOMEM)
					rc = ice_error__oom();
				else if (!r && errno == ENOENT)
					rc = outside(location, root); /* dangling: never walked through */
				else if (!r)
					rc = ice_error__os(location, "resolve");
				else if (strcmp(r, real_root) == 0)
					resolved = ice__strdup(slash + 1);
				else if (!inside)
					rc = outside(location, root);
				else
					resolved = ice_uri__join(inside, slash + 1);
				if (!rc && !resolved)
					rc = ICE_ERROR;
				ice__free(r);
			} else if (errno == ENOENT || errno == ENOTDIR) {
				rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such file", location);
			} else {
				rc = ice_error__os(location, "delete");
			}
			break;
		}
		if (!rc && !resolved && unlinkat(fd, seg, 0) != 0)
			rc = errno == ENOENT ? ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such file", location)
			                     : ice_error__os(location, "delete");
		close(fd);
		if (rc || !resolved)
			break;
		ice__free(todo);
		todo = resolved;
	}
	ice__free(todo);
	return rc;
}

/* ---- the guard ------------------------------------------------------------------------ */

/*
 * The lexical check; for a local location also the real root and the
 * segments below it (*rel_out NULL when the root does not exist).
 */
static int check(const ice_io *io, const char *root, const char *location, bool *local_out, char **real_root_out,
                 char **rel_out)
{
	parsed r, l;
	int rc;
	*local_out = false;
	*real_root_out = *rel_out = NULL;
	if ((rc = parse(&r, io, root)) != 0)
		return rc;
	if ((rc = parse(&l, io, location)) != 0) {
		parsed_free(&r);
		return rc;
	}
	if (strcmp(r.scheme, l.scheme) != 0 || (r.authority && strcmp(r.authority, l.authority) != 0)) {
		rc = outside(location, root);
	} else if (!r.scheme[0]) {
		bool out = false;
		*local_out = true;
		if ((rc = local_relative(r.path, l.path, real_root_out, rel_out, &out)) == 0 && out)
			rc = outside(location, root);
		if (!rc && *rel_out && (rc = local_check(*real_root_out, *rel_out, &out)) == 0 && out)
			rc = outside(location, root);
	} else if (!below(l.path, r.path)) {
		rc = outside(location, root);
	}
	parsed_free(&r);
	parsed_free(&l);
	if (rc) {
		ice__free(*real_root_out);
		ice__free(*rel_out);
		*real_root_out = *rel_out = NULL;
	}
	return rc;
}

int ice_io__check_within(const ice_io *io, const char *root, const char *location)
{
	char *real_root, *rel;
	bool local;
	int rc = check(io, root, location, &local, &real_root, &rel);
	ice__free(real_root);
	ice__free(rel);
	return rc;
}

int ice_io__delete_within(const ice_io *io, const char *root, const char *location)
{
	char *real_root, *rel;
	bool local;
	int rc = check(io, root, location, &local, &real_root, &rel);
	if (rc)
		return rc;
	if (!local)
		rc = ice_io__delete(io, location); /* an object store: the key is what was checked */
	else if (!rel)
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such file", location);
	else
		rc = local_delete(location, root, real_root, rel);
	ice__free(real_root);
	ice__free(rel);
	return rc;
}
