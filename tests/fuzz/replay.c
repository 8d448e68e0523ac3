/*
 * tests/fuzz/replay.c - runs a fuzz target over files without libFuzzer:
 *   replay-<target> [--ext .json] PATH...
 * Directories are walked recursively; with --ext only names ending so are
 * used. Exits non-zero when no input was found (an empty corpus is a bug).
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const char *exts[16];
static int nexts;
static long ran;

static int wanted(const char *path)
{
	size_t n = strlen(path);
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
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ext") == 0 && i + 1 < argc) {
			if (nexts < 16)
				exts[nexts++] = argv[++i];
			continue;
		}
		nftw(argv[i], visit, 16, FTW_PHYS);
	}
	printf("replayed %ld input(s)\n", ran);
	return ran > 0 ? 0 : 1;
}
