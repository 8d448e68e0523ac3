/*
 * io/io.h - the internal face of FileIO: random-access input files and
 * sequential output files behind a vtable, so the local file system and S3
 * look the same to the codecs and the catalog. io.c dispatches every
 * function below by the location's scheme (after path mapping): plain paths
 * and file: URIs to the local file system, s3:// (s3a://, s3n://) to
 * s3_io.c.
 */
#ifndef ICE_IO_IO_H
#define ICE_IO_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ice/io.h"
#include "util/buf.h"

typedef struct ice_input ice_input;
typedef struct ice_output ice_output;

/* A byte range of a file. */
typedef struct ice_io_range {
	uint64_t offset;
	uint64_t len;
} ice_io_range;

typedef struct ice_input_ops {
	int (*read_at)(ice_input *in, uint64_t offset, void *dst, size_t len);
	void (*close)(ice_input *in);
	/* Start fetching ranges that will be read soon (NULL: nothing to gain). */
	int (*prefetch)(ice_input *in, const ice_io_range *ranges, size_t n);
} ice_input_ops;

struct ice_input {
	const ice_input_ops *ops;
	char *location; /* as given (before path mapping), for messages */
	uint64_t size;
	bool remote; /* each read is a request: read fewer, larger pieces */
};

/* How an input will be read (object stores plan their requests by it). */
enum {
	ICE_IO_RANDOM = 0, /* ranges here and there */
	ICE_IO_WHOLE = 1,  /* all of it, front to back: fetched in one request */
	ICE_IO_TAIL = 2,   /* the end first (a Parquet footer): the last 64 KiB in one request */
};
#define ICE_IO_SIZE_UNKNOWN UINT64_MAX

typedef struct ice_output_ops {
	int (*write)(ice_output *out, const void *data, size_t len);
	/* Makes the file durable and visible; after a failure nothing is left. */
	int (*close)(ice_output *out);
	/* Abandons the file and removes what was written. */
	void (*abort)(ice_output *out);
} ice_output_ops;

struct ice_output {
	const ice_output_ops *ops;
	char *location;
	uint64_t written;
};

/* The FileIO's properties (borrowed): what a backend (S3) builds its
 * client from, e.g. ice_s3_config__resolve(&cfg, &props). */
ice_properties ice_io__properties(const ice_io *io);

/* Open a file for random reads. ICE_ENOTFOUND when it does not exist. */
int ice_io__open_input(ice_input **out, const ice_io *io, const char *location);
/*
 * The same with what the caller knows: the file's size (from a manifest;
 * ICE_IO_SIZE_UNKNOWN when not known: an object store then asks) and how it
 * will be read (ICE_IO_*).
 */
int ice_io__open_input_ex(ice_input **out, const ice_io *io, const char *location, uint64_t size, int hint);
/* Ranges the caller will read soon; a no-op where reads are cheap. */
int ice_input__prefetch(ice_input *in, const ice_io_range *ranges, size_t n);
/* Exactly `len` bytes at `offset`; ICE_EINVALID "<location>: unexpected end
 * of file at offset N" when the file is shorter. */
int ice_input__read_at(ice_input *in, uint64_t offset, void *dst, size_t len);
void ice_input__close(ice_input *in);

/*
 * Create a new file. With `exclusive`, fail with ICE_EEXISTS if it exists.
 * Parent directories are created as needed (local files).
 */
int ice_io__create_output(ice_output **out, const ice_io *io, const char *location, bool exclusive);
int ice_output__write(ice_output *out, const void *data, size_t len);
int ice_output__close(ice_output *out); /* frees `out` whatever the result */
void ice_output__abort(ice_output *out); /* frees `out` */

/*
 * Create a file that is published under `location` only when closed, and
 * only if nothing exists there (io/publish.c): ICE_EEXISTS from create or
 * close when the name is taken. The file is written to a temporary in the
 * same directory, made durable, then linked to its name.
 */
int ice_io__create_output_noreplace(ice_output **out, const ice_io *io, const char *location);

/* The local path of a location after path mapping (allocated). */
int ice_io__local_path(char **out, const ice_io *io, const char *location);
/* mkdir -p. */
int ice_io__make_dirs(const char *dir);
/* mkdir -p of a directory location (object stores have no directories:
 * nothing to do). */
int ice_io__make_dirs_at(const ice_io *io, const char *location);
/*
 * Write a whole small file, replacing what is there, atomically: readers
 * see the old bytes or the new ones (a temporary renamed over it locally;
 * one PUT on an object store). For hints and properties, not commits.
 */
int ice_io__write_replace(const ice_io *io, const char *location, const void *data, size_t len);
/* Whether `location` is on an object store (no directories, no links). */
bool ice_io__is_object_store(const ice_io *io, const char *location);
/* Remove an empty directory: ICE_ENOTFOUND if missing, ICE_EEXISTS if not
 * empty (io/walk.c). */
int ice_io__remove_dir(const ice_io *io, const char *location);

/* Whether a location exists, and whether it is a directory. */
int ice_io__stat(const ice_io *io, const char *location, bool *exists_out, bool *is_dir_out);

/* The size of a file; a local symbolic link is not followed (its own size). */
int ice_io__file_size(const ice_io *io, const char *location, uint64_t *size_out);

/* Delete a file; ICE_ENOTFOUND if it does not exist. */
int ice_io__delete(const ice_io *io, const char *location);
/* Delete files after a failure without losing the error being reported
 * (a file already gone is fine). */
void ice_io__delete_files(const ice_io *io, const char *const *locations, size_t n);
/* Delete files: local ones one by one (already gone is fine), objects in
 * DeleteObjects batches per bucket. `refused` (may be NULL) hears of each
 * object the store refused to delete, by its index in `locations`, with
 * S3's error code; a refusal does not fail the call, a failed request
 * does. The first error is returned. */
typedef int (*ice_io_refused_fn)(size_t index, const char *code, void *payload);
int ice_io__delete_batch(const ice_io *io, const char *const *locations, size_t n, ice_io_refused_fn refused,
                         void *payload);

/*
 * The containment guard (io/contain.c), what everything that deletes files
 * on a table's behalf uses. ICE_OK when `location`, normalised (no "..",
 * "." or "//" games; the same scheme, s3/s3a/s3n being one), lies inside
 * the directory `root` and, on a local file system, no symbolic link on
 * its path leads out of root's real path (a link as the last segment is
 * the file itself, never followed). Otherwise ICE_EINVALID "<location>:
 * outside the table location <root>". Path maps apply to both. For other
 * schemes the check is lexical.
 */
int ice_io__check_within(const ice_io *io, const char *root, const char *location);
/*
 * Delete `location` only if the check above holds at the moment of
 * deletion: local files are reached from the root's real path with
 * openat(O_NOFOLLOW | O_DIRECTORY) per segment and the last removed with
 * unlinkat, so a link swapped in meanwhile cannot redirect it.
 * ICE_ENOTFOUND if it is already gone; ICE_EINVALID (nothing deleted) when
 * it lies outside.
 */
int ice_io__delete_within(const ice_io *io, const char *root, const char *location);

/* Names of the entries of a directory location (not recursive), allocated
 * in `arena`. */
typedef struct ice_dir_entry {
	const char *name;
	bool is_dir;
	uint64_t size;
	int64_t mtime_ms;
} ice_dir_entry;
struct ice_arena;
int ice_io__list(const ice_io *io, const char *location, struct ice_arena *arena, ice_dir_entry **entries_out,
                 size_t *n_out);

/* ---- S3 (s3_io.c): what io.c dispatches to. `object` is the location
 * after path mapping (where requests go), `location` as the caller named it
 * (for messages). ---- */
struct ice_s3;
struct ice_arena;
int ice_s3_io__open_input(ice_input **out, struct ice_s3 *s3, const char *object, const char *location,
                          uint64_t size, int hint);
int ice_s3_io__create_output(ice_output **out, struct ice_s3 *s3, const char *object, const char *location,
                             bool noreplace);
int ice_s3_io__stat(struct ice_s3 *s3, const char *object, bool *exists_out, bool *is_dir_out);
int ice_s3_io__list(struct ice_s3 *s3, const char *object, const char *location, struct ice_arena *arena,
                    ice_dir_entry **entries_out, size_t *n_out);
int ice_s3_io__list_recursive(struct ice_s3 *s3, const char *object, const char *location, ice_io_list_fn fn,
                              void *payload);
/* The S3 client of `io` for `location` (created on first use from the io's
 * properties, the environment and the AWS profile); *s3_out NULL when the
 * location is not on S3. *mapped_out: the location after path mapping. */
int ice_io__target(const ice_io *io, const char *location, char **mapped_out, struct ice_s3 **s3_out);

#endif
