/*
 * puffin/puffin.c - Puffin files (puffin-spec.md "File structure", "Footer
 * structure", "FileMetadata", "BlobMetadata", "Compression codecs"):
 * reading the footer and blobs, and writing files blob by blob.
 *
 * The reader reads the 12 bytes at the end (payload length, flags, magic),
 * then the footer (magic and payload), checks both magics and that every
 * blob lies between the leading magic and the footer, and parses the JSON
 * into structs kept in an arena. Blobs are read on demand.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/json.h"

#define MAGIC "PFA1"
#define MAX_FOOTER ((uint64_t)64 << 20)
#define MAX_BLOB ((size_t)1 << 30)
#define FLAG_COMPRESSED 1u

struct ice_puffin_reader {
	ice_input *in;
	char *location;
	ice_arena arena;
	size_t nblobs;
	ice_puffin_blob *blobs;
	size_t nproperties;
	ice_puffin_property *properties;
	uint64_t footer_start;
};

const char *ice_puffin_blob_property(const ice_puffin_blob *blob, const char *key)
{
	for (size_t i = 0; i < blob->nproperties; i++)
		if (!strcmp(blob->properties[i].key, key))
			return blob->properties[i].value;
	return NULL;
}

static int32_t le32s(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
	return (int32_t)v;
}

static int footer_error(const ice_puffin_reader *r, uint64_t off, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: footer: offset %llu: %s", r->location,
	                      (unsigned long long)off, what);
}

/* A JSON object of string values into key/value pairs in the arena. */
static int read_properties(ice_puffin_reader *r, ice_jr *jr, const ice_json *obj, const char *key,
                           ice_puffin_property **out, size_t *n_out)
{
	ice_json *props = NULL;
	int rc = ice_jr__opt_object(jr, obj, key, &props);
	*out = NULL;
	*n_out = 0;
	if (rc || !props)
		return rc;
	size_t n = ice_json__size(props);
	ice_puffin_property *p = ice_arena__allocarray(&r->arena, n ? n : 1, sizeof(*p));
	if (!p)
		return ICE_ERROR;
	ice_json_iter it;
	const char *k;
	ice_json *v;
	size_t i = 0;
	ice_json__iter_init(&it, props);
	ice_jr__push_key(jr, key);
	while (ice_json__iter_next(&it, &k, &v)) {
		size_t len;
		const char *s;
		if (ice_json__type(v) != ICE_JSON_STRING)
			return ice_jr__error_at(jr, k, ICE_EINVALID, "expected a string, got %s", ice_json__type_name(v));
		s = ice_json__str(v, &len);
		if (!(p[i].key = ice_arena__strdup(&r->arena, k)) || !(p[i].value = ice_arena__strndup(&r->arena, s, len)))
			return ICE_ERROR;
		i++;
	}
	ice_jr__pop(jr);
	*out = p;
	*n_out = i;
	return 0;
}

static int read_blob(ice_puffin_reader *r, ice_jr *jr, const ice_json *j, ice_puffin_blob *b)
{
	const char *s;
	size_t len;
	ice_json *fields;
	int rc;
	if (ice_json__type(j) != ICE_JSON_OBJECT)
		return ice_jr__error(jr, ICE_EINVALID, "expected an object, got %s", ice_json__type_name(j));
	if ((rc = ice_jr__req_string(jr, j, "type", &s, &len)) != 0)
		return rc;
	if (!(b->type = ice_arena__strndup(&r->arena, s, len)))
		return ICE_ERROR;
	if ((rc = ice_jr__req_array(jr, j, "fields", &fields)) != 0)
		return rc;
	b->nfields = ice_json__size(fields);
	int32_t *ids = ice_arena__allocarray(&r->arena, b->nfields ? b->nfields : 1, sizeof(int32_t));
	if (!ids)
		return ICE_ERROR;
	ice_jr__push_key(jr, "fields");
	for (size_t i = 0; i < b->nfields; i++) {
		ice_jr__push_index(jr, i);
		if ((rc = ice_jr__as_int32(jr, ice_json__at(fields, i), &ids[i])) != 0)
			return rc;
		ice_jr__pop(jr);
	}
	ice_jr__pop(jr);
	b->fields = ids;
	if ((rc = ice_jr__req_int64(jr, j, "snapshot-id", &b->snapshot_id)) != 0 ||
	    (rc = ice_jr__req_int64(jr, j, "sequence-number", &b->sequence_number)) != 0 ||
	    (rc = ice_jr__req_int64(jr, j, "offset", &b->offset)) != 0 ||
	    (rc = ice_jr__req_int64(jr, j, "length", &b->length)) != 0)
		return rc;
	s = NULL;
	if ((rc = ice_jr__opt_string(jr, j, "compression-codec", &s, &len)) != 0)
		return rc;
	b->compression_codec = NULL;
	if (s && !(b->compression_codec = ice_arena__strndup(&r->arena, s, len)))
		return ICE_ERROR;
	ice_puffin_property *props;
	if ((rc = read_properties(r, jr, j, "properties", &props, &b->nproperties)) != 0)
		return rc;
	b->properties = props;
	if (b->offset < 4 || b->length < 0 || (uint64_t)b->offset > r->footer_start ||
	    (uint64_t)b->length > r->footer_start - (uint64_t)b->offset)
		return ice_jr__error(jr, ICE_EINVALID, "blob at offset %lld, %lld bytes, is outside the blob area [4, %llu)",
		                     (long long)b->offset, (long long)b->length, (unsigned long long)r->footer_start);
	return 0;
}

static int parse_footer(ice_puffin_reader *r, const char *text, size_t len, uint64_t payload_off)
{
	ice_json *doc = NULL;
	ice_json *blobs;
	ice_jr jr;
	char what[1100];
	int rc;
	snprintf(what, sizeof(what), "%s: footer payload at offset %llu", r->location,
	         (unsigned long long)payload_off);
	if ((rc = ice_json__parse(&doc, text, len, what)) != 0)
		return rc;
	ice_jr__init(&jr, what, ICE_ERRCLASS_INVALID);
	if (ice_json__type(doc) != ICE_JSON_OBJECT) {
		rc = ice_jr__error(&jr, ICE_EINVALID, "expected an object, got %s", ice_json__type_name(doc));
		goto done;
	}
	if ((rc = ice_jr__req_array(&jr, doc, "blobs", &blobs)) != 0)
		goto done;
	r->nblobs = ice_json__size(blobs);
	if (!(r->blobs = ice_arena__allocarray(&r->arena, r->nblobs ? r->nblobs : 1, sizeof(ice_puffin_blob)))) {
		rc = ICE_ERROR;
		goto done;
	}
	ice_jr__push_key(&jr, "blobs");
	for (size_t i = 0; i < r->nblobs; i++) {
		ice_jr__push_index(&jr, i);
		if ((rc = read_blob(r, &jr, ice_json__at(blobs, i), &r->blobs[i])) != 0)
			goto done;
		ice_jr__pop(&jr);
	}
	ice_jr__pop(&jr);
	rc = read_properties(r, &jr, doc, "properties", &r->properties, &r->nproperties);
done:
	ice_json__free(doc);
	return rc;
}

int ice_puffin__reader_open_input(ice_puffin_reader **out, ice_input *in, const char *location)
{
	ice_puffin_reader *r = ice__calloc(1, sizeof(*r));
	uint8_t tail[12], head[4];
	uint8_t *footer = NULL;
	ice_buf plain = ICE_BUF_INIT;
	int rc;
	*out = NULL;
	if (!r) {
		ice_input__close(in);
		return ICE_ERROR;
	}
	r->in = in;
	ice_arena__init(&r->arena, 4096);
	if (!(r->location = ice__strdup(location))) {
		rc = ICE_ERROR;
		goto fail;
	}
	uint64_t size = in->size;
	if (size < 4 + 4 + 12) {
		rc = footer_error(r, 0, "file too short for Puffin");
		goto fail;
	}
	if ((rc = ice_input__read_at(in, 0, head, 4)) != 0 || (rc = ice_input__read_at(in, size - 12, tail, 12)) != 0)
		goto fail;
	if (memcmp(head, MAGIC, 4) != 0) {
		rc = footer_error(r, 0, "no PFA1 magic at the start of the file");
		goto fail;
	}
	if (memcmp(tail + 8, MAGIC, 4) != 0) {
		rc = footer_error(r, size - 4, "no PFA1 magic at the end of the file");
		goto fail;
	}
	int32_t plen = le32s(tail);
	uint32_t flags = (uint32_t)le32s(tail + 4);
	if (plen < 0 || (uint64_t)plen > size - 20 || (uint64_t)plen > MAX_FOOTER) {
		char what[96];
		snprintf(what, sizeof(what), "footer payload length %d does not fit the file", (int)plen);
		rc = footer_error(r, size - 12, what);
		goto fail;
	}
	if (flags & ~FLAG_COMPRESSED) {
		char what[96];
		snprintf(what, sizeof(what), "unknown footer flags 0x%08x", flags);
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: footer: offset %llu: %s", location,
		                    (unsigned long long)(size - 8), what);
		goto fail;
	}
	r->footer_start = size - 12 - (uint64_t)plen - 4;
	if (!(footer = ice__malloc((size_t)plen + 4))) {
		rc = ICE_ERROR;
		goto fail;
	}
	if ((rc = ice_input__read_at(in, r->footer_start, footer, (size_t)plen + 4)) != 0)
		goto fail;
	if (memcmp(footer, MAGIC, 4) != 0) {
		rc = footer_error(r, r->footer_start, "no PFA1 magic at the start of the footer");
		goto fail;
	}
	const char *text = (const char *)footer + 4;
	size_t tlen = (size_t)plen;
	if (flags & FLAG_COMPRESSED) {
		plain.limit = MAX_FOOTER;
		if ((rc = ice_codec__decompress(ICE_CODEC_LZ4_FRAME, footer + 4, (size_t)plen, 0, &plain)) != 0) {
			ice_error__prefix("%s: footer: offset %llu", location, (unsigned long long)(r->footer_start + 4));
			goto fail;
		}
		text = ice_buf__cstr(&plain);
		tlen = plain.len;
	}
	if ((rc = parse_footer(r, text, tlen, r->footer_start + 4)) != 0)
		goto fail;
	ice__free(footer);
	ice_buf__free(&plain);
	*out = r;
	return 0;
fail:
	ice__free(footer);
	ice_buf__free(&plain);
	ice_puffin_reader_free(r);
	return rc;
}

int ice_puffin_reader_open(ice_puffin_reader **out, const ice_io *io, const char *location)
{
	ice_input *in;
	*out = NULL;
	int rc = ice_io__open_input(&in, io, location);
	if (rc)
		return rc;
	return ice_puffin__reader_open_input(out, in, location);
}

void ice_puffin_reader_free(ice_puffin_reader *r)
{
	if (!r)
		return;
	if (r->in)
		ice_input__close(r->in);
	ice__free(r->location);
	ice_arena__free(&r->arena);
	ice__free(r);
}

const char *ice_puffin_reader_location(const ice_puffin_reader *r)
{
	return r->location;
}
uint64_t ice_puffin_reader_file_size(const ice_puffin_reader *r)
{
	return r->in->size;
}
size_t ice_puffin_reader_blob_count(const ice_puffin_reader *r)
{
	return r->nblobs;
}
const ice_puffin_blob *ice_puffin_reader_blob(const ice_puffin_reader *r, size_t i)
{
	return i < r->nblobs ? &r->blobs[i] : NULL;
}
size_t ice_puffin_reader_property_count(const ice_puffin_reader *r)
{
	return r->nproperties;
}
const ice_puffin_property *ice_puffin_reader_property(const ice_puffin_reader *r, size_t i)
{
	return i < r->nproperties ? &r->properties[i] : NULL;
}

/* The codec of a blob's "compression-codec" value, or -1 if unknown. */
static int blob_codec(const char *name)
{
	if (!name)
		return ICE_CODEC_NONE;
	if (!strcmp(name, "zstd"))
		return ICE_CODEC_ZSTD;
	if (!strcmp(name, "lz4"))
		return ICE_CODEC_LZ4_FRAME;
	return -1;
}

int ice_puffin_reader_read_blob(ice_puffin_reader *r, size_t i, size_t max_len, uint8_t **data_out, size_t *len_out)
{
	*data_out = NULL;
	*len_out = 0;
	if (i >= r->nblobs)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: no blob %zu (the file has %zu)", r->location,
		                      i, r->nblobs);
	const ice_puffin_blob *b = &r->blobs[i];
	int codec = blob_codec(b->compression_codec);
	if (!max_len)
		max_len = MAX_BLOB;
	if (codec < 0)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID,
		                      "%s: blob at offset %lld: compression codec '%s' is not supported", r->location,
		                      (long long)b->offset, b->compression_codec);
	if ((uint64_t)b->length > max_len && codec == ICE_CODEC_NONE)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: blob at offset %lld: %lld bytes is too large",
		                      r->location, (long long)b->offset, (long long)b->length);
	uint8_t *raw = ice__malloc(b->length ? (size_t)b->length : 1);
	if (!raw)
		return ICE_ERROR;
	int rc = ice_input__read_at(r->in, (uint64_t)b->offset, raw, (size_t)b->length);
	if (rc) {
		ice__free(raw);
		return rc;
	}
	if (codec == ICE_CODEC_NONE) {
		*data_out = raw;
		*len_out = (size_t)b->length;
		return 0;
	}
	ice_buf out = ICE_BUF_INIT;
	out.limit = max_len;
	rc = ice_codec__decompress((ice_codec)codec, raw, (size_t)b->length, 0, &out);
	ice__free(raw);
	if (rc) {
		ice_buf__free(&out);
		return ice_error__prefix("%s: blob at offset %lld", r->location, (long long)b->offset);
	}
	size_t len;
	if (!(*data_out = (uint8_t *)ice_buf__detach(&out, &len))) {
		ice_buf__free(&out);
		return ICE_ERROR;
	}
	*len_out = len;
	return 0;
}

/* ---- writing -------------------------------------------------------------------- */

struct ice_puffin_writer {
	ice_output *out;
	ice_arena arena;
	ice_puffin_blob *blobs;
	size_t nblobs, cap;
	ice_puffin_property *properties;
	size_t nproperties, pcap;
	bool failed;
};

int ice_puffin_writer_open(ice_puffin_writer **out, const ice_io *io, const char *location)
{
	ice_puffin_writer *w = ice__calloc(1, sizeof(*w));
	int rc;
	*out = NULL;
	if (!w)
		return ICE_ERROR;
	ice_arena__init(&w->arena, 4096);
	if ((rc = ice_io__create_output(&w->out, io, location, true)) != 0 ||
	    (rc = ice_output__write(w->out, MAGIC, 4)) != 0) {
		ice_puffin_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int ice_puffin_writer_set_property(ice_puffin_writer *w, const char *key, const char *value)
{
	for (size_t i = 0; i < w->nproperties; i++)
		if (!strcmp(w->properties[i].key, key))
			return (w->properties[i].value = ice_arena__strdup(&w->arena, value)) ? 0 : ICE_ERROR;
	if (w->nproperties == w->pcap) {
		size_t cap = w->pcap ? w->pcap * 2 : 4;
		ice_puffin_property *p = ice__reallocarray(w->properties, cap, sizeof(*p));
		if (!p)
			return ICE_ERROR;
		w->properties = p;
		w->pcap = cap;
	}
	ice_puffin_property *p = &w->properties[w->nproperties];
	if (!(p->key = ice_arena__strdup(&w->arena, key)) || !(p->value = ice_arena__strdup(&w->arena, value)))
		return ICE_ERROR;
	w->nproperties++;
	return 0;
}

static int copy_meta(ice_puffin_writer *w, ice_puffin_blob *dst, const ice_puffin_blob *src)
{
	ice_arena *a = &w->arena;
	*dst = *src;
	if (!(dst->type = ice_arena__strdup(a, src->type ? src->type : "")))
		return ICE_ERROR;
	if (src->compression_codec && !(dst->compression_codec = ice_arena__strdup(a, src->compression_codec)))
		return ICE_ERROR;
	if (src->nfields && !(dst->fields = ice_arena__memdup(a, src->fields, src->nfields * sizeof(int32_t))))
		return ICE_ERROR;
	if (src->nproperties) {
		ice_puffin_property *p = ice_arena__allocarray(a, src->nproperties, sizeof(*p));
		if (!p)
			return ICE_ERROR;
		for (size_t i = 0; i < src->nproperties; i++)
			if (!(p[i].key = ice_arena__strdup(a, src->properties[i].key)) ||
			    !(p[i].value = ice_arena__strdup(a, src->properties[i].value)))
				return ICE_ERROR;
		dst->properties = p;
	}
	return 0;
}

int ice_puffin_writer_add(ice_puffin_writer *w, const ice_puffin_blob *meta, const uint8_t *data, size_t len,
                          int64_t *offset_out, int64_t *length_out)
{
	int codec = blob_codec(meta->compression_codec);
	ice_buf packed = ICE_BUF_INIT;
	int rc;
	if (w->failed)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: the Puffin writer failed earlier", w->out->location);
	if (codec < 0)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: compression codec '%s' is not supported",
		                      w->out->location, meta->compression_codec);
	if (w->nblobs == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		ice_puffin_blob *b = ice__reallocarray(w->blobs, cap, sizeof(*b));
		if (!b)
			return ICE_ERROR;
		w->blobs = b;
		w->cap = cap;
	}
	ice_puffin_blob *b = &w->blobs[w->nblobs];
	if ((rc = copy_meta(w, b, meta)) != 0)
		return rc;
	if (codec != ICE_CODEC_NONE) {
		if ((rc = ice_codec__compress((ice_codec)codec, 0, data, len, &packed)) != 0) {
			ice_buf__free(&packed);
			return rc;
		}
		data = (const uint8_t *)ice_buf__cstr(&packed);
		len = packed.len;
	}
	b->offset = (int64_t)w->out->written;
	b->length = (int64_t)len;
	rc = len ? ice_output__write(w->out, data, len) : 0;
	ice_buf__free(&packed);
	if (rc) {
		w->failed = true;
		return rc;
	}
	w->nblobs++;
	if (offset_out)
		*offset_out = b->offset;
	if (length_out)
		*length_out = b->length;
	return 0;
}

static void write_properties(ice_json_writer *jw, const ice_puffin_property *p, size_t n)
{
	ice_json_key(jw, "properties");
	ice_json_begin_object(jw);
	for (size_t i = 0; i < n; i++) {
		ice_json_key(jw, p[i].key);
		ice_json_string(jw, p[i].value);
	}
	ice_json_end_object(jw);
}

static int footer_json(const ice_puffin_writer *w, ice_json_writer *jw)
{
	ice_json_begin_object(jw);
	ice_json_key(jw, "blobs");
	ice_json_begin_array(jw);
	for (size_t i = 0; i < w->nblobs; i++) {
		const ice_puffin_blob *b = &w->blobs[i];
		ice_json_begin_object(jw);
		ice_json_key(jw, "type");
		ice_json_string(jw, b->type);
		ice_json_key(jw, "fields");
		ice_json_begin_array(jw);
		for (size_t k = 0; k < b->nfields; k++)
			ice_json_int(jw, b->fields[k]);
		ice_json_end_array(jw);
		ice_json_key(jw, "snapshot-id");
		ice_json_int(jw, b->snapshot_id);
		ice_json_key(jw, "sequence-number");
		ice_json_int(jw, b->sequence_number);
		ice_json_key(jw, "offset");
		ice_json_int(jw, b->offset);
		ice_json_key(jw, "length");
		ice_json_int(jw, b->length);
		if (b->compression_codec) {
			ice_json_key(jw, "compression-codec");
			ice_json_string(jw, b->compression_codec);
		}
		if (b->nproperties)
			write_properties(jw, b->properties, b->nproperties);
		ice_json_end_object(jw);
	}
	ice_json_end_array(jw);
	if (w->nproperties)
		write_properties(jw, w->properties, w->nproperties);
	return ice_json_end_object(jw);
}

static void writer_free(ice_puffin_writer *w)
{
	ice__free(w->blobs);
	ice__free(w->properties);
	ice_arena__free(&w->arena);
	ice__free(w);
}

int ice_puffin_writer_close(ice_puffin_writer *w, bool compress_footer, uint64_t *file_size_out)
{
	ice_json_writer *jw = NULL;
	ice_buf packed = ICE_BUF_INIT;
	const char *text;
	size_t len;
	int rc;
	if (w->failed) {
		rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_IO, "%s: the Puffin writer failed earlier", w->out->location);
		goto fail;
	}
	if ((rc = ice_json_writer_new(&jw, ICE_JSON_COMPACT)) != 0)
		goto fail;
	footer_json(w, jw);
	if ((rc = ice_json_writer_finish(jw, &text, &len)) != 0)
		goto fail;
	if (compress_footer) {
		if ((rc = ice_codec__compress(ICE_CODEC_LZ4_FRAME, 0, (const uint8_t *)text, len, &packed)) != 0)
			goto fail;
		text = ice_buf__cstr(&packed);
		len = packed.len;
	}
	if (len > MAX_FOOTER) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: footer of %zu bytes is too large",
		                    w->out->location, len);
		goto fail;
	}
	uint8_t tail[12] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24),
	                    compress_footer ? FLAG_COMPRESSED : 0, 0, 0, 0, 'P', 'F', 'A', '1'};
	if ((rc = ice_output__write(w->out, MAGIC, 4)) != 0 || (rc = ice_output__write(w->out, text, len)) != 0 ||
	    (rc = ice_output__write(w->out, tail, 12)) != 0)
		goto fail;
	uint64_t size = w->out->written;
	ice_json_writer_free(jw);
	ice_buf__free(&packed);
	rc = ice_output__close(w->out);
	w->out = NULL;
	writer_free(w);
	if (!rc && file_size_out)
		*file_size_out = size;
	return rc;
fail:
	ice_json_writer_free(jw);
	ice_buf__free(&packed);
	ice_puffin_writer_abort(w);
	return rc;
}

void ice_puffin_writer_abort(ice_puffin_writer *w)
{
	if (!w)
		return;
	if (w->out)
		ice_output__abort(w->out);
	writer_free(w);
}

int ice_puffin_writer_add_deletion_vector(ice_puffin_writer *w, const ice_deletion_vector *dv,
                                          const char *referenced_data_file, int64_t *offset_out, int64_t *length_out)
{
	uint8_t *data;
	size_t len;
	char card[32];
	int32_t field = ICE_PUFFIN_ROW_POSITION_FIELD_ID;
	int rc = ice_deletion_vector_serialize(dv, &data, &len);
	if (rc)
		return rc;
	snprintf(card, sizeof(card), "%lld", (long long)ice_deletion_vector_cardinality(dv));
	ice_puffin_property props[2] = {{"referenced-data-file", referenced_data_file}, {"cardinality", card}};
	ice_puffin_blob meta = {ICE_PUFFIN_DELETION_VECTOR_V1, 1, &field, -1, -1, 0, 0, NULL, 2, props};
	rc = ice_puffin_writer_add(w, &meta, data, len, offset_out, length_out);
	ice__free(data);
	return rc;
}
