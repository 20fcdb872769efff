/*
 * A report and its model files as one unit: the mixture models of a run
 * live in a temporary folder (beside where they will be kept, so that the
 * final move is a rename) until fl_report_save writes the JSON and the HTML
 * page to temporary files and, only when every write succeeded, renames the
 * models, the JSON and the page into place. A failed or cancelled run
 * leaves the previous report and its models as they were.
 */
#include "report_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A view's name as part of a file name: letters, digits, '-', '_' and '.'
 * (not leading) kept, anything else '_'; a name changed so is followed by
 * a hash of the original, so that two views never share a file. */
static void put_view(fl_strbuf *b, const char *view)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	int changed = 0;

	for (const unsigned char *p = (const unsigned char *)view; *p; p++) {
		int ok = isalnum(*p) || *p == '-' || *p == '_' || (*p == '.' && p != (const unsigned char *)view);

		fl__sb_printf(b, "%c", ok && *p < 0x80 ? *p : '_');
		changed |= !ok || *p >= 0x80;
		h = (h ^ *p) * 0x100000001b3ULL;
	}
	if (changed || !*view)
		fl__sb_printf(b, "-%08llx", (unsigned long long)(h & 0xffffffffULL));
}

int fl_report__model_path(fl_report *r, const char *prefix, const char *view, int32_t round,
			  char **out)
{
	const char *base;
	char **files;
	fl_strbuf b = {0};

	*out = NULL;
	base = prefix ? (strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix) : "";
	fl__sb_printf(&b, "%s%smixture", base, *base ? "." : "");
	if (round > 1) /* a later search's model: "mixture2-VIEW.npz" */
		fl__sb_printf(&b, "%d", (int)round);
	fl__sb_printf(&b, "-");
	put_view(&b, view);
	fl__sb_printf(&b, ".npz");
	if (!(files = realloc(r->models.files, (size_t)(r->models.n + 1) * sizeof *files))) {
		free(b.s);
		return fl__error(FL_ENOMEM, "out of memory for model file names");
	}
	r->models.files = files;
	if (!(files[r->models.n] = fl__sb_finish(&b, "model file name")))
		return FL_ENOMEM;
	r->models.n++;
	b = (fl_strbuf){0};
	if (!r->models.tmpdir) {
		const char *tmp = getenv("TMPDIR");

		if (prefix && !(r->models.dir = fl__folder_of(prefix)))
			return FL_ENOMEM;
		if (prefix)
			fl__sb_printf(&b, "%s.tmp.XXXXXX", prefix);
		else
			fl__sb_printf(&b, "%s/faultline-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!(r->models.tmpdir = fl__sb_finish(&b, "temporary folder name")))
			return FL_ENOMEM;
		b = (fl_strbuf){0};
		if (!mkdtemp(r->models.tmpdir)) {
			int err = errno;

			free(r->models.tmpdir);
			r->models.tmpdir = NULL;
			if (prefix)
				return fl__error(FL_EIO, "%s/%s: cannot create a temporary folder beside it: %s",
						 r->models.dir, files[r->models.n - 1], strerror(err));
			return fl__error(FL_EIO, "%s: cannot create a temporary folder: %s",
					 tmp && *tmp ? tmp : "/tmp", strerror(err));
		}
	}
	fl__sb_printf(&b, "%s/%s", r->models.tmpdir, files[r->models.n - 1]);
	return (*out = fl__sb_finish(&b, "model file name")) ? 0 : FL_ENOMEM;
}

const char *fl_report__model_dir(const fl_report *r)
{
	return r->models.tmpdir;
}

/* Move the models into their folder (they are named by the JSON's specs). */
static int commit_models(fl_report *r)
{
	fl_strbuf from = {0}, to = {0};
	int rc = 0;

	for (int32_t i = 0; rc == 0 && i < r->models.n; i++) {
		from.len = to.len = 0;
		fl__sb_printf(&from, "%s/%s", r->models.tmpdir, r->models.files[i]);
		fl__sb_printf(&to, "%s/%s", r->models.dir, r->models.files[i]);
		if (from.oom || to.oom)
			rc = fl__error(FL_ENOMEM, "out of memory for model file names");
		else if (rename(from.s, to.s) != 0)
			rc = fl__error(FL_EIO, "%s: cannot write: %s", to.s, strerror(errno));
	}
	free(from.s);
	free(to.s);
	if (rc == 0) { /* they are kept: nothing left to remove */
		rmdir(r->models.tmpdir);
		free(r->models.tmpdir);
		r->models.tmpdir = NULL;
	}
	return rc;
}

/* Before anything is written: the outputs are distinct files, and the
 * models' places hold regular files or nothing (a model is never streamed). */
static int preflight(const fl_report *r, const char *json, const char *html, int to_file)
{
	int32_t n = 2 + (to_file ? r->models.n : 0);
	char **real = fl__calloc((size_t)n, sizeof *real, "output names");
	char **model = fl__calloc((size_t)n, sizeof *model, "output names");
	const char **name = fl__calloc((size_t)n, sizeof *name, "output names");
	fl_strbuf b = {0};
	struct stat st;
	int rc = 0;

	if (!real || !model || !name) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	name[0] = to_file ? json : NULL;
	name[1] = html;
	for (int32_t i = 2; i < n; i++) {
		b = (fl_strbuf){0};
		fl__sb_printf(&b, "%s/%s", r->models.dir, r->models.files[i - 2]);
		if (!(model[i] = fl__sb_finish(&b, "model file name"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		name[i] = model[i];
		if (lstat(model[i], &st) == 0 && !S_ISREG(st.st_mode)) {
			rc = fl__error(FL_EIO, "%s: not a regular file: refusing to replace it with a model",
				       model[i]);
			goto cleanup;
		}
	}
	for (int32_t i = 0; i < n; i++) {
		char *res = name[i] ? fl__resolve(name[i]) : NULL;

		if (name[i] && !res) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		real[i] = res;
		for (int32_t j = 0; res && j < i; j++)
			if (real[j] && strcmp(real[j], res) == 0) {
				rc = fl__error(FL_EINVAL, "%s and %s are the same file: every output of a "
					       "run needs its own", name[j], name[i]);
				goto cleanup;
			}
	}
cleanup:
	for (int32_t i = 0; real && model && i < n; i++) {
		free(real[i]);
		free(model[i]);
	}
	free(real);
	free(model);
	free(name);
	return rc;
}

int fl_report_save(fl_report *r, const char *json, const char *html, int64_t max_members)
{
	fl_staged js = {0}, hs = {0};
	int to_file = json && strcmp(json, "-") != 0, rc;

	if ((rc = preflight(r, json, html, to_file)))
		return rc;
	if (to_file && (rc = fl__stage_open(&js, json)) == 0 &&
	    (rc = fl_report__write_json_fp(r, js.fp, max_members)) == 0)
		rc = fl__stage_close(&js);
	if (rc == 0 && html && (rc = fl__stage_open(&hs, html)) == 0 &&
	    (rc = fl_report__write_html_fp(r, hs.fp, html)) == 0)
		rc = fl__stage_close(&hs);
	/* everything is written: now the renames, models first (the JSON names them) */
	if (rc == 0 && to_file && r->models.tmpdir && r->models.dir)
		rc = commit_models(r);
	if (rc == 0 && to_file)
		rc = fl__stage_commit(&js);
	if (rc == 0 && html)
		rc = fl__stage_commit(&hs);
	fl__stage_discard(&js);
	fl__stage_discard(&hs);
	if (rc == 0 && json && !to_file)
		rc = fl_report_write_json(r, json, max_members);
	return rc;
}
