/*
 * io/io.c - FileIO: path maps, and local files (plain paths and file: URIs).
 * Other schemes report ICE_EUNSUPPORTED until their backend exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/uri.h"

typedef struct path_map {
	char *from;
	char *to;
} path_map;

struct ice_io {
	path_map *maps;
	size_t nmaps;
};

int ice_io_new(ice_io **out)
{
	*out = ice__calloc(1, sizeof(ice_io));
	return *out ? 0 : ICE_ERROR;
}

void ice_io_free(ice_io *io)
{
	if (!io)
		return;
	for (size_t i = 0; i < io->nmaps; i++) {
		ice__free(io->maps[i].from);
		ice__free(io->maps[i].to);
	}
	ice__free(io->maps);
	ice__free(io);
}

int ice_io_add_path_map(ice_io *io, const char *from, const char *to)
{
	path_map *maps = ice__reallocarray(io->maps, io->nmaps + 1, sizeof(path_map));
	if (!maps)
		return ICE_ERROR;
	io->maps = maps;
	maps[io->nmaps].from = ice__strdup(from);
	maps[io->nmaps].to = ice__strdup(to);
	if (!maps[io->nmaps].from || !maps[io->nmaps].to) {
		ice__free(maps[io->nmaps].from);
		ice__free(maps[io->nmaps].to);
		return ICE_ERROR;
	}
	io->nmaps++;
	return 0;
}

char *ice_io_resolve(const ice_io *io, const char *location)
{
	for (size_t i = 0; io && i < io->nmaps; i++) {
		size_t n = strlen(io->maps[i].from);
		if (strncmp(location, io->maps[i].from, n) == 0) {
			size_t m = strlen(io->maps[i].to), rest = strlen(location + n);
			char *p = ice__malloc(m + rest + 1);
			if (!p)
				return NULL;
			memcpy(p, io->maps[i].to, m);
			memcpy(p + m, location + n, rest + 1);
			return p;
		}
	}
	return ice__strdup(location);
}

/* The local path for a location after path mapping. */
static char *local_path(const ice_io *io, const char *location)
{
	char *mapped = ice_io_resolve(io, location);
	char *path;
	if (!mapped)
		return NULL;
	path = ice_uri__local_path(mapped);
	ice__free(mapped);
	return path;
}

int ice_io__local_path(char **out, const ice_io *io, const char *location)
{
	*out = local_path(io, location);
	return *out ? 0 : ice_error__code();
}

/* ---- local input ---------------------------------------------------------- */

typedef struct local_input {
	ice_input base;
	int fd;
} local_input;

static int local_read_at(ice_input *in, uint64_t offset, void *dst, size_t len)
{
	local_input *li = (local_input *)in;
	uint8_t *p = dst;
	if (offset > in->size || len > in->size - offset)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
		                      "%s: unexpected end of file: %zu bytes at offset %llu, file has %llu",
		                      in->location, len, (unsigned long long)offset,
		                      (unsigned long long)in->size);
	while (len > 0) {
		ssize_t n = pread(li->fd, p, len, (off_t)offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ice_error__os(in->location, "read");
		}
		if (n == 0)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
			                      "%s: unexpected end of file at offset %llu", in->location,
			                      (unsigned long long)offset);
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static void local_close(ice_input *in)
{
	local_input *li = (local_input *)in;
	close(li->fd);
	ice__free(in->location);
	ice__free(li);
}

static const ice_input_ops local_input_ops = {local_read_at, local_close};

int ice_io__open_input(ice_input **out, const ice_io *io, const char *location)
{
	struct stat st;
	local_input *li;
	char *path;
	int fd;
	*out = NULL;
	if (!(path = local_path(io, location)))
		return ice_error__code();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = ice_error__os(location, "open");
		ice__free(path);
		return rc;
	}
	ice__free(path);
	if (fstat(fd, &st) != 0) {
		int rc = ice_error__os(location, "stat");
		close(fd);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: is a directory", location);
	}
	li = ice__calloc(1, sizeof(*li));
	if (!li || !(li->base.location = ice__strdup(location))) {
		ice__free(li);
		close(fd);
		return ICE_ERROR;
	}
	li->base.ops = &local_input_ops;
	li->base.size = (uint64_t)st.st_size;
	li->fd = fd;
	*out = &li->base;
	return 0;
}

int ice_input__read_at(ice_input *in, uint64_t offset, void *dst, size_t len)
{
	return in->ops->read_at(in, offset, dst, len);
}

void ice_input__close(ice_input *in)
{
	if (in)
		in->ops->close(in);
}

int ice_io_read_all(const ice_io *io, const char *location, size_t max_len, uint8_t **data_out, size_t *len_out)
{
	ice_input *in;
	uint8_t *data;
	int rc;
	*data_out = NULL;
	*len_out = 0;
	if (!max_len)
		max_len = (size_t)1 << 30;
	if ((rc = ice_io__open_input(&in, io, location)) != 0)
		return rc;
	if (in->size > max_len) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: file of %llu bytes exceeds the limit of %zu",
		                    location, (unsigned long long)in->size, max_len);
		ice_input__close(in);
		return rc;
	}
	data = ice__malloc((size_t)in->size + 1);
	if (!data) {
		ice_input__close(in);
		return ICE_ERROR;
	}
	rc = ice_input__read_at(in, 0, data, (size_t)in->size);
	if (rc) {
		ice__free(data);
		ice_input__close(in);
		return rc;
	}
	data[in->size] = '\0';
	*len_out = (size_t)in->size;
	*data_out = data;
	ice_input__close(in);
	return 0;
}

int ice_io__stat(const ice_io *io, const char *location, bool *exists_out, bool *is_dir_out)
{
	struct stat st;
	char *path = local_path(io, location);
	if (!path)
		return ice_error__code();
	*exists_out = stat(path, &st) == 0;
	if (is_dir_out)
		*is_dir_out = *exists_out && S_ISDIR(st.st_mode);
	ice__free(path);
	return 0;
}

int ice_io__file_size(const ice_io *io, const char *location, uint64_t *size_out)
{
	struct stat st;
	char *path = local_path(io, location);
	int rc = 0;
	*size_out = 0;
	if (!path)
		return ice_error__code();
	if (lstat(path, &st) != 0)
		rc = ice_error__os(location, "stat");
	else
		*size_out = (uint64_t)st.st_size;
	ice__free(path);
	return rc;
}

int ice_io_exists(const ice_io *io, const char *location, bool *exists_out)
{
	return ice_io__stat(io, location, exists_out, NULL);
}

/* ---- local output --------------------------------------------------------- */

typedef struct local_output {
	ice_output base;
	int fd;
	char *path;
} local_output;

static int local_write(ice_output *out, const void *data, size_t len)
{
	local_output *lo = (local_output *)out;
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(lo->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ice_error__os(out->location, "write");
		}
		p += n;
		len -= (size_t)n;
		out->written += (uint64_t)n;
	}
	return 0;
}

static void local_output_free(local_output *lo)
{
	ice__free(lo->path);
	ice__free(lo->base.location);
	ice__free(lo);
}

static int local_output_close(ice_output *out)
{
	local_output *lo = (local_output *)out;
	int rc = 0;
	if (fsync(lo->fd) != 0 && errno != EINVAL)
		rc = ice_error__os(out->location, "fsync");
	if (close(lo->fd) != 0 && !rc)
		rc = ice_error__os(out->location, "close");
	if (rc)
		unlink(lo->path);
	local_output_free(lo);
	return rc;
}

static void local_output_abort(ice_output *out)
{
	local_output *lo = (local_output *)out;
	close(lo->fd);
	unlink(lo->path);
	local_output_free(lo);
}

static const ice_output_ops local_output_ops = {local_write, local_output_close, local_output_abort};

/* mkdir -p for the parent directory of path. */
static int make_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			int rc = ice_error__os(path, "mkdir");
			*p = '/';
			return rc;
		}
		*p = '/';
	}
	return 0;
}

int ice_io__make_dirs(const char *dir)
{
	size_t n = strlen(dir);
	char *path = ice__malloc(n + 2);
	int rc;
	if (!path)
		return ICE_ERROR;
	memcpy(path, dir, n);
	path[n] = '/';
	path[n + 1] = '\0';
	rc = make_parents(path);
	ice__free(path);
	return rc;
}

int ice_io__create_output(ice_output **out, const ice_io *io, const char *location, bool exclusive)
{
	local_output *lo;
	char *path;
	int fd, rc;
	*out = NULL;
	if (!(path = local_path(io, location)))
		return ice_error__code();
	if ((rc = make_parents(path)) != 0) {
		ice__free(path);
		return rc;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0666);
	if (fd < 0) {
		rc = ice_error__os(location, "create");
		ice__free(path);
		return rc;
	}
	lo = ice__calloc(1, sizeof(*lo));
	if (!lo || !(lo->base.location = ice__strdup(location))) {
		ice__free(lo);
		close(fd);
		unlink(path);
		ice__free(path);
		return ICE_ERROR;
	}
	lo->base.ops = &local_output_ops;
	lo->fd = fd;
	lo->path = path;
	*out = &lo->base;
	return 0;
}

int ice_output__write(ice_output *out, const void *data, size_t len)
{
	return out->ops->write(out, data, len);
}

int ice_output__close(ice_output *out)
{
	return out->ops->close(out);
}

void ice_output__abort(ice_output *out)
{
	if (out)
		out->ops->abort(out);
}

int ice_io_delete(const ice_io *io, const char *location)
{
	return ice_io__delete(io, location);
}

int ice_io__delete(const ice_io *io, const char *location)
{
	char *path = local_path(io, location);
	int rc = 0;
	if (!path)
		return ice_error__code();
	if (unlink(path) != 0)
		rc = ice_error__os(location, "delete");
	ice__free(path);
	return rc;
}

int ice_io__list(const ice_io *io, const char *location, ice_arena *arena, ice_dir_entry **entries_out,
                 size_t *n_out)
{
	char *path = local_path(io, location);
	DIR *d;
	struct dirent *de;
	ice_dir_entry *entries = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	*entries_out = NULL;
	*n_out = 0;
	if (!path)
		return ice_error__code();
	d = opendir(path);
	if (!d) {
		rc = ice_error__os(location, "list");
		ice__free(path);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			ice_dir_entry *ne = ice_arena__allocarray(arena, ncap, sizeof(*ne));
			if (!ne) {
				rc = ICE_ERROR;
				break;
			}
			if (n)
				memcpy(ne, entries, n * sizeof(*ne));
			entries = ne;
			cap = ncap;
		}
		entries[n].name = ice_arena__strdup(arena, de->d_name);
		if (!entries[n].name) {
			rc = ICE_ERROR;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0) {
			entries[n].is_dir = S_ISDIR(st.st_mode);
			entries[n].size = (uint64_t)st.st_size;
			entries[n].mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		}
		n++;
	}
	closedir(d);
	ice__free(path);
	if (rc)
		return rc;
	*entries_out = entries;
	*n_out = n;
	return 0;
}

void ice_io__delete_files(const ice_io *io, const char *const *locations, size_t n)
{
	/* Deleting must not replace the error that made the attempt fail. */
	const ice_error *e = ice_error_last();
	int code = e ? e->code : 0, klass = e ? e->klass : 0;
	bool had = e != NULL, oom = e && ice_error__is_oom();
	char msg[1024];
	if (!n)
		return;
	snprintf(msg, sizeof(msg), "%s", e ? e->message : "");
	for (size_t i = 0; i < n; i++)
		ice_io_delete(io, locations[i]);
	if (oom) {
		/* Out of memory again, naming what it named ("<file>: out of memory"). */
		size_t len = strlen(msg), tail = strlen(": out of memory");
		ice_error__oom();
		if (len > tail && strcmp(msg + len - tail, ": out of memory") == 0)
			ice_error__oom_in("%.*s", (int)(len - tail), msg);
	} else if (had)
		ice_error__set(code, klass, "%s", msg);
	else
		ice_error_clear();
}
