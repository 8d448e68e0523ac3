/*
 * maintain/compact.c - ice compact: data files bin-packed per partition and
 * rewritten with their deletes applied, committed as "replace" snapshots
 * (ice/compact.h says what is chosen and how it commits). The plan, the
 * delete files' users and the commit batches are shared with the rewrite of
 * position deletes (compact_deletes.c) through compact.h.
 *
 * Planning reads the whole current snapshot once (every data file with its
 * deletes): candidates are kept as task copies; every delete file is
 * counted with the number of planned data files it applies to, so that a
 * delete file all of whose data files a commit rewrote can be removed by
 * that commit (dangling). Groups run on a fork-join pool: each reads its
 * files through the scan's reader (deletes applied) into a data writer of
 * the current spec.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compact_plan.h"
#include "ice/scan.h"
#include "ice/table_dsl.h"
#include "io/io.h"
#include "table/row_commit.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/workers.h"
#include "write/location.h"
#include "write/writer.h"

#define SPLIT_OVERHEAD (5 * 1024)

void ice_compact_options_init(ice_compact_options *o)
{
	memset(o, 0, sizeof(*o));
	o->case_sensitive = true;
	o->min_file_size = -1;
	o->max_file_size = -1;
}

void ice_compact_report_free(ice_compact_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ngroups; i++) {
		ice__free(r->groups[i].partition);
		ice__free(r->groups[i].error);
	}
	ice__free(r->groups);
	r->groups = NULL;
	r->ngroups = 0;
}

int64_t ice_compact__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sizes (Spark's SizeBasedFileRewritePlanner) ------------------------------------------------ */

int ice_compact__sizes(cp_sizes *s, const ice_table_metadata *md, const ice_compact_options *o, const char *property,
                       int64_t dflt)
{
	const char *v = ice_table_metadata_property(md, property, NULL);
	int64_t target = dflt;
	if (v && (!ice_str__to_int64(v, strlen(v), &target) || target <= 0))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "table property %s: '%s' is not a positive size",
		                      property, v);
	if (o->target_file_size > 0)
		target = o->target_file_size;
	s->target = target;
	s->min = o->min_file_size >= 0 ? o->min_file_size : (int64_t)((double)target * 0.75);
	s->max = o->max_file_size >= 0 ? o->max_file_size : (int64_t)((double)target * 1.80);
	s->min_input_files = o->min_input_files > 0 ? o->min_input_files : 5;
	s->delete_file_threshold = o->delete_file_threshold > 0 ? o->delete_file_threshold : INT32_MAX;
	s->delete_ratio = o->delete_ratio_threshold > 0 ? o->delete_ratio_threshold : 0.3;
	s->max_group = o->max_group_size > 0 ? o->max_group_size : (int64_t)100 << 30;
	if (s->min >= s->target)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "target file size (%lld) must be greater than the min file size (%lld): every new "
		                      "file would be smaller than the min",
		                      (long long)s->target, (long long)s->min);
	if (s->max <= s->target)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "target file size (%lld) must be less than the max file size (%lld): every new file "
		                      "would be larger than the max",
		                      (long long)s->target, (long long)s->max);
	if (o->delete_ratio_threshold < 0 || o->delete_ratio_threshold > 1)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "delete ratio threshold %g is not in (0, 1]",
		                      o->delete_ratio_threshold);
	return 0;
}

static int64_t write_max(const cp_sizes *s)
{
	return (int64_t)((double)s->target + (double)(s->max - s->target) * 0.5);
}

int64_t ice_compact__expected_files(const cp_sizes *s, int64_t input)
{
	if (input < s->target)
		return 1;
	int64_t with = (input + s->target - 1) / s->target, without = input / s->target;
	int64_t avg = input / without;
	if (input % s->target > s->min)
		return with;
	double limit = 1.1 * (double)s->target;
	if ((double)write_max(s) < limit)
		limit = (double)write_max(s);
	return (double)avg < limit ? without : with;
}

int64_t ice_compact__split_size(const cp_sizes *s, int64_t input)
{
	int64_t est = input / ice_compact__expected_files(s, input) + SPLIT_OVERHEAD;
	if (est < s->target)
		return s->target;
	return est < write_max(s) ? est : write_max(s);
}

/* ---- the plan ------------------------------------------------------------------------------ */

void ice_compact__plan_init(cp_plan *p)
{
	memset(p, 0, sizeof(*p));
	ice_map__init(&p->del_index, true);
	ice_map__init(&p->bucket_index, true);
	ice_arena__init(&p->arena, 8192);
}

void ice_compact__plan_free(cp_plan *p)
{
	for (size_t i = 0; i < p->ncands; i++) {
		ice_scan_task_free(p->cands[i].task);
		ice__free(p->cands[i].dels);
	}
	ice__free(p->cands);
	for (size_t i = 0; i < p->ndels; i++)
		ice_data_file_free(p->dels[i].file);
	ice__free(p->dels);
	for (size_t i = 0; i < p->nbuckets; i++)
		ice__free(p->buckets[i].items);
	ice__free(p->buckets);
	for (size_t i = 0; i < p->ngroups; i++)
		ice__free(p->groups[i].items);
	ice__free(p->groups);
	ice_map__free(&p->del_index);
	ice_map__free(&p->bucket_index);
	ice_arena__free(&p->arena);
	ice_scan_free(p->scan);
	ice_table_metadata_free(p->md);
	memset(p, 0, sizeof(*p));
}

/* "<path>|<referenced data file>": the deletion vectors of one Puffin file share a path. */
static int delete_key(ice_buf *b, const ice_data_file *f)
{
	ice_buf__clear(b);
	ice_buf__printf(b, "%s|%s", f->file_path, f->referenced_data_file ? f->referenced_data_file : "");
	return b->error ? ICE_ERROR : 0;
}

int ice_compact__use_delete(cp_plan *p, const ice_scan_delete *d, size_t *index_out)
{
	ice_buf b = ICE_BUF_INIT;
	void *v;
	int rc = delete_key(&b, d->file);
	if (rc)
		goto done;
	if (ice_map__get_str(&p->del_index, b.ptr, b.len, &v)) {
		*index_out = (size_t)(uintptr_t)v - 1;
		p->dels[*index_out].users++;
		goto done;
	}
	cp_delete *dels = ice__reallocarray(p->dels, p->ndels + 1, sizeof(*dels));
	char *key = dels ? ice_arena__strndup(&p->arena, b.ptr, b.len) : NULL;
	if (dels)
		p->dels = dels;
	if (!key) {
		rc = ICE_ERROR;
		goto done;
	}
	memset(&dels[p->ndels], 0, sizeof(dels[0]));
	if ((rc = ice_data_file_copy(&dels[p->ndels].file, d->file)) != 0)
		goto done;
	dels[p->ndels].data_sequence_number = d->data_sequence_number;
	dels[p->ndels].users = 1;
	if ((rc = ice_map__put_str(&p->del_index, key, b.len, (void *)(uintptr_t)(p->ndels + 1))) != 0) {
		ice_data_file_free(dels[p->ndels].file);
		goto done;
	}
	*index_out = p->ndels++;
done:
	ice_buf__free(&b);
	return rc;
}

/* The bucket (partition of the current spec, or every other spec) of a candidate. */
int ice_compact__bucket(cp_plan *p, const ice_data_file *f, bool merge_other_specs, size_t *out)
{
	const ice_partition_spec *cur = ice_table_metadata_default_spec(p->md);
	bool other = merge_other_specs && f->partition_spec_id != cur->spec_id;
	ice_buf b = ICE_BUF_INIT;
	void *v;
	int rc = 0;
	if (other) {
		ice_buf__puts(&b, "*");
	} else {
		ice_buf__printf(&b, "%d|", (int)f->partition_spec_id);
		for (size_t k = 0; k < f->n_partition && !rc; k++) {
			char *t = ice_literal_to_string(&f->partition[k]);
			if (!t) {
				rc = ICE_ERROR;
				break;
			}
			ice_buf__puts(&b, t);
			ice_buf__putc(&b, '\x1f');
			ice__free(t);
		}
	}
	if (!rc && b.error)
		rc = ICE_ERROR;
	if (!rc && ice_map__get_str(&p->bucket_index, b.ptr, b.len, &v)) {
		*out = (size_t)(uintptr_t)v - 1;
		goto done;
	}
	if (rc)
		goto done;
	cp_bucket *bk = ice__reallocarray(p->buckets, p->nbuckets + 1, sizeof(*bk));
	char *key = bk ? ice_arena__strndup(&p->arena, b.ptr, b.len) : NULL;
	if (bk)
		p->buckets = bk;
	if (!key) {
		rc = ICE_ERROR;
		goto done;
	}
	memset(&bk[p->nbuckets], 0, sizeof(bk[0]));
	bk[p->nbuckets].other_specs = other;
	bk[p->nbuckets].spec_id = other ? -1 : f->partition_spec_id;
	bk[p->nbuckets].sample = p->ncands; /* the candidate about to be added */
	if ((rc = ice_map__put_str(&p->bucket_index, key, b.len, (void *)(uintptr_t)(p->nbuckets + 1))) != 0)
		goto done;
	*out = p->nbuckets++;
done:
	ice_buf__free(&b);
	return rc;
}

int ice_compact__push_index(size_t **items, size_t *n, size_t v)
{
	size_t *it = ice__reallocarray(*items, *n + 1, sizeof(size_t));
	if (!it)
		return ICE_ERROR;
	it[(*n)++] = v;
	*items = it;
	return 0;
}

/* A candidate: the task copied, its deletes counted, its bucket found. */
const ice_data_file *ice_compact__cand_file(const cp_plan *p, const cp_cand *c)
{
	return c->task ? c->task->file : p->dels[c->del].file;
}

int ice_compact__add_candidate(cp_plan *p, const ice_scan_task *t, const size_t *dels, size_t ndels, bool forced)
{
	cp_cand *c = ice__reallocarray(p->cands, p->ncands + 1, sizeof(*c));
	size_t bucket;
	int rc;
	if (!c)
		return ICE_ERROR;
	p->cands = c;
	c = &c[p->ncands];
	memset(c, 0, sizeof(*c));
	if ((rc = ice_compact__bucket(p, t->file, true, &bucket)) != 0)
		return rc;
	if (ndels && !(c->dels = ice__mallocarray(ndels, sizeof(size_t))))
		return ICE_ERROR;
	if (ndels)
		memcpy(c->dels, dels, ndels * sizeof(size_t));
	c->ndels = ndels;
	c->forced = forced;
	c->bytes = t->file->file_size_in_bytes;
	if ((rc = ice_scan_task_copy(&c->task, t)) != 0) {
		ice__free(c->dels);
		return rc;
	}
	p->ncands++;
	p->buckets[bucket].bytes += c->bytes;
	return ice_compact__push_index(&p->buckets[bucket].items, &p->buckets[bucket].n, p->ncands - 1);
}

/* Bins of a bucket in plan order (BinPacking.ListPacker, lookback 1), each kept when worth rewriting. */
int ice_compact__pack(cp_plan *p, const cp_sizes *s, bool rewrite_all)
{
	int rc = 0;
	for (size_t b = 0; b < p->nbuckets && !rc; b++) {
		const cp_bucket *bk = &p->buckets[b];
		size_t from = 0;
		while (from < bk->n && !rc) {
			int64_t bytes = 0;
			size_t to = from;
			bool forced = false;
			while (to < bk->n && (to == from || bytes + p->cands[bk->items[to]].bytes <= s->max_group)) {
				bytes += p->cands[bk->items[to]].bytes;
				forced |= p->cands[bk->items[to]].forced;
				to++;
			}
			size_t n = to - from;
			/* Spark: with rewrite-all every group is rewritten, one file alone too */
			bool keep = rewrite_all || (n > 1 && (int64_t)n >= s->min_input_files) || (n > 1 && bytes > s->target) ||
			            bytes > s->max || forced;
			if (keep) {
				cp_group *g = ice__reallocarray(p->groups, p->ngroups + 1, sizeof(*g));
				if (!g) {
					rc = ICE_ERROR;
					break;
				}
				p->groups = g;
				g = &g[p->ngroups];
				memset(g, 0, sizeof(*g));
				g->bucket = b;
				g->bytes = bytes;
				if (!(g->items = ice__mallocarray(n, sizeof(size_t)))) {
					rc = ICE_ERROR;
					break;
				}
				memcpy(g->items, bk->items + from, n * sizeof(size_t));
				g->n = n;
				g->expected = ice_compact__expected_files(s, bytes);
				g->split = ice_compact__split_size(s, bytes);
				p->ngroups++;
			}
			from = to;
		}
	}
	return rc;
}

/* Groups into the report, with their partitions as paths. */
int ice_compact__report_groups(const cp_plan *p, ice_compact_report *r)
{
	if (!p->ngroups)
		return 0;
	if (!(r->groups = ice__calloc(p->ngroups, sizeof(*r->groups))))
		return ICE_ERROR;
	r->ngroups = p->ngroups;
	for (size_t i = 0; i < p->ngroups; i++) {
		const cp_group *g = &p->groups[i];
		const cp_bucket *bk = &p->buckets[g->bucket];
		ice_compact_group *rg = &r->groups[i];
		ice_buf b = ICE_BUF_INIT;
		rg->spec_id = bk->spec_id;
		rg->files = (int64_t)g->n;
		rg->bytes = g->bytes;
		rg->expected_files = g->expected;
		if (!bk->other_specs) {
			const ice_data_file *f = ice_compact__cand_file(p, &p->cands[bk->sample]);
			const ice_partition_spec *spec = ice_table_metadata_spec_by_id(p->md, f->partition_spec_id);
			if (ice_write__partition_path(&b, spec, f->partition)) {
				ice_buf__free(&b);
				return ICE_ERROR;
			}
		}
		ice_buf__putc(&b, '\0');
		if (b.error) {
			ice_buf__free(&b);
			return ICE_ERROR;
		}
		rg->partition = ice_buf__detach(&b, NULL);
		/* distinct delete files */
		int64_t nd = 0;
		for (size_t k = 0; k < g->n; k++) {
			const cp_cand *c = &p->cands[g->items[k]];
			for (size_t d = 0; d < c->ndels; d++) {
				bool seen = false;
				for (size_t k2 = 0; k2 < k && !seen; k2++) {
					const cp_cand *c2 = &p->cands[g->items[k2]];
					for (size_t d2 = 0; d2 < c2->ndels && !seen; d2++)
						seen = c2->dels[d2] == c->dels[d];
				}
				nd += !seen;
			}
		}
		rg->delete_files = nd;
	}
	return 0;
}

/* A private copy of the table's metadata: the plan outlives commits (partial progress). */
int ice_compact__copy_metadata(ice_table_metadata **out, const ice_table_metadata *md)
{
	char *json = NULL;
	size_t len = 0;
	int rc = ice_table_metadata_to_json(&json, &len, md, ICE_JSON_COMPACT);
	if (!rc)
		rc = ice_table_metadata_parse(out, json, len, "table metadata");
	ice__free(json);
	return rc;
}

/* ---- planning data files ----------------------------------------------------------------- */

typedef struct filter_cache {
	const ice_expr *bound;
	int32_t spec_ids[64];
	ice_expr *projected[64];
	size_t n;
} filter_cache;

static int file_matches(filter_cache *fc, const ice_table_metadata *md, const ice_data_file *f, bool *out)
{
	*out = true;
	if (!fc->bound)
		return 0;
	const ice_partition_spec *spec = ice_table_metadata_spec_by_id(md, f->partition_spec_id);
	int rc;
	if (spec && spec->nfields && f->n_partition == spec->nfields) {
		ice_expr *projected = NULL;
		size_t k;
		for (k = 0; k < fc->n && fc->spec_ids[k] != spec->spec_id; k++)
			;
		if (k < fc->n) {
			projected = fc->projected[k];
		} else {
			if ((rc = ice_expr_project(&projected, fc->bound, spec, ice_table_metadata_current_schema(md), false)) != 0)
				return rc;
			if (fc->n < 64) {
				fc->spec_ids[fc->n] = spec->spec_id;
				fc->projected[fc->n++] = projected;
			}
		}
		int32_t ids[256];
		size_t n = spec->nfields < 256 ? spec->nfields : 256;
		for (size_t i = 0; i < n; i++)
			ids[i] = spec->fields[i].field_id;
		rc = ice_expr_eval_values(projected, ids, f->partition, n, out);
		if (k >= 64)
			ice_expr_free(projected);
		if (rc || !*out)
			return rc;
	}
	return ice_expr_file_might_match(fc->bound, f, out);
}

static bool is_file_scoped(const ice_data_file *f)
{
	return f->content == ICE_FILE_CONTENT_POSITION_DELETES && f->referenced_data_file;
}

static void progress(const ice_compact_options *o, pthread_mutex_t *mu, const char *phase, int64_t done,
                     int64_t total)
{
	if (!o->progress)
		return;
	if (mu)
		pthread_mutex_lock(mu);
	o->progress(phase, done, total, o->progress_payload);
	if (mu)
		pthread_mutex_unlock(mu);
}

static int plan_data(cp_plan *p, const ice_compact_options *o, const cp_sizes *s)
{
	ice_scan_options so;
	ice_scan_planner *planner = NULL;
	const ice_scan_task *t;
	filter_cache fc;
	ice_expr *parsed = NULL, *bound = NULL;
	size_t *dels = NULL, capdels = 0;
	int64_t seen = 0;
	int rc = 0;
	memset(&fc, 0, sizeof(fc));
	const ice_partition_spec *cur = ice_table_metadata_default_spec(p->md);
	if (o->filter && *o->filter) {
		if ((rc = ice_expr_parse(&parsed, o->filter)) != 0 ||
		    (rc = ice_expr_bind(&bound, parsed, ice_schema_struct(ice_table_metadata_current_schema(p->md)),
		                        o->case_sensitive)) != 0)
			goto done;
		fc.bound = bound;
	}
	ice_scan_options_init(&so);
	so.threads = o->threads > 0 ? (size_t)o->threads : 0;
	so.case_sensitive = o->case_sensitive;
	/* v3: rewritten rows keep their _row_id and _last_updated_sequence_number */
	so.row_lineage = ice_table_metadata_format_version(p->md) >= 3;
	if ((rc = ice_scan_new(&p->scan, p->io, p->md, &so)) != 0 || (rc = ice_scan_plan_open(&planner, p->scan)) != 0)
		goto done;
	while ((rc = ice_scan_plan_next(planner, &t)) == 0) {
		const ice_data_file *f = t->file;
		bool match;
		if (t->ndeletes > capdels) {
			size_t *d = ice__reallocarray(dels, t->ndeletes, sizeof(size_t));
			if (!d) {
				rc = ICE_ERROR;
				break;
			}
			dels = d;
			capdels = t->ndeletes;
		}
		for (size_t i = 0; i < t->ndeletes && !rc; i++)
			rc = ice_compact__use_delete(p, &t->deletes[i], &dels[i]);
		if (rc || (rc = file_matches(&fc, p->md, f, &match)) != 0)
			break;
		if ((++seen & 1023) == 0)
			progress(o, NULL, "planning", seen, -1);
		if (!match)
			continue;
		int64_t scoped = 0;
		for (size_t i = 0; i < t->ndeletes; i++)
			if (is_file_scoped(t->deletes[i].file))
				scoped += t->deletes[i].file->record_count;
		if (scoped > f->record_count)
			scoped = f->record_count;
		bool many = (int64_t)t->ndeletes >= s->delete_file_threshold;
		bool ratio = t->ndeletes && f->record_count > 0 && (double)scoped / (double)f->record_count >= s->delete_ratio;
		bool wrong_spec = f->partition_spec_id != cur->spec_id;
		bool size = f->file_size_in_bytes < s->min || f->file_size_in_bytes > s->max;
		if (o->rewrite_all || size || many || ratio || wrong_spec)
			rc = ice_compact__add_candidate(p, t, dels, t->ndeletes, many || ratio || wrong_spec);
		if (rc)
			break;
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
	progress(o, NULL, "planning", seen, seen);
done:
	ice_scan_plan_free(planner);
	for (size_t i = 0; i < fc.n; i++)
		ice_expr_free(fc.projected[i]);
	ice__free(dels);
	ice_expr_free(parsed);
	ice_expr_free(bound);
	return rc;
}

/* ---- rewriting groups ----------------------------------------------------------------------- */

typedef struct run_ctx {
	cp_plan *p;
	const ice_compact_options *o;
	const size_t *groups; /* indexes into p->groups */
	cp_result *results;
	int writer_threads;
	int64_t memory_each;
	const ice_sort_order *order; /* --sort */
	struct ArrowSchema arrow;
	pthread_mutex_t mu;
	int64_t files_done, files_total;
	_Atomic bool stop;
} run_ctx;

static char *error_copy(int rc)
{
	const ice_error *e = ice_error_last();
	const char *m = e && e->message ? e->message : ice_error_code_name(rc);
	return ice__strdup(m);
}

void ice_compact__result_free(cp_result *r)
{
	for (size_t i = 0; i < r->nfiles; i++)
		ice_data_file_free(r->files[i]);
	ice__free(r->files);
	ice__free(r->error);
	memset(r, 0, sizeof(*r));
}

void ice_compact__result_fail(cp_result *r, int rc)
{
	if (!r->rc) {
		r->rc = rc;
		r->error = error_copy(rc);
	}
}

static int rewrite_group(run_ctx *x, cp_result *res, const cp_group *g)
{
	cp_plan *p = x->p;
	ice_data_writer *w = NULL;
	ice_write_options wo;
	const ice_data_file *const *files = NULL;
	size_t nfiles = 0;
	int rc;
	ice_write_options_init(&wo);
	wo.threads = x->writer_threads;
	wo.max_buffered_bytes = x->memory_each;
	wo.target_file_size = g->split;
	wo.no_sort = !x->order;
	wo.sort_order = x->order;
	wo.row_lineage = ice_table_metadata_format_version(p->md) >= 3;
	if ((rc = ice_data_writer__new(&w, p->io, p->md, &wo)) != 0)
		return rc;
	for (size_t k = 0; k < g->n && !rc; k++) {
		const cp_cand *c = &p->cands[g->items[k]];
		ice_scan_reader *r = NULL;
		struct ArrowArray b;
		if (x->stop) {
			res->stopped = true;
			rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_INVALID, "stopped: another group failed");
			break;
		}
		if ((rc = ice_scan_task_open(&r, p->scan, c->task)) != 0)
			break;
		while ((rc = ice_scan_reader_next(r, &b)) == 0) {
			res->rows += b.length;
			rc = ice_data_writer__write_batch(w, &b, &x->arrow);
			ice_arrow_array_release(&b);
			if (rc)
				break;
		}
		ice_scan_reader_free(r);
		if (rc == ICE_ITEROVER)
			rc = 0;
		if (!rc) {
			pthread_mutex_lock(&x->mu);
			x->files_done++;
			if (x->o->progress)
				x->o->progress("rewriting", x->files_done, x->files_total, x->o->progress_payload);
			pthread_mutex_unlock(&x->mu);
		}
	}
	if (!rc)
		rc = ice_data_writer__close(w, &files, &nfiles);
	if (!rc && nfiles && !(res->files = ice__calloc(nfiles, sizeof(*res->files))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < nfiles && !rc; i++) {
		if ((rc = ice_data_file_copy(&res->files[i], files[i])) != 0)
			break;
		res->nfiles++;
		res->bytes += files[i]->file_size_in_bytes;
	}
	if (rc)
		ice_data_writer__delete_files(w);
	ice_data_writer__free(w);
	return rc;
}

/* The files a group wrote, deleted (the error that made it fail kept). */
static void delete_written(const cp_plan *p, const cp_result *res)
{
	for (size_t i = 0; i < res->nfiles; i++)
		ice_io__delete_files(p->io, &res->files[i]->file_path, 1);
}

static int run_one(void *ctx, size_t task, size_t worker)
{
	run_ctx *x = ctx;
	cp_result *res = &x->results[task];
	(void)worker;
	int rc = rewrite_group(x, res, &x->p->groups[x->groups[task]]);
	if (rc) {
		ice_compact__result_fail(res, rc);
		delete_written(x->p, res);
		if (!x->o->partial_progress)
			x->stop = true;
	}
	return 0; /* each group's outcome is its own */
}

/* ---- committing --------------------------------------------------------------------------- */

int ice_compact__new_change(ice_row_change **out, ice_table *table, const cp_plan *p)
{
	ice_snapshot start;
	memset(&start, 0, sizeof(start));
	start.snapshot_id = p->start_id;
	int rc = ice_row_change__new(out, table, &start);
	if (!rc)
		ice_row_change__rewrite(*out, p->start_seq);
	return rc;
}

/* Delete files all of whose planned data files are now rewritten: removed
 * by this change (counted as `pending` until it commits). */
int ice_compact__remove_dangling(cp_plan *p, ice_row_change *change, ice_compact_report *r)
{
	int rc = 0;
	for (size_t i = 0; i < p->ndels && !rc; i++) {
		cp_delete *d = &p->dels[i];
		if (d->removed || d->pending || d->rewritten + d->rewritten_now < d->users)
			continue;
		if ((rc = ice_row_change__remove_delete(change, d->file)) == 0) {
			d->pending = true;
			(void)r;
		}
	}
	return rc;
}

/* After a commit: counts made final (ok) or undone. */
void ice_compact__settle(cp_plan *p, bool ok, ice_compact_report *r)
{
	for (size_t i = 0; i < p->ndels; i++) {
		cp_delete *d = &p->dels[i];
		if (ok) {
			d->rewritten += d->rewritten_now;
			if (d->pending) {
				d->removed = true;
				r->delete_files_removed++;
				r->bytes_removed += d->file->referenced_data_file && d->file->has_content_size_in_bytes
				                        ? d->file->content_size_in_bytes
				                        : d->file->file_size_in_bytes;
			}
		}
		d->rewritten_now = 0;
		d->pending = false;
	}
}

static int commit_batch(ice_table *table, cp_plan *p, const size_t *groups, cp_result *results, size_t n,
                        const ice_commit_options *co, ice_compact_report *r, ice_commit_result *cr)
{
	ice_row_change *change = NULL;
	int rc = ice_compact__new_change(&change, table, p);
	size_t ok = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const cp_group *g = &p->groups[groups[i]];
		cp_result *res = &results[i];
		if (res->rc)
			continue;
		ok++;
		for (size_t k = 0; k < g->n && !rc; k++) {
			const cp_cand *c = &p->cands[g->items[k]];
			rc = ice_row_change__remove_data(change, c->task->file);
			for (size_t d = 0; d < c->ndels; d++)
				p->dels[c->dels[d]].rewritten_now++;
		}
		for (size_t k = 0; k < res->nfiles && !rc; k++)
			if ((rc = ice_row_change__add_data(change, res->files[k])) == 0)
				rc = ice_row_change__track(change, res->files[k]->file_path);
	}
	if (!rc && ok)
		rc = ice_compact__remove_dangling(p, change, r);
	if (!rc && ok) {
		rc = ice_row_change__commit(change, co, cr);
		if (!rc) {
			r->committed = true;
			r->commits++;
			r->snapshot_id = ice_row_change__snapshot_id(change);
		}
	} else if (rc) {
		/* not committed: every file written for the batch goes (some were
		 * never tracked when the change failed on the way) */
		if (change)
			ice_row_change__abandon(change);
		for (size_t i = 0; i < n; i++)
			delete_written(p, &results[i]);
		cr->state = ICE_COMMIT_FAILED;
	}
	ice_compact__settle(p, ok && !rc, r);
	for (size_t i = 0; i < n; i++) {
		const cp_group *g = &p->groups[groups[i]];
		cp_result *res = &results[i];
		ice_compact_group *rg = &r->groups[groups[i]];
		if (res->rc == 0 && rc)
			ice_compact__result_fail(res, rc);
		rg->rows = res->rows;
		if (res->rc) {
			rg->error = res->error;
			res->error = NULL;
			r->groups_failed++;
			continue;
		}
		rg->rewritten = true;
		rg->files_added = (int64_t)res->nfiles;
		rg->bytes_added = res->bytes;
		r->groups_rewritten++;
		r->data_files_removed += (int64_t)g->n;
		r->data_files_added += (int64_t)res->nfiles;
		r->bytes_removed += g->bytes;
		r->bytes_added += res->bytes;
		r->rows_written += res->rows;
	}
	ice_row_change__free(change);
	return rc;
}

/* Threads and memory for `n` groups at once. */
static void shares(const ice_compact_options *o, size_t n, size_t *parallel, int *writer_threads, int64_t *memory)
{
	size_t threads = o->threads > 0 ? (size_t)o->threads : ice_workers__cpus();
	*parallel = n < threads ? (n ? n : 1) : threads;
	*writer_threads = (int)(threads / *parallel);
	if (*writer_threads < 1)
		*writer_threads = 1;
	int64_t mem = o->memory > 0 ? o->memory : (int64_t)256 << 20;
	*memory = mem / (int64_t)*parallel;
}

int ice_compact__start(cp_plan *p, ice_table *table)
{
	const ice_table_metadata *md = ice_table_current(table);
	const ice_snapshot *snap = ice_table_metadata_current_snapshot(md);
	int rc;
	p->io = ice_table_io(table);
	if ((rc = ice_write__check_table_location(md)) != 0 || (rc = ice_compact__copy_metadata(&p->md, md)) != 0)
		return rc;
	p->has_start = snap != NULL;
	p->start_id = snap ? snap->snapshot_id : 0;
	p->start_seq = snap && ice_table_metadata_format_version(md) >= 2 ? snap->sequence_number : -1;
	return 0;
}

int ice_table_compact(ice_table *table, const ice_compact_options *opts, const ice_commit_options *co,
                      ice_compact_report *report, ice_commit_result *result)
{
	ice_compact_options defaults;
	ice_compact_report r;
	ice_commit_result cr = {ICE_COMMIT_SUCCEEDED, 0, 0, 0};
	cp_plan p;
	cp_sizes s;
	ice_sort_order *parsed_order = NULL;
	run_ctx x;
	int64_t t0 = ice_compact__now_ms();
	int rc;
	if (!opts) {
		ice_compact_options_init(&defaults);
		opts = &defaults;
	}
	memset(&r, 0, sizeof(r));
	memset(&x, 0, sizeof(x));
	ice_compact__plan_init(&p);
	pthread_mutex_init(&x.mu, NULL);
	if ((rc = ice_compact__start(&p, table)) != 0 ||
	    (rc = ice_compact__sizes(&s, p.md, opts, "write.target-file-size-bytes", (int64_t)512 << 20)) != 0)
		goto done;
	if (opts->sort) {
		if (opts->sort_order && *opts->sort_order) {
			if ((rc = ice_sort_order_parse_dsl(&parsed_order, opts->sort_order,
			                                   ice_table_metadata_current_schema(p.md))) != 0)
				goto done;
			/* one of the table's orders when it is the same */
			for (size_t i = 0; i < ice_table_metadata_sort_order_count(p.md); i++) {
				const ice_sort_order *known = ice_table_metadata_sort_order_at(p.md, i);
				if (known->order_id && ice_sort_order_same_fields(known, parsed_order))
					parsed_order->order_id = known->order_id;
			}
			if (!ice_table_metadata_sort_order_by_id(p.md, parsed_order->order_id) ||
			    !ice_sort_order_same_fields(ice_table_metadata_sort_order_by_id(p.md, parsed_order->order_id),
			                                parsed_order))
				parsed_order->order_id = -1; /* recorded by no file */
			x.order = parsed_order;
		} else {
			x.order = ice_table_metadata_default_sort_order(p.md);
			if (!x.order || !x.order->nfields) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                    "%s: the table is unsorted: give a sort order to sort by",
				                    ice_table_identifier(table));
				goto done;
			}
		}
	}
	if (!p.has_start)
		goto done; /* nothing to compact */
	if ((rc = plan_data(&p, opts, &s)) != 0 || (rc = ice_compact__pack(&p, &s, opts->rewrite_all)) != 0)
		goto done;
	r.candidates = (int64_t)p.ncands;
	if ((rc = ice_compact__report_groups(&p, &r)) != 0 || opts->dry_run || !p.ngroups)
		goto done;

	/* Batches of groups: one, or max_commits with partial progress. */
	size_t nbatches = 1;
	if (opts->partial_progress) {
		size_t maxc = opts->max_commits > 0 ? (size_t)opts->max_commits : 10;
		nbatches = p.ngroups < maxc ? p.ngroups : maxc;
	}
	size_t per = (p.ngroups + nbatches - 1) / nbatches;
	size_t *order = ice__mallocarray(p.ngroups, sizeof(size_t));
	cp_result *results = ice__calloc(per, sizeof(cp_result));
	if (!order || !results) {
		ice__free(order);
		ice__free(results);
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t i = 0; i < p.ngroups; i++) {
		order[i] = i;
		x.files_total += (int64_t)p.groups[i].n;
	}
	x.p = &p;
	x.o = opts;
	if ((rc = ice_scan_arrow_schema(p.scan, &x.arrow)) != 0) {
		ice__free(order);
		ice__free(results);
		goto done;
	}
	ice_workers *workers = NULL;
	size_t parallel;
	shares(opts, per, &parallel, &x.writer_threads, &x.memory_each);
	if (parallel > 1 && (rc = ice_workers__new(&workers, parallel)) != 0)
		goto batches_done;
	int first_rc = 0;
	for (size_t b = 0; b * per < p.ngroups; b++) {
		size_t n = p.ngroups - b * per < per ? p.ngroups - b * per : per;
		x.groups = order + b * per;
		x.results = results;
		memset(results, 0, n * sizeof(*results));
		ice_workers__run(workers, n, run_one, &x);
		progress(opts, NULL, "committing", (int64_t)b, (int64_t)(p.ngroups + per - 1) / (int64_t)per);
		bool any_failed = false;
		for (size_t i = 0; i < n; i++)
			any_failed |= results[i].rc != 0;
		if (any_failed && !opts->partial_progress) {
			/* all or nothing: the first group's own error, nothing committed */
			size_t i = n;
			for (size_t k = 0; k < n && i == n; k++)
				if (results[k].rc && !results[k].stopped)
					i = k;
			for (size_t k = 0; k < n && i == n; k++)
				if (results[k].rc)
					i = k;
			rc = ice_error__set(results[i].rc, ICE_ERRCLASS_INVALID, "%s",
			                    results[i].error ? results[i].error : ice_error_code_name(results[i].rc));
			for (size_t k = 0; k < n; k++) {
				delete_written(&p, &results[k]);
				ice_compact__result_fail(&results[k], rc);
				r.groups[x.groups[k]].error = results[k].error;
				results[k].error = NULL;
				r.groups_failed++;
			}
			cr.state = ICE_COMMIT_FAILED;
		} else {
			int crc = commit_batch(table, &p, x.groups, results, n, co, &r, &cr);
			if (crc && !first_rc)
				first_rc = crc;
			if (crc == ICE_ECOMMITUNKNOWN || (crc && !opts->partial_progress))
				rc = crc;
		}
		for (size_t i = 0; i < n; i++)
			ice_compact__result_free(&results[i]);
		if (rc)
			break;
	}
	/* Partial progress: fails only when nothing was committed. */
	if (!rc && opts->partial_progress && !r.committed && first_rc)
		rc = first_rc;
	if (!rc && opts->partial_progress && !r.committed && r.groups_failed) {
		for (size_t i = 0; i < r.ngroups && !rc; i++)
			if (r.groups[i].error)
				rc = ice_error__set(ICE_ERROR, ICE_ERRCLASS_INVALID, "%s", r.groups[i].error);
	}
batches_done:
	ice_workers__free(workers);
	ice__free(order);
	ice__free(results);
done:
	if (x.arrow.release)
		x.arrow.release(&x.arrow);
	pthread_mutex_destroy(&x.mu);
	ice_sort_order_free(parsed_order);
	ice_compact__plan_free(&p);
	r.elapsed_ms = ice_compact__now_ms() - t0;
	if (report)
		*report = r;
	else
		ice_compact_report_free(&r);
	if (rc && cr.state == ICE_COMMIT_SUCCEEDED)
		cr.state = r.committed ? ICE_COMMIT_SUCCEEDED : ICE_COMMIT_FAILED;
	if (result)
		*result = cr;
	return rc;
}
