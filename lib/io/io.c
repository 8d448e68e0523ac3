/*
 * io/io.c - FileIO: path maps, properties, dispatch by scheme, and local
 * files (plain paths and file: URIs). s3://, s3a:// and s3n:// go to the
 * S3 client of the io (s3_io.c), made on first use from the io's
 * properties; other schemes report ICE_EUNSUPPORTED.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "s3.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/uri.h"
#include "util/uuid.h"

typedef struct path_map {
	char *from;
	char *to;
} path_map;

struct ice_io {
	path_map *maps;
	size_t nmaps;
	ice_property *props; /* owned strings; values may be secrets (vended credentials), wiped when freed */
	size_t nprops;
	ice_io_log_fn log;
	void *log_payload;
	pthread_mutex_t mu;  /* guards the client's creation */
	ice_s3 *s3;          /* made on first use */
	ice_io_stats before; /* of clients replaced by a property change */
};

int ice_io_new(ice_io **out)
{
	*out = ice__calloc(1, sizeof(ice_io));
	if (!*out)
		return ICE_ERROR;
	pthread_mutex_init(&(*out)->mu, NULL);
	return 0;
}

static void add_stats(ice_io_stats *to, ice_s3 *s3)
{
	ice_http_stats st;
	if (!s3)
		return;
	ice_http_client__stats(ice_s3__http(s3), &st);
	to->requests += st.requests;
	to->retries += st.retries;
	to->bytes_sent += st.bytes_sent;
	to->bytes_received += st.bytes_received;
	to->connections += st.connections;
}

static void drop_clients(ice_io *io)
{
	add_stats(&io->before, io->s3);
	ice_s3__free(io->s3);
	io->s3 = NULL;
}

/* Frees a property's strings, wiping values (they may be secrets). */
static void free_property(ice_property *p)
{
	char *v = (char *)p->value;
	if (v) {
		memset(v, 0, strlen(v));
		ice__free(v);
	}
	ice__free((char *)p->key);
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
	for (size_t i = 0; i < io->nprops; i++)
		free_property(&io->props[i]);
	ice__free(io->props);
	ice_s3__free(io->s3);
	pthread_mutex_destroy(&io->mu);
	ice__free(io);
}

static bool is_io_property(const char *key)
{
	return strncmp(key, "s3.", 3) == 0 || strcmp(key, "client.region") == 0;
}

int ice_io_set_property(ice_io *io, const char *key, const char *value)
{
	size_t i;
	if (!key || !is_io_property(key))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "'%s': not a FileIO property (s3.*)", key ? key : "");
	for (i = 0; i < io->nprops; i++)
		if (strcmp(io->props[i].key, key) == 0)
			break;
	if (!value) {
		if (i < io->nprops) {
			free_property(&io->props[i]);
			memmove(&io->props[i], &io->props[i + 1], (io->nprops - i - 1) * sizeof(ice_property));
			io->nprops--;
		}
	} else {
		char *v = ice__strdup(value), *k = NULL;
		if (!v)
			return ICE_ERROR;
		if (i == io->nprops) {
			ice_property *np = ice__reallocarray(io->props, io->nprops + 1, sizeof(ice_property));
			if (!np || !(k = ice__strdup(key))) {
				if (np)
					io->props = np;
				ice__free(v);
				return ICE_ERROR;
			}
			io->props = np;
			io->props[io->nprops].key = k;
			io->props[io->nprops].value = NULL;
			io->nprops++;
		}
		free_property(&(ice_property){NULL, io->props[i].value});
		io->props[i].value = v;
	}
	/* Later requests use a client made with the new settings. */
	pthread_mutex_lock(&io->mu);
	drop_clients(io);
	pthread_mutex_unlock(&io->mu);
	return 0;
}

const char *ice_io_property(const ice_io *io, const char *key)
{
	for (size_t i = 0; io && i < io->nprops; i++)
		if (strcmp(io->props[i].key, key) == 0)
			return io->props[i].value;
	return NULL;
}

int ice_io_clone(ice_io **out, const ice_io *src)
{
	ice_io *io;
	int rc;
	if ((rc = ice_io_new(&io)) != 0)
		return rc;
	for (size_t i = 0; !rc && i < src->nmaps; i++)
		rc = ice_io_add_path_map(io, src->maps[i].from, src->maps[i].to);
	for (size_t i = 0; !rc && i < src->nprops; i++)
		rc = ice_io_set_property(io, src->props[i].key, src->props[i].value);
	io->log = src->log;
	io->log_payload = src->log_payload;
	if (rc) {
		ice_io_free(io);
		return rc;
	}
	*out = io;
	return 0;
}

ice_properties ice_io__properties(const ice_io *io)
{
	ice_properties p = {io ? io->nprops : 0, io ? io->props : NULL};
	return p;
}

int ice_io_new_derived(ice_io **out, const ice_io *base, const ice_properties *props)
{
	ice_io *io;
	int rc = base ? ice_io_clone(&io, base) : ice_io_new(&io);
	*out = NULL;
	if (rc)
		return rc;
	for (size_t i = 0; props && i < props->n && !rc; i++)
		if (is_io_property(props->items[i].key))
			rc = ice_io_set_property(io, props->items[i].key, props->items[i].value);
	if (rc) {
		ice_io_free(io);
		return rc;
	}
	*out = io;
	return 0;
}

void ice_io_set_log(ice_io *io, ice_io_log_fn fn, void *payload)
{
	pthread_mutex_lock(&io->mu);
	io->log = fn;
	io->log_payload = payload;
	drop_clients(io);
	pthread_mutex_unlock(&io->mu);
}

void ice_io_stats_get(const ice_io *io, ice_io_stats *out)
{
	ice_io *m = (ice_io *)io;
	pthread_mutex_lock(&m->mu);
	*out = m->before;
	add_stats(out, m->s3);
	pthread_mutex_unlock(&m->mu);
}

/* The io's S3 client, made on first use. */
static int s3_client(const ice_io *cio, const char *location, ice_s3 **out)
{
	ice_io *io = (ice_io *)cio; /* the client is a cache: made once, under the lock */
	int rc = 0;
	pthread_mutex_lock(&io->mu);
	if (!io->s3) {
		ice_s3_config cfg;
		ice_properties props = {io->nprops, io->props};
		if ((rc = ice_s3_config__resolve(&cfg, &props)) == 0) {
			cfg.http.log = io->log;
			cfg.http.log_payload = io->log_payload;
			rc = ice_s3__new(&io->s3, &cfg);
		}
		if (rc) {
			char red[512];
			ice_error__prefix("%s", ice_uri__redact(red, sizeof(red), location));
		}
	}
	*out = io->s3;
	pthread_mutex_unlock(&io->mu);
	return rc;
}

int ice_io__target(const ice_io *io, const char *location, char **mapped_out, ice_s3 **s3_out)
{
	char *mapped = ice_io_resolve(io, location);
	int rc = 0;
	*mapped_out = NULL;
	*s3_out = NULL;
	if (!mapped)
		return ICE_ERROR;
	if (ice_s3__is_location(mapped) && (rc = s3_client(io, location, s3_out)) != 0) {
		ice__free(mapped);
		return rc;
	}
	*mapped_out = mapped;
	return 0;
}

bool ice_io__is_object_store(const ice_io *io, const char *location)
{
	char *mapped = ice_io_resolve(io, location);
	bool s3 = mapped && ice_s3__is_location(mapped);
	ice__free(mapped);
	return s3;
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

static const ice_input_ops local_input_ops = {local_read_at, local_close, NULL};

static int local_open_input(ice_input **out, const ice_io *io, const char *location)
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

int ice_io__open_input_ex(ice_input **out, const ice_io *io, const char *location, uint64_t size, int hint)
{
	char *mapped;
	ice_s3 *s3;
	int rc;
	*out = NULL;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3)
		rc = ice_s3_io__open_input(out, s3, mapped, location, size, hint);
	else
		rc = local_open_input(out, io, location);
	ice__free(mapped);
	return rc;
}

int ice_io__open_input(ice_input **out, const ice_io *io, const char *location)
{
	return ice_io__open_input_ex(out, io, location, ICE_IO_SIZE_UNKNOWN, ICE_IO_RANDOM);
}

int ice_input__prefetch(ice_input *in, const ice_io_range *ranges, size_t n)
{
	return in->ops->prefetch ? in->ops->prefetch(in, ranges, n) : 0;
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

int ice_io_presign(char **url_out, const ice_io *io, const char *location, int64_t expires_s)
{
	char *mapped;
	ice_s3 *s3;
	int rc;
	*url_out = NULL;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (!s3) {
		char red[512];
		ice__free(mapped);
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO,
		                      "%s: presigned URLs are for object store locations (s3://bucket/key)",
		                      ice_uri__redact(red, sizeof(red), location));
	}
	rc = ice_s3__presign_get(s3, mapped, expires_s, (int64_t)time(NULL), url_out);
	ice__free(mapped);
	return rc;
}

int ice_io_read_all(const ice_io *io, const char *location, size_t max_len, uint8_t **data_out, size_t *len_out)
{
	ice_input *in;
	uint8_t *data;
	int rc;
	char *mapped;
	ice_s3 *s3;
	*data_out = NULL;
	*len_out = 0;
	if (!max_len)
		max_len = (size_t)1 << 30;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		/* One GET for the whole object. */
		rc = ice_s3__get_all(s3, mapped, max_len, data_out, len_out);
		ice__free(mapped);
		if (rc == ICE_EINVALID && ice_error_last() && strstr(ice_error_last()->message, "larger than the limit"))
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: file exceeds the limit of %zu bytes", location,
			                    max_len);
		return rc;
	}
	ice__free(mapped);
	if ((rc = local_open_input(&in, io, location)) != 0)
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
	char *mapped;
	ice_s3 *s3;
	int rc;
	*exists_out = false;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		rc = ice_s3_io__stat(s3, mapped, exists_out, is_dir_out);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
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
	char *mapped;
	ice_s3 *s3;
	int rc;
	*size_out = 0;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		ice_s3_object o;
		if ((rc = ice_s3__head(s3, mapped, &o)) == 0)
			*size_out = o.size;
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
	char *path = local_path(io, location);
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

/* All of `data` to `fd`. */
static int write_fd(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int local_write(ice_output *out, const void *data, size_t len)
{
	local_output *lo = (local_output *)out;
	int err = write_fd(lo->fd, data, len);
	if (err) {
		errno = err;
		return ice_error__os(out->location, "write");
	}
	out->written += (uint64_t)len;
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
	char *path, *mapped;
	ice_s3 *s3;
	int fd, rc;
	*out = NULL;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		/* Data and manifest names are unique; S3 writes need no exclusion. */
		rc = ice_s3_io__create_output(out, s3, mapped, location, false);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
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
	char *mapped, *path;
	ice_s3 *s3;
	int rc;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		rc = ice_s3__delete(s3, mapped);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
	if (!(path = local_path(io, location)))
		return ice_error__code();
	if (unlink(path) != 0)
		rc = ice_error__os(location, "delete");
	ice__free(path);
	return rc;
}

int ice_io__list(const ice_io *io, const char *location, ice_arena *arena, ice_dir_entry **entries_out,
                 size_t *n_out)
{
	char *path, *mapped;
	ice_s3 *s3;
	DIR *d;
	struct dirent *de;
	ice_dir_entry *entries = NULL;
	size_t n = 0, cap = 0;
	int rc;
	*entries_out = NULL;
	*n_out = 0;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		rc = ice_s3_io__list(s3, mapped, location, arena, entries_out, n_out);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
	if (!(path = local_path(io, location)))
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
	ice_error_saved saved;
	if (!n)
		return;
	ice_error__save(&saved);
	ice_io__delete_batch(io, locations, n, NULL, NULL);
	ice_error__restore(&saved);
}

/* Refusals of one bucket's DeleteObjects, told by the caller's index. */
typedef struct refusals {
	const char **same;
	const size_t *index;
	size_t n;
	ice_io_refused_fn refused;
	void *payload;
} refusals;

static int refused_one(const char *location, const char *code, void *payload)
{
	refusals *r = payload;
	for (size_t i = 0; i < r->n; i++)
		if (r->same[i] == location)
			return r->refused(r->index[i], code, r->payload);
	return 0;
}

int ice_io__delete_batch(const ice_io *io, const char *const *locations, size_t n, ice_io_refused_fn refused,
                         void *payload)
{
	/* Local files one by one; objects by bucket in DeleteObjects batches. */
	const char **objects = NULL, **same = NULL;
	size_t nobj = 0, *index = NULL, *same_index = NULL;
	ice_s3 *s3 = NULL;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char *mapped;
		ice_s3 *c;
		int trc = ice_io__target(io, locations[i], &mapped, &c);
		if (trc) {
			rc = rc ? rc : trc;
			continue;
		}
		if (!c) {
			ice__free(mapped);
			int drc = ice_io__delete(io, locations[i]);
			if (drc && drc != ICE_ENOTFOUND && !rc)
				rc = drc;
			continue;
		}
		s3 = c;
		const char **no = ice__reallocarray(objects, nobj + 1, sizeof(char *));
		size_t *ni = no ? ice__reallocarray(index, nobj + 1, sizeof(size_t)) : NULL;
		if (no)
			objects = no;
		if (!ni) {
			ice__free(mapped);
			rc = ICE_ERROR;
			break;
		}
		index = ni;
		index[nobj] = i;
		objects[nobj++] = mapped;
	}
	/* One bucket at a time (DeleteObjects is per bucket). */
	if (nobj && (!(same = ice__mallocarray(nobj, sizeof(char *))) ||
	             !(same_index = ice__mallocarray(nobj, sizeof(size_t)))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < nobj && !rc; i++) {
		ice_s3_path first;
		size_t k = 0;
		if (!objects[i])
			continue;
		if ((rc = ice_s3__parse(&first, objects[i])) != 0)
			break;
		for (size_t j = i; j < nobj; j++) {
			ice_s3_path p;
			if (!objects[j] || ice_s3__parse(&p, objects[j]) != 0)
				continue;
			if (strcmp(p.bucket, first.bucket) == 0) {
				same_index[k] = index[j];
				same[k++] = objects[j];
				objects[j] = NULL; /* now in `same` */
			}
			ice_s3_path__free(&p);
		}
		ice_s3_path__free(&first);
		refusals r = {same, same_index, k, refused, payload};
		rc = ice_s3__delete_many(s3, same, k, refused ? refused_one : NULL, &r);
		for (size_t j = 0; j < k; j++)
			ice__free((char *)same[j]);
	}
	ice__free(same);
	ice__free(same_index);
	for (size_t i = 0; i < nobj; i++)
		ice__free((char *)objects[i]);
	ice__free(objects);
	ice__free(index);
	return rc;
}

int ice_io__make_dirs_at(const ice_io *io, const char *location)
{
	char *mapped, *path;
	ice_s3 *s3;
	int rc;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	ice__free(mapped);
	if (s3)
		return 0; /* prefixes exist when something is below them */
	if ((rc = ice_io__local_path(&path, io, location)) != 0)
		return rc;
	rc = ice_io__make_dirs(path);
	ice__free(path);
	return rc;
}

int ice_io__write_replace(const ice_io *io, const char *location, const void *data, size_t len)
{
	char *mapped, *dir = NULL, *tmp_path = NULL, *path = NULL;
	char tmp_name[64], uuid[ICE_UUID_STRLEN + 1];
	uint8_t u[16];
	ice_s3 *s3;
	int rc, fd, err;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		ice_s3_body body = {data, NULL, NULL, len, NULL};
		rc = ice_s3__put(s3, mapped, &body, false);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
	/* A temporary beside it (its name need not survive a crash: no
	 * directory sync), made durable, renamed over it. */
	if ((rc = ice_io__local_path(&path, io, location)) != 0)
		return rc;
	ice_uuid__random(u);
	ice_uuid__format(u, uuid);
	snprintf(tmp_name, sizeof(tmp_name), ".%s.tmp", uuid);
	if (!(dir = ice_uri__dirname(path)) || !(tmp_path = ice_uri__join(dir[0] ? dir : ".", tmp_name))) {
		rc = ICE_ERROR;
		goto done;
	}
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = ice_io__make_dirs(dir[0] ? dir : ".")) != 0)
			goto done;
		fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	}
	if (fd < 0) {
		rc = ice_error__os(location, "create");
		goto done;
	}
	if ((err = write_fd(fd, data, len)) == 0 && fsync(fd) != 0 && errno != EINVAL)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp_path, path) != 0)
		err = errno;
	if (err) {
		unlink(tmp_path);
		errno = err;
		rc = ice_error__os(location, "write");
	}
done:
	ice__free(tmp_path);
	ice__free(dir);
	ice__free(path);
	return rc;
}
