/*
 * Metadata descriptions of slices found in embeddings: which short
 * conjunction of predicates selects (mostly) the slice's members? The
 * predicate search answers it exactly when the target is membership (0/1):
 * its score favours predicates whose rows are mostly members, and among its
 * top candidates the one with the best F1 of precision and recall wins, so
 * the description neither covers a sliver of the slice nor the whole table.
 * Causes and their parts are described alike. A description fits when its
 * precision and recall both reach FIT (fl_report__explanation_fits); the
 * writers say plainly when none does rather than show a rule that
 * describes something else. The slices are described on the threads, a
 * search each (as many at once as SPARE_BYTES allows), each slice's
 * description its own: the same for any count.
 */
#include "report_internal.h"

#include <omp.h>
#include <string.h>

#define TOP 8
#define FIT 0.5
/* the searches on the threads beyond the first hold at most this much
 * scratch: a search holds about 64 bytes a row (the target, the build's
 * scratch and its bitsets), so at 10M rows one search runs at a time */
#define SPARE_BYTES (256.0 * 1048576)
#define SEARCH_BYTES_PER_ROW 64.0

int fl_report__explanation_fits(const fl_candidate *c)
{
	return c->explanation && c->explanation_precision >= FIT && c->explanation_recall >= FIT;
}

/* A slice's description, before it is stored. */
typedef struct {
	char *text; /* NULL: none found */
	double precision, recall;
} explanation;

static int describe_one(explanation *out, const fl_candidate *c, const fl_table *t, double *target,
			int64_t n, const fl_predicate_opts *base)
{
	fl_predicate_opts po = *base;
	fl_predicate_result *res = NULL;
	int64_t size = 0, *rows = NULL, n_rows = 0;
	double best_f1 = 0;
	int rc;

	memset(target, 0, (size_t)n * sizeof *target);
	for (int64_t k = 0; k < c->n_members; k++)
		target[c->members[k]] = 1;
	for (int64_t k = 0; k < c->n_holdout_members; k++)
		target[c->holdout_members[k]] = 1;
	for (int64_t i = 0; i < n; i++)
		size += target[i] > 0;
	if (size < 2)
		return FL_OK;
	po.min_support = size / 4 > 5 ? size / 4 : 5;
	if ((rc = fl_predicates_search(&res, t, target, &po)))
		return rc;
	for (int32_t s = 0; s < res->n_slices; s++) {
		double prec, rec, f1;
		int64_t hit = 0;

		free(rows);
		if ((rc = fl_predicate_slice_rows(&rows, &n_rows, res, s, t)))
			break;
		for (int64_t i = 0; i < n_rows; i++)
			hit += target[rows[i]] > 0;
		prec = n_rows ? (double)hit / (double)n_rows : 0;
		rec = (double)hit / (double)size;
		f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
		if (f1 > best_f1) {
			fl_strbuf b = {0};

			for (int32_t j = 0; j < res->slices[s].n_preds; j++)
				fl__sb_printf(&b, "%s%s", j ? " AND " : "",
					      res->preds[res->slices[s].preds[j]].text);
			free(out->text);
			if (!(out->text = fl__sb_finish(&b, "slice description"))) {
				rc = FL_ENOMEM;
				break;
			}
			best_f1 = f1;
			out->precision = prec;
			out->recall = rec;
		}
	}
	free(rows);
	fl_predicate_result_free(res);
	return rc;
}

/* The slices and their parts, one after another: slice s, then its parts. */
static fl_candidate *nth(fl_report *r, int32_t k)
{
	for (int32_t s = 0; s < r->n_slices; s++) {
		if (k == 0)
			return &r->slices[s];
		if (k <= r->slices[s].n_parts)
			return &r->slices[s].parts[k - 1];
		k -= 1 + r->slices[s].n_parts;
	}
	return NULL;
}

/* The descriptions are stored once every slice has one: a failure leaves
 * the report as it was (the first failing slice's error is returned). */
int fl_report__describe(fl_report *r, const fl_table *t, int64_t skip_col, int threads)
{
	fl_predicate_opts po = FL_PREDICATE_OPTS_INIT;
	explanation *ex;
	double *target;
	int32_t n = 0, *rcs;
	char (*why)[512];
	int rc = FL_OK;

	t = t ? t : r->table;
	if (!t || r->n_slices == 0)
		return FL_OK;
	if (fl_table_rows(t) != r->n)
		return fl__error(FL_ESHAPE, "describing slices: metadata has %lld rows, the report %lld",
				 (long long)fl_table_rows(t), (long long)r->n);
	po.max_level = 2;
	po.top = TOP;
	po.alpha = 0.99;
	po.label_with_predicted = 1; /* "label = Shirt AND predicted = T-shirt" describes members */
	po.skip_cols = &skip_col;
	po.n_skip = skip_col >= 0;
	for (int32_t s = 0; s < r->n_slices; s++)
		n += 1 + r->slices[s].n_parts;
	threads = threads > 0 ? threads : omp_get_max_threads();
	po.threads = threads / n > 1 ? threads / n : 1; /* the same result for any */
	threads = threads < n ? threads : n;
	if (threads > 1 + SPARE_BYTES / (SEARCH_BYTES_PER_ROW * (double)r->n))
		threads = 1 + (int)(SPARE_BYTES / (SEARCH_BYTES_PER_ROW * (double)r->n));
	target = fl__malloc((size_t)threads * (size_t)r->n * sizeof *target, "slice membership");
	ex = fl__calloc((size_t)n, sizeof *ex, "slice descriptions");
	rcs = fl__calloc((size_t)n, sizeof *rcs, "slice descriptions");
	why = fl__malloc((size_t)n * sizeof *why, "slice descriptions");
	if (!target || !ex || !rcs || !why) {
		free(target);
		free(ex);
		free(rcs);
		free(why);
		return FL_ENOMEM;
	}
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
	for (int32_t s = 0; s < n; s++) {
		const fl_candidate *c = nth(r, s);

		if (strcmp(c->method, "predicates") != 0 &&
		    (rcs[s] = describe_one(&ex[s], c, t, target + (size_t)omp_get_thread_num() * (size_t)r->n,
					   r->n, &po)))
			snprintf(why[s], sizeof why[s], "%s", fl_last_error());
	}
	for (int32_t s = 0; s < n && rc == FL_OK; s++)
		if ((rc = rcs[s]))
			fl__error(rc, "%s", why[s]);
	for (int32_t s = 0; s < n; s++) {
		fl_candidate *c = nth(r, s);

		if (rc || !ex[s].text) {
			free(ex[s].text);
			continue;
		}
		free(c->explanation);
		c->explanation = ex[s].text;
		c->explanation_precision = ex[s].precision;
		c->explanation_recall = ex[s].recall;
	}
	free(target);
	free(ex);
	free(rcs);
	free(why);
	return rc;
}

int fl_report_describe(fl_report *r, const fl_table *t, int64_t skip_col)
{
	return fl_report__describe(r, t, skip_col, 0);
}
