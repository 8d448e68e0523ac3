/*
 * maintain/orphans.c - removing orphan files: every file under the table
 * location that no metadata reaches, older than an age guard (Java's
 * DeleteOrphanFiles as Spark's remove_orphan_files runs it).
 *
 * The listing goes into a path set keyed by the path below the listing
 * root (old enough files only; names starting with '.' or '_' are hidden,
 * as Java's listing hides them, except partition directories of such
 * partition fields and the temporaries ice's commits leave when killed).
 * Then everything the metadata reaches - the metadata file and its log,
 * version-hint.text, statistics files, every snapshot's manifest list,
 * every manifest and the live files it lists, each read once on worker
 * threads - is looked up and marked. Locations compare as Java's FileURI
 * compares them: the path decides, then scheme and authority (s3a and s3n
 * read as s3, plus the caller's aliases), where a reference without a
 * scheme or authority matches any; a path referenced only under another
 * prefix is a conflict (ERROR: fail, IGNORE: keep, DELETE: delete). When
 * the table changed meanwhile, the new version is marked too. Unmarked
 * files are deleted through the containment guard.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define REACHED 1
#define CONFLICT 2
#define MAX_ROUNDS 10
#define BATCH 8192
#define MAX_CONFLICTS 8

/* A location split as java.net.URI splits it (after Hadoop's Path). */
typedef struct uri_parts {
	const char *scheme, *authority, *path;
	size_t scheme_len, authority_len, path_len;
} uri_parts;

static void split(const char *s, uri_parts *u)
{
	memset(u, 0, sizeof(*u));
	size_t n = ice_uri__scheme_len(s);
	if (n) {
		u->scheme = s;
		u->scheme_len = n;
		s += n + 1;
		if (s[0] == '/' && s[1] == '/') {
			const char *a = s + 2, *slash = strchr(a, '/');
			u->authority = a;
			u->authority_len = slash ? (size_t)(slash - a) : strlen(a);
			s = a + u->authority_len;
		}
	}
	u->path = s;
	u->path_len = strlen(s);
}

/* The path with repeated and trailing slashes removed and "." and ".."
 * segments resolved (a reference through "data/../x" reaches "x": it must
 * match, or "x" would look orphaned), into `out` (may be `p`). */
static size_t normalize_path(const char *p, size_t len, char *out)
{
	size_t m = 0;
	bool absolute = len && p[0] == '/';
	if (absolute)
		out[m++] = '/';
	for (size_t i = 0; i < len;) {
		while (i < len && p[i] == '/')
			i++;
		size_t start = i;
		while (i < len && p[i] != '/')
			i++;
		size_t seg = i - start;
		if (!seg || (seg == 1 && p[start] == '.'))
			continue;
		if (seg == 2 && p[start] == '.' && p[start + 1] == '.') {
			size_t floor = absolute ? 1 : 0;
			if (m > floor) {
				m--; /* the slash after the last segment, if any */
				while (m > floor && out[m - 1] != '/')
					m--;
				continue;
			}
			if (absolute)
				continue; /* "/.." is "/" */
		}
		if (m && out[m - 1] != '/')
			out[m++] = '/';
		memmove(out + m, p + start, seg);
		m += seg;
	}
	while (m > 1 && out[m - 1] == '/')
		m--;
	out[m] = '\0';
	return m;
}

typedef struct orphans {
	const ice_orphan_options *o;
	const ice_io *io;
	ice_table *table;
	char *table_root;
	char cwd[4096];      /* relative local references are read from here, as opening them would */
	char *root;          /* the listing root, without trailing slashes */
	uri_parts root_uri;
	char *root_path;     /* its path, normalized */
	size_t root_path_len;
	int64_t older_than;
	const char **hidden_ok; /* "name=" of partition fields named like hidden paths */
	size_t nhidden_ok;
	ice_pathset *listed;
	ice_pathset *lists_seen;
	ice_reach_walk walk;
	ice_reach_progress progress;
	pthread_mutex_t mu;
	char conflicts[MAX_CONFLICTS][160];
	size_t nconflicts;
	ice_orphan_report *report;
	ice_buf hidden_names;
} orphans;

/* ---- schemes and authorities ------------------------------------------------------ */

static void alias(const ice_name_alias *a, size_t n, const char **s, size_t *len)
{
	if (!*len)
		return;
	for (size_t i = 0; i < n; i++)
		if (ice_str__ieq(a[i].from, strlen(a[i].from), *s, *len)) {
			*s = a[i].to;
			*len = strlen(a[i].to);
			return;
		}
}

static void alias_scheme(const orphans *st, const char **s, size_t *len)
{
	static const ice_name_alias s3[] = {{"s3a", "s3"}, {"s3n", "s3"}};
	alias(st->o->equal_schemes, st->o->n_equal_schemes, s, len);
	alias(s3, 2, s, len);
}

/* Java's uriComponentMatch: an empty reference part matches anything. */
static bool part_match(const char *valid, size_t vlen, const char *actual, size_t alen)
{
	return vlen == 0 || ice_str__ieq(valid, vlen, actual, alen);
}

static void note_conflict(orphans *st, const char *kind, const char *valid, size_t vlen, const char *actual,
                          size_t alen)
{
	char line[160];
	snprintf(line, sizeof(line), "%s '%.*s' referenced, '%.*s' listed", kind, (int)(vlen > 60 ? 60 : vlen), valid,
	         (int)(alen > 60 ? 60 : alen), actual);
	pthread_mutex_lock(&st->mu);
	bool known = false;
	for (size_t i = 0; i < st->nconflicts; i++)
		known |= strcmp(st->conflicts[i], line) == 0;
	if (!known && st->nconflicts < MAX_CONFLICTS)
		memcpy(st->conflicts[st->nconflicts++], line, sizeof(line));
	pthread_mutex_unlock(&st->mu);
}

/* A location the metadata reaches: mark the listed file it names. */
static int reached(orphans *st, const char *location)
{
	uri_parts u;
	char buf[ICE_PATHSET_MAX_KEY + 1];
	size_t n;
	split(location, &u);
	if (!u.scheme_len && u.path[0] != '/') {
		/* A relative reference (a table opened by a relative path records
		 * its metadata files so) may mean any file whose path ends so: keep
		 * them all, and the file it names from here. */
		if (u.path_len > ICE_PATHSET_MAX_KEY)
			return 0;
		n = normalize_path(u.path, u.path_len, buf);
		for (const char *tail = buf; tail && *tail; tail = strchr(tail, '/') ? strchr(tail, '/') + 1 : NULL) {
			size_t i;
			int rc = ice_pathset__find(st->listed, tail, n - (size_t)(tail - buf), &i);
			if (rc == 0)
				ice_pathset__mark(st->listed, i, REACHED);
			else if (rc != ICE_ENOTFOUND)
				return rc;
			ice_error_clear();
		}
		size_t cl = strlen(st->cwd);
		if (!cl)
			return 0;
		if (cl + 1 + u.path_len > ICE_PATHSET_MAX_KEY)
			return 0;
		memcpy(buf, st->cwd, cl);
		buf[cl] = '/';
		memcpy(buf + cl + 1, u.path, u.path_len);
		n = normalize_path(buf, cl + 1 + u.path_len, buf);
	} else {
		if (u.path_len <= st->root_path_len || u.path_len > ICE_PATHSET_MAX_KEY)
			return 0;
		n = normalize_path(u.path, u.path_len, buf);
	}
	if (n <= st->root_path_len + 1 || memcmp(buf, st->root_path, st->root_path_len) != 0 ||
	    buf[st->root_path_len] != '/')
		return 0;
	size_t i;
	int rc = ice_pathset__find(st->listed, buf + st->root_path_len + 1, n - st->root_path_len - 1, &i);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	const char *vs = u.scheme, *as = st->root_uri.scheme;
	size_t vsl = u.scheme_len, asl = st->root_uri.scheme_len;
	const char *va = u.authority, *aa = st->root_uri.authority;
	size_t val = u.authority_len, aal = st->root_uri.authority_len;
	alias_scheme(st, &vs, &vsl);
	alias_scheme(st, &as, &asl);
	alias(st->o->equal_authorities, st->o->n_equal_authorities, &va, &val);
	alias(st->o->equal_authorities, st->o->n_equal_authorities, &aa, &aal);
	bool sm = part_match(vs, vsl, as, asl), am = part_match(va, val, aa, aal);
	if (sm && am) {
		ice_pathset__mark(st->listed, i, REACHED);
		return 0;
	}
	ice_pathset__mark(st->listed, i, CONFLICT);
	if (!sm)
		note_conflict(st, "scheme", vs, vsl, as, asl);
	if (!am)
		note_conflict(st, "authority", va, val, aa, aal);
	return 0;
}

static int reached_file(void *payload, const char *path, ice_file_kind kind)
{
	(void)kind;
	return reached(payload, path);
}

/* ---- listing ---------------------------------------------------------------------- */

/* ice's commit temporaries: .<uuid>.tmp */
static bool is_ice_temporary(const char *name, size_t len)
{
	if (len != 1 + 36 + 4 || name[0] != '.' || memcmp(name + 37, ".tmp", 4) != 0)
		return false;
	for (size_t i = 1; i < 37; i++) {
		char c = name[i];
		bool dash = i == 9 || i == 14 || i == 19 || i == 24;
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* Java's hidden path filter over every name below the listing root. */
static bool hidden(const orphans *st, const char *rel)
{
	for (const char *p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len && (p[0] == '.' || p[0] == '_')) {
			bool ok = !slash && is_ice_temporary(p, len);
			for (size_t k = 0; !ok && k < st->nhidden_ok; k++)
				ok = ice_str__starts_with(p, st->hidden_ok[k]);
			if (!ok)
				return true;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return false;
}

static int listed_one(const ice_io_file_info *f, void *payload)
{
	orphans *st = payload;
	size_t rl = strlen(st->root);
	st->report->files_listed++;
	if (st->report->files_listed % 1000 == 0)
		ice_reach__progress_add(&st->progress, 1000);
	if (strncmp(f->location, st->root, rl) != 0 || f->location[rl] != '/')
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: listed outside %s", f->location, st->root);
	const char *rel = f->location + rl + 1;
	if (hidden(st, rel)) {
		st->report->files_hidden++;
		return 0;
	}
	if (f->mtime_ms >= st->older_than) {
		st->report->files_too_new++;
		return 0;
	}
	return ice_pathset__add(st->listed, rel, strlen(rel), ICE_FILE_OTHER, NULL, NULL);
}

/* ---- what the metadata reaches ----------------------------------------------------- */

static int reach_version(orphans *st, const ice_table_metadata *md, const char *metadata_file)
{
	int rc = 0;
	st->report->metadata_versions++;
	if (metadata_file)
		rc = reached(st, metadata_file);
	for (size_t i = 0; i < ice_table_metadata_metadata_log_count(md) && !rc; i++)
		rc = reached(st, ice_table_metadata_metadata_log_at(md, i)->metadata_file);
	const char *loc = ice_table_metadata_location(md);
	if (!rc && loc) {
		char *hint = ice_uri__join(loc, "metadata/version-hint.text");
		if (!hint)
			return ICE_ERROR;
		rc = reached(st, hint);
		ice__free(hint);
	}
	for (size_t i = 0; i < ice_table_metadata_statistics_count(md) && !rc; i++)
		rc = reached(st, ice_table_metadata_statistics_at(md, i)->statistics_path);
	for (size_t i = 0; i < ice_table_metadata_partition_statistics_count(md) && !rc; i++)
		rc = reached(st, ice_table_metadata_partition_statistics_at(md, i)->statistics_path);
	if (rc)
		return rc;
	/* Snapshots whose manifest lists were not read in an earlier round. */
	size_t n = ice_table_metadata_snapshot_count(md), m = 0, first = st->walk.nmanifests;
	const ice_snapshot **snaps = ice__calloc(n + 1, sizeof(*snaps));
	if (!snaps)
		return ICE_ERROR;
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
		if (s->manifest_list) {
			bool added;
			if ((rc = reached(st, s->manifest_list)) != 0 ||
			    (rc = ice_pathset__add(st->lists_seen, s->manifest_list, strlen(s->manifest_list), 0, NULL,
			                           &added)) != 0)
				break;
			if (!added)
				continue;
		}
		snaps[m++] = s;
	}
	st->walk.md = md;
	if (!rc)
		rc = ice_reach__read_lists(&st->walk, snaps, m, false, NULL, NULL);
	ice__free(snaps);
	for (size_t i = first; i < st->walk.nmanifests && !rc; i++)
		rc = reached(st, st->walk.manifests[i].mf.manifest_path);
	if (!rc)
		rc = ice_reach__read_manifests(&st->walk, false, reached_file, st);
	return rc;
}

/* Mark from the table as loaded, then from every version committed
 * meanwhile, until a refresh shows no change. */
static int reach_all(orphans *st)
{
	char *seen = NULL;
	int rc = 0;
	for (int round = 0;; round++) {
		const char *file = ice_table_metadata_file(st->table);
		if (round == MAX_ROUNDS) {
			rc = ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT,
			                    "%s: the table changed %d times while its files were read; nothing deleted",
			                    ice_table_identifier(st->table), MAX_ROUNDS);
			break;
		}
		if ((rc = reach_version(st, ice_table_current(st->table), file)) != 0)
			break;
		ice__free(seen);
		if (!(seen = ice__strdup(file ? file : ""))) {
			rc = ICE_ERROR;
			break;
		}
		if ((rc = ice_table_refresh(st->table)) != 0)
			break;
		file = ice_table_metadata_file(st->table);
		if (strcmp(seen, file ? file : "") == 0)
			break;
	}
	ice__free(seen);
	st->report->manifest_lists_read = st->walk.lists_read;
	st->report->manifests_read = st->walk.manifests_read;
	return rc;
}

/* ---- deleting -------------------------------------------------------------------- */

static int delete_orphans(orphans *st)
{
	size_t n = ice_pathset__count(st->listed), rl = strlen(st->root);
	ice_reach_delete_item *items = ice__calloc(BATCH, sizeof(*items));
	ice_buf names = ICE_BUF_INIT;
	size_t *offsets = ice__calloc(BATCH, sizeof(size_t));
	char key[ICE_PATHSET_MAX_KEY + 1];
	int deleters = st->o->threads > 0 ? st->o->threads : 8;
	int rc = 0;
	if (!items || !offsets)
		rc = ICE_ERROR;
	for (size_t i = 0; i < n && !rc;) {
		size_t m = 0;
		names.len = 0;
		for (; i < n && m < BATCH && !rc; i++) {
			uint8_t marks = ice_pathset__marks(st->listed, i);
			if (marks & REACHED)
				continue;
			if ((marks & CONFLICT) && st->o->prefix_mismatch != ICE_PREFIX_MISMATCH_DELETE)
				continue;
			size_t len;
			if ((rc = ice_pathset__key(st->listed, i, key, &len)) != 0)
				break;
			offsets[m] = names.len;
			ice_buf__put(&names, st->root, rl);
			ice_buf__putc(&names, '/');
			ice_buf__put(&names, key, len + 1);
			if (names.error)
				rc = names.error;
			m++;
		}
		for (size_t k = 0; k < m; k++)
			items[k] = (ice_reach_delete_item){names.ptr + offsets[k], ICE_FILE_OTHER};
		if (!rc && m)
			rc = ice_reach__delete(st->io, st->table_root, items, m, deleters, st->o->dry_run, st->o->on_file,
			                       st->o->file_payload, &st->progress, &st->report->files);
	}
	ice__free(names.ptr);
	ice__free(items);
	ice__free(offsets);
	return rc;
}

static int count_and_check(orphans *st)
{
	size_t n = ice_pathset__count(st->listed);
	for (size_t i = 0; i < n; i++) {
		uint8_t marks = ice_pathset__marks(st->listed, i);
		if (marks & CONFLICT)
			st->report->prefix_conflicts++;
		if (marks & REACHED)
			st->report->files_reachable++;
		else if (!(marks & CONFLICT) || st->o->prefix_mismatch == ICE_PREFIX_MISMATCH_DELETE)
			st->report->orphans++;
	}
	if (st->report->prefix_conflicts && st->o->prefix_mismatch == ICE_PREFIX_MISMATCH_ERROR) {
		ice_buf b = ICE_BUF_INIT;
		for (size_t i = 0; i < st->nconflicts; i++) {
			ice_buf__puts(&b, i ? "; " : "");
			ice_buf__puts(&b, st->conflicts[i]);
		}
		int rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                        "%s: %lld files are referenced under another scheme or authority (%s); nothing deleted: "
		                        "name equal schemes or authorities, or choose --prefix-mismatch ignore or delete",
		                        ice_table_identifier(st->table), (long long)st->report->prefix_conflicts,
		                        b.ptr ? b.ptr : "");
		ice__free(b.ptr);
		return rc;
	}
	return 0;
}

/* ---- the operation ----------------------------------------------------------------- */

void ice_orphan_options_init(ice_orphan_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

static int setup(orphans *st, ice_table *table, const ice_orphan_options *o)
{
	const ice_table_metadata *md = ice_table_current(table);
	int64_t now = o->now_ms ? o->now_ms : ice_maintain__now_ms();
	int rc;
	if (!ice_table_metadata_location(md))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "%s: the table has no location",
		                      ice_table_identifier(table));
	/* The metadata is replaced when the table is read again: keep copies. */
	if (!(st->table_root = ice__strdup(ice_table_metadata_location(md))))
		return ICE_ERROR;
	if (!getcwd(st->cwd, sizeof(st->cwd)))
		st->cwd[0] = '\0';
	if (!ice_maintain__gc_enabled(md))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "%s: cannot remove orphan files: gc.enabled is false (deleting files may corrupt other "
		                      "tables)",
		                      ice_table_identifier(table));
	st->older_than = o->has_older_than_ms ? o->older_than_ms : now - 3 * DAY_MS;
	if (st->older_than > now - HOUR_MS && !o->force)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "refusing an age guard under one hour: files younger than the guard may belong to "
		                      "commits in flight (--force to do it anyway)");
	const char *root = o->location ? o->location : st->table_root;
	size_t rl = strlen(root), tl = strlen(st->table_root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	while (tl > 1 && st->table_root[tl - 1] == '/')
		tl--;
	/* Another listing root must lie inside the table location. */
	if ((rl != tl || strncmp(root, st->table_root, rl) != 0) &&
	    (rc = ice_io__check_within(st->io, st->table_root, root)) != 0)
		return rc;
	if (!(st->root = ice__strndup(root, rl)))
		return ICE_ERROR;
	split(st->root, &st->root_uri);
	if (!(st->root_path = ice__malloc(st->root_uri.path_len + 1)))
		return ICE_ERROR;
	st->root_path_len = normalize_path(st->root_uri.path, st->root_uri.path_len, st->root_path);
	/* Partition directories that look hidden (a field named "_x" gives "_x=..."). */
	size_t nspecs = ice_table_metadata_spec_count(md), total = 0;
	for (size_t s = 0; s < nspecs; s++)
		total += ice_table_metadata_spec_at(md, s)->nfields;
	if (!(st->hidden_ok = ice__calloc(total + 1, sizeof(char *))))
		return ICE_ERROR;
	ice_buf__init(&st->hidden_names, ICE_BUF_DEFAULT_LIMIT);
	size_t offsets_n = 0;
	size_t *offsets = ice__calloc(total + 1, sizeof(size_t));
	if (!offsets)
		return ICE_ERROR;
	for (size_t s = 0; s < nspecs; s++) {
		const ice_partition_spec *spec = ice_table_metadata_spec_at(md, s);
		for (size_t f = 0; f < spec->nfields; f++) {
			const char *name = spec->fields[f].name;
			if (name && (name[0] == '_' || name[0] == '.')) {
				offsets[offsets_n++] = st->hidden_names.len;
				ice_buf__puts(&st->hidden_names, name);
				ice_buf__put(&st->hidden_names, "=", 2);
			}
		}
	}
	if (st->hidden_names.error) {
		ice__free(offsets);
		return st->hidden_names.error;
	}
	for (size_t k = 0; k < offsets_n; k++)
		st->hidden_ok[k] = st->hidden_names.ptr + offsets[k];
	st->nhidden_ok = offsets_n;
	ice__free(offsets);
	return 0;
}

int ice_table_remove_orphan_files(ice_table *table, const ice_orphan_options *opts, ice_orphan_report *report)
{
	ice_orphan_options defaults;
	orphans st;
	int rc;
	if (!opts) {
		ice_orphan_options_init(&defaults);
		opts = &defaults;
	}
	memset(report, 0, sizeof(*report));
	memset(&st, 0, sizeof(st));
	st.o = opts;
	st.io = ice_table_io(table);
	st.table = table;
	st.report = report;
	pthread_mutex_init(&st.mu, NULL);
	ice_reach__progress_init(&st.progress, opts->progress, opts->progress_payload);
	int readers = opts->threads > 0 ? opts->threads : 2 * ice_reach__cpu_threads();
	if ((rc = setup(&st, table, opts)) != 0)
		goto done;
	if ((rc = ice_pathset__new(&st.listed, opts->memory_bytes)) != 0 ||
	    (rc = ice_pathset__new(&st.lists_seen, opts->memory_bytes)) != 0 ||
	    (rc = ice_reach__walk_init(&st.walk, st.io, ice_table_current(table), readers, opts->memory_bytes,
	                               &st.progress)) != 0)
		goto done;
	ice_reach__progress_phase(&st.progress, "listing", -1);
	rc = ice_io_list_recursive(st.io, st.root, listed_one, &st);
	if (rc == ICE_ENOTFOUND && opts->location == NULL) {
		ice_error_clear(); /* a table without files of its own under its location */
		rc = 0;
	}
	if (rc || (rc = ice_pathset__seal(st.listed)) != 0)
		goto done;
	if ((rc = reach_all(&st)) != 0 || (rc = count_and_check(&st)) != 0)
		goto done;
	rc = delete_orphans(&st);
done:
	ice_reach__walk_free(&st.walk);
	ice_pathset__free(st.listed);
	ice_pathset__free(st.lists_seen);
	ice__free(st.root);
	ice__free(st.table_root);
	ice__free(st.root_path);
	ice__free(st.hidden_ok);
	ice__free(st.hidden_names.ptr);
	ice_reach__progress_destroy(&st.progress);
	pthread_mutex_destroy(&st.mu);
	return rc;
}
