/*
 * tests/unit/rest/test_rest.c - the REST catalog client's pieces that need
 * no server: the response documents (LoadTableResult with vended
 * credentials, CatalogConfig, tokens, errors, listings), ISO-8601
 * durations, JWT expiry, routes against listed and default endpoints, the
 * client's properties from the environment, and the requirements a
 * commit sends (the operation's own plus those its changes imply).
 * Requests against real and hostile servers are tested in tests/rest.
 */
#include <stdlib.h>
#include <string.h>

#include "rest/internal.h"
#include "test.h"
#include "util/alloc.h"
#include "util/json.h"

static const char *METADATA =
    "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
    "\"location\":\"s3://bucket/wh/db/t\",\"last-sequence-number\":0,\"last-updated-ms\":1,"
    "\"last-column-id\":1,\"current-schema-id\":0,\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,"
    "\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":false,\"type\":\"int\"}]}],\"default-spec-id\":0,"
    "\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],\"last-partition-id\":999,\"default-sort-order-id\":0,"
    "\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],\"properties\":{},\"current-snapshot-id\":-1,"
    "\"refs\":{},\"snapshots\":[],\"snapshot-log\":[],\"metadata-log\":[]}";

/* `head` + the metadata + `tail`. */
static char *doc(const char *head, const char *md, const char *tail)
{
	size_t n = strlen(head) + strlen(md) + strlen(tail) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%s%s%s", head, md, tail);
	return s;
}

TEST(test_rest_parse__load_table_vends_the_narrowest_credential)
{
	char *body = doc("{\"metadata-location\":\"s3://bucket/wh/db/t/metadata/1.json\",\"metadata\":", METADATA,
	                 ",\"config\":{\"token\":\"tt\",\"s3.endpoint\":\"http://e\",\"s3.access-key-id\":\"cfg\"},"
	                 "\"storage-credentials\":[{\"prefix\":\"s3://bucket/\",\"config\":{\"s3.access-key-id\":\"broad\"}},"
	                 "{\"prefix\":\"s3://bucket/wh/db\",\"config\":{\"s3.access-key-id\":\"narrow\"}},"
	                 "{\"prefix\":\"s3://bucket/wh/db/t2\",\"config\":{\"s3.access-key-id\":\"sibling\"}}]}");
	ice_catalog_table t;
	char *token, *type;
	CHECK_OK(ice_rest__parse_load_table(&t, &token, &type, body, strlen(body), "GET db.t"));
	CHECK_STR(t.metadata_location, "s3://bucket/wh/db/t/metadata/1.json");
	CHECK_STR(ice_table_metadata_location(t.md), "s3://bucket/wh/db/t");
	CHECK_STR(ice_properties_get(&t.io_props, "s3.access-key-id"), "narrow");
	CHECK_STR(ice_properties_get(&t.io_props, "s3.endpoint"), "http://e");
	CHECK(ice_properties_get(&t.io_props, "token") == NULL);
	CHECK_STR(token, "tt");
	CHECK(type == NULL);
	ice_free(token);
	ice_catalog_table__free(&t);
	free(body);

	/* A staged table has no location; a token to exchange comes with its type. */
	body = doc("{\"metadata-location\":null,\"metadata\":", METADATA,
	           ",\"config\":{\"urn:ietf:params:oauth:token-type:jwt\":\"j\"}}");
	CHECK_OK(ice_rest__parse_load_table(&t, &token, &type, body, strlen(body), "GET db.t"));
	CHECK(t.metadata_location == NULL && t.io_props.n == 0);
	CHECK_STR(token, "j");
	CHECK_STR(type, "urn:ietf:params:oauth:token-type:jwt");
	ice_free(token);
	ice_free(type);
	ice_catalog_table__free(&t);
	free(body);
}

TEST(test_rest_parse__load_table_errors_name_the_request_and_path)
{
	static const char *const bad[] = {
		"{\"metadata-location\":\"x\"}",
		"{\"metadata\":{\"format-version\":2}}",
		"{\"metadata\":[]}",
		"[1]",
		"{\"metadata\":",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ice_catalog_table t;
		char *token, *type;
		CHECK(ice_rest__parse_load_table(&t, &token, &type, bad[i], strlen(bad[i]), "GET db.t") != 0);
		CHECK_ERROR_CONTAINS("GET db.t");
		CHECK(!strchr(ice_error_last()->message, '\n'));
	}
	char *body = doc("{\"metadata\":", METADATA, ",\"config\":{\"a\":1}}");
	ice_catalog_table t;
	char *token, *type;
	CHECK_RC(ice_rest__parse_load_table(&t, &token, &type, body, strlen(body), "GET db.t"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("$.config.a");
	free(body);
}

TEST(test_rest_parse__config_endpoints_and_lifetime)
{
	const char *body = "{\"defaults\":{\"clients\":\"4\"},\"overrides\":{\"prefix\":\"p\"},"
	                   "\"endpoints\":[\"GET /v1/{prefix}/namespaces\",\"POST v1/oauth/tokens\"],"
	                   "\"idempotency-key-lifetime\":\"PT30M\"}";
	ice_rest_config_doc d;
	CHECK_OK(ice_rest__parse_config(&d, body, strlen(body), "GET /v1/config"));
	CHECK_STR(ice_rest_props__get(&d.defaults, "clients"), "4");
	CHECK_STR(ice_rest_props__get(&d.overrides, "prefix"), "p");
	CHECK(d.has_endpoints && d.n_endpoints == 2);
	CHECK_INT(d.idempotency_lifetime_ms, 30 * 60 * 1000);

	/* Routes match with or without the '/' before the path. */
	ice_rest_catalog c;
	memset(&c, 0, sizeof(c));
	c.endpoints = d.endpoints;
	c.n_endpoints = d.n_endpoints;
	c.endpoints_listed = true;
	CHECK(ice_rest__supports(&c, "GET /v1/{prefix}/namespaces"));
	CHECK(ice_rest__supports(&c, "POST /v1/oauth/tokens"));
	CHECK(!ice_rest__supports(&c, "HEAD /v1/{prefix}/namespaces/{namespace}"));
	/* Without a list, the spec's default set (which has no HEAD). */
	c.endpoints_listed = false;
	CHECK(ice_rest__supports(&c, "POST /v1/{prefix}/transactions/commit"));
	CHECK(!ice_rest__supports(&c, "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}"));
	ice_rest_config_doc__free(&d);

	const char *bad = "{\"defaults\":{},\"overrides\":{},\"endpoints\":[\"nospace\"]}";
	CHECK_RC(ice_rest__parse_config(&d, bad, strlen(bad), "GET /v1/config"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("$.endpoints[0]");
}

TEST(test_rest_parse__durations)
{
	CHECK_INT(ice_rest__parse_duration("PT30M"), 1800000);
	CHECK_INT(ice_rest__parse_duration("PT24H"), 86400000);
	CHECK_INT(ice_rest__parse_duration("P1DT1H1M1.5S"), 90061500);
	CHECK_INT(ice_rest__parse_duration("PT0.25S"), 250);
	CHECK_INT(ice_rest__parse_duration("P"), -1);
	CHECK_INT(ice_rest__parse_duration("PT"), -1);
	CHECK_INT(ice_rest__parse_duration("P1H"), -1);
	CHECK_INT(ice_rest__parse_duration("PT1.5M"), -1);
	CHECK_INT(ice_rest__parse_duration("30M"), -1);
}

TEST(test_rest_parse__tokens_and_jwt_expiry)
{
	/* {"alg":"none"} . {"exp":1900000000} . sig */
	const char *jwt = "eyJhbGciOiAibm9uZSJ9.eyJleHAiOiAxOTAwMDAwMDAwfQ.sig";
	CHECK_INT(ice_rest__jwt_expiry_ms(jwt), 1900000000000LL);
	CHECK_INT(ice_rest__jwt_expiry_ms("opaque-token"), 0);
	CHECK_INT(ice_rest__jwt_expiry_ms("a.!!.c"), 0);
	ice_rest_token_doc t;
	const char *body = "{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":60}";
	CHECK_OK(ice_rest__parse_token(&t, body, strlen(body), "token request"));
	CHECK_STR(t.access_token, "abc");
	CHECK_INT(t.expires_in_s, 60);
	ice_rest_token_doc__free(&t);
	body = "{\"access_token\":\"abc\",\"token_type\":\"mac\"}";
	CHECK_RC(ice_rest__parse_token(&t, body, strlen(body), "token request"), ICE_EUNSUPPORTED);
	/* A message never quotes the token. */
	CHECK(!strstr(ice_error_last()->message, "abc"));
}

TEST(test_rest_parse__errors_are_one_line)
{
	ice_rest_error_doc e;
	const char *body = "{\"error\":{\"message\":\"bad\\nthing\\u0007 here\",\"type\":\"BadRequestException\","
	                   "\"code\":400,\"stack\":[\"x\"]}}";
	CHECK(ice_rest__parse_error(&e, body, strlen(body)));
	CHECK_STR(e.type, "BadRequestException");
	CHECK_STR(e.message, "bad thing  here");
	CHECK_INT(e.code, 400);
	body = "{\"error\":\"invalid_client\",\"error_description\":\"no\"}";
	CHECK(ice_rest__parse_error(&e, body, strlen(body)));
	CHECK_STR(e.type, "invalid_client");
	CHECK_STR(e.message, "no");
	CHECK(!ice_rest__parse_error(&e, "<html>", 6));
	CHECK(!ice_rest__parse_error(&e, "{\"error\":5}", 11));
}

TEST(test_rest_parse__listings)
{
	ice_string_list l = {0, NULL};
	char *next;
	const char *body = "{\"namespaces\":[[\"a\"],[\"a\",\"b\"]],\"next-page-token\":\"t1\"}";
	CHECK_OK(ice_rest__parse_namespaces(&l, &next, body, strlen(body), "list namespaces"));
	CHECK(l.n == 2);
	CHECK_STR(l.items[1], "a.b");
	CHECK_STR(next, "t1");
	ice_free(next);
	ice_string_list_free(&l);
	body = "{\"namespaces\":[[\"a.b\"]]}";
	CHECK_RC(ice_rest__parse_namespaces(&l, &next, body, strlen(body), "list namespaces"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("$.namespaces[0][0]");
	ice_string_list_free(&l);
	body = "{\"identifiers\":[{\"namespace\":[\"a\",\"b\"],\"name\":\"t\"}],\"next-page-token\":null}";
	CHECK_OK(ice_rest__parse_tables(&l, &next, "a.b", body, strlen(body), "list tables"));
	CHECK(l.n == 1 && next == NULL);
	CHECK_STR(l.items[0], "t");
	ice_string_list_free(&l);
	CHECK_RC(ice_rest__parse_tables(&l, &next, "c", body, strlen(body), "list tables"), ICE_EINVALID);
	ice_string_list_free(&l);
}

TEST(test_rest_config__environment)
{
	ice_rest_props p;
	ice_property given[] = {{"uri", "http://x"}, {"token", "from-file"}};
	ice_properties g = {2, given};
	setenv("ICE_CATALOG__MY_CAT__OAUTH2_SERVER_URI", "http://auth/token", 1);
	setenv("ICE_CATALOG__MY_CAT__TOKEN", "from-env", 1);
	setenv("ICE_CATALOG__MY_CAT__HEADER__X_TENANT", "t1", 1);
	setenv("ICE_REST_REST__SIGV4_ENABLED", "true", 1);
	CHECK_OK(ice_rest__client_props(&p, "my-cat", &g));
	CHECK_STR(ice_rest_props__get(&p, "uri"), "http://x");
	CHECK_STR(ice_rest_props__get(&p, "token"), "from-env");
	CHECK_STR(ice_rest_props__get(&p, "oauth2-server-uri"), "http://auth/token");
	CHECK_STR(ice_rest_props__get(&p, "header.x-tenant"), "t1");
	CHECK(ice_rest_props__get(&p, "rest.sigv4-enabled") == NULL);
	ice_rest_props__free(&p);
	CHECK_OK(ice_rest__client_props(&p, NULL, NULL));
	CHECK_STR(ice_rest_props__get(&p, "rest.sigv4-enabled"), "true");
	ice_rest_props__free(&p);
	unsetenv("ICE_CATALOG__MY_CAT__OAUTH2_SERVER_URI");
	unsetenv("ICE_CATALOG__MY_CAT__TOKEN");
	unsetenv("ICE_CATALOG__MY_CAT__HEADER__X_TENANT");
	unsetenv("ICE_REST_REST__SIGV4_ENABLED");
}

static char *commit_json(const ice_catalog_change *ch)
{
	ice_json_writer w;
	const char *text;
	size_t len;
	char *out = NULL;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	if (ice_rest__write_commit(&w, ch, true) == 0 && ice_json_writer_finish(&w, &text, &len) == 0)
		out = strndup(text, len);
	ice_jw__free(&w);
	return out;
}

TEST(test_rest_commit__requirements_follow_the_changes)
{
	ice_table_metadata *base, *next;
	ice_metadata_builder *b;
	ice_property props[] = {{"k", "v"}};
	ice_properties set = {1, props};
	CHECK_OK(ice_table_metadata_parse(&base, METADATA, strlen(METADATA), "base"));

	/* Properties only: the table's uuid, nothing else. */
	CHECK_OK(ice_metadata_builder_new(&b, base));
	CHECK_OK(ice_metadata_builder_set_properties(b, &set));
	CHECK_OK(ice_metadata_builder_build(&next, b));
	ice_catalog_change ch = {"db.t", base, "loc", NULL, b, next, false};
	char *json = commit_json(&ch);
	CHECK(json);
	CHECK(strstr(json, "\"identifier\":{\"namespace\":[\"db\"],\"name\":\"t\"}"));
	CHECK(strstr(json, "\"requirements\":[{\"type\":\"assert-table-uuid\","
	                   "\"uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\"}]"));
	CHECK(strstr(json, "\"action\":\"set-properties\""));
	free(json);
	ice_table_metadata_free(next);
	ice_metadata_builder_free(b);

	/* A new branch: assert it does not exist yet; a new schema: the old
	 * last column id and current schema. */
	ice_ref ref;
	memset(&ref, 0, sizeof(ref));
	CHECK_OK(ice_metadata_builder_new(&b, base));
	const char *snap = "{\"snapshot-id\":7,\"sequence-number\":1,\"timestamp-ms\":2,"
	                   "\"manifest-list\":\"s3://bucket/wh/db/t/metadata/snap-7.avro\",\"summary\":{\"operation\":\"append\"},"
	                   "\"schema-id\":0}";
	ice_table_updates *ups;
	char updates[512];
	snprintf(updates, sizeof(updates), "[{\"action\":\"add-snapshot\",\"snapshot\":%s},"
	         "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"snapshot-id\":7,\"type\":\"branch\"}]", snap);
	CHECK_OK(ice_table_updates_from_json(&ups, updates, strlen(updates), "updates"));
	CHECK_OK(ice_metadata_builder_apply(b, ups));
	ice_table_updates_free(ups);
	CHECK_OK(ice_metadata_builder_build(&next, b));
	ch.changes = b;
	ch.next = next;
	json = commit_json(&ch);
	CHECK(json);
	CHECK(strstr(json, "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null}"));
	free(json);

	/* A staged create: assert-create and the creation's updates first. */
	ch.create = true;
	json = commit_json(&ch);
	CHECK(json);
	CHECK(strstr(json, "\"requirements\":[{\"type\":\"assert-create\"}]"));
	CHECK(strstr(json, "\"action\":\"assign-uuid\""));
	CHECK(strstr(json, "\"action\":\"add-schema\""));
	CHECK(strstr(json, "\"action\":\"add-snapshot\""));
	CHECK(strstr(json, "assign-uuid") < strstr(json, "add-snapshot"));
	free(json);
	ice_table_metadata_free(next);
	ice_metadata_builder_free(b);
	ice_table_metadata_free(base);
}
