/*
 * catalog/static_catalog.c - a catalog of metadata files: each identifier
 * is the location of one metadata file, which is the table (PyIceberg's
 * StaticTable). It is read-only: a metadata file is one version of a table,
 * and nothing knows which file is current, so there is nothing to commit
 * to. What a TABLE argument naming a metadata file uses, so reads go
 * through the catalog vtable like every other form.
 */
#include <string.h>

#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/error.h"

static int read_only(const char *what)
{
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG,
	                      "%s: a metadata file is one version of a table and read-only; name the table by its "
	                      "directory or catalog name",
	                      what ? what : "metadata file");
}

static int st_create_namespace(ice_catalog *c, const char *ns, const ice_properties *props)
{
	(void)c;
	(void)props;
	return read_only(ns);
}

static int st_list_namespaces(ice_catalog *c, const char *parent, ice_string_list *out)
{
	(void)c;
	(void)out;
	return read_only(parent);
}

static int st_namespace_exists(ice_catalog *c, const char *ns, bool *exists_out)
{
	(void)c;
	(void)ns;
	*exists_out = false;
	return 0;
}

static int st_drop_namespace(ice_catalog *c, const char *ns)
{
	(void)c;
	return read_only(ns);
}

static int st_load_namespace_properties(ice_catalog *c, const char *ns, ice_properties *out)
{
	(void)c;
	(void)out;
	return read_only(ns);
}

static int st_update_namespace_properties(ice_catalog *c, const char *ns, const ice_properties *set,
                                          const char *const *remove, size_t nremove)
{
	(void)c;
	(void)set;
	(void)remove;
	(void)nremove;
	return read_only(ns);
}

static int st_list_tables(ice_catalog *c, const char *ns, ice_string_list *out)
{
	(void)c;
	(void)out;
	return read_only(ns);
}

static int st_table_exists(ice_catalog *c, const char *identifier, bool *exists_out)
{
	bool is_dir = false;
	int rc = ice_io__stat(c->io, identifier, exists_out, &is_dir);
	if (!rc && is_dir)
		*exists_out = false;
	return rc;
}

static int st_default_location(ice_catalog *c, const char *identifier, char **out)
{
	(void)c;
	(void)out;
	return read_only(identifier);
}

static int st_load_metadata(ice_catalog *c, const char *identifier, ice_table_metadata **md_out, char **loc_out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	/* A missing file keeps the io's own error (the store's status). */
	int rc = ice_io_read_all(c->io, identifier, 0, &data, &len);
	if (!rc)
		rc = ice_table_metadata_parse(md_out, data, len, identifier);
	ice__free(data);
	if (!rc && !(*loc_out = ice__strdup(identifier))) {
		ice_table_metadata_free(*md_out);
		*md_out = NULL;
		rc = ICE_ERROR;
	}
	return rc;
}

static int st_create_table(ice_catalog *c, const char *identifier, const ice_table_metadata *md, char **loc_out)
{
	(void)c;
	(void)md;
	(void)loc_out;
	return read_only(identifier);
}

static int st_commit(ice_catalog *c, const char *identifier, const ice_table_metadata *base, const char *base_location,
                     const ice_table_requirements *reqs, const ice_metadata_builder *changes,
                     const ice_table_metadata *next, char **loc_out)
{
	(void)c;
	(void)base;
	(void)base_location;
	(void)reqs;
	(void)changes;
	(void)next;
	(void)loc_out;
	return read_only(identifier);
}

static int st_drop_table(ice_catalog *c, const char *identifier, bool purge, ice_drop_report *report)
{
	(void)c;
	(void)purge;
	(void)report;
	return read_only(identifier);
}

static void st_free(ice_catalog *c)
{
	ice__free(c->uri);
	ice__free(c);
}

static const ice_catalog_ops static_ops = {
	.create_namespace = st_create_namespace,
	.list_namespaces = st_list_namespaces,
	.namespace_exists = st_namespace_exists,
	.drop_namespace = st_drop_namespace,
	.load_namespace_properties = st_load_namespace_properties,
	.update_namespace_properties = st_update_namespace_properties,
	.list_tables = st_list_tables,
	.table_exists = st_table_exists,
	.default_location = st_default_location,
	.load_metadata = st_load_metadata,
	.create_table = st_create_table,
	.commit = st_commit,
	.drop_table = st_drop_table,
	.free = st_free,
};

int ice_static_catalog__open(ice_catalog **out, const ice_io *io)
{
	ice_catalog *c = ice__calloc(1, sizeof(*c));
	*out = NULL;
	if (!c || !(c->uri = ice__strdup(""))) {
		ice__free(c);
		return ICE_ERROR;
	}
	c->ops = &static_ops;
	c->io = io;
	*out = c;
	return 0;
}
