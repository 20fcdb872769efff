/*
 * The data of one model checked and completed before any search: class
 * count, label and prediction ranges, probabilities (softmax of logits),
 * argmax predictions, the failure signal, the metadata's id column and
 * class names, the views, and the table the predicate search sees (the
 * metadata plus the true and predicted class). Every message names the
 * input it is about.
 */
#include "pipeline_internal.h"
#include "report/report_internal.h"
#include "spec/spec_internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define NAME(s, dflt) ((s) ? (s) : (dflt))

void fl_pipeline__prep_free(fl_prep *p)
{
	free(p->argmax);
	free(p->softmax);
	free(p->failure);
	free(p->failure_name);
	free(p->class_names);
	fl_table_free(p->with_pred);
	fl_table_free(p->with_label);
	memset(p, 0, sizeof *p);
}

void fl_pipeline__prep_release(void *p)
{
	if (p)
		fl_pipeline__prep_free(p);
	free(p);
}

/* Class count, probabilities, label and prediction ranges, argmax. */
static int outputs(fl_prep *p, const fl_data *d)
{
	const char *labels = NAME(d->labels_name, "labels"), *probs = NAME(d->probs_name, "probs");
	int rc;

	p->labels = d->labels;
	p->preds = d->preds;
	if (d->probs) {
		if (d->n_classes < 2)
			return fl__error(FL_EINVAL, "%s: needs at least 2 class columns, has %d", probs,
					 (int)d->n_classes);
		p->n_classes = d->n_classes;
		if (d->probs_are_logits) {
			size_t bytes;

			if (fl__mul_size((size_t)d->n, (size_t)d->n_classes * sizeof(float), &bytes) ||
			    !(p->softmax = fl__malloc(bytes, probs)))
				return fl__error(FL_ENOMEM, "out of memory for %s", probs);
			if ((rc = fl_softmax_rows(p->softmax, d->probs, d->n, d->n_classes, probs)))
				return rc;
			p->probs = p->softmax;
		} else {
			if ((rc = fl_check_probs(d->probs, d->n, d->n_classes, probs)))
				return rc;
			p->probs = d->probs;
		}
	}
	if (!d->labels)
		return 0;
	if (!p->probs) {
		int64_t mx = 0;

		if (!d->preds)
			return fl__error(FL_EINVAL, "%s: labels need probabilities, logits or predictions",
					 labels);
		for (int64_t i = 0; i < d->n; i++) {
			mx = d->labels[i] > mx ? d->labels[i] : mx;
			mx = d->preds[i] > mx ? d->preds[i] : mx;
		}
		if (mx >= INT32_MAX)
			return fl__error(FL_ERANGE, "%s: label %lld is too large", labels, (long long)mx);
		p->n_classes = (int32_t)mx + 1;
	}
	if ((rc = fl_check_labels(d->labels, d->n, p->n_classes, labels)) ||
	    (d->preds && (rc = fl_check_labels(d->preds, d->n, p->n_classes,
					       NAME(d->preds_name, "preds")))))
		return rc;
	if (!d->preds) {
		if (!(p->argmax = fl__malloc((size_t)d->n * sizeof *p->argmax, "predictions")))
			return FL_ENOMEM;
		fl_argmax_rows(p->argmax, p->probs, d->n, p->n_classes);
		p->preds = p->argmax;
	}
	return 0;
}

static int failure(fl_prep *p, const fl_data *d, fl_failure_kind kind)
{
	fl_strbuf b = {0};
	int rc;

	if (!(p->failure = fl__malloc((size_t)d->n * sizeof *p->failure, "the failure signal")))
		return FL_ENOMEM;
	if (d->failure) {
		if ((rc = fl_check_finite_f64(d->failure, d->n, NAME(d->failure_name, "failure"))))
			return rc;
		/* one rule for every verb, views and metadata alike: larger is worse
		 * and lift is a ratio of means, which a signed error breaks */
		for (int64_t i = 0; i < d->n; i++)
			if (d->failure[i] < 0)
				return fl__error(FL_ERANGE, "%s: row %lld: negative failure %.6g (a failure "
						 "signal is >= 0, larger = worse: pass |error| or "
						 "shift it)", NAME(d->failure_name, "failure"),
						 (long long)i, d->failure[i]);
		memcpy(p->failure, d->failure, (size_t)d->n * sizeof *p->failure);
		fl__sb_printf(&b, "file:%s", NAME(d->failure_name, "failure"));
	} else {
		if (!d->labels || !p->preds)
			return fl__error(FL_EINVAL, "need a failure signal, or labels with probabilities, "
					 "logits or predictions");
		if (kind != FL_FAILURE_ERROR && !p->probs)
			return fl__error(FL_EINVAL, "failure kind %s needs probabilities or logits",
					 kind == FL_FAILURE_LOSS ? "loss" : "confidence");
		if ((rc = fl_failure_compute(p->failure, kind, d->n, p->n_classes, d->labels, p->probs,
					     p->preds)))
			return rc;
		fl__sb_printf(&b, "%s", fl_failure_kind_name(kind));
	}
	return (p->failure_name = fl__sb_finish(&b, "failure name")) ? 0 : FL_ENOMEM;
}

/* Class names come from a metadata column that is constant within every
 * label: class_column, or the first categorical column that qualifies. */
static int class_names(fl_prep *p, const fl_data *d)
{
	const char *meta = NAME(d->meta_name, "metadata");
	int64_t first = 0, last = fl_table_cols(d->meta);
	int32_t *seen;

	if (d->class_column) {
		if ((first = fl_table_find(d->meta, d->class_column)) < 0)
			return fl__error(FL_EINVAL, "%s: no column '%s' (class column)", meta,
					 d->class_column);
		last = first + 1;
	}
	if (!(seen = fl__malloc((size_t)p->n_classes * sizeof *seen, "class names")))
		return FL_ENOMEM;
	for (int64_t j = first; j < last; j++) {
		const int32_t *codes = fl_table_codes(d->meta, j);
		int ok = 1;

		if (!codes || fl_table_col_type(d->meta, j) != FL_COL_CATEGORICAL)
			continue;
		for (int32_t c = 0; c < p->n_classes; c++)
			seen[c] = -1;
		for (int64_t i = 0; i < d->n && ok; i++) {
			int32_t *s = &seen[d->labels[i]];

			ok = codes[i] >= 0 && (*s < 0 || *s == codes[i]);
			*s = codes[i];
		}
		if (ok) {
			p->class_col = j;
			p->class_names = fl__calloc((size_t)p->n_classes, sizeof *p->class_names,
						    "class names");
			for (int32_t c = 0; p->class_names && c < p->n_classes; c++)
				p->class_names[c] = seen[c] < 0 ? NULL : fl_table_level(d->meta, j, seen[c]);
			free(seen);
			return p->class_names ? 0 : FL_ENOMEM;
		}
		if (d->class_column) {
			free(seen);
			return fl__error(FL_EINVAL, "%s: column '%s' is not constant within each label",
					 meta, d->class_column);
		}
	}
	free(seen);
	return 0;
}

static int meta(fl_prep *p, const fl_data *d)
{
	const char *name = NAME(d->meta_name, "metadata");

	p->id_col = -1;
	if (!d->meta) {
		if (d->id_column || d->class_column)
			return fl__error(FL_EINVAL, "an id or class column needs metadata");
		return 0;
	}
	if (fl_table_rows(d->meta) != d->n)
		return fl__error(FL_ESHAPE, "%s has %lld rows, the other inputs %lld", name,
				 (long long)fl_table_rows(d->meta), (long long)d->n);
	if (d->id_column && (p->id_col = fl_table_find(d->meta, d->id_column)) < 0)
		return fl__error(FL_EINVAL, "%s: no column '%s' (id column)", name, d->id_column);
	return d->labels ? class_names(p, d) : 0;
}

/* A name for a derived column: `base`, or when another metadata column
 * than `at` (the one it replaces) has that name (theirs keeps it),
 * `base (faultline)`, `base (faultline 2)`, ... */
static void column_name(char *buf, size_t len, const fl_table *t, int64_t at, const char *base)
{
	int64_t c;

	snprintf(buf, len, "%s", base);
	for (int k = 1; (c = fl_table_find(t, buf)) >= 0 && c != at; k++)
		if (k == 1)
			snprintf(buf, len, "%s (faultline)", base);
		else
			snprintf(buf, len, "%s (faultline %d)", base, k);
}

/* The level text of each class: its name when known and no other class
 * has it, else "NAME (class C)", or "C" without a name. *distinct: every
 * class with a name has its own. */
static int class_levels(char ***out, int *distinct, const fl_prep *p)
{
	char **lev = fl__calloc((size_t)p->n_classes, sizeof *lev, "class names");
	fl_strbuf b = {0};

	*out = lev;
	*distinct = 1;
	for (int32_t c = 0; lev && c < p->n_classes; c++) {
		const char *name = p->class_names ? p->class_names[c] : NULL;
		int shared = 0;

		for (int32_t e = 0; name && e < p->n_classes && !shared; e++) {
			const char *other = p->class_names[e];
			char num[24];

			snprintf(num, sizeof num, "%d", (int)e);
			shared = e != c && ((other && !strcmp(other, name)) || (!other && !strcmp(num, name)));
			*distinct &= !(e != c && other && !strcmp(other, name));
		}
		if (!name)
			fl__sb_printf(&b, "%d", (int)c);
		else if (shared)
			fl__sb_printf(&b, "%s (class %d)", name, (int)c);
		else
			fl__sb_printf(&b, "%s", name);
		if (!(lev[c] = fl__sb_finish(&b, "class names")))
			return FL_ENOMEM;
		memset(&b, 0, sizeof b);
	}
	return lev ? 0 : FL_ENOMEM;
}

/* The table the predicate search sees: the metadata (or, without any, no
 * column) with, when labels are given, each row's true class as column
 * "label" and its predicted class as column "predicted" (level code =
 * class): without metadata the search still finds a class or a predicted
 * class that fails, the cause most clusters of a view are parts of. The class-name column
 * (which names each class) is the true class: "label" takes its place
 * (when it names every class differently), so the search neither repeats
 * it nor pairs it with "predicted" (a cell of the confusion matrix).
 * Derived from the inputs, so `faultline apply` applies their specs to its
 * labels and predictions (fl_spec_data). */
static int search_table(fl_prep *p, const fl_data *d)
{
	char name[256], **lev = NULL;
	int32_t *codes = NULL;
	int64_t at;
	int rc, distinct;

	p->table = d->meta;
	if (!p->labels || !p->preds || p->n_classes < 1)
		return 0;
	if ((rc = class_levels(&lev, &distinct, p)) ||
	    !(codes = fl__malloc((size_t)d->n * sizeof *codes, "class column"))) {
		rc = rc ? rc : FL_ENOMEM;
		goto cleanup;
	}
	at = p->class_col >= 0 && p->class_col != p->id_col && distinct ? p->class_col
								       : fl_table_cols(d->meta);
	for (int64_t i = 0; i < d->n; i++)
		codes[i] = (int32_t)p->labels[i];
	column_name(name, sizeof name, d->meta, at, "label");
	if ((rc = fl_table_with_categorical(&p->with_label, d->meta, at, name, "label", codes, d->n,
					    (const char *const *)lev, p->n_classes)))
		goto cleanup;
	for (int64_t i = 0; i < d->n; i++)
		codes[i] = (int32_t)p->preds[i];
	at = fl_table_cols(p->with_label);
	column_name(name, sizeof name, p->with_label, at, "predicted");
	if ((rc = fl_table_with_categorical(&p->with_pred, p->with_label, at, name, "predicted", codes,
					    d->n, (const char *const *)lev, p->n_classes)))
		goto cleanup;
	p->table = p->with_pred;
cleanup:
	for (int32_t c = 0; lev && c < p->n_classes; c++)
		free(lev[c]);
	free(lev);
	free(codes);
	return rc;
}

/* The largest |value| of an embedding: beyond it, squared distances and
 * covariances summed in float32 blocks (k-means, PCA) overflow to Inf. */
#define VIEW_MAX_ABS 1e15

/* Are the n x dim values of x all finite and at most VIEW_MAX_ABS in
 * magnitude? One pass on up to `threads` threads, in fixed blocks, testing
 * |x| on its bits (NaN and Inf are above every finite magnitude), so that
 * the loop vectorises and has no exit. It is the first touch of a mapped
 * view: two threads fault its pages in about twice as fast as one (0.46 ->
 * 0.19 s for 390 MB on the 2-core VM), and the two tests were two scalar
 * passes. */
#define CHECK_BLOCK 65536

static int view_in_range(const float *x, int64_t len, int32_t threads)
{
	int64_t n_blocks = (len + CHECK_BLOCK - 1) / CHECK_BLOCK;
	float top = (float)VIEW_MAX_ABS;
	uint32_t lim, bad = 0;

	if ((double)top > VIEW_MAX_ABS)
		top = nextafterf(top, 0.0f);
	memcpy(&lim, &top, sizeof lim);
#pragma omp parallel for num_threads(threads > 0 ? threads : omp_get_max_threads()) \
	schedule(static) reduction(| : bad) if (n_blocks > 1)
	for (int64_t b = 0; b < n_blocks; b++) {
		int64_t i1 = (b + 1) * CHECK_BLOCK < len ? (b + 1) * CHECK_BLOCK : len;
		uint32_t any = 0;

#pragma omp simd reduction(| : any)
		for (int64_t i = b * CHECK_BLOCK; i < i1; i++) {
			uint32_t u;

			memcpy(&u, x + i, sizeof u);
			any |= (u & 0x7fffffffu) > lim;
		}
		bad |= any;
	}
	return !bad;
}

static int views(const fl_data *d, int32_t threads)
{
	for (int32_t v = 0; v < d->n_views; v++) {
		const fl_view *w = &d->views[v];
		const char *src = NAME(w->source, w->name);
		int64_t i0, i1, bad;

		if (!w->name || !w->name[0] || strlen(w->name) > 63)
			return fl__error(FL_EINVAL, "view %d: a name of 1-63 bytes is needed", (int)v);
		if (w->dim < 1)
			return fl__error(FL_EINVAL, "%s: view %s has no columns", src, w->name);
		if (!w->x)
			return fl__error(FL_EINVAL, "%s: view %s has no data", src, w->name);
		for (int32_t u = 0; u < v; u++)
			if (strcmp(d->views[u].name, w->name) == 0)
				return fl__error(FL_EINVAL, "view name '%s' given twice", w->name);
		/* several ranks: each tests its own rows; a bad value on any, and
		 * every rank looks for the first (the same message) */
		i0 = 0;
		i1 = d->n;
		if (fl__comm_ranks() > 1)
			fl__comm_rows(&i0, &i1);
		bad = !view_in_range(w->x + i0 * w->dim, (i1 - i0) * w->dim, threads);
		fl__comm_max_i64(&bad, 1);
		if (!bad)
			continue;
		/* a bad value: the first in row order that is not finite, else the
		 * first too large, named; several ranks: each looks in its own
		 * rows, the first of all is named by every rank */
		int64_t first[2] = {-INT64_MAX, -INT64_MAX}, at;
		double value = 0;

		for (int64_t i = i0 * w->dim; i < i1 * w->dim && first[0] == -INT64_MAX; i++)
			if (!isfinite(w->x[i]))
				first[0] = -i; /* negated: the ranks agree on the max */
		for (int64_t i = i0 * w->dim; i < i1 * w->dim && first[1] == -INT64_MAX; i++)
			if (isfinite(w->x[i]) && fabsf(w->x[i]) > VIEW_MAX_ABS)
				first[1] = -i;
		fl__comm_max_i64(first, 2);
		at = first[0] != -INT64_MAX ? -first[0] : -first[1];
		if (at >= i0 * w->dim && at < i1 * w->dim)
			value = w->x[at]; /* its owner's; the others add 0 */
		fl__comm_sum_f64(&value, 1);
		if (first[0] != -INT64_MAX)
			return fl__error(FL_ERANGE, "%s: row %lld, column %lld: value is %s", src,
					 (long long)(at / w->dim), (long long)(at % w->dim),
					 isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf");
		return fl__error(FL_ERANGE, "%s: row %lld, column %lld: %.6g is too large for an "
				 "embedding (at most %g in magnitude): rescale view %s", src,
				 (long long)(at / w->dim), (long long)(at % w->dim), value,
				 VIEW_MAX_ABS, w->name);
	}
	return 0;
}

/* The input that names the data in messages: the first one given. */
const char *fl_pipeline__data_name(const fl_data *d)
{
	return d->labels_name ? d->labels_name : d->probs_name ? d->probs_name :
	       d->preds_name ? d->preds_name : d->failure_name ? d->failure_name :
	       d->n_views > 0 && d->views ? NAME(d->views[0].source, d->views[0].name) :
	       d->meta_name ? d->meta_name : "the data";
}

int fl_pipeline__prepare(fl_prep *p, const fl_data *d, fl_failure_kind kind, int want_failure,
			 int32_t threads)
{
	int rc;

	memset(p, 0, sizeof *p);
	p->id_col = -1;
	p->class_col = -1;
	if (!d || d->version != FL_DATA_VERSION)
		return fl__error(FL_EINVAL, "data: version %d, this library knows %d",
				 d ? d->version : -1, FL_DATA_VERSION);
	if (d->n < 1)
		return fl__error(FL_EINVAL, "%s: no rows", fl_pipeline__data_name(d));
	if (d->n_views < 0 || (d->n_views > 0 && !d->views) || d->n_phrases < 0)
		return fl__error(FL_EINVAL, "data: %d views, %d phrases, views %s", (int)d->n_views,
				 (int)d->n_phrases, d->views ? "given" : "missing");
	p->n = d->n;
	if ((rc = outputs(p, d)) || (want_failure && (rc = failure(p, d, kind))) ||
	    (rc = meta(p, d)) || (rc = views(d, threads)) || (rc = search_table(p, d)))
		return rc;
	return 0;
}

int fl_pipeline__spec_data(fl_spec_data *sd, fl_spec_view **sv, const fl_prep *p,
			   const fl_data *d, const char *base_dir)
{
	fl_spec_data init = FL_SPEC_DATA_INIT;

	*sd = init;
	if (!(*sv = fl__calloc((size_t)d->n_views + 1, sizeof **sv, "views")))
		return FL_ENOMEM;
	for (int32_t v = 0; v < d->n_views; v++)
		(*sv)[v] = (fl_spec_view){d->views[v].name, d->views[v].x, d->views[v].dim};
	sd->n = p->n;
	sd->views = *sv;
	sd->n_views = d->n_views;
	sd->table = d->meta;
	sd->labels = p->labels;
	sd->preds = p->preds;
	sd->probs = p->probs;
	sd->n_classes = p->n_classes;
	sd->base_dir = base_dir;
	return 0;
}

int fl_pipeline__report_views(fl_report *r, const fl_prep *p, const fl_data *d,
			      const fl_saved_report *saved, int allow_drift)
{
	int rc = 0;

	for (int32_t v = 0; rc == 0 && v < d->n_views; v++) {
		const fl_view_print *was = saved ? fl_spec__saved_view(saved, d->views[v].name) : NULL;
		fl_view_print now = {0};
		char *json = NULL;

		if ((rc = fl_report_add_view(r, d->views[v].name, d->views[v].dim,
					     d->views[v].source ? d->views[v].source
								: d->views[v].name)) ||
		    (rc = fl_pipeline__view_print(&now, p, d, v)) == 0) {
			if (was && !allow_drift && was->dim == now.dim)
				rc = fl_pipeline__view_check(was, &now, p, d, v);
			if (rc == 0 && !(json = fl_pipeline__view_print_json(&now)))
				rc = FL_ENOMEM;
		}
		fl_view_print_clear(&now);
		if (json)
			fl_report__set_view_print(r, r->n_views - 1, json);
	}
	return rc;
}
