/*
 * io/s3_write.c - writing objects: PUT (from memory or a read callback),
 * publishing with If-None-Match: * (every 412 read back: our bytes mean an
 * earlier attempt of ours landed), the per-bucket probe of whether a store
 * honours that header, and multipart uploads (create, parts in flight,
 * completion that survives a resent request, abort).
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

/* ---- PUT --------------------------------------------------------------------------- */

/* The payload hash of a body: from memory, or read through when it is
 * streamed over plain HTTP; over HTTPS a streamed body goes unsigned. */
static int body_hash(s3_call *c, const ice_s3_body *b)
{
	if (b->sha256) {
		snprintf(c->payload_hash, sizeof(c->payload_hash), "%s", b->sha256);
		return 0;
	}
	if (b->data || !b->read)
		return ice_sigv4__sha256_hex(b->data, (size_t)b->len, c->payload_hash);
	if (c->s3->https) {
		c->unsigned_payload = true;
		return 0;
	}
	/* Read through in pieces. */
	uint8_t *buf = ice__malloc((size_t)1 << 20);
	int rc;
	if (!buf)
		return ICE_ERROR;
	rc = ice_sigv4__sha256_stream(b->read, b->payload, b->len, buf, (size_t)1 << 20, c->payload_hash);
	ice__free(buf);
	return rc;
}

static void set_body(s3_call *c, const ice_s3_body *b)
{
	if (b->data || !b->read) {
		c->req.body = b->data ? b->data : "";
		c->req.body_len = (size_t)b->len;
	} else {
		c->req.body_read = b->read;
		c->req.body_payload = b->payload;
		c->req.body_len = (size_t)b->len;
	}
}

/* Reads the object back and compares it with `b`: true when equal. */
static int same_as_body(ice_s3 *s3, const char *location, const ice_s3_body *b, bool *same_out)
{
	uint8_t *data = NULL, *mine = NULL;
	size_t len = 0;
	int rc;
	*same_out = false;
	/* One byte more than ours: a larger object is not ours, and says so by
	 * going over the cap (not by costing its whole size). */
	if ((rc = ice_s3__get_all(s3, location, (size_t)b->len + 1, &data, &len)) != 0) {
		if (rc == ICE_EINVALID) {
			ice_error_clear();
			return 0;
		}
		return rc;
	}
	if (len == b->len) {
		if (b->data) {
			*same_out = memcmp(data, b->data, len) == 0;
		} else if ((mine = ice__malloc(len ? len : 1)) != NULL) {
			uint64_t off = 0;
			while (off < len) {
				int64_t got = b->read(b->payload, off, mine + off, len - off);
				if (got <= 0)
					break;
				off += (uint64_t)got;
			}
			*same_out = off == len && memcmp(data, mine, len) == 0;
			ice__free(mine);
		} else {
			rc = ICE_ERROR;
		}
	}
	ice__free(data);
	return rc;
}

int ice_s3__put(ice_s3 *s3, const char *location, const ice_s3_body *body, bool if_none_match)
{
	s3_call c;
	ice_http_response r;
	int rc;
	if ((rc = ice_s3__call_init(&c, s3, "PUT", location, "PUT")) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	ice_s3__call_header(&c, "Content-Type", "application/octet-stream");
	if (if_none_match)
		ice_s3__call_header(&c, "If-None-Match", "*");
	if ((rc = body_hash(&c, body)) != 0 || (rc = ice_s3__call_build(&c, NULL)) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	set_body(&c, body);
	rc = ice_http__perform(s3->http, &c.req, &r);
	if (!rc && !ice_s3__ok_status(r.status)) {
		if (r.status == 412 && if_none_match) {
			/* Ours or someone else's? An earlier attempt may have landed - ours,
			 * or curl's own resend of a request whose kept-alive connection
			 * died before the answer, which no attempt count shows - so a 412
			 * is only a lost race when the bytes there are not ours. */
			bool same = false;
			ice_http_response__free(&r);
			if ((rc = same_as_body(s3, location, body, &same)) == 0 && !same)
				rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", c.what);
			else if (rc)
				rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_IO,
				                    "%s: an attempt may have landed and reading it back failed", c.what);
			ice_s3__call_free(&c);
			return rc;
		}
		rc = ice_s3__call_error(&c, &r);
		if (rc == ICE_EEXISTS)
			rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_IO, "%s: already exists", c.what);
	}
	ice_http_response__free(&r);
	ice_s3__call_free(&c);
	return rc;
}

/* ---- multipart --------------------------------------------------------------------- */

/*
 * After a CreateMultipartUpload: an earlier attempt may have begun an
 * upload whose answer never arrived - a retry of ours, or curl's own resend
 * of a request whose kept-alive connection died, which no attempt count
 * shows. Data files have names of their own (nobody else uploads to this
 * key), so every other upload in progress for the key is such an orphan:
 * abort it, so no empty upload is left behind. One small GET per multipart
 * file (they are 48 MiB and up by default). Best effort, raising no error.
 */
static void abort_orphans(ice_s3 *s3, const char *location, const char *ours)
{
	ice_error_saved saved;
	s3_call c;
	ice_http_response r;
	ice_arena arena;
	ice_s3_xml *doc = NULL;
	ice_error__save(&saved);
	ice_arena__init(&arena, 4096);
	if (ice_s3__call_init(&c, s3, "GET", location, "ListMultipartUploads") == 0) {
		char *key = c.path.key;
		ice_s3__call_query(&c, "uploads", "");
		ice_s3__call_query(&c, "prefix", key);
		if (ice_s3__call_build(&c, "") == 0) {
			if (ice_s3__call_run(&c, &r) != 0 || ice_s3__call_xml(&c, &r, &arena, &doc) != 0)
				doc = NULL;
			ice_http_response__free(&r);
		}
		for (const ice_s3_xml *e = doc ? doc->children : NULL; e; e = e->next) {
			const char *k = ice_s3_xml__text(e, "Key"), *id = ice_s3_xml__text(e, "UploadId");
			if (!strcmp(e->name, "Upload") && k && id && *id && !strcmp(k, key) && strcmp(id, ours) != 0)
				ice_s3__multipart_abort(s3, location, id);
		}
	}
	ice_s3__call_free(&c);
	ice_arena__free(&arena);
	ice_error__restore(&saved);
}

int ice_s3__multipart_create(ice_s3 *s3, const char *location, char **upload_id_out)
{
	s3_call c;
	ice_http_response r;
	ice_arena arena;
	ice_s3_xml *doc;
	int rc;
	*upload_id_out = NULL;
	ice_arena__init(&arena, 1024);
	if ((rc = ice_s3__call_init(&c, s3, "POST", location, "CreateMultipartUpload")) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	ice_s3__call_query(&c, "uploads", "");
	ice_s3__call_header(&c, "Content-Type", "application/octet-stream");
	if ((rc = ice_s3__call_build(&c, NULL)) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	if ((rc = ice_s3__call_run(&c, &r)) == 0 && (rc = ice_s3__call_xml(&c, &r, &arena, &doc)) == 0) {
		const char *id = ice_s3_xml__text(doc, "UploadId");
		if (!id || !*id)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no UploadId in the answer", c.what);
		else if (!(*upload_id_out = ice__strdup(id)))
			rc = ICE_ERROR;
	}
	ice_http_response__free(&r);
	ice_arena__free(&arena);
	ice_s3__call_free(&c);
	if (!rc)
		abort_orphans(s3, location, *upload_id_out);
	return rc;
}

typedef struct part_state {
	s3_call call;
	char number[16];
	char *upload_id;
} part_state;

int ice_s3__part_start(ice_s3 *s3, const char *location, const char *upload_id, ice_s3_part *part)
{
	part_state *st;
	int rc;
	part->pending = NULL;
	part->state = NULL;
	part->etag[0] = '\0';
	if (!(st = ice__calloc(1, sizeof(*st))))
		return ICE_ERROR;
	snprintf(st->number, sizeof(st->number), "%d", part->number);
	char op[64];
	snprintf(op, sizeof(op), "UploadPart %d", part->number);
	if ((rc = ice_s3__call_init(&st->call, s3, "PUT", location, op)) != 0 || !(st->upload_id = ice__strdup(upload_id))) {
		rc = rc ? rc : ICE_ERROR;
		goto fail;
	}
	ice_s3__call_query(&st->call, "partNumber", st->number);
	ice_s3__call_query(&st->call, "uploadId", st->upload_id);
	if ((rc = body_hash(&st->call, &part->body)) != 0 || (rc = ice_s3__call_build(&st->call, NULL)) != 0)
		goto fail;
	set_body(&st->call, &part->body);
	part->state = st;
	if ((rc = ice_http__start(s3->http, &st->call.req, &part->pending)) != 0) {
		part->state = NULL;
		goto fail;
	}
	return 0;
fail:
	ice_s3__call_free(&st->call);
	ice__free(st->upload_id);
	ice__free(st);
	return rc;
}

int ice_s3__part_finish(ice_s3 *s3, ice_s3_part *part)
{
	part_state *st = part->state;
	ice_http_response r;
	int rc;
	(void)s3;
	if (!st)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "S3 part finished twice");
	rc = ice_http__wait(part->pending, &r);
	part->pending = NULL;
	if (!rc && !ice_s3__ok_status(r.status))
		rc = ice_s3__call_error(&st->call, &r);
	if (!rc) {
		const char *etag = ice_http_headers__get(&r.headers, "ETag");
		if (!etag || !*etag)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: no ETag in the answer", st->call.what);
		else
			snprintf(part->etag, sizeof(part->etag), "%s", etag);
	}
	ice_http_response__free(&r);
	ice_s3__call_free(&st->call);
	ice__free(st->upload_id);
	ice__free(st);
	part->state = NULL;
	return rc;
}

/* Escapes text for an XML element. */
void ice_s3__xml_escape(ice_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': ice_buf__puts(b, "&amp;"); break;
		case '<': ice_buf__puts(b, "&lt;"); break;
		case '>': ice_buf__puts(b, "&gt;"); break;
		case '"': ice_buf__puts(b, "&quot;"); break;
		case '\'': ice_buf__puts(b, "&apos;"); break;
		default: ice_buf__putc(b, *s);
		}
	}
}

/*
 * Whether the object is what completing these parts makes: a multipart
 * ETag ("...-N", N the number of parts, as S3 and its look-alikes write it)
 * and the parts' total size. Another writer's multipart object of the same
 * size and part count would pass; nothing short of reading it back tells
 * them apart.
 */
static bool is_upload(const ice_s3_object *o, const ice_s3_part *parts, size_t n)
{
	uint64_t size = 0;
	char suffix[24];
	for (size_t i = 0; i < n; i++)
		size += parts[i].body.len;
	size_t len = strlen(o->etag);
	while (len > 0 && o->etag[len - 1] == '"')
		len--;
	int k = snprintf(suffix, sizeof(suffix), "-%zu", n);
	return o->size == size && k > 0 && len > (size_t)k && memcmp(o->etag + len - (size_t)k, suffix, (size_t)k) == 0;
}

int ice_s3__multipart_complete(ice_s3 *s3, const char *location, const char *upload_id, const ice_s3_part *parts,
                               size_t n)
{
	s3_call c;
	ice_http_response r;
	ice_buf body = ICE_BUF_INIT;
	ice_arena arena;
	ice_s3_xml *doc;
	int rc;
	ice_arena__init(&arena, 1024);
	if ((rc = ice_s3__call_init(&c, s3, "POST", location, "CompleteMultipartUpload")) != 0) {
		ice_s3__call_free(&c);
		return rc;
	}
	ice_buf__puts(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (size_t i = 0; i < n; i++) {
		ice_buf__printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", parts[i].number);
		ice_s3__xml_escape(&body, parts[i].etag);
		ice_buf__puts(&body, "</ETag></Part>");
	}
	ice_buf__puts(&body, "</CompleteMultipartUpload>");
	ice_s3__call_query(&c, "uploadId", upload_id);
	ice_s3__call_header(&c, "Content-Type", "application/xml");
	if (body.error || (rc = ice_sigv4__sha256_hex(body.ptr, body.len, c.payload_hash)) != 0 ||
	    (rc = ice_s3__call_build(&c, NULL)) != 0) {
		rc = rc ? rc : ICE_ERROR;
		goto done;
	}
	c.req.body = body.ptr;
	c.req.body_len = body.len;
	rc = ice_http__perform(s3->http, &c.req, &r);
	if (!rc && r.status == 404) {
		/* The upload is gone: an earlier attempt (ours, or a resend by curl)
		 * completed it - if the object is a multipart one now. */
		ice_s3_object o;
		ice_http_response__free(&r);
		if ((rc = ice_s3__head(s3, location, &o)) == ICE_ENOTFOUND)
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: 404: the upload vanished and no object is there",
			                    c.what);
		else if (!rc && !is_upload(&o, parts, n))
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: 404: the upload vanished and the object is not it",
			                    c.what);
		goto done;
	}
	if (!rc && !ice_s3__ok_status(r.status))
		rc = ice_s3__call_error(&c, &r);
	if (!rc)
		rc = ice_s3__call_xml(&c, &r, &arena, &doc);
	ice_http_response__free(&r);
done:
	ice_buf__free(&body);
	ice_arena__free(&arena);
	ice_s3__call_free(&c);
	return rc;
}

/* Runs `c` without replacing the error being reported. */
void ice_s3__call_quietly(s3_call *c)
{
	ice_error_saved saved;
	ice_http_response r;
	ice_error__save(&saved);
	ice_http__perform(c->s3->http, &c->req, &r);
	ice_http_response__free(&r);
	ice_error__restore(&saved);
}

void ice_s3__multipart_abort(ice_s3 *s3, const char *location, const char *upload_id)
{
	s3_call c;
	if (ice_s3__call_init(&c, s3, "DELETE", location, "AbortMultipartUpload") == 0) {
		ice_s3__call_query(&c, "uploadId", upload_id);
		if (ice_s3__call_build(&c, NULL) == 0)
			ice_s3__call_quietly(&c);
	}
	ice_s3__call_free(&c);
}

/* ---- conditional writes --------------------------------------------------------------- */

/* Writes a probe object twice with If-None-Match: * (the second must be
 * refused), beside `location` so permissions that cover the table cover it. */
static int probe_conditional(ice_s3 *s3, const char *location, int *supported_out)
{
	ice_s3_path p;
	char uuid[ICE_UUID_STRLEN + 1];
	uint8_t u[16];
	ice_buf probe = ICE_BUF_INIT;
	ice_s3_body body = {"probe", NULL, NULL, 5, NULL};
	int rc;
	*supported_out = 0;
	if ((rc = ice_s3__parse(&p, location)) != 0)
		return rc;
	ice_uuid__random(u);
	ice_uuid__format(u, uuid);
	const char *slash = strrchr(p.key, '/');
	ice_buf__printf(&probe, "s3://%s/%.*s%s.ice-conditional-write-probe-%s", p.bucket,
	                slash ? (int)(slash - p.key) : 0, p.key, slash ? "/" : "", uuid);
	ice_s3_path__free(&p);
	if (probe.error) {
		ice_buf__free(&probe);
		return ICE_ERROR;
	}
	rc = ice_s3__put(s3, probe.ptr, &body, true);
	if (rc == 0) {
		/* Other bytes the second time, so a refusal is not taken for our own write. */
		ice_s3_body again = {"probe again", NULL, NULL, 11, NULL};
		rc = ice_s3__put(s3, probe.ptr, &again, true);
		if (rc == ICE_EEXISTS || rc == 0) {
			*supported_out = rc == ICE_EEXISTS;
			rc = 0;
			ice_error_clear();
		}
		/* Remove the probe without losing an error from above. */
		s3_call c;
		if (ice_s3__call_init(&c, s3, "DELETE", probe.ptr, "DELETE") == 0 && ice_s3__call_build(&c, NULL) == 0)
			ice_s3__call_quietly(&c);
		ice_s3__call_free(&c);
	}
	if (rc && ice_error_last() && strstr(ice_error_last()->message, ": 501")) {
		/* NotImplemented: the store refuses the header itself. */
		*supported_out = 0;
		rc = 0;
		ice_error_clear();
	}
	ice_buf__free(&probe);
	return rc;
}

int ice_s3__check_conditional(ice_s3 *s3, const char *location, bool *unsafe_out)
{
	ice_s3_path p;
	bucket_state *b;
	int supported = -1, rc;
	*unsafe_out = false;
	if (s3->cfg.conditional == ICE_S3_COND_ON)
		return 0;
	if (s3->cfg.conditional == ICE_S3_COND_UNSAFE) {
		*unsafe_out = true;
		return 0;
	}
	if ((rc = ice_s3__parse(&p, location)) != 0)
		return rc;
	if (s3->cfg.conditional == ICE_S3_COND_OFF) {
		supported = 0;
	} else {
		pthread_mutex_lock(&s3->mu);
		for (b = s3->buckets; b; b = b->next)
			if (!strcmp(b->bucket, p.bucket))
				supported = b->conditional;
		pthread_mutex_unlock(&s3->mu);
		if (supported < 0) {
			if ((rc = probe_conditional(s3, location, &supported)) != 0) {
				ice_s3_path__free(&p);
				return rc;
			}
			if ((b = ice__calloc(1, sizeof(*b))) != NULL && (b->bucket = ice__strdup(p.bucket)) != NULL) {
				b->conditional = supported;
				pthread_mutex_lock(&s3->mu);
				b->next = s3->buckets;
				s3->buckets = b;
				pthread_mutex_unlock(&s3->mu);
			} else {
				ice__free(b);
				ice_s3_path__free(&p);
				return ICE_ERROR;
			}
		}
	}
	if (!supported)
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO,
		                    "s3://%s: the store does not honour conditional writes (If-None-Match: *), so two commits "
		                    "could silently replace each other's metadata; refusing to commit (with a single writer, "
		                    "s3.conditional-writes=unsafe commits anyway)",
		                    p.bucket);
	ice_s3_path__free(&p);
	return rc;
}
