/*
 * k-means: minimise the inertia sum_i min_j |x_i - c_j|^2 over k centroids.
 *
 * Seeding: greedy k-means++ (Arthur & Vassilvitskii, "k-means++: the
 * advantages of careful seeding", SODA 2007, section 6): every new centre
 * is the best, by the inertia it leaves, of 2 + floor(ln k) candidates drawn
 * by D^2 sampling. One pass measures all of a centre's candidates (one
 * sgemm of 2 + ln k columns a block) and keeps each row's distance to them,
 * so taking the best needs no pass of its own; it is more robust than
 * plain D^2 sampling (it is what scikit-learn runs; Grunau et al., SODA
 * 2023, analyse it). Then Lloyd iterations (Lloyd
 * 1982) until the relative inertia decrease falls below tol, or no row
 * changes cluster, or max_iter updates.
 *
 * Distances of a block of rows to all centroids are |x|^2 - 2 X C^T + |c|^2,
 * one sgemm per block. Rows are first shifted by the data mean (k-means is
 * translation invariant): it keeps the cancellation in that expansion small
 * when the data sit far from the origin.
 *
 * Threads and determinism: rows are cut into at most KM_GROUPS fixed groups
 * of consecutive blocks, whose size depends on d only (the rows of a view of
 * fl_discover's: its row groups, each cut into blocks, fl__layout_view, so
 * that each rank reads its own rows); OpenMP threads take whole groups, each group sums its
 * blocks in block order (centroid sums in double, inertia, seeding
 * potentials), and the groups are added in group order after the loop, so
 * results are bit-identical for any thread count and no thread waits for
 * another inside the loop (an `ordered` section would: spin-waiting threads
 * cost dearly when the cores are shared). The serial part is O(k d) per
 * group against O(B k d) of sgemm work per block. Ranks that all hold the
 * rows (not a view's) cut the groups of the mean's, Lloyd's and the
 * assignment's passes by their speeds in the passes cut so far
 * (fl__comm_cut; a group's sums are the same on any rank), Lloyd's
 * assignment gathered after each pass; the seeding's passes, whose
 * distances stay with the rank that computed them, keep equal shares.
 *
 * BLAS threads: OpenBLAS is held at 1 thread while a solver runs (see
 * common/blas.c).
 */
#include "kmeans_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#define KM_GROUPS 32 /* fixed groups of blocks summed apart (run_pass) */
#define KM_TRIALS 24 /* 2 + ln k candidates a centre: any int32 k */
_Static_assert(KM_GROUPS >= FL_ROW_GROUPS, "a view's row groups fit the group sums");

/* Workspace of one solver: shared state plus per-thread block scratch. */
typedef struct km_ws {
	const fl_km_data *data;
	int64_t n, d, block, n_blocks, kcap;
	int threads;
	float *mu;     /* d: the shift applied to every row */
	float *cn;     /* kcap: squared norms of the current centres */
	double *tot;   /* kcap x d: sums reduced over blocks */
	int64_t *cnt;  /* kcap: counts reduced over blocks */
	float *xb;     /* per thread, block x d: the shifted rows of a block */
	float *xn;     /* per thread, block: their squared norms */
	float *dots;   /* per thread, block x kcap: -2 x.c */
	double *psum;  /* per group, up to kcap x d: the group's sums (run_pass) */
	int64_t *pcnt; /* per group, up to kcap: its counts */
	double *pin;   /* per group: its inertia */
	fl__layout lay; /* the groups of rows (a view's: each rank its own rows) */
	/* several ranks (P) holding every row (not a view's): the passes with
	 * no per-row state carried over from a pass before (the mean, Lloyd's
	 * with its assignment gathered after each pass, the assignment) cut
	 * their groups by the ranks' speeds (fl__comm_cut; the mean's and
	 * Lloyd's passes are timed, fl__comm_timed): the last one's cut */
	int by_speed;
	int64_t *cut;
} km_ws;

static void ws_free(km_ws *w)
{
	free(w->mu);
	free(w->cn);
	free(w->tot);
	free(w->cnt);
	free(w->xb);
	free(w->xn);
	free(w->dots);
	free(w->psum);
	free(w->pcnt);
	free(w->pin);
	free(w->cut);
}

static int ws_init(km_ws *w, const fl_km_data *data, int64_t kcap, int32_t threads)
{
	int64_t d = data->d, ranks = fl__comm_ranks();
	size_t t, sz;

	memset(w, 0, sizeof *w);
	w->data = data;
	w->n = data->n;
	w->d = d;
	w->kcap = kcap;
	w->block = fl__block_rows(d); /* in cache for the argmin and the sums */
	w->n_blocks = (w->n + w->block - 1) / w->block;
	if (data->view)
		fl__layout_view(&w->lay, w->n, NULL, data->rows, w->block);
	else
		fl__layout_blocks(&w->lay, w->n, w->block, KM_GROUPS);
	w->threads = threads > 0 ? threads : omp_get_max_threads();
	if (w->threads > w->n_blocks)
		w->threads = w->n_blocks > 0 ? (int)w->n_blocks : 1;
	t = (size_t)w->threads;
	if (fl__mul_size(t * (size_t)w->block, (size_t)(d > kcap ? d : kcap) * sizeof(double), &sz) ||
	    fl__mul_size((size_t)KM_GROUPS * (size_t)kcap, (size_t)d * sizeof(double), &sz))
		return fl__error(FL_ENOMEM, "k-means: workspace size overflows (k=%lld, d=%lld)",
				 (long long)kcap, (long long)d);
	w->mu = fl__calloc((size_t)d, sizeof(float), "k-means shift");
	w->cn = fl__malloc((size_t)kcap * sizeof(float), "k-means centre norms");
	w->tot = fl__malloc((size_t)(kcap * d) * sizeof(double), "k-means sums");
	w->cnt = fl__malloc((size_t)kcap * sizeof(int64_t), "k-means counts");
	w->xb = fl__malloc(t * (size_t)(w->block * d) * sizeof(float), "k-means blocks");
	w->xn = fl__malloc(t * (size_t)w->block * sizeof(float), "k-means norms");
	w->dots = fl__malloc(t * (size_t)(w->block * kcap) * sizeof(float), "k-means distances");
	/* and room after them to exchange the counts, changed and inertia too */
	w->psum = fl__malloc(((size_t)KM_GROUPS * (size_t)(kcap * d + kcap + 1) + 1 + (size_t)ranks) *
			     sizeof(double), "k-means partial sums");
	w->pcnt = fl__malloc((size_t)KM_GROUPS * (size_t)kcap * sizeof(int64_t),
			     "k-means partial counts");
	w->pin = fl__malloc((size_t)KM_GROUPS * sizeof(double), "k-means partial inertia");
	w->cut = fl__malloc((size_t)(ranks + 1) * sizeof(int64_t), "k-means ranks");
	if (!w->mu || !w->cn || !w->tot || !w->cnt || !w->xb || !w->xn || !w->dots ||
	    !w->psum || !w->pcnt || !w->pin || !w->cut) {
		ws_free(w);
		return FL_ENOMEM;
	}
	w->by_speed = ranks > 1 && !data->view;
	return 0;
}

/* Rows [i0, i0 + m) of the problem, normalised if asked, minus mu, into dst
 * (m x d); their squared norms into xn unless it is NULL. The inner loops
 * run in fixed groups of 8 so that the compiler can vectorise them: 8
 * independent partial sums need no reassociation. */
static void load_rows(const km_ws *w, float *dst, float *xn, int64_t i0, int64_t m)
{
	const fl_km_data *p = w->data;
	const float *mu = w->mu;
	int64_t d = w->d, d8 = d / 8 * 8;

	for (int64_t r = 0; r < m; r++) {
		int64_t row = p->rows ? p->rows[i0 + r] : i0 + r;
		float *o = dst + r * d, acc[8] = {0};
		const float *src = o;
		float scale = 1;

		if (p->codes) /* decoded in place, then shifted like any row */
			fl_mx_codes_row(p->codes, row, o);
		else
			src = p->x + row * p->ldx;
		if (p->rows && !p->codes && i0 + r + FL_PREFETCH_ROWS < w->n)
			fl__prefetch(p->x + p->rows[i0 + r + FL_PREFETCH_ROWS] * p->ldx,
				     (size_t)d * sizeof(float));
		if (p->normalize) {
			double s = 0;
			for (int64_t j = 0; j < d; j++)
				s += (double)src[j] * src[j];
			scale = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
		}
		/* in place when decoded (src == o): GCC's alias check then chose
		 * its scalar loop; each element is read before it is written */
#pragma omp simd
		for (int64_t j = 0; j < d; j++)
			o[j] = src[j] * scale - mu[j];
		if (!xn)
			continue;
		for (int64_t j = 0; j < d8; j += 8)
			for (int q = 0; q < 8; q++)
				acc[q] += o[j + q] * o[j + q];
		for (int64_t j = d8; j < d; j++)
			acc[0] += o[j] * o[j];
		xn[r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
		if (p->extra2)
			xn[r] += p->extra2[row];
	}
}

/* s[0..d) += x[0..d) in double, in groups of 8 like load_rows */
static void add_row(double *s, const float *x, int64_t d)
{
	int64_t d8 = d / 8 * 8;

	for (int64_t j = 0; j < d8; j += 8)
		for (int q = 0; q < 8; q++)
			s[j + q] += x[j + q];
	for (int64_t j = d8; j < d; j++)
		s[j] += x[j];
}

/* |a - b|^2 computed directly: the expansion picks the nearest centre, but
 * its cancellation error (~1e-7 |x|^2) would otherwise show in the inertia
 * and the distances we report. Eight partial sums let the compiler
 * vectorise without reassociating. */
static float sqdist(const float *a, const float *b, int64_t d)
{
	float acc[8] = {0}, t;
	int64_t l = 0;

	for (; l + 8 <= d; l += 8)
		for (int q = 0; q < 8; q++) {
			t = a[l + q] - b[l + q];
			acc[q] += t * t;
		}
	for (; l < d; l++) {
		t = a[l] - b[l];
		acc[0] += t * t;
	}
	return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* What one pass over all rows computes. */
enum km_mode {
	P_MEAN,   /* tot[0..d) = sum of the unshifted rows */
	P_LLOYD,  /* assign, changed, inertia, tot = per-centre sums, cnt */
	P_EVAL,   /* tot[j] = sum_i min(mind2_i, |x_i - c_j|^2); dtr */
	P_UPDATE, /* mind2 = |x - c_0|^2; inertia = sum of mind2 */
	P_ASSIGN  /* assign, dist2 */
};

typedef struct km_pass {
	enum km_mode mode;
	const float *c; /* m x d shifted centres */
	int64_t m;
	int32_t *assign;
	float *dist2;   /* P_ASSIGN, may be NULL */
	float *mind2;   /* seeding: squared distance to the nearest centre so far */
	float *dtr;     /* P_EVAL: |x_i - c_j|^2 at i m + j, this rank's rows */
	double inertia;
	int64_t changed;
} km_pass;

/* Several ranks: every group's partial sums (nsum a group), the seconds
 * of each rank (P_MEAN, P_LLOYD and P_EVAL; timed when speed), and the
 * per-row results of P_ASSIGN (and of P_LLOYD when speed: the next pass
 * may be cut otherwise) of the rows of every rank's groups, on every
 * rank. */
static void exchange(km_ws *w, km_pass *p, int64_t n_groups, int64_t nsum, int64_t *changed,
		     int speed, double secs_mine)
{
	int64_t ns = n_groups * nsum, nc = 0, ranks = fl__comm_ranks(), me = fl__comm_rank();
	double *tail = w->psum + ns;
	const int64_t *cut = speed ? w->cut : NULL;

	if (p->mode == P_ASSIGN || p->mode == P_UPDATE) {
		fl__comm_sum_f64(w->pin, n_groups);
	} else { /* one exchange: the sums, then counts and changed (exact in double),
		  * inertia, seconds */
		double *secs;

		if (p->mode == P_LLOYD) {
			nc = n_groups * p->m + 1;
			for (int64_t i = 0; i < nc - 1; i++)
				tail[i] = (double)w->pcnt[i];
			tail[nc - 1] = (double)*changed;
		}
		secs = tail + nc + n_groups;
		memcpy(tail + nc, w->pin, (size_t)n_groups * sizeof(double));
		memset(secs, 0, (size_t)ranks * sizeof(double));
		secs[me] = secs_mine;
		fl__comm_sum_f64(w->psum, ns + nc + n_groups + ranks);
		for (int64_t i = 0; i < nc - 1; i++)
			w->pcnt[i] = (int64_t)tail[i];
		if (nc)
			*changed = (int64_t)tail[nc - 1];
		memcpy(w->pin, tail + nc, (size_t)n_groups * sizeof(double));
		if (speed)
			fl__comm_timed(w->cut, secs);
	}
	if (p->mode == P_ASSIGN || (p->mode == P_LLOYD && speed))
		fl__layout_gather_cut(&w->lay, cut, p->assign, sizeof(int32_t));
	if (p->mode == P_ASSIGN && p->dist2)
		fl__layout_gather_cut(&w->lay, cut, p->dist2, sizeof(float));
}

/* Several ranks: the rows of every rank in assign (after Lloyd passes,
 * which only write and read this rank's rows; when they are cut by speed,
 * each pass gathered them). */
static void gather_assign(km_ws *w, int32_t *assign)
{
	if (!w->by_speed)
		fl__layout_gather(&w->lay, assign, sizeof(int32_t));
}

static void run_pass(km_ws *w, km_pass *p)
{
	int64_t d = w->d, m = p->m, kc = w->kcap;
	/* a group's sums: nsum doubles at psum + g nsum, m counts at pcnt + g m */
	int64_t nsum = p->mode == P_MEAN ? d : p->mode == P_LLOYD ? m * d : p->mode == P_EVAL ? m : 0;
	int64_t n_groups = w->lay.n_groups;
	double inertia = 0, t0;
	int64_t changed = 0, g0, g1;
	int speed = w->by_speed && (p->mode == P_MEAN || p->mode == P_LLOYD || p->mode == P_ASSIGN);

	for (int64_t j = 0; j < m; j++) {
		double s = 0;
		for (int64_t l = 0; l < d; l++)
			s += (double)p->c[j * d + l] * p->c[j * d + l];
		w->cn[j] = (float)s;
	}
	memset(w->tot, 0, (size_t)nsum * sizeof(double));
	memset(w->cnt, 0, (size_t)m * sizeof(int64_t));
	/* with several ranks this one sums its groups (cut by speed, or its
	 * share); the others' stay 0 */
	fl__layout_share(&w->lay, &g0, &g1);
	if (speed) {
		fl__comm_cut(n_groups, w->cut);
		g0 = w->cut[fl__comm_rank()];
		g1 = w->cut[fl__comm_rank() + 1];
	}
	t0 = fl__now();
	if (fl__comm_ranks() > 1) {
		memset(w->psum, 0, (size_t)(n_groups * nsum) * sizeof(double));
		memset(w->pcnt, 0, (size_t)(n_groups * m) * sizeof(int64_t));
		memset(w->pin, 0, (size_t)n_groups * sizeof(double));
	}
#pragma omp parallel for num_threads(w->threads) schedule(dynamic, 1) reduction(+ : changed)
	for (int64_t g = g0; g < g1; g++) {
		int t = omp_get_thread_num();
		float *xb = w->xb + (size_t)t * w->block * d, *xn = w->xn + (size_t)t * w->block;
		float *dots = w->dots + (size_t)t * w->block * kc;
		double *ps = w->psum + (size_t)(g * nsum), pin = 0;
		int64_t *pc = w->pcnt + (size_t)(g * m);

		memset(ps, 0, (size_t)nsum * sizeof(double));
		memset(pc, 0, (size_t)m * sizeof(int64_t));
		for (int64_t i0 = w->lay.first[g]; i0 < w->lay.first[g + 1]; i0 += w->block) {
			int64_t end = w->lay.first[g + 1], rows = end - i0 < w->block ? end - i0 : w->block;

			/* the argmin modes need no |x|^2: sqdist gives the distance */
			load_rows(w, xb, p->mode == P_EVAL || p->mode == P_UPDATE ? xn : NULL, i0, rows);
			if (p->mode != P_MEAN)
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)m,
					    (int)d, -2.0f, xb, (int)d, p->c, (int)d, 0.0f, dots, (int)kc);
			for (int64_t r = 0; r < rows; r++) {
				const float *x = xb + r * d, *dr = dots + r * kc;
				int64_t i = i0 + r, best = 0;
				float v, bv;

				switch (p->mode) {
				case P_MEAN:
					add_row(ps, x, d);
					break;
				case P_EVAL:
					for (int64_t j = 0; j < m; j++) {
						v = xn[r] + (dr[j] + w->cn[j]);
						v = v > 0 ? v : 0;
						p->dtr[i * m + j] = v;
						ps[j] += v < p->mind2[i] ? v : p->mind2[i];
					}
					break;
				case P_UPDATE:
					v = xn[r] + (dr[0] + w->cn[0]);
					p->mind2[i] = v > 0 ? v : 0;
					pin += p->mind2[i];
					break;
				case P_LLOYD:
				case P_ASSIGN:
					bv = dr[0] + w->cn[0];
					for (int64_t j = 1; j < m; j++) {
						v = dr[j] + w->cn[j];
						if (v < bv) /* ties go to the lowest index */
							bv = v, best = j;
					}
					v = sqdist(x, p->c + best * d, d);
					if (w->data->extra2)
						v += w->data->extra2[w->data->rows ? w->data->rows[i] : i];
					if (p->mode == P_ASSIGN) {
						p->assign[i] = (int32_t)best;
						if (p->dist2)
							p->dist2[i] = v;
						break;
					}
					changed += p->assign[i] != best;
					p->assign[i] = (int32_t)best;
					pin += v;
					pc[best]++;
					add_row(ps + best * d, x, d);
					break;
				}
			}
		}
		w->pin[g] = pin;
	}
	if (fl__comm_ranks() > 1)
		exchange(w, p, n_groups, nsum, &changed, speed, fl__now() - t0);
	for (int64_t g = 0; g < n_groups; g++) {
		for (int64_t l = 0; l < nsum; l++)
			w->tot[l] += w->psum[(size_t)(g * nsum + l)];
		for (int64_t j = 0; j < m; j++)
			w->cnt[j] += w->pcnt[(size_t)(g * m + j)];
		inertia += w->pin[g];
	}
	p->inertia = inertia;
	p->changed = changed;
}

/* The row of a draw with probability proportional to mind2: target is a
 * uniform fraction of the total, gp the groups' potentials (their sums of
 * mind2, on every rank). The groups' running sum finds the group, its
 * rows' running sum the row, so the draw is the same for any number of
 * ranks: -1 when the group is another rank's (its rows' mind2 are not
 * here). Rounding past the end takes the last positive group and in it
 * the last positive row. */
static int64_t sample_d2(const km_ws *w, const float *mind2, const double *gp, double target)
{
	int64_t last = -1, row = -1, g0, g1;
	double acc = 0, before = 0;

	for (int64_t g = 0; g < w->lay.n_groups; g++) {
		if (gp[g] > 0) {
			last = g;
			before = acc;
			acc += gp[g];
			if (acc > target)
				break;
		}
	}
	fl__layout_share(&w->lay, &g0, &g1);
	if (last < g0 || last >= g1)
		return -1;
	acc = before;
	for (int64_t i = w->lay.first[last], end = w->lay.first[last + 1]; i < end; i++) {
		if (mind2[i] > 0) {
			acc += mind2[i];
			row = i;
			if (acc > target)
				break;
		}
	}
	return row;
}

/* Greedy k-means++ seeding into c (k x d, shifted); cand holds the trials,
 * dtr (n x trials) their distances. A candidate's pass also gives what
 * taking it leaves: each row's distance to it and each group's potential,
 * so the centre taken needs no pass of its own; with several ranks each
 * keeps the distances of its rows, and the draws are found by the ranks
 * that hold them (sample_d2). */
static void seed_plusplus(km_ws *w, float *c, int32_t k, float *mind2, float *dtr, float *cand,
			  fl_rng *rng)
{
	int64_t n = w->n, d = w->d, trials = 2 + (int64_t)log((double)k), g0, g1;
	int64_t at[KM_TRIALS];
	double gp[KM_GROUPS], pot;
	km_pass up = {P_UPDATE, c, 1, NULL, NULL, mind2, NULL, 0, 0};

	load_rows(w, c, NULL, (int64_t)fl__rng_below(rng, (uint64_t)n), 1);
	run_pass(w, &up);
	memcpy(gp, w->pin, (size_t)w->lay.n_groups * sizeof(double));
	pot = up.inertia;
	fl__layout_share(&w->lay, &g0, &g1);
	for (int32_t j = 1; j < k; j++) {
		int64_t best = 0;

		for (int64_t l = 0; l < trials; l++) /* all rows on a centre already: any row */
			at[l] = pot > 0 ? sample_d2(w, mind2, gp, fl__rng_uniform(rng) * pot)
					: (int64_t)fl__rng_below(rng, (uint64_t)n);
		if (pot > 0)
			fl__comm_max_i64(at, trials);
		for (int64_t l = 0; l < trials; l++) /* -1 only after a failed exchange */
			load_rows(w, cand + l * d, NULL, at[l] < 0 ? 0 : at[l], 1);
		km_pass ev = {P_EVAL, cand, trials, NULL, NULL, mind2, dtr, 0, 0};
		run_pass(w, &ev);
		for (int64_t l = 1; l < trials; l++)
			if (w->tot[l] < w->tot[best])
				best = l;
		memcpy(c + (int64_t)j * d, cand + best * d, (size_t)d * sizeof(float));
		/* what the pass summed for the best candidate: the new mind2 */
		for (int64_t g = 0; g < w->lay.n_groups; g++)
			gp[g] = w->psum[g * trials + best];
		pot = w->tot[best];
		for (int64_t g = g0; g < g1; g++)
			for (int64_t i = w->lay.first[g]; i < w->lay.first[g + 1]; i++)
				if (dtr[i * trials + best] < mind2[i])
					mind2[i] = dtr[i * trials + best];
	}
}

/* Centroids from the sums of the last Lloyd pass. An empty cluster takes
 * the row farthest from its (old) centroid among clusters that keep at least
 * one row, which never raises the inertia; ties go to the lowest row. */
static void update_centres(km_ws *w, float *c, float *old, int32_t k, int32_t *assign,
			   float *row)
{
	int64_t d = w->d;

	memcpy(old, c, (size_t)(k * d) * sizeof(float));
	for (int64_t j = 0; j < k; j++)
		for (int64_t l = 0; l < d && w->cnt[j] > 0; l++)
			c[j * d + l] = (float)(w->tot[j * d + l] / (double)w->cnt[j]);
	for (int64_t e = 0; e < k; e++)
		if (w->cnt[e] == 0) { /* the scan below reads every row's */
			gather_assign(w, assign);
			break;
		}
	for (int64_t e = 0; e < k; e++) {
		int64_t far = -1;
		double fd = -1;

		if (w->cnt[e] > 0)
			continue;
		for (int64_t b = 0; b < w->n_blocks; b++) {
			int64_t i0 = b * w->block, rows = w->n - i0 < w->block ? w->n - i0 : w->block;

			load_rows(w, w->xb, NULL, i0, rows);
			for (int64_t r = 0; r < rows; r++) {
				int32_t a = assign[i0 + r];
				double s = 0;

				if (w->cnt[a] < 2)
					continue;
				for (int64_t l = 0; l < d; l++) {
					double t = (double)w->xb[r * d + l] - old[a * d + l];
					s += t * t;
				}
				if (w->data->extra2)
					s += w->data->extra2[w->data->rows ? w->data->rows[i0 + r]
									   : i0 + r];
				if (s > fd)
					fd = s, far = i0 + r;
			}
		}
		/* n >= k guarantees a cluster with two rows while one is empty
		 * (not after a failed exchange between ranks, whose counts are a
		 * rank's own: the run is dropped) */
		if (far < 0)
			continue;
		int32_t a = assign[far];
		load_rows(w, row, NULL, far, 1);
		w->cnt[a]--;
		for (int64_t l = 0; l < d; l++) {
			w->tot[a * d + l] -= row[l];
			c[a * d + l] = (float)(w->tot[a * d + l] / (double)w->cnt[a]);
			w->tot[e * d + l] = row[l];
			c[e * d + l] = row[l];
		}
		w->cnt[e] = 1;
		assign[far] = (int32_t)e;
	}
}

static int check_data(const fl_km_data *p)
{
	int rc = p->codes ? 0 : fl__check_matrix(p->x, p->n, p->d, p->ldx, 0, "the data to cluster");

	if (rc == 0 && p->codes && p->codes->r != p->d)
		rc = fl__error(FL_EINVAL, "the data to cluster: %lld columns coded, not %lld",
			       (long long)p->codes->r, (long long)p->d);
	if (rc == 0 && !p->x && !p->codes)
		rc = fl__error(FL_EINVAL, "the data to cluster: no data (a NULL array)");
	if (rc == 0 && (p->d > INT32_MAX || p->ldx > INT32_MAX))
		rc = fl__error(FL_EINVAL, "the data to cluster has %lld columns, too many for BLAS",
			       (long long)p->d);
	return rc;
}

int fl_kmeans__fit(float *centroids, int32_t *assign, double *inertia, int32_t *n_iter,
		   const fl_km_data *data, const fl_kmeans_opts *opts, const float *init)
{
	static const fl_kmeans_opts defaults = FL_KMEANS_OPTS_INIT;
	const fl_kmeans_opts *o = opts ? opts : &defaults;
	km_ws w;
	float *c = NULL, *old = NULL, *best = NULL, *cand = NULL, *row = NULL, *mind2 = NULL;
	float *dtr = NULL;
	int32_t *own = NULL, best_it = 0;
	int64_t d = data->d, trials, best_r = -1, restarts;
	double best_in = HUGE_VAL;
	int rc = check_data(data);

	if (rc)
		return rc;
	if (!centroids || o->version != FL_KMEANS_OPTS_VERSION || o->k < 1 || o->k > data->n ||
	    o->max_iter < 0 || o->n_init < 1 || !(o->tol >= 0) || o->threads < 0)
		return fl__error(FL_EINVAL, "invalid k-means options for %lld rows (k=%d, "
				 "max_iter=%d, n_init=%d, tol=%g, threads=%d, version=%d)",
				 (long long)data->n, o->k, o->max_iter, o->n_init, o->tol,
				 o->threads, o->version);
	trials = 2 + (int64_t)log((double)o->k);
	rc = ws_init(&w, data, o->k > trials ? o->k : trials, o->threads);
	if (rc)
		return rc;
	c = fl__malloc((size_t)(o->k * d) * sizeof(float), "k-means centroids");
	old = fl__malloc((size_t)(o->k * d) * sizeof(float), "k-means centroids");
	best = fl__malloc((size_t)(o->k * d) * sizeof(float), "k-means centroids");
	cand = fl__malloc((size_t)(trials * d) * sizeof(float), "k-means candidates");
	row = fl__malloc((size_t)d * sizeof(float), "k-means row");
	mind2 = init ? NULL : fl__malloc((size_t)data->n * sizeof(float), "k-means seeding");
	dtr = init ? NULL : fl__malloc((size_t)(data->n * trials) * sizeof(float), "k-means seeding");
	if (!assign)
		assign = own = fl__malloc((size_t)data->n * sizeof(int32_t), "k-means assignment");
	if (!c || !old || !best || !cand || !row || (!init && (!mind2 || !dtr)) || !assign) {
		rc = FL_ENOMEM;
		goto cleanup;
	}

	fl__blas_single_enter();
	km_pass mean = {P_MEAN, NULL, 0, NULL, NULL, NULL, NULL, 0, 0};
	run_pass(&w, &mean);
	for (int64_t l = 0; l < d; l++)
		w.mu[l] = (float)(w.tot[l] / (double)data->n);

	restarts = init ? 1 : o->n_init; /* restarts from one start are equal */
	for (int64_t r = 0; r < restarts; r++) {
		km_pass lp = {P_LLOYD, c, o->k, assign, NULL, NULL, NULL, 0, 0};
		double prev = HUGE_VAL;
		int32_t it = 0;

		if (init) {
			for (int64_t l = 0; l < o->k * d; l++)
				c[l] = init[l] - w.mu[l % d];
		} else {
			fl_rng rng;
			fl__rng_seed(&rng, o->seed, FL_STREAM_KMEANS + (uint64_t)r);
			seed_plusplus(&w, c, o->k, mind2, dtr, cand, &rng);
		}
		for (;;) {
			run_pass(&w, &lp);
			if (it == o->max_iter ||
			    (it > 0 && (lp.changed == 0 || prev - lp.inertia <= o->tol * prev)))
				break;
			update_centres(&w, c, old, o->k, assign, row);
			prev = lp.inertia;
			it++;
		}
		gather_assign(&w, assign);
		if (lp.inertia < best_in) {
			best_in = lp.inertia;
			best_r = r;
			best_it = it;
			memcpy(best, c, (size_t)(o->k * d) * sizeof(float));
		}
	}
	if (best_r != restarts - 1 && !own) { /* the caller's assignment must match */
		km_pass ap = {P_ASSIGN, best, o->k, assign, NULL, NULL, NULL, 0, 0};
		run_pass(&w, &ap);
	}
	fl__blas_single_leave();
	for (int64_t l = 0; l < o->k * d; l++)
		centroids[l] = best[l] + w.mu[l % d];
	if (inertia)
		*inertia = best_in;
	if (n_iter)
		*n_iter = best_it;
cleanup:
	ws_free(&w);
	free(c);
	free(old);
	free(best);
	free(cand);
	free(row);
	free(mind2);
	free(dtr);
	free(own);
	return rc;
}

int fl_kmeans__assign(int32_t *assign, float *dist2, const fl_km_data *data,
		      const float *centroids, int32_t k, int32_t threads)
{
	km_ws w;
	float *c = NULL;
	int64_t d = data->d;
	int rc = check_data(data);

	if (rc)
		return rc;
	if (!assign || !centroids || k < 1 || threads < 0)
		return fl__error(FL_EINVAL, "cannot assign rows to %d centroids with %d threads",
				 k, threads);
	if (data->n == 0)
		return 0;
	rc = ws_init(&w, data, k, threads);
	if (rc)
		return rc;
	c = fl__malloc((size_t)((int64_t)k * d) * sizeof(float), "k-means centroids");
	if (!c) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	/* shift by the centroids' mean: the same cancellation argument as in fit */
	for (int64_t l = 0; l < d; l++) {
		double s = 0;
		for (int64_t j = 0; j < k; j++)
			s += centroids[j * d + l];
		w.mu[l] = (float)(s / k);
	}
	for (int64_t l = 0; l < (int64_t)k * d; l++)
		c[l] = centroids[l] - w.mu[l % d];
	fl__blas_single_enter();
	km_pass ap = {P_ASSIGN, c, k, assign, dist2, NULL, NULL, 0, 0};
	run_pass(&w, &ap);
	fl__blas_single_leave();
cleanup:
	ws_free(&w);
	free(c);
	return rc;
}

int fl_kmeans_fit(float *centroids, int32_t *assign, double *inertia, const float *x,
		  int64_t n, int64_t d, int64_t ldx, const fl_kmeans_opts *opts)
{
	fl_km_data data = {x, n, d, ldx, NULL, 0, NULL, NULL, 0};

	return fl_kmeans__fit(centroids, assign, inertia, NULL, &data, opts, NULL);
}

int fl_kmeans_assign(int32_t *assign, float *dist2, const float *x, int64_t n, int64_t d,
		     int64_t ldx, const float *centroids, int32_t k, int32_t threads)
{
	fl_km_data data = {x, n, d, ldx, NULL, 0, NULL, NULL, 0};

	return fl_kmeans__assign(assign, dist2, &data, centroids, k, threads);
}
