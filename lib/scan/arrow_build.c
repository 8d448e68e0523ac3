/*
 * scan/arrow_build.c - the Arrow arrays and schemas a scan hands out
 * (Arrow "C data interface"): arrays that own their buffers or borrow them
 * from a reference-counted source batch (so a Parquet column passes through
 * without a copy), schemas for Iceberg types (the formats ice/parquet.h
 * lists, "PARQUET:field_id" metadata, uuid as the arrow.uuid extension),
 * and the layout of each format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read.h"

rd_layout ice_read__layout(const char *f)
{
	rd_layout l = {RD_OTHER, 0};
	switch (f[0]) {
	case 'b': l.kind = RD_BOOL; break;
	case 'c': case 'C': l.kind = RD_FIXED, l.width = 1; break;
	case 's': case 'S': case 'e': l.kind = RD_FIXED, l.width = 2; break;
	case 'i': case 'I': case 'f': l.kind = RD_FIXED, l.width = 4; break;
	case 'l': case 'L': case 'g': l.kind = RD_FIXED, l.width = 8; break;
	case 'n': l.kind = RD_NULL; break;
	case 'u': case 'z': l.kind = RD_VAR32; break;
	case 'U': case 'Z': l.kind = RD_VAR64; break;
	case 'd': {
		int p, s, bits = 128;
		if (sscanf(f, "d:%d,%d,%d", &p, &s, &bits) >= 2 && bits == 128)
			l.kind = RD_FIXED, l.width = 16;
		break;
	}
	case 'w': {
		int w = atoi(f + 2);
		if (f[1] == ':' && w > 0)
			l.kind = RD_FIXED, l.width = w;
		break;
	}
	case 't':
		if (f[1] == 'd')
			l.kind = RD_FIXED, l.width = f[2] == 'D' ? 4 : 8;
		else if (f[1] == 't')
			l.kind = RD_FIXED, l.width = (f[2] == 's' || f[2] == 'm') ? 4 : 8;
		else if (f[1] == 's' || f[1] == 'D')
			l.kind = RD_FIXED, l.width = 8;
		break;
	case '+':
		if (f[1] == 's')
			l.kind = RD_STRUCT;
		else if (f[1] == 'l')
			l.kind = RD_LIST;
		else if (f[1] == 'm')
			l.kind = RD_MAP;
		break;
	}
	return l;
}

/* ---- holders --------------------------------------------------------------- */

struct rd_holder {
	_Atomic long refs;
	struct ArrowArray src;
};

int ice_read__holder_new(rd_holder **out, struct ArrowArray *src)
{
	rd_holder *h = ice__calloc(1, sizeof(*h));
	*out = NULL;
	if (!h) {
		ice_arrow_array_release(src);
		return ICE_ERROR;
	}
	atomic_store(&h->refs, 1);
	ice_arrow_array_move(src, &h->src);
	*out = h;
	return 0;
}

const struct ArrowArray *ice_read__holder_array(const rd_holder *h)
{
	return &h->src;
}

static void holder_ref(rd_holder *h)
{
	if (h)
		atomic_fetch_add(&h->refs, 1);
}

void ice_read__holder_unref(rd_holder *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		ice_arrow_array_release(&h->src);
		ice__free(h);
	}
}

/* ---- arrays ------------------------------------------------------------------ */

typedef struct array_priv {
	void *owned[3];
	const void *ptrs[3];
	struct ArrowArray *children;
	struct ArrowArray **child_ptrs;
	rd_holder *holder;
} array_priv;

static void release_array(struct ArrowArray *a)
{
	array_priv *p = a->private_data;
	if (!a->release)
		return;
	for (int64_t i = 0; i < a->n_children; i++)
		ice_arrow_array_release(&p->children[i]);
	for (int i = 0; i < 3; i++)
		ice__free(p->owned[i]);
	ice_read__holder_unref(p->holder);
	ice__free(p->children);
	ice__free(p->child_ptrs);
	ice__free(p);
	a->release = NULL;
}

int ice_read__array_make(struct ArrowArray *out, int64_t length, int64_t null_count, int64_t offset, int nbuf,
                         void **bufs, unsigned owned, int nchildren, struct ArrowArray *children, rd_holder *holder)
{
	array_priv *p = ice__calloc(1, sizeof(*p));
	memset(out, 0, sizeof(*out));
	if (p && nchildren > 0) {
		p->children = ice__calloc((size_t)nchildren, sizeof(struct ArrowArray));
		p->child_ptrs = ice__calloc((size_t)nchildren, sizeof(struct ArrowArray *));
	}
	if (!p || (nchildren > 0 && (!p->children || !p->child_ptrs))) {
		for (int i = 0; i < nbuf; i++)
			if (owned & (1u << i))
				ice__free(bufs[i]);
		for (int i = 0; i < nchildren; i++)
			ice_arrow_array_release(&children[i]);
		if (p) {
			ice__free(p->children);
			ice__free(p->child_ptrs);
			ice__free(p);
		}
		return ICE_ERROR;
	}
	for (int i = 0; i < nbuf; i++) {
		p->ptrs[i] = bufs[i];
		if (owned & (1u << i))
			p->owned[i] = bufs[i];
	}
	for (int i = 0; i < nchildren; i++) {
		ice_arrow_array_move(&children[i], &p->children[i]);
		p->child_ptrs[i] = &p->children[i];
	}
	if (holder && owned != (1u << nbuf) - 1) {
		holder_ref(holder);
		p->holder = holder;
	}
	out->length = length;
	out->null_count = null_count;
	out->offset = offset;
	out->n_buffers = nbuf;
	out->n_children = nchildren;
	out->buffers = p->ptrs;
	out->children = nchildren ? p->child_ptrs : NULL;
	out->release = release_array;
	out->private_data = p;
	return 0;
}

int ice_read__array_view(struct ArrowArray *out, const struct ArrowArray *src, rd_holder *holder)
{
	struct ArrowArray kids[4], *many = NULL, *k = kids;
	void *bufs[3] = {NULL, NULL, NULL};
	int rc;
	if (src->n_buffers > 3 || src->dictionary)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "an Arrow array with %lld buffers%s",
		                      (long long)src->n_buffers, src->dictionary ? " and a dictionary" : "");
	if (src->n_children > 4 && !(k = many = ice__calloc((size_t)src->n_children, sizeof(*many))))
		return ICE_ERROR;
	for (int64_t i = 0; i < src->n_children; i++)
		if ((rc = ice_read__array_view(&k[i], src->children[i], holder)) != 0) {
			for (int64_t j = 0; j < i; j++)
				ice_arrow_array_release(&k[j]);
			ice__free(many);
			return rc;
		}
	for (int64_t i = 0; i < src->n_buffers; i++)
		bufs[i] = (void *)(uintptr_t)src->buffers[i];
	rc = ice_read__array_make(out, src->length, src->null_count, src->offset, (int)src->n_buffers, bufs, 0,
	                          (int)src->n_children, k, holder);
	ice__free(many);
	return rc;
}

/* ---- schemas ------------------------------------------------------------------- */

typedef struct schema_priv {
	char *format, *name, *metadata;
	struct ArrowSchema *children;
	struct ArrowSchema **child_ptrs;
} schema_priv;

static void release_schema(struct ArrowSchema *s)
{
	schema_priv *p = s->private_data;
	if (!s->release)
		return;
	for (int64_t i = 0; i < s->n_children; i++)
		ice_arrow_schema_release(&p->children[i]);
	ice__free(p->format);
	ice__free(p->name);
	ice__free(p->metadata);
	ice__free(p->children);
	ice__free(p->child_ptrs);
	ice__free(p);
	s->release = NULL;
}

int ice_read__schema_make(struct ArrowSchema *out, const char *format, const char *name, const char *metadata,
                          size_t metadata_len, int64_t flags, int nchildren, struct ArrowSchema *children)
{
	schema_priv *p = ice__calloc(1, sizeof(*p));
	bool ok = p != NULL;
	memset(out, 0, sizeof(*out));
	if (ok) {
		p->format = ice__strdup(format);
		p->name = ice__strdup(name ? name : "");
		p->metadata = metadata ? ice__memdup(metadata, metadata_len) : NULL;
		ok = p->format && p->name && (!metadata || p->metadata);
	}
	if (ok && nchildren > 0) {
		p->children = ice__calloc((size_t)nchildren, sizeof(struct ArrowSchema));
		p->child_ptrs = ice__calloc((size_t)nchildren, sizeof(struct ArrowSchema *));
		ok = p->children && p->child_ptrs;
	}
	if (!ok) {
		for (int i = 0; i < nchildren; i++)
			ice_arrow_schema_release(&children[i]);
		if (p) {
			ice__free(p->format);
			ice__free(p->name);
			ice__free(p->metadata);
			ice__free(p->children);
			ice__free(p->child_ptrs);
			ice__free(p);
		}
		return ICE_ERROR;
	}
	for (int i = 0; i < nchildren; i++) {
		ice_arrow_schema_move(&children[i], &p->children[i]);
		p->child_ptrs[i] = &p->children[i];
	}
	out->format = p->format;
	out->name = p->name;
	out->metadata = p->metadata;
	out->flags = flags;
	out->n_children = nchildren;
	out->children = nchildren ? p->child_ptrs : NULL;
	out->release = release_schema;
	out->private_data = p;
	return 0;
}

/* Length of Arrow's binary key/value metadata. */
static size_t metadata_len(const char *m)
{
	int32_t n, kl, vl;
	size_t len = 4;
	if (!m)
		return 0;
	memcpy(&n, m, 4);
	for (int32_t i = 0; i < n; i++) {
		memcpy(&kl, m + len, 4);
		len += 4 + (size_t)kl;
		memcpy(&vl, m + len, 4);
		len += 4 + (size_t)vl;
	}
	return len;
}

static const char *metadata_get(const char *m, const char *key, int32_t *vlen)
{
	int32_t n, kl, vl;
	size_t pos = 4;
	if (!m)
		return NULL;
	memcpy(&n, m, 4);
	for (int32_t i = 0; i < n; i++) {
		memcpy(&kl, m + pos, 4);
		const char *k = m + pos + 4;
		pos += 4 + (size_t)kl;
		memcpy(&vl, m + pos, 4);
		if ((size_t)kl == strlen(key) && !memcmp(k, key, (size_t)kl)) {
			*vlen = vl;
			return m + pos + 4;
		}
		pos += 4 + (size_t)vl;
	}
	return NULL;
}

int32_t ice_read__schema_field_id(const struct ArrowSchema *s)
{
	int32_t vl;
	const char *v = metadata_get(s->metadata, "PARQUET:field_id", &vl);
	char tmp[16];
	if (!v || vl <= 0 || vl >= (int32_t)sizeof(tmp))
		return 0;
	memcpy(tmp, v, (size_t)vl);
	tmp[vl] = '\0';
	return (int32_t)atol(tmp);
}

int ice_read__schema_copy(struct ArrowSchema *out, const struct ArrowSchema *src)
{
	struct ArrowSchema *kids = NULL;
	int rc;
	if (src->n_children && !(kids = ice__calloc((size_t)src->n_children, sizeof(*kids))))
		return ICE_ERROR;
	for (int64_t i = 0; i < src->n_children; i++)
		if ((rc = ice_read__schema_copy(&kids[i], src->children[i])) != 0) {
			for (int64_t j = 0; j < i; j++)
				ice_arrow_schema_release(&kids[j]);
			ice__free(kids);
			return rc;
		}
	rc = ice_read__schema_make(out, src->format, src->name, src->metadata, metadata_len(src->metadata), src->flags,
	                           (int)src->n_children, kids);
	ice__free(kids);
	return rc;
}

static void put_kv(char **p, const char *k, const char *v)
{
	int32_t kl = (int32_t)strlen(k), vl = (int32_t)strlen(v);
	memcpy(*p, &kl, 4);
	memcpy(*p + 4, k, (size_t)kl);
	*p += 4 + kl;
	memcpy(*p, &vl, 4);
	memcpy(*p + 4, v, (size_t)vl);
	*p += 4 + vl;
}

static int schema_for_type(struct ArrowSchema *out, const ice_type *t, const char *name, int32_t id, bool nullable)
{
	char fmt[48], idtext[16], meta[160], *mp = meta;
	struct ArrowSchema kids[2], *many = NULL;
	int n = 0, rc;
	bool uuid = false;
	const char *f = fmt;
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: f = "b"; break;
	case ICE_TYPE_INT: f = "i"; break;
	case ICE_TYPE_LONG: f = "l"; break;
	case ICE_TYPE_FLOAT: f = "f"; break;
	case ICE_TYPE_DOUBLE: f = "g"; break;
	case ICE_TYPE_DECIMAL:
		snprintf(fmt, sizeof(fmt), "d:%d,%d", (int)t->u.decimal.precision, (int)t->u.decimal.scale);
		break;
	case ICE_TYPE_DATE: f = "tdD"; break;
	case ICE_TYPE_TIME: f = "ttu"; break;
	case ICE_TYPE_TIMESTAMP: f = "tsu:"; break;
	case ICE_TYPE_TIMESTAMPTZ: f = "tsu:UTC"; break;
	case ICE_TYPE_TIMESTAMP_NS: f = "tsn:"; break;
	case ICE_TYPE_TIMESTAMPTZ_NS: f = "tsn:UTC"; break;
	case ICE_TYPE_STRING: f = "u"; break;
	case ICE_TYPE_UUID: f = "w:16", uuid = true; break;
	case ICE_TYPE_FIXED: snprintf(fmt, sizeof(fmt), "w:%d", (int)t->u.fixed.length); break;
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: f = "z"; break;
	case ICE_TYPE_UNKNOWN: f = "n"; break;
	case ICE_TYPE_VARIANT: {
		if ((rc = ice_read__schema_make(&kids[0], "z", "metadata", NULL, 0, 0, 0, NULL)) != 0)
			return rc;
		if ((rc = ice_read__schema_make(&kids[1], "z", "value", NULL, 0, 0, 0, NULL)) != 0) {
			ice_arrow_schema_release(&kids[0]);
			return rc;
		}
		f = "+s";
		n = 2;
		break;
	}
	case ICE_TYPE_STRUCT:
		f = "+s";
		n = (int)t->u.struct_.nfields;
		if (n > 2 && !(many = ice__calloc((size_t)n, sizeof(*many))))
			return ICE_ERROR;
		for (int i = 0; i < n; i++) {
			const ice_field *c = &t->u.struct_.fields[i];
			if ((rc = schema_for_type(many ? &many[i] : &kids[i], c->type, c->name, c->id, !c->required)) != 0) {
				for (int j = 0; j < i; j++)
					ice_arrow_schema_release(many ? &many[j] : &kids[j]);
				ice__free(many);
				return rc;
			}
		}
		break;
	case ICE_TYPE_LIST: {
		const ice_field *e = &t->u.list.element;
		if ((rc = schema_for_type(&kids[0], e->type, "element", e->id, !e->required)) != 0)
			return rc;
		f = "+l";
		n = 1;
		break;
	}
	case ICE_TYPE_MAP: {
		const ice_field *k = &t->u.map.key, *v = &t->u.map.value;
		struct ArrowSchema kv[2];
		if ((rc = schema_for_type(&kv[0], k->type, "key", k->id, false)) != 0)
			return rc;
		if ((rc = schema_for_type(&kv[1], v->type, "value", v->id, !v->required)) != 0) {
			ice_arrow_schema_release(&kv[0]);
			return rc;
		}
		if ((rc = ice_read__schema_make(&kids[0], "+s", "entries", NULL, 0, 0, 2, kv)) != 0)
			return rc;
		f = "+m";
		n = 1;
		break;
	}
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: type %s has no Arrow form", name,
		                      ice_type_id_name(t->id));
	}
	int32_t nkv = (id > 0) + 2 * uuid;
	memcpy(mp, &nkv, 4);
	mp += 4;
	if (id > 0) {
		snprintf(idtext, sizeof(idtext), "%d", (int)id);
		put_kv(&mp, "PARQUET:field_id", idtext);
	}
	if (uuid) {
		put_kv(&mp, "ARROW:extension:name", "arrow.uuid");
		put_kv(&mp, "ARROW:extension:metadata", "");
	}
	int64_t flags = nullable ? ARROW_FLAG_NULLABLE : 0;
	rc = ice_read__schema_make(out, f, name, nkv ? meta : NULL, nkv ? (size_t)(mp - meta) : 0, flags, n,
	                           many ? many : kids);
	ice__free(many);
	return rc;
}

int ice_read__schema_for_field(struct ArrowSchema *out, const ice_field *field)
{
	return schema_for_type(out, field->type, field->name, field->id, !field->required);
}

int ice_read__schema_for_struct(struct ArrowSchema *out, const ice_type *struct_type, const char *name)
{
	return schema_for_type(out, struct_type, name ? name : "", 0, false);
}
