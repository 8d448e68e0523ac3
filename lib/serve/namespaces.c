/*
 * serve/namespaces.c - GET /v1/config and the namespace endpoints: list
 * (with paging), create, load, exists, drop, properties update.
 *
 * Paging: a page token is the last name of the previous page (opaque to
 * clients), so names created or dropped between pages neither repeat nor
 * skip the others. Without pageSize everything from the token on is one page;
 * "next-page-token" is null on the last page.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static const char *const endpoints[] = {
	"GET /v1/{prefix}/namespaces",
	"POST /v1/{prefix}/namespaces",
	"GET /v1/{prefix}/namespaces/{namespace}",
	"HEAD /v1/{prefix}/namespaces/{namespace}",
	"DELETE /v1/{prefix}/namespaces/{namespace}",
	"POST /v1/{prefix}/namespaces/{namespace}/properties",
	"GET /v1/{prefix}/namespaces/{namespace}/tables",
	"POST /v1/{prefix}/namespaces/{namespace}/tables",
	"GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"POST /v1/{prefix}/namespaces/{namespace}/register",
	"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
	"POST /v1/{prefix}/tables/rename",
	"POST /v1/{prefix}/transactions/commit",
};

int serve_config(serve_req *r)
{
	ice_json_writer *w = serve_reply(r, 200);
	ice_json_begin_object(w);
	ice_json_key(w, "defaults");
	ice_json_begin_object(w);
	ice_json_end_object(w);
	ice_json_key(w, "overrides");
	ice_json_begin_object(w);
	ice_json_key(w, "prefix");
	ice_json_string(w, r->s->cfg->prefix);
	ice_json_end_object(w);
	ice_json_key(w, "endpoints");
	ice_json_begin_array(w);
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		ice_json_string(w, endpoints[i]);
	ice_json_end_array(w);
	ice_json_end_object(w);
	return 0;
}

/* pageToken and pageSize; false after a 400 reply. */
typedef struct page {
	char *token;   /* NULL or "": from the start */
	int64_t size;  /* 0: everything */
} page;

static bool read_page(serve_req *r, page *p)
{
	char *size = serve_query(r, "pageSize");
	p->token = serve_query(r, "pageToken");
	p->size = 0;
	if (size) {
		bool ok = ice_str__to_int64(size, strlen(size), &p->size) && p->size >= 1;
		ice__free(size);
		if (!ok) {
			ice__free(p->token);
			p->token = NULL;
			serve_error(r, 400, "BadRequestException", "pageSize must be a positive integer");
			return false;
		}
	}
	return true;
}

/* Index of the first item after the token (items sorted). */
static size_t page_start(const ice_string_list *l, const page *p)
{
	size_t i = 0;
	if (p->token && *p->token)
		while (i < l->n && strcmp(l->items[i], p->token) <= 0)
			i++;
	return i;
}

static void write_next_token(ice_json_writer *w, const ice_string_list *l, size_t last_written, bool more)
{
	ice_json_key(w, "next-page-token");
	if (more)
		ice_json_string(w, l->items[last_written]);
	else
		ice_json_null(w);
}

int serve_list_namespaces(serve_req *r)
{
	char *parent_text = serve_query(r, "parent"), *parent = NULL;
	ice_string_list l = {0, NULL};
	page p = {NULL, 0};
	int rc = 0;
	if (parent_text && *parent_text && !serve_ns_from_text(r, parent_text, &parent))
		goto done;
	/* Everyone may list what they can see; a parent must be visible. */
	if (parent && !serve_visible(r, parent)) {
		serve_allowed(r, parent, RIGHT_READ);
		goto done;
	}
	if (!read_page(r, &p))
		goto done;
	if ((rc = ice_catalog_list_namespaces(r->s->catalog, parent, &l)) != 0) {
		rc = serve_fail(r, rc, "namespace");
		goto done;
	}
	ice_json_writer *w = serve_reply(r, 200);
	size_t i = page_start(&l, &p), shown = 0, last = 0;
	bool more = false;
	ice_json_begin_object(w);
	ice_json_key(w, "namespaces");
	ice_json_begin_array(w);
	for (; i < l.n; i++) {
		if (!serve_visible(r, l.items[i]))
			continue;
		if (p.size && shown == (size_t)p.size) {
			more = true;
			break;
		}
		serve_write_ns(w, l.items[i], strlen(l.items[i]));
		last = i;
		shown++;
	}
	ice_json_end_array(w);
	write_next_token(w, &l, last, more);
	ice_json_end_object(w);
done:
	ice_string_list_free(&l);
	ice__free(p.token);
	ice__free(parent);
	ice__free(parent_text);
	return rc;
}

/* A JSON object of strings to properties (borrowing the strings). */
static bool read_properties(serve_req *r, const ice_json *obj, const char *where, ice_property **items, size_t *n)
{
	ice_json_iter it;
	const char *key;
	ice_json *value;
	*items = NULL;
	*n = 0;
	if (!obj || ice_json__type(obj) == ICE_JSON_NULL)
		return true;
	if (ice_json__type(obj) != ICE_JSON_OBJECT) {
		serve_error(r, 400, "BadRequestException", "%s: expected an object of strings", where);
		return false;
	}
	if (ice_json__size(obj) && !(*items = ice__calloc(ice_json__size(obj), sizeof(ice_property)))) {
		serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
		return false;
	}
	ice_json__iter_init(&it, obj);
	while (ice_json__iter_next(&it, &key, &value)) {
		size_t len = 0;
		const char *v = ice_json__type(value) == ICE_JSON_STRING ? ice_json__str(value, &len) : NULL;
		if (!v || memchr(v, '\0', len)) {
			serve_error(r, 400, "BadRequestException", "%s.%s: expected a string", where, key);
			ice__free(*items);
			*items = NULL;
			return false;
		}
		(*items)[*n].key = key;
		(*items)[*n].value = v;
		(*n)++;
	}
	return true;
}

static void write_properties(ice_json_writer *w, const ice_properties *props)
{
	ice_json_begin_object(w);
	for (size_t i = 0; i < props->n; i++) {
		ice_json_key(w, props->items[i].key);
		ice_json_string(w, props->items[i].value);
	}
	ice_json_end_object(w);
}

static int namespace_result(serve_req *r, const char *ns)
{
	ice_properties props = {0, NULL};
	int rc = ice_catalog_load_namespace_properties(r->s->catalog, ns, &props);
	if (rc)
		return serve_fail(r, rc, "namespace");
	ice_json_writer *w = serve_reply(r, 200);
	ice_json_begin_object(w);
	ice_json_key(w, "namespace");
	serve_write_ns(w, ns, strlen(ns));
	ice_json_key(w, "properties");
	write_properties(w, &props);
	ice_json_end_object(w);
	ice_catalog_properties_free(&props);
	return 0;
}

int serve_create_namespace(serve_req *r)
{
	char *ns = NULL;
	ice_property *items = NULL;
	size_t n = 0;
	int rc = 0;
	if (serve_parse_body(r) || !serve_ns_from_json(r, ice_json__get(r->body, "namespace"), "namespace", &ns) ||
	    !serve_allowed(r, ns, RIGHT_WRITE) ||
	    !read_properties(r, ice_json__get(r->body, "properties"), "properties", &items, &n))
		goto done;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(items[i].key, "location")) {
			serve_error(r, 400, "BadRequestException",
			            "a namespace's location is its directory in the warehouse and cannot be set");
			goto done;
		}
	ice_properties props = {n, items};
	if ((rc = ice_catalog_create_namespace(r->s->catalog, ns, &props)) != 0) {
		if (rc == ICE_EEXISTS)
			rc = serve_error(r, 409, "AlreadyExistsException", "Namespace already exists: %s", ns);
		else
			rc = serve_fail(r, rc, "namespace");
		goto done;
	}
	rc = namespace_result(r, ns);
done:
	ice__free(items);
	ice__free(ns);
	return rc;
}

int serve_load_namespace(serve_req *r, const char *ns)
{
	if (!serve_allowed(r, ns, RIGHT_READ))
		return 0;
	return namespace_result(r, ns);
}

int serve_namespace_exists(serve_req *r, const char *ns)
{
	bool exists = false;
	int rc;
	if (!serve_allowed(r, ns, RIGHT_READ))
		return 0;
	if ((rc = ice_catalog_namespace_exists(r->s->catalog, ns, &exists)) != 0)
		return serve_fail(r, rc, "namespace");
	if (!exists)
		return serve_error(r, 404, "NoSuchNamespaceException", "Namespace does not exist: %s", ns);
	return serve_no_content(r);
}

int serve_drop_namespace(serve_req *r, const char *ns)
{
	int rc;
	if (!serve_allowed(r, ns, RIGHT_WRITE))
		return 0;
	rc = ice_catalog_drop_namespace(r->s->catalog, ns);
	if (rc == ICE_ENOTFOUND)
		return serve_error(r, 404, "NoSuchNamespaceException", "Namespace does not exist: %s", ns);
	if (rc == ICE_EINVALID)
		return serve_error(r, 409, "NamespaceNotEmptyException", "%s", ice_error_last()->message);
	if (rc)
		return serve_fail(r, rc, "namespace");
	return serve_no_content(r);
}

static bool has_key(const ice_properties *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->items[i].key, key))
			return true;
	return false;
}

int serve_update_namespace(serve_req *r, const char *ns)
{
	ice_property *items = NULL;
	size_t n = 0, nremove = 0;
	const char **remove = NULL;
	ice_properties before = {0, NULL};
	const ice_json *removals;
	int rc = 0;
	if (!serve_allowed(r, ns, RIGHT_WRITE) || serve_parse_body(r) ||
	    !read_properties(r, ice_json__get(r->body, "updates"), "updates", &items, &n))
		goto done;
	removals = ice_json__get(r->body, "removals");
	if (removals && ice_json__type(removals) != ICE_JSON_NULL) {
		if (ice_json__type(removals) != ICE_JSON_ARRAY) {
			serve_error(r, 400, "BadRequestException", "removals: expected an array of strings");
			goto done;
		}
		nremove = ice_json__size(removals);
		if (nremove && !(remove = ice__calloc(nremove, sizeof(char *)))) {
			rc = ICE_ERROR;
			goto done;
		}
		for (size_t i = 0; i < nremove; i++) {
			if (!serve_string(r, ice_json__at(removals, i), "removals[]", &remove[i]))
				goto done;
			for (size_t j = 0; j < n; j++)
				if (!strcmp(items[j].key, remove[i])) {
					serve_error(r, 422, "UnprocessableEntityException",
					            "Invalid namespace update, cannot simultaneously set and remove keys: [%s]",
					            remove[i]);
					goto done;
				}
		}
	}
	if ((rc = ice_catalog_load_namespace_properties(r->s->catalog, ns, &before)) != 0) {
		rc = serve_fail(r, rc, "namespace");
		goto done;
	}
	ice_properties set = {n, items};
	if ((rc = ice_catalog_update_namespace_properties(r->s->catalog, ns, &set, remove, nremove)) != 0) {
		rc = serve_fail(r, rc, "namespace");
		goto done;
	}
	ice_json_writer *w = serve_reply(r, 200);
	ice_json_begin_object(w);
	ice_json_key(w, "updated");
	ice_json_begin_array(w);
	for (size_t i = 0; i < n; i++)
		ice_json_string(w, items[i].key);
	ice_json_end_array(w);
	ice_json_key(w, "removed");
	ice_json_begin_array(w);
	for (size_t i = 0; i < nremove; i++)
		if (has_key(&before, remove[i]))
			ice_json_string(w, remove[i]);
	ice_json_end_array(w);
	ice_json_key(w, "missing");
	ice_json_begin_array(w);
	for (size_t i = 0; i < nremove; i++)
		if (!has_key(&before, remove[i]))
			ice_json_string(w, remove[i]);
	ice_json_end_array(w);
	ice_json_end_object(w);
done:
	ice_catalog_properties_free(&before);
	ice__free(remove);
	ice__free(items);
	return rc;
}
