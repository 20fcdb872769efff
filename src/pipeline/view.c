/*
 * What a report remembers of each view it was built on (fl_view_print,
 * spec_internal.h), and the check that `apply` and `check` make with it:
 * rules found in one model's embedding select nonsense in another model's
 * embedding of the same dimension (a 146-row slice became 1,527 rows), so
 * a view that does not look like the one the report was built on is
 * refused unless the caller allows it (fl_apply_opts.allow_view_drift).
 *
 * Looks like: per column, the mean and the standard deviation over
 * PRINT_ROWS rows spread evenly. New samples of the same model move a
 * column's mean by a fraction of its spread and keep the profile of means
 * and spreads across columns (the columns are the same features); another
 * model's columns are other features. Measured on the bundled example's
 * 64-d CNN embedding: its two halves agree at correlation 0.999 (means)
 * and 1.0 (spreads); one class alone, a drastic shift of the samples, at
 * 0.63 and 0.75; the 64-d embedding of another CNN trained on the same
 * images at 0.34 and 0.47; a random projection of the pixels, or the
 * columns shuffled, at about 0. A view is refused when the two
 * correlations average below DRIFT_CORR (with at least 8 columns), or when
 * the median column moved by more than DRIFT_SHIFT of its spread or
 * changed its spread DRIFT_SPREAD-fold. With ids, a few rows' first values
 * are kept too: the same id with other values is another embedding of the
 * same sample, refused whatever the statistics say.
 */
#include "pipeline_internal.h"
#include "spec/spec_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PRINT_ROWS 10000
#define PRINT_IDS 4
#define PRINT_VALUES 16
#define DRIFT_CORR 0.55
#define DRIFT_SHIFT 1.5
#define DRIFT_SPREAD 4.0

int fl_pipeline__view_print(fl_view_print *out, const fl_prep *p, const fl_data *d, int32_t v)
{
	const float *x = d->views[v].x;
	int64_t n = p->n, dim = d->views[v].dim, m = n < PRINT_ROWS ? n : PRINT_ROWS;
	int64_t *at = fl__malloc((size_t)(m ? m : 1) * sizeof *at, "view fingerprint");
	float *rows = fl__malloc((size_t)((m ? m : 1) * dim) * sizeof(float), "view fingerprint");
	int rc = at && rows ? 0 : FL_ENOMEM;

	memset(out, 0, sizeof *out);
	out->dim = dim;
	out->rows = m;
	out->name = fl__strdup(d->views[v].name);
	out->mean = fl__calloc((size_t)dim, sizeof(double), "view fingerprint");
	out->sd = fl__calloc((size_t)dim, sizeof(double), "view fingerprint");
	if (!out->name || !out->mean || !out->sd)
		rc = FL_ENOMEM;
	for (int64_t k = 0; rc == 0 && k < m; k++) /* rows k n / m: spread evenly, the first included */
		at[k] = (int64_t)((double)k * (double)n / (double)m);
	/* with several ranks, the owners of the rows read them */
	if ((rc = fl__comm_agree(rc)) != 0 || (rc = fl__comm_fetch_rows(rows, x, dim, dim, at, m)))
		goto cleanup;
	for (int64_t k = 0; k < m; k++)
		for (int64_t j = 0; j < dim; j++)
			out->mean[j] += rows[k * dim + j];
	for (int64_t j = 0; j < dim; j++)
		out->mean[j] /= (double)m;
	for (int64_t k = 0; k < m; k++)
		for (int64_t j = 0; j < dim; j++)
			out->sd[j] += (rows[k * dim + j] - out->mean[j]) *
				      (rows[k * dim + j] - out->mean[j]);
	for (int64_t j = 0; j < dim; j++)
		out->sd[j] = sqrt(out->sd[j] / (double)(m > 1 ? m - 1 : 1));
	if (p->id_col < 0 || !d->meta || n < 1)
		goto cleanup;
	out->n_ids = n < PRINT_IDS ? (int32_t)n : PRINT_IDS;
	out->n_values = dim < PRINT_VALUES ? (int32_t)dim : PRINT_VALUES;
	out->ids = fl__calloc((size_t)out->n_ids, sizeof(char *), "view fingerprint");
	out->values = fl__malloc((size_t)(out->n_ids * out->n_values) * sizeof(float),
				 "view fingerprint");
	rc = out->ids && out->values ? 0 : FL_ENOMEM;
	for (int32_t k = 0; rc == 0 && k < out->n_ids; k++) {
		at[k] = (int64_t)((double)k * (double)n / (double)out->n_ids);
		if (!(out->ids[k] = fl__strdup(fl_table_cell(d->meta, at[k], p->id_col))))
			rc = FL_ENOMEM;
	}
	if ((rc = fl__comm_agree(rc)) != 0 ||
	    (rc = fl__comm_fetch_rows(rows, x, dim, dim, at, out->n_ids)))
		goto cleanup;
	for (int32_t k = 0; k < out->n_ids; k++)
		memcpy(out->values + k * out->n_values, rows + k * dim,
		       (size_t)out->n_values * sizeof(float));
cleanup:
	free(at);
	free(rows);
	return rc;
}

char *fl_pipeline__view_print_json(const fl_view_print *f)
{
	fl_strbuf b = {0};

	fl__sb_printf(&b, "{\"rows\":%lld,\"mean\":[", (long long)f->rows);
	for (int64_t j = 0; j < f->dim; j++)
		fl__sb_printf(&b, "%s%.6g", j ? "," : "", f->mean[j]);
	fl__sb_printf(&b, "],\"sd\":[");
	for (int64_t j = 0; j < f->dim; j++)
		fl__sb_printf(&b, "%s%.6g", j ? "," : "", f->sd[j]);
	fl__sb_printf(&b, "]");
	if (f->n_ids) {
		fl__sb_printf(&b, ",\"ids\":[");
		for (int32_t k = 0; k < f->n_ids; k++) {
			fl__sb_printf(&b, "%s{\"id\":", k ? "," : "");
			fl__sb_json_str(&b, f->ids[k]);
			fl__sb_printf(&b, ",\"values\":[");
			for (int32_t j = 0; j < f->n_values; j++)
				fl__sb_printf(&b, "%s%.9g", j ? "," : "",
					      (double)f->values[k * f->n_values + j]);
			fl__sb_printf(&b, "]}");
		}
		fl__sb_printf(&b, "]");
	}
	fl__sb_printf(&b, "}");
	return fl__sb_finish(&b, "view fingerprint");
}

/* Pearson's correlation of a and b (n values each); 1 when either is constant */
static double correlation(const double *a, const double *b, int64_t n)
{
	double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;

	for (int64_t j = 0; j < n; j++)
		ma += a[j] / (double)n, mb += b[j] / (double)n;
	for (int64_t j = 0; j < n; j++) {
		sab += (a[j] - ma) * (b[j] - mb);
		saa += (a[j] - ma) * (a[j] - ma);
		sbb += (b[j] - mb) * (b[j] - mb);
	}
	return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 1.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the median of v[0..n) (sorts v) */
static double median(double *v, int64_t n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int fl_pipeline__view_check(const fl_view_print *was, const fl_view_print *now,
			    const fl_prep *p, const fl_data *d, int32_t v)
{
	int64_t dim = now->dim;
	double *t = fl__malloc((size_t)dim * sizeof(double), "view fingerprint");
	double corr = 0, shift, spread, floor_sd = 1e-30;
	const char *src = d->views[v].source ? d->views[v].source : d->views[v].name;

	if (!t)
		return FL_ENOMEM;
	/* the same id with other values: another embedding of that sample */
	for (int32_t k = 0; p->id_col >= 0 && d->meta && k < was->n_ids; k++) {
		const float *kept = was->values + k * was->n_values, *row = NULL;
		int32_t j = 0;

		for (int64_t i = 0; i < p->n && !row; i++)
			if (strcmp(fl_table_cell(d->meta, i, p->id_col), was->ids[k]) == 0)
				row = d->views[v].x + i * dim;
		while (row && j < was->n_values &&
		       fabs(row[j] - kept[j]) <= 1e-3 * (was->sd[j] + fabs(kept[j])))
			j++;
		if (row && j < was->n_values) {
			free(t);
			return fl__error(FL_EINVAL, "%s: view %s: sample %s has other values than when "
					 "the report was made (column %d: %.6g, was %.6g): another "
					 "model's embedding? (--allow-view-drift to apply anyway)", src,
					 was->name, was->ids[k], j, row[j], (double)kept[j]);
		}
	}
	for (int64_t j = 0; j < dim; j++)
		t[j] = fabs(now->mean[j] - was->mean[j]) / (was->sd[j] > 0 ? was->sd[j] : 1e-30);
	shift = median(t, dim);
	for (int64_t j = 0; j < dim; j++) /* spreads floored at a thousandth of the typical one */
		floor_sd += was->sd[j] / (double)dim / 1000;
	for (int64_t j = 0; j < dim; j++)
		t[j] = fabs(log((now->sd[j] + floor_sd) / (was->sd[j] + floor_sd)));
	spread = exp(median(t, dim));
	free(t);
	if (dim >= 8)
		corr = (correlation(was->mean, now->mean, dim) + correlation(was->sd, now->sd, dim)) / 2;
	if ((dim >= 8 && corr < DRIFT_CORR) || shift > DRIFT_SHIFT || spread > DRIFT_SPREAD)
		return fl__error(FL_EINVAL, "%s: view %s does not look like the one this report was "
				 "built on (columns' means and spreads correlate at %.2f; the median "
				 "column moved %.2f sd, spread %.2fx): another model's embedding? "
				 "(--allow-view-drift to apply anyway)", src, was->name,
				 dim >= 8 ? corr : NAN, shift, spread);
	return 0;
}
