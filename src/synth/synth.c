/*
 * Synthetic evaluation sets with planted failing slices (the model of
 * faultline/synth.h): class blobs, a background error rate, and tight
 * sub-clusters with an elevated error rate, either a fixed confusion or
 * symmetric label noise. The planted slices play the role of dcbench's
 * "rare" and "noisy-label" slices (Eyuboglu et al., ICLR 2022) with a known
 * ground truth, so discovery methods can be scored by precision@10 and
 * Jaccard without real data.
 */
#include "common/internal.h"

#include <math.h>
#include <string.h>

enum { STREAM_CENTRES = 1, STREAM_SHUFFLE = 2, STREAM_ROWS = 3 };

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
	memset(s, 0, sizeof *s);
}

static int check_opts(const fl_synth_opts *o, int64_t per_slice)
{
	size_t sz;

	if (o->version != FL_SYNTH_OPTS_VERSION || o->n < 1 || o->d < 1 || o->n_classes < 2 ||
	    o->n_slices < 0 || !(o->slice_frac >= 0 && o->slice_frac <= 1) ||
	    !(o->base_error >= 0 && o->base_error <= 1) ||
	    !(o->slice_error >= 0 && o->slice_error <= 1) ||
	    !(o->separation >= 0 && o->separation < HUGE_VAL) ||
	    !(o->slice_spread >= 0 && o->slice_spread < HUGE_VAL) ||
	    !(o->confidence > 1.0 / o->n_classes && o->confidence <= 1))
		return fl__error(FL_EINVAL, "fl_synth_generate: invalid options (version=%d, n=%lld, "
				 "d=%lld, n_classes=%d, n_slices=%d, slice_frac=%g, base_error=%g, "
				 "slice_error=%g, separation=%g, slice_spread=%g, confidence=%g)",
				 o->version, (long long)o->n, (long long)o->d, o->n_classes,
				 o->n_slices, o->slice_frac, o->base_error, o->slice_error,
				 o->separation, o->slice_spread, o->confidence);
	if (per_slice * o->n_slices > o->n)
		return fl__error(FL_EINVAL, "fl_synth_generate: %d slices of %lld rows exceed n=%lld",
				 o->n_slices, (long long)per_slice, (long long)o->n);
	if (fl__mul_size((size_t)o->n, (size_t)o->d * sizeof(float), &sz) ||
	    fl__mul_size((size_t)o->n, (size_t)o->n_classes * sizeof(float), &sz))
		return fl__error(FL_EINVAL, "fl_synth_generate: n=%lld rows too large", (long long)o->n);
	return 0;
}

/* a class drawn uniformly among the n_classes - 1 others than `c` */
static int64_t other_class(fl_rng *r, int64_t c, int32_t n_classes)
{
	return (c + 1 + (int64_t)fl__rng_below(r, (uint64_t)n_classes - 1)) % n_classes;
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
		return fl__error(FL_EINVAL, "fl_synth_generate: out is NULL");
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
	fl__rng_seed(&rng, o->seed, STREAM_CENTRES);
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
	fl__rng_seed(&rng, o->seed, STREAM_SHUFFLE);
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)fl__rng_below(&rng, (uint64_t)i + 1);
		int32_t t = out->truth[i];
		out->truth[i] = out->truth[j];
		out->truth[j] = t;
	}

	fl__rng_seed(&rng, o->seed, STREAM_ROWS);
	for (int64_t i = 0; i < n; i++) {
		int32_t j = out->truth[i];
		int64_t y, p;
		const double *mu;
		double noise = 1.0;
		int err;

		if (j < 0) {
			y = (int64_t)fl__rng_below(&rng, (uint64_t)C);
			mu = centres + y * d;
			err = fl__rng_uniform(&rng) < o->base_error;
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

cleanup:
	free(centres);
	free(scentres);
	free(wrong);
	free(home);
	if (rc)
		fl_synth_clear(out);
	return rc;
}
