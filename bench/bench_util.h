/* What every bench program measures with: a monotonic clock and the
 * process's resident memory (Linux). */
#ifndef FL_BENCH_UTIL_H
#define FL_BENCH_UTIL_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* peak resident memory so far, MiB (ru_maxrss is in kilobytes on Linux) */
static inline double peak_rss_mb(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_maxrss / 1024.0;
}

/* resident memory now, MiB (/proc/self/statm counts pages) */
static inline double rss_mb(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long size = 0, resident = 0;

	if (!fp || fscanf(fp, "%ld %ld", &size, &resident) != 2)
		resident = 0;
	if (fp)
		fclose(fp);
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

#endif
