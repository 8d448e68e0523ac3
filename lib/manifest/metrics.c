/*
 * manifest/metrics.c - metrics modes (table properties
 * write.metadata.metrics.default, write.metadata.metrics.column.<name>,
 * write.metadata.metrics.max-inferred-column-defaults: none, counts,
 * truncate(N), full; default truncate(16)) and bound truncation (spec
 * "Manifests", notes on lower and upper bounds: a truncated lower bound is
 * a prefix, a truncated upper bound must still be >= every value).
 *
 * The rules follow the reference implementation's MetricsConfig: an
 * unreadable mode falls back to the default; without an explicit default a
 * table with more than max-inferred-column-defaults (100) primitive columns
 * keeps metrics only for the first ones; columns of the sort order never
 * drop below truncate(16); a column's own property wins over everything.
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"
#include "util/strutil.h"

#define DEFAULT_TRUNCATE 16
#define DEFAULT_MAX_INFERRED 100

struct ice_metrics_config {
	ice_metrics_mode default_mode;
	ice_map by_id; /* field id -> mode index + 1 in modes */
	ice_metrics_mode *modes;
	size_t nmodes, cap;
};

int ice_metrics_mode_parse(ice_metrics_mode *out, const char *s)
{
	char buf[64];
	size_t n = 0;
	for (const char *p = s; p && *p && n < sizeof(buf) - 1; p++)
		if (!isspace((unsigned char)*p))
			buf[n++] = (char)tolower((unsigned char)*p);
	buf[n] = '\0';
	out->length = 0;
	if (!strcmp(buf, "none"))
		out->kind = ICE_METRICS_NONE;
	else if (!strcmp(buf, "counts"))
		out->kind = ICE_METRICS_COUNTS;
	else if (!strcmp(buf, "full"))
		out->kind = ICE_METRICS_FULL;
	else if (n > 10 && !strncmp(buf, "truncate(", 9) && buf[n - 1] == ')' &&
	         ice_str__to_int32(buf + 9, n - 10, &out->length) && out->length > 0)
		out->kind = ICE_METRICS_TRUNCATE;
	else
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "invalid metrics mode '%s'", s ? s : "");
	return 0;
}

static int set_mode(ice_metrics_config *c, int32_t id, ice_metrics_mode mode)
{
	void *v = NULL;
	if (ice_map__get_int(&c->by_id, id, &v)) {
		c->modes[(uintptr_t)v - 1] = mode;
		return 0;
	}
	if (c->nmodes == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		ice_metrics_mode *m = ice__reallocarray(c->modes, cap, sizeof(*m));
		if (!m)
			return ICE_ERROR;
		c->modes = m;
		c->cap = cap;
	}
	c->modes[c->nmodes] = mode;
	return ice_map__put_int(&c->by_id, id, (void *)(uintptr_t)(++c->nmodes));
}

/* Primitive fields in schema order (pre-order); *count is decremented. */
static int limit_columns(ice_metrics_config *c, const ice_type *t, int *left, ice_metrics_mode mode)
{
	int rc;
	const ice_field *fs = NULL;
	size_t n = 0;
	ice_field pair[2];
	if (t->id == ICE_TYPE_STRUCT) {
		fs = t->u.struct_.fields;
		n = t->u.struct_.nfields;
	} else if (t->id == ICE_TYPE_LIST) {
		fs = &t->u.list.element;
		n = 1;
	} else if (t->id == ICE_TYPE_MAP) {
		pair[0] = t->u.map.key;
		pair[1] = t->u.map.value;
		fs = pair;
		n = 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (ice_type_is_primitive(fs[i].type)) {
			if (*left > 0) {
				(*left)--;
				if ((rc = set_mode(c, fs[i].id, mode)))
					return rc;
			}
		} else if ((rc = limit_columns(c, fs[i].type, left, mode))) {
			return rc;
		}
	}
	return 0;
}

static size_t count_primitives(const ice_type *t)
{
	size_t n = 0;
	if (t->id == ICE_TYPE_STRUCT)
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			n += ice_type_is_primitive(t->u.struct_.fields[i].type) ? 1 : count_primitives(t->u.struct_.fields[i].type);
	else if (t->id == ICE_TYPE_LIST)
		n = ice_type_is_primitive(t->u.list.element.type) ? 1 : count_primitives(t->u.list.element.type);
	else if (t->id == ICE_TYPE_MAP)
		n = (ice_type_is_primitive(t->u.map.key.type) ? 1 : count_primitives(t->u.map.key.type)) +
		    (ice_type_is_primitive(t->u.map.value.type) ? 1 : count_primitives(t->u.map.value.type));
	return n;
}

int ice_metrics_config_new(ice_metrics_config **out, const ice_properties *props, const ice_schema *schema,
                           const ice_sort_order *sort_order)
{
	static const char prefix[] = "write.metadata.metrics.column.";
	ice_metrics_config *c = ice__calloc(1, sizeof(*c));
	const ice_metrics_mode truncate16 = {ICE_METRICS_TRUNCATE, DEFAULT_TRUNCATE};
	const char *def = props ? ice_properties_get(props, "write.metadata.metrics.default") : NULL;
	int rc = 0;
	*out = NULL;
	if (!c)
		return ICE_ERROR;
	ice_map__init(&c->by_id, false);
	c->default_mode = truncate16;
	if (def) {
		if (ice_metrics_mode_parse(&c->default_mode, def) != 0) {
			ice_error_clear(); /* as the reference implementation: warn, keep the default */
			c->default_mode = truncate16;
		}
	} else if (schema) {
		int32_t max = DEFAULT_MAX_INFERRED;
		const char *m = props ? ice_properties_get(props, "write.metadata.metrics.max-inferred-column-defaults")
		                      : NULL;
		if (m && (!ice_str__to_int32(m, strlen(m), &max) || max < 0))
			max = DEFAULT_MAX_INFERRED;
		if (count_primitives(ice_schema_struct(schema)) > (size_t)max) {
			int left = max;
			c->default_mode.kind = ICE_METRICS_NONE;
			c->default_mode.length = 0;
			rc = limit_columns(c, ice_schema_struct(schema), &left, truncate16);
		}
	}
	/* Sorted columns keep at least truncate(16). */
	for (size_t i = 0; rc == 0 && sort_order && i < sort_order->nfields; i++) {
		ice_metrics_mode cur = ice_metrics_config_mode(c, sort_order->fields[i].source_id);
		if (cur.kind == ICE_METRICS_NONE || cur.kind == ICE_METRICS_COUNTS)
			rc = set_mode(c, sort_order->fields[i].source_id, truncate16);
	}
	for (size_t i = 0; rc == 0 && props && schema && i < props->n; i++) {
		const ice_property *p = &props->items[i];
		const ice_field *f;
		ice_metrics_mode mode;
		if (strncmp(p->key, prefix, sizeof(prefix) - 1) != 0)
			continue;
		if (!(f = ice_schema_find_field_by_name(schema, p->key + sizeof(prefix) - 1, true)))
			continue;
		if (ice_metrics_mode_parse(&mode, p->value) != 0) {
			ice_error_clear();
			mode = c->default_mode;
		}
		rc = set_mode(c, f->id, mode);
	}
	if (rc) {
		ice_metrics_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ice_metrics_config_free(ice_metrics_config *c)
{
	if (!c)
		return;
	ice_map__free(&c->by_id);
	ice__free(c->modes);
	ice__free(c);
}

ice_metrics_mode ice_metrics_config_mode(const ice_metrics_config *c, int32_t field_id)
{
	void *v = NULL;
	if (ice_map__get_int(&c->by_id, field_id, &v))
		return c->modes[(uintptr_t)v - 1];
	return c->default_mode;
}

/* ---- truncation ----------------------------------------------------------------- */

int ice_metrics_truncate_lower(ice_slice *out, ice_type_id type, ice_slice value, int32_t length)
{
	*out = value;
	if (length <= 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "truncate length must be positive");
	if (type == ICE_TYPE_BINARY) {
		if (value.len > (size_t)length)
			out->len = (size_t)length;
	} else if (type == ICE_TYPE_STRING) {
		if (!ice_utf8__valid(value.data, value.len))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "string bound is not UTF-8");
		out->len = ice_utf8__prefix_len(value.data, value.len, (size_t)length);
	}
	return 0;
}

static size_t utf8_put(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode the code point at s (valid UTF-8); *len gets its length. */
static uint32_t utf8_get(const uint8_t *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		*len = 2;
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (s[0] < 0xf0) {
		*len = 3;
		return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	*len = 4;
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 | (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

int ice_metrics_truncate_upper(ice_slice *out, bool *has_out, ice_type_id type, ice_slice value, int32_t length,
                               uint8_t *scratch, size_t scratch_len)
{
	*out = value;
	*has_out = true;
	if (length <= 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "truncate length must be positive");
	if (type == ICE_TYPE_BINARY) {
		size_t n = (size_t)length;
		if (value.len <= n)
			return 0;
		if (scratch_len < n)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "truncation scratch too small");
		memcpy(scratch, value.data, n);
		for (size_t i = n; i-- > 0;) {
			if (scratch[i] != 0xff) {
				scratch[i]++;
				out->data = scratch;
				out->len = i + 1;
				return 0;
			}
		}
		*has_out = false;
		return 0;
	}
	if (type != ICE_TYPE_STRING)
		return 0;
	if (!ice_utf8__valid(value.data, value.len))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "string bound is not UTF-8");
	size_t prefix = ice_utf8__prefix_len(value.data, value.len, (size_t)length);
	if (prefix == value.len)
		return 0;
	if (scratch_len < prefix)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "truncation scratch too small");
	/* Offsets of the prefix's code points, then increment from the last. */
	size_t starts[64], nstarts = 0, off = 0;
	size_t *st = starts;
	if ((size_t)length > 64 && !(st = ice__mallocarray((size_t)length, sizeof(size_t))))
		return ICE_ERROR;
	while (off < prefix) {
		size_t l;
		st[nstarts++] = off;
		(void)utf8_get(value.data + off, &l);
		off += l;
	}
	*has_out = false;
	for (size_t i = nstarts; i-- > 0;) {
		size_t l;
		uint32_t cp = utf8_get(value.data + st[i], &l) + 1;
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xe000; /* surrogates are no characters: the next one is U+E000 */
		if (cp > 0x10ffff)
			continue;
		uint8_t enc[4];
		size_t el = utf8_put(enc, cp);
		if (st[i] + el > scratch_len)
			break;
		memcpy(scratch, value.data, st[i]);
		memcpy(scratch + st[i], enc, el);
		out->data = scratch;
		out->len = st[i] + el;
		*has_out = true;
		break;
	}
	if (st != starts)
		ice__free(st);
	return 0;
}
