/*
 * io/sigv4.h - AWS Signature Version 4 (the one place that signs) and the
 * digests S3 needs, over OpenSSL (sigv4.c is the only file that includes
 * it). Header signing adds X-Amz-Date, X-Amz-Security-Token,
 * x-amz-content-sha256 and Authorization to a request; query presigning
 * puts the same into the URL's query. Checked against AWS's published
 * Signature Version 4 test suite (tests/unit/io).
 *
 * Credentials live in ice_aws_credentials and nowhere else: nothing in
 * this module formats them into a message, and freeing wipes them.
 */
#ifndef ICE_IO_SIGV4_H
#define ICE_IO_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "util/buf.h"

typedef struct ice_aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL without one */
} ice_aws_credentials;

/* Copies (any of them may be NULL); wipes and frees. */
int ice_aws_credentials__set(ice_aws_credentials *c, const char *access_key_id, const char *secret_access_key,
                             const char *session_token);
void ice_aws_credentials__clear(ice_aws_credentials *c);
bool ice_aws_credentials__present(const ice_aws_credentials *c);

typedef struct ice_sigv4_request {
	const char *method;
	const char *host; /* the Host header's value: host, or host:port when not the default */
	const char *path; /* decoded (not percent-encoded), starting with '/' */
	const ice_http_header *query; /* decoded names and values */
	size_t nquery;
	const ice_http_header *headers; /* other headers to sign (Host is added from `host`) */
	size_t nheaders;
	/* Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; NULL: the empty body's. */
	const char *payload_hash;
} ice_sigv4_request;

typedef struct ice_sigv4_params {
	const char *region;
	const char *service;
	int64_t time;            /* seconds since the epoch */
	bool normalize_path;     /* remove . and .. segments and empty ones (not for S3) */
	bool double_encode;      /* canonical path = encode(encode(path)) (services other than S3) */
	bool sign_body;          /* send and sign x-amz-content-sha256 (S3) */
	bool omit_session_token; /* add the token after signing instead of signing it */
	int64_t expires;         /* presigning: X-Amz-Expires in seconds (1..604800) */
} ice_sigv4_params;

/* A signature and what it was made of (the intermediate texts for tests). */
typedef struct ice_sigv4_result {
	ice_http_headers headers;  /* header signing: the headers to add, in order */
	ice_buf query;             /* presigning: the whole encoded query string to send */
	ice_buf canonical_request;
	ice_buf string_to_sign;
	char signature[65];
} ice_sigv4_result;

void ice_sigv4_result__free(ice_sigv4_result *r);

/*
 * Sign `req` with `creds` for header authentication: r->headers gets
 * X-Amz-Date, x-amz-content-sha256 (with sign_body), X-Amz-Security-Token
 * (with a token) and Authorization. `r` is initialised here; free it in
 * every case. ICE_EAUTH without credentials.
 */
int ice_sigv4__sign_headers(ice_sigv4_result *r, const ice_aws_credentials *creds, const ice_sigv4_params *p,
                            const ice_sigv4_request *req);

/*
 * Presign `req` (its query plus the X-Amz-* parameters): r->query is the
 * query string to put after '?' in the URL. Only `host` and req->headers
 * are signed; the payload is signed as req->payload_hash ("UNSIGNED-PAYLOAD"
 * for S3 URLs).
 */
int ice_sigv4__presign(ice_sigv4_result *r, const ice_aws_credentials *creds, const ice_sigv4_params *p,
                       const ice_sigv4_request *req);

/* "YYYYMMDDTHHMMSSZ" of `time` into out[17]. */
void ice_sigv4__amz_date(int64_t time, char out[17]);

/* ---- digests ----------------------------------------------------------------- */

/* Lower-case hex SHA-256 into out[65]. */
int ice_sigv4__sha256_hex(const void *data, size_t len, char out[65]);
/* Lower-case hex SHA-256 of `len` bytes read through `read` in pieces of
 * up to `buf_len` bytes (into `buf`). */
int ice_sigv4__sha256_stream(ice_http_read_fn read, void *payload, uint64_t len, uint8_t *buf, size_t buf_len,
                             char out[65]);
/* Base64 of the MD5 digest into out[25] (Content-MD5, which DeleteObjects needs). */
int ice_sigv4__md5_base64(const void *data, size_t len, char out[25]);

#endif
