/* Fuzz target: fl_mixture_model_load on an arbitrary .npz, then what a
 * mixture_component spec does with the model (src/spec/mixture.c): its
 * fingerprint, a projection of a few fixed rows and their responsibilities
 * given the embedding alone, and given every term the model has. */
#include "fuzz_common.h"

enum { ROWS = 5 };

static void use(const fl_pca *pca, const fl_mixture *m)
{
	char hex[17];
	float *x, *z, *resp;
	int32_t assign[ROWS];
	int64_t labels[ROWS];
	float *probs = NULL;
	double failure[ROWS], objective = 0;
	fl_mixture embed_only = *m;

	fl_mixture_model_fingerprint(hex, pca, m);
	fuzz_sink = (double)strlen(hex);
	if (pca->d > 4096 || pca->r > 4096 || m->k > 4096 || m->n_classes > 4096)
		return; /* a valid model, but too large to use quickly */
	x = malloc((size_t)(ROWS * pca->d) * sizeof *x);
	z = malloc((size_t)(ROWS * pca->r) * sizeof *z);
	resp = malloc((size_t)ROWS * (size_t)m->k * sizeof *resp);
	if (m->n_classes > 0)
		probs = malloc((size_t)ROWS * (size_t)m->n_classes * sizeof *probs);
	if (!x || !z || !resp || (m->n_classes > 0 && !probs))
		goto cleanup;
	for (int64_t i = 0; i < ROWS * pca->d; i++)
		x[i] = (float)((i * 37) % 11) - 5.0f;
	for (int i = 0; i < ROWS; i++) {
		labels[i] = m->n_classes > 0 ? i % m->n_classes : 0;
		failure[i] = i % 2;
		for (int32_t c = 0; c < m->n_classes; c++)
			probs[i * m->n_classes + c] = 1.0f / (float)m->n_classes;
	}
	if (fl_pca_transform(z, pca->r, pca, x, ROWS, pca->d, 1) != 0)
		goto cleanup;
	embed_only.has_labels = 0;
	embed_only.has_probs = 0;
	embed_only.failure = FL_MIXTURE_FAILURE_NONE;
	if (fl_mixture_predict(resp, assign, &objective, &embed_only, z, ROWS, pca->r, NULL,
			       NULL, NULL, 1) == 0)
		fuzz_sink += assign[0] + resp[0] + objective;
	if (fl_mixture_predict(resp, assign, &objective, m, z, ROWS, pca->r,
			       m->has_labels ? labels : NULL, m->has_probs ? probs : NULL,
			       m->failure ? failure : NULL, 1) == 0)
		fuzz_sink += assign[0] + resp[0] + objective;
cleanup:
	free(x);
	free(z);
	free(resp);
	free(probs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[4096];
	fl_pca pca;
	fl_mixture m;

	if (fuzz_temp_file(path, sizeof path, data, size) != 0)
		return 0;
	if (fl_mixture_model_load(&pca, &m, path) == 0) {
		use(&pca, &m);
		fl_pca_clear(&pca);
		fl_mixture_clear(&m);
	}
	unlink(path);
	return 0;
}
