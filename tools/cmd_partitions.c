/*
 * tools/cmd_partitions.c - `ice partitions TABLE [--snapshot ID | --as-of TS |
 * --ref NAME] [--json]`:
 * one row per partition of a snapshot (per spec: a table with partition
 * evolution has partitions of each spec), like Spark's `partitions`
 * metadata table: data files, records and bytes, position delete files
 * (deletion vectors included) and records, equality delete files and
 * records, and the last snapshot that added a live file to it, as far as
 * the manifests tell. Manifests are read one entry at a time; memory holds
 * one row per partition.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


typedef struct part {
	int32_t spec_id;
	const ice_partition_spec *spec; /* NULL when the table lacks it */
	size_t n;
	ice_literal *values;            /* copies; payloads in `payload` */
	uint8_t *payload;
	uint8_t *key;
	size_t key_len;
	int64_t data_files, records, data_bytes;
	int64_t pos_files, pos_records, eq_files, eq_records;
	bool has_last;
	int64_t last_ms, last_snapshot_id;
} part;

typedef struct parts {
	part *items;
	size_t n, cap;
	size_t *slots; /* open addressing: index + 1, 0 empty */
	size_t nslots;
} parts;

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static bool has_payload(ice_type_id t)
{
	return t == ICE_TYPE_STRING || t == ICE_TYPE_BINARY || t == ICE_TYPE_FIXED || t == ICE_TYPE_UUID ||
	       t == ICE_TYPE_GEOMETRY || t == ICE_TYPE_GEOGRAPHY;
}

/* The grouping key: spec id, then per value a null flag, type, length and its binary form. */
static int make_key(const ice_data_file *df, uint8_t **out, size_t *len)
{
	size_t cap = 16, n = 0;
	uint8_t *k = malloc(cap);
	if (!k)
		return -1;
	memcpy(k, &df->partition_spec_id, 4);
	n = 4;
	for (size_t i = 0; i < df->n_partition; i++) {
		const ice_literal *v = &df->partition[i];
		size_t blen = 0;
		if (!v->is_null && ice_literal_to_bytes(v, NULL, 0, &blen) != 0)
			blen = 0;
		if (n + 9 + blen > cap) {
			cap = (n + 9 + blen) * 2;
			uint8_t *g = realloc(k, cap);
			if (!g) {
				free(k);
				return -1;
			}
			k = g;
		}
		k[n++] = v->is_null ? 0 : 1;
		uint32_t t = (uint32_t)v->type, l = (uint32_t)blen;
		memcpy(k + n, &t, 4);
		memcpy(k + n + 4, &l, 4);
		n += 8;
		if (blen && ice_literal_to_bytes(v, k + n, blen, &blen) == 0)
			n += blen;
	}
	ice_error_clear();
	*out = k;
	*len = n;
	return 0;
}

static int grow_slots(parts *ps)
{
	size_t ns = ps->nslots ? ps->nslots * 2 : 64;
	size_t *slots = calloc(ns, sizeof(size_t));
	if (!slots)
		return -1;
	for (size_t i = 0; i < ps->n; i++) {
		size_t s = (size_t)fnv(ps->items[i].key, ps->items[i].key_len) & (ns - 1);
		while (slots[s])
			s = (s + 1) & (ns - 1);
		slots[s] = i + 1;
	}
	free(ps->slots);
	ps->slots = slots;
	ps->nslots = ns;
	return 0;
}

/* The row of a data file's partition, added when new. */
static part *find_or_add(parts *ps, const ice_table_metadata *md, const ice_data_file *df)
{
	uint8_t *key;
	size_t len;
	if (make_key(df, &key, &len) != 0)
		return NULL;
	if (ps->n * 2 >= ps->nslots && grow_slots(ps) != 0) {
		free(key);
		return NULL;
	}
	size_t s = (size_t)fnv(key, len) & (ps->nslots - 1);
	while (ps->slots[s]) {
		part *p = &ps->items[ps->slots[s] - 1];
		if (p->key_len == len && memcmp(p->key, key, len) == 0) {
			free(key);
			return p;
		}
		s = (s + 1) & (ps->nslots - 1);
	}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;
		part *items = realloc(ps->items, cap * sizeof(part));
		if (!items) {
			free(key);
			return NULL;
		}
		ps->items = items;
		ps->cap = cap;
	}
	part *p = &ps->items[ps->n];
	memset(p, 0, sizeof(*p));
	p->spec_id = df->partition_spec_id;
	p->spec = ice_table_metadata_spec_by_id(md, df->partition_spec_id);
	p->key = key;
	p->key_len = len;
	p->n = df->n_partition;
	size_t payload = 0;
	for (size_t i = 0; i < p->n; i++)
		if (!df->partition[i].is_null && has_payload(df->partition[i].type))
			payload += df->partition[i].v.bytes.len;
	p->values = calloc(p->n ? p->n : 1, sizeof(ice_literal));
	p->payload = malloc(payload ? payload : 1);
	if (!p->values || !p->payload) {
		free(p->values);
		free(p->payload);
		free(key);
		return NULL;
	}
	payload = 0;
	for (size_t i = 0; i < p->n; i++) {
		p->values[i] = df->partition[i];
		if (!df->partition[i].is_null && has_payload(df->partition[i].type)) {
			memcpy(p->payload + payload, df->partition[i].v.bytes.data, df->partition[i].v.bytes.len);
			p->values[i].v.bytes.data = p->payload + payload;
			payload += df->partition[i].v.bytes.len;
		}
	}
	ps->slots[s] = ++ps->n;
	return p;
}

static void parts_free(parts *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->items[i].values);
		free(ps->items[i].payload);
		free(ps->items[i].key);
	}
	free(ps->items);
	free(ps->slots);
}

static int by_partition(const void *a, const void *b)
{
	const part *x = a, *y = b;
	if (x->spec_id != y->spec_id)
		return x->spec_id < y->spec_id ? -1 : 1;
	for (size_t i = 0; i < x->n && i < y->n; i++) {
		int c = ice_literal_compare(&x->values[i], &y->values[i]);
		if (c)
			return c;
	}
	return x->n < y->n ? -1 : x->n > y->n;
}

typedef struct counting {
	const ice_table_metadata *md;
	parts *ps;
} counting;

static int count_entry(void *ctx, const ice_manifest_file *mf, const ice_partition_spec *spec,
                       const ice_manifest_entry *e)
{
	counting *c = ctx;
	const ice_data_file *df = &e->data_file;
	part *p = find_or_add(c->ps, c->md, df);
	(void)mf;
	(void)spec;
	if (!p)
		return ice_error_set(ICE_ERROR, "out of memory");
	switch (df->content) {
	case ICE_FILE_CONTENT_DATA:
		p->data_files++;
		p->records += df->record_count;
		p->data_bytes += df->file_size_in_bytes;
		break;
	case ICE_FILE_CONTENT_POSITION_DELETES:
		p->pos_files++;
		p->pos_records += df->record_count;
		break;
	default:
		p->eq_files++;
		p->eq_records += df->record_count;
		break;
	}
	const ice_snapshot *s = e->has_snapshot_id ? ice_table_metadata_snapshot_by_id(c->md, e->snapshot_id) : NULL;
	if (s && (!p->has_last || s->timestamp_ms > p->last_ms)) {
		p->has_last = true;
		p->last_ms = s->timestamp_ms;
		p->last_snapshot_id = s->snapshot_id;
	}
	return 0;
}

static char *partition_text(const part *p)
{
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[len++] = '{';
	for (size_t i = 0; i < p->n; i++) {
		const ice_partition_field *pf = p->spec && i < p->spec->nfields ? &p->spec->fields[i] : NULL;
		char *v = pf && pf->transform.kind != ICE_TRANSFORM_UNKNOWN
		              ? ice_transform_human_string(&pf->transform, &p->values[i])
		              : ice_literal_to_string(&p->values[i]);
		const char *name = pf ? pf->name : "?";
		size_t need = len + strlen(name) + (v ? strlen(v) : 1) + 8;
		if (need > cap) {
			cap = need * 2;
			char *g = realloc(out, cap);
			if (!g) {
				ice_free(v);
				free(out);
				return NULL;
			}
			out = g;
		}
		len += (size_t)sprintf(out + len, "%s%s=%s", i ? ", " : "", name, v ? v : "?");
		ice_free(v);
	}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

static void print_text(ice_cli *cli, const parts *ps)
{
	fprintf(cli->out, "%4s  %10s  %6s  %12s  %9s  %11s  %9s  %11s  %-23s  %20s  %s\n", "spec", "records", "files",
	        "size", "pos files", "pos records", "eq files", "eq records", "last updated", "last snapshot",
	        "partition");
	for (size_t i = 0; i < ps->n; i++) {
		const part *p = &ps->items[i];
		char when[40] = "-", *text = partition_text(p);
		if (p->has_last)
			cli_format_ms(p->last_ms, when);
		fprintf(cli->out, "%4d  %10" PRId64 "  %6" PRId64 "  %12" PRId64 "  %9" PRId64 "  %11" PRId64 "  %9" PRId64
		                  "  %11" PRId64 "  %-23s  ",
		        (int)p->spec_id, p->records, p->data_files, p->data_bytes, p->pos_files, p->pos_records, p->eq_files,
		        p->eq_records, when);
		if (p->has_last)
			fprintf(cli->out, "%20" PRId64, p->last_snapshot_id);
		else
			fprintf(cli->out, "%20s", "-");
		fprintf(cli->out, "  %s\n", text ? text : "?");
		free(text);
	}
	if (!cli->quiet)
		fprintf(cli->out, "%zu partition(s)\n", ps->n);
}

static void write_json(ice_json_writer *w, const parts *ps)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < ps->n; i++) {
		const part *p = &ps->items[i];
		ice_json_begin_object(w);
		ice_json_key(w, "spec_id");
		ice_json_int(w, p->spec_id);
		ice_json_key(w, "partition");
		ice_json_begin_object(w);
		for (size_t k = 0; k < p->n; k++) {
			char idx[24];
			const char *name = p->spec && k < p->spec->nfields ? p->spec->fields[k].name : NULL;
			if (!name) {
				snprintf(idx, sizeof(idx), "%zu", k);
				name = idx;
			}
			ice_json_key(w, name);
			if (p->values[k].is_null || ice_literal_write_json(&p->values[k], w) != 0)
				ice_json_null(w);
		}
		ice_json_end_object(w);
		const struct {
			const char *key;
			int64_t v;
		} counts[] = {
			{"record_count", p->records},
			{"file_count", p->data_files},
			{"total_data_file_size_in_bytes", p->data_bytes},
			{"position_delete_file_count", p->pos_files},
			{"position_delete_record_count", p->pos_records},
			{"equality_delete_file_count", p->eq_files},
			{"equality_delete_record_count", p->eq_records},
		};
		for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
			ice_json_key(w, counts[k].key);
			ice_json_int(w, counts[k].v);
		}
		ice_json_key(w, "last_updated_ms");
		if (p->has_last)
			ice_json_int(w, p->last_ms);
		else
			ice_json_null(w);
		ice_json_key(w, "last_updated_snapshot_id");
		if (p->has_last)
			ice_json_int(w, p->last_snapshot_id);
		else
			ice_json_null(w);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
}

CLI_COMMAND(partitions)
{
	const cli_command *cmd = cli_find_command("partitions");
	ice_snapshot_selector sel;
	cli_snapshot t;
	ice_json_writer *w = NULL;
	const char *table;
	parts ps;
	int rc = cli_parse_args(cli, cmd, argc, argv, NULL, NULL, NULL, &sel, &table);
	if (rc >= 0)
		return rc;
	memset(&ps, 0, sizeof(ps));
	if ((rc = cli_load_snapshot(cli, table, &sel, true, &t)) != 0)
		return rc;
	counting cnt = {t.md, &ps};
	rc = cli_each_entry(cli, &t, false, count_entry, &cnt);
	if (rc == 0) {
		if (ps.n)
			qsort(ps.items, ps.n, sizeof(part), by_partition);
		if (cli->json) {
			if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) == 0) {
				write_json(w, &ps);
				rc = cli_print_json(cli, w);
			}
		} else {
			print_text(cli, &ps);
		}
	}
	ice_json_writer_free(w);
	parts_free(&ps);
	cli_snapshot_free(&t);
	return rc > 0 ? rc : rc < 0 ? cli_fail(rc) : EXIT_OK;
}
