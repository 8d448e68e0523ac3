/*
 * rest/catalog.c - namespaces and tables of a REST catalog behind the
 * catalog vtable (spec "Catalog API"): listings follow next-page-token to
 * the end, existence checks use HEAD where the server offers it (else GET),
 * loads ask for snapshots=refs when refs are enough (and the catalog is in
 * that mode or the caller says so), loads, creates and registrations send
 * X-Iceberg-Access-Delegation and keep what LoadTableResult vends: the
 * table's FileIO properties and a token for its requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uri.h"

#define R_NAMESPACES "/v1/{prefix}/namespaces"
#define R_NAMESPACE "/v1/{prefix}/namespaces/{namespace}"
#define R_TABLES "/v1/{prefix}/namespaces/{namespace}/tables"
#define R_TABLE "/v1/{prefix}/namespaces/{namespace}/tables/{table}"

static ice_rest_catalog *rest(ice_catalog *base)
{
	return (ice_rest_catalog *)base;
}

/* JSON bodies: a writer whose text the call borrows until freed. */
static int finish_body(ice_json_writer *w, ice_rest_call *call)
{
	const char *text;
	size_t len;
	int rc = ice_json_writer_finish(w, &text, &len);
	if (!rc) {
		call->body = text;
		call->body_len = len;
	}
	return rc;
}

static void write_props(ice_json_writer *w, const ice_properties *props)
{
	ice_json_begin_object(w);
	for (size_t i = 0; props && i < props->n; i++) {
		ice_json_key(w, props->items[i].key);
		ice_json_string(w, props->items[i].value);
	}
	ice_json_end_object(w);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- namespaces ------------------------------------------------------------------------ */

static int namespace_url(ice_rest_catalog *c, ice_buf *url, const char *ns, const char *tail)
{
	int rc = ice_rest__url(c, url);
	if (!rc) {
		ice_buf__puts(url, "namespaces/");
		if ((rc = ice_rest__put_namespace(c, url, ns)) == 0 && tail)
			rc = ice_buf__puts(url, tail);
	}
	return rc;
}

static int rest_create_namespace(ice_catalog *base, const char *ns, const ice_properties *props)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	ice_json_writer w;
	int rc;
	char **levels;
	size_t n;
	if ((rc = ice_catalog__split(ns, &levels, &n)) != 0)
		return rc;
	ice_catalog__free_levels(levels, n);
	ice_rest_call__init(&call, "POST", "POST " R_NAMESPACES, "create namespace %s", ns);
	ice_jw__init(&w, 0);
	ice_json_begin_object(&w);
	ice_json_key(&w, "namespace");
	ice_rest__write_namespace(&w, ns, strlen(ns));
	ice_json_key(&w, "properties");
	write_props(&w, props);
	ice_json_end_object(&w);
	call.mutation = true;
	if ((rc = finish_body(&w, &call)) == 0 && (rc = ice_rest__url(c, &call.url)) == 0) {
		ice_buf__puts(&call.url, "namespaces");
		rc = ice_rest__exchange(c, &call, ICE_REST_NAMESPACE);
	}
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	return rc;
}

/* Paging (pageToken): a server that hands back the token it was given, or
 * pages without end, is refused rather than followed forever. */
static int next_page(const ice_rest_catalog *c, const char *what, const char *ns, int page, const char *next,
                     const char *token)
{
	if (next && token && strcmp(next, token) == 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
		                      "%s: %s%s: the server returned the same page token again", c->label, what, ns);
	if (next && page >= 100000)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: %s%s: too many pages", c->label, what, ns);
	return 0;
}

/* After the last page: the names sorted, or nothing on failure. */
static int pages_done(ice_string_list *out, char *token, int rc)
{
	ice__free(token);
	if (rc)
		ice_string_list_free(out);
	else if (out->n > 1)
		qsort(out->items, out->n, sizeof(char *), cmp_str);
	return rc;
}

static int rest_list_namespaces(ice_catalog *base, const char *parent, ice_string_list *out)
{
	ice_rest_catalog *c = rest(base);
	char *token = NULL;
	int rc = 0;
	if (parent && *parent) {
		char **levels;
		size_t n;
		if ((rc = ice_catalog__split(parent, &levels, &n)) != 0)
			return rc;
		ice_catalog__free_levels(levels, n);
	}
	for (int page = 0; !rc; page++) {
		ice_rest_call call;
		char *next = NULL;
		ice_rest_call__init(&call, "GET", "GET " R_NAMESPACES, "list namespaces%s%s", parent && *parent ? " in " : "",
		                    parent && *parent ? parent : "");
		ice_rest__url(c, &call.url);
		ice_buf__puts(&call.url, "namespaces?pageToken=");
		if (token)
			ice_http__url_encode(&call.url, token, strlen(token), false);
		if (parent && *parent) {
			ice_buf__puts(&call.url, "&parent=");
			ice_rest__put_namespace(c, &call.url, parent);
		}
		if ((rc = ice_rest__exchange(c, &call, ICE_REST_NAMESPACE)) == 0 &&
		    (rc = ice_rest__parse_namespaces(out, &next, call.resp.body.ptr, call.resp.body.len, call.what)) != 0)
			ice_error__prefix("%s", c->label);
		ice_rest_call__free(&call);
		if (!rc)
			rc = next_page(c, "list namespaces", "", page, next, token);
		ice__free(token);
		token = next;
		if (!token)
			break;
	}
	return pages_done(out, token, rc);
}

/* HEAD where the server offers it, else GET: *exists_out from 2xx or 404. */
static int exists(ice_rest_catalog *c, const char *head_route, const char *get_route, ice_rest_call *call,
                  ice_rest_kind kind, bool *exists_out)
{
	int rc;
	*exists_out = false;
	if (ice_rest__supports(c, head_route)) {
		call->method = "HEAD";
		call->route = head_route;
	} else {
		call->method = "GET";
		call->route = get_route;
	}
	if ((rc = ice_rest__send(c, call)) != 0)
		return rc;
	if (call->resp.status == 404)
		return 0;
	if (call->resp.status >= 200 && call->resp.status < 300) {
		*exists_out = true;
		return 0;
	}
	return ice_rest__fail(c, call, kind);
}

static int rest_namespace_exists(ice_catalog *base, const char *ns, bool *exists_out)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	int rc;
	ice_rest_call__init(&call, "HEAD", NULL, "namespace %s", ns);
	if ((rc = namespace_url(c, &call.url, ns, NULL)) == 0)
		rc = exists(c, "HEAD " R_NAMESPACE, "GET " R_NAMESPACE, &call, ICE_REST_NAMESPACE, exists_out);
	ice_rest_call__free(&call);
	return rc;
}

static int rest_drop_namespace(ice_catalog *base, const char *ns)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	int rc;
	ice_rest_call__init(&call, "DELETE", "DELETE " R_NAMESPACE, "drop namespace %s", ns);
	call.mutation = true;
	if ((rc = namespace_url(c, &call.url, ns, NULL)) == 0)
		rc = ice_rest__exchange(c, &call, ICE_REST_NAMESPACE);
	ice_rest_call__free(&call);
	return rc;
}

static int rest_load_namespace_properties(ice_catalog *base, const char *ns, ice_properties *out)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	int rc;
	ice_rest_call__init(&call, "GET", "GET " R_NAMESPACE, "GET namespace %s", ns);
	if ((rc = namespace_url(c, &call.url, ns, NULL)) == 0 && (rc = ice_rest__exchange(c, &call, ICE_REST_NAMESPACE)) == 0 &&
	    (rc = ice_rest__parse_namespace(out, call.resp.body.ptr, call.resp.body.len, call.what)) != 0)
		ice_error__prefix("%s", c->label);
	ice_rest_call__free(&call);
	return rc;
}

static int rest_update_namespace_properties(ice_catalog *base, const char *ns, const ice_properties *set,
                                            const char *const *remove, size_t nremove)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	ice_json_writer w;
	int rc;
	ice_rest_call__init(&call, "POST", "POST " R_NAMESPACE "/properties", "update namespace %s", ns);
	ice_jw__init(&w, 0);
	ice_json_begin_object(&w);
	ice_json_key(&w, "removals");
	ice_json_begin_array(&w);
	for (size_t i = 0; i < nremove; i++)
		ice_json_string(&w, remove[i]);
	ice_json_end_array(&w);
	ice_json_key(&w, "updates");
	write_props(&w, set);
	ice_json_end_object(&w);
	call.mutation = true;
	if ((rc = finish_body(&w, &call)) == 0 && (rc = namespace_url(c, &call.url, ns, "/properties")) == 0)
		rc = ice_rest__exchange(c, &call, ICE_REST_NAMESPACE);
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	return rc;
}

/* ---- tables ------------------------------------------------------------------------------ */

static int rest_list_tables(ice_catalog *base, const char *ns, ice_string_list *out)
{
	ice_rest_catalog *c = rest(base);
	char *token = NULL;
	int rc = 0;
	for (int page = 0; !rc; page++) {
		ice_rest_call call;
		char *next = NULL;
		ice_rest_call__init(&call, "GET", "GET " R_TABLES, "list tables in %s", ns);
		if ((rc = namespace_url(c, &call.url, ns, "/tables?pageToken=")) == 0 && token)
			ice_http__url_encode(&call.url, token, strlen(token), false);
		if (!rc && (rc = ice_rest__exchange(c, &call, ICE_REST_NAMESPACE)) == 0 &&
		    (rc = ice_rest__parse_tables(out, &next, ns, call.resp.body.ptr, call.resp.body.len, call.what)) != 0)
			ice_error__prefix("%s", c->label);
		ice_rest_call__free(&call);
		if (!rc)
			rc = next_page(c, "list tables in ", ns, page, next, token);
		ice__free(token);
		token = next;
		if (!token)
			break;
	}
	return pages_done(out, token, rc);
}

static int rest_table_exists(ice_catalog *base, const char *identifier, bool *exists_out)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	int rc;
	ice_rest_call__init(&call, "HEAD", NULL, "table %s", identifier);
	call.table = identifier;
	if ((rc = ice_rest__table_url(c, &call.url, identifier)) == 0)
		rc = exists(c, "HEAD " R_TABLE, "GET " R_TABLE, &call, ICE_REST_TABLE, exists_out);
	ice_rest_call__free(&call);
	return rc;
}

/*
 * Where a new table would go when the caller names no location: the
 * namespace's "location" property and the table's name, as Java's
 * catalogs default it. The server decides in the end (a create that names
 * no location sends none).
 */
static int rest_default_location(ice_catalog *base, const char *identifier, char **out)
{
	ice_properties props;
	char *ns;
	const char *name, *loc;
	int rc;
	*out = NULL;
	if ((rc = ice_rest__split_identifier(identifier, &ns, &name)) != 0)
		return rc;
	if ((rc = rest_load_namespace_properties(base, ns, &props)) == 0) {
		if ((loc = ice_properties_get(&props, "location")) && *loc)
			*out = ice_uri__join(loc, name);
		else
			*out = ice_uri__join(rest(base)->base_url, identifier);
		if (!*out)
			rc = ICE_ERROR;
		ice_catalog_properties_free(&props);
	}
	ice__free(ns);
	return rc;
}

/* A LoadTableResult into `out`; a table token it carries is kept. */
static int take_table(ice_rest_catalog *c, ice_rest_call *call, const char *identifier, ice_catalog_table *out)
{
	char *token = NULL, *token_type = NULL;
	int rc = ice_rest__parse_load_table(out, &token, &token_type, call->resp.body.ptr, call->resp.body.len,
	                                    call->what);
	if (rc) {
		ice_error__prefix("%s", c->label);
		return rc;
	}
	if (token)
		rc = ice_rest_auth__table_token(c, identifier, token, token_type);
	if (token)
		memset(token, 0, strlen(token));
	ice__free(token);
	ice__free(token_type);
	if (rc)
		ice_catalog_table__free(out);
	return rc;
}

static int rest_load_table(ice_catalog *base, const char *identifier, unsigned flags, ice_catalog_table *out)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	bool refs = (flags & ICE_CATALOG_LOAD_REFS) || c->refs_only;
	int rc;
	memset(out, 0, sizeof(*out));
	ice_rest_call__init(&call, "GET", "GET " R_TABLE, "GET %s", identifier);
	call.table = identifier;
	call.delegation = true;
	if ((rc = ice_rest__table_url(c, &call.url, identifier)) == 0) {
		if (refs)
			ice_buf__puts(&call.url, "?snapshots=refs");
		if ((rc = ice_rest__exchange(c, &call, ICE_REST_TABLE)) == 0)
			rc = take_table(c, &call, identifier, out);
	}
	if (!rc && !out->metadata_location) {
		ice_catalog_table__free(out);
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: %s: the table has no metadata-location",
		                    c->label, call.what);
	}
	ice_rest_call__free(&call);
	return rc;
}

static int rest_load_metadata(ice_catalog *base, const char *identifier, ice_table_metadata **md_out, char **loc_out)
{
	ice_catalog_table t;
	int rc = rest_load_table(base, identifier, 0, &t);
	if (rc)
		return rc;
	*md_out = t.md;
	*loc_out = t.metadata_location;
	t.md = NULL;
	t.metadata_location = NULL;
	ice_catalog_table__free(&t);
	return 0;
}

/* CreateTableRequest from the metadata a builder made for the new table. */
static int write_create(ice_json_writer *w, const char *name, const ice_table_metadata *md, bool location_given,
                        bool stage)
{
	char version[16];
	const ice_properties *props = ice_table_metadata_properties(md);
	ice_json_begin_object(w);
	ice_json_key(w, "name");
	ice_json_string(w, name);
	if (location_given) {
		ice_json_key(w, "location");
		ice_json_string(w, ice_table_metadata_location(md));
	}
	ice_json_key(w, "schema");
	ice_schema_write_json(ice_table_metadata_current_schema(md), w);
	ice_json_key(w, "partition-spec");
	ice_partition_spec_write_json(ice_table_metadata_default_spec(md), w);
	ice_json_key(w, "write-order");
	ice_sort_order_write_json(ice_table_metadata_default_sort_order(md), w);
	if (stage) {
		ice_json_key(w, "stage-create");
		ice_json_bool(w, true);
	}
	ice_json_key(w, "properties");
	ice_json_begin_object(w);
	for (size_t i = 0; props && i < props->n; i++) {
		if (strcmp(props->items[i].key, "format-version") == 0)
			continue;
		ice_json_key(w, props->items[i].key);
		ice_json_string(w, props->items[i].value);
	}
	/* The way Java's and PyIceberg's clients ask for a format version. */
	snprintf(version, sizeof(version), "%d", ice_table_metadata_format_version(md));
	ice_json_key(w, "format-version");
	ice_json_string(w, version);
	ice_json_end_object(w);
	return ice_json_end_object(w);
}

static int create(ice_rest_catalog *c, const char *identifier, const ice_table_metadata *md, bool location_given,
                  bool stage, ice_catalog_table *out)
{
	ice_rest_call call;
	ice_json_writer w;
	char *ns;
	const char *name;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = ice_rest__split_identifier(identifier, &ns, &name)) != 0)
		return rc;
	ice_rest_call__init(&call, "POST", "POST " R_TABLES, "%s %s", stage ? "stage create" : "create", identifier);
	call.table = identifier;
	call.delegation = true;
	call.mutation = true;
	ice_jw__init(&w, 0);
	if ((rc = write_create(&w, name, md, location_given, stage)) == 0 && (rc = finish_body(&w, &call)) == 0 &&
	    (rc = namespace_url(c, &call.url, ns, "/tables")) == 0 && (rc = ice_rest__exchange(c, &call, ICE_REST_TABLE)) == 0)
		rc = take_table(c, &call, identifier, out);
	if (!rc && !stage && !out->metadata_location) {
		ice_catalog_table__free(out);
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: %s: the created table has no metadata-location",
		                    c->label, call.what);
	}
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	ice__free(ns);
	return rc;
}

static int rest_create_table_ex(ice_catalog *base, const char *identifier, const ice_table_metadata *md,
                                bool location_given, bool stage, ice_catalog_table *out)
{
	return create(rest(base), identifier, md, location_given, stage, out);
}

static int rest_create_table(ice_catalog *base, const char *identifier, const ice_table_metadata *md, char **loc_out)
{
	ice_catalog_table t;
	int rc = create(rest(base), identifier, md, true, false, &t);
	if (rc)
		return rc;
	*loc_out = t.metadata_location;
	t.metadata_location = NULL;
	ice_catalog_table__free(&t);
	return 0;
}

/*
 * A drop asks the server to forget the table. A purge is done here, not by
 * the server (purgeRequested stays false): ice deletes only what the
 * table's metadata references inside the table's location, through the
 * containment guard and the table's own FileIO (vended credentials), as it
 * does for the file-system catalog - the Apache Iceberg REST fixture, for
 * one, deletes every referenced file wherever it lies. The table is
 * dropped first, so a purge cut short leaves orphans, never a table
 * pointing at deleted files.
 */
static int rest_drop_table(ice_catalog *base, const char *identifier, bool purge, ice_drop_report *report)
{
	ice_rest_catalog *c = rest(base);
	ice_catalog_table t;
	ice_io *io = NULL;
	ice_rest_call call;
	int rc;
	memset(&t, 0, sizeof(t));
	if (purge && (rc = rest_load_table(base, identifier, 0, &t)) != 0)
		return rc;
	ice_rest_call__init(&call, "DELETE", "DELETE " R_TABLE, "drop %s", identifier);
	call.table = identifier;
	call.mutation = true;
	if ((rc = ice_rest__table_url(c, &call.url, identifier)) == 0) {
		ice_buf__puts(&call.url, "?purgeRequested=false");
		rc = ice_rest__exchange(c, &call, ICE_REST_TABLE);
	}
	ice_rest_call__free(&call);
	if (!rc)
		ice_rest_auth__forget_table(c, identifier);
	if (!rc && purge && (rc = ice_io_new_derived(&io, base->io, &t.io_props)) == 0) {
		/* The metadata file the server just forgot is the table's too. */
		const char *location = ice_table_metadata_location(t.md);
		if ((rc = ice_catalog__purge(io, location, t.md, t.metadata_location, report)) == 0 &&
		    ice_uri__is_local(location)) {
			bool removed = false;
			if ((rc = ice_catalog__count_files(io, location, &report->files_left)) == 0)
				rc = ice_io_remove_empty_dirs(io, location, &removed);
		}
		if (rc)
			ice_error__prefix("%s: dropped, but purging its files failed", identifier);
	}
	ice_io_free(io);
	ice_catalog_table__free(&t);
	return rc;
}

static int rest_register_table(ice_catalog *base, const char *identifier, const char *metadata_location,
                               const ice_table_metadata *md, bool overwrite, char **loc_out)
{
	ice_rest_catalog *c = rest(base);
	ice_catalog_table t;
	ice_catalog_table *out = &t;
	ice_rest_call call;
	ice_json_writer w;
	char *ns;
	const char *name;
	int rc;
	(void)md; /* the server reads the file */
	memset(out, 0, sizeof(*out));
	if ((rc = ice_rest__split_identifier(identifier, &ns, &name)) != 0)
		return rc;
	ice_rest_call__init(&call, "POST", "POST " R_NAMESPACE "/register", "register %s", identifier);
	call.table = identifier;
	call.delegation = true;
	call.mutation = true;
	ice_jw__init(&w, 0);
	ice_json_begin_object(&w);
	ice_json_key(&w, "name");
	ice_json_string(&w, name);
	ice_json_key(&w, "metadata-location");
	ice_json_string(&w, metadata_location);
	if (overwrite) {
		ice_json_key(&w, "overwrite");
		ice_json_bool(&w, true);
	}
	ice_json_end_object(&w);
	if ((rc = finish_body(&w, &call)) == 0 && (rc = namespace_url(c, &call.url, ns, "/register")) == 0 &&
	    (rc = ice_rest__exchange(c, &call, ICE_REST_TABLE)) == 0 && (rc = take_table(c, &call, identifier, out)) == 0) {
		*loc_out = t.metadata_location;
		t.metadata_location = NULL;
		ice_catalog_table__free(&t);
	}
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	ice__free(ns);
	return rc;
}

int ice_rest__write_identifier(ice_json_writer *w, const char *identifier)
{
	const char *dot = strrchr(identifier, '.');
	ice_json_begin_object(w);
	ice_json_key(w, "namespace");
	ice_rest__write_namespace(w, identifier, (size_t)(dot - identifier));
	ice_json_key(w, "name");
	ice_json_string(w, dot + 1);
	return ice_json_end_object(w);
}

static int rest_rename_table(ice_catalog *base, const char *from, const char *to)
{
	ice_rest_catalog *c = rest(base);
	ice_rest_call call;
	ice_json_writer w;
	char *ns;
	const char *name;
	int rc;
	if ((rc = ice_rest__split_identifier(from, &ns, &name)) != 0)
		return rc;
	ice__free(ns);
	if ((rc = ice_rest__split_identifier(to, &ns, &name)) != 0)
		return rc;
	ice__free(ns);
	ice_rest_call__init(&call, "POST", "POST /v1/{prefix}/tables/rename", "rename %s to %s", from, to);
	call.mutation = true;
	ice_jw__init(&w, 0);
	ice_json_begin_object(&w);
	ice_json_key(&w, "source");
	ice_rest__write_identifier(&w, from);
	ice_json_key(&w, "destination");
	ice_rest__write_identifier(&w, to);
	ice_json_end_object(&w);
	if ((rc = finish_body(&w, &call)) == 0 && (rc = ice_rest__url(c, &call.url)) == 0) {
		ice_buf__puts(&call.url, "tables/rename");
		rc = ice_rest__exchange(c, &call, ICE_REST_TABLE);
	}
	if (!rc)
		ice_rest_auth__forget_table(c, from);
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	return rc;
}

static int rest_commit_plain(ice_catalog *base, const char *identifier, const ice_table_metadata *md_base,
                             const char *base_location, const ice_table_requirements *reqs,
                             const ice_metadata_builder *changes, const ice_table_metadata *next, char **loc_out)
{
	ice_catalog_change change = {identifier, md_base, base_location, reqs, changes, next, false};
	ice_catalog_table t;
	int rc = ice_rest__commit(base, &change, &t);
	if (rc)
		return rc;
	*loc_out = t.metadata_location;
	t.metadata_location = NULL;
	ice_catalog_table__free(&t);
	return 0;
}

const ice_catalog_ops ice_rest__ops = {
	.create_namespace = rest_create_namespace,
	.list_namespaces = rest_list_namespaces,
	.namespace_exists = rest_namespace_exists,
	.drop_namespace = rest_drop_namespace,
	.load_namespace_properties = rest_load_namespace_properties,
	.update_namespace_properties = rest_update_namespace_properties,
	.list_tables = rest_list_tables,
	.table_exists = rest_table_exists,
	.default_location = rest_default_location,
	.load_metadata = rest_load_metadata,
	.create_table = rest_create_table,
	.commit = rest_commit_plain,
	.drop_table = rest_drop_table,
	.free = ice_rest__free,
	.load_table = rest_load_table,
	.create_table_ex = rest_create_table_ex,
	.commit_ex = ice_rest__commit,
	.commit_transaction = ice_rest__commit_transaction,
	.register_table = rest_register_table,
	.rename_table = rest_rename_table,
	.report_metrics = ice_rest__report_metrics,
};
