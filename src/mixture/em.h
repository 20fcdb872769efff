/*
 * The EM machinery shared by the files of src/mixture: one pass over the
 * rows (E-step and sufficient statistics), the M-step, and the working state
 * they share. See em.c.
 */
#ifndef FL_MIXTURE_EM_H
#define FL_MIXTURE_EM_H

#include "mixture_internal.h"

#define ALPHA FL_MIXTURE_PSEUDOCOUNT
/* A component whose total responsibility falls below this (a millionth of a
 * row) is dead: weight 0, parameters frozen. Removing it changes the
 * objective by less than DEAD_MASS / n. */
#define DEAD_MASS 1e-6

enum mx_mode {
	MX_EM,      /* E-step, accumulate M-step statistics (and fill `out` if set) */
	MX_HARD,    /* responsibilities are one-hot from `hard` (-1: none): init */
	MX_PREDICT  /* E-step, fill `out` only */
};

/* Sums of one pass, reduced in block order. */
typedef struct mx_acc {
	double *s12; /* k x 2d: R^T [z, z^2] */
	double *nk;  /* k */
	double *nc;  /* C x k: label counts */
	double *a;   /* k x C: prediction statistics */
	double *f1, *f2; /* k: sum r f, sum r f^2 */
	double ll;
} mx_acc;

/* Everything a pass needs: the data, the float working copy of the model,
 * per-thread scratch and the sums. */
typedef struct mx_ctx {
	int64_t d, d2, block;
	int32_t k, C, threads;
	int use_labels, use_probs;
	fl_mixture_failure fk;
	/* float working model */
	float *w;    /* k x 2d */
	float *wt;   /* NULL, or w as columns (2d x FL_ROWS_TIMES_LD(k), zero-padded):
			the E-step then by fl__rows_times, a row's bits its own */
	float *c;    /* k: log pi - (sum mu^2/var + log var + log 2 pi) / 2 */
	float *lab;  /* C x k: gamma log p */
	float *ph;   /* k x C: phat */
	float *fa, *fb, *fc; /* k: failure term coefficients */
	float gh;    /* gamma_hat */
	double fvar, ffloor; /* Gaussian failure term: Var(f) and its floor */
	/* per thread */
	float *xb, *lj, *pb, *pr, *s12p, *ap, *rowmax;
	uint8_t *used;  /* k: the components of the block's M-step sums */
	double *groups; /* per group of blocks: s12 (k 2d), nk (k), nc (C k), f1, f2 (k),
			   a (k C), ll (1); then each rank's seconds (P) */
	int64_t *cut; /* several ranks (P): the cut of the last pass (P + 1) */
	mx_acc acc;
	double *ev;     /* C: M-step scratch (in accbuf, so the M-step cannot fail) */
	double *accbuf;
} mx_ctx;

/* Working state for passes over rows of dimension d with k components and C
 * classes; threads <= 0 means omp_get_max_threads(), trimmed to the blocks
 * of max_rows rows. Its passes run on the ranks it was made on
 * (fl__comm_ranks() then: its cuts have that many shares). */
int fl_mixture__ctx_init(mx_ctx *x, int64_t d, int32_t k, int32_t C, int use_labels,
			 int use_probs, fl_mixture_failure fk, int32_t threads, int64_t max_rows);
void fl_mixture__ctx_free(mx_ctx *x);
/* The float working copy of a model's parameters. */
void fl_mixture__ctx_load(mx_ctx *x, const fl_mixture *m);
/* Rows [i0, i0 + m) of p as [z, z^2] into xb (m x 2d). */
void fl_mixture__load_rows(const fl_mx_data *p, float *xb, int64_t i0, int64_t m);
/* One pass: MX_EM and MX_HARD fill x->acc, every mode x->acc.ll. With
 * several ranks the sums are every rank's, the rows of `out` only those
 * of this rank's groups until fl_mixture__gather_out (once, after the
 * last pass: it gathers the rows of the groups each rank had in that
 * pass; a rank's groups follow its speed, pass by pass). */
void fl_mixture__pass(mx_ctx *x, const fl_mx_data *p, enum mx_mode mode, const int32_t *hard,
		      fl_mx_out *out);
void fl_mixture__gather_out(const mx_ctx *x, const fl_mx_data *p, fl_mx_out *out);
/* Parameters from x->acc (hard: after an MX_HARD pass, for initialisation). */
void fl_mixture__m_step(fl_mixture *m, const mx_ctx *x, const double *col_var, int hard);
/* The log prior term of the objective. */
double fl_mixture__log_prior(const fl_mixture *m, int64_t C);

/* Initial parameters into m (allocated, floor set) from the rows of p
 * (init.c). */
int fl_mixture__init_confusion(fl_mixture *m, mx_ctx *x, const fl_mx_data *p,
			       const double *col_var, const fl_mixture_opts *o);
int fl_mixture__init_kmeans(fl_mixture *m, mx_ctx *x, const fl_mx_data *p,
			    const double *col_var, const fl_mixture_opts *o);

#endif
