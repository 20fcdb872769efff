/* Loading and checking the inputs of `faultline discover`: every array and
 * table is read, its rows counted against the others, its values checked,
 * before any search starts. */
#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void inputs_reset_views(inputs *in)
{
	for (int v = 0; v < OPT_LIST_MAX; v++) {
		if (in->model_path[v] && !in->keep_models)
			unlink(in->model_path[v]);
		free(in->model_path[v]);
		in->model_path[v] = NULL;
	}
	free(in->model_dir);
	in->model_dir = NULL;
	in->keep_models = 0;
	in->n_views = 0;
}

void inputs_free(inputs *in)
{
	for (int i = 0; i < in->n_arrays; i++)
		fl_array_free(in->arrays[i]);
	fl_table_free(in->meta);
	free(in->failure);
	free(in->softmax);
	free(in->argmax);
	free(in->class_names);
	inputs_reset_views(in);
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

/* Open "path" or "archive.npz:key", check its shape class (1-D or 2-D). */
int open_array(inputs *in, fl_array **out, const char *spec, const char *what, int want_2d)
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
	if (want_2d && fl_array_ndim(a) != 2)
		return fail(EXIT_INPUT, "%s: %s must be 2-D (rows x %s), got 1-D", spec, what,
			    want_2d == 2 ? "classes" : "dimensions");
	if (!want_2d && fl_array_ndim(a) != 1 && fl_array_cols(a) != 1)
		return fail(EXIT_INPUT, "%s: %s must be 1-D, got %lld x %lld", spec, what,
			    (long long)fl_array_rows(a), (long long)fl_array_cols(a));
	return check_rows(in, spec, fl_array_rows(a));
}

int load_outputs(inputs *in, const args *a)
{
	fl_array *arr;
	int rc;

	if (a->labels) {
		if ((rc = open_array(in, &arr, a->labels, "labels", 0)))
			return rc;
		if ((rc = fl_array_i64(arr, &in->labels)))
			return fail(exit_for_input(rc), "%s", fl_last_error());
	}
	if (a->probs || a->logits) {
		const char *spec = a->probs ? a->probs : a->logits;
		const float *p;

		if ((rc = open_array(in, &arr, spec, a->probs ? "probabilities" : "logits", 2)))
			return rc;
		if ((rc = fl_array_f32(arr, &p)))
			return fail(exit_for_input(rc), "%s", fl_last_error());
		if (fl_array_cols(arr) < 2 || fl_array_cols(arr) > INT32_MAX)
			return fail(EXIT_INPUT, "%s: needs at least 2 class columns, has %lld", spec,
				    (long long)fl_array_cols(arr));
		in->n_classes = (int32_t)fl_array_cols(arr);
		if (a->logits) {
			in->softmax = malloc((size_t)in->n * (size_t)in->n_classes * sizeof(float));
			if (!in->softmax)
				return fail(EXIT_INTERNAL, "out of memory for %s", spec);
			rc = fl_softmax_rows(in->softmax, p, in->n, in->n_classes, spec);
			p = in->softmax;
		} else {
			rc = fl_check_probs(p, in->n, in->n_classes, spec);
		}
		if (rc)
			return fail(exit_for_input(rc), "%s", fl_last_error());
		in->probs = p;
	}
	if (a->preds) {
		if ((rc = open_array(in, &arr, a->preds, "predictions", 0)))
			return rc;
		if ((rc = fl_array_i64(arr, &in->preds)))
			return fail(exit_for_input(rc), "%s", fl_last_error());
	}
	return 0;
}

/* Class count, label and prediction ranges, argmax predictions. */
int check_classes(inputs *in, const args *a)
{
	int rc;

	if (!in->labels)
		return 0;
	if (!in->probs) {
		int64_t mx = 0;

		if (!in->preds)
			return 0;
		for (int64_t i = 0; i < in->n; i++) {
			if (in->labels[i] > mx)
				mx = in->labels[i];
			if (in->preds[i] > mx)
				mx = in->preds[i];
		}
		if (mx >= INT32_MAX)
			return fail(EXIT_INPUT, "%s: label %lld is too large", a->labels, (long long)mx);
		in->n_classes = (int32_t)mx + 1;
	}
	if ((rc = fl_check_labels(in->labels, in->n, in->n_classes, a->labels)))
		return fail(EXIT_INPUT, "%s", fl_last_error());
	if (in->preds && (rc = fl_check_labels(in->preds, in->n, in->n_classes, a->preds)))
		return fail(EXIT_INPUT, "%s", fl_last_error());
	if (!in->preds) {
		in->argmax = malloc((size_t)in->n * sizeof *in->argmax);
		if (!in->argmax)
			return fail(EXIT_INTERNAL, "out of memory");
		for (int64_t i = 0; i < in->n; i++) {
			const float *row = in->probs + i * in->n_classes;
			int32_t best = 0;

			for (int32_t c = 1; c < in->n_classes; c++)
				if (row[c] > row[best])
					best = c;
			in->argmax[i] = best;
		}
		in->preds = in->argmax;
	}
	return 0;
}

int derive_failure(inputs *in, const args *a, char *name, size_t len)
{
	fl_failure_kind kind = FL_FAILURE_ERROR;
	fl_array *arr;
	const double *f;
	int rc;

	if (a->failure && (rc = open_array(in, &arr, a->failure, "failure", 0)))
		return rc;
	in->failure = malloc((size_t)in->n * sizeof *in->failure);
	if (!in->failure)
		return fail(EXIT_INTERNAL, "out of memory for the failure signal");
	if (a->failure) {
		if ((rc = fl_array_f64(arr, &f)) || (rc = fl_check_finite_f64(f, in->n, a->failure)))
			return fail(exit_for_input(rc), "%s", fl_last_error());
		memcpy(in->failure, f, (size_t)in->n * sizeof *f);
		snprintf(name, len, "file:%s", a->failure);
		return 0;
	}
	if (strcmp(a->failure_kind, "loss") == 0)
		kind = FL_FAILURE_LOSS;
	else if (strcmp(a->failure_kind, "confidence") == 0)
		kind = FL_FAILURE_CONFIDENCE;
	if (kind != FL_FAILURE_ERROR && !in->probs)
		return usage_error("discover", "--failure-kind %s needs --probs or --logits",
				   a->failure_kind);
	rc = fl_failure_compute(in->failure, kind, in->n, in->n_classes, in->labels, in->probs,
				in->preds);
	if (rc)
		return fail(exit_for_input(rc), "%s", fl_last_error());
	snprintf(name, len, "%s", fl_failure_kind_name(kind));
	return 0;
}

/* Class names come from a metadata column that is constant within every
 * label: --class-column, or the first categorical column that qualifies. */
static int find_class_names(inputs *in, const args *a)
{
	int64_t first = 0, last = fl_table_cols(in->meta);

	if (a->class_column) {
		first = fl_table_find(in->meta, a->class_column);
		if (first < 0)
			return fail(EXIT_INPUT, "%s: no column '%s' (--class-column)", a->meta,
				    a->class_column);
		last = first + 1;
	}
	for (int64_t j = first; j < last; j++) {
		const int32_t *codes = fl_table_codes(in->meta, j);
		int32_t *seen;
		int ok = 1;

		if (!codes || fl_table_col_type(in->meta, j) != FL_COL_CATEGORICAL)
			continue;
		seen = malloc((size_t)in->n_classes * sizeof *seen);
		if (!seen)
			return fail(EXIT_INTERNAL, "out of memory");
		for (int32_t c = 0; c < in->n_classes; c++)
			seen[c] = -1;
		for (int64_t i = 0; i < in->n && ok; i++) {
			int32_t *s = &seen[in->labels[i]];

			ok = codes[i] >= 0 && (*s < 0 || *s == codes[i]);
			*s = codes[i];
		}
		if (ok) {
			in->class_names = calloc((size_t)in->n_classes, sizeof *in->class_names);
			if (!in->class_names) {
				free(seen);
				return fail(EXIT_INTERNAL, "out of memory");
			}
			for (int32_t c = 0; c < in->n_classes; c++)
				in->class_names[c] = seen[c] < 0 ? NULL :
					fl_table_level(in->meta, j, seen[c]);
			free(seen);
			return 0;
		}
		free(seen);
		if (a->class_column)
			return fail(EXIT_INPUT, "%s: column '%s' is not constant within each label",
				    a->meta, a->class_column);
	}
	return 0;
}

int load_meta(inputs *in, const args *a, int64_t *id_col)
{
	int rc;

	*id_col = -1;
	if (!a->meta)
		return 0;
	if ((rc = fl_table_read_csv(&in->meta, a->meta)))
		return fail(exit_for_input(rc), "%s", fl_last_error());
	if ((rc = check_rows(in, a->meta, fl_table_rows(in->meta))))
		return rc;
	if (a->id_column && (*id_col = fl_table_find(in->meta, a->id_column)) < 0)
		return fail(EXIT_INPUT, "%s: no column '%s' (--id-column)", a->meta, a->id_column);
	return in->labels ? find_class_names(in, a) : 0;
}

/* Every view is read, checked and recorded before any search. */
int load_views(inputs *in, const args *a, fl_report *r)
{
	for (int v = 0; v < a->views.n; v++) {
		const char *item = a->views.items[v], *eq = strchr(item, '=');
		fl_array *arr;
		int rc;

		snprintf(in->view_name[v], sizeof in->view_name[v], "%.*s", (int)(eq - item), item);
		if ((rc = open_array(in, &arr, eq + 1, "a view", 1)))
			return rc;
		in->view_d[v] = fl_array_cols(arr);
		if ((rc = fl_array_f32(arr, &in->view_x[v])) ||
		    (rc = fl_check_finite_f32(in->view_x[v], in->n, in->view_d[v], in->view_d[v], eq + 1)))
			return fail(exit_for_input(rc), "%s", fl_last_error());
		if ((rc = fl_report_add_view(r, in->view_name[v], in->view_d[v], eq + 1)))
			return fail(EXIT_INTERNAL, "%s", fl_last_error());
		in->n_views++;
	}
	return 0;
}
