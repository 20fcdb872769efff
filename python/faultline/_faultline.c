/*
 * _faultline: the CPython binding of libfaultline's four verbs (fl_discover,
 * fl_apply, fl_check, fl_compare) and of the report's renderings. It only
 * converts: the pure-Python layer (the .py files) hands it C-contiguous
 * buffers of the library's dtypes (float32, int64, float64), which are read
 * in place, never copied; the GIL is released while the library computes,
 * and its progress callback takes the GIL back to update a progress bar and
 * to check for Ctrl-C (KeyboardInterrupt), which cancels the run.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <faultline.h>
#include <faultline/pipeline.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PyObject *Error, *InputError;

/* Raise the library's error (unless a Python exception, e.g. a
 * KeyboardInterrupt from the progress callback, is already set). */
static PyObject *raise_fl(int rc)
{
	PyObject *type, *exc, *code;

	if (PyErr_Occurred())
		return NULL;
	if (rc == FL_ENOMEM)
		return PyErr_Format(PyExc_MemoryError, "%s", fl_last_error());
	type = rc == FL_EINVAL || rc == FL_ERANGE || rc == FL_ESHAPE || rc == FL_EFORMAT ||
	       rc == FL_EUNSUP ? InputError : Error;
	if (!(exc = PyObject_CallFunction(type, "s", fl_last_error())))
		return NULL;
	if (!(code = PyLong_FromLong(rc)) || PyObject_SetAttrString(exc, "code", code) < 0) {
		Py_XDECREF(code);
		Py_DECREF(exc);
		return NULL;
	}
	Py_DECREF(code);
	PyErr_SetObject(type, exc);
	Py_DECREF(exc);
	return NULL;
}

/* ---- callbacks: run with the GIL released, take it back ---------------- */

typedef struct callbacks {
	PyObject *progress, *note;  /* callables or None (borrowed) */
	int failed;                 /* a Python exception is set: stop */
} callbacks;

static int progress_cb(void *user, const char *stage, int64_t done, int64_t total)
{
	callbacks *cb = user;
	PyGILState_STATE g = PyGILState_Ensure();
	int stop;

	if (!cb->failed && cb->progress && cb->progress != Py_None) {
		PyObject *s = PyUnicode_DecodeUTF8(stage, (Py_ssize_t)strlen(stage), "replace");
		PyObject *r = s ? PyObject_CallFunction(cb->progress, "OLL", s, (long long)done,
						       (long long)total) : NULL;

		Py_XDECREF(s);
		if (!r)
			cb->failed = 1;
		Py_XDECREF(r);
	}
	if (!cb->failed && PyErr_CheckSignals() < 0)
		cb->failed = 1;
	stop = cb->failed;
	PyGILState_Release(g);
	return stop;
}

static void note_cb(void *user, const char *message)
{
	callbacks *cb = user;
	PyGILState_STATE g = PyGILState_Ensure();

	if (!cb->failed && cb->note && cb->note != Py_None) {
		PyObject *s = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
		PyObject *r = s ? PyObject_CallFunctionObjArgs(cb->note, s, NULL) : NULL;

		Py_XDECREF(s);
		if (!r)
			cb->failed = 1;
		Py_XDECREF(r);
	}
	PyGILState_Release(g);
}

/* ---- inputs: an fl_data over Python buffers ---------------------------- */

#define MAX_BUFS 8

typedef struct inputs {
	fl_data data;
	PyObject *dict;             /* the dict the strings point into (owned) */
	Py_buffer buf[MAX_BUFS];
	int n_buf;
	Py_buffer *view_buf;        /* one per view */
	fl_view *views;
	int32_t n_views;
	fl_table *meta;
	const char **phrases;
} inputs;

static void inputs_free(inputs *in)
{
	if (!in)
		return;
	for (int i = 0; i < in->n_buf; i++)
		PyBuffer_Release(&in->buf[i]);
	for (int32_t v = 0; in->view_buf && v < in->n_views; v++)
		if (in->view_buf[v].obj)
			PyBuffer_Release(&in->view_buf[v]);
	free(in->view_buf);
	free(in->views);
	free(in->phrases);
	fl_table_free(in->meta);
	Py_XDECREF(in->dict);
	free(in);
}

/* A buffer of n elements of `kind` ('f' float32, 'd' float64, 'q' int64),
 * C-contiguous: the Python layer converts to these; anything else here is
 * a bug of that layer, reported as a TypeError naming the input. */
static int take_buffer(Py_buffer *b, PyObject *obj, char kind, Py_ssize_t n, const char *name)
{
	const char *f;
	size_t size = kind == 'f' ? 4 : 8;
	char c;

	if (PyObject_GetBuffer(obj, b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
		return -1;
	f = b->format ? b->format : "B";
	if (*f == '<' || *f == '=' || *f == '@')
		f++;
	c = f[0] == 'l' && b->itemsize == 8 ? 'q' : f[0];
	if (c != kind || f[1] || (size_t)b->itemsize != size || b->len != n * (Py_ssize_t)size) {
		PyErr_Format(PyExc_TypeError, "%s: expected %zd C-contiguous %s values, got %zd bytes "
			     "of format '%s'", name, n, kind == 'f' ? "float32" : kind == 'd' ?
			     "float64" : "int64", b->len, b->format ? b->format : "B");
		PyBuffer_Release(b);
		return -1;
	}
	return 0;
}

/* dict[key] as a buffer of n elements, or NULL data when absent or None. */
static int dict_buffer(inputs *in, const char *key, char kind, Py_ssize_t n, const void **out)
{
	PyObject *obj = PyDict_GetItemString(in->dict, key);

	*out = NULL;
	if (!obj || obj == Py_None)
		return 0;
	if (in->n_buf == MAX_BUFS) {
		PyErr_SetString(PyExc_RuntimeError, "too many arrays");
		return -1;
	}
	if (take_buffer(&in->buf[in->n_buf], obj, kind, n, key) < 0)
		return -1;
	*out = in->buf[in->n_buf++].buf;
	return 0;
}

/* dict[key] as UTF-8 text (borrowed from the dict's str), or NULL. */
static int dict_str(inputs *in, const char *key, const char **out)
{
	PyObject *obj = PyDict_GetItemString(in->dict, key);

	*out = NULL;
	if (!obj || obj == Py_None)
		return 0;
	return (*out = PyUnicode_AsUTF8(obj)) ? 0 : -1;
}

static int dict_long(inputs *in, const char *key, long long *out)
{
	PyObject *obj = PyDict_GetItemString(in->dict, key);

	*out = 0;
	if (!obj || obj == Py_None)
		return 0;
	*out = PyLong_AsLongLong(obj);
	return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static int read_views(inputs *in, Py_ssize_t n)
{
	PyObject *list = PyDict_GetItemString(in->dict, "views");
	Py_ssize_t nv;

	if (!list || list == Py_None)
		return 0;
	if (!PyList_Check(list) || (nv = PyList_GET_SIZE(list)) > INT32_MAX) {
		PyErr_SetString(PyExc_TypeError, "views: expected a list of (name, array, dim, source)");
		return -1;
	}
	if (nv == 0)
		return 0;
	if (!(in->views = calloc((size_t)nv, sizeof *in->views)) ||
	    !(in->view_buf = calloc((size_t)nv, sizeof *in->view_buf))) {
		PyErr_NoMemory();
		return -1;
	}
	in->n_views = (int32_t)nv;
	for (Py_ssize_t v = 0; v < nv; v++) {
		PyObject *t = PyList_GET_ITEM(list, v), *arr, *name_o, *source_o;
		long long dim;

		if (!PyArg_ParseTuple(t, "UOLU", &name_o, &arr, &dim, &source_o))
			return -1;
		if (!(in->views[v].name = PyUnicode_AsUTF8(name_o)) ||
		    !(in->views[v].source = PyUnicode_AsUTF8(source_o)))
			return -1;
		if (take_buffer(&in->view_buf[v], arr, 'f', n * (Py_ssize_t)dim, in->views[v].name) < 0)
			return -1;
		in->views[v].x = in->view_buf[v].buf;
		in->views[v].dim = dim;
	}
	in->data.views = in->views;
	in->data.n_views = in->n_views;
	return 0;
}

static int read_meta(inputs *in)
{
	PyObject *text = PyDict_GetItemString(in->dict, "meta_text");
	const char *path = NULL, *name = NULL;
	int rc = 0;

	if (dict_str(in, "meta_path", &path) < 0 || dict_str(in, "meta_name", &name) < 0)
		return -1;
	if (path)
		rc = fl_table_read_csv(&in->meta, path);
	else if (text && text != Py_None) {
		if (!PyBytes_Check(text)) {
			PyErr_SetString(PyExc_TypeError, "meta_text: expected bytes");
			return -1;
		}
		rc = fl_table_read_csv_text(&in->meta, PyBytes_AS_STRING(text),
					    (size_t)PyBytes_GET_SIZE(text), name);
	} else
		return 0;
	if (rc) {
		raise_fl(rc);
		return -1;
	}
	in->data.meta = in->meta;
	in->data.meta_name = name ? name : path;
	return dict_str(in, "id_column", &in->data.id_column) < 0 ||
	       dict_str(in, "class_column", &in->data.class_column) < 0 ? -1 : 0;
}

static int read_phrases(inputs *in, Py_ssize_t n)
{
	PyObject *list = PyDict_GetItemString(in->dict, "phrases");
	Py_ssize_t np;
	long long dim;

	(void)n;
	if (!list || list == Py_None)
		return 0;
	if (!PyList_Check(list) || (np = PyList_GET_SIZE(list)) > INT32_MAX) {
		PyErr_SetString(PyExc_TypeError, "phrases: expected a list of str");
		return -1;
	}
	if (!(in->phrases = calloc((size_t)np + 1, sizeof *in->phrases))) {
		PyErr_NoMemory();
		return -1;
	}
	for (Py_ssize_t i = 0; i < np; i++)
		if (!(in->phrases[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i))))
			return -1;
	in->data.phrases = in->phrases;
	in->data.n_phrases = (int32_t)np;
	if (dict_long(in, "phrase_dim", &dim) < 0 ||
	    dict_buffer(in, "phrase_emb", 'f', np * (Py_ssize_t)dim,
			(const void **)&in->data.phrase_emb) < 0 ||
	    dict_str(in, "phrase_view", &in->data.phrase_view) < 0 ||
	    dict_str(in, "phrase_emb_name", &in->data.phrase_emb_name) < 0)
		return -1;
	return 0;
}

/* The fl_data of a dict made by faultline/_inputs.py. */
static inputs *read_inputs(PyObject *dict)
{
	fl_data init = FL_DATA_INIT;
	inputs *in;
	long long n, c, logits;

	if (!PyDict_Check(dict)) {
		PyErr_SetString(PyExc_TypeError, "inputs: expected a dict");
		return NULL;
	}
	if (!(in = calloc(1, sizeof *in))) {
		PyErr_NoMemory();
		return NULL;
	}
	in->data = init;
	Py_INCREF(dict);
	in->dict = dict;
	if (dict_long(in, "n", &n) < 0 || dict_long(in, "n_classes", &c) < 0 ||
	    dict_long(in, "logits", &logits) < 0)
		goto fail;
	in->data.n = n;
	in->data.n_classes = (int32_t)c;
	in->data.probs_are_logits = logits != 0;
	if (dict_buffer(in, "labels", 'q', (Py_ssize_t)n, (const void **)&in->data.labels) < 0 ||
	    dict_buffer(in, "probs", 'f', (Py_ssize_t)(n * c), (const void **)&in->data.probs) < 0 ||
	    dict_buffer(in, "preds", 'q', (Py_ssize_t)n, (const void **)&in->data.preds) < 0 ||
	    dict_buffer(in, "failure", 'd', (Py_ssize_t)n, (const void **)&in->data.failure) < 0 ||
	    dict_str(in, "labels_name", &in->data.labels_name) < 0 ||
	    dict_str(in, "probs_name", &in->data.probs_name) < 0 ||
	    dict_str(in, "preds_name", &in->data.preds_name) < 0 ||
	    dict_str(in, "failure_name", &in->data.failure_name) < 0 ||
	    read_views(in, (Py_ssize_t)n) < 0 || read_meta(in) < 0 || read_phrases(in, (Py_ssize_t)n) < 0)
		goto fail;
	return in;
fail:
	inputs_free(in);
	return NULL;
}

/* ---- Report: an fl_report and the inputs it borrows -------------------- */

typedef struct {
	PyObject_HEAD
	fl_report *r;
	inputs *in[2];
} ReportObject;

static void Report_dealloc(ReportObject *self)
{
	fl_report_free(self->r);   /* first: it borrows the inputs */
	inputs_free(self->in[0]);
	inputs_free(self->in[1]);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ReportType;

/* Take r, a and b (NULL allowed) into a new Report; frees them on failure. */
static PyObject *new_report(fl_report *r, inputs *a, inputs *b)
{
	ReportObject *self = PyObject_New(ReportObject, &ReportType);

	if (!self) {
		fl_report_free(r);
		inputs_free(a);
		inputs_free(b);
		return NULL;
	}
	self->r = r;
	self->in[0] = a;
	self->in[1] = b;
	return (PyObject *)self;
}

static PyObject *Report_save(ReportObject *self, PyObject *args)
{
	const char *json, *html;
	long long max_members;
	int rc;

	if (!PyArg_ParseTuple(args, "zzL", &json, &html, &max_members))
		return NULL;
	rc = fl_report_save(self->r, json, html, max_members);  /* with the GIL: it moves the models */
	return rc ? raise_fl(rc) : Py_NewRef(Py_None);
}

static PyObject *Report_write_json(ReportObject *self, PyObject *args)
{
	const char *path;
	long long max_members;
	int rc;

	if (!PyArg_ParseTuple(args, "sL", &path, &max_members))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = fl_report_write_json(self->r, path, max_members);
	Py_END_ALLOW_THREADS
	return rc ? raise_fl(rc) : Py_NewRef(Py_None);
}

static PyObject *Report_write_html(ReportObject *self, PyObject *args)
{
	const char *path, *thumbnails;
	int rc;

	if (!PyArg_ParseTuple(args, "sz", &path, &thumbnails))
		return NULL;
	if ((rc = fl_report_set_thumbnail_dir(self->r, thumbnails)))
		return raise_fl(rc);
	Py_BEGIN_ALLOW_THREADS
	rc = fl_report_write_html(self->r, path);
	Py_END_ALLOW_THREADS
	return rc ? raise_fl(rc) : Py_NewRef(Py_None);
}

/* The readable table of fl_report_write_text, as a str. */
static PyObject *Report_text(ReportObject *self, PyObject *unused)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	PyObject *s;
	int rc;

	(void)unused;
	if (!fp)
		return PyErr_NoMemory();
	rc = fl_report_write_text(self->r, fp);
	if (fclose(fp) != 0 && rc == 0)
		rc = FL_ENOMEM;
	if (rc) {
		free(buf);
		return raise_fl(rc);
	}
	s = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace");
	free(buf);
	return s;
}

/* The addresses the library reads the inputs at (to test zero-copy). */
static PyObject *Report_addresses(ReportObject *self, PyObject *unused)
{
	const fl_data *d = self->in[0] ? &self->in[0]->data : NULL;
	PyObject *out = PyDict_New(), *v;

	(void)unused;
	if (!out || !d)
		return out;
#define PUT(key, ptr) \
	do { \
		if (!(v = PyLong_FromUnsignedLongLong((uintptr_t)(ptr))) || \
		    PyDict_SetItemString(out, key, v) < 0) { \
			Py_XDECREF(v); \
			Py_DECREF(out); \
			return NULL; \
		} \
		Py_DECREF(v); \
	} while (0)
	PUT("labels", d->labels);
	PUT("probs", d->probs);
	PUT("preds", d->preds);
	PUT("failure", d->failure);
	for (int32_t i = 0; i < d->n_views; i++)
		PUT(d->views[i].name, d->views[i].x);
#undef PUT
	return out;
}

static PyMethodDef Report_methods[] = {
	{"save", (PyCFunction)Report_save, METH_VARARGS,
	 "save(json, html, max_members): fl_report_save (JSON, page and models as one unit)"},
	{"write_json", (PyCFunction)Report_write_json, METH_VARARGS, "write_json(path, max_members)"},
	{"write_html", (PyCFunction)Report_write_html, METH_VARARGS, "write_html(path, thumbnail_dir)"},
	{"text", (PyCFunction)Report_text, METH_NOARGS, "the readable table, as the CLI prints it"},
	{"addresses", (PyCFunction)Report_addresses, METH_NOARGS,
	 "where the library read each input (data pointers)"},
	{NULL, NULL, 0, NULL}
};

static PyTypeObject ReportType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "faultline._faultline.Report",
	.tp_basicsize = sizeof(ReportObject),
	.tp_dealloc = (destructor)Report_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "An fl_report and the arrays it borrows (use faultline.Report)",
	.tp_methods = Report_methods,
};

/* ---- options ------------------------------------------------------------ */

/* The option table with each default: [(name, type, help, choices, zero,
 * min, max, default), ...]. */
static PyObject *options(PyObject *mod, PyObject *unused)
{
	static const char *const types[] = {"int", "num", "bool", "choice", "set", "string"};
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	int32_t n = fl_discover_option_count();
	PyObject *list = PyList_New(n);
	char def[256];

	(void)mod;
	(void)unused;
	for (int32_t i = 0; list && i < n; i++) {
		const fl_option *opt = fl_discover_option(i);
		PyObject *t;

		if (fl_discover_opts_get(&o, opt->name, def, sizeof def)) {
			Py_DECREF(list);
			return raise_fl(FL_EINVAL);
		}
		t = Py_BuildValue("(sssssdds)", opt->name, types[opt->type], opt->help,
				  opt->choices ? opt->choices : "", opt->zero ? opt->zero : "",
				  opt->min, opt->max, def);
		if (!t) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, i, t);
	}
	return list;
}

/* Options from [(name, text), ...] into *o, each set by the library. The
 * texts must outlive the call (string options are borrowed). */
static int set_options(fl_discover_opts *o, PyObject *list)
{
	if (!PyList_Check(list)) {
		PyErr_SetString(PyExc_TypeError, "options: expected a list of (name, text)");
		return -1;
	}
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
		const char *name, *value;
		int rc;

		if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "ss", &name, &value))
			return -1;
		if ((rc = fl_discover_opts_set(o, name, value))) {
			raise_fl(rc);
			return -1;
		}
	}
	return 0;
}

/* The verb's report as a Report (taking r and in), or the exception: the
 * callback's (a KeyboardInterrupt) or the library's */
static PyObject *report_or_raise(int rc, const callbacks *cb, fl_report *r, inputs *in)
{
	if (rc || cb->failed) {
		fl_report_free(r);
		inputs_free(in);
		return cb->failed && PyErr_Occurred() ? NULL : raise_fl(rc);
	}
	return new_report(r, in, NULL);
}

/* ---- the verbs ---------------------------------------------------------- */

static PyObject *discover(PyObject *mod, PyObject *args)
{
	PyObject *data, *opts_list;
	const char *prefix;
	callbacks cb = {NULL, NULL, 0};
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_report *r = NULL;
	inputs *in;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "OOzOO", &data, &opts_list, &prefix, &cb.progress, &cb.note) ||
	    set_options(&o, opts_list) < 0 || !(in = read_inputs(data)))
		return NULL;
	o.model_prefix = prefix;
	o.progress = progress_cb;
	o.progress_user = &cb;
	o.note = note_cb;
	o.note_user = &cb;
	Py_BEGIN_ALLOW_THREADS
	rc = fl_discover(&r, &in->data, &o);
	Py_END_ALLOW_THREADS
	return report_or_raise(rc, &cb, r, in);
}

static PyObject *compare(PyObject *mod, PyObject *args)
{
	PyObject *base_d, *cand_d, *opts_list;
	const char *prefix;
	int improvements;
	callbacks cb = {NULL, NULL, 0};
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_report *r = NULL;
	inputs *base = NULL, *cand = NULL;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "OOpOzOO", &base_d, &cand_d, &improvements, &opts_list, &prefix,
			      &cb.progress, &cb.note) ||
	    set_options(&o, opts_list) < 0 || !(base = read_inputs(base_d)))
		return NULL;
	if (!(cand = read_inputs(cand_d))) {
		inputs_free(base);
		return NULL;
	}
	o.model_prefix = prefix;
	o.progress = progress_cb;
	o.progress_user = &cb;
	o.note = note_cb;
	o.note_user = &cb;
	Py_BEGIN_ALLOW_THREADS
	rc = fl_compare(&r, &base->data, &cand->data,
			improvements ? FL_COMPARE_IMPROVEMENTS : FL_COMPARE_REGRESSIONS, &o);
	Py_END_ALLOW_THREADS
	if (rc || cb.failed) {
		fl_report_free(r);
		inputs_free(base);
		inputs_free(cand);
		return cb.failed && PyErr_Occurred() ? NULL : raise_fl(rc);
	}
	return new_report(r, cand, base);
}

static PyObject *load_report(PyObject *mod, PyObject *args)
{
	const char *path;
	fl_report *r = NULL;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "s", &path))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = fl_report_load_json(&r, path);
	Py_END_ALLOW_THREADS
	return rc ? raise_fl(rc) : new_report(r, NULL, NULL);
}

/* The failure kind of a name ("error", "loss", ...), parsed by the library. */
static int failure_kind(const char *name, fl_failure_kind *out)
{
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	int rc = fl_discover_opts_set(&o, "failure_kind", name);

	if (rc) {
		raise_fl(rc);
		return -1;
	}
	*out = o.failure_kind;
	return 0;
}

/* apply(saved_path, data, failure_kind, allow_view_drift, progress) -> Report */
static PyObject *apply(PyObject *mod, PyObject *args)
{
	PyObject *data;
	const char *path, *kind;
	callbacks cb = {NULL, NULL, 0};
	fl_apply_opts ao = FL_APPLY_OPTS_INIT;
	fl_saved_report *saved = NULL;
	fl_report *r = NULL;
	inputs *in;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "sOspO", &path, &data, &kind, &ao.allow_view_drift,
			      &cb.progress) ||
	    failure_kind(kind, &ao.failure_kind) < 0)
		return NULL;
	if ((rc = fl_saved_report_load(&saved, path)))
		return raise_fl(rc);
	if (!(in = read_inputs(data))) {
		fl_saved_report_free(saved);
		return NULL;
	}
	ao.progress = progress_cb;
	ao.progress_user = &cb;
	Py_BEGIN_ALLOW_THREADS
	rc = fl_apply(&r, saved, &in->data, &ao);
	Py_END_ALLOW_THREADS
	fl_saved_report_free(saved);
	return report_or_raise(rc, &cb, r, in);
}

/* check(saved_path, data, failure_kind, max_failure_rate, max_lift,
 * max_regression, max_overall_failure, max_overall_regression, markdown,
 * allow_view_drift, progress) -> ([(id, label, status, why)], (status, why) overall, Report) */
static PyObject *check(PyObject *mod, PyObject *args)
{
	PyObject *data, *list = NULL, *rep = NULL, *out = NULL;
	const char *path, *kind, *markdown;
	callbacks cb = {NULL, NULL, 0};
	fl_check_opts co = FL_CHECK_OPTS_INIT;
	fl_saved_report *saved = NULL;
	fl_verdict *v = NULL, overall;
	fl_report *r = NULL;
	inputs *in;
	int rc;

	(void)mod;
	if (!PyArg_ParseTuple(args, "sOsdddddzpO", &path, &data, &kind, &co.max_failure_rate,
			      &co.max_lift, &co.max_regression, &co.max_overall_failure,
			      &co.max_overall_regression, &markdown, &co.apply.allow_view_drift,
			      &cb.progress) ||
	    failure_kind(kind, &co.apply.failure_kind) < 0)
		return NULL;
	if ((rc = fl_saved_report_load(&saved, path)))
		return raise_fl(rc);
	if (!(in = read_inputs(data))) {
		fl_saved_report_free(saved);
		return NULL;
	}
	co.apply.progress = progress_cb;
	co.apply.progress_user = &cb;
	Py_BEGIN_ALLOW_THREADS
	rc = fl_check(&v, &overall, &r, saved, &in->data, &co);
	if (rc == 0 && !cb.failed && markdown)
		rc = fl_check_write_markdown(markdown, r, saved, v, &overall);
	Py_END_ALLOW_THREADS
	if (rc || cb.failed) {
		if (!(cb.failed && PyErr_Occurred()))
			raise_fl(rc);
		fl_report_free(r);
		inputs_free(in);
		goto cleanup;
	}
	if (!(rep = new_report(r, in, NULL)) || !(list = PyList_New(fl_report_n_slices(r))))
		goto cleanup;
	for (int32_t i = 0; i < fl_report_n_slices(r); i++) {
		const fl_saved_slice *s = fl_saved_report_slice(saved, i);
		PyObject *t = Py_BuildValue("(ssss)", s->id, s->label, fl_status_name(v[i].status),
					    v[i].why);

		if (!t)
			goto cleanup;
		PyList_SET_ITEM(list, i, t);
	}
	out = Py_BuildValue("(O(ss)O)", list, fl_status_name(overall.status), overall.why, rep);
cleanup:
	Py_XDECREF(list);
	Py_XDECREF(rep);
	free(v);
	fl_saved_report_free(saved);
	return out;
}

static PyObject *version(PyObject *mod, PyObject *unused)
{
	(void)mod;
	(void)unused;
	return PyUnicode_FromString(fl_version());
}

static PyMethodDef methods[] = {
	{"version", version, METH_NOARGS, "the library's version"},
	{"options", options, METH_NOARGS, "the option table of fl_discover, with defaults"},
	{"discover", discover, METH_VARARGS, "discover(data, options, model_prefix, progress, note)"},
	{"compare", compare, METH_VARARGS,
	 "compare(base, candidate, improvements, options, model_prefix, progress, note)"},
	{"load_report", load_report, METH_VARARGS, "load_report(path): fl_report_load_json"},
	{"apply", apply, METH_VARARGS,
	 "apply(saved_path, data, failure_kind, allow_view_drift, progress)"},
	{"check", check, METH_VARARGS,
	 "check(saved_path, data, failure_kind, max_failure_rate, max_lift, max_regression, "
	 "max_overall_failure, max_overall_regression, markdown, allow_view_drift, progress)"},
	{NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_faultline", "libfaultline's verbs (see faultline)", -1, methods,
	NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit__faultline(void);

PyMODINIT_FUNC PyInit__faultline(void)
{
	PyObject *m, *bases = NULL;

	if (PyType_Ready(&ReportType) < 0 || !(m = PyModule_Create(&module)))
		return NULL;
	Error = PyErr_NewExceptionWithDoc("faultline.Error",
					  "A library error; .code is the FL_E* code.", NULL, NULL);
	if (Error && (bases = Py_BuildValue("(OO)", Error, PyExc_ValueError)))
		InputError = PyErr_NewExceptionWithDoc(
			"faultline.InputError", "Unusable input (a value, shape, option or file "
			"contents); the message names it.", bases, NULL);
	Py_XDECREF(bases);
	if (!InputError || PyModule_AddObjectRef(m, "Error", Error) < 0 ||
	    PyModule_AddObjectRef(m, "InputError", InputError) < 0 ||
	    PyModule_AddObjectRef(m, "Report", (PyObject *)&ReportType) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
