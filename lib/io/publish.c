/*
 * io/publish.c - publishing a file without ever replacing one: the bytes go
 * to a uniquely named temporary file in the target directory, which is
 * made durable (fsync) and then linked to the final name with link(2);
 * link fails with EEXIST when the name is taken, which is how a commit
 * learns that it lost a race (DESIGN.md "The commit protocol": a plain
 * rename(2) would silently replace the winner's file). Where the file
 * system has no hard links, renameat2(RENAME_NOREPLACE) gives the same
 * guarantee. The temporary is removed in every case, and the directory is
 * synced so the new name survives a crash; when that sync fails the file is
 * in place but not known to be durable, which is reported as
 * ICE_ECOMMITUNKNOWN (a commit that published it cannot claim success, nor
 * may it delete what the published file references). On S3 the same
 * promise is kept by a conditional PUT (If-None-Match: *, see s3_io.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"
#include "util/uuid.h"

typedef struct publish_output {
	ice_output base;
	int fd;
	char *tmp_path;   /* the temporary, in the target's directory */
	char *final_path; /* the name to publish */
} publish_output;

static int publish_write(ice_output *out, const void *data, size_t len)
{
	publish_output *po = (publish_output *)out;
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(po->fd, p, len);
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

static void publish_free(publish_output *po)
{
	ice__free(po->tmp_path);
	ice__free(po->final_path);
	ice__free(po->base.location);
	ice__free(po);
}

/*
 * fsync the directory holding `path`, so a new name in it is durable.
 * Failing to open it is ignored (some file systems refuse directories), but
 * an fsync that reports an error means the name may not survive a crash.
 */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, rc = 0;
	if (!slash) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		size_t n = (size_t)(slash - path);
		if (n == 0)
			n = 1;
		if (n >= sizeof(dir))
			return 0;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
			rc = errno;
		close(fd);
	}
	return rc;
}

/* Give the temporary its final name unless that name exists. */
static int link_noreplace(publish_output *po)
{
	if (link(po->tmp_path, po->final_path) == 0)
		return 0;
	if (errno == EEXIST)
		return ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", po->base.location);
	if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS || errno == EMLINK || errno == EXDEV) {
		/* No hard links here: an atomic rename that refuses to replace. */
		if (renameat2(AT_FDCWD, po->tmp_path, AT_FDCWD, po->final_path, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST)
			return ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", po->base.location);
		if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
			return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO,
			                      "%s: the file system supports neither link(2) nor renameat2(RENAME_NOREPLACE): %s",
			                      po->base.location, strerror(errno));
		/* Any other error (EIO, ...) may have come after the rename: the
		 * caller must look at the name to know. */
		return ice_error__os(po->base.location, "renameat2");
	}
	return ice_error__os(po->base.location, "link");
}

static int publish_close(ice_output *out)
{
	publish_output *po = (publish_output *)out;
	int rc = 0, err;
	if (fsync(po->fd) != 0 && errno != EINVAL)
		rc = ice_error__os(out->location, "fsync");
	if (close(po->fd) != 0 && !rc)
		rc = ice_error__os(out->location, "close");
	if (!rc)
		rc = link_noreplace(po);
	/* After a rename the temporary is gone already; ENOENT is fine. */
	unlink(po->tmp_path);
	if (!rc && (err = sync_parent(po->final_path)) != 0)
		rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_IO,
		                    "%s: published, but syncing its directory failed (%s): it may not survive a crash",
		                    out->location, strerror(err));
	publish_free(po);
	return rc;
}

static void publish_abort(ice_output *out)
{
	publish_output *po = (publish_output *)out;
	close(po->fd);
	unlink(po->tmp_path);
	publish_free(po);
}

static const ice_output_ops publish_ops = {publish_write, publish_close, publish_abort};

int ice_io__create_output_noreplace(ice_output **out, const ice_io *io, const char *location)
{
	publish_output *po;
	char *path, *dir, tmp_name[ICE_UUID_STRLEN + 16];
	uint8_t u[16];
	char uuid[ICE_UUID_STRLEN + 1];
	bool exists = false, is_dir = false;
	char *mapped;
	struct ice_s3 *s3;
	int rc, fd;
	*out = NULL;
	if ((rc = ice_io__target(io, location, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		/* A conditional PUT on close (If-None-Match: *). */
		rc = ice_s3_io__create_output(out, s3, mapped, location, true);
		ice__free(mapped);
		return rc;
	}
	ice__free(mapped);
	if ((rc = ice_io__local_path(&path, io, location)) != 0)
		return rc;
	if ((rc = ice_io__stat(io, location, &exists, &is_dir)) != 0) {
		ice__free(path);
		return rc;
	}
	if (exists) {
		ice__free(path);
		return ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", location);
	}
	if (!(dir = ice_uri__dirname(path))) {
		ice__free(path);
		return ICE_ERROR;
	}
	ice_uuid__random(u);
	ice_uuid__format(u, uuid);
	snprintf(tmp_name, sizeof(tmp_name), ".%s.tmp", uuid);
	po = ice__calloc(1, sizeof(*po));
	if (!po || !(po->tmp_path = ice_uri__join(dir[0] ? dir : ".", tmp_name)) ||
	    !(po->base.location = ice__strdup(location))) {
		if (po)
			publish_free(po);
		ice__free(dir);
		ice__free(path);
		return ICE_ERROR;
	}
	po->final_path = path;
	fd = open(po->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	/* The directory is made when it is missing (not on every write). */
	if (fd < 0 && errno == ENOENT) {
		if ((rc = ice_io__make_dirs(dir[0] ? dir : ".")) != 0) {
			ice__free(dir);
			publish_free(po);
			return rc;
		}
		fd = open(po->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	}
	ice__free(dir);
	if (fd < 0) {
		rc = ice_error__os(location, "create temporary file");
		publish_free(po);
		return rc;
	}
	po->fd = fd;
	po->base.ops = &publish_ops;
	*out = &po->base;
	return 0;
}

int ice_io_write_new(const ice_io *io, const char *location, const void *data, size_t len)
{
	ice_output *out;
	int rc = ice_io__create_output_noreplace(&out, io, location);
	if (rc)
		return rc;
	if ((rc = ice_output__write(out, data, len)) != 0) {
		ice_output__abort(out);
		return rc;
	}
	return ice_output__close(out);
}
