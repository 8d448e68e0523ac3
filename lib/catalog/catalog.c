/*
 * catalog/catalog.c - opening catalogs by URI or configured name, the
 * configuration file, name checking, and dispatch through the vtable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io/io.h"
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

/* Calls fn(key, klen, value, vlen, payload) for each "key = value" line of
 * the config text (blank lines and '#' comments skipped); stops at the first
 * non-zero return. */
typedef int (*config_fn)(const char *k, size_t klen, const char *v, size_t vlen, void *payload);

static int config_foreach(const char *text, size_t len, const char *path, config_fn fn, void *payload)
{
	size_t line_no = 0;
	const char *p = text, *end = text + len;
	int rc = 0;
	while (p < end && !rc) {
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
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: line %zu: expected 'key = value'", path,
			                      line_no);
		const char *k = s, *v = eq + 1;
		size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
		ice_str__trim(&k, &klen);
		ice_str__trim(&v, &vlen);
		rc = fn(k, klen, v, vlen, payload);
	}
	return rc;
}

typedef struct get_state {
	const char *key;
	char *value;
} get_state;

static int get_one(const char *k, size_t klen, const char *v, size_t vlen, void *payload)
{
	get_state *g = payload;
	if (klen != strlen(g->key) || memcmp(k, g->key, klen) != 0)
		return 0;
	ice__free(g->value); /* the last one wins */
	return (g->value = ice__strndup(v, vlen)) ? 0 : ICE_ERROR;
}

/* The value of `key` in the config text, or NULL (allocated). */
static int config_get(const char *text, size_t len, const char *path, const char *key, char **out)
{
	get_state g = {key, NULL};
	int rc = config_foreach(text, len, path, get_one, &g);
	if (rc) {
		ice__free(g.value);
		g.value = NULL;
	}
	*out = g.value;
	return rc;
}

int ice_catalog_config_lookup(char **uri_out, const char *name)
{
	char *path = ice_catalog_config_path(), *def = NULL, key[512];
	uint8_t *data = NULL;
	size_t len = 0;
	ice_io *io = NULL;
	int rc;
	*uri_out = NULL;
	if (!path)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "no configuration file (set ICE_CONFIG or HOME)");
	if ((rc = ice_io_new(&io)) == 0)
		rc = ice_io_read_all(io, path, 1 << 20, &data, &len);
	ice_io_free(io);
	if (rc) {
		if (rc == ICE_ENOTFOUND)
			ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no catalog '%s' (no configuration file)",
			               path, name ? name : "(default)");
		ice__free(path);
		return rc;
	}
	if (!name) {
		if ((rc = config_get((const char *)data, len, path, "default-catalog", &def)) != 0)
			goto done;
		if (!def) {
			rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no default-catalog", path);
			goto done;
		}
		name = def;
	}
	snprintf(key, sizeof(key), "catalog.%s.uri", name);
	if ((rc = config_get((const char *)data, len, path, key, uri_out)) == 0 && !*uri_out)
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no catalog '%s' (no %s)", path, name, key);
done:
	ice__free(def);
	ice__free(data);
	ice__free(path);
	return rc;
}

/* Reads the configuration file (NULL text and 0 when there is none). */
static int config_read(char **path_out, uint8_t **data_out, size_t *len_out)
{
	char *path = ice_catalog_config_path();
	ice_io *io = NULL;
	int rc;
	*path_out = path;
	*data_out = NULL;
	*len_out = 0;
	if (!path)
		return 0;
	if ((rc = ice_io_new(&io)) == 0)
		rc = ice_io_read_all(io, path, 1 << 20, data_out, len_out);
	ice_io_free(io);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		rc = 0;
	}
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
static int config_apply(const char *text, size_t len, const char *path, const char *name, ice_io *io,
                        const ice_io *compare, size_t *count_out)
{
	apply_state a;
	a.plen = (size_t)snprintf(a.prefix, sizeof(a.prefix), "catalog.%s.", name);
	if (a.plen >= sizeof(a.prefix))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "catalog name too long");
	a.io = io;
	a.compare = compare;
	a.count = 0;
	int rc = config_foreach(text, len, path, apply_one, &a);
	*count_out = a.count;
	return rc;
}

/* The default catalog's name (allocated), or NULL. */
static int config_default(const char *text, size_t len, const char *path, char **out)
{
	return config_get(text, len, path, "default-catalog", out);
}

int ice_catalog_config_apply(ice_io *io, const char *name)
{
	char *path = NULL, *def = NULL;
	uint8_t *data = NULL;
	size_t len = 0, count = 0;
	int rc = config_read(&path, &data, &len);
	if (!rc && data && !name && (rc = config_default((const char *)data, len, path, &def)) == 0)
		name = def;
	if (!rc && data && name)
		rc = config_apply((const char *)data, len, path, name, io, NULL, &count);
	if (data)
		memset(data, 0, len);
	ice__free(data);
	ice__free(def);
	ice__free(path);
	return rc;
}

/* ---- opening ------------------------------------------------------------ */

static bool looks_like_name(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return *s != '\0';
}

int ice_catalog_open(ice_catalog **out, const ice_io *io, const char *uri)
{
	char *configured = NULL, *name = NULL;
	ice_io *owned = NULL;
	int rc;
	*out = NULL;
	if (!uri || !*uri)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "no catalog given");
	/* A bare word that is not an existing directory names a configured catalog. */
	if (!ice_uri__has_scheme(uri) && looks_like_name(uri)) {
		bool exists = false;
		ice_io_exists(io, uri, &exists);
		if (!exists) {
			/* A configured name wins; otherwise it is a new warehouse directory. */
			if ((rc = ice_catalog_config_lookup(&configured, uri)) == 0) {
				if (!(name = ice__strdup(uri))) {
					ice__free(configured);
					return ICE_ERROR;
				}
				uri = configured;
			} else if (rc == ICE_ENOTFOUND) {
				ice_error_clear();
			} else {
				return rc;
			}
		}
	}
	if (name) {
		/* The configured catalog's FileIO properties, on a copy of `io`. */
		char *path = NULL;
		uint8_t *data = NULL;
		size_t len = 0, count = 0;
		rc = config_read(&path, &data, &len);
		/* A copy only when `io` lacks some of them (the tool applied them). */
		if (!rc && data && (rc = config_apply((const char *)data, len, path, name, NULL, io, &count)) == 0 &&
		    count > 0 && (rc = ice_io_clone(&owned, io)) == 0)
			rc = config_apply((const char *)data, len, path, name, owned, NULL, &count);
		if (data)
			memset(data, 0, len);
		ice__free(data);
		ice__free(path);
		ice__free(name);
		if (rc) {
			ice_io_free(owned);
			ice__free(configured);
			return rc;
		}
		if (owned)
			io = owned;
	}
	if (ice_uri__is_local(uri) || ice_io__is_object_store(io, uri))
		rc = ice_fs_catalog__open(out, io, uri, false);
	else
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG,
		                    "%s: catalog scheme not supported yet (use a warehouse directory or s3:// location)", uri);
	if (!rc)
		(*out)->owned_io = owned;
	else
		ice_io_free(owned);
	ice__free(configured);
	return rc;
}

int ice_catalog_open_directory(ice_catalog **out, const ice_io *io)
{
	return ice_fs_catalog__open(out, io, "", true);
}

void ice_catalog_free(ice_catalog *c)
{
	if (c) {
		ice_io *owned = c->owned_io;
		c->ops->free(c);
		ice_io_free(owned);
	}
}

const char *ice_catalog_uri(const ice_catalog *c)
{
	return c->uri;
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

int ice_catalog_register_table(ice_catalog *c, const char *identifier, const ice_table_metadata *md, bool overwrite,
                               char **loc_out)
{
	*loc_out = NULL;
	return c->ops->register_table(c, identifier, md, overwrite, loc_out);
}

int ice_catalog_rename_table(ice_catalog *c, const char *from, const char *to)
{
	return c->ops->rename_table(c, from, to);
}
