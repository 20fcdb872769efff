/*
 * A slice spec checked before it is used: reports are kept for months and
 * edited by hand, so every number a spec applier would cast or index with
 * is checked here once, against the spec's own shape (a mixture component
 * among the model's k, a k-means component among its centroids, a float
 * that fits a float). The readers of reports (saved.c, report/load.c) and
 * fl_spec_apply refuse a spec that fails, with the field and what is wrong.
 */
#include "spec_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The largest dimension of a vector in a spec (an embedding's columns). */
#define MAX_DIM (1 << 24)

typedef struct why {
	char *buf;
	size_t len;
} why;

/* "\"field\" detail" into the message; -1 */
static int say(why *w, const char *field, const char *detail)
{
	snprintf(w->buf, w->len, "\"%s\" %s", field, detail);
	return -1;
}

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* A finite number; optional fields may be absent (or null when nullable). */
static int finite(why *w, const cJSON *o, const char *name, int optional)
{
	const cJSON *f = get(o, name);

	if (!f && optional)
		return 0;
	if (!cJSON_IsNumber(f) || !isfinite(f->valuedouble))
		return say(w, name, f ? "is not a finite number" : "is missing");
	return 0;
}

/* An integer in [lo, hi); absent is fine when optional. */
static int index_in(why *w, const cJSON *o, const char *name, double lo, double hi, int optional)
{
	const cJSON *f = get(o, name);
	char detail[128];

	if (!f && optional)
		return 0;
	if (!cJSON_IsNumber(f))
		return say(w, name, f ? "is not a number" : "is missing");
	if (f->valuedouble != floor(f->valuedouble) || f->valuedouble < lo ||
	    f->valuedouble >= hi) {
		snprintf(detail, sizeof detail, "is %.15g, not an integer in [%.15g, %.15g)",
			 f->valuedouble, lo, hi);
		return say(w, name, detail);
	}
	return 0;
}

static int string(why *w, const cJSON *o, const char *name)
{
	const cJSON *f = get(o, name);

	if (!cJSON_IsString(f) || !f->valuestring[0])
		return say(w, name, f ? "is not a non-empty string" : "is missing");
	return 0;
}

static int boolean(why *w, const cJSON *o, const char *name)
{
	const cJSON *f = get(o, name);

	if (f && !cJSON_IsBool(f))
		return say(w, name, "is not true or false");
	return 0;
}

/* A non-empty array of numbers that fit a float (dim of them when dim > 0);
 * its length in *out_dim. */
static int vector(why *w, const cJSON *a, const char *name, int64_t dim, int64_t *out_dim)
{
	const cJSON *e;
	int64_t k = 0;
	char detail[128];

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 || cJSON_GetArraySize(a) > MAX_DIM)
		return say(w, name, a ? "is not an array of 1 or more numbers" : "is missing");
	if (dim > 0 && cJSON_GetArraySize(a) != dim) {
		snprintf(detail, sizeof detail, "has %d numbers, not %lld", cJSON_GetArraySize(a),
			 (long long)dim);
		return say(w, name, detail);
	}
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsNumber(e) || !(fabs(e->valuedouble) <= FLT_MAX)) {
			snprintf(detail, sizeof detail, "%.40s[%lld]", name, (long long)k);
			return say(w, detail, cJSON_IsNumber(e) ? "is beyond the float32 range" :
				   "is not a number");
		}
		k++;
	}
	*out_dim = k;
	return 0;
}

static int centroid(why *w, const cJSON *spec)
{
	const cJSON *rows = get(spec, "centroids"), *row;
	int64_t dim = 0, k = 0, d2;
	char field[32];

	if (string(w, spec, "view") || boolean(w, spec, "normalize") ||
	    vector(w, get(spec, "centroid"), "centroid", 0, &dim) ||
	    finite(w, spec, "radius", 0))
		return -1;
	if (get(spec, "radius")->valuedouble < 0)
		return say(w, "radius", "is negative");
	if (!rows)
		return 0;
	if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) < 1)
		return say(w, "centroids", "is not an array of 1 or more centroids");
	cJSON_ArrayForEach(row, rows) {
		snprintf(field, sizeof field, "centroids[%lld]", (long long)k++);
		if (vector(w, row, field, dim, &d2))
			return -1;
	}
	return index_in(w, spec, "component", 0, (double)k, 0);
}

static int direction(why *w, const cJSON *spec)
{
	const cJSON *label = get(spec, "label");
	int64_t dim = 0;

	if (string(w, spec, "view") || boolean(w, spec, "normalize") ||
	    vector(w, get(spec, "weights"), "weights", 0, &dim) || finite(w, spec, "bias", 0) ||
	    finite(w, spec, "threshold", 0))
		return -1;
	return cJSON_IsNull(label) ? 0 : index_in(w, spec, "label", 0, (double)INT32_MAX, 1);
}

static int mixture(why *w, const cJSON *spec)
{
	const cJSON *model = get(spec, "model"), *file = get(model, "file"), *k = get(model, "k");

	if (string(w, spec, "view"))
		return -1;
	if (!cJSON_IsObject(model))
		return say(w, "model", model ? "is not an object" : "is missing");
	if (file && !cJSON_IsNull(file) && !cJSON_IsString(file))
		return say(w, "model.file", "is not a string or null");
	if (index_in(w, model, "k", 1, (double)INT32_MAX, 0))
		return -1;
	return index_in(w, spec, "component", 0, k->valuedouble, 0);
}

/* The most values of an "in_set" predicate (a column's levels are few). */
#define MAX_SET (1 << 16)

/* A scalar a predicate compares with: a string, a number or a boolean. */
static int scalar(const cJSON *v)
{
	return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v);
}

/* An array of 1..MAX_SET items each passing `ok` (len items when len > 0). */
static int array_of(why *w, const cJSON *a, const char *name, int (*ok)(const cJSON *), int len,
		    const char *what)
{
	const cJSON *e;
	char detail[96];

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 || cJSON_GetArraySize(a) > MAX_SET ||
	    (len > 0 && cJSON_GetArraySize(a) != len)) {
		snprintf(detail, sizeof detail, "is not an array of %s%d to %d %s",
			 len > 0 ? "exactly " : "", len > 0 ? len : 1, len > 0 ? len : MAX_SET, what);
		return say(w, name, a ? detail : "is missing");
	}
	cJSON_ArrayForEach(e, a)
		if (!ok(e)) {
			snprintf(detail, sizeof detail, "holds an item that is not one of %s", what);
			return say(w, name, detail);
		}
	return 0;
}

static int is_string(const cJSON *v)
{
	return cJSON_IsString(v);
}

static int is_class(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= 0 &&
	       v->valuedouble < (double)INT32_MAX;
}

/* Predicate k: its op and the fields that op needs (what a value means
 * for a column is for the applier, which sees the column). */
static int predicate(why *w, const cJSON *p, int k)
{
	const cJSON *der = get(p, "derived"), *val = get(p, "value");
	const char *op;
	char f[64];

	if (!cJSON_IsObject(p) || string(w, p, "column") || string(w, p, "op"))
		return say(w, "predicates", "holds an entry without a \"column\" or an \"op\"");
	op = get(p, "op")->valuestring;
	if (strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "in") && strcmp(op, "in_set")) {
		snprintf(f, sizeof f, "predicates[%d].op", k);
		return say(w, f, "is not one of ==, !=, in, in_set");
	}
	snprintf(f, sizeof f, "predicates[%d].value", k);
	if (!strcmp(op, "==") && !val)
		return say(w, f, "is missing");
	if (!strcmp(op, "!=") && !scalar(val))
		return say(w, f, val ? "is not a string, a number or a boolean" : "is missing");
	if (!strcmp(op, "in_set")) {
		snprintf(f, sizeof f, "predicates[%d].values", k);
		if (array_of(w, get(p, "values"), f, scalar, 0, "strings, numbers or booleans"))
			return -1;
		snprintf(f, sizeof f, "predicates[%d].values_hex", k);
		if (get(p, "values_hex") && array_of(w, get(p, "values_hex"), f, is_string,
						     cJSON_GetArraySize(get(p, "values")), "strings"))
			return -1;
	}
	if (!der)
		return 0;
	snprintf(f, sizeof f, "predicates[%d].derived", k);
	if (!cJSON_IsString(der) || (strcmp(der->valuestring, "label") &&
				     strcmp(der->valuestring, "predicted")))
		return say(w, f, "is not \"label\" or \"predicted\"");
	if (!strcmp(op, "in") || cJSON_IsNull(val))
		return say(w, f, "goes with a class (==, != or in_set), not a range or a missing value");
	if (!strcmp(op, "in_set")) {
		snprintf(f, sizeof f, "predicates[%d].classes", k);
		return array_of(w, get(p, "classes"), f, is_class,
				cJSON_GetArraySize(get(p, "values")), "classes (integers >= 0)");
	}
	snprintf(f, sizeof f, "predicates[%d].class", k);
	return is_class(get(p, "class")) ? 0 : say(w, f, get(p, "class") ?
						     "is not a class (an integer >= 0)" : "is missing");
}

static int predicates(why *w, const cJSON *spec)
{
	const cJSON *list = get(spec, "predicates"), *p;
	int k = 0;

	if (!cJSON_IsArray(list))
		return say(w, "predicates", list ? "is not an array" : "is missing");
	cJSON_ArrayForEach(p, list)
		if (predicate(w, p, k++))
			return -1;
	return 0;
}

/* "any_of": a non-empty array "of" of specs of the other types, each
 * checked (one level: an any_of holds none). */
static int any_of(why *w, const cJSON *spec)
{
	const cJSON *list = get(spec, "of"), *e;
	int64_t k = 0;

	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1)
		return say(w, "of", list ? "is not an array of 1 or more specs" : "is missing");
	cJSON_ArrayForEach(e, list) {
		const cJSON *t = get(e, "type");
		char inner[160];

		if (cJSON_IsString(t) && !strcmp(t->valuestring, "any_of"))
			return say(w, "of", "holds an any_of spec");
		if (fl_spec__check(e, inner, sizeof inner) != 0) {
			snprintf(w->buf, w->len, "\"of\"[%lld]: %s", (long long)k, inner);
			return -1;
		}
		k++;
	}
	return 0;
}

int fl_spec__check(const cJSON *spec, char *buf, size_t len)
{
	const cJSON *type = get(spec, "type");
	why w = {buf, len};

	if (!cJSON_IsObject(spec)) {
		snprintf(buf, len, "not an object");
		return -1;
	}
	if (!cJSON_IsString(type))
		return say(&w, "type", type ? "is not a string" : "is missing");
	if (!strcmp(type->valuestring, "any_of"))
		return any_of(&w, spec);
	if (!strcmp(type->valuestring, "centroid"))
		return centroid(&w, spec);
	if (!strcmp(type->valuestring, "direction"))
		return direction(&w, spec);
	if (!strcmp(type->valuestring, "mixture_component"))
		return mixture(&w, spec);
	if (!strcmp(type->valuestring, "predicates"))
		return predicates(&w, spec);
	return 0; /* an unknown type is refused where it is applied (FL_EUNSUP) */
}
