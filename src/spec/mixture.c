/*
 * Applying a mixture_component spec: load the saved model (PCA + mixture),
 * project the rows, and take the component of highest responsibility given
 * the embedding alone (weights and Gaussians), the rule discovery used with
 * FL_MIXTURE_ASSIGN_EMBEDDING. Labels, predictions and failure shaped the
 * components during the fit but do not decide membership, so the rule
 * applies to held-out or new rows without looking at their outcome.
 * The assignment depends on the model alone, not on the component: with a
 * cache, the specs of all components of one saved model share it.
 */
#include "spec_internal.h"

#include <string.h>

/* A relative model path names a file beside the report it came from. */
static int load_model(fl_pca *pca, fl_mixture *mx, const char *file, const char *base_dir)
{
	fl_strbuf b = {0};
	char *path;
	int rc;

	if (file[0] == '/' || !base_dir)
		return fl_mixture_model_load(pca, mx, file);
	fl__sb_printf(&b, "%s/%s", base_dir, file);
	if (!(path = fl__sb_finish(&b, "model path")))
		return FL_ENOMEM;
	rc = fl_mixture_model_load(pca, mx, path);
	free(path);
	return rc;
}

/* The component of highest responsibility of each row under the model. */
static int assign_rows(int32_t *assign, const char *file, const char *view, const fl_spec_data *d,
		       const int64_t *rows, int64_t m)
{
	const fl_spec_view *v = NULL;
	fl_pca pca;
	fl_mixture mx, embed_only;
	float *x = NULL, *z = NULL;
	int rc;

	memset(&pca, 0, sizeof pca);
	memset(&mx, 0, sizeof mx);
	if ((rc = load_model(&pca, &mx, file, d->base_dir)))
		return rc;
	for (int32_t i = 0; i < d->n_views && !v; i++)
		if (strcmp(d->views[i].name, view) == 0)
			v = &d->views[i];
	if (!v || v->dim != pca.d) {
		rc = fl__error(FL_EINVAL, "the mixture spec needs view %s with %lld dimensions",
			       view, (long long)pca.d);
		goto cleanup;
	}
	x = fl__malloc((size_t)(m ? m : 1) * (size_t)pca.d * sizeof *x, "spec rows");
	z = fl__malloc((size_t)(m ? m : 1) * (size_t)pca.r * sizeof *z, "spec projection");
	if (!x || !z) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; i < m; i++)
		memcpy(x + i * pca.d, v->x + (rows ? rows[i] : i) * v->dim, (size_t)pca.d * sizeof *x);
	embed_only = mx;
	embed_only.has_labels = 0;
	embed_only.has_probs = 0;
	embed_only.failure = FL_MIXTURE_FAILURE_NONE;
	if ((rc = fl_pca_transform(z, pca.r, &pca, x, m, pca.d, 0)) == 0)
		rc = fl_mixture_predict(NULL, assign, NULL, &embed_only, z, m, pca.r, NULL, NULL, NULL, 0);
cleanup:
	free(x);
	free(z);
	fl_pca_clear(&pca);
	fl_mixture_clear(&mx);
	return rc;
}

/* The assignment of the rows under one saved model, shared by the specs of
 * all its components (each would otherwise load and project again). */
typedef struct mx_entry {
	char *key;        /* base folder, file, view and fingerprint */
	int32_t *assign;
} mx_entry;

struct fl_spec_cache {
	const fl_spec_data *data;
	const int64_t *rows;
	int64_t m;
	mx_entry *e;
	int32_t n;
};

void fl_spec__cache_free(fl_spec_cache *c)
{
	for (int32_t i = 0; c && i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].assign);
	}
	if (c)
		free(c->e);
	free(c);
}

/* The cached assignment of key, or NULL; the cache is (re)started for
 * other rows. */
static const int32_t *cache_find(fl_spec_cache *c, const char *key, const fl_spec_data *d,
				 const int64_t *rows, int64_t m)
{
	if (c->data != d || c->rows != rows || c->m != m) {
		for (int32_t i = 0; i < c->n; i++) {
			free(c->e[i].key);
			free(c->e[i].assign);
		}
		c->n = 0;
		c->data = d;
		c->rows = rows;
		c->m = m;
	}
	for (int32_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, key) == 0)
			return c->e[i].assign;
	return NULL;
}

/* Keep assign (and key) in the cache; 0, or FL_ENOMEM (nothing kept). */
static int cache_add(fl_spec_cache *c, char *key, int32_t *assign)
{
	mx_entry *e = realloc(c->e, (size_t)(c->n + 1) * sizeof *e);

	if (!e)
		return fl__error(FL_ENOMEM, "out of memory caching a model's assignment");
	c->e = e;
	c->e[c->n++] = (mx_entry){key, assign};
	return 0;
}

int fl_spec__apply_mixture(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			   const int64_t *rows, int64_t m, fl_spec_cache **cache)
{
	const cJSON *comp = cJSON_GetObjectItemCaseSensitive(spec, "component");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(spec, "model");
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(model, "file");
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(model, "fingerprint");
	const cJSON *view = cJSON_GetObjectItemCaseSensitive(spec, "view");
	const int32_t *assign = NULL;
	int32_t *own = NULL;
	char *key = NULL;
	fl_strbuf b = {0};
	int rc = 0;

	if (!cJSON_IsNumber(comp) || !cJSON_IsString(view))
		return fl__error(FL_EFORMAT, "mixture_component spec: \"component\" or \"view\" missing");
	if (!cJSON_IsString(file))
		return fl__error(FL_EINVAL, "mixture_component spec of view %s: its model was not "
				 "saved to a file, so it cannot be applied", view->valuestring);
	if (cache) {
		const char *part[4] = {d->base_dir ? d->base_dir : "", file->valuestring,
				       view->valuestring, cJSON_IsString(fp) ? fp->valuestring : ""};

		for (int k = 0; k < 4; k++) /* length-prefixed: no two keys read alike */
			fl__sb_printf(&b, "%zu:%s", strlen(part[k]), part[k]);
		if (!(key = fl__sb_finish(&b, "model key")) ||
		    (!*cache && !(*cache = fl__calloc(1, sizeof **cache, "model cache")))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		assign = cache_find(*cache, key, d, rows, m);
	}
	if (!assign) {
		if (!(own = fl__malloc((size_t)(m ? m : 1) * sizeof *own, "spec assignment"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		if ((rc = assign_rows(own, file->valuestring, view->valuestring, d, rows, m)))
			goto cleanup;
		assign = own;
		if (cache && cache_add(*cache, key, own) == 0) {
			key = NULL; /* both the cache's now */
			own = NULL;
		}
	}
	for (int64_t i = 0; i < m; i++)
		member[i] = assign[i] == (int32_t)comp->valuedouble;
cleanup:
	free(key);
	free(own);
	return rc;
}
