/*
 * scan/arrow_build.c - Arrow schemas for Iceberg types (the formats
 * ice/parquet.h lists, "PARQUET:field_id" metadata, uuid as the arrow.uuid
 * extension), a schema node's field id, and the layout of each format;
 * the arrays and schemas themselves are util/arrow.c's.
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

int32_t ice_read__schema_field_id(const struct ArrowSchema *s)
{
	int32_t vl;
	const char *v = ice_arrow__metadata_get(s->metadata, "PARQUET:field_id", &vl);
	char tmp[16];
	if (!v || vl <= 0 || vl >= (int32_t)sizeof(tmp))
		return 0;
	memcpy(tmp, v, (size_t)vl);
	tmp[vl] = '\0';
	return (int32_t)atol(tmp);
}

static int schema_for_type(struct ArrowSchema *out, const ice_type *t, const char *name, int32_t id, bool nullable)
{
	char fmt[48], meta[160];
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
		if ((rc = ice_arrow__schema_make(&kids[0], "z", "metadata", NULL, 0, 0, 0, NULL)) != 0)
			return rc;
		if ((rc = ice_arrow__schema_make(&kids[1], "z", "value", NULL, 0, 0, 0, NULL)) != 0) {
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
		if ((rc = ice_arrow__schema_make(&kids[0], "+s", "entries", NULL, 0, 0, 2, kv)) != 0)
			return rc;
		f = "+m";
		n = 1;
		break;
	}
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: type %s has no Arrow form", name,
		                      ice_type_id_name(t->id));
	}
	size_t mlen = ice_arrow__field_metadata(meta, id > 0, id, uuid);
	int64_t flags = nullable ? ARROW_FLAG_NULLABLE : 0;
	rc = ice_arrow__schema_make(out, f, name, mlen ? meta : NULL, mlen, flags, n,
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
