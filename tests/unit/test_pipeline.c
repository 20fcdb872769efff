/*
 * The one-call verbs: fl_discover on planted data finds the planted slices
 * and is the same for 1 and 2 threads; the option table round-trips and
 * refuses bad values naming the option; a progress callback's non-zero
 * return cancels with FL_ECANCELED and leaves no file; fl_report_save
 * writes nothing when one output fails and keeps an earlier report; apply
 * on the data a report was found in selects its members again; check and
 * compare give their verdicts and both-model counts; the table the
 * predicate search sees (label in place of the class-name column,
 * predicted after, names that never take a metadata column's).
 */
#include "check.h"

#include <dirent.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultline.h"
#include "pipeline/pipeline_internal.h"

static int cancel_after(void *user, const char *stage, int64_t done, int64_t total)
{
	int *calls = user;

	(void)stage;
	(void)done;
	(void)total;
	return ++*calls > 3;
}

/* Files in dir whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

/* Every option of a and b reads the same. */
static int same_opts(const fl_discover_opts *a, const fl_discover_opts *b)
{
	char x[64], y[64];

	for (int32_t i = 0; i < fl_discover_option_count(); i++) {
		const char *name = fl_discover_option(i)->name;

		if (fl_discover_opts_get(a, name, x, sizeof x) || fl_discover_opts_get(b, name, y, sizeof y) ||
		    strcmp(x, y) != 0)
			return 0;
	}
	return 1;
}

static void test_options(void)
{
	fl_discover_opts o, init = FL_DISCOVER_OPTS_INIT;
	char buf[64];

	fl_discover_opts_init(&o);
	CHECK(same_opts(&o, &init) && o.model_prefix == NULL && o.progress == NULL);
	o.top = 11;
	CHECK(!same_opts(&o, &init));
	CHECK(fl_discover_option_count() >= 15);
	/* every option's default prints and parses back to itself */
	for (int32_t i = 0; i < fl_discover_option_count(); i++) {
		const fl_option *op = fl_discover_option(i);
		fl_discover_opts p = init;

		CHECK_RC(fl_discover_opts_get(&init, op->name, buf, sizeof buf), 0);
		if (strcmp(buf, "automatic") && strcmp(buf, "all") && strcmp(buf, "all cores"))
			CHECK_RC(fl_discover_opts_set(&p, op->name, buf), 0);
		CHECK(same_opts(&p, &init));
	}
	CHECK(fl_discover_option(-1) == NULL && fl_discover_option(fl_discover_option_count()) == NULL);
	CHECK_RC(fl_discover_opts_set(&o, "alpha", "1.5"), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "alpha") != NULL);
	CHECK_RC(fl_discover_opts_set(&o, "top", "ten"), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "top") != NULL);
	CHECK_RC(fl_discover_opts_set(&o, "bogus", "1"), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "bogus") != NULL);
	CHECK_RC(fl_discover_opts_set(&o, "methods", "kmeans,magic"), FL_EINVAL);
	CHECK_RC(fl_discover_opts_set(&o, "methods", "kmeans,predicates"), 0);
	CHECK_EQ_INT(o.methods, FL_METHOD_KMEANS | FL_METHOD_PREDICATES);
	CHECK_RC(fl_discover_opts_get(&o, "methods", buf, sizeof buf), 0);
	CHECK(strcmp(buf, "kmeans,predicates") == 0);
	CHECK_RC(fl_discover_opts_set(&o, "failure_kind", "loss"), 0);
	CHECK_EQ_INT(o.failure_kind, FL_FAILURE_LOSS);
	CHECK_RC(fl_discover_opts_set(&o, "holdout", "false"), 0);
	CHECK_EQ_INT(o.holdout, 0);
	CHECK_RC(fl_discover_opts_set(&o, "predicate_language", "sliceline"), 0);
	CHECK_EQ_INT(o.predicate_language, 1);
	CHECK_RC(fl_discover_opts_get(&o, "predicate_language", buf, sizeof buf), 0);
	CHECK(strcmp(buf, "sliceline") == 0);
	CHECK_RC(fl_discover_opts_set(&o, "predicate_language", "datalog"), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "rich,sliceline") != NULL);
	CHECK_RC(fl_discover_opts_set(&o, "max_set", "0"), FL_EINVAL);
	o.predicate_language = 2;
	CHECK_RC(fl_discover_opts_check(&o), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "predicate_language") != NULL);
	o = init;
	o.fdr = 1;
	CHECK_RC(fl_discover_opts_check(&o), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "fdr") != NULL);
	/* threads are capped at 1024 (100000 overflowed the predicate search's
	 * stack, 50000 failed to create threads): refused as text and in the
	 * struct, before any work */
	o = init;
	CHECK_RC(fl_discover_opts_set(&o, "threads", "1024"), 0);
	CHECK_RC(fl_discover_opts_set(&o, "threads", "1025"), FL_EINVAL);
	CHECK_RC(fl_discover_opts_set(&o, "threads", "100000"), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "threads") != NULL && o.threads == 1024);
	o.threads = 100000;
	CHECK_RC(fl_discover_opts_check(&o), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "threads") != NULL);
	o = init;
	o.version = 99;
	CHECK_RC(fl_discover(&(fl_report *){NULL}, NULL, &o), FL_EINVAL);
	/* a text option keeps the caller's pointer; "" is none; it needs the holdout */
	{
		const char *clip = "clip";

		o = init;
		CHECK_RC(fl_discover_opts_set(&o, "group_column", clip), 0);
		CHECK(o.group_column == clip);
		CHECK_RC(fl_discover_opts_get(&o, "group_column", buf, sizeof buf), 0);
		CHECK(strcmp(buf, "clip") == 0);
		CHECK_RC(fl_discover_opts_get(&o, "group_column", buf, 4), FL_EINVAL);
		CHECK_RC(fl_discover_opts_check(&o), 0);
		o.holdout = 0;
		CHECK_RC(fl_discover_opts_check(&o), FL_EINVAL);
		CHECK(strstr(fl_last_error(), "group_column") != NULL);
		CHECK_RC(fl_discover_opts_set(&o, "group_column", ""), 0);
		CHECK(o.group_column == NULL);
		CHECK_RC(fl_discover_opts_check(&o), 0);
	}
}

/* Grouped holdout through fl_discover: planted clips of 1-8 rows scattered
 * over the rows, three of 40 that nearly always fail (a predicate on the
 * clip would win the search were the column not skipped), a missing cell
 * every 50 rows: no clip has rows on both sides of any slice, no slice is
 * a predicate on the clip, and the column's errors name the file and it. */
static void test_groups(void)
{
	enum { N = 3000 };
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_data d = FL_DATA_INIT;
	fl_table *meta = NULL;
	fl_report *r = NULL;
	static double f[N];
	static int64_t clip[N], perm[N], side[N];
	uint64_t st = 99;
	char path[512];
	FILE *fp;
	int64_t clips = 0, seen = 0;

	so.n = N;
	so.meta_slice = 1;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	for (int64_t i = 0; i < N; i++)
		perm[i] = i;
	for (int64_t i = N - 1; i > 0; i--) {
		int64_t j = (int64_t)(check_rand(&st) % (uint64_t)(i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int64_t i = 0; i < N; clips++) {
		int64_t size = clips < 3 ? 40 : 1 + (int64_t)(check_rand(&st) % 8);

		for (int64_t j = i; j < i + size && j < N; j++) {
			clip[perm[j]] = perm[j] % 50 == 0 ? -1 : clips;
			f[perm[j]] = clips < 3 ? check_uniform(&st) < 0.9 : s.labels[perm[j]] != s.preds[perm[j]];
		}
		i += size;
	}
	snprintf(path, sizeof path, "%s/groups_meta.csv", FL_TEST_TMP);
	CHECK((fp = fopen(path, "w")) != NULL);
	if (!fp)
		goto done;
	fprintf(fp, "weather,camera,clip\n");
	for (int64_t i = 0; i < N; i++) {
		fprintf(fp, "w%d,c%d,", s.weather[i], s.camera[i]);
		if (clip[i] >= 0)
			fprintf(fp, "%lld", (long long)clip[i] * 7); /* numeric: equal numbers group */
		fprintf(fp, "\n");
	}
	CHECK(fclose(fp) == 0);
	CHECK_RC(fl_table_read_csv(&meta, path), 0);
	d.n = N;
	d.failure = f;
	d.meta = meta;
	d.meta_name = "groups_meta.csv";
	o.threads = 1;
	o.group_column = "clip";
	CHECK_RC(fl_discover(&r, &d, &o), 0);
	for (int64_t i = 0; i < N; i++)
		side[i] = -1;
	for (int32_t k = 0; r && k < fl_report_n_slices(r); k++) {
		const fl_candidate *c = fl_report_slice(r, k);

		CHECK(c->spec_json && strstr(c->spec_json, "\"clip\"") == NULL);
		for (int64_t m = 0; m < c->n_members + c->n_holdout_members; m++) {
			int64_t row = m < c->n_members ? c->members[m] : c->holdout_members[m - c->n_members];
			int64_t h = m >= c->n_members;

			if (clip[row] < 0)
				continue;
			for (int64_t i = 0; i < N; i++)
				if (clip[i] == clip[row] && side[i] >= 0 && side[i] != h) {
					fprintf(stderr, "clip %lld on both sides\n", (long long)clip[row]);
					CHECK(0);
				}
			side[row] = h;
			seen++;
		}
	}
	CHECK(r && fl_report_n_slices(r) >= 1 && seen > 100);
	fl_report_free(r);
	r = NULL;
	/* without grouping, the search takes the clip as a predicate */
	o.group_column = NULL;
	CHECK_RC(fl_discover(&r, &d, &o), 0);
	seen = 0;
	for (int32_t k = 0; r && k < fl_report_n_slices(r); k++)
		seen += strstr(fl_report_slice(r, k)->spec_json, "\"clip\"") != NULL;
	CHECK(seen > 0);
	fl_report_free(r);
	r = NULL;
	/* errors: no such column, no metadata, no holdout */
	o.group_column = "video";
	CHECK_RC(fl_discover(&r, &d, &o), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "groups_meta.csv") && strstr(fl_last_error(), "'video'"));
	o.group_column = "clip";
	o.holdout = 0;
	CHECK_RC(fl_discover(&r, &d, &o), FL_EINVAL);
	o.holdout = 1;
	d.meta = NULL;
	d.n_views = 1;
	d.views = &(fl_view){"emb", s.emb, s.d, NULL};
	CHECK_RC(fl_discover(&r, &d, &o), FL_EINVAL);
	CHECK(strstr(fl_last_error(), "metadata") != NULL);
	CHECK(r == NULL);
done:
	fl_table_free(meta);
	fl_synth_clear(&s);
}

/* A metadata table from text (written to the test folder). */
static fl_table *meta_table(const char *name, const char *text)
{
	char path[512];
	fl_table *t = NULL;
	FILE *fp;

	snprintf(path, sizeof path, "%s/pipeline_%s.csv", FL_TEST_TMP, name);
	if (!(fp = fopen(path, "w")))
		return NULL;
	fputs(text, fp);
	if (fclose(fp) == 0)
		CHECK_RC(fl_table_read_csv(&t, path), 0);
	unlink(path);
	return t;
}

/* The search's table: label takes the place of the class-name column when
 * that names every class differently, else comes after the metadata (its
 * levels then "NAME (class C)" where two classes share a name, the class
 * number where a class has none); predicted is last; a metadata column of
 * the same name keeps it, ours get " (faultline)". */
static void test_search_table(void)
{
	static const int64_t labels[6] = {0, 1, 2, 0, 1, 2}, preds[6] = {0, 2, 2, 1, 1, 0};
	static const double failure[6] = {0, 1, 0, 1, 0, 1};
	fl_table *distinct = meta_table("distinct", "id,cls,label\na,cat,x\nb,dog,y\nc,cow,x\n"
					"d,cat,y\ne,dog,x\nf,cow,y\n");
	fl_table *shared = meta_table("shared", "id,kind\na,pet\nb,pet\nc,farm\nd,pet\ne,pet\n"
				      "f,farm\n");
	fl_data d = FL_DATA_INIT;
	fl_prep p;

	d.n = 6;
	d.labels = labels;
	d.preds = preds;
	d.meta = distinct;
	d.id_column = "id";
	CHECK_RC(fl_pipeline__prepare(&p, &d, FL_FAILURE_ERROR, 1, 0), 0);
	if (p.table) {
		CHECK_EQ_INT(fl_table_cols(p.table), 4);
		CHECK(!strcmp(fl_table_col_name(p.table, 1), "label (faultline)") &&
		      !strcmp(fl_table_col_derived(p.table, 1), "label"));
		CHECK(!strcmp(fl_table_col_name(p.table, 2), "label") && !fl_table_col_derived(p.table, 2));
		CHECK(!strcmp(fl_table_col_name(p.table, 3), "predicted") &&
		      !strcmp(fl_table_col_derived(p.table, 3), "predicted"));
		CHECK(!strcmp(fl_table_level(p.table, 1, 2), "cow") && !strcmp(fl_table_cell(p.table, 1, 3), "cow"));
		CHECK(!strcmp(fl_table_cell(p.table, 5, 0), "f") && fl_table_base(p.table) == distinct);
	}
	fl_pipeline__prep_free(&p);
	d.meta = shared; /* "pet" names two classes: not the true class */
	CHECK_RC(fl_pipeline__prepare(&p, &d, FL_FAILURE_ERROR, 1, 0), 0);
	if (p.table) {
		CHECK_EQ_INT(fl_table_cols(p.table), 4);
		CHECK(!strcmp(fl_table_col_name(p.table, 1), "kind") && !strcmp(fl_table_col_name(p.table, 2), "label"));
		CHECK(!strcmp(fl_table_level(p.table, 2, 0), "pet (class 0)") &&
		      !strcmp(fl_table_level(p.table, 2, 2), "farm"));
	}
	fl_pipeline__prep_free(&p);
	d.meta = NULL; /* no metadata: the true and predicted class alone */
	d.id_column = NULL;
	CHECK_RC(fl_pipeline__prepare(&p, &d, FL_FAILURE_ERROR, 1, 0), 0);
	CHECK(p.table != NULL);
	if (p.table) {
		CHECK_EQ_INT(fl_table_cols(p.table), 2);
		CHECK_EQ_INT(fl_table_rows(p.table), d.n);
		CHECK(!strcmp(fl_table_col_derived(p.table, 0), "label") &&
		      !strcmp(fl_table_col_derived(p.table, 1), "predicted"));
		CHECK_EQ_INT(fl_table_codes(p.table, 0)[1], d.labels[1]);
	}
	fl_pipeline__prep_free(&p);
	d.labels = NULL; /* nor labels: no table */
	d.failure = failure;
	CHECK_RC(fl_pipeline__prepare(&p, &d, FL_FAILURE_ERROR, 1, 0), 0);
	CHECK(p.table == NULL);
	fl_pipeline__prep_free(&p);
	fl_table_free(distinct);
	fl_table_free(shared);
}

/* Scale-free numerics: a continuous failure (the loss), the same times
 * 1e19, 1e-19 and 1e300 (finite; its sums and squares overflow a double,
 * and 2e19 once reached the mixture's exp as NaN): fl_discover ranks the
 * same slices, with the same members, whatever the unit, and its rates
 * are the unit's. Every method runs: the mixture's Gaussian failure term
 * (no labels), k-means, the direction and the predicates. */
static void test_scale(void)
{
	static const double factor[] = {1, 1e19, 1e-19, 1e300};
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_data d = FL_DATA_INIT;
	fl_view v = {"emb", NULL, 0, "emb.npy"};
	fl_report *r[4] = {NULL, NULL, NULL, NULL};
	fl_table *meta = NULL;
	double *loss = NULL, *f = NULL;
	char path[512];
	FILE *fp;

	so.n = 3000;
	so.meta_slice = 1;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	loss = malloc((size_t)s.n * sizeof *loss);
	f = malloc((size_t)s.n * sizeof *f);
	snprintf(path, sizeof path, "%s/scale_meta.csv", FL_TEST_TMP);
	CHECK((fp = fopen(path, "w")) != NULL);
	if (!loss || !f || !fp)
		goto done;
	fprintf(fp, "weather,camera,age\n");
	for (int64_t i = 0; i < s.n; i++)
		fprintf(fp, "w%d,c%d,%d\n", s.weather[i], s.camera[i], s.age[i]);
	CHECK(fclose(fp) == 0);
	CHECK_RC(fl_table_read_csv(&meta, path), 0);
	CHECK_RC(fl_failure_compute(loss, FL_FAILURE_LOSS, s.n, s.n_classes, s.labels, s.probs,
				    NULL), 0);
	v.x = s.emb;
	v.dim = s.d;
	d.n = s.n;
	d.failure = f;
	d.views = &v;
	d.n_views = 1;
	d.meta = meta;
	o.threads = 1;
	o.components = 8;
	for (int k = 0; k < 4; k++) {
		for (int64_t i = 0; i < s.n; i++)
			f[i] = loss[i] * factor[k];
		CHECK_RC(fl_discover(&r[k], &d, &o), 0);
	}
	for (int k = 1; k < 4 && r[0]; k++) {
		int same = r[k] && fl_report_n_slices(r[k]) == fl_report_n_slices(r[0]);
		int methods = 0;

		for (int32_t i = 0; same && i < fl_report_n_slices(r[0]); i++) {
			const fl_candidate *a = fl_report_slice(r[0], i), *b = fl_report_slice(r[k], i);

			same &= !strcmp(a->method, b->method) && a->n_members == b->n_members &&
				!memcmp(a->members, b->members, (size_t)a->n_members * sizeof *a->members) &&
				a->replicated == b->replicated;
			same &= fabs(b->stats.failure_rate / factor[k] - a->stats.failure_rate) <=
				1e-12 * a->stats.failure_rate;
			/* the score counts excess failures: in the signal's units */
			same &= fabs(b->score / factor[k] - a->score) <= 1e-9 * fabs(a->score);
			methods |= (strcmp(a->method, "mixture") == 0) | (strcmp(a->method, "predicates") == 0) << 1;
		}
		if (!same)
			fprintf(stderr, "scale %g: the slices differ from those of the loss\n", factor[k]);
		CHECK(same);
		CHECK(methods == 3); /* the mixture and the predicates found slices */
	}
	CHECK(r[0] && fl_report_n_slices(r[0]) >= 3);
done:
	for (int k = 0; k < 4; k++)
		fl_report_free(r[k]);
	fl_table_free(meta);
	free(loss);
	free(f);
	fl_synth_clear(&s);
}

/* A view and labels, no metadata: the predicate search still runs on the
 * true and predicted class, so a class that fails is named (`label = 2`),
 * with the clusters of the view beneath it; a rule lists its failing
 * members first, the most confident misses first. */
static void test_classes_alone(void)
{
	enum { N = 3000, K = 5, D = 8 };
	static int64_t labels[N];
	static float probs[N * K], emb[N * D];
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_data d = FL_DATA_INIT;
	fl_report *r = NULL;
	uint64_t st = 7;
	int found = 0;

	for (int64_t i = 0; i < N; i++) {
		int64_t y = (int64_t)(check_rand(&st) % K);
		int wrong = check_uniform(&st) < (y == 2 ? 0.6 : 0.05);
		double conf = 0.5 + 0.45 * check_uniform(&st);

		labels[i] = y;
		for (int k = 0; k < K; k++)
			probs[i * K + k] = (float)((1 - conf) / (K - 1));
		probs[i * K + (wrong ? (y + 1) % K : y)] = (float)conf;
		for (int j = 0; j < D; j++)
			emb[i * D + j] = (float)check_uniform(&st);
	}
	d.n = N;
	d.labels = labels;
	d.probs = probs;
	d.n_classes = K;
	d.n_views = 1;
	d.views = &(fl_view){"emb", emb, D, NULL};
	o.threads = 1;
	CHECK_RC(fl_discover(&r, &d, &o), 0);
	for (int32_t k = 0; r && k < fl_report_n_slices(r); k++) {
		const fl_candidate *c = fl_report_slice(r, k);
		int ordered = 1;

		if (!c->description || strcmp(c->description, "label = 2"))
			continue;
		found++;
		CHECK(c->stats.failure_rate > 0.45);
		for (int64_t m = 1; m < c->n_members; m++) { /* failing first, surest miss first */
			int64_t a = c->members[m - 1], b = c->members[m];
			int fa = labels[a] != 2 || probs[a * K + 2] < 0.5, fb = probs[b * K + 2] < 0.5;

			ordered &= fa >= fb && (fa != fb || probs[a * K + 2] <= probs[b * K + 2]);
		}
		CHECK(ordered);
	}
	CHECK_EQ_INT(found, 1);
	fl_report_free(r);
}

/* The second search (explaining away) runs every method but the failure
 * direction when the mixture or k-means runs: on data with a class that
 * fails often (the first search's cause) and a region of the view that
 * fails too, the first search has direction slices, the second has slices
 * and none of them is a direction's; with the direction and the predicates
 * alone, the direction searches again. */
static void second_search(int *first_dir, int *second, int *second_dir, uint32_t methods)
{
	enum { N = 4000, K = 5, D = 8 };
	static int64_t labels[N];
	static float probs[N * K], emb[N * D];
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_data d = FL_DATA_INIT;
	fl_report *r = NULL;
	uint64_t st = 11;

	for (int64_t i = 0; i < N; i++) {
		int64_t y = (int64_t)(check_rand(&st) % K);
		double conf = 0.5 + 0.45 * check_uniform(&st), p;
		int wrong;

		for (int j = 0; j < D; j++)
			emb[i * D + j] = (float)check_uniform(&st);
		p = y == 2 ? 0.6 : emb[i * D] > 0.85f ? 0.35 : 0.04;
		wrong = check_uniform(&st) < p;
		labels[i] = y;
		for (int k = 0; k < K; k++)
			probs[i * K + k] = (float)((1 - conf) / (K - 1));
		probs[i * K + (wrong ? (y + 1) % K : y)] = (float)conf;
	}
	d.n = N;
	d.labels = labels;
	d.probs = probs;
	d.n_classes = K;
	d.n_views = 1;
	d.views = &(fl_view){"emb", emb, D, NULL};
	o.threads = 1;
	o.methods = methods;
	*first_dir = *second = *second_dir = 0;
	CHECK_RC(fl_discover(&r, &d, &o), 0);
	for (int32_t k = 0; r && k < fl_report_n_slices(r); k++) /* causes and their parts */
		for (int32_t q = -1; q < fl_report_slice(r, k)->n_parts; q++) {
			const fl_candidate *c = fl_report_slice(r, k);
			int dir;

			c = q < 0 ? c : &c->parts[q];
			dir = strcmp(c->method, "direction") == 0;
			*first_dir += c->round == 1 && dir;
			*second += c->round == 2;
			*second_dir += c->round == 2 && dir;
		}
	fl_report_free(r);
}

static void test_second_search(void)
{
	int first_dir, second, second_dir;

	second_search(&first_dir, &second, &second_dir, 0);
	CHECK(first_dir > 0);
	CHECK(second > 0);
	CHECK_EQ_INT(second_dir, 0);
	second_search(&first_dir, &second, &second_dir,
		      FL_METHOD_DIRECTION | FL_METHOD_PREDICATES);
	CHECK(second_dir > 0);
}

/* The view methods search a subset of a view's rows through opts.rows
 * exactly as they search a copy of those rows: the same candidates, the
 * same members (positions in the subset), the same statistics. */
static void same_cands(const fl_candidate *a, int32_t na, const fl_candidate *b, int32_t nb,
		       const char *what)
{
	int same = na == nb && na > 0;

	for (int32_t k = 0; same && k < na; k++) {
		same = a[k].n_members == b[k].n_members &&
		       a[k].stats.failure_rate == b[k].stats.failure_rate &&
		       !memcmp(a[k].members, b[k].members, (size_t)a[k].n_members * sizeof(int64_t));
		same = same && (!a[k].spec_json) == (!b[k].spec_json) &&
		       (!a[k].spec_json || !strcmp(a[k].spec_json, b[k].spec_json));
	}
	if (!same)
		fprintf(stderr, "%s: %d against %d candidates, or different ones\n", what, na, nb);
	CHECK(same);
}

static void test_rows_map(void)
{
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	fl_failure_summary *sum = NULL;
	int64_t m = 0, *rows = NULL, *lab = NULL;
	float *copy = NULL, *probs = NULL;
	double *f = NULL;
	fl_candidate *a = NULL, *b = NULL;
	int32_t na = 0, nb = 0;

	so.n = 3000;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	rows = malloc((size_t)s.n * sizeof *rows);
	lab = malloc((size_t)s.n * sizeof *lab);
	f = malloc((size_t)s.n * sizeof *f);
	copy = malloc((size_t)(s.n * s.d) * sizeof *copy);
	probs = malloc((size_t)(s.n * s.n_classes) * sizeof *probs);
	for (int64_t i = 0; i < s.n; i++)
		if (i % 3 != 1) { /* two rows in three, the rest skipped */
			rows[m] = i;
			lab[m] = s.labels[i];
			f[m] = s.labels[i] != s.preds[i];
			memcpy(copy + m * s.d, s.emb + i * s.d, (size_t)s.d * sizeof *copy);
			memcpy(probs + m * s.n_classes, s.probs + i * s.n_classes,
			       (size_t)s.n_classes * sizeof *probs);
			m++;
		}
	CHECK_RC(fl_failure_summary_new(&sum, f, m), 0);
	{
		fl_direction_opts o = FL_DIRECTION_OPTS_INIT;

		o.threads = 2;
		CHECK_RC(fl_discover_direction(&a, &na, copy, m, s.d, s.d, "e", lab, s.n_classes, sum, f,
					       &o), 0);
		o.rows = rows;
		CHECK_RC(fl_discover_direction(&b, &nb, s.emb, m, s.d, s.d, "e", lab, s.n_classes, sum, f,
					       &o), 0);
		same_cands(a, na, b, nb, "direction");
		fl_candidates_free(a, na);
		fl_candidates_free(b, nb);
	}
	{
		fl_discover_kmeans_opts o = FL_DISCOVER_KMEANS_OPTS_INIT;

		CHECK_RC(fl_discover_kmeans(&a, &na, copy, m, s.d, s.d, "e", sum, f, &o), 0);
		o.rows = rows;
		CHECK_RC(fl_discover_kmeans(&b, &nb, s.emb, m, s.d, s.d, "e", sum, f, &o), 0);
		same_cands(a, na, b, nb, "kmeans");
		fl_candidates_free(a, na);
		fl_candidates_free(b, nb);
	}
	{
		fl_discover_mixture_opts o = FL_DISCOVER_MIXTURE_OPTS_INIT;

		o.pca_rows = 500; /* a sample of the rows: its positions mapped too */
		CHECK_RC(fl_discover_mixture(&a, &na, copy, m, s.d, s.d, "e", lab, probs, s.n_classes,
					     sum, f, &o), 0);
		o.rows = rows;
		CHECK_RC(fl_discover_mixture(&b, &nb, s.emb, m, s.d, s.d, "e", lab, probs, s.n_classes,
					     sum, f, &o), 0);
		same_cands(a, na, b, nb, "mixture");
		fl_candidates_free(a, na);
		fl_candidates_free(b, nb);
	}
	fl_failure_summary_free(sum);
	fl_synth_clear(&s);
	free(rows);
	free(lab);
	free(f);
	free(copy);
	free(probs);
}

/* The view check (one pass on the bits, in blocks over threads) refuses
 * what the serial checks refused, naming the first bad value in row order
 * whatever block or thread met it: the largest float at most 1e15 passes,
 * the next one, NaN, -Inf are named; -0 and subnormals pass. */
typedef struct {
	int64_t at, also; /* planted values; also = -1: one only */
	float a, b;
	const char *want; /* NULL: accepted */
} range_case;

static void test_view_range(void)
{
	enum { N = 50000, D = 3 }; /* more than one block of 65536 values */
	static float x[N * D];
	static int64_t labels[N], preds[N];
	float top = 1e15f;
	fl_view v = {"emb", x, D, "emb.npy"};
	fl_data d = FL_DATA_INIT;
	fl_prep p;
	range_case cases[6];

	if ((double)top > 1e15)
		top = nextafterf(top, 0.0f);
	cases[0] = (range_case){7, -1, top, 0, NULL};
	cases[1] = (range_case){N * D - 1, -1, -0.0f, 0, NULL};
	cases[2] = (range_case){4, -1, 1e-42f, 0, NULL};
	cases[3] = (range_case){(N - 2) * D + 1, -1, nextafterf(top, INFINITY), 0, "row 49998, column 1"};
	cases[4] = (range_case){(N - 1) * D + 2, 40000 * D, NAN, -top * 4, "row 49999, column 2: value is NaN"};
	cases[5] = (range_case){30000 * D, -1, -INFINITY, 0, "row 30000, column 0: value is -Inf"};
	for (int64_t i = 0; i < N; i++) {
		labels[i] = i % 2;
		preds[i] = i % 3 == 0;
	}
	d.n = N;
	d.labels = labels;
	d.preds = preds;
	d.views = &v;
	d.n_views = 1;
	for (int c = 0; c < 6; c++) {
		int rc;

		memset(x, 0, sizeof x);
		x[cases[c].at] = cases[c].a;
		if (cases[c].also >= 0)
			x[cases[c].also] = cases[c].b;
		for (int threads = 1; threads <= 3; threads += 2) {
			rc = fl_pipeline__prepare(&p, &d, FL_FAILURE_ERROR, 1, threads);
			CHECK_EQ_INT(rc, cases[c].want ? FL_ERANGE : 0);
			CHECK(!cases[c].want || strstr(fl_last_error(), cases[c].want));
			fl_pipeline__prep_free(&p);
		}
	}
}

int main(void)
{
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_data d = FL_DATA_INIT;
	fl_view v = {"emb", NULL, 0, "emb.npy"};
	fl_report *r = NULL, *r2 = NULL, *ra = NULL;
	fl_saved_report *saved = NULL;
	char prefix[512], json[600], html[600], bad[600];
	int calls = 0, found = 0;

	test_options();
	test_search_table();
	test_scale();
	test_groups();
	test_classes_alone();
	test_second_search();
	test_rows_map();
	test_view_range();
	so.n = 4000;
	CHECK_RC(fl_synth_generate(&s, &so), 0);
	v.x = s.emb;
	v.dim = s.d;
	d.n = s.n;
	d.labels = s.labels;
	d.probs = s.probs;
	d.n_classes = s.n_classes;
	d.views = &v;
	d.n_views = 1;
	snprintf(prefix, sizeof prefix, "%s/pipeline_run", FL_TEST_TMP);
	snprintf(json, sizeof json, "%s.json", prefix);
	snprintf(html, sizeof html, "%s.html", prefix);
	snprintf(bad, sizeof bad, "%s/no/such/dir/x.html", FL_TEST_TMP);
	unlink(json);
	unlink(html);
	snprintf(bad, sizeof bad, "%s.mixture-emb.npz", prefix);
	unlink(bad);
	snprintf(bad, sizeof bad, "%s.mixture2-emb.npz", prefix);
	unlink(bad);
	snprintf(bad, sizeof bad, "%s/no/such/dir/x.html", FL_TEST_TMP);

	/* cancelled: FL_ECANCELED, no report, no model folder left behind */
	o.model_prefix = prefix;
	o.threads = 1;
	o.progress = cancel_after;
	o.progress_user = &calls;
	CHECK_RC(fl_discover(&r, &d, &o), FL_ECANCELED);
	CHECK(r == NULL);
	CHECK_EQ_INT(count_files(FL_TEST_TMP, "pipeline_run"), 0);

	/* the whole pipeline: planted slices found, replicated */
	o.progress = NULL;
	CHECK_RC(fl_discover(&r, &d, &o), 0);
	CHECK(r && fl_report_n_slices(r) >= 3);
	for (int32_t i = 0; r && i < fl_report_n_slices(r); i++) {
		const fl_candidate *c = fl_report_slice(r, i);
		int64_t hit = 0;

		for (int64_t k = 0; k < c->n_members; k++)
			hit += s.truth[c->members[k]] >= 0;
		found += c->replicated && hit > c->n_members / 2;
	}
	CHECK(found >= 3);
	CHECK_EQ_INT(count_files(FL_TEST_TMP, "pipeline_run.json"), 0); /* nothing saved yet */

	/* results do not depend on the thread count */
	o.threads = 2;
	CHECK_RC(fl_discover(&r2, &d, &o), 0);
	CHECK(r2 && fl_report_n_slices(r2) == fl_report_n_slices(r));
	for (int32_t i = 0; r2 && i < fl_report_n_slices(r); i++) {
		const fl_candidate *a = fl_report_slice(r, i), *b = fl_report_slice(r2, i);

		CHECK(a->n_members == b->n_members &&
		      !memcmp(a->members, b->members, (size_t)a->n_members * sizeof *a->members));
	}
	fl_report_free(r2);
	r2 = NULL;

	/* saving: a failing output writes nothing; then all of it */
	CHECK_RC(fl_report_save(r, json, bad, 0), FL_EIO);
	CHECK(access(json, F_OK) != 0);
	CHECK_RC(fl_report_save(r, json, html, 0), 0);
	CHECK(access(json, F_OK) == 0 && access(html, F_OK) == 0);
	CHECK(count_files(FL_TEST_TMP, "pipeline_run.mixture-emb.npz") == 1);
	CHECK(count_files(FL_TEST_TMP, "pipeline_run.tmp") == 0);

	/* apply on the same data selects the same rows (every spec type here) */
	CHECK_RC(fl_saved_report_load(&saved, json), 0);
	CHECK_RC(fl_apply(&ra, saved, &d, NULL), 0);
	CHECK(ra && fl_report_n_slices(ra) == fl_report_n_slices(r));
	for (int32_t i = 0; ra && i < fl_report_n_slices(r); i++) {
		const fl_candidate *a = fl_report_slice(r, i), *b = fl_report_slice(ra, i);

		CHECK_EQ_INT(b->n_members, a->n_members + a->n_holdout_members);
	}
	/* apply cancelled by its progress callback */
	{
		fl_apply_opts ao = FL_APPLY_OPTS_INIT;
		fl_report *rc_report = NULL;

		calls = 0;
		ao.progress = cancel_after;
		ao.progress_user = &calls;
		CHECK_RC(fl_apply(&rc_report, saved, &d, &ao),
			 fl_saved_report_n_slices(saved) > 3 ? FL_ECANCELED : 0);
		fl_report_free(rc_report);
	}
	/* check: the same data passes a regression limit */
	{
		fl_check_opts co = FL_CHECK_OPTS_INIT;
		fl_verdict *verdicts = NULL, overall;
		fl_data worse = d;
		double *ones = malloc((size_t)d.n * sizeof *ones);

		CHECK_RC(fl_check(&verdicts, NULL, NULL, saved, &d, &co), FL_EINVAL);
		co.max_regression = 0.5;
		CHECK_RC(fl_check(&verdicts, &overall, NULL, saved, &d, &co), 0);
		CHECK(verdicts && fl_verdicts_worst(verdicts, fl_saved_report_n_slices(saved)) == FL_PASS);
		CHECK(overall.status == FL_PASS && overall.why[0] == '\0');
		free(verdicts);
		/* the overall gates: the same data does not regress; a model wrong
		 * everywhere does, and exceeds any overall limit below 1 */
		co.max_regression = NAN;
		co.max_overall_regression = 0;
		CHECK_RC(fl_check(&verdicts, &overall, NULL, saved, &d, &co), 0);
		CHECK(overall.status == FL_PASS);
		free(verdicts);
		co.max_overall_regression = -1;
		CHECK_RC(fl_check(&verdicts, &overall, NULL, saved, &d, &co), FL_EINVAL);
		/* the limits by name, as the CLI sets them */
		CHECK(fl_check_option_count() == 5 &&
		      !strcmp(fl_check_option(4)->name, "max_overall_regression"));
		CHECK_RC(fl_check_opts_set(&co, "max_overall_regression", "0.25"), 0);
		CHECK(co.max_overall_regression == 0.25);
		CHECK_RC(fl_check_opts_set(&co, "max_overall_regression", "-1"), FL_EINVAL);
		CHECK(strstr(fl_last_error(), "max_overall_regression") && strstr(fl_last_error(), "-1"));
		CHECK_RC(fl_check_opts_set(&co, "max_lift", "0"), FL_EINVAL);
		CHECK_RC(fl_check_opts_set(&co, "max_nothing", "1"), FL_EINVAL);
		for (int64_t i = 0; ones && i < d.n; i++)
			ones[i] = 1;
		worse.failure = ones;
		co.max_overall_regression = 0.05;
		co.max_overall_failure = 0.99;
		CHECK_RC(fl_check(&verdicts, &overall, NULL, saved, &worse, &co), 0);
		CHECK(overall.status == FL_FAIL && strstr(overall.why, "overall failure rate"));
		free(verdicts);
		co.max_overall_failure = NAN;
		CHECK_RC(fl_check(&verdicts, &overall, NULL, saved, &worse, &co), 0);
		CHECK(overall.status == FL_FAIL && strstr(overall.why, "rose"));
		free(verdicts);
		free(ones);
	}
	/* compare a model with itself: nothing regressed, no slice */
	{
		fl_discover_opts co = FL_DISCOVER_OPTS_INIT;

		co.methods = FL_METHOD_KMEANS;
		CHECK_RC(fl_compare(&r2, &d, &d, FL_COMPARE_REGRESSIONS, &co), 0);
		CHECK(r2 && fl_report_n_slices(r2) == 0);
	}
	fl_report_free(r2);
	fl_report_free(ra);
	fl_saved_report_free(saved);
	fl_report_free(r);
	/* the saved report outlives the report in memory */
	CHECK(access(json, F_OK) == 0 && count_files(FL_TEST_TMP, "pipeline_run.mixture-emb.npz") == 1);
	fl_synth_clear(&s);
	return check_done();
}
