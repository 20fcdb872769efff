/*
 * Applying a mixture_component spec: load the saved model (PCA + mixture),
 * project the rows, and take the component of highest responsibility given
 * the embedding alone (weights and Gaussians), the rule discovery used with
 * FL_MIXTURE_ASSIGN_EMBEDDING. Labels, predictions and failure shaped the
 * components during the fit but do not decide membership, so the rule
 * applies to held-out or new rows without looking at their outcome.
 * The assignment depends on the model alone, not on the component: with a
 * cache, the specs of all components of one saved model share it. Rows of
 * a view the caller has reduced with the model's own PCA (the discovery
 * half; the holdout, its codes written by the first spec that projects
 * every holdout row: fl_spec__cache_reduced) are decided on their 8-bit
 * codes where the codes' error bound leaves no doubt
 * (fl_mixture__assign_codes), and only the others are projected: the same
 * assignment, a row's projection and log-densities the same bits in any
 * company (fl__rows_times).
 */
#include "mixture/mixture_internal.h"
#include "spec_internal.h"

#include <string.h>

/* The assignment of the rows under one saved model, shared by the specs of
 * all its components (each would otherwise load and project again). */
typedef struct mx_entry {
	char *key;        /* base folder, file, view and fingerprint; "centroids:...", "direction:..." */
	void *values;     /* an assignment (int32_t), nearest centroids, a direction's products */
	int32_t k;        /* the model's components (centroids) */
} mx_entry;

/* A view of these rows reduced by the caller: position i of the rows is
 * row i of codes (borrowed; written here first when fill, see
 * fl_spec__cache_reduced). */
struct fl_spec_reduced {
	char *view;
	const fl_pca *pca;
	const fl_mx_codes *codes;
	fl_mx_codes *fill;  /* to be written by the first projection, when !*ready */
	uint8_t *ready;
};

struct fl_spec_cache {
	const fl_spec_data *data;
	const int64_t *rows;
	int64_t m;
	mx_entry *e;
	int32_t n;
	fl_spec_reduced *red;
	int32_t n_red;
};

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

/* The exact assignment of rows[0..m) (all rows when NULL) of view v:
 * projected a block at a time (read through rows, never a copy of the
 * rows), each row assigned on its own. z holds SPEC_BLOCK projected rows. */
#define SPEC_BLOCK 16384 /* rows projected at once */

static int project_assign(int32_t *assign, const fl_pca *pca, const fl_mixture *embed_only,
			  const fl_spec_view *v, const int64_t *rows, int64_t m, float *z,
			  fl_mx_codes *fill, int32_t threads)
{
	int64_t p = fl__comm_ranks(), q = fl__comm_rank(), h0 = 0, h1 = 0;
	int64_t *span = fl__malloc((size_t)(2 * (p + 1)) * sizeof *span, "rank sizes");
	const fl_comm *comm;
	float *halo = NULL;
	int rc = span ? 0 : FL_ENOMEM;

	if ((rc = fl__comm_agree(rc)) != 0 ||
	    (rc = fl__comm_halo(&halo, &h0, &h1, v->x, v->dim, v->dim, rows, m,
				fill ? FL_MX_QROWS : 1)) != 0) {
		free(span);
		return rc;
	}
	/* with several ranks, each projects the rows of its own range (a row's
	 * projection and component do not depend on the rows it comes with,
	 * fl__rows_times; groups of FL_MX_QROWS rows stay whole for the codes,
	 * the rows of the first that lie before its range fetched: halo) alone
	 * (the calls below do not exchange), then the ranks agree and exchange */
	fl__comm_spans(span, rows, m, fill ? FL_MX_QROWS : 1);
	comm = fl__comm_pause();
	for (int64_t i0 = span[q]; i0 < span[q + 1] && rc == 0; i0 += SPEC_BLOCK) {
		int64_t b = span[q + 1] - i0 < SPEC_BLOCK ? span[q + 1] - i0 : SPEC_BLOCK;
		int64_t e = i0 == h0 ? h1 - h0 : 0; /* rows from the halo first */

		if (e > 0)
			rc = fl_pca_transform(z, pca->r, pca, halo, e, v->dim, threads);
		if (rc == 0 && b > e)
			rc = rows ? fl_pca__transform(pca, v->x, rows + i0 + e, b - e, v->dim, threads,
						      z + e * pca->r, pca->r, NULL)
				  : fl_pca_transform(z + e * pca->r, pca->r, pca,
						     v->x + (i0 + e) * v->dim, b - e, v->dim, threads);
		if (rc == 0)
			rc = fl_mixture_predict(NULL, assign + i0, NULL, embed_only, z, b, pca->r, NULL,
						NULL, NULL, threads);
		if (rc == 0 && fill)
			fl_mx_codes_encode(fill, z, i0, b, threads);
	}
	fl__comm_resume(comm);
	if ((rc = fl__comm_agree(rc)) == 0)
		fl__comm_gather_spans(assign, sizeof *assign, span);
	/* should the exchange fail, the run ends with FL_EIO when it leaves
	 * the ranks' table, so codes missing another rank's rows are never
	 * read */
	if (rc == 0 && fill)
		fl_mx_codes_gather_spans(fill, m, span, span + p + 1);
	free(span);
	free(halo);
	return rc;
}

/* A view reduced with the same PCA as `pca` (every value equal), or NULL. */
static const fl_spec_reduced *same_reduction(const fl_spec_cache *c, const char *view,
					     const fl_pca *pca);

/* The component of highest responsibility of each row under the model,
 * and the model's number of components in *k. With a reduction of these
 * rows by the model's PCA in the cache, the rows its codes decide are not
 * projected. */
static int assign_rows(int32_t *assign, int32_t *k, const char *file, const char *fingerprint,
		       const char *view, const fl_spec_data *d, const int64_t *rows, int64_t m,
		       const fl_spec_cache *cache)
{
	const fl_spec_view *v = NULL;
	const fl_spec_reduced *red;
	fl_pca pca;
	fl_mixture mx, embed_only;
	float *z = NULL;
	uint8_t *sure = NULL;
	int64_t *open = NULL, *open_rows = NULL, n_open = 0;
	int32_t *got = NULL, threads = d->version >= 3 && d->threads > 0 ? d->threads : 0;
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
	embed_only = mx;
	embed_only.has_labels = 0;
	embed_only.has_probs = 0;
	embed_only.failure = FL_MIXTURE_FAILURE_NONE;
	red = cache ? same_reduction(cache, view, &pca) : NULL;
	if (!red || (red->ready && !*red->ready)) { /* every row projected (and encoded) */
		z = fl__malloc((size_t)(m < SPEC_BLOCK ? (m ? m : 1) : SPEC_BLOCK) * (size_t)pca.r *
			       sizeof *z, "spec projection");
		rc = z ? project_assign(assign, &pca, &embed_only, v, rows, m, z,
					red ? red->fill : NULL, threads) : FL_ENOMEM;
		if (rc == 0 && red)
			*red->ready = 1;
		goto cleanup;
	}
	/* the rows the codes leave open, projected */
	sure = fl__malloc((size_t)(m ? m : 1), "spec assignment");
	open = fl__malloc((size_t)(m ? m : 1) * sizeof *open, "spec assignment");
	if (!sure || !open) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	if ((rc = fl_mixture__assign_codes(assign, sure, &embed_only, red->codes, m, 0)))
		goto cleanup;
	for (int64_t i = 0; i < m; i++)
		if (!sure[i])
			open[n_open++] = i;
	open_rows = fl__malloc((size_t)(n_open ? n_open : 1) * sizeof *open_rows, "spec assignment");
	got = fl__malloc((size_t)(n_open ? n_open : 1) * sizeof *got, "spec assignment");
	z = fl__malloc((size_t)(n_open < SPEC_BLOCK ? (n_open ? n_open : 1) : SPEC_BLOCK) *
		       (size_t)pca.r * sizeof *z, "spec projection");
	if (!open_rows || !got || !z) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t q = 0; q < n_open; q++)
		open_rows[q] = rows ? rows[open[q]] : open[q];
	if ((rc = project_assign(got, &pca, &embed_only, v, open_rows, n_open, z, NULL, threads)))
		goto cleanup;
	for (int64_t q = 0; q < n_open; q++)
		assign[open[q]] = got[q];
cleanup:
	free(z);
	free(sure);
	free(open);
	free(open_rows);
	free(got);
	fl_pca_clear(&pca);
	fl_mixture_clear(&mx);
	return rc;
}


static void drop_reduced(fl_spec_cache *c)
{
	for (int32_t i = 0; i < c->n_red; i++)
		free(c->red[i].view);
	free(c->red);
	c->red = NULL;
	c->n_red = 0;
}

void fl_spec__cache_free(fl_spec_cache *c)
{
	for (int32_t i = 0; c && i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].values);
	}
	if (c) {
		free(c->e);
		drop_reduced(c);
	}
	free(c);
}

static const fl_spec_reduced *same_reduction(const fl_spec_cache *c, const char *view,
					     const fl_pca *pca)
{
	for (int32_t i = 0; i < c->n_red; i++) {
		const fl_pca *p = c->red[i].pca;

		if (strcmp(c->red[i].view, view) == 0 && p->d == pca->d && p->r == pca->r &&
		    c->red[i].codes->r == p->r && c->red[i].codes->n >= c->m &&
		    !memcmp(p->mean, pca->mean, (size_t)p->d * sizeof *p->mean) &&
		    !memcmp(p->components, pca->components, (size_t)(p->r * p->d) * sizeof(float)))
			return &c->red[i];
	}
	return NULL;
}

const void *fl_spec__cache_find(fl_spec_cache **cache, const char *key, const fl_spec_data *d,
				const int64_t *rows, int64_t m, int32_t *k)
{
	fl_spec_cache *c = *cache;

	if (!c)
		return NULL;
	if (c->data != d || c->rows != rows || c->m != m) {
		for (int32_t i = 0; i < c->n; i++) {
			free(c->e[i].key);
			free(c->e[i].values);
		}
		c->n = 0;
		drop_reduced(c);
		c->data = d;
		c->rows = rows;
		c->m = m;
	}
	for (int32_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, key) == 0) {
			*k = c->e[i].k;
			return c->e[i].values;
		}
	return NULL;
}

int fl_spec__cache_add(fl_spec_cache **cache, const fl_spec_data *d, const int64_t *rows,
		       int64_t m, char *key, void *values, int32_t k)
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
	c->e[c->n++] = (mx_entry){key, values, k};
	return 0;
}

int fl_spec__cache_reduced(fl_spec_cache **cache, const fl_spec_data *d, const int64_t *rows,
			   int64_t m, const fl_spec_codes *sc)
{
	const fl_mx_codes *codes = sc->codes;
	const fl_pca *pca = sc->pca;
	fl_spec_cache *c = *cache ? *cache : (*cache = fl__calloc(1, sizeof **cache, "spec cache"));
	fl_spec_reduced *r;
	int32_t ignored;

	if (!c)
		return FL_ENOMEM;
	if (!c->data) { /* new: these are its data and rows */
		c->data = d;
		c->rows = rows;
		c->m = m;
	}
	fl_spec__cache_find(cache, "", d, rows, m, &ignored); /* other rows: start afresh */
	if (codes->n < m || codes->r != pca->r)
		return fl__error(FL_EINVAL, "a reduced view of %lld rows for %lld", (long long)codes->n,
				 (long long)m);
	if (sc->fill && (sc->fill != codes || !sc->ready))
		return fl__error(FL_EINVAL, "codes to write need to be the codes, with a flag");
	if (!(r = realloc(c->red, (size_t)(c->n_red + 1) * sizeof *r)))
		return fl__error(FL_ENOMEM, "out of memory noting a reduced view");
	c->red = r;
	r += c->n_red;
	if (!(r->view = strdup(sc->view)))
		return fl__error(FL_ENOMEM, "out of memory noting a reduced view");
	r->pca = pca;
	r->codes = codes;
	r->fill = sc->fill && sc->ready && !*sc->ready ? sc->fill : NULL;
	r->ready = r->fill ? sc->ready : NULL;
	c->n_red++;
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
				      rows, m, cache ? *cache : NULL)))
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
