/*
 * A view reduced once for all its methods (fl_pca__reduce, fl_lift): the
 * reduction against a slow projection; the rules k-means and the failure
 * direction find in the reduced space, stated in the view's coordinates,
 * select on the raw view exactly the rows the method reported; the
 * mixture on the shared PCA gives the bits of fitting its own; the
 * planted slices are still found; a mixture spec applied with the codes of
 * its rows (the screened assignment) selects what it selects projecting
 * every row.
 */
#include "check.h"
#include "faultline.h"
#include "planted.h"
#include "cluster/kmeans_internal.h"
#include "direction/direction_internal.h"
#include "mixture/mixture_internal.h"
#include "spec/spec_internal.h"

#define R 16

/* The rows spec selects in view "emb" = x (n x d); NULL on error. */
static uint8_t *selected(const char *spec, const float *x, int64_t d, const fl_synth *s)
{
	fl_spec_view view = {"emb", x, d};
	fl_spec_data sd = FL_SPEC_DATA_INIT;
	uint8_t *sel = malloc((size_t)s->n);

	sd.n = s->n;
	sd.views = &view;
	sd.n_views = 1;
	sd.labels = s->labels;
	sd.n_classes = s->n_classes;
	if (sel && fl_spec_apply(sel, spec, &sd, NULL, s->n) != 0) {
		free(sel);
		return NULL;
	}
	return sel;
}

/* The rows c's spec selects on the raw view are its members but for at
 * most 1% of them: the method measured distances on the 8-bit codes, the
 * rule measures them on the rows (a row on a boundary may fall either way) */
static int spec_selects_members(const fl_candidate *c, const fl_synth *s)
{
	uint8_t *sel = selected(c->spec_json, s->emb, s->d, s), *mem = calloc((size_t)s->n, 1);
	int64_t differ = 0;

	for (int64_t k = 0; sel && mem && k < c->n_members; k++)
		mem[c->members[k]] = 1;
	for (int64_t i = 0; sel && mem && i < s->n; i++)
		differ += sel[i] != mem[i];
	printf("k-means cluster of %lld rows: the rule on the raw view differs in %lld\n",
	       (long long)c->n_members, (long long)differ);
	free(sel);
	free(mem);
	return sel && mem && differ <= c->n_members / 100;
}

/* spec a on the raw view selects the rows spec b selects on the exact
 * projection z, but for at most one row: a direction's threshold is the
 * score of its last row, which rounding may leave on either side of it */
static int same_selection(const char *a, const char *b, const float *z, const fl_synth *s)
{
	uint8_t *sa = selected(a, s->emb, s->d, s), *sb = selected(b, z, R, s);
	int64_t differ = 0, in = 0;

	for (int64_t i = 0; sa && sb && i < s->n; i++) {
		differ += sa[i] != sb[i];
		in += sb[i];
	}
	printf("direction rule: %lld rows in the reduced view, %lld differ in the raw one\n",
	       (long long)in, (long long)differ);
	free(sa);
	free(sb);
	return sa && sb && in > 0 && differ <= 1;
}

/* every planted slice found (precision@10 >= 0.8, Jaccard >= 0.8) */
static int planted_found(const fl_synth *s, const fl_candidate *c, int32_t nc)
{
	int ok = 1;

	for (int32_t j = 0; j < s->n_slices; j++) {
		recovery r = recover(s, j, c, nc);
		ok &= r.p10 >= 0.8 && r.jaccard >= 0.8;
	}
	return ok;
}

/* Mixture specs applied to every row with the codes of the rows (the
 * screened assignment: most rows decided on their codes) select what they
 * select projecting every row; also through a row subset; also with codes
 * not written yet, which the first spec writes from its projection of every
 * row (and a later cache then reads); and the codes leave some rows to
 * project, decide most. */
static void screened_specs(const fl_candidate *c, int32_t nc, const fl_synth *s, const fl_pca *p,
			   const fl_mx_codes *codes)
{
	fl_spec_view view = {"emb", s->emb, s->d};
	fl_spec_data sd = FL_SPEC_DATA_INIT;
	uint8_t *plain = malloc((size_t)s->n), *fast = malloc((size_t)s->n), *sure = malloc((size_t)s->n);
	int32_t *assign = malloc((size_t)s->n * sizeof(int32_t));
	int64_t *rows = malloc((size_t)s->n * sizeof(int64_t)), m = 0, differ = 0, decided = 0;
	fl_pca lp = {0};
	fl_mixture mx = {0};

	sd.n = s->n;
	sd.views = &view;
	sd.n_views = 1;
	sd.base_dir = FL_TEST_TMP;
	for (int64_t i = 0; i < s->n; i += 1 + i % 3) /* a subset: positions are not rows */
		rows[m++] = i;
	for (int pass = 0; pass < 3; pass++) {
		const int64_t *rw = pass ? rows : NULL;
		int64_t len = pass ? m : s->n;
		fl_spec_cache *cache = NULL;
		fl_mx_codes sub = {0};
		uint8_t ready = 0;

		/* the codes of the applied rows, position i at row i; the third
		 * pass leaves them to the first spec (zeros until then) */
		CHECK_RC(fl_mx_codes_alloc(&sub, len, R), 0);
		if (pass < 2) {
			CHECK_RC(fl_pca__reduce(p, s->emb, rw, len, s->d, 2, &sub, NULL) == 0 ? 0 : 1, 0);
		} else {
			int64_t groups = (len + FL_MX_QROWS - 1) / FL_MX_QROWS;

			memset(sub.code, 0, (size_t)(len * R));
			memset(sub.lo, 0, (size_t)(groups * R) * sizeof(float));
			memset(sub.step, 0, (size_t)(groups * R) * sizeof(float));
		}
		CHECK_RC(fl_spec__cache_reduced(&cache, &sd, rw, len,
						&(fl_spec_codes){"emb", p, pass ? &sub : codes,
								 pass == 2 ? &sub : NULL, &ready}), 0);
		for (int round = 0; round < (pass == 2 ? 2 : 1); round++) {
			if (round == 1) { /* written by the first mixture spec: a new cache reads them */
				CHECK_EQ_INT(ready, 1);
				CHECK_RC(fl_spec__cache_reduced(&cache, &sd, rw, len,
								&(fl_spec_codes){"emb", p, &sub, &sub,
										 &ready}), 0);
			}
			for (int32_t q = 0; q < nc; q++) {
				CHECK_RC(fl_spec_apply(plain, c[q].spec_json, &sd, rw, len), 0);
				CHECK_RC(fl_spec__apply_cached(fast, c[q].spec_json, &sd, rw, len, &cache), 0);
				for (int64_t i = 0; i < len; i++)
					differ += plain[i] != fast[i];
			}
			fl_spec__cache_free(cache);
			cache = NULL;
		}
		if (pass == 2) { /* the codes fl_pca__reduce writes, bit for bit */
			fl_mx_codes ref = {0};
			int64_t groups = (len + FL_MX_QROWS - 1) / FL_MX_QROWS;

			CHECK_RC(fl_mx_codes_alloc(&ref, len, R), 0);
			CHECK_RC(fl_pca__reduce(p, s->emb, rw, len, s->d, 2, &ref, NULL) == 0 ? 0 : 1, 0);
			CHECK(!memcmp(ref.code, sub.code, (size_t)(len * R)) &&
			      !memcmp(ref.lo, sub.lo, (size_t)(groups * R) * sizeof(float)) &&
			      !memcmp(ref.step, sub.step, (size_t)(groups * R) * sizeof(float)));
			fl_mx_codes_free(&ref);
			/* a fill that is not the codes, or has no flag: refused */
			CHECK_RC(fl_spec__cache_reduced(&cache, &sd, rw, len,
							&(fl_spec_codes){"emb", p, codes, &sub, &ready}),
				 FL_EINVAL);
			CHECK_RC(fl_spec__cache_reduced(&cache, &sd, rw, len,
							&(fl_spec_codes){"emb", p, &sub, &sub, NULL}),
				 FL_EINVAL);
		}
		fl_spec__cache_free(cache);
		fl_mx_codes_free(&sub);
	}
	CHECK_EQ_INT(differ, 0);
	/* the rows decided on their codes: most */
	CHECK_RC(fl_mixture_model_load(&lp, &mx, FL_TEST_TMP "/reduce_mixture.npz"), 0);
	mx.has_labels = mx.has_probs = 0;
	mx.failure = FL_MIXTURE_FAILURE_NONE;
	CHECK_RC(fl_mixture__assign_codes(assign, sure, &mx, codes, s->n, 2), 0);
	for (int64_t i = 0; i < s->n; i++)
		decided += sure[i];
	printf("mixture specs: %lld of %lld rows decided on their codes\n", (long long)decided,
	       (long long)s->n);
	CHECK(decided > s->n / 2 && decided < s->n);
	mx.has_labels = 1; /* the codes' assignment is the embedding's alone */
	CHECK_RC(fl_mixture__assign_codes(assign, sure, &mx, codes, s->n, 2), FL_EINVAL);
	mx.has_labels = 0;
	fl_pca_clear(&lp);
	fl_mixture_clear(&mx);
	free(plain);
	free(fast);
	free(sure);
	free(assign);
	free(rows);
}

static void test_reduce(uint64_t seed)
{
	fl_synth s;
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_pca_opts po = FL_PCA_OPTS_INIT;
	fl_discover_mixture_opts mo = FL_DISCOVER_MIXTURE_OPTS_INIT;
	fl_discover_kmeans_opts ko = FL_DISCOVER_KMEANS_OPTS_INIT;
	fl_direction_opts dopt = FL_DIRECTION_OPTS_INIT;
	fl_failure_summary *sum = NULL;
	fl_pca p = {0};
	fl_candidate *c = NULL, *c2 = NULL;
	int32_t nc = 0, nc2 = 0;
	int ok = 1;

	so.seed = seed;
	so.d = 64;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	double *f = error_signal(&s);
	float *res2 = malloc((size_t)s.n * sizeof(float));
	float *z = malloc((size_t)s.n * R * sizeof(float));  /* the codes, decoded */
	float *zx = malloc((size_t)s.n * R * sizeof(float)); /* the exact projection */
	fl_mx_codes codes;
	CHECK_RC(fl_failure_summary_new(&sum, f, s.n), 0);
	CHECK_RC(fl_mx_codes_alloc(&codes, s.n, R), 0);

	/* the mixture's own PCA, as the pipeline fits it */
	po.n_components = R;
	po.max_rows = mo.pca_rows;
	po.seed = seed;
	CHECK_RC(fl_pca__fit(&p, s.emb, NULL, s.n, s.d, s.d, &po), 0);
	CHECK(p.r == R && p.d == s.d);
	CHECK_RC(fl_pca__reduce(&p, s.emb, NULL, s.n, s.d, 2, &codes, res2), 0);
	for (int64_t i = 0; i < s.n; i++) { /* slow: z = C (x - mean), res2 = |x - mean|^2 - |z|^2 */
		double all = 0, in = 0;
		fl_mx_codes_row(&codes, i, z + i * R);
		for (int64_t j = 0; j < s.d; j++) {
			double u = (double)s.emb[i * s.d + j] - p.mean[j];
			all += u * u;
		}
		for (int64_t t = 0; t < R; t++) {
			double v = 0, half_step = codes.step[i / FL_MX_QROWS * R + t] / 2;
			for (int64_t j = 0; j < s.d; j++)
				v += ((double)s.emb[i * s.d + j] - p.mean[j]) * p.components[t * s.d + j];
			ok &= fabs(v - z[i * R + t]) <= half_step + 1e-4 * (1 + sqrt(all));
			zx[i * R + t] = (float)v;
			in += v * v;
		}
		ok &= fabs((all - in) - res2[i]) <= 1e-4 * (1 + all) && res2[i] >= 0;
	}
	CHECK(ok);
	fl_lift lift = {&p, &codes, res2};

	/* k-means: clustered in R dimensions, rules in 64 */
	ko.seed = seed;
	CHECK_RC(fl__discover_kmeans(&c, &nc, NULL, s.n, R, R, "emb", sum, f, &ko, &lift), 0);
	CHECK(nc >= s.n_slices && planted_found(&s, c, nc));
	for (int32_t q = 0; q < nc; q++)
		CHECK(c[q].dim == s.d && spec_selects_members(&c[q], &s));
	free_candidates(c, nc);
	ko.normalize = 1; /* unit rows are not what the PCA describes */
	CHECK_RC(fl__discover_kmeans(&c, &nc, NULL, s.n, R, R, "emb", sum, f, &ko, &lift),
		 FL_EINVAL);

	/* the failure direction: fitted on the codes as on their decoded
	 * rows, and a linear score stays linear (its rule in 64 dimensions
	 * selects what the same rule in R selects on the exact projection; its
	 * members are cross-fitted, not the rule's: the pipeline settles them) */
	dopt.seed = seed;
	CHECK_RC(fl__discover_direction(&c, &nc, NULL, s.n, R, R, "emb", s.labels, s.n_classes, sum,
					f, &dopt, &lift), 0);
	CHECK_RC(fl__discover_direction(&c2, &nc2, z, s.n, R, R, "emb", s.labels, s.n_classes, sum,
					f, &dopt, NULL), 0);
	CHECK(nc == 1 && nc2 == 1);
	for (int32_t q = 0; q < nc && q < nc2; q++)
		CHECK(c[q].n_members == c2[q].n_members &&
		      !memcmp(c[q].members, c2[q].members, (size_t)c[q].n_members * sizeof(int64_t)));
	for (int32_t q = 0; q < nc && q < nc2; q++)
		CHECK(same_selection(c[q].spec_json, c2[q].spec_json, zx, &s));
	free_candidates(c, nc);
	free_candidates(c2, nc2);
	dopt.normalize = 1;
	CHECK_RC(fl__discover_direction(&c, &nc, NULL, s.n, R, R, "emb", s.labels, s.n_classes, sum,
					f, &dopt, &lift), FL_EINVAL);

	/* the mixture: the shared PCA is the one it fits, its codes the same */
	mo.pca_dims = R;
	mo.seed = seed;
	mo.model_path = FL_TEST_TMP "/reduce_mixture.npz";
	CHECK_RC(fl_discover_mixture(&c, &nc, s.emb, s.n, s.d, s.d, "emb", s.labels, s.probs,
				     s.n_classes, sum, f, &mo), 0);
	CHECK_RC(fl__discover_mixture(&c2, &nc2, NULL, s.n, R, R, "emb", s.labels, s.probs, NULL,
				      s.n_classes, sum, f, &mo, &lift), 0);
	CHECK(nc > 0 && same_candidates(c, nc, c2, nc2));
	for (int32_t q = 0; q < nc && q < nc2; q++)
		CHECK(c2[q].dim == s.d && !memcmp(c[q].centroid, c2[q].centroid,
						 (size_t)s.d * sizeof(float)));
	screened_specs(c2, nc2, &s, &p, &codes);
	free_candidates(c, nc);
	free_candidates(c2, nc2);

	fl_pca_clear(&p);
	fl_mx_codes_free(&codes);
	fl_failure_summary_free(sum);
	free(z);
	free(zx);
	free(res2);
	free(f);
	fl_synth_clear(&s);
}

int main(void)
{
	test_reduce(1);
	test_reduce(2);
	test_reduce(3);
	return check_done();
}
