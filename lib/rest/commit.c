/*
 * rest/commit.c - commits to a REST catalog (spec updateTable and
 * commitTransaction): a CommitTableRequest of the operation's
 * requirements and the builder's effective updates. The requirements the
 * change itself implies are added when the operation did not state them,
 * as Java's UpdateRequirements does: the table's uuid always, the old
 * snapshot of every ref that moves, and the old last-assigned field and
 * partition ids, current schema, default spec and default sort order when
 * they change; a staged create's commit asserts that the table does not
 * exist and carries the creation's updates first.
 *
 * Outcomes: 2xx committed (the server's metadata is the new base); 409
 * ICE_ECONFLICT (refresh and retry: the table layer's loop); 5xx, a
 * timeout, a connection lost after the request may have gone out, or a 2xx
 * whose body cannot be read: ICE_ECOMMITUNKNOWN (nothing deleted); other
 * failures: nothing committed. Also: scan and commit metrics reports
 * (POST .../metrics) where the server lists the endpoint.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "spec/model.h"
#include "util/alloc.h"
#include "util/error.h"

#define R_TABLE "/v1/{prefix}/namespaces/{namespace}/tables/{table}"

/* The ice_requirement_kind order (spec/model.h). */
enum {
	K_CREATE,
	K_UUID,
	K_REF,
	K_FIELD_ID,
	K_SCHEMA,
	K_PARTITION_ID,
	K_SPEC,
	K_SORT,
};

static int64_t ref_id(const ice_table_metadata *md, const char *name, bool *has)
{
	const ice_ref *r = ice_table_metadata_ref(md, name);
	*has = r != NULL;
	return r ? r->snapshot_id : 0;
}

/* Requirements for the ref `name` when it differs between base and next. */
static int require_ref(ice_json_writer *w, const ice_table_requirements *reqs, const ice_table_metadata *base,
                       const ice_table_metadata *next, const char *name)
{
	bool had, has;
	int64_t old = ref_id(base, name, &had), now = ref_id(next, name, &has);
	if (had == has && (!had || old == now))
		return 0;
	if (ice_table_requirements__has(reqs, K_REF, name))
		return 0;
	return ice_requirement__write(w, K_REF, name, had, old);
}

static int require_int(ice_json_writer *w, const ice_table_requirements *reqs, int kind, int64_t old, int64_t now)
{
	if (old == now || ice_table_requirements__has(reqs, kind, NULL))
		return 0;
	return ice_requirement__write(w, kind, NULL, true, old);
}

static int write_requirements(ice_json_writer *w, const ice_catalog_change *ch)
{
	const ice_table_metadata *base = ch->base, *next = ch->next;
	const ice_table_requirements *reqs = ch->requirements;
	int rc = 0;
	ice_json_begin_array(w);
	if (ch->create) {
		/* A staged table: only that it still does not exist. */
		rc = ice_requirement__write(w, K_CREATE, NULL, false, 0);
		return rc ? rc : ice_json_end_array(w);
	}
	if ((rc = ice_table_requirements__write_items(reqs, w)) != 0)
		return rc;
	if (ice_table_metadata_uuid(base) && !ice_table_requirements__has(reqs, K_UUID, NULL))
		rc = ice_requirement__write(w, K_UUID, ice_table_metadata_uuid(base), false, 0);
	for (size_t i = 0; i < ice_table_metadata_ref_count(base) && !rc; i++)
		rc = require_ref(w, reqs, base, next, ice_table_metadata_ref_at(base, i)->name);
	for (size_t i = 0; i < ice_table_metadata_ref_count(next) && !rc; i++) {
		const char *name = ice_table_metadata_ref_at(next, i)->name;
		if (!ice_table_metadata_ref(base, name))
			rc = require_ref(w, reqs, base, next, name);
	}
	if (!rc)
		rc = require_int(w, reqs, K_FIELD_ID, ice_table_metadata_last_column_id(base),
		                 ice_table_metadata_last_column_id(next));
	if (!rc)
		rc = require_int(w, reqs, K_SCHEMA, ice_schema_id(ice_table_metadata_current_schema(base)),
		                 ice_schema_id(ice_table_metadata_current_schema(next)));
	if (!rc)
		rc = require_int(w, reqs, K_PARTITION_ID, ice_table_metadata_last_partition_id(base),
		                 ice_table_metadata_last_partition_id(next));
	if (!rc)
		rc = require_int(w, reqs, K_SPEC, ice_table_metadata_default_spec(base)->spec_id,
		                 ice_table_metadata_default_spec(next)->spec_id);
	if (!rc)
		rc = require_int(w, reqs, K_SORT, ice_table_metadata_default_sort_order(base)->order_id,
		                 ice_table_metadata_default_sort_order(next)->order_id);
	return rc ? rc : ice_json_end_array(w);
}

/* The items of a JSON array text ("[a,b]" -> "a,b") as raw values. */
static int splice_items(ice_json_writer *w, const char *text, size_t len)
{
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n'))
		len--;
	if (len < 2 || text[0] != '[' || text[len - 1] != ']')
		return ice_jw__fail(w, ice_error__set(ICE_ERROR, ICE_ERRCLASS_COMMIT, "updates are not a JSON array"));
	text++;
	len -= 2;
	while (len && (*text == ' ' || *text == '\n')) {
		text++;
		len--;
	}
	return len ? ice_json_raw(w, text, len) : 0;
}

static int write_builder_changes(ice_json_writer *w, const ice_metadata_builder *b)
{
	ice_json_writer inner;
	const char *text;
	size_t len;
	int rc;
	ice_jw__init(&inner, ICE_JSON_COMPACT);
	ice_metadata_builder_write_changes(b, &inner);
	if ((rc = ice_json_writer_finish(&inner, &text, &len)) == 0)
		rc = splice_items(w, text, len);
	ice_jw__free(&inner);
	return rc;
}

/* The updates that make the staged table `md` from nothing. */
static int write_creation(ice_json_writer *w, const ice_table_metadata *md)
{
	ice_metadata_builder *b;
	int rc;
	if ((rc = ice_metadata_builder_new_table(&b, ice_table_metadata_format_version(md))) != 0)
		return ice_jw__fail(w, rc);
	if ((!ice_table_metadata_uuid(md) || !(rc = ice_metadata_builder_assign_uuid(b, ice_table_metadata_uuid(md)))) &&
	    !(rc = ice_metadata_builder_add_schema(b, ice_table_metadata_current_schema(md), NULL)) &&
	    !(rc = ice_metadata_builder_set_current_schema(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_add_spec(b, ice_table_metadata_default_spec(md), NULL)) &&
	    !(rc = ice_metadata_builder_set_default_spec(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_add_sort_order(b, ice_table_metadata_default_sort_order(md), NULL)) &&
	    !(rc = ice_metadata_builder_set_default_sort_order(b, ICE_LAST_ADDED)) &&
	    !(rc = ice_metadata_builder_set_location(b, ice_table_metadata_location(md))) &&
	    !(rc = ice_metadata_builder_set_properties(b, ice_table_metadata_properties(md))))
		rc = write_builder_changes(w, b);
	ice_metadata_builder_free(b);
	return rc ? ice_jw__fail(w, rc) : 0;
}

int ice_rest__write_commit(ice_json_writer *w, const ice_catalog_change *change, bool with_id)
{
	int rc;
	ice_json_begin_object(w);
	if (with_id) {
		ice_json_key(w, "identifier");
		ice_rest__write_identifier(w, change->identifier);
	}
	ice_json_key(w, "requirements");
	if ((rc = write_requirements(w, change)) != 0)
		return ice_jw__fail(w, rc);
	ice_json_key(w, "updates");
	ice_json_begin_array(w);
	if (change->create && (rc = write_creation(w, change->base)) != 0)
		return rc;
	if ((rc = write_builder_changes(w, change->changes)) != 0)
		return rc;
	ice_json_end_array(w);
	return ice_json_end_object(w);
}

/* A transport failure during a commit: did the request get out? */
static int transport_outcome(ice_rest_catalog *c, const ice_rest_call *call, int rc)
{
	if (rc == ICE_EUNSUPPORTED || rc == ICE_EAUTH || ice_error__is_oom() || !call->resp.may_have_landed)
		return rc;
	char why[512];
	const ice_error *e = ice_error_last();
	snprintf(why, sizeof(why), "%s", e ? e->message : c->label);
	return ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT, "%s (commit state unknown)", why);
}

/* Sends a commit (or transaction): a failure after the request may have
 * reached the server is transport_outcome's; an answer other than 2xx is
 * named by the error handler for commits. */
static int send_commit(ice_rest_catalog *c, ice_rest_call *call)
{
	int rc = ice_rest__send(c, call);
	if (rc)
		return transport_outcome(c, call, rc);
	if (call->resp.status < 200 || call->resp.status > 299)
		return ice_rest__fail(c, call, ICE_REST_COMMIT);
	return 0;
}

int ice_rest__commit(ice_catalog *base, const ice_catalog_change *change, ice_catalog_table *out)
{
	ice_rest_catalog *c = (ice_rest_catalog *)base;
	ice_rest_call call;
	ice_json_writer w;
	const char *text;
	size_t len;
	int rc;
	memset(out, 0, sizeof(*out));
	ice_rest_call__init(&call, "POST", "POST " R_TABLE, "commit to %s", change->identifier);
	call.table = change->identifier;
	call.mutation = true;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	if ((rc = ice_rest__write_commit(&w, change, false)) != 0 || (rc = ice_json_writer_finish(&w, &text, &len)) != 0)
		goto done;
	call.body = text;
	call.body_len = len;
	if ((rc = ice_rest__table_url(c, &call.url, change->identifier)) != 0)
		goto done;
	if ((rc = send_commit(c, &call)) != 0)
		goto done;
	char *token = NULL, *token_type = NULL;
	if ((rc = ice_rest__parse_load_table(out, &token, &token_type, call.resp.body.ptr, call.resp.body.len,
	                                     call.what)) != 0) {
		char why[512];
		const ice_error *e = ice_error_last();
		snprintf(why, sizeof(why), "%s", e ? e->message : "?");
		rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT,
		                    "%s: %s: the server accepted the commit (%ld) but its answer cannot be read (commit "
		                    "state unknown): %s",
		                    c->label, call.what, call.resp.status, why);
	} else if (!out->metadata_location) {
		ice_catalog_table__free(out);
		rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT,
		                    "%s: %s: the server accepted the commit (%ld) but named no metadata-location (commit "
		                    "state unknown)",
		                    c->label, call.what, call.resp.status);
	}
	if (token)
		memset(token, 0, strlen(token));
	ice__free(token);
	ice__free(token_type);
done:
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	return rc;
}

int ice_rest__commit_transaction(ice_catalog *base, const ice_catalog_change *changes, size_t n,
                                 ice_catalog_table *outs)
{
	ice_rest_catalog *c = (ice_rest_catalog *)base;
	ice_rest_call call;
	ice_json_writer w;
	const char *text;
	size_t len;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		memset(&outs[i], 0, sizeof(outs[i]));
	ice_rest_call__init(&call, "POST", "POST /v1/{prefix}/transactions/commit", "commit transaction of %zu table%s",
	                    n, n == 1 ? "" : "s");
	call.mutation = true;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "table-changes");
	ice_json_begin_array(&w);
	for (size_t i = 0; i < n && !rc; i++) {
		if (changes[i].create)
			rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_COMMIT,
			                    "%s: a transaction cannot create tables (%s)", c->label, changes[i].identifier);
		else
			rc = ice_rest__write_commit(&w, &changes[i], true);
	}
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if (rc || (rc = ice_json_writer_finish(&w, &text, &len)) != 0)
		goto done;
	call.body = text;
	call.body_len = len;
	if ((rc = ice_rest__url(c, &call.url)) != 0)
		goto done;
	ice_buf__puts(&call.url, "transactions/commit");
	if ((rc = send_commit(c, &call)) != 0)
		goto done;
	/* 204 carries nothing: each table's new state is loaded. A table that
	 * cannot be loaded now keeps what was asked for (it was committed). */
	for (size_t i = 0; i < n; i++) {
		if (c->base.ops->load_table(base, changes[i].identifier, 0, &outs[i]) != 0) {
			ice_error_clear();
			memset(&outs[i], 0, sizeof(outs[i]));
		}
	}
done:
	ice_jw__free(&w);
	ice_rest_call__free(&call);
	return rc;
}

/* A report in flight: the request and everything it points at. */
struct ice_rest_report {
	ice_rest_call call;
	ice_http_headers headers;
	ice_http_request req;
	ice_rest_signing signing;
	char *body;
	ice_http_pending *pending;
};

void ice_rest__collect_report(ice_rest_catalog *c)
{
	struct ice_rest_report *r = c->report;
	if (!r)
		return;
	c->report = NULL;
	ice_http_response resp;
	/* Best effort: whatever the answer, nothing depends on it. */
	ice_http__wait(r->pending, &resp);
	ice_http_response__free(&resp);
	ice_error_clear();
	ice_http_headers__free(&r->headers);
	ice_rest_call__free(&r->call);
	ice__free(r->body);
	ice__free(r);
}

int ice_rest__report_metrics(ice_catalog *base, const char *identifier, const char *report, size_t len)
{
	ice_rest_catalog *c = (ice_rest_catalog *)base;
	struct ice_rest_report *r;
	int rc;
	ice_rest__collect_report(c);
	if (!c->metrics_enabled || !ice_rest__supports(c, "POST " R_TABLE "/metrics"))
		return 0;
	if (!(r = ice__calloc(1, sizeof(*r))))
		return ICE_ERROR;
	ice_rest_call__init(&r->call, "POST", "POST " R_TABLE "/metrics", "metrics report for %s", identifier);
	r->call.table = identifier;
	if (!(r->body = ice__memdup(report, len)) || (rc = ice_rest__table_url(c, &r->call.url, identifier)) != 0 ||
	    (rc = ice_buf__puts(&r->call.url, "/metrics")) != 0 || (rc = ice_rest_auth__ensure(c)) != 0 ||
	    (rc = ice_http_headers__add(&r->headers, "Content-Type", "application/json")) != 0) {
		rc = ICE_ERROR;
		goto fail;
	}
	for (size_t i = 0; i < c->headers.n && !rc; i++)
		rc = ice_http_headers__add(&r->headers, c->headers.items[i].name, c->headers.items[i].value);
	if (rc)
		goto fail;
	r->signing.catalog = c;
	r->signing.body = r->body;
	r->signing.body_len = len;
	/* The table's token may go away with the table: the catalog's is used. */
	r->req.method = "POST";
	r->req.url = r->call.url.ptr;
	r->req.what = r->call.what;
	r->req.headers = r->headers.items;
	r->req.nheaders = r->headers.n;
	r->req.body = r->body;
	r->req.body_len = len;
	r->req.max_body = (size_t)64 << 10;
	r->req.prepare = ice_rest_auth__prepare;
	r->req.prepare_payload = &r->signing;
	if ((rc = ice_http__start(c->http, &r->req, &r->pending)) != 0)
		goto fail;
	c->report = r;
	return 0;
fail:
	ice_http_headers__free(&r->headers);
	ice_rest_call__free(&r->call);
	ice__free(r->body);
	ice__free(r);
	ice_error_clear();
	return 0;
}
