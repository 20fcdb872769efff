/* Wall time for the stage timings (fl_discover_opts.timings). */
#include "internal.h"

#include <time.h>

double fl__now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
