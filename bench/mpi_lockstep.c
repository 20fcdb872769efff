/*
 * What running in lockstep costs on this machine, faultline aside: every
 * rank makes the same passes over an array of its own (a sum of squares,
 * as a pass over a rank's rows of a view is) and, after each, one
 * allreduce of one value waited for as the CLI waits (MPI_Test, a yield
 * every 64 polls). Two ranks of equal work still wait for each other
 * whenever one pass ran slower on one of them; bench/mpi.sh's ceiling
 * leaves that out, and faultline's ranks make about 1000 such exchanges a
 * run.
 *
 * usage: mpirun -np P mpi_lockstep [MB] [PASSES]   (default 256 MB, 100 passes)
 * prints, from rank 0: each rank's seconds working and waiting, and the
 * largest share of a rank's time spent waiting
 */
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* one pass: the sum of squares in 16 chains */
static float pass(const float *x, size_t n)
{
	float s[16] = {0}, t = 0;

	for (size_t i = 0; i + 16 <= n; i += 16)
		for (size_t j = 0; j < 16; j++)
			s[j] += x[i + j] * x[i + j];
	for (size_t j = 0; j < 16; j++)
		t += s[j];
	return t;
}

int main(int argc, char **argv)
{
	int rank, size, passes = argc > 2 ? atoi(argv[2]) : 100;
	int mb = argc > 1 ? atoi(argv[1]) : 256;
	size_t n = (size_t)(mb > 0 ? mb : 0) << 18; /* floats */
	double work = 0, wait = 0, mine[2], *all;
	float *x;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	x = malloc(n * sizeof *x);
	all = malloc((size_t)size * sizeof mine);
	if (!x || !all || passes < 1 || n < 16)
		MPI_Abort(MPI_COMM_WORLD, 2);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(i % 1000) * 1e-3f;
	MPI_Barrier(MPI_COMM_WORLD); /* the ranks' starts and page faults apart */
	for (int k = 0; k < passes; k++) {
		double t0 = now(), v = pass(x, n), t1;
		MPI_Request req;
		int done = 0;
		unsigned spins = 0;

		t1 = now();
		MPI_Iallreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &req);
		while (!done) {
			MPI_Test(&req, &done, MPI_STATUS_IGNORE);
			if (!done && ++spins % 64 == 0)
				sched_yield();
		}
		work += t1 - t0;
		wait += now() - t1;
	}
	mine[0] = work;
	mine[1] = wait;
	MPI_Gather(mine, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
	if (rank == 0) {
		double most = 0;

		printf("lockstep: %d ranks, %d passes over %zu MB each:", size, passes,
		       n * sizeof *x >> 20);
		for (int q = 0; q < size; q++) {
			double share = all[2 * q + 1] / (all[2 * q] + all[2 * q + 1]);

			printf(" rank %d working %.3f s, waiting %.3f s;", q, all[2 * q], all[2 * q + 1]);
			most = share > most ? share : most;
		}
		printf(" waiting at most %.1f%% of the time\n", 100 * most);
	}
	free(x);
	free(all);
	MPI_Finalize();
	return 0;
}
