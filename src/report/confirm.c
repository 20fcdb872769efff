/*
 * Held-out confirmation. Each slice's rule (its spec) is applied to rows
 * the search never saw; its failure rate there is tested against the rest
 * of the holdout (the same exact / rank tests as in discovery), and the
 * p-values of every slice are adjusted together for the number of slices
 * tested (Benjamini-Hochberg). Because the holdout played no part in
 * choosing the slices, these p-values are honest even though discovery
 * examined many candidates: the multiplicity left is the number of slices
 * confirmed, which the adjustment covers.
 */
#include "report_internal.h"
#include "spec/spec_internal.h"

#include <string.h>

int fl_report_confirm(fl_report *r, const fl_spec_data *data, const double *failure,
		      const uint8_t *holdout, double q)
{
	return fl_report__confirm_within(r, data, failure, holdout, NULL, q, NULL, 0);
}

/* The holdout results are gathered aside and stored into the slices only
 * once every slice is measured: a failure leaves the report as it was.
 * Members are every holdout row a spec selects; the test counts only those
 * `within` (all when NULL): hm holds their index among the rows within. */
int fl_report__confirm_within(fl_report *r, const fl_spec_data *data, const double *failure,
			      const uint8_t *holdout, const uint8_t *within, double q,
			      const fl_spec_codes *red, int32_t n_red)
{
	fl_failure_summary *hs = NULL;
	int64_t *rows = NULL, *hm = NULL, **members = NULL, *n_members = NULL, *local = NULL;
	int64_t m = 0, mw = 0;
	double *hf = NULL, *p = NULL;
	fl_slice_stats *st = NULL;
	uint8_t *member = NULL;
	fl_spec_cache *cache = NULL; /* a saved model's assignment, shared by its slices */
	size_t ns = (size_t)(r->n_slices ? r->n_slices : 1);
	int rc = FL_OK;

	if (!data || !failure || !holdout || !(q > 0 && q < 1) || data->n != r->n)
		return fl__error(FL_EINVAL, "confirming needs a report, its data, the failure "
				 "signal, the holdout rows and a false discovery rate in (0, 1)");
	for (int64_t i = 0; i < r->n; i++) /* the per-row arrays: for the holdout rows */
		m += holdout[i] != 0;
	rows = fl__malloc((size_t)(m ? m : 1) * sizeof *rows, "holdout rows");
	hf = fl__malloc((size_t)(m ? m : 1) * sizeof *hf, "holdout failure");
	member = fl__malloc((size_t)(m ? m : 1), "holdout members");
	hm = fl__malloc((size_t)(m ? m : 1) * sizeof *hm, "holdout members");
	local = fl__malloc((size_t)(m ? m : 1) * sizeof *local, "holdout members");
	m = 0;
	p = fl__malloc(ns * sizeof *p, "holdout p-values");
	st = fl__malloc(ns * sizeof *st, "holdout statistics");
	members = fl__calloc(ns, sizeof *members, "holdout members");
	n_members = fl__calloc(ns, sizeof *n_members, "holdout members");
	if (!rows || !hf || !member || !hm || !local || !p || !st || !members || !n_members) {
		rc = FL_ENOMEM;
		goto cleanup;
	}
	for (int64_t i = 0; i < r->n; i++)
		if (holdout[i]) {
			local[m] = within && !within[i] ? -1 : mw;
			if (local[m] >= 0)
				hf[mw++] = failure[i];
			rows[m++] = i;
		}
	if (mw < 2) {
		rc = fl__error(FL_EINVAL, "holdout has %lld rows; need at least 2", (long long)mw);
		goto cleanup;
	}
	if ((rc = fl_failure_summary_new(&hs, hf, mw)))
		goto cleanup;
	for (int32_t v = 0; v < n_red; v++)
		if ((rc = fl_spec__cache_reduced(&cache, data, rows, m, &red[v])))
			goto cleanup;
	for (int32_t s = 0; s < r->n_slices; s++) {
		const fl_candidate *c = &r->slices[s];
		int64_t k = 0, kw = 0;

		if (c->has_holdout) { /* confirmed by an earlier call */
			st[s] = c->holdout;
			p[s] = c->holdout.p_value;
			continue;
		}
		if (!c->spec_json) {
			rc = fl__error(FL_EINVAL, "slice %s/%s %d has no spec to confirm", c->method,
				       c->view, (int)c->component);
			goto cleanup;
		}
		if ((rc = fl_spec__apply_cached(member, c->spec_json, data, rows, m, &cache)))
			goto cleanup;
		for (int64_t i = 0; i < m; i++)
			k += member[i];
		if (!(members[s] = fl__malloc((size_t)(k ? k : 1) * sizeof *hm, "holdout members"))) {
			rc = FL_ENOMEM;
			goto cleanup;
		}
		for (int64_t i = 0, j = 0; i < m; i++)
			if (member[i]) {
				members[s][j++] = rows[i];
				if (local[i] >= 0)
					hm[kw++] = local[i];
			}
		if ((rc = fl_slice_stats_compute(&st[s], hs, hm, kw)))
			goto cleanup;
		n_members[s] = k;
		p[s] = st[s].p_value;
	}
	if ((rc = fl_bh_adjust(p, p, r->n_slices)))
		goto cleanup;
	for (int32_t s = 0; s < r->n_slices; s++) {
		fl_candidate *c = &r->slices[s];

		if (!c->has_holdout) {
			free(c->holdout_members);
			c->holdout_members = members[s];
			members[s] = NULL;
			c->n_holdout_members = n_members[s];
		}
		c->holdout = st[s];
		c->has_holdout = 1;
		c->p_adjusted = p[s];
		c->replicated = p[s] <= q;
	}
	r->confirm_q = q;
	r->n_holdout = m;
cleanup:
	for (int32_t s = 0; members && s < r->n_slices; s++)
		free(members[s]);
	free(members);
	free(n_members);
	fl_spec__cache_free(cache);
	free(st);
	fl_failure_summary_free(hs);
	free(rows);
	free(hf);
	free(member);
	free(hm);
	free(local);
	free(p);
	return rc;
}
