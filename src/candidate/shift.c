/*
 * Causes across classes: clusters of one view that moved alike from their
 * classes are one cause.
 *
 * A cause that spans classes (rotated images of every digit) reaches the
 * clustering methods as one cluster per class, or per confusion: in a
 * model's own embedding a rotated seven lies nearer the sevens than the
 * rotated twos. But it moves each class the same way. A cluster's shift
 * is the mean over its rows of x_i - m(y_i), m(c) the mean of class c's
 * passing rows (with labels only). Clusters that lie apart (sharing less
 * than APART of the smaller's rows: one holding another is a second
 * summary of the same rows) and whose shifts point the same way (cosine
 * >= SHIFT_COS) are linked; each linked group of MIN_LINKED or more
 * becomes one more candidate, their union, whose spec selects what any of
 * theirs selects ({"type":"any_of"}). The clusters stay candidates: the
 * causes' covering makes them its parts, and a rule of the same rows
 * (Jaccard >= 0.5) names the cause in the data's words (causes.c).
 *
 * Measured on the quality benchmark's digits, model embedding alone: the
 * seven per-class fragments of the rotation have shifts at cosine 0.5 to
 * 0.94 with each other and 0.0 to 0.5 with the fragments of thick strokes;
 * their union at 0.7 overlaps the rotated rows with Jaccard 0.61 where the
 * best fragment reached 0.13.
 *
 * A rotated shirt and a rotated bag move less alike than two rotated
 * digits: on Fashion-MNIST the rotation's fragments link at 0.53 to 0.72,
 * and at 0.7 only two of them do. So the groups are made twice: at
 * SHIFT_COS, then at SHIFT_COS_WIDE where the wider links join two or more
 * of the first groups (or lone clusters) into one, as a second guess
 * beside them; the covering of causes keeps whichever accounts for more
 * failures and replicates. Measured (docs/quality.md): fashion's rotation
 * from its embedding alone, Jaccard 0.18 -> 0.45; at 0.55 alone (no first
 * guess) digits' rotation chained with other fragments into a group the
 * covering splits again (Jaccard 0.61 -> 0.13).
 */
#include "candidate_internal.h"
#include "stats/stats_internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#define SHIFT_COS 0.7       /* clusters whose shifts are this aligned are one cause */
#define SHIFT_COS_WIDE 0.55 /* ... and, as a second guess, this aligned (see above) */
#define APART 0.1      /* linked clusters share less than this share of the smaller */
#define MIN_LINKED 4   /* clusters in a group: a cause seen across several classes */
#define MOST_LINKED 16 /* clusters in one group */

/* Is candidate c a cluster of this view (a region with a spec)? */
static int is_cluster(const fl_candidate *c)
{
	return c->spec_json && c->n_members > 0 &&
	       (!strcmp(c->method, "mixture") || !strcmp(c->method, "kmeans"));
}

static int32_t find(int32_t *parent, int32_t a)
{
	while (parent[a] != a)
		a = parent[a] = parent[parent[a]];
	return a;
}

/* Sums over the rows of a class or a cluster are cut into the fixed groups
 * of the view's rows (fl__layout_view): a group sums its
 * rows in order, the groups are added in group order. Several ranks: each
 * sums the rows of its own groups, reads no other rank's rows, and the
 * group sums are exchanged (zeros elsewhere: the same bits for any P). At
 * most SUM_DOUBLES doubles of group sums at a time (many classes: passes
 * over a share of the classes each). */
#define SUM_DOUBLES (1 << 22)

/* the group of row i of the layout's rows */
static int64_t group_of(const fl__layout *l, int64_t i)
{
	int64_t lo = 0, hi = l->n_groups; /* first[lo] <= i < first[hi] */

	while (hi - lo > 1) {
		int64_t mid = (lo + hi) / 2;

		if (l->first[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The class means of the passing rows (a class without passing rows
 * takes the mean of all its rows): k x d. Per class and group: the sum of
 * its passing rows, of all its rows, their counts (2 d + 2 doubles). */
static int class_means(double *mean, const float *x, const int64_t *xrows, int64_t d,
		       const int64_t *labels, int32_t k, const unsigned char *failing,
		       const fl__layout *lay, int threads)
{
	int64_t G = lay->n_groups, L = 2 * d + 2, chunk = SUM_DOUBLES / (FL_ROW_GROUPS * L), g0, g1;
	double *part;

	chunk = chunk < 1 ? 1 : chunk < k ? chunk : k;
	if (!(part = fl__malloc((size_t)(G * chunk * L) * sizeof *part, "class means")))
		return FL_ENOMEM;
	fl__layout_share(lay, &g0, &g1);
	for (int64_t c0 = 0; c0 < k; c0 += chunk) {
		int64_t c1 = c0 + chunk < k ? c0 + chunk : k;

		memset(part, 0, (size_t)(G * chunk * L) * sizeof *part);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
		for (int64_t g = g0; g < g1; g++) {
			double *pg = part + g * chunk * L;

			for (int64_t i = lay->first[g]; i < lay->first[g + 1]; i++) {
				int64_t c = labels[i], ahead = i + FL_PREFETCH_ROWS;
				const float *xi = x + (xrows ? xrows[i] : i) * d;
				double *pc;

				if (xrows && ahead < lay->first[g + 1] && labels[ahead] >= c0 &&
				    labels[ahead] < c1)
					fl__prefetch(x + xrows[ahead] * d, (size_t)d * sizeof(float));
				if (c < c0 || c >= c1)
					continue;
				pc = pg + (c - c0) * L;
				pc[2 * d + 1] += 1;
				for (int64_t j = 0; j < d; j++)
					pc[d + j] += xi[j];
				if (failing[i])
					continue;
				pc[2 * d] += 1;
				for (int64_t j = 0; j < d; j++)
					pc[j] += xi[j];
			}
		}
		fl__comm_sum_f64(part, G * chunk * L);
		for (int64_t c = c0; c < c1; c++) {
			double *m = mean + c * d, np = 0, na = 0;

			memset(m, 0, (size_t)d * sizeof *m);
			for (int64_t g = 0; g < G; g++) {
				const double *pc = part + (g * chunk + c - c0) * L;

				np += pc[2 * d];
				na += pc[2 * d + 1];
			}
			for (int64_t j = 0; j < d; j++) {
				double sp = 0, sa = 0;

				for (int64_t g = 0; g < G; g++) {
					sp += part[(g * chunk + c - c0) * L + j];
					sa += part[(g * chunk + c - c0) * L + d + j];
				}
				m[j] = np > 0 ? sp / np : na > 0 ? sa / na : 0;
			}
		}
	}
	free(part);
	return FL_OK;
}


/* Each cluster's shift, the sum over its rows of x_i - m(y_i), unit
 * length (0 when none): nc x d, cut into groups as the class means. */
static int cluster_shifts(double *shift, const fl_candidate *cands, int32_t nc, const float *x,
			  const int64_t *xrows, int64_t d, const int64_t *labels, const double *mean,
			  const fl__layout *lay, int threads)
{
	int64_t G = lay->n_groups, chunk = SUM_DOUBLES / (FL_ROW_GROUPS * d), g0, g1;
	double *part;

	chunk = chunk < 1 ? 1 : chunk < nc ? chunk : nc > 0 ? nc : 1;
	if (!(part = fl__malloc((size_t)(G * chunk * d) * sizeof *part, "shifts")))
		return FL_ENOMEM;
	fl__layout_share(lay, &g0, &g1);
	for (int64_t a0 = 0; a0 < nc; a0 += chunk) {
		int64_t a1 = a0 + chunk < nc ? a0 + chunk : nc;

		memset(part, 0, (size_t)(G * chunk * d) * sizeof *part);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
		for (int64_t a = a0; a < a1; a++) {
			const fl_candidate *c = &cands[a];

			if (!is_cluster(c))
				continue;
			for (int64_t j = 0; j < c->n_members; j++) {
				int64_t i = c->members[j], y = labels[i], g = group_of(lay, i);
				const float *xi = x + (xrows ? xrows[i] : i) * d;
				double *sh = part + (g * chunk + a - a0) * d;

				if (g < g0 || g >= g1)
					continue;
				for (int64_t q = 0; q < d; q++)
					sh[q] += xi[q] - mean[y * d + q];
			}
		}
		fl__comm_sum_f64(part, G * chunk * d);
		for (int64_t a = a0; a < a1; a++) {
			double *sh = shift + a * d, norm = 0;

			for (int64_t q = 0; q < d; q++) {
				sh[q] = 0;
				for (int64_t g = 0; g < G; g++)
					sh[q] += part[(g * chunk + a - a0) * d + q];
				norm += sh[q] * sh[q];
			}
			norm = sqrt(norm);
			for (int64_t q = 0; q < d; q++)
				sh[q] = norm > 0 ? sh[q] / norm : 0;
		}
	}
	free(part);
	return FL_OK;
}

/* Keep, in order, the clusters of g[0..ng) sharing less than APART of
 * their rows with those kept before them (linked through others, two can
 * overlap); their number. mark: n zeros, left zeroed. */
static int32_t apart(const fl_candidate *c, int32_t *g, int32_t ng, unsigned char *mark)
{
	int32_t kept = 0;

	for (int32_t k = 0; k < ng; k++) {
		const fl_candidate *ck = &c[g[k]];
		int64_t shared = 0;

		for (int64_t j = 0; j < ck->n_members; j++)
			shared += mark[ck->members[j]];
		if ((double)shared >= APART * (double)ck->n_members)
			continue;
		for (int64_t j = 0; j < ck->n_members; j++)
			mark[ck->members[j]] = 1;
		g[kept++] = g[k];
	}
	for (int32_t k = 0; k < kept; k++)
		for (int64_t j = 0; j < c[g[k]].n_members; j++)
			mark[c[g[k]].members[j]] = 0;
	return kept;
}

/* The most frequent label among c's members (ties: the lowest). cnt:
 * scratch of k zeros, left zeroed. */
static int64_t main_label(const fl_candidate *c, const int64_t *labels, int32_t k, int64_t *cnt)
{
	int64_t best = 0;

	for (int64_t j = 0; j < c->n_members; j++)
		cnt[labels[c->members[j]]]++;
	for (int32_t y = 0; y < k; y++)
		best = cnt[y] > cnt[best] ? y : best;
	memset(cnt, 0, (size_t)k * sizeof *cnt);
	return best;
}

/* The group's candidate: the union of its clusters' members (theirs in
 * order, each row once), any_of their specs; described by the view and
 * the clusters' main labels, each once. */
static int group_candidate(fl_candidate *u, const fl_candidate *c, const int32_t *g, int32_t ng,
			   int64_t n, const int64_t *labels, int32_t n_classes,
			   const fl_failure_summary *s, unsigned char *seen, int32_t id)
{
	fl_strbuf b = {0}, t = {0};
	int64_t m = 0, *cnt = fl__calloc((size_t)n_classes, sizeof *cnt, "label counts");
	unsigned char *said = fl__calloc((size_t)n_classes, 1, "label counts");
	int rc;

	if (!cnt || !said) {
		free(cnt);
		free(said);
		return FL_ENOMEM;
	}

	memset(u, 0, sizeof *u);
	for (int32_t k = 0; k < ng; k++)
		m += c[g[k]].n_members;
	u->members = fl__malloc((size_t)m * sizeof *u->members, "slice members");
	u->member_scores = fl__malloc((size_t)m * sizeof *u->member_scores, "slice members");
	if (!u->members || !u->member_scores) {
		fl_candidate_clear(u);
		free(cnt);
		free(said);
		return FL_ENOMEM;
	}
	for (int32_t k = 0; k < ng; k++)
		for (int64_t j = 0; j < c[g[k]].n_members; j++) {
			int64_t i = c[g[k]].members[j];

			if (i >= 0 && i < n && !seen[i]) {
				seen[i] = 1;
				u->member_scores[u->n_members] = 1.0f;
				u->members[u->n_members++] = i;
			}
		}
	for (int64_t j = 0; j < u->n_members; j++)
		seen[u->members[j]] = 0;
	fl__sb_printf(&b, "{\"type\":\"any_of\",\"of\":[");
	fl__sb_printf(&t, "%d clusters of view %s shifted alike from their classes, labels", (int)ng,
		      c[g[0]].view);
	for (int32_t k = 0, listed = 0; k < ng; k++) {
		int64_t y = main_label(&c[g[k]], labels, n_classes, cnt);

		fl__sb_printf(&b, "%s%s", k ? "," : "", c[g[k]].spec_json);
		if (!said[y]) {
			said[y] = 1;
			fl__sb_printf(&t, "%s %lld", listed++ ? "," : "", (long long)y);
		}
	}
	fl__sb_printf(&b, "]}");
	free(cnt);
	free(said);
	u->spec_json = fl__sb_finish(&b, "slice spec");
	u->description = fl__sb_finish(&t, "slice description");
	if (!u->spec_json || !u->description) {
		fl_candidate_clear(u);
		return FL_ENOMEM;
	}
	u->component = id;
	if ((rc = fl__candidate_keep(u, s, "shift", c[g[0]].view)) < 0)
		return rc;
	return rc == 1 ? FL_OK : 1;
}

int fl__candidates_shift(fl_candidate **cands, int32_t *n_cands, const float *x,
			 const int64_t *xrows, int64_t n, int64_t d, const int64_t *labels,
			 int32_t n_classes, const double *failure, const fl_failure_summary *s,
			 int32_t threads)
{
	int32_t nc = *n_cands, made = 0, *parent = NULL, *strict = NULL, *g = NULL;
	fl__layout lay; /* the view's row groups of the n rows */
	unsigned char *failing = NULL;
	double *mean = NULL, *shift = NULL, *cosine = NULL;
	fl_candidate *out;
	int rc;

	if (!labels || n_classes < 2) /* no class to have moved from */
		return FL_OK;
	threads = threads > 0 ? threads : omp_get_max_threads();
	failing = fl__malloc((size_t)(n ? n : 1), "failing rows");
	mean = fl__malloc((size_t)n_classes * (size_t)d * sizeof *mean, "class means");
	shift = fl__calloc((size_t)(nc ? nc : 1) * (size_t)d, sizeof *shift, "shifts");
	cosine = fl__malloc((size_t)(nc ? nc : 1) * (size_t)(nc ? nc : 1) * sizeof *cosine,
			    "shift groups");
	parent = fl__malloc((size_t)(nc ? nc : 1) * sizeof *parent, "shift groups");
	strict = fl__malloc((size_t)(nc ? nc : 1) * sizeof *strict, "shift groups");
	g = fl__malloc((size_t)(nc ? nc : 1) * sizeof *g, "shift groups");
	if (!failing || !mean || !shift || !cosine || !parent || !strict || !g) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	fl__layout_view(&lay, n, NULL, xrows, 1);
	if ((rc = fl__failing_flags(failing, failure, n, "shift")) ||
	    (rc = class_means(mean, x, xrows, d, labels, n_classes, failing, &lay, threads)) ||
	    (rc = cluster_shifts(shift, *cands, nc, x, xrows, d, labels, mean, &lay, threads)))
		goto cleanup;
	memset(failing, 0, (size_t)(n ? n : 1)); /* from here on, row marks */
	for (size_t ab = 0; ab < (size_t)nc * (size_t)nc; ab++)
		cosine[ab] = -2; /* no link */
	for (int32_t a = 0; a < nc; a++) {
		const fl_candidate *ca = &(*cands)[a];

		if (!is_cluster(ca))
			continue;
		for (int64_t j = 0; j < ca->n_members; j++)
			failing[ca->members[j]] = 1;
		for (int32_t b = a + 1; b < nc; b++) {
			const fl_candidate *cb = &(*cands)[b];
			int64_t shared = 0;
			double cos = 0;

			if (!is_cluster(cb))
				continue;
			for (int64_t j = 0; j < cb->n_members; j++)
				shared += failing[cb->members[j]];
			/* fragments lie apart: one holding the other is another
			 * summary of the same rows, not a piece beside it */
			if ((double)shared >= APART * (double)(ca->n_members < cb->n_members ?
							       ca->n_members : cb->n_members))
				continue;
			for (int64_t q = 0; q < d; q++)
				cos += shift[(size_t)a * (size_t)d + q] * shift[(size_t)b * (size_t)d + q];
			cosine[(size_t)a * (size_t)nc + (size_t)b] = cos;
		}
		for (int64_t j = 0; j < ca->n_members; j++)
			failing[ca->members[j]] = 0;
	}
	for (int t = 0; t < 2; t++) {
		double at_least = t ? SHIFT_COS_WIDE : SHIFT_COS;

		for (int32_t a = 0; a < nc; a++)
			parent[a] = a;
		for (int32_t a = 0; a < nc; a++)
			for (int32_t b = a + 1; b < nc; b++)
				if (cosine[(size_t)a * (size_t)nc + (size_t)b] >= at_least)
					parent[find(parent, a)] = find(parent, b);
		for (int32_t a = 0; a < nc; a++) {
			int32_t ng = 0, roots = 0;
			fl_candidate u;

			if (find(parent, a) != a)
				continue;
			for (int32_t b = 0; b < nc && ng < MOST_LINKED; b++)
				if (find(parent, b) == a && is_cluster(&(*cands)[b])) {
					roots += t && ng > 0 && strict[b] != strict[g[0]];
					g[ng++] = b;
				}
			/* the wider links make a group only where they join groups
			 * of the strict ones (else it is one of theirs again) */
			if (ng < MIN_LINKED || (t && roots == 0))
				continue;
			for (int32_t i = 1; i < ng; i++) /* the purest first: its rows lead */
				for (int32_t j = i; j > 0 && (*cands)[g[j]].stats.failure_rate >
							      (*cands)[g[j - 1]].stats.failure_rate; j--) {
					int32_t tmp = g[j];

					g[j] = g[j - 1];
					g[j - 1] = tmp;
				}
			ng = apart(*cands, g, ng, failing);
			if (ng < MIN_LINKED)
				continue;
			if (!(out = realloc(*cands, (size_t)(nc + made + 1) * sizeof *out))) {
				rc = fl__error(FL_ENOMEM, "out of memory grouping clusters");
				goto cleanup;
			}
			*cands = out;
			if ((rc = group_candidate(&u, *cands, g, ng, n, labels, n_classes, s,
						  failing, made)) < 0)
				goto cleanup;
			if (rc == 0)
				(*cands)[nc + made++] = u;
			rc = 0;
		}
		for (int32_t a = 0; a < nc; a++)
			strict[a] = find(parent, a);
	}
cleanup:
	*n_cands = nc + made;
	free(failing);
	free(mean);
	free(shift);
	free(parent);
	free(strict);
	free(cosine);
	free(g);
	return rc;
}
