/* Reading the files of `faultline discover`, `apply`, `check` and
 * `compare` into an fl_data: every array and table is opened, its shape
 * and rows counted against the others. Checking the values and everything
 * after is the library's. */
#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void args_init(args *a)
{
	memset(a, 0, sizeof *a);
	fl_discover_opts_init(&a->o);
}

void inputs_free(inputs *in)
{
	for (int i = 0; i < in->n_arrays; i++)
		fl_array_free(in->arrays[i]);
	fl_table_free(in->meta);
	for (int32_t i = 0; in->phrases && i < in->data.n_phrases; i++)
		free(in->phrases[i]);
	free(in->phrases);
	memset(in, 0, sizeof *in);
}

int lib_fail(int rc, int eio_is_output)
{
	if (rc == FL_ECANCELED && progress_cancelled())
		return progress_cancelled();
	fail(EXIT_INPUT, "%s", fl_last_error());
	return rc == FL_ENOMEM ? EXIT_INTERNAL : rc == FL_EIO && eio_is_output ? EXIT_OUTPUT : EXIT_INPUT;
}

/* Rows must agree across every input: the message names both. */
static int check_rows(inputs *in, const char *name, int64_t rows)
{
	if (!in->n_from) {
		in->n = rows;
		in->n_from = name;
		return 0;
	}
	if (rows != in->n)
		return fail(EXIT_INPUT, "row counts disagree: %s has %lld rows, %s has %lld",
			    name, (long long)rows, in->n_from, (long long)in->n);
	return 0;
}

/* Open "path" or "archive.npz:key", check its shape class; want_2d: 0 =
 * 1-D, 1 = a view, 2 = classes, -1 = any (rows not counted). */
static int open_array(inputs *in, fl_array **out, const char *spec, const char *what, int want_2d)
{
	char path[4096];
	const char *key = NULL, *colon = strstr(spec, ".npz:");
	fl_array *a;
	int rc;

	snprintf(path, sizeof path, "%s", spec);
	if (colon) {
		path[colon - spec + 4] = '\0';
		key = colon + 5;
	}
	if ((rc = fl_array_open(&a, path, key)) != 0)
		return fail(exit_for_input(rc), "%s", fl_last_error());
	in->arrays[in->n_arrays++] = a;
	*out = a;
	if (want_2d > 0 && fl_array_ndim(a) != 2)
		return fail(EXIT_INPUT, "%s: %s must be 2-D (rows x %s), got 1-D", spec, what,
			    want_2d == 2 ? "classes" : "dimensions");
	if (!want_2d && fl_array_ndim(a) != 1 && fl_array_cols(a) != 1)
		return fail(EXIT_INPUT, "%s: %s must be 1-D, got %lld x %lld", spec, what,
			    (long long)fl_array_rows(a), (long long)fl_array_cols(a));
	return want_2d < 0 ? 0 : check_rows(in, spec, fl_array_rows(a));
}

/* Take a typed view of arr into *out later (take_views). */
static int as_i64(inputs *in, fl_array *arr, const int64_t **out)
{
	in->views_due[in->n_due].arr = arr;
	in->views_due[in->n_due++].i64 = out;
	return 0;
}

static int as_f32(inputs *in, fl_array *arr, const float **out)
{
	in->views_due[in->n_due].arr = arr;
	in->views_due[in->n_due++].f32 = out;
	return 0;
}

static int as_f64(inputs *in, fl_array *arr, const double **out)
{
	in->views_due[in->n_due].arr = arr;
	in->views_due[in->n_due++].f64 = out;
	return 0;
}

/* Every file is open and agrees on rows: now convert (or inflate). */
static int take_views(inputs *in)
{
	for (int i = 0; i < in->n_due; i++) {
		fl_array *arr = in->views_due[i].arr;
		int rc = in->views_due[i].i64 ? fl_array_i64(arr, in->views_due[i].i64)
			 : in->views_due[i].f32 ? fl_array_f32(arr, in->views_due[i].f32)
						: fl_array_f64(arr, in->views_due[i].f64);

		if (rc)
			return fail(exit_for_input(rc), "%s", fl_last_error());
	}
	/* several ranks: each keeps the mapping of its own rows of every view
	 * only (cli/mpi.c) */
	for (int i = 0; i < in->n_due; i++)
		for (int v = 0; v < in->data.n_views; v++)
			if (in->views_due[i].f32 == &in->views[v].x)
				ranks_map_own(in->views_due[i].arr, in->views[v].x, in->n,
					      in->views[v].dim);
	return 0;
}

static int read_outputs(inputs *in, const args *a)
{
	fl_data *d = &in->data;
	fl_array *arr;
	int rc;

	if (a->labels && ((rc = open_array(in, &arr, a->labels, "labels", 0)) ||
			  (rc = as_i64(in, arr, &d->labels))))
		return rc;
	d->labels_name = a->labels;
	if (a->probs || a->logits) {
		const char *spec = a->probs ? a->probs : a->logits;

		if ((rc = open_array(in, &arr, spec, a->probs ? "probabilities" : "logits", 2)) ||
		    (rc = as_f32(in, arr, &d->probs)))
			return rc;
		if (fl_array_cols(arr) > INT32_MAX)
			return fail(EXIT_INPUT, "%s: %lld class columns", spec, (long long)fl_array_cols(arr));
		d->n_classes = (int32_t)fl_array_cols(arr);
		d->probs_are_logits = a->logits != NULL;
		d->probs_name = spec;
	}
	if (a->preds && ((rc = open_array(in, &arr, a->preds, "predictions", 0)) ||
			 (rc = as_i64(in, arr, &d->preds))))
		return rc;
	d->preds_name = a->preds;
	return 0;
}

static int read_meta(inputs *in, const args *a)
{
	int rc;

	if (!a->meta)
		return 0;
	if (cli_ranks > 1) { /* rank 0 reads the file, every rank parses it */
		char *text;
		size_t len;

		if ((rc = ranks_read_file(a->meta, &text, &len)))
			return rc;
		rc = fl_table_read_csv_text(&in->meta, text, len, a->meta);
		free(text);
	} else {
		rc = fl_table_read_csv(&in->meta, a->meta);
	}
	if (rc)
		return fail(exit_for_input(rc), "%s", fl_last_error());
	if ((rc = check_rows(in, a->meta, fl_table_rows(in->meta))))
		return rc;
	in->data.meta = in->meta;
	in->data.meta_name = a->meta;
	in->data.id_column = a->id_column;
	in->data.class_column = a->class_column;
	return 0;
}

static int read_failure(inputs *in, const args *a)
{
	fl_array *arr;
	int rc;

	if (!a->failure)
		return 0;
	if ((rc = open_array(in, &arr, a->failure, "failure", 0)) ||
	    (rc = as_f64(in, arr, &in->data.failure)))
		return rc;
	in->data.failure_name = a->failure;
	return 0;
}

static int read_views(inputs *in, const args *a)
{
	for (int v = 0; v < a->views.n; v++) {
		const char *item = a->views.items[v], *eq = strchr(item, '=');
		fl_array *arr;
		int rc;

		snprintf(in->view_name[v], sizeof in->view_name[v], "%.*s", (int)(eq - item), item);
		if ((rc = open_array(in, &arr, eq + 1, "a view", 1)) ||
		    (rc = as_f32(in, arr, &in->views[v].x)))
			return rc;
		in->views[v].name = in->view_name[v];
		in->views[v].dim = fl_array_cols(arr);
		in->views[v].source = eq + 1;
	}
	in->data.views = in->views;
	in->data.n_views = a->views.n;
	return 0;
}

/* Phrases (one per non-empty line) and their embeddings. */
static int read_phrases(inputs *in, const args *a)
{
	char line[4096];
	int32_t cap = 0, v = 0;
	fl_array *arr;
	FILE *fp;
	int rc = 0;

	if (!a->phrases)
		return 0;
	while (v < in->data.n_views && strcmp(in->view_name[v], a->phrase_view) != 0)
		v++;
	if (v == in->data.n_views)
		return usage_error("discover", "--phrase-view %s is not one of the --view names",
				   a->phrase_view);
	if (!(fp = fopen(a->phrases, "r")))
		return fail(EXIT_INPUT, "%s: cannot open: %s", a->phrases, strerror(errno));
	while (rc == 0 && fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (in->data.n_phrases == cap) {
			char **p = realloc(in->phrases, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *p);

			if (!p) {
				rc = fail(EXIT_INTERNAL, "out of memory");
				break;
			}
			in->phrases = p;
		}
		if (!(in->phrases[in->data.n_phrases] = strdup(line)))
			rc = fail(EXIT_INTERNAL, "out of memory");
		else
			in->data.n_phrases++;
	}
	fclose(fp);
	if (rc || (rc = open_array(in, &arr, a->phrase_emb, "phrase embeddings", -1)))
		return rc;
	if (fl_array_rows(arr) != in->data.n_phrases || fl_array_cols(arr) != in->views[v].dim)
		return fail(EXIT_INPUT, "%s is %lld x %lld; need %d phrases (%s) x %lld (view %s)",
			    a->phrase_emb, (long long)fl_array_rows(arr), (long long)fl_array_cols(arr),
			    (int)in->data.n_phrases, a->phrases, (long long)in->views[v].dim,
			    in->view_name[v]);
	in->data.phrases = (const char *const *)in->phrases;
	in->data.phrase_view = a->phrase_view;
	in->data.phrase_emb_name = a->phrase_emb;
	return as_f32(in, arr, &in->data.phrase_emb);
}

int read_inputs(inputs *in, const args *a, int with_views)
{
	fl_data init = FL_DATA_INIT;
	int rc;

	in->data = init;
	if ((rc = read_outputs(in, a)) || (rc = read_meta(in, a)) || (rc = read_failure(in, a)) ||
	    (with_views && ((rc = read_views(in, a)) || (rc = read_phrases(in, a)))) ||
	    (rc = take_views(in)))
		return rc;
	in->data.n = in->n;
	return 0;
}

int check_data_args(const args *a, const opt_list *pos, const char *verb)
{
	if (pos->n != 1)
		return usage_error(verb, "need exactly one saved report (RUN.json)");
	if (a->probs && a->logits)
		return usage_error(verb, "give --probs or --logits, not both");
	if (!a->failure && (!a->labels || (!a->probs && !a->logits && !a->preds)))
		return usage_error(verb, "need --labels with --probs, --logits or --preds, or --failure");
	return 0;
}
