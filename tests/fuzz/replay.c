/*
 * tests/fuzz/replay.c - runs a fuzz target over files without libFuzzer:
 *   replay-<target> [--ext .json] [--skip NAME] PATH...
 * Directories are walked recursively; with --ext only names ending so are
 * used, and names containing a --skip string are left out (an input the
 * conformance tests read and that needs more memory than the limit below). Exits non-zero when no input was found (an empty corpus is a bug).
 *
 * Memory: the library's allocations go through an allocator that aborts
 * on any single request above ICE_REPLAY_MAX_ALLOC_MB (default 256), as
 * libFuzzer's -malloc_limit_mb does, so a checked-in reproducer of an
 * allocation sized by what an input declares fails the replay, not only
 * the fuzzer.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ice/alloc.h"

static size_t max_alloc;
static const char *current;

static void too_much(size_t size)
{
	fprintf(stderr, "replay: %s: one allocation of %zu bytes (limit %zu MB, ICE_REPLAY_MAX_ALLOC_MB)\n",
	        current ? current : "?", size, max_alloc >> 20);
	abort();
}

static void *limited_malloc(size_t size, void *payload)
{
	(void)payload;
	if (size > max_alloc)
		too_much(size);
	return malloc(size);
}

static void *limited_realloc(void *ptr, size_t size, void *payload)
{
	(void)payload;
	if (size > max_alloc)
		too_much(size);
	return realloc(ptr, size);
}

static void limited_free(void *ptr, void *payload)
{
	(void)payload;
	free(ptr);
}

static const char *exts[16], *skips[16];
static int nexts, nskips;
static long ran;

static int wanted(const char *path)
{
	size_t n = strlen(path);
	for (int i = 0; i < nskips; i++)
		if (strstr(path, skips[i]))
			return 0;
	if (nexts == 0)
		return 1;
	for (int i = 0; i < nexts; i++) {
		size_t m = strlen(exts[i]);
		if (n >= m && strcmp(path + n - m, exts[i]) == 0)
			return 1;
	}
	return 0;
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long n;
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(n > 0 ? (size_t)n : 1);
	if (data && (n == 0 || fread(data, 1, (size_t)n, f) == (size_t)n)) {
		current = path;
		LLVMFuzzerTestOneInput(data, (size_t)n);
		ran++;
	}
	free(data);
	fclose(f);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_F && wanted(path))
		run_file(path);
	return 0;
}

int main(int argc, char **argv)
{
	static const ice_allocator limited = {limited_malloc, limited_realloc, limited_free, NULL};
	const char *mb = getenv("ICE_REPLAY_MAX_ALLOC_MB");
	max_alloc = (size_t)(mb && atol(mb) > 0 ? atol(mb) : 256) << 20;
	ice_allocator_set(&limited);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ext") == 0 && i + 1 < argc) {
			if (nexts < 16)
				exts[nexts++] = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
			if (nskips < 16)
				skips[nskips++] = argv[++i];
			continue;
		}
		nftw(argv[i], visit, 16, FTW_PHYS);
	}
	printf("replayed %ld input(s)\n", ran);
	return ran > 0 ? 0 : 1;
}
