/*
 * io/s3_call.h - what the S3 client's files share (s3.c: the client and
 * one signed call, HEAD and GET; s3_write.c: PUT, conditional publishing,
 * multipart uploads; s3_keys.c: ListObjectsV2, DELETE, DeleteObjects).
 */
#ifndef ICE_IO_S3_CALL_H
#define ICE_IO_S3_CALL_H

#include <pthread.h>

#include "s3.h"

struct ice_arena;

#define MAX_QUERY 6
#define MAX_HEADERS 6

typedef struct bucket_state {
	char *bucket;
	int conditional; /* 1 supported, 0 not, -1 unknown */
	struct bucket_state *next;
} bucket_state;

struct ice_s3 {
	ice_s3_config cfg;
	ice_http_client *http;
	bool https;
	char *host;      /* the endpoint's host[:port] as sent in Host */
	char *base_path; /* a path the endpoint URL carries, "" usually */
	bool aws;        /* no endpoint configured: AWS itself */
	pthread_mutex_t mu;
	bucket_state *buckets;
};

typedef struct s3_call {
	ice_s3 *s3;
	const char *method;
	ice_s3_path path;
	char what[512];
	ice_http_header query[MAX_QUERY];
	size_t nquery;
	ice_http_header headers[MAX_HEADERS]; /* sent and signed */
	size_t nheaders;
	char payload_hash[65];
	bool unsigned_payload;
	char *url;
	char *host;
	char *canonical_path; /* decoded */
	ice_http_request req;
	bool control; /* a response the caller parses: XML into memory */
} s3_call;

/* The length of "s3://" ("s3a://", "s3n://") at the start of `location`, or 0. */
size_t ice_s3__scheme_len(const char *location);

/*
 * One call on `location`: ice_s3__call_init names it ("<location>: <op>" in
 * messages), the caller adds query parameters and headers (signed and sent;
 * the strings must outlive the call), ice_s3__call_build makes the URL and
 * the request (for `key`, or the location's own key when NULL), and
 * ice_s3__call_run sends it, checking for a 2xx.
 */
int ice_s3__call_init(s3_call *c, ice_s3 *s3, const char *method, const char *location, const char *op);
void ice_s3__call_query(s3_call *c, const char *name, const char *value);
void ice_s3__call_header(s3_call *c, const char *name, const char *value);
int ice_s3__call_build(s3_call *c, const char *key);
void ice_s3__call_free(s3_call *c);
int ice_s3__call_run(s3_call *c, ice_http_response *resp);
/* Sends a call without replacing the error being reported (clean-ups). */
void ice_s3__call_quietly(s3_call *c);
/* The error for a response the operation did not want. */
int ice_s3__call_error(const s3_call *c, const ice_http_response *r);
/* Parses a response's XML; a 200 that holds <Error> is that error. */
int ice_s3__call_xml(const s3_call *c, const ice_http_response *r, struct ice_arena *arena, ice_s3_xml **out);
/* Text escaped for an XML element. */
void ice_s3__xml_escape(ice_buf *b, const char *s);

static inline bool ice_s3__ok_status(long s)
{
	return s >= 200 && s < 300;
}

#endif
