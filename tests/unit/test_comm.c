/*
 * fl_discover on several ranks (fl_discover_opts.comm, faultline/comm.h)
 * without MPI: P threads of this process are the ranks, exchanging through
 * a communication table built on a barrier. For P = 1, 2, 3 (3: uneven
 * shares of every pass) and 1 or 2 OpenMP threads per rank (or q + 1 on
 * rank q: ranks of different speeds), every rank's
 * report is the single process's, byte for byte (its JSON), on synthetic
 * data with two views, searched as they are and reduced (PCA to 8
 * dimensions, 8-bit codes) first. Also: a bad table is refused, a table whose
 * exchange fails makes every rank fail with FL_EIO, no report; a bad value
 * in the rows one rank checks gives every rank the single process's error;
 * the ranks' shared sort (fl__comm_sort) gives qsort's order; the same
 * reports when each rank's views hold other values outside its own rows
 * (fl_comm_rows: no rank reads another's rows), and the row fetch gets
 * every rank the true rows; the cut of a pass's groups by the ranks'
 * speeds (fl__comm_cut), and the same reports with every such pass cut
 * unevenly on purpose.
 */
#include "common/internal.h"
#include "mixture/em.h"
#include "check.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "faultline.h"

#define MAX_RANKS 3

/* The ranks' shared state: each posts a pointer, all wait, all read. */
typedef struct job {
	int32_t size;
	pthread_barrier_t bar;
	const void *post[MAX_RANKS];
	int fail_exchange; /* the table reports a failure on every exchange */
} job;

typedef struct rank {
	job *job;
	fl_comm comm;
	const fl_data *data;
	int32_t threads, pca_dims;
	char path[512];
	int rc;
	char err[512]; /* fl_last_error() when rc != 0 */
} rank;

/* rotate: every reduction moves the rates the cuts take (test_rates =
 * rotating: fl__comm_test_rates) one rank on, so that the passes cut by
 * speed cut differently pass after pass */
static int rotate;
static double rotating[MAX_RANKS];

static void rotate_rates(void)
{
	double first = rotating[0];

	for (int32_t q = 0; q < MAX_RANKS - 1; q++)
		rotating[q] = rotating[q + 1];
	rotating[MAX_RANKS - 1] = first;
}

static int reduce(void *user, void *buf, int64_t n, int op, int is_f64)
{
	rank *me = user;
	job *j = me->job;
	size_t bytes = (size_t)n * 8;
	unsigned char *acc = malloc(bytes ? bytes : 1);

	if (!acc)
		return -1;
	j->post[me->comm.rank] = buf;
	pthread_barrier_wait(&j->bar);
	/* every rank combines the ranks' buffers in rank order: the same bits */
	memcpy(acc, j->post[0], bytes);
	for (int32_t q = 1; q < j->size; q++)
		for (int64_t i = 0; i < n; i++) {
			if (is_f64) {
				double *a = (double *)(void *)acc, b = ((const double *)j->post[q])[i];
				a[i] = op == FL_COMM_MAX ? (b > a[i] ? b : a[i]) : a[i] + b;
			} else {
				int64_t *a = (int64_t *)(void *)acc, b = ((const int64_t *)j->post[q])[i];
				a[i] = op == FL_COMM_MAX ? (b > a[i] ? b : a[i]) : a[i] + b;
			}
		}
	pthread_barrier_wait(&j->bar);
	memcpy(buf, acc, bytes);
	free(acc);
	if (rotate && me->comm.rank == 0) /* the others wait below: none reads them now */
		rotate_rates();
	pthread_barrier_wait(&j->bar);
	return j->fail_exchange ? -1 : 0;
}

static int allreduce_f64(void *user, double *buf, int64_t n, int op)
{
	return reduce(user, buf, n, op, 1);
}

static int allreduce_i64(void *user, int64_t *buf, int64_t n, int op)
{
	return reduce(user, buf, n, op, 0);
}

static int broadcast(void *user, void *buf, int64_t bytes, int32_t root)
{
	rank *me = user;
	job *j = me->job;

	j->post[me->comm.rank] = buf;
	pthread_barrier_wait(&j->bar);
	if (me->comm.rank != root)
		memcpy(buf, j->post[root], (size_t)bytes);
	pthread_barrier_wait(&j->bar);
	return j->fail_exchange ? -1 : 0;
}

static int allgather(void *user, const void *mine, void *all, const int64_t *bytes_of)
{
	rank *me = user;
	job *j = me->job;
	int64_t off = 0;

	j->post[me->comm.rank] = mine;
	pthread_barrier_wait(&j->bar);
	for (int32_t q = 0; q < j->size; q++) {
		memcpy((char *)all + off, j->post[q], (size_t)bytes_of[q]);
		off += bytes_of[q];
	}
	pthread_barrier_wait(&j->bar);
	return j->fail_exchange ? -1 : 0;
}

/* the rates every rank's cuts take (fl__comm_test_rates), or NULL */
static const double *test_rates;
static const double skewed[MAX_RANKS] = {7, 1, 3};

/* with timings: on several ranks every stage is followed by its seconds in
 * the exchanges (FL_TIMING_EXCHANGES), within the stage's, and some are
 * not 0 (every reduction of this table waits at a barrier); on one, none.
 * 0, or -1 and why in err. */
static int timings;

static int check_timings(const fl_report *r, int32_t size, char *err, size_t len_err)
{
	size_t tail = strlen(FL_TIMING_EXCHANGES);
	int32_t n = fl_report_n_timings(r), stages = 0;
	double s, x, all = 0;

	for (int32_t i = 0; i < n; i++, stages++) {
		const char *stage = fl_report_timing(r, i, &s), *next;
		size_t len = strlen(stage);

		if (len >= tail && !strcmp(stage + len - tail, FL_TIMING_EXCHANGES))
			return snprintf(err, len_err, "timing %s not after its stage", stage), -1;
		if (size < 2)
			continue;
		next = fl_report_timing(r, ++i, &x);
		if (!next || strlen(next) != len + tail || strncmp(next, stage, len) ||
		    strcmp(next + len, FL_TIMING_EXCHANGES) || !(x >= 0 && x <= s))
			return snprintf(err, len_err, "stage %s (%g s), then %s (%g s)", stage, s,
					next ? next : "nothing", next ? x : 0), -1;
		all += x;
	}
	if (size > 1 && !(all > 0))
		return snprintf(err, len_err, "no second in the exchanges"), -1;
	/* prepare, split, the views' methods, settle, ... */
	return stages >= 5 ? 0 : (snprintf(err, len_err, "%d stages timed", (int)stages), -1);
}

static void *run_rank(void *arg)
{
	rank *me = arg;
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_report *r = NULL;

	fl__comm_test_rates(test_rates);
	o.seed = 7;
	o.threads = me->threads;
	o.pca_dims = me->pca_dims;
	o.comm = &me->comm;
	o.timings = timings;
	me->rc = fl_discover(&r, me->data, &o);
	if (me->rc == 0 && timings) /* no JSON: the timings checked */
		me->rc = check_timings(r, me->comm.size, me->err, sizeof me->err);
	else if (me->rc == 0)
		me->rc = fl_report_write_json(r, me->path, 0);
	else if (r)
		me->rc = -1000; /* a report on failure */
	if (me->rc && !me->err[0])
		snprintf(me->err, sizeof me->err, "%s", fl_last_error());
	fl_report_free(r);
	return NULL;
}

/* fl__comm_sort on the ranks and their threads: each rank sorts the same
 * values (few distinct ones, ties by row) and gets qsort's order, whatever
 * the threads of each rank (1 to 3, ranks differing). */
typedef struct sort_rank {
	rank r;
	fl_f64_row *v;
	int64_t n;
	int threads, rc;
} sort_rank;

static void *sort_on_rank(void *arg)
{
	sort_rank *me = arg;

	fl__comm_enter(&me->r.comm, me->n);
	me->rc = fl__comm_sort(me->v, me->n, sizeof *me->v, fl__cmp_f64_row, me->threads);
	me->rc = fl__comm_leave() ? -1 : me->rc;
	return NULL;
}

static void test_sort(void)
{
	const int64_t sizes[] = {0, 5, 64 * MAX_RANKS - 1, 1000, 4097, 8192, 8193, 40000};
	fl_rng rng;

	fl__rng_seed(&rng, 3, 0);
	for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++)
		for (int32_t size = 1; size <= MAX_RANKS; size++)
			for (int threads = 1; threads <= 3; threads++) {
				int64_t n = sizes[t];
				fl_f64_row *want = malloc((size_t)(n + 1) * sizeof *want);
				job j = {size, {{0}}, {0}, 0};
				sort_rank rk[MAX_RANKS];
				pthread_t th[MAX_RANKS];

				for (int64_t i = 0; i < n; i++)
					want[i] = (fl_f64_row){(double)fl__rng_below(&rng, 7), i};
				pthread_barrier_init(&j.bar, NULL, (unsigned)size);
				for (int32_t q = 0; q < size; q++) {
					rk[q].r = (rank){&j,
							 {FL_COMM_VERSION, q, size, &rk[q].r, allreduce_f64,
							  allreduce_i64, broadcast, allgather},
							 NULL, 1, 0, "", 0, ""};
					rk[q].v = malloc((size_t)(n + 1) * sizeof *want);
					memcpy(rk[q].v, want, (size_t)n * sizeof *want);
					rk[q].n = n;
					rk[q].threads = 1 + (threads + q) % 3;
					pthread_create(&th[q], NULL, sort_on_rank, &rk[q]);
				}
				qsort(want, (size_t)n, sizeof *want, fl__cmp_f64_row);
				for (int32_t q = 0; q < size; q++) {
					pthread_join(th[q], NULL);
					CHECK_EQ_INT(rk[q].rc, 0);
					if (memcmp(rk[q].v, want, (size_t)n * sizeof *want) != 0)
						fprintf(stderr, "sort of %lld on %d ranks: rank %d's "
							"order (%d threads) differs from qsort's\n",
							(long long)n, (int)size, (int)q, rk[q].threads);
					CHECK(memcmp(rk[q].v, want, (size_t)n * sizeof *want) == 0);
					free(rk[q].v);
				}
				pthread_barrier_destroy(&j.bar);
				free(want);
			}
}

/* fl__comm_cut: groups in proportion to the ranks' groups a second so
 * far, one at least each while there are enough, equal shares until every
 * rank is timed; fl__comm_timed adds a pass, the older ones weighing less;
 * fl__comm_enter starts untimed */
static void test_cut(void)
{
	static const struct {
		int32_t p;
		int64_t n;
		double rate[3]; /* groups a second, timed over 1 s (0: not timed) */
		int64_t cut[4];
	} cases[] = {
		{2, 32, {1, 1}, {0, 16, 32}},
		{2, 32, {2, 1}, {0, 21, 32}},       /* 32 x 2/3 = 21.3 */
		{2, 32, {1, 3}, {0, 8, 32}},
		{2, 32, {100, 1}, {0, 31, 32}},     /* the slow rank keeps a group */
		{2, 32, {0, 0}, {0, 16, 32}},       /* nothing timed: equal shares */
		{2, 32, {0, 5}, {0, 16, 32}},       /* one rank not timed: equal shares */
		{3, 32, {1, 1, 1}, {0, 11, 21, 32}},
		{3, 32, {1, 2, 1}, {0, 8, 24, 32}},
		{3, 2, {1, 1, 1}, {0, 1, 1, 2}},    /* fewer groups than ranks */
		{3, 0, {1, 1, 1}, {0, 0, 0, 0}},
	};
	job j = {3, {{0}}, {0}, 0};
	rank rk = {&j, {FL_COMM_VERSION, 0, 2, &rk, allreduce_f64, allreduce_i64, broadcast,
			allgather}, NULL, 1, 0, "", 0, ""};

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int32_t p = cases[c].p;
		int64_t cut[4] = {-1, -1, -1, -1}, timed[4] = {0};
		double secs[3] = {1, 1, 1};

		for (int32_t q = 0; q < p; q++) /* one pass of rate[q] groups in 1 s */
			timed[q + 1] = timed[q] + (int64_t)cases[c].rate[q];
		rk.comm.size = p;
		fl__comm_enter(&rk.comm, 100);
		fl__comm_timed(timed, secs);
		fl__comm_cut(cases[c].n, cut);
		CHECK_EQ_INT(fl__comm_leave(), 0);
		for (int32_t q = 0; q <= p; q++)
			CHECK_EQ_INT(cut[q], cases[c].cut[q]);
	}
	/* two passes timed: 8 groups in 2 s and 2 in 0.5 s (4 a second each:
	 * 1 and 1 the mean), then 4 in 1 s and 6 in 3 s (4 and 2: 1.33 and 0.67
	 * the mean), weighted by their seconds, 2.5 x 0.9 and 4 */
	{
		double secs1[2] = {2, 0.5}, secs2[2] = {1, 3};
		int64_t cut1[3] = {0, 8, 10}, cut2[3] = {0, 4, 10}, cut[3];

		rk.comm.size = 2;
		fl__comm_enter(&rk.comm, 100);
		fl__comm_timed(cut1, secs1);
		fl__comm_cut(10, cut);
		CHECK_EQ_INT(cut[1], 5);
		fl__comm_timed(cut2, secs2);
		fl__comm_cut(10, cut); /* 1.213 : 0.787 the mean: 10 x 0.607 = 6.1 */
		CHECK_EQ_INT(cut[1], 6);
		CHECK_EQ_INT(fl__comm_leave(), 0);
		/* a new run starts untimed: equal shares */
		fl__comm_enter(&rk.comm, 100);
		fl__comm_cut(10, cut);
		CHECK_EQ_INT(cut[1], 5);
		CHECK_EQ_INT(fl__comm_leave(), 0);
	}
	/* one process: every group its own */
	{
		int64_t cut[2] = {-1, -1};

		fl__comm_cut(7, cut);
		CHECK_EQ_INT(cut[0], 0);
		CHECK_EQ_INT(cut[1], 7);
	}
}

/* An EM pass whose groups are cut unevenly among the ranks (the rates set
 * by hand, as a fast rank's and a slow one's would be): the same sums and
 * the same rows (gathered by the pass's cut) as one process's, bit for
 * bit. */
#define EM_N 20000 /* 10 blocks of 2048 rows: 10 groups */
#define EM_D 4

typedef struct em_result {
	double ll, nk[3], s12[3 * 2 * EM_D];
	int32_t assign[EM_N];
	float key[EM_N];
} em_result;

typedef struct em_rank {
	rank r;
	const fl_mixture *m;
	const float *z;
	const double *f;
	const double *rate;
	em_result *res;
} em_rank;

static void em_pass(em_result *res, const fl_mixture *m, const float *z, const double *f,
		    const double *rate)
{
	fl_mx_data p = {EM_N, EM_D, z, EM_D, NULL, NULL, NULL, NULL, 0, f, NULL, NULL, NULL};
	fl_mx_out out = {NULL, res->assign, NULL, res->key, 0};
	mx_ctx x;

	CHECK_EQ_INT(fl_mixture__ctx_init(&x, EM_D, m->k, 0, 0, 0, m->failure, 1, EM_N), 0);
	fl_mixture__ctx_load(&x, m);
	fl__comm_test_rates(rate);
	fl_mixture__pass(&x, &p, MX_EM, NULL, &out);
	fl__comm_test_rates(NULL);
	fl_mixture__gather_out(&x, &p, &out);
	res->ll = x.acc.ll;
	memcpy(res->nk, x.acc.nk, sizeof res->nk);
	memcpy(res->s12, x.acc.s12, sizeof res->s12);
	fl_mixture__ctx_free(&x);
}

static void *em_on_rank(void *arg)
{
	em_rank *e = arg;

	fl__comm_enter(&e->r.comm, EM_N);
	em_pass(e->res, e->m, e->z, e->f, e->rate);
	e->r.rc = fl__comm_leave();
	return NULL;
}

static void test_em_cut(void)
{
	static const double rates[2][MAX_RANKS] = {{5, 1, 0}, {1, 1, 4}}; /* cuts 8 | 2, 2 | 1 | 7 */
	float *z = malloc((size_t)EM_N * EM_D * sizeof *z);
	double *f = malloc((size_t)EM_N * sizeof *f);
	em_result *one = calloc(1, sizeof *one), *res = calloc(MAX_RANKS, sizeof *res);
	fl_mixture_opts o = FL_MIXTURE_OPTS_INIT;
	fl_mixture m = {0};
	uint64_t s = 88172645463325252ull;

	CHECK(z && f && one && res);
	if (!z || !f || !one || !res)
		goto cleanup;
	for (int64_t i = 0; i < EM_N; i++) { /* three clusters, their failures apart */
		for (int64_t j = 0; j < EM_D; j++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			z[i * EM_D + j] = (float)(i % 3 == j % 3) * 4.0f +
					  (float)(s >> 11) / 9007199254740992.0f;
		}
		f[i] = (double)(i % 3 == 0 && i % 7 < 4);
	}
	o.k = 3;
	o.max_iter = 3;
	CHECK_EQ_INT(fl_mixture_fit(&m, z, EM_N, EM_D, EM_D, NULL, NULL, 0, f, &o), 0);
	em_pass(one, &m, z, f, NULL);
	for (int32_t size = 2; size <= MAX_RANKS; size++) {
		job j = {size, {{0}}, {0}, 0};
		em_rank er[MAX_RANKS];
		pthread_t th[MAX_RANKS];

		pthread_barrier_init(&j.bar, NULL, (unsigned)size);
		for (int32_t q = 0; q < size; q++) {
			er[q] = (em_rank){{&j, {FL_COMM_VERSION, q, size, &er[q].r, allreduce_f64,
					       allreduce_i64, broadcast, allgather}, NULL, 1, 0, "", 0,
					   ""}, &m, z, f, rates[size - 2], &res[q]};
			pthread_create(&th[q], NULL, em_on_rank, &er[q]);
		}
		for (int32_t q = 0; q < size; q++)
			pthread_join(th[q], NULL);
		pthread_barrier_destroy(&j.bar);
		for (int32_t q = 0; q < size; q++) {
			CHECK_EQ_INT(er[q].r.rc, 0);
			CHECK(res[q].ll == one->ll);
			CHECK(memcmp(res[q].nk, one->nk, sizeof one->nk) == 0);
			CHECK(memcmp(res[q].s12, one->s12, sizeof one->s12) == 0);
			CHECK(memcmp(res[q].assign, one->assign, sizeof one->assign) == 0);
			CHECK(memcmp(res[q].key, one->key, sizeof one->key) == 0);
		}
	}
cleanup:
	fl_mixture_clear(&m);
	free(z);
	free(f);
	free(one);
	free(res);
}

static int32_t pca_dims = 128;

static char errs[MAX_RANKS][512]; /* the ranks' messages of the last run_job */

/* d as rank q of size holds it when it maps only its own rows: the rows
 * of every view outside its rows (fl_comm_rows) hold other values */
typedef struct own {
	fl_data d;
	fl_view views[4];
	float *x[4];
} own;

static const fl_data *own_data(own *o, const fl_data *d, int32_t q, int32_t size)
{
	int64_t lo, hi;

	fl_comm_rows(q, size, d->n, &lo, &hi);
	o->d = *d;
	o->d.views = o->views;
	for (int32_t v = 0; v < d->n_views && v < 4; v++) {
		int64_t dim = d->views[v].dim;

		o->views[v] = d->views[v];
		o->x[v] = malloc((size_t)(d->n * dim) * sizeof(float));
		CHECK(o->x[v] != NULL);
		for (int64_t i = 0; i < d->n * dim; i++)
			o->x[v][i] = i / dim >= lo && i / dim < hi ? d->views[v].x[i]
								  : (float)(i % 97) - 48.0f;
		o->views[v].x = o->x[v];
	}
	return &o->d;
}

/* own_rows: each rank's views hold other values outside its rows (own_data) */
static int own_rows;

/* Run P ranks; returns how many succeeded; their JSON in TMP/comm_P_T_RANK.json */
static int run_job(const fl_data *d, int32_t size, int32_t threads, int fail_exchange, int *rcs)
{
	job j = {size, {{0}}, {0}, fail_exchange};
	rank rk[MAX_RANKS];
	pthread_t th[MAX_RANKS];
	own ow[MAX_RANKS];
	int ok = 0;

	pthread_barrier_init(&j.bar, NULL, (unsigned)size);
	for (int32_t q = 0; q < size; q++) {
		rk[q] = (rank){&j, {FL_COMM_VERSION, q, size, &rk[q], allreduce_f64, allreduce_i64,
				    broadcast, allgather}, own_rows ? own_data(&ow[q], d, q, size) : d,
			       threads > 0 ? threads : q + 1, pca_dims, "", 0, ""};
		snprintf(rk[q].path, sizeof rk[q].path, "%s/comm_%d_%d_%d.json", FL_TEST_TMP,
			 (int)size, (int)threads, (int)q);
		pthread_create(&th[q], NULL, run_rank, &rk[q]);
	}
	for (int32_t q = 0; q < size; q++) {
		pthread_join(th[q], NULL);
		rcs[q] = rk[q].rc;
		memcpy(errs[q], rk[q].err, sizeof errs[q]);
		ok += rk[q].rc == 0;
		for (int32_t v = 0; own_rows && v < d->n_views && v < 4; v++)
			free(ow[q].x[v]);
	}
	pthread_barrier_destroy(&j.bar);
	return ok;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	long n;
	char *s = NULL;

	if (fp && fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (s = malloc((size_t)n + 1)) && fread(s, 1, (size_t)n, fp) == (size_t)n)
		s[n] = 0;
	else {
		free(s);
		s = NULL;
	}
	if (fp)
		fclose(fp);
	return s;
}

static void test_same_report(const fl_data *d)
{
	char path[512], *one;
	int rcs[MAX_RANKS];

	CHECK_EQ_INT(run_job(d, 1, 1, 0, rcs), 1);
	snprintf(path, sizeof path, "%s/comm_1_1_0.json", FL_TEST_TMP);
	one = slurp(path);
	CHECK(one && strstr(one, "\"slices\"") && strstr(one, "mixture"));
	unlink(path);
	for (int32_t size = 2; size <= MAX_RANKS; size++)
		/* threads 0: rank q runs q + 1 threads, so the ranks run at
		 * different speeds and the passes that cut their groups by speed
		 * (fl__comm_cut) cut them unevenly */
		for (int32_t threads = 0; threads <= 2; threads++) {
			CHECK_EQ_INT(run_job(d, size, threads, 0, rcs), size);
			for (int32_t q = 0; q < size; q++) {
				char *other;

				snprintf(path, sizeof path, "%s/comm_%d_%d_%d.json", FL_TEST_TMP,
					 (int)size, (int)threads, (int)q);
				other = slurp(path);
				if (!(one && other && strcmp(one, other) == 0))
					fprintf(stderr, "ranks %d, threads %d, pca_dims %d: rank %d's "
						"report differs from the single process's\n", (int)size,
						(int)threads, (int)pca_dims, (int)q);
				CHECK(one && other && strcmp(one, other) == 0);
				free(other);
				unlink(path);
			}
		}
	free(one);
}

/* --timings on ranks: each stage then its seconds in the exchanges */
static void test_timings(const fl_data *d)
{
	int rcs[MAX_RANKS];

	timings = 1;
	for (int32_t size = 1; size <= 3; size++) {
		CHECK_EQ_INT(run_job(d, size, 1, 0, rcs), size);
		for (int32_t q = 0; q < size; q++)
			if (rcs[q])
				fprintf(stderr, "ranks %d, rank %d: %s\n", (int)size, (int)q, errs[q]);
	}
	timings = 0;
}

static void test_failures(const fl_data *d)
{
	fl_comm bad = {FL_COMM_VERSION, 2, 2, NULL, allreduce_f64, allreduce_i64, broadcast, allgather};
	fl_discover_opts o = FL_DISCOVER_OPTS_INIT;
	fl_report *r = NULL;
	int rcs[MAX_RANKS];

	o.comm = &bad; /* rank 2 of 2 */
	CHECK_RC(fl_discover(&r, d, &o), FL_EINVAL);
	CHECK(r == NULL && strstr(fl_last_error(), "comm"));
	bad.rank = 0;
	bad.allgather = NULL;
	CHECK_RC(fl_discover(&r, d, &o), FL_EINVAL);
	/* every exchange fails: every rank fails with FL_EIO, no report */
	CHECK_EQ_INT(run_job(d, 2, 1, 1, rcs), 0);
	CHECK_EQ_INT(rcs[0], FL_EIO);
	CHECK_EQ_INT(rcs[1], FL_EIO);
}

/* A value out of range in the last row (the last rank's share of the input
 * check) or the first: every rank fails with the single process's message. */
static void test_bad_value(const fl_data *d, float *x, int64_t at)
{
	float keep = x[at];
	int rcs[MAX_RANKS], want;
	char msg[512];

	x[at] = 1e30f;
	CHECK_EQ_INT(run_job(d, 1, 1, 0, rcs), 0);
	want = rcs[0];
	snprintf(msg, sizeof msg, "%s", errs[0]);
	CHECK(want == FL_ERANGE && strstr(msg, "too large"));
	for (int32_t size = 2; size <= MAX_RANKS; size++) {
		CHECK_EQ_INT(run_job(d, size, 1, 0, rcs), 0);
		for (int32_t q = 0; q < size; q++) {
			if (rcs[q] != want || strcmp(errs[q], msg) != 0)
				fprintf(stderr, "bad value at %lld, %d ranks: rank %d says (%d) %s, one "
					"process (%d) %s\n", (long long)at, (int)size, (int)q, rcs[q],
					errs[q], want, msg);
			CHECK(rcs[q] == want && strcmp(errs[q], msg) == 0);
		}
	}
	x[at] = keep;
}

/* fl__comm_fetch_rows: every rank gets the rows asked for (in any order,
 * repeated, past the last rank's range too) while each holds only its own
 * rows: the others hold other values (own_data). */
typedef struct fetch_rank {
	rank r;
	const float *x;
	int64_t n, d, m;
	const int64_t *rows;
	float *out;
	int rc;
} fetch_rank;

static void *fetch_on_rank(void *arg)
{
	fetch_rank *me = arg;

	fl__comm_enter(&me->r.comm, me->n);
	me->rc = fl__comm_fetch_rows(me->out, me->x, me->d, me->d, me->rows, me->m);
	me->rc = fl__comm_leave() ? -1 : me->rc;
	return NULL;
}

static void test_fetch(const fl_data *d)
{
	const fl_view *v = &d->views[1];
	int64_t m = 3000, *rows = malloc((size_t)m * sizeof *rows);
	fl_rng rng;

	CHECK(rows != NULL);
	fl__rng_seed(&rng, 5, 0);
	for (int64_t k = 0; k < m; k++) /* the last rows, the first, then any */
		rows[k] = k < 3 ? d->n - 1 - k : k < 5 ? k - 3 : (int64_t)fl__rng_below(&rng, (uint64_t)d->n);
	for (int32_t size = 1; size <= MAX_RANKS; size++) {
		job j = {size, {{0}}, {0}, 0};
		fetch_rank fr[MAX_RANKS];
		own ow[MAX_RANKS];
		pthread_t th[MAX_RANKS];

		pthread_barrier_init(&j.bar, NULL, (unsigned)size);
		for (int32_t q = 0; q < size; q++) {
			const fl_data *mine = own_data(&ow[q], d, q, size);

			fr[q].r = (rank){&j, {FL_COMM_VERSION, q, size, &fr[q].r, allreduce_f64,
					      allreduce_i64, broadcast, allgather}, mine, 1, 0, "", 0, ""};
			fr[q].x = mine->views[1].x;
			fr[q].n = d->n;
			fr[q].d = v->dim;
			fr[q].m = m;
			fr[q].rows = rows;
			fr[q].out = malloc((size_t)(m * v->dim) * sizeof(float));
			CHECK(fr[q].out != NULL);
			pthread_create(&th[q], NULL, fetch_on_rank, &fr[q]);
		}
		for (int32_t q = 0; q < size; q++) {
			int64_t bad = 0;

			pthread_join(th[q], NULL);
			CHECK_EQ_INT(fr[q].rc, 0);
			for (int64_t k = 0; k < m; k++)
				bad += memcmp(fr[q].out + k * v->dim, v->x + rows[k] * v->dim,
					      (size_t)v->dim * sizeof(float)) != 0;
			if (bad)
				fprintf(stderr, "fetch, %d ranks: rank %d got %lld of %lld rows wrong\n",
					(int)size, (int)q, (long long)bad, (long long)m);
			CHECK(bad == 0);
			free(fr[q].out);
			for (int32_t w = 0; w < d->n_views; w++)
				free(ow[q].x[w]);
		}
		pthread_barrier_destroy(&j.bar);
	}
	free(rows);
}

int main(void)
{
	fl_synth_opts so = FL_SYNTH_OPTS_INIT;
	fl_synth s;
	fl_data d = FL_DATA_INIT;
	fl_view views[2];

	so.n = 5000;
	so.d = 16;
	so.view2 = 1;
	so.d2 = 24;
	so.seed = 11;
	if (fl_synth_generate(&s, &so) != 0) {
		fprintf(stderr, "synth: %s\n", fl_last_error());
		return 1;
	}
	views[0] = (fl_view){"emb", s.emb, s.d, NULL};
	views[1] = (fl_view){"emb2", s.emb2, s.d2, NULL};
	d.n = s.n;
	d.labels = s.labels;
	d.probs = s.probs;
	d.n_classes = s.n_classes;
	d.views = views;
	d.n_views = 2;
	test_sort();
	test_cut();
	test_em_cut();
	test_same_report(&d);
	pca_dims = 8;
	test_same_report(&d);
	/* each rank reads only its own rows of the views (fl_comm_rows): the
	 * others hold other values, the report is the single process's */
	own_rows = 1;
	pca_dims = 128;
	test_same_report(&d);
	pca_dims = 8;
	test_same_report(&d);
	own_rows = 0;
	/* the passes that cut their groups by speed, cut as ranks of speeds
	 * 7 : 1 (: 3) would be: the same reports */
	test_rates = skewed;
	test_same_report(&d);
	/* and cut otherwise at every pass */
	memcpy(rotating, skewed, sizeof rotating);
	test_rates = rotating;
	rotate = 1;
	test_same_report(&d);
	rotate = 0;
	test_rates = NULL;
	test_fetch(&d);
	test_timings(&d);
	test_failures(&d);
	test_bad_value(&d, s.emb, s.n * s.d - 1);
	test_bad_value(&d, s.emb, 3);
	fl_synth_clear(&s);
	return check_done();
}
