/*
 * tests/unit/manifest/helpers.c - see helpers.h.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "helpers.h"
#include "test.h"

#define MAX_AVROS 1024

static char *avros[MAX_AVROS + 1];
static size_t navros;

const char *mt_path(const char *name, char *buf, size_t cap)
{
	static char dir[256];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/ice-manifest-tests-%ld", (long)getpid());
		mkdir(dir, 0700);
	}
	snprintf(buf, cap, "%s/%s", dir, name);
	unlink(buf);
	return buf;
}

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t n = strlen(path);
	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > 5 && strcmp(path + n - 5, ".avro") == 0 && navros < MAX_AVROS)
		avros[navros++] = strdup(path);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *const *mt_fixture_avros(void)
{
	if (!navros) {
		char root[4096];
		snprintf(root, sizeof(root), "%s/avro", ice_test_fixtures());
		nftw(root, collect, 16, FTW_PHYS);
		snprintf(root, sizeof(root), "%s/tables", ice_test_fixtures());
		nftw(root, collect, 16, FTW_PHYS);
		qsort(avros, navros, sizeof(avros[0]), by_name);
	}
	return (const char *const *)avros;
}

bool mt_is_negative(const char *path)
{
	return strstr(path, "/invalid/") || strstr(path, "-encrypted.avro");
}

char *mt_table_dir(const char *path)
{
	const char *m = strstr(path, "/metadata/");
	char *dir;
	if (!m || !strstr(path, "/tables/"))
		return NULL;
	dir = strndup(path, (size_t)(m - path));
	return dir;
}

ice_schema *mt_schema(const char *json)
{
	ice_schema *s = NULL;
	if (ice_schema_from_json(&s, json, strlen(json), "test schema") != 0) {
		fprintf(stderr, "bad test schema: %s\n", ice_error_last()->message);
		abort();
	}
	return s;
}

ice_partition_spec *mt_spec(const char *json)
{
	ice_partition_spec *s = NULL;
	if (ice_partition_spec_from_json(&s, json, strlen(json), "test spec") != 0) {
		fprintf(stderr, "bad test spec: %s\n", ice_error_last()->message);
		abort();
	}
	return s;
}

long mt_count_manifest(const ice_io *io, const ice_table_metadata *md, const char *path)
{
	ice_manifest_reader *r;
	const ice_manifest_entry *e;
	long n = 0;
	int rc;
	if (ice_manifest_open_location(&r, io, md, path) != 0)
		return -1;
	while ((rc = ice_manifest_next(r, &e)) == 0)
		n++;
	ice_manifest_reader_free(r);
	return rc == ICE_ITEROVER ? n : -1;
}

long mt_count_list(const ice_io *io, const ice_table_metadata *md, const char *path)
{
	ice_manifest_list_reader *r;
	const ice_manifest_file *mf;
	long n = 0;
	int rc;
	if (ice_manifest_list_open(&r, io, md, path) != 0)
		return -1;
	while ((rc = ice_manifest_list_next(r, &mf)) == 0)
		n++;
	ice_manifest_list_reader_free(r);
	return rc == ICE_ITEROVER ? n : -1;
}

int mt_roundtrip(const ice_io *io, const ice_table_metadata *md, const char *in, const char *out, long *records_out,
                 bool *is_list_out)
{
	return mc_copy(io, md, in, out, records_out, is_list_out);
}
