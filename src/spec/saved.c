/* Reading back the slices of a JSON report, to apply their specs to new data. */
#include "spec_internal.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

struct fl_saved_report {
	fl_saved_slice *slices;
	int32_t n;
	char *path;
	fl_view_print *views;
	int32_t n_views;
	double overall;  /* dataset.failure_rate, NaN when absent */
	int binary;      /* dataset.failure.binary (1 when absent) */
};

void fl_view_print_clear(fl_view_print *v)
{
	for (int32_t i = 0; v->ids && i < v->n_ids; i++)
		free(v->ids[i]);
	free(v->ids);
	free(v->name);
	free(v->mean);
	free(v->sd);
	free(v->values);
	memset(v, 0, sizeof *v);
}

const fl_view_print *fl_spec__saved_view(const fl_saved_report *r, const char *name)
{
	for (int32_t i = 0; r && i < r->n_views; i++)
		if (strcmp(r->views[i].name, name) == 0)
			return r->views[i].rows > 0 ? &r->views[i] : NULL;
	return NULL;
}

/* n numbers of JSON array a into out (doubles or floats): 0, or -1 when a
 * is not an array of n finite numbers */
static int numbers(const cJSON *a, int64_t n, double *d, float *f)
{
	const cJSON *e;
	int64_t k = 0;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
		return -1;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
			return -1;
		if (d)
			d[k] = e->valuedouble;
		else
			f[k] = (float)e->valuedouble;
		k++;
	}
	return 0;
}

/* The fingerprint of one saved view (v: its entry in "views"); a view
 * without one, or an entry that is not a view, leaves rows 0. */
static int read_view(fl_view_print *out, const cJSON *v, const char *path)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
	const cJSON *dim = cJSON_GetObjectItemCaseSensitive(v, "dim");
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(v, "fingerprint"), *rows, *ids, *e;
	int64_t d, m, k = 0;

	if (!cJSON_IsString(name) || fl_spec__integer(dim, 1, INT32_MAX, &d) != 0)
		return 0;
	if (!(out->name = fl__strdup(name->valuestring)))
		return FL_ENOMEM;
	out->dim = d;
	if (!cJSON_IsObject(fp))
		return 0; /* a report of an earlier faultline */
	rows = cJSON_GetObjectItemCaseSensitive(fp, "rows");
	ids = cJSON_GetObjectItemCaseSensitive(fp, "ids");
	out->mean = fl__malloc((size_t)d * sizeof(double), "view fingerprint");
	out->sd = fl__malloc((size_t)d * sizeof(double), "view fingerprint");
	if (!out->mean || !out->sd)
		return FL_ENOMEM;
	if (fl_spec__integer(rows, 1, (int64_t)1 << 52, &m) != 0 ||
	    numbers(cJSON_GetObjectItemCaseSensitive(fp, "mean"), d, out->mean, NULL) != 0 ||
	    numbers(cJSON_GetObjectItemCaseSensitive(fp, "sd"), d, out->sd, NULL) != 0 ||
	    (ids && !cJSON_IsArray(ids)))
		return fl__error(FL_EFORMAT, "%s: view %s: a fingerprint needs \"rows\", and \"mean\" "
				 "and \"sd\" of %lld numbers", path, name->valuestring, (long long)d);
	out->n_ids = ids ? cJSON_GetArraySize(ids) : 0;
	out->n_values = out->n_ids ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
					 cJSON_GetArrayItem(ids, 0), "values")) : 0;
	if (out->n_ids && (out->n_values < 1 || out->n_values > d ||
			   !(out->ids = fl__calloc((size_t)out->n_ids, sizeof(char *), "view ids")) ||
			   !(out->values = fl__malloc((size_t)(out->n_ids * out->n_values) *
						      sizeof(float), "view ids"))))
		return out->n_values < 1 || out->n_values > d
		       ? fl__error(FL_EFORMAT, "%s: view %s: fingerprint ids without values", path,
				   name->valuestring) : FL_ENOMEM;
	cJSON_ArrayForEach(e, ids) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
		if (!cJSON_IsString(id) ||
		    numbers(cJSON_GetObjectItemCaseSensitive(e, "values"), out->n_values, NULL,
			    out->values + k * out->n_values) != 0)
			return fl__error(FL_EFORMAT, "%s: view %s: fingerprint id %lld needs \"id\" and "
					 "%d \"values\"", path, name->valuestring, (long long)k + 1,
					 out->n_values);
		if (!(out->ids[k++] = fl__strdup(id->valuestring)))
			return FL_ENOMEM;
	}
	out->rows = m;
	return 0;
}

void fl_saved_report_free(fl_saved_report *r)
{
	if (!r)
		return;
	for (int32_t i = 0; i < r->n_views; i++)
		fl_view_print_clear(&r->views[i]);
	free(r->views);
	for (int32_t i = 0; i < r->n; i++) {
		free(r->slices[i].id);
		free(r->slices[i].label);
		free(r->slices[i].spec_json);
	}
	free(r->slices);
	free(r->path);
	free(r);
}

const char *fl_saved_report_path(const fl_saved_report *r)
{
	return r ? r->path : NULL;
}

int32_t fl_saved_report_n_slices(const fl_saved_report *r)
{
	return r ? r->n : 0;
}

double fl_saved_report_overall(const fl_saved_report *r)
{
	return r ? r->overall : NAN;
}

int fl_saved_report_binary(const fl_saved_report *r)
{
	return r ? r->binary : 1;
}

const fl_saved_slice *fl_saved_report_slice(const fl_saved_report *r, int32_t i)
{
	return r && i >= 0 && i < r->n ? &r->slices[i] : NULL;
}

static void print_value(fl_strbuf *b, const cJSON *v)
{
	const cJSON *e;

	if (cJSON_IsNumber(v)) {
		char num[40];
		snprintf(num, sizeof num, isfinite(v->valuedouble) ? "%.17g" : "null", v->valuedouble);
		for (char *p = num; *p; p++) /* a locale may write "0,5" */
			*p = *p == ',' ? '.' : *p;
		fl__sb_printf(b, "%s", num);
	} else if (cJSON_IsString(v)) {
		fl__sb_json_str(b, v->valuestring);
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		fl__sb_printf(b, "%c", cJSON_IsArray(v) ? '[' : '{');
		cJSON_ArrayForEach(e, v) {
			if (e != v->child)
				fl__sb_printf(b, ",");
			if (cJSON_IsObject(v)) {
				fl__sb_json_str(b, e->string);
				fl__sb_printf(b, ":");
			}
			print_value(b, e);
		}
		fl__sb_printf(b, "%c", cJSON_IsArray(v) ? ']' : '}');
	} else {
		fl__sb_printf(b, "%s", cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : "null");
	}
}

char *fl_spec__print(const cJSON *v)
{
	fl_strbuf b = {0};

	print_value(&b, v);
	return fl__sb_finish(&b, "a JSON value");
}

/* What a slice without a description is called in apply and check output:
 * who found it, the metadata rule that describes it (when one fits) and
 * its top confusion ("mixture/emb: Ankle boot -> Sneaker 91%"), so that
 * a pull-request comment says what the slice is. */
static char *made_label(const cJSON *slice)
{
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(slice, "found_by"), 0);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "method");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "view");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(slice, "explanation");
	const cJSON *rule = cJSON_GetObjectItemCaseSensitive(e, "predicates");
	const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(slice, "confusions"), 0);
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(c, "label_name");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(c, "predicted_name");
	const cJSON *share = cJSON_GetObjectItemCaseSensitive(c, "share");
	const char *sep = ": ";
	fl_strbuf b = {0};

	fl__sb_printf(&b, "%s%s%s", cJSON_IsString(m) ? m->valuestring : "?",
		      cJSON_IsString(v) ? "/" : "", cJSON_IsString(v) ? v->valuestring : "");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fits")) && cJSON_IsString(rule)) {
		fl__sb_printf(&b, "%s%s", sep, rule->valuestring);
		sep = "; ";
	}
	if (cJSON_IsString(from) && cJSON_IsString(to) && cJSON_IsNumber(share))
		fl__sb_printf(&b, "%s%s -> %s %.0f%%", sep, from->valuestring, to->valuestring,
			      100 * share->valuedouble);
	return fl__sb_finish(&b, "slice label");
}

int fl_spec__integer(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
	    v->valuedouble != floor(v->valuedouble))
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

static double number(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(f) ? f->valuedouble : NAN;
}

int fl_spec__read_report(cJSON **doc, const char *path)
{
	const cJSON *version, *slices;
	char *text;

	*doc = NULL;
	if (!(text = fl__read_text(path)))
		return strstr(fl_last_error(), "out of memory") ? FL_ENOMEM : FL_EIO;
	*doc = cJSON_Parse(text);
	free(text);
	if (!*doc)
		return fl__error(FL_EFORMAT, "%s: not a JSON report", path);
	version = cJSON_GetObjectItemCaseSensitive(*doc, "version");
	slices = cJSON_GetObjectItemCaseSensitive(*doc, "slices");
	if (!cJSON_IsNumber(version) || !cJSON_IsArray(slices))
		return fl__error(FL_EFORMAT, "%s: no \"version\" or \"slices\": not a faultline report",
				 path);
	/* version 1 (before causes) differs only in what members and sizes cover */
	if (version->valueint < 1 || version->valueint > FL_REPORT_SCHEMA_VERSION)
		return fl__error(FL_EUNSUP, "%s: report schema version %d; this faultline reads 1 to %d",
				 path, version->valueint, FL_REPORT_SCHEMA_VERSION);
	return 0;
}

int fl_saved_report_load(fl_saved_report **out, const char *path)
{
	fl_saved_report *r = NULL;
	const cJSON *slices, *slice, *n, *views, *view;
	cJSON *doc = NULL;
	double rows;
	int rc = FL_OK;

	*out = NULL;
	if ((rc = fl_spec__read_report(&doc, path)) != 0)
		goto cleanup;
	slices = cJSON_GetObjectItemCaseSensitive(doc, "slices");
	if (!(r = fl__calloc(1, sizeof *r, "saved report")) || !(r->path = fl__strdup(path)) ||
	    !(r->slices = fl__calloc((size_t)cJSON_GetArraySize(slices) + 1, sizeof *r->slices,
				     "saved slices"))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	views = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "dataset"),
						 "views");
	if (cJSON_IsArray(views)) {
		if (!(r->views = fl__calloc((size_t)cJSON_GetArraySize(views) + 1, sizeof *r->views,
					    "saved views"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		cJSON_ArrayForEach(view, views) {
			rc = read_view(&r->views[r->n_views], view, path);
			r->n_views += r->views[r->n_views].name != NULL;
			if (rc)
				goto cleanup;
		}
	}
	n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "dataset"), "n");
	rows = cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble <= 0x1p53 ?
	       n->valuedouble : 0x1p53;
	{
		const cJSON *ds = cJSON_GetObjectItemCaseSensitive(doc, "dataset");

		r->overall = number(ds, "failure_rate");
		r->binary = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(ds, "failure"), "binary"));
	}
	cJSON_ArrayForEach(slice, slices) {
		fl_saved_slice *s = &r->slices[r->n];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(slice, "id");
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(slice, "spec");
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(slice, "description");
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(slice, "size");
		char why[160];

		if (!cJSON_IsString(id) || !cJSON_IsObject(spec)) {
			rc = fl__error(FL_EFORMAT, "%s: slice %d has no \"id\" or no \"spec\"", path,
				       (int)r->n + 1);
			goto cleanup;
		}
		if (fl_spec__check(spec, why, sizeof why) != 0) {
			rc = fl__error(FL_EFORMAT, "%s: slice %d: spec: %s", path, (int)r->n + 1, why);
			goto cleanup;
		}
		/* a size is a count of rows: it is cast to an integer below */
		if ((!cJSON_IsNumber(size) || size->valuedouble != floor(size->valuedouble) ||
			     size->valuedouble < 0 || size->valuedouble > rows)) {
			rc = fl__error(FL_EFORMAT, "%s: slice %d: \"size\" is not a row count in [0, %.17g]",
				       path, (int)r->n + 1, rows);
			goto cleanup;
		}
		r->n++;
		s->id = fl__strdup(id->valuestring);
		s->label = cJSON_IsString(desc) ? fl__strdup(desc->valuestring) : made_label(slice);
		s->spec_json = fl_spec__print(spec);
		s->size = (int64_t)size->valuedouble;
		s->failure_rate = number(slice, "failure_rate");
		s->failure_rate_outside = number(slice, "failure_rate_outside");
		if (!s->id || !s->label || !s->spec_json) {
			rc = fl__error(FL_ENOMEM, "%s: out of memory", path);
			goto cleanup;
		}
	}
	*out = r;
	r = NULL;
cleanup:
	fl_saved_report_free(r);
	cJSON_Delete(doc);
	return rc;
}
