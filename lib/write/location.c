/*
 * write/location.c - the table's location provider: where every new data
 * or delete file goes (appends, overwrites, copy-on-write rewrites,
 * position delete files, deletion vectors, compaction), whatever file it
 * replaces. The same choices as Java's LocationProviders:
 *
 *   the data location is write.data.path, else <location>/data
 *   (write.folder-storage.path, and write.object-storage.path for object
 *   storage, are the older names of the same property, still honoured);
 *
 *   by default a file goes to <data>/<partition path>/<name>, the partition
 *   path being "<field>=<value>" per partition field, names and human
 *   values URL-encoded as java.net.URLEncoder does, joined by '/';
 *
 *   with write.object-storage.enabled, a hash spreads files over key
 *   prefixes: the murmur3 (x86, 32-bit, seed 0) of "<partition path>/<name>"
 *   (or of "<name>" when write.object-storage.partitioned-paths is false or
 *   the file has no partition) keeps its low 20 bits, written in binary as
 *   "bbbb/bbbb/bbbb/bbbbbbbb"; the file goes to <data>/<hash>/<hashed
 *   name>, or <data>/<hash>-<name> without partition paths, or, when the
 *   data location is not under the table's location,
 *   <data>/<hash>/<last two segments of the table location>/<hashed name>
 *   so tables sharing one data location stay apart.
 *
 * A relative table location (or data location) is refused: new files would
 * land wherever the writer happens to run.
 */
#include <string.h>

#include "ice/transform.h"
#include "location.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/murmur3.h"
#include "util/strutil.h"
#include "util/uri.h"

/* java.net.URLEncoder: unreserved bytes kept, ' ' as '+', the rest %XX. */
static void url_escape(ice_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '*')
			ice_buf__putc(b, (char)*p);
		else if (*p == ' ')
			ice_buf__putc(b, '+');
		else {
			ice_buf__putc(b, '%');
			ice_buf__putc(b, hex[*p >> 4]);
			ice_buf__putc(b, hex[*p & 15]);
		}
	}
}

int ice_write__partition_path(ice_buf *b, const ice_partition_spec *spec, const ice_literal *partition)
{
	for (size_t i = 0; spec && i < spec->nfields; i++) {
		char *human = ice_transform_human_string(&spec->fields[i].transform, &partition[i]);
		if (!human)
			return ICE_ERROR;
		if (i)
			ice_buf__putc(b, '/');
		url_escape(b, spec->fields[i].name);
		ice_buf__putc(b, '=');
		url_escape(b, human);
		ice__free(human);
	}
	return b->error ? ICE_ERROR : 0;
}

static bool is_absolute(const char *location)
{
	return ice_uri__has_scheme(location) || location[0] == '/';
}

static size_t strip_slash(const char *s)
{
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

static bool property_true(const ice_table_metadata *md, const char *key, bool dflt)
{
	const char *v = ice_table_metadata_property(md, key, NULL);
	if (!v)
		return dflt;
	return ice_str__ieq(v, strlen(v), "true", 4);
}

/* The 20 low bits of the name's hash as "bbbb/bbbb/bbbb/bbbbbbbb". */
static void hash_dirs(ice_buf *b, const char *name, size_t len)
{
	uint32_t h = ice_murmur3__x86_32(name, len, 0);
	for (int bit = 19; bit >= 0; bit--) {
		ice_buf__putc(b, (char)('0' + ((h >> bit) & 1)));
		if (bit == 16 || bit == 12 || bit == 8)
			ice_buf__putc(b, '/');
	}
}

/* The last two segments of the table location's path ("ns/table"), as
 * Hadoop's Path gives its parent's name and its own. */
static void path_context(ice_buf *b, const char *location, size_t n)
{
	size_t start = ice_uri__scheme_len(location);
	if (start && n - start >= 3 && strncmp(location + start, "://", 3) == 0) {
		const char *slash = memchr(location + start + 3, '/', n - start - 3);
		start = slash ? (size_t)(slash - location) : n; /* after the authority */
	} else if (start) {
		start++;
	}
	size_t cut = n;
	for (int segments = 0; cut > start && segments < 2; segments++) {
		while (cut > start && location[cut - 1] != '/')
			cut--; /* to the start of this segment */
		if (segments == 0 && cut > start)
			while (cut > start && location[cut - 1] == '/')
				cut--; /* over the separator, to the end of the parent's segment */
	}
	while (cut < n && location[cut] == '/')
		cut++;
	ice_buf__put(b, location + cut, n - cut);
}

int ice_write__check_table_location(const ice_table_metadata *md)
{
	const char *table = ice_table_metadata_location(md);
	char shown[512];
	if (!table || !*table || !is_absolute(table))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "table location '%s' is relative: new files need an absolute location",
		                      ice_uri__redact(shown, sizeof(shown), table ? table : ""));
	return 0;
}

int ice_write__new_file_location(char **out, const ice_table_metadata *md, const ice_partition_spec *spec,
                                 const ice_literal *partition, const char *filename)
{
	const char *table = ice_table_metadata_location(md);
	bool object_store = property_true(md, "write.object-storage.enabled", false);
	const char *data = ice_table_metadata_property(md, "write.data.path", NULL);
	ice_buf b = ICE_BUF_INIT, part = ICE_BUF_INIT;
	int rc;
	*out = NULL;
	if ((rc = ice_write__check_table_location(md)) != 0)
		return rc;
	if (!data && object_store)
		data = ice_table_metadata_property(md, "write.object-storage.path", NULL);
	if (!data)
		data = ice_table_metadata_property(md, "write.folder-storage.path", NULL);
	if (data && (!*data || !is_absolute(data)))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "write.data.path '%s' is relative: new files need an absolute location", data);
	size_t tn = strip_slash(table);
	if (data)
		ice_buf__put(&b, data, strip_slash(data));
	else {
		ice_buf__put(&b, table, tn);
		ice_buf__puts(&b, "/data");
	}
	if (spec && spec->nfields && (rc = ice_write__partition_path(&part, spec, partition)) != 0) {
		ice_buf__free(&b);
		ice_buf__free(&part);
		return rc;
	}
	if (!object_store) {
		ice_buf__putc(&b, '/');
		if (part.len) {
			ice_buf__put(&b, part.ptr, part.len);
			ice_buf__putc(&b, '/');
		}
		ice_buf__puts(&b, filename);
	} else {
		bool with_paths = property_true(md, "write.object-storage.partitioned-paths", true);
		/* The name hashed and written: "<partition path>/<file>" or "<file>". */
		if (with_paths && part.len)
			ice_buf__putc(&part, '/');
		else
			part.len = 0;
		ice_buf__puts(&part, filename);
		/* A data location outside the table's (compared as text, as Java
		 * does) gets the table's last two segments after the hash. */
		bool context = data && strncmp(data, table, tn) != 0;
		ice_buf__putc(&b, '/');
		hash_dirs(&b, part.ptr ? part.ptr : "", part.len);
		if (context) {
			ice_buf__putc(&b, '/');
			path_context(&b, table, tn);
			ice_buf__putc(&b, '/');
		} else {
			ice_buf__putc(&b, with_paths ? '/' : '-');
		}
		ice_buf__put(&b, part.ptr, part.len);
	}
	ice_buf__free(&part);
	if (b.error || !(*out = ice_buf__detach(&b, NULL))) {
		ice_buf__free(&b);
		return ICE_ERROR;
	}
	return 0;
}
