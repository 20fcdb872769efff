/*
 * faultline discover: load what a model did (labels, probabilities or
 * logits or predictions, or a failure signal), one or more embedding views
 * and optional metadata; check that they agree; derive the failure signal;
 * find slices in every view; rank them and report.
 */
#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Discovery methods, as bits of args.methods. */
enum { M_KMEANS = 1, M_PREDICATES = 2, M_DIRECTION = 4, M_MIXTURE = 8 };

static const struct method {
	const char *name;
	int bit;
	int needs_view; /* else: needs --meta */
} methods[] = {
	{"mixture", M_MIXTURE, 1},
	{"kmeans", M_KMEANS, 1},
	{"direction", M_DIRECTION, 1},
	{"predicates", M_PREDICATES, 0},
};

#define N_METHODS ((int)(sizeof methods / sizeof methods[0]))

/* --method NAME (repeatable) selects methods; by default every method whose
 * inputs were given runs. */
static int select_methods(args *a)
{
	for (int i = 0; i < a->method_names.n; i++) {
		int m = 0;

		while (m < N_METHODS && strcmp(methods[m].name, a->method_names.items[i]) != 0)
			m++;
		if (m == N_METHODS)
			return usage_error("discover", "unknown method '%s' (mixture, kmeans, direction, predicates)",
					   a->method_names.items[i]);
		if (methods[m].needs_view && a->views.n == 0)
			return usage_error("discover", "method %s needs a --view", methods[m].name);
		if (!methods[m].needs_view && !a->meta)
			return usage_error("discover", "method %s needs --meta", methods[m].name);
		a->methods |= methods[m].bit;
	}
	for (int m = 0; m < N_METHODS && a->method_names.n == 0; m++)
		if (methods[m].needs_view ? a->views.n > 0 : a->meta != NULL)
			a->methods |= methods[m].bit;
	if (!a->methods)
		return usage_error("discover", "need a --view NAME=FILE.npy or --meta FILE.csv to search");
	return 0;
}

int validate_args(args *a)
{
	if (a->probs && a->logits)
		return usage_error("discover", "give --probs or --logits, not both");
	if (!a->failure && !a->labels)
		return usage_error("discover", "need --labels (with --probs, --logits or --preds) or --failure");
	if (!a->failure && !a->probs && !a->logits && !a->preds)
		return usage_error("discover", "--labels needs --probs, --logits or --preds");
	if (!a->failure && a->preds && !a->labels)
		return usage_error("discover", "--preds needs --labels");
	if (strcmp(a->failure_kind, "error") && strcmp(a->failure_kind, "loss") &&
	    strcmp(a->failure_kind, "confidence"))
		return usage_error("discover", "--failure-kind must be error, loss or confidence");
	if ((a->phrases != NULL) != (a->phrase_emb != NULL) || (a->phrases != NULL) != (a->phrase_view != NULL))
		return usage_error("discover", "--phrases, --phrase-embeddings and --phrase-view go together");
	if (a->per_class && !a->labels)
		return usage_error("discover", "--per-class needs --labels");
	if (a->id_column && !a->meta)
		return usage_error("discover", "--id-column needs --meta");
	if (a->top < 0 || a->k < 0 || a->threads < 0 || a->min_size < 0 || a->max_members < 0)
		return usage_error("discover", "--top, --k, --threads, --min-size and --max-members must be >= 0");
	if (a->components < 1 || a->components > 1000 || a->pca_dims < 1 || a->pca_dims > 4096)
		return usage_error("discover", "need 1 <= --components <= 1000 and 1 <= --pca-dims <= 4096");
	if (!(a->fdr > 0 && a->fdr < 1))
		return usage_error("discover", "--fdr must be in (0, 1)");
	if (!(a->alpha > 0 && a->alpha <= 1) || a->max_level < 1 || a->max_level > 64 ||
	    a->bins < 2 || a->bins > 256 || !(a->min_support >= 0))
		return usage_error("discover", "need 0 < --alpha <= 1, 1 <= --max-level <= 64, 2 <= --bins <= 256, --min-support >= 0");
	for (int i = 0; i < a->views.n; i++) {
		const char *eq = strchr(a->views.items[i], '=');

		if (!eq || eq == a->views.items[i] || !eq[1] || eq - a->views.items[i] > 63)
			return usage_error("discover", "--view expects NAME=FILE.npy (name of 1-63 characters), got '%s'",
					   a->views.items[i]);
		for (int j = 0; j < i; j++)
			if (strncmp(a->views.items[j], a->views.items[i], (size_t)(eq - a->views.items[i] + 1)) == 0)
				return usage_error("discover", "view name '%.*s' given twice",
						   (int)(eq - a->views.items[i]), a->views.items[i]);
	}
	return select_methods(a);
}

static int record_params(fl_report *r, const args *a)
{
	char buf[64];
	int rc = 0;

	buf[0] = '\0';
	for (int m = 0; m < N_METHODS; m++)
		if (a->methods & methods[m].bit)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? "," : "",
				 methods[m].name);
	rc |= fl_report_set_param(r, "methods", buf);
	/* the input files (the views' are recorded with the views) */
	if (a->labels)
		rc |= fl_report_set_param(r, "labels", a->labels);
	if (a->probs || a->logits || a->preds)
		rc |= fl_report_set_param(r, a->probs ? "probs" : a->logits ? "logits" : "preds",
					  a->probs ? a->probs : a->logits ? a->logits : a->preds);
	if (a->meta)
		rc |= fl_report_set_param(r, "meta", a->meta);
	snprintf(buf, sizeof buf, "%lld", (long long)a->seed);
	rc |= fl_report_set_param(r, "seed", buf);
	snprintf(buf, sizeof buf, "%lld", (long long)a->top);
	rc |= fl_report_set_param(r, "top", buf);
	snprintf(buf, sizeof buf, "%lld", (long long)a->k);
	rc |= fl_report_set_param(r, "k", a->k ? buf : "auto");
	snprintf(buf, sizeof buf, "%lld", (long long)a->min_size);
	rc |= fl_report_set_param(r, "min_size", a->min_size ? buf : "auto");
	rc |= fl_report_set_param(r, "normalize", a->normalize ? "true" : "false");
	if (a->methods & M_MIXTURE) {
		snprintf(buf, sizeof buf, "%lld", (long long)a->components);
		rc |= fl_report_set_param(r, "components", buf);
		snprintf(buf, sizeof buf, "%lld", (long long)a->pca_dims);
		rc |= fl_report_set_param(r, "pca_dims", buf);
	}
	snprintf(buf, sizeof buf, "%.15g", a->fdr);
	rc |= fl_report_set_param(r, "holdout", a->no_holdout ? "none" : "half");
	rc |= fl_report_set_param(r, "fdr", buf);
	if (a->methods & M_PREDICATES) {
		snprintf(buf, sizeof buf, "%.15g", a->alpha);
		rc |= fl_report_set_param(r, "alpha", buf);
		snprintf(buf, sizeof buf, "%lld", (long long)a->max_level);
		rc |= fl_report_set_param(r, "max_level", buf);
		snprintf(buf, sizeof buf, "%.15g", a->min_support);
		rc |= fl_report_set_param(r, "min_support", buf);
		snprintf(buf, sizeof buf, "%lld", (long long)a->bins);
		rc |= fl_report_set_param(r, "bins", buf);
	}
	return rc;
}

static void note_cb(void *user, const char *message)
{
	if (!*(const int *)user)
		fprintf(stderr, "faultline: note: %s\n", message);
}

/* The rows a search runs on: all of them, or the discovery half. Arrays
 * are borrowed from `inputs` (all rows) or owned here (a half's copies). */
typedef struct half {
	int64_t n;
	int64_t *rows;        /* owned: the original row of each, NULL = identity */
	double *failure;
	int64_t *labels;
	float *probs;
	float *views[OPT_LIST_MAX];
	fl_table *meta;
	fl_failure_summary *summary;
	int owned;
} half;

static void half_free(half *h)
{
	if (h->owned) {
		free(h->failure);
		free(h->labels);
		free(h->probs);
		for (int v = 0; v < OPT_LIST_MAX; v++)
			free(h->views[v]);
		fl_table_free(h->meta);
	}
	free(h->rows);
	fl_failure_summary_free(h->summary);
}

/* Gather rows[0..m) of an n x d float array. */
static float *gather_f32(const float *x, int64_t d, const int64_t *rows, int64_t m)
{
	float *out = malloc((size_t)(m ? m : 1) * (size_t)d * sizeof *out);

	for (int64_t i = 0; out && i < m; i++)
		memcpy(out + i * d, x + rows[i] * d, (size_t)d * sizeof *out);
	return out;
}

/* The discovery half: the rows with holdout[i] == 0 (all rows when NULL). */
static int half_make(half *h, const inputs *in, const uint8_t *holdout)
{
	int64_t m = 0;
	int rc;

	memset(h, 0, sizeof *h);
	if (!holdout) {
		h->n = in->n;
		h->failure = in->failure;
		h->labels = (int64_t *)(uintptr_t)in->labels;
		h->probs = (float *)(uintptr_t)in->probs;
		for (int v = 0; v < in->n_views; v++)
			h->views[v] = (float *)(uintptr_t)in->view_x[v];
		h->meta = in->meta;
	} else {
		h->owned = 1;
		if (!(h->rows = malloc((size_t)in->n * sizeof *h->rows)))
			return fail(EXIT_INTERNAL, "out of memory");
		for (int64_t i = 0; i < in->n; i++)
			if (!holdout[i])
				h->rows[m++] = i;
		h->n = m;
		if (!(h->failure = malloc((size_t)(m ? m : 1) * sizeof *h->failure)))
			return fail(EXIT_INTERNAL, "out of memory");
		for (int64_t i = 0; i < m; i++)
			h->failure[i] = in->failure[h->rows[i]];
		if (in->labels) {
			if (!(h->labels = malloc((size_t)(m ? m : 1) * sizeof *h->labels)))
				return fail(EXIT_INTERNAL, "out of memory");
			for (int64_t i = 0; i < m; i++)
				h->labels[i] = in->labels[h->rows[i]];
		}
		if (in->probs && !(h->probs = gather_f32(in->probs, in->n_classes, h->rows, m)))
			return fail(EXIT_INTERNAL, "out of memory");
		for (int v = 0; v < in->n_views; v++)
			if (!(h->views[v] = gather_f32(in->view_x[v], in->view_d[v], h->rows, m)))
				return fail(EXIT_INTERNAL, "out of memory");
		if (in->meta && (rc = fl_table_subset(&h->meta, in->meta, h->rows, m)))
			return fail(exit_for_input(rc), "%s", fl_last_error());
	}
	if ((rc = fl_failure_summary_new(&h->summary, h->failure, h->n)))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	return 0;
}

/* Candidates of one method are moved into the report, their members
 * renamed from the half's rows to the original ones. */
static int add_candidates(fl_report *r, const half *h, fl_candidate *cands, int32_t n_cands,
			  int rc, const char *what)
{
	for (int32_t i = 0; rc == 0 && h->rows && i < n_cands; i++)
		for (int64_t k = 0; k < cands[i].n_members; k++)
			cands[i].members[k] = h->rows[cands[i].members[k]];
	if (rc == 0)
		rc = fl_report_add_candidates(r, cands, n_cands);
	for (int32_t i = 0; i < n_cands; i++)
		fl_candidate_clear(&cands[i]);
	free(cands);
	if (rc) /* FL_EIO here is a model file that could not be written */
		return fail(rc == FL_ENOMEM ? EXIT_INTERNAL : rc == FL_EIO ? EXIT_OUTPUT : EXIT_INPUT,
			    "%s: %s", what, fl_last_error());
	return 0;
}

/* Predicate search over the metadata table (the id column is not a predicate). */
static int discover_meta(const half *h, const args *a, fl_report *r, int64_t id_col)
{
	fl_predicate_opts po = FL_PREDICATE_OPTS_INIT;
	fl_candidate *cands = NULL;
	int32_t n_cands = 0;
	int rc, quiet = a->quiet;

	if (!(a->methods & M_PREDICATES))
		return 0;
	po.alpha = a->alpha;
	po.max_level = (int32_t)a->max_level;
	if (a->min_support >= 1)
		po.min_support = (int64_t)a->min_support;
	else
		po.min_support_frac = a->min_support;
	po.bins = (int32_t)a->bins;
	po.top = a->top > 10 ? (int32_t)a->top : 10;
	po.skip_cols = &id_col;
	po.n_skip = id_col >= 0;
	po.threads = (int32_t)a->threads;
	po.note = note_cb;
	po.note_user = &quiet;
	po.progress = progress_cb;
	rc = fl_discover_predicates(&cands, &n_cands, h->meta, h->failure, h->summary, &po);
	progress_done();
	return add_candidates(r, h, cands, n_cands, rc, a->meta);
}

/* Where the mixture model of view v is saved, so that its slices' specs can
 * be applied later: beside the JSON report (OUT.json -> OUT.mixture-VIEW.npz,
 * kept), or a temporary file for the holdout alone (removed at exit). */
static int model_path(inputs *in, const args *a, int v)
{
	const char *dir = getenv("TMPDIR");
	size_t len;
	char *p;

	if (a->json && strcmp(a->json, "-") != 0) {
		len = strlen(a->json) + strlen(in->view_name[v]) + 32;
		if (!(p = malloc(len)))
			return fail(EXIT_INTERNAL, "out of memory");
		snprintf(p, len, "%.*s.mixture-%s.npz",
			 (int)(strlen(a->json) - (strlen(a->json) > 5 &&
			       !strcmp(a->json + strlen(a->json) - 5, ".json") ? 5 : 0)),
			 a->json, in->view_name[v]);
	} else {
		int fd;

		dir = dir && *dir ? dir : "/tmp";
		len = strlen(dir) + 40;
		if (!(p = malloc(len)))
			return fail(EXIT_INTERNAL, "out of memory");
		snprintf(p, len, "%s/faultline-model-XXXXXX", dir);
		if ((fd = mkstemp(p)) < 0) {
			free(p);
			return fail(EXIT_OUTPUT, "%s: cannot create a temporary file: %s", dir,
				    strerror(errno));
		}
		close(fd);
	}
	in->model_path[v] = p;
	/* specs name their model by file name; this is the folder of them all */
	if (!in->model_dir) {
		char *slash;

		if (!(in->model_dir = strdup(p)))
			return fail(EXIT_INTERNAL, "out of memory");
		if (!(slash = strrchr(in->model_dir, '/')))
			strcpy(in->model_dir, ".");
		else
			slash[slash == in->model_dir] = '\0'; /* "/x" -> "/" */
	}
	return 0;
}

/* The view methods (mixture, failure direction, k-means) in view v. */
static int discover_view(inputs *in, const half *h, const args *a, fl_report *r, int v)
{
	const char *name = in->view_name[v];
	int64_t d = in->view_d[v];
	fl_candidate *cands = NULL;
	int32_t n_cands = 0;
	char what[80];
	int rc = 0;

	snprintf(what, sizeof what, "view %s", name);
	if (a->methods & M_DIRECTION) {
		fl_direction_opts dopt = FL_DIRECTION_OPTS_INIT;

		dopt.per_class = a->per_class;
		dopt.normalize = a->normalize;
		dopt.min_size = a->min_size;
		dopt.seed = (uint64_t)a->seed;
		dopt.threads = (int32_t)a->threads;
		dopt.progress = progress_cb;
		rc = fl_discover_direction(&cands, &n_cands, h->views[v], h->n, d, d, name,
					   h->labels, in->n_classes, h->summary, h->failure, &dopt);
		progress_done();
		if ((rc = add_candidates(r, h, cands, n_cands, rc, what)))
			return rc;
	}
	if (a->methods & M_MIXTURE) {
		fl_discover_mixture_opts mo = FL_DISCOVER_MIXTURE_OPTS_INIT;

		if ((rc = model_path(in, a, v)))
			return rc;
		mo.k = (int32_t)a->components;
		mo.pca_dims = (int32_t)a->pca_dims;
		mo.min_size = a->min_size;
		mo.model_path = in->model_path[v];
		mo.seed = (uint64_t)a->seed;
		mo.threads = (int32_t)a->threads;
		mo.progress = progress_cb;
		rc = fl_discover_mixture(&cands, &n_cands, h->views[v], h->n, d, d, name, h->labels,
					 h->probs, in->n_classes, h->summary, h->failure, &mo);
		progress_done();
		if ((rc = add_candidates(r, h, cands, n_cands, rc, what)))
			return rc;
	}
	if (a->methods & M_KMEANS) {
		fl_discover_kmeans_opts ko = FL_DISCOVER_KMEANS_OPTS_INIT;

		ko.k = (int32_t)a->k;
		ko.min_size = a->min_size;
		ko.normalize = a->normalize;
		ko.seed = (uint64_t)a->seed;
		ko.threads = (int32_t)a->threads;
		ko.progress = progress_cb;
		rc = fl_discover_kmeans(&cands, &n_cands, h->views[v], h->n, d, d, name, h->summary,
					h->failure, &ko);
		progress_done();
		rc = add_candidates(r, h, cands, n_cands, rc, what);
	}
	return rc;
}

/* Phrases (one per non-empty line) ranked along every slice in a view. */
static int describe_phrases(inputs *in, const args *a, fl_report *r)
{
	char line[4096], **list = NULL;
	int32_t n = 0, cap = 0, v = 0;
	fl_array *arr;
	const float *emb;
	FILE *fp;
	int rc = 0;

	if (!a->phrases)
		return 0;
	while (v < in->n_views && strcmp(in->view_name[v], a->phrase_view) != 0)
		v++;
	if (v == in->n_views)
		return fail(EXIT_USAGE, "error: --phrase-view %s is not one of the --view names",
			    a->phrase_view);
	if (!(fp = fopen(a->phrases, "r")))
		return fail(EXIT_INPUT, "%s: cannot open: %s", a->phrases, strerror(errno));
	while (rc == 0 && fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (n == cap) {
			char **p = realloc(list, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *p);

			if (!p) {
				rc = fail(EXIT_INTERNAL, "out of memory");
				break;
			}
			list = p;
		}
		if (!(list[n] = strdup(line)))
			rc = fail(EXIT_INTERNAL, "out of memory");
		else
			n++;
	}
	fclose(fp);
	if (rc == 0 && (rc = fl_array_open(&arr, a->phrase_emb, NULL)) != 0)
		rc = fail(exit_for_input(rc), "%s", fl_last_error());
	else if (rc == 0) {
		in->arrays[in->n_arrays++] = arr;
		if (fl_array_rows(arr) != n || fl_array_cols(arr) != in->view_d[v])
			rc = fail(EXIT_INPUT, "%s is %lld x %lld; need %d phrases (%s) x %lld (view %s)",
				  a->phrase_emb, (long long)fl_array_rows(arr),
				  (long long)fl_array_cols(arr), (int)n, a->phrases,
				  (long long)in->view_d[v], in->view_name[v]);
		else if ((rc = fl_array_f32(arr, &emb)) ||
			 (rc = fl_check_finite_f32(emb, n, in->view_d[v], in->view_d[v], a->phrase_emb)) ||
			 (rc = fl_report_describe_phrases(r, in->view_x[v], in->view_d[v],
							  (const char *const *)list, emb, n)))
			rc = fail(exit_for_input(rc), "%s", fl_last_error());
	}
	for (int32_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

/* Search the discovery half (or everything with --no-holdout), fuse, and
 * confirm every slice on the holdout half. */
static int search(inputs *in, const args *a, fl_report *r, int64_t id_col)
{
	uint8_t *holdout = NULL;
	half h;
	int rc;

	if (!a->no_holdout) {
		if (!(holdout = malloc((size_t)in->n)))
			return fail(EXIT_INTERNAL, "out of memory");
		if ((rc = fl_split_holdout(holdout, in->failure, in->n, (uint64_t)a->seed))) {
			free(holdout);
			return fail(EXIT_INTERNAL, "%s", fl_last_error());
		}
	}
	rc = half_make(&h, in, holdout);
	for (int v = 0; rc == 0 && v < in->n_views; v++)
		rc = discover_view(in, &h, a, r, v);
	if (rc == 0)
		rc = discover_meta(&h, a, r, id_col);
	/* one method alone gives its raw top-K, to compare with its peer tool */
	if (rc == 0 && (a->methods & (a->methods - 1)) &&
	    fl_report_merge(r, FL_MERGE_JACCARD, FL_MERGE_CONTAINMENT))
		rc = fail(EXIT_INTERNAL, "%s", fl_last_error());
	if (rc == 0 && holdout) {
		fl_spec_data sd = FL_SPEC_DATA_INIT;
		fl_spec_view sv[OPT_LIST_MAX];

		for (int v = 0; v < in->n_views; v++)
			sv[v] = (fl_spec_view){in->view_name[v], in->view_x[v], in->view_d[v]};
		sd.n = in->n;
		sd.views = sv;
		sd.n_views = in->n_views;
		sd.table = in->meta;
		sd.labels = in->labels;
		sd.probs = in->probs;
		sd.n_classes = in->n_classes;
		sd.base_dir = in->model_dir;
		if ((rc = fl_report_confirm(r, &sd, in->failure, holdout, a->fdr)))
			rc = fail(exit_for_input(rc), "confirming on the holdout: %s", fl_last_error());
	}
	half_free(&h);
	free(holdout);
	return rc;
}

void discover_defaults(args *a)
{
	a->top = 10;
	a->failure_kind = "error";
	a->alpha = 0.95;
	a->fdr = 0.05;
	a->components = 25;
	a->pca_dims = 128;
	a->max_level = 3;
	a->min_support = 0.01;
	a->bins = 10;
}

int discover_build(inputs *in, const args *a, int64_t id_col, const char *failure_name,
		   fl_failure_summary **s, fl_report **r)
{
	int rc;

	if ((rc = fl_failure_summary_new(s, in->failure, in->n)) ||
	    (rc = fl_report_new(r, *s, in->n, failure_name)) ||
	    (rc = fl_report_set_table(*r, in->meta, id_col)) || (rc = record_params(*r, a)) ||
	    (in->labels && in->preds &&
	     (rc = fl_report_set_classes(*r, in->labels, in->preds, in->n_classes,
					 in->class_names))))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	if ((rc = load_views(in, a, *r)) || (rc = search(in, a, *r, id_col)))
		return rc;
	if (a->no_holdout && !a->quiet)
		fprintf(stderr, "faultline: note: --no-holdout: slices are measured on the data they "
			"were found in; their p-values are optimistic and nothing is confirmed\n");
	if ((rc = fl_report_rank(*r, (int32_t)a->top)) || (rc = fl_report_describe(*r, NULL, id_col)))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	return describe_phrases(in, a, *r);
}

int discover_write(inputs *in, const args *a, const fl_report *r, const char *json)
{
	int rc;

	if (json && (rc = fl_report_write_json(r, json, a->max_members)))
		return fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
	if (a->html && in->n_views > 0 && in->n > 1 &&
	    fl_report_set_map((fl_report *)(uintptr_t)r, in->view_name[0], in->view_x[0],
			      in->view_d[0], (uint64_t)a->seed))
		return fail(EXIT_INTERNAL, "%s", fl_last_error());
	if (a->html && (rc = fl_report_write_html(r, a->html)))
		return fail(rc == FL_ENOMEM ? EXIT_INTERNAL : EXIT_OUTPUT, "%s", fl_last_error());
	in->keep_models = json && strcmp(json, "-") != 0;
	if ((!json || strcmp(json, "-") != 0) && fl_report_write_text(r, stdout))
		return fail(EXIT_OUTPUT, "<stdout>: %s", fl_last_error());
	return 0;
}

int cmd_discover(int argc, char **argv)
{
	args a = {0};
	inputs in = {0};
	fl_failure_summary *s = NULL;
	fl_report *r = NULL;
	char failure_name[4200];
	int64_t id_col = -1;
	int rc;
	const opt table[] = {
		{"labels", OPT_STR, "L.npy", "true labels, integers in [0, C)", &a.labels},
		{"probs", OPT_STR, "P.npy", "predicted probabilities, N x C, rows sum to 1", &a.probs},
		{"logits", OPT_STR, "Z.npy", "raw scores, N x C (softmax is applied)", &a.logits},
		{"preds", OPT_STR, "Y.npy", "predicted labels (default: argmax of --probs)", &a.preds},
		{"failure", OPT_STR, "F.npy", "per-sample failure signal, larger = worse", &a.failure},
		{"failure-kind", OPT_STR, "KIND", "error (default), loss or confidence", &a.failure_kind},
		SEARCH_OPTIONS(a),
		{"json", OPT_STR, "OUT.json", "write the report as JSON ('-' = stdout)", &a.json},
		{NULL, OPT_FLAG, NULL, NULL, NULL}
	};

	discover_defaults(&a);
	rc = opts_parse(table, argc, argv, "discover",
			"--labels L.npy --probs P.npy --view NAME=E.npy [--meta M.csv] [options]", NULL);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = validate_args(&a)))
		return rc;
	progress_init(a.quiet);
	if ((rc = load_outputs(&in, &a)) || (rc = check_classes(&in, &a)) ||
	    (rc = load_meta(&in, &a, &id_col)) ||
	    (rc = derive_failure(&in, &a, failure_name, sizeof failure_name)) ||
	    (rc = discover_build(&in, &a, id_col, failure_name, &s, &r)))
		goto cleanup;
	rc = discover_write(&in, &a, r, a.json);
cleanup:
	fl_report_free(r);
	fl_failure_summary_free(s);
	inputs_free(&in);
	return rc;
}
