/*
 * spec/udf_metadata.c - Iceberg UDF metadata (the UDF spec, format version
 * 1): definitions keyed by their canonical signature, versioned SQL
 * representations and the definition log; parsing with validation, and
 * writing. UDF types are Iceberg types without field ids.
 */
#include <stdio.h>
#include <string.h>

#include "ice/view_metadata.h"
#include "model.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/uuid.h"

struct ice_udf_metadata {
	ice_arena arena;
	const char *uuid;
	const char *location;
	const char *doc;
	bool secure, has_secure;
	ice_properties properties;
	bool has_properties;
	ice_udf_definition *defs;
	size_t ndefs;
	ice_udf_log_entry *log;
	size_t nlog;
};

/* ---- types without ids ------------------------------------------------------------ */

static int parse_type(const ice_type **out, ice_arena *a, ice_jr *r, const ice_json *j, int depth);

static int child(const ice_type **out, ice_arena *a, ice_jr *r, const ice_json *obj, const char *key, int depth)
{
	ice_json *j = ice_json__get(obj, key);
	int rc;
	if (!j)
		return ice_jr__error(r, ICE_EINVALID, "missing required field '%s'", key);
	ice_jr__push_key(r, key);
	rc = parse_type(out, a, r, j, depth + 1);
	ice_jr__pop(r);
	return rc;
}

static int parse_type(const ice_type **out, ice_arena *a, ice_jr *r, const ice_json *j, int depth)
{
	const char *s;
	size_t len;
	int rc;
	if (depth > 64)
		return ice_jr__error(r, ICE_EINVALID, "type nested too deeply");
	if (ice_json__type(j) == ICE_JSON_STRING) {
		s = ice_json__str(j, &len);
		if (memchr(s, ' ', len) || memchr(s, '"', len))
			return ice_jr__error(r, ICE_EINVALID, "UDF type strings contain no spaces or quotes: '%s'", s);
		if ((rc = ice_type__parse_primitive(out, a, s, len)) != 0) {
			if (ice_error__is_oom())
				return rc;
			return ice_jr__error(r, rc, "unknown type '%s'", s);
		}
		return 0;
	}
	if (ice_json__type(j) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a type, found %s", ice_json__type_name(j));
	if ((rc = ice_jr__req_string(r, j, "type", &s, NULL)) != 0)
		return rc;
	ice_type *t = ice_arena__alloc(a, sizeof(*t));
	if (!t)
		return ICE_ERROR;
	if (!strcmp(s, "list")) {
		t->id = ICE_TYPE_LIST;
		t->u.list.element.name = "element";
		rc = child(&t->u.list.element.type, a, r, j, "element", depth);
	} else if (!strcmp(s, "map")) {
		t->id = ICE_TYPE_MAP;
		t->u.map.key.name = "key";
		t->u.map.key.required = true;
		t->u.map.value.name = "value";
		if (!(rc = child(&t->u.map.key.type, a, r, j, "key", depth)))
			rc = child(&t->u.map.value.type, a, r, j, "value", depth);
	} else if (!strcmp(s, "struct")) {
		ice_json *fields;
		if ((rc = ice_jr__req_array(r, j, "fields", &fields)) != 0)
			return rc;
		size_t n = ice_json__size(fields);
		ice_field *fs = n ? ice_arena__allocarray(a, n, sizeof(ice_field)) : NULL;
		if (n && !fs)
			return ICE_ERROR;
		ice_jr__push_key(r, "fields");
		for (size_t i = 0; i < n && !rc; i++) {
			const ice_json *f = ice_json__at(fields, i);
			const char *name;
			ice_jr__push_index(r, i);
			if (!(rc = ice_jr__req_string(r, f, "name", &name, NULL))) {
				if (!(fs[i].name = ice_arena__strdup(a, name)))
					rc = ICE_ERROR;
				else
					rc = child(&fs[i].type, a, r, f, "type", depth);
			}
			ice_jr__pop(r);
		}
		ice_jr__pop(r);
		t->id = ICE_TYPE_STRUCT;
		t->u.struct_.nfields = n;
		t->u.struct_.fields = fs;
	} else {
		rc = ice_jr__error_at(r, "type", ICE_EINVALID, "unknown type '%s'", s);
	}
	if (!rc)
		*out = t;
	return rc;
}

/* The canonical signature text of a type (UDF spec "Definition ID"). */
static void type_signature(const ice_type *t, ice_buf *b)
{
	switch (t->id) {
	case ICE_TYPE_LIST:
		ice_buf__puts(b, "list<");
		type_signature(t->u.list.element.type, b);
		ice_buf__putc(b, '>');
		return;
	case ICE_TYPE_MAP:
		ice_buf__puts(b, "map<");
		type_signature(t->u.map.key.type, b);
		ice_buf__putc(b, ',');
		type_signature(t->u.map.value.type, b);
		ice_buf__putc(b, '>');
		return;
	case ICE_TYPE_STRUCT:
		ice_buf__puts(b, "struct<");
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			ice_buf__printf(b, "%s%s:", i ? "," : "", t->u.struct_.fields[i].name);
			type_signature(t->u.struct_.fields[i].type, b);
		}
		ice_buf__putc(b, '>');
		return;
	case ICE_TYPE_DECIMAL:
		ice_buf__printf(b, "decimal(%d,%d)", (int)t->u.decimal.precision, (int)t->u.decimal.scale);
		return;
	default: {
		/* Spaces are not allowed in UDF type strings. */
		size_t start = b->len;
		ice_type__primitive_name(t, b);
		size_t w = start;
		for (size_t i = start; i < b->len; i++)
			if (b->ptr[i] != ' ')
				b->ptr[w++] = b->ptr[i];
		ice_buf__truncate(b, w);
	}
	}
}

static void write_type(const ice_type *t, ice_json_writer *w)
{
	switch (t->id) {
	case ICE_TYPE_LIST:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "list");
		ice_json_key(w, "element");
		write_type(t->u.list.element.type, w);
		ice_json_end_object(w);
		return;
	case ICE_TYPE_MAP:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "map");
		ice_json_key(w, "key");
		write_type(t->u.map.key.type, w);
		ice_json_key(w, "value");
		write_type(t->u.map.value.type, w);
		ice_json_end_object(w);
		return;
	case ICE_TYPE_STRUCT:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "struct");
		ice_json_key(w, "fields");
		ice_json_begin_array(w);
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			ice_json_begin_object(w);
			ice_json_key(w, "name");
			ice_json_string(w, t->u.struct_.fields[i].name);
			ice_json_key(w, "type");
			write_type(t->u.struct_.fields[i].type, w);
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
		ice_json_end_object(w);
		return;
	default: {
		ice_buf b = ICE_BUF_INIT;
		type_signature(t, &b);
		if (b.error)
			ice_jw__fail(w, b.error);
		else
			ice_json_string_n(w, ice_buf__cstr(&b), b.len);
		ice_buf__free(&b);
	}
	}
}

/* ---- parsing ---------------------------------------------------------------------- */

static int dup_opt(ice_arena *a, ice_jr *r, const ice_json *obj, const char *key, const char **out)
{
	const char *s = NULL;
	int rc = ice_jr__opt_string(r, obj, key, &s, NULL);
	*out = NULL;
	if (rc || !s)
		return rc;
	return (*out = ice_arena__strdup(a, s)) ? 0 : ICE_ERROR;
}

static int parse_udf_version(ice_udf_version *v, ice_arena *a, ice_jr *r, const ice_json *obj)
{
	const char *on_null = NULL;
	bool has_det;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a definition version object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int32(r, obj, "version-id", &v->version_id)) ||
	    (rc = ice_jr__req_int64(r, obj, "timestamp-ms", &v->timestamp_ms)) ||
	    (rc = ice_jr__opt_bool(r, obj, "deterministic", &v->deterministic, &has_det)) ||
	    (rc = ice_jr__opt_string(r, obj, "on-null-input", &on_null, NULL)))
		return rc;
	if (on_null) {
		v->has_on_null_input = true;
		if (!strcmp(on_null, "return-null"))
			v->return_null_on_null_input = true;
		else if (strcmp(on_null, "call") != 0)
			return ice_jr__error_at(r, "on-null-input", ICE_EINVALID, "expected 'return-null' or 'call', found '%s'",
			                        on_null);
	}
	return ice_spec__parse_representations(&v->representations, &v->n_representations, a, r, obj);
}

static int parse_definition(ice_udf_definition *d, ice_arena *a, ice_jr *r, const ice_json *obj)
{
	ice_json *params, *versions, *ret;
	const char *kind;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a definition object, found %s", ice_json__type_name(obj));
	if ((rc = dup_opt(a, r, obj, "definition-id", &d->definition_id)) ||
	    (rc = dup_opt(a, r, obj, "specific-name", &d->specific_name)) ||
	    (rc = dup_opt(a, r, obj, "doc", &d->doc)) ||
	    (rc = ice_jr__req_array(r, obj, "parameters", &params)) ||
	    (rc = ice_jr__req_array(r, obj, "versions", &versions)) ||
	    (rc = ice_jr__req_int32(r, obj, "current-version-id", &d->current_version_id)) ||
	    (rc = ice_jr__req_string(r, obj, "function-type", &kind, NULL)) ||
	    (rc = ice_jr__opt_bool(r, obj, "return-nullable", &d->return_nullable, &d->has_return_nullable)))
		return rc;
	if (!d->definition_id)
		return ice_jr__error(r, ICE_EINVALID, "missing required field 'definition-id'");
	if (!strcmp(kind, "udtf"))
		d->table_function = true;
	else if (strcmp(kind, "udf") != 0)
		return ice_jr__error_at(r, "function-type", ICE_EINVALID, "expected 'udf' or 'udtf', found '%s'", kind);
	if (!(ret = ice_json__get(obj, "return-type")))
		return ice_jr__error(r, ICE_EINVALID, "missing required field 'return-type'");
	ice_jr__push_key(r, "return-type");
	rc = parse_type(&d->return_type, a, r, ret, 0);
	ice_jr__pop(r);
	if (rc)
		return rc;
	if (d->table_function && d->return_type->id != ICE_TYPE_STRUCT)
		return ice_jr__error_at(r, "return-type", ICE_EINVALID, "a udtf must return a struct");

	size_t n = ice_json__size(params);
	ice_udf_parameter *ps = n ? ice_arena__allocarray(a, n, sizeof(*ps)) : NULL;
	if (n && !ps)
		return ICE_ERROR;
	ice_buf sig = ICE_BUF_INIT;
	ice_jr__push_key(r, "parameters");
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *p = ice_json__at(params, i);
		const char *name;
		ice_jr__push_index(r, i);
		if (!(rc = ice_jr__req_string(r, p, "name", &name, NULL)) && !(ps[i].name = ice_arena__strdup(a, name)))
			rc = ICE_ERROR;
		if (!rc)
			rc = dup_opt(a, r, p, "doc", &ps[i].doc);
		if (!rc)
			rc = child(&ps[i].type, a, r, p, "type", 0);
		if (!rc) {
			if (i)
				ice_buf__putc(&sig, ',');
			type_signature(ps[i].type, &sig);
		}
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	d->n_parameters = n;
	d->parameters = ps;
	if (!rc && sig.error)
		rc = sig.error;
	if (!rc && strcmp(ice_buf__cstr(&sig), d->definition_id) != 0)
		rc = ice_jr__error_at(r, "definition-id", ICE_EINVALID, "'%s' is not the signature of the parameters ('%s')",
		                      d->definition_id, ice_buf__cstr(&sig));
	ice_buf__free(&sig);
	if (rc)
		return rc;

	n = ice_json__size(versions);
	ice_udf_version *vs = n ? ice_arena__allocarray(a, n, sizeof(*vs)) : NULL;
	if (n && !vs)
		return ICE_ERROR;
	ice_jr__push_key(r, "versions");
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(r, i);
		rc = parse_udf_version(&vs[i], a, r, ice_json__at(versions, i));
		for (size_t k = 0; k < i && !rc; k++)
			if (vs[k].version_id == vs[i].version_id)
				rc = ice_jr__error(r, ICE_EINVALID, "duplicate version id %d", (int)vs[i].version_id);
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	d->n_versions = n;
	d->versions = vs;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (vs[i].version_id == d->current_version_id)
			return 0;
	return ice_jr__error(r, ICE_EINVALID, "current version %d not found in versions", (int)d->current_version_id);
}

static int parse_udf(ice_udf_metadata *um, ice_jr *r, const ice_json *root)
{
	ice_arena *a = &um->arena;
	ice_json *defs, *log, *props;
	const char *uuid;
	size_t uuid_len;
	int64_t version;
	int rc;
	if (ice_json__type(root) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a UDF metadata object, found %s", ice_json__type_name(root));
	if ((rc = ice_jr__req_int64(r, root, "format-version", &version)) != 0)
		return rc;
	if (version != 1)
		return ice_jr__error_at(r, "format-version", version > 1 ? ICE_EUNSUPPORTED : ICE_EINVALID,
		                        "UDF format version %lld is not supported (this build reads v1)", (long long)version);
	if ((rc = ice_jr__req_string(r, root, "function-uuid", &uuid, &uuid_len)) ||
	    (rc = ice_jr__req_array(r, root, "definitions", &defs)) ||
	    (rc = ice_jr__req_array(r, root, "definition-log", &log)) ||
	    (rc = dup_opt(a, r, root, "location", &um->location)) || (rc = dup_opt(a, r, root, "doc", &um->doc)) ||
	    (rc = ice_jr__opt_bool(r, root, "secure", &um->secure, &um->has_secure)) ||
	    (rc = ice_jr__opt_object(r, root, "properties", &props)))
		return rc;
	uint8_t u[16];
	char canon[ICE_UUID_STRLEN + 1];
	if (!ice_uuid__parse(uuid, uuid_len, u))
		return ice_jr__error_at(r, "function-uuid", ICE_EINVALID, "'%s' is not a UUID", uuid);
	ice_uuid__format(u, canon);
	if (!(um->uuid = ice_arena__strdup(a, canon)))
		return ICE_ERROR;
	if (props) {
		um->has_properties = true;
		ice_jr__push_key(r, "properties");
		rc = ice_properties__parse(&um->properties, a, r, props);
		ice_jr__pop(r);
		if (rc)
			return rc;
	}
	size_t n = ice_json__size(defs);
	if (n && !(um->defs = ice_arena__allocarray(a, n, sizeof(ice_udf_definition))))
		return ICE_ERROR;
	ice_jr__push_key(r, "definitions");
	for (size_t i = 0; i < n && !rc; i++) {
		ice_udf_definition *d = &um->defs[i];
		ice_jr__push_index(r, i);
		rc = parse_definition(d, a, r, ice_json__at(defs, i));
		for (size_t k = 0; k < i && !rc; k++) {
			if (!strcmp(um->defs[k].definition_id, d->definition_id))
				rc = ice_jr__error(r, ICE_EINVALID, "duplicate definition '%s'", d->definition_id);
			else if (d->specific_name && um->defs[k].specific_name &&
			         !strcmp(um->defs[k].specific_name, d->specific_name))
				rc = ice_jr__error(r, ICE_EINVALID, "duplicate specific name '%s'", d->specific_name);
		}
		ice_jr__pop(r);
		um->ndefs = i + 1;
	}
	ice_jr__pop(r);
	if (rc)
		return rc;

	n = ice_json__size(log);
	if (n && !(um->log = ice_arena__allocarray(a, n, sizeof(ice_udf_log_entry))))
		return ICE_ERROR;
	ice_jr__push_key(r, "definition-log");
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *e = ice_json__at(log, i);
		ice_json *dv;
		ice_udf_log_entry *le = &um->log[i];
		ice_jr__push_index(r, i);
		if (ice_json__type(e) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected an object, found %s", ice_json__type_name(e));
		if (!rc)
			rc = ice_jr__req_int64(r, e, "timestamp-ms", &le->timestamp_ms);
		if (!rc)
			rc = ice_jr__req_array(r, e, "definition-versions", &dv);
		if (!rc) {
			size_t m = ice_json__size(dv);
			const char **ids = m ? ice_arena__allocarray(a, m, sizeof(char *)) : NULL;
			int32_t *vers = m ? ice_arena__allocarray(a, m, sizeof(int32_t)) : NULL;
			if (m && (!ids || !vers))
				rc = ICE_ERROR;
			ice_jr__push_key(r, "definition-versions");
			for (size_t k = 0; k < m && !rc; k++) {
				const ice_json *x = ice_json__at(dv, k);
				const char *id;
				ice_jr__push_index(r, k);
				if (!(rc = ice_jr__req_string(r, x, "definition-id", &id, NULL)) &&
				    !(ids[k] = ice_arena__strdup(a, id)))
					rc = ICE_ERROR;
				if (!rc)
					rc = ice_jr__req_int32(r, x, "version-id", &vers[k]);
				ice_jr__pop(r);
			}
			ice_jr__pop(r);
			le->n = m;
			le->definition_ids = ids;
			le->version_ids = vers;
		}
		ice_jr__pop(r);
		um->nlog = i + 1;
	}
	ice_jr__pop(r);
	return rc;
}

void ice_udf_metadata_free(ice_udf_metadata *um)
{
	if (!um)
		return;
	ice_arena__free(&um->arena);
	ice__free(um);
}

int ice_udf_metadata_parse(ice_udf_metadata **out, const void *data, size_t len, const char *source)
{
	ice_udf_metadata *um;
	ice_json *root;
	ice_jr r;
	int rc;
	*out = NULL;
	if (!source)
		source = "<udf metadata>";
	if ((rc = ice_spec__parse_document(&root, data, len, source)) != 0)
		return rc;
	if (!(um = ice__calloc(1, sizeof(*um)))) {
		ice_json__free(root);
		return ICE_ERROR;
	}
	ice_arena__init(&um->arena, 4096);
	ice_jr__init(&r, source, ICE_ERRCLASS_METADATA);
	rc = parse_udf(um, &r, root);
	ice_json__free(root);
	if (rc) {
		ice_udf_metadata_free(um);
		return rc;
	}
	*out = um;
	return 0;
}

static void write_udf(const ice_udf_metadata *um, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "function-uuid");
	ice_json_string(w, um->uuid);
	ice_json_key(w, "format-version");
	ice_json_int(w, 1);
	if (um->location) {
		ice_json_key(w, "location");
		ice_json_string(w, um->location);
	}
	if (um->has_properties) {
		ice_json_key(w, "properties");
		ice_properties__write(&um->properties, w);
	}
	if (um->has_secure) {
		ice_json_key(w, "secure");
		ice_json_bool(w, um->secure);
	}
	if (um->doc) {
		ice_json_key(w, "doc");
		ice_json_string(w, um->doc);
	}
	ice_json_key(w, "definitions");
	ice_json_begin_array(w);
	for (size_t i = 0; i < um->ndefs; i++) {
		const ice_udf_definition *d = &um->defs[i];
		ice_json_begin_object(w);
		ice_json_key(w, "definition-id");
		ice_json_string(w, d->definition_id);
		if (d->specific_name) {
			ice_json_key(w, "specific-name");
			ice_json_string(w, d->specific_name);
		}
		ice_json_key(w, "parameters");
		ice_json_begin_array(w);
		for (size_t k = 0; k < d->n_parameters; k++) {
			ice_json_begin_object(w);
			ice_json_key(w, "name");
			ice_json_string(w, d->parameters[k].name);
			ice_json_key(w, "type");
			write_type(d->parameters[k].type, w);
			if (d->parameters[k].doc) {
				ice_json_key(w, "doc");
				ice_json_string(w, d->parameters[k].doc);
			}
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
		ice_json_key(w, "return-type");
		write_type(d->return_type, w);
		if (d->has_return_nullable) {
			ice_json_key(w, "return-nullable");
			ice_json_bool(w, d->return_nullable);
		}
		ice_json_key(w, "function-type");
		ice_json_string(w, d->table_function ? "udtf" : "udf");
		if (d->doc) {
			ice_json_key(w, "doc");
			ice_json_string(w, d->doc);
		}
		ice_json_key(w, "versions");
		ice_json_begin_array(w);
		for (size_t k = 0; k < d->n_versions; k++) {
			const ice_udf_version *v = &d->versions[k];
			ice_json_begin_object(w);
			ice_json_key(w, "version-id");
			ice_json_int(w, v->version_id);
			ice_json_key(w, "deterministic");
			ice_json_bool(w, v->deterministic);
			if (v->has_on_null_input) {
				ice_json_key(w, "on-null-input");
				ice_json_string(w, v->return_null_on_null_input ? "return-null" : "call");
			}
			ice_json_key(w, "representations");
			ice_spec__write_representations(v->representations, v->n_representations, w);
			ice_json_key(w, "timestamp-ms");
			ice_json_int(w, v->timestamp_ms);
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
		ice_json_key(w, "current-version-id");
		ice_json_int(w, d->current_version_id);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_key(w, "definition-log");
	ice_json_begin_array(w);
	for (size_t i = 0; i < um->nlog; i++) {
		ice_json_begin_object(w);
		ice_json_key(w, "timestamp-ms");
		ice_json_int(w, um->log[i].timestamp_ms);
		ice_json_key(w, "definition-versions");
		ice_json_begin_array(w);
		for (size_t k = 0; k < um->log[i].n; k++) {
			ice_json_begin_object(w);
			ice_json_key(w, "definition-id");
			ice_json_string(w, um->log[i].definition_ids[k]);
			ice_json_key(w, "version-id");
			ice_json_int(w, um->log[i].version_ids[k]);
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_end_object(w);
}

int ice_udf_metadata_to_json(char **out, size_t *len_out, const ice_udf_metadata *um, int flags)
{
	ice_json_writer w;
	int rc;
	*out = NULL;
	ice_jw__init(&w, flags);
	write_udf(um, &w);
	rc = ice_json_writer_finish(&w, NULL, NULL);
	if (!rc && !(*out = ice_buf__detach(&w.buf, len_out)))
		rc = ICE_ERROR;
	ice_jw__free(&w);
	return rc;
}

const char *ice_udf_metadata_uuid(const ice_udf_metadata *um) { return um->uuid; }
size_t ice_udf_metadata_definition_count(const ice_udf_metadata *um) { return um->ndefs; }
size_t ice_udf_metadata_log_count(const ice_udf_metadata *um) { return um->nlog; }

const ice_udf_definition *ice_udf_metadata_definition_at(const ice_udf_metadata *um, size_t i)
{
	return i < um->ndefs ? &um->defs[i] : NULL;
}

const ice_udf_log_entry *ice_udf_metadata_log_at(const ice_udf_metadata *um, size_t i)
{
	return i < um->nlog ? &um->log[i] : NULL;
}
