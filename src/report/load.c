/*
 * A report read back from its JSON (docs/report-json.md), to render it again
 * (text, HTML, JSON) without the data it was found in. What the writers
 * derive from the table and the labels, a JSON report keeps in digested
 * form: confusions with their class names, and the ids of each slice's
 * first members (prototypes). Every field is checked; an error names the
 * file, the slice and the field.
 */
#include "report_internal.h"
#include "spec/spec_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct loader {
	const char *path;
	const char *where; /* "dataset", "slice 3", ... */
	fl_report *r;
	int version;       /* 1: members and sizes of the search half only */
} loader;

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int bad(const loader *L, const char *field, const char *want)
{
	return fl__error(FL_EFORMAT, "%s: %s: \"%s\" is missing or not %s", L->path, L->where, field,
			 want);
}

/* A number, or null for a value that was not finite (NaN). */
static int num(const loader *L, const cJSON *o, const char *name, double *out)
{
	const cJSON *f = get(o, name);

	if (cJSON_IsNumber(f))
		*out = f->valuedouble;
	else if (cJSON_IsNull(f))
		*out = NAN;
	else
		return bad(L, name, "a number");
	return 0;
}

/* An integer in [lo, hi]. */
static int integer(const loader *L, const cJSON *o, const char *name, int64_t lo, int64_t hi,
		   int64_t *out)
{
	const cJSON *f = get(o, name);

	if (!cJSON_IsNumber(f) || f->valuedouble != floor(f->valuedouble) ||
	    f->valuedouble < (double)lo || f->valuedouble > (double)hi)
		return fl__error(FL_EFORMAT, "%s: %s: \"%s\" is missing or not an integer in "
				 "[%lld, %lld]", L->path, L->where, name, (long long)lo, (long long)hi);
	*out = (int64_t)f->valuedouble;
	return 0;
}

static int str(const loader *L, const cJSON *o, const char *name, const char **out)
{
	const cJSON *f = get(o, name);

	if (!cJSON_IsString(f))
		return bad(L, name, "a string");
	*out = f->valuestring;
	return 0;
}

/* The statistics of a slice or of its holdout. */
static int stats(const loader *L, const cJSON *o, fl_slice_stats *st)
{
	const cJSON *ci = get(o, "ci95");
	int rc;

	if ((rc = integer(L, o, "size", 0, L->r->n, &st->size)) ||
	    (rc = num(L, o, "failure_rate", &st->failure_rate)) ||
	    (rc = num(L, o, "failure_rate_outside", &st->failure_rate_outside)) ||
	    (rc = num(L, o, "lift", &st->lift)) || (rc = num(L, o, "p_value", &st->p_value)))
		return rc;
	if (!cJSON_IsArray(ci) || cJSON_GetArraySize(ci) != 2)
		return bad(L, "ci95", "a pair");
	st->ci_low = cJSON_IsNumber(ci->child) ? ci->child->valuedouble : NAN;
	st->ci_high = cJSON_IsNumber(ci->child->next) ? ci->child->next->valuedouble : NAN;
	return 0;
}

/* Row indices (in [0, n)) of an array, into a new buffer. */
static int rows(const loader *L, const cJSON *o, const char *name, int64_t **out, int64_t *n_out)
{
	const cJSON *a = get(o, name), *e;
	int64_t k = 0;

	if (!cJSON_IsArray(a))
		return bad(L, name, "an array");
	*n_out = cJSON_GetArraySize(a);
	if (!(*out = fl__malloc((size_t)(*n_out ? *n_out : 1) * sizeof **out, "slice members")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
		    e->valuedouble >= (double)L->r->n)
			return fl__error(FL_EFORMAT, "%s: %s: %s[%lld] is not a row in [0, %lld)",
					 L->path, L->where, name, (long long)k, (long long)L->r->n);
		(*out)[k++] = (int64_t)e->valuedouble;
	}
	return 0;
}

static int found_by(const loader *L, const cJSON *s, fl_candidate *c)
{
	const cJSON *a = get(s, "found_by"), *e;
	int32_t k = -1;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
		return bad(L, "found_by", "a non-empty array");
	c->n_also = cJSON_GetArraySize(a) - 1;
	if (c->n_also && !(c->also = fl__calloc((size_t)c->n_also, sizeof *c->also, "slice sources")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, a) {
		const cJSON *view = get(e, "view");
		char *method = k < 0 ? c->method : c->also[k].method;
		char *vname = k < 0 ? c->view : c->also[k].view;
		const char *m = NULL;
		int64_t comp = 0;
		double jac = 1, score = 0;
		int rc;

		if ((rc = str(L, e, "method", &m)) ||
		    (rc = integer(L, e, "component", INT32_MIN, INT32_MAX, &comp)) ||
		    (k >= 0 && (rc = num(L, e, "jaccard", &jac))) || (rc = num(L, e, "score", &score)))
			return rc;
		if (!cJSON_IsNull(view) && !cJSON_IsString(view))
			return bad(L, "found_by[].view", "a string or null");
		snprintf(method, sizeof c->method, "%s", m);
		snprintf(vname, sizeof c->view, "%s", cJSON_IsString(view) ? view->valuestring : "");
		if (k < 0) {
			c->component = (int32_t)comp;
		} else {
			c->also[k].component = (int32_t)comp;
			c->also[k].jaccard = jac;
			c->also[k].score = score;
		}
		k++;
	}
	return 0;
}

/* The phrase's index in the report's list, added when new; -1 on ENOMEM. */
static int32_t phrase_index(fl_report *r, const char *text)
{
	char **p;

	for (int32_t i = 0; i < r->n_phrases; i++)
		if (!strcmp(r->phrases[i], text))
			return i;
	if (!(p = realloc(r->phrases, (size_t)(r->n_phrases + 1) * sizeof *p)) ||
	    !(p[r->n_phrases] = fl__strdup(text))) {
		if (p)
			r->phrases = p;
		fl__error(FL_ENOMEM, "out of memory reading phrases");
		return -1;
	}
	r->phrases = p;
	return r->n_phrases++;
}

static int descriptions(const loader *L, const cJSON *s, fl_candidate *c)
{
	const cJSON *d = get(s, "description"), *ex = get(s, "explanation"), *ph = get(s, "phrases");
	const cJSON *e;
	const char *t = NULL;
	int rc;

	if (d && !cJSON_IsString(d))
		return bad(L, "description", "a string");
	if (d && !(c->description = fl__strdup(d->valuestring)))
		return FL_ENOMEM;
	if (ex) {
		if ((rc = str(L, ex, "predicates", &t)) ||
		    (rc = num(L, ex, "precision", &c->explanation_precision)) ||
		    (rc = num(L, ex, "recall", &c->explanation_recall)))
			return rc;
		if (!(c->explanation = fl__strdup(t)))
			return FL_ENOMEM;
	}
	if (ph && (!cJSON_IsArray(ph) || cJSON_GetArraySize(ph) > 3))
		return bad(L, "phrases", "an array of at most 3");
	cJSON_ArrayForEach(e, ph) {
		int32_t k = c->n_phrases;

		if ((rc = str(L, e, "text", &t)) || (rc = num(L, e, "score", &c->phrase_score[k])))
			return rc;
		if ((c->phrase_idx[k] = phrase_index(L->r, t)) < 0)
			return FL_ENOMEM;
		c->n_phrases++;
	}
	return 0;
}

static int holdout(const loader *L, const cJSON *s, fl_candidate *c)
{
	const cJSON *h = get(s, "holdout"), *rep = get(s, "replicated");
	int rc;

	if (!cJSON_IsBool(rep) && !cJSON_IsNull(rep))
		return bad(L, "replicated", "true, false or null");
	c->replicated = cJSON_IsTrue(rep);
	if (!h)
		return 0;
	c->has_holdout = 1;
	if ((rc = stats(L, h, &c->holdout)) || (rc = num(L, h, "p_adjusted", &c->p_adjusted)))
		return rc;
	return L->version > 1 ? 0 : rows(L, h, "members", &c->holdout_members, &c->n_holdout_members);
}

/* The four counts of a comparison, when the object o has them as `field`. */
static int pairs(const loader *L, const cJSON *o, const char *field, int64_t out[4])
{
	static const char *const name[4] = {"both_right", "only_base_right",
					    "only_candidate_right", "both_wrong"};
	const cJSON *cmp = get(o, field);
	int rc;

	for (int k = 0; k < 4 && cmp; k++)
		if ((rc = integer(L, cmp, name[k], 0, L->r->n, &out[k])))
			return rc;
	return 0;
}

static int comparison(const loader *L, const cJSON *s, fl_candidate *c)
{
	c->has_pair_counts = get(s, "comparison") != NULL;
	return pairs(L, s, "comparison", c->pair_counts);
}

/* A class's name as the report printed it, kept for the class. */
static int class_name(const loader *L, int64_t cls, const char *name)
{
	fl_report *r = L->r;

	if (!r->class_names &&
	    !(r->class_names = fl__calloc((size_t)r->n_classes, sizeof *r->class_names, "class names")))
		return FL_ENOMEM;
	if (r->class_names[cls])
		return 0;
	return (r->class_names[cls] = fl__strdup(name)) ? 0 : FL_ENOMEM;
}

/* "confusions" (at most `per` cells, required) or "breakdown" (optional:
 * reports before it lack it) of slice i, into kept + i * per */
static int cells(const loader *L, const cJSON *s, int32_t i, const char *name, int32_t per,
		 fl_confusion *kept, int32_t *n_kept)
{
	const cJSON *a = get(s, name), *e;
	fl_report *r = L->r;
	int32_t k = 0;
	int rc;

	if (!a && per == FL_REPORT_BREAKDOWN)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > per)
		return fl__error(FL_EFORMAT, "%s: %s: \"%s\" is missing or not an array of at most %d",
				 L->path, L->where, name, (int)per);
	if (cJSON_GetArraySize(a) > 0 && r->n_classes < 1)
		return fl__error(FL_EFORMAT, "%s: %s: %s without dataset.n_classes", L->path,
				 L->where, name);
	cJSON_ArrayForEach(e, a) {
		fl_confusion *cf = &kept[i * per + k];
		const char *ln = NULL, *pn = NULL;

		if ((rc = integer(L, e, "label", 0, r->n_classes - 1, &cf->label)) ||
		    (rc = integer(L, e, "predicted", 0, r->n_classes - 1, &cf->pred)) ||
		    (rc = integer(L, e, "count", 0, r->n, &cf->count)) ||
		    (rc = num(L, e, "share", &cf->share)) || (rc = str(L, e, "label_name", &ln)) ||
		    (rc = str(L, e, "predicted_name", &pn)) ||
		    (rc = class_name(L, cf->label, ln)) || (rc = class_name(L, cf->pred, pn)))
			return rc;
		k++;
	}
	n_kept[i] = k;
	return 0;
}

/* A string of the JSON kept with the report (the distributions' and
 * examples' texts); NULL on ENOMEM. */
static const char *keep(const loader *L, const char *text)
{
	fl_report *r = L->r;
	int64_t n = r->saved.n_texts;
	char **t = r->saved.texts;

	if ((n & (n - 1)) == 0 && !(t = realloc(t, (size_t)(n ? 2 * n : 1) * sizeof *t))) {
		fl__error(FL_ENOMEM, "out of memory reading %s", L->path);
		return NULL;
	}
	r->saved.texts = t;
	if (!(t[n] = fl__strdup(text)))
		return NULL;
	r->saved.n_texts++;
	return t[n];
}

/* An array item that counts rows: an integer in [0, n]. */
static int rows_count(const loader *L, const cJSON *e, int64_t *out)
{
	if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
	    e->valuedouble > (double)L->r->n)
		return 0;
	*out = (int64_t)e->valuedouble;
	return 1;
}

/* Optional "distributions" of slice i: each column's bins and its rows in
 * each, inside and outside. */
static int distributions(const loader *L, const cJSON *s, int32_t i)
{
	const cJSON *a = get(s, "distributions"), *e;
	fl_dist *d = &L->r->saved.dists[(size_t)i * FL_DIST_COLUMNS];
	int32_t k = 0;
	int rc;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > FL_DIST_COLUMNS)
		return bad(L, "distributions", "an array of at most 3");
	cJSON_ArrayForEach(e, a) {
		const cJSON *bins = get(e, "bins"), *in = get(e, "inside"), *out = get(e, "outside");
		const cJSON *b, *x, *y;
		const char *col = NULL;
		int32_t nb = cJSON_GetArraySize(bins);

		if ((rc = str(L, e, "column", &col)))
			return rc;
		if (!cJSON_IsArray(bins) || nb < 1 || nb > FL_DIST_BINS || !cJSON_IsArray(in) ||
		    !cJSON_IsArray(out) || cJSON_GetArraySize(in) != nb || cJSON_GetArraySize(out) != nb)
			return bad(L, "distributions[].bins", "1 to 12 bins with inside and outside counts");
		if (!(d[k].column = keep(L, col)))
			return FL_ENOMEM;
		d[k].n_bins = 0;
		for (b = bins->child, x = in->child, y = out->child; b; b = b->next, x = x->next, y = y->next) {
			int32_t j = d[k].n_bins++;

			if (!cJSON_IsString(b))
				return bad(L, "distributions[].bins", "an array of strings");
			if (!rows_count(L, x, &d[k].inside[j]) || !rows_count(L, y, &d[k].outside[j]))
				return bad(L, "distributions[].inside", "counts of rows");
			if (!(d[k].bin[j] = keep(L, b->valuestring)))
				return FL_ENOMEM;
		}
		k++;
	}
	L->r->saved.n_dists[i] = k;
	return 0;
}

/* Optional "examples" of slice i: rows with their ids, classes and kind. */
static int examples(const loader *L, const cJSON *s, int32_t i)
{
	const cJSON *a = get(s, "examples"), *e;
	fl_example *ex = &L->r->saved.examples[(size_t)i * FL_REPORT_EXAMPLES];
	int32_t k = 0;
	int rc;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > FL_REPORT_EXAMPLES)
		return bad(L, "examples", "an array of at most 8");
	cJSON_ArrayForEach(e, a) {
		const char *id = NULL, *ln = NULL, *pn = NULL;
		const cJSON *typical = get(e, "typical");

		ex[k].label = ex[k].pred = -1;
		if ((rc = integer(L, e, "row", 0, L->r->n - 1, &ex[k].row)) ||
		    (rc = str(L, e, "id", &id)))
			return rc;
		if (!cJSON_IsBool(typical))
			return bad(L, "examples[].typical", "true or false");
		if (get(e, "label") &&
		    ((rc = integer(L, e, "label", 0, L->r->n_classes - 1, &ex[k].label)) ||
		     (rc = integer(L, e, "predicted", 0, L->r->n_classes - 1, &ex[k].pred)) ||
		     (rc = str(L, e, "label_name", &ln)) || (rc = str(L, e, "predicted_name", &pn)) ||
		     (rc = class_name(L, ex[k].label, ln)) || (rc = class_name(L, ex[k].pred, pn))))
			return rc;
		if (!(ex[k].id = keep(L, id)))
			return FL_ENOMEM;
		ex[k++].typical = cJSON_IsTrue(typical);
	}
	L->r->saved.n_examples[i] = k;
	return 0;
}

/* Prototypes are the ids of the first members: kept as (row, id). */
static int prototypes(const loader *L, const cJSON *s, const fl_candidate *c)
{
	const cJSON *a = get(s, "prototypes"), *e;
	fl_report *r = L->r;
	int64_t k = 0;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > FL_REPORT_PROTOTYPES)
		return bad(L, "prototypes", "an array of at most 5");
	if (cJSON_GetArraySize(a) > 0 && !c->n_members)
		return fl__error(FL_EFORMAT, "%s: %s: prototypes but no members", L->path, L->where);
	r->id_col = 0;
	cJSON_ArrayForEach(e, a) {
		fl_report_row_id *ids;

		if (!cJSON_IsString(e))
			return bad(L, "prototypes", "an array of strings");
		if (k >= c->n_members)
			break; /* members cut shorter by --max-members */
		if (!(ids = realloc(r->saved.ids, (size_t)(r->saved.n_ids + 1) * sizeof *ids)))
			return fl__error(FL_ENOMEM, "out of memory reading prototypes");
		r->saved.ids = ids;
		ids[r->saved.n_ids].row = c->members[k++];
		if (!(ids[r->saved.n_ids].id = fl__strdup(e->valuestring)))
			return FL_ENOMEM;
		r->saved.n_ids++;
	}
	return 0;
}

/* Version 2 lists the members of both halves, each with its half (0 or 1,
 * the search half's first): they part into members and holdout members. */
static int members(const loader *L, const cJSON *s, fl_candidate *c)
{
	const cJSON *sc = get(s, "member_scores"), *half = get(s, "member_half"), *e;
	int64_t k = 0, n_search = 0;
	int rc;

	if ((rc = rows(L, s, "members", &c->members, &c->n_members)))
		return rc;
	if (!cJSON_IsArray(sc) || cJSON_GetArraySize(sc) != c->n_members)
		return bad(L, "member_scores", "an array as long as members");
	if (L->version > 1) {
		if (!cJSON_IsArray(half) || cJSON_GetArraySize(half) != c->n_members)
			return bad(L, "member_half", "an array as long as members");
		cJSON_ArrayForEach(e, half) {
			if (!cJSON_IsNumber(e) || (e->valuedouble != 0 && e->valuedouble != 1) ||
			    (e->valuedouble == 0 && n_search < k))
				return bad(L, "member_half", "0s (search) then 1s (holdout)");
			n_search += e->valuedouble == 0;
			k++;
		}
		c->n_holdout_members = c->n_members - n_search;
		if (c->n_holdout_members && !c->has_holdout)
			return bad(L, "member_half", "0s only, without a holdout");
		if (!(c->holdout_members = fl__malloc((size_t)(c->n_holdout_members ? c->n_holdout_members : 1) *
						      sizeof *c->holdout_members, "slice members")))
			return FL_ENOMEM;
		memcpy(c->holdout_members, c->members + n_search,
		       (size_t)c->n_holdout_members * sizeof *c->holdout_members);
		c->n_members = n_search;
		k = 0;
	}
	if (!(c->member_scores = fl__malloc((size_t)(c->n_members ? c->n_members : 1) * sizeof(float),
					    "member scores")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, sc) {
		if (!cJSON_IsNumber(e))
			return bad(L, "member_scores", "an array of numbers");
		if (k < c->n_members)
			c->member_scores[k++] = (float)e->valuedouble;
	}
	return 0;
}

/* Version 2: the statistics on every row, on the search half, what the
 * slice accounts for, and its parts. */
static int slice_one(loader *L, const cJSON *s, fl_candidate *c, int32_t i);

static int cause(loader *L, const cJSON *s, fl_candidate *c)
{
	const cJSON *parts = get(s, "parts"), *e;
	double round = 0;
	int rc;

	if ((rc = stats(L, s, &c->whole)) || (rc = stats(L, get(s, "search"), &c->stats)) ||
	    (rc = num(L, s, "excess_failures", &c->excess)) || (rc = num(L, s, "round", &round)))
		return rc;
	if (round != floor(round) || round < 0 || round > 1000)
		return bad(L, "round", "a search number");
	c->round = (int32_t)round;
	if (!parts)
		return 0;
	if (!cJSON_IsArray(parts))
		return bad(L, "parts", "an array");
	if (cJSON_GetArraySize(parts) &&
	    !(c->parts = fl__calloc((size_t)cJSON_GetArraySize(parts), sizeof *c->parts, "slice parts")))
		return FL_ENOMEM;
	cJSON_ArrayForEach(e, parts) {
		c->n_parts++; /* counted before it is complete: freed with the slice on error */
		if (get(e, "parts"))
			return bad(L, "parts", "parts without parts of their own");
		if ((rc = slice_one(L, e, &c->parts[c->n_parts - 1], -1)))
			return rc;
	}
	return 0;
}

/* Slice i of the report, or a part (i < 0: no cells, prototypes or parts). */
static int slice_one(loader *L, const cJSON *s, fl_candidate *c, int32_t i)
{
	const cJSON *spec = get(s, "spec");
	char why[160];
	int rc;

	if ((L->version > 1 ? (rc = cause(L, s, c)) : (rc = stats(L, s, &c->stats))) ||
	    (rc = num(L, s, "score", &c->score)) || (rc = found_by(L, s, c)) ||
	    (rc = descriptions(L, s, c)) || (rc = holdout(L, s, c)) || (rc = comparison(L, s, c)) ||
	    (i >= 0 && (rc = cells(L, s, i, "confusions", FL_REPORT_CONFUSIONS, L->r->saved.conf,
				   L->r->saved.n_conf))) ||
	    (i >= 0 && (rc = cells(L, s, i, "breakdown", FL_REPORT_BREAKDOWN, L->r->saved.cells,
				   L->r->saved.n_cells))) ||
	    (rc = members(L, s, c)) || (i >= 0 && (rc = prototypes(L, s, c))) ||
	    (i >= 0 && (rc = distributions(L, s, i))) || (i >= 0 && (rc = examples(L, s, i))))
		return rc;
	if (spec && !cJSON_IsObject(spec))
		return bad(L, "spec", "an object");
	if (spec && fl_spec__check(spec, why, sizeof why) != 0)
		return fl__error(FL_EFORMAT, "%s: %s: spec: %s", L->path, L->where, why);
	if (spec && !(c->spec_json = fl_spec__print(spec)))
		return fl__error(FL_ENOMEM, "out of memory reading a spec");
	return 0;
}

static int dataset(loader *L, const cJSON *doc)
{
	const cJSON *d = get(doc, "dataset"), *f = get(d, "failure"), *h = get(d, "holdout");
	const cJSON *views = get(d, "views"), *cols = get(d, "columns"), *nc = get(d, "n_classes");
	const cJSON *e, *params = get(doc, "parameters");
	const char *sig = NULL;
	fl_report *r = L->r;
	int64_t v = 0;
	int rc;

	L->where = "dataset";
	if (!cJSON_IsObject(d) || !cJSON_IsObject(f))
		return bad(L, cJSON_IsObject(d) ? "failure" : "dataset", "an object");
	if ((rc = integer(L, d, "n", 1, INT64_MAX / 2, &r->n)) || (rc = str(L, f, "signal", &sig)) ||
	    (rc = num(L, f, "mean", &r->overall)))
		return rc;
	if (!cJSON_IsBool(get(f, "binary")))
		return bad(L, "binary", "true or false");
	r->binary = cJSON_IsTrue(get(f, "binary"));
	if (!(r->failure_name = fl__strdup(sig)))
		return FL_ENOMEM;
	if (nc) {
		if ((rc = integer(L, d, "n_classes", 1, 1 << 24, &v)))
			return rc;
		r->n_classes = (int32_t)v;
	}
	if ((rc = pairs(L, d, "comparison", r->pairs)))
		return rc;
	r->has_pairs = get(d, "comparison") != NULL;
	if (cJSON_IsObject(h)) {
		if ((rc = integer(L, h, "rows", 0, r->n, &r->n_holdout)) ||
		    (rc = num(L, h, "fdr", &r->confirm_q)))
			return rc;
	} else if (!cJSON_IsNull(h)) {
		return bad(L, "holdout", "an object or null");
	}
	if (!cJSON_IsArray(views) || !cJSON_IsArray(cols) || !cJSON_IsObject(params))
		return bad(L, !cJSON_IsArray(views) ? "views" : !cJSON_IsArray(cols) ? "columns" :
			   "parameters", cJSON_IsArray(cols) && cJSON_IsArray(views) ? "an object" :
			   "an array");
	cJSON_ArrayForEach(e, views) {
		const char *name = NULL, *src = NULL;

		const cJSON *fp = get(e, "fingerprint");
		char *json = NULL;

		if ((rc = str(L, e, "name", &name)) || (rc = str(L, e, "source", &src)) ||
		    (rc = integer(L, e, "dim", 1, INT32_MAX, &v)) ||
		    (rc = fl_report_add_view(r, name, v, src)))
			return rc;
		if (fp && !cJSON_IsObject(fp))
			return bad(L, "fingerprint", "an object");
		if (fp && !(json = fl_spec__print(fp)))
			return fl__error(FL_ENOMEM, "out of memory reading a view's fingerprint");
		if (json) /* kept as written: `faultline report` writes it again */
			fl_report__set_view_print(r, r->n_views - 1, json);
	}
	r->n_cols = cJSON_GetArraySize(cols);
	if (!(r->saved.columns_json = fl_spec__print(cols)))
		return fl__error(FL_ENOMEM, "out of memory reading columns");
	cJSON_ArrayForEach(e, params) {
		/* the run's stage times describe that run, not the report */
		if (e->string && !strcmp(e->string, "timings") && cJSON_IsObject(e))
			continue;
		if (!cJSON_IsString(e))
			return fl__error(FL_EFORMAT, "%s: parameter \"%s\" is not a string", L->path,
					 e->string);
		if ((rc = fl_report_set_param(r, e->string, e->valuestring)))
			return rc;
	}
	return 0;
}

int fl_report_load_json(fl_report **out, const char *path)
{
	loader L = {path, "report", NULL, 1};
	const cJSON *slices, *s;
	cJSON *doc = NULL;
	char where[64];
	int32_t ns;
	int rc;

	if (!out || !path)
		return fl__error(FL_EINVAL, "no report file named, or nowhere to load it");
	*out = NULL;
	if ((rc = fl_spec__read_report(&doc, path)) != 0)
		goto cleanup;
	L.version = get(doc, "version")->valueint;
	slices = get(doc, "slices");
	ns = cJSON_GetArraySize(slices);
	if (!(L.r = fl__calloc(1, sizeof *L.r, "report")) ||
	    !(L.r->slices = fl__calloc((size_t)ns + 1, sizeof *L.r->slices, "report slices")) ||
	    !(L.r->saved.conf = fl__calloc((size_t)ns * FL_REPORT_CONFUSIONS + 1, sizeof(fl_confusion),
					   "report confusions")) ||
	    !(L.r->saved.n_conf = fl__calloc((size_t)ns + 1, sizeof(int32_t), "report confusions")) ||
	    !(L.r->saved.cells = fl__calloc((size_t)ns * FL_REPORT_BREAKDOWN + 1, sizeof(fl_confusion),
					    "report breakdown")) ||
	    !(L.r->saved.n_cells = fl__calloc((size_t)ns + 1, sizeof(int32_t), "report breakdown")) ||
	    !(L.r->saved.dists = fl__calloc((size_t)ns * FL_DIST_COLUMNS + 1, sizeof(fl_dist),
					    "report distributions")) ||
	    !(L.r->saved.n_dists = fl__calloc((size_t)ns + 1, sizeof(int32_t), "report distributions")) ||
	    !(L.r->saved.examples = fl__calloc((size_t)ns * FL_REPORT_EXAMPLES + 1, sizeof(fl_example),
					       "report examples")) ||
	    !(L.r->saved.n_examples = fl__calloc((size_t)ns + 1, sizeof(int32_t), "report examples")) ||
	    !(L.r->source = fl__strdup(path))) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	L.r->cap_slices = ns + 1;
	L.r->id_col = -1;
	if ((rc = dataset(&L, doc)) != 0)
		goto cleanup;
	cJSON_ArrayForEach(s, slices) {
		snprintf(where, sizeof where, "slice %d", (int)L.r->n_slices + 1);
		L.where = where;
		L.r->n_slices++; /* counted before it is complete: freed with the report on error */
		if ((rc = slice_one(&L, s, &L.r->slices[L.r->n_slices - 1], L.r->n_slices - 1)) != 0)
			goto cleanup;
	}
	if (L.r->saved.n_ids > 1)
		qsort(L.r->saved.ids, (size_t)L.r->saved.n_ids, sizeof *L.r->saved.ids,
		      fl_report__cmp_row_id);
	*out = L.r;
	L.r = NULL;
	rc = 0;
cleanup:
	fl_report_free(L.r);
	cJSON_Delete(doc);
	return rc;
}
