/*
 * tests/shim/fault_shim.c - an LD_PRELOAD library for the write-path tests
 * (built by meson for tests only, never linked into ice). It makes the
 * file-system calls a commit rests on misbehave the way a failing disk or
 * network file system can, so the commit-state-unknown paths are tested
 * with the real binary:
 *
 *   ICE_FAULT_LINK=after|before|eperm
 *       link(2) to a name ending in ".metadata.json": "after" links and
 *       then reports EIO, "before" reports EIO without linking, "eperm"
 *       reports EPERM without linking (as a file system without hard links
 *       does, which sends the publisher to renameat2).
 *   ICE_FAULT_RENAME2=after|before
 *       renameat2(2) to such a name: the same, for the fallback path.
 *   ICE_FAULT_UNREADABLE=1
 *       after a faulted link/renameat2, opening the name it targeted fails
 *       with EIO (the publisher cannot look at what landed).
 *   ICE_FAULT_DIRSYNC=1
 *       fsync(2) of a directory named ".../metadata" fails with EIO.
 *   ICE_FAULT_FSYNC=TEXT
 *       fsync(2) of a regular file whose path holds TEXT fails with EIO
 *       (a data file that cannot be made durable).
 *   ICE_FAULT_SLOW_US=N
 *       sleep N microseconds before every call that changes the file
 *       system (open with O_CREAT, write, fsync, link, rename, renameat2,
 *       unlink, unlinkat): an append's time is then spread over its I/O steps, so a
 *       SIGKILL at a uniformly random moment lands between any two of
 *       them, the commit's included, with a useful probability.
 *   ICE_FAULT_UUID=1
 *       every random UUID (libuuid's uuid_generate_random) is the same one,
 *       so two writers collide on every file name they make up.
 */
/* open and open64 are both defined below: no redirection of one to the other. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char faulted_name[4096]; /* what a faulted link/renameat2 targeted */

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void slow(void)
{
	const char *v = env("ICE_FAULT_SLOW_US");
	if (v) {
		long us = strtol(v, NULL, 10);
		struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

static int is_metadata_file(const char *path)
{
	size_t n = strlen(path), m = strlen(".metadata.json");
	return n >= m && strcmp(path + n - m, ".metadata.json") == 0;
}

/* The next definition of `name` (libc's), as a function pointer: copied
 * through memcpy, since ISO C has no cast from void * to a function. */
#define NEXT(fn, name)                                                              \
	do {                                                                        \
		if (!(fn)) {                                                        \
			void *sym_ = dlsym(RTLD_NEXT, name);                        \
			if (!sym_) {                                                \
				fprintf(stderr, "fault_shim: no %s\n", name);      \
				abort();                                            \
			}                                                           \
			memcpy(&(fn), &sym_, sizeof(fn));                           \
		}                                                                   \
	} while (0)

/* ---- link and renameat2 ------------------------------------------------ */

int link(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *mode = env("ICE_FAULT_LINK");
	NEXT(real, "link");
	slow();
	if (!mode || !is_metadata_file(to))
		return real(from, to);
	snprintf(faulted_name, sizeof(faulted_name), "%s", to);
	if (strcmp(mode, "eperm") == 0) {
		errno = EPERM;
		return -1;
	}
	if (strcmp(mode, "after") == 0 && real(from, to) != 0)
		return -1;
	errno = EIO;
	return -1;
}

int renameat2(int olddirfd, const char *from, int newdirfd, const char *to, unsigned int flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned int);
	const char *mode = env("ICE_FAULT_RENAME2");
	NEXT(real, "renameat2");
	slow();
	if (!mode || !is_metadata_file(to))
		return real(olddirfd, from, newdirfd, to, flags);
	snprintf(faulted_name, sizeof(faulted_name), "%s", to);
	if (strcmp(mode, "after") == 0 && real(olddirfd, from, newdirfd, to, flags) != 0)
		return -1;
	errno = EIO;
	return -1;
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	NEXT(real, "rename");
	slow();
	return real(from, to);
}

int unlink(const char *path)
{
	static int (*real)(const char *);
	NEXT(real, "unlink");
	slow();
	return real(path);
}

/* The containment guard deletes with unlinkat (maintenance, drop --purge). */
int unlinkat(int dirfd, const char *path, int flags)
{
	static int (*real)(int, const char *, int);
	NEXT(real, "unlinkat");
	slow();
	return real(dirfd, path, flags);
}

/* ---- uuid --------------------------------------------------------------- */

void uuid_generate_random(unsigned char out[16]);
void uuid_generate_random(unsigned char out[16])
{
	static void (*real)(unsigned char *);
	if (env("ICE_FAULT_UUID")) {
		for (int i = 0; i < 16; i++)
			out[i] = (unsigned char)(0x10 + i);
		out[6] = (unsigned char)((out[6] & 0x0f) | 0x40);
		out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
		return;
	}
	NEXT(real, "uuid_generate_random");
	real(out);
}

/* ---- open, write, fsync ------------------------------------------------- */

static int open_common(const char *name, const char *path, int flags, mode_t mode)
{
	int (*real)(const char *, int, ...) = NULL;
	NEXT(real, name);
	if (faulted_name[0] && env("ICE_FAULT_UNREADABLE") && strcmp(path, faulted_name) == 0) {
		errno = EIO;
		return -1;
	}
	if (flags & O_CREAT) {
		slow();
		return real(path, flags, mode);
	}
	return real(path, flags);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return open_common("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return open_common("open64", path, flags, mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	NEXT(real, "write");
	if (fd > 2)
		slow();
	return real(fd, buf, n);
}

int fsync(int fd)
{
	static int (*real)(int);
	struct stat st;
	NEXT(real, "fsync");
	slow();
	const char *text = env("ICE_FAULT_FSYNC");
	if (text && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		char link_path[64], file[4096];
		snprintf(link_path, sizeof(link_path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link_path, file, sizeof(file) - 1);
		if (n > 0) {
			file[n] = '\0';
			if (strstr(file, text)) {
				errno = EIO;
				return -1;
			}
		}
	}
	if (env("ICE_FAULT_DIRSYNC") && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		char link_path[64], dir[4096];
		snprintf(link_path, sizeof(link_path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link_path, dir, sizeof(dir) - 1);
		if (n > 0) {
			dir[n] = '\0';
			size_t m = strlen("/metadata");
			if ((size_t)n >= m && strcmp(dir + n - m, "/metadata") == 0) {
				errno = EIO;
				return -1;
			}
		}
	}
	return real(fd);
}
