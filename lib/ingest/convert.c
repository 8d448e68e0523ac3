/*
 * ingest/convert.c - Arrow batches read from a Parquet input, converted to
 * the table's current schema without going through text: columns are
 * matched by name (struct fields too), and each column is
 *
 *   moved        when its layout already is the table type's (the array
 *                changes hands, no byte is copied; decimal precision and
 *                string/binary labels are relabelled),
 *   widened      int8..int64 and unsigned to int or long (narrowing is
 *                checked value by value), float to double,
 *   rescaled     timestamps and times to the table's unit, exactly (a
 *                nanosecond that does not fit microseconds is an error),
 *                dates to timestamps at midnight; a timestamp without zone
 *                for a timestamptz column is UTC, as in CSV,
 *   checked      binary to string (valid UTF-8),
 *   rebuilt      structs, lists and maps whose children need any of this,
 *   null         when the file lacks the column (a required one: error),
 *   parsed       otherwise, through the value's text as CSV is read
 *                (values.c), so no input is refused that was accepted
 *                before, and errors still name the row and column.
 *
 * The plan is made once per file (ice_convert__new), then each batch is
 * converted in vectorised loops; required columns are checked for nulls.
 */
#include <stdio.h>
#include <string.h>

#include "write/columns.h"
#include "convert.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/strutil.h"
#include "values.h"

typedef enum cv_kind { CV_MOVE, CV_WIDEN, CV_SCALE, CV_UTF8, CV_STRUCT, CV_LIST, CV_MAP, CV_NULLS, CV_TEXT } cv_kind;

typedef struct cv_node cv_node;
struct cv_node {
	cv_kind kind;
	const ice_type *type;                /* the table's; NULL for map entries */
	char *path;                          /* "a.b" for messages */
	char *name;                          /* the output field name */
	char format[48];                     /* the output format */
	bool nullable;
	int src;                             /* index among the source's children; -1: missing */
	const struct ArrowSchema *src_schema; /* NULL when missing */
	int in_width;                        /* CV_WIDEN: bytes of a source value */
	char in_kind;                        /* CV_WIDEN: 'c' 's' 'i' 'l' 'C' 'S' 'I' 'L' 'f' */
	int64_t mul, div;                    /* CV_SCALE: out = in * mul / div */
	bool in32;                           /* CV_SCALE: 32-bit values in (dates, time32) */
	cv_node *children;
	size_t nchildren;
	bool ci;                             /* field names match ignoring case (--case-insensitive) */
};

static bool same_name(const cv_node *n, const char *a, const char *b)
{
	return strcmp(a, b) == 0 || (n->ci && ice_str__ieq(a, strlen(a), b, strlen(b)));
}

struct ice_converter {
	cv_node root;
	char *input;
	struct ArrowSchema schema; /* the output batches' */
	ice_arena arena;           /* text of CSV-style conversion, per value */
};

/* ---- the plan ------------------------------------------------------------------------- */

static void node_free(cv_node *n)
{
	for (size_t i = 0; i < n->nchildren; i++)
		node_free(&n->children[i]);
	ice__free(n->children);
	ice__free(n->path);
	ice__free(n->name);
}

static bool is_fmt(const struct ArrowSchema *s, const char *f)
{
	return s && strcmp(s->format, f) == 0;
}

static int int_kind_width(char k)
{
	switch (k) {
	case 'c':
	case 'C': return 1;
	case 's':
	case 'S': return 2;
	case 'i':
	case 'I':
	case 'f': return 4;
	case 'l':
	case 'L': return 8;
	default: return 0;
	}
}

/* Units of a source time format ("tsm:...", "ttn", ...) per second. */
static int64_t per_second(char unit)
{
	return unit == 's' ? 1 : unit == 'm' ? 1000 : unit == 'u' ? 1000000 : unit == 'n' ? 1000000000 : 0;
}

static int plan(cv_node *n, const ice_type *t, const struct ArrowSchema *s, const char *path, const char *name,
                bool nullable);

/* Children of a struct node: table fields matched by name in the file. */
static int plan_struct(cv_node *n, const ice_type *t, const struct ArrowSchema *s, const char *path)
{
	size_t nf = t ? t->u.struct_.nfields : 2;
	int rc = 0;
	if (!(n->children = ice__calloc(nf ? nf : 1, sizeof(cv_node))))
		return ICE_ERROR;
	n->nchildren = nf;
	if (s)
		for (int64_t k = 0; k < s->n_children; k++) {
			bool known = false;
			for (size_t i = 0; i < nf && !known; i++)
				known = same_name(n, s->children[k]->name, t ? t->u.struct_.fields[i].name : i ? "value" : "key");
			if (!known && t) {
				const char *hint = NULL;
				if (!n->ci)
					ice_value__find_column(t->u.struct_.fields, nf, s->children[k]->name,
					                       strlen(s->children[k]->name), false, &hint);
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                      "column '%s%s%s': unknown column (not in the table's schema%s%s%s)", path,
				                      *path ? "." : "", s->children[k]->name, hint ? "; '" : "", hint ? hint : "",
				                      hint ? "' differs in case: --case-insensitive" : "");
			}
		}
	for (size_t i = 0; i < nf && !rc; i++) {
		const char *fname = t ? t->u.struct_.fields[i].name : i ? "value" : "key";
		const ice_type *ft = t ? t->u.struct_.fields[i].type : NULL;
		const struct ArrowSchema *cs = NULL;
		char child_path[512];
		int src = -1;
		for (int64_t k = 0; s && k < s->n_children && src < 0; k++)
			if (strcmp(s->children[k]->name, fname) == 0 || (!t && k == (int64_t)i))
				src = (int)k, cs = s->children[k];
		for (int64_t k = 0; s && t && n->ci && k < s->n_children && src < 0; k++)
			if (same_name(n, s->children[k]->name, fname))
				src = (int)k, cs = s->children[k];
		n->children[i].ci = n->ci;
		snprintf(child_path, sizeof(child_path), "%s%s%s", path, *path ? "." : "", fname);
		bool nullable = t ? !t->u.struct_.fields[i].required : i == 1;
		rc = plan(&n->children[i], ft, cs, child_path, fname, nullable);
		n->children[i].src = src;
	}
	return rc;
}

/* Whether the children all move, in the source's order: then the nested
 * array moves whole. */
static bool all_move(const cv_node *n)
{
	if (!n->src_schema || (size_t)n->src_schema->n_children != n->nchildren)
		return false;
	for (size_t i = 0; i < n->nchildren; i++)
		if (n->children[i].kind != CV_MOVE || n->children[i].src != (int)i)
			return false;
	return true;
}

static int plan(cv_node *n, const ice_type *t, const struct ArrowSchema *s, const char *path, const char *name,
                bool nullable)
{
	const char *f = s ? s->format : "";
	char buf[48];
	int rc;
	n->type = t;
	n->src_schema = s;
	n->nullable = nullable;
	if (!(n->path = ice__strdup(path)) || !(n->name = ice__strdup(name)))
		return ICE_ERROR;
	if (!t) { /* map entries */
		snprintf(n->format, sizeof(n->format), "+s");
		if ((rc = plan_struct(n, NULL, s, path)) != 0)
			return rc;
		n->kind = all_move(n) ? CV_MOVE : CV_STRUCT;
		return 0;
	}
	const char *tf = ice_columns__format(t, buf, sizeof(buf));
	if (!tf)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "column '%s': type %s cannot be written", path,
		                      ice_type_id_name(t->id));
	snprintf(n->format, sizeof(n->format), "%s", tf);
	if (!s || !strcmp(f, "n")) {
		n->kind = CV_NULLS;
		return 0;
	}
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		if (strcmp(f, "+s") != 0)
			break;
		if ((rc = plan_struct(n, t, s, path)) != 0)
			return rc;
		n->kind = all_move(n) ? CV_MOVE : CV_STRUCT;
		return 0;
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP:
		if (strcmp(f, t->id == ICE_TYPE_LIST ? "+l" : "+m") != 0 || s->n_children != 1)
			break;
		if (!(n->children = ice__calloc(1, sizeof(cv_node))))
			return ICE_ERROR;
		n->nchildren = 1;
		if (t->id == ICE_TYPE_LIST) {
			char child_path[512];
			snprintf(child_path, sizeof(child_path), "%s.element", path);
			n->children[0].ci = n->ci;
			rc = plan(&n->children[0], t->u.list.element.type, s->children[0], child_path, "element",
			          !t->u.list.element.required);
		} else {
			const struct ArrowSchema *e = s->children[0];
			if (strcmp(e->format, "+s") != 0 || e->n_children != 2)
				break;
			/* the entries node: key and value planned against a struct of two */
			cv_node *en = &n->children[0];
			if (!(en->path = ice__strdup(path)) || !(en->name = ice__strdup("entries")) ||
			    !(en->children = ice__calloc(2, sizeof(cv_node))))
				return ICE_ERROR;
			en->nchildren = 2;
			en->src_schema = e;
			snprintf(en->format, sizeof(en->format), "+s");
			char kp[512], vp[512];
			snprintf(kp, sizeof(kp), "%s.key", path);
			snprintf(vp, sizeof(vp), "%s.value", path);
			en->ci = en->children[0].ci = en->children[1].ci = n->ci;
			if ((rc = plan(&en->children[0], t->u.map.key.type, e->children[0], kp, "key", false)) != 0 ||
			    (rc = plan(&en->children[1], t->u.map.value.type, e->children[1], vp, "value",
			               !t->u.map.value.required)) != 0)
				return rc;
			en->children[0].src = 0;
			en->children[1].src = 1;
			en->kind = all_move(en) ? CV_MOVE : CV_STRUCT;
		}
		if (rc)
			return rc;
		n->children[0].src = 0;
		n->kind = all_move(n) ? CV_MOVE : t->id == ICE_TYPE_LIST ? CV_LIST : CV_MAP;
		return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
		if (strlen(f) == 1 && strchr("csilCSIL", f[0])) {
			if ((t->id == ICE_TYPE_INT && f[0] == 'i') || (t->id == ICE_TYPE_LONG && f[0] == 'l')) {
				n->kind = CV_MOVE;
			} else {
				n->kind = CV_WIDEN;
				n->in_kind = f[0];
				n->in_width = int_kind_width(f[0]);
			}
			return 0;
		}
		break;
	case ICE_TYPE_DOUBLE:
		if (is_fmt(s, "f")) {
			n->kind = CV_WIDEN;
			n->in_kind = 'f';
			n->in_width = 4;
			return 0;
		}
		/* fall through */
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_BOOLEAN:
	case ICE_TYPE_DATE:
	case ICE_TYPE_UUID:
	case ICE_TYPE_FIXED:
		if (!strcmp(f, tf)) {
			n->kind = CV_MOVE;
			return 0;
		}
		break;
	case ICE_TYPE_DECIMAL: {
		int p = 0, sc = 0, bits = 128;
		if (sscanf(f, "d:%d,%d,%d", &p, &sc, &bits) >= 2 && bits == 128 && sc == t->u.decimal.scale &&
		    p <= t->u.decimal.precision) {
			n->kind = CV_MOVE; /* same storage: relabelled */
			return 0;
		}
		break;
	}
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: {
		bool want_string = t->id == ICE_TYPE_STRING;
		if (strlen(f) != 1 || !strchr("uUzZ", f[0]))
			break;
		bool is_string = f[0] == 'u' || f[0] == 'U', large = f[0] == 'U' || f[0] == 'Z';
		snprintf(n->format, sizeof(n->format), "%c", want_string ? (large ? 'U' : 'u') : (large ? 'Z' : 'z'));
		n->kind = want_string && !is_string ? CV_UTF8 : CV_MOVE;
		return 0;
	}
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: {
		bool want_tz = t->id == ICE_TYPE_TIMESTAMPTZ || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
		int64_t want = t->id == ICE_TYPE_TIMESTAMP_NS || t->id == ICE_TYPE_TIMESTAMPTZ_NS ? 1000000000 : 1000000;
		int64_t have = 0;
		if (t->id == ICE_TYPE_TIME) {
			if (f[0] == 't' && f[1] == 't' && f[2] && !f[3])
				have = per_second(f[2]);
			n->in32 = f[2] == 's' || f[2] == 'm'; /* time32 */
		} else if (!strcmp(f, "tdD")) {
			n->kind = CV_SCALE;
			n->in32 = true;
			n->mul = want * 86400;
			n->div = 1;
			return 0;
		} else if (f[0] == 't' && f[1] == 's' && f[2] && f[3] == ':') {
			bool has_tz = f[4] != '\0';
			if (has_tz && !want_tz)
				break; /* an instant for a local timestamp: the text path refuses it */
			have = per_second(f[2]);
		}
		if (!have)
			break;
		n->kind = have == want ? CV_MOVE : CV_SCALE;
		n->mul = have < want ? want / have : 1;
		n->div = have > want ? have / want : 1;
		return 0;
	}
	default: break;
	}
	n->kind = CV_TEXT;
	return 0;
}

/* ---- output schema ---------------------------------------------------------------------- */

typedef struct owned_schema {
	struct ArrowSchema *children;
	struct ArrowSchema **ptrs;
	int64_t n;
} owned_schema;

static void release_schema(struct ArrowSchema *s)
{
	owned_schema *o = s->private_data;
	for (int64_t i = 0; i < o->n; i++)
		if (o->children[i].release)
			o->children[i].release(&o->children[i]);
	ice__free(o->children);
	ice__free(o->ptrs);
	ice__free(o);
	s->release = NULL;
}

/* The schema of `n`'s output; strings borrowed from the plan. */
static int make_schema(const cv_node *n, struct ArrowSchema *out)
{
	owned_schema *o = ice__calloc(1, sizeof(*o));
	memset(out, 0, sizeof(*out));
	if (!o)
		return ICE_ERROR;
	out->format = n->format;
	out->name = n->name;
	out->flags = n->nullable ? ARROW_FLAG_NULLABLE : 0;
	out->private_data = o;
	out->release = release_schema;
	if (!n->nchildren)
		return 0;
	if (!(o->children = ice__calloc(n->nchildren, sizeof(struct ArrowSchema))) ||
	    !(o->ptrs = ice__calloc(n->nchildren, sizeof(void *)))) {
		release_schema(out);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < n->nchildren; i++) {
		int rc = make_schema(&n->children[i], &o->children[i]);
		o->ptrs[i] = &o->children[i];
		o->n = (int64_t)i + 1;
		if (rc) {
			release_schema(out);
			return rc;
		}
	}
	out->n_children = (int64_t)n->nchildren;
	out->children = o->ptrs;
	return 0;
}

int ice_convert__new(ice_converter **out, const ice_schema *schema, const struct ArrowSchema *file_schema,
                     const char *input, bool case_insensitive)
{
	ice_converter *c = ice__calloc(1, sizeof(*c));
	int rc;
	*out = NULL;
	if (!c)
		return ICE_ERROR;
	ice_arena__init(&c->arena, 4096);
	if (!(c->input = ice__strdup(input)) || !(c->root.path = ice__strdup("")) || !(c->root.name = ice__strdup(""))) {
		ice_convert__free(c);
		return ICE_ERROR;
	}
	snprintf(c->root.format, sizeof(c->root.format), "+s");
	c->root.kind = CV_STRUCT;
	c->root.src_schema = file_schema;
	c->root.ci = case_insensitive;
	if ((rc = plan_struct(&c->root, ice_schema_struct(schema), file_schema, "")) == 0)
		rc = make_schema(&c->root, &c->schema);
	if (rc) {
		ice_error__prefix("%s", input);
		ice_convert__free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ice_convert__free(ice_converter *c)
{
	if (!c)
		return;
	if (c->schema.release)
		c->schema.release(&c->schema);
	node_free(&c->root);
	ice__free(c->input);
	ice_arena__free(&c->arena);
	ice__free(c);
}

const struct ArrowSchema *ice_convert__schema(const ice_converter *c)
{
	return &c->schema;
}

/* ---- converted arrays ---------------------------------------------------------------------- */

/* An array made here: its own buffers and children, and the source array
 * it borrows buffers from (validity, offsets), released with it. */
typedef struct made {
	void *bufs[3];
	const void *ptrs[3];
	struct ArrowArray *children;
	struct ArrowArray **child_ptrs;
	int64_t nchildren;
	struct ArrowArray keep;
} made;

static void release_made(struct ArrowArray *a)
{
	made *m = a->private_data;
	for (int64_t i = 0; i < m->nchildren; i++)
		ice_arrow_array_release(&m->children[i]);
	ice_arrow_array_release(&m->keep);
	for (int i = 0; i < 3; i++)
		ice__free(m->bufs[i]);
	ice__free(m->children);
	ice__free(m->child_ptrs);
	ice__free(m);
	a->release = NULL;
}

/* An array shaped as `src` (length, offset, nulls, validity and, for
 * nested layouts, offsets) taking `src` over; buffers and children are
 * filled in by the caller. */
static int make_from(struct ArrowArray *out, struct ArrowArray *src, int nbuf, int64_t nchildren)
{
	made *m = ice__calloc(1, sizeof(*m));
	memset(out, 0, sizeof(*out));
	if (!m || (nchildren && (!(m->children = ice__calloc((size_t)nchildren, sizeof(struct ArrowArray))) ||
	                         !(m->child_ptrs = ice__calloc((size_t)nchildren, sizeof(void *)))))) {
		if (m) {
			ice__free(m->children);
			ice__free(m);
		}
		ice_arrow_array_release(src);
		return ICE_ERROR;
	}
	ice_arrow_array_move(src, &m->keep);
	m->nchildren = nchildren;
	for (int64_t i = 0; i < nchildren; i++)
		m->child_ptrs[i] = &m->children[i];
	out->length = m->keep.length;
	out->offset = m->keep.offset;
	out->null_count = m->keep.null_count;
	out->n_buffers = nbuf;
	for (int i = 0; i < nbuf && i < m->keep.n_buffers; i++)
		m->ptrs[i] = m->keep.buffers[i];
	out->buffers = m->ptrs;
	out->n_children = nchildren;
	out->children = nchildren ? m->child_ptrs : NULL;
	out->private_data = m;
	out->release = release_made;
	return 0;
}

static bool valid_at(const struct ArrowArray *a, int64_t i) /* i: physical index */
{
	const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
	return !v || a->null_count == 0 || ((v[i >> 3] >> (i & 7)) & 1);
}

static int row_error(const ice_converter *c, const cv_node *n, int64_t row, const char *fmt, ...) ICE_PRINTF(4, 5);

static int row_error(const ice_converter *c, const cv_node *n, int64_t row, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* rows count from 1, as CSV lines do */
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: row %lld, column '%s': %s", c->input,
	                      (long long)row + 1, n->path, msg);
}

static int convert(ice_converter *c, const cv_node *n, struct ArrowArray *in, int64_t length, int64_t first_row,
                   struct ArrowArray *out);

/* Fixed-width values: widen or rescale into a new values buffer. */
static int convert_values(ice_converter *c, const cv_node *n, struct ArrowArray *in, int64_t first_row,
                          struct ArrowArray *out)
{
	int64_t total = in->offset + in->length;
	bool to_int = n->type->id == ICE_TYPE_INT, to_double = n->type->id == ICE_TYPE_DOUBLE;
	size_t w = to_int ? 4 : 8;
	uint8_t *dst = ice__malloc(total > 0 ? (size_t)total * w : 1);
	const uint8_t *src = in->buffers[1];
	int rc = 0;
	if (!dst) {
		ice_arrow_array_release(in);
		return ICE_ERROR;
	}
	for (int64_t i = 0; i < total && !rc; i++) {
		bool valid = i >= in->offset && valid_at(in, i);
		if (to_double) {
			float f;
			memcpy(&f, src + 4 * i, 4);
			double d = f;
			memcpy(dst + 8 * i, &d, 8);
			continue;
		}
		int64_t v = 0;
		if (n->kind == CV_SCALE && n->in32) {
			int32_t days;
			memcpy(&days, src + 4 * i, 4);
			v = days;
		} else if (n->kind == CV_SCALE || n->in_kind == 'l') {
			memcpy(&v, src + 8 * i, 8);
		} else {
			switch (n->in_kind) {
			case 'c': v = ((const int8_t *)src)[i]; break;
			case 'C': v = src[i]; break;
			case 's': { int16_t x; memcpy(&x, src + 2 * i, 2); v = x; break; }
			case 'S': { uint16_t x; memcpy(&x, src + 2 * i, 2); v = x; break; }
			case 'i': { int32_t x; memcpy(&x, src + 4 * i, 4); v = x; break; }
			case 'I': { uint32_t x; memcpy(&x, src + 4 * i, 4); v = x; break; }
			case 'L': {
				uint64_t x;
				memcpy(&x, src + 8 * i, 8);
				if (valid && x > INT64_MAX)
					rc = row_error(c, n, first_row + i - in->offset, "%llu does not fit a long",
					               (unsigned long long)x);
				v = (int64_t)x;
				break;
			}
			default: break;
			}
		}
		if (n->kind == CV_SCALE && valid) {
			if (n->mul > 1 && (v > INT64_MAX / n->mul || v < INT64_MIN / n->mul))
				rc = row_error(c, n, first_row + i - in->offset, "%lld is out of range for %s", (long long)v,
				               ice_type_id_name(n->type->id));
			else if (n->div > 1 && v % n->div != 0)
				rc = row_error(c, n, first_row + i - in->offset,
				               "%lld does not convert to %s exactly (a finer unit than the column's)", (long long)v,
				               ice_type_id_name(n->type->id));
			v = v * n->mul / n->div;
		}
		if (to_int) {
			if (valid && (v < INT32_MIN || v > INT32_MAX))
				rc = row_error(c, n, first_row + i - in->offset, "%lld does not fit an int", (long long)v);
			int32_t x = (int32_t)v;
			memcpy(dst + 4 * i, &x, 4);
		} else {
			memcpy(dst + 8 * i, &v, 8);
		}
	}
	if (rc || (rc = make_from(out, in, 2, 0)) != 0) {
		ice__free(dst);
		ice_arrow_array_release(in);
		return rc;
	}
	((made *)out->private_data)->bufs[1] = dst;
	((made *)out->private_data)->ptrs[1] = dst;
	return 0;
}

/* Through text, as CSV is read: one value at a time (the slow path). */
static int convert_text(ice_converter *c, const cv_node *n, struct ArrowArray *in, int64_t length, int64_t first_row,
                        struct ArrowArray *out)
{
	col_builder b;
	struct ArrowSchema s;
	int64_t total = in ? in->offset + in->length : length;
	int rc = ice_columns__init(&b, n->type, n->name);
	if (rc) {
		ice_arrow_array_release(in);
		return rc;
	}
	for (int64_t i = 0; i < total && !rc; i++) {
		char *text = NULL;
		ice_literal v = ice_literal_null(n->type->id);
		if (in && i >= in->offset && (rc = ice_arrow_value_to_string(&text, n->src_schema, in, i - in->offset)) != 0)
			break;
		if (text && (rc = ice_value__from_text(&v, n->type, text, strlen(text), &c->arena, NULL)) != 0) {
			char why[256];
			snprintf(why, sizeof(why), "%s", ice_error_last() ? ice_error_last()->message : "");
			rc = row_error(c, n, first_row + i - in->offset, "%s", why);
		}
		if (!rc)
			rc = ice_columns__append_value(&b, &v);
		ice_free(text);
		ice_arena__free(&c->arena);
	}
	if (!rc && (rc = ice_columns__finish_array(&b, out, &s, n->nullable)) == 0) {
		s.release(&s);
		if (in && in->offset) { /* padded to keep the source's indexes */
			out->offset = in->offset;
			out->length = in->length;
			out->null_count = -1;
		}
	}
	ice_columns__free(&b);
	ice_arrow_array_release(in);
	return rc;
}

static int convert_utf8(ice_converter *c, const cv_node *n, struct ArrowArray *in, int64_t first_row,
                        struct ArrowArray *out)
{
	bool large = n->format[0] == 'U';
	for (int64_t i = in->offset; i < in->offset + in->length; i++) {
		if (!valid_at(in, i))
			continue;
		int64_t s = large ? ((const int64_t *)in->buffers[1])[i] : ((const int32_t *)in->buffers[1])[i];
		int64_t e = large ? ((const int64_t *)in->buffers[1])[i + 1] : ((const int32_t *)in->buffers[1])[i + 1];
		if (!ice_utf8__valid((const uint8_t *)in->buffers[2] + s, (size_t)(e - s))) {
			int rc = row_error(c, n, first_row + i - in->offset, "not valid UTF-8");
			ice_arrow_array_release(in);
			return rc;
		}
	}
	ice_arrow_array_move(in, out);
	return 0;
}

/* Structs, lists and maps: the source's validity (and offsets) with
 * children converted. Children of a struct are indexed from its offset. */
static int convert_nested(ice_converter *c, const cv_node *n, struct ArrowArray *in, int64_t first_row,
                          struct ArrowArray *out)
{
	int rc = make_from(out, in, n->kind == CV_STRUCT ? 1 : 2, (int64_t)n->nchildren);
	if (rc)
		return rc;
	made *m = out->private_data;
	int64_t child_len = out->offset + out->length;
	if (n->kind != CV_STRUCT) {
		const int32_t *offsets = out->buffers[1];
		child_len = out->length ? offsets[out->offset + out->length] : 0;
	}
	for (size_t i = 0; i < n->nchildren && !rc; i++) {
		const cv_node *cn = &n->children[i];
		struct ArrowArray *src = cn->src >= 0 ? m->keep.children[cn->src] : NULL;
		rc = convert(c, cn, src, child_len, first_row, &m->children[i]);
	}
	if (rc)
		out->release(out);
	return rc;
}

/* `in` (NULL: the column is missing; then `length` rows) becomes `out`;
 * `in` is taken over in every case. */
static int convert(ice_converter *c, const cv_node *n, struct ArrowArray *in, int64_t length, int64_t first_row,
                   struct ArrowArray *out)
{
	memset(out, 0, sizeof(*out));
	switch (in ? n->kind : CV_NULLS) {
	case CV_MOVE: ice_arrow_array_move(in, out); return 0;
	case CV_WIDEN:
	case CV_SCALE: return convert_values(c, n, in, first_row, out);
	case CV_UTF8: return convert_utf8(c, n, in, first_row, out);
	case CV_STRUCT:
	case CV_LIST:
	case CV_MAP: return convert_nested(c, n, in, first_row, out);
	case CV_NULLS:
		ice_arrow_array_release(in);
		return convert_text(c, n, NULL, length, first_row, out);
	default: return convert_text(c, n, in, length, first_row, out);
	}
}

/* ---- required columns ---------------------------------------------------------------------- */

/* Nulls where a required field has a value to give: at rows where every
 * struct above is valid (`live`, NULL: all rows). */
static int check_required(const ice_converter *c, const cv_node *n, const struct ArrowArray *a, int64_t first_row,
                          const uint8_t *live)
{
	int rc = 0;
	for (size_t i = 0; i < n->nchildren && !rc; i++) {
		const cv_node *cn = &n->children[i];
		const struct ArrowArray *ca = a->children[i];
		if (!cn->type)
			continue;
		if (!cn->nullable && ca->null_count != 0)
			for (int64_t r = 0; r < a->length; r++)
				if ((!live || live[r]) && !valid_at(ca, ca->offset + a->offset + r))
					return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
					                      "%s: row %lld, column '%s': null in a required column", c->input,
					                      (long long)(first_row + r + 1), cn->path);
		if (cn->type->id == ICE_TYPE_STRUCT) {
			uint8_t *mine = ice__malloc(a->length ? (size_t)a->length : 1);
			if (!mine)
				return ICE_ERROR;
			for (int64_t r = 0; r < a->length; r++)
				mine[r] = (!live || live[r]) && valid_at(ca, ca->offset + a->offset + r);
			/* rows of the child struct are its parent's (same index space) */
			struct ArrowArray view = *ca;
			view.offset = ca->offset + a->offset;
			view.length = a->length;
			rc = check_required(c, cn, &view, first_row, mine);
			ice__free(mine);
		}
	}
	return rc;
}

int ice_convert__batch(ice_converter *c, struct ArrowArray *in, int64_t first_row, struct ArrowArray *out)
{
	int rc = convert_nested(c, &c->root, in, first_row, out);
	if (!rc) {
		/* the top level has no validity of its own */
		((made *)out->private_data)->ptrs[0] = NULL;
		out->null_count = 0;
		if ((rc = check_required(c, &c->root, out, first_row, NULL)) != 0)
			out->release(out);
	}
	return rc;
}
