/*
 * Synthetic evaluation sets with planted failing slices (the model of
 * faultline/synth.h): class blobs, a background error rate, and tight
 * sub-clusters with an elevated error rate, either a fixed confusion or
 * symmetric label noise. The planted slices play the role of dcbench's
 * "rare" and "noisy-label" slices (Eyuboglu et al., ICLR 2022) with a known
 * ground truth, so discovery methods can be scored by precision@10 and
 * Jaccard without real data. Options add a second view, in which some
 * slices are clusters and others invisible, and metadata columns with a
 * planted conjunction that no embedding shows.
 */
#include "common/internal.h"

#include <math.h>
#include <string.h>

void fl_synth_clear(fl_synth *s)
{
	if (!s)
		return;
	free(s->emb);
	free(s->labels);
	free(s->preds);
	free(s->probs);
	free(s->truth);
	free(s->kinds);
	free(s->emb2);
	free(s->visible2);
	free(s->weather);
	free(s->camera);
	free(s->age);
	memset(s, 0, sizeof *s);
}

/* A rate or fraction in [0, 1] (NaN is not). */
static int check_unit(double x, const char *what)
{
	if (!(x >= 0 && x <= 1))
		return fl__error(FL_EINVAL, "%s %g is outside [0, 1]", what, x);
	return 0;
}

/* One message per option, naming it and its value. */
static int check_opts(const fl_synth_opts *o, int64_t per_slice)
{
	size_t sz;
	int rc;

	if (o->version != FL_SYNTH_OPTS_VERSION)
		return fl__error(FL_EINVAL, "synthetic data options of version %d; this library "
				 "knows %d", o->version, FL_SYNTH_OPTS_VERSION);
	if (o->n < 1 || o->d < 1 || o->n_classes < 2 || o->n_slices < 0 || o->d2 < 0)
		return fl__error(FL_EINVAL, "synthetic data needs n >= 1 samples, d >= 1 dimensions, "
				 "at least 2 classes, 0 or more slices and d2 >= 0 (got n=%lld, d=%lld, "
				 "%d classes, %d slices, d2=%lld)", (long long)o->n, (long long)o->d,
				 o->n_classes, o->n_slices, (long long)o->d2);
	if ((rc = check_unit(o->slice_frac, "slice fraction")) ||
	    (rc = check_unit(o->base_error, "base error rate")) ||
	    (rc = check_unit(o->slice_error, "slice error rate")))
		return rc;
	if (!(o->separation >= 0 && o->separation < HUGE_VAL) ||
	    !(o->slice_spread >= 0 && o->slice_spread < HUGE_VAL))
		return fl__error(FL_EINVAL, "class separation %g and slice spread %g must be finite "
				 "and >= 0", o->separation, o->slice_spread);
	if (!(o->confidence > 1.0 / o->n_classes && o->confidence <= 1))
		return fl__error(FL_EINVAL, "confidence %g is outside (1/%d, 1]", o->confidence,
				 o->n_classes);
	if (o->n_slices > 0 && per_slice < 1)
		return fl__error(FL_EINVAL, "slice fraction %g of %lld samples is less than one row "
				 "per slice", o->slice_frac, (long long)o->n);
	if (per_slice * o->n_slices > o->n)
		return fl__error(FL_EINVAL, "%d slices of %lld rows (slice fraction %g) exceed the "
				 "%lld samples", o->n_slices, (long long)per_slice, o->slice_frac,
				 (long long)o->n);
	if (fl__mul_size((size_t)o->n, (size_t)o->d * sizeof(float), &sz) ||
	    fl__mul_size((size_t)o->n, (size_t)o->n_classes * sizeof(float), &sz) ||
	    fl__mul_size((size_t)o->n, (size_t)(o->d2 ? o->d2 : o->d) * sizeof(float), &sz))
		return fl__error(FL_EINVAL, "%lld samples are too many to generate", (long long)o->n);
	return 0;
}

/* a class drawn uniformly among the n_classes - 1 others than `c` */
static int64_t other_class(fl_rng *r, int64_t c, int32_t n_classes)
{
	return (c + 1 + (int64_t)fl__rng_below(r, (uint64_t)n_classes - 1)) % n_classes;
}

/* index drawn from the cumulative probabilities cum[0..k), cum[k-1] = 1 */
static int32_t draw(fl_rng *r, const double *cum, int32_t k)
{
	double u = fl__rng_uniform(r);
	int32_t i = 0;

	while (i < k - 1 && u >= cum[i])
		i++;
	return i;
}

/* Metadata columns; background rows where weather = night AND camera = B
 * join the metadata slice (truth S), embedding-slice rows are redrawn until
 * the conjunction fails, so the slice is exactly the rows where it holds. */
static void gen_meta(fl_synth *out, uint64_t seed)
{
	static const double weather[] = {0.5, 0.8, 1.0}, camera[] = {0.4, 0.65, 1.0};
	fl_rng rng;

	fl__rng_seed(&rng, seed, FL_STREAM_SYNTH_META);
	for (int64_t i = 0; i < out->n; i++) {
		int32_t w, c;

		do {
			w = draw(&rng, weather, 3);
			c = draw(&rng, camera, 3);
		} while (out->truth[i] >= 0 && w == FL_SYNTH_NIGHT && c == FL_SYNTH_CAMERA_B);
		out->weather[i] = w;
		out->camera[i] = c;
		out->age[i] = 18 + (int32_t)fl__rng_below(&rng, 63);
		if (out->truth[i] < 0 && w == FL_SYNTH_NIGHT && c == FL_SYNTH_CAMERA_B)
			out->truth[i] = out->meta_slice;
	}
}

/* View 2: fresh class centres; slice j is a tight cluster again when
 * visible2[j], else its rows sit like background rows of their label. */
static int gen_view2(fl_synth *out, const fl_synth_opts *o, const int64_t *home)
{
	int64_t n = out->n, d2 = out->d2;
	int32_t C = out->n_classes, S = out->n_slices;
	double *centres, *scentres;
	fl_rng rng;

	centres = fl__malloc((size_t)C * (size_t)d2 * sizeof(double), "synthetic centres");
	scentres = fl__malloc((size_t)(S ? S : 1) * (size_t)d2 * sizeof(double), "synthetic centres");
	if (!centres || !scentres) {
		free(centres);
		free(scentres);
		return FL_ENOMEM;
	}
	fl__rng_seed(&rng, o->seed, FL_STREAM_SYNTH_VIEW2);
	for (int64_t l = 0; l < C * d2; l++)
		centres[l] = o->separation / sqrt((double)d2) * fl__rng_normal(&rng);
	for (int32_t j = 0; j < S; j++) {
		out->visible2[j] = j % 4 < 2;
		for (int64_t l = 0; l < d2; l++)
			scentres[j * d2 + l] = centres[home[j] * d2 + l] + fl__rng_normal(&rng);
	}
	for (int64_t i = 0; i < n; i++) {
		int32_t j = out->truth[i];
		int clustered = j >= 0 && j < S && out->visible2[j];
		const double *mu = clustered ? scentres + (int64_t)j * d2 : centres + out->labels[i] * d2;
		double noise = clustered ? o->slice_spread : 1.0;

		for (int64_t l = 0; l < d2; l++)
			out->emb2[i * d2 + l] = (float)(mu[l] + noise * fl__rng_normal(&rng));
	}
	free(centres);
	free(scentres);
	return 0;
}

int fl_synth_generate(fl_synth *out, const fl_synth_opts *opts)
{
	static const fl_synth_opts defaults = FL_SYNTH_OPTS_INIT;
	const fl_synth_opts *o = opts ? opts : &defaults;
	int64_t n = o->n, d = o->d, per_slice = 0, *wrong = NULL, *home = NULL;
	int32_t C = o->n_classes, S = o->n_slices;
	double *centres = NULL, *scentres = NULL;
	fl_rng rng;
	int rc;

	if (!out)
		return fl__error(FL_EINVAL, "nowhere to put the synthetic data (out is NULL)");
	memset(out, 0, sizeof *out);
	if (o->slice_frac >= 0 && o->slice_frac <= 1 && o->n > 0)
		per_slice = llround(o->slice_frac * (double)o->n);
	rc = check_opts(o, per_slice);
	if (rc)
		return rc;
	out->n = n;
	out->d = d;
	out->n_classes = C;
	out->n_slices = S;
	out->meta_slice = o->meta_slice ? S : -1;
	if (o->view2) {
		out->d2 = o->d2 ? o->d2 : d;
		out->emb2 = fl__malloc((size_t)(n * out->d2) * sizeof(float), "synthetic view 2");
		out->visible2 = fl__malloc((size_t)(S ? S : 1) * sizeof(int32_t), "synthetic slices");
		if (!out->emb2 || !out->visible2) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
	}
	if (o->meta_slice) {
		out->weather = fl__malloc((size_t)n * sizeof(int32_t), "synthetic metadata");
		out->camera = fl__malloc((size_t)n * sizeof(int32_t), "synthetic metadata");
		out->age = fl__malloc((size_t)n * sizeof(int32_t), "synthetic metadata");
		if (!out->weather || !out->camera || !out->age) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
	}
	out->emb = fl__malloc((size_t)(n * d) * sizeof(float), "synthetic embeddings");
	out->labels = fl__malloc((size_t)n * sizeof(int64_t), "synthetic labels");
	out->preds = fl__malloc((size_t)n * sizeof(int64_t), "synthetic predictions");
	out->probs = fl__malloc((size_t)n * (size_t)C * sizeof(float), "synthetic probabilities");
	out->truth = fl__malloc((size_t)n * sizeof(int32_t), "synthetic truth");
	out->kinds = fl__malloc((size_t)S * sizeof(int32_t), "synthetic slice kinds");
	centres = fl__malloc((size_t)C * (size_t)d * sizeof(double), "synthetic centres");
	scentres = fl__malloc((size_t)S * (size_t)d * sizeof(double), "synthetic centres");
	wrong = fl__malloc((size_t)S * sizeof(int64_t), "synthetic slices");
	home = fl__malloc((size_t)S * sizeof(int64_t), "synthetic slices");
	if (!out->emb || !out->labels || !out->preds || !out->probs || !out->truth ||
	    !out->kinds || !centres || !scentres || !wrong || !home) {
		rc = FL_ENOMEM;
		goto cleanup;
	}

	/* Class centres with per-coordinate sd separation / sqrt(d): two of
	 * them lie about separation * sqrt(2) noise units apart, so classes are
	 * separable along the line joining them whatever d. A slice sits at a
	 * typical point of its home class (centre + unit noise) and has its own
	 * fixed wrong class for confusions. */
	fl__rng_seed(&rng, o->seed, FL_STREAM_SYNTH_CENTRES);
	for (int64_t l = 0; l < C * d; l++)
		centres[l] = o->separation / sqrt((double)d) * fl__rng_normal(&rng);
	for (int32_t j = 0; j < S; j++) {
		home[j] = j % C;
		wrong[j] = other_class(&rng, home[j], C);
		out->kinds[j] = o->symmetric && j % 2 ? FL_SYNTH_SYMMETRIC : FL_SYNTH_CONFUSION;
		for (int64_t l = 0; l < d; l++)
			scentres[j * d + l] = centres[home[j] * d + l] + fl__rng_normal(&rng);
	}

	/* which rows are planted: per_slice rows per slice, at random positions */
	for (int64_t i = 0; i < n; i++)
		out->truth[i] = i < per_slice * S ? (int32_t)(i / per_slice) : -1;
	fl__rng_seed(&rng, o->seed, FL_STREAM_SYNTH_SHUFFLE);
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)fl__rng_below(&rng, (uint64_t)i + 1);
		int32_t t = out->truth[i];
		out->truth[i] = out->truth[j];
		out->truth[j] = t;
	}
	if (o->meta_slice)
		gen_meta(out, o->seed);

	fl__rng_seed(&rng, o->seed, FL_STREAM_SYNTH_ROWS);
	for (int64_t i = 0; i < n; i++) {
		int32_t j = out->truth[i];
		int64_t y, p;
		const double *mu;
		double noise = 1.0;
		int err;

		if (j < 0 || j == S) {
			/* background, or the metadata slice: nothing in the embedding */
			y = (int64_t)fl__rng_below(&rng, (uint64_t)C);
			mu = centres + y * d;
			err = fl__rng_uniform(&rng) < (j < 0 ? o->base_error : o->slice_error);
			p = err ? other_class(&rng, y, C) : y;
		} else if (out->kinds[j] == FL_SYNTH_CONFUSION) {
			y = home[j];
			mu = scentres + (int64_t)j * d;
			noise = o->slice_spread;
			err = fl__rng_uniform(&rng) < o->slice_error;
			p = err ? wrong[j] : y;
		} else {
			/* label uniform, and an error moves the prediction uniformly
			 * too: both marginals stay uniform, no confusion to see */
			y = (int64_t)fl__rng_below(&rng, (uint64_t)C);
			mu = scentres + (int64_t)j * d;
			noise = o->slice_spread;
			err = fl__rng_uniform(&rng) < o->slice_error;
			p = err ? other_class(&rng, y, C) : y;
		}
		out->labels[i] = y;
		out->preds[i] = p;
		for (int64_t l = 0; l < d; l++)
			out->emb[i * d + l] = (float)(mu[l] + noise * fl__rng_normal(&rng));
		for (int32_t c = 0; c < C; c++)
			out->probs[i * C + c] = (float)(c == p ? o->confidence
							       : (1 - o->confidence) / (C - 1));
	}
	if (o->view2)
		rc = gen_view2(out, o, home);

cleanup:
	free(centres);
	free(scentres);
	free(wrong);
	free(home);
	if (rc)
		fl_synth_clear(out);
	return rc;
}
