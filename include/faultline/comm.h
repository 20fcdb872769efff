/*
 * faultline/comm.h: running one discover on several processes (ranks).
 *
 * The library holds no network code and no MPI: the caller gives it a
 * communication table (the pattern of LightGBM's
 * LGBM_NetworkInitWithFunctions), through fl_discover_opts.comm. Every rank
 * calls fl_discover with the same data and options; each computes its share
 * of the passes over the rows (whole fixed groups of row blocks) and the
 * ranks combine their partial sums through the table. Every rank ends with
 * the same report (rank 0 usually writes it).
 *
 * Identical answers: a pass over the rows sums fixed groups of row blocks
 * (their number depends on the rows only, never on the threads or ranks);
 * each group is computed by exactly one rank, the others contribute exact
 * zeros, and after the sum every rank adds the groups in group order, as a
 * single process does. The report is therefore the same, bit for bit, for
 * any number of ranks and threads (docs/distributed.md).
 *
 * An MPI implementation of the table ships with the CLI's optional MPI
 * build (cmake -DFL_MPI=ON; cli/mpi.c); a Python or C caller can wrap any
 * other transport. NULL (the default): one process, exactly as without.
 */
#ifndef FAULTLINE_COMM_H
#define FAULTLINE_COMM_H

#include "core.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Element-wise operations of the reductions. */
enum fl_comm_op {
	FL_COMM_SUM = 0,
	FL_COMM_MAX = 1
};

/** A communication table. Every function is collective: every rank calls
 *  it in the same order with the same sizes. Each returns 0, or non-zero
 *  on failure (the library then fails with FL_EIO, "communication
 *  failed"); an implementation may also end the job instead (MPI's default
 *  error handler does). They are called from the thread that called
 *  fl_discover, never from two threads at once. */
typedef struct fl_comm {
	int version;   /**< FL_COMM_VERSION */
	int32_t rank;  /**< this process, 0 .. size-1 */
	int32_t size;  /**< the number of ranks, >= 1 */
	void *user;    /**< passed to every function */
	/** buf[0..n) := the element-wise op (fl_comm_op) over every rank's buf. */
	int (*allreduce_f64)(void *user, double *buf, int64_t n, int op);
	int (*allreduce_i64)(void *user, int64_t *buf, int64_t n, int op);
	/** buf[0..bytes) := root's buf on every rank. */
	int (*broadcast)(void *user, void *buf, int64_t bytes, int32_t root);
	/** all := the concatenation, in rank order, of every rank's `mine`;
	 *  rank q gives bytes_of[q] bytes (bytes_of has `size` entries and is
	 *  the same on every rank; all holds their sum). */
	int (*allgather)(void *user, const void *mine, void *all, const int64_t *bytes_of);
} fl_comm;

#define FL_COMM_VERSION 1

/**
 * The rows of the views that rank `rank` of `size` reads, [*lo, *hi) of n
 * (the rows of 32 fixed groups of n / 32 rows each, the rank's share of the
 * groups; with more than 32 ranks some read none). With a table, fl_discover
 * reads no other row of a view on that rank (rows it needs from others are
 * sent by their owners), so a caller may give each rank views whose other
 * rows are unreadable: the CLI maps only these (FAULTLINE_RANK_ROWS=all
 * maps every row). No rows (0, 0) for a rank outside [0, size).
 */
FL_API void fl_comm_rows(int32_t rank, int32_t size, int64_t n, int64_t *lo, int64_t *hi);

#ifdef __cplusplus
}
#endif

#endif
