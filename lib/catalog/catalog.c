/*
 * catalog/catalog.c - opening catalogs by URI or configured name, the
 * configuration file, name checking, and dispatch through the vtable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io/io.h"
#include "util/buf.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"

void ice_string_list_free(ice_string_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		ice__free(list->items[i]);
	ice__free(list->items);
	list->items = NULL;
	list->n = 0;
}

void ice_catalog__free_levels(char **levels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ice__free(levels[i]);
	ice__free(levels);
}

int ice_catalog__split(const char *name, char ***levels_out, size_t *n_out)
{
	char **levels = NULL;
	size_t n = 0;
	const char *p = name;
	*levels_out = NULL;
	*n_out = 0;
	if (!name || !*name)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "empty name");
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		char **nl;
		if (len == 0 || p[0] == '.' || memchr(p, '/', len) || memchr(p, '\\', len)) {
			ice_catalog__free_levels(levels, n);
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                      "'%s': invalid name (empty level, or '/' in a level)", name);
		}
		if (!(nl = ice__reallocarray(levels, n + 1, sizeof(char *))) || !(nl[n] = ice__strndup(p, len))) {
			if (nl)
				levels = nl;
			ice_catalog__free_levels(levels, n);
			return ICE_ERROR;
		}
		levels = nl;
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	*levels_out = levels;
	*n_out = n;
	return 0;
}

/* ---- configuration ----------------------------------------------------- */

char *ice_catalog_config_path(void)
{
	const char *env = getenv("ICE_CONFIG");
	char buf[4096];
	if (env && *env)
		return ice__strdup(env);
	if ((env = getenv("XDG_CONFIG_HOME")) && *env) {
		snprintf(buf, sizeof(buf), "%s/ice/config", env);
		return ice__strdup(buf);
	}
	if ((env = getenv("HOME")) && *env) {
		snprintf(buf, sizeof(buf), "%s/.config/ice/config", env);
		return ice__strdup(buf);
	}
	return NULL;
}

/* The configuration file as text. ICE_ENOTFOUND when there is none where
 * it is looked for by default; ICE_EINVALID when $ICE_CONFIG names a file
 * that does not exist (a setting that points nowhere is a mistake, not an
 * absence). */
typedef struct config {
	char *path;
	uint8_t *data;
	size_t len;
} config;

static void config_free(config *c)
{
	ice__free(c->path);
	ice__free(c->data);
	memset(c, 0, sizeof(*c));
}

static int config_read(config *c)
{
	const char *env = getenv("ICE_CONFIG");
	ice_io *io = NULL;
	int rc;
	memset(c, 0, sizeof(*c));
	if (!(c->path = ice_catalog_config_path())) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		if ((env && *env) || (xdg && *xdg) || (home && *home))
			return ICE_ERROR; /* out of memory */
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "no configuration file (set ICE_CONFIG or HOME)");
	}
	if ((rc = ice_io_new(&io)) == 0)
		rc = ice_io_read_all(io, c->path, 1 << 20, &c->data, &c->len);
	ice_io_free(io);
	if (rc == ICE_ENOTFOUND) {
		if (env && *env)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                    "%s: no such configuration file (named by ICE_CONFIG)", c->path);
		else
			rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no configuration file", c->path);
	}
	return rc; /* the caller frees `c` (its path names the file in messages) */
}

/* Calls fn(key, value) for each 'key = value' line; a line without '='
 * is an error naming the file and line. */
typedef int (*config_fn)(const char *k, size_t klen, const char *v, size_t vlen, void *arg);

static int config_each(const config *c, config_fn fn, void *arg)
{
	size_t line_no = 0;
	const char *p = (const char *)c->data, *end = p + c->len;
	int rc;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p;
		size_t n = (size_t)((nl ? nl : end) - p);
		line_no++;
		p = nl ? nl + 1 : end;
		ice_str__trim(&s, &n);
		if (n == 0 || s[0] == '#')
			continue;
		const char *eq = memchr(s, '=', n);
		if (!eq)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: line %zu: expected 'key = value'",
			                      c->path, line_no);
		const char *k = s, *v = eq + 1;
		size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
		ice_str__trim(&k, &klen);
		ice_str__trim(&v, &vlen);
		if ((rc = fn(k, klen, v, vlen, arg)) != 0)
			return rc;
	}
	return 0;
}

typedef struct config_get_arg {
	const char *key;
	char *value;
} config_get_arg;

static int get_one(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	config_get_arg *a = arg;
	if (klen != strlen(a->key) || memcmp(k, a->key, klen) != 0)
		return 0;
	ice__free(a->value); /* the last line wins */
	return (a->value = ice__strndup(v, vlen)) ? 0 : ICE_ERROR;
}

/* The value of `key` (allocated), or NULL when the file does not set it. */
static int config_get(const config *c, const char *key, char **out)
{
	config_get_arg a = {key, NULL};
	int rc = config_each(c, get_one, &a);
	if (rc) {
		ice__free(a.value);
		a.value = NULL;
	}
	*out = a.value;
	return rc;
}

static int list_catalog(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	ice_string_list *l = arg;
	char **items;
	(void)v;
	(void)vlen;
	if (klen <= 12 || memcmp(k, "catalog.", 8) != 0 || memcmp(k + klen - 4, ".uri", 4) != 0)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->items[i]) == klen - 12 && memcmp(l->items[i], k + 8, klen - 12) == 0)
			return 0;
	if (!(items = ice__reallocarray(l->items, l->n + 1, sizeof(char *))))
		return ICE_ERROR;
	l->items = items;
	if (!(items[l->n] = ice__strndup(k + 8, klen - 12)))
		return ICE_ERROR;
	l->n++;
	return 0;
}

static int config_names(const config *c, ice_string_list *out)
{
	int rc;
	out->n = 0;
	out->items = NULL;
	if ((rc = config_each(c, list_catalog, out)) != 0)
		ice_string_list_free(out);
	return rc;
}

/* "a, b" (or "none"), for messages; allocated. */
static char *names_text(const config *c)
{
	ice_string_list l;
	ice_buf b = ICE_BUF_INIT;
	if (config_names(c, &l) != 0)
		return NULL;
	for (size_t i = 0; i < l.n; i++) {
		ice_buf__puts(&b, i ? ", " : "");
		ice_buf__puts(&b, l.items[i]);
	}
	if (!l.n)
		ice_buf__puts(&b, "none");
	ice_string_list_free(&l);
	return ice_buf__detach(&b, NULL);
}

int ice_catalog_config_list(ice_string_list *names_out, char **default_out)
{
	config c;
	int rc;
	names_out->n = 0;
	names_out->items = NULL;
	if (default_out)
		*default_out = NULL;
	if ((rc = config_read(&c)) != 0) {
		config_free(&c);
		return rc;
	}
	if ((rc = config_names(&c, names_out)) == 0 && default_out &&
	    (rc = config_get(&c, "default-catalog", default_out)) != 0)
		ice_string_list_free(names_out);
	config_free(&c);
	return rc;
}

/* The URI of catalog `name` (*uri_out NULL when the file has none). */
static int config_uri(const config *c, const char *name, char **uri_out)
{
	char key[512];
	if (snprintf(key, sizeof(key), "catalog.%s.uri", name) >= (int)sizeof(key)) {
		*uri_out = NULL;
		return 0;
	}
	return config_get(c, key, uri_out);
}

/* The default catalog's name and URI. ICE_ENOTFOUND when there is no
 * configuration file or it names no default; ICE_EINVALID when the default
 * it names is not configured. */
static int config_default(const config *c, char **name_out, char **uri_out)
{
	int rc;
	*name_out = *uri_out = NULL;
	if ((rc = config_get(c, "default-catalog", name_out)) != 0)
		return rc;
	if (!*name_out)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no default-catalog", c->path);
	if ((rc = config_uri(c, *name_out, uri_out)) == 0 && !*uri_out) {
		char *names = names_text(c);
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
		                    "%s: default-catalog '%s' is not configured (no catalog.%s.uri; configured: %s)", c->path,
		                    *name_out, *name_out, names ? names : "?");
		ice__free(names);
	}
	if (rc) {
		ice__free(*name_out);
		*name_out = NULL;
	}
	return rc;
}

int ice_catalog_config_lookup(char **uri_out, const char *name)
{
	config c;
	char *def = NULL;
	int rc;
	*uri_out = NULL;
	if ((rc = config_read(&c)) != 0) {
		if (rc == ICE_ENOTFOUND)
			ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no catalog '%s' (no configuration file)",
			               c.path ? c.path : "config", name ? name : "(default)");
		config_free(&c);
		return rc;
	}
	if (!name) {
		rc = config_default(&c, &def, uri_out);
	} else if ((rc = config_uri(&c, name, uri_out)) == 0 && !*uri_out) {
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no catalog '%s' (no catalog.%s.uri)", c.path,
		                    name, name);
	}
	ice__free(def);
	config_free(&c);
	return rc;
}

typedef struct apply_state {
	char prefix[512];
	size_t plen;
	ice_io *io;
	const ice_io *compare;
	size_t count;
} apply_state;

static int apply_one(const char *k, size_t klen, const char *v, size_t vlen, void *payload)
{
	apply_state *a = payload;
	int rc = 0;
	if (klen <= a->plen || memcmp(k, a->prefix, a->plen) != 0 ||
	    (klen - a->plen == 3 && !memcmp(k + a->plen, "uri", 3)))
		return 0;
	char *key = ice__strndup(k + a->plen, klen - a->plen), *value = ice__strndup(v, vlen);
	if (!key || !value) {
		rc = ICE_ERROR;
	} else if (strncmp(key, "s3.", 3) == 0 || strcmp(key, "client.region") == 0) {
		const char *have = a->compare ? ice_io_property(a->compare, key) : NULL;
		if (a->io)
			rc = ice_io_set_property(a->io, key, value);
		if (a->io || !have || strcmp(have, value) != 0)
			a->count++;
	}
	if (value)
		memset(value, 0, vlen); /* it may be a secret */
	ice__free(key);
	ice__free(value);
	return rc;
}

/* Sets every FileIO property of catalog `name` on `io` (*count_out: how
 * many); with `io` NULL only counts those that `compare` does not have. */
static int config_apply(const config *c, const char *name, ice_io *io, const ice_io *compare, size_t *count_out)
{
	apply_state a;
	a.plen = (size_t)snprintf(a.prefix, sizeof(a.prefix), "catalog.%s.", name);
	if (a.plen >= sizeof(a.prefix))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "catalog name too long");
	a.io = io;
	a.compare = compare;
	a.count = 0;
	int rc = config_each(c, apply_one, &a);
	*count_out = a.count;
	return rc;
}

/* Wipes the text (it may hold secrets) and frees it. */
static void config_free_secret(config *c)
{
	if (c->data)
		memset(c->data, 0, c->len);
	config_free(c);
}

int ice_catalog_config_apply(ice_io *io, const char *name)
{
	config c;
	char *def = NULL;
	size_t count = 0;
	int rc = config_read(&c);
	if (rc == ICE_ENOTFOUND || rc == ICE_EINVALID) {
		/* No configuration file sets nothing; opening a catalog reports it. */
		ice_error_clear();
		config_free(&c);
		return 0;
	}
	if (!rc && !name && (rc = config_get(&c, "default-catalog", &def)) == 0)
		name = def;
	if (!rc && name)
		rc = config_apply(&c, name, io, NULL, &count);
	config_free_secret(&c);
	ice__free(def);
	return rc;
}

/* A configured catalog's FileIO properties on a copy of `io` (*owned_out
 * NULL when `io` already has them all: the tool applied them). */
static int configured_io(ice_io **owned_out, const ice_io *io, const char *name)
{
	config c;
	size_t count = 0;
	int rc = config_read(&c);
	*owned_out = NULL;
	if (!rc && (rc = config_apply(&c, name, NULL, io, &count)) == 0 && count > 0 &&
	    (rc = ice_io_clone(owned_out, io)) == 0)
		rc = config_apply(&c, name, *owned_out, NULL, &count);
	config_free_secret(&c);
	if (rc) {
		ice_io_free(*owned_out);
		*owned_out = NULL;
	}
	return rc;
}

/* ---- opening ------------------------------------------------------------ */

/* What a catalog name in the configuration file may be. */
static bool looks_like_name(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return *s != '\0';
}

/* A word without '/' or a scheme: a configured name, or an existing
 * directory; anything else is a mistake (nothing is created for it). */
static int open_word(ice_catalog **out, const ice_io *io, const char *word)
{
	config c;
	char *uri = NULL, *names = NULL;
	bool exists = false, is_dir = false;
	int rc = config_read(&c);
	if (rc && rc != ICE_ENOTFOUND) {
		config_free(&c);
		return rc;
	}
	if (rc == ICE_ENOTFOUND)
		ice_error_clear(); /* no configuration file: only a directory will do */
	else if (looks_like_name(word) && (rc = config_uri(&c, word, &uri)) != 0)
		goto done;
	rc = 0;
	if (uri) {
		rc = ice_catalog__open_uri(out, io, uri, word);
		goto done;
	}
	if ((rc = ice_io__stat(io, word, &exists, &is_dir)) != 0)
		goto done;
	if (exists && is_dir) {
		rc = ice_catalog__open_uri(out, io, word, NULL);
		goto done;
	}
	if (c.path && c.data)
		names = names_text(&c);
	if (c.data)
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG,
		                    "%s: no catalog '%s' in %s (configured: %s) and no warehouse directory '%s' "
		                    "(ice catalog init PATH makes one)",
		                    word, word, c.path, names ? names : "?", word);
	else
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG,
		                    "%s: no catalog '%s' (no configuration file %s) and no warehouse directory '%s' "
		                    "(ice catalog init PATH makes one)",
		                    word, word, c.path ? c.path : "(set ICE_CONFIG or HOME)", word);
done:
	ice__free(names);
	ice__free(uri);
	config_free(&c);
	return rc;
}

/* Every catalog.<name>.<key> of the configuration file as <key> = value
 * (a REST catalog's client properties). */
typedef struct config_props_arg {
	const char *prefix;
	ice_property *items;
	size_t n;
} config_props_arg;

static int collect_one(const char *k, size_t kl, const char *v, size_t vl, void *payload)
{
	config_props_arg *a = payload;
	size_t pl = strlen(a->prefix);
	if (kl <= pl || strncmp(k, a->prefix, pl) != 0)
		return 0;
	ice_property *ni = ice__reallocarray(a->items, a->n + 1, sizeof(*ni));
	if (!ni)
		return ICE_ERROR;
	a->items = ni;
	ni[a->n].key = ice__strndup(k + pl, kl - pl);
	ni[a->n].value = ice__strndup(v, vl);
	a->n++;
	return ni[a->n - 1].key && ni[a->n - 1].value ? 0 : ICE_ERROR;
}

static int config_catalog_properties(const char *name, ice_properties *out)
{
	char prefix[512];
	config c;
	config_props_arg a = {prefix, NULL, 0};
	int rc;
	snprintf(prefix, sizeof(prefix), "catalog.%s.", name);
	rc = config_read(&c);
	if (!rc)
		rc = config_each(&c, collect_one, &a);
	config_free_secret(&c);
	out->items = a.items;
	out->n = a.n;
	if (rc)
		ice_catalog_properties_free(out);
	return rc;
}

static bool is_http(const char *uri)
{
	return strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0;
}

/* `uri` by its scheme: `name` is the configured name it came from (its
 * FileIO properties go on a copy of `io`, its other keys to a REST client),
 * `props` a REST client's properties given by the caller (may be NULL). */
static int open_uri(ice_catalog **out, const ice_io *io, const char *uri, const char *name,
                    const ice_properties *props)
{
	ice_io *owned = NULL;
	ice_properties configured = {0, NULL};
	int rc = name ? configured_io(&owned, io, name) : 0;
	if (rc)
		return rc;
	if (owned)
		io = owned;
	if (ice_uri__is_local(uri) || ice_io__is_object_store(io, uri)) {
		rc = ice_fs_catalog__open(out, io, uri, false);
	} else if (!is_http(uri)) {
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG,
		                    "%s: catalog scheme not supported (a warehouse directory, an s3:// location, or an "
		                    "http(s):// REST catalog)",
		                    uri);
	} else if (props) {
		rc = ice_rest_catalog__open(out, io, uri, name, props);
	} else if (!name || (rc = config_catalog_properties(name, &configured)) == 0) {
		rc = ice_rest_catalog__open(out, io, uri, name, &configured);
		ice_catalog_properties_free(&configured);
	}
	if (rc) {
		ice_io_free(owned);
		return rc;
	}
	(*out)->owned_io = owned;
	if (name && !((*out)->name = ice__strdup(name))) {
		ice_catalog_free(*out);
		*out = NULL;
		rc = ICE_ERROR;
	}
	return rc;
}

int ice_catalog__open_uri(ice_catalog **out, const ice_io *io, const char *uri, const char *name)
{
	return open_uri(out, io, uri, name, NULL);
}

int ice_catalog_open_with(ice_catalog **out, const ice_io *io, const char *uri, const ice_properties *props)
{
	*out = NULL;
	if (!uri || !*uri)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "no catalog given");
	return open_uri(out, io, uri, NULL, props);
}

int ice_catalog_open(ice_catalog **out, const ice_io *io, const char *uri)
{
	*out = NULL;
	if (!uri || !*uri) {
		/* The configuration file's default catalog. */
		config c;
		char *name = NULL, *def_uri = NULL;
		int rc = config_read(&c);
		if (rc == ICE_ENOTFOUND)
			rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG,
			                    "no catalog: give --catalog, set ICE_CATALOG, or set default-catalog in %s",
			                    c.path ? c.path : "~/.config/ice/config");
		if (!rc && (rc = config_default(&c, &name, &def_uri)) == 0)
			rc = ice_catalog__open_uri(out, io, def_uri, name);
		ice__free(name);
		ice__free(def_uri);
		config_free(&c);
		return rc;
	}
	if (!ice_uri__has_scheme(uri) && !strchr(uri, '/'))
		return open_word(out, io, uri);
	return ice_catalog__open_uri(out, io, uri, NULL);
}

int ice_catalog_init(ice_catalog **out, const ice_io *io, const char *uri)
{
	int rc;
	*out = NULL;
	if (!uri || !*uri)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "no warehouse given");
	if (ice_uri__is_local(uri)) {
		char *path = NULL;
		if ((rc = ice_io__local_path(&path, io, uri)) == 0)
			rc = ice_io__make_dirs(path);
		ice__free(path);
		if (rc)
			return rc;
	}
	return ice_catalog__open_uri(out, io, uri, NULL);
}

int ice_catalog_open_directory(ice_catalog **out, const ice_io *io)
{
	return ice_fs_catalog__open(out, io, "", true);
}

void ice_catalog_free(ice_catalog *c)
{
	if (c) {
		char *name = c->name;
		ice_io *owned = c->owned_io;
		c->ops->free(c);
		ice__free(name);
		ice_io_free(owned);
	}
}

const char *ice_catalog_uri(const ice_catalog *c)
{
	return c->uri;
}

const char *ice_catalog_name(const ice_catalog *c)
{
	return c->name;
}

int ice_catalog_create_namespace(ice_catalog *c, const char *ns, const ice_properties *props)
{
	return c->ops->create_namespace(c, ns, props);
}

int ice_catalog_list_namespaces(ice_catalog *c, const char *parent, ice_string_list *out)
{
	out->n = 0;
	out->items = NULL;
	return c->ops->list_namespaces(c, parent, out);
}

int ice_catalog_namespace_exists(ice_catalog *c, const char *ns, bool *exists_out)
{
	return c->ops->namespace_exists(c, ns, exists_out);
}

int ice_catalog_drop_namespace(ice_catalog *c, const char *ns)
{
	return c->ops->drop_namespace(c, ns);
}

int ice_catalog_load_namespace_properties(ice_catalog *c, const char *ns, ice_properties *out)
{
	out->n = 0;
	out->items = NULL;
	return c->ops->load_namespace_properties(c, ns, out);
}

void ice_catalog_properties_free(ice_properties *props)
{
	if (!props)
		return;
	for (size_t i = 0; i < props->n; i++) {
		ice__free((char *)props->items[i].key);
		ice__free((char *)props->items[i].value);
	}
	ice__free((ice_property *)props->items);
	props->items = NULL;
	props->n = 0;
}

int ice_catalog_update_namespace_properties(ice_catalog *c, const char *ns, const ice_properties *set,
                                            const char *const *remove, size_t nremove)
{
	return c->ops->update_namespace_properties(c, ns, set, remove, nremove);
}

int ice_catalog_list_tables(ice_catalog *c, const char *ns, ice_string_list *out)
{
	out->n = 0;
	out->items = NULL;
	return c->ops->list_tables(c, ns, out);
}

int ice_catalog_table_exists(ice_catalog *c, const char *identifier, bool *exists_out)
{
	return c->ops->table_exists(c, identifier, exists_out);
}

int ice_catalog_default_location(ice_catalog *c, const char *identifier, char **out)
{
	*out = NULL;
	return c->ops->default_location(c, identifier, out);
}

int ice_catalog_load_metadata(ice_catalog *c, const char *identifier, ice_table_metadata **md_out, char **loc_out)
{
	*md_out = NULL;
	*loc_out = NULL;
	return c->ops->load_metadata(c, identifier, md_out, loc_out);
}

int ice_catalog_create_table(ice_catalog *c, const char *identifier, const ice_table_metadata *md, char **loc_out)
{
	*loc_out = NULL;
	return c->ops->create_table(c, identifier, md, loc_out);
}

int ice_catalog_commit(ice_catalog *c, const char *identifier, const ice_table_metadata *base,
                       const char *base_location, const ice_table_requirements *reqs,
                       const ice_metadata_builder *changes, const ice_table_metadata *next, char **loc_out)
{
	*loc_out = NULL;
	return c->ops->commit(c, identifier, base, base_location, reqs, changes, next, loc_out);
}

int ice_catalog_drop_table(ice_catalog *c, const char *identifier, bool purge, ice_drop_report *report)
{
	ice_drop_report local;
	memset(&local, 0, sizeof(local));
	int rc = c->ops->drop_table(c, identifier, purge, &local);
	if (report)
		*report = local;
	return rc;
}

/* ---- the table layer's entry points ------------------------------------------------------ */

void ice_catalog_table__free(ice_catalog_table *t)
{
	if (!t)
		return;
	ice_table_metadata_free(t->md);
	ice__free(t->metadata_location);
	for (size_t i = 0; i < t->io_props.n; i++) {
		/* Vended credentials: wiped before they go. */
		char *v = (char *)t->io_props.items[i].value;
		if (v)
			memset(v, 0, strlen(v));
	}
	ice_catalog_properties_free(&t->io_props);
	memset(t, 0, sizeof(*t));
}

int ice_catalog__load_table(ice_catalog *c, const char *identifier, unsigned flags, ice_catalog_table *out)
{
	memset(out, 0, sizeof(*out));
	if (c->ops->load_table)
		return c->ops->load_table(c, identifier, flags, out);
	return c->ops->load_metadata(c, identifier, &out->md, &out->metadata_location);
}

int ice_catalog__create_table(ice_catalog *c, const char *identifier, const ice_table_metadata *md,
                              bool location_given, ice_catalog_table *out)
{
	memset(out, 0, sizeof(*out));
	if (c->ops->create_table_ex)
		return c->ops->create_table_ex(c, identifier, md, location_given, false, out);
	/* out->md stays NULL: what was created is `md`. */
	return c->ops->create_table(c, identifier, md, &out->metadata_location);
}

bool ice_catalog__stages_creates(const ice_catalog *c)
{
	return c->ops->create_table_ex != NULL && c->ops->commit_ex != NULL;
}

int ice_catalog__stage_create(ice_catalog *c, const char *identifier, const ice_table_metadata *md,
                              bool location_given, ice_catalog_table *out)
{
	memset(out, 0, sizeof(*out));
	if (!ice_catalog__stages_creates(c))
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG, "%s: the catalog cannot stage a create",
		                      c->uri);
	return c->ops->create_table_ex(c, identifier, md, location_given, true, out);
}

int ice_catalog__commit(ice_catalog *c, const ice_catalog_change *ch, ice_catalog_table *out)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if (c->ops->commit_ex)
		return c->ops->commit_ex(c, ch, out);
	if (ch->create)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG, "%s: the catalog cannot stage a create",
		                      c->uri);
	if ((rc = c->ops->commit(c, ch->identifier, ch->base, ch->base_location, ch->requirements, ch->changes,
	                         ch->next, &out->metadata_location)) != 0)
		return rc;
	/* The caller keeps `next`: what was committed. */
	return 0;
}

int ice_catalog__commit_transaction(ice_catalog *c, const ice_catalog_change *changes, size_t n,
                                    ice_catalog_table *outs)
{
	for (size_t i = 0; i < n; i++)
		memset(&outs[i], 0, sizeof(outs[i]));
	if (!c->ops->commit_transaction)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG,
		                      "%s: this catalog cannot commit several tables at once", c->uri);
	return c->ops->commit_transaction(c, changes, n, outs);
}

bool ice_catalog__takes_metrics(const ice_catalog *c)
{
	return c->ops->report_metrics != NULL;
}

int ice_catalog__report_metrics(ice_catalog *c, const char *identifier, const char *report, size_t len)
{
	if (!c->ops->report_metrics)
		return 0;
	return c->ops->report_metrics(c, identifier, report, len);
}

int ice_catalog_register_table(ice_catalog *c, const char *identifier, const char *metadata_location,
                               const ice_table_metadata *md, bool overwrite, char **loc_out)
{
	*loc_out = NULL;
	if (!c->ops->register_table)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG, "%s: this catalog cannot register tables",
		                      c->uri);
	return c->ops->register_table(c, identifier, metadata_location, md, overwrite, loc_out);
}

int ice_catalog_rename_table(ice_catalog *c, const char *from, const char *to)
{
	if (!c->ops->rename_table)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG, "%s: this catalog cannot rename tables",
		                      c->uri);
	return c->ops->rename_table(c, from, to);
}
