/*
 * util/arrow.c - Arrow arrays and schemas owned by the library (util/arrow.h):
 * owned, pooled and borrowed buffers, reference-counted holders, schemas
 * with binary key/value metadata.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arrow.h"
#include "error.h"

/* ---- holders ------------------------------------------------------------------ */

struct ice_arrow_holder {
	_Atomic long refs;
	struct ArrowArray src;
};

int ice_arrow__holder_new(ice_arrow_holder **out, struct ArrowArray *src)
{
	ice_arrow_holder *h = ice__calloc(1, sizeof(*h));
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

const struct ArrowArray *ice_arrow__holder_array(const ice_arrow_holder *h)
{
	return &h->src;
}

static void holder_ref(ice_arrow_holder *h)
{
	if (h)
		atomic_fetch_add(&h->refs, 1);
}

void ice_arrow__holder_unref(ice_arrow_holder *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		ice_arrow_array_release(&h->src);
		ice__free(h);
	}
}

/* ---- pools ---------------------------------------------------------------------- */

/*
 * Batches are handed to the caller, so each one needs fresh buffers; fresh
 * large allocations cost page faults. Buffers of released batches go back
 * to the pool (while it lives) and the next batch reuses them.
 */
#define POOL_SLOTS 64
/* A buffer larger than this is freed, not pooled: a batch of a few huge
 * values (1 GiB strings) is not held again beside the next batch. */
#define POOL_MAX_BUFFER ((size_t)256 << 20)

struct ice_arrow_pool {
	pthread_mutex_t mu;
	int refs;
	size_t n;
	void *items[POOL_SLOTS];
	size_t caps[POOL_SLOTS];
};

ice_arrow_pool *ice_arrow__pool_new(void)
{
	ice_arrow_pool *p = ice__calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->refs = 1;
	return p;
}

static void pool_destroy(ice_arrow_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		ice__free(p->items[i]);
	pthread_mutex_destroy(&p->mu);
	ice__free(p);
}

void ice_arrow__pool_release(ice_arrow_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	int left = --p->refs;
	pthread_mutex_unlock(&p->mu);
	if (left == 0)
		pool_destroy(p);
}

void ice_arrow__pool_ref(ice_arrow_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->refs++;
	pthread_mutex_unlock(&p->mu);
}

void *ice_arrow__pool_take(ice_arrow_pool *p, size_t min, size_t *cap_out)
{
	void *got = NULL;
	if (!p)
		return NULL;
	pthread_mutex_lock(&p->mu);
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < p->n; i++)
		if (p->caps[i] >= min && (best == SIZE_MAX || p->caps[i] < p->caps[best]))
			best = i;
	if (best != SIZE_MAX) {
		got = p->items[best];
		*cap_out = p->caps[best];
		p->n--;
		p->items[best] = p->items[p->n];
		p->caps[best] = p->caps[p->n];
	}
	pthread_mutex_unlock(&p->mu);
	return got;
}

static void pool_put(ice_arrow_pool *p, void *buf, size_t cap)
{
	pthread_mutex_lock(&p->mu);
	if (p->n < POOL_SLOTS && cap >= 4096 && cap <= POOL_MAX_BUFFER) {
		p->items[p->n] = buf;
		p->caps[p->n] = cap;
		p->n++;
		buf = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	ice__free(buf);
}

/* ---- arrays ------------------------------------------------------------------------ */

typedef struct array_priv {
	void *owned[3];
	const void *ptrs[3];
	size_t caps[3];                /* capacity of pooled buffers, 0 if not */
	ice_arrow_pool *pool;
	struct ArrowArray *children;
	struct ArrowArray **child_ptrs;
	ice_arrow_holder *holder;
} array_priv;

static void release_array(struct ArrowArray *a)
{
	array_priv *p = a->private_data;
	if (!a->release)
		return;
	for (int64_t i = 0; i < a->n_children; i++)
		ice_arrow_array_release(&p->children[i]);
	for (int i = 0; i < 3; i++) {
		if (p->pool && p->caps[i] && p->owned[i])
			pool_put(p->pool, p->owned[i], p->caps[i]);
		else
			ice__free(p->owned[i]);
	}
	ice_arrow__pool_release(p->pool);
	ice_arrow__holder_unref(p->holder);
	ice__free(p->children);
	ice__free(p->child_ptrs);
	ice__free(p);
	a->release = NULL;
}

int ice_arrow__array_make(struct ArrowArray *out, int64_t length, int64_t null_count, int64_t offset, int nbuf,
                          void **bufs, unsigned owned, int nchildren, struct ArrowArray *children,
                          ice_arrow_holder *holder)
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
	out->dictionary = NULL;
	out->release = release_array;
	out->private_data = p;
	return 0;
}

int ice_arrow__array_owned(struct ArrowArray *out, int64_t length, int64_t null_count, int nbuf, void **bufs,
                           int nchildren, struct ArrowArray *children)
{
	return ice_arrow__array_make(out, length, null_count, 0, nbuf, bufs, (1u << nbuf) - 1, nchildren, children,
	                             NULL);
}

void ice_arrow__array_set_pool(struct ArrowArray *a, ice_arrow_pool *pool, const size_t caps[3])
{
	array_priv *p = a->private_data;
	if (!pool)
		return;
	ice_arrow__pool_ref(pool);
	p->pool = pool;
	for (int i = 0; i < 3; i++)
		p->caps[i] = caps[i];
}

int ice_arrow__array_view(struct ArrowArray *out, const struct ArrowArray *src, ice_arrow_holder *holder)
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
		if ((rc = ice_arrow__array_view(&k[i], src->children[i], holder)) != 0) {
			for (int64_t j = 0; j < i; j++)
				ice_arrow_array_release(&k[j]);
			ice__free(many);
			return rc;
		}
	for (int64_t i = 0; i < src->n_buffers; i++)
		bufs[i] = (void *)(uintptr_t)src->buffers[i];
	rc = ice_arrow__array_make(out, src->length, src->null_count, src->offset, (int)src->n_buffers, bufs, 0,
	                           (int)src->n_children, k, holder);
	ice__free(many);
	return rc;
}

/* ---- schemas ------------------------------------------------------------------------- */

typedef struct schema_priv {
	char *format, *name, *metadata;
	struct ArrowSchema *children;
	struct ArrowSchema **child_ptrs;
} schema_priv;

static void free_schema_priv(schema_priv *p)
{
	if (!p)
		return;
	ice__free(p->format);
	ice__free(p->name);
	ice__free(p->metadata);
	ice__free(p->children);
	ice__free(p->child_ptrs);
	ice__free(p);
}

static void release_schema(struct ArrowSchema *s)
{
	schema_priv *p = s->private_data;
	if (!s->release)
		return;
	for (int64_t i = 0; i < s->n_children; i++)
		ice_arrow_schema_release(&p->children[i]);
	free_schema_priv(p);
	s->release = NULL;
}

int ice_arrow__schema_make(struct ArrowSchema *out, const char *format, const char *name, const char *metadata,
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
		free_schema_priv(p);
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
	out->dictionary = NULL;
	out->release = release_schema;
	out->private_data = p;
	return 0;
}

int ice_arrow__schema_copy(struct ArrowSchema *out, const struct ArrowSchema *src)
{
	struct ArrowSchema *kids = NULL;
	int rc;
	if (src->n_children && !(kids = ice__calloc((size_t)src->n_children, sizeof(*kids))))
		return ICE_ERROR;
	for (int64_t i = 0; i < src->n_children; i++)
		if ((rc = ice_arrow__schema_copy(&kids[i], src->children[i])) != 0) {
			for (int64_t j = 0; j < i; j++)
				ice_arrow_schema_release(&kids[j]);
			ice__free(kids);
			return rc;
		}
	rc = ice_arrow__schema_make(out, src->format, src->name, src->metadata, ice_arrow__metadata_len(src->metadata),
	                            src->flags, (int)src->n_children, kids);
	ice__free(kids);
	return rc;
}

/* ---- metadata ------------------------------------------------------------------------ */

size_t ice_arrow__metadata_len(const char *m)
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

const char *ice_arrow__metadata_get(const char *m, const char *key, int32_t *vlen)
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

size_t ice_arrow__field_metadata(char *buf, bool has_id, int32_t field_id, bool uuid)
{
	char id[16], *p = buf + 4;
	int32_t n = has_id + 2 * uuid;
	if (!n)
		return 0;
	memcpy(buf, &n, 4);
	if (has_id) {
		snprintf(id, sizeof(id), "%d", (int)field_id);
		put_kv(&p, "PARQUET:field_id", id);
	}
	if (uuid) {
		put_kv(&p, "ARROW:extension:name", "arrow.uuid");
		put_kv(&p, "ARROW:extension:metadata", "");
	}
	return (size_t)(p - buf);
}
