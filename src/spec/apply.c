/*
 * Applying slice specs (faultline/spec.h). A spec is parsed with cJSON
 * (Debian's libcjson) and evaluated row by row; every failure names the
 * field, view or column at fault.
 */
#include "spec_internal.h"

#include <math.h>
#include <string.h>

static const cJSON *field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int need_number(double *out, const cJSON *o, const char *name, const char *type)
{
	const cJSON *f = field(o, name);

	if (!cJSON_IsNumber(f))
		return fl__error(FL_EFORMAT, "%s spec: \"%s\" missing or not a number", type, name);
	*out = f->valuedouble;
	return FL_OK;
}

/* The view named by the spec, with the dimension of its vector. */
static int find_view(const fl_spec_view **out, const fl_spec_data *d, const cJSON *spec,
		     int64_t dim, const char *type)
{
	const cJSON *name = field(spec, "view");

	if (!cJSON_IsString(name))
		return fl__error(FL_EFORMAT, "%s spec: \"view\" missing", type);
	for (int32_t v = 0; v < d->n_views; v++) {
		if (strcmp(d->views[v].name, name->valuestring) != 0)
			continue;
		if (d->views[v].dim != dim)
			return fl__error(FL_EINVAL, "view %s has %lld dimensions, the %s spec %lld",
					 name->valuestring, (long long)d->views[v].dim, type,
					 (long long)dim);
		*out = &d->views[v];
		return FL_OK;
	}
	return fl__error(FL_EINVAL, "the %s spec needs view %s, which was not given", type,
			 name->valuestring);
}

/* A float vector field; *out is owned by the caller. */
static int vector(float **out, int64_t *len, const cJSON *spec, const char *name, const char *type)
{
	const cJSON *arr = field(spec, name), *e;
	int64_t i = 0;

	*out = NULL;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
		return fl__error(FL_EFORMAT, "%s spec: \"%s\" missing or empty", type, name);
	*len = cJSON_GetArraySize(arr);
	if (!(*out = fl__malloc((size_t)*len * sizeof **out, "spec vector")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsNumber(e)) {
			free(*out);
			*out = NULL;
			return fl__error(FL_EFORMAT, "%s spec: \"%s\"[%lld] is not a number", type,
					 name, (long long)i);
		}
		(*out)[i++] = (float)e->valuedouble;
	}
	return FL_OK;
}

/* Row x of a view, L2-normalised into buf when asked. */
static const float *row_of(const fl_spec_view *v, int64_t r, int normalize, float *buf)
{
	const float *x = v->x + r * v->dim;
	double nrm = 0;

	if (!normalize)
		return x;
	for (int64_t j = 0; j < v->dim; j++)
		nrm += (double)x[j] * x[j];
	nrm = nrm > 0 ? 1.0 / sqrt(nrm) : 0;
	for (int64_t j = 0; j < v->dim; j++)
		buf[j] = (float)(x[j] * nrm);
	return buf;
}

/* The index of the centroid nearest x (ties to the lowest); -1 when none given. */
static int64_t nearest(const float *c, int64_t k, int64_t dim, const float *x)
{
	int64_t best = -1;
	double best_d = INFINITY;

	for (int64_t s = 0; s < k; s++) {
		double d2 = 0;

		for (int64_t j = 0; j < dim; j++)
			d2 += ((double)x[j] - c[s * dim + j]) * ((double)x[j] - c[s * dim + j]);
		if (d2 < best_d) {
			best_d = d2;
			best = s;
		}
	}
	return best;
}

/* centroid: within radius (and nearest its own centroid); direction: w.x + b >= threshold (label given). */
static int apply_linear(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			const int64_t *rows, int64_t m, int is_direction)
{
	const char *type = is_direction ? "direction" : "centroid";
	const fl_spec_view *v = NULL;
	const cJSON *lab = field(spec, "label");
	float *w = NULL, *buf = NULL, *others = NULL;
	double cut = 0, bias = 0;
	int64_t dim = 0, label = -1, n_others = 0, own = -1;
	int normalize = cJSON_IsTrue(field(spec, "normalize")), rc;

	if ((rc = vector(&w, &dim, spec, is_direction ? "weights" : "centroid", type)) ||
	    (rc = need_number(&cut, spec, is_direction ? "threshold" : "radius", type)) ||
	    (is_direction && (rc = need_number(&bias, spec, "bias", type))) ||
	    (rc = find_view(&v, d, spec, dim, type)))
		goto cleanup;
	if (is_direction && cJSON_IsNumber(lab)) {
		label = (int64_t)lab->valuedouble;
		if (!d->labels) {
			rc = fl__error(FL_EINVAL, "the direction spec of label %lld needs labels",
				       (long long)label);
			goto cleanup;
		}
	}
	if (!(buf = fl__malloc((size_t)dim * sizeof *buf, "spec row"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	/* k-means: also nearest to its own centroid among the run's ("centroids") */
	if (!is_direction && cJSON_IsArray(field(spec, "centroids"))) {
		const cJSON *row, *e;
		int64_t j = 0;

		n_others = cJSON_GetArraySize(field(spec, "centroids"));
		own = cJSON_IsNumber(field(spec, "component")) ?
		      (int64_t)field(spec, "component")->valuedouble : -1;
		if (!(others = fl__malloc((size_t)(n_others * dim) * sizeof *others, "centroids"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		cJSON_ArrayForEach(row, field(spec, "centroids")) {
			if (cJSON_GetArraySize(row) != dim || own < 0 || own >= n_others) {
				rc = fl__error(FL_EFORMAT, "centroid spec: \"centroids\" must be %lld rows "
					       "of %lld numbers, with \"component\" one of them",
					       (long long)n_others, (long long)dim);
				goto cleanup;
			}
			cJSON_ArrayForEach(e, row)
				others[j++] = cJSON_IsNumber(e) ? (float)e->valuedouble : NAN;
		}
	}
	for (int64_t i = 0; i < m; i++) {
		int64_t r = rows ? rows[i] : i;
		const float *x = row_of(v, r, normalize, buf);
		double acc = 0;

		if (is_direction) {
			for (int64_t j = 0; j < dim; j++)
				acc += (double)w[j] * x[j];
			member[i] = acc + bias >= cut && (label < 0 || d->labels[r] == label);
		} else {
			for (int64_t j = 0; j < dim; j++)
				acc += ((double)x[j] - w[j]) * ((double)x[j] - w[j]);
			member[i] = sqrt(acc) <= cut && nearest(others, n_others, dim, x) == own;
		}
	}
cleanup:
	free(w);
	free(buf);
	free(others);
	return rc;
}

/* Does predicate p hold for table row r? -1 with an error when p is malformed. */
static int predicate_holds(const cJSON *p, const fl_table *t, int64_t col, int64_t r)
{
	const cJSON *op = field(p, "op"), *val = field(p, "value");
	fl_coltype type = fl_table_col_type(t, col);
	const double *num = fl_table_numeric(t, col);
	const int32_t *codes = fl_table_codes(t, col);

	if (cJSON_IsString(op) && strcmp(op->valuestring, "in") == 0) {
		const cJSON *lo = field(p, "low"), *hi = field(p, "high");
		double x;

		if (!num)
			return -1;
		x = num[r];
		return !isnan(x) && (!cJSON_IsNumber(lo) || x >= lo->valuedouble) &&
		       (!cJSON_IsNumber(hi) || x < hi->valuedouble);
	}
	if (!cJSON_IsString(op) || strcmp(op->valuestring, "==") != 0 || !val)
		return -1;
	if (type == FL_COL_NUMERIC)
		return cJSON_IsNull(val) ? isnan(num[r]) :
		       cJSON_IsNumber(val) && num[r] == val->valuedouble;
	if (cJSON_IsNull(val))
		return codes[r] < 0;
	if (type == FL_COL_BOOLEAN)
		return cJSON_IsBool(val) && codes[r] == (cJSON_IsTrue(val) ? 1 : 0);
	/* the JSON report wrote invalid UTF-8 in the value as U+FFFD */
	return cJSON_IsString(val) && codes[r] >= 0 &&
	       fl__utf8_same(fl_table_level(t, col, codes[r]), val->valuestring);
}

/* A column by name, as the JSON report wrote it (invalid UTF-8 as U+FFFD). */
static int64_t find_column(const fl_table *t, const char *name)
{
	int64_t col = fl_table_find(t, name);

	for (int64_t j = 0; col < 0 && j < fl_table_cols(t); j++)
		if (fl__utf8_same(fl_table_col_name(t, j), name))
			col = j;
	return col;
}

static int apply_predicates(uint8_t *member, const cJSON *spec, const fl_spec_data *d,
			    const int64_t *rows, int64_t m)
{
	const cJSON *list = field(spec, "predicates"), *p;

	if (!cJSON_IsArray(list))
		return fl__error(FL_EFORMAT, "predicates spec: \"predicates\" missing");
	if (!d->table)
		return fl__error(FL_EINVAL, "the predicates spec needs a metadata table");
	memset(member, 1, (size_t)m);
	cJSON_ArrayForEach(p, list) {
		const cJSON *name = field(p, "column");
		int64_t col;

		if (!cJSON_IsString(name))
			return fl__error(FL_EFORMAT, "predicates spec: a predicate has no \"column\"");
		if ((col = find_column(d->table, name->valuestring)) < 0)
			return fl__error(FL_EINVAL, "the predicates spec needs column %s, which the metadata lack",
					 name->valuestring);
		for (int64_t i = 0; i < m; i++) {
			int h;

			if (!member[i])
				continue;
			if ((h = predicate_holds(p, d->table, col, rows ? rows[i] : i)) < 0)
				return fl__error(FL_EFORMAT, "predicates spec: the predicate on column %s "
						 "is malformed or does not fit its type", name->valuestring);
			member[i] = (uint8_t)h;
		}
	}
	return FL_OK;
}

int fl_spec_apply(uint8_t *member, const char *spec_json, const fl_spec_data *data,
		  const int64_t *rows, int64_t m)
{
	cJSON *spec;
	const cJSON *type;
	char why[160];
	int rc;

	if (!member || !spec_json || !data || data->version != FL_SPEC_DATA_VERSION || m < 0 ||
	    (!rows && m != data->n))
		return fl__error(FL_EINVAL, "a slice spec needs the spec, its data (version %d) and "
				 "the rows to test", FL_SPEC_DATA_VERSION);
	for (int64_t i = 0; rows && i < m; i++)
		if (rows[i] < 0 || rows[i] >= data->n)
			return fl__error(FL_EINVAL, "slice spec: row %lld is not one of the data's %lld",
					 (long long)rows[i], (long long)data->n);
	if (!(spec = cJSON_Parse(spec_json)))
		return fl__error(FL_EFORMAT, "slice spec is not valid JSON");
	type = field(spec, "type");
	if (fl_spec__check(spec, why, sizeof why) != 0)
		rc = fl__error(FL_EFORMAT, "slice spec: %s", why);
	else if (!cJSON_IsString(type))
		rc = fl__error(FL_EFORMAT, "slice spec has no \"type\"");
	else if (strcmp(type->valuestring, "centroid") == 0)
		rc = apply_linear(member, spec, data, rows, m, 0);
	else if (strcmp(type->valuestring, "direction") == 0)
		rc = apply_linear(member, spec, data, rows, m, 1);
	else if (strcmp(type->valuestring, "predicates") == 0)
		rc = apply_predicates(member, spec, data, rows, m);
	else if (strcmp(type->valuestring, "mixture_component") == 0)
		rc = fl_spec__apply_mixture(member, spec, data, rows, m);
	else
		rc = fl__error(FL_EUNSUP, "unknown slice spec type \"%s\"", type->valuestring);
	cJSON_Delete(spec);
	return rc;
}
