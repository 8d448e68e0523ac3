/*
 * tests/unit/io/test_contain.c - the containment guard (io/contain.c):
 * lexical normalisation and schemes, symbolic links on a local path
 * (leading out, staying inside, dangling, as the last segment, as the
 * root), other spellings of a path inside, path maps; and the redaction
 * of locations that its messages (and every other) print.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ice/alloc.h"
#include "io/io.h"
#include "util/error.h"
#include "test.h"
#include "util/uri.h"

static const char *tmp_dir(void)
{
	static char dir[PATH_MAX];
	char tmpl[] = "/tmp/ice-contain-XXXXXX";
	if (!mkdtemp(tmpl))
		return NULL;
	/* The real path: /tmp itself may be a link on some systems. */
	return realpath(tmpl, dir);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a test's directory (links are removed, never followed). */
static void remove_tree(const char *dir)
{
	if (dir)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *at(const char *dir, const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	if (snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel) >= (int)sizeof(buf[i]))
		buf[i][0] = '\0';
	return buf[i];
}

static bool put_file(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs("precious", f);
	return fclose(f) == 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

TEST(test_io_contain__lexical_local)
{
	ice_io *io;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/t/data/a.parquet"));
	CHECK_OK(ice_io__check_within(io, "/nonexistent/t/", "//nonexistent//t/./data//a.parquet"));
	CHECK_OK(ice_io__check_within(io, "file:///nonexistent/t", "/nonexistent/t/x"));
	CHECK_OK(ice_io__check_within(io, "/nonexistent/t", "file:/nonexistent/t/x"));
	CHECK_OK(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/t/a/../b"));
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/t/../u/x"), ICE_EINVALID);
	CHECK(strstr(LAST_ERROR(), "/nonexistent/t/../u/x: outside the table location /nonexistent/t"));
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/t/a/../../x"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/tx/a"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/t"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "/nonexistent/t/."), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "/../../nonexistent/u/x"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "/nonexistent/t", "s3://nonexistent/t/x"), ICE_EINVALID);
	/* A missing root: nothing inside it exists. */
	CHECK_RC(ice_io__delete_within(io, "/nonexistent/t", "/nonexistent/t/x"), ICE_ENOTFOUND);
	ice_io_free(io);
}

TEST(test_io_contain__lexical_object_store)
{
	ice_io *io;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_io__check_within(io, "s3://b/wh/t", "s3://b/wh/t/data/x.parquet"));
	CHECK_OK(ice_io__check_within(io, "s3://b/wh/t", "s3a://b/wh/t/data/x.parquet"));
	CHECK_OK(ice_io__check_within(io, "s3a://b/wh/t/", "S3N://b/wh//t/./x"));
	CHECK_RC(ice_io__check_within(io, "s3://b/wh/t", "s3://c/wh/t/x"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "s3://b/wh/t", "s3://b/wh/t/../u/x"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "s3://b/wh/t", "s3://b/wh/t2/x"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "s3://b/wh/t", "gs://b/wh/t/x"), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, "s3://b/wh/t", "/wh/t/x"), ICE_EINVALID);
	CHECK_OK(ice_io__check_within(io, "gs://b/t", "gs://b/t/x"));
	/* Credentials in a location never reach the message. */
	CHECK_RC(ice_io__check_within(io, "https://u:pw@h/t", "https://u:pw@h/u/x?token=abc"), ICE_EINVALID);
	CHECK(strstr(LAST_ERROR(), "https://***@h/u/x?token=***: outside the table location https://***@h/t"));
	CHECK(!strstr(LAST_ERROR(), "pw") && !strstr(LAST_ERROR(), "abc"));
	ice_io_free(io);
}

TEST(test_io_contain__symlink_out_refused)
{
	ice_io *io;
	const char *dir = tmp_dir();
	char root[PATH_MAX], out[PATH_MAX];
	CHECK(dir);
	CHECK(snprintf(root, sizeof(root), "%s/t", dir) < (int)sizeof(root));
	CHECK(snprintf(out, sizeof(out), "%s/elsewhere", dir) < (int)sizeof(out));
	CHECK(mkdir(root, 0777) == 0 && mkdir(out, 0777) == 0 && mkdir(at(root, "data"), 0777) == 0);
	CHECK(put_file(at(out, "precious.txt")));
	CHECK(symlink(out, at(root, "evil")) == 0);
	CHECK(symlink(out, at(root, "data/part")) == 0);
	CHECK(symlink("/nonexistent/ice-nowhere", at(root, "dangling")) == 0);
	CHECK_OK(ice_io_new(&io));
	CHECK_RC(ice_io__check_within(io, root, at(root, "evil/precious.txt")), ICE_EINVALID);
	CHECK_RC(ice_io__delete_within(io, root, at(root, "evil/precious.txt")), ICE_EINVALID);
	CHECK_RC(ice_io__delete_within(io, root, at(root, "data/part/precious.txt")), ICE_EINVALID);
	CHECK_RC(ice_io__check_within(io, root, at(root, "data/part/new/file")), ICE_EINVALID);
	CHECK_RC(ice_io__delete_within(io, root, at(root, "dangling/x")), ICE_EINVALID);
	CHECK(exists(at(out, "precious.txt")));
	/* The link itself, as the last segment, is inside: removing it leaves its target. */
	CHECK_OK(ice_io__check_within(io, root, at(root, "evil")));
	CHECK_OK(ice_io__delete_within(io, root, at(root, "evil")));
	CHECK(!exists(at(root, "evil")) && exists(at(out, "precious.txt")));
	/* A relative path and a file: URI spell the same file. */
	CHECK_RC(ice_io__delete_within(io, root, at(root, "data/../data/part/precious.txt")), ICE_EINVALID);
	char uri[PATH_MAX + 64];
	CHECK(snprintf(uri, sizeof(uri), "file://%s/data/part/precious.txt", root) < (int)sizeof(uri));
	CHECK_RC(ice_io__delete_within(io, root, uri), ICE_EINVALID);
	CHECK(exists(at(out, "precious.txt")));
	ice_io_free(io);
	remove_tree(dir);
}

TEST(test_io_contain__symlink_inside_followed)
{
	ice_io *io;
	const char *dir = tmp_dir();
	char root[PATH_MAX], link_root[PATH_MAX];
	CHECK(dir);
	CHECK(snprintf(root, sizeof(root), "%s/t", dir) < (int)sizeof(root));
	CHECK(snprintf(link_root, sizeof(link_root), "%s/t-link", dir) < (int)sizeof(link_root));
	CHECK(mkdir(root, 0777) == 0 && mkdir(at(root, "sub"), 0777) == 0);
	CHECK(put_file(at(root, "sub/a")) && put_file(at(root, "sub/b")) && put_file(at(root, "sub/c")));
	CHECK(symlink(at(root, "sub"), at(root, "alias")) == 0);
	CHECK(symlink("sub", at(root, "rel-alias")) == 0);
	CHECK(symlink(root, link_root) == 0);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_io__check_within(io, root, at(root, "alias/a")));
	CHECK_OK(ice_io__delete_within(io, root, at(root, "alias/a")));
	CHECK(!exists(at(root, "sub/a")) && exists(at(root, "alias")));
	CHECK_OK(ice_io__delete_within(io, root, at(root, "rel-alias/b")));
	CHECK(!exists(at(root, "sub/b")));
	/* The root given through a link; a location spelled through it or not. */
	CHECK_OK(ice_io__check_within(io, link_root, at(root, "sub/c")));
	CHECK_OK(ice_io__delete_within(io, link_root, at(link_root, "sub/c")));
	CHECK(!exists(at(root, "sub/c")));
	CHECK_RC(ice_io__delete_within(io, root, at(root, "sub/c")), ICE_ENOTFOUND);
	CHECK_RC(ice_io__delete_within(io, root, at(root, "nodir/c")), ICE_ENOTFOUND);
	CHECK(put_file(at(root, "plain")));
	CHECK_RC(ice_io__delete_within(io, root, at(root, "plain/c")), ICE_ENOTFOUND);
	/* A directory is not a file to delete. */
	CHECK(ice_io__delete_within(io, root, at(root, "sub")) != 0 && exists(at(root, "sub")));
	ice_io_free(io);
	remove_tree(dir);
}

TEST(test_io_contain__relative_and_mapped)
{
	ice_io *io;
	const char *dir = tmp_dir();
	char cwd[PATH_MAX], mapped[PATH_MAX];
	CHECK(dir && getcwd(cwd, sizeof(cwd)));
	CHECK(mkdir(at(dir, "t"), 0777) == 0 && mkdir(at(dir, "t/data"), 0777) == 0);
	CHECK(put_file(at(dir, "t/data/f1")) && put_file(at(dir, "t/data/f2")) && put_file(at(dir, "t/data/f3")));
	CHECK_OK(ice_io_new(&io));
	/* A relative root against absolute locations, and the other way round. */
	CHECK(chdir(dir) == 0);
	int rc1 = ice_io__delete_within(io, "t", at(dir, "t/data/f1"));
	int rc2 = ice_io__delete_within(io, at(dir, "t"), "./t/data/f2");
	int rc3 = ice_io__check_within(io, "t", "../u/x");
	CHECK(chdir(cwd) == 0);
	CHECK_OK(rc1);
	CHECK_OK(rc2);
	CHECK(rc3 == ICE_EINVALID);
	CHECK(!exists(at(dir, "t/data/f1")) && !exists(at(dir, "t/data/f2")));
	/* Path maps apply to both. */
	CHECK(snprintf(mapped, sizeof(mapped), "%s/", dir) < (int)sizeof(mapped));
	CHECK_OK(ice_io_add_path_map(io, "s3://wh/", mapped));
	CHECK_OK(ice_io__check_within(io, "s3://wh/t", "s3://wh/t/data/f3"));
	CHECK(symlink("/tmp", at(dir, "t/out")) == 0);
	CHECK_RC(ice_io__check_within(io, "s3://wh/t", "s3://wh/t/out/x"), ICE_EINVALID);
	CHECK_OK(ice_io__delete_within(io, "s3://wh/t", "s3://wh/t/data/f3"));
	CHECK(!exists(at(dir, "t/data/f3")));
	ice_io_free(io);
	remove_tree(dir);
}

TEST(test_io_contain__redaction)
{
	char b[256];
	CHECK_STR(ice_uri__redact(b, sizeof(b), "https://user:secret@host:8181/v1?token=abc&x=1#f"),
	          "https://***@host:8181/v1?token=***&x=1#f");
	CHECK_STR(ice_uri__redact(b, sizeof(b), "s3://bucket/a/b.parquet"), "s3://bucket/a/b.parquet");
	CHECK_STR(ice_uri__redact(b, sizeof(b), "/plain/path?x"), "/plain/path?x");
	CHECK_STR(ice_uri__redact(b, sizeof(b), "https://h/p?X-Amz-Signature=ff&X-Amz-Credential=AK%2F1&a=b"),
	          "https://h/p?X-Amz-Signature=***&X-Amz-Credential=***&a=b");
	CHECK_STR(ice_uri__redact(b, sizeof(b), "https://h/?api_key=1;sig=2;password=3;sid=4"),
	          "https://h/?api_key=***;sig=***;password=***;sid=4");
	CHECK_STR(ice_uri__redact(b, sizeof(b), "https://a:b@c@host/"), "https://***@host/");
	CHECK_STR(ice_uri__redact(b, 9, "https://user:secret@host"), "https://");
	char *r = ice_uri__redacted("http://u@h/?access_token=zz");
	CHECK(r);
	CHECK_STR(r, "http://***@h/?access_token=***");
	ice_free(r);
}

/* Every error message is masked where it is set, whoever formatted it. */
TEST(test_io_contain__errors_are_redacted)
{
	ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no catalog at %s, tried 'rest:%s'", "https://u:pw@h/a?token=t1",
	               "s3://AK:SK@b/k?X-Amz-Signature=s1.", "http://x@y");
	CHECK_STR(ice_error_last()->message,
	          "https://***@h/a?token=***: no catalog at s3://***@b/k?X-Amz-Signature=***., tried 'rest:http://***@y'");
	ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "a://b/c and no secrets: http://h/p?x=1 (ok)");
	CHECK_STR(ice_error_last()->message, "a://b/c and no secrets: http://h/p?x=1 (ok)");
	ice_error__prefix("https://me:pw@h");
	CHECK_STR(ice_error_last()->message, "https://***@h: a://b/c and no secrets: http://h/p?x=1 (ok)");
	/* a message at the length limit stays terminated */
	char big[4000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + 2030, "http://u@h/", 11);
	ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s", big);
	CHECK(strlen(ice_error_last()->message) < 2048);
	CHECK(!strstr(ice_error_last()->message, "u@"));
	ice_error_clear();
}
