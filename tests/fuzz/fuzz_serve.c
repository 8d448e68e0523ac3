/*
 * Fuzz target: the REST server's request handlers (routing, names, bodies,
 * auth headers, commits) through ice_server_handle, over a scratch warehouse
 * with one namespace and one table. Input: "METHOD PATH[?QUERY]\n
 * AUTHORIZATION\nBODY". Every request must get a well-formed answer: a status
 * between 200 and 599 and, when there is a body, JSON of the ErrorModel for
 * errors.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ice.h"

static ice_server *server;
static ice_catalog *catalog;
static ice_io *io;
static char scratch[] = "/tmp/ice-fuzz-serve-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch warehouse goes with the process. */
static void cleanup(void)
{
	ice_server_free(server);
	ice_catalog_free(catalog);
	ice_io_free(io);
	nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void handle(const char *method, const char *path, const char *query, const char *auth, const char *body,
                   size_t body_len)
{
	ice_server_request rq;
	ice_server_response resp;
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = path;
	rq.query = query;
	rq.authorization = auth;
	rq.body = body;
	rq.body_len = body_len;
	if (ice_server_handle(server, &rq, &resp) != 0)
		return; /* out of memory building the answer */
	FUZZ_ASSERT(resp.status >= 200 && resp.status < 600);
	if (resp.status >= 400 && resp.body)
		FUZZ_ASSERT(strstr(resp.body, "\"error\"") != NULL);
	ice_server_response_free(&resp);
}

static int setup(void)
{
	ice_server_config *cfg;
	if (!mkdtemp(scratch))
		return -1;
	atexit(cleanup);
	if (ice_io_new(&io) || ice_catalog_open(&catalog, io, scratch) || ice_server_config_new(&cfg))
		return -1;
	/* Tokens and grants, so the auth paths are reached too. */
	ice_server_config_set(cfg, "token.fuzz", "fuzz-token-1");
	ice_server_config_set(cfg, "client.c", "client-secret");
	ice_server_config_set(cfg, "grant.fuzz", "write:db read:*");
	int rc = ice_server_new(&server, catalog, cfg);
	ice_server_config_free(cfg);
	if (rc)
		return -1;
	static const char ns[] = "{\"namespace\":[\"db\"]}";
	static const char table[] = "{\"name\":\"t\",\"schema\":{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"id\","
	                            "\"type\":\"long\",\"required\":true}]}}";
	handle("POST", "/v1/namespaces", NULL, "Bearer fuzz-token-1", ns, sizeof(ns) - 1);
	handle("POST", "/v1/namespaces/db/tables", NULL, "Bearer fuzz-token-1", table, sizeof(table) - 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *text, *line2, *body, *path, *query, *space;
	if (!ready) {
		if (setup() != 0)
			__builtin_trap();
		ready = 1;
	}
	if (size > (1 << 20) || !(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* Embedded NULs end the head lines, as a header parser would. */
	line2 = memchr(text, '\n', size);
	if (!line2) {
		free(text);
		return 0;
	}
	*line2++ = '\0';
	body = strchr(line2, '\n');
	if (body)
		*body++ = '\0';
	space = strchr(text, ' ');
	if (!space) {
		free(text);
		return 0;
	}
	*space = '\0';
	path = space + 1;
	query = strchr(path, '?');
	if (query)
		*query++ = '\0';
	size_t body_len = body ? size - (size_t)(body - text) : 0;
	handle(text, path, query, *line2 ? line2 : NULL, body, body_len);
	free(text);
	return 0;
}
