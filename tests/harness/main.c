/*
 * tests/harness/main.c - the test runner: `ice-unit [-v] [prefix...]` runs
 * every registered test whose name starts with one of the prefixes (all when
 * none is given) and exits non-zero if any failed.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ice/alloc.h"
#include "test.h"

#define MAX_TESTS 4096

static struct {
	const char *name;
	ice_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static bool current_failed;
static int nfailed_checks;

void ice_test_register(const char *name, ice_test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void ice_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	current_failed = true;
	nfailed_checks++;
}

bool ice_test_failed(void)
{
	return current_failed;
}

const char *ice_test_fixtures(void)
{
	const char *f = getenv("ICE_FIXTURES");
	return f ? f : "../shared/fixtures";
}

const char *ice_test_source_root(void)
{
	const char *f = getenv("ICE_SOURCE_ROOT");
	return f ? f : ".";
}

const char *ice_test_fixture(const char *rel)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", ice_test_fixtures(), rel);
	return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void ice_test_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *ice_test_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	if (data) {
		data[n] = '\0';
		if (len_out)
			*len_out = (size_t)n;
	}
	return data;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
	bool verbose = false;
	int ran = 0, failed = 0;
	const char *prefixes[64];
	int nprefixes = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else if (nprefixes < 64)
			prefixes[nprefixes++] = argv[i];
	}
	qsort(tests, (size_t)ntests, sizeof(tests[0]), by_name);

	for (int i = 0; i < ntests; i++) {
		bool selected = nprefixes == 0;
		for (int p = 0; p < nprefixes && !selected; p++)
			selected = strncmp(tests[i].name, prefixes[p], strlen(prefixes[p])) == 0;
		if (!selected)
			continue;
		current_failed = false;
		ice_error_clear();
		int64_t before = ice_alloc_outstanding();
		tests[i].fn();
		int64_t leaked = ice_alloc_outstanding() - before;
		if (!current_failed && leaked != 0)
			ice_test_fail(__FILE__, __LINE__, "%lld allocation(s) not freed", (long long)leaked);
		ran++;
		if (current_failed) {
			failed++;
			fprintf(stderr, "FAIL %s\n", tests[i].name);
		} else if (verbose) {
			printf("ok   %s\n", tests[i].name);
		}
	}
	printf("%d test(s), %d failed\n", ran, failed);
	if (ran == 0) {
		fprintf(stderr, "no tests matched\n");
		return 1;
	}
	return failed ? 1 : 0;
}
