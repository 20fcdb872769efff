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
#include "mixture/mixture_internal.h"
#include "spec_internal.h"

#include <string.h>

/* A relative model path names a file beside the report it came from. The
 * model must be the one the spec was written with: its fingerprint (a hash
 * of every parameter) is the one the spec records. */
static int load_model(fl_pca *pca, fl_mixture *mx, const char *file, const char *base_dir,
		      const char *want)
{
	fl_strbuf b = {0};
	char *path, got[17];
	int rc;

	if (!want)
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
		if (strcmp(got, want) != 0) {
			rc = fl__error(FL_EINVAL, "%s has fingerprint %s, the spec records %.16s: not the "
				       "model the report was found with (replaced by another run?)",
				       path, got, want);
			fl_pca_clear(pca);
			fl_mixture_clear(mx);
		}
	}
	free(path);
	return rc;
}

/* The component of highest responsibility of each row under the model,
 * and the model's number of components in *k. */
#define SPEC_BLOCK 16384 /* rows projected at once */

static int assign_rows(int32_t *assign, int32_t *k, const char *file, const char *fingerprint,
		       const char *view, const fl_spec_data *d, const int64_t *rows, int64_t m)
{
	const fl_spec_view *v = NULL;
	fl_pca pca;
	fl_mixture mx, embed_only;
	float *z = NULL;
	int64_t block;
	int rc;

	memset(&pca, 0, sizeof pca);
	memset(&mx, 0, sizeof mx);
	if ((rc = load_model(&pca, &mx, file, d->base_dir, fingerprint)))
		return rc;
	*k = mx.k;
	for (int32_t i = 0; i < d->n_views && !v; i++)
		if (strcmp(d->views[i].name, view) == 0)
			v = &d->views[i];
	if (!v || v->dim != pca.d) {
		rc = fl__error(FL_EINVAL, "the mixture spec needs view %s with %lld dimensions",
			       view, (long long)pca.d);
		goto cleanup;
	}
	/* a block of rows at a time: projected (read through rows), assigned
	 * (each row on its own), never a copy of the rows */
	block = m < SPEC_BLOCK ? m : SPEC_BLOCK;
	z = fl__malloc((size_t)(block ? block : 1) * (size_t)pca.r * sizeof *z, "spec projection");
	if (!z) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	embed_only = mx;
	embed_only.has_labels = 0;
	embed_only.has_probs = 0;
	embed_only.failure = FL_MIXTURE_FAILURE_NONE;
	for (int64_t i0 = 0; i0 < m && rc == 0; i0 += block) {
		int64_t b = m - i0 < block ? m - i0 : block;

		if ((rc = rows ? fl_pca__transform(&pca, v->x, rows + i0, b, v->dim, 0, z, pca.r, NULL)
			       : fl_pca_transform(z, pca.r, &pca, v->x + i0 * v->dim, b, v->dim, 0)) == 0)
			rc = fl_mixture_predict(NULL, assign + i0, NULL, &embed_only, z, b, pca.r, NULL,
						NULL, NULL, 0);
	}
cleanup:
	free(z);
	fl_pca_clear(&pca);
	fl_mixture_clear(&mx);
	return rc;
}

/* The assignment of the rows under one saved model, shared by the specs of
 * all its components (each would otherwise load and project again). */
typedef struct mx_entry {
	char *key;        /* base folder, file, view and fingerprint; or "centroids:..." */
	int32_t *assign;
	int32_t k;        /* the model's components (centroids) */
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

const int32_t *fl_spec__cache_find(fl_spec_cache **cache, const char *key, const fl_spec_data *d,
				   const int64_t *rows, int64_t m, int32_t *k)
{
	fl_spec_cache *c = *cache;

	if (!c)
		return NULL;
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
		if (strcmp(c->e[i].key, key) == 0) {
			*k = c->e[i].k;
			return c->e[i].assign;
		}
	return NULL;
}

int fl_spec__cache_add(fl_spec_cache **cache, const fl_spec_data *d, const int64_t *rows,
		       int64_t m, char *key, int32_t *assign, int32_t k)
{
	fl_spec_cache *c = *cache ? *cache : (*cache = fl__calloc(1, sizeof **cache, "spec cache"));
	mx_entry *e;

	if (!c)
		return FL_ENOMEM;
	if (c->data != d || c->rows != rows || c->m != m) {
		int32_t ignored;

		fl_spec__cache_find(cache, "", d, rows, m, &ignored); /* empties it */
	}
	if (!(e = realloc(c->e, (size_t)(c->n + 1) * sizeof *e)))
		return fl__error(FL_ENOMEM, "out of memory caching a model's assignment");
	c->e = e;
	c->e[c->n++] = (mx_entry){key, assign, k};
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
	int32_t *own = NULL, k = 0;
	int64_t want = -1;
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

		for (int j = 0; j < 4; j++) /* length-prefixed: no two keys read alike */
			fl__sb_printf(&b, "%zu:%s", strlen(part[j]), part[j]);
		if (!(key = fl__sb_finish(&b, "model key"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		assign = fl_spec__cache_find(cache, key, d, rows, m, &k);
	}
	if (!assign) {
		if (!(own = fl__malloc((size_t)(m ? m : 1) * sizeof *own, "spec assignment"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		if ((rc = assign_rows(own, &k, file->valuestring,
				      cJSON_IsString(fp) ? fp->valuestring : NULL, view->valuestring, d,
				      rows, m)))
			goto cleanup;
		assign = own;
		if (cache) { /* no allocation is optional: a failed one is reported */
			if ((rc = fl_spec__cache_add(cache, d, rows, m, key, own, k)))
				goto cleanup;
			key = NULL; /* both the cache's now */
			own = NULL;
		}
	}
	if (fl_spec__integer(comp, 0, k - 1, &want) != 0) {
		rc = fl__error(FL_EFORMAT, "mixture_component spec of view %s: \"component\" is not "
			       "one of the model's %d components (0 to %d)", view->valuestring, (int)k,
			       (int)k - 1);
		goto cleanup;
	}
	for (int64_t i = 0; i < m; i++)
		member[i] = assign[i] == want;
cleanup:
	free(key);
	free(own);
	return rc;
}
