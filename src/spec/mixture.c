/*
 * Applying a mixture_component spec: load the saved model (PCA + mixture),
 * project the rows, and take the component of highest responsibility given
 * the embedding alone (weights and Gaussians), the rule discovery used with
 * FL_MIXTURE_ASSIGN_EMBEDDING. Labels, predictions and failure shaped the
 * components during the fit but do not decide membership, so the rule
 * applies to held-out or new rows without looking at their outcome.
 */
#include "spec_internal.h"

#include <string.h>

/* A relative model path names a file beside the report it came from. The
 * model must be the one the spec was written with: its fingerprint (a hash
 * of every parameter) is the one the spec records. */
static int load_model(fl_pca *pca, fl_mixture *mx, const char *file, const char *base_dir,
		      const cJSON *model)
{
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(model, "fingerprint");
	fl_strbuf b = {0};
	char *path, got[17];
	int rc;

	if (!cJSON_IsString(want))
		return fl__error(FL_EFORMAT, "mixture_component spec: the model %s has no \"fingerprint\"",
				 file);
	if (file[0] == '/' || !base_dir)
		fl__sb_printf(&b, "%s", file);
	else
		fl__sb_printf(&b, "%s/%s", base_dir, file);
	if (!(path = fl__sb_finish(&b, "model path")))
		return FL_ENOMEM;
	if ((rc = fl_mixture_model_load(pca, mx, path)) == 0) {
		fl_mixture_model_fingerprint(got, pca, mx);
		if (strcmp(got, want->valuestring) != 0) {
			rc = fl__error(FL_EINVAL, "%s has fingerprint %s, the spec records %.16s: not the "
				       "model the report was found with (replaced by another run?)",
				       path, got, want->valuestring);
			fl_pca_clear(pca);
			fl_mixture_clear(mx);
		}
	}
	free(path);
	return rc;
}

int fl_spec__apply_mixture(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			   const int64_t *rows, int64_t m)
{
	const cJSON *comp = cJSON_GetObjectItemCaseSensitive(spec, "component");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(spec, "model");
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(model, "file");
	const cJSON *view = cJSON_GetObjectItemCaseSensitive(spec, "view");
	const fl_spec_view *v = NULL;
	fl_pca pca;
	fl_mixture mx, embed_only;
	float *x = NULL, *z = NULL;
	int32_t *assign = NULL;
	int64_t want = -1;
	int rc;

	memset(&pca, 0, sizeof pca);
	memset(&mx, 0, sizeof mx);
	if (!cJSON_IsNumber(comp) || !cJSON_IsString(view))
		return fl__error(FL_EFORMAT, "mixture_component spec: \"component\" or \"view\" missing");
	if (!cJSON_IsString(file))
		return fl__error(FL_EINVAL, "mixture_component spec of view %s: its model was not "
				 "saved to a file, so it cannot be applied", view->valuestring);
	if ((rc = load_model(&pca, &mx, file->valuestring, d->base_dir, model)))
		return rc;
	for (int32_t i = 0; i < d->n_views && !v; i++)
		if (strcmp(d->views[i].name, view->valuestring) == 0)
			v = &d->views[i];
	if (fl_spec__integer(comp, 0, mx.k - 1, &want) != 0) {
		rc = fl__error(FL_EFORMAT, "mixture_component spec of view %s: \"component\" is not "
			       "one of the model's %d components (0 to %d)", view->valuestring,
			       (int)mx.k, (int)mx.k - 1);
		goto cleanup;
	}
	if (!v || v->dim != pca.d) {
		rc = fl__error(FL_EINVAL, "the mixture spec needs view %s with %lld dimensions",
			       view->valuestring, (long long)pca.d);
		goto cleanup;
	}
	x = fl__malloc((size_t)(m ? m : 1) * (size_t)pca.d * sizeof *x, "spec rows");
	z = fl__malloc((size_t)(m ? m : 1) * (size_t)pca.r * sizeof *z, "spec projection");
	assign = fl__malloc((size_t)(m ? m : 1) * sizeof *assign, "spec assignment");
	if (!x || !z || !assign) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; i < m; i++)
		memcpy(x + i * pca.d, v->x + (rows ? rows[i] : i) * v->dim, (size_t)pca.d * sizeof *x);
	embed_only = mx;
	embed_only.has_labels = 0;
	embed_only.has_probs = 0;
	embed_only.failure = FL_MIXTURE_FAILURE_NONE;
	if ((rc = fl_pca_transform(z, pca.r, &pca, x, m, pca.d, 0)) ||
	    (rc = fl_mixture_predict(NULL, assign, NULL, &embed_only, z, m, pca.r, NULL, NULL,
				     NULL, 0)))
		goto cleanup;
	for (int64_t i = 0; i < m; i++)
		member[i] = assign[i] == want;
cleanup:
	free(x);
	free(z);
	free(assign);
	fl_pca_clear(&pca);
	fl_mixture_clear(&mx);
	return rc;
}
