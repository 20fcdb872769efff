/*
 * Out-of-memory paths (SQLite's test_malloc.c practice): every public entry
 * point runs once on a small input to count its allocations A, then again
 * with the N-th of them failing, for N = 1..A (stepped when A is large:
 * FL_OOM_ALL=1 runs every N; the offset of the steps comes from the seed).
 * Each failing run must return FL_ENOMEM with a message that says so, clear
 * its outputs, leave what it modified usable (a report still writes), and
 * leak nothing (LeakSanitizer in the sanitizer build). The library runs on
 * one thread so that the allocation order is fixed.
 *
 * A case is a function that sets up what it needs, brackets the call under
 * test with arm()/disarm(), checks and frees its outputs and returns the
 * call's code; oom_loop(name, fn, ctx) does the rest.
 */
#include "faultline.h"
#include "check.h"
#include "common/internal.h" /* fl__alloc_fail_at, fl__alloc_count, fl__error */

#define FL_HAVE_DISCOVER 1 /* src/pipeline implements fl_discover */
#ifdef FL_HAVE_DISCOVER
#include "faultline/pipeline.h"
#endif

#include <dirent.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define TMP(name) FL_TEST_TMP "/oom_" name
#define DATA(name) FL_TEST_DATA "/" name

/* runs per case unless FL_OOM_ALL is set; every N when A is at most this */
#define MAX_RUNS 1000

static int64_t oom_n;          /* the allocation that fails in this run, 0 = none */
static int64_t oom_start, oom_allocs;
static uint64_t oom_seed;

/* Bracket the call under test: allocations outside are not counted. */
static void arm(void)
{
	fl__error(FL_OK, "(no message)");
	oom_start = fl__alloc_count();
	fl__alloc_fail_at(oom_n);
}

static void disarm(void)
{
	fl__alloc_fail_at(0);
	oom_allocs = fl__alloc_count() - oom_start;
}

typedef int (*oom_fn)(void *ctx);

/* Count fn's allocations A when it returns `expect` (an error path, or
 * FL_OK), then fail each N-th of them (or a stepped sample) and check what
 * fn returns. */
static void oom_loop_expect(const char *name, oom_fn fn, void *ctx, int expect)
{
	int64_t a, step, first, runs = 0, absorbed = 0;
	int rc;

	oom_n = 0;
	rc = fn(ctx);
	a = oom_allocs;
	CHECK_RC(rc, expect);
	step = getenv("FL_OOM_ALL") || a <= MAX_RUNS ? 1 : (a + MAX_RUNS - 1) / MAX_RUNS;
	first = 1 + (int64_t)(oom_seed % (uint64_t)step);
	for (int64_t n = first; n <= a; n += step) {
		oom_n = n;
		rc = fn(ctx);
		oom_n = 0;
		runs++;
		if (rc == expect) { /* no allocation of the library is optional */
			absorbed++;
			check_failed++;
			fprintf(stderr, "%s: allocation %lld of %lld failed, the call returned %d as "
				"if it had not\n", name, (long long)n, (long long)a, rc);
		} else if (rc != FL_ENOMEM || !strstr(fl_last_error(), "memory")) {
			check_failed++;
			fprintf(stderr, "%s: allocation %lld of %lld failed: returned %d (%s), "
				"expected FL_ENOMEM\n", name, (long long)n, (long long)a, rc,
				fl_last_error());
		} else {
			check_passed++;
		}
		if (oom_allocs < n) { /* the order of allocations changed */
			check_failed++;
			fprintf(stderr, "%s: run %lld made only %lld allocations\n", name,
				(long long)n, (long long)oom_allocs);
		}
	}
	printf("%-28s A = %6lld, %lld runs (step %lld), %lld absorbed\n", name, (long long)a,
	       (long long)runs, (long long)step, (long long)absorbed);
}

static void oom_loop(const char *name, oom_fn fn, void *ctx)
{
	oom_loop_expect(name, fn, ctx, FL_OK);
}

/* ---- fixtures (built once, not counted) -------------------------------- */

static struct {
	fl_synth s;
	double *failure, *loss;
	fl_failure_summary *sum, *sum_loss;
	fl_table *meta;
	uint8_t *holdout;
	fl_spec_view view;
	fl_spec_data data;
	fl_candidate *cands[4];
	int32_t n_cands[4];
	fl_report *full;          /* merged, confirmed, described, ranked, mapped */
	float phrase_emb[3 * 6];
	uint8_t *wrong, *wrong2;  /* two models' errors, for pair counts */
} G;

enum { KMEANS, MIXTURE, DIRECTION, PREDICATES };

static const char *const class_names[3] = {"cat", "dog", "bird"};
static const char *const phrases[3] = {"night", "rain", "a camera"};

static void write_meta(const char *path)
{
	static const char *const weather[3] = {"sunny", "rain", "night"};
	FILE *fp = fopen(path, "w");

	if (!fp)
		return;
	fprintf(fp, "id,weather,camera,age,indoor\n");
	for (int64_t i = 0; i < G.s.n; i++) {
		/* half the ids name an image: the HTML report embeds it */
		if (i % 2)
			fprintf(fp, "img%lld.png,", (long long)i);
		else
			fprintf(fp, "%s,", FL_TEST_DATA "/../cli/data/thumb.png");
		fprintf(fp, "%s,%c,", weather[G.s.weather[i]], 'A' + G.s.camera[i]);
		if (i % 17 == 3)
			fprintf(fp, "NA,");
		else
			fprintf(fp, "%d,", (int)G.s.age[i]);
		fprintf(fp, "%s\n", i % 3 ? "yes" : "no");
	}
	fclose(fp);
}

/* A deep copy of n candidates (the report takes them over). */
static fl_candidate *copy_cands(const fl_candidate *c, int32_t n)
{
	fl_candidate *out = calloc((size_t)(n ? n : 1), sizeof *out);

	for (int32_t i = 0; out && i < n; i++) {
		fl_candidate *o = &out[i];
		size_t m = (size_t)c[i].n_members;

		*o = c[i];
		o->members = malloc((m ? m : 1) * sizeof *o->members);
		o->member_scores = malloc((m ? m : 1) * sizeof *o->member_scores);
		memcpy(o->members, c[i].members, m * sizeof *o->members);
		memcpy(o->member_scores, c[i].member_scores, m * sizeof *o->member_scores);
		if (c[i].centroid) {
			o->centroid = malloc((size_t)c[i].dim * sizeof *o->centroid);
			memcpy(o->centroid, c[i].centroid, (size_t)c[i].dim * sizeof *o->centroid);
		}
		o->description = c[i].description ? strdup(c[i].description) : NULL;
		o->spec_json = c[i].spec_json ? strdup(c[i].spec_json) : NULL;
		o->explanation = NULL;
		o->also = NULL;
		o->n_also = 0;
		o->holdout_members = NULL;
		o->n_holdout_members = 0;
	}
	return out;
}

static void free_cands(fl_candidate *c, int32_t n)
{
	for (int32_t i = 0; c && i < n; i++)
		fl_candidate_clear(&c[i]);
	free(c);
}

/* Report stages, each on top of the previous. */
enum { R_NEW, R_FILLED, R_MERGED, R_CONFIRMED, R_DESCRIBED, R_RANKED, R_FULL };

/* A report built up to `stage` (no failure injected). */
static fl_report *build(int stage)
{
	fl_report *r = NULL;
	int rc = fl_report_new(&r, G.sum, G.s.n, "error");

	if (rc == 0 && stage >= R_FILLED) {
		rc = fl_report_add_view(r, "emb", G.s.d, "emb.npy") ||
		     fl_report_set_table(r, G.meta, 0) ||
		     fl_report_set_classes(r, G.s.labels, G.s.preds, 3, class_names) ||
		     fl_report_set_param(r, "seed", "1");
		for (int m = 0; m < 4 && rc == 0; m++) {
			fl_candidate *c = copy_cands(G.cands[m], G.n_cands[m]);

			rc = fl_report_add_candidates(r, c, G.n_cands[m]);
			free_cands(c, G.n_cands[m]);
		}
	}
	if (rc == 0 && stage >= R_MERGED)
		rc = fl_report_merge(r, FL_MERGE_JACCARD, FL_MERGE_CONTAINMENT);
	if (rc == 0 && stage >= R_CONFIRMED)
		rc = fl_report_confirm(r, &G.data, G.failure, G.holdout, 0.05);
	if (rc == 0 && stage >= R_DESCRIBED)
		rc = fl_report_describe(r, NULL, 0) ||
		     fl_report_describe_phrases(r, G.s.emb, G.s.d, phrases, G.phrase_emb, 3);
	if (rc == 0 && stage >= R_RANKED)
		rc = fl_report_rank(r, 8);
	if (rc == 0 && stage >= R_FULL)
		rc = fl_report_set_map(r, "emb", G.s.emb, G.s.d, 1) ||
		     fl_report_pair_counts(r, G.wrong, G.wrong2);
	CHECK_RC(rc, FL_OK);
	if (rc) {
		fl_report_free(r);
		return NULL;
	}
	return r;
}

/* After a failed call that modified r: r must still hold whole slices
 * (members, a method; confirmed all or none), render and free. */
static void still_usable(fl_report *r)
{
	FILE *fp = fopen("/dev/null", "w");
	int whole = 1, confirmed = 0;

	for (int32_t i = 0; i < fl_report_n_slices(r); i++) {
		const fl_candidate *c = fl_report_slice(r, i);

		whole &= c->n_members > 0 && c->members && c->member_scores && c->method[0];
		confirmed += c->has_holdout != 0;
	}
	CHECK(whole);
	CHECK(confirmed == 0 || confirmed == fl_report_n_slices(r));

	CHECK_RC(fl_report_write_json(r, TMP("usable.json"), 0), FL_OK);
	if (fp) {
		CHECK_RC(fl_report_write_text(r, fp), FL_OK);
		fclose(fp);
	}
	unlink(TMP("usable.json"));
}

/* No temporary file left beside path (path.tmp.XXXXXX) */
static int no_temp_left(const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	size_t len = strlen(base);
	struct dirent *e;
	DIR *d = opendir(FL_TEST_TMP);
	int ok = 1;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, base, len) && !strncmp(e->d_name + len, ".tmp.", 5))
			ok = 0;
	if (d)
		closedir(d);
	return ok;
}

/* The full report with the second slice's member_scores misnamed: loading
 * fails after reading the first slice. */
static int write_bad_json(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[1 << 16];
	size_t len = 0, seen = 0;
	int rc = FL_OK;

	if (!in || !out) {
		rc = FL_EIO;
		goto done;
	}
	while (len < sizeof buf - 1 && !feof(in))
		len += fread(buf + len, 1, sizeof buf - 1 - len, in);
	buf[len] = '\0';
	for (char *p = buf; (p = strstr(p, "\"member_scores\"")); p++)
		if (++seen == 2)
			memcpy(p, "\"member_scorez\"", 15);
	if (seen < 2 || len == sizeof buf - 1 || fwrite(buf, 1, len, out) != len)
		rc = FL_EIO;
done:
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = FL_EIO;
	return rc;
}

static int setup(void)
{
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_discover_kmeans_opts ko = FL_DISCOVER_KMEANS_OPTS_INIT;
	fl_discover_mixture_opts mo = FL_DISCOVER_MIXTURE_OPTS_INIT;
	fl_direction_opts dopt = FL_DIRECTION_OPTS_INIT;
	fl_predicate_opts po = FL_PREDICATE_OPTS_INIT;
	int rc;

	so.n = 400;
	so.d = 6;
	so.n_classes = 3;
	so.n_slices = 2;
	so.slice_frac = 0.1;
	so.meta_slice = 1;
	so.seed = 3;
	if ((rc = fl_synth_generate(&G.s, &so)))
		return rc;
	G.failure = malloc((size_t)G.s.n * sizeof *G.failure);
	G.loss = malloc((size_t)G.s.n * sizeof *G.loss);
	G.holdout = malloc((size_t)G.s.n);
	G.wrong = malloc((size_t)G.s.n);
	G.wrong2 = malloc((size_t)G.s.n);
	if (!G.failure || !G.loss || !G.holdout || !G.wrong || !G.wrong2)
		return FL_ENOMEM;
	for (int64_t i = 0; i < G.s.n; i++) {
		G.wrong[i] = G.s.labels[i] != G.s.preds[i];
		G.wrong2[i] = i % 5 == 0;
	}
	if ((rc = fl_failure_compute(G.failure, FL_FAILURE_ERROR, G.s.n, 3, G.s.labels, G.s.probs,
				     NULL)) ||
	    (rc = fl_failure_compute(G.loss, FL_FAILURE_LOSS, G.s.n, 3, G.s.labels, G.s.probs, NULL)) ||
	    (rc = fl_failure_summary_new(&G.sum, G.failure, G.s.n)) ||
	    (rc = fl_failure_summary_new(&G.sum_loss, G.loss, G.s.n)) ||
	    (rc = fl_split_holdout(G.holdout, G.failure, G.s.n, 5)))
		return rc;
	write_meta(TMP("meta.csv"));
	if ((rc = fl_table_read_csv(&G.meta, TMP("meta.csv"))) ||
	    (rc = fl_npy_write(TMP("emb.npy"), G.s.emb, FL_DT_F32, G.s.n, G.s.d)))
		return rc;
	for (int i = 0; i < 3 * 6; i++)
		G.phrase_emb[i] = (float)((i * 7) % 5) - 2.0f;
	G.view = (fl_spec_view){"emb", G.s.emb, G.s.d};
	G.data = (fl_spec_data)FL_SPEC_DATA_INIT;
	G.data.n = G.s.n;
	G.data.views = &G.view;
	G.data.n_views = 1;
	G.data.table = G.meta;
	G.data.labels = G.s.labels;
	G.data.probs = G.s.probs;
	G.data.n_classes = 3;
	G.data.base_dir = FL_TEST_TMP; /* specs name their model file relative to it */

	ko.threads = 1;
	ko.seed = 1;
	mo.threads = 1;
	mo.k = 4;
	mo.pca_dims = 4;
	mo.max_iter = 20;
	mo.model_path = TMP("model.npz");
	dopt.threads = 1;
	dopt.per_class = 1;
	dopt.max_iter = 30;
	po.threads = 1;
	po.skip_cols = &(int64_t){0};
	po.n_skip = 1;
	if ((rc = fl_discover_kmeans(&G.cands[KMEANS], &G.n_cands[KMEANS], G.s.emb, G.s.n, G.s.d,
				     G.s.d, "emb", G.sum, G.failure, &ko)) ||
	    (rc = fl_discover_mixture(&G.cands[MIXTURE], &G.n_cands[MIXTURE], G.s.emb, G.s.n, G.s.d,
				      G.s.d, "emb", G.s.labels, G.s.probs, 3, G.sum, G.failure, &mo)) ||
	    (rc = fl_discover_direction(&G.cands[DIRECTION], &G.n_cands[DIRECTION], G.s.emb, G.s.n,
					G.s.d, G.s.d, "emb", G.s.labels, 3, G.sum, G.failure, &dopt)) ||
	    (rc = fl_discover_predicates(&G.cands[PREDICATES], &G.n_cands[PREDICATES], G.meta,
					 G.failure, G.sum, &po)))
		return rc;
	printf("candidates: kmeans %d, mixture %d, direction %d, predicates %d\n",
	       (int)G.n_cands[KMEANS], (int)G.n_cands[MIXTURE], (int)G.n_cands[DIRECTION],
	       (int)G.n_cands[PREDICATES]);
	if (!(G.full = build(R_FULL)))
		return FL_EINVAL;
	printf("full report: %d slices\n", (int)fl_report_n_slices(G.full));
	if ((rc = fl_report_write_json(G.full, TMP("full.json"), 0)))
		return rc;
	return write_bad_json(TMP("full.json"), TMP("bad.json"));
}

static void teardown(void)
{
	for (int m = 0; m < 4; m++)
		free_cands(G.cands[m], G.n_cands[m]);
	fl_report_free(G.full);
	fl_table_free(G.meta);
	fl_failure_summary_free(G.sum);
	fl_failure_summary_free(G.sum_loss);
	free(G.failure);
	free(G.loss);
	free(G.holdout);
	free(G.wrong);
	free(G.wrong2);
	fl_synth_clear(&G.s);
	unlink(TMP("bad.json"));
	unlink(TMP("meta.csv"));
	unlink(TMP("emb.npy"));
	unlink(TMP("model.npz"));
	unlink(TMP("full.json"));
}

/* ---- readers ------------------------------------------------------------ */

/* open `path` (member `key`) and take a view of it as `want` (a conversion
 * or transposition allocates) */
typedef struct {
	const char *path, *key;
	fl_dtype want;
} array_case;

static int case_array(void *ctx)
{
	const array_case *c = ctx;
	fl_array *a = (fl_array *)(uintptr_t)1;
	const void *p = (const void *)(uintptr_t)1;
	int rc, opened;

	arm();
	rc = fl_array_open(&a, c->path, c->key);
	if ((opened = rc == 0))
		rc = c->want == FL_DT_F32 ? fl_array_f32(a, (const float **)&p) :
		     c->want == FL_DT_F64 ? fl_array_f64(a, (const double **)&p) :
					    fl_array_i64(a, (const int64_t **)&p);
	disarm();
	if (rc && !opened)
		CHECK(a == NULL);
	else if (rc)
		CHECK(p == NULL); /* the array stays usable: free it */
	fl_array_free(a);
	return rc;
}

static int case_csv(void *ctx)
{
	fl_table *t = (fl_table *)(uintptr_t)1;
	int rc;

	arm();
	rc = fl_table_read_csv(&t, ctx);
	disarm();
	if (rc)
		CHECK(t == NULL);
	fl_table_free(t);
	return rc;
}

static int case_table_subset(void *ctx)
{
	fl_table *t = (fl_table *)(uintptr_t)1;
	int64_t rows[5] = {7, 3, 3, 100, 0};
	int rc;

	(void)ctx;
	arm();
	rc = fl_table_subset(&t, G.meta, rows, 5);
	disarm();
	if (rc)
		CHECK(t == NULL);
	fl_table_free(t);
	return rc;
}

/* ---- stats and discovery ------------------------------------------------ */

static int case_summary(void *ctx)
{
	const double *f = ctx;
	fl_failure_summary *s = (fl_failure_summary *)(uintptr_t)1;
	int rc;

	arm();
	rc = fl_failure_summary_new(&s, f, G.s.n);
	disarm();
	if (rc)
		CHECK(s == NULL);
	fl_failure_summary_free(s);
	return rc;
}

/* A discovery call: the binary error signal, or the loss (continuous) with
 * other options. */
typedef struct {
	int loss;
} discover_case;

static int check_cands(int rc, fl_candidate *c, int32_t n)
{
	if (rc)
		CHECK(c == NULL && n == 0);
	free_cands(c, n);
	return rc;
}

static int case_kmeans(void *ctx)
{
	const discover_case *dc = ctx;
	fl_discover_kmeans_opts o = FL_DISCOVER_KMEANS_OPTS_INIT;
	fl_candidate *c = (fl_candidate *)(uintptr_t)1;
	int32_t n = -1;
	int rc;

	o.threads = 1;
	o.seed = 1;
	o.normalize = dc->loss;
	arm();
	rc = fl_discover_kmeans(&c, &n, G.s.emb, G.s.n, G.s.d, G.s.d, "emb",
				dc->loss ? G.sum_loss : G.sum, dc->loss ? G.loss : G.failure, &o);
	disarm();
	return check_cands(rc, c, n);
}

/* with the loss: no labels or probabilities (a Gaussian failure term),
 * k-means initialisation and a warm-up on a subset */
static int case_mixture(void *ctx)
{
	const discover_case *dc = ctx;
	fl_discover_mixture_opts o = FL_DISCOVER_MIXTURE_OPTS_INIT;
	fl_candidate *c = (fl_candidate *)(uintptr_t)1;
	int32_t n = -1;
	int rc;

	o.threads = 1;
	o.k = 4;
	o.pca_dims = 4;
	o.max_iter = 20;
	o.model_path = TMP("model2.npz");
	if (dc->loss) {
		o.init = FL_MIXTURE_INIT_KMEANS;
		o.warm_rows = 100;
		o.assign = FL_MIXTURE_ASSIGN_JOINT;
	}
	arm();
	rc = fl_discover_mixture(&c, &n, G.s.emb, G.s.n, G.s.d, G.s.d, "emb",
				 dc->loss ? NULL : G.s.labels, dc->loss ? NULL : G.s.probs, 3,
				 dc->loss ? G.sum_loss : G.sum, dc->loss ? G.loss : G.failure, &o);
	disarm();
	if (rc)
		CHECK(no_temp_left(TMP("model2.npz")));
	unlink(TMP("model2.npz"));
	return check_cands(rc, c, n);
}

static int case_direction(void *ctx)
{
	const discover_case *dc = ctx;
	fl_direction_opts o = FL_DIRECTION_OPTS_INIT;
	fl_candidate *c = (fl_candidate *)(uintptr_t)1;
	int32_t n = -1;
	int rc;

	o.threads = 1;
	o.per_class = !dc->loss;
	o.max_iter = 30;
	arm();
	rc = fl_discover_direction(&c, &n, G.s.emb, G.s.n, G.s.d, G.s.d, "emb", G.s.labels, 3,
				   dc->loss ? G.sum_loss : G.sum, dc->loss ? G.loss : G.failure, &o);
	disarm();
	return check_cands(rc, c, n);
}

static int case_predicates(void *ctx)
{
	const discover_case *dc = ctx;
	fl_predicate_opts o = FL_PREDICATE_OPTS_INIT;
	fl_candidate *c = (fl_candidate *)(uintptr_t)1;
	int32_t n = -1;
	int rc;

	o.threads = 1;
	o.skip_cols = &(int64_t){0};
	o.n_skip = 1;
	arm();
	rc = fl_discover_predicates(&c, &n, G.meta, dc->loss ? G.loss : G.failure,
				    dc->loss ? G.sum_loss : G.sum, &o);
	disarm();
	return check_cands(rc, c, n);
}

/* the raw search, and the rows of each slice it found */
static int case_search(void *ctx)
{
	fl_predicate_opts o = FL_PREDICATE_OPTS_INIT;
	fl_predicate_result *res = (fl_predicate_result *)(uintptr_t)1;
	int rc;

	(void)ctx;
	o.threads = 1;
	arm();
	if ((rc = fl_predicates_search(&res, G.meta, G.failure, &o)) != 0) {
		disarm();
		CHECK(res == NULL);
		return rc;
	}
	for (int32_t i = 0; rc == 0 && i < res->n_slices; i++) {
		int64_t *rows = (int64_t *)(uintptr_t)1, n = -1;

		if ((rc = fl_predicate_slice_rows(&rows, &n, res, i, G.meta)) != 0)
			CHECK(rows == NULL);
		else
			free(rows);
	}
	disarm();
	fl_predicate_result_free(res);
	return rc;
}

static int case_holdout(void *ctx)
{
	uint8_t *h = malloc((size_t)G.s.n);
	double *p = malloc((size_t)G.s.n * sizeof *p);
	int64_t *g = malloc((size_t)G.s.n * sizeof *g);
	int rc;

	(void)ctx;
	for (int64_t i = 0; p && g && i < G.s.n; i++) {
		p[i] = (double)((i * 37) % 101) / 100.0;
		g[i] = (i * 7) % (G.s.n / 3);
	}
	arm();
	rc = h && p && g ? fl_split_holdout(h, G.failure, G.s.n, 9) : FL_ENOMEM;
	if (rc == 0)
		rc = fl_split_holdout_grouped(h, G.failure, g, G.s.n, 9);
	if (rc == 0)
		rc = fl_split_holdout_grouped(h, p, g, G.s.n, 9);
	if (rc == 0)
		rc = fl_bh_adjust(p, p, G.s.n);
	disarm();
	free(h);
	free(p);
	free(g);
	return rc;
}

/* ---- models and arrays written and read back ----------------------------- */

static int case_model_load(void *ctx)
{
	fl_pca pca;
	fl_mixture m;
	int rc;

	(void)ctx;
	arm();
	rc = fl_mixture_model_load(&pca, &m, TMP("model.npz"));
	disarm();
	if (rc)
		CHECK(pca.mean == NULL && m.weights == NULL);
	fl_pca_clear(&pca);
	fl_mixture_clear(&m);
	return rc;
}

static int case_npy_write(void *ctx)
{
	int rc;

	(void)ctx;
	arm();
	rc = fl_npy_write(TMP("w.npy"), G.s.emb, FL_DT_F32, G.s.n, G.s.d);
	disarm();
	if (rc)
		CHECK(access(TMP("w.npy"), F_OK) != 0);
	unlink(TMP("w.npy"));
	return rc;
}

static int case_synth(void *ctx)
{
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	int rc;

	(void)ctx;
	so.n = 200;
	so.d = 4;
	so.view2 = 1;
	so.meta_slice = 1;
	arm();
	rc = fl_synth_generate(&s, &so);
	disarm();
	if (rc)
		CHECK(s.emb == NULL && s.labels == NULL);
	fl_synth_clear(&s);
	return rc;
}

/* ---- report building ---------------------------------------------------- */

static int case_report_new(void *ctx)
{
	fl_report *r = (fl_report *)(uintptr_t)1;
	int rc;

	(void)ctx;
	arm();
	rc = fl_report_new(&r, G.sum, G.s.n, "error");
	disarm();
	if (rc)
		CHECK(r == NULL);
	fl_report_free(r);
	return rc;
}

/* add_view, set_classes, set_param, add_candidates on a new report */
static int case_report_fill(void *ctx)
{
	fl_report *r = build(R_NEW);
	fl_candidate *c = copy_cands(G.cands[MIXTURE], G.n_cands[MIXTURE]);
	int rc;

	(void)ctx;
	if (!r)
		return FL_EINVAL;
	arm();
	if (!(rc = fl_report_add_view(r, "emb", G.s.d, "emb.npy")) &&
	    !(rc = fl_report_set_classes(r, G.s.labels, G.s.preds, 3, class_names)) &&
	    !(rc = fl_report_set_param(r, "seed", "1")))
		rc = fl_report_add_candidates(r, c, G.n_cands[MIXTURE]);
	disarm();
	if (rc)
		still_usable(r);
	free_cands(c, G.n_cands[MIXTURE]); /* moved (zeroed) on success, still ours on failure */
	fl_report_free(r);
	return rc;
}

typedef enum { MERGE, CONFIRM, DESCRIBE, PHRASES, RANK, MAP } building_call;

typedef struct {
	building_call call;
	int stage; /* the report it modifies */
} building_case;

static int case_building(void *ctx)
{
	const building_case *b = ctx;
	fl_report *r = build(b->stage);
	int rc = FL_EINVAL;

	if (!r)
		return rc;
	arm();
	switch (b->call) {
	case MERGE: rc = fl_report_merge(r, FL_MERGE_JACCARD, FL_MERGE_CONTAINMENT); break;
	case CONFIRM: rc = fl_report_confirm(r, &G.data, G.failure, G.holdout, 0.05); break;
	case DESCRIBE: rc = fl_report_describe(r, NULL, 0); break;
	case PHRASES:
		rc = fl_report_describe_phrases(r, G.s.emb, G.s.d, phrases, G.phrase_emb, 3);
		break;
	case RANK: rc = fl_report_rank(r, 8); break;
	case MAP: rc = fl_report_set_map(r, "emb", G.s.emb, G.s.d, 1); break;
	}
	disarm();
	if (rc)
		still_usable(r);
	fl_report_free(r);
	return rc;
}

/* ---- writers and readers of reports ------------------------------------- */

static int case_write_json(void *ctx)
{
	int rc;

	(void)ctx;
	unlink(TMP("out.json"));
	arm();
	rc = fl_report_write_json(G.full, TMP("out.json"), 0);
	disarm();
	if (rc)
		CHECK(access(TMP("out.json"), F_OK) != 0);
	CHECK(no_temp_left(TMP("out.json")));
	unlink(TMP("out.json"));
	return rc;
}

static int case_write_html(void *ctx)
{
	int rc;

	(void)ctx;
	unlink(TMP("out.html"));
	arm();
	rc = fl_report_write_html(G.full, TMP("out.html"));
	disarm();
	if (rc)
		CHECK(access(TMP("out.html"), F_OK) != 0);
	CHECK(no_temp_left(TMP("out.html")));
	unlink(TMP("out.html"));
	return rc;
}

/* a comparison's page, the full report as both sides */
static int case_write_compare_html(void *ctx)
{
	int rc;

	(void)ctx;
	unlink(TMP("cmp.html"));
	arm();
	rc = fl_report_write_compare_html(G.full, G.full, "v1", "v2", TMP("cmp.html"));
	disarm();
	if (rc)
		CHECK(access(TMP("cmp.html"), F_OK) != 0);
	CHECK(no_temp_left(TMP("cmp.html")));
	unlink(TMP("cmp.html"));
	return rc;
}

static int case_write_text(void *ctx)
{
	FILE *fp = fopen("/dev/null", "w");
	int rc;

	(void)ctx;
	if (!fp)
		return FL_EIO;
	arm();
	rc = fl_report_write_text(G.full, fp);
	disarm();
	fclose(fp);
	return rc;
}

static int case_load_json(void *ctx)
{
	fl_report *r = (fl_report *)(uintptr_t)1;
	int rc;

	arm();
	rc = fl_report_load_json(&r, ctx);
	disarm();
	if (rc)
		CHECK(r == NULL);
	else
		CHECK_EQ_INT(fl_report_n_slices(r), fl_report_n_slices(G.full));
	fl_report_free(r);
	return rc;
}

static int case_saved_load(void *ctx)
{
	fl_saved_report *r = (fl_saved_report *)(uintptr_t)1;
	int rc;

	(void)ctx;
	arm();
	rc = fl_saved_report_load(&r, TMP("full.json"));
	disarm();
	if (rc)
		CHECK(r == NULL);
	else
		CHECK_EQ_INT(fl_saved_report_n_slices(r), fl_report_n_slices(G.full));
	fl_saved_report_free(r);
	return rc;
}

/* the spec of one slice of the full report, on the holdout rows */
static int case_spec(void *ctx)
{
	const char *spec = ctx;
	uint8_t *member = malloc((size_t)G.s.n);
	int64_t *rows = malloc((size_t)G.s.n * sizeof *rows), m = 0;
	int rc;

	if (!member || !rows) {
		free(member);
		free(rows);
		return FL_ENOMEM;
	}
	for (int64_t i = 0; i < G.s.n; i++)
		if (G.holdout[i])
			rows[m++] = i;
	arm();
	rc = fl_spec_apply(member, spec, &G.data, rows, m);
	disarm();
	free(member);
	free(rows);
	return rc;
}

#ifdef FL_HAVE_DISCOVER
static int case_discover(void *ctx)
{
	fl_view v = {"emb", NULL, 0, "emb.npy"};
	fl_data d = FL_DATA_INIT;
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_report *r = (fl_report *)(uintptr_t)1;
	int rc;

	v.x = G.s.emb;
	v.dim = G.s.d;
	d.n = G.s.n;
	d.labels = G.s.labels;
	d.probs = G.s.probs;
	d.n_classes = 3;
	d.views = &v;
	d.n_views = 1;
	d.meta = G.meta;
	d.id_column = "id";
	o.group_column = ctx; /* NULL: rows split one by one */
	o.threads = 1;
	o.components = 4;
	o.pca_dims = 4;
	arm();
	rc = fl_discover(&r, &d, &o);
	disarm();
	if (rc)
		CHECK(r == NULL);
	fl_report_free(r);
	return rc;
}
#endif

int main(void)
{
	array_case npy_mapped = {TMP("emb.npy"), NULL, FL_DT_F32};
	array_case npy_convert = {TMP("emb.npy"), NULL, FL_DT_F64};
	array_case npy_fortran = {DATA("fortran_f8.npy"), NULL, FL_DT_F64};
	array_case npz_stored = {DATA("stored.npz"), "b", FL_DT_F64};
	array_case npz_deflated = {DATA("deflated.npz"), "a", FL_DT_F32};
	array_case npz_nokey = {DATA("stored.npz"), "zz", FL_DT_F32};
	building_case merge = {MERGE, R_FILLED}, confirm = {CONFIRM, R_MERGED};
	building_case describe = {DESCRIBE, R_CONFIRMED}, phr = {PHRASES, R_CONFIRMED};
	building_case rank = {RANK, R_DESCRIBED}, map = {MAP, R_RANKED};
	discover_case binary = {0}, loss = {1};
	int rc;

	oom_seed = check_seed(1);
#ifdef _OPENMP
	omp_set_num_threads(1);
#endif
	rc = setup();
	CHECK_RC(rc, FL_OK);
	if (rc) {
		fprintf(stderr, "setup: %s\n", fl_last_error());
		teardown();
		return check_done();
	}
	oom_loop("fl_array_open .npy", case_array, &npy_mapped);
	oom_loop("fl_array_open .npy f64", case_array, &npy_convert);
	oom_loop("fl_array_open fortran", case_array, &npy_fortran);
	oom_loop("fl_array_open .npz stored", case_array, &npz_stored);
	oom_loop("fl_array_open .npz deflate", case_array, &npz_deflated);
	oom_loop("fl_table_read_csv", case_csv, TMP("meta.csv"));
	oom_loop("fl_table_read_csv quotes", case_csv, DATA("quotes.csv"));
	oom_loop("fl_table_read_csv types", case_csv, DATA("types.csv"));
	oom_loop_expect("fl_table_read_csv ragged", case_csv, DATA("ragged.csv"), FL_EFORMAT);
	oom_loop_expect("fl_array_open no key", case_array, &npz_nokey, FL_EINVAL);
	oom_loop("fl_table_subset", case_table_subset, NULL);
	oom_loop("fl_failure_summary_new 0/1", case_summary, G.failure);
	oom_loop("fl_failure_summary_new loss", case_summary, G.loss);
	oom_loop("fl_split_holdout(_grouped), bh_adjust", case_holdout, NULL);
	oom_loop("fl_synth_generate", case_synth, NULL);
	oom_loop("fl_npy_write", case_npy_write, NULL);
	oom_loop("fl_mixture_model_load", case_model_load, NULL);
	oom_loop("fl_discover_kmeans", case_kmeans, &binary);
	oom_loop("fl_discover_kmeans loss", case_kmeans, &loss);
	oom_loop("fl_discover_mixture", case_mixture, &binary);
	oom_loop("fl_discover_mixture loss", case_mixture, &loss);
	oom_loop("fl_discover_direction", case_direction, &binary);
	oom_loop("fl_discover_direction loss", case_direction, &loss);
	oom_loop("fl_discover_predicates", case_predicates, &binary);
	oom_loop("fl_discover_predicates loss", case_predicates, &loss);
	oom_loop("fl_predicates_search", case_search, NULL);
	oom_loop("fl_report_new", case_report_new, NULL);
	oom_loop("fl_report_add_*", case_report_fill, NULL);
	oom_loop("fl_report_merge", case_building, &merge);
	oom_loop("fl_report_confirm", case_building, &confirm);
	oom_loop("fl_report_describe", case_building, &describe);
	oom_loop("fl_report_describe_phrases", case_building, &phr);
	oom_loop("fl_report_rank", case_building, &rank);
	oom_loop("fl_report_set_map", case_building, &map);
	oom_loop("fl_report_write_json", case_write_json, NULL);
	oom_loop("fl_report_write_html", case_write_html, NULL);
	oom_loop("fl_report_write_compare_html", case_write_compare_html, NULL);
	oom_loop("fl_report_write_text", case_write_text, NULL);
	oom_loop("fl_report_load_json", case_load_json, TMP("full.json"));
	oom_loop_expect("fl_report_load_json bad", case_load_json, TMP("bad.json"), FL_EFORMAT);
	oom_loop("fl_saved_report_load", case_saved_load, NULL);
	oom_loop_expect("fl_spec_apply no column", case_spec,
			"{\"type\":\"predicates\",\"predicates\":[{\"column\":\"shoe\","
			"\"op\":\"==\",\"value\":\"x\"}]}", FL_EINVAL);
	for (int m = 0; m < 4; m++) {
		char name[64];

		if (G.n_cands[m] == 0 || !G.cands[m][0].spec_json)
			continue;
		snprintf(name, sizeof name, "fl_spec_apply %s", G.cands[m][0].method);
		oom_loop(name, case_spec, G.cands[m][0].spec_json);
	}
#ifdef FL_HAVE_DISCOVER
	oom_loop("fl_discover", case_discover, NULL);
	oom_loop("fl_discover grouped by a numeric column", case_discover, "age");
	oom_loop("fl_discover grouped by a categorical column", case_discover, "camera");
#endif
	teardown();
	return check_done();
}
