/*
 * Building and ranking a report: candidates from every method and view are
 * moved in, sorted by score with a total tie order, and cut to the top K.
 */
#include "report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int fl_report_new(fl_report **out, const fl_failure_summary *s, int64_t n,
		  const char *failure_name)
{
	fl_report *r;

	*out = NULL;
	if (!s || n < 1 || !failure_name)
		return fl__error(FL_EINVAL, "a report needs a failure summary, at least 1 row and a name");
	r = fl__calloc(1, sizeof *r, "report");
	if (!r)
		return FL_ENOMEM;
	r->n = n;
	r->overall = fl_failure_summary_mean(s);
	r->binary = fl_failure_summary_binary(s);
	r->id_col = -1;
	r->failure_name = fl__strdup(failure_name);
	if (!r->failure_name) {
		free(r);
		return FL_ENOMEM;
	}
	*out = r;
	return FL_OK;
}

int fl_report__set_owner(fl_report *r, void *owner, void (*release)(void *))
{
	r->owner = owner;
	r->release = release;
	return 0;
}

void fl_report__models_free(fl_report *r)
{
	fl_strbuf b = {0};

	for (int32_t i = 0; i < r->models.n; i++) {
		if (r->models.tmpdir) {
			b.len = 0;
			fl__sb_printf(&b, "%s/%s", r->models.tmpdir, r->models.files[i]);
			if (!b.oom)
				unlink(b.s);
		}
		free(r->models.files[i]);
	}
	if (r->models.tmpdir)
		rmdir(r->models.tmpdir);
	free(b.s);
	free(r->models.files);
	free(r->models.tmpdir);
	free(r->models.dir);
	memset(&r->models, 0, sizeof r->models);
}

void fl_report_free(fl_report *r)
{
	if (!r)
		return;
	for (int32_t i = 0; i < r->n_views; i++) {
		free(r->views[i].name);
		free(r->views[i].source);
		free(r->views[i].fingerprint);
	}
	for (int32_t i = 0; i < r->n_params; i++) {
		free(r->params[i].key);
		free(r->params[i].value);
	}
	for (int32_t i = 0; i < r->n_timings; i++)
		free(r->timings[i].stage);
	free(r->timings);
	if (r->class_names)
		for (int32_t c = 0; c < r->n_classes; c++)
			free(r->class_names[c]);
	for (int32_t i = 0; i < r->n_slices; i++)
		fl_candidate_clear(&r->slices[i]);
	for (int32_t i = 0; i < r->n_phrases; i++)
		free(r->phrases[i]);
	free(r->phrases);
	for (int32_t i = 0; i <= FL_REPORT_ROUNDS; i++)
		free(r->round_skip[i]);
	for (int64_t i = 0; i < r->saved.n_ids; i++)
		free(r->saved.ids[i].id);
	free(r->saved.ids);
	free(r->saved.conf);
	free(r->saved.n_conf);
	free(r->saved.cells);
	free(r->saved.n_cells);
	free(r->saved.columns_json);
	free(r->saved.dists);
	free(r->saved.n_dists);
	free(r->saved.examples);
	free(r->saved.n_examples);
	for (int64_t i = 0; i < r->saved.n_texts; i++)
		free(r->saved.texts[i]);
	free(r->saved.texts);
	free(r->source);
	free(r->map);
	free(r->thumb_dir);
	free(r->class_names);
	free(r->views);
	free(r->params);
	free(r->slices);
	free(r->failure_name);
	fl_report__models_free(r);
	if (r->release)
		r->release(r->owner);
	free(r);
}

int fl_report_add_view(fl_report *r, const char *name, int64_t dim, const char *source)
{
	fl_report_view *v = realloc(r->views, (size_t)(r->n_views + 1) * sizeof *v);

	if (!v)
		return fl__error(FL_ENOMEM, "out of memory adding view %s", name);
	r->views = v;
	v += r->n_views;
	v->name = fl__strdup(name);
	v->source = fl__strdup(source ? source : "");
	v->dim = dim;
	v->fingerprint = NULL;
	if (!v->name || !v->source) {
		free(v->name);
		free(v->source);
		return FL_ENOMEM;
	}
	r->n_views++;
	return FL_OK;
}

void fl_report__set_view_print(fl_report *r, int32_t i, char *json)
{
	free(r->views[i].fingerprint);
	r->views[i].fingerprint = json;
}

int fl_report_set_table(fl_report *r, const fl_table *t, int64_t id_col)
{
	if (t && fl_table_rows(t) != r->n)
		return fl__error(FL_ESHAPE, "metadata has %lld rows, the report %lld",
				 (long long)fl_table_rows(t), (long long)r->n);
	if (t && (id_col < -1 || id_col >= fl_table_cols(t)))
		return fl__error(FL_EINVAL, "id column %lld out of range", (long long)id_col);
	r->table = t;
	r->n_cols = t ? fl_table_cols(t) : 0;
	r->id_col = t ? id_col : -1;
	return FL_OK;
}

int fl_report_set_classes(fl_report *r, const int64_t *labels, const int64_t *preds,
			  int32_t n_classes, const char *const *class_names)
{
	char **names = NULL;

	if (!labels || !preds || n_classes < 1)
		return fl__error(FL_EINVAL, "class names need labels, predictions and at least 1 class");
	if (class_names) { /* all copied, or the report unchanged */
		names = fl__calloc((size_t)n_classes, sizeof *names, "class names");
		for (int32_t c = 0; names && c < n_classes; c++)
			if (!(names[c] = fl__strdup(class_names[c] ? class_names[c] : ""))) {
				while (c-- > 0)
					free(names[c]);
				free(names);
				return FL_ENOMEM;
			}
		if (!names)
			return FL_ENOMEM;
	}
	if (r->class_names)
		for (int32_t c = 0; c < r->n_classes; c++)
			free(r->class_names[c]);
	free(r->class_names);
	r->class_names = names;
	r->labels = labels;
	r->preds = preds;
	r->n_classes = n_classes;
	return FL_OK;
}

int fl_report_set_param(fl_report *r, const char *key, const char *value)
{
	fl_report_param *p = realloc(r->params, (size_t)(r->n_params + 1) * sizeof *p);

	if (!p)
		return fl__error(FL_ENOMEM, "out of memory adding parameter %s", key);
	r->params = p;
	p += r->n_params;
	p->key = fl__strdup(key);
	p->value = fl__strdup(value);
	if (!p->key || !p->value) {
		free(p->key);
		free(p->value);
		return FL_ENOMEM;
	}
	r->n_params++;
	return FL_OK;
}

int fl_report_add_timing(fl_report *r, const char *stage, double seconds)
{
	fl_report_stage_time *t;

	if (!r || !stage || !(seconds >= 0))
		return fl__error(FL_EINVAL, "a timing needs a report, a stage and seconds >= 0");
	for (int32_t i = 0; i < r->n_timings; i++)
		if (!strcmp(r->timings[i].stage, stage)) {
			r->timings[i].seconds += seconds;
			return FL_OK;
		}
	if (!(t = realloc(r->timings, (size_t)(r->n_timings + 1) * sizeof *t)))
		return fl__error(FL_ENOMEM, "out of memory timing %s", stage);
	r->timings = t;
	if (!(t[r->n_timings].stage = fl__strdup(stage)))
		return FL_ENOMEM;
	t[r->n_timings++].seconds = seconds;
	return FL_OK;
}

int32_t fl_report_n_timings(const fl_report *r)
{
	return r ? r->n_timings : 0;
}

const char *fl_report_timing(const fl_report *r, int32_t i, double *seconds)
{
	if (!r || i < 0 || i >= r->n_timings)
		return NULL;
	if (seconds)
		*seconds = r->timings[i].seconds;
	return r->timings[i].stage;
}

int fl_report_add_candidates(fl_report *r, fl_candidate *cands, int32_t n)
{
	if (n < 0 || (n > 0 && !cands))
		return fl__error(FL_EINVAL, "no report or no slices to add to it");
	if (r->n_slices + n > r->cap_slices) {
		int32_t cap = r->cap_slices ? r->cap_slices : 16;
		fl_candidate *p;

		while (cap < r->n_slices + n)
			cap *= 2;
		p = realloc(r->slices, (size_t)cap * sizeof *p);
		if (!p)
			return fl__error(FL_ENOMEM, "out of memory collecting %d slices", (int)cap);
		r->slices = p;
		r->cap_slices = cap;
	}
	for (int32_t i = 0; i < n; i++) {
		r->slices[r->n_slices++] = cands[i];
		memset(&cands[i], 0, sizeof cands[i]);
	}
	return FL_OK;
}

/* Replicated first, then score descending (NaN last), then method, view and component: a total
 * order, so the ranking never depends on qsort's instability. */
static int cmp_rank(const void *pa, const void *pb)
{
	const fl_candidate *a = pa, *b = pb;
	int c;

	/* a slice that replicated outranks one that did not */
	if (a->replicated != b->replicated)
		return b->replicated - a->replicated;
	if (a->score != b->score) {
		if (a->score != a->score)
			return 1;
		if (b->score != b->score)
			return -1;
		return a->score > b->score ? -1 : 1;
	}
	if ((c = strcmp(a->method, b->method)) != 0)
		return c;
	if ((c = strcmp(a->view, b->view)) != 0)
		return c;
	return (a->component > b->component) - (a->component < b->component);
}

int fl_report_rank(fl_report *r, int32_t top)
{
	if (top < 0)
		return fl__error(FL_EINVAL, "top must be >= 0, got %d", (int)top);
	if (r->n_slices > 1)
		qsort(r->slices, (size_t)r->n_slices, sizeof *r->slices, cmp_rank);
	if (top > 0 && r->n_slices > top) {
		for (int32_t i = top; i < r->n_slices; i++)
			fl_candidate_clear(&r->slices[i]);
		r->n_slices = top;
	}
	return FL_OK;
}

int64_t fl_report_n_rows(const fl_report *r)
{
	return r->n;
}

int fl_report_view_info(const fl_report *r, int32_t i, const char **name, int64_t *dim,
			const char **source)
{
	if (i < 0 || i >= r->n_views)
		return FL_EINVAL;
	*name = r->views[i].name;
	*dim = r->views[i].dim;
	*source = r->views[i].source;
	return FL_OK;
}

const char *fl_report_param_value(const fl_report *r, const char *key)
{
	for (int32_t i = 0; i < r->n_params; i++)
		if (!strcmp(r->params[i].key, key))
			return r->params[i].value;
	return NULL;
}

int32_t fl_report_n_slices(const fl_report *r)
{
	return r->n_slices;
}

const fl_candidate *fl_report_slice(const fl_report *r, int32_t i)
{
	return i >= 0 && i < r->n_slices ? &r->slices[i] : NULL;
}

static int cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return (a > b) - (a < b);
}

static int cmp_confusion(const void *pa, const void *pb)
{
	const fl_confusion *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->label != b->label)
		return a->label < b->label ? -1 : 1;
	return (a->pred > b->pred) - (a->pred < b->pred);
}

/* The (label, prediction) cells of slice's members (both halves), most frequent first
 * (ties by label, then prediction): the failing cells with their share of
 * the failures, or every cell with its share of the members. A report read
 * back from JSON has no labels: it returns the `per` cells a slice kept. */
static int32_t cells(const fl_report *r, int32_t slice, fl_confusion *out, int32_t max,
		     int failing, const fl_confusion *kept, const int32_t *n_kept, int32_t per)
{
	const fl_candidate *c = fl_report_slice(r, slice);
	int64_t *pairs, n_in = 0, n_runs = 0, all;
	fl_confusion *runs;
	int32_t n_out;

	if (!c || max < 1)
		return 0;
	if (!r->labels) {
		n_out = n_kept ? n_kept[slice] : 0;
		n_out = n_out < max ? n_out : max;
		for (int32_t i = 0; i < n_out; i++)
			out[i] = kept[slice * per + i];
		return n_out;
	}
	/* (label, pred) pairs of the members counted, sorted, counted in runs */
	all = c->n_members + c->n_holdout_members;
	pairs = malloc((size_t)(all ? all : 1) * sizeof *pairs);
	runs = malloc((size_t)(all ? all : 1) * sizeof *runs);
	if (!pairs || !runs) {
		free(pairs);
		free(runs);
		return fl__error(FL_ENOMEM, "out of memory counting the labels of slice %d",
				 (int)slice + 1);
	}
	for (int64_t i = 0; i < all; i++) {
		int64_t row = i < c->n_members ? c->members[i] : c->holdout_members[i - c->n_members];

		if (!failing || r->labels[row] != r->preds[row])
			pairs[n_in++] = r->labels[row] * r->n_classes + r->preds[row];
	}
	qsort(pairs, (size_t)n_in, sizeof *pairs, cmp_i64);
	for (int64_t i = 0; i < n_in; i++) {
		if (i == 0 || pairs[i] != pairs[i - 1]) {
			runs[n_runs].label = pairs[i] / r->n_classes;
			runs[n_runs].pred = pairs[i] % r->n_classes;
			runs[n_runs].count = 0;
			n_runs++;
		}
		runs[n_runs - 1].count++;
	}
	qsort(runs, (size_t)n_runs, sizeof *runs, cmp_confusion);
	n_out = n_runs < max ? (int32_t)n_runs : max;
	for (int32_t i = 0; i < n_out; i++) {
		out[i] = runs[i];
		out[i].share = (double)runs[i].count / (double)n_in;
	}
	free(pairs);
	free(runs);
	return n_out;
}

int32_t fl_report_confusions(const fl_report *r, int32_t slice, fl_confusion *out, int32_t max)
{
	return cells(r, slice, out, max, 1, r->saved.conf, r->saved.n_conf, FL_REPORT_CONFUSIONS);
}

int32_t fl_report_breakdown(const fl_report *r, int32_t slice, fl_confusion *out, int32_t max)
{
	return cells(r, slice, out, max, 0, r->saved.cells, r->saved.n_cells, FL_REPORT_BREAKDOWN);
}

int32_t fl_report__readable(const fl_confusion *c, int32_t n)
{
	int32_t k = 0;

	while (k < n && 100 * c[k].share >= 0.5)
		k++;
	return k;
}

void fl_report__fmt_rate(char *buf, size_t len, double x, int binary, int flags)
{
	if (!isfinite(x))
		snprintf(buf, len, "-");
	else if (binary)
		snprintf(buf, len, "%.1f%s", 100.0 * x, flags & FL_FIG_UNIT ? "%" : "");
	else
		snprintf(buf, len, "%.*g", flags & FL_FIG_BOUND ? 3 : 4, x);
}

const char *fl_report__rate(char *buf, size_t len, double x, int binary)
{
	fl_report__fmt_rate(buf, len, x, binary, FL_FIG_UNIT);
	return buf;
}

void fl_report__fmt_excess(char *buf, size_t len, double x, int binary)
{
	if (binary || !(fabs(x) < 100))
		snprintf(buf, len, "%.0f", fabs(x) < 0.5 ? 0.0 : x);
	else
		snprintf(buf, len, "%.3g", x == 0 ? 0.0 : x);
}

const char *fl_report__class_name(const fl_report *r, int64_t c, char *buf, size_t len)
{
	if (r->class_names && c >= 0 && c < r->n_classes && r->class_names[c])
		return r->class_names[c]; /* NULL: a class a report read back never named */
	snprintf(buf, len, "%lld", (long long)c);
	return buf;
}

int fl_report__cmp_row_id(const void *pa, const void *pb)
{
	const fl_report_row_id *a = pa, *b = pb;

	return (a->row > b->row) - (a->row < b->row);
}

const char *fl_report__row_id(const fl_report *r, int64_t row)
{
	fl_report_row_id key = {row, NULL}, *hit;

	if (r->id_col < 0)
		return NULL;
	if (r->table)
		return fl_table_cell(r->table, row, r->id_col);
	hit = bsearch(&key, r->saved.ids, (size_t)r->saved.n_ids, sizeof key, fl_report__cmp_row_id);
	return hit ? hit->id : "?";
}

int fl_report_pair_counts(fl_report *r, const uint8_t *base_wrong, const uint8_t *cand_wrong)
{
	if (!base_wrong || !cand_wrong)
		return fl__error(FL_EINVAL, "pair counts need both models' failure flags");
	memset(r->pairs, 0, sizeof r->pairs);
	for (int64_t i = 0; i < r->n; i++)
		r->pairs[2 * !!base_wrong[i] + !!cand_wrong[i]]++;
	r->has_pairs = 1;
	for (int32_t s = 0; s < r->n_slices; s++) {
		fl_candidate *c = &r->slices[s];

		memset(c->pair_counts, 0, sizeof c->pair_counts);
		for (int64_t k = 0; k < c->n_members + c->n_holdout_members; k++) {
			int64_t row = k < c->n_members ? c->members[k] :
						     c->holdout_members[k - c->n_members];

			c->pair_counts[2 * !!base_wrong[row] + !!cand_wrong[row]]++;
		}
		/* index: base wrong x 2 + candidate wrong: 0 both right, 1 only the
		 * base right, 2 only the candidate right, 3 both wrong */
		c->has_pair_counts = 1;
	}
	return FL_OK;
}

int fl_report_set_map(fl_report *r, const char *view, const float *x, int64_t d, uint64_t seed)
{
	fl_pca_opts po = FL_PCA_OPTS_INIT;
	fl_pca pca;
	float *map;
	int rc;

	memset(&pca, 0, sizeof pca);
	po.n_components = 2;
	po.seed = seed;
	if (!view || !x || d < 1 || r->n < 2)
		return fl__error(FL_EINVAL, "the map needs a view with data, at least 1 column and "
				 "2 rows");
	if (!(map = fl__calloc((size_t)r->n * 2, sizeof *map, "report map")))
		return FL_ENOMEM;
	if ((rc = fl_pca_fit(&pca, x, r->n, d, d, &po)) == 0)
		rc = fl_pca_transform(map, 2, &pca, x, r->n, d, 0);
	/* a rank-1 view leaves the second coordinate at 0 (calloc) */
	fl_pca_clear(&pca);
	if (rc) {
		free(map);
		return rc;
	}
	free(r->map);
	r->map = map;
	snprintf(r->map_view, sizeof r->map_view, "%s", view);
	return FL_OK;
}

int fl_report_set_thumbnail_dir(fl_report *r, const char *dir)
{
	char *copy = NULL;

	if (!r)
		return fl__error(FL_EINVAL, "no report to set the thumbnail folder of");
	if (dir && !(copy = fl__strdup(dir)))
		return FL_ENOMEM;
	free(r->thumb_dir);
	r->thumb_dir = copy;
	return FL_OK;
}
