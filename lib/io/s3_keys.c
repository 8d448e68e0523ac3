/*
 * io/s3_keys.c - keys as a whole: ListObjectsV2 (every page, delimited or
 * not, keys url-encoded by the server and decoded here), DELETE, and
 * DeleteObjects in batches (parallel, per-key failures reported).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_call.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

static int64_t parse_mtime(const char *s)
{
	int64_t us;
	bool zone;
	if (s && ice_dt__parse_timestamp(s, strlen(s), false, &us, &zone))
		return us / 1000;
	return 0;
}

/* ---- DELETE ------------------------------------------------------------------------- */

int ice_s3__delete(ice_s3 *s3, const char *location)
{
	s3_call c;
	ice_http_response r;
	int rc;
	if ((rc = ice_s3__call_init(&c, s3, "DELETE", location, "DELETE")) != 0 || (rc = ice_s3__call_build(&c, NULL)) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	rc = ice_s3__call_run(&c, &r);
	ice_http_response__free(&r);
	ice_s3__call_free(&c);
	return rc;
}

typedef struct delete_batch {
	s3_call call;
	ice_buf body;
	char md5[25];
	const char *const *locations;
	size_t n;
	ice_http_pending *pending;
} delete_batch;

static int batch_start(ice_s3 *s3, delete_batch *b, const char *const *locations, size_t n)
{
	int rc;
	char bucket_loc[300];
	ice_s3_path first;
	b->locations = locations;
	b->n = n;
	ice_buf__init(&b->body, ICE_BUF_DEFAULT_LIMIT);
	if ((rc = ice_s3__parse(&first, locations[0])) != 0)
		return rc;
	snprintf(bucket_loc, sizeof(bucket_loc), "s3://%s", first.bucket);
	ice_buf__puts(&b->body, "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>");
	for (size_t i = 0; i < n && !rc; i++) {
		ice_s3_path p;
		if ((rc = ice_s3__parse(&p, locations[i])) != 0)
			break;
		if (strcmp(p.bucket, first.bucket) != 0)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: not in bucket %s", locations[i], first.bucket);
		ice_buf__puts(&b->body, "<Object><Key>");
		ice_s3__xml_escape(&b->body, p.key);
		ice_buf__puts(&b->body, "</Key></Object>");
		ice_s3_path__free(&p);
	}
	ice_buf__puts(&b->body, "</Delete>");
	ice_s3_path__free(&first);
	if (rc)
		return rc;
	if (b->body.error)
		return ICE_ERROR;
	if ((rc = ice_s3__call_init(&b->call, s3, "POST", bucket_loc, "DeleteObjects")) != 0)
		return rc;
	if ((rc = ice_sigv4__md5_base64(b->body.ptr, b->body.len, b->md5)) != 0 ||
	    (rc = ice_sigv4__sha256_hex(b->body.ptr, b->body.len, b->call.payload_hash)) != 0)
		return rc;
	ice_s3__call_query(&b->call, "delete", "");
	ice_s3__call_header(&b->call, "Content-MD5", b->md5);
	ice_s3__call_header(&b->call, "Content-Type", "application/xml");
	if ((rc = ice_s3__call_build(&b->call, "")) != 0)
		return rc;
	b->call.req.body = b->body.ptr;
	b->call.req.body_len = b->body.len;
	return ice_http__start(s3->http, &b->call.req, &b->pending);
}

static int batch_finish(delete_batch *b, ice_s3_failed_fn failed, void *payload)
{
	ice_http_response r;
	ice_arena arena;
	ice_s3_xml *doc;
	int rc = ice_http__wait(b->pending, &r);
	b->pending = NULL;
	ice_arena__init(&arena, 4096);
	if (!rc && !ice_s3__ok_status(r.status))
		rc = ice_s3__call_error(&b->call, &r);
	if (!rc && r.body.len)
		rc = ice_s3__call_xml(&b->call, &r, &arena, &doc);
	else
		doc = NULL;
	for (const ice_s3_xml *e = doc ? doc->children : NULL; !rc && e; e = e->next) {
		if (strcmp(e->name, "Error") != 0)
			continue;
		const char *key = ice_s3_xml__text(e, "Key"), *code = ice_s3_xml__text(e, "Code");
		char safe[80];
		size_t k = 0;
		for (const char *p = code; p && *p && k + 1 < sizeof(safe); p++)
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
				safe[k++] = *p;
		safe[k] = '\0';
		/* Name it by our own location (the key as we sent it). */
		for (size_t i = 0; key && i < b->n; i++) {
			const char *slash = strchr(b->locations[i] + ice_s3__scheme_len(b->locations[i]), '/');
			if (slash && strcmp(slash + 1, key) == 0) {
				if (failed)
					rc = failed(b->locations[i], safe, payload);
				break;
			}
		}
	}
	ice_http_response__free(&r);
	ice_arena__free(&arena);
	return rc;
}

static void batch_free(delete_batch *b)
{
	ice_s3__call_free(&b->call);
	ice_buf__free(&b->body);
}

int ice_s3__delete_many(ice_s3 *s3, const char *const *locations, size_t n, ice_s3_failed_fn failed, void *payload)
{
	enum { WINDOW = 4 };
	delete_batch batches[WINDOW];
	size_t per = s3->cfg.delete_batch ? s3->cfg.delete_batch : 1000;
	size_t next = 0, head = 0, tail = 0; /* batches [head, tail) are running */
	int rc = 0;
	memset(batches, 0, sizeof(batches));
	while ((next < n && !rc) || head < tail) {
		if (next < n && !rc && tail - head < WINDOW) {
			delete_batch *b = &batches[tail % WINDOW];
			size_t k = n - next < per ? n - next : per;
			memset(b, 0, sizeof(*b));
			rc = batch_start(s3, b, locations + next, k);
			if (rc) {
				batch_free(b);
			} else {
				tail++;
				next += k;
			}
			continue;
		}
		delete_batch *b = &batches[head % WINDOW];
		int brc = batch_finish(b, failed, payload);
		batch_free(b);
		head++;
		if (!rc)
			rc = brc;
	}
	return rc;
}

/* ---- LIST ---------------------------------------------------------------------------- */

static int list_impl(ice_s3 *s3, const char *location, bool raw_prefix, bool delimited, size_t max_keys, bool one_page,
                     ice_s3_list_fn fn, void *payload)
{
	ice_s3_path where;
	char *prefix = NULL, *token = NULL, max[24];
	int rc;
	if ((rc = ice_s3__parse(&where, location)) != 0)
		return rc;
	size_t kn = strlen(where.key);
	if (!raw_prefix)
		while (kn && where.key[kn - 1] == '/')
			kn--;
	if (!(prefix = ice__malloc(kn + 2))) {
		ice_s3_path__free(&where);
		return ICE_ERROR;
	}
	memcpy(prefix, where.key, kn);
	if (kn && !raw_prefix)
		prefix[kn++] = '/';
	prefix[kn] = '\0';
	/* Names are relative to the directory the prefix is in. */
	size_t strip = kn;
	if (raw_prefix) {
		const char *slash = strrchr(prefix, '/');
		strip = slash ? (size_t)(slash - prefix) + 1 : 0;
	}
	snprintf(max, sizeof(max), "%zu", max_keys && max_keys < 1000 ? max_keys : 1000);
	for (;;) {
		s3_call c;
		ice_http_response r;
		ice_arena arena;
		ice_s3_xml *doc = NULL;
		ice_arena__init(&arena, 16384);
		if ((rc = ice_s3__call_init(&c, s3, "GET", location, "ListObjectsV2")) != 0) {
			ice_s3__call_free(&c);
			ice_arena__free(&arena);
			break;
		}
		ice_s3__call_query(&c, "list-type", "2");
		ice_s3__call_query(&c, "prefix", prefix);
		if (delimited)
			ice_s3__call_query(&c, "delimiter", "/");
		ice_s3__call_query(&c, "max-keys", max);
		ice_s3__call_query(&c, "encoding-type", "url");
		if (token)
			ice_s3__call_query(&c, "continuation-token", token);
		if ((rc = ice_s3__call_build(&c, "")) == 0 && (rc = ice_s3__call_run(&c, &r)) == 0)
			rc = ice_s3__call_xml(&c, &r, &arena, &doc);
		ice_http_response__free(&r);
		ice__free(token);
		token = NULL;
		bool truncated = false;
		for (const ice_s3_xml *e = doc ? doc->children : NULL; !rc && e; e = e->next) {
			bool is_prefix = strcmp(e->name, "CommonPrefixes") == 0;
			if (!strcmp(e->name, "IsTruncated")) {
				truncated = !strcmp(e->text, "true");
				continue;
			}
			if (!strcmp(e->name, "NextContinuationToken")) {
				/* The token is opaque; never decoded. */
				if (!(token = ice__strdup(e->text)))
					rc = ICE_ERROR;
				continue;
			}
			if (!is_prefix && strcmp(e->name, "Contents") != 0)
				continue;
			const char *raw = ice_s3_xml__text(e, is_prefix ? "Prefix" : "Key");
			ice_buf key = ICE_BUF_INIT;
			if (!raw || ice_http__url_decode(&key, raw, strlen(raw)) != 0) {
				ice_buf__free(&key);
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: malformed key in a listing", c.what);
				break;
			}
			const char *name = ice_buf__cstr(&key);
			size_t nn = key.len;
			if (nn < kn || memcmp(name, prefix, kn) != 0) {
				ice_buf__free(&key);
				continue; /* not below the prefix (a server bug): ignored */
			}
			name += strip;
			nn -= strip;
			if (is_prefix && nn && name[nn - 1] == '/')
				((char *)name)[--nn] = '\0';
			if (nn) {
				ice_s3_entry ent = {name, is_prefix, 0, 0};
				if (!is_prefix) {
					const char *size = ice_s3_xml__text(e, "Size");
					int64_t sz;
					if (size && ice_str__to_int64(size, strlen(size), &sz) && sz >= 0)
						ent.size = (uint64_t)sz;
					ent.mtime_ms = parse_mtime(ice_s3_xml__text(e, "LastModified"));
				}
				rc = fn(&ent, payload);
			}
			ice_buf__free(&key);
		}
		ice_s3__call_free(&c);
		ice_arena__free(&arena);
		if (rc || !truncated || one_page)
			break;
		if (!token) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO,
			                    "%s: ListObjectsV2: a truncated page without a continuation token", location);
			break;
		}
	}
	ice__free(token);
	ice__free(prefix);
	ice_s3_path__free(&where);
	return rc;
}

int ice_s3__list(ice_s3 *s3, const char *location, bool delimited, size_t max_keys, ice_s3_list_fn fn,
                 void *payload)
{
	return list_impl(s3, location, false, delimited, max_keys, false, fn, payload);
}

int ice_s3__list_prefix(ice_s3 *s3, const char *location_prefix, size_t max_keys, ice_s3_list_fn fn, void *payload)
{
	return list_impl(s3, location_prefix, true, true, max_keys, true, fn, payload);
}

