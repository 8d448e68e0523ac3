/*
 * io/locate.c - finding a table's current metadata file in a file-system
 * (Hadoop-style) table directory: version-hint.text in either form (a
 * version number or a metadata file stem), probing forward because the hint
 * is only a hint, and falling back to the highest version on listing.
 * Also loads metadata from any TABLE argument: a table directory, its
 * metadata/ directory, or a metadata file.
 */
#include <stdio.h>
#include <string.h>

#include "io.h"
#include "s3.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"

static const char *const suffixes[] = {".metadata.json", ".gz.metadata.json", ".metadata.json.gz"};

static char *join(const char *dir, const char *name)
{
	return ice_uri__join(dir, name);
}

/* Whether `location` exists; an error (out of memory) is passed on, so a
 * probe never mistakes a failure for a missing file. */
static int exists(const ice_io *io, const char *location, bool *out)
{
	*out = false;
	return ice_io__stat(io, location, out, NULL);
}

typedef struct name_set {
	bool has[3];
} name_set;

static int note_name(const ice_s3_entry *e, void *payload)
{
	name_set *ns = ((void **)payload)[0];
	const char *stem = ((void **)payload)[1];
	size_t n = strlen(stem);
	if (!e->is_prefix && strncmp(e->name, stem, n) == 0)
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (strcmp(e->name + n, suffixes[i]) == 0)
				ns->has[i] = true;
	return 0;
}

/* "<dir>/<stem><suffix>" for the first suffix that exists, else NULL. */
static int find_with_suffix(const ice_io *io, const char *dir, const char *stem, char **out)
{
	char *mapped;
	ice_s3 *s3;
	int rc;
	*out = NULL;
	if ((rc = ice_io__target(io, dir, &mapped, &s3)) != 0)
		return rc;
	if (s3) {
		/* Every suffix starts with '.': one listing of "<stem>." finds them all. */
		char *prefix = ice__malloc(strlen(mapped) + strlen(stem) + 3);
		name_set ns = {{false, false, false}};
		void *payload[2] = {&ns, (void *)stem};
		if (!prefix) {
			ice__free(mapped);
			return ICE_ERROR;
		}
		sprintf(prefix, "%s/%s.", mapped, stem);
		rc = ice_s3__list_prefix(s3, prefix, 10, note_name, payload);
		ice__free(prefix);
		ice__free(mapped);
		if (rc == ICE_ENOTFOUND) {
			ice_error_clear();
			return 0;
		}
		for (size_t i = 0; !rc && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			if (!ns.has[i])
				continue;
			char name[512];
			snprintf(name, sizeof(name), "%s%s", stem, suffixes[i]);
			return (*out = join(dir, name)) ? 0 : ICE_ERROR;
		}
		return rc;
	}
	ice__free(mapped);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char name[512];
		bool e;
		snprintf(name, sizeof(name), "%s%s", stem, suffixes[i]);
		char *loc = join(dir, name);
		if (!loc)
			return ICE_ERROR;
		rc = exists(io, loc, &e);
		if (rc || e) {
			if (rc)
				ice__free(loc);
			else
				*out = loc;
			return rc;
		}
		ice__free(loc);
	}
	return 0;
}

/* Parses "v<N>" + a metadata suffix, or "<NNNNN>-<anything>" + suffix. */
static bool version_of(const char *name, bool *is_v, int64_t *version)
{
	size_t len = strlen(name), stem_len = 0;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (ice_str__ends_with(name, suffixes[i])) {
			stem_len = len - strlen(suffixes[i]);
			break;
		}
	}
	if (!stem_len)
		return false;
	if (name[0] == 'v' && ice_str__to_int64(name + 1, stem_len - 1, version) && *version >= 0) {
		*is_v = true;
		return true;
	}
	const char *dash = memchr(name, '-', stem_len);
	if (dash && dash > name && ice_str__to_int64(name, (size_t)(dash - name), version) && *version >= 0) {
		*is_v = false;
		return true;
	}
	return false;
}

/* The highest version on listing; v<N> files win over catalog-style names. */
static int highest(const ice_io *io, const char *dir, char **out)
{
	ice_arena arena;
	ice_dir_entry *entries;
	size_t n;
	const char *best_v = NULL, *best_seq = NULL;
	int64_t max_v = -1, max_seq = -1;
	int rc;
	*out = NULL;
	ice_arena__init(&arena, 4096);
	if ((rc = ice_io__list(io, dir, &arena, &entries, &n)) != 0) {
		ice_arena__free(&arena);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		bool is_v;
		int64_t version;
		if (entries[i].is_dir || !version_of(entries[i].name, &is_v, &version))
			continue;
		if (is_v && version > max_v) {
			max_v = version;
			best_v = entries[i].name;
		} else if (!is_v && version > max_seq) {
			max_seq = version;
			best_seq = entries[i].name;
		}
	}
	const char *best = best_v ? best_v : best_seq;
	if (!best) {
		/* No versioned names: a single metadata file is unambiguous. */
		for (size_t i = 0; i < n; i++) {
			if (entries[i].is_dir || !ice_str__ends_with(entries[i].name, ".metadata.json"))
				continue;
			if (best) {
				ice_arena__free(&arena);
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
				                      "%s: several metadata files and no version order; name one", dir);
			}
			best = entries[i].name;
		}
	}
	if (best)
		*out = join(dir, best);
	ice_arena__free(&arena);
	if (!best)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no metadata files (v<N>.metadata.json)", dir);
	return *out ? 0 : ICE_ERROR;
}

static int from_hint(const ice_io *io, const char *dir, char **out)
{
	char *hint_loc = join(dir, "version-hint.text");
	uint8_t *data = NULL;
	size_t len = 0;
	int64_t version;
	int rc;
	*out = NULL;
	if (!hint_loc)
		return ICE_ERROR;
	rc = ice_io_read_all(io, hint_loc, 4096, &data, &len);
	ice__free(hint_loc);
	if (rc == ICE_ERROR && ice_error__is_oom())
		return rc;
	if (rc) {
		ice_error_clear();
		return 0; /* no usable hint */
	}
	const char *s = (const char *)data;
	ice_str__trim(&s, &len);
	char stem[256];
	if (len == 0 || len >= sizeof(stem)) {
		ice__free(data);
		return 0;
	}
	memcpy(stem, s, len);
	stem[len] = '\0';
	ice__free(data);

	if (ice_str__to_int64(stem, len, &version) && version >= 0) {
		char name[64];
		snprintf(name, sizeof(name), "v%lld", (long long)version);
		char *found = NULL, *next = NULL;
		if ((rc = find_with_suffix(io, dir, name, &found)) != 0 || !found)
			return rc;
		/* Probe forward: a writer may have committed after the hint. */
		for (;;) {
			snprintf(name, sizeof(name), "v%lld", (long long)++version);
			if ((rc = find_with_suffix(io, dir, name, &next)) != 0) {
				ice__free(found);
				return rc;
			}
			if (!next)
				break;
			ice__free(found);
			found = next;
		}
		*out = found;
		return 0;
	}
	/* A metadata file name or stem ("00001-<uuid>"). */
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (ice_str__ends_with(stem, suffixes[i])) {
			stem[len - strlen(suffixes[i])] = '\0';
			break;
		}
	}
	return find_with_suffix(io, dir, stem, out);
}

int ice_table_locate(char **out, const ice_io *io, const char *table_location)
{
	char *dir = join(table_location, "metadata"), *hinted = NULL, *listed = NULL;
	int rc;
	*out = NULL;
	if (!dir)
		return ICE_ERROR;
	bool e = true;
	/* On an object store the hint or the listing below tells as much,
	 * without two requests to ask whether a prefix exists. */
	if (!ice_io__is_object_store(io, dir) && ((rc = exists(io, dir, &e)) != 0 || !e)) {
		if (!rc)
			rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: not a table directory (no metadata/)",
			                    table_location);
		ice__free(dir);
		return rc;
	}
	if ((rc = from_hint(io, dir, &hinted)) != 0) {
		ice__free(dir);
		return rc;
	}
	if (hinted) {
		/* A stem hint may lag behind too: prefer a higher sequence on disk. */
		bool is_v;
		int64_t hv, lv;
		if (version_of(ice_uri__basename(hinted), &is_v, &hv) && !is_v && highest(io, dir, &listed) == 0 &&
		    version_of(ice_uri__basename(listed), &is_v, &lv) && !is_v && lv > hv) {
			ice__free(hinted);
			hinted = listed;
			listed = NULL;
		}
		ice__free(listed);
		ice_error_clear();
		ice__free(dir);
		*out = hinted;
		return 0;
	}
	rc = highest(io, dir, out);
	if (rc == ICE_ENOTFOUND && ice_io__is_object_store(io, dir))
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: not a table directory (no metadata/)",
		                    table_location);
	ice__free(dir);
	return rc;
}

int ice_table_metadata_load(ice_table_metadata **out, const ice_io *io, const char *table, char **location_out)
{
	bool e = false, is_dir = false;
	char *location = NULL;
	uint8_t *data;
	size_t len;
	int rc;
	*out = NULL;
	if (location_out)
		*location_out = NULL;
	if (ice_io__is_object_store(io, table)) {
		/* No request to ask what it is: a metadata file by its name, else
		 * a table directory (or its metadata/) found by locating. */
		e = true;
		is_dir = !ice_str__ends_with(table, ".json") && !ice_str__ends_with(table, ".json.gz");
		if (is_dir) {
			rc = ice_table_locate(&location, io, table);
			if (rc == ICE_ENOTFOUND && strcmp(ice_uri__basename(table), "metadata") == 0) {
				char *parent = ice_uri__dirname(table);
				if (!parent)
					return ICE_ERROR;
				ice_error_clear();
				rc = ice_table_locate(&location, io, parent);
				ice__free(parent);
			}
			if (rc == ICE_ENOTFOUND)
				rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such table, directory or file", table);
			if (rc)
				return rc;
			is_dir = false; /* located */
		} else if (!(location = ice__strdup(table))) {
			return ICE_ERROR;
		}
	} else if ((rc = ice_io__stat(io, table, &e, &is_dir)) != 0) {
		return rc;
	}
	if (!e)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO, "%s: no such table, directory or file", table);
	if (is_dir) {
		char *md_dir = join(table, "metadata");
		bool has_md = false;
		if (!md_dir)
			return ICE_ERROR;
		ice_io__stat(io, md_dir, &has_md, NULL);
		ice__free(md_dir);
		if (has_md) {
			rc = ice_table_locate(&location, io, table);
		} else if (strcmp(ice_uri__basename(table), "metadata") == 0) {
			char *parent = ice_uri__dirname(table);
			if (!parent)
				return ICE_ERROR;
			rc = ice_table_locate(&location, io, parent[0] ? parent : ".");
			ice__free(parent);
		} else {
			rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_IO,
			                    "%s: not a table directory (no metadata/ inside)", table);
		}
		if (rc)
			return rc;
	} else if (!location && !(location = ice__strdup(table))) {
		return ICE_ERROR;
	}
	rc = ice_io_read_all(io, location, 0, &data, &len);
	if (!rc) {
		rc = ice_table_metadata_parse(out, data, len, location);
		ice__free(data);
	}
	if (rc)
		ice_error__oom_in("%s", location);
	if (rc || !location_out)
		ice__free(location);
	else
		*location_out = location;
	return rc;
}
