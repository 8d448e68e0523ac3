/*
 * serve/tables.c - the table endpoints other than commits: list (with
 * paging), create and stage-create, load (with ETag / If-None-Match), exists,
 * drop (with purge), register, rename and metrics reports; and the
 * LoadTableResult every one of them answers with, including vended storage
 * credentials when the configuration hands them out.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "catalog/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static char *join_ident(const char *ns, const char *name)
{
	char *s = ice__malloc(strlen(ns) + strlen(name) + 2);
	if (s)
		sprintf(s, "%s.%s", ns, name);
	return s;
}

bool serve_namespace_present(serve_req *r, const char *ns)
{
	bool exists = false;
	int rc = ice_catalog_namespace_exists(r->s->catalog, ns, &exists);
	if (rc) {
		serve_fail(r, rc, "namespace");
		return false;
	}
	if (!exists) {
		serve_error(r, 404, "NoSuchNamespaceException", "Namespace does not exist: %s", ns);
		return false;
	}
	return true;
}

static char *etag_of(const char *metadata_location)
{
	char *tag = ice__malloc(24);
	if (tag)
		snprintf(tag, 24, "\"%016llx\"",
		         (unsigned long long)ice_hash__bytes(metadata_location, strlen(metadata_location)));
	return tag;
}

/* Vended credentials: only for object-store tables, only when asked for. */
static bool vend_for(const serve_req *r, const ice_table_metadata *md)
{
	const char *loc = ice_table_metadata_location(md);
	const char *ask = r->rq->access_delegation;
	return r->s->cfg->vend && loc && (!strncmp(loc, "s3://", 5) || !strncmp(loc, "s3a://", 6)) && ask &&
	       strstr(ask, "vended-credentials");
}

int serve_write_table_result(serve_req *r, int status, const char *identifier, const char *metadata_location,
                             const ice_table_metadata *md, bool with_config)
{
	const ice_server_config *c = r->s->cfg;
	ice_json_writer *w = serve_reply(r, status);
	bool vend = with_config && vend_for(r, md);
	(void)identifier;
	ice_json_begin_object(w);
	if (metadata_location) {
		ice_json_key(w, "metadata-location");
		ice_json_string(w, metadata_location);
	}
	ice_json_key(w, "metadata");
	ice_table_metadata_write_json(md, w);
	if (with_config) {
		ice_json_key(w, "config");
		ice_json_begin_object(w);
		for (size_t i = 0; vend && i < c->ncredentials; i++) {
			ice_json_key(w, c->credentials[i].key);
			ice_json_string(w, c->credentials[i].value);
		}
		ice_json_end_object(w);
		if (vend) {
			ice_json_key(w, "storage-credentials");
			ice_json_begin_array(w);
			ice_json_begin_object(w);
			ice_json_key(w, "prefix");
			ice_json_string(w, ice_table_metadata_location(md));
			ice_json_key(w, "config");
			ice_json_begin_object(w);
			for (size_t i = 0; i < c->ncredentials; i++) {
				ice_json_key(w, c->credentials[i].key);
				ice_json_string(w, c->credentials[i].value);
			}
			ice_json_end_object(w);
			ice_json_end_object(w);
			ice_json_end_array(w);
		}
	}
	ice_json_end_object(w);
	if (metadata_location && !(r->etag = etag_of(metadata_location)))
		return ICE_ERROR;
	return 0;
}

int serve_write_commit_result(serve_req *r, const char *metadata_location, const char *metadata_json, size_t len)
{
	ice_json_writer *w = serve_reply(r, 200);
	ice_json_begin_object(w);
	ice_json_key(w, "metadata-location");
	ice_json_string(w, metadata_location);
	ice_json_key(w, "metadata");
	ice_json_raw(w, metadata_json, len);
	ice_json_end_object(w);
	return (r->etag = etag_of(metadata_location)) ? 0 : ICE_ERROR;
}

int serve_list_tables(serve_req *r, const char *ns)
{
	ice_string_list l = {0, NULL};
	char *token = NULL, *size_text = NULL;
	int64_t size = 0;
	int rc = 0;
	if (!serve_allowed(r, ns, RIGHT_READ))
		return 0;
	token = serve_query(r, "pageToken");
	size_text = serve_query(r, "pageSize");
	if (size_text && !(ice_str__to_int64(size_text, strlen(size_text), &size) && size >= 1)) {
		serve_error(r, 400, "BadRequestException", "pageSize must be a positive integer");
		goto done;
	}
	if ((rc = ice_catalog_list_tables(r->s->catalog, ns, &l)) != 0) {
		rc = rc == ICE_ENOTFOUND ? serve_error(r, 404, "NoSuchNamespaceException", "Namespace does not exist: %s", ns)
		                         : serve_fail(r, rc, "namespace");
		goto done;
	}
	size_t i = 0, shown = 0;
	if (token && *token)
		while (i < l.n && strcmp(l.items[i], token) <= 0)
			i++;
	ice_json_writer *w = serve_reply(r, 200);
	ice_json_begin_object(w);
	ice_json_key(w, "identifiers");
	ice_json_begin_array(w);
	for (; i < l.n && (!size || shown < (size_t)size); i++, shown++) {
		ice_json_begin_object(w);
		ice_json_key(w, "namespace");
		serve_write_ns(w, ns, strlen(ns));
		ice_json_key(w, "name");
		ice_json_string(w, l.items[i]);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_key(w, "next-page-token");
	if (i < l.n)
		ice_json_string(w, l.items[i - 1]);
	else
		ice_json_null(w);
	ice_json_end_object(w);
done:
	ice_string_list_free(&l);
	ice__free(token);
	ice__free(size_text);
	return rc;
}

int serve_create_table(serve_req *r, const char *ns)
{
	char *ident = NULL, *location = NULL, *metadata_location = NULL;
	ice_table_metadata *md = NULL;
	const ice_json *name_json, *loc_json, *stage_json;
	const char *name;
	bool stage = false, exists = false;
	int rc = 0;
	if (!serve_allowed(r, ns, RIGHT_WRITE) || serve_parse_body(r))
		goto done;
	name_json = ice_json__get(r->body, "name");
	if (!serve_string(r, name_json, "name", &name) || !serve_check_name(r, name, "table name"))
		goto done;
	stage_json = ice_json__get(r->body, "stage-create");
	if (stage_json && ice_json__type(stage_json) != ICE_JSON_NULL) {
		if (!ice_json__is_bool(stage_json)) {
			serve_error(r, 400, "BadRequestException", "stage-create: expected a boolean");
			goto done;
		}
		stage = ice_json__type(stage_json) == ICE_JSON_TRUE;
	}
	if (!serve_namespace_present(r, ns))
		goto done;
	if (!(ident = join_ident(ns, name))) {
		rc = ICE_ERROR;
		goto done;
	}
	if ((rc = ice_catalog_table_exists(r->s->catalog, ident, &exists)) != 0) {
		rc = serve_fail(r, rc, "table");
		goto done;
	}
	if (exists) {
		serve_error(r, 409, "AlreadyExistsException", "Table already exists: %s", ident);
		goto done;
	}
	loc_json = ice_json__get(r->body, "location");
	if (loc_json && ice_json__type(loc_json) != ICE_JSON_NULL) {
		const char *given;
		if (!serve_string(r, loc_json, "location", &given))
			goto done;
		location = ice__strdup(given);
	} else if ((rc = ice_catalog_default_location(r->s->catalog, ident, &location)) != 0) {
		rc = serve_fail(r, rc, "table");
		goto done;
	}
	if (!location) {
		rc = ICE_ERROR;
		goto done;
	}
	if (!serve_location_inside(r, location, ice_catalog_uri(r->s->catalog))) {
		serve_error(r, 400, "BadRequestException", "location: %s is outside the warehouse", location);
		goto done;
	}
	if (serve_new_table_metadata(r, r->body, location, stage, &md) != 0)
		goto done;
	if (!stage) {
		int stripe = serve_lock_table(r->s, ident);
		rc = ice_catalog_create_table(r->s->catalog, ident, md, &metadata_location);
		serve_unlock_table(r->s, stripe);
		if (rc) {
			rc = rc == ICE_EEXISTS ? serve_error(r, 409, "AlreadyExistsException", "Table already exists: %s", ident)
			                       : serve_fail(r, rc, "table");
			goto done;
		}
	}
	rc = serve_write_table_result(r, 200, ident, metadata_location, md, true);
done:
	ice_table_metadata_free(md);
	ice__free(metadata_location);
	ice__free(location);
	ice__free(ident);
	return rc;
}

/* Loads `ns.name`, replying 404 (or an error) when it cannot. */
static int load(serve_req *r, const char *ident, ice_table_metadata **md, char **loc)
{
	int rc = ice_catalog_load_metadata(r->s->catalog, ident, md, loc);
	if (rc == ICE_ENOTFOUND || rc == ICE_EINVALID) {
		if (rc == ICE_EINVALID && ice_error_last()->klass != ICE_ERRCLASS_CATALOG)
			return serve_fail(r, ICE_ERROR, "table"); /* damaged metadata: a server-side problem */
		serve_error(r, 404, "NoSuchTableException", "Table does not exist: %s", ident);
		return 1;
	}
	if (rc) {
		serve_fail(r, rc, "table");
		return 1;
	}
	return 0;
}

int serve_load_table(serve_req *r, const char *ns, const char *name)
{
	char *ident = NULL, *loc = NULL, *mode = NULL;
	ice_table_metadata *md = NULL;
	int rc = 0;
	if (!serve_allowed(r, ns, RIGHT_READ))
		return 0;
	mode = serve_query(r, "snapshots");
	if (mode && strcmp(mode, "all") != 0 && strcmp(mode, "refs") != 0) {
		serve_error(r, 400, "IllegalArgumentException", "Invalid snapshot mode: %s", mode);
		goto done;
	}
	if (!(ident = join_ident(ns, name))) {
		rc = ICE_ERROR;
		goto done;
	}
	if (load(r, ident, &md, &loc) != 0)
		goto done;
	if (r->rq->if_none_match) {
		char *tag = etag_of(loc);
		bool same = tag && !strcmp(tag, r->rq->if_none_match);
		if (same) {
			r->status = 304;
			r->has_body = false;
			r->etag = tag;
			goto done;
		}
		ice__free(tag);
	}
	rc = serve_write_table_result(r, 200, ident, loc, md, true);
done:
	ice_table_metadata_free(md);
	ice__free(loc);
	ice__free(ident);
	ice__free(mode);
	return rc;
}

int serve_table_exists(serve_req *r, const char *ns, const char *name)
{
	char *ident;
	bool exists = false;
	int rc;
	if (!serve_allowed(r, ns, RIGHT_READ))
		return 0;
	if (!(ident = join_ident(ns, name)))
		return ICE_ERROR;
	rc = ice_catalog_table_exists(r->s->catalog, ident, &exists);
	if (rc)
		rc = serve_fail(r, rc, "table");
	else if (!exists)
		serve_error(r, 404, "NoSuchTableException", "Table does not exist: %s", ident);
	else
		serve_no_content(r);
	ice__free(ident);
	return rc;
}

int serve_drop_table(serve_req *r, const char *ns, const char *name)
{
	char *ident = NULL, *purge_text = serve_query(r, "purgeRequested");
	bool purge = false;
	int rc = 0;
	if (!serve_allowed(r, ns, RIGHT_WRITE))
		goto done;
	if (purge_text) {
		if (!strcasecmp(purge_text, "true"))
			purge = true;
		else if (strcasecmp(purge_text, "false") != 0) {
			serve_error(r, 400, "BadRequestException", "purgeRequested must be true or false");
			goto done;
		}
	}
	if (!(ident = join_ident(ns, name))) {
		rc = ICE_ERROR;
		goto done;
	}
	int stripe = serve_lock_table(r->s, ident);
	rc = ice_catalog_drop_table(r->s->catalog, ident, purge, NULL);
	serve_unlock_table(r->s, stripe);
	if (rc == ICE_ENOTFOUND || (rc == ICE_EINVALID && ice_error_last()->klass == ICE_ERRCLASS_CATALOG))
		rc = serve_error(r, 404, "NoSuchTableException", "Table does not exist: %s", ident);
	else if (rc)
		rc = serve_fail(r, rc, "table");
	else
		serve_no_content(r);
	if (!rc)
		serve_log(r->s, "dropped %s%s", ident, purge ? " (purged)" : "");
done:
	ice__free(purge_text);
	ice__free(ident);
	return rc;
}

int serve_register_table(serve_req *r, const char *ns)
{
	const ice_json *name_json, *loc_json, *over_json;
	const char *name, *src;
	char *ident = NULL, *loc = NULL;
	ice_table_metadata *md = NULL;
	bool overwrite = false;
	int rc = 0;
	if (!serve_allowed(r, ns, RIGHT_WRITE) || serve_parse_body(r))
		goto done;
	name_json = ice_json__get(r->body, "name");
	loc_json = ice_json__get(r->body, "metadata-location");
	over_json = ice_json__get(r->body, "overwrite");
	if (!serve_string(r, name_json, "name", &name) || !serve_string(r, loc_json, "metadata-location", &src))
		goto done;
	if (over_json && ice_json__type(over_json) != ICE_JSON_NULL) {
		if (!ice_json__is_bool(over_json)) {
			serve_error(r, 400, "BadRequestException", "overwrite: expected a boolean");
			goto done;
		}
		overwrite = ice_json__type(over_json) == ICE_JSON_TRUE;
	}
	if (!serve_check_name(r, name, "table name") || !serve_namespace_present(r, ns))
		goto done;
	if (!serve_location_inside(r, src, ice_catalog_uri(r->s->catalog))) {
		serve_error(r, 400, "BadRequestException", "metadata-location: %s is outside the warehouse", src);
		goto done;
	}
	if ((rc = ice_table_metadata_load(&md, r->s->catalog->io, src, NULL)) != 0) {
		rc = serve_error(r, 400, "BadRequestException", "metadata-location: %s", ice_error_last()->message);
		goto done;
	}
	if (!serve_location_inside(r, ice_table_metadata_location(md), ice_catalog_uri(r->s->catalog))) {
		serve_error(r, 400, "BadRequestException", "the table's location %s is outside the warehouse",
		            ice_table_metadata_location(md));
		goto done;
	}
	if (!(ident = join_ident(ns, name))) {
		rc = ICE_ERROR;
		goto done;
	}
	int stripe = serve_lock_table(r->s, ident);
	rc = ice_catalog_register_table(r->s->catalog, ident, src, md, overwrite, &loc);
	serve_unlock_table(r->s, stripe);
	if (rc == ICE_EEXISTS)
		rc = serve_error(r, 409, "AlreadyExistsException", "Table already exists: %s", ident);
	else if (rc)
		rc = serve_fail(r, rc, "table");
	else
		rc = serve_write_table_result(r, 200, ident, loc, md, true);
done:
	ice_table_metadata_free(md);
	ice__free(loc);
	ice__free(ident);
	return rc;
}

int serve_rename_table(serve_req *r)
{
	char *from = NULL, *to = NULL;
	int rc = 0;
	if (serve_parse_body(r) || !serve_ident_from_json(r, ice_json__get(r->body, "source"), "source", &from) ||
	    !serve_ident_from_json(r, ice_json__get(r->body, "destination"), "destination", &to))
		goto done;
	char *from_ns = ice__strndup(from, (size_t)(strrchr(from, '.') - from));
	char *to_ns = ice__strndup(to, (size_t)(strrchr(to, '.') - to));
	bool ok = from_ns && to_ns && serve_allowed(r, from_ns, RIGHT_WRITE) && serve_allowed(r, to_ns, RIGHT_WRITE);
	bool dest_ns = ok && serve_namespace_present(r, to_ns);
	ice__free(from_ns);
	ice__free(to_ns);
	if (!dest_ns) {
		if (r->status == 0)
			rc = ICE_ERROR;
		goto done;
	}
	int slots[2];
	size_t held = 0;
	const char *both[2] = {from, to};
	serve_lock_tables(r->s, both, 2, slots, &held);
	rc = ice_catalog_rename_table(r->s->catalog, from, to);
	serve_unlock_tables(r->s, slots, held);
	if (rc == ICE_ENOTFOUND)
		rc = serve_error(r, 404, "NoSuchTableException", "Table does not exist: %s", from);
	else if (rc == ICE_EEXISTS)
		rc = serve_error(r, 409, "AlreadyExistsException", "Cannot rename %s to %s. Table already exists", from, to);
	else if (rc)
		rc = serve_fail(r, rc, "table");
	else {
		serve_no_content(r);
		serve_log(r->s, "renamed %s to %s", from, to);
	}
done:
	ice__free(from);
	ice__free(to);
	return rc;
}

int serve_report_metrics(serve_req *r, const char *ns, const char *name)
{
	const ice_json *type;
	if (!serve_allowed(r, ns, RIGHT_READ) || serve_parse_body(r))
		return 0;
	type = ice_json__get(r->body, "report-type");
	const char *t;
	if (!serve_string(r, type, "report-type", &t))
		return 0;
	if (!ice_utf8__valid((const uint8_t *)t, strlen(t)) || strlen(t) > 64)
		return serve_error(r, 400, "BadRequestException", "report-type: not a report type");
	serve_log(r->s, "metrics %s.%s %s", ns, name, t);
	return serve_no_content(r);
}
