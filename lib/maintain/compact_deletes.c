/*
 * maintain/compact_deletes.c - ice compact --deletes: position delete files
 * rewritten (ice/compact.h, ice_table_compact_deletes).
 *
 * The plan reads the current snapshot once: every data file with the
 * deletes that apply to it. Each position delete file (not a deletion
 * vector) is noted with the live data files it applies to; one that applies
 * to none - its data files are gone, or older than it - is dangling and
 * removed (found by reading the delete manifests, since no task lists it).
 * Candidates are bin-packed per partition of their own spec by the size
 * rules of data files (target write.delete.target-file-size-bytes). For a
 * group, the positions each live data file still has deleted by the
 * group's files are read with the scan's delete reader and written again:
 * in v2 as one position delete file (sorted by path and position, with
 * referenced_data_file when it serves one data file), in v3 as that data
 * file's deletion vector, merged with the vector it had (which is
 * removed), all vectors of the commit in one Puffin file. What is written
 * keeps the newest data sequence number of what it replaces, as Java's
 * rewrite_position_delete_files: it applies to the same data files, never
 * to data appended after the deletes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact_plan.h"
#include "ice/puffin.h"
#include "io/io.h"
#include "scan/internal.h"
#include "scan/read.h"
#include "table/row_delete.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uuid.h"
#include "write/location.h"

/* A live data file some candidate applies to. */
typedef struct target {
	ice_data_file *file;
	int64_t data_sequence_number;
	bool has_dv;
	size_t dv;                 /* its deletion vector (index into plan.dels) */
} target;

/* A delete file applying to a target. */
typedef struct use {
	size_t del, target;
} use;

typedef struct dplan {
	cp_plan p;
	target *targets;
	size_t ntargets;
	use *uses;
	size_t nuses;
	ice_data_file **dangling;  /* live position deletes no data file needs */
	size_t ndangling;
	int version;
} dplan;

static bool is_dv(const ice_data_file *f)
{
	return f->content == ICE_FILE_CONTENT_POSITION_DELETES && f->file_format &&
	       ice_str__ieq(f->file_format, strlen(f->file_format), "puffin", 6);
}

static bool is_position_file(const ice_data_file *f)
{
	return f->content == ICE_FILE_CONTENT_POSITION_DELETES && !is_dv(f);
}

static void dplan_free(dplan *d)
{
	for (size_t i = 0; i < d->ntargets; i++)
		ice_data_file_free(d->targets[i].file);
	ice__free(d->targets);
	ice__free(d->uses);
	for (size_t i = 0; i < d->ndangling; i++)
		ice_data_file_free(d->dangling[i]);
	ice__free(d->dangling);
	ice_compact__plan_free(&d->p);
}

static int add_target(dplan *d, const ice_scan_task *t, size_t *out)
{
	target *tg = ice__reallocarray(d->targets, d->ntargets + 1, sizeof(*tg));
	if (!tg)
		return ICE_ERROR;
	d->targets = tg;
	tg = &tg[d->ntargets];
	memset(tg, 0, sizeof(*tg));
	int rc = ice_data_file_copy(&tg->file, t->file);
	if (rc)
		return rc;
	tg->data_sequence_number = t->data_sequence_number;
	*out = d->ntargets++;
	return 0;
}

static int add_use(dplan *d, size_t del, size_t tgt)
{
	use *u = ice__reallocarray(d->uses, d->nuses + 1, sizeof(*u));
	if (!u)
		return ICE_ERROR;
	d->uses = u;
	u[d->nuses++] = (use){del, tgt};
	return 0;
}

/* Live position delete files and vectors of the snapshot that no task listed. */
static int find_dangling(dplan *d)
{
	cp_plan *p = &d->p;
	const ice_snapshot *s = ice_table_metadata_snapshot_by_id(p->md, p->start_id);
	ice_manifest_list *list = NULL;
	ice_buf key = ICE_BUF_INIT;
	int rc;
	if (!s)
		return 0;
	if ((rc = ice_manifest_list_read_snapshot(&list, p->io, p->md, s)) != 0)
		return rc;
	for (size_t i = 0; i < list->n && !rc; i++) {
		const ice_manifest_file *mf = &list->items[i];
		ice_manifest_reader *r;
		const ice_manifest_entry *e;
		if (mf->content != ICE_MANIFEST_CONTENT_DELETES)
			continue;
		if ((rc = ice_manifest_open(&r, p->io, p->md, mf)) != 0)
			break;
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			const ice_data_file *f = &e->data_file;
			if (e->status == ICE_MANIFEST_ENTRY_DELETED || f->content != ICE_FILE_CONTENT_POSITION_DELETES)
				continue;
			ice_buf__clear(&key);
			ice_buf__printf(&key, "%s|%s", f->file_path, f->referenced_data_file ? f->referenced_data_file : "");
			if (key.error) {
				rc = ICE_ERROR;
				break;
			}
			if (ice_map__get_str(&p->del_index, key.ptr, key.len, NULL))
				continue;
			ice_data_file **dg = ice__reallocarray(d->dangling, d->ndangling + 1, sizeof(*dg));
			if (!dg) {
				rc = ICE_ERROR;
				break;
			}
			d->dangling = dg;
			if ((rc = ice_data_file_copy(&dg[d->ndangling], f)) != 0)
				break;
			d->ndangling++;
		}
		if (rc == ICE_ITEROVER)
			rc = 0;
		ice_manifest_reader_free(r);
	}
	ice_buf__free(&key);
	ice_manifest_list_free(list);
	return rc;
}

static int plan_deletes(dplan *d, const ice_compact_options *o, const cp_sizes *s)
{
	cp_plan *p = &d->p;
	ice_scan_options so;
	ice_scan_planner *planner = NULL;
	const ice_scan_task *t;
	ice_expr *parsed = NULL, *bound = NULL;
	bool *eligible = NULL;
	size_t cap = 0;
	int rc = 0;
	if (o->filter && *o->filter &&
	    ((rc = ice_expr_parse(&parsed, o->filter)) != 0 ||
	     (rc = ice_expr_bind(&bound, parsed, ice_schema_struct(ice_table_metadata_current_schema(p->md)),
	                         o->case_sensitive)) != 0))
		goto done;
	ice_scan_options_init(&so);
	so.threads = o->threads > 0 ? (size_t)o->threads : 0;
	so.filter_expr = NULL;
	if ((rc = ice_scan_new(&p->scan, p->io, p->md, &so)) != 0 || (rc = ice_scan_plan_open(&planner, p->scan)) != 0)
		goto done;
	while ((rc = ice_scan_plan_next(planner, &t)) == 0) {
		size_t tgt = 0;
		bool have_target = false, match = true;
		if (bound && (rc = ice_expr_file_might_match(bound, t->file, &match)) != 0)
			break;
		for (size_t i = 0; i < t->ndeletes && !rc; i++) {
			size_t del;
			if ((rc = ice_compact__use_delete(p, &t->deletes[i], &del)) != 0)
				break;
			if (p->ndels > cap) {
				size_t ncap = p->ndels * 2 + 16;
				bool *e = ice__realloc(eligible, ncap * sizeof(bool));
				if (!e) {
					rc = ICE_ERROR;
					break;
				}
				memset(e + cap, 0, (ncap - cap) * sizeof(bool));
				eligible = e;
				cap = ncap;
			}
			const ice_data_file *f = t->deletes[i].file;
			if (!is_position_file(f) && !is_dv(f))
				continue;
			if (!have_target) {
				if ((rc = add_target(d, t, &tgt)) != 0)
					break;
				have_target = true;
			}
			if (is_dv(f)) {
				d->targets[tgt].has_dv = true;
				d->targets[tgt].dv = del;
				continue;
			}
			eligible[del] |= match;
			rc = add_use(d, del, tgt);
		}
		if (rc)
			break;
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
	if (!rc)
		rc = find_dangling(d);
	/* Candidates: position delete files (every one in v3), by size in v2. */
	for (size_t i = 0; i < p->ndels && !rc; i++) {
		const ice_data_file *f = p->dels[i].file;
		if (!is_position_file(f) || i >= cap || !eligible[i])
			continue;
		bool size = f->file_size_in_bytes < s->min || f->file_size_in_bytes > s->max;
		if (!(o->rewrite_all || size || d->version >= 3))
			continue;
		size_t bucket;
		cp_cand *c = ice__reallocarray(p->cands, p->ncands + 1, sizeof(*c));
		if (!c) {
			rc = ICE_ERROR;
			break;
		}
		p->cands = c;
		if ((rc = ice_compact__bucket(p, f, false, &bucket)) != 0)
			break;
		c = &p->cands[p->ncands++];
		memset(c, 0, sizeof(*c));
		c->del = i;
		c->bytes = f->file_size_in_bytes;
		c->forced = d->version >= 3;
		p->buckets[bucket].bytes += c->bytes;
		rc = ice_compact__push_index(&p->buckets[bucket].items, &p->buckets[bucket].n, p->ncands - 1);
	}
done:
	ice__free(eligible);
	ice_scan_plan_free(planner);
	ice_expr_free(parsed);
	ice_expr_free(bound);
	return rc;
}

/* ---- rewriting ------------------------------------------------------------------------------ */

typedef struct out_file {
	const char *path;          /* the target's */
	ice_deletion_vector *dv;
	size_t target;
} out_file;

static int by_path(const void *a, const void *b)
{
	return strcmp(((const out_file *)a)->path, ((const out_file *)b)->path);
}

typedef struct rewriter {
	dplan *d;
	ice_table *table;
	ice_row_change *change;
	ice_parquet_write_options pq;
	ice_arena arena;
	char uuid[ICE_UUID_STRLEN + 1];
	int counter;
	/* v3: the commit's Puffin file */
	ice_puffin_writer *puffin;
	char *puffin_loc;
	struct {
		size_t target;
		int64_t offset, length, cardinality, seq;
	} *dvs;
	size_t ndvs;
	ice_compact_report *r;
} rewriter;

/* The positions of target `tg` the deletes in `dels` (n) remove. */
static int read_positions(rewriter *w, size_t tg, const size_t *dels, size_t n, ice_deletion_vector **out)
{
	cp_plan *p = &w->d->p;
	const target *t = &w->d->targets[tg];
	ice_scan_delete *sd = ice__calloc(n + 1, sizeof(*sd));
	rd_deletes *rd = NULL;
	uint8_t *keep = NULL;
	int64_t nrows = t->file->record_count;
	int rc;
	*out = NULL;
	if (!sd)
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		sd[i].file = p->dels[dels[i]].file;
		sd[i].data_sequence_number = p->dels[dels[i]].data_sequence_number;
		sd[i].file_sequence_number = p->dels[dels[i]].data_sequence_number;
	}
	rd_delete_context ctx = {p->io, NULL, p->md, ice_table_metadata_current_schema(p->md), 65536, NULL};
	if ((rc = ice_read__deletes_open(&rd, &ctx, t->file, sd, n, nrows)) != 0)
		goto done;
	if (!(keep = ice__malloc((size_t)(nrows + 8) / 8 + 1))) {
		rc = ICE_ERROR;
		goto done;
	}
	memset(keep, 0xff, (size_t)(nrows + 8) / 8 + 1);
	if ((rc = ice_read__deletes_apply(rd, 0, NULL, NULL, nrows, keep)) != 0 || (rc = ice_deletion_vector_new(out)) != 0)
		goto done;
	for (int64_t i = 0; i < nrows && !rc; i++)
		if (!((keep[i >> 3] >> (i & 7)) & 1))
			rc = ice_deletion_vector_add(*out, i);
done:
	if (rc) {
		ice_deletion_vector_free(*out);
		*out = NULL;
	}
	ice__free(keep);
	ice_read__deletes_free(rd);
	ice__free(sd);
	return rc;
}

static int new_location(rewriter *w, char **out, const ice_data_file *like, const char *suffix)
{
	const cp_plan *p = &w->d->p;
	const ice_partition_spec *spec = NULL;
	char name[160];
	snprintf(name, sizeof(name), "%s-%05d%s", w->uuid, w->counter++, suffix);
	if (like) {
		spec = ice_table_metadata_spec_by_id(p->md, like->partition_spec_id);
		if (!spec || spec->nfields != like->n_partition)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "%s: partition spec %d with %zu fields is not in the table", like->file_path,
			                      like->partition_spec_id, like->n_partition);
	}
	return ice_write__new_file_location(out, p->md, spec, like ? like->partition : NULL, name);
}

static int v2_write(rewriter *w, const ice_data_file *like, out_file *outs, size_t n, int64_t seq, cp_result *res)
{
	const char **paths = ice__calloc(n + 1, sizeof(char *));
	const ice_deletion_vector **dvs = ice__calloc(n + 1, sizeof(*dvs));
	ice_parquet_file_metrics *m = NULL;
	char *loc = NULL;
	size_t k = 0;
	int rc = 0;
	if (!paths || !dvs) {
		rc = ICE_ERROR;
		goto done;
	}
	qsort(outs, n, sizeof(*outs), by_path);
	for (size_t i = 0; i < n; i++)
		if (ice_deletion_vector_cardinality(outs[i].dv) > 0) {
			paths[k] = outs[i].path;
			dvs[k++] = outs[i].dv;
		}
	if (!k)
		goto done; /* every position pointed at a data file no longer live */
	/* tracked once created: a failure at any later point deletes it, a
	 * name already taken is left alone */
	if ((rc = new_location(w, &loc, like, "-deletes.parquet")) != 0 ||
	    (rc = ice_rows__write_positions(&m, w->change, w->d->p.io, loc, &w->pq, paths, dvs, k)) != 0)
		goto done;
	ice_data_file df;
	if ((rc = ice_rows__file_entry(&w->arena, &df, loc, like, m)) != 0)
		goto done;
	df.content = ICE_FILE_CONTENT_POSITION_DELETES;
	df.has_sort_order_id = false;
	df.referenced_data_file = k == 1 ? paths[0] : NULL;
	if ((rc = ice_row_change__add_delete_seq(w->change, &df, seq)) == 0) {
		res->nfiles++;
		res->bytes += df.file_size_in_bytes;
		res->rows += df.record_count;
	}
done:
	ice_parquet_file_metrics_free(m);
	ice__free(loc);
	ice__free(paths);
	ice__free(dvs);
	return rc;
}

static int v3_add(rewriter *w, out_file *o, int64_t seq, cp_result *res)
{
	cp_plan *p = &w->d->p;
	target *t = &w->d->targets[o->target];
	int rc;
	if (t->has_dv) {
		if (p->dels[t->dv].data_sequence_number > seq)
			seq = p->dels[t->dv].data_sequence_number;
		/* one vector per data file: the old one's rows join */
		ice_deletion_vector *old = NULL;
		const ice_data_file *f = p->dels[t->dv].file;
		if ((rc = ice_deletion_vector_read(&old, p->io, f->file_path, f->content_offset, f->content_size_in_bytes)) !=
		    0)
			return rc;
		rc = ice_deletion_vector_merge(o->dv, old);
		ice_deletion_vector_free(old);
		if (rc || (rc = ice_row_change__remove_delete(w->change, f)) != 0)
			return rc;
		p->dels[t->dv].pending = true;
	}
	if (ice_deletion_vector_cardinality(o->dv) == 0)
		return 0;
	if ((rc = ice_row_change__reference(w->change, t->file)) != 0)
		return rc;
	if (!w->puffin) {
		if ((rc = new_location(w, &w->puffin_loc, NULL, "-dv.puffin")) != 0 ||
		    (rc = ice_puffin_writer_open(&w->puffin, p->io, w->puffin_loc)) != 0 ||
		    (rc = ice_row_change__track(w->change, w->puffin_loc)) != 0)
			return rc;
	}
	void *grown = ice__reallocarray(w->dvs, w->ndvs + 1, sizeof(*w->dvs));
	if (!grown)
		return ICE_ERROR;
	w->dvs = grown;
	w->dvs[w->ndvs].target = o->target;
	w->dvs[w->ndvs].cardinality = ice_deletion_vector_cardinality(o->dv);
	w->dvs[w->ndvs].seq = seq;
	rc = ice_puffin_writer_add_deletion_vector(w->puffin, o->dv, t->file->file_path, &w->dvs[w->ndvs].offset,
	                                           &w->dvs[w->ndvs].length);
	if (!rc) {
		w->ndvs++;
		res->nfiles++;
		res->rows += ice_deletion_vector_cardinality(o->dv);
	}
	return rc;
}

static int v3_finish(rewriter *w)
{
	uint64_t size = 0;
	int rc;
	if (!w->puffin)
		return 0;
	rc = ice_puffin_writer_close(w->puffin, false, &size);
	w->puffin = NULL;
	for (size_t i = 0; i < w->ndvs && !rc; i++) {
		ice_data_file df;
		ice_rows__dv_entry(&df, w->d->targets[w->dvs[i].target].file, w->puffin_loc, (int64_t)size,
		                   w->dvs[i].cardinality, w->dvs[i].offset, w->dvs[i].length);
		rc = ice_row_change__add_delete_seq(w->change, &df, w->dvs[i].seq);
	}
	if (!rc) {
		w->r->bytes_added += (int64_t)size;
		w->r->delete_files_added += (int64_t)w->ndvs;
	}
	return rc;
}

static int rewrite_group(rewriter *w, const cp_group *g, cp_result *res)
{
	dplan *d = w->d;
	cp_plan *p = &d->p;
	bool *in_group = ice__calloc(p->ndels + 1, sizeof(bool));
	size_t *tmap = ice__mallocarray(d->ntargets + 1, sizeof(size_t)); /* target -> out index + 1 */
	out_file *outs = NULL;
	size_t nouts = 0;
	size_t *dels = NULL, ndels = 0;
	int rc = 0;
	if (!in_group || !tmap) {
		rc = ICE_ERROR;
		goto done;
	}
	memset(tmap, 0, (d->ntargets + 1) * sizeof(size_t));
	for (size_t k = 0; k < g->n; k++)
		in_group[p->cands[g->items[k]].del] = true;
	/* the targets, in plan order */
	for (size_t u = 0; u < d->nuses && !rc; u++) {
		if (!in_group[d->uses[u].del] || tmap[d->uses[u].target])
			continue;
		out_file *o = ice__reallocarray(outs, nouts + 1, sizeof(*o));
		if (!o) {
			rc = ICE_ERROR;
			break;
		}
		outs = o;
		outs[nouts].path = d->targets[d->uses[u].target].file->file_path;
		outs[nouts].dv = NULL;
		outs[nouts].target = d->uses[u].target;
		tmap[d->uses[u].target] = ++nouts;
	}
	/* What is written keeps the newest data sequence number of the deletes
	 * it replaces (Java's rewrite_position_delete_files): it applies to the
	 * data files they applied to, never to data added after them. */
	int64_t group_seq = -1;
	for (size_t k = 0; k < g->n; k++)
		if (p->dels[p->cands[g->items[k]].del].data_sequence_number > group_seq)
			group_seq = p->dels[p->cands[g->items[k]].del].data_sequence_number;
	for (size_t i = 0; i < nouts && !rc; i++) {
		int64_t seq = -1;
		ndels = 0;
		for (size_t u = 0; u < d->nuses && !rc; u++)
			if (in_group[d->uses[u].del] && d->uses[u].target == outs[i].target) {
				rc = ice_compact__push_index(&dels, &ndels, d->uses[u].del);
				if (p->dels[d->uses[u].del].data_sequence_number > seq)
					seq = p->dels[d->uses[u].del].data_sequence_number;
			}
		if (!rc)
			rc = read_positions(w, outs[i].target, dels, ndels, &outs[i].dv);
		if (!rc && d->version >= 3)
			rc = v3_add(w, &outs[i], seq, res);
	}
	if (!rc && d->version < 3)
		rc = v2_write(w, ice_compact__cand_file(p, &p->cands[g->items[0]]), outs, nouts, group_seq, res);
	for (size_t k = 0; k < g->n && !rc; k++) {
		cp_delete *del = &p->dels[p->cands[g->items[k]].del];
		if ((rc = ice_row_change__remove_delete(w->change, del->file)) == 0)
			del->pending = true;
	}
done:
	for (size_t i = 0; i < nouts; i++)
		ice_deletion_vector_free(outs[i].dv);
	ice__free(outs);
	ice__free(dels);
	ice__free(tmap);
	ice__free(in_group);
	return rc;
}

int ice_table_compact_deletes(ice_table *table, const ice_compact_options *opts, const ice_commit_options *co,
                              ice_compact_report *report, ice_commit_result *result)
{
	ice_compact_options defaults;
	ice_compact_report r;
	ice_commit_result cr = {ICE_COMMIT_SUCCEEDED, 0, 0, 0};
	dplan d;
	cp_sizes s;
	rewriter w;
	int64_t t0 = ice_compact__now_ms();
	bool committing = false;
	int rc;
	if (!opts) {
		ice_compact_options_init(&defaults);
		opts = &defaults;
	}
	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	memset(&w, 0, sizeof(w));
	ice_compact__plan_init(&d.p);
	ice_arena__init(&w.arena, 8192);
	d.version = ice_table_metadata_format_version(ice_table_current(table));
	if (d.version < 2) {
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_COMMIT, "%s: format version 1 has no delete files",
		                    ice_table_identifier(table));
		goto done;
	}
	if ((rc = ice_compact__start(&d.p, table)) != 0 ||
	    (rc = ice_compact__sizes(&s, d.p.md, opts, "write.delete.target-file-size-bytes", (int64_t)64 << 20)) != 0)
		goto done;
	if (!d.p.has_start)
		goto done;
	if ((rc = plan_deletes(&d, opts, &s)) != 0 || (rc = ice_compact__pack(&d.p, &s, opts->rewrite_all)) != 0)
		goto done;
	r.candidates = (int64_t)d.p.ncands;
	if ((rc = ice_compact__report_groups(&d.p, &r)) != 0)
		goto done;
	for (size_t i = 0; i < r.ngroups; i++)
		r.groups[i].delete_files = r.groups[i].files;
	if (opts->dry_run || (!d.p.ngroups && !d.ndangling))
		goto done;

	const ice_properties *props = ice_table_metadata_properties(d.p.md);
	uint8_t u[16];
	ice_uuid__random(u);
	ice_uuid__format(u, w.uuid);
	w.d = &d;
	w.table = table;
	w.r = &r;
	ice_parquet_write_options_init(&w.pq);
	for (size_t i = 0; i < props->n && !rc; i++)
		if ((rc = ice_parquet_write_options_set(&w.pq, props->items[i].key, props->items[i].value)) != 0)
			ice_error__prefix("table property %s", props->items[i].key);
	if (rc || (rc = ice_compact__new_change(&w.change, table, &d.p)) != 0)
		goto done;
	cp_result *results = ice__calloc(d.p.ngroups + 1, sizeof(cp_result));
	if (!results) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t gi = 0; gi < d.p.ngroups && !rc; gi++) {
		rc = rewrite_group(&w, &d.p.groups[gi], &results[gi]);
		if (opts->progress)
			opts->progress("rewriting", (int64_t)gi + 1, (int64_t)d.p.ngroups, opts->progress_payload);
	}
	if (!rc && d.version >= 3)
		rc = v3_finish(&w);
	else if (rc && w.puffin)
		ice_puffin_writer_abort(w.puffin), w.puffin = NULL;
	for (size_t i = 0; i < d.ndangling && !rc; i++)
		rc = ice_row_change__remove_delete(w.change, d.dangling[i]);
	if (!rc && !ice_row_change__empty(w.change)) {
		committing = true;
		rc = ice_row_change__commit(w.change, co, &cr);
	}
	if (!rc && committing) {
		r.committed = true;
		r.commits = 1;
		r.snapshot_id = ice_row_change__snapshot_id(w.change);
		for (size_t gi = 0; gi < d.p.ngroups; gi++) {
			r.groups[gi].rewritten = true;
			r.groups[gi].files_added = (int64_t)results[gi].nfiles;
			r.groups[gi].bytes_added = results[gi].bytes;
			r.groups[gi].rows = results[gi].rows;
			r.groups_rewritten++;
			if (d.version < 3) {
				r.delete_files_added += (int64_t)results[gi].nfiles;
				r.bytes_added += results[gi].bytes;
			}
			r.rows_written += results[gi].rows;
		}
		for (size_t i = 0; i < d.ndangling; i++) {
			r.delete_files_removed++;
			r.bytes_removed += is_dv(d.dangling[i]) ? d.dangling[i]->content_size_in_bytes
			                                         : d.dangling[i]->file_size_in_bytes;
		}
	} else if (!committing) {
		r.delete_files_added = 0;
		r.bytes_added = 0;
	}
	ice_compact__settle(&d.p, rc == 0 && committing, &r);
	ice__free(results);
done:
	if (rc && !committing) {
		cr.state = ICE_COMMIT_FAILED;
		if (w.puffin)
			ice_puffin_writer_abort(w.puffin);
		if (w.change)
			ice_row_change__abandon(w.change);
	}
	ice_row_change__free(w.change);
	ice__free(w.puffin_loc);
	ice__free(w.dvs);
	ice_arena__free(&w.arena);
	dplan_free(&d);
	r.elapsed_ms = ice_compact__now_ms() - t0;
	if (report)
		*report = r;
	else
		ice_compact_report_free(&r);
	if (result)
		*result = cr;
	return rc;
}
