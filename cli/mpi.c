/*
 * The ranks of `mpirun -np P faultline discover` (the MPI build only,
 * cmake -DFL_MPI=ON): the library's communication table
 * (faultline/comm.h) over MPI_COMM_WORLD. Every rank reads the same
 * inputs and runs the same discover; rank 0 writes the report. A rank that
 * fails ends the job (MPI_Abort), so that no rank waits for it and no
 * partial report is written. Without mpirun or srun (no PMI in the
 * environment) MPI is not started: one process, as the default build.
 */
#include "cli.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fl_comm comm;
static int started;
/* what this rank sent and received, for --timings: calls and bytes of
 * the reductions (in place: the buffer's size) and of the gathers (the
 * whole result), and the seconds spent in them (waiting for the other
 * ranks included) */
static int64_t n_reduce, n_gather, reduce_bytes, gather_bytes;
static double reduce_seconds, gather_seconds;

static int sum_or_max(void *buf, int64_t n, MPI_Datatype type, int op)
{
	/* counts are int: long buffers go in pieces */
	char *p = buf;
	int size, rc = 0;
	double t = MPI_Wtime();

	MPI_Type_size(type, &size);
	n_reduce++;
	reduce_bytes += n * size;
	while (n > 0 && rc == 0) {
		int m = n > (1 << 30) ? 1 << 30 : (int)n;

		if (MPI_Allreduce(MPI_IN_PLACE, p, m, type, op == FL_COMM_MAX ? MPI_MAX : MPI_SUM,
				  MPI_COMM_WORLD) != MPI_SUCCESS)
			rc = -1;
		p += (size_t)m * (size_t)size;
		n -= m;
	}
	reduce_seconds += MPI_Wtime() - t;
	return rc;
}

static int allreduce_f64(void *user, double *buf, int64_t n, int op)
{
	(void)user;
	return sum_or_max(buf, n, MPI_DOUBLE, op);
}

static int allreduce_i64(void *user, int64_t *buf, int64_t n, int op)
{
	(void)user;
	return sum_or_max(buf, n, MPI_INT64_T, op);
}

static int broadcast(void *user, void *buf, int64_t bytes, int32_t root)
{
	(void)user;
	for (char *p = buf; bytes > 0;) {
		int m = bytes > (1 << 30) ? 1 << 30 : (int)bytes;

		if (MPI_Bcast(p, m, MPI_BYTE, root, MPI_COMM_WORLD) != MPI_SUCCESS)
			return -1;
		p += m;
		bytes -= m;
	}
	return 0;
}

/* MPI_Allgatherv counts in int: each rank's part (its rows of one per-row
 * array) must stay below 2 GiB, half a billion rows of floats per rank. */
static int allgather(void *user, const void *mine, void *all, const int64_t *bytes_of)
{
	int p = comm.size, *counts = malloc((size_t)p * 2 * sizeof(int)), rc = -1;
	int64_t off = 0;

	(void)user;
	if (!counts)
		return -1;
	n_gather++;
	for (int q = 0; q < p; q++) {
		if (bytes_of[q] > INT32_MAX || off > INT32_MAX)
			goto cleanup;
		counts[q] = (int)bytes_of[q];
		counts[p + q] = (int)off;
		off += bytes_of[q];
	}
	gather_bytes += off;
	gather_seconds -= MPI_Wtime();
	rc = MPI_Allgatherv(mine, counts[comm.rank], MPI_BYTE, all, counts, counts + p, MPI_BYTE,
			    MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
	gather_seconds += MPI_Wtime();
cleanup:
	free(counts);
	return rc;
}

int ranks_start(void)
{
	int rank, size;

	if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK"))
		return 0;
	/* a rank waiting for another yields its core (as OMP_WAIT_POLICY=PASSIVE
	 * for threads, main.c): on a shared machine, spinning takes the time
	 * the rank it waits for needs; the environment can say otherwise */
	setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
	/* every rank on this machine (mpirun says so before MPI_Init): Open
	 * MPI's shared-memory path (ob1 over vader) starts in 0.1 s where
	 * its default probe of UCX's transports takes 0.3 s, once per run
	 * (measured: 2 ranks, 0.33 against 0.55 s for a 2000-row discover);
	 * the exchanges move the same bytes through shared memory either
	 * way. Across machines UCX is kept; OMPI_MCA_pml says otherwise. */
	const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE"), *all = getenv("OMPI_COMM_WORLD_SIZE");
	if (local && all && strcmp(local, all) == 0)
		setenv("OMPI_MCA_pml", "ob1", 0);
	if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
		return fail(EXIT_INTERNAL, "MPI_Init failed");
	started = 1;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	comm = (fl_comm){FL_COMM_VERSION, rank, size, NULL, allreduce_f64, allreduce_i64,
			 broadcast, allgather};
	cli_rank = rank;
	cli_ranks = size;
	return 0;
}

const fl_comm *ranks_comm(void)
{
	return started && comm.size > 1 ? &comm : NULL;
}

int ranks_agree(int code)
{
	int worst = code;

	if (started && comm.size > 1 &&
	    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
		return fail(EXIT_INTERNAL, "MPI_Allreduce failed");
	return worst != code ? fail(worst, "another rank failed") : code;
}

void ranks_print_volume(void)
{
	if (started && comm.size > 1)
		fprintf(stderr, "faultline: exchanged by rank %d of %d: %lld reductions (%.1f MB, "
			"%.2f s), %lld gathers (%.1f MB, %.2f s)\n", comm.rank, comm.size,
			(long long)n_reduce, (double)reduce_bytes / 1e6, reduce_seconds,
			(long long)n_gather, (double)gather_bytes / 1e6, gather_seconds);
}

int ranks_end(int code)
{
	if (!started)
		return code;
	started = 0;
	if (code != 0 && comm.size > 1) {
		fflush(stderr);
		MPI_Abort(MPI_COMM_WORLD, code); /* ends every rank */
	}
	MPI_Finalize();
	return code;
}
