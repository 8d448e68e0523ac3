/*
 * Fuzz target: what a REST catalog server sends, as the client reads it.
 * Every input goes to every response parser (ErrorModel and OAuth errors,
 * CatalogConfig, OAuthTokenResponse, ListNamespacesResponse,
 * ListTablesResponse, GetNamespaceResponse, LoadTableResult) and, as text,
 * to the ISO-8601 duration and JWT expiry readers. An input that is the
 * spec's example collection (../shared/fixtures/rest/openapi-examples.json:
 * an object with "examples") also feeds each example body on its own, so
 * the OpenAPI examples are seeds without being copied. What parses keeps
 * its promises: one-line messages, names ice can use, no control characters
 * in tokens, metadata that passed the metadata parser.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rest/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

static void check_names(const ice_string_list *l, bool dotted)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->items[i];
		FUZZ_ASSERT(*s && !strchr(s, '/'));
		if (dotted)
			FUZZ_ASSERT(s[0] != '.' && s[strlen(s) - 1] != '.' && !strstr(s, ".."));
	}
}

static void run_all(const char *d, size_t n)
{
	ice_rest_error_doc e;
	if (ice_rest__parse_error(&e, d, n)) {
		for (const char *p = e.message; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
		for (const char *p = e.type; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	}

	ice_rest_config_doc cfg;
	if (ice_rest__parse_config(&cfg, d, n, "fuzz") == 0) {
		FUZZ_ASSERT(!cfg.has_endpoints || cfg.n_endpoints == 0 || cfg.endpoints);
		for (size_t i = 0; i < cfg.n_endpoints; i++)
			FUZZ_ASSERT(strchr(cfg.endpoints[i], ' '));
		FUZZ_ASSERT(cfg.idempotency_lifetime_ms >= 0);
		ice_rest_config_doc__free(&cfg);
	}

	ice_rest_token_doc tok;
	if (ice_rest__parse_token(&tok, d, n, "fuzz") == 0) {
		FUZZ_ASSERT(tok.access_token && *tok.access_token);
		FUZZ_ASSERT(!strpbrk(tok.access_token, "\r\n"));
		ice_rest_token_doc__free(&tok);
	}

	ice_string_list l = {0, NULL};
	char *next = NULL;
	if (ice_rest__parse_namespaces(&l, &next, d, n, "fuzz") == 0)
		check_names(&l, true);
	ice_string_list_free(&l);
	ice__free(next);
	next = NULL;
	if (ice_rest__parse_tables(&l, &next, "a.b", d, n, "fuzz") == 0)
		check_names(&l, false);
	ice_string_list_free(&l);
	ice__free(next);

	ice_properties props;
	if (ice_rest__parse_namespace(&props, d, n, "fuzz") == 0)
		ice_catalog_properties_free(&props);

	ice_catalog_table t;
	char *token = NULL, *type = NULL;
	if (ice_rest__parse_load_table(&t, &token, &type, d, n, "fuzz") == 0) {
		FUZZ_ASSERT(t.md != NULL);
		FUZZ_ASSERT(!type || token);
		for (size_t i = 0; i < t.io_props.n; i++)
			FUZZ_ASSERT(strcmp(t.io_props.items[i].key, "token") != 0);
		ice_catalog_table__free(&t);
	}
	ice__free(token);
	ice__free(type);

	char *text = ice__malloc(n + 1);
	if (text) {
		memcpy(text, d, n);
		text[n] = '\0';
		FUZZ_ASSERT(ice_rest__parse_duration(text) >= -1);
		FUZZ_ASSERT(ice_rest__jwt_expiry_ms(text) >= 0);
		ice__free(text);
	}
	ice_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ice_json *root = NULL, *examples;
	run_all((const char *)data, size);
	if (ice_json__parse(&root, (const char *)data, size, "fuzz") == 0 && ice_json__type(root) == ICE_JSON_OBJECT &&
	    (examples = ice_json__get(root, "examples")) && ice_json__type(examples) == ICE_JSON_OBJECT) {
		ice_json_iter it;
		const char *k;
		ice_json *v;
		ice_json__iter_init(&it, examples);
		while (ice_json__iter_next(&it, &k, &v)) {
			ice_json_writer w;
			const char *text;
			size_t len;
			ice_jw__init(&w, ICE_JSON_COMPACT);
			ice_json__write(v, &w);
			if (ice_json_writer_finish(&w, &text, &len) == 0)
				run_all(text, len);
			ice_jw__free(&w);
		}
	}
	ice_json__free(root);
	ice_error_clear();
	return 0;
}
