/*
 * io/s3.h - S3 and every S3-compatible store (MinIO, Ceph, R2, GCS's XML
 * API with HMAC keys): the configuration (s3_config.c), the client that
 * speaks S3's REST API over the HTTP client and signs with SigV4 (s3.c),
 * the XML it answers with (s3_xml.c), and FileIO on top (s3_io.c).
 *
 * Locations are s3://bucket/key (s3a:// and s3n:// too). Errors name the
 * location, the operation, the status and S3's error code -
 * "s3://b/t/metadata/x.avro: GET: 403 AccessDenied" - and nothing else a
 * server sent (its <Message> could echo a request header).
 */
#ifndef ICE_IO_S3_H
#define ICE_IO_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "ice/snapshot.h"
#include "sigv4.h"

struct ice_arena;

/* ---- configuration (s3_config.c) -------------------------------------------- */

/* What to do about If-None-Match: * (s3.conditional-writes). */
typedef enum ice_s3_conditional {
	ICE_S3_COND_AUTO = 0, /* find out once per bucket (a probe object written twice) */
	ICE_S3_COND_ON,       /* the store supports it */
	ICE_S3_COND_OFF,      /* it does not: refuse to publish without replacing */
	ICE_S3_COND_UNSAFE,   /* it does not, and the user accepts racy publishes */
} ice_s3_conditional;

typedef struct ice_s3_config {
	char *endpoint;      /* scheme://host[:port] with no trailing '/'; NULL: AWS */
	char *region;
	int path_style;      /* 1: path-style, 0: virtual-hosted, -1: decide per endpoint */
	bool anonymous;      /* send requests unsigned */
	ice_aws_credentials creds;
	const char *creds_source; /* static text naming where they came from, for errors */
	uint64_t part_size;  /* multipart part size */
	double threshold;    /* multipart from threshold * part_size on */
	int parts_in_flight; /* parts uploading at once per file */
	size_t delete_batch; /* keys per DeleteObjects */
	uint64_t read_ahead; /* bytes of prefetched ranges an input may hold */
	ice_s3_conditional conditional;
	char *staging_dir;   /* where parts wait for upload; NULL: $TMPDIR or /tmp */
	char *ca_bundle;
	ice_http_options http;
} ice_s3_config;

/*
 * Resolve the configuration: Iceberg's property names first (`props`, e.g.
 * s3.endpoint, s3.region, s3.access-key-id, s3.secret-access-key,
 * s3.session-token, s3.path-style-access, s3.multipart.part-size, s3.retry.*),
 * then the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, AWS_CA_BUNDLE), then the profile (AWS_PROFILE or
 * "default") in ~/.aws/credentials and ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE,
 * AWS_CONFIG_FILE). ICE_EINVALID "<key>: <why>" for a bad value (never
 * quoting the value of a secret key).
 */
int ice_s3_config__resolve(ice_s3_config *out, const ice_properties *props);
void ice_s3_config__free(ice_s3_config *c);
/* The same with a profile read from `text` (credentials-file syntax, or
 * config-file syntax with `config_file`) instead of the profile files: for
 * the fuzz target of the profile parser. */
int ice_s3_config__from_profile_text(ice_s3_config *out, const char *text, size_t len, const char *name,
                                     bool config_file);
/* Whether a table's own properties may set `key` (tuning only: never where
 * requests go or with what credentials). */
bool ice_s3_config__table_may_set(const char *key);

/* ---- locations ---------------------------------------------------------------- */

/* Whether `location` names an object store location ice serves as S3. */
bool ice_s3__is_location(const char *location);

typedef struct ice_s3_path {
	char *bucket;
	char *key; /* "" for the bucket itself */
} ice_s3_path;

/* s3://bucket/key -> bucket and key (allocated). ICE_EINVALID without a bucket. */
int ice_s3__parse(ice_s3_path *out, const char *location);
void ice_s3_path__free(ice_s3_path *p);

/* ---- the client (s3.c) --------------------------------------------------------- */

typedef struct ice_s3 ice_s3;

/* A client; takes over `cfg` (cleared here). */
int ice_s3__new(ice_s3 **out, ice_s3_config *cfg);
void ice_s3__free(ice_s3 *s3);
const ice_s3_config *ice_s3__config(const ice_s3 *s3);
ice_http_client *ice_s3__http(ice_s3 *s3);

typedef struct ice_s3_object {
	uint64_t size;
	int64_t mtime_ms;
	char etag[80];
} ice_s3_object;

/* HEAD: ICE_ENOTFOUND when there is no such object. */
int ice_s3__head(ice_s3 *s3, const char *location, ice_s3_object *out);

/*
 * GET bytes [offset, offset + len) into `dst` (len 0: nothing). With
 * `len` == UINT64_MAX the whole object goes to an allocated buffer
 * (*whole_out, *whole_len_out, capped at max_whole bytes).
 * *size_out (may be NULL) receives the object's size when the answer says
 * it. A short answer is an error; 416 is ICE_EINVALID.
 */
typedef struct ice_s3_get {
	const char *location;
	uint64_t offset;
	uint64_t len;    /* bytes wanted */
	void *dst;       /* len bytes */
	bool suffix;     /* the last `len` bytes (offset ignored): "bytes=-len" */
	/* results */
	uint64_t size;   /* the object's size, from Content-Range or Content-Length; UINT64_MAX if unknown */
	uint64_t got;    /* bytes written to dst */
	/* private */
	ice_http_request req;
	ice_http_pending *pending;
	void *state;
} ice_s3_get;

/* Start a ranged GET (runs on the HTTP pool); every start needs a finish. */
int ice_s3__get_start(ice_s3 *s3, ice_s3_get *g);
int ice_s3__get_finish(ice_s3 *s3, ice_s3_get *g);
int ice_s3__get(ice_s3 *s3, ice_s3_get *g);
/* The whole object (allocated, NUL-terminated), at most `max_len` bytes. */
int ice_s3__get_all(ice_s3 *s3, const char *location, size_t max_len, uint8_t **data_out, size_t *len_out);

/*
 * PUT a whole object from memory or from a read callback. With
 * `if_none_match`, only when no object has the key: ICE_EEXISTS when one
 * does (412), resolved by reading the object back when an earlier attempt
 * may have landed.
 */
typedef struct ice_s3_body {
	const void *data;        /* or read: */
	ice_http_read_fn read;
	void *payload;
	uint64_t len;
	const char *sha256;      /* hex of the body when known; NULL: computed when needed */
} ice_s3_body;

int ice_s3__put(ice_s3 *s3, const char *location, const ice_s3_body *body, bool if_none_match);

/* Multipart upload. */
int ice_s3__multipart_create(ice_s3 *s3, const char *location, char **upload_id_out);
typedef struct ice_s3_part {
	int number;      /* 1..10000 */
	ice_s3_body body;
	char etag[80];   /* result */
	/* private */
	ice_http_request req;
	ice_http_pending *pending;
	void *state;
} ice_s3_part;
int ice_s3__part_start(ice_s3 *s3, const char *location, const char *upload_id, ice_s3_part *part);
int ice_s3__part_finish(ice_s3 *s3, ice_s3_part *part);
int ice_s3__multipart_complete(ice_s3 *s3, const char *location, const char *upload_id, const ice_s3_part *parts,
                               size_t n);
/* Abort: best effort, raises no error over the one being reported. */
void ice_s3__multipart_abort(ice_s3 *s3, const char *location, const char *upload_id);

/*
 * A presigned URL for GET of `location`, good for `expires` seconds
 * (1..604800) from `now` (seconds since the epoch): SigV4 query
 * authentication (X-Amz-Algorithm, -Credential, -Date, -Expires,
 * -SignedHeaders host, -Signature, and -Security-Token with temporary
 * credentials, as AWS's SDKs put it), addressed as every other request of
 * the client (endpoint, path-style or virtual-hosted). Sends no request.
 * The URL names the access key id, never the secret key. ICE_EAUTH without
 * credentials (or with s3.anonymous: there is nothing to sign with).
 */
int ice_s3__presign_get(ice_s3 *s3, const char *location, int64_t expires, int64_t now, char **url_out);

/* DELETE one object (S3 does not say whether it existed). */
int ice_s3__delete(ice_s3 *s3, const char *location);

/*
 * DeleteObjects: `locations` (all in one bucket) in batches of the
 * configured size. `failed` (may be NULL) is called for each key S3
 * refused, with S3's code; the call fails only when a whole request does.
 */
typedef int (*ice_s3_failed_fn)(const char *location, const char *code, void *payload);
int ice_s3__delete_many(ice_s3 *s3, const char *const *locations, size_t n, ice_s3_failed_fn failed, void *payload);

/*
 * ListObjectsV2 under `location` (a "directory": its key with '/' added
 * unless empty), all pages. With `delimited`, one level: objects and the
 * common prefixes below it (`is_prefix`). `fn` gets each entry's name
 * relative to the listed directory; returning non-zero stops the listing
 * and is returned.
 */
typedef struct ice_s3_entry {
	const char *name; /* relative, without a trailing '/' for prefixes */
	bool is_prefix;
	uint64_t size;
	int64_t mtime_ms;
} ice_s3_entry;
typedef int (*ice_s3_list_fn)(const ice_s3_entry *entry, void *payload);
int ice_s3__list(ice_s3 *s3, const char *location, bool delimited, size_t max_keys, ice_s3_list_fn fn,
                 void *payload);

/* One page (at most `max_keys`) of the keys that start with the key of
 * `location_prefix` as it is (no '/' added), delimited at the next '/';
 * names are relative to the prefix's directory. */
int ice_s3__list_prefix(ice_s3 *s3, const char *location_prefix, size_t max_keys, ice_s3_list_fn fn, void *payload);

/*
 * Whether the bucket of `location` honours If-None-Match: * (s3.conditional-
 * writes; in auto mode probed once per bucket and remembered). 0 when
 * publishing without replacing is possible (*unsafe_out tells that the
 * user accepted racy publishes instead), ICE_EUNSUPPORTED saying why when
 * it is not.
 */
int ice_s3__check_conditional(ice_s3 *s3, const char *location, bool *unsafe_out);

/* ---- XML (s3_xml.c) --------------------------------------------------------------- */

typedef struct ice_s3_xml {
	const char *name; /* without a namespace prefix */
	const char *text; /* of an element without children ("" otherwise) */
	size_t text_len;
	struct ice_s3_xml *children;
	struct ice_s3_xml *next;
} ice_s3_xml;

/* Parses a document into `arena`; ICE_EINVALID "<what>: XML response: ...". */
int ice_s3_xml__parse(ice_s3_xml **out, struct ice_arena *arena, const char *data, size_t len, const char *what);
const ice_s3_xml *ice_s3_xml__child(const ice_s3_xml *node, const char *name);
/* The text of the first child called `name`, or NULL. */
const char *ice_s3_xml__text(const ice_s3_xml *node, const char *name);

#endif
