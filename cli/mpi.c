/*
 * The ranks of `mpirun -np P faultline discover` (the MPI build only,
 * cmake -DFL_MPI=ON): the library's communication table
 * (faultline/comm.h) over MPI_COMM_WORLD. Every rank reads the same
 * inputs and runs the same discover; rank 0 writes the report. A rank that
 * fails ends the job (MPI_Abort), so that no rank waits for it and no
 * partial report is written. Without mpirun or srun (no PMI in the
 * environment) MPI is not started: one process, as the default build.
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "cli.h"

#include <errno.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static fl_comm comm;
static int started;
/* what this rank sent and received, for --timings: calls and bytes of
 * the reductions (in place: the buffer's size) and of the gathers (the
 * whole result), and the seconds spent in them (waiting for the other
 * ranks included) */
static int64_t n_reduce, n_gather, reduce_bytes, gather_bytes;
static double reduce_seconds, gather_seconds;

/* Wait for a collective begun without blocking; -1 when it fails or a
 * signal asked this rank to stop (SIGTERM from mpirun when another rank
 * died, Ctrl-C): the library then cancels at its next progress check and
 * removes what it made, where a blocking call would wait for the dead rank
 * until mpirun's SIGKILL. Waiting yields the core, as
 * mpi_yield_when_idle does in a blocking call. */
static int wait_for(MPI_Request *req, int rc)
{
	int done = 0;
	unsigned spins = 0;

	if (rc != MPI_SUCCESS)
		return -1;
	while (!done) {
		if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
			return -1;
		if (!done && progress_cancelled())
			return -1; /* the job is ending: the request is left */
		if (!done && ++spins % 64 == 0)
			sched_yield();
	}
	return 0;
}

static int sum_or_max(void *buf, int64_t n, MPI_Datatype type, int op)
{
	/* counts are int: long buffers go in pieces */
	char *p = buf;
	int size, rc = 0;
	double t = MPI_Wtime();
	MPI_Request req;

	MPI_Type_size(type, &size);
	n_reduce++;
	reduce_bytes += n * size;
	while (n > 0 && rc == 0) {
		int m = n > (1 << 30) ? 1 << 30 : (int)n;

		rc = wait_for(&req, MPI_Iallreduce(MPI_IN_PLACE, p, m, type,
						   op == FL_COMM_MAX ? MPI_MAX : MPI_SUM,
						   MPI_COMM_WORLD, &req));
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
	MPI_Request req;

	(void)user;
	for (char *p = buf; bytes > 0;) {
		int m = bytes > (1 << 30) ? 1 << 30 : (int)bytes;

		if (wait_for(&req, MPI_Ibcast(p, m, MPI_BYTE, root, MPI_COMM_WORLD, &req)))
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
	MPI_Request req;

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
	rc = wait_for(&req, MPI_Iallgatherv(mine, counts[comm.rank], MPI_BYTE, all, counts,
					    counts + p, MPI_BYTE, MPI_COMM_WORLD, &req));
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
	 * (measured: 2 ranks, 0.30 against 0.55 s for a 2000-row discover);
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

	MPI_Request req;

	if (started && comm.size > 1 &&
	    wait_for(&req, MPI_Iallreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req)))
		return progress_cancelled() ? progress_cancelled()
					    : fail(EXIT_INTERNAL, "MPI_Allreduce failed");
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

/* Rank 0's read of the file at path, into *text (*len bytes, malloc'd),
 * broadcast to every rank: a file every rank needs whole (the metadata
 * CSV) is read from the file system once. 0, or an exit code after saying
 * why (then the job ends: ranks_end). */
int ranks_read_file(const char *path, char **text, size_t *len)
{
	int64_t n = 0;
	char *buf = NULL;
	int err = 0;

	*text = NULL;
	*len = 0;
	if (comm.rank == 0) {
		FILE *f = fopen(path, "rb");
		size_t cap = 0, got = 1;

		err = f ? 0 : errno;
		while (!err && got > 0) { /* grown twofold; one byte spare */
			char *nb = (size_t)n + 1 < cap ? buf : realloc(buf, cap = cap ? 2 * cap : 1 << 16);

			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
			got = fread(buf + n, 1, cap - (size_t)n - 1, f);
			n += (int64_t)got;
			err = got == 0 && ferror(f) ? EIO : 0;
		}
		if (f)
			fclose(f);
		if (err)
			n = -1;
	}
	if (broadcast(NULL, &n, sizeof n, 0))
		return fail(EXIT_INTERNAL, "MPI_Bcast failed");
	if (n < 0) {
		const struct timespec second = {1, 0};

		free(buf);
		if (comm.rank == 0)
			return fail(EXIT_INPUT, "%s: cannot open: %s", path, strerror(err));
		/* rank 0 says why and ends the job: give it the time to, before
		 * this rank's own end (MPI_Abort) cuts it short */
		nanosleep(&second, NULL);
		return fail(EXIT_INPUT, "%s: rank 0 could not read it", path);
	}
	if (comm.rank != 0 && !(buf = malloc((size_t)n + 1)))
		return fail(EXIT_INTERNAL, "out of memory");
	if (broadcast(NULL, buf, n, 0)) {
		free(buf);
		return fail(EXIT_INTERNAL, "MPI_Bcast failed");
	}
	*text = buf;
	*len = (size_t)n;
	return 0;
}

/* Each rank maps only its own rows of a view (issue 16): fl_discover reads
 * no other row of a view on this rank (fl_comm_rows), so the pages of the
 * file's mapping outside them are replaced by an inaccessible reservation
 * (MAP_FIXED): the file system serves each rank its rows only, and a step
 * that read another rank's rows would stop with SIGSEGV rather than read
 * them quietly (tests/mpi/ranks.sh runs every case so). Views that are not
 * a float32 mapping (float64, .npz) were converted whole and stay whole.
 * FAULTLINE_RANK_ROWS=all keeps every row mapped. The reservation lies in
 * the mapping's address range, which fl_array_free unmaps whole. */
void ranks_map_own(const fl_array *a, const float *x, int64_t n, int64_t dim)
{
	const char *env = getenv("FAULTLINE_RANK_ROWS");
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), at, end, from, to;
	int64_t lo, hi;
	int bad = 0;

	if (!started || comm.size < 2 || !x || n < 1 || !fl_array_is_mapped(a) ||
	    fl_array_dtype(a) != FL_DT_F32 || (env && strcmp(env, "all") == 0))
		return;
	fl_comm_rows(comm.rank, comm.size, n, &lo, &hi);
	at = (uintptr_t)x;
	end = at + (uintptr_t)(n * dim) * sizeof(float);
	from = (at + (uintptr_t)(lo * dim) * sizeof(float)) / page * page;
	to = (at + (uintptr_t)(hi * dim) * sizeof(float) + page - 1) / page * page;
	at = (at + page - 1) / page * page; /* whole pages of the view only */
	end = end / page * page;
	if (from > at)
		bad |= mmap((void *)at, from - at, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED;
	if (end > to)
		bad |= mmap((void *)to, end - to, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED;
	if (bad) /* the mapping stays as it was: every row readable */
		fprintf(stderr, "faultline: rank %d: note: every row of %s stays mapped: %s\n",
			comm.rank, fl_array_name(a), strerror(errno));
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
